//! The use cases against a model: random sequences of bookings, moves,
//! deletes, purges, clock steps and reopenings run through the `Bookings`
//! interface of a backend and on a plain in-memory model that applies the
//! contract's rules by itself. After every step both must have given the same
//! answers and must hold the same shows and tickets. The steps know nothing
//! of the backend; [`Backend`] is all a new one has to provide.
//!
//! Small capacities, a handful of show times and a short expiry make refusals,
//! expiry and purges common. `PROPTEST_CASES` raises the number of cases.

use boxoffice::domain::staff::Actor;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use boxoffice::clock::{ManualClock, SharedClock};
use boxoffice::domain::{Millis, Phone, Refusal, Rules, Show, ShowId, Ticket, TicketId};
use boxoffice::store::{Batch, IdMinter, RedbBookings, Store, StoreError, WriterSettings};
use boxoffice::usecases::{Booked, Bookings, Error, NewBooking, PurgeReport, Written};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use crate::support::{HOUR, NOW};

pub const CAPACITY: u32 = 5;
pub const EXPIRE_AFTER: i64 = 2 * HOUR;
pub const CACHE_SIZE: usize = 1 << 20;
const HALF_HOUR: i64 = HOUR / 2;
/// Cases per run unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 96;
/// Ids from here up stand for ones the store would have minted in a commit
/// whose answers nobody saw (see [`Model::apply`]); real ULIDs stay below.
pub const PLACEHOLDER_IDS: u128 = 1 << 127;

/// A ticket id that is well formed but never minted (its time is 1970).
fn never_minted() -> TicketId {
    TicketId::from_u128(1)
}

// ---- the model --------------------------------------------------------------

/// What the store should hold, kept in plain maps.
#[derive(Clone, Debug)]
pub struct Model {
    /// Seats of a show created from now on; a reopen may change it.
    pub capacity: u32,
    shows: BTreeMap<Millis, ModelShow>,
    tickets: BTreeMap<TicketId, ModelTicket>,
    /// Every ticket id the store has handed out, live or gone, in order.
    minted: Vec<TicketId>,
    placeholders: u128,
    /// The ticket type `/api` sells (`Admission` at 0 on a database that
    /// has only what it started with), learned from the first booking.
    admission: Option<boxoffice::domain::TicketTypeId>,
}

#[derive(Clone, Debug)]
struct ModelShow {
    id: ShowId,
    capacity: u32,
    tickets: BTreeSet<TicketId>,
}

#[derive(Clone, Debug)]
struct ModelTicket {
    starts_at: Millis,
    user_name: String,
    phone: Phone,
    count: u32,
    created_at: Millis,
}

/// One use case with its input, as a step calls it.
#[derive(Clone, Debug)]
pub enum Call {
    Book(NewBooking),
    Move { ticket: TicketId, starts_at: Millis },
    Delete(TicketId),
    Purge(usize),
}

/// A use case's answer when the rules let it through.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // answers compared one at a time, never kept in bulk
pub enum Answer {
    Booked(Booked),
    Deleted,
    Purged(PurgeReport),
}

/// What a use case answered: done, or refused (and nothing changed).
pub type Outcome = Result<Answer, Refusal>;

/// The answer of a write sent without a key.
pub fn fresh<T>(written: Result<Written<T>, Error>) -> Result<T, Error> {
    written?.fresh()
}

/// Runs `call` through the interface; a failure that is not a refusal is
/// the test's failure.
pub async fn call(bookings: &dyn Bookings, call: Call) -> Result<Outcome, String> {
    let answer = match call {
        Call::Book(booking) => {
            fresh(bookings.book(booking, &Actor::open(), None).await).map(Answer::Booked)
        }
        Call::Move { ticket, starts_at } => fresh(
            bookings
                .move_ticket(ticket, starts_at, &Actor::open(), None)
                .await,
        )
        .map(Answer::Booked),
        Call::Delete(ticket) => fresh(bookings.delete_ticket(ticket, &Actor::open(), None).await)
            .map(|()| Answer::Deleted),
        Call::Purge(budget) => bookings.purge_expired(budget).await.map(Answer::Purged),
    };
    match answer {
        Ok(answer) => Ok(Ok(answer)),
        Err(Error::Refused(refusal)) => Ok(Err(refusal)),
        Err(error) => Err(boxoffice::error_chain(&error)),
    }
}

/// Runs `call` inside a redb batch, beside others in the same commit.
pub fn in_batch(batch: &mut Batch<'_, '_>, call: &Call) -> Result<Outcome, StoreError> {
    Ok(match call {
        Call::Book(booking) => batch.book(booking)?.map(Answer::Booked),
        Call::Move { ticket, starts_at } => {
            batch.move_ticket(*ticket, *starts_at)?.map(Answer::Booked)
        }
        Call::Delete(ticket) => batch.delete_ticket(*ticket)?.map(|()| Answer::Deleted),
        Call::Purge(budget) => Ok(Answer::Purged(batch.purge(*budget, batch.now())?)),
    })
}

/// What the contract says a call does, before any id is known.
enum Decision {
    Refuse(Refusal),
    Book {
        starts_at: Millis,
        user_name: String,
        phone: Phone,
        count: u32,
    },
    Move {
        ticket: TicketId,
        starts_at: Millis,
    },
    Delete(TicketId),
    Purge {
        budget: usize,
    },
}

impl Model {
    pub fn new(capacity: u32) -> Self {
        Self {
            capacity,
            shows: BTreeMap::new(),
            tickets: BTreeMap::new(),
            minted: Vec::new(),
            placeholders: PLACEHOLDER_IDS,
            admission: None,
        }
    }

