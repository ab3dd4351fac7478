//! Alembic itself (from a virtualenv) writes a branched history with labels
//! and a merge: `cargo migrate import --from alembic` reads the SQL Alembic
//! writes offline and must give the same graph (`history` and `heads`, in
//! Alembic's order and format); a database Alembic migrated to two heads is
//! then adopted with `stamp --adopt alembic` and brought to head by
//! `cargo migrate`, which runs exactly the revisions Alembic had not run.
//!
//! Python with Alembic comes from `MIGRATE_ALEMBIC_PYTHON`, else
//! `.venv-alembic/` at the workspace root (`.ci/run` creates it); under `CI`
//! a missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use migrate_test_support::block_on;
use support::{cargo_migrate, Run};

use sqlx::Connection as _;

fn python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MIGRATE_ALEMBIC_PYTHON").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-alembic/bin/python")),
    ];
    let found = candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import alembic"])
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Python with Alembic: run .ci/run, or set MIGRATE_ALEMBIC_PYTHON"
        );
        eprintln!("skipped: no Python with Alembic (set MIGRATE_ALEMBIC_PYTHON)");
    }
    found
}

/// Runs `alembic ARGS` in `project`; returns stdout.
fn alembic(python: &Path, project: &Path, args: &[&str]) -> String {
    let out = Command::new(python)
        .args(["-m", "alembic"])
        .args(args)
        .current_dir(project)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "alembic {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// (id, parents, branch labels, message, upgrade SQL, downgrade SQL)
const REVISIONS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("1975ea83b712", "None", "None", "create users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)", "DROP TABLE users"),
    ("27c6a30d7c24", "'1975ea83b712'", "('blog',)", "create posts", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT)", "DROP TABLE posts"),
    ("3ae4fa5e2a81", "'27c6a30d7c24'", "None", "index posts", "CREATE INDEX posts_user ON posts (user_id)", "DROP INDEX posts_user"),
    ("4bd8c1f0e9a2", "'1975ea83b712'", "('tagging',)", "create tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL)", "DROP TABLE tags"),
    ("5c0f2e7d6b13", "('3ae4fa5e2a81', '4bd8c1f0e9a2')", "None", "merge blog and tagging", "CREATE TABLE post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL)", "DROP TABLE post_tags"),
    ("6d1a9b3c8e24", "'5c0f2e7d6b13'", "None", "tag counts", "CREATE VIEW tag_counts AS SELECT tag_id, COUNT(*) AS posts FROM post_tags GROUP BY tag_id", "DROP VIEW tag_counts"),
];

/// An Alembic project in `work/alembic` on the SQLite file `work/app.db`.
fn project(python: &Path, work: &Path) -> PathBuf {
    let project = work.join("alembic");
    std::fs::create_dir_all(&project).unwrap();
    alembic(python, &project, &["init", "scripts"]);
    let ini = project.join("alembic.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    let url = format!(
        "sqlalchemy.url = sqlite:///{}",
        work.join("app.db").display()
    );
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("sqlalchemy.url") {
                url.clone()
            } else {
                line.to_string()
            }
        })
        .map(|line| line + "\n")
        .collect();
    std::fs::write(&ini, text).unwrap();
    for (id, down, labels, message, up_sql, down_sql) in REVISIONS {
        std::fs::write(
            project.join(format!("scripts/versions/{id}_rev.py")),
            format!(
                "\"\"\"{message}\n\nRevision ID: {id}\n\"\"\"\nfrom alembic import op\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\ndepends_on = None\n\n\ndef upgrade():\n    op.execute(\"{up_sql}\")\n\n\ndef downgrade():\n    op.execute(\"{down_sql}\")\n"
            ),
        )
        .unwrap();
    }
    project
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

