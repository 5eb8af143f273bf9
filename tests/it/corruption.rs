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
