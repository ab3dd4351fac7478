//! The revision graph and what a target means on it, after Alembic 1.x's
//! `RevisionMap` and `command.upgrade` / `downgrade` / `stamp`.
//!
//! Revisions are numbered by their position in the order given (the plan
//! order), so a `BTreeSet<usize>` iterates parents first. Two kinds of edge:
//! `down_revision` (*versioned*: they make heads, branch points, walks and
//! branches) and `depends_on` (they order and require, but do not make a
//! branch). A database's state is given as its current heads: the maximal
//! applied revisions, which is what Alembic's version table holds.

use std::collections::{BTreeSet, HashMap};

use crate::error::ResolveError;
use crate::target::Target;

/// One revision as the graph sees it: names, not indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// The revision id.
    pub id: String,
    /// `down_revision` ids (empty for a base).
    pub down_revisions: Vec<String>,
    /// `depends_on` ids or branch labels.
    pub depends_on: Vec<String>,
    /// `branch_labels`.
    pub branch_labels: Vec<String>,
}

/// The resolved graph: every name turned into an index once.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    ids: Vec<String>,
    by_id: HashMap<String, usize>,
    labels: Vec<Vec<String>>,
    by_label: HashMap<String, usize>,
    /// `down_revision` parents.
    down: Vec<Vec<usize>>,
    /// `depends_on`, resolved (a label names the revision that carries it).
    deps: Vec<Vec<usize>>,
    /// `down` plus the dependencies no versioned ancestor already has.
    normalized: Vec<Vec<usize>>,
    /// Inverse of `down` (Alembic's `nextrev`).
    up: Vec<Vec<usize>>,
    /// Inverse of `down` and `deps` (Alembic's `_all_nextrev`).
    all_up: Vec<Vec<usize>>,
    /// For each revision, the revisions whose branch labels it carries
    /// (Alembic's `_add_branches`), in plan order.
    label_owners: Vec<Vec<usize>>,
}

/// A history range's lower end: revisions, or (`-N`) where the walk down
/// from each head arrived (`None`: past base).
enum Lower {
    Revisions(Vec<usize>),
    Walked {
        target: Target,
        walks: Vec<Option<Pos>>,
    },
}

/// Where a walk stands: before anything, at `base`, or at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    Nothing,
    Base,
    Rev(usize),
}

fn dedup(items: &mut Vec<usize>) {
    let mut seen = BTreeSet::new();
    items.retain(|item| seen.insert(*item));
}

impl Graph {
    /// Builds the graph from revisions in plan order. Names that resolve to
    /// nothing are left out (the compiler reports them); with a duplicated
    /// id or label, the first revision holding it wins.
    pub fn new(nodes: &[Node]) -> Graph {
        let mut by_id = HashMap::with_capacity(nodes.len());
        for (index, node) in nodes.iter().enumerate() {
            by_id.entry(node.id.clone()).or_insert(index);
        }
        let mut by_label = HashMap::new();
        for (index, node) in nodes.iter().enumerate() {
            for label in &node.branch_labels {
                by_label.entry(label.clone()).or_insert(index);
            }
        }
        let resolve = |name: &String| by_id.get(name).or_else(|| by_label.get(name)).copied();
        let down = nodes
            .iter()
            .map(|node| {
                let mut parents: Vec<usize> = node
                    .down_revisions
                    .iter()
                    .filter_map(|name| by_id.get(name).copied())
                    .collect();
                dedup(&mut parents);
                parents
            })
            .collect();
        let deps = nodes
            .iter()
            .map(|node| {
                let mut targets: Vec<usize> = node.depends_on.iter().filter_map(resolve).collect();
                dedup(&mut targets);
                targets
            })
            .collect();
        Graph::from_edges(
            nodes.iter().map(|node| node.id.clone()).collect(),
            nodes
                .iter()
                .map(|node| node.branch_labels.clone())
                .collect(),
            down,
            deps,
        )
    }

    /// Builds the graph from edges already resolved to indices (what the
    /// compiler embeds in a plan). Out-of-range indices are ignored.
    pub fn from_edges(
        ids: Vec<String>,
        labels: Vec<Vec<String>>,
        down: Vec<Vec<usize>>,
        deps: Vec<Vec<usize>>,
    ) -> Graph {
        let count = ids.len();
        let clean = |lists: Vec<Vec<usize>>| -> Vec<Vec<usize>> {
            let mut lists: Vec<Vec<usize>> = lists
                .into_iter()
                .map(|mut list| {
                    list.retain(|index| *index < count);
                    dedup(&mut list);
                    list
                })
                .collect();
            lists.resize(count, Vec::new());
            lists
        };
        let down = clean(down);
        let mut deps = clean(deps);
        for (index, list) in deps.iter_mut().enumerate() {
            list.retain(|dep| *dep != index);
        }
        let mut labels = labels;
        labels.resize(count, Vec::new());
        let mut by_id = HashMap::with_capacity(count);
        for (index, id) in ids.iter().enumerate() {
            by_id.entry(id.clone()).or_insert(index);
        }
        let mut by_label = HashMap::new();
        for (index, own) in labels.iter().enumerate() {
            for label in own {
                by_label.entry(label.clone()).or_insert(index);
            }
        }
        let mut up = vec![Vec::new(); count];
        let mut all_up = vec![Vec::new(); count];
        for index in 0..count {
            for &parent in &down[index] {
                up[parent].push(index);
                all_up[parent].push(index);
            }
            for &dep in &deps[index] {
                all_up[dep].push(index);
            }
        }
        for list in &mut all_up {
            dedup(list);
        }
        let mut graph = Graph {
            ids,
            by_id,
            labels,
            by_label,
            down,
            deps,
            normalized: Vec::new(),
            up,
            all_up,
            label_owners: Vec::new(),
        };
        graph.label_owners = graph.inherit_labels();
        graph.normalized = (0..count)
            .map(|index| {
                let mut list = graph.down[index].clone();
                if !graph.deps[index].is_empty() {
                    let mut inherited = BTreeSet::new();
                    for ancestor in graph.ancestors_versioned([index]) {
                        if ancestor != index {
                            inherited.extend(graph.deps[ancestor].iter().copied());
                        }
                    }
                    list.extend(
                        graph.deps[index]
                            .iter()
                            .copied()
                            .filter(|dep| !inherited.contains(dep)),
                    );
                }
                dedup(&mut list);
                list
            })
            .collect();
        graph
    }

