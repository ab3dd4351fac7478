//! Connection faults through a TCP proxy the test starts (issue 8, items 6
//! and 7), on PostgreSQL and MariaDB:
//!
//! - cut: every connection of the migrator (its pool and its lock
//!   connection) is closed at a random moment of an upgrade (seeded, the
//!   seed printed; `MIGRATE_PROXY_SEED` replays one), and once exactly
//!   while the server runs a revision's batch. Every claim the error makes
//!   about what ran is checked against the version table and the catalog,
//!   and the next run applies nothing twice.
//! - frozen: the proxy stops forwarding but keeps every socket open; the
//!   run must end, with an error naming the timeout that fired.
//!
//! `MIGRATE_PROXY_CUTS` sets the random cuts per server (default 4).

use std::time::{Duration, Instant};

use migrate_runtime::{Error, LostOutcome, MigrateConnection, Migrator, Plan, RowState};
use migrate_tests::proxy::{upstream_of, Proxy};
use migrate_tests::{Kind, PlanBuilder, TestDb};
use rand::{Rng, SeedableRng};

const REVISIONS: usize = 5;

/// Revision `i`: a table `t_i`, a pause, a mark in `marks` (no key, so a
/// second application shows). On PostgreSQL revision 3 also builds an index
/// concurrently and marks again, outside any transaction.
fn plan(kind: Kind) -> &'static Plan {
    let sleep = match kind {
        Kind::Postgres => "SELECT pg_sleep(0.15)",
        _ => "SELECT SLEEP(0.15)",
    };
    let mut builder = PlanBuilder::new();
    for i in 1..=REVISIONS {
        let id = format!("p{i}");
        let parent = format!("p{}", i - 1);
        let parents: Vec<&str> = if i == 1 { vec![] } else { vec![&parent] };
        let mut upgrade: Vec<String> = Vec::new();
        if i == 1 {
            upgrade.push("CREATE TABLE marks (revision VARCHAR(8))".to_string());
        }
        upgrade.push(format!("CREATE TABLE t_{i} (id INTEGER)"));
        upgrade.push(sleep.to_string());
        upgrade.push(format!("INSERT INTO marks VALUES ('{id}')"));
        let upgrade: Vec<&'static str> = upgrade
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect();
        let upgrade: &'static [&'static str] = Box::leak(upgrade.into_boxed_slice());
        if i == 3 && kind == Kind::Postgres {
            let bare: &'static [&'static str] = &[
                "CREATE INDEX CONCURRENTLY t_3_i ON t_3 (id)",
                "SELECT pg_sleep(0.1)",
                "INSERT INTO marks VALUES ('p3b')",
            ];
            builder = builder.revision(&id, &parents, &[(true, upgrade), (false, bare)], &[]);
        } else {
            builder = builder.revision(&id, &parents, &[(true, upgrade)], &[]);
        }
    }
    builder.leak()
}

