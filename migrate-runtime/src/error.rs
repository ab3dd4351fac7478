//! The runtime's error type.
//!
//! Every error is data: a migration that cannot run comes back as an
//! [`Error`] naming the revision, its file, the line of the failing statement
//! and the database's own message. Nothing here ever holds a password: URLs
//! pass through [`redact_url`](crate::redact_url) before they are stored, and database messages
//! through [`redact_text`] (both in `url_mask`, the one copy of the rule).

use std::fmt;
use std::time::Duration;

use crate::url_mask::redact_text;

/// Upgrade or downgrade: which way a revision was being moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Running `-- migrate:upgrade` sections.
    Upgrade,
    /// Running `-- migrate:downgrade` sections.
    Downgrade,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        })
    }
}

/// A statement of a revision, by its position and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// 1-based position among the revision's statements of this direction
    /// (all sections, in file order).
    pub index: usize,
    /// 1-based line in the migration file (0 when unknown).
    pub line: u32,
}

/// A statement failed while applying or reverting a revision.
#[derive(Debug, Clone)]
pub struct StatementError {
    /// The revision being applied or reverted.
    pub revision: String,
    /// Its migration file.
    pub file: String,
    /// Which way it was moving.
    pub direction: Direction,
    /// The failing statement, when it could be pinned down.
    pub statement: Option<StatementRef>,
    /// How many statements the revision has in this direction.
    pub total: usize,
    /// Statements of this revision that ran and stay committed (MySQL DDL,
    /// `transaction:false` sections). Empty when everything rolled back.
    pub committed: Vec<StatementRef>,
    /// True when the database is exactly as before the revision (or, in the
    /// single-transaction mode, as before the run).
    pub rolled_back: bool,
    /// Revisions of the same run whose work was rolled back with this one
    /// (single-transaction mode).
    pub rolled_back_revisions: Vec<String>,
    /// The database's message.
    pub message: String,
    /// The statement timeout, when it fired while the statement ran and the
    /// runtime cancelled the statement (the message is then the server's
    /// answer to the cancel).
    pub timed_out: Option<Duration>,
    /// What the failed statement left behind, where the catalog shows it
    /// (a failed `CREATE INDEX CONCURRENTLY` keeps an INVALID index).
    pub left_behind: Option<String>,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of revision {} failed", self.direction, self.revision)?;
        match &self.statement {
            Some(statement) => write!(
                f,
                " at {}:{} (statement {} of {})",
                self.file, statement.line, statement.index, self.total
            )?,
            None => write!(f, " in {}", self.file)?,
        }
        match self.timed_out {
            Some(after) => write!(
                f,
                ": the statement timeout ({after:?}) fired while it ran, and the runtime cancelled it (the server answered: {})",
                self.message
            )?,
            None => write!(f, ": {}", self.message)?,
        }
        if let Some(left) = &self.left_behind {
            write!(f, "; {left}")?;
        }
        if self.rolled_back {
            if self.rolled_back_revisions.len() > 1 {
                write!(
                    f,
                    "; the run's transaction was rolled back, none of {} is applied",
                    self.rolled_back_revisions.join(", ")
                )?;
            } else {
                write!(
                    f,
                    "; it was rolled back, the database is as before this revision"
                )?;
            }
        } else if self.committed.is_empty() {
            write!(
                f,
                "; no statement of this revision is committed, and it is marked failed in the version table"
            )?;
        } else {
            write!(
                f,
                "; these statements ran and stay committed: {}; the revision is marked failed: fix the database by hand, then `stamp` the revision it is now at",
                describe_statements(&self.file, &self.committed)
            )?;
        }
        Ok(())
    }
}

/// The migration lock's session ended while a run held the lock (an
/// administrator terminated it, or its connection failed): the run stopped
/// before committing anything more.
#[derive(Debug, Clone)]
pub struct LockLost {
    /// Which lock, and the session that held it.
    pub lock: String,
    /// The revision being moved when the loss was noticed.
    pub revision: Option<String>,
    /// Its file.
    pub file: Option<String>,
    /// Which way the run went.
    pub direction: Direction,
    /// Statements of that revision that ran and stay committed (the
    /// revision is then marked failed).
    pub committed: Vec<StatementRef>,
    /// Revisions whose work was rolled back when the run stopped.
    pub rolled_back_revisions: Vec<String>,
}

