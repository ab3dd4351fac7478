//! `ban-truncate` and `ban-truncate-cascade`: TRUNCATE destroys every row;
//! with CASCADE it also empties every table that references this one.

use sqlparser::ast::{CascadeOption, Statement};

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    truncate(ctx, out, false);
}

pub(crate) fn check_cascade(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    truncate(ctx, out, true);
}

fn truncate(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>, want_cascade: bool) {
    let Some(Statement::Truncate(truncate)) = ctx.ast() else {
        return;
    };
    let cascade = matches!(truncate.cascade, Some(CascadeOption::Cascade));
    if cascade != want_cascade {
        return;
    }
    let tables: Vec<String> = truncate
        .table_names
        .iter()
        .map(|t| ctx.name(&t.name))
        .filter(|t| !ctx.table_is_new(t))
        .map(|t| t.to_string())
        .collect();
    if tables.is_empty() {
        return;
    }
    let tables = tables.join(", ");
    if cascade {
        out.push(ctx.finding(
            Rule::BanTruncateCascade,
            format!(
                "TRUNCATE {tables} CASCADE also empties every table with a foreign key to it, \
                 which the statement does not name"
            ),
            "truncate the referencing tables by name, or delete the rows you mean to delete",
        ));
    } else {
        out.push(ctx.finding(
            Rule::BanTruncate,
            format!("TRUNCATE {tables} destroys every row, in every environment this runs in"),
            "delete only the rows you mean to, or allow this with the reason it is safe",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    #[test]
    fn truncate_trips() {
        let up = "-- migrate:upgrade\nTRUNCATE t;\n-- migrate:downgrade\nSELECT 1;\n";
        assert_eq!(hits("ban-truncate", &[SETUP, up]), 1);
        let cascade = "-- migrate:upgrade\nTRUNCATE u CASCADE;\n-- migrate:downgrade\nSELECT 1;\n";
        assert_eq!(hits("ban-truncate-cascade", &[SETUP, cascade]), 1);
        assert_eq!(hits("ban-truncate", &[SETUP, cascade]), 0);
        insta::assert_snapshot!(rendered(&[SETUP, cascade]));
    }

    #[test]
    fn own_table_is_fine() {
        let up = "-- migrate:upgrade\nCREATE TABLE w (id bigint);\nTRUNCATE w;\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits("ban-truncate", &[SETUP, up]), 0);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore ban-truncate-cascade\nTRUNCATE u CASCADE;\n-- migrate:downgrade\nSELECT 1;\n";
        assert_eq!(hits("ban-truncate-cascade", &[SETUP, up]), 0);
    }
}
