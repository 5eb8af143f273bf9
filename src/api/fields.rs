//! The seed routes' fields as JSON: how each is read (with the old
//! service's messages when it is wrong), how it is written back, and the
//! schema the `OpenAPI` document gives it.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
use serde_json::{Map, Value};

use crate::api::error::Error;
use crate::api::state::App;
use crate::domain::phone::{PhoneError, MAX_DIGITS, MIN_DIGITS};
use crate::domain::rules::{self, NameError, MAX_USER_NAME_CHARS};
use crate::domain::time::{parse_show_time, Millis};
use crate::domain::{patterns, Phone, TicketId};

/// `userName`: a string, trimmed, 1..=100 characters, no control characters.
pub fn user_name_from_json(value: Option<&Value>) -> Result<String, Error> {
    let text = match value {
        None | Some(Value::Null) => return Err(Error::invalid("userName cannot be null.")),
        Some(Value::String(text)) => text,
        Some(_) => return Err(Error::invalid("userName must be a string.")),
    };
    rules::user_name(text).map_err(|error| {
        Error::invalid(match error {
            NameError::Empty => "userName cannot be null.".to_owned(),
            NameError::TooLong => {
                format!("userName must be at most {MAX_USER_NAME_CHARS} characters.")
            }
            NameError::ControlCharacter => "userName cannot contain control characters.".into(),
            NameError::Invisible => {
                "userName must have a visible character, not only invisible ones.".into()
            }
            NameError::Bidirectional => {
                "userName cannot contain bidirectional override or isolate characters.".into()
            }
            NameError::ByteOrderMark => "userName cannot contain a byte-order mark.".into(),
        })
    })
}

/// `ticketCount`: a JSON integer >= 1. How many of them fit is the capacity
/// rule's business, so any size is returned as is.
pub fn ticket_count_from_json(value: Option<&Value>) -> Result<u64, Error> {
    match value.and_then(Value::as_u64) {
        Some(count) if count >= 1 => Ok(count),
        _ => Err(Error::invalid("Please provide a valid ticket count")),
    }
}

/// `phoneNumber`: a JSON number or a string, kept in the type it came in.
pub fn phone_from_json(value: Option<&Value>) -> Result<Phone, Error> {
    let phone = match value {
        None | Some(Value::Null) => Err(PhoneError::Missing),
        Some(Value::String(text)) => Phone::from_text(text),
        Some(Value::Number(number)) => number
            .as_u64()
            .map_or(Err(PhoneError::Invalid), Phone::from_number),
        Some(_) => Err(PhoneError::Invalid),
    };
    phone.map_err(|error| {
        Error::invalid(match error {
            PhoneError::Missing => "Phone number cannot be null.".to_owned(),
            PhoneError::Invalid => format!(
                "Phone number must have {MIN_DIGITS} to {MAX_DIGITS} digits (an optional leading +, spaces and - are allowed)."
            ),
        })
    })
}

/// A phone number as `/api` writes it: `""` for a walk-up without one.
pub fn phone_to_json(phone: &Phone) -> Value {
    match phone {
        Phone::Number(number) => Value::from(*number),
        Phone::Text(text) => Value::from(text.as_str()),
        Phone::Absent => Value::from(""),
    }
}

/// A name as `/api` writes it: `Walk-up` for a walk-up without one.
pub fn user_name_to_json(user_name: String) -> String {
    if user_name.is_empty() {
        WALK_UP.to_owned()
    } else {
        user_name
    }
}

/// What `/api` calls a booking sold with no name.
pub const WALK_UP: &str = "Walk-up";

/// A show time field of a body, venue-local unless it carries an offset.
pub fn show_time_field(body: &Map<String, Value>, name: &str, app: &App) -> Result<Millis, Error> {
    match body.get(name) {
        None | Some(Value::Null) => Err(Error::invalid(format!("{name} cannot be null."))),
        Some(Value::String(text)) => parse_show_time(text, app.config.timezone)
            .map_err(|error| Error::invalid(error.to_string())),
        Some(other) => Err(Error::invalid(format!(
            "Show time {other} is not valid: send a string such as \"2030-06-01 18:30\"."
        ))),
    }
}

pub fn ticket_id_field(body: &Map<String, Value>) -> Result<TicketId, Error> {
    body.get("ticketId")
        .and_then(Value::as_str)
        .and_then(TicketId::parse)
        .ok_or_else(invalid_ticket_id)
}

pub fn invalid_ticket_id() -> Error {
    Error::invalid("Ticket ID is not valid.")
}

/// Two days ahead at 18:30 venue-local: in the future for a long while.
pub fn example_show_time() -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(2);
    format!("{} 18:30", day.format("%Y-%m-%d"))
}

/// A string schema with `pattern` and a description.
pub(crate) fn pattern_schema(pattern: &str, description: &str) -> SchemaObject {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        ..SchemaObject::default()
    };
    schema.string().pattern = Some(pattern.into());
    schema.metadata().description = Some(description.into());
    schema
}

const SHOW_TIME_DESCRIPTION: &str =
    "YYYY-MM-DD HH:MM[:SS[.fff]], `T` may replace the space; an optional offset (Z, +05:30). \
     Without an offset it is venue-local time (and a time the venue's clocks skip is refused).";

const ID_DESCRIPTION: &str =
    "A ULID as the service mints it (26 characters of uppercase Crockford base32), or the \
     24 hex digits of an ObjectId kept from the old service by an import.";

