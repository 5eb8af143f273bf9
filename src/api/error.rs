//! The `/api` error: each variant knows its status and the old service's
//! message, and every one of them leaves as the JSON envelope
//! `{"success": false, "message"}`. Refusals and failures of the use cases
//! become one of these here; Rocket's own failures through the catchers.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Method, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{catch, catchers, Catcher, Either, Route};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RefOr, Response as OpenApiResponse, Responses};
use rocket_okapi::response::OpenApiResponderInner;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::paths::is_v1;
use crate::api::problem::{Kind, Problem};
use crate::domain::Refusal;
use crate::usecases;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// 400: the request itself is malformed (body not JSON, parameter missing).
    BadRequest(String),
    /// 400
    ShowTimeInPast,
    /// 401
    Unauthorized,
    /// 404
    TicketNotFound,
    /// 404
    ShowNotFound,
    /// 404: no show starts at the requested time.
    NoShowAtTime,
    /// 404: no route at this path.
    RouteNotFound(String),
    /// 405, with the methods the path does serve.
    MethodNotAllowed { allow: String },
    /// 406: a field is missing, mistyped or out of range.
    Invalid(String),
    /// 406
    TicketLimitExceeded,
    /// 422: an `Idempotency-Key` reused for a different request.
    Unprocessable(String),
    /// 409: the show's seats cannot be priced (no card takes it, or its
    /// card sells nothing on the api channel); nothing was changed.
    NotPriced(String),
    /// 410
    TicketExpired,
    /// 413
    PayloadTooLarge,
    /// 415: a body not sent as JSON.
    UnsupportedMediaType,
    /// 421: a `Host` this service does not answer to.
    Misdirected,
    /// 429: the client keeps as many `Idempotency-Key` answers as it may;
    /// retry after this many seconds.
    TooManyKeys(u64),
    /// 503: too many writes are waiting; nothing was changed.
    Busy,
    /// 503: storage cannot take writes now, and says why.
    Unavailable(&'static str),
    /// 500: logged with its cause, never sent to the client.
    Internal(String),
    /// Any other status Rocket itself answers with (e.g. 431).
    Other(u16),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn status(&self) -> Status {
        match self {
            Self::BadRequest(_) | Self::ShowTimeInPast => Status::BadRequest,
            Self::Unauthorized => Status::Unauthorized,
            Self::TicketNotFound
            | Self::ShowNotFound
            | Self::NoShowAtTime
            | Self::RouteNotFound(_) => Status::NotFound,
            Self::MethodNotAllowed { .. } => Status::MethodNotAllowed,
            Self::Invalid(_) | Self::TicketLimitExceeded => Status::NotAcceptable,
            Self::Unprocessable(_) => Status::UnprocessableEntity,
            Self::NotPriced(_) => Status::Conflict,
            Self::TicketExpired => Status::Gone,
            Self::PayloadTooLarge => Status::PayloadTooLarge,
            Self::UnsupportedMediaType => Status::UnsupportedMediaType,
            Self::Misdirected => Status::MisdirectedRequest,
            Self::TooManyKeys(_) => Status::TooManyRequests,
            Self::Busy | Self::Unavailable(_) => Status::ServiceUnavailable,
            Self::Internal(_) => Status::InternalServerError,
            Self::Other(code) => Status::new(*code),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(message) | Self::Invalid(message) => message.clone(),
            Self::Unprocessable(reason) => format!("Refused: {reason}."),
            Self::NotPriced(reason) => format!("This show cannot be sold now: {reason}."),
            Self::ShowTimeInPast => "Show time cannot be before current time.".into(),
            Self::Unauthorized => "Invalid Auth token".into(),
            Self::TicketNotFound => "Ticket ID does not exist in Database.".into(),
            Self::ShowNotFound => "Movie ID does not exist in Database.".into(),
            Self::NoShowAtTime => "Could not find a movie that match provided details.".into(),
            Self::RouteNotFound(path) => format!("No route at {path}."),
            Self::MethodNotAllowed { allow } => {
                format!("Method not allowed here; this route serves {allow}.")
            }
            Self::TicketLimitExceeded => "Ticket limit exceeded.".into(),
            Self::TicketExpired => "Ticket has expired and cannot be changed.".into(),
            Self::PayloadTooLarge => "Request body is larger than the configured limit.".into(),
            Self::UnsupportedMediaType => {
                "Send the body as JSON, with Content-Type: application/json.".into()
            }
            Self::Misdirected => super::hosts::MESSAGE.into(),
            Self::TooManyKeys(seconds) => format!(
                "Too many Idempotency-Key answers are kept for this client. Nothing was changed; retry in {seconds} s."
            ),
            Self::Busy => {
                "The service is busy: too many writes are waiting. Nothing was changed; retry in a moment.".into()
            }
            Self::Unavailable(cause) => format!(
                "The database cannot take writes now: {cause}. The request was not acknowledged; \
                 retry in a moment, with the same Idempotency-Key so that it cannot apply twice."
            ),
            Self::Internal(_) => "Internal server error.".into(),
            Self::Other(code) => Status::new(*code).reason().map_or_else(
                || format!("HTTP status {code}."),
                |reason| format!("{reason}."),
            ),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::ShowTimeInPast => Self::ShowTimeInPast,
            Refusal::TicketNotFound => Self::TicketNotFound,
            Refusal::LimitExceeded | Refusal::NotEnoughSeats => Self::TicketLimitExceeded,
            Refusal::TicketExpired => Self::TicketExpired,
            Refusal::ShowNotFound => Self::ShowNotFound,
            Refusal::IdempotencyMismatch => Self::Unprocessable(refusal.to_string()),
            Refusal::TooManyKeys {
                retry_after_seconds,
            } => Self::TooManyKeys(retry_after_seconds),
            Refusal::Pricing(pricing) => Self::NotPriced(pricing.to_string()),
            // The seed routes never ask for these; say them plainly if they come.
            other => Self::Unprocessable(other.to_string()),
        }
    }
}

