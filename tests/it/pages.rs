//! What the kiosk and counter pages stand on: the booking's QR code, and the
//! pages and their assets served from the binary under a strict policy.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::support::*;

/// POSTs `body` to `uri` and returns the 201 answer.
#[track_caller]
fn create(service: &Local, uri: &str, body: &Value) -> Value {
    let answer = service.request("POST", uri, Some(&body.to_string()), &[]);
    assert_eq!(answer.status, Status::Created, "{uri}: {}", answer.text);
    answer.body
}

/// A booking of seat A2 on a one-row screen; returns its id.
fn a_booking(service: &Local) -> String {
    let screen = create(
        service,
        "/v1/screens",
        &json!({"name": "One", "rows": [{"label": "A", "seats": [
            {"number": "1", "kind": "wheelchair"}, {"number": "2"}, {"number": "3"}
        ]}]}),
    );
    let film = create(
        service,
        "/v1/films",
        &json!({"title": "Ran", "runtimeMinutes": 160}),
    );
    let show = create(
        service,
        "/v1/shows",
        &json!({"screenId": screen["id"], "filmId": film["id"], "start": SHOW}),
    );
    let booking = create(
        service,
        "/v1/bookings",
        &json!({"showId": show["id"], "seats": ["A2"], "userName": "Ann", "phoneNumber": "+44 7700 900123"}),
    );
    booking["id"].as_str().expect("an id").to_owned()
}

#[test]
fn a_booking_has_a_qr_code_as_svg() {
    let service = local();
    let id = a_booking(&service);
    let answer = service.request("GET", &format!("/v1/bookings/{id}/qr.svg"), None, &[]);
    assert_eq!(answer.status, Status::Ok, "{}", answer.text);
    assert_eq!(answer.header("Content-Type"), Some("image/svg+xml"));
    let svg = &answer.text;
    assert!(svg.starts_with("<?xml"), "{svg}");
    assert!(
        svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.ends_with("</svg>"), "{svg}");
    // Dark modules, each a square of the path: about half of the 625 of a
    // version-2 code, the same range as the unit test of `qr_svg`.
    let modules = svg.matches("h8v8H").count();
    assert!((200..450).contains(&modules), "{modules} modules: {svg}");
}

#[test]
fn an_unknown_booking_has_no_qr_code() {
    let service = local();
    for id in ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-an-id"] {
        let answer = service.request("GET", &format!("/v1/bookings/{id}/qr.svg"), None, &[]);
        assert_eq!(answer.status, Status::NotFound, "{}", answer.text);
        assert_eq!(
            answer.header("Content-Type"),
            Some("application/problem+json")
        );
        assert_eq!(answer.body["type"], "urn:boxoffice:not-found");
    }
}

#[test]
fn the_qr_code_needs_the_token_a_booking_needs() {
    let service = local_with(|figment| figment.merge(("api_token", "clerk")));
    let answer = service.request(
        "GET",
        "/v1/bookings/01ARZ3NDEKTSV4RRFFQ69G5FAV/qr.svg",
        None,
        &[],
    );
    assert_eq!(answer.status, Status::Unauthorized, "{}", answer.text);
    let answer = service.request(
        "GET",
        "/v1/bookings/01ARZ3NDEKTSV4RRFFQ69G5FAV/qr.svg",
        None,
        &[("Authorization", "Bearer clerk")],
    );
    assert_eq!(answer.status, Status::NotFound, "{}", answer.text);
}

#[test]
fn the_document_describes_the_qr_code() {
    let service = local();
    let (status, spec) = service.get("/openapi.json");
    assert_eq!(status, Status::Ok);
    let operation = &spec["paths"]["/v1/bookings/{id}/qr.svg"]["get"];
    assert_eq!(operation["operationId"], "bookingQr", "{operation}");
    assert!(
        operation["responses"]["200"]["content"]["image/svg+xml"].is_object(),
        "{operation}"
    );
    assert!(operation["responses"]["404"].is_object(), "{operation}");
}

/// The pages and their files, as the binary serves them.
const PAGES: &[(&str, &str)] = &[
    ("/kiosk", "text/html; charset=utf-8"),
    ("/pages/pages.css", "text/css; charset=utf-8"),
    ("/pages/common.js", "text/javascript"),
    ("/pages/kiosk.js", "text/javascript"),
    ("/counter", "text/html; charset=utf-8"),
    ("/pages/counter.js", "text/javascript"),
    ("/pages/icon.svg", "image/svg+xml"),
];

#[test]
fn the_pages_are_served_from_the_binary_under_a_strict_policy() {
    let service = local();
    for (path, content_type) in PAGES {
        let answer = service.request("GET", path, None, &[]);
        assert_eq!(answer.status, Status::Ok, "{path}");
        assert_eq!(answer.header("Content-Type"), Some(*content_type), "{path}");
        let policy = answer
            .header("Content-Security-Policy")
            .expect("a policy")
            .to_owned();
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        // Nothing from another host: no fonts, scripts or styles from a CDN.
        // (An SVG names its XML namespace, which is never fetched.)
        let text = answer
            .text
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for scheme in ["http://", "https://", "//cdn", "@import", "url("] {
            assert!(!text.contains(scheme), "{path} names {scheme}");
        }
    }
}

#[test]
fn the_pages_have_no_inline_script_or_style() {
    let service = local();
    for path in ["/kiosk", "/counter"] {
        let html = service.request("GET", path, None, &[]).text;
        let scripts = html.matches("<script").count();
        assert_eq!(
            scripts,
            html.matches("<script defer src=\"/pages/").count(),
            "{path}: every script is a file"
        );
        assert!(scripts >= 2, "{path}");
        for inline in [" onclick=", " onload=", " style=", "javascript:"] {
            assert!(!html.contains(inline), "{path} has {inline}");
        }
    }
}

#[test]
fn an_unknown_page_file_is_not_found() {
    let service = local();
    for path in ["/pages/nope.js", "/pages/../Cargo.toml", "/pages/"] {
        let answer = service.request("GET", path, None, &[]);
        assert_eq!(answer.status, Status::NotFound, "{path}: {}", answer.text);
    }
}
