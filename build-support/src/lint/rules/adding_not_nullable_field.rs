//! `adding-not-nullable-field`: `SET NOT NULL` scans the whole table under an
//! ACCESS EXCLUSIVE lock, blocking reads and writes.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Naming;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_table() else {
        return;
    };
    for operation in &alter.operations {
        let AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetNotNull,
        } = operation
        else {
            continue;
        };
        let column = ctx.dialect.fold(column_name);
        if ctx.column_is_new(&table, &column) {
            continue;
        }
        out.push(ctx.finding(
            Rule::AddingNotNullableField,
            format!(
                "SET NOT NULL on {table}.{column} scans every row while blocking reads and \
                 writes on {table}"
            ),
            "add `CHECK (column IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` it in a later \
             revision, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "adding-not-nullable-field";

    #[test]
    fn set_not_null_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn new_column_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN d text;\nUPDATE t SET d = '';\nALTER TABLE t ALTER COLUMN d SET NOT NULL;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN d;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn squawk_ignore_file_silences() {
        let up = "-- squawk-ignore-file adding-not-nullable-field\n-- migrate:upgrade\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
