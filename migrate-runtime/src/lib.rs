//! `migrate-runtime`: applies a plan compiled by `embed_migrations!`.

pub mod plan;

pub use plan::{Dialect, Plan, Revision, Section, Statement, Text};
