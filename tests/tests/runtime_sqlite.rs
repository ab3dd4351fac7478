//! The runtime against SQLite (a temporary file per test).

use migrate_tests::{scenarios, TestDb};

#[tokio::test]
async fn upgrade_and_downgrade_across_branches() {
    scenarios::upgrade_and_downgrade_across_branches(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn failing_statement_mid_revision() {
    scenarios::failing_statement_mid_revision(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn single_transaction_rolls_back_the_run() {
    scenarios::single_transaction_rolls_back_the_run(&TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_migrators() {
    scenarios::concurrent_migrators(&TestDb::sqlite().await, 32).await;
}

#[tokio::test]
async fn tampering() {
    scenarios::tampering(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn stamp_and_check() {
    scenarios::stamp_and_check(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn revert_unknown() {
    scenarios::revert_unknown(&TestDb::sqlite().await).await;
}

#[tokio::test]
async fn non_transactional_sections() {
    scenarios::non_transactional_sections(
        &TestDb::sqlite().await,
        "CREATE INDEX idx_posts_published ON posts (published_at) WHERE published_at IS NOT NULL",
        "DROP INDEX IF EXISTS idx_posts_published",
        "CREATE INDEX idx_bad ON no_such_table (id)",
    )
    .await;
}
