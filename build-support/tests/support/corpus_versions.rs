//! The real histories of `shared/corpus/` in their own layouts (diesel,
//! sqlx, popx, golang-migrate), ordered the way their own runners order them.
//! Shared by `lint_corpus.rs` and the fidelity test in `migrate-tests`
//! (`#[path]`), so both read each history the same way.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Where the histories live.
pub const CORPUS: &str = "/work/shared/corpus";

/// One version of a foreign history.
pub struct Version {
    pub key: String,
    pub name: String,
    pub up: String,
    pub down: String,
    pub up_transactional: bool,
    pub down_transactional: bool,
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

pub fn only_comments(sql: &str) -> bool {
    sql.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// Diesel: `<version>_<name>/{up,down}.sql`, ordered by the version with
/// `-` removed (compared as strings), `metadata.toml` for no-transaction.
pub fn diesel(dir: &Path) -> Vec<Version> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let version = name.split('_').next().unwrap_or("").replace('-', "");
        let metadata = read(&path.join("metadata.toml"));
        let transactional = !metadata.contains("run_in_transaction = false");
        out.push(Version {
            key: version,
            name: name.clone(),
            up: read(&path.join("up.sql")),
            down: read(&path.join("down.sql")),
            up_transactional: transactional,
            down_transactional: transactional,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// sqlx reversible: `<version>_<name>.{up,down}.sql`.
pub fn sqlx(dir: &Path) -> Vec<Version> {
    let mut by_version: BTreeMap<String, Version> = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let (stem, up) = match (file.strip_suffix(".up.sql"), file.strip_suffix(".down.sql")) {
            (Some(stem), _) => (stem.to_string(), true),
            (_, Some(stem)) => (stem.to_string(), false),
            _ => continue,
        };
        let version = stem.split('_').next().unwrap_or("").to_string();
        let v = by_version.entry(version.clone()).or_insert(Version {
            key: version,
            name: stem.clone(),
            up: String::new(),
            down: String::new(),
            up_transactional: true,
            down_transactional: true,
        });
        let text = read(&entry.path());
        let no_tx = text.starts_with("-- no-transaction");
        if up {
            v.up = text;
            v.up_transactional = !no_tx;
        } else {
            v.down = text;
            v.down_transactional = !no_tx;
        }
    }
    by_version.into_values().collect()
}

/// popx (kratos): `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`;
/// a dialect-specific file wins over the generic one; comment-only files are
/// skipped by the runner.
pub fn popx(dir: &Path, dialect: &str) -> Vec<Version> {
    // version -> (up, down) candidates: (specific?, autocommit, text)
    type Pick = Option<(bool, bool, String)>;
    let mut by_version: BTreeMap<String, (String, Pick, Pick)> = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let (stem, up) = match (file.strip_suffix(".up.sql"), file.strip_suffix(".down.sql")) {
            (Some(stem), _) => (stem, true),
            (_, Some(stem)) => (stem, false),
            _ => continue,
        };
        let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (base, file_dialect) = match stem.split_once('.') {
            Some((base, d)) => (base, Some(if d == "sqlite" { "sqlite3" } else { d })),
            None => (stem, None),
        };
        if file_dialect.is_some_and(|d| d != dialect) {
            continue;
        }
        let version = base.split('_').next().unwrap_or("").to_string();
        let specific = file_dialect.is_some();
        let slot = by_version
            .entry(version)
            .or_insert((base.to_string(), None, None));
        let pick = if up { &mut slot.1 } else { &mut slot.2 };
        if pick.as_ref().is_none_or(|(s, _, _)| specific && !s) {
            *pick = Some((specific, autocommit, read(&entry.path())));
        }
    }
    by_version
        .into_iter()
        .map(|(key, (name, up, down))| {
            let (_, up_auto, up) = up.unwrap_or((false, false, String::new()));
            let (_, down_auto, down) = down.unwrap_or((false, false, String::new()));
            Version {
                key,
                name,
                up,
                down,
                up_transactional: !up_auto,
                down_transactional: !down_auto,
            }
        })
        .filter(|v| !only_comments(&v.up) || !only_comments(&v.down))
        .collect()
}

/// golang-migrate: `<version>_<title>.up.sql` (and `.down.sql`), applied in
/// numeric order of the version.
pub fn golang_migrate(dir: &Path) -> Vec<Version> {
    let mut by_version: BTreeMap<u64, Version> = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("corpus directory").flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let (stem, up) = match (file.strip_suffix(".up.sql"), file.strip_suffix(".down.sql")) {
            (Some(stem), _) => (stem.to_string(), true),
            (_, Some(stem)) => (stem.to_string(), false),
            _ => continue,
        };
        let Some(number) = stem.split('_').next().and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        let v = by_version.entry(number).or_insert(Version {
            key: format!("{number:06}"),
            name: stem.clone(),
            up: String::new(),
            down: String::new(),
            up_transactional: true,
            down_transactional: true,
        });
        if up {
            v.up = read(&entry.path());
        } else {
            v.down = read(&entry.path());
        }
    }
    by_version.into_values().collect()
}
