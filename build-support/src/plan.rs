//! The deterministic plan order: a topological order of the revision graph
//! that every machine computes identically from the same directory.
//!
//! # The order
//!
//! Kahn's algorithm over both kinds of edge (`down_revision` and
//! `depends_on`): a revision is *ready* once every revision it names has been
//! placed. Which ready revision goes next is decided by two rules:
//!
//! 1. **Stay on the line just placed.** If placing revision `R` made some of
//!    `R`'s children ready, the next revision is the one of them whose file
//!    name sorts first. So a branch's revisions stay together in the plan
//!    instead of interleaving with a sibling branch.
//! 2. **Otherwise, file name order.** The ready revision whose file name
//!    (byte-wise, then the id) sorts first.
//!
//! A linear history therefore comes out in parent order, independent lines
//! (separate bases) in the order of their first files' names, and the two
//! sides of a fork one after the other before their merge. Nothing depends on
//! the file system's listing order, on hashing, or on time.
//!
//! Cost: O((n + e) log n) with a binary heap.

use std::borrow::Cow;

use migrate_core::plan::{Plan, Revision, Section, Statement, Text};
use migrate_core::Graph;

use crate::config::Config;
use crate::{CompiledRevision, CompiledSection};

/// The plan order of `revisions` (indices into the slice). Revisions on or
/// after a cycle, which cannot be ordered, are left out, so the result is
/// shorter than the input exactly when the graph has a cycle.
pub fn order(revisions: &[CompiledRevision]) -> Vec<usize> {
    order_with(revisions, &crate::graph::core_graph(revisions))
}

/// [`order`] with the graph already built: ranks the revisions by file name
/// (byte-wise, then id) and leaves the sort itself to `migrate-core`.
pub fn order_with(revisions: &[CompiledRevision], graph: &Graph) -> Vec<usize> {
    let count = revisions.len();
    let mut by_name: Vec<usize> = (0..count).collect();
    by_name.sort_by(|a, b| {
        let (ra, rb) = (&revisions[*a], &revisions[*b]);
        ra.file
            .as_os_str()
            .as_encoded_bytes()
            .cmp(rb.file.as_os_str().as_encoded_bytes())
            .then_with(|| ra.id.cmp(&rb.id))
            .then_with(|| a.cmp(b))
    });
    let mut rank = vec![0usize; count];
    for (position, index) in by_name.iter().enumerate() {
        rank[*index] = position;
    }
    let requires: Vec<Vec<usize>> = (0..count)
        .map(|index| crate::graph::all_parents(graph, index).collect())
        .collect();
    Graph::order(count, &requires, &rank)
}

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
