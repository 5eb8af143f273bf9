//! `/v1` through Rocket: screens with seat maps, films, shows, bookings by
//! seat and by count, lists and their cursors, idempotent writes, roles, and
//! every refusal as a problem document that changes nothing.

use boxoffice::domain::staff::Actor;
use std::collections::BTreeSet;

use boxoffice::domain::{FilmId, ScreenId};
use boxoffice::usecases::cinema::NewShow;
use boxoffice::App;
use rocket::http::Status;
use serde_json::{json, Value};

use crate::model::runtime;
use crate::support::*;

/// A film's runtime in the tests; with the 15-minute turnaround a show keeps
/// its screen for 2 h 15 min.
const RUNTIME: u32 = 120;
const START: &str = "2030-01-02 18:30";
const START_RFC3339: &str = "2030-01-02T18:30:00+00:00";

/// A well-formed id that nothing has.
const UNKNOWN: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

#[track_caller]
fn v1(service: &Local, method: &str, uri: &str, body: Option<&Value>) -> Received {
    with_headers(service, method, uri, body, &[])
}

#[track_caller]
fn with_headers(
    service: &Local,
    method: &str,
    uri: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Received {
    let body = body.map(Value::to_string);
    service.request(method, uri, body.as_deref(), headers)
}

/// POSTs `body`, insists on 201 with a `Location` that reads the record
/// back; returns the record.
#[track_caller]
fn created(service: &Local, uri: &str, body: &Value) -> Value {
    let answer = v1(service, "POST", uri, Some(body));
    assert_eq!(answer.status, Status::Created, "{uri}: {}", answer.text);
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    let location = answer.header("Location").expect("a Location").to_owned();
    assert_eq!(
        location,
        format!("{uri}/{}", answer.body["id"].as_str().unwrap())
    );
    let again = v1(service, "GET", &location, None);
    assert_eq!(again.status, Status::Ok, "{}", again.text);
    assert_eq!(again.body, answer.body);
    answer.body
}

#[track_caller]
fn read(service: &Local, uri: &str) -> Value {
    let answer = v1(service, "GET", uri, None);
    assert_eq!(answer.status, Status::Ok, "{uri}: {}", answer.text);
    answer.body
}

/// Insists that `answer` is the problem `slug` with `status`; returns its detail.
#[track_caller]
fn problem(answer: &Received, status: u16, slug: &str) -> String {
    assert_eq!(answer.status.code, status, "{}", answer.text);
    assert_eq!(
        answer.header("Content-Type"),
        Some("application/problem+json"),
        "{}",
        answer.text
    );
    let body = answer.body.as_object().expect("an object");
    assert_eq!(
        body["type"],
        format!("urn:boxoffice:{slug}"),
        "{}",
        answer.text
    );
    assert_eq!(body["status"], status);
    assert!(body["title"]
        .as_str()
        .is_some_and(|title| !title.is_empty()));
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.ends_with('.'), "{detail:?} is a sentence");
    for key in body.keys() {
        assert!(
            ["type", "title", "status", "detail", "seats"].contains(&key.as_str()),
            "{key} in {}",
            answer.text
        );
    }
    detail.to_owned()
}

/// Rows A–L of 14 seats; A1 and A14 are wheelchair places with companion
/// seats A2 and A13 beside them; E7 is blocked.
fn seat_map() -> Value {
    let rows: Vec<Value> = ('A'..='L')
        .map(|label| {
            let seats: Vec<Value> = (1..=14)
                .map(|number| {
                    let mut seat = json!({ "number": number.to_string() });
                    match (label, number) {
                        ('A', 1 | 14) => seat["kind"] = json!("wheelchair"),
                        ('A', 2 | 13) => seat["kind"] = json!("companion"),
                        ('E', 7) => seat["blocked"] = json!(true),
                        _ => {}
                    }
                    seat
                })
                .collect();
            json!({ "label": label.to_string(), "seats": seats })
        })
        .collect();
    Value::Array(rows)
}

/// A seat-map screen and a film.
struct Cinema {
    screen: String,
    film: String,
}

#[track_caller]
fn cinema(service: &Local) -> Cinema {
    let screen = created(
        service,
        "/v1/screens",
        &json!({"name": "Screen 1", "rows": seat_map()}),
    );
    let film = created(
        service,
        "/v1/films",
        &json!({"title": "Vertigo", "runtimeMinutes": RUNTIME, "rating": "PG"}),
    );
    Cinema {
        screen: screen["id"].as_str().unwrap().to_owned(),
        film: film["id"].as_str().unwrap().to_owned(),
    }
}

#[track_caller]
fn show(service: &Local, screen: &str, film: &str, start: &str) -> Value {
    created(
        service,
        "/v1/shows",
        &json!({"screenId": screen, "filmId": film, "start": start}),
    )
}

fn buyer(mut body: Value) -> Value {
    body["userName"] = json!("Asha");
    body["phoneNumber"] = json!("+91 98765 43210");
    body
}

#[track_caller]
fn book(service: &Local, show: &Value, seats: Value) -> Value {
    let mut body = buyer(json!({"showId": show["id"]}));
    match seats {
        Value::Number(count) => body["count"] = Value::Number(count),
        seats => body["seats"] = seats,
    }
    created(service, "/v1/bookings", &body)
}

/// The seats of a show in state `state`.
#[track_caller]
fn seats_in(service: &Local, show: &Value, state: &str) -> Vec<String> {
    let seats = read(
        service,
        &format!("/v1/shows/{}/seats", show["id"].as_str().unwrap()),
    );
    seats
        .as_array()
        .unwrap()
        .iter()
        .filter(|seat| seat["state"] == state)
        .map(|seat| seat["seat"].as_str().unwrap().to_owned())
        .collect()
}

/// Everything `/v1` shows, to compare before and after a refusal.
fn everything(service: &Local) -> Vec<String> {
    let mut seen = Vec::new();
    for list in [
        "/v1/screens?limit=500",
        "/v1/films?limit=500",
        "/v1/shows?limit=500",
    ] {
        let answer = v1(service, "GET", list, None);
        seen.push(answer.text.clone());
        if list.starts_with("/v1/shows") {
            for show in answer.body["items"].as_array().unwrap() {
                let id = show["id"].as_str().unwrap();
                for part in ["seats", "bookings?limit=500"] {
                    seen.push(v1(service, "GET", &format!("/v1/shows/{id}/{part}"), None).text);
                }
            }
        }
    }
    seen
}

