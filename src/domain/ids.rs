//! Identifiers minted by the service: ULIDs, written as 26 uppercase Crockford
//! base32 characters and stored as `u128` so that keys sort by creation time.
//!
//! Records imported from the old service keep its `MongoDB` `ObjectIds`: 24 hex
//! digits, 96 bits, stored as values below 2^96. No minted ULID is that small
//! (its top 48 bits are a millisecond timestamp), so the two never meet, and
//! such an id is written back as the 24 lowercase hex digits `mongo` writes.

use std::fmt;

use ulid::Ulid;

/// Crockford base32 as ULIDs write it: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_LEN: usize = 26;

/// Parses the canonical spelling only: 26 characters, uppercase, at most
/// `7ZZZZZZZZZZZZZZZZZZZZZZZZZ` (a ULID is 128 bits; 26 base32 digits hold 130).
fn parse_canonical_ulid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != ULID_LEN || bytes[0] > b'7' {
        return None;
    }
    bytes.iter().try_fold(0u128, |acc, byte| {
        let digit = ALPHABET.iter().position(|c| c == byte)?;
        Some((acc << 5) | digit as u128)
    })
}

const OBJECT_ID_LEN: usize = 24;
/// Every value below this is an `ObjectId`.
const OBJECT_ID_LIMIT: u128 = 1 << 96;

/// Reads 24 hex digits (either case) as an `ObjectId`.
fn parse_object_id(text: &str) -> Option<u128> {
    if text.len() != OBJECT_ID_LEN || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// A ULID, or an imported `ObjectId`.
fn parse_id(text: &str) -> Option<u128> {
    parse_canonical_ulid(text).or_else(|| parse_object_id(text))
}

/// A minted ULID in its canonical spelling (API keys' ids).
pub fn parse_ulid(text: &str) -> Option<u128> {
    parse_canonical_ulid(text)
}

/// Whether an id is an imported `ObjectId` rather than a minted ULID.
pub fn is_object_id(value: u128) -> bool {
    value < OBJECT_ID_LIMIT
}

/// An id as clients see it: 24 lowercase hex digits for an `ObjectId`,
/// else the ULID.
fn write_id(value: u128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if is_object_id(value) {
        write!(f, "{value:024x}")
    } else {
        fmt::Display::fmt(&Ulid(value), f)
    }
}

/// How an id of any record is spelled, for messages that name a record by
/// its key alone.
pub fn spell(value: u128) -> String {
    struct Spelled(u128);
    impl fmt::Display for Spelled {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_id(self.0, f)
        }
    }
    Spelled(value).to_string()
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u128);

        impl $name {
            /// A ULID in its canonical spelling, or an imported `ObjectId`.
            pub fn parse(text: &str) -> Option<Self> {
                parse_id(text).map(Self)
            }

            pub fn from_u128(value: u128) -> Self {
                Self(value)
            }

            pub fn as_u128(self) -> u128 {
                self.0
            }
        }

        impl From<Ulid> for $name {
            fn from(ulid: Ulid) -> Self {
                Self(ulid.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_id(self.0, f)
            }
        }
    };
}

ulid_id!(
    /// A show (screening). The old API calls it `movieId`.
    ShowId
);
ulid_id!(
    /// A booking of one or more seats for one show (the old API's ticket).
    TicketId
);
ulid_id!(
    /// A film: title, runtime, rating.
    FilmId
);
ulid_id!(
    /// Seats of a show kept for one customer until they confirm or it expires.
    HoldId
);

ulid_id!(
    /// A kind of ticket a seat is sold as (`Adult`, `Child`, ...).
    TicketTypeId
);
ulid_id!(
    /// A price card: what each ticket type costs, and when it applies.
    PriceCardId
);

/// A screen (a room). `default`, the general-admission screen every
/// database has and every `/api` show is on, is stored as 0; any other is
/// a ULID (never 0: that spelling is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScreenId(u128);

impl ScreenId {
    pub const DEFAULT: Self = Self(0);
    const DEFAULT_NAME: &'static str = "default";

