//! Crashes. The real binary is killed with SIGKILL under load and started
//! again on the same file; and power cuts are simulated under the store,
//! keeping, losing or tearing whatever was written after the last sync.
//! Afterwards every acknowledged change is there, nothing else is, and the
//! invariants hold.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use boxoffice::domain::{Show, Ticket};
use boxoffice::store::{IdMinter, Store};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::model::{
    self, check_invariants, check_store, one_commit, Call, Model, Op, PLACEHOLDER_IDS,
};
use crate::support::*;

// ---- SIGKILL under load ---------------------------------------------------------

const KILL_ROUNDS: usize = 5;
const LOADERS: usize = 6;
const KILL_CAPACITY: u64 = 60;
const KILL_SHOW_TIMES: [&str; 4] = [
    "2099-07-01 18:00",
    "2099-07-01 21:00",
    "2099-07-02 18:00",
    "2099-07-02 21:00",
];
/// A bound on each loader's requests per round, should the kill come late.
const MAX_REQUESTS_PER_ROUND: usize = 2_000;

/// A request the kill cut off: it may or may not have taken effect.
#[derive(Debug)]
enum InFlight {
    Book(Held),
    Move { ticket: String, to: usize },
    Delete { ticket: String },
}

/// One client's view: its tickets as acknowledged, across rounds.
#[derive(Default)]
struct Loader {
    held: BTreeMap<String, Held>,
    in_flight: Option<InFlight>,
    acknowledged: usize,
}

fn is_limit_exceeded(status: u16, body: &Value) -> bool {
    status == 406 && body["message"] == "Ticket limit exceeded."
}

/// Books, moves and deletes this loader's tickets until the server dies.
fn load(mut loader: Loader, name: &str, seed: u64, base: &str) -> Loader {
    let mut rng = seeded_rng(seed);
    let agent = agent();
    for request in 0..MAX_REQUESTS_PER_ROUND {
        let mine: Vec<String> = loader.held.keys().cloned().collect();
        let action = rng.random_range(0..10);
        let show = rng.random_range(0..KILL_SHOW_TIMES.len());
        let (method, path, body, attempt) = if mine.is_empty() || action < 6 {
            let held = Held {
                show,
                user_name: format!("{name}-{request}"),
                phone: json!(9_000_000_000u64 + request as u64),
                count: rng.random_range(1..=3),
            };
            let body = json!({
                "userName": held.user_name,
                "phoneNumber": held.phone,
                "ticketCount": held.count,
                "showTime": KILL_SHOW_TIMES[show],
            });
            ("POST", "/api/book-ticket", body, InFlight::Book(held))
        } else {
            let ticket = mine[rng.random_range(0..mine.len())].clone();
            if action < 8 {
                let body = json!({"ticketId": ticket, "newShowTime": KILL_SHOW_TIMES[show]});
                let attempt = InFlight::Move { ticket, to: show };
                ("PUT", "/api/update-timing", body, attempt)
            } else {
                let body = json!({ "ticketId": ticket });
                (
                    "DELETE",
                    "/api/delete-ticket",
                    body,
                    InFlight::Delete { ticket },
                )
            }
        };
        let Some((status, answer)) =
            try_call(&agent, method, &format!("{base}{path}"), Some(&body))
        else {
            loader.in_flight = Some(attempt);
            return loader;
        };
        if is_limit_exceeded(status, &answer) {
            continue;
        }
        assert_eq!(status, 200, "{method} {path} {body}: {answer}");
        loader.acknowledged += 1;
        match attempt {
            InFlight::Book(held) => {
                let ticket = answer["data"]["ticketId"].as_str().unwrap().to_owned();
                loader.held.insert(ticket, held);
            }
            InFlight::Move { ticket, to } => loader.held.get_mut(&ticket).unwrap().show = to,
            InFlight::Delete { ticket } => {
                loader.held.remove(&ticket);
            }
        }
    }
    loader
}

