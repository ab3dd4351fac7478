use std::path::{Path, PathBuf};

use super::*;
use crate::config::Config;
use crate::lint::{check_with, Settings};
use crate::source::SourceFile;
use crate::Severity;

fn compile(d: Dialect, id: &str, parent: Option<&str>, body: &str) -> CompiledRevision {
    let text = format!(
        "-- revision: {id}\n-- down_revision: {}\n\n{body}",
        parent.unwrap_or("none")
    );
    let config = Config {
        dialect: d,
        ..Config::default()
    };
    let file = SourceFile {
        path: PathBuf::from(format!("migrations/{id}_x.sql")),
        text,
    };
    match crate::revision::compile_file(&file, &config) {
        Ok(r) => r,
        Err(errors) => panic!("{id} does not compile: {errors:#?}\n{}", file.text),
    }
}

fn declared(d: Dialect, sql: &str) -> Schema {
    let mut schema = Schema::new(d);
    let mut errors = Vec::new();
    declare_text(Path::new("schema.sql"), sql, &mut schema, &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    schema
}

/// The generated revision's text (header and sections) after `history`
/// (one revision's upgrade) toward `target`; checks on the way that it
/// compiles, that its only lint warnings are on `-- REVIEW:` statements,
/// that its upgrade reaches the declared model and its downgrade the
/// model at head.
pub(super) fn roundtrip(d: Dialect, history: &str, target: &str) -> String {
    let base = compile(d, "r1", None, &format!("-- migrate:upgrade\n{history}\n"));
    let head = head_schema(d, std::slice::from_ref(&base));
    let want = declared(d, target);
    let generated = generate(&head, &want);
    let body = generated.render();
    if generated.is_empty() {
        return String::new();
    }
    let revision = compile(d, "r2", Some("r1"), &body);
    let findings = check_with(&Settings::new(d), &[base.clone(), revision.clone()]);
    for finding in &findings {
        let Some(label) = finding.labels.first() else {
            continue;
        };
        if label.file != revision.file {
            continue;
        }
        assert!(
            finding.severity != Severity::Error,
            "error in the generated revision: {finding:#?}\n{body}"
        );
        let statement = revision
            .upgrade
            .iter()
            .chain(&revision.downgrade)
            .flat_map(|s| &s.statements)
            .find(|s| s.span.start <= label.span.start && label.span.start <= s.span.end);
        let reviewed = statement.is_some_and(|s| {
            s.leading_comments
                .iter()
                .any(|c| revision.source[c.clone()].contains("REVIEW:"))
        });
        assert!(
            reviewed,
            "warning {} on a statement without `-- REVIEW:`: {}\n{body}",
            finding.code, finding.message
        );
    }
    // Upgrade reaches the declared schema, downgrade comes back.
    let mut after = head.clone();
    for statement in revision.upgrade.iter().flat_map(|s| &s.statements) {
        let problems = after.apply(statement, &revision.source);
        assert!(problems.is_empty(), "{problems:?}\n{body}");
    }
    let rest = generate(&after, &want);
    assert!(
        rest.is_empty(),
        "after the upgrade, still:\n{}\n--- generated:\n{body}",
        rest.render()
    );
    let mut back = after.clone();
    for statement in revision.downgrade.iter().flat_map(|s| &s.statements) {
        let problems = back.apply(statement, &revision.source);
        assert!(problems.is_empty(), "{problems:?}\n{body}");
    }
    let rest = generate(&back, &head);
    assert!(
        rest.is_empty(),
        "after the downgrade, still:\n{}\n--- generated:\n{body}",
        rest.render()
    );
    body
}

const BLOG: &str = "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE posts (
    id BIGINT PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT
);";

#[test]
fn guide_add_a_column() {
    let target = BLOG.replace("body TEXT", "body TEXT,\n    published_at TIMESTAMPTZ");
    insta::assert_snapshot!(roundtrip(Dialect::Postgres, BLOG, &target));
}

#[test]
fn guide_add_an_index() {
    let target = format!(
        "{BLOG}\nCREATE INDEX idx_posts_title ON posts (title DESC) WHERE title IS NOT NULL;"
    );
    insta::assert_snapshot!(roundtrip(Dialect::Postgres, BLOG, &target));
}

#[test]
fn guide_renamed_table_is_drop_and_create_under_review() {
    let history = "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL);";
    let target = "CREATE TABLE accounts (id BIGINT PRIMARY KEY, email TEXT NOT NULL);";
    let body = roundtrip(Dialect::Postgres, history, target);
    assert!(body.contains("RENAME TO accounts"), "{body}");
    insta::assert_snapshot!(body);
}

/// A history that renames a referenced table, its referenced column and
/// the key's own column (kratos renames `selfservice_recovery_requests`).
const RENAMED_UNDER_A_KEY: &str = "CREATE TABLE a (id INT PRIMARY KEY);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT, CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id));
ALTER TABLE a RENAME TO a2;
ALTER TABLE a2 RENAME COLUMN id TO k;
ALTER TABLE b RENAME COLUMN a_id TO a2_k;";

/// The servers follow a rename in the foreign keys that name the table or
/// column, and so does the model's text of the key: the schema as the
/// server prints it is nothing to do, and a changed key is written (both
/// ways) with the names the tables have at head, never the old ones.
#[test]
fn a_key_follows_the_renames_of_what_it_names() {
    for d in [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql] {
        // PostgreSQL keeps the primary key's name through the rename.
        let key = if d == Dialect::Postgres {
            "CONSTRAINT a_pkey "
        } else {
            ""
        };
        let same = format!(
            "CREATE TABLE a2 (k INT, {key}PRIMARY KEY (k));
CREATE TABLE b (id INT PRIMARY KEY, a2_k INT, CONSTRAINT fk_b_a FOREIGN KEY (a2_k) REFERENCES a2 (k));"
        );
        let base = compile(
            d,
            "r1",
            None,
            &format!("-- migrate:upgrade\n{RENAMED_UNDER_A_KEY}\n"),
        );
        let head = head_schema(d, std::slice::from_ref(&base));
        let generated = generate(&head, &declared(d, &same));
        assert!(generated.is_empty(), "{d:?}: {}", generated.render());
        // The key changes: its downgrade adds the head's key again.
        let target = same.replace("a2 (k))", "a2 (k) ON DELETE CASCADE)");
        let body = roundtrip(d, RENAMED_UNDER_A_KEY, &target);
        assert!(body.contains("REFERENCES a2(k)"), "{d:?}: {body}");
        assert!(!body.contains("REFERENCES a("), "{d:?}: {body}");
    }
}

#[test]
fn nothing_to_do_is_empty() {
    for d in [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql] {
        let history = "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x');
CREATE INDEX t_name ON t (name);";
        let head = head_schema(
            d,
            &[compile(
                d,
                "r1",
                None,
                &format!("-- migrate:upgrade\n{history}\n"),
            )],
        );
        let generated = generate(&head, &declared(d, history));
        assert!(generated.is_empty(), "{d:?}: {}", generated.render());
    }
}

