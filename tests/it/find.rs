//! Finding a booking as a clerk does, over a real server: by phone (its
//! last 9 digits, so with or without the country code) and by its short
//! reference; and a walk-up sold with neither name nor phone. The same
//! scenarios run on PostgreSQL from `pg/processes.rs`.

use serde_json::{json, Value};

use crate::races::{seated_show, send};
use crate::support::{agent, Server};

/// The bookings a phone search finds, by id.
fn found(server: &Server, phone: &Value) -> Vec<String> {
    let (status, _, answer) = send(
        &agent(),
        "POST",
        &server.url("/v1/bookings/search"),
        &[],
        Some(&json!({ "phoneNumber": phone })),
    );
    assert_eq!(status, 200, "{phone}: {answer}");
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|booking| booking["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// A booking of `seat` for `phone`; its id.
fn booked(server: &Server, show: &str, seat: &str, phone: &Value) -> String {
    let body = json!({"showId": show, "seats": [seat], "userName": "Ann", "phoneNumber": phone});
    let (status, _, answer) = send(
        &agent(),
        "POST",
        &server.url("/v1/bookings"),
        &[],
        Some(&body),
    );
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_str().expect("an id").to_owned()
}

/// A number is found however its prefix is written: the last 9 digits
/// decide, and a short number is compared whole.
pub fn phone_search_matches_the_last_nine_digits(server: &Server) {
    let show = seated_show(server, 2, 4);
    let local = booked(server, &show, "A1", &json!("07700 900456"));
    let short = booked(server, &show, "A2", &json!("1234567"));
    let other = booked(server, &show, "A3", &json!("+44 7700 900457"));
    let number = booked(server, &show, "A4", &json!(447700900456u64));
    for phone in [
        json!("+44 7700 900456"),
        json!("07700 900456"),
        json!("0044-7700-900456"),
        json!(7700900456u64),
    ] {
        assert_eq!(
            found(server, &phone),
            [local.clone(), number.clone()],
            "{phone}"
        );
    }
    assert_eq!(found(server, &json!("123 4567")), [short]);
    // Nine digits match, but not eight of them.
    assert_eq!(found(server, &json!("7700 900457")), [other]);
    assert!(found(server, &json!("12345678")).is_empty());
    let (status, _, refused) = send(
        &agent(),
        "POST",
        &server.url("/v1/bookings/search"),
        &[],
        Some(&json!({"phoneNumber": "12"})),
    );
    assert_eq!(status, 422, "{refused}");
}

fn started() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.redb"),
        &[("ROCKET_LOG_LEVEL", "critical")],
    );
    (dir, server)
}

#[test]
fn a_phone_search_matches_the_last_nine_digits() {
    let (_dir, server) = started();
    phone_search_matches_the_last_nine_digits(&server);
}