    pub fn rules(&self) -> Rules {
        Rules::new(self.capacity, EXPIRE_AFTER)
    }

    pub fn minted(&self) -> &[TicketId] {
        &self.minted
    }

    fn sold(&self, show: &ModelShow) -> u32 {
        show.tickets.iter().map(|id| self.tickets[id].count).sum()
    }

    fn free(&self, starts_at: Millis) -> u32 {
        match self.shows.get(&starts_at) {
            Some(show) => show.capacity - self.sold(show),
            None => self.capacity,
        }
    }

    fn show(&self, starts_at: Millis) -> Show {
        let show = &self.shows[&starts_at];
        Show {
            sold: self.sold(show),
            ..Show::empty(show.id, starts_at, show.capacity)
        }
    }

    fn ticket(&self, id: TicketId) -> Ticket {
        let ticket = &self.tickets[&id];
        Ticket {
            id,
            show_id: self.shows[&ticket.starts_at].id,
            user_name: ticket.user_name.clone(),
            phone: ticket.phone.clone(),
            count: ticket.count,
            seats: Vec::new(),
            created_at: ticket.created_at,
            // The first candidate (see the cinema model).
            reference: boxoffice::domain::Reference::candidate(id.as_u128(), 0),
            // Every /api sale is priced at 0 by the default card.
            lines: boxoffice::domain::prices::free_lines(
                self.admission
                    .unwrap_or(boxoffice::domain::TicketTypeId::from_u128(0)),
                &[],
                ticket.count,
            ),
        }
    }

    /// A live ticket with its show, as `Store::ticket` answers.
    pub fn ticket_with_show(&self, id: TicketId) -> Option<(Ticket, Show)> {
        let ticket = self.tickets.get(&id)?;
        Some((self.ticket(id), self.show(ticket.starts_at)))
    }

    /// Every show in start order with its tickets in booking (id) order, as
    /// `Store::all_shows` answers.
    pub fn view(&self) -> Vec<(Show, Vec<Ticket>)> {
        self.shows
            .iter()
            .map(|(starts_at, show)| {
                let tickets = show.tickets.iter().map(|id| self.ticket(*id)).collect();
                (self.show(*starts_at), tickets)
            })
            .collect()
    }

    /// The model of a store that holds `view` (checked beforehand).
    pub fn from_view(capacity: u32, view: &[(Show, Vec<Ticket>)], minted: &[TicketId]) -> Self {
        let mut model = Self::new(capacity);
        model.minted = minted.to_vec();
        for (show, tickets) in view {
            model.shows.insert(
                show.starts_at,
                ModelShow {
                    id: show.id,
                    capacity: show.capacity,
                    tickets: tickets.iter().map(|ticket| ticket.id).collect(),
                },
            );
            for ticket in tickets {
                if let Some(line) = ticket.lines.first() {
                    model.admission.get_or_insert(line.ticket_type);
                }
                model.tickets.insert(
                    ticket.id,
                    ModelTicket {
                        starts_at: show.starts_at,
                        user_name: ticket.user_name.clone(),
                        phone: ticket.phone.clone(),
                        count: ticket.count,
                        created_at: ticket.created_at,
                    },
                );
                if !model.minted.contains(&ticket.id) {
                    model.minted.push(ticket.id);
                }
            }
        }
        model
    }

    /// The call an [`Op`] stands for at `now`: its slot becomes a show
    /// time on the hour grid around `now`, its pick a ticket id.
    pub fn command(&self, op: &Op, now: Millis) -> Call {
        let show_time = |slot: i64| now - now.rem_euclid(HOUR) + slot * HOUR;
        match op {
            Op::Book {
                user_name,
                phone,
                count,
                slot,
            } => Call::Book(NewBooking {
                user_name: user_name.clone(),
                phone: phone.clone(),
                count: *count,
                starts_at: show_time(*slot),
            }),
            Op::Move { ticket, slot } => Call::Move {
                ticket: self.pick(*ticket),
                starts_at: show_time(*slot),
            },
            Op::Delete { ticket } => Call::Delete(self.pick(*ticket)),
            Op::Purge { budget } => Call::Purge(*budget),
        }
    }

    /// One of the ids the store minted (live or gone), or one it never did.
    fn pick(&self, index: Index) -> TicketId {
        let at = index.index(self.minted.len() + 1);
        self.minted.get(at).copied().unwrap_or_else(never_minted)
    }

    fn decide(&self, command: &Call, now: Millis) -> Decision {
        match command {
            Call::Book(NewBooking {
                user_name,
                phone,
                count,
                starts_at,
            }) => {
                if *starts_at < now {
                    return Decision::Refuse(Refusal::ShowTimeInPast);
                }
                if *count > u64::from(self.free(*starts_at)) {
                    return Decision::Refuse(Refusal::LimitExceeded);
                }
                Decision::Book {
                    starts_at: *starts_at,
                    user_name: user_name.clone(),
                    phone: phone.clone(),
                    count: *count as u32,
                }
            }
            Call::Move { ticket, starts_at } => {
                let Some(held) = self.tickets.get(ticket) else {
                    return Decision::Refuse(Refusal::TicketNotFound);
                };
                if now >= held.starts_at + EXPIRE_AFTER {
                    return Decision::Refuse(Refusal::TicketExpired);
                }
                if *starts_at < now {
                    return Decision::Refuse(Refusal::ShowTimeInPast);
                }
                if held.starts_at != *starts_at && held.count > self.free(*starts_at) {
                    return Decision::Refuse(Refusal::LimitExceeded);
                }
                Decision::Move {
                    ticket: *ticket,
                    starts_at: *starts_at,
                }
            }
            Call::Delete(ticket) => {
                if self.tickets.contains_key(ticket) {
                    Decision::Delete(*ticket)
                } else {
                    Decision::Refuse(Refusal::TicketNotFound)
                }
            }
            Call::Purge(budget) => Decision::Purge { budget: *budget },
        }
    }

