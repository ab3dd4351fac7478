//! What moving one revision means in SQL: its statements interleaved with
//! the version-table writes, cut into chunks that each run in one
//! transaction or, for `transaction:false` statements, outside any.
//!
//! The online applier and the offline script render the same chunks, so the
//! script a DBA runs is the one the runtime would have run.
//!
//! A revision whose statements are all transactional is one chunk: insert
//! the version row, run the statements, stamp the duration, update the
//! summary, commit. Otherwise the row is written first as `partial` (or
//! `reverting`) and its `statements_done` advanced after each piece, so an
//! interrupted or failed run leaves a precise record. On MySQL every
//! statement is its own piece, because DDL commits implicitly there.

use std::borrow::Cow;

use crate::error::{Direction, StatementRef};
use crate::plan::{Dialect, Revision};
use crate::version_table::{NewRow, RowState, Rows, VersionTable};

/// A statement of a chunk.
#[derive(Debug, Clone)]
pub(crate) struct Part<'a> {
    pub(crate) sql: Cow<'a, str>,
    /// `Some` for the revision's own statements, `None` for bookkeeping.
    pub(crate) statement: Option<StatementRef>,
}

/// A unit of execution.
#[derive(Debug, Clone)]
pub(crate) enum Chunk<'a> {
    /// Statements that commit together.
    Tx(Vec<Part<'a>>),
    /// One statement of a `transaction:false` section (or any statement on
    /// MySQL), run on its own.
    Bare(Part<'a>),
}

impl Chunk<'_> {
    pub(crate) fn statements(&self) -> impl Iterator<Item = &StatementRef> {
        let parts: &[Part<'_>] = match self {
            Chunk::Tx(parts) => parts,
            Chunk::Bare(part) => std::slice::from_ref(part),
        };
        parts.iter().filter_map(|part| part.statement.as_ref())
    }
}

/// Everything needed to move one revision, and to record a failure.
#[derive(Debug, Clone)]
pub(crate) struct RevisionScript<'a> {
    pub(crate) revision: String,
    pub(crate) file: String,
    pub(crate) direction: Direction,
    /// The revision's statements in this direction, flattened.
    pub(crate) statements: Vec<StatementRef>,
    pub(crate) chunks: Vec<Chunk<'a>>,
    /// Marks the row failed with a number of statements done.
    failed_state: RowState,
    /// Restores the version tables to their state before the revision
    /// (when a failure left no statement of it committed).
    pub(crate) undo: Vec<String>,
}

impl RevisionScript<'_> {
    pub(crate) fn mark_failed(
        &self,
        table: &VersionTable,
        dialect: Dialect,
        done: usize,
    ) -> String {
        table.set_progress(dialect, &self.revision, self.failed_state, done)
    }

    /// Each statement, with whether it runs outside a transaction.
    pub(crate) fn statement_flags(&self) -> Vec<(StatementRef, bool)> {
        self.chunks
            .iter()
            .flat_map(|chunk| {
                let bare = matches!(chunk, Chunk::Bare(_));
                chunk.statements().map(move |s| (s.clone(), bare))
            })
            .collect()
    }

    /// The SQL of statement `index` (1-based) when it runs on its own.
    pub(crate) fn bare_sql(&self, index: usize) -> Option<&str> {
        self.chunks.iter().find_map(|chunk| match chunk {
            Chunk::Bare(part) if part.statement.as_ref().is_some_and(|s| s.index == index) => {
                Some(part.sql.as_ref())
            }
            _ => None,
        })
    }

    /// Parents text for the `-- Running upgrade a -> b` comment.
    pub(crate) fn total(&self) -> usize {
        self.statements.len()
    }
}

/// Whether a statement of a section runs on its own, outside any
/// transaction: a `transaction:false` section, or any statement on MySQL
/// (whose DDL commits implicitly). Such a statement's outcome is unknown
/// when the run dies while it executes: the server may still commit it.
pub(crate) fn runs_bare(dialect: Dialect, section: &crate::plan::Section) -> bool {
    !section.transactional() || dialect == Dialect::MySql
}

