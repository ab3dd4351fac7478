//! Suppression comments.
//!
//! Three spellings are accepted, so SQL written for squawk or Atlas keeps its
//! suppressions:
//!
//! - ours: `-- migrate:allow <rule>[, <rule>] -- <reason>` in the comments
//!   just before a statement, and `-- migrate:allow-file <rule> -- <reason>`
//!   anywhere in the file; the reason is required;
//! - squawk's: `-- squawk-ignore [rules]` before a statement and
//!   `-- squawk-ignore-file [rules]` anywhere (no names: every rule);
//! - Atlas's: `-- atlas:nolint [names]` before a statement, or at the top of
//!   the file followed by a blank line for the whole file; analyzer names
//!   (`destructive`) and check codes (`DS103`) map to our rules.
//!
//! An unknown rule name or a missing reason is an `invalid-allow` error; an
//! allow that ends up silencing nothing is an `unused-allow` warning.

use std::ops::Range;

use super::Rule;
use crate::directive::{allow_comment, AllowComment, AllowKind};
use crate::{CompiledRevision, Diagnostic, Label, Severity};

/// Where an allow applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole file.
    File,
    /// One statement, by its index among the revision's statements (upgrade
    /// sections first, then downgrade sections, in file order).
    Statement(usize),
}

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct Allow {
    /// The rules it silences; `None` silences every rule.
    pub rules: Option<Vec<Rule>>,
    /// File or statement.
    pub scope: Scope,
    /// The comment's byte range.
    pub span: Range<usize>,
    /// Whether it silenced a finding.
    pub used: bool,
}

/// Every allow of one revision.
#[derive(Debug, Clone, Default)]
pub struct Allows {
    /// The allows, in file order.
    pub allows: Vec<Allow>,
    /// Malformed allows (`invalid-allow`).
    pub errors: Vec<Diagnostic>,
}

impl Allows {
    /// Collects the allows of `revision`.
    pub fn parse(revision: &CompiledRevision) -> Allows {
        let mut out = Allows::default();
        let source = revision.source.as_str();
        let first_marker = revision
            .upgrade
            .iter()
            .chain(&revision.downgrade)
            .map(|s| s.marker.start)
            .min()
            .unwrap_or(source.len());

        // File-wide forms: scan every line comment of the file once.
        let mut offset = 0;
        for line in source.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let trimmed = line.trim();
            let Some(comment) = allow_comment(trimmed) else {
                continue;
            };
            let lead = line.len() - line.trim_start().len();
            let span = start + lead..start + lead + trimmed.len();
            match comment.kind {
                AllowKind::Ours if comment.file => {
                    out.push_ours(&comment, Scope::File, span, revision);
                }
                AllowKind::Squawk if comment.file => {
                    out.push_squawk(&comment, Scope::File, span, revision);
                }
                AllowKind::Atlas => {
                    // File-wide only at the top of the file, followed by a blank line.
                    let next_blank = source[offset..]
                        .split('\n')
                        .next()
                        .is_none_or(|next| next.trim().is_empty());
                    if start < first_marker && next_blank {
                        out.push_atlas(&comment, Scope::File, span, revision);
                    }
                }
                _ => {}
            }
        }

