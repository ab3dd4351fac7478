//! `cargo migrate`: Alembic's verbs over a migrations directory.
//!
//! The binary reads the directory at run time with `migrate-build` (the same
//! compiler `embed_migrations!` runs at build time, so the diagnostics are
//! identical), turns the result into an owned [`migrate_runtime::Plan`], and
//! runs the verbs of [`migrate_runtime::cli`] over it: `cargo migrate` and an
//! application's own `myapp migrate` print the same thing. The verbs that
//! write files (`init`, `revision`, `merge`, `lock`) and `lint` exist only
//! here, since a deployed binary has no directory to write to.
//!
//! Layout follows sqlx-cli: [`run`] dispatches to one module per verb group
//! under `cmd/`; `src/bin/cargo-migrate.rs` only parses arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use migrate_present::{ColorChoice, Printer};

pub mod cmd;
pub mod files;
pub mod load;
pub mod scan;

/// `cargo migrate` arguments.
#[derive(Args, Debug)]
#[command(
    about = "Alembic's verbs for a migrations directory",
    after_help = "The database URL comes from --database-url or DATABASE_URL (a .env file is read if present), \
never from a committed file.\n\nExit codes: 0 success, 1 failure (an error, or `check` finding the database \
behind head, the directory broken, migrate.lock stale, or `check --drift` finding drift), 2 usage error."
)]
pub struct Opt {
    /// The verb.
    #[command(subcommand)]
    pub command: Command,

    /// The migrations directory.
    #[arg(long, global = true, default_value = "migrations")]
    pub dir: PathBuf,

    /// Output format: text for people, json for machines (sarif for `lint` only).
    #[arg(long, value_enum, global = true, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// When to colour output.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more: full entries in `history`, `heads` and `current`; the runtime's
    /// log of each revision (`-vv`: each statement).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The database URL; DATABASE_URL by default. Never read from a committed file.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Give up connecting after SECONDS (default 10), whether the server
    /// refuses nothing and answers nothing or is slow to wake up.
    #[arg(long, value_name = "SECONDS", global = true, value_parser = migrate_present::parse_seconds)]
    pub connect_timeout: Option<std::time::Duration>,

    /// Running a database verb over a fleet of targets (see README, Fleets).
    #[command(flatten)]
    pub fleet: migrate_present::FleetArgs,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Text for people.
    Text,
    /// JSON for machines.
    Json,
    /// SARIF 2.1.0 (`lint` only), for code-scanning tools.
    Sarif,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a migrations directory, migrate.toml, migrate.lock and the build.rs line.
    Init {
        /// The directory to create (default: `--dir`, which defaults to `migrations`).
        directory: Option<PathBuf>,
        /// The SQL dialect written into migrate.toml.
        #[arg(long, value_enum, default_value_t = InitDialect::Generic)]
        dialect: InitDialect,
    },
    /// Write a new revision file on top of the current head.
    Revision(RevisionArgs),
    /// Write a revision that merges several heads.
    Merge(MergeArgs),
    /// Rewrite migrations/migrate.lock from the directory.
    Lock,
    /// Show every build error and lint finding (`--format json|sarif` for tools).
    Lint(LintArgs),
    /// Write another tool's migration history as revision files.
    Import(cmd::import::ImportArgs),
    /// Create, drop or reset the database named in the URL (SQLite: the file).
    #[command(name = "database", subcommand)]
    DatabaseAdmin(cmd::database::DatabaseCommand),
    /// Print the completion script of a shell: `cargo migrate completions bash > ~/.local/share/bash-completion/completions/cargo-migrate`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The verbs an application's own binary has too (`myapp migrate ...`).
    #[command(flatten)]
    Database(migrate_present::Command),
}

/// `init --dialect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitDialect {
    /// sqlparser's generic dialect (runs anywhere, checks less).
    Generic,
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB.
    Mysql,
}

impl InitDialect {
    /// The name `migrate.toml` takes.
    pub fn name(self) -> &'static str {
        match self {
            InitDialect::Generic => "generic",
            InitDialect::Postgres => "postgres",
            InitDialect::Sqlite => "sqlite",
            InitDialect::Mysql => "mysql",
        }
    }
}

/// `revision`.
#[derive(Args, Debug)]
pub struct RevisionArgs {
    /// The message (becomes the file name's slug).
    #[arg(short, long)]
    pub message: String,
    /// The revision to build on: `head` (default), `base`, an id, a prefix or `<label>@head`.
    #[arg(long)]
    pub head: Option<String>,
    /// Allow `--head` to name a revision that is not a head (starts a new branch).
    #[arg(long)]
    pub splice: bool,
    /// A branch label for the new revision.
    #[arg(long = "branch-label")]
    pub branch_label: Vec<String>,
    /// Revisions the new one depends on (ids, prefixes or labels; repeat or comma-separate).
    #[arg(long = "depends-on")]
    pub depends_on: Vec<String>,
    /// Use this id instead of 12 random hex digits.
    #[arg(long = "rev-id")]
    pub rev_id: Option<String>,
    /// Write the statements that turn the schema at head into the declared
    /// schema (`schema.sql`, or `schema = "..."` in `migrate.toml`), with the
    /// downgrade that undoes them.
    #[arg(long)]
    pub autogenerate: bool,
    /// With `--autogenerate`: write nothing; exit 1 when the declared schema
    /// and the history differ.
    #[arg(long, requires = "autogenerate")]
    pub check: bool,
}

