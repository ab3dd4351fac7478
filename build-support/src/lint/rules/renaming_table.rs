//! `renaming-table`: the running application still queries the old name
//! until the new version is fully deployed.

use sqlparser::ast::{AlterTableOperation, RenameTableNameKind, Statement};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let renames: Vec<(crate::schema::Name, String)> = match ctx.ast() {
        Some(Statement::AlterTable(alter)) => alter
            .operations
            .iter()
            .filter_map(|op| match op {
                AlterTableOperation::RenameTable {
                    table_name: RenameTableNameKind::To(new) | RenameTableNameKind::As(new),
                } => Some((ctx.name(&alter.name), ctx.name(new).to_string())),
                _ => None,
            })
            .collect(),
        Some(Statement::RenameTable(renames)) => renames
            .iter()
            .map(|r| (ctx.name(&r.old_name), ctx.name(&r.new_name).to_string()))
            .collect(),
        _ => return,
    };
    for (old, new) in renames {
        if ctx.table_is_new(&old) {
            continue;
        }
        out.push(ctx.finding(
            Rule::RenamingTable,
            format!(
                "renaming table {old} to {new} breaks the running application, which still \
                 queries {old} until the new version is deployed everywhere"
            ),
            "create a view with the old name in the same revision, or deploy code that works \
             with both names first",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "renaming-table";

    #[test]
    fn rename_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE u RENAME TO accounts;\n-- migrate:downgrade\nALTER TABLE accounts RENAME TO u;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn renaming_own_table_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w_tmp (id bigint);\nALTER TABLE w_tmp RENAME TO w;\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore renaming-table -- nothing reads u yet\nALTER TABLE u RENAME TO accounts;\n-- migrate:downgrade\n-- squawk-ignore\nALTER TABLE accounts RENAME TO u;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
