//! `/v1`: the cinema's API — screens, films, shows and bookings as
//! resources, JSON in camelCase, RFC 9457 problem details for every answer
//! that is not a success, `Idempotency-Key` on every write, roles per route.

pub mod auth;
pub mod bookings;
pub mod docs;
pub mod fields;
pub mod films;
pub mod holds;
pub mod params;
pub mod prices;
pub mod qr;
mod schema;
pub mod screens;
pub mod seat_maps;
pub mod shows;
pub mod staff;

use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

pub use crate::api::paths::V1_BASE;

/// The routes and the part of the `OpenAPI` document that describes them
/// (paths relative to [`V1_BASE`]).
pub fn routes() -> (Vec<Route>, OpenApi) {
    let settings = OpenApiSettings::new();
    rocket_okapi::openapi_get_routes_spec![
        settings:
        screens::list_screens,
        screens::create_screen,
        screens::get_screen,
        screens::update_screen,
        screens::delete_screen,
        films::list_films,
        films::create_film,
        films::get_film,
        films::update_film,
        films::delete_film,
        shows::list_shows,
        shows::create_show,
        shows::get_show,
        shows::update_show,
        shows::delete_show,
        shows::show_seats,
        shows::show_bookings,
        bookings::create_booking,
        bookings::get_booking,
        bookings::move_booking,
        bookings::cancel_booking,
        bookings::search_bookings,
        bookings::find_bookings,
        qr::booking_qr,
        holds::create_hold,
        holds::get_hold,
        holds::release_hold,
        holds::extend_hold,
        holds::confirm_hold,
        prices::list_ticket_types,
        prices::create_ticket_type,
        prices::get_ticket_type,
        prices::update_ticket_type,
        prices::delete_ticket_type,
        prices::list_price_cards,
        prices::create_price_card,
        prices::get_price_card,
        prices::update_price_card,
        prices::delete_price_card,
        prices::show_prices,
        staff::sign_in,
        staff::current_session,
        staff::sign_out,
        staff::list_staff,
        staff::create_staff,
        staff::get_staff,
        staff::update_staff,
        staff::list_keys,
        staff::create_key,
        staff::revoke_key,
        staff::list_audit,
    ]
}
