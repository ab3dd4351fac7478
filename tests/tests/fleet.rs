//! Fleets (`Migrator::run_fleet`): a thousand PostgreSQL tenant schemas,
//! fifty SQLite files and twenty MariaDB databases brought to head in one
//! call, one tenant made to fail by a table created by hand, and the
//! second run a no-op costing at most two queries per target.
//!
//! Queries are counted from sqlx's own `sqlx::query` events (one per
//! statement sent), with a subscriber installed on the test's thread.

use std::sync::atomic::{AtomicUsize, Ordering};

use migrate_runtime::fleet::{FleetOptions, FleetTarget, TargetOutcome};
use migrate_runtime::{embed_migrations, MigrateConnection, Migrator, Plan};
use migrate_test_support::with_database;
use migrate_tests::{exec, server_url, Kind, TestDb};
use tracing_subscriber::layer::SubscriberExt as _;

static BLOG_POSTGRES: Plan = embed_migrations!("../examples/blog/migrations/postgres", unwatched);
static BLOG_SQLITE: Plan = embed_migrations!("../examples/blog/migrations/sqlite", unwatched);
/// Generic: users, posts, two seeded users (MariaDB has no blog history).
static LINEAR: Plan = embed_migrations!("fixtures/linear/migrations", unwatched);

/// Every statement sqlx sent in this process (its `sqlx::query` events,
/// counted by a global subscriber: SQLite's driver sends from a worker
/// thread of its own, out of reach of a thread's subscriber).
static QUERIES: AtomicUsize = AtomicUsize::new(0);

/// Taken by every test of this file, so that a count is one test's.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct QueryCount;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QueryCount {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Runs `future` counting the statements it sends.
async fn counting<T>(future: impl std::future::Future<Output = T>) -> (T, usize) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(QueryCount))
            .expect("no other subscriber in this test binary");
    });
    let before = QUERIES.load(Ordering::SeqCst);
    let value = future.await;
    (value, QUERIES.load(Ordering::SeqCst) - before)
}

fn options(concurrency: usize) -> FleetOptions {
    FleetOptions {
        concurrency,
        ..FleetOptions::default()
    }
}

/// Every target but `failing` moved through `revisions` revisions, and
/// `failing` failed with an error naming `needle`.
fn assert_one_failed(
    report: &migrate_runtime::FleetReport,
    failing: &str,
    revisions: usize,
    needle: &str,
) {
    assert_eq!(report.failed(), 1, "{}", report.summary());
    for target in &report.targets {
        match &target.outcome {
            TargetOutcome::Failed(error) => {
                assert_eq!(target.target, failing);
                assert!(error.to_string().contains(needle), "{error}");
            }
            TargetOutcome::Moved(moved) => {
                assert_ne!(target.target, failing);
                assert_eq!(moved.revisions.len(), revisions, "{}", target.target);
            }
            other => panic!("{}: {other:?}", target.target),
        }
    }
}

