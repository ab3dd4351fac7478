//! [`compile`]: the whole pipeline from a directory to an ordered, checked
//! history, shared by `embed_migrations!`, `build.rs` and `cargo migrate`.
//!
//! Stages: `migrate.toml` -> read the files -> compile each file (every
//! file's errors are collected, not just the first file's) -> graph checks
//! -> plan order -> `migrate.lock` -> lints. A stage that found errors stops
//! the pipeline after it has reported everything it can, because later
//! stages would only repeat the news (an unparsable file has no parents to
//! check).

use std::path::{Path, PathBuf};

use crate::codes::Code;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::render::{render, Sources, Style};
use crate::CompiledRevision;

/// How to compile a directory.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The directory as diagnostics show it (e.g. `migrations`, as the user
    /// wrote it in the macro); defaults to the directory itself.
    pub display_dir: Option<PathBuf>,
    /// Skip the `migrate.lock` check (the CLI's `lock` verb, which rewrites it).
    pub skip_lock: bool,
    /// Error codes that do not fail the compile (see [`Options::tolerate`]).
    pub tolerate: &'static [Code],
    /// Keep what a read verb can show (see [`Options::salvage`]).
    pub salvage: bool,
    /// Reuse and store compiled files (see [`Options::cache`]).
    pub cache: Option<std::sync::Arc<crate::cache::Cache>>,
}

impl Options {
    /// Default options: paths shown as given, the lock checked.
    pub fn new() -> Options {
        Options::default()
    }

    /// Shows paths under `display_dir` in diagnostics.
    pub fn display_dir(mut self, display_dir: impl Into<PathBuf>) -> Options {
        self.display_dir = Some(display_dir.into());
        self
    }

    /// Does not check `migrate.lock`.
    pub fn skip_lock(mut self, skip: bool) -> Options {
        self.skip_lock = skip;
        self
    }

    /// Errors with these codes do not fail the compile: they are returned in
    /// [`Compiled::warnings`], keeping their `Error` severity so a caller can
    /// tell them apart. `cargo migrate`'s read verbs use it, since they must
    /// work on a directory with two heads (to run `merge`) or a stale lock
    /// (to run `lock`); the build itself tolerates nothing.
    pub fn tolerate(mut self, codes: &'static [Code]) -> Options {
        self.tolerate = codes;
        self
    }

    /// For `cargo migrate`'s read verbs (`history`, `heads`, `current`,
    /// `show`), which must keep working while a file is being edited, as
    /// Alembic's do: a file whose header reads but whose SQL has errors (the
    /// empty upgrade `cargo migrate revision` writes, a syntax error) stays in
    /// the history with its header and no statement, and errors of
    /// `migrate.lock` (a git conflict) and of the lints do not fail the
    /// compile. Every such error is returned in [`Compiled::warnings`] with
    /// its `Error` severity. A file whose header does not read, and an error
    /// of the graph not in [`Options::tolerate`], still fail: the history
    /// shown would be wrong. The lints do not run when a file was kept this
    /// way (its missing statements would make findings up). The build
    /// never salvages.
    pub fn salvage(mut self, on: bool) -> Options {
        self.salvage = on;
        self
    }

    /// Reuses the files `cache` holds for their exact text and stores the
    /// files compiled anew, then drops the entries this compile did not use
    /// (the build script's incremental path: only edited files are parsed).
    pub fn cache(mut self, cache: crate::cache::Cache) -> Options {
        self.cache = Some(std::sync::Arc::new(cache));
        self
    }
}

/// A directory that compiled: the history in plan order and its warnings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Compiled {
    /// `migrate.toml` (defaults when absent).
    pub config: Config,
    /// Every revision, in plan order.
    pub revisions: Vec<CompiledRevision>,
    /// Lint findings below error level.
    pub warnings: Vec<Diagnostic>,
    /// The text of every file a warning points into.
    pub sources: Sources,
}

impl Compiled {
    /// The warnings rendered like rustc's (empty when there are none).
    pub fn render_warnings(&self, style: Style) -> String {
        render(&self.warnings, &self.sources, style)
    }
}

/// A directory that did not compile.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Failure {
    /// Every error found, then any warnings found along the way.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file a diagnostic may point into.
    pub sources: Sources,
}

impl Failure {
    /// Every diagnostic rendered like rustc's.
    pub fn render(&self, style: Style) -> String {
        render(&self.diagnostics, &self.sources, style)
    }

