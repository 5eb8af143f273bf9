//! Finding a booking as a clerk does: by phone (its last 9 digits, so with
//! or without the country code) over a real server. The same scenarios run
//! on PostgreSQL from `pg.rs`.

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
