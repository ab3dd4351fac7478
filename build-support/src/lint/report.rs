//! Machine-readable findings for `cargo migrate lint --format json|sarif`.

use serde_json::{json, Value};

use crate::render::Sources;
use crate::{Diagnostic, Severity};

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn location(
    diagnostic: &Diagnostic,
    sources: &Sources,
) -> Option<(String, usize, usize, usize, usize)> {
    let label = diagnostic
        .labels
        .iter()
        .find(|l| l.primary)
        .or(diagnostic.labels.first())?;
    let text = sources.get(&label.file).unwrap_or("");
    let (line, column) = line_column(text, label.span.start);
    let (end_line, end_column) = line_column(text, label.span.end);
    Some((
        label.file.to_string_lossy().replace('\\', "/"),
        line,
        column,
        end_line,
        end_column,
    ))
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One JSON array of findings: `{code, severity, message, file, line, column,
/// end_line, end_column, notes, help}` (file and positions are null for a
/// finding without a location).
pub fn json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let loc = location(d, sources);
            json!({
                "code": d.code,
                "severity": severity_name(d.severity),
                "message": d.message,
                "file": loc.as_ref().map(|l| l.0.clone()),
                "line": loc.as_ref().map(|l| l.1),
                "column": loc.as_ref().map(|l| l.2),
                "end_line": loc.as_ref().map(|l| l.3),
                "end_column": loc.as_ref().map(|l| l.4),
                "notes": d.notes,
                "help": d.help,
            })
        })
        .collect();
    serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_else(|_| "[]".to_string())
}

/// A SARIF 2.1.0 log with one run, for code-review tools (GitHub code
/// scanning and the like). Every rule of the registry is listed in the
/// driver, so a result's `ruleIndex` is stable.
pub fn sarif(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let rules = super::Rule::ALL;
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.name(),
                "defaultConfiguration": {"level": match r.default_level() {
                    super::Level::Error => "error",
                    super::Level::Warn => "warning",
                    super::Level::Off => "none",
                }},
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            for note in &d.notes {
                message.push_str("\nnote: ");
                message.push_str(note);
            }
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": severity_name(d.severity),
                "message": {"text": message},
            });
            if let Some(index) = rules.iter().position(|r| r.name() == d.code) {
                result["ruleIndex"] = json!(index);
            }
            if let Some((file, line, column, end_line, end_column)) = location(d, sources) {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": file},
                        "region": {
                            "startLine": line,
                            "startColumn": column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        }
                    }
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cargo-migrate",
                "informationUri": "https://example.invalid/migrate",
                "rules": driver_rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_support::{lint, sources, SETUP};

    /// One finding, on line 4 of `r2.sql` (its two header lines, then the
    /// statement on the body's second line).
    fn findings() -> (Vec<Diagnostic>, Sources) {
        let up = "-- migrate:upgrade\nALTER TABLE t DROP COLUMN n;\n-- migrate:downgrade\nALTER TABLE t ADD COLUMN n integer;\n";
        (lint(&[SETUP, up]), sources(&[SETUP, up]))
    }

    #[test]
    fn json_has_positions() {
        let (diagnostics, sources) = findings();
        let value: Value = serde_json::from_str(&json(&diagnostics, &sources)).unwrap();
        let first = &value[0];
        assert_eq!(first["code"], "ban-drop-column");
        assert_eq!(first["severity"], "warning");
        assert_eq!(first["file"], "migrations/r2.sql");
        assert_eq!(first["line"], 4);
        assert_eq!(first["column"], 1);
    }

    #[test]
    fn sarif_is_2_1_0_with_rule_index() {
        let (diagnostics, sources) = findings();
        let value: Value = serde_json::from_str(&sarif(&diagnostics, &sources)).unwrap();
        assert_eq!(value["version"], "2.1.0");
        let result = &value["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "ban-drop-column");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            value["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            "ban-drop-column"
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            4
        );
    }
}
