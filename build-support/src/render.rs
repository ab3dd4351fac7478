//! Renders [`Diagnostic`]s the way rustc prints its own, with
//! annotate-snippets: `error[code]: message`, ` --> file:line:col`, the source
//! lines with their labels, then `= note:` and `= help:` lines.
//!
//! One function serves the macro (`compile_error!` text, [`Style::Plain`]),
//! `build.rs` warnings and the CLI ([`Style::Styled`] on a terminal), so the
//! user sees the same message everywhere.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use crate::diagnostic::{Diagnostic, Label, Severity};

/// File texts by display path, so a label in any file (a migration, the lock,
/// `migrate.toml`) can be shown with its source line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    files: BTreeMap<PathBuf, String>,
}

impl Sources {
    /// No files.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds (or replaces) the text of the file shown as `path`. Passwords of
    /// URLs in it are masked here, once, so no rendering (the macro's
    /// `compile_error!`, `build.rs` warnings, the CLI, JSON or SARIF) can show
    /// one: a URL wrongly put in `migrate.toml` is refused with a snippet.
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        let text = text.into();
        let text = if text.contains("://") {
            mask_passwords(&text)
        } else {
            text
        };
        self.files.insert(path.into(), text);
    }

    /// The text of the file shown as `path`.
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// Every file, by display path.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files
            .iter()
            .map(|(path, text)| (path.as_path(), text.as_str()))
    }
}

pub use crate::url_mask::mask_passwords;

/// Colours or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No ANSI escapes: `compile_error!`, tests, logs, `NO_COLOR`.
    Plain,
    /// ANSI colours for a terminal.
    Styled,
}

/// Renders every diagnostic, separated by blank lines, errors and warnings in
/// the order given.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Styled => Renderer::styled(),
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&render_one(&renderer, diagnostic, sources));
    }
    out
}

fn render_one(renderer: &Renderer, diagnostic: &Diagnostic, sources: &Sources) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(
        level
            .primary_title(diagnostic.message.as_str())
            .id(diagnostic.code.as_str()),
    );

    // One snippet per file, the file of the primary label first, labels in
    // the order given within each file. Grouped in one pass: a cycle through
    // 10,000 files has 10,000 labels.
    let primary_file = diagnostic
        .labels
        .iter()
        .find(|label| label.primary)
        .or(diagnostic.labels.first())
        .map(|label| label.file.as_path());
    let mut files: Vec<(&Path, Vec<(usize, &Label)>)> = Vec::new();
    let mut slots: HashMap<&Path, usize> = HashMap::new();
    if let Some(file) = primary_file {
        slots.insert(file, 0);
        files.push((file, Vec::new()));
    }
    for (position, label) in diagnostic.labels.iter().enumerate() {
        let slot = *slots.entry(label.file.as_path()).or_insert_with(|| {
            files.push((label.file.as_path(), Vec::new()));
            files.len() - 1
        });
        files[slot].1.push((position, label));
    }
    let any_primary = diagnostic.labels.iter().any(|label| label.primary);
    for (file, labels) in &files {
        let display = file.display().to_string();
        match sources.get(file) {
            Some(text) => {
                let mut snippet = Snippet::source(text).path(display).fold(true);
                for &(position, label) in labels {
                    let primary = label.primary || (!any_primary && position == 0);
                    let kind = if primary {
                        AnnotationKind::Primary
                    } else {
                        AnnotationKind::Context
                    };
                    let span = clamp(text, label.span.clone());
                    let annotation = kind.span(span);
                    let annotation = if label.message.is_empty() {
                        annotation
                    } else {
                        annotation.label(label.message.as_str())
                    };
                    snippet = snippet.annotation(annotation);
                }
                group = group.element(snippet);
            }
            None => {
                // Without the text (an unreadable file) the path alone still
                // tells the user where to look.
                group = group.element(Origin::path(display));
            }
        }
    }
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let report: Vec<Group<'_>> = vec![group];
    renderer.render(&report)
}

