//! `cargo migrate check --drift` through the binary, on SQLite, PostgreSQL
//! and MariaDB: a database migrated by the tool has no drift; the same
//! database changed by hand (a column added, an index dropped, a default
//! changed) reports exactly those three differences and exits 1; an object
//! a statement the model cannot follow touched (an unchecked statement, a
//! `DO` block) is listed as not compared, never as drift.

mod support;

use std::path::Path;

use migrate_test_support::on_fresh_database;
use support::{cargo_migrate, Run};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Sqlite,
    Postgres,
    MySql,
}

impl Server {
    fn dialect(self) -> &'static str {
        match self {
            Server::Sqlite => "sqlite",
            Server::Postgres => "postgres",
            Server::MySql => "mysql",
        }
    }
}

/// Runs SQL on the database by hand (not through the tool).
fn by_hand(server: Server, url: &str, sql: &str) {
    use sqlx::Connection as _;
    migrate_test_support::block_on(async {
        let result = match server {
            Server::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("opens");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(drop)
            }
            Server::Postgres => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(drop)
            }
            Server::MySql => {
                let mut conn = sqlx::MySqlConnection::connect(url).await.expect("connects");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(drop)
            }
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(
        run.code, 0,
        "{what} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run
}

/// A directory with `revisions` (id, upgrade, downgrade) on `dialect`.
fn history(dir: &Path, url: &str, dialect: &str, revisions: &[(&str, &str, &str)]) {
    ok(
        cargo_migrate(
            dir,
            Some(url),
            &["init", "migrations", "--dialect", dialect],
        ),
        "init",
    );
    let mut parent = "None".to_string();
    for (id, up, down) in revisions {
        std::fs::write(
            dir.join(format!("migrations/{id}.sql")),
            format!(
                "-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n"
            ),
        )
        .expect("revision written");
        parent = id.to_string();
    }
    ok(cargo_migrate(dir, Some(url), &["lock"]), "lock");
    ok(
        cargo_migrate(dir, Some(url), &["upgrade", "head"]),
        "upgrade",
    );
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, \
                     status VARCHAR(20) DEFAULT 'active');\n\
                     CREATE INDEX ix_users_name ON users (name);";
const POSTS: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, \
                     title VARCHAR(100) NOT NULL, score INTEGER DEFAULT 0, \
                     FOREIGN KEY (user_id) REFERENCES users (id));";

/// `revisions` migrated with no drift reported, then `edits` made by hand:
/// the directory, and `check --drift`'s run, which must exit 1.
fn drifted(
    server: Server,
    url: &str,
    revisions: &[(&str, &str, &str)],
    edits: &str,
) -> (tempfile::TempDir, Run) {
    let tmp = tempfile::tempdir().expect("temp dir");
    history(tmp.path(), url, server.dialect(), revisions);
    let clean = ok(
        cargo_migrate(tmp.path(), Some(url), &["check", "--drift"]),
        "check --drift on a migrated database",
    );
    assert_eq!(clean.stdout, "", "{}", clean.stdout);
    assert!(clean.stderr.contains("no drift"), "{}", clean.stderr);
    by_hand(server, url, edits);
    let run = cargo_migrate(tmp.path(), Some(url), &["check", "--drift"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    (tmp, run)
}

/// The drift of one server: none after `upgrade`, exactly the three hand
/// edits after them. Returns the text report.
fn drift_on(server: Server, url: &str) -> String {
    let edits = match server {
        // SQLite cannot change a default in place: the table is rebuilt.
        Server::Sqlite => {
            "PRAGMA foreign_keys = OFF;\n\
             CREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER, \
                 title VARCHAR(100) NOT NULL, score INTEGER DEFAULT 1, \
                 FOREIGN KEY (user_id) REFERENCES users (id));\n\
             INSERT INTO posts_new SELECT * FROM posts;\n\
             DROP TABLE posts;\n\
             ALTER TABLE posts_new RENAME TO posts;\n\
             ALTER TABLE posts ADD COLUMN body TEXT;\n\
             DROP INDEX ix_users_name;"
        }
        Server::Postgres => {
            "ALTER TABLE posts ADD COLUMN body TEXT;\n\
             ALTER TABLE posts ALTER COLUMN score SET DEFAULT 1;\n\
             DROP INDEX ix_users_name;"
        }
        Server::MySql => {
            "ALTER TABLE posts ADD COLUMN body TEXT;\n\
             ALTER TABLE posts ALTER COLUMN score SET DEFAULT 1;\n\
             DROP INDEX ix_users_name ON users;"
        }
    };
    let (tmp, drifted) = drifted(
        server,
        url,
        &[
            ("0001", USERS, "DROP TABLE users;"),
            ("0002", POSTS, "DROP TABLE posts;"),
        ],
        edits,
    );
    let dir = tmp.path();
    let index = match server {
        Server::MySql => "index users.ix_users_name",
        _ => "index ix_users_name",
    };
    let lines: Vec<&str> = drifted.stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            format!("  {index}: in the model, not in the database"),
            "  table posts: column body: in the database, not in the model".to_string(),
            "  table posts: column score: default 0 in the model, 1 in the database".to_string(),
        ],
        "{}\n{}",
        drifted.stdout,
        drifted.stderr
    );
    assert!(
        drifted.stderr.contains("3 differences"),
        "{}",
        drifted.stderr
    );

    let json = cargo_migrate(dir, Some(url), &["check", "--drift", "--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(document["drift"], true);
    assert_eq!(document["current"], serde_json::json!(["0002"]));
    assert_eq!(document["differences"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        document["differences"][1],
        serde_json::json!({"object": "table posts", "detail": "column body: in the database, not in the model"})
    );
    drifted.stdout
}

#[test]
fn drift_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    let text = drift_on(Server::Sqlite, &url);
    insta::assert_snapshot!(text);
}

#[test]
fn drift_on_postgres() {
    on_fresh_database(
        migrate_test_support::POSTGRES,
        "drift_on_postgres",
        "drift",
        |url| {
            drift_on(Server::Postgres, url);
        },
    );
}

#[test]
fn drift_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "drift_on_mariadb",
        "drift",
        |url| {
            drift_on(Server::MySql, url);
        },
    );
}

/// A statement the model cannot follow: the object it touches is listed as
/// not compared, with the statement, even though the database has changed
/// it; nothing is reported as drift.
fn uncertain_on(server: Server, url: &str, statement: &str) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    history(
        dir,
        url,
        server.dialect(),
        &[
            ("0001", USERS, "DROP TABLE users;"),
            (
                "0002",
                "CREATE TABLE audit (id INTEGER PRIMARY KEY, note VARCHAR(20));",
                "DROP TABLE audit;",
            ),
            ("0003", statement, "SELECT 1;"),
        ],
    );
    // By hand, on the uncertain table: not drift.
    by_hand(server, url, "ALTER TABLE audit ADD COLUMN extra INTEGER;");
    let run = ok(
        cargo_migrate(dir, Some(url), &["check", "--drift"]),
        "check --drift with an uncertain table",
    );
    assert!(
        run.stdout.starts_with(
            "not compared (the history's schema model does not know them for sure):\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n  table audit: the history may have changed it: revision 0003: `"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("drift:"), "{}", run.stdout);
    let json = ok(
        cargo_migrate(dir, Some(url), &["check", "--drift", "--format", "json"]),
        "check --drift --format json",
    );
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(document["drift"], false);
    assert!(
        document["unknown"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["object"] == "table audit")),
        "{document}"
    );
    assert_eq!(document["differences"], serde_json::json!([]));
    run
}

