//! Reads another tool's version table for [`Migrator::adopt`](crate::Migrator::adopt)
//! (`stamp --adopt <tool>`). What the rows mean is decided by
//! `migrate_core::adopt`; this module only fetches them.

use crate::backend::Conn;
use crate::error::Error;
use crate::plan::Dialect;
use crate::version_table::literal;
pub use migrate_core::adopt::{AdoptError, SourceTool};

/// What [`Migrator::adopt`](crate::Migrator::adopt) found and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The tool whose table was read.
    pub tool: SourceTool,
    /// The versions its table holds.
    pub versions: Vec<String>,
    /// The revisions now recorded as applied, in plan order.
    pub revisions: Vec<String>,
    /// The head(s) stamped.
    pub heads: Vec<String>,
    /// pop versions the directory lacks, recorded by pop for an empty
    /// migration that the import skipped.
    pub ignored: Vec<String>,
    /// True when the version table already recorded exactly these
    /// revisions (adopting twice changes nothing).
    pub already: bool,
}

/// The version as text: a number column is cast, a text one kept.
fn as_text(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::MySql => format!("CAST({column} AS CHAR)"),
        _ => format!("CAST({column} AS TEXT)"),
    }
}

fn exists_query(dialect: Dialect, table: &str) -> String {
    let name = literal(dialect, table);
    match dialect {
        Dialect::Sqlite => {
            format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = {name}")
        }
        Dialect::MySql => format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {name}"
        ),
        Dialect::Postgres | Dialect::Generic => format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = {name}"
        ),
    }
}

/// The versions `tool`'s table holds, and those it marks unfinished.
pub(crate) async fn read(
    conn: &mut Conn,
    tool: SourceTool,
    dialect: Dialect,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let table = tool.table();
    let context = |what: &str| format!("could not {what} {}'s table `{table}`", tool.name());
    let count = conn
        .fetch_count(&exists_query(dialect, table))
        .await
        .map_err(|e| Error::database(context("look for"), &e))?;
    if count == 0 {
        return Err(Error::Adopt(format!(
            "the database has no `{table}` table: it was not migrated by {} (or under another table name)",
            tool.name()
        )));
    }
    let version = as_text(dialect, tool.version_column());
    let versions = conn
        .fetch_strings(&format!("SELECT {version} FROM {table} ORDER BY 1"))
        .await
        .map_err(|e| Error::database(context("read"), &e))?;
    let unfinished = match tool.unfinished_condition() {
        Some(condition) => conn
            .fetch_strings(&format!(
                "SELECT {version} FROM {table} WHERE {condition} ORDER BY 1"
            ))
            .await
            .map_err(|e| Error::database(context("read"), &e))?,
        None => Vec::new(),
    };
    Ok((versions, unfinished))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_text() {
        assert_eq!(as_text(Dialect::MySql, "version"), "CAST(version AS CHAR)");
        assert_eq!(
            exists_query(Dialect::Sqlite, "_sqlx_migrations"),
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        );
    }
}
