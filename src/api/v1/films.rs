//! `/v1/films`: title, runtime and rating. Reading needs the clerk's
//! token, changing the admin's.

use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Kiosk};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{film_in_path, page, Query};
use super::schema;
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, List, Read, Sent};
use crate::api::state::App;
use crate::domain::cinema::{Film, MAX_RATING_CHARS, MAX_RUNTIME_MINUTES, MAX_TITLE_CHARS};
use crate::domain::Refusal;
use crate::usecases::cinema::{FilmPatch, NewFilm};
use crate::usecases::Cursor;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Film")]
pub struct FilmAnswer {
    #[schemars(regex(pattern = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))]
    pub id: String,
    pub title: String,
    pub runtime_minutes: u32,
    /// `null` when it has none.
    pub rating: Option<String>,
}

fn answer(film: &Film) -> FilmAnswer {
    FilmAnswer {
        id: film.id.to_string(),
        title: film.title.clone(),
        runtime_minutes: film.runtime_minutes,
        rating: film.rating.clone(),
    }
}

fn properties() -> Vec<(&'static str, Schema)> {
    vec![
        (
            "title",
            schema::text(
                MAX_TITLE_CHARS,
                "1 to 200 characters once trimmed; no control characters.",
            ),
        ),
        (
            "runtimeMinutes",
            schema::integer(
                1,
                MAX_RUNTIME_MINUTES,
                "How long it runs; a show keeps its screen this long plus the turnaround.",
            ),
        ),
        (
            "rating",
            schema::nullable(schema::text(
                MAX_RATING_CHARS,
                "Free text such as `PG-13`, 1 to 16 characters; `null` for none.",
            )),
        ),
    ]
}

/// A new film.
pub struct NewFilmRequest;

impl JsonSchema for NewFilmRequest {
    fn schema_name() -> String {
        "NewFilm".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(properties(), &["title", "runtimeMinutes"]).into()
    }
}

impl Fields for NewFilmRequest {
    type Output = NewFilm;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewFilm, Problem> {
        Ok(NewFilm {
            title: body.required("title", body.text("title", MAX_TITLE_CHARS)?)?,
            runtime_minutes: body.required(
                "runtimeMinutes",
                body.integer("runtimeMinutes", 1, MAX_RUNTIME_MINUTES)?,
            )?,
            rating: body.nullable_text("rating", MAX_RATING_CHARS)?.flatten(),
        })
    }

    fn example() -> Value {
        json!({ "title": "The Grand Budapest Hotel", "runtimeMinutes": 100, "rating": "R" })
    }
}

/// A change of a film; `rating: null` clears the rating.
pub struct FilmPatchRequest;

impl JsonSchema for FilmPatchRequest {
    fn schema_name() -> String {
        "FilmPatch".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(properties(), &[]);
        schema::described(
            schema::at_least_one_of(object, &["title", "runtimeMinutes", "rating"]),
            "What changes: any of `title`, `runtimeMinutes`, `rating` (`null` clears it).",
        )
    }
}

impl Fields for FilmPatchRequest {
    type Output = FilmPatch;

    fn read(body: &Object<'_>, _app: &App) -> Result<FilmPatch, Problem> {
        let patch = FilmPatch {
            title: body.text("title", MAX_TITLE_CHARS)?,
            runtime_minutes: body.integer("runtimeMinutes", 1, MAX_RUNTIME_MINUTES)?,
            rating: body.nullable_text("rating", MAX_RATING_CHARS)?,
        };
        if patch == FilmPatch::default() {
            return Err(Problem::invalid(
                "Nothing to change: send title, runtimeMinutes or rating.",
            ));
        }
        Ok(patch)
    }

    fn example() -> Value {
        json!({ "rating": "PG-13" })
    }
}

/// List films, oldest first.
#[openapi(tag = "Films", operation_id = "listFilms")]
#[get("/films?<limit>&<cursor>")]
pub async fn list_films(
    _allowed: Kiosk,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<FilmAnswer>> {
    let cursors = app.cursor_key.list("films".into());
    let films = app.bookings.films(page(&limit, &cursor, &cursors)?).await?;
    Ok(List::fitted(
        films,
        |film| answer(&film),
        |film| Cursor {
            at: 0,
            id: film.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
}

/// Add a film.
#[openapi(tag = "Films", operation_id = "createFilm")]
#[post("/films", data = "<body>")]
pub async fn create_film(
    allowed: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewFilmRequest>,
) -> Result<Sent<FilmAnswer, 201>, Problem> {
    let Checked(film, json) = body?;
    let write = created(answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_film(film, allowed.actor(), once)
            .await?,
    ))
}

#[openapi(tag = "Films", operation_id = "getFilm")]
#[get("/films/<id>")]
pub async fn get_film(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<FilmAnswer> {
    let id = film_in_path(id)?;
    let film = app.bookings.film(id).await?.ok_or(Refusal::FilmNotFound)?;
    Ok(ok(&answer(&film)))
}

/// Change a film.
///
/// A longer runtime that would make two of its shows overlap on a screen is
/// refused (409 `screen-busy`); its shows' ends move with it.
#[openapi(tag = "Films", operation_id = "updateFilm")]
#[patch("/films/<id>", data = "<body>")]
pub async fn update_film(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<FilmPatchRequest>,
) -> Result<Sent<FilmAnswer, 200>, Problem> {
    let id = film_in_path(id)?;
    let Checked(patch, json) = body?;
    let write = changed(answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .update_film(id, patch, allowed.actor(), once)
            .await?,
    ))
}

/// Delete a film that has no shows (else 409 `in-use`).
#[openapi(tag = "Films", operation_id = "deleteFilm")]
#[delete("/films/<id>")]
pub async fn delete_film(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = film_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(app.bookings.delete_film(id, allowed.actor(), once).await?))
}
