//! `cargo migrate revision --autogenerate -m MSG [--check]`: the revision
//! that turns the schema at head into the declared schema; with
//! `--from-database`, the live database's schema (its catalog's DDL
//! replayed into the same model) into the declared schema.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use migrate_build::autogen::{self, Generated};
use migrate_build::schema::Schema;
use migrate_present::Printer;
use migrate_runtime::Migrator;

use crate::cmd::revision::{revision_with, Body};
use crate::{load, OutputFormat, RevisionArgs};

/// The declared schema's path: `schema = "..."` of `migrate.toml`
/// (relative to the migrations directory), else `schema.sql` there.
pub fn declared_path(dir: &Path, configured: Option<&Path>) -> PathBuf {
    dir.join(configured.unwrap_or(Path::new("schema.sql")))
}

/// Compares the history's head with the declared schema; writes the
/// revision (or, with `--check`, fails when anything differs, written or
/// not: [`Generated::unwritten`]).
pub fn autogenerate(
    dir: &Path,
    args: &RevisionArgs,
    format: OutputFormat,
    database_url: Option<&str>,
    connect_timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    let loaded = load::load_strict(dir, printer)?;
    let dialect = loaded.config.dialect;
    let path = declared_path(dir, loaded.config.schema.as_deref());
    let shown = load::display_path(&path);
    // Rendered as the compiler renders a revision's diagnostics: file,
    // line, the source line with a caret, the message.
    let mut sources = migrate_build::Sources::new();
    let failed = |errors: &[migrate_build::Diagnostic], sources: &migrate_build::Sources| {
        load::print_diagnostics(errors, sources, printer);
        anyhow::anyhow!(
            "the declared schema {} has {} error(s)",
            shown.display(),
            errors
                .iter()
                .filter(|d| d.severity == migrate_build::Severity::Error)
                .count()
        )
    };
    let read = autogen::read(&path, &shown, dialect, &mut sources)
        .map_err(|errors| failed(&errors, &sources))?;
    load::print_diagnostics(&read.warnings, &sources, printer);
    let not_held: Vec<String> = read.warnings.iter().map(|w| w.message.clone()).collect();
    let mut declared = read.schema.clone();
    let current = if args.from_database {
        let (current, canonical) = database_schema(
            &loaded,
            &read,
            &sources,
            database_url,
            connect_timeout,
            printer,
        )?;
        if let Some(canonical) = canonical {
            if same_objects(&canonical, &declared) {
                declared = autogen::settle_reprints(&declared, &canonical, &current);
            } else {
                printer.warning(
                    "the declared schema makes objects outside the schema the server's text of it \
                     was read in: definitions are compared as written",
                );
            }
        }
        current
    } else {
        autogen::head_schema(dialect, &loaded.revisions)
    };
    // A foreign key to a table declared nowhere, that the current model
    // does not hold either, would fail the upgrade.
    let dangling = read.dangling_references(&current);
    if dangling
        .iter()
        .any(|d| d.severity == migrate_build::Severity::Error)
    {
        return Err(failed(&dangling, &sources));
    }
    load::print_diagnostics(&dangling, &sources, printer);
    let generated = autogen::generate(&current, &declared);
    // Each entry says why it is not compared.
    for unknown in &generated.unknown {
        printer.warning(format!("not compared: {unknown}"));
    }
    for unwritten in &generated.unwritten {
        printer.warning(format!("not written: {unwritten}"));
    }
    if generated.is_empty() && !generated.unwritten.is_empty() && !args.check {
        // Differences, none of which a statement is written for.
        match format {
            OutputFormat::Json => report(&generated, None, &not_held, format),
            _ => printer.status(
                "Autogenerate",
                "the declared schema differs only in what autogenerate does not write (listed \
                 above): write that revision by hand; no file written",
            ),
        }
        return Ok(());
    }
    if generated.is_same() {
        match format {
            OutputFormat::Json => println!(
                "{}",
                serde_json::json!({
                    "changes": false,
                    "path": null,
                    "reviews": [],
                    "unknown": generated.unknown,
                    "unwritten": generated.unwritten,
                    "not_held": not_held,
                })
            ),
            _ => printer.status(
                "Autogenerate",
                if args.from_database {
                    "no changes: the declared schema matches the database; no file written"
                } else {
                    "no changes: the declared schema matches the history's head; no file written"
                },
            ),
        }
        return Ok(());
    }
    if args.check {
        report(&generated, None, &not_held, format);
        bail!(
            "the declared schema {} differs from {}: run `cargo migrate revision --autogenerate{} -m \"...\"`",
            load::display_path(&path).display(),
            if args.from_database { "the database" } else { "the history's head" },
            if args.from_database { " --from-database" } else { "" }
        );
    }
    let mut body = generated.render();
    if args.from_database {
        // The objects it changes come from the database, not from the
        // history: the compiler's model of the history does not hold them.
        body.insert_str(
            0,
            "-- migrate:allow-file unknown-object downgrade-mismatch -- written by `revision --autogenerate --from-database`: \
             the objects it changes were read from the live database, which this history did not create\n\n",
        );
    }
    let written = revision_with(dir, args, Body::Sections(body), printer)?;
    report(&generated, Some(&written), &not_held, format);
    Ok(())
}

