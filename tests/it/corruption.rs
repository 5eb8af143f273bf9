//! A flipped bit in a stored record: at every byte of the key and the value
//! of records of several kinds, in a copy of a populated file, the service
//! answers either exactly what was stored or an error — never a wrong value
//! with 200 — and `boxoffice check` names the damaged record.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use rocket::http::Status;
use serde_json::Value;

use boxoffice::store::check_file;

use crate::support::*;

const TICKETS: TableDefinition<u128, &[u8]> = TableDefinition::new("ticket_id_to_ticket");
const SHOWS: TableDefinition<u128, &[u8]> = TableDefinition::new("show_id_to_show");

/// Every (key, value) of `table` as stored.
fn records(path: &Path, table: TableDefinition<u128, &[u8]>) -> Vec<([u8; 16], Vec<u8>)> {
    let db = Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(table).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            (key.value().to_be_bytes(), value.value().to_vec())
        })
        .collect()
}

/// Where `needle` stands in `haystack` (every place: pages the file still
/// holds from earlier commits may have copies).
fn places(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at)
        .collect()
}

/// redb stores a u128 key little-endian in its pages.
fn stored_key(key: [u8; 16]) -> [u8; 16] {
    u128::from_be_bytes(key).to_le_bytes()
}

struct Case {
    what: String,
    file: Vec<u8>,
}

/// Copies of `file`, each with one bit flipped at one byte of `bytes`, in
/// each place they stand (pages of earlier commits may hold copies, and an
/// id stands in the indexes too).
fn flips(file: &[u8], bytes: &[u8], what: &str) -> Vec<Case> {
    let at = places(file, bytes);
    assert!(!at.is_empty(), "{what} not found in the file");
    at.iter()
        .flat_map(|start| {
            (0..bytes.len()).map(move |offset| {
                let mut damaged = file.to_vec();
                damaged[start + offset] ^= 1 << (offset % 8);
                Case {
                    what: format!("{what} at {start}, byte {offset}"),
                    file: damaged,
                }
            })
        })
        .collect()
}

#[track_caller]
fn never_a_wrong_200(status: Status, body: &Value, expected: &Value, what: &str, url: &str) {
    match status.code {
        200 => assert_eq!(
            body, expected,
            "{what}: {url} answered 200 with a wrong value"
        ),
        500 => assert_eq!(body["message"], "Internal server error.", "{what}: {url}"),
        // A damaged key or index entry no longer names the record: it is not
        // found, which is no wrong value.
        404 => {}
        other => panic!("{what}: {url} answered {other}: {body}"),
    }
}

#[test]
fn no_flipped_bit_is_ever_served_as_data() {
    let service = local();
    for (name, phone, show) in [
        ("Asha Rao", "+91 98765 43210", SHOW),
        ("Bo Lindqvist", "+46 70-123 45 67", SHOW),
        ("Zoë Ünal", "+90 532 000 11 22", "2030-01-03 09:00"),
    ] {
        let body = serde_json::json!({
            "userName": name, "phoneNumber": phone, "ticketCount": 2, "showTime": show
        });
        let (status, answer) = service.post("/api/book-ticket", &body);
        assert_eq!(status, Status::Ok, "{answer}");
    }
    let dir = service.close();
    let path = dir.path().join("boxoffice.redb");
    let urls: Vec<String> = records(&path, TICKETS)
        .iter()
        .map(|(key, _)| {
            format!(
                "/api/user-details?ticketId={}",
                ulid::Ulid(u128::from_be_bytes(*key))
            )
        })
        .chain(
            ["2030-01-02%2018%3A30", "2030-01-03%2009%3A00"]
                .map(|time| format!("/api/view-all-tickets?showTime={time}")),
        )
        .collect();
    // What the undamaged file answers.
    let pristine = std::fs::read(&path).unwrap();
    let expected: Vec<(Status, Value)> = {
        let service = local_in(tempdir_with(&pristine), |figment| figment);
        urls.iter().map(|url| service.get(url)).collect()
    };

    let mut cases = Vec::new();
    for (table, kind) in [(TICKETS, "ticket"), (SHOWS, "show")] {
        for (key, value) in records(&path, table) {
            let id = ulid::Ulid(u128::from_be_bytes(key));
            cases.extend(flips(&pristine, &value, &format!("{kind} {id} value")));
            cases.extend(flips(
                &pristine,
                &stored_key(key),
                &format!("{kind} {id} key"),
            ));
        }
    }
    let (mut refused, mut served, mut unused) = (0, 0, 0);
    for case in &cases {
        let dir = tempdir_with(&case.file);
        let file = dir.path().join("boxoffice.redb");
        let problems = check_file(&file).map_err(|error| error.to_string());
        let service = local_in(dir, |figment| figment);
        for (url, (status, body)) in urls.iter().zip(&expected) {
            assert_eq!(*status, Status::Ok);
            let (got, answer) = service.get(url);
            never_a_wrong_200(got, &answer, body, &case.what, url);
            if got == Status::Ok {
                served += 1;
            } else {
                refused += 1;
            }
        }
        drop(service);
        // `check` finds the damage (a copy in a page no commit uses any more
        // is no damage to the data).
        let problems = problems.unwrap_or_else(|error| vec![error]);
        if problems.is_empty() {
            unused += 1;
        }
    }
    eprintln!(
        "{} damaged copies ({unused} in pages no commit uses), {} answers: {served} exact, \
         {refused} refused, none wrong",
        cases.len(),
        served + refused
    );
    assert!(unused < cases.len() / 2, "most flips must hit live records");
}

