//! Targets: where `upgrade`, `downgrade` and `stamp` go, in the CLI syntax.
//!
//! Parsing needs no plan: it checks the shape only. Which revision a target
//! names is decided against the plan (and, for `+N` / `-N`, the database)
//! when a verb runs, so a malformed or unknown target is that verb's error.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Where a walk (`<anchor>+N`, `<anchor>-N`) starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The single head (`head-1`).
    Head,
    /// A revision id or unique prefix (`ae10+2`).
    Revision(String),
    /// The head of a branch label (`networking@head-1`).
    BranchHead(String),
}

/// A destination in the revision graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `head`: the single head; an error when there are several.
    Head,
    /// `heads`: every head.
    Heads,
    /// `base`: nothing applied.
    Base,
    /// An id, or a unique prefix of at least 4 characters.
    Revision(String),
    /// `+N` / `-N`: the next N unapplied revisions in plan order, or the
    /// last N applied ones, relative to the database's state.
    Relative(i64),
    /// `<anchor>+N` / `<anchor>-N`: N steps along the graph from a revision.
    /// A step through a branch point or a merge is ambiguous and refused.
    Walk {
        /// The starting point.
        from: Anchor,
        /// Steps up (positive) or down (negative).
        steps: i64,
    },
    /// `<label>@head`: the head of the branch holding that label.
    BranchHead(String),
    /// `<label>@base`: the branch holding that label, removed (downgrade).
    BranchBase(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Base => f.write_str("base"),
            Target::Revision(id) => f.write_str(id),
            Target::Relative(steps) => write!(f, "{steps:+}"),
            Target::Walk { from, steps } => {
                match from {
                    Anchor::Head => f.write_str("head")?,
                    Anchor::Revision(id) => f.write_str(id)?,
                    Anchor::BranchHead(label) => write!(f, "{label}@head")?,
                }
                write!(f, "{steps:+}")
            }
            Target::BranchHead(label) => write!(f, "{label}@head"),
            Target::BranchBase(label) => write!(f, "{label}@base"),
        }
    }
}

fn invalid(input: &str, reason: impl Into<String>) -> Error {
    Error::InvalidTarget {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Characters allowed in a revision id or branch label.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Splits `name+N` / `name-N` where the suffix is a number.
fn split_steps(text: &str) -> Option<(&str, i64)> {
    let position = text.rfind(['+', '-'])?;
    let (name, number) = text.split_at(position);
    if name.is_empty() || number.len() < 2 || !number[1..].chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let steps: i64 = number.parse().ok()?;
    Some((name, steps))
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(input: &str) -> Result<Target, Error> {
        let text = input.trim();
        if text.is_empty() {
            return Err(invalid(
                input,
                "empty target; use `head`, `base`, an id, `+N` or `-N`",
            ));
        }
        match text {
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            _ => {}
        }
        if text.contains(':') {
            return Err(invalid(
                input,
                "a range `a:b` is only accepted for offline SQL",
            ));
        }
        if let Some((label, rest)) = text.split_once('@') {
            if !is_name(label) {
                return Err(invalid(
                    input,
                    "a branch label must be letters, digits, `_`, `-` or `.`",
                ));
            }
            return match rest {
                "head" => Ok(Target::BranchHead(label.to_string())),
                "base" => Ok(Target::BranchBase(label.to_string())),
                _ => match split_steps(rest) {
                    Some(("head", steps)) if steps != 0 => Ok(Target::Walk {
                        from: Anchor::BranchHead(label.to_string()),
                        steps,
                    }),
                    _ => Err(invalid(
                        input,
                        "after `<label>@` expected `head`, `base` or `head-N`",
                    )),
                },
            };
        }
        if let Some(number) = text.strip_prefix(['+', '-']) {
            if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(
                    input,
                    "expected a number after the sign, as in `+1` or `-2`",
                ));
            }
            let steps: i64 = text
                .parse()
                .map_err(|_| invalid(input, "the number of steps is too large"))?;
            if steps == 0 {
                return Err(invalid(input, "a relative target needs at least one step"));
            }
            return Ok(Target::Relative(steps));
        }
        if let Some((name, steps)) = split_steps(text) {
            if steps == 0 {
                return Err(invalid(input, "a relative target needs at least one step"));
            }
            let from = if name == "head" {
                Anchor::Head
            } else if is_name(name) {
                Anchor::Revision(name.to_string())
            } else {
                return Err(invalid(input, "expected `<id>+N`, `<id>-N` or `head-N`"));
            };
            return Ok(Target::Walk { from, steps });
        }
        if !is_name(text) {
            return Err(invalid(
                input,
                "a revision id is letters, digits, `_`, `-` or `.`; targets are `head`, `heads`, `base`, an id or prefix, `+N`, `-N`, `<id>+N`, `head-N`, `<label>@head`",
            ));
        }
        Ok(Target::Revision(text.to_string()))
    }
}

