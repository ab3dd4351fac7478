//! `cargo migrate revision --autogenerate --from-database` through the
//! binary, on SQLite, PostgreSQL and MariaDB: a database made by hand (never by this
//! tool), a declared schema that differs from it in every object kind; the
//! written revision, applied, leaves the database's catalog equal to the
//! declared schema applied to an empty database, and its downgrade restores
//! the catalog as it was (both compared with `migrate-introspect`, and the
//! server's own text of every index and view).

mod support;

use std::collections::BTreeSet;

use migrate_introspect::Catalog;
use migrate_test_support::{drop_database, fresh_database, server_url};
use support::{cargo_migrate, Run};

/// Runs SQL on the database by hand (not through the tool).
fn by_hand(url: &str, sql: &str) {
    migrate_test_support::block_on(async {
        let db = migrate_runtime::MigrateConnection::connect(url)
            .await
            .expect("connects");
        let result = match &db {
            migrate_runtime::MigrateConnection::Sqlite(pool) => {
                sqlx::raw_sql(sql).execute(pool).await.map(drop)
            }
            migrate_runtime::MigrateConnection::Postgres(pool) => {
                sqlx::raw_sql(sql).execute(pool).await.map(drop)
            }
            migrate_runtime::MigrateConnection::MySql(pool) => {
                sqlx::raw_sql(sql).execute(pool).await.map(drop)
            }
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
        db.close().await;
    })
}

/// The catalog without the tool's tables, and the server's text of each
/// index and view (the catalog compares their columns, not their text).
fn state(url: &str) -> (Catalog, BTreeSet<String>) {
    migrate_test_support::block_on(async {
        let db = migrate_runtime::MigrateConnection::connect(url)
            .await
            .expect("connects");
        let skip = migrate_introspect::version_tables("migrate_version");
        let mut catalog = migrate_introspect::introspect(&db).await.expect("catalog");
        migrate_introspect::remove_version_tables(&mut catalog, "migrate_version");
        let texts = migrate_introspect::definitions(&db, &skip)
            .await
            .expect("definitions")
            .into_iter()
            .filter(|(object, _)| object.starts_with("index") || object.starts_with("view"))
            .map(|(_, sql)| sql.trim().to_string())
            .collect();
        db.close().await;
        (catalog, texts)
    })
}

fn same(a: &(Catalog, BTreeSet<String>), b: &(Catalog, BTreeSet<String>), what: &str) {
    let differences = migrate_introspect::catalog_differences(&a.0, &b.0);
    assert!(differences.is_empty(), "{what}: {differences:#?}");
    assert_eq!(a.1, b.1, "{what}: the server's text of indexes and views");
}

/// The number of revision files in `dir`'s migrations directory.
fn revisions(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("migrations"))
        .expect("migrations directory")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.ends_with(".sql") && name != "schema.sql"
        })
        .count()
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(
        run.code, 0,
        "{what} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run
}

/// Hand-made `before`, declared `after`: autogenerate from the database,
/// upgrade, compare with `after` on `empty_url`, downgrade, compare with
/// `before`.
fn round_trip(dialect: &str, url: &str, empty_url: &str, before: &str, after: &str) -> String {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(url),
            &["init", "migrations", "--dialect", dialect],
        ),
        "init",
    );
    by_hand(url, before);
    let state_before = state(url);
    std::fs::write(dir.join("migrations/schema.sql"), after).expect("schema written");
    by_hand(empty_url, after);
    let declared = state(empty_url);

    let run = ok(
        cargo_migrate(
            dir,
            Some(url),
            &[
                "revision",
                "--autogenerate",
                "--from-database",
                "-m",
                "from db",
            ],
        ),
        "autogenerate --from-database",
    );
    let written = run.stdout.trim().to_string();
    let text = std::fs::read_to_string(dir.join(&written)).expect("revision read");
    ok(
        cargo_migrate(dir, Some(url), &["upgrade", "head"]),
        "upgrade",
    );
    same(&state(url), &declared, "after the upgrade vs schema.sql");
    ok(
        cargo_migrate(dir, Some(url), &["downgrade", "base"]),
        "downgrade",
    );
    same(&state(url), &state_before, "after the downgrade vs before");
    text
}

