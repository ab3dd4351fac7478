//! The normal form model and catalog are compared in, and the comparison.

use std::collections::{BTreeMap, BTreeSet};

use migrate_build::schema::{
    Column, ConstraintKind, Dialect, ForeignKeyActions, IndexPredicate, Object, ObjectKey, Schema,
    Table, TypeDef, TypeKind,
};

use crate::{Catalog, Declared};

/// A type's text in one normal form for both sides: PostgreSQL's aliases
/// unified (`int4`, `serial` and `integer` are one), `without time zone`
/// dropped, spaces squeezed.
pub fn normal_type(text: &str) -> String {
    let text = text.to_lowercase().replace(" without time zone", "");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (base, rest) = match text.find(['(', '[']) {
        Some(i) => (text[..i].trim().to_string(), text[i..].to_string()),
        None => (text.clone(), String::new()),
    };
    let base = match base.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer",
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint",
        "bool" | "boolean" => "boolean",
        "varchar" | "character varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "float8" | "double precision" | "double" | "float" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timetz" | "time with time zone" => "time with time zone",
        other => other,
    }
    .to_string();
    // `char` alone is `character(1)`.
    if base == "character" && rest.is_empty() {
        return "character(1)".to_string();
    }
    format!("{base}{}", rest.replace(" (", "("))
}

/// A composite type's attributes (`AS (a INT, "B" text[])`) as names and
/// [`normal_type`]s; `None` when a part is not of that form (a `COLLATE`,
/// a quoted name with a space).
fn attributes(definition: &str) -> Option<Vec<(String, String)>> {
    let inner = definition
        .trim()
        .strip_prefix("AS")?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(|part| {
            let (name, ty) = part.trim().split_once(char::is_whitespace)?;
            if ty.to_ascii_lowercase().contains("collate") {
                return None;
            }
            let name = match name.strip_prefix('"') {
                Some(quoted) => quoted.strip_suffix('"')?.replace("\"\"", "\""),
                None => name.to_lowercase(),
            };
            Some((name, normal_type(ty)))
        })
        .collect()
}

/// A column default in the form both sides are compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultForm {
    /// No default (or `DEFAULT NULL`, which is the same).
    None,
    /// A simple value: a number (printed as a float prints it), a quoted
    /// string, `1` / `0` for true and false, `current_timestamp`.
    Value(String),
    /// An expression this form does not read (a function call, an
    /// arithmetic): not compared, since the server reprints it its own way.
    Opaque,
}

/// The index of the last `::` outside quotes in `text`.
fn last_cast(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut quoted = false;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b':' if !quoted && bytes.get(i + 1) == Some(&b':') => {
                found = Some(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Strips parentheses around the whole of `text`.
fn strip_parens(mut text: &str) -> &str {
    loop {
        text = text.trim();
        let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
            return text;
        };
        // `(a) + (b)` is not wrapped: the first `(` must close at the end.
        let mut depth = 0usize;
        let mut quoted = false;
        for (i, c) in text.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => {
                    depth -= 1;
                    if depth == 0 && i + 1 != text.len() {
                        return text;
                    }
                }
                _ => {}
            }
        }
        text = inner;
    }
}

/// A default's text (the model's as sqlparser prints it, or the server's:
/// `pg_get_expr`, `information_schema.columns.column_default`, SQLite's
/// `dflt_value`) in the form [`compare`] compares: PostgreSQL's casts
/// (`'draft'::character varying`) and outer parentheses removed, numbers
/// by value, `true`/`false` as `1`/`0` (MySQL keeps booleans as
/// integers), `now()` and `CURRENT_TIMESTAMP` as one; anything else is
/// [`DefaultForm::Opaque`].
pub fn normal_default(text: Option<&str>) -> DefaultForm {
    let Some(text) = text else {
        return DefaultForm::None;
    };
    let mut text = strip_parens(text);
    while let Some(at) = last_cast(text) {
        let suffix = &text[at + 2..];
        let is_type = !suffix.is_empty()
            && suffix.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, ' ' | '_' | '(' | ')' | ',' | '"' | '[' | ']')
            });
        if !is_type {
            break;
        }
        text = strip_parens(&text[..at]);
    }
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        if !inner.replace("''", "").contains('\'') {
            return match number(inner) {
                Some(value) => DefaultForm::Value(value),
                None => DefaultForm::Value(text.to_string()),
            };
        }
        return DefaultForm::Opaque;
    }
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "null" => DefaultForm::None,
        "true" => DefaultForm::Value("1".to_string()),
        "false" => DefaultForm::Value("0".to_string()),
        "now()" | "current_timestamp" | "current_timestamp()" => {
            DefaultForm::Value("current_timestamp".to_string())
        }
        _ => match number(&lower) {
            Some(value) => DefaultForm::Value(value),
            None => DefaultForm::Opaque,
        },
    }
}

