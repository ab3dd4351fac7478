//! The model's errors, through the linter, on small histories.

use crate::lint::test_support::{hits, hits_in, lint, rendered};
use crate::schema::Dialect;

const POSTS: &str = "-- migrate:upgrade\n\
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n\
CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), title text);\n\
-- migrate:downgrade\n\
DROP TABLE posts;\n\
DROP TABLE users;\n";

/// The messages of the findings of `code` across `texts`, in order.
fn messages(code: &str, texts: &[&str]) -> Vec<String> {
    lint(texts)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| d.message)
        .collect()
}

#[test]
fn alter_of_a_missing_table_or_column_is_an_error() {
    let up = "-- migrate:upgrade\nALTER TABLE post ADD COLUMN body text;\n-- migrate:downgrade\nALTER TABLE post DROP COLUMN body;\n";
    assert_eq!(hits("unknown-object", &[POSTS, up]), 2);
    insta::assert_snapshot!(rendered(&[POSTS, up]));
    let column = "-- migrate:upgrade\nALTER TABLE posts ALTER COLUMN body SET NOT NULL;\nCREATE INDEX posts_body_idx ON posts (body);\n-- migrate:downgrade\nDROP INDEX posts_body_idx;\n";
    assert_eq!(
        messages("unknown-object", &[POSTS, column]),
        [
            "column posts.body does not exist at this point",
            "column posts.body does not exist at this point",
        ]
    );
}

#[test]
fn duplicate_create_is_an_error_unless_guarded() {
    let dup = "-- migrate:upgrade\nCREATE TABLE users (id bigint);\nALTER TABLE posts ADD COLUMN title text;\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(
        messages("duplicate-object", &[POSTS, dup]),
        [
            "table users already exists",
            "column posts.title already exists"
        ]
    );
    let guarded = "-- migrate:upgrade\nCREATE TABLE IF NOT EXISTS users (id bigint);\nALTER TABLE posts ADD COLUMN IF NOT EXISTS title text;\nCREATE OR REPLACE VIEW v AS SELECT 1;\nCREATE OR REPLACE VIEW v AS SELECT 2;\n-- migrate:downgrade\nDROP VIEW v;\n";
    assert_eq!(hits("duplicate-object", &[POSTS, guarded]), 0);
}

#[test]
fn names_fold_and_public_is_the_default_schema() {
    let up = "-- migrate:upgrade\nALTER TABLE public.POSTS ADD COLUMN Body text;\nALTER TABLE \"posts\" DROP COLUMN body;\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(hits("unknown-object", &[POSTS, up]), 0);
    let quoted = "-- migrate:upgrade\nALTER TABLE \"Posts\" ADD COLUMN body text;\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(hits("unknown-object", &[POSTS, quoted]), 1);
    // Other schemas may be filled from outside the history.
    let other = "-- migrate:upgrade\nALTER TABLE auth.users ADD COLUMN body text;\n-- migrate:downgrade\nALTER TABLE auth.users DROP COLUMN body;\n";
    assert_eq!(hits("unknown-object", &[POSTS, other]), 0);
    // MySQL compares names case-insensitively, even quoted.
    let mysql = "-- migrate:upgrade\nALTER TABLE `Posts` ADD COLUMN body text;\n-- migrate:downgrade\nALTER TABLE posts DROP COLUMN BODY;\n";
    assert_eq!(
        hits_in(Dialect::MySql, "unknown-object", &[POSTS, mysql]),
        0
    );
}

#[test]
#[cfg_attr(
    not(feature = "pg-query"),
    ignore = "sqlparser rejects `DO $$`: it needs PostgreSQL's parser (feature pg-query)"
)]
fn after_an_opaque_statement_unknown_objects_are_not_errors() {
    let opaque = "-- migrate:upgrade\nDO $$ BEGIN EXECUTE 'CREATE TABLE tags (id bigint)'; END $$;\nALTER TABLE tags ADD COLUMN name text;\n-- migrate:downgrade\nDROP TABLE tags;\n";
    assert_eq!(hits("unknown-object", &[POSTS, opaque]), 0);
    let unchecked = "-- migrate:upgrade\n-- migrate:unchecked -- made by an extension script\nSELECT make_everything();\nALTER TABLE tags ADD COLUMN name text;\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(hits("unknown-object", &[POSTS, unchecked]), 0);
    let function = "-- migrate:upgrade\nCREATE FUNCTION mk() RETURNS void AS $$ CREATE TABLE tags (id bigint) $$ LANGUAGE sql;\nSELECT mk();\nALTER TABLE tags ADD COLUMN name text;\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(hits("unknown-object", &[POSTS, function]), 0);
}

