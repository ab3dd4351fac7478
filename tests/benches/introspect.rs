//! Catalog introspection (`migrate_introspect::introspect`) of a
//! PostgreSQL database of many tables, each like an application's: a
//! `bigserial` primary key, eight columns, a unique, a check, a foreign key
//! to the table before it and an index; one view every ten tables and an
//! enum type.
//!
//! ```text
//! cargo bench -p migrate-tests --bench introspect -- [--tables N] [--reps R]
//! ```
//!
//! Needs `MIGRATE_TEST_POSTGRES_URL`. Prints the median of `--reps`
//! (default 7) introspections of a database of `--tables` tables (default
//! 500) and of one of a tenth as many, with the median of a trivial query
//! (`SELECT 1`) in the same run as the baseline: the machine may be shared
//! and noisy, so compare the ratios.

use std::time::{Duration, Instant};

use migrate_introspect::introspect;
use migrate_runtime::MigrateConnection;
use migrate_tests::TestDb;

fn option(name: &str, default: usize) -> usize {
    let mut args = std::env::args();
    while let Some(arg) = args.next() {
        if arg == name {
            return args.next().and_then(|n| n.parse().ok()).unwrap_or(default);
        }
    }
    default
}

fn schema_sql(tables: usize) -> String {
    let mut sql = String::from("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n");
    for i in 0..tables {
        let reference = if i == 0 {
            String::new()
        } else {
            format!(" REFERENCES t{:04} (id) ON DELETE CASCADE", i - 1)
        };
        sql.push_str(&format!(
            "CREATE TABLE t{i:04} (\n\
             id bigserial PRIMARY KEY,\n\
             parent_id bigint{reference},\n\
             name text NOT NULL UNIQUE,\n\
             email varchar(200),\n\
             score integer NOT NULL DEFAULT 0 CHECK (score >= 0),\n\
             feeling mood,\n\
             created_at timestamptz NOT NULL DEFAULT now(),\n\
             body jsonb\n);\n\
             CREATE INDEX ON t{i:04} (parent_id, created_at);\n"
        ));
        if i % 10 == 9 {
            sql.push_str(&format!(
                "CREATE VIEW v{i:04} AS SELECT id, name FROM t{i:04} WHERE score > 0;\n"
            ));
        }
    }
    sql
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn measure(db: &MigrateConnection, reps: usize) -> (Duration, usize) {
    let mut samples = Vec::new();
    let mut objects = 0;
    for _ in 0..reps {
        let started = Instant::now();
        let catalog = introspect(db).await.expect("introspection");
        samples.push(started.elapsed());
        objects = catalog.len();
    }
    (median(samples), objects)
}

async fn trivial(db: &MigrateConnection, reps: usize) -> Duration {
    let MigrateConnection::Postgres(pool) = db else {
        unreachable!("a PostgreSQL database")
    };
    let mut samples = Vec::new();
    for _ in 0..reps * 10 {
        let started = Instant::now();
        sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .expect("SELECT 1");
        samples.push(started.elapsed());
    }
    median(samples)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tables = option("--tables", 500);
    let reps = option("--reps", 7).max(1);
    let mut rows = Vec::new();
    let mut baseline = Duration::ZERO;
    for count in [tables / 10, tables] {
        let Some(db) = TestDb::postgres("introspect_bench").await else {
            eprintln!("MIGRATE_TEST_POSTGRES_URL is not set: nothing measured");
            return;
        };
        db.exec(&schema_sql(count)).await;
        // Warm the connection and the server's catalog caches once.
        introspect(&db.db).await.expect("introspection");
        let (time, objects) = measure(&db.db, reps).await;
        baseline = trivial(&db.db, reps).await;
        rows.push((count, objects, time));
        db.drop_database().await;
    }
    println!("| tables | objects read | introspection (median of {reps}) | per table |");
    println!("| ---: | ---: | ---: | ---: |");
    for (count, objects, time) in &rows {
        println!(
            "| {count} | {objects} | {:.1} ms | {:.2} ms |",
            time.as_secs_f64() * 1e3,
            time.as_secs_f64() * 1e3 / (*count).max(1) as f64
        );
    }
    println!(
        "baseline: `SELECT 1` median {:.3} ms",
        baseline.as_secs_f64() * 1e3
    );
    if let [(small, _, a), (large, _, b)] = rows[..] {
        println!(
            "{large} tables take {:.1}x the time of {small}",
            b.as_secs_f64() / a.as_secs_f64().max(1e-9)
        );
    }
}
