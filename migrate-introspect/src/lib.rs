//! Reads a live database's catalog into the schema model's own types
//! (`migrate_build::schema`), and compares the two: the drift check of
//! `cargo migrate check --drift`, and the judge of the model in the
//! workspace's fidelity tests.
//!
//! The compiler never opens a connection; this crate sits after the
//! runtime in the data flow (directory, compiler, plan, runtime, database):
//! it reads what a database holds and hands it back in the compiler's
//! vocabulary, so that one comparison ([`compare`]) serves both the tests
//! and the tool. PostgreSQL is read from `pg_catalog`, SQLite from
//! `sqlite_master` and the `pragma_*` functions, MySQL/MariaDB from
//! `information_schema`. Each driver is a feature (`sqlite`, `postgres`,
//! `mysql`, all on by default), as in `migrate-runtime`.
//!
//! A catalog fills what the server says: names, columns with the server's
//! type and default text ([`migrate_build::schema::ColumnSql`]),
//! constraints, indexes, views, sequences and enum labels. On PostgreSQL
//! the texts (`Constraint::definition` of a check, `Index::definition`,
//! `View::definition`) are the server's print (`pg_get_constraintdef`, the
//! part of `pg_get_indexdef` after the table, `pg_get_viewdef`), not
//! sqlparser's as in the model: [`reprint`] has the server print the
//! model's texts its own way before [`compare_texts`] compares them
//! exactly. On SQLite an index's and a view's are `sqlite_master.sql`
//! printed by sqlparser as the model prints its own
//! ([`migrate_build::schema::sqlite_text`]); elsewhere they stay `None`. For a model with definitions (autogenerate
//! `--from-database`), [`definitions`] reads the server's DDL of each
//! object, which the compiler's own parser replays
//! (`migrate_build::autogen::model_from_definitions`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use migrate_build::schema::{Dialect, Schema};
//! use migrate_introspect::{compare, introspect, Compare};
//!
//! let db = migrate_runtime::MigrateConnection::connect("sqlite://app.db").await?;
//! let mut catalog = introspect(&db).await?;
//! migrate_introspect::remove_version_tables(&mut catalog, "migrate_version");
//! // The model the history says the database holds (here: nothing).
//! let model = Schema::new(Dialect::Sqlite);
//! let drift = compare(&model, &catalog, Compare::for_dialect(Dialect::Sqlite));
//! for difference in &drift.mismatches {
//!     println!("{}: {}", difference.object, difference.detail);
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;

use migrate_build::schema::{Dialect, Name, Object, ObjectKey, ObjectKind};
use migrate_runtime::MigrateConnection;

mod compare;
#[cfg(feature = "cli")]
pub mod drift;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use compare::{
    catalog_differences, compare, compare_texts, generation_expression, normal_default,
    normal_type, texts_to_compare, Compare, Comparison, DefaultForm, Mismatch, TextToCompare,
    Texts, Unknown,
};

/// A database's objects, keyed like the model's.
pub type Catalog = BTreeMap<ObjectKey, Object>;

/// Why a catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A catalog query failed (the server's message; no URL in it).
    #[error("cannot read the database's catalog: {0}")]
    Query(#[from] sqlx::Error),
    /// The connection's driver was compiled into the runtime but not into
    /// this crate (its feature of the same name is off).
    #[error("reading a {} catalog needs the `{}` feature of migrate-introspect", .0.database(), .0.name())]
    DriverNotCompiled(Dialect),
    /// The server refused to run the declared schema
    /// ([`canonical_definitions`]).
    #[error("the server cannot run the declared schema: {0}")]
    Declared(sqlx::Error),
    /// MySQL/MariaDB: the database of its own that the declared schema (or
    /// a text the server reprints) runs in could not be made (the server's
    /// message): nothing was run, and nothing can be compared with the
    /// server's print of it.
    #[error(
        "the scratch database {name} could not be created: {source}; the declared schema runs \
         in a database of its own, so the user needs the CREATE and DROP privileges on it and \
         those to make the declared objects there (for example: GRANT ALL ON \
         `migrate\\_%`.* TO ...)"
    )]
    ScratchNotCreated {
        /// The scratch database's name.
        name: String,
        /// The server's refusal.
        source: sqlx::Error,
    },
    /// The database holds objects whose definitions are not read yet
    /// (PostgreSQL: domains, composite and range types, partitioned and
    /// inheriting tables): a model without them would be a guess.
    #[error("the database holds objects whose definitions are not read yet: {}; write the revision for them by hand", .0.join(", "))]
    NotRead(Vec<String>),
    /// The definitions of this backend's objects are not read (a driver
    /// this crate was built without).
    #[error("reading the definitions of a {} database's objects is not supported by this build", .0.database())]
    DefinitionsNotRead(Dialect),
}

