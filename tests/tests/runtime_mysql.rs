//! The runtime against MariaDB/MySQL (`MIGRATE_TEST_MYSQL_URL`, a fresh
//! database per test; skipped when unset).

use migrate_tests::{scenarios, TestDb};

macro_rules! mysql {
    ($name:literal) => {
        match TestDb::mysql($name).await {
            Some(db) => db,
            None => return,
        }
    };
}

#[tokio::test]
async fn upgrade_and_downgrade_across_branches() {
    let t = mysql!("upgrade_and_downgrade_across_branches");
    scenarios::upgrade_and_downgrade_across_branches(&t).await;
    t.drop_database().await;
}

#[tokio::test]
async fn failing_statement_mid_revision() {
    let t = mysql!("failing_statement_mid_revision");
    scenarios::failing_statement_mid_revision(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_migrators() {
    let t = mysql!("thirty_two_concurrent_migrators");
    scenarios::concurrent_migrators(&t, 32).await;
    t.drop_database().await;
}

#[tokio::test]
async fn tampering() {
    let t = mysql!("tampering");
    scenarios::tampering(&t).await;
    t.drop_database().await;
}

#[tokio::test]
async fn stamp_and_check() {
    let t = mysql!("stamp_and_check");
    scenarios::stamp_and_check(&t).await;
    t.drop_database().await;
}

#[tokio::test]
async fn revert_unknown() {
    let t = mysql!("revert_unknown");
    scenarios::revert_unknown(&t).await;
    t.drop_database().await;
}