/// Imports the project's offline SQL into `work/migrations`.
fn import(python: &Path, project: &Path, work: &Path) {
    let up = alembic(python, project, &["upgrade", "base:heads", "--sql"]);
    let down = alembic(python, project, &["downgrade", "heads:base", "--sql"]);
    assert!(
        up.contains("-- Running upgrade 3ae4fa5e2a81, 4bd8c1f0e9a2 -> 5c0f2e7d6b13"),
        "{up}"
    );
    std::fs::write(work.join("up.sql"), &up).unwrap();
    std::fs::write(work.join("down.sql"), &down).unwrap();
    let versions = project.join("scripts/versions");
    let imported = run(
        work,
        None,
        &[
            "import",
            "--from",
            "alembic",
            "up.sql",
            "--downgrade-sql",
            "down.sql",
            "--alembic-versions",
            versions.to_str().unwrap(),
            "--dialect",
            "sqlite",
        ],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
}

#[test]
fn alembic_history_imports_as_the_same_graph() {
    let Some(python) = python() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let project = project(&python, work.path());
    import(&python, &project, work.path());
    let merge = std::fs::read_to_string(
        work.path()
            .join("migrations/5c0f2e7d6b13_merge_blog_and_tagging.sql"),
    )
    .unwrap();
    assert!(
        merge.starts_with("-- message: merge blog and tagging\n-- revision: 5c0f2e7d6b13\n-- down_revision: 3ae4fa5e2a81, 4bd8c1f0e9a2\n-- source: alembic 5c0f2e7d6b13\n\n-- migrate:upgrade\nCREATE TABLE post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL);\n\n-- migrate:downgrade\nDROP TABLE post_tags;\n"),
        "{merge}"
    );
    let posts =
        std::fs::read_to_string(work.path().join("migrations/27c6a30d7c24_create_posts.sql"))
            .unwrap();
    assert!(posts.contains("-- branch_labels: blog\n"), "{posts}");
    // The same graph: each revision's parents and message as Alembic's own
    // `history` prints them, the same heads, and the upgrade order of
    // Alembic's script is the order of ours.
    let theirs = alembic(&python, &project, &["history"]);
    let ours = run(work.path(), None, &["history"]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert_eq!(edges(&ours.stdout), edges(&theirs));
    assert_eq!(edges(&theirs).len(), REVISIONS.len());
    let heads = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect()
    };
    let theirs = alembic(&python, &project, &["heads"]);
    let ours = run(work.path(), None, &["heads"]);
    assert_eq!(heads(&ours.stdout), heads(&theirs));
    assert_eq!(heads(&theirs), ["6d1a9b3c8e24"]);
    let theirs = alembic(&python, &project, &["upgrade", "base:heads", "--sql"]);
    let ours = run(
        work.path(),
        None,
        &["upgrade", "base:heads", "--sql", "--dialect", "sqlite"],
    );
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let order = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("-- Running upgrade "))
            .map(|rest| {
                let id = rest.rsplit_once(" -> ").map_or(rest, |(_, id)| id);
                id.split_whitespace().next().unwrap_or("").to_string()
            })
            .collect()
    };
    // Both run every revision after its parents; between independent
    // branches the two tools may interleave differently (Alembic runs the
    // `tagging` branch first here, this project the `blog` one).
    let (ours, theirs) = (order(&ours.stdout), order(&theirs));
    let mut sorted = (ours.clone(), theirs.clone());
    sorted.0.sort();
    sorted.1.sort();
    assert_eq!(sorted.0, sorted.1);
    for run in [&ours, &theirs] {
        for (id, parents, ..) in REVISIONS {
            let at = run.iter().position(|r| r == id).unwrap();
            for parent in python_labels(parents).split(", ").filter(|p| !p.is_empty()) {
                assert!(
                    run[..at].iter().any(|r| r == parent),
                    "{run:?}: {parent} before {id}"
                );
            }
        }
    }
    // Each revision shows the branch labels Alembic's `show` gives it: its
    // own and those it inherits along its branch (a merge both of its
    // parents'). Alembic prints a set, so both are compared sorted.
    let branch_names = |text: &str| -> Option<Vec<String>> {
        text.lines()
            .find(|l| l.starts_with("Branch names:"))
            .map(|l| {
                let mut labels: Vec<String> = l
                    .trim_start_matches("Branch names:")
                    .split(',')
                    .map(|label| label.trim().to_string())
                    .collect();
                labels.sort();
                labels
            })
    };
    let mut inherited = 0;
    for (id, _, labels, ..) in REVISIONS {
        let shown = run(work.path(), None, &["show", id]);
        let theirs = alembic(&python, &project, &["show", id]);
        assert_eq!(
            branch_names(&shown.stdout),
            branch_names(&theirs),
            "{id}: {}\nalembic: {theirs}",
            shown.stdout
        );
        if branch_names(&theirs).is_some() && python_labels(labels).is_empty() {
            inherited += 1;
        }
    }
    assert!(
        inherited >= 2,
        "the history has revisions that inherit labels"
    );
    // The same labels in `heads` and `history` lines: `(blog, tagging)`.
    let label_groups = |text: &str| -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = text
            .lines()
            .filter_map(|line| {
                let rest = line.split_once(" -> ").map_or(line, |(_, rest)| rest);
                let (id, rest) = rest.split_once(' ')?;
                let group = rest.strip_prefix('(')?.split_once(')')?.0;
                if group == "head" || group == "branchpoint" || group == "mergepoint" {
                    return None;
                }
                let mut labels: Vec<String> =
                    group.split(',').map(|l| l.trim().to_string()).collect();
                labels.sort();
                Some((id.trim_end_matches(',').to_string(), labels))
            })
            .collect();
        out.sort();
        out
    };
    for verb in ["heads", "history"] {
        let theirs = alembic(&python, &project, &[verb]);
        let ours = run(work.path(), None, &[verb]);
        assert_eq!(label_groups(&ours.stdout), label_groups(&theirs), "{verb}");
    }
}

