//! The command line: `boxoffice check` finds every broken invariant of a
//! file offline and says so with its exit code; the health routes answer.

use std::process::Command;

use boxoffice::domain::Rules;
use boxoffice::store::Store;
use redb::{Database, MultimapTableDefinition, TableDefinition};
use rocket::http::Status;

use crate::support::*;

/// A database with a few bookings, written by the service and closed.
fn populated() -> (tempfile::TempDir, std::path::PathBuf) {
    let service = local();
    service.book("Asha", 2, SHOW);
    service.book("Bo", 3, SHOW);
    service.book("Chen", 1, "2030-01-03 09:00");
    let dir = service.close();
    let path = dir.path().join("boxoffice.redb");
    (dir, path)
}

#[test]
fn a_sound_file_passes() {
    let (dir, path) = populated();
    let output = boxoffice(&["check", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("every invariant holds"));
}

#[test]
fn the_configured_file_is_checked_when_none_is_named() {
    let (dir, _) = populated();
    let output = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .arg("check")
        .current_dir(dir.path())
        .env("ROCKET_DB_PATH", "boxoffice.redb")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn every_broken_invariant_is_listed_and_the_exit_code_is_1() {
    const SCREEN_START_TO_SHOW_ID: TableDefinition<(u128, i64), u128> =
        TableDefinition::new("screen_start_to_show_id");
    const TICKET_ID_TO_TICKET: TableDefinition<u128, &[u8]> =
        TableDefinition::new("ticket_id_to_ticket");
    const SHOW_ID_TO_TICKET_IDS: MultimapTableDefinition<u128, u128> =
        MultimapTableDefinition::new("show_id_to_ticket_ids");
    let (dir, path) = populated();
    {
        let db = Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            // A ticket gone from its table but still listed under its show,
            // and a start index entry for a show that does not exist.
            let mut tickets = txn.open_table(TICKET_ID_TO_TICKET).unwrap();
            let first = redb::ReadableTable::first(&tickets)
                .unwrap()
                .unwrap()
                .0
                .value();
            tickets.remove(first).unwrap();
            txn.open_table(SCREEN_START_TO_SHOW_ID)
                .unwrap()
                .insert((0, 1), 42)
                .unwrap();
            txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)
                .unwrap()
                .insert(43, 44)
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let output = boxoffice(&["check", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    for expected in [
        "lists missing ticket",
        "counts 5 seats sold but its tickets hold 3",
        "the screen index names missing show",
        "missing show 00000000000000000000002b lists tickets",
    ] {
        assert!(report.contains(expected), "{expected:?} in\n{report}");
    }
    assert!(text(&output.stderr).contains("problems found"));
}

#[test]
fn a_file_that_cannot_be_opened_is_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.redb");
    let output = boxoffice(&["check", missing.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(!missing.exists(), "check created nothing");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot open database"), "{stderr}");

    let newer = dir.path().join("newer.redb");
    drop(Store::open(&newer, 1 << 20, Rules::new(5, HOUR)).unwrap());
    {
        const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
        let db = Database::open(&newer).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema_version", 99)
            .unwrap();
        txn.commit().unwrap();
    }
    let output = boxoffice(&["check", newer.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("newer boxoffice (schema 99)"));
}

#[test]
fn the_file_of_a_running_service_is_checked_while_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let server = Server::start(&path, &[]);
    let agent = agent();
    for name in ["Asha", "Bo"] {
        let (status, body) = call(
            &agent,
            "POST",
            &server.url("/api/book-ticket"),
            Some(&booking(name, 2, "2099-05-01 18:30")),
        );
        assert_eq!(status, 200, "{body}");
    }
    let output = boxoffice(&["check", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("every invariant holds"));
    // The service goes on selling after the check.
    let (status, body) = call(
        &agent,
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking("Chen", 1, "2099-05-01 18:30")),
    );
    assert_eq!(status, 200, "{body}");
    drop(server);
}

#[test]
fn help_names_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let output = boxoffice(&["--help"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    for subcommand in ["serve", "check", "backup"] {
        assert!(help.contains(subcommand), "{subcommand} in {help}");
    }
    let output = boxoffice(&["frobnicate"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown subcommand is refused"
    );
}

#[test]
fn the_health_routes_answer_without_a_token() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    for route in ["/livez", "/readyz"] {
        let (status, body) = service.get(route);
        assert_eq!(status, Status::Ok, "{route}");
        assert_eq!(body, serde_json::json!({"status": "pass"}), "{route}");
    }
}