#[test]
fn unchecked_statement_is_unknown_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    uncertain_on(
        Server::Sqlite,
        &url,
        "-- migrate:unchecked -- the model does not follow it\n\
         UPDATE audit SET note = 'x' WHERE id IN (SELECT id FROM audit);",
    );
}

#[test]
fn do_block_is_unknown_on_postgres() {
    on_fresh_database(
        migrate_test_support::POSTGRES,
        "do_block_is_unknown_on_postgres",
        "drift_do",
        |url| {
            uncertain_on(
                Server::Postgres,
                url,
                "DO $$ BEGIN ALTER TABLE audit ALTER COLUMN note TYPE VARCHAR(40); END $$;",
            );
        },
    );
}

#[test]
fn unchecked_statement_is_unknown_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "unchecked_statement_is_unknown_on_mariadb",
        "drift_unchecked",
        |url| {
            uncertain_on(
                Server::MySql,
                url,
                "-- migrate:unchecked -- the model does not follow it\n\
             UPDATE audit SET note = 'x' WHERE id IN (SELECT id FROM (SELECT id FROM audit) AS a);",
            );
        },
    );
}

/// A foreign key's `ON DELETE` changed by hand: reported as drift, with the
/// actions on both sides (`expected`, the report's line).
fn foreign_key_action_drift(server: Server, url: &str, edit: &str, expected: &[&str]) {
    let (_tmp, drifted) = drifted(
        server,
        url,
        &[
            ("0001", USERS, "DROP TABLE users;"),
            ("0002", POSTS, "DROP TABLE posts;"),
        ],
        edit,
    );
    let lines: Vec<&str> = drifted.stdout.lines().skip(1).collect();
    assert_eq!(lines, expected, "{}\n{}", drifted.stdout, drifted.stderr);
}

