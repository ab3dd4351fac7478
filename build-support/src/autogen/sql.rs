//! The statements that turn one model into another.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::schema::{
    nextval_sequence, serial_base, serial_for, Column, CompactString, Constraint, ConstraintKind,
    Dialect, Extension, Function, Index, Name, Object, Schema, Sequence, Table, Trigger, TypeDef,
    TypeKind, View,
};

mod pg;

/// The reason written on the `-- migrate:unchecked` line of an `ALTER
/// SEQUENCE` (the schema model follows it: `Schema::apply`).
pub(super) const SEQUENCE_UNCHECKED: &str =
    "sqlparser does not read ALTER SEQUENCE; the schema model follows it";

/// One statement of a generated revision, with the `-- REVIEW:` lines
/// written before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The statement, without its `;`.
    pub sql: String,
    /// Why a human must read it (destructive, may fail, may be a rename).
    pub review: Vec<String>,
    /// The reason of the `-- migrate:unchecked` line written before it: a
    /// statement sqlparser does not read, which the schema model still
    /// follows (MariaDB's `ALTER TABLE ... COMMENT =`).
    pub unchecked: Option<&'static str>,
}

/// A section of the generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// False for a `transaction:false` section (`CONCURRENTLY`).
    pub transactional: bool,
    /// Its statements in order.
    pub steps: Vec<Step>,
}

/// One `-- REVIEW:` item, as `--format json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    /// `upgrade` or `downgrade`.
    pub section: &'static str,
    /// The statement it is about.
    pub statement: String,
    /// What to check.
    pub message: String,
}

/// What [`generate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Turns the first model into the second.
    pub upgrade: Vec<Section>,
    /// Turns the second back into the first.
    pub downgrade: Vec<Section>,
    /// Objects left out because the model does not know them for sure
    /// (an uncertain object, a table whose columns are not known).
    pub unknown: Vec<String>,
    /// Differences the model knows of but that no statement here writes
    /// (an identity or generated clause that changes, a type of a kind the
    /// model cannot write, ...), each with what to do by hand; those only
    /// the downgrade meets start with `downgrade: `.
    pub unwritten: Vec<String>,
}

impl Generated {
    /// True when there is nothing to write (the two models agree, but for
    /// what is [`Generated::unwritten`]).
    pub fn is_empty(&self) -> bool {
        self.upgrade.iter().all(|s| s.steps.is_empty())
    }

    /// True when nothing differs that the model knows of: nothing to
    /// write and nothing left unwritten.
    pub fn is_same(&self) -> bool {
        self.is_empty() && self.unwritten.is_empty()
    }

    /// Every `-- REVIEW:` item, upgrade first.
    pub fn reviews(&self) -> Vec<Review> {
        let mut out = Vec::new();
        for (name, sections) in [("upgrade", &self.upgrade), ("downgrade", &self.downgrade)] {
            for step in sections.iter().flat_map(|s| &s.steps) {
                for message in &step.review {
                    out.push(Review {
                        section: name,
                        statement: step.sql.clone(),
                        message: message.clone(),
                    });
                }
            }
        }
        out
    }

    /// The sections as a revision file's body (after the header).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (marker, sections) in [("upgrade", &self.upgrade), ("downgrade", &self.downgrade)] {
            for section in sections.iter().filter(|s| !s.steps.is_empty()) {
                out.push_str("-- migrate:");
                out.push_str(marker);
                if !section.transactional {
                    out.push_str(" transaction:false");
                }
                out.push('\n');
                for step in &section.steps {
                    for line in &step.review {
                        out.push_str("-- REVIEW: ");
                        out.push_str(line);
                        out.push('\n');
                    }
                    if let Some(reason) = step.unchecked {
                        out.push_str("-- migrate:unchecked -- ");
                        out.push_str(reason);
                        out.push('\n');
                    }
                    out.push_str(&step.sql);
                    out.push_str(";\n");
                }
                out.push('\n');
            }
        }
        out
    }
}

/// The revision that turns `from` into `to` (the upgrade) and back (the
/// downgrade). Both models must have the same dialect.
pub fn generate(from: &Schema, to: &Schema) -> Generated {
    let (from, to) = (sequences_written_out(from), sequences_written_out(to));
    let (upgrade, mut unknown, mut unwritten) = Changes::new(&from, &to, false).run();
    let (downgrade, _, unwritten_down) = Changes::new(&to, &from, true).run();
    unknown.sort();
    unknown.dedup();
    unwritten.sort();
    unwritten.dedup();
    for u in unwritten_down {
        if !unwritten.contains(&u) {
            unwritten.push(format!("downgrade: {u}"));
        }
    }
    unwritten.dedup();
    Generated {
        upgrade,
        downgrade,
        unknown,
        unwritten,
    }
}

/// `nextval('name'::regclass)`, the text PostgreSQL stores for a default
/// that reads the sequence `name`.
fn nextval_text(d: Dialect, name: &Name) -> String {
    let name = match &name.schema {
        Some(schema) => format!("{}.{}", quote(d, schema), quote(d, &name.name)),
        None => quote(d, &name.name),
    };
    format!("nextval({}::regclass)", literal(&name))
}

/// `schema` with every column that reads a sequence in one form: a `serial`
/// column as its integer type with the `DEFAULT nextval('<its
/// sequence>'::regclass)` that `serial` stands for (also once its type was
/// changed: the default stays), and every `nextval` default in the text the
/// server stores. A `serial` and the same column written out (`CREATE
/// SEQUENCE`, the default, `OWNED BY`) then compare equal, and what differs
/// between them (the sequence's name, type, options, owner) is a difference
/// of the sequence. PostgreSQL (and the generic dialect) only.
fn sequences_written_out(schema: &Schema) -> Cow<'_, Schema> {
    let d = schema.dialect();
    if !matches!(d, Dialect::Postgres | Dialect::Generic) {
        return Cow::Borrowed(schema);
    }
    let objects = schema.objects();
    let mut owned: BTreeMap<(&Name, &str), &Name> = BTreeMap::new();
    for (_, object) in &objects {
        if let Object::Sequence(s) = object {
            if let Some((table, column)) = &s.owned_by {
                owned.insert((table, column.as_str()), &s.name);
            }
        }
    }
    let mut changed = Vec::new();
    for (key, object) in &objects {
        let Object::Table(t) = object else { continue };
        let mut table: Option<Table> = None;
        for (i, c) in t.columns.iter().enumerate() {
            let Some(sql) = &c.sql else { continue };
            if sql.generated.is_some() {
                continue;
            }
            let owner = owned.get(&(&t.name, c.name.as_str())).copied();
            let serial = serial_base(&sql.data_type);
            let reads = match (&sql.default, serial, owner) {
                (None, Some(_), Some(sequence)) => Some(sequence.clone()),
                // A serial whose type was changed keeps its default.
                (None, None, Some(sequence)) if c.has_default => Some(sequence.clone()),
                (Some(default), _, _) => nextval_sequence(d, default),
                _ => None,
            };
            let Some(reads) = reads else { continue };
            let mut column = c.clone();
            if let Some(base) = serial {
                column.data_type = CompactString::from(base);
                column.nullable = false;
            }
            column.has_default = true;
            if let Some(sql) = &mut column.sql {
                if let Some(base) = serial {
                    sql.data_type = CompactString::from(base.to_ascii_uppercase());
                }
                sql.default = Some(nextval_text(d, &reads).into());
            }
            if column != *c {
                table.get_or_insert_with(|| t.clone()).columns_mut()[i] = column;
            }
        }
        if let Some(table) = table {
            changed.push(((*key).clone(), Object::Table(table)));
        }
    }
    if changed.is_empty() {
        return Cow::Borrowed(schema);
    }
    let mut out = schema.clone();
    for (key, object) in changed {
        out.replace_object(key, object);
    }
    Cow::Owned(out)
}

struct Models<'a> {
    tables: BTreeMap<&'a Name, &'a Table>,
    indexes: BTreeMap<&'a Name, &'a Index>,
    views: BTreeMap<&'a Name, &'a View>,
    types: BTreeMap<&'a Name, &'a TypeDef>,
    sequences: BTreeMap<&'a Name, &'a Sequence>,
    /// Functions whose every overload's declaration is known (PostgreSQL).
    functions: BTreeMap<&'a Name, &'a Function>,
    /// Triggers, which are not written: a function one runs is not dropped.
    triggers: Vec<&'a Trigger>,
    /// The names of the objects left out as not known for sure.
    skipped: BTreeSet<Name>,
    /// MariaDB: the indexes the server made for a foreign key, which stay
    /// when the key is dropped.
    implicit: BTreeMap<&'a Name, &'a Index>,
    /// PostgreSQL's extensions (those known for sure).
    extensions: BTreeMap<&'a Name, &'a Extension>,
    /// The schemas (namespaces) created, folded.
    schemas: BTreeSet<&'a str>,
}

impl<'a> Models<'a> {
    /// Removes the objects named in `names`.
    fn leave_out(&mut self, names: &BTreeSet<Name>) {
        self.tables.retain(|n, _| !names.contains(*n));
        self.indexes
            .retain(|n, i| !names.contains(*n) && !names.contains(&i.table));
        self.views.retain(|n, _| !names.contains(*n));
        self.types.retain(|n, _| !names.contains(*n));
        // A sequence goes with the table that owns it.
        self.sequences.retain(|n, s| {
            !names.contains(*n) && !s.owned_by.as_ref().is_some_and(|(t, _)| names.contains(t))
        });
        self.functions.retain(|n, _| !names.contains(*n));
    }

