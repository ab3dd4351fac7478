//! `adding-required-field`: `ADD COLUMN ... NOT NULL` without a default fails
//! on a table that has rows (PostgreSQL; SQLite always), and breaks inserts
//! from the application version still running.

use sqlparser::ast::{AlterTableOperation, ColumnOption};

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Naming;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_existing_table() else {
        return;
    };
    for operation in &alter.operations {
        let AlterTableOperation::AddColumn { column_def, .. } = operation else {
            continue;
        };
        let not_null = column_def.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
            )
        });
        let filled = column_def.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::Default(_)
                    | ColumnOption::Generated { .. }
                    | ColumnOption::Identity(_)
                    | ColumnOption::Materialized(_)
                    | ColumnOption::Alias(_)
            )
        });
        let serial = column_def
            .data_type
            .to_string()
            .to_lowercase()
            .contains("serial");
        if !not_null || filled || serial {
            continue;
        }
        let column = ctx.dialect.fold(&column_def.name);
        out.push(ctx.finding(
            Rule::AddingRequiredField,
            format!(
                "adding column {table}.{column} NOT NULL without a default fails when {table} \
                 has rows, and inserts from the running application fail"
            ),
            "add a default (a constant one is free on PostgreSQL 11+), or add the column \
             nullable, backfill it, then SET NOT NULL",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, hits_in, rendered, SETUP};
    use crate::schema::Dialect;

    const RULE: &str = "adding-required-field";

    #[test]
    fn not_null_without_default_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN owner bigint NOT NULL;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN owner;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        assert_eq!(hits_in(Dialect::Sqlite, RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn default_or_nullable_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN owner bigint NOT NULL DEFAULT 0;\nALTER TABLE t ADD COLUMN note text;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN note;\nALTER TABLE t DROP COLUMN owner;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn file_allow_silences() {
        let up = "-- migrate:allow-file adding-required-field -- t is always empty in production\n-- migrate:upgrade\nALTER TABLE t ADD COLUMN owner bigint NOT NULL;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN owner;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        assert_eq!(hits("unused-allow", &[SETUP, up]), 0);
    }
}
