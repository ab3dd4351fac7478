//! Reads a migrations directory with the compiler and turns it into an owned
//! [`Plan`] for the runtime.
//!
//! The diagnostics are rendered by `migrate_build::render`, the renderer the
//! macro uses, so `cargo migrate` and `cargo build` print the same text.
//!
//! One deliberate difference from the build: a directory with several heads
//! is still loaded for the verbs that inspect or fix it (`heads`, `history`,
//! `merge`, `upgrade heads`), with a warning. Alembic works the same way,
//! and a user who has just branched needs `cargo migrate heads` to work.
//! `check` keeps every error fatal.

use std::path::{Path, PathBuf};

use migrate_build::config::Config;
use migrate_build::{Code, CompiledRevision, Diagnostic, Severity, Sources, Style};
use migrate_present::Printer;
use migrate_runtime::plan::Plan;

/// Error codes a read verb tolerates (shown as one warning line).
pub const TOLERATED_BY_READ_VERBS: &[Code] = &[Code::MultipleHeads, Code::StaleLock];

/// Error codes `upgrade`, `downgrade` and `stamp` tolerate: several heads
/// (`upgrade heads` applies them). A stale `migrate.lock` is refused, as
/// `cargo build` and `check` refuse it.
pub const TOLERATED_BY_WRITE_VERBS: &[Code] = &[Code::MultipleHeads];

/// The compiled directory.
#[derive(Debug)]
pub struct Loaded {
    /// `migrate.toml`.
    pub config: Config,
    /// Every revision, in plan order.
    pub revisions: Vec<CompiledRevision>,
    /// Lint findings and tolerated errors.
    pub warnings: Vec<Diagnostic>,
    /// File texts, for rendering diagnostics.
    pub sources: Sources,
}

/// The compiler failed; the diagnostics were printed.
#[derive(Debug, thiserror::Error)]
#[error("could not compile `{dir}` ({count} error{plural})", plural = if *.count == 1 { "" } else { "s" })]
pub struct CompileFailed {
    /// The directory as given.
    pub dir: String,
    /// How many errors.
    pub count: usize,
}

/// Renders diagnostics to stderr, styled on a terminal unless `NO_COLOR`;
/// with `-q`, errors only.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &Sources, printer: &Printer) {
    let kept: Vec<Diagnostic>;
    let diagnostics = if printer.quiet() {
        kept = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect();
        &kept[..]
    } else {
        diagnostics
    };
    if diagnostics.is_empty() {
        return;
    }
    let explained: Vec<Diagnostic>;
    let diagnostics = if cfg!(feature = "pg-query") {
        diagnostics
    } else {
        explained = diagnostics
            .iter()
            .cloned()
            .map(explain_missing_parser)
            .collect();
        &explained[..]
    };
    // `Printer` already weighed `--color`, NO_COLOR and the terminal.
    let style = if printer.colored() {
        Style::Styled
    } else {
        Style::Plain
    };
    // Messages may quote a URL too, not only the snippets.
    let rendered = mask_passwords(&migrate_build::render(diagnostics, sources, style));
    eprintln!("{rendered}\n");
}

/// A syntax error in a PostgreSQL history, from a `cargo migrate` built
/// without PostgreSQL's parser: the build's help advises the `pg-query`
/// feature on migrate-runtime, and the CLI must have the same parser to
/// accept what that build accepts, so the help says how to install it.
fn explain_missing_parser(mut diagnostic: Diagnostic) -> Diagnostic {
    if diagnostic.code == "sql-syntax"
        && diagnostic
            .help
            .as_deref()
            .is_some_and(|help| help.contains("pg-query"))
    {
        diagnostic.help = Some(
            "if PostgreSQL accepts this statement, the build accepts it with `features = [\"pg-query\"]` on migrate-runtime, and this `cargo migrate` was installed without PostgreSQL's parser: reinstall it with `cargo install migrate-cli --features pg-query` (building it needs libclang-dev) so that it accepts what the build accepts; or put `-- migrate:unchecked -- <reason>` on the line before the statement (it is then applied but not analysed)".to_string(),
        );
    }
    diagnostic
}