    pub fn parse(text: &str) -> Option<Self> {
        if text == Self::DEFAULT_NAME {
            return Some(Self::DEFAULT);
        }
        parse_canonical_ulid(text).filter(|id| *id != 0).map(Self)
    }

    pub fn from_u128(value: u128) -> Self {
        Self(value)
    }

    pub fn as_u128(self) -> u128 {
        self.0
    }

    pub fn is_default(self) -> bool {
        self == Self::DEFAULT
    }
}

impl fmt::Display for ScreenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_default() {
            f.write_str(Self::DEFAULT_NAME)
        } else {
            fmt::Display::fmt(&Ulid(self.0), f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_round_trip_through_their_spelling() {
        for _ in 0..100 {
            let id = TicketId::from(Ulid::generate());
            let text = id.to_string();
            assert_eq!(text.len(), 26);
            assert_eq!(TicketId::parse(&text), Some(id));
        }
    }

    #[test]
    fn extremes_parse() {
        assert_eq!(ShowId::parse("00000000000000000000000000"), Some(ShowId(0)));
        assert_eq!(
            ShowId::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
            Some(ShowId(u128::MAX))
        );
    }

    #[test]
    fn object_ids_are_ids_of_their_own_range() {
        let id = TicketId::parse("62b0f6a1c2d3e4f5a6b7c8d9").unwrap();
        assert_eq!(id.as_u128(), 0x62b0_f6a1_c2d3_e4f5_a6b7_c8d9);
        assert_eq!(id.to_string(), "62b0f6a1c2d3e4f5a6b7c8d9");
        assert_eq!(TicketId::parse("62B0F6A1C2D3E4F5A6B7C8D9"), Some(id));
        assert_eq!(
            ShowId::parse("ffffffffffffffffffffffff").map(ShowId::as_u128),
            Some((1 << 96) - 1)
        );
        assert!(is_object_id(id.as_u128()));
        // No ULID minted since 1970-01-01T00:01:06Z is in their range.
        let minted = Ulid::from_parts(65_536, 0).0;
        assert!(!is_object_id(minted));
        assert!(TicketId::from_u128(minted).to_string().len() == 26);
        for bad in [
            "62b0f6a1c2d3e4f5a6b7c8d",   // 23 digits
            "62b0f6a1c2d3e4f5a6b7c8d9a", // 25 digits
            "62b0f6a1c2d3e4f5a6b7c8dg",
            "+2b0f6a1c2d3e4f5a6b7c8d9",
            " 62b0f6a1c2d3e4f5a6b7c8d",
        ] {
            assert_eq!(TicketId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_default_screen_has_a_name_of_its_own() {
        assert_eq!(ScreenId::parse("default"), Some(ScreenId::DEFAULT));
        assert_eq!(ScreenId::DEFAULT.to_string(), "default");
        assert_eq!(ScreenId::parse("00000000000000000000000000"), None);
        assert_eq!(ScreenId::parse("Default"), None);
        let id = ScreenId::from_u128(Ulid::generate().0);
        assert_eq!(ScreenId::parse(&id.to_string()), Some(id));
    }

    #[test]
    fn anything_but_the_canonical_spelling_is_refused() {
        let valid = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
        assert!(TicketId::parse(valid).is_some());
        for bad in [
            "",
            "01ARZ3NDEKTSV4RRFFQ69G5FA",   // 25 characters
            "01ARZ3NDEKTSV4RRFFQ69G5FAVV", // 27 characters
            "01arz3ndektsv4rrffq69g5fav",  // lowercase
            "01ARZ3NDEKTSV4RRFFQ69G5FAI",  // I is not Crockford
            "01ARZ3NDEKTSV4RRFFQ69G5FAU",  // neither is U
            "81ARZ3NDEKTSV4RRFFQ69G5FAV",  // overflows 128 bits
            "01ARZ3NDEKTSV4RRFFQ69G5FA ",
            "../../../../etc/passwd00000",
            "ObjectId(\"62b0f6a1c2d3e4f5a6b7c8d9\")",
            "01ARZ3NDEKTSV4RRFFQ69G5FÄ", // multi-byte character
        ] {
            assert_eq!(TicketId::parse(bad), None, "{bad:?}");
        }
    }
}
