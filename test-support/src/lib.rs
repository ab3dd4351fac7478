//! Scaffolding shared by the workspace's tests, so that each rule about test
//! servers is written once: where the server URLs come from, that a test
//! needing a server fails (not skips) when `CI` is set, and how a test gets
//! a database of its own.
//!
//! It talks to the servers through sqlx directly and depends on no crate of
//! this workspace, so any crate may take it as a dev-dependency.
//!
//! ```no_run
//! use migrate_test_support::{fresh_database, drop_database, server_url, POSTGRES};
//!
//! let Some(admin) = server_url(POSTGRES, "my_test") else { return };
//! let (url, name) = fresh_database(&admin, "my_test");
//! // ... run the test against `url` ...
//! drop_database(&admin, &name);
//! ```

use std::future::Future;
use std::io::Write as _;

use sqlx::Connection as _;

/// The variable that names the PostgreSQL server tests use.
pub const POSTGRES: &str = "MIGRATE_TEST_POSTGRES_URL";
/// The variable that names the MariaDB/MySQL server tests use.
pub const MYSQL: &str = "MIGRATE_TEST_MYSQL_URL";

/// The server URL in `variable`. Unset: a failure when `CI` is set (a CI run
/// must not pass by skipping), otherwise `None` after saying on the
/// terminal which test did not run (written to stderr directly, past the
/// harness's output capture).
pub fn server_url(variable: &str, test: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) => Some(url),
        Err(_) if in_ci() => {
            panic!("{test}: CI is set but {variable} is not: the test cannot run")
        }
        Err(_) => {
            skipped(test, &format!("{variable} is not set"));
            None
        }
    }
}

/// Whether this is a CI run (`CI` set), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Says on the terminal that `test` did not run, and why: a failure under
/// CI instead.
pub fn skipped(test: &str, why: &str) {
    assert!(
        !in_ci(),
        "{test}: {why}, and CI is set: the test cannot run"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {why} (this test did not run)"
    );
}

/// The same server URL (`scheme://auth@host/db?query`) with another
/// database in its path; the query is kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let authority = base.find("://").map_or(0, |at| at + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |at| at + authority);
    match query {
        Some(query) => format!("{}/{database}?{query}", &base[..path]),
        None => format!("{}/{database}", &base[..path]),
    }
}

/// A new database name, `<prefix>_<random hex>`: unique per test run.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{:016x}", rand::random::<u64>())
}

/// The URL and name of a database that does not exist yet on the server at
/// `base_url` (for tests of `database create`).
pub fn unused_database(base_url: &str, prefix: &str) -> (String, String) {
    let name = unique_name(prefix);
    (with_database(base_url, &name), name)
}

/// Creates a database of its own on the server at `base_url` (PostgreSQL or
/// MariaDB/MySQL, by the URL's scheme) and returns its URL and name.
pub async fn create_database(base_url: &str, prefix: &str) -> (String, String) {
    let (url, name) = unused_database(base_url, prefix);
    let create = format!("CREATE DATABASE {name}");
    if is_postgres(base_url) {
        let mut conn = sqlx::PgConnection::connect(base_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL: {e}"));
        sqlx::raw_sql(&create)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{create}: {e}"));
    } else {
        let mut conn = sqlx::MySqlConnection::connect(&mysql_scheme(base_url))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to MariaDB: {e}"));
        sqlx::raw_sql(&create)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{create}: {e}"));
    }
    (url, name)
}

/// Drops database `name` on the server at `base_url`, closing its other
/// sessions on PostgreSQL. Best effort: a test's own result is what counts.
pub async fn remove_database(base_url: &str, name: &str) {
    if is_postgres(base_url) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(base_url).await {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    } else if let Ok(mut conn) = sqlx::MySqlConnection::connect(&mysql_scheme(base_url)).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await;
    }
}

/// [`create_database`] for a test that is not async.
pub fn fresh_database(base_url: &str, prefix: &str) -> (String, String) {
    block_on(create_database(base_url, prefix))
}

/// [`remove_database`] for a test that is not async.
pub fn drop_database(base_url: &str, name: &str) {
    block_on(remove_database(base_url, name))
}

/// Runs `test` on a fresh database of the server `variable` names (see
/// [`server_url`]: missing, the test is skipped, or fails under `CI`), then
/// drops the database. `name` is the test's, `prefix` starts the
/// database's name.
pub fn on_fresh_database(variable: &str, name: &str, prefix: &str, test: impl FnOnce(&str)) {
    let Some(base) = server_url(variable, name) else {
        return;
    };
    let (url, database) = fresh_database(&base, prefix);
    test(&url);
    drop_database(&base, &database);
}

/// Runs a future to completion on a new single-threaded runtime (not from
/// inside another runtime).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

fn is_postgres(url: &str) -> bool {
    let scheme = url.split(':').next().unwrap_or("");
    scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
}

/// sqlx reads `mysql:`; `mariadb:` names the same server.
fn mysql_scheme(url: &str) -> String {
    match url.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mariadb:") => format!("mysql:{}", &url[8..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_keeps_credentials_host_and_query() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database("mysql://root@h", "t2"), "mysql://root@h/t2");
    }

    #[test]
    fn a_server_test_really_runs_on_both_servers() {
        for variable in [POSTGRES, MYSQL] {
            let Some(admin) = server_url(variable, "a_server_test_really_runs_on_both_servers")
            else {
                continue;
            };
            let (url, name) = fresh_database(&admin, "support");
            assert!(url.contains(&name));
            let holds_it = block_on(async {
                if is_postgres(&url) {
                    sqlx::PgConnection::connect(&url).await.is_ok()
                } else {
                    sqlx::MySqlConnection::connect(&url).await.is_ok()
                }
            });
            assert!(holds_it, "{variable}: the fresh database {name} opens");
            drop_database(&admin, &name);
            let gone = block_on(async {
                if is_postgres(&url) {
                    sqlx::PgConnection::connect(&url).await.is_err()
                } else {
                    sqlx::MySqlConnection::connect(&url).await.is_err()
                }
            });
            assert!(gone, "{variable}: {name} was dropped");
        }
    }
}
