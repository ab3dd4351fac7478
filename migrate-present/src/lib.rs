//! Presentation for the migration verbs: how results and status lines are
//! printed (the [`Printer`], text and JSON [`Report`]s, colour and `-q` /
//! `-v`), the clap argument types of the verbs ([`Command`], [`MigrateOpt`],
//! [`MoveArgs`], ...), and the [`Progress`] of a long upgrade.
//!
//! It holds no database code and no plan: `cargo migrate` uses it for every
//! verb (`init`, `revision` and `lock` need nothing else), and
//! `migrate-runtime` re-exports it from `migrate_runtime::cli` (feature
//! `cli`), where the verbs run over an embedded plan. What the read verbs
//! report (history, heads, ...) is computed by the runtime from its plan and
//! handed here as a [`Report`].

#![warn(missing_docs)]

use std::fmt;
use std::io::{IsTerminal, Write as _};

use serde_json::Value;

/// Documented exit codes, shown after `--help`.
pub const EXIT_CODES: &str =
    "Exit codes: 0 success, 1 failure (an error, or `check` finding the database \
behind head), 2 usage error.";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Output options shared by every verb.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputOpts {
    /// Output format of the read verbs.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// When to colour status lines.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: full entries in `history`, `heads` and `current`.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// Writes results to stdout and cargo-style status lines to stderr.
#[derive(Debug, Clone)]
pub struct Printer {
    /// The chosen format.
    pub format: Format,
    color: bool,
    quiet: bool,
    verbose: u8,
    interactive: bool,
}

impl Printer {
    /// Decides colour once: `--color`, then `NO_COLOR`, then whether stderr is a terminal.
    pub fn new(opts: &OutputOpts) -> Self {
        let interactive = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let color = match opts.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => interactive && !no_color,
        };
        Printer {
            format: opts.format,
            color,
            quiet: opts.quiet,
            verbose: opts.verbose,
            interactive,
        }
    }

    /// True when stderr is a terminal (progress bars are drawn only then).
    pub fn interactive(&self) -> bool {
        self.interactive && !self.quiet
    }

    /// True with `-q`: only errors and results are printed.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// True when status lines are coloured.
    pub fn colored(&self) -> bool {
        self.color
    }

    /// True with `-v`.
    pub fn verbose(&self) -> bool {
        self.verbose > 0
    }

    /// True with `--format json`.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// `   Upgrading 1a2b -> 3c4d, add posts` on stderr, the verb right-aligned
    /// and bold green on a terminal, as cargo prints `Compiling`.
    pub fn status(&self, verb: &str, message: impl fmt::Display) {
        if self.quiet {
            return;
        }
        let line = if self.color {
            format!("\x1b[1;32m{verb:>12}\x1b[0m {message}")
        } else {
            format!("{verb:>12} {message}")
        };
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    /// `warning: ...` on stderr.
    pub fn warning(&self, message: impl fmt::Display) {
        if self.quiet {
            return;
        }
        let prefix = self.paint("warning", "1;33");
        let message = migrate_core::url_mask::redact_text(&message.to_string());
        let _ = writeln!(std::io::stderr(), "{prefix}: {message}");
    }

    /// `help: ...` on stderr, after an error (never suppressed).
    pub fn help(&self, message: impl fmt::Display) {
        let prefix = self.paint("help", "1;36");
        let _ = writeln!(std::io::stderr(), "{prefix}: {message}");
    }

    /// `error: ...` on stderr (never suppressed). A URL's password in it is
    /// masked here too, whatever error produced the text.
    pub fn error(&self, message: impl fmt::Display) {
        let message = migrate_core::url_mask::redact_text(&message.to_string());
        let prefix = self.paint("error", "1;31");
        let _ = writeln!(std::io::stderr(), "{prefix}: {message}");
    }

    /// Prints a verb's result: its text, or its JSON document.
    pub fn report(&self, report: &Report) {
        let mut stdout = std::io::stdout().lock();
        match self.format {
            Format::Text => {
                let _ = stdout.write_all(report.text.as_bytes());
            }
            Format::Json => {
                let _ = writeln!(stdout, "{:#}", report.json);
            }
        }
        let _ = stdout.flush();
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// What a read verb prints: the same content as text and as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Text for `--format text`, ending in a newline unless empty.
    pub text: String,
    /// The document for `--format json`.
    pub json: Value,
}

/// The verbs that work over an embedded plan.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Apply revisions up to TARGET (`head`, `heads`, an id or prefix, `+N`, `<id>+N`, `<label>@head`).
    Upgrade(MoveArgs),
    /// Revert revisions down to TARGET (`-N`, `base`, an id or prefix, `head-N`, `<label>@base`).
    Downgrade(MoveArgs),
    /// Show the revision(s) the database is at (`--verbose` for details).
    Current,
    /// List revisions, newest first (`--verbose` for details).
    History(HistoryArgs),
    /// Show the head revisions (`--verbose` for details).
    Heads,
    /// Show the branch points.
    Branches,
    /// Show one revision.
    Show {
        /// An id, a prefix of 4 or more characters, a branch label, `head` or `<label>@head`.
        rev: String,
    },
    /// Exit 1 unless the database is at head (for CI and readiness probes).
    Check {
        /// Instead: compare the database's schema with the history's at the
        /// revisions it records, and exit 1 on a difference (`cargo
        /// migrate` only: it needs the migrations directory).
        #[arg(long)]
        drift: bool,
    },
    /// Record TARGET as applied without running any SQL (`--adopt TOOL`: what TOOL's table says).
    Stamp {
        /// The revision(s) to record; several (`stamp a b`) as in Alembic.
        #[arg(allow_negative_numbers = true, required_unless_present = "adopt", num_args = 1..)]
        target: Vec<String>,
        /// First empty the version table (rows this plan does not know
        /// included), then stamp from base, as Alembic's `--purge`.
        #[arg(long, conflicts_with = "adopt")]
        purge: bool,
        /// Take over a database TOOL migrated: read its version table and
        /// record the revisions `cargo migrate import --from TOOL` wrote for
        /// the versions it holds (sqlx, diesel, refinery, golang-migrate,
        /// dbmate, pop, alembic).
        #[arg(long, value_name = "TOOL", conflicts_with = "target", value_parser = source_tool())]
        adopt: Option<migrate_core::adopt::SourceTool>,
    },
}

/// Parses a source tool's name (`stamp --adopt`, `cargo migrate import
/// --from`): the one list of tools is `migrate_core::adopt::SourceTool`;
/// each value's help is its [`SourceTool::layout`](migrate_core::adopt::SourceTool::layout).
pub fn source_tool() -> impl clap::builder::TypedValueParser<Value = migrate_core::adopt::SourceTool>
{
    use clap::builder::{PossibleValue, TypedValueParser as _};
    use migrate_core::adopt::SourceTool;
    let values = SourceTool::ALL.map(|tool| PossibleValue::new(tool.name()).help(tool.layout()));
    clap::builder::PossibleValuesParser::new(values)
        .try_map(|name| SourceTool::from_name(&name).ok_or(format!("unknown tool `{name}`")))
}

/// `upgrade` / `downgrade` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct MoveArgs {
    /// Where to go; with `--sql`, a range `FROM:TO` (`base:head` by default for upgrade).
    #[arg(allow_hyphen_values = true)]
    pub target: String,
    /// Print the SQL script instead of running it (no database needed).
    #[arg(long)]
    pub sql: bool,
    /// The dialect of the `--sql` script (default: the database URL's, then migrate.toml's).
    #[arg(long, value_enum)]
    pub dialect: Option<SqlDialect>,
    /// Run every revision in one transaction (PostgreSQL and SQLite), as
    /// Alembic does by default; one transaction per revision otherwise.
    #[arg(long)]
    pub single_transaction: bool,
    /// Run even when an applied revision's statements changed since (an
    /// intended edit); checksums are verified otherwise.
    #[arg(long)]
    pub ignore_checksums: bool,
    /// `downgrade`: also revert revisions the plan does not know (applied by
    /// a newer version), with the downgrade statements stored when they ran.
    #[arg(long)]
    pub revert_unknown: bool,
    /// Give up on any statement (or batch, or version-table query) the
    /// server has not answered after SECONDS, and say so; a frozen network
    /// otherwise waits for as long as the operating system keeps the
    /// connection. Off by default.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub statement_timeout: Option<std::time::Duration>,
    /// While a statement runs, ask the server through a second connection
    /// every SECONDS (default 15), and stop when it does not answer (a
    /// frozen network) without bounding the statement itself; `off` waits
    /// for as long as the operating system keeps the connection.
    #[arg(long, value_name = "SECONDS|off", value_parser = parse_probe)]
    pub liveness_probe: Option<LivenessProbe>,
}