/// A temporary folder holding `bytes` as the service's database file.
fn tempdir_with(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("boxoffice.redb"), bytes).unwrap();
    dir
}

/// A database with a record of every kind the service keeps: a seat-map
/// screen, a film, a show on it and one on the default screen, bookings by
/// seat and by count, a hold and stored idempotency answers.
fn every_kind(service: &Local) -> Vec<String> {
    let (status, screen) = service.post(
        "/v1/screens",
        &serde_json::json!({"name": "Screen 1", "rows": [
            {"label": "A", "seats": [{"number": "1"}, {"number": "2"}, {"number": "3"}]},
            {"label": "B", "seats": [{"number": "1"}, {"number": "2"}, {"number": "3"}]}]}),
    );
    assert_eq!(status, Status::Created, "{screen}");
    let (status, film) = service.post(
        "/v1/films",
        &serde_json::json!({"title": "Heat", "runtimeMinutes": 170, "rating": "R"}),
    );
    assert_eq!(status, Status::Created, "{film}");
    let (status, show) = service.post(
        "/v1/shows",
        &serde_json::json!({"screenId": screen["id"], "filmId": film["id"], "start": "2030-01-05 18:00"}),
    );
    assert_eq!(status, Status::Created, "{show}");
    let keyed = |key: &str, uri: &str, body: &Value| {
        let answer = service.request(
            "POST",
            uri,
            Some(&body.to_string()),
            &[("Idempotency-Key", key)],
        );
        assert!(answer.status.code < 300, "{}", answer.body);
        answer.body
    };
    let booking = keyed(
        "key-booking",
        "/v1/bookings",
        &serde_json::json!({"showId": show["id"], "seats": ["A1", "A2"],
            "userName": "Asha Rao", "phoneNumber": "+91 98765 43210"}),
    );
    let hold = keyed(
        "key-hold",
        "/v1/holds",
        &serde_json::json!({"showId": show["id"], "seats": ["B2"]}),
    );
    let ticket = service.book("Bo Lindqvist", 2, SHOW);
    vec![
        format!("/v1/screens/{}", screen["id"].as_str().unwrap()),
        format!("/v1/films/{}", film["id"].as_str().unwrap()),
        format!("/v1/shows/{}", show["id"].as_str().unwrap()),
        format!("/v1/bookings/{}", booking["id"].as_str().unwrap()),
        format!("/v1/holds/{}", hold["id"].as_str().unwrap()),
        format!(
            "/api/user-details?ticketId={}",
            ticket["ticketId"].as_str().unwrap()
        ),
    ]
}

/// Seeded positions across the whole file, for one bit flipped at each.
fn positions(len: usize, count: usize, seed: u64) -> Vec<usize> {
    use proptest::prelude::RngExt;
    let mut rng = seeded_rng(seed);
    (0..count).map(|_| rng.random_range(0..len)).collect()
}

/// How the real binary took a damaged file: it started, or it stopped.
enum Start {
    Served(std::process::Child),
    Stopped { code: Option<i32>, stderr: String },
}

fn start_binary(db: &Path) -> Start {
    use std::io::{BufRead, BufReader, Read};
    let mut child = boxoffice_command(&[], db.parent().unwrap())
        .env("ROCKET_DB_PATH", db)
        .env("ROCKET_PORT", "0")
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_CLI_COLORS", "false")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let launched = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("launched from http://"));
        let _ = tx.send(launched);
    });
    if rx.recv_timeout(std::time::Duration::from_secs(20)) == Ok(true) {
        return Start::Served(child);
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Start::Stopped {
        code: status.code(),
        stderr,
    }
}

/// Damaged copies started per run (`FLIPS_AT_START` raises it).
const FLIPS_AT_START: usize = 40;