#[test]
fn a_screen_with_a_seat_map_answers_its_rows_and_capacity() {
    let service = local();
    let screen = created(
        &service,
        "/v1/screens",
        &json!({"name": "  Screen 1 ", "rows": seat_map(), "ignored": true}),
    );
    assert_eq!(screen["name"], "Screen 1");
    assert_eq!(screen["capacity"], 12 * 14 - 1);
    let rows = screen["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["label"], "A");
    assert_eq!(
        rows[0]["seats"][0],
        json!({"number": "1", "kind": "wheelchair", "blocked": false, "aisleAfter": false})
    );
    assert_eq!(rows[0]["seats"][1]["kind"], "companion");
    assert_eq!(rows[4]["seats"][6]["blocked"], true);
    assert_eq!(rows[11]["seats"][13]["kind"], "standard");
    let general = created(
        &service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 80}),
    );
    assert_eq!(general.get("rows"), None);
    assert_eq!(general["capacity"], 80);
    let screens = read(&service, "/v1/screens");
    let ids: Vec<&Value> = screens["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|screen| &screen["id"])
        .collect();
    assert_eq!(ids, [&json!("default"), &screen["id"], &general["id"]]);
    assert_eq!(screens["nextCursor"], Value::Null);
    let renamed = v1(
        &service,
        "PATCH",
        &format!("/v1/screens/{}", general["id"].as_str().unwrap()),
        Some(&json!({"name": "Hall 2", "capacity": 90})),
    );
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.text);
    assert_eq!(renamed.body["capacity"], 90);
    let gone = v1(
        &service,
        "DELETE",
        &format!("/v1/screens/{}", general["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(gone.status, Status::NoContent);
    assert_eq!(gone.text, "");
    assert_eq!(gone.header("Content-Type"), None);
}

#[test]
fn a_full_size_seat_map_fits_although_it_is_larger_than_a_booking_may_be() {
    let service = local();
    // 2,000 seats spelled out in full: about 140 KB.
    let rows: Vec<Value> = (0..100)
        .map(|row| {
            let label: String = [b'A' + row / 26, b'A' + row % 26]
                .iter()
                .map(|b| char::from(*b))
                .collect();
            let seats: Vec<Value> = (1..=20)
                .map(|n| json!({"number": n.to_string(), "kind": "standard", "blocked": false, "aisleAfter": false}))
                .collect();
            json!({"label": label, "seats": seats})
        })
        .collect();
    let screen = created(
        &service,
        "/v1/screens",
        &json!({"name": "IMAX", "rows": rows}),
    );
    assert_eq!(screen["capacity"], 2000);
}

#[test]
fn two_screens_show_at_once_but_one_screen_never_overlaps() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let hall = created(
        &service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 50}),
    );
    let hall = hall["id"].as_str().unwrap();
    let first = show(&service, &screen, &film, START);
    let second = show(&service, hall, &film, START);
    assert_eq!(
        first,
        json!({
            "id": first["id"], "screenId": screen, "filmId": film,
            "start": START_RFC3339, "end": "2030-01-02T20:30:00+00:00",
            "capacity": 167, "sold": 0, "held": 0, "available": 167, "priceCardId": null,
        })
    );
    assert_eq!(second["capacity"], 50);
    // 18:30 + 120 min + 15 min turnaround: the screen is busy until 20:45.
    let body = json!({"screenId": screen, "filmId": film, "start": "2030-01-02 20:44"});
    let busy = v1(&service, "POST", "/v1/shows", Some(&body));
    problem(&busy, 409, "screen-busy");
    let earlier = json!({"screenId": screen, "filmId": film, "start": "2030-01-02 16:20"});
    problem(
        &v1(&service, "POST", "/v1/shows", Some(&earlier)),
        409,
        "screen-busy",
    );
    let next = show(&service, &screen, &film, "2030-01-02 20:45");
    book(&service, &first, json!(["F7", "F8"]));
    book(&service, &second, json!(3));
    let shows = read(&service, "/v1/shows");
    let counts: Vec<(Value, Value, Value, Value)> = shows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|show| {
            (
                show["capacity"].clone(),
                show["sold"].clone(),
                show["held"].clone(),
                show["available"].clone(),
            )
        })
        .collect();
    let mut expected = vec![
        (json!(167), json!(2), json!(0), json!(165)),
        (json!(50), json!(3), json!(0), json!(47)),
    ];
    // Two shows start together: they come in id order.
    if first["id"].as_str() > second["id"].as_str() {
        expected.swap(0, 1);
    }
    expected.push((json!(167), json!(0), json!(0), json!(167)));
    assert_eq!(counts, expected);
    assert_eq!(shows["items"][2]["id"], next["id"]);
}

#[test]
fn show_times_are_written_with_the_venues_offset() {
    let service = local_with(|figment| figment.merge(("timezone", "Asia/Kolkata")));
    let Cinema { screen, film } = cinema(&service);
    let local = show(&service, &screen, &film, START);
    assert_eq!(local["start"], "2030-01-02T18:30:00+05:30");
    assert_eq!(local["end"], "2030-01-02T20:30:00+05:30");
    let absolute = show(&service, &screen, &film, "2030-01-03T13:00:00Z");
    assert_eq!(absolute["start"], "2030-01-03T18:30:00+05:30");
}

#[test]
fn shows_are_filtered_by_time_screen_and_film() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let other_film = created(
        &service,
        "/v1/films",
        &json!({"title": "Rope", "runtimeMinutes": 80}),
    );
    let other_film = other_film["id"].as_str().unwrap();
    assert_eq!(
        read(&service, &format!("/v1/films/{other_film}"))["rating"],
        Value::Null
    );
    let hall = created(
        &service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 50}),
    );
    let hall = hall["id"].as_str().unwrap();
    let a = show(&service, &screen, &film, "2030-01-02 10:00");
    let b = show(&service, hall, other_film, "2030-01-02 14:00");
    let c = show(&service, &screen, other_film, "2030-01-02 18:00");
    let ids = |query: &str| -> Vec<Value> {
        read(&service, &format!("/v1/shows{query}"))["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|show| show["id"].clone())
            .collect()
    };
    let (a, b, c) = (a["id"].clone(), b["id"].clone(), c["id"].clone());
    assert_eq!(ids(""), [a.clone(), b.clone(), c.clone()]);
    let from = encode("2030-01-02 14:00");
    let to = encode("2030-01-02T18:00:00+00:00");
    assert_eq!(ids(&format!("?from={from}")), [b.clone(), c.clone()]);
    assert_eq!(ids(&format!("?to={to}")), [a.clone(), b.clone()]);
    assert_eq!(
        ids(&format!("?from={from}&to={to}")),
        std::slice::from_ref(&b)
    );
    assert_eq!(ids(&format!("?screenId={screen}")), [a.clone(), c.clone()]);
    assert_eq!(
        ids(&format!("?filmId={other_film}")),
        [b.clone(), c.clone()]
    );
    assert_eq!(ids(&format!("?screenId={screen}&filmId={film}")), [a]);
    assert_eq!(ids("?screenId=default"), Vec::<Value>::new());
    assert_eq!(ids(&format!("?filmId={UNKNOWN}")), Vec::<Value>::new());
    assert_eq!(
        ids("?screenId=00000000000000000000000000"),
        Vec::<Value>::new()
    );
}

