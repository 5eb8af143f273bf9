//! Expiry: the flag and the 410 from the exact instant, and the purge that
//! deletes expired shows with their tickets and nothing else.

use std::time::{Duration, Instant};

use boxoffice::domain::Phone;
use boxoffice::domain::{Refusal, Rules};
use boxoffice::store::{IdMinter, Store};
use boxoffice::usecases::{NewBooking, PurgeReport};

use crate::model::{one_commit, Answer, Call};
use rocket::http::Status;
use serde_json::{json, Value};

use crate::support::*;

fn view(service: &Local, show_time: &str) -> (Status, Value) {
    service.get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode(show_time)
    ))
}

#[test]
fn a_ticket_expires_exactly_expire_after_its_show_started() {
    let service = local();
    let booked = service.book("Asha", 2, SHOW);
    let ticket = booked["ticketId"].as_str().unwrap().to_owned();
    let start = NOW + 42 * HOUR + HOUR / 2; // 2030-01-02 18:30 UTC
    let far = "2030-06-01 20:00";

    service.clock.set(start + 8 * HOUR - 1);
    let (_, show) = view(&service, SHOW);
    assert_eq!(show["allTickets"][0]["expired"], false);
    // Still live: it may move, and back again.
    let (status, _) = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": far}),
    );
    assert_eq!(status, Status::Ok);
    service.clock.set(NOW);
    let (status, _) = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": SHOW}),
    );
    assert_eq!(status, Status::Ok);

    service.clock.set(start + 8 * HOUR);
    let (_, show) = view(&service, SHOW);
    assert_eq!(show["allTickets"][0]["expired"], true);
    let (status, body) = service.put(
        "/api/update-timing",
        &json!({"ticketId": ticket, "newShowTime": far}),
    );
    assert_eq!(
        (status, body["message"].as_str()),
        (
            Status::Gone,
            Some("Ticket has expired and cannot be changed.")
        )
    );
    let (status, _) = service.post("/api/book-ticket", &booking("Bo", 1, SHOW));
    assert_eq!(status, Status::BadRequest, "the show is in the past");
    // The refusals changed nothing.
    let (_, after) = view(&service, SHOW);
    assert_eq!(after["ticketCount"], 2);
    let (status, _) = view(&service, far);
    assert_eq!(
        status,
        Status::Ok,
        "the earlier move created it; it stays, empty"
    );
}

#[test]
fn expire_after_is_configurable() {
    let service = local_with(|figment| figment.merge(("expire_after", "90m")));
    service.book("Asha", 1, SHOW);
    let start = NOW + 42 * HOUR + HOUR / 2;
    service.clock.set(start + 90 * 60_000 - 1);
    assert_eq!(view(&service, SHOW).1["allTickets"][0]["expired"], false);
    service.clock.set(start + 90 * 60_000);
    assert_eq!(view(&service, SHOW).1["allTickets"][0]["expired"], true);
}