impl fmt::Display for LockLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the migration lock was lost ({}): its session ended (terminated, or its connection failed), so the {} stopped before committing anything more",
            self.lock, self.direction
        )?;
        let file = self.file.as_deref().unwrap_or("<unknown file>");
        if let Some(revision) = &self.revision {
            write!(f, "; revision {revision} ({file}): ")?;
            if self.committed.is_empty() {
                write!(f, "none of its statements is committed")?;
            } else {
                write!(
                    f,
                    "these statements ran and stay committed: {}; the revision is marked failed: finish or undo the rest by hand, then `stamp` the revision it is now at",
                    describe_statements(file, &self.committed)
                )?;
            }
        }
        if !self.rolled_back_revisions.is_empty() {
            write!(
                f,
                "; rolled back: {}",
                self.rolled_back_revisions.join(", ")
            )?;
        }
        write!(
            f,
            ". Another migrator may hold the lock now; run again once it is done"
        )
    }
}

/// The connection failed (or a client-side timeout fired) while a revision
/// was being moved; the runtime reconnected and read the version table (once
/// the failed session had ended on the server) to say what is true.
#[derive(Debug, Clone)]
pub struct ConnectionLost {
    /// What failed: the driver's message, or which timeout fired.
    pub cause: String,
    /// The revision being moved.
    pub revision: String,
    /// Its file.
    pub file: String,
    /// Which way it was moving.
    pub direction: Direction,
    /// The statement that was running, when it could be pinned down.
    pub statement: Option<StatementRef>,
    /// How many statements the revision has in this direction, when known.
    pub total: Option<usize>,
    /// What the version table shows about it afterwards.
    pub found: LostOutcome,
}

/// What the version table showed after a connection failure.
#[derive(Debug, Clone)]
pub enum LostOutcome {
    /// The revision's move committed before the connection failed.
    Committed,
    /// Nothing of the revision's move committed: the database is as before it.
    NotCommitted,
    /// The revision is recorded part way (statements outside transactions).
    Partial(Box<UnresolvedRevision>),
    /// The runtime could not find out (why).
    Unknown(String),
}

impl fmt::Display for ConnectionLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (done, undone) = match self.direction {
            Direction::Upgrade => ("applied", "not applied"),
            Direction::Downgrade => ("reverted", "not reverted"),
        };
        write!(
            f,
            "the connection failed during {} of revision {} ",
            self.direction, self.revision
        )?;
        match (&self.statement, self.total) {
            (Some(statement), Some(total)) => write!(
                f,
                "at {}:{} (statement {} of {total})",
                self.file, statement.line, statement.index
            )?,
            (Some(statement), None) => write!(f, "at {}:{}", self.file, statement.line)?,
            (None, _) => write!(f, "({})", self.file)?,
        }
        write!(f, ": {}; ", self.cause)?;
        match &self.found {
            LostOutcome::Committed => write!(
                f,
                "after reconnecting, the version table shows it {done}: it committed before the connection failed. The run stopped there; run again to continue"
            ),
            LostOutcome::NotCommitted => write!(
                f,
                "after reconnecting, the version table shows it {undone}: none of it committed, the database is as before this revision. The run stopped there; run again to continue"
            ),
            LostOutcome::Partial(unresolved) => write!(
                f,
                "after reconnecting, the version table shows it part way: {unresolved}"
            ),
            LostOutcome::Unknown(why) => write!(
                f,
                "whether it committed is unknown ({why}): {UNKNOWN_OUTCOME} (`current` shows the version table) before running again"
            ),
        }
    }
}

/// A revision an earlier run left failed or half done: the next run refuses.
#[derive(Debug, Clone)]
pub struct UnresolvedRevision {
    /// The revision id.
    pub revision: String,
    /// Its file, when the plan knows the revision.
    pub file: Option<String>,
    /// `failed`, `partial` (interrupted), `revert_failed` or `reverting`.
    pub state: String,
    /// The statements of the interrupted direction that ran.
    pub ran: Vec<StatementRef>,
    /// The statement that was running outside a transaction when the run
    /// was interrupted: the server may have committed it after the client
    /// died, so whether it ran is unknown.
    pub unknown: Option<StatementRef>,
    /// What the catalog shows about the unknown statement, when it can
    /// tell (an index's existence and validity), or what the failed
    /// statement left behind.
    pub catalog: Option<String>,
    /// The statement a `failed` or `revert_failed` row stopped at: it
    /// returned the error that stopped the run (or the run stopped before
    /// it, when the migration lock was lost). It did not complete, and one
    /// that ran outside a transaction may have left something behind,
    /// which the catalog is asked about.
    pub stopped_at: Option<StatementRef>,
    /// The statements that did not run.
    pub not_run: Vec<StatementRef>,
}

