//! SIGKILL under /v1 load: clients book seats by name and by count, each
//! write with an Idempotency-Key, while the binary is killed at a random
//! moment and started again. Afterwards every acknowledged booking is there
//! with its seats, a retry of every acknowledged key answers as the first
//! time, a retry of a request the kill cut off books at most once, and live
//! holds are still there until their expiresAt.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::*;

const ROUNDS: usize = 3;
const CLIENTS: usize = 6;

fn send_keyed(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Option<(u16, bool, Value)> {
    let headers: &[(&str, &str)] = match key {
        Some(key) => &[("Idempotency-Key", key)],
        None => &[],
    };
    let answer = crate::support::send(agent, method, url, headers, body)?;
    let replayed = answer.header("Idempotent-Replayed") == Some("true");
    Some((answer.status, replayed, answer.body))
}

fn seat_map() -> Value {
    let rows: Vec<Value> = (b'A'..=b'T')
        .map(|label| {
            let seats: Vec<Value> = (1..=20).map(|n| json!({"number": n.to_string()})).collect();
            json!({"label": char::from(label).to_string(), "seats": seats})
        })
        .collect();
    json!(rows)
}

fn setup(server: &Server) -> String {
    let agent = agent();
    let (_, _, screen) = send_keyed(
        &agent,
        "POST",
        &server.url("/v1/screens"),
        None,
        Some(&json!({"name": "One", "rows": seat_map()})),
    )
    .unwrap();
    let (_, _, film) = send_keyed(
        &agent,
        "POST",
        &server.url("/v1/films"),
        None,
        Some(&json!({"title": "Heat", "runtimeMinutes": 170})),
    )
    .unwrap();
    let start = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT20:00:00Z")
        .to_string();
    let (status, _, show) = send_keyed(
        &agent,
        "POST",
        &server.url("/v1/shows"),
        None,
        Some(&json!({"screenId": screen["id"], "filmId": film["id"], "start": start})),
    )
    .unwrap();
    assert_eq!(status, 201, "{show}");
    show["id"].as_str().unwrap().to_owned()
}

/// An acknowledged write: its key, request and answer.
#[derive(Clone, Debug)]
struct Acknowledged {
    key: String,
    body: Value,
    answer: Value,
}

#[test]
fn sigkill_under_v1_load_keeps_every_acknowledged_booking_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let env = [("ROCKET_LOG_LEVEL", "critical")];
    let mut server = Server::start(&db, &env);
    let show = setup(&server);
    // A hold for an hour, made before any kill.
    let (status, _, hold) = send_keyed(
        &agent(),
        "POST",
        &server.url("/v1/holds"),
        None,
        Some(&json!({"showId": show, "seats": ["T20"], "holdForSeconds": 1800})),
    )
    .unwrap();
    assert_eq!(status, 201, "{hold}");
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let cut_off: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let seed = fresh_seed();
    for round in 0..ROUNDS {
        let base = server.base.clone();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (base, show) = (base.clone(), show.clone());
                let (acknowledged, cut_off) = (Arc::clone(&acknowledged), Arc::clone(&cut_off));
                std::thread::spawn(move || {
                    let agent = agent();
                    let mut rng = seeded_rng(seed ^ (round * 100 + client) as u64);
                    for n in 0..400 {
                        let key = format!("r{round}-c{client}-{n}");
                        let body = if rng.random_bool(0.5) {
                            let row = char::from(b'A' + rng.random_range(0..16u8));
                            json!({"showId": show, "seats": [format!("{row}{}", rng.random_range(1..=20))], "userName": format!("c{client}"), "phoneNumber": "1234567"})
                        } else {
                            json!({"showId": show, "count": rng.random_range(1..=2), "userName": format!("c{client}"), "phoneNumber": 1234567})
                        };
                        match send_keyed(&agent, "POST", &format!("{base}/v1/bookings"), Some(&key), Some(&body)) {
                            Some((201, false, answer)) => acknowledged.lock().unwrap().push(Acknowledged { key, body, answer }),
                            Some((409 | 410, _, _)) => {}
                            Some((status, _, answer)) => panic!("{status}: {answer}"),
                            None => {
                                cut_off.lock().unwrap().push((key, body));
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(
            seeded_rng(seed + round as u64).random_range(150..450),
        ));
        server.kill();
        for client in clients {
            client.join().unwrap();
        }
        server = Server::start(&db, &env);
    }
    let agent = agent();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());
    // Every acknowledged booking is there, seats and all.
    for ack in &acknowledged {
        let id = ack.answer["id"].as_str().unwrap();
        let (status, _, found) = send_keyed(
            &agent,
            "GET",
            &server.url(&format!("/v1/bookings/{id}")),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{id}");
        assert_eq!(found, ack.answer, "booking {id} reads back as acknowledged");
        // And its key answers as the first time.
        let (status, replayed, again) = send_keyed(
            &agent,
            "POST",
            &server.url("/v1/bookings"),
            Some(&ack.key),
            Some(&ack.body),
        )
        .unwrap();
        assert_eq!((status, replayed), (201, true), "{again}");
        assert_eq!(again, ack.answer);
    }
    // A request the kill cut off books at most once when retried.
    let before = count_bookings(&agent, &server, &show);
    let mut retried = 0;
    for (key, body) in cut_off.lock().unwrap().iter() {
        let (status, _, _) = send_keyed(
            &agent,
            "POST",
            &server.url("/v1/bookings"),
            Some(key),
            Some(body),
        )
        .unwrap();
        assert!(matches!(status, 201 | 409), "{status}");
        let (status, replayed, _) = send_keyed(
            &agent,
            "POST",
            &server.url("/v1/bookings"),
            Some(key),
            Some(body),
        )
        .unwrap();
        if status == 201 {
            assert!(replayed, "a second retry of {key} booked again");
            retried += 1;
        }
    }
    let after = count_bookings(&agent, &server, &show);
    assert!(after - before <= retried);
    // The hold made before the kills still keeps its seat.
    let (status, _, still) = send_keyed(
        &agent,
        "GET",
        &server.url(&format!("/v1/holds/{}", hold["id"].as_str().unwrap())),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(still["expired"], false);
    assert_eq!(still["seats"], json!(["T20"]));
    let (_, _, view) = send_keyed(
        &agent,
        "GET",
        &server.url(&format!("/v1/shows/{show}")),
        None,
        None,
    )
    .unwrap();
    assert_eq!(view["held"], 1);
    eprintln!(
        "{} acknowledged bookings over {ROUNDS} kills, all there; {} cut off",
        acknowledged.len(),
        cut_off.lock().unwrap().len()
    );
}

fn count_bookings(agent: &ureq::Agent, server: &Server, show: &str) -> usize {
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => server.url(&format!(
                "/v1/shows/{show}/bookings?limit=500&cursor={cursor}"
            )),
            None => server.url(&format!("/v1/shows/{show}/bookings?limit=500")),
        };
        let (status, _, page) = send_keyed(agent, "GET", &url, None, None).unwrap();
        assert_eq!(status, 200, "{page}");
        total += page["items"].as_array().unwrap().len();
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return total,
        }
    }
}