#[test]
fn downgrade_that_forgets_a_column_fails_naming_it() {
    let up = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN published_at timestamptz;\nCREATE INDEX posts_published_at_idx ON posts (published_at);\n-- migrate:downgrade\nDROP INDEX posts_published_at_idx;\n";
    let diagnostics = lint(&[POSTS, up]);
    let mismatch: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == "downgrade-mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1);
    assert_eq!(mismatch[0].severity, crate::Severity::Error);
    assert!(
        mismatch[0]
            .message
            .contains("column posts.published_at is still present after the downgrade"),
        "{}",
        mismatch[0].message
    );
    insta::assert_snapshot!(rendered(&[POSTS, up]));
}

#[test]
fn downgrade_differences_are_all_named() {
    let up = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN a text;\nALTER TABLE posts ALTER COLUMN title SET NOT NULL;\nCREATE INDEX posts_title_idx ON posts (title);\nDROP TABLE users CASCADE;\n-- migrate:downgrade\nALTER TABLE posts DROP COLUMN a;\n";
    let diagnostics = lint(&[POSTS, up]);
    let mismatch = diagnostics
        .iter()
        .find(|d| d.code == "downgrade-mismatch")
        .expect("a mismatch");
    let mut all = vec![mismatch.message.clone()];
    all.extend(mismatch.notes.iter().cloned());
    let text = all.join("\n");
    assert!(
        text.contains("column posts.title is NOT NULL after the downgrade, nullable before"),
        "{text}"
    );
    assert!(
        text.contains("index posts_title_idx is still present after the downgrade"),
        "{text}"
    );
    assert!(
        text.contains("table users is missing after the downgrade"),
        "{text}"
    );
}