/// Compiles `dir` exactly as `embed_migrations!` does (`migrate_build::compile`,
/// every error fatal), printing the same diagnostics the build prints: the
/// CLI's gate (`check`) and `lint` must agree with `cargo build`.
pub fn build(dir: &Path) -> Result<migrate_build::Compiled, migrate_build::Failure> {
    let options = migrate_build::Options::new().display_dir(display_path(dir));
    migrate_build::compile(dir, &options)
}

/// [`build`], printing the diagnostics; warnings are printed too, as cargo does.
pub fn load_strict(dir: &Path, printer: &Printer) -> anyhow::Result<Loaded> {
    match build(dir) {
        Ok(compiled) => {
            print_diagnostics(&compiled.warnings, &compiled.sources, printer);
            Ok(Loaded {
                config: compiled.config,
                revisions: compiled.revisions,
                warnings: compiled.warnings,
                sources: compiled.sources,
            })
        }
        Err(failure) => {
            print_diagnostics(&failure.diagnostics, &failure.sources, printer);
            Err(CompileFailed {
                dir: display_path(dir).display().to_string(),
                count: failure.errors().count(),
            }
            .into())
        }
    }
}

/// Compiles `dir` with the build's own pipeline, except that errors whose
/// code is in `tolerate` are kept as warnings; when anything fatal is found,
/// prints the fatal diagnostics and fails.
pub fn load(dir: &Path, tolerate: &'static [Code], printer: &Printer) -> anyhow::Result<Loaded> {
    load_with(dir, tolerate, false, printer)
}

/// [`load`] for the read verbs (`history`, `heads`, `current`, `show`,
/// `branches`), with [`migrate_build::Options::salvage`]: a file whose SQL
/// is broken stays in the history by its header, and errors of the files,
/// the lock and the lints come back in [`Loaded::warnings`] (severity
/// `Error`) for the verb to print after its answer. What would make the
/// answer wrong (a header that does not read, a broken graph) still fails.
pub fn load_for_reading(dir: &Path, printer: &Printer) -> anyhow::Result<Loaded> {
    load_with(dir, TOLERATED_BY_READ_VERBS, true, printer)
}

/// Error codes `lint --explain-model` tolerates: it shows the model the
/// checks hold, which is most useful when they fail.
pub const TOLERATED_BY_EXPLAIN: &[Code] = &[
    Code::MultipleHeads,
    Code::StaleLock,
    Code::UnknownObject,
    Code::DuplicateObject,
    Code::DowngradeMismatch,
];

/// [`load`] for `lint --explain-model`: the model's own errors
/// ([`TOLERATED_BY_EXPLAIN`]) do not stop it.
pub fn load_for_explaining(dir: &Path, printer: &Printer) -> anyhow::Result<Loaded> {
    load_with(dir, TOLERATED_BY_EXPLAIN, false, printer)
}

fn load_with(
    dir: &Path,
    tolerate: &'static [Code],
    salvage: bool,
    printer: &Printer,
) -> anyhow::Result<Loaded> {
    if !dir.is_dir() {
        anyhow::bail!(
            "no migrations directory at `{}`; create one with `cargo migrate init`, or pass `--dir`",
            dir.display()
        );
    }
    let display_dir = display_path(dir);
    let options = migrate_build::Options::new()
        .display_dir(&display_dir)
        .tolerate(tolerate)
        .salvage(salvage);
    match migrate_build::compile(dir, &options) {
        Ok(compiled) => Ok(Loaded {
            config: compiled.config,
            revisions: compiled.revisions,
            warnings: compiled.warnings,
            sources: compiled.sources,
        }),
        Err(failure) => {
            let fatal: Vec<Diagnostic> = failure
                .diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error && !tolerate.contains(&d.code))
                .collect();
            print_diagnostics(&fatal, &failure.sources, printer);
            Err(CompileFailed {
                dir: display_dir.display().to_string(),
                count: fatal.len(),
            }
            .into())
        }
    }
}

pub use migrate_build::render::mask_passwords;

/// The directory as the user wrote it, relative when it is inside the
/// working directory, so that paths in messages are short.
pub fn display_path(dir: &Path) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) => dir
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| dir.to_path_buf()),
        Err(_) => dir.to_path_buf(),
    }
}

/// The owned plan for compiled revisions (in plan order): the data the
/// macro would embed for the same directory, built by the same function,
/// its graph resolved by the compiler.
pub fn plan_from_compiled(loaded: &Loaded) -> Plan {
    migrate_build::plan::plan(&loaded.config, &loaded.revisions)
}
