//! Autogenerate: the declared schema (`schema.sql`), its differences with
//! the model replayed from the history, and the revision that closes them.
//!
//! The declared schema is plain SQL, `CREATE` statements only (and
//! PostgreSQL's `ALTER SEQUENCE name OWNED BY table.column`, which declares
//! a sequence's owner, and `ALTER TABLE name ADD CONSTRAINT ...`, which
//! declares a constraint after its table, e.g. a check added `NOT VALID`), read by the same splitter and parser as the history
//! and replayed into the same [`Schema`] model (`CREATE FUNCTION` and
//! `CREATE PROCEDURE` too, kept with their text); a statement that is not a
//! declaration (an `INSERT`, a `DO` block) is an error with its file and
//! line. [`generate`] compares two
//! models and writes both sections of a revision: the upgrade turns the
//! first into the second, the downgrade is the same comparison the other way
//! round. Nothing is guessed: a table or column that disappears while
//! another of the same shape appears is a drop and an add, each carrying a
//! `-- REVIEW:` comment that shows the `RENAME` alternative, and every
//! destructive statement carries one.

mod scratch;
mod sql;

use std::path::{Path, PathBuf};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::render::Sources;
use crate::schema::{Dialect, Name, Naming, ObjectKind, Problem, Schema};
use crate::split::Statement;
use crate::{CheckedBy, CompiledRevision};

pub use scratch::scratch_refusals;
pub use sql::{generate, Generated, Review, Section, Step};

/// The model at the head of a history: every upgrade statement of
/// `revisions` (in plan order) replayed ([`crate::schema::model_of`] with
/// every revision applied).
pub fn head_schema(dialect: Dialect, revisions: &[CompiledRevision]) -> Schema {
    crate::schema::model_of(dialect, revisions, |_| true)
}

/// The files a declared schema is read from: `path` itself, or the `*.sql`
/// files of the directory `path` in name order (dot files left out). Each
/// is read by [`read_declared_file`]; a `*.sql` entry of the directory that
/// is not a regular file (a FIFO, a device, a directory, a link to nothing)
/// is listed too, so that reading it is refused with its name rather than
/// skipped silently.
pub fn declared_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        error(
            Code::MissingDirectory,
            format!("cannot read the declared schema {}: {e}", path.display()),
            None,
        )
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        error(
            Code::MissingDirectory,
            format!("cannot list the declared schema {}: {e}", path.display()),
            None,
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "sql")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The text of one file of the declared schema (shown as `display`), read
/// with the limits of a revision file ([`crate::source::read_sql_file`]:
/// a regular file, or a link to one, of at most
/// [`crate::source::MAX_SQL_FILE_BYTES`], in UTF-8).
pub fn read_declared_file(file: &Path, display: &Path) -> Result<String, Diagnostic> {
    crate::source::read_sql_file(file, display)
}

/// The path a file of the declared schema at `path` is shown as, when the
/// declared schema is shown as `display`.
fn shown(path: &Path, display: &Path, file: &Path) -> PathBuf {
    match file.strip_prefix(path) {
        Ok(relative) if !relative.as_os_str().is_empty() => display.join(relative),
        _ => display.to_path_buf(),
    }
}

/// A declared schema as read by [`read`]: the model, its warnings, and
/// where each table is declared (for [`Declared::dangling_references`]).
#[derive(Debug, Clone)]
pub struct Declared {
    /// The declared model.
    pub schema: Schema,
    /// The clauses the model does not hold ([`Code::NotHeld`]).
    pub warnings: Vec<Diagnostic>,
    /// Each declared table with its `CREATE TABLE` (file, span, line).
    tables: Vec<(Name, Label, u32)>,
    /// Each file read, as shown in diagnostics, with its text as read.
    texts: Vec<(PathBuf, String)>,
}

