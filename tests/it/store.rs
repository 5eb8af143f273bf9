//! The store on its own file: each use case, refusals that change nothing,
//! reopening, and files it must not adopt.

use boxoffice::domain::{Millis, Phone, Refusal, Rules, TicketId};
use boxoffice::store::{IdMinter, Store, SCHEMA_VERSION};
use boxoffice::usecases::{NewBooking, ShowKey};
use redb::{Database, TableDefinition};

use crate::model::{one_commit, Answer, Call, Outcome};
use crate::support::{HOUR, NOW};

const RULES: Rules = Rules::new(5, 8 * HOUR);
const CACHE: usize = 1 << 20;

fn book(name: &str, count: u64, starts_at: i64) -> Call {
    Call::Book(NewBooking {
        user_name: name.into(),
        phone: Phone::Number(9876543210),
        count,
        starts_at,
    })
}

/// Runs one call in its own commit.
#[track_caller]
fn execute_one(store: &Store, call: Call, now: Millis, ids: &mut IdMinter) -> Outcome {
    let mut answers = one_commit(store, now, ids, &[call]).expect("the commit succeeds");
    answers.pop().expect("one answer")
}

#[track_caller]
fn booked(done: Outcome) -> TicketId {
    match done {
        Ok(Answer::Booked(booked)) => booked.ticket.id,
        other => panic!("expected a ticket, got {other:?}"),
    }
}

#[test]
fn book_move_delete_keep_counts_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb"), CACHE, RULES).unwrap();
    let mut ids = IdMinter::default();
    let (a, b) = (NOW + HOUR, NOW + 2 * HOUR);
    let first = booked(execute_one(&store, book("Asha", 2, a), NOW, &mut ids));
    let second = booked(execute_one(&store, book("Bo", 3, a), NOW, &mut ids));
    let moved = Call::Move {
        ticket: first,
        starts_at: b,
    };
    execute_one(&store, moved, NOW, &mut ids).unwrap();
    execute_one(&store, Call::Delete(second), NOW, &mut ids).unwrap();
    let shows = store.all_shows().unwrap();
    assert_eq!(shows.len(), 2);
    let (show_a, tickets_a) = &shows[0];
    let (show_b, tickets_b) = &shows[1];
    assert_eq!((show_a.starts_at, show_a.sold, tickets_a.len()), (a, 0, 0));
    assert_eq!((show_b.starts_at, show_b.sold), (b, 2));
    assert_eq!(tickets_b.iter().map(|t| t.id).collect::<Vec<_>>(), [first]);
    assert_eq!(store.ticket_total().unwrap(), 1);
}

#[test]
fn refused_commands_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb"), CACHE, RULES).unwrap();
    let mut ids = IdMinter::default();
    let (a, b) = (NOW + HOUR, NOW + 2 * HOUR);
    let mover = booked(execute_one(&store, book("Asha", 3, a), NOW, &mut ids));
    booked(execute_one(&store, book("Bo", 4, b), NOW, &mut ids));
    let before = store.all_shows().unwrap();
    let unknown = TicketId::from_u128(7);
    let refusals = [
        (book("Chen", 3, a), Refusal::LimitExceeded),
        (book("Chen", 6, NOW + 3 * HOUR), Refusal::LimitExceeded),
        (book("Chen", 1, NOW - 1), Refusal::ShowTimeInPast),
        (
            Call::Move {
                ticket: mover,
                starts_at: b,
            },
            Refusal::LimitExceeded,
        ),
        (
            Call::Move {
                ticket: mover,
                starts_at: NOW - HOUR,
            },
            Refusal::ShowTimeInPast,
        ),
        (
            Call::Move {
                ticket: unknown,
                starts_at: b,
            },
            Refusal::TicketNotFound,
        ),
        (Call::Delete(unknown), Refusal::TicketNotFound),
    ];
    for (command, error) in refusals {
        assert_eq!(
            execute_one(&store, command.clone(), NOW, &mut ids),
            Err(error),
            "{command:?}"
        );
    }
    assert_eq!(store.all_shows().unwrap(), before);
}

