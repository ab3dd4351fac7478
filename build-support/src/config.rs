//! `migrations/migrate.toml`: the optional per-directory settings.
//!
//! ```toml
//! dialect = "postgres"          # postgres | sqlite | mysql | generic (default)
//! version_table = "migrate_version"
//! require_downgrade = false
//! schema = "schema.sql"         # target schema for autogenerate
//!
//! [lints]
//! require-concurrent-index-creation = "error"   # error | warn | off
//! ```
//!
//! Every unknown key is an error pointing at its line: a typo such as
//! `dialet = "postgres"` must not silently validate against the generic
//! dialect. A database URL is refused outright: credentials do not belong in
//! version control (the Alembic guide's own advice), so the URL comes from
//! `DATABASE_URL` or `--database-url`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::codes::{Code, Level};
use crate::source::SourceFile;
use crate::{Diagnostic, Label, Severity};

/// The name of the settings file inside the migrations directory.
pub use crate::source::CONFIG_FILE;

/// The default name of the version table.
pub(crate) const DEFAULT_VERSION_TABLE: &str = "migrate_version";

/// The SQL dialect statements are validated against: the one type, from
/// `migrate-core`.
pub use migrate_core::Dialect;

/// The sqlparser dialect used to tokenize and parse `dialect`.
pub fn sqlparser_dialect(dialect: Dialect) -> &'static dyn sqlparser::dialect::Dialect {
    use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
    static GENERIC: GenericDialect = GenericDialect {};
    static POSTGRES: PostgreSqlDialect = PostgreSqlDialect {};
    static SQLITE: SQLiteDialect = SQLiteDialect {};
    static MYSQL: MySqlDialect = MySqlDialect {};
    match dialect {
        Dialect::Generic => &GENERIC,
        Dialect::Postgres => &POSTGRES,
        Dialect::Sqlite => &SQLITE,
        Dialect::MySql => &MYSQL,
    }
}

/// The settings of one migrations directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `dialect` (default generic).
    pub dialect: Dialect,
    /// `version_table` (default `migrate_version`).
    pub version_table: String,
    /// `require_downgrade`: a revision without downgrade statements is an error.
    pub require_downgrade: bool,
    /// `[lints]`: rule name as written -> its level, parsed here once
    /// (`"error"`, `"warn"` or `"off"`). Names are validated by the lint
    /// stage, which reports through `lint_spans`.
    pub lints: BTreeMap<String, Level>,
    /// `schema`: the target schema file for autogenerate, relative to the
    /// migrations directory.
    pub schema: Option<PathBuf>,
    /// Byte range of each `[lints]` key in `source`, for diagnostics about
    /// unknown rule names.
    pub lint_spans: BTreeMap<String, Range<usize>>,
    /// The file it was read from (display path and text); `None` when the
    /// directory has no `migrate.toml`.
    pub source: Option<SourceFile>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dialect: Dialect::Generic,
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            require_downgrade: false,
            lints: BTreeMap::new(),
            schema: None,
            lint_spans: BTreeMap::new(),
            source: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    dialect: Option<toml::Spanned<String>>,
    version_table: Option<toml::Spanned<String>>,
    require_downgrade: Option<bool>,
    schema: Option<String>,
    lints: Option<BTreeMap<toml::Spanned<String>, toml::Spanned<String>>>,
}

/// Reads `dir/migrate.toml` if it exists; the defaults otherwise.
/// `display_dir` is the directory as shown in diagnostics.
pub fn load(dir: &Path, display_dir: &Path) -> Result<Config, Vec<Diagnostic>> {
    from_file(crate::source::read_config(dir, display_dir)?.as_ref())
}

/// The configuration in `file` as [`crate::source::read_config`] read it;
/// the defaults when there is none.
pub(crate) fn from_file(file: Option<&SourceFile>) -> Result<Config, Vec<Diagnostic>> {
    match file {
        Some(file) => parse(&file.path, &file.text),
        None => Ok(Config::default()),
    }
}

