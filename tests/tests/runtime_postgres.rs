//! The runtime against PostgreSQL (`MIGRATE_TEST_POSTGRES_URL`, a fresh
//! database per test; skipped when unset).

mod runtime_common;

use std::time::Duration;

use migrate_runtime::{Error, Migrator};
use migrate_tests::{branchy_plan, scenarios, TestDb};
use runtime_common::backend_tests;

/// Runs a script through `psql -v ON_ERROR_STOP=1` and asserts it succeeded.
fn run_psql(url: &str, script: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let mut child = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

backend_tests! {
    open = TestDb::postgres;
    scenarios:
        upgrade_and_downgrade_across_branches,
        single_transaction_rolls_back_the_run,
        tampering,
        stamp_and_check,
        revert_unknown,
        two_plans_share_a_database,
        hand_edited_version_table,
        another_dialects_history_is_refused;

    #[tokio::test]
    fn failing_statement_mid_revision(t) {
        scenarios::failing_statement_mid_revision(&t).await;
        // Nothing holds an advisory lock after the failures.
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(match &t.db {
            migrate_runtime::MigrateConnection::Postgres(pool) => pool,
            _ => unreachable!(),
        })
        .await
        .unwrap();
        assert_eq!(held, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    fn thirty_two_concurrent_migrators(t) {
        scenarios::concurrent_migrators(&t, 32).await;
    }

    /// The same, with a `CREATE INDEX CONCURRENTLY` among the revisions: the
    /// 31 waiting migrators must not block it (they poll the lock instead of
    /// sitting in a blocking call, which would hold a transaction open).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    fn thirty_two_concurrent_migrators_with_create_index_concurrently(t) {
        let plan = migrate_tests::PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE posts (id INTEGER PRIMARY KEY, published_at TIMESTAMPTZ)"],
                &["DROP TABLE posts"],
            )
            .revision(
                "bbbb0002",
                &["aaaa0001"],
                &[(
                    false,
                    &["CREATE INDEX CONCURRENTLY idx_published ON posts (published_at) WHERE published_at IS NOT NULL"],
                )],
                &[(false, &["DROP INDEX CONCURRENTLY idx_published"])],
            )
            .rev(
                "cccc0003",
                &["bbbb0002"],
                &["CREATE TABLE tags (id INTEGER)"],
                &["DROP TABLE tags"],
            )
            .leak();
        tokio::time::timeout(
            Duration::from_secs(120),
            scenarios::concurrent_migrators_on(&t, 32, plan),
        )
        .await
        .expect("CREATE INDEX CONCURRENTLY is not blocked by the waiting migrators");
    }

    #[tokio::test]
    fn create_index_concurrently_outside_the_transaction(t) {
        scenarios::non_transactional_sections(
            &t,
            "CREATE INDEX CONCURRENTLY idx_posts_published ON posts (published_at) WHERE published_at IS NOT NULL",
            "DROP INDEX CONCURRENTLY IF EXISTS idx_posts_published",
            "CREATE INDEX CONCURRENTLY idx_bad ON no_such_table (id)",
        )
        .await;
    }

    /// The no-op check takes no lock; real work waits for it, and gives up
    /// with a clear error after `lock_timeout`.
    #[tokio::test]
    fn no_op_takes_no_lock_and_lock_waits_time_out(t) {
        let migrate_runtime::MigrateConnection::Postgres(pool) = &t.db else {
            unreachable!()
        };
        let migrator = Migrator::new(branchy_plan()).lock_timeout(Duration::from_millis(300));
        migrator.upgrade(&t.db, "head").await.unwrap();

        let mut holder = pool.acquire().await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(migrate_runtime::advisory_lock_key("migrate_version"))
            .execute(&mut *holder)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        assert!(migrator.upgrade(&t.db, "head").await.unwrap().is_empty());
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "the no-op did not wait for the lock"
        );
        let error = migrator.downgrade(&t.db, "-1").await.unwrap_err();
        assert!(matches!(error, Error::LockTimeout { .. }), "{error}");
        assert!(error.to_string().contains("lock_timeout"), "{error}");
        sqlx::query("SELECT pg_advisory_unlock_all()")
            .execute(&mut *holder)
            .await
            .unwrap();
        drop(holder);
        assert_eq!(
            migrator.downgrade(&t.db, "-1").await.unwrap().ids(),
            ["eeee0005"]
        );
    }

    /// The offline script runs through `psql -v ON_ERROR_STOP=1` into a
    /// working, migrated schema the runtime recognises.
    #[tokio::test]
    fn offline_script_runs_through_psql(t) {
        let migrator = Migrator::new(branchy_plan());
        let script = migrator
            .sql("base:head", migrate_runtime::Dialect::Postgres)
            .unwrap();
        run_psql(&t.url, &script);
        migrator.check(&t.db).await.unwrap();
        assert!(
            migrator.upgrade(&t.db, "head").await.unwrap().is_empty(),
            "the script left the summary right"
        );
        assert_eq!(
            t.tables().await,
            migrate_tests::set(&[
                "users",
                "posts",
                "tags",
                "post_tags",
                "migrate_version",
                "migrate_version_summary"
            ])
        );
        // And the downgrade script takes it back to base.
        let script = migrator
            .sql("head:base", migrate_runtime::Dialect::Postgres)
            .unwrap();
        run_psql(&t.url, &script);
        assert_eq!(t.tables().await, migrate_tests::version_tables());
        assert!(migrator.history(&t.db).await.unwrap().is_empty());
    }

    /// A run whose future is dropped mid-revision (a startup timeout) leaves
    /// no transaction open on a pooled connection and no lock held: the next
    /// run on the same one-connection pool applies the revision.
    #[tokio::test]
    fn a_cancelled_run_leaves_nothing_behind(t) {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&t.url)
            .await
            .unwrap();
        let plan = migrate_tests::PlanBuilder::new()
            .rev(
                "aaaa0001",
                &[],
                &["CREATE TABLE slow (id INTEGER)", "SELECT pg_sleep(3)"],
                &["DROP TABLE slow"],
            )
            .leak();
        let migrator = Migrator::new(plan).lock_timeout(Duration::from_secs(10));
        let cancelled =
            tokio::time::timeout(Duration::from_millis(500), migrator.upgrade(&pool, "head")).await;
        assert!(cancelled.is_err(), "the run was cut short");
        let report = tokio::time::timeout(Duration::from_secs(20), migrator.upgrade(&pool, "head"))
            .await
            .expect("no hang")
            .unwrap();
        // The server may still have committed the cancelled batch: either way
        // the revision is applied exactly once and the second run succeeds.
        assert!(
            report.is_empty() || report.ids() == ["aaaa0001"],
            "{report:?}"
        );
        migrator.check(&pool).await.unwrap();
        assert_eq!(migrator.history(&pool).await.unwrap().len(), 1);
        pool.close().await;
    }
}