impl From<usecases::Error> for Error {
    fn from(error: usecases::Error) -> Self {
        match error {
            usecases::Error::Refused(refusal) => refusal.into(),
            usecases::Error::Busy => Self::Busy,
            usecases::Error::Unavailable { cause, .. } => {
                rocket::error!("{}", crate::error_chain(&error));
                Self::Unavailable(cause)
            }
            usecases::Error::Storage(_) => Self::Internal(crate::error_chain(&error)),
        }
    }
}

/// The failure envelope, also used by tests to read error bodies.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// A human sentence; some are kept word for word for old clients.
    pub message: String,
    /// On 401 only: the same sentence under the key the old service used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

impl Error {
    /// The envelope this error is sent in.
    pub fn body(&self) -> Vec<u8> {
        let message = self.message();
        // Old clients read a refused token from `response`.
        let response = matches!(self, Self::Unauthorized).then(|| message.clone());
        serde_json::to_vec(&ErrorBody {
            success: false,
            message,
            response,
        })
        .unwrap_or_default()
    }
}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        // The access log says why a 5xx happened (never the body).
        match &self {
            Self::Internal(cause) => super::observe::record_cause(request, cause.clone()),
            Self::Unavailable(cause) => super::observe::record_cause(request, *cause),
            Self::Busy => super::observe::record_cause(request, "the write queue is full"),
            _ => {}
        }
        let body = self.body();
        let mut response = Response::build();
        response
            .status(self.status())
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        match self {
            Self::MethodNotAllowed { allow } => {
                response.header(Header::new("Allow", allow));
            }
            Self::Busy | Self::Unavailable(_) => {
                response.header(Header::new("Retry-After", "1"));
            }
            Self::TooManyKeys(seconds) => {
                response.header(Header::new("Retry-After", seconds.to_string()));
            }
            _ => {}
        }
        Ok(response.finalize())
    }
}

