//! `cargo migrate revision --autogenerate` through the binary, on SQLite:
//! the guide's loop (declare, autogenerate, upgrade), `--check`, `--format
//! json`, nothing to do, a declared schema that is not declarations, and
//! the downgrade of what it wrote.

use std::path::Path;
use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cargo_migrate(dir: &Path, url: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .arg("migrate")
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-migrate runs");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(out: Output, what: &str) -> Output {
    assert_eq!(
        out.code, 0,
        "{what} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    out
}

fn revisions(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .expect("migrations listed")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql") && n != "schema.sql")
        .collect();
    names.sort();
    names
}

fn columns(db: &Path, table: &str) -> Vec<String> {
    use sqlx::Connection as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("database opens");
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(&mut conn)
        .await
        .expect("columns read");
        rows.into_iter().map(|(name,)| name).collect()
    })
}

#[test]
fn autogenerate_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let db = dir.join("app.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    ok(
        cargo_migrate(dir, &url, &["init", "migrations", "--dialect", "sqlite"]),
        "init",
    );
    let schema = dir.join("migrations/schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL);\n",
    )
    .expect("schema written");

    // --check: the history (empty) differs from the declared schema.
    let check = cargo_migrate(
        dir,
        &url,
        &["revision", "--autogenerate", "--check", "-m", "x"],
    );
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("CREATE TABLE users"),
        "{}",
        check.stdout
    );
    assert!(revisions(dir).is_empty(), "--check wrote a file");

    let first = ok(
        cargo_migrate(
            dir,
            &url,
            &["revision", "--autogenerate", "-m", "create users and posts"],
        ),
        "autogenerate",
    );
    let written = first.stdout.trim().to_string();
    assert!(
        written.ends_with("_create_users_and_posts.sql"),
        "{written}"
    );
    let text = std::fs::read_to_string(dir.join(&written)).expect("revision read");
    // Referenced before referencing; dropped in the reverse order.
    let users = text.find("CREATE TABLE users").expect("users created");
    let posts = text.find("CREATE TABLE posts").expect("posts created");
    assert!(users < posts, "{text}");
    let drop_posts = text.find("DROP TABLE posts").expect("posts dropped");
    let drop_users = text.find("DROP TABLE users").expect("users dropped");
    assert!(drop_posts < drop_users, "{text}");
    ok(cargo_migrate(dir, &url, &["upgrade", "head"]), "upgrade");
    assert_eq!(columns(&db, "posts"), ["id", "author_id", "title"]);

    // Nothing to do: says so, writes nothing, exits 0.
    let none = ok(
        cargo_migrate(dir, &url, &["revision", "--autogenerate", "-m", "again"]),
        "autogenerate without changes",
    );
    assert!(none.stderr.contains("no changes"), "{}", none.stderr);
    assert_eq!(revisions(dir).len(), 1);
    ok(
        cargo_migrate(
            dir,
            &url,
            &["revision", "--autogenerate", "--check", "-m", "x"],
        ),
        "--check without changes",
    );

    // The guide's example: add a column and an index.
    std::fs::write(
        &schema,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL, published_at TEXT);\n\
         CREATE INDEX idx_posts_published_at ON posts (published_at);\n",
    )
    .expect("schema written");
    let second = ok(
        cargo_migrate(
            dir,
            &url,
            &[
                "revision",
                "--autogenerate",
                "-m",
                "add published_at",
                "--format",
                "json",
            ],
        ),
        "autogenerate json",
    );
    let doc: serde_json::Value = serde_json::from_str(&second.stdout).expect("one JSON document");
    assert_eq!(doc["changes"], true);
    let path = doc["path"].as_str().expect("path").to_string();
    let reviews = doc["reviews"].as_array().expect("reviews");
    assert!(
        reviews.iter().any(|r| r["section"] == "downgrade"
            && r["statement"]
                .as_str()
                .is_some_and(|s| s.contains("DROP COLUMN published_at"))),
        "{reviews:?}"
    );
    assert!(
        reviews.iter().all(|r| r["section"] == "downgrade"),
        "{reviews:?}"
    );
    // The file compiles with the build's own pipeline.
    ok(cargo_migrate(dir, &url, &["lint"]), "lint");
    ok(cargo_migrate(dir, &url, &["upgrade", "head"]), "upgrade");
    assert_eq!(
        columns(&db, "posts"),
        ["id", "author_id", "title", "published_at"]
    );
    let text = std::fs::read_to_string(dir.join(&path)).expect("revision read");
    assert!(
        text.contains("-- REVIEW: drops column posts.published_at"),
        "{text}"
    );
    ok(cargo_migrate(dir, &url, &["downgrade", "-1"]), "downgrade");
    assert_eq!(columns(&db, "posts"), ["id", "author_id", "title"]);

    // Not a declaration: an error naming the file and line.
    std::fs::write(
        &schema,
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n\nINSERT INTO users VALUES (1);\n",
    )
    .expect("schema written");
    let bad = cargo_migrate(dir, &url, &["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(bad.code, 1, "{}\n{}", bad.stdout, bad.stderr);
    assert!(
        bad.stderr
            .contains("schema.sql:3: the declared schema holds only declarations"),
        "{}",
        bad.stderr
    );
}

/// A PostgreSQL history whose only difference with the declared schema is
/// one autogenerate does not write (a column becomes an identity): `--check`
/// fails and names it (text and `--format json`'s `unwritten`), and a plain
/// run writes no file, says why and names it. No database is opened.
#[test]
fn unwritten_differences_fail_check() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let url = "postgres://nobody@127.0.0.1:1/none";
    ok(
        cargo_migrate(dir, url, &["init", "migrations", "--dialect", "postgres"]),
        "init",
    );
    let base = ok(
        cargo_migrate(dir, url, &["revision", "-m", "base"]),
        "revision",
    );
    let path = dir.join(base.stdout.trim());
    let text = std::fs::read_to_string(&path).expect("revision read");
    let text = text
        .replace(
            "-- Write the upgrade statements here, each ending in `;`.",
            "CREATE TABLE t (id INT NOT NULL, v INT);",
        )
        .replace(
            "-- Write the statements that undo them, in the order they must run.",
            "DROP TABLE t;",
        );
    std::fs::write(&path, text).expect("revision written");
    std::fs::write(
        dir.join("migrations/schema.sql"),
        "CREATE TABLE t (id INT GENERATED ALWAYS AS IDENTITY, v INT);\n",
    )
    .expect("schema written");
    let check = cargo_migrate(
        dir,
        url,
        &["revision", "--autogenerate", "--check", "-m", "x"],
    );
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check
            .stderr
            .contains("not written: column t.id changes its identity"),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("no changes"), "{}", check.stderr);
    let json = cargo_migrate(
        dir,
        url,
        &[
            "revision",
            "--autogenerate",
            "--check",
            "-m",
            "x",
            "--format",
            "json",
        ],
    );
    assert_eq!(json.code, 1, "{}\n{}", json.stdout, json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["changes"], true);
    let unwritten = doc["unwritten"].as_array().expect("unwritten");
    assert!(
        unwritten
            .iter()
            .any(|u| u.as_str().is_some_and(|u| u.starts_with("column t.id"))),
        "{unwritten:?}"
    );
    let plain = ok(
        cargo_migrate(dir, url, &["revision", "--autogenerate", "-m", "x"]),
        "autogenerate",
    );
    assert!(plain.stderr.contains("no file written"), "{}", plain.stderr);
    assert!(
        plain.stderr.contains("not written: column t.id"),
        "{}",
        plain.stderr
    );
    assert_eq!(revisions(dir).len(), 1);
}
