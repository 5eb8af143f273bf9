//! The limits that keep one client from taking a show, through `/v1` on
//! redb and on PostgreSQL alike: a client's share of a show, its number of
//! live holds, the cooldown on seats it released or let expire, who the
//! client is (its address, or what a trusted proxy says), and staff, who
//! are not limited.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::pg;
use crate::support::*;

const MINUTE: i64 = 60_000;

/// Which backend a test runs on.
#[derive(Clone, Copy)]
enum Backend {
    Redb,
    Postgres,
}

/// Each test once on redb, and once on PostgreSQL (ignored unless asked for,
/// as every test that needs a server is).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod redb {
            $(#[test]
            fn $test() {
                super::$test(super::Backend::Redb);
            })*
        }
        mod postgres {
            $(#[test]
            #[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
            fn $test() {
                super::$test(super::Backend::Postgres);
            })*
        }
    };
}

on_both_backends!(
    one_client_holds_at_most_its_share_of_a_show,
    a_client_keeps_at_most_two_live_holds_until_one_ends,
    seats_a_client_released_or_let_expire_stay_out_of_its_reach_for_the_cooldown,
    places_given_back_on_general_admission_count_against_the_share_for_the_cooldown,
    staff_tokens_are_not_limited,
    a_client_keeps_at_most_its_cap_of_idempotency_answers,
    seat_maps_and_screens_are_capped_and_a_refusal_changes_nothing,
    list_pages_are_cut_to_max_answer_and_go_on_at_the_first_item_left_out,
);

/// A service on `backend`, with `configure` on top of the test's own keys:
/// `trusted_proxies` names the local client's peer, so `X-Forwarded-For`
/// tells clients apart. With it, on PostgreSQL, the test's database.
fn services(
    backend: Backend,
    test: &str,
    configure: fn(rocket::figment::Figment) -> rocket::figment::Figment,
) -> Vec<(Local, Option<pg::TestDatabase>)> {
    let trusted = move |figment: rocket::figment::Figment| {
        configure(figment.merge(("trusted_proxies", ["0.0.0.0"])))
    };
    match backend {
        Backend::Redb => vec![(local_with(trusted), None)],
        Backend::Postgres => {
            let database = pg::database(test);
            let url = database.url.clone();
            let service = local_with(move |figment| trusted(figment.merge(("database_url", url))));
            vec![(service, Some(database))]
        }
    }
}

fn as_is(figment: rocket::figment::Figment) -> rocket::figment::Figment {
    figment
}

#[track_caller]
fn send(service: &Local, method: &str, uri: &str, body: Option<&Value>, client: &str) -> Received {
    let body = body.map(Value::to_string);
    service.request(method, uri, body.as_deref(), &[("X-Forwarded-For", client)])
}

#[track_caller]
fn created(service: &Local, uri: &str, body: &Value) -> Value {
    let answer = send(service, "POST", uri, Some(body), "192.0.2.250");
    assert_eq!(answer.status, Status::Created, "{uri}: {}", answer.text);
    answer.body
}

/// A show on a general-admission screen of `capacity`, or on a seat map
/// of one row of ten (`A1`..`A10`) when `capacity` is `None`.
fn show(service: &Local, capacity: Option<u32>, start: &str) -> String {
    let screen = if let Some(capacity) = capacity {
        json!({ "name": format!("Hall {start}"), "capacity": capacity })
    } else {
        let seats: Vec<Value> = (1..=10)
            .map(|n| json!({ "number": n.to_string() }))
            .collect();
        json!({ "name": format!("Map {start}"), "rows": [{ "label": "A", "seats": seats }] })
    };
    let screen = created(service, "/v1/screens", &screen);
    let film = created(
        service,
        "/v1/films",
        &json!({ "title": "Limits", "runtimeMinutes": 90 }),
    );
    let show = created(
        service,
        "/v1/shows",
        &json!({ "screenId": screen["id"], "filmId": film["id"], "start": start }),
    );
    show["id"].as_str().unwrap().to_owned()
}

fn hold(service: &Local, show: &str, seats: Value, client: &str) -> Received {
    let mut body = json!({ "showId": show });
    match seats {
        Value::Number(count) => body["count"] = Value::Number(count),
        names => body["seats"] = names,
    }
    send(service, "POST", "/v1/holds", Some(&body), client)
}

