//! The schema model and the lints over every real history in `shared/corpus/`,
//! as `cargo migrate import` converts them.
//!
//! Each history is read and converted by the importer itself
//! (`migrate_cli::cmd::import::{read_source, convert}` with
//! `--mark-unchecked`: a statement sqlparser rejects gets `-- migrate:unchecked
//! -- imported from <tool>`); each file it would write is then compiled with
//! the real `revision::compile_file` and the history linted with `lint::check`
//! at the default levels (the import stops linting at a file that does not
//! compile; this test lints the rest, so crates.io's other findings count).
//!
//! It asserts that nothing panics, that every file compiles but the
//! known-broken scripts listed in each SOURCE.md, that the importer's report
//! counts the same lint errors and warnings where the whole history compiles,
//! and that README.md holds the table of findings per rule per history as
//! printed; with `LINT_CORPUS_SAMPLES=n`, it prints the first n findings of
//! each rule. (How long linting takes is measured by the `compile` benchmark,
//! not here.)
//!
//! Run with `cargo test -p migrate-cli --test lint_corpus -- --nocapture`.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use migrate_build::config::{Config, Dialect};
use migrate_build::render::{render, Sources, Style};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{CompiledRevision, Diagnostic, Severity};
use migrate_cli::cmd::import::{convert, read_source, Conversion, Options, SourceTool};
use support::{corpus, readme};

struct History {
    name: &'static str,
    dir: &'static str,
    tool: SourceTool,
    dialect: Dialect,
}

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

const HISTORIES: [History; 7] = [
    History {
        name: "crates.io (postgres)",
        dir: "crates-io/migrations",
        tool: SourceTool::Diesel,
        dialect: Dialect::Postgres,
    },
    History {
        name: "docs.rs (postgres)",
        dir: "docs-rs/migrations",
        tool: SourceTool::Sqlx,
        dialect: Dialect::Postgres,
    },
    History {
        name: "chirpstack (postgres)",
        dir: "chirpstack/migrations_postgres",
        tool: SourceTool::Diesel,
        dialect: Dialect::Postgres,
    },
    History {
        name: "chirpstack (sqlite)",
        dir: "chirpstack/migrations_sqlite",
        tool: SourceTool::Diesel,
        dialect: Dialect::Sqlite,
    },
    History {
        name: "kratos (postgres)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::Postgres,
    },
    History {
        name: "kratos (mysql)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::MySql,
    },
    History {
        name: "kratos (sqlite3)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::Sqlite,
    },
];

fn config(dialect: Dialect) -> Config {
    Config {
        dialect,
        ..Config::default()
    }
}

/// The importer's conversion of `history` (`--mark-unchecked`).
fn import(history: &History) -> Conversion {
    let dir = corpus(history.dir).expect("the corpus was found");
    let (migrations, _) = read_source(history.tool, &dir, history.dialect)
        .unwrap_or_else(|e| panic!("{}: {e:#}", history.name));
    let options = Options {
        mark_unchecked: true,
        allow_imported_errors: false,
    };
    convert(history.tool, &migrations, &config(history.dialect), options)
        .unwrap_or_else(|e| panic!("{}: {e:#}", history.name))
}

/// Compiles each file the importer would write.
fn compile(
    conversion: &Conversion,
    dialect: Dialect,
) -> (Vec<CompiledRevision>, Vec<Diagnostic>, Sources) {
    let mut revisions = Vec::new();
    let mut errors = Vec::new();
    let mut sources = Sources::new();
    for file in &conversion.files {
        let path = PathBuf::from("migrations").join(&file.file_name);
        sources.insert(path.clone(), file.text.clone());
        let source = SourceFile {
            path,
            text: file.text.clone(),
        };
        match compile_file(&source, &config(dialect)) {
            Ok(revision) => revisions.push(revision),
            Err(diagnostics) => errors.extend(diagnostics),
        }
    }
    (revisions, errors, sources)
}

#[test]
fn lint_every_corpus_history() {
    if corpus("kratos").is_none() {
        return;
    }
    let samples: usize = std::env::var("LINT_CORPUS_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut table: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut summary = Vec::new();
    for (column, history) in HISTORIES.iter().enumerate() {
        let conversion = import(history);
        let (revisions, compile_errors, sources) = compile(&conversion, history.dialect);
        let findings = migrate_build::lint::check(&config(history.dialect), &revisions);
        summary.push(format!(
            "{}: {} versions, {} compiled, {} compile errors, {} findings",
            history.name,
            conversion.report.migrations_read,
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
        let mut errors: BTreeMap<String, usize> = BTreeMap::new();
        let mut warnings: BTreeMap<String, usize> = BTreeMap::new();
        for d in &findings {
            let counts = table
                .entry(d.code.to_string())
                .or_insert_with(|| vec![0; HISTORIES.len()]);
            counts[column] += 1;
            let by_severity = if d.severity == Severity::Error {
                &mut errors
            } else {
                &mut warnings
            };
            *by_severity.entry(d.code.to_string()).or_default() += 1;
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
        // The importer's report says the same where it lints (every file
        // compiled): each lint error listed, the warnings counted per rule.
        let report = &conversion.report;
        if compile_errors.is_empty() {
            let mut reported: BTreeMap<String, usize> = BTreeMap::new();
            for finding in &report.errors {
                *reported.entry(finding.code.clone()).or_default() += 1;
            }
            assert_eq!(reported, errors, "{}: the report's errors", history.name);
            assert_eq!(
                report.warnings, warnings,
                "{}: the report's warnings",
                history.name
            );
        } else {
            let reported: Vec<&str> = report.errors.iter().map(|f| f.code.as_str()).collect();
            let compiled: Vec<&str> = compile_errors
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.code.as_str())
                .collect();
            assert_eq!(reported, compiled, "{}: the report's errors", history.name);
        }
    }
    println!("\n{}", summary.join("\n"));
    let names: Vec<&str> = HISTORIES.iter().map(|h| h.name).collect();
    let mut text = format!("| rule | {} |\n", names.join(" | "));
    text.push_str(&format!("|---|{}\n", "---:|".repeat(names.len())));
    for (code, counts) in &table {
        let cells: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
        text.push_str(&format!("| `{code}` | {} |\n", cells.join(" | ")));
    }
    println!("\n{text}");
    readme::assert_readme_holds("lint table", &text);
}
