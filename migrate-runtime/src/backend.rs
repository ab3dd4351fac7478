//! The three backends, behind one sealed trait.
//!
//! sqlx's `Any` driver would hide exactly the differences this crate must
//! handle (transactional DDL, locking, batching), so each verb takes a
//! concrete pool (`&SqlitePool`, `&PgPool`, `&MySqlPool`) or a
//! [`MigrateConnection`] opened from a URL, and dispatches on the dialect.

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt as _;

use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::error::{redact_url, Error};
use crate::plan::Dialect;
use crate::version_table::RawRow;

mod sealed {
    pub trait Sealed {}
}

/// A database the migrator can work on: `SqlitePool`, `PgPool`,
/// `MySqlPool`, or a [`MigrateConnection`]. Sealed.
pub trait Database: sealed::Sealed + Sync {
    #[doc(hidden)]
    fn backend(&self) -> Backend<'_>;
}

impl sealed::Sealed for SqlitePool {}
impl sealed::Sealed for PgPool {}
impl sealed::Sealed for MySqlPool {}
impl sealed::Sealed for MigrateConnection {}

impl Database for SqlitePool {
    fn backend(&self) -> Backend<'_> {
        Backend::Sqlite(self)
    }
}

impl Database for PgPool {
    fn backend(&self) -> Backend<'_> {
        Backend::Postgres(self)
    }
}

impl Database for MySqlPool {
    fn backend(&self) -> Backend<'_> {
        Backend::MySql(self)
    }
}

impl Database for MigrateConnection {
    fn backend(&self) -> Backend<'_> {
        match self {
            MigrateConnection::Sqlite(pool) => Backend::Sqlite(pool),
            MigrateConnection::Postgres(pool) => Backend::Postgres(pool),
            MigrateConnection::MySql(pool) => Backend::MySql(pool),
        }
    }
}

/// A borrowed pool of one of the three kinds.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Backend<'a> {
    /// SQLite.
    Sqlite(&'a SqlitePool),
    /// PostgreSQL.
    Postgres(&'a PgPool),
    /// MySQL or MariaDB.
    MySql(&'a MySqlPool),
}

impl Backend<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
            Backend::MySql(_) => Dialect::MySql,
        }
    }

    pub(crate) async fn acquire(&self) -> Result<Conn, Error> {
        let context = "could not get a connection from the pool";
        Ok(match self {
            Backend::Sqlite(pool) => Conn::Sqlite(
                pool.acquire()
                    .await
                    .map_err(|e| Error::database(context, &e))?,
            ),
            Backend::Postgres(pool) => Conn::Postgres(
                pool.acquire()
                    .await
                    .map_err(|e| Error::database(context, &e))?,
            ),
            Backend::MySql(pool) => Conn::MySql(
                pool.acquire()
                    .await
                    .map_err(|e| Error::database(context, &e))?,
            ),
        })
    }
}

/// A pooled connection of one of the three kinds.
pub(crate) enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
            Conn::MySql($c) => $body,
        }
    };
}

// The methods return boxed futures: rustc cannot prove the unboxed ones
// `Send` for every lifetime (the `Executor` impls of `&mut MySqlConnection`
// are higher-ranked), which would make `upgrade(..)` unusable in
// `tokio::spawn`. Boxing checks `Send` at a concrete lifetime.
impl Conn {
    /// Runs SQL text through the simple (text) protocol: one statement or,
    /// on PostgreSQL and SQLite, several separated by `;`, in one round trip.
    pub(crate) fn execute<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            // `Executor::execute` rather than `RawSql::execute`, whose
            // future rustc cannot prove `Send` for every lifetime.
            with_conn!(self, c => sqlx::Executor::execute(&mut **c, sqlx::raw_sql(sql)).await.map(|_| ()))
        })
    }

    /// [`execute`](Self::execute), also counting the statements the server
    /// reported complete before an error (so the failing one is the next).
    pub(crate) fn execute_counted<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, (usize, Result<(), sqlx::Error>)> {
        Box::pin(async move {
            with_conn!(self, c => {
                let mut results = sqlx::Executor::execute_many(&mut **c, sqlx::raw_sql(sql));
                let mut completed = 0;
                loop {
                    match results.next().await {
                        None => break (completed, Ok(())),
                        Some(Ok(_)) => completed += 1,
                        Some(Err(error)) => break (completed, Err(error)),
                    }
                }
            })
        })
    }

    pub(crate) fn fetch_count<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
        Box::pin(async move {
            with_conn!(self, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **c).await)
        })
    }

    pub(crate) fn fetch_optional_string<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, sqlx::Error>> {
        Box::pin(async move {
            with_conn!(self, c => sqlx::query_scalar::<_, String>(sql).fetch_optional(&mut **c).await)
        })
    }

    pub(crate) fn fetch_summary<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, sqlx::Error>> {
        Box::pin(async move {
            with_conn!(self, c => sqlx::query_as::<_, (String, i64)>(sql).fetch_optional(&mut **c).await)
        })
    }

    pub(crate) fn fetch_rows<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RawRow>, sqlx::Error>> {
        Box::pin(async move {
            with_conn!(self, c => sqlx::query_as::<_, RawRow>(sql).fetch_all(&mut **c).await)
        })
    }

    /// Makes sure a connection left inside a transaction (a cancelled
    /// future, a panic) never goes back to the pool.
    pub(crate) fn close_on_drop(&mut self) {
        with_conn!(self, c => c.close_on_drop())
    }
}