/// Insists on a 429 `too-many-holds` with a `Retry-After` of `seconds`.
#[track_caller]
fn too_many(answer: &Received, seconds: u64) {
    assert_eq!(answer.status.code, 429, "{}", answer.text);
    assert_eq!(
        answer.header("Content-Type"),
        Some("application/problem+json")
    );
    assert_eq!(answer.body["type"], "urn:boxoffice:too-many-holds");
    assert_eq!(answer.body["status"], 429);
    assert_eq!(
        answer.header("Retry-After"),
        Some(seconds.to_string().as_str()),
        "{}",
        answer.text
    );
}

#[track_caller]
fn held(answer: &Received) -> Value {
    assert_eq!(answer.status, Status::Created, "{}", answer.text);
    answer.body.clone()
}

fn available(service: &Local, show: &str) -> u64 {
    let answer = send(
        service,
        "GET",
        &format!("/v1/shows/{show}"),
        None,
        "192.0.2.250",
    );
    answer.body["available"].as_u64().unwrap()
}

fn one_client_holds_at_most_its_share_of_a_show(backend: Backend) {
    for (service, _database) in services(backend, "share", as_is) {
        // 25 % of 100 is 25 seats; of 20 it would be 5, so it is 10.
        let big = show(&service, Some(100), "2030-01-02 18:30");
        let small = show(&service, Some(20), "2030-01-02 21:00");
        held(&hold(&service, &big, json!(20), "203.0.113.1"));
        too_many(&hold(&service, &big, json!(6), "203.0.113.1"), 600);
        assert_eq!(available(&service, &big), 80, "a refusal holds nothing");
        held(&hold(&service, &big, json!(5), "203.0.113.1"));
        too_many(&hold(&service, &small, json!(11), "203.0.113.2"), 1);
        held(&hold(&service, &small, json!(10), "203.0.113.2"));
        // Another client has a share of its own.
        held(&hold(&service, &big, json!(25), "203.0.113.3"));
        assert_eq!(available(&service, &big), 50);
    }
}

fn a_client_keeps_at_most_two_live_holds_until_one_ends(backend: Backend) {
    for (service, _database) in services(backend, "per_client", as_is) {
        let shows: Vec<String> = ["18:00", "20:00", "22:00"]
            .iter()
            .map(|at| show(&service, Some(50), &format!("2030-01-02 {at}")))
            .collect();
        let first = held(&send(
            &service,
            "POST",
            "/v1/holds",
            Some(&json!({ "showId": shows[0], "count": 1, "holdForSeconds": 90 })),
            "203.0.113.1",
        ));
        held(&hold(&service, &shows[1], json!(1), "203.0.113.1"));
        let third = hold(&service, &shows[2], json!(1), "203.0.113.1");
        too_many(&third, 90);
        assert!(
            third.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("This client keeps as many live holds as it may"),
            "{}",
            third.text
        );
        held(&hold(&service, &shows[2], json!(1), "203.0.113.9"));
        service.clock.advance(90_000);
        // The first ran out: the client may hold again, of another show.
        held(&hold(&service, &shows[2], json!(1), "203.0.113.1"));
        let released = send(
            &service,
            "DELETE",
            &format!("/v1/holds/{}", first["id"].as_str().unwrap()),
            None,
            "203.0.113.1",
        );
        assert_eq!(released.status, Status::NoContent);
        // Two live holds again: the next waits for the older one's end.
        too_many(&hold(&service, &shows[0], json!(1), "203.0.113.1"), 510);
    }
}

