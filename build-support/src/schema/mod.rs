//! The schema model: tables, columns, indexes, constraints, views, types and
//! sequences, replayed statement by statement from the history.
//!
//! The model is deliberately humble. It only claims to know what it saw being
//! created; a statement it cannot follow (a `DO` block, an `unchecked`
//! statement, a call to a user function, `SET search_path`) makes it *open*,
//! and from then on a reference to an object it does not know is not an
//! error. A false error on a valid history is worse than a missed one.
//!
//! The model is incremental: a [`Journal`] records the state of each object
//! the first time a statement touches it, so the downgrade check can compare
//! a revision's touched objects with their state before the upgrade without
//! cloning the whole schema per revision (10,000 revisions stay linear).

mod apply;
mod attributes;
pub use attributes::{sqlite_expression, sqlite_index_predicate, sqlite_text};
mod diff;
mod explain;
pub use explain::{model_after, model_of, model_of_plan};
pub use pg_objects::is_routine;
mod dependencies;
mod mariadb;
mod names;
mod pg_objects;
mod sequence;
pub use sequence::{
    nextval_sequence, sequence_type, serial_base, serial_for, SequenceChange, SequenceOptions,
};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The model's hash maps. They are keyed by names and looked up several
/// times per replayed statement, so hashing is a good part of the replay:
/// foldhash hashes such short keys several times faster than the standard
/// library's SipHash (seeded per process, like it; nothing depends on the
/// iteration order).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// See [`Map`].
type Set<K> = HashSet<K, foldhash::fast::RandomState>;
use std::sync::Arc;

pub use compact_str::CompactString;

pub(crate) use apply::normalize_type_into;
pub use apply::{normalize_type, Problem, ProblemKind};
pub(crate) use dependencies::{check_reads, generated_reads, index_reads};
pub use diff::Difference;
pub use names::{
    mysql_default_index_name, pg_choose_name, pg_name_addition, pg_object_name, pg_truncate, Name,
    Naming, PG_MAX_IDENTIFIER,
};

/// The SQL dialect whose naming rules the model follows (PostgreSQL folds
/// unquoted identifiers to lower case with `public` as the default schema;
/// MySQL and SQLite compare case-insensitively, MySQL's index names are per
/// table, SQLite's default schema is `main`; the generic dialect folds as
/// PostgreSQL does without the `public` schema).
pub use migrate_core::Dialect;

/// A column as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Folded name.
    pub name: CompactString,
    /// Normalised type text (`integer`, `character varying(20)`, ...).
    pub data_type: CompactString,
    /// False when declared `NOT NULL` or part of the primary key.
    pub nullable: bool,
    /// A `DEFAULT`, a serial type, or an identity/generated column.
    pub has_default: bool,
    /// The column as declared, for writing SQL (autogenerate); `None` when
    /// not known (a column read from a catalog).
    pub sql: Option<ColumnSql>,
}

/// A column's declaration, printed by sqlparser from the statement that
/// declared or last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSql {
    /// The declared type (`VARCHAR(20)`, `INTEGER`, `SERIAL`).
    pub data_type: CompactString,
    /// The `DEFAULT` expression, if any.
    pub default: Option<CompactString>,
    /// An identity, generated or auto-increment clause, as declared.
    pub generated: Option<CompactString>,
}

/// The entry of [`Schema`]'s unsure texts for the default (or generation
/// expression) of `column`: a NUL first, which no constraint name of the
/// same set holds.
pub(crate) fn default_marker(column: &str) -> String {
    format!("\u{0}default {column}")
}

/// What kind of constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `FOREIGN KEY` / `REFERENCES`.
    ForeignKey,
    /// `CHECK`.
    Check,
    /// `EXCLUDE` and anything else named.
    Other,
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The constraint's name: the declared one, or the name PostgreSQL would generate.
    pub name: CompactString,
    /// True when `name` was guessed (the statement declared none).
    pub generated_name: bool,
    /// Kind.
    pub kind: ConstraintKind,
    /// Columns it covers (folded; may be empty when not known).
    pub columns: Vec<CompactString>,
    /// For a foreign key, the referenced table.
    pub references: Option<Name>,
    /// The constraint without its name, as sqlparser prints it
    /// (`CHECK (a > 0)`, `FOREIGN KEY (a) REFERENCES t(id) ON DELETE CASCADE`);
    /// `None` when not known.
    pub definition: Option<CompactString>,
    /// For a foreign key, its `ON DELETE` and `ON UPDATE` actions in the
    /// form [`ForeignKeyActions`] prints; `None` when not known (or not a
    /// foreign key).
    pub actions: Option<ForeignKeyActions>,
}

/// What a foreign key does when the row it references is deleted or its key
/// updated, each one of `no action`, `restrict`, `cascade`, `set null`,
/// `set default` (lower case, as the model and every catalog reader write
/// it; a key declared without an action has `no action`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForeignKeyActions {
    /// `ON DELETE`.
    pub on_delete: String,
    /// `ON UPDATE`.
    pub on_update: String,
}

/// An index's `WHERE` clause (a partial index), as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexPredicate {
    /// No `WHERE`: the index covers every row.
    Whole,
    /// A `WHERE` whose condition reads as the server prints it
    /// (PostgreSQL: `pg_get_expr`, e.g. `(deleted_at IS NULL)`; SQLite:
    /// the condition as sqlparser prints it, on both sides).
    Where(String),
    /// A `WHERE` whose text the model cannot print as the server does.
    Partial,
    /// Not known whether the index has a `WHERE`.
    Unknown,
}

