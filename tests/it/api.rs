//! The five routes through Rocket, as an old client uses them: fields, JSON
//! types, statuses and the messages old clients match on.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::support::*;

#[track_caller]
fn message(answer: &(Status, Value)) -> (Status, &str) {
    assert_eq!(answer.1["success"], false, "{}", answer.1);
    (answer.0, answer.1["message"].as_str().expect("a message"))
}

fn is_ulid(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.len() == 26
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c)))
    })
}

#[test]
fn a_booking_answers_with_the_ticket_and_can_be_read_back() {
    let service = local();
    let data = service.book("Asha", 2, SHOW);
    assert_eq!(
        data.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "movieId",
            "phoneNumber",
            "showTime",
            "ticketCount",
            "ticketId",
            "userName"
        ]
    );
    assert_eq!(data["userName"], "Asha");
    assert_eq!(data["phoneNumber"], json!(9876543210u64));
    assert_eq!(data["ticketCount"], 2);
    assert_eq!(data["showTime"], "2030-01-02 18:30:00");
    assert!(
        is_ulid(&data["ticketId"]) && is_ulid(&data["movieId"]),
        "{data}"
    );
    let ticket = data["ticketId"].as_str().unwrap();
    let (status, body) = service.get(&format!("/api/user-details?ticketId={ticket}"));
    assert_eq!(status, Status::Ok);
    assert_eq!(
        body,
        json!({"success": true, "userDetails": {"userName": "Asha", "phoneNumber": 9876543210u64}})
    );
}

#[test]
fn the_phone_number_comes_back_in_the_json_type_it_came_in() {
    let service = local();
    for phone in [
        json!(9876543210u64),
        json!("+91 98765-43210"),
        json!("9876543210"),
    ] {
        let mut body = booking("Asha", 1, SHOW);
        body["phoneNumber"] = phone.clone();
        let (status, answer) = service.post("/api/book-ticket", &body);
        assert_eq!(status, Status::Ok);
        assert_eq!(answer["data"]["phoneNumber"], phone);
        let ticket = answer["data"]["ticketId"].as_str().unwrap();
        let (_, details) = service.get(&format!("/api/user-details?ticketId={ticket}"));
        assert_eq!(details["userDetails"]["phoneNumber"], phone);
    }
}

#[test]
fn every_show_time_spelling_finds_the_same_show() {
    let service = local();
    let first = service.book("Asha", 1, "2030-01-02 18:30");
    for spelling in [
        "2030-01-02 18:30:00",
        "2030-01-02T18:30",
        "2030-01-02T18:30:00.000",
        "2030-01-02T18:30:00Z",
        "2030-01-03T00:00:00+05:30",
    ] {
        let again = service.book("Bo", 1, spelling);
        assert_eq!(again["movieId"], first["movieId"], "{spelling}");
        assert_eq!(again["showTime"], "2030-01-02 18:30:00");
    }
    let (status, show) = service.get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode("2030-01-02T18:30:00Z")
    ));
    assert_eq!(status, Status::Ok);
    assert_eq!(show["ticketCount"], 6);
}

#[test]
fn show_times_are_venue_local_in_the_configured_zone() {
    let service = local_with(|figment| figment.merge(("timezone", "Asia/Kolkata")));
    let data = service.book("Asha", 1, "2030-01-02T13:00:00Z");
    assert_eq!(data["showTime"], "2030-01-02 18:30:00");
    let (status, show) = service.get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode("2030-01-02 18:30")
    ));
    assert_eq!(status, Status::Ok);
    assert_eq!(show["movieId"], data["movieId"]);
}

