//! The runtime benchmark: the same generated revisions (realistic DDL and a
//! few INSERTs each, about 1 KiB) applied four ways in one run, on SQLite
//! and PostgreSQL, each measurement on a fresh database:
//!
//! - (a) ours, one transaction per revision (the default);
//! - (b) ours, one transaction for the whole run;
//! - (c) the same statements sent through sqlx directly on one connection,
//!   one transaction per revision (`BEGIN`, the revision's statements as
//!   one batch, `COMMIT`), no bookkeeping: the floor any migrator pays;
//! - (d) `sqlx::migrate::Migrator::run` over the same history written in
//!   sqlx's directory format.
//!
//! Then the startup no-op check with every revision applied: our
//! `upgrade("head")` against sqlx's `Migrator::run`.
//!
//! ```text
//! cargo bench -p migrate-tests --bench runtime -- [--revisions N] [--reps R] [--noop-reps R]
//!     [--only sqlite|postgres] [--ways abcd] [--settings dn]
//! ```
//!
//! Each way runs under two settings: `d`urable (the backends' defaults,
//! every commit waits for an fsync) and `n`o fsync wait (SQLite on tmpfs,
//! PostgreSQL with `synchronous_commit=off`), which isolates the CPU and
//! round trips each way spends per revision from the disk's latency.
//!
//! PostgreSQL is measured when `MIGRATE_TEST_POSTGRES_URL` is set. Each
//! figure is the median of `--reps` repetitions (default 3); the machine
//! may be shared and noisy, so compare ratios against (c) from the same run.

use std::time::{Duration, Instant};

use migrate_runtime::{Dialect, MigrateConnection, Migrator, TransactionMode};
use migrate_tests::generated::{generated_plan, upgrade_statements, write_sqlx_directory};
use migrate_tests::TestDb;
use sqlx::Connection as _;

struct Options {
    revisions: usize,
    reps: usize,
    noop_reps: usize,
    only: Option<String>,
    ways: Vec<Way>,
    settings: Vec<Setting>,
}

