//! The `embed_migrations!` proc macro. Not meant to be used directly: depend
//! on `migrate-runtime`, which re-exports it. Everything that can fail lives
//! in `migrate-build`, where it is unit-tested; this crate only forwards.