/// A `/v1` answer's `reference`: 6 characters of the alphabet.
#[track_caller]
fn reference_of(booking: &Value) -> String {
    let reference = booking["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    assert_eq!(reference.len(), 6, "{booking}");
    assert!(
        reference
            .bytes()
            .all(|c| b"23456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&c)),
        "{reference}"
    );
    reference
}

/// What `GET /v1/bookings?reference=` answers.
fn by_reference(server: &Server, reference: &str) -> (u16, Value) {
    let (status, _, answer) = send(
        &agent(),
        "GET",
        &server.url(&format!("/v1/bookings?reference={reference}")),
        &[],
        None,
    );
    (status, answer)
}

/// Every way a booking is made gives it a short reference, which finds it
/// (in any case) while it lives; a move keeps it; `/api` answers do not
/// change.
pub fn a_booking_is_found_by_its_short_reference(server: &Server) {
    let show = seated_show(server, 3, 4);
    let booked = {
        let body = json!({"showId": show, "seats": ["A1"], "userName": "Ann", "phoneNumber": "5550001111"});
        let (status, _, answer) = send(
            &agent(),
            "POST",
            &server.url("/v1/bookings"),
            &[],
            Some(&body),
        );
        assert_eq!(status, 201, "{answer}");
        answer
    };
    let reference = reference_of(&booked);
    let (status, found) = by_reference(server, &reference.to_lowercase());
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"], json!([booked.clone()]));
    // A hold confirmed gets one too, and another than the first booking's.
    let (status, _, hold) = send(
        &agent(),
        "POST",
        &server.url("/v1/holds"),
        &[],
        Some(&json!({"showId": show, "seats": ["B2"]})),
    );
    assert_eq!(status, 201, "{hold}");
    let (status, _, confirmed) = send(
        &agent(),
        "POST",
        &server.url(&format!(
            "/v1/holds/{}/confirm",
            hold["id"].as_str().unwrap()
        )),
        &[],
        Some(&json!({"userName": "Bo", "phoneNumber": "5550002222"})),
    );
    assert_eq!(status, 201, "{confirmed}");
    let second = reference_of(&confirmed);
    assert_ne!(second, reference);
    // A move keeps it.
    let id = booked["id"].as_str().unwrap();
    let (status, _, moved) = send(
        &agent(),
        "PATCH",
        &server.url(&format!("/v1/bookings/{id}")),
        &[],
        Some(&json!({"seats": ["C3"]})),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["reference"], json!(reference));
    // An /api booking has one on /v1, and its /api answer is as it was.
    let (status, _, api) = send(
        &agent(),
        "POST",
        &server.url("/api/book-ticket"),
        &[],
        Some(&crate::support::booking("Cy", 2, &api_show_time())),
    );
    assert_eq!(status, 200, "{api}");
    assert!(api["data"].get("reference").is_none(), "{api}");
    let ticket = api["data"]["ticketId"].as_str().unwrap();
    let (status, _, on_v1) = send(
        &agent(),
        "GET",
        &server.url(&format!("/v1/bookings/{ticket}")),
        &[],
        None,
    );
    assert_eq!(status, 200, "{on_v1}");
    let third = reference_of(&on_v1);
    assert_eq!(
        by_reference(server, &third).1["items"][0]["id"],
        json!(ticket)
    );
    // Cancelled, it is found no more.
    let (status, _, _) = send(
        &agent(),
        "DELETE",
        &server.url(&format!("/v1/bookings/{id}")),
        &[],
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(
        by_reference(server, &reference),
        (200, json!({"items": [], "nextCursor": null}))
    );
    // No reference, or not one: a problem, nothing else.
    for bad in [
        "",
        "?",
        "?reference=ABCDE",
        "?reference=ABCDE0",
        "?reference=ABCDEFG",
    ] {
        let (status, _, problem) = send(
            &agent(),
            "GET",
            &server.url(&format!("/v1/bookings{bad}")),
            &[],
            None,
        );
        assert_eq!(status, 400, "{bad}: {problem}");
        assert_eq!(problem["type"], "urn:boxoffice:bad-request", "{bad}");
    }
}

/// A show time two days ahead, as `/api` writes it.
fn api_show_time() -> String {
    (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d 18:30")
        .to_string()
}

#[test]
fn a_booking_is_found_by_its_short_reference_on_redb() {
    let (_dir, server) = started();
    a_booking_is_found_by_its_short_reference(&server);
}

/// A walk-up may be sold with no name and no phone: `null` on `/v1`,
/// `"Walk-up"` and `""` on `/api`; a bad phone is still refused, and `/api`
/// and a hold's confirmation still need both.
pub fn a_walk_up_is_sold_without_a_name_or_a_phone(server: &Server) {
    let show = seated_show(server, 2, 4);
    let post = |path: &str, body: &Value| {
        let (status, _, answer) = send(&agent(), "POST", &server.url(path), &[], Some(body));
        (status, answer)
    };
    let (status, walk_up) = post("/v1/bookings", &json!({"showId": show, "seats": ["A1"]}));
    assert_eq!(status, 201, "{walk_up}");
    assert_eq!(walk_up["userName"], Value::Null, "{walk_up}");
    assert_eq!(walk_up["phoneNumber"], Value::Null, "{walk_up}");
    reference_of(&walk_up);
    let (status, nulls) = post(
        "/v1/bookings",
        &json!({"showId": show, "count": 1, "userName": null, "phoneNumber": null}),
    );
    assert_eq!(status, 201, "{nulls}");
    let (status, named) = post(
        "/v1/bookings",
        &json!({"showId": show, "seats": ["B1"], "userName": "Eve"}),
    );
    assert_eq!(status, 201, "{named}");
    assert_eq!(named["userName"], "Eve");
    assert_eq!(named["phoneNumber"], Value::Null);
    for bad in [
        json!({"showId": show, "seats": ["B2"], "phoneNumber": "12"}),
        json!({"showId": show, "seats": ["B2"], "userName": ""}),
        json!({"showId": show, "seats": ["B2"], "userName": 7}),
    ] {
        let (status, problem) = post("/v1/bookings", &bad);
        assert_eq!(status, 422, "{bad}: {problem}");
    }
    let id = walk_up["id"].as_str().unwrap();
    let (status, _, details) = send(
        &agent(),
        "GET",
        &server.url(&format!("/api/user-details?ticketId={id}")),
        &[],
        None,
    );
    assert_eq!(status, 200, "{details}");
    assert_eq!(
        details["userDetails"],
        json!({"userName": "Walk-up", "phoneNumber": ""})
    );
    let (status, _, listed) = send(
        &agent(),
        "GET",
        &server.url(&format!("/api/view-all-tickets?movieId={show}")),
        &[],
        None,
    );
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["allTickets"][0]["userName"], "Walk-up");
    assert_eq!(listed["allTickets"][0]["phoneNumber"], "");
    // /api still needs both; so does a hold's confirmation.
    let (status, refused) = post(
        "/api/book-ticket",
        &json!({"ticketCount": 1, "showTime": api_show_time()}),
    );
    assert_eq!(status, 406, "{refused}");
    let (status, hold) = post("/v1/holds", &json!({"showId": show, "seats": ["B3"]}));
    assert_eq!(status, 201, "{hold}");
    let (status, refused) = post(
        &format!("/v1/holds/{}/confirm", hold["id"].as_str().unwrap()),
        &json!({}),
    );
    assert_eq!(status, 422, "{refused}");
}

#[test]
fn a_walk_up_is_sold_without_a_name_or_a_phone_on_redb() {
    let (_dir, server) = started();
    a_walk_up_is_sold_without_a_name_or_a_phone(&server);
}
