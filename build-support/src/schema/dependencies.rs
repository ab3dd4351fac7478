//! What PostgreSQL drops with a column (`ALTER TABLE ... DROP COLUMN`, and
//! the columns a `DROP TYPE ... CASCADE` takes), found from the texts the
//! model keeps: the table's own constraints and indexes that read the
//! column go even without `CASCADE` (multi-column ones too); with it, the
//! foreign keys of other tables that reference the column and the views
//! that read it, with what depends on them. Each rule was checked on
//! PostgreSQL 15 (`tests/tests/schema_model.rs` holds the cases).
//!
//! A dependency is answered yes, no, or not known (`None`); what the model
//! cannot tell becomes uncertain, never dropped on a guess.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterTableOperation, Expr, Query, SelectItem, SetExpr, Statement, TableAlias, TableConstraint,
    TableFactor, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::names::Naming;
use super::{key, ConstraintKind, Dialect, IndexPredicate, Name, Object, ObjectKey, ObjectKind};
use super::{CompactString, Schema, Table, TypeKind, View};

/// The one statement `sql`, parsed as PostgreSQL does; `None` when it does
/// not parse.
fn parse_one(sql: &str) -> Option<Statement> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    (statements.len() == 1).then(|| statements.remove(0))
}

/// Whether `expr` names the column `column` (`c`, or `x.c`).
fn names_column(expr: &Expr, column: &str, dialect: Dialect) -> bool {
    match expr {
        Expr::Identifier(ident) => dialect.fold(ident) == column,
        Expr::CompoundIdentifier(parts) => parts.last().is_some_and(|i| dialect.fold(i) == column),
        _ => false,
    }
}

/// Whether an expression of `statement` names the column `column`.
fn statement_names(statement: &Statement, column: &str, dialect: Dialect) -> bool {
    sqlparser::ast::visit_expressions(statement, |expr| {
        if names_column(expr, column, dialect) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// Whether a check constraint printed as `definition` (`CHECK (a < b)`)
/// reads `column`; `None` when the text does not parse.
pub(crate) fn check_reads(definition: &str, column: &str, dialect: Dialect) -> Option<bool> {
    let statement = parse_one(&format!("ALTER TABLE t ADD {definition}"))?;
    Some(statement_names(&statement, column, dialect))
}

/// Whether an index whose text after the table is `definition`
/// (`USING gin (a, lower(b)) WHERE c`) reads `column` (a key column, an
/// expression or its `WHERE`); `None` when the text does not parse.
pub(crate) fn index_reads(definition: &str, column: &str, dialect: Dialect) -> Option<bool> {
    let statement = parse_one(&format!("CREATE INDEX i ON t {definition}"))?;
    Some(statement_names(&statement, column, dialect))
}

/// Whether a column's generated clause printed as `clause` (`GENERATED
/// ALWAYS AS (a * 2) STORED`) reads `column`; `None` when the text does
/// not parse.
pub(crate) fn generated_reads(clause: &str, column: &str, dialect: Dialect) -> Option<bool> {
    let statement = parse_one(&format!("ALTER TABLE t ADD COLUMN x INT {clause}"))?;
    Some(statement_names(&statement, column, dialect))
}

/// The referenced columns of a foreign key printed as `definition`
/// (`FOREIGN KEY (a) REFERENCES t(id)`): empty when it names none (the
/// primary key), `None` when the text does not parse.
pub(super) fn referenced_columns(definition: &str, dialect: Dialect) -> Option<Vec<CompactString>> {
    let Statement::AlterTable(alter) = parse_one(&format!("ALTER TABLE t ADD {definition}"))?
    else {
        return None;
    };
    match alter.operations.first()? {
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::ForeignKey(fk),
            ..
        } => Some(
            fk.referred_columns
                .iter()
                .map(|i| dialect.fold(i))
                .collect(),
        ),
        _ => None,
    }
}

/// What a view's query shows of the names in it.
#[derive(Default)]
struct QueryNames {
    /// A `*` or `x.*` among the output columns.
    wildcard: bool,
    /// Output column aliases, table and function aliases, CTE names.
    aliases: BTreeSet<CompactString>,
    /// A table alias renames columns (`x(a, b)`), or a `FROM` item the
    /// model does not read.
    renames: bool,
    dialect: Option<Dialect>,
}

impl QueryNames {
    fn fold(&self, ident: &sqlparser::ast::Ident) -> CompactString {
        self.dialect.unwrap_or(Dialect::Postgres).fold(ident)
    }

    fn alias(&mut self, alias: &Option<TableAlias>) {
        if let Some(alias) = alias {
            let name = self.fold(&alias.name);
            self.aliases.insert(name);
            if !alias.columns.is_empty() {
                self.renames = true;
            }
        }
    }

    fn body(&mut self, body: &SetExpr) {
        match body {
            SetExpr::Select(select) => {
                for item in &select.projection {
                    match item {
                        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                            self.wildcard = true
                        }
                        SelectItem::ExprWithAlias { alias, .. } => {
                            let name = self.fold(alias);
                            self.aliases.insert(name);
                        }
                        SelectItem::UnnamedExpr(_) => {}
                        _ => self.renames = true,
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.body(left);
                self.body(right);
            }
            // A nested query is visited on its own.
            SetExpr::Query(_) | SetExpr::Values(_) => {}
            _ => self.renames = true,
        }
    }
}

impl Visitor for QueryNames {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = self.fold(&cte.alias.name);
                self.aliases.insert(name);
                if !cte.alias.columns.is_empty() {
                    self.renames = true;
                }
            }
        }
        self.body(&query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::TableFunction { alias, .. }
            | TableFactor::Function { alias, .. }
            | TableFactor::UNNEST { alias, .. }
            | TableFactor::NestedJoin { alias, .. } => self.alias(alias),
            _ => self.renames = true,
        }
        ControlFlow::Continue(())
    }
}

