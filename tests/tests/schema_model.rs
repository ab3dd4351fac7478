//! The compiler's schema model against the real servers, on the cases that
//! gave false build errors: `DROP ... CASCADE` through views, names the
//! server makes up (`<table>_pkey`, `<table>_<col>_key`, `_fkey`, `_seq`,
//! `_idx`, collisions, the 63-byte cut), renames carried into dependents,
//! `OWNED BY`, and statements the model cannot follow.
//!
//! Each history runs statement by statement on a fresh database and on the
//! model; after each revision the catalog is read back (`catalog::introspect`)
//! and compared with the model object by object. A statement the server ran
//! must get no `unknown-object` / `duplicate-object` problem.

use migrate_build::config::Dialect;
use migrate_build::schema::{self, key, Name, Object, ObjectKind, Schema};
use migrate_tests::catalog::{
    compare, compare_for, compare_model_texts, compile_revision, introspect, step, Step,
};
use migrate_tests::{Kind, TestDb};

fn require_server(db: Option<TestDb>) -> Option<TestDb> {
    if db.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI is set but the database server is not configured");
    }
    db
}

/// Replays `revisions` on `db` and on a fresh model; asserts no server
/// error, no false model error and no mismatch; returns the model.
async fn replay(db: &TestDb, dialect: Dialect, revisions: &[&str]) -> (Schema, Vec<Step>) {
    let mut model = Schema::new(dialect);
    let mut steps = Vec::new();
    let mut parent = "none".to_string();
    for (i, upgrade) in revisions.iter().enumerate() {
        let id = format!("r{i:02}");
        let revision = compile_revision(&id, &parent, upgrade, true, dialect)
            .unwrap_or_else(|e| panic!("{id} does not compile: {e:#?}"));
        let s = step(&db.db, &mut model, &revision, compare_for(db.kind)).await;
        assert!(s.server_errors.is_empty(), "{id}: {:#?}", s.server_errors);
        assert!(s.false_errors.is_empty(), "{id}: {:#?}", s.false_errors);
        assert!(
            s.comparison.mismatches.is_empty(),
            "{id}: {:#?}",
            s.comparison.mismatches
        );
        steps.push(s);
        parent = id;
    }
    (model, steps)
}

fn has(model: &Schema, kind: ObjectKind, name: &str) -> bool {
    model.contains(kind, &Name::bare(name))
}

#[tokio::test]
async fn cascade_drops_the_view_chain_and_its_materialized_index_postgres() {
    let Some(db) = require_server(TestDb::postgres("cascade_views").await) else {
        return;
    };
    let create_chain = "CREATE VIEW v1 AS SELECT id, name FROM people;\n\
        CREATE VIEW v2 AS WITH x AS (SELECT * FROM v1) SELECT id FROM x;\n\
        CREATE MATERIALIZED VIEW m AS SELECT id FROM v2;\n\
        CREATE UNIQUE INDEX m_id ON m (id);\n\
        CREATE INDEX ON m (id);\n";
    let (model, _) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE TABLE people (id bigint PRIMARY KEY, name text);",
            create_chain,
            // The chain goes with v1; making it again is no duplicate.
            "DROP VIEW v1 CASCADE;",
            create_chain,
            // Dropping the table with CASCADE takes every view and index.
            "DROP TABLE people CASCADE;",
            "CREATE TABLE people (id bigint PRIMARY KEY, name text);",
            create_chain,
        ],
    )
    .await;
    assert!(has(&model, ObjectKind::Index, "m_id_idx"));
    assert!(has(&model, ObjectKind::View, "m"));
    db.drop_database().await;
}

#[tokio::test]
async fn implicit_names_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("implicit_names").await) else {
        return;
    };
    let long = "a_table_name_that_is_much_longer_than_the_sixty_three_bytes_postgres_keeps";
    let create_long = format!(
        "CREATE TABLE {long} (id serial PRIMARY KEY, a_rather_long_column_name_for_the_key int UNIQUE, \
         other_id int REFERENCES {long} (id));"
    );
    let revisions: Vec<String> = vec![
        "CREATE TABLE user_ (id serial PRIMARY KEY, email text UNIQUE, n int CHECK (n > 0), \
         a int, b int, CHECK (a < b), UNIQUE (a, b));"
            .to_string(),
        "CREATE TABLE post (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         author int REFERENCES user_ (id), editor int REFERENCES user_ (id), \
         FOREIGN KEY (author) REFERENCES user_ (id));\n\
         CREATE INDEX ON post (author);\nCREATE INDEX ON post (author);\n\
         CREATE INDEX ON post (lower(author::text), lower(editor::text));\n\
         ALTER TABLE post ADD UNIQUE (author);\nALTER TABLE post ADD UNIQUE (author);"
            .to_string(),
        create_long,
        // Renames: the implicit names stay until renamed by hand.
        "ALTER TABLE user_ RENAME TO person_;\n\
         ALTER INDEX user__pkey RENAME TO person__pkey;\n\
         ALTER SEQUENCE user__id_seq RENAME TO person__id_seq;\n\
         ALTER TABLE person_ RENAME COLUMN email TO mail;\n\
         ALTER TABLE person_ DROP CONSTRAINT user__email_key;\n\
         ALTER TABLE person_ RENAME CONSTRAINT user__a_b_key TO person__a_b_key;\n\
         ALTER INDEX person__a_b_key RENAME TO person_pair;"
            .to_string(),
        // OWNED BY: the sequence goes with its column's table.
        "CREATE TABLE counter (n bigint);\nCREATE SEQUENCE counter_seq;\n\
         ALTER SEQUENCE counter_seq OWNED BY counter.n;"
            .to_string(),
        "DROP TABLE counter;\nCREATE SEQUENCE counter_seq;\nCREATE TABLE counter (n bigint);"
            .to_string(),
        // A new table whose generated names collide with existing ones.
        "CREATE TABLE person__id_seq_x (id int);\nCREATE TABLE t (x int UNIQUE);\n\
         CREATE TABLE t_x_key1 (y int);\nALTER TABLE t ADD UNIQUE (x);"
            .to_string(),
    ];
    let texts: Vec<&str> = revisions.iter().map(String::as_str).collect();
    let (model, _) = replay(&db, Dialect::Postgres, &texts).await;
    for index in [
        "person__pkey",
        "person_pair",
        "post_pkey",
        "post_author_idx",
        "post_author_idx1",
        "post_lower_lower1_idx",
        "post_author_key",
        "post_author_key1",
        "t_x_key",
        "t_x_key2",
    ] {
        assert!(has(&model, ObjectKind::Index, index), "{index}");
    }
    assert!(has(&model, ObjectKind::Sequence, "person__id_seq"));
    assert!(has(&model, ObjectKind::Sequence, "post_id_seq"));
    // The 63-byte cut: table, key and sequence names as the server makes them.
    let cut = schema::pg_truncate(long);
    assert_eq!(cut.len(), 63);
    let Some(Object::Table(table)) =
        model.object(&key(ObjectKind::Table, &Name::bare(cut.clone())))
    else {
        panic!("{cut} missing");
    };
    let names: Vec<&str> = table.constraints.iter().map(|c| c.name.as_str()).collect();
    assert!(names.iter().all(|n| n.len() <= 63), "{names:?}");
    db.drop_database().await;
}

