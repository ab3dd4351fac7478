//! `cargo migrate check --drift`: the live database's catalog against the
//! schema model at the revisions the database records.
//!
//! The model is the compiler's replay (`migrate_build::schema::model_of`,
//! the linter's) of the upgrades of the applied revisions in plan order;
//! the catalog and the comparison are `migrate-introspect`'s, the ones the
//! fidelity tests judge the model with. The tool's own version tables are
//! left out. An object the model holds as uncertain (a `DO` block, an
//! unchecked statement) is listed as not compared, never as drift.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context as _};
use migrate_introspect::{Compare, Comparison};
use migrate_present::{Printer, Report};
use migrate_runtime::{Migrator, RowState};
use serde_json::json;

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
    let version_table = plan.version_table().to_string();
    let migrator = Migrator::new(plan).connect_timeout(connect_timeout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (comparison, current, dialect) = runtime.block_on(async {
        let db = migrator.open(url).await?;
        let backend = migrate_introspect::dialect_of(&db);
        if !loaded.config.dialect.runs_on(backend) {
            bail!(
                "the history is written for {}, the database is {}",
                loaded.config.dialect.database(),
                backend.database()
            );
        }
        let rows = migrator.history(&db).await?;
        let known: BTreeSet<&str> = loaded.revisions.iter().map(|r| r.id.as_str()).collect();
        let mut applied = BTreeSet::new();
        for row in &rows {
            if !known.contains(row.revision.as_str()) {
                bail!(
                    "the database records revision {}, which `{}` does not hold: its schema cannot be replayed",
                    row.revision,
                    dir.display()
                );
            }
            if row.state != RowState::Applied {
                bail!(
                    "revision {} is `{}` in the version table: the database is between revisions; \
                     finish or revert it (`upgrade` / `downgrade`) before checking drift",
                    row.revision,
                    row.state.as_str()
                );
            }
            let file = migrator
                .plan()
                .revisions()
                .iter()
                .find(|r| r.id() == row.revision);
            if file.is_some_and(|file| file.checksum_hex() != row.checksum) {
                printer.warning(format!(
                    "revision {} was applied from a different text than its file holds now: the model replays the file",
                    row.revision
                ));
            }
            applied.insert(row.revision.clone());
        }
        let current = migrator.current(&db).await?;
        // A generic history follows the server's naming rules.
        let dialect = match loaded.config.dialect {
            migrate_build::schema::Dialect::Generic => backend,
            declared => declared,
        };
        let model = migrate_build::schema::model_of(dialect, &loaded.revisions, |id| {
            applied.contains(id)
        });
        let mut catalog = migrate_introspect::introspect(&db)
            .await
            .context("reading the database's catalog")?;
        migrate_introspect::remove_version_tables(&mut catalog, &version_table);
        let comparison =
            migrate_introspect::compare(&model, &catalog, Compare::for_dialect(dialect));
        anyhow::Ok((comparison, current, dialect))
    })?;
    printer.report(&report(&comparison, &current, dialect));
    if comparison.is_clean() {
        printer.status(
            "Checked",
            format!(
                "no drift: the database matches the history's schema at {} ({} object(s) compared)",
                at(&current),
                comparison.compared
            ),
        );
        Ok(())
    } else {
        Err(Drifted {
            count: comparison.mismatches.len(),
        }
        .into())
    }
}

fn at(current: &[String]) -> String {
    if current.is_empty() {
        "base".to_string()
    } else {
        current.join(", ")
    }
}

/// The differences as text (one a line, then what was not compared) and as
/// JSON (`{"drift", "current", "differences": [{"object", "detail"}],
/// "unknown": [{"object", "reason"}], "compared"}`).
pub fn report(
    comparison: &Comparison,
    current: &[String],
    dialect: migrate_build::schema::Dialect,
) -> Report {
    let mut text = String::new();
    if !comparison.mismatches.is_empty() {
        text.push_str(&format!(
            "drift: the database ({}) differs from the history's schema at {}:\n",
            dialect.database(),
            at(current)
        ));
        for m in &comparison.mismatches {
            text.push_str(&format!("  {}: {}\n", m.object, m.detail));
        }
    }
    if !comparison.unknown.is_empty() {
        text.push_str("not compared (the history's schema model does not know them for sure):\n");
        for u in &comparison.unknown {
            text.push_str(&format!("  {}: {}\n", u.object, u.reason));
        }
    }
    let json = json!({
        "drift": !comparison.mismatches.is_empty(),
        "current": current,
        "compared": comparison.compared,
        "differences": comparison.mismatches.iter().map(|m| json!({
            "object": m.object,
            "detail": m.detail,
        })).collect::<Vec<_>>(),
        "unknown": comparison.unknown.iter().map(|u| json!({
            "object": u.object,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
    });
    Report { text, json }
}
