//! `ban-drop-database`: a migration that drops a database destroys
//! everything in it, in every environment it runs in.

use sqlparser::ast::{ObjectType, Statement};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some(Statement::Drop {
        object_type: ObjectType::Database,
        names,
        ..
    }) = ctx.ast()
    else {
        return;
    };
    for name in names {
        out.push(ctx.finding(
            Rule::BanDropDatabase,
            format!("dropping database {name} destroys every table in it, in every environment"),
            "drop databases by hand, outside the migration history",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "ban-drop-database";

    #[test]
    fn drop_database_trips() {
        let up = "-- migrate:upgrade transaction:false\nDROP DATABASE legacy;\n-- migrate:downgrade\nSELECT 1;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn drop_table_is_not_this_rule() {
        let up = "-- migrate:upgrade\nDROP TABLE u;\n-- migrate:downgrade\nCREATE TABLE u (id bigint PRIMARY KEY);\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn atlas_nolint_silences() {
        let up = "-- migrate:upgrade transaction:false\n-- atlas:nolint destructive\nDROP DATABASE legacy;\n-- migrate:downgrade\nSELECT 1;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