#[test]
fn two_thousand_shows_page_through_once_each_in_start_order() {
    let service = local_with(|figment| figment.merge(("turnaround", "0s")));
    let film = created(
        &service,
        "/v1/films",
        &json!({"title": "Short", "runtimeMinutes": 30}),
    );
    let film = FilmId::parse(film["id"].as_str().unwrap()).unwrap();
    let screens: Vec<ScreenId> = (0..4)
        .map(|n| {
            let screen = created(
                &service,
                "/v1/screens",
                &json!({"name": format!("Hall {n}"), "capacity": 10}),
            );
            ScreenId::parse(screen["id"].as_str().unwrap()).unwrap()
        })
        .collect();
    let app = service.client.rocket().state::<App>().expect("state");
    // 500 half-hour slots on each of four screens, created out of order so
    // that ids do not follow start times; same-time shows tie on start.
    let mut created = Vec::new();
    let operator = Actor::operator();
    runtime().block_on(async {
        for chunk in (0..2000u32).collect::<Vec<_>>().chunks(250) {
            let writes = chunk.iter().map(|&n| {
                // n / 4 runs over 0..500 on each screen; 7919 is prime to
                // 500, so the slots of a screen are all different.
                let slot = i64::from((n / 4 * 7919) % 500);
                let show = NewShow {
                    screen: screens[(n % 4) as usize],
                    film,
                    starts_at: NOW + HOUR + slot * HOUR / 2,
                    price_card: None,
                };
                app.bookings.create_show(show, &operator, None)
            });
            for written in futures::future::join_all(writes).await {
                created.push(written.expect("created").fresh().expect("fresh").show);
            }
        }
    });
    assert_eq!(created.len(), 2000);
    for limit in [500, 37] {
        let mut seen = Vec::new();
        let mut uri = format!("/v1/shows?limit={limit}");
        loop {
            let page = read(&service, &uri);
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= limit);
            seen.extend(items.iter().map(|show| {
                (
                    show["start"].as_str().unwrap().to_owned(),
                    show["id"].as_str().unwrap().to_owned(),
                )
            }));
            match page["nextCursor"].as_str() {
                Some(cursor) => uri = format!("/v1/shows?limit={limit}&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 2000, "limit {limit}");
        let unique: BTreeSet<&String> = seen.iter().map(|(_, id)| id).collect();
        assert_eq!(unique.len(), 2000, "limit {limit}: every show once");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "limit {limit}: start order, then id");
    }
}

#[test]
fn seats_by_name_and_the_best_block_by_count() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let named = book(&service, &show, json!(["F7", "F8"]));
    assert_eq!(
        named,
        json!({
            "id": named["id"], "showId": show["id"], "seats": ["F7", "F8"], "count": 2,
            "userName": "Asha", "phoneNumber": "+91 98765 43210",
            "createdAt": "2030-01-01T00:00:00+00:00", "reference": named["reference"],
            "lines": [
                {"id": 1, "seat": "F7", "type": named["lines"][0]["type"], "price": 0, "tax": 0, "taxRate": 0, "state": "sold"},
                {"id": 2, "seat": "F8", "type": named["lines"][0]["type"], "price": 0, "tax": 0, "taxRate": 0, "state": "sold"},
            ],
            "total": 0, "currency": "EUR",
        })
    );
    // Row H is round(2 × 11 / 3) = 7 from the screen; its middle block of four.
    let counted = book(&service, &show, json!(4));
    assert_eq!(counted["seats"], json!(["H6", "H7", "H8", "H9"]));
    assert_eq!(counted["count"], 4);
    assert_eq!(
        seats_in(&service, &show, "sold"),
        ["F7", "F8", "H6", "H7", "H8", "H9"]
    );
    assert_eq!(seats_in(&service, &show, "blocked"), ["E7"]);
    assert_eq!(seats_in(&service, &show, "free").len(), 167 - 6);
    let seats = read(
        &service,
        &format!("/v1/shows/{}/seats", show["id"].as_str().unwrap()),
    );
    assert_eq!(
        seats[0],
        json!({"seat": "A1", "row": "A", "number": "1", "kind": "wheelchair", "state": "free", "aisleAfter": false})
    );
    let after = read(
        &service,
        &format!("/v1/shows/{}", show["id"].as_str().unwrap()),
    );
    assert_eq!(
        (after["sold"].clone(), after["available"].clone()),
        (json!(6), json!(161))
    );
    // A number keeps its type.
    let mut body = buyer(json!({"showId": show["id"], "seats": ["A1", "A2"]}));
    body["phoneNumber"] = json!(9876543210u64);
    let wheelchair = created(&service, "/v1/bookings", &body);
    assert_eq!(wheelchair["phoneNumber"], json!(9876543210u64));
    let listed = read(
        &service,
        &format!("/v1/shows/{}/bookings", show["id"].as_str().unwrap()),
    );
    assert_eq!(listed["items"], json!([named, counted, wheelchair]));
}

#[test]
fn a_general_admission_show_sells_by_count_with_no_seats() {
    let service = local();
    let hall = created(
        &service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 3}),
    );
    let film = created(
        &service,
        "/v1/films",
        &json!({"title": "Rope", "runtimeMinutes": 80}),
    );
    let show = show(
        &service,
        hall["id"].as_str().unwrap(),
        film["id"].as_str().unwrap(),
        START,
    );
    let booking = book(&service, &show, json!(3));
    assert_eq!(booking["seats"], json!([]));
    assert_eq!(seats_in(&service, &show, "free"), Vec::<String>::new());
    let more = buyer(json!({"showId": show["id"], "count": 1}));
    problem(
        &v1(&service, "POST", "/v1/bookings", Some(&more)),
        409,
        "not-enough-seats",
    );
}