/// Every ticket the server lists, after checking each show's invariants.
fn read_back(server: &Server) -> BTreeMap<String, Held> {
    crate::support::read_back(server, &KILL_SHOW_TIMES, KILL_CAPACITY).0
}

/// Settles what the kill left open by looking, then demands that the server
/// holds exactly the acknowledged tickets. Returns how many were open.
#[track_caller]
fn verify(server: &Server, loaders: &mut [Loader]) -> usize {
    let stored = read_back(server);
    let mut open = 0;
    for loader in loaders.iter_mut() {
        let Some(attempt) = loader.in_flight.take() else {
            continue;
        };
        open += 1;
        match attempt {
            InFlight::Book(held) => {
                let found = stored.iter().find(|(_, s)| s.user_name == held.user_name);
                if let Some((id, stored)) = found {
                    assert_eq!(*stored, held, "a booking half made");
                    loader.held.insert(id.clone(), held);
                }
            }
            InFlight::Move { ticket, to } => {
                let from = loader.held[&ticket].show;
                let now = stored.get(&ticket).expect("a move lost its ticket").show;
                assert!(now == from || now == to, "moved to neither show");
                loader.held.get_mut(&ticket).unwrap().show = now;
            }
            InFlight::Delete { ticket } => {
                if !stored.contains_key(&ticket) {
                    loader.held.remove(&ticket);
                }
            }
        }
    }
    let acknowledged: BTreeMap<String, Held> = loaders
        .iter()
        .flat_map(|loader| loader.held.clone())
        .collect();
    assert_eq!(
        stored, acknowledged,
        "after a kill the server holds exactly the acknowledged tickets"
    );
    open
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_change() {
    let seed = fresh_seed();
    let mut rng = seeded_rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.redb");
    let capacity = KILL_CAPACITY.to_string();
    let env = [("ROCKET_CAPACITY", capacity.as_str())];
    let mut loaders: Vec<Loader> = (0..LOADERS).map(|_| Loader::default()).collect();
    let mut open = 0;
    for round in 0..KILL_ROUNDS {
        let server = Server::start(&db, &env);
        open += verify(&server, &mut loaders);
        let threads: Vec<_> = loaders
            .drain(..)
            .enumerate()
            .map(|(number, loader)| {
                let base = server.base.clone();
                let name = format!("round{round}-loader{number}");
                let seed = seed ^ (round * LOADERS + number) as u64;
                std::thread::spawn(move || load(loader, &name, seed, &base))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.random_range(100..500)));
        server.kill();
        loaders = threads
            .into_iter()
            .map(|thread| thread.join().unwrap_or_else(|_| panic!("seed {seed}")))
            .collect();
    }
    let server = Server::start(&db, &env);
    open += verify(&server, &mut loaders);
    let acknowledged: usize = loaders.iter().map(|loader| loader.acknowledged).sum();
    assert!(
        acknowledged > 0 && open > 0,
        "the kills hit a loaded server: {acknowledged} acknowledged, {open} cut off (seed {seed})"
    );
}

// ---- power cuts under the store -------------------------------------------------

/// redb assumes single bytes are written atomically; a sector is the unit a
/// disk usually writes, and here the unit in which writes survive a cut.
const SECTOR: usize = 512;
/// About how many writes, resizes and syncs a commit of a few commands
/// issues; the power fails somewhere among that many per commit, so that
/// cuts fall all along a history, now and then after its end.
const CHANGES_PER_COMMIT: usize = 7;
const POWER_CUT_CASES: u32 = 128;

/// The fate of one sector written after the last sync.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Lost,
    Written,
    /// Only its first bytes made it.
    Torn(usize),
}

/// The state of a disk whose power may fail.
#[derive(Debug, Default)]
struct Platter {
    /// What the running process reads: every write so far.
    live: Vec<u8>,
    /// What the last sync made durable.
    synced: Vec<u8>,
    /// Writes since the last sync, in order.
    unsynced: Vec<(usize, Vec<u8>)>,
    /// Writes, resizes and syncs left before the power fails.
    fuel: Option<usize>,
    dead: bool,
}