fn options() -> Options {
    let mut options = Options {
        revisions: 1000,
        reps: 3,
        noop_reps: 25,
        only: None,
        ways: Way::ALL.to_vec(),
        settings: vec![Setting::Durable, Setting::NoFsyncWait],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number =
            |default: usize| args.next().and_then(|n| n.parse().ok()).unwrap_or(default);
        match arg.as_str() {
            "--revisions" => options.revisions = number(options.revisions),
            "--reps" => options.reps = number(options.reps),
            "--noop-reps" => options.noop_reps = number(options.noop_reps),
            "--only" => options.only = args.next(),
            "--settings" => {
                let letters = args.next().unwrap_or_default();
                options.settings = [(Setting::Durable, 'd'), (Setting::NoFsyncWait, 'n')]
                    .into_iter()
                    .filter(|(_, letter)| letters.contains(*letter))
                    .map(|(setting, _)| setting)
                    .collect();
            }
            "--ways" => {
                let letters = args.next().unwrap_or_default();
                options.ways = Way::ALL
                    .into_iter()
                    .filter(|way| letters.contains(way.letter()))
                    .collect();
            }
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    options
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    OursPerRevision,
    OursSingle,
    RawSqlx,
    SqlxMigrate,
}

impl Way {
    const ALL: [Way; 4] = [
        Way::OursPerRevision,
        Way::OursSingle,
        Way::RawSqlx,
        Way::SqlxMigrate,
    ];

    fn letter(self) -> char {
        match self {
            Way::OursPerRevision => 'a',
            Way::OursSingle => 'b',
            Way::RawSqlx => 'c',
            Way::SqlxMigrate => 'd',
        }
    }

    fn label(self) -> &'static str {
        match self {
            Way::OursPerRevision => "(a) ours, per-revision transactions",
            Way::OursSingle => "(b) ours, one transaction",
            Way::RawSqlx => "(c) sqlx directly, per-revision transactions, no bookkeeping",
            Way::SqlxMigrate => "(d) sqlx::migrate::Migrator::run",
        }
    }
}

/// CPU time (user + system) this process has used so far (zero where
/// unavailable). On a loaded machine wall time counts the waits for a core
/// and for other jobs' fsyncs; CPU time does not, so it compares the ways
/// even when other jobs share the machine. With [`server_cpu`] it is the
/// whole work of a run but the disk's.
fn process_cpu() -> Duration {
    stat_cpu("/proc/self/stat")
}

/// CPU time the PostgreSQL backends serving `db`'s database have used
/// (read from `/proc/<pid>/stat`; the server runs on this machine in the
/// benchmark's setup), zero on SQLite or when unreadable. Connections that
/// closed before the call (ours: the lock's) are not counted; they do
/// almost nothing.
async fn server_cpu(db: &MigrateConnection) -> Duration {
    let MigrateConnection::Postgres(pool) = db else {
        return Duration::ZERO;
    };
    let pids: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(pool)
            .await
            .unwrap_or_default();
    pids.into_iter()
        .map(|pid| stat_cpu(&format!("/proc/{pid}/stat")))
        .sum()
}

fn stat_cpu(path: &str) -> Duration {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return Duration::ZERO;
    };
    // Fields after the `(comm)`, which may hold spaces: state is field 3,
    // utime and stime are fields 14 and 15, in ticks of 10 ms.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The median, or zero when that way was not measured (`--ways`).
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ratio(value: Duration, base: Duration) -> String {
    if base.is_zero() || value.is_zero() {
        "-".to_string()
    } else {
        format!("{:.2}x", value.as_secs_f64() / base.as_secs_f64())
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// Where the time goes: `Durable` keeps each backend's defaults (every
/// commit waits for its fsync, which on a shared disk dominates and varies
/// run to run); `NoFsyncWait` takes the disk out (SQLite on tmpfs,
/// PostgreSQL with `synchronous_commit=off` for the session), leaving the
/// CPU and round trips each way spends per revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    Durable,
    NoFsyncWait,
}

impl Setting {
    fn label(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (Setting::Durable, _) => "durable (defaults)",
            (Setting::NoFsyncWait, Dialect::Sqlite) => "tmpfs (no fsync cost)",
            (Setting::NoFsyncWait, _) => "synchronous_commit=off",
        }
    }
}

/// A fresh database and what to clean up after it.
struct Fresh {
    db: MigrateConnection,
    server: Option<TestDb>,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh(dialect: Dialect, setting: Setting) -> Fresh {
    match dialect {
        Dialect::Sqlite => {
            let dir = match setting {
                Setting::Durable => tempfile::tempdir(),
                Setting::NoFsyncWait => tempfile::tempdir_in("/dev/shm"),
            }
            .expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            let db = MigrateConnection::connect(&url)
                .await
                .expect("sqlite opens");
            Fresh {
                db,
                server: None,
                _dir: Some(dir),
            }
        }
        _ => {
            let t = TestDb::postgres("runtime benchmark")
                .await
                .expect("MIGRATE_TEST_POSTGRES_URL is set");
            let db = match setting {
                Setting::Durable => t.another_pool().await,
                Setting::NoFsyncWait => {
                    let separator = if t.url.contains('?') { '&' } else { '?' };
                    let url = format!("{}{separator}options=-c%20synchronous_commit%3Doff", t.url);
                    MigrateConnection::connect(&url)
                        .await
                        .expect("postgres opens")
                }
            };
            Fresh {
                db,
                server: Some(t),
                _dir: None,
            }
        }
    }
}

async fn dispose(fresh: Fresh) {
    fresh.db.close().await;
    if let Some(server) = fresh.server {
        server.drop_database().await;
    }
}

/// One query through the pool (`SELECT 1`): the floor of any check.
async fn one_query(db: &MigrateConnection) -> Result<i32, sqlx::Error> {
    match db {
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar("SELECT 1").fetch_one(pool).await,
        MigrateConnection::Postgres(pool) => sqlx::query_scalar("SELECT 1").fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar("SELECT 1").fetch_one(pool).await,
    }
}

/// Every revision's statements joined into one batch, as (c) sends them.
fn batches(revisions: usize, dialect: Dialect) -> Vec<String> {
    (1..=revisions)
        .map(|index| {
            let mut batch = upgrade_statements(index, dialect).join(";\n");
            batch.push(';');
            batch
        })
        .collect()
}

async fn raw_sqlx(db: &MigrateConnection, batches: &[String]) -> Result<(), sqlx::Error> {
    // One connection for the whole run, as every migrator holds: on SQLite
    // a pool handing out another connection for each revision would make
    // each one re-read the grown schema, which is not the cost measured here.
    macro_rules! per_revision {
        ($pool:expr) => {{
            let mut conn = $pool.acquire().await?;
            for batch in batches {
                let mut tx = conn.begin().await?;
                sqlx::raw_sql(batch).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            Ok(())
        }};
    }
    match db {
        MigrateConnection::Sqlite(pool) => per_revision!(pool),
        MigrateConnection::Postgres(pool) => per_revision!(pool),
        MigrateConnection::MySql(pool) => per_revision!(pool),
    }
}

async fn sqlx_migrate(
    db: &MigrateConnection,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), sqlx::migrate::MigrateError> {
    match db {
        MigrateConnection::Sqlite(pool) => migrator.run(pool).await,
        MigrateConnection::Postgres(pool) => migrator.run(pool).await,
        MigrateConnection::MySql(pool) => migrator.run(pool).await,
    }
}

struct Figures {
    dialect: Dialect,
    setting: Setting,
    apply: Vec<(Way, Duration, Duration)>,
    ours_noop: Duration,
    sqlx_noop: Duration,
    select_one: Duration,
}

async fn measure(dialect: Dialect, setting: Setting, options: &Options) -> Figures {
    let plan: &'static migrate_runtime::Plan =
        Box::leak(Box::new(generated_plan(options.revisions, dialect)));
    let batches = batches(options.revisions, dialect);
    let directory = tempfile::tempdir().expect("temporary directory");
    write_sqlx_directory(directory.path(), options.revisions, dialect).expect("sqlx directory");
    let sqlx_migrator = sqlx::migrate::Migrator::new(directory.path())
        .await
        .expect("sqlx reads the directory");

    let ways = &options.ways;
    let mut samples: Vec<(Way, Vec<Duration>, Vec<Duration>)> =
        ways.iter().map(|&w| (w, Vec::new(), Vec::new())).collect();
    let mut ours_noop = Vec::new();
    let mut sqlx_noop = Vec::new();
    let mut select_one = Vec::new();
    let measure_noop = setting == Setting::Durable;
    for rep in 0..options.reps {
        // Rotate the order so that no way always runs first (warm caches, autovacuum).
        for offset in 0..ways.len() {
            let way = ways[(rep + offset) % ways.len()];
            let t = fresh(dialect, setting).await;
            let started = Instant::now();
            let cpu_before = process_cpu();
            match way {
                Way::OursPerRevision | Way::OursSingle => {
                    let mode = if way == Way::OursSingle {
                        TransactionMode::Single
                    } else {
                        TransactionMode::PerRevision
                    };
                    let report = Migrator::new(plan)
                        .transaction_mode(mode)
                        .upgrade(&t.db, "head")
                        .await
                        .expect("ours applies the history");
                    assert_eq!(report.revisions.len(), options.revisions);
                }
                Way::RawSqlx => raw_sqlx(&t.db, &batches).await.expect("sqlx applies"),
                Way::SqlxMigrate => sqlx_migrate(&t.db, &sqlx_migrator)
                    .await
                    .expect("sqlx::migrate applies"),
            }
            let elapsed = started.elapsed();
            // The backends were started for this run: all their CPU is its.
            let cpu = process_cpu().saturating_sub(cpu_before) + server_cpu(&t.db).await;
            eprintln!(
                "{} {:?} rep {rep}: {:?} {} ms wall, {} ms cpu",
                dialect.name(),
                setting,
                way,
                ms(elapsed),
                ms(cpu)
            );
            let entry = samples
                .iter_mut()
                .find(|(w, _, _)| *w == way)
                .expect("every way has samples");
            entry.1.push(elapsed);
            entry.2.push(cpu);
            // The no-op checks, on the database the apply left at head.
            if measure_noop && way == Way::OursPerRevision {
                let migrator = Migrator::new(plan);
                for _ in 0..options.noop_reps {
                    let started = Instant::now();
                    let report = migrator.upgrade(&t.db, "head").await.expect("no-op");
                    ours_noop.push(started.elapsed());
                    assert!(report.is_empty());
                    let started = Instant::now();
                    one_query(&t.db).await.expect("SELECT 1");
                    select_one.push(started.elapsed());
                }
            }
            if measure_noop && way == Way::SqlxMigrate {
                for _ in 0..options.noop_reps {
                    let started = Instant::now();
                    sqlx_migrate(&t.db, &sqlx_migrator).await.expect("no-op");
                    sqlx_noop.push(started.elapsed());
                }
            }
            dispose(t).await;
        }
    }
    Figures {
        dialect,
        setting,
        apply: samples
            .into_iter()
            .map(|(way, wall, cpu)| (way, median(wall), median(cpu)))
            .collect(),
        ours_noop: median(ours_noop),
        sqlx_noop: median(sqlx_noop),
        select_one: median(select_one),
    }
}

fn table(figures: &[Figures], options: &Options) -> String {
    let mut out = format!(
        "{} revisions, median of {} runs of each way (no-op checks: median of {} calls per run), \
         a fresh database per run.\n\n",
        options.revisions, options.reps, options.noop_reps
    );
    out.push_str(
        "| backend | setting | measurement | wall (ms) | wall ratio | CPU, client + server (ms) | CPU ratio |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: |\n",
    );
    for figures in figures {
        let name = figures.dialect.name();
        let setting = figures.setting.label(figures.dialect);
        let (floor_wall, floor_cpu) = figures
            .apply
            .iter()
            .find(|(way, _, _)| *way == Way::RawSqlx)
            .map(|(_, wall, cpu)| (*wall, *cpu))
            .unwrap_or_default();
        for (way, wall, cpu) in &figures.apply {
            out.push_str(&format!(
                "| {name} | {setting} | {} | {} | {} of (c) | {} | {} of (c) |\n",
                way.label(),
                ms(*wall),
                ratio(*wall, floor_wall),
                ms(*cpu),
                ratio(*cpu, floor_cpu)
            ));
        }
        if figures.ours_noop.is_zero() && figures.sqlx_noop.is_zero() {
            continue;
        }
        let micros = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1000.0);
        out.push_str(&format!(
            "| {name} | all applied | no-op check, ours (`upgrade(\"head\")`) | {} | {} of sqlx's | | |\n",
            micros(figures.ours_noop),
            ratio(figures.ours_noop, figures.sqlx_noop)
        ));
        out.push_str(&format!(
            "| {name} | all applied | no-op check, sqlx (`Migrator::run`) | {} | | | |\n",
            micros(figures.sqlx_noop)
        ));
        out.push_str(&format!(
            "| {name} | all applied | floor: `SELECT 1` through the same pool | {} | | | |\n",
            micros(figures.select_one)
        ));
    }
    out
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut dialects = vec![Dialect::Sqlite];
    if std::env::var_os("MIGRATE_TEST_POSTGRES_URL").is_some() {
        dialects.push(Dialect::Postgres);
    } else {
        eprintln!("PostgreSQL skipped: MIGRATE_TEST_POSTGRES_URL is not set");
    }
    if let Some(only) = &options.only {
        dialects.retain(|dialect| dialect.name() == only);
    }
    let mut figures = Vec::new();
    for dialect in dialects {
        for &setting in &options.settings {
            figures.push(runtime.block_on(measure(dialect, setting, &options)));
        }
    }
    println!("{}", table(&figures, &options));
}
