//! The verbs shared with `migrate_runtime::cli`: the directory is compiled
//! into a plan, then the runtime's implementation runs over it.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use migrate_runtime::cli::{self as runtime_cli, Command, Printer, Progress};
use migrate_runtime::{Migrator, Revision};

use crate::load::{self, TOLERATED_BY_READ_VERBS};

/// An indicatif bar on stderr; indicatif hides it when stderr is not a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(0);
    }

    fn step(&self, revision: &Revision) {
        if self.0.position() > 0 || !self.0.message().is_empty() {
            self.0.inc(1);
        }
        self.0
            .set_message(format!("{}, {}", revision.id(), revision.message()));
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Runs a shared verb over the directory.
pub fn run(
    dir: &Path,
    command: &Command,
    database_url: Option<&str>,
    printer: &Printer,
) -> anyhow::Result<()> {
    // `check` is the CI gate: every build error counts, the stale lock included.
    let tolerate: &[&str] = if matches!(command, Command::Check) {
        &[]
    } else {
        TOLERATED_BY_READ_VERBS
    };
    let loaded = load::load(dir, tolerate, printer)?;
    for warning in loaded
        .warnings
        .iter()
        .filter(|w| tolerate.contains(&w.code))
    {
        printer.warning(format!(
            "{}{}",
            warning.message,
            warning
                .help
                .as_deref()
                .map(|help| format!("; {help}"))
                .unwrap_or_default()
        ));
    }
    if matches!(command, Command::Check) && database_url.is_none() {
        printer.status(
            "Checked",
            format!("`{}` compiles and migrate.lock is fresh (no database URL: the database was not checked)", dir.display()),
        );
        return Ok(());
    }
    let plan = load::plan_from_compiled(&loaded);
    let migrator = Migrator::new(plan);
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{prefix:>12.cyan.bold} [{bar:27}] {pos}/{len}: {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("Upgrading");
    let progress = Bar(bar);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(runtime_cli::execute(
        &migrator,
        command,
        database_url,
        printer,
        Some(&progress),
    ))?;
    Ok(())
}
