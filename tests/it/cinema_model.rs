//! The cinema against a model: random sequences of shows created on a
//! seat-map screen and a general-admission one, bookings by seat or by
//! count, moves, cancellations, holds that run out or are confirmed,
//! `/api` bookings and moves on the default screen, purges, retries with an
//! `Idempotency-Key`, holds by staff and by two limited clients (their
//! share of a show, their live holds, the cooldown on what they gave back),
//! `Idempotency-Key`, clock steps and reopenings, run through the `Cinema`,
//! `Holds` and `Bookings` interfaces of a backend and on a plain in-memory
//! model that applies the contract's rules by itself. After every step the
//! backend must have answered as the model did, what it shows through its
//! interface must keep the contract's invariants (sold + held <= capacity,
//! no seat in two live bookings or holds, seat states that agree with both)
//! and must equal the model: counts, seat states, every booking and hold
//! with its lines. Prices: three taxed ticket types (holds and confirmations
//! at the kiosk take one by default, bookings on `api` another, and either
//! may ask for a mix with the third by `tickets`, by seat or by count) on
//! two cards with premium seats priced apart, repriced and retaxed mid-run;
//! a line is priced when sold and never again, keeps the tax rate it was
//! sold at, its tax is the rounding rule's at that rate, and a sale's lines
//! add up to what it cost. Each kind of call comes from an actor of its
//! own (keys, sessions, a token, an open service), and after the run the
//! audit trail holds exactly one entry per sale made, naming its actor.
//! [`CinemaBackend`] is all a new backend has to provide.
//!
//! A small seat map, small capacities, a short expiry and a short time for
//! a key's answer make refusals, expiry, purges and fresh reuse of a key
//! common. `PROPTEST_CASES` raises the number of cases.

use boxoffice::domain::staff::{Actor, ActorKind, Role};
use boxoffice::usecases::audit;
use boxoffice::usecases::staff::AuditFilter;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use boxoffice::clock::{ManualClock, SharedClock};
use boxoffice::domain::cinema::{Film, Layout, Screen};
use boxoffice::domain::limits::{ClientId, HoldLimit, Limits};
use boxoffice::domain::prices::{CardRules, Channel, Channels, Line, Price, TicketChoice};
use boxoffice::domain::seating::{
    best_available, Row, Seat, SeatIndex, SeatKind, SeatMap, SeatSet,
};
use boxoffice::domain::Reference;
use boxoffice::domain::{
    FilmId, HoldId, Millis, Phone, Refusal, Rules, ScreenId, Show, ShowId, Ticket, TicketId,
};
use boxoffice::domain::{PriceCardId, TicketTypeId};
use boxoffice::store::{RedbBookings, Store, WriterSettings};
use boxoffice::usecases::cinema::{line_views, LineView};
use boxoffice::usecases::cinema::{
    Booking, BookingMove, NewFilm, NewScreen, NewSeatBooking, NewShow, SeatRequest, SeatState,
    SeatView, ShowFilter, ShowView,
};
use boxoffice::usecases::holds::{Confirmation, HoldView, NewHold};
use boxoffice::usecases::prices::{NewPriceCard, NewTicketType, PriceCardPatch, TicketTypePatch};
use boxoffice::usecases::{
    Backend, Booked, Error, Keyed, NewBooking, Once, PageRequest, PurgeReport, Replay, ShowKey,
    ShowTickets, Written,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use sha2::{Digest, Sha256};

use crate::model::{config, runtime, CACHE_SIZE};
use crate::support::{HOUR, NOW};

const MINUTE: i64 = 60_000;
/// New shows start on this grid, so that some of them overlap.
const QUARTER: i64 = 15 * MINUTE;
const EXPIRE_AFTER: i64 = 2 * HOUR;
/// A key's answer is kept this long: a retry after it runs afresh.
const ANSWER_TTL: i64 = 2 * HOUR;
/// Seats of an `/api` show (the default screen's).
const DEFAULT_CAPACITY: u32 = 4;
/// Seats of the general-admission screen.
const GENERAL_CAPACITY: u32 = 5;
const RUNTIME_MINUTES: u32 = 60;
/// Cases per run unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 48;
pub const MAX_STEPS: usize = 40;
/// A show's bookings are read this many to a page, so every read follows cursors.
const PAGE: usize = 2;
/// Seats on the map of [`rows`].
const MAP_SEATS: usize = 18;
/// Names no seat of the map has (`a1` and `B0` are near misses).
const UNKNOWN_SEATS: [&str; 4] = ["A7", "D1", "B0", "a1"];
/// The id of a screen, film, show, booking or hold that was never minted
/// (its time is 1970).
const NEVER_MINTED: u128 = 1;

/// One live hold per limited client and a long cooldown, so that the
/// limits bind often.
fn rules() -> Rules {
    Rules {
        idempotency_ttl_ms: ANSWER_TTL,
        limits: Limits {
            holds_per_client: 1,
            hold_cooldown_ms: 10 * MINUTE,
            ..Limits::DEFAULT
        },
        ..Rules::new(DEFAULT_CAPACITY, EXPIRE_AFTER)
    }
}

/// Three rows of six: an aisle after A3; B1 a wheelchair space with its
/// companion seat B2, B4 blocked; row C premium. The best row for a party
/// is B, so parties of three or more go to A or C.
fn rows() -> Vec<Row> {
    let seat = |number: usize, kind: SeatKind| Seat {
        number: number.to_string(),
        kind,
        blocked: false,
        aisle_after: false,
    };
    let a = (1..=6)
        .map(|n| Seat {
            aisle_after: n == 3,
            ..seat(n, SeatKind::Standard)
        })
        .collect();
    let b = (1..=6)
        .map(|n| {
            let kind = match n {
                1 => SeatKind::Wheelchair,
                2 => SeatKind::Companion,
                _ => SeatKind::Standard,
            };
            Seat {
                blocked: n == 4,
                ..seat(n, kind)
            }
        })
        .collect();
    let c = (1..=6).map(|n| seat(n, SeatKind::Premium)).collect();
    [("A", a), ("B", b), ("C", c)]
        .into_iter()
        .map(|(label, seats)| Row {
            label: label.into(),
            seats,
        })
        .collect()
}

// ---- calls and answers ----------------------------------------------------------

/// One use case with its input, as a step calls it.
#[derive(Clone, Debug)]
pub enum Call {
    CreateShow(NewShow),
    Book(NewSeatBooking),
    Move(TicketId, BookingMove),
    Cancel(TicketId),
    Hold(NewHold),
    Release(HoldId),
    /// More time: this long from now, in milliseconds.
    Extend(HoldId, i64),
    Confirm(HoldId, Confirmation),
    ReadHold(HoldId),
    /// `/api/book-ticket`.
    ApiBook(NewBooking),
    /// `/api/update-timing`.
    ApiMove(TicketId, Millis),
    Purge(usize),
}

impl Call {
    /// The status a success is answered with; `None`: a call that takes no key.
    fn success_status(&self) -> Option<u16> {
        match self {
            Self::CreateShow(_) | Self::Book(_) | Self::Hold(_) | Self::Confirm(..) => Some(201),
            Self::Move(..) | Self::Extend(..) | Self::ApiBook(_) | Self::ApiMove(..) => Some(200),
            Self::Cancel(_) | Self::Release(_) => Some(204),
            Self::ReadHold(_) | Self::Purge(_) => None,
        }
    }
}

/// An `Idempotency-Key`; `changed`: sent with another request than the
/// first time, so with another fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    name: String,
    changed: bool,
}

impl Key {
    fn fingerprint(&self, call: &Call) -> [u8; 32] {
        let marker = if self.changed { " changed" } else { "" };
        Sha256::digest(format!("{call:?}{marker}").as_bytes()).into()
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    call: Call,
    key: Option<Key>,
}

/// A use case's answer when the rules let it through.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // answers compared one at a time, never kept in bulk
pub enum Answer {
    Show(ShowView),
    Booking(Booking),
    Hold(HoldView),
    Done,
    Booked(Booked),
    Read(Option<HoldView>),
    Purged(PurgeReport),
    Replayed(Replay),
}

/// What a use case answered: done, or refused (and nothing changed).
pub type Outcome = Result<Answer, Refusal>;

fn refusal_status(refusal: &Refusal) -> u16 {
    match refusal {
        Refusal::TicketNotFound
        | Refusal::ScreenNotFound
        | Refusal::FilmNotFound
        | Refusal::ShowNotFound
        | Refusal::HoldNotFound => 404,
        Refusal::TicketExpired | Refusal::HoldExpired => 410,
        Refusal::SeatsTaken(_)
        | Refusal::NotEnoughSeats
        | Refusal::ShowStarted
        | Refusal::ScreenBusy
        | Refusal::InUse(_) => 409,
        Refusal::ShowTimeInPast => 400,
        Refusal::LimitExceeded => 406,
        _ => 422,
    }
}

/// The answer a keyed write stores: its status and the outcome written out.
fn render(success: u16, outcome: &Outcome) -> Replay {
    let status = match outcome {
        Ok(_) => success,
        Err(refusal) => refusal_status(refusal),
    };
    Replay {
        status,
        body: format!("{outcome:?}").into_bytes(),
    }
}

fn once<T: Clone + Send + 'static>(
    key: Option<&Key>,
    call: &Call,
    answer: fn(T) -> Answer,
) -> Once<T> {
    let key = key?;
    let success = call.success_status()?;
    Some(Keyed {
        key: key.name.clone().into_bytes(),
        fingerprint: key.fingerprint(call),
        render: Box::new(move |outcome: &Result<T, Refusal>| {
            Some(render(success, &outcome.clone().map(answer)))
        }),
        client: None,
    })
}

fn written<T>(
    written: Result<Written<T>, Error>,
    answer: fn(T) -> Answer,
) -> Result<Outcome, String> {
    match written {
        Ok(Written::Fresh(done)) => Ok(Ok(answer(done))),
        Ok(Written::Replayed(replay)) => Ok(Ok(Answer::Replayed(replay))),
        Err(Error::Refused(refusal)) => Ok(Err(refusal)),
        Err(error) => Err(boxoffice::error_chain(&error)),
    }
}

/// A failure that is not a refusal, as the test reports it.
trait Chained<T> {
    fn chained(self) -> Result<T, String>;
}

impl<T> Chained<T> for Result<T, Error> {
    fn chained(self) -> Result<T, String> {
        self.map_err(|error| boxoffice::error_chain(&error))
    }
}

/// Who sends a call, and the audit action of a sale it makes (`None`: not
/// a sale). Each kind of call comes from an actor of its own, of a role
/// that may make it.
fn sender(call: &Call) -> (Actor, Option<&'static str>) {
    let key = |name: &str, role| Actor {
        name: name.into(),
        role,
        kind: ActorKind::Key(7),
    };
    let session = |name: &str, role| Actor {
        name: name.into(),
        role,
        kind: ActorKind::Session {
            digest: [7; 32],
            cookie: false,
        },
    };
    match call {
        Call::CreateShow(_) => (session("ines", Role::Admin), None),
        Call::Book(_) => (key("till-2", Role::Cashier), Some(audit::BOOKING_CREATE)),
        Call::Move(..) => (session("asha", Role::Cashier), Some(audit::BOOKING_MOVE)),
        Call::Cancel(_) => (session("bo", Role::Manager), Some(audit::BOOKING_CANCEL)),
        Call::Confirm(..) => (key("kiosk-lobby", Role::Kiosk), Some(audit::HOLD_CONFIRM)),
        Call::ApiBook(_) => (Actor::open(), Some(audit::BOOKING_CREATE)),
        Call::ApiMove(..) => (
            Actor {
                name: "api_token".into(),
                role: Role::Cashier,
                kind: ActorKind::Token,
            },
            Some(audit::BOOKING_MOVE),
        ),
        Call::Hold(_)
        | Call::Release(_)
        | Call::Extend(..)
        | Call::ReadHold(_)
        | Call::Purge(_) => (key("kiosk-lobby", Role::Kiosk), None),
    }
}

/// The sale a request made, as the audit trail must name it: a fresh
/// answer of a call that sells (a refusal or a replay makes none).
fn sale_made(request: &Request, answer: &Outcome) -> Option<(String, String)> {
    let (actor, action) = sender(&request.call);
    match answer {
        Ok(Answer::Replayed(_)) | Err(_) => None,
        Ok(_) => action.map(|action| (actor.name, action.to_owned())),
    }
}

