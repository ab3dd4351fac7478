//! `cargo migrate stamp --adopt <tool>`: a database another tool migrated is
//! taken over. sqlx, diesel and refinery migrate the database themselves
//! (their crates are dev-dependencies); for golang-migrate, dbmate and pop
//! the test runs the scripts and writes the tool's table as the tool's own
//! source creates and fills it. Each time: import the tool's directory,
//! adopt, add a revision, `upgrade head`: only the new revision runs, and
//! the catalog is the one the tool made plus that revision.

use std::path::Path;

mod support;
use migrate_test_support::{block_on, drop_database, fresh_database, server_url};
use support::{cargo_migrate, Run};

use sqlx::Connection as _;

/// One source migration: version, name, up, down.
struct Step {
    version: &'static str,
    name: &'static str,
    up: &'static str,
    down: &'static str,
}

/// A small history with a table, a foreign key, an index and a view.
fn history(versions: [&'static str; 3]) -> [Step; 3] {
    [
        Step {
            version: versions[0],
            name: "users",
            up: "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n",
            down: "DROP TABLE users;\n",
        },
        Step {
            version: versions[1],
            name: "posts",
            up: "CREATE TABLE posts (\n    id BIGINT PRIMARY KEY,\n    user_id BIGINT NOT NULL REFERENCES users (id),\n    body TEXT\n);\nCREATE INDEX posts_user ON posts (user_id);\n",
            down: "DROP TABLE posts;\n",
        },
        Step {
            version: versions[2],
            name: "post_counts",
            up: "CREATE VIEW post_counts AS SELECT user_id, COUNT(*) AS posts FROM posts GROUP BY user_id;\n",
            down: "DROP VIEW post_counts;\n",
        },
    ]
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The history in `tool`'s own layout, in `dir`.
fn write_source(tool: &str, dir: &Path, steps: &[Step]) {
    for step in steps {
        let (version, name, up, down) = (step.version, step.name, step.up, step.down);
        match tool {
            "sqlx" | "golang-migrate" | "pop" => {
                write(&dir.join(format!("{version}_{name}.up.sql")), up);
                write(&dir.join(format!("{version}_{name}.down.sql")), down);
            }
            "diesel" => {
                write(&dir.join(format!("{version}_{name}/up.sql")), up);
                write(&dir.join(format!("{version}_{name}/down.sql")), down);
            }
            "refinery" => write(&dir.join(format!("V{version}__{name}.sql")), up),
            "dbmate" => write(
                &dir.join(format!("{version}_{name}.sql")),
                &format!("-- migrate:up\n{up}\n-- migrate:down\n{down}"),
            ),
            other => panic!("no layout for {other}"),
        }
    }
}

async fn execute(url: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs the steps' up scripts, then writes the tool's own table (`table`, as
/// the tool documents it): a database that tool migrated.
fn migrated_by_hand(url: &str, steps: &[Step], table: &str) {
    block_on(async {
        for step in steps {
            execute(url, step.up).await;
        }
        execute(url, table).await;
    });
}

/// The schema as the catalog describes it: columns, constraints, indexes and
/// views of the current schema, one line each, sorted.
fn catalog(url: &str) -> Vec<String> {
    block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        let query = "
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
              FROM information_schema.columns WHERE table_schema = current_schema()
            UNION ALL
            SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = current_schema()
            ORDER BY 1";
        sqlx::query_scalar::<_, String>(query)
            .fetch_all(&mut conn)
            .await
            .expect("catalog")
    })
}

/// Catalog lines of the tables `cargo migrate` adds: its version table and
/// the new revision's `notes`.
fn ours(line: &str) -> bool {
    ["migrate_version", "notes"].iter().any(|table| {
        line.split([' ', '.'])
            .nth(1)
            .is_some_and(|t| t.starts_with(table))
    })
}

fn run(work: &Path, url: Option<&str>, args: &[&str]) -> Run {
    let run = cargo_migrate(work, url, args);
    eprintln!(
        "$ cargo migrate {}\n{}{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
    run
}

/// Imports `source` as `tool`'s history into `work/migrations`; returns the
/// last revision id.
fn import(work: &Path, tool: &str, source: &Path) -> String {
    let imported = run(
        work,
        None,
        &[
            "import",
            "--from",
            tool,
            source.to_str().unwrap(),
            "--dialect",
            "postgres",
            "--format",
            "json",
        ],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let report: serde_json::Value = serde_json::from_str(&imported.stdout).unwrap();
    let last = report["revisions_written"]
        .as_array()
        .and_then(|files| files.last())
        .and_then(|file| file.as_str())
        .expect("revisions written");
    last.split(['_', '.']).next().unwrap().to_string()
}

/// After `tool` migrated the database at `url`: adopt it, add a revision and
/// upgrade; checks that only the new revision ran and the schema is the
/// tool's plus that revision.
fn adopt_and_extend(work: &Path, url: &str, tool: &str, head: &str, revisions: usize) {
    let before: Vec<String> = catalog(url).into_iter().filter(|l| !ours(l)).collect();
    assert!(
        before
            .iter()
            .any(|line| line.starts_with("view post_counts")),
        "{tool} made the schema: {before:#?}"
    );
    let adopted = run(
        work,
        Some(url),
        &["stamp", "--adopt", tool, "--format", "json"],
    );
    assert_eq!(adopted.code, 0, "{}", adopted.stderr);
    assert!(
        adopted.stderr.contains(&format!(
            "{revisions} revision(s) recorded as applied, the database is at {head} (no SQL ran)"
        )),
        "{}",
        adopted.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&adopted.stdout).unwrap();
    assert_eq!(report["current"], serde_json::json!([head]));
    assert_eq!(
        catalog(url).iter().filter(|l| !ours(l)).count(),
        before.len()
    );
    // Adopting twice changes nothing.
    let again = run(work, Some(url), &["stamp", "--adopt", tool]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already"), "{}", again.stderr);

    write(
        &work.join("migrations/99990000000001_notes.sql"),
        &format!(
            "-- message: notes\n-- revision: 99990000000001\n-- down_revision: {head}\n\n-- migrate:upgrade\nCREATE TABLE notes (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id), note TEXT NOT NULL);\n\n-- migrate:downgrade\nDROP TABLE notes;\n"
        ),
    );
    assert_eq!(run(work, None, &["lock"]).code, 0);
    let upgraded = run(work, Some(url), &["upgrade", "head"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    let moved: Vec<&str> = upgraded
        .stderr
        .lines()
        .filter(|line| line.trim_start().starts_with("Upgraded"))
        .collect();
    assert_eq!(moved.len(), 1, "only the new revision runs: {moved:?}");
    assert!(
        moved[0].contains(&format!("{head} -> 99990000000001")),
        "{moved:?}"
    );

    let after = catalog(url);
    let theirs: Vec<String> = after.iter().filter(|l| !ours(l)).cloned().collect();
    assert_eq!(theirs, before, "the tool's schema is untouched");
    let notes: Vec<&String> = after
        .iter()
        .filter(|l| l.starts_with("column notes.") || l.starts_with("constraint notes "))
        .collect();
    assert_eq!(
        notes.len(),
        3 + 2,
        "three columns, a key and a foreign key: {notes:#?}"
    );
    let current = run(work, Some(url), &["current"]);
    assert!(
        current.stdout.contains("99990000000001"),
        "{}",
        current.stdout
    );
}

/// A PostgreSQL database of its own, dropped when the closure returns.
fn with_postgres(prefix: &str, test: impl FnOnce(&str)) {
    let Some(base) = server_url("MIGRATE_TEST_POSTGRES_URL", prefix) else {
        return;
    };
    let (url, name) = fresh_database(&base, prefix);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&url)));
    drop_database(&base, &name);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn sqlx_migrated_database_is_adopted() {
    with_postgres("adopt_sqlx", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("sqlx");
        write_source(
            "sqlx",
            &source,
            &history(["20240101000001", "20240101000002", "20240101000003"]),
        );
        block_on(async {
            let migrator = sqlx::migrate::Migrator::new(source.as_path())
                .await
                .expect("sqlx reads its directory");
            let pool = sqlx::PgPool::connect(url).await.expect("connect");
            migrator.run(&pool).await.expect("sqlx migrates");
            pool.close().await;
        });
        let head = import(work.path(), "sqlx", &source);
        assert_eq!(head, "20240101000003");
        adopt_and_extend(work.path(), url, "sqlx", &head, 3);
    });
}

#[test]
fn golang_migrate_table_is_adopted_and_a_dirty_one_refused() {
    with_postgres("adopt_golang", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("golang");
        let steps = history(["1", "2", "3"]);
        write_source("golang-migrate", &source, &steps);
        let head = import(work.path(), "golang-migrate", &source);
        // golang-migrate's postgres driver: one row, the version reached.
        migrated_by_hand(url, &steps, "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);\nINSERT INTO schema_migrations (version, dirty) VALUES (3, true);");
        let dirty = run(
            work.path(),
            Some(url),
            &["stamp", "--adopt", "golang-migrate"],
        );
        assert_eq!(dirty.code, 1);
        assert!(
            dirty.stderr.contains(
                "cannot adopt the database: golang-migrate marks version(s) 3 unfinished (dirty)"
            ) && dirty.stderr.contains("nothing was recorded"),
            "{}",
            dirty.stderr
        );
        block_on(execute(url, "UPDATE schema_migrations SET dirty = false"));
        adopt_and_extend(work.path(), url, "golang-migrate", &head, 3);
    });
}

#[test]
fn dbmate_table_is_adopted_and_a_gap_refused() {
    with_postgres("adopt_dbmate", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("dbmate");
        let steps = history(["20240101000001", "20240101000002", "20240101000003"]);
        write_source("dbmate", &source, &steps);
        let head = import(work.path(), "dbmate", &source);
        // dbmate's postgres driver creates and fills it so.
        migrated_by_hand(url, &steps, "create table if not exists schema_migrations (version varchar(128) primary key);\ninsert into schema_migrations (version) values ('20240101000001'), ('20240101000003');");
        let gap = run(work.path(), Some(url), &["stamp", "--adopt", "dbmate"]);
        assert_eq!(gap.code, 1);
        assert!(
            gap.stderr.contains("`schema_migrations` skips version(s) in the middle of its history: revision(s) 20240101000002 come before recorded ones"),
            "{}",
            gap.stderr
        );
        // Nothing was recorded: the version table was not even created.
        assert!(!catalog(url).iter().any(|l| l.contains("migrate_version")));
        block_on(execute(
            url,
            "insert into schema_migrations (version) values ('20240101000002'), ('20240101000009');",
        ));
        let ahead = run(work.path(), Some(url), &["stamp", "--adopt", "dbmate"]);
        assert_eq!(ahead.code, 1);
        assert!(
            ahead
                .stderr
                .contains("`schema_migrations` holds version(s) the migrations directory lacks: 20240101000009"),
            "{}",
            ahead.stderr
        );
        block_on(execute(
            url,
            "delete from schema_migrations where version = '20240101000009'",
        ));
        adopt_and_extend(work.path(), url, "dbmate", &head, 3);
    });
}

#[test]
fn pop_table_is_adopted_with_its_empty_migrations() {
    with_postgres("adopt_pop", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("pop");
        let steps = history(["20240101000001", "20240101000003", "20240101000004"]);
        write_source("pop", &source, &steps);
        // An empty migration: the import skips it, popx runs and records it.
        write(&source.join("20240101000002_nothing.up.sql"), "");
        write(&source.join("20240101000002_nothing.down.sql"), "");
        let head = import(work.path(), "pop", &source);
        // popx's CreateSchemaMigrations, then one row per migration run.
        migrated_by_hand(url, &steps, "CREATE TABLE schema_migration (version VARCHAR (48) NOT NULL, version_self INT NOT NULL DEFAULT 0);\nCREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version);\nCREATE INDEX schema_migration_version_self_idx ON schema_migration (version_self);\nINSERT INTO schema_migration (version) VALUES ('20240101000001'), ('20240101000002'), ('20240101000003'), ('20240101000004');");
        let adopted = run(work.path(), Some(url), &["stamp", "--adopt", "pop"]);
        assert_eq!(adopted.code, 0, "{}", adopted.stderr);
        assert!(
            adopted
                .stderr
                .contains("ignored pop version(s) 20240101000002"),
            "{}",
            adopted.stderr
        );
        adopt_and_extend(work.path(), url, "pop", &head, 3);
    });
}

#[test]
fn a_database_without_the_table_is_refused() {
    with_postgres("adopt_none", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("sqlx");
        write_source(
            "sqlx",
            &source,
            &history(["20240101000001", "20240101000002", "20240101000003"]),
        );
        import(work.path(), "sqlx", &source);
        let refused = run(work.path(), Some(url), &["stamp", "--adopt", "diesel"]);
        assert_eq!(refused.code, 1);
        assert!(
            refused.stderr.contains("the database has no `__diesel_schema_migrations` table: it was not migrated by diesel"),
            "{}",
            refused.stderr
        );
        let usage = run(work.path(), Some(url), &["stamp", "--adopt", "flyway"]);
        assert_eq!(usage.code, 2, "{}", usage.stderr);
        let both = run(
            work.path(),
            Some(url),
            &["stamp", "head", "--adopt", "sqlx"],
        );
        assert_eq!(both.code, 2, "{}", both.stderr);
    });
}

