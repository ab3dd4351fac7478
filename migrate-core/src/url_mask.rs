//! Database URL passwords: the one rule that finds them, for every output.
//!
//! This module is the only copy of the rule: `migrate-runtime` (errors, the
//! CLI's messages) and `migrate-build` (the snippets of its diagnostics)
//! both call it.
//!
//! # The rule
//!
//! In `scheme://userinfo@host...`, the user info runs from the `//` to the
//! **last** `@`, whatever characters it holds: a password may contain
//! `/ ? # : @ ' "`, `%` or spaces (base64 passwords hold `/`), and a parser
//! that stops at the first `/` would take part of it for the host. The user
//! name is the user info up to its first `:`; everything after that colon is
//! secret. A user name holding a character that cannot be in one
//! (`/ ? # ' "`, whitespace, control) means the user info was mistyped, and
//! all of it is hidden. The value of a `password=` query parameter (any
//! case, `sslpassword=` too) runs to the next `&` and is secret as well.
//!
//! In free text (a driver's message, clap's usage error, a line of
//! `migrate.toml` in a diagnostic) a URL ends at the end of its line, so the
//! last `@` of the line that a host can follow is taken (not the one of
//! `'root'@'host'` in a server's message): masking too much is harmless, too
//! little is not. A whole URL that does not parse (as sqlx would parse it) is shown
//! as its scheme only ([`redact_url`]).

use std::ops::Range;

/// What stands in for an unparsable URL's text after `scheme://`.
const UNPARSABLE: &str = "(unparsable URL)";

/// `url` with its password replaced by `***`, for a message. A URL that
/// does not parse shows nothing after its scheme.
///
/// `postgres://app:s3/cret@db:5432/prod` is shown as
/// `postgres://app:***@db:5432/prod`, and `postgres://app:s3#cret@db/prod`
/// (which does not parse: `#` starts a fragment) as
/// `postgres://(unparsable URL)`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // `sqlite:app.db` has no authority; a text with an `@` but no `//`
        // is nothing a driver accepts, and may hold a password.
        if url.contains('@') || url.chars().any(char::is_control) {
            return match url.find(':').filter(|&end| is_scheme(&url[..end])) {
                Some(end) => format!("{}:{UNPARSABLE}", &url[..end]),
                None => UNPARSABLE.to_string(),
            };
        }
        return replace_ranges(url, &query_password_ranges(url, 0, url.len()), "***");
    };
    let scheme = &url[..scheme_end];
    // The URL standard drops tabs and newlines inside a URL, so a line
    // break would hide where the user info ends; such a URL is not shown.
    if !is_scheme(scheme) || url.chars().any(char::is_control) || url::Url::parse(url).is_err() {
        return if is_scheme(scheme) {
            format!("{scheme}://{UNPARSABLE}")
        } else {
            UNPARSABLE.to_string()
        };
    }
    let mut ranges = Vec::new();
    url_secrets(url, scheme_end + 3, url.len(), false, &mut ranges);
    replace_ranges(url, &ranges, "***")
}

/// Why a PostgreSQL or MySQL `url` cannot be used as typed, if it cannot:
/// it lacks `//`, does not parse, or its user info holds `/`, `?` or `#`
/// (a parser would take part of the password for the host, the database
/// name or the query, and a server's error message would quote it back).
pub fn server_url_problem(url: &str) -> Option<String> {
    const HINT: &str =
        "percent-encode `/ ? # @ : %` and spaces in the user name and password (`/` is `%2F`)";
    let Some((_, rest)) = url.split_once("://") else {
        return Some("a server URL starts with `scheme://`".to_string());
    };
    if let Err(reason) = url::Url::parse(url) {
        return Some(format!("the URL does not parse ({reason}); {HINT}"));
    }
    match rest.rfind('@') {
        Some(at)
            if rest[..at].contains(['/', '?', '#'])
                || rest[..at].chars().any(char::is_whitespace) =>
        {
            Some(format!(
                "the URL's user name or password holds `/`, `?`, `#` or a space; {HINT}"
            ))
        }
        _ => None,
    }
}

/// `text` with every URL password (see the module's rule) replaced by
/// `***`: for free text that may quote a URL, such as a driver's message.
pub fn redact_text(text: &str) -> String {
    replace_ranges(text, &secret_ranges(text), "***")
}

