//! The offline script (`--sql`): the exact SQL a run would execute, version
//! table statements included, for a DBA to review and run.
//!
//! It renders the same chunks as the online applier. PostgreSQL and SQLite
//! get `BEGIN;` / `COMMIT;` around each transactional chunk (or around the
//! whole run in the single-transaction mode, cut where a
//! `transaction:false` section stands); MySQL gets none, since its DDL
//! commits implicitly. The script assumes the database is exactly at the
//! range's start; from `base` it creates the version tables first.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::error::{Direction, Error};
use crate::plan::{Dialect, Plan};
use crate::script::{Chunk, Part, ScriptBuilder};
use crate::target::Target;
use crate::version_table::{encode_downgrade, RowState, Rows, VersionTable};
use migrate_core::Graph;

fn parse(text: &str) -> Result<Target, Error> {
    text.parse()
        .map_err(|e| crate::graph::error(e, Direction::Upgrade))
}

/// Where `end` leads from the applied set `from`: with a `verb`, that move
/// only (Alembic's `upgrade A:B --sql` never downgrades); without one, up
/// (what an upgrade applies), else down (what a downgrade reverts). A
/// relative `end` (`+1`, `-2`) is relative to the range's start, which the
/// script takes for the database's state, as Alembic's offline mode does.
fn resolve(
    graph: &Graph,
    end: &Target,
    from: &BTreeSet<usize>,
    verb: Option<Direction>,
) -> Result<(Direction, BTreeSet<usize>), Error> {
    let heads = graph.current_heads(from);
    match verb {
        Some(Direction::Upgrade) => {
            return graph
                .upgrade(&heads, end)
                .map(|needs| (Direction::Upgrade, needs))
                .map_err(|e| crate::graph::error(e, Direction::Upgrade))
        }
        Some(Direction::Downgrade) => {
            return graph
                .downgrade(&heads, end)
                .map(|revert| (Direction::Downgrade, revert))
                .map_err(|e| crate::graph::error(e, Direction::Downgrade))
        }
        None => {}
    }
    let up = graph.upgrade(&heads, end);
    if let Ok(needs) = &up {
        if !needs.is_empty() {
            return Ok((Direction::Upgrade, needs.clone()));
        }
    }
    match graph.downgrade(&heads, end) {
        Ok(revert) if !revert.is_empty() => Ok((Direction::Downgrade, revert)),
        Ok(_) => Ok((Direction::Upgrade, BTreeSet::new())),
        Err(down) => match up {
            Ok(_) => Ok((Direction::Upgrade, BTreeSet::new())),
            Err(_) => Err(crate::graph::error(down, Direction::Downgrade)),
        },
    }
}

/// `text` made safe inside a `--` comment line: every character but
/// printable ASCII is written as a `\u{..}` escape, so a line break (or a
/// character a client might take for one) in a file name, an id or a range
/// can never end the comment and start a statement, and no invisible or
/// right-to-left character can hide text from the reader of the script.
pub(crate) fn comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    out
}

/// Ends a statement with `;`, on its own line when the statement's last
/// line holds a `--` comment that would swallow it.
fn terminated(sql: &str) -> String {
    let sql = sql.trim_end();
    let last_line = sql.rsplit('\n').next().unwrap_or(sql);
    if last_line.contains("--") {
        format!("{sql}\n;\n\n")
    } else {
        format!("{sql};\n\n")
    }
}