impl Declared {
    /// Each file of the declared schema, as shown in diagnostics, with its
    /// text, in the order read: the SQL itself (a [`Sources`] holds it
    /// with URL passwords masked, for rendering only).
    pub fn texts(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.texts.iter().map(|(f, t)| (f.as_path(), t.as_str()))
    }

    /// The foreign keys whose referenced table is declared nowhere in the
    /// declared schema (in no file, before or after) and that `current`
    /// (the history's head, or the database) does not hold either: the
    /// upgrade would create them against nothing. An error naming the
    /// file, line, table and missing table on PostgreSQL and MySQL, whose
    /// `CREATE TABLE` fails then; a warning on SQLite, which accepts it
    /// (and fails only on writes with `PRAGMA foreign_keys = ON`). A table
    /// in a schema the declared schema does not create (one managed
    /// elsewhere), or any reference once the model could not follow a
    /// statement, is not reported: the model cannot be sure it is missing.
    pub fn dangling_references(&self, current: &Schema) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, label, line) in &self.tables {
            let Some(table) = self.schema.table(name) else {
                continue;
            };
            let mut seen = std::collections::BTreeSet::new();
            for constraint in &table.constraints {
                if constraint.kind != crate::schema::ConstraintKind::ForeignKey {
                    continue;
                }
                let Some(target) = &constraint.references else {
                    continue;
                };
                let known = |schema: &Schema| schema.contains(ObjectKind::Table, target);
                if known(&self.schema)
                    || known(current)
                    || !self.schema.strict_about(target)
                    || !seen.insert(target.clone())
                {
                    continue;
                }
                let sqlite = self.schema.dialect() == Dialect::Sqlite;
                let mut label = label.clone();
                label.message = format!("references table {target}, declared nowhere");
                out.push(Diagnostic {
                    severity: if sqlite {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    code: Code::UnknownObject,
                    message: format!(
                        "{}:{line}: table {}: a foreign key references table {target}, which the \
                         declared schema does not declare{}",
                        label.file.display(),
                        table.name,
                        if sqlite {
                            ": SQLite creates it, but no row can be written with foreign keys on"
                        } else {
                            " and the database would not hold: the upgrade would fail"
                        }
                    ),
                    labels: vec![label],
                    notes: Vec::new(),
                    help: Some(format!(
                        "declare table {target} in the declared schema, or correct the name"
                    )),
                });
            }
        }
        out
    }
}

/// Reads the declared schema at `path`, shown as `display` in diagnostics
/// (a file, or a directory of `*.sql` files read in name order), into a
/// model, with its warnings (clauses the model does not hold,
/// [`Code::NotHeld`]); each file read is added to `sources`, so the
/// diagnostics render with their source lines as a revision's do. Every
/// problem is returned, each naming its file and line: an unreadable file,
/// a syntax error, a statement that is not a declaration, a duplicate or a
/// reference to an unknown object. A foreign key to a table declared
/// nowhere is for [`Declared::dangling_references`] (it needs the current
/// model).
pub fn read(
    path: &Path,
    display: &Path,
    dialect: Dialect,
    sources: &mut Sources,
) -> Result<Declared, Vec<Diagnostic>> {
    let files = declared_files(path).map_err(|d| vec![d])?;
    let mut schema = Schema::new(dialect);
    let mut errors = Vec::new();
    let mut tables = Vec::new();
    let mut texts = Vec::new();
    for file in files {
        let display = shown(path, display, &file);
        let text = match read_declared_file(&file, &display) {
            Ok(text) => text,
            Err(diagnostic) => {
                errors.push(diagnostic);
                continue;
            }
        };
        replay(&display, &text, &mut schema, &mut errors, Some(&mut tables));
        sources.insert(display.clone(), text.clone());
        texts.push((display, text));
    }
    if errors.iter().any(|d| d.severity == Severity::Error) {
        Err(errors)
    } else {
        Ok(Declared {
            schema,
            warnings: errors,
            tables,
            texts,
        })
    }
}

