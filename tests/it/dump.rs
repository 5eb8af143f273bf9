//! `boxoffice export` / `boxoffice import`: every record of every table as
//! JSON lines; export → import → export is identical byte for byte; a bad
//! line is refused with its number and nothing is imported; export reads a
//! running service's file.

use boxoffice::domain::prices::{Channel, TicketChoice};
use boxoffice::domain::staff::Actor;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use boxoffice::clock::ManualClock;
use boxoffice::domain::cinema::Layout;
use boxoffice::domain::seating::{Row, Seat, SeatKind, SeatMap};
use boxoffice::domain::{Phone, Rules};
use boxoffice::store::{RedbBookings, Store, WriterSettings};
use boxoffice::usecases::cinema::{NewFilm, NewScreen, NewSeatBooking, NewShow, SeatRequest};
use boxoffice::usecases::holds::NewHold;
use boxoffice::usecases::{Bookings, Cinema, Holds, Keyed, NewBooking, Replay};

use crate::model::runtime;
use crate::support::*;

fn seat(number: &str, kind: SeatKind, blocked: bool, aisle_after: bool) -> Seat {
    Seat {
        number: number.into(),
        kind,
        blocked,
        aisle_after,
    }
}

/// A database holding a record of every kind: a seat-map screen and a
/// general one, a film, shows on both and on the default screen, bookings by
/// seat, by count and through `/api`, a hold, an idempotency answer, and a
/// ticket with a numeric phone number and one with a text one.
fn populated(dir: &Path) -> PathBuf {
    let path = dir.join("source.redb");
    let store = Store::open(&path, 1 << 20, Rules::new(20, 8 * HOUR)).unwrap();
    let settings = WriterSettings {
        max_batch: 16,
        queue_limit: 64,
    };
    let clock = Arc::new(ManualClock::new(NOW));
    let (bookings, thread) = RedbBookings::start(
        store,
        clock,
        settings,
        Box::new(|why: &str| panic!("the writer died: {why}")),
    );
    runtime().block_on(async {
        let map = SeatMap::new(vec![
            Row {
                label: "A".into(),
                seats: vec![
                    seat("1", SeatKind::Wheelchair, false, false),
                    seat("2", SeatKind::Companion, false, true),
                    seat("3", SeatKind::Standard, false, false),
                    seat("4", SeatKind::Premium, true, false),
                ],
            },
            Row {
                label: "B".into(),
                seats: (1..=5)
                    .map(|n| seat(&n.to_string(), SeatKind::Standard, false, false))
                    .collect(),
            },
        ])
        .unwrap();
        let seated = bookings
            .create_screen(
                NewScreen {
                    name: "Screen 1".into(),
                    layout: Layout::Seated(map),
                },
                &Actor::open(),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let general = bookings
            .create_screen(
                NewScreen {
                    name: "Hall".into(),
                    layout: Layout::General { capacity: 40 },
                },
                &Actor::open(),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let film = bookings
            .create_film(
                NewFilm {
                    title: "Heat \"director's cut\" — é".into(),
                    runtime_minutes: 170,
                    rating: Some("R".into()),
                },
                &Actor::open(),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let mut shows = Vec::new();
        for screen in [seated.id, general.id] {
            let view = bookings
                .create_show(
                    NewShow {
                        screen,
                        film: film.id,
                        starts_at: NOW + 30 * HOUR,
                        price_card: None,
                    },
                    &Actor::open(),
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            shows.push(view.show.id);
        }
        bookings
            .create_booking(
                NewSeatBooking {
                    show: shows[0],
                    seats: SeatRequest::Named(vec!["B2".into(), "B3".into()]),
                    user_name: "Asha Rao".into(),
                    phone: Phone::Text("+91 98765-43210".into()),
                    tickets: TicketChoice::Any,
                    channel: Channel::Counter,
                },
                &Actor::open(),
                None,
            )
            .await
            .unwrap();
        bookings
            .create_booking(
                NewSeatBooking {
                    show: shows[1],
                    seats: SeatRequest::Count(3),
                    user_name: "Bo".into(),
                    phone: Phone::Number(9876543210),
                    tickets: TicketChoice::Any,
                    channel: Channel::Counter,
                },
                &Actor::open(),
                None,
            )
            .await
            .unwrap();
        bookings
            .create_hold(
                NewHold {
                    show: shows[0],
                    seats: SeatRequest::Named(vec!["A3".into()]),
                    hold_for_ms: None,
                    client: None,
                    tickets: TicketChoice::Any,
                    channel: Channel::Counter,
                },
                None,
            )
            .await
            .unwrap();
        let keyed = Keyed {
            key: b"scope\x00order-1".to_vec(),
            fingerprint: [7; 32],
            render: Box::new(|_| {
                Some(Replay {
                    status: 200,
                    body: br#"{"success":true,"data":{"userName":"Chen"}}"#.to_vec(),
                })
            }),
            client: None,
        };
        bookings
            .book(
                NewBooking {
                    user_name: "Chen".into(),
                    phone: Phone::Number(4477009004),
                    count: 2,
                    starts_at: NOW + 20 * HOUR,
                },
                &Actor::open(),
                Some(keyed),
            )
            .await
            .unwrap();
        // A purge (nothing is expired) stores the heartbeat in `meta`.
        let purged = bookings.purge_expired(100).await.unwrap();
        assert_eq!(purged.shows + purged.tickets, 0);
    });
    drop(bookings);
    thread.join().unwrap();
    path
}

#[track_caller]
fn export(database: &Path, dir: &Path) -> Vec<u8> {
    let output = boxoffice(&["export", "--database", database.to_str().unwrap()], dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    output.stdout
}

#[track_caller]
fn import(dump: &Path, database: &Path, dir: &Path) -> Output {
    boxoffice(
        &[
            "import",
            dump.to_str().unwrap(),
            "--database",
            database.to_str().unwrap(),
        ],
        dir,
    )
}

#[test]
fn export_import_export_is_identical_and_covers_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let first = export(&source, dir.path());
    let dump = text(&first);
    for kind in [
        "boxoffice-dump",
        "meta",
        "idHighWater",
        "screen",
        "film",
        "show",
        "ticket",
        "hold",
        "answer",
    ] {
        assert!(
            dump.contains(&format!(r#"{{"kind":"{kind}""#)),
            "{kind} in\n{dump}"
        );
    }
    assert!(
        dump.contains(r#""soldSeats":{"of":9,"seats":[5,6]}"#),
        "{dump}"
    );
    assert!(dump.contains(r#""phoneNumber":"+91 98765-43210""#));
    assert!(dump.contains(r#""phoneNumber":9876543210"#));
    let dump_path = dir.path().join("dump.jsonl");
    std::fs::write(&dump_path, &first).unwrap();

    let copy = dir.path().join("copy.redb");
    let output = import(&dump_path, &copy, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("imported"));
    let second = export(&copy, dir.path());
    assert!(
        first == second,
        "the second export differs:\n{}\n---\n{}",
        dump,
        text(&second)
    );
    let output = boxoffice(&["check", copy.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));

    // Only into an empty database.
    let output = import(&dump_path, &copy, dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("import only fills an empty database"));
}

/// A dump of schema 8 has lines without their tax rate: each line at 0
/// (the lines an upgrade gave the bookings made before prices) imports at
/// the rate 0, and the import exports as this schema's dump would.
#[test]
fn a_schema_8_dump_imports_its_lines_at_the_rate_that_gives_their_tax() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let current = text(&export(&source, dir.path()));
    let schema = boxoffice::store::SCHEMA_VERSION;
    assert!(current.contains(r#""taxRate":0"#), "{current}");
    let old = current
        .replace(&format!(r#""schema":{schema}"#), r#""schema":8"#)
        .replace(
            &format!(r#""key":"schema_version","value":{schema}"#),
            r#""key":"schema_version","value":8"#,
        )
        .replace(r#","taxRate":0"#, "");
    assert!(
        old.contains(r#""schema":8"#) && !old.contains("taxRate"),
        "{old}"
    );
    let dump_path = dir.path().join("schema8.jsonl");
    std::fs::write(&dump_path, &old).unwrap();
    let copy = dir.path().join("from-schema8.redb");
    let output = import(&dump_path, &copy, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&export(&copy, dir.path())), current);
}

#[test]
fn a_bad_line_is_refused_with_its_number_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let dump = text(&export(&source, dir.path()));
    let lines: Vec<&str> = dump.lines().collect();
    let ticket_line = lines
        .iter()
        .position(|line| line.starts_with(r#"{"kind":"ticket""#))
        .unwrap();
    let show_id = {
        let ticket: serde_json::Value = serde_json::from_str(lines[ticket_line]).unwrap();
        ticket["showId"].as_str().unwrap().to_owned()
    };
    // The line of the ticket's show: a count that no longer adds up is
    // refused there.
    let show_line = lines
        .iter()
        .position(|line| line.starts_with(r#"{"kind":"show""#) && line.contains(&show_id))
        .unwrap();
    let screen_line = lines
        .iter()
        .position(|line| line.starts_with(r#"{"kind":"screen""#))
        .unwrap();
    // The line changed, what it becomes, the refusal, and the line it names.
    let cases: Vec<(usize, String, &str, usize)> = vec![
        (4, "not json at all".into(), "not a dump record", 4),
        (
            screen_line + 1,
            lines[screen_line].replace(r#""kind":"screen""#, r#""kind":"screen","extra":1"#),
            "unknown field",
            screen_line + 1,
        ),
        (
            ticket_line + 1,
            lines[ticket_line].replace(&show_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            "not among the records",
            ticket_line + 1,
        ),
        (
            ticket_line + 1,
            lines[ticket_line].replace(r#""count":2"#, r#""count":1"#),
            "its tickets hold",
            show_line + 1,
        ),
        (
            1,
            lines[0].replace(r#""format":1"#, r#""format":9"#),
            "format 9",
            1,
        ),
    ];
    for (number, replacement, why, named) in cases {
        let mut changed: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
        changed[number - 1] = replacement;
        let path = dir.path().join("bad.jsonl");
        std::fs::write(&path, changed.join("\n") + "\n").unwrap();
        let target = dir.path().join(format!("target-{number}.redb"));
        let output = import(&path, &target, dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{why} in {stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert!(
            stderr.contains(&format!("line {named}")),
            "line {named} in {stderr}"
        );
        // The target is empty (created, or left as it was).
        let store = Store::open(&target, 1 << 20, Rules::new(20, HOUR)).unwrap();
        assert_eq!(store.records().unwrap(), 0, "{stderr}");
    }
}

#[test]
fn export_reads_one_snapshot_of_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let source = populated(dir.path());
    let offline = export(&source, dir.path());
    let server = Server::start(&source, &[]);
    let live = export(&source, dir.path());
    // The purge the service ran at start stored its heartbeat, the one line
    // a service changes by running.
    let without_heartbeat = |dump: &[u8]| -> Vec<u8> {
        text(dump)
            .lines()
            .filter(|line| !line.contains("\"key\":\"trusted_time\""))
            .flat_map(|line| format!("{line}\n").into_bytes())
            .collect()
    };
    let (offline, live) = (without_heartbeat(&offline), without_heartbeat(&live));
    assert!(offline == live, "{}\n---\n{}", text(&offline), text(&live));
    drop(server);
    let output = boxoffice(
        &[
            "export",
            "--database",
            dir.path().join("missing.redb").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_export_whose_reader_stalls_does_not_make_the_service_file_grow() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("boxoffice.redb");
    let server = Server::start(&db, &[("ROCKET_CAPACITY", "100000")]);
    let agent = agent();
    // More than a pipe holds, so the export blocks on its output.
    for i in 0..400 {
        let (status, body) = call(
            &agent,
            "POST",
            &server.url("/api/book-ticket"),
            Some(&booking(&format!("Guest {i}"), 1, SHOW)),
        );
        assert_eq!(status, 200, "{body}");
    }
    let mut export = boxoffice_command(&["export", "--database", db.to_str().unwrap()], dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The first bytes are out: from here on nobody reads.
    let mut stdout = export.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    let before = std::fs::metadata(&db).unwrap().len();
    for i in 0..600 {
        let (status, body) = call(
            &agent,
            "POST",
            &server.url("/api/book-ticket"),
            Some(&booking(&format!("Walk-in {i}"), 1, SHOW)),
        );
        assert_eq!(status, 200, "{body}");
        let id = body["data"]["ticketId"].as_str().unwrap();
        let (status, body) = call(
            &agent,
            "DELETE",
            &server.url("/api/delete-ticket"),
            Some(&serde_json::json!({ "ticketId": id })),
        );
        assert_eq!(status, 200, "{body}");
    }
    let after = std::fs::metadata(&db).unwrap().len();
    assert!(
        export.try_wait().unwrap().is_none(),
        "the export still waits on its reader"
    );
    let _ = export.kill();
    let _ = export.wait();
    eprintln!("while the export stalled the file went from {before} to {after} bytes");
    assert!(
        after < before + (4 << 20),
        "the file grew from {before} to {after} bytes while the export stalled"
    );
}
