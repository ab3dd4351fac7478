//! `cargo migrate import --from <tool> SOURCE`: another tool's history as
//! revision files.
//!
//! Each source migration becomes one file, chained by `down_revision` in
//! the order the source tool applies them. The revision id is the source
//! version (diesel's with its `-` removed), so importing twice writes the
//! same bytes. Statements are copied byte for byte: the importer only adds
//! the header, the section markers (with `transaction:false` where the
//! source ran a script outside a transaction) and, when asked, the
//! `-- migrate:unchecked` and `-- migrate:allow` comments that let the
//! compiler accept what the source database accepted. The header's
//! `-- source: <tool> <file or directory name>` line records where each
//! revision came from.
//!
//! Everything is converted and compiled in memory first; files are then
//! created with [`crate::files::create_new`] (never through a symbolic
//! link, never over an existing file).

pub mod sources;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use migrate_build::config::{Config, Dialect};
use migrate_build::revision::compile_file;
use migrate_build::source::SourceFile;
use migrate_build::{CompiledRevision, Diagnostic, Severity};
use migrate_runtime::cli::Printer;
use serde::Serialize;

use sources::SourceMigration;

/// The tools `import --from` reads: the one list, shared with `stamp
/// --adopt` (`migrate_core::adopt::SourceTool`).
pub use migrate_core::adopt::SourceTool;

/// `import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The tool the history was written for.
    #[arg(long, value_name = "TOOL", value_parser = migrate_present::source_tool())]
    pub from: SourceTool,
    /// The source tool's migrations directory (Alembic: the file of its
    /// offline upgrade SQL).
    pub source: PathBuf,
    /// Alembic: the file of `alembic downgrade heads:base --sql`, whose
    /// sections become the downgrades.
    #[arg(long, value_name = "FILE")]
    pub downgrade_sql: Option<PathBuf>,
    /// Alembic: its `versions/` directory, read for each revision's message,
    /// `branch_labels` and `depends_on` (the SQL does not carry them).
    #[arg(long, value_name = "DIR")]
    pub alembic_versions: Option<PathBuf>,
    /// The dialect: chooses pop's per-dialect files and is written to a new
    /// `migrate.toml` (default: the migrations directory's `migrate.toml`).
    #[arg(long, value_enum)]
    pub dialect: Option<crate::InitDialect>,
    /// Mark each statement the compiler cannot parse
    /// `-- migrate:unchecked -- imported from <tool>` instead of reporting it as an error.
    #[arg(long = "mark-unchecked")]
    pub mark_unchecked: bool,
    /// Write `-- migrate:allow <rule> -- imported` for each lint error found
    /// in the imported history instead of reporting it as an error.
    #[arg(long = "allow-imported-errors")]
    pub allow_imported_errors: bool,
}

/// What the conversion asked for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--mark-unchecked`.
    pub mark_unchecked: bool,
    /// `--allow-imported-errors`.
    pub allow_imported_errors: bool,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// The revision id.
    pub id: String,
    /// The file name (`<id>_<slug>.sql`).
    pub file_name: String,
    /// The source migration (`<tool> <origin>`).
    pub source: String,
    /// The file's text.
    pub text: String,
}

/// One problem or mark, located.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The diagnostic code or lint rule.
    pub code: String,
    /// The file name.
    pub file: String,
    /// 1-based line in the written file.
    pub line: usize,
    /// What the compiler said.
    pub message: String,
}

/// The import report (`--format json` prints it as is).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// The source tool.
    pub tool: String,
    /// Source migrations read.
    pub migrations_read: usize,
    /// Source migrations skipped because every script was empty (pop).
    pub skipped_empty: usize,
    /// Revision files written, in order.
    pub revisions_written: Vec<String>,
    /// `transaction:false` sections written.
    pub no_transaction_sections: usize,
    /// Revisions whose source upgrade was empty (given [`EMPTY_UPGRADE`]).
    pub empty_upgrades: usize,
    /// Statements marked `-- migrate:unchecked` (`--mark-unchecked`).
    pub statements_marked: Vec<Finding>,
    /// Lint errors allowed with `-- migrate:allow` (`--allow-imported-errors`).
    pub errors_allowed: Vec<Finding>,
    /// Errors left: statements the compiler rejects, lint errors.
    pub errors: Vec<Finding>,
    /// Lint warnings per rule.
    pub warnings: BTreeMap<String, usize>,
}