#[test]
fn view_all_lists_a_show_in_booking_order_with_its_counts() {
    let service = local();
    let names = ["Asha", "Bo", "Chen", "Dara"];
    let ids: Vec<Value> = names
        .iter()
        .map(|name| service.book(name, 2, SHOW)["ticketId"].clone())
        .collect();
    let movie = service.book("Eli", 1, "2030-01-03 10:00")["movieId"].clone();
    assert_ne!(movie, Value::Null);
    let (status, show) = service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW)));
    assert_eq!(status, Status::Ok);
    assert_eq!(show["success"], true);
    assert_eq!(show["showTime"], "2030-01-02 18:30:00");
    assert_eq!(show["ticketCount"], 8);
    assert_eq!(show["capacity"], 20);
    assert_eq!(show["available"], 12);
    let tickets = show["allTickets"].as_array().unwrap();
    assert_eq!(
        tickets
            .iter()
            .map(|t| t["ticketId"].clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        tickets[0],
        json!({"ticketId": ids[0], "userName": "Asha", "phoneNumber": 9876543210u64, "ticketCount": 2, "expired": false})
    );
    let movie_id = show["movieId"].as_str().unwrap();
    let (status, by_id) = service.get(&format!("/api/view-all-tickets?movieId={movie_id}"));
    assert_eq!(status, Status::Ok);
    assert_eq!(by_id, show);
}

#[test]
fn moving_a_ticket_keeps_its_id_and_moves_its_seats() {
    let service = local();
    let booked = service.book("Asha", 3, SHOW);
    let ticket = booked["ticketId"].as_str().unwrap();
    let (status, moved) = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": "2030-01-05 21:00"}),
    );
    assert_eq!(status, Status::Ok, "{moved}");
    assert_eq!(moved["data"]["ticketId"], ticket);
    assert_eq!(moved["data"]["showTime"], "2030-01-05 21:00:00");
    assert_eq!(moved["data"]["ticketCount"], 3);
    assert_ne!(moved["data"]["movieId"], booked["movieId"]);
    let (_, old) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        booked["movieId"].as_str().unwrap()
    ));
    assert_eq!(
        (old["ticketCount"].clone(), old["allTickets"].clone()),
        (json!(0), json!([]))
    );
    let (_, new) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        moved["data"]["movieId"].as_str().unwrap()
    ));
    assert_eq!(new["ticketCount"], 3);
    assert_eq!(new["allTickets"][0]["ticketId"], ticket);
}

#[test]
fn a_refused_move_changes_nothing() {
    let service = local_with(|figment| figment.merge(("capacity", 5)));
    let mover = service.book("Asha", 3, SHOW);
    let full = service.book("Bo", 4, "2030-01-05 21:00");
    let ticket = mover["ticketId"].as_str().unwrap();
    let before = service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW)));
    let answer = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": "2030-01-05 21:00"}),
    );
    assert_eq!(
        message(&answer),
        (Status::NotAcceptable, "Ticket limit exceeded.")
    );
    let past = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": "2029-12-31 23:00"}),
    );
    assert_eq!(
        message(&past),
        (
            Status::BadRequest,
            "Show time cannot be before current time."
        )
    );
    assert_eq!(
        service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW))),
        before
    );
    let (_, target) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        full["movieId"].as_str().unwrap()
    ));
    assert_eq!(target["ticketCount"], 4);
    // A move into a new show that the refusal would have created leaves no show behind.
    let (status, _) = service.get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode("2029-12-31 23:00")
    ));
    assert_eq!(status, Status::NotFound);
}

#[test]
fn moving_to_the_same_show_is_a_no_op() {
    let service = local_with(|figment| figment.merge(("capacity", 3)));
    let booked = service.book("Asha", 3, SHOW);
    let (status, moved) = service.put(
        "/api/update-timing",
        &json!({"ticketId": booked["ticketId"], "newShowTime": "2030-01-02T18:30:00Z"}),
    );
    assert_eq!(
        status,
        Status::Ok,
        "a full show still holds the ticket it already has"
    );
    assert_eq!(moved["data"], booked);
}

