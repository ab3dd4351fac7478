//! The plan's revision graph: a [`migrate_core::Graph`] over the plan's
//! revisions, in plan order (a revision's index is its position in the
//! plan). Every question about heads, ancestry or targets goes to
//! `migrate-core`; this module only builds the graph and translates its
//! errors into the runtime's.

use migrate_core::{Graph, Node, ResolveError};

use crate::error::{Direction, Error};
use crate::plan::Plan;

/// The graph of `plan`, indices in plan order.
pub(crate) fn of(plan: &Plan) -> Graph {
    let nodes: Vec<Node> = plan
        .revisions()
        .iter()
        .map(|revision| Node {
            id: revision.id().to_string(),
            down_revisions: revision
                .down_revisions()
                .iter()
                .map(|t| t.to_string())
                .collect(),
            depends_on: revision
                .depends_on()
                .iter()
                .map(|t| t.to_string())
                .collect(),
            branch_labels: revision
                .branch_labels()
                .iter()
                .map(|t| t.to_string())
                .collect(),
        })
        .collect();
    Graph::new(&nodes)
}

/// A resolution error as the runtime reports it, for a move in `direction`.
pub(crate) fn error(error: ResolveError, direction: Direction) -> Error {
    match error {
        ResolveError::InvalidTarget { input, reason } => Error::InvalidTarget { input, reason },
        ResolveError::UnknownRevision { reference } => Error::UnknownRevision { reference },
        ResolveError::AmbiguousPrefix { prefix, matches } => {
            Error::AmbiguousRevision { prefix, matches }
        }
        ResolveError::InvalidMove { target, reason } => Error::InvalidMove {
            direction,
            target,
            reason,
        },
        ResolveError::MultipleHeads { argument, heads } if argument == "head" => {
            Error::MultipleHeads { heads }
        }
        other => Error::Resolve(other),
    }
}