const SQLITE_BEFORE: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, old TEXT, score INTEGER DEFAULT 0);
CREATE TABLE legacy (id INTEGER PRIMARY KEY, payload BLOB);
CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER, body TEXT);
CREATE INDEX ix_users_old ON users (old);
CREATE INDEX ix_posts_body ON posts (lower(body)) WHERE body IS NOT NULL;
CREATE VIEW recent AS SELECT id, body FROM posts;
INSERT INTO users (id, email, old) VALUES (1, 'a@example.com', 'x');
";

const SQLITE_AFTER: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, score INTEGER DEFAULT 1, name TEXT DEFAULT 'anon');
CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES users (id) ON DELETE CASCADE, body TEXT, CHECK (length(body) < 1000));
CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE UNIQUE INDEX ix_tags_label ON tags (label);
CREATE INDEX ix_posts_body ON posts (lower(body)) WHERE body IS NOT NULL;
CREATE VIEW recent AS SELECT id, body FROM posts WHERE id > 10;
";

#[test]
fn from_database_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    let empty = format!(
        "sqlite://{}?mode=rwc",
        tmp.path().join("empty.db").display()
    );
    let text = round_trip("sqlite", &url, &empty, SQLITE_BEFORE, SQLITE_AFTER);
    // The database's objects are dropped and re-created from its own text.
    assert!(text.contains("DROP TABLE legacy"), "{text}");
    assert!(text.contains("CREATE TABLE legacy"), "{text}");
    assert!(text.contains("CREATE INDEX ix_users_old"), "{text}");
}

const PG_BEFORE: &str = "
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE SEQUENCE counter INCREMENT BY 2 MAXVALUE 500;
CREATE TABLE users (id serial PRIMARY KEY, email varchar(200) NOT NULL, old text, feeling mood DEFAULT 'happy',
    n bigint GENERATED ALWAYS AS IDENTITY, c int DEFAULT nextval('counter'), CHECK (length(email) > 3));
CREATE TABLE legacy (id bigserial PRIMARY KEY, payload jsonb DEFAULT '{}', at timestamptz DEFAULT now());
CREATE TABLE posts (id bigserial PRIMARY KEY, author int, body text);
CREATE INDEX ix_users_old ON users (old);
CREATE INDEX ix_posts_body ON posts USING hash (body);
CREATE VIEW recent AS SELECT id, body FROM posts;
CREATE MATERIALIZED VIEW counts AS SELECT author, count(*) AS n FROM posts GROUP BY author;
INSERT INTO users (email) VALUES ('someone@example.com');
COMMENT ON TABLE users IS 'people';
COMMENT ON COLUMN users.old IS 'kept for now';
";

const PG_AFTER: &str = "
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TYPE color AS ENUM ('red', 'green');
CREATE SEQUENCE counter INCREMENT BY 3 CACHE 5;
CREATE TABLE users (id serial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, feeling mood DEFAULT 'sad',
    n bigint GENERATED ALWAYS AS IDENTITY, c int DEFAULT nextval('counter'), CHECK (length(email) > 3),
    name text DEFAULT 'anon');
CREATE TABLE posts (id bigserial PRIMARY KEY, author int REFERENCES users (id) ON DELETE CASCADE, body text NOT NULL DEFAULT '',
    CONSTRAINT body_short CHECK (length(body) < 1000));
CREATE TABLE tags (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label text NOT NULL);
CREATE UNIQUE INDEX ix_tags_label ON tags (lower(label));
CREATE INDEX ix_posts_body ON posts (author) WHERE body <> '';
CREATE VIEW recent AS SELECT id, body FROM posts WHERE id > 10;
CREATE MATERIALIZED VIEW counts AS SELECT author, count(*) AS n FROM posts GROUP BY author;
COMMENT ON TABLE users IS 'the people who write';
COMMENT ON COLUMN users.email IS 'where to write';
";