impl fmt::Display for UnresolvedRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.state.as_str() {
            "failed" => "failed during upgrade in an earlier run",
            "partial" => "was left part way through its upgrade by a run that stopped (killed, cut off, or it lost the migration lock)",
            "revert_failed" => "failed during downgrade in an earlier run",
            _ => "was left part way through its downgrade by a run that stopped (killed, cut off, or it lost the migration lock)",
        };
        let file = self.file.as_deref().unwrap_or("<unknown file>");
        write!(f, "revision {} ({file}) {what}", self.revision)?;
        if self.ran.is_empty() {
            write!(f, "; none of its statements ran")?;
        } else {
            write!(
                f,
                "; statements that ran: {}",
                describe_statements(file, &self.ran)
            )?;
        }
        // The one statement the catalog was asked about, with its answer.
        let asked = [
            self.unknown
                .as_ref()
                .map(|s| (s, format!(": {UNKNOWN_OUTCOME}"), "")),
            self.stopped_at
                .as_ref()
                .map(|s| (s, String::new(), "did not complete: ")),
        ];
        for (statement, after, before) in asked.into_iter().flatten() {
            let described = describe_statements(file, std::slice::from_ref(statement));
            write!(f, "; {before}{described}{after}")?;
            if let Some(catalog) = &self.catalog {
                write!(f, " ({catalog})")?;
            }
        }
        if !self.not_run.is_empty() {
            write!(f, "; not run: {}", describe_statements(file, &self.not_run))?;
        }
        write!(
            f,
            ". Finish or undo those statements by hand, then record the real state with `stamp <revision>` (a stamp replaces this row)"
        )
    }
}

/// Splits a revision's statements by what a record of `done` statements
/// says: ran, the one whose outcome is unknown (the next, when the run was
/// interrupted while it ran outside a transaction), and not run. `bare`
/// tells, per statement, whether it runs outside a transaction.
pub(crate) fn split_record(
    statements: &[(StatementRef, bool)],
    done: usize,
    interrupted: bool,
) -> (Vec<StatementRef>, Option<StatementRef>, Vec<StatementRef>) {
    let done = done.min(statements.len());
    let unknown = statements
        .get(done)
        .filter(|(_, bare)| interrupted && *bare)
        .map(|(statement, _)| statement.clone());
    let not_run_from = done + usize::from(unknown.is_some());
    let refs = |range: &[(StatementRef, bool)]| range.iter().map(|(s, _)| s.clone()).collect();
    (
        refs(&statements[..done]),
        unknown,
        refs(&statements[not_run_from..]),
    )
}

/// How every message words a statement whose outcome is unknown.
pub const UNKNOWN_OUTCOME: &str = "unknown: check whether it committed";