/// `--liveness-probe`: an interval, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessProbe {
    /// No probe.
    Off,
    /// A probe at this interval.
    Every(std::time::Duration),
}

fn parse_probe(text: &str) -> Result<LivenessProbe, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(LivenessProbe::Off);
    }
    parse_seconds(text).map(LivenessProbe::Every)
}

/// A positive number of seconds (fractions allowed), for the timeout flags.
pub fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!("`{text}`: the timeout must be more than 0 seconds"));
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// `history` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// A range `A:B` (both included); `A:` runs to the heads, `:B` from the base;
    /// `current` names the database's revisions (`-r current:` lists what is pending);
    /// relative ends as in Alembic (`-r base:+2`, `-r current:+1`, `-r -3:`).
    #[arg(short = 'r', long = "rev-range", allow_hyphen_values = true)]
    pub rev_range: Option<String>,
    /// Mark the revisions the database is at with `(current)`.
    #[arg(short = 'i', long = "indicate-current")]
    pub indicate_current: bool,
}

/// `--dialect` of `--sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlDialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB.
    Mysql,
}

impl From<SqlDialect> for migrate_core::Dialect {
    fn from(dialect: SqlDialect) -> migrate_core::Dialect {
        match dialect {
            SqlDialect::Postgres => migrate_core::Dialect::Postgres,
            SqlDialect::Sqlite => migrate_core::Dialect::Sqlite,
            SqlDialect::Mysql => migrate_core::Dialect::MySql,
        }
    }
}

