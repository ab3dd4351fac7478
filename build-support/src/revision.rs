//! One file in, one [`CompiledRevision`] out: header, sections, statements,
//! parse, checksum, and the per-file rules.
//!
//! Every error of the file is collected, not just the first, so one build
//! shows everything to fix. The per-file rules enforced here:
//!
//! - header errors and the file name / id agreement ([`crate::header`]);
//! - SQL the parsers reject ([`crate::parse`]);
//! - `requires-no-transaction`: a statement PostgreSQL (or SQLite) refuses
//!   to run inside a transaction block in a transactional section. It is
//!   an error or nothing: `[lints] requires-no-transaction = "off"`,
//!   `-- migrate:allow requires-no-transaction -- <reason>` before the
//!   statement or `-- migrate:allow-file requires-no-transaction -- <reason>`
//!   turn it off (any other level keeps the error: the statement would fail
//!   at run time);
//! - `empty-upgrade`: no upgrade statement at all, except in a merge
//!   revision (two or more parents), where an empty upgrade is normal.

use std::ops::Range;

use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::codes::Code;
use crate::config::Config;
use crate::header::error_at;
use crate::source::SourceFile;
use crate::split::{self, Cursor, SectionKind};
use crate::{parse, CompiledRevision, CompiledSection, CompiledStatement, Diagnostic, Label};

/// The code of the "cannot run inside a transaction" error.
pub(crate) const REQUIRES_NO_TRANSACTION: &str = "requires-no-transaction";

/// Compiles one migration file.
pub fn compile_file(
    file: &SourceFile,
    config: &Config,
) -> Result<CompiledRevision, Vec<Diagnostic>> {
    match compile_file_whole(file, config) {
        (Some(revision), diagnostics) if diagnostics.is_empty() => Ok(revision),
        (_, diagnostics) => Err(diagnostics),
    }
}

