//! The build's `migrate.lock` check: compares the set of
//! revisions it names with the directory's (`stale-lock` otherwise; the
//! file is read by `source`). The
//! format itself (parse and render) is `migrate_core::lock`; order and head
//! lines are for the reader and for git.

use std::collections::BTreeSet;
use std::path::Path;

use migrate_core::lock::{parse, render};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::CompiledRevision;

/// Renders the lock for `revisions`, which must be in plan order.
pub fn render_lock(revisions: &[CompiledRevision]) -> String {
    let order: Vec<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
    render(&order, &crate::graph::heads(revisions))
}

/// The build's lock check: `lock_text` is the lock file's content, shown as
/// `lock_file`; `revisions` are the directory's revisions.
pub(crate) fn check(
    lock_text: &str,
    lock_file: &Path,
    revisions: &[CompiledRevision],
) -> Vec<Diagnostic> {
    let help = "run `cargo migrate lock` to rewrite migrate.lock, and commit it".to_string();
    let lock = match parse(lock_text) {
        Ok(lock) => lock,
        Err(error) => {
            return vec![Diagnostic {
                severity: Severity::Error,
                code: Code::InvalidLock,
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
        code: Code::StaleLock,
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
}
