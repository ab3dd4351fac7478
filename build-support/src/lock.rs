//! `migrations/migrate.lock`: the revision ids in plan order and the head(s).
//!
//! The file exists for git, not for the compiler: when two branches each add
//! a revision, both append a line at the same place, so the merge of the two
//! branches conflicts in this file before anyone builds a history with two
//! heads. It holds no checksums, so editing a revision's SQL never touches it.
//!
//! ```text
//! # migrate.lock: revision ids in plan order, written by `cargo migrate lock`. Commit it.
//! 1a2b3c4d5e6f
//! 2b3c4d5e6f70
//! head: 2b3c4d5e6f70
//! ```
//!
//! The build checks only that the lock names the same *set* of revisions as
//! the directory (`stale-lock` otherwise); order and head lines are for the
//! reader and for git.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::CompiledRevision;

/// The file name inside the migrations directory.
pub const LOCK_FILE: &str = "migrate.lock";

const HEADER: &str =
    "# migrate.lock: revision ids in plan order, written by `cargo migrate lock`. Commit it.\n\
# A git conflict here means two branches each added a revision: resolve it by keeping both ids,\n\
# then run `cargo migrate merge heads -m \"...\"` and `cargo migrate lock`.\n";

/// A parsed lock file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lock {
    /// Revision ids in the order written, each with the byte range of its line.
    pub revisions: Vec<(String, Range<usize>)>,
    /// The `head:` lines.
    pub heads: Vec<String>,
}

/// A line of the lock file that is not a comment, an id or a `head:` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of migrate.lock is not a revision id, a `head:` line or a comment")]
pub struct LockError {
    /// 1-based line number.
    pub line: usize,
    /// Byte range of the line.
    pub span: Range<usize>,
}

/// Renders the lock for `revisions`, which must be in plan order.
pub fn render_lock(revisions: &[CompiledRevision]) -> String {
    let order: Vec<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
    render_ids(&order, &crate::graph::heads(revisions))
}

/// Renders the lock for revision ids in plan order and the heads: the one
/// writer of the format (`cargo migrate` renders it from headers alone).
pub fn render_ids(order: &[&str], heads: &[&str]) -> String {
    let mut out = String::from(HEADER);
    for id in order {
        out.push_str(id);
        out.push('\n');
    }
    for head in heads {
        out.push_str("head: ");
        out.push_str(head);
        out.push('\n');
    }
    out
}

/// The text of `dir/migrate.lock` (shown as `display`), `None` when there
/// is none; a diagnostic when it cannot be read as text: a directory, a
/// file that is not UTF-8 or that cannot be opened is never taken for a
/// fresh lock.
pub fn read_lock(dir: &Path, display: &Path) -> Result<Option<String>, Diagnostic> {
    let unreadable = |why: String| Diagnostic {
        severity: Severity::Error,
        code: "unreadable-lock",
        message: format!("cannot read `{}`: {why}", display.display()),
        labels: Vec::new(),
        notes: Vec::new(),
        help: Some(
            "make it a readable UTF-8 file, or delete it and run `cargo migrate lock`".to_string(),
        ),
    };
    let path = dir.join(LOCK_FILE);
    match std::fs::metadata(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(&path) {
                Ok(_) => Err(unreadable("it is a symbolic link to nothing".to_string())),
                Err(_) => Ok(None),
            };
        }
        Err(error) => return Err(unreadable(error.to_string())),
        Ok(metadata) if !metadata.is_file() => {
            return Err(unreadable("it is not a regular file".to_string()))
        }
        Ok(_) => {}
    }
    match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|error| {
            unreadable(format!(
                "it is not valid UTF-8 (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ))
        }),
        Err(error) => Err(unreadable(error.to_string())),
    }
}

/// Parses a lock file. Blank lines and `#` comments are ignored.
pub fn parse_lock(text: &str) -> Result<Lock, LockError> {
    let mut lock = Lock::default();
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let leading = line.len() - line.trim_start().len();
        let span = start + leading..start + leading + trimmed.len();
        if let Some(head) = trimmed.strip_prefix("head:") {
            let head = head.trim();
            if head.is_empty() || head.contains(char::is_whitespace) {
                return Err(LockError {
                    line: number + 1,
                    span,
                });
            }
            lock.heads.push(head.to_string());
        } else if trimmed.contains(char::is_whitespace) {
            return Err(LockError {
                line: number + 1,
                span,
            });
        } else {
            lock.revisions.push((trimmed.to_string(), span));
        }
    }
    Ok(lock)
}

