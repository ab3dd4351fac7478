//! `disallowed-unique-constraint`: `ADD CONSTRAINT ... UNIQUE` builds its
//! index under an ACCESS EXCLUSIVE lock, blocking reads and writes.

use sqlparser::ast::{AlterTableOperation, TableConstraint};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_existing_table() else {
        return;
    };
    for operation in &alter.operations {
        if let AlterTableOperation::AddConstraint {
            constraint: TableConstraint::Unique(_),
            ..
        } = operation
        {
            out.push(ctx.finding(
                Rule::DisallowedUniqueConstraint,
                format!(
                    "adding a UNIQUE constraint builds its index while blocking reads and writes \
                     on table {table}"
                ),
                "create the index with `CREATE UNIQUE INDEX CONCURRENTLY` first, then `ADD \
                 CONSTRAINT ... UNIQUE USING INDEX`",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "disallowed-unique-constraint";

    #[test]
    fn unique_constraint_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE (c);\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_c_key;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn using_index_is_fine() {
        let up = "-- migrate:upgrade transaction:false\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_c_key ON t (c);\n-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE USING INDEX t_c_key;\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_c_key;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        assert_eq!(hits("downgrade-mismatch", &[SETUP, up]), 0);
        assert_eq!(hits("unknown-object", &[SETUP, up]), 0);
    }

    #[test]
    fn atlas_analyzer_name_silences() {
        let up = "-- migrate:upgrade\n-- atlas:nolint data_depend\nALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE (c);\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_c_key;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
