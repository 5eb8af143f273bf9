//! What each field accepts, written as the regular expressions the `OpenAPI`
//! document publishes (JSON Schema `pattern`: ECMA-262 syntax that Rust's and
//! Python's engines read the same way). They describe the parsers exactly, so
//! a client that validates against the document is never refused for a field's
//! spelling, and one that sends anything else always is; the integration tests
//! hold each pattern to its parser.

/// What `str::trim` removes: Unicode `White_Space`.
macro_rules! white_space {
    () => {
        r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}

/// What `text::is_invisible` names: trimmed at the edges like white space.
macro_rules! invisible {
    () => {
        r"\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2060-\u2064\u206A-\u206F\u3164\uFE00-\uFE0F\uFFA0"
    };
}

/// Refused anywhere in free text: control characters, bidirectional
/// overrides and isolates, the byte-order mark.
macro_rules! refused {
    () => {
        r"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF"
    };
}

/// A character that is neither white space, invisible, nor refused.
macro_rules! visible {
    () => {
        concat!(
            r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000",
            invisible!(),
            refused!(),
            "]"
        )
    };
}

/// `ticketId`, `movieId`: a ULID in its canonical spelling (26 Crockford
/// base32 characters, uppercase, at most 128 bits).
pub const ULID: &str = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$";

/// `ticketId`, `movieId` as `/api` reads them: a ULID, or the 24 hex digits
/// (either case) of a `MongoDB` `ObjectId` kept by an import from the old service.
pub const ID: &str = r"^(?:[0-7][0-9A-HJKMNP-TV-Z]{25}|[0-9A-Fa-f]{24})$";

/// `reference`: a booking's short reference, 6 characters of `0-9A-Z`
/// without `0 1 I L O U`, in any case, spaces and `-` ignored.
pub const REFERENCE: &str = r"^[ \-]*(?:[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z][ \-]*){6}$";

/// `userName`: free text (see [`text`]) of 1 to 100 characters.
pub const USER_NAME: &str = concat!(
    "^[",
    white_space!(),
    invisible!(),
    "]*",
    visible!(),
    "(?:[^",
    refused!(),
    "]{0,98}",
    visible!(),
    ")?[",
    white_space!(),
    invisible!(),
    "]*$"
);

/// `phoneNumber` as a string: once trimmed, an optional `+`, then 7 to 15
/// digits among spaces and `-`.
pub const PHONE_TEXT: &str = concat!(
    "^[",
    white_space!(),
    r"]*\+?[ \-]*(?:[0-9][ \-]*){7,15}[",
    white_space!(),
    "]*$"
);

/// `showTime`, `newShowTime`: `YYYY-MM-DD HH:MM[:SS[.f]]`, `T` for the space,
/// an optional offset (`Z`, `+05`, `+0530`, `+05:30`), surrounding white space
/// ignored. Only real dates match (February 29 in leap years only).
pub const SHOW_TIME: &str = concat!(
    "^[",
    white_space!(),
    "]*",
    // Days 01-28 in every month, 29 and 30 in all but February, 31 where it exists.
    r"(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)",
    // February 29: years divisible by 4, centuries only when divisible by 400.
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)",
    r"[ Tt](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?",
    r"(?:[Zz]|[+\-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?",
    "[",
    white_space!(),
    "]*$"
);

/// Names, titles and ratings: 1 to `max_chars` characters once trimmed of
/// white space and invisible characters, with a visible one, and no control
/// character, bidirectional override or isolate, or byte-order mark
/// (`userName` is this with 100; see `domain::text`).
pub fn text(max_chars: usize) -> String {
    format!(
        concat!(
            "^[",
            white_space!(),
            invisible!(),
            "]*",
            visible!(),
            "(?:[^",
            refused!(),
            "]{{0,{middle}}}",
            visible!(),
            ")?[",
            white_space!(),
            invisible!(),
            "]*$"
        ),
        middle = max_chars.saturating_sub(2)
    )
}

/// A screen id: `default` or a ULID (the all-zero ULID names no screen).
pub const SCREEN_ID: &str = r"^(?:default|[0-7][0-9A-HJKMNP-TV-Z]{25})$";

/// A row label: one to three capital letters.
pub const ROW_LABEL: &str = r"^[A-Z]{1,3}$";

/// A seat number: one to four digits, no leading zero.
pub const SEAT_NUMBER: &str = r"^[1-9][0-9]{0,3}$";

/// A seat's name: its row's label, then its number (`A7`).
pub const SEAT_NAME: &str = r"^[A-Z]{1,3}[1-9][0-9]{0,3}$";

/// Where a list goes on: 80 hex digits (a position and its tag), as a
/// previous page of the same list gave it.
pub const CURSOR: &str = r"^[0-9A-Fa-f]{80}$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_name_is_text_of_at_most_100() {
        assert_eq!(text(100), USER_NAME);
    }
}