/// Whether `view` reads the column `column` of `table` (PostgreSQL records
/// a view's dependency on each column its query names; a `*` on the
/// columns the table had when the view was made, which the model does not
/// keep). Yes only when the query reads `table` alone and names `column`
/// where nothing else could take that name; no when the view does not read
/// the table, or its query names no such column and has no `*`, `NATURAL`
/// join or `USING`; otherwise `None`.
pub(super) fn view_reads(view: &View, table: &Name, column: &str) -> Option<bool> {
    if !view.depends_on.contains(table) {
        return Some(false);
    }
    let definition = view.definition.as_deref()?;
    let lower = definition.to_lowercase();
    let words: BTreeSet<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains("natural") {
        return None;
    }
    let named_word = words.contains(column.to_lowercase().as_str());
    let statement = match parse_one(&format!("CREATE VIEW v {definition}")) {
        Some(statement) => statement,
        None if !named_word && !definition.contains('*') => return Some(false),
        None => return None,
    };
    let mut names = QueryNames {
        dialect: Some(Dialect::Postgres),
        ..QueryNames::default()
    };
    let _ = statement.visit(&mut names);
    let named = statement_names(&statement, column, Dialect::Postgres);
    let using = words.contains("using") && named_word;
    if !named && !names.wildcard && !using {
        return Some(false);
    }
    let alone = view.depends_on.len() == 1;
    if named && alone && !names.renames && !names.aliases.contains(column) {
        return Some(true);
    }
    None
}

