//! `/v1`'s part of the `OpenAPI` document: each operation lists exactly the
//! statuses it can give, each error status the problem types it stands for,
//! query and path parameters the patterns their values must match, and the
//! least role each needs.

use rocket_okapi::okapi::openapi3::{
    Header, OpenApi, Operation, Parameter, ParameterValue, RefOr, SecurityRequirement,
};
use rocket_okapi::okapi::schemars::schema::Schema;
use serde_json::{json, Value};

use super::params::{DEFAULT_LIMIT, MAX_LIMIT};
use super::schema;
use crate::api::auth::SECURITY_SCHEME;
use crate::api::problem::Kind;
use crate::domain::patterns;
use crate::domain::staff::Role;

/// The bearer scheme `/v1` takes beside `X-Auth-Token`.
pub const BEARER_SCHEME: &str = "BearerAuth";

/// What an operation needs and what it can refuse, besides what its shape
/// implies (a body: 400, 413, 422; a write: the key's 422s and 503 busy;
/// a list: 400 for its query; any: 503 storage-unavailable; 401/403 by role).
struct Op {
    id: &'static str,
    /// The least role it needs; `None`: none (signing in).
    role: Option<Role>,
    body: bool,
    write: bool,
    query: bool,
    refusals: &'static [Kind],
}

const fn op(id: &'static str, role: Role, refusals: &'static [Kind]) -> Op {
    Op {
        id,
        role: Some(role),
        body: false,
        write: false,
        query: false,
        refusals,
    }
}

impl Op {
    const fn with_body(mut self) -> Self {
        self.body = true;
        self
    }

    const fn writes(mut self) -> Self {
        self.write = true;
        self
    }

    const fn with_query(mut self) -> Self {
        self.query = true;
        self
    }
}

use Kind::{
    Expired, HoldExpired, InUse, NotEnoughSeats, NotFound, ScreenBusy, SeatsTaken, ShowStarted,
    TooManyHolds,
};
use Role::{Admin, Cashier, Kiosk, Manager};

const SALE: &[Kind] = &[
    NotFound,
    SeatsTaken,
    NotEnoughSeats,
    ShowStarted,
    Expired,
    Kind::NoPriceCard,
    Kind::NotOnChannel,
    Kind::NotPriced,
    Kind::UnknownTicketType,
];
const HOLD: &[Kind] = &[
    NotFound,
    SeatsTaken,
    NotEnoughSeats,
    ShowStarted,
    Expired,
    TooManyHolds,
    Kind::NoPriceCard,
    Kind::NotOnChannel,
    Kind::NotPriced,
    Kind::UnknownTicketType,
];
const CONFIRM: &[Kind] = &[
    NotFound,
    HoldExpired,
    Kind::NoPriceCard,
    Kind::NotOnChannel,
    Kind::NotPriced,
    Kind::UnknownTicketType,
];

