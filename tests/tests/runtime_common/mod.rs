//! The scenario tests every backend runs, declared once: each backend's
//! file (`runtime_sqlite.rs`, `runtime_postgres.rs`, `runtime_mysql.rs`)
//! names the scenarios it supports and how to open a fresh database.

/// Declares `#[tokio::test]` functions on a fresh database from `$open`
/// (an `async fn(&str) -> Option<TestDb>` taking the test's name; `None`
/// means the backend is not configured, and the test returns early after
/// `TestDb` printed "skipped").
///
/// - `scenarios: a, b, ...;` runs `migrate_tests::scenarios::a(&t)` and so
///   on, one test each, named after the scenario.
/// - `#[attrs] fn name(t) { body }` runs `body` with the database bound to
///   `t`, for a scenario that takes arguments or a backend-specific test.
///
/// Each test drops its database at the end (a no-op for SQLite, whose file
/// goes with its temporary directory).
macro_rules! backend_tests {
    (open = $open:path;) => {};
    (open = $open:path; scenarios: $($scenario:ident),+ $(,)?; $($rest:tt)*) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                let Some(t) = $open(stringify!($scenario)).await else {
                    return;
                };
                migrate_tests::scenarios::$scenario(&t).await;
                t.drop_database().await;
            }
        )+
        backend_tests! { open = $open; $($rest)* }
    };
    (
        open = $open:path;
        $(#[$attribute:meta])*
        fn $name:ident($t:ident) $body:block
        $($rest:tt)*
    ) => {
        $(#[$attribute])*
        async fn $name() {
            let Some($t) = $open(stringify!($name)).await else {
                return;
            };
            $body
            $t.drop_database().await;
        }
        backend_tests! { open = $open; $($rest)* }
    };
}

pub(crate) use backend_tests;