/// A table (or anything with columns that the model treats like one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Folded, qualified name.
    pub name: Name,
    /// Columns in declaration order, shared between copies of the table:
    /// the journal's copy of a table a statement changes (an index added or
    /// dropped, a comment) does not copy its columns; a change to them goes
    /// through [`Arc::make_mut`], which copies them only while shared.
    pub columns: Arc<Vec<Column>>,
    /// Constraints in declaration order.
    pub constraints: Vec<Constraint>,
    /// Indexes on this table (keys of [`Schema`]'s index map).
    pub indexes: NameSet,
    /// The columns are not known (`CREATE TABLE AS`, `LIKE`, a table first
    /// seen in an ALTER after the model became open): column checks are off.
    pub open_columns: bool,
    /// A constraint was dropped by a name the model could not match, so the
    /// constraint list is not trusted any more.
    pub open_constraints: bool,
    /// The table's comment (`COMMENT ON TABLE`, MySQL's `COMMENT=` option).
    pub comment: Option<String>,
    /// Column comments by folded column name (`COMMENT ON COLUMN`, MySQL's
    /// `COMMENT` column option).
    pub column_comments: BTreeMap<CompactString, String>,
}

/// A small sorted set of names (a table's indexes): a list in name order,
/// searched by halves. A table has a handful of indexes, which a list
/// holds in a few dozen bytes where a `BTreeSet` takes a node of eleven
/// places; the lint pass copies and drops one with every table it
/// journals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSet(Vec<Name>);

impl NameSet {
    /// Adds `name`; false when it was there already.
    pub fn insert(&mut self, name: Name) -> bool {
        match self.0.binary_search(&name) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, name);
                true
            }
        }
    }

    /// Takes `name` out; false when it was not there.
    pub fn remove(&mut self, name: &Name) -> bool {
        match self.0.binary_search(name) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &Name) -> bool {
        self.0.binary_search(name).is_ok()
    }

    /// The names in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Name> {
        self.0.iter()
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No names.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes every name out.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl<'a> IntoIterator for &'a NameSet {
    type Item = &'a Name;
    type IntoIter = std::slice::Iter<'a, Name>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for NameSet {
    type Item = Name;
    type IntoIter = std::vec::IntoIter<Name>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Name> for NameSet {
    fn from_iter<I: IntoIterator<Item = Name>>(names: I) -> Self {
        let mut names: Vec<Name> = names.into_iter().collect();
        names.sort();
        names.dedup();
        NameSet(names)
    }
}

impl Table {
    /// A table named `name` with nothing in it yet, every part known.
    pub fn new(name: Name) -> Table {
        Table {
            name,
            columns: Arc::default(),
            constraints: Vec::new(),
            indexes: Default::default(),
            open_columns: false,
            open_constraints: false,
            comment: None,
            column_comments: BTreeMap::new(),
        }
    }

    /// The column named `name` (already folded).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns to change, copied first if another copy of the table
    /// shares them.
    pub fn columns_mut(&mut self) -> &mut Vec<Column> {
        Arc::make_mut(&mut self.columns)
    }

    fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        let at = self.columns.iter().position(|c| c.name == name)?;
        self.columns_mut().get_mut(at)
    }
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Folded, qualified name (on MySQL, `table.index`).
    pub name: Name,
    /// The indexed table.
    pub table: Name,
    /// Column names; `None` for an expression.
    pub columns: Vec<Option<CompactString>>,
    /// `UNIQUE`.
    pub unique: bool,
    /// The index backs a primary key, unique or exclusion constraint of the
    /// same name (PostgreSQL): it goes with the constraint, and renaming one
    /// renames the other.
    pub constraint: bool,
    /// MariaDB made it for a foreign key that no index could serve (InnoDB
    /// needs one): it goes, without a word, once another index can serve
    /// that key (a later index whose leading columns are its columns, or a
    /// longer index made for another foreign key), even after the foreign
    /// key itself was dropped. Always false on other dialects, and for an
    /// index read from a catalog (the flag is not shown there).
    pub implicit: bool,
    /// What follows the table in the statement that created it
    /// (`USING gin (a, lower(b)) WHERE c`), for an index created by a
    /// statement of its own or an `INDEX` clause; `None` for one that comes
    /// with a constraint, and when not known.
    pub definition: Option<CompactString>,
    /// The access method in lower case as the server names it (`btree`,
    /// `gin`, `gist`, `hash`; MariaDB: `btree`, `fulltext`, `spatial`,
    /// `hash`); `None` when not known.
    pub method: Option<CompactString>,
    /// The `WHERE` clause of a partial index.
    pub predicate: IndexPredicate,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Folded, qualified name.
    pub name: Name,
    /// `MATERIALIZED`.
    pub materialized: bool,
    /// The relations its query reads (tables and views): a `DROP ... CASCADE`
    /// of one of them drops this view too.
    pub depends_on: BTreeSet<Name>,
    /// The query as sqlparser prints it, when known.
    pub definition: Option<String>,
    /// Its comment (`COMMENT ON [MATERIALIZED] VIEW`; PostgreSQL).
    pub comment: Option<String>,
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// Folded, qualified name.
    pub name: Name,
    /// The column that owns it (`serial`, identity, `OWNED BY`): it goes
    /// with that column or its table.
    pub owned_by: Option<(Name, CompactString)>,
    /// Its options, defaults filled in; `None` when not known (a serial's
    /// or identity's sequence, a value the model does not read).
    pub options: Option<SequenceOptions>,
}

