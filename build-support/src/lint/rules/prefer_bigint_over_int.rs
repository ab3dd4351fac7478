//! `prefer-bigint-over-int` (off by default): 32-bit keys and counters run
//! out at 2.1 billion, and widening them later rewrites the table.

use super::{type_rule, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    type_rule(
        ctx,
        out,
        Rule::PreferBigintOverInt,
        |t| t == "integer" || t == "serial",
        |column, t| {
            format!("column {column} is {t}: it overflows at 2^31, and widening it later rewrites the table")
        },
        "use bigint (or bigserial / bigint GENERATED ... AS IDENTITY)",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, hits_enabled};

    const RULE: &str = "prefer-bigint-over-int";

    #[test]
    fn int_column_trips_when_enabled() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (id serial PRIMARY KEY, n int);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 2);
        assert_eq!(hits(RULE, &[up]), 0, "off by default");
    }

    #[test]
    fn bigint_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (id bigserial PRIMARY KEY, n bigint);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore prefer-bigint-over-int\nCREATE TABLE w (n int);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }
}