    /// Applies `command` at `now` as the contract says. Given the store's
    /// answer, checks it and takes over the ids the store minted; without
    /// one (a commit whose answers were lost), stands placeholders in.
    pub fn apply(
        &mut self,
        command: &Call,
        now: Millis,
        observed: Option<&Outcome>,
    ) -> Result<(), String> {
        let mismatch = |expected: &dyn std::fmt::Debug, got: &Outcome| {
            format!("{command:?} at {now}: expected {expected:?}, the store answered {got:?}")
        };
        match self.decide(command, now) {
            Decision::Refuse(error) => {
                let expected = Err(error);
                same(&expected, observed).map_err(|got| mismatch(&expected, got))
            }
            Decision::Book {
                starts_at,
                user_name,
                phone,
                count,
            } => {
                let (ticket_id, show_id) = match observed {
                    Some(Ok(Answer::Booked(Booked { ticket, show }))) => {
                        if let Some(line) = ticket.lines.first() {
                            self.admission.get_or_insert(line.ticket_type);
                        }
                        (ticket.id, show.id)
                    }
                    Some(got) => return Err(mismatch(&"a booking", got)),
                    None => (
                        TicketId::from_u128(self.placeholder()),
                        ShowId::from_u128(self.placeholder()),
                    ),
                };
                if self.minted.contains(&ticket_id) {
                    return Err(format!("{command:?}: ticket id {ticket_id} minted twice"));
                }
                self.minted.push(ticket_id);
                self.ensure_show(starts_at, show_id)?;
                self.tickets.insert(
                    ticket_id,
                    ModelTicket {
                        starts_at,
                        user_name,
                        phone,
                        count,
                        created_at: now,
                    },
                );
                self.shows
                    .get_mut(&starts_at)
                    .expect("ensured")
                    .tickets
                    .insert(ticket_id);
                let expected = Ok(self.ticket_answer(ticket_id));
                same(&expected, observed).map_err(|got| mismatch(&expected, got))
            }
            Decision::Move { ticket, starts_at } => {
                let from = self.tickets[&ticket].starts_at;
                if from != starts_at {
                    let show_id = match observed {
                        Some(Ok(Answer::Booked(Booked { show, .. }))) => show.id,
                        Some(got) => return Err(mismatch(&"a moved ticket", got)),
                        None => ShowId::from_u128(self.placeholder()),
                    };
                    self.ensure_show(starts_at, show_id)?;
                    self.shows
                        .get_mut(&from)
                        .expect("held")
                        .tickets
                        .remove(&ticket);
                    self.shows
                        .get_mut(&starts_at)
                        .expect("ensured")
                        .tickets
                        .insert(ticket);
                    self.tickets.get_mut(&ticket).expect("held").starts_at = starts_at;
                }
                let expected = Ok(self.ticket_answer(ticket));
                same(&expected, observed).map_err(|got| mismatch(&expected, got))
            }
            Decision::Delete(ticket) => {
                let held = self.tickets.remove(&ticket).expect("held");
                self.shows
                    .get_mut(&held.starts_at)
                    .expect("held")
                    .tickets
                    .remove(&ticket);
                let expected = Ok(Answer::Deleted);
                same(&expected, observed).map_err(|got| mismatch(&expected, got))
            }
            Decision::Purge { budget } => {
                let (shows, tickets, budget_left, expired_left) = self.purge(now, budget);
                match observed {
                    None => Ok(()),
                    Some(Ok(Answer::Purged(report)))
                        if report.shows == shows
                            && report.tickets == tickets
                            // `more` must be set while expired records are
                            // left; it may be set when the budget ran out.
                            && (report.more || !expired_left)
                            && (!report.more || expired_left || budget_left == 0) =>
                    {
                        Ok(())
                    }
                    Some(got) => Err(mismatch(
                        &format!(
                            "{shows} shows and {tickets} tickets purged, expired ones left: {expired_left}"
                        ),
                        got,
                    )),
                }
            }
        }
    }

    fn placeholder(&mut self) -> u128 {
        self.placeholders += 1;
        self.placeholders
    }

    /// Creates the show at `starts_at` with the id the store gave it, unless
    /// it exists (then the store must have answered with its id).
    fn ensure_show(&mut self, starts_at: Millis, id: ShowId) -> Result<(), String> {
        if let Some(show) = self.shows.get(&starts_at) {
            if show.id != id && id.as_u128() < PLACEHOLDER_IDS {
                return Err(format!(
                    "show at {starts_at} is {} but the store answered {id}",
                    show.id
                ));
            }
            return Ok(());
        }
        if self.shows.values().any(|show| show.id == id) {
            return Err(format!("show id {id} used for two start times"));
        }
        self.shows.insert(
            starts_at,
            ModelShow {
                id,
                capacity: self.capacity,
                tickets: BTreeSet::new(),
            },
        );
        Ok(())
    }