/// Reads the declared schema at `path` (a file, or a directory of `*.sql`
/// files read in name order) into a model, with its warnings ([`read`],
/// then [`Declared::dangling_references`] against an empty model). Every
/// problem is returned, each naming its file and line.
pub fn read_declared(
    path: &Path,
    dialect: Dialect,
) -> Result<(Schema, Vec<Diagnostic>), Vec<Diagnostic>> {
    let declared = read(path, path, dialect, &mut Sources::new())?;
    let mut diagnostics = declared.warnings.clone();
    diagnostics.extend(declared.dangling_references(&Schema::new(dialect)));
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(diagnostics)
    } else {
        Ok((declared.schema, diagnostics))
    }
}

/// Replays one file of the declared schema on `schema`; its errors and
/// warnings ([`Code::NotHeld`]) go to `errors`.
pub fn declare_text(file: &Path, text: &str, schema: &mut Schema, errors: &mut Vec<Diagnostic>) {
    replay(file, text, schema, errors, Some(&mut Vec::new()));
}

/// The model of a live database, replayed from the DDL its catalog gives
/// back (`migrate-introspect`'s `definitions`: `pg_get_constraintdef`,
/// `pg_get_indexdef`, `pg_get_viewdef`, `sqlite_master.sql`, ...), each
/// `(object, statement)` in the order the objects can be created. The
/// statements go through the same splitter, parser and replay as a
/// history, so the database's model is built as any other; `ALTER TABLE`
/// is accepted (foreign keys are added after every table). A statement the
/// model cannot read or follow is returned as an error naming its object,
/// never guessed.
pub fn model_from_definitions(
    dialect: Dialect,
    definitions: &[(String, String)],
) -> Result<Schema, Vec<Diagnostic>> {
    let mut schema = Schema::new(dialect);
    let mut errors = Vec::new();
    for (object, statement) in definitions {
        let file = PathBuf::from(format!("the database's {object}"));
        let mut text = statement.trim_end().trim_end_matches(';').to_string();
        text.push_str(";\n");
        replay(&file, &text, &mut schema, &mut errors, None);
    }
    if errors.is_empty() {
        Ok(schema)
    } else {
        Err(errors)
    }
}

/// The declared model, with what the server prints exactly as the
/// database holds it taken from the database's model: `canonical` is the
/// declared schema as the server reprints it (run and read back like the
/// database), `database` the database's model. An object (for a table: a
/// column, a constraint) whose reprint equals the database's is the
/// database's, so it is no difference; one that differs stays as declared,
/// so the statements that change it carry the declared text.
pub fn settle_reprints(declared: &Schema, canonical: &Schema, database: &Schema) -> Schema {
    use crate::schema::Object;
    let mut out = declared.clone();
    for (key, object) in declared.objects() {
        let (Some(reprint), Some(held)) = (canonical.object(key), database.object(key)) else {
            continue;
        };

        let settled = match (object, reprint, held) {
            _ if reprint == held => held.clone(),
            (Object::Table(table), Object::Table(reprint), Object::Table(held)) => {
                let mut table = table.clone();
                for column in table.columns_mut() {
                    if let Some(c) = reprint.column(&column.name) {
                        if held.column(&column.name) == Some(c) {
                            *column = c.clone();
                        }
                    }
                }
                for constraint in &mut table.constraints {
                    let same = |c: &&crate::schema::Constraint| {
                        c.name == constraint.name && c.kind == constraint.kind
                    };
                    let printed = reprint.constraints.iter().find(same);
                    let kept = held.constraints.iter().find(same);
                    if let (Some(printed), Some(kept)) = (printed, kept) {
                        if printed == kept {
                            *constraint = kept.clone();
                        }
                    }
                }
                Object::Table(table)
            }
            _ => continue,
        };
        out.replace_object(key.clone(), settled);
    }
    out
}

