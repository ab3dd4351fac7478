//! Autogenerate against a 500-table declared schema: a history of 500
//! revisions (one table with indexes and a foreign key each) and a
//! `schema.sql` of the same 500 tables with a column added to every tenth,
//! an index to every twentieth, and 25 new tables. Measured: reading the
//! declared schema, replaying the history's head, the diff and the file's
//! text; the baseline, in the same run, is `compile()` of the history (what
//! every `cargo build` does). Target: under 1 s.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use migrate_build::autogen::{generate, head_schema, read_declared};
use migrate_build::config::Dialect;
use migrate_build::{compile, Options};

const TABLES: usize = 500;

fn table(i: usize, extra: bool) -> String {
    let mut t = format!(
        "CREATE TABLE t{i} (\n    id BIGINT PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n    \
         name VARCHAR(200) NOT NULL,\n    email VARCHAR(320) UNIQUE,\n    \
         status VARCHAR(20) NOT NULL DEFAULT 'active',\n    score NUMERIC(10, 2) CHECK (score >= 0),\n    \
         created_at TIMESTAMPTZ NOT NULL DEFAULT now()"
    );
    if i > 0 {
        let _ = write!(
            t,
            ",\n    parent_id BIGINT REFERENCES t{} (id) ON DELETE CASCADE",
            i - 1
        );
    }
    if extra {
        t.push_str(",\n    notes TEXT");
    }
    let _ = write!(
        t,
        "\n);\nCREATE INDEX idx_t{i}_account ON t{i} (account_id, created_at DESC);\n"
    );
    t
}

fn setup(dir: &Path) {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).expect("directory");
    std::fs::write(migrations.join("migrate.toml"), "dialect = \"postgres\"\n").expect("toml");
    let id = |i: usize| format!("{:012x}", 0x1000_0000_0000usize + i);
    let mut declared = String::new();
    for i in 0..TABLES {
        let down = if i == 0 {
            "none".to_string()
        } else {
            id(i - 1)
        };
        let text = format!(
            "-- revision: {}\n-- down_revision: {down}\n\n-- migrate:upgrade\n{}\n-- migrate:downgrade\nDROP TABLE t{i};\n",
            id(i),
            table(i, false)
        );
        std::fs::write(migrations.join(format!("{}_t{i}.sql", id(i))), text).expect("revision");
        declared.push_str(&table(i, i % 10 == 0));
        if i % 20 == 0 {
            let _ = writeln!(
                declared,
                "CREATE INDEX idx_t{i}_name ON t{i} (lower(name));"
            );
        }
    }
    for i in TABLES..TABLES + 25 {
        declared.push_str(&table(i, false));
    }
    std::fs::write(dir.join("schema.sql"), declared).expect("schema");
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    setup(tmp.path());
    let migrations = tmp.path().join("migrations");
    let schema = tmp.path().join("schema.sql");
    let options = Options::new();
    let compiled = compile(&migrations, &options).expect("the history compiles");

    let autogenerate = || {
        let (declared, _) = read_declared(&schema, Dialect::Postgres).expect("declared schema");
        let head = head_schema(Dialect::Postgres, &compiled.revisions);
        let generated = generate(&head, &declared);
        assert!(!generated.is_empty());
        generated.render()
    };
    // One timed run of each for the README, ratios in the same run.
    let start = Instant::now();
    let _ = compile(&migrations, &options).expect("compiles");
    let baseline = start.elapsed();
    let start = Instant::now();
    let text = autogenerate();
    let took = start.elapsed();
    eprintln!(
        "autogenerate, {TABLES} tables: {took:?} ({} bytes written; compile() of the history: {baseline:?}, ratio {:.2})",
        text.len(),
        took.as_secs_f64() / baseline.as_secs_f64()
    );

    let mut group = c.benchmark_group("autogen");
    group.sample_size(10);
    group.bench_function("compile_history_500", |b| {
        b.iter(|| compile(&migrations, &options).expect("compiles"))
    });
    group.bench_function("autogenerate_500", |b| b.iter(autogenerate));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
