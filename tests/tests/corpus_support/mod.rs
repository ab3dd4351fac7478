//! The histories of `shared/corpus/`, read as the tests replay them: each
//! by `cargo migrate import`'s reader for its tool, in that tool's order,
//! with the setup its project runs before the first migration. Shared by
//! `schema_fidelity.rs` and `autogen.rs` (`#[path]`).

#![allow(dead_code)]

use std::path::Path;

use migrate_build::config::Dialect;
use migrate_cli::cmd::import::{read_source, SourceTool};

/// Where the histories live.
pub const CORPUS: &str = "/work/shared/corpus";

/// Whether the corpus is here. Without it the calling test returns early
/// and says so, which `CI` forbids (the test fails there instead).
pub fn corpus_present() -> bool {
    if std::path::Path::new(CORPUS).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {CORPUS} is missing"
    );
    println!("skipped: {CORPUS} not found");
    false
}

/// One migration of a history, as the importer's reader gives it.
pub struct Version {
    /// The source migration's file or directory name.
    pub name: String,
    /// The upgrade's SQL.
    pub up: String,
    /// Empty when the tool has no down script for it.
    pub down: String,
    /// Whether the upgrade runs in a transaction.
    pub up_transactional: bool,
    /// Whether the downgrade runs in a transaction.
    pub down_transactional: bool,
}

/// The migrations of `dir`, read by `cargo migrate import`'s reader for
/// `tool` (pop: the files of `dialect`), in the order the tool applies them.
pub fn versions(tool: SourceTool, dir: &Path, dialect: Dialect) -> Vec<Version> {
    let (migrations, _) =
        read_source(tool, dir, dialect).unwrap_or_else(|e| panic!("{}: {e:#}", dir.display()));
    migrations
        .into_iter()
        .map(|m| Version {
            name: m.origin,
            up: m.up.sql,
            up_transactional: m.up.transactional,
            down_transactional: m.down.as_ref().is_none_or(|d| d.transactional),
            down: m.down.map(|d| d.sql).unwrap_or_default(),
        })
        .collect()
}

/// One history of the corpus.
pub struct History {
    /// Its name in the README's tables.
    pub name: &'static str,
    /// The dialect it is written for.
    pub dialect: Dialect,
    /// Its migrations in order.
    pub versions: Vec<Version>,
    /// What the project's own setup creates before the first migration.
    pub setup: &'static str,
}

/// The histories that run on `server` (`postgres`, `sqlite`, `mysql`).
pub fn histories(server: &str) -> Vec<History> {
    let root = Path::new(CORPUS);
    let all = vec![
        (
            "postgres",
            History {
                name: "crates.io",
                dialect: Dialect::Postgres,
                versions: versions(SourceTool::Diesel, &root.join("crates-io/migrations"), Dialect::Postgres),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "docs.rs",
                dialect: Dialect::Postgres,
                versions: versions(SourceTool::Sqlx, &root.join("docs-rs/migrations"), Dialect::Postgres),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "chirpstack (postgres)",
                dialect: Dialect::Postgres,
                versions: versions(SourceTool::Diesel, &root.join("chirpstack/migrations_postgres"), Dialect::Postgres),
                // The project's Docker init script creates it (SOURCE.md).
                setup: "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            },
        ),
        (
            "postgres",
            History {
                name: "kratos (postgres)",
                dialect: Dialect::Postgres,
                versions: versions(SourceTool::Pop, &root.join("kratos/migrations"), Dialect::Postgres),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "harbor",
                dialect: Dialect::Postgres,
                versions: versions(SourceTool::GolangMigrate, &root.join("harbor-golang-migrate/migrations"), Dialect::Postgres),
                // golang-migrate's own table, which the history alters (SOURCE.md).
                setup: "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)",
            },
        ),
        (
            "sqlite",
            History {
                name: "chirpstack (sqlite)",
                dialect: Dialect::Sqlite,
                versions: versions(SourceTool::Diesel, &root.join("chirpstack/migrations_sqlite"), Dialect::Sqlite),
                setup: "",
            },
        ),
        (
            "sqlite",
            History {
                name: "kratos (sqlite)",
                dialect: Dialect::Sqlite,
                versions: versions(SourceTool::Pop, &root.join("kratos/migrations"), Dialect::Sqlite),
                setup: "",
            },
        ),
        (
            "mysql",
            History {
                name: "kratos (mysql)",
                dialect: Dialect::MySql,
                versions: versions(SourceTool::Pop, &root.join("kratos/migrations"), Dialect::MySql),
                setup: "",
            },
        ),
    ];
    all.into_iter()
        .filter(|(s, _)| *s == server)
        .map(|(_, h)| h)
        .collect()
}
