//! Faults (issue 8, items 5-9): a failing statement located without running
//! anything twice, the lock lost mid-run, and records whose outcome is
//! unknown. The connection-cut and frozen-network cases are in `proxy.rs`,
//! the kills in `kill_matrix.rs`.

use std::time::Duration;

use migrate_runtime::{Error, MigrateConnection, Migrator, RowState, TransactionMode};
use migrate_tests::{Kind, PlanBuilder, TestDb};

async fn scalar_i64(db: &MigrateConnection, sql: &str) -> i64 {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Item 9: the failing statement of a batch is named from where the batch
/// stopped, not by replaying it: a sequence advanced before the failure
/// advances once, per revision and in the single-transaction mode.
#[tokio::test]
async fn failing_statement_is_located_without_running_anything_twice() {
    let Some(t) =
        TestDb::postgres("failing_statement_is_located_without_running_anything_twice").await
    else {
        return;
    };
    t.exec("CREATE SEQUENCE counter").await;
    let plan = PlanBuilder::new()
        .rev(
            "a1",
            &[],
            &[
                "SELECT nextval('counter')",
                "CREATE TABLE items (id INTEGER)",
            ],
            &["DROP TABLE items"],
        )
        .rev(
            "b2",
            &["a1"],
            &[
                "SELECT nextval('counter')",
                "INSERT INTO items VALUES (1)",
                "SELECT 1 / (SELECT COUNT(*) - 1 FROM items)",
                "INSERT INTO items VALUES (2)",
            ],
            &["DELETE FROM items"],
        )
        .leak();
    for (mode, expected) in [
        (TransactionMode::PerRevision, 2),
        (TransactionMode::Single, 4),
    ] {
        if mode == TransactionMode::Single {
            t.exec("DROP TABLE migrate_version, migrate_version_summary, items")
                .await;
        }
        let migrator = Migrator::new(plan).transaction_mode(mode);
        let error = migrator.upgrade(&t.db, "head").await.unwrap_err();
        let Error::Statement(failure) = &error else {
            panic!("expected a statement error, got {error}");
        };
        assert_eq!(failure.revision, "b2", "{error}");
        assert_eq!(
            failure.statement.as_ref().map(|s| (s.index, s.line)),
            Some((3, 9)),
            "{error}"
        );
        assert!(failure.message.contains("division by zero"), "{error}");
        // nextval is not transactional: it counts every execution.
        let called = scalar_i64(&t.db, "SELECT last_value FROM counter").await;
        assert_eq!(called, expected, "{mode:?}: nextval ran too often: {error}");
    }
    t.drop_database().await;
}

/// Item 9 on SQLite: the failing statement is located in the batch too.
#[tokio::test]
async fn failing_statement_is_located_on_sqlite() {
    let t = TestDb::sqlite().await;
    let plan = PlanBuilder::new()
        .rev(
            "a1",
            &[],
            &[
                "CREATE TABLE items (id INTEGER PRIMARY KEY)",
                "INSERT INTO items VALUES (1)",
                "INSERT INTO items VALUES (1)",
            ],
            &["DROP TABLE items"],
        )
        .leak();
    let error = Migrator::new(plan)
        .upgrade(&t.db, "head")
        .await
        .unwrap_err();
    let Error::Statement(failure) = &error else {
        panic!("expected a statement error, got {error}");
    };
    assert_eq!(
        failure.statement.as_ref().map(|s| s.index),
        Some(3),
        "{error}"
    );
    assert!(failure.rolled_back, "{error}");
}

/// Ends the session holding the migration lock, if there is one yet.
async fn kill_lock_session(db: &MigrateConnection) -> bool {
    match db {
        MigrateConnection::Postgres(_) => {
            scalar_i64(
                db,
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .await
                > 0
        }
        MigrateConnection::MySql(pool) => {
            let holder: Option<i64> = sqlx::query_scalar(
                "SELECT IS_USED_LOCK(CONCAT('migrate_', LEFT(SHA2(CONCAT(DATABASE(), '.', 'migrate_version'), 256), 40)))",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            match holder {
                Some(id) => {
                    sqlx::raw_sql(&format!("KILL {id}")).execute(pool).await.unwrap();
                    true
                }
                None => false,
            }
        }
        MigrateConnection::Sqlite(_) => unreachable!("SQLite has no lock session"),
    }
}

/// Item 8: the lock session is terminated while a revision runs: the
/// migrator stops before committing and says the lock was lost.
async fn lock_session_killed(t: &TestDb, sleep: &str) {
    let plan = PlanBuilder::new()
        .rev(
            "a1",
            &[],
            &["CREATE TABLE items (id INTEGER)", sleep],
            &["DROP TABLE items"],
        )
        .rev(
            "b2",
            &["a1"],
            &["INSERT INTO items VALUES (1)"],
            &["DELETE FROM items"],
        )
        .leak();
    let migrator = Migrator::new(plan);
    let db = t.another_pool().await;
    let run = tokio::spawn(async move {
        let result = migrator.upgrade(&db, "head").await;
        db.close().await;
        result
    });
    // Wait until the revision sleeps, then end the lock session.
    let killer = t.another_pool().await;
    let sleeping = match t.kind {
        Kind::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN;%pg_sleep%' AND pid <> pg_backend_pid()",
        _ => "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP%'",
    };
    let mut killed = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if scalar_i64(&killer, sleeping).await > 0 && kill_lock_session(&killer).await {
            killed = true;
            break;
        }
    }
    assert!(killed, "the lock session was never seen");
    let result = run.await.expect("the run does not panic");
    let error = result.expect_err("the run must stop once its lock is gone");
    let text = error.to_string();
    assert!(matches!(error, Error::LockLost(_)), "{text}");
    assert!(text.contains("migration lock was lost"), "{text}");
    assert!(text.contains("lock was lost"), "{text}");
    let history = Migrator::new(plan).history(&t.db).await.unwrap();
    if t.kind == Kind::Postgres {
        // The revision's transaction was rolled back.
        assert!(!t.tables().await.contains("items"), "{text}");
        assert!(history.is_empty(), "{history:?}");
    } else {
        // MySQL committed the CREATE TABLE and the SLEEP, nothing after.
        assert!(t.tables().await.contains("items"), "{text}");
        assert!(text.contains("#1 (") && text.contains("#2 ("), "{text}");
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(
            (history[0].state, history[0].statements_done),
            (RowState::Failed, 2),
            "{history:?}"
        );
    }
    println!("{text}");
    killer.close().await;
}

#[tokio::test]
async fn lock_lost_on_postgres_stops_the_run() {
    let Some(t) = TestDb::postgres("lock_lost_on_postgres_stops_the_run").await else {
        return;
    };
    lock_session_killed(&t, "SELECT pg_sleep(1.5)").await;
    t.drop_database().await;
}

#[tokio::test]
async fn lock_lost_on_mysql_stops_the_run() {
    let Some(t) = TestDb::mysql("lock_lost_on_mysql_stops_the_run").await else {
        return;
    };
    lock_session_killed(&t, "SELECT SLEEP(1.5)").await;
    t.drop_database().await;
}

/// Item 7: PostgreSQL sessions opened by the migrator (pools from a URL, and
/// the lock's own connection) ask the server for TCP keepalive probes, so a
/// vanished client's session and lock do not linger for hours.
#[tokio::test]
async fn postgres_sessions_have_keepalive() {
    let Some(t) = TestDb::postgres("postgres_sessions_have_keepalive").await else {
        return;
    };
    let MigrateConnection::Postgres(pool) = &t.db else {
        unreachable!()
    };
    let idle: String = sqlx::query_scalar("SHOW tcp_keepalives_idle")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(idle, "30");
    t.drop_database().await;
}

/// Issue 11 item 6: one connect timeout, one message. A server that accepts
/// the TCP connection and never answers (a listener that never calls
/// `accept`: the kernel completes the handshake) is given up on after the
/// migrator's `connect_timeout`, on both server URLs, with the message every
/// connect timeout uses (the CLI's `--connect-timeout` sets the same one).
#[tokio::test]
async fn a_server_that_never_answers_hits_the_one_connect_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let plan = PlanBuilder::new()
        .rev("a1", &[], &["CREATE TABLE t (id INTEGER)"], &[])
        .leak();
    for url in [
        format!("postgres://app:s3cret@127.0.0.1:{port}/db"),
        format!("mysql://app:s3cret@127.0.0.1:{port}/db"),
    ] {
        let migrator = Migrator::new(plan).connect_timeout(Duration::from_millis(300));
        let error = tokio::time::timeout(Duration::from_secs(20), migrator.open(&url))
            .await
            .unwrap_or_else(|_| panic!("{url}: still connecting after 20 s"))
            .expect_err("nothing answers");
        let scheme = url.split(':').next().unwrap_or_default();
        assert_eq!(
            error.to_string(),
            format!(
                "could not connect to {scheme}://app:***@127.0.0.1:{port}/db: \
                 the connect timeout (300ms) fired: no connection to the server in time"
            )
        );
        // `MigrateConnection::connect_with_timeout` is the same path.
        let error = MigrateConnection::connect_with_timeout(&url, Duration::from_millis(200))
            .await
            .expect_err("nothing answers")
            .to_string();
        assert!(
            error.ends_with(
                "the connect timeout (200ms) fired: no connection to the server in time"
            ),
            "{error}"
        );
    }
    drop(silent);
}

/// What a statement the statement timeout cut short is reported as: the
/// revision, the statement's file and line, that the timeout cancelled it,
/// and the revision's state, each claim checked against the version table,
/// the catalog and the server's sessions. `sleep` is the backend's 30 s
/// pause; `bare` runs the revision outside a transaction (on MySQL every
/// statement commits on its own anyway).
async fn statement_timeout_names_the_statement(t: &TestDb, sleep: &str, bare: bool) {
    let plan = PlanBuilder::new()
        .revision(
            "a1",
            &[],
            &[(
                !bare,
                &[
                    "CREATE TABLE before_pause (id INTEGER)",
                    sleep,
                    "CREATE TABLE after_pause (id INTEGER)",
                ],
            )],
            &[(true, &["DROP TABLE before_pause"])],
        )
        .leak();
    let migrator = Migrator::new(plan).statement_timeout(Some(Duration::from_secs(1)));
    let started = std::time::Instant::now();
    let error = migrator.upgrade(&t.db, "head").await.unwrap_err();
    let elapsed = started.elapsed();
    let text = error.to_string();
    println!("{:?} ({elapsed:?}): {text}", t.kind);
    // Well under the 30 s pause: the statement was cut short on the server.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}: {text}");
    let Error::Statement(failure) = &error else {
        panic!("not a statement error: {text}");
    };
    assert_eq!(failure.revision, "a1");
    assert_eq!(failure.timed_out, Some(Duration::from_secs(1)), "{text}");
    let statement = failure.statement.as_ref().expect("the statement is named");
    assert_eq!((statement.index, statement.line), (2, 8), "{text}");
    assert!(
        text.starts_with(
            "upgrade of revision a1 failed at migrations/a1_test.sql:8 (statement 2 of 3): the statement timeout (1s) fired while it ran, and the runtime cancelled it (the server answered: "
        ),
        "{text}"
    );
    // Nothing still runs the pause on the server.
    let running = match t.kind {
        Kind::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()",
        _ => "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(30)%'",
    };
    assert_eq!(scalar_i64(&t.db, running).await, 0, "the pause still runs");
    let tables = t.tables().await;
    let rows = migrator.history(&t.db).await.unwrap();
    if bare || t.kind == Kind::MySql {
        // The first statement committed on its own: the error says so, the
        // catalog shows it, and the row records it, marked failed.
        assert!(!failure.rolled_back, "{text}");
        assert_eq!(failure.committed.len(), 1, "{text}");
        assert!(
            text.ends_with("; these statements ran and stay committed: #1 (migrations/a1_test.sql:7); the revision is marked failed: fix the database by hand, then `stamp` the revision it is now at"),
            "{text}"
        );
        assert!(tables.contains("before_pause"), "{tables:?}");
        assert!(!tables.contains("after_pause"), "{tables:?}");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            (rows[0].state, rows[0].statements_done),
            (RowState::Failed, 1)
        );
        // The next run names the statement that did not complete.
        let unresolved = migrator.unresolved(&t.db).await.unwrap();
        assert_eq!(unresolved.len(), 1);
        let stopped = unresolved[0].stopped_at.as_ref().expect("stopped_at");
        assert_eq!((stopped.index, stopped.line), (2, 8));
        let again = migrator
            .upgrade(&t.db, "head")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            again.contains("; did not complete: #2 (migrations/a1_test.sql:8)")
                && again.contains("not run: #3 (migrations/a1_test.sql:9)"),
            "{again}"
        );
    } else {
        // One transaction: rolled back, as the error says.
        assert!(failure.rolled_back, "{text}");
        assert!(
            text.ends_with("; it was rolled back, the database is as before this revision"),
            "{text}"
        );
        assert!(!tables.contains("before_pause"), "{tables:?}");
        assert!(rows.is_empty(), "{rows:?}");
        assert!(migrator.unresolved(&t.db).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn statement_timeout_names_the_statement_on_postgres() {
    let Some(t) = TestDb::postgres("statement_timeout_names_the_statement_on_postgres").await
    else {
        return;
    };
    statement_timeout_names_the_statement(&t, "SELECT pg_sleep(30)", false).await;
    t.drop_database().await;
    let Some(t) = TestDb::postgres("statement_timeout_names_the_statement_on_postgres").await
    else {
        return;
    };
    statement_timeout_names_the_statement(&t, "SELECT pg_sleep(30)", true).await;
    t.drop_database().await;
}

#[tokio::test]
async fn statement_timeout_names_the_statement_on_mysql() {
    let Some(t) = TestDb::mysql("statement_timeout_names_the_statement_on_mysql").await else {
        return;
    };
    statement_timeout_names_the_statement(&t, "SELECT SLEEP(30)", false).await;
    t.drop_database().await;
}
