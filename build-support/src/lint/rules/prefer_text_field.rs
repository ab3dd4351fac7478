//! `prefer-text-field` (off by default): raising a varchar limit later is
//! free only on recent versions and needs a migration each time; text with a
//! CHECK constraint can be changed with NOT VALID.

use super::{type_rule, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    type_rule(
        ctx,
        out,
        Rule::PreferTextField,
        |t| t.starts_with("character varying("),
        |column, t| {
            format!("column {column} is {t}: changing the limit later needs a migration that locks the table")
        },
        "use text, with a `CHECK (length(column) <= n)` constraint if the limit matters",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::hits_enabled;

    const RULE: &str = "prefer-text-field";

    #[test]
    fn varchar_n_trips() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (name varchar(40));\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 1);
    }

    #[test]
    fn text_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (name text, other varchar);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }

    #[test]
    fn atlas_nolint_silences() {
        let up = "-- migrate:upgrade\n-- atlas:nolint prefer-text-field\nCREATE TABLE w (name varchar(40));\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }
}