/// The sales in the backend's audit trail, sorted (writes sent together
/// may commit in either order on PostgreSQL).
async fn sales_audited(backend: &dyn Backend) -> Result<Vec<(String, String)>, String> {
    let sales = [
        audit::BOOKING_CREATE,
        audit::BOOKING_MOVE,
        audit::BOOKING_CANCEL,
        audit::HOLD_CONFIRM,
    ];
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let page = backend
            .audit(AuditFilter::default(), PageRequest { after, limit: 100 })
            .await
            .chained()?;
        found.extend(
            page.items
                .into_iter()
                .filter(|entry| sales.contains(&entry.action.as_str()))
                .map(|entry| (entry.actor, entry.action)),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    found.sort();
    Ok(found)
}

/// Sends `request` through the interface; a failure that is not a refusal
/// is the test's failure.
pub async fn send(backend: &dyn Backend, request: &Request) -> Result<Outcome, String> {
    let key = request.key.as_ref();
    let call = &request.call;
    let (actor, _) = sender(call);
    let actor = &actor;
    match call.clone() {
        Call::CreateShow(show) => written(
            backend
                .create_show(show, actor, once(key, call, Answer::Show))
                .await,
            Answer::Show,
        ),
        Call::Book(booking) => written(
            backend
                .create_booking(booking, actor, once(key, call, Answer::Booking))
                .await,
            Answer::Booking,
        ),
        Call::Move(id, to) => written(
            backend
                .move_booking(id, to, actor, once(key, call, Answer::Booking))
                .await,
            Answer::Booking,
        ),
        Call::Cancel(id) => written(
            backend
                .cancel_booking(id, actor, once(key, call, |()| Answer::Done))
                .await,
            |()| Answer::Done,
        ),
        Call::Hold(hold) => written(
            backend
                .create_hold(hold, once(key, call, Answer::Hold))
                .await,
            Answer::Hold,
        ),
        Call::Release(id) => written(
            backend
                .release_hold(id, once(key, call, |()| Answer::Done))
                .await,
            |()| Answer::Done,
        ),
        Call::Extend(id, hold_for_ms) => written(
            backend
                .extend_hold(id, hold_for_ms, once(key, call, Answer::Hold))
                .await,
            Answer::Hold,
        ),
        Call::Confirm(id, who) => written(
            backend
                .confirm_hold(id, who, actor, once(key, call, Answer::Booking))
                .await,
            Answer::Booking,
        ),
        Call::ReadHold(id) => Ok(Ok(Answer::Read(backend.hold(id).await.chained()?))),
        Call::ApiBook(booking) => written(
            backend
                .book(booking, actor, once(key, call, Answer::Booked))
                .await,
            Answer::Booked,
        ),
        Call::ApiMove(id, starts_at) => written(
            backend
                .move_ticket(id, starts_at, actor, once(key, call, Answer::Booked))
                .await,
            Answer::Booked,
        ),
        Call::Purge(budget) => Ok(Ok(Answer::Purged(
            backend.purge_expired(budget).await.chained()?,
        ))),
    }
}

// ---- the model --------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Room {
    Seated,
    General,
    /// The default screen, of the `/api` shows.
    Default,
}

#[derive(Clone, Debug)]
struct ModelShow {
    room: Room,
    starts_at: Millis,
    capacity: u32,
}

#[derive(Clone, Debug)]
struct ModelBooking {
    show: ShowId,
    seats: Vec<SeatIndex>,
    count: u32,
    user_name: String,
    phone: Phone,
    created_at: Millis,
    /// As priced when sold (or held): never priced again.
    lines: Vec<Line>,
}

#[derive(Clone, Debug)]
struct ModelHold {
    show: ShowId,
    seats: Vec<SeatIndex>,
    count: u32,
    expires_at: Millis,
    created_at: Millis,
    client: Option<ClientId>,
    lines: Vec<Line>,
}

/// The price book the catalogue sets up, as the model keeps it: two taxed
/// types (the first sold at the kiosk only, so holds and confirmations take
/// it and bookings on `api` the other) on two cards without rules (each
/// takes every show: the higher priority wins, the older on a tie), premium
/// seats priced apart. [`Step::Reprice`] changes a card's priority and
/// prices mid-run.
#[derive(Clone, Debug)]
struct ModelPrices {
    kiosk: TicketTypeId,
    full: TicketTypeId,
    /// Sold everywhere too, asked for by `tickets`.
    child: TicketTypeId,
    /// Each type's rate now ([`Step::Retax`] changes them); a line keeps
    /// the rate it was sold at.
    rates: BTreeMap<TicketTypeId, u16>,
    /// Oldest first.
    cards: Vec<ModelCard>,
}

#[derive(Clone, Debug)]
struct ModelCard {
    id: PriceCardId,
    priority: i32,
    /// (type, premium?) -> amount; every other seat and place takes the
    /// non-premium amount.
    amounts: BTreeMap<(TicketTypeId, bool), u64>,
}

impl ModelCard {
    /// The card's prices as the backend takes them: a type's amount for
    /// any seat, and apart for premium seats.
    fn prices(&self) -> Vec<Price> {
        self.amounts
            .iter()
            .map(|(&(ticket_type, premium), &amount)| Price {
                ticket_type,
                seat_kind: premium.then_some(SeatKind::Premium),
                amount,
            })
            .collect()
    }
}

impl ModelPrices {
    /// The card every show takes now.
    fn card(&self) -> &ModelCard {
        let mut best = &self.cards[0];
        for card in &self.cards[1..] {
            if card.priority > best.priority {
                best = card;
            }
        }
        best
    }
}

/// The tax in `price` at `rate` basis points: price × rate / (10000 +
/// rate) to the nearest unit, a tie to the even one, found by comparing
/// the distances of the two candidates.
fn expected_tax(price: u64, rate: u16) -> u64 {
    let numerator = u128::from(price) * u128::from(rate);
    let denominator = 10_000 + u128::from(rate);
    let low = numerator / denominator;
    let below = numerator - low * denominator;
    let above = (low + 1) * denominator - numerator;
    let tax = if below < above || (below == above && low % 2 == 0) {
        low
    } else {
        low + 1
    };
    u64::try_from(tax).expect("tax within the price")
}

/// What a limited client released, out of its reach until `until`.
#[derive(Clone, Debug)]
struct ModelCooldown {
    client: ClientId,
    show: ShowId,
    until: Millis,
    seats: Vec<SeatIndex>,
    count: u32,
}

/// One seat of the map as the model knows it, by its position in row order.
#[derive(Clone, Debug)]
struct SeatSpec {
    name: String,
    row: String,
    number: String,
    kind: SeatKind,
    blocked: bool,
    aisle_after: bool,
}

/// A key's stored answer.
#[derive(Clone, Debug)]
struct Answered {
    fingerprint: [u8; 32],
    replay: Replay,
    stored_at: Millis,
}

/// What the backend should hold, kept in plain maps.
pub struct Model {
    rules: Rules,
    /// For `best_available` alone; every other question about seats the
    /// model answers from `seats`.
    map: SeatMap,
    seats: Vec<SeatSpec>,
    seated: ScreenId,
    general: ScreenId,
    film: FilmId,
    shows: BTreeMap<ShowId, ModelShow>,
    bookings: BTreeMap<TicketId, ModelBooking>,
    holds: BTreeMap<HoldId, ModelHold>,
    cooldowns: Vec<ModelCooldown>,
    /// Every id the backend handed out, live or gone, in order.
    show_ids: Vec<ShowId>,
    booking_ids: Vec<TicketId>,
    hold_ids: Vec<HoldId>,
    /// The largest id minted: every new one sorts after it.
    last_id: u128,
    answers: BTreeMap<String, Answered>,
    /// Keyed requests as first sent, for retries.
    keyed: Vec<Request>,
    keys: u32,
    prices: ModelPrices,
}

fn seat_index(position: usize) -> SeatIndex {
    SeatIndex(u16::try_from(position).expect("a small map"))
}

fn unexpected(what: &str, observed: &Outcome) -> String {
    format!(
        "expected {what}, the backend answered {}",
        described(observed)
    )
}

/// An outcome for a failure message: a replayed body as text.
fn described(outcome: &Outcome) -> String {
    match outcome {
        Ok(Answer::Replayed(replay)) => format!(
            "Ok(Replayed {{ status: {}, body: {:?} }})",
            replay.status,
            String::from_utf8_lossy(&replay.body)
        ),
        other => format!("{other:?}"),
    }
}

impl Model {
    fn new(
        rules: Rules,
        seated: &Screen,
        general: &Screen,
        film: &Film,
        prices: ModelPrices,
    ) -> Self {
        let rows = rows();
        let seats = rows
            .iter()
            .flat_map(|row| {
                row.seats.iter().map(|seat| SeatSpec {
                    name: format!("{}{}", row.label, seat.number),
                    row: row.label.clone(),
                    number: seat.number.clone(),
                    kind: seat.kind,
                    blocked: seat.blocked,
                    aisle_after: seat.aisle_after,
                })
            })
            .collect();
        Self {
            rules,
            map: SeatMap::new(rows).expect("a valid map"),
            seats,
            seated: seated.id,
            general: general.id,
            film: film.id,
            shows: BTreeMap::new(),
            bookings: BTreeMap::new(),
            holds: BTreeMap::new(),
            cooldowns: Vec::new(),
            show_ids: Vec::new(),
            booking_ids: Vec::new(),
            hold_ids: Vec::new(),
            last_id: seated
                .id
                .as_u128()
                .max(general.id.as_u128())
                .max(film.id.as_u128()),
            answers: BTreeMap::new(),
            keyed: Vec::new(),
            keys: 0,
            prices,
        }
    }

    /// The lines of a sale of `seats` (or `count` places) on `channel`, as
    /// the card prices them now, of the types `choice` asks for (a place
    /// it names no type for takes the first one the card sells on
    /// `channel`), each at its type's rate now.
    fn lines(
        &self,
        seats: &[SeatIndex],
        count: u32,
        channel: Channel,
        choice: &TicketChoice,
    ) -> Vec<Line> {
        let prices = &self.prices;
        let first = if channel == Channel::Kiosk {
            prices.kiosk
        } else {
            prices.full
        };
        let places: Vec<Option<SeatIndex>> = if seats.is_empty() {
            (0..count).map(|_| None).collect()
        } else {
            seats.iter().copied().map(Some).collect()
        };
        let types: Vec<TicketTypeId> = match choice {
            TicketChoice::Any => places.iter().map(|_| first).collect(),
            TicketChoice::ByType(counts) => counts
                .iter()
                .flat_map(|&(ticket_type, count)| (0..count).map(move |_| ticket_type))
                .collect(),
            TicketChoice::BySeat(named) => places
                .iter()
                .map(|place| {
                    named
                        .iter()
                        .rev()
                        .find(|(name, _)| {
                            place.is_some_and(|seat| self.seats[seat.as_usize()].name == *name)
                        })
                        .map_or(first, |&(_, ticket_type)| ticket_type)
                })
                .collect(),
        };
        assert_eq!(types.len(), places.len(), "a choice of every place");
        places
            .into_iter()
            .zip(types)
            .map(|(seat, ticket_type)| {
                let premium =
                    seat.is_some_and(|seat| self.seats[seat.as_usize()].kind == SeatKind::Premium);
                let price = prices.card().amounts[&(ticket_type, premium)];
                let rate = prices.rates[&ticket_type];
                Line {
                    seat,
                    ticket_type,
                    price,
                    tax: expected_tax(price, rate),
                    tax_rate: rate,
                }
            })
            .collect()
    }

    /// The `tickets` of a sale as `pick` chooses them for `seats`: by seat
    /// when it names seats, else by count; each place the first type sold
    /// on `channel` or `child`, as the bits of the mask say.
    fn tickets(&self, pick: TicketPick, seats: &SeatRequest, channel: Channel) -> TicketChoice {
        let TicketPick::Mixed(mask) = pick else {
            return TicketChoice::Any;
        };
        let first = if channel == Channel::Kiosk {
            self.prices.kiosk
        } else {
            self.prices.full
        };
        let child = self.prices.child;
        match seats {
            SeatRequest::Named(names) => TicketChoice::BySeat(
                names
                    .iter()
                    .enumerate()
                    .map(|(at, name)| {
                        let ticket_type = if mask >> (at % 8) & 1 == 1 {
                            child
                        } else {
                            first
                        };
                        (name.clone(), ticket_type)
                    })
                    .collect(),
            ),
            SeatRequest::Count(0) => TicketChoice::Any,
            SeatRequest::Count(count) => {
                let children = u32::from(mask) % (count + 1);
                let counts = [(child, children), (first, count - children)]
                    .into_iter()
                    .filter(|&(_, count)| count > 0)
                    .collect();
                TicketChoice::ByType(counts)
            }
        }
    }

