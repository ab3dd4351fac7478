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

use crate::error::Error;
use crate::plan::Dialect;
use crate::url_mask::redact_url;
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

    /// A connection from the pool, within `connect_timeout`; its round
    /// trips are bounded by `statement_timeout` when set.
    pub(crate) async fn acquire(
        &self,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Result<Conn, Error> {
        let context = "could not get a connection from the pool";
        let pooled = async {
            Ok::<_, sqlx::Error>(match self {
                Backend::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
                Backend::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
                Backend::MySql(pool) => Pooled::MySql(pool.acquire().await?),
            })
        };
        match tokio::time::timeout(connect_timeout, pooled).await {
            Ok(Ok(inner)) => Ok(Conn {
                inner,
                timeout: statement_timeout,
            }),
            Ok(Err(error)) => Err(Error::database(context, &error)),
            Err(_) => Err(Error::Database {
                context: context.to_string(),
                message: Timeout::Connect(connect_timeout).to_string(),
            }),
        }
    }
}

/// A row of three text columns.
pub(crate) type Texts = (String, String, String);

/// PostgreSQL's TCP keepalive for the migrator's sessions, set on the server
/// side (sqlx exposes no client-side keepalive): the server probes an idle
/// session after 30 s, every 10 s, and ends it after 3 unanswered probes,
/// releasing the locks of a client that vanished.
pub(crate) const SERVER_KEEPALIVE: [(&str, &str); 3] = [
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
];

/// A client-side timeout that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    /// Opening a connection took longer than the connect timeout.
    Connect(Duration),
    /// A statement (or batch) got no answer within the statement timeout.
    Statement(Duration),
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Timeout::Connect(after) => write!(
                f,
                "the connect timeout ({after:?}) fired: no connection to the server in time"
            ),
            Timeout::Statement(after) => write!(
                f,
                "the statement timeout ({after:?}) fired: the server did not answer in time"
            ),
        }
    }
}

impl std::error::Error for Timeout {}

impl Timeout {
    /// As a sqlx I/O error (the connection's state is unknown after it).
    pub(crate) fn into_sqlx(self) -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, self))
    }
}

/// Bounds a future by `timeout`, if any.
pub(crate) async fn bounded<T>(
    timeout: Option<Duration>,
    future: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match timeout {
        None => future.await,
        Some(after) => tokio::time::timeout(after, future)
            .await
            .unwrap_or_else(|_| Err(Timeout::Statement(after).into_sqlx())),
    }
}

/// A pooled connection of one of the three kinds, whose round trips are
/// bounded by the statement timeout when one is set.
pub(crate) struct Conn {
    inner: Pooled,
    timeout: Option<Duration>,
}

enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Pooled::Sqlite($c) => $body,
            Pooled::Postgres($c) => $body,
            Pooled::MySql($c) => $body,
        }
    };
}

// The methods return boxed futures: rustc cannot prove the unboxed ones
// `Send` for every lifetime (the `Executor` impls of `&mut MySqlConnection`
// are higher-ranked), which would make `upgrade(..)` unusable in
// `tokio::spawn`. Boxing checks `Send` at a concrete lifetime.
impl Conn {
    /// After a timeout the protocol state is unknown: never reuse it.
    fn settle<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if is_timeout(&result) {
            self.close_on_drop();
        }
        result
    }

    /// Runs SQL text through the simple (text) protocol: one statement or,
    /// on PostgreSQL and SQLite, several separated by `;`, in one round trip.
    pub(crate) fn execute<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            // `Executor::execute` rather than `RawSql::execute`, whose
            // future rustc cannot prove `Send` for every lifetime.
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::Executor::execute(&mut **c, sqlx::raw_sql(sql)).await.map(|_| ()))
            })
            .await;
            self.settle(result)
        })
    }

    /// [`execute`](Self::execute), also counting the statements the server
    /// reported complete before an error (so the failing one is the next).
    pub(crate) fn execute_counted<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, (usize, Result<(), sqlx::Error>)> {
        Box::pin(async move {
            let mut completed = 0;
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => {
                    let mut results = sqlx::Executor::execute_many(&mut **c, sqlx::raw_sql(sql));
                    loop {
                        match results.next().await {
                            None => break Ok(()),
                            Some(Ok(_)) => completed += 1,
                            Some(Err(error)) => break Err(error),
                        }
                    }
                })
            })
            .await;
            (completed, self.settle(result))
        })
    }

    pub(crate) fn fetch_count<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
        Box::pin(async move {
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_optional_string<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, sqlx::Error>> {
        Box::pin(async move {
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::query_scalar::<_, String>(sql).fetch_optional(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_summary<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, sqlx::Error>> {
        Box::pin(async move {
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::query_as::<_, (String, i64)>(sql).fetch_optional(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    /// The one row of three text columns, if any.
    pub(crate) fn fetch_texts<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<Texts>, sqlx::Error>> {
        Box::pin(async move {
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::query_as::<_, Texts>(sql).fetch_optional(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_rows<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RawRow>, sqlx::Error>> {
        Box::pin(async move {
            let result = bounded(self.timeout, async {
                with_conn!(&mut self.inner, c => sqlx::query_as::<_, RawRow>(sql).fetch_all(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    /// Makes sure a connection left inside a transaction (a cancelled
    /// future, a panic, a timeout) never goes back to the pool.
    pub(crate) fn close_on_drop(&mut self) {
        with_conn!(&mut self.inner, c => c.close_on_drop())
    }
}

fn is_timeout<T>(result: &Result<T, sqlx::Error>) -> bool {
    matches!(result, Err(sqlx::Error::Io(error)) if error.get_ref().is_some_and(|inner| inner.is::<Timeout>()))
}

/// Whether an error means the connection itself failed (or timed out), so
/// that whatever was in flight may or may not have committed.
pub(crate) fn is_connection_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            // MariaDB/MySQL: connection killed, server gone, connection lost.
            if let Some(mysql) = error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                return matches!(mysql.number(), 1927 | 2006 | 2013);
            }
            // PostgreSQL: the session was terminated, or a connection exception.
            matches!(
                error.code().as_deref(),
                Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")
            )
        }
        _ => false,
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
        if matches!(
            scheme.as_str(),
            "postgres" | "postgresql" | "mysql" | "mariadb"
        ) {
            if let Some(problem) = crate::url_mask::server_url_problem(url) {
                return Err(Error::Database {
                    context: format!("could not connect to {}", redact_url(url)),
                    message: problem,
                });
            }
        }
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
                let options = PgConnectOptions::from_str(url)
                    .map_err(failed)?
                    .options(SERVER_KEEPALIVE);
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