/// `text` with every URL password replaced by as many `*` as it has bytes,
/// so the byte spans of diagnostics stay valid while a snippet (a URL
/// wrongly put in `migrate.toml`) never prints the secret.
pub fn mask_passwords(text: &str) -> String {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = text.as_bytes().to_vec();
    for range in ranges {
        out[range].fill(b'*');
    }
    // Every range starts and ends at an ASCII byte or the end of a line, so
    // whole UTF-8 sequences were replaced by ASCII: still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| "*".repeat(text.len()))
}

/// True when `value` is a URL carrying a user name or a password (any `@`
/// after `//`, or a `password=` parameter).
pub fn url_has_credentials(value: &str) -> bool {
    match value.split_once("://") {
        Some((_, rest)) => rest.contains('@') || !secret_ranges(value).is_empty(),
        None => !query_password_ranges(value, 0, value.len()).is_empty(),
    }
}

/// The byte ranges of `text` that are secret: the passwords of the URLs in
/// it (each URL ending with its line) and `password=` values.
fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let line_end = line_start + line.trim_end_matches(['\n', '\r']).len();
        let mut search = line_start;
        let mut scanned = line_start;
        while let Some(found) = text[search..line_end].find("://") {
            let authority_start = search + found + 3;
            let url_start = url_start(text, line_start, search + found);
            ranges.extend(query_password_ranges(text, scanned, url_start));
            let after = url_secrets(text, authority_start, line_end, true, &mut ranges);
            search = after;
            scanned = after;
        }
        ranges.extend(query_password_ranges(text, scanned, line_end));
        line_start += line.len();
    }
    ranges.sort_by_key(|range| range.start);
    ranges
}

/// Where the scheme before `://` at `colon` starts.
fn url_start(text: &str, line_start: usize, colon: usize) -> usize {
    let scheme_len = text[line_start..colon]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .map(char::len_utf8)
        .sum::<usize>();
    colon - scheme_len
}

/// Pushes the secret ranges of the URL whose authority starts at
/// `authority_start` and which ends by `end`; returns where scanning may
/// continue.
fn url_secrets(
    text: &str,
    authority_start: usize,
    end: usize,
    free_text: bool,
    ranges: &mut Vec<Range<usize>>,
) -> usize {
    let rest = &text[authority_start..end];
    let separator = if free_text {
        rest.rmatch_indices('@')
            .map(|(at, _)| at)
            .find(|&at| rest[at + 1..].chars().next().is_none_or(starts_host))
    } else {
        rest.rfind('@')
    };
    let host_start = match separator {
        Some(at) => {
            if let Some(secret) = userinfo_secret(&rest[..at]) {
                ranges.push(authority_start + secret.start..authority_start + secret.end);
            }
            authority_start + at + 1
        }
        None => {
            if free_text {
                // Quoted in backquotes (`no branch `postgres://app:pa``):
                // a user's input, cut by a parser; a port cannot be told
                // from a password there.
                let scheme_start = url_start(text, 0, authority_start - 3);
                let quoted = text[..scheme_start].ends_with('`');
                if let Some(secret) = cut_userinfo_secret(rest, quoted) {
                    ranges.push(authority_start + secret.start..authority_start + secret.end);
                }
            }
            authority_start
        }
    };
    // `password=` in the query of this URL.
    ranges.extend(query_password_ranges(text, host_start, end));
    end
}

/// True for a character that can follow the `@` of a URL's user info: the
/// first of a host name, an IP address (`[` for IPv6), a percent-encoded
/// socket path, or what follows an empty host (`/`, `?`, `:` and a port).
/// In free text, an `@` followed by anything else (`'root'@'host'` in a
/// server's message) is not taken for the end of a URL's user info.
fn starts_host(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '[' | '%' | '/' | '?' | ':' | '_' | '-' | '.')
}