/// Error statuses any API route may give; `api::docs` trims each operation's
/// list to the ones it really can.
pub const DOCUMENTED_ERRORS: &[(u16, &str)] = &[
    (400, "Malformed request: body not JSON, parameter missing, or show time in the past."),
    (401, "`api_token` or `admin_token` is set and `X-Auth-Token` is missing or wrong."),
    (404, "The ticket or show does not exist (or was purged)."),
    (406, "A field is missing, mistyped or out of range, an id is malformed, or the show would exceed capacity."),
    (409, "The show cannot be sold now: no price card prices it (none applies and there is no default card, or its card does not price this seat kind on the `api` channel); nothing was changed."),
    (410, "The ticket has expired and cannot be changed."),
    (413, "The body is larger than the configured JSON limit."),
    (415, "The body is not sent as JSON: `Content-Type` must be `application/json` (or `application/*+json`)."),
    (421, "The `Host` header names a host this service does not answer to: only IP addresses, `localhost` and the names in `allowed_hosts`."),
    (422, "This `Idempotency-Key` was sent before with a different request; nothing was changed."),
    (429, "Too many `Idempotency-Key` answers are kept for this client (`idempotency_per_client`); nothing was changed. `Retry-After` says when to try again."),
    (503, "Too many writes are waiting, or the database cannot be reached or take writes now (disk full, read-only); `Retry-After` says when to try again. Nothing was acknowledged: retry with the same `Idempotency-Key`."),
];

impl OpenApiResponderInner for Error {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = gen.json_schema::<ErrorBody>();
        let mut responses = Responses::default();
        for (code, description) in DOCUMENTED_ERRORS {
            let mut content = rocket_okapi::okapi::Map::new();
            content.insert(
                "application/json".to_owned(),
                MediaType {
                    schema: Some(schema.clone()),
                    ..MediaType::default()
                },
            );
            responses.responses.insert(
                code.to_string(),
                RefOr::Object(OpenApiResponse {
                    description: (*description).to_owned(),
                    content,
                    ..OpenApiResponse::default()
                }),
            );
        }
        Ok(responses)
    }
}

/// Rocket's own failures (no route, guard refusals, oversized bodies) in the
/// same envelope; under `/v1`, as problem details.
pub fn catchers() -> Vec<Catcher> {
    catchers![not_found, unauthorized, default_catcher]
}

/// A catcher's answer: the envelope, or a problem under `/v1`.
type Caught = Either<Error, Problem>;

/// A request whose host was refused, answered 421 in the shape of the
/// surface it asked for (the envelope outside `/v1`).
fn misdirected(request: &Request<'_>) -> Option<Caught> {
    let path = super::hosts::misdirected(request)?;
    Some(if is_v1(path) {
        Either::Right(Problem::new(Kind::Misdirected, super::hosts::MESSAGE))
    } else {
        Either::Left(Error::Misdirected)
    })
}

#[catch(404)]
fn not_found(request: &Request<'_>) -> Caught {
    if let Some(refused) = misdirected(request) {
        return refused;
    }
    caught(Status::NotFound, request).map_or_else(
        || Either::Left(wrong_method_or_no_route(request)),
        Either::Right,
    )
}

/// 405 with the methods the request's path does serve, or 404 when it serves none.
fn wrong_method_or_no_route(request: &Request<'_>) -> Error {
    let path = request.uri().path();
    let mut allowed: Vec<Method> = request
        .rocket()
        .routes()
        .filter(|route| route.uri.path() == path)
        .map(|route| route.method)
        .collect();
    if allowed.is_empty() {
        return Error::RouteNotFound(path.to_string());
    }
    Error::MethodNotAllowed {
        allow: allow_header(&mut allowed),
    }
}

