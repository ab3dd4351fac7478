//! The compiler's schema model against the real servers on every history of
//! `shared/corpus/`: each history is applied revision by revision (its own
//! runner's order, `build-support/tests/support/corpus_versions.rs`); after
//! each revision the catalog is read back and compared with the model
//! replayed to that revision, object by object (`catalog::compare`).
//!
//! It asserts, per history: no statement the server ran got an
//! `unknown-object` / `duplicate-object` problem from the model; every
//! mismatch between model and catalog is one listed in `KNOWN` with its
//! reason; every statement the server refused is listed in `REFUSED`.
//! It prints the README's table (`-- --nocapture`).

use std::collections::BTreeSet;
use std::path::Path;

use migrate_build::config::Dialect;
use migrate_build::schema::Schema;
use migrate_tests::catalog::{compile_revision, step, Compare};
use migrate_tests::TestDb;

#[path = "../../build-support/tests/support/corpus_versions.rs"]
mod corpus_versions;
use corpus_versions::{diesel, golang_migrate, only_comments, popx, sqlx, Version, CORPUS};

/// Mismatches the model cannot know, by history and `object: detail`
/// prefix, each with the reason.
const KNOWN: &[(&str, &str, &str)] = &[];

/// Statements the server refuses in a history's own upgrade, by history
/// and a fragment of the message.
const REFUSED: &[(&str, &str, &str)] = &[];

struct History {
    name: &'static str,
    dialect: Dialect,
    versions: Vec<Version>,
    /// What the project's own setup creates before the first migration.
    setup: &'static str,
}