/// Compiles one migration file, keeping the revision when its only errors
/// leave it whole (`requires-no-transaction`: every statement parsed), so
/// that the graph checks and the lints still run over it and every finding
/// is reported in one pass; the errors still fail the compile.
pub(crate) fn compile_file_whole(
    file: &SourceFile,
    config: &Config,
) -> (Option<CompiledRevision>, Vec<Diagnostic>) {
    let path = file.path.as_path();
    let text = file.text.as_str();
    let (header, mut diagnostics) = crate::header::parse(path, text);
    if diagnostics
        .iter()
        .any(|d| d.code == crate::header::CR_LINE_ENDINGS)
    {
        // Every later stage would only add confusion about a file it cannot
        // see the lines of.
        return (None, diagnostics);
    }
    let header_errors = diagnostics.len();
    let rule_on = config
        .lints
        .get(REQUIRES_NO_TRANSACTION)
        .is_none_or(|level| *level != crate::codes::Level::Off)
        && !allowed_in_file(text, REQUIRES_NO_TRANSACTION);
    // Each statement is checked and parsed while the splitter reads it, and
    // its tokens dropped: only one statement's tokens (a long statement's
    // last few thousand) are alive at once.
    let mut sink = Sink {
        file,
        text,
        dialect: config.dialect,
        rule_on,
        cursor: Cursor::new(text),
        parse: None,
        sections: Vec::new(),
        upgrade_statements: 0,
        parse_errors: Vec::new(),
        no_transaction: Vec::new(),
    };
    let split = split::split_file_with(
        path,
        text,
        header.end,
        header.end_line,
        config.dialect,
        &mut sink,
    );
    let Sink {
        sections: mut statements,
        mut parse_errors,
        mut no_transaction,
        upgrade_statements,
        ..
    } = sink;
    let split_failed = !split.diagnostics.is_empty();
    diagnostics.extend(split.diagnostics);
    if split.sections.is_empty() {
        // The file did not tokenize: what was parsed before the error is
        // not reported (it would only add noise to the real error).
        parse_errors.clear();
        no_transaction.clear();
    }
    diagnostics.append(&mut no_transaction);
    diagnostics.append(&mut parse_errors);

    let is_merge = header.down_revisions.len() > 1;
    statements.resize_with(split.sections.len(), Vec::new);
    let has_upgrade = upgrade_statements > 0;
    let mut upgrade = Vec::new();
    let mut downgrade = Vec::new();
    for (section, statements) in split.sections.into_iter().zip(statements) {
        let compiled = CompiledSection {
            transactional: section.transactional,
            marker: section.marker,
            line: section.line,
            statements,
        };
        match section.kind {
            SectionKind::Upgrade => upgrade.push(compiled),
            SectionKind::Downgrade => downgrade.push(compiled),
        }
    }

    if !split_failed && !is_merge && !has_upgrade {
        let span = upgrade
            .first()
            .map(|s| s.marker.clone())
            .or_else(|| header.spans.get("revision").cloned())
            .unwrap_or(0..0);
        let mut diagnostic = error_at(
            path,
            Code::EmptyUpgrade,
            format!(
                "revision `{}` has no upgrade statement",
                if header.id.is_empty() {
                    "?"
                } else {
                    &header.id
                }
            ),
            span,
            if upgrade.is_empty() {
                "no `-- migrate:upgrade` section in this file"
            } else {
                "this section is empty"
            },
        );
        diagnostic.help = Some(
            "add the statements after `-- migrate:upgrade`; only a merge revision (two or more parents) may have an empty upgrade"
                .to_string(),
        );
        diagnostics.push(diagnostic);
    }

    if !diagnostics.is_empty() {
        // The body's in file order, as a reader goes through it (the header's
        // stay first, in their own order: a typo before the missing key it
        // explains). The sort is stable: one place keeps its stage order.
        diagnostics[header_errors..].sort_by_key(|d| {
            d.labels
                .iter()
                .find(|l| l.primary)
                .map_or(0, |l| l.span.start)
        });
        let whole = diagnostics
            .iter()
            .all(|d| d.code == crate::codes::Rule::NoTransactionStatement.code());
        if !whole {
            return (None, diagnostics);
        }
    }
    let revision = CompiledRevision {
        file: file.path.clone(),
        source: file.text.clone(),
        id: header.id,
        down_revisions: header.down_revisions,
        depends_on: header.depends_on,
        branch_labels: header.branch_labels,
        message: header.message,
        create_date: header.create_date,
        upgrade,
        downgrade,
        checksum: split.checksum,
        header_spans: header.spans,
    };
    (Some(revision), diagnostics)
}

/// What the splitter hands each statement to: the `requires-no-transaction`
/// check on its first tokens, then the parse as its tokens come.
struct Sink<'a> {
    file: &'a SourceFile,
    text: &'a str,
    dialect: crate::config::Dialect,
    rule_on: bool,
    cursor: Cursor<'a>,
    /// The parse of the statement being read, once it has offered tokens.
    parse: Option<parse::Incremental>,
    /// The statements of each section, by section index.
    sections: Vec<Vec<CompiledStatement>>,
    /// Statements seen in upgrade sections, those that did not parse too.
    upgrade_statements: usize,
    parse_errors: Vec<Diagnostic>,
    no_transaction: Vec<Diagnostic>,
}

impl Sink<'_> {
    /// `requires-no-transaction`, on the statement's first tokens.
    fn check_no_transaction(&mut self, statement: &split::Statement, section: &split::Section) {
        if section.transactional
            && self.rule_on
            && !allowed_before(
                self.text,
                &statement.leading_comments,
                REQUIRES_NO_TRANSACTION,
            )
        {
            if let Some((what, at)) = needs_no_transaction(&statement.tokens) {
                let span = self.cursor.range_of(&statement.tokens[at]);
                self.no_transaction.push(no_transaction_error(
                    self.file,
                    what,
                    span,
                    section.marker.clone(),
                    section.kind,
                ));
            }
        }
    }
}

