//! `/v1/bookings`: seats of one show, by name or by count, for one person;
//! moved (keeping the id) and cancelled; found by phone number.

use chrono_tz::Tz;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Cashier, Kiosk};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{booking_in_path, reference_in_query, Query};
use super::prices::{line_answers, read_tickets, seats_asked, tickets_schema, total, LineAnswer};
use super::schema;
use crate::api::channel::SalesChannel;
use crate::api::fields::{phone_schema, phone_to_json, user_name_schema};
use crate::api::idempotency::{IdempotencyKey, MalformedKey};
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, rfc3339, List, Read, Sent};
use crate::api::state::App;
use crate::domain::cinema::MAX_CAPACITY;
use crate::domain::currency::Currency;
use crate::domain::prices::Channel;
use crate::domain::{patterns, Phone, Refusal, ShowId};
use crate::usecases::cinema::{Booking, BookingMove, NewSeatBooking, SeatRequest};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Booking")]
pub struct BookingAnswer {
    pub id: String,
    pub show_id: String,
    /// The seats by name, in booking order; `[]` on a general-admission show.
    pub seats: Vec<String>,
    pub count: u32,
    /// `null` for a walk-up sold without a name.
    pub user_name: Option<String>,
    /// `null` for a walk-up sold without a number.
    #[schemars(schema_with = "optional_phone_schema")]
    pub phone_number: Value,
    /// RFC 3339 with the venue's offset, to the second.
    pub created_at: String,
    /// The short reference a person reads out: 6 characters of `0-9A-Z`
    /// without `0 1 I L O U`, unique among live bookings.
    pub reference: String,
    /// One per seat or place, priced when it was held or booked.
    pub lines: Vec<LineAnswer>,
    /// The sum of its lines' prices, in minor units of `currency`.
    pub total: u64,
    /// ISO 4217.
    pub currency: String,
}

pub fn answer(booking: &Booking, zone: Tz, currency: Currency) -> BookingAnswer {
    BookingAnswer {
        id: booking.id.to_string(),
        show_id: booking.show.to_string(),
        seats: booking.seats.clone(),
        count: booking.count,
        user_name: Some(booking.user_name.clone()).filter(|name| !name.is_empty()),
        phone_number: match &booking.phone {
            Phone::Absent => Value::Null,
            phone => phone_to_json(phone),
        },
        created_at: rfc3339(booking.created_at, zone),
        reference: booking.reference.to_string(),
        lines: line_answers(&booking.lines, "sold"),
        total: total(&booking.lines),
        currency: currency.code().into(),
    }
}

fn optional_phone_schema(gen: &mut SchemaGenerator) -> Schema {
    schema::nullable(phone_schema(gen))
}

fn show_id_schema() -> Schema {
    schema::pattern(patterns::ULID, "The show, from GET or POST /v1/shows.").into()
}

fn seats_schema() -> Schema {
    schema::array(
        schema::pattern(patterns::SEAT_NAME, "Row label + seat number.").into(),
        1,
        true,
        "These seats by name (a seat-map show only); wheelchair and companion seats are sold \
         this way only.",
    )
}

fn count_schema() -> Schema {
    schema::integer(
        1,
        MAX_CAPACITY,
        "This many seats: on a seat-map show the best block of adjacent free seats in one row, \
         on a general-admission show any.",
    )
}

/// `seats` or `count`, whichever the body has; `None` when neither.
fn seat_request(body: &Object<'_>) -> Result<Option<SeatRequest>, Problem> {
    match (body.has("seats"), body.has("count")) {
        (true, true) => Err(Problem::invalid(
            "Send seats (names such as A7) or count, not both.",
        )),
        (true, false) => Ok(body.seat_names("seats")?.map(SeatRequest::Named)),
        (false, true) => Ok(body
            .integer("count", 1, MAX_CAPACITY)?
            .map(SeatRequest::Count)),
        (false, false) => Ok(None),
    }
}

/// A new booking: `{showId, seats}` or `{showId, count}`, with who books.
pub struct NewBookingRequest;