/// The build's lock check: `lock_text` is the lock file's content, shown as
/// `lock_file`; `revisions` are the directory's revisions.
pub fn check(lock_text: &str, lock_file: &Path, revisions: &[CompiledRevision]) -> Vec<Diagnostic> {
    let help = "run `cargo migrate lock` to rewrite migrate.lock, and commit it".to_string();
    let lock = match parse_lock(lock_text) {
        Ok(lock) => lock,
        Err(error) => {
            return vec![Diagnostic {
                severity: Severity::Error,
                code: "invalid-lock",
                message: error.to_string(),
                labels: vec![Label {
                    file: lock_file.to_path_buf(),
                    span: error.span,
                    message: "expected one revision id per line".to_string(),
                    primary: true,
                }],
                notes: Vec::new(),
                help: Some(help),
            }];
        }
    };
    let locked: BTreeSet<&str> = lock.revisions.iter().map(|(id, _)| id.as_str()).collect();
    let present: BTreeSet<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
    let added: Vec<&str> = present.difference(&locked).copied().collect();
    let removed: Vec<&str> = locked.difference(&present).copied().collect();
    if added.is_empty() && removed.is_empty() {
        return Vec::new();
    }
    let mut labels = Vec::new();
    for id in &removed {
        if let Some((_, span)) = lock.revisions.iter().find(|(locked_id, _)| locked_id == id) {
            labels.push(Label {
                file: lock_file.to_path_buf(),
                span: span.clone(),
                message: "no file has this revision".to_string(),
                primary: labels.is_empty(),
            });
        }
    }
    for id in &added {
        if let Some(revision) = revisions.iter().find(|r| r.id == *id) {
            labels.push(Label {
                file: revision.file.clone(),
                span: revision
                    .header_spans
                    .get("revision")
                    .cloned()
                    .unwrap_or(0..0),
                message: "not in migrate.lock".to_string(),
                primary: labels.is_empty(),
            });
        }
    }
    let mut notes = Vec::new();
    if !added.is_empty() {
        notes.push(format!(
            "added since the lock was written: {}",
            added.join(", ")
        ));
    }
    if !removed.is_empty() {
        notes.push(format!(
            "in the lock but not in the directory: {}",
            removed.join(", ")
        ));
    }
    vec![Diagnostic {
        severity: Severity::Error,
        code: "stale-lock",
        message: format!(
            "migrate.lock names a different set of revisions than the directory ({} added, {} removed)",
            added.len(),
            removed.len()
        ),
        labels,
        notes,
        help: Some(help),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::revision;

    #[test]
    fn render_then_parse_round_trips() {
        let revisions = vec![revision("aaaa", &[]), revision("bbbb", &["aaaa"])];
        let text = render_lock(&revisions);
        assert!(text.ends_with("aaaa\nbbbb\nhead: bbbb\n"), "{text}");
        let lock = parse_lock(&text).expect("parses");
        let ids: Vec<&str> = lock.revisions.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "bbbb"]);
        assert_eq!(lock.heads, ["bbbb"]);
        assert!(check(&text, Path::new("m/migrate.lock"), &revisions).is_empty());
    }

    #[test]
    fn stale_lock_lists_added_and_removed() {
        let revisions = vec![revision("aaaa", &[]), revision("cccc", &["aaaa"])];
        let found = check(
            "aaaa\nbbbb\nhead: bbbb\n",
            Path::new("m/migrate.lock"),
            &revisions,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "stale-lock");
        assert_eq!(found[0].notes[0], "added since the lock was written: cccc");
        assert_eq!(
            found[0].notes[1],
            "in the lock but not in the directory: bbbb"
        );
        assert_eq!(found[0].labels[0].span, 5..9);
    }

    #[test]
    fn garbage_line_is_an_error_not_a_panic() {
        let error = parse_lock("# c\naaaa bbbb\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.span, 4..13);
    }
}
