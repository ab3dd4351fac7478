//! The naming rules every crate asks: what a revision id, a branch label and
//! a version table name may be. One copy: the compiler, the runtime and
//! `cargo migrate revision --rev-id` call these functions.

/// The longest revision id: the version table's column is `VARCHAR(64)`.
pub const MAX_REVISION_ID_LEN: usize = 64;

/// The characters of a revision id besides ASCII letters and digits.
///
/// A revision id is 1 to [`MAX_REVISION_ID_LEN`] ASCII letters, digits and
/// dots, and starts with a letter or a digit. It is the prefix of a file
/// name (a leading dot would hide the file, `_` ends the prefix), it is
/// typed in targets (where `@ - + :` mean something), and it is stored in
/// the version table and written into `--sql` scripts and terminals: so it
/// holds nothing a shell, SQL, a terminal or a file system could read
/// differently: no dollar sign, parenthesis, backquote, backslash, quote,
/// space, control, right-to-left or zero-width character.
pub const ID_PUNCTUATION: &[char] = &['.'];

/// The characters of a branch label besides ASCII letters and digits (the
/// characters a target names a label with); a label starts with a letter or
/// a digit.
pub const LABEL_PUNCTUATION: &[char] = &['_', '-', '.'];

/// The words a target, a `down_revision:` header or `history -r` reads as
/// themselves (`head`, `heads`, `base`, `current`, `none`): a revision id or
/// a branch label spelled as one of them (in any case) would make a target
/// mean two things, so neither may be one.
pub const RESERVED_WORDS: &[&str] = &["head", "heads", "base", "current", "none"];

/// The longest version table name: `<name>_summary` and the lock's key
/// stay within PostgreSQL's 63-byte identifiers.
pub const MAX_VERSION_TABLE_LEN: usize = 48;

/// The summary table the runtime keeps beside version table `name`
/// (`<name>_summary`): one row, the start-up check's O(1) read.
pub fn summary_table(name: &str) -> String {
    format!("{name}_summary")
}

/// The PostgreSQL function (and trigger) that counts changes of version
/// table `name` in its summary (`<name>_count`).
pub fn counter_function(name: &str) -> String {
    format!("{name}_count")
}

/// Why `id` is not a legal revision id (see [`ID_PUNCTUATION`]), if it is not.
pub fn id_problem(id: &str) -> Option<String> {
    name_problem(id, ID_PUNCTUATION, "an id")
}

/// Why `label` is not a legal branch label (see [`LABEL_PUNCTUATION`]).
pub fn label_problem(label: &str) -> Option<String> {
    name_problem(label, LABEL_PUNCTUATION, "a branch label")
}

fn name_problem(name: &str, punctuation: &[char], what: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some(format!("{what} cannot be empty"));
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !punctuation.contains(c))
    {
        return Some(if bad == ' ' {
            format!("{what} holds no space")
        } else {
            format!("`{}` is not allowed in {what}", bad.escape_default())
        });
    }
    if !first.is_ascii_alphanumeric() {
        return Some(format!("{what} starts with a letter or a digit"));
    }
    if let Some(word) = RESERVED_WORDS
        .iter()
        .find(|word| word.eq_ignore_ascii_case(name))
    {
        return Some(format!(
            "`{word}` is a reserved word of the target grammar (`head`, `heads`, `base`, `current`, `none`), so {what} cannot be it"
        ));
    }
    if name.len() > MAX_REVISION_ID_LEN {
        return Some(format!(
            "{} characters long; the version column holds {MAX_REVISION_ID_LEN}",
            name.len()
        ));
    }
    None
}

/// Why `name` is not a legal version table name, if it is not:
/// `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_VERSION_TABLE_LEN`] bytes, a name
/// that needs no quoting on any backend (so it can never smuggle SQL in).
/// A schema-qualified name (`app.versions`) is refused: the build and every
/// verb give the same answer.
pub fn version_table_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("it is empty".to_string()),
        Some(first) if !(first.is_ascii_alphabetic() || first == '_') => {
            return Some("it must start with a letter or `_`".to_string())
        }
        Some(_) => {}
    }
    if name.contains('.') {
        return Some(
            "a schema-qualified name is not supported; use a plain name (ASCII letters, digits and `_`)"
                .to_string(),
        );
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some("only ASCII letters, digits and `_` are allowed".to_string());
    }
    if name.len() > MAX_VERSION_TABLE_LEN {
        return Some(format!(
            "it is longer than {MAX_VERSION_TABLE_LEN} characters"
        ));
    }
    None
}

/// The longest PostgreSQL schema name a fleet targets (the server's 63-byte
/// identifiers).
pub const MAX_SCHEMA_LEN: usize = 63;

/// Why `name` is not a schema name a fleet can target, if it is not:
/// `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_SCHEMA_LEN`] bytes. The name is
/// quoted wherever it goes into SQL or `search_path`, so its case is kept;
/// the narrow alphabet keeps it one token in a connection's options and in
/// every message.
pub fn schema_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("a schema name cannot be empty".to_string()),
        Some(first) if !(first.is_ascii_alphabetic() || first == '_') => {
            return Some("a schema name starts with a letter or `_`".to_string())
        }
        Some(_) => {}
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Some(format!(
            "`{}` is not allowed in a schema name (ASCII letters, digits and `_`)",
            bad.escape_default()
        ));
    }
    if name.len() > MAX_SCHEMA_LEN {
        return Some(format!(
            "a schema name is at most {MAX_SCHEMA_LEN} characters"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_table_names() {
        assert_eq!(version_table_problem("migrate_version"), None);
        assert!(version_table_problem("app.versions").is_some());
        assert!(version_table_problem("1abc").is_some());
        assert!(version_table_problem(&"x".repeat(49)).is_some());
        assert!(version_table_problem("a;drop").is_some());
    }

    #[test]
    fn schema_names() {
        assert_eq!(schema_problem("tenant_0001"), None);
        assert_eq!(schema_problem("Tenant"), None);
        assert!(schema_problem("").is_some());
        assert!(schema_problem("1abc").is_some());
        assert!(schema_problem("a\"b").is_some());
        assert!(schema_problem("a b").is_some());
        assert!(schema_problem(&"x".repeat(64)).is_some());
    }

    #[test]
    fn ids_and_labels() {
        assert_eq!(id_problem("ae1027a6acf2"), None);
        assert!(id_problem("bad-id").is_some());
        assert_eq!(label_problem("net-work_1"), None);
        assert!(label_problem("a@b").is_some());
        for word in ["head", "heads", "base", "current", "none", "HEAD", "Base"] {
            assert!(id_problem(word).is_some(), "{word}");
            assert!(label_problem(word).is_some(), "{word}");
        }
        assert_eq!(id_problem("headx"), None);
    }
}