#[test]
fn a_damaged_file_at_start_up_is_one_line_naming_it_never_a_panic() {
    let flips = std::env::var("FLIPS_AT_START")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(FLIPS_AT_START);
    let service = local();
    every_kind(&service);
    let dir = service.close();
    let pristine = std::fs::read(dir.path().join("boxoffice.redb")).unwrap();
    let seed = fresh_seed();
    let (mut served, mut stopped) = (0, 0);
    for at in positions(pristine.len(), flips, seed) {
        let mut damaged = pristine.clone();
        damaged[at] ^= 1 << (at % 8);
        let dir = tempdir_with(&damaged);
        let db = dir.path().join("boxoffice.redb");
        match start_binary(&db) {
            Start::Served(mut child) => {
                served += 1;
                let _ = child.kill();
                let _ = child.wait();
            }
            Start::Stopped { code, stderr } => {
                stopped += 1;
                let what = format!("a bit flipped at byte {at} (seed {seed})");
                assert_eq!(code, Some(1), "{what}: {stderr}");
                assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
                assert!(
                    stderr.contains(&db.display().to_string()),
                    "{what}: {stderr}"
                );
                assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            }
        }
    }
    eprintln!(
        "{flips} damaged files (seed {seed}): {served} started, {stopped} stopped in one line"
    );
}

const SCREENS: TableDefinition<u128, &[u8]> = TableDefinition::new("screen_id_to_screen");
const FILMS: TableDefinition<u128, &[u8]> = TableDefinition::new("film_id_to_film");
const HOLDS: TableDefinition<u128, &[u8]> = TableDefinition::new("hold_id_to_hold");
const ANSWERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("idempotency_key_to_answer");

#[test]
fn a_flipped_bit_in_a_screen_film_hold_or_stored_answer_is_refused_and_the_rest_served() {
    let service = local();
    let urls = every_kind(&service);
    let dir = service.close();
    let path = dir.path().join("boxoffice.redb");
    let pristine = std::fs::read(&path).unwrap();
    let show_id = urls[2].trim_start_matches("/v1/shows/").to_owned();
    let hold_again = serde_json::json!({"showId": show_id, "seats": ["B2"]}).to_string();
    let replay = |service: &Local| {
        service.request(
            "POST",
            "/v1/holds",
            Some(&hold_again),
            &[("Idempotency-Key", "key-hold")],
        )
    };
    let (expected, replayed): (Vec<(Status, Value)>, Value) = {
        let service = local_in(tempdir_with(&pristine), |figment| figment);
        let replayed = replay(&service);
        assert_eq!(replayed.header("Idempotent-Replayed"), Some("true"));
        (
            urls.iter().map(|url| service.get(url)).collect(),
            replayed.body,
        )
    };
    let mut cases = Vec::new();
    for (table, kind) in [(SCREENS, "screen"), (FILMS, "film"), (HOLDS, "hold")] {
        for (key, value) in records(&path, table) {
            let id = ulid::Ulid(u128::from_be_bytes(key));
            cases.extend(flips(&pristine, &value, &format!("{kind} {id} value")));
        }
    }
    let answers: Vec<Vec<u8>> = {
        let db = Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(ANSWERS).unwrap();
        table
            .iter()
            .unwrap()
            .map(|entry| entry.unwrap().1.value().to_vec())
            .collect()
    };
    assert_eq!(answers.len(), 2, "the booking's and the hold's");
    for value in &answers {
        cases.extend(flips(&pristine, value, "stored answer"));
    }
    let (mut refused, mut served) = (0, 0);
    for case in &cases {
        let service = local_in(tempdir_with(&case.file), |figment| figment);
        let mut touched = 0;
        for (url, (status, body)) in urls.iter().zip(&expected) {
            assert_eq!(*status, Status::Ok, "{url}: {body}");
            let (got, answer) = service.get(url);
            match got.code {
                200 => {
                    assert_eq!(
                        &answer, body,
                        "{}: {url} answered 200 with a wrong value",
                        case.what
                    );
                    served += 1;
                }
                500 | 503 => {
                    touched += 1;
                    refused += 1;
                }
                other => panic!("{}: {url} answered {other}: {answer}", case.what),
            }
        }
        // A damaged stored answer is refused, never replayed.
        let again = replay(&service);
        match again.status.code {
            201 => assert_eq!(again.body, replayed, "{}: a wrong replay", case.what),
            500 | 503 => touched += 1,
            other => panic!("{}: the replay answered {other}: {}", case.what, again.body),
        }
        assert!(
            touched < urls.len() + 1,
            "{}: the rest is served",
            case.what
        );
    }
    eprintln!(
        "{} damaged copies: {served} answers exact, {refused} refused, none wrong",
        cases.len()
    );
}
