//! The revision graph checks of SPEC section 4, over the revisions of one
//! directory in file order.
//!
//! Every check reports data, never panics, and names every file involved:
//! a duplicate id points at both `revision:` lines, a dangling parent at the
//! `down_revision:` (or `depends_on:`) value that names it, a cycle at each
//! file on the loop. Heads follow Alembic's *versioned* heads: a revision is a
//! head when no other revision names it in `down_revision`, whatever
//! `depends_on` says.
//!
//! Branch labels keep lines apart. Each revision carries the labels of its
//! ancestors (a label names its revision and every descendant), and a base
//! also carries the labels found up its unbranched chain (a label reaches back
//! to the preceding branch point, as in Alembic). Two heads, or two bases,
//! with the same label set are an error; distinct label sets are independent
//! lines.

use std::collections::{BTreeSet, HashMap};

use migrate_core::{Graph, Node};
use std::ops::Range;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::CompiledRevision;

/// The revision graph of `revisions` (indices in slice order), from
/// `migrate-core`: every name resolved once there. Unknown names are left
/// out (reported by [`check`]); with a duplicated id, references resolve to
/// the first file holding it.
pub(crate) fn core_graph(revisions: &[CompiledRevision]) -> Graph {
    let nodes: Vec<Node> = revisions
        .iter()
        .map(|revision| Node {
            id: revision.id.clone(),
            down_revisions: revision.down_revisions.clone(),
            depends_on: revision.depends_on.clone(),
            branch_labels: revision.branch_labels.clone(),
        })
        .collect();
    Graph::new(&nodes)
}

/// Every edge that orders revision `index`: its parents and its dependencies.
pub(crate) fn all_parents(graph: &Graph, index: usize) -> impl Iterator<Item = usize> + '_ {
    graph
        .parents(index)
        .iter()
        .chain(graph.dependencies(index))
        .copied()
}

/// What [`check`] found, and the plan order it computed on the way.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The errors found (empty when the graph is sound).
    pub diagnostics: Vec<Diagnostic>,
    /// The plan order ([`order`]): indices into the revisions; complete
    /// only when `diagnostics` is empty.
    pub order: Vec<usize>,
}

/// Runs every graph check and returns the errors found (empty when the graph
/// is sound) with the plan order, so that it is computed once. `revisions`
/// are in file order.
pub fn check(revisions: &[CompiledRevision]) -> Checked {
    let mut diagnostics = Vec::new();
    duplicate_ids(revisions, &mut diagnostics);
    if !diagnostics.is_empty() {
        // With one id in two files every edge to it is ambiguous: whatever
        // else is reported would be guesswork.
        return Checked {
            diagnostics,
            order: Vec::new(),
        };
    }
    duplicate_labels(revisions, &mut diagnostics);
    labels_that_are_ids(revisions, &mut diagnostics);
    unknown_references(revisions, &mut diagnostics);
    self_dependencies(revisions, &mut diagnostics);
    let graph = core_graph(revisions);
    let order = order_with(revisions, &graph);
    if order.len() < revisions.len() {
        cycles(revisions, &graph, &order, &mut diagnostics);
    }
    if !diagnostics.is_empty() {
        // Heads and bases are ill-defined on a loop, and a dangling parent
        // or a shared label would only add a misleading second head.
        return Checked { diagnostics, order };
    }
    let labels: Vec<BTreeSet<String>> = (0..revisions.len())
        .map(|index| graph.branch_labels(index))
        .collect();
    multiple_heads(revisions, &graph, &labels, &mut diagnostics);
    multiple_bases(revisions, &graph, &mut diagnostics);
    Checked { diagnostics, order }
}