/// Everything `myapp migrate ...` takes: a verb, the database URL, and the
/// output options.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct MigrateOpt {
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
    /// The database URL (never printed with its password).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Give up connecting after SECONDS (default: the migrator's connect
    /// timeout, 10 s unless the application set another).
    #[arg(long, value_name = "SECONDS", global = true, value_parser = parse_seconds)]
    pub connect_timeout: Option<std::time::Duration>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputOpts,
    /// Running the verb over a fleet of targets.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Running `upgrade`, `downgrade`, `current`, `check` or `stamp` (and
/// `--sql`) over a fleet of targets: schemas of the PostgreSQL database at
/// the database URL, or databases given by URL.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FleetArgs {
    /// Run the verb on every target listed in FILE, one a line (`#` starts a
    /// comment): a schema name (of the PostgreSQL database at the database
    /// URL) or a database URL.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        conflicts_with = "targets_query"
    )]
    pub fleet: Option<std::path::PathBuf>,
    /// Run the verb on every target a query on the database at the database
    /// URL returns (its first column: schema names or URLs).
    #[arg(long, value_name = "SQL", global = true)]
    pub targets_query: Option<String>,
    /// How many targets run at once (default 4, the size of a single run's pool).
    #[arg(long, value_name = "N", global = true, value_parser = parse_count)]
    pub concurrency: Option<usize>,
    /// Start no further target once N targets failed (default: run them all).
    #[arg(long, value_name = "N", global = true, value_parser = parse_count)]
    pub stop_after_failures: Option<usize>,
    /// Run the first N targets first, and stop there if any of them fails.
    #[arg(long, value_name = "N", global = true, value_parser = parse_count)]
    pub canary: Option<usize>,
}

impl FleetArgs {
    /// True when a fleet was given (`--fleet` or `--targets-query`).
    pub fn is_fleet(&self) -> bool {
        self.fleet.is_some() || self.targets_query.is_some()
    }
}

/// A count of at least 1, for the fleet flags.
pub fn parse_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err(format!("`{text}`: must be at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

/// Progress of a long upgrade; `cargo migrate` draws a bar with it.
pub trait Progress {
    /// `total` revisions are about to run.
    fn start(&self, total: usize);
    /// The revision `id` (its message: `message`) is about to run.
    fn step(&self, id: &str, message: &str);
    /// The run ended (successfully or not).
    fn finish(&self);
}

/// Upgrades of more revisions than this get a progress bar.
pub const PROGRESS_THRESHOLD: usize = 3;