impl split::StatementSink for Sink<'_> {
    fn tokens(&mut self, statement: &mut split::Statement, section: &split::Section) {
        let parse = match &mut self.parse {
            Some(parse) => parse,
            None => {
                self.check_no_transaction(statement, section);
                self.parse
                    .insert(parse::Incremental::new(statement, self.dialect))
            }
        };
        parse.extend(statement.tokens.drain(..));
    }

    fn end(&mut self, mut statement: split::Statement, section: &split::Section, index: usize) {
        let parse = match self.parse.take() {
            Some(parse) => parse,
            None => {
                self.check_no_transaction(&statement, section);
                parse::Incremental::new(&statement, self.dialect)
            }
        };
        if section.kind == SectionKind::Upgrade {
            self.upgrade_statements += 1;
        }
        let mut parse = parse;
        parse.extend(std::mem::take(&mut statement.tokens));
        match parse.finish(&self.file.path, self.text, &statement) {
            Ok(parsed) => {
                if self.sections.len() <= index {
                    self.sections.resize_with(index + 1, Vec::new);
                }
                self.sections[index].push(CompiledStatement {
                    span: statement.span,
                    line: statement.line,
                    column: statement.column,
                    leading_comments: statement.leading_comments,
                    ast: parsed.ast,
                    checked_by: parsed.checked_by,
                });
            }
            Err(diagnostic) => self.parse_errors.push(diagnostic),
        }
    }
}

/// `-- migrate:allow <rule>` among the comments before a statement.
fn allowed_before(text: &str, comments: &[Range<usize>], rule: &str) -> bool {
    comments.iter().any(|range| {
        text.get(range.clone())
            .is_some_and(|comment| crate::directive::allows(comment, rule, false))
    })
}

/// `-- migrate:allow-file <rule>` on a line of its own anywhere in the file.
fn allowed_in_file(text: &str, rule: &str) -> bool {
    crate::directive::allows(text, rule, true)
}

/// What kind of statement cannot run in a transaction block, and the index
/// of the token to point at. Decided on the leading keywords, so it works
/// as well for statements only PostgreSQL's parser accepts (REINDEX
/// CONCURRENTLY) or that are marked unchecked.
pub(crate) fn needs_no_transaction(tokens: &[TokenWithSpan]) -> Option<(&'static str, usize)> {
    let words: Vec<(usize, &str)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.token {
            Token::Whitespace(_) => None,
            Token::Word(word) if word.quote_style.is_none() => Some((i, word.value.as_str())),
            _ => Some((i, "")),
        })
        .take(16)
        .collect();
    let is = |at: usize, keyword: &str| {
        words
            .get(at)
            .is_some_and(|(_, w)| w.eq_ignore_ascii_case(keyword))
    };
    let find = |keyword: &str| {
        words
            .iter()
            .find(|(_, w)| w.eq_ignore_ascii_case(keyword))
            .map(|(i, _)| *i)
    };
    let first = words.first().map(|(i, _)| *i)?;
    if is(0, "CREATE") {
        let index_at = if is(1, "UNIQUE") { 2 } else { 1 };
        if is(index_at, "INDEX") && is(index_at + 1, "CONCURRENTLY") {
            return Some(("CREATE INDEX CONCURRENTLY", words[index_at + 1].0));
        }
        if is(1, "DATABASE") {
            return Some(("CREATE DATABASE", first));
        }
        if is(1, "TABLESPACE") {
            return Some(("CREATE TABLESPACE", first));
        }
    }
    if is(0, "DROP") {
        if is(1, "INDEX") && is(2, "CONCURRENTLY") {
            return Some(("DROP INDEX CONCURRENTLY", words[2].0));
        }
        if is(1, "DATABASE") {
            return Some(("DROP DATABASE", first));
        }
        if is(1, "TABLESPACE") {
            return Some(("DROP TABLESPACE", first));
        }
    }
    if is(0, "REINDEX") {
        if let Some(at) = find("CONCURRENTLY") {
            return Some(("REINDEX CONCURRENTLY", at));
        }
    }
    if is(0, "VACUUM") {
        return Some(("VACUUM", first));
    }
    if is(0, "ALTER") && is(1, "SYSTEM") {
        return Some(("ALTER SYSTEM", first));
    }
    if is(0, "ALTER") && is(1, "TABLE") {
        if let (Some(_), Some(at)) = (find("DETACH"), find("CONCURRENTLY")) {
            return Some(("ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY", at));
        }
    }
    None
}