#[tokio::test]
async fn statements_the_model_cannot_follow_make_objects_uncertain_postgres() {
    let Some(db) = require_server(TestDb::postgres("uncertain_objects").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE TABLE kept (id int PRIMARY KEY);\nCREATE TABLE gone (id int PRIMARY KEY);\n\
             CREATE INDEX gone_idx ON gone (id);",
            // Dynamic SQL: anything may have changed.
            "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'gone'; END $$;",
            // Made again: no duplicate error, and the model follows.
            "CREATE TABLE gone (id int PRIMARY KEY, note text);\nCREATE INDEX gone_idx ON gone (id);",
            // A function that drops a table, called by a query.
            "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DROP TABLE kept $$;\n\
             SELECT wipe();",
            "CREATE TABLE kept (id int);",
        ],
    )
    .await;
    assert!(!steps[1].comparison.unknown.is_empty());
    assert!(has(&model, ObjectKind::Table, "gone"));
    assert!(!model.is_uncertain(&key(ObjectKind::Table, &Name::bare("gone"))));
    db.drop_database().await;
}

#[tokio::test]
async fn implicit_names_follow_mariadb() {
    let Some(db) = require_server(TestDb::mysql("implicit_names").await) else {
        return;
    };
    let (model, _) = replay(
        &db,
        Dialect::MySql,
        &[
            "CREATE TABLE p (id int PRIMARY KEY);",
            "CREATE TABLE c (id int PRIMARY KEY, pid int, qid int, email varchar(20) UNIQUE, \
             FOREIGN KEY (pid) REFERENCES p (id), CONSTRAINT myfk FOREIGN KEY (qid) REFERENCES p (id), \
             UNIQUE (email), INDEX (pid, qid));",
            "ALTER TABLE c DROP INDEX email_2;\nALTER TABLE c DROP FOREIGN KEY c_ibfk_1;\n\
             RENAME TABLE c TO d;\nALTER TABLE d DROP INDEX email;",
        ],
    )
    .await;
    // INDEX (pid, qid) serves the first foreign key; the second gets its own.
    assert!(has(&model, ObjectKind::Index, "d.pid"));
    assert!(has(&model, ObjectKind::Index, "d.myfk"));
    db.drop_database().await;
}

#[tokio::test]
async fn foreign_key_indexes_follow_mariadb() {
    let Some(db) = require_server(TestDb::mysql("foreign_key_indexes").await) else {
        return;
    };
    let (model, _) = replay(
        &db,
        Dialect::MySql,
        &[
            "CREATE TABLE p (id int PRIMARY KEY, a int, KEY (id, a));",
            // Each foreign key gets an index of its own, named after the
            // constraint or its first column; the primary key serves `id`.
            "CREATE TABLE c (id int PRIMARY KEY, pid int, qid int, x int, \
             FOREIGN KEY (pid) REFERENCES p (id), CONSTRAINT named_fk FOREIGN KEY (qid) REFERENCES p (id), \
             FOREIGN KEY (id) REFERENCES p (id));",
            // A later index that can serve it replaces it, a unique one too
            // (which then takes the freed name).
            "CREATE INDEX c_pid_x ON c (pid, x);",
            "ALTER TABLE c ADD UNIQUE (qid);",
            // Of two generated indexes the shorter goes; the longer one is
            // named after its first column.
            "CREATE TABLE d (id int PRIMARY KEY, pid int, x int, FOREIGN KEY (pid) REFERENCES p (id), \
             FOREIGN KEY (pid, x) REFERENCES p (id, a));",
            // An index the statement writes is not the server's: it stays.
            "CREATE TABLE e (id int PRIMARY KEY, pid int, x int, FOREIGN KEY (pid) REFERENCES p (id), INDEX (pid));",
            "CREATE INDEX e_pid_x ON e (pid, x);",
            // The generated index outlives its foreign key, and still goes
            // when another index can serve it.
            "CREATE TABLE f (id int PRIMARY KEY, pid int, x int, CONSTRAINT f_fk FOREIGN KEY (pid) REFERENCES p (id));\n\
             ALTER TABLE f DROP FOREIGN KEY f_fk;",
            "ALTER TABLE f ADD INDEX f_pid_x (pid, x);",
            // Unnamed foreign keys: one more than the highest number in use;
            // an index name after FOREIGN KEY names the constraint too; a
            // rename carries `<table>_ibfk_<n>`.
            "CREATE TABLE g (id int PRIMARY KEY, a int, b int, c int, FOREIGN KEY (a) REFERENCES p (id), \
             FOREIGN KEY (b) REFERENCES p (id), FOREIGN KEY gidx (c) REFERENCES p (id));",
            "ALTER TABLE g DROP FOREIGN KEY g_ibfk_1;\nALTER TABLE g ADD FOREIGN KEY (a) REFERENCES p (id);",
            "RENAME TABLE g TO h;\nALTER TABLE h RENAME TO k;",
            // An index the foreign key needs can go once another serves it.
            "CREATE INDEX k_b_a ON k (b, a);\nALTER TABLE e DROP INDEX pid;",
        ],
    )
    .await;
    let index = |name: &str| has(&model, ObjectKind::Index, name);
    assert!(!index("c.pid") && index("c.c_pid_x"));
    assert!(!index("c.named_fk") && index("c.qid"));
    assert!(!index("c.id"));
    assert!(index("d.pid") && !index("d.pid_2"));
    assert!(!index("e.pid") && index("e.e_pid_x"));
    assert!(!index("f.f_fk") && index("f.f_pid_x"));
    assert!(index("k.gidx") && index("k.a") && !index("k.b") && index("k.k_b_a"));
    // The server's own indexes are marked; the ones the history wrote are not.
    let implicit = |name: &str| model.index(&Name::bare(name)).is_some_and(|i| i.implicit);
    assert!(implicit("d.pid") && implicit("k.a") && implicit("k.gidx"));
    assert!(!implicit("c.c_pid_x") && !implicit("c.qid") && !implicit("k.k_b_a"));
    let Some(Object::Table(k)) = model.object(&key(ObjectKind::Table, &Name::bare("k"))) else {
        panic!("k missing");
    };
    let mut names: Vec<&str> = k.constraints.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["gidx", "k_ibfk_2", "k_ibfk_3", "primary"]);
    db.drop_database().await;
}

