//! One file per rule: the check, its message, and its tests.
//!
//! A rule sees one statement and the schema model *before* it, plus the
//! journal of the revision's upgrade, which says what the revision created
//! (objects created earlier in the same revision are exempt from the rules
//! that protect existing data and running code).

mod adding_field_with_default;
mod adding_foreign_key_constraint;
mod adding_not_nullable_field;
mod adding_required_field;
mod ban_char_field;
mod ban_drop_column;
mod ban_drop_database;
mod ban_drop_not_null;
mod ban_drop_table;
mod ban_truncate;
mod changing_column_type;
mod constraint_missing_not_valid;
mod disallowed_unique_constraint;
mod prefer_bigint_over_int;
mod prefer_robust_stmts;
mod prefer_text_field;
mod prefer_timestamptz;
mod renaming_column;
mod renaming_table;
mod require_concurrent_index_creation;
mod require_concurrent_index_deletion;
mod statement_too_deep;
mod transaction_nesting;

use std::ops::Range;

use sqlparser::ast::{AlterTable, AlterTableOperation, ColumnDef, ObjectName, Statement};

use super::{Rule, Settings};
use crate::schema::Naming;
use crate::schema::{key, Dialect, Journal, Name, Object, ObjectKind, Schema};
use crate::CompiledStatement;

/// A finding before levels and allows are applied.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub rule: Rule,
    pub message: String,
    pub help: Option<String>,
    pub span: Range<usize>,
    /// Index of the statement (for statement-level allows); `None` for the revision.
    pub statement: Option<usize>,
    pub notes: Vec<String>,
    /// Dropped at the end of the pass when this table exists again (the
    /// table was rebuilt, as SQLite histories do for every ALTER).
    pub unless_table_exists: Option<Name>,
}

/// What a rule sees.
pub(crate) struct StmtCtx<'a> {
    pub dialect: Dialect,
    /// The model before this statement.
    pub schema: &'a Schema,
    /// The revision's upgrade so far (or all of it, for a downgrade statement).
    pub journal: &'a Journal,
    pub statement: &'a CompiledStatement,
    /// The statement's text.
    pub text: &'a str,
    /// False in a `transaction:false` section.
    pub transactional: bool,
    /// True for a downgrade statement.
    pub downgrade: bool,
    /// The statement's index in the revision (for allows).
    pub index: usize,
}

impl StmtCtx<'_> {
    pub fn ast(&self) -> Option<&Statement> {
        self.statement.ast.as_deref()
    }

    pub fn name(&self, object: &ObjectName) -> Name {
        self.dialect.object_name(object)
    }

    /// The statement as an `ALTER TABLE`, with the table's folded name.
    pub fn alter_table(&self) -> Option<(&AlterTable, Name)> {
        match self.ast()? {
            Statement::AlterTable(alter) => Some((alter, self.name(&alter.name))),
            _ => None,
        }
    }

    /// The statement as an `ALTER TABLE` of a table that existed before this
    /// revision: the rules that protect rows and running code skip a table
    /// the revision itself created, since nobody reads it yet.
    pub fn alter_existing_table(&self) -> Option<(&AlterTable, Name)> {
        self.alter_table()
            .filter(|(_, table)| !self.table_is_new(table))
    }

    /// Created by this revision's upgrade (so nobody else uses it yet).
    pub fn table_is_new(&self, table: &Name) -> bool {
        matches!(
            self.journal.before(&key(ObjectKind::Table, table)),
            Some(None)
        )
    }

    /// A (materialized) view created by this revision's upgrade.
    pub fn view_is_new(&self, view: &Name) -> bool {
        matches!(
            self.journal.before(&key(ObjectKind::View, view)),
            Some(None)
        )
    }

    /// Added by this revision's upgrade, or part of a table it created.
    pub fn column_is_new(&self, table: &Name, column: &str) -> bool {
        match self.journal.before(&key(ObjectKind::Table, table)) {
            Some(None) => true,
            Some(Some(Object::Table(before))) => before.column(column).is_none(),
            _ => false,
        }
    }

    /// Created by this revision's upgrade.
    pub fn index_is_new(&self, index: &Name) -> bool {
        matches!(
            self.journal.before(&key(ObjectKind::Index, index)),
            Some(None)
        )
    }

    /// A finding on the whole statement.
    pub fn finding(&self, rule: Rule, message: String, help: &str) -> Finding {
        Finding {
            rule,
            message,
            help: Some(help.to_string()),
            span: self.statement.span.clone(),
            statement: Some(self.index),
            notes: Vec::new(),
            unless_table_exists: None,
        }
    }
}

