//! The revision graph of a plan, and what a target means on it.
//!
//! A database's state is the set of applied revisions, closed under
//! ancestry. Revisions are referred to by their index in plan order, so a
//! `BTreeSet<usize>` iterates in plan order and, reversed, in reverse plan
//! order: exactly the orders upgrade and downgrade run in.

use std::collections::{BTreeSet, HashMap};

use crate::error::{Direction, Error};
use crate::plan::Plan;
use crate::target::{Anchor, Target};

/// The shortest prefix accepted for a revision id.
pub(crate) const MIN_PREFIX: usize = 4;

/// Index-based view of a plan's graph.
pub(crate) struct Graph<'p> {
    plan: &'p Plan,
    index: HashMap<&'p str, usize>,
    /// `down_revisions` and `depends_on`: everything that must be applied first.
    requires: Vec<Vec<usize>>,
    /// `down_revisions` only: the edges a walk (`+N`, `head-1`) follows.
    down: Vec<Vec<usize>>,
    /// The inverse of `down`.
    up: Vec<Vec<usize>>,
    /// The inverse of `requires`.
    required_by: Vec<Vec<usize>>,
}

impl<'p> Graph<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Graph<'p> {
        let revisions = plan.revisions();
        let index: HashMap<&str, usize> = revisions
            .iter()
            .enumerate()
            .map(|(position, revision)| (revision.id(), position))
            .collect();
        let mut requires = vec![Vec::new(); revisions.len()];
        let mut down = vec![Vec::new(); revisions.len()];
        let mut up = vec![Vec::new(); revisions.len()];
        let mut required_by = vec![Vec::new(); revisions.len()];
        for (position, revision) in revisions.iter().enumerate() {
            for parent in revision.down_revisions() {
                if let Some(&parent) = index.get(parent.as_ref()) {
                    down[position].push(parent);
                    up[parent].push(position);
                    requires[position].push(parent);
                    required_by[parent].push(position);
                }
            }
            for dependency in revision.depends_on() {
                if let Some(&dependency) = index.get(dependency.as_ref()) {
                    requires[position].push(dependency);
                    required_by[dependency].push(position);
                }
            }
        }
        Graph {
            plan,
            index,
            requires,
            down,
            up,
            required_by,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.requires.len()
    }