    /// Changes the tax rate of `Full` (or `Child`) on the backend and in the
    /// model: sales made from now on are taxed at it, lines already held
    /// or sold keep theirs.
    async fn retax(&mut self, backend: &dyn Backend, child: bool, rate: u16) -> Result<(), String> {
        let id = if child {
            self.prices.child
        } else {
            self.prices.full
        };
        let patch = TicketTypePatch {
            tax_rate: Some(rate),
            ..TicketTypePatch::default()
        };
        let made = backend
            .update_ticket_type(id, patch, &Actor::open(), None)
            .await
            .and_then(Written::fresh)
            .chained()?;
        if made.tax_rate != rate {
            return Err(format!("type {id}: asked for rate {rate}, made {made:?}"));
        }
        self.prices.rates.insert(id, rate);
        Ok(())
    }

    /// Changes card `which` on the backend and in the model: `priority`,
    /// and every price `bump` higher. Nothing already held or sold changes.
    async fn reprice(
        &mut self,
        backend: &dyn Backend,
        which: usize,
        priority: i32,
        bump: u64,
    ) -> Result<(), String> {
        let card = &mut self.prices.cards[which];
        card.priority = priority;
        for amount in card.amounts.values_mut() {
            *amount += bump;
        }
        let patch = PriceCardPatch {
            priority: Some(priority),
            prices: Some(card.prices()),
            ..PriceCardPatch::default()
        };
        let made = backend
            .update_price_card(card.id, patch.clone(), &Actor::open(), None)
            .await
            .and_then(Written::fresh)
            .chained()?;
        if Some(made.prices) != patch.prices || made.priority != priority {
            return Err(format!("card {}: asked for {patch:?}", card.id));
        }
        Ok(())
    }

    /// A moved sale's lines: the first places keep their lines, in order,
    /// on the places the sale has now; places it did not have are priced on
    /// `api` as the card is now.
    fn moved_lines(&self, old: &[Line], seats: &[SeatIndex], count: u32) -> Vec<Line> {
        let fresh = self.lines(seats, count, Channel::Api, &TicketChoice::Any);
        let kept = old.len().min(fresh.len());
        old[..kept]
            .iter()
            .zip(&fresh)
            .map(|(line, place)| Line {
                seat: place.seat,
                ..*line
            })
            .chain(fresh[kept..].iter().copied())
            .collect()
    }

    fn screen(&self, room: Room) -> ScreenId {
        match room {
            Room::Seated => self.seated,
            Room::General => self.general,
            Room::Default => ScreenId::DEFAULT,
        }
    }

    fn map_capacity(&self) -> u32 {
        let sellable = self.seats.iter().filter(|seat| !seat.blocked).count();
        u32::try_from(sellable).expect("a small map")
    }

    fn name(&self, seat: SeatIndex) -> String {
        self.seats[seat.as_usize()].name.clone()
    }

    fn names(&self, seats: &[SeatIndex]) -> Vec<String> {
        seats.iter().map(|seat| self.name(*seat)).collect()
    }

    fn is_expired(&self, show: &ModelShow, now: Millis) -> bool {
        now >= show.starts_at + self.rules.expire_after_ms
    }

    /// Bookings and holds stop at the start; after expiry the show is gone (410).
    fn on_sale(&self, show: &ModelShow, now: Millis) -> Result<(), Refusal> {
        if self.is_expired(show, now) {
            return Err(Refusal::TicketExpired);
        }
        if now >= show.starts_at {
            return Err(Refusal::ShowStarted);
        }
        Ok(())
    }

