//! Reading the migrations directory: the one module of the compiler that
//! reads files (the revisions, `migrate.toml`, `migrate.lock`).
//!
//! Every `*.sql` file directly inside the directory is a revision; the
//! order is by file name, so that diagnostics come out in the same order on
//! every machine (the plan order itself comes from the graph, not from
//! here). `migrate.toml`, `migrate.lock`, `schema.sql` (the autogenerate
//! target), the file `migrate.toml` names with `schema = "..."` when it sits
//! in the directory, dot files, other extensions and subdirectories are not
//! revisions. What looks like it was meant to be read but is not (a
//! subdirectory, a directory named `*.sql`, a `*.sql` symbolic link to
//! nothing) is reported as a warning, so it is never skipped silently; a
//! file whose extension is `.sql` in another case (`X.SQL`) is an error.

use std::path::{Component, Path, PathBuf};

use crate::codes::Code;
use crate::{Diagnostic, Severity};

/// File names in the directory that are never revisions.
const NOT_REVISIONS: &[&str] = &["schema.sql"];

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Display path, e.g. `migrations/ab12_x.sql` (relative to the crate root).
    pub path: PathBuf,
    /// The whole text (UTF-8, possibly with a BOM and CRLF line endings).
    pub text: String,
}

/// Reads every revision file of `dir`, sorted by file name. `display_dir` is
/// the directory as the user wrote it (e.g. `migrations`), used for paths in
/// diagnostics. Every unreadable file is reported, not just the first.
/// `schema` is `migrate.toml`'s `schema = "..."` (not read as a revision
/// when it sits in the directory).
pub fn read_migrations(
    dir: &Path,
    display_dir: &Path,
    schema: Option<&Path>,
) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
    read_migrations_warning(dir, display_dir, schema, &mut Vec::new())
}

