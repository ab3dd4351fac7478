//! Every script of the real histories in `shared/corpus/`, as `cargo migrate
//! import` reads them, through the splitter and both parsers.
//!
//! Each history is read by the importer's own reader for its tool
//! (`migrate_cli::cmd::import::read_source`: diesel, sqlx, pop with the
//! dialect's files picked over the generic ones), so the scripts are exactly
//! those an import compiles. For each history it prints how many statements
//! sqlparser parses, how many only PostgreSQL's parser accepts (feature
//! `pg-query`), and how many neither, listing the last ones by script and
//! line. It asserts that:
//!
//! - the splitter never fails on these scripts;
//! - for every script that sqlparser parses whole, the splitter finds
//!   exactly as many statements as sqlparser does;
//! - with `pg-query`, "neither" holds only statements PostgreSQL itself
//!   rejects: in crates.io, the one missing `;` (and, on SQLite and MySQL,
//!   exactly the known sqlparser gaps listed in `KNOWN_REJECTED`);
//! - README.md holds the printed table (with `pg-query`, as CI builds).
//!
//! Run with `cargo test -p migrate-cli --features pg-query --test corpus -- --nocapture`.

mod support;

use migrate_build::config::Dialect;
use migrate_build::parse::{pg_query_check, sqlparser_one, PG_QUERY_ENABLED};
use migrate_build::split::split_sql;
use migrate_cli::cmd::import::{read_source, SourceTool};
use support::{corpus, readme};

/// A history: which importer reads it, with which dialect.
struct History {
    name: &'static str,
    dir: &'static str,
    tool: SourceTool,
    dialect: Dialect,
}

const HISTORIES: &[History] = &[
    History {
        name: "crates.io",
        dir: "crates-io/migrations",
        tool: SourceTool::Diesel,
        dialect: Dialect::Postgres,
    },
    History {
        name: "docs.rs",
        dir: "docs-rs/migrations",
        tool: SourceTool::Sqlx,
        dialect: Dialect::Postgres,
    },
    History {
        name: "chirpstack (postgres)",
        dir: "chirpstack/migrations_postgres",
        tool: SourceTool::Diesel,
        dialect: Dialect::Postgres,
    },
    History {
        name: "chirpstack (sqlite)",
        dir: "chirpstack/migrations_sqlite",
        tool: SourceTool::Diesel,
        dialect: Dialect::Sqlite,
    },
    History {
        name: "kratos (postgres)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::Postgres,
    },
    History {
        name: "kratos (mysql)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::MySql,
    },
    History {
        name: "kratos (sqlite)",
        dir: "kratos/migrations",
        tool: SourceTool::Pop,
        dialect: Dialect::Sqlite,
    },
];

/// The statements no parser here accepts, by history, as `<source
/// migration> <up|down>:<line>`. On PostgreSQL, only one that PostgreSQL
/// rejects too: crates.io's down migration that lacks a `;` between two
/// statements. On SQLite and MySQL, where no second parser exists, valid
/// statements sqlparser 0.64 does not know: SQLite's `pragma foreign_keys =
/// off|on` and MySQL's `MODIFY COLUMN ... BINARY` (the importer marks such
/// statements `-- migrate:unchecked` with `--mark-unchecked`). Kept exact,
/// so that a splitter change that breaks a statement shows here.
const KNOWN_REJECTED: &[(&str, &str)] = &[
    ("crates.io", "20170318181441_downloads_need_no_id down:1"),
    (
        "chirpstack (sqlite)",
        "2025-12-08-135428-0000_refactor_device_profiles down:9",
    ),
    (
        "chirpstack (sqlite)",
        "2025-12-08-135428-0000_refactor_device_profiles down:44",
    ),
    ("kratos (mysql)", "20191100000005000000_identities up:1"),
    ("kratos (mysql)", "20191100000009000000_verification up:1"),
    (
        "kratos (mysql)",
        "20200519101058000000_create_recovery_addresses up:1",
    ),
    ("kratos (mysql)", "20200601101001000000_verification up:1"),
    ("kratos (mysql)", "20200601101001000001_verification down:1"),
];

#[derive(Default)]
struct Counts {
    scripts: usize,
    statements: usize,
    sqlparser: usize,
    pg_query_only: usize,
    /// `script:line: first line of the statement` for each pg_query-only one.
    pg_query_only_places: Vec<String>,
    neither: Vec<String>,
    /// Scripts sqlparser parses whole, where both counts were compared.
    compared_scripts: usize,
    count_mismatches: Vec<String>,
    split_failures: Vec<String>,
}

