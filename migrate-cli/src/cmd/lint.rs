//! `cargo migrate lint [--format json|sarif]`: the build's findings, all of them.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::bail;
use migrate_build::{Severity, Style};
use migrate_present::Printer;

use crate::load;
use crate::OutputFormat;

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
