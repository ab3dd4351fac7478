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
    let target = generated_path(&out_dir, &absolute);
    let recorded = crate::fingerprint::path_for(&target);
    let replay = target.with_extension("out");
    // Taken before the compile: a file saved while it runs makes the plan
    // stale, and the macro says so instead of embedding it. Files whose
    // metadata the previous record holds unchanged are not hashed again.
    let previous = std::fs::read_to_string(&recorded).ok();
    let fingerprint = crate::fingerprint::record_after(&absolute, previous.as_deref());
    let salt = fingerprint
        .as_ref()
        .ok()
        .map(|record| salt(dir, &record.files));
    // The same bytes as the last run (a `touch`, a checkout that changed
    // nothing): the plan in OUT_DIR is this directory's; say again what the
    // last run said, and compile nothing.
    if let (Ok(record), Some(salt)) = (&fingerprint, &salt) {
        let key = format!("{} {}", hex(salt), record.hash);
        if let Some(said) = replayable(&replay, &key, &target) {
            if let Err(error) = write_if_changed(&recorded, &record.text) {
                lines.push(format!(
                    "cargo:warning=cannot write `{}`: {error}",
                    recorded.display()
                ));
            }
            lines.extend(said);
            return lines;
        }
    }
    let mut options = Options::new().display_dir(dir);
    if let (Ok(record), Some(salt)) = (&fingerprint, &salt) {
        let cache_dir = target.with_extension("cache");
        options = options.cache(crate::cache::Cache::new(
            cache_dir,
            salt,
            record.files.clone(),
        ));
    }
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
    if let Err(error) = write_if_changed(&target, &source) {
        lines.push(format!(
            "cargo:warning=cannot write `{}`: {error}",
            target.display()
        ));
    }
    // An unreadable directory leaves no fingerprint: the macro then refuses
    // the plan, and the compile above has reported why.
    let written = match &fingerprint {
        Ok(record) => write_if_changed(&recorded, &record.text),
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
    // What to say again when the next run finds the same bytes.
    let mut said = String::new();
    if let (Ok(record), Some(salt)) = (&fingerprint, &salt) {
        said = format!("{} {}\n", hex(salt), record.hash);
        for line in &lines[1..] {
            said.push_str(line);
            said.push('\n');
        }
    }
    if said.is_empty()
        || lines
            .iter()
            .any(|line| line.starts_with("cargo:warning=cannot write"))
    {
        let _ = std::fs::remove_file(&replay);
    } else if let Err(error) = write_if_changed(&replay, &said) {
        lines.push(format!(
            "cargo:warning=cannot write `{}`: {error}",
            replay.display()
        ));
    }
    lines
}

/// What a compiled file depends on besides its own bytes: this build
/// script's executable (a new migrate-build, a rebuilt script), the
/// directory as written in build.rs (the paths diagnostics show) and
/// `migrate.toml` (dialect, lint levels).
fn salt(dir: &Path, files: &std::collections::BTreeMap<String, [u8; 32]>) -> Vec<u8> {
    let mut hasher = Sha256::new();
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::metadata(exe).ok())
    {
        hasher.update(meta.len().to_le_bytes());
        if let Ok(modified) = meta.modified() {
            hasher.update(format!("{modified:?}").as_bytes());
        }
    }
    hasher.update(dir.to_string_lossy().as_bytes());
    hasher.update([0]);
    match files.get(crate::config::CONFIG_FILE) {
        Some(hash) => hasher.update(hash),
        None => hasher.update(b"no config"),
    }
    hasher.finalize().to_vec()
}

/// The lines the last run printed, when it ran on the same bytes with the
/// same salt (`key`) and its plan is still in place.
fn replayable(replay: &Path, key: &str, plan: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(replay).ok()?;
    let (first, rest) = text.split_once('\n')?;
    if first != key || !plan.is_file() {
        return None;
    }
    Some(rest.lines().map(str::to_string).collect())
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

    /// The cache entries' names and modification times.
    fn entries(root: &Path) -> std::collections::BTreeMap<String, std::time::SystemTime> {
        let plan = generated_path(&root.join("out"), &root.join("app/migrations"));
        std::fs::read_dir(plan.with_extension("cache"))
            .expect("the cache exists")
            .map(|entry| {
                let entry = entry.expect("entry");
                let modified = entry.metadata().and_then(|m| m.modified()).expect("mtime");
                (entry.file_name().to_string_lossy().into_owned(), modified)
            })
            .collect()
    }

    #[test]
    fn a_rebuild_compiles_only_what_changed() {
        let file = |i: usize, table: &str| {
            let parent = if i == 1 {
                "none".to_string()
            } else {
                format!("aaaa000{}", i - 1)
            };
            (
                format!("aaaa000{i}_t.sql"),
                format!(
                    "-- revision: aaaa000{i}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n\
                     CREATE TABLE {table} (id BIGINT PRIMARY KEY);\n\n-- migrate:downgrade\nDROP TABLE {table};\n"
                ),
            )
        };
        let files: Vec<(String, String)> = (1..=3).map(|i| file(i, &format!("t{i}"))).collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let root = history(&refs);
        let dir = root.path().join("app/migrations");
        let first = lines_for(root.path());
        let cached = entries(root.path());
        assert_eq!(cached.len(), 3, "one entry per compiled file");

        // A touch, and a rewrite with the same bytes: the same lines, and the
        // cache not even read (nothing is compiled).
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join(&files[1].0), &files[1].1).expect("rewrite");
        let plan = generated_path(&root.path().join("out"), &dir);
        std::fs::remove_dir_all(plan.with_extension("cache")).expect("drop the cache");
        assert_eq!(lines_for(root.path()), first);
        assert!(!plan.with_extension("cache").exists(), "nothing compiled");
        // Back to a full cache (the cache is rebuilt by the next compile).
        std::fs::write(
            dir.join(&files[2].0),
            files[2].1.replace("BIGINT", "INTEGER"),
        )
        .expect("edit");
        lines_for(root.path());
        std::fs::write(dir.join(&files[2].0), &files[2].1).expect("edit back");
        lines_for(root.path());
        let cached = entries(root.path());
        assert_eq!(cached.len(), 3);

        // Editing one file: one new entry, the others untouched.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (name, text) = file(2, "renamed");
        std::fs::write(dir.join(&name), &text).expect("edit");
        let edited = lines_for(root.path());
        assert_ne!(edited, first, "a new plan");
        let after = entries(root.path());
        assert_eq!(after.len(), 3);
        let kept: Vec<&String> = after
            .keys()
            .filter(|k| cached.get(*k) == after.get(*k))
            .collect();
        assert_eq!(kept.len(), 2, "{cached:?} {after:?}");
        let plan_text = std::fs::read_to_string(&plan).expect("plan");
        assert!(plan_text.contains("CREATE TABLE renamed"), "{plan_text}");
        assert!(!plan_text.contains("CREATE TABLE t2"), "{plan_text}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 99), (2, 2));
    }
}