/// Reads the catalog of the database behind `db`: every user object of
/// the current database (PostgreSQL: every schema but the system ones;
/// objects of extensions left out).
pub async fn introspect(db: &MigrateConnection) -> Result<Catalog, Error> {
    #[allow(unreachable_patterns)]
    match db {
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(pool) => {
            postgres::introspect(&mut *pool.acquire().await?).await
        }
        #[cfg(feature = "sqlite")]
        MigrateConnection::Sqlite(pool) => sqlite::introspect(&mut *pool.acquire().await?).await,
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(pool) => mysql::introspect(&mut *pool.acquire().await?).await,
        other => Err(Error::DriverNotCompiled(dialect_of(other))),
    }
}

/// The DDL that re-creates the user objects of the database behind `db`,
/// from the server's own text of each (PostgreSQL: `format_type`,
/// `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`; SQLite:
/// `sqlite_master.sql`; MySQL and MariaDB: `SHOW CREATE TABLE`,
/// `information_schema.views`), as `(object, statement)` in an order that runs on
/// an empty database. `migrate_build::autogen::model_from_definitions`
/// replays it into the schema model (`revision --autogenerate
/// --from-database`). The tables named in `skip` are left out.
pub async fn definitions(
    db: &MigrateConnection,
    skip: &[String],
) -> Result<Vec<(String, String)>, Error> {
    #[allow(unreachable_patterns)]
    match db {
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(pool) => {
            postgres::definitions(&mut *pool.acquire().await?, skip).await
        }
        #[cfg(feature = "sqlite")]
        MigrateConnection::Sqlite(pool) => {
            sqlite::definitions(&mut *pool.acquire().await?, skip).await
        }
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(pool) => {
            mysql::definitions(&mut *pool.acquire().await?, skip).await
        }
        other => Err(Error::DefinitionsNotRead(dialect_of(other))),
    }
}

/// The server's own text of the declared schema `sql` (PostgreSQL: run in
/// a schema of its own inside a transaction that is rolled back; MySQL and
/// MariaDB: in a database of its own, dropped afterwards; then read
/// as [`definitions`] reads a database), so that it compares with a
/// database's definitions without the server's reprint showing as a
/// difference. `None` where the text is kept as written (SQLite's
/// `sqlite_master.sql` is the declaration itself).
pub async fn canonical_definitions(
    db: &MigrateConnection,
    sql: &str,
) -> Result<Option<Vec<(String, String)>>, Error> {
    #[allow(unreachable_patterns)]
    match db {
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(pool) => {
            postgres::canonical_definitions(&mut *pool.acquire().await?, sql)
                .await
                .map(Some)
        }
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(pool) => {
            mysql::canonical_definitions(&mut *pool.acquire().await?, sql)
                .await
                .map(Some)
        }
        _ => Ok(None),
    }
}

/// A text of the model for the server to print its own way ([`reprint`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Declared {
    /// A check constraint on `table`, as the model prints it without its
    /// name (`CHECK (a > 0)`).
    Check {
        /// The table.
        table: Name,
        /// The constraint's text.
        definition: String,
    },
    /// An index on `table`: what follows the table in its `CREATE INDEX`
    /// (`USING gin (lower(b)) WHERE c`).
    Index {
        /// The table.
        table: Name,
        /// The index's text after the table.
        definition: String,
    },
    /// A view (or materialized view: its query prints the same):
    /// `[(columns)] AS query`.
    View {
        /// The relations its query reads, as the database's catalog lists
        /// them (MySQL and MariaDB: none are needed, the query is read
        /// against the database's own tables).
        reads: Vec<Name>,
        /// The text after the view's name.
        definition: String,
    },
    /// The default of `column` of `table`: the expression after `DEFAULT`.
    Default {
        /// The table.
        table: Name,
        /// The column (folded).
        column: String,
        /// The default's text.
        definition: String,
    },
    /// The generation expression of the generated column `column` of
    /// `table` (what the parentheses of `GENERATED ALWAYS AS (...)` hold).
    Generated {
        /// The table.
        table: Name,
        /// The column (folded).
        column: String,
        /// The column's type, as the database's catalog gives it.
        data_type: String,
        /// The expression's text.
        definition: String,
    },
}

impl Declared {
    /// The model's text.
    pub fn definition(&self) -> &str {
        match self {
            Declared::Check { definition, .. }
            | Declared::Index { definition, .. }
            | Declared::View { definition, .. }
            | Declared::Default { definition, .. }
            | Declared::Generated { definition, .. } => definition,
        }
    }

