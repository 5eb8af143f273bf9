//! What `/v1` reads from a body: one JSON object (400 when it is not one,
//! 413 over the limit), checked field by field into a use case's input (422
//! with a sentence naming the field).

use chrono_tz::Tz;
use rocket::data::{self, ByteUnit, Data, FromData};
use rocket::request::Request;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::RequestBody;
use rocket_okapi::request::OpenApiFromData;
use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::api::body::{json_limit, read_object};
use crate::api::error::Error as SeedError;
use crate::api::fields::{phone_from_json, user_name_from_json};
use crate::api::problem::{Kind, Problem};
use crate::api::state::App;
use crate::domain::time::{parse_show_time, ShowTimeError};
use crate::domain::{Millis, Phone, Refusal, ScreenId, TicketId};

/// A `/v1` request body: documented by its schema, read by `read`.
pub trait Fields: JsonSchema {
    type Output: Send;

    fn read(body: &Object<'_>, app: &App) -> Result<Self::Output, Problem>;

    /// A body a user can send as is from Swagger's "Try it out".
    fn example() -> Value;

    /// The most bytes such a body may have.
    fn limit(request: &Request<'_>) -> ByteUnit {
        json_limit(request)
    }
}

/// A body that passed `T`'s checks, and the JSON it was read from.
pub struct Checked<T: Fields>(pub T::Output, pub Value);

pub type Body<T> = Result<Checked<T>, Problem>;

/// The body reader's refusals in `/v1`'s words.
fn unreadable(error: SeedError) -> Problem {
    match error {
        SeedError::PayloadTooLarge => Problem::new(
            Kind::TooLarge,
            "The request body is larger than the configured limit.",
        ),
        SeedError::UnsupportedMediaType => Problem::new(
            Kind::UnsupportedMediaType,
            "Send the body as JSON, with Content-Type: application/json.",
        ),
        other => Problem::bad_request(other.message()),
    }
}

#[rocket::async_trait]
impl<'r, T: Fields> FromData<'r> for Checked<T> {
    type Error = Problem;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let checked = async {
            let body = read_object(request, data, T::limit(request))
                .await
                .map_err(unreadable)?;
            let app = request
                .rocket()
                .state::<App>()
                .ok_or_else(|| Problem::new(Kind::Other(500), "No state."))?;
            let output = T::read(&Object::new(&body), app)?;
            Ok::<_, Problem>(Checked(output, Value::Object(body)))
        };
        match checked.await {
            Ok(checked) => data::Outcome::Success(checked),
            Err(problem) => data::Outcome::Error((problem.status(), problem)),
        }
    }
}

impl<T: Fields> OpenApiFromData<'_> for Checked<T> {
    fn request_body(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        Ok(crate::api::body::json_request_body::<T>(gen, T::example()))
    }
}