        // Statement forms: the comments between the previous statement and this one.
        let statements = revision
            .upgrade
            .iter()
            .chain(&revision.downgrade)
            .flat_map(|s| &s.statements);
        for (index, statement) in statements.enumerate() {
            for range in &statement.leading_comments {
                let Some(text) = source.get(range.clone()) else {
                    continue;
                };
                for (line_offset, line) in line_offsets(text) {
                    let Some(comment) = allow_comment(line.trim()) else {
                        continue;
                    };
                    let lead = line.len() - line.trim_start().len();
                    let from = range.start + line_offset + lead;
                    let span = from..from + line.trim().len();
                    let scope = Scope::Statement(index);
                    match comment.kind {
                        _ if comment.file => {}
                        AllowKind::Ours => out.push_ours(&comment, scope, span, revision),
                        AllowKind::Squawk => out.push_squawk(&comment, scope, span, revision),
                        AllowKind::Atlas => out.push_atlas(&comment, scope, span, revision),
                    }
                }
            }
        }
        out
    }

    /// Whether an allow silences `rule` on statement `statement` (`None` for
    /// a finding about the whole revision); marks the allow used.
    pub fn silences(&mut self, rule: Rule, statement: Option<usize>) -> bool {
        let mut silenced = false;
        for allow in &mut self.allows {
            let in_scope = match allow.scope {
                Scope::File => true,
                Scope::Statement(index) => Some(index) == statement,
            };
            let names_rule = allow
                .rules
                .as_ref()
                .is_none_or(|rules| rules.contains(&rule));
            if in_scope && names_rule {
                allow.used = true;
                silenced = true;
            }
        }
        silenced
    }

    /// `unused-allow` findings for allows that silenced nothing. Allows of
    /// the compiler's transaction rule are left out: another stage honours them.
    pub fn unused(&self, revision: &CompiledRevision) -> Vec<(Range<usize>, String)> {
        self.allows
            .iter()
            .filter(|a| !a.used)
            .filter(|a| {
                a.rules
                    .as_ref()
                    .is_none_or(|r| !r.contains(&Rule::NoTransactionStatement))
            })
            .map(|a| {
                let what = match &a.rules {
                    None => "any rule".to_string(),
                    Some(rules) => rules
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let place = match a.scope {
                    Scope::File => format!("anywhere in {}", revision.file.display()),
                    Scope::Statement(_) => "on the statement below".to_string(),
                };
                (
                    a.span.clone(),
                    format!("this allow silences nothing: no finding of {what} {place}"),
                )
            })
            .collect()
    }

    fn push_ours(
        &mut self,
        comment: &AllowComment<'_>,
        scope: Scope,
        span: Range<usize>,
        revision: &CompiledRevision,
    ) {
        if comment.reason.is_empty() {
            self.errors.push(invalid(
                revision,
                span.clone(),
                "`migrate:allow` needs a reason".to_string(),
                "write `-- migrate:allow <rule> -- <why this is safe here>`",
            ));
        }
        let rules = self.resolve(&comment.names, &span, revision, false);
        if rules.is_empty() {
            if !comment.names.is_empty() || comment.reason.is_empty() {
                return;
            }
            self.errors.push(invalid(
                revision,
                span,
                "`migrate:allow` names no rule".to_string(),
                "write `-- migrate:allow <rule> -- <why this is safe here>`",
            ));
            return;
        }
        self.allows.push(Allow {
            rules: Some(rules),
            scope,
            span,
            used: false,
        });
    }

    fn push_squawk(
        &mut self,
        comment: &AllowComment<'_>,
        scope: Scope,
        span: Range<usize>,
        revision: &CompiledRevision,
    ) {
        let rules = if comment.names.is_empty() {
            None
        } else {
            let rules = self.resolve(&comment.names, &span, revision, false);
            if rules.is_empty() {
                return;
            }
            Some(rules)
        };
        self.allows.push(Allow {
            rules,
            scope,
            span,
            used: false,
        });
    }

    fn push_atlas(
        &mut self,
        comment: &AllowComment<'_>,
        scope: Scope,
        span: Range<usize>,
        revision: &CompiledRevision,
    ) {
        let rules = if comment.names.is_empty() {
            None
        } else {
            Some(self.resolve(&comment.names, &span, revision, true))
        };
        self.allows.push(Allow {
            rules,
            scope,
            span,
            used: false,
        });
    }

    fn resolve(
        &mut self,
        names: &[&str],
        span: &Range<usize>,
        revision: &CompiledRevision,
        atlas: bool,
    ) -> Vec<Rule> {
        let mut rules = Vec::new();
        for &name in names {
            if let Some(rule) = Rule::from_name(name) {
                rules.push(rule);
            } else if let Some(mapped) = atlas.then(|| atlas_rules(name)).flatten() {
                rules.extend_from_slice(mapped);
            } else {
                self.errors.push(invalid(
                    revision,
                    span.clone(),
                    format!("unknown lint rule `{name}` in an allow comment"),
                    "see `cargo migrate lint --help` for the rule names",
                ));
            }
        }
        rules
    }
}

