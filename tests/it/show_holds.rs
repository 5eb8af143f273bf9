//! A show's holds as its own index lists them, on each backend: a hold
//! stops keeping its seats at the very millisecond it expires, for readers
//! and writers alike, with no purge between; and a show with tens of
//! thousands of holds answers exactly (functionally, not timed: timing is
//! `bench/run`'s).

use boxoffice::domain::staff::Actor;
use std::path::Path;
use std::sync::Arc;

use boxoffice::clock::ManualClock;
use boxoffice::domain::cinema::Layout;
use boxoffice::domain::seating::{Row, Seat, SeatKind, SeatMap};
use boxoffice::domain::{Phone, Refusal, Rules, ShowId};
use boxoffice::usecases::cinema::{NewFilm, NewScreen, NewShow, SeatRequest, SeatState};
use boxoffice::usecases::holds::{Confirmation, HoldView, NewHold};
use boxoffice::usecases::{Backend, Written};
use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition, WriteTransaction};

use crate::cinema_model::{CinemaBackend, RedbCinema};
use crate::model::runtime;
use crate::support::{HOUR, NOW};

const MINUTE: i64 = 60_000;
/// Holds on the general-admission show of the crowd case.
pub const CROWD: u32 = 20_000;
/// Holds asked for at once: fewer than either backend queues.
const WAVE: u32 = 40;

fn rules() -> Rules {
    Rules::new(20, 8 * HOUR)
}

/// Two rows of five.
fn small_map() -> SeatMap {
    let row = |label: &str| Row {
        label: label.into(),
        seats: (1..=5)
            .map(|number| Seat {
                number: number.to_string(),
                kind: SeatKind::Standard,
                blocked: false,
                aisle_after: false,
            })
            .collect(),
    };
    SeatMap::new(vec![row("A"), row("B")]).expect("a valid map")
}

/// A film and a show on a new screen of `layout`, a day ahead.
async fn show_on(backend: &dyn Backend, layout: Layout) -> Result<ShowId, String> {
    let fail = |error: boxoffice::usecases::Error| error.to_string();
    let screen = backend
        .create_screen(
            NewScreen {
                name: "Index".into(),
                layout,
            },
            &Actor::open(),
            None,
        )
        .await
        .and_then(Written::fresh)
        .map_err(fail)?;
    let film = backend
        .create_film(
            NewFilm {
                title: "Held".into(),
                runtime_minutes: 90,
                rating: None,
            },
            &Actor::open(),
            None,
        )
        .await
        .and_then(Written::fresh)
        .map_err(fail)?;
    let show = backend
        .create_show(
            NewShow {
                screen: screen.id,
                film: film.id,
                starts_at: NOW + 24 * HOUR,
                price_card: None,
            },
            &Actor::open(),
            None,
        )
        .await
        .and_then(Written::fresh)
        .map_err(fail)?;
    Ok(show.show.id)
}

async fn hold(
    backend: &dyn Backend,
    show: ShowId,
    seats: SeatRequest,
    hold_for_ms: i64,
) -> Result<HoldView, boxoffice::usecases::Error> {
    let new = NewHold {
        show,
        seats,
        hold_for_ms: Some(hold_for_ms),
        client: None,
        tickets: boxoffice::domain::prices::TicketChoice::Any,
        channel: boxoffice::domain::prices::Channel::Api,
    };
    backend
        .create_hold(new, None)
        .await
        .and_then(Written::fresh)
}

/// A general-admission show of 10 places with a hold of `places` of them,
/// for half an hour from the backend's now.
pub async fn general_show_with_a_hold(
    backend: &dyn Backend,
    places: u32,
) -> Result<ShowId, String> {
    let show = show_on(backend, Layout::General { capacity: 10 }).await?;
    hold(backend, show, SeatRequest::Count(places), 30 * MINUTE)
        .await
        .map_err(|error| error.to_string())?;
    Ok(show)
}

fn named(names: &[&str]) -> SeatRequest {
    SeatRequest::Named(names.iter().map(|name| (*name).to_owned()).collect())
}

/// The state of each seat of `show`, by name.
async fn states(backend: &dyn Backend, show: ShowId) -> Vec<(String, SeatState)> {
    let seats = backend
        .seats(show)
        .await
        .expect("a read")
        .expect("the show");
    seats
        .iter()
        .map(|(row, seat, state)| (format!("{}{}", row.label, seat.number), state))
        .collect()
}

fn state_of(states: &[(String, SeatState)], name: &str) -> SeatState {
    states
        .iter()
        .find(|(seat, _)| seat == name)
        .map(|(_, state)| *state)
        .expect("a seat of the map")
}

