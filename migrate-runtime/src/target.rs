//! Targets: where `upgrade`, `downgrade` and `stamp` go, in Alembic's
//! syntax. The type and its grammar live in `migrate-core`
//! ([`Target`]); this module adds [`IntoTarget`], so that every verb takes
//! either a parsed target or a string.

pub use migrate_core::Target;

use crate::error::{Direction, Error};

/// Anything a verb accepts as a target: a [`Target`], or a string in the CLI
/// syntax. A malformed string becomes the verb's error, never a panic.
pub trait IntoTarget {
    /// Parses or passes through the target.
    fn into_target(self) -> Result<Target, Error>;
}

fn parse(text: &str) -> Result<Target, Error> {
    text.parse()
        .map_err(|e| crate::graph::error(e, Direction::Upgrade))
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
        parse(self)
    }
}

impl IntoTarget for String {
    fn into_target(self) -> Result<Target, Error> {
        parse(&self)
    }
}

impl IntoTarget for &String {
    fn into_target(self) -> Result<Target, Error> {
        parse(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_targets_both_convert() {
        assert_eq!("head".into_target().unwrap(), Target::head());
        assert!(matches!(
            "??@x@y".into_target(),
            Err(Error::InvalidTarget { .. })
        ));
        assert_eq!(Target::base().into_target().unwrap(), Target::base());
    }
}
