//! Request bodies: read within the configured limit, taken only when sent
//! as JSON (`Content-Type: application/json` or `application/*+json`: a
//! form or `text/plain`, which any web page can make a browser send, is
//! 415), parsed as one JSON object, then checked field by field into a
//! command, so every refusal has the SPEC's status.

use rocket::data::{self, ByteUnit, Data, FromData};
use rocket::http::MediaType;
use rocket::request::Request;
use rocket::tokio::io::AsyncReadExt;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType as DocumentedType, RequestBody};
use rocket_okapi::request::OpenApiFromData;
use schemars::JsonSchema;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::api::error::Error;
use crate::api::state::App;
use crate::config::DEFAULT_JSON_LIMIT;

/// A wire request type: documented by its schema, checked by `validate`.
pub trait Validate: JsonSchema {
    type Output: Send;

    fn validate(body: &Map<String, Value>, app: &App) -> Result<Self::Output, Error>;

    /// A body a user can send as is from Swagger's "Try it out".
    fn example() -> Value;
}

/// A body that passed `T`'s checks, and the JSON it was read from.
pub struct Valid<T: Validate>(pub T::Output, pub Value);

#[rocket::async_trait]
impl<'r, T: Validate> FromData<'r> for Valid<T> {
    type Error = Error;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let limit = json_limit(request);
        match read_object(request, data, limit).await.and_then(|body| {
            let app = request
                .rocket()
                .state::<App>()
                .ok_or_else(|| Error::internal("application state missing"))?;
            let output = T::validate(&body, app)?;
            Ok((output, Value::Object(body)))
        }) {
            Ok((output, body)) => data::Outcome::Success(Valid(output, body)),
            Err(error) => data::Outcome::Error((error.status(), error)),
        }
    }
}

/// The configured JSON limit.
pub(crate) fn json_limit(request: &Request<'_>) -> ByteUnit {
    request.limits().get("json").unwrap_or(DEFAULT_JSON_LIMIT)
}

/// Reads at most `limit` bytes of body as one JSON object.
pub(crate) async fn read_object(
    request: &Request<'_>,
    data: Data<'_>,
    limit: ByteUnit,
) -> Result<Map<String, Value>, Error> {
    // The buffer's first size only: the body may be shorter or longer.
    let announced: u64 = request
        .headers()
        .get_one("Content-Length")
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    // One byte past the limit tells a body over it from one exactly at it.
    // Read straight into the body's own buffer: Rocket's `into_bytes` goes
    // through a zeroed 8 KiB copy buffer per request.
    let mut stream = data.open(limit + 1);
    let mut bytes = Vec::with_capacity(announced.min(limit.as_u64()).try_into().unwrap_or(0));
    stream
        .read_to_end(&mut bytes)
        .await
        .map_err(|error| Error::bad_request(format!("Could not read the request body: {error}")))?;
    if ByteUnit::from(bytes.len()) > limit {
        return Err(Error::PayloadTooLarge);
    }
    // No body and no type says only that the body is missing.
    let content_type = request.content_type();
    if bytes.is_empty() && content_type.is_none() {
        return Err(Error::bad_request(
            "Request body is empty; send a JSON object.",
        ));
    }
    if !content_type.is_some_and(|content_type| is_json(content_type.media_type())) {
        return Err(Error::UnsupportedMediaType);
    }
    if bytes.is_empty() {
        return Err(Error::bad_request(
            "Request body is empty; send a JSON object.",
        ));
    }
    match strict_json(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Error::bad_request("Request body must be a JSON object.")),
        // Only the duplicate check below raises a data error.
        Err(error) if error.is_data() => Err(Error::bad_request(format!(
            "Request body names a key twice: {error}."
        ))),
        Err(error) => Err(Error::bad_request(format!(
            "Request body is not valid JSON: {error}."
        ))),
    }
}

/// Parses JSON as `serde_json` does, but refuses an object that names a
/// key twice (at any depth): `serde_json` would keep the last one silently,
/// so a check and what is stored could read different values.
pub(crate) fn strict_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// A JSON value whose objects have each key once.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(StrictValue)? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("{key:?} appears twice")));
            }
            let value = entries.next_value_seed(StrictValue)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// `application/json` or `application/<anything>+json`, in any case and
/// with any parameters (`; charset=utf-8`).
pub(crate) fn is_json(media_type: &MediaType) -> bool {
    let sub = media_type.sub().as_str();
    media_type.top() == "application"
        && (sub.eq_ignore_ascii_case("json")
            || (sub.len() > "+json".len()
                && sub[sub.len() - "+json".len()..].eq_ignore_ascii_case("+json")))
}

impl<T: Validate> OpenApiFromData<'_> for Valid<T> {
    fn request_body(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        Ok(json_request_body::<T>(gen, T::example()))
    }
}

/// A required JSON body with `T`'s schema and an example, as the document
/// shows it (for `/api` and `/v1` alike).
pub fn json_request_body<T: JsonSchema>(gen: &mut OpenApiGenerator, example: Value) -> RequestBody {
    let mut content = rocket_okapi::okapi::Map::new();
    content.insert(
        "application/json".to_owned(),
        DocumentedType {
            schema: Some(gen.json_schema::<T>()),
            example: Some(example),
            ..DocumentedType::default()
        },
    );
    RequestBody {
        content,
        required: true,
        ..RequestBody::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_named_twice_at_any_depth_is_refused() {
        let same = r#"{"a": 1, "b": [true, null, {"c": "x", "d": 1.5}], "e": {"f": -2}}"#;
        assert_eq!(
            strict_json(same.as_bytes()).unwrap(),
            serde_json::from_str::<Value>(same).unwrap()
        );
        for twice in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": 1, "b": {"c": 1, "c": 1}}"#,
            r#"{"a": [{"x": 1, "y": 2, "x": 3}]}"#,
            r#"{"a": 1, "\u0061": 2}"#,
        ] {
            let error = strict_json(twice.as_bytes()).unwrap_err();
            assert!(error.is_data(), "{twice}: {error}");
        }
        for broken in ["{", "[1,]", "{\"a\": 1} x", "1e400"] {
            assert!(
                !strict_json(broken.as_bytes()).unwrap_err().is_data(),
                "{broken}"
            );
        }
    }

    #[test]
    fn json_and_its_suffix_types_are_json_in_any_case() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/merge-patch+json",
            "application/problem+JSON",
        ] {
            let media_type = MediaType::parse_flexible(json).unwrap();
            assert!(is_json(&media_type), "{json}");
        }
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/json",
            "application/jsonp",
            "application/+json",
            "application/xml",
        ] {
            let media_type = MediaType::parse_flexible(other).unwrap();
            assert!(!is_json(&media_type), "{other}");
        }
    }
}