#[test]
fn moving_a_booking_keeps_its_id_and_frees_its_seats() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let early = show(&service, &screen, &film, START);
    let late = show(&service, &screen, &film, "2030-01-02 21:00");
    let booking = book(&service, &early, json!(["F7", "F8"]));
    let id = booking["id"].as_str().unwrap();
    let moved = v1(
        &service,
        "PATCH",
        &format!("/v1/bookings/{id}"),
        Some(&json!({"showId": late["id"], "seats": ["G1", "G2", "G3"]})),
    );
    assert_eq!(moved.status, Status::Ok, "{}", moved.text);
    assert_eq!(moved.body["id"], booking["id"]);
    assert_eq!(moved.body["showId"], late["id"]);
    assert_eq!(moved.body["count"], 3);
    assert_eq!(seats_in(&service, &early, "sold"), Vec::<String>::new());
    assert_eq!(seats_in(&service, &late, "sold"), ["G1", "G2", "G3"]);
    // Back again with the show alone: the same count, the best block.
    let back = v1(
        &service,
        "PATCH",
        &format!("/v1/bookings/{id}"),
        Some(&json!({"showId": early["id"]})),
    );
    assert_eq!(back.status, Status::Ok, "{}", back.text);
    assert_eq!(back.body["seats"], json!(["H6", "H7", "H8"]));
    assert_eq!(seats_in(&service, &late, "sold"), Vec::<String>::new());
    assert_eq!(read(&service, &format!("/v1/bookings/{id}")), back.body);
}

#[test]
fn a_cancelled_booking_frees_its_seats() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let booking = book(&service, &show, json!(["F7", "F8"]));
    let uri = format!("/v1/bookings/{}", booking["id"].as_str().unwrap());
    let cancelled = v1(&service, "DELETE", &uri, None);
    assert_eq!(cancelled.status, Status::NoContent);
    assert_eq!(cancelled.text, "");
    assert_eq!(seats_in(&service, &show, "sold"), Vec::<String>::new());
    problem(&v1(&service, "GET", &uri, None), 404, "not-found");
    problem(&v1(&service, "DELETE", &uri, None), 404, "not-found");
    book(&service, &show, json!(["F7", "F8"]));
}

#[test]
fn taken_seats_are_named_and_unknown_ones_refused() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    book(&service, &show, json!(["F7", "F8"]));
    let taken = buyer(json!({"showId": show["id"], "seats": ["F6", "F7", "F8"]}));
    let answer = v1(&service, "POST", "/v1/bookings", Some(&taken));
    problem(&answer, 409, "seats-taken");
    assert_eq!(answer.body["seats"], json!(["F7", "F8"]));
    let blocked = buyer(json!({"showId": show["id"], "seats": ["E7"]}));
    let answer = v1(&service, "POST", "/v1/bookings", Some(&blocked));
    problem(&answer, 409, "seats-taken");
    assert_eq!(answer.body["seats"], json!(["E7"]));
    let unknown = buyer(json!({"showId": show["id"], "seats": ["F7", "Z99", "f9"]}));
    let detail = problem(
        &v1(&service, "POST", "/v1/bookings", Some(&unknown)),
        422,
        "invalid",
    );
    assert_eq!(detail, "No such seats on this screen: Z99, f9.");
    assert_eq!(seats_in(&service, &show, "sold"), ["F7", "F8"]);
}

#[test]
fn bookings_stop_at_the_start_and_expire_later() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let booking = book(&service, &show, json!(["F7"]));
    let start = boxoffice::domain::time::parse_show_time(START, chrono_tz::UTC).unwrap();
    let body = buyer(json!({"showId": show["id"], "count": 2}));
    service.clock.set(start);
    problem(
        &v1(&service, "POST", "/v1/bookings", Some(&body)),
        409,
        "show-started",
    );
    let uri = format!("/v1/bookings/{}", booking["id"].as_str().unwrap());
    let seats = json!({"seats": ["F9"]});
    problem(
        &v1(&service, "PATCH", &uri, Some(&seats)),
        409,
        "show-started",
    );
    service.clock.set(start + 8 * HOUR);
    problem(
        &v1(&service, "POST", "/v1/bookings", Some(&body)),
        410,
        "expired",
    );
    problem(&v1(&service, "PATCH", &uri, Some(&seats)), 410, "expired");
    assert_eq!(seats_in(&service, &show, "sold"), ["F7"]);
}

#[test]
fn the_same_key_twice_books_once_and_answers_the_same() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let body = buyer(json!({"showId": show["id"], "seats": ["F7", "F8"]}));
    let key = [("Idempotency-Key", "booking-1")];
    let first = with_headers(&service, "POST", "/v1/bookings", Some(&body), &key);
    assert_eq!(first.status, Status::Created, "{}", first.text);
    assert_eq!(first.header("Idempotent-Replayed"), None);
    let again = with_headers(&service, "POST", "/v1/bookings", Some(&body), &key);
    assert_eq!(again.status, Status::Created);
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("Location"), first.header("Location"));
    assert_eq!(again.header("Content-Type"), Some("application/json"));
    let listed = read(
        &service,
        &format!("/v1/shows/{}/bookings", show["id"].as_str().unwrap()),
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        read(
            &service,
            &format!("/v1/shows/{}", show["id"].as_str().unwrap())
        )["sold"],
        2
    );
    // The same key for another request.
    let other = buyer(json!({"showId": show["id"], "seats": ["F9"]}));
    let mismatch = with_headers(&service, "POST", "/v1/bookings", Some(&other), &key);
    problem(&mismatch, 422, "idempotency-mismatch");
    // A refusal on the stored state is kept too, and sent again as it was.
    let taken_key = [("Idempotency-Key", "booking-2")];
    let refused = with_headers(&service, "POST", "/v1/bookings", Some(&body), &taken_key);
    problem(&refused, 409, "seats-taken");
    let id = first.body["id"].as_str().unwrap();
    let cancel_key = [("Idempotency-Key", "cancel-1")];
    let uri = format!("/v1/bookings/{id}");
    assert_eq!(
        with_headers(&service, "DELETE", &uri, None, &cancel_key).status,
        Status::NoContent
    );
    let cancelled_again = with_headers(&service, "DELETE", &uri, None, &cancel_key);
    assert_eq!(cancelled_again.status, Status::NoContent);
    assert_eq!(cancelled_again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(cancelled_again.text, "");
    let replayed = with_headers(&service, "POST", "/v1/bookings", Some(&body), &taken_key);
    problem(&replayed, 409, "seats-taken");
    assert_eq!(replayed.text, refused.text);
    assert_eq!(replayed.header("Idempotent-Replayed"), Some("true"));
    // A malformed key is a field out of range.
    let long = "k".repeat(256);
    let malformed = [("Idempotency-Key", long.as_str())];
    problem(
        &with_headers(&service, "POST", "/v1/bookings", Some(&body), &malformed),
        422,
        "invalid",
    );
    assert_eq!(seats_in(&service, &show, "sold"), Vec::<String>::new());
}

