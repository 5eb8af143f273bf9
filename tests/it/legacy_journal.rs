//! Files left by the release that kept a journal beside its database: the
//! first start of this build retires the journal (replaying it after a
//! crash, when the result passes the check), or stops with one line and
//! leaves both files as they were.

use std::path::{Path, PathBuf};

use boxoffice::store::check_file;

use crate::support::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/journal-release"
);

/// `database` (and `journal`, when given) copied into a new folder as
/// `boxoffice.redb` and `boxoffice.redb.journal`.
fn copied(database: &str, journal: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("boxoffice.redb");
    std::fs::copy(Path::new(FIXTURES).join(database), &path).unwrap();
    if let Some(journal) = journal {
        std::fs::copy(Path::new(FIXTURES).join(journal), journal_of(&path)).unwrap();
    }
    (dir, path)
}

fn journal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// The names booked into the show of 2099-06-01 18:00, and its ticket count.
#[track_caller]
fn show_as_served(server: &Server) -> (Vec<String>, u64) {
    let (status, body) = call(
        &agent(),
        "GET",
        &server.url("/api/view-all-tickets?showTime=2099-06-01%2018%3A00"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let names = body["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["userName"].as_str().unwrap().to_owned())
        .collect();
    (names, body["ticketCount"].as_u64().unwrap())
}

#[test]
fn a_journal_left_by_a_crash_is_replayed_once_checked_and_retired() {
    let (_dir, path) = copied("crash.db", Some("crash.db.journal"));
    let server = Server::start(&path, &[]);
    assert_eq!(
        show_as_served(&server),
        (vec!["Asha".into(), "Ben".into(), "Cleo".into()], 6)
    );
    let (status, films) = call(&agent(), "GET", &server.url("/v1/films"), None);
    assert_eq!(status, 200);
    assert_eq!(films["items"][0]["title"], "Heat", "{films}");
    let said = server.output.lock().unwrap().join("\n");
    assert!(
        said.contains("replayed") && said.contains("journal"),
        "{said}"
    );
    assert!(!journal_of(&path).exists(), "the journal is retired");
    let kept = path.with_file_name("boxoffice.redb.v3.bak");
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        std::fs::read(Path::new(FIXTURES).join("crash.db")).unwrap(),
        "the file as that release left it is kept, as before any upgrade"
    );
    server.terminate();
    assert_eq!(check_file(&path).unwrap(), Vec::<String>::new());
    // A second start has nothing left to replay and serves the same.
    let server = Server::start(&path, &[]);
    assert_eq!(show_as_served(&server).1, 6);
    let said = server.output.lock().unwrap().join("\n");
    assert!(!said.contains("replayed"), "{said}");
}

#[test]
fn the_file_left_by_that_crash_lacks_what_only_its_journal_holds() {
    // Without its journal (as a copy made without it would be) the file
    // holds fewer bookings: the replay above is what brings them back.
    let (_dir, path) = copied("crash.db", None);
    let server = Server::start(&path, &[]);
    let (status, body) = call(
        &agent(),
        "GET",
        &server.url("/api/view-all-tickets?showTime=2099-06-01%2018%3A00"),
        None,
    );
    assert!(
        status == 404 || body["ticketCount"].as_u64().unwrap() < 6,
        "{status} {body}"
    );
}

#[test]
fn a_journal_left_by_a_clean_stop_is_removed_and_changes_nothing() {
    let (_dir, path) = copied("clean.db", Some("clean.db.journal"));
    let before = std::fs::read(&path).unwrap();
    let server = Server::start(&path, &[]);
    assert_eq!(show_as_served(&server), (vec!["Fay".into()], 1));
    assert!(!journal_of(&path).exists());
    let said = server.output.lock().unwrap().join("\n");
    assert!(!said.contains("replayed"), "{said}");
    drop(server);
    assert!(!before.is_empty());
}

#[test]
fn a_journal_that_does_not_belong_to_its_file_stops_start_up_and_touches_neither() {
    let (dir, path) = copied("after.db", Some("crash.db.journal"));
    let (file, journal) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(journal_of(&path)).unwrap(),
    );
    let output = boxoffice_command(&[], dir.path())
        .env("ROCKET_DB_PATH", &path)
        .env("ROCKET_PORT", "0")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("journal") && lines[0].contains("does not agree"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), file, "the file is untouched");
    assert_eq!(
        std::fs::read(journal_of(&path)).unwrap(),
        journal,
        "the journal is untouched"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "nothing else is left behind: {left:?}");
}
