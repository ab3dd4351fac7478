//! The grammar of the comments the compiler reads: `-- migrate:` directives
//! (section markers, `unchecked`, `allow`) and the suppression comments of
//! the lints (ours, squawk's and Atlas's). One parser, used by `header`
//! (directives misplaced in the header), `split` (section markers and
//! `unchecked`), `revision` (the allows of `requires-no-transaction`) and
//! `lint` (every allow). It imports nothing of the crate.

/// Upgrade or downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `-- migrate:upgrade`.
    Upgrade,
    /// `-- migrate:downgrade`.
    Downgrade,
}

/// A `-- migrate:...` directive comment.
pub(crate) enum Directive {
    Section {
        kind: SectionKind,
        transactional: bool,
    },
    Unchecked(Option<String>),
    Allow,
    Unknown(String),
    BadOption(SectionKind, String),
}

/// The help of an `unknown-directive` error.
pub(crate) const DIRECTIVES_HELP: &str = "the directives are `-- migrate:upgrade`, `-- migrate:downgrade` (each optionally `transaction:false`), `-- migrate:unchecked -- <reason>`, `-- migrate:allow <rule> -- <reason>` and `-- migrate:allow-file <rule> -- <reason>`";

/// The directive in a `--` comment's text (after `--`), if it is one.
pub(crate) fn directive_of(comment: &str) -> Option<Directive> {
    let body = comment.trim().strip_prefix("migrate:")?;
    let (name, rest) = match body.find(char::is_whitespace) {
        Some(at) => (&body[..at], body[at..].trim()),
        None => (body, ""),
    };
    Some(match name {
        "upgrade" | "downgrade" => {
            let kind = if name == "upgrade" {
                SectionKind::Upgrade
            } else {
                SectionKind::Downgrade
            };
            let mut transactional = true;
            for option in rest.split_whitespace() {
                match option {
                    "transaction:false" => transactional = false,
                    "transaction:true" => transactional = true,
                    other => return Some(Directive::BadOption(kind, other.to_string())),
                }
            }
            Directive::Section {
                kind,
                transactional,
            }
        }
        "unchecked" => {
            let reason = rest.strip_prefix("--").unwrap_or(rest).trim();
            Directive::Unchecked((!reason.is_empty()).then(|| reason.to_string()))
        }
        "allow" | "allow-file" => Directive::Allow,
        other => Directive::Unknown(other.to_string()),
    })
}

/// Whose spelling a suppression comment uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AllowKind {
    /// `-- migrate:allow <rules> -- <reason>` (`allow-file`: the file).
    Ours,
    /// `-- squawk-ignore [rules]` (`squawk-ignore-file`: the file).
    Squawk,
    /// `-- atlas:nolint [names]` (the file when at its top, followed by a
    /// blank line: decided by the caller, which knows where it is).
    Atlas,
}

/// A suppression comment, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowComment<'a> {
    pub(crate) kind: AllowKind,
    /// `migrate:allow-file` or `squawk-ignore-file`.
    pub(crate) file: bool,
    /// The names it gives (rules, or Atlas's analyzers and codes).
    pub(crate) names: Vec<&'a str>,
    /// What follows ` -- `, trimmed (empty when absent).
    pub(crate) reason: &'a str,
}

/// The suppression comment on one trimmed line (`--`, `/* */` or `#`
/// comment), if it is one.
pub(crate) fn allow_comment(trimmed: &str) -> Option<AllowComment<'_>> {
    let body = comment_body(trimmed)?;
    const FORMS: &[(&str, AllowKind, bool)] = &[
        ("migrate:allow-file", AllowKind::Ours, true),
        ("migrate:allow", AllowKind::Ours, false),
        ("squawk-ignore-file", AllowKind::Squawk, true),
        ("squawk-ignore", AllowKind::Squawk, false),
        ("atlas:nolint", AllowKind::Atlas, false),
    ];
    FORMS.iter().find_map(|(prefix, kind, file)| {
        let rest = strip_word(body, prefix)?;
        let (names, reason) = match rest.split_once("--") {
            Some((names, reason)) => (names, reason.trim()),
            None => (rest, ""),
        };
        Some(AllowComment {
            kind: *kind,
            file: *file,
            names: names
                .split([',', ' '])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect(),
            reason,
        })
    })
}

/// Whether one of the lines of `comment` is `-- migrate:allow` (`file`:
/// `-- migrate:allow-file`) naming `rule`.
pub(crate) fn allows(comment: &str, rule: &str, file: bool) -> bool {
    comment.lines().any(|line| {
        allow_comment(line.trim()).is_some_and(|allow| {
            allow.kind == AllowKind::Ours && allow.file == file && allow.names.contains(&rule)
        })
    })
}

/// The text of a `--` or `/* */` comment, without its markers.
fn comment_body(trimmed: &str) -> Option<&str> {
    if let Some(body) = trimmed.strip_prefix("--") {
        return Some(body.trim());
    }
    if let Some(body) = trimmed.strip_prefix("/*") {
        return Some(body.trim_end_matches("*/").trim());
    }
    trimmed.strip_prefix('#').map(str::trim)
}

/// `rest` after `word` when the comment starts with it as a whole word.
fn strip_word<'a>(body: &'a str, word: &str) -> Option<&'a str> {
    let rest = body.strip_prefix(word)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() => Some(rest.trim()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_comments_of_the_three_tools() {
        let ours =
            allow_comment("-- migrate:allow ban-drop-table, ban-truncate -- test data").unwrap();
        assert_eq!(ours.kind, AllowKind::Ours);
        assert!(!ours.file);
        assert_eq!(ours.names, ["ban-drop-table", "ban-truncate"]);
        assert_eq!(ours.reason, "test data");
        let file = allow_comment("-- migrate:allow-file ban-drop-table -- why").unwrap();
        assert!(file.file);
        assert_eq!(file.names, ["ban-drop-table"]);
        let squawk = allow_comment("-- squawk-ignore-file").unwrap();
        assert_eq!((squawk.kind, squawk.file), (AllowKind::Squawk, true));
        assert!(squawk.names.is_empty());
        let atlas = allow_comment("-- atlas:nolint DS103 destructive").unwrap();
        assert_eq!(atlas.kind, AllowKind::Atlas);
        assert_eq!(atlas.names, ["DS103", "destructive"]);
        assert!(allow_comment("-- migrate:allowx y").is_none());
        assert!(allow_comment("SELECT 1").is_none());
        assert!(allows(
            "-- note\n-- migrate:allow requires-no-transaction -- ok",
            "requires-no-transaction",
            false
        ));
        assert!(!allows(
            "-- migrate:allow-file requires-no-transaction -- ok",
            "requires-no-transaction",
            false
        ));
    }
}
