//! The Alembic verbs inside an application's own binary (feature `cli`).
//!
//! A deployed binary carries its plan, so production needs no source
//! checkout to migrate: `myapp migrate upgrade head`. Wire it with clap:
//!
//! ```rust,ignore
//! #[derive(clap::Parser)]
//! enum Cli {
//!     /// Run the server.
//!     Serve,
//!     /// Migrate the database (Alembic's verbs).
//!     Migrate(migrate_runtime::cli::MigrateOpt),
//! }
//!
//! match Cli::parse() {
//!     Cli::Serve => serve().await,
//!     Cli::Migrate(opt) => {
//!         let migrator = migrate_runtime::Migrator::new(&MIGRATIONS);
//!         std::process::exit(migrate_runtime::cli::run(&migrator, opt).await)
//!     }
//! }
//! ```
//!
//! The printer, the reports and the argument types come from
//! `migrate-present` (re-exported here); this module runs a [`Command`]
//! with a [`Migrator`] and computes what the read verbs report from the plan.
//!
//! `cargo migrate` flattens the same [`Command`] into its own verbs, so the
//! two print the same text, take the same arguments and exit with the same
//! codes: 0 success, 1 failure (including `check` finding the database
//! behind), 2 usage error (clap's own).

use migrate_core::Graph;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::plan::{Dialect, Plan, Revision};
use crate::Migrator;

pub use migrate_present::{
    parse_seconds, ColorChoice, Command, FleetArgs, Format, HistoryArgs, LivenessProbe, MigrateOpt,
    MoveArgs, OutputOpts, Printer, Progress, Report, SqlDialect, EXIT_CODES, PROGRESS_THRESHOLD,
};

/// Errors of the CLI verbs, each one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The runtime refused or failed (unknown revision, database error, ...).
    #[error(transparent)]
    Migrate(#[from] crate::Error),
    /// `history -r` got something other than `A:B`.
    #[error("invalid range `{0}`: expected `A:B`, `A:` or `:B`")]
    BadRange(String),
    /// `history -r A:B` where `A` is not `B` nor one of its ancestors
    /// (Alembic's `CommandError` of the same words).
    #[error("requested range `{0}` does not refer to ancestor/descendant revisions along the same branch")]
    RangeNotOnOneBranch(String),
    /// A verb that needs a database got no URL.
    #[error("no database URL: pass `--database-url` or set DATABASE_URL (a .env file works too)")]
    NoDatabaseUrl,
    /// `--sql` could not tell which SQL dialect to write.
    #[error("{0}")]
    Usage(String),
    /// A fleet run in which some targets failed (each is in the report).
    #[error(
        "{failed} of {total} targets failed ({summary}); each failure is listed in the report"
    )]
    FleetFailed {
        /// Targets that failed (or, for `check`, are behind).
        failed: usize,
        /// Targets in the fleet.
        total: usize,
        /// The summary line.
        summary: String,
    },
    /// `check --drift` found differences (listed in the report).
    #[error("the database has drifted from the history's schema: {count} difference{plural} (listed above)", plural = if *.count == 1 { "" } else { "s" })]
    Drifted {
        /// How many differences.
        count: usize,
    },
    /// `check --drift` could not compare (a revision half applied, one
    /// the plan does not hold, a catalog that does not read).
    #[error("{0}")]
    Drift(String),
    /// A fleet's targets file could not be read.
    #[error("could not read the targets file `{path}`: {message}")]
    TargetsFile {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
}

/// `check --drift` without a [`DriftCheck`]: the comparison needs the
/// schema model, which the compiler builds (the runtime never links the
/// compiler).
fn drift_needs_checker() -> Error {
    Error::Usage(
        "`check --drift` compares the database with the history's schema model, which this binary \
         was built without: run it through `migrate_runtime::cli::run_with_drift` with \
         `migrate_introspect::drift::Embedded` (feature `cli` of migrate-introspect), or run \
         `cargo migrate check --drift` where the migrations directory is"
            .to_string(),
    )
}

/// What `check --drift` found: the report (text and JSON), how many
/// differences, and the status line of a clean database.
#[derive(Debug, Clone)]
pub struct DriftOutcome {
    /// The differences and what was not compared, as text and JSON.
    pub report: Report,
    /// How many differences (0: no drift).
    pub differences: usize,
    /// The `Checked` status line printed when there is none.
    pub status: String,
    /// Warnings to print before the report (a revision applied from
    /// another text, ...).
    pub warnings: Vec<String>,
}

/// The future a [`DriftCheck`] returns.
pub type DriftFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<DriftOutcome, Error>> + Send + 'a>>;

/// `check --drift` for an application's binary. The runtime does not link
/// the compiler's schema model nor the catalog reader, so the check comes
/// from the crate that has both: `migrate_introspect::drift::Embedded`
/// (migrate-introspect, feature `cli`), passed to [`run_with_drift`].
pub trait DriftCheck: Sync {
    /// Compares the database `db` with the schema model of the revisions it
    /// records, replayed from `migrator`'s plan.
    fn check<'a>(
        &'a self,
        migrator: &'a Migrator,
        db: &'a crate::MigrateConnection,
    ) -> DriftFuture<'a>;
}

impl Error {
    /// The command-line way out of a refusal, when there is one (the
    /// runtime's own message names the library call).
    pub fn help(&self) -> Option<&'static str> {
        match self {
            Error::Migrate(crate::Error::ChecksumMismatch { .. }) => Some(
                "if the edit is intended, pass `--ignore-checksums`, or record the new checksum with `stamp` to the current revision",
            ),
            Error::Migrate(crate::Error::UnknownApplied { .. }) => Some(
                "to revert them with the statements stored when they ran: `downgrade <target> --revert-unknown`",
            ),
            Error::Migrate(crate::Error::MultipleHeads { .. }) => {
                Some("`upgrade heads` applies every branch; `merge heads` (cargo migrate) joins them")
            }
            _ => None,
        }
    }
}

/// What the read verbs ask of the graph over and over, computed once: a
/// history of thousands of revisions must not cost a scan per line. The
/// answers come from `migrate-core`.
struct Shape<'p> {
    plan: &'p Plan,
    graph: &'p Graph,
    heads: BTreeSet<usize>,
}

