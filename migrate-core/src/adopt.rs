//! Adopting a database another tool migrated (`stamp --adopt <tool>`):
//! which table that tool keeps, how its versions name the revisions that
//! `cargo migrate import` wrote, and which revisions the database therefore
//! holds. The runtime reads the table; the decision is made here, without a
//! database, so that it can be tested on its own.
//!
//! A version becomes a revision id by [`imported_revision_id`], the rule the
//! importer names its revisions by, so no lookup table is needed: diesel's
//! `2017-09-23-182408` is revision `20170923182408`, sqlx's `20231021111635`
//! is `20231021111635`, Alembic's ids are kept as they are.

use std::collections::BTreeSet;

use crate::graph::Graph;

/// The tools whose version table `stamp --adopt` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceTool {
    /// sqlx: `_sqlx_migrations` (`version BIGINT`, `success BOOLEAN`), one row per migration.
    Sqlx,
    /// diesel: `__diesel_schema_migrations` (`version VARCHAR(50)`), one row per migration.
    Diesel,
    /// refinery: `refinery_schema_history` (`version INT4`), one row per migration.
    Refinery,
    /// golang-migrate: `schema_migrations` (`version BIGINT`, `dirty BOOLEAN`), one row: the last version.
    GolangMigrate,
    /// dbmate: `schema_migrations` (`version VARCHAR`), one row per migration.
    Dbmate,
    /// pop/popx: `schema_migration` (`version VARCHAR`), one row per migration.
    Pop,
    /// Alembic: `alembic_version` (`version_num VARCHAR(32)`), one row per head.
    Alembic,
}

impl SourceTool {
    /// Every tool, in the order the command line lists them.
    pub const ALL: [SourceTool; 7] = [
        SourceTool::Sqlx,
        SourceTool::Diesel,
        SourceTool::Refinery,
        SourceTool::GolangMigrate,
        SourceTool::Dbmate,
        SourceTool::Pop,
        SourceTool::Alembic,
    ];

    /// The name on the command line (`golang-migrate`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SourceTool::Sqlx => "sqlx",
            SourceTool::Diesel => "diesel",
            SourceTool::Refinery => "refinery",
            SourceTool::GolangMigrate => "golang-migrate",
            SourceTool::Dbmate => "dbmate",
            SourceTool::Pop => "pop",
            SourceTool::Alembic => "alembic",
        }
    }

    /// What the tool's migrations look like, as `cargo migrate import --from`
    /// reads them (shown in the command line's help).
    pub fn layout(self) -> &'static str {
        match self {
            SourceTool::Sqlx => "`<version>_<name>.sql`, or `.up.sql`/`.down.sql`",
            SourceTool::Diesel => "`<version>_<name>/up.sql`, `down.sql`, `metadata.toml`",
            SourceTool::Refinery => "`V<version>__<name>.sql`",
            SourceTool::GolangMigrate => "`<version>_<title>.up.sql`/`.down.sql`",
            SourceTool::Dbmate => "`<version>_<name>.sql` with `-- migrate:up`/`-- migrate:down`",
            SourceTool::Pop => "pop/popx as ory/kratos uses it (needs `--dialect`)",
            SourceTool::Alembic => {
                "SOURCE is `alembic upgrade base:heads --sql` output (with `--downgrade-sql` and `--alembic-versions`)"
            }
        }
    }

    /// The tool named `name`.
    pub fn from_name(name: &str) -> Option<SourceTool> {
        SourceTool::ALL.into_iter().find(|tool| tool.name() == name)
    }

    /// The tool's version table (its default name).
    pub fn table(self) -> &'static str {
        match self {
            SourceTool::Sqlx => "_sqlx_migrations",
            SourceTool::Diesel => "__diesel_schema_migrations",
            SourceTool::Refinery => "refinery_schema_history",
            SourceTool::GolangMigrate | SourceTool::Dbmate => "schema_migrations",
            SourceTool::Pop => "schema_migration",
            SourceTool::Alembic => "alembic_version",
        }
    }

    /// The version column.
    pub fn version_column(self) -> &'static str {
        match self {
            SourceTool::Alembic => "version_num",
            _ => "version",
        }
    }

    /// A condition selecting the rows the tool left unfinished, if it marks
    /// them: golang-migrate's `dirty`, sqlx's failed `success`.
    pub fn unfinished_condition(self) -> Option<&'static str> {
        match self {
            SourceTool::GolangMigrate => Some("dirty"),
            SourceTool::Sqlx => Some("NOT success"),
            _ => None,
        }
    }

    /// True when the table holds only the current head(s) (golang-migrate,
    /// Alembic); false when it holds one row per applied migration.
    pub fn records_heads_only(self) -> bool {
        matches!(self, SourceTool::GolangMigrate | SourceTool::Alembic)
    }
}

