//! The summary digest of a set of applied revisions: the sum modulo 2^256
//! of one 256-bit number per `(revision, checksum)` pair. The runtime keeps
//! it in the version table's summary row, updated one row at a time (a sum
//! does not depend on order, and a row's number can be subtracted again);
//! the plan carries the digest of all its revisions, computed when it is
//! encoded, so the start-up check compares without decoding the plan.
//!
//! ```
//! use migrate_core::digest::{add, hex, pair};
//!
//! let mut sum = [0u64; 4];
//! add(&mut sum, pair("a1", &[7; 32]), false);
//! add(&mut sum, pair("a1", &[7; 32]), true);
//! assert_eq!(hex(sum), "0".repeat(64));
//! ```

use std::fmt::Write as _;

/// FNV-1a: a stable, fast hash of a revision id (the digest is stored, so
/// it cannot use `std`'s hasher, whose algorithm may change).
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// One `(revision, checksum)` pair as a 256-bit number (little-endian
/// words): the checksum (a SHA-256 already) mixed with a hash of the id.
/// Cheap enough to digest thousands of revisions in microseconds.
pub fn pair(revision: &str, checksum: &[u8; 32]) -> [u64; 4] {
    let id = fnv1a(revision);
    let mut words = [0u64; 4];
    for (position, (word, chunk)) in words.iter_mut().zip(checksum.chunks_exact(8)).enumerate() {
        let mut array = [0u8; 8];
        array.copy_from_slice(chunk);
        *word = u64::from_le_bytes(array) ^ id.rotate_left(16 * position as u32);
    }
    words
}

/// Adds `value` to `sum` (or subtracts it) modulo 2^256.
pub fn add(sum: &mut [u64; 4], value: [u64; 4], subtract: bool) {
    let mut carry = false;
    for (word, value) in sum.iter_mut().zip(value) {
        let (result, overflow_one, overflow_two) = if subtract {
            let (partial, one) = word.overflowing_sub(value);
            let (result, two) = partial.overflowing_sub(u64::from(carry));
            (result, one, two)
        } else {
            let (partial, one) = word.overflowing_add(value);
            let (result, two) = partial.overflowing_add(u64::from(carry));
            (result, one, two)
        };
        *word = result;
        carry = overflow_one || overflow_two;
    }
}

/// The sum as stored: 64 lowercase hex digits, most significant word first.
pub fn hex(sum: [u64; 4]) -> String {
    let mut out = String::with_capacity(64);
    for word in sum.iter().rev() {
        let _ = write!(out, "{word:016x}");
    }
    out
}

/// The sum of the pairs of `revisions` (the digest when exactly they are
/// applied, before [`hex`]).
pub fn of_revisions<'r>(revisions: impl Iterator<Item = &'r crate::Revision>) -> [u64; 4] {
    let mut sum = [0u64; 4];
    for revision in revisions {
        add(&mut sum, pair(revision.id(), revision.checksum()), false);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_ignores_order_and_subtracts_exactly() {
        let pairs = [
            pair("a", &[1; 32]),
            pair("b", &[255; 32]),
            pair("c", &[0; 32]),
        ];
        let mut forward = [0u64; 4];
        for value in pairs {
            add(&mut forward, value, false);
        }
        let mut backward = [0u64; 4];
        for value in pairs.iter().rev() {
            add(&mut backward, *value, false);
        }
        assert_eq!(forward, backward);
        add(&mut forward, pairs[1], true);
        let mut two = [0u64; 4];
        add(&mut two, pairs[0], false);
        add(&mut two, pairs[2], false);
        assert_eq!(forward, two);
        assert_ne!(hex(forward), hex(backward));
    }
}