#[tokio::test]
async fn implicit_names_follow_sqlite() {
    let db = TestDb::sqlite().await;
    assert_eq!(db.kind, Kind::Sqlite);
    replay(
        &db,
        Dialect::Sqlite,
        &[
            "CREATE TABLE p (id integer PRIMARY KEY, email text UNIQUE);",
            "CREATE TABLE c (id integer PRIMARY KEY, pid integer REFERENCES p (id));\n\
             CREATE INDEX c_pid ON c (pid);\nCREATE VIEW cv AS SELECT * FROM c;",
            "DROP VIEW cv;\nALTER TABLE c RENAME TO d;\nDROP INDEX c_pid;\nCREATE VIEW cv AS SELECT * FROM d;",
        ],
    )
    .await;
}

/// The function `name` of the model, with its overloads.
fn signatures(model: &Schema, name: &str) -> Option<Vec<String>> {
    match model.object(&key(ObjectKind::Function, &Name::bare(name))) {
        Some(Object::Function(f)) => f.signatures.as_ref().map(|s| s.iter().cloned().collect()),
        _ => None,
    }
}

#[tokio::test]
async fn extensions_functions_and_triggers_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("routines").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            // IF NOT EXISTS of an extension already there: no duplicate.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
             CREATE EXTENSION \"uuid-ossp\";",
            "CREATE TABLE t (id int PRIMARY KEY, updated timestamptz);\n\
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN NEW.updated = now(); RETURN NEW; END $$;\n\
             CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
            // Overloads: one dropped by its argument types, the other stays.
            "CREATE FUNCTION add(a int, b int DEFAULT 0) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;\n\
             CREATE FUNCTION add(a double precision, b double precision) RETURNS double precision \
             LANGUAGE sql AS $$ SELECT a + b $$;\n\
             CREATE OR REPLACE FUNCTION add(a int, b int DEFAULT 0) RETURNS int LANGUAGE sql AS $$ SELECT a - b $$;",
            "DROP FUNCTION add(int, int);",
            // The trigger follows its table's rename, and goes with it.
            "ALTER TABLE t RENAME TO u;",
            "DROP TABLE u;",
            // Made again: no duplicate.
            "CREATE TABLE u (id int PRIMARY KEY, updated timestamptz);\n\
             CREATE TRIGGER t_touch BEFORE UPDATE ON u FOR EACH ROW EXECUTE FUNCTION touch();\n\
             ALTER TRIGGER t_touch ON u RENAME TO u_touch;",
            "DROP TRIGGER u_touch ON u;\nDROP FUNCTION touch;\nDROP EXTENSION pg_trgm;\n\
             ALTER FUNCTION add RENAME TO plus;",
        ],
    )
    .await;
    // Every object compared after every revision: none left uncertain.
    for s in &steps {
        assert!(
            s.comparison.unknown.is_empty(),
            "{}: {:#?}",
            s.revision,
            s.comparison.unknown
        );
    }
    assert!(has(&model, ObjectKind::Extension, "uuid-ossp"));
    assert!(!has(&model, ObjectKind::Extension, "pg_trgm"));
    assert!(!has(&model, ObjectKind::Function, "touch"));
    assert!(!has(&model, ObjectKind::Function, "add"));
    assert_eq!(
        signatures(&model, "plus"),
        Some(vec!["double precision, double precision".to_string()])
    );
    assert!(!has(&model, ObjectKind::Trigger, "u.u_touch"));
    // The server's catalog (which the model matched after each revision)
    // holds the trigger under the new table name, then none with the table.
    let in_catalog = |i: usize, kind: ObjectKind, name: &str| {
        steps[i].catalog.contains_key(&key(kind, &Name::bare(name)))
    };
    assert!(in_catalog(1, ObjectKind::Trigger, "t.t_touch"));
    assert!(in_catalog(4, ObjectKind::Trigger, "u.t_touch"));
    assert!(!in_catalog(5, ObjectKind::Trigger, "u.t_touch"));
    assert!(in_catalog(6, ObjectKind::Trigger, "u.u_touch"));
    assert!(in_catalog(0, ObjectKind::Extension, "pg_trgm"));
    db.drop_database().await;
}

/// The index `name` of the model.
fn index_of(model: &Schema, name: &str) -> schema::Index {
    model
        .index(&Name::bare(name))
        .cloned()
        .unwrap_or_else(|| panic!("index {name} missing"))
}

/// The actions of the foreign key `constraint` of `table` in the model.
fn actions_of(model: &Schema, table: &str, constraint: &str) -> (String, String) {
    let table = model.table(&Name::bare(table)).expect("table");
    let fk = table
        .constraints
        .iter()
        .find(|c| c.name == constraint || constraint.is_empty())
        .and_then(|c| c.actions.clone())
        .unwrap_or_else(|| panic!("no actions for {constraint}"));
    (fk.on_delete, fk.on_update)
}

#[tokio::test]
async fn foreign_key_actions_index_methods_and_predicates_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("index_attributes").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE TABLE p (id int PRIMARY KEY);\n\
             CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p (id) ON DELETE CASCADE, \
             qid int, n bigint, flag boolean, note varchar(10), tags text[], \
             CONSTRAINT c_q FOREIGN KEY (qid) REFERENCES p (id) ON DELETE SET NULL ON UPDATE RESTRICT);",
            "CREATE INDEX c_tags ON c USING gin (tags);\nCREATE INDEX c_hash ON c USING HASH (n);\n\
             CREATE INDEX c_live ON c (pid) WHERE NOT flag;\n\
             CREATE INDEX c_both ON c (qid) WHERE n > 0 AND (qid IS NOT NULL AND flag = false);\n\
             CREATE INDEX c_pos ON c (n) WHERE (n >= 007 OR qid IS NULL) AND id <> 3;\n\
             CREATE UNIQUE INDEX c_note ON c (note) WHERE note = 'x';",
            // A rename of a column the WHERE reads: the server reprints it.
            "ALTER TABLE c RENAME COLUMN flag TO hidden;",
            "ALTER TABLE c DROP CONSTRAINT c_q;\n\
             ALTER TABLE c ADD CONSTRAINT c_q FOREIGN KEY (qid) REFERENCES p (id) ON UPDATE CASCADE;",
        ],
    )
    .await;
    let method = |name: &str| index_of(&model, name).method;
    assert_eq!(method("c_tags").as_deref(), Some("gin"));
    assert_eq!(method("c_hash").as_deref(), Some("hash"));
    assert_eq!(method("c_pkey").as_deref(), Some("btree"));
    // The model's text of each WHERE is the server's, compared after step 1.
    let predicate = |name: &str| index_of(&model, name).predicate;
    assert_eq!(
        predicate("c_pos"),
        schema::IndexPredicate::Where("(((n >= 7) OR (qid IS NULL)) AND (id <> 3))".to_string())
    );
    // A renamed column the WHERE reads: the model's text is not sure.
    assert_eq!(predicate("c_both"), schema::IndexPredicate::Partial);
    assert_eq!(predicate("c_live"), schema::IndexPredicate::Partial);
    assert_eq!(predicate("c_note"), schema::IndexPredicate::Partial);
    assert_eq!(predicate("c_pkey"), schema::IndexPredicate::Whole);
    let in_catalog = |i: usize, name: &str| match steps[i]
        .catalog
        .get(&key(ObjectKind::Index, &Name::bare(name)))
    {
        Some(Object::Index(index)) => index.predicate.clone(),
        _ => panic!("{name} not in the catalog"),
    };
    assert_eq!(
        in_catalog(1, "c_live"),
        schema::IndexPredicate::Where("(NOT flag)".to_string())
    );
    assert_eq!(
        in_catalog(1, "c_both"),
        schema::IndexPredicate::Where(
            "((n > 0) AND ((qid IS NOT NULL) AND (flag = false)))".to_string()
        )
    );
    assert_eq!(
        in_catalog(2, "c_live"),
        schema::IndexPredicate::Where("(NOT hidden)".to_string())
    );
    assert_eq!(
        actions_of(&model, "c", "c_pid_fkey"),
        ("cascade".to_string(), "no action".to_string())
    );
    assert_eq!(
        actions_of(&model, "c", "c_q"),
        ("no action".to_string(), "cascade".to_string())
    );
    db.drop_database().await;
}

