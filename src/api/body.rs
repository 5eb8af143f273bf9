//! Request bodies: read within the configured limit, parsed as a JSON object
//! whatever the Content-Type (old clients were lax about it), then checked
//! field by field into a command, so every refusal has the SPEC's status.

use rocket::data::{self, ByteUnit, Data, FromData};
use rocket::request::Request;
use rocket::tokio::io::AsyncReadExt;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RequestBody};
use rocket_okapi::request::OpenApiFromData;
use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::api::error::Error;
use crate::config::DEFAULT_JSON_LIMIT;
use crate::service::App;

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
    if bytes.is_empty() {
        return Err(Error::bad_request(
            "Request body is empty; send a JSON object.",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Error::bad_request("Request body must be a JSON object.")),
        Err(error) => Err(Error::bad_request(format!(
            "Request body is not valid JSON: {error}."
        ))),
    }
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
        MediaType {
            schema: Some(gen.json_schema::<T>()),
            example: Some(example),
            ..MediaType::default()
        },
    );
    RequestBody {
        content,
        required: true,
        ..RequestBody::default()
    }
}