/// `tables`: `Some` for the declared schema (declarations only), where
/// each `CREATE TABLE` is recorded with its place; `None` for a database's
/// definitions.
fn replay(
    file: &Path,
    text: &str,
    schema: &mut Schema,
    errors: &mut Vec<Diagnostic>,
    mut tables: Option<&mut Vec<(Name, Label, u32)>>,
) {
    let declarations_only = tables.is_some();
    let dialect = schema.dialect();
    let statements = match crate::split::split_sql(text, dialect) {
        Ok(statements) => statements,
        Err(diagnostics) => {
            errors.extend(diagnostics.into_iter().map(|mut d| {
                for label in &mut d.labels {
                    label.file = file.to_path_buf();
                }
                d
            }));
            return;
        }
    };
    for mut statement in statements {
        let line = statement.line;
        let span = statement.span.clone();
        let at = |message: String, label: &str| {
            error(
                Code::SqlSyntax,
                message,
                Some(Label {
                    file: file.to_path_buf(),
                    span: span.clone(),
                    message: label.to_string(),
                    primary: true,
                }),
            )
        };
        // `ALTER SEQUENCE name OWNED BY table.column` declares which
        // column owns a sequence (sqlparser does not read it): that exact
        // form, nothing else of `ALTER`.
        let text_of = text.get(span.clone()).unwrap_or("");
        if let Some(problems) = schema.declare_sequence_owner(text_of) {
            let where_ = format!("{}:{line}", file.display());
            for problem in problems {
                errors.push(at(format!("{where_}: {}", problem.message), "here"));
            }
            continue;
        }
        let parsed = match parse(file, text, &mut statement, dialect) {
            Ok(parsed) => parsed,
            Err(mut d) => {
                // A revision's way out (`-- migrate:unchecked`) is none
                // here: the model must read every declaration.
                let unchecked_help = d.help.as_deref().is_some_and(|help| {
                    help.contains("migrate:unchecked") && !help.contains("pg-query")
                });
                if declarations_only && unchecked_help {
                    d.help = Some(
                        "correct the statement: the declared schema is read by the parsers \
                         revisions are read by, and every declaration must be read"
                            .to_string(),
                    );
                }
                errors.push(d);
                continue;
            }
        };
        let where_ = format!("{}:{line}", file.display());
        let not_declaration = || {
            at(
                format!(
                    "{where_}: the declared schema holds only declarations (CREATE ...); \
                     this statement is not one: write it in a revision"
                ),
                "not a declaration",
            )
        };
        // sqlparser read it but kept no tree: a data statement (INSERT, ...).
        if parsed.checked_by == CheckedBy::Sqlparser && parsed.ast.is_none() {
            errors.push(not_declaration());
            continue;
        }
        // A routine only PostgreSQL's own parser reads (an option sqlparser
        // does not know): the model follows its text.
        if parsed.checked_by == CheckedBy::PgQuery && crate::schema::is_routine(text_of) {
            let mut problems: Vec<Problem> = Vec::new();
            schema.declare_routine(text_of, &mut problems);
            for problem in problems {
                errors.push(at(format!("{where_}: {}", problem.message), "here"));
            }
            continue;
        }
        let Some(ast) = parsed
            .ast
            .filter(|_| parsed.checked_by == CheckedBy::Sqlparser)
        else {
            // Read by PostgreSQL's parser only: a `DO` block, a `GRANT`, ...
            // is not a declaration, whatever the model could read of it.
            if declarations_only && !starts_a_declaration(text_of) {
                errors.push(not_declaration());
                continue;
            }
            errors.push(at(
                if declarations_only {
                    format!(
                        "{where_}: the declared schema holds a statement the model cannot read; \
                         declare it in a revision instead"
                    )
                } else {
                    format!(
                        "{where_}: the schema model cannot read this definition, so the object \
                         is not known for sure (autogenerate does not guess it)"
                    )
                },
                "not readable by the schema model",
            ));
            continue;
        };
        if declarations_only && !is_declaration(&ast) {
            errors.push(not_declaration());
            continue;
        }
        if declarations_only {
            if let sqlparser::ast::Statement::CreateTable(create) = &*ast {
                for clause in not_held(create) {
                    let mut d = at(
                        format!(
                            "{where_}: table {}: `{clause}` is a clause the schema model does \
                             not hold: autogenerate neither compares nor writes it",
                            create.name
                        ),
                        "not held by the model",
                    );
                    d.severity = Severity::Warning;
                    d.code = Code::NotHeld;
                    d.help = Some(
                        "a revision that creates or changes this table leaves the clause out: \
                         write that part by hand"
                            .to_string(),
                    );
                    errors.push(d);
                }
            }
        }
        // A MySQL engine other than InnoDB (MyISAM, MEMORY, ...) parses
        // foreign keys and ignores them: no reference of its is certain to
        // fail, so its table is not checked for dangling references.
        if let (Some(tables), sqlparser::ast::Statement::CreateTable(create)) =
            (tables.as_deref_mut(), &*ast)
        {
            if dialect != Dialect::MySql || enforces_foreign_keys(create) {
                tables.push((
                    dialect.object_name(&create.name),
                    Label {
                        file: file.to_path_buf(),
                        span: span.clone(),
                        message: String::new(),
                        primary: true,
                    },
                    line,
                ));
            }
        }
        let mut problems: Vec<Problem> = Vec::new();
        let was_open = schema.is_open();
        schema.apply_ast(&ast, text_of, &mut problems);
        for problem in problems {
            errors.push(at(format!("{where_}: {}", problem.message), "here"));
        }
        if schema.is_open() && !was_open {
            errors.push(at(
                if declarations_only {
                    format!(
                        "{where_}: the schema model cannot follow this statement, so the declared \
                         schema would not be known"
                    )
                } else {
                    format!(
                        "{where_}: the schema model cannot follow this definition, so the \
                         database's schema would not be known"
                    )
                },
                "not followed by the model",
            ));
        }
    }
}

