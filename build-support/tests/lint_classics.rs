//! Alembic users' classic mistakes, through the real pipeline
//! (`revision::compile_file` then `lint::check`), and the linter's speed on a
//! long history.

use std::path::PathBuf;
use std::time::Instant;

use migrate_build::config::{Config, Dialect};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{CompiledRevision, Diagnostic, Severity};

fn postgres() -> Config {
    Config {
        dialect: Dialect::Postgres,
        ..Config::default()
    }
}

fn file(id: &str, parent: &str, body: &str) -> SourceFile {
    SourceFile {
        path: PathBuf::from(format!("migrations/{id}_x.sql")),
        text: format!("-- revision: {id}\n-- down_revision: {parent}\n\n{body}"),
    }
}

fn history(bodies: &[&str]) -> Result<Vec<CompiledRevision>, Vec<Diagnostic>> {
    let mut parent = "none".to_string();
    let mut out = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let id = format!("a{i:03}");
        out.push(compile_file(&file(&id, &parent, body), &postgres())?);
        parent = id;
    }
    Ok(out)
}

const BASE: &str = "-- migrate:upgrade\nCREATE TABLE posts (id bigint PRIMARY KEY, title text);\nCREATE TABLE authors (id bigint PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE authors;\nDROP TABLE posts;\n";

fn codes(bodies: &[&str]) -> Vec<(&'static str, Severity)> {
    let revisions = history(bodies).expect("compiles");
    migrate_build::lint::check(&postgres(), &revisions)
        .into_iter()
        .map(|d| (d.code.as_str(), d.severity))
        .collect()
}

#[test]
fn blocking_create_index_on_an_existing_table_warns() {
    // `op.create_index("ix_posts_title", "posts", ["title"])`.
    let up = "-- migrate:upgrade\nCREATE INDEX ix_posts_title ON posts (title);\n-- migrate:downgrade\nDROP INDEX ix_posts_title;\n";
    assert_eq!(
        codes(&[BASE, up]),
        [("require-concurrent-index-creation", Severity::Warning)]
    );
}

#[test]
fn concurrently_inside_a_transaction_fails_the_build() {
    let up = "-- migrate:upgrade\nCREATE INDEX CONCURRENTLY ix_posts_title ON posts (title);\n-- migrate:downgrade\nDROP INDEX ix_posts_title;\n";
    let errors = history(&[BASE, up]).expect_err("a build error");
    assert_eq!(errors[0].code, "requires-no-transaction");
    assert_eq!(errors[0].severity, Severity::Error);
}

#[test]
fn drop_table_from_a_renamed_model_warns() {
    // The model `Author` became `Writer`; autogenerate emitted DROP + CREATE.
    let up = "-- migrate:upgrade\nDROP TABLE authors;\nCREATE TABLE writers (id bigint PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE writers;\nCREATE TABLE authors (id bigint PRIMARY KEY);\n";
    assert_eq!(codes(&[BASE, up]), [("ban-drop-table", Severity::Warning)]);
}

#[test]
fn a_downgrade_that_forgets_a_column_fails_naming_it() {
    let up = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN published_at timestamptz;\n-- migrate:downgrade\nSELECT 1;\n";
    let revisions = history(&[BASE, up]).expect("compiles");
    let findings = migrate_build::lint::check(&postgres(), &revisions);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(findings[0]
        .message
        .contains("column posts.published_at is still present after the downgrade"));
}

#[test]
fn ten_thousand_revisions_lint_without_findings() {
    let mut revisions = Vec::new();
    let mut parent = "none".to_string();
    for i in 0..10_000 {
        let id = format!("b{i:05}");
        let body = format!(
            "-- migrate:upgrade\nCREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX t{i}_name ON t{i} (name);\nALTER TABLE t{i} ADD COLUMN note text;\n-- migrate:downgrade\nDROP TABLE t{i};\n"
        );
        revisions.push(compile_file(&file(&id, &parent, &body), &postgres()).expect("compiles"));
        parent = id;
    }
    let started = Instant::now();
    let findings = migrate_build::lint::check(&postgres(), &revisions);
    let elapsed = started.elapsed();
    println!("lint of 10,000 revisions: {elapsed:?}");
    assert!(
        findings.is_empty(),
        "{:#?}",
        &findings[..findings.len().min(3)]
    );
    // How long it takes is the `compile` benchmark's business.
}