/// The revision id `cargo migrate import` gives a source version: its ASCII
/// letters, digits and dots (diesel's `2017-09-23-182408` becomes
/// `20170923182408`). Deterministic, so importing twice names revisions the
/// same and `stamp --adopt` finds them without a lookup table.
pub fn imported_revision_id(version: &str) -> String {
    version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// Why a database cannot be adopted as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdoptError {
    /// The tool left a migration unfinished.
    #[error("{tool} marks version(s) {} unfinished ({condition}): the database may be half way through them; finish or undo them with {tool} first", .versions.join(", "))]
    Unfinished {
        /// The tool.
        tool: &'static str,
        /// How the tool marks it.
        condition: &'static str,
        /// The versions.
        versions: Vec<String>,
    },
    /// The database holds versions no revision of the directory comes from.
    #[error("`{table}` holds version(s) the migrations directory lacks: {} (import the newer migrations first)", .versions.join(", "))]
    UnknownVersions {
        /// The tool's table.
        table: &'static str,
        /// The versions.
        versions: Vec<String>,
    },
    /// Revisions below recorded ones are not recorded.
    #[error("`{table}` skips version(s) in the middle of its history: revision(s) {} come before recorded ones but are not recorded; the database may lack their changes", .revisions.join(", "))]
    MissingInTheMiddle {
        /// The tool's table.
        table: &'static str,
        /// The revisions not recorded.
        revisions: Vec<String>,
    },
}

/// What the tool's table says the database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    /// Every revision the database holds (positions, ancestor-closed).
    pub applied: BTreeSet<usize>,
    /// The maximal ones: what `stamp` records, in plan order.
    pub heads: Vec<usize>,
    /// pop versions the directory lacks that come before a recorded one:
    /// pop records its empty migrations, which the import skips.
    pub ignored: Vec<String>,
}