#[test]
fn from_database_on_postgres() {
    let Some(base) = server_url(migrate_test_support::POSTGRES, "from_database_on_postgres") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb");
    let (empty, empty_name) = fresh_database(&base, "fromdb_empty");
    let text = round_trip("postgres", &url, &empty, PG_BEFORE, PG_AFTER);
    drop_database(&base, &name);
    drop_database(&base, &empty_name);
    assert!(text.contains("DROP TABLE legacy"), "{text}");
    assert!(text.contains("CREATE TABLE legacy"), "{text}");
    assert!(text.to_lowercase().contains("bigserial"), "{text}");
    assert!(text.to_lowercase().contains("using hash"), "{text}");
    // What changes is written as declared, not as the server reprints it.
    let upgrade = text
        .split("-- migrate:downgrade")
        .next()
        .unwrap_or_default();
    assert!(upgrade.contains("CHECK (length(body) < 1000)"), "{text}");
    assert!(
        upgrade.contains("CREATE VIEW recent AS SELECT id, body FROM posts WHERE id > 10"),
        "{text}"
    );
    // Comments and a sequence's options are read and compared.
    for expected in [
        "ALTER SEQUENCE counter INCREMENT BY 3 MAXVALUE 9223372036854775807 CACHE 5;",
        "COMMENT ON TABLE users IS 'the people who write';",
        "COMMENT ON COLUMN users.email IS 'where to write';",
    ] {
        assert!(upgrade.contains(expected), "{expected}\n{text}");
    }
    assert!(
        text.contains("ALTER SEQUENCE counter INCREMENT BY 2 MAXVALUE 500 CACHE 1;"),
        "{text}"
    );
}

/// A database made by hand exactly as declared: nothing to do (`--check`
/// exits 0), although the server reprints its checks, partial indexes and
/// views (`CHECK ((length((email)::text) > 3))`).
fn nothing_to_do(dialect: &str, url: &str, declared: &str) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(url),
            &["init", "migrations", "--dialect", dialect],
        ),
        "init",
    );
    by_hand(url, declared);
    std::fs::write(dir.join("migrations/schema.sql"), declared).expect("schema written");
    let run = ok(
        cargo_migrate(
            dir,
            Some(url),
            &[
                "revision",
                "--autogenerate",
                "--from-database",
                "--check",
                "-m",
                "x",
            ],
        ),
        "autogenerate --from-database --check",
    );
    assert!(
        run.stderr
            .contains("no changes: the declared schema matches the database"),
        "{}",
        run.stderr
    );
    // One change by hand, and it is the one difference.
    by_hand(url, "CREATE TABLE extra (id int)");
    let run = cargo_migrate(
        dir,
        Some(url),
        &[
            "revision",
            "--autogenerate",
            "--from-database",
            "--check",
            "-m",
            "x",
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let upgrade = run
        .stdout
        .split("-- migrate:downgrade")
        .next()
        .unwrap_or_default();
    let statements: Vec<&str> = upgrade
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
        .collect();
    assert_eq!(statements, ["DROP TABLE extra;"], "{}", run.stdout);
}

#[test]
fn nothing_to_do_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("app.db").display());
    nothing_to_do("sqlite", &url, SQLITE_AFTER);
}

#[test]
fn nothing_to_do_on_postgres() {
    let Some(base) = server_url(migrate_test_support::POSTGRES, "nothing_to_do_on_postgres") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_same");
    nothing_to_do("postgres", &url, PG_AFTER);
    drop_database(&base, &name);
}

