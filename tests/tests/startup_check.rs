//! The start-up check, as every replica of a service runs it at boot: with
//! everything applied, the first `upgrade("head")` and the first `check` of
//! a new migrator on a new pool are one statement each (the summary row and
//! the version table's change counter): no table created, no lock taken, no
//! transaction. A hand edit of the version table, and version tables made by
//! an earlier version, take the full path once, then one statement again. Counted
//! from sqlx's own statement log (`sqlx::query` events, one per statement
//! the server executed), on SQLite, PostgreSQL and MariaDB. On MariaDB, a
//! user without the `TRIGGER` privilege gets no change counter, and the
//! check is two statements (the summary row, the fingerprint) that still
//! notice hand edits. (No PostgreSQL counterpart: the migrator creates the
//! version table, and a table's owner can always create triggers on it.)
//!
//! One test in its own binary: the counter is the process's global
//! subscriber (SQLite runs statements on a worker thread of its own, which
//! a thread-local subscriber would not see).

use std::sync::{Arc, Mutex};

use migrate_runtime::{MigrateConnection, Migrator};
use migrate_tests::{scenarios::chain_plan, Kind, TestDb};
use tracing_subscriber::layer::SubscriberExt as _;

/// Every statement sqlx reports, in order.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("statements lock"))
    }
}

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" || (self.0.is_empty() && field.name() == "summary") {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut text = Text(String::new());
            event.record(&mut text);
            self.0.lock().expect("statements lock").push(text.0);
        }
    }
}

/// A pool of one connection on `t`'s database (so that no connection is
/// opened, with its own setup statements, while the check runs).
async fn one_connection(t: &TestDb) -> MigrateConnection {
    match t.kind {
        Kind::Sqlite => MigrateConnection::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&t.url)
                .await
                .expect("sqlite"),
        ),
        Kind::Postgres => MigrateConnection::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&t.url)
                .await
                .expect("postgres"),
        ),
        Kind::MySql => MigrateConnection::MySql(
            sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(1)
                .connect(&t.url)
                .await
                .expect("mysql"),
        ),
    }
}

/// A no-op `upgrade("head")` of `plan` is one statement.
async fn assert_one_statement(
    pool: &MigrateConnection,
    plan: &'static migrate_runtime::Plan,
    statements: &Statements,
    kind: Kind,
    when: &str,
) {
    let ran = no_op_upgrade(pool, plan, statements, kind, when).await;
    assert_eq!(ran.len(), 1, "{kind:?} {when}: {ran:#?}");
}

/// The statements a no-op `upgrade("head")` of `plan` sends (it must run
/// no revision).
async fn no_op_upgrade(
    pool: &MigrateConnection,
    plan: &'static migrate_runtime::Plan,
    statements: &Statements,
    kind: Kind,
    when: &str,
) -> Vec<String> {
    statements.take();
    let report = Migrator::new(plan)
        .upgrade(pool, "head")
        .await
        .expect("no-op upgrade");
    assert!(report.is_empty(), "{kind:?} {when}");
    statements.take()
}

/// A no-op `upgrade("head")` of `plan` that takes the full path (the lock,
/// every row read) and runs nothing.
async fn assert_full_path(
    pool: &MigrateConnection,
    plan: &'static migrate_runtime::Plan,
    statements: &Statements,
    kind: Kind,
    when: &str,
) {
    let ran = no_op_upgrade(pool, plan, statements, kind, when).await;
    assert!(ran.len() > 2, "{kind:?} {when}: {ran:#?}");
}

/// Turns the version tables into what an earlier version of this crate
/// made: the summary table without the change counter's columns, and no
/// triggers (the rows and the summary's values stay).
async fn to_earlier_layout(pool: &MigrateConnection, kind: Kind) {
    let triggers: &[&str] = match kind {
        Kind::Postgres => &[
            "DROP TRIGGER migrate_version_count ON migrate_version",
            "DROP FUNCTION migrate_version_count()",
        ],
        Kind::Sqlite | Kind::MySql => &[
            "DROP TRIGGER migrate_version_ins",
            "DROP TRIGGER migrate_version_upd",
            "DROP TRIGGER migrate_version_del",
        ],
    };
    for statement in triggers {
        migrate_tests::exec(pool, statement).await;
    }
    let (integer, suffix) = match kind {
        Kind::Sqlite => ("INTEGER", ""),
        Kind::Postgres => ("BIGINT", ""),
        Kind::MySql => ("BIGINT", " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"),
    };
    for statement in [
        "CREATE TABLE old_summary AS SELECT id, heads, digest, failed FROM migrate_version_summary".to_string(),
        "DROP TABLE migrate_version_summary".to_string(),
        format!("CREATE TABLE migrate_version_summary (\n    id {integer} NOT NULL PRIMARY KEY,\n    heads TEXT NOT NULL,\n    digest CHAR(64) NOT NULL,\n    failed {integer} NOT NULL\n){suffix}"),
        "INSERT INTO migrate_version_summary (id, heads, digest, failed) SELECT id, heads, digest, failed FROM old_summary".to_string(),
        "DROP TABLE old_summary".to_string(),
    ] {
        migrate_tests::exec(pool, &statement).await;
    }
}

