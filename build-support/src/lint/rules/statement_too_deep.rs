//! `statement-too-deep`: a statement nested deeper than the compiler builds
//! syntax trees for (see [`crate::parse::MAX_DEPTH`]). It is applied as
//! written, but neither its syntax nor its effect on the schema is checked,
//! so the model is open after it.

use super::{Finding, StmtCtx};
use crate::lint::Rule;
use crate::CheckedBy;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.statement.checked_by != CheckedBy::TooDeep {
        return;
    }
    let help = format!(
        "split the expression (the compiler analyses up to about {} levels of operators, casts, \
         parentheses, subqueries or CASE), or allow the rule with a reason",
        crate::parse::MAX_DEPTH
    );
    out.push(ctx.finding(
        Rule::StatementTooDeep,
        format!(
            "the statement at line {} is nested too deeply to analyse: it is applied as written, \
             but neither its syntax nor its effect on the schema is checked",
            ctx.statement.line
        ),
        &help,
    ));
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered};

    const RULE: &str = "statement-too-deep";

    fn body(sql: &str) -> String {
        format!("-- migrate:upgrade\n{sql};\n-- migrate:downgrade\nSELECT 1;\n")
    }

    /// `SELECT` of `n` levels of each kind of depth.
    fn deep(n: usize) -> Vec<String> {
        vec![
            format!("SELECT 1{}", " + 1".repeat(n)),
            format!("SELECT 1{}", "::int".repeat(n)),
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n)),
            format!(
                "SELECT {}1{}",
                "CASE WHEN x THEN ".repeat(n),
                " END".repeat(n)
            ),
        ]
    }

    #[test]
    fn deep_statements_are_reported_not_refused() {
        // Run on the test's own 2 MiB thread: the compiler's threads have
        // their own stacks, and what is handed back is shallow.
        for sql in deep(100_000) {
            assert_eq!(hits(RULE, &[&body(&sql)]), 1, "{}", &sql[..40]);
        }
        let mut fine = deep(60);
        fine.push(format!("SELECT 1{}", " + 1".repeat(900)));
        fine.push(format!(
            "INSERT INTO t VALUES {}",
            vec!["(1, 'a', NULL)"; 10_000].join(", ")
        ));
        for sql in fine {
            assert_eq!(hits(RULE, &[&body(&sql)]), 0, "{}", &sql[..40]);
        }
    }

    #[test]
    fn the_warning_names_the_line() {
        let sql = format!("SELECT 1{}", " OR x".repeat(2_000));
        let shown = rendered(&[&body(&sql)]);
        insta::assert_snapshot!(shown);
    }
}