    /// How many revisions.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of revision `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// The ids of `indices`.
    pub fn ids<'a>(&'a self, indices: impl IntoIterator<Item = &'a usize>) -> Vec<String> {
        indices.into_iter().map(|i| self.ids[*i].clone()).collect()
    }

    /// The revision with exactly this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The revision that declares this branch label.
    pub fn labelled(&self, label: &str) -> Option<usize> {
        self.by_label.get(label).copied()
    }

    /// `down_revision` parents of a revision.
    pub fn parents(&self, index: usize) -> &[usize] {
        &self.down[index]
    }

    /// `depends_on` of a revision, resolved to revisions.
    pub fn dependencies(&self, index: usize) -> &[usize] {
        &self.deps[index]
    }

    /// Revisions naming this one in `down_revision`.
    pub fn children(&self, index: usize) -> &[usize] {
        &self.up[index]
    }

    /// Everything that must be applied before a revision: its parents and
    /// its dependencies not already implied by an ancestor's.
    pub fn requires(&self, index: usize) -> &[usize] {
        &self.normalized[index]
    }

    /// Versioned heads (no revision names them in `down_revision`), what
    /// `heads` prints; `depends_on` does not count, as in Alembic.
    pub fn heads(&self) -> Vec<usize> {
        (0..self.len()).filter(|i| self.up[*i].is_empty()).collect()
    }

    /// Heads once `depends_on` counts too: what `upgrade heads` reaches.
    pub fn real_heads(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.all_up[*i].is_empty())
            .collect()
    }

    /// Revisions without a `down_revision`.
    pub fn bases(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.down[*i].is_empty())
            .collect()
    }

    /// True when two or more revisions name this one in `down_revision`.
    pub fn is_branch_point(&self, index: usize) -> bool {
        self.up[index].len() > 1
    }

    /// True for a revision with two or more `down_revision` parents.
    pub fn is_merge_point(&self, index: usize) -> bool {
        self.down[index].len() > 1
    }

    /// Branch points, in plan order.
    pub fn branch_points(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.is_branch_point(*i))
            .collect()
    }

    fn walk_from<'g>(
        &'g self,
        roots: impl IntoIterator<Item = usize>,
        next: impl Fn(usize) -> &'g [usize],
    ) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = roots.into_iter().collect();
        while let Some(index) = stack.pop() {
            if seen.insert(index) {
                stack.extend(next(index).iter().copied());
            }
        }
        seen
    }

    /// `roots` and everything they require, through parents and dependencies.
    pub fn ancestors(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        self.walk_from(roots, |i| &self.normalized[i])
    }

    /// `roots` and their `down_revision` ancestors only.
    pub fn ancestors_versioned(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        self.walk_from(roots, |i| &self.down[i])
    }

    /// `roots` and everything that requires them, through children and dependents.
    pub fn descendants(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        self.walk_from(roots, |i| &self.all_up[i])
    }

    /// `roots` and their `down_revision` descendants only.
    pub fn descendants_versioned(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        self.walk_from(roots, |i| &self.up[i])
    }

    /// The maximal revisions of an applied set: what Alembic's version table
    /// holds for it (one row per current head), in plan order.
    pub fn current_heads(&self, applied: &BTreeSet<usize>) -> Vec<usize> {
        applied
            .iter()
            .copied()
            .filter(|index| !self.all_up[*index].iter().any(|c| applied.contains(c)))
            .collect()
    }

    /// The branch labels of a revision as Alembic shows them (`heads`,
    /// `history`, `show`) and filters by (`<label>@...` as a range's lower
    /// end): its own, and those it inherits (see `Graph::inherit_labels`).
    pub fn branch_labels(&self, index: usize) -> BTreeSet<String> {
        self.label_owners[index]
            .iter()
            .flat_map(|owner| self.labels[*owner].iter().cloned())
            .collect()
    }

    /// Alembic's `RevisionMap._add_branches`: a labelled revision's labels go
    /// to every `down_revision` descendant, and, when those descendants form
    /// one unbranched line (no revision among them is a merge or has two
    /// children, `depends_on` children included), also down the line below
    /// the labelled revision until a merge or such a branch point. (Alembic
    /// walks down from the last descendant it visited; on a line that walk
    /// reaches the labelled revision and goes on, elsewhere it stops at the
    /// first fork, so this rule is what it computes, in any visiting order.)
    fn inherit_labels(&self) -> Vec<Vec<usize>> {
        let forks = |index: usize| self.all_up[index].len() > 1 || self.down[index].len() > 1;
        let mut owners: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.len()];
        for owner in 0..self.len() {
            if self.labels[owner].is_empty() {
                continue;
            }
            let line = self.descendants_versioned([owner]);
            let unbranched = !line.iter().any(|index| forks(*index));
            for index in line {
                owners[index].insert(owner);
            }
            if !unbranched {
                continue;
            }
            let mut below = self.down[owner].first().copied();
            while let Some(index) = below {
                if forks(index) {
                    break;
                }
                owners[index].insert(owner);
                below = self.down[index].first().copied();
            }
        }
        owners
            .into_iter()
            .map(|set| set.into_iter().collect())
            .collect()
    }

    /// The plan order (parents and dependencies first) for `nodes`, ordered
    /// by Kahn's algorithm: after placing a revision, its first child (by
    /// `rank`) that became ready goes next, so a branch stays together;
    /// otherwise the ready revision with the lowest rank. Revisions on or
    /// after a cycle are left out.
    pub fn order(count: usize, requires: &[Vec<usize>], rank: &[usize]) -> Vec<usize> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut by_rank: Vec<usize> = (0..count).collect();
        by_rank.sort_by_key(|index| (rank.get(*index).copied().unwrap_or(usize::MAX), *index));
        let mut rank_of = vec![0usize; count];
        for (position, index) in by_rank.iter().enumerate() {
            rank_of[*index] = position;
        }
        let mut waiting = vec![0usize; count];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (index, parents) in requires.iter().enumerate().take(count) {
            let mut unique: Vec<usize> = parents.iter().copied().filter(|p| *p < count).collect();
            dedup(&mut unique);
            for parent in unique {
                waiting[index] += 1;
                children[parent].push(index);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> = (0..count)
            .filter(|i| waiting[*i] == 0)
            .map(|i| Reverse(rank_of[i]))
            .collect();
        let mut placed = vec![false; count];
        let mut out = Vec::with_capacity(count);
        let mut preferred: Option<usize> = None;
        loop {
            let next = match preferred.take() {
                Some(next) => next,
                None => match ready.pop() {
                    Some(Reverse(next)) => next,
                    None => break,
                },
            };
            let index = by_rank[next];
            if placed[index] {
                continue;
            }
            placed[index] = true;
            out.push(index);
            for &child in &children[index] {
                waiting[child] -= 1;
                if waiting[child] == 0 {
                    ready.push(Reverse(rank_of[child]));
                    preferred = Some(preferred.map_or(rank_of[child], |p| p.min(rank_of[child])));
                }
            }
        }
        out
    }

    // ----- identifiers -----

    /// An exact id, a branch label, or a unique prefix of at least 4
    /// characters (of an id or a label).
    pub fn lookup(&self, reference: &str) -> Result<usize, ResolveError> {
        self.lookup_in(reference, None)
    }

    fn lookup_in(&self, reference: &str, branch: Option<usize>) -> Result<usize, ResolveError> {
        if let Some(index) = self
            .position(reference)
            .or_else(|| self.labelled(reference))
        {
            return Ok(index);
        }
        let unknown = || ResolveError::UnknownRevision {
            reference: reference.to_string(),
        };
        if reference.len() < 4 {
            return Err(unknown());
        }
        let mut matches: Vec<(&str, usize)> = self
            .by_id
            .iter()
            .chain(self.by_label.iter())
            .filter(|(name, _)| name.len() > 3 && name.starts_with(reference))
            .map(|(name, index)| (name.as_str(), *index))
            .collect();
        if let Some(branch) = branch {
            matches.retain(|(_, index)| self.shares_lineage(*index, &[branch], false));
        }
        matches.sort();
        match matches.as_slice() {
            [] => Err(unknown()),
            [(_, only)] => Ok(*only),
            several => Err(ResolveError::AmbiguousPrefix {
                prefix: reference.to_string(),
                matches: several.iter().map(|(name, _)| name.to_string()).collect(),
            }),
        }
    }

    /// `_resolve_branch`: a label, or else any revision reference.
    fn resolve_branch(&self, branch: &str) -> Result<usize, ResolveError> {
        if let Some(index) = self.labelled(branch) {
            return Ok(index);
        }
        self.lookup(branch).map_err(|_| ResolveError::NoSuchBranch {
            branch: branch.to_string(),
        })
    }

    fn shares_lineage(&self, target: usize, against: &[usize], with_deps: bool) -> bool {
        if against.is_empty() {
            return true;
        }
        let related = if with_deps {
            let mut set = self.descendants([target]);
            set.extend(self.ancestors([target]));
            set
        } else {
            let mut set = self.descendants_versioned([target]);
            set.extend(self.ancestors_versioned([target]));
            set
        };
        against.iter().any(|a| related.contains(a))
    }

    /// `filter_for_lineage`: the targets related to what `check` names.
    fn filter_for_lineage(
        &self,
        targets: &[usize],
        check: &str,
        with_deps: bool,
    ) -> Result<Vec<usize>, ResolveError> {
        let (ids, branch) = self.resolve_number(check)?;
        let mut against = Vec::new();
        if let Some(branch) = branch {
            against.push(self.lookup(&branch)?);
        }
        against.extend(ids);
        Ok(targets
            .iter()
            .copied()
            .filter(|t| self.shares_lineage(*t, &against, with_deps))
            .collect())
    }

    /// `get_current_head(branch)`: the one versioned head (of a branch).
    fn current_head(&self, branch: Option<&str>) -> Result<Option<usize>, ResolveError> {
        let mut heads = self.heads();
        if let Some(branch) = branch {
            heads = self.filter_for_lineage(&heads, branch, false)?;
        }
        match heads.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            several => Err(ResolveError::MultipleHeads {
                argument: match branch {
                    Some(branch) => format!("{branch}@head"),
                    None => "head".to_string(),
                },
                heads: self.ids(several),
            }),
        }
    }

    /// `_resolve_revision_number`: the revisions a symbol stands for (before
    /// prefix lookup), and its branch.
    fn resolve_number(&self, text: &str) -> Result<(Vec<usize>, Option<String>), ResolveError> {
        let (branch, symbol) = match text.split_once('@') {
            Some((branch, symbol)) => (Some(branch.to_string()), symbol),
            None => (None, text),
        };
        let ids = match symbol {
            "heads" => match &branch {
                Some(branch) => self.filter_for_lineage(&self.heads(), branch, false)?,
                None => self.real_heads(),
            },
            "head" => self.current_head(branch.as_deref())?.into_iter().collect(),
            "base" | "" => Vec::new(),
            other => vec![self.revision_for_ident(other, branch.as_deref())?],
        };
        Ok((ids, branch))
    }

    /// `_revision_for_ident(id, branch)`.
    fn revision_for_ident(&self, ident: &str, branch: Option<&str>) -> Result<usize, ResolveError> {
        let branch_rev = match branch {
            Some(branch) => Some(self.resolve_branch(branch)?),
            None => None,
        };
        let revision = self.lookup_in(ident, branch_rev)?;
        if let (Some(branch_rev), Some(branch)) = (branch_rev, branch) {
            if !self.shares_lineage(revision, &[branch_rev], false) {
                return Err(ResolveError::NotInBranch {
                    revision: self.id(revision).to_string(),
                    branch: branch.to_string(),
                });
            }
        }
        Ok(revision)
    }

    /// `get_revisions(text)`: every revision `text` names (`heads` can be several).
    pub fn revisions(&self, text: &str) -> Result<Vec<usize>, ResolveError> {
        Ok(self.resolve_number(text)?.0)
    }

    /// `get_revision(text)`: at most one revision (`None` is base).
    pub fn revision(&self, text: &str) -> Result<Option<usize>, ResolveError> {
        let (ids, _) = self.resolve_number(text)?;
        match ids.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            several => Err(ResolveError::MultipleHeads {
                argument: text.to_string(),
                heads: self.ids(several),
            }),
        }
    }

    // ----- walks -----

    fn walk(
        &self,
        target: &Target,
        start: Pos,
        steps: i64,
        branch: Option<&str>,
    ) -> Result<Option<Pos>, ResolveError> {
        self.walk_with(target, start, steps, branch, false)
    }

    /// [`walk`](Self::walk); with `clamp`, a walk past the end stops at the
    /// last revision it reached (Alembic's `no_overwalk=False`).
    fn walk_with(
        &self,
        target: &Target,
        start: Pos,
        steps: i64,
        branch: Option<&str>,
        clamp: bool,
    ) -> Result<Option<Pos>, ResolveError> {
        let mut at = start;
        for _ in 0..steps.unsigned_abs() {
            let options: Vec<Pos> = if steps > 0 {
                let up = match at {
                    Pos::Nothing => self.bases(),
                    Pos::Rev(index) => self.up[index].clone(),
                    Pos::Base => {
                        return Err(ResolveError::InvalidMove {
                            target: target.to_string(),
                            reason: "cannot walk up from base".to_string(),
                        })
                    }
                };
                let up = match branch {
                    Some(branch) => self.filter_for_lineage(&up, branch, false)?,
                    None => up,
                };
                up.into_iter().map(Pos::Rev).collect()
            } else {
                match at {
                    Pos::Base => Vec::new(),
                    Pos::Nothing => self.heads().into_iter().map(Pos::Rev).collect(),
                    Pos::Rev(index) if self.down[index].is_empty() => vec![Pos::Base],
                    Pos::Rev(index) => self.down[index].iter().copied().map(Pos::Rev).collect(),
                }
            };
            match options.as_slice() {
                [] if clamp => return Ok(Some(at)),
                [] => return Ok(None),
                [one] => at = *one,
                several => {
                    return Err(ResolveError::AmbiguousWalk {
                        target: target.to_string(),
                        at: match at {
                            Pos::Rev(index) => self.id(index).to_string(),
                            _ => "base".to_string(),
                        },
                        what: if steps > 0 { "children" } else { "parents" },
                        options: several
                            .iter()
                            .map(|pos| match pos {
                                Pos::Rev(index) => self.id(*index).to_string(),
                                _ => "base".to_string(),
                            })
                            .collect(),
                    })
                }
            }
        }
        Ok(Some(at))
    }

    fn start(&self, symbol: &str, branch: Option<&str>) -> Result<Pos, ResolveError> {
        let text = match branch {
            Some(branch) => format!("{branch}@{symbol}"),
            None => symbol.to_string(),
        };
        Ok(match self.revision(&text)? {
            Some(index) => Pos::Rev(index),
            None => Pos::Nothing,
        })
    }

    // ----- history -----

    /// The revisions `history -r lower:upper` lists, from a database at
    /// `current` (its current heads; `current` as an end stands for them):
    /// Alembic's `walk_revisions`, i.e. `_collect_upgrade_revisions` with
    /// both ends included and no implicit base.
    ///
    /// - `lower`: empty or `base`, `current`, a revision (`get_revisions`),
    ///   or `-N` / `<label>@-N`: N steps down from each head (of that branch).
    /// - `upper`: empty or `heads`, `current`, a revision, or a relative
    ///   target, relative to `lower` (`base:+2`, `current:+1`); a walk past
    ///   the end stops at the end, as Alembic's `history` does.
    ///
    /// `lower` must be `upper` or below it, else
    /// [`ResolveError::RangeNotOnOneBranch`].
    pub fn history_range(
        &self,
        lower: &str,
        upper: &str,
        current: &[usize],
    ) -> Result<BTreeSet<usize>, ResolveError> {
        let range = format!("{lower}:{upper}");
        if lower == "current" && upper == "current" {
            // Alembic stands `current` for the database's heads at the upper
            // end only; the lower one is then no revision.
            return Err(ResolveError::UnknownRevision {
                reference: "current".to_string(),
            });
        }
        let mut targets = match upper {
            // At base, `current` is no revision, and Alembic's `head or
            // "heads"` takes that for the heads.
            "" | "heads" => self.revisions("heads")?,
            "current" if current.is_empty() => self.revisions("heads")?,
            "current" => current.to_vec(),
            _ => {
                let target: Target = upper.parse()?;
                match &target {
                    Target::Absolute { .. } => self.revisions(upper)?,
                    Target::Relative { .. } => {
                        vec![self.range_upper(&target, lower, current)?]
                    }
                }
            }
        };
        // `<label>@...` as the lower end keeps the targets carrying that
        // label; `<id>@...` the one label that revision carries.
        if let Some((branch, _)) = lower.split_once('@') {
            let label = match self.labelled(branch) {
                Some(_) => Some(branch.to_string()),
                None => {
                    let revision = self.lookup(branch)?;
                    let labels = self.branch_labels(revision);
                    match (self.id(revision) == branch, labels.len()) {
                        (true, 1) => labels.into_iter().next(),
                        (true, _) => {
                            return Err(ResolveError::NoSuchBranch {
                                branch: branch.to_string(),
                            })
                        }
                        (false, _) => None,
                    }
                }
            };
            targets.retain(|t| {
                label
                    .as_ref()
                    .is_some_and(|label| self.branch_labels(*t).contains(label))
            });
        }
        let required = self.checked_ancestors(&targets)?;
        let not_on_one_branch = || ResolveError::RangeNotOnOneBranch {
            range: range.clone(),
        };
        let lower_revs = match self.range_lower(lower, current)? {
            Lower::Revisions(revisions) => revisions,
            Lower::Walked { target, walks } => {
                // Alembic checks the walks that arrived, then, when the first
                // one went past base, walks down from the upper end instead.
                let mut revisions = Vec::new();
                for walk in &walks {
                    match walk {
                        Some(Pos::Rev(index)) if required.contains(index) => revisions.push(*index),
                        // A walk landing on `base`, which no range holds.
                        Some(_) => return Err(not_on_one_branch()),
                        None => {}
                    }
                }
                match walks.first() {
                    Some(None) => self.range_lower_fallback(&target, upper, current)?,
                    _ if walks.iter().any(Option::is_none) => {
                        return Err(ResolveError::WalkedTooFar {
                            target: target.to_string(),
                        })
                    }
                    _ => revisions,
                }
            }
        };
        if lower_revs.iter().any(|rev| !required.contains(rev)) {
            return Err(not_on_one_branch());
        }
        let below = self.checked_ancestors(&lower_revs)?;
        let mut needs: BTreeSet<usize> = required.difference(&below).copied().collect();
        needs.extend(lower_revs.iter().copied());
        if !lower_revs.is_empty() {
            let above = self.descendants_versioned(lower_revs.iter().copied());
            needs.retain(|rev| above.contains(rev));
        }
        Ok(needs)
    }

    /// The lower end of a history range (see [`Graph::history_range`]):
    /// revisions, or for `-N` the walk down from each head.
    fn range_lower(&self, lower: &str, current: &[usize]) -> Result<Lower, ResolveError> {
        match lower {
            "" | "base" => return Ok(Lower::Revisions(Vec::new())),
            "current" => return Ok(Lower::Revisions(current.to_vec())),
            _ => {}
        }
        let unknown = |reference: &str| ResolveError::UnknownRevision {
            reference: reference.to_string(),
        };
        let target = lower.parse::<Target>()?;
        let (branch, steps) = match &target {
            Target::Absolute { .. } => return self.revisions(lower).map(Lower::Revisions),
            Target::Relative {
                branch,
                symbol: None,
                steps,
            } if *steps < 0 => (branch.clone(), *steps),
            // `get_revisions` reads no other relative form.
            Target::Relative { .. } => return Err(unknown(lower)),
        };
        let mut heads = self.real_heads();
        if let Some(branch) = &branch {
            if self.labelled(branch).is_none() {
                return Err(unknown(branch));
            }
            heads.retain(|head| self.branch_labels(*head).contains(branch));
        }
        let mut walks = Vec::with_capacity(heads.len());
        for head in heads {
            walks.push(self.walk(&target, Pos::Rev(head), steps, None)?);
        }
        Ok(Lower::Walked { target, walks })
    }

    /// `-N` as a range's lower end when the walk from the first head goes
    /// past base: Alembic walks N down from the upper end instead, stopping
    /// at base (`_parse_downgrade_target` with the upper end as the state).
    fn range_lower_fallback(
        &self,
        target: &Target,
        upper: &str,
        current: &[usize],
    ) -> Result<Vec<usize>, ResolveError> {
        let Target::Relative {
            branch: None,
            steps,
            ..
        } = target
        else {
            return Err(ResolveError::WalkedTooFar {
                target: target.to_string(),
            });
        };
        let from = match upper {
            "current" => *current
                .first()
                .ok_or_else(|| self.too_far(target, current))?,
            // Alembic takes `heads@heads` for a branch, which it is not.
            "" => {
                return Err(ResolveError::UnknownRevision {
                    reference: "heads".to_string(),
                })
            }
            other => self.lookup(other)?,
        };
        match self.walk_with(target, Pos::Rev(from), *steps, None, true)? {
            Some(Pos::Rev(index)) => Ok(vec![index]),
            _ => Ok(Vec::new()),
        }
    }

    /// A relative upper end of a history range: from its symbol, or from the
    /// lower end (as Alembic's `_parse_upgrade_target` reads it); a walk
    /// past the end stops there.
    fn range_upper(
        &self,
        target: &Target,
        lower: &str,
        current: &[usize],
    ) -> Result<usize, ResolveError> {
        let Target::Relative {
            branch,
            symbol,
            steps,
        } = target
        else {
            return Err(ResolveError::InvalidTarget {
                input: target.to_string(),
                reason: "expected a relative target".to_string(),
            });
        };
        let start = match symbol {
            Some(symbol) if *steps > 0 => self.start(symbol, None)?,
            Some(symbol) => self.start(symbol, branch.as_deref())?,
            None if *steps < 0 => {
                return Err(ResolveError::InvalidMove {
                    target: target.to_string(),
                    reason: "the upper end of a range moves up from the lower end; use `+N`"
                        .to_string(),
                })
            }
            None => match lower {
                "" | "base" => Pos::Nothing,
                "current" => match current {
                    [] => Pos::Nothing,
                    [one] => Pos::Rev(*one),
                    several => {
                        return Err(ResolveError::AmbiguousRelative {
                            target: target.to_string(),
                            current: self.ids(several),
                        })
                    }
                },
                _ => {
                    if lower.parse::<Target>()?.is_relative_to_current() {
                        return Err(ResolveError::UnknownRevision {
                            reference: lower.to_string(),
                        });
                    }
                    self.start(lower, None)?
                }
            },
        };
        let walk_branch = if *steps > 0 { branch.as_deref() } else { None };
        match self.walk_with(target, start, *steps, walk_branch, true)? {
            Some(Pos::Rev(index)) => Ok(index),
            _ => Err(ResolveError::WalkedTooFar {
                target: target.to_string(),
            }),
        }
    }

    // ----- upgrade -----

    /// The revisions `upgrade target` applies from a database at `current`
    /// (its current heads): Alembic's `_collect_upgrade_revisions` with an
    /// implicit base. The result is closed under [`requires`](Self::requires)
    /// together with the applied set.
    pub fn upgrade(
        &self,
        current: &[usize],
        target: &Target,
    ) -> Result<BTreeSet<usize>, ResolveError> {
        let targets = self.upgrade_targets(current, target)?;
        let required = self.checked_ancestors(&targets)?;
        let applied = self.checked_ancestors(current)?;
        Ok(required.difference(&applied).copied().collect())
    }

    /// Ancestors of each of `roots`, refusing when one is an ancestor of another.
    fn checked_ancestors(&self, roots: &[usize]) -> Result<BTreeSet<usize>, ResolveError> {
        let mut all = BTreeSet::new();
        for &root in roots {
            let mine = self.ancestors([root]);
            let others: Vec<usize> = roots
                .iter()
                .copied()
                .filter(|other| *other != root && mine.contains(other))
                .collect();
            if !others.is_empty() {
                return Err(ResolveError::Overlap {
                    revision: self.id(root).to_string(),
                    others: self.ids(&others),
                });
            }
            all.extend(mine);
        }
        Ok(all)
    }

    fn upgrade_targets(
        &self,
        current: &[usize],
        target: &Target,
    ) -> Result<Vec<usize>, ResolveError> {
        let not_a_revision = |reason: &str| ResolveError::InvalidMove {
            target: target.to_string(),
            reason: reason.to_string(),
        };
        match target {
            Target::Absolute { branch, symbol } => {
                let text = match branch {
                    Some(branch) => format!("{branch}@{symbol}"),
                    None => symbol.clone(),
                };
                self.revisions(&text)
            }
            Target::Relative { steps, .. } if *steps < 0 && target.is_relative_to_current() => Err(
                not_a_revision("`upgrade` moves up; use `downgrade` with `-N`"),
            ),
            Target::Relative {
                branch,
                symbol: None,
                steps,
            } => {
                let mut start: Vec<Pos> = if current.is_empty() {
                    vec![Pos::Nothing]
                } else {
                    current.iter().copied().map(Pos::Rev).collect()
                };
                if let Some(branch) = branch {
                    let on_branch = self.filter_for_lineage(current, branch, false)?;
                    start = if on_branch.is_empty() {
                        let active: Vec<usize> = self
                            .ancestors(current.iter().copied())
                            .into_iter()
                            .collect();
                        let active = self.filter_for_lineage(&active, branch, false)?;
                        let below: BTreeSet<usize> = active
                            .iter()
                            .flat_map(|i| self.normalized[*i].iter().copied())
                            .collect();
                        let tips: Vec<usize> =
                            active.into_iter().filter(|i| !below.contains(i)).collect();
                        if tips.is_empty() {
                            vec![Pos::Nothing]
                        } else {
                            tips.into_iter().map(Pos::Rev).collect()
                        }
                    } else {
                        on_branch.into_iter().map(Pos::Rev).collect()
                    };
                }
                if start.len() > 1 {
                    let heads: Vec<String> = start
                        .iter()
                        .filter_map(|pos| match pos {
                            Pos::Rev(index) => Some(self.id(*index).to_string()),
                            _ => None,
                        })
                        .collect();
                    return Err(ResolveError::AmbiguousRelative {
                        target: target.to_string(),
                        current: heads,
                    });
                }
                match self.walk(target, start[0], *steps, branch.as_deref())? {
                    Some(Pos::Rev(index)) => Ok(vec![index]),
                    _ => Err(self.too_far(target, current)),
                }
            }
            Target::Relative {
                branch,
                symbol: Some(symbol),
                steps,
            } => {
                let start = if *steps > 0 {
                    self.start(symbol, None)?
                } else {
                    self.start(symbol, branch.as_deref())?
                };
                let walk_branch = if *steps > 0 { branch.as_deref() } else { None };
                match self.walk(target, start, *steps, walk_branch)? {
                    Some(Pos::Rev(index)) => Ok(vec![index]),
                    Some(_) => Err(not_a_revision(
                        "the walk reaches base; use `downgrade` to go there",
                    )),
                    None => Err(ResolveError::WalkedTooFar {
                        target: target.to_string(),
                    }),
                }
            }
        }
    }

    fn too_far(&self, target: &Target, current: &[usize]) -> ResolveError {
        ResolveError::InvalidMove {
            target: target.to_string(),
            reason: format!(
                "there are not that many revisions to move through from {}",
                if current.is_empty() {
                    "base".to_string()
                } else {
                    self.ids(current).join(", ")
                }
            ),
        }
    }

    // ----- downgrade -----

    /// The applied revisions `downgrade target` reverts from a database at
    /// `current` (its current heads): Alembic's `_collect_downgrade_revisions`.
    /// Only descendants of the target's children are ever reverted.
    pub fn downgrade(
        &self,
        current: &[usize],
        target: &Target,
    ) -> Result<BTreeSet<usize>, ResolveError> {
        let (branch, destination) = self.downgrade_target(current, target)?;
        let mut roots: Vec<usize> = match destination {
            None => self.bases(),
            Some(index) => self.up[index].clone(),
        };
        if let Some(branch) = &branch {
            if roots.len() > 1 {
                let lineage = self.ancestors_versioned([self.resolve_branch(branch)?]);
                roots.retain(|root| lineage.contains(root));
                if roots.is_empty() {
                    return Err(self.not_below(target, current));
                }
            }
        }
        let applied = self.ancestors(current.iter().copied());
        let revert: BTreeSet<usize> = self
            .descendants(roots)
            .intersection(&applied)
            .copied()
            .collect();
        if let Some(destination) = destination {
            if revert.is_empty() && !current.contains(&destination) {
                return Err(self.not_below(target, current));
            }
        }
        Ok(revert)
    }

    fn not_below(&self, target: &Target, current: &[usize]) -> ResolveError {
        ResolveError::NotBelowCurrent {
            target: target.to_string(),
            current: self.ids(current),
        }
    }

    /// `_parse_downgrade_target`: the branch and the destination (`None`: base).
    fn downgrade_target(
        &self,
        current: &[usize],
        target: &Target,
    ) -> Result<(Option<String>, Option<usize>), ResolveError> {
        let to_index = |pos: Option<Pos>| -> Result<Option<usize>, ResolveError> {
            match pos {
                Some(Pos::Rev(index)) => Ok(Some(index)),
                Some(_) => Ok(None),
                None => Err(ResolveError::WalkedTooFar {
                    target: target.to_string(),
                }),
            }
        };
        match target {
            Target::Absolute { branch, symbol } => Ok((branch.clone(), self.revision(symbol)?)),
            Target::Relative {
                symbol: None,
                steps,
                ..
            } if *steps > 0 => Err(ResolveError::InvalidMove {
                target: target.to_string(),
                reason: "`downgrade` moves down; use `upgrade` with `+N`".to_string(),
            }),
            Target::Relative {
                branch,
                symbol: Some(symbol),
                steps,
            } if *steps > 0 => {
                let start = self.start(symbol, None)?;
                let pos = self.walk(target, start, *steps, branch.as_deref())?;
                Ok((branch.clone(), to_index(pos)?))
            }
            Target::Relative {
                branch,
                symbol,
                steps,
            } => {
                let (branch, symbol) = match (symbol, branch) {
                    (Some(symbol), branch) => (branch.clone(), symbol.clone()),
                    (None, Some(branch)) => {
                        let mut on_branch = self.filter_for_lineage(current, branch, false)?;
                        if on_branch.is_empty() {
                            let all = self.ancestors(current.iter().copied());
                            let tips: Vec<usize> = all
                                .iter()
                                .copied()
                                .filter(|i| !self.up[*i].iter().any(|c| all.contains(c)))
                                .collect();
                            on_branch = self.filter_for_lineage(&tips, branch, false)?;
                        }
                        match on_branch.as_slice() {
                            [one] => (Some(branch.clone()), self.id(*one).to_string()),
                            [] => return Err(self.too_far(target, current)),
                            several => {
                                return Err(ResolveError::AmbiguousRelative {
                                    target: target.to_string(),
                                    current: self.ids(several),
                                })
                            }
                        }
                    }
                    (None, None) => match current {
                        [] => return Err(self.too_far(target, current)),
                        [one] => {
                            let id = self.id(*one).to_string();
                            (Some(id.clone()), id)
                        }
                        several => {
                            return Err(ResolveError::AmbiguousRelative {
                                target: target.to_string(),
                                current: self.ids(several),
                            })
                        }
                    },
                };
                let start = self.start(&symbol, branch.as_deref())?;
                let pos = self.walk(target, start, *steps, None)?;
                if pos.is_none() && target.is_relative_to_current() {
                    return Err(self.too_far(target, current));
                }
                Ok((branch, to_index(pos)?))
            }
        }
    }

    // ----- stamp -----

    /// The current heads after `stamp target` from `current`: Alembic's
    /// `_stamp_revs` and the version-table bookkeeping of its steps. No
    /// migration runs; the applied set becomes the ancestors of the result.
    pub fn stamp(&self, current: &[usize], target: &Target) -> Result<Vec<usize>, ResolveError> {
        self.stamp_all(current, std::slice::from_ref(target))
    }

    /// `stamp a b ...`: several destinations in one stamp, as Alembic takes
    /// them. The heads each destination shares a lineage with are gathered
    /// over all of them first, then each destination is one step, in the
    /// order given; `base` among other destinations stands for nothing
    /// (Alembic's `get_revisions` of the tuple skips it).
    pub fn stamp_all(
        &self,
        current: &[usize],
        targets: &[Target],
    ) -> Result<Vec<usize>, ResolveError> {
        let mut texts = Vec::with_capacity(targets.len());
        for target in targets {
            texts.push(match target {
                Target::Absolute { branch, symbol } => match branch {
                    Some(branch) => format!("{branch}@{symbol}"),
                    None => symbol.clone(),
                },
                Target::Relative { .. } => return Err(ResolveError::InvalidMove {
                    target: target.to_string(),
                    reason:
                        "`stamp` takes a revision, `head`, `heads` or `base`, not a relative move"
                            .to_string(),
                }),
            });
        }
        let shown = texts.join(" ");
        let conflict = |reason: String| ResolveError::Stamp {
            target: shown.clone(),
            reason,
        };
        let mut filtered = Vec::new();
        let mut destinations = Vec::new();
        for text in &texts {
            filtered.extend(self.filter_for_lineage(current, text, true)?);
            destinations.extend(self.revisions(text)?);
        }
        dedup(&mut filtered);
        let mut rows: Vec<usize> = current.to_vec();
        let remove = |rows: &mut Vec<usize>, index: usize| -> Result<(), ResolveError> {
            match rows.iter().position(|row| *row == index) {
                Some(position) => {
                    rows.remove(position);
                    Ok(())
                }
                None => Err(conflict(format!(
                    "{} is no longer a current head after an earlier step of the same stamp",
                    self.id(index)
                ))),
            }
        };
        if destinations.is_empty() {
            for head in &filtered {
                remove(&mut rows, *head)?;
            }
            return Ok(rows);
        }
        for destination in destinations {
            if filtered.contains(&destination) {
                continue;
            }
            let below = self.descendants([destination]);
            let above = self.ancestors([destination]);
            let moves_heads = filtered.iter().any(|h| below.contains(h))
                || filtered.iter().any(|h| above.contains(h));
            let lost = filtered.iter().any(|h| !rows.contains(h));
            let is_upgrade = !filtered.iter().any(|h| below.contains(h));
            if moves_heads && !(is_upgrade && lost) {
                for head in &filtered {
                    remove(&mut rows, *head)?;
                }
            }
            if rows.contains(&destination) {
                return Err(conflict(format!(
                    "{} is already a current head",
                    self.id(destination)
                )));
            }
            rows.push(destination);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn node(id: &str, down: &[&str], deps: &[&str], labels: &[&str]) -> Node {
        let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Node {
            id: id.to_string(),
            down_revisions: owned(down),
            depends_on: owned(deps),
            branch_labels: owned(labels),
        }
    }

    fn t(text: &str) -> Target {
        text.parse().unwrap()
    }

    /// The blog example: users, then posts and tags on two branches.
    fn blog() -> Graph {
        Graph::new(&[
            node("a1c3e5f70b12", &[], &[], &[]),
            node("b2d4f6081c23", &["a1c3e5f70b12"], &[], &[]),
            node("c3e5071a2d34", &["a1c3e5f70b12"], &[], &[]),
        ])
    }

    #[test]
    fn downgrade_to_a_sibling_reverts_nothing() {
        let graph = blog();
        assert!(graph.downgrade(&[1, 2], &t("c3e5")).unwrap().is_empty());
        assert!(graph.downgrade(&[1, 2], &t("b2d4")).unwrap().is_empty());
        assert_eq!(
            graph.downgrade(&[1, 2], &t("a1c3")).unwrap(),
            BTreeSet::from([1, 2])
        );
        let error = graph.downgrade(&[1, 2], &t("-1")).unwrap_err().to_string();
        assert!(error.contains("`downgrade b2d4f6081c23-1`"), "{error}");
    }

    /// The line `a - b - c - d` with `x` on `c`, and `e` off `a` with `y`.
    fn labelled_line() -> Graph {
        Graph::new(&[
            node("aaaa", &[], &[], &[]),
            node("bbbb", &["aaaa"], &[], &[]),
            node("cccc", &["bbbb"], &[], &["x"]),
            node("dddd", &["cccc"], &[], &[]),
            node("eeee", &["aaaa"], &[], &["y"]),
        ])
    }

    #[test]
    fn labels_go_up_the_branch_and_down_to_its_fork() {
        let graph = labelled_line();
        let labels =
            |index: usize| -> Vec<String> { graph.branch_labels(index).into_iter().collect() };
        // `a` is a branch point: `x` stops above it, `y` too.
        assert!(labels(0).is_empty());
        assert_eq!(labels(1), ["x"]);
        assert_eq!(labels(2), ["x"]);
        assert_eq!(labels(3), ["x"]);
        assert_eq!(labels(4), ["y"]);
        // A fork above the labelled revision keeps the label off its ancestors.
        let forked = Graph::new(&[
            node("aaaa", &[], &[], &[]),
            node("bbbb", &["aaaa"], &[], &["x"]),
            node("cccc", &["bbbb"], &[], &[]),
            node("dddd", &["bbbb"], &[], &[]),
        ]);
        assert!(forked.branch_labels(0).is_empty());
        assert_eq!(
            forked.branch_labels(3).into_iter().collect::<Vec<_>>(),
            ["x"]
        );
    }

    #[test]
    fn history_ranges_take_relative_ends() {
        let graph = labelled_line();
        let range = |lower: &str, upper: &str, current: &[usize]| {
            graph
                .history_range(lower, upper, current)
                .map(|set| set.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(range("base", "+1", &[]).unwrap(), [0]);
        assert!(matches!(
            range("base", "+2", &[]),
            Err(ResolveError::AmbiguousWalk { .. })
        ));
        assert_eq!(range("bbbb", "+2", &[]).unwrap(), [1, 2, 3]);
        assert_eq!(range("current", "+1", &[1]).unwrap(), [1, 2]);
        assert_eq!(range("current", "", &[2]).unwrap(), [2, 3]);
        assert_eq!(range("x@-1", "", &[]).unwrap(), [2, 3]);
        assert_eq!(range("", "dddd-2", &[]).unwrap(), [0, 1]);
        // Past the end, the walk stops at the end.
        assert_eq!(range("cccc", "+9", &[]).unwrap(), [2, 3]);
        // `:current` at base is every revision, as Alembic's `head or "heads"`.
        assert_eq!(range("", "current", &[]).unwrap().len(), 5);
        assert!(matches!(
            range("dddd", "bbbb", &[]),
            Err(ResolveError::RangeNotOnOneBranch { .. })
        ));
        assert!(range("+1", "", &[]).is_err());
        assert!(range("", "-1", &[]).is_err());
    }

    #[test]
    fn stamp_takes_several_revisions() {
        let graph = labelled_line();
        assert_eq!(
            graph.stamp_all(&[], &[t("dddd"), t("eeee")]).unwrap(),
            [3, 4]
        );
        assert_eq!(
            graph.stamp_all(&[3, 4], &[t("base")]).unwrap(),
            Vec::<usize>::new()
        );
        // `base` among other revisions stands for nothing.
        assert_eq!(
            graph.stamp_all(&[3], &[t("base"), t("eeee")]).unwrap(),
            [3, 4]
        );
    }

    #[test]
    fn a_label_in_depends_on_is_an_edge() {
        let graph = Graph::new(&[
            node("aaaa", &[], &[], &[]),
            node("nnnn", &[], &[], &["net"]),
            node("bbbb", &["aaaa"], &["net"], &[]),
        ]);
        assert_eq!(graph.dependencies(2), [1]);
        assert_eq!(
            graph.upgrade(&[], &t("bbbb")).unwrap(),
            BTreeSet::from([0, 1, 2])
        );
        // Versioned heads ignore it; the real heads do not.
        assert_eq!(graph.heads(), [1, 2]);
        assert_eq!(graph.real_heads(), [2]);
        assert_eq!(graph.current_heads(&BTreeSet::from([0, 1, 2])), [2]);
    }

    #[test]
    fn label_at_head_and_base() {
        let graph = Graph::new(&[
            node("aaaa", &[], &[], &["left"]),
            node("bbbb", &["aaaa"], &[], &[]),
            node("nnnn", &[], &[], &["net"]),
            node("mmmm", &["nnnn"], &[], &[]),
        ]);
        assert_eq!(graph.revision("net@head").unwrap(), Some(3));
        assert_eq!(
            graph.upgrade(&[], &t("net@head")).unwrap(),
            BTreeSet::from([2, 3])
        );
        assert_eq!(
            graph.downgrade(&[1, 3], &t("net@base")).unwrap(),
            BTreeSet::from([2, 3])
        );
        assert!(matches!(
            graph.revision("head"),
            Err(ResolveError::MultipleHeads { .. })
        ));
    }

    /// A random DAG: every edge points at an earlier revision.
    fn dag() -> impl Strategy<Value = Vec<Node>> {
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
                any::<bool>(),
            ),
            1..25,
        )
        .prop_map(|choices| {
            let ids: Vec<String> = (0..choices.len()).map(|i| format!("r{i:04}")).collect();
            choices
                .iter()
                .enumerate()
                .map(|(i, (picks, dep))| {
                    let mut down: Vec<String> = if i == 0 {
                        Vec::new()
                    } else {
                        picks.iter().map(|p| ids[p.index(i)].clone()).collect()
                    };
                    down.sort();
                    down.dedup();
                    let deps = if *dep && i > 1 && !down.is_empty() {
                        vec![ids[i / 2].clone()]
                    } else {
                        Vec::new()
                    };
                    Node {
                        id: ids[i].clone(),
                        down_revisions: down,
                        depends_on: deps,
                        branch_labels: Vec::new(),
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn upgrade_then_downgrade_restores_and_never_reverts_a_non_descendant(
            nodes in dag(),
            start in any::<prop::sample::Index>(),
            to in any::<prop::sample::Index>(),
            down_to in any::<prop::sample::Index>(),
        ) {
            let graph = Graph::new(&nodes);
            let n = graph.len();
            let start = start.index(n);
            let applied = graph.ancestors([start]);
            let heads = graph.current_heads(&applied);
            let target = Target::absolute(graph.id(to.index(n)));
            let needs = graph.upgrade(&heads, &target).unwrap();
            let mut after: BTreeSet<usize> = applied.union(&needs).copied().collect();
            // Closed under ancestry.
            prop_assert_eq!(&graph.ancestors(after.iter().copied()), &after);
            // Back down to where we started: only what the upgrade added goes.
            let back = Target::absolute(graph.id(start));
            // (Alembic refuses when nothing applied descends from a versioned
            // child of the target and the target is not a current head.)
            if let Ok(reverted) = graph.downgrade(&graph.current_heads(&after), &back) {
                let descendants = graph.descendants([start]);
                for r in &reverted {
                    prop_assert!(descendants.contains(r) && *r != start);
                }
                let above = graph.descendants(graph.children(start).iter().copied());
                let restores = needs.is_subset(&above);
                for r in &reverted {
                    after.remove(r);
                }
                prop_assert!(after.is_superset(&applied));
                if restores {
                    prop_assert_eq!(&after, &applied);
                }
                prop_assert_eq!(&graph.ancestors(after.iter().copied()), &after);
            }
            // Any downgrade target reverts only its own strict descendants.
            let d = down_to.index(n);
            if let Ok(reverted) =
                graph.downgrade(&graph.current_heads(&after), &Target::absolute(graph.id(d)))
            {
                let below = graph.descendants([d]);
                for r in &reverted {
                    prop_assert!(below.contains(r) && *r != d);
                }
            }
            // Downgrade to base empties the state.
            let all = graph.downgrade(&graph.current_heads(&after), &Target::base()).unwrap();
            prop_assert_eq!(all, after);
        }
    }
}