impl JsonSchema for NewBookingRequest {
    fn schema_name() -> String {
        "NewBooking".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(
            vec![
                ("showId", show_id_schema()),
                ("seats", seats_schema()),
                ("count", count_schema()),
                ("userName", user_name_schema(gen)),
                ("phoneNumber", phone_schema(gen)),
                ("tickets", tickets_schema()),
            ],
            &["showId"],
        );
        let object = schema::at_least_one_of(object, &["seats", "count", "tickets"]);
        schema::described(
            schema::none_of(object, &[&["seats", "count"]]),
            "`seats` by name or a `count` (not both; `tickets` alone may say either), the ticket \
             types, and who books: `userName` and `phoneNumber` may be left out (or `null`) for \
             a walk-up sold at the counter.",
        )
    }
}

impl Fields for NewBookingRequest {
    type Output = NewSeatBooking;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewSeatBooking, Problem> {
        let show = body.required("showId", body.id("showId", ShowId::parse)?)?;
        let tickets = read_tickets(body)?;
        let seats = seats_asked(body, tickets.as_ref())?
            .ok_or_else(|| Problem::invalid("Send seats (names such as A7), count or tickets."))?;
        Ok(NewSeatBooking {
            show,
            seats,
            user_name: body.optional_user_name("userName")?,
            phone: body.optional_phone("phoneNumber")?,
            tickets: tickets.unwrap_or_default(),
            // The handler says where it is sold.
            channel: Channel::Api,
        })
    }

    fn example() -> Value {
        json!({
            "showId": "01JD0000000000000000000000",
            "seats": ["C2", "C3"],
            "userName": "Asha Rao",
            "phoneNumber": "+91 98765 43210",
        })
    }
}

/// A move of a booking: another show, other seats, or both.
pub struct BookingPatchRequest;

impl JsonSchema for BookingPatchRequest {
    fn schema_name() -> String {
        "BookingMove".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(
            vec![
                ("showId", show_id_schema()),
                ("seats", seats_schema()),
                ("count", count_schema()),
            ],
            &[],
        );
        let object = schema::at_least_one_of(object, &["showId", "seats", "count"]);
        schema::described(
            schema::none_of(
                object,
                &[&["seats", "count"], &["userName"], &["phoneNumber"]],
            ),
            "Where it goes: `showId` (alone: the same count there), and `seats` or `count`. \
             Its `userName` and `phoneNumber` cannot be changed.",
        )
    }
}

impl Fields for BookingPatchRequest {
    type Output = BookingMove;

    fn read(body: &Object<'_>, _app: &App) -> Result<BookingMove, Problem> {
        for fixed in ["userName", "phoneNumber"] {
            if body.has(fixed) {
                return Err(body.invalid(
                    fixed,
                    "cannot be changed: cancel the booking and book again",
                ));
            }
        }
        let to = BookingMove {
            show: body.id("showId", ShowId::parse)?,
            seats: seat_request(body)?,
        };
        if to == BookingMove::default() {
            return Err(Problem::invalid(
                "Nothing to change: send showId, seats or count.",
            ));
        }
        Ok(to)
    }

    fn example() -> Value {
        json!({ "seats": ["C3", "C4"] })
    }
}

/// Who to look for: a phone number travels in a body, never in a URL.
pub struct SearchRequest;

impl JsonSchema for SearchRequest {
    fn schema_name() -> String {
        "BookingSearch".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        schema::object(vec![("phoneNumber", phone_schema(gen))], &["phoneNumber"]).into()
    }
}

impl Fields for SearchRequest {
    type Output = Phone;

    fn read(body: &Object<'_>, _app: &App) -> Result<Phone, Problem> {
        body.phone("phoneNumber")
    }

    fn example() -> Value {
        json!({ "phoneNumber": "+91 98765 43210" })
    }
}

