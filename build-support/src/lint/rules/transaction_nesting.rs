//! `transaction-nesting`: the tool runs each section in a transaction it
//! opens and commits itself, together with the version table update; a
//! BEGIN/COMMIT/ROLLBACK in the SQL ends that transaction early.

use sqlparser::ast::Statement;

use super::{Finding, StmtCtx};
use crate::lint::Rule;

pub(crate) fn check(ctx: &StmtCtx<'_>, out: &mut Vec<Finding>) {
    let what = match ctx.ast() {
        Some(Statement::StartTransaction { .. }) => "BEGIN",
        Some(Statement::Commit { .. }) => "COMMIT",
        Some(Statement::Rollback {
            savepoint: None, ..
        }) => "ROLLBACK",
        _ => return,
    };
    let message = if ctx.transactional {
        format!(
            "{what} inside a migration ends the transaction the tool opened for this section: \
             what follows is no longer atomic with the version table update"
        )
    } else {
        format!(
            "{what} in a transaction:false section: if the section fails half way, the tool \
             cannot tell what ran"
        )
    };
    out.push(ctx.finding(
        Rule::TransactionNesting,
        message,
        "remove it: every section runs in its own transaction unless marked \
         `transaction:false`",
    ));
}

#[cfg(test)]
mod tests {
    use crate::lint::test_support::{hits, rendered, SETUP};

    const RULE: &str = "transaction-nesting";

    #[test]
    fn begin_commit_trips() {
        let up = "-- migrate:upgrade\nBEGIN;\nALTER TABLE t ADD COLUMN d text;\nCOMMIT;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN d;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 2);
        insta::assert_snapshot!(rendered(&[SETUP, up]));
    }

    #[test]
    fn plain_statements_are_fine() {
        let up = "-- migrate:upgrade\nALTER TABLE t ADD COLUMN d text;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN d;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }

    #[test]
    fn squawk_ignore_file_without_names_silences_everything() {
        let up = "-- squawk-ignore-file\n-- migrate:upgrade\nBEGIN;\nALTER TABLE t ADD COLUMN d text;\nCOMMIT;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN d;\n";
        assert_eq!(hits(RULE, &[SETUP, up]), 0);
    }
}
