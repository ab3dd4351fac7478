//! `require-concurrent-index-deletion`: a plain DROP INDEX takes an ACCESS
//! EXCLUSIVE lock on the index's table, blocking reads and writes.

use sqlparser::ast::{ObjectType, Statement};

use super::{words, Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some(Statement::Drop {
        object_type: ObjectType::Index,
        names,
        ..
    }) = ctx.ast()
    else {
        return;
    };
    // The tree of `DROP INDEX CONCURRENTLY` is the plain form's (`parse`).
    if words(ctx.text).get(2).map(String::as_str) == Some("concurrently") {
        return;
    }
    for name in names {
        let index = ctx.name(name);
        let table = ctx.schema.index(&index).map(|i| i.table.clone());
        // An index created by this revision is dropped before anyone relies on it.
        if ctx.index_is_new(&index) || table.as_ref().is_some_and(|t| ctx.table_is_new(t)) {
            continue;
        }
        let on = table.map_or(String::new(), |t| format!(" on table {t}"));
        out.push(ctx.finding(
            Rule::RequireConcurrentIndexDeletion,
            format!(
                "dropping index {index} without CONCURRENTLY blocks reads and writes{on} while \
                 it waits for running queries"
            ),
            "use `DROP INDEX CONCURRENTLY IF EXISTS` in a `transaction:false` section",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "require-concurrent-index-deletion";

    #[test]
    fn blocking_drop_index_trips() {
        let up = "-- migrate:upgrade\nDROP INDEX t_c_idx;\n-- migrate:downgrade transaction:false\nCREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    #[cfg_attr(
        not(feature = "pg-query"),
        ignore = "sqlparser rejects the statement: it needs PostgreSQL's parser (feature pg-query)"
    )]
    fn concurrent_or_own_index_is_fine() {
        let concurrent = "-- migrate:upgrade transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS t_c_idx;\n-- migrate:downgrade transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c);\n";
        assert_eq!(hits(RULE, &[SETUP, concurrent]), 0);
        // The downgrade drops the index its own upgrade created.
        let own = "-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_n_idx ON t (n);\n-- migrate:downgrade\nDROP INDEX t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, own]), 0);
    }

    #[test]
    fn migrate_allow_silences() {
        let up = "-- migrate:upgrade\n-- migrate:allow require-concurrent-index-deletion -- t has ten rows\nDROP INDEX t_c_idx;\n-- migrate:downgrade\nCREATE INDEX t_c_idx ON t (c);\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
        assert_eq!(hits("unused-allow", &[SETUP, up]), 0);
    }
}