/// When the first piece is transactional, the row's first write joins it:
/// one transaction fewer, and a failure there leaves nothing behind.
fn merge_leading_bookkeeping(chunks: &mut Vec<Chunk<'_>>) {
    let second_runs_statements = matches!(
        chunks.get(1),
        Some(Chunk::Tx(parts)) if parts.iter().any(|part| part.statement.is_some())
    );
    if !second_runs_statements {
        return;
    }
    if let Chunk::Tx(first) = chunks.remove(0) {
        if let Some(Chunk::Tx(parts)) = chunks.first_mut() {
            parts.splice(0..0, first);
        }
    }
}

/// Builds revision scripts for one dialect and version table.
pub(crate) struct ScriptBuilder<'t> {
    pub(crate) dialect: Dialect,
    pub(crate) table: &'t VersionTable,
}

enum Piece<'a> {
    Tx(Vec<Part<'a>>),
    Bare(Part<'a>),
}

impl<'t> ScriptBuilder<'t> {
    pub(crate) fn new(dialect: Dialect, table: &'t VersionTable) -> ScriptBuilder<'t> {
        ScriptBuilder { dialect, table }
    }

    fn pieces<'a>(
        &self,
        sections: &'a [crate::plan::Section],
    ) -> (Vec<Piece<'a>>, Vec<StatementRef>) {
        let mut pieces: Vec<Piece<'a>> = Vec::new();
        let mut statements = Vec::new();
        for section in sections {
            for statement in section.statements() {
                let reference = StatementRef {
                    index: statements.len() + 1,
                    line: statement.line(),
                };
                statements.push(reference.clone());
                let part = Part {
                    sql: Cow::Borrowed(statement.sql()),
                    statement: Some(reference),
                };
                if runs_bare(self.dialect, section) {
                    pieces.push(Piece::Bare(part));
                } else if let Some(Piece::Tx(parts)) = pieces.last_mut() {
                    parts.push(part);
                } else {
                    pieces.push(Piece::Tx(vec![part]));
                }
            }
            // A transactional section after a non-transactional one starts a new piece
            // (handled above); consecutive transactional sections merge.
        }
        (pieces, statements)
    }

    fn book<'a>(sql: String) -> Part<'a> {
        Part {
            sql: Cow::Owned(sql),
            statement: None,
        }
    }

    /// The script applying `revision`; `rows` becomes the state after it.
    pub(crate) fn upgrade<'a>(
        &self,
        revision: &'a Revision,
        downgrade_json: &str,
        rows: &mut Rows,
    ) -> RevisionScript<'a> {
        let (dialect, table) = (self.dialect, self.table);
        let id = revision.id();
        let checksum = crate::version_table::hex(revision.checksum());
        let parents: Vec<String> = revision
            .down_revisions()
            .iter()
            .map(|p| p.to_string())
            .collect();
        let summary_before = rows.summary();
        let (pieces, statements) = self.pieces(revision.upgrade());
        let total = statements.len();
        let simple = pieces.iter().all(|piece| matches!(piece, Piece::Tx(_)));

        let new_row = |state| NewRow {
            revision: id,
            checksum: &checksum,
            down_revisions: &parents,
            state,
            statements_done: 0,
            downgrade_sql: downgrade_json,
        };
        let mut chunks = Vec::new();
        if simple {
            rows.insert(id, &checksum, parents.clone(), RowState::Applied);
            let mut parts = vec![Self::book(
                table.insert(dialect, &new_row(RowState::Applied)),
            )];
            for piece in pieces {
                if let Piece::Tx(statement_parts) = piece {
                    parts.extend(statement_parts);
                }
            }
            parts.push(Self::book(table.finish(dialect, id, total)));
            parts.push(Self::book(table.write_summary(dialect, &rows.summary())));
            chunks.push(Chunk::Tx(parts));
        } else {
            rows.insert(id, &checksum, parents.clone(), RowState::Partial);
            let summary_partial = rows.summary();
            rows.set_state(id, RowState::Applied);
            let summary_after = rows.summary();
            chunks.push(Chunk::Tx(vec![
                Self::book(table.insert(dialect, &new_row(RowState::Partial))),
                Self::book(table.write_summary(dialect, &summary_partial)),
            ]));
            self.push_pieces(&mut chunks, pieces, id, RowState::Partial);
            merge_leading_bookkeeping(&mut chunks);
            self.finish_chunks(
                &mut chunks,
                vec![
                    Self::book(table.finish(dialect, id, total)),
                    Self::book(table.write_summary(dialect, &summary_after)),
                ],
            );
        }
        RevisionScript {
            revision: id.to_string(),
            file: revision.file().to_string(),
            direction: Direction::Upgrade,
            statements,
            chunks,
            failed_state: RowState::Failed,
            undo: vec![
                table.delete(dialect, id),
                table.write_summary(dialect, &summary_before),
            ],
        }
    }

    /// The script reverting `revision`; `rows` becomes the state after it.
    pub(crate) fn downgrade<'a>(
        &self,
        revision: &'a Revision,
        rows: &mut Rows,
    ) -> RevisionScript<'a> {
        let (dialect, table) = (self.dialect, self.table);
        let id = revision.id();
        let summary_before = rows.summary();
        let done_before = rows
            .get(id)
            .map(|row| row.statements_done.max(0) as usize)
            .unwrap_or(0);
        let (pieces, statements) = self.pieces(revision.downgrade());
        let simple = pieces.iter().all(|piece| matches!(piece, Piece::Tx(_)));
        let mut chunks = Vec::new();
        if simple {
            rows.remove(id);
            let mut parts = Vec::new();
            for piece in pieces {
                if let Piece::Tx(statement_parts) = piece {
                    parts.extend(statement_parts);
                }
            }
            parts.push(Self::book(table.delete(dialect, id)));
            parts.push(Self::book(table.write_summary(dialect, &rows.summary())));
            chunks.push(Chunk::Tx(parts));
        } else {
            rows.set_state(id, RowState::Reverting);
            let summary_reverting = rows.summary();
            rows.remove(id);
            let summary_after = rows.summary();
            chunks.push(Chunk::Tx(vec![
                Self::book(table.set_progress(dialect, id, RowState::Reverting, 0)),
                Self::book(table.write_summary(dialect, &summary_reverting)),
            ]));
            self.push_pieces(&mut chunks, pieces, id, RowState::Reverting);
            merge_leading_bookkeeping(&mut chunks);
            self.finish_chunks(
                &mut chunks,
                vec![
                    Self::book(table.delete(dialect, id)),
                    Self::book(table.write_summary(dialect, &summary_after)),
                ],
            );
        }
        RevisionScript {
            revision: id.to_string(),
            file: revision.file().to_string(),
            direction: Direction::Downgrade,
            statements,
            chunks,
            failed_state: RowState::RevertFailed,
            undo: vec![
                table.set_progress(dialect, id, RowState::Applied, done_before),
                table.write_summary(dialect, &summary_before),
            ],
        }
    }

    /// Statement pieces, each followed by a progress write.
    fn push_pieces<'a>(
        &self,
        chunks: &mut Vec<Chunk<'a>>,
        pieces: Vec<Piece<'a>>,
        id: &str,
        state: RowState,
    ) {
        let mut done = 0;
        for piece in pieces {
            match piece {
                Piece::Tx(mut parts) => {
                    done += parts.len();
                    parts.push(Self::book(self.table.set_progress(
                        self.dialect,
                        id,
                        state,
                        done,
                    )));
                    chunks.push(Chunk::Tx(parts));
                }
                Piece::Bare(part) => {
                    done += 1;
                    chunks.push(Chunk::Bare(part));
                    chunks.push(Chunk::Tx(vec![Self::book(self.table.set_progress(
                        self.dialect,
                        id,
                        state,
                        done,
                    ))]));
                }
            }
        }
    }

    /// Ends with the final writes: folded into the last transactional
    /// piece (replacing its progress write) so that piece and the final
    /// state commit together.
    fn finish_chunks<'a>(&self, chunks: &mut Vec<Chunk<'a>>, finals: Vec<Part<'a>>) {
        let last_is_statement_tx = matches!(
            chunks.last(),
            Some(Chunk::Tx(parts)) if parts.iter().any(|part| part.statement.is_some())
        );
        if last_is_statement_tx {
            if let Some(Chunk::Tx(parts)) = chunks.last_mut() {
                parts.pop();
                parts.extend(finals);
            }
        } else {
            // A trailing progress write after a bare statement is replaced
            // by the final state.
            if matches!(chunks.last(), Some(Chunk::Tx(parts)) if parts.len() == 1 && parts[0].statement.is_none())
                && chunks.len() > 1
            {
                chunks.pop();
            }
            chunks.push(Chunk::Tx(finals));
        }
    }
}
