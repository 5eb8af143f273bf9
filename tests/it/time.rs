//! The clock's bad days, with the service on a trusted clock over readings
//! the test sets: a wall clock before 1970 refuses writes (503) and nothing
//! else, and they work again once it is right; a jump of years ahead is
//! followed slowly, so it purges nothing at once; a jump back changes nothing
//! already decided.

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
fn a_jump_of_years_is_followed_slowly_and_purges_nothing_at_once() {
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
    let (status, listing) = service.get(&show);
    assert_eq!(status, Status::Ok);
    assert_eq!(
        listing["allTickets"][0]["expired"], false,
        "a second later is not years later"
    );
    // Writes go on meanwhile.
    let (status, body) = service.post("/api/book-ticket", &booking("Bo", 1, SHOW));
    assert_eq!(status, Status::Ok, "{body}");

    // The clock is set back right: nothing decided so far changes.
    source.set_wall(NOW + 2_000);
    source.pass_monotonic(std::time::Duration::from_secs(1));
    let (status, listing) = service.get(&show);
    assert_eq!(status, Status::Ok);
    assert_eq!(listing["ticketCount"], 3);
    assert_eq!(purge().tickets, 0);
    let (status, body) = service.post("/api/book-ticket", &booking("Chen", 1, SHOW));
    assert_eq!(status, Status::Ok, "{body}");
}