/// Whether the type text `text` (a column's normalised type, a domain's
/// base type, an argument type as the server prints it) is the type
/// `name`, or an array of it; `None` when it may be but the model cannot
/// tell (the normalised text lost the case of a quoted name).
pub(super) fn is_type(text: &str, name: &Name) -> Option<bool> {
    let lower = text.trim().to_lowercase();
    let wanted = name.name.to_lowercase();
    let mentions = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w == wanted);
    if !mentions {
        return Some(false);
    }
    let mut bare = lower.as_str();
    while let Some(stripped) = bare.strip_suffix(']') {
        bare = stripped.rsplit_once('[')?.0.trim_end();
    }
    let parts: Vec<&str> = bare
        .split('.')
        .map(|p| p.trim().trim_matches('"'))
        .collect();
    let (schema, own) = match parts.as_slice() {
        [own] => (None, *own),
        [schema, own] => (Some(*schema), *own),
        _ => return None,
    };
    if own.contains(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
        return None;
    }
    if own != wanted {
        return Some(false);
    }
    let wanted_schema = name.schema.as_deref().unwrap_or("public");
    if schema.is_some_and(|s| s != wanted_schema.to_lowercase()) {
        return Some(false);
    }
    if name.name != wanted || (schema.is_none() && name.schema.is_some()) {
        // A quoted name in mixed case, or a schema the search path may
        // or may not reach.
        return None;
    }
    Some(true)
}