    fn of(schema: &'a Schema, unknown: &mut Vec<String>) -> Models<'a> {
        let mut m = Models {
            tables: BTreeMap::new(),
            indexes: BTreeMap::new(),
            views: BTreeMap::new(),
            types: BTreeMap::new(),
            sequences: BTreeMap::new(),
            functions: BTreeMap::new(),
            triggers: Vec::new(),
            skipped: BTreeSet::new(),
            implicit: BTreeMap::new(),
            extensions: BTreeMap::new(),
            schemas: schema.schemas().iter().map(String::as_str).collect(),
        };
        for (key, object) in schema.objects() {
            if schema.is_uncertain(key) {
                let cause = schema
                    .uncertain_cause(key)
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                unknown.push(format!(
                    "{} {}: a statement the schema model cannot follow may have changed it{cause}",
                    key.kind.noun(),
                    key.name
                ));
                m.skipped.insert(key.name.clone());
                continue;
            }
            match object {
                Object::Table(t) => {
                    // A constraint whose text the model does not hold and
                    // cannot write from its columns.
                    let unwritable = t.constraints.iter().any(|c| {
                        let from_columns =
                            matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                                && !c.columns.is_empty();
                        c.definition.is_none() && !from_columns
                    });
                    if t.open_columns || t.open_constraints || unwritable {
                        let why = if t.open_columns {
                            "its columns are not known to the schema model"
                        } else if t.open_constraints {
                            "its constraints are not known to the schema model (one was dropped \
                             by a name the model could not match)"
                        } else {
                            "the definition of a constraint is not known to the schema model"
                        };
                        unknown.push(format!("table {}: {why}", t.name));
                        m.skipped.insert(key.name.clone());
                        continue;
                    }
                    m.tables.insert(&key.name, t);
                }
                // Indexes that come with a constraint go with it.
                Object::Index(i) if i.definition.is_some() => {
                    m.indexes.insert(&key.name, i);
                }
                Object::Index(i) if i.implicit => {
                    m.implicit.insert(&key.name, i);
                }
                Object::Index(_) => {}
                Object::View(v) if v.definition.is_some() => {
                    m.views.insert(&key.name, v);
                }
                Object::View(v) => {
                    unknown.push(format!(
                        "view {}: its query is not known to the schema model",
                        v.name
                    ));
                    m.skipped.insert(key.name.clone());
                }
                Object::Type(t) => {
                    m.types.insert(&key.name, t);
                }
                // A sequence of its own, or one a column owns whose
                // options the model knows (a `serial`'s, one declared and
                // given to a column by `OWNED BY`); an identity's goes with
                // its column.
                Object::Sequence(s) if s.owned_by.is_none() || s.options.is_some() => {
                    m.sequences.insert(&key.name, s);
                }
                Object::Sequence(s) => {
                    let identity = s.owned_by.as_ref().is_some_and(|(t, c)| {
                        schema
                            .table(t)
                            .and_then(|t| t.column(c))
                            .and_then(|c| c.sql.as_ref())
                            .is_some_and(|sql| sql.generated.is_some())
                    });
                    if !identity {
                        unknown.push(format!(
                            "sequence {}: owned by a column, its options are not known to the \
                             model, not written",
                            s.name
                        ));
                    }
                }
                Object::Function(f)
                    if f.signatures
                        .as_ref()
                        .is_some_and(|s| s.iter().all(|s| f.definitions.contains_key(s))) =>
                {
                    m.functions.insert(&key.name, f);
                }
                Object::Function(f) => {
                    unknown.push(format!(
                        "function {}: the model does not know each overload's declaration",
                        f.name
                    ));
                    m.skipped.insert(key.name.clone());
                }
                Object::Trigger(t) => m.triggers.push(t),
                Object::Extension(e) => {
                    m.extensions.insert(&key.name, e);
                }
            }
        }
        m
    }
}

struct Changes<'a> {
    d: Dialect,
    from: Models<'a>,
    to: Models<'a>,
    unknown: Vec<String>,
    /// Differences no statement is written for ([`Generated::unwritten`]).
    unwritten: Vec<String>,
    /// `transaction:false` before the rest (PostgreSQL: DROP INDEX CONCURRENTLY, ADD VALUE).
    pre: Vec<Step>,
    main: Vec<Step>,
    /// `transaction:false` after (PostgreSQL: CREATE INDEX CONCURRENTLY).
    post: Vec<Step>,
    /// Transactional, after `post` (constraints `USING INDEX`).
    last: Vec<Step>,
    /// The materialized views this revision creates (or re-creates), whose
    /// indexes are created after them.
    new_views: BTreeSet<Name>,
    /// Those indexes, written after the views.
    view_indexes: Vec<Step>,
    /// Writing the downgrade: every table of `to` existed before the
    /// revision, so the lints treat even a re-created one as existing.
    downgrade: bool,
    /// Checks `(table, name)` dropped and added again around a re-created
    /// type's change (`pg::around_type_change`): the comparison of the
    /// table's constraints leaves them alone.
    redone_checks: BTreeSet<(Name, CompactString)>,
    /// Generated columns `(table, column)` dropped and added again around
    /// a re-created type's change: the comparison of the table's columns
    /// leaves them alone.
    readded_columns: BTreeSet<(Name, CompactString)>,
    /// The columns this revision creates that are written as `serial`
    /// (`bigserial`, `smallserial`): the sequence they own is new and
    /// exactly what that pseudo-type makes ([`serial_for`]).
    serials: BTreeMap<(Name, CompactString), &'static str>,
}

fn step(sql: String) -> Step {
    Step {
        sql,
        review: Vec::new(),
        unchecked: None,
    }
}

fn reviewed(sql: String, why: impl Into<String>) -> Step {
    Step {
        sql,
        review: vec![why.into()],
        unchecked: None,
    }
}

