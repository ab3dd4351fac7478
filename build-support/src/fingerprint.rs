//! The fingerprint of a migrations directory: what [`crate::watch`] saw
//! when it wrote the plan, checked again by `embed_migrations!` before it
//! embeds that plan.
//!
//! Cargo reruns the build script only when a file's modification time moves
//! past the script's last run. So a plan in `OUT_DIR` can be older than the
//! directory: when `build.rs` stopped calling `watch` (the old plan stays in
//! `OUT_DIR`), or when the directory was replaced by a copy that keeps old
//! timestamps (`cp -a`). The macro then compares this fingerprint with the
//! directory as it is and refuses a stale plan instead of embedding it.
//!
//! The fingerprint is SHA-256 over the name and the SHA-256 of the bytes of
//! every file the compiler may read (`*.sql`, `migrate.toml`,
//! `migrate.lock`; dot files such as editors' swap files are left out), in
//! byte order of the names, recorded with each file's hash and metadata.
//! Both the build script (against its previous record) and the macro
//! (against the build script's) hash again only the files whose metadata
//! moved: an unoptimised sha2 (build scripts and proc macros are built
//! without optimisation, in release too) hashes about 10 MB/s, 0.1 s per
//! 1,000 revisions, too slow to pay on every run. The per-file hashes also
//! name the build script's cache entries (`crate::cache`).

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The files of the directory that enter the fingerprint.
fn counts(name: &str) -> bool {
    !name.starts_with('.')
        && (name.ends_with(".sql") || name == "migrate.toml" || name == "migrate.lock")
}

/// The files of `dir` that enter the fingerprint, sorted by name.
fn files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = entry.path();
        if counts(&name) && path.is_file() {
            files.push((name, path));
        }
    }
    files.sort();
    Ok(files)
}

/// SHA-256 of one file's bytes.
fn file_hash(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut buffer = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut buffer)?;
    Ok(Sha256::digest(&buffer).into())
}

/// SHA-256 over the name and the hash of every file, as lowercase hex.
fn combined(entries: &[(String, [u8; 32])]) -> String {
    let mut hasher = Sha256::new();
    for (name, hash) in entries {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(hash);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One file's metadata: its name, size, and (on Unix) device, inode,
/// modification and status-change times. Writing a file, renaming it or
/// copying another over it always moves its status-change time, which no
/// tool can set back (`cp -a` keeps only the modification time), so equal
/// lines mean equal bytes and the hash need not be taken again.
/// `None` where the platform has no status-change time.
fn stat_line(name: &str, path: &Path) -> std::io::Result<Option<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path)?;
        Ok(Some(format!(
            "{name:?} {} {} {} {}.{} {}.{}",
            meta.len(),
            meta.dev(),
            meta.ino(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        )))
    }
    #[cfg(not(unix))]
    {
        let _ = (name, path);
        Ok(None)
    }
}

/// The hashes a recorded fingerprint holds, by metadata line.
fn recorded_hashes(recorded: &str) -> HashMap<&str, [u8; 32]> {
    recorded
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (hash, stat) = line.split_once(' ')?;
            let mut bytes = [0u8; 32];
            if hash.len() != 64 {
                return None;
            }
            for (i, byte) in bytes.iter_mut().enumerate() {
                *byte = u8::from_str_radix(hash.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some((stat, bytes))
        })
        .collect()
}

/// One file: its name, its metadata line (Unix) and the SHA-256 of its bytes.
type Entry = (String, Option<String>, [u8; 32]);

/// The directory as it is now, against an earlier record: every file's
/// name, metadata and content hash, the hash taken again only for the
/// files whose metadata moved.
fn entries(
    files: &[(String, PathBuf)],
    previous: &HashMap<&str, [u8; 32]>,
) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(files.len());
    for (name, path) in files {
        let stat = stat_line(name, path)?;
        let known = stat.as_deref().and_then(|line| previous.get(line)).copied();
        let hash = match known {
            Some(hash) => hash,
            None => file_hash(path)?,
        };
        out.push((name.clone(), stat, hash));
    }
    Ok(out)
}

/// A directory's fingerprint as [`crate::watch`] records it next to a plan.
#[derive(Debug, Clone)]
pub struct Record {
    /// The text written next to the plan: the content hash on the first
    /// line, then one line per file, its hash and its metadata.
    pub text: String,
    /// The content hash of the whole directory (names and bytes), as hex.
    pub hash: String,
    /// SHA-256 of each file's bytes, by file name.
    pub files: BTreeMap<String, [u8; 32]>,
}