    /// A show's bookings in booking order, but `except`.
    fn bookings_of(
        &self,
        show: ShowId,
        except: Option<TicketId>,
    ) -> impl Iterator<Item = (TicketId, &ModelBooking)> + '_ {
        self.bookings
            .iter()
            .filter(move |(id, booking)| booking.show == show && Some(**id) != except)
            .map(|(id, booking)| (*id, booking))
    }

    /// A show's holds that count at `now`: until, not at, `expiresAt`.
    fn live_holds(&self, show: ShowId, now: Millis) -> impl Iterator<Item = &ModelHold> + '_ {
        self.holds
            .values()
            .filter(move |hold| hold.show == show && now < hold.expires_at)
    }

    fn sold(&self, show: ShowId, except: Option<TicketId>) -> u32 {
        self.bookings_of(show, except)
            .map(|(_, booking)| booking.count)
            .sum()
    }

    fn held(&self, show: ShowId, now: Millis) -> u32 {
        self.live_holds(show, now).map(|hold| hold.count).sum()
    }

    fn sold_seats(&self, show: ShowId, except: Option<TicketId>) -> BTreeSet<SeatIndex> {
        self.bookings_of(show, except)
            .flat_map(|(_, booking)| booking.seats.iter().copied())
            .collect()
    }

    fn held_seats(&self, show: ShowId, now: Millis) -> BTreeSet<SeatIndex> {
        self.live_holds(show, now)
            .flat_map(|hold| hold.seats.iter().copied())
            .collect()
    }

    /// Seats of a seat-map show nobody else may have: blocked, sold (but
    /// to `except`) or held.
    fn taken(&self, show: ShowId, now: Millis, except: Option<TicketId>) -> SeatSet {
        let mut taken = SeatSet::new(self.seats.len());
        taken.extend(
            self.seats
                .iter()
                .enumerate()
                .filter(|(_, seat)| seat.blocked)
                .map(|(position, _)| seat_index(position)),
        );
        taken.extend(self.sold_seats(show, except));
        taken.extend(self.held_seats(show, now));
        taken
    }

    /// The seats a client named, in the order given.
    fn resolve(&self, names: &[String]) -> Result<Vec<SeatIndex>, Refusal> {
        if names.is_empty() {
            return Err(Refusal::NoSeatsNamed);
        }
        let mut seats = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut twice = None;
        for name in names {
            match self.seats.iter().position(|seat| seat.name == *name) {
                Some(position) => {
                    let seat = seat_index(position);
                    if seats.contains(&seat) && twice.is_none() {
                        twice = Some(name.clone());
                    }
                    seats.push(seat);
                }
                None if !unknown.contains(name) => unknown.push(name.clone()),
                None => {}
            }
        }
        if !unknown.is_empty() {
            return Err(Refusal::UnknownSeats(unknown));
        }
        if let Some(name) = twice {
            return Err(Refusal::SeatNamedTwice(name));
        }
        Ok(seats)
    }

    /// The seats `wanted` gets in `show` at `now`, its own seats free to `except`.
    fn pick_seats(
        &self,
        id: ShowId,
        wanted: &SeatRequest,
        now: Millis,
        except: Option<TicketId>,
    ) -> Result<Vec<SeatIndex>, Refusal> {
        let show = &self.shows[&id];
        if show.room != Room::Seated {
            let SeatRequest::Count(count) = wanted else {
                return Err(Refusal::NoSeatMap);
            };
            let taken = u64::from(self.sold(id, except)) + u64::from(self.held(id, now));
            if *count == 0 || taken + u64::from(*count) > u64::from(show.capacity) {
                return Err(Refusal::NotEnoughSeats);
            }
            return Ok(Vec::new());
        }
        let taken = self.taken(id, now, except);
        match wanted {
            SeatRequest::Named(names) => {
                let seats = self.resolve(names)?;
                let clash: Vec<String> = seats
                    .iter()
                    .filter(|seat| taken.contains(**seat))
                    .map(|seat| self.name(*seat))
                    .collect();
                if clash.is_empty() {
                    Ok(seats)
                } else {
                    Err(Refusal::SeatsTaken(clash))
                }
            }
            SeatRequest::Count(count) => {
                best_available(&self.map, &taken, *count as usize).ok_or(Refusal::NotEnoughSeats)
            }
        }
    }

    fn default_show_at(&self, starts_at: Millis) -> Option<ShowId> {
        self.shows
            .iter()
            .find(|(_, show)| show.room == Room::Default && show.starts_at == starts_at)
            .map(|(id, _)| *id)
    }

    // ---- what the backend should show ----

    fn show(&self, id: ShowId) -> Option<Show> {
        let show = self.shows.get(&id)?;
        let film = (show.room != Room::Default).then_some(self.film);
        let sold_seats = (show.room == Room::Seated).then(|| {
            let mut set = SeatSet::new(self.seats.len());
            set.extend(self.sold_seats(id, None));
            set
        });
        Some(Show {
            id,
            screen: self.screen(show.room),
            film,
            starts_at: show.starts_at,
            ends_at: film.map(|_| show.starts_at + i64::from(RUNTIME_MINUTES) * MINUTE),
            capacity: show.capacity,
            sold: self.sold(id, None),
            sold_seats,
            price_card: None,
        })
    }

    fn show_view(&self, id: ShowId, now: Millis) -> Option<ShowView> {
        let show = self.show(id)?;
        let held = self.held(id, now);
        Some(ShowView {
            available: show.capacity - show.sold - held,
            held,
            show,
        })
    }

    /// Every show in start order, as a list of all shows answers.
    fn show_views(&self, now: Millis) -> Vec<ShowView> {
        let mut ids: Vec<(Millis, ShowId)> = self
            .shows
            .iter()
            .map(|(id, show)| (show.starts_at, *id))
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|(_, id)| self.show_view(id, now))
            .collect()
    }

    fn seat_views(&self, id: ShowId, now: Millis) -> Option<Vec<SeatView>> {
        let show = self.shows.get(&id)?;
        if show.room != Room::Seated {
            return Some(Vec::new());
        }
        let sold = self.sold_seats(id, None);
        let held = self.held_seats(id, now);
        Some(
            self.seats
                .iter()
                .enumerate()
                .map(|(position, seat)| {
                    let index = seat_index(position);
                    SeatView {
                        seat: seat.name.clone(),
                        row: seat.row.clone(),
                        number: seat.number.clone(),
                        kind: seat.kind,
                        state: if seat.blocked {
                            SeatState::Blocked
                        } else if sold.contains(&index) {
                            SeatState::Sold
                        } else if held.contains(&index) {
                            SeatState::Held
                        } else {
                            SeatState::Free
                        },
                        aisle_after: seat.aisle_after,
                    }
                })
                .collect(),
        )
    }

    fn booking_view(&self, id: TicketId) -> Option<Booking> {
        let booking = self.bookings.get(&id)?;
        Some(Booking {
            id,
            show: booking.show,
            seats: self.names(&booking.seats),
            count: booking.count,
            user_name: booking.user_name.clone(),
            phone: booking.phone.clone(),
            created_at: booking.created_at,
            // The first candidate: two of a case's few bookings sharing it
            // (one in millions) is the only way it could differ.
            reference: Reference::candidate(id.as_u128(), 0),
            lines: line_views(&booking.lines, Some(&self.map)),
        })
    }

    fn show_bookings(&self, show: ShowId) -> Option<Vec<Booking>> {
        self.shows.get(&show)?;
        Some(
            self.bookings_of(show, None)
                .filter_map(|(id, _)| self.booking_view(id))
                .collect(),
        )
    }

    fn hold_view(&self, id: HoldId, now: Millis) -> Option<HoldView> {
        let hold = self.holds.get(&id)?;
        let left = u64::try_from((hold.expires_at - now).max(0)).expect("not negative");
        Some(HoldView {
            id,
            show: hold.show,
            seats: self.names(&hold.seats),
            count: hold.count,
            expires_at: hold.expires_at,
            seconds_left: left.div_ceil(1_000),
            expired: now >= hold.expires_at,
            lines: line_views(&hold.lines, Some(&self.map)),
        })
    }

    fn ticket(&self, id: TicketId) -> Option<Ticket> {
        let booking = self.bookings.get(&id)?;
        Some(Ticket {
            id,
            show_id: booking.show,
            user_name: booking.user_name.clone(),
            phone: booking.phone.clone(),
            count: booking.count,
            seats: booking.seats.clone(),
            created_at: booking.created_at,
            reference: Reference::candidate(id.as_u128(), 0),
            lines: booking.lines.clone(),
        })
    }

    fn booked(&self, id: TicketId) -> Option<Booked> {
        let ticket = self.ticket(id)?;
        let show = self.show(ticket.show_id)?;
        Some(Booked { ticket, show })
    }

    fn tickets_of(&self, show: ShowId) -> Vec<Ticket> {
        self.bookings_of(show, None)
            .filter_map(|(id, _)| self.ticket(id))
            .collect()
    }

    /// A show as `/api/view-all-tickets` reads it.
    fn show_tickets(&self, id: ShowId, now: Millis) -> Option<ShowTickets> {
        let show = self.show(id)?;
        Some(ShowTickets {
            expired: self.is_expired(&self.shows[&id], now),
            held: self.held(id, now),
            tickets: self.tickets_of(id),
            show,
        })
    }

    /// Every show in start order with its tickets, as `all_shows` answers.
    fn all_shows(&self, now: Millis) -> Vec<(Show, Vec<Ticket>)> {
        self.show_views(now)
            .into_iter()
            .map(|view| {
                let tickets = self.tickets_of(view.show.id);
                (view.show, tickets)
            })
            .collect()
    }

    // ---- turning generated ops into calls ----

    /// A call's input from an op at `now`.
    fn request(&mut self, op: &Op, keyed: bool, now: Millis) -> Request {
        let call = match op {
            Op::CreateShow {
                room,
                known_film,
                quarter,
            } => Call::CreateShow(NewShow {
                screen: match room {
                    RoomPick::Seated => self.seated,
                    RoomPick::General => self.general,
                    RoomPick::Default => ScreenId::DEFAULT,
                    RoomPick::Unknown => ScreenId::from_u128(NEVER_MINTED),
                },
                film: if *known_film {
                    self.film
                } else {
                    FilmId::from_u128(NEVER_MINTED)
                },
                starts_at: now - now.rem_euclid(QUARTER) + quarter * QUARTER,
                price_card: None,
            }),
            Op::Book {
                show,
                seats,
                user_name,
                phone,
                tickets,
            } => {
                let show = self.pick_show(*show, now);
                let seats = self.seat_request(seats, show, now);
                Call::Book(NewSeatBooking {
                    show,
                    tickets: self.tickets(*tickets, &seats, Channel::Api),
                    seats,
                    user_name: user_name.clone(),
                    phone: phone.clone(),
                    channel: Channel::Api,
                })
            }
            Op::Move {
                booking,
                show,
                seats,
            } => {
                let booking = self.pick_booking(*booking, now);
                let show = show.map(|show| self.pick_show(show, now));
                let target = show
                    .or_else(|| self.bookings.get(&booking).map(|booking| booking.show))
                    .unwrap_or(ShowId::from_u128(NEVER_MINTED));
                let seats = seats
                    .as_ref()
                    .map(|seats| self.seat_request(seats, target, now));
                Call::Move(booking, BookingMove { show, seats })
            }
            Op::Cancel { booking } => Call::Cancel(self.pick_booking(*booking, now)),
            Op::Hold {
                show,
                seats,
                hold_for_ms,
                client,
                tickets,
            } => {
                let show = self.pick_show(*show, now);
                let seats = self.seat_request(seats, show, now);
                Call::Hold(NewHold {
                    show,
                    tickets: self.tickets(*tickets, &seats, Channel::Kiosk),
                    seats,
                    hold_for_ms: *hold_for_ms,
                    client: client.map(|last| ClientId::address([10, 0, 0, last].into())),
                    channel: Channel::Kiosk,
                })
            }
            Op::Release { hold } => Call::Release(self.pick_hold(*hold)),
            Op::Extend { hold, hold_for_ms } => Call::Extend(self.pick_hold(*hold), *hold_for_ms),
            Op::Confirm {
                hold,
                user_name,
                phone,
            } => Call::Confirm(
                self.pick_hold(*hold),
                Confirmation {
                    user_name: user_name.clone(),
                    phone: phone.clone(),
                    tickets: TicketChoice::Any,
                    channel: Channel::Kiosk,
                },
            ),
            Op::ReadHold { hold } => Call::ReadHold(self.pick_hold(*hold)),
            Op::ApiBook {
                slot,
                count,
                user_name,
                phone,
            } => Call::ApiBook(NewBooking {
                user_name: user_name.clone(),
                phone: phone.clone(),
                count: *count,
                starts_at: self.api_time(*slot, now),
            }),
            Op::ApiMove { booking, slot } => {
                Call::ApiMove(self.pick_booking(*booking, now), self.api_time(*slot, now))
            }
            Op::Purge { budget } => Call::Purge(*budget),
        };
        let key = (keyed && call.success_status().is_some()).then(|| {
            self.keys += 1;
            Key {
                name: format!("key-{:05}", self.keys),
                changed: false,
            }
        });
        Request { call, key }
    }

    /// The seats an op asks for in `show`.
    fn seat_request(&self, seats: &SeatPick, show: ShowId, now: Millis) -> SeatRequest {
        let picks = match seats {
            SeatPick::Named(picks) => picks,
            SeatPick::Count(count) => return SeatRequest::Count(*count),
        };
        let taken: Vec<SeatIndex> = match self.shows.get(&show) {
            Some(found) if found.room == Room::Seated => {
                let mut taken = self.sold_seats(show, None);
                taken.extend(self.held_seats(show, now));
                taken.into_iter().collect()
            }
            _ => Vec::new(),
        };
        let names = picks.iter().map(|pick| match pick {
            SeatName::Seat(position) => self.seats[position % self.seats.len()].name.clone(),
            SeatName::Unknown(which) => UNKNOWN_SEATS[which % UNKNOWN_SEATS.len()].to_owned(),
            SeatName::Taken(index) if !taken.is_empty() => self.name(*index.get(&taken)),
            SeatName::Taken(index) => self.seats[index.index(self.seats.len())].name.clone(),
        });
        SeatRequest::Named(names.collect())
    }

    /// Mostly a show still on sale, seat-map ones and ones with live holds
    /// more often than others (a general-admission screen has few seats to
    /// fight over); else any show ever minted, or none.
    fn pick_show(&self, pick: Pick, now: Millis) -> ShowId {
        let on_sale: Vec<ShowId> = self
            .shows
            .iter()
            .filter(|(_, show)| now < show.starts_at)
            .flat_map(|(id, show)| {
                let room = if show.room == Room::Seated { 3 } else { 2 };
                let held = usize::from(self.held(*id, now) > 0);
                std::iter::repeat_n(*id, room + 4 * held)
            })
            .collect();
        pick.choose(&on_sale, &self.show_ids, ShowId::from_u128(NEVER_MINTED))
    }

    /// Mostly a live booking, those of shows not yet started more often;
    /// else any booking ever minted, or none.
    fn pick_booking(&self, pick: Pick, now: Millis) -> TicketId {
        let live: Vec<TicketId> = self
            .bookings
            .iter()
            .flat_map(|(id, booking)| {
                let ahead = usize::from(now < self.shows[&booking.show].starts_at);
                std::iter::repeat_n(*id, 1 + 2 * ahead)
            })
            .collect();
        pick.choose(&live, &self.booking_ids, TicketId::from_u128(NEVER_MINTED))
    }

    /// An `/api` show time: on the hour grid around `now`, or the start of
    /// an `/api` show (one on sale with live holds more often than others).
    fn api_time(&self, slot: ApiSlot, now: Millis) -> Millis {
        let starts = |keep: &dyn Fn(&ModelShow) -> bool| -> Vec<Millis> {
            let mut starts: Vec<Millis> = self
                .shows
                .iter()
                .filter(|(_, show)| show.room == Room::Default && keep(show))
                .flat_map(|(id, show)| {
                    let held = usize::from(self.held(*id, now) > 0);
                    std::iter::repeat_n(show.starts_at, 1 + 6 * held)
                })
                .collect();
            starts.sort_unstable();
            starts
        };
        match slot {
            ApiSlot::Hour(hours) => now - now.rem_euclid(HOUR) + hours * HOUR,
            ApiSlot::Show(pick) => {
                let on_sale = starts(&|show| now < show.starts_at);
                let hour = now - now.rem_euclid(HOUR) + HOUR;
                pick.choose(&on_sale, &starts(&|_| true), hour)
            }
        }
    }

    fn pick_hold(&self, pick: Pick) -> HoldId {
        let stored: Vec<HoldId> = self.holds.keys().copied().collect();
        pick.choose(&stored, &self.hold_ids, HoldId::from_u128(NEVER_MINTED))
    }

    /// One of the keyed requests sent so far, again, those whose key's time
    /// ends now or in a millisecond more often; `same`: with the same
    /// request, else with another.
    fn retry(&self, pick: Index, same: bool, now: Millis) -> Option<Request> {
        let ttl = self.rules.idempotency_ttl_ms;
        let sent: Vec<&Request> = self
            .keyed
            .iter()
            .flat_map(|request| {
                let ends = request
                    .key
                    .as_ref()
                    .and_then(|key| self.answers.get(&key.name))
                    .map(|answered| answered.stored_at + ttl);
                let turning = usize::from(ends == Some(now) || ends == Some(now + 1));
                std::iter::repeat_n(request, 1 + 8 * turning)
            })
            .collect();
        if sent.is_empty() {
            return None;
        }
        let mut request = (*pick.get(&sent)).clone();
        if let Some(key) = &mut request.key {
            key.changed = !same;
        }
        Some(request)
    }

    /// An instant after `now` where something turns, a millisecond before
    /// it when `early`: a hold's `expiresAt` (when `hold` and there is
    /// one), else any of those, a show's start or expiry, or the end of a
    /// key's time.
    fn moment(&self, pick: Index, hold: bool, early: bool, now: Millis) -> Option<Millis> {
        let expiries = self.holds.values().map(|hold| hold.expires_at);
        let shows = self
            .shows
            .values()
            .flat_map(|show| [show.starts_at, show.starts_at + self.rules.expire_after_ms]);
        let ahead = |moments: &mut dyn Iterator<Item = Millis>| {
            let mut ahead: Vec<Millis> = moments
                .map(|at| if early { at - 1 } else { at })
                .filter(|at| *at > now)
                .collect();
            ahead.sort_unstable();
            ahead.dedup();
            ahead
        };
        let keys = self
            .answers
            .values()
            .map(|answered| answered.stored_at + self.rules.idempotency_ttl_ms);
        let mut moments = ahead(&mut expiries.clone());
        if !hold || moments.is_empty() {
            moments = ahead(&mut expiries.chain(shows).chain(keys));
        }
        (!moments.is_empty()).then(|| *pick.get(&moments))
    }

    // ---- applying a call ----

    /// Applies `request` at `now` as the contract says, taking over the ids
    /// the backend minted, and checks that it answered `observed` as it
    /// should have.
    pub fn apply(
        &mut self,
        request: &Request,
        now: Millis,
        observed: &Outcome,
    ) -> Result<(), String> {
        let expected = if let Some(expected) = self.replay(request, now) {
            expected
        } else {
            let fresh = self.run(&request.call, now, observed)?;
            if let (Some(key), Some(success)) = (&request.key, request.call.success_status()) {
                self.answers.insert(
                    key.name.clone(),
                    Answered {
                        fingerprint: key.fingerprint(&request.call),
                        replay: render(success, &fresh),
                        stored_at: now,
                    },
                );
                if !self.keyed.iter().any(|sent| sent.key == request.key) {
                    self.keyed.push(request.clone());
                }
            }
            fresh
        };
        if *observed == expected {
            Ok(())
        } else {
            Err(format!(
                "{request:?} at {now}: expected {}, the backend answered {}",
                described(&expected),
                described(observed)
            ))
        }
    }

    /// A key's stored answer, within its time: the same request gets it
    /// again, another is refused; either way nothing runs.
    fn replay(&self, request: &Request, now: Millis) -> Option<Outcome> {
        let key = request.key.as_ref()?;
        let answered = self.answers.get(&key.name)?;
        if now >= answered.stored_at + self.rules.idempotency_ttl_ms {
            return None;
        }
        Some(if answered.fingerprint == key.fingerprint(&request.call) {
            Ok(Answer::Replayed(answered.replay.clone()))
        } else {
            Err(Refusal::IdempotencyMismatch)
        })
    }

    /// Takes over an id the backend minted: new, and after every other.
    fn mint(&mut self, id: u128) -> Result<(), String> {
        if id <= self.last_id {
            return Err(format!(
                "id {id} minted after {}: ids must grow, or booking order breaks",
                self.last_id
            ));
        }
        self.last_id = id;
        Ok(())
    }

    fn run(&mut self, call: &Call, now: Millis, observed: &Outcome) -> Result<Outcome, String> {
        match call {
            Call::CreateShow(new) => self.create_show(new, now, observed),
            Call::Book(new) => self.book(new, now, observed),
            Call::Move(id, to) => Ok(self.move_booking(*id, to, now)),
            Call::Cancel(id) => Ok(match self.bookings.remove(id) {
                Some(_) => Ok(Answer::Done),
                None => Err(Refusal::TicketNotFound),
            }),
            Call::Hold(new) => self.hold(new, now, observed),
            Call::Release(id) => Ok(match self.holds.remove(id) {
                Some(hold) => {
                    let until = now.min(hold.expires_at) + self.rules.limits.hold_cooldown_ms;
                    if let (Some(client), true) = (hold.client, until > now) {
                        self.cooldowns.push(ModelCooldown {
                            client,
                            show: hold.show,
                            until,
                            seats: hold.seats,
                            count: hold.count,
                        });
                    }
                    Ok(Answer::Done)
                }
                None => Err(Refusal::HoldNotFound),
            }),
            Call::Extend(id, hold_for_ms) => Ok(self.extend(*id, *hold_for_ms, now)),
            Call::Confirm(id, who) => self.confirm(*id, who, now, observed),
            Call::ReadHold(id) => Ok(Ok(Answer::Read(self.hold_view(*id, now)))),
            Call::ApiBook(new) => self.api_book(new, now, observed),
            Call::ApiMove(id, starts_at) => self.api_move(*id, *starts_at, now, observed),
            Call::Purge(budget) => {
                let (mut report, left, remaining) = self.purge(now, *budget);
                let claimed = match observed {
                    Ok(Answer::Purged(report)) => report.more,
                    _ => remaining,
                };
                // `more` must be set while expired records are left; it may
                // be set when the budget ran out.
                report.more = remaining || (left == 0 && claimed);
                Ok(Ok(Answer::Purged(report)))
            }
        }
    }

    fn decide_show(&self, new: &NewShow, now: Millis) -> Result<Room, Refusal> {
        if new.screen.is_default() {
            return Err(Refusal::DefaultScreen);
        }
        let room = if new.screen == self.seated {
            Room::Seated
        } else if new.screen == self.general {
            Room::General
        } else {
            return Err(Refusal::ScreenNotFound);
        };
        if new.film != self.film {
            return Err(Refusal::FilmNotFound);
        }
        if new.starts_at <= now {
            return Err(Refusal::StartInPast);
        }
        // A show keeps its screen over [start, start + runtime + turnaround).
        let keeps = i64::from(RUNTIME_MINUTES) * MINUTE + self.rules.turnaround_ms;
        let busy = self.shows.values().any(|show| {
            show.room == room
                && show.starts_at < new.starts_at + keeps
                && new.starts_at < show.starts_at + keeps
        });
        if busy {
            return Err(Refusal::ScreenBusy);
        }
        Ok(room)
    }

    fn create_show(
        &mut self,
        new: &NewShow,
        now: Millis,
        observed: &Outcome,
    ) -> Result<Outcome, String> {
        let room = match self.decide_show(new, now) {
            Ok(room) => room,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Ok(Answer::Show(view)) = observed else {
            return Err(unexpected("a new show", observed));
        };
        let id = view.show.id;
        self.mint(id.as_u128())?;
        let capacity = match room {
            Room::Seated => self.map_capacity(),
            Room::General | Room::Default => GENERAL_CAPACITY,
        };
        self.shows.insert(
            id,
            ModelShow {
                room,
                starts_at: new.starts_at,
                capacity,
            },
        );
        self.show_ids.push(id);
        Ok(Ok(Answer::Show(
            self.show_view(id, now).expect("just made"),
        )))
    }

    fn decide_sale(
        &self,
        show: ShowId,
        wanted: &SeatRequest,
        now: Millis,
    ) -> Result<(Vec<SeatIndex>, u32), Refusal> {
        let found = self.shows.get(&show).ok_or(Refusal::ShowNotFound)?;
        self.on_sale(found, now)?;
        let seats = self.pick_seats(show, wanted, now, None)?;
        let count = count_of(wanted, &seats);
        Ok((seats, count))
    }

    fn book(
        &mut self,
        new: &NewSeatBooking,
        now: Millis,
        observed: &Outcome,
    ) -> Result<Outcome, String> {
        let (seats, count) = match self.decide_sale(new.show, &new.seats, now) {
            Ok(sale) => sale,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Ok(Answer::Booking(booking)) = observed else {
            return Err(unexpected("a booking", observed));
        };
        let lines = self.lines(&seats, count, new.channel, &new.tickets);
        self.add_booking(
            booking.id,
            ModelBooking {
                show: new.show,
                seats,
                count,
                user_name: new.user_name.clone(),
                phone: new.phone.clone(),
                created_at: now,
                lines,
            },
        )?;
        Ok(Ok(Answer::Booking(
            self.booking_view(booking.id).expect("just made"),
        )))
    }

    /// Takes over a new booking with the id the backend gave it.
    fn add_booking(&mut self, id: TicketId, booking: ModelBooking) -> Result<(), String> {
        self.mint(id.as_u128())?;
        self.bookings.insert(id, booking);
        self.booking_ids.push(id);
        Ok(())
    }

    fn move_booking(&mut self, id: TicketId, to: &BookingMove, now: Millis) -> Outcome {
        let decided = (|| {
            let booking = self.bookings.get(&id).ok_or(Refusal::TicketNotFound)?;
            let from = &self.shows[&booking.show];
            if self.is_expired(from, now) {
                return Err(Refusal::TicketExpired);
            }
            let wanted = to
                .seats
                .clone()
                .unwrap_or(SeatRequest::Count(booking.count));
            let target = to.show.unwrap_or(booking.show);
            let seats = if target == booking.show {
                self.on_sale(from, now)?;
                self.pick_seats(target, &wanted, now, Some(id))?
            } else {
                let show = self.shows.get(&target).ok_or(Refusal::ShowNotFound)?;
                self.on_sale(show, now)?;
                // Held seats are kept for their customers, whoever moves in.
                self.pick_seats(target, &wanted, now, None)?
            };
            let count = count_of(&wanted, &seats);
            Ok((target, seats, count))
        })();
        let (target, seats, count) = decided?;
        let lines = self.moved_lines(&self.bookings[&id].lines, &seats, count);
        let booking = self.bookings.get_mut(&id).expect("live");
        booking.show = target;
        booking.seats = seats;
        booking.count = count;
        booking.lines = lines;
        Ok(Answer::Booking(self.booking_view(id).expect("live")))
    }

    /// A hold of a limited client, judged as the contract says: at most
    /// `holds_per_client` live holds, at most its share of the show, and
    /// none of what it gave back within the cooldown.
    fn decide_limited_hold(
        &self,
        new: &NewHold,
        client: ClientId,
        now: Millis,
    ) -> Result<(Vec<SeatIndex>, u32), Refusal> {
        let show = self.shows.get(&new.show).ok_or(Refusal::ShowNotFound)?;
        self.on_sale(show, now)?;
        let limits = self.rules.limits;
        let retry = |limit: HoldLimit, at: Millis| Refusal::TooManyHolds {
            limit,
            retry_after_seconds: u64::try_from((at - now).max(1))
                .unwrap()
                .div_ceil(1_000)
                .max(1),
        };
        let mine: Vec<&ModelHold> = self
            .holds
            .values()
            .filter(|hold| hold.client == Some(client))
            .collect();
        let live: Vec<&ModelHold> = mine
            .iter()
            .copied()
            .filter(|hold| now < hold.expires_at)
            .collect();
        if live.len() >= limits.holds_per_client as usize {
            return Err(retry(
                HoldLimit::LiveHolds,
                live.iter().map(|hold| hold.expires_at).min().unwrap(),
            ));
        }
        let seated = show.room == Room::Seated;
        let mut cooled: Vec<(Millis, Vec<SeatIndex>, u32)> = mine
            .iter()
            .filter(|hold| hold.show == new.show && now >= hold.expires_at)
            .map(|hold| (hold.expires_at + limits.hold_cooldown_ms, hold))
            .filter(|(until, _)| *until > now)
            .map(|(until, hold)| (until, hold.seats.clone(), hold.count))
            .collect();
        cooled.extend(
            self.cooldowns
                .iter()
                .filter(|c| c.client == client && c.show == new.show && c.until > now)
                .map(|c| (c.until, c.seats.clone(), c.count)),
        );
        let here: Vec<&&ModelHold> = live.iter().filter(|hold| hold.show == new.show).collect();
        let mut retry_at = here.iter().map(|hold| hold.expires_at).min();
        let mut cooled_places = 0;
        if !seated {
            cooled_places = cooled.iter().map(|(_, _, count)| count).sum();
            retry_at = retry_at.into_iter().chain(cooled.iter().map(|c| c.0)).min();
        }
        let retry_at = retry_at.unwrap_or(now);
        let share = (u64::from(show.capacity) * u64::from(limits.hold_share_percent))
            .div_ceil(100)
            .max(10);
        let held: u64 = here.iter().map(|hold| u64::from(hold.count)).sum();
        let most = share
            .saturating_sub(held)
            .saturating_sub(cooled_places.into());
        if most == 0 {
            return Err(retry(HoldLimit::Share, retry_at));
        }
        if let SeatRequest::Count(count) = &new.seats {
            if u64::from(*count) > most {
                return Err(retry(HoldLimit::Share, retry_at));
            }
        }
        let cooled_seats: Vec<(SeatIndex, Millis)> = cooled
            .iter()
            .flat_map(|(until, seats, _)| seats.iter().map(move |seat| (*seat, *until)))
            .collect();
        let seats = match &new.seats {
            SeatRequest::Count(count) if seated && !cooled_seats.is_empty() => {
                let mut taken = self.taken(new.show, now, None);
                taken.extend(cooled_seats.iter().map(|(seat, _)| *seat));
                if let Some(seats) = best_available(&self.map, &taken, *count as usize) {
                    seats
                } else {
                    self.pick_seats(new.show, &new.seats, now, None)?;
                    return Err(retry(
                        HoldLimit::Cooldown,
                        cooled_seats.iter().map(|c| c.1).min().unwrap(),
                    ));
                }
            }
            _ => self.pick_seats(new.show, &new.seats, now, None)?,
        };
        let clash = cooled_seats
            .iter()
            .filter(|(seat, _)| seats.contains(seat))
            .map(|(_, until)| *until)
            .max();
        if let Some(until) = clash {
            return Err(retry(HoldLimit::Cooldown, until));
        }
        if seats.len() as u64 > most {
            return Err(retry(HoldLimit::Share, retry_at));
        }
        let count = count_of(&new.seats, &seats);
        Ok((seats, count))
    }

    fn hold(&mut self, new: &NewHold, now: Millis, observed: &Outcome) -> Result<Outcome, String> {
        let decided = match new.client {
            Some(client) => self.decide_limited_hold(new, client, now),
            None => self.decide_sale(new.show, &new.seats, now),
        };
        let (seats, count) = match decided {
            Ok(sale) => sale,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Ok(Answer::Hold(view)) = observed else {
            return Err(unexpected("a hold", observed));
        };
        let id = view.id;
        self.mint(id.as_u128())?;
        let length = new
            .hold_for_ms
            .unwrap_or(self.rules.hold_for_ms)
            .clamp(0, self.rules.hold_max_ms);
        let expires_at = (now + length).min(self.shows[&new.show].starts_at);
        let lines = self.lines(&seats, count, new.channel, &new.tickets);
        self.holds.insert(
            id,
            ModelHold {
                show: new.show,
                seats,
                count,
                expires_at,
                created_at: now,
                client: new.client,
                lines,
            },
        );
        self.hold_ids.push(id);
        Ok(Ok(Answer::Hold(
            self.hold_view(id, now).expect("just made"),
        )))
    }

    /// More time for a live hold: `hold_for_ms` from now, at most `hold_max`
    /// from its making, never past the show's start.
    fn extend(&mut self, id: HoldId, hold_for_ms: i64, now: Millis) -> Outcome {
        let Some(hold) = self.holds.get(&id) else {
            return Err(Refusal::HoldNotFound);
        };
        if now >= hold.expires_at {
            return Err(Refusal::HoldExpired);
        }
        let start = self.shows[&hold.show].starts_at;
        let expires_at = (now + hold_for_ms.clamp(0, self.rules.hold_max_ms))
            .min(hold.created_at + self.rules.hold_max_ms)
            .min(start);
        self.holds.get_mut(&id).expect("found").expires_at = expires_at;
        Ok(Answer::Hold(self.hold_view(id, now).expect("stored")))
    }

    fn confirm(
        &mut self,
        id: HoldId,
        who: &Confirmation,
        now: Millis,
        observed: &Outcome,
    ) -> Result<Outcome, String> {
        let Some(hold) = self.holds.get(&id) else {
            return Ok(Err(Refusal::HoldNotFound));
        };
        if now >= hold.expires_at {
            return Ok(Err(Refusal::HoldExpired));
        }
        let Ok(Answer::Booking(booking)) = observed else {
            return Err(unexpected("a booking of the held seats", observed));
        };
        let hold = self.holds.remove(&id).expect("stored");
        self.add_booking(
            booking.id,
            ModelBooking {
                show: hold.show,
                seats: hold.seats,
                count: hold.count,
                user_name: who.user_name.clone(),
                phone: who.phone.clone(),
                created_at: now,
                lines: hold.lines,
            },
        )?;
        Ok(Ok(Answer::Booking(
            self.booking_view(booking.id).expect("just made"),
        )))
    }

    /// `/api/book-ticket`: on the default screen's show at that time,
    /// created if there is none.
    fn api_book(
        &mut self,
        new: &NewBooking,
        now: Millis,
        observed: &Outcome,
    ) -> Result<Outcome, String> {
        let existing = self.default_show_at(new.starts_at);
        if new.starts_at < now {
            return Ok(Err(Refusal::ShowTimeInPast));
        }
        let (taken, capacity) = match existing {
            Some(show) => (
                self.sold(show, None) + self.held(show, now),
                self.shows[&show].capacity,
            ),
            None => (0, self.rules.capacity),
        };
        if u64::from(taken).saturating_add(new.count) > u64::from(capacity) {
            return Ok(Err(Refusal::LimitExceeded));
        }
        let Ok(Answer::Booked(booked)) = observed else {
            return Err(unexpected("an /api booking", observed));
        };
        let show = match existing {
            Some(show) => show,
            None => self.add_default_show(booked.show.id, new.starts_at)?,
        };
        let id = booked.ticket.id;
        let count = u32::try_from(new.count).expect("within capacity");
        let lines = self.lines(&[], count, Channel::Api, &TicketChoice::Any);
        self.add_booking(
            id,
            ModelBooking {
                show,
                seats: Vec::new(),
                count,
                user_name: new.user_name.clone(),
                phone: new.phone.clone(),
                created_at: now,
                lines,
            },
        )?;
        Ok(Ok(Answer::Booked(self.booked(id).expect("just made"))))
    }

    fn add_default_show(&mut self, id: ShowId, starts_at: Millis) -> Result<ShowId, String> {
        self.mint(id.as_u128())?;
        self.shows.insert(
            id,
            ModelShow {
                room: Room::Default,
                starts_at,
                capacity: self.rules.capacity,
            },
        );
        self.show_ids.push(id);
        Ok(id)
    }

    /// `/api/update-timing`: to the default screen's show at that time, by
    /// count; seats on a seat map are given back.
    fn api_move(
        &mut self,
        id: TicketId,
        starts_at: Millis,
        now: Millis,
        observed: &Outcome,
    ) -> Result<Outcome, String> {
        let Some(booking) = self.bookings.get(&id) else {
            return Ok(Err(Refusal::TicketNotFound));
        };
        let from = &self.shows[&booking.show];
        if self.is_expired(from, now) {
            return Ok(Err(Refusal::TicketExpired));
        }
        if starts_at < now {
            return Ok(Err(Refusal::ShowTimeInPast));
        }
        if from.room == Room::Default && from.starts_at == starts_at {
            return Ok(Ok(Answer::Booked(self.booked(id).expect("live"))));
        }
        let existing = self.default_show_at(starts_at);
        let (taken, capacity) = match existing {
            Some(show) => (
                self.sold(show, None) + self.held(show, now),
                self.shows[&show].capacity,
            ),
            None => (0, self.rules.capacity),
        };
        if taken + booking.count > capacity {
            return Ok(Err(Refusal::LimitExceeded));
        }
        let Ok(Answer::Booked(booked)) = observed else {
            return Err(unexpected("a moved /api booking", observed));
        };
        let show = match existing {
            Some(show) => show,
            None => self.add_default_show(booked.show.id, starts_at)?,
        };
        let lines = self.moved_lines(&self.bookings[&id].lines, &[], self.bookings[&id].count);
        let booking = self.bookings.get_mut(&id).expect("live");
        booking.show = show;
        booking.seats.clear();
        booking.lines = lines;
        Ok(Ok(Answer::Booked(self.booked(id).expect("live"))))
    }

    /// Spends `budget` on expired shows oldest first (each one's bookings in
    /// booking order, then the show with its holds), then on holds that
    /// expired, then on keys' answers past their time. Returns what went,
    /// the budget left and whether expired records remain.
    fn purge(&mut self, now: Millis, budget: usize) -> (PurgeReport, usize, bool) {
        let cutoff = now - self.rules.expire_after_ms;
        let ttl = self.rules.idempotency_ttl_ms;
        let mut report = PurgeReport::default();
        let mut left = budget;
        let mut expired: Vec<(Millis, ShowId)> = self
            .shows
            .iter()
            .filter(|(_, show)| show.starts_at <= cutoff)
            .map(|(id, show)| (show.starts_at, *id))
            .collect();
        expired.sort_unstable();
        for (_, show) in expired {
            if left == 0 {
                break;
            }
            let tickets: Vec<TicketId> = self.bookings_of(show, None).map(|(id, _)| id).collect();
            let doomed = tickets.len().min(left);
            for id in &tickets[..doomed] {
                self.bookings.remove(id);
            }
            report.tickets += doomed;
            left -= doomed;
            if doomed < tickets.len() || left == 0 {
                break;
            }
            self.shows.remove(&show);
            self.holds.retain(|_, hold| hold.show != show);
            report.shows += 1;
            left -= 1;
        }
        // An expired hold is kept for the cooldown: its seats stay out of
        // its client's reach until then.
        let hold_cutoff = now - self.rules.limits.hold_cooldown_ms;
        let mut expired: Vec<(Millis, HoldId)> = self
            .holds
            .iter()
            .filter(|(_, hold)| hold.expires_at <= hold_cutoff)
            .map(|(id, hold)| (hold.expires_at, *id))
            .collect();
        expired.sort_unstable();
        for (_, id) in expired.into_iter().take(left) {
            self.holds.remove(&id);
            report.holds += 1;
            left -= 1;
        }
        let mut stale: Vec<(Millis, String)> = self
            .answers
            .iter()
            .filter(|(_, answered)| now >= answered.stored_at + ttl)
            .map(|(key, answered)| (answered.stored_at, key.clone()))
            .collect();
        stale.sort_unstable();
        for (_, key) in stale.into_iter().take(left) {
            self.answers.remove(&key);
            report.answers += 1;
            left -= 1;
        }
        // Ended cooldowns are bookkeeping: they spend the budget but are
        // not reported.
        let ended = self.cooldowns.iter().filter(|c| c.until <= now).count();
        let purged = ended.min(left);
        let mut dropped = 0;
        self.cooldowns.sort_by_key(|c| c.until);
        self.cooldowns.retain(|c| {
            let gone = c.until <= now && dropped < purged;
            dropped += usize::from(gone);
            !gone
        });
        left -= purged;
        let remaining = self.cooldowns.iter().any(|c| c.until <= now)
            || self.shows.values().any(|show| show.starts_at <= cutoff)
            || self
                .holds
                .values()
                .any(|hold| hold.expires_at <= hold_cutoff)
            || self
                .answers
                .values()
                .any(|answered| now >= answered.stored_at + ttl);
        (report, left, remaining)
    }
}

/// Seats a sale or hold keeps: the count asked for, or the seats named.
fn count_of(wanted: &SeatRequest, seats: &[SeatIndex]) -> u32 {
    match wanted {
        SeatRequest::Count(count) => *count,
        SeatRequest::Named(_) => u32::try_from(seats.len()).expect("a small map"),
    }
}

// ---- checks through the interface ------------------------------------------------

/// Every booking of a show, read a page at a time.
async fn every_booking(
    backend: &dyn Backend,
    show: ShowId,
) -> Result<Option<Vec<Booking>>, String> {
    let mut all = Vec::new();
    let mut after = None;
    for _ in 0..=MAP_SEATS * 4 {
        let Some(page) = backend
            .show_bookings(show, PageRequest { after, limit: PAGE })
            .await
            .chained()?
        else {
            return Ok(None);
        };
        if page.items.len() > PAGE {
            return Err(format!(
                "show {show}: a page of {} bookings",
                page.items.len()
            ));
        }
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(Some(all)),
        }
    }
    Err(format!("show {show}: the bookings' pages never end"))
}

/// The contract's invariants on one show, from what the interface shows:
/// sold + held <= capacity, available = capacity - sold - held, counts that
/// add up, no seat in two live bookings or holds, and seat states that
/// agree with the bookings and holds.
fn check_show(
    view: &ShowView,
    seats: &[SeatView],
    bookings: &[Booking],
    holds: &[&HoldView],
) -> Result<(), String> {
    let show = &view.show;
    let (sold, held, capacity) = (show.sold, view.held, show.capacity);
    if u64::from(sold) + u64::from(held) > u64::from(capacity)
        || view.available != capacity - sold - held
    {
        return Err(format!(
            "show {}: sold {sold} + held {held} of {capacity}, available {}",
            show.id, view.available
        ));
    }
    let booked: u32 = bookings.iter().map(|booking| booking.count).sum();
    let kept: u32 = holds.iter().map(|hold| hold.count).sum();
    if booked != sold || kept != held {
        return Err(format!(
            "show {}: sold {sold} and held {held}, but its bookings add up to {booked} \
             and its live holds to {kept}",
            show.id
        ));
    }
    let mut owners: BTreeMap<&str, String> = BTreeMap::new();
    let sold_to = bookings.iter().flat_map(|booking| {
        booking
            .seats
            .iter()
            .map(move |seat| (seat, format!("booking {}", booking.id)))
    });
    let held_by = holds.iter().flat_map(|hold| {
        hold.seats
            .iter()
            .map(move |seat| (seat, format!("hold {}", hold.id)))
    });
    for (seat, owner) in sold_to.chain(held_by) {
        if let Some(first) = owners.insert(seat, owner.clone()) {
            return Err(format!(
                "show {}: seat {seat} is in {first} and in {owner}",
                show.id
            ));
        }
    }
    for seat in seats {
        let owner = owners.remove(seat.seat.as_str());
        let state = match &owner {
            Some(owner) if owner.starts_with("booking") => SeatState::Sold,
            Some(_) => SeatState::Held,
            None if seat.state == SeatState::Blocked => SeatState::Blocked,
            None => SeatState::Free,
        };
        if seat.state != state {
            return Err(format!(
                "show {}: seat {} is {:?}, but it is {}",
                show.id,
                seat.seat,
                seat.state,
                owner.unwrap_or_else(|| "in no booking or live hold".into())
            ));
        }
    }
    if let Some((seat, owner)) = owners.into_iter().next() {
        return Err(format!(
            "show {}: {owner} has seat {seat}, which the show lacks or has blocked",
            show.id
        ));
    }
    Ok(())
}

/// A sale's lines as the backend shows them, against the price rules: each
/// line's tax is its price's at the rate it carries, and that rate is the
/// one the model's line was sold at (its type's then, whatever the type's
/// is now); and they add up to what the model says the sale cost when it
/// was made.
fn check_lines(
    what: &str,
    lines: &[LineView],
    expected: Option<&[Line]>,
    model: &Model,
) -> Result<(), String> {
    for line in lines {
        if !model.prices.rates.contains_key(&line.ticket_type) {
            return Err(format!("{what}: line {line:?} has a type no card prices"));
        }
        let tax = expected_tax(line.price, line.tax_rate);
        if line.tax != tax {
            return Err(format!(
                "{what}: line {line:?} is taxed {}, not {tax} at {} bp",
                line.tax, line.tax_rate
            ));
        }
    }
    let rates: Vec<u16> = lines.iter().map(|line| line.tax_rate).collect();
    let sold_at: Vec<u16> = expected
        .unwrap_or_default()
        .iter()
        .map(|line| line.tax_rate)
        .collect();
    if rates != sold_at {
        return Err(format!(
            "{what}: its lines are taxed at {rates:?} bp, the model's at {sold_at:?}"
        ));
    }
    let total: u64 = lines.iter().map(|line| line.price).sum();
    let expected: u64 = expected
        .unwrap_or_default()
        .iter()
        .map(|line| line.price)
        .sum();
    if total != expected {
        return Err(format!(
            "{what}: its lines come to {total}, the model's sale cost {expected}"
        ));
    }
    Ok(())
}

/// Everything the interface answers about the backend's contents, against
/// the contract's invariants and then the model, at `now`.
pub async fn check(backend: &dyn Backend, model: &Model, now: Millis) -> Result<(), String> {
    let everything = ShowFilter::default();
    let listed = backend
        .shows(
            everything,
            PageRequest {
                after: None,
                limit: 500,
            },
        )
        .await
        .chained()?;

    let mut live_holds: BTreeMap<ShowId, Vec<HoldView>> = BTreeMap::new();
    for id in model
        .hold_ids
        .iter()
        .copied()
        .chain([HoldId::from_u128(NEVER_MINTED)])
    {
        let found = backend.hold(id).await.chained()?;
        if let Some(hold) = &found {
            let held = model.holds.get(&id).map(|hold| hold.lines.as_slice());
            check_lines(&format!("hold {id}"), &hold.lines, held, model)?;
        }
        let expected = model.hold_view(id, now);
        if found != expected {
            return Err(format!(
                "hold {id}: the backend has {found:#?}\nthe model {expected:#?}"
            ));
        }
        if let Some(hold) = found.filter(|hold| !hold.expired) {
            live_holds.entry(hold.show).or_default().push(hold);
        }
    }

    for id in model
        .show_ids
        .iter()
        .copied()
        .chain([ShowId::from_u128(NEVER_MINTED)])
    {
        let view = backend.show_view(id).await.chained()?;
        let seats = backend
            .seats(id)
            .await
            .chained()?
            .map(|seats| seats.views());
        let bookings = every_booking(backend, id).await?;
        if let (Some(view), Some(seats), Some(bookings)) = (&view, &seats, &bookings) {
            let holds: Vec<&HoldView> = live_holds.get(&id).into_iter().flatten().collect();
            check_show(view, seats, bookings, &holds)?;
        }
        let expected = model.show_view(id, now);
        if view != expected {
            return Err(format!(
                "show {id}: the backend has {view:#?}\nthe model {expected:#?}"
            ));
        }
        let expected = model.seat_views(id, now);
        if seats != expected {
            return Err(format!(
                "show {id}: the backend's seats are {seats:#?}\nthe model's {expected:#?}"
            ));
        }
        let expected = model.show_bookings(id);
        if bookings != expected {
            return Err(format!(
                "show {id}: the backend lists the bookings {bookings:#?}\nthe model {expected:#?}"
            ));
        }
        let found = backend.show(ShowKey::Id(id)).await.chained()?;
        let expected = model.show_tickets(id, now);
        if found != expected {
            return Err(format!(
                "show {id}: /api reads {found:#?}\nthe model has {expected:#?}"
            ));
        }
    }

    for id in model
        .booking_ids
        .iter()
        .copied()
        .chain([TicketId::from_u128(NEVER_MINTED)])
    {
        let found = backend.booking(id).await.chained()?;
        if let Some(booking) = &found {
            let sold = model
                .bookings
                .get(&id)
                .map(|booking| booking.lines.as_slice());
            check_lines(&format!("booking {id}"), &booking.lines, sold, model)?;
        }
        let expected = model.booking_view(id);
        if found != expected {
            return Err(format!(
                "booking {id}: the backend has {found:#?}\nthe model {expected:#?}"
            ));
        }
        let found = backend.ticket(id).await.chained()?;
        let expected = model.booked(id);
        if found != expected {
            return Err(format!(
                "ticket {id}: /api reads {found:#?}\nthe model has {expected:#?}"
            ));
        }
    }

    let expected = model.show_views(now);
    if listed.items != expected || listed.next.is_some() {
        return Err(format!(
            "the backend lists the shows\n{listed:#?}\nthe model has\n{expected:#?}"
        ));
    }
    let all = backend.all_shows().await.chained()?;
    let expected = model.all_shows(now);
    if all != expected {
        return Err(format!(
            "all shows: the backend has {all:#?}\nthe model {expected:#?}"
        ));
    }
    Ok(())
}

// ---- backends ------------------------------------------------------------------

/// A backend of every use case the steps run on: opened with some rules on
/// a clock the test sets, closed, and opened again on the same data.
pub trait CinemaBackend {
    fn open(&mut self, rules: Rules, clock: SharedClock) -> Result<Arc<dyn Backend>, String>;
    /// Closes what `open` gave (every handle to it has been dropped).
    fn close(&mut self);
    /// Checks only this backend can make, beyond the interface's.
    fn check(&self, _model: &Model) -> Result<(), String> {
        Ok(())
    }
}

/// The redb file in a temporary folder.
pub struct RedbCinema {
    path: PathBuf,
    open: Option<(Arc<Store>, JoinHandle<()>)>,
}

impl RedbCinema {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            open: None,
        }
    }
}