/// [`read_migrations`], adding a warning to `warnings` for every entry that
/// is skipped although it may have been meant as a revision.
pub(crate) fn read_migrations_warning(
    dir: &Path,
    display_dir: &Path,
    schema: Option<&Path>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut names = Vec::new();
    let mut skipped_entries = Vec::new();
    let schema_file = schema.and_then(schema_file_name);
    let mut hostile = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).max_depth(1) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let shown = match err.path() {
                    Some(path) if path != dir => display_path(dir, display_dir, path),
                    _ => display_dir.to_path_buf(),
                };
                diagnostics.push(error(
                    Code::UnreadableFile,
                    format!("cannot read `{}`: {}", shown.display(), io_message(&err)),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() && !entry.path().is_file() {
            // The declared schema may be a directory of `*.sql` files
            // (`schema = "schema"`): read by autogenerate, not skipped.
            let declared_schema = entry.file_name().to_str().is_some_and(|name| {
                schema_file.as_deref() == Some(name) || NOT_REVISIONS.contains(&name)
            });
            if declared_schema {
                continue;
            }
            if let Some(warning) = skipped(&entry, &display_path(dir, display_dir, entry.path())) {
                skipped_entries.push(warning);
            }
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            diagnostics.push(error(
                Code::UnreadableFile,
                format!(
                    "the file name `{}` is not valid UTF-8",
                    entry.file_name().to_string_lossy()
                ),
            ));
            continue;
        };
        if is_revision_file(name) && schema_file.as_deref() != Some(name) {
            if let Some(bad) = name.chars().find(|&c| crate::header::is_hostile_char(c)) {
                let shown = display_dir.join(name.escape_default().to_string());
                let mut diagnostic = error(
                    Code::IllegalFileName,
                    format!(
                        "the file name `{}` holds `{}`, a control or invisible character",
                        shown.display(),
                        bad.escape_default()
                    ),
                );
                diagnostic.help = Some(
                    "rename the file: the name is written into `--sql` scripts and terminals, where such a character could end a comment or hide text"
                        .to_string(),
                );
                hostile.push((name.to_string(), diagnostic));
                continue;
            }
            names.push(name.to_string());
        } else if let Some(extension) = misspelled_extension(name) {
            if schema_file.as_deref() != Some(name) {
                let stem = &name[..name.len() - extension.len()];
                let mut diagnostic = error(
                    Code::IllegalFileName,
                    format!(
                        "`{}` ends in `{extension}`, not `.sql`: it would not be read as a revision",
                        display_dir.join(name.escape_default().to_string()).display()
                    ),
                );
                diagnostic.help = Some(format!(
                    "rename it to `{}.sql` (the extension is matched in lower case, so the plan is the same on every file system), or move it out of the migrations directory if it is not a revision",
                    stem.escape_default()
                ));
                hostile.push((name.to_string(), diagnostic));
            }
        }
    }
    hostile.sort_by(|a, b| a.0.cmp(&b.0));
    diagnostics.extend(hostile.into_iter().map(|(_, diagnostic)| diagnostic));
    names.sort();
    // The file system's order differs between machines; the output must not.
    skipped_entries.sort_by(|a, b| a.message.cmp(&b.message));
    warnings.extend(skipped_entries);
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let display = display_dir.join(&name);
        match read_sql_file(&dir.join(&name), &display) {
            Ok(text) => files.push(SourceFile {
                path: display,
                text,
            }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if diagnostics.is_empty() {
        Ok(files)
    } else {
        Err(diagnostics)
    }
}

/// The largest SQL file read (a revision, a file of the declared schema):
/// 256 MiB. A larger one is refused with its size, so a path pointed at
/// something endless cannot make the tool read until memory runs out.
pub const MAX_SQL_FILE_BYTES: u64 = 256 << 20;

/// The text of the SQL file at `path` (shown as `display`): a revision or a
/// file of the declared schema. A symbolic link is followed, as for any
/// revision (reading through one writes nothing), but only to a regular
/// file: a FIFO, a device (`/dev/zero`), a socket or a directory is refused
/// before it is opened, so reading never blocks or runs forever; so is a
/// file larger than [`MAX_SQL_FILE_BYTES`] (also when it grows while it is
/// read) and one that is not UTF-8.
pub fn read_sql_file(path: &Path, display: &Path) -> Result<String, Diagnostic> {
    use std::io::Read as _;
    let unreadable = |why: String| {
        error(
            Code::UnreadableFile,
            format!("cannot read `{}`: {why}", display.display()),
        )
    };
    let too_large = || {
        unreadable(format!(
            "it is larger than {} MiB, the most a SQL file may hold",
            MAX_SQL_FILE_BYTES >> 20
        ))
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(match std::fs::symlink_metadata(path) {
                Ok(_) => unreadable("it is a symbolic link to nothing".to_string()),
                Err(_) => unreadable("no such file".to_string()),
            })
        }
        Err(err) => return Err(unreadable(err.to_string())),
    };
    let not_regular = |metadata: &std::fs::Metadata| {
        unreadable(format!(
            "it is {}, not a regular file",
            file_kind(&metadata.file_type())
        ))
    };
    if !metadata.is_file() {
        return Err(not_regular(&metadata));
    }
    if metadata.len() > MAX_SQL_FILE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|err| unreadable(err.to_string()))?;
    // Replaced by something else since the check above: checked again on
    // what was opened.
    match file.metadata() {
        Ok(opened) if opened.is_file() => {}
        Ok(opened) => return Err(not_regular(&opened)),
        Err(err) => return Err(unreadable(err.to_string())),
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_SQL_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(err.to_string()))?;
    if bytes.len() as u64 > MAX_SQL_FILE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|err| {
        error(
            Code::FileNotUtf8,
            format!(
                "`{}` is not valid UTF-8 (invalid byte at offset {})",
                display.display(),
                err.utf8_error().valid_up_to()
            ),
        )
    })
}

/// What a file that is not a regular one is, for messages.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// True for a name that holds a revision: `*.sql`, not hidden, not reserved.
pub fn is_revision_file(name: &str) -> bool {
    name.ends_with(".sql")
        && name.len() > ".sql".len()
        && !name.starts_with('.')
        && !NOT_REVISIONS.contains(&name)
}

/// The extension of a name that ends in `.sql` in another case (`.SQL`,
/// `.Sql`): meant as a revision, and refused rather than skipped silently
/// (dot files excepted, as for revisions).
fn misspelled_extension(name: &str) -> Option<&str> {
    let extension = name.get(name.len().checked_sub(".sql".len())?..)?;
    (extension.eq_ignore_ascii_case(".sql")
        && extension != ".sql"
        && name.len() > ".sql".len()
        && !name.starts_with('.'))
    .then_some(extension)
}

/// The name of the file `migrate.toml`'s `schema = "..."` points at, when it
/// sits directly in the migrations directory: it holds the target schema for
/// autogenerate, and read as a revision it would fail on a missing header.
pub fn schema_file_name(schema: &Path) -> Option<String> {
    let mut components = schema
        .components()
        .filter(|component| !matches!(component, Component::CurDir));
    match (components.next(), components.next()) {
        (Some(Component::Normal(name)), None) => name.to_str().map(str::to_string),
        _ => None,
    }
}