const OPERATIONS: &[Op] = &[
    op("listScreens", Kiosk, &[]).with_query(),
    op("createScreen", Admin, &[Kind::TooManyScreens])
        .with_body()
        .writes(),
    op("getScreen", Kiosk, &[NotFound]),
    op("updateScreen", Admin, &[NotFound, InUse])
        .with_body()
        .writes(),
    op("deleteScreen", Admin, &[NotFound, InUse]).writes(),
    op("listFilms", Kiosk, &[]).with_query(),
    op("createFilm", Admin, &[]).with_body().writes(),
    op("getFilm", Kiosk, &[NotFound]),
    op("updateFilm", Admin, &[NotFound, ScreenBusy])
        .with_body()
        .writes(),
    op("deleteFilm", Admin, &[NotFound, InUse]).writes(),
    op("listShows", Kiosk, &[]).with_query(),
    op("createShow", Admin, &[NotFound, ScreenBusy])
        .with_body()
        .writes(),
    op("getShow", Kiosk, &[NotFound]),
    op("updateShow", Admin, &[NotFound]).with_body().writes(),
    op("deleteShow", Admin, &[NotFound, InUse]).writes(),
    op("showSeats", Kiosk, &[NotFound]),
    op("showBookings", Cashier, &[NotFound]).with_query(),
    op("createBooking", Kiosk, SALE).with_body().writes(),
    op("getBooking", Kiosk, &[NotFound]),
    op("bookingQr", Kiosk, &[NotFound]),
    op("moveBooking", Cashier, SALE).with_body().writes(),
    op("cancelBooking", Cashier, &[NotFound]).writes(),
    op("searchBookings", Cashier, &[]).with_body(),
    op("findBookings", Cashier, &[]).with_query(),
    op("createHold", Kiosk, HOLD).with_body().writes(),
    op("getHold", Kiosk, &[NotFound]),
    op("releaseHold", Kiosk, &[NotFound]).writes(),
    op("extendHold", Kiosk, &[NotFound, HoldExpired])
        .with_body()
        .writes(),
    op("confirmHold", Kiosk, CONFIRM).with_body().writes(),
    op("listTicketTypes", Kiosk, &[]).with_query(),
    op("createTicketType", Admin, &[Kind::TooManyPriceRecords])
        .with_body()
        .writes(),
    op("getTicketType", Kiosk, &[NotFound]),
    op("updateTicketType", Admin, &[NotFound])
        .with_body()
        .writes(),
    op("deleteTicketType", Admin, &[NotFound, InUse]).writes(),
    op("listPriceCards", Kiosk, &[]).with_query(),
    op(
        "createPriceCard",
        Admin,
        &[Kind::UnknownTicketType, Kind::TooManyPriceRecords],
    )
    .with_body()
    .writes(),
    op("getPriceCard", Kiosk, &[NotFound]),
    op(
        "updatePriceCard",
        Admin,
        &[NotFound, Kind::UnknownTicketType],
    )
    .with_body()
    .writes(),
    op("deletePriceCard", Admin, &[NotFound]).writes(),
    op("showPrices", Kiosk, &[NotFound]),
    Op {
        role: None,
        ..op(
            "signIn",
            Kiosk,
            &[Kind::Unauthorized, Kind::TooManyAttempts],
        )
        .with_body()
        .writes()
    },
    op("currentSession", Kiosk, &[]),
    op("signOut", Kiosk, &[NotFound]).writes(),
    op("listStaff", Admin, &[]).with_query(),
    op("createStaff", Admin, &[InUse]).with_body().writes(),
    op("getStaff", Admin, &[NotFound]),
    op("updateStaff", Admin, &[NotFound]).with_body().writes(),
    op("listKeys", Admin, &[]).with_query(),
    op("createKey", Admin, &[]).with_body().writes(),
    op("revokeKey", Admin, &[NotFound]).writes(),
    op("listAudit", Manager, &[]).with_query(),
];

impl Op {
    /// Every problem type it can answer with.
    fn kinds(&self) -> Vec<Kind> {
        let mut kinds = Vec::new();
        if self.query || self.body {
            kinds.push(Kind::BadRequest);
        }
        // Any token, key or account closes the service; the last two come
        // and go while it runs, so every route that needs a role says so.
        if let Some(role) = self.role {
            kinds.push(Kind::Unauthorized);
            // A cookie write without its CSRF token is refused by any role.
            if role > Role::Kiosk || self.write {
                kinds.push(Kind::Forbidden);
            }
        }
        kinds.extend_from_slice(self.refusals);
        kinds.push(Kind::Misdirected);
        if self.body {
            kinds.extend([Kind::TooLarge, Kind::UnsupportedMediaType, Kind::Invalid]);
        }
        if self.write {
            kinds.extend([
                Kind::Invalid,
                Kind::IdempotencyMismatch,
                Kind::TooManyKeys,
                Kind::Busy,
            ]);
        }
        kinds.push(Kind::StorageUnavailable);
        let mut unique = Vec::with_capacity(kinds.len());
        for kind in kinds {
            if !unique.contains(&kind) {
                unique.push(kind);
            }
        }
        unique
    }
}

