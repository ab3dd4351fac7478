//! The kill-test history: long DML and (on PostgreSQL) `CREATE INDEX
//! CONCURRENTLY` in statements that run outside a transaction, and probes
//! that read from the catalog and row counts which of them committed.
//!
//! `k1` creates `src` with [`ROWS`] rows and an empty `dst` (no key, so a
//! second copy shows). `k2` copies `src` into `dst`, indexes `src (v)` and
//! adds 1 to every `v`: three statements, each run on its own on PostgreSQL
//! (a `transaction:false` section) and MySQL (every statement), in one
//! transaction on SQLite.

use migrate_runtime::{Dialect, MigrateConnection, Plan};

use crate::PlanBuilder;

/// Rows in `src`.
pub const ROWS: i64 = 150_000;

/// The statements of `k2`, in order, for `dialect`.
pub fn k2_statements(dialect: Dialect) -> [&'static str; 3] {
    [
        "INSERT INTO dst SELECT id, v FROM src",
        match dialect {
            Dialect::Postgres => "CREATE INDEX CONCURRENTLY src_v ON src (v)",
            _ => "CREATE INDEX src_v ON src (v)",
        },
        "UPDATE src SET v = v + 1",
    ]
}

/// The kill-test plan for `dialect`.
pub fn kill_plan(dialect: Dialect) -> Plan {
    let fill = match dialect {
        Dialect::Postgres => "INSERT INTO src SELECT g, g FROM generate_series(1, 150000) g",
        Dialect::MySql => "INSERT INTO src SELECT seq, seq FROM seq_1_to_150000",
        _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 150000) INSERT INTO src SELECT x, x FROM c",
    };
    let k2 = k2_statements(dialect);
    PlanBuilder::new()
        .rev(
            "k1",
            &[],
            &[
                "CREATE TABLE src (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)",
                fill,
                "CREATE TABLE dst (id BIGINT, v BIGINT)",
            ],
            &["DROP TABLE dst", "DROP TABLE src"],
        )
        .revision(
            "k2",
            &["k1"],
            &[(dialect == Dialect::Sqlite, &k2)],
            &[(true, &["UPDATE src SET v = v - 1", "DELETE FROM dst"])],
        )
        .build()
}

async fn count(db: &MigrateConnection, sql: &str) -> Result<i64, sqlx::Error> {
    match db {
        MigrateConnection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        MigrateConnection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
}

/// What the catalog and row counts show about the six statements of `k1`
/// and `k2`, in plan order: committed or not. A state no statement
/// boundary explains (rows copied part way or twice, an invalid index,
/// rows updated part way or twice) is an error.
pub async fn truth(db: &MigrateConnection) -> Result<[bool; 6], String> {
    let tables = crate::tables(db).await;
    let err = |e: sqlx::Error| e.to_string();
    let mut flags = [false; 6];
    flags[0] = tables.contains("src");
    flags[2] = tables.contains("dst");
    if !flags[0] {
        return Ok(flags);
    }
    let src = count(db, "SELECT COUNT(*) FROM src").await.map_err(err)?;
    flags[1] = match src {
        0 => false,
        ROWS => true,
        other => return Err(format!("src holds {other} rows")),
    };
    if flags[2] {
        flags[3] = match count(db, "SELECT COUNT(*) FROM dst").await.map_err(err)? {
            0 => false,
            ROWS => true,
            other => return Err(format!("dst holds {other} rows: copied part way or twice")),
        };
    }
    flags[4] = match db {
        MigrateConnection::Postgres(_) => {
            let state = count(
                db,
                "SELECT COUNT(*) FILTER (WHERE i.indisvalid) * 10 + COUNT(*) FROM pg_index i WHERE i.indexrelid = to_regclass('src_v')",
            )
            .await
            .map_err(err)?;
            match state {
                0 => false,
                11 => true,
                _ => return Err("index src_v exists but is invalid".to_string()),
            }
        }
        MigrateConnection::MySql(_) => {
            count(
                db,
                "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'src_v'",
            )
            .await
            .map_err(err)?
                > 0
        }
        MigrateConnection::Sqlite(_) => {
            count(
                db,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'src_v'",
            )
            .await
            .map_err(err)?
                > 0
        }
    };
    let shifted = count(db, "SELECT COUNT(*) FROM src WHERE v <> id")
        .await
        .map_err(err)?;
    let offset = count(db, "SELECT COALESCE(MAX(v - id), 0) FROM src")
        .await
        .map_err(err)?;
    flags[5] = match (shifted, offset) {
        (0, _) => false,
        (ROWS, 1) => true,
        _ => return Err(format!("{shifted} rows of src updated, by up to {offset}")),
    };
    Ok(flags)
}
