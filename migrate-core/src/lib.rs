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
//! This crate has no SQL parser, no database driver and no file I/O.

#![warn(missing_docs)]

pub mod error;
pub mod graph;
pub mod target;

pub use error::ResolveError;
pub use graph::{Graph, Node};
pub use target::Target;
