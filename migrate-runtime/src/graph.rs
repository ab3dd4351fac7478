//! The plan's revision graph: a [`migrate_core::Graph`] over the plan's
//! revisions, in plan order (a revision's index is its position in the
//! plan). Every question about heads, ancestry or targets goes to
//! `migrate-core`; this module only builds the graph and translates its
//! errors into the runtime's.

use migrate_core::{Graph, ResolveError};

use crate::error::{Direction, Error};
use crate::plan::Plan;

/// The graph of `plan`, indices in plan order, built from the edges the
/// compiler resolved (no name is looked up again).
pub(crate) fn of(plan: &Plan) -> &Graph {
    plan.graph()
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
