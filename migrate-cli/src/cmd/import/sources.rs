//! Readers for other tools' migration directories: each returns the
//! migrations in the order that tool applies them, their SQL as read (byte
//! for byte) and whether each script runs inside a transaction.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};

/// One migration of the source tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMigration {
    /// The version as the tool orders it (diesel: `-` removed).
    pub version: String,
    /// The name part (`create_users`).
    pub name: String,
    /// What the tool calls it: the file or directory name.
    pub origin: String,
    /// The upgrade script.
    pub up: Script,
    /// The downgrade script, when the tool has one for this migration.
    pub down: Option<Script>,
    /// The parents' versions when the tool names them (Alembic); `None`:
    /// the previous migration in order.
    pub parents: Option<Vec<String>>,
    /// Branch labels (Alembic).
    pub branch_labels: Vec<String>,
    /// `depends_on` versions or labels (Alembic).
    pub depends_on: Vec<String>,
}

/// One script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The SQL, exactly as in the source file.
    pub sql: String,
    /// False when the tool runs it outside a transaction.
    pub transactional: bool,
}

impl Script {
    fn new(sql: String, transactional: bool) -> Script {
        Script { sql, transactional }
    }
}

/// Names of the entries of `dir` (sorted), skipping hidden ones.
fn entries(dir: &Path) -> anyhow::Result<Vec<(String, std::fs::FileType)>> {
    let mut out = Vec::new();
    let read = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the source directory `{}`", dir.display()))?;
    for entry in read {
        let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
        let Ok(name) = entry.file_name().into_string() else {
            bail!(
                "`{}` holds a file name that is not UTF-8: {:?}",
                dir.display(),
                entry.file_name()
            );
        };
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot read `{}`", entry.path().display()))?;
        out.push((name, file_type));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The text of a regular file (never through a symbolic link).
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = crate::files::read_regular(path)?
        .with_context(|| format!("`{}` does not exist", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("`{}` is not valid UTF-8", path.display()))
}

/// Whether `sql` holds nothing but whitespace and `--` comments.
pub fn only_comments(sql: &str) -> bool {
    sql.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("--")
    })
}

/// Splits `<version>_<name>` at the first `_`.
fn version_and_name(stem: &str) -> (&str, &str) {
    stem.split_once('_').unwrap_or((stem, ""))
}

fn integer_version(version: &str, file: &str, tool: &str) -> anyhow::Result<u128> {
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "`{file}`: `{version}` is not a {tool} version (expected digits before the first `_`)"
        );
    }
    version
        .parse::<u128>()
        .with_context(|| format!("`{file}`: version `{version}` is too large"))
}

