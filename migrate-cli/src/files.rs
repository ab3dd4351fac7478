//! The only way `cargo migrate` writes a file: never through a symbolic
//! link, so a link planted in the migrations directory (or a link that is
//! `migrate.lock`) cannot make it write somewhere else.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Creates `path` with `text`; fails when anything exists there, a dangling
/// symbolic link included (the file is opened with `O_CREAT | O_EXCL`).
pub fn create_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        if metadata.file_type().is_symlink() {
            bail!(
                "`{}` is a symbolic link; refusing to write through it (remove it first)",
                path.display()
            );
        }
        bail!("`{}` already exists", path.display());
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// The bytes of `path` when it is a regular file, `None` when nothing is
/// there; an error for a symbolic link, a directory or an unreadable file.
pub fn read_regular(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read `{}`", path.display()))
        }
    };
    if metadata.file_type().is_symlink() {
        bail!(
            "`{}` is a symbolic link; refusing to read or write through it: replace it with a regular file",
            path.display()
        );
    }
    if !metadata.is_file() {
        bail!("`{}` is not a regular file", path.display());
    }
    std::fs::read(path)
        .map(Some)
        .with_context(|| format!("cannot read `{}`", path.display()))
}

/// Replaces the regular file `path` (or creates it) with `text`: written to
/// a new file beside it, then renamed over it, so a reader never sees half
/// of it and a symbolic link put there meanwhile is replaced, not followed.
/// Refuses when `path` is a symbolic link or not a regular file.
pub fn replace(path: &Path, text: &str) -> anyhow::Result<()> {
    read_regular(path)?;
    let temporary = temporary_beside(path);
    create_new(&temporary, text)?;
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        anyhow::Error::new(error).context(format!("cannot write `{}`", path.display()))
    })
}

fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{:016x}.tmp", rand::random::<u64>()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn symbolic_links_are_never_written_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let target = outside.path().join("victim");
        std::fs::write(&target, "precious").expect("write");
        let link = dir.path().join("migrate.lock");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let error = replace(&link, "new").unwrap_err();
        assert!(format!("{error:#}").contains("symbolic link"), "{error:#}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");

        let dangling = dir.path().join("abc_x.sql");
        std::os::unix::fs::symlink(outside.path().join("new"), &dangling).expect("symlink");
        let error = create_new(&dangling, "x").unwrap_err();
        assert!(format!("{error:#}").contains("symbolic link"), "{error:#}");
        assert!(!outside.path().join("new").exists());

        let fresh = dir.path().join("fresh");
        replace(&fresh, "one").expect("creates");
        replace(&fresh, "two").expect("replaces");
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "two");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 3, "no temporary file is left");
    }
}