impl CinemaBackend for RedbCinema {
    fn open(&mut self, rules: Rules, clock: SharedClock) -> Result<Arc<dyn Backend>, String> {
        let store =
            Store::open(&self.path, CACHE_SIZE, rules).map_err(|error| error.to_string())?;
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

    /// No ticket is stored but those listed under their shows.
    fn check(&self, model: &Model) -> Result<(), String> {
        let Some((store, _)) = &self.open else {
            return Ok(());
        };
        let stored = store.ticket_total().map_err(|error| error.to_string())?;
        let live = u64::try_from(model.bookings.len()).expect("a few");
        if stored == live {
            Ok(())
        } else {
            Err(format!("{stored} tickets stored, {live} live"))
        }
    }
}

// ---- generated steps ----------------------------------------------------------

/// Mostly one of the live records (`wide` false, when there are any), else
/// any ever minted or one never minted.
#[derive(Clone, Copy, Debug)]
pub struct Pick {
    wide: bool,
    index: Index,
}

impl Pick {
    fn choose<T: Copy>(self, narrow: &[T], wide: &[T], never: T) -> T {
        if !self.wide && !narrow.is_empty() {
            return *self.index.get(narrow);
        }
        wide.get(self.index.index(wide.len() + 1))
            .copied()
            .unwrap_or(never)
    }
}

/// When an `/api` call wants its show.
#[derive(Clone, Copy, Debug)]
pub enum ApiSlot {
    /// Hours after "now" rounded down to one.
    Hour(i64),
    /// At an `/api` show's start.
    Show(Pick),
}

#[derive(Clone, Copy, Debug)]
pub enum RoomPick {
    Seated,
    General,
    Default,
    Unknown,
}

/// Seats as an op asks for them: by name, or a count.
#[derive(Clone, Debug)]
pub enum SeatPick {
    Named(Vec<SeatName>),
    Count(u32),
}

/// One seat name as an op picks it.
#[derive(Clone, Copy, Debug)]
pub enum SeatName {
    /// The seat at this position in row order.
    Seat(usize),
    /// A name that is no seat of the map.
    Unknown(usize),
    /// One of the show's sold or held seats, when it has any.
    Taken(Index),
}

/// The `tickets` of a sale: none (each place the card's first type on the
/// channel), or a mix of that type and `Child`, by seat when seats are
/// named (bit `i` of the mask: the `i`-th named seat is a child's), else by
/// count (the mask modulo the places + 1: how many are children's).
#[derive(Clone, Copy, Debug)]
pub enum TicketPick {
    Any,
    Mixed(u8),
}

/// A call before it meets the model: times on grids around "now", records
/// as picks.
#[derive(Clone, Debug)]
pub enum Op {
    CreateShow {
        room: RoomPick,
        known_film: bool,
        /// Quarters of an hour after "now" rounded down to one.
        quarter: i64,
    },
    Book {
        show: Pick,
        seats: SeatPick,
        user_name: String,
        phone: Phone,
        tickets: TicketPick,
    },
    Move {
        booking: Pick,
        show: Option<Pick>,
        seats: Option<SeatPick>,
    },
    Cancel {
        booking: Pick,
    },
    Hold {
        show: Pick,
        seats: SeatPick,
        hold_for_ms: Option<i64>,
        /// A limited client (one of two), or staff.
        client: Option<u8>,
        tickets: TicketPick,
    },
    Release {
        hold: Pick,
    },
    Extend {
        hold: Pick,
        hold_for_ms: i64,
    },
    Confirm {
        hold: Pick,
        user_name: String,
        phone: Phone,
    },
    ReadHold {
        hold: Pick,
    },
    ApiBook {
        slot: ApiSlot,
        count: u64,
        user_name: String,
        phone: Phone,
    },
    ApiMove {
        booking: Pick,
        slot: ApiSlot,
    },
    Purge {
        budget: usize,
    },
}

#[derive(Clone, Debug)]
pub enum Step {
    /// One call; `keyed`: with an `Idempotency-Key` of its own.
    One { op: Op, keyed: bool },
    /// Several writes sent together, as concurrent clients would.
    Batch(Vec<(Op, bool)>),
    /// A keyed request sent before, again: with the same request (`same`),
    /// or with another under the same key.
    Retry { pick: Index, same: bool },
    /// The clock moves on by this many milliseconds.
    Advance(i64),
    /// The clock moves to an instant where something turns (see
    /// [`Model::moment`]).
    AdvanceTo {
        pick: Index,
        hold: bool,
        early: bool,
    },
    /// The backend is closed and opened again.
    Reopen,
    /// A card (the first or the second) takes another priority and every
    /// price `bump` higher; sales already made keep their lines.
    Reprice {
        second: bool,
        priority: i32,
        bump: u64,
    },
    /// `Full` (or `Child`) takes another tax rate; lines already held or
    /// sold keep the rate they were taxed at.
    Retax { child: bool, rate: u16 },
}

fn phone() -> impl Strategy<Value = Phone> {
    prop_oneof![
        (1_000_000u64..=999_999_999_999_999).prop_map(Phone::Number),
        "\\+?[0-9]{7,12}".prop_map(Phone::Text),
    ]
}

fn user_name() -> impl Strategy<Value = String> {
    "[a-z]{1,4}"
}

fn pick() -> impl Strategy<Value = Pick> {
    (prop::bool::weighted(0.2), any::<Index>()).prop_map(|(wide, index)| Pick { wide, index })
}

fn seats() -> impl Strategy<Value = SeatPick> {
    let name = prop_oneof![
        6 => (0..MAP_SEATS).prop_map(SeatName::Seat),
        1 => (0..UNKNOWN_SEATS.len()).prop_map(SeatName::Unknown),
        3 => any::<Index>().prop_map(SeatName::Taken),
    ];
    prop_oneof![
        6 => proptest::collection::vec(name, 1..=3).prop_map(SeatPick::Named),
        1 => Just(SeatPick::Named(Vec::new())),
        8 => prop_oneof![8 => 1u32..=4, 1 => Just(6u32)].prop_map(SeatPick::Count),
    ]
}

fn tickets() -> impl Strategy<Value = TicketPick> {
    prop_oneof![
        1 => Just(TicketPick::Any),
        2 => any::<u8>().prop_map(TicketPick::Mixed),
    ]
}

fn api_slot() -> impl Strategy<Value = ApiSlot> {
    prop_oneof![
        1 => (-1i64..=3).prop_map(ApiSlot::Hour),
        2 => pick().prop_map(ApiSlot::Show),
    ]
}

fn room() -> impl Strategy<Value = RoomPick> {
    prop_oneof![
        4 => Just(RoomPick::Seated),
        4 => Just(RoomPick::General),
        1 => Just(RoomPick::Default),
        1 => Just(RoomPick::Unknown),
    ]
}

fn hold_for() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        1 => Just(None),
        6 => (60i64..=1_200).prop_map(|seconds| Some(seconds * 1_000)),
        1 => Just(Some(45 * MINUTE)),
    ]
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (room(), prop::bool::weighted(0.9), prop_oneof![1 => -1i64..=0, 6 => 1i64..=16])
            .prop_map(|(room, known_film, quarter)| Op::CreateShow { room, known_film, quarter }),
        6 => (pick(), seats(), user_name(), phone(), tickets()).prop_map(
            |(show, seats, user_name, phone, tickets)| {
                Op::Book { show, seats, user_name, phone, tickets }
            }
        ),
        6 => (pick(), proptest::option::weighted(0.7, pick()), proptest::option::of(seats()))
            .prop_map(|(booking, show, seats)| Op::Move { booking, show, seats }),
        2 => pick().prop_map(|booking| Op::Cancel { booking }),
        10 => (pick(), seats(), hold_for(), prop_oneof![1 => Just(None), 3 => Just(Some(1)), 1 => Just(Some(2))], tickets())
            .prop_map(|(show, seats, hold_for_ms, client, tickets)| {
                Op::Hold { show, seats, hold_for_ms, client, tickets }
            }),
        2 => pick().prop_map(|hold| Op::Release { hold }),
        2 => (pick(), 1i64..=2_400).prop_map(|(hold, seconds)| Op::Extend { hold, hold_for_ms: seconds * 1_000 }),
        4 => (pick(), user_name(), phone()).prop_map(|(hold, user_name, phone)| {
            Op::Confirm { hold, user_name, phone }
        }),
        1 => pick().prop_map(|hold| Op::ReadHold { hold }),
        5 => (api_slot(), prop_oneof![6 => 1u64..=3, 1 => Just(5u64)], user_name(), phone())
            .prop_map(|(slot, count, user_name, phone)| {
                Op::ApiBook { slot, count, user_name, phone }
            }),
        2 => (pick(), api_slot()).prop_map(|(booking, slot)| Op::ApiMove { booking, slot }),
        2 => (0usize..=4).prop_map(|budget| Op::Purge { budget }),
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    let keyed = || prop::bool::weighted(0.5);
    let write = op().prop_filter("writes only", |op| !matches!(op, Op::ReadHold { .. }));
    let advance = (1i64..=30, prop_oneof![2 => Just(0i64), 1 => 1i64..MINUTE])
        .prop_map(|(minutes, extra)| Step::Advance(minutes * MINUTE + extra));
    prop_oneof![
        16 => (op(), keyed()).prop_map(|(op, keyed)| Step::One { op, keyed }),
        2 => proptest::collection::vec((write, keyed()), 2..=4).prop_map(Step::Batch),
        3 => (any::<Index>(), prop::bool::weighted(0.75))
            .prop_map(|(pick, same)| Step::Retry { pick, same }),
        5 => advance,
        3 => (any::<Index>(), prop::bool::weighted(0.7), any::<bool>())
            .prop_map(|(pick, hold, early)| Step::AdvanceTo { pick, hold, early }),
        1 => Just(Step::Reopen),
        2 => (any::<bool>(), -1i32..=2, 0u64..=997)
            .prop_map(|(second, priority, bump)| Step::Reprice { second, priority, bump }),
        1 => (any::<bool>(), prop_oneof![Just(0u16), 1u16..=2_500, Just(10_000)])
            .prop_map(|(child, rate)| Step::Retax { child, rate }),
    ]
}

