//! Free text a person types — a holder's name, a film's title, a screen's
//! name, a rating — as it is kept: trimmed of white space and of invisible
//! characters at its edges, 1..=`max` characters, in Unicode NFC (so that
//! `é` typed as one character or as `e` + accent is the same name).
//!
//! Refused anywhere in it: control characters; the bidirectional overrides
//! and isolates (U+202A–U+202E, U+2066–U+2069), which make a name display
//! as other text than it holds; and the byte-order mark U+FEFF. Invisible
//! characters (zero-width space and joiners, soft hyphen, fillers,
//! variation selectors) are taken inside a name, where scripts such as
//! Devanagari need the joiners, but a name made only of them is refused.
//! `patterns::text` publishes exactly this rule.

use unicode_normalization::UnicodeNormalization;

/// What is wrong with a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is empty")]
    Empty,
    #[error("has no visible character")]
    Invisible,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("contains a control character")]
    ControlCharacter,
    #[error("contains a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069)")]
    Bidirectional,
    #[error("contains a byte-order mark (U+FEFF)")]
    ByteOrderMark,
}

/// Characters that show nothing by themselves: trimmed at the edges like
/// white space, taken inside. (Basic plane only, as the published pattern.)
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FFA0}'
    )
}

fn is_bidirectional_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `raw` as it is kept, or why it cannot be. Its length is counted as
/// sent (once trimmed), before normalising.
pub fn clean(raw: &str, max: usize) -> Result<String, TextError> {
    let text = raw.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if text.is_empty() {
        return Err(if raw.chars().all(char::is_whitespace) {
            TextError::Empty
        } else {
            TextError::Invisible
        });
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    if text.chars().any(is_bidirectional_control) {
        return Err(TextError::Bidirectional);
    }
    if text.contains('\u{FEFF}') {
        return Err(TextError::ByteOrderMark);
    }
    Ok(text.nfc().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_normalised() {
        assert_eq!(clean("  Screen 1 ", 100), Ok("Screen 1".into()));
        assert_eq!(clean("Ame\u{301}lie", 100), Ok("Amélie".into()));
        assert_eq!(clean("\u{200B}Asha\u{200D} ", 100), Ok("Asha".into()));
        // Joiners inside a word are part of it.
        assert_eq!(clean("क्\u{200D}ष", 100), Ok("क्\u{200D}ष".into()));
        assert_eq!(clean(&"x".repeat(101), 100), Err(TextError::TooLong(100)));
    }

    #[test]
    fn nothing_visible_hidden_direction_and_marks_are_refused() {
        assert_eq!(clean("   ", 100), Err(TextError::Empty));
        assert_eq!(clean("", 100), Err(TextError::Empty));
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            " \u{2060} ",
            "\u{AD}",
        ] {
            assert_eq!(
                clean(invisible, 100),
                Err(TextError::Invisible),
                "{invisible:?}"
            );
        }
        assert_eq!(clean("a\u{7}b", 100), Err(TextError::ControlCharacter));
        for bidi in ["\u{202E}evil", "a\u{2066}b", "x\u{202A}", "\u{2069}"] {
            assert_eq!(clean(bidi, 100), Err(TextError::Bidirectional), "{bidi:?}");
        }
        assert_eq!(clean("\u{FEFF}Asha", 100), Err(TextError::ByteOrderMark));
        assert_eq!(clean("As\u{FEFF}ha", 100), Err(TextError::ByteOrderMark));
    }
}
