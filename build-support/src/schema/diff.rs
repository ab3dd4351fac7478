//! Does a downgrade put back what its upgrade changed?

use super::{
    may_be_generated, Constraint, ConstraintKind, Dialect, ForeignKeyActions, IndexPredicate,
    Journal, Object, ObjectKey, ObjectKind, Schema, Table,
};

/// One way the schema after a downgrade differs from the schema before its
/// upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// e.g. `column posts.published_at is still present after the downgrade`.
    pub message: String,
}

impl Schema {
    /// Compares the current state (after upgrade then downgrade) of every
    /// object either stretch touched with its state before the upgrade.
    /// `up` journals the upgrade, `down` the downgrade; an object only the
    /// downgrade touched had, before the upgrade, the state `down` recorded.
    pub fn downgrade_differences(&self, up: &Journal, down: &Journal) -> Vec<Difference> {
        let mut keys: Vec<&ObjectKey> = up.keys();
        for k in down.keys() {
            if up.before(k).is_none() {
                keys.push(k);
            }
        }
        keys.sort();
        let mut out = Vec::new();
        for k in keys {
            let before = up.before(k).or_else(|| down.before(k)).flatten();
            let now = self.objects.get(k);
            self.compare(k, before, now, &mut out);
        }
        out
    }

    /// The objects the two stretches touched that [`Schema::downgrade_differences`]
    /// cannot judge in full: tables whose columns or constraints the model
    /// does not know (open, or uncertain) before the upgrade or now, or with
    /// a foreign key whose actions it knows on one side only; indexes whose
    /// method or `WHERE` it does not know on one side. The
    /// linter stays silent on their unknown parts; a caller that wants to
    /// know whether the model could judge a downgrade asks this.
    pub fn downgrade_unsure(&self, up: &Journal, down: &Journal) -> Vec<ObjectKey> {
        let mut keys: Vec<&ObjectKey> = up.keys();
        for k in down.keys() {
            if up.before(k).is_none() {
                keys.push(k);
            }
        }
        keys.sort();
        let open = |o: Option<&Object>| matches!(o, Some(Object::Table(t)) if t.open_columns || t.open_constraints);
        keys.into_iter()
            .filter(|k| {
                let before = up.before(k).or_else(|| down.before(k)).flatten();
                let now = self.objects.get(*k);
                open(before) || open(now) || unsure_attributes(before, now)
            })
            .cloned()
            .collect()
    }

    fn compare(
        &self,
        k: &ObjectKey,
        before: Option<&Object>,
        now: Option<&Object>,
        out: &mut Vec<Difference>,
    ) {
        let noun = k.kind.noun();
        let name = &k.name;
        match (before, now) {
            (None, None) => {}
            (None, Some(_)) => out.push(diff(format!(
                "{noun} {name} is still present after the downgrade"
            ))),
            (Some(_), None) => out.push(diff(format!(
                "{noun} {name} is missing after the downgrade"
            ))),
            (Some(Object::Table(b)), Some(Object::Table(n))) => compare_tables(b, n, self, out),
            (Some(Object::Index(b)), Some(Object::Index(n))) => {
                // Expression columns are not compared: their text is not modelled.
                let expressions = b.columns.iter().chain(&n.columns).any(Option::is_none);
                let columns_differ = !expressions && b.columns != n.columns;
                if b.table != n.table || columns_differ || b.unique != n.unique {
                    let show = |i: &super::Index| {
                        let cols: Vec<&str> = i
                            .columns
                            .iter()
                            .map(|c| c.as_deref().unwrap_or("<expr>"))
                            .collect();
                        format!(
                            "{}on {} ({})",
                            if i.unique { "unique " } else { "" },
                            i.table,
                            cols.join(", ")
                        )
                    };
                    out.push(diff(format!(
                        "index {name} is {} after the downgrade, {} before",
                        show(n),
                        show(b)
                    )));
                }
                // The method and `WHERE` only where both sides know them.
                if let (Some(bm), Some(nm)) = (&b.method, &n.method) {
                    if bm != nm {
                        out.push(diff(format!(
                            "index {name} uses {nm} after the downgrade, {bm} before"
                        )));
                    }
                }
                if let Some(message) = predicate_difference(&b.predicate, &n.predicate) {
                    out.push(diff(format!("index {name} has {message}")));
                }
            }
            // Enum labels: PostgreSQL cannot drop one, so a label an
            // upgrade added stays after any downgrade.
            (Some(Object::Type(b)), Some(Object::Type(n))) => {
                if !b.labels.is_empty() && !n.labels.is_empty() && b.labels != n.labels {
                    out.push(diff(format!(
                        "type {name} has labels {:?} after the downgrade, {:?} before",
                        n.labels, b.labels
                    )));
                }
            }
            (Some(_), Some(_)) => {}
        }
    }
}

