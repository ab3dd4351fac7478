//! `cargo migrate`: the Alembic verbs over a migrations directory.