#[test]
fn sqlite_rebuilds_what_alter_cannot_do() {
    let history = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX t_name ON t (name);";
    let target = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE INDEX t_name ON t (name);";
    insta::assert_snapshot!(roundtrip(Dialect::Sqlite, history, target));
}

/// A rebuilt table other rows reference: `foreign_keys` off in a
/// `transaction:false` section before, the keys checked last in the
/// transaction, on again after (`rebuild_of_a_referenced_table_sqlite` in
/// `tests/tests/autogen.rs` runs it); the file compiles and lints clean.
#[test]
fn sqlite_rebuild_of_a_referenced_table_turns_foreign_keys_off() {
    let history = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id) ON DELETE CASCADE);";
    let target = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE c (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id) ON DELETE CASCADE);";
    insta::assert_snapshot!(roundtrip(Dialect::Sqlite, history, target));
}

#[test]
fn mysql_modifies_the_column() {
    let history = "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20));";
    let target = "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT 'x');";
    insta::assert_snapshot!(roundtrip(Dialect::MySql, history, target));
}

#[test]
fn postgres_constraints_go_through_not_valid() {
    let history = "CREATE TABLE a (id INT PRIMARY KEY);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT, n INT);";
    let target = "CREATE TABLE a (id INT PRIMARY KEY);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id), n INT NOT NULL CHECK (n > 0), UNIQUE (n));";
    insta::assert_snapshot!(roundtrip(Dialect::Postgres, history, target));
}

#[test]
fn views_and_enums() {
    let history = "CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (id INT PRIMARY KEY, m mood);
CREATE VIEW v AS SELECT id FROM t;";
    let target = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t (id INT PRIMARY KEY, m mood, x INT);
CREATE VIEW v AS SELECT id, x FROM t;";
    insta::assert_snapshot!(roundtrip(Dialect::Postgres, history, target));
}

