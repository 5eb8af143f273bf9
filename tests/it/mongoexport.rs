//! `boxoffice import --mongoexport`: the old service's data, with its
//! `ObjectIds` kept as ids that answer on `/api`, and every inconsistency
//! reported per record.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mongoexport");

#[track_caller]
fn import(dir: &Path, database: &Path, movies: &Path, tickets: &Path) -> Output {
    boxoffice_command(
        &[
            "import",
            "--mongoexport",
            movies.to_str().unwrap(),
            tickets.to_str().unwrap(),
            "--database",
            database.to_str().unwrap(),
        ],
        dir,
    )
    .env("ROCKET_TIMEZONE", "Asia/Kolkata")
    .output()
    .expect("the binary runs")
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(FIXTURE).join(name)
}

#[test]
fn the_old_service_s_data_imports_as_documented_and_its_ids_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("imported.redb");
    let output = import(
        dir.path(),
        &db,
        &fixture("movies.json"),
        &fixture("tickets.json"),
    );
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    for expected in [
        // The orphan, the negative and the zero count: skipped.
        "tickets.json:4: ticket 6479a2000000000000000004: its movie 6479a1b2c3d4e5f6012345ff is not in",
        "tickets.json:5: ticket 6479a2000000000000000005: ticketCount -2 is not at least 1: skipped",
        "tickets.json:9: ticket 6479a2000000000000000009: ticketCount 0 is not at least 1: skipped",
        // The expired movie, with its ticket.
        "movies.json:3: movie 6479a1b2c3d4e5f601234503 at 2023-06-01 18:30:00: already expired: skipped with its tickets",
        "tickets.json:6: ticket 6479a2000000000000000006: its movie 6479a1b2c3d4e5f601234503 is skipped: skipped",
        // Counts that do not add up, and a show over capacity.
        "movies.json:2: movie 6479a1b2c3d4e5f601234502: ticketCount says 4, its imported tickets hold 3: imported with 3",
        "movies.json:4: movie 6479a1b2c3d4e5f601234504: its tickets hold 22 seats, over the capacity of 20: imported with capacity 22",
        "tickets.json: fields boxoffice does not keep, dropped: email (1)",
        "mongoexport: 4 movies read: 3 imported as shows, 1 not; 9 tickets read: 5 imported, 4 skipped",
        "imported 8 records",
    ] {
        assert!(report.contains(expected), "{expected:?} in\n{report}");
    }
    assert!(
        !report.contains("movies.json:1:"),
        "the consistent movie is not reported:\n{report}"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["check", db.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    let server = Server::start(&db, &[("ROCKET_TIMEZONE", "Asia/Kolkata")]);
    let agent = agent();
    let get = |path: &str| call(&agent, "GET", &server.url(path), None);
    let (status, body) = get("/api/user-details?ticketId=6479a2000000000000000001");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userDetails"]["userName"], "Asha Rao");
    assert_eq!(body["userDetails"]["phoneNumber"], 9876543210u64);
    let (status, body) = get("/api/user-details?ticketId=6479A2000000000000000002");
    assert_eq!(
        (status, body["userDetails"]["phoneNumber"].clone()),
        (200, "+91 98765 43211".into())
    );
    // The venue's wall time, read in Asia/Kolkata, and the movie's own id.
    let (status, show) = get("/api/view-all-tickets?movieId=6479a1b2c3d4e5f601234501");
    assert_eq!(status, 200, "{show}");
    assert_eq!(show["showTime"], "2099-06-01 18:30:00");
    assert_eq!(show["movieId"], "6479a1b2c3d4e5f601234501");
    assert_eq!(show["ticketCount"], 5);
    let ids: Vec<&str> = show["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["ticketId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["6479a2000000000000000001", "6479a2000000000000000002"]
    );
    let (status, by_time) = get(&format!(
        "/api/view-all-tickets?showTime={}",
        encode("2099-06-02 21:00")
    ));
    assert_eq!(status, 200, "{by_time}");
    assert_eq!(by_time["movieId"], "6479a1b2c3d4e5f601234502");
    assert_eq!(by_time["ticketCount"], 3);
    let (_, big) = get("/api/view-all-tickets?movieId=6479a1b2c3d4e5f601234504");
    assert_eq!(
        (big["ticketCount"].clone(), big["capacity"].clone()),
        (22.into(), 22.into())
    );
    // What was skipped is not there; an unknown ObjectId is a 404.
    for skipped in ["6479a2000000000000000004", "6479a2000000000000000006"] {
        let (status, body) = get(&format!("/api/user-details?ticketId={skipped}"));
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["message"], "Ticket ID does not exist in Database.");
    }
    // Imported tickets can be moved and deleted like any other.
    let (status, moved) = call(
        &agent,
        "PUT",
        &server.url("/api/update-timing"),
        Some(
            &serde_json::json!({"ticketId": "6479a2000000000000000003", "newShowTime": "2099-06-04 18:30"}),
        ),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["data"]["ticketId"], "6479a2000000000000000003");
    let (status, _) = call(
        &agent,
        "DELETE",
        &server.url("/api/delete-ticket"),
        Some(&serde_json::json!({"ticketId": "6479a2000000000000000007"})),
    );
    assert_eq!(status, 200);
}

#[test]
fn a_malformed_document_refuses_the_input_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let tickets = std::fs::read_to_string(fixture("tickets.json")).unwrap();
    for (line, replacement, why) in [
        (3, "{not json", "not JSON"),
        (3, "[1, 2]", "not a JSON document"),
        (
            3,
            r#"{"movieId": {"$oid": "6479a1b2c3d4e5f601234501"}}"#,
            "no `_id` ObjectId",
        ),
        (
            3,
            r#"{"_id":{"$oid":"6479a2000000000000000001"},"ticketCount":1}"#,
            "an `_id` already seen",
        ),
    ] {
        let mut lines: Vec<&str> = tickets.lines().collect();
        lines[line - 1] = replacement;
        let broken = dir.path().join("tickets.json");
        std::fs::write(&broken, lines.join("\n")).unwrap();
        let db = dir.path().join(format!("db-{why}.redb"));
        let output = import(dir.path(), &db, &fixture("movies.json"), &broken);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("tickets.json:{line}: ")),
            "{stderr}"
        );
        assert!(stderr.contains(why), "{why} in {stderr}");
        assert!(stderr.contains("nothing was imported"));
        assert!(!db.exists(), "nothing was written: {stderr}");
    }
    let movies = dir.path().join("movies.json");
    std::fs::write(
        &movies,
        r#"{"_id":{"$oid":"6479a1b2c3d4e5f601234501"},"ticketCount":1}"#,
    )
    .unwrap();
    let output = import(
        dir.path(),
        &dir.path().join("db.redb"),
        &movies,
        &fixture("tickets.json"),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("movies.json:1: no `showTime`"));
}