fn compare_tables(before: &Table, now: &Table, schema: &Schema, out: &mut Vec<Difference>) {
    let t = &now.name;
    if !before.open_columns && !now.open_columns {
        for c in now.columns.iter() {
            match before.column(&c.name) {
                None => out.push(diff(format!(
                    "column {t}.{} is still present after the downgrade",
                    c.name
                ))),
                Some(b) => {
                    if !same_type(&b.data_type, &c.data_type) {
                        out.push(diff(format!(
                            "column {t}.{} has type {} after the downgrade, {} before",
                            c.name, c.data_type, b.data_type
                        )));
                    }
                    if b.nullable != c.nullable {
                        out.push(diff(format!(
                            "column {t}.{} is {} after the downgrade, {} before",
                            c.name,
                            nullability(c.nullable),
                            nullability(b.nullable)
                        )));
                    }
                    if b.has_default != c.has_default {
                        out.push(diff(format!(
                            "column {t}.{} {} after the downgrade, {} before",
                            c.name,
                            if c.has_default {
                                "has a default"
                            } else {
                                "has no default"
                            },
                            if b.has_default { "had one" } else { "had none" }
                        )));
                    }
                }
            }
        }
        for b in before.columns.iter() {
            if now.column(&b.name).is_none() {
                out.push(diff(format!(
                    "column {t}.{} is missing after the downgrade",
                    b.name
                )));
            }
        }
    }
    if before.open_constraints || now.open_constraints || before.open_columns || now.open_columns {
        return;
    }
    // A foreign key whose target is gone was dropped by a CASCADE the model
    // does not follow; leave it out.
    let relevant = |c: &&Constraint| {
        c.references
            .as_ref()
            .is_none_or(|target| schema.contains(ObjectKind::Table, target))
    };
    // PostgreSQL and MySQL show constraint names (SQLite keeps them in the
    // table's text only): a constraint the statement named and one the
    // server named are the same only if the server could have chosen that
    // name (the model's choice, up to the number added on a collision).
    let names_shown = matches!(schema.dialect(), Dialect::Postgres | Dialect::MySql);
    let same = |a: &Constraint, b: &Constraint| {
        if a.generated_name && b.generated_name {
            a.kind == b.kind && a.columns == b.columns
        } else if a.generated_name || b.generated_name {
            let (given, generated) = if a.generated_name { (b, a) } else { (a, b) };
            a.kind == b.kind
                && a.columns == b.columns
                && (!names_shown || may_be_generated(&given.name, Some(&generated.name)))
        } else {
            a.name == b.name
        }
    };
    for c in now.constraints.iter().filter(relevant) {
        if !before.constraints.iter().any(|b| same(b, c)) {
            out.push(diff(format!(
                "constraint {} on {t} is still present after the downgrade",
                c.name
            )));
        }
    }
    for b in before.constraints.iter().filter(relevant) {
        match now.constraints.iter().find(|c| same(b, c)) {
            None => out.push(diff(format!(
                "constraint {} on {t} is missing after the downgrade",
                b.name
            ))),
            // A foreign key's actions, where both sides know them.
            Some(c) => {
                if let (Some(ba), Some(ca)) = (&b.actions, &c.actions) {
                    if ba != ca {
                        out.push(diff(format!(
                            "foreign key {} on {t} has {} after the downgrade, {} before",
                            b.name,
                            show_actions(ca),
                            show_actions(ba)
                        )));
                    }
                }
            }
        }
    }
}

/// Whether an object present before the upgrade and after the downgrade
/// has an attribute the downgrade check cannot compare: a foreign key's
/// actions, an index's method or its `WHERE`, not known on one side.
fn unsure_attributes(before: Option<&Object>, now: Option<&Object>) -> bool {
    use IndexPredicate::*;
    match (before, now) {
        (Some(Object::Index(b)), Some(Object::Index(n))) => {
            b.method.is_none()
                || n.method.is_none()
                || !matches!(
                    (&b.predicate, &n.predicate),
                    (Whole, Whole | Where(_) | Partial)
                        | (Where(_) | Partial, Whole)
                        | (Where(_), Where(_))
                )
        }
        // A foreign key known on one side only is the one the model could
        // not compare (both unknown: the history never showed them, and a
        // downgrade that changes them is one the model cannot follow).
        (Some(Object::Table(b)), Some(Object::Table(n))) => b.constraints.iter().any(|bc| {
            bc.kind == ConstraintKind::ForeignKey
                && n.constraints.iter().any(|nc| {
                    nc.kind == ConstraintKind::ForeignKey
                        && nc.name == bc.name
                        && bc.actions.is_some() != nc.actions.is_some()
                })
        }),
        _ => false,
    }
}

fn show_actions(a: &ForeignKeyActions) -> String {
    format!("on delete {}, on update {}", a.on_delete, a.on_update)
}

/// How an index's `WHERE` after the downgrade differs from the one before,
/// where both are known well enough to say.
fn predicate_difference(before: &IndexPredicate, now: &IndexPredicate) -> Option<String> {
    use IndexPredicate::*;
    let show = |p: &IndexPredicate| match p {
        Whole => "no WHERE".to_string(),
        Where(text) => format!("WHERE {text}"),
        Partial | Unknown => "a WHERE".to_string(),
    };
    let differs = match (before, now) {
        (Unknown, _) | (_, Unknown) => false,
        (Whole, Whole) => false,
        (Whole, _) | (_, Whole) => true,
        (Where(a), Where(b)) => a != b,
        _ => false,
    };
    differs.then(|| format!("{} after the downgrade, {} before", show(now), show(before)))
}

/// Unlimited varchar and text behave alike; a downgrade that swaps them is
/// not worth failing a build over.
fn same_type(a: &str, b: &str) -> bool {
    // A serial column's type is the integer under it.
    let canon = |t: &str| {
        if t == "character varying" {
            "text".to_string()
        } else {
            super::serial_base(t).unwrap_or(t).to_string()
        }
    };
    canon(a) == canon(b)
}

fn nullability(nullable: bool) -> &'static str {
    if nullable {
        "nullable"
    } else {
        "NOT NULL"
    }
}

fn diff(message: String) -> Difference {
    Difference { message }
}
