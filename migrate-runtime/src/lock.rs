//! The migration lock: one migrator at a time per database and version table.
//!
//! - PostgreSQL: a session advisory lock, keyed by a hash of our own over the
//!   version table name, held by a dedicated connection opened for the
//!   purpose (never a pooled one, which could go back to the pool still
//!   holding it). It is taken with `pg_try_advisory_lock` in a polling loop,
//!   not the blocking `pg_advisory_lock`: a session blocked in that call
//!   sits in a transaction, and `CREATE INDEX CONCURRENTLY` in the running
//!   migration would wait for it, forever.
//! - MySQL/MariaDB: `GET_LOCK` on a dedicated connection, with the server's
//!   own timeout.
//! - SQLite: no session lock. Each write runs in `BEGIN IMMEDIATE`, which
//!   takes SQLite's write lock, and re-checks the state inside it.
//!
//! The guard owns the connection: [`LockGuard::release`] unlocks and closes
//! it; on any other path (an error, a panic, a cancelled future) dropping
//! the guard drops the socket, and the server releases the lock with the
//! session.

use std::time::Duration;
#[cfg(feature = "postgres")]
use std::time::Instant;

use sha2::{Digest as _, Sha256};
#[cfg(feature = "mysql")]
use sqlx::mysql::MySqlConnection;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgConnection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::{ConnectOptions, Connection};

#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::backend::{watched, Timeout};
use crate::backend::{Backend, Probe};
use crate::error::Error;

/// A held lock (or nothing, for SQLite and `lock(false)`).
pub(crate) enum LockGuard {
    None,
    /// The lock connection, the key, the backend pid.
    #[cfg(feature = "postgres")]
    Postgres(PgConnection, i64, i32),
    /// The lock connection, the lock name, the connection id.
    #[cfg(feature = "mysql")]
    MySql(MySqlConnection, String, i64),
}

/// Which session holds the lock, so that the migrating connection can
/// check, before each commit, that the lock is still held: a terminated
/// lock session releases it silently.
#[derive(Debug, Clone)]
#[cfg_attr(not(all(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) enum LockHolder {
    /// The advisory lock `key`, held by the backend `pid`.
    Postgres { pid: i32, key: i64 },
    /// `GET_LOCK(name)`, held by the connection `id`.
    MySql { name: String, id: i64 },
}

impl LockHolder {
    /// How messages name the lock.
    pub(crate) fn describe(&self) -> String {
        match self {
            LockHolder::Postgres { pid, key } => {
                format!("PostgreSQL advisory lock {key}, held by backend {pid}")
            }
            LockHolder::MySql { name, id } => {
                format!("MySQL GET_LOCK('{name}'), held by connection {id}")
            }
        }
    }

    /// A query counting 1 while the lock is held (0 once it is lost).
    pub(crate) fn held_query(&self) -> String {
        match self {
            LockHolder::Postgres { pid, key } => {
                // pg_locks splits a bigint key into two oids.
                let high = ((*key as u64) >> 32) as u32;
                let low = *key as u64 as u32;
                format!(
                    "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = {pid} \
                     AND classid = '{high}'::oid AND objid = '{low}'::oid AND objsubid = 1"
                )
            }
            // The name is ours: `migrate_` and 40 hex digits.
            LockHolder::MySql { name, id } => {
                format!("SELECT COUNT(*) FROM DUAL WHERE IS_USED_LOCK('{name}') = {id}")
            }
        }
    }

    /// PostgreSQL: a statement that fails unless the lock is held, to ride
    /// in a transaction's batch just before its `COMMIT`.
    pub(crate) fn assert_held_statement(&self) -> Option<String> {
        match self {
            LockHolder::Postgres { .. } => Some(format!(
                "SELECT CAST(CASE WHEN ({}) = 1 THEN '1' ELSE '{LOCK_LOST}' END AS INTEGER)",
                self.held_query()
            )),
            LockHolder::MySql { .. } => None,
        }
    }
}

/// The text PostgreSQL's cast error quotes when the lock check fails.
pub(crate) const LOCK_LOST: &str = "migrate: the migration lock was lost";

