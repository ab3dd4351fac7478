//! Arbitrary file contents through the header parser, the splitter, the
//! parsers and `compile_file`: never a panic, never a hang (each case runs
//! under a timeout), and every byte range reported is inside the text and
//! on character boundaries, so renderers and the macro can slice with it;
//! the renderer shows every diagnostic without panicking.

use std::ops::Range;
use std::path::{Path, PathBuf};

use migrate_build::config::{Config, Dialect};
use migrate_build::render::{render, Sources, Style};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{header, split, Diagnostic};
use proptest::prelude::*;

const DIALECTS: [Dialect; 4] = [
    Dialect::Generic,
    Dialect::Postgres,
    Dialect::Sqlite,
    Dialect::MySql,
];

/// Pieces that exercise every state of the header parser and the splitter
/// (quotes, dollar quotes, comments, bodies, directives), mixed with
/// arbitrary text.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "-- revision: abc\n",
            "-- down_revision: none\n",
            "-- down_revision: a, b\n",
            "-- depends_on: x@y\n",
            "-- branch_labels: ,\n",
            "-- revison: x\n",
            "-- migrate:upgrade\n",
            "-- migrate:downgrade transaction:false\n",
            "-- migrate:upgrade transaction:flase\n",
            "-- migrate:unchecked -- reason\n",
            "-- migrate:unchecked\n",
            "-- migrate:allow rule\n",
            "-- migrate:bogus\n",
            "CREATE TABLE t (x int);\n",
            "CREATE INDEX CONCURRENTLY i ON t (x);\n",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN ",
            "CREATE PROCEDURE p() BEGIN ",
            "DO $$ BEGIN NULL; END $$;",
            "SELECT 1",
            "$$",
            "$tag$",
            "'",
            "\"",
            "`",
            "E'\\''",
            "/*",
            "*/",
            "/*!50001 CREATE TABLE x (y int) */",
            "/*!",
            "--",
            "#",
            ";",
            "(",
            ")",
            "BEGIN",
            "END",
            "END IF",
            "CASE",
            "DELIMITER $$\n",
            "\n",
            "\r\n",
            "\r",
            " ",
            "é",
            "日本",
            "\u{feff}",
            "\\",
            ":name",
            "COPY t FROM STDIN;\n1\t2\n\\.\n",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn file_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|pieces| pieces.concat())
}

#[track_caller]
fn check_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what} {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what} {span:?} not on character boundaries"
    );
}

fn check_diagnostics(text: &str, file: &Path, diagnostics: &[Diagnostic]) {
    // The renderer must cope with every span the stages produce.
    let mut sources = Sources::new();
    sources.insert(file.to_path_buf(), text);
    let shown = render(diagnostics, &sources, Style::Plain);
    assert_eq!(diagnostics.is_empty(), shown.is_empty());
    for diagnostic in diagnostics {
        assert!(!diagnostic.message.is_empty());
        for label in &diagnostic.labels {
            if label.file == file {
                check_span(text, &label.span, diagnostic.code.as_str());
            }
        }
    }
}

fn check_split(text: &str, file: &Path, split: &split::Split) {
    check_diagnostics(text, file, &split.diagnostics);
    for section in &split.sections {
        check_span(text, &section.marker, "marker");
        for statement in &section.statements {
            check_span(text, &statement.span, "statement");
            assert!(!text[statement.span.clone()].trim().is_empty());
            assert!(statement.line >= 1 && statement.column >= 1);
            for comment in &statement.leading_comments {
                check_span(text, comment, "comment");
            }
        }
    }
}

fn check_everything(text: &str) {
    let file = PathBuf::from("migrations/abc_x.sql");
    let (parsed, diagnostics) = header::parse(&file, text);
    check_diagnostics(text, &file, &diagnostics);
    assert!(parsed.end <= text.len() && text.is_char_boundary(parsed.end));
    for span in parsed.spans.values() {
        check_span(text, span, "header value");
    }
    for dialect in DIALECTS {
        let split = split::split_file(&file, text, parsed.end, parsed.end_line, dialect);
        check_split(text, &file, &split);
        if let Ok(statements) = split::split_sql(text, dialect) {
            for statement in &statements {
                check_span(text, &statement.span, "bare statement");
            }
        }
        let config = Config {
            dialect,
            ..Config::default()
        };
        let source = SourceFile {
            path: file.clone(),
            text: text.to_string(),
        };
        match compile_file(&source, &config) {
            Ok(revision) => {
                assert!(!revision.id.is_empty());
                for section in revision.upgrade.iter().chain(&revision.downgrade) {
                    check_span(text, &section.marker, "marker");
                    for statement in &section.statements {
                        check_span(text, &statement.span, "statement");
                    }
                }
            }
            Err(diagnostics) => {
                assert!(!diagnostics.is_empty());
                check_diagnostics(text, &file, &diagnostics);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        // A hang fails the case instead of stalling CI.
        timeout: 10_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_files_never_panic(text in file_text()) {
        check_everything(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in "\\PC{0,200}") {
        check_everything(&text);
    }
}

#[test]
fn regressions() {
    for text in [
        "",
        "\u{feff}",
        "-- migrate:upgrade",
        "-- migrate:upgrade\n$$",
        "-- migrate:upgrade\nCREATE TRIGGER t BEGIN END END END;",
        "-- migrate:upgrade\n((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
        "-- revision: abc\r-- down_revision: none\r-- migrate:upgrade\rSELECT 1;",
        "-- migrate:upgrade\nSELECT 'é\n",
        "\r\n\r\n-- migrate:upgrade\r\n\r\n日本;",
    ] {
        check_everything(text);
    }
}