/// A default's form for the comparison: [`normal_default`]'s, with a
/// quoted string on a column that is not text as [`DefaultForm::Opaque`]:
/// the server reads it as a value of the column's type and prints it back
/// its own way (`'f'` as `false`, `'epoch'` as a timestamp).
fn default_form(column_type: &str, text: Option<&str>) -> DefaultForm {
    let textual = {
        let t = normal_type(column_type);
        t.contains("char") || t.contains("text") || t.contains("clob")
    };
    match normal_default(text) {
        DefaultForm::Value(v) if v.starts_with('\'') && !textual => DefaultForm::Opaque,
        other => other,
    }
}

/// Whether a default is an expression the server prints its own way,
/// compared exactly once the server has printed the model's too
/// ([`texts_to_compare`]): one [`default_form`] cannot read, and
/// `current_timestamp` with its variants (`now()` and `CURRENT_TIMESTAMP`
/// are one value but print differently).
fn default_is_expression(column_type: &str, text: &str) -> bool {
    match default_form(column_type, Some(text)) {
        DefaultForm::Opaque => true,
        DefaultForm::Value(v) => v == "current_timestamp",
        DefaultForm::None => false,
    }
}

/// The expression of a generated column's clause (`GENERATED ALWAYS AS
/// (a + 1) STORED`, `AS (a + 1) VIRTUAL`): what the parentheses after `AS`
/// hold; `None` for an identity or auto-increment clause.
pub fn generation_expression(clause: &str) -> Option<&str> {
    let upper = clause.to_ascii_uppercase();
    let mut from = 0;
    let open = loop {
        let at = from + upper[from..].find("AS")?;
        let before = upper[..at].chars().next_back();
        let rest = clause[at + 2..].trim_start();
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') && rest.starts_with('(') {
            break clause.len() - rest.len();
        }
        from = at + 2;
    };
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in clause[open..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(clause[open + 1..open + i].trim());
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` as a number, printed one way (`0`, `0.0` and `0.00` agree).
fn number(text: &str) -> Option<String> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        || digits.chars().filter(|c| *c == '.').count() > 1
    {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    Some(format!("{value}"))
}

/// One difference between the model and the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mismatch {
    /// The object, e.g. `table posts`.
    pub object: String,
    /// What differs (`column body: in the database, not in the model`).
    pub detail: String,
}

/// Something the comparison could not judge, with why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unknown {
    /// The object, e.g. `table posts`.
    pub object: String,
    /// Why the model cannot say what it should be (the statement that made
    /// it uncertain, or the model being open).
    pub reason: String,
}

/// What a comparison found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Objects compared (present on either side, certain in the model).
    pub compared: usize,
    /// Objects (or parts of tables) the model does not know for sure: not
    /// compared, never reported as a difference.
    pub unknown: Vec<Unknown>,
    /// The differences, sorted.
    pub mismatches: Vec<Mismatch>,
    /// The texts compared exactly ([`compare_texts`]).
    pub texts: Texts,
}

/// How many texts of each kind a comparison compared exactly, in the
/// server's own print on both sides.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Texts {
    /// Check constraints (`pg_get_constraintdef`).
    pub checks: usize,
    /// Indexes with an expression among their columns (`pg_get_indexdef`).
    pub index_expressions: usize,
    /// Views and materialized views (`pg_get_viewdef`).
    pub views: usize,
    /// Column defaults that are expressions, not plain values
    /// (`pg_get_expr`, `information_schema.columns.column_default`).
    pub defaults: usize,
    /// Generation expressions of generated columns.
    pub generated: usize,
}

impl Texts {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: Texts) {
        self.checks += other.checks;
        self.index_expressions += other.index_expressions;
        self.views += other.views;
        self.defaults += other.defaults;
        self.generated += other.generated;
    }
}

impl Comparison {
    /// True when model and catalog agree on everything compared.
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Which parts a dialect's catalog can be compared on.
#[derive(Debug, Clone, Copy)]
pub struct Compare {
    /// Compare constraint names (PostgreSQL and MariaDB name them; SQLite does not).
    pub constraint_names: bool,
    /// Compare column types.
    pub types: bool,
    /// Compare the nullability of primary key columns (SQLite lets them
    /// hold NULL unless declared NOT NULL).
    pub key_nullability: bool,
    /// Compare column defaults (in [`normal_default`]'s form: a default
    /// it cannot read on either side is compared only for being there).
    pub defaults: bool,
    /// Compare unique constraints as constraints. MariaDB lists every
    /// unique index as a UNIQUE constraint, also one made by `CREATE UNIQUE
    /// INDEX`, which the model keeps as an index only: there a unique
    /// constraint is its index, compared as one (name, columns, uniqueness).
    pub unique_constraints: bool,
    /// A foreign key's `NO ACTION` is `RESTRICT` (MySQL and MariaDB).
    pub no_action_is_restrict: bool,
}

impl Compare {
    /// What `dialect`'s catalog supports (the generic dialect is read as
    /// PostgreSQL).
    pub fn for_dialect(dialect: Dialect) -> Compare {
        match dialect {
            Dialect::Postgres | Dialect::Generic => Compare {
                constraint_names: true,
                types: true,
                key_nullability: true,
                defaults: true,
                unique_constraints: true,
                no_action_is_restrict: false,
            },
            Dialect::MySql => Compare {
                constraint_names: true,
                types: false,
                key_nullability: true,
                defaults: true,
                unique_constraints: false,
                no_action_is_restrict: true,
            },
            Dialect::Sqlite => Compare {
                constraint_names: false,
                types: false,
                key_nullability: false,
                defaults: true,
                unique_constraints: true,
                no_action_is_restrict: false,
            },
        }
    }
}

/// Compares the model with the catalog, object by object. Objects the model
/// marks uncertain are listed as unknown, not compared; so are the columns
/// and constraints of a table the model marks open, and, while the model is
/// open, objects of the database it does not know.
pub fn compare(model: &Schema, catalog: &Catalog, how: Compare) -> Comparison {
    let mut out = Comparison::default();
    let mut keys: BTreeSet<&ObjectKey> = catalog.keys().collect();
    let model_objects = model.objects();
    keys.extend(model_objects.iter().map(|(k, _)| *k));
    for k in keys {
        let label = format!("{} {}", k.kind.noun(), k.name);
        if let Some(cause) = model.uncertain_cause(k) {
            out.unknown.push(Unknown {
                object: label,
                reason: format!("the history may have changed it: {cause}"),
            });
            continue;
        }
        out.compared += 1;
        let mut misses = Vec::new();
        let mut miss = |detail: String| misses.push(detail);
        match (model.object(k), catalog.get(k)) {
            (None, None) => {}
            (Some(_), None) => miss("in the model, not in the database".to_string()),
            (None, Some(_)) => {
                if let Some(cause) = model.opened_by() {
                    out.compared -= 1;
                    out.unknown.push(Unknown {
                        object: label.clone(),
                        reason: format!(
                            "in the database, not in the model, which cannot list every object since {cause}"
                        ),
                    });
                } else {
                    miss("in the database, not in the model".to_string())
                }
            }
            (Some(Object::Table(m)), Some(Object::Table(c))) => {
                if m.open_columns {
                    out.unknown.push(Unknown {
                        object: label.clone(),
                        reason: "its columns are not known to the model".to_string(),
                    });
                }
                if m.open_constraints {
                    out.unknown.push(Unknown {
                        object: label.clone(),
                        reason: "its constraints are not known to the model".to_string(),
                    });
                }
                compare_table(m, c, how, &mut miss)
            }
            (Some(Object::Index(m)), Some(Object::Index(c))) => {
                let expressions = m.columns.iter().chain(&c.columns).any(Option::is_none);
                if m.table != c.table {
                    miss(format!(
                        "on {} in the model, {} in the database",
                        m.table, c.table
                    ));
                }
                if m.unique != c.unique {
                    miss(format!(
                        "unique {} in the model, {} in the database",
                        m.unique, c.unique
                    ));
                }
                if !expressions && m.columns != c.columns {
                    miss(format!(
                        "columns {:?} in the model, {:?} in the database",
                        m.columns, c.columns
                    ));
                }
                if let (Some(mm), Some(cm)) = (&m.method, &c.method) {
                    if mm != cm {
                        miss(format!("method {mm} in the model, {cm} in the database"));
                    }
                }
                if let Some(detail) = predicate_difference(&m.predicate, &c.predicate) {
                    miss(detail);
                }
            }
            (Some(Object::View(m)), Some(Object::View(c))) => {
                if m.materialized != c.materialized {
                    miss(format!(
                        "materialized {} in the model, {} in the database",
                        m.materialized, c.materialized
                    ));
                }
                if m.comment != c.comment {
                    miss(format!(
                        "comment {} in the model, {} in the database",
                        show_comment(m.comment.as_ref()),
                        show_comment(c.comment.as_ref())
                    ));
                }
            }
            (Some(Object::Sequence(m)), Some(Object::Sequence(c))) => {
                if m.owned_by != c.owned_by {
                    miss(format!(
                        "owned by {:?} in the model, {:?} in the database",
                        m.owned_by, c.owned_by
                    ));
                }
                if let (Some(mo), Some(co)) = (&m.options, &c.options) {
                    if mo != co {
                        miss(format!(
                            "options `{}` in the model, `{}` in the database",
                            co.clauses_to(mo),
                            mo.clauses_to(co)
                        ));
                    }
                }
            }
            (Some(Object::Type(m)), Some(Object::Type(c))) => {
                let kind = |t: &TypeDef| match t.kind {
                    TypeKind::Enum => "an enum",
                    TypeKind::Domain(_) => "a domain",
                    TypeKind::Composite(_) => "a composite type",
                    TypeKind::Other => "a range or base type",
                };
                if kind(m) != kind(c) {
                    miss(format!(
                        "{} in the model, {} in the database",
                        kind(m),
                        kind(c)
                    ));
                }
                if let (Some(mb), Some(cb)) = (&m.base, &c.base) {
                    // `public` is on the search path: `format_type` leaves
                    // it out.
                    let normal = |t: &str| normal_type(t.strip_prefix("public.").unwrap_or(t));
                    if normal(mb) != normal(cb) {
                        miss(format!("base type {mb} in the model, {cb} in the database"));
                    }
                }
                if let (TypeKind::Composite(Some(ma)), TypeKind::Composite(Some(ca))) =
                    (&m.kind, &c.kind)
                {
                    if let (Some(ma), Some(ca)) = (attributes(ma), attributes(ca)) {
                        let show = |v: &[(String, String)]| {
                            let parts: Vec<String> =
                                v.iter().map(|(n, t)| format!("{n} {t}")).collect();
                            parts.join(", ")
                        };
                        if ma != ca {
                            miss(format!(
                                "attributes ({}) in the model, ({}) in the database",
                                show(&ma),
                                show(&ca)
                            ));
                        }
                    }
                }
                if !m.labels.is_empty() && m.labels != c.labels {
                    miss(format!(
                        "labels {:?} in the model, {:?} in the database",
                        m.labels, c.labels
                    ));
                }
            }
            (Some(Object::Extension(_)), Some(Object::Extension(_))) => {}
            (Some(Object::Function(m)), Some(Object::Function(c))) => {
                if let (Some(ms), Some(cs)) = (&m.signatures, &c.signatures) {
                    if ms != cs {
                        miss(format!(
                            "overloads {ms:?} in the model, {cs:?} in the database"
                        ));
                    }
                }
                // A body is kept as written (`prosrc`): compared exactly.
                for (signature, md) in &m.definitions {
                    let cd = c.definitions.get(signature);
                    if let (Some(mb), Some(cb)) = (&md.body, cd.and_then(|d| d.body.as_ref())) {
                        if mb != cb {
                            miss(format!(
                                "the body of {}({signature}) differs from the model's",
                                m.name
                            ));
                        }
                    }
                }
            }
            (Some(Object::Trigger(m)), Some(Object::Trigger(c))) => {
                if m.table != c.table {
                    miss(format!(
                        "on {} in the model, {} in the database",
                        m.table, c.table
                    ));
                }
            }
            (Some(_), Some(_)) => miss("a different kind of object".to_string()),
        }
        out.mismatches
            .extend(misses.into_iter().map(|detail| Mismatch {
                object: label.clone(),
                detail,
            }));
    }
    out.mismatches.sort();
    out.unknown.sort();
    out
}

/// A text of the model to compare with the database's text of the same
/// object, once the server has printed it its own way ([`crate::reprint`]).
#[derive(Debug, Clone)]
pub struct TextToCompare {
    /// The object, e.g. `table posts`.
    pub object: String,
    /// What of it (`check constraint posts_title_check: `), or empty.
    pub part: String,
    /// The model's text.
    pub declared: Declared,
    /// The database's text of it, as its catalog reader gives it.
    pub server: String,
}

/// The texts of `model` that `catalog` holds too, to be printed by the
/// server ([`crate::reprint`]) and compared ([`compare_texts`]): the check
/// constraints of tables whose constraints the model knows (by name), the
/// indexes with an expression among their columns, and the views; those
/// whose text the model does not know, or marks unsure
/// ([`Schema::text_unsure`]), are returned as unknown. Uncertain
/// objects are left out (the comparison lists them as unknown already).
pub fn texts_to_compare(model: &Schema, catalog: &Catalog) -> (Vec<TextToCompare>, Vec<Unknown>) {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for (k, object) in model.objects() {
        if model.uncertain_cause(k).is_some() {
            continue;
        }
        let object_label = format!("{} {}", k.kind.noun(), k.name);
        let mut push =
            |part: String, declared: Option<Declared>, unsure: bool, server: &str| match declared {
                Some(_) if unsure => unknown.push(Unknown {
                    object: object_label.clone(),
                    reason: format!(
                        "{part}the server rebuilt its text after a column it reads changed type, \
                         or follows a rename of what it names"
                    ),
                }),
                Some(declared) => out.push(TextToCompare {
                    object: object_label.clone(),
                    part,
                    declared,
                    server: server.to_string(),
                }),
                None => unknown.push(Unknown {
                    object: object_label.clone(),
                    reason: format!("{part}its text is not known to the model"),
                }),
            };
        match (object, catalog.get(k)) {
            (Object::Table(m), Some(Object::Table(c))) => {
                if !m.open_columns {
                    for mc in m.columns.iter() {
                        let Some(cc) = c.column(&mc.name) else {
                            continue;
                        };
                        let (Some(ms), Some(cs)) = (&mc.sql, &cc.sql) else {
                            continue;
                        };
                        let unsure = model.default_unsure(k, &mc.name);
                        let part = format!("column {}: ", mc.name);
                        if let (Some(mg), Some(cg)) = (&ms.generated, &cs.generated) {
                            let (Some(mg), Some(cg)) =
                                (generation_expression(mg), generation_expression(cg))
                            else {
                                continue;
                            };
                            let declared = Declared::Generated {
                                table: m.name.clone(),
                                column: mc.name.to_string(),
                                data_type: cc.data_type.to_string(),
                                definition: mg.to_string(),
                            };
                            push(part, Some(declared), unsure, cg);
                            continue;
                        }
                        let (Some(md), Some(cd)) = (&ms.default, &cs.default) else {
                            continue;
                        };
                        let expression = [md, cd]
                            .iter()
                            .any(|text| default_is_expression(&mc.data_type, text));
                        if ms.generated.is_none() && cs.generated.is_none() && expression {
                            let declared = Declared::Default {
                                table: m.name.clone(),
                                column: mc.name.to_string(),
                                definition: md.to_string(),
                            };
                            push(part, Some(declared), unsure, cd);
                        }
                    }
                }
                if m.open_constraints {
                    continue;
                }
                for mk in m
                    .constraints
                    .iter()
                    .filter(|k| k.kind == ConstraintKind::Check)
                {
                    let Some(server) = c
                        .constraints
                        .iter()
                        .find(|ck| ck.kind == ConstraintKind::Check && ck.name == mk.name)
                        .and_then(|ck| ck.definition.as_deref())
                    else {
                        continue;
                    };
                    let declared = mk.definition.clone().map(|definition| Declared::Check {
                        table: m.name.clone(),
                        definition: definition.into(),
                    });
                    let unsure = model.text_unsure(k, Some(&mk.name));
                    push(
                        format!("check constraint {}: ", mk.name),
                        declared,
                        unsure,
                        server,
                    );
                }
            }
            (Object::Index(m), Some(Object::Index(c)))
                if !m.constraint && m.columns.iter().any(Option::is_none) =>
            {
                let Some(server) = c.definition.as_deref() else {
                    continue;
                };
                let declared = m.definition.clone().map(|definition| Declared::Index {
                    table: m.table.clone(),
                    definition: definition.into(),
                });
                push(String::new(), declared, model.text_unsure(k, None), server);
            }
            (Object::View(m), Some(Object::View(c))) => {
                let Some(server) = c.definition.as_deref() else {
                    continue;
                };
                let declared = m.definition.clone().map(|definition| Declared::View {
                    reads: c.depends_on.iter().cloned().collect(),
                    definition,
                });
                push(String::new(), declared, false, server);
            }
            _ => {}
        }
    }
    (out, unknown)
}

/// Compares the server's print of the model's texts (`reprinted`, in the
/// order of `texts`, from [`crate::reprint`]) with the database's texts,
/// exactly, into `comparison`: a text that differs, or that the server
/// refuses, is a mismatch.
pub fn compare_texts(
    texts: &[TextToCompare],
    reprinted: &[Result<String, String>],
    comparison: &mut Comparison,
) {
    for (text, printed) in texts.iter().zip(reprinted) {
        match &text.declared {
            Declared::Check { .. } => comparison.texts.checks += 1,
            Declared::Index { .. } => comparison.texts.index_expressions += 1,
            Declared::View { .. } => comparison.texts.views += 1,
            Declared::Default { .. } => comparison.texts.defaults += 1,
            Declared::Generated { .. } => comparison.texts.generated += 1,
        }
        let model = text.declared.definition();
        let detail = match printed {
            Ok(printed) if *printed == text.server => continue,
            Ok(printed) => format!(
                "{}text `{}` in the model (`{model}` as the server prints it), `{}` in the database",
                text.part,
                squeeze(printed),
                squeeze(&text.server)
            ),
            Err(error) => format!(
                "{}the server refuses the model's text `{model}`: {error}",
                text.part
            ),
        };
        comparison.mismatches.push(Mismatch {
            object: text.object.clone(),
            detail,
        });
    }
    comparison.mismatches.sort();
}

/// `text` on one line (a view's print spans several).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A foreign key's actions as the comparison prints them; on MySQL and
/// MariaDB `no action` is `restrict` (InnoDB checks at once either way, and
/// MariaDB reports an undeclared action as `RESTRICT`, MySQL as `NO ACTION`).
fn normal_actions(actions: &ForeignKeyActions, how: Compare) -> String {
    let one = |a: &str| {
        if how.no_action_is_restrict && a == "no action" {
            "restrict".to_string()
        } else {
            a.to_string()
        }
    };
    format!(
        "on delete {}, on update {}",
        one(&actions.on_delete),
        one(&actions.on_update)
    )
}

/// How two `WHERE` clauses of an index differ, if they do as far as both
/// sides know.
fn predicate_difference(m: &IndexPredicate, c: &IndexPredicate) -> Option<String> {
    use IndexPredicate::*;
    let show = |p: &IndexPredicate| match p {
        Whole => "no WHERE".to_string(),
        Where(text) => format!("WHERE {text}"),
        Partial => "a WHERE".to_string(),
        Unknown => "unknown".to_string(),
    };
    let differs = match (m, c) {
        (Unknown, _) | (_, Unknown) => false,
        (Whole, Whole) => false,
        (Whole, _) | (_, Whole) => true,
        (Where(a), Where(b)) => a != b,
        _ => false,
    };
    differs.then(|| format!("{} in the model, {} in the database", show(m), show(c)))
}

fn kind_noun(kind: ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique constraint",
        ConstraintKind::ForeignKey => "foreign key",
        ConstraintKind::Check => "check constraint",
        ConstraintKind::Other => "constraint",
    }
}

