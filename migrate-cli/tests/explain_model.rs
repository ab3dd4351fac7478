//! `cargo migrate lint --explain-model <revision>`: the schema model the
//! checks hold after a revision, as text (insta snapshot) and JSON, with
//! the objects a statement the model could not follow made uncertain
//! marked by that statement; and the `uncertain-object` warning `lint`
//! gives when a check on such an object stays silent.

use std::path::Path;
use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cargo_migrate(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .arg("migrate")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-migrate runs");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let output = cargo_migrate(dir, args);
    assert_eq!(
        output.code, 0,
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        output.stdout, output.stderr
    );
    output
}

/// A PostgreSQL project of three revisions made with `revision`, the
/// second running a statement the model cannot follow that names `posts`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("write Cargo.toml");
    ok(dir.path(), &["init", "--dialect", "postgres"]);
    let revisions = [
        (
            "aaaa00000001",
            "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n\
             CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id) ON DELETE CASCADE, title text);\n\
             CREATE INDEX ON posts (user_id);\n\
             CREATE INDEX users_email_hash ON users USING hash (email) WHERE id > 0;\n\
             CREATE INDEX users_email_odd ON users (lower(email)) WHERE email ~ '^a' OR id IN (1, 2);\n\
             CREATE VIEW recent AS SELECT id, title FROM posts;\n\
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
            "DROP VIEW recent;\nDROP TABLE posts;\nDROP TABLE users;\nDROP FUNCTION touch();",
        ),
        (
            "bbbb00000002",
            "-- migrate:unchecked -- the vendor's script reshapes posts\n\
             SELECT vendor_reshape('posts');",
            "SELECT 1;",
        ),
        (
            "cccc00000003",
            "ALTER TABLE posts ADD COLUMN title text;",
            "ALTER TABLE posts DROP COLUMN title;",
        ),
    ];
    for (id, up, down) in revisions {
        let output = ok(dir.path(), &["revision", "-m", "step", "--rev-id", id]);
        let file = dir.path().join(output.stdout.trim());
        let text = std::fs::read_to_string(&file).expect("the printed path exists");
        let header_end = text.find("-- migrate:upgrade").expect("an upgrade section");
        std::fs::write(
            &file,
            format!(
                "{}-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n",
                &text[..header_end]
            ),
        )
        .expect("write SQL");
    }
    ok(dir.path(), &["lock"]);
    dir
}

#[test]
fn explain_model_prints_the_model_with_uncertain_objects_marked() {
    let dir = project();
    let dir = dir.path();

    // Before the unchecked statement: every object certain.
    let first = ok(dir, &["lint", "--explain-model", "aaaa"]);
    assert!(!first.stdout.contains("uncertain:"), "{}", first.stdout);
    assert!(first
        .stdout
        .contains("index posts_user_id_idx on posts using btree (user_id)"));

    let after = ok(dir, &["lint", "--explain-model", "bbbb00000002"]);
    insta::assert_snapshot!("explain_model_text", after.stdout);

    let json = ok(
        dir,
        &["lint", "--explain-model", "head", "--format", "json"],
    );
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(value["revision"], "cccc00000003");
    assert_eq!(value["dialect"], "postgres");
    let objects = value["objects"].as_array().expect("objects");
    let find = |kind: &str, name: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {value:#}"))
    };
    let cause = "revision bbbb00000002: `SELECT vendor_reshape('posts')`";
    assert_eq!(find("table", "posts")["uncertain"], cause);
    // What reads posts goes with it.
    assert_eq!(find("view", "recent")["uncertain"], cause);
    assert_eq!(find("table", "users")["uncertain"], serde_json::Value::Null);
    assert_eq!(find("table", "users")["columns"][0]["name"], "id");
    assert_eq!(find("sequence", "users_id_seq")["owned_by"], "users.id");
    // Foreign key actions, index methods and WHEREs, functions and
    // triggers; what the model does not know is said so.
    let fk = &find("table", "posts")["constraints"]
        .as_array()
        .expect("constraints")
        .iter()
        .find(|c| c["kind"] == "foreign key")
        .expect("a foreign key")["actions"];
    assert_eq!(fk["on_delete"], "cascade");
    assert_eq!(fk["on_update"], "no action");
    let hash = find("index", "users_email_hash");
    assert_eq!(hash["method"], "hash");
    assert_eq!(hash["predicate"]["known"], true);
    assert_eq!(hash["predicate"]["where"], "(id > 0)");
    let odd = find("index", "users_email_odd");
    assert_eq!(odd["predicate"]["known"], false);
    assert_eq!(
        find("index", "users_pkey")["predicate"]["where"],
        serde_json::Value::Null
    );
    assert_eq!(find("function", "touch")["signatures"][0], "");
    assert_eq!(find("trigger", "users.users_touch")["function"], "touch");

    // `lint` warns where a check stays silent, naming the statement.
    let lint = ok(dir, &["lint"]);
    let all = format!("{}{}", lint.stdout, lint.stderr);
    assert!(
        all.contains("warning[uncertain-object]: column posts.title already exists, unless revision bbbb00000002: `SELECT vendor_reshape('posts')` changed it"),
        "{all}"
    );
}

#[test]
fn explain_model_refuses_an_unknown_revision_and_sarif() {
    let dir = project();
    let unknown = cargo_migrate(dir.path(), &["lint", "--explain-model", "ffff"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("ffff"), "{}", unknown.stderr);
    let sarif = cargo_migrate(
        dir.path(),
        &["lint", "--explain-model", "head", "--format", "sarif"],
    );
    assert_eq!(sarif.code, 2, "{}", sarif.stderr);
}
