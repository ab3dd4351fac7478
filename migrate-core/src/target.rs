//! Targets: where `upgrade`, `downgrade` and `stamp` go, in Alembic's syntax.
//!
//! Parsing checks the shape only; which revision a target names is decided
//! by [`Graph`](crate::Graph) against the database's current heads. The
//! grammar is Alembic's (`_relative_destination` and `rpartition("@")`):
//!
//! - absolute: `[<branch>@]<symbol>` where the symbol is `head`, `heads`,
//!   `base`, a revision id, a unique prefix of 4 or more characters, or a
//!   branch label;
//! - relative: `[<branch>@][<symbol>]<+N|-N>`: `+2`, `-1`, `ae10+2`,
//!   `head-1`, `networking@head-1`, `networking@+1`.

use std::fmt;
use std::str::FromStr;

use crate::error::ResolveError;

/// A destination in the revision graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `[<branch>@]<symbol>`: `head`, `heads`, `base`, an id, prefix or label.
    Absolute {
        /// The part before `@`: a branch label or a revision it is relative to.
        branch: Option<String>,
        /// `head`, `heads`, `base`, or a revision id, prefix or label.
        symbol: String,
    },
    /// `[<branch>@][<symbol>]<+N|-N>`: N steps along `down_revision` edges,
    /// from `symbol`, or from the database's current heads when it is absent.
    Relative {
        /// The branch the walk stays in.
        branch: Option<String>,
        /// Where the walk starts; `None`: the database's current heads.
        symbol: Option<String>,
        /// Steps up (positive) or down (negative); never 0.
        steps: i64,
    },
}

impl Target {
    /// `head`.
    pub fn head() -> Target {
        Target::absolute("head")
    }

    /// `heads`.
    pub fn heads() -> Target {
        Target::absolute("heads")
    }

    /// `base`.
    pub fn base() -> Target {
        Target::absolute("base")
    }

    /// An absolute target without a branch.
    pub fn absolute(symbol: &str) -> Target {
        Target::Absolute {
            branch: None,
            symbol: symbol.to_string(),
        }
    }

    /// True for `+N` / `-N` relative to the database (no symbol).
    pub fn is_relative_to_current(&self) -> bool {
        matches!(self, Target::Relative { symbol: None, .. })
    }

    /// True for a target that names the empty state (`base`, `<label>@base`).
    pub fn is_base(&self) -> bool {
        matches!(self, Target::Absolute { symbol, .. } if symbol == "base")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Absolute { branch, symbol } => {
                if let Some(branch) = branch {
                    write!(f, "{branch}@")?;
                }
                f.write_str(symbol)
            }
            Target::Relative {
                branch,
                symbol,
                steps,
            } => {
                if let Some(branch) = branch {
                    write!(f, "{branch}@")?;
                }
                if let Some(symbol) = symbol {
                    f.write_str(symbol)?;
                }
                write!(f, "{steps:+}")
            }
        }
    }
}

fn invalid(input: &str, reason: impl Into<String>) -> ResolveError {
    ResolveError::InvalidTarget {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Python's `\w` restricted to what an id or label can hold here.
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// A revision id, prefix or branch label: no `@ + - :`, no whitespace, no `,`.
pub fn is_name(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| matches!(c, '@' | '+' | '-' | ':' | ',') || c.is_whitespace())
}

/// `[<symbol>]<+|-><digits>`, the whole text.
fn relative_part(text: &str) -> Option<(Option<&str>, &str)> {
    let sign = text.rfind(['+', '-'])?;
    let (symbol, number) = text.split_at(sign);
    if number.len() < 2 || !number[1..].chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if symbol.is_empty() {
        Some((None, number))
    } else if is_word(symbol) {
        Some((Some(symbol), number))
    } else {
        None
    }
}

impl FromStr for Target {
    type Err = ResolveError;

    fn from_str(input: &str) -> Result<Target, ResolveError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(invalid(
                input,
                "empty target; use `head`, `heads`, `base`, an id, `+N` or `-N`",
            ));
        }
        if text.contains(':') {
            return Err(invalid(
                input,
                "a range `a:b` is only accepted for offline SQL and `history -r`",
            ));
        }
        let (branch, rest) = match text.split_once('@') {
            Some((branch, rest)) => {
                if !is_name(branch) {
                    return Err(invalid(
                        input,
                        "expected `<label>@...` with a branch label or revision before `@`",
                    ));
                }
                if rest.contains('@') {
                    return Err(invalid(input, "a target holds at most one `@`"));
                }
                (Some(branch.to_string()), rest)
            }
            None => (None, text),
        };
        if let Some((symbol, number)) = relative_part(rest) {
            let steps: i64 = number
                .parse()
                .map_err(|_| invalid(input, "the number of steps is too large"))?;
            if steps == 0 {
                return Err(invalid(input, "a relative target needs at least one step"));
            }
            return Ok(Target::Relative {
                branch,
                symbol: symbol.map(str::to_string),
                steps,
            });
        }
        if rest.starts_with(['+', '-']) {
            return Err(invalid(
                input,
                "expected a number after the sign, as in `+1` or `-2`",
            ));
        }
        if !is_name(rest) {
            return Err(invalid(
                input,
                "targets are `head`, `heads`, `base`, an id or prefix, `+N`, `-N`, `<id>+N`, \
                 `head-N`, `<label>@head`, `<label>@base`",
            ));
        }
        Ok(Target::Absolute {
            branch,
            symbol: rest.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Target) {
        assert_eq!(input.parse::<Target>().unwrap(), expected);
        assert_eq!(expected.to_string().parse::<Target>().unwrap(), expected);
    }

    fn rel(branch: Option<&str>, symbol: Option<&str>, steps: i64) -> Target {
        Target::Relative {
            branch: branch.map(str::to_string),
            symbol: symbol.map(str::to_string),
            steps,
        }
    }

    fn abs(branch: Option<&str>, symbol: &str) -> Target {
        Target::Absolute {
            branch: branch.map(str::to_string),
            symbol: symbol.to_string(),
        }
    }

    #[test]
    fn the_alembic_syntax() {
        check("head", abs(None, "head"));
        check(" heads ", abs(None, "heads"));
        check("ae1027a6acf", abs(None, "ae1027a6acf"));
        check("+2", rel(None, None, 2));
        check("-1", rel(None, None, -1));
        check("head-1", rel(None, Some("head"), -1));
        check("ae10+2", rel(None, Some("ae10"), 2));
        check("networking@head", abs(Some("networking"), "head"));
        check("networking@base", abs(Some("networking"), "base"));
        check(
            "networking@head-2",
            rel(Some("networking"), Some("head"), -2),
        );
        check("networking@+1", rel(Some("networking"), None, 1));
        check("ae10@head", abs(Some("ae10"), "head"));
    }

    #[test]
    fn malformed_targets_are_errors() {
        for bad in [
            "",
            "+",
            "+x",
            "-0",
            "a:b",
            "a@b@c",
            "@head",
            "drop table; --",
        ] {
            let error = bad.parse::<Target>().unwrap_err();
            assert!(
                matches!(&error, ResolveError::InvalidTarget { input, .. } if input == bad),
                "{bad}: {error}"
            );
        }
        let error = "+99999999999999999999".parse::<Target>().unwrap_err();
        assert!(
            matches!(&error, ResolveError::InvalidTarget { .. }),
            "{error}"
        );
    }
}
