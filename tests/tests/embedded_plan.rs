//! The plan `embed_migrations!` compiles into a binary (this test's) equals,
//! field by field, the plan `cargo migrate` builds from the same directory
//! at run time (`migrate_cli::load`): ids, parents, `depends_on`, labels,
//! messages, dates, files, checksums, sections with their transaction mode,
//! statements with their lines, and whatever else the `Plan` holds (its
//! `Debug` form names every field). The read verbs and the application
//! binary therefore answer from the same plan.

use std::path::{Path, PathBuf};

use migrate_runtime::{embed_migrations, Plan};

static PLAN_FIELDS: Plan = embed_migrations!("fixtures/plan_fields/migrations", unwatched);
static BRANCH_MERGE: Plan = embed_migrations!("fixtures/branch_merge/migrations", unwatched);
static TAMPER: Plan = embed_migrations!("fixtures/runtime/tamper_original/migrations", unwatched);
static LINEAR: Plan = embed_migrations!("fixtures/linear/migrations", unwatched);
static NO_TRANSACTION: Plan = embed_migrations!("fixtures/no_transaction/migrations", unwatched);

fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
}

/// The plan the CLI builds for `dir`, as its read and write verbs do.
fn cli_plan(dir: &Path) -> Plan {
    let printer = migrate_runtime::cli::Printer::new(&Default::default());
    let loaded = migrate_cli::load::load(dir, &[], &printer)
        .unwrap_or_else(|e| panic!("{}: {e:#}", dir.display()));
    migrate_cli::load::plan_from_compiled(&loaded)
}

#[test]
fn the_cli_loads_the_plan_the_macro_embeds() {
    for (embedded, dir) in [
        (&PLAN_FIELDS, "fixtures/plan_fields/migrations"),
        (&BRANCH_MERGE, "fixtures/branch_merge/migrations"),
        (&TAMPER, "fixtures/runtime/tamper_original/migrations"),
        (&LINEAR, "fixtures/linear/migrations"),
        (&NO_TRANSACTION, "fixtures/no_transaction/migrations"),
    ] {
        let loaded = cli_plan(&fixture(dir));
        assert!(!embedded.revisions().is_empty(), "{dir}");
        // `embedded` says where the texts live (the binary's read-only data
        // or the heap); every other field must be equal.
        let shown = |plan: &Plan| {
            format!("{plan:#?}")
                .replace("embedded: true,", "embedded: _,")
                .replace("embedded: false,", "embedded: _,")
        };
        assert_eq!(shown(embedded), shown(&loaded), "{dir}");
    }
}

/// The comparison above sees every kind of field: the fixture holds each.
#[test]
fn the_fixture_exercises_every_field() {
    let plan = &PLAN_FIELDS;
    let audit = plan.get("b2b2b2b2b2b2").expect("audit base");
    assert_eq!(audit.branch_labels(), ["audit"]);
    // The file's words are kept; the edge is resolved: the label `app`
    // names revision 0 of the plan, a1a1a1a1a1a1.
    assert_eq!(audit.depends_on(), ["app"]);
    let audit_index = plan
        .revisions()
        .iter()
        .position(|r| r.id() == "b2b2b2b2b2b2")
        .expect("audit index");
    let target = plan.edges().dependencies[audit_index][0] as usize;
    assert_eq!(plan.revisions()[target].id(), "a1a1a1a1a1a1");
    let posts = plan.get("c3c3c3c3c3c3").expect("posts");
    assert!(posts.upgrade().iter().any(|s| !s.transactional()));
    assert!(posts.downgrade().iter().any(|s| !s.transactional()));
    let merge = plan.get("d4d4d4d4d4d4").expect("merge");
    assert_eq!(merge.down_revisions().len(), 2);
    assert_eq!(
        plan.get("a1a1a1a1a1a1").expect("app base").create_date(),
        "2026-01-02T03:04:05Z"
    );
}