fn parse(
    file: &Path,
    text: &str,
    statement: &mut Statement,
    dialect: Dialect,
) -> Result<crate::parse::Parsed, Diagnostic> {
    crate::parse::parse_statement(file, text, statement, dialect)
}

/// Whether a MySQL `CREATE TABLE` makes a table whose engine enforces
/// foreign keys: no `ENGINE` option (the server's default, InnoDB unless
/// configured otherwise), or `ENGINE = InnoDB`.
fn enforces_foreign_keys(create: &sqlparser::ast::CreateTable) -> bool {
    use sqlparser::ast::CreateTableOptions;
    let options = match &create.table_options {
        CreateTableOptions::None => return true,
        CreateTableOptions::With(o)
        | CreateTableOptions::Options(o)
        | CreateTableOptions::Plain(o)
        | CreateTableOptions::TableProperties(o) => o,
    };
    options.iter().all(|option| {
        let text = option.to_string().to_ascii_uppercase();
        let Some(rest) = text.strip_prefix("ENGINE") else {
            return true;
        };
        let engine = rest
            .trim_start_matches([' ', '=', '('])
            .trim_end_matches(')');
        engine.trim().trim_matches(['`', '\'', '"']) == "INNODB"
    })
}

/// The clauses of a declared `CREATE TABLE` that the schema model does not
/// hold, as written: table options (`UNLOGGED`, `WITH (...)`, `ENGINE =
/// ...`, `STRICT`, `PARTITION BY`, ...), column options (`COLLATE`,
/// `CHARACTER SET`, `ON UPDATE`, ...), `DEFERRABLE` on a unique or primary
/// key, and full-text or spatial keys. The model keeps the rest of the
/// table; these are what a comparison cannot see and a generated `CREATE
/// TABLE` would leave out. A table option the model does hold (MySQL's
/// `COMMENT`) is not listed.
pub(crate) fn not_held(create: &sqlparser::ast::CreateTable) -> Vec<String> {
    use sqlparser::ast::{ColumnOption, CreateTableOptions, SqlOption, TableConstraint};
    let mut out = Vec::new();
    if create.unlogged {
        out.push("UNLOGGED".to_string());
    }
    if create.temporary {
        out.push("TEMPORARY".to_string());
    }
    match &create.table_options {
        CreateTableOptions::None => {}
        CreateTableOptions::With(options)
        | CreateTableOptions::Options(options)
        | CreateTableOptions::Plain(options)
        | CreateTableOptions::TableProperties(options) => {
            let with = matches!(create.table_options, CreateTableOptions::With(_));
            for option in options {
                if !matches!(option, SqlOption::Comment(_)) {
                    out.push(if with {
                        format!("WITH ({option})")
                    } else {
                        option.to_string()
                    });
                }
            }
        }
    }
    for option in &create.sqlite_table_options.options {
        out.push(option.to_string());
    }
    if let Some(p) = &create.partition_by {
        out.push(format!("PARTITION BY {p}"));
    }
    if create.on_commit.is_some() {
        out.push("ON COMMIT ...".to_string());
    }
    if let Some(c) = &create.cluster_by {
        out.push(format!("CLUSTER BY {c}"));
    }
    if let Some(o) = &create.order_by {
        out.push(format!("ORDER BY {o}"));
    }
    for column in &create.columns {
        for option in &column.options {
            let held = match &option.option {
                ColumnOption::CharacterSet(_)
                | ColumnOption::Collation(_)
                | ColumnOption::OnUpdate(_)
                | ColumnOption::OnConflict(_)
                | ColumnOption::Options(_)
                | ColumnOption::Invisible
                | ColumnOption::Srid(_)
                | ColumnOption::Policy(_)
                | ColumnOption::Tags(_) => false,
                ColumnOption::Unique(u) => u.characteristics.is_none(),
                ColumnOption::PrimaryKey(p) => p.characteristics.is_none(),
                _ => true,
            };
            if !held {
                out.push(format!("{} {}", column.name, option.option));
            }
        }
    }
    for constraint in &create.constraints {
        let held = match constraint {
            TableConstraint::Unique(u) => u.characteristics.is_none(),
            TableConstraint::PrimaryKey(p) => p.characteristics.is_none(),
            TableConstraint::FulltextOrSpatial(_) => false,
            _ => true,
        };
        if !held {
            out.push(constraint.to_string());
        }
    }
    out
}