#[tokio::test]
async fn foreign_key_actions_and_partial_indexes_follow_sqlite() {
    let db = TestDb::sqlite().await;
    let (model, _) = replay(
        &db,
        Dialect::Sqlite,
        &[
            "CREATE TABLE p (id integer PRIMARY KEY);",
            "CREATE TABLE c (id integer PRIMARY KEY, pid integer REFERENCES p (id) ON DELETE CASCADE, \
             qid integer, FOREIGN KEY (qid) REFERENCES p (id) ON UPDATE SET NULL);\n\
             CREATE INDEX c_live ON c (pid) WHERE pid > 0 AND qid IS NULL;",
            "ALTER TABLE c RENAME COLUMN qid TO rid;",
        ],
    )
    .await;
    assert_eq!(
        index_of(&model, "c_live").predicate,
        schema::IndexPredicate::Partial
    );
    let table = model.table(&Name::bare("c")).expect("c");
    let actions: Vec<_> = table
        .constraints
        .iter()
        .filter_map(|c| c.actions.clone())
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0].on_delete, "cascade");
    assert_eq!(actions[1].on_update, "set null");
}

#[tokio::test]
async fn foreign_key_actions_follow_mariadb() {
    let Some(db) = require_server(TestDb::mysql("fk_actions").await) else {
        return;
    };
    let (model, _) = replay(
        &db,
        Dialect::MySql,
        &[
            "CREATE TABLE p (id int PRIMARY KEY);",
            "CREATE TABLE c (id int PRIMARY KEY, pid int, qid int, rid int, \
             FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE ON UPDATE SET NULL, \
             FOREIGN KEY (qid) REFERENCES p (id) ON DELETE NO ACTION, \
             FOREIGN KEY (rid) REFERENCES p (id));",
        ],
    )
    .await;
    assert_eq!(
        actions_of(&model, "c", "c_ibfk_1"),
        ("cascade".to_string(), "set null".to_string())
    );
    assert_eq!(
        actions_of(&model, "c", "c_ibfk_3"),
        ("no action".to_string(), "no action".to_string())
    );
    db.drop_database().await;
}

#[tokio::test]
async fn drop_function_cascade_takes_triggers_and_leaves_callers_uncertain_postgres() {
    let Some(db) = require_server(TestDb::postgres("drop_function_cascade").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE FUNCTION seven() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 7 $$;\n\
             CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TABLE plain (id int PRIMARY KEY);\n\
             CREATE TABLE calls (id int PRIMARY KEY, n int DEFAULT seven());\n\
             CREATE TRIGGER plain_stamp BEFORE INSERT ON plain FOR EACH ROW EXECUTE FUNCTION stamp();",
            "DROP FUNCTION stamp() CASCADE;\nDROP FUNCTION seven CASCADE;",
        ],
    )
    .await;
    // The trigger went with its function; the table whose default called
    // the other one is not known for sure (the server dropped the default).
    assert!(!has(&model, ObjectKind::Trigger, "plain.plain_stamp"));
    assert!(!has(&model, ObjectKind::Function, "stamp"));
    assert!(model.is_uncertain(&key(ObjectKind::Table, &Name::bare("calls"))));
    assert!(!model.is_uncertain(&key(ObjectKind::Table, &Name::bare("plain"))));
    assert!(!model.is_open());
    let unknown: Vec<&str> = steps[1]
        .comparison
        .unknown
        .iter()
        .map(|u| u.object.as_str())
        .collect();
    assert_eq!(unknown, ["index calls_pkey", "table calls"]);
    db.drop_database().await;
}

/// Runs each `(upgrade, downgrade)` revision on `db` and the model; after
/// each upgrade, runs its downgrade on the server in a rolled-back
/// transaction and compares the catalog with the one before the upgrade.
/// Returns the revisions whose downgrade the server did not restore (with
/// the first difference), those the model's `downgrade-mismatch` names,
/// and those whose downgrade the model says it cannot judge in full
/// (`Schema::downgrade_unsure`).
async fn round_trips(
    db: &TestDb,
    dialect: Dialect,
    revisions: &[(&str, &str)],
) -> (
    std::collections::BTreeMap<String, String>,
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    use migrate_tests::catalog::{
        compile_revision_with_downgrade, downgrade_round_trip, introspect, RoundTrip,
    };
    let mut model = Schema::new(dialect);
    let mut before = introspect(&db.db).await.expect("introspection");
    let mut compiled = Vec::new();
    let mut real = std::collections::BTreeMap::new();
    let mut unsure = std::collections::BTreeSet::new();
    let mut parent = "none".to_string();
    for (i, (up, down)) in revisions.iter().enumerate() {
        let id = format!("r{i:02}");
        let revision =
            compile_revision_with_downgrade(&id, &parent, up, Some((down, true)), true, dialect)
                .unwrap_or_else(|e| panic!("{id} does not compile: {e:#?}"));
        model.begin_journal();
        let s = step(&db.db, &mut model, &revision, compare_for(db.kind)).await;
        let up = model.take_journal();
        assert!(s.server_errors.is_empty(), "{id}: {:#?}", s.server_errors);
        assert!(s.false_errors.is_empty(), "{id}: {:#?}", s.false_errors);
        model.begin_journal();
        for statement in revision.downgrade.iter().flat_map(|s| &s.statements) {
            model.apply(statement, &revision.source);
        }
        let down = model.take_journal();
        if !model.downgrade_unsure(&up, &down).is_empty() {
            unsure.insert(id.clone());
        }
        model.restore(down);
        match downgrade_round_trip(&db.db, &revision, &before)
            .await
            .expect("round trip")
        {
            RoundTrip::Ran(differences) => {
                if let Some(first) = differences.first() {
                    real.insert(id.clone(), first.clone());
                }
            }
            RoundTrip::Failed(e) => panic!("{id}: the downgrade failed: {e}"),
        }
        before = s.catalog;
        compiled.push(revision);
        parent = id;
    }
    let config = migrate_build::config::Config {
        dialect,
        ..Default::default()
    };
    let model_says = migrate_build::lint::check(&config, &compiled)
        .into_iter()
        .filter(|d| d.code == "downgrade-mismatch")
        .filter_map(|d| {
            d.labels
                .first()
                .and_then(|l| l.file.file_stem())
                .map(|f| f.to_string_lossy().into_owned())
        })
        .collect();
    (real, model_says, unsure)
}

