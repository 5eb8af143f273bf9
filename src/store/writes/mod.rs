//! Writes: every use case first plans — reads and decides, and may refuse —
//! with the tables borrowed read-only, then applies the plan, which only
//! writes and cannot refuse. So a refusal writes nothing, by construction.
//! Several use cases share one [`Batch`], and so one commit.
//!
//! `seed` has the `/api` use cases and the purge, `catalogue` screens, films
//! and shows, `sales` the `/v1` bookings, `idempotency` keyed writes.

mod catalogue;
mod holds;
mod idempotency;
mod prices;
mod sales;
mod seed;
mod staff;

pub use holds::Held;
pub use sales::Sold;

use std::collections::BTreeMap;
use std::sync::Arc;

use redb::{MultimapTable, ReadableMultimapTable, ReadableTable, Table, WriteTransaction};

use super::codec::{
    cooldown_key, decode_cooldown, decode_hold, encode_cooldown, encode_kept, encode_show,
    encode_ticket, kept_key,
};
use super::error::StoreError;
use super::ids::IdMinter;
use super::reads::{dangling, held_at, missing_show, read_show, read_ticket, ScreenCache};
use super::tables::{
    ANSWER_KEY_TO_CLIENT, AUDIT_ID_TO_ENTRY, CLIENT_TIME_KEY_TO_UNIT, CLIENT_TO_HOLD_IDS,
    COOLDOWN_END_TO_KEYS, COOLDOWN_KEY_TO_COOLDOWN, FILM_ID_TO_FILM, FILM_ID_TO_SHOW_IDS,
    HOLD_EXPIRY_TO_HOLD_IDS, HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER, IDEMPOTENCY_TIME_TO_KEYS,
    KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY, LOGIN_TO_STAFF_ID, LOGIN_TO_THROTTLE, PRICE_BOOK,
    REFERENCE_TO_TICKET_ID, SCREEN_ID_TO_SCREEN, SCREEN_START_TO_SHOW_ID,
    SESSION_DIGEST_TO_SESSION, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW,
    SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, STAFF_ID_TO_ACCOUNT, TICKET_ID_TO_TICKET,
};
use crate::domain::cinema::Screen;
use crate::domain::holds::Hold;
use crate::domain::limits::{ClientId, Cooldown};
use crate::domain::seating::SeatSet;
use crate::domain::{
    HoldId, Millis, Reference, Refusal, Rules, ScreenId, Show, ShowId, Ticket, TicketId,
};

/// Why planning stopped: the rules refused (nothing to write), or storage
/// failed (the whole transaction must go).
enum Failure {
    Refused(Refusal),
    Storage(StoreError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl<E: Into<StoreError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::Storage(error.into())
    }
}

/// A use case's answer inside a batch: refused, or done (once committed).
pub type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

fn outcome<T, P>(
    plan: Result<P, Failure>,
    apply: impl FnOnce(P) -> Result<T, StoreError>,
) -> Outcome<T> {
    match plan {
        Ok(plan) => apply(plan).map(Ok),
        Err(Failure::Refused(refusal)) => Ok(Err(refusal)),
        // Nothing was written yet: only this use case fails.
        Err(Failure::Storage(error)) => Err(StoreError::Unplanned(Box::new(error))),
    }
}

/// The tables of one write transaction, opened once for a whole batch.
pub(super) struct Tables<'txn> {
    screens: Table<'txn, u128, &'static [u8]>,
    films: Table<'txn, u128, &'static [u8]>,
    shows: Table<'txn, u128, &'static [u8]>,
    screen_starts: Table<'txn, (u128, i64), u128>,
    starts: MultimapTable<'txn, i64, u128>,
    film_shows: MultimapTable<'txn, u128, u128>,
    tickets: Table<'txn, u128, &'static [u8]>,
    show_tickets: MultimapTable<'txn, u128, u128>,
    references: Table<'txn, u32, u128>,
    holds: Table<'txn, u128, &'static [u8]>,
    show_kept: Table<'txn, (u128, i64, u128), &'static [u8]>,
    kept_places: Table<'txn, u128, u64>,
    hold_expiries: MultimapTable<'txn, i64, u128>,
    client_holds: MultimapTable<'txn, &'static [u8], u128>,
    cooldowns: Table<'txn, &'static [u8], &'static [u8]>,
    cooldown_ends: MultimapTable<'txn, i64, &'static [u8]>,
    answers: Table<'txn, &'static [u8], &'static [u8]>,
    answer_times: MultimapTable<'txn, i64, &'static [u8]>,
    client_answers: Table<'txn, &'static [u8], ()>,
    answer_clients: Table<'txn, &'static [u8], &'static [u8]>,
    price_book: Table<'txn, &'static str, &'static [u8]>,
    staff: Table<'txn, u128, &'static [u8]>,
    logins: Table<'txn, &'static str, u128>,
    keys: Table<'txn, u128, &'static [u8]>,
    key_digests: Table<'txn, &'static [u8], u128>,
    sessions: Table<'txn, &'static [u8], &'static [u8]>,
    throttles: Table<'txn, &'static str, (u32, i64)>,
    audit: Table<'txn, u128, &'static [u8]>,
    /// Screens decoded before, by the reads too: a booking on a seat map
    /// does not decode its hundreds of seats again.
    decoded_screens: &'txn ScreenCache,
    /// Shows this batch wrote, stored once at its end ([`Tables::store_shows`]):
    /// twenty bookings of one show in a batch encode and write it once. Every
    /// read of a show in the batch looks here first.
    written_shows: BTreeMap<u128, Show>,
}

