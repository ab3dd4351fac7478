//! The plan: the ordered revision history that `embed_migrations!` embeds in
//! a binary, or that `cargo migrate` builds at run time, with its graph
//! already resolved.
//!
//! The compiler resolves every name once: each revision's `down_revision`
//! parents and `depends_on` targets (a branch label resolved to the
//! revision that carries it), the heads and the bases are [`Edges`],
//! indices into the plan's revision array. The runtime builds its
//! [`Graph`] from those indices and never looks a name up again.
//!
//! Two forms, one type:
//!
//! - **Embedded** ([`Plan::embedded`], what the macro expands to): two
//!   literals, every text of the plan concatenated into one `&'static str`
//!   and a compact byte table of offsets, counts and indices
//!   ([`Plan::encode`] writes them). rustc builds two literals in the time
//!   it takes to read them, where one nested struct literal per revision
//!   made it peak at 9.4 GB for 10,000 revisions. The table is decoded on
//!   first use into [`Revision`]s whose texts borrow from the `'static`
//!   string (nothing is copied).
//! - **Owned** ([`Plan::new`] by hand, [`Plan::from_parts`] from the
//!   compiler's output, as `cargo migrate` does).
//!
//! [`Revision`], [`Section`] and [`Statement`] hold `Cow<'static, _>` fields
//! so that one type serves both.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

pub use crate::dialect::Dialect;
use crate::graph::{Graph, Node};

/// A string that is either embedded (`&'static str`) or owned.
pub type Text = Cow<'static, str>;

/// The resolved revision graph of a plan: indices into its revision array
/// (plan order), computed once by the compiler from the names in the files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edges {
    /// Per revision, its `down_revision` parents.
    pub parents: Vec<Vec<u32>>,
    /// Per revision, its `depends_on` targets; a branch label names the
    /// revision that carries it.
    pub dependencies: Vec<Vec<u32>>,
    /// Revisions no other revision names in `down_revision`, in plan order.
    pub heads: Vec<u32>,
    /// Revisions without a `down_revision`, in plan order.
    pub bases: Vec<u32>,
}

impl Edges {
    /// The edges of `graph` (whose indices are plan positions).
    pub fn of(graph: &Graph) -> Edges {
        let index = |i: &usize| *i as u32;
        Edges {
            parents: (0..graph.len())
                .map(|i| graph.parents(i).iter().map(index).collect())
                .collect(),
            dependencies: (0..graph.len())
                .map(|i| graph.dependencies(i).iter().map(index).collect())
                .collect(),
            heads: graph.heads().iter().map(index).collect(),
            bases: graph.bases().iter().map(index).collect(),
        }
    }

    /// Resolves the names of `revisions` (in plan order) with [`Graph::new`].
    pub fn resolve(revisions: &[Revision]) -> Edges {
        Edges::of(&Graph::new(&nodes(revisions)))
    }

    fn check(&self, count: usize) -> Result<(), PlanError> {
        let bad = |what: &str| Err(PlanError(format!("{what} do not fit {count} revisions")));
        if self.parents.len() != count || self.dependencies.len() != count {
            return bad("the edge lists");
        }
        for (own, lists) in self.parents.iter().zip(&self.dependencies).enumerate() {
            for index in lists.0.iter().chain(lists.1) {
                if *index as usize >= own {
                    return Err(PlanError(format!(
                        "revision #{own} names #{index}, which does not come before it"
                    )));
                }
            }
        }
        if self
            .heads
            .iter()
            .chain(&self.bases)
            .any(|index| *index as usize >= count)
        {
            return bad("the heads or bases");
        }
        Ok(())
    }
}

fn nodes(revisions: &[Revision]) -> Vec<Node> {
    let strings = |items: &[Text]| items.iter().map(|t| t.to_string()).collect();
    revisions
        .iter()
        .map(|revision| Node {
            id: revision.id().to_string(),
            down_revisions: strings(revision.down_revisions()),
            depends_on: strings(revision.depends_on()),
            branch_labels: strings(revision.branch_labels()),
        })
        .collect()
}