    /// The error diagnostics only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Style::Plain))
    }
}

impl std::error::Error for Failure {}

/// Compiles the migrations directory `dir`.
///
/// The work runs on a thread of its own with a large stack
/// (`crate::parse::PARSE_STACK`), whatever thread calls it: the main
/// thread of a program, or rustc's thread running the proc macro.
pub fn compile(dir: &Path, options: &Options) -> Result<Compiled, Failure> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("migrate-compile".to_string())
            .stack_size(crate::parse::PARSE_STACK)
            .spawn_scoped(scope, || compile_here(dir, options));
        match spawned {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: the caller's stack it is.
            Err(_) => compile_here(dir, options),
        }
    })
}

fn compile_here(dir: &Path, options: &Options) -> Result<Compiled, Failure> {
    let display_dir = options
        .display_dir
        .clone()
        .unwrap_or_else(|| dir.to_path_buf());
    let mut sources = Sources::new();
    let fail = |diagnostics: Vec<Diagnostic>, sources: Sources| {
        Err(Failure {
            diagnostics: errors_first(diagnostics),
            sources,
        })
    };

    if !crate::source::is_directory(dir) {
        return fail(
            vec![Diagnostic {
                severity: Severity::Error,
                code: Code::MissingDirectory,
                message: format!(
                    "the migrations directory `{}` does not exist",
                    display_dir.display()
                ),
                labels: Vec::new(),
                notes: vec![format!("looked for `{}`", dir.display())],
                help: Some(
                    "create it with `cargo migrate init`, or fix the path (it is relative to the crate's Cargo.toml)"
                        .to_string(),
                ),
            }],
            sources,
        );
    }

    // `migrate.toml` is read and parsed once; the schema file it names is
    // not a revision.
    let config_file = crate::source::read_config(dir, &display_dir);
    let config = match &config_file {
        Ok(file) => crate::config::from_file(file.as_ref()),
        Err(found) => Err(found.clone()),
    };
    let schema = config.as_ref().ok().and_then(|c| c.schema.as_deref());
    let mut skipped = Vec::new();
    let files = crate::source::read_migrations_warning(dir, &display_dir, schema, &mut skipped);
    let (config, files) = match (config, files) {
        (Ok(config), Ok(files)) => (config, files),
        (config, files) => {
            let mut diagnostics = Vec::new();
            if let Err(found) = config {
                diagnostics.extend(found);
            }
            if let Err(found) = files {
                diagnostics.extend(found);
            }
            if let Ok(Some(file)) = config_file {
                sources.insert(file.path, file.text);
            }
            return fail(diagnostics, sources);
        }
    };
    drop(config_file);
    if let Some(source) = &config.source {
        sources.insert(source.path.clone(), source.text.clone());
    }

    let mut diagnostics = skipped;
    let mut revisions = Vec::with_capacity(files.len());
    // Errors of the files kept by their header (`salvage`): reported, never fatal.
    let mut salvaged = Vec::new();
    let cache = options.cache.as_deref();
    let compiled = compile_files(&files, &config, cache);
    if let Some(cache) = cache {
        cache.prune();
    }
    // Errors of files that compiled whole (`requires-no-transaction`): the
    // graph checks and the lints still run over them, so that one pass
    // reports every finding; they fail the compile at the end.
    let mut whole_errors = Vec::new();
    for (file, result) in files.iter().zip(compiled) {
        match result {
            (Some(revision), found) => {
                revisions.push(revision);
                whole_errors.extend(found);
            }
            (None, found) => match options.salvage.then(|| header_only(file)).flatten() {
                Some(revision) => {
                    revisions.push(revision);
                    salvaged.extend(found);
                }
                None => diagnostics.extend(found),
            },
        }
    }
    if has_errors(&diagnostics, options.tolerate) {
        diagnostics.append(&mut whole_errors);
        add_file_sources(&diagnostics, &files, &mut sources);
        return fail(diagnostics, sources);
    }

    let checked = crate::graph::check(&revisions);
    diagnostics.extend(checked.diagnostics);
    if has_errors(&diagnostics, options.tolerate) {
        diagnostics.append(&mut whole_errors);
        diagnostics.append(&mut salvaged);
        add_file_sources(&diagnostics, &files, &mut sources);
        return fail(diagnostics, sources);
    }
    // The order the graph checks computed; none when they stopped at a
    // duplicate id (which only a caller's `tolerate` lets through).
    let order = if checked.order.len() == revisions.len() {
        checked.order
    } else {
        crate::graph::order(&revisions)
    };
    let mut slots: Vec<Option<CompiledRevision>> = revisions.into_iter().map(Some).collect();
    let revisions: Vec<CompiledRevision> = order
        .into_iter()
        .filter_map(|index| slots.get_mut(index).and_then(Option::take))
        .collect();

    // What the lock and the lints find cannot make a salvaged history wrong.
    let structural = diagnostics.len();
    if !options.skip_lock {
        let display = display_dir.join(migrate_core::lock::LOCK_FILE);
        match crate::source::read_lock(dir, &display) {
            Ok(Some(text)) => {
                diagnostics.extend(crate::lock::check(&text, &display, &revisions));
                sources.insert(display, text);
            }
            Ok(None) => {}
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }

    if salvaged.is_empty() {
        diagnostics.extend(crate::lint::check(&config, &revisions));
    }
    diagnostics.append(&mut whole_errors);

    let fatal = if options.salvage {
        &diagnostics[..structural]
    } else {
        &diagnostics[..]
    };
    if has_errors(fatal, options.tolerate) {
        diagnostics.append(&mut salvaged);
        add_file_sources(&diagnostics, &files, &mut sources);
        return fail(diagnostics, sources);
    }
    diagnostics.append(&mut salvaged);
    let diagnostics = if options.salvage {
        errors_first(diagnostics)
    } else {
        diagnostics
    };
    add_file_sources(&diagnostics, &files, &mut sources);
    Ok(Compiled {
        config,
        revisions,
        warnings: diagnostics,
        sources,
    })
}

/// The revision a file's header describes, without statements, when the
/// header itself has no error (`Options::salvage`).
fn header_only(file: &crate::source::SourceFile) -> Option<CompiledRevision> {
    let (header, found) = crate::header::parse(&file.path, &file.text);
    if found.iter().any(|d| d.severity == Severity::Error) || header.id.is_empty() {
        return None;
    }
    Some(CompiledRevision {
        file: file.path.clone(),
        source: file.text.clone(),
        id: header.id,
        down_revisions: header.down_revisions,
        depends_on: header.depends_on,
        branch_labels: header.branch_labels,
        message: header.message,
        create_date: header.create_date,
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        checksum: [0; 32],
        header_spans: header.spans,
    })
}

/// Compiles every file, on all cores for a large directory: files are
/// independent, and parsing dominates the build's cost.
fn compile_files(
    files: &[crate::source::SourceFile],
    config: &Config,
    cache: Option<&crate::cache::Cache>,
) -> Vec<(Option<CompiledRevision>, Vec<Diagnostic>)> {
    let compile_file = |file: &crate::source::SourceFile| {
        let Some(cache) = cache else {
            return crate::revision::compile_file_whole(file, config);
        };
        if let Some(revision) = cache.get(file) {
            return (Some(revision), Vec::new());
        }
        let result = crate::revision::compile_file_whole(file, config);
        if let (Some(revision), []) = (&result.0, result.1.as_slice()) {
            cache.put(file, revision);
        }
        result
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || files.len() < 64 {
        return files.iter().map(compile_file).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(crate::parse::PARSE_STACK)
                    .spawn_scoped(scope, move || {
                        part.iter().map(compile_file).collect::<Vec<_>>()
                    })
            })
            .collect();
        let mut out = Vec::with_capacity(files.len());
        for (worker, part) in workers.into_iter().zip(files.chunks(chunk)) {
            let joined = match worker {
                Ok(worker) => worker.join(),
                // No thread to be had: this one does the part.
                Err(_) => Ok(part.iter().map(compile_file).collect()),
            };
            match joined {
                Ok(results) => out.extend(results),
                // A panicking worker is a bug in the compiler; report it
                // against each of its files instead of aborting the build.
                Err(_) => out.extend(part.iter().map(|file| {
                    let crashed = vec![Diagnostic {
                        severity: Severity::Error,
                        code: Code::InternalError,
                        message: format!(
                            "the compiler crashed while reading `{}` (please report this bug)",
                            file.path.display()
                        ),
                        labels: Vec::new(),
                        notes: Vec::new(),
                        help: None,
                    }];
                    (None, crashed)
                })),
            }
        }
        out
    })
}