#[test]
fn the_same_key_on_api_book_ticket_answers_in_the_envelope() {
    let service = local();
    let body = booking("Asha", 2, SHOW).to_string();
    let key = [("Idempotency-Key", "ticket-1")];
    let first = service.request("POST", "/api/book-ticket", Some(&body), &key);
    assert_eq!(first.status, Status::Ok, "{}", first.text);
    let again = service.request("POST", "/api/book-ticket", Some(&body), &key);
    assert_eq!(again.status, Status::Ok);
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(again.header("Content-Type"), Some("application/json"));
    let (_, show) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        first.body["data"]["movieId"].as_str().unwrap()
    ));
    assert_eq!(show["ticketCount"], 2);
    let other = booking("Bo", 1, SHOW).to_string();
    let mismatch = service.request("POST", "/api/book-ticket", Some(&other), &key);
    assert_eq!(mismatch.status.code, 422);
    assert_eq!(mismatch.body["success"], false);
    assert_eq!(
        mismatch.body["message"],
        "Refused: this Idempotency-Key was used for a different request."
    );
    let malformed = service.request(
        "POST",
        "/api/book-ticket",
        Some(&body),
        &[("Idempotency-Key", "tab\there")],
    );
    assert_eq!(malformed.status, Status::BadRequest);
    assert_eq!(malformed.body["success"], false);
    assert_eq!(
        malformed.body["message"],
        "Idempotency-Key must be 1 to 255 printable ASCII characters."
    );
}

#[test]
fn roles_decide_who_may_change_the_catalogue() {
    let service = local_with(|figment| {
        figment
            .merge(("api_token", "clerk-token"))
            .merge(("admin_token", "admin-token"))
    });
    let clerk = [("X-Auth-Token", "clerk-token")];
    let clerk_bearer = [("Authorization", "Bearer clerk-token")];
    let admin = [("X-Auth-Token", "admin-token")];
    let admin_bearer = [("Authorization", "Bearer admin-token")];
    let hall = json!({"name": "Hall", "capacity": 10});
    let no_token = v1(&service, "GET", "/v1/screens", None);
    problem(&no_token, 401, "unauthorized");
    assert_eq!(no_token.header("WWW-Authenticate"), Some("Bearer"));
    for wrong in [
        [("X-Auth-Token", "guess")],
        [("Authorization", "Bearer guess")],
    ] {
        problem(
            &with_headers(&service, "GET", "/v1/screens", None, &wrong),
            401,
            "unauthorized",
        );
    }
    problem(
        &v1(&service, "POST", "/v1/screens", Some(&hall)),
        401,
        "unauthorized",
    );
    for reader in [&clerk, &clerk_bearer, &admin, &admin_bearer] {
        let answer = with_headers(&service, "GET", "/v1/screens", None, reader);
        assert_eq!(answer.status, Status::Ok, "{reader:?}");
    }
    for token in [&clerk, &clerk_bearer] {
        let answer = with_headers(&service, "POST", "/v1/screens", Some(&hall), token);
        problem(&answer, 403, "forbidden");
    }
    let screen = with_headers(&service, "POST", "/v1/screens", Some(&hall), &admin);
    assert_eq!(screen.status, Status::Created, "{}", screen.text);
    let film = json!({"title": "Rope", "runtimeMinutes": 80});
    let film = with_headers(&service, "POST", "/v1/films", Some(&film), &admin_bearer);
    assert_eq!(film.status, Status::Created, "{}", film.text);
    let new_show =
        json!({"screenId": screen.body["id"], "filmId": film.body["id"], "start": START});
    let show = with_headers(&service, "POST", "/v1/shows", Some(&new_show), &admin);
    assert_eq!(show.status, Status::Created, "{}", show.text);
    // Booking and finding bookings are the cashier's business (either token).
    let body = buyer(json!({"showId": show.body["id"], "count": 2}));
    let booked = with_headers(&service, "POST", "/v1/bookings", Some(&body), &clerk_bearer);
    assert_eq!(booked.status, Status::Created, "{}", booked.text);
    let search = json!({"phoneNumber": "+919876543210"});
    for token in [&clerk, &admin] {
        let found = with_headers(
            &service,
            "POST",
            "/v1/bookings/search",
            Some(&search),
            token,
        );
        assert_eq!(found.status, Status::Ok, "{}", found.text);
        assert_eq!(
            found.body,
            json!({"items": [booked.body], "nextCursor": null})
        );
    }
    // /api takes X-Auth-Token only.
    let uri = format!(
        "/api/view-all-tickets?movieId={}",
        show.body["id"].as_str().unwrap()
    );
    let bearer = service.request("GET", &uri, None, &clerk_bearer);
    assert_eq!(bearer.status, Status::Unauthorized);
    assert_eq!(bearer.body["message"], "Invalid Auth token");
    assert_eq!(
        service.request("GET", &uri, None, &clerk).status,
        Status::Ok
    );
}

#[test]
fn api_reads_find_v1_shows_and_bookings() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let booking = book(&service, &show, json!(["F7", "F8"]));
    let (status, listing) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        show["id"].as_str().unwrap()
    ));
    assert_eq!(status, Status::Ok, "{listing}");
    assert_eq!(listing["ticketCount"], 2);
    assert_eq!(listing["capacity"], 167);
    assert_eq!(listing["allTickets"][0]["ticketId"], booking["id"]);
    let (status, details) = service.get(&format!(
        "/api/user-details?ticketId={}",
        booking["id"].as_str().unwrap()
    ));
    assert_eq!(status, Status::Ok);
    assert_eq!(details["userDetails"]["userName"], "Asha");
    // And /v1 reads /api shows: no film, no end, on the default screen.
    let api = service.book("Bo", 2, "2030-01-03 10:00");
    let api_show = read(
        &service,
        &format!("/v1/shows/{}", api["movieId"].as_str().unwrap()),
    );
    assert_eq!(api_show["screenId"], "default");
    assert_eq!(
        (api_show["filmId"].clone(), api_show["end"].clone()),
        (Value::Null, Value::Null)
    );
    let by_count = book(&service, &api_show, json!(3));
    assert_eq!(by_count["seats"], json!([]));
}