#[test]
fn one_batch_answers_each_command_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb"), CACHE, RULES).unwrap();
    let mut ids = IdMinter::default();
    let show = NOW + HOUR;
    let batch: Vec<Call> = (0..8)
        .map(|i| book(&format!("guest {i}"), 2, show))
        .collect();
    let answers = one_commit(&store, NOW, &mut ids, &batch).unwrap();
    let accepted = answers.iter().filter(|answer| answer.is_ok()).count();
    assert_eq!(accepted, 2, "two pairs fit in five seats");
    assert!(answers[2..]
        .iter()
        .all(|a| a == &Err(Refusal::LimitExceeded)));
    let (show, tickets, _holds) = store
        .show_with_tickets(ShowKey::StartsAt(show), NOW)
        .unwrap()
        .unwrap();
    assert_eq!((show.sold, tickets.len()), (4, 2));
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let mut ids = IdMinter::default();
    let before = {
        let store = Store::open(&path, CACHE, RULES).unwrap();
        for hour in 1..=3 {
            booked(execute_one(
                &store,
                book("Asha", hour as u64, NOW + hour * HOUR),
                NOW,
                &mut ids,
            ));
        }
        store.all_shows().unwrap()
    };
    let store = Store::open(&path, CACHE, RULES).unwrap();
    assert_eq!(store.all_shows().unwrap(), before);
}

#[track_caller]
fn open_error(path: &std::path::Path) -> String {
    match Store::open(path, CACHE, RULES) {
        Ok(_) => panic!("{} was adopted", path.display()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_file_of_another_schema_version_is_refused_clearly() {
    const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
    let dir = tempfile::tempdir().unwrap();
    for (version, word) in [(SCHEMA_VERSION + 1, "newer"), (0, "older")] {
        let path = dir.path().join(format!("v{version}.redb"));
        drop(Store::open(&path, CACHE, RULES).unwrap());
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("schema_version", version)
                .unwrap();
            txn.commit().unwrap();
        }
        let error = open_error(&path);
        assert!(
            error.contains(word) && error.contains(&format!("schema {version}")),
            "{error}"
        );
        assert!(error.contains(&path.display().to_string()), "{error}");
    }
}

#[test]
fn a_foreign_file_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let other_program = dir.path().join("other.redb");
    {
        const THINGS: TableDefinition<u64, u64> = TableDefinition::new("things");
        let db = Database::create(&other_program).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(THINGS).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    assert!(open_error(&other_program).contains("not a boxoffice database"));

    let not_redb = dir.path().join("notes.txt");
    std::fs::write(
        &not_redb,
        "this is not a database at all, just some text ".repeat(200),
    )
    .unwrap();
    assert!(open_error(&not_redb).contains("cannot open database"));
    // Nothing was written into it.
    assert!(std::fs::read_to_string(&not_redb)
        .unwrap()
        .starts_with("this is not"));
}

/// An id minted "in 2100", as if the clock had been far ahead at the time.
fn an_id_from_2100() -> u128 {
    ulid::Ulid::from_datetime(std::time::UNIX_EPOCH + std::time::Duration::from_hours(1139568)).0
}

#[test]
fn ids_keep_booking_order_even_when_the_clock_steps_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let future = an_id_from_2100();
    let first = {
        let store = Store::open(&path, CACHE, RULES).unwrap();
        booked(execute_one(
            &store,
            book("Asha", 1, NOW + HOUR),
            NOW,
            &mut IdMinter::after(future),
        ))
    };
    assert!(first.as_u128() > future);
    let store = Store::open(&path, CACHE, RULES).unwrap();
    let mut ids = store.id_minter().unwrap();
    let second = booked(execute_one(
        &store,
        book("Bo", 1, NOW + HOUR),
        NOW,
        &mut ids,
    ));
    let third = booked(execute_one(
        &store,
        book("Chen", 1, NOW + HOUR),
        NOW,
        &mut ids,
    ));
    assert!(first < second && second < third);
    let (_, tickets) = &store.all_shows().unwrap()[0];
    assert_eq!(
        tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [first, second, third]
    );
}

#[test]
fn an_id_removed_with_its_record_is_never_minted_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    // The newest ticket has an id "from 2100"; then it is deleted, in a
    // commit of its own that mints nothing.
    let future = an_id_from_2100();
    let removed = {
        let store = Store::open(&path, CACHE, RULES).unwrap();
        let mut ids = store.id_minter().unwrap();
        booked(execute_one(
            &store,
            book("Asha", 1, NOW + HOUR),
            NOW,
            &mut ids,
        ));
        let mut ahead = IdMinter::after(future);
        let newest = booked(execute_one(
            &store,
            book("Bo", 1, NOW + HOUR),
            NOW,
            &mut ahead,
        ));
        let mut fresh = store.id_minter().unwrap();
        assert_eq!(fresh.last(), newest.as_u128(), "the stored records name it");
        execute_one(&store, Call::Delete(newest), NOW, &mut fresh).unwrap();
        newest
    };
    let store = Store::open(&path, CACHE, RULES).unwrap();
    let mut ids = store.id_minter().unwrap();
    assert_eq!(ids.last(), removed.as_u128());
    let next = booked(execute_one(
        &store,
        book("Chen", 1, NOW + HOUR),
        NOW,
        &mut ids,
    ));
    assert!(next > removed);
}