/// A domain's definition changes under a column with a default: its
/// columns go to the old base type, the domain is dropped and created
/// again, the columns come back with their defaults; each way.
#[test]
fn domain_redefined_on_postgres() {
    let history = "CREATE DOMAIN score AS INTEGER CHECK (VALUE > 0);
CREATE TABLE t (id INT PRIMARY KEY, s score DEFAULT 5);";
    let target = "CREATE DOMAIN score AS BIGINT CHECK (VALUE >= 0);
CREATE TABLE t (id INT PRIMARY KEY, s score DEFAULT 5);";
    let body = roundtrip(Dialect::Postgres, history, target);
    for expected in [
        "ALTER TABLE t ALTER COLUMN s DROP DEFAULT;",
        "ALTER TABLE t ALTER COLUMN s TYPE INTEGER;",
        "DROP DOMAIN score;",
        "CREATE DOMAIN score AS BIGINT CHECK (VALUE >= 0);",
        "ALTER TABLE t ALTER COLUMN s TYPE score USING s::score;",
        "ALTER TABLE t ALTER COLUMN s SET DEFAULT 5;",
        "ALTER TABLE t ALTER COLUMN s TYPE BIGINT;",
        "CREATE DOMAIN score AS INTEGER CHECK (VALUE > 0);",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
}

#[test]
fn comments_sequences_and_domains_on_postgres() {
    let history = "CREATE TABLE t (id INT PRIMARY KEY, a TEXT);
COMMENT ON TABLE t IS 'old';
CREATE SEQUENCE s;
CREATE DOMAIN gone AS INTEGER;";
    let target = "CREATE TABLE t (id INT PRIMARY KEY, a TEXT);
COMMENT ON COLUMN t.a IS 'it''s a';
CREATE SEQUENCE s INCREMENT BY 3 CACHE 10;
CREATE SEQUENCE fresh AS integer START WITH 5;
CREATE DOMAIN positive AS INTEGER CHECK (VALUE > 0);";
    let body = roundtrip(Dialect::Postgres, history, target);
    for expected in [
        "COMMENT ON TABLE t IS NULL;",
        "COMMENT ON COLUMN t.a IS 'it''s a';",
        "COMMENT ON TABLE t IS 'old';",
        "COMMENT ON COLUMN t.a IS NULL;",
        "CREATE DOMAIN positive AS INTEGER CHECK (VALUE > 0);",
        "DROP DOMAIN positive;",
        "DROP DOMAIN gone;",
        "CREATE DOMAIN gone AS INTEGER;",
        "CREATE SEQUENCE fresh AS integer START WITH 5;",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
    assert!(!body.contains("ENUM"), "{body}");
    let head = head_schema(
        Dialect::Postgres,
        &[compile(
            Dialect::Postgres,
            "r1",
            None,
            &format!("-- migrate:upgrade\n{history}\n"),
        )],
    );
    let generated = generate(&head, &declared(Dialect::Postgres, target));
    // Written unchecked (sqlparser does not read it), followed by the model.
    for expected in [
        "ALTER SEQUENCE s INCREMENT BY 3 CACHE 10;",
        "ALTER SEQUENCE s INCREMENT BY 1 CACHE 1;",
    ] {
        assert!(
            body.contains(&format!(
                "-- migrate:unchecked -- {}\n{expected}",
                super::sql::SEQUENCE_UNCHECKED
            )),
            "{expected}\n{body}"
        );
    }
    assert!(generated.unknown.is_empty(), "{:?}", generated.unknown);
}

/// A domain defined over a domain whose definition changes, and a
/// composite type whose attributes change under a column, are listed as not
/// written: no statement is written for them (never an enum).
#[test]
fn other_types_are_never_written_as_enums() {
    let d = Dialect::Postgres;
    let history = "CREATE DOMAIN positive AS INTEGER CHECK (VALUE > 0);
CREATE DOMAIN small AS positive CHECK (VALUE < 10);
CREATE TYPE pair AS (a INT, b INT);
CREATE TABLE t (p pair[]);";
    let target = "CREATE DOMAIN positive AS BIGINT CHECK (VALUE > 0);
CREATE DOMAIN small AS positive CHECK (VALUE < 10);
CREATE TYPE pair AS (a INT, b TEXT);
CREATE TABLE t (p pair[]);";
    let head = head_schema(
        d,
        &[compile(
            d,
            "r1",
            None,
            &format!("-- migrate:upgrade\n{history}\n"),
        )],
    );
    let generated = generate(&head, &declared(d, target));
    assert!(generated.is_empty(), "{}", generated.render());
    assert!(
        generated
            .unwritten
            .iter()
            .any(|u| u.contains("type positive"))
            && generated.unwritten.iter().any(|u| u.contains("type pair")),
        "{:?}",
        generated.unwritten
    );
    assert!(!generated.is_same());
}

/// Composite types are created before the tables and dropped after them;
/// one whose attributes change, and no column uses, is dropped and created
/// again (reviewed). A function a default calls is created before its
/// table; a changed body is `CREATE OR REPLACE`, a changed result a
/// reviewed drop and create; a function that goes is dropped after the
/// tables; the downgrade restores each.
#[test]
fn composite_types_and_functions_on_postgres() {
    let history = "CREATE TYPE pair AS (a INT, b INT);
CREATE TYPE gone AS (x TEXT);
CREATE FUNCTION bump(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n + 1 $$;
CREATE FUNCTION wider(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n $$;
CREATE FUNCTION old_one() RETURNS text LANGUAGE sql AS 'SELECT ''x''';
CREATE TABLE t (id INT PRIMARY KEY);";
    let target = "CREATE TYPE pair AS (a INT, b BIGINT);
CREATE TYPE triple AS (a INT, b INT, c tag);
CREATE TYPE tag AS (x TEXT);
CREATE OR REPLACE FUNCTION random_string(integer) RETURNS text LANGUAGE plpgsql AS $body$
BEGIN RETURN repeat('x', $1); END
$body$;
CREATE FUNCTION bump(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n + 2 $$;
CREATE FUNCTION wider(n integer) RETURNS bigint LANGUAGE sql AS $$ SELECT n::bigint $$;
CREATE TABLE t (id INT PRIMARY KEY, token TEXT DEFAULT random_string(5));
CREATE TABLE t2 (id INT PRIMARY KEY, s TEXT NOT NULL DEFAULT random_string(8), p triple);";
    insta::assert_snapshot!(roundtrip(Dialect::Postgres, history, target));
}

/// A function a trigger runs is neither dropped nor re-created (triggers
/// are not written): listed as not written; its body is still replaced.
#[test]
fn a_function_a_trigger_runs_is_left_to_the_user() {
    let d = Dialect::Postgres;
    let function = |body: &str, returns: &str| {
        format!(
            "CREATE FUNCTION touch() RETURNS {returns} LANGUAGE plpgsql AS $$ BEGIN {body} END $$;"
        )
    };
    let history = format!(
        "CREATE TABLE t (id INT, at TIMESTAMP);\n{}\n\
         CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        function("NEW.at := now(); RETURN NEW;", "trigger")
    );
    let head = head_schema(
        d,
        &[compile(
            d,
            "r1",
            None,
            &format!("-- migrate:upgrade\n{history}\n"),
        )],
    );
    let table = "CREATE TABLE t (id INT, at TIMESTAMP);\n";
    let replaced = function("NEW.at := clock_timestamp(); RETURN NEW;", "trigger");
    let generated = generate(&head, &declared(d, &format!("{table}{replaced}")));
    assert!(
        generated
            .render()
            .contains("CREATE OR REPLACE FUNCTION touch()"),
        "{}",
        generated.render()
    );
    for target in [
        table.to_string(),
        format!("{table}{}", function("RETURN 1;", "int")),
    ] {
        let generated = generate(&head, &declared(d, &target));
        assert!(generated.is_empty(), "{}", generated.render());
        assert!(
            generated
                .unwritten
                .iter()
                .any(|u| u.contains("function touch(): trigger t.t_touch runs it")),
            "{:?}",
            generated.unwritten
        );
    }
}

/// A new table's foreign key to a key added to a kept table waits for the
/// key; a new materialized view's index follows the view (found by the
/// crates.io and docs.rs round trips).
#[test]
fn a_key_and_a_view_come_before_what_needs_them() {
    let history = "CREATE TABLE a (id INT NOT NULL);\nCREATE TABLE s (n INT);";
    let target = "CREATE TABLE a (id INT NOT NULL PRIMARY KEY);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));
CREATE TABLE s (n INT);
CREATE MATERIALIZED VIEW mv AS SELECT n FROM s;
CREATE INDEX mv_n ON mv (n);";
    let body = roundtrip(Dialect::Postgres, history, target);
    let at = |text: &str| {
        body.find(text)
            .unwrap_or_else(|| panic!("{text} not in\n{body}"))
    };
    assert!(at("PRIMARY KEY (id)") < at("FOREIGN KEY (a_id)"), "{body}");
    assert!(
        at("CREATE MATERIALIZED VIEW mv") < at("CREATE INDEX mv_n"),
        "{body}"
    );
}

#[test]
fn mysql_comments_go_with_the_column() {
    let history = "CREATE TABLE t (id INT PRIMARY KEY, a TEXT COMMENT 'old', b INT);";
    let target = "CREATE TABLE t (id INT PRIMARY KEY, a TEXT COMMENT 'new \\\\ one', b INT);
CREATE TABLE u (id INT PRIMARY KEY COMMENT 'key') COMMENT = 'the u';";
    let body = roundtrip(Dialect::MySql, history, target);
    for expected in [
        "ALTER TABLE t MODIFY COLUMN a TEXT COMMENT 'new \\\\ one';",
        "ALTER TABLE t MODIFY COLUMN a TEXT COMMENT 'old';",
        ") COMMENT = 'the u';",
        "id INT COMMENT 'key'",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
}

/// A kept table's own comment changes (and is removed): an unchecked
/// `ALTER TABLE ... COMMENT =` each way, which the model follows, so the
/// round trip through the compiler and the model holds.
#[test]
fn mysql_table_comment_on_a_kept_table() {
    let history = "CREATE TABLE t (id INT PRIMARY KEY) COMMENT = 'old';\nCREATE TABLE u (id INT PRIMARY KEY) COMMENT = 'gone';";
    let target = "CREATE TABLE t (id INT PRIMARY KEY) COMMENT = 'it''s \\\\ new';\nCREATE TABLE u (id INT PRIMARY KEY);";
    let body = roundtrip(Dialect::MySql, history, target);
    for expected in [
        "-- migrate:unchecked -- sqlparser does not read ALTER TABLE ... COMMENT =; the schema model follows it\nALTER TABLE t COMMENT = 'it''s \\\\ new';",
        "ALTER TABLE t COMMENT = 'old';",
        "ALTER TABLE u COMMENT = '';",
        "ALTER TABLE u COMMENT = 'gone';",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
}

#[test]
fn non_declarations_are_errors_with_file_and_line() {
    let mut schema = Schema::new(Dialect::Postgres);
    let mut errors = Vec::new();
    declare_text(
        Path::new("schema.sql"),
        "CREATE TABLE t (id INT);\n\nINSERT INTO t VALUES (1);\n",
        &mut schema,
        &mut errors,
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.starts_with("schema.sql:3: "),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].labels[0].file, Path::new("schema.sql"));
}

/// A foreign key to a table declared nowhere is an error naming the file,
/// the line, the table and the missing table; one to a table declared
/// later in the file, in another file of a schema directory, or held by
/// the current model is not; nor is one to a table of a schema the
/// declared schema does not create (managed elsewhere). SQLite, which
/// creates such a table, gets a warning.
#[test]
fn a_foreign_key_to_a_table_declared_nowhere_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("schema.sql");
    let read = |d: Dialect, sql: &str| {
        std::fs::write(&file, sql).expect("write");
        read_declared(&file, d)
    };
    let dangling = "CREATE TABLE users (id INT PRIMARY KEY);

                    CREATE TABLE posts (
  id INT PRIMARY KEY,
  author INT REFERENCES authors (id)
);
";
    for d in [Dialect::Postgres, Dialect::MySql] {
        let errors = read(d, dangling).expect_err("dangling reference");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        let message = &errors[0].message;
        assert!(
            message.starts_with(&format!("{}:3: table posts: ", file.display()))
                && message.contains("references table authors"),
            "{message}"
        );
        assert_eq!(errors[0].code, Code::UnknownObject);
        assert_eq!(errors[0].labels[0].file, file);
    }
    // Table constraints too, and a qualified name in a declared schema.
    let errors = read(
        Dialect::Postgres,
        "CREATE SCHEMA app;
CREATE TABLE app.a (id INT PRIMARY KEY, b INT,          FOREIGN KEY (b) REFERENCES app.missing (id));
",
    )
    .expect_err("dangling reference");
    assert!(errors[0].message.contains("app.missing"), "{errors:#?}");

    let (_, warnings) = read(Dialect::Sqlite, dangling).expect("a warning on SQLite");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].severity, Severity::Warning);

    // Declared later in the same file; a table referencing itself; a
    // schema the declared schema does not create.
    let later = "CREATE TABLE posts (id INT PRIMARY KEY, author INT REFERENCES users (id),                  parent INT REFERENCES posts (id));
                 CREATE TABLE grants (id INT PRIMARY KEY, who INT REFERENCES auth.users (id));
                 CREATE TABLE users (id INT PRIMARY KEY);
";
    for d in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let (_, warnings) = read(d, later).unwrap_or_else(|e| panic!("{d:?}: {e:#?}"));
        assert!(warnings.is_empty(), "{d:?}: {warnings:#?}");
    }

    // MySQL: an engine that ignores foreign keys (MyISAM) makes nothing
    // certain to fail; InnoDB, named or by default, does.
    let myisam = "CREATE TABLE posts (id INT PRIMARY KEY, author INT,
                   FOREIGN KEY (author) REFERENCES authors (id)) ENGINE = MyISAM;
";
    let (_, warnings) = read(Dialect::MySql, myisam).expect("no error for MyISAM");
    assert!(
        warnings.iter().all(|w| w.code == Code::NotHeld),
        "{warnings:#?}"
    );
    let innodb = myisam.replace("MyISAM", "InnoDB");
    let errors = read(Dialect::MySql, &innodb).expect_err("InnoDB enforces the key");
    let errors: Vec<_> = errors
        .iter()
        .filter(|e| e.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, Code::UnknownObject);

    // Another file of a schema directory, before or after.
    let schema_dir = dir.path().join("schema");
    std::fs::create_dir(&schema_dir).expect("mkdir");
    std::fs::write(
        schema_dir.join("a_posts.sql"),
        "CREATE TABLE posts (id INT PRIMARY KEY, author INT REFERENCES users (id));
",
    )
    .expect("write");
    std::fs::write(
        schema_dir.join("b_users.sql"),
        "CREATE TABLE users (id INT PRIMARY KEY);
         CREATE TABLE likes (post INT REFERENCES posts (id));
",
    )
    .expect("write");
    let (_, warnings) = read_declared(&schema_dir, Dialect::Postgres).expect("no error");
    assert!(warnings.is_empty(), "{warnings:#?}");

    // Held by the current model (the history's head or the database).
    std::fs::write(&file, dangling).expect("write");
    let read = super::read(&file, &file, Dialect::Postgres, &mut Sources::new()).expect("read");
    let head = declared(
        Dialect::Postgres,
        "CREATE TABLE authors (id INT PRIMARY KEY);",
    );
    assert!(read.dangling_references(&head).is_empty());
    assert_eq!(
        read.dangling_references(&Schema::new(Dialect::Postgres))
            .len(),
        1
    );
}

/// A `DO` block, read by PostgreSQL's parser only, is not a declaration.
#[cfg(feature = "pg-query")]
#[test]
fn a_do_block_is_not_a_declaration() {
    let mut schema = Schema::new(Dialect::Postgres);
    let mut errors = Vec::new();
    declare_text(
        Path::new("schema.sql"),
        "CREATE TABLE t (id INT);
DO $$ BEGIN PERFORM 1; END $$;
",
        &mut schema,
        &mut errors,
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0]
            .message
            .starts_with("schema.sql:2: the declared schema holds only declarations"),
        "{}",
        errors[0].message
    );
}

