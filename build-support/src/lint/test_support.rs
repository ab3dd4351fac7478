//! Builders for lint tests: revisions from text in our file format, run
//! through the real per-file pipeline ([`crate::revision::compile_file`]), so
//! spans, comments, sections and sqlparser trees are what a build sees.
//!
//! A test writes only the body of a file; [`file_text`] puts a two-line
//! header in front of it (`r1`, `r2`, ... chained in order).

use std::path::PathBuf;

use crate::config::Config;
use crate::render::{render, Sources, Style};
use crate::schema::Dialect;
use crate::source::SourceFile;
use crate::{CompiledRevision, Diagnostic};

use super::{check_with, Settings};

/// A PostgreSQL revision `r1` whose file body is `text`.
pub(crate) fn revision(text: &str) -> CompiledRevision {
    revision_in(0, text, Dialect::Postgres)
}

/// The display path of the revision at `index` (0-based).
fn file_name(index: usize) -> String {
    format!("migrations/r{}.sql", index + 1)
}

/// The whole file of the revision at `index`: its header, then `body`.
fn file_text(index: usize, body: &str) -> String {
    let parent = if index == 0 {
        "none".to_string()
    } else {
        format!("r{index}")
    };
    format!(
        "-- revision: r{}\n-- down_revision: {parent}\n{body}",
        index + 1
    )
}

/// The revision at `index` in `dialect`, compiled like a file of a
/// migrations directory. A body the compiler rejects fails the test with
/// the rendered errors: a lint test's input must be a valid revision.
fn revision_in(index: usize, body: &str, dialect: Dialect) -> CompiledRevision {
    let file = SourceFile {
        path: PathBuf::from(file_name(index)),
        text: file_text(index, body),
    };
    let config = Config {
        dialect,
        ..Config::default()
    };
    match crate::revision::compile_file(&file, &config) {
        Ok(revision) => revision,
        Err(diagnostics) => {
            let mut sources = Sources::new();
            sources.insert(file.path.display().to_string(), file.text.as_str());
            panic!(
                "the test revision does not compile:\n{}",
                render(&diagnostics, &sources, Style::Plain)
            )
        }
    }
}

/// Compiles revisions `r1`, `r2`, ... in that order.
fn revisions_in(dialect: Dialect, texts: &[&str]) -> Vec<CompiledRevision> {
    texts
        .iter()
        .enumerate()
        .map(|(index, text)| revision_in(index, text, dialect))
        .collect()
}

/// How many of `diagnostics` are `rule` findings on the last of `count` files.
fn count_on_last(diagnostics: &[Diagnostic], rule: &str, count: usize) -> usize {
    let last = file_name(count - 1);
    diagnostics
        .iter()
        .filter(|d| d.code == rule)
        .filter(|d| {
            d.labels
                .first()
                .is_some_and(|l| l.file.to_str() == Some(last.as_str()))
        })
        .count()
}

/// Lints PostgreSQL revisions with default settings.
pub(crate) fn lint(texts: &[&str]) -> Vec<Diagnostic> {
    lint_in(Dialect::Postgres, texts)
}

/// Lints revisions `r1`, `r2`, ... (in that order) in `dialect`.
pub(crate) fn lint_in(dialect: Dialect, texts: &[&str]) -> Vec<Diagnostic> {
    check_with(&Settings::new(dialect), &revisions_in(dialect, texts))
}

/// Renders the findings (plain) of PostgreSQL revisions, as the user sees them.
pub(crate) fn rendered(texts: &[&str]) -> String {
    rendered_in(Dialect::Postgres, texts)
}

/// The whole files of revisions `r1`, `r2`, ..., headers included, for
/// rendering their findings.
pub(crate) fn sources(texts: &[&str]) -> Sources {
    let mut sources = Sources::new();
    for (index, text) in texts.iter().enumerate() {
        sources.insert(file_name(index), file_text(index, text));
    }
    sources
}

/// Renders the findings of revisions in `dialect`.
pub(crate) fn rendered_in(dialect: Dialect, texts: &[&str]) -> String {
    render(&lint_in(dialect, texts), &sources(texts), Style::Plain)
}

/// How many findings of `rule` the last of `texts` gets (PostgreSQL).
pub(crate) fn hits(rule: &str, texts: &[&str]) -> usize {
    hits_in(Dialect::Postgres, rule, texts)
}

/// How many findings of `rule` the last of `texts` gets in `dialect`.
pub(crate) fn hits_in(dialect: Dialect, rule: &str, texts: &[&str]) -> usize {
    count_on_last(&lint_in(dialect, texts), rule, texts.len())
}

/// A first revision creating `t (id bigint primary key, c text, n integer)`
/// and the index `t_c_idx`, with its downgrade.
pub(crate) const SETUP: &str = "-- migrate:upgrade\n\
CREATE TABLE t (id bigint PRIMARY KEY, c text, n integer, v varchar(20));\n\
CREATE TABLE u (id bigint PRIMARY KEY);\n\
CREATE INDEX t_c_idx ON t (c);\n\
-- migrate:downgrade\n\
DROP TABLE u;\n\
DROP TABLE t;\n";

/// Like [`hits`], with `rule` switched on at warn (for the off-by-default rules).
pub(crate) fn hits_enabled(rule: &str, texts: &[&str]) -> usize {
    let dialect = Dialect::Postgres;
    let mut settings = Settings::new(dialect);
    let parsed = super::Rule::from_name(rule).expect("a known rule");
    settings.levels.insert(parsed, super::Level::Warn);
    let diagnostics = check_with(&settings, &revisions_in(dialect, texts));
    count_on_last(&diagnostics, rule, texts.len())
}