/// The name of the configuration file in the migrations directory.
pub const CONFIG_FILE: &str = "migrate.toml";

/// Whether the migrations directory exists (as a directory).
pub(crate) fn is_directory(dir: &Path) -> bool {
    dir.is_dir()
}

/// The text of `dir/migrate.toml` (shown under `display_dir`), `None` when
/// there is none.
pub(crate) fn read_config(
    dir: &Path,
    display_dir: &Path,
) -> Result<Option<SourceFile>, Vec<Diagnostic>> {
    let display = display_dir.join(CONFIG_FILE);
    match std::fs::read(dir.join(CONFIG_FILE)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(SourceFile {
                path: display,
                text,
            })),
            Err(_) => Err(vec![error(
                Code::ConfigUnreadable,
                format!("`{}` is not valid UTF-8", display.display()),
            )]),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(vec![error(
            Code::ConfigUnreadable,
            format!("cannot read `{}`: {err}", display.display()),
        )]),
    }
}

/// The text of `dir/migrate.lock` (shown as `display`), `None` when there
/// is none; a diagnostic when it cannot be read as text: a directory, a
/// file that is not UTF-8 or that cannot be opened is never taken for a
/// fresh lock.
pub(crate) fn read_lock(dir: &Path, display: &Path) -> Result<Option<String>, Diagnostic> {
    let unreadable = |why: String| Diagnostic {
        severity: Severity::Error,
        code: Code::UnreadableLock,
        message: format!("cannot read `{}`: {why}", display.display()),
        labels: Vec::new(),
        notes: Vec::new(),
        help: Some(
            "make it a readable UTF-8 file, or delete it and run `cargo migrate lock`".to_string(),
        ),
    };
    let path = dir.join(migrate_core::lock::LOCK_FILE);
    match std::fs::metadata(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(&path) {
                Ok(_) => Err(unreadable("it is a symbolic link to nothing".to_string())),
                Err(_) => Ok(None),
            };
        }
        Err(error) => return Err(unreadable(error.to_string())),
        Ok(metadata) if !metadata.is_file() => {
            return Err(unreadable("it is not a regular file".to_string()))
        }
        Ok(_) => {}
    }
    match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|error| {
            unreadable(format!(
                "it is not valid UTF-8 (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ))
        }),
        Err(error) => Err(unreadable(error.to_string())),
    }
}

/// The warning for an entry that is not a regular file, if it may have been
/// meant as a revision: a directory (not hidden), or a symbolic link named
/// like a revision whose target is missing.
fn skipped(entry: &walkdir::DirEntry, shown: &Path) -> Option<Diagnostic> {
    let name = entry.file_name().to_string_lossy();
    if name.starts_with('.') {
        return None;
    }
    let (message, help) = if entry.path().is_dir() {
        if name.ends_with(".sql") {
            (
                format!("`{}` is a directory, not a revision file: skipped", shown.display()),
                "a revision is a `.sql` file directly in the migrations directory; rename the directory",
            )
        } else {
            (
                format!("the subdirectory `{}` is not read: skipped", shown.display()),
                "revisions are read only directly from the migrations directory; move its `.sql` files up if they are revisions",
            )
        }
    } else if entry.path_is_symlink() && is_revision_file(&name) {
        (
            format!(
                "`{}` is a symbolic link to nothing (its target is missing): skipped",
                shown.display()
            ),
            "restore the file it points to, or remove the link",
        )
    } else {
        return None;
    };
    Some(Diagnostic {
        severity: Severity::Warning,
        code: Code::SkippedEntry,
        message,
        labels: Vec::new(),
        notes: Vec::new(),
        help: Some(help.to_string()),
    })
}

fn display_path(dir: &Path, display_dir: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(dir) {
        Ok(relative) => display_dir.join(relative),
        Err(_) => path.to_path_buf(),
    }
}

fn io_message(err: &walkdir::Error) -> String {
    match err.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => "no such directory".to_string(),
        Some(io) => io.to_string(),
        None => err.to_string(),
    }
}