/// harbor's history in small: a table renamed (its serial's sequence keeps
/// the old name), a serial column changed to `bigint` (its sequence stays
/// `integer`), a sequence given a `MAXVALUE`.
const SEQUENCES_HISTORY: &str = "CREATE TABLE cve_whitelist (id SERIAL NOT NULL, v TEXT);
ALTER TABLE cve_whitelist RENAME TO cve_allowlist;
CREATE TABLE wide (id SERIAL PRIMARY KEY);
ALTER TABLE wide ALTER COLUMN id TYPE BIGINT;
CREATE TABLE robot (id SERIAL PRIMARY KEY);
ALTER TABLE robot ALTER COLUMN id TYPE BIGINT;
-- migrate:unchecked -- sqlparser does not read ALTER SEQUENCE
ALTER SEQUENCE robot_id_seq AS bigint MAXVALUE 9007199254740991;
CREATE TABLE plain (id SERIAL PRIMARY KEY);";

/// The schema [`SEQUENCES_HISTORY`] makes, declared as the `--from-database`
/// reader prints it: each owned sequence that is not what `serial` makes
/// written out (`plain` stays `serial`).
const SEQUENCES_WRITTEN_OUT: &str = "CREATE SEQUENCE cve_whitelist_id_seq AS integer;
CREATE TABLE cve_allowlist (id INTEGER NOT NULL DEFAULT nextval('cve_whitelist_id_seq'::regclass), v TEXT);
ALTER SEQUENCE cve_whitelist_id_seq OWNED BY cve_allowlist.id;
CREATE SEQUENCE wide_id_seq AS integer;
CREATE TABLE wide (id BIGINT NOT NULL DEFAULT nextval('wide_id_seq'::regclass) PRIMARY KEY);
ALTER SEQUENCE wide_id_seq OWNED BY wide.id;
CREATE SEQUENCE robot_id_seq AS bigint MAXVALUE 9007199254740991;
CREATE TABLE robot (id BIGINT NOT NULL DEFAULT nextval('robot_id_seq') PRIMARY KEY);
ALTER SEQUENCE robot_id_seq OWNED BY robot.id;
CREATE TABLE plain (id SERIAL PRIMARY KEY);";

