//! The `migrate.lock` file format: revision ids in plan order and the
//! head(s). Parsing and rendering only; reading and writing the file is the
//! compiler's and `cargo migrate`'s business.
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

use std::ops::Range;

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

/// Renders the lock for revision ids in plan order and the heads: the one
/// writer of the format.
pub fn render(order: &[&str], heads: &[&str]) -> String {
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

/// Parses a lock file. Blank lines and `#` comments are ignored.
pub fn parse(text: &str) -> Result<Lock, LockError> {
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
        let error = || LockError {
            line: number + 1,
            span: span.clone(),
        };
        if let Some(head) = trimmed.strip_prefix("head:") {
            let head = head.trim();
            if head.is_empty() || head.contains(char::is_whitespace) {
                return Err(error());
            }
            lock.heads.push(head.to_string());
        } else if trimmed.contains(char::is_whitespace) {
            return Err(error());
        } else {
            lock.revisions.push((trimmed.to_string(), span));
        }
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_then_parse_round_trips() {
        let text = render(&["aaaa", "bbbb"], &["bbbb"]);
        assert!(text.starts_with("# migrate.lock"), "{text}");
        assert!(text.ends_with("aaaa\nbbbb\nhead: bbbb\n"), "{text}");
        let lock = parse(&text).expect("parses");
        let ids: Vec<&str> = lock.revisions.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "bbbb"]);
        assert_eq!(lock.heads, ["bbbb"]);
        let (_, span) = &lock.revisions[1];
        assert_eq!(&text[span.clone()], "bbbb");
    }

    #[test]
    fn garbage_line_is_an_error_not_a_panic() {
        let error = parse("# c\naaaa bbbb\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.span, 4..13);
        assert_eq!(parse("head:\n").unwrap_err().line, 1);
        assert_eq!(parse("head: a b\n").unwrap_err().line, 1);
    }
}