pub fn show_time_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(patterns::SHOW_TIME, SHOW_TIME_DESCRIPTION).into()
}

pub fn ulid_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(patterns::ID, ID_DESCRIPTION).into()
}

pub fn user_name_schema(_: &mut SchemaGenerator) -> Schema {
    let mut schema = pattern_schema(
        patterns::USER_NAME,
        "1 to 100 characters once surrounding white space is trimmed; no control characters.",
    );
    schema.string().min_length = Some(1);
    schema.into()
}

pub fn phone_schema(_: &mut SchemaGenerator) -> Schema {
    let mut number = SchemaObject {
        instance_type: Some(InstanceType::Integer.into()),
        ..SchemaObject::default()
    };
    number.number().minimum = Some(1_000_000.0);
    number.number().maximum = Some(999_999_999_999_999.0);
    let text = pattern_schema(
        patterns::PHONE_TEXT,
        "Once trimmed: an optional leading +, then 7 to 15 digits; spaces and - are ignored.",
    );
    let mut schema = SchemaObject {
        subschemas: Some(Box::new(SubschemaValidation {
            one_of: Some(vec![number.into(), text.into()]),
            ..SubschemaValidation::default()
        })),
        ..SchemaObject::default()
    };
    schema.metadata().description = Some(
        "7 to 15 digits, as a JSON number or a string (optional leading +, spaces and - ignored); \
         answered in the type it was sent."
            .into(),
    );
    schema.into()
}

/// `phoneNumber` in an answer: as [`phone_schema`], or `""` for a walk-up
/// sold at the counter without a number.
pub fn answer_phone_schema(gen: &mut SchemaGenerator) -> Schema {
    let Schema::Object(mut schema) = phone_schema(gen) else {
        unreachable!("phone_schema is an object")
    };
    let mut empty = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        ..SchemaObject::default()
    };
    empty.string().max_length = Some(0);
    empty.metadata().description = Some("A walk-up sold without a number.".into());
    if let Some(one_of) = schema.subschemas().one_of.as_mut() {
        one_of.push(empty.into());
    }
    schema.metadata().description = Some(
        "7 to 15 digits, as a JSON number or a string, answered in the type it was sent; \
         \"\" for a walk-up sold at the counter without a number."
            .into(),
    );
    schema.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
        result.unwrap_err().message()
    }

    #[test]
    fn user_names_are_trimmed_and_bounded() {
        assert_eq!(
            user_name_from_json(Some(&json!("  Asha "))),
            Ok("Asha".into())
        );
        assert_eq!(
            user_name_from_json(Some(&json!("é".repeat(100)))),
            Ok("é".repeat(100))
        );
        for bad in [json!(null), json!(""), json!("   ")] {
            assert_eq!(
                user_name_from_json(Some(&bad)),
                Err(Error::invalid("userName cannot be null."))
            );
        }
        assert_eq!(
            user_name_from_json(None),
            Err(Error::invalid("userName cannot be null."))
        );
        for bad in [
            json!("a".repeat(101)),
            json!("Asha\u{0}"),
            json!("As\nha"),
            json!(42),
            json!({"$ne": null}),
            json!(["Asha"]),
        ] {
            assert!(user_name_from_json(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ticket_counts_are_positive_integers() {
        assert_eq!(ticket_count_from_json(Some(&json!(1))), Ok(1));
        assert_eq!(ticket_count_from_json(Some(&json!(500))), Ok(500));
        for bad in [
            None,
            Some(json!(0)),
            Some(json!(-1)),
            Some(json!(1.5)),
            Some(json!(2.0)),
            Some(json!("2")),
            Some(json!(null)),
            Some(json!({"$gt": 0})),
        ] {
            assert_eq!(
                ticket_count_from_json(bad.as_ref()),
                Err(Error::invalid("Please provide a valid ticket count")),
                "{bad:?}"
            );
        }
    }

    fn phone(value: &Value) -> Result<Phone, Error> {
        phone_from_json(Some(value))
    }

    #[test]
    fn phone_numbers_keep_their_json_type() {
        assert_eq!(phone(&json!(9876543210u64)), Ok(Phone::Number(9876543210)));
        assert_eq!(
            phone(&json!("+91 98765-43210")),
            Ok(Phone::Text("+91 98765-43210".into()))
        );
        assert_eq!(
            phone_to_json(&phone(&json!(9876543210u64)).unwrap()),
            json!(9876543210u64)
        );
        assert_eq!(
            phone_to_json(&phone(&json!("9876543210")).unwrap()),
            json!("9876543210")
        );
    }

    #[test]
    fn a_missing_or_empty_phone_number_is_null() {
        for missing in [Value::Null, json!(""), json!("   ")] {
            assert_eq!(message(phone(&missing)), "Phone number cannot be null.");
        }
        assert_eq!(
            message(phone_from_json(None)),
            "Phone number cannot be null."
        );
    }

    #[test]
    fn other_phone_numbers_are_invalid() {
        for value in [
            json!("123456"),
            json!(123456),
            json!(1234567890123456u64),
            json!("98765x43210"),
            json!(-9876543210i64),
            json!(9876543210.5),
            json!(true),
            json!([9876543210u64]),
            json!({"$gt": ""}),
        ] {
            assert!(
                message(phone(&value)).starts_with("Phone number must have 7 to 15 digits"),
                "{value}"
            );
        }
    }
}
