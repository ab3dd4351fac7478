//! Why a target could not be resolved. Every ambiguity names what it is
//! ambiguous between and the command that resolves it.

/// A target that does not resolve on this graph and database state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A target string that does not follow the target syntax.
    #[error("invalid target `{input}`: {reason}")]
    InvalidTarget {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No revision has this id, prefix or branch label.
    #[error("no revision matches `{reference}`; `cargo migrate history` lists them{}", if .reference.len() < 4 { " (a prefix needs at least 4 characters)" } else { "" })]
    UnknownRevision {
        /// The id, prefix or label.
        reference: String,
    },
    /// A prefix that matches several revisions.
    #[error("revision prefix `{prefix}` is ambiguous: it matches {}; give more characters", .matches.join(", "))]
    AmbiguousPrefix {
        /// The prefix given.
        prefix: String,
        /// Every revision it matches.
        matches: Vec<String>,
    },
    /// `head` (or `<label>@head`) when there are several heads.
    #[error("`{argument}` is ambiguous: there are several heads ({}); name one of them, use `<label>@head`, or `heads` for all", .heads.join(", "))]
    MultipleHeads {
        /// What was asked (`head`, `l@head`).
        argument: String,
        /// The heads.
        heads: Vec<String>,
    },
    /// `<branch>@...` where the branch is neither a label nor a revision.
    #[error("no branch `{branch}`: it is neither a branch label nor a revision")]
    NoSuchBranch {
        /// The branch given.
        branch: String,
    },
    /// `<branch>@<rev>` where the revision is not on that branch.
    #[error("revision {revision} is not a member of branch `{branch}`")]
    NotInBranch {
        /// The revision.
        revision: String,
        /// The branch given.
        branch: String,
    },
    /// A walk (`+N`, `-N`, `<rev>+N`) reached a branch point or a merge.
    #[error("`{target}` is ambiguous: the walk reaches {at}, which has several {what} ({}); name the revision instead", .options.join(", "))]
    AmbiguousWalk {
        /// The target.
        target: String,
        /// Where the walk forks.
        at: String,
        /// `children` or `parents`.
        what: &'static str,
        /// The ways it could go.
        options: Vec<String>,
    },
    /// A walk ran past a head or past base.
    #[error("`{target}` walks past the end of the history")]
    WalkedTooFar {
        /// The target.
        target: String,
    },
    /// `+N` / `-N` from a state with several current heads.
    #[error("`{target}` is ambiguous: the database is at several heads ({}); {}", .current.join(", "), advice(.target, .current))]
    AmbiguousRelative {
        /// The target.
        target: String,
        /// The database's current heads.
        current: Vec<String>,
    },
    /// A relative move that has nothing to move from or goes the wrong way.
    #[error("`{target}` cannot be used here: {reason}")]
    InvalidMove {
        /// The target.
        target: String,
        /// Why.
        reason: String,
    },
    /// Two requested revisions of which one is an ancestor of the other.
    #[error("requested revision {revision} overlaps with other requested revisions {}", .others.join(", "))]
    Overlap {
        /// The revision.
        revision: String,
        /// The revisions it overlaps with.
        others: Vec<String>,
    },
    /// A downgrade target that is not below the current heads.
    #[error("`{target}` is not a valid downgrade target from the current head(s) ({}): nothing applied descends from it; use `upgrade` to move up", if .current.is_empty() { "base".to_string() } else { .current.join(", ") })]
    NotBelowCurrent {
        /// The target.
        target: String,
        /// The database's current heads.
        current: Vec<String>,
    },
    /// `history -r A:B` where `A` is not `B` nor one of its ancestors
    /// (Alembic's `RangeNotAncestorError`).
    #[error("requested range `{range}` does not refer to ancestor/descendant revisions along the same branch")]
    RangeNotOnOneBranch {
        /// The range as given.
        range: String,
    },
    /// A stamp whose version-table bookkeeping would contradict itself.
    #[error("cannot stamp `{target}`: {reason}")]
    Stamp {
        /// The target.
        target: String,
        /// Why.
        reason: String,
    },
}

fn advice(target: &str, current: &[String]) -> String {
    if target.starts_with('-') {
        let options: Vec<String> = current
            .iter()
            .map(|head| format!("`downgrade {head}{target}`"))
            .collect();
        format!("name the head to step down from: {}", options.join(" or "))
    } else {
        let options: Vec<String> = current
            .iter()
            .map(|head| format!("`upgrade {head}{target}`"))
            .collect();
        format!(
            "name the revision to step up from: {}",
            options.join(" or ")
        )
    }
}
