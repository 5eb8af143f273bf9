//! The seed-compatible routes under `/api`: same paths, field names, JSON
//! types and messages as the service they replace.

pub mod handlers;
pub mod requests;
pub mod responses;

use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

/// The routes and the part of the `OpenAPI` document that describes them.
pub fn routes() -> (Vec<Route>, OpenApi) {
    let settings = OpenApiSettings::new();
    rocket_okapi::openapi_get_routes_spec![
        settings:
        handlers::book_ticket,
        handlers::update_timing,
        handlers::view_all_tickets,
        handlers::delete_ticket,
        handlers::delete_ticket_put,
        handlers::user_details,
    ]
}
