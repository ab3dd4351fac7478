//! Safety lints over the replayed schema model.
//!
//! One registry ([`Rule`]) ties each rule's enum variant, its kebab name
//! (squawk's where one exists, so teams can bring their `squawk-ignore`
//! comments along), its default [`Level`] and the dialects it applies to.
//! [`check`] walks the revisions in plan order, runs every enabled rule on
//! each statement against the model *before* the statement, then replays the
//! statement on the model (which reports unknown and duplicate objects), and
//! finally checks that each downgrade restores the schema its upgrade found.
//!
//! Levels: warn for every safety rule; error only for what is certain to fail
//! at run time or to break the history (unknown and duplicate objects, a
//! downgrade that does not undo its upgrade, the compiler's transaction rule).

pub(crate) mod allow;
mod driver;
mod report;
mod rules;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

pub use driver::check_with;
pub use report::{json, sarif};

use crate::codes::Code;
use crate::schema::Dialect;
use crate::{CompiledRevision, Diagnostic, Label, Severity};

pub use crate::codes::{Applies, Level, Rule};

impl Level {
    /// The severity of a finding at this level (`None` when off).
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Warn => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

impl Rule {
    /// The rule with this kebab name (squawk's aliases accepted).
    pub fn from_name(name: &str) -> Option<Rule> {
        let name = name.trim();
        if name == "prefer-timestamp-tz" {
            return Some(Rule::PreferTimestamptz);
        }
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// Whether the rule runs for `dialect`.
    pub fn applies_to(self, dialect: Dialect) -> bool {
        match self.applies() {
            Applies::All => true,
            Applies::Postgres => matches!(dialect, Dialect::Postgres | Dialect::Generic),
            Applies::PostgresMysql => {
                matches!(
                    dialect,
                    Dialect::Postgres | Dialect::Generic | Dialect::MySql
                )
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the linter needs from `migrate.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The dialect the history is written for.
    pub dialect: Dialect,
    /// Levels that differ from the defaults.
    pub levels: HashMap<Rule, Level>,
    /// `require_downgrade = true`: a missing downgrade is an error.
    pub require_downgrade: bool,
}

impl Settings {
    /// Default levels for `dialect`.
    pub fn new(dialect: Dialect) -> Settings {
        Settings {
            dialect,
            levels: HashMap::new(),
            require_downgrade: false,
        }
    }

    /// Takes the `[lints]` table (rule name -> level, parsed by `config`).
    /// Unknown names are errors, pointing at `config_file` and the key's span
    /// when `spans` has it.
    pub fn with_levels(
        mut self,
        lints: &BTreeMap<String, Level>,
        config_file: &std::path::Path,
        spans: &BTreeMap<String, std::ops::Range<usize>>,
    ) -> (Settings, Vec<Diagnostic>) {
        let mut errors = Vec::new();
        let labels = |key: &str| match spans.get(key) {
            Some(span) => vec![Label {
                file: PathBuf::from(config_file),
                span: span.clone(),
                message: String::new(),
                primary: true,
            }],
            None => Vec::new(),
        };
        for (name, level) in lints {
            let Some(rule) = Rule::from_name(name) else {
                errors.push(Diagnostic {
                    severity: Severity::Error,
                    code: Code::UnknownLint,
                    message: format!("unknown lint rule `{name}` in [lints]"),
                    labels: labels(name),
                    notes: Vec::new(),
                    help: Some(format!("known rules: {}", known_rule_names())),
                });
                continue;
            };
            self.levels.insert(rule, *level);
        }
        (self, errors)
    }

    /// The level in force for `rule`.
    pub fn level(&self, rule: Rule) -> Level {
        if let Some(level) = self.levels.get(&rule) {
            return *level;
        }
        if rule == Rule::MissingDowngrade && self.require_downgrade {
            return Level::Error;
        }
        rule.default_level()
    }

    /// Whether `rule` runs at all on this dialect with these levels.
    pub fn enabled(&self, rule: Rule) -> bool {
        self.level(rule) != Level::Off && rule.applies_to(self.dialect)
    }
}

/// Lints `revisions`, given in plan order, with the dialect, levels and
/// `require_downgrade` of `config`. Invalid `[lints]` entries come first, as
/// errors on `migrate.toml`; then every finding at its level.
pub fn check(config: &crate::config::Config, revisions: &[CompiledRevision]) -> Vec<Diagnostic> {
    let file = config.source.as_ref().map_or_else(
        || PathBuf::from(crate::config::CONFIG_FILE),
        |source| source.path.clone(),
    );
    let mut settings = Settings::new(config.dialect);
    settings.require_downgrade = config.require_downgrade;
    let (settings, mut diagnostics) =
        settings.with_levels(&config.lints, &file, &config.lint_spans);
    diagnostics.extend(check_with(&settings, revisions));
    diagnostics
}

/// Every rule name, comma separated (for help texts).
pub fn known_rule_names() -> String {
    Rule::ALL
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.name()), "{} twice", rule.name());
            assert_eq!(Rule::from_name(rule.name()), Some(*rule));
        }
        assert_eq!(
            Rule::from_name("prefer-timestamp-tz"),
            Some(Rule::PreferTimestamptz)
        );
        assert_eq!(Rule::from_name("no-such-rule"), None);
    }

    #[test]
    fn the_transaction_rule_is_the_compiler_stage_one() {
        assert_eq!(
            Rule::NoTransactionStatement.name(),
            crate::revision::REQUIRES_NO_TRANSACTION
        );
    }

    #[test]
    fn only_certain_failures_default_to_error() {
        let errors: Vec<&str> = Rule::ALL
            .iter()
            .filter(|r| r.default_level() == Level::Error)
            .map(|r| r.name())
            .collect();
        assert_eq!(
            errors,
            [
                "unknown-object",
                "duplicate-object",
                "downgrade-mismatch",
                "requires-no-transaction",
                "invalid-allow"
            ]
        );
    }

    #[test]
    fn levels_from_config_are_validated() {
        let mut lints = BTreeMap::new();
        lints.insert("ban-drop-column".to_string(), Level::Error);
        lints.insert("ban-drop-colum".to_string(), Level::Warn);
        let mut spans = BTreeMap::new();
        spans.insert("ban-drop-colum".to_string(), 10..24);
        let (settings, errors) = Settings::new(Dialect::Postgres).with_levels(
            &lints,
            std::path::Path::new("migrations/migrate.toml"),
            &spans,
        );
        assert_eq!(settings.level(Rule::BanDropColumn), Level::Error);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "unknown lint rule `ban-drop-colum` in [lints]"
        );
        assert_eq!(errors[0].labels[0].span, 10..24);
    }

    #[test]
    fn require_downgrade_makes_missing_downgrade_an_error() {
        let mut settings = Settings::new(Dialect::Sqlite);
        assert_eq!(settings.level(Rule::MissingDowngrade), Level::Warn);
        settings.require_downgrade = true;
        assert_eq!(settings.level(Rule::MissingDowngrade), Level::Error);
        assert!(!settings.enabled(Rule::RequireConcurrentIndexCreation));
    }
}