/// The history's scripts as the importer reads them: `(<source migration>
/// <up|down>, SQL)`, in the order the tool applies them (an up script pop
/// lacks reads as empty).
fn scripts(history: &History) -> Vec<(String, String)> {
    let dir = corpus(history.dir).expect("the corpus was found");
    let (migrations, _) = read_source(history.tool, &dir, history.dialect)
        .unwrap_or_else(|e| panic!("{}: {e:#}", history.name));
    let mut out = Vec::new();
    for migration in migrations {
        for (kind, script) in [
            ("up", Some(&migration.up)),
            ("down", migration.down.as_ref()),
        ] {
            if let Some(script) = script {
                out.push((format!("{} {kind}", migration.origin), script.sql.clone()));
            }
        }
    }
    out
}

fn run(history: &History) -> Counts {
    let mut counts = Counts::default();
    for (shown, text) in scripts(history) {
        counts.scripts += 1;
        let statements = match split_sql(&text, history.dialect) {
            Ok(statements) => statements,
            Err(diagnostics) => {
                counts
                    .split_failures
                    .push(format!("{shown}: {}", diagnostics[0].message));
                continue;
            }
        };
        if let Ok(whole) = sqlparser::parser::Parser::parse_sql(
            migrate_build::config::sqlparser_dialect(history.dialect),
            &text,
        ) {
            counts.compared_scripts += 1;
            if whole.len() != statements.len() {
                counts.count_mismatches.push(format!(
                    "{shown}: splitter {} statements, sqlparser {}",
                    statements.len(),
                    whole.len()
                ));
            }
        }
        for statement in statements {
            counts.statements += 1;
            let sql = &text[statement.span.clone()];
            if sqlparser_one(statement.tokens, history.dialect).is_ok() {
                counts.sqlparser += 1;
                continue;
            }
            let pg = if history.dialect == Dialect::Postgres {
                pg_query_check(sql)
            } else {
                None
            };
            match pg {
                Some(migrate_build::parse::PgQuery::Accepted) => {
                    counts.pg_query_only += 1;
                    counts.pg_query_only_places.push(format!(
                        "{shown}:{}: {}",
                        statement.line,
                        sql.lines().next().unwrap_or("")
                    ));
                }
                _ => counts.neither.push(format!("{shown}:{}", statement.line)),
            }
        }
    }
    counts
}

#[test]
fn corpus_parse_table() {
    if support::corpus("kratos").is_none() {
        return;
    }
    println!(
        "pg-query feature: {}",
        if PG_QUERY_ENABLED { "on" } else { "off" }
    );
    let mut table = String::from(
        "| history | dialect | scripts | statements | sqlparser | pg_query only | neither |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut failures = Vec::new();
    for history in HISTORIES {
        let counts = run(history);
        let pg_column = if history.dialect == Dialect::Postgres && PG_QUERY_ENABLED {
            counts.pg_query_only.to_string()
        } else {
            "n/a".to_string()
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            history.name,
            history.dialect.name(),
            counts.scripts,
            counts.statements,
            counts.sqlparser,
            pg_column,
            counts.neither.len()
        ));
        for place in &counts.pg_query_only_places {
            println!("    pg_query only: {place}");
        }
        for place in &counts.neither {
            println!("    neither: {place}");
        }
        assert!(counts.scripts > 0, "{}: no scripts read", history.name);
        assert!(
            counts.compared_scripts > 0,
            "{}: sqlparser parsed no script whole",
            history.name
        );
        failures.extend(counts.split_failures.iter().cloned());
        failures.extend(counts.count_mismatches.iter().cloned());
        // Without pg_query, PostgreSQL histories also list what only
        // PostgreSQL accepts, so the exact list is checked only with it.
        if history.dialect != Dialect::Postgres || PG_QUERY_ENABLED {
            let expected: Vec<&str> = KNOWN_REJECTED
                .iter()
                .filter(|(name, _)| *name == history.name)
                .map(|(_, place)| *place)
                .collect();
            if counts.neither != expected {
                failures.push(format!(
                    "{}: rejected by both parsers: {:?}, expected {:?}",
                    history.name, counts.neither, expected
                ));
            }
        }
    }
    println!("{table}");
    assert!(failures.is_empty(), "{failures:#?}");
    // The README's table is the one with PostgreSQL's parser (CI builds
    // with every feature); without it, the pg_query column reads n/a.
    if PG_QUERY_ENABLED {
        readme::assert_readme_holds("corpus parse table", &table);
    } else {
        println!("README's corpus table not compared: it needs the pg-query feature");
    }
}
