//! `cargo migrate lock`, and the lock update that `revision` and `merge` make.

use std::path::Path;

use anyhow::Context;
use migrate_runtime::cli::Printer;

use crate::scan;

/// The file name inside the migrations directory.
pub const LOCK_FILE: &str = "migrate.lock";

/// The lock text for revision ids in plan order and the heads, in the format
/// `migrate_build::lock::parse_lock` reads (its comment header included).
pub fn render(order: &[&str], heads: &[&str]) -> String {
    // The compiler owns the format; an empty plan renders just its header.
    let mut out = migrate_build::lock::render_lock(&[]);
    for id in order {
        out.push_str(id);
        out.push('\n');
    }
    for head in heads {
        out.push_str("head: ");
        out.push_str(head);
        out.push('\n');
    }
    out
}

/// The lock the directory's headers call for.
pub fn expected(dir: &Path) -> anyhow::Result<String> {
    let revisions = scan::scan(dir)?;
    let order: Vec<&str> = scan::plan_order(&revisions)
        .iter()
        .map(|revision| revision.id.as_str())
        .collect();
    let heads: Vec<&str> = scan::heads(&revisions)
        .iter()
        .map(|revision| revision.id.as_str())
        .collect();
    Ok(render(&order, &heads))
}

/// Rewrites `dir/migrate.lock`; true when its content changed.
pub fn write(dir: &Path) -> anyhow::Result<bool> {
    let text = expected(dir)?;
    let path = dir.join(LOCK_FILE);
    let before = std::fs::read_to_string(&path).ok();
    if before.as_deref() == Some(text.as_str()) {
        return Ok(false);
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(true)
}

/// `cargo migrate lock`.
pub fn lock(dir: &Path, printer: &Printer) -> anyhow::Result<()> {
    let path = dir.join(LOCK_FILE);
    if write(dir)? {
        printer.status("Locked", path.display());
    } else {
        printer.status("Fresh", format!("{} is up to date", path.display()));
    }
    Ok(())
}
