//! Builders for lint tests: a revision from text in our file format, split and
//! parsed with real spans, comments and sqlparser trees.

use std::path::PathBuf;

use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::render::{render, Sources, Style};
use crate::schema::Dialect;
use crate::{CheckedBy, CompiledRevision, CompiledSection, CompiledStatement, Diagnostic};

use super::{check_with, Settings};

/// A PostgreSQL revision `r1` whose file text is `text`.
pub(crate) fn revision(text: &str) -> CompiledRevision {
    revision_in("r1", text, Dialect::Postgres)
}

/// A revision `id` in `dialect`. Sections start at `-- migrate:upgrade` /
/// `-- migrate:downgrade` lines (with `transaction:false` when written).
pub(crate) fn revision_in(id: &str, text: &str, dialect: Dialect) -> CompiledRevision {
    let mut upgrade: Vec<CompiledSection> = Vec::new();
    let mut downgrade: Vec<CompiledSection> = Vec::new();
    let mut current: Option<(bool, CompiledSection)> = None;
    let mut offset = 0;
    let mut markers = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("-- migrate:") {
            let kind = rest.split_whitespace().next().unwrap_or("");
            if kind == "upgrade" || kind == "downgrade" {
                markers.push((
                    offset,
                    offset + trimmed.len(),
                    n as u32 + 1,
                    kind == "upgrade",
                    !rest.contains("transaction:false"),
                ));
            }
        }
        offset += line.len();
    }
    for (i, &(start, end, line, is_up, transactional)) in markers.iter().enumerate() {
        let body_end = markers.get(i + 1).map_or(text.len(), |m| m.0);
        let section = CompiledSection {
            transactional,
            marker: start..end,
            line,
            statements: split(text, end, body_end, dialect),
        };
        if let Some((up, s)) = current.take() {
            if up {
                upgrade.push(s)
            } else {
                downgrade.push(s)
            }
        }
        current = Some((is_up, section));
    }
    if let Some((up, s)) = current.take() {
        if up {
            upgrade.push(s)
        } else {
            downgrade.push(s)
        }
    }
    CompiledRevision {
        file: PathBuf::from(format!("migrations/{id}.sql")),
        source: text.to_string(),
        id: id.to_string(),
        down_revisions: Vec::new(),
        depends_on: Vec::new(),
        branch_labels: Vec::new(),
        message: String::new(),
        create_date: String::new(),
        upgrade,
        downgrade,
        checksum: [0; 32],
        header_spans: Default::default(),
    }
}

/// Splits `text[from..to]` on top-level `;`, keeping comments and spans.
fn split(text: &str, from: usize, to: usize, dialect: Dialect) -> Vec<CompiledStatement> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut comments = Vec::new();
    let mut i = from;
    let mut start: Option<usize> = None;
    while i < to {
        let c = bytes[i];
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            let end = text[i..to].find('\n').map_or(to, |n| i + n);
            if start.is_none() {
                comments.push(i..end);
            }
            i = end;
            continue;
        }
        if c == b'\'' || c == b'"' {
            let close = text[i + 1..to]
                .find(c as char)
                .map_or(to, |n| i + 1 + n + 1);
            start.get_or_insert(i);
            i = close;
            continue;
        }
        if c == b'$' && bytes.get(i + 1) == Some(&b'$') {
            let close = text[i + 2..to].find("$$").map_or(to, |n| i + 2 + n + 2);
            start.get_or_insert(i);
            i = close;
            continue;
        }
        if c == b';' {
            if let Some(s) = start.take() {
                out.push(statement(
                    text,
                    s..i,
                    std::mem::take(&mut comments),
                    dialect,
                ));
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_whitespace() {
            start.get_or_insert(i);
        }
        i += 1;
    }
    if let Some(s) = start {
        let end = text[s..to].trim_end().len() + s;
        out.push(statement(text, s..end, comments, dialect));
    }
    out
}

fn statement(
    text: &str,
    span: std::ops::Range<usize>,
    leading_comments: Vec<std::ops::Range<usize>>,
    dialect: Dialect,
) -> CompiledStatement {
    let sql = &text[span.clone()];
    let parsed = match dialect {
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
        Dialect::Mysql => Parser::parse_sql(&MySqlDialect {}, sql),
        Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, sql),
        Dialect::Generic => Parser::parse_sql(&GenericDialect {}, sql),
    };
    let unchecked = leading_comments
        .iter()
        .any(|r| text[r.clone()].contains("migrate:unchecked"));
    let ast = parsed
        .ok()
        .and_then(|mut v| (v.len() == 1).then(|| v.remove(0)));
    let checked_by = match (&ast, unchecked) {
        (_, true) => CheckedBy::Unchecked,
        (Some(_), false) => CheckedBy::Sqlparser,
        (None, false) => CheckedBy::PgQuery,
    };
    let before = &text[..span.start];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    CompiledStatement {
        span,
        line,
        column,
        leading_comments,
        ast: if unchecked { None } else { ast },
        checked_by,
    }
}

/// Lints PostgreSQL revisions with default settings.
pub(crate) fn lint(texts: &[&str]) -> Vec<Diagnostic> {
    lint_in(Dialect::Postgres, texts)
}

/// Lints revisions `r1`, `r2`, ... (in that order) in `dialect`.
pub(crate) fn lint_in(dialect: Dialect, texts: &[&str]) -> Vec<Diagnostic> {
    let revisions: Vec<CompiledRevision> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| revision_in(&format!("r{}", i + 1), t, dialect))
        .collect();
    check_with(&Settings::new(dialect), &revisions)
}

/// Renders the findings (plain) of PostgreSQL revisions, as the user sees them.
pub(crate) fn rendered(texts: &[&str]) -> String {
    rendered_in(Dialect::Postgres, texts)
}

/// Renders the findings of revisions in `dialect`.
pub(crate) fn rendered_in(dialect: Dialect, texts: &[&str]) -> String {
    let mut sources = Sources::new();
    for (i, t) in texts.iter().enumerate() {
        sources.insert(format!("migrations/r{}.sql", i + 1), *t);
    }
    render(&lint_in(dialect, texts), &sources, Style::Plain)
}

/// How many findings of `rule` the last of `texts` gets (PostgreSQL).
pub(crate) fn hits(rule: &str, texts: &[&str]) -> usize {
    hits_in(Dialect::Postgres, rule, texts)
}

/// How many findings of `rule` the last of `texts` gets in `dialect`.
pub(crate) fn hits_in(dialect: Dialect, rule: &str, texts: &[&str]) -> usize {
    let last = format!("migrations/r{}.sql", texts.len());
    lint_in(dialect, texts)
        .iter()
        .filter(|d| d.code == rule)
        .filter(|d| {
            d.labels
                .first()
                .is_some_and(|l| l.file.to_str() == Some(last.as_str()))
        })
        .count()
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
    let revisions: Vec<CompiledRevision> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| revision_in(&format!("r{}", i + 1), t, dialect))
        .collect();
    let mut settings = Settings::new(dialect);
    let parsed = super::Rule::from_name(rule).expect("a known rule");
    settings.levels.insert(parsed, super::Level::Warn);
    let last = format!("migrations/r{}.sql", texts.len());
    check_with(&settings, &revisions)
        .iter()
        .filter(|d| d.code == rule)
        .filter(|d| {
            d.labels
                .first()
                .is_some_and(|l| l.file.to_str() == Some(last.as_str()))
        })
        .count()
}