fn seats_a_client_released_or_let_expire_stay_out_of_its_reach_for_the_cooldown(backend: Backend) {
    for (service, _database) in services(backend, "cooldown", as_is) {
        let map = show(&service, None, "2030-01-02 18:30");
        let first = held(&hold(&service, &map, json!(["A5"]), "203.0.113.1"));
        let path = format!("/v1/holds/{}", first["id"].as_str().unwrap());
        assert_eq!(
            send(&service, "DELETE", &path, None, "203.0.113.1").status,
            Status::NoContent
        );
        service.clock.advance(20_000);
        let again = hold(&service, &map, json!(["A5"]), "203.0.113.1");
        too_many(&again, 40);
        assert_eq!(
            again.body["detail"],
            "This client gave these seats back too recently to hold them again; retry in 40 s."
        );
        too_many(
            &hold(&service, &map, json!(["A4", "A5"]), "203.0.113.1"),
            40,
        );
        // By count it gets other seats.
        let other = held(&hold(&service, &map, json!(1), "203.0.113.1"));
        assert_ne!(other["seats"], json!(["A5"]));
        // Anyone else may have A5 at once.
        let theirs = held(&hold(&service, &map, json!(["A5"]), "203.0.113.2"));
        assert_eq!(theirs["seats"], json!(["A5"]));

        // A hold left to expire cools down from its expiry.
        let map = show(&service, None, "2030-01-03 18:30");
        let brief = send(
            &service,
            "POST",
            "/v1/holds",
            Some(&json!({ "showId": map, "seats": ["A1"], "holdForSeconds": 5 })),
            "203.0.113.3",
        );
        held(&brief);
        service.clock.advance(5_000);
        too_many(&hold(&service, &map, json!(["A1"]), "203.0.113.3"), 60);
        service.clock.advance(59_000);
        too_many(&hold(&service, &map, json!(["A1"]), "203.0.113.3"), 1);
        service.clock.advance(1_000);
        held(&hold(&service, &map, json!(["A1"]), "203.0.113.3"));
    }
}

fn places_given_back_on_general_admission_count_against_the_share_for_the_cooldown(
    backend: Backend,
) {
    for (service, _database) in services(backend, "general_cooldown", as_is) {
        let hall = show(&service, Some(40), "2030-01-02 18:30");
        let first = held(&hold(&service, &hall, json!(8), "203.0.113.1"));
        let path = format!("/v1/holds/{}", first["id"].as_str().unwrap());
        assert_eq!(
            send(&service, "DELETE", &path, None, "203.0.113.1").status,
            Status::NoContent
        );
        too_many(&hold(&service, &hall, json!(3), "203.0.113.1"), 60);
        held(&hold(&service, &hall, json!(2), "203.0.113.1"));
        service.clock.advance(MINUTE);
        held(&hold(&service, &hall, json!(8), "203.0.113.1"));
    }
}

#[test]
fn the_client_is_the_peer_unless_a_trusted_proxy_names_it() {
    // Without trusted proxies every local request is one client, whatever
    // it says it forwards for.
    let service = local();
    let hall = show(&service, Some(100), "2030-01-02 18:30");
    held(&hold(&service, &hall, json!(25), "203.0.113.1"));
    too_many(&hold(&service, &hall, json!(1), "203.0.113.2"), 600);
    // Behind a trusted proxy the rightmost untrusted hop is the client.
    let service =
        local_with(|figment| figment.merge(("trusted_proxies", ["0.0.0.0", "10.0.0.0/8"])));
    let hall = show(&service, Some(100), "2030-01-02 18:30");
    held(&hold(
        &service,
        &hall,
        json!(25),
        "198.51.100.7, 203.0.113.1, 10.0.0.2",
    ));
    too_many(
        &hold(&service, &hall, json!(1), "198.51.100.8, 203.0.113.1"),
        600,
    );
    held(&hold(
        &service,
        &hall,
        json!(25),
        "203.0.113.1, 203.0.113.2",
    ));
}

fn staff_tokens_are_not_limited(backend: Backend) {
    fn tokens(figment: rocket::figment::Figment) -> rocket::figment::Figment {
        figment
            .merge(("api_token", "clerk"))
            .merge(("admin_token", "boss"))
    }
    for (service, _database) in services(backend, "staff", tokens) {
        let screen = service.request(
            "POST",
            "/v1/screens",
            Some(&json!({ "name": "Hall", "capacity": 40 }).to_string()),
            &[("X-Auth-Token", "boss")],
        );
        assert_eq!(screen.status, Status::Created, "{}", screen.text);
        let film = service.request(
            "POST",
            "/v1/films",
            Some(&json!({ "title": "Staff", "runtimeMinutes": 90 }).to_string()),
            &[("X-Auth-Token", "boss")],
        );
        let show = service.request(
            "POST",
            "/v1/shows",
            Some(
                &json!({ "screenId": screen.body["id"], "filmId": film.body["id"], "start": "2030-01-02 18:30" })
                    .to_string(),
            ),
            &[("X-Auth-Token", "boss")],
        );
        assert_eq!(show.status, Status::Created, "{}", show.text);
        for (token, count) in [
            ("clerk", 15),
            ("boss", 15),
            ("clerk", 5),
            ("Bearer clerk", 5),
        ] {
            let header = if token.starts_with("Bearer") {
                ("Authorization", token)
            } else {
                ("X-Auth-Token", token)
            };
            let answer = service.request(
                "POST",
                "/v1/holds",
                Some(&json!({ "showId": show.body["id"], "count": count }).to_string()),
                &[header],
            );
            assert_eq!(answer.status, Status::Created, "{}", answer.text);
        }
    }
}

