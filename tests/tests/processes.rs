//! Several OS processes against one database: eight `migrate_worker`s
//! start `upgrade head` at once on an empty database (SQLite, PostgreSQL,
//! MariaDB); all succeed and every revision is applied exactly once.

use std::process::Stdio;
use std::time::Duration;

use migrate_runtime::{Dialect, Migrator};
use migrate_tests::generated::{check_boundary, generated_plan, revision_id};
use migrate_tests::TestDb;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

const PROCESSES: usize = 8;
const REVISIONS: usize = 12;

fn worker() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate_worker"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts eight workers at once with `args` after the URL; returns the ids
/// they report applied, all together, sorted.
async fn run_eight(t: &TestDb, args: &[&str]) -> Vec<String> {
    // Eight workers hold up to forty connections: the races of this binary
    // take turns, or two of them could exhaust PostgreSQL's 100 clients.
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = TURN.lock().await;
    let mut children = Vec::new();
    for _ in 0..PROCESSES {
        children.push(
            worker()
                .arg(&t.url)
                .args(args)
                .spawn()
                .expect("the worker starts"),
        );
    }
    let mut applied = Vec::new();
    for child in children {
        let output = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
            .await
            .expect("every worker finishes")
            .expect("the worker's output");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "a worker failed ({}): {stderr}",
            output.status
        );
        applied.extend(
            stdout
                .lines()
                .filter_map(|line| line.strip_prefix("applied "))
                .map(String::from),
        );
    }
    applied.sort();
    applied
}

async fn eight_processes_apply_each_revision_once(t: &TestDb, dialect: Dialect) {
    let revisions = REVISIONS.to_string();
    let applied = run_eight(t, &["upgrade", "head", "--revisions", &revisions]).await;
    let expected: Vec<String> = (1..=REVISIONS).map(revision_id).collect();
    assert_eq!(
        applied, expected,
        "each revision reported applied by exactly one process"
    );
    // The schema agrees: one marker row per revision, every table once.
    assert_eq!(check_boundary(&t.db).await, Ok(REVISIONS));
    Migrator::new(generated_plan(REVISIONS, dialect))
        .check(&t.db)
        .await
        .expect("at head");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_sqlite() {
    let t = TestDb::sqlite().await;
    eight_processes_apply_each_revision_once(&t, Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_postgres() {
    let Some(t) = TestDb::postgres("eight_processes_on_postgres").await else {
        return;
    };
    eight_processes_apply_each_revision_once(&t, Dialect::Postgres).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_mysql() {
    let Some(t) = TestDb::mysql("eight_processes_on_mysql").await else {
        return;
    };
    eight_processes_apply_each_revision_once(&t, Dialect::MySql).await;
    t.drop_database().await;
}

/// The same race over a plan `embed_migrations!` compiled into the worker.
async fn eight_processes_on_the_embedded_fixture(t: &TestDb) {
    let applied = run_eight(t, &["upgrade", "head", "--embedded"]).await;
    assert_eq!(applied, ["a1000000000a", "a2000000000b", "a3000000000c"]);
    assert_eq!(
        t.tables().await,
        migrate_tests::set(&[
            "migrate_version",
            "migrate_version_summary",
            "users",
            "posts"
        ])
    );
    let users: i64 = match &t.db {
        migrate_runtime::MigrateConnection::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
        }
        migrate_runtime::MigrateConnection::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
        }
        migrate_runtime::MigrateConnection::MySql(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
        }
    }
    .expect("users");
    assert_eq!(users, 2, "the seed ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_embedded_on_sqlite() {
    let t = TestDb::sqlite().await;
    eight_processes_on_the_embedded_fixture(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_embedded_on_postgres() {
    let Some(t) = TestDb::postgres("eight_processes_embedded_on_postgres").await else {
        return;
    };
    eight_processes_on_the_embedded_fixture(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_embedded_on_mysql() {
    let Some(t) = TestDb::mysql("eight_processes_embedded_on_mysql").await else {
        return;
    };
    eight_processes_on_the_embedded_fixture(&t).await;
    t.drop_database().await;
}

#[tokio::test]
async fn worker_rejects_bad_arguments() {
    let output = worker().arg("nonsense").output().await.expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let mut child = worker()
        .args(["ftp://example.invalid/x", "upgrade", "head"])
        .spawn()
        .expect("runs");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .await
        .expect("stderr");
    assert_eq!(child.wait().await.expect("exits").code(), Some(2));
    assert!(stderr.contains("unsupported"), "{stderr}");
}