/// Keeps a span inside the text and on character boundaries, so a stale or
/// wrong span degrades the picture instead of panicking the renderer.
fn clamp(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    let mut end = span.end.min(text.len()).max(start);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    #[test]
    fn passwords_are_masked_in_place() {
        let text = "url = \"postgres://admin:s3cr3t@prod/db\"\nother = 'mysql://u:p\u{e9}@h'\n";
        let masked = mask_passwords(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(
            masked,
            "url = \"postgres://admin:******@prod/db\"\nother = 'mysql://u:***@h'\n"
        );
        assert_eq!(
            mask_passwords("sqlite://app.db and x://h/y"),
            "sqlite://app.db and x://h/y"
        );
    }

    #[test]
    fn a_refused_url_in_migrate_toml_renders_without_its_password() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("migrate.toml"),
            "dialect = \"postgres\"\ndatabase_url = \"postgres://admin:s3cr3t@prod/db\"\n",
        )
        .unwrap();
        let failure = crate::compile(dir.path(), &crate::Options::new().display_dir("migrations"))
            .expect_err("a URL in migrate.toml is refused");
        let rendered = failure.render(Style::Plain);
        assert!(rendered.contains("config-credentials"), "{rendered}");
        assert!(
            rendered.contains("postgres://admin:******@prod/db"),
            "{rendered}"
        );
        assert!(!rendered.contains("s3cr3t"), "{rendered}");
    }

    fn sample(span: Range<usize>) -> (Diagnostic, Sources) {
        let mut sources = Sources::new();
        sources.insert(
            "migrations/a_x.sql",
            "-- revision: a\n-- down_revision: zz\n\n-- migrate:upgrade\nSELECT 1;\n",
        );
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            code: Code::UnknownRevision,
            message: "`down_revision` names `zz`".to_string(),
            labels: vec![Label {
                file: PathBuf::from("migrations/a_x.sql"),
                span,
                message: "no revision `zz`".to_string(),
                primary: true,
            }],
            notes: vec!["a note".to_string()],
            help: Some("a help".to_string()),
        };
        (diagnostic, sources)
    }

    #[test]
    fn renders_like_rustc() {
        let (diagnostic, sources) = sample(33..35);
        let text = render(&[diagnostic], &sources, Style::Plain);
        assert_eq!(
            text,
            "error[unknown-revision]: `down_revision` names `zz`\n \
             --> migrations/a_x.sql:2:19\n  |\n\
             2 | -- down_revision: zz\n  |                   ^^ no revision `zz`\n  |\n  \
             = note: a note\n  = help: a help"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_and_spans_render_without_panicking(
            text in "(?s).{0,200}",
            spans in proptest::collection::vec((0usize..260, 0usize..260), 0..4),
            with_source in proptest::bool::ANY,
        ) {
            let mut sources = Sources::new();
            if with_source {
                sources.insert("m/a.sql", text.clone());
            }
            let diagnostic = Diagnostic {
                severity: Severity::Warning,
                code: Code::SqlSyntax,
                message: "m".to_string(),
                labels: spans
                    .iter()
                    .enumerate()
                    .map(|(i, (start, end))| Label {
                        file: PathBuf::from("m/a.sql"),
                        span: *start..*end,
                        message: format!("label {i}"),
                        primary: i == 0,
                    })
                    .collect(),
                notes: Vec::new(),
                help: None,
            };
            let rendered = render(&[diagnostic], &sources, Style::Plain);
            proptest::prop_assert!(rendered.starts_with("warning[sql-syntax]: m"));
        }
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        #[allow(clippy::reversed_empty_ranges)]
        let spans = [1000..2000, 40..3, 0..0];
        for span in spans {
            let (diagnostic, sources) = sample(span);
            let text = render(&[diagnostic], &sources, Style::Plain);
            assert!(text.starts_with("error[unknown-revision]"), "{text}");
        }
    }
}