impl<'p> Shape<'p> {
    fn new(plan: &'p Plan) -> Shape<'p> {
        let graph = crate::graph::of(plan);
        let heads = graph.heads().into_iter().collect();
        Shape { plan, graph, heads }
    }

    /// True for a head as `heads` prints it (`depends_on` does not count).
    fn is_head(&self, id: &str) -> bool {
        self.graph
            .position(id)
            .is_some_and(|position| self.heads.contains(&position))
    }

    /// The branch labels Alembic shows for `revision`: its own and those it
    /// inherits along its branch (`migrate_core::Graph::branch_labels`),
    /// sorted.
    fn labels(&self, revision: &Revision) -> Vec<String> {
        match self.graph.position(revision.id()) {
            Some(position) => self.graph.branch_labels(position).into_iter().collect(),
            None => revision
                .branch_labels()
                .iter()
                .map(|label| label.to_string())
                .collect(),
        }
    }

    /// Revisions naming `id` in `down_revision` (not `depends_on`).
    fn children(&self, id: &str) -> Vec<&'p Revision> {
        match self.graph.position(id) {
            Some(position) => self
                .graph
                .children(position)
                .iter()
                .map(|child| &self.plan.revisions()[*child])
                .collect(),
            None => Vec::new(),
        }
    }
}

/// Resolves what `show` and `history -r` accept, as Alembic's
/// `get_revision` does: an id, a unique prefix of 4 or more characters, a
/// branch label, `head`, `heads` (when there is one), `<label>@head`,
/// `<label>@<id>` or `base` (`None`).
pub fn resolve_revision<'p>(plan: &'p Plan, ident: &str) -> Result<Option<&'p Revision>, Error> {
    let graph = crate::graph::of(plan);
    let found = graph
        .revision(ident.trim())
        .map_err(|e| crate::graph::error(e, crate::Direction::Upgrade))?;
    Ok(found.map(|position| &plan.revisions()[position]))
}

/// The markers Alembic prints after an id: `(label) (head) (current) (branchpoint) (mergepoint)`.
fn markers(shape: &Shape<'_>, revision: &Revision, current: &BTreeSet<String>) -> String {
    let mut out = String::new();
    let labels = shape.labels(revision);
    if !labels.is_empty() {
        let _ = write!(out, " ({})", labels.join(", "));
    }
    if shape.is_head(revision.id()) {
        out.push_str(" (head)");
    }
    if current.contains(revision.id()) {
        out.push_str(" (current)");
    }
    if shape.children(revision.id()).len() > 1 {
        out.push_str(" (branchpoint)");
    }
    if revision.is_merge() {
        out.push_str(" (mergepoint)");
    }
    out
}

/// `a, b -> c (head), message` (Alembic's one-line history entry).
fn one_line(shape: &Shape<'_>, revision: &Revision, current: &BTreeSet<String>) -> String {
    let parents = if revision.down_revisions().is_empty() {
        "<base>".to_string()
    } else {
        revision.down_revisions().join(", ")
    };
    let dependencies = if revision.depends_on().is_empty() {
        String::new()
    } else {
        format!(" ({})", revision.depends_on().join(", "))
    };
    format!(
        "{parents}{dependencies} -> {}{}, {}",
        revision.id(),
        markers(shape, revision, current),
        revision.message()
    )
}

/// Alembic's `log_entry` block (`history --verbose`, `show`, `heads --verbose`).
fn log_entry(shape: &Shape<'_>, revision: &Revision, current: &BTreeSet<String>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rev: {}{}",
        revision.id(),
        markers(shape, revision, current)
    );
    match revision.down_revisions() {
        [] => {
            let _ = writeln!(out, "Parent: <base>");
        }
        [one] => {
            let _ = writeln!(out, "Parent: {one}");
        }
        several => {
            let _ = writeln!(out, "Merges: {}", several.join(", "));
        }
    }
    if !revision.depends_on().is_empty() {
        let _ = writeln!(out, "Also depends on: {}", revision.depends_on().join(", "));
    }
    let branches = shape.children(revision.id());
    if branches.len() > 1 {
        let ids: Vec<&str> = branches.iter().map(|child| child.id()).collect();
        let _ = writeln!(out, "Branches into: {}", ids.join(", "));
    }
    let labels = shape.labels(revision);
    if !labels.is_empty() {
        let _ = writeln!(out, "Branch names: {}", labels.join(", "));
    }
    let _ = writeln!(out, "Path: {}", revision.file());
    let _ = writeln!(out);
    let _ = writeln!(out, "    {}", revision.message());
    let _ = writeln!(out);
    let _ = writeln!(out, "    Revision ID: {}", revision.id());
    let revises = if revision.down_revisions().is_empty() {
        "<base>".to_string()
    } else {
        revision.down_revisions().join(", ")
    };
    let _ = writeln!(out, "    Revises: {revises}");
    let _ = writeln!(out, "    Create Date: {}", revision.create_date());
    out
}

/// The JSON of one revision, shared by every read verb.
fn revision_json(shape: &Shape<'_>, revision: &Revision, current: &BTreeSet<String>) -> Value {
    json!({
        "id": revision.id(),
        "down_revisions": revision.down_revisions(),
        "depends_on": revision.depends_on(),
        "branch_labels": revision.branch_labels(),
        "message": revision.message(),
        "create_date": revision.create_date(),
        "file": revision.file(),
        "checksum": revision.checksum_hex(),
        "head": shape.is_head(revision.id()),
        "current": current.contains(revision.id()),
        "branchpoint": shape.children(revision.id()).len() > 1,
        "mergepoint": revision.is_merge(),
    })
}

/// `history [-r A:B] [--verbose]`: newest first; both ends of the range are
/// included; `A:` runs to the heads and `:B` from the base, as in Alembic.
/// `current` marks the revisions the database holds (empty without one).
pub fn history(
    plan: &Plan,
    range: Option<&str>,
    verbose: bool,
    current: &BTreeSet<String>,
) -> Result<Report, Error> {
    let shape = Shape::new(plan);
    let mut selected: Option<BTreeSet<String>> = None;
    if let Some(range) = range {
        let Some((lower, upper)) = range.trim().split_once(':') else {
            return Err(Error::BadRange(range.to_string()));
        };
        let heads: Vec<usize> = current
            .iter()
            .filter_map(|id| shape.graph.position(id))
            .collect();
        let found = shape
            .graph
            .history_range(lower.trim(), upper.trim(), &heads)
            .map_err(|error| match error {
                migrate_core::ResolveError::RangeNotOnOneBranch { .. } => {
                    Error::RangeNotOnOneBranch(range.to_string())
                }
                other => Error::Migrate(crate::graph::error(other, crate::Direction::Upgrade)),
            })?;
        selected = Some(
            found
                .into_iter()
                .map(|position| shape.graph.id(position).to_string())
                .collect(),
        );
    }
    let mut text = String::new();
    let mut entries = Vec::new();
    for revision in plan.revisions().iter().rev() {
        if selected
            .as_ref()
            .is_some_and(|set| !set.contains(revision.id()))
        {
            continue;
        }
        if verbose {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&log_entry(&shape, revision, current));
        } else {
            text.push_str(&one_line(&shape, revision, current));
            text.push('\n');
        }
        entries.push(revision_json(&shape, revision, current));
    }
    Ok(Report {
        text,
        json: Value::Array(entries),
    })
}

