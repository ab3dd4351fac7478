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
//! valgrind --tool=callgrind \
//!     --dump-before='lint_profile::compile_pass' \
//!     --dump-after='lint_profile::compile_pass' \
//!     target/release/examples/lint_profile compile 1000
//! ```
//!
//! `--toggle-collect` counts only the thread that calls the function, and
//! `compile()` works on several threads: its figure is the second dump
//! (`callgrind.out.PID.2`, all threads between entering and leaving
//! `compile_pass`); the first dump is the start-up and the generator.
//!
//! `lint_profile lints N PASSES` runs the lint pass PASSES times and prints
//! the process's user CPU time over those passes (from `/proc/self/stat`),
//! for the CPU-time figure. The file (with `benches/support/history.rs`,
//! the generator it shares with the bench) only uses API that `3ef6fe5`
//! already had, so the same two files build at both commits.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use migrate_build::{compile, Compiled, Options};

#[path = "../benches/support/history.rs"]
mod history;
use history::generate;

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