#[tokio::test]
async fn downgrades_are_judged_on_actions_methods_and_predicates_postgres() {
    let Some(db) = require_server(TestDb::postgres("down_attributes").await) else {
        return;
    };
    let (real, model, unsure) = round_trips(
        &db,
        Dialect::Postgres,
        &[
            (
                "CREATE TABLE p (id int PRIMARY KEY);\n\
                 CREATE TABLE c (id int PRIMARY KEY, pid int, n int, \
                 CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE);\n\
                 CREATE INDEX c_n ON c (n);\nCREATE INDEX c_w ON c (n) WHERE n > 0;\n\
                 CREATE INDEX c_h ON c USING hash (n);",
                "DROP TABLE c;\nDROP TABLE p;",
            ),
            // The key comes back without its ON DELETE CASCADE.
            (
                "ALTER TABLE c DROP CONSTRAINT c_p;\n\
                 ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL;",
                "ALTER TABLE c DROP CONSTRAINT c_p;\n\
                 ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id);",
            ),
            // Sound: the key comes back as it was.
            (
                "ALTER TABLE c DROP CONSTRAINT c_p;\n\
                 ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE;",
                "ALTER TABLE c DROP CONSTRAINT c_p;\n\
                 ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL;",
            ),
            // The hash index comes back as a btree.
            (
                "DROP INDEX c_h;\nCREATE INDEX c_h ON c USING brin (n);",
                "DROP INDEX c_h;\nCREATE INDEX c_h ON c (n);",
            ),
            // The partial index comes back with another WHERE ...
            (
                "DROP INDEX c_w;\nCREATE INDEX c_w ON c (n) WHERE n > 1;",
                "DROP INDEX c_w;\nCREATE INDEX c_w ON c (n) WHERE n > 5;",
            ),
            // ... or with none.
            (
                "DROP INDEX c_w;\nCREATE INDEX c_w ON c (n) WHERE n > 0;",
                "DROP INDEX c_w;\nCREATE INDEX c_w ON c (n);",
            ),
            // Sound: method and WHERE put back.
            (
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c USING hash (n) WHERE n < 0;",
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c (n);",
            ),
            // A WHERE the model cannot print as the server does: the model
            // stays quiet, and the server agrees the downgrade restores it.
            (
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c (n) WHERE n IN (1, 2) OR n::text = 'x';",
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c USING hash (n) WHERE n < 0;",
            ),
            // Two such WHEREs that differ: the server says the downgrade
            // does not restore the index; the model cannot tell, and says
            // it is unsure rather than report.
            (
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c (n) WHERE n IN (3, 4) OR n::text = 'y';",
                "DROP INDEX c_n;\nCREATE INDEX c_n ON c (n) WHERE n IN (5, 6) OR n::text = 'z';",
            ),
        ],
    )
    .await;
    let real_ids: std::collections::BTreeSet<String> = real.keys().cloned().collect();
    assert_eq!(
        real_ids,
        ["r01", "r03", "r04", "r05", "r08"].map(String::from).into(),
        "{real:#?}"
    );
    assert!(unsure.contains("r08"), "{unsure:?}");
    assert!(
        !unsure.contains("r04") && !unsure.contains("r01"),
        "{unsure:?}"
    );
    assert_eq!(
        model,
        ["r01", "r03", "r04", "r05"].map(String::from).into(),
        "the model's downgrade-mismatch: {model:?}; the server: {real:#?}"
    );
    db.drop_database().await;
}

/// The trigger `name` in the model: its table.
fn trigger_table(model: &Schema, name: &str) -> Option<String> {
    match model.object(&key(ObjectKind::Trigger, &Name::bare(name))) {
        Some(Object::Trigger(t)) => Some(t.table.name.to_string()),
        _ => None,
    }
}

/// Triggers on SQLite and MariaDB (named once per schema): created, dropped
/// by name, carried by a table rename, dropped with their table; after
/// each revision the catalog's triggers (`sqlite_master`,
/// `information_schema.triggers`) equal the model's (`replay` compares).
async fn triggers_follow(db: &TestDb, dialect: Dialect, revisions: &[&str]) {
    let (model, steps) = replay(db, dialect, revisions).await;
    // Every trigger statement followed: nothing unknown, every object compared.
    assert_eq!(model.opened_by(), None);
    for s in &steps {
        assert!(
            s.comparison.unknown.is_empty(),
            "{:#?}",
            s.comparison.unknown
        );
    }
    let in_catalog = |i: usize| -> Vec<String> {
        steps[i]
            .catalog
            .keys()
            .filter(|k| k.kind == ObjectKind::Trigger)
            .map(|k| k.name.name.to_string())
            .collect()
    };
    assert_eq!(in_catalog(0), ["t_ins", "t_upd"]);
    assert_eq!(in_catalog(1), ["t_upd"]);
    assert_eq!(in_catalog(2), ["t_ins", "t_upd"]);
    assert!(in_catalog(3).is_empty());
    assert_eq!(in_catalog(4), ["t_upd"]);
    let all: Vec<_> = model
        .objects()
        .into_iter()
        .filter(|(k, _)| k.kind == ObjectKind::Trigger)
        .collect();
    assert_eq!(
        trigger_table(&model, "t_upd").as_deref(),
        Some("t"),
        "{all:?}"
    );
    assert_eq!(trigger_table(&model, "t_ins"), None);
}