/// How the document describes a status that stands for `kinds`.
fn describe(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|kind| format!("`{}`: {}.", kind.type_uri(), meaning(*kind)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// When a problem of this type is answered.
fn meaning(kind: Kind) -> &'static str {
    match kind {
    Kind::BadRequest => "the body is not a JSON object, or a query parameter is malformed",
    Kind::NotFound => "no such screen, film, show, booking, hold, ticket type or price card (a malformed id in the path included)",
    Kind::Unauthorized => "no credential, or one the service does not know (wrong, expired, revoked); at sign-in: a wrong login or password",
    Kind::Forbidden => "the credential is valid but its role may not do this (see the roles in the API guide), or a write signed by the session cookie lacks its `X-CSRF-Token`",
    Kind::TooManyAttempts => "too many wrong passwords for this login lately: try again after `Retry-After` seconds (the answer is the same whether or not the login exists)",
    Kind::MethodNotAllowed => "the path does not serve this method (`Allow` lists those it does)",
    Kind::SeatsTaken => "a named seat is sold or blocked; `seats` lists them",
    Kind::NotEnoughSeats => "fewer seats are left than asked for, or no block of that many side by side",
    Kind::ShowStarted => "the show has started: bookings stop at its start",
    Kind::ScreenBusy => "another show has the screen then (runtime plus turnaround)",
    Kind::InUse => "the record is still in use (a screen or film with shows, a show with bookings, a ticket type a price card prices), or it is the default screen",
    Kind::IdempotencyMismatch => "this `Idempotency-Key` was used for a different request",
    Kind::Expired => "the show's tickets have expired",
    Kind::HoldExpired => "the hold ran out at its `expiresAt`; its seats may already be someone else's",
    Kind::TooLarge => "the body is larger than the configured limit",
    Kind::UnsupportedMediaType => "the body is not sent as JSON: `Content-Type` must be `application/json` (or `application/*+json`)",
    Kind::Misdirected => "the `Host` header names a host this service does not answer to (only IP addresses, `localhost` and `allowed_hosts`)",
    Kind::Invalid => "a field is missing, mistyped or out of range, a rule refused the request as sent (the detail says which), or the `Idempotency-Key` is malformed",
    Kind::TooManyHolds => "this client (anonymous or `kiosk`) keeps as many live holds as it may (`holds_per_client`), holds its share of the show (`hold_share`), or asked for seats it released or let expire within `hold_cooldown`; nothing was changed (`Retry-After`)",
    Kind::TooManyKeys => "this client (anonymous or `kiosk`) keeps as many `Idempotency-Key` answers as it may (`idempotency_per_client`); the request was not run and nothing was changed (`Retry-After`)",
    Kind::TooManyScreens => "the venue has as many screens as it may (`max_screens`); delete one first",
    Kind::TooManyPriceRecords => "the venue has as many ticket types (100), or price cards (200), as it may; delete one first",
    Kind::NoPriceCard => "no price card's rules take the show and no card is marked `default`: nothing can be sold until one is",
    Kind::UnknownTicketType => "a `tickets` entry names a ticket type id that does not exist",
    Kind::NotOnChannel => "the ticket type (or, with none named, every type of the show's card) is not sold on the caller's channel (`counter`, `kiosk` or `api`)",
    Kind::NotPriced => "the show's price card has no price for that ticket type on that seat's kind",
    Kind::Busy => "too many writes are waiting; nothing was changed (`Retry-After`)",
    Kind::StorageUnavailable => "storage cannot take a write now: it was not acknowledged and may or may not have been stored; retry with the same `Idempotency-Key` (`Retry-After`)",
    Kind::Other(_) => "see `title`",
    }
}

/// Each operation's statuses, problem types, parameters and security.
pub fn finish(mut spec: OpenApi) -> OpenApi {
    for (path, item) in &mut spec.paths {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let id = operation.operation_id.clone().unwrap_or_default();
            let Some(op) = OPERATIONS.iter().find(|op| op.id == id) else {
                continue;
            };
            describe_responses(operation, op);
            operation.security = op.role.is_some().then(|| {
                [SECURITY_SCHEME, BEARER_SCHEME]
                    .into_iter()
                    .map(|scheme| {
                        let mut requirement = SecurityRequirement::new();
                        requirement.insert(scheme.into(), Vec::new());
                        requirement
                    })
                    .collect()
            });
            for parameter in &mut operation.parameters {
                if let RefOr::Object(parameter) = parameter {
                    describe_parameter(parameter, path);
                }
            }
        }
    }
    spec
}

