//! `require-concurrent-index-creation`: a plain CREATE INDEX holds a SHARE
//! lock, blocking every write to the table until the index is built.

use sqlparser::ast::Statement;

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let Some(Statement::CreateIndex(create)) = ctx.ast() else {
        return;
    };
    let table = ctx.name(&create.table_name);
    // Nobody writes to a table (or reads a materialized view) created
    // earlier in this revision.
    if create.concurrently || ctx.table_is_new(&table) || ctx.view_is_new(&table) {
        return;
    }
    let index = match &create.name {
        Some(name) => format!("index {}", ctx.name(name)),
        None => "an index".to_string(),
    };
    out.push(ctx.finding(
        Rule::RequireConcurrentIndexCreation,
        format!(
            "creating {index} without CONCURRENTLY blocks writes to table {table} until the \
             index is built"
        ),
        "use `CREATE INDEX CONCURRENTLY IF NOT EXISTS` in a `-- migrate:upgrade \
         transaction:false` section (it cannot run inside a transaction)",
    ));
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "require-concurrent-index-creation";

    #[test]
    fn blocking_create_index_on_existing_table_trips() {
        let up = "-- migrate:upgrade\nCREATE INDEX t_n_idx ON t (n);\n-- migrate:downgrade\nDROP INDEX t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 1);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn concurrent_or_new_table_is_fine() {
        let concurrent = "-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_n_idx ON t (n);\n-- migrate:downgrade\nDROP INDEX t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, concurrent]), 0);
        let new_table = "-- migrate:upgrade\nCREATE TABLE w (id bigint);\nCREATE INDEX w_id_idx ON w (id);\n-- migrate:downgrade\nDROP TABLE w;\n";
        assert_eq!(hits(RULE, &[SETUP, new_table]), 0);
        let new_view = "-- migrate:upgrade\nCREATE MATERIALIZED VIEW mv AS SELECT id FROM t;\nCREATE INDEX mv_id_idx ON mv (id);\n-- migrate:downgrade\nDROP MATERIALIZED VIEW mv;\n";
        assert_eq!(hits(RULE, &[SETUP, new_view]), 0);
    }

    #[test]
    fn squawk_ignore_silences() {
        let up = "-- migrate:upgrade\n-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX t_n_idx ON t (n);\n-- migrate:downgrade\nDROP INDEX t_n_idx;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