    pub(crate) fn id(&self, position: usize) -> &'p str {
        self.plan.revisions()[position].id()
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Revisions nothing requires, in plan order.
    pub(crate) fn heads(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&position| self.required_by[position].is_empty())
            .collect()
    }

    /// `roots` and all their ancestors (through `down_revision` and `depends_on`).
    pub(crate) fn closure(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = roots.into_iter().collect();
        while let Some(position) = stack.pop() {
            if seen.insert(position) {
                stack.extend(self.requires[position].iter().copied());
            }
        }
        seen
    }

    /// `root` and everything that requires it, directly or not.
    pub(crate) fn descendants(&self, root: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(position) = stack.pop() {
            if seen.insert(position) {
                stack.extend(self.required_by[position].iter().copied());
            }
        }
        seen
    }

    /// An exact id, or a unique prefix of at least [`MIN_PREFIX`] characters.
    pub(crate) fn lookup(&self, reference: &str) -> Result<usize, Error> {
        if let Some(position) = self.position(reference) {
            return Ok(position);
        }
        if reference.len() < MIN_PREFIX {
            return Err(Error::UnknownRevision {
                reference: reference.to_string(),
            });
        }
        let matches: Vec<usize> = (0..self.len())
            .filter(|&position| self.id(position).starts_with(reference))
            .collect();
        match matches.as_slice() {
            [] => Err(Error::UnknownRevision {
                reference: reference.to_string(),
            }),
            [only] => Ok(*only),
            several => Err(Error::AmbiguousRevision {
                prefix: reference.to_string(),
                matches: several
                    .iter()
                    .map(|&position| self.id(position).to_string())
                    .collect(),
            }),
        }
    }

    fn labelled(&self, label: &str) -> Result<usize, Error> {
        self.plan
            .revisions()
            .iter()
            .position(|revision| revision.branch_labels().iter().any(|l| l == label))
            .ok_or_else(|| Error::UnknownRevision {
                reference: format!("{label}@"),
            })
    }

    fn single_head(&self, heads: Vec<usize>) -> Result<usize, Error> {
        match heads.as_slice() {
            [only] => Ok(*only),
            [] => Err(Error::UnknownRevision {
                reference: "head".to_string(),
            }),
            several => Err(Error::MultipleHeads {
                heads: several
                    .iter()
                    .map(|&position| self.id(position).to_string())
                    .collect(),
            }),
        }
    }

    fn branch_head(&self, label: &str) -> Result<usize, Error> {
        let labelled = self.labelled(label)?;
        let lineage = self.descendants(labelled);
        let heads = self
            .heads()
            .into_iter()
            .filter(|head| lineage.contains(head))
            .collect();
        self.single_head(heads)
    }

    /// Follows `down_revision` edges `steps` times (up when positive).
    /// `None` is base, reached by walking down past a base revision.
    fn walk(&self, target: &Target, start: usize, steps: i64) -> Result<Option<usize>, Error> {
        let ambiguous = |reason: &str| Error::InvalidTarget {
            input: target.to_string(),
            reason: reason.to_string(),
        };
        let mut current = Some(start);
        for _ in 0..steps.unsigned_abs() {
            let Some(position) = current else {
                return Err(ambiguous("walked past base"));
            };
            let next = if steps > 0 {
                &self.up[position]
            } else {
                &self.down[position]
            };
            current =
                match next.as_slice() {
                    [] if steps > 0 => return Err(ambiguous("walked past a head")),
                    [] => None,
                    [only] => Some(*only),
                    _ if steps > 0 => return Err(ambiguous(
                        "ambiguous walk: a branch point has several children; name the revision",
                    )),
                    _ => {
                        return Err(ambiguous(
                            "ambiguous walk: a merge has several parents; name the revision",
                        ))
                    }
                };
        }
        Ok(current)
    }

    fn anchor(&self, anchor: &Anchor) -> Result<usize, Error> {
        match anchor {
            Anchor::Head => self.single_head(self.heads()),
            Anchor::Revision(reference) => self.lookup(reference),
            Anchor::BranchHead(label) => self.branch_head(label),
        }
    }

    /// The applied set the database should have after moving to `target`
    /// from `applied`.
    pub(crate) fn resolve(
        &self,
        target: &Target,
        applied: &BTreeSet<usize>,
        direction: Direction,
    ) -> Result<BTreeSet<usize>, Error> {
        let wrong_way = |reason: &str| Error::InvalidMove {
            direction,
            target: target.to_string(),
            reason: reason.to_string(),
        };
        match target {
            Target::Head => Ok(self.closure([self.single_head(self.heads())?])),
            Target::Heads => Ok(self.closure(self.heads())),
            Target::Base => Ok(BTreeSet::new()),
            Target::Revision(reference) => Ok(self.closure([self.lookup(reference)?])),
            Target::BranchHead(label) => Ok(self.closure([self.branch_head(label)?])),
            Target::BranchBase(label) => {
                if direction == Direction::Upgrade {
                    return Err(wrong_way("`<label>@base` only makes sense for downgrade"));
                }
                let lineage = self.descendants(self.labelled(label)?);
                Ok(applied.difference(&lineage).copied().collect())
            }
            Target::Walk { from, steps } => {
                // An id that itself ends in `-N` is a revision, not a walk.
                if let Anchor::Revision(name) = from {
                    if let Some(position) = self.position(&format!("{name}{steps:+}")) {
                        return Ok(self.closure([position]));
                    }
                }
                let start = self.anchor(from)?;
                Ok(match self.walk(target, start, *steps)? {
                    Some(position) => self.closure([position]),
                    None => BTreeSet::new(),
                })
            }
            Target::Relative(steps) => {
                let count = steps.unsigned_abs() as usize;
                match (direction, *steps > 0) {
                    (Direction::Upgrade, true) => {
                        let next: Vec<usize> = (0..self.len())
                            .filter(|p| !applied.contains(p))
                            .take(count)
                            .collect();
                        if next.len() < count {
                            return Err(wrong_way(&format!(
                                "only {} revision(s) are not applied",
                                next.len()
                            )));
                        }
                        // The first unapplied revisions in plan order have
                        // every ancestor either applied or among them.
                        Ok(applied.iter().copied().chain(next).collect())
                    }
                    (Direction::Downgrade, false) => {
                        if applied.len() < count {
                            return Err(wrong_way(&format!(
                                "only {} revision(s) are applied",
                                applied.len()
                            )));
                        }
                        Ok(applied
                            .iter()
                            .copied()
                            .take(applied.len() - count)
                            .collect())
                    }
                    (Direction::Upgrade, false) => Err(wrong_way("use `downgrade` with `-N`")),
                    (Direction::Downgrade, true) => Err(wrong_way("use `upgrade` with `+N`")),
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::{Dialect, Revision, Section, Statement, Text};
    use std::borrow::Cow;

    /// A plan from `(id, parents, labels)` triples, each revision creating
    /// and dropping a table named after it.
    pub(crate) fn plan(revisions: &[(&str, &[&str], &[&str])]) -> Plan {
        let texts = |items: &[&str]| -> Cow<'static, [Text]> {
            items
                .iter()
                .map(|item| Text::from(item.to_string()))
                .collect::<Vec<_>>()
                .into()
        };
        let section = |sql: String| -> Cow<'static, [Section]> {
            vec![Section {
                transactional: true,
                line: 6,
                statements: vec![Statement {
                    sql: sql.into(),
                    line: 7,
                }]
                .into(),
            }]
            .into()
        };
        Plan {
            revisions: revisions
                .iter()
                .map(|(id, parents, labels)| Revision {
                    id: id.to_string().into(),
                    down_revisions: texts(parents),
                    depends_on: texts(&[]),
                    branch_labels: texts(labels),
                    message: "".into(),
                    create_date: "".into(),
                    file: format!("migrations/{id}_x.sql").into(),
                    checksum: [0; 32],
                    upgrade: section(format!("CREATE TABLE t_{id} (id INTEGER)")),
                    downgrade: section(format!("DROP TABLE t_{id}")),
                })
                .collect::<Vec<_>>()
                .into(),
            version_table: "migrate_version".into(),
            dialect: Dialect::Generic,
        }
    }

    /// base -> {left (label `l`), right} -> merge -> top
    fn diamond() -> Plan {
        plan(&[
            ("base0000", &[], &[]),
            ("left0000", &["base0000"], &["l"]),
            ("right000", &["base0000"], &[]),
            ("merge000", &["left0000", "right000"], &[]),
            ("top00000", &["merge000"], &[]),
        ])
    }

    #[track_caller]
    fn check(target: &str, applied: &[usize], direction: Direction, expected: &[usize]) {
        let plan = diamond();
        let graph = Graph::new(&plan);
        let target: Target = target.parse().unwrap();
        let applied: BTreeSet<usize> = applied.iter().copied().collect();
        let got = graph.resolve(&target, &applied, direction).unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), expected);
    }

    #[track_caller]
    fn check_err(target: &str, applied: &[usize], direction: Direction, message_part: &str) {
        let plan = diamond();
        let graph = Graph::new(&plan);
        let target: Target = target.parse().unwrap();
        let applied: BTreeSet<usize> = applied.iter().copied().collect();
        let error = graph
            .resolve(&target, &applied, direction)
            .unwrap_err()
            .to_string();
        assert!(error.contains(message_part), "{error}");
    }

    use Direction::{Downgrade as D, Upgrade as U};

    #[test]
    fn targets_resolve_to_applied_sets() {
        check("head", &[], U, &[0, 1, 2, 3, 4]);
        check("heads", &[], U, &[0, 1, 2, 3, 4]);
        check("base", &[0, 1], D, &[]);
        check("left", &[], U, &[0, 1]);
        check("merge000", &[], U, &[0, 1, 2, 3]);
        check("+1", &[], U, &[0]);
        check("+2", &[0], U, &[0, 1, 2]);
        check("-1", &[0, 1, 2, 3], D, &[0, 1, 2]);
        check("-2", &[0, 1, 2], D, &[0]);
        check("head-1", &[], U, &[0, 1, 2, 3]);
        check("left0000+1", &[], U, &[0, 1, 2, 3]);
        check("base0000-1", &[0], D, &[]);
        check("l@head", &[], U, &[0, 1, 2, 3, 4]);
        check("l@base", &[0, 1, 2], D, &[0, 2]);
    }

    #[test]
    fn bad_targets_are_errors() {
        check_err("+6", &[], U, "only 5 revision(s)");
        check_err("-1", &[], D, "only 0 revision(s)");
        check_err("-1", &[], U, "use `downgrade`");
        check_err("zzzz", &[], U, "no revision matches `zzzz`");
        check_err("base0000+1", &[], U, "ambiguous walk");
        check_err("merge000-1", &[], U, "ambiguous walk");
        check_err("top00000+1", &[], U, "walked past a head");
        check_err("base0000-2", &[], U, "walked past base");
        check_err("nolabel@head", &[], U, "no revision matches");
        check_err("l@base", &[], U, "only makes sense for downgrade");
    }

    #[test]
    fn prefixes_must_be_unique_and_long_enough() {
        let plan = plan(&[("abcd1111", &[], &[]), ("abcd2222", &["abcd1111"], &[])]);
        let graph = Graph::new(&plan);
        assert_eq!(graph.lookup("abcd1").unwrap(), 0);
        assert_eq!(graph.lookup("abcd2222").unwrap(), 1);
        assert!(
            matches!(graph.lookup("abcd"), Err(Error::AmbiguousRevision { matches, .. }) if matches.len() == 2)
        );
        assert!(matches!(
            graph.lookup("abc"),
            Err(Error::UnknownRevision { .. })
        ));
    }

    #[test]
    fn several_heads_make_head_ambiguous() {
        let plan = plan(&[
            ("a0000000", &[], &[]),
            ("b0000000", &["a0000000"], &[]),
            ("c0000000", &["a0000000"], &[]),
        ]);
        let graph = Graph::new(&plan);
        let error = graph
            .resolve(&Target::Head, &BTreeSet::new(), U)
            .unwrap_err();
        assert!(
            matches!(error, Error::MultipleHeads { heads } if heads == ["b0000000", "c0000000"])
        );
        assert_eq!(
            graph
                .resolve(&Target::Heads, &BTreeSet::new(), U)
                .unwrap()
                .len(),
            3
        );
    }
}