fn a_client_keeps_at_most_its_cap_of_idempotency_answers(backend: Backend) {
    fn three(figment: rocket::figment::Figment) -> rocket::figment::Figment {
        figment
            .merge(("idempotency_per_client", 3))
            .merge(("api_token", "clerk"))
    }
    fn open(figment: rocket::figment::Figment) -> rocket::figment::Figment {
        figment.merge(("idempotency_per_client", 3))
    }
    for (service, _database) in services(backend, "key_cap", three) {
        let unknown = "/v1/bookings/01ARZ3NDEKTSV4RRFFQ69G5FAV";
        let delete = |key: &str, headers: &[(&str, &str)]| {
            let mut all = vec![("Idempotency-Key", key)];
            all.extend_from_slice(headers);
            service.request("DELETE", unknown, None, &all)
        };
        // The token opens the API; with it the client is staff: unlimited.
        for n in 0..5 {
            let answer = delete(&format!("staff-{n}"), &[("X-Auth-Token", "clerk")]);
            assert_eq!(answer.status, Status::NotFound, "{}", answer.text);
        }
    }
    for (service, _database) in services(backend, "key_cap_open", open) {
        let unknown = "/v1/bookings/01ARZ3NDEKTSV4RRFFQ69G5FAV";
        let delete = |key: &str, client: &str| {
            service.request(
                "DELETE",
                unknown,
                None,
                &[("Idempotency-Key", key), ("X-Forwarded-For", client)],
            )
        };
        for n in 0..3 {
            assert_eq!(
                delete(&format!("k{n}"), "203.0.113.1").status,
                Status::NotFound
            );
        }
        let refused = delete("k3", "203.0.113.1");
        assert_eq!(refused.status.code, 429, "{}", refused.text);
        assert_eq!(refused.body["type"], "urn:boxoffice:too-many-keys");
        assert_eq!(refused.header("Retry-After"), Some("86400"));
        // A key it has is answered again; another client has its own cap.
        let again = delete("k0", "203.0.113.1");
        assert_eq!(again.status, Status::NotFound);
        assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
        assert_eq!(delete("k3", "203.0.113.2").status, Status::NotFound);
        // `/api` answers in its envelope; nothing was booked.
        let book = service.request(
            "POST",
            "/api/book-ticket",
            Some(&booking("Asha", 1, "2030-06-01 18:30").to_string()),
            &[
                ("Idempotency-Key", "api-1"),
                ("X-Forwarded-For", "203.0.113.1"),
            ],
        );
        assert_eq!(book.status.code, 429, "{}", book.text);
        assert_eq!(book.body["success"], false);
        assert_eq!(book.header("Retry-After"), Some("86400"));
        let listed = service.request(
            "GET",
            "/api/view-all-tickets?showTime=2030-06-01%2018:30",
            None,
            &[],
        );
        assert_eq!(listed.status, Status::NotFound, "{}", listed.text);
        // Without a key a write is not capped; once the oldest answers end
        // (idempotency_ttl), new keys are taken again.
        let unkeyed = service.request(
            "DELETE",
            unknown,
            None,
            &[("X-Forwarded-For", "203.0.113.1")],
        );
        assert_eq!(unkeyed.status, Status::NotFound);
        service.clock.advance(24 * 60 * MINUTE);
        assert_eq!(delete("k4", "203.0.113.1").status, Status::NotFound);
    }
}

#[test]
fn a_flood_of_idempotency_keys_keeps_the_database_small() {
    let service = local();
    let unknown = "/v1/bookings/01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let mut answered = 0;
    let mut refused = 0;
    for n in 0..5_000 {
        // The longest keys a client may send.
        let key = format!("{n:0>255}");
        let answer = if n % 5 == 0 {
            service.request(
                "POST",
                "/api/book-ticket",
                Some(&booking("Flood", 1, "2030-06-01 18:30").to_string()),
                &[("Idempotency-Key", &key)],
            )
        } else {
            service.request("DELETE", unknown, None, &[("Idempotency-Key", &key)])
        };
        match answer.status.code {
            429 => refused += 1,
            200 | 404 | 406 => answered += 1,
            other => panic!("{other}: {}", answer.text),
        }
    }
    assert_eq!((answered, refused), (1_000, 4_000));
    let file = service.dir.path().join("boxoffice.redb");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size < 4 << 20, "the database grew to {size} bytes");
}

