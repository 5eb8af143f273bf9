//! The real binary: first start creates the database, a restart keeps every
//! acknowledged booking, SIGTERM exits promptly, bad configuration stops it.

use std::process::Command;

use serde_json::json;

use crate::support::*;

#[test]
fn first_start_creates_the_database_and_a_restart_keeps_bookings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/boxoffice.redb");
    let agent = agent();
    let server = Server::start(&db, &[]);
    assert!(db.exists());
    let (status, booked) = call(
        &agent,
        "POST",
        &server.url("/api/book-ticket"),
        Some(
            &json!({"userName": "Asha", "phoneNumber": "98765 43210", "ticketCount": 3, "showTime": "2099-05-01 18:30"}),
        ),
    );
    assert_eq!(status, 200, "{booked}");
    let exit = server.terminate();
    assert!(exit.as_secs() < 10, "SIGTERM took {exit:?}");

    let server = Server::start(&db, &[]);
    let movie = booked["data"]["movieId"].as_str().unwrap();
    let (status, show) = call(
        &agent,
        "GET",
        &server.url(&format!("/api/view-all-tickets?movieId={movie}")),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(show["ticketCount"], 3);
    assert_eq!(
        show["allTickets"][0]["ticketId"],
        booked["data"]["ticketId"]
    );
    assert_eq!(show["allTickets"][0]["phoneNumber"], "98765 43210");
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("ROCKET_TIMEZONE", "Mars/Olympus"),
        ("ROCKET_CAPACITY", "0"),
        ("ROCKET_EXPIRE_AFTER", "soon"),
        ("ROCKET_PURGE_INTERVAL", "0s"),
        ("ROCKET_PORT", "abc"),
        ("ROCKET_MAX_BATCH", "0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
            .current_dir(dir.path())
            .env("ROCKET_PORT", "0")
            .env(key, value)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{key}={value} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = key.trim_start_matches("ROCKET_").to_lowercase();
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&name), "{key}: {stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "a refused start wrote nothing"
    );
}

#[test]
fn a_numeric_token_from_the_environment_is_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.redb"),
        &[("ROCKET_API_TOKEN", "12345")],
    );
    let agent = agent();
    let url = server.url("/api/view-all-tickets?showTime=2099-01-01%2010:00");
    let (status, body) = call(&agent, "GET", &url, None);
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Invalid Auth token"))
    );
    let response = agent.get(&url).set("X-Auth-Token", "12345").call();
    let status = match response {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(status, 404, "the right token passes and finds no show");
}
