//! The optional tokens on `/api`: when `api_token` or `admin_token` is set,
//! every `/api` route needs `X-Auth-Token` with one of them (there is no
//! 403 on `/api`: either token may do everything there).

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{SecurityRequirement, SecurityScheme, SecuritySchemeData};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::error::Error;
use crate::api::state::App;

pub const TOKEN_HEADER: &str = "X-Auth-Token";
pub const SECURITY_SCHEME: &str = "ApiKeyAuth";

/// Proof that the request may use the API. Handlers take it as a parameter.
pub struct Authorized;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Authorized {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(config) = request.rocket().state::<App>().map(|app| &app.config) else {
            return Outcome::Error((Status::InternalServerError, Error::internal("no state")));
        };
        if config.api_token.is_none() && config.admin_token.is_none() {
            return Outcome::Success(Authorized);
        }
        let given = request.headers().get_one(TOKEN_HEADER).unwrap_or("");
        // The admin token can do everything the API token can.
        let matches = |expected: Option<&str>| {
            expected.is_some_and(|expected| constant_time_eq(given.as_bytes(), expected.as_bytes()))
        };
        let is_api = matches(config.api_token.as_deref());
        let is_admin = matches(config.admin_token.as_deref());
        if is_api | is_admin {
            Outcome::Success(Authorized)
        } else {
            Outcome::Error((Status::Unauthorized, Error::Unauthorized))
        }
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case),
/// if the request sends one. Only `/v1` takes it as a token.
pub(crate) fn bearer_token<'r>(request: &'r Request<'_>) -> Option<&'r str> {
    let (scheme, token) = request
        .headers()
        .get_one("Authorization")?
        .trim()
        .split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares without an early exit, so the time taken does not tell how much
/// of a guess was right.
pub(crate) fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (index, byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(!byte);
        difference |= std::hint::black_box(byte ^ other);
    }
    difference == 0
}

impl OpenApiFromRequest<'_> for Authorized {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        let scheme = SecurityScheme {
            description: Some(
                "Needed only when the server sets `api_token` or `admin_token`; the documents stay public.".into(),
            ),
            data: SecuritySchemeData::ApiKey {
                name: TOKEN_HEADER.into(),
                location: "header".into(),
            },
            extensions: rocket_okapi::okapi::Map::default(),
        };
        let mut requirement = SecurityRequirement::new();
        requirement.insert(SECURITY_SCHEME.into(), Vec::new());
        Ok(RequestHeaderInput::Security(
            SECURITY_SCHEME.into(),
            scheme,
            requirement,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(constant_time_eq(b"12345", b"12345"));
        assert!(!constant_time_eq(b"12346", b"12345"));
        assert!(!constant_time_eq(b"1234", b"12345"));
        assert!(!constant_time_eq(b"123456", b"12345"));
        assert!(!constant_time_eq(b"", b"12345"));
    }
}
