//! `/v1`: the cinema's API — screens, films, shows and bookings as
//! resources, JSON in camelCase, RFC 9457 problem details for every answer
//! that is not a success, `Idempotency-Key` on every write, two roles.

pub mod auth;
pub mod bookings;
pub mod cursor;
pub mod docs;
pub mod fields;
pub mod films;
pub mod holds;
pub mod params;
pub mod problem;
pub mod qr;
pub mod reply;
mod schema;
pub mod screens;
pub mod seat_maps;
pub mod shows;
pub mod staff;

use rocket::http::{Method, Status};
use rocket::request::Request;
use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

use problem::{Kind, Problem};

/// Where the cinema's routes live.
pub const V1_BASE: &str = "/v1";

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
        holds::confirm_hold,
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

pub fn is_v1(path: &str) -> bool {
    path == V1_BASE
        || path
            .strip_prefix(V1_BASE)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Rocket's own answer with `status` as a problem, for a request under
/// `/v1`; `None` elsewhere.
pub fn caught(status: Status, request: &Request<'_>) -> Option<Problem> {
    if !is_v1(request.uri().path().as_str()) {
        return None;
    }
    Some(match status.code {
        404 => no_route(request, false),
        // Rocket refuses a method it does not know (QUERY, PROPFIND, ...)
        // before routing, and the request then reads as a GET.
        400 if request.route().is_none() => no_route(request, true),
        // A query Rocket could not take apart.
        400 | 422 => Problem::bad_request("The request could not be understood."),
        401 => Problem::new(
            Kind::Unauthorized,
            "A valid token is needed: send Authorization: Bearer <token> or X-Auth-Token.",
        ),
        403 => Problem::new(
            Kind::Forbidden,
            "This credential may not do this: its role is too low, or a write signed by the \
             session cookie lacks its X-CSRF-Token.",
        ),
        503 => Problem::new(
            Kind::StorageUnavailable,
            "The database cannot say who is asking now; retry.",
        ),
        413 => Problem::new(
            Kind::TooLarge,
            "The request body is larger than the configured limit.",
        ),
        code => {
            if code >= 500 {
                rocket::error!(
                    "{} {}: Rocket answered {code}",
                    request.method(),
                    request.uri().path()
                );
            }
            let kind = Kind::Other(code);
            Problem::new(kind, format!("{}.", kind.title()))
        }
    })
}

/// Whether a route's path (`/v1/shows/<id>`) serves `path`.
fn serves(route: &str, path: &str) -> bool {
    let mut wanted = route.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(segment), Some(value)) if segment.starts_with('<') => {
                if segment.ends_with("..>") {
                    return true;
                }
                if value.is_empty() {
                    return false;
                }
            }
            (Some(segment), Some(value)) if segment == value => {}
            _ => return false,
        }
    }
}

/// 405 with the methods the path serves, or 404 when it serves none (or
/// serves this method, and the request named nothing).
fn no_route(request: &Request<'_>, unknown_method: bool) -> Problem {
    let path = request.uri().path();
    let routes: Vec<&Route> = request
        .rocket()
        .routes()
        .filter(|route| {
            let route = route.uri.path();
            is_v1(route) && serves(route, path.as_str())
        })
        .collect();
    // A path spelled out (`/v1/bookings/search`) is a resource of its own,
    // whatever a pattern beside it (`/v1/bookings/<id>`) would take.
    let exact = routes.iter().any(|route| route.uri.path() == path.as_str());
    let mut allowed: Vec<Method> = routes
        .iter()
        .filter(|route| !exact || route.uri.path() == path.as_str())
        .map(|route| route.method)
        .collect();
    if allowed.is_empty() || (!unknown_method && allowed.contains(&request.method())) {
        return Problem::not_found("Nothing here: /openapi.json lists what /v1 serves.");
    }
    let allow = crate::api::error::allow_header(&mut allowed);
    Problem {
        allow: Some(allow.clone()),
        ..Problem::new(Kind::MethodNotAllowed, format!("This path serves {allow}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths_match_their_segments() {
        assert!(serves("/v1/shows/<id>", "/v1/shows/ABC"));
        assert!(serves("/v1/shows/<id>/seats", "/v1/shows/ABC/seats"));
        assert!(!serves("/v1/shows/<id>", "/v1/shows/"));
        assert!(!serves("/v1/shows/<id>", "/v1/shows/ABC/seats"));
        assert!(!serves("/v1/shows", "/v1/shows/ABC"));
        assert!(serves("/v1/shows", "/v1/shows"));
        assert!(serves("/v1/<path..>", "/v1/anything/at/all"));
    }

    #[test]
    fn only_the_v1_prefix_is_v1() {
        assert!(is_v1("/v1"));
        assert!(is_v1("/v1/screens"));
        assert!(!is_v1("/v10/screens"));
        assert!(!is_v1("/api/book-ticket"));
    }
}
