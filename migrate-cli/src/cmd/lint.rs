//! `cargo migrate lint [--format json|sarif]`: the build's findings, all of them.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::bail;
use migrate_build::{Severity, Style};
use migrate_runtime::cli::Printer;

use crate::load;
use crate::OutputFormat;

/// Prints every error and lint finding of the directory; fails when any is an error.
pub fn lint(dir: &Path, format: OutputFormat, printer: &Printer) -> anyhow::Result<()> {
    let compilation = load::compile(dir, &[])?;
    let mut findings = compilation.errors.clone();
    findings.extend(compilation.warnings.iter().cloned());
    match format {
        OutputFormat::Text => {
            if findings.is_empty() {
                printer.status(
                    "Linted",
                    format!("{} revisions: no findings", compilation.revisions.len()),
                );
            } else {
                let styled = printer.colored() && std::io::stdout().is_terminal();
                let style = if styled { Style::Styled } else { Style::Plain };
                println!(
                    "{}",
                    migrate_build::render(&findings, &compilation.sources, style)
                );
                let warnings = findings
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count();
                printer.status(
                    "Linted",
                    format!(
                        "{} revisions: {} error(s), {warnings} warning(s)",
                        compilation.revisions.len(),
                        compilation.errors.len()
                    ),
                );
            }
        }
        OutputFormat::Json => println!(
            "{}",
            migrate_build::lint::json(&findings, &compilation.sources)
        ),
        OutputFormat::Sarif => println!(
            "{}",
            migrate_build::lint::sarif(&findings, &compilation.sources)
        ),
    }
    if !compilation.errors.is_empty() {
        bail!(
            "`{}` has {} error(s) that fail the build",
            compilation.display_dir.display(),
            compilation.errors.len()
        );
    }
    Ok(())
}