/// A pool opened from a URL, for the CLI and for applications that do not
/// keep a pool of their own.
#[derive(Debug, Clone)]
pub enum MigrateConnection {
    /// `sqlite:` URLs (the file is created when missing).
    Sqlite(SqlitePool),
    /// `postgres:` and `postgresql:` URLs.
    Postgres(PgPool),
    /// `mysql:` and `mariadb:` URLs.
    MySql(MySqlPool),
}

impl MigrateConnection {
    /// Opens a small pool for `url`. Errors name the URL with its password
    /// replaced by `***`.
    pub async fn connect(url: &str) -> Result<MigrateConnection, Error> {
        Self::connect_with_timeout(url, Duration::from_secs(30)).await
    }

    /// [`connect`](Self::connect), giving up after `timeout` (sqlx retries
    /// a refused connection until then).
    pub async fn connect_with_timeout(
        url: &str,
        timeout: Duration,
    ) -> Result<MigrateConnection, Error> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let failed = |error: sqlx::Error| Error::Database {
            context: format!("could not connect to {}", redact_url(url)),
            message: crate::error::database_message(&error),
        };
        match scheme.as_str() {
            "sqlite" => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(failed)?
                    .create_if_missing(true);
                // An in-memory database exists once per connection.
                let max = if url.contains(":memory:") || url.contains("mode=memory") {
                    1
                } else {
                    4
                };
                let pool = SqlitePoolOptions::new()
                    .acquire_timeout(timeout)
                    .max_connections(max)
                    .connect_with(options)
                    .await
                    .map_err(failed)?;
                Ok(MigrateConnection::Sqlite(pool))
            }
            "postgres" | "postgresql" => {
                let options = PgConnectOptions::from_str(url).map_err(failed)?;
                let pool = PgPoolOptions::new()
                    .acquire_timeout(timeout)
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(failed)?;
                Ok(MigrateConnection::Postgres(pool))
            }
            "mysql" | "mariadb" => {
                let normalized = if scheme == "mariadb" {
                    format!("mysql{}", &url["mariadb".len()..])
                } else {
                    url.to_string()
                };
                let options = MySqlConnectOptions::from_str(&normalized).map_err(failed)?;
                let pool = MySqlPoolOptions::new()
                    .acquire_timeout(timeout)
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(failed)?;
                Ok(MigrateConnection::MySql(pool))
            }
            _ => Err(Error::UnsupportedUrl(redact_url(url))),
        }
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.backend().dialect()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            MigrateConnection::Sqlite(pool) => pool.close().await,
            MigrateConnection::Postgres(pool) => pool.close().await,
            MigrateConnection::MySql(pool) => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connection_errors_never_show_the_password() {
        for url in [
            "postgres://app:hunter2@127.0.0.1:1/db",
            "mysql://app:hunter2@127.0.0.1:1/db",
            "postgres://127.0.0.1:1/db?user=app&password=hunter2",
        ] {
            let error = MigrateConnection::connect_with_timeout(url, Duration::from_millis(300))
                .await
                .unwrap_err()
                .to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("***"), "{error}");
        }
        let error = MigrateConnection::connect("oracle://u:hunter2@h/db")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            !error.contains("hunter2") && error.contains("unsupported"),
            "{error}"
        );
    }
}
