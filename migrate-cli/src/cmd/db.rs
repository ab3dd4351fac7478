//! The verbs shared with `migrate_runtime::cli`: the directory is compiled
//! into a plan, then the runtime's implementation runs over it.

use std::cell::{Cell, OnceCell};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use migrate_build::Severity;
use migrate_present::{Command, FleetArgs, Printer, Progress};
use migrate_runtime::cli as runtime_cli;
use migrate_runtime::Migrator;

use crate::load::{self, TOLERATED_BY_READ_VERBS, TOLERATED_BY_WRITE_VERBS};

/// An indicatif bar on stderr, created when a long upgrade starts (indicatif
/// itself draws nothing when stderr is not a terminal).
struct Bar {
    bar: OnceCell<ProgressBar>,
    colored: bool,
    steps: Cell<u64>,
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        let template = if self.colored {
            "{prefix:>12.cyan.bold} [{bar:27}] {pos}/{len}: {wide_msg}"
        } else {
            "{prefix:>12} [{bar:27}] {pos}/{len}: {wide_msg}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::new(total as u64)
            .with_style(style)
            .with_prefix("Upgrading");
        let _ = self.bar.set(bar);
    }

    fn step(&self, id: &str, message: &str) {
        if let Some(bar) = self.bar.get() {
            bar.set_position(self.steps.get());
            bar.set_message(format!("{id}, {message}"));
        }
        self.steps.set(self.steps.get() + 1);
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// A bar of targets done, for a fleet run (told from the fleet's tasks,
/// so it is `Sync`: indicatif's bar is).
struct FleetBar {
    bar: std::sync::OnceLock<ProgressBar>,
    colored: bool,
}

impl Progress for FleetBar {
    fn start(&self, total: usize) {
        let template = if self.colored {
            "{prefix:>12.cyan.bold} [{bar:27}] {pos}/{len} targets: {wide_msg}"
        } else {
            "{prefix:>12} [{bar:27}] {pos}/{len} targets: {wide_msg}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::new(total as u64)
            .with_style(style)
            .with_prefix("Migrating");
        let _ = self.bar.set(bar);
    }

    fn step(&self, id: &str, message: &str) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
            bar.set_message(format!("{id} {message}"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// Runs a shared verb over the directory.
pub fn run(
    dir: &Path,
    command: &Command,
    database_url: Option<&str>,
    fleet: &FleetArgs,
    connect_timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    // `check` is the CI gate: the build's own pipeline, every error fatal,
    // the stale lock included. The read verbs show what they can while a
    // file is broken (its errors are printed after the answer), and
    // tolerate what a user fixes with the next verb (several heads: `merge`;
    // a stale lock: `lock`). The verbs that write to the database refuse
    // what the build refuses, except several heads (`upgrade heads`).
    let reading = matches!(
        command,
        Command::Current
            | Command::History(_)
            | Command::Heads
            | Command::Branches
            | Command::Show { .. }
    );
    let loaded = if matches!(command, Command::Check { .. }) {
        load::load_strict(dir, printer)?
    } else if reading {
        load::load_for_reading(dir, printer)?
    } else {
        load::load(dir, TOLERATED_BY_WRITE_VERBS, printer)?
    };
    let (tolerated, broken): (Vec<_>, Vec<_>) = loaded
        .warnings
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .cloned()
        .partition(|diagnostic| TOLERATED_BY_READ_VERBS.contains(&diagnostic.code));
    for tolerated in &tolerated {
        let help = tolerated
            .help
            .as_deref()
            .map(|help| format!("; {help}"))
            .unwrap_or_default();
        printer.warning(format!("{}{help}", tolerated.message));
    }
    let result = run_verb(
        dir,
        command,
        database_url,
        fleet,
        connect_timeout,
        printer,
        &loaded,
    );
    if !broken.is_empty() {
        load::print_diagnostics(&broken, &loaded.sources, printer);
        let count = broken.len();
        let plural = if count == 1 { "" } else { "s" };
        printer.warning(format!(
            "`{}` has {count} error{plural} (above); `upgrade`, `downgrade`, `stamp` and the build refuse it until they are fixed",
            dir.display()
        ));
    }
    result
}

/// Runs `command` over the loaded directory.
fn run_verb(
    dir: &Path,
    command: &Command,
    database_url: Option<&str>,
    fleet: &FleetArgs,
    connect_timeout: std::time::Duration,
    printer: &Printer,
    loaded: &load::Loaded,
) -> anyhow::Result<()> {
    if matches!(command, Command::Check { .. }) && database_url.is_none() && !fleet.is_fleet() {
        printer.status(
            "Checked",
            format!("`{}` compiles and migrate.lock is fresh (no database URL: the database was not checked)", dir.display()),
        );
        return Ok(());
    }
    let plan = load::plan_from_compiled(loaded);
    let migrator = Migrator::new(plan).connect_timeout(connect_timeout);
    let progress = Bar {
        bar: OnceCell::new(),
        colored: printer.colored(),
        steps: Cell::new(0),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if fleet.is_fleet() {
        let bar = std::sync::Arc::new(FleetBar {
            bar: std::sync::OnceLock::new(),
            colored: printer.colored(),
        });
        runtime.block_on(runtime_cli::execute_fleet(
            &migrator,
            command,
            database_url,
            fleet,
            printer,
            Some(bar),
        ))?;
        return Ok(());
    }
    runtime.block_on(runtime_cli::execute(
        &migrator,
        command,
        database_url,
        printer,
        Some(&progress),
    ))?;
    Ok(())
}