#[test]
fn the_purge_deletes_expired_tickets_and_their_shows_only() {
    let service = local_with(|figment| figment.merge(("purge_interval", "50ms")));
    let old = service.book("Asha", 2, SHOW);
    let later = service.book("Bo", 3, "2030-01-03 09:00");
    let start = NOW + 42 * HOUR + HOUR / 2;
    service.clock.set(start + 8 * HOUR - 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(view(&service, SHOW).0, Status::Ok, "not expired yet: kept");

    service.clock.set(start + 8 * HOUR);
    let deadline = Instant::now() + Duration::from_secs(10);
    let user = format!(
        "/api/user-details?ticketId={}",
        old["ticketId"].as_str().unwrap()
    );
    while service.get(&user).0 != Status::NotFound {
        assert!(
            Instant::now() < deadline,
            "the expired ticket was not purged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(view(&service, SHOW).0, Status::NotFound);
    let movie = format!(
        "/api/view-all-tickets?movieId={}",
        old["movieId"].as_str().unwrap()
    );
    assert_eq!(
        service.get(&movie).1["message"],
        "Movie ID does not exist in Database."
    );
    let (status, kept) = view(&service, "2030-01-03 09:00");
    assert_eq!(status, Status::Ok);
    assert_eq!(kept["allTickets"][0]["ticketId"], later["ticketId"]);
    assert_eq!(kept["allTickets"][0]["expired"], false);
}

#[track_caller]
fn purge(store: &Store, now: i64, budget: usize) -> PurgeReport {
    let answers = one_commit(store, now, &mut IdMinter::default(), &[Call::Purge(budget)]);
    match answers.as_deref() {
        Ok([Ok(Answer::Purged(report))]) => *report,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_store_purges_in_bounded_batches_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let rules = Rules::new(20, 8 * HOUR);
    let store = Store::open(&dir.path().join("db.redb"), 1 << 20, rules).unwrap();
    let mut ids = IdMinter::default();
    // Shows at +1h..+3h with four one-seat tickets each, and one at +30h.
    for hour in [1, 2, 3, 30] {
        for _ in 0..4 {
            let command = Call::Book(NewBooking {
                user_name: "Asha".into(),
                phone: Phone::Text("98765 43210".into()),
                count: 1,
                starts_at: NOW + hour * HOUR,
            });
            let answers = one_commit(&store, NOW, &mut ids, &[command]).unwrap();
            assert!(answers[0].is_ok(), "{answers:?}");
        }
    }
    let now = NOW + 11 * HOUR; // the first three shows expired at +9h..+11h
    let mut reports = Vec::new();
    loop {
        let report = purge(&store, now, 5);
        assert!(report.shows + report.tickets <= 5, "{report:?}");
        // Every step leaves counts consistent.
        for (show, tickets) in store.all_shows().unwrap() {
            assert_eq!(show.sold, tickets.iter().map(|t| t.count).sum::<u32>());
        }
        reports.push(report);
        if !report.more {
            break;
        }
        assert!(reports.len() < 10, "the purge does not finish: {reports:?}");
    }
    let shows: usize = reports.iter().map(|r| r.shows).sum();
    let tickets: usize = reports.iter().map(|r| r.tickets).sum();
    assert_eq!((shows, tickets), (3, 12));
    let left = store.all_shows().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].0.starts_at, left[0].1.len()), (NOW + 30 * HOUR, 4));
    assert_eq!(purge(&store, now, 5), PurgeReport::default());
}

#[test]
fn a_purge_between_bookings_keeps_capacity_exact() {
    let dir = tempfile::tempdir().unwrap();
    let rules = Rules::new(3, HOUR);
    let store = Store::open(&dir.path().join("db.redb"), 1 << 20, rules).unwrap();
    let mut ids = IdMinter::default();
    let book = |starts_at| {
        Call::Book(NewBooking {
            user_name: "Asha".into(),
            phone: Phone::Number(9876543210),
            count: 1,
            starts_at,
        })
    };
    let answers = one_commit(&store, NOW, &mut ids, &[book(NOW + HOUR)]).unwrap();
    assert!(answers[0].is_ok(), "{answers:?}");
    let now = NOW + 2 * HOUR;
    let future = now + HOUR;
    let batch = [
        book(future),
        Call::Purge(1_000),
        book(future),
        book(future),
        book(future),
    ];
    let answers = one_commit(&store, now, &mut ids, &batch).unwrap();
    assert!(answers[..4].iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(answers[4], Err(Refusal::LimitExceeded));
    let shows = store.all_shows().unwrap();
    assert_eq!(shows.len(), 1);
    assert_eq!((shows[0].0.sold, shows[0].1.len()), (3, 3));
}

/// The live demonstration: with `expire_after=2s` and `purge_interval=1s`, a
/// ticket for a show 3 s ahead is expired 5 s from now and gone soon after;
/// SIGTERM then stops the server promptly with everything else on disk.
#[test]
fn the_real_binary_expires_and_purges_live_then_stops_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let server = Server::start(
        &db,
        &[
            ("ROCKET_EXPIRE_AFTER", "2s"),
            ("ROCKET_PURGE_INTERVAL", "1s"),
        ],
    );
    let agent = agent();
    // Whole seconds, since show times are written to the second.
    let start_secs = chrono::Utc::now().timestamp() + 4;
    let start = chrono::DateTime::from_timestamp(start_secs, 0).unwrap();
    let show_time = start.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (status, booked) = call(
        &agent,
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking("Asha", 1, &show_time)),
    );
    assert_eq!(status, 200, "{booked}");
    let (status, _) = call(
        &agent,
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking("Bo", 2, "2099-01-01 10:00")),
    );
    assert_eq!(status, 200);
    let movie = booked["data"]["movieId"].as_str().unwrap();
    let view = server.url(&format!("/api/view-all-tickets?movieId={movie}"));
    let (status, show) = call(&agent, "GET", &view, None);
    assert_eq!(
        (status, show["allTickets"][0]["expired"].clone()),
        (200, json!(false))
    );

    let expires_at = (start_secs + 2) * 1000;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, show) = call(&agent, "GET", &view, None);
        let now = chrono::Utc::now().timestamp_millis();
        if status == 404 {
            assert!(now >= expires_at, "purged before expiry");
            break;
        }
        if show["allTickets"][0]["expired"] == false {
            assert!(
                now < expires_at + 1000,
                "not flagged expired a second after expiry"
            );
        }
        assert!(Instant::now() < deadline, "never purged");
        std::thread::sleep(Duration::from_millis(100));
    }
    let purged_at = chrono::Utc::now().timestamp_millis();
    assert!(
        purged_at - expires_at < 3_000,
        "purged {} ms after expiry",
        purged_at - expires_at
    );

    let took = server.terminate();
    assert!(took < Duration::from_secs(5), "SIGTERM took {took:?}");
    let server = Server::start(&db, &[]);
    let (status, kept) = call(
        &agent,
        "GET",
        &server.url("/api/view-all-tickets?showTime=2099-01-01%2010:00"),
        None,
    );
    assert_eq!((status, kept["ticketCount"].clone()), (200, json!(2)));
}
