//! `/v1`'s errors as RFC 9457 problem details: `Content-Type:
//! application/problem+json`, a body `{"type", "title", "status", "detail"}`
//! whose `type` (`urn:boxoffice:<slug>`) tells refusals of one status apart,
//! and `seats` when taken seats are the reason. Refusals and failures of the
//! use cases become one of these here; Rocket's own failures through the
//! catchers in `api::error`.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RefOr, Response as OpenApiResponse, Responses};
use rocket_okapi::response::OpenApiResponderInner;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::prices::PricingRefusal;
use crate::domain::Refusal;
use crate::usecases::{self, Replay};

/// What went wrong, as a client tells it apart: one `type` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    SeatsTaken,
    NotEnoughSeats,
    ShowStarted,
    ScreenBusy,
    InUse,
    IdempotencyMismatch,
    Expired,
    HoldExpired,
    TooLarge,
    UnsupportedMediaType,
    Misdirected,
    Invalid,
    /// A limited client asked for more than it may have now (429).
    TooManyHolds,
    /// A limited client keeps as many `Idempotency-Key` answers as it may (429).
    TooManyKeys,
    /// The venue has as many screens as it may (409).
    TooManyScreens,
    /// The venue has as many ticket types, or price cards, as it may (409).
    TooManyPriceRecords,
    /// No price card takes the show, and there is no default card (409).
    NoPriceCard,
    /// A ticket type id that names no ticket type (422).
    UnknownTicketType,
    /// A ticket type not sold on the caller's channel (409).
    NotOnChannel,
    /// The show's card has no price for a type on a seat's kind (409).
    NotPriced,
    TooManyAttempts,
    Busy,
    StorageUnavailable,
    /// Any other status Rocket itself answers with (431, 500, ...), typed
    /// `about:blank` as RFC 9457 says for a problem with no more to it.
    Other(u16),
}

impl Kind {
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::SeatsTaken
            | Self::NotEnoughSeats
            | Self::ShowStarted
            | Self::ScreenBusy
            | Self::InUse
            | Self::TooManyScreens
            | Self::TooManyPriceRecords
            | Self::NoPriceCard
            | Self::NotOnChannel
            | Self::NotPriced => 409,
            Self::Expired | Self::HoldExpired => 410,
            Self::TooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Misdirected => 421,
            Self::Invalid | Self::IdempotencyMismatch | Self::UnknownTicketType => 422,
            Self::TooManyHolds | Self::TooManyKeys | Self::TooManyAttempts => 429,
            Self::Busy | Self::StorageUnavailable => 503,
            Self::Other(code) => code,
        }
    }

    /// The last part of `type`; `None` for `about:blank`.
    pub fn slug(self) -> Option<&'static str> {
        Some(match self {
            Self::BadRequest => "bad-request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::SeatsTaken => "seats-taken",
            Self::NotEnoughSeats => "not-enough-seats",
            Self::ShowStarted => "show-started",
            Self::ScreenBusy => "screen-busy",
            Self::InUse => "in-use",
            Self::IdempotencyMismatch => "idempotency-mismatch",
            Self::Expired => "expired",
            Self::HoldExpired => "hold-expired",
            Self::TooLarge => "too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Misdirected => "misdirected-request",
            Self::Invalid => "invalid",
            Self::TooManyHolds => "too-many-holds",
            Self::TooManyKeys => "too-many-keys",
            Self::TooManyScreens => "too-many-screens",
            Self::TooManyPriceRecords => "too-many-price-records",
            Self::NoPriceCard => "no-price-card",
            Self::UnknownTicketType => "unknown-ticket-type",
            Self::NotOnChannel => "not-on-channel",
            Self::NotPriced => "not-priced",
            Self::TooManyAttempts => "too-many-attempts",
            Self::Busy => "busy",
            Self::StorageUnavailable => "storage-unavailable",
            Self::Other(_) => return None,
        })
    }

    pub fn type_uri(self) -> String {
        self.slug().map_or_else(
            || "about:blank".into(),
            |slug| format!("urn:boxoffice:{slug}"),
        )
    }

    /// The same for every problem of this type.
    pub fn title(self) -> String {
        match self {
            Self::BadRequest => "Bad request",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::SeatsTaken => "Seats taken",
            Self::NotEnoughSeats => "Not enough seats",
            Self::ShowStarted => "Show started",
            Self::ScreenBusy => "Screen busy",
            Self::InUse => "In use",
            Self::IdempotencyMismatch => "Idempotency-Key mismatch",
            Self::Expired => "Expired",
            Self::HoldExpired => "Hold expired",
            Self::TooLarge => "Body too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::Misdirected => "Misdirected request",
            Self::Invalid => "Invalid request",
            Self::TooManyHolds => "Too many holds",
            Self::TooManyKeys => "Too many idempotency keys",
            Self::TooManyScreens => "Too many screens",
            Self::TooManyPriceRecords => "Too many ticket types or price cards",
            Self::NoPriceCard => "No price card",
            Self::UnknownTicketType => "Unknown ticket type",
            Self::NotOnChannel => "Not sold on this channel",
            Self::NotPriced => "Not priced",
            Self::TooManyAttempts => "Too many attempts",
            Self::Busy => "Busy",
            Self::StorageUnavailable => "Storage unavailable",
            Self::Other(code) => {
                return Status::new(code)
                    .reason()
                    .map_or_else(|| format!("HTTP status {code}"), str::to_owned)
            }
        }
        .into()
    }
}

