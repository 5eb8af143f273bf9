//! `/v1/screens`: rooms, general admission (`capacity`) or with a seat map
//! (`rows`). Reading needs the clerk's token, changing the admin's.

use rocket::data::ByteUnit;
use rocket::request::Request;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Kiosk};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{page, screen_in_path, Query};
use super::schema;
use super::seat_maps;
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, List, Read, Sent};
use crate::api::state::App;
use crate::config::SeatMapLimits;
use crate::domain::cinema::{Layout, Screen, MAX_CAPACITY, MAX_NAME_CHARS};
use crate::domain::Refusal;
use crate::usecases::cinema::{NewScreen, ScreenPatch};
use crate::usecases::Cursor;

/// A screen as `/v1` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Screen")]
pub struct ScreenAnswer {
    #[schemars(regex(pattern = r"^(?:default|[0-7][0-9A-HJKMNP-TV-Z]{25})$"))]
    pub id: String,
    pub name: String,
    /// Seats a show on it can sell (on a seat map: its unblocked seats).
    pub capacity: u32,
    /// Only on a screen with a seat map: its rows, the first at the screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<seat_maps::RowAnswer>>,
}

impl From<&Screen> for ScreenAnswer {
    fn from(screen: &Screen) -> Self {
        Self {
            id: screen.id.to_string(),
            name: screen.name.clone(),
            capacity: screen.layout.capacity(),
            rows: screen.layout.seat_map().map(seat_maps::rows),
        }
    }
}

fn answer(screen: &Screen) -> ScreenAnswer {
    ScreenAnswer::from(screen)
}

/// `capacity` or `rows`, whichever the body has; `None` when neither.
fn layout(body: &Object<'_>, most: SeatMapLimits) -> Result<Option<Layout>, Problem> {
    match (body.has("capacity"), body.has("rows")) {
        (true, true) => Err(Problem::invalid(
            "Send capacity (general admission) or rows (a seat map), not both.",
        )),
        (true, false) => Ok(body
            .integer("capacity", 1, MAX_CAPACITY)?
            .map(|capacity| Layout::General { capacity })),
        (false, true) => Ok(Some(Layout::Seated(seat_maps::read(body, most)?))),
        (false, false) => Ok(None),
    }
}

fn name_schema() -> Schema {
    schema::text(
        MAX_NAME_CHARS,
        "1 to 100 characters once trimmed; no control characters.",
    )
}

fn layout_properties(gen: &mut SchemaGenerator) -> Vec<(&'static str, Schema)> {
    vec![
        ("name", name_schema()),
        (
            "capacity",
            schema::integer(
                1,
                MAX_CAPACITY,
                "General admission: this many seats, no seat map.",
            ),
        ),
        (
            "rows",
            schema::array(
                gen.subschema_for::<seat_maps::RowSpec>(),
                1,
                false,
                "A seat map: rows in order, the first at the screen. Labels and seat numbers are \
                 unique; at least one seat is not blocked; at most `max_rows` rows (100 by default) \
                 of `max_row_seats` seats (100) and `max_screen_seats` seats in all (5000).",
            ),
        ),
    ]
}

/// A new screen: `{name, capacity}` or `{name, rows}`.
pub struct NewScreenRequest;

impl JsonSchema for NewScreenRequest {
    fn schema_name() -> String {
        "NewScreen".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(layout_properties(gen), &["name"]);
        schema::described(
            schema::exactly_one_of(object, &["capacity", "rows"]),
            "`capacity` for general admission, or `rows` for a seat map (exactly one of them).",
        )
    }
}

impl Fields for NewScreenRequest {
    type Output = NewScreen;

    fn read(body: &Object<'_>, app: &App) -> Result<NewScreen, Problem> {
        let name = body.required("name", body.text("name", MAX_NAME_CHARS)?)?;
        let layout = layout(body, app.config.seat_maps)?.ok_or_else(|| {
            Problem::invalid("Send capacity (general admission) or rows (a seat map).")
        })?;
        Ok(NewScreen { name, layout })
    }

    fn example() -> Value {
        json!({
            "name": "Screen 1",
            "rows": [
                {"label": "A", "seats": [
                    {"number": "1", "kind": "wheelchair"},
                    {"number": "2", "kind": "companion", "aisleAfter": true},
                    {"number": "3"}, {"number": "4"}
                ]},
                {"label": "B", "seats": [
                    {"number": "1"}, {"number": "2", "aisleAfter": true},
                    {"number": "3"}, {"number": "4", "blocked": true}
                ]},
                {"label": "C", "seats": [
                    {"number": "1", "kind": "premium"}, {"number": "2", "kind": "premium"},
                    {"number": "3", "kind": "premium"}, {"number": "4", "kind": "premium"}
                ]}
            ]
        })
    }