impl<'a> Changes<'a> {
    fn new(from: &'a Schema, to: &'a Schema, downgrade: bool) -> Changes<'a> {
        let mut unknown = Vec::new();
        let mut from_models = Models::of(from, &mut unknown);
        let mut to_models = Models::of(to, &mut unknown);
        // What one side does not know is left out of the other too: it is
        // neither created (it may exist) nor dropped.
        let skipped: BTreeSet<Name> = from_models
            .skipped
            .iter()
            .chain(&to_models.skipped)
            .cloned()
            .collect();
        from_models.leave_out(&skipped);
        to_models.leave_out(&skipped);
        Changes {
            d: from.dialect(),
            from: from_models,
            to: to_models,
            unknown,
            unwritten: Vec::new(),
            pre: Vec::new(),
            main: Vec::new(),
            post: Vec::new(),
            last: Vec::new(),
            new_views: BTreeSet::new(),
            view_indexes: Vec::new(),
            downgrade,
            serials: BTreeMap::new(),
            redone_checks: BTreeSet::new(),
            readded_columns: BTreeSet::new(),
        }
    }

    /// Whether column `owner` exists before this revision (its table and
    /// the column are on the first side).
    fn column_before(&self, owner: &(Name, CompactString)) -> bool {
        self.from
            .tables
            .get(&owner.0)
            .is_some_and(|t| t.column(&owner.1).is_some())
    }

    /// Whether column `owner` exists after this revision.
    fn column_after(&self, owner: &(Name, CompactString)) -> bool {
        self.to
            .tables
            .get(&owner.0)
            .is_some_and(|t| t.column(&owner.1).is_some())
    }

    /// The new columns that own a new sequence that their `serial` would
    /// make exactly: written as `serial`, the sequence is not written.
    fn find_serials(&mut self) {
        let mut serials = BTreeMap::new();
        for (name, s) in &self.to.sequences {
            let (Some(owner), Some(options)) = (&s.owned_by, &s.options) else {
                continue;
            };
            if self.from.sequences.contains_key(name) || self.column_before(owner) {
                continue;
            }
            let Some(column) = self
                .to
                .tables
                .get(&owner.0)
                .and_then(|t| t.column(&owner.1))
            else {
                continue;
            };
            let reads = column.sql.as_ref().and_then(|sql| sql.default.as_deref());
            if reads != Some(nextval_text(self.d, name).as_str()) {
                continue;
            }
            if let Some(serial) = serial_for(&owner.0, &owner.1, &column.data_type, name, options) {
                serials.insert(owner.clone(), serial);
            }
        }
        self.serials = serials;
    }

    /// `ALTER SEQUENCE name <clauses>`, unchecked (sqlparser does not read
    /// it; the schema model follows it).
    fn alter_sequence(&self, name: &Name, clauses: &str) -> Step {
        Step {
            unchecked: Some(SEQUENCE_UNCHECKED),
            ..step(format!("ALTER SEQUENCE {} {clauses}", self.name(name)))
        }
    }

    /// `OWNED BY table.column` (or `NONE`).
    fn owned_by(&self, owner: Option<&(Name, CompactString)>) -> String {
        match owner {
            Some((table, column)) => {
                format!("OWNED BY {}.{}", self.name(table), self.ident(column))
            }
            None => "OWNED BY NONE".to_string(),
        }
    }

    /// PostgreSQL's ways of not blocking (`CONCURRENTLY`, `NOT VALID`);
    /// a generic history runs anywhere, so it gets the plain statements.
    fn pg(&self) -> bool {
        self.d == Dialect::Postgres
    }

    fn run(mut self) -> (Vec<Section>, Vec<String>, Vec<String>) {
        let d = self.d;
        // Tables on both sides, and what changes in them.
        let kept: Vec<&Name> = self
            .from
            .tables
            .keys()
            .filter(|n| self.to.tables.contains_key(*n))
            .copied()
            .collect();
        let added: Vec<&Name> = self
            .to
            .tables
            .keys()
            .filter(|n| !self.from.tables.contains_key(*n))
            .copied()
            .collect();
        let removed: Vec<&Name> = self
            .from
            .tables
            .keys()
            .filter(|n| !self.to.tables.contains_key(*n))
            .copied()
            .collect();
        let changed: BTreeSet<&Name> = kept
            .iter()
            .filter(|n| {
                self.from.tables[*n].columns != self.to.tables[*n].columns
                    || !same_constraints(
                        &self.from.tables[*n].constraints,
                        &self.to.tables[*n].constraints,
                    )
            })
            .copied()
            .collect();
        // SQLite rebuilds a table for anything but adding a plain column or
        // dropping one that nothing else uses.
        let rebuilt: BTreeSet<&Name> = if d == Dialect::Sqlite {
            changed
                .iter()
                .filter(|n| self.sqlite_needs_rebuild(self.from.tables[*n], self.to.tables[*n]))
                .copied()
                .collect()
        } else {
            BTreeSet::new()
        };

        // Views: re-created when their definition changes or anything they
        // read changes.
        let mut touched: BTreeSet<Name> = changed.iter().map(|n| (*n).clone()).collect();
        touched.extend(removed.iter().map(|n| (*n).clone()));
        // A table with a column of an enum that is re-created (a label
        // removed or moved): the column changes type.
        let recreated: Vec<&Name> = self
            .from
            .types
            .iter()
            .filter(|(name, f)| {
                self.to.types.get(*name).is_some_and(|t| {
                    (f.kind == TypeKind::Enum
                        && t.kind == TypeKind::Enum
                        && !t.labels.starts_with(&f.labels))
                        || self.domain_redefined(f, t).is_some()
                })
            })
            .map(|(name, _)| *name)
            .collect();
        touched.extend(
            self.from
                .tables
                .values()
                .filter(|t| {
                    t.columns
                        .iter()
                        .any(|c| recreated.iter().any(|r| pg::is_of_type(&c.data_type, r)))
                })
                .map(|t| t.name.clone()),
        );
        let view_names: BTreeSet<&Name> = self
            .from
            .views
            .keys()
            .chain(self.to.views.keys())
            .copied()
            .collect();
        let mut redo_views: BTreeSet<Name> = BTreeSet::new();
        loop {
            let before = redo_views.len();
            for name in &view_names {
                let (f, t) = (self.from.views.get(name), self.to.views.get(name));
                let differs = match (f, t) {
                    (Some(f), Some(t)) => {
                        f.definition != t.definition || f.materialized != t.materialized
                    }
                    _ => true,
                };
                let reads_touched = f.is_some_and(|f| {
                    f.depends_on
                        .iter()
                        .any(|r| touched.contains(r) || redo_views.contains(r))
                });
                if differs || reads_touched {
                    redo_views.insert((*name).clone());
                }
            }
            if redo_views.len() == before {
                break;
            }
            touched.extend(redo_views.iter().cloned());
        }
        self.new_views = redo_views
            .iter()
            .filter(|n| self.to.views.contains_key(*n))
            .cloned()
            .collect();
        // Drop the views first, dependents before what they read.
        for name in view_order(&self.from.views, &redo_views).into_iter().rev() {
            let v = self.from.views[&name];
            let kind = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let sql = format!("DROP {kind} {}", self.name(&name));
            if self.to.views.contains_key(&name) {
                self.main.push(step(sql));
            } else {
                self.main.push(reviewed(
                    sql,
                    format!("drops view {name}, which the declared schema no longer has"),
                ));
            }
        }

        // Enum types: created first, dropped last.
        let mut drop_types = Vec::new();
        let type_names: BTreeSet<&Name> = self
            .from
            .types
            .keys()
            .chain(self.to.types.keys())
            .copied()
            .collect();
        // Enums first, then domains (which may be of an enum), composite
        // types, and the functions that name no relation this revision
        // creates (a default may call one).
        let mut create_types: Vec<(u8, Step)> = Vec::new();
        for name in type_names {
            match (self.from.types.get(name), self.to.types.get(name)) {
                (None, Some(t)) => match self.create_type(t) {
                    Some(sql) => create_types.push((type_rank(t, &self.to.types), step(sql))),
                    None => self.unwritten.push(format!(
                        "type {name}: not an enum, domain or composite type the model can write: \
                         create it by hand"
                    )),
                },
                (Some(f), None) => match &f.kind {
                    // The downgrade must be able to create it again.
                    TypeKind::Enum | TypeKind::Domain(Some(_)) | TypeKind::Composite(Some(_)) => {
                        let domain = matches!(f.kind, TypeKind::Domain(_));
                        let s = reviewed(
                            format!(
                                "DROP {} {}",
                                if domain { "DOMAIN" } else { "TYPE" },
                                self.name(name)
                            ),
                            format!("drops type {name}, which the declared schema no longer has"),
                        );
                        drop_types.push((type_rank(f, &self.from.types), s));
                    }
                    _ => self.unwritten.push(format!(
                        "type {name}: not an enum, domain or composite type the model can write: \
                         drop it by hand"
                    )),
                },
                (Some(f), Some(t)) if matches!((&f.kind, &t.kind), (TypeKind::Composite(Some(a)), TypeKind::Composite(Some(b))) if a != b) => {
                    if self.type_used(name) {
                        self.unwritten.push(format!(
                            "type {name} changes its attributes while columns, types or functions \
                             use it: write ALTER TYPE ... ADD|DROP|ALTER ATTRIBUTE by hand"
                        ));
                    } else {
                        let why = format!(
                            "re-creates composite type {name} with other attributes (dropped and \
                             created again)"
                        );
                        self.main
                            .push(reviewed(format!("DROP TYPE {}", self.name(name)), why));
                        self.main
                            .push(step(self.create_type(t).unwrap_or_default()));
                    }
                }
                (Some(f), Some(t)) if self.domain_redefined(f, t).is_some() => {
                    let (base, definition) = self.domain_redefined(f, t).unwrap_or_default();
                    let why = format!(
                        "re-defines domain {name} (dropped and created again, its columns moved to \
                         {base} and back): fails if a row does not satisfy the new definition"
                    );
                    self.redefine_domain(name, &base, &definition, &why);
                }
                (Some(f), Some(t)) if f.kind != t.kind => {
                    let known = |k: &TypeKind| {
                        !matches!(k, TypeKind::Domain(None) | TypeKind::Composite(None))
                    };
                    let list = if known(&f.kind) && known(&t.kind) {
                        &mut self.unwritten
                    } else {
                        &mut self.unknown
                    };
                    list.push(format!(
                        "type {name} changes its kind or its domain definition: write that change by hand"
                    ))
                }
                (Some(f), Some(t)) if f.labels != t.labels => {
                    if t.labels.starts_with(&f.labels) {
                        for label in &t.labels[f.labels.len()..] {
                            self.pre.push(step(format!(
                                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}",
                                self.name(name),
                                literal(label)
                            )));
                        }
                    } else {
                        let drop_old = self.recreate_enum(name, t);
                        drop_types.push((0, drop_old));
                    }
                }
                _ => {}
            }
        }
        let (early, late, drop_functions) = self.functions();
        create_types.extend(early.into_iter().map(|s| (4, s)));
        create_types.sort_by_key(|(rank, _)| *rank);
        self.main
            .splice(0..0, create_types.into_iter().map(|(_, s)| s));

        // Sequences: created before the tables that read them; a column's
        // takes its owner once the column exists (`owned_late`), and gives
        // up an owner that goes away before that owner is dropped (which
        // would drop the sequence along).
        self.find_serials();
        let alters_sequences = matches!(self.d, Dialect::Postgres | Dialect::Generic);
        let mut owned_late: Vec<Step> = Vec::new();
        let sequence_names: Vec<&Name> = self.to.sequences.keys().copied().collect();
        for name in sequence_names {
            let to = self.to.sequences[name];
            let Some(from) = self.from.sequences.get(name).copied() else {
                if to
                    .owned_by
                    .as_ref()
                    .is_some_and(|owner| self.serials.contains_key(owner))
                {
                    // Its column is written as `serial`, which makes it.
                    continue;
                }
                // The options that differ from the defaults (a column's
                // sequence states its type too).
                let clauses = to
                    .options
                    .as_ref()
                    .map(|o| {
                        if to.owned_by.is_some() {
                            o.create_clauses_typed(self.d)
                        } else {
                            o.create_clauses(self.d)
                        }
                    })
                    .filter(|c| !c.is_empty())
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                self.main.push(step(format!(
                    "CREATE SEQUENCE {}{clauses}",
                    self.name(name)
                )));
                if let Some(owner) = &to.owned_by {
                    owned_late.push(self.alter_sequence(name, &self.owned_by(Some(owner))));
                }
                continue;
            };
            match (&from.options, &to.options) {
                (Some(f), Some(t)) if f != t => {
                    let clauses = f.clauses_to(t);
                    if alters_sequences {
                        self.main.push(self.alter_sequence(name, &clauses));
                    } else {
                        self.unwritten.push(format!(
                            "sequence {name} changes its options: write `ALTER SEQUENCE {} \
                             {clauses}` by hand",
                            self.name(name)
                        ));
                    }
                }
                (Some(_), Some(_)) => {}
                _ => self.unknown.push(format!(
                    "sequence {name}: its options are not known to the model, not compared"
                )),
            }
            if from.owned_by != to.owned_by && alters_sequences {
                match &to.owned_by {
                    // The new owner is there from the start.
                    Some(owner) if self.column_before(owner) => {
                        self.main
                            .push(self.alter_sequence(name, &self.owned_by(Some(owner))));
                    }
                    owner => {
                        if from.owned_by.is_some() {
                            self.main
                                .push(self.alter_sequence(name, &self.owned_by(None)));
                        }
                        if let Some(owner) = owner {
                            owned_late.push(self.alter_sequence(name, &self.owned_by(Some(owner))));
                        }
                    }
                }
            }
        }

        // Indexes that go away or change on a table that stays (a dropped
        // table takes its indexes along; a rebuilt one is created afresh).
        let index_names: BTreeSet<&Name> = self
            .from
            .indexes
            .keys()
            .chain(self.to.indexes.keys())
            .copied()
            .collect();
        let mut create_indexes: Vec<&Index> = Vec::new();
        let mut drop_after_keys: Vec<(&Index, bool)> = Vec::new();
        for name in index_names {
            let (f, t) = (
                self.from.indexes.get(name).copied(),
                self.to.indexes.get(name).copied(),
            );
            let same = matches!((f, t), (Some(f), Some(t)) if f.table == t.table
                && f.unique == t.unique && f.definition == t.definition);
            // A re-created materialized view lost its indexes.
            if same && !t.is_some_and(|t| redo_views.contains(&t.table)) {
                // A rebuilt table's indexes are created by the rebuild.
                continue;
            }
            if let Some(f) = f {
                // A dropped or rebuilt table takes its indexes along.
                let table_stays =
                    self.to.tables.contains_key(&f.table) && !rebuilt.contains(&&f.table);
                if table_stays && d == Dialect::MySql {
                    // After the foreign keys that go: one may need it.
                    drop_after_keys.push((f, t.is_none()));
                } else if table_stays {
                    self.drop_index(f, t.is_none());
                }
            }
            if let Some(t) = t {
                create_indexes.push(t);
            }
        }

        // Kept tables whose primary key or a unique constraint is dropped
        // (to be added again further down): the foreign keys that reference
        // one are dropped before and added again after it (the server will
        // not drop a key a foreign key depends on), and a new table's
        // foreign key to one waits until the key is back.
        let keys_change: BTreeSet<&Name> = kept
            .iter()
            .filter(|n| !rebuilt.contains(*n) && d != Dialect::Sqlite)
            .filter(|n| {
                let (f, t) = (self.from.tables[*n], self.to.tables[*n]);
                f.constraints.iter().any(|c| {
                    matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                        && !t.constraints.iter().any(|o| same_constraint(c, o))
                })
            })
            .copied()
            .collect();
        // Kept tables that gain a primary key or unique constraint: a new
        // table's foreign key to one waits until it is there.
        let keys_added: BTreeSet<&Name> = kept
            .iter()
            .filter(|n| {
                let (f, t) = (self.from.tables[*n], self.to.tables[*n]);
                t.constraints.iter().any(|c| {
                    matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                        && !f.constraints.iter().any(|o| same_constraint(c, o))
                })
            })
            .copied()
            .collect();
        // MySQL: a column a foreign key uses, on either side, cannot change
        // its type while the key is there (errors 1832, 1833): the keys on a
        // kept table's column that changes type, and those that reference
        // a kept table one of whose columns changes type, are dropped
        // before and added again after.
        let retyped: BTreeSet<(&Name, &str)> = if d == Dialect::MySql {
            kept.iter()
                .filter(|n| !rebuilt.contains(*n))
                .flat_map(|n| {
                    let (f, t) = (self.from.tables[*n], self.to.tables[*n]);
                    t.columns
                        .iter()
                        .filter(move |c| {
                            f.column(&c.name)
                                .is_some_and(|o| o.data_type != c.data_type)
                        })
                        .map(move |c| (*n, c.name.as_str()))
                })
                .collect()
        } else {
            BTreeSet::new()
        };
        let retyped_tables: BTreeSet<&Name> = retyped.iter().map(|(n, _)| *n).collect();
        let relies = |table: &Name, c: &Constraint| {
            c.kind == ConstraintKind::ForeignKey
                && (c
                    .references
                    .as_ref()
                    .is_some_and(|r| keys_change.contains(r) || retyped_tables.contains(r))
                    || c.columns
                        .iter()
                        .any(|col| retyped.contains(&(table, col.as_str()))))
        };
        // A table that goes away goes after the keys change: its foreign
        // keys to them go first.
        for name in &removed {
            let f = self.from.tables[name];
            for c in f.constraints.iter().filter(|c| relies(&f.name, c)) {
                self.main.push(step(self.drop_constraint(f, c)));
            }
        }
        // Foreign keys that go away or change, then the other constraints.
        for fk_pass in [true, false] {
            for name in &kept {
                if rebuilt.contains(name) {
                    continue;
                }
                let (f, t) = (self.from.tables[name], self.to.tables[name]);
                for c in &f.constraints {
                    // Changed with its column (`alter_columns`), or
                    // dropped and added again around a re-created type.
                    if (c.kind == ConstraintKind::ForeignKey) != fk_pass
                        || mysql_column_check(d, c)
                        || self
                            .redone_checks
                            .contains(&(f.name.clone(), c.name.clone()))
                    {
                        continue;
                    }
                    if !t.constraints.iter().any(|o| same_written(d, c, o)) || relies(&f.name, c) {
                        let mut s = step(self.drop_constraint(f, c));
                        if c.kind == ConstraintKind::Unique || c.kind == ConstraintKind::PrimaryKey
                        {
                            s.review.push(format!(
                                "drops {} on {}: what it kept unique is no longer enforced",
                                c.name, f.name
                            ));
                        }
                        self.main.push(s);
                        // MariaDB keeps the index it made for the key.
                        let implicit = implicit_key(&self.from.implicit, f, c);
                        if let Some(i) = implicit.filter(|_| c.kind == ConstraintKind::ForeignKey) {
                            if !self.to.implicit.contains_key(&i.name)
                                && !self.to.indexes.contains_key(&i.name)
                            {
                                self.drop_index(i, false);
                            }
                        }
                    }
                }
            }
        }
        for (index, gone) in drop_after_keys {
            self.drop_index(index, gone);
        }

        // New tables, those they reference first.
        let mut deferred_fks: Vec<(&Table, &Constraint)> = Vec::new();
        let mut created: BTreeSet<&Name> = BTreeSet::new();
        let mut order: Vec<&Name> = Vec::new();
        let mut remaining: Vec<&Name> = added.clone();
        while !remaining.is_empty() {
            let ready = remaining.iter().position(|n| {
                self.to.tables[n].constraints.iter().all(|c| {
                    c.references
                        .as_ref()
                        .is_none_or(|r| r == *n || created.contains(r) || !added.contains(&r))
                })
            });
            let next = remaining.remove(ready.unwrap_or(0));
            created.insert(next);
            order.push(next);
        }
        let removed_shapes: Vec<(&Name, Vec<(&str, &str)>)> = removed
            .iter()
            .map(|n| (*n, shape(self.from.tables[n])))
            .collect();
        let mut placed: BTreeSet<&Name> = BTreeSet::new();
        for name in order {
            let t = self.to.tables[name];
            let mut inline = Vec::new();
            for c in &t.constraints {
                let ok = c.references.as_ref().is_none_or(|r| {
                    d == Dialect::Sqlite
                        || r == name
                        || placed.contains(r)
                        || self.from.tables.contains_key(r)
                            && !removed.contains(&r)
                            && !keys_change.contains(r)
                            && !retyped_tables.contains(r)
                            && !keys_added.contains(r)
                });
                // A check added NOT VALID is added after the table: the
                // server takes it inside CREATE TABLE, sqlparser does not.
                if ok && !pg::not_valid(c) {
                    inline.push(c);
                } else {
                    deferred_fks.push((t, c));
                }
            }
            let mut create = self.create_table(t, &inline, &t.name);
            // MySQL: a new table's indexes are written in its CREATE TABLE,
            // as the server prints them, so that a foreign key finds its
            // index (one named as the key would otherwise clash with the
            // index the server makes for the key).
            if d == Dialect::MySql {
                let mine: Vec<&Index> = create_indexes
                    .iter()
                    .filter(|i| i.table == *name && !i.unique && mysql_inline(i))
                    .copied()
                    .collect();
                if !mine.is_empty() {
                    create_indexes.retain(|i| !(i.table == *name && !i.unique && mysql_inline(i)));
                    if let Some(close) = create.rfind("\n)") {
                        let lines: Vec<String> = mine
                            .iter()
                            .map(|i| {
                                let short = i
                                    .name
                                    .name
                                    .rsplit_once('.')
                                    .map_or(i.name.name.as_str(), |(_, n)| n);
                                format!(
                                    ",\n    INDEX {} {}",
                                    self.ident(short),
                                    i.definition.clone().unwrap_or_default()
                                )
                            })
                            .collect();
                        create.insert_str(close, &lines.concat());
                    }
                }
            }
            let mut s = step(create);
            let my_shape = shape(t);
            for (old, old_shape) in &removed_shapes {
                if *old_shape == my_shape {
                    s.review.push(format!(
                        "if {name} is {old} renamed, replace this CREATE and the DROP TABLE of \
                         {old} with: ALTER TABLE {} RENAME TO {}",
                        self.name(old),
                        self.name(name)
                    ));
                }
            }
            self.main.push(s);
            placed.insert(name);
        }

        // Tables on both sides.
        let mut add_constraints: Vec<(&Table, &Constraint)> = Vec::new();
        for name in &kept {
            let (f, t) = (self.from.tables[name], self.to.tables[name]);
            if rebuilt.contains(name) {
                self.rebuild(f, t);
                continue;
            }
            // Foreign keys dropped around a key they reference.
            for c in &t.constraints {
                if relies(&t.name, c) && f.constraints.iter().any(|o| same_constraint(o, c)) {
                    add_constraints.push((t, c));
                }
            }
            if !changed.contains(name) {
                continue;
            }
            self.alter_columns(f, t);
            for c in &t.constraints {
                // Added with its column (`alter_columns`), or added again
                // after a re-created type.
                if !f.constraints.iter().any(|o| same_written(d, o, c))
                    && !mysql_column_check(d, c)
                    && !self
                        .redone_checks
                        .contains(&(t.name.clone(), c.name.clone()))
                {
                    add_constraints.push((t, c));
                }
            }
        }
        // MySQL: the indexes first, so that a foreign key finds its index
        // (one named as the key would otherwise clash with the index the
        // server makes for the key).
        let mut create_indexes = Some(create_indexes);
        if d == Dialect::MySql {
            self.create_indexes(create_indexes.take().unwrap_or_default(), &rebuilt);
        }
        for (t, c) in add_constraints
            .iter()
            .filter(|(_, c)| c.kind != ConstraintKind::ForeignKey)
            .chain(
                add_constraints
                    .iter()
                    .filter(|(_, c)| c.kind == ConstraintKind::ForeignKey),
            )
        {
            self.add_constraint(t, c, true);
        }
        for (t, c) in deferred_fks {
            self.add_constraint(t, c, false);
        }

        // Indexes (MySQL: before the constraints above).
        self.create_indexes(create_indexes.take().unwrap_or_default(), &rebuilt);

        // Sequences given to the columns that now exist.
        self.main.append(&mut owned_late);

        // Tables that go away, those that reference them first.
        let added_shapes: Vec<(&Name, Vec<(&str, &str)>)> = added
            .iter()
            .map(|n| (*n, shape(self.to.tables[n])))
            .collect();
        let mut gone: Vec<&Name> = removed.clone();
        let mut drop_order = Vec::new();
        while !gone.is_empty() {
            // A table no other remaining table references goes first.
            let pos = gone
                .iter()
                .position(|n| {
                    !gone.iter().any(|o| {
                        o != n
                            && self.from.tables[o]
                                .constraints
                                .iter()
                                .any(|c| c.references.as_ref() == Some(*n))
                    })
                })
                .unwrap_or(0);
            drop_order.push(gone.remove(pos));
        }
        for name in drop_order {
            let mut s = reviewed(
                format!("DROP TABLE {}", self.name(name)),
                format!("drops table {name} and every row in it"),
            );
            let my_shape = shape(self.from.tables[name]);
            for (new, new_shape) in &added_shapes {
                if *new_shape == my_shape {
                    s.review.push(format!(
                        "if {new} is {name} renamed, replace this DROP and the CREATE TABLE of \
                         {new} with: ALTER TABLE {} RENAME TO {}",
                        self.name(name),
                        self.name(new)
                    ));
                }
            }
            self.main.push(s);
        }
        let old_sequences: Vec<&Name> = self
            .from
            .sequences
            .keys()
            .filter(|n| !self.to.sequences.contains_key(*n))
            .copied()
            .collect();
        for name in old_sequences {
            // A sequence whose owner goes away is dropped with it.
            let owner = self.from.sequences[name].owned_by.as_ref();
            if owner.is_some_and(|owner| !self.column_after(owner)) {
                continue;
            }
            self.main.push(reviewed(
                format!("DROP SEQUENCE {}", self.name(name)),
                format!("drops sequence {name} and its current value"),
            ));
        }
        self.main.extend(drop_functions);
        // Composite types, then domains (either may be of an enum).
        drop_types.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        self.main.extend(drop_types.into_iter().map(|(_, s)| s));
        self.main.extend(late);

        self.comments(&changed);

        // Views last, what they read first.
        let to_create: BTreeSet<Name> = redo_views
            .iter()
            .filter(|n| self.to.views.contains_key(*n))
            .cloned()
            .collect();
        for name in view_order(&self.to.views, &to_create) {
            let v = self.to.views[&name];
            let kind = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let definition = v.definition.clone().unwrap_or_default();
            self.main.push(step(format!(
                "CREATE {kind} {} {definition}",
                self.name(&name)
            )));
        }
        self.view_comments(&to_create);
        self.main.append(&mut self.view_indexes);

        if d == Dialect::Sqlite && self.rebuilds_a_referenced_table(&rebuilt) {
            self.sqlite_foreign_keys_off_around_rebuilds();
        }
        self.namespaces_and_extensions();
        let sections = vec![
            Section {
                transactional: false,
                steps: self.pre,
            },
            Section {
                transactional: true,
                steps: self.main,
            },
            Section {
                transactional: false,
                steps: self.post,
            },
            Section {
                transactional: true,
                steps: self.last,
            },
        ];
        (
            sections
                .into_iter()
                .filter(|s| !s.steps.is_empty())
                .collect(),
            self.unknown,
            self.unwritten,
        )
    }

    /// Creates `indexes` (those of a rebuilt table come with the rebuild).
    fn create_indexes(&mut self, indexes: Vec<&Index>, rebuilt: &BTreeSet<&Name>) {
        for index in indexes {
            let on_new_table = !self.downgrade
                && (!self.from.tables.contains_key(&index.table)
                    || rebuilt.contains(&&index.table));
            if rebuilt.contains(&&index.table) {
                // Created by the rebuild.
                continue;
            }
            if self.new_views.contains(&index.table) {
                let sql = self.create_index(index, false);
                self.view_indexes.push(step(sql));
                continue;
            }
            let sql = self.create_index(index, self.pg() && !on_new_table);
            if self.pg() && !on_new_table {
                self.post.push(step(sql));
            } else {
                self.main.push(step(sql));
            }
        }
    }

    fn sqlite_needs_rebuild(&self, f: &Table, t: &Table) -> bool {
        if !same_constraints(&f.constraints, &t.constraints) {
            return true;
        }
        for c in t.columns.iter() {
            match f.column(&c.name) {
                Some(o) if o == c => {}
                Some(_) => return true,
                None => {
                    // ADD COLUMN: nullable, or NOT NULL with a constant default.
                    let default = c.sql.as_ref().and_then(|s| s.default.as_ref());
                    let constant = default.is_some_and(|d| !d.starts_with('('));
                    let generated = c.sql.as_ref().is_some_and(|s| s.generated.is_some());
                    if generated || (!c.nullable && !constant) {
                        return true;
                    }
                }
            }
        }
        // DROP COLUMN of a column no constraint uses (an index on it is
        // dropped first: one that stays cannot name a dropped column).
        for c in f.columns.iter() {
            if t.column(&c.name).is_none()
                && f.constraints.iter().any(|k| k.columns.contains(&c.name))
            {
                return true;
            }
        }
        // Columns in another order come back in the declared order only by
        // a rebuild; the order does not matter to a query, so it stays.
        false
    }

    /// Whether a foreign key (of either side, a table's own included)
    /// references one of the `rebuilt` tables: its rows are then in the way
    /// of the rebuild's `DROP TABLE`.
    fn rebuilds_a_referenced_table(&self, rebuilt: &BTreeSet<&Name>) -> bool {
        let tables = self.from.tables.values().chain(self.to.tables.values());
        tables.flat_map(|t| &t.constraints).any(|c| {
            c.kind == ConstraintKind::ForeignKey
                && c.references.as_ref().is_some_and(|r| rebuilt.contains(r))
        })
    }

    /// SQLite's documented procedure for a rebuild under foreign keys:
    /// `foreign_keys` off before the transaction (the pragma does nothing
    /// inside one; with it on, the `DROP TABLE` would fail, or delete the
    /// referencing rows by their `ON DELETE CASCADE`), every key checked
    /// before the commit, on again after. The check is
    /// `pragma_foreign_key_check` read so that a row it lists fails the
    /// statement (`json` of a text that is not JSON), which rolls the
    /// transaction back: the pragma alone returns rows, which fail nothing.
    fn sqlite_foreign_keys_off_around_rebuilds(&mut self) {
        self.pre.push(step("PRAGMA foreign_keys = OFF".to_string()));
        self.main.push(step(
            "SELECT json('a foreign key is broken: PRAGMA foreign_key_check lists it') \
             FROM pragma_foreign_key_check LIMIT 1"
                .to_string(),
        ));
        self.post.push(step("PRAGMA foreign_keys = ON".to_string()));
    }

    /// SQLite's recipe: create the new table, copy the rows, drop the old
    /// one, rename, create the indexes again.
    fn rebuild(&mut self, f: &Table, t: &Table) {
        let tmp = t.name.sibling(format!("_migrate_new_{}", t.name.name));
        let constraints: Vec<&Constraint> = t.constraints.iter().collect();
        self.main
            .push(step(self.create_table(t, &constraints, &tmp)));
        let common: Vec<String> = t
            .columns
            .iter()
            .filter(|c| f.column(&c.name).is_some())
            .map(|c| self.ident(&c.name))
            .collect();
        let lost: Vec<&str> = f
            .columns
            .iter()
            .filter(|c| t.column(&c.name).is_none())
            .map(|c| c.name.as_str())
            .collect();
        let list = common.join(", ");
        let mut copy = step(format!(
            "INSERT INTO {} ({list}) SELECT {list} FROM {}",
            self.name(&tmp),
            self.name(&t.name)
        ));
        if t.columns
            .iter()
            .any(|c| f.column(&c.name).is_some_and(|o| o.nullable && !c.nullable))
        {
            copy.review.push(format!(
                "copies {} into a table where a column became NOT NULL: fails if a row holds NULL there",
                t.name
            ));
        }
        self.main.push(copy);
        let mut why = format!(
            "rebuild of {} (SQLite cannot ALTER this): its rows were copied into {} above",
            t.name, tmp.name
        );
        if !lost.is_empty() {
            why.push_str(&format!(
                "; the data of column(s) {} is lost",
                lost.join(", ")
            ));
        }
        self.main.push(reviewed(
            format!("DROP TABLE {}", self.name(&t.name)),
            why.clone(),
        ));
        self.main.push(reviewed(
            format!(
                "ALTER TABLE {} RENAME TO {}",
                self.name(&tmp),
                self.ident(&t.name.name)
            ),
            format!("rebuild of {}: the new table takes the old name", t.name),
        ));
        let indexes: Vec<&Index> = self
            .to
            .indexes
            .values()
            .filter(|i| i.table == t.name)
            .copied()
            .collect();
        for index in indexes {
            let sql = self.create_index(index, false);
            self.main.push(step(sql));
        }
    }

    fn alter_columns(&mut self, f: &Table, t: &Table) {
        let table = self.name(&t.name);
        // Generated columns dropped and added again around a type's change.
        let readded = |c: &&Column| {
            self.readded_columns
                .contains(&(t.name.clone(), c.name.clone()))
        };
        let added: Vec<&Column> = t
            .columns
            .iter()
            .filter(|c| f.column(&c.name).is_none() && !readded(c))
            .collect();
        let dropped: Vec<&Column> = f
            .columns
            .iter()
            .filter(|c| t.column(&c.name).is_none() && !readded(c))
            .collect();
        for c in &dropped {
            let mut s = reviewed(
                format!("ALTER TABLE {table} DROP COLUMN {}", self.ident(&c.name)),
                format!("drops column {}.{} and its data", t.name, c.name),
            );
            for a in &added {
                if a.data_type == c.data_type {
                    s.review.push(format!(
                        "if {} is {} renamed, replace this DROP and the ADD COLUMN {} with: \
                         ALTER TABLE {table} RENAME COLUMN {} TO {}",
                        a.name,
                        c.name,
                        a.name,
                        self.ident(&c.name),
                        self.ident(&a.name)
                    ));
                }
            }
            self.main.push(s);
        }
        for c in &added {
            let mut s = step(format!(
                "ALTER TABLE {table} ADD COLUMN {}{}",
                self.column_def(t, c, false),
                self.column_check(t, &c.name)
            ));
            let default = c.sql.as_ref().and_then(|s| s.default.as_ref());
            if !c.nullable && default.is_none() && !c.has_default {
                s.review.push(format!(
                    "adds NOT NULL column {}.{} without a default: fails if the table has rows",
                    t.name, c.name
                ));
            }
            if default.is_some_and(|d| d.contains('(')) && self.pg() {
                s.review.push(format!(
                    "the default of {}.{} may be volatile: PostgreSQL then rewrites the table",
                    t.name, c.name
                ));
            }
            if c.sql.as_ref().is_some_and(|s| s.generated.is_some()) && self.pg() {
                s.review.push(format!(
                    "{}.{} is generated: PostgreSQL rewrites the table to fill it",
                    t.name, c.name
                ));
            }
            for o in &dropped {
                if o.data_type == c.data_type {
                    s.review.push(format!(
                        "if {} is {} renamed, replace this ADD and the DROP COLUMN {} with: \
                         ALTER TABLE {table} RENAME COLUMN {} TO {}",
                        c.name,
                        o.name,
                        o.name,
                        self.ident(&o.name),
                        self.ident(&c.name)
                    ));
                }
            }
            self.main.push(s);
        }
        for c in t.columns.iter() {
            let Some(o) = f.column(&c.name) else { continue };
            // MariaDB: a check written with the column changes with it.
            let check_changed = self.column_check(f, &c.name) != self.column_check(t, &c.name);
            if (o == c && !check_changed)
                || self
                    .readded_columns
                    .contains(&(t.name.clone(), c.name.clone()))
            {
                continue;
            }
            let col = self.ident(&c.name);
            let (osql, csql) = (o.sql.as_ref(), c.sql.as_ref());
            let type_changed = o.data_type != c.data_type;
            let default_changed = osql.map(|s| &s.default) != csql.map(|s| &s.default);
            let generated_changed = osql.map(|s| &s.generated) != csql.map(|s| &s.generated);
            if self.d == Dialect::MySql {
                // MODIFY restates the whole column, the check written with
                // it too (without it, the server drops it).
                let mut s = step(format!(
                    "ALTER TABLE {table} MODIFY COLUMN {}{}",
                    self.column_def(t, c, false),
                    self.column_check(t, &c.name)
                ));
                if type_changed {
                    s.review.push(format!(
                        "changes the type of {}.{} from {} to {}: may rewrite the table or fail on existing values",
                        t.name, c.name, o.data_type, c.data_type
                    ));
                }
                if o.nullable && !c.nullable {
                    s.review.push(format!(
                        "makes {}.{} NOT NULL: fails if a row holds NULL there",
                        t.name, c.name
                    ));
                }
                self.main.push(s);
                continue;
            }
            let old_default = osql.and_then(|s| s.default.as_ref());
            let new_default = csql.and_then(|s| s.default.as_ref());
            // The old default may not cast to the new type: it goes first
            // and the declared one is set after.
            let default_changed = default_changed || (type_changed && old_default.is_some());
            if type_changed && old_default.is_some() {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT"
                )));
            }
            if type_changed {
                let data_type = csql.map_or(c.data_type.to_string(), |s| s.data_type.to_string());
                // `serial` is only a way to create a column: the column's
                // type is the integer under it.
                let data_type = match data_type.to_ascii_lowercase().as_str() {
                    "serial" | "serial4" if self.pg() => "INTEGER".to_string(),
                    "bigserial" | "serial8" if self.pg() => "BIGINT".to_string(),
                    "smallserial" | "serial2" if self.pg() => "SMALLINT".to_string(),
                    _ => data_type,
                };
                let (using, decide) = if self.pg() {
                    let (using, decide) = pg_using(&col, &o.data_type, &data_type);
                    (format!(" USING {using}"), decide)
                } else {
                    (String::new(), None)
                };
                let mut s = reviewed(
                    format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE {data_type}{using}"),
                    format!(
                        "changes the type of {}.{} from {} to {}: may rewrite the table or fail on existing values",
                        t.name, c.name, o.data_type, c.data_type
                    ),
                );
                s.review.extend(decide);
                self.main.push(s);
            }
            if default_changed {
                match new_default {
                    Some(default) => self.main.push(step(format!(
                        "ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {default}"
                    ))),
                    None if !type_changed || old_default.is_none() => self.main.push(step(
                        format!("ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT"),
                    )),
                    None => {}
                }
            }
            if generated_changed {
                self.unwritten.push(format!(
                    "column {}.{} changes its identity or generated clause (ALTER TABLE ... \
                     ALTER COLUMN ... ADD GENERATED, SET GENERATED, DROP IDENTITY, DROP EXPRESSION, \
                     or the column dropped and added again): write that change by hand",
                    t.name, c.name
                ));
            }
            if o.nullable != c.nullable {
                if c.nullable {
                    self.main.push(reviewed(
                        format!("ALTER TABLE {table} ALTER COLUMN {col} DROP NOT NULL"),
                        format!(
                            "{}.{} accepts NULL from now on: code that reads it must expect one",
                            t.name, c.name
                        ),
                    ));
                } else {
                    // Through a validated check, so that the long scan
                    // holds no exclusive lock.
                    let check = self.ident(&format!("{}_{}_not_null", t.name.name, c.name));
                    self.main.push(step(format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID"
                    )));
                    self.main.push(reviewed(
                        format!("ALTER TABLE {table} VALIDATE CONSTRAINT {check}"),
                        format!(
                            "{}.{} becomes NOT NULL: fails if a row holds NULL there",
                            t.name, c.name
                        ),
                    ));
                    self.main.push(reviewed(
                        format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"),
                        format!("{}.{} becomes NOT NULL (the check above has proved it, so this scan is short)", t.name, c.name),
                    ));
                    self.main
                        .push(step(format!("ALTER TABLE {table} DROP CONSTRAINT {check}")));
                }
            }
        }
    }

    /// A constraint's definition: as the model holds it, or for a primary
    /// key or unique constraint whose text it does not hold (one added
    /// `USING INDEX`), written from its columns.
    fn definition(&self, c: &Constraint) -> String {
        if let Some(definition) = &c.definition {
            return definition.to_string();
        }
        let columns: Vec<String> = c.columns.iter().map(|n| self.ident(n)).collect();
        let kind = if c.kind == ConstraintKind::PrimaryKey {
            "PRIMARY KEY"
        } else {
            "UNIQUE"
        };
        format!("{kind} ({})", columns.join(", "))
    }

    fn add_constraint(&mut self, t: &Table, c: &Constraint, existing: bool) {
        let table = self.name(&t.name);
        let def = self.definition(c);
        let named = if c.generated_name && self.d != Dialect::Sqlite {
            format!("CONSTRAINT {} ", self.ident(&c.name))
        } else if c.generated_name {
            String::new()
        } else {
            format!("CONSTRAINT {} ", self.ident(&c.name))
        };
        let pg = self.pg();
        match c.kind {
            // Declared NOT VALID: added so, and never validated.
            _ if pg::not_valid(c) => {
                self.main
                    .push(step(format!("ALTER TABLE {table} ADD {named}{def}")));
            }
            ConstraintKind::ForeignKey | ConstraintKind::Check if pg && existing => {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ADD {named}{def} NOT VALID"
                )));
                self.main.push(reviewed(
                    format!(
                        "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                        self.ident(&c.name)
                    ),
                    format!(
                        "validates {} on {}: fails if a row breaks it",
                        c.name, t.name
                    ),
                ));
            }
            ConstraintKind::Unique if pg && existing => {
                // The index first, without blocking writes, then the
                // constraint takes it over.
                let index = t.name.sibling(c.name.clone());
                let columns = def
                    .trim_start_matches("UNIQUE")
                    .trim_start_matches(" NULLS NOT DISTINCT")
                    .trim();
                self.post.push(reviewed(
                    format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {table} {columns}",
                        self.ident(&index.name)
                    ),
                    format!(
                        "builds the index of {} on {}: fails if two rows share a value, after the \
                         sections before it have committed, and leaves an INVALID index to drop",
                        c.name, t.name
                    ),
                ));
                self.last.push(step(format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                    self.ident(&c.name),
                    self.ident(&index.name)
                )));
            }
            _ => {
                let key = self.mysql_key_of(t, c);
                let mut s = step(format!("ALTER TABLE {table} {key}ADD {named}{def}"));
                if existing {
                    s.review.push(format!(
                        "adds {} to {}: fails if a row breaks it, and locks the table while it is checked",
                        c.name, t.name
                    ));
                }
                self.main.push(s);
            }
        }
    }

    /// MySQL: `ADD INDEX name (columns), ` for a foreign key `c` of `t`
    /// added by `ALTER TABLE`, when the model holds the key the server
    /// made for it ([`Index::implicit`]) under another name than the
    /// constraint's (a `CREATE TABLE` names it after its first column or
    /// the index name written after `FOREIGN KEY`; `ALTER TABLE ... ADD
    /// CONSTRAINT` after the constraint) and it is not there yet: written
    /// in the same statement, the server uses it for the key and makes none
    /// of its own, so the index has the model's name. Empty otherwise.
    fn mysql_key_of(&self, t: &Table, c: &Constraint) -> String {
        if self.d != Dialect::MySql || c.kind != ConstraintKind::ForeignKey || c.columns.is_empty()
        {
            return String::new();
        }
        let Some(index) = implicit_key(&self.to.implicit, t, c) else {
            return String::new();
        };
        let name = short_name(index);
        // A key written by the user that stays serves the foreign key as
        // it is (one that goes is dropped before).
        let stays = self.from.indexes.contains_key(&index.name)
            && self.to.indexes.contains_key(&index.name);
        if name == c.name || stays {
            return String::new();
        }
        let Some(columns) = index
            .columns
            .iter()
            .map(|c| c.as_deref().map(|c| self.ident(c)))
            .collect::<Option<Vec<String>>>()
        else {
            return String::new();
        };
        let add = format!("ADD INDEX {} ({}), ", self.ident(name), columns.join(", "));
        if !self.from.implicit.contains_key(&index.name) {
            return add;
        }
        // There, made for a key before: the server would drop it for the
        // new key's own (of two alike, the earlier goes). Made again as a
        // key of its own, when the key it was made for goes in this
        // revision (dropped, or dropped to be added again as `c`).
        let owner_stays = self.from.tables.get(&t.name).is_some_and(|f| {
            f.constraints.iter().any(|k| {
                k.kind == ConstraintKind::ForeignKey
                    && implicit_key(&self.from.implicit, f, k).is_some_and(|i| i.name == index.name)
                    && !same_constraint(k, c)
                    && t.constraints.iter().any(|o| same_written(self.d, k, o))
            })
        });
        if owner_stays {
            return String::new();
        }
        format!("DROP INDEX {}, {add}", self.ident(name))
    }

    fn drop_constraint(&self, t: &Table, c: &Constraint) -> String {
        let table = self.name(&t.name);
        let name = self.ident(&c.name);
        match (self.d, c.kind) {
            (Dialect::MySql, ConstraintKind::ForeignKey) => {
                format!("ALTER TABLE {table} DROP FOREIGN KEY {name}")
            }
            (Dialect::MySql, ConstraintKind::PrimaryKey) => {
                format!("ALTER TABLE {table} DROP PRIMARY KEY")
            }
            (Dialect::MySql, ConstraintKind::Unique) => {
                format!("ALTER TABLE {table} DROP INDEX {name}")
            }
            _ => format!("ALTER TABLE {table} DROP CONSTRAINT {name}"),
        }
    }

    fn drop_index(&mut self, index: &Index, gone: bool) {
        let short = index
            .name
            .name
            .rsplit_once('.')
            .filter(|_| self.d == Dialect::MySql)
            .map_or(index.name.name.as_str(), |(_, n)| n);
        let why = format!("drops index {}", index.name);
        let mut s = match self.d {
            Dialect::MySql => step(format!(
                "DROP INDEX {} ON {}",
                self.ident(short),
                self.name(&index.table)
            )),
            Dialect::Sqlite | Dialect::Generic => {
                step(format!("DROP INDEX {}", self.name(&index.name)))
            }
            Dialect::Postgres => step(format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}",
                self.name(&index.name)
            )),
        };
        if gone && index.unique {
            s.review
                .push(format!("{why}: its uniqueness is no longer enforced"));
        }
        if self.pg() {
            self.pre.push(s);
        } else {
            self.main.push(s);
        }
    }

    fn create_index(&self, index: &Index, concurrently: bool) -> String {
        let short = index
            .name
            .name
            .rsplit_once('.')
            .filter(|_| self.d == Dialect::MySql)
            .map_or(index.name.name.as_str(), |(_, n)| n);
        let unique = if index.unique { "UNIQUE " } else { "" };
        let how = if concurrently {
            "CONCURRENTLY IF NOT EXISTS "
        } else {
            ""
        };
        format!(
            "CREATE {unique}INDEX {how}{} ON {} {}",
            self.ident(short),
            self.name(&index.table),
            index.definition.clone().unwrap_or_default()
        )
    }

    fn create_table(&self, t: &Table, constraints: &[&Constraint], as_name: &Name) -> String {
        let mut lines: Vec<String> = Vec::new();
        // SQLite's AUTOINCREMENT is only allowed on the primary key's own line.
        let autoincrement: Option<&str> = if self.d == Dialect::Sqlite {
            t.columns
                .iter()
                .find(|c| {
                    c.sql
                        .as_ref()
                        .and_then(|s| s.generated.as_ref())
                        .is_some_and(|g| g.to_ascii_uppercase().contains("AUTOINCREMENT"))
                })
                .map(|c| c.name.as_str())
        } else {
            None
        };
        // A primary key's columns are NOT NULL by the key, but on SQLite,
        // where the key does not imply it (the model holds it as declared).
        let keyed: Vec<&str> = constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::PrimaryKey && self.d != Dialect::Sqlite)
            .flat_map(|c| c.columns.iter().map(CompactString::as_str))
            .collect();
        for c in t.columns.iter() {
            let inline_pk = autoincrement == Some(c.name.as_str());
            let mut def = self.column_core(&t.name, c, inline_pk);
            if keyed.contains(&c.name.as_str()) {
                if let Some(stripped) = def.strip_suffix(" NOT NULL") {
                    def = stripped.to_string();
                }
            }
            def.push_str(&self.column_comment(t, c));
            if let Some(check) = constraints
                .iter()
                .find(|k| mysql_column_check(self.d, k) && k.name == c.name)
            {
                def.push(' ');
                def.push_str(&self.definition(check));
            }
            lines.push(def);
        }
        for c in constraints {
            if autoincrement.is_some() && c.kind == ConstraintKind::PrimaryKey {
                continue;
            }
            // Written with its column above.
            if mysql_column_check(self.d, c) {
                continue;
            }
            let def = self.definition(c);
            // MariaDB names an unnamed check after its column when written
            // with the column, else `CONSTRAINT_<n>` (numbered otherwise by
            // `ALTER TABLE`): the model's name is written, so it stays.
            let mysql_check = self.d == Dialect::MySql && c.kind == ConstraintKind::Check;
            if (c.generated_name && !mysql_check)
                || (self.d == Dialect::MySql && c.kind == ConstraintKind::PrimaryKey)
            {
                lines.push(def);
            } else {
                lines.push(format!("CONSTRAINT {} {def}", self.ident(&c.name)));
            }
        }
        let comment = match &t.comment {
            Some(comment) if self.d == Dialect::MySql => {
                format!(" COMMENT = {}", self.literal(comment))
            }
            _ => String::new(),
        };
        format!(
            "CREATE TABLE {} (\n    {}\n){comment}",
            self.name(as_name),
            lines.join(",\n    ")
        )
    }

    fn column_def(&self, t: &Table, c: &Column, inline_pk: bool) -> String {
        let mut out = self.column_core(&t.name, c, inline_pk);
        out.push_str(&self.column_comment(t, c));
        out
    }

    /// MariaDB states a check written with its column
    /// ([`mysql_column_check`]) after the column's comment: ` CHECK (...)`.
    fn column_check(&self, t: &Table, column: &str) -> String {
        t.constraints
            .iter()
            .find(|c| mysql_column_check(self.d, c) && c.name == column)
            .map_or(String::new(), |c| format!(" {}", self.definition(c)))
    }

    /// MySQL states a column's comment with the column: ` COMMENT '...'`.
    fn column_comment(&self, t: &Table, c: &Column) -> String {
        match t.column_comments.get(&c.name) {
            Some(comment) if self.d == Dialect::MySql => {
                format!(" COMMENT {}", self.literal(comment))
            }
            _ => String::new(),
        }
    }

    fn column_core(&self, table: &Name, c: &Column, inline_pk: bool) -> String {
        let mut out = self.ident(&c.name);
        let serial = if self.serials.is_empty() {
            None
        } else {
            self.serials.get(&(table.clone(), c.name.clone()))
        };
        match &c.sql {
            // `serial` makes its sequence and the default that reads it.
            Some(sql) if serial.is_some() && sql.generated.is_none() => {
                out.push(' ');
                out.push_str(&serial.copied().unwrap_or_default().to_ascii_uppercase());
            }
            Some(sql) => {
                out.push(' ');
                out.push_str(&sql.data_type);
                if inline_pk {
                    out.push_str(" PRIMARY KEY AUTOINCREMENT");
                } else if let Some(g) = &sql.generated {
                    out.push(' ');
                    out.push_str(g);
                }
                if let Some(default) = &sql.default {
                    out.push_str(" DEFAULT ");
                    out.push_str(default);
                }
            }
            None => {
                out.push(' ');
                out.push_str(&c.data_type);
            }
        }
        if !c.nullable && !inline_pk {
            out.push_str(" NOT NULL");
        }
        out
    }

    /// A string literal of the dialect (MySQL reads a backslash as an escape).
    fn literal(&self, text: &str) -> String {
        if self.d == Dialect::MySql {
            literal(&text.replace('\\', "\\\\"))
        } else {
            literal(text)
        }
    }

    /// The comments of the tables on both sides that differ, and of the new
    /// tables (PostgreSQL: `COMMENT ON`; MySQL: a column's comment is
    /// restated by `MODIFY COLUMN` where no other change did it, a new
    /// table's comment is part of its `CREATE TABLE`).
    fn comments(&mut self, changed: &BTreeSet<&Name>) {
        let names: Vec<&Name> = self.to.tables.keys().copied().collect();
        for name in names {
            let t = self.to.tables[name];
            let f = self.from.tables.get(name).copied();
            let table = self.name(name);
            let old_comment = f.and_then(|f| f.comment.as_ref());
            if self.d == Dialect::Sqlite {
                continue;
            }
            if self.d == Dialect::MySql {
                let Some(f) = f else { continue };
                if old_comment != t.comment.as_ref() {
                    // MariaDB removes a comment set to ''.
                    let text = self.literal(t.comment.as_deref().unwrap_or_default());
                    self.main.push(Step {
                        unchecked: Some(
                            "sqlparser does not read ALTER TABLE ... COMMENT =; the schema model follows it",
                        ),
                        ..step(format!("ALTER TABLE {table} COMMENT = {text}"))
                    });
                }
                for c in t.columns.iter() {
                    let Some(o) = f.column(&c.name) else { continue };
                    // `alter_columns` restated a column that changed otherwise.
                    let restated = changed.contains(name) && o != c;
                    if restated || f.column_comments.get(&c.name) == t.column_comments.get(&c.name)
                    {
                        continue;
                    }
                    self.main.push(step(format!(
                        "ALTER TABLE {table} MODIFY COLUMN {}",
                        self.column_def(t, c, false)
                    )));
                }
                continue;
            }
            if old_comment != t.comment.as_ref() {
                let text = t.comment.as_deref().map_or("NULL".to_string(), literal);
                self.main
                    .push(step(format!("COMMENT ON TABLE {table} IS {text}")));
            }
            for c in t.columns.iter() {
                let old = f
                    .filter(|f| f.column(&c.name).is_some())
                    .and_then(|f| f.column_comments.get(&c.name));
                let new = t.column_comments.get(&c.name);
                if old != new {
                    let text = new.map_or("NULL".to_string(), |n| literal(n));
                    self.main.push(step(format!(
                        "COMMENT ON COLUMN {table}.{} IS {text}",
                        self.ident(&c.name)
                    )));
                }
            }
        }
    }

    /// For a domain whose definition changes (both known): the base type
    /// of the old definition, which its columns hold while the domain is
    /// dropped and created again, and the new definition. `None` for
    /// anything else, or when another type is defined over the domain (it
    /// would have to go too; that change is left to a human).
    fn domain_redefined(&self, f: &TypeDef, t: &TypeDef) -> Option<(String, String)> {
        let (TypeKind::Domain(Some(old)), TypeKind::Domain(Some(new))) = (&f.kind, &t.kind) else {
            return None;
        };
        if old == new {
            return None;
        }
        let over_it = self.from.types.values().any(|other| {
            matches!(&other.kind, TypeKind::Domain(Some(d))
                if d.split_whitespace().nth(1).is_some_and(|base| base.trim_matches('"').eq_ignore_ascii_case(&f.name.name)))
        });
        if over_it {
            return None;
        }
        let text = format!("CREATE DOMAIN d {old}");
        let parsed =
            sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &text)
                .ok()?;
        match parsed.as_slice() {
            [sqlparser::ast::Statement::CreateDomain(domain)] => {
                Some((domain.data_type.to_string(), new.clone()))
            }
            _ => None,
        }
    }

    /// The columns of type `name` on both sides (tables that stay, columns
    /// that stay of that type), with the default to set again after the
    /// change (`Some("")` when it has none on the declared side).
    fn columns_of_type(&self, name: &Name) -> Vec<(Name, CompactString, Option<String>)> {
        self.from
            .tables
            .values()
            .filter_map(|table| Some((table, self.to.tables.get(&table.name)?)))
            .flat_map(|(old, new)| {
                old.columns
                    .iter()
                    .filter(|c| c.data_type == name.name)
                    .filter_map(move |c| {
                        let now = new.column(&c.name)?;
                        (now.data_type == name.name).then(|| {
                            (
                                old.name.clone(),
                                c.name.clone(),
                                column_default(c).map(|_| column_default(now).unwrap_or_default()),
                            )
                        })
                    })
            })
            .collect()
    }

    /// Whether a column of a table, a domain or composite type, or a
    /// function's arguments or result on either side name the type `name`
    /// (an array of it too).
    fn type_used(&self, name: &Name) -> bool {
        [&self.from, &self.to].into_iter().any(|m| {
            m.tables
                .values()
                .any(|t| t.columns.iter().any(|c| names(&c.data_type, name)))
                || m.types.values().any(|t| {
                    t.name != *name
                        && matches!(&t.kind, TypeKind::Domain(Some(d)) | TypeKind::Composite(Some(d)) if names(d, name))
                })
                || m.functions.values().any(|f| {
                    f.definitions
                        .values()
                        .any(|d| d.head.as_deref().is_none_or(|h| names(h, name)))
                })
        })
    }

    /// The functions' statements: those created before the tables (their
    /// body names no relation this revision creates), those created or
    /// replaced after the tables and views, and the drops (after the
    /// tables that go, before the types). A function a trigger that stays
    /// runs is neither dropped nor re-created (triggers are not written):
    /// listed as not compared.
    fn functions(&mut self) -> (Vec<Step>, Vec<Step>, Vec<Step>) {
        let (mut early, mut late, mut drops) = (Vec::new(), Vec::new(), Vec::new());
        let new_relations: Vec<&Name> = (self.to.tables.keys().chain(self.to.views.keys()))
            .filter(|n| !self.from.tables.contains_key(*n) && !self.from.views.contains_key(*n))
            .copied()
            .collect();
        let functions: BTreeSet<&Name> = self
            .from
            .functions
            .keys()
            .chain(self.to.functions.keys())
            .copied()
            .collect();
        for name in functions {
            let (f, t) = (self.from.functions.get(name), self.to.functions.get(name));
            let signatures: BTreeSet<&String> = [f, t]
                .into_iter()
                .flatten()
                .flat_map(|x| x.definitions.keys())
                .collect();
            let run_by = self.from.triggers.iter().find(|tr| {
                tr.function.as_ref() == Some(name) && self.to.tables.contains_key(&tr.table)
            });
            for signature in signatures {
                let old = f.and_then(|f| f.definitions.get(signature));
                let new = t.and_then(|t| t.definitions.get(signature));
                let call = format!("{}({signature})", self.name(name));
                let drop_sql = |d: &crate::schema::FunctionDef| {
                    let kind = if d.normal().to_ascii_lowercase().starts_with("procedure") {
                        "PROCEDURE"
                    } else {
                        "FUNCTION"
                    };
                    format!("DROP {kind} {call}")
                };
                match (old, new) {
                    (Some(o), Some(n)) if o.normal() == n.normal() => {}
                    (Some(o), Some(n)) if o.head.is_some() && o.head == n.head => {
                        late.push(step(n.or_replace()))
                    }
                    (Some(_), _) if run_by.is_some() => self.unwritten.push(format!(
                        "function {call}: trigger {} runs it (triggers are not written): change \
                         it by hand",
                        run_by.map(|t| t.name.to_string()).unwrap_or_default()
                    )),
                    (Some(o), n) => {
                        drops.push(reviewed(
                            drop_sql(o),
                            match n {
                                Some(_) => format!(
                                    "re-creates {call} (its arguments or result change): fails \
                                     if a default, view, index or trigger uses it"
                                ),
                                None => {
                                    format!("drops {call}, which the declared schema no longer has")
                                }
                            },
                        ));
                        if let Some(n) = n {
                            late.push(step(n.sql.clone()));
                        }
                    }
                    (None, Some(n)) => {
                        let reads_new = n
                            .body
                            .iter()
                            .chain(&n.head)
                            .any(|text| new_relations.iter().any(|r| names(text, r)));
                        if reads_new {
                            late.push(step(n.sql.clone()));
                        } else {
                            early.push(step(n.sql.clone()));
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        (early, late, drops)
    }

    /// The statement that creates `t`, or `None` for a kind the model
    /// cannot write (a range type, a domain or composite type read from a
    /// catalog).
    fn create_type(&self, t: &TypeDef) -> Option<String> {
        match &t.kind {
            TypeKind::Enum => {
                let labels: Vec<String> = t.labels.iter().map(|l| literal(l)).collect();
                Some(format!(
                    "CREATE TYPE {} AS ENUM ({})",
                    self.name(&t.name),
                    labels.join(", ")
                ))
            }
            TypeKind::Domain(Some(definition)) => {
                Some(format!("CREATE DOMAIN {} {definition}", self.name(&t.name)))
            }
            TypeKind::Composite(Some(definition)) => {
                Some(format!("CREATE TYPE {} {definition}", self.name(&t.name)))
            }
            _ => None,
        }
    }

    fn ident(&self, name: &str) -> String {
        quote(self.d, name)
    }

    fn name(&self, name: &Name) -> String {
        match &name.schema {
            Some(schema) => format!("{}.{}", self.ident(schema), self.ident(&name.name)),
            None => self.ident(&name.name),
        }
    }
}

/// Whether `text` names `name` (as a word: `pair`, `pair[]`).
fn names(text: &str, name: &Name) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(&name.name))
}

/// The order types are created in (dropped in reverse): enums, domains
/// (which may be of an enum), composite types, and composite types of a
/// composite type of `types`.
fn type_rank(t: &TypeDef, types: &BTreeMap<&Name, &TypeDef>) -> u8 {
    match &t.kind {
        TypeKind::Enum => 0,
        TypeKind::Domain(_) => 1,
        TypeKind::Composite(Some(d))
            if types.values().any(|o| {
                o.name != t.name && matches!(o.kind, TypeKind::Composite(_)) && names(d, &o.name)
            }) =>
        {
            3
        }
        _ => 2,
    }
}

/// A MySQL index that can be written in its table's `CREATE TABLE`
/// (`INDEX name (...)`, also with `USING method`; a unique one stays a
/// statement of its own).
fn mysql_inline(index: &Index) -> bool {
    index
        .definition
        .as_deref()
        .is_some_and(|d| d.starts_with('(') || d.to_ascii_uppercase().starts_with("USING "))
}

/// Two constraints are the same when their names (or, when the server
/// chose both names, their kinds and columns) and their definitions agree.
fn same_constraint(a: &Constraint, b: &Constraint) -> bool {
    let same_name = a.name == b.name
        || (a.generated_name && b.generated_name && a.kind == b.kind && a.columns == b.columns);
    same_name
        && a.kind == b.kind
        && (a.definition.is_none() || b.definition.is_none() || a.definition == b.definition)
}

fn same_constraints(a: &[Constraint], b: &[Constraint]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| same_constraint(x, y)))
}

