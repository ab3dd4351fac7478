//! The header: `-- key: value` lines before the first section marker.
//!
//! ```sql
//! -- revision: abc123def456
//! -- down_revision: 9f1e2d3c4b5a
//! -- message: add published_at to posts
//! ```
//!
//! A header line is `--`, then a lower-case key (`[a-z_][a-z0-9_]*`)
//! followed directly by `:`, then the value. Blank lines and other `--`
//! comments (e.g. `-- TODO: ...`, which starts with an upper-case word) may
//! sit between them. An unknown key is an error rather than a comment, so
//! that a typo such as `down_revison:` cannot silently turn a revision into
//! a second base. The header ends at the first `-- migrate:` line or at the
//! first line that is neither blank nor a `--` comment; what follows is the
//! splitter's.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use crate::codes::Code;
use crate::{Diagnostic, Label, Severity};

pub use migrate_core::names::{ID_PUNCTUATION, LABEL_PUNCTUATION, MAX_REVISION_ID_LEN};

/// The known keys, in the order they are documented.
pub(crate) const KEYS: &[&str] = &[
    "revision",
    "down_revision",
    "message",
    "create_date",
    "branch_labels",
    "depends_on",
    "source",
];

/// The parsed header of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `revision:` (empty when missing or invalid).
    pub id: String,
    /// `down_revision:` (empty for `none`).
    pub down_revisions: Vec<String>,
    /// `depends_on:`.
    pub depends_on: Vec<String>,
    /// `branch_labels:`.
    pub branch_labels: Vec<String>,
    /// `message:`.
    pub message: String,
    /// `create_date:`.
    pub create_date: String,
    /// `source:`: where an imported revision came from (`cargo migrate
    /// import` writes `<tool> <version> <name>`); free text, never read by
    /// the runtime.
    pub source: String,
    /// Byte range of each present key's value (empty range at the value's
    /// position when the value is empty).
    pub spans: BTreeMap<String, Range<usize>>,
    /// Byte offset where the header ends (a line start, or the text's end).
    pub end: usize,
    /// 1-based line number at `end`.
    pub end_line: u32,
    /// Byte offset where the text starts after a UTF-8 byte order mark.
    pub start: usize,
}

/// Parses the header of `text` (shown as `file`). Returns the header with
/// every value it could read, and every error found.
pub fn parse(file: &Path, text: &str) -> (Header, Vec<Diagnostic>) {
    let mut header = Header {
        start: if text.starts_with('\u{feff}') { 3 } else { 0 },
        ..Header::default()
    };
    let mut diagnostics = Vec::new();
    if let Some(diagnostic) = cr_line_endings(file, text, header.start) {
        // Read as one line, the header would only give a puzzling
        // "illegal revision id"; say what is wrong instead.
        header.end = text.len();
        header.end_line = 1;
        return (header, vec![diagnostic]);
    }
    let mut offset = header.start;
    let mut line_number: u32 = 1;
    let mut first_line: Range<usize> = offset..offset;
    header.end = text.len();
    header.end_line = 0;
    for raw_line in text[header.start..].split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        if line_number == 1 {
            first_line = line_start..line_start + line.len();
        }
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            line_number += 1;
            continue;
        }
        let Some(comment) = trimmed.strip_prefix("--") else {
            header.end = line_start;
            header.end_line = line_number;
            break;
        };
        let comment_offset = line_start + indent + 2;
        let body = comment.trim_start();
        let body_offset = comment_offset + (comment.len() - body.len());
        // Only a section marker ends the header: `migrate:allow-file` and
        // friends may sit among the keys.
        match crate::directive::directive_of(comment) {
            Some(
                crate::directive::Directive::Section { .. }
                | crate::directive::Directive::BadOption(..),
            ) => {
                header.end = line_start;
                header.end_line = line_number;
                break;
            }
            Some(crate::directive::Directive::Unknown(name)) => {
                let span = body_offset..body_offset + body.trim_end().len();
                let mut diagnostic = error_at(
                    file,
                    Code::UnknownDirective,
                    format!("unknown directive `migrate:{name}`"),
                    span,
                    "not a directive",
                );
                diagnostic.help = Some(crate::directive::DIRECTIVES_HELP.to_string());
                diagnostics.push(diagnostic);
                line_number += 1;
                continue;
            }
            Some(crate::directive::Directive::Unchecked(_)) => {
                // Silently dropping it would leave the statement the author
                // meant to mark checked after all, and failing the build.
                let span = body_offset..body_offset + body.trim_end().len();
                let mut diagnostic = error_at(
                    file,
                    Code::MisplacedDirective,
                    "`-- migrate:unchecked` in the header marks no statement".to_string(),
                    span,
                    "before the first section",
                );
                diagnostic.help = Some(
                    "move it after `-- migrate:upgrade` (or `-- migrate:downgrade`), on the line before the statement it marks"
                        .to_string(),
                );
                diagnostics.push(diagnostic);
                line_number += 1;
                continue;
            }
            Some(_) => {
                line_number += 1;
                continue;
            }
            None => {}
        }
        // Atlas's `-- atlas:nolint` looks like a key but is a suppression
        // comment that belongs at the top of the file (`lint::allow`).
        if body.starts_with("atlas:") {
            line_number += 1;
            continue;
        }
        if let Some((key, value_offset)) = key_of(body) {
            let key_span = body_offset..body_offset + key.len();
            let rest = &body[value_offset..];
            let value = rest.trim();
            let value_start = body_offset + value_offset + (rest.len() - rest.trim_start().len());
            let value_span = value_start..value_start + value.len();
            read_key(
                file,
                &mut header,
                &mut diagnostics,
                key,
                key_span,
                value,
                value_span,
            );
        }
        line_number += 1;
    }
    if header.end_line == 0 {
        header.end_line = line_number;
    }

    for required in ["revision", "down_revision"] {
        if !header.spans.contains_key(required) {
            let mut diagnostic = error_at(
                file,
                Code::HeaderMissingKey,
                format!("missing `{required}:` header"),
                first_line.clone(),
                "",
            );
            diagnostic.help = Some(match required {
                "revision" => "add `-- revision: <id>` before the first `-- migrate:` section".to_string(),
                _ => "add `-- down_revision: <parent id>` (or `none` for the first revision) before the first `-- migrate:` section".to_string(),
            });
            diagnostics.push(diagnostic);
        }
    }
    if let Some(span) = header.spans.get("revision") {
        if !header.id.is_empty() {
            check_file_name(file, &header.id, span.clone(), &mut diagnostics);
        }
    }
    (header, diagnostics)
}