#[test]
fn foreign_key_action_drift_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    foreign_key_action_drift(
        Server::Sqlite,
        &url,
        "PRAGMA foreign_keys = OFF;\n\
         CREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER, \
             title VARCHAR(100) NOT NULL, score INTEGER DEFAULT 0, \
             FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE);\n\
         INSERT INTO posts_new SELECT * FROM posts;\n\
         DROP TABLE posts;\n\
         ALTER TABLE posts_new RENAME TO posts;",
        &[
            "  table posts: foreign key to users (on delete cascade, on update no action): in the database, not in the model",
            "  table posts: foreign key to users (on delete no action, on update no action): in the model, not in the database",
        ],
    );
}

#[test]
fn foreign_key_action_drift_on_postgres() {
    on_fresh_database(
        migrate_test_support::POSTGRES,
        "foreign_key_action_drift_on_postgres",
        "drift_fk",
        |url| {
            foreign_key_action_drift(
                Server::Postgres,
                url,
                "ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey, \
                 ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
                &["  table posts: foreign key posts_user_id_fkey: on delete no action, on update no action in the model, on delete cascade, on update no action in the database"],
            );
        },
    );
}

#[test]
fn foreign_key_action_drift_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "foreign_key_action_drift_on_mariadb",
        "drift_fk",
        |url| {
            foreign_key_action_drift(
                Server::MySql,
                url,
                "ALTER TABLE posts DROP FOREIGN KEY posts_ibfk_1;\n\
                 ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
                &["  table posts: foreign key posts_ibfk_1: on delete restrict, on update restrict in the model, on delete cascade, on update restrict in the database"],
            );
        },
    );
}

