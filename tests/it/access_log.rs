//! The service's own log on the real binary: every 5xx with its method,
//! route, request id and cause (never the body), in text and JSON, and the
//! start-up and shutdown lines.

use std::sync::Arc;
use std::time::Duration;

use redb::{Database, ReadableTable, TableDefinition};
use serde_json::Value;

use crate::support::*;

const TICKETS: TableDefinition<u128, &[u8]> = TableDefinition::new("ticket_id_to_ticket");

/// A database with one ticket whose stored record is damaged (one flipped
/// bit), and that ticket's id.
fn damaged_ticket() -> (tempfile::TempDir, String) {
    let service = local();
    let booked = service.book("Asha Rao", 2, SHOW);
    let dir = service.close();
    let path = dir.path().join("boxoffice.redb");
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut tickets = txn.open_table(TICKETS).unwrap();
        let (id, mut bytes) = {
            let (id, value) = tickets.first().unwrap().unwrap();
            (id.value(), value.value().to_vec())
        };
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        tickets.insert(id, bytes.as_slice()).unwrap();
    }
    txn.commit().unwrap();
    (dir, booked["ticketId"].as_str().unwrap().to_owned())
}

/// Runs the real binary on `dir`'s database, asks for the damaged ticket
/// with `X-Request-Id: req-500`, stops it; its output lines.
fn five_hundred(format: &str) -> Vec<String> {
    let (dir, ticket) = damaged_ticket();
    let server = Server::start_logging(
        &dir.path().join("boxoffice.redb"),
        &[("ROCKET_LOG_FORMAT", format)],
        Some("critical"),
    );
    let response = agent()
        .get(&server.url(&format!("/api/user-details?ticketId={ticket}")))
        .set("X-Request-Id", "req-500")
        .call();
    let Err(ureq::Error::Status(500, response)) = response else {
        panic!("not a 500: {response:?}");
    };
    assert_eq!(response.header("X-Request-Id"), Some("req-500"));
    let body: Value = response.into_json().unwrap();
    assert_eq!(body["message"], "Internal server error.");
    let output = Arc::clone(&server.output);
    server.terminate();
    std::thread::sleep(Duration::from_millis(200));
    let lines = output.lock().unwrap().clone();
    lines
}

#[test]
fn a_5xx_is_logged_with_its_route_request_id_and_cause() {
    let lines = five_hundred("text");
    let log = lines.join("\n");
    let line = lines
        .iter()
        .find(|line| line.contains(" ERROR GET /api/user-details 500 "))
        .unwrap_or_else(|| panic!("no 500 line in\n{log}"));
    println!("{line}");
    assert!(line.contains("id=req-500"), "{line}");
    assert!(line.contains("checksum mismatch"), "the cause: {line}");
    assert!(
        !line.contains("Asha") && !line.contains("ticketId="),
        "{line}"
    );
    // Shutdown, at the default level of a release build.
    assert!(log.contains(" INFO boxoffice: shutting down"), "{log}");
    assert!(
        log.contains(" INFO boxoffice: stopped; the database is closed"),
        "{log}"
    );
}

#[test]
fn a_5xx_in_the_json_log_is_one_object_with_its_cause() {
    let lines = five_hundred("json");
    let failure: Value = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["status"] == 500)
        .unwrap_or_else(|| panic!("no 500 line in {lines:?}"));
    assert_eq!(failure["level"], "error");
    assert_eq!(failure["method"], "GET");
    assert_eq!(failure["route"], "/api/user-details");
    assert_eq!(failure["requestId"], "req-500");
    assert!(failure["cause"]
        .as_str()
        .unwrap()
        .contains("checksum mismatch"));
    // Start-up is said in the same JSON.
    let started = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .any(|line| {
            line["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("boxoffice listening on http://"))
        });
    assert!(started, "{lines:?}");
}

#[test]
fn an_unknown_log_format_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .current_dir(dir.path())
        .env("ROCKET_PORT", "0")
        .env("ROCKET_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`log_format`"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
