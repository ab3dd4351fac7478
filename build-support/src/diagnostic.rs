//! Diagnostics as data: every stage reports `Diagnostic`s, and they are
//! rendered once, at the edge (the macro's `compile_error!`, the CLI's
//! terminal), with the source snippet.

use std::ops::Range;
use std::path::PathBuf;

pub use crate::codes::Code;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Shown, does not fail the build.
    Warning,
    /// Fails the build.
    Error,
}

/// A labelled byte range inside a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The file the span points into (display path, relative to the crate root).
    pub file: PathBuf,
    /// Byte range in that file's text.
    pub span: Range<usize>,
    /// Text shown next to the underline (may be empty).
    pub message: String,
    /// The primary label is underlined with `^`, secondary ones with `-`.
    pub primary: bool,
}

/// One finding: a build error or a lint warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of finding, e.g. [`Code::MultipleHeads`]; its stable
    /// kebab-case name ([`Code::as_str`]) is shown in the output.
    pub code: Code,
    /// One line: what is wrong (no trailing period).
    pub message: String,
    /// Source locations; the first primary one is where the diagnostic points.
    pub labels: Vec<Label>,
    /// Extra context lines (`= note: ...`).
    pub notes: Vec<String>,
    /// What to change (`= help: ...`).
    pub help: Option<String>,
}