fn show_default(form: &DefaultForm, text: Option<&str>) -> String {
    match form {
        DefaultForm::None => "none".to_string(),
        _ => text.unwrap_or("").trim().to_string(),
    }
}

fn show_comment(comment: Option<&String>) -> String {
    match comment {
        Some(text) => format!("'{}'", text.replace('\'', "''")),
        None => "none".to_string(),
    }
}

fn compare_default(mc: &Column, cc: &Column, miss: &mut dyn FnMut(String)) {
    let (Some(ms), Some(cs)) = (&mc.sql, &cc.sql) else {
        return;
    };
    // Serial, identity, generated and auto-increment columns: the server
    // states those its own way.
    if ms.generated.is_some() || cs.generated.is_some() || (mc.has_default && ms.default.is_none())
    {
        return;
    }
    // An expression is compared exactly, in the server's print on both
    // sides ([`texts_to_compare`]); here only for being there (and
    // `current_timestamp` by value: without the server's print, as
    // `check --drift` compares, `now()` and `CURRENT_TIMESTAMP` are one).
    let form = |text: Option<&str>| default_form(&mc.data_type, text);
    let (m, c) = (form(ms.default.as_deref()), form(cs.default.as_deref()));
    let differs = match (&m, &c) {
        (DefaultForm::Opaque, DefaultForm::None) | (DefaultForm::None, DefaultForm::Opaque) => true,
        (DefaultForm::Opaque, _) | (_, DefaultForm::Opaque) => false,
        (m, c) => m != c,
    };
    if differs {
        miss(format!(
            "column {}: default {} in the model, {} in the database",
            mc.name,
            show_default(&m, ms.default.as_deref()),
            show_default(&c, cs.default.as_deref())
        ));
    }
}

