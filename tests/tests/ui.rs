//! trybuild: `embed_migrations!` on the fixture histories of
//! `tests/fixtures/`. Pass cases assert on the embedded plan in `main`;
//! fail cases hold the exact compiler output in their `.stderr`
//! (`TRYBUILD=overwrite` rewrites them; review the diff like code).
//!
//! trybuild cases have no build script, so they use the documented
//! `unwatched` opt-out, except the case that checks the advice given when
//! the build script is missing.

use std::path::{Path, PathBuf};

/// trybuild compiles the cases in a project of its own under the target
/// directory, and the macro resolves paths against that project's
/// `CARGO_MANIFEST_DIR`; a `fixtures` link there makes `fixtures/<case>`
/// resolve to this crate's fixtures.
fn link_fixtures() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../target"));
    let project = target.join("tests/trybuild/migrate-tests");
    std::fs::create_dir_all(&project).expect("create the trybuild project directory");
    let link = project.join("fixtures");
    let fixtures = manifest_dir.join("fixtures");
    // A link left by another checkout that used the same target directory
    // points elsewhere (or nowhere): replace it.
    if std::fs::read_link(&link).ok().as_deref() != Some(fixtures.as_path()) {
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&link);
        std::os::unix::fs::symlink(&fixtures, &link).expect("link the fixtures");
    }
}

#[test]
fn ui() {
    link_fixtures();
    // trybuild builds the cases and every dependency again in a project of
    // its own, without this workspace's profiles: no debug info there (the
    // cases are compiled, never debugged), which halves what it writes to
    // disk. Its cargo inherits this process's environment.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
