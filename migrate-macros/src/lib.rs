//! The `embed_migrations!` proc macro. Not meant to be used directly: depend
//! on `migrate-runtime`, which re-exports it. Everything that can fail lives
//! in `migrate-build`, where it is unit-tested; this crate only forwards.

use proc_macro::TokenStream;

/// Compiles a migrations directory into a static `migrate_runtime::Plan`.
/// See `migrate_runtime::embed_migrations!` for the documentation.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    migrate_build::emit::expand(input.into()).into()
}