    /// A live ticket as a booking or move answers it.
    fn ticket_answer(&self, ticket: TicketId) -> Answer {
        let (ticket, show) = self.ticket_with_show(ticket).expect("live");
        Answer::Booked(Booked { ticket, show })
    }

    /// Expired shows go oldest first, each one's tickets in booking order;
    /// every show or ticket deleted spends one unit of `budget`, and a show
    /// goes only once its tickets have. Returns shows and tickets deleted,
    /// the budget left and whether expired records remain.
    fn purge(&mut self, now: Millis, budget: usize) -> (usize, usize, usize, bool) {
        let cutoff = now - EXPIRE_AFTER;
        let (mut shows, mut tickets, mut left) = (0, 0, budget);
        let expired: Vec<Millis> = self.shows.range(..=cutoff).map(|(at, _)| *at).collect();
        for starts_at in expired {
            let show = self.shows.get_mut(&starts_at).expect("listed");
            let doomed: Vec<TicketId> = show.tickets.iter().take(left).copied().collect();
            for id in &doomed {
                show.tickets.remove(id);
                self.tickets.remove(id);
            }
            left -= doomed.len();
            tickets += doomed.len();
            if !show.tickets.is_empty() || left == 0 {
                break;
            }
            self.shows.remove(&starts_at);
            left -= 1;
            shows += 1;
        }
        let expired_left = self.shows.range(..=cutoff).next().is_some();
        (shows, tickets, left, expired_left)
    }
}

/// The store's answer, when there is one and it is not `expected`.
fn same<'a>(expected: &Outcome, observed: Option<&'a Outcome>) -> Result<(), &'a Outcome> {
    match observed {
        Some(got) if got != expected => Err(got),
        _ => Ok(()),
    }
}

/// The contract's invariants on what a store holds: for every show, sold ==
/// the sum of its tickets' counts <= capacity; every ticket is listed under
/// the show it names, once, in booking order; one show per start time.
pub fn check_invariants(held: &[(Show, Vec<Ticket>)]) -> Result<(), String> {
    let mut ticket_ids = BTreeSet::new();
    let mut show_ids = BTreeSet::new();
    for window in held.windows(2) {
        if window[0].0.starts_at >= window[1].0.starts_at {
            return Err(format!("shows out of start order: {window:?}"));
        }
    }
    for (show, tickets) in held {
        if !show_ids.insert(show.id) {
            return Err(format!("show {} listed twice", show.id));
        }
        let sum: u64 = tickets.iter().map(|ticket| u64::from(ticket.count)).sum();
        if sum != u64::from(show.sold) || show.sold > show.capacity {
            return Err(format!(
                "show {show:?}: sold {} but its tickets add up to {sum} (capacity {})",
                show.sold, show.capacity
            ));
        }
        for window in tickets.windows(2) {
            if window[0].id >= window[1].id {
                return Err(format!("show {}: tickets out of booking order", show.id));
            }
        }
        for ticket in tickets {
            if ticket.show_id != show.id || ticket.count == 0 || !ticket_ids.insert(ticket.id) {
                return Err(format!("ticket {ticket:?} misplaced under show {show:?}"));
            }
        }
    }
    Ok(())
}

/// Everything the store answers about its contents against the model.
pub fn check_store(store: &Store, model: &Model) -> Result<(), String> {
    let held = store.all_shows().map_err(|error| error.to_string())?;
    check_invariants(&held)?;
    let expected = model.view();
    if held != expected {
        return Err(format!(
            "the store holds\n{held:#?}\nthe model holds\n{expected:#?}"
        ));
    }
    let total = store.ticket_total().map_err(|error| error.to_string())?;
    let live = model.tickets.len() as u64;
    if total != live {
        return Err(format!("{total} tickets stored, {live} listed under shows"));
    }
    for id in model.minted().iter().copied().chain([never_minted()]) {
        let found = store.ticket(id).map_err(|error| error.to_string())?;
        if found != model.ticket_with_show(id) {
            return Err(format!("ticket {id}: the store finds {found:?}"));
        }
    }
    Ok(())
}

/// The same, asked through the interface.
pub async fn check_bookings(bookings: &dyn Bookings, model: &Model) -> Result<(), String> {
    let failed = |error: Error| boxoffice::error_chain(&error);
    let held = bookings.all_shows().await.map_err(failed)?;
    check_invariants(&held)?;
    let expected = model.view();
    if held != expected {
        return Err(format!(
            "the backend holds\n{held:#?}\nthe model holds\n{expected:#?}"
        ));
    }
    for id in model.minted().iter().copied().chain([never_minted()]) {
        let found = bookings
            .ticket(id)
            .await
            .map_err(failed)?
            .map(|Booked { ticket, show }| (ticket, show));
        if found != model.ticket_with_show(id) {
            return Err(format!("ticket {id}: the backend finds {found:?}"));
        }
    }
    Ok(())
}

// ---- backends ------------------------------------------------------------------

/// A backend the steps run on: opened with some rules on a clock the test
/// sets, closed, and opened again on the same data.
pub trait Backend {
    fn open(&mut self, rules: Rules, clock: SharedClock) -> Result<Arc<dyn Bookings>, String>;
    /// Closes what `open` gave (every handle to it has been dropped).
    fn close(&mut self);
    /// Checks only this backend can make, beyond the interface's.
    fn check(&self, _model: &Model) -> Result<(), String> {
        Ok(())
    }
}

/// The redb file in a temporary folder.
pub struct Redb {
    path: PathBuf,
    open: Option<(Arc<Store>, std::thread::JoinHandle<()>)>,
}

