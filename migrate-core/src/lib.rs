//! `migrate-core`: the one place that knows the revision graph.
//!
//! Heads, bases, ancestry, descendants, branch points, the plan order, and
//! what a target (`head`, `heads`, `base`, an id or prefix, `+N`, `-N`,
//! `<id>+N`, `head-N`, `<label>@head`, `<label>@base`) means from a
//! database's current heads are computed here and nowhere else: the
//! compiler (`migrate-build`), the runtime (`migrate-runtime`), its `cli`
//! module and `cargo migrate` all call [`Graph`]. The semantics are Alembic
//! 1.x's `RevisionMap` (`_collect_upgrade_revisions`,
//! `_collect_downgrade_revisions`, `_stamp_revs`), checked against Alembic
//! itself by the workspace's differential test.
//!
//! It also holds what every crate shares: the [`Plan`] data types that the
//! compiler produces and the runtime applies, the one [`Dialect`], the
//! `migrate.lock` format ([`lock`]), the revision id, branch label and
//! version table names ([`names`]), the stored downgrade's encoding
//! ([`stored`]) and database URL password masking ([`url_mask`]).
//!
//! This crate has no SQL parser, no database driver and no file I/O.

#![warn(missing_docs)]

pub mod adopt;
pub mod dialect;
pub mod digest;
pub mod error;
pub mod graph;
pub mod lock;
pub mod names;
pub mod plan;
pub mod stored;
pub mod target;
pub mod url_mask;

pub use dialect::Dialect;
pub use error::ResolveError;
pub use graph::{Graph, Node};
pub use heads::HeadSet;
pub use plan::{Edges, Plan, PlanError, Revision, Section, Statement, Text};
pub use target::Target;

mod heads {
    use std::collections::{BTreeSet, HashMap};

    /// The heads of a set of version rows that changes one row at a time:
    /// the rows no other row of the set names as a parent. Kept
    /// incrementally, so that writing the summary after each revision does
    /// not rescan the table.
    #[derive(Debug, Clone, Default)]
    pub struct HeadSet {
        referenced: HashMap<String, u32>,
        heads: BTreeSet<String>,
    }

    impl HeadSet {
        /// A row `id` with these parents joined the set.
        pub fn add(&mut self, id: &str, parents: &[String]) {
            for parent in parents {
                *self.referenced.entry(parent.clone()).or_insert(0) += 1;
                self.heads.remove(parent);
            }
            if !self.referenced.contains_key(id) {
                self.heads.insert(id.to_string());
            }
        }

        /// A row `id` with these parents left the set; `is_member` tells
        /// whether a parent's row is still in it.
        pub fn remove(&mut self, id: &str, parents: &[String], is_member: impl Fn(&str) -> bool) {
            self.heads.remove(id);
            for parent in parents {
                if let Some(count) = self.referenced.get_mut(parent) {
                    *count -= 1;
                    if *count == 0 {
                        self.referenced.remove(parent);
                        if is_member(parent) {
                            self.heads.insert(parent.clone());
                        }
                    }
                }
            }
        }

        /// The heads, sorted by id.
        pub fn heads(&self) -> impl Iterator<Item = &String> {
            self.heads.iter()
        }
    }
}
