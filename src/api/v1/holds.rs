//! `/v1/holds`: seats of a show kept for one customer while they type, until
//! `expiresAt`; released, or confirmed into a booking of exactly those seats.

use chrono_tz::Tz;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Kiosk;
use super::bookings::{answer as booking_answer, BookingAnswer};
use super::fields::{Body, Checked, Fields, Object};
use super::prices::{line_answers, read_tickets, seats_asked, tickets_schema, total, LineAnswer};
use super::schema;
use crate::api::channel::SalesChannel;
use crate::api::client::Client;
use crate::api::fields::{phone_schema, user_name_schema};
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, rfc3339, Read, Sent};
use crate::api::state::App;
use crate::domain::cinema::MAX_CAPACITY;
use crate::domain::currency::Currency;
use crate::domain::prices::Channel;
use crate::domain::{patterns, HoldId, Refusal, ShowId};
use crate::usecases::cinema::Booking;
use crate::usecases::holds::{Confirmation, HoldView, NewHold};

/// The longest hold a request may ask for, in seconds (a day); the service
/// caps it at `hold_max` anyway.
const MAX_HOLD_SECONDS: u32 = 24 * 3600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Hold")]
pub struct HoldAnswer {
    pub id: String,
    pub show_id: String,
    /// The seats by name; `[]` on a general-admission show.
    pub seats: Vec<String>,
    pub count: u32,
    /// RFC 3339 with the venue's offset; never later than the show's start.
    pub expires_at: String,
    /// Whole seconds left when this answer was made.
    pub seconds_left: u64,
    /// The hold ran out: its seats are free again and confirm is refused (410).
    pub expired: bool,
    /// One per seat or place, priced now: a confirmation keeps these prices.
    pub lines: Vec<LineAnswer>,
    /// The sum of its lines' prices, in minor units of `currency`.
    pub total: u64,
    /// ISO 4217.
    pub currency: String,
}

fn answer(hold: &HoldView, zone: Tz, currency: Currency) -> HoldAnswer {
    HoldAnswer {
        id: hold.id.to_string(),
        show_id: hold.show.to_string(),
        seats: hold.seats.clone(),
        count: hold.count,
        expires_at: rfc3339(hold.expires_at, zone),
        seconds_left: hold.seconds_left,
        expired: hold.expired,
        lines: line_answers(&hold.lines, "held"),
        total: total(&hold.lines),
        currency: currency.code().into(),
    }
}

fn hold_in_path(id: &str) -> Result<HoldId, Problem> {
    HoldId::parse(id).ok_or_else(|| Refusal::HoldNotFound.into())
}

/// A new hold: `{showId, seats}` or `{showId, count}`, and how long.
pub struct NewHoldRequest;

impl JsonSchema for NewHoldRequest {
    fn schema_name() -> String {
        "NewHold".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(
            vec![
                (
                    "showId",
                    schema::pattern(patterns::ULID, "The show, from GET or POST /v1/shows.").into(),
                ),
                (
                    "seats",
                    schema::array(
                        schema::pattern(patterns::SEAT_NAME, "Row label + seat number.").into(),
                        1,
                        true,
                        "These seats by name (a seat-map show only).",
                    ),
                ),
                (
                    "count",
                    schema::integer(
                        1,
                        MAX_CAPACITY,
                        "This many: the best block of adjacent free seats on a seat-map show, \
                         any places on a general-admission show.",
                    ),
                ),
                ("tickets", tickets_schema()),
                (
                    "holdForSeconds",
                    schema::integer(
                        1,
                        MAX_HOLD_SECONDS,
                        "How long to keep them; `hold_for` (10 min) when absent, at most \
                         `hold_max` (30 min), never past the show's start.",
                    ),
                ),
            ],
            &["showId"],
        );
        let object = schema::at_least_one_of(object, &["seats", "count", "tickets"]);
        schema::described(
            schema::none_of(object, &[&["seats", "count"]]),
            "`seats` by name or a `count` (not both; `tickets` alone may say either), the ticket \
             types, and how long.",
        )
    }
}

impl Fields for NewHoldRequest {
    type Output = NewHold;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewHold, Problem> {
        let show = body.required("showId", body.id("showId", ShowId::parse)?)?;
        let tickets = read_tickets(body)?;
        let seats = seats_asked(body, tickets.as_ref())?
            .ok_or_else(|| Problem::invalid("Send seats (names such as A7), count or tickets."))?;
        let hold_for_ms = body
            .integer("holdForSeconds", 1, MAX_HOLD_SECONDS)?
            .map(|seconds| i64::from(seconds) * 1_000);
        Ok(NewHold {
            show,
            seats,
            hold_for_ms,
            // The handler says who asks, and where it is sold.
            client: None,
            tickets: tickets.unwrap_or_default(),
            channel: Channel::Api,
        })
    }

    fn example() -> Value {
        json!({ "showId": "01JD0000000000000000000000", "seats": ["C2", "C3"] })
    }
}

/// More time for a hold: how long from now.
pub struct HoldExtensionRequest;

