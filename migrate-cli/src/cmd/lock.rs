//! `cargo migrate lock`, and the lock update that `revision` and `merge` make.

use std::path::Path;

use migrate_runtime::cli::Printer;

use crate::scan;

pub use migrate_core::lock::LOCK_FILE;

/// The lock text for revision ids in plan order and the heads (the format
/// is `migrate_core::lock`'s).
pub fn render(order: &[&str], heads: &[&str]) -> String {
    migrate_core::lock::render(order, heads)
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

/// Rewrites `dir/migrate.lock`; true when its content changed. Refuses a
/// lock that is a symbolic link, a directory or unreadable.
pub fn write(dir: &Path) -> anyhow::Result<bool> {
    let text = expected(dir)?;
    let path = dir.join(LOCK_FILE);
    let before = crate::files::read_regular(&path)?;
    if before.as_deref() == Some(text.as_bytes()) {
        return Ok(false);
    }
    crate::files::replace(&path, &text)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, id: &str, parents: &str) {
        let text = format!(
            "-- message: {id}\n-- revision: {id}\n-- down_revision: {parents}\n\n-- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{id};\n"
        );
        std::fs::write(dir.join(format!("{id}_x.sql")), text).expect("write");
    }

    /// The header-only lock equals the one the compiler renders from the
    /// full plan, on a history with a fork, a merge and a second base.
    #[test]
    fn header_lock_matches_the_compiled_plan() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "a0000001", "none");
        write(dir.path(), "c0000003", "a0000001");
        write(dir.path(), "b0000002", "a0000001");
        write(dir.path(), "e0000005", "c0000003");
        write(dir.path(), "d0000004", "b0000002, e0000005");
        let printer = migrate_runtime::cli::Printer::new(&Default::default());
        let loaded = crate::load::load(dir.path(), &[], &printer).expect("compiles");
        assert_eq!(
            expected(dir.path()).expect("scan"),
            migrate_build::lock::render_lock(&loaded.revisions)
        );
        assert!(expected(dir.path())
            .unwrap()
            .ends_with("a0000001\nb0000002\nc0000003\ne0000005\nd0000004\nhead: d0000004\n"));
    }
}
