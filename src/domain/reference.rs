//! A booking's short reference: 6 characters a person can read out over a
//! counter or the phone, from an alphabet without look-alikes (no `0 1 I L
//! O U`). Unique among live bookings; the 26-character id stays the key.
//!
//! A booking's candidates are a digest of its id and an attempt number, so
//! every backend and every replay picks the same one: the first candidate
//! no live booking has.

use sha2::{Digest, Sha256};

/// The 30 characters a reference is written in.
const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const LENGTH: usize = 6;
/// How many references there are: 30^6.
const SPACE: u32 = 729_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference(u32);

impl Reference {
    /// The `attempt`-th candidate of the booking with id `id`.
    pub fn candidate(id: u128, attempt: u32) -> Self {
        let digest = Sha256::new()
            .chain_update(b"boxoffice reference")
            .chain_update(id.to_be_bytes())
            .chain_update(attempt.to_be_bytes())
            .finalize();
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        let value = u64::from_be_bytes(head) % u64::from(SPACE);
        Self(u32::try_from(value).unwrap_or(0))
    }

    /// A reference as people type it: any case, spaces and `-` ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let mut value: u32 = 0;
        let mut length = 0;
        for c in text.chars().filter(|c| !matches!(c, ' ' | '-')) {
            let upper = u8::try_from(c.to_ascii_uppercase()).ok()?;
            let digit = ALPHABET.iter().position(|&letter| letter == upper)?;
            length += 1;
            if length > LENGTH {
                return None;
            }
            value = value * 30 + u32::try_from(digit).ok()?;
        }
        (length == LENGTH).then_some(Self(value))
    }

    /// The number a store keeps it as (`0..30^6`).
    pub fn as_u32(self) -> u32 {
        self.0
    }

    pub fn from_u32(value: u32) -> Option<Self> {
        (value < SPACE).then_some(Self(value))
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut letters = [b'2'; LENGTH];
        let mut rest = self.0;
        for letter in letters.iter_mut().rev() {
            *letter = ALPHABET[(rest % 30) as usize];
            rest /= 30;
        }
        formatter.write_str(std::str::from_utf8(&letters).unwrap_or("??????"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_reads_back_in_any_case() {
        for attempt in 0..200 {
            let reference = Reference::candidate(0x0123_4567_89ab_cdef, attempt);
            let text = reference.to_string();
            assert_eq!(text.len(), LENGTH);
            assert!(
                text.bytes().all(|letter| ALPHABET.contains(&letter)),
                "{text}"
            );
            assert_eq!(Reference::parse(&text), Some(reference));
            assert_eq!(Reference::parse(&text.to_lowercase()), Some(reference));
            assert_eq!(Reference::from_u32(reference.as_u32()), Some(reference));
        }
    }

    #[test]
    fn look_alikes_and_wrong_lengths_are_no_reference() {
        for text in [
            "ABCDE", "ABCDEFG", "ABCDE0", "ABCDE1", "ABCDEI", "ABCDEL", "ABCDEO", "ABCDEU",
            "ÄBCDEF", "",
        ] {
            assert_eq!(Reference::parse(text), None, "{text}");
        }
        assert_eq!(Reference::parse(" abc-def "), Reference::parse("ABCDEF"));
        assert_eq!(Reference::from_u32(SPACE), None);
    }

    #[test]
    fn candidates_differ_by_attempt_and_by_id() {
        assert_ne!(Reference::candidate(1, 0), Reference::candidate(1, 1));
        assert_ne!(Reference::candidate(1, 0), Reference::candidate(2, 0));
    }
}