/// What one backend's first calls execute.
async fn first_calls_are_one_statement(t: TestDb, statements: &Statements) {
    let plan = chain_plan(3);
    Migrator::new(plan)
        .upgrade(&t.db, "head")
        .await
        .expect("upgrade");
    // A new pool whose connection is open (as a service's, before its
    // first query): what it cost to connect is not the check's.
    let pool = one_connection(&t).await;
    migrate_tests::exec(&pool, "SELECT 1").await;
    statements.take();

    let report = Migrator::new(plan)
        .upgrade(&pool, "head")
        .await
        .expect("no-op upgrade");
    assert!(report.is_empty());
    let upgrade = statements.take();
    assert_eq!(upgrade.len(), 1, "{:?}: {upgrade:#?}", t.kind);
    assert!(
        upgrade[0].contains("migrate_version"),
        "{:?}: {upgrade:#?}",
        t.kind
    );

    Migrator::new(plan).check(&pool).await.expect("check");
    let check = statements.take();
    assert_eq!(
        check, upgrade,
        "{:?}: check runs the same one query",
        t.kind
    );

    // The counter sees more when there is more: a plan with one revision
    // more takes the full path (lock, transaction, the revision).
    let longer = chain_plan(4);
    assert!(Migrator::new(longer).check(&pool).await.is_err());
    statements.take();
    Migrator::new(longer)
        .upgrade(&pool, "head")
        .await
        .expect("upgrade one more");
    let applying = statements.take();
    assert!(applying.len() > 2, "{:?}: {applying:#?}", t.kind);
    assert_one_statement(&pool, longer, statements, t.kind, "after a run").await;

    // A hand edit of a column no check compares: the version table's change
    // counter sees it, so the next call takes the full path (which finds the
    // rows in order and runs nothing), and the one after is one query again.
    migrate_tests::exec(
        &pool,
        "UPDATE migrate_version SET duration_ms = duration_ms + 1",
    )
    .await;
    assert_full_path(&pool, longer, statements, t.kind, "after a hand edit").await;
    assert_one_statement(&pool, longer, statements, t.kind, "after the repair").await;

    // The version tables of an earlier version (a summary without the
    // counter, no triggers): the first call takes the full path and adds
    // the counter; from then on the check is one query and sees hand edits.
    to_earlier_layout(&pool, t.kind).await;
    assert_full_path(&pool, longer, statements, t.kind, "on the earlier layout").await;
    assert_one_statement(
        &pool,
        longer,
        statements,
        t.kind,
        "after the layout upgrade",
    )
    .await;
    migrate_tests::exec(&pool, "DROP TABLE t_3").await;
    migrate_tests::exec(
        &pool,
        "DELETE FROM migrate_version WHERE revision = '0003c0ffee0003'",
    )
    .await;
    let report = Migrator::new(longer)
        .upgrade(&pool, "head")
        .await
        .expect("upgrade after a deleted row");
    assert_eq!(report.ids(), ["0003c0ffee0003"], "{:?}", t.kind);
    statements.take();
    assert_one_statement(&pool, longer, statements, t.kind, "after the re-run").await;

    // A downgrade on the earlier layout works too.
    to_earlier_layout(&pool, t.kind).await;
    let report = Migrator::new(longer)
        .downgrade(&pool, "-1")
        .await
        .expect("downgrade on the earlier layout");
    assert_eq!(report.ids(), ["0003c0ffee0003"], "{:?}", t.kind);
    Migrator::new(longer)
        .upgrade(&pool, "head")
        .await
        .expect("upgrade after the downgrade");
    statements.take();
    assert_one_statement(&pool, longer, statements, t.kind, "after the downgrade").await;
    pool.close().await;
    t.drop_database().await;
}

