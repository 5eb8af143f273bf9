//! `GET /metrics`: the Prometheus text format, which promtool accepts; the
//! counters move with the requests, the commits and the sales; routes are
//! labelled by their template; every answer carries an `X-Request-Id`.

use std::io::Write;
use std::process::{Command, Stdio};

use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};

use crate::support::*;

/// The metrics text, fetched without a token.
#[track_caller]
fn scrape(service: &Local) -> String {
    let response = service.client.get("/metrics").dispatch();
    assert_eq!(response.status(), Status::Ok);
    let content_type = response.content_type().expect("a content type").to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.into_string().expect("a body")
}

/// The value of the sample `name` (with its labels, as written), if present;
/// every sample read here is a count.
fn sample(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == name)
                .then(|| value.parse::<f64>().ok().map(|value| value as u64))
                .flatten()
        })
}

#[track_caller]
fn value(text: &str, name: &str) -> u64 {
    sample(text, name).unwrap_or_else(|| panic!("{name} in\n{text}"))
}

/// Some traffic of every kind: bookings, a refusal, a keyed replay, a
/// cancellation, reads, an unknown route, a refused token.
fn traffic(service: &Local) -> Value {
    let booked = service.book("Asha Rao", 2, SHOW);
    service.book("Bo", 1, SHOW);
    let (status, _) = service.post("/api/book-ticket", &booking("Chen", 50, SHOW));
    assert_eq!(status, Status::NotAcceptable);
    for _ in 0..2 {
        let response = service
            .client
            .post("/api/book-ticket")
            .header(ContentType::JSON)
            .header(Header::new("Idempotency-Key", "order-7"))
            .body(booking("Dee", 1, SHOW).to_string())
            .dispatch();
        assert_eq!(response.status(), Status::Ok);
    }
    let ticket = booked["ticketId"].as_str().unwrap();
    let (status, _) = service.delete("/api/delete-ticket", &json!({"ticketId": ticket}));
    assert_eq!(status, Status::Ok);
    let (status, _) = service.get(&format!("/api/user-details?ticketId={ticket}"));
    assert_eq!(status, Status::NotFound);
    let (status, _) = service.get("/api/nowhere/01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assert_eq!(status, Status::NotFound);
    booked
}

#[test]
fn the_counters_move_with_requests_commits_and_sales() {
    let service = local();
    let before = scrape(&service);
    assert_eq!(value(&before, "boxoffice_bookings_total"), 0);
    assert_eq!(value(&before, "boxoffice_write_queue_depth"), 0);
    assert_eq!(
        value(&before, r#"boxoffice_purged_total{kind="tickets"}"#),
        0
    );
    let booked = traffic(&service);
    let text = scrape(&service);
    // Three fresh bookings (the replay of "order-7" is not one), one cancellation.
    assert_eq!(value(&text, "boxoffice_bookings_total"), 3, "{text}");
    assert_eq!(value(&text, "boxoffice_cancellations_total"), 1);
    assert_eq!(value(&text, "boxoffice_holds_total"), 0);
    assert_eq!(value(&text, "boxoffice_write_queue_depth"), 0);
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_requests_total{method="POST",route="/api/book-ticket",status="200"}"#
        ),
        4
    );
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_requests_total{method="POST",route="/api/book-ticket",status="406"}"#
        ),
        1
    );
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_requests_total{method="GET",route="/api/user-details",status="404"}"#
        ),
        1
    );
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        1
    );
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_request_duration_seconds_count{method="POST",route="/api/book-ticket"}"#
        ),
        5
    );
    // Every write went through a commit (the replay too: it is read in one).
    let commits = value(&text, "boxoffice_commit_duration_seconds_count");
    assert!(commits >= 1, "{text}");
    assert_eq!(value(&text, "boxoffice_commit_batch_size_count"), commits);
    assert!(value(&text, "boxoffice_commit_batch_size_sum") >= 5);
    // No id, name or query string is ever a label.
    let ticket = booked["ticketId"].as_str().unwrap();
    for secret in [
        ticket,
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "Asha",
        "ticketId=",
        "9876543210",
    ] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }

    // The purge counts what it deletes, by kind.
    service.clock.advance(30 * 24 * HOUR);
    let app = service.client.rocket().state::<boxoffice::App>().unwrap();
    crate::model::runtime()
        .block_on(boxoffice::expiry::purge_expired(app.bookings.as_ref()))
        .unwrap();
    let text = scrape(&service);
    assert_eq!(value(&text, r#"boxoffice_purged_total{kind="shows"}"#), 1);
    assert_eq!(value(&text, r#"boxoffice_purged_total{kind="tickets"}"#), 2);
    assert_eq!(value(&text, r#"boxoffice_purged_total{kind="answers"}"#), 1);
}

#[test]
fn metrics_need_no_token() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    scrape(&service);
    let text = scrape(&service);
    assert_eq!(
        value(
            &text,
            r#"boxoffice_http_requests_total{method="GET",route="/metrics",status="200"}"#
        ),
        1
    );
}

#[test]
fn every_answer_carries_a_request_id_the_client_s_when_it_is_plain() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    let id_of = |uri: &str, sent: Option<&str>| {
        let mut request = service.client.get(uri.to_owned());
        if let Some(sent) = sent {
            request = request.header(Header::new("X-Request-Id", sent.to_owned()));
        }
        let response = request.dispatch();
        let id = response
            .headers()
            .get_one("X-Request-Id")
            .map(str::to_owned);
        (response.status(), id)
    };
    for uri in [
        "/livez",
        "/api/view-all-tickets",
        "/nowhere",
        "/openapi.json",
    ] {
        let (status, kept) = id_of(uri, Some("kiosk-3.req_42"));
        assert_eq!(kept.as_deref(), Some("kiosk-3.req_42"), "{uri} {status}");
        let (_, minted) = id_of(uri, None);
        let minted = minted.expect("an id is minted");
        assert_eq!(minted.len(), 26, "a ULID: {minted}");
        for bad in ["has space", "a/b", &"x".repeat(65)] {
            let (_, replaced) = id_of(uri, Some(bad));
            let replaced = replaced.unwrap();
            assert_ne!(replaced, bad);
            assert_eq!(replaced.len(), 26);
        }
    }
    // A refused token (401) and a wrong method (405) carry one too.
    assert!(id_of("/api/view-all-tickets?showTime=x", None).1.is_some());
    let response = service.client.post("/livez").dispatch();
    assert!(response.headers().get_one("X-Request-Id").is_some());
}

#[test]
fn every_answer_carries_the_security_headers_and_no_obsolete_policy() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    for uri in ["/livez", "/api/view-all-tickets", "/nowhere", "/v1/shows"] {
        let response = service.client.get(uri).dispatch();
        let headers = response.headers();
        assert_eq!(
            headers.get_one("X-Content-Type-Options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(
            headers.get_one("X-Frame-Options"),
            Some("SAMEORIGIN"),
            "{uri}"
        );
        assert_eq!(headers.get_one("Permissions-Policy"), None, "{uri}");
    }
}

#[test]
#[ignore = "needs promtool (Debian's prometheus)"]
fn promtool_accepts_the_metrics() {
    let service = local();
    traffic(&service);
    let text = scrape(&service);
    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut promtool = promtool
        .unwrap_or_else(|error| panic!("promtool: {error} (Debian's prometheus package has it)"));
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