impl Redb {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            open: None,
        }
    }
}

impl Backend for Redb {
    fn open(&mut self, rules: Rules, clock: SharedClock) -> Result<Arc<dyn Bookings>, String> {
        let store = Store::open(&self.path, CACHE_SIZE, rules).map_err(|e| e.to_string())?;
        let settings = WriterSettings {
            max_batch: 256,
            queue_limit: 1024,
        };
        let on_death = Box::new(|why: &str| panic!("the writer died: {why}"));
        let (bookings, thread) = RedbBookings::start(store, clock, settings, on_death);
        self.open = Some((Arc::clone(bookings.store()), thread));
        Ok(Arc::new(bookings))
    }

    fn close(&mut self) {
        if let Some((store, thread)) = self.open.take() {
            drop(store);
            thread.join().expect("the writer ends cleanly");
        }
    }

    fn check(&self, model: &Model) -> Result<(), String> {
        match &self.open {
            Some((store, _)) => check_store(store, model),
            None => Ok(()),
        }
    }
}

// ---- generated steps ----------------------------------------------------------

/// A command before it meets a store: show times as slots on the hour grid
/// around "now" (-1 is past), tickets as picks among the minted ids.
#[derive(Clone, Debug)]
pub enum Op {
    Book {
        user_name: String,
        phone: Phone,
        count: u64,
        slot: i64,
    },
    Move {
        ticket: Index,
        slot: i64,
    },
    Delete {
        ticket: Index,
    },
    Purge {
        budget: usize,
    },
}

#[derive(Clone, Debug)]
pub enum Step {
    /// One command in its own commit.
    One(Op),
    /// Several commands in one commit, as the writer groups them.
    Batch(Vec<Op>),
    /// The clock moves on by this many half hours.
    Advance(i64),
    /// The store is closed and opened again, new shows getting this capacity.
    Reopen(u32),
}

fn phone() -> impl Strategy<Value = Phone> {
    prop_oneof![
        (1_000_000u64..=999_999_999_999_999).prop_map(Phone::Number),
        "\\+?[0-9]{7,12}".prop_map(Phone::Text),
    ]
}

fn slot() -> impl Strategy<Value = i64> {
    -1i64..=3
}

pub fn op() -> impl Strategy<Value = Op> {
    let count = prop_oneof![8 => 1u64..=3, 2 => 4u64..=6, 1 => Just(u64::MAX)];
    prop_oneof![
        5 => ("[a-z]{1,4}", phone(), count, slot()).prop_map(|(user_name, phone, count, slot)| {
            Op::Book { user_name, phone, count, slot }
        }),
        3 => (any::<Index>(), slot()).prop_map(|(ticket, slot)| Op::Move { ticket, slot }),
        2 => any::<Index>().prop_map(|ticket| Op::Delete { ticket }),
        1 => (0usize..=4).prop_map(|budget| Op::Purge { budget }),
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => op().prop_map(Step::One),
        3 => proptest::collection::vec(op(), 2..=6).prop_map(Step::Batch),
        3 => (1i64..=4).prop_map(Step::Advance),
        1 => (3u32..=6).prop_map(Step::Reopen),
    ]
}

pub fn config(default_cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    config
}

fn open(path: &Path, model: &Model) -> Result<Store, String> {
    Store::open(path, CACHE_SIZE, model.rules()).map_err(|error| error.to_string())
}

/// A runtime for the steps: the interface is async.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs `steps` on `backend` and on the model, comparing after each one.
pub fn run_on(backend: &mut dyn Backend, steps: &[Step]) -> Result<(), String> {
    let runtime = runtime();
    let mut model = Model::new(CAPACITY);
    let clock = Arc::new(ManualClock::new(NOW));
    let mut bookings = Some(backend.open(model.rules(), clock.clone())?);
    for (number, step) in steps.iter().enumerate() {
        let context = |error: String| format!("step {number} {step:?}: {error}");
        let now = clock.now();
        let live = bookings.as_ref().expect("open");
        match step {
            Step::One(op) => {
                let command = model.command(op, now);
                let answer = runtime
                    .block_on(call(live.as_ref(), command.clone()))
                    .map_err(context)?;
                model.apply(&command, now, Some(&answer)).map_err(context)?;
            }
            Step::Batch(ops) => {
                // Sent together, in order, as concurrent clients would: the
                // backend may group them, but must answer as if one by one.
                let commands: Vec<Call> = ops.iter().map(|op| model.command(op, now)).collect();
                let answers = runtime.block_on(futures::future::join_all(
                    commands
                        .iter()
                        .map(|command| call(live.as_ref(), command.clone())),
                ));
                for (command, answer) in commands.iter().zip(answers) {
                    let answer = answer.map_err(context)?;
                    model.apply(command, now, Some(&answer)).map_err(context)?;
                }
            }
            Step::Advance(half_hours) => clock.advance(half_hours * HALF_HOUR),
            Step::Reopen(capacity) => {
                drop(bookings.take());
                backend.close();
                model.capacity = *capacity;
                bookings = Some(
                    backend
                        .open(model.rules(), clock.clone())
                        .map_err(context)?,
                );
            }
        }
        let live = bookings.as_ref().expect("open");
        runtime
            .block_on(check_bookings(live.as_ref(), &model))
            .map_err(context)?;
        backend.check(&model).map_err(context)?;
    }
    drop(bookings);
    backend.close();
    Ok(())
}

