//! The expansion of `embed_migrations!` (feature `emit`), kept here rather
//! than in the proc-macro crate so that it can be unit-tested.
//!
//! Input: a string literal, the migrations directory relative to the
//! crate's `CARGO_MANIFEST_DIR` (as with `sqlx::migrate!`), optionally
//! followed by `, unwatched`.
//!
//! - Watched (the default): the crate's `build.rs` calls
//!   [`crate::watch`], which compiles the directory whenever a file in it
//!   changes and writes the plan's source to `OUT_DIR`. The expansion is an
//!   `include!` of that file: no SQL is parsed when the crate recompiles
//!   for an unrelated edit. Without a build script (`OUT_DIR` unset), or
//!   when the script does not watch this directory, the expansion is an
//!   error with the exact advice to fix it, because otherwise a new
//!   migration file would not trigger a rebuild.
//! - `unwatched`: the documented opt-out. The macro compiles the directory
//!   itself on every expansion, and Cargo does not notice new files.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

use crate::build_script::generated_path;
use crate::compile::{compile, Options};

/// The parsed macro input.
struct Input {
    path: LitStr,
    unwatched: bool,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Input> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected the migrations directory, e.g. `embed_migrations!(\"migrations\")`",
            ));
        }
        let path: LitStr = input.parse()?;
        let mut unwatched = false;
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let flag: Ident = input.parse()?;
            if flag != "unwatched" {
                return Err(syn::Error::new(
                    flag.span(),
                    "unknown option: the only option is `unwatched`",
                ));
            }
            unwatched = true;
            let _ = input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected input after the migrations directory"));
        }
        Ok(Input { path, unwatched })
    }
}

/// Expands `embed_migrations!(<input>)`: the plan expression, or a
/// `compile_error!` (spanned on the literal for input errors).
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(|input| expand_input(&input)) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn expand_input(input: &Input) -> syn::Result<TokenStream> {
    let relative = PathBuf::from(input.path.value());
    if relative.is_absolute() {
        return Err(syn::Error::new(
            input.path.span(),
            "the migrations directory must be relative to the crate's Cargo.toml: an absolute path works only on this machine",
        ));
    }
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        syn::Error::new(
            input.path.span(),
            "CARGO_MANIFEST_DIR is unset: build this crate with Cargo",
        )
    })?;
    let absolute = Path::new(&manifest_dir).join(&relative);
    if input.unwatched {
        return Ok(compile_now(&absolute, &relative));
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return Err(syn::Error::new(input.path.span(), advice(&relative, false)));
    };
    let generated = generated_path(Path::new(&out_dir), &absolute);
    if !generated.is_file() {
        return Err(syn::Error::new(input.path.span(), advice(&relative, true)));
    }
    let shown = generated.to_string_lossy().into_owned();
    Ok(quote::quote!(::core::include!(#shown)))
}

/// The exact advice for a crate whose build script does not watch the directory.
fn advice(relative: &Path, has_build_script: bool) -> String {
    let dir = relative.display();
    let problem = if has_build_script {
        format!("the build script does not watch `{dir}`, so Cargo would not rebuild when a migration file is added, removed or edited")
    } else {
        "this crate has no build script, so Cargo would not rebuild when a migration file is added, removed or edited".to_string()
    };
    format!(
        "{problem}\n\
         help: add `build.rs` next to Cargo.toml with\n    fn main() {{ migrate_build::watch(\"{dir}\"); }}\n\
         and to Cargo.toml\n    [build-dependencies]\n    migrate-build = \"{version}\"\n\
         (`cargo migrate init` writes both), or opt out with `embed_migrations!(\"{dir}\", unwatched)`",
        version = env!("CARGO_PKG_VERSION")
    )
}

/// The unwatched path: compile here and now.
fn compile_now(absolute: &Path, relative: &Path) -> TokenStream {
    let options = Options::new().display_dir(relative);
    let source = match compile(absolute, &options) {
        Ok(compiled) => crate::codegen::plan_expr(&compiled),
        Err(failure) => crate::codegen::error_expr(&failure),
    };
    match source.parse::<TokenStream>() {
        Ok(tokens) => tokens,
        Err(error) => syn::Error::new(
            Span::call_site(),
            format!("embed_migrations! generated invalid Rust (a bug): {error}"),
        )
        .to_compile_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(input: &str) -> String {
        expand(input.parse().expect("tokens")).to_string()
    }

    #[test]
    fn input_errors_are_compile_errors() {
        assert!(expand_str("").contains("expected the migrations directory"));
        assert!(expand_str("\"m\", watched").contains("the only option is `unwatched`"));
        assert!(expand_str("\"/abs\"").contains("relative to the crate's Cargo.toml"));
        assert!(expand_str("\"m\", unwatched, 3").contains("unexpected input"));
    }
}