/// A user-defined type (enum, composite, domain, range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDef {
    /// Folded, qualified name.
    pub name: Name,
    /// Enum labels in order (empty for other kinds).
    pub labels: Vec<String>,
    /// Enum, domain or another kind.
    pub kind: TypeKind,
    /// For a domain, its base type as [`normalize_type`] prints it
    /// (`integer`, `character varying(20)`, `mood`; a catalog gives
    /// `format_type`'s text); `None` for another kind or when not known.
    pub base: Option<CompactString>,
}

/// What a user-defined type is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// `CREATE TYPE ... AS ENUM`.
    Enum,
    /// `CREATE DOMAIN`, with what follows its name as sqlparser prints it
    /// (`AS INTEGER CHECK (VALUE > 0)`); `None` when not known (read from
    /// a catalog).
    Domain(Option<String>),
    /// `CREATE TYPE ... AS (...)`, with what follows its name as sqlparser
    /// prints it (`AS (name TEXT, subfeatures TEXT[])`; a catalog gives the
    /// attributes' `format_type`s: `AS (name text, subfeatures text[])`);
    /// `None` when not known.
    Composite(Option<String>),
    /// A range or base type (or a kind the model does not tell).
    Other,
}

/// A PostgreSQL extension (`CREATE EXTENSION`), by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// Folded name (extensions are named per database, not per schema).
    pub name: Name,
    /// The `CREATE EXTENSION` statement as declared, without its `;`
    /// (autogenerate writes it back); `None` when not known (read from a
    /// catalog).
    pub sql: Option<String>,
}

/// A PostgreSQL function or procedure: every overload of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Folded, qualified name.
    pub name: Name,
    /// The argument types of each overload as the server identifies it
    /// (`oidvectortypes(proargtypes)`: `integer, text`, empty for none);
    /// `None` when the model cannot be sure of every overload's types.
    pub signatures: Option<BTreeSet<String>>,
    /// The declaration of each overload the model knows, by its argument
    /// types (a key of `signatures`); an overload missing here is one whose
    /// declaration is not known (renamed, moved, read from a catalog
    /// without its text).
    pub definitions: BTreeMap<String, FunctionDef>,
}

/// One overload of a function or procedure as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    /// The `CREATE [OR REPLACE] FUNCTION|PROCEDURE` statement as written,
    /// without its `;` (a catalog gives `pg_get_functiondef`'s text).
    pub sql: String,
    /// What `CREATE OR REPLACE` cannot change: the argument list and the
    /// `RETURNS` clause, lower-cased tokens; `None` when not read.
    pub head: Option<String>,
    /// The body, the string after `AS` as the server keeps it in
    /// `pg_proc.prosrc`; `None` when there is none or it is not read.
    pub body: Option<String>,
}

impl FunctionDef {
    /// The statement for comparison: whitespace runs made one space, the
    /// `CREATE [OR REPLACE]` in front and a final `;` left out.
    pub fn normal(&self) -> String {
        let words: Vec<&str> = self.after_create().split_whitespace().collect();
        words.join(" ").trim_end_matches(';').trim_end().to_string()
    }

    /// The statement with `CREATE OR REPLACE` in front.
    pub fn or_replace(&self) -> String {
        let rest = self.after_create().trim_end();
        format!(
            "CREATE OR REPLACE {}",
            rest.trim_end_matches(';').trim_end()
        )
    }

    /// The text after `CREATE [OR REPLACE]`.
    fn after_create(&self) -> &str {
        let mut rest = self.sql.trim_start();
        for word in ["create", "or", "replace"] {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if !rest[..end].eq_ignore_ascii_case(word) {
                break;
            }
            rest = rest[end..].trim_start();
        }
        rest
    }
}

/// A PostgreSQL trigger on a table or view; it goes with its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// `<table>.<trigger>` in the table's schema (trigger names are per
    /// table).
    pub name: Name,
    /// The table (or view) it fires on.
    pub table: Name,
    /// The function it runs, when known (`DROP FUNCTION ... CASCADE`
    /// drops the trigger).
    pub function: Option<Name>,
}

/// The kind of a schema object, part of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A table.
    Table,
    /// An index.
    Index,
    /// A view or materialized view.
    View,
    /// A type or domain.
    Type,
    /// A sequence (created explicitly, or owned by a serial or identity column).
    Sequence,
    /// An extension (PostgreSQL).
    Extension,
    /// A function or procedure with its overloads (PostgreSQL).
    Function,
    /// A trigger, keyed `<table>.<trigger>` (PostgreSQL).
    Trigger,
}

impl ObjectKind {
    /// Lower-case noun for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ObjectKind::Table => "table",
            ObjectKind::Index => "index",
            ObjectKind::View => "view",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Extension => "extension",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
        }
    }
}

/// An object's identity in the model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    /// What it is.
    pub kind: ObjectKind,
    /// Its folded, qualified name.
    pub name: Name,
}