/// `heads [--verbose]`: one line per head, `id (labels) (head), message`.
pub fn heads(plan: &Plan, verbose: bool, current: &BTreeSet<String>) -> Report {
    let shape = Shape::new(plan);
    let mut text = String::new();
    let mut entries = Vec::new();
    for head in plan
        .revisions()
        .iter()
        .filter(|revision| shape.is_head(revision.id()))
    {
        if verbose {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&log_entry(&shape, head, current));
        } else {
            let _ = writeln!(
                text,
                "{}{}, {}",
                head.id(),
                markers(&shape, head, current),
                head.message()
            );
        }
        entries.push(revision_json(&shape, head, current));
    }
    Report {
        text,
        json: Value::Array(entries),
    }
}

/// `branches`: each branch point, then one `-> child` line per branch.
pub fn branches(plan: &Plan) -> Report {
    let shape = Shape::new(plan);
    let none = BTreeSet::new();
    let mut text = String::new();
    let mut entries = Vec::new();
    for revision in plan.revisions() {
        let kids = shape.children(revision.id());
        if kids.len() < 2 {
            continue;
        }
        let _ = writeln!(
            text,
            "{}{}, {}",
            revision.id(),
            markers(&shape, revision, &none),
            revision.message()
        );
        for child in &kids {
            let _ = writeln!(
                text,
                "    -> {}{}, {}",
                child.id(),
                markers(&shape, child, &none),
                child.message()
            );
        }
        entries.push(json!({
            "id": revision.id(),
            "message": revision.message(),
            "branches": kids.iter().map(|child| child.id()).collect::<Vec<_>>(),
        }));
    }
    Report {
        text,
        json: Value::Array(entries),
    }
}

/// `show REV`: the `log_entry` block of each revision `REV` names, as
/// Alembic's `get_revisions`: one for an id, each head for `heads`, each of
/// the database's heads for `current` (`current` holds them), none for
/// `base`. The JSON is the revision's object, `null` for none, and an array
/// for several.
pub fn show(plan: &Plan, ident: &str, current: &BTreeSet<String>) -> Result<Report, Error> {
    let shape = Shape::new(plan);
    let ident = ident.trim();
    if ident.is_empty() {
        // Alembic refuses an empty revision too (`show ''` fails there).
        return Err(Error::Migrate(crate::graph::error(
            migrate_core::ResolveError::InvalidTarget {
                input: ident.to_string(),
                reason: "empty revision; use `head`, `base`, `current`, an id or a label"
                    .to_string(),
            },
            crate::Direction::Upgrade,
        )));
    }
    let positions: Vec<usize> = if ident == "current" {
        let mut found: Vec<usize> = current
            .iter()
            .filter_map(|id| shape.graph.position(id))
            .collect();
        found.sort_unstable();
        found
    } else {
        shape
            .graph
            .revisions(ident)
            .map_err(|e| crate::graph::error(e, crate::Direction::Upgrade))?
    };
    // Alembic's `show` marks no revision `(current)`.
    let none = BTreeSet::new();
    let mut text = String::new();
    let mut entries = Vec::new();
    for position in positions {
        let revision = &plan.revisions()[position];
        text.push_str(&log_entry(&shape, revision, &none));
        entries.push(revision_json(&shape, revision, &none));
    }
    let json = match entries.len() {
        0 => Value::Null,
        1 => entries.remove(0),
        _ => Value::Array(entries),
    };
    Ok(Report { text, json })
}

/// `migrator` with the options of an `upgrade` / `downgrade`.
fn configure(args: &MoveArgs, migrator: &Migrator) -> Migrator {
    let mode = if args.single_transaction {
        crate::TransactionMode::Single
    } else {
        crate::TransactionMode::PerRevision
    };
    let migrator = migrator
        .clone()
        .transaction_mode(mode)
        .verify_checksums(!args.ignore_checksums)
        .revert_unknown(args.revert_unknown)
        .statement_timeout(args.statement_timeout);
    match args.liveness_probe {
        None => migrator,
        Some(LivenessProbe::Off) => migrator.liveness_probe(None),
        Some(LivenessProbe::Every(every)) => migrator.liveness_probe(Some(every)),
    }
}

/// Runs `myapp migrate <verb>` over `migrator`'s plan and returns the exit
/// code, after printing any error as one line.
pub async fn run(migrator: &Migrator, opt: MigrateOpt) -> i32 {
    run_inner(migrator, opt, None).await
}

/// [`run`] with `check --drift`: `drift` compares the database with the
/// schema model of the embedded plan (`migrate_introspect::drift::Embedded`).
///
/// ```rust,ignore
/// let migrator = migrate_runtime::Migrator::new(&MIGRATIONS);
/// let drift = migrate_introspect::drift::Embedded;
/// std::process::exit(migrate_runtime::cli::run_with_drift(&migrator, opt, &drift).await)
/// ```
pub async fn run_with_drift(migrator: &Migrator, opt: MigrateOpt, drift: &dyn DriftCheck) -> i32 {
    run_inner(migrator, opt, Some(drift)).await
}

async fn run_inner(migrator: &Migrator, opt: MigrateOpt, drift: Option<&dyn DriftCheck>) -> i32 {
    let printer = Printer::new(&opt.output);
    let migrator = match opt.connect_timeout {
        Some(timeout) => migrator.clone().connect_timeout(timeout),
        None => migrator.clone(),
    };
    let result = if opt.fleet.is_fleet() {
        execute_fleet(
            &migrator,
            &opt.command,
            opt.database_url.as_deref(),
            &opt.fleet,
            &printer,
            None,
        )
        .await
    } else {
        execute_with_drift(
            &migrator,
            &opt.command,
            opt.database_url.as_deref(),
            &printer,
            None,
            drift,
        )
        .await
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            printer.error(&error);
            if let Some(help) = error.help() {
                printer.help(help);
            }
            1
        }
    }
}

