//! `migrate-build`: the migration compiler.
//!
//! It reads a migrations directory (`-- revision:` headers, then
//! `-- migrate:upgrade` / `-- migrate:downgrade` sections of SQL), parses
//! every statement, checks the revision graph, replays the schema to lint
//! each statement against the tables it touches, and puts the revisions in
//! one deterministic plan order. `embed_migrations!` (through
//! `migrate-macros`), the one-line `build.rs` helper [`watch`] and
//! `cargo migrate` are thin shells over [`compile()`].
//!
//! # Design
//!
//! The key design decision is that **the compiler never touches a
//! database**: everything Alembic finds out at `upgrade` time is decided
//! here, from the files alone, at build time.
//!
//! - The same directory gives the same plan and the same diagnostics on any
//!   machine, so a broken history fails `cargo build` on the developer's
//!   laptop, not a deploy.
//! - Errors are data, not the first failure: each stage collects every
//!   problem it can see as a [`Diagnostic`] (a byte span into the file,
//!   labels, help), and [`render()`] turns them into rustc-style text. The
//!   proc macro shows them as one `compile_error!`, the CLI in colour.
//! - The runtime stays small: it receives an ordered, checksummed plan and
//!   needs no SQL parser of its own.
//!
//! # Example
//!
//! Compile a directory holding one revision and look at the result:
//!
//! ```
//! use migrate_build::{compile, Options};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("ab12cd34ef56_create_users.sql"),
//!     "-- revision: ab12cd34ef56\n\
//!      -- down_revision: none\n\
//!      -- message: create users\n\
//!      \n\
//!      -- migrate:upgrade\n\
//!      CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL);\n\
//!      \n\
//!      -- migrate:downgrade\n\
//!      DROP TABLE users;\n",
//! )?;
//!
//! let compiled = compile(dir.path(), &Options::new().display_dir("migrations"))?;
//! let revision = &compiled.revisions[0];
//! assert_eq!(revision.id, "ab12cd34ef56");
//! assert_eq!(revision.message, "create users");
//! assert_eq!(revision.upgrade[0].statements.len(), 1);
//! assert!(compiled.warnings.is_empty());
//!
//! // A second base revision makes the history ambiguous: no plan, and the
//! // error names the files.
//! std::fs::write(
//!     dir.path().join("99ff_other.sql"),
//!     "-- revision: 99ff\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n",
//! )?;
//! let failure = compile(dir.path(), &Options::new().display_dir("migrations")).unwrap_err();
//! assert!(failure.errors().count() > 0);
//! assert!(failure.to_string().contains("migrations/"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod autogen;
mod build_script;
mod cache;
mod checksum;
pub mod codegen;
mod codes;
mod compile;
mod compiled;
pub mod config;
mod diagnostic;
mod directive;
#[cfg(feature = "emit")]
pub mod emit;
pub mod fingerprint;
pub mod graph;
pub mod header;
pub mod lint;
pub mod lock;
pub mod parse;
pub mod plan;
pub mod render;
pub mod revision;
pub mod schema;
pub mod source;
pub mod split;
// The one copy of the URL-password rule lives in `migrate-core`.
use migrate_core::url_mask;

#[cfg(test)]
pub(crate) mod test_support;

pub use build_script::watch;
pub use codes::{Code, Level, Rule};
pub use compile::{compile, Compiled, Failure, Options};
pub use compiled::{CheckedBy, CompiledRevision, CompiledSection, CompiledStatement};
pub use diagnostic::{Diagnostic, Label, Severity};
pub use render::{render, Sources, Style};
