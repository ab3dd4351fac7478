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
    expand_with(
        input,
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::var_os("OUT_DIR").map(PathBuf::from),
    )
}

/// [`expand`] with Cargo's variables given rather than read.
#[doc(hidden)]
pub fn expand_with(
    input: TokenStream,
    manifest_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
) -> TokenStream {
    let expanded =
        syn::parse2::<Input>(input).and_then(|input| expand_input(&input, manifest_dir, out_dir));
    match expanded {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn expand_input(
    input: &Input,
    manifest_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
) -> syn::Result<TokenStream> {
    let relative = PathBuf::from(input.path.value());
    if relative.is_absolute() {
        return Err(syn::Error::new(
            input.path.span(),
            "the migrations directory must be relative to the crate's Cargo.toml: an absolute path works only on this machine",
        ));
    }
    let manifest_dir = manifest_dir.ok_or_else(|| {
        syn::Error::new(
            input.path.span(),
            "CARGO_MANIFEST_DIR is unset: build this crate with Cargo",
        )
    })?;
    let absolute = manifest_dir.join(&relative);
    if input.unwatched {
        return Ok(compile_now(&absolute, &relative));
    }
    let Some(out_dir) = out_dir else {
        return Err(syn::Error::new(input.path.span(), advice(&relative, false)));
    };
    let generated = generated_path(&out_dir, &absolute);
    if !generated.is_file() {
        return Err(syn::Error::new(input.path.span(), advice(&relative, true)));
    }
    if let Err(stale) = crate::fingerprint::check(&generated, &absolute) {
        return Err(syn::Error::new(
            input.path.span(),
            stale_advice(&relative, &stale),
        ));
    }
    // A broken history: re-emit the error at the macro call (tokens parsed
    // from a string get the call site's span) rather than pointing rustc
    // into a generated file. Rebuilds still follow the directory, through
    // the build script's `rustc-env` fingerprint.
    if starts_with_error(&generated) {
        if let Ok(text) = std::fs::read_to_string(&generated) {
            return text.parse::<TokenStream>().map_err(|error| {
                syn::Error::new(
                    input.path.span(),
                    format!("unreadable {}: {error}", generated.display()),
                )
            });
        }
    }
    let shown = generated.to_string_lossy().into_owned();
    Ok(quote::quote!(::core::include!(#shown)))
}

/// Whether the generated file is a `compile_error!`, reading only its start
/// (a plan is a megabyte at 1,000 revisions).
fn starts_with_error(generated: &Path) -> bool {
    use std::io::Read as _;
    let prefix = crate::codegen::ERROR_PREFIX.as_bytes();
    let mut start = vec![0u8; prefix.len()];
    std::fs::File::open(generated)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == prefix)
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

/// The exact advice for a plan in `OUT_DIR` that no longer matches the
/// directory.
fn stale_advice(relative: &Path, stale: &crate::fingerprint::Stale) -> String {
    let dir = relative.display();
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<this crate>".to_string());
    format!(
        "the migration plan that build.rs wrote for `{dir}` does not match the directory ({stale}), \
         so embedding it would ship an old history\n\
         help: keep `migrate_build::watch(\"{dir}\");` in build.rs's `fn main`, so that Cargo reruns it when a file changes\n\
         help: if it is there, the files kept old timestamps (e.g. copied with `cp -a`): `touch {dir}/*` or run `cargo clean -p {package}`"
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

    /// 1,000 revisions of about 1 KiB each.
    fn history(dir: &Path) {
        std::fs::create_dir_all(dir).expect("create");
        for i in 0..1000 {
            let parent = if i == 0 {
                "none".to_string()
            } else {
                format!("{:012x}", i - 1)
            };
            let mut text = format!(
                "-- revision: {i:012x}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n\
                 CREATE TABLE t{i} (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL, email VARCHAR(320));\n\
                 CREATE INDEX idx_t{i}_name ON t{i} (name);\n"
            );
            for row in 0..8 {
                text.push_str(&format!(
                    "INSERT INTO t{i} (id, name, email) VALUES ({row}, 'name {row}', 'user{row}@example.com');\n"
                ));
            }
            text.push_str(&format!("\n-- migrate:downgrade\nDROP TABLE t{i};\n"));
            std::fs::write(dir.join(format!("{i:012x}_t{i}.sql")), text).expect("write");
        }
    }

    #[test]
    fn watched_expansion_of_1000_revisions_does_not_reparse() {
        let root = tempfile::tempdir().expect("tempdir");
        let manifest = root.path().join("app");
        let out = root.path().join("out");
        history(&manifest.join("migrations"));
        let started = std::time::Instant::now();
        let lines = crate::build_script::watch_lines_with(
            Path::new("migrations"),
            Some(manifest.clone()),
            Some(out.clone()),
        );
        let build_script = started.elapsed();
        assert!(lines[0] == "cargo:rerun-if-changed=migrations", "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l.starts_with("cargo:rustc-env=MIGRATE_BUILD_PLAN_")));

        let input: TokenStream = "\"migrations\"".parse().expect("tokens");
        let started = std::time::Instant::now();
        let watched = expand_with(input, Some(manifest.clone()), Some(out.clone()));
        let watched_time = started.elapsed();
        assert!(watched.to_string().contains("include"), "{watched}");

        let input: TokenStream = "\"migrations\", unwatched".parse().expect("tokens");
        let started = std::time::Instant::now();
        let unwatched = expand_with(input, Some(manifest), Some(out));
        let unwatched_time = started.elapsed();
        assert!(unwatched.to_string().contains("embedded"));
        eprintln!(
            "1,000 revisions: build script {build_script:?} (once per change), \
             watched expansion {watched_time:?}, unwatched expansion {unwatched_time:?}"
        );
    }

    #[test]
    fn watched_errors_point_at_the_macro_and_unwatched_directories_get_advice() {
        let root = tempfile::tempdir().expect("tempdir");
        let manifest = root.path().join("app");
        let out = root.path().join("out");
        let dir = manifest.join("migrations");
        std::fs::create_dir_all(&dir).expect("create");
        std::fs::write(
            dir.join("aaaa0001_x.sql"),
            "-- revision: aaaa0001\n-- down_revision: gone\n\n-- migrate:upgrade\nSELECT 1;\n",
        )
        .expect("write");
        let input = || "\"migrations\"".parse::<TokenStream>().expect("tokens");
        // The build script has not run for this directory yet.
        let advice = expand_with(input(), Some(manifest.clone()), Some(out.clone())).to_string();
        assert!(advice.contains("does not watch `migrations`"), "{advice}");
        crate::build_script::watch_lines_with(
            Path::new("migrations"),
            Some(manifest.clone()),
            Some(out.clone()),
        );
        let error = expand_with(input(), Some(manifest), Some(out)).to_string();
        assert!(error.contains("compile_error"), "{error}");
        assert!(!error.contains("include"), "{error}");
        assert!(error.contains("[unknown-revision]"), "{error}");
    }

    #[test]
    fn a_plan_older_than_the_directory_is_refused_with_the_fix() {
        let root = tempfile::tempdir().expect("tempdir");
        let manifest = root.path().join("app");
        let out = root.path().join("out");
        let dir = manifest.join("migrations");
        std::fs::create_dir_all(&dir).expect("create");
        let first =
            "-- revision: aaaa0001\n-- down_revision: none\n\n-- migrate:upgrade\nSELECT 1;\n";
        std::fs::write(dir.join("aaaa0001_x.sql"), first).expect("write");
        crate::build_script::watch_lines_with(
            Path::new("migrations"),
            Some(manifest.clone()),
            Some(out.clone()),
        );
        let input = || "\"migrations\"".parse::<TokenStream>().expect("tokens");
        let fresh = expand_with(input(), Some(manifest.clone()), Some(out.clone())).to_string();
        assert!(fresh.contains("include"), "{fresh}");
        // Same size, other bytes: the build script did not run again.
        std::fs::write(
            dir.join("aaaa0001_x.sql"),
            first.replace("SELECT 1", "SELECT 2"),
        )
        .expect("write");
        let stale = expand_with(input(), Some(manifest.clone()), Some(out.clone())).to_string();
        assert!(stale.contains("compile_error"), "{stale}");
        assert!(!stale.contains("include"), "{stale}");
        assert!(
            stale.contains("migrate_build :: watch") || stale.contains("migrate_build::watch"),
            "{stale}"
        );
        assert!(stale.contains("cargo clean -p"), "{stale}");
        crate::build_script::watch_lines_with(
            Path::new("migrations"),
            Some(manifest.clone()),
            Some(out.clone()),
        );
        let again = expand_with(input(), Some(manifest), Some(out)).to_string();
        assert!(again.contains("include"), "{again}");
    }

    #[test]
    fn input_errors_are_compile_errors() {
        assert!(expand_str("").contains("expected the migrations directory"));
        assert!(expand_str("\"m\", watched").contains("the only option is `unwatched`"));
        assert!(expand_str("\"/abs\"").contains("relative to the crate's Cargo.toml"));
        assert!(expand_str("\"m\", unwatched, 3").contains("unexpected input"));
    }
}
