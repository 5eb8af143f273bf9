//! `/v1/shows`: one film on one screen at one start, with its counts, its
//! seats and its bookings. Reading needs the clerk's token; adding and
//! deleting shows, the admin's.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use chrono_tz::Tz;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Cashier, Kiosk};
use super::bookings::{self, BookingAnswer};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{id_in_query, page, show_in_path, time_in_query, Query};
use super::schema;
use crate::api::fields::example_show_time;
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, rfc3339, List, Read, Reply, Sent};
use crate::api::state::App;
use crate::domain::cinema::Screen;
use crate::domain::{patterns, FilmId, PriceCardId, Refusal, ScreenId, ShowId};
use crate::usecases::cinema::{NewShow, ShowFilter, ShowSeats, ShowView};
use crate::usecases::{Cursor, Page};

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
    /// The price card the show names; `null`: the card whose rules match it
    /// at the highest priority, else the default (GET /v1/shows/{id}/prices says which).
    pub price_card_id: Option<String>,
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
        price_card_id: show.price_card.map(|card| card.to_string()),
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

/// A show's seats as the JSON of `Vec<SeatStateAnswer>`, written straight
/// from the seat map: a 168-seat map is 15 KiB, and going through serde's
/// string escaping for each of its 1,000 strings cost more than the read.
/// Only the states change from show to show, so what comes before each
/// state is written once per screen (see [`SeatHeads`]).
fn seats_json(seats: &ShowSeats) -> Vec<u8> {
    // General admission: nothing to write, nothing to keep.
    if seats.states.is_empty() {
        return b"[]".to_vec();
    }
    let heads = SeatHeads::of(&seats.screen);
    let mut out = Vec::with_capacity(heads.text.len() + 24 * seats.states.len() + 2);
    out.push(b'[');
    let mut from = 0;
    for (n, (&(to, aisle_after), state)) in heads.seats.iter().zip(&seats.states).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&heads.text[from..to]);
        from = to;
        out.extend_from_slice(state.as_str().as_bytes());
        out.extend_from_slice(if aisle_after {
            b"\",\"aisleAfter\":true}"
        } else {
            b"\",\"aisleAfter\":false}"
        });
    }
    out.push(b']');
    out
}

/// The JSON of each seat of a screen up to its state
/// (`{"seat":"A1",…,"state":"`), one after another, with where each ends
/// and whether an aisle follows it. Labels and numbers are letters and
/// digits (checked when the map was stored), so they need no escaping; one
/// that would is escaped all the same.
struct SeatHeads {
    text: Vec<u8>,
    seats: Vec<(usize, bool)>,
}

/// The heads last written for each screen, kept while the store shares
/// that screen (the same `Arc`): a screen changed is a new one.
static SEAT_HEADS: Mutex<Vec<(Weak<Screen>, Arc<SeatHeads>)>> = Mutex::new(Vec::new());

impl SeatHeads {
    fn of(screen: &Arc<Screen>) -> Arc<SeatHeads> {
        let mut known = SEAT_HEADS.lock().unwrap_or_else(PoisonError::into_inner);
        let weak = Arc::downgrade(screen);
        if let Some((_, heads)) = known.iter().find(|(seen, _)| seen.ptr_eq(&weak)) {
            return Arc::clone(heads);
        }
        let heads = Arc::new(Self::write(screen));
        // Screens gone (changed or dropped) make room; a backend that reads
        // each screen afresh keeps only the last few.
        known.retain(|(seen, _)| seen.strong_count() > 0);
        if known.len() >= MAX_SCREENS_KEPT {
            known.remove(0);
        }
        known.push((weak, Arc::clone(&heads)));
        heads
    }

    fn write(screen: &Screen) -> Self {
        fn text(out: &mut Vec<u8>, parts: &[&str]) {
            if parts
                .iter()
                .all(|part| part.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                out.push(b'"');
                for part in parts {
                    out.extend_from_slice(part.as_bytes());
                }
                out.push(b'"');
            } else {
                // Writing a String into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &parts.concat());
            }
        }
        let mut heads = Self {
            text: Vec::new(),
            seats: Vec::new(),
        };
        let Some(map) = screen.layout.seat_map() else {
            return heads;
        };
        let out = &mut heads.text;
        for (_, row, seat) in map.iter() {
            out.extend_from_slice(b"{\"seat\":");
            text(out, &[&row.label, &seat.number]);
            out.extend_from_slice(b",\"row\":");
            text(out, &[&row.label]);
            out.extend_from_slice(b",\"number\":");
            text(out, &[&seat.number]);
            out.extend_from_slice(b",\"kind\":\"");
            out.extend_from_slice(seat.kind.as_str().as_bytes());
            out.extend_from_slice(b"\",\"state\":\"");
            heads.seats.push((out.len(), seat.aisle_after));
        }
        heads
    }
}

/// Screens whose seat heads are kept at once (a cinema has a handful).
const MAX_SCREENS_KEPT: usize = 64;

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
                ("priceCardId", price_card_schema()),
            ],
            &["screenId", "filmId", "start"],
        )
        .into()
    }
}

