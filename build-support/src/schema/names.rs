//! Identifier folding: `Users`, `users` and `public.users` are one table on
//! PostgreSQL; `"Users"` is another.

use std::fmt;

use sqlparser::ast::{Ident, ObjectName};

use super::Dialect;

/// A folded, schema-qualified object name. The default schema (`public` on
/// PostgreSQL, `main` on SQLite) is dropped, so `public.x` == `x`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    /// Schema, `None` for the default one.
    pub schema: Option<String>,
    /// The object's own name.
    pub name: String,
}

impl Name {
    /// An unqualified name (already folded).
    pub fn bare(name: impl Into<String>) -> Self {
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
    pub fn sibling(&self, name: impl Into<String>) -> Self {
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

/// How a dialect names objects: identifier folding and default schemas.
pub trait Naming {
    /// Folds one identifier the way the database compares it.
    fn fold(self, ident: &Ident) -> String;
    /// Folds a possibly qualified object name; the last part is the object.
    fn object_name(self, object: &ObjectName) -> Name;
}

impl Naming for Dialect {
    fn fold(self, ident: &Ident) -> String {
        match self {
            Dialect::Postgres | Dialect::Generic => {
                if ident.quote_style.is_some() {
                    ident.value.clone()
                } else {
                    ident.value.to_lowercase()
                }
            }
            // Case-insensitive for our purposes (MySQL on Linux compares table
            // names case-sensitively, but a history that relies on that is
            // not one we want to model).
            Dialect::MySql | Dialect::Sqlite => ident.value.to_lowercase(),
        }
    }

    fn object_name(self, object: &ObjectName) -> Name {
        let parts: Vec<String> = object
            .0
            .iter()
            .map(|part| match part.as_ident() {
                Some(ident) => self.fold(ident),
                None => part.to_string(),
            })
            .collect();
        let Some((last, qualifiers)) = parts.split_last() else {
            return Name::bare(String::new());
        };
        let schema = qualifiers
            .last()
            .cloned()
            .filter(|s| !is_default_schema(self, s));
        Name {
            schema,
            name: last.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::ObjectNamePart;

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
