//! The intermediate types the stages hand on: one file compiled
//! ([`CompiledRevision`]), its sections and statements. Produced by
//! `revision`, read by `graph`, `plan`, `lock`, `schema`, `lint` and
//! `codegen`, and stored by `cache` (postcard, through serde); it imports
//! nothing of the crate.

use std::ops::Range;
use std::path::PathBuf;

/// One revision after parsing, in plan order inside `Compiled`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompiledRevision {
    /// Display path of the file, relative to the crate root (e.g. `migrations/ab12_x.sql`).
    pub file: PathBuf,
    /// The file's full text (spans below index into it).
    pub source: String,
    /// `revision:` header.
    pub id: String,
    /// `down_revision:` (empty for a base).
    pub down_revisions: Vec<String>,
    /// `depends_on:`.
    pub depends_on: Vec<String>,
    /// `branch_labels:`.
    pub branch_labels: Vec<String>,
    /// `message:` (empty when absent).
    pub message: String,
    /// `create_date:` (empty when absent).
    pub create_date: String,
    /// Upgrade sections in file order.
    pub upgrade: Vec<CompiledSection>,
    /// Downgrade sections in file order.
    pub downgrade: Vec<CompiledSection>,
    /// SHA-256 over the SQL tokens of all sections.
    pub checksum: [u8; 32],
    /// Byte range of each header key's value (`"revision"`, `"down_revision"`,
    /// ...), so graph diagnostics can point at the line that names a parent.
    pub header_spans: std::collections::BTreeMap<String, Range<usize>>,
}

/// A `-- migrate:upgrade` / `-- migrate:downgrade` section.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompiledSection {
    /// False for `transaction:false`.
    pub transactional: bool,
    /// Byte range of the marker comment.
    pub marker: Range<usize>,
    /// 1-based line of the marker.
    pub line: u32,
    /// The statements in order.
    pub statements: Vec<CompiledStatement>,
}

/// One statement, its text kept byte for byte.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompiledStatement {
    /// Byte range in the file of the statement text, without the `;`.
    pub span: Range<usize>,
    /// 1-based line of the first token.
    pub line: u32,
    /// 1-based column (in characters) of the first token.
    pub column: u32,
    /// Byte ranges of the comments between the previous statement (or the
    /// section marker) and this one: where `-- migrate:unchecked`,
    /// `-- migrate:allow` and squawk/atlas suppressions are found.
    pub leading_comments: Vec<Range<usize>>,
    /// The syntax tree when sqlparser accepted the statement and the schema
    /// model or a lint rule reads it (see `parse::keeps_tree`: not kept
    /// for `INSERT`, `UPDATE`, `DELETE`, ...).
    /// Boxed: sqlparser's `Statement` is 3.4 KB inline, and a history of a
    /// million statements would carry that much per statement for nothing.
    pub ast: Option<Box<sqlparser::ast::Statement>>,
    /// Which parser vouched for the statement.
    pub checked_by: CheckedBy,
}

/// Who accepted a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CheckedBy {
    /// sqlparser parsed it; `ast` is set.
    Sqlparser,
    /// Only PostgreSQL's own parser (feature `pg-query`) accepted it.
    PgQuery,
    /// Marked `-- migrate:unchecked -- <reason>`: applied, not analysed.
    Unchecked,
    /// Nested too deeply to analyse (see `parse::MAX_DEPTH`): applied as
    /// written, not analysed, reported by the `statement-too-deep` warning.
    TooDeep,
    /// sqlparser parsed it in pieces (a list too long to hold at once, see
    /// `parse::Incremental`), and it is a statement the schema model reads:
    /// no tree is kept, so the model takes its effects as unknown.
    TooLarge,
}
