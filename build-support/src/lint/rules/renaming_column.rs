//! `renaming-column`: the running application still uses the old name until
//! the new version is fully deployed.

use sqlparser::ast::AlterTableOperation;

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Naming;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_table() else {
        return;
    };
    for operation in &alter.operations {
        let (old, new) = match operation {
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => (old_column_name, new_column_name),
            AlterTableOperation::ChangeColumn {
                old_name, new_name, ..
            } => (old_name, new_name),
            _ => continue,
        };
        let (old, new) = (ctx.dialect.fold(old), ctx.dialect.fold(new));
        if old == new || ctx.column_is_new(&table, &old) {
            continue;
        }
        out.push(ctx.finding(
            Rule::RenamingColumn,
            format!(
                "renaming column {table}.{old} to {new} breaks the running application, which \
                 still uses the old name until the new version is deployed everywhere"
            ),
            "add the new column, write to both, backfill, move reads, then drop the old one \
             (or deploy code that reads both names first)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "renaming-column";

    #[test]
    fn rename_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t RENAME COLUMN c TO body;\n-- migrate:downgrade\nALTER TABLE t RENAME COLUMN body TO c;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn renaming_own_column_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN d text;\nALTER TABLE t RENAME COLUMN d TO e;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN e;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn atlas_code_silences() {
        let up = "-- migrate:upgrade\n-- atlas:nolint BC102\nALTER TABLE t RENAME COLUMN c TO body;\n-- migrate:downgrade\n-- atlas:nolint incompatible\nALTER TABLE t RENAME COLUMN body TO c;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