/// Comments and a sequence's options: none reported after `upgrade`; a
/// column's comment changed, a table's comment removed and (PostgreSQL) a
/// sequence's increment changed by hand are reported, exactly those.
fn comments_drift_on(server: Server, url: &str) -> Vec<String> {
    let (up, down, edits) = match server {
        Server::Postgres => (
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n\
             COMMENT ON TABLE notes IS 'what people wrote';\n\
             COMMENT ON COLUMN notes.body IS 'the text';\n\
             CREATE SEQUENCE ticket INCREMENT BY 5 MAXVALUE 1000 CYCLE;\n\
             CREATE TYPE pair AS (a INT, b TEXT);\n\
             CREATE FUNCTION stamp() RETURNS text LANGUAGE sql AS $$ SELECT 'v1' $$;",
            "DROP FUNCTION stamp();\nDROP TYPE pair;\nDROP SEQUENCE ticket;\nDROP TABLE notes;",
            "COMMENT ON COLUMN notes.body IS 'the text, edited';\n\
             COMMENT ON TABLE notes IS NULL;\n\
             ALTER SEQUENCE ticket INCREMENT BY 7;\n\
             CREATE OR REPLACE FUNCTION stamp() RETURNS text LANGUAGE sql AS $$ SELECT 'v2' $$;\n\
             ALTER TYPE pair ADD ATTRIBUTE c date;",
        ),
        _ => (
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT COMMENT 'the text') \
             COMMENT = 'what people wrote';",
            "DROP TABLE notes;",
            "ALTER TABLE notes MODIFY COLUMN body TEXT COMMENT 'the text, edited';\n\
             ALTER TABLE notes COMMENT = '';",
        ),
    };
    let (_tmp, drifted) = drifted(server, url, &[("0001", up, down)], edits);
    drifted.stdout.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn comments_sequence_options_functions_and_composites_drift_on_postgres() {
    on_fresh_database(
        migrate_test_support::POSTGRES,
        "comments_drift_on_postgres",
        "drift",
        |url| {
            assert_eq!(
                comments_drift_on(Server::Postgres, url),
                [
                    "  function stamp: the body of stamp() differs from the model's",
                    "  sequence ticket: options `INCREMENT BY 5` in the model, `INCREMENT BY 7` in the database",
                    "  table notes: column body: comment 'the text' in the model, 'the text, edited' in the database",
                    "  table notes: comment 'what people wrote' in the model, none in the database",
                    "  type pair: attributes (a integer, b text) in the model, (a integer, b text, c date) in the database",
                ]
            );
        },
    );
}

#[test]
fn comments_drift_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "comments_drift_on_mariadb",
        "drift",
        |url| {
            assert_eq!(
                comments_drift_on(Server::MySql, url),
                [
                    "  table notes: column body: comment 'the text' in the model, 'the text, edited' in the database",
                    "  table notes: comment 'what people wrote' in the model, none in the database",
                ]
            );
        },
    );
}

/// The texts of an expression index and a view, changed by hand (the same
/// names, another expression, another query): `check --drift` reports
/// exactly those two objects, with both texts, and exits 1; before the
/// edits (in `drifted`) the same texts compared equal: no drift. MariaDB
/// has no expression indexes (only indexes on generated columns): there
/// the view alone.
fn texts_drift_on(server: Server, url: &str) -> Vec<String> {
    let table = "CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, \
                 status VARCHAR(20));";
    let index = "CREATE INDEX ix_people_lower ON people (lower(name));";
    let view = "CREATE VIEW active_people AS SELECT id, name FROM people WHERE status = 'active';";
    let (up, edits) = match server {
        Server::Postgres => (
            format!("{table}\n{index}\n{view}"),
            "DROP INDEX ix_people_lower;\n\
             CREATE INDEX ix_people_lower ON people (upper(name));\n\
             CREATE OR REPLACE VIEW active_people AS SELECT id, name FROM people WHERE status = 'gone';",
        ),
        Server::Sqlite => (
            format!("{table}\n{index}\n{view}"),
            "DROP INDEX ix_people_lower;\n\
             CREATE INDEX ix_people_lower ON people (upper(name));\n\
             DROP VIEW active_people;\n\
             CREATE VIEW active_people AS SELECT id, name FROM people WHERE status = 'gone';",
        ),
        Server::MySql => (
            format!("{table}\n{view}"),
            "CREATE OR REPLACE VIEW active_people AS SELECT id, name FROM people WHERE status = 'gone';",
        ),
    };
    let (_tmp, drifted) = drifted(
        server,
        url,
        &[("0001", &up, "DROP VIEW active_people;\nDROP TABLE people;")],
        edits,
    );
    assert!(
        drifted.stderr.contains(match server {
            Server::MySql => "1 difference",
            _ => "2 differences",
        }),
        "{}",
        drifted.stderr
    );
    drifted.stdout.lines().skip(1).map(str::to_string).collect()
}

/// Each line is about `object` and shows `model` and `database` in it.
fn assert_text_drift(line: &str, object: &str, model: &str, database: &str) {
    assert!(line.starts_with(&format!("  {object}: text `")), "{line}");
    let (in_model, in_database) = line.split_once(" in the model").expect(line);
    assert!(in_model.contains(model), "{line}");
    assert!(in_database.contains(database), "{line}");
}