/// An object whose definition is not read (a domain) stops the command
/// with its name: no model is guessed without it.
#[test]
fn unread_object_is_named_on_postgres() {
    let Some(base) = server_url(
        migrate_test_support::POSTGRES,
        "unread_object_is_named_on_postgres",
    ) else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_unread");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(&url),
            &["init", "migrations", "--dialect", "postgres"],
        ),
        "init",
    );
    by_hand(
        &url,
        "CREATE DOMAIN positive AS int CHECK (VALUE > 0); CREATE TABLE t (id positive)",
    );
    std::fs::write(
        dir.join("migrations/schema.sql"),
        "CREATE TABLE t (id int);\n",
    )
    .expect("schema written");
    let run = cargo_migrate(
        dir,
        Some(&url),
        &["revision", "--autogenerate", "--from-database", "-m", "x"],
    );
    drop_database(&base, &name);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("domain public.positive"),
        "{}",
        run.stderr
    );
    assert!(std::fs::read_dir(dir.join("migrations"))
        .expect("listed")
        .filter_map(Result::ok)
        .all(|e| !e.file_name().to_string_lossy().ends_with("_x.sql")));
}

const MY_BEFORE: &str = "
CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL, old varchar(100),
    score int DEFAULT 0, CHECK (length(email) > 3)) COMMENT = 'people';
CREATE TABLE legacy (id bigint AUTO_INCREMENT PRIMARY KEY, payload text, at timestamp NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, author int, body varchar(1000));
CREATE INDEX ix_users_old ON users (old);
CREATE INDEX ix_posts_body ON posts (body(20));
CREATE VIEW recent AS SELECT id, body FROM posts;
INSERT INTO users (email) VALUES ('someone@example.com');
";

const MY_AFTER: &str = "
CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL UNIQUE COMMENT 'where to write',
    score int DEFAULT 1, name varchar(50) DEFAULT 'anon', CHECK (length(email) > 3)) COMMENT = 'the people who write';
CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, author int, body varchar(1000) NOT NULL DEFAULT '',
    CONSTRAINT fk_author FOREIGN KEY (author) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT body_short CHECK (length(body) < 1000));
CREATE TABLE tags (id int AUTO_INCREMENT PRIMARY KEY, label varchar(100) NOT NULL);
CREATE UNIQUE INDEX ix_tags_label ON tags (label);
CREATE INDEX ix_posts_body ON posts (body(30));
CREATE VIEW recent AS SELECT id, body FROM posts WHERE id > 10;
";

#[test]
fn from_database_on_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "from_database_on_mariadb") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb");
    let (empty, empty_name) = fresh_database(&base, "fromdb_empty");
    let text = round_trip("mysql", &url, &empty, MY_BEFORE, MY_AFTER);
    drop_database(&base, &name);
    drop_database(&base, &empty_name);
    // The database's own objects come back from the server's text.
    assert!(text.contains("DROP TABLE legacy"), "{text}");
    assert!(text.contains("CREATE TABLE legacy"), "{text}");
    assert!(text.contains("CREATE INDEX ix_users_old"), "{text}");
    let upgrade = text
        .split("-- migrate:downgrade")
        .next()
        .unwrap_or_default();
    // What changes is written as declared.
    assert!(
        upgrade.contains("CREATE VIEW recent AS SELECT id, body FROM posts WHERE id > 10"),
        "{text}"
    );
    assert!(upgrade.contains("COMMENT 'where to write'"), "{text}");
    // No scratch database is left behind.
    let left = migrate_test_support::block_on(async {
        let db = migrate_runtime::MigrateConnection::connect(&base)
            .await
            .expect("connects");
        let migrate_runtime::MigrateConnection::MySql(pool) = &db else {
            panic!("MariaDB")
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.schemata \
             WHERE schema_name LIKE 'migrate_autogen_canonical%'",
        )
        .fetch_one(pool)
        .await
        .expect("schemata");
        db.close().await;
        n
    });
    assert_eq!(left, 0, "a scratch database was left behind");
}

#[test]
fn nothing_to_do_on_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "nothing_to_do_on_mariadb") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_same");
    nothing_to_do("mysql", &url, MY_AFTER);
    drop_database(&base, &name);
}