async fn scalar(db: &MigrateConnection, sql: &str) -> i64 {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A count summed over every `tenant_%` schema, in one query.
async fn per_schema_sum(db: &MigrateConnection, query: &str) -> i64 {
    scalar(
        db,
        &format!(
            "SELECT CAST(COALESCE(SUM((xpath('/row/c/text()', query_to_xml(format('{query}', nspname), false, true, '')))[1]::text::bigint), 0) AS BIGINT) \
             FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"
        ),
    )
    .await
}

#[tokio::test]
async fn a_thousand_postgres_schemas() {
    let _serial = SERIAL.lock().await;
    let Some(t) = TestDb::postgres("a_thousand_postgres_schemas").await else {
        return;
    };
    let names: Vec<String> = (0..1000).map(|i| format!("tenant_{i:04}")).collect();
    let targets: Vec<FleetTarget> = names
        .iter()
        .map(|name| FleetTarget::schema(&t.url, name).unwrap())
        .collect();
    // The tenant made to fail: `posts` already there, by hand.
    t.exec("CREATE SCHEMA tenant_0500; CREATE TABLE tenant_0500.posts (id INT)")
        .await;
    let migrator = Migrator::new(&BLOG_POSTGRES);

    let (report, first_queries) = counting(migrator.upgrade_fleet(&targets, options(8))).await;
    let report = report.unwrap();
    assert_one_failed(&report, "tenant_0500", 5, "posts");
    assert_eq!(report.summary(), "999 at head, 1 failed");
    assert!(first_queries > 5 * 999, "{first_queries} queries counted");
    // Every other schema holds the whole blog, and its version rows.
    let columns = scalar(
        &t.db,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema LIKE 'tenant\\_%' AND table_name = 'posts' AND column_name = 'published_at'",
    )
    .await;
    assert_eq!(columns, 999);
    let indexes = scalar(
        &t.db,
        "SELECT COUNT(*) FROM pg_indexes WHERE schemaname LIKE 'tenant\\_%' AND indexname = 'idx_posts_published_at'",
    )
    .await;
    assert_eq!(indexes, 999);
    // The failed tenant stopped at its revision boundary: users only.
    let rows = per_schema_sum(&t.db, "SELECT COUNT(*) AS c FROM %I.migrate_version").await;
    assert_eq!(rows, 999 * 5 + 1);
    assert!(t.tables().await.is_empty(), "nothing in public");

    // Resume: the conflict removed, only tenant_0500 has work.
    t.exec("DROP TABLE tenant_0500.posts").await;
    let report = migrator.upgrade_fleet(&targets, options(8)).await.unwrap();
    assert!(report.is_success(), "{}", report.summary());
    for target in &report.targets {
        let TargetOutcome::Moved(moved) = &target.outcome else {
            panic!("{}: {:?}", target.target, target.outcome);
        };
        let expected = if target.target == "tenant_0500" { 4 } else { 0 };
        assert_eq!(moved.revisions.len(), expected, "{}", target.target);
    }

    // At head everywhere: one query a target.
    let (report, queries) = counting(migrator.upgrade_fleet(&targets, options(8))).await;
    let report = report.unwrap();
    assert_eq!(report.summary(), "1000 at head");
    assert!(report
        .targets
        .iter()
        .all(|t| matches!(&t.outcome, TargetOutcome::Moved(m) if m.is_empty())));
    assert!(
        queries <= 2 * 1000,
        "{queries} queries for 1000 targets at head"
    );
    let rows = per_schema_sum(&t.db, "SELECT COUNT(*) AS c FROM %I.migrate_version").await;
    assert_eq!(rows, 5000, "every revision applied exactly once");

    t.drop_database().await;
}

#[tokio::test]
async fn fifty_sqlite_files() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..50)
        .map(|i| {
            format!(
                "sqlite://{}",
                dir.path().join(format!("t{i:02}.db")).display()
            )
        })
        .collect();
    let targets: Vec<FleetTarget> = urls
        .iter()
        .map(|url| FleetTarget::database(url).unwrap())
        .collect();
    let failing = MigrateConnection::connect(&urls[17]).await.unwrap();
    exec(&failing, "CREATE TABLE tags (id INT)").await;
    failing.close().await;
    let migrator = Migrator::new(&BLOG_SQLITE);

    let report = migrator.upgrade_fleet(&targets, options(8)).await.unwrap();
    assert_one_failed(&report, &urls[17], 5, "tags");
    assert_eq!(report.summary(), "49 at head, 1 failed");

    let (report, queries) = counting(migrator.upgrade_fleet(&targets, options(8))).await;
    let report = report.unwrap();
    assert_eq!(report.failed(), 1);
    // The 49 at head cost their one query (the failing one retries).
    let at_head: Vec<_> = report
        .targets
        .iter()
        .filter(|t| matches!(&t.outcome, TargetOutcome::Moved(m) if m.is_empty()))
        .collect();
    assert_eq!(at_head.len(), 49);
    let healthy: Vec<FleetTarget> = targets
        .iter()
        .filter(|t| t.url() != urls[17])
        .cloned()
        .collect();
    let (report, healthy_queries) = counting(migrator.upgrade_fleet(&healthy, options(8))).await;
    assert!(report.unwrap().is_success());
    assert!(
        healthy_queries <= 2 * 49,
        "{healthy_queries} queries for 49 targets at head"
    );
    assert!(queries > healthy_queries);
    for url in &urls {
        let db = MigrateConnection::connect(url).await.unwrap();
        let rows = scalar(&db, "SELECT COUNT(*) FROM migrate_version").await;
        assert_eq!(rows, if *url == urls[17] { 2 } else { 5 }, "{url}");
        db.close().await;
    }
}

#[tokio::test]
async fn twenty_mariadb_databases() {
    let _serial = SERIAL.lock().await;
    let Some(admin_url) = server_url("MIGRATE_TEST_MYSQL_URL", "twenty_mariadb_databases") else {
        return;
    };
    let admin = MigrateConnection::connect(&admin_url).await.unwrap();
    let prefix = migrate_test_support::unique_name("migrate_f");
    let names: Vec<String> = (0..20).map(|i| format!("{prefix}_{i:02}")).collect();
    for name in &names {
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
    }
    exec(&admin, &format!("CREATE TABLE {}.posts (id INT)", names[7])).await;
    let urls: Vec<String> = names.iter().map(|n| with_database(&admin_url, n)).collect();
    let targets: Vec<FleetTarget> = urls
        .iter()
        .map(|url| FleetTarget::database(url).unwrap())
        .collect();
    let migrator = Migrator::new(&LINEAR);

    let report = migrator.upgrade_fleet(&targets, options(8)).await.unwrap();
    assert_one_failed(&report, &migrate_runtime::redact_url(&urls[7]), 3, "posts");
    assert_eq!(report.summary(), "19 at head, 1 failed");
    for (name, url) in names.iter().zip(&urls) {
        let rows = scalar(
            &admin,
            &format!("SELECT CAST(COUNT(*) AS SIGNED) FROM {name}.migrate_version WHERE state = 'applied'"),
        )
        .await;
        assert_eq!(rows, if *url == urls[7] { 1 } else { 3 }, "{name}");
    }

    let healthy: Vec<FleetTarget> = targets
        .iter()
        .filter(|t| t.url() != urls[7])
        .cloned()
        .collect();
    let (report, queries) = counting(migrator.upgrade_fleet(&healthy, options(8))).await;
    let report = report.unwrap();
    assert_eq!(report.summary(), "19 at head");
    // sqlx's MySQL driver sends one `SET` when it connects: two a target.
    assert!(
        queries <= 2 * 19,
        "{queries} queries for 19 targets at head"
    );
    admin.close().await;
    // Best effort, as every test's clean-up: MariaDB once refused to drop a
    // database whose directory still held a trigger file's backup
    // (`migrate_version.TRG-`), after every assertion above had passed.
    for name in &names {
        migrate_test_support::remove_database(&admin_url, name).await;
    }
}

