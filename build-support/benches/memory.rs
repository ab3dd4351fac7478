//! Peak memory of the compiler against the size of the SQL it reads (issue
//! 8, item 12; target: at most 20x). Each case runs `compile()` in a child
//! process of this binary and reads the child's peak resident set
//! (`VmHWM` in `/proc/self/status`, Linux); a one-revision history gives
//! the baseline of the process itself, which is subtracted.
//!
//! ```sh
//! cargo bench -p migrate-build --bench memory
//! ```
//!
//! `MIGRATE_BENCH_SCALE=0.1` runs a tenth of each input;
//! `MIGRATE_BENCH_ONLY=<text>` only the inputs whose name holds the text.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use migrate_build::{compile, Options};

const CHILD: &str = "MIGRATE_MEMORY_BENCH_DIR";

/// Peak memory over the SQL's size the compiler must stay under.
const TARGET: f64 = 20.0;

/// The child: compile the directory, print the peak resident set in KiB.
fn child(dir: &Path) {
    let started = std::time::Instant::now();
    let result = compile(dir, &Options::new());
    let took = started.elapsed();
    let ok = match &result {
        Ok(compiled) => format!("ok, {} warnings", compiled.warnings.len()),
        Err(failure) => format!("failed: {}", failure.errors().count()),
    };
    drop(result);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!("{peak} {} {ok}", took.as_millis());
}

fn revision(dir: &Path, body: &str) -> u64 {
    std::fs::create_dir_all(dir).expect("create");
    let text = format!(
        "-- revision: a1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE t (id bigint PRIMARY KEY, name text, email text);\n{body}\n-- migrate:downgrade\nDROP TABLE t;\n"
    );
    std::fs::write(dir.join("a1_x.sql"), &text).expect("write");
    text.len() as u64
}

/// Runs the child on `dir`: (peak KiB, milliseconds, outcome).
fn measure(dir: &Path) -> (u64, u64, String) {
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .env(CHILD, dir)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut parts = stdout.trim().splitn(3, ' ');
    let peak = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let millis = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let outcome = parts.next().unwrap_or("").to_string();
    if !output.status.success() {
        return (peak, millis, format!("child died: {:?}", output.status));
    }
    (peak, millis, outcome)
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD) {
        child(Path::new(&dir));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let scale: f64 = std::env::var("MIGRATE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let root = tempfile::tempdir().expect("tempdir");

    let base_dir = root.path().join("baseline");
    revision(&base_dir, "");
    let (baseline, _, _) = measure(&base_dir);
    println!("baseline (one tiny revision): {} MiB", baseline / 1024);

    let mut cases: Vec<(String, String)> = Vec::new();
    // 1.6 million one-row INSERTs, about 50 MB.
    let rows = (1_600_000.0 * scale) as usize;
    let mut inserts = String::with_capacity(rows * 34);
    for i in 0..rows {
        let _ = writeln!(inserts, "INSERT INTO t VALUES ({i}, 'n{}');", i % 1000);
    }
    cases.push((format!("{rows} one-row INSERTs"), inserts));
    // One INSERT of about 1 MB.
    let rows = (24_000.0 * scale) as usize;
    let mut big = String::from("INSERT INTO t (id, name, email) VALUES\n");
    for i in 0..rows {
        let _ = write!(
            big,
            "{}({i}, 'name {i}', 'user{i}@example.com')",
            if i == 0 { "" } else { ",\n" }
        );
    }
    big.push_str(";\n");
    cases.push(("one 1 MB INSERT statement".to_string(), big));
    // One statement of about 1 MB that is not an INSERT: parsed whole.
    let ids = (150_000.0 * scale) as usize;
    let list: Vec<String> = (0..ids).map(|i| i.to_string()).collect();
    cases.push((
        "one 1 MB DELETE ... IN (...)".to_string(),
        format!("DELETE FROM t WHERE id IN ({});\n", list.join(", ")),
    ));
    // One expression of about 1 MB (too deep to analyse: a warning).
    let terms = (250_000.0 * scale) as usize;
    cases.push((
        "one 1 MB SELECT 1 + 1 + ...".to_string(),
        format!("SELECT 1{};\n", " + 1".repeat(terms)),
    ));
    // A `CASE` of about 1 MB: its arms are checked in batches.
    let arms = (40_000.0 * scale) as usize;
    let mut case = String::from("UPDATE t SET name = CASE id");
    for i in 0..arms {
        let _ = write!(case, "\n  WHEN {i} THEN 'name {i}'");
    }
    case.push_str("\n  ELSE name END;\n");
    cases.push(("one 1 MB UPDATE ... CASE (arms)".to_string(), case));
    // A view over an `ARRAY[...]` of about 1 MB: a statement the model
    // reads, too large to keep its tree (its effects are unknown).
    let list: Vec<String> = (0..ids).map(|i| i.to_string()).collect();
    cases.push((
        "one 1 MB CREATE VIEW ... ARRAY[...]".to_string(),
        format!("CREATE VIEW v AS SELECT ARRAY[{}] AS a;\n", list.join(", ")),
    ));
    // A `CREATE TABLE` of about 1 MB (25,000 columns).
    let columns = (25_000.0 * scale) as usize;
    let mut wide = String::from("CREATE TABLE wide (");
    for i in 0..columns {
        let _ = write!(
            wide,
            "{}\n  c{i} text NOT NULL DEFAULT 'x'",
            if i == 0 { "" } else { "," }
        );
    }
    wide.push_str("\n);\n");
    cases.push(("one 1 MB CREATE TABLE (columns)".to_string(), wide));

    println!(
        "| input | SQL | peak RSS | peak - baseline | ratio to SQL | time |\n|---|---|---|---|---|---|"
    );
    // `MIGRATE_BENCH_ONLY=CASE` runs the inputs whose name holds `CASE`.
    if let Ok(only) = std::env::var("MIGRATE_BENCH_ONLY") {
        cases.retain(|(name, _)| name.contains(&only));
    }
    let mut missed = Vec::new();
    for (index, (name, body)) in cases.iter().enumerate() {
        let dir = root.path().join(format!("case{index}"));
        let bytes = revision(&dir, body);
        let (peak, millis, outcome) = measure(&dir);
        let over = peak.saturating_sub(baseline) * 1024;
        println!(
            "| {name} ({outcome}) | {:.1} MB | {} MiB | {} MiB | {:.1}x | {:.1} s |",
            bytes as f64 / 1e6,
            peak / 1024,
            over / (1 << 20),
            over as f64 / bytes as f64,
            millis as f64 / 1000.0
        );
        std::fs::remove_dir_all(&dir).ok();
        if !outcome.starts_with("ok") || over as f64 > TARGET * bytes as f64 {
            missed.push(format!(
                "{name}: {outcome}, {:.1}x",
                over as f64 / bytes as f64
            ));
        }
    }
    // The README's table is this bench's: it fails when an input misses the
    // target or does not compile.
    assert!(
        missed.is_empty(),
        "over {TARGET}x the SQL, or not compiled: {missed:?}"
    );
}
