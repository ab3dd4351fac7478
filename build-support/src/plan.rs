//! The `migrate_core::Plan` of a compiled directory (in the plan order
//! `graph::check` computed, see `graph::order`): the data the macro embeds
//! and `cargo migrate` applies.

use std::borrow::Cow;

use migrate_core::plan::{Plan, Revision, Section, Statement, Text};

use crate::config::Config;
use crate::{CompiledRevision, CompiledSection};

/// The plan for compiled `revisions` (in plan order): the data the macro
/// embeds and `cargo migrate` applies. The graph is resolved here, once:
/// parents, `depends_on` edges (a branch label names the revision that
/// carries it), heads and bases become indices into the revision array, so
/// the runtime never looks a name up.
pub fn plan(config: &Config, revisions: &[CompiledRevision]) -> Plan {
    let revisions: Vec<Revision> = revisions.iter().map(revision).collect();
    // `Plan::new` resolves the names with `migrate_core::Graph`, the graph
    // `graph::check` and `order` used, now over the plan order.
    Plan::new(revisions, config.version_table.clone(), config.dialect)
}

fn texts(items: &[String]) -> Cow<'static, [Text]> {
    Cow::Owned(items.iter().map(|item| Text::from(item.clone())).collect())
}

fn revision(revision: &CompiledRevision) -> Revision {
    let sections = |sections: &[CompiledSection]| -> Cow<'static, [Section]> {
        Cow::Owned(
            sections
                .iter()
                .map(|section| Section {
                    transactional: section.transactional,
                    line: section.line,
                    statements: Cow::Owned(
                        section
                            .statements
                            .iter()
                            .map(|statement| Statement {
                                sql: Text::from(
                                    revision
                                        .source
                                        .get(statement.span.clone())
                                        .unwrap_or("")
                                        .to_string(),
                                ),
                                line: statement.line,
                            })
                            .collect(),
                    ),
                })
                .collect(),
        )
    };
    let mut file = revision.file.to_string_lossy().into_owned();
    if std::path::MAIN_SEPARATOR != '/' {
        // The same plan on every machine.
        file = file.replace(std::path::MAIN_SEPARATOR, "/");
    }
    Revision {
        id: Text::from(revision.id.clone()),
        down_revisions: texts(&revision.down_revisions),
        depends_on: texts(&revision.depends_on),
        branch_labels: texts(&revision.branch_labels),
        message: Text::from(revision.message.clone()),
        create_date: Text::from(revision.create_date.clone()),
        file: Text::from(file),
        checksum: revision.checksum,
        upgrade: sections(&revision.upgrade),
        downgrade: sections(&revision.downgrade),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::order;
    use crate::test_support::revision;

    fn ids(revisions: &[CompiledRevision]) -> Vec<&str> {
        order(revisions)
            .into_iter()
            .map(|i| revisions[i].id.as_str())
            .collect()
    }

    #[test]
    fn linear_history_is_in_parent_order_whatever_the_file_names() {
        let revisions = vec![
            revision("c", &["b"]),
            revision("a", &[]),
            revision("b", &["a"]),
        ];
        assert_eq!(ids(&revisions), ["a", "b", "c"]);
    }

    #[test]
    fn branches_stay_contiguous_then_merge() {
        let revisions = vec![
            revision("0base", &[]),
            revision("1left", &["0base"]),
            revision("2right", &["0base"]),
            revision("3left", &["1left"]),
            revision("4right", &["2right"]),
            revision("5merge", &["3left", "4right"]),
        ];
        assert_eq!(
            ids(&revisions),
            ["0base", "1left", "3left", "2right", "4right", "5merge"]
        );
    }

    #[test]
    fn depends_on_orders_too() {
        let mut revisions = vec![revision("a", &[]), revision("b", &[])];
        revisions[0].depends_on = vec!["b".to_string()];
        assert_eq!(ids(&revisions), ["b", "a"]);
    }

    #[test]
    fn a_cycle_leaves_revisions_unplaced() {
        let revisions = vec![
            revision("a", &[]),
            revision("b", &["a", "c"]),
            revision("c", &["b"]),
        ];
        assert_eq!(ids(&revisions), ["a"]);
    }
}
