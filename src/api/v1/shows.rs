//! `/v1/shows`: one film on one screen at one start, with its counts, its
//! seats and its bookings. Reading needs the clerk's token; adding and
//! deleting shows, the admin's.

use chrono_tz::Tz;
use rocket::{delete, get, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Clerk};
use super::bookings::{self, BookingAnswer};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{id_in_query, page, show_in_path, time_in_query, Query};
use super::problem::Problem;
use super::reply::{created, deleted, ok, rfc3339, List, Read, Sent};
use super::schema;
use crate::api::idempotency::IdempotencyKey;
use crate::api::seed::fields::example_show_time;
use crate::domain::{patterns, FilmId, Refusal, ScreenId, ShowId};
use crate::service::App;
use crate::usecases::cinema::{NewShow, SeatView, ShowFilter, ShowView};
use crate::usecases::Page;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Show")]
pub struct ShowAnswer {
    pub id: String,
    pub screen_id: String,
    /// `null` for an `/api` show (on the default screen, no film).
    pub film_id: Option<String>,
    /// RFC 3339 with the venue's offset, to the second.
    pub start: String,
    /// `start` + the film's runtime; `null` for an `/api` show.
    pub end: Option<String>,
    pub capacity: u32,
    pub sold: u32,
    /// Seats kept by live holds.
    pub held: u32,
    pub available: u32,
}

pub fn answer(view: &ShowView, zone: Tz) -> ShowAnswer {
    let show = &view.show;
    ShowAnswer {
        id: show.id.to_string(),
        screen_id: show.screen.to_string(),
        film_id: show.film.map(|film| film.to_string()),
        start: rfc3339(show.starts_at, zone),
        end: show.ends_at.map(|end| rfc3339(end, zone)),
        capacity: show.capacity,
        sold: show.sold,
        held: view.held,
        available: view.available,
    }
}

/// One seat of a show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ShowSeat")]
pub struct SeatStateAnswer {
    /// Row label + number, as bookings name it (`A7`).
    pub seat: String,
    pub row: String,
    pub number: String,
    #[schemars(schema_with = "kind_schema")]
    pub kind: String,
    #[schemars(schema_with = "state_schema")]
    pub state: String,
    /// A gap follows this seat.
    pub aisle_after: bool,
}

fn kind_schema(_: &mut SchemaGenerator) -> Schema {
    schema::one_of_strings(
        &["standard", "premium", "wheelchair", "companion"],
        "Wheelchair and companion seats are sold by name only.",
    )
}

fn state_schema(_: &mut SchemaGenerator) -> Schema {
    schema::one_of_strings(
        &["free", "held", "sold", "blocked"],
        "Whether it can be had.",
    )
}

fn seat_answer(seat: SeatView) -> SeatStateAnswer {
    SeatStateAnswer {
        seat: seat.seat,
        row: seat.row,
        number: seat.number,
        kind: seat.kind.as_str().into(),
        state: seat.state.as_str().into(),
        aisle_after: seat.aisle_after,
    }
}

/// A new show.
pub struct NewShowRequest;

impl JsonSchema for NewShowRequest {
    fn schema_name() -> String {
        "NewShow".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                (
                    "screenId",
                    schema::pattern(
                        patterns::ULID,
                        "The screen, from POST /v1/screens (not `default`: that one hosts /api shows only).",
                    )
                    .into(),
                ),
                (
                    "filmId",
                    schema::pattern(patterns::ULID, "The film, from POST /v1/films.").into(),
                ),
                (
                    "start",
                    schema::pattern(
                        patterns::SHOW_TIME,
                        "When it starts, after now: RFC 3339 with an offset \
                         (`2030-06-01T18:30:00+05:30`), or venue-local without one (`2030-06-01 18:30`).",
                    )
                    .into(),
                ),
            ],
            &["screenId", "filmId", "start"],
        )
        .into()
    }
}

impl Fields for NewShowRequest {
    type Output = NewShow;

    fn read(body: &Object<'_>, app: &App) -> Result<NewShow, Problem> {
        Ok(NewShow {
            screen: body.required("screenId", body.screen_id("screenId")?)?,
            film: body.required("filmId", body.id("filmId", FilmId::parse)?)?,
            starts_at: body.required("start", body.time("start", app.config.timezone)?)?,
        })
    }

