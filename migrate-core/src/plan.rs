//! The plan: the ordered, validated revision graph that `embed_migrations!`
//! embeds as static data, or that `cargo migrate` builds at run time.
//!
//! Every field is a `Cow<'static, _>` so that one type holds both a plan
//! borrowed from the binary's read-only data (the macro's output, built in a
//! `static`) and one owned after reading a directory at run time (the CLI).
//! The fields are public only for the macro's generated code; applications
//! use the accessor methods, which are the stable API.

use std::borrow::Cow;

pub use crate::dialect::Dialect;
use crate::graph::{Graph, Node};

/// A string that is either embedded (`&'static str`) or owned.
pub type Text = Cow<'static, str>;

/// The whole history, in plan order (a deterministic topological order:
/// every revision comes after all of its `down_revisions` and `depends_on`).
#[derive(Debug, Clone)]
pub struct Plan {
    #[doc(hidden)]
    pub revisions: Cow<'static, [Revision]>,
    #[doc(hidden)]
    pub version_table: Text,
    #[doc(hidden)]
    pub dialect: Dialect,
}

impl Plan {
    /// A plan over `revisions`, which must be in plan order (every revision
    /// after the revisions it names): how a plan is built by hand, in tests
    /// or from another source than the compiler.
    pub fn new(revisions: Vec<Revision>, version_table: impl Into<Text>, dialect: Dialect) -> Plan {
        Plan {
            revisions: Cow::Owned(revisions),
            version_table: version_table.into(),
            dialect,
        }
    }

    /// The revision graph, indices in plan order.
    pub fn graph(&self) -> Graph {
        let nodes: Vec<Node> = self
            .revisions()
            .iter()
            .map(|revision| Node {
                id: revision.id().to_string(),
                down_revisions: revision
                    .down_revisions()
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
                depends_on: revision
                    .depends_on()
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
                branch_labels: revision
                    .branch_labels()
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
            })
            .collect();
        Graph::new(&nodes)
    }

    /// Every revision, in plan order (bases first).
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The heads, as Alembic's `heads` prints them: revisions no other
    /// revision names in `down_revision` (`depends_on` does not count). A
    /// plan that compiled has exactly one, unless branch labels keep
    /// separate lines.
    pub fn heads(&self) -> Vec<&Revision> {
        let revisions = self.revisions();
        self.graph()
            .heads()
            .into_iter()
            .map(|position| &revisions[position])
            .collect()
    }

    /// The branch points: revisions that two or more revisions name in
    /// `down_revision`, in plan order.
    pub fn branch_points(&self) -> Vec<&Revision> {
        let revisions = self.revisions();
        self.graph()
            .branch_points()
            .into_iter()
            .map(|position| &revisions[position])
            .collect()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|revision| revision.id == id)
    }

    /// The version table name from `migrate.toml` (default `migrate_version`).
    pub fn version_table(&self) -> &str {
        &self.version_table
    }

    /// The dialect the SQL was validated against.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

/// One migration file.
#[derive(Debug, Clone)]
pub struct Revision {
    #[doc(hidden)]
    pub id: Text,
    #[doc(hidden)]
    pub down_revisions: Cow<'static, [Text]>,
    #[doc(hidden)]
    pub depends_on: Cow<'static, [Text]>,
    #[doc(hidden)]
    pub branch_labels: Cow<'static, [Text]>,
    #[doc(hidden)]
    pub message: Text,
    #[doc(hidden)]
    pub create_date: Text,
    #[doc(hidden)]
    pub file: Text,
    #[doc(hidden)]
    pub checksum: [u8; 32],
    #[doc(hidden)]
    pub upgrade: Cow<'static, [Section]>,
    #[doc(hidden)]
    pub downgrade: Cow<'static, [Section]>,
}

impl Revision {
    /// The revision id (the `revision:` header, also the file name's prefix).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The parents (`down_revision:`); empty for a base, two or more for a merge.
    pub fn down_revisions(&self) -> &[Text] {
        &self.down_revisions
    }

    /// Extra dependencies (`depends_on:`), as in Alembic.
    pub fn depends_on(&self) -> &[Text] {
        &self.depends_on
    }

    /// Branch labels (`branch_labels:`).
    pub fn branch_labels(&self) -> &[Text] {
        &self.branch_labels
    }

    /// The `message:` header (empty when absent).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `create_date:` header (empty when absent).
    pub fn create_date(&self) -> &str {
        &self.create_date
    }

    /// The file path, relative to the crate (or working directory) that compiled the plan.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// SHA-256 over the SQL tokens of every section: comments and whitespace
    /// do not count, so editing them never invalidates an applied revision.
    pub fn checksum(&self) -> &[u8; 32] {
        &self.checksum
    }

    /// The checksum as 64 lowercase hex digits, as stored in the version table.
    pub fn checksum_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.checksum {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// `-- migrate:upgrade` sections in file order.
    pub fn upgrade(&self) -> &[Section] {
        &self.upgrade
    }

    /// `-- migrate:downgrade` sections in file order (the order they run in).
    pub fn downgrade(&self) -> &[Section] {
        &self.downgrade
    }

    /// True when this revision merges two or more parents.
    pub fn is_merge(&self) -> bool {
        self.down_revisions.len() > 1
    }
}

/// A `-- migrate:upgrade` or `-- migrate:downgrade` section.
#[derive(Debug, Clone)]
pub struct Section {
    #[doc(hidden)]
    pub transactional: bool,
    #[doc(hidden)]
    pub line: u32,
    #[doc(hidden)]
    pub statements: Cow<'static, [Statement]>,
}

impl Section {
    /// False for `transaction:false` sections, which run outside a transaction.
    pub fn transactional(&self) -> bool {
        self.transactional
    }

    /// The 1-based line of the section marker.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The statements, each exactly as written in the file.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

/// One SQL statement, byte for byte as in the file (without its `;`).
#[derive(Debug, Clone)]
pub struct Statement {
    #[doc(hidden)]
    pub sql: Text,
    #[doc(hidden)]
    pub line: u32,
}

impl Statement {
    /// The statement text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The 1-based line in the file where the statement starts.
    pub fn line(&self) -> u32 {
        self.line
    }
}