/// `('blog',)` -> `blog`.
fn python_labels(literal: &str) -> String {
    literal
        .split('\'')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `P1, P2 -> ID (markers), message` lines as (id, parents, message).
fn edges(history: &str) -> std::collections::BTreeMap<String, (String, String)> {
    history
        .lines()
        .filter_map(|line| {
            let (parents, rest) = line.split_once(" -> ")?;
            let (id, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let id = id.trim_end_matches(',');
            // Markers such as `(blog, tagging) (head)` come before `, message`.
            while let Some(group) = rest.trim_start().strip_prefix('(') {
                rest = group.split_once(')').map_or("", |(_, after)| after);
            }
            let message = rest.trim_start_matches(',').trim();
            Some((id.to_string(), (parents.to_string(), message.to_string())))
        })
        .collect()
}

#[test]
fn a_database_alembic_migrated_to_two_heads_is_adopted() {
    let Some(python) = python() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let project = project(&python, work.path());
    import(&python, &project, work.path());
    // Alembic runs both branches, not the merge: two rows in alembic_version.
    alembic(&python, &project, &["upgrade", "3ae4fa5e2a81"]);
    alembic(&python, &project, &["upgrade", "4bd8c1f0e9a2"]);
    let current = alembic(&python, &project, &["current"]);
    assert_eq!(current.lines().count(), 2, "{current}");
    let url = format!("sqlite://{}", work.path().join("app.db").display());
    let schema = || -> Vec<String> {
        block_on(async {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, String>(
                "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'migrate_version%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
        })
    };
    let before = schema();

    let adopted = run(work.path(), Some(&url), &["stamp", "--adopt", "alembic"]);
    assert_eq!(adopted.code, 0, "{}", adopted.stderr);
    assert!(
        adopted.stderr.contains(
            "2 version(s) in `alembic_version`: 4 revision(s) recorded as applied, the database is at 3ae4fa5e2a81, 4bd8c1f0e9a2"
        ),
        "{}",
        adopted.stderr
    );
    assert_eq!(schema(), before, "adopting runs nothing");

    let upgraded = run(work.path(), Some(&url), &["upgrade", "head"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    let moved: Vec<&str> = upgraded
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Upgraded"))
        .collect();
    assert_eq!(moved.len(), 2, "the merge and the view only: {moved:?}");
    assert!(
        moved[0].contains("3ae4fa5e2a81, 4bd8c1f0e9a2 -> 5c0f2e7d6b13"),
        "{moved:?}"
    );
    assert!(
        moved[1].contains("5c0f2e7d6b13 -> 6d1a9b3c8e24"),
        "{moved:?}"
    );

    let after = schema();
    let added: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert_eq!(added.len(), 2, "post_tags and tag_counts: {added:#?}");
    assert!(added.iter().any(|l| l.starts_with("table post_tags")));
    assert!(added.iter().any(|l| l.starts_with("view tag_counts")));
}
