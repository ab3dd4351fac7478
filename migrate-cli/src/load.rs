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

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use migrate_build::config::{self, Config};
use migrate_build::{CompiledRevision, CompiledSection, Diagnostic, Severity, Sources, Style};
use migrate_runtime::cli::Printer;
use migrate_runtime::plan::{Dialect, Plan, Revision, Section, Statement};

/// Error codes a read verb tolerates (shown as one warning line).
pub const TOLERATED_BY_READ_VERBS: &[&str] = &["multiple-heads", "stale-lock"];

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

/// Renders diagnostics to stderr, styled on a terminal unless `NO_COLOR`.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &Sources, printer: &Printer) {
    if diagnostics.is_empty() {
        return;
    }
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

/// Everything the compiler found, before deciding whether it is fatal.
#[derive(Debug)]
pub struct Compilation {
    /// `migrate.toml` (the defaults when it failed to parse).
    pub config: Config,
    /// The revisions that compiled, in plan order.
    pub revisions: Vec<CompiledRevision>,
    /// Errors that fail the build.
    pub errors: Vec<Diagnostic>,
    /// Warnings, lint findings, and tolerated errors.
    pub warnings: Vec<Diagnostic>,
    /// File texts, for rendering.
    pub sources: Sources,
    /// The directory as shown in messages.
    pub display_dir: PathBuf,
}

/// Runs every stage the build runs (config, files, graph, lock, plan order,
/// lints). Errors whose code is in `tolerate` are filed as warnings.
pub fn compile(dir: &Path, tolerate: &[&str]) -> anyhow::Result<Compilation> {
    if !dir.is_dir() {
        anyhow::bail!(
            "no migrations directory at `{}`; create one with `cargo migrate init`, or pass `--dir`",
            dir.display()
        );
    }
    let display_dir = display_path(dir);
    let mut out = Compilation {
        config: Config::default(),
        revisions: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        sources: Sources::new(),
        display_dir: display_dir.clone(),
    };
    match config::load(dir, &display_dir) {
        Ok(config) => out.config = config,
        Err(diagnostics) => {
            if let Ok(text) = std::fs::read_to_string(dir.join(config::CONFIG_FILE)) {
                out.sources
                    .insert(display_dir.join(config::CONFIG_FILE), text);
            }
            out.errors.extend(diagnostics);
            return Ok(out);
        }
    }
    if let Some(source) = &out.config.source {
        out.sources.insert(source.path.clone(), source.text.clone());
    }
    let files = match migrate_build::source::read_migrations(dir, &display_dir) {
        Ok(files) => files,
        Err(diagnostics) => {
            out.errors.extend(diagnostics);
            return Ok(out);
        }
    };
    let mut compiled = Vec::with_capacity(files.len());
    let mut file_errors = Vec::new();
    for file in &files {
        out.sources.insert(file.path.clone(), file.text.clone());
        match migrate_build::revision::compile_file(file, &out.config) {
            Ok(revision) => compiled.push(revision),
            Err(diagnostics) => file_errors.extend(diagnostics),
        }
    }
    for diagnostic in file_errors {
        file(diagnostic, tolerate, &mut out);
    }
    // The graph of a directory with broken files would report their ids as
    // unknown parents: the file errors are the news.
    if out.errors.is_empty() {
        for diagnostic in migrate_build::graph::check(&compiled) {
            file(diagnostic, tolerate, &mut out);
        }
        let lock_path = dir.join(migrate_build::lock::LOCK_FILE);
        if let Ok(text) = std::fs::read_to_string(&lock_path) {
            let shown = display_dir.join(migrate_build::lock::LOCK_FILE);
            out.sources.insert(shown.clone(), text.clone());
            for diagnostic in migrate_build::lock::check(&text, &shown, &compiled) {
                file(diagnostic, tolerate, &mut out);
            }
        }
    }
    let order = migrate_build::plan::order(&compiled);
    let mut slots: Vec<Option<CompiledRevision>> = compiled.into_iter().map(Some).collect();
    out.revisions = order
        .into_iter()
        .filter_map(|index| slots[index].take())
        .collect();
    for diagnostic in migrate_build::lint::check(&out.config, &out.revisions) {
        file(diagnostic, tolerate, &mut out);
    }
    Ok(out)
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

/// Compiles `dir`; when anything fatal is found, prints every diagnostic
/// and fails. Errors whose code is in `tolerate` are kept as warnings.
pub fn load(dir: &Path, tolerate: &[&str], printer: &Printer) -> anyhow::Result<Loaded> {
    let compilation = compile(dir, tolerate)?;
    if !compilation.errors.is_empty() {
        print_diagnostics(&compilation.errors, &compilation.sources, printer);
        return Err(CompileFailed {
            dir: compilation.display_dir.display().to_string(),
            count: compilation.errors.len(),
        }
        .into());
    }
    Ok(Loaded {
        config: compilation.config,
        revisions: compilation.revisions,
        warnings: compilation.warnings,
        sources: compilation.sources,
    })
}

fn file(diagnostic: Diagnostic, tolerate: &[&str], out: &mut Compilation) {
    if diagnostic.severity == Severity::Error && !tolerate.contains(&diagnostic.code) {
        out.errors.push(diagnostic);
    } else {
        out.warnings.push(diagnostic);
    }
}

pub use migrate_build::render::mask_passwords;

/// The directory as the user wrote it, relative when it is inside the
/// working directory, so that paths in messages are short.
fn display_path(dir: &Path) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) => dir
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| dir.to_path_buf()),
        Err(_) => dir.to_path_buf(),
    }
}