/// `--from-database`: the live database's model, replayed from the DDL its
/// catalog gives back (the tool's own tables left out). A definition the
/// model cannot read is an error naming the object: nothing is guessed.
///
/// Also the declared schema as the server prints it (PostgreSQL: run in a
/// transaction that is rolled back), when it holds the same objects as the
/// declared model read from the file: compared with the database's
/// definitions, the server's reprint is then not a difference.
fn database_schema(
    loaded: &load::Loaded,
    declared: &autogen::Declared,
    sources: &migrate_build::Sources,
    database_url: Option<&str>,
    connect_timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<(Schema, Option<Schema>)> {
    let Some(url) = database_url else {
        return Err(migrate_runtime::cli::Error::NoDatabaseUrl.into());
    };
    let mut declared_sql = String::new();
    for (_, text) in declared.texts() {
        declared_sql.push_str(text);
        declared_sql.push('\n');
    }
    let plan = load::plan_from_compiled(loaded);
    let skip = migrate_introspect::version_tables(plan.version_table());
    let migrator = Migrator::new(plan).connect_timeout(connect_timeout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (definitions, canonical) = runtime.block_on(async {
        let db = migrator.open(url).await?;
        let backend = migrate_introspect::dialect_of(&db);
        if !loaded.config.dialect.runs_on(backend) {
            bail!(
                "the history is written for {}, the database is {}",
                loaded.config.dialect.database(),
                backend.database()
            );
        }
        // On MySQL and MariaDB the declared schema runs in a scratch
        // database: nothing in it may name another database.
        if backend == migrate_build::schema::Dialect::MySql {
            let refused = autogen::scratch_refusals(declared);
            if !refused.is_empty() {
                load::print_diagnostics(&refused, sources, printer);
                bail!(
                    "the declared schema names a database other than its own in {} statement(s): \
                     nothing was run",
                    refused.len()
                );
            }
        }
        let definitions = migrate_introspect::definitions(&db, &skip)
            .await
            .context("reading the database's definitions")?;
        let canonical = migrate_introspect::canonical_definitions(&db, &declared_sql).await;
        // Without the server's print of the declared schema, every text it
        // reprints would differ and be re-created: refused, not guessed.
        if let Err(e @ migrate_introspect::Error::ScratchNotCreated { .. }) = &canonical {
            bail!("{e}: nothing was compared and no revision was written");
        }
        anyhow::Ok((definitions, canonical))
    })?;
    let dialect = loaded.config.dialect;
    let current = match autogen::model_from_definitions(dialect, &definitions) {
        Ok(schema) => schema,
        Err(errors) => {
            for error in &errors {
                printer.error(&error.message);
            }
            bail!(
                "{} object(s) of the database cannot be read into the schema model: \
                 autogenerate does not guess them (write that part of the revision by hand)",
                errors.len()
            )
        }
    };
    let as_written =
        "definitions are compared as written, so one the server reprints may be re-created";
    let canonical = match canonical {
        Ok(Some(definitions)) => match autogen::model_from_definitions(dialect, &definitions) {
            Ok(schema) => Some(schema),
            Err(errors) => {
                printer.warning(format!(
                    "the server's text of the declared schema cannot be read into the model ({}): {as_written}",
                    errors.first().map_or("", |e| e.message.as_str())
                ));
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            printer.warning(format!("{e}: {as_written}"));
            None
        }
    };
    Ok((current, canonical))
}

/// The two models hold the same objects (by key).
fn same_objects(a: &Schema, b: &Schema) -> bool {
    let keys = |s: &Schema| {
        s.objects()
            .into_iter()
            .map(|(key, _)| key.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    keys(a) == keys(b)
}

/// `not_held`: the declared clauses the model does not hold (warnings
/// already printed), listed again in the JSON.
fn report(generated: &Generated, path: Option<&Path>, not_held: &[String], format: OutputFormat) {
    let reviews = generated.reviews();
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "changes": true,
                "path": path.map(|p| p.display().to_string()),
                "reviews": reviews,
                "unknown": generated.unknown,
                "unwritten": generated.unwritten,
                "not_held": not_held,
            })
        ),
        _ => {
            match path {
                Some(path) => println!("{}", path.display()),
                None => print!("{}", generated.render()),
            }
            if !generated.unwritten.is_empty() {
                eprintln!(
                    "{} difference(s) not written (listed above): write them by hand",
                    generated.unwritten.len()
                );
            }
            if !reviews.is_empty() {
                eprintln!(
                    "{} statement(s) marked `-- REVIEW:`: read them before upgrading",
                    reviews.len()
                );
            }
        }
    }
}
