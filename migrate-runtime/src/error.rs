//! The runtime's error type, and the redaction of database URLs.
//!
//! Every error is data: a migration that cannot run comes back as an
//! [`Error`] naming the revision, its file, the line of the failing statement
//! and the database's own message. Nothing here ever holds a password: URLs
//! pass through [`redact_url`] before they are stored, and database messages
//! through [`redact_text`].

use std::fmt;
use std::time::Duration;

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
        write!(f, ": {}", self.message)?;
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
    /// tell (an index's existence and validity).
    pub catalog: Option<String>,
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
        if let Some(unknown) = &self.unknown {
            write!(
                f,
                "; {}: {UNKNOWN_OUTCOME}",
                describe_statements(file, std::slice::from_ref(unknown))
            )?;
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
        reason: &'static str,
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
    /// A revision left failed or half done by an earlier run.
    #[error("{0}")]
    Unresolved(Box<UnresolvedRevision>),
    /// A statement failed.
    #[error("{0}")]
    Statement(Box<StatementError>),
    /// The migration lock was lost during a run.
    #[error("{0}")]
    LockLost(Box<LockLost>),
    /// The migration lock was not obtained in time.
    #[error("timed out after {timeout:?} waiting for the migration lock ({what}); another migration is running, or a session holds the lock; raise `lock_timeout` or find that session")]
    LockTimeout {
        /// How long we waited.
        timeout: Duration,
        /// Which lock.
        what: String,
    },
    /// `check`: the database is not at the plan's head(s).
    #[error("the database is not at head: current {}, pending {}", list_or_none(.current), list_or_none(.pending))]
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
    /// The offline script was asked for something it cannot express.
    #[error("offline SQL: {0}")]
    Offline(String),
}

fn list_or_none(ids: &[String]) -> String {
    if ids.is_empty() {
        "(none)".to_string()
    } else {
        ids.join(", ")
    }
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

/// `url` with its password replaced by `***`; any other part is kept.
///
/// ```
/// assert_eq!(
///     migrate_runtime::redact_url("postgres://app:s3cret@db:5432/prod"),
///     "postgres://app:***@db:5432/prod"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return redact_query_password(url);
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let redacted = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{}", &userinfo[..colon], &authority[at..]),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = redact_query_password(&rest[authority_len..]);
    format!("{}{}{}", &url[..authority_start], redacted, tail)
}

/// Query parameters such as `?password=...` carry secrets too.
fn redact_query_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.to_ascii_lowercase().find("password=") {
        let value_start = position + "password=".len();
        out.push_str(&rest[..value_start]);
        out.push_str("***");
        let value_len = rest[value_start..]
            .find(['&', ' ', '#'])
            .unwrap_or(rest.len() - value_start);
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

/// Redacts every URL-looking word of a free text (a driver message may
/// quote the URL it was given).
pub fn redact_text(text: &str) -> String {
    if !text.contains("://") && !text.to_ascii_lowercase().contains("password=") {
        return text.to_string();
    }
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            let redacted = redact_url(trimmed);
            format!("{redacted}{}", &word[trimmed.len()..])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(redact_url(input), expected);
    }

    #[test]
    fn passwords_never_survive() {
        check(
            "postgres://root@127.0.0.1:5432/postgres",
            "postgres://root@127.0.0.1:5432/postgres",
        );
        check(
            "postgres://app:s3cret@db/prod",
            "postgres://app:***@db/prod",
        );
        check(
            "mysql://root:p%40ss@h:3306/x?ssl-mode=disabled",
            "mysql://root:***@h:3306/x?ssl-mode=disabled",
        );
        check("postgres://u:a:b@c@host/db", "postgres://u:***@host/db");
        check(
            "postgres://host/db?user=u&password=hunter2&x=1",
            "postgres://host/db?user=u&password=***&x=1",
        );
        check("sqlite://data.db", "sqlite://data.db");
        check("sqlite:data.db", "sqlite:data.db");
    }

    #[test]
    fn text_redaction_finds_urls_inside_messages() {
        let message = "error connecting to postgres://app:hunter2@db/prod: refused";
        let redacted = redact_text(message);
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(redacted.contains("app:***@db"), "{redacted}");
    }
}