#[test]
fn deleting_frees_the_seats_by_delete_or_put() {
    let service = local_with(|figment| figment.merge(("capacity", 4)));
    for method in ["DELETE", "PUT"] {
        let booked = service.book("Asha", 4, SHOW);
        let answer = service.send(
            method,
            "/api/delete-ticket",
            Some(&json!({"ticketId": booked["ticketId"]}).to_string()),
            None,
        );
        assert_eq!(
            answer,
            (
                Status::Ok,
                json!({"success": true, "message": "Ticket Successfully deleted"})
            )
        );
        let gone = service.get(&format!(
            "/api/user-details?ticketId={}",
            booked["ticketId"].as_str().unwrap()
        ));
        assert_eq!(
            message(&gone),
            (Status::NotFound, "Ticket ID does not exist in Database.")
        );
        let again = service.delete(
            "/api/delete-ticket",
            &json!({"ticketId": booked["ticketId"]}),
        );
        assert_eq!(
            message(&again),
            (Status::NotFound, "Ticket ID does not exist in Database.")
        );
    }
    // Both deletions freed all four seats.
    service.book("Bo", 4, SHOW);
}

#[test]
fn the_twenty_first_seat_is_refused() {
    let service = local();
    service.book("Asha", 19, SHOW);
    service.book("Bo", 1, SHOW);
    let answer = service.post("/api/book-ticket", &booking("Chen", 1, SHOW));
    assert_eq!(
        message(&answer),
        (Status::NotAcceptable, "Ticket limit exceeded.")
    );
    let too_many = service.post("/api/book-ticket", &booking("Dara", 21, "2030-01-03 10:00"));
    assert_eq!(
        message(&too_many),
        (Status::NotAcceptable, "Ticket limit exceeded.")
    );
    let huge = service.post(
        "/api/book-ticket",
        &booking("Dara", u64::MAX, "2030-01-03 10:00"),
    );
    assert_eq!(
        message(&huge),
        (Status::NotAcceptable, "Ticket limit exceeded.")
    );
    // A refused booking leaves no empty show behind.
    let (status, _) = service.get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode("2030-01-03 10:00")
    ));
    assert_eq!(status, Status::NotFound);
}

#[test]
fn every_message_of_the_table_word_for_word() {
    let service = local();
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let post = |body: Value| service.post("/api/book-ticket", &body);
    let without = |field: &str| {
        let mut body = booking("Asha", 1, SHOW);
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let with = |field: &str, value: Value| {
        let mut body = booking("Asha", 1, SHOW);
        body[field] = value;
        body
    };
    let cases: Vec<((Status, Value), Status, &str)> = vec![
        (
            post(without("phoneNumber")),
            Status::NotAcceptable,
            "Phone number cannot be null.",
        ),
        (
            post(with("phoneNumber", json!(""))),
            Status::NotAcceptable,
            "Phone number cannot be null.",
        ),
        (
            post(with("phoneNumber", Value::Null)),
            Status::NotAcceptable,
            "Phone number cannot be null.",
        ),
        (
            post(without("userName")),
            Status::NotAcceptable,
            "userName cannot be null.",
        ),
        (
            post(with("userName", json!(""))),
            Status::NotAcceptable,
            "userName cannot be null.",
        ),
        (
            post(without("ticketCount")),
            Status::NotAcceptable,
            "Please provide a valid ticket count",
        ),
        (
            post(with("ticketCount", json!("2"))),
            Status::NotAcceptable,
            "Please provide a valid ticket count",
        ),
        (
            post(with("ticketCount", json!(0))),
            Status::NotAcceptable,
            "Please provide a valid ticket count",
        ),
        (
            post(with("ticketCount", json!(1.5))),
            Status::NotAcceptable,
            "Please provide a valid ticket count",
        ),
        (
            post(with("showTime", json!("2029-12-31 23:59"))),
            Status::BadRequest,
            "Show time cannot be before current time.",
        ),
        (
            service.get("/api/user-details?ticketId=not-an-id"),
            Status::NotAcceptable,
            "Ticket ID is not valid.",
        ),
        (
            service.delete("/api/delete-ticket", &json!({"ticketId": 42})),
            Status::NotAcceptable,
            "Ticket ID is not valid.",
        ),
        (
            service.put(
                "/api/update-timing",
                &json!({"ticketId": "01arz3ndektsv4rrffq69g5fav", "newShowTime": SHOW}),
            ),
            Status::NotAcceptable,
            "Ticket ID is not valid.",
        ),
        (
            service.get("/api/view-all-tickets?movieId=123"),
            Status::NotAcceptable,
            "Movie ID is not valid.",
        ),
        (
            service.get(&format!("/api/user-details?ticketId={unknown}")),
            Status::NotFound,
            "Ticket ID does not exist in Database.",
        ),
        (
            service.put(
                "/api/update-timing",
                &json!({"ticketId": unknown, "newShowTime": SHOW}),
            ),
            Status::NotFound,
            "Ticket ID does not exist in Database.",
        ),
        (
            service.get(&format!("/api/view-all-tickets?movieId={unknown}")),
            Status::NotFound,
            "Movie ID does not exist in Database.",
        ),
        (
            service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW))),
            Status::NotFound,
            "Could not find a movie that match provided details.",
        ),
        (
            service.get("/api/view-all-tickets"),
            Status::BadRequest,
            "Please pass one of the params (movieId or showTime)",
        ),
    ];
    for (answer, status, text) in &cases {
        assert_eq!(message(answer), (*status, *text), "{}", answer.1);
    }
}