    fn limit(request: &Request<'_>) -> ByteUnit {
        seat_maps::limit(request)
    }
}

/// A change of a screen: any of `name`, and `capacity` or `rows`.
pub struct ScreenPatchRequest;

impl JsonSchema for ScreenPatchRequest {
    fn schema_name() -> String {
        "ScreenPatch".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(layout_properties(gen), &[]);
        let object = schema::at_least_one_of(object, &["name", "capacity", "rows"]);
        schema::described(
            schema::none_of(object, &[&["capacity", "rows"]]),
            "What changes: `name`, and `capacity` or `rows` (not both). A screen with shows may \
             be renamed but not given another layout.",
        )
    }
}

impl Fields for ScreenPatchRequest {
    type Output = ScreenPatch;

    fn read(body: &Object<'_>, app: &App) -> Result<ScreenPatch, Problem> {
        let patch = ScreenPatch {
            name: body.text("name", MAX_NAME_CHARS)?,
            layout: layout(body, app.config.seat_maps)?,
        };
        if patch == ScreenPatch::default() {
            return Err(Problem::invalid(
                "Nothing to change: send name, capacity or rows.",
            ));
        }
        Ok(patch)
    }

    fn example() -> Value {
        json!({ "name": "Screen 1 (Dolby)" })
    }

    fn limit(request: &Request<'_>) -> ByteUnit {
        seat_maps::limit(request)
    }
}

/// List screens, the default one first.
#[openapi(tag = "Screens", operation_id = "listScreens")]
#[get("/screens?<limit>&<cursor>")]
pub async fn list_screens(
    _allowed: Kiosk,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<ScreenAnswer>> {
    let cursors = app.cursor_key.list("screens".into());
    let screens = app
        .bookings
        .screens(page(&limit, &cursor, &cursors)?)
        .await?;
    Ok(List::fitted(
        screens,
        |screen| answer(&screen),
        |screen| Cursor {
            at: 0,
            id: screen.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
}

/// Add a screen.
///
/// General admission: `{"name": "Hall 2", "capacity": 120}`. With a seat map:
/// `rows`, each with its `label` and its `seats` in order along the row; a
/// seat has a `number` and, when not a plain seat, `kind` (`premium`,
/// `wheelchair`, `companion`), `blocked: true` (never sold) or
/// `aisleAfter: true` (a gap follows it). The example is a small map; a full
/// one lists every row the same way, e.g. rows `A` to `L` of seats `1` to
/// `14` each.
#[openapi(tag = "Screens", operation_id = "createScreen")]
#[post("/screens", data = "<body>")]
pub async fn create_screen(
    allowed: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewScreenRequest>,
) -> Result<Sent<ScreenAnswer, 201>, Problem> {
    let Checked(screen, json) = body?;
    let write = created(answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_screen(screen, allowed.actor(), once)
            .await?,
    ))
}

/// Read a screen (`default` is the general-admission screen of `/api`).
#[openapi(tag = "Screens", operation_id = "getScreen")]
#[get("/screens/<id>")]
pub async fn get_screen(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<ScreenAnswer> {
    let id = screen_in_path(id)?;
    let screen = app
        .bookings
        .screen(id)
        .await?
        .ok_or(Refusal::ScreenNotFound)?;
    Ok(ok(&answer(&screen)))
}

/// Rename a screen, or give it another layout.
///
/// A screen with shows may be renamed but not re-mapped (409 `in-use`); the
/// default screen cannot be changed (409 `in-use`).
#[openapi(tag = "Screens", operation_id = "updateScreen")]
#[patch("/screens/<id>", data = "<body>")]
pub async fn update_screen(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<ScreenPatchRequest>,
) -> Result<Sent<ScreenAnswer, 200>, Problem> {
    let id = screen_in_path(id)?;
    let Checked(patch, json) = body?;
    let write = changed(answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .update_screen(id, patch, allowed.actor(), once)
            .await?,
    ))
}

/// Delete a screen that has no shows (else 409 `in-use`; `default` too).
#[openapi(tag = "Screens", operation_id = "deleteScreen")]
#[delete("/screens/<id>")]
pub async fn delete_screen(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = screen_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(
        app.bookings
            .delete_screen(id, allowed.actor(), once)
            .await?,
    ))
}