/// The `Allow` header for a path that serves `methods` (HEAD with GET),
/// each once, in order.
pub fn allow_header(methods: &mut Vec<Method>) -> String {
    if methods.contains(&Method::Get) {
        methods.push(Method::Head);
    }
    methods.sort_by_key(|method| method.as_str());
    methods.dedup();
    methods
        .iter()
        .map(|method| method.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[catch(401)]
fn unauthorized(request: &Request<'_>) -> Caught {
    if let Some(refused) = misdirected(request) {
        return refused;
    }
    caught(Status::Unauthorized, request).map_or(Either::Left(Error::Unauthorized), Either::Right)
}

#[catch(default)]
fn default_catcher(status: Status, request: &Request<'_>) -> Caught {
    if let Some(refused) = misdirected(request) {
        return refused;
    }
    caught(status, request).map_or_else(
        || Either::Left(envelope_for(status, request)),
        Either::Right,
    )
}

fn envelope_for(status: Status, request: &Request<'_>) -> Error {
    match status.code {
        // Rocket refuses a request before routing it only when it cannot take
        // the request line, in practice a method it does not know (QUERY,
        // PROPFIND, ...): on a path it serves, that is a wrong method.
        400 if request.route().is_none() => wrong_method_or_no_route(request),
        400 => Error::bad_request("The request could not be understood."),
        413 => Error::PayloadTooLarge,
        500 => Error::internal(format!(
            "Rocket answered 500 for {} {}",
            request.method(),
            request.uri().path()
        )),
        code => Error::Other(code),
    }
}

/// Rocket's own answer with `status` as a problem, for a request under
/// `/v1`; `None` elsewhere.
pub fn caught(status: Status, request: &Request<'_>) -> Option<Problem> {
    if !is_v1(request.uri().path().as_str()) {
        return None;
    }
    Some(match status.code {
        404 => no_route(request, false),
        // Rocket refuses a method it does not know (QUERY, PROPFIND, ...)
        // before routing, and the request then reads as a GET.
        400 if request.route().is_none() => no_route(request, true),
        // A query Rocket could not take apart.
        400 | 422 => Problem::bad_request("The request could not be understood."),
        401 => Problem::new(
            Kind::Unauthorized,
            "A valid token is needed: send Authorization: Bearer <token> or X-Auth-Token.",
        ),
        403 => Problem::new(
            Kind::Forbidden,
            "This credential may not do this: its role is too low, or a write signed by the \
             session cookie lacks its X-CSRF-Token.",
        ),
        503 => Problem::new(
            Kind::StorageUnavailable,
            "The database cannot say who is asking now; retry.",
        ),
        413 => Problem::new(
            Kind::TooLarge,
            "The request body is larger than the configured limit.",
        ),
        code => {
            if code >= 500 {
                rocket::error!(
                    "{} {}: Rocket answered {code}",
                    request.method(),
                    request.uri().path()
                );
            }
            let kind = Kind::Other(code);
            Problem::new(kind, format!("{}.", kind.title()))
        }
    })
}

/// Whether a route's path (`/v1/shows/<id>`) serves `path`.
fn serves(route: &str, path: &str) -> bool {
    let mut wanted = route.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(segment), Some(value)) if segment.starts_with('<') => {
                if segment.ends_with("..>") {
                    return true;
                }
                if value.is_empty() {
                    return false;
                }
            }
            (Some(segment), Some(value)) if segment == value => {}
            _ => return false,
        }
    }
}

/// 405 with the methods the path serves, or 404 when it serves none (or
/// serves this method, and the request named nothing).
fn no_route(request: &Request<'_>, unknown_method: bool) -> Problem {
    let path = request.uri().path();
    let routes: Vec<&Route> = request
        .rocket()
        .routes()
        .filter(|route| {
            let route = route.uri.path();
            is_v1(route) && serves(route, path.as_str())
        })
        .collect();
    // A path spelled out (`/v1/bookings/search`) is a resource of its own,
    // whatever a pattern beside it (`/v1/bookings/<id>`) would take.
    let exact = routes.iter().any(|route| route.uri.path() == path.as_str());
    let mut allowed: Vec<Method> = routes
        .iter()
        .filter(|route| !exact || route.uri.path() == path.as_str())
        .map(|route| route.method)
        .collect();
    if allowed.is_empty() || (!unknown_method && allowed.contains(&request.method())) {
        return Problem::not_found("Nothing here: /openapi.json lists what /v1 serves.");
    }
    let allow = allow_header(&mut allowed);
    Problem {
        allow: Some(allow.clone()),
        ..Problem::new(Kind::MethodNotAllowed, format!("This path serves {allow}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths_match_their_segments() {
        assert!(serves("/v1/shows/<id>", "/v1/shows/ABC"));
        assert!(serves("/v1/shows/<id>/seats", "/v1/shows/ABC/seats"));
        assert!(!serves("/v1/shows/<id>", "/v1/shows/"));
        assert!(!serves("/v1/shows/<id>", "/v1/shows/ABC/seats"));
        assert!(!serves("/v1/shows", "/v1/shows/ABC"));
        assert!(serves("/v1/shows", "/v1/shows"));
        assert!(serves("/v1/<path..>", "/v1/anything/at/all"));
    }
}
