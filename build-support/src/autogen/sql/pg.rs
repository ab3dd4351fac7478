//! PostgreSQL's parts of a generated revision that the rest of the
//! generator does not write: schemas (namespaces) and extensions.

use std::collections::BTreeSet;

use crate::schema::{CompactString, Constraint, ConstraintKind, TypeDef};

use super::{column_default, literal, names, reviewed, step, Changes, Dialect, Name, Step};

/// A column of a type that is re-created, on a table that stays.
struct TypeUser {
    table: Name,
    column: CompactString,
    /// An array of the type (`mood[]`).
    array: bool,
    /// `Some` when it has a default (which the old type's values cannot
    /// keep): the declared default to set again, empty for none.
    default: Option<String>,
}

/// Whether a column's type `data_type` is the type `name` (`Some(false)`)
/// or an array of it (`Some(true)`).
fn of_type(data_type: &str, name: &Name) -> Option<bool> {
    if data_type == name.name {
        Some(false)
    } else if data_type.strip_suffix("[]") == Some(name.name.as_str()) {
        Some(true)
    } else {
        None
    }
}

/// Whether `c` is a check added `NOT VALID` (and not validated since):
/// the model keeps it as `pg_get_constraintdef` prints it, with `NOT
/// VALID` at the end.
pub(super) fn not_valid(c: &Constraint) -> bool {
    c.kind == ConstraintKind::Check
        && c.definition
            .as_deref()
            .is_some_and(|d| d.ends_with(" NOT VALID"))
}

/// Whether a column of type `data_type` is of the type `name` or an array
/// of it.
pub(super) fn is_of_type(data_type: &str, name: &Name) -> bool {
    of_type(data_type, name).is_some()
}

