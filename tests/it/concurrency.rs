//! Many clients at once against the real binary. Whatever the interleaving,
//! no show sells more than its capacity, what the service holds afterwards
//! is exactly what the clients' 200s say, and a refused request leaves no
//! trace.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier, Mutex};

use proptest::prelude::RngExt;
use serde_json::{json, Value};

use crate::support::*;

const CAPACITY: u64 = 10;
const SHOW_TIMES: [&str; 3] = ["2099-03-01 18:00", "2099-03-01 20:30", "2099-03-02 18:00"];
const CLIENTS: usize = 16;
const REQUESTS_PER_CLIENT: usize = 60;

/// What one client was told.
#[derive(Default)]
struct Log {
    held: BTreeMap<String, Held>,
    deleted: Vec<String>,
    refused_names: Vec<String>,
    ok: usize,
    refused: usize,
}

/// The show a 200 names must be the one asked for, and every 200 for a show
/// must name the same movieId.
#[track_caller]
fn check_show(movie_ids: &Mutex<BTreeMap<usize, String>>, show: usize, data: &Value) {
    assert_eq!(
        data["showTime"],
        format!("{}:00", SHOW_TIMES[show]),
        "{data}"
    );
    let movie_id = data["movieId"].as_str().expect("movieId").to_owned();
    let mut movie_ids = movie_ids.lock().unwrap();
    let known = movie_ids.entry(show).or_insert_with(|| movie_id.clone());
    assert_eq!(*known, movie_id, "two movieIds for {}", SHOW_TIMES[show]);
}

#[track_caller]
fn assert_limit_exceeded(status: u16, body: &Value) {
    assert_eq!(
        (status, body["message"].as_str()),
        (406, Some("Ticket limit exceeded.")),
        "{body}"
    );
}

/// One client: books, moves and deletes its own tickets at random.
fn client(
    number: usize,
    seed: u64,
    base: &str,
    movie_ids: &Mutex<BTreeMap<usize, String>>,
    start: &Barrier,
) -> Log {
    let mut rng = seeded_rng(seed);
    let agent = agent();
    let url = |path: &str| format!("{base}{path}");
    let mut log = Log::default();
    start.wait();
    for request in 0..REQUESTS_PER_CLIENT {
        let action = rng.random_range(0..10);
        let mine: Vec<String> = log.held.keys().cloned().collect();
        if mine.is_empty() || action < 4 {
            let show = rng.random_range(0..SHOW_TIMES.len());
            let user_name = format!("client{number}-{request}");
            let phone = if rng.random_bool(0.5) {
                json!(9_000_000_000u64 + request as u64)
            } else {
                json!(format!("+91 98765 {request:05}"))
            };
            let count = rng.random_range(1..=3u64);
            let body = json!({
                "userName": user_name,
                "phoneNumber": phone,
                "ticketCount": count,
                "showTime": SHOW_TIMES[show],
            });
            let (status, answer) = call(&agent, "POST", &url("/api/book-ticket"), Some(&body));
            if status == 200 {
                let data = &answer["data"];
                check_show(movie_ids, show, data);
                assert_eq!(
                    (
                        &data["userName"],
                        &data["phoneNumber"],
                        &data["ticketCount"]
                    ),
                    (&json!(user_name), &phone, &json!(count))
                );
                let ticket_id = data["ticketId"].as_str().expect("ticketId").to_owned();
                let held = Held {
                    show,
                    user_name,
                    phone,
                    count,
                };
                assert!(log.held.insert(ticket_id, held).is_none(), "id reused");
                log.ok += 1;
            } else {
                assert_limit_exceeded(status, &answer);
                log.refused_names.push(user_name);
                log.refused += 1;
            }
        } else if action < 7 {
            let ticket_id = mine[rng.random_range(0..mine.len())].clone();
            let show = rng.random_range(0..SHOW_TIMES.len());
            let body = json!({"ticketId": ticket_id, "newShowTime": SHOW_TIMES[show]});
            let (status, answer) = call(&agent, "PUT", &url("/api/update-timing"), Some(&body));
            if status == 200 {
                let data = &answer["data"];
                check_show(movie_ids, show, data);
                assert_eq!(data["ticketId"], json!(ticket_id), "a move keeps the id");
                log.held.get_mut(&ticket_id).expect("mine").show = show;
                log.ok += 1;
            } else {
                assert_limit_exceeded(status, &answer);
                log.refused += 1;
            }
        } else {
            let ticket_id = mine[rng.random_range(0..mine.len())].clone();
            let body = json!({ "ticketId": ticket_id });
            let (status, answer) = call(&agent, "DELETE", &url("/api/delete-ticket"), Some(&body));
            assert_eq!(status, 200, "{answer}");
            log.held.remove(&ticket_id);
            log.deleted.push(ticket_id);
            log.ok += 1;
        }
    }
    log
}