/// `key:` at the start of a comment body: the key and the offset after `:`.
fn key_of(body: &str) -> Option<(&str, usize)> {
    let bytes = body.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_lowercase() || first == b'_') {
        return None;
    }
    let len = bytes
        .iter()
        .position(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_'))?;
    (bytes[len] == b':').then(|| (&body[..len], len + 1))
}

#[allow(clippy::too_many_arguments)]
fn read_key(
    file: &Path,
    header: &mut Header,
    diagnostics: &mut Vec<Diagnostic>,
    key: &str,
    key_span: Range<usize>,
    value: &str,
    value_span: Range<usize>,
) {
    if !KEYS.contains(&key) {
        let mut diagnostic = error_at(
            file,
            Code::HeaderUnknownKey,
            format!("unknown header key `{key}`"),
            key_span,
            "not a header key",
        );
        diagnostic.help = Some(format!(
            "the keys are {}; a comment in the header must not start with a lower-case `word:`",
            KEYS.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(close) = KEYS.iter().find(|k| similar(k, key)) {
            diagnostic.help = Some(format!("did you mean `{close}`?"));
        }
        diagnostics.push(diagnostic);
        return;
    }
    if let Some(previous) = header.spans.get(key) {
        let mut diagnostic = error_at(
            file,
            Code::HeaderRepeatedKey,
            format!("`{key}:` is given twice"),
            key_span,
            "repeated here",
        );
        diagnostic.labels.push(Label {
            file: file.to_path_buf(),
            span: previous.clone(),
            message: "first given here".to_string(),
            primary: false,
        });
        diagnostic.help = Some(format!("keep one `{key}:` line"));
        diagnostics.push(diagnostic);
        return;
    }
    header.spans.insert(key.to_string(), value_span.clone());
    match key {
        "revision" if check_id(file, value, value_span.clone(), "revision id", diagnostics) => {
            header.id = value.to_string();
        }
        "down_revision" => {
            if value.is_empty() {
                let mut diagnostic = error_at(
                    file,
                    Code::HeaderInvalidValue,
                    "`down_revision:` is empty".to_string(),
                    value_span,
                    "expected `none`, an id, or a comma-separated list of ids",
                );
                diagnostic.help =
                    Some("write `-- down_revision: none` for the first revision".to_string());
                diagnostics.push(diagnostic);
            } else {
                header.down_revisions = id_list(file, value, value_span, diagnostics);
            }
        }
        "depends_on" => header.depends_on = id_list(file, value, value_span, diagnostics),
        "branch_labels" if !value.eq_ignore_ascii_case("none") => {
            for (label, span) in comma_list(value, value_span.start) {
                if check_label(file, label, span, diagnostics) {
                    header.branch_labels.push(label.to_string());
                }
            }
        }
        "message" => header.message = value.to_string(),
        "create_date" => header.create_date = value.to_string(),
        "source" => header.source = value.to_string(),
        _ => {}
    }
}

/// `none` (any case) is the empty list; otherwise comma-separated ids.
/// The code of the error for a file with CR-only line endings.
pub(crate) const CR_LINE_ENDINGS: Code = Code::CrLineEndings;

/// A file whose first line break is a lone CR (classic Mac OS line
/// endings): every line break of the header is then invisible to a reader
/// that splits on LF.
fn cr_line_endings(file: &Path, text: &str, start: usize) -> Option<Diagnostic> {
    let first_line = text[start..].split('\n').next().unwrap_or_default();
    let cr = first_line.trim_end_matches('\r').find('\r')?;
    let at = start + cr;
    let mut diagnostic = error_at(
        file,
        CR_LINE_ENDINGS,
        "this file uses CR line endings (classic Mac OS), which the header cannot be read with"
            .to_string(),
        at..at + 1,
        "a line ends with a lone CR here",
    );
    diagnostic.help = Some(
        "convert the file to LF (or CRLF) line endings, e.g. `tr '\\r' '\\n'` or your editor's line-ending setting"
            .to_string(),
    );
    Some(diagnostic)
}

fn id_list(
    file: &Path,
    value: &str,
    value_span: Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<String> {
    if value.is_empty() || value.eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    let mut ids: Vec<String> = Vec::new();
    let mut first_spans: Vec<Range<usize>> = Vec::new();
    for (id, span) in comma_list(value, value_span.start) {
        if let Some(position) = ids.iter().position(|seen| seen == id) {
            let mut diagnostic = error_at(
                file,
                Code::HeaderRepeatedId,
                format!("`{id}` is listed twice"),
                span,
                "listed again here",
            );
            diagnostic.labels.push(Label {
                file: file.to_path_buf(),
                span: first_spans[position].clone(),
                message: "first listed here".to_string(),
                primary: false,
            });
            diagnostic.help = Some(format!("list `{id}` once"));
            diagnostics.push(diagnostic);
            continue;
        }
        if check_id(file, id, span.clone(), "parent id", diagnostics) {
            ids.push(id.to_string());
            first_spans.push(span);
        }
    }
    ids
}

/// Splits on `,`, trimming each item; yields each item with its byte span.
fn comma_list(value: &str, base: usize) -> impl Iterator<Item = (&str, Range<usize>)> {
    let mut offset = 0;
    value.split(',').map(move |part| {
        let start = offset;
        offset += part.len() + 1;
        let item = part.trim();
        let item_start = base + start + (part.len() - part.trim_start().len());
        (item, item_start..item_start + item.len())
    })
}

pub use migrate_core::names::{id_problem, label_problem};

/// True for a character no file name of the directory may hold: a control
/// character (a line break would end the `--` comment a `--sql` script
/// names the file in), a line or paragraph separator, or an invisible
/// character that reorders or hides text (right-to-left overrides,
/// zero-width characters).
pub fn is_hostile_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn check_id(
    file: &Path,
    id: &str,
    span: Range<usize>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    match id_problem(id) {
        None => true,
        Some(problem) => {
            let mut diagnostic = error_at(
                file,
                Code::IllegalRevisionId,
                format!("illegal {what} `{}`", id.escape_default()),
                span,
                &problem,
            );
            diagnostic.help = Some(format!(
                "ids are 1 to {MAX_REVISION_ID_LEN} ASCII letters, digits and `.`, starting with a letter or a digit (generated ids are 12 lower-case hex digits)"
            ));
            diagnostics.push(diagnostic);
            false
        }
    }
}

fn check_label(
    file: &Path,
    label: &str,
    span: Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let problem = label_problem(label);
    match problem {
        None => true,
        Some(problem) => {
            diagnostics.push(error_at(
                file,
                Code::HeaderInvalidValue,
                format!("illegal branch label `{}`", label.escape_default()),
                span,
                &problem,
            ));
            false
        }
    }
}

/// The id part of a file name: the stem before the first `_` (or the whole
/// stem).
pub(crate) fn file_name_id(file: &Path) -> Option<&str> {
    let name = file.file_name()?.to_str()?;
    let stem = name.strip_suffix(".sql").unwrap_or(name);
    Some(stem.split('_').next().unwrap_or(stem))
}

fn check_file_name(file: &Path, id: &str, span: Range<usize>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(prefix) = file_name_id(file) else {
        return;
    };
    if prefix != id {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut diagnostic = error_at(
            file,
            Code::FileNameMismatch,
            format!("revision `{id}` does not match the file name `{name}`"),
            span,
            &format!("the file name says `{prefix}`"),
        );
        diagnostic.help = Some(format!(
            "rename the file to `{id}_<slug>.sql`, or make the header say `-- revision: {prefix}`"
        ));
        diagnostics.push(diagnostic);
    }
}

/// One edit apart (a typo), for "did you mean" help.
fn similar(known: &str, typed: &str) -> bool {
    let a: Vec<char> = known.chars().collect();
    let b: Vec<char> = typed.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let value = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current.push(value);
        }
        previous = current;
    }
    previous[b.len()] <= 2
}

/// An error with one primary label.
pub(crate) fn error_at(
    file: &Path,
    code: Code,
    message: String,
    span: Range<usize>,
    label: &str,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        message,
        labels: vec![Label {
            file: file.to_path_buf(),
            span,
            message: label.to_string(),
            primary: true,
        }],
        notes: Vec::new(),
        help: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "migrations/abc_x.sql";

    /// Renders the header and the errors compactly: one line per fact.
    fn check(text: &str, expect: &str) {
        check_named(FILE, text, expect);
    }

    #[track_caller]
    fn check_named(file: &str, text: &str, expect: &str) {
        let (header, diagnostics) = parse(Path::new(file), text);
        let mut out = Vec::new();
        out.push(format!(
            "id={:?} down={:?} deps={:?} labels={:?} msg={:?} end={}@{}",
            header.id,
            header.down_revisions,
            header.depends_on,
            header.branch_labels,
            header.message,
            header.end,
            header.end_line
        ));
        for d in &diagnostics {
            let span = d.labels[0].span.clone();
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            out.push(format!("{}: {} @{:?}", d.code, d.message, &text[span]));
        }
        assert_eq!(out.join("\n"), expect.trim());
    }

    #[test]
    fn complete_header() {
        check(
            "-- message: add x\n-- revision: abc\n-- down_revision: none\n-- create_date: 2025-08-06T14:30:00Z\n\n-- migrate:upgrade\nSELECT 1;\n",
            r#"id="abc" down=[] deps=[] labels=[] msg="add x" end=96@6"#,
        );
    }

    #[test]
    fn lists_and_comments() {
        check(
            "-- revision: abc\n-- TODO: a comment\n--   down_revision:  p1 ,p2\n-- depends_on: d1\n-- branch_labels: feature, other\n-- plain comment\n",
            r#"id="abc" down=["p1", "p2"] deps=["d1"] labels=["feature", "other"] msg="" end=132@7"#,
        );
    }

    #[test]
    fn header_ends_at_sql() {
        check(
            "-- revision: abc\n-- down_revision: None\nCREATE TABLE t (x int);\n-- message: ignored\n",
            r#"id="abc" down=[] deps=[] labels=[] msg="" end=40@3"#,
        );
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}-- revision: abc\r\n-- down_revision: p1\r\n-- migrate:upgrade\r\n";
        check(
            text,
            r#"id="abc" down=["p1"] deps=[] labels=[] msg="" end=43@3"#,
        );
        let (header, _) = parse(Path::new(FILE), text);
        assert_eq!(&text[header.spans["revision"].clone()], "abc");
        assert_eq!(header.start, 3);
    }

    #[test]
    fn atlas_nolint_is_a_comment_not_a_key() {
        check(
            "-- atlas:nolint destructive\n\n-- revision: abc\n-- down_revision: none\n-- migrate:upgrade\n",
            r#"id="abc" down=[] deps=[] labels=[] msg="" end=69@5"#,
        );
    }

    #[test]
    fn unchecked_in_the_header_is_reported() {
        check(
            "-- revision: abc\n-- migrate:unchecked -- pg 18 syntax\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n",
            r#"
id="abc" down=[] deps=[] labels=[] msg="" end=77@4
misplaced-directive: `-- migrate:unchecked` in the header marks no statement @"migrate:unchecked -- pg 18 syntax""#,
        );
    }

    #[test]
    fn missing_keys() {
        check(
            "-- message: x\n-- migrate:upgrade\n",
            r#"
id="" down=[] deps=[] labels=[] msg="x" end=14@2
header-missing-key: missing `revision:` header @"-- message: x"
header-missing-key: missing `down_revision:` header @"-- message: x""#,
        );
        check(
            "",
            r#"
id="" down=[] deps=[] labels=[] msg="" end=0@1
header-missing-key: missing `revision:` header @""
header-missing-key: missing `down_revision:` header @"""#,
        );
    }

    #[test]
    fn unknown_and_repeated_keys() {
        check(
            "-- revision: abc\n-- down_revison: p\n-- down_revision: p\n-- revision: abc\n-- note: hi\n",
            r#"
id="abc" down=["p"] deps=[] labels=[] msg="" end=85@6
header-unknown-key: unknown header key `down_revison` @"down_revison"
header-repeated-key: `revision:` is given twice @"revision"
header-unknown-key: unknown header key `note` @"note""#,
        );
    }

    #[test]
    fn repeated_parents_are_an_error() {
        check(
            "-- revision: abc\n-- down_revision: a1, a1\n-- depends_on: d1, d2, d1\n",
            r#"
id="abc" down=["a1"] deps=["d1", "d2"] labels=[] msg="" end=68@4
header-repeated-id: `a1` is listed twice @"a1"
header-repeated-id: `d1` is listed twice @"d1""#,
        );
    }

    #[test]
    fn cr_line_endings_are_named() {
        check(
            "-- revision: abc\r-- down_revision: none\r-- migrate:upgrade\rSELECT 1;\r",
            r#"
id="" down=[] deps=[] labels=[] msg="" end=69@1
cr-line-endings: this file uses CR line endings (classic Mac OS), which the header cannot be read with @"\r""#,
        );
        // CRLF is fine, and so is a CR inside a later line.
        check(
            "-- revision: abc\r\n-- down_revision: none\r\n-- migrate:upgrade\nSELECT 'a\rb';\n",
            r#"
id="abc" down=[] deps=[] labels=[] msg="" end=42@3"#,
        );
    }

    #[test]
    fn new_diagnostics_render_with_file_and_line() {
        let mut sources = crate::render::Sources::new();
        let mut shown = String::new();
        for (name, text) in [
            (
                "migrations/abc_dup.sql",
                "-- revision: abc\n-- down_revision: a1, a1\n-- migrate:upgrade\nSELECT 1;\n",
            ),
            (
                "migrations/abc_mac.sql",
                "-- revision: abc\r-- down_revision: none\r-- migrate:upgrade\rSELECT 1;\r",
            ),
        ] {
            sources.insert(name, text);
            let (_, diagnostics) = parse(Path::new(name), text);
            shown.push_str(&crate::render::render(
                &diagnostics,
                &sources,
                crate::render::Style::Plain,
            ));
            shown.push_str("\n\n");
        }
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn illegal_ids() {
        check(
            "-- revision: ab-c\n-- down_revision: x@y, , ok\n",
            r#"
id="" down=["ok"] deps=[] labels=[] msg="" end=46@3
illegal-revision-id: illegal revision id `ab-c` @"ab-c"
illegal-revision-id: illegal parent id `x@y` @"x@y"
illegal-revision-id: illegal parent id `` @"""#,
        );
        let long = "a".repeat(65);
        let (_, diagnostics) = parse(
            Path::new(&format!("m/{long}.sql")),
            &format!("-- revision: {long}\n-- down_revision: none\n"),
        );
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, "illegal-revision-id");
        check(
            "-- revision: abc\n-- down_revision:\n",
            r#"
id="abc" down=[] deps=[] labels=[] msg="" end=35@3
header-invalid-value: `down_revision:` is empty @"""#,
        );
    }

    #[test]
    fn directives_in_the_header() {
        check(
            "-- migrate:allow-file ban-drop-table -- cleanup\n-- revision: abc\n-- migrate:alow x\n-- down_revision: none\n-- migrate:upgrade\n",
            r#"
id="abc" down=[] deps=[] labels=[] msg="" end=106@5
unknown-directive: unknown directive `migrate:alow` @"migrate:alow x""#,
        );
    }

    #[test]
    fn file_name_must_match() {
        check_named(
            "migrations/abd_x.sql",
            "-- revision: abc\n-- down_revision: none\n",
            r#"
id="abc" down=[] deps=[] labels=[] msg="" end=40@3
file-name-mismatch: revision `abc` does not match the file name `abd_x.sql` @"abc""#,
        );
        check_named(
            "migrations/abc.sql",
            "-- revision: abc\n-- down_revision: none\n",
            r#"id="abc" down=[] deps=[] labels=[] msg="" end=40@3"#,
        );
    }
}
