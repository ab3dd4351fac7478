//! `ban-drop-column`: the running application still reads and writes the
//! column until the new version is fully deployed, and the data is gone.

use sqlparser::ast::AlterTableOperation;

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Naming;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_table() else {
        return;
    };
    for operation in &alter.operations {
        let AlterTableOperation::DropColumn { column_names, .. } = operation else {
            continue;
        };
        for column in column_names {
            let column = ctx.dialect.fold(column);
            if ctx.column_is_new(&table, &column) {
                continue;
            }
            out.push(ctx.finding(
                Rule::BanDropColumn,
                format!(
                    "dropping column {table}.{column} destroys its data and breaks the running \
                     application while it still uses the column"
                ),
                "remove every use of the column from the code and deploy that first, then drop \
                 it in a later revision",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, hits_in, rendered, SETUP};
    use crate::schema::Dialect;

    const RULE: &str = "ban-drop-column";

    #[test]
    fn dropping_existing_column_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t DROP COLUMN n;\n-- migrate:downgrade\nALTER TABLE t ADD COLUMN n integer;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        assert_eq!(hits_in(Dialect::Sqlite, RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn downgrade_of_own_column_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN d text;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN d;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn atlas_code_silences() {
        let up = "-- migrate:upgrade\n-- atlas:nolint DS103\nALTER TABLE t DROP COLUMN n;\n-- migrate:downgrade\nALTER TABLE t ADD COLUMN n integer;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