/// A `/v1` refusal or failure, as it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    /// A sentence for this occurrence.
    pub detail: String,
    /// The taken seats, for `seats-taken`.
    pub seats: Option<Vec<String>>,
    /// For 405: the methods the path serves.
    pub allow: Option<String>,
    /// For 429: whole seconds until a retry may succeed.
    pub retry_after: Option<u64>,
}

/// A problem document (RFC 9457).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Problem")]
pub struct ProblemBody {
    /// `urn:boxoffice:<slug>`; `about:blank` for statuses with nothing more to say.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// A sentence for this occurrence.
    pub detail: String,
    /// The seats that were taken, when that is the reason (`seats-taken`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<Vec<String>>,
}

/// `the show has started` → `The show has started.`
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl Problem {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            seats: None,
            allow: None,
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, detail)
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, detail)
    }

    pub fn status(&self) -> Status {
        Status::new(self.kind.status())
    }

    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&ProblemBody {
            kind: self.kind.type_uri(),
            title: self.kind.title(),
            status: self.kind.status(),
            detail: self.detail.clone(),
            seats: self.seats.clone(),
        })
        .unwrap_or_default()
    }

    /// The answer an `Idempotency-Key` keeps for this problem: only those
    /// decided on the stored state (404, 409, 410); a malformed request or
    /// a failure may be sent again and be answered afresh.
    pub fn replay(&self) -> Option<Replay> {
        let status = self.kind.status();
        matches!(status, 404 | 409 | 410).then(|| Replay {
            status,
            body: self.body(),
        })
    }
}

impl From<Refusal> for Problem {
    fn from(refusal: Refusal) -> Self {
        let detail = sentence(&refusal.to_string());
        let kind = match &refusal {
            Refusal::TicketNotFound
            | Refusal::ShowNotFound
            | Refusal::ScreenNotFound
            | Refusal::FilmNotFound
            | Refusal::HoldNotFound
            | Refusal::TicketTypeNotFound
            | Refusal::PriceCardNotFound
            | Refusal::StaffNotFound
            | Refusal::KeyNotFound => Kind::NotFound,
            Refusal::HoldExpired => Kind::HoldExpired,
            Refusal::SeatsTaken(seats) => {
                return Self {
                    seats: Some(seats.clone()),
                    ..Self::new(Kind::SeatsTaken, detail)
                }
            }
            Refusal::NotEnoughSeats | Refusal::LimitExceeded => Kind::NotEnoughSeats,
            Refusal::ShowStarted => Kind::ShowStarted,
            Refusal::ScreenBusy => Kind::ScreenBusy,
            Refusal::InUse(_) | Refusal::LoginTaken => Kind::InUse,
            Refusal::TicketExpired => Kind::Expired,
            Refusal::UnknownSeats(_)
            | Refusal::SeatNamedTwice(_)
            | Refusal::NoSeatsNamed
            | Refusal::NoSeatMap
            | Refusal::DefaultScreen
            | Refusal::StartInPast
            | Refusal::ShowTimeInPast => Kind::Invalid,
            Refusal::TooManyPriceRecords { .. } => Kind::TooManyPriceRecords,
            Refusal::IdempotencyMismatch => Kind::IdempotencyMismatch,
            Refusal::TooManyScreens { .. } => Kind::TooManyScreens,
            Refusal::Pricing(pricing) => match pricing {
                PricingRefusal::NoCard => Kind::NoPriceCard,
                PricingRefusal::UnknownType(_) => Kind::UnknownTicketType,
                PricingRefusal::NotOnChannel { .. } => Kind::NotOnChannel,
                PricingRefusal::NotPriced { .. } => Kind::NotPriced,
                PricingRefusal::TicketsDoNotMatch { .. } | PricingRefusal::SeatNotSold(_) => {
                    Kind::Invalid
                }
            },
            Refusal::TooManyHolds {
                retry_after_seconds,
                ..
            } => {
                return Self {
                    retry_after: Some(*retry_after_seconds),
                    ..Self::new(Kind::TooManyHolds, detail)
                }
            }
            Refusal::TooManyKeys {
                retry_after_seconds,
            } => {
                return Self {
                    retry_after: Some(*retry_after_seconds),
                    ..Self::new(Kind::TooManyKeys, detail)
                }
            }
        };
        Self::new(kind, detail)
    }
}