/// Maps the `versions` read from `tool`'s table (and those it marks
/// `unfinished`) to revisions of `graph`, refusing a database that holds a
/// version the graph lacks, skips one in the middle, or is half way through
/// a migration.
pub fn adopt(
    graph: &Graph,
    tool: SourceTool,
    versions: &[String],
    unfinished: &[String],
) -> Result<Adoption, AdoptError> {
    if let (false, Some(condition)) = (unfinished.is_empty(), tool.unfinished_condition()) {
        return Err(AdoptError::Unfinished {
            tool: tool.name(),
            condition,
            versions: unfinished.to_vec(),
        });
    }
    let mut unknown = Vec::new();
    let mut recorded = BTreeSet::new();
    for version in versions {
        match graph.position(&imported_revision_id(version.trim())) {
            Some(position) => {
                recorded.insert(position);
            }
            None => unknown.push(version.clone()),
        }
    }
    let mut ignored = Vec::new();
    if tool == SourceTool::Pop {
        // pop's versions are digits: compared as numbers of any length.
        let key = |version: &str| (version.trim().len(), version.trim().to_string());
        let newest_known = versions
            .iter()
            .filter(|v| !unknown.contains(v))
            .map(|v| key(v))
            .max();
        (ignored, unknown) = unknown
            .into_iter()
            .partition(|v| newest_known.as_ref().is_some_and(|newest| key(v) < *newest));
    }
    if !unknown.is_empty() {
        return Err(AdoptError::UnknownVersions {
            table: tool.table(),
            versions: unknown,
        });
    }
    let applied = graph.ancestors(recorded.iter().copied());
    if !tool.records_heads_only() {
        let missing: Vec<String> = applied
            .difference(&recorded)
            .map(|position| graph.id(*position).to_string())
            .collect();
        if !missing.is_empty() {
            return Err(AdoptError::MissingInTheMiddle {
                table: tool.table(),
                revisions: missing,
            });
        }
    }
    let heads = graph.current_heads(&applied);
    Ok(Adoption {
        applied,
        heads,
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    fn chain(ids: &[&str]) -> Graph {
        let nodes: Vec<Node> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Node {
                id: id.to_string(),
                down_revisions: if i == 0 {
                    vec![]
                } else {
                    vec![ids[i - 1].to_string()]
                },
                depends_on: vec![],
                branch_labels: vec![],
            })
            .collect();
        Graph::new(&nodes)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_and_ids() {
        for tool in SourceTool::ALL {
            assert_eq!(SourceTool::from_name(tool.name()), Some(tool));
        }
        assert_eq!(imported_revision_id("2017-09-23-182408"), "20170923182408");
        assert_eq!(imported_revision_id("ae1027a6acf"), "ae1027a6acf");
    }

    #[test]
    fn a_prefix_of_the_chain_is_adopted_at_its_last_version() {
        let graph = chain(&["20170923182408", "20180101000000", "3"]);
        let adoption = adopt(
            &graph,
            SourceTool::Diesel,
            &strings(&["2017-09-23-182408", "2018-01-01-000000"]),
            &[],
        )
        .unwrap();
        assert_eq!(graph.ids(&adoption.heads), ["20180101000000"]);
        assert_eq!(adoption.applied.len(), 2);
    }

    #[test]
    fn refusals_name_the_versions() {
        let graph = chain(&["1", "2", "3"]);
        let error = adopt(&graph, SourceTool::Refinery, &strings(&["1", "3"]), &[]).unwrap_err();
        assert_eq!(
            error,
            AdoptError::MissingInTheMiddle {
                table: "refinery_schema_history",
                revisions: strings(&["2"])
            }
        );
        assert!(error.to_string().contains("revision(s) 2 come before"));
        let error = adopt(&graph, SourceTool::Sqlx, &strings(&["1", "4"]), &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`_sqlx_migrations` holds version(s) the migrations directory lacks: 4"),
            "{error}"
        );
        // pop's empty migrations are recorded by pop, skipped by the import.
        let graph = chain(&["10", "20", "30"]);
        let adoption = adopt(&graph, SourceTool::Pop, &strings(&["10", "15", "20"]), &[]).unwrap();
        assert_eq!(adoption.ignored, ["15"]);
        assert_eq!(graph.ids(&adoption.heads), ["20"]);
        // Compared as numbers: 4 comes before 10.
        let adoption = adopt(&graph, SourceTool::Pop, &strings(&["10", "4"]), &[]).unwrap();
        assert_eq!(adoption.ignored, ["4"]);
        let error = adopt(&graph, SourceTool::Pop, &strings(&["10", "40"]), &[]).unwrap_err();
        assert!(error
            .to_string()
            .ends_with("lacks: 40 (import the newer migrations first)"));
        let graph = chain(&["1", "2", "3"]);
        // golang-migrate keeps one row: the version it reached.
        let adoption = adopt(&graph, SourceTool::GolangMigrate, &strings(&["2"]), &[]).unwrap();
        assert_eq!(graph.ids(&adoption.heads), ["2"]);
        let error = adopt(
            &graph,
            SourceTool::GolangMigrate,
            &strings(&["2"]),
            &strings(&["2"]),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("golang-migrate marks version(s) 2 unfinished (dirty)"),
            "{error}"
        );
    }
}
