//! The registry of diagnostic codes: every lint rule (its kebab name,
//! squawk's where one exists, its default [`Level`] and the dialects it
//! applies to) and every error of the compiler's own stages, generated into
//! the typed [`Rule`] and [`Code`] enums by one macro. The first stage: it
//! imports nothing of the crate.

use std::fmt;
use std::str::FromStr;

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
    /// Parses a `[lints]` level: `"error"`, `"warn"` or `"off"`.
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "error" => Some(Level::Error),
            "warn" => Some(Level::Warn),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    /// The name [`Level::from_name`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Off => "off",
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

macro_rules! registry {
    (
        rules { $( $(#[$doc:meta])* $variant:ident = $name:literal, $level:ident, $applies:ident; )* }
        codes { $( $(#[$cdoc:meta])* $cvariant:ident = $cname:literal; )* }
    ) => {
        /// Every lint rule, by its stable kebab-case name.
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

            /// The code of the rule's findings.
            pub fn code(self) -> Code {
                match self { $(Rule::$variant => Code::$variant,)* }
            }
        }

        /// Every diagnostic code: the lint rules, then the compiler's own
        /// errors. The kebab-case names ([`Code::as_str`]) are stable: they
        /// appear in output, JSON and SARIF reports and `migrate.toml`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
            $( $(#[$cdoc])* $cvariant, )*
        }

        impl Code {
            /// Every code, the rules first.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)* $(Code::$cvariant,)*];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                    $(Code::$cvariant => $cname,)*
                }
            }

            /// The lint rule this code reports, if it is one.
            pub fn rule(self) -> Option<Rule> {
                match self {
                    $(Code::$variant => Some(Rule::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

registry! {
    rules {
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
    /// What would be an `unknown-object` or `duplicate-object` error, on an object a statement
    /// the model could not follow (a `DO` block, a function call, an unchecked statement) made
    /// uncertain: a warning naming that statement.
    UncertainObject = "uncertain-object", Warn, All;
    }
    codes {
    /// A database URL or credentials in `migrate.toml`.
    ConfigCredentials = "config-credentials";
    /// A `migrate.toml` value of the wrong kind or out of range.
    ConfigInvalidValue = "config-invalid-value";
    /// `migrate.toml` is not valid TOML.
    ConfigSyntax = "config-syntax";
    /// An unknown key in `migrate.toml`.
    ConfigUnknownKey = "config-unknown-key";
    /// `migrate.toml` cannot be read.
    ConfigUnreadable = "config-unreadable";
    /// A file with CR-only line endings.
    CrLineEndings = "cr-line-endings";
    /// The revisions' parents form a cycle.
    Cycle = "cycle";
    /// Two revisions carry the same branch label.
    DuplicateBranchLabel = "duplicate-branch-label";
    /// Two files declare the same revision id.
    DuplicateRevision = "duplicate-revision";
    /// A revision (not a merge) without upgrade statements.
    EmptyUpgrade = "empty-upgrade";
    /// The file name does not start with the revision id.
    FileNameMismatch = "file-name-mismatch";
    /// A migration file that is not UTF-8.
    FileNotUtf8 = "file-not-utf8";
    /// A header value that is not valid.
    HeaderInvalidValue = "header-invalid-value";
    /// A required header key is missing.
    HeaderMissingKey = "header-missing-key";
    /// A header names the same revision twice.
    HeaderRepeatedId = "header-repeated-id";
    /// A header key given twice.
    HeaderRepeatedKey = "header-repeated-key";
    /// An unknown header key.
    HeaderUnknownKey = "header-unknown-key";
    /// A file name with a control or invisible character, or a `.sql`
    /// extension in another case (`.SQL`).
    IllegalFileName = "illegal-file-name";
    /// A revision id outside the documented character set.
    IllegalRevisionId = "illegal-revision-id";
    /// The compiler crashed (a bug).
    InternalError = "internal-error";
    /// `migrate.lock` does not parse.
    InvalidLock = "invalid-lock";
    /// A directive comment where it applies to nothing.
    MisplacedDirective = "misplaced-directive";
    /// The migrations directory does not exist.
    MissingDirectory = "missing-directory";
    /// More than one base revision.
    MultipleBases = "multiple-bases";
    /// More than one head revision.
    MultipleHeads = "multiple-heads";
    /// MySQL's client-side `DELIMITER` command.
    MysqlDelimiter = "mysql-delimiter";
    /// A directory entry that looks meant as a revision but is not read (a warning).
    SkippedEntry = "skipped-entry";
    /// A clause of the declared schema that the schema model does not hold
    /// (`UNLOGGED`, `COLLATE`, `ENGINE = ...`): neither compared nor written
    /// by autogenerate (a warning).
    NotHeld = "not-held";
    /// SQL before the first section marker.
    SqlOutsideSection = "sql-outside-section";
    /// SQL that no parser accepts.
    SqlSyntax = "sql-syntax";
    /// `migrate.lock` does not match the history.
    StaleLock = "stale-lock";
    /// `-- migrate:unchecked` without a reason.
    UncheckedWithoutReason = "unchecked-without-reason";
    /// An unknown `-- migrate:` directive or section option.
    UnknownDirective = "unknown-directive";
    /// An unknown rule or level in `[lints]`.
    UnknownLint = "unknown-lint";
    /// A parent or dependency that names no revision.
    UnknownRevision = "unknown-revision";
    /// A migration file or the directory cannot be read.
    UnreadableFile = "unreadable-file";
    /// `migrate.lock` cannot be read.
    UnreadableLock = "unreadable-lock";
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no diagnostic code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown diagnostic code `{0}`")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;

    /// The code with this kebab-case name.
    fn from_str(name: &str) -> Result<Code, UnknownCode> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
            .ok_or_else(|| UnknownCode(name.to_string()))
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(code.as_str().parse::<Code>(), Ok(*code));
        }
        for rule in Rule::ALL {
            assert_eq!(rule.code().rule(), Some(*rule));
            assert_eq!(rule.code().as_str(), rule.name());
        }
        assert!("no-such-code".parse::<Code>().is_err());
    }
}
