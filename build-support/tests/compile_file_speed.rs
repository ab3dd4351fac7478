//! How fast the per-file stages are (header, split, parse, checksum):
//! `compile_file` over 10,000 generated revisions of about 1 KiB.
//!
//! A timing, not a pass/fail test on shared CI machines: run it with
//! `cargo test --release -p migrate-build --test compile_file_speed -- --ignored --nocapture`.
//! The always-on test below only checks that the generated files compile.

use std::path::PathBuf;
use std::time::Instant;

use migrate_build::config::{Config, Dialect};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;

/// One realistic revision of about 1 KiB.
fn revision(n: usize) -> SourceFile {
    let id = format!("{n:012x}");
    let parent = if n == 0 {
        "none".to_string()
    } else {
        format!("{:012x}", n - 1)
    };
    let text = format!(
        "-- revision: {id}\n-- down_revision: {parent}\n-- message: add table t{n}\n-- create_date: 2025-08-06T14:30:00Z\n\n\
-- migrate:upgrade\n\
CREATE TABLE t{n} (\n    id BIGSERIAL PRIMARY KEY,\n    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n    title VARCHAR(200) NOT NULL,\n    body TEXT NOT NULL DEFAULT '',\n    published_at TIMESTAMPTZ,\n    score NUMERIC(10, 2) NOT NULL DEFAULT 0,\n    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n    CONSTRAINT t{n}_title_check CHECK (char_length(title) > 0)\n);\n\
-- an index for the listing page\n\
CREATE INDEX t{n}_owner_idx ON t{n} (owner_id, created_at DESC);\n\
ALTER TABLE t{n} ADD COLUMN slug VARCHAR(100);\n\
UPDATE t{n} SET slug = lower(replace(title, ' ', '-')) WHERE slug IS NULL;\n\
INSERT INTO settings (key, value) VALUES ('t{n}.enabled', 'true'), ('t{n}.limit', '100');\n\n\
-- migrate:upgrade transaction:false\n\
CREATE INDEX CONCURRENTLY IF NOT EXISTS t{n}_published_idx ON t{n} (published_at) WHERE published_at IS NOT NULL;\n\n\
-- migrate:downgrade\n\
DELETE FROM settings WHERE key LIKE 't{n}.%';\n\
DROP TABLE t{n};\n"
    );
    SourceFile {
        path: PathBuf::from(format!("migrations/{id}_add_table_t{n}.sql")),
        text,
    }
}

fn postgres() -> Config {
    Config {
        dialect: Dialect::Postgres,
        ..Config::default()
    }
}

#[test]
fn generated_revisions_compile() {
    let config = postgres();
    for n in 0..3 {
        let file = revision(n);
        let compiled = compile_file(&file, &config).expect("compiles");
        assert_eq!(compiled.upgrade[0].statements.len(), 5);
        assert!(
            file.text.len() > 900 && file.text.len() < 1300,
            "{}",
            file.text.len()
        );
    }
}

#[test]
#[ignore = "timing: run in release with --ignored --nocapture"]
fn compile_file_speed() {
    let config = postgres();
    for count in [1_000, 10_000] {
        let files: Vec<SourceFile> = (0..count).map(revision).collect();
        let bytes: usize = files.iter().map(|f| f.text.len()).sum();
        let started = Instant::now();
        let mut statements = 0;
        for file in &files {
            let compiled = compile_file(file, &config).expect("compiles");
            statements += compiled
                .upgrade
                .iter()
                .chain(&compiled.downgrade)
                .map(|s| s.statements.len())
                .sum::<usize>();
        }
        let elapsed = started.elapsed();
        println!(
            "{count} revisions, {statements} statements, {:.1} MB: {:.3} s on one thread ({:.1} MB/s)",
            bytes as f64 / 1e6,
            elapsed.as_secs_f64(),
            bytes as f64 / 1e6 / elapsed.as_secs_f64()
        );
    }
}