fn price_card_schema() -> Schema {
    schema::nullable(
        schema::pattern(
            patterns::ULID,
            "The price card it is priced by; absent or `null`: the card whose rules match it at \
             the highest priority, else the default card.",
        )
        .into(),
    )
}

/// The price card a show names (absent or `null`: none).
fn price_card(body: &Object<'_>) -> Result<Option<PriceCardId>, Problem> {
    match body.get("priceCardId") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => body.id("priceCardId", PriceCardId::parse),
    }
}

/// A change of a show: only the price card it names.
pub struct ShowPatchRequest;

impl JsonSchema for ShowPatchRequest {
    fn schema_name() -> String {
        "ShowPatch".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::described(
            schema::object(vec![("priceCardId", price_card_schema())], &["priceCardId"]),
            "The price card the show names (`null`: by the rules again). Seats already held or \
             sold keep their prices.",
        )
    }
}

impl Fields for ShowPatchRequest {
    type Output = Option<PriceCardId>;

    fn read(body: &Object<'_>, _app: &App) -> Result<Option<PriceCardId>, Problem> {
        for fixed in ["screenId", "filmId", "start"] {
            if body.has(fixed) {
                return Err(body.invalid(
                    fixed,
                    "cannot be changed: only priceCardId can (delete the show and add another)",
                ));
            }
        }
        if !body.has("priceCardId") {
            return Err(body.missing("priceCardId"));
        }
        price_card(body)
    }

    fn example() -> Value {
        json!({ "priceCardId": null })
    }
}

impl Fields for NewShowRequest {
    type Output = NewShow;