/// A plan whose parts do not fit together (edges out of range or out of
/// plan order, or an embedded table that is not this version's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid migration plan: {0}")]
pub struct PlanError(String);

/// The whole history, in plan order (a deterministic topological order:
/// every revision comes after all of its `down_revisions` and `depends_on`).
#[derive(Clone)]
pub struct Plan {
    embedded: Option<Embedded>,
    data: OnceLock<Data>,
    /// The digest with every revision applied, for a plan built at run
    /// time (an embedded plan reads it from its table).
    all_applied: OnceLock<[u64; 4]>,
}

#[derive(Debug, Clone, Copy)]
struct Embedded {
    text: &'static str,
    table: &'static [u8],
}

#[derive(Debug, Clone)]
struct Data {
    revisions: Vec<Revision>,
    edges: Edges,
    version_table: Text,
    dialect: Dialect,
    graph: OnceLock<Graph>,
}

/// The table's first bytes: a name and the format's version.
const MAGIC: &[u8; 8] = b"MIGPLAN\x02";

/// What the start of an embedded table says of the whole plan, read
/// without decoding a revision (the start-up check needs no more).
struct Head {
    version_table: Text,
    dialect: Dialect,
    heads: usize,
    all_applied: [u64; 4],
}

impl Plan {
    /// A plan over `revisions`, which must be in plan order (every revision
    /// after the revisions it names): how a plan is built by hand, in tests
    /// or from another source than the compiler. The names are resolved
    /// here, with [`Graph::new`].
    pub fn new(revisions: Vec<Revision>, version_table: impl Into<Text>, dialect: Dialect) -> Plan {
        let edges = Edges::resolve(&revisions);
        Plan::owned(revisions, edges, version_table.into(), dialect)
    }

    /// A plan over `revisions` (in plan order) with the compiler's resolved
    /// `edges`; an error when an edge is out of range or points forward.
    pub fn from_parts(
        revisions: Vec<Revision>,
        edges: Edges,
        version_table: impl Into<Text>,
        dialect: Dialect,
    ) -> Result<Plan, PlanError> {
        edges.check(revisions.len())?;
        Ok(Plan::owned(revisions, edges, version_table.into(), dialect))
    }

    fn owned(
        revisions: Vec<Revision>,
        edges: Edges,
        version_table: Text,
        dialect: Dialect,
    ) -> Plan {
        Plan {
            embedded: None,
            all_applied: OnceLock::new(),
            data: OnceLock::from(Data {
                revisions,
                edges,
                version_table,
                dialect,
                graph: OnceLock::new(),
            }),
        }
    }

    /// The plan `embed_migrations!` expands to: the texts and the table
    /// [`Plan::encode`] wrote. A table of another format version, or one
    /// written for another text, stops the build (this runs in a `static`'s
    /// initializer, so the panic is a compile error).
    #[doc(hidden)]
    pub const fn embedded(text: &'static str, table: &'static [u8]) -> Plan {
        let mut i = 0;
        while i < MAGIC.len() {
            if i >= table.len() || table[i] != MAGIC[i] {
                panic!("this migration plan was generated by another version of migrate-build: use the same version of migrate-build and migrate-runtime");
            }
            i += 1;
        }
        let mut length = 0u64;
        let mut byte = 0;
        while byte < 8 {
            if MAGIC.len() + byte >= table.len() {
                panic!("the embedded migration plan's table is truncated");
            }
            length |= (table[MAGIC.len() + byte] as u64) << (8 * byte);
            byte += 1;
        }
        if length != text.len() as u64 {
            panic!("the embedded migration plan's text and table do not belong together");
        }
        Plan {
            embedded: Some(Embedded { text, table }),
            data: OnceLock::new(),
            all_applied: OnceLock::new(),
        }
    }