/// An index's name without its table's (`t.ix` is `ix`).
fn short_name(i: &Index) -> &str {
    i.name
        .name
        .rsplit_once('.')
        .map_or(i.name.name.as_str(), |(_, n)| n)
}

/// The key MariaDB made for foreign key `c` of `t`, among `implicit` (the
/// model's keys made for foreign keys): the one named after the
/// constraint, else one whose columns lead with the key's and whose name
/// is no constraint's of `t` (a `CREATE TABLE` names it after its first
/// column, or the index name written after `FOREIGN KEY`).
fn implicit_key<'m>(
    implicit: &BTreeMap<&Name, &'m Index>,
    t: &Table,
    c: &Constraint,
) -> Option<&'m Index> {
    let own = t.name.sibling(format!("{}.{}", t.name.name, c.name));
    if let Some(i) = implicit.get(&own) {
        return Some(*i);
    }
    let leads = |i: &Index| {
        !c.columns.is_empty()
            && i.columns.len() >= c.columns.len()
            && i.columns
                .iter()
                .zip(&c.columns)
                .all(|(a, b)| a.as_deref() == Some(b.as_str()))
    };
    implicit.values().copied().find(|i| {
        i.table == t.name && leads(i) && !t.constraints.iter().any(|k| k.name == short_name(i))
    })
}