    fn read(body: &Object<'_>, app: &App) -> Result<NewShow, Problem> {
        Ok(NewShow {
            screen: body.required("screenId", body.screen_id("screenId")?)?,
            film: body.required("filmId", body.id("filmId", FilmId::parse)?)?,
            starts_at: body.required("start", body.time("start", app.config.timezone)?)?,
            price_card: price_card(body)?,
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
    _allowed: Kiosk,
    app: &State<App>,
    from: Query<'_>,
    to: Query<'_>,
    screenId: Query<'_>,
    filmId: Query<'_>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<ShowAnswer>> {
    let zone = app.config.timezone;
    let from = time_in_query("from", &from, zone)?;
    let to = time_in_query("to", &to, zone)?;
    let screen = id_in_query("screenId", &screenId, ScreenId::parse)?;
    let film = id_in_query("filmId", &filmId, FilmId::parse)?;
    // Each filter as read, so that a cursor fits only the list it came from.
    let cursors = app.cursor_key.list(format!(
        "shows from={from:?} to={to:?} screen={screen:?} film={film:?}"
    ));
    let request = page(&limit, &cursor, &cursors)?;
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
    Ok(List::fitted(
        shows,
        |view| answer(&view, zone),
        |view| Cursor {
            at: view.show.starts_at,
            id: view.show.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
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
    allowed: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewShowRequest>,
) -> Result<Sent<ShowAnswer, 201>, Problem> {
    let Checked(show, json) = body?;
    let zone = app.config.timezone;
    let write = created(move |view: &ShowView| answer(view, zone));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_show(show, allowed.actor(), once)
            .await?,
    ))
}

#[openapi(tag = "Shows", operation_id = "getShow")]
#[get("/shows/<id>")]
pub async fn get_show(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<ShowAnswer> {
    let id = show_in_path(id)?;
    let view = app
        .bookings
        .show_view(id)
        .await?
        .ok_or(Refusal::ShowNotFound)?;
    Ok(ok(&answer(&view, app.config.timezone)))
}

/// Name the price card a show is priced by (only that can change).
///
/// Seats already held or sold keep their prices; an unknown card: 404.
#[openapi(tag = "Shows", operation_id = "updateShow")]
#[patch("/shows/<id>", data = "<body>")]
pub async fn update_show(
    admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<ShowPatchRequest>,
) -> Result<Sent<ShowAnswer, 200>, Problem> {
    let id = show_in_path(id)?;
    let Checked(card, json) = body?;
    let zone = app.config.timezone;
    let write = changed(move |view: &ShowView| answer(view, zone));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .set_show_card(id, card, admin.actor(), once)
            .await?,
    ))
}

/// Delete a show that has no bookings (else 409 `in-use`).
#[openapi(tag = "Shows", operation_id = "deleteShow")]
#[delete("/shows/<id>")]
pub async fn delete_show(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = show_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(app.bookings.delete_show(id, allowed.actor(), once).await?))
}

/// Every seat of a show, in row order, with its state.
///
/// The whole map in one answer; `[]` for a general-admission show.
#[openapi(tag = "Shows", operation_id = "showSeats")]
#[get("/shows/<id>/seats")]
pub async fn show_seats(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<Vec<SeatStateAnswer>> {
    let id: ShowId = show_in_path(id)?;
    let seats = app.bookings.seats(id).await?.ok_or(Refusal::ShowNotFound)?;
    Ok(Reply::json(seats_json(&seats)))
}

/// A show's bookings, in booking order.
#[openapi(tag = "Shows", operation_id = "showBookings")]
#[get("/shows/<id>/bookings?<limit>&<cursor>")]
pub async fn show_bookings(
    _allowed: Cashier,
    app: &State<App>,
    id: &str,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<BookingAnswer>> {
    let id = show_in_path(id)?;
    let cursors = app.cursor_key.list(format!("bookings of show {id}"));
    let request = page(&limit, &cursor, &cursors)?;
    let found = app
        .bookings
        .show_bookings(id, request)
        .await?
        .ok_or(Refusal::ShowNotFound)?;
    let zone = app.config.timezone;
    Ok(List::fitted(
        found,
        |booking| bookings::answer(&booking, zone, app.config.currency),
        |booking| Cursor {
            at: 0,
            id: booking.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::domain::cinema::{Layout, Screen};
    use crate::domain::seating::{Row, Seat, SeatKind, SeatMap};
    use crate::domain::ScreenId;
    use crate::usecases::cinema::SeatState;

    #[test]
    fn seats_are_written_as_their_documented_answer() {
        let kinds = [
            SeatKind::Standard,
            SeatKind::Premium,
            SeatKind::Wheelchair,
            SeatKind::Companion,
        ];
        let states = [
            SeatState::Free,
            SeatState::Held,
            SeatState::Sold,
            SeatState::Blocked,
        ];
        let mut rows = Vec::new();
        let mut all_states = Vec::new();
        for (r, label) in ["A", "AB", "Q\"x"].into_iter().enumerate() {
            let seats = (0..9)
                .map(|n| Seat {
                    number: if n == 8 && r == 1 {
                        "7\\".into()
                    } else {
                        (n + 1).to_string()
                    },
                    kind: kinds[(n + r) % 4],
                    blocked: states[(n * 3 + r) % 4] == SeatState::Blocked,
                    aisle_after: n % 3 == 2,
                })
                .collect();
            all_states.extend((0..9).map(|n| states[(n * 3 + r) % 4]));
            rows.push(Row {
                label: label.into(),
                seats,
            });
        }
        let seats = ShowSeats {
            screen: Arc::new(Screen {
                id: ScreenId::from_u128(7),
                name: "One".into(),
                layout: Layout::Seated(SeatMap::stored(rows)),
            }),
            states: all_states,
        };
        let documented: Vec<SeatStateAnswer> = seats
            .iter()
            .map(|(row, seat, state)| SeatStateAnswer {
                seat: format!("{}{}", row.label, seat.number),
                row: row.label.clone(),
                number: seat.number.clone(),
                kind: seat.kind.as_str().into(),
                state: state.as_str().into(),
                aisle_after: seat.aisle_after,
            })
            .collect();
        assert_eq!(documented.len(), 27);
        assert_eq!(
            String::from_utf8(seats_json(&seats)).unwrap(),
            serde_json::to_string(&documented).unwrap()
        );
        let general = ShowSeats {
            screen: Arc::new(Screen::default_screen(20)),
            states: Vec::new(),
        };
        assert_eq!(seats_json(&general), b"[]");
    }

    /// A screen of one row of `seats` seats labelled `label`.
    fn one_row(label: &str, seats: usize) -> Arc<Screen> {
        let seats = (1..=seats)
            .map(|n| Seat {
                number: n.to_string(),
                kind: SeatKind::Standard,
                blocked: false,
                aisle_after: false,
            })
            .collect();
        Arc::new(Screen {
            id: ScreenId::from_u128(8),
            name: "Two".into(),
            layout: Layout::Seated(SeatMap::stored(vec![Row {
                label: label.into(),
                seats,
            }])),
        })
    }

    fn states_in(json: &[u8]) -> Vec<(String, String)> {
        let seats: Vec<SeatStateAnswer> = serde_json::from_slice(json).unwrap();
        seats
            .into_iter()
            .map(|seat| (seat.seat, seat.state))
            .collect()
    }

    #[test]
    fn the_heads_of_a_screen_serve_its_shows_until_the_screen_changes() {
        let screen = one_row("A", 2);
        let free = ShowSeats {
            screen: Arc::clone(&screen),
            states: vec![SeatState::Free, SeatState::Free],
        };
        let sold = ShowSeats {
            screen: Arc::clone(&screen),
            states: vec![SeatState::Sold, SeatState::Held],
        };
        assert_eq!(
            states_in(&seats_json(&free)),
            [("A1".into(), "free".into()), ("A2".into(), "free".into())]
        );
        assert_eq!(
            states_in(&seats_json(&sold)),
            [("A1".into(), "sold".into()), ("A2".into(), "held".into())]
        );
        assert!(Arc::ptr_eq(
            &SeatHeads::of(&screen),
            &SeatHeads::of(&screen)
        ));
        // The same screen with a row renamed and a seat added: a new `Arc`.
        let changed = ShowSeats {
            screen: one_row("B", 3),
            states: vec![SeatState::Free, SeatState::Sold, SeatState::Free],
        };
        assert_eq!(
            states_in(&seats_json(&changed)),
            [
                ("B1".into(), "free".into()),
                ("B2".into(), "sold".into()),
                ("B3".into(), "free".into())
            ]
        );
    }
}