/// A foreign key to a table declared nowhere, judged by MariaDB: the
/// declared schema's reader reports an error exactly when the server
/// refuses the `CREATE TABLE` (InnoDB, named or by default), and nothing
/// when it accepts it (MyISAM and MEMORY ignore foreign keys).
#[test]
fn dangling_references_judged_by_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "dangling_references_judged") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_dangling");
    let tmp = tempfile::tempdir().expect("temp dir");
    for (i, engine) in ["", " ENGINE = MyISAM", " ENGINE=InnoDB", " ENGINE = MEMORY"]
        .into_iter()
        .enumerate()
    {
        let sql = format!(
            "CREATE TABLE posts_{i} (id INT PRIMARY KEY, author INT, \
             FOREIGN KEY (author) REFERENCES authors (id)){engine}"
        );
        let server_refused = migrate_test_support::block_on(async {
            let db = migrate_runtime::MigrateConnection::connect(&url)
                .await
                .expect("connects");
            let migrate_runtime::MigrateConnection::MySql(pool) = &db else {
                panic!("a MySQL connection");
            };
            let result = sqlx::raw_sql(&sql).execute(pool).await;
            db.close().await;
            result.is_err()
        });
        let file = tmp.path().join(format!("schema_{i}.sql"));
        std::fs::write(&file, format!("{sql};\n")).expect("schema written");
        let read =
            migrate_build::autogen::read_declared(&file, migrate_build::schema::Dialect::MySql);
        let reader_refused = read.is_err_and(|errors| {
            errors
                .iter()
                .any(|e| e.severity == migrate_build::Severity::Error)
        });
        assert_eq!(
            reader_refused, server_refused,
            "{sql}: the server refused it: {server_refused}"
        );
    }
    drop_database(&base, &name);
}