fn describe_responses(operation: &mut Operation, op: &Op) {
    let kinds = op.kinds();
    let responses = &mut operation.responses.responses;
    responses.retain(|code, _| {
        code.starts_with('2')
            || code
                .parse::<u16>()
                .is_ok_and(|code| kinds.iter().any(|kind| kind.status() == code))
    });
    for (code, response) in responses.iter_mut() {
        let RefOr::Object(response) = response else {
            continue;
        };
        if code.starts_with('2') {
            if op.write {
                response.headers.insert(
                    crate::api::idempotency::REPLAYED_HEADER.into(),
                    header(
                        "`true` when this is the stored answer to a repeated Idempotency-Key.",
                        "^true$",
                    ),
                );
            }
            continue;
        }
        let of_status: Vec<Kind> = kinds
            .iter()
            .copied()
            .filter(|kind| kind.status().to_string() == *code)
            .collect();
        response.description = describe(&of_status);
        match code.as_str() {
            "503" | "429" => {
                response.headers.insert(
                    "Retry-After".into(),
                    header("Seconds to wait before a retry.", "^[0-9]+$"),
                );
            }
            "401" => {
                response.headers.insert(
                    "WWW-Authenticate".into(),
                    header("`Bearer`: how to send the token.", "^Bearer"),
                );
            }
            _ => {}
        }
    }
}

/// A response header whose value matches `pattern`.
fn header(description: &str, pattern: &str) -> RefOr<Header> {
    RefOr::Object(Header {
        description: Some(description.into()),
        required: false,
        deprecated: false,
        allow_empty_value: false,
        value: ParameterValue::Schema {
            style: None,
            explode: None,
            allow_reserved: false,
            schema: schema::pattern(pattern, description),
            example: None,
            examples: None,
        },
        extensions: rocket_okapi::okapi::Map::default(),
    })
}

/// A parameter's description, schema and example, by its name (and, for
/// `id`, by the path: screen ids may be `default`).
fn describe_parameter(parameter: &mut Parameter, path: &str) {
    let (description, schema, example): (&str, Schema, Value) = match parameter.name.as_str() {
        "limit" => {
            let mut limit = schema::integer(
                1,
                u32::try_from(MAX_LIMIT).unwrap_or(u32::MAX),
                "Most items on a page.",
            )
            .into_object();
            limit.metadata().default = Some(json!(DEFAULT_LIMIT));
            (
                "Most items on a page: 1 to 500, default 50.",
                limit.into(),
                json!(DEFAULT_LIMIT),
            )
        }
        "cursor" => (
            "Where the page starts: `nextCursor` of the page before, as is.",
            string(patterns::CURSOR, "nextCursor of the page before."),
            Value::Null,
        ),
        "from" | "to" => (
            if parameter.name == "from" {
                "Shows that start at or after this time (RFC 3339, or venue-local without an offset)."
            } else {
                "Shows that start before this time (RFC 3339, or venue-local without an offset)."
            },
            string(patterns::SHOW_TIME, "A time."),
            Value::Null,
        ),
        "screenId" => (
            "Shows on this screen.",
            string(patterns::SCREEN_ID, "A screen id."),
            Value::Null,
        ),
        "filmId" => (
            "Shows of this film.",
            string(patterns::ULID, "A film id."),
            Value::Null,
        ),
        "reference" => (
            "The booking's short reference (required).",
            string(
                patterns::REFERENCE,
                "6 characters of 0-9 and A-Z without 0 1 I L O U.",
            ),
            json!("7KQ4MZ"),
        ),
        "actor" | "action" => (
            if parameter.name == "actor" {
                "Entries by this actor: a login, a key's name, a token's name or `anonymous`."
            } else {
                "Entries of this action, as the entries name it."
            },
            {
                let mut text = schema::text(100, "1 to 100 characters.").into_object();
                text.string().pattern = None;
                text.string().max_length = Some(100);
                text.into()
            },
            Value::Null,
        ),
        "id" if path.starts_with("/screens/") => (
            "The screen: `default` or the id POST /v1/screens gave.",
            string(patterns::SCREEN_ID, "A screen id."),
            json!("default"),
        ),
        "id" => (
            "The id the POST that created it gave (a ULID); any other is not found.",
            string(patterns::ULID, "A ULID."),
            json!("01JD0000000000000000000000"),
        ),
        _ => return,
    };
    parameter.description = Some(description.into());
    if parameter.location == "query" {
        // Only a reference look-up cannot do without its parameter.
        parameter.required = parameter.name == "reference";
    }
    if let ParameterValue::Schema {
        schema: value,
        example: example_value,
        ..
    } = &mut parameter.value
    {
        // Not `nullable`: an absent parameter is absent, not `null`.
        *value = schema.into_object();
        *example_value = (!example.is_null()).then_some(example);
    }
}

fn string(pattern: &str, description: &str) -> Schema {
    schema::pattern(pattern, description).into()
}
