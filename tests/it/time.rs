//! The clock's bad days, with the service on a trusted clock over readings
//! the test sets: a wall clock before 1970 refuses writes (503) and nothing
//! else, and they work again once it is right; a jump of years ahead is
//! what the rules see (a show "in the past" is refused, its tickets read
//! expired) but the purge follows it slowly, so it deletes nothing at once;
//! once the clock is set right, bookings work again at once.

use std::sync::Arc;

use boxoffice::clock::{ManualTimeSource, TrustedClock};
use rocket::http::Status;

use crate::support::*;

fn readiness(service: &Local) -> (Status, serde_json::Value) {
    service.get("/readyz")
}

#[test]
fn a_clock_before_1970_refuses_writes_until_it_is_right_again() {
    let source = Arc::new(ManualTimeSource::new(NOW));
    let service = local_timed(Arc::new(TrustedClock::new(Arc::clone(&source))));
    let booked = service.book("Asha", 2, SHOW);

    source.set_wall(-5_000);
    source.pass_monotonic(std::time::Duration::from_millis(10));
    let (status, body) = service.post("/api/book-ticket", &booking("Bo", 1, SHOW));
    assert_eq!(status, Status::ServiceUnavailable, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("clock"),
        "{body}"
    );
    let (status, ready) = readiness(&service);
    assert_eq!(status, Status::ServiceUnavailable, "{ready}");
    assert!(
        ready["reason"].as_str().unwrap().contains("clock"),
        "{ready}"
    );
    // Reads go on, judged by the last trusted time.
    let (status, show) = service.get(&format!(
        "/api/view-all-tickets?movieId={}",
        booked["movieId"].as_str().unwrap()
    ));
    assert_eq!(status, Status::Ok);
    assert_eq!(show["ticketCount"], 2);
    assert_eq!(show["allTickets"][0]["expired"], false);

    source.set_wall(NOW + 1_000);
    source.pass(1_000);
    let (status, body) = service.post("/api/book-ticket", &booking("Bo", 1, SHOW));
    assert_eq!(status, Status::Ok, "writes work again: {body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while readiness(&service).0 != Status::Ok {
        assert!(
            std::time::Instant::now() < deadline,
            "readiness did not come back"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_jump_of_years_is_what_the_rules_see_but_the_purge_deletes_nothing_at_once() {
    let source = Arc::new(ManualTimeSource::new(NOW));
    let service = local_timed(Arc::new(TrustedClock::new(Arc::clone(&source))));
    let booked = service.book("Asha", 2, SHOW);
    let show = format!(
        "/api/view-all-tickets?movieId={}",
        booked["movieId"].as_str().unwrap()
    );
    let app = service
        .client
        .rocket()
        .state::<boxoffice::App>()
        .expect("state");
    let purge = || {
        crate::model::runtime()
            .block_on(boxoffice::expiry::purge_expired(app.bookings.as_ref()))
            .expect("the purge runs")
    };

    // A dead RTC battery or a bad NTP answer: ten years ahead, at once.
    source.set_wall(NOW + 10 * 365 * 24 * HOUR);
    source.pass_monotonic(std::time::Duration::from_secs(1));
    let report = purge();
    assert_eq!((report.shows, report.tickets), (0, 0), "{report:?}");
    // The rules read the wall clock: the show is in its past.
    let (status, listing) = service.get(&show);
    assert_eq!(status, Status::Ok);
    assert_eq!(listing["allTickets"][0]["expired"], true, "{listing}");
    let (status, body) = service.post("/api/book-ticket", &booking("Bo", 1, SHOW));
    assert_eq!(status, Status::BadRequest, "{body}");
    assert_eq!(body["message"], "Show time cannot be before current time.");

    // The clock is set back right: the tickets are all there, and bookings
    // work again at once.
    source.set_wall(NOW + 2_000);
    source.pass_monotonic(std::time::Duration::from_secs(1));
    let (status, listing) = service.get(&show);
    assert_eq!(status, Status::Ok);
    assert_eq!(listing["ticketCount"], 2);
    assert_eq!(listing["allTickets"][0]["expired"], false, "{listing}");
    assert_eq!(purge().tickets, 0);
    let (status, body) = service.post("/api/book-ticket", &booking("Chen", 1, SHOW));
    assert_eq!(status, Status::Ok, "{body}");
}
