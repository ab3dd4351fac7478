//! Walks the history: rules, model replay, downgrade check, allows, levels.

use super::allow::Allows;
use super::rules::{run, Finding, StmtCtx};
use super::{Rule, Settings};
use crate::schema::{Journal, ProblemKind, Schema};
use crate::{CompiledRevision, CompiledSection, Diagnostic, Label};

/// Lints `revisions`, given in plan order, and returns every finding at its
/// level (errors and warnings; rules at `off` report nothing).
pub fn check_with(settings: &Settings, revisions: &[CompiledRevision]) -> Vec<Diagnostic> {
    let mut schema = Schema::new(settings.dialect);
    let mut out = Vec::new();
    for revision in revisions {
        schema.set_origin(&revision.id);
        lint_revision(settings, &mut schema, revision, &mut out);
    }
    out
}

fn lint_revision(
    settings: &Settings,
    schema: &mut Schema,
    revision: &CompiledRevision,
    out: &mut Vec<Diagnostic>,
) {
    let mut allows = Allows::parse(revision);
    out.append(&mut allows.errors);
    let mut findings = Vec::new();

    schema.begin_journal();
    let mut index = 0;
    pass(
        settings,
        schema,
        revision,
        &revision.upgrade,
        None,
        &mut index,
        &mut findings,
    );
    let up = schema.take_journal();

    let has_downgrade = revision
        .downgrade
        .iter()
        .any(|section| !section.statements.is_empty());
    // A merge revision that runs no SQL has nothing to undo (what
    // `cargo migrate merge` writes).
    let is_empty_merge = revision.down_revisions.len() > 1
        && revision
            .upgrade
            .iter()
            .all(|section| section.statements.is_empty());
    if !has_downgrade && !is_empty_merge {
        findings.push(Finding {
            rule: Rule::MissingDowngrade,
            message: format!("revision {} has no downgrade", revision.id),
            help: Some(
                "add a `-- migrate:downgrade` section that undoes the upgrade, or allow this rule \
                 with a reason when the change cannot be undone"
                    .to_string(),
            ),
            span: revision
                .header_spans
                .get("revision")
                .cloned()
                .or_else(|| revision.upgrade.first().map(|s| s.marker.clone()))
                .unwrap_or(0..0),
            statement: None,
            notes: Vec::new(),
            unless_table_exists: None,
        });
    } else {
        schema.begin_journal();
        let before = findings.len();
        pass(
            settings,
            schema,
            revision,
            &revision.downgrade,
            Some(&up),
            &mut index,
            &mut findings,
        );
        let down = schema.take_journal();
        // A downgrade that already fails on a missing object is reported as
        // such; comparing its result would only repeat it.
        let failed = findings[before..]
            .iter()
            .any(|f| f.rule == Rule::UnknownObject || f.rule == Rule::DuplicateObject);
        if settings.level(Rule::DowngradeMismatch) != super::Level::Off
            && !up.opened
            && !down.opened
            && !failed
        {
            let differences = schema.downgrade_differences(&up, &down);
            if let Some(first) = differences.first() {
                let marker = revision.downgrade[0].marker.clone();
                findings.push(Finding {
                    rule: Rule::DowngradeMismatch,
                    message: format!(
                        "the downgrade of revision {} does not restore the schema: {}",
                        revision.id, first.message
                    ),
                    help: Some(
                        "make the downgrade undo every change of the upgrade, in reverse order"
                            .to_string(),
                    ),
                    span: marker,
                    statement: None,
                    notes: differences[1..].iter().map(|d| d.message.clone()).collect(),
                    unless_table_exists: None,
                });
            }
        }
        schema.restore(down);
    }
    schema.recycle(up);

    for finding in findings {
        let level = settings.level(finding.rule);
        let Some(severity) = level.severity() else {
            continue;
        };
        if allows.silences(finding.rule, finding.statement) {
            continue;
        }
        out.push(Diagnostic {
            severity,
            code: finding.rule.code(),
            message: finding.message,
            labels: vec![Label {
                file: revision.file.clone(),
                span: finding.span,
                message: String::new(),
                primary: true,
            }],
            notes: finding.notes,
            help: finding.help,
        });
    }
    if let Some(severity) = settings.level(Rule::UnusedAllow).severity() {
        for (span, message) in allows.unused(revision) {
            out.push(Diagnostic {
                severity,
                code: Rule::UnusedAllow.code(),
                message,
                labels: vec![Label {
                    file: revision.file.clone(),
                    span,
                    message: String::new(),
                    primary: true,
                }],
                notes: Vec::new(),
                help: Some("remove the allow, or fix the rule name".to_string()),
            });
        }
    }
}

/// Runs the rules on, then replays, each statement of `sections`.
/// `upgrade_journal` is `None` for the upgrade (the live journal is used)
/// and the finished upgrade journal for the downgrade.
fn pass(
    settings: &Settings,
    schema: &mut Schema,
    revision: &CompiledRevision,
    sections: &[CompiledSection],
    upgrade_journal: Option<&Journal>,
    index: &mut usize,
    findings: &mut Vec<Finding>,
) {
    let start = findings.len();
    let empty = Journal::default();
    for section in sections {
        for statement in &section.statements {
            {
                let journal = match upgrade_journal {
                    Some(journal) => journal,
                    None => schema.journal().unwrap_or(&empty),
                };
                let ctx = StmtCtx {
                    dialect: settings.dialect,
                    schema,
                    journal,
                    statement,
                    text: revision.source.get(statement.span.clone()).unwrap_or(""),
                    transactional: section.transactional,
                    downgrade: upgrade_journal.is_some(),
                    index: *index,
                };
                run(settings, &ctx, findings);
            }
            for problem in schema.apply(statement, &revision.source) {
                let (rule, help) = match problem.kind {
                    ProblemKind::Unknown => (
                        Rule::UnknownObject,
                        "create it in an earlier statement or revision, or fix the name; if it \
                         comes from outside this history, allow the rule with a reason",
                    ),
                    ProblemKind::Duplicate => (
                        Rule::DuplicateObject,
                        "remove the duplicate, or write IF NOT EXISTS when the object may exist",
                    ),
                    ProblemKind::Uncertain => (
                        Rule::UncertainObject,
                        "the server decides; `cargo migrate lint --explain-model <revision>` shows \
                         what the model knows after a revision",
                    ),
                };
                findings.push(Finding {
                    rule,
                    message: problem.message,
                    help: Some(help.to_string()),
                    span: statement.span.clone(),
                    statement: Some(*index),
                    notes: Vec::new(),
                    unless_table_exists: None,
                });
            }
            *index += 1;
        }
    }
    // A table dropped and created again in the same pass was rebuilt, not lost.
    let mut i = start;
    while i < findings.len() {
        let rebuilt = findings[i]
            .unless_table_exists
            .as_ref()
            .is_some_and(|t| schema.table(t).is_some());
        if rebuilt {
            findings.remove(i);
        } else {
            i += 1;
        }
    }
}