#[test]
fn texts_drift_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    let lines = texts_drift_on(Server::Sqlite, &url);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_text_drift(
        &lines[0],
        "index ix_people_lower",
        "lower(name)",
        "upper(name)",
    );
    assert_text_drift(&lines[1], "view active_people", "'active'", "'gone'");
}

#[test]
fn texts_drift_on_postgres() {
    on_fresh_database(
        migrate_test_support::POSTGRES,
        "texts_drift_on_postgres",
        "drift_texts",
        |url| {
            let lines = texts_drift_on(Server::Postgres, url);
            assert_eq!(lines.len(), 2, "{lines:#?}");
            assert_text_drift(&lines[0], "index ix_people_lower", "lower(", "upper(");
            assert_text_drift(&lines[1], "view active_people", "'active'", "'gone'");
        },
    );
}

#[test]
fn texts_drift_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "texts_drift_on_mariadb",
        "drift_texts",
        |url| {
            let lines = texts_drift_on(Server::MySql, url);
            assert_eq!(lines.len(), 1, "{lines:#?}");
            assert_text_drift(&lines[0], "view active_people", "'active'", "'gone'");
        },
    );
}

/// MariaDB reads a backslash in a string literal as an escape, and prints
/// one doubled: a check, a generated column, a default and a view whose
/// literals hold backslashes compare equal to the model's texts after
/// `upgrade` (no drift), and a view changed by hand is the one difference.
#[test]
fn texts_with_backslashes_do_not_drift_on_mariadb() {
    on_fresh_database(
        migrate_test_support::MYSQL,
        "backslashes_drift_on_mariadb",
        "drift_backslash",
        |url| {
            let up = r"CREATE TABLE paths (id INT PRIMARY KEY, p VARCHAR(50) DEFAULT 'C:\\tmp' CHECK (p <> 'a\\b'),
                g VARCHAR(60) AS (CONCAT(p, '\\x')) VIRTUAL,
                CONSTRAINT paths_dir CHECK (p NOT LIKE 'D:\\dir\\%'));
CREATE VIEW windows_paths AS SELECT id, p FROM paths WHERE p LIKE '%\\%';";
            let (_tmp, run) = drifted(
                Server::MySql,
                url,
                &[("0001", up, "DROP VIEW windows_paths;\nDROP TABLE paths;")],
                "CREATE OR REPLACE VIEW windows_paths AS SELECT id, p FROM paths WHERE p LIKE '%/%';",
            );
            assert!(
                run.stderr.contains("1 difference"),
                "{}\n{}",
                run.stdout,
                run.stderr
            );
            let lines: Vec<&str> = run.stdout.lines().skip(1).collect();
            assert_eq!(lines.len(), 1, "{lines:#?}");
            assert!(
                lines[0].starts_with("  view windows_paths: text `"),
                "{}",
                lines[0]
            );
        },
    );
}

/// SQLite folds only ASCII letters when it compares names: `"Été"` and
/// `"été"` are two tables, `"Ä"` and `"ä"` two columns of one. The history
/// compiles, upgrades, and has no drift; a column added by hand to one of
/// the two tables is reported on that one alone.
#[test]
fn sqlite_names_differing_in_non_ascii_case_are_two_objects() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    let (_dir, drifted) = drifted(
        Server::Sqlite,
        &url,
        &[(
            "0001",
            "CREATE TABLE \"Été\" (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE \"été\" (id INTEGER PRIMARY KEY, \"Ä\" INTEGER, \"ä\" TEXT);\n\
             CREATE INDEX \"Ix_Ä\" ON \"été\" (\"Ä\");\n\
             CREATE INDEX \"ix_ä\" ON \"été\" (\"ä\");",
            "DROP TABLE \"été\";\nDROP TABLE \"Été\";",
        )],
        "ALTER TABLE \"Été\" ADD COLUMN extra INTEGER;",
    );
    let lines: Vec<&str> = drifted.stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        ["  table Été: column extra: in the database, not in the model"],
        "{}\n{}",
        drifted.stdout,
        drifted.stderr
    );
}