/// MariaDB/MySQL, a user without the `TRIGGER` privilege (everything else
/// on its own database): the upgrade succeeds without the change counter
/// (`counted` stays 0, no trigger), and the start-up check falls back on the
/// version table's fingerprint, a second query: at head nothing runs; a row
/// edited or deleted by hand is noticed and the full path runs.
async fn without_trigger_privilege(t: TestDb, statements: &Statements) {
    let user = format!("{}_nt", t.name);
    for statement in [
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'no-trigger'"),
        format!("GRANT ALL PRIVILEGES ON `{}`.* TO '{user}'@'%'", t.name),
        format!("REVOKE TRIGGER ON `{}`.* FROM '{user}'@'%'", t.name),
    ] {
        t.exec(&statement).await;
    }
    let options: sqlx::mysql::MySqlConnectOptions = t.url.parse().expect("mysql url");
    let raw = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect_with(options.username(&user).password("no-trigger"))
        .await
        .expect("the user without TRIGGER connects");
    // The privilege is really missing.
    sqlx::raw_sql("CREATE TABLE probe (id INT)")
        .execute(&raw)
        .await
        .expect("the user creates a table");
    let refused =
        sqlx::raw_sql("CREATE TRIGGER probe_ins AFTER INSERT ON probe FOR EACH ROW SET @x = 1")
            .execute(&raw)
            .await;
    assert!(refused.is_err(), "the user can create triggers");
    sqlx::raw_sql("DROP TABLE probe")
        .execute(&raw)
        .await
        .expect("the user drops a table");
    let pool = MigrateConnection::MySql(raw);

    let plan = chain_plan(3);
    let report = Migrator::new(plan)
        .upgrade(&pool, "head")
        .await
        .expect("upgrade without the TRIGGER privilege");
    assert_eq!(report.ids().len(), 3);
    assert_eq!(
        t.scalar("SELECT counted FROM migrate_version_summary WHERE id = 1")
            .await,
        0
    );
    assert_eq!(
        t.scalar(
            "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        )
        .await,
        0
    );

    // At head: the summary row, then the fingerprint; nothing runs.
    let at_head = |when: &'static str| {
        let pool = &pool;
        async move {
            statements.take();
            let report = Migrator::new(plan)
                .upgrade(pool, "head")
                .await
                .expect("no-op upgrade");
            assert!(report.is_empty(), "{when}");
            let ran = statements.take();
            assert_eq!(ran.len(), 2, "{when}: {ran:#?}");
            Migrator::new(plan).check(pool).await.expect("check");
            assert_eq!(
                statements.take(),
                ran,
                "{when}: check runs the same queries"
            );
        }
    };
    at_head("after the upgrade").await;

    // A checksum edited by hand: the fingerprint differs, the full path
    // runs and refuses the edited row.
    let reverse =
        "UPDATE migrate_version SET checksum = REVERSE(checksum) WHERE revision = '0001c0ffee0001'";
    t.exec(reverse).await;
    assert!(Migrator::new(plan).check(&pool).await.is_err());
    let error = Migrator::new(plan)
        .upgrade(&pool, "head")
        .await
        .expect_err("an edited checksum is noticed");
    assert!(
        matches!(error, migrate_runtime::Error::ChecksumMismatch { .. }),
        "{error}"
    );
    t.exec(reverse).await;
    at_head("after the checksum is restored").await;

    // A row deleted by hand: the full path runs the revision again.
    t.exec("DROP TABLE t_2").await;
    t.exec("DELETE FROM migrate_version WHERE revision = '0002c0ffee0002'")
        .await;
    assert!(Migrator::new(plan).check(&pool).await.is_err());
    let report = Migrator::new(plan)
        .upgrade(&pool, "head")
        .await
        .expect("upgrade after a deleted row");
    assert_eq!(report.ids(), ["0002c0ffee0002"]);
    assert_eq!(
        t.scalar("SELECT counted FROM migrate_version_summary WHERE id = 1")
            .await,
        0
    );
    at_head("after the re-run").await;

    pool.close().await;
    t.exec(&format!("DROP USER '{user}'@'%'")).await;
    t.drop_database().await;
}

#[tokio::test]
async fn the_first_check_of_a_new_process_is_one_statement() {
    let statements = Statements::default();
    let subscriber = tracing_subscriber::registry()
        .with(statements.clone())
        .with(tracing_subscriber::filter::LevelFilter::TRACE);
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    first_calls_are_one_statement(TestDb::sqlite().await, &statements).await;
    if let Some(t) = TestDb::postgres("startup_check").await {
        first_calls_are_one_statement(t, &statements).await;
    }
    if let Some(t) = TestDb::mysql("startup_check").await {
        first_calls_are_one_statement(t, &statements).await;
    }
    if let Some(t) = TestDb::mysql("startup_check").await {
        without_trigger_privilege(t, &statements).await;
    }
}