/// A converted history: the files and the report.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The files, in chain order.
    pub files: Vec<ImportedFile>,
    /// The report.
    pub report: Report,
}

/// Reads `source` as `tool`'s directory (pop's files for `dialect`).
pub fn read_source(
    tool: SourceTool,
    source: &Path,
    dialect: Dialect,
) -> anyhow::Result<(Vec<SourceMigration>, usize)> {
    Ok(match tool {
        SourceTool::Sqlx => (sources::sqlx(source)?, 0),
        SourceTool::Diesel => (sources::diesel(source)?, 0),
        SourceTool::Refinery => (sources::refinery(source)?, 0),
        SourceTool::GolangMigrate => (sources::golang_migrate(source)?, 0),
        SourceTool::Dbmate => (sources::dbmate(source)?, 0),
        SourceTool::Pop => {
            if dialect == Dialect::Generic {
                bail!("pop keeps one file per dialect: say which with `--dialect postgres|mysql|sqlite`");
            }
            sources::pop(source, dialect.name())?
        }
        SourceTool::Alembic => (sources::alembic(source, None, None)?, 0),
    })
}

/// The revision id of a source version: its letters, digits and dots
/// (the rule `stamp --adopt` maps the tool's table back with).
pub fn revision_id(version: &str) -> String {
    migrate_core::adopt::imported_revision_id(version)
}

/// Converts `migrations` (in order) into revision files, compiles them with
/// `config` and lints the history; marks and allows as `options` say.
pub fn convert(
    tool: SourceTool,
    migrations: &[SourceMigration],
    config: &Config,
    options: Options,
) -> anyhow::Result<Conversion> {
    let mut report = Report {
        tool: tool.name().to_string(),
        migrations_read: migrations.len(),
        ..Report::default()
    };
    let mut files = Vec::with_capacity(migrations.len());
    let mut parent: Option<String> = None;
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for migration in migrations {
        let id = revision_id(&migration.version);
        if let Some(problem) = migrate_build::header::id_problem(&id) {
            bail!(
                "`{}`: version `{}` gives no usable revision id: {problem}",
                migration.origin,
                migration.version
            );
        }
        if let Some(other) = seen.insert(id.clone(), &migration.origin) {
            bail!(
                "`{other}` and `{}` both become revision `{id}`",
                migration.origin
            );
        }
        let parents: Vec<String> = match &migration.parents {
            Some(parents) => parents.iter().map(|p| revision_id(p)).collect(),
            None => parent.iter().cloned().collect(),
        };
        let depends_on: Vec<String> = migration
            .depends_on
            .iter()
            .map(|d| {
                if migrations.iter().any(|m| &m.version == d) {
                    revision_id(d)
                } else {
                    d.clone()
                }
            })
            .collect();
        let file = render(tool, &id, &parents, &depends_on, migration, &mut report)?;
        parent = Some(id);
        files.push(file);
    }
    check(tool, &mut files, config, options, &mut report);
    report.revisions_written = files.iter().map(|f| f.file_name.clone()).collect();
    Ok(Conversion { files, report })
}