#[tokio::test]
async fn triggers_follow_sqlite() {
    let db = TestDb::sqlite().await;
    triggers_follow(
        &db,
        Dialect::Sqlite,
        &[
            "CREATE TABLE t (id integer PRIMARY KEY, n integer);\nCREATE TABLE log (id integer);\n\
             CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END;\n\
             CREATE TRIGGER IF NOT EXISTS \"T_Upd\" AFTER UPDATE OF n ON t FOR EACH ROW WHEN new.n > 0 \
             BEGIN DELETE FROM log; UPDATE log SET id = 1; END;",
            "DROP TRIGGER t_ins;\nALTER TABLE t RENAME TO u;",
            "CREATE TRIGGER t_ins AFTER DELETE ON u BEGIN DELETE FROM log; END;",
            "DROP TABLE u;",
            "CREATE TABLE t (id integer);\nCREATE TRIGGER t_upd AFTER INSERT ON t BEGIN SELECT 1; END;",
        ],
    )
    .await;
}

#[tokio::test]
async fn triggers_follow_mariadb() {
    let Some(db) = require_server(TestDb::mysql("triggers").await) else {
        return;
    };
    triggers_follow(
        &db,
        Dialect::MySql,
        &[
            "CREATE TABLE t (id int PRIMARY KEY, n int);\nCREATE TABLE log (id int);\n\
             CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES (NEW.id);\n\
             CREATE DEFINER = CURRENT_USER TRIGGER IF NOT EXISTS `t_upd` BEFORE UPDATE ON t \
             FOR EACH ROW SET NEW.n = NEW.n + 1;",
            "DROP TRIGGER t_ins;\nRENAME TABLE t TO u;",
            "CREATE TRIGGER t_ins AFTER DELETE ON u FOR EACH ROW DELETE FROM log;",
            "DROP TABLE u;",
            "CREATE TABLE t (id int);\n\
             CREATE TRIGGER IF NOT EXISTS t_upd AFTER INSERT ON t FOR EACH ROW DELETE FROM log;",
        ],
    )
    .await;
    db.drop_database().await;
}

/// The objects the comparison could not judge after `step`.
fn unknown_after(step: &Step) -> Vec<&str> {
    step.comparison
        .unknown
        .iter()
        .map(|u| u.object.as_str())
        .collect()
}

/// The foreign keys of `table` in the model, by name.
fn foreign_keys(model: &Schema, table: &str) -> Vec<String> {
    model
        .table(&Name::bare(table))
        .map(|t| {
            t.constraints
                .iter()
                .filter(|c| c.kind == schema::ConstraintKind::ForeignKey)
                .map(|c| c.name.to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn drop_column_and_drop_table_cascade_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("drop_column_cascade").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c text, \
                 UNIQUE (a, b), CHECK (a < b), CHECK (b > 0));\n\
             CREATE INDEX t_expr ON t (lower(c));\n\
             CREATE INDEX t_part ON t (id) WHERE b > 1;\n\
             CREATE INDEX t_ab ON t (a, id);\n\
             CREATE TABLE u (x int, y int, FOREIGN KEY (x, y) REFERENCES t (a, b));\n\
             CREATE VIEW v_b AS SELECT id, b FROM t;\n\
             CREATE VIEW v_other AS SELECT id, a FROM t;\n\
             CREATE MATERIALIZED VIEW v_on AS SELECT id FROM v_b;\n\
             CREATE INDEX v_on_id ON v_on (id);",
            // Without CASCADE: the expression index on `c` goes.
            "ALTER TABLE t DROP COLUMN c;",
            // With it: the two-column unique and check, the partial index,
            // u's foreign key to (a, b), the view reading b and what is
            // built on it; the view reading other columns stays.
            "ALTER TABLE t DROP COLUMN b CASCADE;",
            // None of them is left to make these duplicates.
            "CREATE VIEW v_b AS SELECT id, a FROM t;\n\
             CREATE MATERIALIZED VIEW v_on AS SELECT id FROM v_b;\n\
             CREATE INDEX v_on_id ON v_on (id);\n\
             CREATE INDEX t_part ON t (id) WHERE a > 1;\n\
             CREATE INDEX t_expr ON t (abs(a));\n\
             ALTER TABLE t ADD CONSTRAINT t_check CHECK (a > 0);\n\
             ALTER TABLE t ADD CONSTRAINT t_a_b_key UNIQUE (a);\n\
             ALTER TABLE u ADD CONSTRAINT u_x_y_fkey FOREIGN KEY (x) REFERENCES t (id);\n\
             CREATE TABLE w (tid int REFERENCES t (id), uid int);",
            // DROP TABLE ... CASCADE takes the foreign keys of other tables
            // that reference it, with the views and their indexes.
            "DROP TABLE t CASCADE;",
        ],
    )
    .await;
    for step in &steps {
        assert_eq!(unknown_after(step), Vec::<&str>::new(), "{}", step.revision);
    }
    assert!(!has(&model, ObjectKind::Index, "t_expr"));
    assert_eq!(foreign_keys(&model, "u"), Vec::<String>::new());
    assert_eq!(foreign_keys(&model, "w"), Vec::<String>::new());
    assert!(!has(&model, ObjectKind::View, "v_on"));
    assert!(!model.is_open());
    db.drop_database().await;
}

#[tokio::test]
async fn drop_column_cascade_leaves_a_star_view_uncertain_postgres() {
    let Some(db) = require_server(TestDb::postgres("drop_column_star").await) else {
        return;
    };
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            "CREATE TABLE t (id int PRIMARY KEY, a int, b int);\n\
             CREATE VIEW v_star AS SELECT * FROM t;\n\
             CREATE VIEW v_id AS SELECT id FROM t;",
            "ALTER TABLE t DROP COLUMN b CASCADE;",
        ],
    )
    .await;
    // A `*` reads the columns the table had when the view was made, which
    // the model does not keep: the view is not known for sure.
    assert_eq!(unknown_after(&steps[1]), ["view v_star"]);
    assert!(has(&model, ObjectKind::View, "v_id"));
    db.drop_database().await;
}

#[tokio::test]
async fn drop_type_cascade_takes_columns_domains_and_overloads_postgres() {
    let Some(db) = require_server(TestDb::postgres("drop_type_cascade").await) else {
        return;
    };
    let create = "CREATE TYPE mood AS ENUM ('a', 'b');\n\
         CREATE DOMAIN dmood AS mood;\n\
         CREATE DOMAIN ddmood AS dmood CHECK (VALUE IS NOT NULL);\n\
         CREATE FUNCTION f(mood) RETURNS int LANGUAGE sql AS 'SELECT 1';\n";
    let (model, steps) = replay(
        &db,
        Dialect::Postgres,
        &[
            &format!(
                "{create}\
                 CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT 2';\n\
                 CREATE DOMAIN short AS varchar(20) CHECK (VALUE <> '');\n\
                 CREATE DOMAIN stamp AS timestamp;\n\
                 CREATE TYPE pair AS (a int, b text);\n\
                 CREATE TABLE p (id int PRIMARY KEY, m mood, ms mood[], d ddmood, k text);\n\
                 CREATE INDEX p_m ON p (m, k);\n\
                 CREATE VIEW pv AS SELECT id, k FROM p;\n\
                 CREATE VIEW pvm AS SELECT id, m FROM p;"
            ),
            "DROP TYPE mood CASCADE;",
            // Every one of them went: making them again is no duplicate.
            &format!(
                "{create}\
                 ALTER TABLE p ADD COLUMN m mood, ADD COLUMN ms mood[], ADD COLUMN d ddmood;\n\
                 CREATE INDEX p_m ON p (m, k);\n\
                 CREATE VIEW pvm AS SELECT id, m FROM p;"
            ),
        ],
    )
    .await;
    for step in &steps {
        assert_eq!(unknown_after(step), Vec::<&str>::new(), "{}", step.revision);
    }
    assert!(has(&model, ObjectKind::Function, "f"));
    assert!(has(&model, ObjectKind::View, "pv"));
    assert!(has(&model, ObjectKind::Type, "ddmood"));
    db.drop_database().await;
}

