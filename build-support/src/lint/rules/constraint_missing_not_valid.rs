//! `constraint-missing-not-valid`: adding a FOREIGN KEY or CHECK validates
//! every existing row while holding a lock that blocks writes.

use sqlparser::ast::{AlterTableOperation, TableConstraint};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some((alter, table)) = ctx.alter_existing_table() else {
        return;
    };
    for operation in &alter.operations {
        let AlterTableOperation::AddConstraint {
            constraint,
            not_valid: false,
        } = operation
        else {
            continue;
        };
        let (kind, name, lock) = match constraint {
            TableConstraint::ForeignKey(fk) => (
                "foreign key",
                &fk.name,
                format!(
                    "blocks writes to {table} and to {}",
                    ctx.name(&fk.foreign_table)
                ),
            ),
            TableConstraint::Check(check) => {
                ("check", &check.name, format!("blocks writes to {table}"))
            }
            _ => continue,
        };
        let name = name
            .as_ref()
            .map_or(String::new(), |n| format!(" {}", n.value));
        out.push(ctx.finding(
            Rule::ConstraintMissingNotValid,
            format!(
                "adding {kind} constraint{name} checks every row of {table} while a lock \
                 {lock}"
            ),
            "add the constraint with `NOT VALID`, then `ALTER TABLE ... VALIDATE CONSTRAINT` in \
             a later revision (validation does not block writes)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "constraint-missing-not-valid";

    #[test]
    fn validating_constraint_trips() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0);\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_n_positive;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
        let fk = "-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (n) REFERENCES u (id);\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_u_fk;\n";
        assert_eq!(hits(RULE, &[SETUP, fk]), 1);
    }

    #[test]
    fn not_valid_is_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0) NOT VALID;\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_n_positive;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn atlas_nolint_silences() {
        let up = "-- migrate:upgrade\n-- atlas:nolint PG305\nALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0);\n-- migrate:downgrade\nALTER TABLE t DROP CONSTRAINT t_n_positive;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