    /// The head of the embedded table, if this plan is embedded (O(1),
    /// whether or not the revisions were decoded).
    fn head(&self) -> Option<Head> {
        let embedded = self.embedded?;
        let mut decoder = Decoder::new(embedded);
        match decoder.head() {
            Ok(head) => Some(head),
            // Written by this version's `encode` (see `data`).
            Err(error) => panic!("{error} (a bug in migrate-build; please report it)"),
        }
    }

    fn data(&self) -> &Data {
        self.data.get_or_init(|| match self.embedded {
            Some(embedded) => match decode(embedded) {
                Ok(data) => data,
                // The table comes from this version's `encode` (checked at
                // compile time by `embedded`); a failure is a bug there.
                Err(error) => panic!("{error} (a bug in migrate-build; please report it)"),
            },
            None => Data {
                revisions: Vec::new(),
                edges: Edges::default(),
                version_table: Text::Borrowed("migrate_version"),
                dialect: Dialect::Generic,
                graph: OnceLock::new(),
            },
        })
    }

    /// The two literals of the embedded form: every text of the plan in one
    /// string (identical texts stored once) and the table of offsets,
    /// counts and indices. Deterministic: the same plan gives the same
    /// bytes.
    pub fn encode(&self) -> (String, Vec<u8>) {
        let data = self.data();
        let mut encoder = Encoder::default();
        encoder.text(&data.version_table);
        encoder.uint(
            Dialect::ALL
                .iter()
                .position(|dialect| *dialect == data.dialect)
                .unwrap_or(0) as u64,
        );
        encoder.uint(data.edges.heads.len() as u64);
        for word in self.all_applied_sum() {
            encoder.table.extend_from_slice(&word.to_le_bytes());
        }
        encoder.uint(data.revisions.len() as u64);
        for (index, revision) in data.revisions.iter().enumerate() {
            for text in [
                &revision.id,
                &revision.message,
                &revision.create_date,
                &revision.file,
            ] {
                encoder.text(text);
            }
            encoder.table.extend_from_slice(&revision.checksum);
            for list in [
                &revision.down_revisions,
                &revision.depends_on,
                &revision.branch_labels,
            ] {
                encoder.uint(list.len() as u64);
                for text in list.iter() {
                    encoder.text(text);
                }
            }
            for list in [&data.edges.parents[index], &data.edges.dependencies[index]] {
                encoder.indices(list);
            }
            for sections in [&revision.upgrade, &revision.downgrade] {
                encoder.uint(sections.len() as u64);
                for section in sections.iter() {
                    encoder.uint(u64::from(section.transactional));
                    encoder.uint(u64::from(section.line));
                    encoder.uint(section.statements.len() as u64);
                    for statement in section.statements.iter() {
                        encoder.text(&statement.sql);
                        encoder.uint(u64::from(statement.line));
                    }
                }
            }
        }
        encoder.indices(&data.edges.heads);
        encoder.indices(&data.edges.bases);
        let mut table = Vec::with_capacity(MAGIC.len() + 8 + encoder.table.len());
        table.extend_from_slice(MAGIC);
        table.extend_from_slice(&(encoder.text.len() as u64).to_le_bytes());
        table.extend_from_slice(&encoder.table);
        (encoder.text, table)
    }

    /// Every revision, in plan order (bases first).
    pub fn revisions(&self) -> &[Revision] {
        &self.data().revisions
    }

    /// The resolved graph: parents, dependencies, heads and bases as indices
    /// into [`Plan::revisions`].
    pub fn edges(&self) -> &Edges {
        &self.data().edges
    }

    /// The revision graph, indices in plan order, built from the resolved
    /// [`Plan::edges`] (once per plan).
    pub fn graph(&self) -> &Graph {
        let data = self.data();
        data.graph.get_or_init(|| {
            let widen = |lists: &[Vec<u32>]| -> Vec<Vec<usize>> {
                lists
                    .iter()
                    .map(|list| list.iter().map(|i| *i as usize).collect())
                    .collect()
            };
            Graph::from_edges(
                data.revisions.iter().map(|r| r.id().to_string()).collect(),
                data.revisions
                    .iter()
                    .map(|r| r.branch_labels().iter().map(|l| l.to_string()).collect())
                    .collect(),
                widen(&data.edges.parents),
                widen(&data.edges.dependencies),
            )
        })
    }