fn compare_table(m: &Table, c: &Table, how: Compare, miss: &mut dyn FnMut(String)) {
    if !m.open_columns {
        for mc in m.columns.iter() {
            if c.column(&mc.name).is_none() {
                miss(format!(
                    "column {}: in the model, not in the database",
                    mc.name
                ));
            }
        }
        for cc in c.columns.iter() {
            if m.column(&cc.name).is_none() {
                miss(format!(
                    "column {}: in the database, not in the model",
                    cc.name
                ));
            }
        }
        for mc in m.columns.iter() {
            let Some(cc) = c.column(&mc.name) else {
                continue;
            };
            let in_key = m
                .constraints
                .iter()
                .any(|k| k.kind == ConstraintKind::PrimaryKey && k.columns.contains(&mc.name));
            if mc.nullable != cc.nullable && (how.key_nullability || !in_key) {
                miss(format!(
                    "column {}: {} in the model, {} in the database",
                    mc.name,
                    if mc.nullable { "nullable" } else { "not null" },
                    if cc.nullable { "nullable" } else { "not null" },
                ));
            }
            if how.types && normal_type(&mc.data_type) != normal_type(&cc.data_type) {
                miss(format!(
                    "column {}: type {} in the model, {} in the database",
                    mc.name, mc.data_type, cc.data_type
                ));
            }
            if how.defaults {
                compare_default(mc, cc, miss);
            }
            let (a, b) = (
                m.column_comments.get(&mc.name),
                c.column_comments.get(&mc.name),
            );
            if a != b {
                miss(format!(
                    "column {}: comment {} in the model, {} in the database",
                    mc.name,
                    show_comment(a),
                    show_comment(b)
                ));
            }
        }
        if m.comment != c.comment {
            miss(format!(
                "comment {} in the model, {} in the database",
                show_comment(m.comment.as_ref()),
                show_comment(c.comment.as_ref())
            ));
        }
    }
    if !m.open_constraints && how.constraint_names {
        for mk in m
            .constraints
            .iter()
            .filter(|k| k.kind == ConstraintKind::ForeignKey)
        {
            let Some(ck) = c
                .constraints
                .iter()
                .find(|k| k.kind == ConstraintKind::ForeignKey && k.name == mk.name)
            else {
                continue;
            };
            if let (Some(ma), Some(ca)) = (&mk.actions, &ck.actions) {
                let (ma, ca) = (normal_actions(ma, how), normal_actions(ca, how));
                if ma != ca {
                    miss(format!(
                        "foreign key {}: {ma} in the model, {ca} in the database",
                        mk.name
                    ));
                }
            }
        }
    }
    if !m.open_constraints && !m.open_columns {
        // SQLite's foreign keys are told apart by target and actions, when
        // both sides know every foreign key's actions.
        let with_actions = [m, c].iter().all(|t| {
            t.constraints
                .iter()
                .all(|k| k.kind != ConstraintKind::ForeignKey || k.actions.is_some())
        });
        let shape = |t: &Table, names: bool| -> BTreeMap<String, usize> {
            let mut out = BTreeMap::new();
            for k in &t.constraints {
                if k.kind == ConstraintKind::Unique && !how.unique_constraints {
                    continue;
                }
                // SQLite keeps no name, and reports a foreign key by target only.
                let item = if names {
                    format!("{} {}", kind_noun(k.kind), k.name)
                } else if k.kind == ConstraintKind::ForeignKey {
                    let actions = match (&k.actions, with_actions) {
                        (Some(actions), true) => format!(" ({})", normal_actions(actions, how)),
                        _ => String::new(),
                    };
                    format!(
                        "{} to {}{actions}",
                        kind_noun(k.kind),
                        k.references
                            .as_ref()
                            .map(|r| r.to_string())
                            .unwrap_or_default()
                    )
                } else if k.kind == ConstraintKind::PrimaryKey {
                    format!("{} ({})", kind_noun(k.kind), k.columns.join(", "))
                } else {
                    continue;
                };
                *out.entry(item).or_default() += 1;
            }
            if !names {
                // Foreign keys: one per target.
                for count in out.values_mut() {
                    *count = 1;
                }
            }
            out
        };
        let (a, b) = (
            shape(m, how.constraint_names),
            shape(c, how.constraint_names),
        );
        for (item, count) in &a {
            if b.get(item).copied().unwrap_or(0) < *count {
                miss(format!("{item}: in the model, not in the database"));
            }
        }
        for (item, count) in &b {
            if a.get(item).copied().unwrap_or(0) < *count {
                miss(format!("{item}: in the database, not in the model"));
            }
        }
    }
}

