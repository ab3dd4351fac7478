//! `cargo migrate check --drift`: the live database's catalog against the
//! schema model at the revisions the database records.
//!
//! The model is the compiler's replay (`migrate_build::schema::model_of`,
//! the linter's) of the upgrades of the applied revisions in plan order;
//! the catalog and the comparison are `migrate-introspect`'s, the ones the
//! fidelity tests judge the model with. The tool's own version tables are
//! left out. An object the model holds as uncertain (a `DO` block, an
//! unchecked statement) is listed as not compared, never as drift.

use std::path::Path;

use migrate_introspect::drift::{self, DriftError};
use migrate_present::Printer;
use migrate_runtime::Migrator;

use crate::load;

/// The database differs from the history's schema (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("the database has drifted from the history's schema: {count} difference{plural} (listed above)", plural = if *.count == 1 { "" } else { "s" })]
pub struct Drifted {
    /// How many differences.
    pub count: usize,
}

/// Runs `check --drift` against `database_url`.
pub fn check_drift(
    dir: &Path,
    database_url: Option<&str>,
    connect_timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = load::load_strict(dir, printer)?;
    let Some(url) = database_url else {
        return Err(migrate_runtime::cli::Error::NoDatabaseUrl.into());
    };
    let plan = load::plan_from_compiled(&loaded);
    let migrator = Migrator::new(plan).connect_timeout(connect_timeout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let checked = runtime.block_on(async {
        let db = migrator.open(url).await?;
        let checked = drift::check(&migrator, &db, loaded.config.dialect, |dialect, applied| {
            migrate_build::schema::model_of(dialect, &loaded.revisions, |id| applied.contains(id))
        })
        .await;
        db.close().await;
        match checked {
            Err(DriftError::UnknownRevision(revision)) => Err(anyhow::anyhow!(
                "the database records revision {revision}, which `{}` does not hold: its schema cannot be replayed",
                dir.display()
            )),
            Err(DriftError::Catalog(error)) => {
                Err(anyhow::Error::new(error).context("reading the database's catalog"))
            }
            other => other.map_err(anyhow::Error::new),
        }
    })?;
    for warning in &checked.warnings {
        printer.warning(warning);
    }
    printer.report(&drift::report(&checked));
    if checked.comparison.is_clean() {
        printer.status("Checked", drift::status(&checked));
        Ok(())
    } else {
        Err(Drifted {
            count: checked.comparison.mismatches.len(),
        }
        .into())
    }
}