#[test]
fn a_faithful_downgrade_passes() {
    let up = "-- migrate:upgrade\n\
ALTER TABLE posts ADD COLUMN published_at timestamptz;\n\
ALTER TABLE posts RENAME COLUMN title TO headline;\n\
ALTER TABLE posts ADD CONSTRAINT posts_headline_len CHECK (length(headline) < 200) NOT VALID;\n\
CREATE TABLE tags (id bigint PRIMARY KEY, post_id bigint REFERENCES posts (id));\n\
CREATE UNIQUE INDEX tags_post_idx ON tags (post_id);\n\
ALTER TABLE users ALTER COLUMN name DROP NOT NULL;\n\
ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n\
-- migrate:downgrade\n\
ALTER TABLE users ALTER COLUMN name TYPE TEXT;\n\
UPDATE users SET name = '' WHERE name IS NULL;\n\
ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n\
DROP TABLE tags;\n\
ALTER TABLE posts DROP CONSTRAINT posts_headline_len;\n\
ALTER TABLE posts RENAME COLUMN headline TO title;\n\
ALTER TABLE posts DROP COLUMN published_at;\n";
    let diagnostics = lint(&[POSTS, up]);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity == crate::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn generated_constraint_names_can_be_dropped() {
    let up = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN editor_id bigint REFERENCES users (id);\nALTER TABLE posts ADD UNIQUE (title);\n-- migrate:downgrade\nALTER TABLE posts DROP CONSTRAINT posts_title_key;\nALTER TABLE posts DROP CONSTRAINT posts_editor_id_fkey;\nALTER TABLE posts DROP COLUMN editor_id;\n";
    let diagnostics = lint(&[POSTS, up]);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity == crate::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn sqlite_rebuild_keeps_the_model_right() {
    let up = "-- migrate:upgrade\n\
CREATE TABLE _posts_new (id bigint PRIMARY KEY, user_id bigint, title text NOT NULL);\n\
INSERT INTO _posts_new SELECT id, user_id, coalesce(title, '') FROM posts;\n\
DROP TABLE posts;\n\
ALTER TABLE _posts_new RENAME TO posts;\n\
CREATE INDEX posts_user_idx ON posts (user_id);\n\
-- migrate:downgrade\n\
DROP INDEX posts_user_idx;\n";
    let diagnostics = crate::lint::test_support::lint_in(Dialect::Sqlite, &[POSTS, up]);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    // The downgrade does not put back the nullable title: a true finding.
    assert_eq!(codes, ["downgrade-mismatch"], "{diagnostics:#?}");
    assert!(
        diagnostics[0]
            .message
            .contains("column posts.title is nullable")
            || diagnostics[0].message.contains("posts.title")
    );
}

#[test]
fn missing_downgrade_is_reported_per_revision() {
    let up = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN a text;\n";
    assert_eq!(hits("missing-downgrade", &[POSTS, up]), 1);
}

#[test]
fn unused_and_unknown_allows_are_reported() {
    let up = "-- migrate:upgrade\n-- migrate:allow ban-drop-column -- not needed\nALTER TABLE posts ADD COLUMN a text;\n-- squawk-ignore no-such-rule\nALTER TABLE posts ADD COLUMN b text;\n-- migrate:downgrade\nALTER TABLE posts DROP COLUMN b;\nALTER TABLE posts DROP COLUMN a;\n";
    insta::assert_snapshot!(rendered(&[POSTS, up]));
    assert_eq!(hits("unused-allow", &[POSTS, up]), 1);
    assert_eq!(hits("invalid-allow", &[POSTS, up]), 1);
}

#[test]
fn a_check_silenced_by_an_uncertain_object_warns_naming_the_statement() {
    // The unchecked statement names posts: posts becomes uncertain, users
    // stays certain.
    let up = "-- migrate:upgrade\n\
-- migrate:unchecked -- rebuilds posts its own way\n\
SELECT rebuild('posts');\n\
CREATE TABLE posts (id bigint);\n\
ALTER TABLE users ADD COLUMN name text;\n\
-- migrate:downgrade\n\
SELECT 1;\n";
    let diagnostics = lint(&[POSTS, up]);
    let warnings: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == "uncertain-object")
        .collect();
    assert_eq!(warnings.len(), 1, "{diagnostics:#?}");
    assert_eq!(warnings[0].severity, crate::Severity::Warning);
    assert_eq!(
        warnings[0].message,
        "table posts already exists, unless revision r2: `SELECT rebuild('posts')` changed it: \
         table posts is uncertain since then"
    );
    // The certain object still gets its error.
    assert_eq!(
        messages("duplicate-object", &[POSTS, up]),
        ["column users.name already exists"]
    );
    // A rename carries the cause: the check on the new name names the
    // same statement.
    let renamed = "-- migrate:upgrade\n\
-- migrate:unchecked -- a vendor script\n\
SELECT rebuild('posts');\n\
ALTER TABLE posts RENAME TO articles;\n\
ALTER TABLE articles ADD COLUMN title text;\n\
-- migrate:downgrade\n\
SELECT 1;\n";
    assert_eq!(
        messages("uncertain-object", &[POSTS, renamed]),
        [
            "column articles.title already exists, unless revision r2: `SELECT rebuild('posts')` \
          changed it: table articles is uncertain since then"
        ]
    );
}

#[test]
fn the_model_explains_itself_with_uncertain_objects_marked() {
    let revisions = [
        crate::lint::test_support::revision(POSTS),
        crate::lint::test_support::revision(
            "-- migrate:upgrade\n-- migrate:unchecked -- a vendor script\nSELECT rebuild('posts');\n-- migrate:downgrade\nSELECT 1;\n",
        ),
    ];
    // Both are `r1` here; the model after the first of them is the one
    // before the unchecked statement.
    let before = super::model_after(Dialect::Postgres, &revisions[..1], "r1").expect("r1");
    assert!(!before.explain_text().contains("uncertain:"));
    let mut after = super::Schema::new(Dialect::Postgres);
    for revision in &revisions {
        after.set_origin(&revision.id);
        for statement in revision.upgrade.iter().flat_map(|s| &s.statements) {
            after.apply(statement, &revision.source);
        }
    }
    insta::assert_snapshot!(after.explain_text());
    let json = after.explain_json();
    let posts = json["objects"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == "posts"))
        .expect("posts");
    assert_eq!(posts["uncertain"], "revision r1: `SELECT rebuild('posts')`");
    assert_eq!(posts["columns_known"], false);
    assert_eq!(json["open_since"], "revision r1: `SELECT rebuild('posts')`");
}

#[test]
fn a_cause_shows_the_first_sixty_characters_of_its_line() {
    // 25 characters, then four-byte ones: the cause keeps 60 characters
    // (240 bytes here) and marks the rest; a line of 60 is shown whole.
    let cause_of = |line: &str| {
        let text = format!(
            "-- migrate:upgrade\n-- migrate:unchecked -- a vendor script\n{line}\n-- migrate:downgrade\nSELECT 1;\n"
        );
        let revisions = [
            crate::lint::test_support::revision(POSTS),
            crate::lint::test_support::revision(&text),
        ];
        let mut schema = super::Schema::new(Dialect::Postgres);
        for revision in &revisions {
            schema.set_origin(&revision.id);
            for statement in revision.upgrade.iter().flat_map(|s| &s.statements) {
                schema.apply(statement, &revision.source);
            }
        }
        let (posts, _) = schema
            .objects()
            .into_iter()
            .find(|(k, _)| k.kind == super::ObjectKind::Table && k.name.name == "posts")
            .expect("posts");
        schema.uncertain_cause(posts).map(str::to_string)
    };
    let clef = "\u{1d11e}";
    assert_eq!(
        cause_of(&format!("SELECT rebuild('posts', '{}');", clef.repeat(100))).as_deref(),
        Some(
            format!(
                "revision r1: `SELECT rebuild('posts', '{}...`",
                clef.repeat(35)
            )
            .as_str()
        )
    );
    assert_eq!(
        cause_of(&format!(
            "SELECT rebuild('posts', '{}\n');",
            clef.repeat(35)
        ))
        .as_deref(),
        Some(
            format!(
                "revision r1: `SELECT rebuild('posts', '{}`",
                clef.repeat(35)
            )
            .as_str()
        )
    );
}

