//! Races over HTTP on the real binary: many clients at once for the same
//! seats, by name, by count, by hold, with one key, and against a hold's
//! expiry. Seats never go twice, counts stay exact, one key books once.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

/// One request: its status, its `Idempotent-Replayed` header and its body.
#[track_caller]
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Option<String>, Value) {
    let answer = crate::support::send(agent, method, url, headers, body)
        .unwrap_or_else(|| panic!("{method} {url}: no complete JSON answer"));
    let replayed = answer.header("Idempotent-Replayed").map(str::to_owned);
    (answer.status, replayed, answer.body)
}

/// `rows` rows of `per_row` standard seats, labelled A, B, ...
pub fn seat_map(rows: usize, per_row: usize) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|row| {
            let label = char::from(b'A' + u8::try_from(row).unwrap()).to_string();
            let seats: Vec<Value> = (1..=per_row)
                .map(|n| json!({"number": n.to_string()}))
                .collect();
            json!({"label": label, "seats": seats})
        })
        .collect();
    json!(rows)
}

/// A seat-map show two days ahead on a new screen; its id.
pub fn seated_show(server: &Server, rows: usize, per_row: usize) -> String {
    let agent = agent();
    let (status, _, screen) = send(
        &agent,
        "POST",
        &server.url("/v1/screens"),
        &[],
        Some(&json!({"name": "Screen 1", "rows": seat_map(rows, per_row)})),
    );
    assert_eq!(status, 201, "{screen}");
    let (status, _, film) = send(
        &agent,
        "POST",
        &server.url("/v1/films"),
        &[],
        Some(&json!({"title": "Heat", "runtimeMinutes": 170, "rating": "R"})),
    );
    assert_eq!(status, 201, "{film}");
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT18:30:00Z");
    let (status, _, show) = send(
        &agent,
        "POST",
        &server.url("/v1/shows"),
        &[],
        Some(&json!({"screenId": screen["id"], "filmId": film["id"], "start": start.to_string()})),
    );
    assert_eq!(status, 201, "{show}");
    show["id"].as_str().unwrap().to_owned()
}

/// The bodies of the outcomes with `status`.
pub fn answered(outcomes: &[(u16, Option<String>, Value)], status: u16) -> Vec<&Value> {
    outcomes
        .iter()
        .filter(|(answered, ..)| *answered == status)
        .map(|(_, _, body)| body)
        .collect()
}