#[test]
fn every_refusal_is_a_problem_and_changes_nothing() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let seated = show(&service, &screen, &film, START);
    let hall = created(
        &service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 5}),
    );
    let hall = hall["id"].as_str().unwrap().to_owned();
    let general = show(&service, &hall, &film, START);
    show(&service, &screen, &film, "2030-01-02 21:00");
    let booking = book(&service, &seated, json!(["F7", "F8"]));
    let booking = booking["id"].as_str().unwrap().to_owned();
    let seated_id = seated["id"].as_str().unwrap().to_owned();
    let book_at = |show: &Value, seats: Value| {
        let mut body = buyer(json!({"showId": show}));
        if seats.is_number() {
            body["count"] = seats;
        } else {
            body["seats"] = seats;
        }
        body
    };
    let one_row = json!([{"label": "A", "seats": [{"number": "1"}]}]);
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            "/v1/screens".into(),
            Some(json!([])),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!("Hall")),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!({})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!({"name": "X", "capacity": 0})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!({"name": "X", "capacity": null})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!({"name": "X", "capacity": 5, "rows": one_row})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(
                json!({"name": "X", "rows": [{"label": "A", "seats": [{"number": "1"}, {"number": "1"}]}]}),
            ),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(json!({"name": "X", "rows": [{"label": "a", "seats": [{"number": "1"}]}]})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/screens".into(),
            Some(
                json!({"name": "X", "rows": [{"label": "A", "seats": [{"number": "1", "kind": "vip"}]}]}),
            ),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/films".into(),
            Some(json!({"title": " ", "runtimeMinutes": 90})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/films".into(),
            Some(json!({"title": "X", "runtimeMinutes": 1441})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/films".into(),
            Some(json!({"title": "X", "runtimeMinutes": 90, "rating": 7})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": "default", "filmId": film, "start": START})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": screen, "filmId": film, "start": "2029-12-31 10:00"})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": screen, "filmId": film, "start": "tomorrow"})),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": UNKNOWN, "filmId": film, "start": START})),
            404,
            "not-found",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": screen, "filmId": UNKNOWN, "start": START})),
            404,
            "not-found",
        ),
        (
            "POST",
            "/v1/shows".into(),
            Some(json!({"screenId": screen, "filmId": film, "start": "2030-01-02 19:00"})),
            409,
            "screen-busy",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&seated["id"], json!(["F8", "F9"]))),
            409,
            "seats-taken",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&seated["id"], json!(["F9", "F9"]))),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&seated["id"], json!([]))),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&seated["id"], json!(15))),
            409,
            "not-enough-seats",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&seated["id"], json!(0))),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&general["id"], json!(["A1"]))),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&general["id"], json!(6))),
            409,
            "not-enough-seats",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&json!(UNKNOWN), json!(1))),
            404,
            "not-found",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(book_at(&json!("F7"), json!(1))),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(
                json!({"showId": seated["id"], "seats": ["F9"], "count": 1, "userName": "A", "phoneNumber": 9876543210u64}),
            ),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            // A walk-up may leave the name out, but not give an empty one.
            Some(
                json!({"showId": seated["id"], "count": 1, "userName": "", "phoneNumber": 9876543210u64}),
            ),
            422,
            "invalid",
        ),
        (
            "POST",
            "/v1/bookings".into(),
            Some(json!({"showId": seated["id"], "count": 1, "userName": "A", "phoneNumber": "12"})),
            422,
            "invalid",
        ),
        (
            "PATCH",
            format!("/v1/bookings/{booking}"),
            Some(json!({"userName": "B"})),
            422,
            "invalid",
        ),
        (
            "PATCH",
            format!("/v1/bookings/{booking}"),
            Some(json!({"count": 1, "phoneNumber": 9876543210u64})),
            422,
            "invalid",
        ),
        (
            "PATCH",
            format!("/v1/bookings/{booking}"),
            Some(json!({})),
            422,
            "invalid",
        ),
        (
            "PATCH",
            format!("/v1/bookings/{booking}"),
            Some(json!({"seats": ["E7"]})),
            409,
            "seats-taken",
        ),
        (
            "PATCH",
            format!("/v1/bookings/{UNKNOWN}"),
            Some(json!({"count": 1})),
            404,
            "not-found",
        ),
        (
            "PATCH",
            format!("/v1/screens/{screen}"),
            Some(json!({"rows": one_row})),
            409,
            "in-use",
        ),
        (
            "PATCH",
            format!("/v1/screens/{screen}"),
            Some(json!({"nothing": 1})),
            422,
            "invalid",
        ),
        (
            "PATCH",
            "/v1/screens/default".into(),
            Some(json!({"name": "Big"})),
            409,
            "in-use",
        ),
        (
            "PATCH",
            format!("/v1/films/{film}"),
            Some(json!({"runtimeMinutes": 1440})),
            409,
            "screen-busy",
        ),
        (
            "PATCH",
            format!("/v1/films/{film}"),
            Some(json!({"title": null})),
            422,
            "invalid",
        ),
        ("DELETE", "/v1/screens/default".into(), None, 409, "in-use"),
        (
            "DELETE",
            format!("/v1/screens/{screen}"),
            None,
            409,
            "in-use",
        ),
        ("DELETE", format!("/v1/films/{film}"), None, 409, "in-use"),
        (
            "DELETE",
            format!("/v1/shows/{seated_id}"),
            None,
            409,
            "in-use",
        ),
        (
            "DELETE",
            format!("/v1/shows/{UNKNOWN}"),
            None,
            404,
            "not-found",
        ),
        ("GET", "/v1/shows/not-an-id".into(), None, 404, "not-found"),
        (
            "GET",
            "/v1/screens/00000000000000000000000000".into(),
            None,
            404,
            "not-found",
        ),
        (
            "GET",
            format!("/v1/bookings/{UNKNOWN}"),
            None,
            404,
            "not-found",
        ),
        (
            "GET",
            format!("/v1/shows/{UNKNOWN}/seats"),
            None,
            404,
            "not-found",
        ),
        (
            "GET",
            format!("/v1/shows/{UNKNOWN}/bookings"),
            None,
            404,
            "not-found",
        ),
        ("GET", "/v1/shows?limit=0".into(), None, 400, "bad-request"),
        (
            "GET",
            "/v1/shows?limit=501".into(),
            None,
            400,
            "bad-request",
        ),
        (
            "GET",
            "/v1/films?limit=ten".into(),
            None,
            400,
            "bad-request",
        ),
        (
            "GET",
            "/v1/screens?cursor=nope".into(),
            None,
            400,
            "bad-request",
        ),
        (
            "GET",
            "/v1/shows?from=yesterday".into(),
            None,
            400,
            "bad-request",
        ),
        (
            "GET",
            "/v1/shows?screenId=hall".into(),
            None,
            400,
            "bad-request",
        ),
        ("GET", "/v1/nothing/here".into(), None, 404, "not-found"),
        ("GET", "/v1".into(), None, 404, "not-found"),
    ];
    let before = everything(&service);
    for (method, uri, body, status, slug) in &cases {
        let answer = v1(&service, method, uri, body.as_ref());
        let detail = problem(&answer, *status, slug);
        assert!(!detail.is_empty(), "{method} {uri}");
        assert_eq!(
            everything(&service),
            before,
            "{method} {uri} {body:?} changed something"
        );
    }
    // Not JSON at all.
    let answer = service.request("POST", "/v1/bookings", Some("{\"showId\": "), &[]);
    let detail = problem(&answer, 400, "bad-request");
    assert!(
        detail.starts_with("Request body is not valid JSON"),
        "{detail}"
    );
    // Refusals say which field.
    let missing = v1(&service, "POST", "/v1/films", Some(&json!({"title": "X"})));
    assert_eq!(
        problem(&missing, 422, "invalid"),
        "runtimeMinutes is missing."
    );
    let nested = json!({"name": "X", "rows": [{"label": "A", "seats": [{"number": 1}]}]});
    let nested = v1(&service, "POST", "/v1/screens", Some(&nested));
    assert_eq!(
        problem(&nested, 422, "invalid"),
        "rows[0].seats[0].number must be a string."
    );
    assert_eq!(everything(&service), before);
}