fn run(steps: &[Step]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    run_on(&mut Redb::new(&dir.path().join("model.redb")), steps)
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    #[test]
    fn the_store_agrees_with_the_model(steps in proptest::collection::vec(step(), 1..48)) {
        run(&steps).map_err(TestCaseError::fail)?;
    }
}

// ---- one commit, more requests than seats -------------------------------------

fn book(name: &str, count: u64, starts_at: Millis) -> Call {
    Call::Book(NewBooking {
        user_name: name.into(),
        phone: Phone::Number(9876543210),
        count,
        starts_at,
    })
}

/// Runs `calls` in one redb commit at `now`.
pub fn one_commit(
    store: &Store,
    now: Millis,
    ids: &mut IdMinter,
    calls: &[Call],
) -> Result<Vec<Outcome>, StoreError> {
    store.in_one_commit(now, ids, |batch| {
        calls.iter().map(|call| in_batch(batch, call)).collect()
    })
}

#[test]
fn the_last_seats_in_one_commit_go_to_the_commands_that_fit() {
    let dir = tempfile::tempdir().unwrap();
    let model = Model::new(CAPACITY);
    let store = open(&dir.path().join("batch.redb"), &model).unwrap();
    let mut ids = IdMinter::default();
    let show_time = NOW + HOUR;
    let answers = one_commit(&store, NOW, &mut ids, &[book("first", 3, show_time)]).unwrap();
    let [Ok(Answer::Booked(Booked { ticket: first, .. }))] = answers.as_slice() else {
        panic!("the first booking fits");
    };
    let first = first.id;

    // Two seats left, and this one commit asks for many more.
    let batch = [
        book("a", 1, show_time),
        book("b", 2, show_time),
        book("c", 1, show_time),
        book("d", 1, show_time),
        Call::Delete(first),
        book("e", 3, show_time),
        book("f", 1, show_time),
        Call::Move {
            ticket: first,
            starts_at: show_time,
        },
    ];
    let answers = one_commit(&store, NOW, &mut ids, &batch).unwrap();
    let outcome: Vec<Result<(String, u32), Refusal>> = answers
        .into_iter()
        .map(|answer| match answer {
            Ok(Answer::Booked(Booked { ticket, show })) => Ok((ticket.user_name, show.sold)),
            Ok(Answer::Deleted) => Ok(("deleted".into(), 0)),
            Ok(other) => panic!("{other:?}"),
            Err(refusal) => Err(refusal),
        })
        .collect();
    assert_eq!(
        outcome,
        [
            Ok(("a".into(), 4)),
            Err(Refusal::LimitExceeded),
            Ok(("c".into(), 5)),
            Err(Refusal::LimitExceeded),
            Ok(("deleted".into(), 0)),
            Ok(("e".into(), 5)),
            Err(Refusal::LimitExceeded),
            Err(Refusal::TicketNotFound),
        ]
    );

    let held = store.all_shows().unwrap();
    check_invariants(&held).unwrap();
    let [(show, tickets)] = held.as_slice() else {
        panic!("one show: {held:?}");
    };
    assert_eq!(show.sold, CAPACITY);
    let names: Vec<&str> = tickets.iter().map(|t| t.user_name.as_str()).collect();
    assert_eq!(names, ["a", "c", "e"], "refused commands left no trace");
    assert_eq!(store.ticket_total().unwrap(), 3);
}

// ---- actors and roles, through HTTP -----------------------------------------

/// Random writes through HTTP by actors of every role (keys of each role, a
/// signed-in cashier, `admin_token`), on redb and on PostgreSQL. The model
/// is the roles table of the contract: a write by a role that may not make
/// it answers 403 and changes nothing anyone can read; every write that was
/// made appends exactly one audit entry naming its actor, in order, and a
/// refusal none.
mod roles {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::TestCaseError;
    use rocket::http::Status;
    use serde_json::{json, Value};

    use crate::support::{booking, local_with, Local, Received, SHOW};

    const PASSWORD: &str = "correct horse battery";

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    enum Role {
        Kiosk,
        Door,
        Cashier,
        Manager,
        Admin,
    }

    /// Who writes: a name as the audit trail says it, a header, a role.
    #[derive(Clone, Debug)]
    struct Who {
        name: &'static str,
        header: (&'static str, String),
        role: Role,
    }

    #[derive(Clone, Debug)]
    pub enum Write {
        Film,
        Screen,
        Show(Index, Index, u8),
        TicketType,
        DeleteFilm(Index),
        Book(Index),
        Move(Index, Index),
        Cancel(Index),
        ApiBook(u8),
    }

    impl Write {
        /// The least role the contract lets make it, and its audit action.
        fn rule(&self) -> (Role, &'static str) {
            match self {
                Self::Film => (Role::Admin, "film.create"),
                Self::Screen => (Role::Admin, "screen.create"),
                Self::Show(..) => (Role::Admin, "show.create"),
                Self::TicketType => (Role::Admin, "ticket-type.create"),
                Self::DeleteFilm(_) => (Role::Admin, "film.delete"),
                Self::Book(_) | Self::ApiBook(_) => (Role::Kiosk, "booking.create"),
                Self::Move(..) => (Role::Cashier, "booking.move"),
                Self::Cancel(_) => (Role::Cashier, "booking.cancel"),
            }
        }
    }

