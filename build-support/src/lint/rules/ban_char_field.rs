//! `ban-char-field`: `char(n)` pads values with spaces, compares surprisingly
//! and is never faster than text on PostgreSQL.

use super::{type_rule, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    type_rule(
        ctx,
        out,
        Rule::BanCharField,
        |t| t == "character" || t.starts_with("character("),
        |column, t| format!("column {column} is {t}: values are padded with spaces"),
        "use text (or varchar) instead of char",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered};

    const RULE: &str = "ban-char-field";

    #[test]
    fn char_trips() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (code char(2));\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[up]), 1);
        insta::assert_snapshot!(rendered(&[up]));
    }

    #[test]
    fn text_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (code text, other varchar(3));\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[up]), 0);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore ban-char-field\nCREATE TABLE w (code char(2));\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[up]), 0);
    }
}