impl<'txn> Tables<'txn> {
    pub(super) fn open(
        txn: &'txn WriteTransaction,
        decoded_screens: &'txn ScreenCache,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            decoded_screens,
            written_shows: BTreeMap::new(),
            screens: txn.open_table(SCREEN_ID_TO_SCREEN)?,
            films: txn.open_table(FILM_ID_TO_FILM)?,
            shows: txn.open_table(SHOW_ID_TO_SHOW)?,
            screen_starts: txn.open_table(SCREEN_START_TO_SHOW_ID)?,
            starts: txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?,
            film_shows: txn.open_multimap_table(FILM_ID_TO_SHOW_IDS)?,
            tickets: txn.open_table(TICKET_ID_TO_TICKET)?,
            show_tickets: txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?,
            references: txn.open_table(REFERENCE_TO_TICKET_ID)?,
            holds: txn.open_table(HOLD_ID_TO_HOLD)?,
            show_kept: txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?,
            kept_places: txn.open_table(SHOW_ID_TO_KEPT_PLACES)?,
            hold_expiries: txn.open_multimap_table(HOLD_EXPIRY_TO_HOLD_IDS)?,
            client_holds: txn.open_multimap_table(CLIENT_TO_HOLD_IDS)?,
            cooldowns: txn.open_table(COOLDOWN_KEY_TO_COOLDOWN)?,
            cooldown_ends: txn.open_multimap_table(COOLDOWN_END_TO_KEYS)?,
            answers: txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?,
            answer_times: txn.open_multimap_table(IDEMPOTENCY_TIME_TO_KEYS)?,
            client_answers: txn.open_table(CLIENT_TIME_KEY_TO_UNIT)?,
            answer_clients: txn.open_table(ANSWER_KEY_TO_CLIENT)?,
            price_book: txn.open_table(PRICE_BOOK)?,
            staff: txn.open_table(STAFF_ID_TO_ACCOUNT)?,
            logins: txn.open_table(LOGIN_TO_STAFF_ID)?,
            keys: txn.open_table(KEY_ID_TO_KEY)?,
            key_digests: txn.open_table(KEY_DIGEST_TO_KEY_ID)?,
            sessions: txn.open_table(SESSION_DIGEST_TO_SESSION)?,
            throttles: txn.open_table(LOGIN_TO_THROTTLE)?,
            audit: txn.open_table(AUDIT_ID_TO_ENTRY)?,
        })
    }

    /// The show on `screen` that starts at `starts_at`.
    fn show_starting_at(
        &self,
        screen: ScreenId,
        starts_at: Millis,
    ) -> Result<Option<Show>, StoreError> {
        let Some(id) = self.screen_starts.get((screen.as_u128(), starts_at))? else {
            return Ok(None);
        };
        let id = ShowId::from_u128(id.value());
        self.stored_show(id)?
            .map(Some)
            .ok_or_else(|| missing_show(id))
    }

    /// A show as this batch left it so far: written by it, or as stored.
    fn stored_show(&self, id: ShowId) -> Result<Option<Show>, StoreError> {
        match self.written_shows.get(&id.as_u128()) {
            Some(show) => Ok(Some(show.clone())),
            None => read_show(&self.shows, id),
        }
    }

    fn show(&self, id: ShowId) -> Result<Show, Failure> {
        Ok(self.stored_show(id)?.ok_or(Refusal::ShowNotFound)?)
    }

    fn ticket_with_show(&self, id: TicketId) -> Result<(Ticket, Show), Failure> {
        let ticket = read_ticket(&self.tickets, id)?.ok_or(Refusal::TicketNotFound)?;
        let show = self
            .stored_show(ticket.show_id)?
            .ok_or_else(|| dangling(&ticket))?;
        Ok((ticket, show))
    }

    /// A stored screen, or the default one with `capacity`, shared with
    /// whoever decoded the same record before (the reads too).
    fn screen(&self, id: ScreenId, rules: Rules) -> Result<Option<Arc<Screen>>, StoreError> {
        self.decoded_screens.screen(&self.screens, id, rules)
    }

    /// Writes a show (stored at the batch's end); a new one goes into the
    /// indexes at once.
    fn put_show(&mut self, show: &Show) -> Result<(), StoreError> {
        let id = show.id.as_u128();
        let is_new = !self.written_shows.contains_key(&id) && self.shows.get(id)?.is_none();
        self.written_shows.insert(id, show.clone());
        if is_new {
            self.screen_starts
                .insert((show.screen.as_u128(), show.starts_at), id)?;
            self.starts.insert(show.starts_at, id)?;
            if let Some(film) = show.film {
                self.film_shows.insert(film.as_u128(), id)?;
            }
        }
        Ok(())
    }

    /// Removes a show, its holds and its index entries (its tickets are the
    /// caller's).
    fn remove_show(&mut self, show: &Show) -> Result<(), StoreError> {
        for hold in self.holds_of(show.id)? {
            self.remove_hold(&hold)?;
        }
        let id = show.id.as_u128();
        self.written_shows.remove(&id);
        self.shows.remove(id)?;
        self.screen_starts
            .remove((show.screen.as_u128(), show.starts_at))?;
        self.starts.remove(show.starts_at, id)?;
        if let Some(film) = show.film {
            self.film_shows.remove(film.as_u128(), id)?;
        }
        self.show_tickets.remove_all(id)?;
        Ok(())
    }

    fn hold(&self, id: HoldId) -> Result<Option<Hold>, StoreError> {
        match self.holds.get(id.as_u128())? {
            Some(bytes) => Ok(Some(decode_hold(id.as_u128(), bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Every stored hold of a show, live or not.
    fn holds_of(&self, show: ShowId) -> Result<Vec<Hold>, StoreError> {
        let mut found = Vec::new();
        let all = (show.as_u128(), Millis::MIN, 0)..=(show.as_u128(), Millis::MAX, u128::MAX);
        for entry in self.show_kept.range(all)? {
            let id = HoldId::from_u128(entry?.0.value().2);
            found.push(self.hold(id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("show {show} lists missing hold {id}"))
            })?);
        }
        Ok(found)
    }

    /// What live holds keep of `show` at `now`: its seats (on a seat map)
    /// and its count, from the show's index (see [`held_at`]).
    fn held(&self, show: &Show, now: Millis) -> Result<(Option<SeatSet>, u32), StoreError> {
        let held = held_at(&self.show_kept, &self.kept_places, show, now)?;
        Ok((held.seats, held.count))
    }

    /// Every stored hold of a limited client, live or not, on any show.
    fn holds_of_client(&self, client: ClientId) -> Result<Vec<Hold>, StoreError> {
        let mut found = Vec::new();
        for entry in self.client_holds.get(client.as_bytes().as_slice())? {
            let id = HoldId::from_u128(entry?.value());
            found.push(self.hold(id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("a client's holds list missing hold {id}"))
            })?);
        }
        Ok(found)
    }

    /// The cooldowns of a client on one show, ended or not.
    fn cooldowns_of(&self, client: ClientId, show: ShowId) -> Result<Vec<Cooldown>, StoreError> {
        let from = cooldown_key(client, show, HoldId::from_u128(0));
        let to = cooldown_key(client, show, HoldId::from_u128(u128::MAX));
        let mut found = Vec::new();
        for entry in self.cooldowns.range(from.as_slice()..=to.as_slice())? {
            let (key, value) = entry?;
            found.push(decode_cooldown(key.value(), value.value())?);
        }
        Ok(found)
    }

    fn put_cooldown(&mut self, cooldown: &Cooldown) -> Result<(), StoreError> {
        let key = cooldown_key(cooldown.client, cooldown.show, cooldown.hold);
        self.cooldowns
            .insert(key.as_slice(), encode_cooldown(cooldown).as_slice())?;
        self.cooldown_ends.insert(cooldown.until, key.as_slice())?;
        Ok(())
    }

    fn add_hold(&mut self, hold: &Hold) -> Result<(), StoreError> {
        let id = hold.id.as_u128();
        self.holds
            .insert(id, super::codec::encode_hold(hold).as_slice())?;
        let kept = hold.kept();
        self.show_kept
            .insert(kept_key(hold.show_id, &kept), encode_kept(&kept).as_slice())?;
        let show = hold.show_id.as_u128();
        let places = self
            .kept_places
            .get(show)?
            .map_or(0, |places| places.value());
        self.kept_places
            .insert(show, places.saturating_add(u64::from(hold.count)))?;
        self.hold_expiries.insert(hold.expires_at, id)?;
        if let Some(client) = hold.client {
            self.client_holds.insert(client.as_bytes().as_slice(), id)?;
        }
        Ok(())
    }

    fn remove_hold(&mut self, hold: &Hold) -> Result<(), StoreError> {
        let id = hold.id.as_u128();
        self.holds.remove(id)?;
        self.show_kept
            .remove(kept_key(hold.show_id, &hold.kept()))?;
        let show = hold.show_id.as_u128();
        let places = self
            .kept_places
            .get(show)?
            .map_or(0, |places| places.value());
        match places.checked_sub(u64::from(hold.count)) {
            Some(0) => {
                self.kept_places.remove(show)?;
            }
            Some(left) => {
                self.kept_places.insert(show, left)?;
            }
            None => {
                return Err(StoreError::Corrupt(format!(
                    "show {} counts {places} places held, fewer than hold {} keeps",
                    hold.show_id, hold.id
                )))
            }
        }
        self.hold_expiries.remove(hold.expires_at, id)?;
        if let Some(client) = hold.client {
            self.client_holds.remove(client.as_bytes().as_slice(), id)?;
        }
        Ok(())
    }

    /// Stores the shows this batch wrote; the batch writes nothing after.
    pub(super) fn store_shows(&mut self) -> Result<(), StoreError> {
        for (id, show) in std::mem::take(&mut self.written_shows) {
            self.shows.insert(id, encode_show(&show).as_slice())?;
        }
        Ok(())
    }

    fn put_ticket(&mut self, ticket: &Ticket) -> Result<(), StoreError> {
        self.tickets
            .insert(ticket.id.as_u128(), encode_ticket(ticket).as_slice())?;
        Ok(())
    }

    /// Stores a new ticket under its show, with the first of its reference
    /// candidates no live ticket has.
    fn add_ticket(&mut self, ticket: &mut Ticket) -> Result<(), StoreError> {
        ticket.reference = free_reference(&self.references, ticket.id.as_u128())?;
        self.references
            .insert(ticket.reference.as_u32(), ticket.id.as_u128())?;
        self.put_ticket(ticket)?;
        self.show_tickets
            .insert(ticket.show_id.as_u128(), ticket.id.as_u128())?;
        Ok(())
    }

    /// Moves a stored ticket (already rewritten) from one show's list to another's.
    fn relist_ticket(
        &mut self,
        ticket: TicketId,
        from: ShowId,
        to: ShowId,
    ) -> Result<(), StoreError> {
        self.show_tickets.remove(from.as_u128(), ticket.as_u128())?;
        self.show_tickets.insert(to.as_u128(), ticket.as_u128())?;
        Ok(())
    }

    fn remove_ticket(&mut self, ticket: &Ticket) -> Result<(), StoreError> {
        self.tickets.remove(ticket.id.as_u128())?;
        self.references.remove(ticket.reference.as_u32())?;
        self.show_tickets
            .remove(ticket.show_id.as_u128(), ticket.id.as_u128())?;
        Ok(())
    }
}