fn error(code: Code, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        message,
        labels: Vec::new(),
        notes: Vec::new(),
        help: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_revisions_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "b2_second.sql",
            "a1_first.sql",
            "migrate.toml",
            "migrate.lock",
            "schema.sql",
            ".hidden.sql",
            "notes.md",
            "c3.sql.bak",
        ] {
            std::fs::write(dir.path().join(name), "-- x").expect("write");
        }
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/d4_nested.sql"), "-- x").expect("write");
        let files = read_migrations(dir.path(), Path::new("migrations"), None).expect("files");
        let paths: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(
            paths,
            [
                PathBuf::from("migrations/a1_first.sql"),
                PathBuf::from("migrations/b2_second.sql")
            ]
        );
        assert_eq!(files[0].text, "-- x");
    }

    #[test]
    fn skipped_entries_are_warned_about() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a1_first.sql"), "-- x").expect("write");
        std::fs::create_dir(dir.path().join("old")).expect("mkdir");
        std::fs::create_dir(dir.path().join("b2_dir.sql")).expect("mkdir");
        std::fs::create_dir(dir.path().join(".cache")).expect("mkdir");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/nonexistent/c3.sql", dir.path().join("c3_gone.sql"))
                .expect("symlink");
            std::os::unix::fs::symlink("/nonexistent/x", dir.path().join(".#lock.sql"))
                .expect("symlink");
        }
        let mut warnings = Vec::new();
        let files =
            read_migrations_warning(dir.path(), Path::new("migrations"), None, &mut warnings)
                .expect("files");
        assert_eq!(files.len(), 1);
        let mut shown: Vec<String> = warnings
            .iter()
            .map(|w| format!("{}: {}", w.code, w.message))
            .collect();
        shown.sort();
        let mut expected = vec![
            "skipped-entry: `migrations/b2_dir.sql` is a directory, not a revision file: skipped",
            "skipped-entry: the subdirectory `migrations/old` is not read: skipped",
        ];
        if cfg!(unix) {
            expected.insert(1, "skipped-entry: `migrations/c3_gone.sql` is a symbolic link to nothing (its target is missing): skipped");
        }
        assert_eq!(shown, expected);
    }

    #[test]
    fn the_configured_schema_file_is_not_a_revision() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a1_first.sql"), "-- x").expect("write");
        std::fs::write(dir.path().join("target.sql"), "CREATE TABLE t (id int);").expect("write");
        let listed = |dir: &Path| -> Vec<PathBuf> {
            let config = crate::config::load(dir, Path::new("migrations")).expect("config");
            read_migrations(dir, Path::new("migrations"), config.schema.as_deref())
                .expect("files")
                .into_iter()
                .map(|f| f.path)
                .collect()
        };
        assert_eq!(
            listed(dir.path()).len(),
            2,
            "without a setting it is a revision"
        );
        for setting in ["target.sql", "./target.sql"] {
            std::fs::write(
                dir.path().join("migrate.toml"),
                format!("schema = \"{setting}\"\n"),
            )
            .expect("write");
            assert_eq!(
                listed(dir.path()),
                [PathBuf::from("migrations/a1_first.sql")],
                "schema = {setting:?}"
            );
        }
        // A schema file elsewhere leaves the directory's files alone.
        std::fs::write(
            dir.path().join("migrate.toml"),
            "schema = \"../target.sql\"\n",
        )
        .expect("write");
        assert_eq!(listed(dir.path()).len(), 2);
    }

    #[test]
    fn a_declared_schema_directory_is_not_a_skipped_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a1_first.sql"), "-- x").expect("write");
        std::fs::create_dir(dir.path().join("schema")).expect("mkdir");
        std::fs::write(dir.path().join("schema/a.sql"), "CREATE TABLE t (id int);").expect("write");
        std::fs::create_dir(dir.path().join("old")).expect("mkdir");
        let warned = |schema: Option<&Path>| {
            let mut warnings = Vec::new();
            let files =
                read_migrations_warning(dir.path(), Path::new("migrations"), schema, &mut warnings)
                    .expect("files");
            assert_eq!(files.len(), 1);
            warnings
                .iter()
                .map(|w| w.message.clone())
                .collect::<Vec<_>>()
        };
        // `schema = "schema"` (or `./schema`): the directory is the
        // declared schema, not an entry skipped; another directory still is.
        for setting in ["schema", "./schema"] {
            assert_eq!(
                warned(Some(Path::new(setting))),
                ["the subdirectory `migrations/old` is not read: skipped"],
                "{setting}"
            );
        }
        // Without the setting it is a subdirectory like any other.
        assert_eq!(warned(None).len(), 2);
        // The default name, made a directory.
        std::fs::remove_dir_all(dir.path().join("schema")).expect("rm");
        std::fs::create_dir(dir.path().join("schema.sql")).expect("mkdir");
        assert_eq!(
            warned(None),
            ["the subdirectory `migrations/old` is not read: skipped"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_sql_file_that_is_not_regular_or_too_large_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let started = std::time::Instant::now();
        let fifo = dir.path().join("fifo.sql");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let zero = dir.path().join("zero.sql");
        std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
        let dangling = dir.path().join("gone.sql");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).expect("symlink");
        let big = dir.path().join("big.sql");
        std::fs::File::create(&big)
            .and_then(|f| f.set_len(MAX_SQL_FILE_BYTES + 1))
            .expect("sparse file");
        let at_limit = dir.path().join("limit.sql");
        std::fs::write(&at_limit, "SELECT 1;").expect("write");
        let refused = |path: &Path| {
            read_sql_file(path, Path::new("shown.sql"))
                .expect_err("refused")
                .message
        };
        assert_eq!(
            refused(&fifo),
            "cannot read `shown.sql`: it is a FIFO (named pipe), not a regular file"
        );
        assert_eq!(
            refused(&zero),
            "cannot read `shown.sql`: it is a device, not a regular file"
        );
        assert_eq!(
            refused(&dangling),
            "cannot read `shown.sql`: it is a symbolic link to nothing"
        );
        assert_eq!(
            refused(&big),
            "cannot read `shown.sql`: it is larger than 256 MiB, the most a SQL file may hold"
        );
        assert_eq!(
            refused(dir.path()),
            "cannot read `shown.sql`: it is a directory, not a regular file"
        );
        assert_eq!(
            read_sql_file(&at_limit, Path::new("x")).expect("read"),
            "SELECT 1;"
        );
        // A link to a regular file is read, as for any revision.
        let link = dir.path().join("link.sql");
        std::os::unix::fs::symlink(&at_limit, &link).expect("symlink");
        assert_eq!(
            read_sql_file(&link, Path::new("x")).expect("read"),
            "SELECT 1;"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn non_utf8_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a1_ok.sql"), "-- ok").expect("write");
        std::fs::write(dir.path().join("b2_bad.sql"), b"-- \xff\xfe").expect("write");
        std::fs::write(dir.path().join("c3_bad.sql"), b"\xc3").expect("write");
        let diagnostics = read_migrations(dir.path(), Path::new("migrations"), None).unwrap_err();
        assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].code, "file-not-utf8");
        assert!(diagnostics[0].message.contains("migrations/b2_bad.sql"));
        assert!(diagnostics[0].message.contains("offset 3"));
        assert!(diagnostics[1].message.contains("migrations/c3_bad.sql"));
    }

    #[test]
    fn control_and_invisible_characters_in_file_names_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a1_ok.sql"), "-- ok").expect("write");
        for name in [
            "a1_x\nDROP TABLE users;\n-- .sql",
            "b2_\r.sql",
            "c3_\u{202E}lqs.sql",
            "d4_\u{200B}.sql",
        ] {
            std::fs::write(dir.path().join(name), "-- x").expect("write");
        }
        let diagnostics = read_migrations(dir.path(), Path::new("migrations"), None).unwrap_err();
        assert_eq!(diagnostics.len(), 4, "{diagnostics:#?}");
        assert!(diagnostics.iter().all(|d| d.code == "illegal-file-name"));
        assert!(
            diagnostics[0]
                .message
                .contains("a1_x\\nDROP TABLE users;\\n-- .sql"),
            "{}",
            diagnostics[0].message
        );
        assert!(diagnostics.iter().all(|d| !d.message.contains('\n')));
    }

    #[test]
    fn only_a_dot_sql_in_another_case_is_misspelled() {
        for (name, expected) in [
            ("b2_x.SQL", Some(".SQL")),
            ("b2_x.sQl", Some(".sQl")),
            ("é.Sql", Some(".Sql")),
            ("b2_x.sql", None),
            (".b2_x.SQL", None),
            (".SQL", None),
            ("SQL", None),
            ("b2_x.SQL.bak", None),
            ("b2_x.ßql", None),
        ] {
            assert_eq!(misspelled_extension(name), expected, "{name}");
        }
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let diagnostics =
            read_migrations(&dir.path().join("nope"), Path::new("migrations"), None).unwrap_err();
        assert_eq!(diagnostics[0].code, "unreadable-file");
        assert!(
            diagnostics[0].message.contains("`migrations`"),
            "{}",
            diagnostics[0].message
        );
    }
}