/// The fingerprint of `dir` as it is now. `previous` is the text of an
/// earlier record: files whose metadata it holds unchanged are not read.
///
/// # Errors
/// When the directory or one of its files cannot be read.
pub fn record_after(dir: &Path, previous: Option<&str>) -> std::io::Result<Record> {
    let previous = previous.map(recorded_hashes).unwrap_or_default();
    let entries = entries(&files(dir)?, &previous)?;
    let pairs: Vec<(String, [u8; 32])> = entries
        .iter()
        .map(|(name, _, hash)| (name.clone(), *hash))
        .collect();
    let hash = combined(&pairs);
    let mut text = format!("{hash}\n");
    for (_, stat, file_hash) in &entries {
        if let Some(stat) = stat {
            text.push_str(&hex(file_hash));
            text.push(' ');
            text.push_str(stat);
            text.push('\n');
        }
    }
    Ok(Record {
        text,
        hash,
        files: pairs.into_iter().collect(),
    })
}

/// The fingerprint of `dir` as it is now, as recorded next to a plan.
///
/// # Errors
/// When the directory or one of its files cannot be read.
pub fn record(dir: &Path) -> std::io::Result<String> {
    Ok(record_after(dir, None)?.text)
}

/// The content hash of `dir` as it is now (names, sizes and bytes), as
/// lowercase hex.
///
/// # Errors
/// When the directory or one of its files cannot be read.
pub fn of_dir(dir: &Path) -> std::io::Result<String> {
    Ok(record_after(dir, None)?.hash)
}

/// Where [`crate::watch`] records the fingerprint of the plan at `plan`.
#[doc(hidden)]
pub fn path_for(plan: &Path) -> PathBuf {
    plan.with_extension("fingerprint")
}

/// Whether the plan at `plan` was written for `dir` as it is now: `Ok(())`,
/// or the reason it is stale. Files whose metadata is as recorded (all of
/// them in the edit loop, where the build script has just recorded it) are
/// not read; the others are hashed again, so a `touch` alone does not make
/// a plan stale.
///
/// # Errors
/// [`Stale`] when the fingerprint is missing or differs, or the directory
/// cannot be read.
pub fn check(plan: &Path, dir: &Path) -> Result<(), Stale> {
    let recorded = std::fs::read_to_string(path_for(plan)).map_err(|_| Stale::NotRecorded)?;
    let (hash, _) = recorded.split_once('\n').ok_or(Stale::NotRecorded)?;
    let unreadable = |error: std::io::Error| Stale::Unreadable(error.to_string());
    let now = record_after(dir, Some(&recorded)).map_err(unreadable)?;
    if now.hash == hash {
        Ok(())
    } else {
        Err(Stale::Changed)
    }
}

/// Why a plan in `OUT_DIR` does not match its directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
    /// The plan has no fingerprint next to it.
    #[error("the plan in OUT_DIR has no fingerprint")]
    NotRecorded,
    /// A file was added, removed or edited since the plan was written.
    #[error("a migration file was added, removed or edited since the build script wrote the plan")]
    Changed,
    /// The directory could not be read.
    #[error("cannot read the migrations directory: {0}")]
    Unreadable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sizes_and_content_count_and_dot_files_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.sql"), "SELECT 1;").expect("write");
        let first = of_dir(dir.path()).expect("fingerprint");
        std::fs::write(dir.path().join(".a.sql.swp"), "x").expect("write");
        std::fs::write(dir.path().join("README.md"), "x").expect("write");
        assert_eq!(of_dir(dir.path()).expect("fingerprint"), first);
        std::fs::write(dir.path().join("a.sql"), "SELECT 2;").expect("write");
        let edited = of_dir(dir.path()).expect("fingerprint");
        assert_ne!(edited, first, "same size, other bytes");
        std::fs::rename(dir.path().join("a.sql"), dir.path().join("b.sql")).expect("rename");
        assert_ne!(of_dir(dir.path()).expect("fingerprint"), edited, "renamed");
        std::fs::write(dir.path().join("migrate.lock"), "").expect("write");
        assert_ne!(of_dir(dir.path()).expect("fingerprint"), edited);
    }

    #[test]
    fn check_reads_the_bytes_only_when_metadata_moved() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("m");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::write(dir.join("a.sql"), "SELECT 1;").expect("write");
        let plan = root.path().join("plan.rs");
        std::fs::write(path_for(&plan), record(&dir).expect("record")).expect("write");
        assert_eq!(check(&plan, &dir), Ok(()));
        // Rewritten with the same bytes: metadata moved, content did not.
        std::fs::write(dir.join("a.sql"), "SELECT 1;").expect("write");
        assert_eq!(check(&plan, &dir), Ok(()));
        std::fs::write(dir.join("a.sql"), "SELECT 2;").expect("write");
        assert_eq!(check(&plan, &dir), Err(Stale::Changed));
        std::fs::remove_file(path_for(&plan)).expect("remove");
        assert_eq!(check(&plan, &dir), Err(Stale::NotRecorded));
    }
}
