//! `cargo migrate revision --autogenerate -m MSG [--check]`: the revision
//! that turns the schema at head into the declared schema.

use std::path::{Path, PathBuf};

use anyhow::bail;
use migrate_build::autogen::{self, Generated};
use migrate_present::Printer;

use crate::cmd::revision::{revision_with, Body};
use crate::{load, OutputFormat, RevisionArgs};

/// The declared schema's path: `schema = "..."` of `migrate.toml`
/// (relative to the migrations directory), else `schema.sql` there.
pub fn declared_path(dir: &Path, configured: Option<&Path>) -> PathBuf {
    dir.join(configured.unwrap_or(Path::new("schema.sql")))
}

/// Compares the history's head with the declared schema; writes the
/// revision (or, with `--check`, fails when there is one to write).
pub fn autogenerate(
    dir: &Path,
    args: &RevisionArgs,
    format: OutputFormat,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = load::load_strict(dir, printer)?;
    let dialect = loaded.config.dialect;
    let path = declared_path(dir, loaded.config.schema.as_deref());
    let declared = match autogen::read_declared(&path, dialect) {
        Ok(schema) => schema,
        Err(errors) => {
            for error in &errors {
                printer.error(&error.message);
            }
            bail!(
                "the declared schema {} has {} error(s)",
                load::display_path(&path).display(),
                errors.len()
            );
        }
    };
    let head = autogen::head_schema(dialect, &loaded.revisions);
    let generated = autogen::generate(&head, &declared);
    for unknown in &generated.unknown {
        printer.warning(format!(
            "not compared: {unknown} (the history changes it in a way the schema model cannot follow)"
        ));
    }
    if generated.is_empty() {
        match format {
            OutputFormat::Json => println!(
                "{}",
                serde_json::json!({
                    "changes": false,
                    "path": null,
                    "reviews": [],
                    "unknown": generated.unknown,
                })
            ),
            _ => printer.status(
                "Autogenerate",
                "no changes: the declared schema matches the history's head; no file written",
            ),
        }
        return Ok(());
    }
    if args.check {
        report(&generated, None, format);
        bail!(
            "the declared schema {} differs from the history's head: run `cargo migrate revision --autogenerate -m \"...\"`",
            load::display_path(&path).display()
        );
    }
    let written = revision_with(dir, args, Body::Sections(generated.render()), printer)?;
    report(&generated, Some(&written), format);
    Ok(())
}

fn report(generated: &Generated, path: Option<&Path>, format: OutputFormat) {
    let reviews = generated.reviews();
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "changes": true,
                "path": path.map(|p| p.display().to_string()),
                "reviews": reviews,
                "unknown": generated.unknown,
            })
        ),
        _ => {
            match path {
                Some(path) => println!("{}", path.display()),
                None => print!("{}", generated.render()),
            }
            if !reviews.is_empty() {
                eprintln!(
                    "{} statement(s) marked `-- REVIEW:`: read them before upgrading",
                    reviews.len()
                );
            }
        }
    }
}
