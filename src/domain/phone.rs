//! Phone numbers arrive as a JSON number or a string, and go back out in the
//! type they came in, so old clients see exactly what they sent.

use std::fmt;

use serde_json::Value;

pub const MIN_DIGITS: usize = 7;
pub const MAX_DIGITS: usize = 15;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phone {
    Number(u64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhoneError {
    Missing,
    Invalid,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("Phone number cannot be null."),
            Self::Invalid => write!(
                f,
                "Phone number must have {MIN_DIGITS} to {MAX_DIGITS} digits (an optional leading +, spaces and - are allowed)."
            ),
        }
    }
}

impl Phone {
    /// Validates a `phoneNumber` value: 7..=15 digits, optional leading `+`,
    /// spaces and `-` ignored.
    pub fn from_json(value: Option<&Value>) -> Result<Self, PhoneError> {
        match value {
            None | Some(Value::Null) => Err(PhoneError::Missing),
            Some(Value::String(text)) if text.trim().is_empty() => Err(PhoneError::Missing),
            Some(Value::String(text)) => {
                let text = text.trim();
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
            Some(Value::Number(number)) => {
                let number = number.as_u64().ok_or(PhoneError::Invalid)?;
                if (MIN_DIGITS..=MAX_DIGITS).contains(&number.to_string().len()) {
                    Ok(Self::Number(number))
                } else {
                    Err(PhoneError::Invalid)
                }
            }
            Some(_) => Err(PhoneError::Invalid),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Self::Number(number) => Value::from(*number),
            Self::Text(text) => Value::from(text.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value) -> Result<Phone, PhoneError> {
        Phone::from_json(Some(&value))
    }

    #[test]
    fn numbers_and_strings_keep_their_json_type() {
        assert_eq!(check(json!(9876543210u64)), Ok(Phone::Number(9876543210)));
        assert_eq!(
            check(json!("+91 98765-43210")),
            Ok(Phone::Text("+91 98765-43210".into()))
        );
        assert_eq!(
            check(json!(9876543210u64)).unwrap().to_json(),
            json!(9876543210u64)
        );
        assert_eq!(
            check(json!("9876543210")).unwrap().to_json(),
            json!("9876543210")
        );
    }

    #[test]
    fn digit_count_bounds() {
        assert!(check(json!("1234567")).is_ok());
        assert!(check(json!("123456789012345")).is_ok());
        assert_eq!(check(json!("123456")), Err(PhoneError::Invalid));
        assert_eq!(check(json!("1234567890123456")), Err(PhoneError::Invalid));
        assert!(check(json!(1234567)).is_ok());
        assert_eq!(check(json!(123456)), Err(PhoneError::Invalid));
        assert_eq!(check(json!(1234567890123456u64)), Err(PhoneError::Invalid));
    }

    #[test]
    fn missing_or_empty_is_null() {
        assert_eq!(Phone::from_json(None), Err(PhoneError::Missing));
        assert_eq!(check(Value::Null), Err(PhoneError::Missing));
        assert_eq!(check(json!("   ")), Err(PhoneError::Missing));
        assert_eq!(
            PhoneError::Missing.to_string(),
            "Phone number cannot be null."
        );
    }

    #[test]
    fn surrounding_white_space_is_trimmed() {
        assert_eq!(
            check(json!(" 9876543210\n")),
            Ok(Phone::Text("9876543210".into()))
        );
    }

    #[test]
    fn anything_else_is_invalid() {
        for value in [
            json!("98765x43210"),
            json!("++9876543210"),
            json!("98765+43210"),
            json!("+"),
            json!(-9876543210i64),
            json!(9876543210.5),
            json!(true),
            json!([9876543210u64]),
            json!({"$gt": ""}),
            json!("98765\u{0}43210"),
        ] {
            assert_eq!(check(value.clone()), Err(PhoneError::Invalid), "{value}");
        }
    }
}
