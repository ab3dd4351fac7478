//! `adding-foreign-key-constraint`: a foreign key added to an existing table
//! locks it and the referenced table while every row is checked. On
//! PostgreSQL this flags the inline `ADD COLUMN ... REFERENCES`, which cannot
//! be `NOT VALID` (`ADD CONSTRAINT` is `constraint-missing-not-valid`'s); on
//! MySQL every foreign key added to an existing table.

use sqlparser::ast::{AlterTableOperation, ColumnOption, TableConstraint};

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::schema::Dialect;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_existing_table() else {
        return;
    };
    for operation in &alter.operations {
        let target = match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                column_def.options.iter().find_map(|o| match &o.option {
                    ColumnOption::ForeignKey(fk) => Some(ctx.name(&fk.foreign_table)),
                    _ => None,
                })
            }
            AlterTableOperation::AddConstraint {
                constraint: TableConstraint::ForeignKey(fk),
                ..
            } if ctx.dialect == Dialect::MySql => Some(ctx.name(&fk.foreign_table)),
            _ => None,
        };
        let Some(target) = target else {
            continue;
        };
        out.push(ctx.finding(
            Rule::AddingForeignKeyConstraint,
            format!(
                "adding a foreign key from {table} to {target} locks both tables against writes \
                 while every row of {table} is checked"
            ),
            if ctx.dialect == Dialect::MySql {
                "add the foreign key while the table is small, or with `SET foreign_key_checks = 0` \
                 and a separate data check"
            } else {
                "add the column without REFERENCES, then `ADD CONSTRAINT ... FOREIGN KEY ... NOT \
                 VALID` and `VALIDATE CONSTRAINT` in a later revision"
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, hits_in, rendered, SETUP};
    use crate::schema::Dialect;

    const RULE: &str = "adding-foreign-key-constraint";

    #[test]
    fn inline_references_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN u_id bigint REFERENCES u (id);\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN u_id;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn not_valid_constraint_is_fine_and_mysql_is_checked() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN u_id bigint;\nALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN u_id;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        let mysql_setup = "-- migrate:upgrade\nCREATE TABLE t (id bigint PRIMARY KEY, n bigint);\nCREATE TABLE u (id bigint PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE u;\nDROP TABLE t;\n";
        let mysql = "-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (n) REFERENCES u (id);\n-- migrate:downgrade\nALTER TABLE t DROP FOREIGN KEY t_u_fk;\n";
        assert_eq!(hits_in(Dialect::MySql, RULE, &[mysql_setup, mysql]), 1);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore adding-foreign-key-constraint\nALTER TABLE t ADD COLUMN u_id bigint REFERENCES u (id);\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN u_id;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