/// diesel: `<version>_<name>/{up.sql,down.sql,metadata.toml}`, ordered by
/// the version with `-` removed, compared as a string;
/// `run_in_transaction = false` in `metadata.toml` runs both outside a
/// transaction.
pub fn diesel(dir: &Path) -> anyhow::Result<Vec<SourceMigration>> {
    let mut out: Vec<SourceMigration> = Vec::new();
    for (name, file_type) in entries(dir)? {
        if !file_type.is_dir() {
            continue;
        }
        let path = dir.join(&name);
        let (version, title) = version_and_name(&name);
        let version = version.replace('-', "");
        let up_path = path.join("up.sql");
        if !up_path.exists() {
            bail!("`{}` has no up.sql", path.display());
        }
        let up = read_text(&up_path)?;
        let down = match crate::files::read_regular(&path.join("down.sql"))? {
            Some(bytes) => Some(String::from_utf8(bytes).with_context(|| {
                format!("`{}` is not valid UTF-8", path.join("down.sql").display())
            })?),
            None => None,
        };
        let transactional = match crate::files::read_regular(&path.join("metadata.toml"))? {
            None => true,
            Some(bytes) => {
                let text = String::from_utf8(bytes).with_context(|| {
                    format!(
                        "`{}` is not valid UTF-8",
                        path.join("metadata.toml").display()
                    )
                })?;
                let table: toml::Table = text.parse().with_context(|| {
                    format!(
                        "`{}` is not valid TOML",
                        path.join("metadata.toml").display()
                    )
                })?;
                match table.get("run_in_transaction") {
                    None => true,
                    Some(toml::Value::Boolean(value)) => *value,
                    Some(_) => bail!(
                        "`{}`: `run_in_transaction` must be true or false",
                        path.join("metadata.toml").display()
                    ),
                }
            }
        };
        out.push(SourceMigration {
            version,
            name: title.to_string(),
            origin: name.clone(),
            up: Script::new(up, transactional),
            down: down.map(|sql| Script::new(sql, transactional)),
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    check_unique(&out, "diesel")?;
    Ok(out)
}

/// sqlx: `<version>_<description>.sql`, or reversible
/// `<version>_<description>.up.sql` / `.down.sql`, ordered by the integer
/// version; a script starting with `-- no-transaction` runs outside one.
pub fn sqlx(dir: &Path) -> anyhow::Result<Vec<SourceMigration>> {
    let mut by_version: BTreeMap<u128, SourceMigration> = BTreeMap::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() || !file.ends_with(".sql") {
            continue;
        }
        let (stem, up) = if let Some(stem) = file.strip_suffix(".up.sql") {
            (stem, true)
        } else if let Some(stem) = file.strip_suffix(".down.sql") {
            (stem, false)
        } else {
            (file.strip_suffix(".sql").unwrap_or(&file), true)
        };
        let (version, title) = version_and_name(stem);
        let number = integer_version(version, &file, "sqlx")?;
        let sql = read_text(&dir.join(&file))?;
        let script = Script {
            transactional: !sql.starts_with("-- no-transaction"),
            sql,
        };
        let entry = by_version.entry(number).or_insert_with(|| SourceMigration {
            version: number.to_string(),
            name: title.to_string(),
            origin: stem.to_string(),
            up: Script::new(String::new(), true),
            down: None,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        });
        if up {
            entry.up = script;
        } else {
            entry.down = Some(script);
        }
    }
    Ok(by_version.into_values().collect())
}

/// refinery's no-transaction annotation, as refinery_core's `util.rs`
/// matches it (`^[-]{2,}[\s]?(refinery:noTransaction)$`): two or more
/// dashes, at most one white-space character, `refinery:noTransaction`,
/// nothing after (case-sensitive).
pub fn refinery_no_transaction(line: &str) -> bool {
    let rest = line.trim_start_matches('-');
    if line.len() - rest.len() < 2 {
        return false;
    }
    let mut chars = rest.chars();
    let rest = match chars.next() {
        Some(c) if c.is_whitespace() => chars.as_str(),
        _ => rest,
    };
    rest == "refinery:noTransaction"
}

/// refinery: `V<version>__<name>.sql` (and `U<version>__...`), ordered by the
/// version number; a `-- refinery:noTransaction` line runs it outside one.
/// Rust (`.rs`) migrations cannot be imported and are refused.
pub fn refinery(dir: &Path) -> anyhow::Result<Vec<SourceMigration>> {
    let mut by_version: BTreeMap<u128, SourceMigration> = BTreeMap::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() {
            continue;
        }
        let Some((stem, is_sql)) = file
            .strip_suffix(".sql")
            .map(|s| (s, true))
            .or_else(|| file.strip_suffix(".rs").map(|s| (s, false)))
        else {
            continue;
        };
        let Some(rest) = stem.strip_prefix(['V', 'U']) else {
            continue;
        };
        let Some((version, title)) = rest.split_once("__") else {
            continue;
        };
        if !is_sql {
            bail!("`{file}` is a Rust migration: only SQL migrations can be imported");
        }
        let number = integer_version(version, &file, "refinery")?;
        let sql = read_text(&dir.join(&file))?;
        let transactional = !sql.lines().any(refinery_no_transaction);
        let migration = SourceMigration {
            version: number.to_string(),
            name: title.to_string(),
            origin: file.clone(),
            up: Script::new(sql, transactional),
            down: None,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        };
        if by_version.insert(number, migration).is_some() {
            bail!("refinery version {number} is used by two files");
        }
    }
    Ok(by_version.into_values().collect())
}

/// golang-migrate: `<version>_<title>.up.sql` / `.down.sql`, ordered by the
/// integer version.
pub fn golang_migrate(dir: &Path) -> anyhow::Result<Vec<SourceMigration>> {
    let mut by_version: BTreeMap<u128, SourceMigration> = BTreeMap::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() {
            continue;
        }
        let (stem, up) = if let Some(stem) = file.strip_suffix(".up.sql") {
            (stem, true)
        } else if let Some(stem) = file.strip_suffix(".down.sql") {
            (stem, false)
        } else {
            continue;
        };
        let (version, title) = version_and_name(stem);
        let number = integer_version(version, &file, "golang-migrate")?;
        let sql = read_text(&dir.join(&file))?;
        let entry = by_version.entry(number).or_insert_with(|| SourceMigration {
            version: number.to_string(),
            name: title.to_string(),
            origin: stem.to_string(),
            up: Script::new(String::new(), true),
            down: None,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        });
        if up {
            entry.up = Script::new(sql, true);
        } else {
            entry.down = Some(Script::new(sql, true));
        }
    }
    Ok(by_version.into_values().collect())
}

