//! Driver for the compiler benchmark's instruction counts (README,
//! "Compiler benchmark", "Before and after, in one run").
//!
//! It writes the compile bench's generated history (the same text as
//! `benches/compile.rs`), compiles it once, then runs one stage under a
//! function of its own that callgrind can switch collection on:
//!
//! ```text
//! CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
//!     cargo build --release -p migrate-build --example lint_profile
//! valgrind --tool=callgrind --toggle-collect='lint_profile::lint_pass' \
//!     target/release/examples/lint_profile lints 1000
//! valgrind --tool=callgrind --collect-atstart=no \
//!     --toggle-collect='lint_profile::compile_pass' \
//!     target/release/examples/lint_profile compile 1000
//! ```
//!
//! `lint_profile lints N PASSES` runs the lint pass PASSES times and prints
//! the process's user CPU time over those passes (from `/proc/self/stat`),
//! for the CPU-time figure. The file only uses API that `3ef6fe5` already
//! had, so the same driver builds at both commits.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use migrate_build::{compile, Compiled, Options};

/// Writes `count` revisions into `dir` (the compile bench's generator).
fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("create the directory");
    let id = |i: usize| format!("{:012x}", 0x1000_0000_0000usize + i * 7919);
    let mut parents: Vec<Vec<String>> = Vec::with_capacity(count);
    let mut i = 0;
    while i < count {
        let previous = if i == 0 { Vec::new() } else { vec![id(i - 1)] };
        if i % 100 == 50 && i + 2 < count {
            parents.push(previous.clone());
            parents.push(previous);
            parents.push(vec![id(i), id(i + 1)]);
            i += 3;
        } else {
            parents.push(previous);
            i += 1;
        }
    }
    for (i, down) in parents.iter().enumerate() {
        let down = if down.is_empty() {
            "none".to_string()
        } else {
            down.join(", ")
        };
        let mut text = String::with_capacity(1200);
        let _ = write!(
            text,
            "-- revision: {id}\n-- down_revision: {down}\n-- message: create table t{i}\n-- create_date: 2025-01-01T00:00:00Z\n\n\
             -- migrate:upgrade\n\
             CREATE TABLE t{i} (\n    id BIGINT PRIMARY KEY,\n    account_id BIGINT NOT NULL,\n    name VARCHAR(200) NOT NULL,\n    \
             email VARCHAR(320),\n    status VARCHAR(20) NOT NULL DEFAULT 'active',\n    score NUMERIC(10, 2),\n    \
             created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    updated_at TIMESTAMP\n);\n\n\
             ALTER TABLE t{i} ADD COLUMN notes TEXT;\n\
             CREATE INDEX idx_t{i}_account ON t{i} (account_id, created_at);\n\
             CREATE UNIQUE INDEX idx_t{i}_email ON t{i} (email);\n\
             -- seed rows; comments are not part of the checksum\n\
             INSERT INTO t{i} (id, account_id, name, email) VALUES (1, 10, 'first', 'first@example.com');\n\
             INSERT INTO t{i} (id, account_id, name, email) VALUES (2, 10, 'second', 'second@example.com');\n\
             INSERT INTO t{i} (id, account_id, name, status) VALUES (3, 11, 'third', 'inactive');\n\
             UPDATE t{i} SET score = 1.5 WHERE id = 1;\n\n\
             -- migrate:downgrade\n\
             DROP INDEX idx_t{i}_email;\nDROP INDEX idx_t{i}_account;\nDROP TABLE t{i};\n",
            id = id(i)
        );
        std::fs::write(dir.join(format!("{}_create_t{i}.sql", id(i))), text).expect("write");
    }
}

/// One lint pass over the compiled history (callgrind's toggle point).
#[inline(never)]
fn lint_pass(compiled: &Compiled) -> usize {
    migrate_build::lint::check(&compiled.config, &compiled.revisions).len()
}

/// One `compile()` of the directory (callgrind's toggle point).
#[inline(never)]
fn compile_pass(dir: &Path, options: &Options) -> usize {
    let compiled = compile(dir, options).unwrap_or_else(|f| panic!("{f}"));
    let count = compiled.revisions.len();
    // `build.rs` never frees the result; neither does the bench's loop.
    std::mem::forget(compiled);
    count
}

/// The process's user CPU time in clock ticks (field 14 of /proc/self/stat).
fn user_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after
        .split_whitespace()
        .nth(11)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("lints", String::as_str);
    let count: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let passes: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let dir = std::env::temp_dir().join(format!("lint_profile_{}_{count}", std::process::id()));
    generate(&dir, count);
    let options = Options::new().display_dir("migrations");
    match mode {
        "compile" => {
            for _ in 0..passes {
                black_box(compile_pass(black_box(&dir), &options));
            }
        }
        _ => {
            let compiled = compile(&dir, &options).unwrap_or_else(|f| panic!("{f}"));
            assert_eq!(compiled.revisions.len(), count);
            let ticks = user_ticks();
            let started = Instant::now();
            let mut findings = 0;
            for _ in 0..passes {
                findings = black_box(lint_pass(black_box(&compiled)));
            }
            let wall = started.elapsed();
            let user = user_ticks() - ticks;
            eprintln!(
                "lints, {count} revisions, {passes} passes: {findings} findings, wall {:.1} ms/pass, user {:.1} ms/pass",
                wall.as_secs_f64() * 1e3 / passes as f64,
                user as f64 * 10.0 / passes as f64
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