fn visible(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if migrate_build::header::is_hostile_char(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.trim().to_string()
}

/// A source line our splitter would read as a directive.
fn directive_line(sql: &str) -> Option<&str> {
    sql.lines().find(|line| {
        line.trim_start()
            .strip_prefix("--")
            .is_some_and(|rest| rest.trim_start().starts_with("migrate:"))
    })
}

fn render(
    tool: SourceTool,
    id: &str,
    parents: &[String],
    depends_on: &[String],
    migration: &SourceMigration,
    report: &mut Report,
) -> anyhow::Result<ImportedFile> {
    let slug = crate::cmd::revision::slug(&migration.name);
    let file_name = if slug.is_empty() {
        format!("{id}.sql")
    } else {
        format!("{id}_{slug}.sql")
    };
    let source = format!("{} {}", tool.name(), visible(&migration.origin));
    let mut text = String::new();
    let message = visible(&migration.name);
    if !message.is_empty() {
        text.push_str(&format!("-- message: {message}\n"));
    }
    text.push_str(&format!("-- revision: {id}\n"));
    if parents.is_empty() {
        text.push_str("-- down_revision: none\n");
    } else {
        text.push_str(&format!("-- down_revision: {}\n", parents.join(", ")));
    }
    if !migration.branch_labels.is_empty() {
        text.push_str(&format!(
            "-- branch_labels: {}\n",
            migration.branch_labels.join(", ")
        ));
    }
    if !depends_on.is_empty() {
        text.push_str(&format!("-- depends_on: {}\n", depends_on.join(", ")));
    }
    text.push_str(&format!("-- source: {source}\n\n"));
    let mut section = |text: &mut String,
                       kind: &str,
                       script: &sources::Script|
     -> anyhow::Result<()> {
        if let Some(line) = directive_line(&script.sql) {
            bail!(
                "`{}`: the line `{}` would be read as a directive of ours; rename it before importing",
                migration.origin,
                line.trim()
            );
        }
        if script.transactional {
            text.push_str(&format!("-- migrate:{kind}\n"));
        } else {
            text.push_str(&format!("-- migrate:{kind} transaction:false\n"));
            report.no_transaction_sections += 1;
        }
        text.push_str(&script.sql);
        if !script.sql.is_empty() && !script.sql.ends_with('\n') {
            text.push('\n');
        }
        if kind == "upgrade" && sources::only_comments(&script.sql) {
            // An empty upgrade is a build error of ours; the source tool
            // ran (and recorded) the migration all the same.
            text.push_str(EMPTY_UPGRADE);
            report.empty_upgrades += 1;
        }
        Ok(())
    };
    section(&mut text, "upgrade", &migration.up)?;
    if let Some(down) = &migration.down {
        text.push('\n');
        section(&mut text, "downgrade", down)?;
    }
    Ok(ImportedFile {
        id: id.to_string(),
        file_name,
        source,
        text,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn primary_span(diagnostic: &Diagnostic) -> Option<(PathBuf, usize)> {
    diagnostic
        .labels
        .iter()
        .find(|label| label.primary)
        .or_else(|| diagnostic.labels.first())
        .map(|label| (label.file.clone(), label.span.start))
}

/// The start of the statement of `text` that holds offset `at` (the
/// compiler's own splitter says where statements are).
fn statement_start(text: &str, at: usize, dialect: Dialect) -> Option<usize> {
    let path = Path::new("");
    let (header, _) = migrate_build::header::parse(path, text);
    let split = migrate_build::split::split_file(path, text, header.end, header.end_line, dialect);
    split
        .sections
        .iter()
        .flat_map(|section| &section.statements)
        .find(|statement| statement.span.start <= at && at <= statement.span.end)
        .map(|statement| statement.span.start)
}

/// Inserts `comment` on its own line just before the statement at `at`;
/// returns where and how many bytes were inserted.
fn insert_before(text: &mut String, at: usize, comment: &str) -> (usize, usize) {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let (position, inserted) = if text[line_start..at].trim().is_empty() {
        (line_start, format!("{comment}\n"))
    } else {
        (at, format!("\n{comment}\n"))
    };
    text.insert_str(position, &inserted);
    (position, inserted.len())
}

fn compile_one(file: &ImportedFile, config: &Config) -> Result<CompiledRevision, Vec<Diagnostic>> {
    compile_file(
        &SourceFile {
            path: PathBuf::from(&file.file_name),
            text: file.text.clone(),
        },
        config,
    )
}

fn finding(file: &ImportedFile, diagnostic: &Diagnostic) -> Finding {
    let line = primary_span(diagnostic).map_or(1, |(_, at)| line_of(&file.text, at));
    Finding {
        code: diagnostic.code.to_string(),
        file: file.file_name.clone(),
        line,
        message: diagnostic.message.clone(),
    }
}

/// Compiles every file (marking unparsable statements when asked), then
/// lints the history (allowing its errors when asked).
fn check(
    tool: SourceTool,
    files: &mut [ImportedFile],
    config: &Config,
    options: Options,
    report: &mut Report,
) {
    let unchecked = format!("-- migrate:unchecked -- imported from {}", tool.name());
    let mut compiled: Vec<Option<CompiledRevision>> = Vec::with_capacity(files.len());
    for file in files.iter_mut() {
        let mut result = compile_one(file, config);
        // Each round marks the first statement sqlparser rejects; a file has
        // at most as many rounds as statements.
        let mut marked = std::collections::BTreeSet::new();
        while let Err(diagnostics) = &result {
            let syntax = diagnostics
                .iter()
                .filter(|d| d.code == "sql-syntax")
                .filter_map(|d| primary_span(d).map(|(_, at)| at))
                .min()
                .map(|at| statement_start(&file.text, at, config.dialect).unwrap_or(at));
            match syntax {
                // A statement already marked that still fails is not a
                // parser gap (a tokenizer error, say): reported as is.
                Some(at) if options.mark_unchecked && marked.insert(at) => {
                    let (position, length) = insert_before(&mut file.text, at, &unchecked);
                    // Later offsets moved by the inserted line.
                    marked = marked
                        .into_iter()
                        .map(|m| if m >= position { m + length } else { m })
                        .collect();
                    report.statements_marked.push(Finding {
                        code: "sql-syntax".to_string(),
                        file: file.file_name.clone(),
                        line: line_of(&file.text, position) + 1,
                        message: format!("marked `{unchecked}`"),
                    });
                    result = compile_one(file, config);
                }
                _ => break,
            }
        }
        match result {
            Ok(revision) => compiled.push(Some(revision)),
            Err(diagnostics) => {
                report.errors.extend(
                    diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Error)
                        .map(|d| finding(file, d)),
                );
                compiled.push(None);
            }
        }
    }
    // The history's lints need every revision; with a file that does not
    // compile, only the compile errors are reported.
    if compiled.iter().any(Option::is_none) {
        return;
    }
    // Round 0 allows each error at its statement; an error an allow there
    // does not silence (one about the whole revision, such as
    // `downgrade-mismatch`) gets `migrate:allow-file` in round 1.
    for round in 0..3 {
        let revisions: Vec<CompiledRevision> = compiled.iter().flatten().cloned().collect();
        let findings = migrate_build::lint::check(config, &revisions);
        let mut by_file: BTreeMap<usize, Vec<(Option<usize>, &'static str)>> = BTreeMap::new();
        let mut left = Vec::new();
        let mut warnings = BTreeMap::new();
        for diagnostic in &findings {
            let located = primary_span(diagnostic).and_then(|(path, at)| {
                files
                    .iter()
                    .position(|f| Path::new(&f.file_name) == path)
                    .map(|index| (index, at))
            });
            if diagnostic.severity != Severity::Error {
                *warnings.entry(diagnostic.code.to_string()).or_insert(0) += 1;
                continue;
            }
            let is_rule = migrate_build::lint::Rule::ALL
                .iter()
                .any(|rule| rule.name() == diagnostic.code);
            match located {
                Some((index, at)) if options.allow_imported_errors && is_rule && round < 2 => {
                    // None: the whole file (`migrate:allow-file`).
                    let at = statement_start(&files[index].text, at, config.dialect)
                        .filter(|_| round == 0);
                    by_file
                        .entry(index)
                        .or_default()
                        .push((at, diagnostic.code.as_str()));
                }
                Some((index, _)) => left.push(finding(&files[index], diagnostic)),
                None => left.push(Finding {
                    code: diagnostic.code.to_string(),
                    file: String::new(),
                    line: 0,
                    message: diagnostic.message.clone(),
                }),
            }
        }
        report.warnings = warnings;
        if by_file.is_empty() {
            report.errors.extend(left);
            return;
        }
        for (index, mut marks) in by_file {
            let file = &mut files[index];
            marks.sort();
            marks.dedup();
            // Statement allows from the end, so earlier offsets stay valid.
            for (at, code) in marks.iter().rev() {
                if let Some(at) = at {
                    insert_before(
                        &mut file.text,
                        *at,
                        &format!("-- migrate:allow {code} -- imported"),
                    );
                }
            }
            for (at, code) in &marks {
                if let Some(at) = at {
                    report.errors_allowed.push(Finding {
                        code: code.to_string(),
                        file: file.file_name.clone(),
                        line: line_of(&file.text, *at),
                        message: format!("allowed `-- migrate:allow {code} -- imported`"),
                    });
                }
            }
            let codes: std::collections::BTreeSet<&str> = marks
                .iter()
                .filter(|(at, _)| at.is_none())
                .map(|(_, code)| *code)
                .collect();
            if !codes.is_empty() {
                let (header, _) = migrate_build::header::parse(Path::new(""), &file.text);
                let lines: String = codes
                    .iter()
                    .map(|code| format!("-- migrate:allow-file {code} -- imported\n"))
                    .collect();
                file.text.insert_str(header.end, &lines);
                for code in codes {
                    report.errors_allowed.push(Finding {
                        code: code.to_string(),
                        file: file.file_name.clone(),
                        line: line_of(&file.text, header.end),
                        message: format!("allowed `-- migrate:allow-file {code} -- imported`"),
                    });
                }
            }
            match compile_one(file, config) {
                Ok(revision) => compiled[index] = Some(revision),
                Err(diagnostics) => {
                    report
                        .errors
                        .extend(diagnostics.iter().map(|d| finding(file, d)));
                    return;
                }
            }
        }
    }
}

/// The statement an imported revision whose source upgrade is empty gets,
/// since an empty upgrade is a build error here.
pub const EMPTY_UPGRADE: &str =
    "-- imported: the source migration has no statement; this one keeps its place\nSELECT 1;\n";

/// `cargo migrate import --from <tool> SOURCE`.
pub fn import(
    dir: &Path,
    args: &ImportArgs,
    format: crate::OutputFormat,
    printer: &Printer,
) -> anyhow::Result<()> {
    if dir.exists() {
        let existing = crate::scan::scan(dir)?;
        if !existing.is_empty() {
            bail!(
                "`{}` already holds {} revision(s); import into an empty migrations directory",
                dir.display(),
                existing.len()
            );
        }
    }
    let has_config = dir.join(migrate_build::config::CONFIG_FILE).exists();
    let config = if has_config {
        migrate_build::config::load(dir, dir).map_err(|diagnostics| {
            anyhow::anyhow!(
                "{}",
                migrate_build::render(
                    &diagnostics,
                    &migrate_build::Sources::new(),
                    migrate_build::Style::Plain
                )
            )
        })?
    } else {
        Config::default()
    };
    let config = match args.dialect {
        Some(dialect) => Config {
            dialect: Dialect::from_name(dialect.name()).unwrap_or(Dialect::Generic),
            ..config
        },
        None => config,
    };
    if args.from != SourceTool::Alembic
        && (args.downgrade_sql.is_some() || args.alembic_versions.is_some())
    {
        bail!("`--downgrade-sql` and `--alembic-versions` are for `--from alembic`");
    }
    let (migrations, skipped) = if args.from == SourceTool::Alembic {
        let migrations = sources::alembic(
            &args.source,
            args.downgrade_sql.as_deref(),
            args.alembic_versions.as_deref(),
        )?;
        (migrations, 0)
    } else {
        read_source(args.from, &args.source, config.dialect)?
    };
    let options = Options {
        mark_unchecked: args.mark_unchecked,
        allow_imported_errors: args.allow_imported_errors,
    };
    let mut conversion = convert(args.from, &migrations, &config, options)?;
    conversion.report.skipped_empty = skipped;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    if !has_config {
        crate::files::create_new(
            &dir.join(migrate_build::config::CONFIG_FILE),
            &crate::cmd::init::migrate_toml(config.dialect.name()),
        )?;
    }
    for file in &conversion.files {
        crate::files::create_new(&dir.join(&file.file_name), &file.text)?;
    }
    crate::cmd::lock::write(dir)?;
    let report = &conversion.report;
    match format {
        crate::OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(report).context("cannot write the report")?
        ),
        _ => print_text(dir, report, printer),
    }
    if !report.errors.is_empty() {
        bail!(
            "the imported history has {} error(s) that fail the build (listed above){}",
            report.errors.len(),
            hint(report, options)
        );
    }
    Ok(())
}

fn hint(report: &Report, options: Options) -> &'static str {
    let syntax = report.errors.iter().any(|e| e.code == "sql-syntax");
    if syntax && !options.mark_unchecked {
        "; `--mark-unchecked` marks the statements the compiler cannot parse"
    } else if !options.allow_imported_errors {
        "; `--allow-imported-errors` allows the lint errors in the files"
    } else {
        ""
    }
}

fn print_text(dir: &Path, report: &Report, printer: &Printer) {
    printer.status(
        "Imported",
        format!(
            "{} {} migration(s) into {} revision(s) in `{}`{}",
            report.migrations_read,
            report.tool,
            report.revisions_written.len(),
            dir.display(),
            if report.skipped_empty > 0 {
                format!(" ({} empty migration(s) skipped)", report.skipped_empty)
            } else {
                String::new()
            }
        ),
    );
    println!(
        "no-transaction sections: {}",
        report.no_transaction_sections
    );
    println!(
        "empty upgrades given `SELECT 1;`: {}",
        report.empty_upgrades
    );
    let list = |title: &str, findings: &[Finding]| {
        println!("{title}: {}", findings.len());
        for f in findings {
            println!("  {}:{}: {}: {}", f.file, f.line, f.code, f.message);
        }
    };
    list("statements marked unchecked", &report.statements_marked);
    list("lint errors allowed", &report.errors_allowed);
    list("errors", &report.errors);
    if !report.warnings.is_empty() {
        println!("lint warnings:");
        for (rule, count) in &report.warnings {
            println!("  {rule}: {count}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `import --from` takes exactly the tools of the one list,
    /// `SourceTool::ALL` (which `stamp --adopt` takes too).
    #[test]
    fn from_takes_every_source_tool() {
        use clap::{Args as _, FromArgMatches as _};
        let command = ImportArgs::augment_args(clap::Command::new("import"));
        for tool in SourceTool::ALL {
            let matches = command
                .clone()
                .try_get_matches_from(["import", "--from", tool.name(), "dir"])
                .expect("parses");
            let args = ImportArgs::from_arg_matches(&matches).expect("converts");
            assert_eq!(args.from, tool);
        }
        let error = command
            .try_get_matches_from(["import", "--from", "flyway", "dir"])
            .expect_err("not a tool");
        assert!(error.to_string().contains("flyway"), "{error}");
    }

    #[test]
    fn ids_keep_letters_digits_and_dots() {
        assert_eq!(revision_id("2017-09-23-182408"), "20170923182408");
        assert_eq!(revision_id("20231021111635"), "20231021111635");
    }

    #[test]
    fn insertion_lands_on_its_own_line() {
        let mut text = "-- migrate:upgrade\nSELECT 1; SELECT 2;\n".to_string();
        insert_before(&mut text, 29, "-- c");
        assert_eq!(text, "-- migrate:upgrade\nSELECT 1; \n-- c\nSELECT 2;\n");
        insert_before(&mut text, 19, "-- d");
        assert_eq!(
            text,
            "-- migrate:upgrade\n-- d\nSELECT 1; \n-- c\nSELECT 2;\n"
        );
    }
}