fn histories(server: &str) -> Vec<History> {
    let root = Path::new(CORPUS);
    let all = vec![
        (
            "postgres",
            History {
                name: "crates.io",
                dialect: Dialect::Postgres,
                versions: diesel(&root.join("crates-io/migrations")),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "docs.rs",
                dialect: Dialect::Postgres,
                versions: sqlx(&root.join("docs-rs/migrations")),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "chirpstack (postgres)",
                dialect: Dialect::Postgres,
                versions: diesel(&root.join("chirpstack/migrations_postgres")),
                // The project's Docker init script creates it (SOURCE.md).
                setup: "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            },
        ),
        (
            "postgres",
            History {
                name: "kratos (postgres)",
                dialect: Dialect::Postgres,
                versions: popx(&root.join("kratos/migrations"), "postgres"),
                setup: "",
            },
        ),
        (
            "postgres",
            History {
                name: "harbor",
                dialect: Dialect::Postgres,
                versions: golang_migrate(&root.join("harbor-golang-migrate/migrations")),
                // golang-migrate's own table, which the history alters (SOURCE.md).
                setup: "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)",
            },
        ),
        (
            "sqlite",
            History {
                name: "chirpstack (sqlite)",
                dialect: Dialect::Sqlite,
                versions: diesel(&root.join("chirpstack/migrations_sqlite")),
                setup: "",
            },
        ),
        (
            "sqlite",
            History {
                name: "kratos (sqlite)",
                dialect: Dialect::Sqlite,
                versions: popx(&root.join("kratos/migrations"), "sqlite3"),
                setup: "",
            },
        ),
        (
            "mysql",
            History {
                name: "kratos (mysql)",
                dialect: Dialect::MySql,
                versions: popx(&root.join("kratos/migrations"), "mysql"),
                setup: "",
            },
        ),
    ];
    all.into_iter()
        .filter(|(s, _)| *s == server)
        .map(|(_, h)| h)
        .collect()
}

#[derive(Default)]
struct Tally {
    revisions: usize,
    objects: usize,
    mismatches: BTreeSet<String>,
    unknown: usize,
    false_errors: Vec<String>,
    refused: Vec<String>,
}

async fn run(db: &TestDb, history: &History) -> Tally {
    let mut tally = Tally::default();
    if !history.setup.is_empty() {
        db.exec(history.setup).await;
    }
    let mut model = Schema::new(history.dialect);
    // The setup is part of the database the history starts from.
    if !history.setup.is_empty() {
        let setup = compile_revision("setup", "none", history.setup, true, history.dialect)
            .expect("setup compiles");
        for statement in setup.upgrade.iter().flat_map(|s| &s.statements) {
            model.apply(statement, &setup.source);
        }
    }
    let mut parent = "none".to_string();
    for (i, version) in history.versions.iter().enumerate() {
        if only_comments(&version.up) {
            continue;
        }
        let id = format!("v{i:04}");
        let revision = compile_revision(
            &id,
            &parent,
            &version.up,
            version.up_transactional,
            history.dialect,
        )
        .unwrap_or_else(|e| panic!("{} {id} does not compile: {e:#?}", history.name));
        let s = step(&db.db, &mut model, &revision, Compare::for_kind(db.kind)).await;
        tally.revisions += 1;
        tally.objects += s.comparison.compared;
        tally.unknown = s.comparison.unknown;
        tally.false_errors.extend(
            s.false_errors
                .iter()
                .map(|e| format!("{} ({}): {e}", version.name, id)),
        );
        tally.refused.extend(s.server_errors.iter().cloned());
        for m in s.comparison.mismatches {
            tally
                .mismatches
                .insert(format!("{}: {}", m.object, m.detail));
        }
        parent = id;
    }
    tally
}

fn check(history: &History, tally: &Tally) -> Vec<String> {
    let mut failures = Vec::new();
    for e in &tally.false_errors {
        failures.push(format!("{}: false model error: {e}", history.name));
    }
    for m in &tally.mismatches {
        let known = KNOWN
            .iter()
            .any(|(h, prefix, _)| *h == history.name && m.starts_with(prefix));
        if !known {
            failures.push(format!("{}: mismatch: {m}", history.name));
        }
    }
    for r in &tally.refused {
        let known = REFUSED
            .iter()
            .any(|(h, fragment, _)| *h == history.name && r.contains(fragment));
        if !known {
            failures.push(format!("{}: refused: {r}", history.name));
        }
    }
    failures
}

fn row(history: &History, tally: &Tally) -> String {
    format!(
        "| {} | {} | {} | {} | {} |",
        history.name,
        tally.revisions,
        tally.objects,
        tally.mismatches.len(),
        tally.unknown
    )
}

async fn fidelity(server: &str) {
    if !Path::new(CORPUS).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {CORPUS} is missing"
        );
        println!("skipped: {CORPUS} not found");
        return;
    }
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for history in histories(server) {
        let db = match server {
            "postgres" => TestDb::postgres(history.name).await,
            "mysql" => TestDb::mysql(history.name).await,
            _ => Some(TestDb::sqlite().await),
        };
        let Some(db) = db else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the {server} server is not configured"
            );
            return;
        };
        let tally = run(&db, &history).await;
        rows.push(row(&history, &tally));
        failures.extend(check(&history, &tally));
        db.drop_database().await;
    }
    println!(
        "| history | revisions compared | objects compared | mismatches | unknown at the end |"
    );
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn model_follows_postgres_on_every_corpus_history() {
    fidelity("postgres").await;
}

// Not yet green, so not in CI: kratos's SQLite history is refused by a fresh
// SQLite from version 634 on (README, "Schema model fidelity").
#[tokio::test]
#[ignore = "kratos (sqlite) diverges from version 634 on; see README"]
async fn model_follows_sqlite_on_every_corpus_history() {
    fidelity("sqlite").await;
}

// Not yet green and slow (MariaDB's DDL: about 7 minutes): check
// constraints and unique keys the model does not know yet (README).
#[tokio::test]
#[ignore = "slow; MariaDB check constraints and two refused statements; see README"]
async fn model_follows_mariadb_on_every_corpus_history() {
    fidelity("mysql").await;
}
