//! `cargo migrate init [DIR]`.

use std::path::Path;

use anyhow::{bail, Context};
use migrate_present::Printer;

const MIGRATE_TOML: &str = r#"# Settings for this migrations directory, read by `embed_migrations!` and `cargo migrate`.
#
# Never put a database URL here: this file is committed, and credentials do not belong in
# version control. `cargo migrate` reads the URL from --database-url or DATABASE_URL (or .env).

# The SQL dialect every statement is validated against: postgres, sqlite, mysql or generic.
dialect = "generic"

# The table that records which revisions ran.
# version_table = "migrate_version"

# Make a revision without downgrade statements a build error.
# require_downgrade = false

# Lint levels: "error", "warn" or "off"; `cargo migrate lint` lists the findings.
# [lints]
# require-concurrent-index-creation = "error"
"#;

const BUILD_RS: &str = r#"// Makes Cargo rebuild when a migration file is added, removed or edited.
fn main() {
    migrate_build::watch("migrations");
}
"#;

/// Creates `dir` (a migrations directory validated for `dialect`) inside
/// `project`, and the build script line; refuses to overwrite anything.
pub fn init(project: &Path, dir: &Path, dialect: &str, printer: &Printer) -> anyhow::Result<()> {
    let migrations = project.join(dir);
    if migrations.exists() {
        bail!(
            "`{}` already exists; `init` never overwrites anything",
            dir.display()
        );
    }
    let watch_line = format!("migrate_build::watch({:?});", dir.to_string_lossy());
    let build_rs = project.join("build.rs");
    // A build script belongs next to a Cargo.toml: outside a package, one
    // would be written where Cargo never runs it.
    let in_package = project.join("Cargo.toml").is_file();
    // Decide what to do with build.rs before creating anything, so that a
    // refusal leaves the project untouched.
    let build_rs_text = if !in_package {
        None
    } else if build_rs.exists() {
        let text = std::fs::read_to_string(&build_rs).context("cannot read build.rs")?;
        if text.contains("migrate_build::watch(") {
            None
        } else {
            Some(insert_watch_line(&text, &watch_line).ok_or_else(|| {
                anyhow::anyhow!(
                    "build.rs has no `fn main() {{` to add `{watch_line}` to; add that line to it yourself"
                )
            })?)
        }
    } else {
        Some(BUILD_RS.replace("migrate_build::watch(\"migrations\");", &watch_line))
    };

    std::fs::create_dir_all(&migrations)
        .with_context(|| format!("cannot create `{}`", dir.display()))?;
    let toml = migrate_toml(dialect);
    crate::files::create_new(&migrations.join("migrate.toml"), &toml)?;
    crate::files::create_new(
        &migrations.join("migrate.lock"),
        &crate::cmd::lock::render(&[], &[]),
    )?;
    printer.status(
        "Created",
        format!("{}/ with migrate.toml and migrate.lock", dir.display()),
    );
    if let Some(text) = build_rs_text {
        let existed = build_rs.exists();
        if existed {
            crate::files::replace(&build_rs, &text)?;
        } else {
            crate::files::create_new(&build_rs, &text)?;
        }
        printer.status(
            if existed { "Updated" } else { "Created" },
            format!("build.rs (calls `{watch_line}`)"),
        );
    }
    if !in_package {
        let package = project
            .ancestors()
            .skip(1)
            .find(|dir| dir.join("Cargo.toml").is_file());
        let run_from = match package {
            Some(root) => format!(
                "run `cargo migrate init` from the package's directory (`{}`) to write it",
                root.display()
            ),
            None => "create the package first (`cargo init`), then run `cargo migrate init` in it to write it".to_string(),
        };
        printer.warning(format!(
            "no Cargo.toml in `{}`: this is not a Cargo package, so no build.rs was written (it makes `cargo build` rebuild when a migration changes); {run_from}, or add `{watch_line}` to the package's build.rs yourself",
            project.display()
        ));
    }
    print!("{}", hint(dir));
    Ok(())
}

/// What to add to the package: the dependencies, with every feature the
/// printed code needs (`cli` for `migrate_runtime::cli`), then the code.
fn hint(dir: &Path) -> String {
    let dir_literal = format!("{:?}", dir.to_string_lossy());
    format!(
        r#"Add to Cargo.toml:

    [dependencies]
    # `cli` is for `migrate_runtime::cli` below (`myapp migrate upgrade head`); without it, `Migrator` alone.
    migrate-runtime = {{ version = "0.1", features = ["cli"] }}
    clap = {{ version = "4", features = ["derive"] }}

    [build-dependencies]
    migrate-build = "0.1"

Add to src/main.rs:

    static MIGRATIONS: migrate_runtime::Plan = migrate_runtime::embed_migrations!({dir_literal});

    // At startup:
    migrate_runtime::Migrator::new(&MIGRATIONS).upgrade(&pool, "head").await?;

    // Or as a subcommand of the application (`myapp migrate upgrade head`):
    #[derive(clap::Parser)]
    enum Cli {{
        Serve,
        Migrate(migrate_runtime::cli::MigrateOpt),
    }}
    match <Cli as clap::Parser>::parse() {{
        Cli::Serve => serve().await,
        Cli::Migrate(opt) => {{
            let migrator = migrate_runtime::Migrator::new(&MIGRATIONS);
            std::process::exit(migrate_runtime::cli::run(&migrator, opt).await)
        }}
    }}

Then create the first revision: cargo migrate revision -m "create users"
"#
    )
}

/// Adds `line` as the first statement of `fn main() {`.
fn insert_watch_line(text: &str, line: &str) -> Option<String> {
    let start = text.find("fn main()")?;
    let brace = start + text[start..].find('{')?;
    let mut out = String::with_capacity(text.len() + line.len() + 8);
    out.push_str(&text[..=brace]);
    out.push_str("\n    ");
    out.push_str(line);
    out.push_str(&text[brace + 1..]);
    Some(out)
}

/// The `migrate.toml` that `init` writes, for `dialect`.
pub fn migrate_toml(dialect: &str) -> String {
    MIGRATE_TOML.replace("dialect = \"generic\"", &format!("dialect = \"{dialect}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_line_goes_first_in_main() {
        let edited = insert_watch_line("fn main() {\n    println!(\"x\");\n}\n", "w();").unwrap();
        assert_eq!(edited, "fn main() {\n    w();\n    println!(\"x\");\n}\n");
        assert_eq!(insert_watch_line("// nothing\n", "w();"), None);
    }
}
