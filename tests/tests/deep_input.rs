//! Statements of any depth (issue 8, item 11): `SELECT 1 + 1 + ...` with
//! 100,000 terms, 100,000 casts, and 100,000 levels of parentheses,
//! subqueries and `CASE` once overflowed the stack of every verb and of
//! rustc. They are accepted, not analysed, with a `statement-too-deep`
//! warning naming the file and line: through the compiler's API here, and
//! through `embed_migrations!` (watched and unwatched) in a real crate build.

use std::path::Path;
use std::process::Command;

use migrate_build::{compile, Options};
use migrate_tests::fixture_crate::{binary, cargo_build, fixture_crate, WATCH_MIGRATIONS};

/// The deep statements, one per kind, `n` levels each.
fn deep_statements(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("chain", format!("SELECT 1{}", " + 1".repeat(n))),
        ("casts", format!("SELECT 1{}", "::int".repeat(n))),
        (
            "parens",
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "subqueries",
            format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n)),
        ),
        (
            "case",
            format!(
                "SELECT {}1{}",
                "CASE WHEN true THEN ".repeat(n),
                " END".repeat(n)
            ),
        ),
    ]
}

/// Writes one revision per statement, chained, into `dir`; returns the
/// file names in order.
fn write_history(dir: &Path, statements: &[(&str, String)]) -> Vec<String> {
    std::fs::create_dir_all(dir).expect("create dir");
    let mut parent = "none".to_string();
    let mut names = Vec::new();
    for (index, (kind, sql)) in statements.iter().enumerate() {
        let id = format!("dd{:010}", index + 1);
        let name = format!("{id}_{kind}.sql");
        let text = format!(
            "-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\nCREATE TABLE t{index} (x bigint);\n{sql};\n\n-- migrate:downgrade\nDROP TABLE t{index};\n"
        );
        std::fs::write(dir.join(&name), text).expect("write");
        names.push(name);
        parent = id;
    }
    names
}

#[track_caller]
fn assert_warned(warnings: &[migrate_build::Diagnostic], names: &[String]) {
    for name in names {
        let warned = warnings.iter().any(|w| {
            w.code == "statement-too-deep"
                && w.message.contains("at line 6")
                && w.labels
                    .iter()
                    .any(|l| l.file == Path::new("migrations").join(name))
        });
        assert!(warned, "no warning for {name}: {warnings:#?}");
    }
}

#[test]
fn the_compiler_accepts_100_000_levels_of_each_kind_with_a_warning() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    let names = write_history(&dir, &deep_statements(100_000));
    let compiled = compile(&dir, &Options::new().display_dir("migrations"))
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(compiled.revisions.len(), 5);
    assert_warned(&compiled.warnings, &names);
    // The statements are embedded byte for byte.
    let chain = &compiled.revisions[0];
    let statement = &chain.upgrade[0].statements[1];
    assert_eq!(
        chain.source[statement.span.clone()],
        deep_statements(100_000)[0].1
    );
}

#[test]
fn the_compiler_accepts_a_million_terms() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    let million = vec![
        ("chain", format!("SELECT 1{}", " + 1".repeat(1_000_000))),
        ("casts", format!("SELECT 1{}", "::int".repeat(1_000_000))),
    ];
    let names = write_history(&dir, &million);
    let compiled = compile(&dir, &Options::new().display_dir("migrations"))
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_warned(&compiled.warnings, &names);
}

#[test]
fn embed_migrations_builds_a_crate_with_deep_statements() {
    let crate_dir = fixture_crate(
        "deep-fixture",
        WATCH_MIGRATIONS,
        "static WATCHED: migrate_runtime::Plan = migrate_runtime::embed_migrations!(\"migrations\");\n\
         static UNWATCHED: migrate_runtime::Plan = migrate_runtime::embed_migrations!(\"migrations\", unwatched);\n\n\
         fn main() {\n    for plan in [&WATCHED, &UNWATCHED] {\n        \
         let sizes: Vec<usize> = plan.revisions().iter().map(|r| r.upgrade()[0].statements()[1].sql().len()).collect();\n        \
         println!(\"{:?}\", sizes);\n    }\n}\n",
    );
    let dir = crate_dir.path();
    let statements = deep_statements(100_000);
    write_history(&dir.join("migrations"), &statements);

    let output = cargo_build(dir, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo build failed:\n{stderr}");
    // The build script's warnings name each file and line.
    assert!(
        stderr.contains("migrations/dd0000000001_chain.sql:6:")
            && stderr.contains("warning[statement-too-deep]"),
        "{stderr}"
    );
    let run = Command::new(binary("deep-fixture"))
        .output()
        .expect("run the fixture");
    assert!(run.status.success());
    let sizes: Vec<usize> = statements.iter().map(|(_, sql)| sql.len()).collect();
    let expected = format!("{sizes:?}\n{sizes:?}\n");
    assert_eq!(String::from_utf8_lossy(&run.stdout), expected);
}