/// Whether `text` (one statement) begins with `CREATE` or `COMMENT`, the
/// words a declaration starts with, after any comments.
fn starts_a_declaration(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, next)| next);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, next)| next);
        } else {
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    word.eq_ignore_ascii_case("create") || word.eq_ignore_ascii_case("comment")
}

/// What the declared schema may hold: `CREATE` statements, comments, and
/// `ALTER TABLE ... ADD CONSTRAINT` (nothing else in it), which declares a
/// constraint after its table (one added `NOT VALID`, a foreign key of a
/// cycle).
fn is_declaration(statement: &sqlparser::ast::Statement) -> bool {
    use sqlparser::ast::{AlterTableOperation, Statement as S};
    if let S::AlterTable(alter) = statement {
        return !alter.operations.is_empty()
            && alter
                .operations
                .iter()
                .all(|o| matches!(o, AlterTableOperation::AddConstraint { .. }));
    }
    matches!(
        statement,
        S::CreateTable(_)
            | S::CreateIndex(_)
            | S::CreateView(_)
            | S::CreateType { .. }
            | S::CreateDomain(_)
            | S::CreateSequence { .. }
            | S::CreateSchema { .. }
            | S::CreateExtension(_)
            | S::CreateFunction(_)
            | S::CreateProcedure { .. }
            | S::Comment { .. }
    )
}

fn error(code: Code, message: String, label: Option<Label>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        message,
        labels: label.into_iter().collect(),
        notes: Vec::new(),
        help: None,
    }
}

#[cfg(test)]
mod tests;
