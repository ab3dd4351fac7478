//! PostgreSQL's parts of a generated revision that the rest of the
//! generator does not write: schemas (namespaces) and extensions.

use std::collections::BTreeSet;

use super::{literal, reviewed, step, Changes, Dialect, Name};

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
        let new_schemas: Vec<&str> = self
            .to
            .schemas
            .iter()
            .filter(|s| !self.from.schemas.contains(*s))
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
            .filter(|s| !self.to.schemas.contains(*s))
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
}
