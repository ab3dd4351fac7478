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

/// The no-op check is a read: it succeeds while another connection holds
/// SQLite's write lock; real work waits for it up to `lock_timeout`.
#[tokio::test]
async fn no_op_reads_while_another_writer_holds_the_lock() {
    use std::time::Duration;

    use migrate_runtime::{Error, Migrator};

    let t = TestDb::sqlite().await;
    let migrator =
        Migrator::new(migrate_tests::branchy_plan()).lock_timeout(Duration::from_millis(500));
    migrator.upgrade(&t.db, "head").await.unwrap();
    let other = t.another_pool().await;
    let migrate_runtime::MigrateConnection::Sqlite(other_pool) = &other else {
        unreachable!()
    };
    let mut writer = other_pool.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *writer)
        .await
        .unwrap();
    assert!(migrator.upgrade(&t.db, "head").await.unwrap().is_empty());
    let error = tokio::time::timeout(Duration::from_secs(30), migrator.downgrade(&t.db, "-1"))
        .await
        .expect("the wait is bounded")
        .unwrap_err();
    // SQLite's own busy handler (sqlx: 5 s) waits first, then ours.
    assert!(matches!(error, Error::LockTimeout { .. }), "{error}");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *writer)
        .await
        .unwrap();
    drop(writer);
    assert_eq!(
        migrator.downgrade(&t.db, "-1").await.unwrap().ids(),
        ["eeee0005"]
    );
}

#[tokio::test]
async fn two_plans_share_a_database() {
    scenarios::two_plans_share_a_database(&TestDb::sqlite().await).await;
}
