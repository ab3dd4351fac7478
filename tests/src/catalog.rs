//! The fidelity tests' side of catalog introspection: a revision replayed
//! on the server and on the model together (`step`), and a downgrade run in
//! a rolled-back transaction (`downgrade_round_trip`) or, on MariaDB, for real
//! (`run_for_real`). Reading the catalog,
//! its normal form and the comparison are library code, `migrate-introspect`
//! (also what `cargo migrate check --drift` runs); they are re-exported here
//! for the tests.

use migrate_build::schema::Schema;
pub use migrate_introspect::{
    catalog_differences, compare, compare_texts, introspect, normal_type, reprint,
    texts_to_compare, Catalog, Compare, Comparison, Declared, Mismatch, Unknown,
};
use migrate_runtime::MigrateConnection;

/// What `kind`'s catalog can be compared on ([`Compare::for_dialect`]).
pub fn compare_for(kind: crate::Kind) -> Compare {
    Compare::for_dialect(match kind {
        crate::Kind::Postgres => migrate_build::schema::Dialect::Postgres,
        crate::Kind::MySql => migrate_build::schema::Dialect::MySql,
        crate::Kind::Sqlite => migrate_build::schema::Dialect::Sqlite,
    })
}

/// A statement the server refused, with what the model said of it.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The revision's id.
    pub revision: String,
    /// The statement's first line.
    pub statement: String,
    /// The server's message.
    pub error: String,
    /// The `unknown-object` / `duplicate-object` problems the model reported
    /// for the statement (empty: the model did not see it coming).
    pub model: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.revision, self.statement, self.error)?;
        if self.model.is_empty() {
            write!(f, " (the model reports nothing)")
        } else {
            write!(f, " (the model: {})", self.model.join("; "))
        }
    }
}

/// One revision replayed on the server and on the model.
#[derive(Debug)]
pub struct Step {
    /// The revision's id.
    pub revision: String,
    /// `unknown-object` / `duplicate-object` problems the model reported
    /// for statements the server ran without error: each a false error.
    pub false_errors: Vec<String>,
    /// Statements the server refused. The model skips them too (it follows
    /// what the server holds), after noting what it would have reported.
    pub server_errors: Vec<Refused>,
    /// Model against catalog after the revision.
    pub comparison: Comparison,
    /// The catalog after the revision.
    pub catalog: Catalog,
}

/// Compiles `upgrade` (SQL text) as revision `id` of `dialect`.
pub fn compile_revision(
    id: &str,
    parent: &str,
    upgrade: &str,
    transactional: bool,
    dialect: migrate_build::config::Dialect,
) -> Result<migrate_build::CompiledRevision, Vec<migrate_build::Diagnostic>> {
    compile_revision_with_downgrade(id, parent, upgrade, None, transactional, dialect)
}

/// Compiles `upgrade` and, when given, `downgrade` (SQL text, with its
/// section's transaction mode) as revision `id` of `dialect`.
pub fn compile_revision_with_downgrade(
    id: &str,
    parent: &str,
    upgrade: &str,
    downgrade: Option<(&str, bool)>,
    transactional: bool,
    dialect: migrate_build::config::Dialect,
) -> Result<migrate_build::CompiledRevision, Vec<migrate_build::Diagnostic>> {
    let config = migrate_build::config::Config {
        dialect,
        ..Default::default()
    };
    let marker = if transactional {
        "-- migrate:upgrade\n"
    } else {
        "-- migrate:upgrade transaction:false\n"
    };
    let mut text = format!("-- revision: {id}\n-- down_revision: {parent}\n\n{marker}{upgrade}\n");
    if let Some((down, down_transactional)) = downgrade {
        let marker = if down_transactional {
            "-- migrate:downgrade\n"
        } else {
            "-- migrate:downgrade transaction:false\n"
        };
        text.push_str(&format!("\n{marker}{down}\n"));
    }
    // A statement no parser here accepts gets the documented way through,
    // `-- migrate:unchecked`, as a user would write it (without the
    // `pg-query` feature, sqlparser alone judges).
    for _ in 0..50 {
        let file = migrate_build::source::SourceFile {
            path: format!("migrations/{id}.sql").into(),
            text: text.clone(),
        };
        let diagnostics = match migrate_build::revision::compile_file(&file, &config) {
            Ok(revision) => return Ok(revision),
            Err(diagnostics) => diagnostics,
        };
        let Some(at) = diagnostics
            .iter()
            .filter(|d| d.code == "sql-syntax")
            .filter_map(|d| d.labels.iter().map(|l| l.span.start).min())
            .min()
        else {
            return Err(diagnostics);
        };
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text.insert_str(
            line_start,
            "-- migrate:unchecked -- not parsed by sqlparser\n",
        );
    }
    let file = migrate_build::source::SourceFile {
        path: format!("migrations/{id}.sql").into(),
        text,
    };
    migrate_build::revision::compile_file(&file, &config)
}

