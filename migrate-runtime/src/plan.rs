//! The plan: the data types live in `migrate-core` (the compiler produces
//! them, the runtime applies them); re-exported here so that applications
//! name them `migrate_runtime::Plan` and friends.

pub use migrate_core::plan::{Dialect, Plan, Revision, Section, Statement, Text};