/// A serial column and the same column written out (`CREATE SEQUENCE`, the
/// default, `OWNED BY`) are one column: no difference either way, neither
/// for a plain serial nor for harbor's renamed, retyped and bounded ones.
#[test]
fn a_serial_and_its_written_out_sequence_are_the_same() {
    let d = Dialect::Postgres;
    let pairs = [
        (SEQUENCES_HISTORY, SEQUENCES_WRITTEN_OUT),
        (
            "CREATE TABLE t (id SERIAL, n BIGSERIAL);",
            "CREATE SEQUENCE t_id_seq AS integer;\nCREATE SEQUENCE t_n_seq;\n\
             CREATE TABLE t (id INT NOT NULL DEFAULT nextval('t_id_seq'::regclass), \
             n INT8 NOT NULL DEFAULT nextval('public.t_n_seq'));\n\
             ALTER SEQUENCE t_id_seq OWNED BY t.id;\nALTER SEQUENCE public.t_n_seq OWNED BY public.t.n;",
        ),
    ];
    for (history, written_out) in pairs {
        let head = head_schema(
            d,
            &[compile(
                d,
                "r1",
                None,
                &format!("-- migrate:upgrade\n{history}\n"),
            )],
        );
        let declared = declared(d, written_out);
        for (from, to) in [(&head, &declared), (&declared, &head)] {
            let generated = generate(from, to);
            assert!(generated.is_empty(), "{}\n{history}", generated.render());
        }
    }
}

/// From nothing: an owned sequence that is not what `serial` makes is
/// created before its table, the column reads it, `OWNED BY` follows the
/// table; one that is (`plain`) is written `serial`. The downgrade drops
/// the tables, which take their sequences along.
#[test]
fn owned_sequences_created_before_and_owned_after_their_table() {
    let body = roundtrip(
        Dialect::Postgres,
        "CREATE TABLE other (id INT);",
        &format!("CREATE TABLE other (id INT);\n{SEQUENCES_WRITTEN_OUT}"),
    );
    let at = |text: &str| body.find(text).unwrap_or_else(|| panic!("{text}\n{body}"));
    assert!(at("CREATE SEQUENCE robot_id_seq") < at("CREATE TABLE robot"));
    assert!(at("CREATE TABLE robot") < at("ALTER SEQUENCE robot_id_seq OWNED BY robot.id"));
    assert!(body.contains("id SERIAL,"), "{body}");
    assert!(!body.contains("DROP SEQUENCE"), "{body}");
    insta::assert_snapshot!(body);
}

/// From plain serials to harbor's schema: the sequence's options and type
/// change (`ALTER SEQUENCE`), the column's type changes, and a column that
/// reads another sequence takes it (created, owned) while its own is
/// dropped; the downgrade does the reverse.
#[test]
fn owned_sequence_options_type_and_owner_change() {
    let history = "CREATE TABLE cve_allowlist (id SERIAL NOT NULL, v TEXT);
CREATE TABLE wide (id SERIAL PRIMARY KEY);
CREATE TABLE robot (id SERIAL PRIMARY KEY);
CREATE TABLE plain (id SERIAL PRIMARY KEY);";
    let body = roundtrip(Dialect::Postgres, history, SEQUENCES_WRITTEN_OUT);
    for expected in [
        "ALTER SEQUENCE robot_id_seq AS bigint MAXVALUE 9007199254740991;",
        "ALTER SEQUENCE cve_whitelist_id_seq OWNED BY cve_allowlist.id;",
        "DROP SEQUENCE cve_allowlist_id_seq;",
        "CREATE SEQUENCE cve_allowlist_id_seq AS integer;",
        "ALTER SEQUENCE cve_allowlist_id_seq OWNED BY cve_allowlist.id;",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
    assert!(!body.contains("plain"), "{body}");
    insta::assert_snapshot!(body);
}

/// A sequence taken from one column and given to a column this revision
/// adds, the first column then dropped: the sequence gives up its owner
/// before that drop (which would drop it along) and takes the new one
/// once it exists.
#[test]
fn an_owned_sequence_moves_to_a_new_column() {
    let history = "CREATE SEQUENCE s AS integer START WITH 10;
CREATE TABLE a (id INT NOT NULL DEFAULT nextval('s'::regclass), x INT);
-- migrate:unchecked -- sqlparser does not read ALTER SEQUENCE
ALTER SEQUENCE s OWNED BY a.id;";
    let target = "CREATE SEQUENCE s AS integer START WITH 10;
CREATE TABLE a (x INT);
CREATE TABLE b (k INT NOT NULL DEFAULT nextval('s'::regclass));
ALTER SEQUENCE s OWNED BY b.k;";
    let body = roundtrip(Dialect::Postgres, history, target);
    let upgrade = body
        .split("-- migrate:downgrade")
        .next()
        .unwrap_or_default();
    let at = |text: &str| {
        upgrade
            .find(text)
            .unwrap_or_else(|| panic!("{text}\n{body}"))
    };
    assert!(
        at("ALTER SEQUENCE s OWNED BY NONE") < at("DROP COLUMN id"),
        "{body}"
    );
    assert!(
        at("CREATE TABLE b") < at("ALTER SEQUENCE s OWNED BY b.k"),
        "{body}"
    );
    assert!(!body.contains("DROP SEQUENCE"), "{body}");
}

/// The declared schema takes `ALTER SEQUENCE name OWNED BY table.column`,
/// that form only, and names what it refers to that does not exist.
#[test]
fn declared_schema_takes_owned_by_only() {
    let d = Dialect::Postgres;
    let schema = declared(
        d,
        "CREATE SEQUENCE s;\nCREATE TABLE t (id BIGINT DEFAULT nextval('s'));\n\
         ALTER SEQUENCE s OWNED BY t.id;",
    );
    let sequence = schema
        .objects()
        .into_iter()
        .find_map(|(_, o)| match o {
            crate::schema::Object::Sequence(s) => Some(s.clone()),
            _ => None,
        })
        .expect("the sequence");
    assert_eq!(
        sequence.owned_by,
        Some((crate::schema::Name::bare("t"), "id".into()))
    );
    for (text, message) in [
        ("ALTER SEQUENCE s INCREMENT BY 2;", ""),
        ("ALTER SEQUENCE s OWNED BY NONE;", ""),
        (
            "ALTER SEQUENCE s OWNED BY t.nope;",
            "column t.nope does not exist",
        ),
        (
            "ALTER SEQUENCE nope OWNED BY t.id;",
            "sequence nope does not exist",
        ),
    ] {
        let mut schema = Schema::new(d);
        let mut errors = Vec::new();
        declare_text(
            Path::new("schema.sql"),
            &format!("CREATE SEQUENCE s;\nCREATE TABLE t (id BIGINT);\n{text}\n"),
            &mut schema,
            &mut errors,
        );
        // Another form of `ALTER SEQUENCE` is refused as any statement
        // that is not a declaration (a syntax error without PostgreSQL's
        // parser), at its line.
        assert_eq!(errors.len(), 1, "{text}: {errors:#?}");
        assert_eq!(errors[0].labels[0].file, Path::new("schema.sql"));
        let line3 = "CREATE SEQUENCE s;\nCREATE TABLE t (id BIGINT);\n".len();
        assert!(
            errors[0].labels[0].span.start >= line3,
            "{text}: {errors:#?}"
        );
        assert!(
            errors[0].message.contains(message),
            "{text}: {}",
            errors[0].message
        );
    }
}

use crate::parse::PG_QUERY_ENABLED as PG_QUERY;

#[path = "../../tests/support/schema_edits.rs"]
mod schema_edits;

/// The generated cases, 300 per dialect (`MIGRATE_AUTOGEN_SEED` moves the
/// first seed): each goes through [`roundtrip`].
fn cases(d: Dialect) {
    let start: u64 = std::env::var("MIGRATE_AUTOGEN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for seed in start..start + 300 {
        let (before, after) = schema_edits::case(d, seed);
        let result = std::panic::catch_unwind(|| roundtrip(d, &before, &after));
        if let Err(e) = result {
            panic!(
                "{d:?} seed {seed} (MIGRATE_AUTOGEN_SEED={seed}):\n--- history\n{before}\n--- declared\n{after}\n{e:?}",
            );
        }
    }
}

#[test]
fn postgres_cases() {
    cases(Dialect::Postgres);
}

#[test]
fn sqlite_cases() {
    cases(Dialect::Sqlite);
}

#[test]
fn mysql_cases() {
    cases(Dialect::MySql);
}

/// A database's definitions (foreign keys added after every table, as
/// `migrate-introspect` writes them) replay into the same model as the
/// declaration; one the model cannot read is an error naming its object.
#[test]
fn definitions_replay_into_the_declared_model() {
    let d = Dialect::Postgres;
    let defs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(o, s)| (o.to_string(), s.to_string()))
            .collect()
    };
    let database = model_from_definitions(
        d,
        &defs(&[
            ("table posts", "CREATE TABLE \"posts\" (\"id\" integer NOT NULL, \"author\" integer, CONSTRAINT \"posts_pkey\" PRIMARY KEY (id))"),
            ("table users", "CREATE TABLE \"users\" (\"id\" integer NOT NULL, CONSTRAINT \"users_pkey\" PRIMARY KEY (id))"),
            ("constraint posts_author_fkey of table posts", "ALTER TABLE \"posts\" ADD CONSTRAINT \"posts_author_fkey\" FOREIGN KEY (author) REFERENCES users(id)"),
            ("index ix_posts_author", "CREATE INDEX ix_posts_author ON posts (author)"),
        ]),
    )
    .expect("definitions replay");
    let declaration = declared(
        d,
        "CREATE TABLE users (id integer PRIMARY KEY);\n\
         CREATE TABLE posts (id integer PRIMARY KEY, author integer REFERENCES users (id));\n\
         CREATE INDEX ix_posts_author ON posts (author);\n",
    );
    let generated = generate(&database, &declaration);
    assert!(generated.is_empty(), "{}", generated.render());

    let errors = model_from_definitions(
        d,
        &defs(&[("table broken", "CREATE TABLE broken (id integer,")]),
    )
    .expect_err("a definition that does not parse");
    assert!(
        errors.iter().any(|e| e.message.contains("table broken")
            || e.labels
                .iter()
                .any(|l| l.file.display().to_string().contains("table broken"))),
        "{errors:#?}"
    );
}