/// A URL in free text without its `@` (a message that cut it at the `@`,
/// as in `no branch `postgres://app:pa/ss``): after `user:`, everything up
/// to the next backquote or the end of the line is taken for a password,
/// unless the URL is not in backquotes and a port number follows the colon
/// (`postgres://db:5432/prod`).
fn cut_userinfo_secret(rest: &str, quoted: bool) -> Option<Range<usize>> {
    let colon = rest.find(':')?;
    if rest[..colon].contains(['/', '?', '#']) || rest[..colon].chars().any(char::is_whitespace) {
        return None;
    }
    let after = &rest[colon + 1..];
    // A password may hold quotes and spaces: only a backquote (the quotes
    // of our messages) or the end of the line ends it.
    let end = after.find('`').unwrap_or(after.len());
    let candidate = &after[..end];
    let digits = candidate.chars().take_while(char::is_ascii_digit).count();
    let is_port = !quoted
        && digits > 0
        && candidate[digits..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '/' | '?' | '#' | ':'));
    (!is_port && !candidate.is_empty()).then(|| colon + 1..colon + 1 + end)
}

/// The part of `userinfo` to hide: after the first `:`, or all of it when
/// the user name cannot be one.
fn userinfo_secret(userinfo: &str) -> Option<Range<usize>> {
    let (user, password_start) = match userinfo.find(':') {
        Some(colon) => (&userinfo[..colon], Some(colon + 1)),
        None => (userinfo, None),
    };
    let odd_user = user.chars().any(|c| {
        matches!(c, '/' | '?' | '#' | '@' | '\'' | '"' | '\\' | '`')
            || c.is_whitespace()
            || c.is_control()
    });
    if odd_user {
        return (!userinfo.is_empty()).then_some(0..userinfo.len());
    }
    password_start
        .filter(|&start| start < userinfo.len())
        .map(|start| start..userinfo.len())
}

/// The values of `password=` parameters in `text[start..end]`: each runs to
/// the next `&` or `end`.
fn query_password_ranges(text: &str, start: usize, end: usize) -> Vec<Range<usize>> {
    const KEY: &str = "password=";
    let mut ranges = Vec::new();
    let lower = text[start..end].to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let value_start = from + found + KEY.len();
        let value_end = lower[value_start..]
            .find('&')
            .map_or(lower.len(), |amp| value_start + amp);
        if value_end > value_start {
            ranges.push(start + value_start..start + value_end);
        }
        from = value_end;
    }
    ranges
}

/// `text` with each of the sorted `ranges` replaced by `with` (overlapping
/// ranges are merged).
fn replace_ranges(text: &str, ranges: &[Range<usize>], with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    for range in ranges {
        if range.end <= position {
            continue;
        }
        let start = range.start.max(position);
        out.push_str(&text[position..start]);
        out.push_str(with);
        position = range.end;
    }
    out.push_str(&text[position..]);
    out
}

