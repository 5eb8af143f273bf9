//! Phone numbers: 7..=15 digits, an optional leading `+`, spaces and `-`
//! ignored. A number keeps the form it came in (a number or text), so old
//! clients see exactly what they sent.

pub const MIN_DIGITS: usize = 7;
pub const MAX_DIGITS: usize = 15;
/// A search compares this many trailing digits, so a number is found with
/// or without its country code or trunk prefix ("+44 7700 900456",
/// "07700 900456").
pub const SEARCH_DIGITS: usize = 9;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phone {
    Number(u64),
    Text(String),
    /// None given: a walk-up sold at the counter may have no number
    /// (`null` on `/v1`, `""` on `/api`). No search finds it.
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number")]
    Missing,
    #[error("a phone number has {MIN_DIGITS} to {MAX_DIGITS} digits")]
    Invalid,
}

impl Phone {
    /// A number written as text, trimmed; empty text is no number at all.
    pub fn from_text(text: &str) -> Result<Self, PhoneError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PhoneError::Missing);
        }
        let digits = text.strip_prefix('+').unwrap_or(text);
        let mut count = 0;
        for c in digits.chars() {
            match c {
                '0'..='9' => count += 1,
                ' ' | '-' => {}
                _ => return Err(PhoneError::Invalid),
            }
        }
        if (MIN_DIGITS..=MAX_DIGITS).contains(&count) {
            Ok(Self::Text(text.to_owned()))
        } else {
            Err(PhoneError::Invalid)
        }
    }

    /// Its digits alone, without `+`, spaces or `-`.
    pub fn digits(&self) -> String {
        match self {
            Self::Number(number) => number.to_string(),
            Self::Text(text) => text.chars().filter(char::is_ascii_digit).collect(),
            Self::Absent => String::new(),
        }
    }

    /// What a search compares: the last [`SEARCH_DIGITS`] digits, all of
    /// them when there are fewer.
    pub fn search_key(&self) -> String {
        search_key(&self.digits()).to_owned()
    }

    /// A number sent as a number.
    pub fn from_number(number: u64) -> Result<Self, PhoneError> {
        if (MIN_DIGITS..=MAX_DIGITS).contains(&number.to_string().len()) {
            Ok(Self::Number(number))
        } else {
            Err(PhoneError::Invalid)
        }
    }
}

/// The last [`SEARCH_DIGITS`] of `digits` (all of them when fewer).
pub fn search_key(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(SEARCH_DIGITS)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_its_spelling_once_trimmed() {
        assert_eq!(
            Phone::from_text("+91 98765-43210"),
            Ok(Phone::Text("+91 98765-43210".into()))
        );
        assert_eq!(
            Phone::from_text(" 9876543210\n"),
            Ok(Phone::Text("9876543210".into()))
        );
        assert_eq!(
            Phone::from_number(9876543210),
            Ok(Phone::Number(9876543210))
        );
    }

    #[test]
    fn digit_count_bounds() {
        assert!(Phone::from_text("1234567").is_ok());
        assert!(Phone::from_text("123456789012345").is_ok());
        assert_eq!(Phone::from_text("123456"), Err(PhoneError::Invalid));
        assert_eq!(
            Phone::from_text("1234567890123456"),
            Err(PhoneError::Invalid)
        );
        assert!(Phone::from_number(1234567).is_ok());
        assert_eq!(Phone::from_number(123456), Err(PhoneError::Invalid));
        assert_eq!(
            Phone::from_number(1234567890123456),
            Err(PhoneError::Invalid)
        );
    }

    #[test]
    fn empty_text_is_missing() {
        assert_eq!(Phone::from_text(""), Err(PhoneError::Missing));
        assert_eq!(Phone::from_text("   "), Err(PhoneError::Missing));
    }

    #[test]
    fn anything_else_is_invalid() {
        for text in [
            "98765x43210",
            "++9876543210",
            "98765+43210",
            "+",
            "98765\u{0}43210",
        ] {
            assert_eq!(Phone::from_text(text), Err(PhoneError::Invalid), "{text:?}");
        }
    }

    #[test]
    fn a_search_compares_the_last_nine_digits() {
        let local = Phone::from_text("07700 900456").unwrap();
        let international = Phone::from_text("+44 7700 900456").unwrap();
        assert_eq!(local.search_key(), "700900456");
        assert_eq!(international.search_key(), local.search_key());
        assert_eq!(Phone::from_number(1234567).unwrap().search_key(), "1234567");
        assert_eq!(
            Phone::from_text("+1 234-5678").unwrap().search_key(),
            "12345678"
        );
    }
}
