//! The one SQL dialect type: what `dialect` in `migrate.toml` names, what a
//! plan was validated against, and what the runtime talks to.

/// The SQL dialect a plan is validated against (`dialect` in `migrate.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// sqlparser's permissive generic dialect (the default); the plan runs
    /// on any backend.
    #[default]
    Generic,
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB.
    MySql,
}

impl Dialect {
    /// Every dialect, in a fixed order.
    pub const ALL: [Dialect; 4] = [
        Dialect::Generic,
        Dialect::Postgres,
        Dialect::Sqlite,
        Dialect::MySql,
    ];

    /// The name used in `migrate.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic",
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::MySql => "mysql",
        }
    }

    /// The database it names, for messages (`PostgreSQL`, `SQLite`, `MySQL/MariaDB`, `any database`).
    pub fn database(self) -> &'static str {
        match self {
            Dialect::Generic => "any database",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }

    /// True when a history validated for `self` may run on a database
    /// speaking `backend`: the same dialect, or a `generic` history (which
    /// runs anywhere). The one copy of the rule: `Migrator` and the CLI ask it.
    pub fn runs_on(self, backend: Dialect) -> bool {
        self == Dialect::Generic || self == backend
    }

    /// Parses a `migrate.toml` dialect name.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL
            .into_iter()
            .find(|dialect| dialect.name() == name)
    }

    /// The database a URL's scheme names: `sqlite:`, `postgres:` or
    /// `postgresql:`, `mysql:` or `mariadb:` (case-insensitive). The one copy
    /// of the rule: the runtime, `cargo migrate` and the tests ask it.
    ///
    /// ```
    /// use migrate_core::Dialect;
    /// assert_eq!(Dialect::of_url("postgresql://db/app"), Some(Dialect::Postgres));
    /// assert_eq!(Dialect::of_url("MariaDB://root@db/app"), Some(Dialect::MySql));
    /// assert_eq!(Dialect::of_url("redis://db"), None);
    /// ```
    pub fn of_url(url: &str) -> Option<Dialect> {
        let (scheme, _) = url.split_once(':')?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }

    /// A human name for messages ("PostgreSQL", ...).
    pub fn display_name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
            Dialect::MySql => "MySQL",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for dialect in Dialect::ALL {
            assert_eq!(Dialect::from_name(dialect.name()), Some(dialect));
        }
        assert_eq!(Dialect::from_name("oracle"), None);
        assert_eq!(Dialect::default(), Dialect::Generic);
    }
}
