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
use std::path::{Path, PathBuf};

use migrate_build::config::{Config, Dialect};
use migrate_build::render::{render, Sources, Style};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{CompiledRevision, Diagnostic, Severity};

#[path = "support/corpus_versions.rs"]
mod corpus_versions;
use corpus_versions::{diesel, only_comments, popx, sqlx, Version, CORPUS};

/// Model errors in a history that ran in production which are true all
/// the same: a downgrade the server refuses (each checked on the server by
/// `tests/tests/schema_fidelity.rs`), by history and a fragment of the
/// message, with the reason.
const TRUE_MODEL_ERRORS: &[(&str, &str, &str)] = &[(
    "crates.io (postgres)",
    "constraint versions_crate_id_num_no_build_uindex on table versions does not exist",
    "the downgrade of 2024-10-25-112826_make-unique-version-unique drops the unique index its \
     upgrade made with DROP CONSTRAINT, which PostgreSQL refuses: it is an index, not a constraint",
)];

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
                .filter(|d| {
                    !TRUE_MODEL_ERRORS
                        .iter()
                        .any(|(h, fragment, _)| *h == history.name && d.message.contains(fragment))
                })
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