/// Parses the text of a `migrate.toml` shown as `file` in diagnostics.
pub fn parse(file: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let error = |code: Code, message: String, span: Range<usize>, label: &str| Diagnostic {
        severity: Severity::Error,
        code,
        message,
        labels: vec![Label {
            file: file.to_path_buf(),
            span,
            message: label.to_string(),
            primary: true,
        }],
        notes: Vec::new(),
        help: None,
    };

    // A generic pass first, so that credentials are refused with their own
    // advice even under a key that would otherwise be "unknown".
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            return Err(vec![error(
                Code::ConfigSyntax,
                format!("invalid `{CONFIG_FILE}`: {}", err.message()),
                span,
                "",
            )]);
        }
    };
    let mut diagnostics = Vec::new();
    find_credentials(file, text, &table, &mut diagnostics);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            let mut diagnostic = error(
                Code::ConfigUnknownKey,
                format!("invalid `{CONFIG_FILE}`: {}", err.message().trim_end()),
                span,
                "",
            );
            if err.message().contains("unknown field") {
                diagnostic.help = Some(
                    "the keys are `dialect`, `version_table`, `require_downgrade`, `schema` and the `[lints]` table"
                        .to_string(),
                );
            } else {
                diagnostic.code = Code::ConfigInvalidValue;
            }
            return Err(vec![diagnostic]);
        }
    };

    let mut config = Config::default();
    if let Some(dialect) = raw.dialect {
        match Dialect::from_name(dialect.get_ref()) {
            Some(parsed) => config.dialect = parsed,
            None => {
                let mut diagnostic = error(
                    Code::ConfigInvalidValue,
                    format!("unknown dialect `{}`", dialect.get_ref()),
                    dialect.span(),
                    "expected postgres, sqlite, mysql or generic",
                );
                diagnostic.help = Some(
                    "use `dialect = \"postgres\"`, `\"sqlite\"`, `\"mysql\"` or `\"generic\"`"
                        .to_string(),
                );
                diagnostics.push(diagnostic);
            }
        }
    }
    if let Some(table_name) = raw.version_table {
        if let Err(why) = check_table_name(table_name.get_ref()) {
            let mut diagnostic = error(
                Code::ConfigInvalidValue,
                format!("invalid version table name `{}`", table_name.get_ref()),
                table_name.span(),
                &why,
            );
            diagnostic.help = Some(
                "use ASCII letters, digits and `_` (not a digit first), at most 48 characters; the runtime creates `<name>` and `<name>_summary`"
                    .to_string(),
            );
            diagnostics.push(diagnostic);
        } else {
            config.version_table = table_name.into_inner();
        }
    }
    config.require_downgrade = raw.require_downgrade.unwrap_or(false);
    config.schema = raw.schema.map(PathBuf::from);
    for (name, level) in raw.lints.unwrap_or_default() {
        let Some(parsed) = Level::from_name(level.get_ref()) else {
            let mut diagnostic = error(
                Code::ConfigInvalidValue,
                format!(
                    "invalid level `{}` for lint `{}`",
                    level.get_ref(),
                    name.get_ref()
                ),
                level.span(),
                "expected \"error\", \"warn\" or \"off\"",
            );
            diagnostic.help = Some("a lint level is \"error\", \"warn\" or \"off\"".to_string());
            diagnostics.push(diagnostic);
            continue;
        };
        config
            .lint_spans
            .insert(name.get_ref().clone(), name.span());
        config.lints.insert(name.into_inner(), parsed);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    config.source = Some(SourceFile {
        path: file.to_path_buf(),
        text: text.to_string(),
    });
    Ok(config)
}

/// The version table name rule, the runtime's own (`migrate-core`).
fn check_table_name(name: &str) -> Result<(), String> {
    match migrate_core::names::version_table_problem(name) {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// Reports every key that holds a database URL, or whose value is a URL
/// with a user name or password.
fn find_credentials(
    file: &Path,
    text: &str,
    table: &toml::Table,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (key, value) in table {
        let url_key = key.to_ascii_lowercase().contains("url");
        let has_credentials = match value {
            toml::Value::String(s) => crate::url_mask::url_has_credentials(s),
            _ => false,
        };
        if url_key || has_credentials {
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                code: Code::ConfigCredentials,
                message: format!("`{key}` in `{CONFIG_FILE}`: a database URL does not belong in the migrations directory"),
                labels: vec![Label {
                    file: file.to_path_buf(),
                    span: key_span(text, key),
                    message: "remove this key".to_string(),
                    primary: true,
                }],
                notes: vec!["credentials committed to version control are exposed to everyone who can read the repository".to_string()],
                help: Some("set the `DATABASE_URL` environment variable (or pass `--database-url`) instead".to_string()),
            });
        }
        if let toml::Value::Table(inner) = value {
            find_credentials(file, text, inner, diagnostics);
        }
    }
}