/// How two catalogs differ, in the normal form the model is compared in:
/// columns by name with normal type, nullability and default; constraints
/// by kind, name, columns and foreign key actions, a check by its text;
/// indexes by table, columns (an expression index by its text),
/// uniqueness, method and `WHERE`; views by
/// their text; sequences with owner; enum labels
/// and a domain's base type.
pub fn catalog_differences(before: &Catalog, after: &Catalog) -> Vec<String> {
    fn parts(object: &Object) -> BTreeSet<String> {
        match object {
            Object::Table(t) => t
                .columns
                .iter()
                .map(|c| {
                    // Unlimited `varchar` and `text` are one type (as the
                    // model's downgrade check treats them).
                    let data_type = match normal_type(&c.data_type).as_str() {
                        "character varying" => "text".to_string(),
                        other => other.to_string(),
                    };
                    format!(
                        "column {} {} null={} default={}",
                        c.name, data_type, c.nullable, c.has_default
                    )
                })
                .chain(t.constraints.iter().map(|c| {
                    let actions = c
                        .actions
                        .as_ref()
                        .map(|a| format!(" (on delete {}, on update {})", a.on_delete, a.on_update))
                        .unwrap_or_default();
                    // A check's text, where the catalog reader gives it.
                    let text = match (&c.kind, &c.definition) {
                        (ConstraintKind::Check, Some(text)) => format!(" {text}"),
                        _ => String::new(),
                    };
                    format!(
                        "constraint {:?} {} {:?} {:?}{actions}{text}",
                        c.kind, c.name, c.columns, c.references
                    )
                }))
                .collect(),
            Object::Index(i) => {
                let mut out: BTreeSet<String> =
                    [format!("on {} unique={}", i.table, i.unique)].into();
                // Expression columns by the server's text of the index,
                // where the catalog reader gives it (only there: SQLite keeps
                // a plain column's `ASC` as written).
                if !i.columns.is_empty() && i.columns.iter().all(Option::is_some) {
                    out.insert(format!("columns {:?}", i.columns));
                } else if let Some(text) = &i.definition {
                    out.insert(format!("text {text}"));
                }
                if let Some(method) = &i.method {
                    out.insert(format!("using {method}"));
                }
                out.insert(format!("predicate {:?}", i.predicate));
                out
            }
            Object::View(v) => [
                format!("materialized={}", v.materialized),
                format!("text {:?}", v.definition),
            ]
            .into(),
            Object::Sequence(s) => [format!("owned by {:?}", s.owned_by)].into(),
            Object::Type(t) => [
                format!("labels {:?}", t.labels),
                format!("base type {:?}", t.base),
            ]
            .into(),
            Object::Extension(_) => BTreeSet::new(),
            Object::Function(f) => [format!("overloads {:?}", f.signatures)].into(),
            Object::Trigger(t) => [format!("on {}", t.table)].into(),
        }
    }
    let mut keys: BTreeSet<&ObjectKey> = before.keys().collect();
    keys.extend(after.keys());
    let mut out = Vec::new();
    for k in keys {
        let label = format!("{} {}", k.kind.noun(), k.name);
        match (before.get(k), after.get(k)) {
            (Some(_), None) => out.push(format!("{label} is missing after the downgrade")),
            (None, Some(_)) => out.push(format!("{label} is still present after the downgrade")),
            (Some(b), Some(a)) => {
                let (b, a) = (parts(b), parts(a));
                if a != b {
                    out.push(format!(
                        "{label}: {:?} after the downgrade, {:?} before",
                        a.difference(&b).collect::<Vec<_>>(),
                        b.difference(&a).collect::<Vec<_>>()
                    ));
                }
            }
            (None, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_normalise_across_servers() {
        let v = |s: &str| DefaultForm::Value(s.to_string());
        assert_eq!(
            normal_default(Some("'draft'::character varying")),
            v("'draft'")
        );
        assert_eq!(normal_default(Some("'draft'")), v("'draft'"));
        assert_eq!(normal_default(Some("'-1'::integer")), v("-1"));
        assert_eq!(normal_default(Some("-1")), v("-1"));
        assert_eq!(normal_default(Some("(0)")), v("0"));
        assert_eq!(normal_default(Some("0.00")), v("0"));
        assert_eq!(normal_default(Some("NULL")), DefaultForm::None);
        assert_eq!(
            normal_default(Some("NULL::character varying")),
            DefaultForm::None
        );
        assert_eq!(normal_default(None), DefaultForm::None);
        assert_eq!(normal_default(Some("TRUE")), v("1"));
        assert_eq!(normal_default(Some("now()")), v("current_timestamp"));
        assert_eq!(
            normal_default(Some("current_timestamp()")),
            v("current_timestamp")
        );
        assert_eq!(
            normal_default(Some("CURRENT_TIMESTAMP")),
            v("current_timestamp")
        );
        assert_eq!(normal_default(Some("lower('A')")), DefaultForm::Opaque);
        assert_eq!(normal_default(Some("(1) + (2)")), DefaultForm::Opaque);
        assert_eq!(normal_default(Some("'a::b'")), v("'a::b'"));
        assert_eq!(normal_default(Some("'it''s'::text")), v("'it''s'"));
    }

    #[test]
    fn generation_expressions_are_read_from_their_clause() {
        assert_eq!(
            generation_expression("GENERATED ALWAYS AS ((a * 2)) STORED"),
            Some("(a * 2)")
        );
        assert_eq!(
            generation_expression("AS (concat(`a`, ')')) VIRTUAL"),
            Some("concat(`a`, ')')")
        );
        assert_eq!(generation_expression("GENERATED ALWAYS AS IDENTITY"), None);
        assert_eq!(generation_expression("AUTO_INCREMENT"), None);
        assert!(default_is_expression("timestamp", "now()"));
        assert!(default_is_expression("boolean", "'f'"));
        assert!(!default_is_expression("text", "'f'"));
        assert!(!default_is_expression("integer", "0"));
    }
}
