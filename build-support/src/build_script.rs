//! The `build.rs` helper: [`watch`].
//!
//! On stable Rust a proc macro cannot ask Cargo to watch a directory, so
//! without help a new migration file would not trigger a rebuild, and the
//! binary would silently ship without it (sqlx's and refinery's macros have
//! this bug). A build script can: `cargo:rerun-if-changed=<dir>` makes Cargo
//! rescan the directory's modification times on every build, so adding,
//! removing or editing a file reruns the script.
//!
//! The script does more than watch. It compiles the directory, once per
//! change, and writes the plan's Rust source to `OUT_DIR`; the macro then
//! only `include!`s that file. So the SQL is parsed when a migration file
//! changes, not on every `cargo build` after an unrelated Rust edit (proc
//! macros re-expand on every build of their crate, and run unoptimised in
//! the dev profile). Lint warnings reach the user as `cargo:warning=` lines;
//! errors are left to the macro's `compile_error!`, which shows them in full.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::compile::{compile, Options};
use crate::diagnostic::Diagnostic;
use crate::render::Sources;

/// Call from `build.rs` with the same path as given to `embed_migrations!`
/// (relative to the crate's `Cargo.toml`):
///
/// ```text
/// // build.rs
/// fn main() {
///     migrate_build::watch("migrations");
/// }
/// ```
///
/// With `[build-dependencies] migrate-build = "..."` in `Cargo.toml`. Call it
/// once per migrations directory. It never panics: a broken history is
/// reported by the macro when the crate compiles.
pub fn watch(dir: impl AsRef<Path>) {
    let dir = dir.as_ref();
    let mut stdout = std::io::stdout().lock();
    for line in watch_lines(dir) {
        let _ = writeln!(stdout, "{line}");
    }
}

/// What [`watch`] prints, one `cargo:` instruction per line (for tests).
#[doc(hidden)]
pub fn watch_lines(dir: &Path) -> Vec<String> {
    watch_lines_with(
        dir,
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::var_os("OUT_DIR").map(PathBuf::from),
    )
}

/// [`watch_lines`] with Cargo's variables given rather than read.
#[doc(hidden)]
pub fn watch_lines_with(
    dir: &Path,
    manifest_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
) -> Vec<String> {
    let mut lines = vec![format!("cargo:rerun-if-changed={}", dir.display())];
    let (Some(manifest_dir), Some(out_dir)) = (manifest_dir, out_dir) else {
        lines.push(
            "cargo:warning=migrate_build::watch must be called from build.rs (CARGO_MANIFEST_DIR or OUT_DIR is unset)"
                .to_string(),
        );
        return lines;
    };
    let absolute = manifest_dir.join(dir);
    // Taken before the compile: a file saved while it runs makes the plan
    // stale, and the macro says so instead of embedding it.
    let fingerprint = crate::fingerprint::record(&absolute);
    let options = Options::new().display_dir(dir);
    let source = match compile(&absolute, &options) {
        Ok(compiled) => {
            for warning in &compiled.warnings {
                lines.push(format!(
                    "cargo:warning={}",
                    one_line(warning, &compiled.sources)
                ));
            }
            let expr = crate::codegen::plan_expr(&compiled);
            // A build script exits right after this. Freeing every
            // statement, span and syntax tree one allocation at a time cost
            // 0.13 to 0.23 s at 10,000 revisions (a fifth of the compile),
            // for memory the OS takes back at exit anyway.
            std::mem::forget(compiled);
            expr
        }
        Err(failure) => {
            let errors = failure.errors().count();
            lines.push(format!(
                "cargo:warning={}: {errors} error(s) in the migrations; `embed_migrations!` reports them in full",
                dir.display()
            ));
            crate::codegen::error_expr(&failure)
        }
    };
    let target = generated_path(&out_dir, &absolute);
    if let Err(error) = write_if_changed(&target, &source) {
        lines.push(format!(
            "cargo:warning=cannot write `{}`: {error}",
            target.display()
        ));
    }
    // An unreadable directory leaves no fingerprint: the macro then refuses
    // the plan, and the compile above has reported why.
    let recorded = crate::fingerprint::path_for(&target);
    let written = match fingerprint {
        Ok(fingerprint) => write_if_changed(&recorded, &fingerprint),
        Err(_) => std::fs::remove_file(&recorded).or_else(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(error)
            }
        }),
    };
    if let Err(error) = written {
        lines.push(format!(
            "cargo:warning=cannot write `{}`: {error}",
            recorded.display()
        ));
    }
    // The plan's hash in the crate's environment: a changed history changes
    // the crate's fingerprint, so rustc reruns and the macro re-expands.
    let digest = Sha256::digest(source.as_bytes());
    lines.push(format!(
        "cargo:rustc-env=MIGRATE_BUILD_PLAN_{}={}",
        dir_key(&absolute),
        hex(&digest[..16])
    ));
    lines
}

