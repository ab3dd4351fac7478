//! A header-only view of a migrations directory.
//!
//! `revision`, `merge` and `lock` need the graph but not the SQL: a user runs
//! `cargo migrate revision` right after creating a file whose upgrade section
//! is still empty, which the full compiler rejects. Reading only the
//! `-- key: value` headers keeps those verbs usable on an unfinished
//! directory, as Alembic's are. Every other verb goes through
//! `migrate_build::compile`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The header of one migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRevision {
    /// `revision:`.
    pub id: String,
    /// `down_revision:` (empty for a base).
    pub down_revisions: Vec<String>,
    /// `depends_on:`.
    pub depends_on: Vec<String>,
    /// `branch_labels:`.
    pub branch_labels: Vec<String>,
    /// `message:`.
    pub message: String,
    /// The file.
    pub file: PathBuf,
}

/// Every revision header in `dir`, in file-name order.
pub fn scan(dir: &Path) -> anyhow::Result<Vec<HeaderRevision>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the migrations directory `{}`", dir.display()))?;
    // The compiler's rule: `*.sql` but not hidden, not `schema.sql` nor the
    // declared schema `migrate.toml` names.
    let schema = migrate_build::config::load(dir, dir)
        .ok()
        .and_then(|config| config.schema)
        .and_then(|schema| migrate_build::source::schema_file_name(&schema));
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if migrate_build::source::is_revision_file(name)
            && schema.as_deref() != Some(name)
            && path.is_file()
        {
            files.push(path);
        }
    }
    files.sort();
    let mut revisions = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        revisions.push(parse_header(&text, file)?);
    }
    Ok(revisions)
}

/// Reads the `-- key: value` lines that precede the first section marker,
/// with the compiler's own header parser (byte order mark, CRLF, `none`
/// and lists handled alike). Its diagnostics are left to the verbs that
/// compile; only a missing id stops a header-only verb.
fn parse_header(text: &str, file: PathBuf) -> anyhow::Result<HeaderRevision> {
    let (header, _diagnostics) = migrate_build::header::parse(&file, text);
    if header.id.is_empty() {
        bail!(
            "`{}` has no valid `-- revision:` header line",
            file.display()
        );
    }
    Ok(HeaderRevision {
        id: header.id,
        down_revisions: header.down_revisions,
        depends_on: header.depends_on,
        branch_labels: header.branch_labels,
        message: header.message,
        file,
    })
}

/// `a, b` → `["a", "b"]`; `none` and the empty string → `[]`.
pub fn split_list(value: &str) -> Vec<String> {
    if value.trim().eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// The revision graph of the headers (in file order), from `migrate-core`.
pub fn graph(revisions: &[HeaderRevision]) -> migrate_core::Graph {
    let nodes: Vec<migrate_core::Node> = revisions
        .iter()
        .map(|revision| migrate_core::Node {
            id: revision.id.clone(),
            down_revisions: revision.down_revisions.clone(),
            depends_on: revision.depends_on.clone(),
            branch_labels: revision.branch_labels.clone(),
        })
        .collect();
    migrate_core::Graph::new(&nodes)
}

/// The heads as `cargo build` sees them: revisions no other revision names
/// in `down_revision` (`depends_on` does not count, as in Alembic).
pub fn heads(revisions: &[HeaderRevision]) -> Vec<&HeaderRevision> {
    graph(revisions)
        .heads()
        .into_iter()
        .map(|index| &revisions[index])
        .collect()
}

/// The compiler's plan order (`migrate_core::Graph::order` with file names
/// as the tie-break). Revisions caught in a cycle come last, in file order,
/// so that `lock` still writes every id.
pub fn plan_order(revisions: &[HeaderRevision]) -> Vec<&HeaderRevision> {
    let graph = graph(revisions);
    let requires: Vec<Vec<usize>> = (0..revisions.len())
        .map(|index| {
            graph
                .parents(index)
                .iter()
                .chain(graph.dependencies(index))
                .copied()
                .collect()
        })
        .collect();
    let rank: Vec<usize> = (0..revisions.len()).collect();
    let mut order = migrate_core::Graph::order(revisions.len(), &requires, &rank);
    let mut placed = vec![false; revisions.len()];
    for index in &order {
        placed[*index] = true;
    }
    order.extend((0..revisions.len()).filter(|index| !placed[*index]));
    order.into_iter().map(|index| &revisions[index]).collect()
}

/// Resolves a revision reference as every verb does (`migrate-core`): an
/// id, a unique prefix of 4 or more characters, a branch label, `head`
/// (when there is one), `<label>@head`.
pub fn resolve<'a>(
    revisions: &'a [HeaderRevision],
    ident: &str,
) -> anyhow::Result<&'a HeaderRevision> {
    match graph(revisions).revision(ident.trim()) {
        Ok(Some(index)) => Ok(&revisions[index]),
        Ok(None) => bail!("`{ident}` names no revision (base)"),
        Err(error) => bail!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(id: &str, parents: &str) -> HeaderRevision {
        HeaderRevision {
            id: id.into(),
            down_revisions: split_list(parents),
            depends_on: Vec::new(),
            branch_labels: Vec::new(),
            message: String::new(),
            file: PathBuf::from(format!("{id}_x.sql")),
        }
    }

    #[test]
    fn header_stops_at_the_first_section() {
        let text = "-- message: add posts\n-- revision: abcd1234\n-- down_revision: 1111, 2222\n\n-- migrate:upgrade\n-- revision: nope\nSELECT 1;\n";
        let header = parse_header(text, PathBuf::from("abcd1234_add_posts.sql")).unwrap();
        assert_eq!(header.id, "abcd1234");
        assert_eq!(header.message, "add posts");
        assert_eq!(header.down_revisions, ["1111", "2222"]);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_are_fine() {
        let text = "\u{feff}-- message: m\r\n-- revision: abcd1234\r\n-- down_revision: none\r\n\r\n-- migrate:upgrade\r\n";
        let header = parse_header(text, PathBuf::from("abcd1234_m.sql")).unwrap();
        assert_eq!(header.id, "abcd1234");
        assert!(header.down_revisions.is_empty());
    }

    #[test]
    fn a_file_without_revision_is_an_error() {
        let error = parse_header("-- message: x\n", PathBuf::from("x.sql")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`x.sql` has no valid `-- revision:` header line"
        );
    }

    #[test]
    fn order_puts_parents_first_and_finds_heads() {
        let revisions = vec![
            rev("c", "b"),
            rev("a", "none"),
            rev("b", "a"),
            rev("d", "a"),
        ];
        let order: Vec<&str> = plan_order(&revisions)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        let heads: Vec<&str> = heads(&revisions).iter().map(|r| r.id.as_str()).collect();
        assert_eq!(heads, ["c", "d"]);
    }

    #[test]
    fn prefixes_resolve_when_unique() {
        let revisions = vec![rev("abcd1111", "none"), rev("abcd2222", "abcd1111")];
        assert_eq!(resolve(&revisions, "abcd2").unwrap().id, "abcd2222");
        let error = resolve(&revisions, "abcd").unwrap_err().to_string();
        assert!(error.contains("ambiguous"), "{error}");
        let error = resolve(&revisions, "abc").unwrap_err().to_string();
        assert!(error.contains("at least 4 characters"), "{error}");
    }
}