/// The deterministic plan order: a topological order of the revision graph
/// that every machine computes identically from the same directory
/// (indices into `revisions`). Revisions on or after a cycle, which cannot
/// be ordered, are left out, so the result is shorter than the input
/// exactly when the graph has a cycle.
///
/// Kahn's algorithm over both kinds of edge (`down_revision` and
/// `depends_on`): a revision is *ready* once every revision it names has been
/// placed. Which ready revision goes next is decided by two rules:
///
/// 1. **Stay on the line just placed.** If placing revision `R` made some of
///    `R`'s children ready, the next revision is the one of them whose file
///    name sorts first. So a branch's revisions stay together in the plan
///    instead of interleaving with a sibling branch.
/// 2. **Otherwise, file name order.** The ready revision whose file name
///    (byte-wise, then the id) sorts first.
///
/// A linear history therefore comes out in parent order, independent lines
/// (separate bases) in the order of their first files' names, and the two
/// sides of a fork one after the other before their merge. Nothing depends on
/// the file system's listing order, on hashing, or on time.
///
/// Cost: O((n + e) log n) with a binary heap.
pub fn order(revisions: &[CompiledRevision]) -> Vec<usize> {
    order_with(revisions, &core_graph(revisions))
}

/// [`order`] with the graph already built: ranks the revisions by file name
/// (byte-wise, then id) and leaves the sort itself to `migrate-core`.
fn order_with(revisions: &[CompiledRevision], graph: &Graph) -> Vec<usize> {
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
        .map(|index| all_parents(graph, index).collect())
        .collect();
    Graph::order(count, &requires, &rank)
}

/// The ids of the versioned heads (no other revision names them in
/// `down_revision`), in the order given.
pub(crate) fn heads(revisions: &[CompiledRevision]) -> Vec<&str> {
    core_graph(revisions)
        .heads()
        .into_iter()
        .map(|index| revisions[index].id.as_str())
        .collect()
}

/// The span of a header key's value, or of the `revision:` value, or the file start.
fn header_span(revision: &CompiledRevision, key: &str) -> Range<usize> {
    revision
        .header_spans
        .get(key)
        .or_else(|| revision.header_spans.get("revision"))
        .cloned()
        .unwrap_or(0..0)
}

/// The span of one name inside a comma-separated header value, falling back
/// to the whole value.
fn name_span(revision: &CompiledRevision, key: &str, name: &str) -> Range<usize> {
    let value = header_span(revision, key);
    let Some(text) = revision.source.get(value.clone()) else {
        return value;
    };
    let mut offset = 0;
    for part in text.split(',') {
        let trimmed_start = part.len() - part.trim_start().len();
        if part.trim() == name {
            let start = value.start + offset + trimmed_start;
            return start..start + name.len();
        }
        offset += part.len() + 1;
    }
    value
}

fn label(revision: &CompiledRevision, span: Range<usize>, message: String, primary: bool) -> Label {
    Label {
        file: revision.file.clone(),
        span,
        message,
        primary,
    }
}

fn error(code: Code, message: String, labels: Vec<Label>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        message,
        labels,
        notes: Vec::new(),
        help: None,
    }
}

fn file_name(revision: &CompiledRevision) -> String {
    revision.file.display().to_string()
}

fn duplicate_ids(revisions: &[CompiledRevision], diagnostics: &mut Vec<Diagnostic>) {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, revision) in revisions.iter().enumerate() {
        groups.entry(revision.id.as_str()).or_default().push(index);
    }
    let mut duplicated: Vec<&Vec<usize>> = groups.values().filter(|g| g.len() > 1).collect();
    duplicated.sort();
    for group in duplicated {
        let first = &revisions[group[0]];
        let mut labels = Vec::new();
        for (position, index) in group.iter().enumerate() {
            let revision = &revisions[*index];
            let message = if position == 0 {
                "first used here".to_string()
            } else {
                "used again here".to_string()
            };
            labels.push(label(
                revision,
                header_span(revision, "revision"),
                message,
                position == 1,
            ));
        }
        let files: Vec<String> = group.iter().map(|i| file_name(&revisions[*i])).collect();
        let mut diagnostic = error(
            Code::DuplicateRevision,
            format!(
                "revision id `{}` is used by {} files: {}",
                first.id,
                group.len(),
                files.join(", ")
            ),
            labels,
        );
        diagnostic.help = Some(
            "give each file its own id (`cargo migrate revision -m \"...\"` generates one), \
             and keep the file name's prefix equal to it"
                .to_string(),
        );
        diagnostics.push(diagnostic);
    }
}