/// dbmate: `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down`
/// sections (each optionally `transaction:false`), ordered by the version.
pub fn dbmate(dir: &Path) -> anyhow::Result<Vec<SourceMigration>> {
    let mut out = Vec::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() {
            continue;
        }
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let (version, title) = version_and_name(stem);
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let text = read_text(&dir.join(&file))?;
        let (up, down) =
            dbmate_sections(&text).with_context(|| format!("`{}`", dir.join(&file).display()))?;
        out.push(SourceMigration {
            version: version.to_string(),
            name: title.to_string(),
            origin: file.clone(),
            up,
            down,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    check_unique(&out, "dbmate")?;
    Ok(out)
}

/// Splits a dbmate file at its `-- migrate:up` / `-- migrate:down` lines.
fn dbmate_sections(text: &str) -> anyhow::Result<(Script, Option<Script>)> {
    let mut up: Option<Script> = None;
    let mut down: Option<Script> = None;
    let mut current: Option<bool> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("-- migrate:") {
            let mut words = rest.split_whitespace();
            let kind = words.next().unwrap_or("");
            let mut transactional = true;
            for option in words {
                match option {
                    "transaction:false" => transactional = false,
                    "transaction:true" => transactional = true,
                    other => bail!("unknown dbmate option `{other}`"),
                }
            }
            let slot = match kind {
                "up" => {
                    current = Some(true);
                    &mut up
                }
                "down" => {
                    current = Some(false);
                    &mut down
                }
                other => bail!("unknown dbmate directive `-- migrate:{other}`"),
            };
            if slot.is_some() {
                bail!("`-- migrate:{kind}` appears twice");
            }
            *slot = Some(Script::new(String::new(), transactional));
            continue;
        }
        let slot = match current {
            Some(true) => up.as_mut(),
            Some(false) => down.as_mut(),
            None => None,
        };
        if let Some(script) = slot {
            script.sql.push_str(line);
        }
    }
    let Some(up) = up else {
        bail!("no `-- migrate:up` line");
    };
    Ok((up, down))
}

/// The pop dialect names (`sqlite` is spelled `sqlite3`).
pub fn pop_dialect(dialect: &str) -> &str {
    match dialect {
        "sqlite" => "sqlite3",
        "mysql" | "mariadb" => "mysql",
        other => other,
    }
}

/// pop/popx as ory/kratos uses it:
/// `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`; for each
/// version a file of `dialect` wins over the generic one, `.autocommit.`
/// runs outside a transaction, and files holding only comments are skipped
/// (a version whose up and down are both empty is not a migration).
pub fn pop(dir: &Path, dialect: &str) -> anyhow::Result<(Vec<SourceMigration>, usize)> {
    let dialect = pop_dialect(dialect);
    // version -> (name, up, down); each pick is (dialect-specific?, script).
    type Pick = Option<(bool, Script)>;
    let mut by_version: BTreeMap<String, (String, Pick, Pick)> = BTreeMap::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() {
            continue;
        }
        let (stem, up) = if let Some(stem) = file.strip_suffix(".up.sql") {
            (stem, true)
        } else if let Some(stem) = file.strip_suffix(".down.sql") {
            (stem, false)
        } else {
            continue;
        };
        let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let (base, file_dialect) = match stem.split_once('.') {
            Some((base, suffix)) => (base, Some(pop_dialect(suffix))),
            None => (stem, None),
        };
        if file_dialect.is_some_and(|d| d != dialect) {
            continue;
        }
        let (version, _) = version_and_name(base);
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let specific = file_dialect.is_some();
        let sql = read_text(&dir.join(&file))?;
        let slot = by_version
            .entry(version.to_string())
            .or_insert_with(|| (base.to_string(), None, None));
        let pick = if up { &mut slot.1 } else { &mut slot.2 };
        if let Some((was_specific, _)) = pick {
            if *was_specific == specific {
                bail!(
                    "version {version} has two {} files for {dialect}",
                    if up { "up" } else { "down" }
                );
            }
            if *was_specific {
                continue;
            }
        }
        *pick = Some((specific, Script::new(sql, !autocommit)));
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    for (version, (base, up, down)) in by_version {
        let up = up.map(|(_, s)| s).filter(|s| !only_comments(&s.sql));
        let down = down.map(|(_, s)| s).filter(|s| !only_comments(&s.sql));
        if up.is_none() && down.is_none() {
            skipped += 1;
            continue;
        }
        let (_, name) = version_and_name(&base);
        out.push(SourceMigration {
            version,
            name: name.to_string(),
            origin: base.clone(),
            up: up.unwrap_or_else(|| Script::new(String::new(), true)),
            down,
            parents: None,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
        });
    }
    Ok((out, skipped))
}

/// Alembic's bookkeeping lines in its offline SQL (the version table's
/// writes and the transaction around the script), left out of the revisions.
fn alembic_bookkeeping(line: &str) -> bool {
    let line = line.trim();
    [
        "INSERT INTO alembic_version ",
        "UPDATE alembic_version ",
        "DELETE FROM alembic_version ",
    ]
    .iter()
    .any(|prefix| line.starts_with(prefix))
        || matches!(line, "BEGIN;" | "BEGIN TRANSACTION;" | "COMMIT;")
}

/// The sections of Alembic's offline SQL: for each `-- Running <verb> A -> B`
/// marker, (A, B, the SQL up to the next marker without bookkeeping lines,
/// 1-based line of the marker).
fn alembic_sections(
    text: &str,
    verb: &str,
    file: &Path,
) -> anyhow::Result<Vec<(String, String, String, usize)>> {
    let marker = format!("-- Running {verb} ");
    let mut sections: Vec<(String, String, String, usize)> = Vec::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.trim_end().strip_prefix(&marker) {
            let Some((from, to)) = rest
                .split_once(" -> ")
                .or_else(|| rest.strip_suffix(" ->").map(|from| (from, "")))
            else {
                bail!(
                    "{}:{}: `{}` is not Alembic's `-- Running {verb} A -> B`",
                    file.display(),
                    number + 1,
                    line.trim_end()
                );
            };
            sections.push((
                from.trim().to_string(),
                to.trim().to_string(),
                String::new(),
                number + 1,
            ));
            continue;
        }
        if let Some(section) = sections.last_mut() {
            if !alembic_bookkeeping(line) {
                section.2.push_str(line);
            }
        }
    }
    if sections.is_empty() {
        bail!(
            "`{}` holds no `-- Running {verb}` line: not the output of `alembic {verb} --sql`",
            file.display()
        );
    }
    for section in &mut sections {
        section.2 = section.2.trim_matches('\n').to_string();
        if !section.2.is_empty() {
            section.2.push('\n');
        }
    }
    Ok(sections)
}