/// An object key as borrowed parts: the maps keyed by [`ObjectKey`] are
/// searched with a [`KeyRef`] as `&dyn KeyParts`, without copying a name
/// into a new key for each lookup (the replay looks up several per
/// statement).
trait KeyParts {
    /// Kind, schema and name, which the key's hash and equality are of.
    fn parts(&self) -> (ObjectKind, Option<&str>, &str);
}

impl KeyParts for ObjectKey {
    fn parts(&self) -> (ObjectKind, Option<&str>, &str) {
        (self.kind, self.name.schema.as_deref(), &self.name.name)
    }
}

/// The key of the object of `kind` named `name`, borrowed.
struct KeyRef<'a> {
    kind: ObjectKind,
    name: &'a Name,
}

impl KeyParts for KeyRef<'_> {
    fn parts(&self) -> (ObjectKind, Option<&str>, &str) {
        (self.kind, self.name.schema.as_deref(), &self.name.name)
    }
}

impl std::hash::Hash for ObjectKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state)
    }
}

impl std::hash::Hash for dyn KeyParts + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state)
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

impl<'a> std::borrow::Borrow<dyn KeyParts + 'a> for ObjectKey {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

/// A schema object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A table.
    Table(Table),
    /// An index.
    Index(Index),
    /// A view or materialized view.
    View(View),
    /// A type.
    Type(TypeDef),
    /// A sequence.
    Sequence(Sequence),
    /// An extension.
    Extension(Extension),
    /// A function or procedure.
    Function(Function),
    /// A trigger.
    Trigger(Trigger),
}

/// The state of every object a stretch of statements touched, as it was
/// before the first of them (`None`: the object did not exist).
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// Boxed, as in the model's own map: a dropped object's box moves into
    /// the journal and back on `restore`, and the map's entries stay small.
    before: Recorded,
    /// Whether the model became open (or stopped knowing something) inside
    /// the journalled stretch, which makes a comparison meaningless.
    pub opened: bool,
    was_open: bool,
    /// The uncertain set as it was before its first change in the stretch.
    uncertain_before: Option<Map<ObjectKey, Arc<str>>>,
    /// The schemas, functions and schema-changing triggers as they were
    /// before their first change in the stretch.
    routines_before: Option<Routines>,
}

/// What the model knows besides objects: schemas, function bodies, and
/// triggers that change the schema.
#[derive(Debug, Clone, Default)]
struct Routines {
    schemas: BTreeSet<String>,
    functions: BTreeMap<String, String>,
    schema_triggers: BTreeSet<String>,
    unsure_texts: BTreeSet<(ObjectKey, String)>,
}

/// How many characters of a statement's first line a cause shows.
const CAUSE_CHARS: usize = 60;

/// The statement being replayed, as far as its cause needs it.
#[derive(Debug, Clone)]
struct Statement {
    /// Where it comes from ([`Schema::set_origin`] when it began).
    origin: Arc<str>,
    /// The start of its first line of code, up to `4 * CAUSE_CHARS` bytes.
    line: String,
    /// The line goes on after `line`.
    cut: bool,
}

impl Journal {
    /// The recorded keys, sorted for deterministic messages.
    pub fn keys(&self) -> Vec<&ObjectKey> {
        let mut keys: Vec<_> = self.before.keys().collect();
        keys.sort();
        keys
    }

    /// The state recorded for `key`, if the stretch touched it: `Some(None)`
    /// when the object did not exist before the stretch.
    pub fn before(&self, key: &ObjectKey) -> Option<Option<&Object>> {
        self.before.get(key).map(Option::as_deref)
    }
}

/// A journal's records: each touched object's key and its boxed state
/// before the stretch.
type Recorded = Map<ObjectKey, Option<Box<Object>>>;

/// The model's objects by key, each boxed: an entry is a key and a
/// pointer, so the map's growth and the journal's records move little
/// (whole objects as entries made the lint pass's data-cache misses 3x
/// `3ef6fe5`'s).
#[derive(Debug, Clone, Default)]
struct ObjectMap(Map<ObjectKey, Box<Object>>);

impl ObjectMap {
    fn get<Q>(&self, key: &Q) -> Option<&Object>
    where
        Q: ?Sized + std::hash::Hash + Eq,
        ObjectKey: std::borrow::Borrow<Q>,
    {
        self.0.get(key).map(|object| &**object)
    }

    fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut Object>
    where
        Q: ?Sized + std::hash::Hash + Eq,
        ObjectKey: std::borrow::Borrow<Q>,
    {
        self.0.get_mut(key).map(|object| &mut **object)
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        Q: ?Sized + std::hash::Hash + Eq,
        ObjectKey: std::borrow::Borrow<Q>,
    {
        self.0.contains_key(key)
    }

    fn insert(&mut self, key: ObjectKey, object: Box<Object>) -> Option<Box<Object>> {
        self.0.insert(key, object)
    }

    fn remove<Q>(&mut self, key: &Q) -> Option<Box<Object>>
    where
        Q: ?Sized + std::hash::Hash + Eq,
        ObjectKey: std::borrow::Borrow<Q>,
    {
        self.0.remove(key)
    }

    /// The box of the object `key` names, to replace it in place.
    fn get_box_mut(&mut self, key: &ObjectKey) -> Option<&mut Box<Object>> {
        self.0.get_mut(key)
    }

    fn iter(&self) -> impl Iterator<Item = (&ObjectKey, &Object)> + '_ {
        self.0.iter().map(|(key, object)| (key, &**object))
    }