/// The model after `revisions` (SQL texts), replayed on the model alone.
fn model_only(dialect: Dialect, revisions: &[&str]) -> Schema {
    let mut model = Schema::new(dialect);
    let mut parent = "none".to_string();
    for (i, upgrade) in revisions.iter().enumerate() {
        let id = format!("m{i:02}");
        let revision = compile_revision(&id, &parent, upgrade, true, dialect)
            .unwrap_or_else(|e| panic!("{id} does not compile: {e:#?}"));
        for statement in revision.upgrade.iter().flat_map(|s| &s.statements) {
            model.apply(statement, &revision.source);
        }
        parent = id;
    }
    model
}

/// Check, index-expression and view texts compared exactly: the server
/// prints the model's text on stand-ins of the tables (`reprint`) and
/// `compare_texts` compares it with the catalog's. `NOT VALID` until
/// `VALIDATE CONSTRAINT`, and a column rename carried into the checks and
/// index expressions that read it (before the model followed either, the
/// server printed `NOT VALID` where the model's text had none, and refused
/// the model's check on the old column name); a view reading the renamed
/// column has a text the model cannot know (`t.new AS old`): unknown. A
/// model whose texts differ from the database's gets a mismatch for each.
#[tokio::test]
async fn check_index_and_view_texts_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("texts").await) else {
        return;
    };
    let history = [
        "CREATE TABLE items (id int PRIMARY KEY, title varchar(50), qty int, \
         CONSTRAINT qty_positive CHECK (qty > 0));\n\
         CREATE INDEX items_lower ON items (lower(title)) WHERE qty > 2;\n\
         CREATE VIEW big AS SELECT id, qty FROM items WHERE qty > 10;\n\
         CREATE VIEW named AS SELECT id FROM items;",
        "ALTER TABLE items ADD CONSTRAINT title_short CHECK (char_length(title) < 40) NOT VALID;",
        "ALTER TABLE items RENAME COLUMN qty TO quantity;\n\
         ALTER TABLE items RENAME COLUMN title TO name;",
        "ALTER TABLE items VALIDATE CONSTRAINT title_short;",
        "ALTER TABLE items ALTER COLUMN name TYPE text;",
        "ALTER TABLE items ALTER COLUMN name TYPE varchar(40);",
        // The server keeps the cast it once added to the stored text when the
        // type change rebuilds the index (`norm((code)::character varying)`),
        // which the index made fresh would not have: unknown.
        "CREATE FUNCTION norm(varchar) RETURNS varchar IMMUTABLE LANGUAGE sql AS 'SELECT lower($1)';\n\
         CREATE TABLE codes (code text, CONSTRAINT code_short CHECK (norm(code) <> ''));\n\
         CREATE INDEX codes_norm ON codes (norm(code));",
        "ALTER TABLE codes ALTER COLUMN code TYPE varchar(20);",
        // A table rename: the server prints the views that read it with
        // the new name, as the model now does.
        "CREATE TABLE kinds (id int, label text);\n\
         CREATE VIEW kind_labels AS SELECT kinds.id, label FROM kinds WHERE kinds.id > 0;",
        "ALTER TABLE kinds RENAME TO sorts;",
    ];
    let (model, steps) = replay(&db, Dialect::Postgres, &history).await;
    let texts: Vec<_> = steps.iter().map(|s| s.comparison.texts).collect();
    // Two checks, one index expression, two views; after the renames
    // `big` is unknown; after a type change, the texts reading the column
    // (of `items`, one check is left; `codes` has one check and one index).
    let counts: Vec<_> = texts
        .iter()
        .map(|t| (t.checks, t.index_expressions, t.views))
        .collect();
    assert_eq!(
        counts,
        [
            (1, 1, 2),
            (2, 1, 2),
            (2, 1, 1),
            (2, 1, 1),
            (1, 0, 1),
            (1, 0, 1),
            (2, 1, 1),
            (1, 0, 1),
            (1, 0, 2),
            (1, 0, 2)
        ],
        "{texts:?}"
    );
    let unknown: Vec<&str> = steps
        .last()
        .map(|s| {
            s.comparison
                .unknown
                .iter()
                .map(|u| u.object.as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        unknown,
        [
            "index codes_norm",
            "index items_lower",
            "table codes",
            "table items",
            "view big"
        ],
        "{unknown:?}"
    );
    let check = |name: &str| match model.object(&key(ObjectKind::Table, &Name::bare("items"))) {
        Some(Object::Table(t)) => t
            .constraints
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.definition.clone()),
        _ => None,
    };
    assert_eq!(
        check("qty_positive").as_deref(),
        Some("CHECK (quantity > 0)")
    );
    assert_eq!(
        check("title_short").as_deref(),
        Some("CHECK (char_length(name) < 40)")
    );
    // The same comparison with a model whose texts differ from the
    // database's: each differing text is a mismatch.
    let other = model_only(
        Dialect::Postgres,
        &[
            "CREATE TABLE items (id int PRIMARY KEY, name varchar(40), quantity int, \
             CONSTRAINT qty_positive CHECK (quantity >= 0));\n\
             ALTER TABLE items ADD CONSTRAINT title_short CHECK (char_length(name) < 40) NOT VALID;\n\
             CREATE INDEX items_lower ON items (upper(name)) WHERE quantity > 2;\n\
             CREATE VIEW big AS SELECT id, quantity FROM items;\n\
             CREATE VIEW named AS SELECT id FROM items WHERE id > 0;",
        ],
    );
    let catalog = introspect(&db.db).await.expect("catalog");
    let mut comparison = compare(&other, &catalog, compare_for(db.kind));
    assert!(comparison.unknown.is_empty(), "{:#?}", comparison.unknown);
    compare_model_texts(&db.db, &other, &catalog, &mut comparison)
        .await
        .expect("reprint");
    // (`other` has no `codes` and `norm`: those mismatches are not texts.)
    let mismatches: Vec<String> = comparison
        .mismatches
        .iter()
        .map(|m| format!("{}: {}", m.object, m.detail))
        .filter(|m| m.contains(": text `"))
        .collect();
    for expected in [
        "table items: check constraint qty_positive: text `CHECK ((quantity >= 0))`",
        "table items: check constraint title_short: text `CHECK ((char_length((name)::text) < 40)) NOT VALID`",
        "index items_lower: text `USING btree (upper((name)::text)) WHERE (quantity > 2)`",
        "view big: text",
        "view named: text",
    ] {
        assert!(
            mismatches.iter().any(|m| m.starts_with(expected)),
            "{expected} not among {mismatches:#?} ({:?})", comparison.texts
        );
    }
    assert_eq!(mismatches.len(), 5, "{mismatches:#?}");
    db.drop_database().await;
}