fn duplicate_labels(revisions: &[CompiledRevision], diagnostics: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<&str, usize> = HashMap::new();
    for (index, revision) in revisions.iter().enumerate() {
        for name in &revision.branch_labels {
            match owners.get(name.as_str()) {
                None => {
                    owners.insert(name.as_str(), index);
                }
                Some(&owner) if owner == index => {}
                Some(&owner) => {
                    let first = &revisions[owner];
                    let labels = vec![
                        label(
                            revision,
                            name_span(revision, "branch_labels", name),
                            "used again here".to_string(),
                            true,
                        ),
                        label(
                            first,
                            name_span(first, "branch_labels", name),
                            "first used here".to_string(),
                            false,
                        ),
                    ];
                    let mut diagnostic = error(
                        Code::DuplicateBranchLabel,
                        format!(
                            "branch label `{name}` is used by revisions `{}` ({}) and `{}` ({})",
                            first.id,
                            file_name(first),
                            revision.id,
                            file_name(revision)
                        ),
                        labels,
                    );
                    diagnostic.help = Some(
                        "a label names one line of history: put it on the line's first revision only"
                            .to_string(),
                    );
                    diagnostics.push(diagnostic);
                }
            }
        }
    }
}

/// A branch label spelled as a revision id (its own or another's): a
/// target naming it would mean two revisions. Alembic refuses it too
/// ("Branch name 'x' in revision y already used by revision x").
fn labels_that_are_ids(revisions: &[CompiledRevision], diagnostics: &mut Vec<Diagnostic>) {
    let ids: HashMap<&str, usize> = revisions
        .iter()
        .enumerate()
        .map(|(index, revision)| (revision.id.as_str(), index))
        .collect();
    for revision in revisions {
        for name in &revision.branch_labels {
            let Some(&owner) = ids.get(name.as_str()) else {
                continue;
            };
            let owner = &revisions[owner];
            let mut labels = vec![label(
                revision,
                name_span(revision, "branch_labels", name),
                format!("the id of revision `{name}`"),
                true,
            )];
            if owner.id != revision.id {
                labels.push(label(
                    owner,
                    header_span(owner, "revision"),
                    "the revision with that id".to_string(),
                    false,
                ));
            }
            let mut diagnostic = error(
                Code::DuplicateBranchLabel,
                format!(
                    "branch label `{name}` of revision `{}` ({}) is already the id of revision `{}` ({})",
                    revision.id,
                    file_name(revision),
                    owner.id,
                    file_name(owner)
                ),
                labels,
            );
            diagnostic.help = Some(
                "a target naming it would be ambiguous: give the label a name no revision id has"
                    .to_string(),
            );
            diagnostics.push(diagnostic);
        }
    }
}

/// A `depends_on:` naming the revision itself (by id or by one of its own
/// labels): a cycle of one, which the graph would otherwise drop silently.
/// Alembic refuses it ("Dependency self-loop is detected in revisions").
fn self_dependencies(revisions: &[CompiledRevision], diagnostics: &mut Vec<Diagnostic>) {
    for revision in revisions {
        for name in &revision.depends_on {
            if *name != revision.id && !revision.branch_labels.contains(name) {
                continue;
            }
            let mut diagnostic = error(
                Code::Cycle,
                format!(
                    "revision `{}` ({}) depends on itself: `depends_on` names `{name}`",
                    revision.id,
                    file_name(revision)
                ),
                vec![label(
                    revision,
                    name_span(revision, "depends_on", name),
                    "names this revision".to_string(),
                    true,
                )],
            );
            diagnostic.help = Some(
                "a revision cannot come after itself: remove it from `depends_on`".to_string(),
            );
            diagnostics.push(diagnostic);
        }
    }
}

fn unknown_references(revisions: &[CompiledRevision], diagnostics: &mut Vec<Diagnostic>) {
    let graph = core_graph(revisions);
    for revision in revisions {
        for name in &revision.down_revisions {
            if graph.position(name).is_none() {
                diagnostics.push(unknown(revisions, revision, "down_revision", name));
            }
        }
        for name in &revision.depends_on {
            if graph.position(name).is_none() && graph.labelled(name).is_none() {
                diagnostics.push(unknown(revisions, revision, "depends_on", name));
            }
        }
    }
}