/// A hold made at `NOW` for a minute keeps A1 and A2 until `NOW + 1 min`,
/// not including it: at that millisecond readers see them free and
/// another customer may hold them, though nothing was purged.
pub fn a_hold_frees_its_seats_at_its_expiry(backend: &mut dyn CinemaBackend) -> Result<(), String> {
    let runtime = runtime();
    let clock = Arc::new(ManualClock::new(NOW));
    let open = backend.open(rules(), clock.clone())?;
    let result = runtime.block_on(async {
        let open = open.as_ref();
        let show = show_on(open, Layout::Seated(small_map())).await?;
        let first = hold(open, show, named(&["A1", "A2"]), MINUTE)
            .await
            .map_err(|error| error.to_string())?;
        assert_eq!(first.expires_at, NOW + MINUTE);

        clock.set(NOW + MINUTE - 1);
        let seen = states(open, show).await;
        assert_eq!(state_of(&seen, "A1"), SeatState::Held);
        assert_eq!(state_of(&seen, "A2"), SeatState::Held);
        assert_eq!(open.show_view(show).await.unwrap().unwrap().held, 2);
        let refused = hold(open, show, named(&["A2", "A3"]), MINUTE).await;
        assert!(
            matches!(
                refused
                    .as_ref()
                    .map_err(boxoffice::usecases::Error::refusal),
                Err(Some(Refusal::SeatsTaken(_)))
            ),
            "a live hold's seat is taken: {refused:?}"
        );

        clock.set(NOW + MINUTE);
        let seen = states(open, show).await;
        assert_eq!(state_of(&seen, "A1"), SeatState::Free);
        assert_eq!(state_of(&seen, "A2"), SeatState::Free);
        let view = open.show_view(show).await.unwrap().unwrap();
        assert_eq!((view.held, view.available), (0, 10));
        let listed = open
            .shows(
                boxoffice::usecases::cinema::ShowFilter::default(),
                boxoffice::usecases::PageRequest {
                    after: None,
                    limit: 50,
                },
            )
            .await
            .unwrap();
        let listed = listed
            .items
            .iter()
            .find(|view| view.show.id == show)
            .unwrap();
        assert_eq!(listed.held, 0);
        let expired = open.hold(first.id).await.unwrap().expect("not purged");
        assert!(expired.expired);
        let confirmation = Confirmation {
            user_name: "Late".into(),
            phone: Phone::Number(9_876_543_210),
            tickets: boxoffice::domain::prices::TicketChoice::Any,
            channel: boxoffice::domain::prices::Channel::Api,
        };
        let late = open
            .confirm_hold(first.id, confirmation, &Actor::open(), None)
            .await;
        assert_eq!(
            late.err().and_then(|error| error.refusal()),
            Some(Refusal::HoldExpired)
        );
        let second = hold(open, show, named(&["A2", "A3"]), MINUTE)
            .await
            .map_err(|error| error.to_string())?;
        assert_eq!(second.seats, ["A2", "A3"]);
        let seen = states(open, show).await;
        assert_eq!(state_of(&seen, "A1"), SeatState::Free);
        assert_eq!(state_of(&seen, "A2"), SeatState::Held);
        Ok::<_, String>(())
    });
    drop(open);
    backend.close();
    result
}

/// [`CROWD`] live holds of one place each on one general-admission show,
/// half for one minute and half for two: every read and write judges them
/// all while they live, and only the live half once the first half expired.
pub fn a_crowd_of_holds_is_judged_exactly(backend: &mut dyn CinemaBackend) -> Result<(), String> {
    const EXTRA: u32 = 7;
    let runtime = runtime();
    let clock = Arc::new(ManualClock::new(NOW));
    let open = backend.open(rules(), clock.clone())?;
    let result = runtime.block_on(async {
        let open = open.as_ref();
        let capacity = CROWD + EXTRA;
        let show = show_on(open, Layout::General { capacity }).await?;
        let seated = show_on(open, Layout::Seated(small_map())).await?;
        let mut made = 0;
        for wave in 0..CROWD / WAVE {
            let length = if wave % 2 == 0 { MINUTE } else { 2 * MINUTE };
            let holds = (0..WAVE).map(|_| hold(open, show, SeatRequest::Count(1), length));
            for answer in futures::future::join_all(holds).await {
                answer.map_err(|error| error.to_string())?;
                made += 1;
            }
        }
        assert_eq!(made, CROWD);
        let view = open.show_view(show).await.unwrap().unwrap();
        assert_eq!((view.held, view.available), (CROWD, EXTRA));
        let refused = hold(open, show, SeatRequest::Count(EXTRA + 1), MINUTE).await;
        assert_eq!(
            refused.err().and_then(|error| error.refusal()),
            Some(Refusal::NotEnoughSeats)
        );
        // Another show is not touched by them.
        let other = open.show_view(seated).await.unwrap().unwrap();
        assert_eq!((other.held, other.available), (0, 10));

        clock.set(NOW + MINUTE);
        let view = open.show_view(show).await.unwrap().unwrap();
        assert_eq!((view.held, view.available), (CROWD / 2, CROWD / 2 + EXTRA));
        let taken = hold(open, show, SeatRequest::Count(EXTRA + 1), 2 * MINUTE)
            .await
            .map_err(|error| error.to_string())?;
        assert_eq!(taken.count, EXTRA + 1);
        let view = open.show_view(show).await.unwrap().unwrap();
        assert_eq!(view.held, CROWD / 2 + EXTRA + 1);

        clock.set(NOW + 2 * MINUTE);
        let view = open.show_view(show).await.unwrap().unwrap();
        assert_eq!(
            (view.held, view.available),
            (EXTRA + 1, capacity - EXTRA - 1)
        );
        Ok::<_, String>(())
    });
    drop(open);
    backend.close();
    result
}