/// `[A-Za-z][A-Za-z0-9+.-]*`: a URL scheme.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(redact_url(input), expected, "{input}");
    }

    #[test]
    fn whole_urls() {
        check(
            "postgres://root@127.0.0.1:5432/postgres",
            "postgres://root@127.0.0.1:5432/postgres",
        );
        check(
            "postgres://app:s3cret@db/prod",
            "postgres://app:***@db/prod",
        );
        check(
            "mysql://root:p%40ss@h:3306/x?ssl-mode=disabled",
            "mysql://root:***@h:3306/x?ssl-mode=disabled",
        );
        check("postgres://u:a:b@c@host/db", "postgres://u:***@host/db");
        check(
            "postgres://host/db?user=u&password=hunter2&x=1",
            "postgres://host/db?user=u&password=***&x=1",
        );
        check("sqlite://data.db", "sqlite://data.db");
        check("sqlite:data.db", "sqlite:data.db");
        // Parses (host `root`, port 12), yet `12/x` is a password.
        check(
            "postgres://root:12/SECRET@127.0.0.1:5432/db",
            "postgres://root:***@127.0.0.1:5432/db",
        );
        check(
            "mysql://root:pa'SE\"CR ET@127.0.0.1:3306/db",
            "mysql://root:***@127.0.0.1:3306/db",
        );
        check(
            "postgres://ro/ot:SECRET@127.0.0.1/db",
            "postgres://***@127.0.0.1/db",
        );
    }

    #[test]
    fn unparsable_urls_show_only_their_scheme() {
        for url in [
            "postgres://root:pa/Zq9SECRETc@127.0.0.1:5432/db",
            "postgres://root:pa#SECRET@127.0.0.1:5432/db",
            "mysql://root:pa?SECRET@127.0.0.1:3306/db",
            "postgres://root:SECRET@127.0.0.1:99999/db",
            "postgres://root:SE\nCRET@127.0.0.1/db",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.ends_with("://(unparsable URL)"), "{shown}");
        }
        assert_eq!(redact_url("root:SECRET@host"), "root:(unparsable URL)");
        assert_eq!(redact_url("SECRET@host"), "(unparsable URL)");
        assert_eq!(redact_url("po stgres://u:SECRET@h"), "(unparsable URL)");
    }

    #[test]
    fn free_text() {
        let message = "error connecting to postgres://app:hun/ter2@db/prod: refused";
        assert_eq!(
            redact_text(message),
            "error connecting to postgres://app:***@db/prod: refused"
        );
        let toml = "url = \"postgres://u:p'a\"s#s?w/d@h/db\"\nname = 'x'\n";
        let masked = mask_passwords(toml);
        assert_eq!(masked.len(), toml.len());
        assert_eq!(
            masked,
            "url = \"postgres://u:***********@h/db\"\nname = 'x'\n"
        );
        assert_eq!(
            mask_passwords("sqlite://app.db and x://h/y"),
            "sqlite://app.db and x://h/y"
        );
        // Two URLs on a line: everything up to the last `@` is hidden.
        assert_eq!(redact_text("a://u:p@h b://v:q@k/"), "a://u:***@k/");
        assert_eq!(
            redact_text("host=db password=hun ter2&x=1"),
            "host=db password=***&x=1"
        );
        assert_eq!(mask_passwords("ünï://ü:ß€@h"), "ünï://ü:*****@h");
    }

    #[test]
    fn free_text_keeps_a_servers_message_after_the_url() {
        assert_eq!(
            redact_text(
                "mysql://root:pa@ss@127.0.0.1/db: Access denied for user 'root'@'127.0.0.1'"
            ),
            "mysql://root:***@127.0.0.1/db: Access denied for user 'root'@'127.0.0.1'"
        );
        assert_eq!(
            redact_text("postgres://(unparsable URL): percent-encode `/ ? # @ :`"),
            "postgres://(unparsable URL): percent-encode `/ ? # @ :`"
        );
        assert_eq!(
            redact_text("x postgres://u:p@/db?host=/s"),
            "x postgres://u:***@/db?host=/s"
        );
    }

    #[test]
    fn server_urls_that_would_be_misread_are_refused() {
        for url in [
            "postgres:root:x@h/db",
            "postgres://root:12/x@h/db",
            "postgres://root:a#x@h/db",
            "postgres://root:a x@h/db",
            "postgres://root:x@h:99999/db",
        ] {
            assert!(server_url_problem(url).is_some(), "{url}");
        }
        for url in [
            "postgres://root:p%2Fx@h/db",
            "postgres://root:a'\"x@h/db?sslmode=disable",
            "mysql://root@127.0.0.1:3306/db",
        ] {
            assert_eq!(server_url_problem(url), None, "{url}");
        }
    }

    #[test]
    fn a_url_cut_before_its_at_is_masked_in_free_text() {
        assert_eq!(
            redact_text("error: no branch `postgres://app:pa/SECRET`: it is neither"),
            "error: no branch `postgres://app:***`: it is neither"
        );
        assert_eq!(
            redact_text("could not connect to postgres://db:5432/prod: refused"),
            "could not connect to postgres://db:5432/prod: refused"
        );
        assert_eq!(
            redact_text("see https://example.com/x"),
            "see https://example.com/x"
        );
        assert_eq!(
            redact_text("no branch `postgres://app:12/SECRET`: no"),
            "no branch `postgres://app:***`: no"
        );
    }

    #[test]
    fn credentials_are_seen_whatever_the_password() {
        assert!(url_has_credentials("postgres://u:p/w@h/db"));
        assert!(url_has_credentials("postgres://u@h/db"));
        assert!(url_has_credentials("postgres://h/db?password=x"));
        assert!(!url_has_credentials("postgres://h/db"));
        assert!(!url_has_credentials("plain text"));
    }
}
