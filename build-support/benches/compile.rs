//! `compile()` on generated histories of 1,000 and 10,000 revisions of
//! realistic DDL (about 1 KiB each: CREATE TABLE with several columns, ADD
//! COLUMN, CREATE INDEX, INSERTs, a downgrade), a linear chain with a
//! branch-and-merge pair every 100 revisions. Target: 10,000 in under a
//! second, and 10x the revisions at most 12x the time.
//!
//! `compile/cycle`: 1,000 and 10,000 revisions that form one cycle, compiled
//! and the error rendered (the cycle's diagnostic has a label in every
//! file): 10x the revisions at most 12x the time, like the rest.

use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "support/history.rs"]
mod history;
use history::generate;
use migrate_build::{compile, Options};

/// Writes `count` one-statement revisions, each naming the previous as its
/// parent and the first naming the last: one cycle through every file.
pub fn generate_cycle(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("create the directory");
    let id = |i: usize| format!("{:012x}", 0x2000_0000_0000usize + i * 7919);
    for i in 0..count {
        let down = id((i + count - 1) % count);
        let text = format!(
            "-- revision: {}\n-- down_revision: {down}\n\n-- migrate:upgrade\nCREATE TABLE c{i} (id INT);\n\n-- migrate:downgrade\nDROP TABLE c{i};\n",
            id(i)
        );
        std::fs::write(dir.join(format!("{}_cycle_{i}.sql", id(i))), text).expect("write");
    }
}

/// One timed pass per stage, single-threaded, to show where the time goes.
fn stages(dir: &Path, config: &migrate_build::config::Config) {
    let display = Path::new("migrations");
    let started = Instant::now();
    let files = migrate_build::source::read_migrations(dir, display, None).expect("read");
    let read = started.elapsed();
    let started = Instant::now();
    let revisions: Vec<_> = files
        .iter()
        .filter_map(|file| migrate_build::revision::compile_file(file, config).ok())
        .collect();
    let parse = started.elapsed();
    let started = Instant::now();
    let graph = migrate_build::graph::check(&revisions);
    let graph_time = started.elapsed();
    let ordered: Vec<_> = graph.order.iter().map(|i| revisions[*i].clone()).collect();
    let started = Instant::now();
    let lints = migrate_build::lint::check(config, &ordered);
    let lint = started.elapsed();
    eprintln!(
        "{} revisions: read {read:?}, compile_file (1 thread) {parse:?}, graph+order {graph_time:?} ({} findings), lints {lint:?} ({} findings)",
        files.len(),
        graph.diagnostics.len(),
        lints.len()
    );
}

fn bench(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let dir = root.path().join(format!("m{count}"));
        generate(&dir, count);
        let options = Options::new().display_dir("migrations");
        let compiled = compile(&dir, &options).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(compiled.revisions.len(), count);
        stages(&dir, &compiled.config);
        group.bench_with_input(BenchmarkId::from_parameter(count), &dir, |b, dir| {
            // `build.rs` never frees the result (it exits first), so the
            // drop is left out of the measurement, as criterion intends for
            // outputs that are expensive to drop.
            b.iter_with_large_drop(|| compile(dir, &options))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("compile/cycle");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let dir = root.path().join(format!("cycle{count}"));
        generate_cycle(&dir, count);
        let options = Options::new().display_dir("migrations");
        group.bench_with_input(BenchmarkId::from_parameter(count), &dir, |b, dir| {
            b.iter(|| {
                let failure = compile(dir, &options).expect_err("a cycle");
                failure.render(migrate_build::render::Style::Plain).len()
            })
        });
    }
    group.finish();
}

/// The stale-plan check `embed_migrations!` runs on every expansion: the
/// metadata comparison (the edit loop: nothing changed since `watch`), and
/// the content hash it falls back to when metadata moved.
fn fingerprint(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("fingerprint");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let dir = root.path().join(format!("m{count}"));
        generate(&dir, count);
        let plan = root.path().join(format!("plan{count}.rs"));
        std::fs::write(
            migrate_build::fingerprint::path_for(&plan),
            migrate_build::fingerprint::record(&dir).expect("record"),
        )
        .expect("write");
        group.bench_with_input(BenchmarkId::new("check", count), &dir, |b, dir| {
            b.iter(|| migrate_build::fingerprint::check(&plan, dir).expect("fresh"))
        });
        group.bench_with_input(BenchmarkId::new("content_hash", count), &dir, |b, dir| {
            b.iter(|| migrate_build::fingerprint::of_dir(dir).expect("hash"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench, fingerprint);
criterion_main!(benches);
