//! HTTP: the `/api` routes, their OpenAPI document and Swagger UI.

pub mod auth;
pub mod body;
mod docs;
pub mod tickets;

use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

use crate::config::Config;

pub use docs::{docs_routes, ApiDoc};

/// Where the seed-compatible routes live.
pub const API_BASE: &str = "/api";

/// The API routes and the OpenAPI document that describes them as `config`
/// sets them up.
pub fn routes(config: &Config) -> (Vec<Route>, OpenApi) {
    let settings = OpenApiSettings::new();
    let (routes, spec) = rocket_okapi::openapi_get_routes_spec![
        settings:
        tickets::book_ticket,
        tickets::update_timing,
        tickets::view_all_tickets,
        tickets::delete_ticket,
        tickets::delete_ticket_put,
        tickets::user_details,
    ];
    (routes, docs::finish(spec, config))
}