fn no_transaction_error(
    file: &SourceFile,
    what: &str,
    span: Range<usize>,
    marker: Range<usize>,
    kind: SectionKind,
) -> Diagnostic {
    let mut diagnostic = error_at(
        &file.path,
        crate::codes::Rule::NoTransactionStatement.code(),
        format!("{what} cannot run inside a transaction"),
        span,
        "fails inside a transaction block",
    );
    diagnostic.labels.push(Label {
        file: file.path.clone(),
        span: marker,
        message: "this section runs in a transaction".to_string(),
        primary: false,
    });
    let marker_text = match kind {
        SectionKind::Upgrade => "-- migrate:upgrade transaction:false",
        SectionKind::Downgrade => "-- migrate:downgrade transaction:false",
    };
    diagnostic.help = Some(format!(
        "move the statement to a `{marker_text}` section (its own section, so the other statements keep their transaction)"
    ));
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Dialect;
    use crate::CheckedBy;
    use std::path::PathBuf;

    fn compile(
        dialect: Dialect,
        name: &str,
        text: &str,
    ) -> Result<CompiledRevision, Vec<Diagnostic>> {
        let config = Config {
            dialect,
            ..Config::default()
        };
        compile_file(
            &SourceFile {
                path: PathBuf::from(format!("migrations/{name}")),
                text: text.to_string(),
            },
            &config,
        )
    }

    /// The error codes, each with the text under its primary label.
    #[track_caller]
    fn check_err(dialect: Dialect, text: &str, expect: &[(&str, &str)]) {
        let diagnostics = compile(dialect, "abc_x.sql", text).expect_err("errors");
        let got: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.code.as_str(), &text[d.labels[0].span.clone()]))
            .collect();
        assert_eq!(got, expect, "{diagnostics:#?}");
    }

    const HEAD: &str = "-- revision: abc\n-- down_revision: none\n";

    #[test]
    fn compiles_a_file() {
        let text = format!(
            "{HEAD}-- message: first\n\n-- migrate:upgrade\nCREATE TABLE t (x int);\n-- migrate:upgrade transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- migrate:downgrade\nDROP TABLE t;\n"
        );
        let revision = compile(Dialect::Postgres, "abc_first.sql", &text).expect("compiles");
        assert_eq!(revision.id, "abc");
        assert!(revision.down_revisions.is_empty());
        assert_eq!(revision.message, "first");
        assert_eq!(revision.upgrade.len(), 2);
        assert!(!revision.upgrade[1].transactional);
        assert_eq!(revision.upgrade[1].line, 7);
        let statement = &revision.upgrade[1].statements[0];
        assert_eq!(
            &text[statement.span.clone()],
            "CREATE INDEX CONCURRENTLY i ON t (x)"
        );
        assert_eq!((statement.line, statement.column), (8, 1));
        assert_eq!(statement.checked_by, CheckedBy::Sqlparser);
        assert!(statement.ast.is_some());
        assert_eq!(revision.downgrade[0].statements.len(), 1);
        assert_eq!(&text[revision.header_spans["message"].clone()], "first");
    }

    #[test]
    fn no_transaction_statements() {
        let cases = [
            ("CREATE INDEX CONCURRENTLY i ON t (x)", "CONCURRENTLY"),
            (
                "create unique index concurrently i on t (x)",
                "concurrently",
            ),
            ("DROP INDEX CONCURRENTLY IF EXISTS i", "CONCURRENTLY"),
            ("VACUUM ANALYZE t", "VACUUM"),
            ("CREATE DATABASE d", "CREATE"),
            ("DROP DATABASE d", "DROP"),
            ("ALTER SYSTEM SET work_mem = '1MB'", "ALTER"),
        ];
        for (sql, at) in cases {
            let text = format!("{HEAD}-- migrate:upgrade\n-- migrate:unchecked -- test\n{sql};\n");
            check_err(Dialect::Postgres, &text, &[(REQUIRES_NO_TRANSACTION, at)]);
            let ok = format!("{HEAD}-- migrate:upgrade transaction:false\n-- migrate:unchecked -- test\n{sql};\n");
            assert!(
                compile(Dialect::Postgres, "abc_x.sql", &ok).is_ok(),
                "{sql}"
            );
        }
        let text = format!("{HEAD}-- migrate:upgrade\nSELECT 1;\n-- migrate:downgrade\n-- migrate:unchecked -- pg only\nREINDEX TABLE CONCURRENTLY t;\n");
        let diagnostics = compile(Dialect::Postgres, "abc_x.sql", &text).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, REQUIRES_NO_TRANSACTION);
        assert!(diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("-- migrate:downgrade transaction:false"));
        assert_eq!(
            &text[diagnostics[0].labels[1].span.clone()],
            "-- migrate:downgrade"
        );
        // Allowed, inline, for the file, or by level.
        let sql = "-- migrate:unchecked -- test\nVACUUM t;\n";
        for allowed in [
            format!("{HEAD}-- migrate:upgrade\n-- migrate:allow ban-drop-table, requires-no-transaction -- runs alone\n{sql}"),
            format!("{HEAD}-- migrate:allow-file requires-no-transaction -- a maintenance revision\n-- migrate:upgrade\n{sql}"),
        ] {
            assert!(compile(Dialect::Postgres, "abc_x.sql", &allowed).is_ok(), "{allowed}");
        }
        let mut config = Config {
            dialect: Dialect::Postgres,
            ..Config::default()
        };
        config.lints.insert(
            REQUIRES_NO_TRANSACTION.to_string(),
            crate::codes::Level::Off,
        );
        let source = SourceFile {
            path: PathBuf::from("migrations/abc_x.sql"),
            text: format!("{HEAD}-- migrate:upgrade\n{sql}"),
        };
        assert!(compile_file(&source, &config).is_ok());
        config.lints.insert(
            REQUIRES_NO_TRANSACTION.to_string(),
            crate::codes::Level::Warn,
        );
        let diagnostics = compile_file(&source, &config).unwrap_err();
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, REQUIRES_NO_TRANSACTION);
        // Not these.
        for sql in [
            "CREATE INDEX i ON t (x)",
            "SELECT 'VACUUM'",
            "CREATE TABLE concurrently (x int)",
        ] {
            let text = format!("{HEAD}-- migrate:upgrade\n{sql};\n");
            assert!(
                compile(Dialect::Postgres, "abc_x.sql", &text).is_ok(),
                "{sql}"
            );
        }
    }

    #[test]
    fn empty_upgrade() {
        check_err(
            Dialect::Generic,
            &format!("{HEAD}-- migrate:upgrade\n-- nothing\n-- migrate:downgrade\nDROP TABLE t;\n"),
            &[("empty-upgrade", "-- migrate:upgrade")],
        );
        check_err(Dialect::Generic, HEAD, &[("empty-upgrade", "abc")]);
        let merge = "-- revision: abc\n-- down_revision: p1, p2\n-- migrate:upgrade\n";
        let revision = compile(Dialect::Generic, "abc_merge.sql", merge).expect("merge compiles");
        assert_eq!(revision.down_revisions, ["p1", "p2"]);
    }

    #[test]
    fn syntax_errors_point_at_the_token() {
        let text = format!("{HEAD}-- migrate:upgrade\nCREATE TABLE t (x int);\nCREATE TABLE u (y int,, z int);\nSELEKT 1;\n");
        let diagnostics = compile(Dialect::Generic, "abc_x.sql", &text).unwrap_err();
        let got: Vec<_> = diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.as_str(),
                    &text[d.labels[0].span.clone()],
                    d.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "sql-syntax",
                    ",",
                    "generic SQL syntax error in the statement at line 5, column 1"
                ),
                (
                    "sql-syntax",
                    "SELEKT",
                    "generic SQL syntax error in the statement at line 6, column 1"
                ),
            ]
        );
        assert!(
            diagnostics[0].notes[0].starts_with("sqlparser: Expected"),
            "{:?}",
            diagnostics[0].notes
        );
        assert!(diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("-- migrate:unchecked -- <reason>"));
    }

    #[test]
    fn missing_semicolon_is_a_syntax_error() {
        let text = format!("{HEAD}-- migrate:upgrade\nDROP TABLE a\nDROP TABLE b;\n");
        let diagnostics = compile(Dialect::Postgres, "abc_x.sql", &text).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(&text[diagnostics[0].labels[0].span.clone()], "DROP");
        assert!(diagnostics[0]
            .notes
            .iter()
            .any(|n| n.contains("`;` of the previous one missing")));
        assert_eq!(
            diagnostics[0].labels[0].span.start,
            text.rfind("DROP").unwrap_or(0)
        );
    }

    #[test]
    fn unchecked_is_not_parsed() {
        let text = format!("{HEAD}-- migrate:upgrade\n-- migrate:unchecked -- not SQL any parser knows\nFROBNICATE ALL THE THINGS;\n");
        let revision = compile(Dialect::Sqlite, "abc_x.sql", &text).expect("compiles");
        let statement = &revision.upgrade[0].statements[0];
        assert_eq!(statement.checked_by, CheckedBy::Unchecked);
        assert!(statement.ast.is_none());
    }

    #[test]
    fn every_error_of_the_file() {
        let text = "-- revision: abd\n-- down_revison: none\n-- migrate:upgrade\nSELEKT 1;\n";
        check_err(
            Dialect::Generic,
            text,
            &[
                ("header-unknown-key", "down_revison"),
                ("header-missing-key", "-- revision: abd"),
                ("file-name-mismatch", "abd"),
                ("sql-syntax", "SELEKT"),
            ],
        );
    }

    #[test]
    fn postgres_only_statements() {
        let text = format!(
            "{HEAD}-- migrate:upgrade\nCREATE TABLE t (x int);\nDO $$ BEGIN PERFORM 1; END $$;\n"
        );
        let result = compile(Dialect::Postgres, "abc_x.sql", &text);
        if parse::PG_QUERY_ENABLED {
            let revision = result.expect("pg_query accepts DO");
            let statement = &revision.upgrade[0].statements[1];
            assert_eq!(statement.checked_by, CheckedBy::PgQuery);
            assert!(statement.ast.is_none());
        } else {
            let diagnostics = result.unwrap_err();
            assert_eq!(diagnostics.len(), 1);
            assert!(diagnostics[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("features = [\"pg-query\"]"));
        }
        // Rejected by both: both messages are shown.
        let text = format!("{HEAD}-- migrate:upgrade\nCREATE TABEL t (x int);\n");
        let diagnostics = compile(Dialect::Postgres, "abc_x.sql", &text).unwrap_err();
        assert_eq!(diagnostics[0].code, "sql-syntax");
        assert_eq!(
            diagnostics[0]
                .notes
                .iter()
                .any(|n| n.starts_with("PostgreSQL 18 (pg_query): syntax error")),
            parse::PG_QUERY_ENABLED,
            "{:?}",
            diagnostics[0].notes
        );
    }
}