/// Book seats of a show.
///
/// By name (`seats`, a seat-map show) or by `count` (the best block of
/// adjacent free seats in one row, never wheelchair or companion seats; any
/// seats on a general-admission show). Replace `showId` in the example with
/// a show's id. Taken seats: 409 `seats-taken` with `seats`; too few left
/// together: 409 `not-enough-seats`; from the show's start 409
/// `show-started`, after its expiry 410 `expired`.
#[openapi(tag = "Bookings", operation_id = "createBooking")]
#[post("/bookings", data = "<body>")]
pub async fn create_booking(
    allowed: Kiosk,
    app: &State<App>,
    channel: SalesChannel,
    key: IdempotencyKey,
    body: Body<NewBookingRequest>,
) -> Result<Sent<BookingAnswer, 201>, Problem> {
    let Checked(booking, json) = body?;
    let booking = NewSeatBooking {
        channel: channel.0,
        ..booking
    };
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let write = created(move |booking: &Booking| answer(booking, zone, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_booking(booking, allowed.actor(), once)
            .await?,
    ))
}

#[openapi(tag = "Bookings", operation_id = "getBooking")]
#[get("/bookings/<id>")]
pub async fn get_booking(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<BookingAnswer> {
    let id = booking_in_path(id)?;
    let booking = app
        .bookings
        .booking(id)
        .await?
        .ok_or(Refusal::TicketNotFound)?;
    Ok(ok(&answer(
        &booking,
        app.config.timezone,
        app.config.currency,
    )))
}

/// Move a booking: to another show, to other seats, or both, in one step.
///
/// It keeps its id; its old seats are freed. `showId` alone keeps its
/// count (re-chosen as the best block on a seat-map show). On any refusal
/// nothing changes.
#[openapi(tag = "Bookings", operation_id = "moveBooking")]
#[patch("/bookings/<id>", data = "<body>")]
pub async fn move_booking(
    allowed: Cashier,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<BookingPatchRequest>,
) -> Result<Sent<BookingAnswer, 200>, Problem> {
    let id = booking_in_path(id)?;
    let Checked(to, json) = body?;
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let write = changed(move |booking: &Booking| answer(booking, zone, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .move_booking(id, to, allowed.actor(), once)
            .await?,
    ))
}

/// Cancel a booking; its seats are free at once.
#[openapi(tag = "Bookings", operation_id = "cancelBooking")]
#[delete("/bookings/<id>")]
pub async fn cancel_booking(
    allowed: Cashier,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = booking_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(
        app.bookings
            .cancel_booking(id, allowed.actor(), once)
            .await?,
    ))
}

/// Find the bookings with a phone number: the last 9 digits compared (all of
/// them when fewer), so a number is found with or without its country code.
///
/// Either token may search once one is set. A search changes nothing, so an
/// `Idempotency-Key` is only checked for its form.
#[openapi(tag = "Bookings", operation_id = "searchBookings")]
#[post("/bookings/search", data = "<body>")]
pub async fn search_bookings(
    _allowed: Cashier,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<SearchRequest>,
) -> Read<List<BookingAnswer>> {
    let Checked(phone, _) = body?;
    if key.is_malformed() {
        return Err(Problem::invalid(MalformedKey::MESSAGE));
    }
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let found = app.bookings.search_bookings(phone).await?;
    Ok(ok(&List {
        items: found
            .iter()
            .map(|booking| answer(booking, zone, currency))
            .collect(),
        next_cursor: None,
    }))
}

/// Find a booking by its short reference (any case; spaces and `-` ignored).
///
/// Either token may look one up once one is set, as a phone search does. The
/// answer is a list: the one live booking with that reference, or none.
#[openapi(tag = "Bookings", operation_id = "findBookings")]
#[get("/bookings?<reference>")]
pub async fn find_bookings(
    _allowed: Cashier,
    app: &State<App>,
    reference: Query<'_>,
) -> Read<List<BookingAnswer>> {
    let reference = reference_in_query(&reference)?;
    let (zone, currency) = (app.config.timezone, app.config.currency);
    let found = app.bookings.booking_with_reference(reference).await?;
    Ok(ok(&List {
        items: found
            .iter()
            .map(|booking| answer(booking, zone, currency))
            .collect(),
        next_cursor: None,
    }))
}