fn push_parts(out: &mut String, parts: &[Part<'_>]) {
    for part in parts {
        out.push_str(&terminated(&part.sql));
    }
}

pub(crate) fn script(
    plan: &Plan,
    table: &VersionTable,
    range: &str,
    dialect: Dialect,
    single: bool,
    verb: Option<Direction>,
) -> Result<String, Error> {
    if dialect == Dialect::Generic {
        return Err(Error::Offline(
            "choose postgres, sqlite or mysql: the version table statements differ".to_string(),
        ));
    }
    let (start, end) = match range.split_once(':') {
        Some((start, end)) => (start.trim(), end.trim()),
        None => ("base", range.trim()),
    };
    if start.is_empty() || end.is_empty() {
        return Err(Error::Offline(format!(
            "expected a range `<from>:<to>` such as `base:head`, got `{range}`"
        )));
    }
    let graph = crate::graph::of(plan);
    let start_target = parse(start)?;
    if start_target.is_relative_to_current() {
        // Alembic cannot locate such a start either.
        return Err(Error::Offline(format!(
            "the start of the range, `{start}`, is relative to the database's state, which an offline script does not know; name a revision (a relative end is relative to the start: `{start}` can be written `<rev>:{start}`)"
        )));
    }
    let from = graph
        .upgrade(&[], &start_target)
        .map_err(|e| crate::graph::error(e, Direction::Upgrade))?;
    let (direction, steps) = resolve(graph, &parse(end)?, &from, verb)?;
    let transactional_ddl = dialect != Dialect::MySql;
    let revisions = plan.revisions();

    let mut rows = Rows::default();
    for &position in &from {
        let revision = &revisions[position];
        let parents = revision
            .down_revisions()
            .iter()
            .map(|p| p.to_string())
            .collect();
        rows.insert(
            revision.id(),
            &crate::version_table::hex(revision.checksum()),
            parents,
            RowState::Applied,
        );
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- migrate-runtime offline script: {direction} {} -> {} ({})",
        comment(start),
        comment(end),
        dialect.name()
    );
    let _ = writeln!(out, "-- version table: {}\n", comment(table.name()));
    if from.is_empty() && direction == Direction::Upgrade {
        for statement in table.create(dialect) {
            out.push_str(&terminated(&statement));
        }
    }

    let builder = ScriptBuilder::new(dialect, table);
    let steps: Vec<usize> = match direction {
        Direction::Upgrade => steps.into_iter().collect(),
        Direction::Downgrade => steps.into_iter().rev().collect(),
    };
    let mut open = false;
    for position in steps {
        let revision = &revisions[position];
        let script = match direction {
            Direction::Upgrade => builder.upgrade(revision, &encode_downgrade(revision), &mut rows),
            Direction::Downgrade => builder.downgrade(revision, &mut rows),
        };
        let parents = revision
            .down_revisions()
            .iter()
            .map(|p| p.as_ref())
            .collect::<Vec<_>>()
            .join(", ");
        let arrow = match direction {
            Direction::Upgrade => format!("{parents} -> {}", revision.id()),
            Direction::Downgrade => format!("{} -> {parents}", revision.id()),
        };
        let _ = writeln!(
            out,
            "-- Running {direction} {} ({})\n",
            comment(&arrow),
            comment(revision.file())
        );
        for chunk in &script.chunks {
            match chunk {
                Chunk::Tx(parts) => {
                    if transactional_ddl && !open {
                        out.push_str("BEGIN;\n\n");
                        open = true;
                    }
                    push_parts(&mut out, parts);
                    if open && !single {
                        out.push_str("COMMIT;\n\n");
                        open = false;
                    }
                }
                Chunk::Bare(part) => {
                    if open {
                        out.push_str("COMMIT;\n\n");
                        open = false;
                    }
                    if transactional_ddl {
                        out.push_str("-- transaction:false\n");
                    }
                    push_parts(&mut out, std::slice::from_ref(part));
                }
            }
        }
    }
    if open {
        out.push_str("COMMIT;\n\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::comment;

    #[test]
    fn comments_hold_one_line_of_printable_ascii() {
        assert_eq!(
            comment("migrations/a1_x\nDROP TABLE users;\r\n-- .sql"),
            "migrations/a1_x\\u{a}DROP TABLE users;\\u{d}\\u{a}-- .sql"
        );
        assert_eq!(
            comment("a\u{2028}b\u{202e}c é"),
            "a\\u{2028}b\\u{202e}c \\u{e9}"
        );
        assert_eq!(comment("a1 -> b2"), "a1 -> b2");
    }
}