/// A redb storage backend on a [`Platter`].
#[derive(Clone, Debug, Default)]
struct PowerCutDisk(Arc<Mutex<Platter>>);

impl PowerCutDisk {
    fn platter(&self) -> std::sync::MutexGuard<'_, Platter> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The power fails after `fuel` more writes, resizes or syncs.
    fn arm(&self, fuel: usize) {
        self.platter().fuel = Some(fuel);
    }

    fn cut(&self) {
        self.platter().dead = true;
    }

    /// What the disk holds when the power comes back: the synced bytes, the
    /// file length before or after the unsynced resizes, and each unsynced
    /// sector lost, written or torn as `fates` says (used in turn).
    fn image(&self, fates: &[Fate], length_kept: bool) -> Vec<u8> {
        let platter = self.platter();
        let mut image = platter.synced.clone();
        image.resize(
            if length_kept {
                platter.live.len()
            } else {
                platter.synced.len()
            },
            0,
        );
        let mut fates = fates.iter().cycle();
        for (offset, data) in &platter.unsynced {
            let mut at = *offset;
            let end = offset + data.len();
            while at < end {
                let sector_end = ((at / SECTOR + 1) * SECTOR).min(end);
                let bytes = &data[at - offset..sector_end - offset];
                let kept = match fates.next().copied().unwrap_or(Fate::Lost) {
                    Fate::Lost => 0,
                    Fate::Written => bytes.len(),
                    Fate::Torn(prefix) => prefix.min(bytes.len()),
                };
                let kept = kept.min(image.len().saturating_sub(at));
                image[at..at + kept].copy_from_slice(&bytes[..kept]);
                at = sector_end;
            }
        }
        image
    }
}

fn power_failed() -> io::Error {
    io::Error::other("the power failed")
}

/// Spends one unit of fuel on a change, or fails once the power is off.
fn spend(platter: &mut Platter) -> io::Result<()> {
    if platter.dead {
        return Err(power_failed());
    }
    match &mut platter.fuel {
        Some(0) => {
            platter.dead = true;
            Err(power_failed())
        }
        Some(fuel) => {
            *fuel -= 1;
            Ok(())
        }
        None => Ok(()),
    }
}

impl redb::StorageBackend for PowerCutDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.platter().live.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let platter = self.platter();
        if platter.dead {
            return Err(power_failed());
        }
        let start = offset as usize;
        let bytes = platter
            .live
            .get(start..start + out.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        out.copy_from_slice(bytes);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut platter = self.platter();
        spend(&mut platter)?;
        platter.live.resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut platter = self.platter();
        spend(&mut platter)?;
        let live = platter.live.clone();
        platter.synced = live;
        platter.unsynced.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut platter = self.platter();
        spend(&mut platter)?;
        let start = offset as usize;
        if platter.live.len() < start + data.len() {
            platter.live.resize(start + data.len(), 0);
        }
        platter.live[start..start + data.len()].copy_from_slice(data);
        platter.unsynced.push((start, data.to_vec()));
        Ok(())
    }
}

/// `held` is what `expected` describes, ids the model only stood in for
/// (placeholders) matching any id.
fn holds(held: &[(Show, Vec<Ticket>)], expected: &[(Show, Vec<Ticket>)]) -> bool {
    let same = |real: u128, expected: u128| expected >= PLACEHOLDER_IDS || real == expected;
    held.len() == expected.len()
        && held
            .iter()
            .zip(expected)
            .all(|((show, tickets), (want, wanted))| {
                same(show.id.as_u128(), want.id.as_u128())
                    && (show.starts_at, show.capacity, show.sold)
                        == (want.starts_at, want.capacity, want.sold)
                    && tickets.len() == wanted.len()
                    && tickets.iter().zip(wanted).all(|(ticket, want)| {
                        same(ticket.id.as_u128(), want.id.as_u128())
                            && same(ticket.show_id.as_u128(), want.show_id.as_u128())
                            && (&ticket.user_name, &ticket.phone, ticket.count)
                                == (&want.user_name, &want.phone, want.count)
                    })
            })
}