/// The first steps of every case: shows on both screens, some of them
/// refused (busy screen, a start that is not after now, the default
/// screen), and an `/api` show.
fn opening() -> Vec<Step> {
    let show = |room, quarter| Step::One {
        op: Op::CreateShow {
            room,
            known_film: true,
            quarter,
        },
        keyed: false,
    };
    vec![
        // At 30 min and at 2 h: the first keeps the screen until 1 h 45.
        show(RoomPick::Seated, 2),
        show(RoomPick::Seated, 8),
        // Busy: the 2 h show keeps the screen until 3 h 15.
        show(RoomPick::Seated, 12),
        // Busy: starts as the 30 min show leaves, but runs into the 2 h one.
        show(RoomPick::Seated, 7),
        show(RoomPick::General, 3),
        // Refused: it would start now, not after.
        show(RoomPick::General, 0),
        show(RoomPick::General, 10),
        // Refused: the default screen hosts `/api` shows only.
        show(RoomPick::Default, 4),
        Step::One {
            op: Op::ApiBook {
                slot: ApiSlot::Hour(1),
                count: 2,
                user_name: "asha".into(),
                phone: Phone::Number(9876543210),
            },
            keyed: false,
        },
    ]
}

/// The screens and the film, made through the interface.
async fn catalogue(backend: &dyn Backend, rules: Rules) -> Result<Model, String> {
    let screen = |name: &str, layout| NewScreen {
        name: name.into(),
        layout,
    };
    let layouts = [
        screen(
            "One",
            Layout::Seated(SeatMap::new(rows()).expect("a valid map")),
        ),
        screen(
            "Two",
            Layout::General {
                capacity: GENERAL_CAPACITY,
            },
        ),
    ];
    let mut screens = Vec::new();
    for new in layouts {
        let made = backend
            .create_screen(new.clone(), &Actor::open(), None)
            .await
            .and_then(Written::fresh)
            .chained()?;
        if made.name != new.name || made.layout != new.layout {
            return Err(format!("asked for {new:?}, the backend made {made:?}"));
        }
        screens.push(made);
    }
    let new = NewFilm {
        title: "The Long Take".into(),
        runtime_minutes: RUNTIME_MINUTES,
        rating: Some("PG-13".into()),
    };
    let film = backend
        .create_film(new.clone(), &Actor::open(), None)
        .await
        .and_then(Written::fresh)
        .chained()?;
    if film.title != new.title || film.runtime_minutes != new.runtime_minutes {
        return Err(format!("asked for {new:?}, the backend made {film:?}"));
    }
    let types = backend
        .ticket_types(boxoffice::usecases::PageRequest {
            after: None,
            limit: 10,
        })
        .await
        .chained()?
        .items;
    if types.len() != 1 {
        return Err(format!("a new database has one ticket type, not {types:?}"));
    }
    let mut rates = BTreeMap::new();
    let mut made = Vec::new();
    for (name, tax_rate, channels) in [
        ("Saver", 700, [Channel::Kiosk].into_iter().collect()),
        ("Full", 1900, Channels::ALL),
        ("Child", 550, Channels::ALL),
    ] {
        let new = NewTicketType {
            name: name.into(),
            tax_rate,
            channels,
            proof: None,
        };
        let ticket_type = backend
            .create_ticket_type(new.clone(), &Actor::open(), None)
            .await
            .and_then(Written::fresh)
            .chained()?;
        if ticket_type.tax_rate != tax_rate || ticket_type.channels != channels {
            return Err(format!(
                "asked for {new:?}, the backend made {ticket_type:?}"
            ));
        }
        rates.insert(ticket_type.id, tax_rate);
        made.push(ticket_type.id);
    }
    let (kiosk, full, child) = (made[0], made[1], made[2]);
    let mut cards = Vec::new();
    for (name, priority, base) in [("house", 1, 1_000), ("matinee", 0, 750)] {
        let amounts = BTreeMap::from([
            ((kiosk, false), base - 101),
            ((kiosk, true), base + 349),
            ((full, false), base + 250),
            ((full, true), base + 999),
            ((child, false), base - 333),
            ((child, true), base + 111),
        ]);
        let mut card = ModelCard {
            id: PriceCardId::from_u128(NEVER_MINTED),
            priority,
            amounts,
        };
        let new = NewPriceCard {
            name: name.into(),
            priority,
            default: false,
            rules: CardRules::default(),
            prices: card.prices(),
        };
        let made = backend
            .create_price_card(new.clone(), &Actor::open(), None)
            .await
            .and_then(Written::fresh)
            .chained()?;
        if made.prices != new.prices || made.priority != priority || made.default {
            return Err(format!("asked for {new:?}, the backend made {made:?}"));
        }
        card.id = made.id;
        cards.push(card);
    }
    Ok(Model::new(
        rules,
        &screens[0],
        &screens[1],
        &film,
        ModelPrices {
            kiosk,
            full,
            child,
            rates,
            cards,
        },
    ))
}