#[test]
fn on_redb_a_hold_frees_its_seats_at_its_expiry_without_a_purge() {
    let dir = tempfile::tempdir().unwrap();
    let mut backend = RedbCinema::new(&dir.path().join("holds.redb"));
    a_hold_frees_its_seats_at_its_expiry(&mut backend).unwrap();
    assert_eq!(
        index_problems(&dir.path().join("holds.redb")),
        Vec::<String>::new()
    );
}

#[test]
fn on_redb_a_crowd_of_holds_is_judged_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut backend = RedbCinema::new(&dir.path().join("crowd.redb"));
    a_crowd_of_holds_is_judged_exactly(&mut backend).unwrap();
    assert_eq!(
        index_problems(&dir.path().join("crowd.redb")),
        Vec::<String>::new()
    );
}

/// What `check` finds wrong with the file at `path` but which holds are live
/// at the wall clock's time (the tests' holds live at [`NOW`], years ahead).
fn index_problems(path: &Path) -> Vec<String> {
    let mut problems = boxoffice::store::check_file(path).unwrap();
    problems
        .retain(|problem| !problem.contains("is kept twice") && !problem.contains(" and holds "));
    problems
}

/// The show's index of holds, as stored.
const SHOW_EXPIRY_HOLD_TO_KEPT: TableDefinition<(u128, i64, u128), &[u8]> =
    TableDefinition::new("show_expiry_hold_to_kept");

type IndexEntry = ((u128, i64, u128), Vec<u8>);

fn index_entries(path: &Path) -> Vec<IndexEntry> {
    let db = Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            (key.value(), value.value().to_vec())
        })
        .collect()
}

/// The places all stored holds of a show keep, as stored.
const SHOW_ID_TO_KEPT_PLACES: TableDefinition<u128, u64> =
    TableDefinition::new("show_id_to_kept_places");

/// What `check` says of a copy of `path` whose index `damage` changed.
fn check_after(
    path: &Path,
    damage: impl FnOnce(&mut Table<(u128, i64, u128), &[u8]>),
) -> Vec<String> {
    check_after_changing(path, |txn| {
        damage(&mut txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT).unwrap());
    })
}

/// What `check` says of a copy of `path` after `damage`.
fn check_after_changing(path: &Path, damage: impl FnOnce(&WriteTransaction)) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("damaged.redb");
    std::fs::copy(path, &copy).unwrap();
    let db = Database::open(&copy).unwrap();
    let txn = db.begin_write().unwrap();
    damage(&txn);
    txn.commit().unwrap();
    drop(db);
    index_problems(&copy)
}

#[test]
fn check_reports_a_show_index_that_disagrees_with_the_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holds.redb");
    a_hold_frees_its_seats_at_its_expiry(&mut RedbCinema::new(&path)).unwrap();
    assert_eq!(index_problems(&path), Vec::<String>::new());
    let entries = index_entries(&path);
    assert_eq!(
        entries.len(),
        2,
        "the expired hold waits for the purge: {entries:?}"
    );
    let (expired, live) = (entries[0].clone(), entries[1].clone());

    // A live hold left out: its seats would read free.
    let problems = check_after(&path, |table| {
        table.remove(live.0).unwrap();
    });
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("missing from an index")),
        "{problems:?}"
    );

    // An expired hold listed as live, longer.
    let problems = check_after(&path, |table| {
        table.remove(expired.0).unwrap();
        let (show, at, hold) = expired.0;
        table
            .insert((show, at + HOUR, hold), expired.1.as_slice())
            .unwrap();
    });
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("keeps other seats or another expiry")),
        "{problems:?}"
    );

    // The live hold's entry saying what the expired one keeps.
    let problems = check_after(&path, |table| {
        table.insert(live.0, expired.1.as_slice()).unwrap();
    });
    assert!(!problems.is_empty(), "a swapped entry goes unnoticed");

    // An entry of a hold that is not there.
    let problems = check_after(&path, |table| {
        let (show, at, hold) = live.0;
        table
            .insert((show, at, hold + 1), live.1.as_slice())
            .unwrap();
    });
    assert!(!problems.is_empty(), "an entry of no hold goes unnoticed");

    // A show's total of places held that is not its holds' sum.
    let (show, _, _) = live.0;
    let problems = check_after_changing(&path, |txn| {
        let mut totals = txn.open_table(SHOW_ID_TO_KEPT_PLACES).unwrap();
        assert_eq!(totals.insert(show, 3).unwrap().unwrap().value(), 4);
    });
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("counts 3 places held but its holds keep 4")),
        "{problems:?}"
    );
}