/// A JSON object being read, and where it sits in the body (`rows[2].`),
/// so that a refusal names the field as the client wrote it.
pub struct Object<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Object<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            at: String::new(),
        }
    }

    /// The object in `value`, named `name` in refusals.
    pub fn nested(value: &'a Value, name: &str) -> Result<Self, Problem> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                at: format!("{name}."),
            }),
            _ => Err(Problem::invalid(format!("{name} must be an object."))),
        }
    }

    /// The field as the client spells it, with its place in the body.
    pub fn name(&self, field: &str) -> String {
        format!("{}{field}", self.at)
    }

    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    /// The value, if the field is there (`null` included).
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    pub fn invalid(&self, field: &str, must: &str) -> Problem {
        Problem::invalid(format!("{} {must}.", self.name(field)))
    }

    pub fn missing(&self, field: &str) -> Problem {
        self.invalid(field, "is missing")
    }

    /// A field that must be there.
    pub fn required<T>(&self, field: &str, value: Option<T>) -> Result<T, Problem> {
        value.ok_or_else(|| self.missing(field))
    }

    /// Text: trimmed, 1..=`max` characters, no control characters.
    pub fn text(&self, field: &str, max: usize) -> Result<Option<String>, Problem> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => crate::domain::cinema::text(text, max)
                .map(Some)
                .map_err(|error| self.invalid(field, &error.to_string())),
            Some(_) => Err(self.invalid(field, "must be a string")),
        }
    }

    /// Text that `null` clears: `Some(None)`.
    pub fn nullable_text(
        &self,
        field: &str,
        max: usize,
    ) -> Result<Option<Option<String>>, Problem> {
        match self.get(field) {
            Some(Value::Null) => Ok(Some(None)),
            _ => Ok(self.text(field, max)?.map(Some)),
        }
    }

    /// A JSON integer in `min..=max`.
    pub fn integer(&self, field: &str, min: u32, max: u32) -> Result<Option<u32>, Problem> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        value
            .as_u64()
            .and_then(|number| u32::try_from(number).ok())
            .filter(|number| (min..=max).contains(number))
            .map(Some)
            .ok_or_else(|| self.invalid(field, &format!("must be an integer from {min} to {max}")))
    }

    pub fn boolean(&self, field: &str) -> Result<Option<bool>, Problem> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(self.invalid(field, "must be true or false")),
        }
    }

    pub fn array(&self, field: &str) -> Result<Option<&'a Vec<Value>>, Problem> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(self.invalid(field, "must be an array")),
        }
    }

    /// An array whose items are all different, as its schema's
    /// `uniqueItems` says.
    pub fn unique_array(&self, field: &str) -> Result<Option<&'a Vec<Value>>, Problem> {
        let items = self.array(field)?;
        if let Some(items) = items {
            let repeated = items
                .iter()
                .enumerate()
                .any(|(at, item)| items[..at].contains(item));
            if repeated {
                return Err(self.invalid(field, "must not list the same item twice"));
            }
        }
        Ok(items)
    }

    /// A time, venue-local unless it carries an offset.
    pub fn time(&self, field: &str, zone: Tz) -> Result<Option<Millis>, Problem> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => parse_time(text, zone)
                .map(Some)
                .map_err(|why| self.invalid(field, &why)),
            Some(_) => Err(self.invalid(field, TIME_SHAPE)),
        }
    }

    /// An id that `parse` reads.
    pub fn id<T>(&self, field: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>, Problem> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => parse(text)
                .map(Some)
                .ok_or_else(|| self.invalid(field, "is not a valid id")),
            Some(_) => Err(self.invalid(field, "must be a string")),
        }
    }

    /// A screen id: `default` or a ULID; the all-zero ULID is well formed
    /// but names no screen.
    pub fn screen_id(&self, field: &str) -> Result<Option<ScreenId>, Problem> {
        match self.get(field) {
            Some(Value::String(text)) if ScreenId::parse(text).is_none() && is_ulid(text) => {
                Err(Refusal::ScreenNotFound.into())
            }
            _ => self.id(field, ScreenId::parse),
        }
    }

    /// Seat names, as given (whether they exist is the use case's question).
    pub fn seat_names(&self, field: &str) -> Result<Option<Vec<String>>, Problem> {
        let Some(items) = self.array(field)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| self.invalid(field, "must be an array of seat names such as \"A7\""))
    }

    /// `userName`, as `/api` reads it.
    pub fn user_name(&self, field: &str) -> Result<String, Problem> {
        user_name_from_json(self.get(field)).map_err(|error| Problem::invalid(error.message()))
    }

    /// `phoneNumber`, as `/api` reads it: kept in the JSON type it came in.
    pub fn phone(&self, field: &str) -> Result<Phone, Problem> {
        phone_from_json(self.get(field)).map_err(|error| Problem::invalid(error.message()))
    }

    /// `userName` of a walk-up: absent or `null` is none (`""`), else as
    /// [`Object::user_name`] reads it.
    pub fn optional_user_name(&self, field: &str) -> Result<String, Problem> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(_) => self.user_name(field),
        }
    }

    /// `phoneNumber` of a walk-up: absent or `null` is none, else as
    /// [`Object::phone`] reads it.
    pub fn optional_phone(&self, field: &str) -> Result<Phone, Problem> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(Phone::Absent),
            Some(_) => self.phone(field),
        }
    }
}

const TIME_SHAPE: &str = "must be a time such as \"2030-06-01T18:30:00+05:30\", or \
                          \"2030-06-01 18:30\" in the venue's time zone";

/// A time, or why it is not one (to follow the field's name).
pub(super) fn parse_time(text: &str, zone: Tz) -> Result<Millis, String> {
    parse_show_time(text, zone).map_err(|error| match error {
        ShowTimeError::Unparsable(_) => TIME_SHAPE.to_owned(),
        ShowTimeError::Nonexistent { zone, .. } => {
            format!("names a time that does not exist in {zone}: the clocks skip it")
        }
    })
}

/// Whether `text` is spelled as an id the service mints.
pub(super) fn is_ulid(text: &str) -> bool {
    TicketId::parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: &Value) -> Object<'_> {
        Object::new(value.as_object().unwrap())
    }

    #[test]
    fn a_refusal_names_the_field_where_it_sits() {
        let body = json!({"rows": [{"label": 7}]});
        let row = Object::nested(&body["rows"][0], "rows[0]").unwrap();
        assert_eq!(
            row.text("label", 3).unwrap_err().detail,
            "rows[0].label must be a string."
        );
        assert_eq!(
            object(&json!({}))
                .required("name", None::<String>)
                .unwrap_err()
                .detail,
            "name is missing."
        );
    }

    #[test]
    fn integers_are_json_integers_in_range() {
        let body = json!({"a": 5, "b": 0, "c": 2.5, "d": "5", "e": null, "f": 5_000_000_000u64});
        let body = object(&body);
        assert_eq!(body.integer("a", 1, 10).unwrap(), Some(5));
        assert_eq!(body.integer("missing", 1, 10).unwrap(), None);
        for field in ["b", "c", "d", "e", "f"] {
            assert_eq!(
                body.integer(field, 1, 10).unwrap_err().detail,
                format!("{field} must be an integer from 1 to 10.")
            );
        }
    }

    #[test]
    fn null_clears_only_where_it_may() {
        let body = json!({"rating": null, "title": null});
        let body = object(&body);
        assert_eq!(body.nullable_text("rating", 16).unwrap(), Some(None));
        assert!(body.text("title", 200).is_err());
    }

    #[test]
    fn the_zero_screen_id_is_well_formed_but_names_nothing() {
        let body = json!({"screenId": "00000000000000000000000000"});
        let refused = object(&body).screen_id("screenId").unwrap_err();
        assert_eq!(refused.kind.status(), 404);
    }
}