/// The first line of a statement, for messages.
fn first_line(sql: &str) -> String {
    sql.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("")
        .to_string()
}

/// Model errors (not the `uncertain-object` warnings) as messages.
fn errors(revision: &str, sql: &str, problems: Vec<migrate_build::schema::Problem>) -> Vec<String> {
    problems
        .into_iter()
        .filter(|p| p.kind != migrate_build::schema::ProblemKind::Uncertain)
        .map(|p| format!("{revision}: {}: {}", first_line(sql), p.message))
        .collect()
}

async fn execute(db: &MigrateConnection, sql: &str) -> Result<(), sqlx::Error> {
    match db {
        MigrateConnection::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        MigrateConnection::MySql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
}

/// Runs `revision`'s upgrade statement by statement on `db` and on
/// `model`, then compares the model with the catalog. A statement the
/// server refuses is replayed on a copy of the model only, to record what
/// the model says of it: the model goes on from what the server holds.
pub async fn step(
    db: &MigrateConnection,
    model: &mut Schema,
    revision: &migrate_build::CompiledRevision,
    how: Compare,
) -> Step {
    let mut out = Step {
        revision: revision.id.clone(),
        false_errors: Vec::new(),
        server_errors: Vec::new(),
        comparison: Comparison::default(),
        catalog: Catalog::new(),
    };
    model.set_origin(&revision.id);
    for section in &revision.upgrade {
        for statement in &section.statements {
            let sql = &revision.source[statement.span.clone()];
            match execute(db, sql).await {
                Ok(()) => {
                    let problems = model.apply(statement, &revision.source);
                    out.false_errors.extend(errors(&revision.id, sql, problems));
                }
                Err(e) => {
                    let mut copy = model.clone();
                    let problems = copy.apply(statement, &revision.source);
                    out.server_errors.push(Refused {
                        revision: revision.id.clone(),
                        statement: first_line(sql),
                        error: e.to_string(),
                        model: errors(&revision.id, sql, problems),
                    });
                }
            }
        }
    }
    match introspect(db).await {
        Ok(catalog) => {
            out.comparison = compare(model, &catalog, how);
            if let Err(e) = compare_model_texts(db, model, &catalog, &mut out.comparison).await {
                out.server_errors.push(Refused {
                    revision: revision.id.clone(),
                    statement: "reprint of the model's texts".to_string(),
                    error: e.to_string(),
                    model: Vec::new(),
                });
            }
            out.catalog = catalog;
        }
        Err(e) => out.server_errors.push(Refused {
            revision: revision.id.clone(),
            statement: "introspection".to_string(),
            error: e.to_string(),
            model: Vec::new(),
        }),
    }
    out
}

/// The server's prints of texts already asked for, by text and the
/// catalog entries of the relations it is on or reads (what the print
/// depends on): a history's revisions ask for the same texts again and again.
type ReprintCache = std::collections::HashMap<(Declared, String), Result<String, String>>;

static REPRINTS: std::sync::Mutex<Option<ReprintCache>> = std::sync::Mutex::new(None);

/// Compares the model's check, index-expression, view, default and
/// generation-expression texts with the catalog's exactly, once the server
/// has printed them its own way ([`reprint`]).
pub async fn compare_model_texts(
    db: &MigrateConnection,
    model: &Schema,
    catalog: &Catalog,
    comparison: &mut Comparison,
) -> Result<(), migrate_introspect::Error> {
    let (texts, unknown) = texts_to_compare(model, catalog);
    comparison.unknown.extend(unknown);
    comparison.unknown.sort();
    let relations = |d: &Declared| -> String {
        // A default's print depends on its column's type only (and on the
        // objects it names, whose renames make it unsure): a table's other
        // changes do not print it again.
        if let Declared::Default { table, column, .. } = d {
            let table = migrate_build::schema::key(migrate_build::schema::ObjectKind::Table, table);
            return match catalog.get(&table) {
                Some(migrate_build::schema::Object::Table(t)) => {
                    format!("{:?}", t.column(column).map(|c| &c.data_type))
                }
                _ => String::new(),
            };
        }
        d.relations()
            .iter()
            .map(|n| {
                let table = migrate_build::schema::key(migrate_build::schema::ObjectKind::Table, n);
                let view = migrate_build::schema::key(migrate_build::schema::ObjectKind::View, n);
                format!("{:?}", catalog.get(&table).or(catalog.get(&view)))
            })
            .collect()
    };
    let server = format!("{:?}", migrate_introspect::dialect_of(db));
    let keys: Vec<(Declared, String)> = texts
        .iter()
        .map(|t| (t.declared.clone(), server.clone() + &relations(&t.declared)))
        .collect();
    let missing: Vec<usize> = {
        let cache = REPRINTS.lock().expect("reprint cache");
        (0..keys.len())
            .filter(|i| cache.as_ref().is_none_or(|c| !c.contains_key(&keys[*i])))
            .collect()
    };
    if !missing.is_empty() {
        let declared: Vec<Declared> = missing.iter().map(|i| keys[*i].0.clone()).collect();
        let printed = reprint(db, catalog, &declared).await?.unwrap_or_default();
        let mut cache = REPRINTS.lock().expect("reprint cache");
        let cache = cache.get_or_insert_with(Default::default);
        for (i, text) in missing.iter().zip(printed) {
            cache.insert(keys[*i].clone(), text);
        }
    }
    let reprinted: Vec<Result<String, String>> = {
        let cache = REPRINTS.lock().expect("reprint cache");
        let cache = cache.as_ref();
        keys.iter()
            .map(|k| {
                cache
                    .and_then(|c| c.get(k).cloned())
                    .unwrap_or_else(|| Err("not printed".to_string()))
            })
            .collect()
    };
    compare_texts(&texts, &reprinted, comparison);
    Ok(())
}

/// What a revision's downgrade did on the server, run right after its
/// upgrade inside a transaction that is rolled back (PostgreSQL and SQLite
/// undo DDL with it), so the database stays at the upgrade's result.
#[derive(Debug)]
pub enum RoundTrip {
    /// The catalog after the downgrade differs from the one before the
    /// upgrade (empty: it is the same).
    Ran(Vec<String>),
    /// A downgrade statement failed: the statement and the server's message.
    Failed(String),
}

/// Runs `revision`'s downgrade in a transaction on `db`, reads the catalog,
/// rolls back, and compares that catalog with `before` (the one before the
/// upgrade). `CONCURRENTLY`, which cannot run in a transaction, is left out:
/// it changes how an index is built, not the catalog.
pub async fn downgrade_round_trip(
    db: &MigrateConnection,
    revision: &migrate_build::CompiledRevision,
    before: &Catalog,
) -> Result<RoundTrip, migrate_introspect::Error> {
    let statements: Vec<String> = revision
        .downgrade
        .iter()
        .flat_map(|s| &s.statements)
        .map(|st| {
            let sql = &revision.source[st.span.clone()];
            sql.replace(" CONCURRENTLY", "")
                .replace(" concurrently", "")
        })
        .collect();
    macro_rules! round_trip {
        ($pool:expr, $introspect:path) => {{
            let mut tx = $pool.begin().await?;
            let mut failed = None;
            for sql in &statements {
                if let Err(e) = sqlx::raw_sql(sql).execute(&mut *tx).await {
                    failed = Some(format!("{}: {e}", first_line(sql)));
                    break;
                }
            }
            let result = match failed {
                Some(failure) => RoundTrip::Failed(failure),
                None => RoundTrip::Ran(catalog_differences(before, &$introspect(&mut *tx).await?)),
            };
            tx.rollback().await?;
            result
        }};
    }
    Ok(match db {
        MigrateConnection::Postgres(pool) => {
            round_trip!(pool, migrate_introspect::postgres::introspect)
        }
        MigrateConnection::Sqlite(pool) => {
            round_trip!(pool, migrate_introspect::sqlite::introspect)
        }
        MigrateConnection::MySql(_) => {
            return Err(migrate_introspect::Error::Query(sqlx::Error::Protocol(
                "MariaDB commits DDL at once: no round trip in a transaction (run_for_real)"
                    .to_string(),
            )))
        }
    })
}

/// Runs `revision`'s upgrade (`downgrade` false) or downgrade statements on
/// `db` for real, one by one, outside any transaction: the round trips on
/// MariaDB, which commits DDL at once. The first statement the server
/// refuses stops it, returned as its first line and the server's message.
pub async fn run_for_real(
    db: &MigrateConnection,
    revision: &migrate_build::CompiledRevision,
    downgrade: bool,
) -> Result<(), String> {
    let sections = if downgrade {
        &revision.downgrade
    } else {
        &revision.upgrade
    };
    for statement in sections.iter().flat_map(|s| &s.statements) {
        let sql = &revision.source[statement.span.clone()];
        execute(db, sql)
            .await
            .map_err(|e| format!("{}: {e}", first_line(sql)))?;
    }
    Ok(())
}
