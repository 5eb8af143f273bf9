//! Group commit must not change any answer: clients racing for the last free
//! seats of a show, whose bookings share commits, each get the answer that
//! one commit per booking gives, and the counts stay exact.

use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::support::*;

const CAPACITY: u64 = 8;
/// Booked before the race, so each show has `CAPACITY - ALREADY_SOLD` seats left.
const ALREADY_SOLD: u64 = 5;
const SHOWS: [&str; 3] = ["2099-03-01 18:30", "2099-03-01 21:00", "2099-03-02 18:30"];
const RACERS_PER_SHOW: usize = 16;

struct Outcome {
    show: usize,
    status: u16,
    body: Value,
}

/// Every racer books one seat of its show at the same moment.
fn race(server: &Server) -> Vec<Outcome> {
    let racers = SHOWS.len() * RACERS_PER_SHOW;
    let start = Arc::new(Barrier::new(racers));
    let threads: Vec<_> = (0..racers)
        .map(|racer| {
            let start = Arc::clone(&start);
            let url = server.url("/api/book-ticket");
            let show = racer % SHOWS.len();
            std::thread::spawn(move || {
                let agent = agent();
                // Opens the connection first, so the bookings leave together.
                let (status, _) = call(&agent, "GET", &url.replace("book-ticket", "nowhere"), None);
                assert_eq!(status, 404);
                let body = booking(&format!("racer {racer}"), 1, SHOWS[show]);
                start.wait();
                let (status, body) = call(&agent, "POST", &url, Some(&body));
                Outcome { show, status, body }
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|thread| thread.join().expect("a racer panicked"))
        .collect()
}

fn last_seats_go_to_exactly_as_many_racers_as_there_are_seats(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let capacity = CAPACITY.to_string();
    let mut env = env.to_vec();
    env.push(("ROCKET_CAPACITY", &capacity));
    env.push(("ROCKET_LOG_LEVEL", "debug"));
    let server = Server::start(&dir.path().join("db.redb"), &env);
    let agent = agent();
    let mut movie_ids = Vec::new();
    for show in SHOWS {
        let (status, body) = call(
            &agent,
            "POST",
            &server.url("/api/book-ticket"),
            Some(&booking("early", ALREADY_SOLD, show)),
        );
        assert_eq!(status, 200, "{body}");
        movie_ids.push(body["data"]["movieId"].as_str().unwrap().to_owned());
    }

    let outcomes = race(&server);

    let seats_left = (CAPACITY - ALREADY_SOLD) as usize;
    for (show, movie_id) in movie_ids.iter().enumerate() {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.show == show).collect();
        let sold: Vec<&Outcome> = mine.iter().copied().filter(|o| o.status == 200).collect();
        assert_eq!(sold.len(), seats_left, "show {}", SHOWS[show]);
        for refused in mine.iter().filter(|o| o.status != 200) {
            assert_eq!(refused.status, 406, "{}", refused.body);
            assert_eq!(
                refused.body,
                json!({"success": false, "message": "Ticket limit exceeded."})
            );
        }
        for outcome in &sold {
            assert_eq!(outcome.body["data"]["movieId"], movie_id.as_str());
            assert_eq!(outcome.body["data"]["ticketCount"], 1);
        }

        let (status, listed) = call(
            &agent,
            "GET",
            &server.url(&format!("/api/view-all-tickets?movieId={movie_id}")),
            None,
        );
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["ticketCount"], CAPACITY);
        assert_eq!(listed["available"], 0);
        let tickets = listed["allTickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 1 + seats_left);
        let seats: u64 = tickets
            .iter()
            .map(|ticket| ticket["ticketCount"].as_u64().unwrap())
            .sum();
        assert_eq!(seats, CAPACITY);
        for outcome in &sold {
            let id = &outcome.body["data"]["ticketId"];
            assert_eq!(
                tickets.iter().filter(|t| &t["ticketId"] == id).count(),
                1,
                "{id} is listed once"
            );
        }
    }
    server
}

/// The largest number of commands the server reported in one commit.
#[track_caller]
fn largest_shared_commit(server: &Server) -> usize {
    server
        .output
        .lock()
        .unwrap()
        .iter()
        .filter_map(|line| {
            let count = line.split("committed ").nth(1)?;
            count.split(' ').next()?.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn racers_sharing_commits_get_exact_answers() {
    let server = last_seats_go_to_exactly_as_many_racers_as_there_are_seats(&[]);
    assert!(
        largest_shared_commit(&server) > 1,
        "the race should have put several bookings in one commit"
    );
}

#[test]
fn racers_get_the_same_answers_with_one_commit_per_booking() {
    let server =
        last_seats_go_to_exactly_as_many_racers_as_there_are_seats(&[("ROCKET_MAX_BATCH", "1")]);
    assert_eq!(largest_shared_commit(&server), 1);
}