fn power_cut(
    batches: &[Vec<Op>],
    fuel: usize,
    fates: &[Fate],
    length_kept: bool,
) -> Result<(), String> {
    let disk = PowerCutDisk::default();
    let mut model = Model::new(model::CAPACITY);
    let store = Store::open_on_backend(disk.clone(), model::CACHE_SIZE, model.rules())
        .map_err(|error| format!("a new database: {error}"))?;
    disk.arm(fuel);
    let mut ids = IdMinter::default();
    let mut cut_off: Option<Vec<Call>> = None;
    for ops in batches {
        let commands: Vec<Call> = ops.iter().map(|op| model.command(op, NOW)).collect();
        if let Ok(answers) = one_commit(&store, NOW, &mut ids, &commands) {
            for (command, answer) in commands.iter().zip(&answers) {
                model.apply(command, NOW, Some(answer))?;
            }
        } else {
            cut_off = Some(commands);
            break;
        }
    }
    disk.cut();
    drop(store);

    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    let path = dir.path().join("after-the-cut.redb");
    std::fs::write(&path, disk.image(fates, length_kept)).map_err(|error| error.to_string())?;
    let store = Store::open(&path, model::CACHE_SIZE, model.rules())
        .map_err(|error| format!("does not open after the cut: {error}"))?;
    let held = store.all_shows().map_err(|error| error.to_string())?;
    check_invariants(&held)?;
    // The commit the cut interrupted was never acknowledged: it is either
    // wholly there or wholly gone; everything before it is there.
    let mut expected = vec![model.view()];
    if let Some(commands) = &cut_off {
        let mut committed = model.clone();
        for command in commands {
            committed.apply(command, NOW, None)?;
        }
        expected.push(committed.view());
    }
    if !expected.iter().any(|state| holds(&held, state)) {
        return Err(format!(
            "after the cut the store holds\n{held:#?}\nexpected one of\n{expected:#?}"
        ));
    }

    // The repaired file takes new commits and opens cleanly again.
    let mut model = Model::from_view(model.capacity, &held, model.minted());
    check_store(&store, &model)?;
    let command = model.command(
        &Op::Book {
            user_name: "after".into(),
            phone: boxoffice::domain::Phone::Number(9876543210),
            count: 1,
            slot: 3,
        },
        NOW,
    );
    let answers = one_commit(
        &store,
        NOW,
        &mut IdMinter::default(),
        std::slice::from_ref(&command),
    )
    .map_err(|error| error.to_string())?;
    model.apply(&command, NOW, answers.first())?;
    drop(store);
    let store = Store::open(&path, model::CACHE_SIZE, model.rules())
        .map_err(|error| format!("does not reopen: {error}"))?;
    check_store(&store, &model)
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        2 => Just(Fate::Lost),
        2 => Just(Fate::Written),
        1 => (1..SECTOR).prop_map(Fate::Torn),
    ]
}

proptest! {
    #![proptest_config(model::config(POWER_CUT_CASES))]

    #[test]
    fn a_power_cut_keeps_every_acknowledged_commit_and_tears_none(
        batches in proptest::collection::vec(proptest::collection::vec(model::op(), 1..=3), 1..16),
        fuel in any::<proptest::sample::Index>(),
        fates in prop_oneof![
            3 => proptest::collection::vec(fate(), 1..32),
            1 => Just(vec![Fate::Written]),
            1 => Just(vec![Fate::Lost]),
        ],
        length_kept in any::<bool>(),
    ) {
        let fuel = fuel.index(batches.len() * CHANGES_PER_COMMIT);
        power_cut(&batches, fuel, &fates, length_kept).map_err(TestCaseError::fail)?;
    }
}
