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

/// The no-op check takes no lock; real work waits for `GET_LOCK` and gives
/// up with a clear error after `lock_timeout`.
#[tokio::test]
async fn no_op_takes_no_lock_and_lock_waits_time_out() {
    use std::time::Duration;

    use migrate_runtime::{Error, Migrator};

    let t = mysql!("no_op_takes_no_lock_and_lock_waits_time_out");
    let migrate_runtime::MigrateConnection::MySql(pool) = &t.db else {
        unreachable!()
    };
    let migrator =
        Migrator::new(migrate_tests::branchy_plan()).lock_timeout(Duration::from_secs(1));
    migrator.upgrade(&t.db, "head").await.unwrap();

    let mut holder = pool.acquire().await.unwrap();
    let got: Option<i64> = sqlx::query_scalar(
        "SELECT GET_LOCK(CONCAT('migrate_', LEFT(SHA2(CONCAT(DATABASE(), '.', 'migrate_version'), 256), 40)), 0)",
    )
    .fetch_one(&mut *holder)
    .await
    .unwrap();
    assert_eq!(got, Some(1));
    let started = std::time::Instant::now();
    assert!(migrator.upgrade(&t.db, "head").await.unwrap().is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the no-op did not wait for the lock"
    );
    let error = migrator.downgrade(&t.db, "-1").await.unwrap_err();
    assert!(matches!(error, Error::LockTimeout { .. }), "{error}");
    sqlx::query("SELECT RELEASE_ALL_LOCKS()")
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    assert_eq!(
        migrator.downgrade(&t.db, "-1").await.unwrap().ids(),
        ["eeee0005"]
    );
    t.drop_database().await;
}

#[tokio::test]
async fn two_plans_share_a_database() {
    let t = mysql!("two_plans_share_a_database");
    scenarios::two_plans_share_a_database(&t).await;
    t.drop_database().await;
}
