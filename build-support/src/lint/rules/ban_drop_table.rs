//! `ban-drop-table`: the data is gone, and the running application breaks
//! if it still uses the table. A table dropped and created again in the same
//! pass (SQLite's rebuild-and-rename) is exempt at the end of the pass.

use sqlparser::ast::{ObjectType, Statement};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some(Statement::Drop {
        object_type: ObjectType::Table,
        names,
        ..
    }) = ctx.ast()
    else {
        return;
    };
    for name in names {
        let table = ctx.name(name);
        if ctx.table_is_new(&table) {
            continue;
        }
        let mut finding = ctx.finding(
            Rule::BanDropTable,
            format!(
                "dropping table {table} destroys its data and breaks the running application \
                 while it still uses the table"
            ),
            "if the table was only renamed in the code, rename it with `ALTER TABLE ... RENAME \
             TO` instead; otherwise remove its uses and deploy that first",
        );
        finding.unless_table_exists = Some(table);
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, hits_in, rendered, SETUP};
    use crate::schema::Dialect;

    const RULE: &str = "ban-drop-table";

    #[test]
    fn drop_table_from_a_renamed_model_trips() {
        // Alembic's classic: the model `u` was renamed to `accounts`, and
        // autogenerate emitted DROP + CREATE instead of a rename.
        let up = "-- migrate:upgrade\nDROP TABLE u;\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE accounts;\nCREATE TABLE u (id bigint PRIMARY KEY);\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn own_table_and_sqlite_rebuild_are_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (id bigint);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        let rebuild = "-- migrate:upgrade\nCREATE TABLE _u_tmp (id bigint PRIMARY KEY, name text);\nINSERT INTO _u_tmp (id) SELECT id FROM u;\nDROP TABLE u;\nALTER TABLE _u_tmp RENAME TO u;\n-- migrate:downgrade\nALTER TABLE u DROP COLUMN name;\n";
        assert_eq!(hits_in(Dialect::Sqlite, RULE, &[SETUP, rebuild]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow ban-drop-table -- u was never used\nDROP TABLE u;\n-- migrate:downgrade\nCREATE TABLE u (id bigint PRIMARY KEY);\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