    /// The heads, as Alembic's `heads` prints them: revisions no other
    /// revision names in `down_revision` (`depends_on` does not count). A
    /// plan that compiled has exactly one, unless branch labels keep
    /// separate lines.
    pub fn heads(&self) -> Vec<&Revision> {
        self.at(&self.data().edges.heads)
    }

    /// The bases: revisions without a `down_revision`.
    pub fn bases(&self) -> Vec<&Revision> {
        self.at(&self.data().edges.bases)
    }

    fn at(&self, indices: &[u32]) -> Vec<&Revision> {
        let revisions = self.revisions();
        indices
            .iter()
            .filter_map(|index| revisions.get(*index as usize))
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
        self.revisions().iter().find(|revision| revision.id == id)
    }

    /// The version table name from `migrate.toml` (default `migrate_version`).
    pub fn version_table(&self) -> &str {
        match self.head() {
            Some(Head {
                version_table: Cow::Borrowed(name),
                ..
            }) => name,
            _ => &self.data().version_table,
        }
    }

    /// The dialect the SQL was validated against.
    pub fn dialect(&self) -> Dialect {
        match self.head() {
            Some(head) => head.dialect,
            None => self.data().dialect,
        }
    }

    /// How many heads the plan has ([`Plan::heads`], counted without
    /// decoding an embedded plan).
    pub fn head_count(&self) -> usize {
        match self.head() {
            Some(head) => head.heads,
            None => self.data().edges.heads.len(),
        }
    }

    /// The version table's summary digest once every revision of the plan
    /// is applied ([`crate::digest`]): what `upgrade heads` reaches, and
    /// `upgrade head` when the plan has one head. Written into an embedded
    /// plan's table by [`Plan::encode`], so the start-up check decodes
    /// nothing.
    pub fn all_applied_digest(&self) -> String {
        crate::digest::hex(self.all_applied_sum())
    }

    fn all_applied_sum(&self) -> [u64; 4] {
        if let Some(head) = self.head() {
            return head.all_applied;
        }
        *self
            .all_applied
            .get_or_init(|| crate::digest::of_revisions(self.revisions().iter()))
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        f.debug_struct("Plan")
            .field("embedded", &self.embedded.is_some())
            .field("revisions", &data.revisions)
            .field("edges", &data.edges)
            .field("version_table", &data.version_table)
            .field("dialect", &data.dialect)
            .finish()
    }
}

impl PartialEq for Plan {
    fn eq(&self, other: &Plan) -> bool {
        let (a, b) = (self.data(), other.data());
        a.revisions == b.revisions
            && a.edges == b.edges
            && a.version_table == b.version_table
            && a.dialect == b.dialect
    }
}

/// Writes the table: LEB128 numbers, texts as (offset, length) into one
/// string in which identical texts are stored once.
#[derive(Default)]
struct Encoder<'a> {
    text: String,
    table: Vec<u8>,
    seen: HashMap<&'a str, usize>,
}

impl<'a> Encoder<'a> {
    fn uint(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.table.push(byte);
                return;
            }
            self.table.push(byte | 0x80);
        }
    }

    fn text(&mut self, text: &'a str) {
        let offset = match self.seen.get(text) {
            Some(offset) => *offset,
            None => {
                let offset = self.text.len();
                self.text.push_str(text);
                self.seen.insert(text, offset);
                offset
            }
        };
        self.uint(offset as u64);
        self.uint(text.len() as u64);
    }

    fn indices(&mut self, indices: &[u32]) {
        self.uint(indices.len() as u64);
        for index in indices {
            self.uint(u64::from(*index));
        }
    }
}

/// Reads the table [`Plan::encode`] wrote.
struct Decoder {
    text: &'static str,
    table: &'static [u8],
    at: usize,
}