/// Atlas analyzer names and check codes, mapped to our rules. A known Atlas
/// name with no counterpart here maps to nothing (and is reported unused).
fn atlas_rules(name: &str) -> Option<&'static [Rule]> {
    use Rule::*;
    Some(match name.to_ascii_lowercase().as_str() {
        "destructive" => &[BanDropTable, BanDropColumn, BanDropDatabase],
        "ds101" => &[],
        "ds102" => &[BanDropTable],
        "ds103" => &[BanDropColumn],
        "data_depend" => &[
            AddingRequiredField,
            AddingNotNullableField,
            DisallowedUniqueConstraint,
        ],
        "mf101" | "mf102" => &[DisallowedUniqueConstraint],
        "mf103" | "my101" => &[AddingRequiredField],
        "mf104" | "pg303" | "lt101" => &[AddingNotNullableField],
        "incompatible" => &[RenamingTable, RenamingColumn],
        "bc101" => &[RenamingTable],
        "bc102" => &[RenamingColumn],
        "concurrent_index" => &[
            RequireConcurrentIndexCreation,
            RequireConcurrentIndexDeletion,
            NoTransactionStatement,
        ],
        "pg101" => &[RequireConcurrentIndexCreation],
        "pg102" => &[RequireConcurrentIndexDeletion],
        "pg103" => &[NoTransactionStatement],
        "pg105" => &[DisallowedUniqueConstraint],
        "pg301" => &[ChangingColumnType],
        "pg302" => &[AddingFieldWithDefault],
        "pg305" => &[ConstraintMissingNotValid],
        "pg306" => &[ConstraintMissingNotValid, AddingForeignKeyConstraint],
        "condrop" | "cd101" | "naming" | "non_linear" | "pg104" | "pg304" | "pg110" => &[],
        _ => return None,
    })
}

fn invalid(
    revision: &CompiledRevision,
    span: Range<usize>,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: Rule::InvalidAllow.code(),
        message,
        labels: vec![Label {
            file: revision.file.clone(),
            span,
            message: String::new(),
            primary: true,
        }],
        notes: Vec::new(),
        help: Some(help.to_string()),
    }
}

fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = offset;
        offset += line.len();
        (at, line.trim_end_matches(['\n', '\r']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_support::revision;

    fn rules_of(a: &Allow) -> Vec<&'static str> {
        a.rules
            .as_ref()
            .map(|r| r.iter().map(|r| r.name()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn our_form_needs_a_reason_and_known_names() {
        let rev = revision(
            "-- migrate:upgrade\n\
             -- migrate:allow ban-drop-column, renaming-table -- the column was never read\n\
             ALTER TABLE t DROP COLUMN c;\n\
             -- migrate:allow ban-drop-table\n\
             DROP TABLE u;\n\
             -- migrate:allow ban-drop-tabel -- typo\n\
             DROP TABLE v;\n",
        );
        let allows = Allows::parse(&rev);
        assert_eq!(allows.allows.len(), 2);
        assert_eq!(
            rules_of(&allows.allows[0]),
            ["ban-drop-column", "renaming-table"]
        );
        assert_eq!(allows.allows[0].scope, Scope::Statement(0));
        assert_eq!(allows.allows[1].scope, Scope::Statement(1));
        let messages: Vec<&str> = allows.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`migrate:allow` needs a reason",
                "unknown lint rule `ban-drop-tabel` in an allow comment"
            ]
        );
    }

    #[test]
    fn squawk_and_atlas_forms() {
        let rev = revision(
            "-- atlas:nolint destructive\n\
             \n\
             -- squawk-ignore-file\n\
             -- migrate:upgrade\n\
             -- squawk-ignore ban-drop-column -- legacy\n\
             ALTER TABLE t DROP COLUMN c;\n\
             -- atlas:nolint BC102\n\
             ALTER TABLE t RENAME COLUMN a TO b;\n",
        );
        let allows = Allows::parse(&rev);
        assert!(allows.errors.is_empty(), "{:?}", allows.errors);
        let scopes: Vec<Scope> = allows.allows.iter().map(|a| a.scope).collect();
        assert_eq!(
            scopes,
            [
                Scope::File,
                Scope::File,
                Scope::Statement(0),
                Scope::Statement(1)
            ]
        );
        assert_eq!(
            rules_of(&allows.allows[0]),
            ["ban-drop-table", "ban-drop-column", "ban-drop-database"]
        );
        assert!(allows.allows[1].rules.is_none());
        assert_eq!(rules_of(&allows.allows[3]), ["renaming-column"]);
    }

    #[test]
    fn atlas_at_the_top_without_a_blank_line_is_not_file_wide() {
        let rev = revision("-- atlas:nolint\n-- migrate:upgrade\nDROP TABLE t;\n");
        assert!(Allows::parse(&rev).allows.is_empty());
    }

    #[test]
    fn silences_marks_used() {
        let rev = revision(
            "-- migrate:upgrade\n-- squawk-ignore ban-drop-table\nDROP TABLE t;\nDROP TABLE u;\n",
        );
        let mut allows = Allows::parse(&rev);
        assert!(!allows.silences(Rule::BanDropTable, Some(1)));
        assert_eq!(allows.unused(&rev).len(), 1);
        assert!(allows.silences(Rule::BanDropTable, Some(0)));
        assert!(allows.unused(&rev).is_empty());
    }
}