/// A seat map of `rows` rows of `seats` seats.
fn rows(rows: usize, seats: usize) -> Value {
    let label = |n: usize| {
        let letters = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K'];
        format!("{}{}", letters[n / 10 % 10], letters[n % 10])
    };
    (0..rows)
        .map(|row| {
            let seats: Vec<Value> = (1..=seats)
                .map(|n| json!({ "number": n.to_string() }))
                .collect();
            json!({ "label": label(row), "seats": seats })
        })
        .collect()
}

fn seat_maps_and_screens_are_capped_and_a_refusal_changes_nothing(backend: Backend) {
    fn two(figment: rocket::figment::Figment) -> rocket::figment::Figment {
        figment.merge(("max_screens", 2))
    }
    for (service, _database) in services(backend, "screen_caps", two) {
        let post = |body: Value| send(&service, "POST", "/v1/screens", Some(&body), "192.0.2.1");
        for (map, key) in [
            (rows(101, 1), "max_rows"),
            (rows(1, 101), "max_row_seats"),
            (rows(51, 100), "max_screen_seats"),
        ] {
            let refused = post(json!({ "name": "Too big", "rows": map }));
            assert_eq!(refused.status.code, 422, "{}", refused.text);
            assert_eq!(refused.body["type"], "urn:boxoffice:invalid");
            assert!(refused.text.contains(key), "{}", refused.text);
        }
        // The largest map, every field of every seat written out.
        let mut largest = rows(50, 100);
        for row in largest.as_array_mut().unwrap() {
            for seat in row["seats"].as_array_mut().unwrap() {
                seat["kind"] = json!("wheelchair");
                seat["blocked"] = json!(false);
                seat["aisleAfter"] = json!(false);
            }
        }
        let first = post(json!({ "name": "Largest", "rows": largest }));
        assert_eq!(first.status, Status::Created, "{}", first.text);
        assert_eq!(first.body["capacity"], 5_000);
        assert_eq!(
            post(json!({ "name": "Two", "capacity": 9 })).status,
            Status::Created
        );
        let third = post(json!({ "name": "Three", "capacity": 9 }));
        assert_eq!(third.status.code, 409, "{}", third.text);
        assert_eq!(third.body["type"], "urn:boxoffice:too-many-screens");
        let listed = send(&service, "GET", "/v1/screens", None, "192.0.2.1");
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            3,
            "the default one too"
        );
        let path = format!("/v1/screens/{}", first.body["id"].as_str().unwrap());
        assert_eq!(
            send(&service, "DELETE", &path, None, "192.0.2.1").status,
            Status::NoContent
        );
        assert_eq!(
            post(json!({ "name": "Three", "capacity": 9 })).status,
            Status::Created
        );
    }
}

fn list_pages_are_cut_to_max_answer_and_go_on_at_the_first_item_left_out(backend: Backend) {
    fn small(figment: rocket::figment::Figment) -> rocket::figment::Figment {
        figment.merge(("max_answer", "1 MiB"))
    }
    for (service, _database) in services(backend, "max_answer", small) {
        let mut made = Vec::new();
        for n in 0..7 {
            let screen = created(
                &service,
                "/v1/screens",
                &json!({ "name": format!("Big {n}"), "rows": rows(50, 100) }),
            );
            made.push(screen["id"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut uri = "/v1/screens?limit=500".to_owned();
        let mut pages = 0;
        loop {
            let page = send(&service, "GET", &uri, None, "192.0.2.1");
            assert_eq!(page.status, Status::Ok, "{}", page.text);
            assert!(page.text.len() <= 1 << 20, "{} bytes", page.text.len());
            let items = page.body["items"].as_array().unwrap();
            assert!(!items.is_empty());
            seen.extend(
                items
                    .iter()
                    .map(|item| item["id"].as_str().unwrap().to_owned()),
            );
            pages += 1;
            match page.body["nextCursor"].as_str() {
                Some(cursor) => uri = format!("/v1/screens?limit=500&cursor={cursor}"),
                None => break,
            }
        }
        assert!(pages >= 3, "{pages} pages");
        let mut expected = vec!["default".to_owned()];
        expected.extend(made);
        assert_eq!(seen, expected, "every screen once, in order");
    }
}