/// The model replayed from a plan's statement texts (an application's
/// embedded plan, `check --drift` in its own binary) is the compiler's:
/// the same objects, the same ones not known for sure (an unchecked
/// statement sqlparser rejects), and a table's comment set by an unchecked
/// `ALTER TABLE ... COMMENT =` followed on both.
#[test]
fn the_plan_replays_to_the_compilers_model() {
    for (d, body) in [
        (
            Dialect::MySql,
            "-- migrate:upgrade\nCREATE TABLE t (id INT PRIMARY KEY, a TEXT);\nCREATE TABLE u (id INT PRIMARY KEY);\n\
             -- migrate:unchecked -- not read\nALTER TABLE t COMMENT = 'it''s t';\n\
             -- migrate:unchecked -- not read\nALTER TABLE u COMMENT = 'x', FORCE;\nCREATE INDEX ix ON t (id);\n",
        ),
        (
            Dialect::Postgres,
            "-- migrate:upgrade\nCREATE TABLE t (id INT PRIMARY KEY, a TEXT DEFAULT 'x');\nCREATE TABLE u (id INT);\n\
             DO $$ BEGIN EXECUTE 'ALTER TABLE u ADD COLUMN b INT'; END $$;\nCOMMENT ON TABLE t IS 'c';\n",
        ),
    ] {
        let revision = compile(d, "r1", None, body);
        let config = Config {
            dialect: d,
            ..Config::default()
        };
        let plan = crate::plan::plan(&config, std::slice::from_ref(&revision));
        let compiled = crate::schema::model_of(d, std::slice::from_ref(&revision), |_| true);
        let replayed = crate::schema::model_of_plan(d, &plan, |_| true);
        let both = generate(&compiled, &replayed);
        assert!(both.is_empty(), "{d:?}: {}", both.render());
        let mut compiled_unknown = generate(&compiled, &Schema::new(d)).unknown;
        let mut replayed_unknown = generate(&replayed, &Schema::new(d)).unknown;
        compiled_unknown.sort();
        replayed_unknown.sort();
        assert_eq!(compiled_unknown, replayed_unknown, "{d:?}");
        assert!(!compiled_unknown.is_empty(), "{d:?}: the unchecked statement makes something unknown");
        let t = compiled
            .objects()
            .into_iter()
            .find_map(|(_, o)| match o {
                crate::schema::Object::Table(t) if t.name.name == "t" => Some(t.comment.clone()),
                _ => None,
            })
            .flatten();
        assert!(t.is_some(), "{d:?}: the table's comment is followed");
    }
}