#[test]
fn downgrades_are_judged_on_names_checks_labels_and_index_constraints() {
    // The foreign key comes back under the server's name, not the given one.
    let named = "-- migrate:upgrade\nALTER TABLE posts ADD COLUMN editor bigint;\nALTER TABLE posts ADD CONSTRAINT fk_editor FOREIGN KEY (editor) REFERENCES users (id);\n-- migrate:downgrade\nSELECT 1;\n";
    let renamed = "-- migrate:upgrade\nALTER TABLE posts DROP CONSTRAINT fk_editor;\n-- migrate:downgrade\nALTER TABLE posts ADD FOREIGN KEY (editor) REFERENCES users (id);\n";
    assert_eq!(hits("downgrade-mismatch", &[POSTS, named, renamed]), 1);
    // ... while the server's own name, given by hand, is the same constraint.
    let same = "-- migrate:upgrade\nALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey;\n-- migrate:downgrade\nALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);\n";
    assert_eq!(hits("downgrade-mismatch", &[POSTS, same]), 0);
    // A check the downgrade adds, after DROP ... IF EXISTS of a name the
    // server cannot have generated, stays.
    let check = "-- migrate:upgrade\nALTER TABLE posts DROP CONSTRAINT IF EXISTS title_present;\n-- migrate:downgrade\nALTER TABLE posts ADD CONSTRAINT title_present CHECK (title IS NOT NULL) NOT VALID;\n";
    assert_eq!(hits("downgrade-mismatch", &[POSTS, check]), 1);
    // An enum label cannot be dropped.
    let labels = "-- migrate:upgrade\nCREATE TYPE mood AS ENUM ('sad', 'happy');\n-- migrate:downgrade\nDROP TYPE mood;\n";
    let add = "-- migrate:upgrade\nALTER TYPE mood ADD VALUE 'ok' AFTER 'sad';\n-- migrate:downgrade\nSELECT 1;\n";
    assert_eq!(hits("downgrade-mismatch", &[POSTS, labels, add]), 1);
    // DROP CONSTRAINT of a plain index's name: no such constraint.
    let index = "-- migrate:upgrade\nCREATE UNIQUE INDEX posts_title_uindex ON posts (title);\n-- migrate:downgrade\nALTER TABLE posts DROP CONSTRAINT posts_title_uindex;\n";
    assert_eq!(hits("unknown-object", &[POSTS, index]), 1);
}

proptest::proptest! {
    /// A table's index set answers as a `BTreeSet` of the same names
    /// would, after any run of inserts and removes: the same answers, the
    /// same names in the same order.
    #[test]
    fn name_set_answers_as_a_btree_set(
        steps in proptest::collection::vec(
            (proptest::bool::ANY, proptest::option::of(0u8..3), 0u8..12),
            0..64,
        )
    ) {
        use crate::schema::{Name, NameSet};
        let name = |schema: Option<u8>, n: u8| Name {
            schema: schema.map(|s| format!("s{s}").into()),
            name: format!("i{n}").into(),
        };
        let mut set = NameSet::default();
        let mut oracle = std::collections::BTreeSet::new();
        for (insert, schema, n) in steps {
            let name = name(schema, n);
            if insert {
                proptest::prop_assert_eq!(set.insert(name.clone()), oracle.insert(name));
            } else {
                proptest::prop_assert_eq!(set.remove(&name), oracle.remove(&name));
            }
            proptest::prop_assert_eq!(set.len(), oracle.len());
            proptest::prop_assert!(set.iter().eq(oracle.iter()));
        }
        for name in &oracle {
            proptest::prop_assert!(set.contains(name));
        }
        let collected: NameSet = oracle.iter().rev().cloned().chain(oracle.iter().cloned()).collect();
        proptest::prop_assert_eq!(collected, set);
    }
}