#[cfg(test)]
mod rendered {
    use super::*;
    use crate::config::Dialect;
    use crate::render::{render, Sources, Style};
    use std::path::PathBuf;

    /// What the user sees for every kind of per-file error at once.
    #[test]
    fn every_per_file_error_rendered() {
        let text = "-- revision: abc\n-- down_revison: none\n-- migrate:upgrade\nCREATE TABLE t (\n  x int,,\n  y int\n);\nCREATE INDEX CONCURRENTLY i ON t (x);\nDROP TABLE a\nDROP TABLE b;\n-- migrate:unchecked\nSELECT 1;\n-- migrate:downgrade transaction:flase\nDROP TABLE t\n";
        let file = SourceFile {
            path: PathBuf::from("migrations/abd_x.sql"),
            text: text.to_string(),
        };
        let config = Config {
            dialect: Dialect::Postgres,
            ..Config::default()
        };
        let diagnostics = compile_file(&file, &config).expect_err("errors");
        let mut sources = Sources::new();
        sources.insert(file.path.clone(), text);
        let shown = render(&diagnostics, &sources, Style::Plain);
        // The notes and help differ with the feature; the snapshot is the
        // default build's.
        if parse::PG_QUERY_ENABLED {
            return;
        }
        insta::assert_snapshot!(shown);
    }
}