/// How many of a ticket's reference candidates are tried: 30^6 of them
/// make even the second a rarity.
pub const REFERENCE_ATTEMPTS: u32 = 64;

/// The first reference candidate of ticket `id` that `references` lacks.
pub(super) fn free_reference(
    references: &impl ReadableTable<u32, u128>,
    id: u128,
) -> Result<Reference, StoreError> {
    for attempt in 0..REFERENCE_ATTEMPTS {
        let candidate = Reference::candidate(id, attempt);
        if references.get(candidate.as_u32())?.is_none() {
            return Ok(candidate);
        }
    }
    Err(StoreError::Corrupt(format!(
        "no free reference for ticket {} in {REFERENCE_ATTEMPTS} tries",
        TicketId::from_u128(id)
    )))
}

/// Several use cases inside one write transaction, at one "now".
pub struct Batch<'txn, 'ids> {
    tables: Tables<'txn>,
    rules: Rules,
    now: Millis,
    ids: &'ids mut IdMinter,
    /// The trusted time a purge in this batch deleted by, stored with it.
    heartbeat: Option<Millis>,
}

impl<'txn, 'ids> Batch<'txn, 'ids> {
    pub(super) fn new(
        tables: Tables<'txn>,
        rules: Rules,
        now: Millis,
        ids: &'ids mut IdMinter,
    ) -> Self {
        Self {
            tables,
            rules,
            now,
            ids,
            heartbeat: None,
        }
    }

    /// The trusted time to store with this batch, if a purge set one.
    pub(super) fn heartbeat(&self) -> Option<Millis> {
        self.heartbeat
    }

    /// The "now" every use case in this batch judges by.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// Stores what the use cases left for the end of the batch; then only
    /// the commit follows.
    pub(super) fn finish(mut self) -> Result<(), StoreError> {
        self.tables.store_shows()
    }
}