#[test]
fn diesel_migrated_database_is_adopted() {
    with_postgres("adopt_diesel", |url| {
        use diesel::Connection as _;
        use diesel_migrations::MigrationHarness as _;
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("diesel");
        write_source(
            "diesel",
            &source,
            &history([
                "2024-01-01-000001",
                "2024-01-01-000002",
                "2024-01-01-000003",
            ]),
        );
        let mut conn = diesel::PgConnection::establish(url).expect("diesel connects");
        let migrations =
            diesel_migrations::FileBasedMigrations::from_path(&source).expect("diesel reads it");
        let ran = conn
            .run_pending_migrations(migrations)
            .expect("diesel migrates");
        assert_eq!(ran.len(), 3);
        drop(conn);
        let head = import(work.path(), "diesel", &source);
        assert_eq!(head, "20240101000003");
        adopt_and_extend(work.path(), url, "diesel", &head, 3);
    });
}

#[test]
fn refinery_migrated_database_is_adopted() {
    with_postgres("adopt_refinery", |url| {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("refinery");
        write_source("refinery", &source, &history(["1", "2", "3"]));
        block_on(async {
            let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("tokio-postgres connects");
            let driver = tokio::spawn(connection);
            let migrations = refinery::load_sql_migrations(&source).expect("refinery reads it");
            let report = refinery::Runner::new(&migrations)
                .run_async(&mut client)
                .await
                .expect("refinery migrates");
            assert_eq!(report.applied_migrations().len(), 3);
            drop(client);
            let _ = driver.await;
        });
        let head = import(work.path(), "refinery", &source);
        assert_eq!(head, "3");
        adopt_and_extend(work.path(), url, "refinery", &head, 3);
    });
}
