//! `prefer-timestamptz` (off by default): `timestamp` without a time zone
//! stores wall-clock time and silently shifts when servers or sessions
//! disagree about the zone.

use super::{type_rule, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    type_rule(
        ctx,
        out,
        Rule::PreferTimestamptz,
        |t| t == "timestamp" || (t.starts_with("timestamp(") && !t.contains("with time zone")),
        |column, _| {
            format!("column {column} is a timestamp without time zone: its values depend on the session's zone")
        },
        "use timestamptz (timestamp with time zone)",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::hits_enabled;

    const RULE: &str = "prefer-timestamptz";

    #[test]
    fn timestamp_trips() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (at timestamp);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 1);
    }

    #[test]
    fn timestamptz_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (at timestamptz, b timestamp with time zone);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow prefer-timestamptz -- always UTC by contract\nCREATE TABLE w (at timestamp);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits_enabled(RULE, &[up]), 0);
    }
}