/// MariaDB's JSON column as `SHOW CREATE TABLE` prints it (`longtext ...
/// CHECK (json_valid(`a`))`) reads back as the JSON column the history
/// declared, without a check of its own, and is written back as `JSON`;
/// a check of another shape, on another type or named at the table's level
/// stays a check.
#[test]
fn mariadb_json_columns_read_back_as_json() {
    use crate::schema::{ConstraintKind, Name, Table};
    let printed = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  \
        `a` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(`a`)),\n  \
        `b` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`b`)),\n  \
        `c` longtext DEFAULT NULL CHECK (`c` <> ''),\n  \
        `d` varchar(10) DEFAULT NULL CHECK (json_valid(`d`)),\n  \
        `e` longtext DEFAULT NULL,\n  \
        PRIMARY KEY (`id`),\n  \
        CONSTRAINT `e` CHECK (json_valid(`e`))\n) ENGINE=InnoDB";
    let d = Dialect::MySql;
    let database = model_from_definitions(d, &[("table t".to_string(), printed.to_string())])
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let history = declared(
        d,
        "CREATE TABLE t (id int(11) NOT NULL, a JSON NOT NULL, b longtext CHECK (json_valid(b)), \
         PRIMARY KEY (id))",
    );
    let t = Name::bare("t");
    let (db_table, history_table) = (database.table(&t).unwrap(), history.table(&t).unwrap());
    for model in [db_table, history_table] {
        for column in ["a", "b"] {
            let c = model.column(column).unwrap();
            assert_eq!(c.sql.as_ref().map(|s| s.data_type.as_str()), Some("JSON"));
        }
    }
    assert_eq!(db_table.column("a"), history_table.column("a"));
    let checks = |table: &Table| {
        let mut names: Vec<String> = table
            .constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::Check)
            .map(|c| c.name.to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(checks(db_table), ["c", "d", "e"]);
    assert!(checks(history_table).is_empty());
    let written = generate(&Schema::new(d), &database).render();
    assert!(written.contains("a JSON NOT NULL"), "{written}");
    assert!(!written.contains("json_valid(a)"), "{written}");
    assert!(written.contains("json_valid(`d`)"), "{written}");
}

/// The warnings of a declared schema (the clauses the model does not
/// hold), by message.
fn not_held_warnings(d: Dialect, sql: &str) -> Vec<String> {
    let mut schema = Schema::new(d);
    let mut diagnostics = Vec::new();
    declare_text(Path::new("schema.sql"), sql, &mut schema, &mut diagnostics);
    assert!(
        diagnostics
            .iter()
            .all(|d| d.severity == crate::diagnostic::Severity::Warning
                && d.code == crate::codes::Code::NotHeld),
        "{diagnostics:#?}"
    );
    diagnostics.into_iter().map(|d| d.message).collect()
}

#[test]
fn declared_clauses_the_model_does_not_hold_are_warnings() {
    let pg = not_held_warnings(
        Dialect::Postgres,
        "CREATE UNLOGGED TABLE a (id INT PRIMARY KEY, name TEXT COLLATE \"C\");\n\
         CREATE TABLE b (id INT, UNIQUE (id) DEFERRABLE INITIALLY DEFERRED) WITH (fillfactor = 70);\n\
         CREATE TABLE c (id INT NOT NULL DEFAULT 0, note TEXT, CHECK (id > 0));\n\
         CREATE TABLE p (at DATE NOT NULL) PARTITION BY RANGE (at);\n",
    );
    insta::assert_snapshot!(pg.join("\n"));
    let mysql = not_held_warnings(
        Dialect::MySql,
        "CREATE TABLE m (id INT PRIMARY KEY, body TEXT CHARACTER SET latin1, \
         at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, \
         FULLTEXT KEY ft (body)) ENGINE = MyISAM COMMENT = 'kept';\n",
    );
    insta::assert_snapshot!(mysql.join("\n"));
    let sqlite = not_held_warnings(
        Dialect::Sqlite,
        "CREATE TABLE s (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE) STRICT, WITHOUT ROWID;\n",
    );
    insta::assert_snapshot!(sqlite.join("\n"));
}

/// The body's position of `what`, which must be there.
fn at(body: &str, what: &str) -> usize {
    body.find(what)
        .unwrap_or_else(|| panic!("`{what}` not written:\n{body}"))
}

/// The downgrade section of a rendered body.
fn downgrade_of(body: &str) -> &str {
    &body[at(body, "-- migrate:downgrade")..]
}

/// A schema and extensions the declared schema has and the history lacks
/// are created (extensions as declared) before the table that lives in the
/// schema and uses the extension's type, and dropped after it in the
/// downgrade, each drop marked for review; on both sides, nothing.
#[test]
fn schemas_and_extensions_come_first_and_go_last() {
    let history = "CREATE TABLE u (id INT PRIMARY KEY);";
    let target = "CREATE SCHEMA app;\nCREATE EXTENSION IF NOT EXISTS citext;\n\
         CREATE TABLE u (id INT PRIMARY KEY);\n\
         CREATE TABLE app.users (id INT PRIMARY KEY, email citext NOT NULL);";
    let body = roundtrip(Dialect::Postgres, history, target);
    let up = &body[..at(&body, "-- migrate:downgrade")];
    assert!(
        at(up, "CREATE SCHEMA app;") < at(up, "CREATE TABLE app.users"),
        "{body}"
    );
    assert!(
        at(up, "CREATE EXTENSION IF NOT EXISTS citext;") < at(up, "CREATE TABLE app.users"),
        "{body}"
    );
    let down = downgrade_of(&body);
    let table = at(down, "DROP TABLE app.users");
    assert!(table < at(down, "DROP EXTENSION citext"), "{body}");
    assert!(table < at(down, "DROP SCHEMA app"), "{body}");
    assert!(down.contains("-- REVIEW: drops extension citext"), "{body}");
    assert!(down.contains("-- REVIEW: drops schema app"), "{body}");
    let d = Dialect::Postgres;
    assert!(generate(&declared(d, target), &declared(d, target)).is_empty());
    // A schema an object of the other side still lives in stays.
    let kept = generate(
        &declared(d, "CREATE SCHEMA app;\nCREATE TABLE app.t (id INT);"),
        &declared(d, "CREATE TABLE app.t (id INT);"),
    );
    assert!(kept.is_empty(), "{}", kept.render());
    // Nor is the default schema, which a history may create again.
    let public = generate(
        &declared(
            d,
            "CREATE SCHEMA IF NOT EXISTS public;\nCREATE TABLE t (id INT);",
        ),
        &declared(d, "CREATE TABLE t (id INT);"),
    );
    assert!(public.is_empty(), "{}", public.render());
    let public = generate(
        &declared(d, "CREATE TABLE t (id INT);"),
        &declared(
            d,
            "CREATE SCHEMA IF NOT EXISTS public;\nCREATE TABLE t (id INT);",
        ),
    );
    assert!(public.is_empty(), "{}", public.render());
}