impl Decoder {
    fn new(embedded: Embedded) -> Decoder {
        Decoder {
            text: embedded.text,
            table: embedded.table,
            at: MAGIC.len() + 8,
        }
    }

    /// The table's head: version table, dialect, head count and the digest
    /// with every revision applied.
    fn head(&mut self) -> Result<Head, PlanError> {
        let version_table = self.text()?;
        let dialect = usize::try_from(self.uint()?)
            .ok()
            .and_then(|index| Dialect::ALL.get(index).copied())
            .ok_or_else(|| self.error("unknown dialect"))?;
        let heads = self.count()?;
        let mut all_applied = [0u64; 4];
        for word in &mut all_applied {
            *word = u64::from_le_bytes(self.bytes("truncated digest")?);
        }
        Ok(Head {
            version_table,
            dialect,
            heads,
            all_applied,
        })
    }

    /// The next `N` bytes of the table as they are (`what`: the error when
    /// the table ends first).
    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], PlanError> {
        let bytes: [u8; N] = self
            .table
            .get(self.at..self.at.saturating_add(N))
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| self.error(what))?;
        self.at += N;
        Ok(bytes)
    }

    fn error(&self, what: &str) -> PlanError {
        PlanError(format!(
            "the embedded table is corrupt at byte {} ({what})",
            self.at
        ))
    }

    fn uint(&mut self) -> Result<u64, PlanError> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let Some(byte) = self.table.get(self.at).copied() else {
                return Err(self.error("truncated"));
            };
            self.at += 1;
            if shift > 63 {
                return Err(self.error("number too long"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// A count of items that each take at least one byte of the table.
    fn count(&mut self) -> Result<usize, PlanError> {
        let count = self.uint()?;
        if count > (self.table.len() - self.at.min(self.table.len())) as u64 {
            return Err(self.error("count larger than the table"));
        }
        Ok(count as usize)
    }

    fn u32(&mut self) -> Result<u32, PlanError> {
        let value = self.uint()?;
        u32::try_from(value).map_err(|_| self.error("number out of range"))
    }

    fn text(&mut self) -> Result<Text, PlanError> {
        let offset = self.uint()?;
        let length = self.uint()?;
        let end = offset
            .checked_add(length)
            .ok_or_else(|| self.error("text out of range"))?;
        let text = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(offset, end)| self.text.get(offset..end))
            .ok_or_else(|| self.error("text out of range"))?;
        Ok(Cow::Borrowed(text))
    }

    fn texts(&mut self) -> Result<Cow<'static, [Text]>, PlanError> {
        let count = self.count()?;
        (0..count)
            .map(|_| self.text())
            .collect::<Result<Vec<_>, _>>()
            .map(Cow::Owned)
    }

    fn indices(&mut self) -> Result<Vec<u32>, PlanError> {
        let count = self.count()?;
        (0..count).map(|_| self.u32()).collect()
    }

    fn sections(&mut self) -> Result<Cow<'static, [Section]>, PlanError> {
        let count = self.count()?;
        let mut sections = Vec::with_capacity(count);
        for _ in 0..count {
            let transactional = self.uint()? != 0;
            let line = self.u32()?;
            let statements = self.count()?;
            let statements = (0..statements)
                .map(|_| {
                    Ok(Statement {
                        sql: self.text()?,
                        line: self.u32()?,
                    })
                })
                .collect::<Result<Vec<_>, PlanError>>()?;
            sections.push(Section {
                transactional,
                line,
                statements: Cow::Owned(statements),
            });
        }
        Ok(Cow::Owned(sections))
    }
}