async fn count(db: &MigrateConnection, sql: &str) -> i64 {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Per statement of revision `i`, whether it committed (the pause counts as
/// committed with the statement after it... it leaves no trace, so it is
/// reported as `None`).
async fn truth(t: &TestDb, i: usize) -> Vec<Option<bool>> {
    let tables = t.tables().await;
    let marks =
        |revision: &str| format!("SELECT COUNT(*) FROM marks WHERE revision = '{revision}'");
    let has_marks = tables.contains("marks");
    let mark = |n: i64, what: &str| -> Option<bool> {
        assert!(n <= 1, "{what} marked {n} times: applied twice");
        Some(n == 1)
    };
    let mut flags = Vec::new();
    if i == 1 {
        flags.push(Some(has_marks));
    }
    flags.push(Some(tables.contains(&format!("t_{i}"))));
    flags.push(None);
    let n = if has_marks {
        count(&t.db, &marks(&format!("p{i}"))).await
    } else {
        0
    };
    flags.push(mark(n, &format!("p{i}")));
    if i == 3 && t.kind == Kind::Postgres {
        let index = count(
            &t.db,
            "SELECT COUNT(*) FILTER (WHERE indisvalid) * 10 + COUNT(*) FROM pg_index WHERE indexrelid = to_regclass('t_3_i')",
        )
        .await;
        assert!(index == 0 || index == 11, "t_3_i is invalid");
        flags.push(Some(index == 11));
        flags.push(None);
        let n = if has_marks {
            count(&t.db, &marks("p3b")).await
        } else {
            0
        };
        flags.push(mark(n, "p3b"));
    }
    flags
}

fn all(flags: &[Option<bool>], value: bool) -> bool {
    flags.iter().flatten().all(|&f| f == value)
}

/// Waits until no session of the test database other than the checker's
/// own pool runs anything (what a cut client sent may still be running).
async fn settle(t: &TestDb) {
    let sql = match t.kind {
        Kind::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
        _ => "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command <> 'Sleep'",
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&t.db, sql).await > 0 {
        assert!(Instant::now() < deadline, "a cut session lingers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks the error's claims, and the version table, against the catalog;
/// then resolves a half-done revision and completes the upgrade, checking
/// nothing ran twice.
async fn judge(
    t: &TestDb,
    migrator: &Migrator,
    result: Result<(), Error>,
    frozen: bool,
    context: &str,
) -> String {
    settle(t).await;
    let history = migrator.history(&t.db).await.unwrap();
    let state = |revision: &str| {
        history
            .iter()
            .find(|row| row.revision == revision)
            .map(|row| (row.state, row.statements_done as usize))
    };
    let mut truths = Vec::new();
    for i in 1..=REVISIONS {
        truths.push(truth(t, i).await);
    }
    let index_of = |revision: &str| revision[1..].parse::<usize>().unwrap() - 1;
    let claim = match &result {
        Ok(()) => "completed".to_string(),
        Err(error) => error.to_string(),
    };
    match &result {
        Ok(()) => assert!(truths.iter().all(|t| all(t, true)), "{context}: {claim}"),
        Err(Error::ConnectionLost(lost)) => {
            let flags = &truths[index_of(&lost.revision)];
            match &lost.found {
                LostOutcome::Committed => {
                    assert!(all(flags, true), "{context}: {claim}: {flags:?}")
                }
                LostOutcome::NotCommitted => {
                    assert!(all(flags, false), "{context}: {claim}: {flags:?}")
                }
                LostOutcome::Partial(unresolved) => {
                    for statement in &unresolved.ran {
                        assert_ne!(
                            flags[statement.index - 1],
                            Some(false),
                            "{context}: {claim}: {flags:?}"
                        );
                    }
                    for statement in &unresolved.not_run {
                        assert_ne!(
                            flags[statement.index - 1],
                            Some(true),
                            "{context}: {claim}: {flags:?}"
                        );
                    }
                }
                LostOutcome::Unknown(_) => assert!(
                    frozen,
                    "{context}: after a cut the runtime can always reconnect: {claim}"
                ),
            }
        }
        Err(Error::LockLost(lost)) => {
            if let Some(revision) = &lost.revision {
                let flags = &truths[index_of(revision)];
                for statement in &lost.committed {
                    assert_ne!(
                        flags[statement.index - 1],
                        Some(false),
                        "{context}: {claim}"
                    );
                }
                if lost.committed.is_empty() {
                    assert!(all(flags, false), "{context}: {claim}: {flags:?}");
                }
            }
        }
        Err(Error::Statement(failure)) => {
            let flags = &truths[index_of(&failure.revision)];
            if failure.rolled_back {
                assert!(
                    all(flags, false),
                    "{context}: false claim: {claim}: {flags:?}"
                );
            }
        }
        Err(Error::Database { .. }) => {}
        Err(other) => panic!("{context}: unexpected error {other:?}"),
    }
    // The version table agrees with the catalog, revision by revision.
    for i in 1..=REVISIONS {
        let flags = &truths[i - 1];
        match state(&format!("p{i}")) {
            None => assert!(
                all(flags, false),
                "{context}: p{i} has no row: {flags:?} ({claim})"
            ),
            Some((RowState::Applied, _)) => assert!(
                all(flags, true),
                "{context}: p{i} applied: {flags:?} ({claim})"
            ),
            Some((RowState::Partial, done)) => {
                assert!(
                    flags[..done].iter().flatten().all(|&f| f),
                    "{context}: p{i} partial {done}: {flags:?}"
                );
                assert!(
                    flags[(done + 1).min(flags.len())..]
                        .iter()
                        .flatten()
                        .all(|&f| !f),
                    "{context}: p{i} partial {done}: {flags:?}"
                );
                // Resolve as the message advises: finish by hand, stamp.
                let revision = &migrator.plan().revisions()[i - 1];
                let statements: Vec<&str> = revision
                    .upgrade()
                    .iter()
                    .flat_map(|s| s.statements())
                    .map(|s| s.sql())
                    .collect();
                for (position, sql) in statements.iter().enumerate() {
                    if flags[position] == Some(false) {
                        t.exec(sql).await;
                    }
                }
                migrator
                    .stamp(&t.db, format!("p{i}").as_str())
                    .await
                    .unwrap();
            }
            Some(other) => panic!("{context}: p{i} {other:?} ({claim})"),
        }
    }
    // The next run completes, and nothing ran twice.
    migrator
        .upgrade(&t.db, "head")
        .await
        .unwrap_or_else(|e| panic!("{context}: {e}"));
    for i in 1..=REVISIONS {
        assert!(
            all(&truth(t, i).await, true),
            "{context}: p{i} after the next run"
        );
    }
    claim
}

async fn reset(t: &TestDb) {
    for table in (1..=REVISIONS)
        .map(|i| format!("t_{i}"))
        .chain(["marks", "migrate_version", "migrate_version_summary"].map(String::from))
    {
        t.exec(&format!("DROP TABLE IF EXISTS {table}")).await;
    }
}

/// Whether a session is running the pause of a revision.
async fn pausing(t: &TestDb) -> bool {
    let sql = match t.kind {
        Kind::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(0.15)%' AND pid <> pg_backend_pid()",
        _ => "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'SELECT SLEEP(0.15)%'",
    };
    count(&t.db, sql).await > 0
}

async fn cuts(t: &TestDb) {
    let plan = plan(t.kind);
    let migrator = Migrator::new(plan);
    let seed = std::env::var("MIGRATE_PROXY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("connection cuts on {:?}: seed {seed}", t.kind);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let random_cuts: usize = std::env::var("MIGRATE_PROXY_CUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    // The first cut lands while the server runs a revision's pause: on
    // PostgreSQL the answers are held back until the revision's batch has
    // committed on the server, then the connections are cut (the client
    // sees a failure, the revision is in); the others at random moments.
    for attempt in 0..=random_cuts {
        reset(t).await;
        let proxy = Proxy::start(upstream_of(&t.url)).await;
        let db = MigrateConnection::connect(&proxy.url(&t.url))
            .await
            .expect("through the proxy");
        let run_migrator = migrator.clone();
        let run_db = db.clone();
        let run =
            tokio::spawn(async move { run_migrator.upgrade(&run_db, "head").await.map(|_| ()) });
        let context = if attempt == 0 {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !pausing(t).await {
                assert!(Instant::now() < deadline, "no pause ever ran");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if t.kind == Kind::Postgres {
                proxy.freeze();
                let deadline = Instant::now() + Duration::from_secs(30);
                while count(
                    &t.db,
                    "SELECT COUNT(*) FROM migrate_version WHERE state = 'applied'",
                )
                .await
                    == 0
                {
                    assert!(
                        Instant::now() < deadline,
                        "the held-back batch never committed"
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                proxy.thaw();
                format!("{:?}: cut after the server committed (seed {seed})", t.kind)
            } else {
                format!("{:?}: cut during a pause (seed {seed})", t.kind)
            }
        } else {
            let delay = rng.gen_range(0..1_200_000u64);
            tokio::time::sleep(Duration::from_micros(delay)).await;
            format!("{:?}: cut {attempt} at {delay} µs (seed {seed})", t.kind)
        };
        proxy.cut();
        let result = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| panic!("{context}: the run never ended"))
            .expect("no panic");
        drop(proxy);
        db.close().await;
        let claim = judge(t, &migrator, result, false, &context).await;
        println!("{context}: {claim}");
    }
}

/// Which client-side bound is to end a frozen run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    /// `statement_timeout` (the liveness probe off).
    StatementTimeout,
    /// The liveness probe (no statement timeout, so a long statement is
    /// never cut short; only the unanswered probe ends the run).
    LivenessProbe,
}

async fn frozen(t: &TestDb, bound: Bound) {
    let plan = plan(t.kind);
    let seed = std::env::var("MIGRATE_PROXY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("frozen network on {:?}: seed {seed}", t.kind);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for attempt in 0..3 {
        reset(t).await;
        let migrator = match bound {
            Bound::StatementTimeout => Migrator::new(plan)
                .statement_timeout(Some(Duration::from_millis(1500)))
                .liveness_probe(None),
            Bound::LivenessProbe => Migrator::new(plan)
                .statement_timeout(None)
                .liveness_probe(Some(Duration::from_millis(400))),
        }
        .connect_timeout(Duration::from_millis(1500));
        let proxy = Proxy::start(upstream_of(&t.url)).await;
        let db = MigrateConnection::connect(&proxy.url(&t.url))
            .await
            .expect("through the proxy");
        let run_migrator = migrator.clone();
        let run_db = db.clone();
        let run =
            tokio::spawn(async move { run_migrator.upgrade(&run_db, "head").await.map(|_| ()) });
        // The run sleeps 0.85 s on the server at least (five 0.15 s sleeps
        // and 0.1 s on PostgreSQL), so a freeze within 0.6 s of the start
        // always lands before it can finish.
        let delay = if attempt == 0 {
            0
        } else {
            rng.gen_range(0..600_000u64)
        };
        tokio::time::sleep(Duration::from_micros(delay)).await;
        proxy.freeze();
        let context = format!(
            "{:?}, {bound:?}: frozen at {delay} µs (seed {seed})",
            t.kind
        );
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| panic!("{context}: still waiting after 60 s"))
            .expect("no panic");
        let waited = started.elapsed();
        // A timeout leaves its connection unusable, and every later round
        // trip on it fails at once: the run pays one statement timeout, the
        // grace its cancel gets (no answer through the frozen proxy), a
        // reconnect and the lock's release (6 s), not one timeout per
        // statement it still tries (up to 10.5 s was seen, and over 60 s
        // once on a loaded machine). 3 s of slack for the load.
        assert!(
            waited < Duration::from_secs(9),
            "{context}: the run took {waited:?} to give up"
        );
        let error = result.expect_err("a frozen network cannot complete the run");
        let text = error.to_string();
        let fired = match bound {
            Bound::StatementTimeout => "the statement timeout (1.5s) fired",
            Bound::LivenessProbe => "the liveness probe (400ms) fired",
        };
        assert!(
            text.contains(fired) || text.contains("the connect timeout (1.5s) fired"),
            "{context}: the error must name the timeout that fired: {text}"
        );
        assert!(text.contains("fired"), "{context}: {text}");
        // Unfreeze by closing everything; then the claims are checked.
        drop(proxy);
        db.close().await;
        let claim = judge(t, &Migrator::new(plan), Err(error), true, &context).await;
        println!("{context}: ended after {waited:?}: {claim}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cuts_on_postgres() {
    let Some(t) = TestDb::postgres("connection_cuts_on_postgres").await else {
        return;
    };
    cuts(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cuts_on_mysql() {
    let Some(t) = TestDb::mysql("connection_cuts_on_mysql").await else {
        return;
    };
    cuts(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_network_on_postgres() {
    let Some(t) = TestDb::postgres("frozen_network_on_postgres").await else {
        return;
    };
    frozen(&t, Bound::StatementTimeout).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_network_on_mysql() {
    let Some(t) = TestDb::mysql("frozen_network_on_mysql").await else {
        return;
    };
    frozen(&t, Bound::StatementTimeout).await;
    t.drop_database().await;
}

/// Issue 8 item 7: with no statement timeout, the liveness probe alone
/// ends a run whose network froze.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_network_liveness_probe_on_postgres() {
    let Some(t) = TestDb::postgres("frozen_network_liveness_probe_on_postgres").await else {
        return;
    };
    frozen(&t, Bound::LivenessProbe).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_network_liveness_probe_on_mysql() {
    let Some(t) = TestDb::mysql("frozen_network_liveness_probe_on_mysql").await else {
        return;
    };
    frozen(&t, Bound::LivenessProbe).await;
    t.drop_database().await;
}

/// One revision that holds the migration lock for three seconds.
fn slow_plan(kind: Kind) -> &'static Plan {
    let sleep = match kind {
        Kind::Postgres => "SELECT pg_sleep(3)",
        _ => "SELECT SLEEP(3)",
    };
    PlanBuilder::new()
        .revision("s1", &[], &[(true, &[sleep][..])], &[])
        .leak()
}

/// The network freezes while a migrator waits for the lock another one
/// holds: with no statement timeout, the liveness probe must end the wait
/// (the lock session's round trips were once unwatched, and such a run
/// waited forever).
async fn frozen_waiting_for_the_lock(t: &TestDb) {
    let plan = slow_plan(t.kind);
    reset(t).await;
    let holder = {
        let (migrator, db) = (Migrator::new(plan), t.db.clone());
        tokio::spawn(async move { migrator.upgrade(&db, "head").await.map(|_| ()) })
    };
    let running = match t.kind {
        Kind::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_' || 'sleep(3)%' AND pid <> pg_backend_pid()",
        _ => "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE CONCAT('%SLE', 'EP(3)%')",
    };
    let started = Instant::now();
    while count(&t.db, running).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first migrator never ran its revision"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let proxy = Proxy::start(upstream_of(&t.url)).await;
    let db = MigrateConnection::connect(&proxy.url(&t.url))
        .await
        .expect("through the proxy");
    let waiter = {
        let migrator = Migrator::new(plan)
            .statement_timeout(None)
            .liveness_probe(Some(Duration::from_millis(400)))
            .lock_timeout(Duration::from_secs(60));
        let db = db.clone();
        tokio::spawn(async move { migrator.upgrade(&db, "head").await.map(|_| ()) })
    };
    // Long enough to be waiting for the lock (the holder sleeps 3 s).
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !waiter.is_finished(),
        "the second migrator did not wait for the lock"
    );
    proxy.freeze();
    let result = tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{:?}: still waiting for the lock 30 s after the network froze",
                t.kind
            )
        })
        .expect("no panic");
    let text = result
        .expect_err("a frozen network cannot finish")
        .to_string();
    assert!(
        text.contains("the liveness probe (400ms) fired"),
        "{:?}: the error must name the liveness probe: {text}",
        t.kind
    );
    drop(proxy);
    db.close().await;
    holder
        .await
        .expect("no panic")
        .expect("the lock holder finishes");
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) FROM migrate_version WHERE state = 'applied'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_while_waiting_for_the_lock_on_postgres() {
    let Some(t) = TestDb::postgres("frozen_lock_wait_on_postgres").await else {
        return;
    };
    frozen_waiting_for_the_lock(&t).await;
    t.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_while_waiting_for_the_lock_on_mysql() {
    let Some(t) = TestDb::mysql("frozen_lock_wait_on_mysql").await else {
        return;
    };
    frozen_waiting_for_the_lock(&t).await;
    t.drop_database().await;
}
