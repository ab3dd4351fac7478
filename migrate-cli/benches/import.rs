//! `cargo migrate import --from sqlx` of 1,000 generated sqlx migrations
//! (reversible pairs of realistic DDL, about 1 KiB each): read, convert,
//! compile and lint in memory, write the files and `migrate.lock`. Target:
//! under a second. The baseline measured in the same run is
//! `migrate_build::compile` of the imported directory (what the next
//! `cargo build` does with it): the import costs a small multiple of that.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use migrate_build::config::{Config, Dialect};
use migrate_cli::cmd::import::{convert, read_source, Options, SourceTool};

/// Writes `count` reversible sqlx migrations into `dir`.
fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("create the directory");
    for i in 0..count {
        let version = 20_240_101_000_000u64 + i as u64;
        let mut up = String::with_capacity(1000);
        let _ = write!(
            up,
            "CREATE TABLE t{i} (\n    id BIGINT PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n    name VARCHAR(200) NOT NULL,\n    \
             email VARCHAR(320),\n    status VARCHAR(20) NOT NULL DEFAULT 'active',\n    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n\n\
             ALTER TABLE t{i} ADD COLUMN notes TEXT;\n\
             CREATE INDEX idx_t{i}_account ON t{i} (account_id, created_at);\n\
             CREATE UNIQUE INDEX idx_t{i}_email ON t{i} (email);\n\
             INSERT INTO t{i} (id, account_id, name, email) VALUES (1, 10, 'first', 'first@example.com');\n\
             UPDATE t{i} SET status = 'inactive' WHERE id = 1;\n"
        );
        let down =
            format!("DROP INDEX idx_t{i}_email;\nDROP INDEX idx_t{i}_account;\nDROP TABLE t{i};\n");
        std::fs::write(dir.join(format!("{version}_create_t{i}.up.sql")), up).expect("write");
        std::fs::write(dir.join(format!("{version}_create_t{i}.down.sql")), down).expect("write");
    }
}

/// What `cargo migrate import` does, without printing the report.
fn import(source: &Path, dir: &Path, config: &Config) -> usize {
    let (migrations, _) = read_source(SourceTool::Sqlx, source, config.dialect).expect("read");
    let options = Options {
        mark_unchecked: false,
        allow_imported_errors: false,
    };
    let conversion = convert(SourceTool::Sqlx, &migrations, config, options).expect("convert");
    assert!(
        conversion.report.errors.is_empty(),
        "{:?}",
        conversion.report.errors
    );
    std::fs::create_dir_all(dir).expect("create");
    std::fs::write(
        dir.join(migrate_build::config::CONFIG_FILE),
        migrate_cli::cmd::init::migrate_toml(config.dialect.name()),
    )
    .expect("write");
    for file in &conversion.files {
        migrate_cli::files::create_new(&dir.join(&file.file_name), &file.text).expect("write");
    }
    migrate_cli::cmd::lock::write(dir).expect("lock");
    conversion.files.len()
}

fn bench(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let source = root.path().join("sqlx");
    generate(&source, 1_000);
    let config = Config {
        dialect: Dialect::Postgres,
        ..Config::default()
    };
    let imported = root.path().join("imported");
    assert_eq!(import(&source, &imported, &config), 1_000);
    let compiled = migrate_build::compile(&imported, &migrate_build::Options::new())
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(compiled.revisions.len(), 1_000);

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    let mut run = 0;
    group.bench_function("sqlx/1000", |b| {
        b.iter_batched(
            || {
                run += 1;
                root.path().join(format!("run{run}"))
            },
            |dir| import(&source, &dir, &config),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("baseline: compile the imported 1000", |b| {
        b.iter_with_large_drop(|| migrate_build::compile(&imported, &migrate_build::Options::new()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