fn unknown(
    revisions: &[CompiledRevision],
    revision: &CompiledRevision,
    key: &str,
    name: &str,
) -> Diagnostic {
    let span = name_span(revision, key, name);
    let mut diagnostic = error(
        Code::UnknownRevision,
        format!(
            "`{key}` of revision `{}` names `{name}`, which no file in the directory defines",
            revision.id
        ),
        vec![label(revision, span, format!("no revision `{name}`"), true)],
    );
    diagnostic.help = Some(suggest(revisions, key, name));
    diagnostic
}

/// Advice for an unknown name: a unique revision it is a prefix of, or a
/// file whose name it is (the classic Alembic slip), or the general rule.
fn suggest(revisions: &[CompiledRevision], key: &str, name: &str) -> String {
    let as_file = revisions.iter().find(|revision| {
        revision
            .file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| stem == name)
    });
    if let Some(revision) = as_file {
        return format!(
            "`{name}` is a file name; name the revision id instead: `{}`",
            revision.id
        );
    }
    if let Ok(index) = core_graph(revisions).lookup(name) {
        let only = &revisions[index];
        return format!("write the full id: `{}` ({})", only.id, file_name(only));
    }
    if key == "depends_on" {
        return "name a revision id from another file's `revision:` header, or a branch label"
            .to_string();
    }
    "name a revision id from another file's `revision:` header, or `none` for a base".to_string()
}

fn cycles(
    revisions: &[CompiledRevision],
    edges: &Graph,
    placed_order: &[usize],
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Every revision Kahn's algorithm could not place is on a cycle or
    // downstream of one. Walk parent edges among them (iteratively: a loop
    // can be thousands of revisions long) and report each loop once.
    let mut placed = vec![false; revisions.len()];
    for index in placed_order {
        placed[*index] = true;
    }
    // 0 = unvisited, 1 = on the current walk, 2 = finished.
    let mut state = vec![0u8; revisions.len()];
    for start in 0..revisions.len() {
        if placed[start] || state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
        let parents = |node: usize| -> Vec<usize> {
            all_parents(edges, node)
                .filter(|parent| !placed[*parent])
                .collect()
        };
        state[start] = 1;
        stack.push((start, parents(start)));
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) if state[next] == 0 => {
                    state[next] = 1;
                    let next_parents = parents(next);
                    stack.push((next, next_parents));
                }
                Some(next) if state[next] == 1 => {
                    let position = stack
                        .iter()
                        .position(|(entry, _)| *entry == next)
                        .unwrap_or(0);
                    let path: Vec<usize> =
                        stack[position..].iter().map(|(entry, _)| *entry).collect();
                    diagnostics.push(cycle(revisions, edges, &path));
                }
                Some(_) => {}
                None => {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }
}

