//! The kill matrix (issue 8, item 5): `migrate_worker` applies the history
//! of `migrate_tests::kill` and is killed with SIGKILL while a chosen long
//! statement runs on the server (the 150,000-row fill, the `INSERT ...
//! SELECT` copy, `CREATE INDEX [CONCURRENTLY]`, the `UPDATE` of every row),
//! on SQLite (at random moments), PostgreSQL and MariaDB. After each kill,
//! once the server has finished whatever the dead client left running:
//!
//! - the version table's record is true, statement by statement, compared
//!   with the catalog and the row counts: what it says ran did, what it says
//!   did not run did not, and the one statement it cannot know about is
//!   reported "unknown: check whether it committed" (with what the catalog
//!   shows, for an index);
//! - the next run applies nothing twice: it refuses a half-done revision,
//!   and once that is resolved as the message advises it completes, with
//!   every row copied and updated exactly once.
//!
//! `MIGRATE_KILL_MATRIX_ROUNDS` repeats the targets (default 1: four kills
//! per server, three on SQLite). The seed is printed; `MIGRATE_KILL_SEED`
//! replays one.

use std::process::Stdio;
use std::time::{Duration, Instant};

use migrate_runtime::{Dialect, Error, MigrateConnection, Migrator, RowState};
use migrate_tests::kill::{k2_statements, kill_plan, truth};
use migrate_tests::{Kind, TestDb};
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WORKER: &str = "migrate_kill_worker";

fn dialect(t: &TestDb) -> Dialect {
    match t.kind {
        Kind::Sqlite => Dialect::Sqlite,
        Kind::Postgres => Dialect::Postgres,
        Kind::MySql => Dialect::MySql,
    }
}

fn worker_url(t: &TestDb) -> String {
    if t.kind == Kind::Postgres {
        let separator = if t.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}application_name={WORKER}", t.url)
    } else {
        t.url.clone()
    }
}