    fn keys(&self) -> impl Iterator<Item = &ObjectKey> + '_ {
        self.0.keys()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The replayed schema.
#[derive(Debug, Clone)]
pub struct Schema {
    dialect: Dialect,
    objects: ObjectMap,
    /// Schemas created in the history (folded).
    schemas: BTreeSet<String>,
    /// Functions created in the history (folded, unqualified name -> the
    /// lower-cased text of their definition): a call to one runs its body.
    functions: BTreeMap<String, String>,
    /// Tables with a trigger whose function changes the schema: a data
    /// statement may run it (the function names).
    schema_triggers: BTreeSet<String>,
    /// Texts the model keeps that the server may no longer print as it
    /// would print them fresh ([`Schema::text_unsure`]): an index (with an
    /// empty constraint name) or a table's check, after a column it reads
    /// changed type.
    unsure_texts: BTreeSet<(ObjectKey, String)>,
    /// Objects that a statement the model could not follow (a `DO` block, a
    /// function call, an `unchecked` statement) may have changed or dropped:
    /// no check reports a missing or duplicate part of them. Each maps to
    /// the statement that made it uncertain ([`Schema::uncertain_cause`]).
    uncertain: Map<ObjectKey, Arc<str>>,
    /// Where the statement being replayed comes from (set by the caller,
    /// e.g. the revision id), for [`Schema::uncertain_cause`].
    origin: Arc<str>,
    /// The statement being replayed (`None` before the first), from which
    /// `cause` is written when a statement needs it.
    statement: Option<Statement>,
    /// The statement being replayed, as `uncertain_cause` names it, once
    /// written (most statements make nothing uncertain, so it is written
    /// only when needed: formatting it for every statement cost a quarter
    /// of the replay).
    cause: Option<Arc<str>>,
    /// How many constraints of each name a schema holds (PostgreSQL names
    /// constraints per schema): derived from the tables, kept by `put`.
    /// Keyed by schema, then name, so that a lookup copies no string.
    constraint_names: Map<Option<CompactString>, Map<CompactString, usize>>,
    /// Which objects name each relation (a view reading it, an index on it,
    /// a sequence owned by it, a table with a foreign key to it): derived
    /// from the objects, kept by `put`, so that a `DROP` finds what goes
    /// with it without scanning every object (that scan made replaying a
    /// history with a drop per revision quadratic).
    referrers: Map<Name, Set<ObjectKey>>,
    open: bool,
    /// The statement that made the model open.
    opened_by: Option<Arc<str>>,
    journal: Option<Journal>,
    /// Emptied journal maps kept for the next journals (a lint pass records
    /// two journals per revision: growing fresh maps each time moved their
    /// entries again and again).
    spare_journals: Vec<Recorded>,
}

impl Schema {
    /// An empty schema for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Schema {
            dialect,
            objects: ObjectMap::default(),
            schemas: BTreeSet::new(),
            functions: BTreeMap::new(),
            schema_triggers: BTreeSet::new(),
            unsure_texts: BTreeSet::new(),
            uncertain: Map::default(),
            origin: Arc::from(""),
            statement: None,
            cause: None,
            constraint_names: Map::default(),
            referrers: Map::default(),
            open: false,
            opened_by: None,
            journal: None,
            spare_journals: Vec::new(),
        }
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// True once a statement the model cannot follow has run: from then on
    /// unknown objects are not reported.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The schemas (namespaces) the model saw created and not dropped
    /// (`CREATE SCHEMA`), folded; the default schema is not one of them.
    pub fn schemas(&self) -> &BTreeSet<String> {
        &self.schemas
    }

    /// The statement that made the model open (as
    /// [`Schema::uncertain_cause`] names it), or `None` while it is not.
    pub fn opened_by(&self) -> Option<&str> {
        self.opened_by.as_deref()
    }

    /// Marks the model open (a statement that could create or change anything).
    pub fn set_open(&mut self) {
        self.open = true;
        if self.opened_by.is_none() {
            self.opened_by = Some(self.cause());
        }
        if let Some(journal) = &mut self.journal {
            journal.opened = true;
        }
    }