#[test]
fn wrong_methods_are_405_with_allow_and_big_bodies_413() {
    let service = local();
    let cases = [
        ("PUT", "/v1/screens".to_owned(), "GET, HEAD, POST"),
        (
            "POST",
            format!("/v1/shows/{UNKNOWN}"),
            "DELETE, GET, HEAD, PATCH",
        ),
        (
            "PUT",
            "/v1/shows/anything".to_owned(),
            "DELETE, GET, HEAD, PATCH",
        ),
        ("PATCH", format!("/v1/shows/{UNKNOWN}/seats"), "GET, HEAD"),
        ("OPTIONS", "/v1/films".to_owned(), "GET, HEAD, POST"),
        ("GET", "/v1/bookings/search".to_owned(), "POST"),
        ("PATCH", "/v1/bookings/search".to_owned(), "POST"),
        ("DELETE", "/v1/bookings/search".to_owned(), "POST"),
        ("OPTIONS", "/v1/bookings/search".to_owned(), "POST"),
    ];
    for (method, uri, allow) in cases {
        let answer = v1(&service, method, &uri, None);
        problem(&answer, 405, "method-not-allowed");
        assert_eq!(answer.header("Allow"), Some(allow), "{method} {uri}");
    }
    let big = buyer(json!({"showId": UNKNOWN, "count": 1, "note": "x".repeat(20_000)}));
    problem(
        &v1(&service, "POST", "/v1/bookings", Some(&big)),
        413,
        "too-large",
    );
    // /api keeps its envelope.
    let (status, body) = service.get("/api/nothing");
    assert_eq!(
        (status, body["success"].clone()),
        (Status::NotFound, json!(false))
    );
}

#[test]
fn the_document_has_every_v1_route_and_its_examples_work_in_order() {
    let service = local();
    service.clock.set(chrono::Utc::now().timestamp_millis());
    let spec = read(&service, "/openapi.json");
    let routes = [
        ("/v1/screens", "get", "Screens"),
        ("/v1/screens", "post", "Screens"),
        ("/v1/screens/{id}", "get", "Screens"),
        ("/v1/screens/{id}", "patch", "Screens"),
        ("/v1/screens/{id}", "delete", "Screens"),
        ("/v1/films", "post", "Films"),
        ("/v1/films/{id}", "patch", "Films"),
        ("/v1/shows", "get", "Shows"),
        ("/v1/shows/{id}/seats", "get", "Shows"),
        ("/v1/shows/{id}/bookings", "get", "Shows"),
        ("/v1/bookings", "post", "Bookings"),
        ("/v1/bookings/{id}", "patch", "Bookings"),
        ("/v1/bookings/search", "post", "Bookings"),
        ("/v1/holds/{id}", "patch", "Holds"),
    ];
    for (path, method, tag) in routes {
        let operation = &spec["paths"][path][method];
        assert_eq!(operation["tags"], json!([tag]), "{method} {path}");
        for (code, response) in operation["responses"].as_object().unwrap() {
            if code.starts_with('4') || code.starts_with('5') {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {code}"
                );
                assert!(
                    response["description"]
                        .as_str()
                        .unwrap()
                        .contains("urn:boxoffice:"),
                    "{method} {path} {code}"
                );
            }
        }
    }
    let booking_errors = spec["paths"]["/v1/bookings"]["post"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(
        booking_errors,
        [
            "201", "400", "401", "403", "404", "409", "410", "413", "415", "421", "422", "429",
            "503"
        ]
    );
    let conflict = spec["paths"]["/v1/bookings"]["post"]["responses"]["409"]["description"]
        .as_str()
        .unwrap();
    assert!(conflict.contains("urn:boxoffice:seats-taken") && !conflict.contains("screen-busy"));
    assert_eq!(
        spec["components"]["securitySchemes"]["BearerAuth"]["scheme"],
        "bearer"
    );
    assert_eq!(spec["tags"][0]["name"], "Tickets");
    let example = |path: &str| {
        spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"].clone()
    };
    let screen = created(&service, "/v1/screens", &example("/v1/screens"));
    let film = created(&service, "/v1/films", &example("/v1/films"));
    let mut new_show = example("/v1/shows");
    new_show["screenId"] = screen["id"].clone();
    new_show["filmId"] = film["id"].clone();
    let show = created(&service, "/v1/shows", &new_show);
    let mut new_booking = example("/v1/bookings");
    new_booking["showId"] = show["id"].clone();
    let booking = created(&service, "/v1/bookings", &new_booking);
    let mut patch = spec["paths"]["/v1/bookings/{id}"]["patch"]["requestBody"]["content"]
        ["application/json"]["example"]
        .clone();
    patch["showId"] = show["id"].clone();
    let uri = format!("/v1/bookings/{}", booking["id"].as_str().unwrap());
    assert_eq!(v1(&service, "PATCH", &uri, Some(&patch)).status, Status::Ok);
}

#[test]
fn the_admin_token_also_opens_api() {
    let service = local_with(|figment| {
        figment
            .merge(("api_token", "clerk-token"))
            .merge(("admin_token", "admin-token"))
    });
    let body = booking("Asha", 1, SHOW).to_string();
    let (status, _) = service.send("POST", "/api/book-ticket", Some(&body), Some("admin-token"));
    assert_eq!(status, Status::Ok);
    let (status, _) = service.send("POST", "/api/book-ticket", Some(&body), Some("clerk-token"));
    assert_eq!(status, Status::Ok);
    let (status, _) = service.send("POST", "/api/book-ticket", Some(&body), Some("other"));
    assert_eq!(status, Status::Unauthorized);
}