    fn write() -> impl Strategy<Value = Write> {
        prop_oneof![
            2 => Just(Write::Film),
            2 => Just(Write::Screen),
            3 => (any::<Index>(), any::<Index>(), 0u8..6).prop_map(|(f, s, t)| Write::Show(f, s, t)),
            1 => Just(Write::TicketType),
            1 => any::<Index>().prop_map(Write::DeleteFilm),
            4 => any::<Index>().prop_map(Write::Book),
            2 => (any::<Index>(), any::<Index>()).prop_map(|(b, s)| Write::Move(b, s)),
            2 => any::<Index>().prop_map(Write::Cancel),
            2 => (0u8..3).prop_map(Write::ApiBook),
        ]
    }

    /// What the run knows it made, to aim later writes at.
    #[derive(Default)]
    struct Made {
        films: Vec<String>,
        screens: Vec<String>,
        shows: Vec<String>,
        bookings: Vec<String>,
    }

    fn pick(items: &[String], index: Index) -> Option<String> {
        (!items.is_empty()).then(|| items[index.index(items.len())].clone())
    }

    fn call(service: &Local, method: &str, uri: &str, body: Option<Value>, who: &Who) -> Received {
        let body = body.map(|body| body.to_string());
        service.request(
            method,
            uri,
            body.as_deref(),
            &[(who.header.0, who.header.1.as_str())],
        )
    }

    fn service(postgres: Option<&str>) -> (Local, Option<crate::pg::TestDatabase>) {
        let database = postgres.map(crate::pg::database);
        let url = database.as_ref().map(|database| database.url.clone());
        let local = local_with(|figment| {
            let figment = figment.merge(("admin_token", "boss"));
            match url {
                Some(url) => figment.merge(("database_url", url)),
                None => figment,
            }
        });
        (local, database)
    }

    /// Every actor of the run, made by `admin_token`.
    fn actors(service: &Local) -> Vec<Who> {
        let boss = Who {
            name: "admin_token",
            header: ("X-Auth-Token", "boss".into()),
            role: Role::Admin,
        };
        let mut actors = vec![boss.clone()];
        for (name, role, spelled) in [
            ("k-kiosk", Role::Kiosk, "kiosk"),
            ("k-door", Role::Door, "door"),
            ("k-cashier", Role::Cashier, "cashier"),
            ("k-manager", Role::Manager, "manager"),
            ("k-admin", Role::Admin, "admin"),
        ] {
            let made = call(
                service,
                "POST",
                "/v1/keys",
                Some(json!({"name": name, "role": spelled})),
                &boss,
            );
            assert_eq!(made.status, Status::Created, "{}", made.text);
            let key = made.body["key"].as_str().expect("a key").to_owned();
            actors.push(Who {
                name,
                header: ("X-Auth-Token", key),
                role,
            });
        }
        let staff = json!({"login": "asha", "displayName": "Asha", "role": "cashier",
                           "password": PASSWORD});
        let made = call(service, "POST", "/v1/staff", Some(staff), &boss);
        assert_eq!(made.status, Status::Created, "{}", made.text);
        let signed = call(
            service,
            "POST",
            "/v1/sessions",
            Some(json!({"login": "asha", "password": PASSWORD})),
            &boss,
        );
        assert_eq!(signed.status, Status::Created, "{}", signed.text);
        let token = signed.body["token"].as_str().expect("a token");
        actors.push(Who {
            name: "asha",
            header: ("Authorization", format!("Bearer {token}")),
            role: Role::Cashier,
        });
        actors
    }

    /// All anyone can read of what the writes change.
    fn snapshot(service: &Local, boss: &Who) -> Vec<Value> {
        let mut seen = Vec::new();
        for uri in [
            "/v1/films?limit=500",
            "/v1/screens?limit=500",
            "/v1/shows?limit=500",
            "/v1/ticket-types?limit=500",
        ] {
            seen.push(call(service, "GET", uri, None, boss).body);
        }
        let shows = seen[2]["items"].as_array().cloned().unwrap_or_default();
        for show in shows {
            let uri = format!(
                "/v1/shows/{}/bookings?limit=500",
                show["id"].as_str().unwrap_or_default()
            );
            seen.push(call(service, "GET", &uri, None, boss).body);
        }
        let api = format!(
            "/api/view-all-tickets?showTime={}",
            SHOW.replace(' ', "%20")
        );
        seen.push(call(service, "GET", &api, None, boss).body);
        seen
    }

    /// The trail of sales and the catalogue: (actor, action), oldest first.
    fn trail(service: &Local, boss: &Who) -> Vec<(String, String)> {
        let mut entries = Vec::new();
        let mut uri = "/v1/audit?limit=100".to_owned();
        loop {
            let page = call(service, "GET", &uri, None, boss);
            assert_eq!(page.status, Status::Ok, "{}", page.text);
            for entry in page.body["items"].as_array().cloned().unwrap_or_default() {
                let action = entry["action"].as_str().unwrap_or_default().to_owned();
                if ["staff.", "key.", "session."]
                    .iter()
                    .any(|staff| action.starts_with(staff))
                {
                    continue;
                }
                entries.push((
                    entry["actor"].as_str().unwrap_or_default().to_owned(),
                    action,
                ));
            }
            match page.body["nextCursor"].as_str() {
                Some(cursor) => uri = format!("/v1/audit?limit=100&cursor={cursor}"),
                None => return entries,
            }
        }
    }

