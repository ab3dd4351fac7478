//! The model as a person or a tool reads it (`cargo migrate lint
//! --explain-model <revision>`): every object with its parts, the
//! uncertain ones marked with the statement that made them so.

use serde_json::{json, Value};

use super::{ConstraintKind, IndexPredicate, Object, ObjectKey, Schema, Table};

fn constraint_kind(kind: ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique",
        ConstraintKind::ForeignKey => "foreign key",
        ConstraintKind::Check => "check",
        ConstraintKind::Other => "other",
    }
}

use super::CompactString;

fn index_columns(columns: &[Option<CompactString>]) -> Vec<String> {
    columns
        .iter()
        .map(|c| c.as_deref().unwrap_or("<expression>").to_string())
        .collect()
}

impl Schema {
    /// The model as text: one object a line, sorted by kind then name, a
    /// table's columns and constraints indented under it (a foreign key
    /// with its actions; an index with its method and `WHERE`; a part the
    /// model does not know is marked so); an uncertain object ends with
    /// `[uncertain: <statement>]`.
    pub fn explain_text(&self) -> String {
        let mut out = String::new();
        let objects = self.objects();
        let uncertain = objects.iter().filter(|(k, _)| self.is_uncertain(k)).count();
        out.push_str(&format!(
            "schema model ({}): {} object(s), {} uncertain\n",
            self.dialect().name(),
            objects.len(),
            uncertain
        ));
        if let Some(cause) = &self.opened_by {
            out.push_str(&format!(
                "open since {cause}: an object the model does not list may exist\n"
            ));
        }
        for (k, object) in objects {
            out.push_str(&self.object_line(k, object));
            if let Some(cause) = self.uncertain_cause(k) {
                out.push_str(&format!("  [uncertain: {cause}]"));
            }
            out.push('\n');
            if let Object::Table(table) = object {
                table_lines(table, &mut out);
            }
        }
        out
    }