#[test]
fn a_booking_moved_to_another_show_cannot_take_its_held_seats() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let early = show(&service, &screen, &film, START);
    let late = show(&service, &screen, &film, "2030-01-02 21:00");
    let hold = created(
        &service,
        "/v1/holds",
        &json!({"showId": late["id"], "seats": ["A1"]}),
    );
    let booking = book(&service, &early, json!(["A1"]));
    let id = booking["id"].as_str().unwrap();
    let moved = v1(
        &service,
        "PATCH",
        &format!("/v1/bookings/{id}"),
        Some(&json!({"showId": late["id"], "seats": ["A1"]})),
    );
    problem(&moved, 409, "seats-taken");
    assert_eq!(moved.body["seats"], json!(["A1"]));
    assert_eq!(seats_in(&service, &late, "held"), ["A1"]);
    assert_eq!(
        seats_in(&service, &early, "sold"),
        ["A1"],
        "a refused move changes nothing"
    );
    let confirmed = v1(
        &service,
        "POST",
        &format!("/v1/holds/{}/confirm", hold["id"].as_str().unwrap()),
        Some(&buyer(json!({}))),
    );
    assert_eq!(confirmed.status.code, 201, "{}", confirmed.text);
}

#[test]
fn a_screen_mapped_again_shows_its_new_seats() {
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let first = show(&service, &screen, &film, START);
    assert_eq!(seats_in(&service, &first, "free").len(), 12 * 14 - 1);
    let deleted = v1(
        &service,
        "DELETE",
        &format!("/v1/shows/{}", first["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(deleted.status.code, 204, "{}", deleted.text);
    let rows =
        json!([{"label": "A", "seats": [{"number": "1"}, {"number": "2", "kind": "premium"}]}]);
    let mapped = v1(
        &service,
        "PATCH",
        &format!("/v1/screens/{screen}"),
        Some(&json!({ "rows": rows })),
    );
    assert_eq!(mapped.status.code, 200, "{}", mapped.text);
    let again = show(&service, &screen, &film, START);
    let seats = read(
        &service,
        &format!("/v1/shows/{}/seats", again["id"].as_str().unwrap()),
    );
    assert_eq!(
        seats,
        json!([
            {"seat": "A1", "row": "A", "number": "1", "kind": "standard", "state": "free", "aisleAfter": false},
            {"seat": "A2", "row": "A", "number": "2", "kind": "premium", "state": "free", "aisleAfter": false},
        ]),
        "the map as it is now, not as it was first read"
    );
}

#[test]
fn a_hold_gets_more_time_up_to_hold_max_from_its_making() {
    const MINUTE: i64 = 60_000;
    let service = local();
    let Cinema { screen, film } = cinema(&service);
    let show = show(&service, &screen, &film, START);
    let start = boxoffice::domain::time::parse_show_time(START, chrono_tz::UTC).unwrap();
    let made = start - 2 * HOUR;
    service.clock.set(made);
    let hold = created(
        &service,
        "/v1/holds",
        &json!({"showId": show["id"], "seats": ["C3", "C4"]}),
    );
    let uri = format!("/v1/holds/{}", hold["id"].as_str().unwrap());
    let expiry = |answer: &Value| {
        chrono::DateTime::parse_from_rfc3339(answer["expiresAt"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(expiry(&hold), made + 10 * MINUTE, "hold_for");
    // Eight minutes on, five more from now.
    service.clock.set(made + 8 * MINUTE);
    let more = json!({"holdForSeconds": 300});
    let key = [("Idempotency-Key", "more-time-1")];
    let extended = with_headers(&service, "PATCH", &uri, Some(&more), &key);
    assert_eq!(extended.status, Status::Ok, "{}", extended.text);
    assert_eq!(expiry(&extended.body), made + 13 * MINUTE);
    assert_eq!(extended.body["secondsLeft"], 300);
    assert_eq!(extended.body["seats"], json!(["C3", "C4"]));
    assert_eq!(read(&service, &uri), extended.body);
    // The same key again: the same answer, nothing changes.
    service.clock.set(made + 9 * MINUTE);
    let again = with_headers(&service, "PATCH", &uri, Some(&more), &key);
    assert_eq!(again.status, Status::Ok, "{}", again.text);
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(expiry(&again.body), made + 13 * MINUTE);
    // Past the first expiry the seats are still held.
    service.clock.set(made + 12 * MINUTE);
    assert_eq!(seats_in(&service, &show, "held"), ["C3", "C4"]);
    // Never past hold_max (30 min) from its making.
    let most = v1(
        &service,
        "PATCH",
        &uri,
        Some(&json!({"holdForSeconds": 3600})),
    );
    assert_eq!(most.status, Status::Ok, "{}", most.text);
    assert_eq!(expiry(&most.body), made + 30 * MINUTE);
    // Bad bodies change nothing.
    for body in [
        json!({}),
        json!({"holdForSeconds": 0}),
        json!({"holdForSeconds": "60"}),
        json!({"holdForSeconds": 86_401}),
    ] {
        problem(&v1(&service, "PATCH", &uri, Some(&body)), 422, "invalid");
    }
    assert_eq!(expiry(&read(&service, &uri)), made + 30 * MINUTE);
    problem(
        &v1(
            &service,
            "PATCH",
            &format!("/v1/holds/{UNKNOWN}"),
            Some(&more),
        ),
        404,
        "not-found",
    );
    // Once it ran out, it is too late: 410, and its seats stay free.
    service.clock.set(made + 30 * MINUTE);
    problem(
        &v1(&service, "PATCH", &uri, Some(&more)),
        410,
        "hold-expired",
    );
    assert_eq!(read(&service, &uri)["expired"], true);
    assert!(seats_in(&service, &show, "held").is_empty());
    // A hold made just before the show never outlasts its start.
    service.clock.set(start - 3 * MINUTE);
    let late = created(
        &service,
        "/v1/holds",
        &json!({"showId": show["id"], "seats": ["D3"]}),
    );
    let late_uri = format!("/v1/holds/{}", late["id"].as_str().unwrap());
    let capped = v1(&service, "PATCH", &late_uri, Some(&more));
    assert_eq!(capped.status, Status::Ok, "{}", capped.text);
    assert_eq!(expiry(&capped.body), start);
}