pub(crate) fn describe_statements(file: &str, statements: &[StatementRef]) -> String {
    statements
        .iter()
        .map(|statement| format!("#{} ({file}:{})", statement.index, statement.line))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything that can go wrong in the runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A target string that does not follow the target syntax.
    #[error("invalid target `{input}`: {reason}")]
    InvalidTarget {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No revision has this id, prefix or branch label.
    #[error("no revision matches `{reference}`; `cargo migrate history` lists them")]
    UnknownRevision {
        /// The id, prefix or label.
        reference: String,
    },
    /// A prefix that matches several revisions.
    #[error("revision prefix `{prefix}` is ambiguous: it matches {}; give more characters", .matches.join(", "))]
    AmbiguousRevision {
        /// The prefix given.
        prefix: String,
        /// Every revision it matches.
        matches: Vec<String>,
    },
    /// `head` when the plan (or a branch) has several heads.
    #[error("`head` is ambiguous: there are several heads ({}); name one, use `<label>@head`, or `heads`", .heads.join(", "))]
    MultipleHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// A target that does not resolve on this plan from the database's
    /// state (an ambiguous walk or relative move, a branch it is not on...);
    /// the message names the ambiguity and the target that resolves it.
    #[error("{0}")]
    Resolve(migrate_core::ResolveError),
    /// A version table name that is not a plain identifier.
    #[error("invalid version table name `{name}`: {reason}")]
    InvalidVersionTable {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A target that cannot be reached in the requested direction.
    #[error("cannot {direction} to `{target}`: {reason}")]
    InvalidMove {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The target as given.
        target: String,
        /// Why.
        reason: String,
    },
    /// An applied revision whose statements changed since it was applied.
    #[error("revision {revision} ({file}) was applied with checksum {stored}, but its file now has checksum {expected}: a statement was edited after it was applied; restore the statement and put the change in a new revision, or turn checksum verification off for this run if the edit is intended")]
    ChecksumMismatch {
        /// The revision id.
        revision: String,
        /// Its file.
        file: String,
        /// The checksum in the version table.
        stored: String,
        /// The checksum in the plan.
        expected: String,
    },
    /// The database holds revisions this plan does not know.
    #[error("the database holds revision(s) this binary does not know: {}; a newer version of the application migrated it: deploy that version, or revert them with `downgrade` and `revert_unknown(true)`", .revisions.join(", "))]
    UnknownApplied {
        /// Their ids.
        revisions: Vec<String>,
    },
    /// A revision recorded as applied while one of its ancestors is not:
    /// the version table was edited by hand. Nothing is run on it.
    #[error("the version table is inconsistent: revision {revision} is recorded as applied, but its ancestor {} is not (a row deleted by hand?); nothing was run. If the changes of {} are in the database, record them with {}; if they are not, undo the changes of the revisions above them by hand and `stamp` the revision the database is really at", .missing.join(", "), .missing.join(", "), stamp_hint(.heads, .revision))]
    BrokenAncestry {
        /// The applied revision.
        revision: String,
        /// Its parents (or dependencies) not recorded as applied.
        missing: Vec<String>,
        /// The applied heads.
        heads: Vec<String>,
    },
    /// A revision left failed or half done by an earlier run.
    #[error("{0}")]
    Unresolved(Box<UnresolvedRevision>),
    /// A statement failed.
    #[error("{0}")]
    Statement(Box<StatementError>),
    /// The migration lock was lost during a run.
    #[error("{0}")]
    LockLost(Box<LockLost>),
    /// The connection failed (or a timeout fired) mid-run; what the version
    /// table showed afterwards.
    #[error("{0}")]
    ConnectionLost(Box<ConnectionLost>),
    /// The migration lock was not obtained in time.
    #[error("timed out after {timeout:?} waiting for the migration lock ({what}); another migration is running, or a session holds the lock; raise `lock_timeout` or find that session")]
    LockTimeout {
        /// How long we waited.
        timeout: Duration,
        /// Which lock.
        what: String,
    },
    /// `check`: the database is not at the plan's head(s); a long pending
    /// list is cut so that the message stays one readable line.
    #[error("the database is not at head: current {}, pending {}", list_or_none(.current), summarize(.pending))]
    NotAtHead {
        /// The applied heads.
        current: Vec<String>,
        /// The revisions still to apply, in plan order.
        pending: Vec<String>,
    },
    /// A database error outside any migration statement.
    #[error("{context}: {message}")]
    Database {
        /// What the runtime was doing.
        context: String,
        /// The database's (redacted) message.
        message: String,
    },
    /// The version table holds something the runtime cannot read.
    #[error("the version table is damaged: {0}")]
    CorruptVersionTable(String),
    /// A URL whose scheme is not sqlite, postgres or mysql.
    #[error("unsupported database URL `{0}`: expected sqlite:, postgres:, postgresql:, mysql: or mariadb:")]
    UnsupportedUrl(String),
    /// The history was validated for one database and the run targets
    /// another: refused before anything runs (a `postgres` history on SQLite
    /// would fail half way, after committing the revisions SQLite accepts).
    #[error("{}", dialect_mismatch(*.plan, *.target, *.offline))]
    DialectMismatch {
        /// The plan's dialect.
        plan: crate::plan::Dialect,
        /// The database's (or the requested script's) dialect.
        target: crate::plan::Dialect,
        /// True for an offline script (`sql`), false for a database.
        offline: bool,
    },
    /// A URL whose driver this build leaves out (its feature is off).
    #[error("`{url}` needs the {feature} driver, which this program was built without: enable migrate-runtime's `{feature}` feature")]
    DriverNotCompiled {
        /// The URL, its password masked.
        url: String,
        /// The feature that compiles the driver in (`sqlite`, `postgres` or `mysql`).
        feature: &'static str,
    },
    /// The offline script was asked for something it cannot express.
    #[error("offline SQL: {0}")]
    Offline(String),
    /// A fleet target that cannot be used, and where it was given.
    #[error("invalid fleet target at {origin}: {reason}")]
    InvalidFleetTarget {
        /// Where: `file:line`, `--targets-query row N`, or the library's list.
        origin: String,
        /// Why it is refused.
        reason: String,
    },
    /// `stamp --adopt`: the other tool's table says something this
    /// directory cannot take over (a version it lacks, one skipped in the
    /// middle, a migration left half done); nothing was recorded.
    #[error("cannot adopt the database: {0}; nothing was recorded")]
    NotAdoptable(#[from] migrate_core::adopt::AdoptError),
    /// `stamp --adopt`: no such table, or the version table already
    /// records other revisions; nothing was recorded.
    #[error("cannot adopt the database: {0}; nothing was recorded")]
    Adopt(String),
}

/// The message of [`Error::DialectMismatch`], naming the way out: the right
/// database (or script dialect), or a generic history when it is meant to
/// run on several databases.
fn dialect_mismatch(
    plan: crate::plan::Dialect,
    target: crate::plan::Dialect,
    offline: bool,
) -> String {
    let (what, outcome, fix) = if offline {
        (
            format!("a {} script was asked for", target.database()),
            "no script was written",
            format!("ask for a `{}` script", plan.name()),
        )
    } else {
        (
            format!("the database is {}", target.database()),
            "nothing was run",
            format!("point the URL at a {} database", plan.database()),
        )
    };
    format!(
        "this history is written for {} (`dialect = \"{}\"` in migrate.toml), but {what}; {outcome}: {fix}, or set `dialect = \"generic\"` if the history is meant to run on several databases",
        plan.database(),
        plan.name(),
    )
}

/// How to `stamp` the missing ancestors: to the one applied head; with
/// several, `stamp` replaces the whole state, so the other heads are named.
fn stamp_hint(heads: &[String], revision: &str) -> String {
    match heads {
        [head] => format!("`stamp {head}`"),
        _ => format!(
            "`stamp {revision}` (which replaces the whole state: the applied heads are {}, so check `history` first)",
            heads.join(", ")
        ),
    }
}

fn list_or_none(ids: &[String]) -> String {
    if ids.is_empty() {
        "(none)".to_string()
    } else {
        ids.join(", ")
    }
}

/// At most five ids, then how many more and where to see them.
fn summarize(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    if ids.len() <= SHOWN {
        return list_or_none(ids);
    }
    format!(
        "{} and {} more (`history -r current:` lists them)",
        ids[..SHOWN].join(", "),
        ids.len() - SHOWN
    )
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn database(context: impl Into<String>, error: &sqlx::Error) -> Error {
        Error::Database {
            context: context.into(),
            message: database_message(error),
        }
    }
}

/// The database's own message for an error, without sqlx's prefix, redacted.
pub(crate) fn database_message(error: &sqlx::Error) -> String {
    let text = match error {
        sqlx::Error::Database(database_error) => match database_error.code() {
            Some(code) => format!("{} (code {code})", database_error.message()),
            None => database_error.message().to_string(),
        },
        other => other.to_string(),
    };
    redact_text(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(indexes: &[usize]) -> Vec<StatementRef> {
        indexes
            .iter()
            .map(|&index| StatementRef { index, line: 0 })
            .collect()
    }

    #[test]
    fn an_interrupted_bare_statement_is_unknown_never_not_run() {
        let statements: Vec<(StatementRef, bool)> = refs(&[1, 2, 3, 4])
            .into_iter()
            .zip([false, true, true, false])
            .collect();
        // Interrupted after #1: #2 ran outside a transaction, so it may have committed.
        let (ran, unknown, not_run) = split_record(&statements, 1, true);
        assert_eq!(
            (ran, unknown, not_run),
            (refs(&[1]), refs(&[2]).pop(), refs(&[3, 4]))
        );
        // Interrupted after #3: #4 runs inside a transaction, which did not commit.
        let (ran, unknown, not_run) = split_record(&statements, 3, true);
        assert_eq!(
            (ran, unknown, not_run),
            (refs(&[1, 2, 3]), None, refs(&[4]))
        );
        // A recorded failure is exact.
        let (ran, unknown, not_run) = split_record(&statements, 1, false);
        assert_eq!(
            (ran, unknown, not_run),
            (refs(&[1]), None, refs(&[2, 3, 4]))
        );
        // A count beyond the statements (a hand-edited row) is clamped.
        let (ran, unknown, not_run) = split_record(&statements, 9, true);
        assert_eq!((ran.len(), unknown, not_run.len()), (4, None, 0));
    }
}