impl From<usecases::Error> for Problem {
    fn from(error: usecases::Error) -> Self {
        match error {
            usecases::Error::Refused(refusal) => refusal.into(),
            usecases::Error::Busy => Self::new(
                Kind::Busy,
                "Too many writes are waiting: nothing was changed. Retry in a moment.",
            ),
            usecases::Error::Unavailable { cause, .. } => {
                // The cause chain is for the operator; the client learns what to do.
                rocket::error!("storage unavailable: {}", crate::error_chain(&error));
                Self::new(
                    Kind::StorageUnavailable,
                    format!(
                        "The database cannot take writes now: {cause}. The write was NOT \
                         acknowledged and may or may not have been stored: retry it with the \
                         same Idempotency-Key."
                    ),
                )
            }
            usecases::Error::Storage(_) => {
                rocket::error!("storage failed: {}", crate::error_chain(&error));
                Self::new(
                    Kind::Other(500),
                    "Something went wrong on our side; it was logged. A write was not \
                     acknowledged.",
                )
            }
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.type_uri(), self.detail)
    }
}

impl std::error::Error for Problem {}

pub fn content_type() -> ContentType {
    ContentType::new("application", "problem+json")
}

impl<'r> Responder<'r, 'static> for Problem {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        let body = self.body();
        let mut response = Response::build();
        response
            .status(self.status())
            .header(content_type())
            .sized_body(body.len(), Cursor::new(body));
        match self.kind {
            Kind::Busy | Kind::StorageUnavailable => {
                response.header(Header::new("Retry-After", "1"));
            }
            Kind::Unauthorized => {
                response.header(Header::new("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        if let Some(allow) = self.allow {
            response.header(Header::new("Allow", allow));
        }
        if let Some(seconds) = self.retry_after {
            response.header(Header::new("Retry-After", seconds.to_string()));
        }
        Ok(response.finalize())
    }
}

/// The error statuses a `/v1` route may answer with; `v1::docs` keeps
/// those each operation can give and says which types each stands for.
const STATUSES: &[u16] = &[400, 401, 403, 404, 409, 410, 413, 415, 421, 422, 429, 503];

impl OpenApiResponderInner for Problem {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = gen.json_schema::<ProblemBody>();
        let mut responses = Responses::default();
        for code in STATUSES {
            let mut content = rocket_okapi::okapi::Map::new();
            content.insert(
                content_type().to_string(),
                MediaType {
                    schema: Some(schema.clone()),
                    ..MediaType::default()
                },
            );
            responses.responses.insert(
                code.to_string(),
                RefOr::Object(OpenApiResponse {
                    description: "A problem document; its `type` says which.".into(),
                    content,
                    ..OpenApiResponse::default()
                }),
            );
        }
        Ok(responses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InUse;

    fn body(problem: &Problem) -> serde_json::Value {
        serde_json::from_slice(&problem.body()).unwrap()
    }

    #[test]
    fn a_refusal_becomes_its_type_with_a_sentence() {
        let problem = Problem::from(Refusal::ShowStarted);
        assert_eq!(
            body(&problem),
            serde_json::json!({
                "type": "urn:boxoffice:show-started",
                "title": "Show started",
                "status": 409,
                "detail": "The show has started.",
            })
        );
        let taken = Problem::from(Refusal::SeatsTaken(vec!["A7".into(), "A8".into()]));
        assert_eq!(body(&taken)["seats"], serde_json::json!(["A7", "A8"]));
        assert_eq!(body(&taken)["detail"], "Seats already taken: A7, A8.");
        assert_eq!(
            Problem::from(Refusal::InUse(InUse::FilmHasShows)).kind,
            Kind::InUse
        );
    }

    #[test]
    fn only_answers_decided_on_the_stored_state_are_kept() {
        assert!(Problem::from(Refusal::TicketNotFound).replay().is_some());
        assert!(Problem::from(Refusal::NotEnoughSeats).replay().is_some());
        assert!(Problem::from(Refusal::TicketExpired).replay().is_some());
        assert!(Problem::from(Refusal::UnknownSeats(vec!["Z9".into()]))
            .replay()
            .is_none());
        assert!(Problem::from(usecases::Error::Busy).replay().is_none());
    }

    #[test]
    fn other_statuses_are_about_blank() {
        let problem = Problem::new(Kind::Other(431), "Headers too large.");
        assert_eq!(body(&problem)["type"], "about:blank");
        assert_eq!(body(&problem)["title"], "Request Header Fields Too Large");
    }
}
