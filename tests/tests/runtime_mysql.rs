//! The runtime against MariaDB/MySQL (`MIGRATE_TEST_MYSQL_URL`, a fresh
//! database per test; skipped when unset).

mod runtime_common;

use migrate_tests::{scenarios, TestDb};
use runtime_common::backend_tests;

backend_tests! {
    open = TestDb::mysql;
    scenarios:
        upgrade_and_downgrade_across_branches,
        failing_statement_mid_revision,
        tampering,
        stamp_and_check,
        revert_unknown,
        two_plans_share_a_database,
        hand_edited_version_table,
        another_dialects_history_is_refused;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    fn thirty_two_concurrent_migrators(t) {
        scenarios::concurrent_migrators(&t, 32).await;
    }

    /// The no-op check takes no lock; real work waits for `GET_LOCK` and gives
    /// up with a clear error after `lock_timeout`.
    #[tokio::test]
    fn no_op_takes_no_lock_and_lock_waits_time_out(t) {
        use std::time::Duration;

        use migrate_runtime::{Error, Migrator};

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
    }
}
