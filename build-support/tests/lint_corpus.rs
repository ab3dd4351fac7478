//! The schema model and the lints over every real history in `shared/corpus/`.
//!
//! Those histories are diesel, sqlx and popx layouts (one up and one down
//! script per version), not our format: an adapter orders them the way their
//! own runner does and writes each version as one of our files (a header, an
//! upgrade section, a downgrade section, `transaction:false` where the
//! original ran outside a transaction), then compiles it with the real
//! `revision::compile_file` and lints the history with `lint::check`.
//!
//! It asserts that nothing panics, that every file compiles, and that the
//! build errors are exactly the known-broken scripts listed in each
//! SOURCE.md (plus kratos's non-inverse early downs, reported as
//! `downgrade-mismatch`, counted but not asserted one by one). It prints a
//! count of findings per rule per history and fails unless README.md holds
//! that table as printed; with `LINT_CORPUS_SAMPLES=n`, it prints the first n
//! findings of each rule. (How long linting takes is measured by the
//! `compile` benchmark, not here.)
//!
//! Run with `cargo test -p migrate-build --test lint_corpus -- --nocapture`.

#[path = "support/readme.rs"]
mod readme;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use migrate_build::config::{Config, Dialect};
use migrate_build::render::{render, Sources, Style};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{CompiledRevision, Diagnostic, Severity};

const CORPUS: &str = "/work/shared/corpus";

