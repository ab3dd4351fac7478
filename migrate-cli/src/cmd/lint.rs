//! `cargo migrate lint [--format json|sarif]`: the build's findings, all of
//! them; `lint --explain-model <revision>`: the schema model the checks
//! hold after a revision.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::bail;
use migrate_build::{Severity, Style};
use migrate_present::Printer;

use crate::load;
use crate::scan::{self, HeaderRevision};
use crate::OutputFormat;

/// Prints the schema model after `revision` (text, or JSON with
/// `--format json`): what `unknown-object`, `duplicate-object` and
/// `downgrade-mismatch` judge by, uncertain objects marked.
pub fn explain_model(
    dir: &Path,
    revision: &str,
    format: OutputFormat,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = load::load_for_explaining(dir, printer)?;
    let headers: Vec<HeaderRevision> = loaded
        .revisions
        .iter()
        .map(|r| HeaderRevision {
            id: r.id.clone(),
            down_revisions: r.down_revisions.clone(),
            depends_on: r.depends_on.clone(),
            branch_labels: r.branch_labels.clone(),
            message: r.message.clone(),
            file: r.file.clone(),
        })
        .collect();
    let id = scan::resolve(&headers, revision)?.id.clone();
    let Some(schema) =
        migrate_build::schema::model_after(loaded.config.dialect, &loaded.revisions, &id)
    else {
        bail!("revision `{id}` is not in the plan");
    };
    match format {
        OutputFormat::Json => {
            let mut value = schema.explain_json();
            if let serde_json::Value::Object(map) = &mut value {
                map.insert("revision".to_string(), serde_json::json!(id));
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_string())
            );
        }
        _ => {
            println!("after revision {id}");
            print!("{}", schema.explain_text());
        }
    }
    Ok(())
}

/// Prints every error and lint finding of the directory; fails when any is an error.
pub fn lint(dir: &Path, format: OutputFormat, printer: &Printer) -> anyhow::Result<()> {
    // The build's own pipeline, so `lint` reports exactly what `cargo build` would.
    let (findings, sources, revisions) = match load::build(dir) {
        Ok(compiled) => (
            compiled.warnings,
            compiled.sources,
            Some(compiled.revisions.len()),
        ),
        Err(failure) => (failure.diagnostics, failure.sources, None),
    };
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let counted = match revisions {
        Some(count) => format!("{count} revisions: "),
        None => String::new(),
    };
    match format {
        OutputFormat::Text => {
            if findings.is_empty() {
                printer.status("Linted", format!("{counted}no findings"));
            } else {
                let styled = printer.colored() && std::io::stdout().is_terminal();
                let style = if styled { Style::Styled } else { Style::Plain };
                let rendered = migrate_build::render(&findings, &sources, style);
                println!("{}", load::mask_passwords(&rendered));
                printer.status(
                    "Linted",
                    format!("{counted}{errors} error(s), {warnings} warning(s)"),
                );
            }
        }
        OutputFormat::Json => println!(
            "{}",
            load::mask_passwords(&migrate_build::lint::json(&findings, &sources))
        ),
        OutputFormat::Sarif => println!(
            "{}",
            load::mask_passwords(&migrate_build::lint::sarif(&findings, &sources))
        ),
    }
    if errors > 0 {
        bail!(
            "`{}` has {errors} error(s) that fail the build",
            dir.display()
        );
    }
    Ok(())
}