/// `path` lists revisions each naming the next as a parent, the last naming the first.
fn cycle(revisions: &[CompiledRevision], edges: &Graph, path: &[usize]) -> Diagnostic {
    let mut ids: Vec<&str> = path.iter().map(|i| revisions[*i].id.as_str()).collect();
    if let Some(first) = ids.first().copied() {
        ids.push(first);
    }
    let mut labels = Vec::new();
    for (position, index) in path.iter().enumerate() {
        let revision = &revisions[*index];
        let next = path[(position + 1) % path.len()];
        let next_id = revisions[next].id.as_str();
        let key = if edges.parents(*index).contains(&next) {
            "down_revision"
        } else {
            "depends_on"
        };
        labels.push(label(
            revision,
            name_span(revision, key, next_id),
            format!("`{}` comes after `{next_id}`", revision.id),
            position == 0,
        ));
    }
    let mut diagnostic = error(
        Code::Cycle,
        format!("the revisions form a cycle: {}", ids.join(" -> ")),
        labels,
    );
    diagnostic.notes.push(format!(
        "each revision must come after its `down_revision` and `depends_on`; files: {}",
        path.iter()
            .map(|i| file_name(&revisions[*i]))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    diagnostic.help =
        Some("point one of these `down_revision` headers at an older revision".to_string());
    diagnostic
}

/// Groups revisions by label set; returns the groups of two or more.
fn same_label_groups(
    candidates: &[usize],
    labels: impl Fn(usize) -> BTreeSet<String>,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<usize>)> = Vec::new();
    for candidate in candidates {
        let set = labels(*candidate);
        match groups.iter_mut().find(|(existing, _)| *existing == set) {
            Some((_, members)) => members.push(*candidate),
            None => groups.push((set, vec![*candidate])),
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(_, members)| members)
        .collect()
}

fn multiple_heads(
    revisions: &[CompiledRevision],
    graph: &Graph,
    labels: &[BTreeSet<String>],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let heads = graph.heads();
    for group in same_label_groups(&heads, |index| labels[index].clone()) {
        let mut diagnostic = ends_of_history(
            revisions,
            &group,
            Code::MultipleHeads,
            "heads",
            (
                "revision",
                "a head: no revision names it in `down_revision`",
            ),
        );
        diagnostic.notes.push(
            "two lines of history were written in parallel (e.g. on two git branches); \
             the plan needs one head to upgrade to"
                .to_string(),
        );
        diagnostic.help =
            Some("run `cargo migrate merge heads -m \"...\"` to add a merge revision".to_string());
        diagnostics.push(diagnostic);
    }
}

/// The error for a group of revisions that should be one (heads or bases):
/// every revision listed in the message and labelled at its `header_key`
/// line, the first label primary.
fn ends_of_history(
    revisions: &[CompiledRevision],
    group: &[usize],
    code: Code,
    what: &str,
    (header_key, label_text): (&str, &str),
) -> Diagnostic {
    let listed: Vec<String> = group
        .iter()
        .map(|i| format!("`{}` ({})", revisions[*i].id, file_name(&revisions[*i])))
        .collect();
    let labels = group
        .iter()
        .enumerate()
        .map(|(position, index)| {
            let revision = &revisions[*index];
            label(
                revision,
                header_span(revision, header_key),
                label_text.to_string(),
                position == 0,
            )
        })
        .collect();
    error(
        code,
        format!(
            "the history has {} {what}: {}",
            group.len(),
            listed.join(", ")
        ),
        labels,
    )
}

fn multiple_bases(
    revisions: &[CompiledRevision],
    graph: &Graph,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let bases = graph.bases();
    if bases.len() < 2 {
        return;
    }
    // A label reaches back to the preceding branch point: walk up from the
    // base while the line does not fork, collecting labels on the way.
    let base_labels = |base: usize| -> BTreeSet<String> {
        let mut set: BTreeSet<String> = revisions[base].branch_labels.iter().cloned().collect();
        let mut node = base;
        let mut steps = 0;
        while let [only_child] = graph.children(node) {
            set.extend(revisions[*only_child].branch_labels.iter().cloned());
            node = *only_child;
            steps += 1;
            if steps > revisions.len() {
                break;
            }
        }
        set
    };
    for group in same_label_groups(&bases, base_labels) {
        let mut diagnostic = ends_of_history(
            revisions,
            &group,
            Code::MultipleBases,
            "bases",
            ("down_revision", "a base: no parent"),
        );
        diagnostic.help = Some(
            "set `down_revision` of the newer base to the head of the existing history, \
             or give each independent line its own `branch_labels`"
                .to_string(),
        );
        diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors of [`super::check`].
    fn check(revisions: &[CompiledRevision]) -> Vec<Diagnostic> {
        super::check(revisions).diagnostics
    }
    use crate::test_support::revision;
    use proptest::prelude::*;

    fn codes(revisions: &[CompiledRevision]) -> Vec<&'static str> {
        check(revisions).iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn a_sound_history_has_no_findings() {
        let revisions = vec![
            revision("a", &[]),
            revision("b", &["a"]),
            revision("c", &["a"]),
            revision("d", &["b", "c"]),
        ];
        assert!(check(&revisions).is_empty());
    }

    #[test]
    fn duplicate_id_names_both_files() {
        let revisions = vec![revision("a", &[]), revision("a", &[])];
        let found = check(&revisions);
        assert_eq!(found[0].code, "duplicate-revision");
        assert_eq!(
            found[0].message,
            "revision id `a` is used by 2 files: migrations/a_x.sql, migrations/a_x.sql"
        );
        assert_eq!(found[0].labels.len(), 2);
    }

    #[test]
    fn unknown_parent_points_at_the_name() {
        let revisions = vec![revision("a", &[]), revision("b", &["a", "zz"])];
        let found = check(&revisions);
        assert_eq!(codes(&revisions), ["unknown-revision"]);
        let label = &found[0].labels[0];
        assert_eq!(&revisions[1].source[label.span.clone()], "zz");
    }

    #[test]
    fn unknown_parent_that_is_a_file_name_gets_advice() {
        let revisions = vec![revision("a", &[]), revision("b", &["a_x"])];
        let found = check(&revisions);
        assert_eq!(
            found[0].help.as_deref(),
            Some("`a_x` is a file name; name the revision id instead: `a`")
        );
    }

    #[test]
    fn cycle_prints_its_path() {
        let revisions = vec![
            revision("a", &[]),
            revision("b", &["a", "c"]),
            revision("c", &["b"]),
        ];
        let found = check(&revisions);
        assert_eq!(codes(&revisions), ["cycle"]);
        assert_eq!(found[0].message, "the revisions form a cycle: b -> c -> b");
    }

    #[test]
    fn two_heads_are_listed() {
        let revisions = vec![
            revision("a", &[]),
            revision("b", &["a"]),
            revision("c", &["a"]),
        ];
        let found = check(&revisions);
        assert_eq!(codes(&revisions), ["multiple-heads"]);
        assert_eq!(
            found[0].message,
            "the history has 2 heads: `b` (migrations/b_x.sql), `c` (migrations/c_x.sql)"
        );
    }

    #[test]
    fn two_bases_unless_labels_separate_them() {
        let mut revisions = vec![
            revision("a", &[]),
            revision("b", &[]),
            revision("c", &["a", "b"]),
        ];
        assert_eq!(codes(&revisions), ["multiple-bases"]);
        revisions[1].branch_labels = vec!["shop".to_string()];
        assert!(codes(&revisions).is_empty());
    }

    #[test]
    fn labelled_lines_may_keep_their_own_heads() {
        let mut revisions = vec![
            revision("a", &[]),
            revision("b", &["a"]),
            revision("n", &[]),
            revision("m", &["n"]),
        ];
        assert_eq!(codes(&revisions), ["multiple-heads", "multiple-bases"]);
        revisions[2].branch_labels = vec!["networking".to_string()];
        assert!(codes(&revisions).is_empty());
        revisions[0].branch_labels = vec!["networking".to_string()];
        assert_eq!(codes(&revisions)[0], "duplicate-branch-label");
    }

    #[test]
    fn a_dependency_on_itself_is_a_cycle() {
        let mut revisions = vec![revision("a", &[]), revision("b", &["a"])];
        revisions[1].depends_on = vec!["b".to_string()];
        let found = check(&revisions);
        assert_eq!(codes(&revisions), ["cycle"]);
        assert!(
            found[0].message.contains("depends on itself"),
            "{}",
            found[0].message
        );
        revisions[1].depends_on = vec!["own".to_string()];
        revisions[1].branch_labels = vec!["own".to_string()];
        assert_eq!(codes(&revisions), ["cycle"]);
    }

    #[test]
    fn a_label_spelled_as_an_id_is_refused() {
        let mut revisions = vec![revision("a", &[]), revision("b", &["a"])];
        revisions[1].branch_labels = vec!["a".to_string()];
        assert_eq!(codes(&revisions), ["duplicate-branch-label"]);
        revisions[1].branch_labels = vec!["b".to_string()];
        assert_eq!(codes(&revisions), ["duplicate-branch-label"]);
    }

    #[test]
    fn depends_on_names_a_label_and_can_close_a_cycle() {
        let mut revisions = vec![
            revision("a", &[]),
            revision("b", &["a"]),
            revision("n", &[]),
            revision("m", &["n"]),
        ];
        revisions[2].branch_labels = vec!["networking".to_string()];
        revisions[1].depends_on = vec!["networking".to_string()];
        assert!(codes(&revisions).is_empty());
        let ids: Vec<&str> = order(&revisions)
            .into_iter()
            .map(|i| revisions[i].id.as_str())
            .collect();
        assert!(ids.iter().position(|id| *id == "n") < ids.iter().position(|id| *id == "b"));
        revisions[2].depends_on = vec!["b".to_string()];
        let found = check(&revisions);
        assert_eq!(found[0].code, "cycle");
        assert!(
            found[0].message.contains("b -> n -> b") || found[0].message.contains("n -> b -> n")
        );
    }

    #[test]
    fn versioned_heads_ignore_depends_on() {
        let mut revisions = vec![
            revision("a", &[]),
            revision("b", &["a"]),
            revision("c", &["a"]),
        ];
        revisions[2].depends_on = vec!["b".to_string()];
        assert_eq!(codes(&revisions), ["multiple-heads"]);
    }

    /// A random single-head DAG: node i > 0 has one to three parents among
    /// earlier nodes, and a last revision merges every remaining head.
    fn dag() -> impl Strategy<Value = Vec<CompiledRevision>> {
        (1usize..40)
            .prop_flat_map(|n| {
                proptest::collection::vec(
                    proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
                    n,
                )
            })
            .prop_map(|choices| {
                let ids: Vec<String> = (0..=choices.len())
                    .map(|i| format!("{:04x}", (i * 7919) % 65521))
                    .collect();
                let mut parents: Vec<Vec<usize>> = vec![Vec::new()];
                for (i, picks) in choices.iter().enumerate().skip(1) {
                    let mut mine: Vec<usize> = picks.iter().map(|pick| pick.index(i)).collect();
                    mine.sort();
                    mine.dedup();
                    parents.push(mine);
                }
                let mut has_child = vec![false; choices.len()];
                for list in &parents {
                    for p in list {
                        has_child[*p] = true;
                    }
                }
                let heads: Vec<usize> = (0..choices.len()).filter(|i| !has_child[*i]).collect();
                if heads.len() > 1 {
                    parents.push(heads);
                }
                parents
                    .iter()
                    .enumerate()
                    .map(|(i, list)| {
                        let names: Vec<&str> = list.iter().map(|p| ids[*p].as_str()).collect();
                        revision(&ids[i], &names)
                    })
                    .collect()
            })
    }

    fn plan_ids(revisions: &[CompiledRevision]) -> Vec<String> {
        order(revisions)
            .into_iter()
            .map(|i| revisions[i].id.clone())
            .collect()
    }

    proptest! {
        #[test]
        fn plan_is_a_topological_order_stable_under_shuffles(
            revisions in dag(),
            seed in any::<u64>(),
        ) {
            prop_assert!(check(&revisions).is_empty());
            let ids = plan_ids(&revisions);
            prop_assert_eq!(ids.len(), revisions.len());
            let position: HashMap<&str, usize> =
                ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            for revision in &revisions {
                for parent in &revision.down_revisions {
                    prop_assert!(position[parent.as_str()] < position[revision.id.as_str()]);
                }
            }
            let mut shuffled = revisions.clone();
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(plan_ids(&shuffled), ids);
        }

        #[test]
        fn corruptions_are_reported(
            revisions in dag(),
            pick in any::<prop::sample::Index>(),
            kind in 0u8..4,
        ) {
            let mut broken = revisions.clone();
            let victim = pick.index(broken.len());
            let expected = match kind {
                0 => {
                    broken[victim].down_revisions.push("dead".to_string());
                    "unknown-revision"
                }
                1 => {
                    let parent = broken[victim].id.clone();
                    broken.push(revision("ffffextra", &[parent.as_str()]));
                    if victim + 1 == revisions.len() {
                        // A child of the only head is a new single head.
                        "none"
                    } else {
                        "multiple-heads"
                    }
                }
                2 => {
                    // The base descends into the head, so naming the head closes a loop.
                    let head = broken[broken.len() - 1].id.clone();
                    broken[0].down_revisions.push(head);
                    "cycle"
                }
                _ => {
                    if broken.len() < 2 {
                        "none"
                    } else {
                        let other = (victim + 1) % broken.len();
                        broken[other].id = broken[victim].id.clone();
                        "duplicate-revision"
                    }
                }
            };
            let found = codes(&broken);
            if expected == "none" {
                prop_assert!(!found.contains(&"multiple-heads"));
            } else {
                prop_assert!(found.contains(&expected), "{:?} not in {:?}", expected, found);
            }
            // Ordering a broken graph never panics either.
            let _ = order(&broken);
        }
    }
}