#[test]
fn an_unparsable_show_time_is_406_quoting_it() {
    let service = local();
    let mut body = booking("Asha", 1, "next tuesday");
    let answer = service.post("/api/book-ticket", &body);
    let (status, text) = message(&answer);
    assert_eq!(status, Status::NotAcceptable);
    assert!(text.contains("\"next tuesday\""), "{text}");
    body["showTime"] = json!(20300102);
    assert_eq!(
        service.post("/api/book-ticket", &body).0,
        Status::NotAcceptable
    );
    let answer = service.get("/api/view-all-tickets?showTime=soon");
    assert_eq!(message(&answer).0, Status::NotAcceptable);
    assert!(message(&answer).1.contains("\"soon\""));
}

#[test]
fn unknown_fields_are_ignored_and_never_stored() {
    let service = local();
    let mut body = booking("Asha", 1, SHOW);
    body["isAdmin"] = json!(true);
    body["$where"] = json!("sleep(1000)");
    let (status, answer) = service.post("/api/book-ticket", &body);
    assert_eq!(status, Status::Ok);
    assert!(answer["data"].get("isAdmin").is_none());
    let (_, show) = service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW)));
    assert!(!show.to_string().contains("isAdmin") && !show.to_string().contains("sleep"));
}

#[test]
fn malformed_requests_get_the_json_envelope() {
    let service = local();
    for (method, uri, body, status) in [
        (
            "POST",
            "/api/book-ticket",
            Some("{not json"),
            Status::BadRequest,
        ),
        ("POST", "/api/book-ticket", Some(""), Status::BadRequest),
        ("POST", "/api/book-ticket", Some("null"), Status::BadRequest),
        (
            "POST",
            "/api/book-ticket",
            Some("[1, 2]"),
            Status::BadRequest,
        ),
        (
            "PUT",
            "/api/update-timing",
            Some("\"text\""),
            Status::BadRequest,
        ),
        (
            "DELETE",
            "/api/delete-ticket",
            Some("17"),
            Status::BadRequest,
        ),
        ("GET", "/api/no-such-route", None, Status::NotFound),
        ("GET", "/definitely/not/here", None, Status::NotFound),
        ("GET", "/api/user-details", None, Status::BadRequest),
    ] {
        let answer = service.send(method, uri, body, None);
        assert_eq!(answer.0, status, "{method} {uri} {body:?}: {}", answer.1);
        assert_eq!(answer.1["success"], false);
        assert!(answer.1["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn a_body_over_the_limit_is_413() {
    let service = local();
    let mut body = booking("Asha", 1, SHOW);
    body["padding"] = json!("x".repeat(64 * 1024));
    let answer = service.post("/api/book-ticket", &body);
    assert_eq!(message(&answer).0, Status::PayloadTooLarge);
}

#[test]
fn a_wrong_method_is_405_with_allow() {
    let service = local();
    for (method, uri, allow) in [
        ("GET", "/api/book-ticket", "POST"),
        ("POST", "/api/delete-ticket", "DELETE, PUT"),
        ("DELETE", "/api/user-details", "GET, HEAD"),
        ("PATCH", "/api/update-timing", "PUT"),
    ] {
        let response = service.client.req(method.parse().unwrap(), uri).dispatch();
        assert_eq!(
            response.status(),
            Status::MethodNotAllowed,
            "{method} {uri}"
        );
        assert_eq!(
            response.headers().get_one("Allow"),
            Some(allow),
            "{method} {uri}"
        );
        let body: Value = serde_json::from_str(&response.into_string().unwrap()).unwrap();
        assert_eq!(body["success"], false);
    }
}

#[test]
fn with_a_token_every_api_route_needs_it_and_docs_stay_public() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    let booked = json!(booking("Asha", 1, SHOW)).to_string();
    let ticket = json!({"ticketId": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}).to_string();
    let routes: [(&str, &str, Option<&str>); 6] = [
        ("POST", "/api/book-ticket", Some(&booked)),
        ("PUT", "/api/update-timing", Some(&ticket)),
        (
            "GET",
            "/api/view-all-tickets?showTime=2030-01-02%2018:30",
            None,
        ),
        ("DELETE", "/api/delete-ticket", Some(&ticket)),
        ("PUT", "/api/delete-ticket", Some(&ticket)),
        (
            "GET",
            "/api/user-details?ticketId=01ARZ3NDEKTSV4RRFFQ69G5FAV",
            None,
        ),
    ];
    for (method, uri, body) in routes {
        for token in [None, Some("wrong"), Some("s3cre"), Some("s3cret ")] {
            let answer = service.send(method, uri, body, token);
            assert_eq!(
                message(&answer),
                (Status::Unauthorized, "Invalid Auth token"),
                "{method} {uri} {token:?}"
            );
            // The old service's key, beside the envelope's.
            assert_eq!(answer.1["response"], "Invalid Auth token", "{method} {uri}");
        }
        let answer = service.send(method, uri, body, Some("s3cret"));
        assert_ne!(answer.0, Status::Unauthorized, "{method} {uri}");
    }
    // The refused booking wrote nothing; the authorised one did.
    let (status, show) = service.send(
        "GET",
        "/api/view-all-tickets?showTime=2030-01-02%2018:30",
        None,
        Some("s3cret"),
    );
    assert_eq!(
        (status, show["ticketCount"].clone()),
        (Status::Ok, json!(1))
    );
    assert_eq!(
        service.client.get("/openapi.json").dispatch().status(),
        Status::Ok
    );
    assert_eq!(
        service.client.get("/index.html").dispatch().status(),
        Status::Ok
    );
}

#[test]
fn a_restart_on_the_same_file_keeps_everything() {
    let service = local();
    let booked = service.book("Asha", 2, SHOW);
    let before = service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW)));
    let service = service.restart(|figment| figment);
    assert_eq!(
        service.get(&format!("/api/view-all-tickets?showTime={}", encode(SHOW))),
        before
    );
    let (status, _) = service.get(&format!(
        "/api/user-details?ticketId={}",
        booked["ticketId"].as_str().unwrap()
    ));
    assert_eq!(status, Status::Ok);
}