/// The PostgreSQL advisory lock key the migrator takes for a version table
/// (to find the session holding it: `SELECT pid FROM pg_locks WHERE locktype = 'advisory'`).
pub fn advisory_key(version_table: &str) -> i64 {
    let hash = Sha256::digest(format!("migrate-runtime:{version_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash[..8]);
    i64::from_be_bytes(bytes)
}

impl LockGuard {
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_variables)
    )]
    pub(crate) async fn acquire(
        backend: Backend<'_>,
        version_table: &str,
        timeout: Duration,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
        probe: Option<&Probe>,
    ) -> Result<LockGuard, Error> {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let connect_failed =
            |error: sqlx::Error| Error::database("could not open the lock connection", &error);
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let connect_timed_out = |_: tokio::time::error::Elapsed| Error::Database {
            context: "could not open the lock connection".to_string(),
            message: Timeout::Connect(connect_timeout).to_string(),
        };
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Ok(LockGuard::None),
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                // The server probes this session, so a vanished client's
                // lock is released in about a minute, not hours.
                let options = pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .options(crate::backend::SERVER_KEEPALIVE);
                let mut connection = tokio::time::timeout(connect_timeout, options.connect())
                    .await
                    .map_err(connect_timed_out)?
                    .map_err(connect_failed)?;
                let key = advisory_key(version_table);
                let started = Instant::now();
                let mut pause = Duration::from_millis(5);
                loop {
                    let locked: bool = watched(
                        statement_timeout,
                        probe,
                        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                            .bind(key)
                            .fetch_one(&mut connection),
                    )
                    .await
                    .map_err(|e| Error::database("could not take the advisory lock", &e))?;
                    if locked {
                        tracing::debug!(key, "advisory lock taken");
                        let pid: i32 = watched(
                            statement_timeout,
                            probe,
                            sqlx::query_scalar("SELECT pg_backend_pid()")
                                .fetch_one(&mut connection),
                        )
                        .await
                        .map_err(|e| Error::database("could not read the lock session", &e))?;
                        return Ok(LockGuard::Postgres(connection, key, pid));
                    }
                    let waited = started.elapsed();
                    if waited >= timeout {
                        let _ = tokio::time::timeout(connect_timeout, connection.close()).await;
                        return Err(Error::LockTimeout {
                            timeout,
                            what: format!("PostgreSQL advisory lock {key}"),
                        });
                    }
                    tokio::time::sleep(pause.min(timeout - waited)).await;
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
            }
            #[cfg(feature = "mysql")]
            Backend::MySql(pool) => {
                let mut connection =
                    tokio::time::timeout(connect_timeout, pool.connect_options().connect())
                        .await
                        .map_err(connect_timed_out)?
                        .map_err(connect_failed)?;
                // GET_LOCK names are server-wide: include the database.
                let name: String = watched(
                    statement_timeout,
                    probe,
                    sqlx::query_scalar(
                        "SELECT CONCAT('migrate_', LEFT(SHA2(CONCAT(COALESCE(DATABASE(), ''), '.', ?), 256), 40))",
                    )
                    .bind(version_table)
                    .fetch_one(&mut connection),
                )
                .await
                .map_err(|e| Error::database("could not name the lock", &e))?;
                let seconds = timeout.as_secs_f64();
                // GET_LOCK waits on the server: allow it its own timeout.
                let got: Option<i64> = watched(
                    statement_timeout.map(|bound| bound + timeout),
                    probe,
                    sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
                        .bind(&name)
                        .bind(seconds)
                        .fetch_one(&mut connection),
                )
                .await
                .map_err(|e| Error::database("could not take the lock", &e))?;
                if got == Some(1) {
                    tracing::debug!(name, "GET_LOCK taken");
                    let id: i64 = watched(
                        statement_timeout,
                        probe,
                        sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
                            .fetch_one(&mut connection),
                    )
                    .await
                    .map_err(|e| Error::database("could not read the lock session", &e))?;
                    Ok(LockGuard::MySql(connection, name, id))
                } else {
                    let _ = tokio::time::timeout(connect_timeout, connection.close()).await;
                    Err(Error::LockTimeout {
                        timeout,
                        what: format!("MySQL GET_LOCK('{name}')"),
                    })
                }
            }
        }
    }

    /// The session holding the lock, if any.
    pub(crate) fn holder(&self) -> Option<LockHolder> {
        match self {
            LockGuard::None => None,
            #[cfg(feature = "postgres")]
            LockGuard::Postgres(_, key, pid) => Some(LockHolder::Postgres {
                pid: *pid,
                key: *key,
            }),
            #[cfg(feature = "mysql")]
            LockGuard::MySql(_, name, id) => Some(LockHolder::MySql {
                name: name.clone(),
                id: *id,
            }),
        }
    }

    /// Unlocks and closes the lock connection, giving up after `within`
    /// (the server releases the lock when the session ends anyway).
    pub(crate) async fn release(self, within: Duration) {
        let _ = tokio::time::timeout(within, self.release_now()).await;
    }

    async fn release_now(self) {
        match self {
            LockGuard::None => {}
            #[cfg(feature = "postgres")]
            LockGuard::Postgres(mut connection, key, _) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut connection)
                    .await;
                let _ = connection.close().await;
            }
            #[cfg(feature = "mysql")]
            LockGuard::MySql(mut connection, name, _) => {
                let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(&name)
                    .execute(&mut connection)
                    .await;
                let _ = connection.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_per_table_and_are_stable() {
        assert_eq!(
            advisory_key("migrate_version"),
            advisory_key("migrate_version")
        );
        assert_ne!(
            advisory_key("migrate_version"),
            advisory_key("other_version")
        );
    }
}
