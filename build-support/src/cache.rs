//! The build script's cache of compiled files: one entry per file that
//! compiled, in `OUT_DIR`, named by the file's content hash, so that a
//! rebuild after editing one migration parses that file only.
//!
//! An entry holds the [`CompiledRevision`] (statements, spans and the
//! syntax trees the lints read) encoded with postcard. Its name is SHA-256
//! over the cache's salt (this build script's executable, the
//! `migrate.toml` text, the `pg-query` feature), the file's name and the
//! SHA-256 of its bytes; the hashes of unchanged files come from the
//! directory's fingerprint ([`crate::fingerprint`], which rehashes only
//! files whose metadata moved), so nothing is hashed twice. An entry is
//! used only when the text it was compiled from equals the file's text as
//! read now, byte for byte (a file saved between the fingerprint and the
//! read is compiled again, never mistaken for the old one). Entries not used
//! by a run are deleted at its end, so the cache holds one history.
//!
//! Only files that compiled are cached: a file with errors is compiled
//! again, and its diagnostics are fresh.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::source::SourceFile;
use crate::CompiledRevision;

/// The per-file cache of one migrations directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    salt: [u8; 32],
    /// SHA-256 of each file's bytes, by file name, as the fingerprint saw them.
    known: BTreeMap<String, [u8; 32]>,
    /// Entries looked up or written by this run.
    used: Mutex<BTreeSet<String>>,
}

impl Cache {
    /// A cache in `dir` (created on the first write), for files whose
    /// content hashes are `known` (by file name), with `salt` naming what
    /// else a compiled file depends on.
    pub fn new(dir: PathBuf, salt: &[u8], known: BTreeMap<String, [u8; 32]>) -> Cache {
        let mut hasher = Sha256::new();
        hasher.update(FORMAT);
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update([u8::from(cfg!(feature = "pg-query"))]);
        hasher.update((salt.len() as u64).to_le_bytes());
        hasher.update(salt);
        Cache {
            dir,
            salt: hasher.finalize().into(),
            known,
            used: Mutex::new(BTreeSet::new()),
        }
    }

    fn name(&self, file_name: &str, content: &[u8; 32]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update((file_name.len() as u64).to_le_bytes());
        hasher.update(file_name.as_bytes());
        hasher.update(content);
        let digest = hasher.finalize();
        let mut name = String::with_capacity(44);
        for byte in &digest[..20] {
            name.push_str(&format!("{byte:02x}"));
        }
        name.push_str(".bin");
        name
    }

    fn mark(&self, name: &str) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.to_string());
        }
    }

    /// The compiled file, when an entry for exactly this text exists.
    pub fn get(&self, file: &SourceFile) -> Option<CompiledRevision> {
        let file_name = file_name(&file.path)?;
        let content = self.known.get(file_name)?;
        let name = self.name(file_name, content);
        let bytes = std::fs::read(self.dir.join(&name)).ok()?;
        let revision: CompiledRevision = postcard::from_bytes(&bytes).ok()?;
        if revision.source != file.text || revision.file != file.path {
            return None;
        }
        self.mark(&name);
        Some(revision)
    }

    /// Stores a file that compiled, named by the hash of the text it was
    /// compiled from. A cache that cannot be written only costs time.
    pub fn put(&self, file: &SourceFile, revision: &CompiledRevision) {
        let Some(file_name) = file_name(&file.path) else {
            return;
        };
        let content: [u8; 32] = Sha256::digest(file.text.as_bytes()).into();
        let name = self.name(file_name, &content);
        self.mark(&name);
        let Ok(bytes) = postcard::to_stdvec(revision) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // Written aside and renamed: a build killed half way never leaves a
        // truncated entry under the final name.
        let partial = self.dir.join(format!("{name}.partial"));
        if std::fs::write(&partial, bytes).is_ok() {
            let _ = std::fs::rename(&partial, self.dir.join(&name));
        }
    }

    /// Deletes every entry this run did not use.
    pub fn prune(&self) {
        let Ok(used) = self.used.lock() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !used.contains(name.to_string_lossy().as_ref()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Bumped when the encoded types change shape (the executable in the salt
/// covers a rebuilt build script too).
const FORMAT: &[u8] = b"migrate-build cache 1";

fn file_name(path: &Path) -> Option<&str> {
    path.file_name()?.to_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn source(name: &str, text: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("migrations").join(name),
            text: text.to_string(),
        }
    }

    #[test]
    fn an_entry_serves_only_its_exact_text() {
        let out = tempfile::tempdir().expect("tempdir");
        let text = "-- revision: aaaa0001\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n";
        let file = source("aaaa0001_a.sql", text);
        let revision = crate::revision::compile_file(&file, &Config::default()).expect("compiles");
        let hash: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let known = BTreeMap::from([("aaaa0001_a.sql".to_string(), hash)]);
        let cache = Cache::new(out.path().join("c"), b"salt", known.clone());
        assert!(cache.get(&file).is_none());
        cache.put(&file, &revision);

        let again = Cache::new(out.path().join("c"), b"salt", known.clone());
        let cached = again.get(&file).expect("a hit");
        assert_eq!(cached.id, "aaaa0001");
        assert_eq!(cached.checksum, revision.checksum);
        let statement = &cached.upgrade[0].statements[0];
        assert!(statement.ast.is_some(), "the syntax tree is kept");
        assert_eq!(
            statement.ast.as_ref().map(|ast| ast.to_string()),
            revision.upgrade[0].statements[0]
                .ast
                .as_ref()
                .map(|ast| ast.to_string())
        );

        // Same recorded hash, other bytes (saved after the fingerprint): a miss.
        let edited = source("aaaa0001_a.sql", &text.replace("id", "ident"));
        assert!(again.get(&edited).is_none());
        // Another salt (migrate.toml changed): a miss.
        assert!(Cache::new(out.path().join("c"), b"other", known)
            .get(&file)
            .is_none());

        // Pruning keeps what the run used and drops the rest.
        let pruning = Cache::new(out.path().join("c"), b"salt", BTreeMap::new());
        pruning.prune();
        assert_eq!(
            std::fs::read_dir(out.path().join("c"))
                .expect("dir")
                .count(),
            0
        );
    }
}