/// [`same_constraint`], and both written with their column or neither
/// ([`mysql_column_check`]).
fn same_written(d: Dialect, a: &Constraint, b: &Constraint) -> bool {
    same_constraint(a, b) && mysql_column_check(d, a) == mysql_column_check(d, b)
}

/// MariaDB's check written with its column (`a INT CHECK (a > 0)`), which
/// the server names after the column and keeps with it: `MODIFY COLUMN`
/// without it drops it, `DROP CONSTRAINT` does not find it, and `SHOW
/// CREATE TABLE` prints it in the column. In the model: a check named by
/// the server after its one column.
fn mysql_column_check(d: Dialect, c: &Constraint) -> bool {
    d == Dialect::MySql
        && c.kind == ConstraintKind::Check
        && c.generated_name
        && c.columns.len() == 1
        && c.columns[0] == c.name
}

/// The `USING` of PostgreSQL's `ALTER COLUMN c TYPE t`: `c::t` where the
/// server has a cast (or an I/O conversion: to and from the text types),
/// else a conversion that runs, with what the user must decide. PostgreSQL
/// (`pg_cast`) has no cast to `json`/`jsonb` from a type other than the
/// text and JSON types, but `to_json`/`to_jsonb` take every type, exactly;
/// none from `json`/`jsonb` to an array, which goes through its text (runs
/// on an empty table; a row whose text the array does not read stops it);
/// none from `time` (or `timetz`) to a timestamp, which is the time on a
/// date the user chooses (`CURRENT_DATE + c` here: the date plus the time
/// gives the timestamp). Other pairs keep `c::t`.
fn pg_using(col: &str, from_type: &str, to_type: &str) -> (String, Option<String>) {
    let norm = |t: &str| t.trim().to_ascii_lowercase();
    let (from, to) = (norm(from_type), norm(to_type));
    let base = |t: &str| t.split(['(', '[']).next().unwrap_or("").trim().to_string();
    let text_like = |t: &str| {
        matches!(
            base(t).as_str(),
            "text"
                | "varchar"
                | "character varying"
                | "char"
                | "character"
                | "bpchar"
                | "name"
                | "citext"
        ) && !t.ends_with(']')
    };
    let json = |t: &str| matches!(t, "json" | "jsonb");
    let array = |t: &str| t.ends_with(']') || t.starts_with('_');
    if json(&to) && !json(&from) && !text_like(&from) {
        return (format!("to_{to}({col})"), None);
    }
    if json(&from) && array(&to) {
        return (
            format!("{col}::text::{to_type}"),
            Some(format!(
                "PostgreSQL has no cast from {from} to {to}: the value goes through its text, which \
                 stops on a row whose text is not an array literal: write the conversion"
            )),
        );
    }
    let time = base(&from) == "time" || base(&from).starts_with("time with") || from == "timetz";
    let timestamp = base(&to).starts_with("timestamp");
    if time && timestamp {
        return (
            format!("CURRENT_DATE + {col}"),
            Some(format!(
                "PostgreSQL has no cast from {from} to {to}: each time is put on today's date \
                 (CURRENT_DATE + {col}); decide the date"
            )),
        );
    }
    (format!("{col}::{to_type}"), None)
}