/// The runtime's dialect for the compiler's.
pub fn runtime_dialect(dialect: config::Dialect) -> Dialect {
    match dialect {
        config::Dialect::Generic => Dialect::Generic,
        config::Dialect::Postgres => Dialect::Postgres,
        config::Dialect::Sqlite => Dialect::Sqlite,
        config::Dialect::MySql => Dialect::MySql,
    }
}

/// The owned plan for compiled revisions (in plan order), the data the
/// macro would embed for the same directory.
pub fn plan_from_compiled(loaded: &Loaded) -> Plan {
    let revisions: Vec<Revision> = loaded
        .revisions
        .iter()
        .map(revision_from_compiled)
        .collect();
    Plan {
        revisions: Cow::Owned(revisions),
        version_table: Cow::Owned(loaded.config.version_table.clone()),
        dialect: runtime_dialect(loaded.config.dialect),
    }
}

fn texts(items: &[String]) -> Cow<'static, [Cow<'static, str>]> {
    Cow::Owned(items.iter().map(|item| Cow::Owned(item.clone())).collect())
}

fn revision_from_compiled(revision: &CompiledRevision) -> Revision {
    let sections = |sections: &[CompiledSection]| -> Cow<'static, [Section]> {
        Cow::Owned(
            sections
                .iter()
                .map(|section| Section {
                    transactional: section.transactional,
                    line: section.line,
                    statements: Cow::Owned(
                        section
                            .statements
                            .iter()
                            .map(|statement| Statement {
                                sql: Cow::Owned(
                                    revision.source[statement.span.clone()].to_string(),
                                ),
                                line: statement.line,
                            })
                            .collect(),
                    ),
                })
                .collect(),
        )
    };
    Revision {
        id: Cow::Owned(revision.id.clone()),
        down_revisions: texts(&revision.down_revisions),
        depends_on: texts(&revision.depends_on),
        branch_labels: texts(&revision.branch_labels),
        message: Cow::Owned(revision.message.clone()),
        create_date: Cow::Owned(revision.create_date.clone()),
        file: Cow::Owned(revision.file.to_string_lossy().replace('\\', "/")),
        checksum: revision.checksum,
        upgrade: sections(&revision.upgrade),
        downgrade: sections(&revision.downgrade),
    }
}