    fn object_line(&self, k: &ObjectKey, object: &Object) -> String {
        match object {
            Object::Table(_) => format!("table {}", k.name),
            Object::Index(index) => format!(
                "{}index {} on {} using {} ({}){}{}",
                if index.unique { "unique " } else { "" },
                k.name,
                index.table,
                index.method.as_deref().unwrap_or("<method not known>"),
                index_columns(&index.columns).join(", "),
                match &index.predicate {
                    IndexPredicate::Whole => String::new(),
                    IndexPredicate::Where(text) => format!(" where {text}"),
                    IndexPredicate::Partial => " where <condition not known>".to_string(),
                    IndexPredicate::Unknown => " [where: not known]".to_string(),
                },
                if index.implicit {
                    " [made by the server for a foreign key]"
                } else {
                    ""
                }
            ),
            Object::View(view) => {
                let reads: Vec<String> = view.depends_on.iter().map(|n| n.to_string()).collect();
                format!(
                    "{}view {}{}",
                    if view.materialized {
                        "materialized "
                    } else {
                        ""
                    },
                    k.name,
                    if reads.is_empty() {
                        String::new()
                    } else {
                        format!(" reads {}", reads.join(", "))
                    }
                )
            }
            Object::Sequence(sequence) => match &sequence.owned_by {
                Some((table, column)) => format!("sequence {} owned by {table}.{column}", k.name),
                None => format!("sequence {}", k.name),
            },
            Object::Type(def) if def.labels.is_empty() => format!("type {}", k.name),
            Object::Type(def) => format!("type {} enum ({})", k.name, def.labels.join(", ")),
            Object::Extension(_) => format!("extension {}", k.name),
            Object::Function(function) => match &function.signatures {
                Some(signatures) => format!(
                    "function {}",
                    signatures
                        .iter()
                        .map(|s| format!("{}({s})", k.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!("function {} (overloads not known)", k.name),
            },
            Object::Trigger(trigger) => format!(
                "trigger {} on {}{}",
                k.name,
                trigger.table,
                trigger
                    .function
                    .as_ref()
                    .map(|f| format!(" runs {f}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The model as JSON: `{"dialect", "open_since", "objects": [...]}`,
    /// each object with its `kind`, `name`, `uncertain` (the statement that
    /// made it so, or null) and its parts.
    pub fn explain_json(&self) -> Value {
        let objects: Vec<Value> = self
            .objects()
            .into_iter()
            .map(|(k, object)| {
                let mut value = match object {
                    Object::Table(table) => json!({
                        "columns": table.columns.iter().map(|c| json!({
                            "name": c.name,
                            "type": c.data_type,
                            "nullable": c.nullable,
                            "default": c.has_default,
                        })).collect::<Vec<_>>(),
                        "columns_known": !table.open_columns,
                        "constraints": table.constraints.iter().map(|c| json!({
                            "name": c.name,
                            "name_generated": c.generated_name,
                            "kind": constraint_kind(c.kind),
                            "columns": c.columns,
                            "references": c.references.as_ref().map(|r| r.to_string()),
                            "actions": c.actions.as_ref().map(|a| json!({
                                "on_delete": a.on_delete,
                                "on_update": a.on_update,
                            })),
                        })).collect::<Vec<_>>(),
                        "constraints_known": !table.open_constraints,
                    }),
                    Object::Index(index) => json!({
                        "table": index.table.to_string(),
                        "columns": index.columns,
                        "unique": index.unique,
                        "constraint": index.constraint,
                        "implicit": index.implicit,
                        "method": index.method,
                        "predicate": match &index.predicate {
                            IndexPredicate::Whole => json!({ "known": true, "where": null }),
                            IndexPredicate::Where(text) => json!({ "known": true, "where": text }),
                            IndexPredicate::Partial => json!({ "known": false, "where": true }),
                            IndexPredicate::Unknown => json!({ "known": false, "where": null }),
                        },
                    }),
                    Object::View(view) => json!({
                        "materialized": view.materialized,
                        "reads": view.depends_on.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
                    }),
                    Object::Sequence(sequence) => json!({
                        "owned_by": sequence.owned_by.as_ref().map(|(t, c)| format!("{t}.{c}")),
                    }),
                    Object::Type(def) => json!({ "labels": def.labels }),
                    Object::Extension(_) => json!({}),
                    Object::Function(function) => json!({ "signatures": function.signatures }),
                    Object::Trigger(trigger) => json!({
                        "table": trigger.table.to_string(),
                        "function": trigger.function.as_ref().map(|f| f.to_string()),
                    }),
                };
                if let Value::Object(map) = &mut value {
                    map.insert("kind".to_string(), json!(k.kind.noun()));
                    map.insert("name".to_string(), json!(k.name.to_string()));
                    map.insert("uncertain".to_string(), json!(self.uncertain_cause(k)));
                }
                value
            })
            .collect();
        json!({
            "dialect": self.dialect().name(),
            "open_since": self.opened_by.as_deref(),
            "objects": objects,
        })
    }
}

fn table_lines(table: &Table, out: &mut String) {
    if table.open_columns {
        out.push_str("  columns: as last known, may differ\n");
    }
    for c in table.columns.iter() {
        out.push_str(&format!(
            "  column {} {}{}{}\n",
            c.name,
            c.data_type,
            if c.nullable { "" } else { " not null" },
            if c.has_default { " default" } else { "" }
        ));
    }
    if table.open_constraints {
        out.push_str("  constraints: as last known, may differ\n");
    }
    for c in &table.constraints {
        let columns = if c.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.columns.join(", "))
        };
        let references = c
            .references
            .as_ref()
            .map(|r| format!(" references {r}"))
            .unwrap_or_default();
        let name = if c.name.is_empty() {
            "(unnamed)".to_string()
        } else {
            c.name.to_string()
        };
        let actions = match (&c.actions, c.kind) {
            (Some(a), _) => format!(" on delete {} on update {}", a.on_delete, a.on_update),
            (None, ConstraintKind::ForeignKey) => " [actions not known]".to_string(),
            (None, _) => String::new(),
        };
        out.push_str(&format!(
            "  constraint {name} {}{columns}{references}{actions}{}\n",
            constraint_kind(c.kind),
            if c.generated_name {
                " (name the server makes)"
            } else {
                ""
            }
        ));
    }
}

/// The model after revision `id` as the linter holds it there: the upgrade
/// of every revision of `revisions` (in plan order) up to and including
/// `id`. `None` when no revision has that id.
pub fn model_after(
    dialect: super::Dialect,
    revisions: &[crate::CompiledRevision],
    id: &str,
) -> Option<Schema> {
    let last = revisions.iter().position(|r| r.id == id)?;
    Some(model_of(dialect, &revisions[..=last], |_| true))
}

/// The model of a database whose applied revisions are those `applied`
/// accepts, replayed from a plan's statement texts (an application's
/// embedded plan, which carries no syntax trees): each statement is split
/// and parsed again, as the compiler did, and applied as [`model_of`]
/// applies the compiled ones. A statement that does not read again as one
/// statement (it needed `-- migrate:unchecked`, whose marker the plan does
/// not carry) is applied as an unchecked one: what it may touch becomes
/// unknown, never guessed.
pub fn model_of_plan(
    dialect: super::Dialect,
    plan: &migrate_core::plan::Plan,
    applied: impl Fn(&str) -> bool,
) -> Schema {
    let mut schema = Schema::new(dialect);
    for revision in plan.revisions().iter().filter(|r| applied(r.id())) {
        schema.set_origin(revision.id());
        for statement in revision.upgrade().iter().flat_map(|s| s.statements()) {
            let mut text = statement.sql().to_string();
            text.push_str(";\n");
            let compiled = reparse(&text, dialect);
            schema.apply(&compiled, &text);
        }
    }
    schema
}

/// One statement text of a plan as the compiler would have compiled it;
/// `CheckedBy::Unchecked` when it does not read again as one statement.
fn reparse(text: &str, dialect: super::Dialect) -> crate::CompiledStatement {
    let end = text.len().saturating_sub(2);
    let unchecked = crate::CompiledStatement {
        span: 0..end,
        line: 1,
        column: 1,
        leading_comments: Vec::new(),
        ast: None,
        checked_by: crate::CheckedBy::Unchecked,
    };
    let Ok(mut statements) = crate::split::split_sql(text, dialect) else {
        return unchecked;
    };
    if statements.len() != 1 {
        return unchecked;
    }
    let mut statement = statements.remove(0);
    match crate::parse::parse_statement(std::path::Path::new(""), text, &mut statement, dialect) {
        Ok(parsed) => crate::CompiledStatement {
            span: statement.span,
            line: statement.line,
            column: statement.column,
            leading_comments: Vec::new(),
            ast: parsed.ast,
            checked_by: parsed.checked_by,
        },
        Err(_) => unchecked,
    }
}

/// The model of a database whose applied revisions are those `applied`
/// accepts: the upgrade of each of them replayed in plan order (the order
/// of `revisions`), the others skipped. With every revision applied, it is
/// the model at the heads.
pub fn model_of(
    dialect: super::Dialect,
    revisions: &[crate::CompiledRevision],
    applied: impl Fn(&str) -> bool,
) -> Schema {
    let mut schema = Schema::new(dialect);
    for revision in revisions.iter().filter(|r| applied(&r.id)) {
        schema.set_origin(&revision.id);
        for statement in revision.upgrade.iter().flat_map(|s| &s.statements) {
            schema.apply(statement, &revision.source);
        }
    }
    schema
}