/// The targets of `--fleet FILE` or `--targets-query SQL`.
pub async fn fleet_targets(
    migrator: &Migrator,
    fleet: &FleetArgs,
    database_url: Option<&str>,
) -> Result<Vec<crate::FleetTarget>, Error> {
    if let Some(path) = &fleet.fleet {
        let text = std::fs::read_to_string(path).map_err(|e| Error::TargetsFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        return Ok(crate::fleet::parse_targets(
            &text,
            database_url,
            &path.display().to_string(),
        )?);
    }
    let sql = fleet.targets_query.as_deref().unwrap_or_default();
    let url = database_url.ok_or(Error::NoDatabaseUrl)?;
    Ok(crate::fleet::query_targets(url, sql, migrator.connect_timeout).await?)
}

/// Runs `upgrade`, `downgrade`, `current`, `check` or `stamp` on every target
/// of the fleet (`--fleet FILE` or `--targets-query SQL`), prints one line a
/// target and the summary (or the JSON report), and fails when any target
/// failed. `upgrade --sql` and `downgrade --sql` print one script a target.
/// `progress` is told of each target as it finishes.
pub async fn execute_fleet(
    migrator: &Migrator,
    command: &Command,
    database_url: Option<&str>,
    fleet: &FleetArgs,
    printer: &Printer,
    progress: Option<std::sync::Arc<dyn Progress + Send + Sync>>,
) -> Result<(), Error> {
    use crate::fleet::{FleetOptions, FleetVerb};
    let (verb, migrator) = match command {
        Command::Upgrade(args) | Command::Downgrade(args) if args.sql => {
            let targets = fleet_targets(migrator, fleet, database_url).await?;
            return fleet_scripts(migrator, command, args, &targets);
        }
        Command::Upgrade(args) => (
            FleetVerb::Upgrade(args.target.clone()),
            configure(args, migrator),
        ),
        Command::Downgrade(args) => (
            FleetVerb::Downgrade(args.target.clone()),
            configure(args, migrator),
        ),
        Command::Current => (FleetVerb::Current, migrator.clone()),
        Command::Check { drift: true } => {
            return Err(Error::Usage(
                "`check --drift` reads one database, not a `--fleet` or `--targets-query`"
                    .to_string(),
            ))
        }
        Command::Check { drift: false } => (FleetVerb::Check, migrator.clone()),
        Command::Stamp {
            target,
            purge,
            adopt,
        } => {
            if adopt.is_some() {
                return Err(Error::Usage(
                    "`stamp --adopt` takes over one database at a time, not a `--fleet` or `--targets-query`".to_string(),
                ));
            }
            let [target] = target.as_slice() else {
                return Err(Error::Usage(
                    "`stamp` over a `--fleet` or `--targets-query` records one revision".to_string(),
                ));
            };
            (
                FleetVerb::Stamp {
                    target: target.clone(),
                    purge: *purge,
                },
                migrator.clone(),
            )
        }
        Command::History(_) | Command::Heads | Command::Branches | Command::Show { .. } => {
            return Err(Error::Usage(
                "`--fleet` and `--targets-query` run `upgrade`, `downgrade`, `current`, `check` and `stamp`".to_string(),
            ))
        }
    };
    let targets = fleet_targets(&migrator, fleet, database_url).await?;
    let mut options = FleetOptions {
        concurrency: fleet
            .concurrency
            .unwrap_or(crate::fleet::DEFAULT_CONCURRENCY),
        stop_after_failures: fleet.stop_after_failures,
        canary: fleet.canary.unwrap_or(0),
        on_target: None,
    };
    if let Some(progress) = progress.filter(|_| printer.interactive() && !printer.json()) {
        progress.start(targets.len());
        let told = std::sync::Arc::clone(&progress);
        options.on_target = Some(std::sync::Arc::new(move |report| {
            let status = if report.failed() { "failed" } else { "done" };
            told.step(&report.target, status);
        }));
        let report = migrator.run_fleet(&targets, &verb, &options).await;
        progress.finish();
        return print_fleet(report?, printer);
    }
    let report = migrator.run_fleet(&targets, &verb, &options).await?;
    print_fleet(report, printer)
}

/// The fleet report, as text (a line a target, then the summary) or JSON.
fn print_fleet(report: crate::FleetReport, printer: &Printer) -> Result<(), Error> {
    use crate::fleet::TargetOutcome;
    let mut text = String::new();
    for target in &report.targets {
        let took = format!("{} ms", target.duration.as_millis());
        let line = match &target.outcome {
            TargetOutcome::Moved(moved) if moved.is_empty() => format!("nothing to do ({took})"),
            TargetOutcome::Moved(moved) => {
                let verb = match moved.direction {
                    crate::Direction::Upgrade => "applied",
                    crate::Direction::Downgrade => "reverted",
                };
                format!("{verb} {} ({took})", moved.ids().join(", "))
            }
            TargetOutcome::Current(heads) if heads.is_empty() => "at base".to_string(),
            TargetOutcome::Current(heads) => format!("at {}", heads.join(", ")),
            TargetOutcome::Done => format!("ok ({took})"),
            // Each message masked on its own: a line holding two URLs
            // would be masked from the first one's `@` on.
            TargetOutcome::Behind(error) => {
                format!("behind: {}", crate::redact_text(&error.to_string()))
            }
            TargetOutcome::Failed(error) => {
                format!("failed: {}", crate::redact_text(&error.to_string()))
            }
            TargetOutcome::NotRun => "not run".to_string(),
        };
        let _ = writeln!(text, "{}: {line}", target.target);
    }
    let summary = report.summary();
    let _ = writeln!(text, "{summary}");
    printer.report(&Report {
        text,
        json: report.to_json(),
    });
    let failed = report.failed() + report.not_run();
    if failed > 0 {
        return Err(Error::FleetFailed {
            failed,
            total: report.targets.len(),
            summary,
        });
    }
    Ok(())
}

/// `upgrade --sql` / `downgrade --sql` over a fleet: one script a target, in
/// its database's dialect, a schema target's starting with its `search_path`.
fn fleet_scripts(
    migrator: &Migrator,
    command: &Command,
    args: &MoveArgs,
    targets: &[crate::FleetTarget],
) -> Result<(), Error> {
    if matches!(command, Command::Downgrade(_)) && !args.target.contains(':') {
        return Err(Error::Usage(format!(
            "`downgrade --sql` needs a range `FROM:TO`, such as `head:{}`",
            args.target
        )));
    }
    let migrator = configure(args, migrator);
    let mut out = String::new();
    for target in targets {
        let dialect = match args.dialect {
            Some(dialect) => dialect.into(),
            None => target.dialect(),
        };
        let direction = if matches!(command, Command::Downgrade(_)) {
            crate::Direction::Downgrade
        } else {
            crate::Direction::Upgrade
        };
        let script = migrator.sql_for(direction, &args.target, dialect)?;
        let _ = writeln!(
            out,
            "-- fleet target: {}",
            crate::offline::comment(&target.name())
        );
        if let Some(schema) = target.schema_name() {
            let _ = writeln!(out, "CREATE SCHEMA IF NOT EXISTS \"{schema}\";");
            let _ = writeln!(out, "SET search_path TO \"{schema}\";");
        }
        out.push_str(&script);
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

/// Runs one verb. `progress` is drawn for long upgrades when given.
pub async fn execute(
    migrator: &Migrator,
    command: &Command,
    database_url: Option<&str>,
    printer: &Printer,
    progress: Option<&dyn Progress>,
) -> Result<(), Error> {
    execute_with_drift(migrator, command, database_url, printer, progress, None).await
}

/// [`execute`] with the [`DriftCheck`] that `check --drift` runs (without
/// one, `check --drift` is refused with a message that says how to add it).
pub async fn execute_with_drift(
    migrator: &Migrator,
    command: &Command,
    database_url: Option<&str>,
    printer: &Printer,
    progress: Option<&dyn Progress>,
    drift: Option<&dyn DriftCheck>,
) -> Result<(), Error> {
    let plan = migrator.plan();
    match command {
        Command::History(args)
            if !args.indicate_current
                && !args
                    .rev_range
                    .as_deref()
                    .is_some_and(|range| range.split(':').any(|end| end.trim() == "current")) =>
        {
            printer.report(&history(
                plan,
                args.rev_range.as_deref(),
                printer.verbose(),
                &BTreeSet::new(),
            )?);
            return Ok(());
        }
        Command::Heads => {
            printer.report(&heads(plan, printer.verbose(), &BTreeSet::new()));
            return Ok(());
        }
        Command::Branches => {
            printer.report(&branches(plan));
            return Ok(());
        }
        Command::Show { rev } if rev.trim() != "current" => {
            printer.report(&show(plan, rev, &BTreeSet::new())?);
            return Ok(());
        }
        Command::Upgrade(args) | Command::Downgrade(args) if args.sql => {
            let upgrade = matches!(command, Command::Upgrade(_));
            let dialect = match (args.dialect, database_url) {
                (Some(dialect), _) => dialect.into(),
                (None, Some(url)) => Dialect::of_url(url).unwrap_or(plan.dialect()),
                (None, None) => plan.dialect(),
            };
            if dialect == Dialect::Generic {
                return Err(Error::Usage(
                    "`--sql` needs a dialect: pass `--dialect postgres|sqlite|mysql`, a database URL, or set `dialect` in migrate.toml".to_string(),
                ));
            }
            if !upgrade && !args.target.contains(':') {
                return Err(Error::Usage(format!(
                    "`downgrade --sql` needs a range `FROM:TO`, such as `head:{}`",
                    args.target
                )));
            }
            let direction = if upgrade {
                crate::Direction::Upgrade
            } else {
                crate::Direction::Downgrade
            };
            let script = configure(args, migrator).sql_for(direction, &args.target, dialect)?;
            print!("{script}");
            return Ok(());
        }
        _ => {}
    }
    let url = database_url.ok_or(Error::NoDatabaseUrl)?;
    // A verb that writes refuses another database's history before it
    // connects (the `Migrator` refuses it too, for library callers).
    if let (Command::Upgrade(_) | Command::Downgrade(_) | Command::Stamp { .. }, Some(backend)) =
        (command, Dialect::of_url(url))
    {
        if !plan.dialect().runs_on(backend) {
            return Err(crate::Error::DialectMismatch {
                plan: plan.dialect(),
                target: backend,
                offline: false,
            }
            .into());
        }
    }
    let db = migrator.open(url).await?;
    let result = match (command, drift) {
        (Command::Check { drift: true }, Some(drift)) => {
            check_drift(migrator, &db, printer, drift).await
        }
        (Command::Check { drift: true }, None) => Err(drift_needs_checker()),
        _ => execute_online(migrator, command, url, &db, printer, progress).await,
    };
    db.close().await;
    result
}

/// `check --drift` with `drift`: the warnings, the report, then the status
/// line, or an error (exit 1) on any difference.
async fn check_drift(
    migrator: &Migrator,
    db: &crate::MigrateConnection,
    printer: &Printer,
    drift: &dyn DriftCheck,
) -> Result<(), Error> {
    let outcome = drift.check(migrator, db).await?;
    for warning in &outcome.warnings {
        printer.warning(warning);
    }
    printer.report(&outcome.report);
    if outcome.differences == 0 {
        printer.status("Checked", &outcome.status);
        Ok(())
    } else {
        Err(Error::Drifted {
            count: outcome.differences,
        })
    }
}

async fn current_set(
    migrator: &Migrator,
    db: &crate::MigrateConnection,
) -> Result<BTreeSet<String>, Error> {
    Ok(migrator.current(db).await?.into_iter().collect())
}

async fn execute_online(
    migrator: &Migrator,
    command: &Command,
    url: &str,
    db: &crate::MigrateConnection,
    printer: &Printer,
    progress: Option<&dyn Progress>,
) -> Result<(), Error> {
    let plan = migrator.plan();
    match command {
        Command::Upgrade(args) | Command::Downgrade(args) => {
            let upgrade_verb = matches!(command, Command::Upgrade(_));
            let direction = if upgrade_verb {
                crate::Direction::Upgrade
            } else {
                crate::Direction::Downgrade
            };
            // Each revision is printed as soon as it is committed, so a run
            // that fails later has already said what it left applied.
            let done = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let migrator = {
                let lines = MoveLines::new(plan, direction);
                let printer = printer.clone();
                let done = std::sync::Arc::clone(&done);
                configure(args, migrator).on_revision(move |moved: &crate::RevisionReport| {
                    printer.status(lines.verb(), lines.line(moved));
                    if let Ok(mut done) = done.lock() {
                        done.push(moved.clone());
                    }
                })
            };
            let result = if upgrade_verb {
                // Stepping revision by revision would split the single transaction.
                let progress = progress.filter(|_| !args.single_transaction);
                upgrade(&migrator, db, &args.target, printer, progress).await
            } else {
                migrator
                    .downgrade(db, args.target.as_str())
                    .await
                    .map_err(Error::from)
            };
            let done: Vec<crate::RevisionReport> =
                done.lock().map(|done| done.clone()).unwrap_or_default();
            match result {
                Ok(report) => print_moves(&report, &args.target, printer),
                Err(error) => {
                    print_failed_move(direction, &done, &args.target, &error, printer);
                    return Err(error);
                }
            }
        }
        Command::Current => {
            let current = migrator.current(db).await?;
            let current_set: BTreeSet<String> = current.iter().cloned().collect();
            let shape = Shape::new(plan);
            let mut text = String::new();
            if printer.verbose() {
                let _ = writeln!(text, "Current revision(s) for {}:", crate::redact_url(url));
            }
            let mut entries = Vec::new();
            for id in &current {
                match plan.get(id) {
                    Some(revision) if printer.verbose() => {
                        text.push_str(&log_entry(&shape, revision, &current_set));
                        entries.push(revision_json(&shape, revision, &current_set));
                    }
                    Some(revision) => {
                        let _ = writeln!(
                            text,
                            "{}{}, {}",
                            revision.id(),
                            markers(&shape, revision, &BTreeSet::new()),
                            revision.message()
                        );
                        entries.push(revision_json(&shape, revision, &current_set));
                    }
                    None => {
                        let _ = writeln!(text, "{id} (not in this plan)");
                        entries.push(json!({ "id": id, "known": false }));
                    }
                }
            }
            // Rows an earlier run left half done: the next run refuses until
            // they are resolved, so `current` must show them.
            let mut unresolved = Vec::new();
            for row in migrator.unresolved(db).await? {
                let _ = writeln!(text, "{row}");
                unresolved.push(json!({
                    "id": row.revision,
                    "state": row.state,
                    "statements_done": row.ran.len(),
                    "unknown": row.unknown.as_ref().map(|s| json!({
                        "index": s.index,
                        "line": s.line,
                        "outcome": crate::error::UNKNOWN_OUTCOME,
                        "catalog": row.catalog,
                    })),
                    "stopped_at": row.stopped_at.as_ref().map(|s| json!({
                        "index": s.index,
                        "line": s.line,
                        "catalog": row.catalog,
                    })),
                }));
            }
            if current.is_empty() && unresolved.is_empty() {
                printer.status("Current", "base: no revision is applied");
            }
            printer.report(&Report {
                text,
                json: json!({ "current": entries, "unresolved": unresolved }),
            });
        }
        Command::History(args) => {
            let current = current_set(migrator, db).await?;
            printer.report(&history(
                plan,
                args.rev_range.as_deref(),
                printer.verbose(),
                &current,
            )?);
        }
        Command::Check { drift: true } => return Err(drift_needs_checker()),
        Command::Check { drift: false } => {
            migrator.check(db).await?;
            let current = migrator.current(db).await?;
            printer.status(
                "Checked",
                format!("the database is at head ({})", current.join(", ")),
            );
            printer.report(&Report {
                text: String::new(),
                json: json!({ "at_head": true, "current": current }),
            });
        }
        Command::Stamp {
            adopt: Some(tool), ..
        } => {
            let adopted = migrator.adopt(db, *tool).await?;
            let shown = if adopted.heads.is_empty() {
                "base".to_string()
            } else {
                adopted.heads.join(", ")
            };
            let what = format!(
                "{} version(s) in `{}`: {} revision(s) recorded as applied, the database is at {shown} (no SQL ran)",
                adopted.versions.len(),
                tool.table(),
                adopted.revisions.len(),
            );
            if adopted.already {
                printer.status("Adopted", format!("already: {what}"));
            } else {
                printer.status("Adopted", what);
            }
            if !adopted.ignored.is_empty() {
                printer.warning(format!(
                    "ignored pop version(s) {}: no revision comes from them (pop records its empty migrations, which the import skips)",
                    adopted.ignored.join(", ")
                ));
            }
            printer.report(&Report {
                text: String::new(),
                json: json!({
                    "tool": tool.name(),
                    "versions": adopted.versions,
                    "revisions": adopted.revisions,
                    "current": adopted.heads,
                    "ignored": adopted.ignored,
                    "already": adopted.already,
                }),
            });
        }
        Command::Stamp { target, purge, .. } => {
            migrator.stamp_all(db, target, *purge).await?;
            let current = migrator.current(db).await?;
            let shown = if current.is_empty() {
                "base".to_string()
            } else {
                current.join(", ")
            };
            printer.status(
                "Stamped",
                format!("the database is now at {shown} (no SQL ran)"),
            );
            printer.report(&Report {
                text: String::new(),
                json: json!({ "current": current }),
            });
        }
        Command::Show { rev } => {
            // `show current`: the database's heads (the only `show` that reads it).
            let current = current_set(migrator, db).await?;
            printer.report(&show(plan, rev, &current)?);
        }
        Command::Heads | Command::Branches => {}
    }
    Ok(())
}

/// Upgrades, one revision at a time with `progress` when the run is long
/// and the target is `head` or `heads` (whose pending list is exactly what
/// will run); in one call otherwise.
async fn upgrade(
    migrator: &Migrator,
    db: &crate::MigrateConnection,
    target: &str,
    printer: &Printer,
    progress: Option<&dyn Progress>,
) -> Result<crate::Report, Error> {
    let stepwise = match progress {
        Some(progress) if printer.interactive() && matches!(target.trim(), "head" | "heads") => {
            if target.trim() == "head" && migrator.plan().heads().len() > 1 {
                None
            } else {
                let pending: Vec<Revision> =
                    migrator.pending(db).await?.into_iter().cloned().collect();
                (pending.len() > PROGRESS_THRESHOLD).then_some((progress, pending))
            }
        }
        _ => None,
    };
    let Some((progress, pending)) = stepwise else {
        return Ok(migrator.upgrade(db, target).await?);
    };
    progress.start(pending.len());
    let mut total = crate::Report {
        direction: crate::Direction::Upgrade,
        revisions: Vec::new(),
    };
    for revision in &pending {
        progress.step(revision.id(), revision.message());
        match migrator.upgrade(db, revision.id()).await {
            Ok(report) => total.revisions.extend(report.revisions),
            Err(error) => {
                progress.finish();
                return Err(error.into());
            }
        }
    }
    progress.finish();
    Ok(total)
}

/// The status line of one moved revision: `aaaa -> bbbb, message (3 ms)`
/// (owned, so that the run's callback can print it while the run goes on).
struct MoveLines {
    upgrade: bool,
    /// id -> (parents shown, message).
    known: std::collections::HashMap<String, (String, String)>,
}

impl MoveLines {
    fn new(plan: &Plan, direction: crate::Direction) -> MoveLines {
        let known = plan
            .revisions()
            .iter()
            .map(|revision| {
                let parents = if revision.down_revisions().is_empty() {
                    "<base>".to_string()
                } else {
                    revision.down_revisions().join(", ")
                };
                (
                    revision.id().to_string(),
                    (parents, revision.message().to_string()),
                )
            })
            .collect();
        MoveLines {
            upgrade: direction == crate::Direction::Upgrade,
            known,
        }
    }

    fn verb(&self) -> &'static str {
        if self.upgrade {
            "Upgraded"
        } else {
            "Downgraded"
        }
    }

    fn line(&self, moved: &crate::RevisionReport) -> String {
        let (parents, message) = match self.known.get(&moved.revision) {
            Some((parents, message)) => (parents.as_str(), message.as_str()),
            None => ("?", "(not in this plan)"),
        };
        let arrow = if self.upgrade {
            format!("{parents} -> {}", moved.revision)
        } else {
            format!("{} -> {parents}", moved.revision)
        };
        let message = if message.is_empty() {
            String::new()
        } else {
            format!(", {message}")
        };
        format!("{arrow}{message} ({} ms)", moved.duration.as_millis())
    }
}

fn moved_json(moved: &[crate::RevisionReport]) -> Vec<Value> {
    moved
        .iter()
        .map(|moved| {
            json!({
                "id": moved.revision,
                "duration_ms": u64::try_from(moved.duration.as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect()
}

/// The summary after a run (each revision was printed as it was committed).
fn print_moves(report: &crate::Report, target: &str, printer: &Printer) {
    let upgrade = report.direction == crate::Direction::Upgrade;
    if report.revisions.is_empty() {
        printer.status(
            "Fresh",
            format!("nothing to do: the database is already at `{target}`"),
        );
    } else {
        let count = report.revisions.len();
        let plural = if count == 1 { "" } else { "s" };
        let direction = if upgrade { "upgrade" } else { "downgrade" };
        printer.status(
            "Finished",
            format!("{direction} to `{target}`: {count} revision{plural}"),
        );
    }
    printer.report(&Report {
        text: String::new(),
        json: json!({
            "direction": if upgrade { "upgrade" } else { "downgrade" },
            "target": target,
            "revisions": moved_json(&report.revisions),
        }),
    });
}

/// A run that failed: the revisions it committed before the failure (they
/// stay applied), the one that failed, and the error. The text lines were
/// printed as the run went; the JSON document is printed here, so that a
/// tool reading stdout learns what is applied even though the exit code is 1.
fn print_failed_move(
    direction: crate::Direction,
    done: &[crate::RevisionReport],
    target: &str,
    error: &Error,
    printer: &Printer,
) {
    let upgrade = direction == crate::Direction::Upgrade;
    let failed = match error {
        Error::Migrate(crate::Error::Statement(failure)) => json!({
            "id": failure.revision,
            "file": failure.file,
            "line": failure.statement.as_ref().map(|statement| statement.line),
            "statement": failure.statement.as_ref().map(|statement| statement.index),
            "rolled_back": failure.rolled_back,
            "rolled_back_revisions": failure.rolled_back_revisions,
            "statements_committed": failure.committed.len(),
        }),
        _ => Value::Null,
    };
    if !done.is_empty() {
        let count = done.len();
        let plural = if count == 1 { "" } else { "s" };
        let verb = if upgrade { "upgraded" } else { "downgraded" };
        printer.status(
            "Stopped",
            format!("{count} revision{plural} {verb} and committed before the error below"),
        );
    }
    printer.report(&Report {
        text: String::new(),
        json: json!({
            "direction": if upgrade { "upgrade" } else { "downgrade" },
            "target": target,
            "revisions": moved_json(done),
            "failed": failed,
            "error": error.to_string(),
        }),
    });
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::plan::{Dialect, Text};

    fn revision(id: &'static str, parents: &[&'static str], message: &'static str) -> Revision {
        let parents: Vec<Text> = parents.iter().map(|p| Cow::Borrowed(*p)).collect();
        Revision {
            id: Cow::Borrowed(id),
            down_revisions: Cow::Owned(parents),
            depends_on: Cow::Borrowed(&[]),
            branch_labels: Cow::Borrowed(&[]),
            message: Cow::Borrowed(message),
            create_date: Cow::Borrowed("2025-08-06T14:30:00Z"),
            file: Cow::Owned(format!("migrations/{id}_x.sql")),
            checksum: [0; 32],
            upgrade: Cow::Borrowed(&[]),
            downgrade: Cow::Borrowed(&[]),
        }
    }

    /// a -> b -> {c, d} -> e (merge)
    fn diamond() -> Plan {
        Plan::new(
            vec![
                revision("aaaa1111", &[], "create users"),
                revision("bbbb2222", &["aaaa1111"], "create posts"),
                revision("cccc3333", &["bbbb2222"], "add tags"),
                revision("dddd4444", &["bbbb2222"], "add published_at"),
                revision("eeee5555", &["cccc3333", "dddd4444"], "merge"),
            ],
            "migrate_version",
            Dialect::Sqlite,
        )
    }

    #[test]
    fn history_is_newest_first_with_markers() {
        let report = history(&diamond(), None, false, &BTreeSet::new()).unwrap();
        assert_eq!(
            report.text,
            "cccc3333, dddd4444 -> eeee5555 (head) (mergepoint), merge\n\
             bbbb2222 -> dddd4444, add published_at\n\
             bbbb2222 -> cccc3333, add tags\n\
             aaaa1111 -> bbbb2222 (branchpoint), create posts\n\
             <base> -> aaaa1111, create users\n"
        );
    }

    #[test]
    fn history_ranges_include_both_ends() {
        let plan = diamond();
        let none = BTreeSet::new();
        let ids = |range: &str| -> Vec<String> {
            history(&plan, Some(range), false, &none)
                .unwrap()
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids("bbbb:cccc"), ["cccc3333", "bbbb2222"]);
        assert_eq!(ids(":bbbb"), ["bbbb2222", "aaaa1111"]);
        assert_eq!(ids("dddd:"), ["eeee5555", "dddd4444"]);
        let at_c: BTreeSet<String> = ["cccc3333".to_string()].into();
        let with_current = |range: &str| -> Vec<String> {
            history(&plan, Some(range), false, &at_c)
                .unwrap()
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(with_current("current:"), ["eeee5555", "cccc3333"]);
        assert_eq!(
            with_current(":current"),
            ["cccc3333", "bbbb2222", "aaaa1111"]
        );
        assert!(matches!(
            history(&plan, Some("bbbb"), false, &none),
            Err(Error::BadRange(_))
        ));
        // Inverted, and on two branches: Alembic's error, not an empty list.
        for range in ["cccc:bbbb", "cccc:dddd"] {
            assert!(
                matches!(
                    history(&plan, Some(range), false, &none),
                    Err(Error::RangeNotOnOneBranch(_))
                ),
                "{range}"
            );
        }
        assert_eq!(ids("bbbb:bbbb"), ["bbbb2222"]);
    }

    #[test]
    fn resolve_reports_ambiguous_and_unknown() {
        let mut revisions = diamond().revisions().to_vec();
        revisions.push(revision("eeee5556", &["eeee5555"], "x"));
        let plan = Plan::new(revisions, "migrate_version", Dialect::Sqlite);
        assert_eq!(
            resolve_revision(&plan, "eeee").unwrap_err().to_string(),
            "revision prefix `eeee` is ambiguous: it matches eeee5555, eeee5556; give more characters"
        );
        assert_eq!(
            resolve_revision(&plan, "ffff").unwrap_err().to_string(),
            "no revision matches `ffff`; `cargo migrate history` lists them"
        );
        assert_eq!(
            resolve_revision(&plan, "head").unwrap().unwrap().id(),
            "eeee5556"
        );
        assert!(resolve_revision(&plan, "base").unwrap().is_none());
    }

    #[test]
    fn long_pending_lists_are_cut() {
        let pending: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
        let error = crate::Error::NotAtHead {
            current: vec![],
            pending,
        };
        assert_eq!(
            error.to_string(),
            "the database is not at head: current (none), pending r0, r1, r2, r3, r4 and 3 more (`history -r current:` lists them)"
        );
    }

    #[test]
    fn branches_and_show() {
        let plan = diamond();
        assert_eq!(
            branches(&plan).text,
            "bbbb2222 (branchpoint), create posts\n    -> cccc3333, add tags\n    -> dddd4444, add published_at\n"
        );
        assert!(show(&plan, "", &BTreeSet::new()).is_err());
        assert!(show(&plan, "  ", &BTreeSet::new()).is_err());
        let shown = show(&plan, "eeee", &BTreeSet::new()).unwrap().text;
        assert!(
            shown.starts_with("Rev: eeee5555 (head) (mergepoint)\nMerges: cccc3333, dddd4444\n"),
            "{shown}"
        );
        assert!(
            shown.contains("Path: migrations/eeee5555_x.sql\n"),
            "{shown}"
        );
    }

    /// A plan whose revisions create tables, as the macro would embed it.
    fn tables_plan() -> Plan {
        let table = |id: &'static str, parents: &[&'static str], name: &'static str| {
            let mut revision = revision(id, parents, name);
            revision.upgrade = Cow::Owned(vec![crate::plan::Section {
                transactional: true,
                line: 6,
                statements: Cow::Owned(vec![crate::plan::Statement {
                    sql: Cow::Owned(format!("CREATE TABLE {name} (id INTEGER)")),
                    line: 7,
                }]),
            }]);
            revision.downgrade = Cow::Owned(vec![crate::plan::Section {
                transactional: true,
                line: 8,
                statements: Cow::Owned(vec![crate::plan::Statement {
                    sql: Cow::Owned(format!("DROP TABLE {name}")),
                    line: 9,
                }]),
            }]);
            revision.checksum = [id.len() as u8; 32];
            revision
        };
        Plan::new(
            vec![
                table("aaaa1111", &[], "users"),
                table("bbbb2222", &["aaaa1111"], "posts"),
            ],
            "migrate_version",
            Dialect::Sqlite,
        )
    }

    #[derive(clap::Parser)]
    enum App {
        /// What an application's binary adds to its own commands.
        Migrate(MigrateOpt),
    }

    fn parse(args: &[&str]) -> MigrateOpt {
        use clap::Parser as _;
        let App::Migrate(opt) = App::try_parse_from(args).expect("arguments parse");
        opt
    }

    #[tokio::test]
    async fn an_application_binary_runs_the_verbs_over_its_plan() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("app.db").display());
        let migrator = Migrator::new(tables_plan());
        let quiet = ["-q", "--database-url", url.as_str()];
        let with = |verb: &[&'static str]| -> Vec<String> {
            let mut args: Vec<String> = vec!["app".into(), "migrate".into()];
            args.extend(verb.iter().map(|a| a.to_string()));
            args.extend(quiet.iter().map(|a| a.to_string()));
            args
        };
        let run_verb = |verb: &[&'static str]| {
            let args = with(verb);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            parse(&args)
        };
        assert_eq!(run(&migrator, run_verb(&["check"])).await, 1);
        assert_eq!(run(&migrator, run_verb(&["upgrade", "+1"])).await, 0);
        let db = crate::MigrateConnection::connect(&url)
            .await
            .expect("connect");
        assert_eq!(migrator.current(&db).await.expect("current"), ["aaaa1111"]);
        assert_eq!(run(&migrator, run_verb(&["upgrade", "head"])).await, 0);
        assert_eq!(run(&migrator, run_verb(&["check"])).await, 0);
        assert_eq!(run(&migrator, run_verb(&["downgrade", "-1"])).await, 0);
        assert_eq!(migrator.current(&db).await.expect("current"), ["aaaa1111"]);
        assert_eq!(run(&migrator, run_verb(&["stamp", "head"])).await, 0);
        assert_eq!(migrator.current(&db).await.expect("current"), ["bbbb2222"]);
        assert_eq!(run(&migrator, run_verb(&["upgrade", "nope"])).await, 1);
        db.close().await;
    }

    #[test]
    fn offline_sql_needs_no_database_and_a_range_for_downgrade() {
        let opt = parse(&[
            "app",
            "migrate",
            "downgrade",
            "-1",
            "--sql",
            "--dialect",
            "sqlite",
        ]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let migrator = Migrator::new(tables_plan());
        let printer = Printer::new(&opt.output);
        let error = runtime
            .block_on(execute(&migrator, &opt.command, None, &printer, None))
            .expect_err("downgrade --sql without a range");
        assert!(error.to_string().contains("needs a range"), "{error}");
        let opt = parse(&["app", "migrate", "upgrade", "head", "--sql"]);
        runtime
            .block_on(execute(&migrator, &opt.command, None, &printer, None))
            .expect("the plan's dialect is enough");
    }
}