type Check = fn(&StmtCtx<'_>, &mut Vec<Finding>);

const RULES: &[(Rule, Check)] = &[
    (
        Rule::RequireConcurrentIndexCreation,
        require_concurrent_index_creation::check,
    ),
    (
        Rule::RequireConcurrentIndexDeletion,
        require_concurrent_index_deletion::check,
    ),
    (
        Rule::ConstraintMissingNotValid,
        constraint_missing_not_valid::check,
    ),
    (
        Rule::AddingForeignKeyConstraint,
        adding_foreign_key_constraint::check,
    ),
    (
        Rule::DisallowedUniqueConstraint,
        disallowed_unique_constraint::check,
    ),
    (
        Rule::AddingFieldWithDefault,
        adding_field_with_default::check,
    ),
    (Rule::AddingRequiredField, adding_required_field::check),
    (
        Rule::AddingNotNullableField,
        adding_not_nullable_field::check,
    ),
    (Rule::ChangingColumnType, changing_column_type::check),
    (Rule::BanDropColumn, ban_drop_column::check),
    (Rule::BanDropTable, ban_drop_table::check),
    (Rule::BanTruncate, ban_truncate::check),
    (Rule::BanTruncateCascade, ban_truncate::check_cascade),
    (Rule::BanDropDatabase, ban_drop_database::check),
    (Rule::RenamingColumn, renaming_column::check),
    (Rule::RenamingTable, renaming_table::check),
    (Rule::BanDropNotNull, ban_drop_not_null::check),
    (Rule::TransactionNesting, transaction_nesting::check),
    (Rule::PreferRobustStmts, prefer_robust_stmts::check),
    (Rule::PreferBigintOverInt, prefer_bigint_over_int::check),
    (Rule::PreferTextField, prefer_text_field::check),
    (Rule::PreferTimestamptz, prefer_timestamptz::check),
    (Rule::BanCharField, ban_char_field::check),
    (Rule::StatementTooDeep, statement_too_deep::check),
];

/// Runs every enabled rule on one statement.
pub(crate) fn run(settings: &Settings, ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    for (rule, check) in RULES {
        if settings.enabled(*rule) {
            check(ctx, out);
        }
    }
}

/// Columns a statement declares (CREATE TABLE and ALTER TABLE ADD COLUMN),
/// with the name of the table they belong to (not folded: the type rules
/// fold it only for a finding); for the type rules.
pub(crate) fn declared_columns(
    statement: &Statement,
) -> Option<(&ObjectName, impl Iterator<Item = &ColumnDef>)> {
    let (table, columns, operations): (_, &[ColumnDef], &[AlterTableOperation]) = match statement {
        Statement::CreateTable(create) => (&create.name, &create.columns, &[]),
        Statement::AlterTable(alter) => (&alter.name, &[], &alter.operations),
        _ => return None,
    };
    let added = operations.iter().filter_map(|op| match op {
        AlterTableOperation::AddColumn { column_def, .. } => Some(column_def),
        _ => None,
    });
    Some((table, columns.iter().chain(added)))
}

/// Words of an unparsed statement, lower-cased (for the statements only
/// PostgreSQL's parser accepts, such as `DROP INDEX CONCURRENTLY`).
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .take(8)
        .map(|w| w.to_lowercase())
        .collect()
}

/// Shared body of the column type rules: one finding per declared column
/// whose normalised type `matches`.
pub(crate) fn type_rule(
    ctx: &StmtCtx<'_>,
    out: &mut Vec<Finding>,
    rule: Rule,
    matches: fn(&str) -> bool,
    message: fn(&str, &str) -> String,
    help: &str,
) {
    let Some(statement) = ctx.ast() else {
        return;
    };
    let Some((table, columns)) = declared_columns(statement) else {
        return;
    };
    // One buffer for every column's type (a rule sees every declared column).
    let mut data_type = crate::schema::CompactString::default();
    for column in columns {
        crate::schema::normalize_type_into(&column.data_type, &mut data_type);
        if matches(&data_type) {
            let name = format!("{}.{}", ctx.name(table), ctx.dialect.fold(&column.name));
            out.push(ctx.finding(rule, message(&name, &data_type), help));
        }
    }
}
