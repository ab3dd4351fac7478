//! The runtime against SQLite (a temporary file per test).

mod runtime_common;

use migrate_tests::{scenarios, TestDb};
use runtime_common::backend_tests;

async fn sqlite(_test: &str) -> Option<TestDb> {
    Some(TestDb::sqlite().await)
}

backend_tests! {
    open = sqlite;
    scenarios:
        upgrade_and_downgrade_across_branches,
        failing_statement_mid_revision,
        single_transaction_rolls_back_the_run,
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

    #[tokio::test]
    fn non_transactional_sections(t) {
        scenarios::non_transactional_sections(
            &t,
            "CREATE INDEX idx_posts_published ON posts (published_at) WHERE published_at IS NOT NULL",
            "DROP INDEX IF EXISTS idx_posts_published",
            "CREATE INDEX idx_bad ON no_such_table (id)",
        )
        .await;
    }

    /// The no-op check is a read: it succeeds while another connection holds
    /// SQLite's write lock; real work waits for it up to `lock_timeout`.
    #[tokio::test]
    fn no_op_reads_while_another_writer_holds_the_lock(t) {
        use std::time::Duration;

        use migrate_runtime::{Error, Migrator};

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
}
