//! Safe by default: with a token configured every route that is not a
//! health probe, a document or a page's file needs one (walked over the
//! whole route table, so a new route cannot slip out); writes take JSON
//! only; the service answers only the hosts it is meant to.

use rocket::http::Status;
use serde_json::json;

use crate::support::*;

/// Paths that stay open whatever the configuration: health, metrics, the
/// documents and Swagger UI's assets, the pages and their files.
fn is_open(path: &str) -> bool {
    const OPEN: &[&str] = &[
        "/livez",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/swagger-ui-config.json",
        "/kiosk",
        "/counter",
        "/pages/<name>",
    ];
    // Swagger UI's own routes are mounted at the root: `/`, `/index.html`,
    // `/swagger-ui.css` and the like, none under an API prefix.
    let swagger = !path.starts_with("/api") && !path.starts_with("/v1") && !path.contains('<');
    OPEN.contains(&path) || swagger
}

/// A route's path with every parameter filled in with a well-formed value.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('<') {
                "01ARZ3NDEKTSV4RRFFQ69G5FAV"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every mounted route, as `(method, path)`.
fn route_table(service: &Local) -> Vec<(String, String)> {
    service
        .client
        .rocket()
        .routes()
        .map(|route| {
            (
                route.method.as_str().to_owned(),
                route.uri.path().to_string(),
            )
        })
        .collect()
}

#[test]
fn with_any_token_configured_every_route_but_the_open_ones_needs_one() {
    let configurations: [&[(&str, &str)]; 3] = [
        &[("api_token", "cashier")],
        &[("admin_token", "boss")],
        &[("api_token", "cashier"), ("admin_token", "boss")],
    ];
    for tokens in configurations {
        let service = local_with(|mut figment| {
            for (key, value) in tokens {
                figment = figment.merge((*key, *value));
            }
            figment
        });
        let routes = route_table(&service);
        assert!(routes.len() > 30, "{routes:?}");
        for (method, path) in routes {
            let uri = concrete(&path);
            // A JSON body, so that only the token can be the reason.
            let body = (method != "GET").then_some("{}");
            for headers in [&[][..], &[("X-Auth-Token", "guess")][..]] {
                let answer = service.request(&method, &uri, body, headers);
                let what = format!("{method} {uri} with {tokens:?} and {headers:?}");
                if is_open(&path) {
                    assert_ne!(answer.status, Status::Unauthorized, "{what}");
                    continue;
                }
                assert_eq!(
                    answer.status,
                    Status::Unauthorized,
                    "{what}: {}",
                    answer.text
                );
                if path.starts_with("/v1") {
                    assert_eq!(
                        answer.header("Content-Type"),
                        Some("application/problem+json"),
                        "{what}"
                    );
                    assert_eq!(answer.body["type"], "urn:boxoffice:unauthorized", "{what}");
                } else {
                    assert!(path.starts_with("/api"), "{what}: a route outside the APIs");
                    assert_eq!(answer.body["success"], false, "{what}");
                    assert_eq!(answer.body["message"], "Invalid Auth token", "{what}");
                }
            }
        }
    }
}

#[test]
fn an_admin_token_alone_closes_bookings_and_opens_them_to_itself() {
    let service = local_with(|figment| figment.merge(("admin_token", "boss")));
    let boss = [("X-Auth-Token", "boss")];
    let body = booking("Asha Rao", 2, SHOW).to_string();
    let booked = service.request("POST", "/api/book-ticket", Some(&body), &boss);
    assert_eq!(booked.status, Status::Ok, "{}", booked.text);
    let show = booked.body["data"]["movieId"].as_str().unwrap().to_owned();
    let ticket = booked.body["data"]["ticketId"].as_str().unwrap().to_owned();
    let reads = [
        format!("/api/view-all-tickets?movieId={show}"),
        format!("/api/user-details?ticketId={ticket}"),
        format!("/v1/shows/{show}/bookings"),
        format!("/v1/bookings/{ticket}"),
    ];
    for uri in &reads {
        let open = service.request("GET", uri, None, &[]);
        assert_eq!(open.status, Status::Unauthorized, "{uri}: {}", open.text);
        assert!(!open.text.contains("Asha"), "{uri}: {}", open.text);
        let allowed = service.request("GET", uri, None, &boss);
        assert_eq!(allowed.status, Status::Ok, "{uri}: {}", allowed.text);
    }
    let cancel = format!("/v1/bookings/{ticket}");
    let refused = service.request("DELETE", &cancel, None, &[]);
    assert_eq!(refused.status, Status::Unauthorized);
    let still = service.request("GET", &cancel, None, &boss);
    assert_eq!(still.status, Status::Ok, "a refused cancel changed nothing");
    let cancelled = service.request("DELETE", &cancel, None, &boss);
    assert_eq!(cancelled.status, Status::NoContent, "{}", cancelled.text);
}

#[test]
fn the_cashier_token_finds_bookings_by_phone() {
    let service = local_with(|figment| {
        figment
            .merge(("api_token", "cashier"))
            .merge(("admin_token", "boss"))
    });
    let search = json!({"phoneNumber": "9876543210"}).to_string();
    for (token, status) in [
        (None, Status::Unauthorized),
        (Some("cashier"), Status::Ok),
        (Some("boss"), Status::Ok),
    ] {
        let headers: Vec<(&str, &str)> = token.map(|t| ("X-Auth-Token", t)).into_iter().collect();
        let answer = service.request("POST", "/v1/bookings/search", Some(&search), &headers);
        assert_eq!(answer.status, status, "{token:?}: {}", answer.text);
    }
}