fn decode(embedded: Embedded) -> Result<Data, PlanError> {
    let mut decoder = Decoder::new(embedded);
    let Head {
        version_table,
        dialect,
        heads,
        ..
    } = decoder.head()?;
    let count = decoder.count()?;
    let mut revisions = Vec::with_capacity(count);
    let mut edges = Edges {
        parents: Vec::with_capacity(count),
        dependencies: Vec::with_capacity(count),
        ..Edges::default()
    };
    for _ in 0..count {
        let id = decoder.text()?;
        let message = decoder.text()?;
        let create_date = decoder.text()?;
        let file = decoder.text()?;
        let checksum: [u8; 32] = decoder.bytes("truncated checksum")?;
        let down_revisions = decoder.texts()?;
        let depends_on = decoder.texts()?;
        let branch_labels = decoder.texts()?;
        edges.parents.push(decoder.indices()?);
        edges.dependencies.push(decoder.indices()?);
        let upgrade = decoder.sections()?;
        let downgrade = decoder.sections()?;
        revisions.push(Revision {
            id,
            down_revisions,
            depends_on,
            branch_labels,
            message,
            create_date,
            file,
            checksum,
            upgrade,
            downgrade,
        });
    }
    edges.heads = decoder.indices()?;
    if edges.heads.len() != heads {
        return Err(decoder.error("head count"));
    }
    edges.bases = decoder.indices()?;
    if decoder.at != decoder.table.len() {
        return Err(decoder.error("trailing bytes"));
    }
    edges.check(count)?;
    Ok(Data {
        revisions,
        edges,
        version_table,
        dialect,
        graph: OnceLock::new(),
    })
}

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(id: &str, parents: &[&str], depends_on: &[&str], labels: &[&str]) -> Revision {
        let texts = |items: &[&str]| -> Cow<'static, [Text]> {
            Cow::Owned(items.iter().map(|s| Text::from(s.to_string())).collect())
        };
        let section = |sql: String, line: u32| {
            Cow::Owned(vec![Section {
                transactional: line % 2 == 0,
                line,
                statements: Cow::Owned(vec![Statement {
                    sql: Text::from(sql),
                    line: line + 1,
                }]),
            }])
        };
        Revision {
            id: Text::from(id.to_string()),
            down_revisions: texts(parents),
            depends_on: texts(depends_on),
            branch_labels: texts(labels),
            message: Text::from(format!("create {id} \"quoted\" \u{e9}\r\n")),
            create_date: Text::from(""),
            file: Text::from(format!("migrations/{id}_x.sql")),
            checksum: [id.len() as u8; 32],
            upgrade: section(format!("CREATE TABLE t_{id} (id INTEGER)"), 6),
            downgrade: section(format!("DROP TABLE t_{id}"), 9),
        }
    }

    /// a -> b (label `side`) ; a -> c depends_on `side` ; d merges b, c.
    fn sample() -> Plan {
        Plan::new(
            vec![
                revision("a", &[], &[], &["main"]),
                revision("b", &["a"], &[], &["side"]),
                revision("c", &["a"], &["side"], &[]),
                revision("d", &["b", "c"], &[], &[]),
            ],
            "app_versions",
            Dialect::Postgres,
        )
    }

    fn leak(plan: &Plan) -> Plan {
        let (text, table) = plan.encode();
        Plan::embedded(
            Box::leak(text.into_boxed_str()),
            Box::leak(table.into_boxed_slice()),
        )
    }

    #[test]
    fn names_resolve_to_indices_once() {
        let plan = sample();
        let edges = plan.edges();
        assert_eq!(edges.parents, [vec![], vec![0], vec![0], vec![1, 2]]);
        // `depends_on: side` is the revision carrying the label.
        assert_eq!(edges.dependencies, [vec![], vec![], vec![1], vec![]]);
        assert_eq!(edges.heads, [3]);
        assert_eq!(edges.bases, [0]);
        assert_eq!(plan.graph().requires(2), [0, 1]);
    }

    #[test]
    fn the_embedded_form_decodes_to_the_same_plan() {
        let plan = sample();
        let embedded = leak(&plan);
        assert_eq!(embedded, plan);
        assert_eq!(embedded.version_table(), "app_versions");
        assert_eq!(embedded.dialect(), Dialect::Postgres);
        let heads: Vec<&str> = embedded.heads().iter().map(|r| r.id()).collect();
        assert_eq!(heads, ["d"]);
        assert_eq!(embedded.graph().requires(2), [0, 1]);
        // Texts borrow from the embedded string.
        assert!(matches!(embedded.revisions()[0].id, Cow::Borrowed(_)));
        // Deterministic, and identical texts are stored once.
        assert_eq!(embedded.encode(), plan.encode());
        let (text, _) = plan.encode();
        assert_eq!(text.matches("CREATE TABLE t_a ").count(), 1);
        assert_eq!(text.matches("side").count(), 1);
    }

    #[test]
    fn edges_that_do_not_fit_are_refused() {
        let plan = sample();
        let revisions = plan.revisions().to_vec();
        let mut forward = plan.edges().clone();
        forward.parents[1] = vec![3];
        let error = Plan::from_parts(revisions.clone(), forward, "v", Dialect::Generic)
            .expect_err("a parent after its child");
        assert!(
            error.to_string().contains("does not come before it"),
            "{error}"
        );
        let mut short = plan.edges().clone();
        short.dependencies.pop();
        assert!(Plan::from_parts(revisions.clone(), short, "v", Dialect::Generic).is_err());
        let fine = Plan::from_parts(revisions, plan.edges().clone(), "v", Dialect::Generic);
        assert_eq!(fine.expect("fits").heads().len(), 1);
    }

    #[test]
    fn a_corrupt_table_is_an_error_not_a_crash() {
        let (text, table) = sample().encode();
        let text: &'static str = Box::leak(text.into_boxed_str());
        for cut in [MAGIC.len() + 8, table.len() / 2, table.len() - 1] {
            let table: &'static [u8] = Box::leak(table[..cut].to_vec().into_boxed_slice());
            assert!(decode(Embedded { text, table }).is_err(), "cut at {cut}");
        }
        let mut longer = table.clone();
        longer.push(0);
        let longer: &'static [u8] = Box::leak(longer.into_boxed_slice());
        assert!(decode(Embedded {
            text,
            table: longer
        })
        .is_err());
    }

    #[test]
    #[should_panic(expected = "another version of migrate-build")]
    fn a_table_of_another_format_stops_the_build() {
        let _ = Plan::embedded("", b"MIGPLAN\x01\0\0\0\0\0\0\0\0");
    }

    /// The digest the start-up check expects for `heads` (and `head` with
    /// one head) is what resolving the target gives, and an embedded plan
    /// answers it, with its table's name, dialect and head count, without
    /// decoding a revision.
    #[test]
    fn the_head_of_the_table_answers_without_decoding() {
        let two_heads = Plan::new(
            vec![
                revision("a", &[], &[], &[]),
                revision("b", &["a"], &[], &["side"]),
                revision("c", &["a"], &[], &[]),
                revision("e", &["c"], &["side"], &[]),
            ],
            "v",
            Dialect::Sqlite,
        );
        for (plan, heads) in [(sample(), 1), (two_heads, 2)] {
            let resolved = |target: &str| {
                let target: crate::Target = target.parse().expect("a target");
                let positions = plan.graph().upgrade(&[], &target).expect("resolves");
                let revisions = plan.revisions();
                crate::digest::hex(crate::digest::of_revisions(
                    positions.iter().map(|&p| &revisions[p]),
                ))
            };
            assert_eq!(plan.all_applied_digest(), resolved("heads"));
            if heads == 1 {
                assert_eq!(plan.all_applied_digest(), resolved("head"));
            }
            let embedded = leak(&plan);
            assert_eq!(embedded.version_table(), plan.version_table());
            assert_eq!(embedded.dialect(), plan.dialect());
            assert_eq!(embedded.head_count(), heads);
            assert_eq!(embedded.all_applied_digest(), plan.all_applied_digest());
            assert!(embedded.data.get().is_none(), "nothing was decoded");
            assert_eq!(embedded.heads().len(), heads);
            assert_eq!(embedded.all_applied_digest(), plan.all_applied_digest());
        }
        assert_ne!(sample().all_applied_digest(), crate::digest::hex([0; 4]));
    }
}
