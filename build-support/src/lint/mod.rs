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

pub mod allow;
mod driver;
pub mod report;
mod rules;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

pub use driver::check_with;
pub use report::{json, sarif};

use crate::schema::Dialect;
use crate::{CompiledRevision, Diagnostic, Label, Severity};

/// How a rule's findings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not checked.
    Off,
    /// A warning: shown, the build goes on.
    Warn,
    /// A build error.
    Error,
}

impl Level {
    /// Parses `"error"`, `"warn"` (or `"warning"`) and `"off"`.
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "error" | "deny" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "off" | "allow" => Some(Level::Off),
            _ => None,
        }
    }

    /// The severity of a finding at this level (`None` when off).
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Warn => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// Which dialects a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Every dialect.
    All,
    /// PostgreSQL only (also the generic dialect, which follows PostgreSQL).
    Postgres,
    /// PostgreSQL and MySQL.
    PostgresMysql,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $level:ident, $applies:ident; )*) => {
        /// Every check the compiler reports, by its stable kebab-case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The kebab-case name used in messages, `migrate.toml` and allow comments.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The level when `migrate.toml` says nothing.
            pub fn default_level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)* }
            }

            /// The dialects the rule applies to.
            pub fn applies(self) -> Applies {
                match self { $(Rule::$variant => Applies::$applies,)* }
            }
        }
    };
}

rules! {
    /// ALTER/DROP/CREATE INDEX on a table, column or other object that does not exist at that point.
    UnknownObject = "unknown-object", Error, All;
    /// CREATE of something that already exists, without IF NOT EXISTS.
    DuplicateObject = "duplicate-object", Error, All;
    /// A downgrade that does not restore the schema its upgrade found.
    DowngradeMismatch = "downgrade-mismatch", Error, All;
    /// A statement that cannot run inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...)
    /// in a transactional section. Reported by the parser stage; listed here so levels and
    /// allows can name it.
    NoTransactionStatement = "requires-no-transaction", Error, All;
    /// CREATE INDEX without CONCURRENTLY on a table that existed before the revision.
    RequireConcurrentIndexCreation = "require-concurrent-index-creation", Warn, Postgres;
    /// DROP INDEX without CONCURRENTLY.
    RequireConcurrentIndexDeletion = "require-concurrent-index-deletion", Warn, Postgres;
    /// ADD CONSTRAINT ... FOREIGN KEY / CHECK without NOT VALID on an existing table.
    ConstraintMissingNotValid = "constraint-missing-not-valid", Warn, Postgres;
    /// A foreign key added to an existing table in a form that cannot be NOT VALID.
    AddingForeignKeyConstraint = "adding-foreign-key-constraint", Warn, PostgresMysql;
    /// ADD CONSTRAINT ... UNIQUE (not USING INDEX) on an existing table.
    DisallowedUniqueConstraint = "disallowed-unique-constraint", Warn, Postgres;
    /// ADD COLUMN with a volatile default or a stored generated column: a table rewrite.
    AddingFieldWithDefault = "adding-field-with-default", Warn, Postgres;
    /// ADD COLUMN ... NOT NULL without a default on an existing table.
    AddingRequiredField = "adding-required-field", Warn, All;
    /// ALTER COLUMN ... SET NOT NULL on an existing column.
    AddingNotNullableField = "adding-not-nullable-field", Warn, Postgres;
    /// ALTER COLUMN ... TYPE outside the safe whitelist.
    ChangingColumnType = "changing-column-type", Warn, PostgresMysql;
    /// DROP COLUMN of a column that existed before the revision.
    BanDropColumn = "ban-drop-column", Warn, All;
    /// DROP TABLE of a table that existed before the revision.
    BanDropTable = "ban-drop-table", Warn, All;
    /// TRUNCATE of a table that existed before the revision.
    BanTruncate = "ban-truncate", Warn, All;
    /// TRUNCATE ... CASCADE.
    BanTruncateCascade = "ban-truncate-cascade", Warn, Postgres;
    /// DROP DATABASE.
    BanDropDatabase = "ban-drop-database", Warn, All;
    /// RENAME COLUMN of a column that existed before the revision.
    RenamingColumn = "renaming-column", Warn, All;
    /// RENAME of a table that existed before the revision.
    RenamingTable = "renaming-table", Warn, All;
    /// ALTER COLUMN ... DROP NOT NULL.
    BanDropNotNull = "ban-drop-not-null", Warn, Postgres;
    /// BEGIN / COMMIT / ROLLBACK inside a migration: the tool owns the transaction.
    TransactionNesting = "transaction-nesting", Warn, All;
    /// In a transaction:false section, CREATE/DROP INDEX CONCURRENTLY without `IF [NOT] EXISTS`.
    PreferRobustStmts = "prefer-robust-stmts", Warn, Postgres;
    /// A revision with no downgrade statements.
    MissingDowngrade = "missing-downgrade", Warn, All;
    /// `int`/`integer`/`serial` columns can overflow.
    PreferBigintOverInt = "prefer-bigint-over-int", Off, Postgres;
    /// `varchar(n)`: raising n later takes an exclusive lock on old versions.
    PreferTextField = "prefer-text-field", Off, Postgres;
    /// `timestamp` without a time zone.
    PreferTimestamptz = "prefer-timestamptz", Off, Postgres;
    /// `char(n)` pads with spaces and is never faster than text.
    BanCharField = "ban-char-field", Warn, Postgres;
    /// A statement nested too deeply to analyse: applied as written, not checked.
    StatementTooDeep = "statement-too-deep", Warn, All;
    /// An allow comment that silences nothing.
    UnusedAllow = "unused-allow", Warn, All;
    /// An allow comment naming an unknown rule or missing its reason.
    InvalidAllow = "invalid-allow", Error, All;
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

    /// Reads the `[lints]` table (rule name -> level). Unknown names and
    /// levels are errors, pointing at `config_file` and the key's span when
    /// `spans` has it.
    pub fn with_levels(
        mut self,
        lints: &BTreeMap<String, String>,
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
                    code: "unknown-lint",
                    message: format!("unknown lint rule `{name}` in [lints]"),
                    labels: labels(name),
                    notes: Vec::new(),
                    help: Some(format!("known rules: {}", known_rule_names())),
                });
                continue;
            };
            let Some(level) = Level::from_name(level.trim()) else {
                errors.push(Diagnostic {
                    severity: Severity::Error,
                    code: "unknown-lint",
                    message: format!("unknown level `{level}` for lint rule `{name}`"),
                    labels: labels(name),
                    notes: Vec::new(),
                    help: Some("use \"error\", \"warn\" or \"off\"".to_string()),
                });
                continue;
            };
            self.levels.insert(rule, level);
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
        lints.insert("ban-drop-column".to_string(), "error".to_string());
        lints.insert("ban-drop-colum".to_string(), "warn".to_string());
        lints.insert("renaming-table".to_string(), "loud".to_string());
        let mut spans = BTreeMap::new();
        spans.insert("ban-drop-colum".to_string(), 10..24);
        let (settings, errors) = Settings::new(Dialect::Postgres).with_levels(
            &lints,
            std::path::Path::new("migrations/migrate.toml"),
            &spans,
        );
        assert_eq!(settings.level(Rule::BanDropColumn), Level::Error);
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            "unknown lint rule `ban-drop-colum` in [lints]"
        );
        assert_eq!(errors[0].labels[0].span, 10..24);
        assert!(errors[1].message.contains("`loud`"));
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