    /// The request a write makes, or `None` when it has nothing to aim at.
    fn request(write: &Write, made: &Made, serial: usize) -> Option<(&'static str, String, Value)> {
        Some(match write {
            Write::Film => (
                "POST",
                "/v1/films".into(),
                json!({"title": format!("Film {serial}"), "runtimeMinutes": 60}),
            ),
            Write::Screen => (
                "POST",
                "/v1/screens".into(),
                json!({"name": format!("Screen {serial}"), "rows": [
                    {"label": "A", "seats": [{"number": "1"}, {"number": "2"}, {"number": "3"}]}
                ]}),
            ),
            Write::Show(film, screen, slot) => (
                "POST",
                "/v1/shows".into(),
                json!({
                    "filmId": pick(&made.films, *film)?,
                    "screenId": pick(&made.screens, *screen)?,
                    "start": format!("2030-06-0{} 1{}:00", 1 + slot / 3, 2 * (slot % 3)),
                }),
            ),
            Write::TicketType => (
                "POST",
                "/v1/ticket-types".into(),
                json!({"name": format!("Type {serial}"), "taxRate": 700}),
            ),
            Write::DeleteFilm(film) => (
                "DELETE",
                format!("/v1/films/{}", pick(&made.films, *film)?),
                Value::Null,
            ),
            Write::Book(show) => (
                "POST",
                "/v1/bookings".into(),
                json!({"showId": pick(&made.shows, *show)?, "count": 1}),
            ),
            Write::Move(booking, show) => (
                "PATCH",
                format!("/v1/bookings/{}", pick(&made.bookings, *booking)?),
                json!({"showId": pick(&made.shows, *show)?}),
            ),
            Write::Cancel(booking) => (
                "DELETE",
                format!("/v1/bookings/{}", pick(&made.bookings, *booking)?),
                Value::Null,
            ),
            Write::ApiBook(count) => (
                "POST",
                "/api/book-ticket".into(),
                booking("Walk In", u64::from(*count) + 1, SHOW),
            ),
        })
    }

    fn remember(write: &Write, answer: &Received, uri: &str, made: &mut Made) {
        let id = || answer.body["id"].as_str().unwrap_or_default().to_owned();
        let last = || uri.rsplit('/').next().unwrap_or_default().to_owned();
        match write {
            Write::Film => made.films.push(id()),
            Write::Screen => made.screens.push(id()),
            Write::Show(..) => made.shows.push(id()),
            Write::Book(_) => made.bookings.push(id()),
            Write::DeleteFilm(_) => made.films.retain(|film| *film != last()),
            Write::Cancel(_) => made.bookings.retain(|booking| *booking != last()),
            Write::TicketType | Write::Move(..) | Write::ApiBook(_) => {}
        }
    }

    /// Runs `steps` after an opening by `admin_token` (a film, a screen, a
    /// show and a booking, so that the random writes have something to aim
    /// at from the start).
    fn run(service: &Local, (pin, steps): &(Index, Vec<(Index, Write)>)) -> Result<(), String> {
        let actors = actors(service);
        let boss = actors[0].clone();
        let mut made = Made::default();
        let mut expected: Vec<(String, String)> = Vec::new();
        let opening = [
            Write::Film,
            Write::Screen,
            Write::Show(*pin, *pin, 0),
            Write::Book(*pin),
            Write::Book(*pin),
        ];
        let opening = opening.into_iter().map(|write| (None, write));
        let steps = steps.iter().map(|(who, write)| (Some(*who), write.clone()));
        for (serial, (who, write)) in opening.chain(steps).enumerate() {
            let who = who.map_or(&boss, |who| &actors[who.index(actors.len())]);
            let write = &write;
            let Some((method, uri, body)) = request(write, &made, serial) else {
                continue;
            };
            let body = (!body.is_null()).then_some(body);
            let (least, action) = write.rule();
            let before = snapshot(service, &boss);
            let answer = call(service, method, &uri, body, who);
            let step = format!("step {serial}: {} {method} {uri}", who.name);
            if who.role < least && !uri.starts_with("/api/") {
                if answer.status != Status::Forbidden {
                    return Err(format!(
                        "{step}: {} not 403: {}",
                        answer.status, answer.text
                    ));
                }
                if snapshot(service, &boss) != before {
                    return Err(format!("{step}: a 403 changed what is read"));
                }
            } else if answer.status == Status::Forbidden || answer.status.code >= 500 {
                return Err(format!("{step}: {}: {}", answer.status, answer.text));
            } else if answer.status.class().is_success() {
                expected.push((who.name.to_owned(), action.to_owned()));
                remember(write, &answer, &uri, &mut made);
            } else if snapshot(service, &boss) != before {
                return Err(format!(
                    "{step}: a refusal changed what is read: {}",
                    answer.text
                ));
            }
        }
        let trail = trail(service, &boss);
        if trail != expected {
            return Err(format!(
                "the audit trail\n{trail:?}\nis not one entry per write made\n{expected:?}"
            ));
        }
        Ok(())
    }

    fn steps() -> impl Strategy<Value = (Index, Vec<(Index, Write)>)> {
        (
            any::<Index>(),
            proptest::collection::vec((any::<Index>(), write()), 1..32),
        )
    }

    proptest! {
        #![proptest_config(super::config(6))]

        #[test]
        fn roles_refuse_what_they_may_not_and_the_trail_names_every_write_on_redb(
            steps in steps()
        ) {
            let (service, _none) = service(None);
            run(&service, &steps).map_err(TestCaseError::fail)?;
        }

        #[test]
        #[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
        fn roles_refuse_what_they_may_not_and_the_trail_names_every_write_on_postgresql(
            steps in steps()
        ) {
            let (service, _database) = service(Some("roles_model"));
            run(&service, &steps).map_err(TestCaseError::fail)?;
        }
    }
}