fn spawn_worker(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_migrate_worker"))
        .args([url, "upgrade", "head", "--kill-plan"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the worker starts")
}

async fn count(db: &MigrateConnection, sql: &str) -> i64 {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Whether a worker session is running a statement containing `text`.
async fn running(db: &MigrateConnection, text: &str) -> bool {
    let sql = match db {
        MigrateConnection::Postgres(_) => format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '{WORKER}' AND state = 'active' AND query LIKE '%{text}%'"
        ),
        _ => format!(
            "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE '%{text}%'"
        ),
    };
    count(db, &sql).await > 0
}

/// Waits until no session of a killed worker runs anything (the server
/// may finish, and commit, what the dead client sent).
async fn settle(db: &MigrateConnection) {
    let sql = match db {
        MigrateConnection::Postgres(_) => format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '{WORKER}' AND datname = current_database()"
        ),
        MigrateConnection::MySql(_) => "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command <> 'Sleep'".to_string(),
        MigrateConnection::Sqlite(_) => return,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(db, &sql).await > 0 {
        assert!(
            Instant::now() < deadline,
            "a killed worker's session lingers"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn reset(t: &TestDb) {
    for table in ["dst", "src", "migrate_version", "migrate_version_summary"] {
        t.exec(&format!("DROP TABLE IF EXISTS {table}")).await;
    }
}

/// The statements of the plan in order, with their revision.
fn statements(dialect: Dialect) -> Vec<(&'static str, String)> {
    let plan = kill_plan(dialect);
    plan.revisions()
        .iter()
        .flat_map(|revision| {
            let id: &'static str = if revision.id() == "k1" { "k1" } else { "k2" };
            revision
                .upgrade()
                .iter()
                .flat_map(|section| section.statements())
                .map(move |statement| (id, statement.sql().to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Checks the record against the truth after a kill, then resolves a
/// half-done revision the way its message says. Returns a description.
async fn check_and_resolve(t: &TestDb, migrator: &Migrator, context: &str) -> String {
    let dialect = dialect(t);
    let truth_now = truth(&t.db)
        .await
        .unwrap_or_else(|why| panic!("{context}: not at a statement boundary: {why}"));
    let history = migrator.history(&t.db).await.unwrap();
    let all = statements(dialect);
    let mut described = Vec::new();
    for (revision, range) in [("k1", 0..3), ("k2", 3..6)] {
        let flags = &truth_now[range.clone()];
        let row = history.iter().find(|row| row.revision == revision);
        match row.map(|row| (row.state, row.statements_done as usize)) {
            None => {
                assert_eq!(
                    flags, [false; 3],
                    "{context}: {revision} has no row but ran"
                );
                described.push(format!("{revision}: none"));
            }
            Some((RowState::Applied, _)) => {
                assert_eq!(
                    flags, [true; 3],
                    "{context}: {revision} is recorded applied"
                );
                described.push(format!("{revision}: applied"));
            }
            Some((RowState::Partial, done)) => {
                assert!(
                    flags[..done].iter().all(|&f| f),
                    "{context}: {revision} records {done} done, truth {flags:?}"
                );
                assert!(
                    flags[(done + 1).min(3)..].iter().all(|&f| !f),
                    "{context}: {revision} records {done} done, but later statements ran: {flags:?}"
                );
                let unresolved = migrator.unresolved(&t.db).await.unwrap();
                let row = unresolved
                    .iter()
                    .find(|u| u.revision == revision)
                    .expect("the partial row is reported");
                let text = row.to_string();
                assert_eq!(
                    row.unknown.as_ref().map(|s| s.index),
                    Some(done + 1),
                    "{context}: {text}"
                );
                assert!(
                    text.contains("unknown: check whether it committed"),
                    "{context}: {text}"
                );
                if revision == "k2" && done == 1 && dialect != Dialect::Sqlite {
                    let catalog = row.catalog.as_deref().unwrap_or_default();
                    let expected = if flags[1] {
                        "exists and is valid"
                    } else {
                        "no index"
                    };
                    assert!(catalog.contains(expected), "{context}: {text}");
                }
                // The next run refuses, and changes nothing.
                match migrator.upgrade(&t.db, "head").await {
                    Err(Error::Unresolved(_)) => {}
                    other => {
                        panic!("{context}: a half-done revision must be refused, got {other:?}")
                    }
                }
                assert_eq!(truth(&t.db).await.unwrap(), truth_now, "{context}");
                // Resolve as advised: finish what did not commit, then stamp.
                for (position, (_, sql)) in all[range.clone()].iter().enumerate() {
                    if !flags[position] {
                        t.exec(sql).await;
                    }
                }
                migrator.stamp(&t.db, revision).await.unwrap();
                described.push(format!(
                    "{revision}: partial at {done}, #{} {}",
                    done + 1,
                    if flags.get(done) == Some(&true) {
                        "had committed"
                    } else {
                        "had not committed"
                    }
                ));
            }
            Some((state, done)) => panic!("{context}: unexpected {state:?} row ({done} done)"),
        }
        if row.is_none() {
            break;
        }
    }
    described.join("; ")
}

async fn kill_matrix(t: &TestDb) {
    let dialect = dialect(t);
    let url = worker_url(t);
    let migrator = Migrator::new(kill_plan(dialect));
    let seed = std::env::var("MIGRATE_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("kill matrix on {dialect:?}: seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let rounds: usize = std::env::var("MIGRATE_KILL_MATRIX_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    // Aim at the long statements: k1's fill and each statement of k2.
    let [copy, index, update] = k2_statements(dialect);
    let targets: Vec<&str> = if dialect == Dialect::Sqlite {
        vec!["", "", ""]
    } else {
        vec!["INSERT INTO src SELECT", copy, index, update]
    };
    // SQLite: calibrate a whole run to kill at random moments of it.
    let mut whole = Duration::ZERO;
    if dialect == Dialect::Sqlite {
        let started = Instant::now();
        migrator.upgrade(&t.db, "head").await.unwrap();
        whole = started.elapsed();
        reset(t).await;
    }
    let mut kills = 0;
    for round in 0..rounds {
        for target in &targets {
            reset(t).await;
            let mut child = spawn_worker(&url);
            let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
            let ready = lines.next_line().await.expect("stdout");
            assert_eq!(ready.as_deref(), Some("ready"));
            let delay = if dialect == Dialect::Sqlite {
                let delay = rng.gen_range(0..=whole.as_micros() as u64);
                tokio::time::sleep(Duration::from_micros(delay)).await;
                delay
            } else {
                let deadline = Instant::now() + Duration::from_secs(60);
                while !running(&t.db, target).await {
                    assert!(
                        child.try_wait().unwrap().is_none(),
                        "the worker ended before `{target}` ran"
                    );
                    assert!(Instant::now() < deadline, "`{target}` never ran");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let delay = rng.gen_range(0..50_000u64);
                tokio::time::sleep(Duration::from_micros(delay)).await;
                delay
            };
            let killed = child.try_wait().unwrap().is_none();
            if killed {
                child.start_kill().expect("SIGKILL");
                kills += 1;
            } else if dialect == Dialect::Sqlite {
                // The worker ran faster than the calibration run (the load of
                // a shared machine changes): aim earlier from now on.
                whole /= 2;
            }
            child.wait().await.expect("reaped");
            settle(&t.db).await;
            let context =
                format!("{dialect:?} round {round}, kill in `{target}` +{delay} µs (seed {seed})");
            let outcome = check_and_resolve(t, &migrator, &context).await;
            // The next run completes, and nothing ran twice.
            migrator
                .upgrade(&t.db, "head")
                .await
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(
                truth(&t.db)
                    .await
                    .unwrap_or_else(|w| panic!("{context}: {w}")),
                [true; 6],
                "{context}"
            );
            migrator.check(&t.db).await.unwrap();
            println!("{context}: killed {killed}: {outcome}");
        }
    }
    assert!(
        kills >= targets.len() * rounds / 2,
        "only {kills} kills landed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_sqlite() {
    let t = TestDb::sqlite().await;
    kill_matrix(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_postgres() {
    let Some(t) = TestDb::postgres("kill_matrix_postgres").await else {
        return;
    };
    kill_matrix(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_mysql() {
    let Some(t) = TestDb::mysql("kill_matrix_mysql").await else {
        return;
    };
    kill_matrix(&t).await;
    t.drop_database().await;
}
