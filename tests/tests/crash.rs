//! Crash safety: `migrate_worker` is killed with SIGKILL at random moments
//! of an upgrade (or a downgrade) on PostgreSQL and SQLite. After each
//! kill the database must sit exactly at a revision boundary (the version
//! table's applied set matches the tables, columns and marker rows), and
//! the next run must complete cleanly.
//!
//! `MIGRATE_CRASH_KILLS` sets the kills per backend (default 12);
//! `scripts/crash-loop.sh` runs many more.

use std::process::Stdio;
use std::time::{Duration, Instant};

use migrate_runtime::MigrateConnection;
use migrate_tests::generated::check_boundary;
use migrate_tests::TestDb;
use rand::Rng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const REVISIONS: usize = 30;
const WORKER_NAME: &str = "migrate_crash_worker";

fn kills_per_backend() -> usize {
    std::env::var("MIGRATE_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12)
}

/// Tags the worker's PostgreSQL sessions so the test can wait for a killed
/// worker's backend to finish before reading the database back.
fn worker_url(t: &TestDb) -> String {
    if t.url.starts_with("postgres") {
        let separator = if t.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}application_name={WORKER_NAME}", t.url)
    } else {
        t.url.clone()
    }
}

fn spawn_worker(url: &str, direction: &str, target: &str, single: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate_worker"));
    command
        .args([url, direction, target, "--revisions"])
        .arg(REVISIONS.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if single {
        command.arg("--single");
    }
    command.spawn().expect("the worker starts")
}

/// Runs a worker to the end; returns how long it took after `ready`.
async fn run_to_completion(url: &str, direction: &str, target: &str) -> Duration {
    let mut child = spawn_worker(url, direction, target, false);
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let ready = lines.next_line().await.expect("stdout");
    assert_eq!(ready.as_deref(), Some("ready"));
    let started = Instant::now();
    while lines.next_line().await.expect("stdout").is_some() {}
    let output = child.wait_with_output().await.expect("the worker exits");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{direction} {target} failed after the kills: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// A killed client's PostgreSQL backend may still be finishing its last
/// message (even committing it): wait until it is gone.
async fn wait_for_killed_sessions(db: &MigrateConnection) {
    let MigrateConnection::Postgres(pool) = db else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sessions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(WORKER_NAME)
        .fetch_one(pool)
        .await
        .expect("pg_stat_activity");
        if sessions == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "a killed worker's session lingers"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_at_random_moments(t: &TestDb) {
    let url = worker_url(t);
    // Calibrate: how long a whole upgrade and a whole downgrade take here.
    let upgrade_time = run_to_completion(&url, "upgrade", "head").await;
    assert_eq!(check_boundary(&t.db).await, Ok(REVISIONS));
    let downgrade_time = run_to_completion(&url, "downgrade", "base").await;
    assert_eq!(check_boundary(&t.db).await, Ok(0));

    let wanted = kills_per_backend();
    let mut kills = 0;
    let mut boundaries = Vec::new();
    let mut rng = rand::thread_rng();
    for attempt in 0..wanted * 4 {
        if kills >= wanted {
            break;
        }
        let at = check_boundary(&t.db).await.expect("at a boundary");
        // Mostly upgrades; downgrades from the top so both directions get killed.
        let (direction, target, span) = if at == REVISIONS {
            ("downgrade", "base", downgrade_time)
        } else {
            ("upgrade", "head", upgrade_time)
        };
        let single = attempt % 3 == 2;
        let mut child = spawn_worker(&url, direction, target, single);
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the worker connects")
            .expect("stdout");
        assert_eq!(ready.as_deref(), Some("ready"));
        let delay = rng.gen_range(0..=span.as_micros().max(1) as u64 * 11 / 10);
        tokio::time::sleep(Duration::from_micros(delay)).await;
        if child.try_wait().expect("try_wait").is_none() {
            child.start_kill().expect("SIGKILL");
            kills += 1;
        }
        let status = child.wait().await.expect("the worker is reaped");
        wait_for_killed_sessions(&t.db).await;
        let boundary = check_boundary(&t.db).await.unwrap_or_else(|why| {
            panic!("after a kill ({direction} {target}, {status}, {delay} µs in): {why}")
        });
        boundaries.push(boundary);
    }
    assert!(
        kills >= wanted,
        "only {kills} of {wanted} workers were still running when killed"
    );
    println!("{kills} kills; boundaries seen: {boundaries:?}");
    // The next run completes cleanly, from wherever the kills left it.
    run_to_completion(&url, "upgrade", "head").await;
    assert_eq!(check_boundary(&t.db).await, Ok(REVISIONS));
    run_to_completion(&url, "downgrade", "base").await;
    assert_eq!(check_boundary(&t.db).await, Ok(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_upgrade_on_sqlite() {
    let t = TestDb::sqlite().await;
    kill_at_random_moments(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_upgrade_on_postgres() {
    let Some(t) = TestDb::postgres("sigkill_during_upgrade_on_postgres").await else {
        return;
    };
    kill_at_random_moments(&t).await;
    t.drop_database().await;
}