#[test]
fn concurrent_clients_never_oversell_and_get_exactly_what_they_were_told() {
    let seed = fresh_seed();
    let dir = tempfile::tempdir().unwrap();
    let capacity = CAPACITY.to_string();
    let server = Server::start(
        &dir.path().join("concurrency.redb"),
        &[("ROCKET_CAPACITY", &capacity)],
    );
    let movie_ids = Arc::new(Mutex::new(BTreeMap::new()));
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|number| {
            let (base, movie_ids, start) = (server.base.clone(), movie_ids.clone(), start.clone());
            std::thread::spawn(move || {
                client(number, seed ^ number as u64, &base, &movie_ids, &start)
            })
        })
        .collect();
    let logs: Vec<Log> = clients
        .into_iter()
        .map(|client| client.join().unwrap_or_else(|_| panic!("seed {seed}")))
        .collect();

    let (stored, listings) = read_back(&server, &SHOW_TIMES, CAPACITY);
    let agent = agent();
    let mut sold = 0;
    for (show, listing) in listings.iter().enumerate() {
        let body = listing.as_ref().expect("every show was booked at start");
        let count = body["ticketCount"].as_u64().unwrap();
        assert_eq!(body["capacity"], CAPACITY);
        assert_eq!(body["available"], CAPACITY - count);
        assert_eq!(
            body["movieId"].as_str(),
            movie_ids.lock().unwrap().get(&show).map(String::as_str)
        );
        sold += count;
    }

    let acknowledged: BTreeMap<String, Held> = logs
        .iter()
        .flat_map(|log| log.held.iter().map(|(id, held)| (id.clone(), held.clone())))
        .collect();
    assert_eq!(
        stored, acknowledged,
        "what the service holds is what its 200s said (seed {seed})"
    );
    let acknowledged_seats: u64 = acknowledged.values().map(|held| held.count).sum();
    assert_eq!(sold, acknowledged_seats);
    for name in logs.iter().flat_map(|log| &log.refused_names) {
        assert!(
            stored.values().all(|held| held.user_name != *name),
            "refused booking {name} left a ticket"
        );
    }
    for (id, held) in &acknowledged {
        let url = server.url(&format!("/api/user-details?ticketId={id}"));
        let (status, body) = call(&agent, "GET", &url, None);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["userDetails"]["userName"], json!(held.user_name));
        assert_eq!(body["userDetails"]["phoneNumber"], held.phone);
    }
    for id in logs.iter().flat_map(|log| &log.deleted) {
        let url = server.url(&format!("/api/user-details?ticketId={id}"));
        assert_eq!(
            call(&agent, "GET", &url, None).0,
            404,
            "deleted {id} is gone"
        );
    }

    let ok: usize = logs.iter().map(|log| log.ok).sum();
    let refused: usize = logs.iter().map(|log| log.refused).sum();
    assert_eq!(ok + refused, CLIENTS * REQUESTS_PER_CLIENT);
    assert!(
        refused > 0 && ok > refused / 4,
        "the shows were contended: {ok} ok, {refused} refused"
    );
}

#[test]
fn a_hundred_clients_racing_for_twenty_seats_get_exactly_twenty() {
    const CLIENTS: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("race.redb"), &[]);
    let show_time = "2099-06-01 18:30";
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|number| {
            let (url, start) = (server.url("/api/book-ticket"), start.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let body = booking(&format!("racer{number}"), 1, show_time);
                start.wait();
                call(&agent, "POST", &url, Some(&body))
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = clients
        .into_iter()
        .map(|client| client.join().unwrap())
        .collect();

    let mut won: Vec<String> = Vec::new();
    for (status, body) in &answers {
        match status {
            200 => won.push(body["data"]["ticketId"].as_str().unwrap().to_owned()),
            _ => assert_limit_exceeded(*status, body),
        }
    }
    assert_eq!(won.len(), 20, "exactly the capacity was sold");

    let url = server.url(&format!(
        "/api/view-all-tickets?showTime={}",
        encode(show_time)
    ));
    let (status, show) = call(&agent(), "GET", &url, None);
    assert_eq!(status, 200);
    assert_eq!(
        (&show["ticketCount"], &show["available"]),
        (&json!(20), &json!(0))
    );
    let mut listed: Vec<String> = show["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["ticketId"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    won.sort();
    assert_eq!(listed, won, "the listed tickets are the acknowledged ones");
}