#[tokio::test]
async fn canary_and_stop_after_failures() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..10)
        .map(|i| format!("sqlite://{}", dir.path().join(format!("c{i}.db")).display()))
        .collect();
    let targets: Vec<FleetTarget> = urls
        .iter()
        .map(|url| FleetTarget::database(url).unwrap())
        .collect();
    for url in [&urls[1], &urls[4], &urls[5]] {
        let db = MigrateConnection::connect(url).await.unwrap();
        exec(&db, "CREATE TABLE users (id INT)").await;
        db.close().await;
    }
    let migrator = Migrator::new(&BLOG_SQLITE);
    // The canary (the first two) holds a failure: nothing else starts.
    let canary = FleetOptions {
        concurrency: 1,
        canary: 2,
        ..FleetOptions::default()
    };
    let report = migrator.upgrade_fleet(&targets, canary).await.unwrap();
    assert_eq!(report.summary(), "1 at head, 1 failed, 8 not run");
    // One at a time, stopping at the second failure (the fifth target).
    let stop = FleetOptions {
        concurrency: 1,
        stop_after_failures: Some(2),
        ..FleetOptions::default()
    };
    let report = migrator.upgrade_fleet(&targets, stop).await.unwrap();
    assert_eq!(report.summary(), "3 at head, 2 failed, 5 not run");
    assert!(matches!(report.targets[5].outcome, TargetOutcome::NotRun));
}

/// A port on this machine where nothing listens: bound, then let go.
fn refusing_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A target whose server refuses the connection fails at once with the
/// system's error, the target named and its password in no form, while the
/// healthy target next to it goes on (before, the pool retried the refused
/// connection for the whole connect timeout, 10 s, and the report said only
/// that the timeout fired).
async fn a_refused_target_fails_at_once(t: TestDb, plan: &'static Plan) {
    let _serial = SERIAL.lock().await;
    let scheme = t.url.split("://").next().unwrap();
    let port = refusing_port();
    // The password in clear, percent-encoded and decoded, must appear nowhere.
    let refused = format!("{scheme}://app:hunter%402@127.0.0.1:{port}/tenant");
    let targets = [
        FleetTarget::database(&t.url).unwrap(),
        FleetTarget::database(&refused).unwrap(),
    ];
    let started = std::time::Instant::now();
    let report = Migrator::new(plan)
        .upgrade_fleet(&targets, options(2))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.summary(), "1 at head, 1 failed", "{report:?}");
    let failed = &report.targets[1];
    let error = failed
        .error()
        .expect("the refused target failed")
        .to_string();
    let line = format!("{}: {error}", failed.target);
    let json = report.to_json().to_string();
    for text in [&line, &json] {
        for secret in ["hunter", "%402", "hunter@2"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert!(
        failed.target.contains(&format!("127.0.0.1:{port}")) && failed.target.contains("***"),
        "{line}"
    );
    assert!(
        error.contains(&format!(
            "could not connect to {scheme}://app:***@127.0.0.1:{port}/tenant"
        )) && error.to_lowercase().contains("refused")
            && !error.contains("timeout"),
        "{line}"
    );
    // Well under the 10 s connect timeout, the healthy target included.
    assert!(
        failed.duration < std::time::Duration::from_secs(2),
        "{line}: {:?}",
        failed.duration
    );
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
    println!("{line} ({:?}; the run {elapsed:?})", failed.duration);
    // The healthy target is at head: its version table says so.
    let TargetOutcome::Moved(moved) = &report.targets[0].outcome else {
        panic!("{:?}", report.targets[0]);
    };
    let integer = if t.kind == Kind::Postgres {
        "BIGINT"
    } else {
        "SIGNED"
    };
    let applied = t
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS {integer}) FROM migrate_version WHERE state = 'applied'"
        ))
        .await;
    assert_eq!(applied, moved.revisions.len() as i64);
    assert!(applied > 0);
    t.drop_database().await;
}

#[tokio::test]
async fn a_refused_postgres_target_fails_at_once() {
    let Some(t) = TestDb::postgres("a_refused_postgres_target_fails_at_once").await else {
        return;
    };
    a_refused_target_fails_at_once(t, &BLOG_POSTGRES).await;
}

#[tokio::test]
async fn a_refused_mysql_target_fails_at_once() {
    let Some(t) = TestDb::mysql("a_refused_mysql_target_fails_at_once").await else {
        return;
    };
    a_refused_target_fails_at_once(t, &LINEAR).await;
}
