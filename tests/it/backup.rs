//! `boxoffice backup` while the real binary sells: every copy is one
//! consistent snapshot that passes `boxoffice check`, that the service
//! starts on, and that holds every booking acknowledged before it began.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use boxoffice::domain::Rules;
use boxoffice::store::Store;

use crate::support::*;

const CLIENTS: usize = 8;
const BACKUPS: usize = 5;
const SHOW_TIMES: &[&str] = &[
    "2099-05-01 10:00",
    "2099-05-01 13:00",
    "2099-05-01 16:00",
    "2099-05-01 19:00",
];

/// Every ticket id a database file holds.
#[track_caller]
fn ticket_ids(path: &std::path::Path) -> BTreeSet<String> {
    let store =
        Store::open(path, 1 << 20, Rules::new(1_000_000, 8 * HOUR)).expect("the copy opens");
    let shows = store.all_shows().expect("the copy reads");
    shows
        .into_iter()
        .flat_map(|(_, tickets)| tickets.into_iter().map(|ticket| ticket.id.to_string()))
        .collect()
}

#[test]
fn copies_taken_while_clients_book_hold_every_acknowledged_booking() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.redb");
    let server = Server::start(&db, &[("ROCKET_CAPACITY", "1000000")]);
    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            let url = server.url("/api/book-ticket");
            std::thread::spawn(move || {
                let agent = agent();
                let mut sent = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let show = SHOW_TIMES[(client + sent) % SHOW_TIMES.len()];
                    let body = booking(&format!("Client {client}"), 1, show);
                    let (status, answer) = call(&agent, "POST", &url, Some(&body));
                    assert_eq!(status, 200, "{answer}");
                    let id = answer["data"]["ticketId"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().insert(id);
                    sent += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));

    let mut copies = Vec::new();
    for index in 0..BACKUPS {
        let before: BTreeSet<String> = acknowledged.lock().unwrap().clone();
        let copy = dir.path().join(format!("copy-{index}.redb"));
        let started = Instant::now();
        let output = boxoffice(
            &[
                "backup",
                copy.to_str().unwrap(),
                "--database",
                db.to_str().unwrap(),
            ],
            dir.path(),
        );
        let took = started.elapsed();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("backed up"));
        copies.push((copy, before, took));
        std::thread::sleep(Duration::from_millis(150));
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("a client booked without a failure");
    }
    let total = acknowledged.lock().unwrap().len();

    let mut last = None;
    for (index, (copy, before, took)) in copies.iter().enumerate() {
        let output = boxoffice(&["check", copy.to_str().unwrap()], dir.path());
        assert_eq!(
            output.status.code(),
            Some(0),
            "copy {index}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let held = ticket_ids(copy);
        let missing: Vec<&String> = before.difference(&held).collect();
        assert!(
            missing.is_empty(),
            "copy {index} lacks {} bookings acknowledged before it began, e.g. {:?}",
            missing.len(),
            missing.first()
        );
        println!(
            "backup {index}: {:.0} ms, {} bookings acknowledged before it began, {} in the copy",
            took.as_secs_f64() * 1e3,
            before.len(),
            held.len()
        );
        last = Some((copy.clone(), held));
    }
    let times: Vec<f64> = copies
        .iter()
        .map(|(_, _, took)| took.as_secs_f64() * 1e3)
        .collect();
    println!(
        "backup under load: {CLIENTS} clients, {total} bookings acknowledged, {BACKUPS} copies, \
         {:.0}-{:.0} ms per backup (mean {:.0} ms)",
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
        times.iter().sum::<f64>() / f64::from(BACKUPS as u32)
    );
    let (stored, _) = read_back(&server, SHOW_TIMES, 1_000_000);
    assert_eq!(
        stored.len(),
        total,
        "the live file has every acknowledged booking"
    );
    drop(server);

    // The service starts on a copy and answers from it.
    let (copy, held) = last.unwrap();
    let server = Server::start(&copy, &[("ROCKET_CAPACITY", "1000000")]);
    let (from_copy, _) = read_back(&server, SHOW_TIMES, 1_000_000);
    assert_eq!(from_copy.keys().cloned().collect::<BTreeSet<_>>(), held);
}

#[test]
fn a_backup_refuses_to_overwrite_its_database_and_a_missing_one_is_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let service = local();
    service.book("Asha", 2, SHOW);
    let folder = service.close();
    let db = folder.path().join("boxoffice.redb");
    let db_text = db.to_str().unwrap();
    let output = boxoffice(&["backup", db_text, "--database", db_text], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the database itself"));
    assert_eq!(ticket_ids(&db).len(), 1, "the database is untouched");

    let missing = dir.path().join("missing.redb");
    let copy = dir.path().join("copy.redb");
    let output = boxoffice(
        &[
            "backup",
            copy.to_str().unwrap(),
            "--database",
            missing.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!copy.exists() && !missing.exists());

    // An existing copy is replaced whole.
    std::fs::write(&copy, b"an older copy").unwrap();
    let output = boxoffice(
        &["backup", copy.to_str().unwrap(), "--database", db_text],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(ticket_ids(&copy).len(), 1);
}

#[test]
fn a_backup_refuses_every_file_the_service_keeps_beside_its_database() {
    let service = local();
    service.book("Asha", 2, SHOW);
    let folder = service.close();
    let db = folder.path().join("boxoffice.redb");
    let db_text = db.to_str().unwrap();
    for side in ["journal", "control", "probe", "v2.bak"] {
        let target = folder.path().join(format!("boxoffice.redb.{side}"));
        std::fs::write(&target, b"kept").unwrap();
        let output = boxoffice(
            &["backup", target.to_str().unwrap(), "--database", db_text],
            folder.path(),
        );
        assert_eq!(output.status.code(), Some(1), "{side}");
        let said = text(&output.stderr);
        assert!(
            said.contains("a file the service keeps beside it"),
            "{said}"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"kept", "{side} untouched");
    }
    // Nothing half-written is left behind by the refusals.
    let names: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_backup_is_private_and_replaces_a_link_at_its_name_instead_of_writing_through_it() {
    use std::os::unix::fs::PermissionsExt;
    let service = local();
    service.book("Asha", 2, SHOW);
    let folder = service.close();
    let db = folder.path().join("boxoffice.redb");
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("precious");
    std::fs::write(&target, b"not a backup").unwrap();
    let copy = folder.path().join("copy.redb");
    std::os::unix::fs::symlink(&target, &copy).unwrap();
    let output = boxoffice(
        &[
            "backup",
            copy.to_str().unwrap(),
            "--database",
            db.to_str().unwrap(),
        ],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&target).unwrap(), b"not a backup");
    let meta = std::fs::symlink_metadata(&copy).unwrap();
    assert!(meta.file_type().is_file(), "the link itself was replaced");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(ticket_ids(&copy).len(), 1);
}
