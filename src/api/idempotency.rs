//! `Idempotency-Key` on writes: the header read and checked, the key scoped
//! to the actor that sent it (its account or key, not a session's token),
//! the request reduced to a digest, and the answer of a replay sent again
//! with `Idempotent-Replayed: true`.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{Object, Parameter, ParameterValue, Responses};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};
use rocket_okapi::response::OpenApiResponderInner;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::api::auth::actor_of;
use crate::api::client::client_of;
use crate::api::state::App;
use crate::domain::limits::ClientId;
use crate::usecases::{Keyed, Once, Render, Replay};

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
pub const MAX_KEY_LEN: usize = 255;

/// What the request said about idempotency: no key, a key, or a malformed one.
pub struct IdempotencyKey(Option<Sent>);

/// A request that carried the header: what scopes and digests its key.
struct Sent {
    key: Result<String, ()>,
    /// Whose key it is: the actor's account or key (see `Actor::scope`).
    scope: String,
    method: &'static str,
    path: String,
    client: Option<ClientId>,
}

/// Why a key cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MalformedKey;

impl MalformedKey {
    pub const MESSAGE: &'static str =
        "Idempotency-Key must be 1 to 255 printable ASCII characters.";
}

fn well_formed(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let headers = request.headers();
        // Most writes carry no key: they cost no copies.
        let Some(key) = headers.get_one(HEADER) else {
            return Outcome::Success(Self(None));
        };
        let key = if well_formed(key) {
            Ok(key.to_owned())
        } else {
            Err(())
        };
        let actor = actor_of(request).await;
        let client = match (&actor, request.rocket().state::<App>()) {
            (Some(actor), Some(app)) => client_of(request, &app.config, actor),
            _ => None,
        };
        Outcome::Success(Self(Some(Sent {
            key,
            scope: actor.map(|actor| actor.scope()).unwrap_or_default(),
            method: request.method().as_str(),
            path: request.uri().path().to_string(),
            client,
        })))
    }
}

/// A JSON value written with every object's keys in order, so that two
/// spellings of one body give one digest.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl IdempotencyKey {
    /// `None` without a key; the key scoped to the actor, the request's
    /// digest and `render` with one.
    pub fn once<T>(
        &self,
        body: Option<&Value>,
        render: Render<T>,
    ) -> Result<Once<T>, MalformedKey> {
        let Some(sent) = &self.0 else {
            return Ok(None);
        };
        let key = sent.key.as_ref().map_err(|()| MalformedKey)?;
        let mut scoped = Sha256::digest(sent.scope.as_bytes()).to_vec();
        scoped.extend_from_slice(key.as_bytes());
        let mut request = format!("{}\n{}\n", sent.method, sent.path);
        if let Some(body) = body {
            canonical(body, &mut request);
        }
        let fingerprint: [u8; 32] = Sha256::digest(request.as_bytes()).into();
        Ok(Some(Keyed {
            key: scoped,
            fingerprint,
            render,
            client: sent.client,
        }))
    }

    pub fn is_malformed(&self) -> bool {
        matches!(&self.0, Some(Sent { key: Err(()), .. }))
    }
}

impl OpenApiFromRequest<'_> for IdempotencyKey {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        let schema = crate::api::fields::pattern_schema(
            "^[ -~]{1,255}$",
            "1 to 255 printable ASCII characters, unique per request.",
        );
        Ok(RequestHeaderInput::Parameter(Parameter {
            name: HEADER.into(),
            location: "header".into(),
            description: Some(
                "Makes a retry safe: the same key with the same request (within \
                 `idempotency_ttl`, 24 h by default) gets the first answer again, with \
                 `Idempotent-Replayed: true`, and changes nothing; the same key with another \
                 request is refused (422)."
                    .into(),
            ),
            required: false,
            deprecated: false,
            allow_empty_value: false,
            value: ParameterValue::Schema {
                style: None,
                explode: None,
                allow_reserved: false,
                schema,
                example: None,
                examples: None,
            },
            extensions: Object::default(),
        }))
    }
}

/// Where a 201 on `path` (`/v1/screens`) put what it created: the
/// answer's `id` under that path.
pub fn location(path: &str, status: u16, body: &[u8]) -> Option<String> {
    /// The fields wanted; the rest of the answer is skipped unread. A
    /// record is named by its `id`; a staff account by its `login`.
    #[derive(serde::Deserialize)]
    struct Created<'a> {
        #[serde(borrow, default)]
        id: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        login: Option<std::borrow::Cow<'a, str>>,
    }
    if status != 201 {
        return None;
    }
    let created: Created<'_> = serde_json::from_slice(body).ok()?;
    let path = path.trim_end_matches('/');
    let name = match (created.id, created.login) {
        (Some(id), _) => id,
        (None, Some(login)) if path.ends_with("/staff") => login,
        _ => return None,
    };
    Some(format!("{path}/{name}"))
}

/// A write's answer: fresh, or a key's stored one sent again.
pub enum Answer<R> {
    Fresh(R),
    Replayed(Replay),
}

impl<'r, R: Responder<'r, 'static>> Responder<'r, 'static> for Answer<R> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Self::Fresh(fresh) => fresh.respond_to(request),
            Self::Replayed(Replay { status, body }) => {
                let path = request.uri().path().to_string();
                let v1 = crate::api::paths::is_v1(&path);
                let mut response = Response::build();
                response
                    .status(Status::new(status))
                    .header(Header::new(REPLAYED_HEADER, "true"));
                if v1 {
                    if let Some(location) = location(&path, status, &body) {
                        response.header(Header::new("Location", location));
                    }
                }
                // A 204 has no body, so no type either.
                if !(v1 && body.is_empty()) {
                    let content_type = if v1 && status >= 400 {
                        crate::api::problem::content_type()
                    } else {
                        ContentType::JSON
                    };
                    response
                        .header(content_type)
                        .sized_body(body.len(), Cursor::new(body));
                }
                response.ok()
            }
        }
    }
}

impl<R: OpenApiResponderInner> OpenApiResponderInner for Answer<R> {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        R::responses(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_body_in_two_spellings_has_one_canonical_form() {
        let mut a = String::new();
        let mut b = String::new();
        canonical(&json!({"b": [1, {"y": 2, "x": 1}], "a": "é"}), &mut a);
        canonical(
            &serde_json::from_str::<Value>(r#"{"a":"é","b":[1,{"x":1,"y":2}]}"#).unwrap(),
            &mut b,
        );
        assert_eq!(a, b);
        assert_eq!(a, r#"{"a":"é","b":[1,{"x":1,"y":2}]}"#);
    }

    #[test]
    fn keys_are_printable_ascii_of_at_most_255() {
        assert!(well_formed("a"));
        assert!(well_formed(&"k".repeat(255)));
        assert!(well_formed("order 42 / retry"));
        assert!(!well_formed(""));
        assert!(!well_formed(&"k".repeat(256)));
        assert!(!well_formed("tab\there"));
        assert!(!well_formed("clé"));
    }
}