/// Where `watch` writes the plan for the migrations directory `absolute_dir`.
#[doc(hidden)]
pub fn generated_path(out_dir: &Path, absolute_dir: &Path) -> PathBuf {
    out_dir
        .join("migrate-build")
        .join(format!("plan-{}.rs", dir_key(absolute_dir)))
}

/// A short stable name for a directory: the build script and the macro both
/// derive it from the absolute path.
fn dir_key(absolute_dir: &Path) -> String {
    let normal = std::fs::canonicalize(absolute_dir).unwrap_or_else(|_| absolute_dir.to_path_buf());
    let digest = Sha256::digest(normal.to_string_lossy().as_bytes());
    hex(&digest[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_if_changed(target: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(target).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(target, text)
}

/// `file:line:col: warning[code]: message (help: ...)`: Cargo prints each
/// `cargo:warning=` as one line, so the snippet form would be torn apart.
fn one_line(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let mut out = String::new();
    let label = diagnostic
        .labels
        .iter()
        .find(|label| label.primary)
        .or(diagnostic.labels.first());
    if let Some(label) = label {
        out.push_str(&label.file.display().to_string());
        if let Some(text) = sources.get(&label.file) {
            let (line, column) = line_column(text, label.span.start);
            out.push_str(&format!(":{line}:{column}"));
        }
        out.push_str(": ");
    }
    out.push_str(&format!(
        "warning[{}]: {}",
        diagnostic.code, diagnostic.message
    ));
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!(" (help: {help})"));
    }
    out.replace(['\n', '\r'], " ")
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(files: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("app/migrations");
        std::fs::create_dir_all(&dir).expect("create");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        root
    }

    fn lines_for(root: &Path) -> Vec<String> {
        watch_lines_with(
            Path::new("migrations"),
            Some(root.join("app")),
            Some(root.join("out")),
        )
    }

    #[test]
    fn warnings_become_one_line_cargo_warnings() {
        let root = history(&[(
            "aaaa0001_users.sql",
            "-- revision: aaaa0001\n-- down_revision: none\n\n-- migrate:upgrade\n\
             CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        )]);
        let lines = lines_for(root.path());
        assert_eq!(lines[0], "cargo:rerun-if-changed=migrations");
        let warnings: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("cargo:warning="))
            .collect();
        assert!(!warnings.is_empty(), "{lines:?}");
        assert!(
            warnings[0].starts_with("cargo:warning=migrations/aaaa0001_users.sql:"),
            "{warnings:?}"
        );
        assert!(warnings.iter().all(|w| !w.contains('\n')));
        let plan = std::fs::read_to_string(generated_path(
            &root.path().join("out"),
            &root.path().join("app/migrations"),
        ))
        .expect("the plan was written");
        assert!(
            plan.starts_with("::migrate_runtime::Plan::embedded("),
            "{plan}"
        );
    }

    #[test]
    fn a_broken_history_writes_a_compile_error_and_changes_the_fingerprint() {
        let good =
            "-- revision: aaaa0001\n-- down_revision: none\n\n-- migrate:upgrade\nSELECT 1;\n";
        let root = history(&[("aaaa0001_x.sql", good)]);
        let fingerprint = |lines: &[String]| {
            lines
                .iter()
                .find(|l| l.starts_with("cargo:rustc-env=MIGRATE_BUILD_PLAN_"))
                .cloned()
                .expect("a fingerprint line")
        };
        let before = fingerprint(&lines_for(root.path()));
        std::fs::write(
            root.path().join("app/migrations/aaaa0002_y.sql"),
            "-- revision: aaaa0002\n-- down_revision: zzzz\n\n-- migrate:upgrade\nSELECT 2;\n",
        )
        .expect("write");
        let lines = lines_for(root.path());
        assert_ne!(fingerprint(&lines), before);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("1 error(s) in the migrations")),
            "{lines:?}"
        );
        let generated = generated_path(
            &root.path().join("out"),
            &root.path().join("app/migrations"),
        );
        let text = std::fs::read_to_string(generated).expect("written");
        assert!(text.starts_with(crate::codegen::ERROR_PREFIX));
        assert!(text.contains("[unknown-revision]"), "{text}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 99), (2, 2));
    }
}