impl Schema {
    /// PostgreSQL: before `column` leaves `table`, drops what goes with it
    /// besides what names it in its column list (which `drop_column`
    /// handles): checks, expression and partial indexes that read it, and,
    /// with `cascade`, the foreign keys of other tables that reference it
    /// and the views that read it (with their dependents). A dependency the
    /// model cannot judge makes the object uncertain (or the constraint
    /// list untrusted).
    pub(super) fn pg_drop_column_dependents(
        &mut self,
        table: &mut Table,
        column: &str,
        cascade: bool,
    ) {
        let d = self.dialect;
        let primary_key: Vec<CompactString> = table
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.columns.clone())
            .unwrap_or_default();
        // The table's own constraints.
        let mut unsure = false;
        let own = table.name.clone();
        table.constraints.retain(|c| {
            if c.columns.iter().any(|c| c == column) {
                return true; // `drop_column` takes it.
            }
            match c.kind {
                ConstraintKind::Check | ConstraintKind::Other if c.columns.is_empty() => {
                    match c
                        .definition
                        .as_deref()
                        .and_then(|t| check_reads(t, column, d))
                    {
                        Some(reads) => !reads,
                        None => {
                            unsure = true;
                            true
                        }
                    }
                }
                ConstraintKind::ForeignKey if c.references.as_ref() == Some(&own) => {
                    match fk_references(c, &primary_key, d) {
                        Some(columns) => !(cascade && columns.iter().any(|c| c == column)),
                        None => {
                            unsure |= cascade;
                            true
                        }
                    }
                }
                ConstraintKind::PrimaryKey
                | ConstraintKind::Unique
                | ConstraintKind::ForeignKey
                    if c.columns.is_empty() =>
                {
                    unsure = true;
                    true
                }
                _ => true,
            }
        });
        if unsure {
            table.open_constraints = true;
        }
        // The table's indexes that read it other than as a key column.
        for index_name in table.indexes.clone() {
            let k = key(ObjectKind::Index, &index_name);
            let Some(Object::Index(index)) = self.objects.get(&k) else {
                continue;
            };
            if index.constraint || index.columns.iter().any(|c| c.as_deref() == Some(column)) {
                continue;
            }
            let plain = index.columns.iter().all(Option::is_some)
                && index.predicate == IndexPredicate::Whole;
            if plain {
                continue;
            }
            match index
                .definition
                .as_deref()
                .and_then(|t| index_reads(t, column, d))
            {
                Some(true) => {
                    self.discard(&k);
                    table.indexes.remove(&index_name);
                }
                Some(false) => {}
                None => self.make_uncertain(k),
            }
        }
        if !cascade {
            // Without CASCADE the server refuses when a view or another
            // table's foreign key depends on the column: nothing else goes.
            return;
        }
        let mut referrers: Vec<ObjectKey> = self
            .referrers
            .get(&table.name)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default();
        referrers.sort();
        for k in referrers {
            match self.objects.get(&k) {
                Some(Object::Table(other)) if other.name != table.name => {
                    let mut other = other.clone();
                    let before = other.constraints.len();
                    let mut unsure = false;
                    other.constraints.retain(|c| {
                        if c.kind != ConstraintKind::ForeignKey
                            || c.references.as_ref() != Some(&table.name)
                        {
                            return true;
                        }
                        match fk_references(c, &primary_key, d) {
                            Some(columns) => !columns.iter().any(|c| c == column),
                            None => {
                                unsure = true;
                                true
                            }
                        }
                    });
                    if other.constraints.len() != before || unsure {
                        other.open_constraints |= unsure;
                        self.insert(k, Object::Table(other));
                    }
                }
                Some(Object::View(view)) => {
                    let verdict = view_reads(view, &table.name, column);
                    match verdict {
                        Some(true) => self.drop_relation(&k.name, true),
                        Some(false) => {}
                        None => {
                            for dependent in self.dependents(&k.name) {
                                self.make_uncertain(dependent);
                            }
                            self.make_uncertain(k);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// PostgreSQL's `DROP TYPE name CASCADE` after the type itself went:
    /// the domains over it (and over those), the columns of any of them or
    /// of an array of them (with what goes with a column), and the function
    /// overloads that take one. A column or domain that may be of the type
    /// makes its table or itself uncertain.
    pub(super) fn pg_drop_type_dependents(&mut self, name: &Name) {
        let mut doomed = vec![name.clone()];
        let mut i = 0;
        while i < doomed.len() {
            let current = doomed[i].clone();
            let mut domains: Vec<(ObjectKey, Option<bool>)> = self
                .objects
                .iter()
                .filter_map(|(k, o)| match o {
                    Object::Type(t) => match &t.kind {
                        TypeKind::Domain(Some(definition)) => {
                            let base = definition
                                .strip_prefix("AS ")
                                .and_then(|rest| rest.split_whitespace().next())
                                .map(|base| is_type(base, &current))
                                .unwrap_or(None);
                            Some((k.clone(), base))
                        }
                        TypeKind::Domain(None) => Some((k.clone(), None)),
                        // PostgreSQL drops the attribute of that type: the
                        // composite type is not known for sure.
                        TypeKind::Composite(definition) => definition
                            .as_deref()
                            .is_none_or(|d| {
                                d.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                                    .any(|w| w.eq_ignore_ascii_case(&current.name))
                            })
                            .then(|| (k.clone(), None)),
                        _ => None,
                    },
                    _ => None,
                })
                .filter(|(_, base)| *base != Some(false))
                .collect();
            domains.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, base) in domains {
                if base == Some(true) {
                    self.discard(&k);
                    doomed.push(k.name);
                } else {
                    self.make_uncertain(k);
                }
            }
            i += 1;
        }
        let mut tables: Vec<ObjectKey> = self
            .objects
            .iter()
            .filter(|(_, o)| matches!(o, Object::Table(_)))
            .map(|(k, _)| k.clone())
            .collect();
        tables.sort();
        for k in tables {
            let Some(Object::Table(table)) = self.objects.get(&k) else {
                continue;
            };
            let mut typed = Vec::new();
            let mut unsure = false;
            for c in table.columns.iter() {
                let verdicts: Vec<Option<bool>> =
                    doomed.iter().map(|t| is_type(&c.data_type, t)).collect();
                if verdicts.contains(&Some(true)) {
                    typed.push(c.name.clone());
                } else if verdicts.contains(&None) {
                    unsure = true;
                }
            }
            if unsure {
                self.make_uncertain(k.clone());
            }
            if typed.is_empty() {
                continue;
            }
            let Some(Object::Table(mut table)) = self.objects.get(&k).cloned() else {
                continue;
            };
            for column in typed {
                self.pg_drop_column_dependents(&mut table, &column, true);
                self.drop_column(&mut table, &column);
            }
            self.insert(k, Object::Table(table));
        }
        self.unsure_functions_taking(&doomed);
    }

    /// The functions that may take one of `types`: the model keeps the
    /// argument types of built-in types only (`pg_objects`), so a function
    /// whose overloads it does not know and whose text names one of them
    /// becomes uncertain (the server drops the overloads that take it).
    fn unsure_functions_taking(&mut self, types: &[Name]) {
        let mut unsure: Vec<ObjectKey> = self
            .objects
            .iter()
            .filter(|(_, o)| matches!(o, Object::Function(f) if f.signatures.is_none()))
            .filter(|(k, _)| {
                self.functions.get(k.name.name.as_str()).is_none_or(|text| {
                    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .any(|w| types.iter().any(|t| t.name.eq_ignore_ascii_case(w)))
                })
            })
            .map(|(k, _)| k.clone())
            .collect();
        unsure.sort();
        for k in unsure {
            self.make_uncertain(k);
        }
    }
}

/// The columns a foreign key references: those it names, else the
/// referenced table's primary key (`primary_key`, when the key references
/// that table); `None` when not known.
fn fk_references(
    constraint: &super::Constraint,
    primary_key: &[CompactString],
    dialect: Dialect,
) -> Option<Vec<CompactString>> {
    let columns = referenced_columns(constraint.definition.as_deref()?, dialect)?;
    if !columns.is_empty() {
        return Some(columns);
    }
    (!primary_key.is_empty()).then(|| primary_key.to_vec())
}

/// `name` as the server prints an identifier: bare when it is lower case
/// letters, digits and `_`, else quoted.
fn printed_ident(name: &str) -> sqlparser::ast::Ident {
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        sqlparser::ast::Ident::new(name)
    } else {
        sqlparser::ast::Ident::with_quote('"', name)
    }
}

/// `statement` with each column reference named `old` (`old`, `x.old`)
/// renamed `new`, as the server's reprint of a stored expression shows a
/// renamed column.
fn rename_in(statement: &mut Statement, old: &str, new: &str, dialect: Dialect) {
    let ident = || printed_ident(new);
    let _ = sqlparser::ast::visit_expressions_mut(statement, |expr| {
        match expr {
            Expr::Identifier(i) if dialect.fold(i) == old => *i = ident(),
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last_mut().filter(|i| dialect.fold(i) == old) {
                    *last = ident();
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
}

/// A check constraint's text (`CHECK (a > 0)`, maybe `NOT VALID`) after its
/// table's column `old` is renamed `new`; `None` when it does not parse.
pub(super) fn check_renamed(definition: &str, old: &str, new: &str, d: Dialect) -> Option<String> {
    let mut statement = parse_one(&format!("ALTER TABLE t ADD {definition}"))?;
    rename_in(&mut statement, old, new, d);
    let Statement::AlterTable(alter) = statement else {
        return None;
    };
    match alter.operations.first()? {
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } => {
            let text = super::apply::constraint_definition(constraint)?;
            Some(if *not_valid {
                format!("{text} NOT VALID")
            } else {
                text
            })
        }
        _ => None,
    }
}

/// An index's text after the table (`USING gin (lower(b)) WHERE c`) after
/// the table's column `old` is renamed `new`; `None` when it does not parse.
pub(super) fn index_renamed(definition: &str, old: &str, new: &str, d: Dialect) -> Option<String> {
    let mut statement = parse_one(&format!("CREATE INDEX i ON t {definition}"))?;
    rename_in(&mut statement, old, new, d);
    match statement {
        Statement::CreateIndex(create) => Some(super::apply::index_definition(&create)),
        _ => None,
    }
}

/// What a rename changes in a foreign key's text.
pub(super) enum KeyRename<'a> {
    /// The referenced table `from` is renamed `to`.
    Table(&'a Name, &'a Name),
    /// A column of the key's own table is renamed (old, new).
    Column(&'a str, &'a str),
    /// A column of the referenced table is renamed (old, new).
    Referred(&'a str, &'a str),
}

/// `name` as an identifier of `dialect` in a renamed text: with the quotes
/// of the identifier it replaces, else bare when the server would print it
/// bare, else quoted (backticks on MySQL).
fn renamed_ident(
    name: &str,
    old: &sqlparser::ast::Ident,
    dialect: Dialect,
) -> sqlparser::ast::Ident {
    match old.quote_style {
        Some(q) => sqlparser::ast::Ident::with_quote(q, name),
        None if dialect == Dialect::MySql => {
            if name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            {
                sqlparser::ast::Ident::new(name)
            } else {
                sqlparser::ast::Ident::with_quote('`', name)
            }
        }
        None => printed_ident(name),
    }
}

/// A key's text (`FOREIGN KEY (a) REFERENCES t(id) ...`, `PRIMARY KEY
/// (a)`, `UNIQUE (a, b)`) after `rename`, as the server prints the key
/// then: PostgreSQL, SQLite (3.26 and later) and MySQL/MariaDB follow a
/// renamed table or column in the keys that name it. Another constraint's
/// text, or a rename that is not in it, comes back as it was. The text is
/// read with `dialect`'s parser; `None` when it does not parse.
pub(super) fn key_renamed(
    definition: &str,
    rename: &KeyRename<'_>,
    dialect: Dialect,
) -> Option<String> {
    let parser = crate::config::sqlparser_dialect(dialect);
    let mut statements =
        Parser::parse_sql(parser, &format!("ALTER TABLE t ADD {definition}")).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let Statement::AlterTable(mut alter) = statements.remove(0) else {
        return None;
    };
    let AlterTableOperation::AddConstraint {
        constraint,
        not_valid,
    } = alter.operations.first_mut()?
    else {
        return None;
    };
    let rename_idents = |idents: &mut Vec<sqlparser::ast::Ident>, old: &str, new: &str| {
        for ident in idents.iter_mut() {
            if dialect.fold(ident) == old {
                *ident = renamed_ident(new, ident, dialect);
            }
        }
    };
    let rename_columns = |columns: &mut Vec<sqlparser::ast::IndexColumn>, old: &str, new: &str| {
        for column in columns.iter_mut() {
            if let Expr::Identifier(ident) = &mut column.column.expr {
                if dialect.fold(ident) == old {
                    *ident = renamed_ident(new, ident, dialect);
                }
            }
        }
    };
    match (&mut *constraint, rename) {
        (TableConstraint::ForeignKey(fk), KeyRename::Table(from, to)) => {
            if dialect.object_name(&fk.foreign_table) != **from {
                return Some(definition.to_string());
            }
            let last = fk.foreign_table.0.last_mut()?;
            let old = last.as_ident()?.clone();
            *last =
                sqlparser::ast::ObjectNamePart::Identifier(renamed_ident(&to.name, &old, dialect));
        }
        (TableConstraint::ForeignKey(fk), KeyRename::Column(old, new)) => {
            rename_idents(&mut fk.columns, old, new)
        }
        (TableConstraint::ForeignKey(fk), KeyRename::Referred(old, new)) => {
            rename_idents(&mut fk.referred_columns, old, new)
        }
        (TableConstraint::PrimaryKey(pk), KeyRename::Column(old, new)) => {
            rename_columns(&mut pk.columns, old, new);
            rename_idents(&mut pk.include, old, new);
        }
        (TableConstraint::Unique(unique), KeyRename::Column(old, new)) => {
            rename_columns(&mut unique.columns, old, new);
            rename_idents(&mut unique.include, old, new);
        }
        _ => return Some(definition.to_string()),
    }
    let text = super::apply::constraint_definition(constraint)?;
    Some(if *not_valid {
        format!("{text} NOT VALID")
    } else {
        text
    })
}

/// A view's text (`AS SELECT ...`) after the relation `from` it reads is
/// renamed `to`, as the server prints the view then: the relation's name
/// where the query reads it, and the column qualifiers that name it
/// (`from.c`). `None` when the text does not parse.
pub(super) fn view_relation_renamed(
    definition: &str,
    from: &Name,
    to: &Name,
    dialect: Dialect,
) -> Option<String> {
    let mut statement = parse_one(&format!("CREATE VIEW v {definition}"))?;
    let new_name = || {
        let mut parts = Vec::new();
        if let Some(schema) = &to.schema {
            parts.push(printed_ident(schema));
        }
        parts.push(printed_ident(&to.name));
        sqlparser::ast::ObjectName::from(parts)
    };
    let _ = sqlparser::ast::visit_relations_mut(&mut statement, |name| {
        if dialect.object_name(name) == *from {
            *name = new_name();
        }
        ControlFlow::<()>::Continue(())
    });
    // `from.c` (a bare name reads the default schema).
    if from.schema.is_none() {
        let _ = sqlparser::ast::visit_expressions_mut(&mut statement, |expr| {
            if let Expr::CompoundIdentifier(parts) = expr {
                if parts.len() == 2 && dialect.fold(&parts[0]) == from.name {
                    parts[0] = printed_ident(&to.name);
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
    match statement {
        Statement::CreateView(view) => Some(super::apply::view_definition(&view)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(definition: &str, reads: &[&str]) -> View {
        View {
            name: Name::bare("v"),
            materialized: false,
            depends_on: reads.iter().map(|r| Name::bare(*r)).collect(),
            definition: Some(definition.to_string()),
            comment: None,
        }
    }

    #[test]
    fn views_read_a_column_only_when_sure() {
        let t = Name::bare("t");
        let reads = |def: &str, from: &[&str]| view_reads(&view(def, from), &t, "b");
        assert_eq!(reads("AS SELECT id, b FROM t", &["t"]), Some(true));
        assert_eq!(
            reads("AS SELECT x.b FROM t AS x WHERE x.id > 0", &["t"]),
            Some(true)
        );
        assert_eq!(reads("AS SELECT id, a FROM t", &["t"]), Some(false));
        assert_eq!(reads("AS SELECT count(*) FROM t", &["t"]), Some(false));
        assert_eq!(reads("AS SELECT id FROM u", &["u"]), Some(false));
        // A `*` reads the columns the table had then: not known.
        assert_eq!(reads("AS SELECT * FROM t", &["t"]), None);
        // `b` may be another relation's column, or an alias.
        assert_eq!(
            reads("AS SELECT b FROM t JOIN u USING (id)", &["t", "u"]),
            None
        );
        assert_eq!(reads("AS SELECT a AS b FROM t ORDER BY b", &["t"]), None);
        assert_eq!(reads("AS SELECT b FROM t AS x(b)", &["t"]), None);
        assert_eq!(
            reads("AS SELECT id FROM t NATURAL JOIN u", &["t", "u"]),
            None
        );
    }

    #[test]
    fn types_are_matched_with_their_arrays_and_schema() {
        let mood = Name::bare("mood");
        assert_eq!(is_type("mood", &mood), Some(true));
        assert_eq!(is_type("mood[]", &mood), Some(true));
        assert_eq!(is_type("public.mood[][]", &mood), Some(true));
        assert_eq!(is_type("other.mood", &mood), Some(false));
        assert_eq!(is_type("mood2", &mood), Some(false));
        assert_eq!(is_type("integer", &mood), Some(false));
        assert_eq!(is_type("\"mood\"", &mood), Some(true));
        assert_eq!(is_type("mood", &Name::bare("Mood")), None);
    }

    #[test]
    fn checks_indexes_and_foreign_keys_name_their_columns() {
        let d = Dialect::Postgres;
        assert_eq!(check_reads("CHECK (a < b)", "b", d), Some(true));
        assert_eq!(check_reads("CHECK (a > 0)", "b", d), Some(false));
        assert_eq!(index_reads("(lower(b))", "b", d), Some(true));
        assert_eq!(index_reads("(id) WHERE b > 1", "b", d), Some(true));
        assert_eq!(index_reads("USING gin (a)", "b", d), Some(false));
        assert_eq!(
            referenced_columns("FOREIGN KEY (x, y) REFERENCES t(a, b)", d),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            referenced_columns("FOREIGN KEY (x) REFERENCES t", d),
            Some(vec![])
        );
    }
}