    fn example() -> Value {
        json!({
            "screenId": "01JD0000000000000000000000",
            "filmId": "01JD0000000000000000000000",
            "start": example_show_time(),
        })
    }
}

/// List shows in start order, `from <= start < to`, on a screen, of a film.
///
/// Each with its counts: `capacity`, `sold`, `held`, `available`.
#[openapi(tag = "Shows", operation_id = "listShows")]
#[get("/shows?<from>&<to>&<screenId>&<filmId>&<limit>&<cursor>")]
#[allow(non_snake_case, clippy::too_many_arguments)]
pub async fn list_shows(
    _clerk: Clerk,
    app: &State<App>,
    from: Query<'_>,
    to: Query<'_>,
    screenId: Query<'_>,
    filmId: Query<'_>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<ShowAnswer>> {
    let zone = app.config.timezone;
    let request = page(&limit, &cursor)?;
    let from = time_in_query("from", &from, zone)?;
    let to = time_in_query("to", &to, zone)?;
    let screen = id_in_query("screenId", &screenId, ScreenId::parse)?;
    let film = id_in_query("filmId", &filmId, FilmId::parse)?;
    let shows = match (screen, film) {
        // A well-formed id that names no screen has no shows.
        (Some(None), _) | (_, Some(None)) => Page {
            items: Vec::new(),
            next: None,
        },
        (screen, film) => {
            let filter = ShowFilter {
                from,
                to,
                screen: screen.flatten(),
                film: film.flatten(),
            };
            app.bookings.shows(filter, request).await?
        }
    };
    Ok(ok(&List::new(shows, |view| answer(&view, zone))))
}

/// Add a show: a film on a screen at a start.
///
/// Replace `screenId` and `filmId` in the example with ids from POST
/// /v1/screens and POST /v1/films. Two shows on one screen may not overlap
/// (each keeps it for the film's runtime plus the turnaround): 409
/// `screen-busy`. The `default` screen, a start in the past: 422.
#[openapi(tag = "Shows", operation_id = "createShow")]
#[post("/shows", data = "<body>")]
pub async fn create_show(
    _admin: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewShowRequest>,
) -> Result<Sent<ShowAnswer, 201>, Problem> {
    let Checked(show, json) = body?;
    let zone = app.config.timezone;
    let write = created(move |view: &ShowView| answer(view, zone));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(app.bookings.create_show(show, once).await?))
}

#[openapi(tag = "Shows", operation_id = "getShow")]
#[get("/shows/<id>")]
pub async fn get_show(_clerk: Clerk, app: &State<App>, id: &str) -> Read<ShowAnswer> {
    let id = show_in_path(id)?;
    let view = app
        .bookings
        .show_view(id)
        .await?
        .ok_or(Refusal::ShowNotFound)?;
    Ok(ok(&answer(&view, app.config.timezone)))
}

/// Delete a show that has no bookings (else 409 `in-use`).
#[openapi(tag = "Shows", operation_id = "deleteShow")]
#[delete("/shows/<id>")]
pub async fn delete_show(
    _admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = show_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(app.bookings.delete_show(id, once).await?))
}

/// Every seat of a show, in row order, with its state.
///
/// The whole map in one answer; `[]` for a general-admission show.
#[openapi(tag = "Shows", operation_id = "showSeats")]
#[get("/shows/<id>/seats")]
pub async fn show_seats(_clerk: Clerk, app: &State<App>, id: &str) -> Read<Vec<SeatStateAnswer>> {
    let id: ShowId = show_in_path(id)?;
    let seats = app.bookings.seats(id).await?.ok_or(Refusal::ShowNotFound)?;
    Ok(ok(&seats.into_iter().map(seat_answer).collect()))
}

/// A show's bookings, in booking order.
#[openapi(tag = "Shows", operation_id = "showBookings")]
#[get("/shows/<id>/bookings?<limit>&<cursor>")]
pub async fn show_bookings(
    _clerk: Clerk,
    app: &State<App>,
    id: &str,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<BookingAnswer>> {
    let id = show_in_path(id)?;
    let request = page(&limit, &cursor)?;
    let found = app
        .bookings
        .show_bookings(id, request)
        .await?
        .ok_or(Refusal::ShowNotFound)?;
    let zone = app.config.timezone;
    Ok(ok(&List::new(found, |booking| {
        bookings::answer(&booking, zone)
    })))
}
