//! `prefer-robust-stmts`: a `transaction:false` section that fails half way
//! is re-run by hand, and a failed `CREATE INDEX CONCURRENTLY` leaves an
//! INVALID index behind: each statement must survive running twice.

use sqlparser::ast::{ObjectType, Statement};

use super::{words, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.transactional {
        return;
    }
    let what = match ctx.ast() {
        Some(Statement::CreateIndex(create)) if !create.if_not_exists => {
            "CREATE INDEX without IF NOT EXISTS"
        }
        Some(Statement::Drop {
            object_type: ObjectType::Index,
            if_exists: false,
            ..
        }) => "DROP INDEX without IF EXISTS",
        Some(_) => return,
        None => {
            // A statement only PostgreSQL's parser read, or unchecked.
            let words = words(ctx.text);
            let is_drop_index = words.first().map(String::as_str) == Some("drop")
                && words.get(1).map(String::as_str) == Some("index");
            if !is_drop_index || words.iter().any(|w| w == "exists") {
                return;
            }
            "DROP INDEX without IF EXISTS"
        }
    };
    out.push(ctx.finding(
        Rule::PreferRobustStmts,
        format!("{what} in a transaction:false section fails when re-run after a partial failure"),
        "write `CREATE INDEX CONCURRENTLY IF NOT EXISTS` / `DROP INDEX CONCURRENTLY IF EXISTS` \
         (and drop an INVALID index left by a failed build before re-running)",
    ));
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "prefer-robust-stmts";

    #[test]
    fn unguarded_concurrent_index_trips() {
        let up = "-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY t_n_idx ON t (n);\n-- migrate:downgrade transaction:false\nDROP INDEX CONCURRENTLY t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 2);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn guarded_or_transactional_is_fine() {
        let up = "-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_n_idx ON t (n);\n-- migrate:downgrade transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade transaction:false\n-- migrate:allow prefer-robust-stmts -- we check for invalid indexes in CI\nCREATE INDEX CONCURRENTLY t_n_idx ON t (n);\n-- migrate:downgrade transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    /// The advice is accepted by the default parser (issue 8, item 13):
    /// both statements it names compile without `pg-query` and trip nothing.
    #[test]
    fn the_advised_statements_compile() {
        let up = "-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_n_idx ON t (n);\n-- migrate:downgrade transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS t_n_idx, t_m_idx CASCADE;\n";
        let errors: Vec<_> = crate::lint::test_support::lint(&[SETUP, up])
            .into_iter()
            .filter(|d| d.severity == crate::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        assert_eq!(hits("require-concurrent-index-deletion", &[SETUP, up]), 0);
    }
}
