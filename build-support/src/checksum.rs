//! The revision checksum: SHA-256 over the SQL tokens, not the bytes.
//!
//! Editing a comment or whitespace in an applied revision must not break the
//! next deploy (the top complaint against sqlx's and refinery's byte
//! checksums); changing a statement, even the content of a string literal or
//! the case of a quoted identifier, must. The runtime stores this value in
//! the version table and compares it on every start, so **the algorithm is
//! frozen**; a change needs a new version prefix.
//!
//! # Algorithm (version 1)
//!
//! The input is the sequence of sections in file order (upgrade and
//! downgrade sections interleaved exactly as written), each with its
//! statements, each statement with its tokens as sqlparser's tokenizer
//! (with the configured dialect) produces them, whitespace and comment
//! tokens excluded, and the `;` that ends a statement excluded. A token is
//! represented by its source text, byte for byte (so `select` and `SELECT`
//! differ; `'a'` and `"a"` differ by their quotes). The SHA-256 input is:
//!
//! ```text
//! "migrate-checksum-v1" 0x00
//! for each section:   'S' ('u' | 'd') ('1' transactional | '0' not)
//!   for each statement:
//!     for each token: 'T' len(token) as u32 little-endian, token bytes
//!     'E'
//! ```
//!
//! Every record starts with a tag byte and tokens are length-prefixed, so
//! two different token sequences never hash the same input.

use sha2::{Digest, Sha256};

/// Incremental builder of a revision checksum, fed by the splitter as it
/// walks the tokens, so no token list is kept for it.
#[derive(Debug, Clone)]
pub struct ChecksumBuilder {
    hasher: Sha256,
}

impl Default for ChecksumBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChecksumBuilder {
    /// Starts a checksum (writes the version prefix).
    pub fn new() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"migrate-checksum-v1\0");
        ChecksumBuilder { hasher }
    }

    /// Starts a section.
    pub fn section(&mut self, upgrade: bool, transactional: bool) {
        self.hasher.update([
            b'S',
            if upgrade { b'u' } else { b'd' },
            if transactional { b'1' } else { b'0' },
        ]);
    }

    /// Adds one significant token, by its source text.
    pub fn token(&mut self, text: &str) {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.hasher.update([b'T']);
        self.hasher.update(len.to_le_bytes());
        self.hasher.update(text.as_bytes());
    }

    /// Ends the current statement.
    pub fn end_statement(&mut self) {
        self.hasher.update([b'E']);
    }

    /// The 32-byte digest.
    pub fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

/// Lower-case hex of a checksum, as stored in the version table.
#[cfg(test)]
fn to_hex(checksum: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in checksum {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(sections: &[(bool, bool, &[&[&str]])]) -> String {
        let mut builder = ChecksumBuilder::new();
        for (upgrade, transactional, statements) in sections {
            builder.section(*upgrade, *transactional);
            for statement in *statements {
                for token in *statement {
                    builder.token(token);
                }
                builder.end_statement();
            }
        }
        to_hex(&builder.finish())
    }

    #[test]
    fn pinned_value() {
        // Frozen: the runtime compares this against version tables written
        // by earlier builds.
        assert_eq!(
            sum(&[(true, true, &[&["SELECT", "1"]])]),
            "193cb7aa3d6671b2b795c88c84d5e8144914e8fdb50a7114ed897ea872b5930b"
        );
    }

    #[test]
    fn boundaries_are_unambiguous() {
        let base = sum(&[(true, true, &[&["ab", "c"]])]);
        assert_ne!(base, sum(&[(true, true, &[&["a", "bc"]])]));
        assert_ne!(base, sum(&[(true, true, &[&["ab"], &["c"]])]));
        assert_ne!(base, sum(&[(true, false, &[&["ab", "c"]])]));
        assert_ne!(base, sum(&[(false, true, &[&["ab", "c"]])]));
        assert_ne!(
            sum(&[(true, true, &[]), (true, true, &[&["x"]])]),
            sum(&[(true, true, &[&["x"]])])
        );
    }
}