/// One version of a foreign history.
struct Version {
    key: String,
    name: String,
    up: String,
    down: String,
    up_transactional: bool,
    down_transactional: bool,
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn only_comments(sql: &str) -> bool {
    sql.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// Diesel: `<version>_<name>/{up,down}.sql`, ordered by the version with
/// `-` removed (compared as strings), `metadata.toml` for no-transaction.
fn diesel(dir: &Path) -> Vec<Version> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let version = name.split('_').next().unwrap_or("").replace('-', "");
        let metadata = read(&path.join("metadata.toml"));
        let transactional = !metadata.contains("run_in_transaction = false");
        out.push(Version {
            key: version,
            name: name.clone(),
            up: read(&path.join("up.sql")),
            down: read(&path.join("down.sql")),
            up_transactional: transactional,
            down_transactional: transactional,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// sqlx reversible: `<version>_<name>.{up,down}.sql`.
fn sqlx(dir: &Path) -> Vec<Version> {
    let mut by_version: BTreeMap<String, Version> = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let (stem, up) = match (file.strip_suffix(".up.sql"), file.strip_suffix(".down.sql")) {
            (Some(stem), _) => (stem.to_string(), true),
            (_, Some(stem)) => (stem.to_string(), false),
            _ => continue,
        };
        let version = stem.split('_').next().unwrap_or("").to_string();
        let v = by_version.entry(version.clone()).or_insert(Version {
            key: version,
            name: stem.clone(),
            up: String::new(),
            down: String::new(),
            up_transactional: true,
            down_transactional: true,
        });
        let text = read(&entry.path());
        let no_tx = text.starts_with("-- no-transaction");
        if up {
            v.up = text;
            v.up_transactional = !no_tx;
        } else {
            v.down = text;
            v.down_transactional = !no_tx;
        }
    }
    by_version.into_values().collect()
}

/// popx (kratos): `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`;
/// a dialect-specific file wins over the generic one; comment-only files are
/// skipped by the runner.
fn popx(dir: &Path, dialect: &str) -> Vec<Version> {
    // version -> (up, down) candidates: (specific?, autocommit, text)
    type Pick = Option<(bool, bool, String)>;
    let mut by_version: BTreeMap<String, (String, Pick, Pick)> = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let (stem, up) = match (file.strip_suffix(".up.sql"), file.strip_suffix(".down.sql")) {
            (Some(stem), _) => (stem, true),
            (_, Some(stem)) => (stem, false),
            _ => continue,
        };
        let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (base, file_dialect) = match stem.split_once('.') {
            Some((base, d)) => (base, Some(if d == "sqlite" { "sqlite3" } else { d })),
            None => (stem, None),
        };
        if file_dialect.is_some_and(|d| d != dialect) {
            continue;
        }
        let version = base.split('_').next().unwrap_or("").to_string();
        let specific = file_dialect.is_some();
        let slot = by_version
            .entry(version)
            .or_insert((base.to_string(), None, None));
        let pick = if up { &mut slot.1 } else { &mut slot.2 };
        if pick.as_ref().is_none_or(|(s, _, _)| specific && !s) {
            *pick = Some((specific, autocommit, read(&entry.path())));
        }
    }
    by_version
        .into_iter()
        .map(|(key, (name, up, down))| {
            let (_, up_auto, up) = up.unwrap_or((false, false, String::new()));
            let (_, down_auto, down) = down.unwrap_or((false, false, String::new()));
            Version {
                key,
                name,
                up,
                down,
                up_transactional: !up_auto,
                down_transactional: !down_auto,
            }
        })
        .filter(|v| !only_comments(&v.up) || !only_comments(&v.down))
        .collect()
}

/// Writes `versions` as our files and compiles each.
fn compile(
    versions: &[Version],
    dialect: Dialect,
) -> (Vec<CompiledRevision>, Vec<Diagnostic>, Sources) {
    let config = Config {
        dialect,
        ..Config::default()
    };
    let mut revisions = Vec::new();
    let mut errors = Vec::new();
    let mut sources = Sources::new();
    let mut parent = "none".to_string();
    for (i, v) in versions.iter().enumerate() {
        let id = format!("v{i:04}");
        let section = |kind: &str, transactional: bool| {
            if transactional {
                format!("-- migrate:{kind}\n")
            } else {
                format!("-- migrate:{kind} transaction:false\n")
            }
        };
        let mut text = format!(
            "-- revision: {id}\n-- down_revision: {parent}\n-- message: {}\n\n",
            v.name.replace('\n', " ")
        );
        text.push_str(&section("upgrade", v.up_transactional));
        // An empty upgrade is not a revision of ours; the runner skips it.
        if only_comments(&v.up) {
            text.push_str("SELECT 1;\n");
        } else {
            text.push_str(&v.up);
        }
        text.push('\n');
        if !only_comments(&v.down) {
            text.push_str(&section("downgrade", v.down_transactional));
            text.push_str(&v.down);
            text.push('\n');
        }
        let path = PathBuf::from(format!("migrations/{id}_{}.sql", v.key));
        sources.insert(path.clone(), text.clone());
        match compile_marking_gaps(path, text, &config) {
            Ok(revision) => revisions.push(revision),
            Err(diagnostics) => errors.extend(diagnostics),
        }
        parent = id;
    }
    (revisions, errors, sources)
}

/// Compiles a file; a statement no parser here accepts gets the documented
/// way through, `-- migrate:unchecked -- <reason>`, as a user would write it
/// (only sqlparser is on unless the `pg-query` feature is).
fn compile_marking_gaps(
    path: PathBuf,
    mut text: String,
    config: &Config,
) -> Result<CompiledRevision, Vec<Diagnostic>> {
    for _ in 0..20 {
        let file = SourceFile {
            path: path.clone(),
            text: text.clone(),
        };
        let diagnostics = match compile_file(&file, config) {
            Ok(revision) => return Ok(revision),
            Err(diagnostics) => diagnostics,
        };
        let Some(at) = diagnostics
            .iter()
            .filter(|d| d.code == "sql-syntax")
            .filter_map(|d| d.labels.iter().map(|l| l.span.start).min())
            .min()
        else {
            return Err(diagnostics);
        };
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text.insert_str(
            line_start,
            "-- migrate:unchecked -- not parsed by sqlparser\n",
        );
    }
    let file = SourceFile { path, text };
    compile_file(&file, config)
}

struct History {
    name: &'static str,
    dialect: Dialect,
    versions: Vec<Version>,
}

fn histories() -> Vec<History> {
    let root = Path::new(CORPUS);
    vec![
        History {
            name: "crates.io (postgres)",
            dialect: Dialect::Postgres,
            versions: diesel(&root.join("crates-io/migrations")),
        },
        History {
            name: "docs.rs (postgres)",
            dialect: Dialect::Postgres,
            versions: sqlx(&root.join("docs-rs/migrations")),
        },
        History {
            name: "chirpstack (postgres)",
            dialect: Dialect::Postgres,
            versions: diesel(&root.join("chirpstack/migrations_postgres")),
        },
        History {
            name: "chirpstack (sqlite)",
            dialect: Dialect::Sqlite,
            versions: diesel(&root.join("chirpstack/migrations_sqlite")),
        },
        History {
            name: "kratos (postgres)",
            dialect: Dialect::Postgres,
            versions: popx(&root.join("kratos/migrations"), "postgres"),
        },
        History {
            name: "kratos (mysql)",
            dialect: Dialect::MySql,
            versions: popx(&root.join("kratos/migrations"), "mysql"),
        },
        History {
            name: "kratos (sqlite3)",
            dialect: Dialect::Sqlite,
            versions: popx(&root.join("kratos/migrations"), "sqlite3"),
        },
    ]
}

#[test]
fn lint_every_corpus_history() {
    if !Path::new(CORPUS).exists() {
        println!("skipped: {CORPUS} not found");
        return;
    }
    let samples: usize = std::env::var("LINT_CORPUS_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut table: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    let histories = histories();
    let mut summary = Vec::new();
    for (column, history) in histories.iter().enumerate() {
        let (revisions, compile_errors, sources) = compile(&history.versions, history.dialect);
        let config = Config {
            dialect: history.dialect,
            ..Config::default()
        };
        let findings = migrate_build::lint::check(&config, &revisions);
        summary.push(format!(
            "{}: {} versions, {} compiled, {} compile errors, {} findings",
            history.name,
            history.versions.len(),
            revisions.len(),
            compile_errors.len(),
            findings.len(),
        ));
        for d in &compile_errors {
            println!(
                "compile error: {}",
                render(std::slice::from_ref(d), &sources, Style::Plain)
            );
        }
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &findings {
            let counts = table
                .entry(d.code.as_str())
                .or_insert_with(|| vec![0; histories.len()]);
            counts[column] += 1;
            let n = shown.entry(d.code.as_str()).or_default();
            if *n < samples || (d.severity == Severity::Error && samples > 0) {
                *n += 1;
                println!(
                    "--- {}\n{}",
                    history.name,
                    render(std::slice::from_ref(d), &sources, Style::Plain)
                );
            }
        }
        // These histories ran in production: the model must not invent
        // missing or duplicate objects. kratos's early downs undo the *next*
        // version (SOURCE.md), so its per-revision errors are true ones.
        if !history.name.starts_with("kratos") {
            let model_errors: Vec<&Diagnostic> = findings
                .iter()
                .filter(|d| d.code == "unknown-object" || d.code == "duplicate-object")
                .collect();
            assert!(
                model_errors.is_empty(),
                "{}: {model_errors:#?}",
                history.name
            );
        }
        // Only the known-broken crates.io down (CONCURRENTLY in a transaction)
        // fails to compile.
        let unexpected: Vec<&Diagnostic> = compile_errors
            .iter()
            .filter(|d| d.code != "requires-no-transaction")
            .collect();
        assert!(unexpected.is_empty(), "{}: {unexpected:#?}", history.name);
    }
    println!("\n{}", summary.join("\n"));
    let names: Vec<&str> = histories.iter().map(|h| h.name).collect();
    let mut text = format!("| rule | {} |\n", names.join(" | "));
    text.push_str(&format!("|---|{}\n", "---:|".repeat(names.len())));
    for (code, counts) in &table {
        let cells: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
        text.push_str(&format!("| `{code}` | {} |\n", cells.join(" | ")));
    }
    println!("\n{text}");
    readme::assert_readme_holds("lint table", &text);
}