/// The texts of `comparison`'s mismatches that are about a text (`: text
/// \``), as `object: detail`.
fn text_mismatches(comparison: &migrate_tests::catalog::Comparison) -> Vec<String> {
    comparison
        .mismatches
        .iter()
        .map(|m| format!("{}: {}", m.object, m.detail))
        .filter(|m| m.contains(": text `"))
        .collect()
}

/// `other` compared with the catalog of `db`, texts included.
async fn compare_other(db: &TestDb, other: &Schema) -> migrate_tests::catalog::Comparison {
    let catalog = introspect(&db.db).await.expect("catalog");
    let mut comparison = compare(other, &catalog, compare_for(db.kind));
    compare_model_texts(&db.db, other, &catalog, &mut comparison)
        .await
        .expect("reprint");
    comparison
}

#[tokio::test]
async fn check_view_generated_and_default_texts_follow_mariadb() {
    let Some(db) = require_server(TestDb::mysql("texts").await) else {
        return;
    };
    let history = [
        "CREATE TABLE items (id int PRIMARY KEY, title varchar(50), qty int DEFAULT (1 + 1), \
         created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, code char(8) DEFAULT (upper('ab')), \
         total int AS (qty * 2) VIRTUAL, CONSTRAINT qty_positive CHECK (qty > 0));\n\
         CREATE VIEW big AS SELECT id, qty FROM items WHERE qty > 10;",
        "ALTER TABLE items ADD CONSTRAINT title_short CHECK (char_length(title) < 40);\n\
         ALTER TABLE items ALTER COLUMN title SET DEFAULT (concat('a', 'b'));",
        "ALTER TABLE items MODIFY COLUMN code varchar(12) DEFAULT (lower('CD'));",
    ];
    let (_, steps) = replay(&db, Dialect::MySql, &history).await;
    let counts: Vec<_> = steps
        .iter()
        .map(|s| {
            let t = s.comparison.texts;
            (t.checks, t.views, t.defaults, t.generated)
        })
        .collect();
    // Each text compared exactly: checks, the view, the defaults that are
    // expressions (`CURRENT_TIMESTAMP` among them) and the generated column.
    assert_eq!(counts, [(1, 1, 3, 1), (2, 1, 4, 1), (2, 1, 4, 1)]);
    // A model with other texts: a mismatch for each.
    let other = model_only(
        Dialect::MySql,
        &["CREATE TABLE items (id int PRIMARY KEY, title varchar(50) DEFAULT (concat('a', 'b')), \
           qty int DEFAULT (1 + 3), created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, \
           code varchar(12) DEFAULT (upper('CD')), total int AS (qty * 3) VIRTUAL, \
           CONSTRAINT qty_positive CHECK (qty >= 0), \
           CONSTRAINT title_short CHECK (char_length(title) < 40));\n\
           CREATE VIEW big AS SELECT id, qty FROM items;"],
    );
    let comparison = compare_other(&db, &other).await;
    let mismatches = text_mismatches(&comparison);
    for expected in [
        "table items: check constraint qty_positive: text `",
        "table items: column qty: text `(1 + 3)`",
        "table items: column code: text `",
        "table items: column total: text `",
        "view big: text `",
    ] {
        assert!(
            mismatches.iter().any(|m| m.starts_with(expected)),
            "{expected} not among {mismatches:#?}"
        );
    }
    assert_eq!(mismatches.len(), 5, "{mismatches:#?}");
    db.drop_database().await;
}

#[tokio::test]
async fn default_and_generated_texts_follow_postgres() {
    let Some(db) = require_server(TestDb::postgres("default_texts").await) else {
        return;
    };
    let history = [
        "CREATE SEQUENCE counter;\n\
         CREATE TABLE events (id int DEFAULT nextval('counter'), at timestamptz DEFAULT now(), \
         day date DEFAULT CURRENT_DATE, flag boolean DEFAULT 'f', label text DEFAULT lower('A'), \
         n int DEFAULT 1 + 1, plain int DEFAULT 3, doubled int GENERATED ALWAYS AS (n * 2) STORED);",
        // The server converts the stored default to the new type: unknown.
        "ALTER TABLE events ALTER COLUMN label TYPE varchar(20);",
        // It prints the sequence's new name in the default: unknown.
        "ALTER SEQUENCE counter RENAME TO tally;",
        // A default set afresh is known again.
        "ALTER TABLE events ALTER COLUMN label SET DEFAULT upper('b');",
    ];
    let (_, steps) = replay(&db, Dialect::Postgres, &history).await;
    let counts: Vec<_> = steps
        .iter()
        .map(|s| (s.comparison.texts.defaults, s.comparison.texts.generated))
        .collect();
    assert_eq!(counts, [(6, 1), (5, 1), (4, 1), (5, 1)]);
    let other = model_only(
        Dialect::Postgres,
        &["CREATE SEQUENCE tally;\n\
           CREATE TABLE events (id int DEFAULT nextval('tally'), at timestamptz DEFAULT CURRENT_TIMESTAMP, \
           day date DEFAULT CURRENT_DATE, flag boolean DEFAULT 't', label varchar(20) DEFAULT upper('c'), \
           n int DEFAULT 1 + 2, plain int DEFAULT 3, doubled int GENERATED ALWAYS AS (n * 3) STORED);"],
    );
    let comparison = compare_other(&db, &other).await;
    let mismatches = text_mismatches(&comparison);
    for expected in [
        "table events: column at: text `CURRENT_TIMESTAMP`",
        "table events: column flag: text `true`",
        "table events: column label: text `upper('c'::text)`",
        "table events: column n: text `(1 + 2)`",
        "table events: column doubled: text `(n * 3)`",
    ] {
        assert!(
            mismatches.iter().any(|m| m.starts_with(expected)),
            "{expected} not among {mismatches:#?}"
        );
    }
    assert_eq!(mismatches.len(), 5, "{mismatches:#?}");
    db.drop_database().await;
}