/// `COMMENT ON MATERIALIZED VIEW` and `COMMENT ON VIEW` are declarations:
/// the comment is written after the view, changed or removed on a view
/// that stays, and written again after a view that is created again.
#[test]
fn view_comments_are_declared_and_written() {
    let table = "CREATE TABLE t (id INT PRIMARY KEY, v INT);\n";
    let history = format!(
        "{table}CREATE MATERIALIZED VIEW mv AS SELECT id, v FROM t;\n\
         CREATE VIEW pv AS SELECT id FROM t;\nCOMMENT ON VIEW pv IS 'old';"
    );
    let target = format!(
        "{table}CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;\n\
         CREATE VIEW pv AS SELECT id FROM t;\n\
         COMMENT ON MATERIALIZED VIEW mv IS 'it''s new';"
    );
    let body = roundtrip(Dialect::Postgres, &history, &target);
    let up = &body[..at(&body, "-- migrate:downgrade")];
    assert!(
        at(up, "CREATE MATERIALIZED VIEW mv")
            < at(up, "COMMENT ON MATERIALIZED VIEW mv IS 'it''s new'"),
        "{body}"
    );
    assert!(up.contains("COMMENT ON VIEW pv IS NULL"), "{body}");
    let down = downgrade_of(&body);
    assert!(down.contains("COMMENT ON VIEW pv IS 'old'"), "{body}");
    assert!(!down.contains("COMMENT ON MATERIALIZED VIEW"), "{body}");
}

/// A re-created enum (a label removed) under an index and a check that
/// name a label, an array column of the enum, and a generated column that
/// reads it: those are dropped before and created again after, the array
/// converted through `text[]`, in both sections.
#[test]
fn enum_recreated_under_its_dependents() {
    let table = "CREATE TABLE e (id INT PRIMARY KEY, m mood, tags mood[] DEFAULT '{}', \
         CONSTRAINT e_not_sad CHECK (m <> 'sad'), \
         is_ok BOOLEAN GENERATED ALWAYS AS (m = 'ok') STORED);\n\
         CREATE INDEX e_ok ON e (id) WHERE m = 'ok';";
    let history = format!("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n{table}");
    let target = format!("CREATE TYPE mood AS ENUM ('ok', 'sad');\n{table}");
    let body = roundtrip(Dialect::Postgres, &history, &target);
    for section in [
        &body[..at(&body, "-- migrate:downgrade")],
        downgrade_of(&body),
    ] {
        let rename = at(section, "ALTER TYPE mood RENAME TO mood_old");
        for before in [
            "DROP INDEX e_ok",
            "ALTER TABLE e DROP CONSTRAINT e_not_sad",
            "ALTER TABLE e DROP COLUMN is_ok",
        ] {
            assert!(at(section, before) < rename, "{before}\n{body}");
        }
        let array = at(
            section,
            "ALTER TABLE e ALTER COLUMN tags TYPE mood[] USING tags::text[]::mood[]",
        );
        for after in [
            "ALTER TABLE e ADD COLUMN is_ok BOOLEAN GENERATED ALWAYS AS (m = 'ok') STORED",
            "ALTER TABLE e ADD CONSTRAINT e_not_sad CHECK (m <> 'sad')",
            "CREATE INDEX e_ok ON e (id) WHERE m = 'ok'",
        ] {
            assert!(array < at(section, after), "{after}\n{body}");
        }
        assert!(at(section, "DROP TYPE mood_old") > array, "{body}");
    }
}

/// A domain re-defined while a generated column reads a column of it and
/// another is of the domain: both generated columns go before the
/// domain's column changes and come back after it is created again.
#[test]
fn domain_redefined_under_generated_columns() {
    let table = "CREATE TABLE t (id INT PRIMARY KEY, s score, \
         doubled BIGINT GENERATED ALWAYS AS (s * 2) STORED, \
         g score GENERATED ALWAYS AS ((id + 1)::score) STORED);";
    let history = format!("CREATE DOMAIN score AS INTEGER CHECK (VALUE > 0);\n{table}");
    let target = format!("CREATE DOMAIN score AS BIGINT CHECK (VALUE >= 0);\n{table}");
    let body = roundtrip(Dialect::Postgres, &history, &target);
    let up = &body[..at(&body, "-- migrate:downgrade")];
    let drop = at(up, "DROP DOMAIN score");
    assert!(at(up, "ALTER TABLE t DROP COLUMN doubled") < drop, "{body}");
    assert!(at(up, "ALTER TABLE t DROP COLUMN g") < drop, "{body}");
    assert!(
        at(up, "ALTER TABLE t ALTER COLUMN s TYPE INTEGER") < drop,
        "{body}"
    );
    let back = at(up, "ALTER TABLE t ALTER COLUMN s TYPE score USING s::score");
    assert!(back < at(up, "ALTER TABLE t ADD COLUMN doubled"), "{body}");
    assert!(back < at(up, "ALTER TABLE t ADD COLUMN g"), "{body}");
    assert!(!up.contains("ALTER COLUMN g TYPE"), "{body}");
}

/// A check declared `NOT VALID` (by `ALTER TABLE ... ADD CONSTRAINT`, which
/// the declared schema reads; no other `ALTER TABLE`) is added `NOT VALID`
/// after a new table's `CREATE TABLE`, never inside it, and never
/// validated on a table that stays.
#[test]
fn not_valid_checks_are_added_after_the_table() {
    let d = Dialect::Postgres;
    let history = "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);";
    let target = "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);\n\
         ALTER TABLE t ADD CONSTRAINT v_short CHECK (length(v) < 10) NOT VALID;\n\
         CREATE TABLE n (id INT PRIMARY KEY, w INT);\n\
         ALTER TABLE n ADD CONSTRAINT w_positive CHECK (w > 0) NOT VALID;";
    let body = roundtrip(d, history, target);
    let up = &body[..at(&body, "-- migrate:downgrade")];
    let create = at(up, "CREATE TABLE n (");
    let close = create + at(&up[create..], ";");
    assert!(!up[create..close].contains("w_positive"), "{body}");
    assert!(
        at(
            up,
            "ALTER TABLE n ADD CONSTRAINT w_positive CHECK (w > 0) NOT VALID;"
        ) > close,
        "{body}"
    );
    assert!(
        up.contains("ALTER TABLE t ADD CONSTRAINT v_short CHECK (length(v) < 10) NOT VALID;"),
        "{body}"
    );
    assert!(!up.contains("VALIDATE"), "{body}");
    // From nothing: the printed declarations read again as a declared schema.
    let printed: String = generate(&Schema::new(d), &declared(d, target))
        .upgrade
        .iter()
        .flat_map(|s| &s.steps)
        .map(|s| format!("{};\n", s.sql))
        .collect();
    assert!(
        generate(&declared(d, &printed), &declared(d, target)).is_same(),
        "{printed}"
    );
    // Any other ALTER TABLE is not a declaration.
    let mut schema = Schema::new(d);
    let mut errors = Vec::new();
    declare_text(
        Path::new("schema.sql"),
        "CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN v INT;\n",
        &mut schema,
        &mut errors,
    );
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("schema.sql:2: the declared schema holds only declarations")),
        "{errors:?}"
    );
}