/// `lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Print the schema model after REVISION (an id, a prefix, a branch
    /// label or `head`) instead of the findings: every object the checks
    /// know, the uncertain ones marked with the statement that made them so.
    #[arg(long, value_name = "REVISION")]
    pub explain_model: Option<String>,
}

/// `merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// `heads`, or the revisions to merge.
    #[arg(required = true)]
    pub revisions: Vec<String>,
    /// The message (default `merge heads`).
    #[arg(short, long, default_value = "merge heads")]
    pub message: String,
    /// A branch label for the merge revision.
    #[arg(long = "branch-label")]
    pub branch_label: Vec<String>,
    /// Use this id instead of 12 random hex digits.
    #[arg(long = "rev-id")]
    pub rev_id: Option<String>,
}

impl Opt {
    /// The printer for these options.
    pub fn printer(&self) -> Printer {
        let format = match self.format {
            OutputFormat::Json => migrate_present::Format::Json,
            OutputFormat::Text | OutputFormat::Sarif => migrate_present::Format::Text,
        };
        Printer::new(&migrate_present::OutputOpts {
            format,
            color: self.color,
            quiet: self.quiet,
            verbose: self.verbose,
        })
    }
}

/// Runs a verb.
pub fn run(opt: Opt, printer: &Printer) -> anyhow::Result<()> {
    let sarif_lint = matches!(&opt.command, Command::Lint(args) if args.explain_model.is_none());
    if opt.format == OutputFormat::Sarif && !sarif_lint {
        return Err(UsageError(
            "`--format sarif` is only for `lint` (without `--explain-model`)".to_string(),
        )
        .into());
    }
    match &opt.command {
        Command::Init { directory, dialect } => {
            let directory = directory.as_ref().unwrap_or(&opt.dir);
            cmd::init::init(
                &std::env::current_dir()?,
                directory,
                dialect.name(),
                printer,
            )
        }
        Command::Revision(args) if args.autogenerate => {
            cmd::autogenerate::autogenerate(&opt.dir, args, opt.format, printer)
        }
        Command::Revision(args) => cmd::revision::revision(&opt.dir, args, printer).map(drop),
        Command::Merge(args) => cmd::revision::merge(&opt.dir, args, printer).map(drop),
        Command::Lock => cmd::lock::lock(&opt.dir, printer),
        Command::Lint(LintArgs {
            explain_model: Some(revision),
        }) => cmd::lint::explain_model(&opt.dir, revision, opt.format, printer),
        Command::Lint(LintArgs {
            explain_model: None,
        }) => cmd::lint::lint(&opt.dir, opt.format, printer),
        Command::Import(args) => cmd::import::import(&opt.dir, args, opt.format, printer),
        Command::DatabaseAdmin(command) => cmd::database::run(
            &opt.dir,
            command,
            opt.database_url.as_deref(),
            connect_timeout(&opt),
            printer,
        ),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut command(), "cargo", &mut std::io::stdout());
            Ok(())
        }
        Command::Database(migrate_present::Command::Check { drift: true }) => {
            if opt.fleet.is_fleet() {
                return Err(UsageError(
                    "`check --drift` reads one database, not a `--fleet` or `--targets-query`"
                        .to_string(),
                )
                .into());
            }
            cmd::drift::check_drift(
                &opt.dir,
                opt.database_url.as_deref(),
                connect_timeout(&opt),
                printer,
            )
        }
        Command::Database(command) => cmd::db::run(
            &opt.dir,
            command,
            opt.database_url.as_deref(),
            &opt.fleet,
            connect_timeout(&opt),
            printer,
        ),
    }
}

/// `--connect-timeout`, or the library's default.
fn connect_timeout(opt: &Opt) -> std::time::Duration {
    opt.connect_timeout
        .unwrap_or(migrate_runtime::DEFAULT_CONNECT_TIMEOUT)
}

/// The command line as cargo runs the binary, `cargo migrate <verb>` (what
/// `src/bin/cargo-migrate.rs` parses, and what the completions complete).
pub fn command() -> clap::Command {
    use clap::Args as _;
    clap::Command::new("cargo")
        .bin_name("cargo")
        .subcommand_required(true)
        .subcommand(Opt::augment_args(clap::Command::new("migrate")))
}

/// A mistake in the arguments that clap cannot see; exits with 2 like clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs a verb and turns its outcome into the process exit code, printing an
/// error as one line (`error: ...`), never a backtrace.
pub fn main_with(opt: Opt) -> ExitCode {
    let printer = opt.printer();
    if opt.verbose > 0 {
        // The runtime's tracing spans: each revision with -v, each batch
        // and statement with -vv.
        let filter = if opt.verbose > 1 {
            "migrate_runtime=debug"
        } else {
            "migrate_runtime=info"
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .with_ansi(printer.colored())
            .with_target(false)
            .try_init();
    }
    match run(opt, &printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            printer.error(format!("{error:#}"));
            if let Some(help) = error
                .downcast_ref::<migrate_runtime::cli::Error>()
                .and_then(migrate_runtime::cli::Error::help)
            {
                printer.help(help);
            }
            if error.is::<UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
