//! `ban-drop-not-null`: code that assumes the column is never NULL (and the
//! types generated from the schema) break when NULLs start to appear.

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
            op: AlterColumnOperation::DropNotNull,
        } = operation
        else {
            continue;
        };
        let column = ctx.dialect.fold(column_name);
        // A downgrade undoing its upgrade's SET NOT NULL restores the old contract.
        let undoes_upgrade = ctx.downgrade
            && ctx
                .journal
                .before(&crate::schema::key(
                    crate::schema::ObjectKind::Table,
                    &table,
                ))
                .and_then(|b| match b {
                    Some(crate::schema::Object::Table(t)) => t.column(&column),
                    _ => None,
                })
                .is_some_and(|c| c.nullable);
        if ctx.column_is_new(&table, &column) || undoes_upgrade {
            continue;
        }
        out.push(ctx.finding(
            Rule::BanDropNotNull,
            format!(
                "dropping NOT NULL on {table}.{column} lets NULLs reach code that assumes the \
                 column always has a value"
            ),
            "make every reader handle NULL and deploy that first",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "ban-drop-not-null";

    #[test]
    fn drop_not_null_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ALTER COLUMN id DROP NOT NULL;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn downgrade_undoing_set_not_null_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow ban-drop-not-null -- readers handle NULL since v2\nALTER TABLE t ALTER COLUMN id DROP NOT NULL;\n-- migrate:downgrade\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
