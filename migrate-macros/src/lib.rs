//! The `embed_migrations!` proc macro. Not meant to be used directly: depend
//! on `migrate-runtime`, which re-exports it and documents it.
//!
//! The key design decision is that this crate is **a shell**: it holds one
//! function that forwards its tokens to `migrate_build::emit::expand`.
//! Everything that can fail (reading the directory, parsing, the graph
//! checks, rendering the diagnostics into one `compile_error!`) and the
//! token emission itself live in the ordinary library `migrate-build`,
//! where they are unit- and snapshot-tested without a compiler in the
//! loop; a proc-macro crate can export nothing but macros, so no test
//! could reach code kept here.
//!
//! # Example
//!
//! A proc-macro crate cannot call its own macro in a doctest, so the
//! runnable example lives in `migrate-runtime`'s crate documentation. The
//! input is a directory relative to the calling crate's `Cargo.toml`,
//! optionally followed by `unwatched`; the expansion is a constant
//! expression of type `migrate_runtime::Plan`. What the macro does with it
//! can be shown through the library it forwards to:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A crate whose `Cargo.toml` sits in `crate_dir`, with one revision.
//! let crate_dir = tempfile::tempdir()?;
//! std::fs::create_dir(crate_dir.path().join("migrations"))?;
//! std::fs::write(
//!     crate_dir.path().join("migrations/0001_init.sql"),
//!     "-- revision: 0001\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
//! )?;
//! // `embed_migrations!("migrations", unwatched)` in that crate expands to
//! // these tokens (the macro reads `CARGO_MANIFEST_DIR` and `OUT_DIR`).
//! let input: proc_macro2::TokenStream = r#""migrations", unwatched"#.parse()?;
//! let expansion =
//!     migrate_build::emit::expand_with(input, Some(crate_dir.path().to_path_buf()), None)
//!         .to_string();
//! assert!(expansion.contains("migrate_runtime"), "{expansion}");
//! assert!(expansion.contains("CREATE TABLE t (id INTEGER)"));
//! assert!(!expansion.contains("compile_error"));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

use proc_macro::TokenStream;

/// Compiles a migrations directory into a static `migrate_runtime::Plan`.
/// See `migrate_runtime::embed_migrations!` for the documentation.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    migrate_build::emit::expand(input.into()).into()
}
