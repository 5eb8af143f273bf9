//! Schema upgrades: a file written by the first release (schema 1) opens in
//! this build, is copied beside itself and upgraded, and answers exactly as
//! that release did.

use std::path::{Path, PathBuf};

use boxoffice::store::{backup_path, check_file, SCHEMA_VERSION};
use rocket::http::Status;
use serde_json::Value;

use crate::support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema1.db");
const ANSWERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/schema1-view-all.jsonl"
);
const SHOW_TIMES: [&str; 5] = [
    "2030-01-02 18:30",
    "2030-01-02 21:00",
    "2030-01-03 15:00",
    "2030-01-04 10:15",
    "2030-01-05 09:00",
];
const DELETED: &str = "01M8RDT60SXYNJT32MXPQ65S39";

/// A copy of the fixture where the service looks for its database.
#[track_caller]
fn schema_one_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("boxoffice.redb");
    std::fs::copy(FIXTURE, &path).unwrap();
    (dir, path)
}

#[track_caller]
fn recorded_answers() -> Vec<Value> {
    std::fs::read_to_string(ANSWERS)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[track_caller]
fn answers_as_the_first_release_did(service: &Local) {
    for (show_time, recorded) in SHOW_TIMES.iter().zip(recorded_answers()) {
        let (status, body) = service.get(&format!(
            "/api/view-all-tickets?showTime={}",
            encode(show_time)
        ));
        assert_eq!(body, recorded, "{show_time}");
        let expected = if recorded["success"] == true {
            Status::Ok
        } else {
            Status::NotFound
        };
        assert_eq!(status, expected, "{show_time}");
        for ticket in recorded["allTickets"].as_array().into_iter().flatten() {
            let id = ticket["ticketId"].as_str().unwrap();
            let (status, details) = service.get(&format!("/api/user-details?ticketId={id}"));
            assert_eq!(status, Status::Ok);
            assert_eq!(details["userDetails"]["userName"], ticket["userName"]);
            assert_eq!(details["userDetails"]["phoneNumber"], ticket["phoneNumber"]);
        }
    }
    let (status, _) = service.get(&format!("/api/user-details?ticketId={DELETED}"));
    assert_eq!(status, Status::NotFound, "the deleted ticket stays deleted");
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_schema_one_file_is_upgraded_and_keeps_every_booking() {
    const { assert!(SCHEMA_VERSION > 1) };
    let (dir, path) = schema_one_file();
    let service = local_in(dir, |figment| figment);
    answers_as_the_first_release_did(&service);

    // The file as it was is kept beside it, byte for byte.
    let copy = backup_path(&path, 1);
    assert_eq!(copy.file_name().unwrap(), "boxoffice.redb.v1.bak");
    assert!(
        bytes(&copy) == bytes(Path::new(FIXTURE)),
        "the copy differs"
    );

    // The upgraded file takes new bookings, moves and deletes as usual.
    let asha = service.book("After Upgrade", 3, "2030-01-02 18:30");
    let moved = service.put(
        "/api/update-timing",
        &serde_json::json!({"ticketId": "01M8RDT5DRWAN77C1GMASH5DK0", "newShowTime": "2030-01-03 18:00"}),
    );
    assert_eq!(moved.0, Status::Ok, "{}", moved.1);
    let (_, show) = service.get("/api/view-all-tickets?showTime=2030-01-02%2018%3A30");
    assert_eq!(show["ticketCount"], 10 - 2 + 3);
    let listed: Vec<&Value> = show["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| &ticket["ticketId"])
        .collect();
    assert_eq!(
        listed.last(),
        Some(&&asha["ticketId"]),
        "new ids sort after old ones"
    );

    // Reopening does not upgrade again, and the copy is untouched.
    let service = service.restart(|figment| figment);
    let (status, _) = service.get(&format!(
        "/api/user-details?ticketId={}",
        asha["ticketId"].as_str().unwrap()
    ));
    assert_eq!(status, Status::Ok);
    assert!(
        bytes(&copy) == bytes(Path::new(FIXTURE)),
        "the copy changed"
    );
    service.close();
}

#[test]
fn the_upgraded_file_passes_the_check() {
    let (dir, path) = schema_one_file();
    let message = check_file(&path).unwrap_err().to_string();
    assert!(
        message.contains("schema 1") && message.contains("upgrade"),
        "check does not upgrade: {message}"
    );
    assert!(
        bytes(&path) == bytes(Path::new(FIXTURE)),
        "check changed the file"
    );
    let service = local_in(dir, |figment| figment);
    answers_as_the_first_release_did(&service);
    let dir = service.close();
    assert_eq!(check_file(&path).unwrap(), Vec::<String>::new());
    drop(dir);
}

#[test]
fn the_real_binary_upgrades_on_start_and_says_so() {
    let (_dir, path) = schema_one_file();
    let server = Server::start(&path, &[]);
    let (status, body) = call(
        &agent(),
        "GET",
        &server.url("/api/view-all-tickets?showTime=2030-01-03%2015%3A00"),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(body, recorded_answers()[2]);
    let said = server.output.lock().unwrap().join("\n");
    assert!(
        said.contains(&format!(
            "upgraded database {} from schema 1 to {SCHEMA_VERSION}",
            path.display()
        )) && said.contains("boxoffice.redb.v1.bak"),
        "{said}"
    );
}