/// A declared schema that names another database (the live one, by its
/// name, in a table, a foreign key and a view) is refused before anything
/// runs: each statement is named with its file, line and the name, the
/// live database is left as it was, and no revision is written.
#[test]
fn other_database_is_refused_on_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "other_database_is_refused") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_guard");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(&url),
            &["init", "migrations", "--dialect", "mysql"],
        ),
        "init",
    );
    by_hand(
        &url,
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)",
    );
    let before = state(&url);
    let declared = format!(
        "CREATE TABLE t (id int PRIMARY KEY, note varchar(10));\n\
         CREATE TABLE {name}.t2 (id int);\n\
         CREATE TABLE t3 (id int, CONSTRAINT f FOREIGN KEY (id) REFERENCES `{name}`.t (id));\n\
         -- the alias is no database\n\
         CREATE VIEW v AS SELECT a.id FROM t a JOIN {name}.t b ON a.id = b.id;\n"
    );
    std::fs::write(dir.join("migrations/schema.sql"), &declared).expect("schema written");
    let run = cargo_migrate(
        dir,
        Some(&url),
        &["revision", "--autogenerate", "--from-database", "-m", "x"],
    );
    assert_ne!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for (line, what) in [
        (2, format!("{name}.t2")),
        (3, format!("`{name}`.t")),
        (5, format!("{name}.t")),
    ] {
        let said = format!("schema.sql:{line}: `{what}` names the database");
        assert!(run.stderr.contains(&said), "{said} in:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("schema.sql:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was run"), "{}", run.stderr);
    // The live database is untouched, its row still there, no revision.
    same(&state(&url), &before, "the live database after the refusal");
    let rows = migrate_test_support::block_on(async {
        let db = migrate_runtime::MigrateConnection::connect(&url)
            .await
            .expect("connects");
        let migrate_runtime::MigrateConnection::MySql(pool) = &db else {
            panic!("MariaDB")
        };
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(pool)
            .await
            .expect("rows");
        db.close().await;
        n
    });
    assert_eq!(rows, 1);
    assert_eq!(revisions(dir), 0, "a revision was written");
    drop_database(&base, &name);
}

/// A user without the privilege to create a database: the scratch
/// database the declared schema runs in cannot be made, and autogenerate
/// refuses (the server's message, what privilege is needed), writing no
/// revision, rather than comparing the declared texts as written and
/// re-creating what the server merely prints otherwise.
#[test]
fn scratch_database_refused_on_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "scratch_database_refused") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_noscratch");
    let user = format!("mg_noscratch_{}", std::process::id());
    let hosts = ["%", "localhost", "127.0.0.1"];
    for host in hosts {
        by_hand(
            &base,
            &format!(
                "CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY 'pw';\
                 GRANT ALL ON `{name}`.* TO '{user}'@'{host}'"
            ),
        );
    }
    let scheme_end = url.find("://").expect("scheme") + 3;
    let at = url.find('@').expect("user in the URL");
    let user_url = format!("{}{user}:pw{}", &url[..scheme_end], &url[at..]);
    // The user can work in its database.
    by_hand(&user_url, MY_BEFORE);
    let before = state(&url);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(&user_url),
            &["init", "migrations", "--dialect", "mysql"],
        ),
        "init",
    );
    std::fs::write(dir.join("migrations/schema.sql"), MY_AFTER).expect("schema written");
    let run = cargo_migrate(
        dir,
        Some(&user_url),
        &["revision", "--autogenerate", "--from-database", "-m", "x"],
    );
    for host in hosts {
        by_hand(&base, &format!("DROP USER IF EXISTS '{user}'@'{host}'"));
    }
    assert_ne!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for said in [
        "the scratch database migrate_autogen_canonical_",
        "could not be created",
        "Access denied",
        "needs the CREATE and DROP privileges",
        "no revision was written",
    ] {
        assert!(run.stderr.contains(said), "{said} in:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains(":pw@"), "{}", run.stderr);
    assert_eq!(revisions(dir), 0, "a revision was written");
    same(&state(&url), &before, "the database after the refusal");
    drop_database(&base, &name);
}

/// MariaDB with `lower_case_table_names = 0` (as this server runs): two
/// tables whose names differ only in case are two tables there, while the
/// model compares names case-insensitively: autogenerate refuses, naming
/// both, instead of taking them for one; a single mixed-case table is read.
#[test]
fn names_differing_in_case_on_mariadb() {
    let Some(base) = server_url(migrate_test_support::MYSQL, "names_differing_in_case") else {
        return;
    };
    let (url, name) = fresh_database(&base, "fromdb_case");
    let sensitive = migrate_test_support::block_on(async {
        let db = migrate_runtime::MigrateConnection::connect(&url)
            .await
            .expect("connects");
        let migrate_runtime::MigrateConnection::MySql(pool) = &db else {
            panic!("MariaDB")
        };
        let n: i64 = sqlx::query_scalar("SELECT CAST(@@lower_case_table_names AS SIGNED)")
            .fetch_one(pool)
            .await
            .expect("setting");
        db.close().await;
        n == 0
    });
    assert!(sensitive, "the test needs lower_case_table_names = 0");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    ok(
        cargo_migrate(
            dir,
            Some(&url),
            &["init", "migrations", "--dialect", "mysql"],
        ),
        "init",
    );
    by_hand(&url, "CREATE TABLE Mixed (id int PRIMARY KEY)");
    std::fs::write(
        dir.join("migrations/schema.sql"),
        "CREATE TABLE Mixed (id int PRIMARY KEY);\n",
    )
    .expect("schema written");
    let args = [
        "revision",
        "--autogenerate",
        "--from-database",
        "--check",
        "-m",
        "x",
    ];
    ok(
        cargo_migrate(dir, Some(&url), &args),
        "one mixed-case table",
    );
    by_hand(&url, "CREATE TABLE mixed (id int PRIMARY KEY)");
    let run = cargo_migrate(dir, Some(&url), &args);
    assert_ne!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("tables Mixed and mixed (names that differ only in case"),
        "{}",
        run.stderr
    );
    drop_database(&base, &name);
}