fn alembic_ids(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect()
}

/// The quoted strings of a Python literal (`None`, `'a'`, `("a", "b")`,
/// `["a"]`), as Alembic's revision files write `branch_labels` and
/// `depends_on`; `None` when the value is something else.
fn python_strings(value: &str) -> Option<Vec<String>> {
    let value = value.trim();
    if value == "None" {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || "([,)]".contains(c));
        if rest.is_empty() {
            return Some(out);
        }
        let quote = rest.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let end = rest[1..].find(quote)?;
        out.push(rest[1..1 + end].to_string());
        rest = &rest[end + 2..];
    }
}

/// What a revision file of Alembic's `versions/` says beyond the SQL: its
/// id, message (the docstring's first line), branch labels and depends_on.
struct AlembicScript {
    message: String,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
}

fn alembic_scripts(dir: &Path) -> anyhow::Result<BTreeMap<String, AlembicScript>> {
    let mut out = BTreeMap::new();
    for (file, file_type) in entries(dir)? {
        if !file_type.is_file() || !file.ends_with(".py") {
            continue;
        }
        let path = dir.join(&file);
        let text = read_text(&path)?;
        let message = text
            .split_once("\"\"\"")
            .and_then(|(_, rest)| rest.lines().next())
            .map(|line| line.trim().trim_end_matches("\"\"\"").trim().to_string())
            .unwrap_or_default();
        let mut id = None;
        let mut branch_labels = Vec::new();
        let mut depends_on = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            // `revision = 'x'` or `revision: str = 'x'`, at the start of a line.
            let name = name.split(':').next().unwrap_or("").trim_end();
            if name.starts_with(char::is_whitespace) {
                continue;
            }
            let slot = match name {
                "revision" => None,
                "branch_labels" => Some(&mut branch_labels),
                "depends_on" => Some(&mut depends_on),
                _ => continue,
            };
            let Some(strings) = python_strings(value) else {
                bail!(
                    "{}:{}: `{}` is not a literal this import can read (None, a string, or a tuple or list of strings)",
                    path.display(),
                    number + 1,
                    line.trim()
                );
            };
            match slot {
                None => id = strings.into_iter().next(),
                Some(slot) => *slot = strings,
            }
        }
        let Some(id) = id else {
            continue;
        };
        out.insert(
            id,
            AlembicScript {
                message,
                branch_labels,
                depends_on,
            },
        );
    }
    Ok(out)
}