/// `clients` threads that each send one request at the same moment.
pub fn race(
    clients: usize,
    request: impl Fn(usize, &ureq::Agent) -> (u16, Option<String>, Value) + Send + Sync + 'static,
) -> Vec<(u16, Option<String>, Value)> {
    let start = Arc::new(Barrier::new(clients));
    let request = Arc::new(request);
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (start, request) = (Arc::clone(&start), Arc::clone(&request));
            std::thread::spawn(move || {
                let agent = agent();
                start.wait();
                request(client, &agent)
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect()
}

pub fn booking(show: &str, seats: Value, who: usize) -> Value {
    let mut body =
        json!({"showId": show, "userName": format!("racer {who}"), "phoneNumber": 9876543210u64});
    match seats {
        Value::Array(_) => body["seats"] = seats,
        count => body["count"] = count,
    }
    body
}

fn started(env: &[(&str, &str)]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![("ROCKET_LOG_LEVEL", "critical")];
    all.extend_from_slice(env);
    let server = Server::start(&dir.path().join("db.redb"), &all);
    (dir, server)
}

/// Every seat of a show: name → state.
pub fn seat_states(server: &Server, show: &str) -> Vec<(String, String)> {
    let (status, _, seats) = send(
        &agent(),
        "GET",
        &server.url(&format!("/v1/shows/{show}/seats")),
        &[],
        None,
    );
    assert_eq!(status, 200, "{seats}");
    seats
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| {
            (
                seat["seat"].as_str().unwrap().to_owned(),
                seat["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn two_hundred_clients_for_one_seat_one_wins() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 5, 10);
    let url = server.url("/v1/bookings");
    let outcomes = race(200, {
        let show = show.clone();
        move |client, agent| {
            send(
                agent,
                "POST",
                &url,
                &[],
                Some(&booking(&show, json!(["C5"]), client)),
            )
        }
    });
    let won = answered(&outcomes, 201).len();
    let lost = answered(&outcomes, 409);
    assert_eq!((won, lost.len()), (1, 199), "every client got 201 or 409");
    for body in lost {
        assert_eq!(body["type"], "urn:boxoffice:seats-taken", "{body}");
        assert_eq!(body["seats"], json!(["C5"]));
    }
    let sold: Vec<String> = seat_states(&server, &show)
        .into_iter()
        .filter(|(_, state)| state == "sold")
        .map(|(seat, _)| seat)
        .collect();
    assert_eq!(sold, ["C5"]);
}

#[test]
fn two_hundred_parties_of_two_on_three_hundred_seats_never_share_a_seat() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 15, 20);
    let url = server.url("/v1/bookings");
    let outcomes = race(200, {
        let show = show.clone();
        move |client, agent| {
            send(
                agent,
                "POST",
                &url,
                &[],
                Some(&booking(&show, json!(2), client)),
            )
        }
    });
    let mut seats: Vec<String> = Vec::new();
    let mut refused = 0;
    for (status, _, body) in &outcomes {
        match status {
            201 => {
                let mine: Vec<String> = body["seats"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(mine.len(), 2, "{body}");
                seats.extend(mine);
            }
            409 => {
                assert_eq!(body["type"], "urn:boxoffice:not-enough-seats", "{body}");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let booked = seats.len();
    seats.sort();
    seats.dedup();
    assert_eq!(seats.len(), booked, "a seat was sold twice");
    let (status, _, view) = send(
        &agent(),
        "GET",
        &server.url(&format!("/v1/shows/{show}")),
        &[],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(view["sold"], booked);
    assert_eq!(view["available"], 300 - booked);
    let sold = seat_states(&server, &show)
        .into_iter()
        .filter(|(_, state)| state == "sold")
        .count();
    assert_eq!(sold, booked);
    eprintln!(
        "{} parties of two seated, {refused} refused (no two seats together left)",
        booked / 2
    );
}

#[test]
fn fifty_clients_with_one_key_book_once() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 5, 10);
    let url = server.url("/v1/bookings");
    let outcomes = race(50, {
        let show = show.clone();
        move |_, agent| {
            send(
                agent,
                "POST",
                &url,
                &[("Idempotency-Key", "kiosk-7-order-42")],
                Some(&booking(&show, json!(3), 0)),
            )
        }
    });
    let ids: Vec<&Value> = outcomes
        .iter()
        .map(|(status, _, body)| {
            assert!(*status == 201 || *status == 409, "{status}: {body}");
            body
        })
        .filter(|body| body.get("id").is_some())
        .map(|body| &body["id"])
        .collect();
    let in_flight = answered(&outcomes, 409).len();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one booking for one key"
    );
    let replays = outcomes
        .iter()
        .filter(|(_, replayed, _)| replayed.as_deref() == Some("true"))
        .count();
    assert_eq!(
        replays,
        ids.len() - 1,
        "all but the first answer are replays"
    );
    let (_, _, bookings) = send(
        &agent(),
        "GET",
        &server.url(&format!("/v1/shows/{show}/bookings")),
        &[],
        None,
    );
    assert_eq!(bookings["items"].as_array().unwrap().len(), 1);
    eprintln!("50 sends of one key: 1 booking, {replays} replays, {in_flight} told to retry");
}

#[test]
fn a_hundred_clients_holding_the_same_two_seats_one_gets_them() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 5, 10);
    let url = server.url("/v1/holds");
    let outcomes = race(100, {
        let show = show.clone();
        move |_, agent| {
            send(
                agent,
                "POST",
                &url,
                &[],
                Some(&json!({"showId": show, "seats": ["B1", "B2"]})),
            )
        }
    });
    let won = answered(&outcomes, 201).len();
    let lost = answered(&outcomes, 409)
        .into_iter()
        .filter(|body| body["type"] == "urn:boxoffice:seats-taken")
        .count();
    assert_eq!((won, lost), (1, 99));
    let held: Vec<String> = seat_states(&server, &show)
        .into_iter()
        .filter(|(_, state)| state == "held")
        .map(|(seat, _)| seat)
        .collect();
    assert_eq!(held, ["B1", "B2"]);
}

#[test]
fn seats_freed_by_an_expiring_hold_go_to_exactly_one_waiting_client() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 5, 10);
    let agent = agent();
    let (status, _, hold) = send(
        &agent,
        "POST",
        &server.url("/v1/holds"),
        &[],
        Some(&json!({"showId": show, "seats": ["D4", "D5"], "holdForSeconds": 1})),
    );
    assert_eq!(status, 201, "{hold}");
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(hold["expiresAt"].as_str().unwrap()).unwrap();
    let url = server.url("/v1/bookings");
    let outcomes = race(50, {
        let show = show.clone();
        move |client, agent| {
            // Each keeps trying until well past the hold's expiry.
            let deadline = Instant::now() + Duration::from_secs(3);
            let mut tries = Vec::new();
            while Instant::now() < deadline {
                let (status, _, body) = send(
                    agent,
                    "POST",
                    &url,
                    &[],
                    Some(&booking(&show, json!(["D4", "D5"]), client)),
                );
                let at = chrono::Utc::now();
                tries.push((status, at));
                if status == 201 {
                    return (201, Some(at.to_rfc3339()), body);
                }
                assert_eq!(status, 409, "{body}");
                std::thread::sleep(Duration::from_millis(20));
            }
            (409, None, json!(tries.len()))
        }
    });
    let winners: Vec<&(u16, Option<String>, Value)> = outcomes
        .iter()
        .filter(|(status, ..)| *status == 201)
        .collect();
    assert_eq!(winners.len(), 1, "exactly the freed seats, to one client");
    let won_at = chrono::DateTime::parse_from_rfc3339(winners[0].1.as_deref().unwrap()).unwrap();
    assert!(
        won_at >= expires_at,
        "booked at {won_at}, before the hold expired at {expires_at}"
    );
    assert_eq!(winners[0].2["seats"], json!(["D4", "D5"]));
}

#[test]
fn a_confirm_racing_the_expiry_is_a_booking_or_410_never_both() {
    let (_dir, server) = started(&[]);
    let show = seated_show(&server, 5, 10);
    let mut both_ways = [0, 0];
    for round in 0..6 {
        let agent = agent();
        let seat = format!("E{}", round + 1);
        let (status, _, hold) = send(
            &agent,
            "POST",
            &server.url("/v1/holds"),
            &[],
            Some(&json!({"showId": show, "seats": [seat], "holdForSeconds": 1})),
        );
        assert_eq!(status, 201, "{hold}");
        let confirm = server.url(&format!(
            "/v1/holds/{}/confirm",
            hold["id"].as_str().unwrap()
        ));
        let book = server.url("/v1/bookings");
        // Aim at the boundary: start just before the hold runs out.
        std::thread::sleep(Duration::from_millis(950 + 10 * round));
        let outcomes = race(11, {
            let (show, seat) = (show.clone(), seat.clone());
            move |client, agent| {
                if client == 0 {
                    send(
                        agent,
                        "POST",
                        &confirm,
                        &[],
                        Some(&json!({"userName": "holder", "phoneNumber": "1234567"})),
                    )
                } else {
                    send(
                        agent,
                        "POST",
                        &book,
                        &[],
                        Some(&booking(&show, json!([seat.clone()]), client)),
                    )
                }
            }
        });
        let confirmed = outcomes[0].0;
        let others = answered(&outcomes[1..], 201).len();
        match confirmed {
            201 => {
                assert_eq!(
                    others, 0,
                    "the seat went to the holder and to another client"
                );
                both_ways[0] += 1;
            }
            410 => {
                assert!(others <= 1, "{others} clients got one seat");
                both_ways[1] += 1;
            }
            other => panic!("confirm answered {other}: {}", outcomes[0].2),
        }
        let sold = seat_states(&server, &show)
            .into_iter()
            .filter(|(name, state)| *name == seat && state == "sold")
            .count();
        assert!(sold <= 1);
    }
    eprintln!(
        "confirm at the boundary: {} bookings, {} refused as expired",
        both_ways[0], both_ways[1]
    );
}