impl JsonSchema for HoldExtensionRequest {
    fn schema_name() -> String {
        "HoldExtension".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![(
                "holdForSeconds",
                schema::integer(
                    1,
                    MAX_HOLD_SECONDS,
                    "The hold expires this long from now, never later than `hold_max` \
                     (30 min) after it was made, nor the show's start.",
                ),
            )],
            &["holdForSeconds"],
        )
        .into()
    }
}

impl Fields for HoldExtensionRequest {
    type Output = i64;

    fn read(body: &Object<'_>, _app: &App) -> Result<i64, Problem> {
        let seconds = body.required(
            "holdForSeconds",
            body.integer("holdForSeconds", 1, MAX_HOLD_SECONDS)?,
        )?;
        Ok(i64::from(seconds) * 1_000)
    }

    fn example() -> Value {
        json!({ "holdForSeconds": 300 })
    }
}

/// Who a confirmed hold is booked for.
pub struct ConfirmRequest;

impl JsonSchema for ConfirmRequest {
    fn schema_name() -> String {
        "HoldConfirmation".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                ("userName", user_name_schema(gen)),
                ("phoneNumber", phone_schema(gen)),
                ("tickets", tickets_schema()),
            ],
            &["userName", "phoneNumber"],
        )
        .into()
    }
}

impl Fields for ConfirmRequest {
    type Output = Confirmation;

    fn read(body: &Object<'_>, _app: &App) -> Result<Confirmation, Problem> {
        Ok(Confirmation {
            user_name: body.user_name("userName")?,
            phone: body.phone("phoneNumber")?,
            tickets: read_tickets(body)?.unwrap_or_default(),
            channel: Channel::Api,
        })
    }

    fn example() -> Value {
        json!({ "userName": "Asha Rao", "phoneNumber": "+91 98765 43210" })
    }
}

/// Hold seats while the customer types.
///
/// By name or by count, like a booking; held seats read as `held` and are
/// not available to anyone else until `expiresAt`. Taken seats: 409
/// `seats-taken`; from the show's start 409 `show-started`. An anonymous
/// client may keep `holds_per_client` live holds and `hold_share` of a
/// show, and may not hold again for `hold_cooldown` what it released or
/// let expire: 429 `too-many-holds` with `Retry-After`.
#[openapi(tag = "Holds", operation_id = "createHold")]
#[post("/holds", data = "<body>")]
pub async fn create_hold(
    _allowed: Kiosk,
    app: &State<App>,
    client: Client,
    channel: SalesChannel,
    key: IdempotencyKey,
    body: Body<NewHoldRequest>,
) -> Result<Sent<HoldAnswer, 201>, Problem> {
    let Checked(hold, json) = body?;
    let hold = NewHold {
        client: client.0,
        channel: channel.0,
        ..hold
    };
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let write = created(move |hold: &HoldView| answer(hold, zone, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(app.bookings.create_hold(hold, once).await?))
}

/// A hold and the time it has left; an expired one reads `expired: true`
/// until the purge takes it (then 404).
#[openapi(tag = "Holds", operation_id = "getHold")]
#[get("/holds/<id>")]
pub async fn get_hold(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<HoldAnswer> {
    let id = hold_in_path(id)?;
    let hold = app.bookings.hold(id).await?.ok_or(Refusal::HoldNotFound)?;
    Ok(ok(&answer(&hold, app.config.timezone, app.config.currency)))
}

/// Release a hold: its seats are free at once (an expired hold: 204 too).
#[openapi(tag = "Holds", operation_id = "releaseHold")]
#[delete("/holds/<id>")]
pub async fn release_hold(
    _allowed: Kiosk,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = hold_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(app.bookings.release_hold(id, once).await?))
}

/// More time for a hold.
///
/// It now expires `holdForSeconds` from now, but never later than
/// `hold_max` after it was made, nor the show's start (a shorter time than
/// it had is taken as asked); the answer says when. After `expiresAt`: 410
/// `hold-expired`.
#[openapi(tag = "Holds", operation_id = "extendHold")]
#[patch("/holds/<id>", data = "<body>")]
pub async fn extend_hold(
    _allowed: Kiosk,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<HoldExtensionRequest>,
) -> Result<Sent<HoldAnswer, 200>, Problem> {
    let id = hold_in_path(id)?;
    let Checked(hold_for_ms, json) = body?;
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let write = changed(move |hold: &HoldView| answer(hold, zone, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(app.bookings.extend_hold(id, hold_for_ms, once).await?))
}

/// Turn a hold into a booking of exactly its seats.
///
/// In one transaction the hold goes and the seats are sold. After
/// `expiresAt`: 410 `hold-expired` (the seats may be someone else's).
#[openapi(tag = "Holds", operation_id = "confirmHold")]
#[post("/holds/<id>/confirm", data = "<body>")]
pub async fn confirm_hold(
    allowed: Kiosk,
    app: &State<App>,
    id: &str,
    channel: SalesChannel,
    key: IdempotencyKey,
    body: Body<ConfirmRequest>,
) -> Result<Sent<BookingAnswer, 201>, Problem> {
    let id = hold_in_path(id)?;
    let Checked(confirmation, json) = body?;
    let confirmation = Confirmation {
        channel: channel.0,
        ..confirmation
    };
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let write = created(move |booking: &Booking| booking_answer(booking, zone, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .confirm_hold(id, confirmation, allowed.actor(), once)
            .await?,
    ))
}