/// The byte range of `key` where it starts a line (`key =`), else empty.
fn key_span(text: &str, key: &str) -> Range<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let start = offset + (line.len() - trimmed.len());
        for candidate in [key.to_string(), format!("\"{key}\"")] {
            if let Some(rest) = trimmed.strip_prefix(candidate.as_str()) {
                if rest.trim_start().starts_with('=') {
                    return start..start + candidate.len();
                }
            }
        }
        offset += line.len();
    }
    0..0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        match parse(Path::new("migrations/migrate.toml"), text) {
            Ok(config) => config,
            Err(diagnostics) => panic!("unexpected errors: {diagnostics:#?}"),
        }
    }

    /// The error codes and the text under each primary label.
    fn parse_err(text: &str) -> Vec<(&'static str, String)> {
        match parse(Path::new("migrations/migrate.toml"), text) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| {
                    let span = d.labels.first().map(|l| l.span.clone()).unwrap_or(0..0);
                    (d.code.as_str(), text[span].to_string())
                })
                .collect(),
        }
    }

    #[test]
    fn defaults() {
        let config = parse_ok("");
        assert_eq!(config.dialect, Dialect::Generic);
        assert_eq!(config.version_table, "migrate_version");
        assert!(!config.require_downgrade);
        assert!(config.lints.is_empty());
        assert_eq!(config.schema, None);
    }

    #[test]
    fn every_key() {
        let config = parse_ok(
            "dialect = \"postgres\"\nversion_table = \"app_versions\"\nrequire_downgrade = true\nschema = \"schema.sql\"\n[lints]\nban-drop-column = \"error\"\n",
        );
        assert_eq!(config.dialect, Dialect::Postgres);
        assert_eq!(config.version_table, "app_versions");
        assert!(config.require_downgrade);
        assert_eq!(config.schema, Some(PathBuf::from("schema.sql")));
        assert_eq!(config.lints["ban-drop-column"], Level::Error);
        let span = config.lint_spans["ban-drop-column"].clone();
        assert_eq!(
            &config
                .source
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default()[span],
            "ban-drop-column"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_err("dialet = \"postgres\"\n"),
            [("config-unknown-key", "dialet".to_string())]
        );
        assert_eq!(
            parse_err("dialect = \"oracle\"\n"),
            [("config-invalid-value", "\"oracle\"".to_string())]
        );
        assert_eq!(
            parse_err("version_table = \"1abc\"\n"),
            [("config-invalid-value", "\"1abc\"".to_string())]
        );
        assert_eq!(
            parse_err("version_table = \"a.b.c\"\n"),
            [("config-invalid-value", "\"a.b.c\"".to_string())]
        );
        // Regression: `app.versions` passed the build, then every verb
        // refused it; the build and the runtime now share one rule.
        assert_eq!(
            parse_err("version_table = \"app.versions\"\n"),
            [("config-invalid-value", "\"app.versions\"".to_string())]
        );
        assert_eq!(
            parse_err(&format!("version_table = \"{}\"\n", "x".repeat(49))),
            [("config-invalid-value", format!("\"{}\"", "x".repeat(49)))]
        );
        assert_eq!(
            parse_err("[lints]\nban-drop-column = \"deny\"\n"),
            [("config-invalid-value", "\"deny\"".to_string())]
        );
        assert_eq!(
            parse_err("require_downgrade = \"yes\"\n"),
            [("config-invalid-value", "\"yes\"".to_string())]
        );
        assert_eq!(parse_err("dialect = \n")[0].0, "config-syntax");
        assert_eq!(
            parse_err("[lints]\nfoo = \"warn\"\n[other]\nx = 1\n"),
            [("config-unknown-key", "other".to_string())]
        );
    }

    #[test]
    fn credentials_are_refused() {
        assert_eq!(
            parse_err("database_url = \"postgres://admin:s3cr3t@prod/db\"\n"),
            [("config-credentials", "database_url".to_string())]
        );
        assert_eq!(
            parse_err("dialect = \"postgres\"\nurl = \"postgres://localhost/db\"\n"),
            [("config-credentials", "url".to_string())]
        );
        assert_eq!(
            parse_err("schema = \"mysql://root:pw@host/db\"\n"),
            [("config-credentials", "schema".to_string())]
        );
        // The password is never echoed back.
        let diagnostics = parse(
            Path::new("m/migrate.toml"),
            "database_url = \"postgres://admin:s3cr3t@prod/db\"\n",
        )
        .unwrap_err();
        let shown = format!("{:?}", diagnostics);
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn missing_file_is_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            load(dir.path(), Path::new("migrations")),
            Ok(Config::default())
        );
        std::fs::write(dir.path().join(CONFIG_FILE), "dialect = \"sqlite\"\n").expect("write");
        let config = load(dir.path(), Path::new("migrations")).expect("config");
        assert_eq!(config.dialect, Dialect::Sqlite);
        assert_eq!(
            config.source.map(|s| s.path),
            Some(PathBuf::from("migrations/migrate.toml"))
        );
    }
}
