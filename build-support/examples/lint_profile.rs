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
//! for the CPU-time figure. `lint_profile memory N` counts the lint
//! pass's allocations and the most blocks and bytes it held at once (a
//! counting global allocator, on only in that mode). The file (with `benches/support/history.rs`,
//! the generator it shares with the bench) only uses API that `3ef6fe5`
//! already had, so the same two files build at both commits.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use migrate_build::{compile, Compiled, Options};

/// Counts the heap the process holds (`lint_profile memory N`): the
/// allocations of one lint pass and the most it held at once above what
/// was live when it began. Counting is on only in that mode, so the other
/// modes' times are `malloc`'s own.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

    pub static ON: AtomicBool = AtomicBool::new(false);

    pub static LIVE: AtomicUsize = AtomicUsize::new(0);
    pub static PEAK: AtomicUsize = AtomicUsize::new(0);
    pub static CALLS: AtomicUsize = AtomicUsize::new(0);
    pub static BLOCKS: AtomicUsize = AtomicUsize::new(0);
    pub static PEAK_BLOCKS: AtomicUsize = AtomicUsize::new(0);

    pub struct Counting;

    // SAFETY: every call is passed on to `System` unchanged.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if !ON.load(Relaxed) {
                // SAFETY: the caller's contract, passed on.
                return unsafe { System.alloc(layout) };
            }
            CALLS.fetch_add(1, Relaxed);
            let blocks = BLOCKS.fetch_add(1, Relaxed) + 1;
            PEAK_BLOCKS.fetch_max(blocks, Relaxed);
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if !ON.load(Relaxed) {
                // SAFETY: the caller's contract, passed on.
                return unsafe { System.dealloc(ptr, layout) };
            }
            LIVE.fetch_sub(layout.size(), Relaxed);
            BLOCKS.fetch_sub(1, Relaxed);
            // SAFETY: the caller's contract, passed on.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
            if !ON.load(Relaxed) {
                // SAFETY: the caller's contract, passed on.
                return unsafe { System.realloc(ptr, layout, new) };
            }
            CALLS.fetch_add(1, Relaxed);
            let live = LIVE.fetch_add(new, Relaxed) + new - layout.size();
            LIVE.fetch_sub(layout.size(), Relaxed);
            PEAK.fetch_max(live, Relaxed);
            // SAFETY: the caller's contract, passed on.
            unsafe { System.realloc(ptr, layout, new) }
        }
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

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
    // Counting starts before anything this run keeps is allocated (the
    // argument read here is freed again first).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|mode| mode == "memory")
    {
        counting::ON.store(true, std::sync::atomic::Ordering::Relaxed);
    }
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
        "memory" => {
            use std::sync::atomic::Ordering::Relaxed;
            let compiled = compile(&dir, &options).unwrap_or_else(|f| panic!("{f}"));
            let live = counting::LIVE.load(Relaxed);
            counting::PEAK.store(live, Relaxed);
            let blocks = counting::BLOCKS.load(Relaxed);
            counting::PEAK_BLOCKS.store(blocks, Relaxed);
            let calls = counting::CALLS.load(Relaxed);
            black_box(lint_pass(black_box(&compiled)));
            eprintln!(
                "lints, {count} revisions: {} allocations, peak {} blocks, {:.1} MiB above the {:.1} MiB live before",
                counting::CALLS.load(Relaxed) - calls,
                counting::PEAK_BLOCKS.load(Relaxed) - blocks,
                (counting::PEAK.load(Relaxed) - live) as f64 / 1048576.0,
                live as f64 / 1048576.0
            );
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
