//! A wrong clock at start-up, with the real binary under libfaketime: a
//! wall clock two days or a year ahead, on a kernel that does not vouch for
//! it (`clock_sync = "never"`), deletes nothing that a right clock would
//! keep, says so in `/readyz`, and once the clock is right again every
//! booking works at once.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::support::*;

/// The binary run with libfaketime shifting the wall clock by `offset`
/// (its syntax), the monotonic clock left alone; fails where it is not
/// installed. Preloaded by `env`, which execs: the server's pid is the
/// binary's, so SIGTERM reaches it.
fn faketime(offset: &str) -> Vec<String> {
    let library = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("faketime").join("libfaketime.so.1"))
        .find(|path| path.exists());
    let Some(library) = library else {
        panic!("libfaketime.so.1 is not under /usr/lib: install Debian's faketime");
    };
    vec![
        "env".into(),
        format!("LD_PRELOAD={}", library.display()),
        format!("FAKETIME={offset}"),
        "FAKETIME_DONT_FAKE_MONOTONIC=1".into(),
    ]
}

/// A show time `hours` from the real now, as `/api` takes it (UTC).
fn hours_ahead(hours: i64) -> String {
    (Utc::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A purge at start and every 5 s; a restart within 5 s of the last purge
/// is on a clock close enough to trust.
const SETTINGS: [(&str, &str); 2] = [
    ("ROCKET_PURGE_INTERVAL", "5s"),
    ("ROCKET_CLOCK_SYNC", "never"),
];

fn start(db: &Path, wrapper: Option<&[String]>) -> Server {
    match wrapper {
        Some(wrapper) => {
            let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
            Server::start_wrapped(db, &SETTINGS, &wrapper)
        }
        None => Server::start(db, &SETTINGS),
    }
}

#[track_caller]
fn book(server: &Server, name: &str, show_time: &str) -> (u16, Value) {
    call(
        &agent(),
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking(name, 1, show_time)),
    )
}

/// The names booked into the show at `show_time` (none: it is gone).
#[track_caller]
fn names(server: &Server, show_time: &str) -> Vec<String> {
    let (status, body) = call(
        &agent(),
        "GET",
        &server.url(&format!(
            "/api/view-all-tickets?showTime={}",
            encode(show_time)
        )),
        None,
    );
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    body["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[track_caller]
/// `/readyz` without the line that the service is open (these services run
/// open, on loopback): the warnings left are the clock's.
fn readiness(server: &Server) -> Value {
    let (status, mut body) = call(&agent(), "GET", &server.url("/readyz"), None);
    assert_eq!(status, 200, "{body}");
    let open = |warning: &Value| {
        warning
            .as_str()
            .is_some_and(|text| text.starts_with("boxoffice is open"))
    };
    if let Some(warnings) = body.get_mut("warnings").and_then(Value::as_array_mut) {
        assert_eq!(warnings.iter().filter(|warning| open(warning)).count(), 1);
        warnings.retain(|warning| !open(warning));
        if warnings.is_empty() {
            body.as_object_mut().expect("an object").remove("warnings");
        }
    }
    body
}

/// Books into shows `hours` ahead on a right clock, lets the purge store its
/// heartbeat, restarts under a clock `offset` ahead, and back.
fn survives_a_start_ahead(offset: &str, hours: &[i64]) {
    let wrapper = faketime(offset);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("boxoffice.redb");
    let shows: Vec<String> = hours.iter().map(|hours| hours_ahead(*hours)).collect();

    let server = start(&db, None);
    for (i, show) in shows.iter().enumerate() {
        let (status, body) = book(&server, &format!("Guest {i}"), show);
        assert_eq!(status, 200, "{body}");
    }
    // The purge at start stores the heartbeat.
    std::thread::sleep(Duration::from_millis(500));
    assert!(readiness(&server).get("warnings").is_none());
    server.terminate();

    let server = start(&db, Some(&wrapper));
    // Two purges under the wrong clock: at start and 5 s later.
    std::thread::sleep(Duration::from_millis(5_500));
    let ready = readiness(&server);
    let warnings = ready["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{ready}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains("ahead of trusted time") && warning.contains("clock trust"),
        "{warning}"
    );
    let said = server.output.lock().unwrap().join("\n");
    assert!(
        said.contains("ahead of trusted time"),
        "the log says so too: {said}"
    );
    for (i, show) in shows.iter().enumerate() {
        assert_eq!(names(&server, show), vec![format!("Guest {i}")], "{show}");
    }
    // A write while the clock is wrong stores its (wrong) time.
    let far = hours_ahead(24 * 800);
    let (status, body) = book(&server, "Far ahead", &far);
    assert_eq!(status, 200, "{body}");
    server.terminate();

    let server = start(&db, None);
    for (i, show) in shows.iter().enumerate() {
        assert_eq!(names(&server, show), vec![format!("Guest {i}")], "{show}");
        let (status, body) = book(&server, &format!("After {i}"), show);
        assert_eq!(
            status, 200,
            "the clock is right: bookings work at once: {body}"
        );
    }
    let ready = readiness(&server);
    assert!(ready.get("warnings").is_none(), "{ready}");
    let (status, _) = book(&server, "Farther", &far);
    assert_eq!(status, 200);
}

#[test]
#[ignore = "needs libfaketime (Debian's faketime)"]
fn a_start_two_days_ahead_deletes_nothing_a_right_clock_keeps() {
    // Shows a right clock keeps, each expired by a clock two days ahead
    // (tickets expire 8 h after the start).
    survives_a_start_ahead("+2d", &[2, 20, 30]);
}

#[test]
#[ignore = "needs libfaketime (Debian's faketime)"]
fn a_start_a_year_ahead_deletes_nothing_a_right_clock_keeps() {
    survives_a_start_ahead("+1y", &[2, 24 * 40, 24 * 200]);
}

#[test]
fn a_start_on_a_clock_close_to_the_heartbeat_is_not_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("boxoffice.redb");
    let server = start(&db, None);
    std::thread::sleep(Duration::from_millis(500));
    server.terminate();
    let server = start(&db, None);
    assert!(readiness(&server).get("warnings").is_none());
}

#[test]
#[ignore = "needs libfaketime (Debian's faketime)"]
fn boxoffice_clock_trust_ends_the_distrust_of_a_running_or_stopped_service() {
    let wrapper = faketime("+2d");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("boxoffice.redb");
    let server = start(&db, None);
    let (status, _) = book(&server, "Guest", &hours_ahead(2));
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_millis(500));
    server.terminate();

    // Running: the request is taken at the next purge.
    let server = start(&db, Some(&wrapper));
    assert!(readiness(&server).get("warnings").is_some());
    let output = boxoffice(
        &["clock", "trust", "--database", db.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("the running service takes it"));
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while readiness(&server).get("warnings").is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the service never took the trust"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!dir.path().join("boxoffice.redb.trust").exists());
    server.terminate();

    // Stopped: the next start begins from the time it was told.
    let mut command = std::process::Command::new(&wrapper[0]);
    command
        .args(&wrapper[1..])
        .arg(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["clock", "trust", "--database"])
        .arg(&db)
        .current_dir(dir.path())
        .env_remove("ROCKET_DB_PATH");
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("the next start begins from it"));
    let server = start(&db, Some(&wrapper));
    assert!(readiness(&server).get("warnings").is_none());
}

#[test]
fn a_trust_request_to_a_service_that_distrusts_nothing_is_taken_all_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("boxoffice.redb");
    let server = start(&db, None);
    let output = boxoffice(
        &["clock", "trust", "--database", db.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let request = dir.path().join("boxoffice.redb.trust");
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while request.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the request is left beside the database"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(readiness(&server).get("warnings").is_none());
}
