//! `cargo migrate revision` and `cargo migrate merge`: write a new file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::bail;
use migrate_present::Printer;

use crate::scan::{self, HeaderRevision};
use crate::{MergeArgs, RevisionArgs};

/// `revision -m MSG [--head REV] [--splice] [--branch-label L] [--depends-on R] [--rev-id ID]`.
pub fn revision(dir: &Path, args: &RevisionArgs, printer: &Printer) -> anyhow::Result<PathBuf> {
    revision_with(dir, args, Body::Empty, printer)
}

/// [`revision`] with the given body below the header.
pub fn revision_with(
    dir: &Path,
    args: &RevisionArgs,
    body: Body,
    printer: &Printer,
) -> anyhow::Result<PathBuf> {
    let revisions = scan::scan(dir)?;
    let parents: Vec<String> = match args.head.as_deref() {
        None => match scan::heads(&revisions).as_slice() {
            [] => Vec::new(),
            [one] => vec![one.id.clone()],
            several => bail!(
                "several heads are present ({}); name the one to build on with `--head <rev>`, or run \
                 `cargo migrate merge heads -m \"...\"` first",
                ids(several)
            ),
        },
        Some("base") => Vec::new(),
        Some(head) => {
            let parent = resolve_head(&revisions, head)?;
            let is_head = scan::heads(&revisions).iter().any(|h| h.id == parent.id);
            if !is_head && !args.splice {
                bail!(
                    "revision `{}` is not a head revision; pass `--splice` to start a new branch from it",
                    parent.id
                );
            }
            vec![parent.id.clone()]
        }
    };
    let mut depends_on = Vec::new();
    for item in args
        .depends_on
        .iter()
        .flat_map(|value| scan::split_list(value))
    {
        depends_on.push(scan::resolve(&revisions, &item)?.id.clone());
    }
    write_new(
        dir,
        &revisions,
        &args.message,
        parents,
        depends_on,
        &args.branch_label,
        args.rev_id.as_deref(),
        body,
        printer,
    )
}

/// What goes below a new revision's header.
pub enum Body {
    /// The placeholder comments of an empty revision.
    Empty,
    /// A merge revision's.
    Merge,
    /// Sections written by autogenerate.
    Sections(String),
}

/// `merge heads -m MSG` or `merge REV REV... -m MSG`.
pub fn merge(dir: &Path, args: &MergeArgs, printer: &Printer) -> anyhow::Result<PathBuf> {
    let revisions = scan::scan(dir)?;
    let heads = scan::heads(&revisions);
    let mut parents: Vec<String> = Vec::new();
    for named in &args.revisions {
        if named == "heads" {
            parents.extend(heads.iter().map(|head| head.id.clone()));
            continue;
        }
        let parent = resolve_head(&revisions, named)?;
        if !heads.iter().any(|head| head.id == parent.id) {
            bail!(
                "revision `{}` is not a head revision; only heads can be merged",
                parent.id
            );
        }
        parents.push(parent.id.clone());
    }
    let mut seen = BTreeSet::new();
    if let Some(duplicate) = parents.iter().find(|id| !seen.insert(id.as_str())) {
        bail!("revision `{duplicate}` is named twice");
    }
    if parents.is_empty() {
        bail!("nothing to merge: the directory has no revisions");
    }
    if parents.len() == 1 {
        printer.warning(format!(
            "only one head ({}): the new revision is an ordinary child of it",
            parents[0]
        ));
    }
    write_new(
        dir,
        &revisions,
        &args.message,
        parents,
        Vec::new(),
        &args.branch_label,
        args.rev_id.as_deref(),
        Body::Merge,
        printer,
    )
}

/// `head`, `<label>@head`, an id, a prefix or a label (`migrate-core`'s
/// resolution, the same as `show` and `upgrade`).
fn resolve_head<'r>(
    revisions: &'r [HeaderRevision],
    ident: &str,
) -> anyhow::Result<&'r HeaderRevision> {
    if ident == "head" && revisions.is_empty() {
        bail!("the directory has no revisions; use `--head base`");
    }
    scan::resolve(revisions, ident)
}