    /// The table `name`, if known.
    pub fn table(&self, name: &Name) -> Option<&Table> {
        match self.get(ObjectKind::Table, name) {
            Some(Object::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The index `name`, if known.
    pub fn index(&self, name: &Name) -> Option<&Index> {
        match self.get(ObjectKind::Index, name) {
            Some(Object::Index(i)) => Some(i),
            _ => None,
        }
    }

    /// Whether an object of `kind` named `name` is known.
    pub fn contains(&self, kind: ObjectKind, name: &Name) -> bool {
        self.get(kind, name).is_some()
    }

    /// The object of `kind` named `name`, found without building its key.
    fn get(&self, kind: ObjectKind, name: &Name) -> Option<&Object> {
        self.objects.get(&KeyRef { kind, name } as &dyn KeyParts)
    }

    /// The object with this key, if known.
    pub fn object(&self, key: &ObjectKey) -> Option<&Object> {
        self.objects.get(key)
    }

    /// Every known object, sorted by key (for `--explain-model` and the
    /// fidelity test).
    pub fn objects(&self) -> Vec<(&ObjectKey, &Object)> {
        let mut all: Vec<_> = self.objects.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// True when a statement the model could not follow may have changed or
    /// dropped this object: checks on it stay silent.
    pub fn is_uncertain(&self, key: &ObjectKey) -> bool {
        self.uncertain.contains_key(key)
    }

    /// The statement that made `key` uncertain, as the warnings and
    /// `--explain-model` name it (``revision 0003: `DO $$ ...` ``), or `None`
    /// when the object is not uncertain.
    pub fn uncertain_cause(&self, key: &ObjectKey) -> Option<&str> {
        self.uncertain.get(key).map(|c| &**c)
    }

    /// Names where the statements replayed from now on come from (a
    /// revision id): [`Schema::uncertain_cause`] says it.
    pub fn set_origin(&mut self, origin: &str) {
        self.origin = Arc::from(origin);
    }

    /// Marks `key` uncertain (see [`Schema::is_uncertain`]), caused by the
    /// statement being replayed.
    pub fn mark_uncertain(&mut self, key: ObjectKey) {
        let cause = self.cause();
        self.mark_uncertain_by(key, cause);
    }

    /// Marks `key` uncertain with the cause of another object (a rename
    /// carries it).
    fn mark_uncertain_by(&mut self, key: ObjectKey, cause: Arc<str>) {
        if self.uncertain.contains_key(&key) {
            return;
        }
        self.snapshot_uncertain();
        self.uncertain.insert(key, cause);
    }

    /// Records the statement about to be replayed, for the causes of the
    /// objects it makes uncertain: the start of its first line of code (no
    /// more than the 60 characters the cause shows), kept in a buffer that
    /// is reused from statement to statement.
    fn begin_statement(&mut self, text: &str) {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("--"))
            .unwrap_or("");
        // 60 characters are at most 240 bytes.
        let mut end = line.len().min(4 * CAUSE_CHARS);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        let origin = self.origin.clone();
        let statement = self.statement.get_or_insert_with(|| Statement {
            origin: origin.clone(),
            line: String::new(),
            cut: false,
        });
        statement.origin = origin;
        statement.line.clear();
        statement.line.push_str(&line[..end]);
        statement.cut = end < line.len();
        self.cause = None;
    }

    /// The statement being replayed, as the causes name it
    /// (``revision 0003: `DO $$ ...` ``), written on first use.
    fn cause(&mut self) -> Arc<str> {
        if let Some(cause) = &self.cause {
            return cause.clone();
        }
        let cause: Arc<str> = match &self.statement {
            None => Arc::from("a statement the model cannot follow"),
            Some(statement) => {
                let mut shown: String = statement.line.chars().take(CAUSE_CHARS).collect();
                if statement.cut || shown.len() < statement.line.len() {
                    shown.push_str("...");
                }
                if statement.origin.is_empty() {
                    Arc::from(format!("`{shown}`"))
                } else {
                    Arc::from(format!("revision {}: `{shown}`", statement.origin))
                }
            }
        };
        self.cause = Some(cause.clone());
        cause
    }

    /// The object is known again (created or dropped by a statement the
    /// model follows).
    fn settle(&mut self, key: &ObjectKey) {
        if self.uncertain.contains_key(key) {
            self.snapshot_uncertain();
            self.uncertain.remove(key);
        }
    }

    /// Whether the text the model keeps of the index `key` (`constraint`
    /// `None`) or of the check `constraint` of the table `key` may not be
    /// the one the server prints: a column it reads changed type, and the
    /// server rebuilt it from its own stored text (which may keep a cast
    /// that the text made fresh would not get). Such a text is not compared.
    pub fn text_unsure(&self, key: &ObjectKey, constraint: Option<&str>) -> bool {
        self.unsure_texts
            .contains(&(key.clone(), constraint.unwrap_or("").to_string()))
    }

    /// Whether the model's text of the default or generation expression of
    /// `column` of the table `table` may not be the one the server prints:
    /// the column's type changed (the server converts the stored
    /// expression, whose casts then differ from a fresh one's), or an object
    /// the expression names (a column, a sequence, a type, a table) was
    /// renamed, which the server's stored expression follows and the
    /// model's text does not. Such a text is not compared.
    pub fn default_unsure(&self, table: &ObjectKey, column: &str) -> bool {
        self.unsure_texts
            .contains(&(table.clone(), default_marker(column)))
    }

    /// Marks a text unsure ([`Schema::text_unsure`]), or sure again (a
    /// new object of that name) when `unsure` is false.
    pub(super) fn set_text_unsure(&mut self, key: &ObjectKey, constraint: &str, unsure: bool) {
        let entry = (key.clone(), constraint.to_string());
        if self.unsure_texts.contains(&entry) != unsure {
            self.snapshot_routines();
            if unsure {
                self.unsure_texts.insert(entry);
            } else {
                self.unsure_texts.remove(&entry);
            }
        }
    }

    /// Records the schemas, functions and triggers before their first
    /// change in the journalled stretch (called before changing them).
    fn snapshot_routines(&mut self) {
        if let Some(journal) = &mut self.journal {
            if journal.routines_before.is_none() {
                journal.routines_before = Some(Routines {
                    schemas: self.schemas.clone(),
                    functions: self.functions.clone(),
                    schema_triggers: self.schema_triggers.clone(),
                    unsure_texts: self.unsure_texts.clone(),
                });
            }
        }
    }

    fn snapshot_uncertain(&mut self) {
        if let Some(journal) = &mut self.journal {
            journal.opened = true;
            if journal.uncertain_before.is_none() {
                journal.uncertain_before = Some(self.uncertain.clone());
            }
        }
    }

    /// Whether a constraint named `name` exists in `schema` (PostgreSQL's
    /// constraint names are unique per schema for generated names).
    pub fn constraint_name_taken(&self, schema: &Option<CompactString>, name: &str) -> bool {
        self.constraint_names
            .get(schema)
            .and_then(|names| names.get(name))
            .is_some_and(|n| *n > 0)
    }

    /// Whether a relation (table, index, view, sequence) named `name`
    /// exists: PostgreSQL keeps them in one namespace per schema.
    pub fn relation_taken(&self, name: &Name) -> bool {
        [
            ObjectKind::Table,
            ObjectKind::Index,
            ObjectKind::View,
            ObjectKind::Sequence,
        ]
        .into_iter()
        .any(|kind| self.contains(kind, name))
    }

    /// Number of known objects (tables, indexes, views, types, sequences).
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when the model knows no object.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Starts recording the before-state of every object touched from now on.
    pub fn begin_journal(&mut self) {
        let before = self.spare_journals.pop().unwrap_or_default();
        self.journal = Some(Journal {
            before,
            was_open: self.open,
            ..Journal::default()
        });
    }

    /// The journal being recorded, if any.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// Stops recording and returns what was recorded.
    pub fn take_journal(&mut self) -> Journal {
        self.journal.take().unwrap_or_default()
    }

    /// Puts every object of `journal` back to its recorded state (used to
    /// undo a downgrade after checking it).
    pub fn restore(&mut self, journal: Journal) {
        self.open = journal.was_open;
        if !self.open {
            self.opened_by = None;
        }
        if let Some(uncertain) = journal.uncertain_before {
            self.uncertain = uncertain;
        }
        if let Some(routines) = journal.routines_before {
            self.schemas = routines.schemas;
            self.functions = routines.functions;
            self.schema_triggers = routines.schema_triggers;
            self.unsure_texts = routines.unsure_texts;
        }
        let mut recorded = journal.before;
        for (key, before) in recorded.drain() {
            self.put(key, before);
        }
        self.keep_spare(recorded);
    }

    /// Gives back a journal that is no longer needed, so that its map is
    /// reused by a later journal instead of grown afresh.
    pub fn recycle(&mut self, journal: Journal) {
        let mut recorded = journal.before;
        recorded.clear();
        self.keep_spare(recorded);
    }

    /// Keeps an empty journal map for reuse (two at most: the lint pass
    /// holds the upgrade's journal while it records the downgrade's).
    fn keep_spare(&mut self, recorded: Recorded) {
        if self.spare_journals.len() < 2 && recorded.capacity() > 0 {
            self.spare_journals.push(recorded);
        }
    }

    /// Sets `key`'s state, keeping the derived constraint-name counts and
    /// referrers. A name already counted or indexed is not copied again.
    /// The object comes and goes boxed (the box moves between the model
    /// and a journal; the object itself is not copied).
    fn put(&mut self, key: ObjectKey, object: Option<Box<Object>>) -> Option<Box<Object>> {
        if let Some(Object::Table(table)) = object.as_deref() {
            if !table.constraints.is_empty() {
                let names = match self.constraint_names.get_mut(&table.name.schema) {
                    Some(names) => names,
                    None => self
                        .constraint_names
                        .entry(table.name.schema.clone())
                        .or_default(),
                };
                for c in &table.constraints {
                    match names.get_mut(&c.name) {
                        Some(n) => *n += 1,
                        None => {
                            names.insert(c.name.clone(), 1);
                        }
                    }
                }
            }
        }
        if let Some(object) = &object {
            for name in referenced(object) {
                let keys = match self.referrers.get_mut(name) {
                    Some(keys) => keys,
                    None => self.referrers.entry(name.clone()).or_default(),
                };
                if !keys.contains(&key) {
                    keys.insert(key.clone());
                }
            }
        }
        let old = match (object, self.objects.get_box_mut(&key)) {
            (Some(object), Some(slot)) => Some(std::mem::replace(slot, object)),
            (Some(object), None) => self.objects.insert(key.clone(), object),
            (None, _) => self.objects.remove(&key),
        };
        if let Some(old) = &old {
            let now = self.objects.get(&key);
            for name in referenced(old) {
                if now.is_some_and(|now| referenced(now).any(|n| n == name)) {
                    continue;
                }
                if let Some(keys) = self.referrers.get_mut(name) {
                    keys.remove(&key);
                    if keys.is_empty() {
                        self.referrers.remove(name);
                    }
                }
            }
        }
        if let Some(Object::Table(table)) = old.as_deref() {
            if let Some(names) = self.constraint_names.get_mut(&table.name.schema) {
                for c in &table.constraints {
                    if let Some(n) = names.get_mut(&c.name) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
        }
        old
    }

    /// Records `key`'s current state in the journal unless already recorded.
    fn touch(&mut self, key: &ObjectKey) {
        if let Some(journal) = &mut self.journal {
            if !journal.before.contains_key(key) {
                journal
                    .before
                    .insert(key.clone(), self.objects.get(key).cloned().map(Box::new));
            }
        }
    }

    /// Puts `object` in place of the object `key` names (autogenerate's
    /// merge of the server's reprint, [`crate::autogen::settle_reprints`]).
    pub(crate) fn replace_object(&mut self, key: ObjectKey, object: Object) {
        self.insert(key, object);
    }

    fn insert(&mut self, key: ObjectKey, object: Object) {
        self.touch(&key);
        self.put(key, Some(Box::new(object)));
    }

    fn remove(&mut self, key: &ObjectKey) -> Option<Object> {
        self.touch(key);
        self.settle(key);
        self.put(key.clone(), None).map(|old| *old)
    }

    /// Removes `key` as [`Schema::remove`] does, for a caller that does
    /// not need the object: when the journal has not recorded it yet, the
    /// object's box moves into the journal instead of a copy.
    /// Returns whether it existed.
    fn discard(&mut self, key: &ObjectKey) -> bool {
        let record = self
            .journal
            .as_ref()
            .is_some_and(|journal| !journal.before.contains_key(key));
        self.settle(key);
        let old = self.put(key.clone(), None);
        let existed = old.is_some();
        if record {
            if let Some(journal) = &mut self.journal {
                journal.before.insert(key.clone(), old);
            }
        }
        existed
    }

    /// Moves the table `key` names out of the model for a statement to
    /// change it, leaving in its place a table of the same name with only
    /// its constraints, so that the derived indexes (constraint names,
    /// referrers) still count what the model held and the name stays taken;
    /// the caller puts the changed table back with `insert`. The journal
    /// records the table first if it has not yet. The changes made
    /// meanwhile must not read the table through the model (they get the
    /// stand-in); in return the table is not copied (a statement that
    /// changes a table copied it whole before).
    fn take_table(&mut self, key: &ObjectKey) -> Option<Table> {
        if !matches!(self.objects.get(key), Some(Object::Table(_))) {
            return None;
        }
        self.touch(key);
        let Some(Object::Table(slot)) = self.objects.get_mut(key) else {
            return None;
        };
        let stand_in = Table {
            constraints: slot.constraints.clone(),
            ..Table::new(slot.name.clone())
        };
        Some(std::mem::replace(slot, stand_in))
    }

    /// A table to change in place; the change must not touch its
    /// constraints (those go through `insert`, which counts their names).
    fn table_mut(&mut self, name: &Name) -> Option<&mut Table> {
        let parts = KeyRef {
            kind: ObjectKind::Table,
            name,
        };
        let parts = &parts as &dyn KeyParts;
        if !self.objects.contains_key(parts) {
            return None;
        }
        if let Some(journal) = &mut self.journal {
            if !journal.before.contains_key(parts) {
                journal.before.insert(
                    key(ObjectKind::Table, name),
                    self.objects.get(parts).cloned().map(Box::new),
                );
            }
        }
        match self.objects.get_mut(parts) {
            Some(Object::Table(t)) => Some(t),
            _ => None,
        }
    }
}

/// The relations `object` names: what a view reads, an index's table, a
/// sequence's owning table, the tables a table's foreign keys point at.
fn referenced(object: &Object) -> Referenced<'_> {
    match object {
        Object::View(view) => Referenced::Set(view.depends_on.iter()),
        Object::Index(index) => Referenced::One(Some(&index.table)),
        Object::Sequence(sequence) => {
            Referenced::One(sequence.owned_by.as_ref().map(|(table, _)| table))
        }
        Object::Table(table) => Referenced::Constraints(table.constraints.iter()),
        Object::Trigger(trigger) => Referenced::One(Some(&trigger.table)),
        Object::Type(_) | Object::Extension(_) | Object::Function(_) => Referenced::One(None),
    }
}

/// The iterator [`referenced`] returns (not boxed: `put` asks for it two
/// or three times per change, and a box each time was an allocation).
enum Referenced<'a> {
    /// A view's relations.
    Set(std::collections::btree_set::Iter<'a, Name>),
    /// At most one relation.
    One(Option<&'a Name>),
    /// A table's foreign keys' targets.
    Constraints(std::slice::Iter<'a, Constraint>),
}

impl<'a> Iterator for Referenced<'a> {
    type Item = &'a Name;

    fn next(&mut self) -> Option<&'a Name> {
        match self {
            Referenced::Set(names) => names.next(),
            Referenced::One(name) => name.take(),
            Referenced::Constraints(constraints) => {
                constraints.find_map(|constraint| constraint.references.as_ref())
            }
        }
    }
}

/// Whether `name` may be a name PostgreSQL generated: `generated` (a name
/// the model worked out) up to the number added on a collision, or, with no
/// `generated`, any name of the form `..._pkey`, `_key`, `_fkey`, `_check` or
/// `_excl` with or without a number.
fn may_be_generated(name: &str, generated: Option<&str>) -> bool {
    let base = |n: &str| n.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
    match generated {
        Some(generated) => base(name) == base(generated),
        None => ["_pkey", "_key", "_fkey", "_check", "_excl"]
            .iter()
            .any(|label| base(name).ends_with(label)),
    }
}

/// Builds an [`ObjectKey`].
pub fn key(kind: ObjectKind, name: &Name) -> ObjectKey {
    ObjectKey {
        kind,
        name: name.clone(),
    }
}

#[cfg(test)]
mod tests;