    /// The relations the text is on or reads: the stand-ins the server
    /// prints it on are made of them.
    pub fn relations(&self) -> Vec<&Name> {
        match self {
            Declared::Check { table, .. }
            | Declared::Index { table, .. }
            | Declared::Default { table, .. }
            | Declared::Generated { table, .. } => vec![table],
            Declared::View { reads, .. } => reads.iter().collect(),
        }
    }
}

/// The server's own print of each of `declared` (texts of the model), in
/// the form [`introspect`] reads the database's objects, so that model and
/// catalog compare exactly ([`compare_texts`]); `Err` with the server's
/// message for a text it refuses. `catalog` is the database's, read just
/// before: on PostgreSQL the relations the texts are on or read are copied
/// from it (columns and types) into a transaction that is rolled back
/// (`pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
/// `pg_get_expr` of a default or generated column); on MySQL and MariaDB,
/// whose DDL commits, into a scratch database of their own, dropped
/// afterwards whatever happened (`information_schema`'s `check_clause`,
/// `view_definition`, `column_default`, `generation_expression`). On
/// SQLite, which keeps each declaration as written, both sides are
/// sqlparser's print ([`migrate_build::schema::sqlite_text`],
/// [`migrate_build::schema::sqlite_expression`]): the model's text is its
/// own print. `None` for a driver this crate was built without.
pub async fn reprint(
    db: &MigrateConnection,
    catalog: &Catalog,
    declared: &[Declared],
) -> Result<Option<Vec<Result<String, String>>>, Error> {
    #[allow(unreachable_patterns)]
    match db {
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(pool) => {
            postgres::reprint(&mut *pool.acquire().await?, catalog, declared)
                .await
                .map(Some)
        }
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(pool) => {
            mysql::reprint(&mut *pool.acquire().await?, catalog, declared)
                .await
                .map(Some)
        }
        #[cfg(feature = "sqlite")]
        MigrateConnection::Sqlite(_) => Ok(Some(
            declared
                .iter()
                .map(|d| match d {
                    Declared::Default { definition, .. } => {
                        Ok(migrate_build::schema::sqlite_expression(definition)
                            .unwrap_or_else(|| definition.clone()))
                    }
                    _ => Ok(d.definition().to_string()),
                })
                .collect(),
        )),
        _ => Ok(None),
    }
}

/// The names of the tool's own tables for a version table `name` (as
/// written and folded): what [`remove_version_tables`] and [`definitions`]
/// leave out.
pub fn version_tables(name: &str) -> Vec<String> {
    let folded = name.to_lowercase();
    vec![
        name.to_string(),
        migrate_core::names::summary_table(name),
        migrate_core::names::summary_table(&folded),
        folded,
    ]
}

/// The dialect of `db`'s backend.
pub fn dialect_of(db: &MigrateConnection) -> Dialect {
    #[allow(unreachable_patterns)]
    match db {
        #[cfg(feature = "postgres")]
        MigrateConnection::Postgres(_) => Dialect::Postgres,
        #[cfg(feature = "sqlite")]
        MigrateConnection::Sqlite(_) => Dialect::Sqlite,
        #[cfg(feature = "mysql")]
        MigrateConnection::MySql(_) => Dialect::MySql,
        // A variant of a driver this crate was built without: the runtime
        // has only the three.
        _ => Dialect::Generic,
    }
}

/// Removes the tables named `tables` from `catalog`, with the indexes on
/// them and the sequences they own.
pub fn remove_tables(catalog: &mut Catalog, tables: &[Name]) {
    catalog.retain(|key, object| match object {
        Object::Table(_) => !(key.kind == ObjectKind::Table && tables.contains(&key.name)),
        Object::Index(index) => !tables.contains(&index.table),
        Object::Sequence(sequence) => !sequence
            .owned_by
            .as_ref()
            .is_some_and(|(table, _)| tables.contains(table)),
        Object::Trigger(trigger) => !tables.contains(&trigger.table),
        Object::View(_) | Object::Type(_) | Object::Extension(_) | Object::Function(_) => true,
    });
}

/// Removes the migration tool's own objects from `catalog`: the version
/// table `name` and `<name>_summary`, as the runtime creates them, the
/// triggers on the version table that count its changes, and (PostgreSQL)
/// their function `<name>_count`. They are the tool's bookkeeping, not the
/// history's schema.
pub fn remove_version_tables(catalog: &mut Catalog, name: &str) {
    let names: Vec<Name> = version_tables(name).into_iter().map(Name::bare).collect();
    remove_tables(catalog, &names);
    let counter = migrate_core::names::counter_function(name);
    let functions = [Name::bare(counter.to_lowercase()), Name::bare(counter)];
    catalog.retain(|key, _| !(key.kind == ObjectKind::Function && functions.contains(&key.name)));
}

/// Splits a list the catalog queries join with `\u{1}`.
#[allow(dead_code)]
fn split_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\u{1}').map(str::to_string).collect()
    }
}