/// A column's declared `DEFAULT` expression, if any.
fn column_default(c: &Column) -> Option<String> {
    c.sql
        .as_ref()
        .and_then(|s| s.default.as_deref().map(str::to_string))
}

/// A table's columns and types, for the rename hint.
fn shape(t: &Table) -> Vec<(&str, &str)> {
    let mut s: Vec<(&str, &str)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    s.sort();
    s
}

/// The views of `which`, each after the views it reads.
fn view_order(views: &BTreeMap<&Name, &View>, which: &BTreeSet<Name>) -> Vec<Name> {
    let mut out: Vec<Name> = Vec::new();
    let mut remaining: Vec<Name> = which
        .iter()
        .filter(|n| views.contains_key(*n))
        .cloned()
        .collect();
    while !remaining.is_empty() {
        let pos = remaining
            .iter()
            .position(|n| {
                views[n]
                    .depends_on
                    .iter()
                    .all(|r| !remaining.contains(r) || r == n)
            })
            .unwrap_or(0);
        out.push(remaining.remove(pos));
    }
    out
}

/// A string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Words that must be quoted as identifiers in at least one dialect.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "initially",
    "inner",
    "insert",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "match",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "placing",
    "primary",
    "range",
    "read",
    "references",
    "returning",
    "right",
    "row",
    "rows",
    "select",
    "session_user",
    "set",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// `name` as an identifier of `dialect`: bare when it is a plain lower-case
/// word that is not reserved, else quoted.
pub fn quote(dialect: Dialect, name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
    if plain {
        return name.to_string();
    }
    match dialect {
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}