/// Adds the text of every migration file a diagnostic points into. Only
/// those: copying the whole history (10 MB at 10,000 revisions) for a
/// handful of warnings cost a measurable share of `compile`.
fn add_file_sources(
    diagnostics: &[Diagnostic],
    files: &[crate::source::SourceFile],
    sources: &mut Sources,
) {
    let mut wanted: Vec<&Path> = diagnostics
        .iter()
        .flat_map(|d| d.labels.iter().map(|label| label.file.as_path()))
        .collect();
    wanted.sort();
    wanted.dedup();
    for path in wanted {
        if sources.get(path).is_some() {
            continue;
        }
        if let Ok(index) = files.binary_search_by(|file| file.path.as_path().cmp(path)) {
            sources.insert(path.to_path_buf(), files[index].text.clone());
        } else if let Some(file) = files.iter().find(|file| file.path == path) {
            sources.insert(path.to_path_buf(), file.text.clone());
        }
    }
}

fn has_errors(diagnostics: &[Diagnostic], tolerate: &[Code]) -> bool {
    diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && !tolerate.contains(&d.code))
}

fn errors_first(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    // Stable: within each severity the stages' order (file order) is kept.
    diagnostics.sort_by_key(|d| std::cmp::Reverse(d.severity));
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).expect("write");
    }

    /// `salvage` keeps a file with a broken body by its header, and reports
    /// its error; the build (no salvage) fails on it; a header that does
    /// not read fails both.
    #[test]
    fn salvage_keeps_a_broken_body_by_its_header() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            "aaaa_one.sql",
            "-- revision: aaaa\n-- down_revision: none\n-- message: one\n\n-- migrate:upgrade\nCREATE TABLE one (id INTEGER);\n-- migrate:downgrade\nDROP TABLE one;\n",
        );
        write(
            dir.path(),
            "bbbb_two.sql",
            "-- revision: bbbb\n-- down_revision: aaaa\n-- message: two\n\n-- migrate:upgrade\n-- nothing yet\n-- migrate:downgrade\n",
        );
        let strict = compile(dir.path(), &Options::new()).expect_err("the build refuses");
        assert!(strict.errors().any(|d| d.code == "empty-upgrade"));
        let salvaged = compile(dir.path(), &Options::new().salvage(true)).expect("salvaged");
        let ids: Vec<&str> = salvaged.revisions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["aaaa", "bbbb"]);
        assert_eq!(salvaged.revisions[1].message, "two");
        assert!(salvaged.revisions[1].upgrade.is_empty());
        assert!(salvaged
            .warnings
            .iter()
            .any(|d| d.code == "empty-upgrade" && d.severity == Severity::Error));

        write(
            dir.path(),
            "cccc_three.sql",
            "-- down_revision: bbbb\n\n-- migrate:upgrade\nSELECT 1;\n",
        );
        let failure =
            compile(dir.path(), &Options::new().salvage(true)).expect_err("a broken header");
        assert!(failure.errors().count() > 0);
    }

    /// A `requires-no-transaction` error leaves its file whole: the lints
    /// still run over the history (the other files' and its own), so `cargo
    /// migrate lint` lists every finding in one pass, and the build fails.
    #[test]
    fn a_transaction_error_does_not_hide_the_lints() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "migrate.toml", "dialect = \"postgres\"\n");
        write(
            dir.path(),
            "aaaa_one.sql",
            "-- revision: aaaa\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE old (id int);\nCREATE TABLE users (id int, name text);\n-- migrate:downgrade\nDROP TABLE users;\nDROP TABLE old;\n",
        );
        write(
            dir.path(),
            "bbbb_two.sql",
            "-- revision: bbbb\n-- down_revision: aaaa\n\n-- migrate:upgrade\nDROP TABLE old;\nALTER TABLE nosuch ADD COLUMN x int;\n-- migrate:downgrade\nCREATE TABLE old (id int);\n",
        );
        write(
            dir.path(),
            "cccc_three.sql",
            "-- revision: cccc\n-- down_revision: bbbb\n\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY ix ON users (name);\n-- migrate:downgrade\nDROP INDEX ix;\n",
        );
        let failure = compile(dir.path(), &Options::new()).expect_err("the build refuses");
        let codes: Vec<&str> = failure
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        for code in [
            "requires-no-transaction",
            "unknown-object",
            "ban-drop-table",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        // The revision still holds its statements for the lints that read it.
        let salvaged = compile(dir.path(), &Options::new().salvage(true)).expect("salvaged");
        assert_eq!(salvaged.revisions[2].upgrade[0].statements.len(), 1);
    }
}
