static PLAN: migrate_runtime::Plan =
    migrate_runtime::embed_migrations!("fixtures/branch_merge/migrations", unwatched);

fn main() {
    let ids: Vec<&str> = PLAN.revisions().iter().map(|r| r.id()).collect();
    // Each branch stays contiguous, in file-name order, then the merge.
    assert_eq!(
        ids,
        [
            "b1000000000a",
            "b2000000000b",
            "b3000000000c",
            "b4000000000d"
        ]
    );
    let merge = PLAN.get("b4000000000d").expect("the merge revision");
    assert!(merge.is_merge());
    assert_eq!(merge.down_revisions(), ["b2000000000b", "b3000000000c"]);
    assert!(merge.upgrade()[0].statements().is_empty());
    let heads: Vec<&str> = PLAN.heads().iter().map(|r| r.id()).collect();
    assert_eq!(heads, ["b4000000000d"]);
}