/// Anything a verb accepts as a target: a [`Target`], or a string in the CLI
/// syntax. A malformed string becomes the verb's error, never a panic.
pub trait IntoTarget {
    /// Parses or passes through the target.
    fn into_target(self) -> Result<Target, Error>;
}

impl IntoTarget for Target {
    fn into_target(self) -> Result<Target, Error> {
        Ok(self)
    }
}

impl IntoTarget for &Target {
    fn into_target(self) -> Result<Target, Error> {
        Ok(self.clone())
    }
}

impl IntoTarget for &str {
    fn into_target(self) -> Result<Target, Error> {
        self.parse()
    }
}

impl IntoTarget for String {
    fn into_target(self) -> Result<Target, Error> {
        self.parse()
    }
}

impl IntoTarget for &String {
    fn into_target(self) -> Result<Target, Error> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Target) {
        assert_eq!(input.parse::<Target>().unwrap(), expected);
        // Display gives back a string that parses to the same target.
        assert_eq!(expected.to_string().parse::<Target>().unwrap(), expected);
    }

    #[track_caller]
    fn check_err(input: &str, reason_part: &str) {
        match input.parse::<Target>() {
            Err(Error::InvalidTarget { reason, .. }) => {
                assert!(reason.contains(reason_part), "{reason}")
            }
            other => panic!("expected an invalid target, got {other:?}"),
        }
    }

    fn revision(id: &str) -> Anchor {
        Anchor::Revision(id.to_string())
    }

    #[test]
    fn the_cli_syntax() {
        check("head", Target::Head);
        check("heads", Target::Heads);
        check(" base ", Target::Base);
        check("ae1027a6acf", Target::Revision("ae1027a6acf".into()));
        check("+2", Target::Relative(2));
        check("-1", Target::Relative(-1));
        check(
            "head-1",
            Target::Walk {
                from: Anchor::Head,
                steps: -1,
            },
        );
        check(
            "ae10+2",
            Target::Walk {
                from: revision("ae10"),
                steps: 2,
            },
        );
        check(
            "ae10-1",
            Target::Walk {
                from: revision("ae10"),
                steps: -1,
            },
        );
        check("networking@head", Target::BranchHead("networking".into()));
        check("networking@base", Target::BranchBase("networking".into()));
        check(
            "networking@head-2",
            Target::Walk {
                from: Anchor::BranchHead("networking".into()),
                steps: -2,
            },
        );
    }

    #[test]
    fn malformed_targets_are_errors() {
        check_err("", "empty");
        check_err("+", "number");
        check_err("+x", "number");
        check_err("-0", "at least one step");
        check_err("a:b", "range");
        check_err("x@where", "after `<label>@`");
        check_err("drop table; --", "revision id");
        check_err("+99999999999999999999", "too large");
    }

    #[test]
    fn strings_and_targets_both_convert() {
        assert_eq!("head".into_target().unwrap(), Target::Head);
        assert_eq!(
            String::from("-1").into_target().unwrap(),
            Target::Relative(-1)
        );
        assert_eq!(Target::Base.into_target().unwrap(), Target::Base);
        assert!("??".into_target().is_err());
    }
}
