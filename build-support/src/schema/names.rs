//! Identifier folding: `Users`, `users` and `public.users` are one table on
//! PostgreSQL; `"Users"` is another.

use std::fmt;

use compact_str::CompactString;

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use super::Dialect;

/// A folded, schema-qualified object name. The default schema (`public` on
/// PostgreSQL, `main` on SQLite) is dropped, so `public.x` == `x`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    /// Schema, `None` for the default one.
    pub schema: Option<CompactString>,
    /// The object's own name.
    pub name: CompactString,
}

impl Name {
    /// An unqualified name (already folded).
    pub fn bare(name: impl Into<CompactString>) -> Self {
        Name {
            schema: None,
            name: name.into(),
        }
    }

    /// True when the object lives in the default schema, where the model can
    /// claim to know everything that exists.
    pub fn in_default_schema(&self) -> bool {
        self.schema.is_none()
    }

    /// Same schema, another object name (for an index next to its table).
    pub fn sibling(&self, name: impl Into<CompactString>) -> Self {
        Name {
            schema: self.schema.clone(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// PostgreSQL's longest identifier in bytes (`NAMEDATALEN - 1`); a longer
/// one is truncated, with a notice, to this many bytes.
pub const PG_MAX_IDENTIFIER: usize = 63;

/// The longest prefix of `text` of at most `bytes` bytes that ends on a
/// character boundary (PostgreSQL's `pg_mbcliplen` for UTF-8).
fn clip(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An identifier as PostgreSQL stores it: cut to 63 bytes.
pub fn pg_truncate(text: &str) -> CompactString {
    CompactString::from(clip(text, PG_MAX_IDENTIFIER))
}

/// PostgreSQL's rule for a generated name (`makeObjectName`): `name1`,
/// `_name2` when given, `_label` when given; when that is longer than 63
/// bytes, the longer of `name1` and `name2` loses one byte at a time until
/// it fits (the label is kept whole), each then cut back to a character
/// boundary.
pub fn pg_object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> CompactString {
    let mut overhead = 0;
    let mut chars1 = name1.len();
    let mut chars2 = 0;
    if let Some(name2) = name2 {
        chars2 = name2.len();
        overhead += 1;
    }
    if let Some(label) = label {
        overhead += label.len() + 1;
    }
    let available = PG_MAX_IDENTIFIER.saturating_sub(overhead);
    while chars1 + chars2 > available {
        if chars1 > chars2 {
            chars1 -= 1;
        } else {
            chars2 -= 1;
        }
    }
    let mut out = CompactString::from(clip(name1, chars1));
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(clip(name2, chars2));
    }
    if let Some(label) = label {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// PostgreSQL's choice of a generated name (`ChooseRelationName`,
/// `ChooseConstraintName`): [`pg_object_name`] with `label`, then with
/// `label1`, `label2`, ... until `taken` says the name is free.
pub fn pg_choose_name(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> CompactString {
    let mut candidate = pg_object_name(name1, name2, Some(label));
    let mut pass = 0;
    while taken(&candidate) && pass < 10_000 {
        pass += 1;
        candidate = pg_object_name(name1, name2, Some(&format!("{label}{pass}")));
    }
    candidate
}

/// The column part of a generated index or foreign key name
/// (`ChooseIndexNameAddition`): the names joined by `_`, stopping once the
/// text reaches 64 bytes.
pub fn pg_name_addition<S: AsRef<str>>(columns: &[S]) -> CompactString {
    let mut out = CompactString::default();
    for column in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(clip(column.as_ref(), PG_MAX_IDENTIFIER));
        if out.len() > PG_MAX_IDENTIFIER {
            break;
        }
    }
    out
}

/// MySQL's / MariaDB's name for an unnamed index: its first column, then
/// `<column>_2`, `<column>_3`, ... while taken (`PRIMARY` is reserved for
/// the primary key).
pub fn mysql_default_index_name(first_column: &str, taken: impl Fn(&str) -> bool) -> CompactString {
    if !taken(first_column) && !first_column.eq_ignore_ascii_case("primary") {
        return CompactString::from(first_column);
    }
    let mut n = 2;
    while taken(&format!("{first_column}_{n}")) && n < 10_000 {
        n += 1;
    }
    compact_str::format_compact!("{first_column}_{n}")
}

/// How a dialect names objects: identifier folding and default schemas.
pub trait Naming {
    /// Folds one identifier the way the database compares it.
    fn fold(self, ident: &Ident) -> CompactString;
    /// Folds a possibly qualified object name; the last part is the object.
    fn object_name(self, object: &ObjectName) -> Name;
}

impl Naming for Dialect {
    fn fold(self, ident: &Ident) -> CompactString {
        let value = ident.value.as_str();
        let quoted = ident.quote_style.is_some();
        // A name of up to 24 bytes is held inline: folding allocates only
        // for a longer one, or a non-ASCII one that changes when folded.
        let ascii_lower = |text: &str| {
            let mut out = CompactString::from(text);
            out.make_ascii_lowercase();
            out
        };
        match self {
            // ASCII keeps its length when lower-cased, so the name is cut
            // first and folded into the one new string.
            Dialect::Postgres if quoted => pg_truncate(value),
            Dialect::Postgres if value.is_ascii() => ascii_lower(clip(value, PG_MAX_IDENTIFIER)),
            Dialect::Postgres => pg_truncate(&value.to_lowercase()),
            Dialect::Generic if quoted => CompactString::from(value),
            // Case-insensitive for our purposes (MySQL on Linux compares table
            // names case-sensitively, but a history that relies on that is
            // not one we want to model).
            Dialect::Generic | Dialect::MySql if value.is_ascii() => ascii_lower(value),
            Dialect::Generic | Dialect::MySql => CompactString::from(value.to_lowercase()),
            // SQLite folds only ASCII `A`-`Z` when it compares names
            // (`sqlite3StrICmp`, as its `lower()` without ICU): `É` and
            // `é` name two objects.
            Dialect::Sqlite => ascii_lower(value),
        }
    }

    fn object_name(self, object: &ObjectName) -> Name {
        // Only the last two parts count (a database or catalog before the
        // schema is ignored); each is folded straight into its place.
        let part = |part: &ObjectNamePart| match part.as_ident() {
            Some(ident) => self.fold(ident),
            None => CompactString::from(part.to_string()),
        };
        let parts = &object.0;
        let Some(last) = parts.last() else {
            return Name::bare(CompactString::default());
        };
        let schema = parts
            .len()
            .checked_sub(2)
            .map(|i| part(&parts[i]))
            .filter(|s| !is_default_schema(self, s));
        Name {
            schema,
            name: part(last),
        }
    }
}

fn is_default_schema(dialect: Dialect, schema: &str) -> bool {
    match dialect {
        Dialect::Postgres => schema == "public",
        Dialect::Sqlite => schema == "main",
        Dialect::MySql | Dialect::Generic => false,
    }
}

/// `a.b.c` from tokens that are exactly words separated by dots.
pub(super) fn dotted_name(tokens: &[sqlparser::tokenizer::Token]) -> Option<ObjectName> {
    use sqlparser::tokenizer::Token;
    let mut parts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match (i % 2, t) {
            (0, Token::Word(w)) => parts.push(match w.quote_style {
                Some(q) => Ident::with_quote(q, w.value.clone()),
                None => Ident::new(w.value.clone()),
            }),
            (1, Token::Period) => {}
            _ => return None,
        }
    }
    (!parts.is_empty() && tokens.len() % 2 == 1).then(|| ObjectName::from(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(parts: &[Ident]) -> ObjectName {
        ObjectName(
            parts
                .iter()
                .cloned()
                .map(ObjectNamePart::Identifier)
                .collect(),
        )
    }

    #[test]
    fn postgres_folds_unquoted_and_drops_public() {
        let d = Dialect::Postgres;
        assert_eq!(
            d.object_name(&object(&[Ident::new("public"), Ident::new("Users")])),
            Name::bare("users")
        );
        assert_eq!(
            d.object_name(&object(&[Ident::with_quote('"', "Users")])),
            Name::bare("Users")
        );
        let other = d.object_name(&object(&[Ident::new("Auth"), Ident::new("t")]));
        assert_eq!(other.to_string(), "auth.t");
        assert!(!other.in_default_schema());
    }

    #[test]
    fn generated_names_follow_postgres() {
        assert_eq!(pg_object_name("t", None, Some("pkey")), "t_pkey");
        assert_eq!(pg_object_name("t", Some("a_b"), Some("key")), "t_a_b_key");
        let long = "a".repeat(70);
        // 63 - 1 - 5 = 57 bytes for both names: the longer one is cut.
        let name = pg_object_name(&long, Some("id"), Some("fkey"));
        assert_eq!(name, format!("{}_id_fkey", "a".repeat(55)));
        assert_eq!(name.len(), 63);
        // Both long: each gets half.
        let name = pg_object_name(&long, Some(&"b".repeat(70)), Some("idx"));
        assert_eq!(name, format!("{}_{}_idx", "a".repeat(29), "b".repeat(29)));
        // Never inside a character.
        let wide = "é".repeat(40);
        let name = pg_object_name(&wide, None, Some("pkey"));
        assert!(name.len() <= 63 && name.ends_with("_pkey"));
        let taken = ["t_a_idx", "t_a_idx1"];
        assert_eq!(
            pg_choose_name("t", Some("a"), "idx", |n| taken.contains(&n)),
            "t_a_idx2"
        );
        assert_eq!(
            mysql_default_index_name("email", |n| n == "email"),
            "email_2"
        );
    }

    #[test]
    fn mysql_and_sqlite_are_case_insensitive() {
        assert_eq!(
            Dialect::MySql.object_name(&object(&[Ident::with_quote('`', "Users")])),
            Name::bare("users")
        );
        assert_eq!(
            Dialect::Sqlite.object_name(&object(&[Ident::new("main"), Ident::new("T")])),
            Name::bare("t")
        );
    }
}