fn ids(revisions: &[&HeaderRevision]) -> String {
    revisions
        .iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[allow(clippy::too_many_arguments)]
pub fn write_new(
    dir: &Path,
    revisions: &[HeaderRevision],
    message: &str,
    parents: Vec<String>,
    depends_on: Vec<String>,
    branch_labels: &[String],
    rev_id: Option<&str>,
    body: Body,
    printer: &Printer,
) -> anyhow::Result<PathBuf> {
    let id = match rev_id {
        Some(id) => {
            if let Some(problem) = migrate_build::header::id_problem(id) {
                bail!(
                    "invalid revision id `{}`: {problem} (ids are ASCII letters, digits and `.`, starting with a letter or a digit)",
                    id.escape_default()
                );
            }
            id.to_string()
        }
        None => random_id(),
    };
    if revisions.iter().any(|r| r.id == id) {
        bail!("revision `{id}` already exists");
    }
    for label in branch_labels {
        if let Some(problem) = migrate_build::header::label_problem(label) {
            bail!(
                "invalid branch label `{}`: {problem} (labels are ASCII letters, digits, `_`, `-` and `.`, starting with a letter or a digit)",
                label.escape_default()
            );
        }
        if let Some(owner) = revisions.iter().find(|r| r.branch_labels.contains(label)) {
            bail!(
                "branch label `{label}` is already used by revision `{}`",
                owner.id
            );
        }
    }
    // The lock is rewritten after the file is created: refuse a lock that
    // cannot be rewritten (a symbolic link, a directory) before writing.
    crate::files::read_regular(&dir.join(crate::cmd::lock::LOCK_FILE))?;
    let slug = slug(message);
    let file_name = if slug.is_empty() {
        format!("{id}.sql")
    } else {
        format!("{id}_{slug}.sql")
    };
    let path = dir.join(&file_name);
    let text = template(
        &id,
        message,
        &parents,
        &depends_on,
        branch_labels,
        &utc_now_iso8601(),
        &body,
    );
    crate::files::create_new(&path, &text)?;
    printer.status("Generating", path.display());
    crate::cmd::lock::write(dir)?;
    // Autogenerate reports the path itself (in its JSON document).
    if !matches!(body, Body::Sections(_)) {
        println!("{}", path.display());
    }
    Ok(path)
}

/// 12 lowercase hex digits, as Alembic generates.
fn random_id() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

/// Alembic's slug: the words of the message, lowercased, joined by `_`, cut
/// at a word boundary to at most 40 characters.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for word in message
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| !word.is_empty())
    {
        let word = word.to_lowercase();
        let extra = if out.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if out.len() + extra > 40 {
            if out.is_empty() {
                out = word.chars().take(40).collect();
            }
            break;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word);
    }
    out
}

/// The new file's text: header, then an upgrade and a downgrade section.
fn template(
    id: &str,
    message: &str,
    parents: &[String],
    depends_on: &[String],
    branch_labels: &[String],
    create_date: &str,
    body: &Body,
) -> String {
    let mut out = String::new();
    // A message is one header line of visible text: a line break would
    // start a statement, an invisible character would hide text.
    let message: String = message
        .chars()
        .map(|c| {
            if migrate_build::header::is_hostile_char(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let message = message.trim();
    out.push_str(&format!("-- message: {message}\n"));
    out.push_str(&format!("-- revision: {id}\n"));
    let down = if parents.is_empty() {
        "none".to_string()
    } else {
        parents.join(", ")
    };
    out.push_str(&format!("-- down_revision: {down}\n"));
    if !branch_labels.is_empty() {
        out.push_str(&format!("-- branch_labels: {}\n", branch_labels.join(", ")));
    }
    if !depends_on.is_empty() {
        out.push_str(&format!("-- depends_on: {}\n", depends_on.join(", ")));
    }
    out.push_str(&format!("-- create_date: {create_date}\n\n"));
    match body {
        Body::Merge => {
            out.push_str(
                "-- migrate:upgrade\n-- A merge revision joins branches; it usually needs no SQL.\n\n",
            );
            out.push_str("-- migrate:downgrade\n");
        }
        Body::Empty => {
            out.push_str(
                "-- migrate:upgrade\n-- Write the upgrade statements here, each ending in `;`.\n\n",
            );
            out.push_str("-- migrate:downgrade\n-- Write the statements that undo them, in the order they must run.\n");
        }
        Body::Sections(text) => out.push_str(text),
    }
    out
}

/// `2025-08-06T14:30:00Z`.
fn utc_now_iso8601() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    iso8601(seconds)
}

fn iso8601(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let rest = unix_seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_alembic() {
        assert_eq!(
            slug("Add published_at to posts!"),
            "add_published_at_to_posts"
        );
        assert_eq!(
            slug("one two three four five six seven eight nine ten"),
            "one_two_three_four_five_six_seven_eight"
        );
        assert_eq!(slug("!!!"), "");
    }

    #[test]
    fn dates_are_utc_iso8601() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_754_490_600), "2025-08-06T14:30:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn random_ids_are_legal() {
        let id = random_id();
        assert_eq!(id.len(), 12);
        assert_eq!(migrate_build::header::id_problem(&id), None);
    }

    #[test]
    fn template_has_header_and_sections() {
        let text = template(
            "abc123def456",
            "add posts",
            &["111".into()],
            &[],
            &["blog".into()],
            "2025-08-06T14:30:00Z",
            &Body::Empty,
        );
        assert!(text.starts_with(
            "-- message: add posts\n-- revision: abc123def456\n-- down_revision: 111\n-- branch_labels: blog\n-- create_date: 2025-08-06T14:30:00Z\n\n-- migrate:upgrade\n"
        ), "{text}");
        assert!(text.contains("\n-- migrate:downgrade\n"));
    }
}