impl Changes<'_> {
    /// The names of every object on the second side, and of those left out
    /// as not known on either side: what a schema that goes away must not
    /// hold.
    fn names_after(&self) -> Vec<&Name> {
        let to = &self.to;
        let mut out: Vec<&Name> = Vec::new();
        out.extend(to.tables.keys().copied());
        out.extend(to.indexes.keys().copied());
        out.extend(to.views.keys().copied());
        out.extend(to.types.keys().copied());
        out.extend(to.sequences.keys().copied());
        out.extend(to.functions.keys().copied());
        out.extend(to.triggers.iter().map(|t| &t.name));
        out.extend(self.from.skipped.iter().chain(&to.skipped));
        out
    }

    /// `CREATE SCHEMA` and `CREATE EXTENSION` (as declared) for those the
    /// second side has and the first lacks, before every other statement
    /// (a table may live in the schema, a column be of the extension's
    /// type); `DROP EXTENSION` and `DROP SCHEMA` for those it lacks, after
    /// every other statement, each marked for review. A schema that an
    /// object of the second side still lives in is not dropped. PostgreSQL
    /// (extensions) and the generic dialect (schemas) only.
    pub(super) fn namespaces_and_extensions(&mut self) {
        if !matches!(self.d, Dialect::Postgres | Dialect::Generic) {
            return;
        }
        let mut creates = Vec::new();
        let mut drops = Vec::new();
        // PostgreSQL's default schema is every database's (a history may
        // still say `CREATE SCHEMA IF NOT EXISTS public`).
        let default = (self.d == Dialect::Postgres).then_some("public");
        let new_schemas: Vec<&str> = self
            .to
            .schemas
            .iter()
            .filter(|s| !self.from.schemas.contains(*s) && Some(**s) != default)
            .copied()
            .collect();
        for schema in new_schemas {
            creates.push(step(format!("CREATE SCHEMA {}", self.ident(schema))));
        }
        let new_extensions: Vec<String> = self
            .to
            .extensions
            .iter()
            .filter(|(name, _)| !self.from.extensions.contains_key(*name))
            .map(|(name, e)| {
                e.sql
                    .clone()
                    .unwrap_or_else(|| format!("CREATE EXTENSION {}", self.name(name)))
            })
            .collect();
        creates.extend(new_extensions.into_iter().map(step));
        let old_extensions: Vec<&Name> = self
            .from
            .extensions
            .keys()
            .filter(|name| !self.to.extensions.contains_key(*name))
            .copied()
            .collect();
        for name in old_extensions {
            drops.push(reviewed(
                format!("DROP EXTENSION {}", self.name(name)),
                format!(
                    "drops extension {name}, which the declared schema no longer has, with the \
                     types and functions it made: fails while an object still uses them"
                ),
            ));
        }
        let after = self.names_after();
        let old_schemas: Vec<&str> = self
            .from
            .schemas
            .iter()
            .filter(|s| !self.to.schemas.contains(*s) && Some(**s) != default)
            .filter(|s| !after.iter().any(|n| n.schema.as_deref() == Some(**s)))
            .copied()
            .collect();
        for schema in old_schemas {
            drops.push(reviewed(
                format!("DROP SCHEMA {}", self.ident(schema)),
                format!(
                    "drops schema {schema}, which the declared schema no longer has: fails if an \
                     object the model does not know of is still in it"
                ),
            ));
        }
        self.main.splice(0..0, creates);
        self.main.extend(drops);
    }

    /// `COMMENT ON [MATERIALIZED] VIEW` for each view of the second side
    /// whose comment differs from the first side's, or that this revision
    /// creates (`created`) with a comment (PostgreSQL; the generic
    /// dialect).
    pub(super) fn view_comments(&mut self, created: &BTreeSet<Name>) {
        if !matches!(self.d, Dialect::Postgres | Dialect::Generic) {
            return;
        }
        let mut steps = Vec::new();
        for (name, view) in &self.to.views {
            let before = match self.from.views.get(name) {
                Some(old) if !created.contains(*name) => old.comment.as_ref(),
                _ => None,
            };
            if before == view.comment.as_ref() {
                continue;
            }
            let kind = if view.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let text = view.comment.as_deref().map_or("NULL".to_string(), literal);
            steps.push(step(format!(
                "COMMENT ON {kind} {} IS {text}",
                self.name(name)
            )));
        }
        self.main.extend(steps);
    }

    /// The columns of enum `name` (or arrays of it) on both sides, of the
    /// tables that stay, with their defaults ([`TypeUser`]).
    fn enum_users(&self, name: &Name) -> Vec<TypeUser> {
        let mut out = Vec::new();
        for (table, old) in &self.from.tables {
            let Some(new) = self.to.tables.get(table) else {
                continue;
            };
            for c in old.columns.iter() {
                let Some(array) = of_type(&c.data_type, name) else {
                    continue;
                };
                let Some(now) = new.column(&c.name) else {
                    continue;
                };
                if of_type(&now.data_type, name) != Some(array) {
                    continue;
                }
                out.push(TypeUser {
                    table: (*table).clone(),
                    column: c.name.clone(),
                    array,
                    default: column_default(c).map(|_| column_default(now).unwrap_or_default()),
                });
            }
        }
        out
    }

    /// What must go while the columns `columns` (`(table, column)`) change
    /// their type to or from the type `name` that is re-created, and come
    /// back after: the generated columns that read one of them or name
    /// the type (PostgreSQL refuses to change the type of a column a
    /// generated column reads, and to drop a type an expression names),
    /// dropped and added again as declared; and the indexes and checks
    /// that read one of those generated columns, or with `all`, one of
    /// `columns` or the type's name (their stored expressions hold the old
    /// type: the server cannot rebuild them for the new one), dropped and
    /// created again as declared. An index that changes otherwise is left
    /// to the comparison of indexes (dropped before, created after every
    /// other statement). Returns the statements before and after.
    fn around_type_change(
        &mut self,
        name: &Name,
        columns: &[(Name, CompactString)],
        all: bool,
    ) -> (Vec<Step>, Vec<Step>) {
        let d = self.d;
        let reads_any = |table: &Name,
                         watched: &[(Name, CompactString)],
                         reads: &dyn Fn(&str) -> Option<bool>| {
            watched
                .iter()
                .any(|(t, c)| t == table && reads(c) != Some(false))
        };
        // Generated columns of the tables that stay.
        let mut regenerated: Vec<(Name, CompactString)> = Vec::new();
        for (table, f) in &self.from.tables {
            if !self.to.tables.contains_key(*table) {
                continue;
            }
            for g in f.columns.iter() {
                let Some(clause) = g.sql.as_ref().and_then(|s| s.generated.as_deref()) else {
                    continue;
                };
                if clause.to_ascii_uppercase().contains("AS IDENTITY") {
                    continue;
                }
                let reads = |c: &str| crate::schema::generated_reads(clause, c, d);
                if reads_any(table, columns, &reads) || names(clause, name) {
                    regenerated.push(((*table).clone(), g.name.clone()));
                }
            }
        }
        let mut watched = regenerated.clone();
        if all {
            watched.extend(columns.iter().cloned());
        }
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let (mut drop_indexes, mut create_indexes) = (Vec::new(), Vec::new());
        for (index_name, i) in &self.from.indexes {
            let Some(definition) = i.definition.as_deref() else {
                continue;
            };
            let Some(t) = self.to.indexes.get(*index_name) else {
                continue;
            };
            if t.table != i.table || t.unique != i.unique || t.definition != i.definition {
                continue;
            }
            let reads = |c: &str| crate::schema::index_reads(definition, c, d);
            if reads_any(&i.table, &watched, &reads) || (all && names(definition, name)) {
                drop_indexes.push(reviewed(
                    format!("DROP INDEX {}", self.name(index_name)),
                    format!(
                        "drops index {index_name} while type {name} is re-created (its stored \
                         expressions hold the old type): created again below"
                    ),
                ));
                create_indexes.push(reviewed(
                    self.create_index(t, false),
                    format!(
                        "creates index {index_name} again after the change of type {name}: \
                         blocks writes to {} while it builds",
                        t.table
                    ),
                ));
            }
        }
        let (mut drop_checks, mut add_checks) = (Vec::new(), Vec::new());
        let mut redone = Vec::new();
        for (table, f) in &self.from.tables {
            let Some(t) = self.to.tables.get(*table) else {
                continue;
            };
            for c in &f.constraints {
                let Some(definition) = c.definition.as_deref() else {
                    continue;
                };
                if c.kind != ConstraintKind::Check {
                    continue;
                }
                let reads = |col: &str| crate::schema::check_reads(definition, col, d);
                if !(reads_any(table, &watched, &reads) || (all && names(definition, name))) {
                    continue;
                }
                drop_checks.push(step(self.drop_constraint(f, c)));
                redone.push(((*table).clone(), c.name.clone()));
                let again = t
                    .constraints
                    .iter()
                    .find(|o| o.name == c.name && o.kind == ConstraintKind::Check);
                if let Some(again) = again {
                    add_checks.push(reviewed(
                        format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} {}",
                            self.name(table),
                            self.ident(&again.name),
                            self.definition(again)
                        ),
                        format!(
                            "adds {} on {table} again after the change of type {name}: fails if \
                             a row breaks it",
                            again.name
                        ),
                    ));
                }
            }
        }
        let (mut drop_columns, mut add_columns) = (Vec::new(), Vec::new());
        for (table, column) in &regenerated {
            let quoted = self.name(table);
            drop_columns.push(reviewed(
                format!("ALTER TABLE {quoted} DROP COLUMN {}", self.ident(column)),
                format!(
                    "drops generated column {table}.{column} while type {name} is re-created \
                     (the server cannot change what it reads): added again below, its values \
                     computed again"
                ),
            ));
            let Some(t) = self.to.tables.get(table) else {
                continue;
            };
            let Some(c) = t.column(column) else { continue };
            add_columns.push(reviewed(
                format!(
                    "ALTER TABLE {quoted} ADD COLUMN {}",
                    self.column_def(t, c, false)
                ),
                format!(
                    "adds generated column {table}.{column} again: PostgreSQL rewrites the table \
                     to fill it"
                ),
            ));
            if let Some(comment) = t.column_comments.get(column) {
                add_columns.push(step(format!(
                    "COMMENT ON COLUMN {quoted}.{} IS {}",
                    self.ident(column),
                    literal(comment)
                )));
            }
        }
        self.redone_checks.extend(redone);
        self.readded_columns.extend(regenerated);
        before.extend(drop_indexes);
        before.extend(drop_checks);
        before.extend(drop_columns);
        after.extend(add_columns);
        after.extend(add_checks);
        after.extend(create_indexes);
        (before, after)
    }

    /// Re-creates enum `name` as `t` declares it (a label removed, or the
    /// labels in another order): the old type renamed, the new one
    /// created, each column of it (an array of it too) converted through
    /// its text, with what reads them around ([`Changes::around_type_change`]).
    /// Returns the drop of the old type, which goes last (a table or
    /// column this revision drops may still use it).
    pub(super) fn recreate_enum(&mut self, name: &Name, t: &TypeDef) -> Step {
        let old = name.sibling(format!("{}_old", name.name));
        let why = format!(
            "re-creates enum {name} without labels it had or in another order: \
             fails if a row holds a label that is gone"
        );
        let users = self.enum_users(name);
        let columns: Vec<(Name, CompactString)> = users
            .iter()
            .map(|u| (u.table.clone(), u.column.clone()))
            .collect();
        let (before, after) = self.around_type_change(name, &columns, true);
        self.main.extend(before);
        self.main.push(reviewed(
            format!(
                "ALTER TYPE {} RENAME TO {}",
                self.name(name),
                self.name(&old)
            ),
            why.clone(),
        ));
        self.main
            .push(step(self.create_type(t).unwrap_or_default()));
        // A default of the old type cannot be cast to the new one: it is
        // dropped around the change and set again.
        for u in users {
            if self
                .readded_columns
                .contains(&(u.table.clone(), u.column.clone()))
            {
                continue;
            }
            let c = self.ident(&u.column);
            let table = self.name(&u.table);
            if u.default.is_some() {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} DROP DEFAULT"
                )));
            }
            let (new_type, through) = if u.array {
                (format!("{}[]", self.name(name)), "text[]")
            } else {
                (self.name(name), "text")
            };
            self.main.push(reviewed(
                format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} TYPE {new_type} USING {c}::{through}::{new_type}"
                ),
                why.clone(),
            ));
            if let Some(default) = u.default.filter(|d| !d.is_empty()) {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} SET DEFAULT {default}"
                )));
            }
        }
        self.main.extend(after);
        step(format!("DROP TYPE {}", self.name(&old)))
    }

    /// Re-defines domain `name` (`base`: the type its columns hold
    /// meanwhile; `definition`: the new one): its columns moved to `base`,
    /// the domain dropped and created again, the columns moved back, with
    /// the generated columns that read them around
    /// ([`Changes::around_type_change`]).
    pub(super) fn redefine_domain(&mut self, name: &Name, base: &str, definition: &str, why: &str) {
        let domain = self.name(name);
        let users: Vec<(Name, CompactString, Option<String>)> =
            self.columns_of_type(name).into_iter().collect();
        let columns: Vec<(Name, CompactString)> = users
            .iter()
            .map(|(t, c, _)| (t.clone(), c.clone()))
            .collect();
        let (before, after) = self.around_type_change(name, &columns, false);
        self.main.extend(before);
        let users: Vec<(Name, CompactString, Option<String>)> = users
            .into_iter()
            .filter(|(t, c, _)| !self.readded_columns.contains(&(t.clone(), c.clone())))
            .collect();
        for (table, column, default) in &users {
            let c = self.ident(column);
            let table = self.name(table);
            if default.is_some() {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} DROP DEFAULT"
                )));
            }
            self.main.push(reviewed(
                format!("ALTER TABLE {table} ALTER COLUMN {c} TYPE {base}"),
                why,
            ));
        }
        self.main
            .push(reviewed(format!("DROP DOMAIN {domain}"), why));
        self.main
            .push(step(format!("CREATE DOMAIN {domain} {definition}")));
        for (table, column, default) in users {
            let c = self.ident(&column);
            let table = self.name(&table);
            self.main.push(reviewed(
                format!("ALTER TABLE {table} ALTER COLUMN {c} TYPE {domain} USING {c}::{domain}"),
                why,
            ));
            if let Some(default) = default.filter(|d| !d.is_empty()) {
                self.main.push(step(format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} SET DEFAULT {default}"
                )));
            }
        }
        self.main.extend(after);
    }
}