/// Alembic: the SQL it writes offline (`alembic upgrade base:heads --sql`,
/// and `alembic downgrade heads:base --sql` for the downgrades), split at
/// its `-- Running upgrade A -> B` markers, in the order Alembic runs them;
/// ids and merges (`A, B -> C`) are Alembic's. The revision files of
/// `versions/`, when given, add each message, branch labels and depends_on.
pub fn alembic(
    upgrade: &Path,
    downgrade: Option<&Path>,
    versions: Option<&Path>,
) -> anyhow::Result<Vec<SourceMigration>> {
    let text = read_text(upgrade)?;
    let scripts = match versions {
        Some(dir) => alembic_scripts(dir)?,
        None => BTreeMap::new(),
    };
    let mut out: Vec<SourceMigration> = Vec::new();
    for (from, to, sql, line) in alembic_sections(&text, "upgrade", upgrade)? {
        if to.is_empty() || to.contains(',') {
            bail!(
                "{}:{line}: an upgrade marker names one revision after `->`",
                upgrade.display()
            );
        }
        if out.iter().any(|m| m.version == to) {
            bail!(
                "{}:{line}: revision {to} is upgraded twice",
                upgrade.display()
            );
        }
        let script = scripts.get(&to);
        out.push(SourceMigration {
            version: to.clone(),
            name: script.map(|s| s.message.clone()).unwrap_or_default(),
            origin: to.clone(),
            up: Script::new(sql, true),
            down: None,
            parents: Some(alembic_ids(&from)),
            branch_labels: script.map(|s| s.branch_labels.clone()).unwrap_or_default(),
            depends_on: script.map(|s| s.depends_on.clone()).unwrap_or_default(),
        });
    }
    if let Some(downgrade) = downgrade {
        let text = read_text(downgrade)?;
        for (from, to, sql, line) in alembic_sections(&text, "downgrade", downgrade)? {
            let Some(migration) = out.iter_mut().find(|m| m.version == from) else {
                bail!(
                    "{}:{line}: revision {from} is not in the upgrade script",
                    downgrade.display()
                );
            };
            if migration.parents.as_deref() != Some(&alembic_ids(&to)[..]) {
                bail!(
                    "{}:{line}: `{from} -> {to}` disagrees with the upgrade script's parents of {from}",
                    downgrade.display()
                );
            }
            migration.down = Some(Script::new(sql, true));
        }
    }
    Ok(out)
}

fn check_unique(migrations: &[SourceMigration], tool: &str) -> anyhow::Result<()> {
    for pair in migrations.windows(2) {
        if pair[0].version == pair[1].version {
            bail!(
                "{tool} version `{}` is used by both `{}` and `{}`",
                pair[0].version,
                pair[0].origin,
                pair[1].origin
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_alembic_writes() {
        assert_eq!(python_strings(" None"), Some(vec![]));
        assert_eq!(python_strings(" ('blog',)"), Some(vec!["blog".to_string()]));
        assert_eq!(
            python_strings(" [\"a\", 'b']"),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(python_strings(" LABELS"), None);
    }

    #[test]
    fn refinery_marker_is_spelled_as_refinery_reads_it() {
        for line in [
            "-- refinery:noTransaction",
            "--refinery:noTransaction",
            "---- refinery:noTransaction",
            "--\trefinery:noTransaction",
        ] {
            assert!(refinery_no_transaction(line), "{line:?}");
        }
        for line in [
            "-- +refinery NO TRANSACTION",
            "-- refinery:notransaction",
            "--  refinery:noTransaction",
            "- refinery:noTransaction",
            " -- refinery:noTransaction",
            "-- refinery:noTransaction ",
        ] {
            assert!(!refinery_no_transaction(line), "{line:?}");
        }
    }

    #[test]
    fn dbmate_sections_split_with_options() {
        let (up, down) = dbmate_sections(
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n",
        )
        .unwrap();
        assert_eq!(up.sql, "CREATE INDEX CONCURRENTLY i ON t (a);\n\n");
        assert!(!up.transactional);
        let down = down.unwrap();
        assert_eq!(down.sql, "DROP INDEX i;\n");
        assert!(down.transactional);
        let error = dbmate_sections("-- migrate:sideways\n").unwrap_err();
        assert!(error.to_string().contains("migrate:sideways"), "{error}");
        let error = dbmate_sections("SELECT 1;\n").unwrap_err();
        assert!(error.to_string().contains("no `-- migrate:up`"), "{error}");
    }
}
