//! Every migration of the real histories in `shared/corpus/` through the
//! splitter and both parsers.
//!
//! For each history it prints how many statements sqlparser parses, how many
//! only PostgreSQL's parser accepts (feature `pg-query`), and how many
//! neither, listing the last ones by file and line. It asserts that:
//!
//! - the splitter never fails on these files;
//! - for every file that sqlparser parses whole, the splitter finds exactly
//!   as many statements as sqlparser does;
//! - with `pg-query`, "neither" holds only statements PostgreSQL itself
//!   rejects: in crates.io, the one missing `;` (and, on SQLite and MySQL,
//!   exactly the known sqlparser gaps listed in `KNOWN_REJECTED`).
//!
//! Run with `cargo test -p migrate-build --test corpus -- --nocapture`
//! (add `--features pg-query` for the second column).

#[path = "support/readme.rs"]
mod readme;

use std::path::{Path, PathBuf};

use migrate_build::config::Dialect;
use migrate_build::parse::{pg_query_check, sqlparser_one, PG_QUERY_ENABLED};
use migrate_build::split::split_sql;

/// A history: which files, parsed with which dialect.
struct History {
    name: &'static str,
    dir: &'static str,
    dialect: Dialect,
    /// Selects the files of this history by name.
    select: fn(&str) -> bool,
}

fn is_up_or_down(name: &str) -> bool {
    name == "up.sql" || name == "down.sql"
}

fn is_flat_up_or_down(name: &str) -> bool {
    name.ends_with(".up.sql") || name.ends_with(".down.sql")
}

/// kratos: `<version>_<name>.<dialect>[.autocommit].<up|down>.sql`.
fn kratos_dialect(name: &str) -> Option<&str> {
    let stem = name
        .strip_suffix(".up.sql")
        .or_else(|| name.strip_suffix(".down.sql"))?;
    let stem = stem.strip_suffix(".autocommit").unwrap_or(stem);
    let (_, rest) = stem.split_once('.')?;
    Some(rest)
}

const HISTORIES: &[History] = &[
    History {
        name: "crates.io",
        dir: "crates-io/migrations",
        dialect: Dialect::Postgres,
        select: is_up_or_down,
    },
    History {
        name: "docs.rs",
        dir: "docs-rs/migrations",
        dialect: Dialect::Postgres,
        select: is_flat_up_or_down,
    },
    History {
        name: "chirpstack (postgres)",
        dir: "chirpstack/migrations_postgres",
        dialect: Dialect::Postgres,
        select: is_up_or_down,
    },
    History {
        name: "chirpstack (sqlite)",
        dir: "chirpstack/migrations_sqlite",
        dialect: Dialect::Sqlite,
        select: is_up_or_down,
    },
    History {
        name: "kratos (postgres)",
        dir: "kratos/migrations",
        dialect: Dialect::Postgres,
        select: |name| kratos_dialect(name) == Some("postgres"),
    },
    History {
        name: "kratos (mysql)",
        dir: "kratos/migrations",
        dialect: Dialect::MySql,
        select: |name| kratos_dialect(name) == Some("mysql"),
    },
    History {
        name: "kratos (sqlite)",
        dir: "kratos/migrations",
        dialect: Dialect::Sqlite,
        select: |name| matches!(kratos_dialect(name), Some("sqlite3" | "sqlite")),
    },
];

/// The statements no parser here accepts, by history. On PostgreSQL, only
/// one that PostgreSQL rejects too: crates.io's down migration that lacks a
/// `;` between two statements. On SQLite and MySQL, where no second parser
/// exists, valid statements sqlparser 0.64 does not know: SQLite's
/// `pragma foreign_keys = off|on` and MySQL's `MODIFY COLUMN ... BINARY`
/// (users mark such statements `-- migrate:unchecked -- <reason>`). Kept
/// exact, so that a splitter change that breaks a statement shows here.
const KNOWN_REJECTED: &[(&str, &str)] = &[
    (
        "crates.io",
        "crates-io/migrations/20170318181441_downloads_need_no_id/down.sql:1",
    ),
    (
        "chirpstack (sqlite)",
        "chirpstack/migrations_sqlite/2025-12-08-135428-0000_refactor_device_profiles/down.sql:9",
    ),
    (
        "chirpstack (sqlite)",
        "chirpstack/migrations_sqlite/2025-12-08-135428-0000_refactor_device_profiles/down.sql:44",
    ),
    (
        "kratos (mysql)",
        "kratos/migrations/20191100000005000000_identities.mysql.up.sql:1",
    ),
    (
        "kratos (mysql)",
        "kratos/migrations/20191100000009000000_verification.mysql.up.sql:1",
    ),
    (
        "kratos (mysql)",
        "kratos/migrations/20200519101058000000_create_recovery_addresses.mysql.up.sql:1",
    ),
    (
        "kratos (mysql)",
        "kratos/migrations/20200601101001000000_verification.mysql.up.sql:1",
    ),
    (
        "kratos (mysql)",
        "kratos/migrations/20200601101001000001_verification.mysql.down.sql:1",
    ),
];

#[derive(Default)]
struct Counts {
    files: usize,
    statements: usize,
    sqlparser: usize,
    pg_query_only: usize,
    /// `file:line: first line of the statement` for each pg_query-only one.
    pg_query_only_places: Vec<String>,
    neither: Vec<String>,
    /// Files sqlparser parses whole, where both counts were compared.
    compared_files: usize,
    count_mismatches: Vec<String>,
    split_failures: Vec<String>,
}

fn files_of(root: &Path, history: &History) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root.join(history.dir))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_str().is_some_and(history.select))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn run(root: &Path, history: &History) -> Counts {
    let mut counts = Counts::default();
    for path in files_of(root, history) {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("corpus files are UTF-8");
        counts.files += 1;
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
            counts.compared_files += 1;
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
fn corpus() {
    // Beside the checkout, or where this workplace keeps it (a git worktree
    // lives elsewhere); under CI a missing corpus is a failure, not a skip.
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let Some(root) = [beside.as_path(), Path::new("/work/shared/corpus")]
        .into_iter()
        .find(|path| path.is_dir())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but there is no corpus at {}",
            beside.display()
        );
        println!("skipped: no corpus at {}", beside.display());
        return;
    };
    println!(
        "pg-query feature: {}",
        if PG_QUERY_ENABLED { "on" } else { "off" }
    );
    let mut table = String::from(
        "| history | dialect | files | statements | sqlparser | pg_query only | neither |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut failures = Vec::new();
    for history in HISTORIES {
        let counts = run(root, history);
        let pg_column = if history.dialect == Dialect::Postgres && PG_QUERY_ENABLED {
            counts.pg_query_only.to_string()
        } else {
            "n/a".to_string()
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            history.name,
            history.dialect.name(),
            counts.files,
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
        assert!(counts.files > 0, "{}: no files selected", history.name);
        assert!(
            counts.compared_files > 0,
            "{}: sqlparser parsed no file whole",
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