/// Runs the opening and `steps` on `backend` and on the model, comparing
/// after each one.
pub fn run_on(backend: &mut dyn CinemaBackend, steps: &[Step]) -> Result<(), String> {
    let runtime = runtime();
    let rules = rules();
    let clock = Arc::new(ManualClock::new(NOW));
    let mut live = Some(backend.open(rules, clock.clone())?);
    let mut model = runtime.block_on(catalogue(live.as_deref().expect("open"), rules))?;
    let opening = opening();
    // Every sale made, by whom: the audit trail must hold exactly these.
    let mut sales: Vec<(String, String)> = Vec::new();
    for (number, step) in opening.iter().chain(steps).enumerate() {
        let context = |error: String| format!("step {number} {step:?}: {error}");
        let now = clock.now();
        let open = live.as_deref().expect("open");
        match step {
            Step::One { op, keyed } => {
                let request = model.request(op, *keyed, now);
                let answer = runtime.block_on(send(open, &request)).map_err(context)?;
                sales.extend(sale_made(&request, &answer));
                model.apply(&request, now, &answer).map_err(context)?;
            }
            Step::Batch(ops) => {
                // Sent together, in order: the backend may share one commit
                // among them, but must answer as if one by one.
                let requests: Vec<Request> = ops
                    .iter()
                    .map(|(op, keyed)| model.request(op, *keyed, now))
                    .collect();
                let answers = runtime.block_on(futures::future::join_all(
                    requests.iter().map(|request| send(open, request)),
                ));
                for (request, answer) in requests.iter().zip(answers) {
                    let answer = answer.map_err(context)?;
                    sales.extend(sale_made(request, &answer));
                    model.apply(request, now, &answer).map_err(context)?;
                }
            }
            Step::Retry { pick, same } => {
                if let Some(request) = model.retry(*pick, *same, now) {
                    let answer = runtime.block_on(send(open, &request)).map_err(context)?;
                    sales.extend(sale_made(&request, &answer));
                    model.apply(&request, now, &answer).map_err(context)?;
                }
            }
            Step::Advance(millis) => clock.advance(*millis),
            Step::AdvanceTo { pick, hold, early } => {
                if let Some(at) = model.moment(*pick, *hold, *early, now) {
                    clock.set(at);
                }
            }
            Step::Reopen => {
                drop(live.take());
                backend.close();
                live = Some(backend.open(rules, clock.clone()).map_err(context)?);
            }
            Step::Reprice {
                second,
                priority,
                bump,
            } => runtime
                .block_on(model.reprice(open, usize::from(*second), *priority, *bump))
                .map_err(context)?,
            Step::Retax { child, rate } => runtime
                .block_on(model.retax(open, *child, *rate))
                .map_err(context)?,
        }
        if number + 1 == opening.len() {
            let rooms: Vec<Room> = model.shows.values().map(|show| show.room).collect();
            let expected = [
                Room::Seated,
                Room::Seated,
                Room::General,
                Room::General,
                Room::Default,
            ];
            if rooms != expected {
                return Err(format!(
                    "the opening made shows in {rooms:?}, not {expected:?}"
                ));
            }
        }
        let open = live.as_deref().expect("open");
        runtime
            .block_on(check(open, &model, clock.now()))
            .map_err(context)?;
        backend.check(&model).map_err(context)?;
    }
    let audited = runtime.block_on(sales_audited(live.as_deref().expect("open")))?;
    sales.sort();
    if audited != sales {
        return Err(format!(
            "the audit trail's sales\n{audited:?}\nare not the sales made\n{sales:?}"
        ));
    }
    drop(live);
    backend.close();
    Ok(())
}

fn run(steps: &[Step]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    run_on(&mut RedbCinema::new(&dir.path().join("cinema.redb")), steps)
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    #[test]
    fn the_cinema_agrees_with_the_model(steps in proptest::collection::vec(step(), 1..=MAX_STEPS)) {
        run(&steps).map_err(TestCaseError::fail)?;
    }
}
