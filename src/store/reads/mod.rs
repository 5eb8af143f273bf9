//! Reads: each answer comes from one read transaction, so it is one
//! consistent snapshot. `cinema` has the `/v1` ones.

mod cinema;
mod prices;
mod staff;

pub use cinema::ScreenCache;

use redb::{ReadableMultimapTable, ReadableTable, ReadableTableMetadata};

use super::codec::{decode_kept, decode_show, decode_ticket};
use super::error::StoreError;
use super::ids::IdMinter;
use super::tables::{
    FILM_ID_TO_FILM, ID_HIGH_WATER, LAST_ID_KEY, META, SCREEN_ID_TO_SCREEN,
    SCREEN_START_TO_SHOW_ID, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW,
    SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, TICKET_ID_TO_TICKET, TRUSTED_TIME_KEY,
};
use super::Store;
use crate::domain::holds::{held, HeldNow, Kept};
use crate::domain::{Millis, ScreenId, Show, ShowId, Ticket, TicketId};
use crate::usecases::ShowKey;

/// A show, its tickets in booking order and what its live holds keep.
pub type Listing = (Show, Vec<Ticket>, HeldNow);

impl Store {
    /// A ticket with the show it belongs to.
    pub fn ticket(&self, id: TicketId) -> Result<Option<(Ticket, Show)>, StoreError> {
        let txn = self.begin_read()?;
        let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let Some(ticket) = read_ticket(&tickets, id)? else {
            return Ok(None);
        };
        let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let show = read_show(&shows, ticket.show_id)?.ok_or_else(|| dangling(&ticket))?;
        Ok(Some((ticket, show)))
    }

    /// A ticket without its show, for answers that need only the holder:
    /// one table and one lookup fewer than [`Store::ticket`].
    pub fn ticket_alone(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let txn = self.begin_read()?;
        let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        read_ticket(&tickets, id)
    }

    /// A show with its tickets in booking order and what its holds live at
    /// `now` keep, from one snapshot.
    pub fn show_with_tickets(
        &self,
        key: ShowKey,
        now: Millis,
    ) -> Result<Option<Listing>, StoreError> {
        let txn = self.begin_read()?;
        let id = match key {
            ShowKey::Id(id) => id,
            ShowKey::StartsAt(instant) => {
                let starts = txn.open_table(SCREEN_START_TO_SHOW_ID)?;
                match starts.get((ScreenId::DEFAULT.as_u128(), instant))? {
                    Some(id) => ShowId::from_u128(id.value()),
                    None => return Ok(None),
                }
            }
        };
        let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let Some(show) = read_show(&shows, id)? else {
            return Ok(None);
        };
        let index = txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
        let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let found = tickets_of(&index, &tickets, &show)?;
        let held = held_at(
            &txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?,
            &txn.open_table(SHOW_ID_TO_KEPT_PLACES)?,
            &show,
            now,
        )?;
        Ok(Some((show, found, held)))
    }

    /// Every show with its tickets, in start order, from one snapshot: for
    /// audits and tests.
    pub fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, StoreError> {
        let txn = self.begin_read()?;
        let starts = txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?;
        let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let index = txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
        let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let mut all = Vec::new();
        for entry in starts.iter()? {
            for id in entry?.1 {
                let id = ShowId::from_u128(id?.value());
                let show = read_show(&shows, id)?.ok_or_else(|| missing_show(id))?;
                let found = tickets_of(&index, &tickets, &show)?;
                all.push((show, found));
            }
        }
        Ok(all)
    }

    /// A minter whose ids sort after every id already stored.
    pub fn id_minter(&self) -> Result<IdMinter, StoreError> {
        let txn = self.begin_read()?;
        let last_ticket = txn
            .open_table(TICKET_ID_TO_TICKET)?
            .last()?
            .map(|(id, _)| id.value());
        let mut last = last_ticket.unwrap_or(0);
        if let Some(high) = txn.open_table(ID_HIGH_WATER)?.get(LAST_ID_KEY)? {
            last = last.max(high.value());
        }
        for table in [SHOW_ID_TO_SHOW, SCREEN_ID_TO_SCREEN, FILM_ID_TO_FILM] {
            if let Some((id, _)) = txn.open_table(table)?.last()? {
                last = last.max(id.value());
            }
        }
        Ok(IdMinter::after(last))
    }

    /// The instant of the newest id ever minted: nothing stored is newer.
    pub fn newest_instant(&self) -> Result<Millis, StoreError> {
        let last = self.id_minter()?.last();
        Ok(i64::try_from(ulid::Ulid(last).timestamp_ms()).unwrap_or(i64::MAX))
    }

    /// Where trusted time starts from after a start: the purge's heartbeat,
    /// or for a file that has none yet, the newest record; none for a new
    /// file.
    pub fn last_trusted(&self) -> Result<Option<Millis>, StoreError> {
        let stored = {
            let txn = self.begin_read()?;
            let meta = txn.open_table(META)?;
            let value = meta.get(TRUSTED_TIME_KEY)?.map(|guard| guard.value());
            value
        };
        match stored.and_then(|at| Millis::try_from(at).ok()) {
            Some(at) => Ok(Some(at)),
            None => Ok(Some(self.newest_instant()?).filter(|newest| *newest > 0)),
        }
    }

    /// How many tickets are stored.
    pub fn ticket_total(&self) -> Result<u64, StoreError> {
        let txn = self.begin_read()?;
        Ok(txn.open_table(TICKET_ID_TO_TICKET)?.len()?)
    }
}

/// One entry of a show's index of holds, as a range gives it.
type IndexEntry<'a> = (
    redb::AccessGuard<'a, (u128, i64, u128)>,
    redb::AccessGuard<'a, &'static [u8]>,
);

fn kept_of(entry: Result<IndexEntry<'_>, redb::StorageError>) -> Result<Kept, StoreError> {
    let (key, value) = entry?;
    let (_, expires_at, hold) = key.value();
    Ok(decode_kept(hold, expires_at, value.value())?)
}

/// What the holds of `show` live at `now` keep, from the show's index,
/// never reading a hold record. On a seat map: the one range of holds
/// expiring after `now` (at most one per seat). On general admission only
/// the places count: the live range and the expired one are read in turn
/// until either ends, and a finished expired range is taken from the
/// show's total. So a crowd of live holds, or one of expired holds waiting
/// for the purge, costs what the other side does.
pub(super) fn held_at(
    index: &impl ReadableTable<(u128, i64, u128), &'static [u8]>,
    totals: &impl ReadableTable<u128, u64>,
    show: &Show,
    now: Millis,
) -> Result<HeldNow, StoreError> {
    let id = show.id.as_u128();
    let live = index.range((id, now.saturating_add(1), 0)..=(id, Millis::MAX, u128::MAX))?;
    if let Some(seats) = &show.sold_seats {
        let kept = live.map(kept_of).collect::<Result<Vec<_>, _>>()?;
        let (seats, count) = held(&kept, now, Some(seats.map_len()));
        return Ok(HeldNow { seats, count });
    }
    let mut live = live.map(kept_of);
    let mut expired = index
        .range((id, Millis::MIN, 0)..=(id, now, u128::MAX))?
        .map(kept_of);
    let (mut live_places, mut expired_places) = (0u64, 0u64);
    let places = loop {
        match live.next() {
            Some(kept) => live_places += u64::from(kept?.count),
            None => break live_places,
        }
        if let Some(kept) = expired.next() {
            expired_places += u64::from(kept?.count);
        } else {
            let total = totals.get(id)?.map_or(0, |total| total.value());
            break total.checked_sub(expired_places).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "show {} counts {total} places held but its expired holds keep {expired_places}",
                    show.id
                ))
            })?;
        }
    };
    Ok(HeldNow {
        seats: None,
        count: u32::try_from(places).unwrap_or(u32::MAX),
    })
}

/// The tickets `index` lists under `show`, in booking order.
pub(super) fn tickets_of(
    index: &impl ReadableMultimapTable<u128, u128>,
    tickets: &impl ReadableTable<u128, &'static [u8]>,
    show: &Show,
) -> Result<Vec<Ticket>, StoreError> {
    let mut found = Vec::with_capacity(show.sold as usize);
    let mut seats = 0u64;
    let mut last: Option<TicketId> = None;
    for entry in index.get(show.id.as_u128())? {
        let ticket_id = TicketId::from_u128(entry?.value());
        // The index keeps ids in order, each once: anything else is damage.
        if last.is_some_and(|last| last >= ticket_id) {
            return Err(StoreError::Corrupt(format!(
                "show {} lists its tickets out of order at {ticket_id}",
                show.id
            )));
        }
        last = Some(ticket_id);
        let ticket = read_ticket(tickets, ticket_id)?.ok_or_else(|| {
            StoreError::Corrupt(format!("show {} lists missing ticket {ticket_id}", show.id))
        })?;
        if ticket.show_id != show.id {
            return Err(StoreError::Corrupt(format!(
                "show {} lists ticket {ticket_id} of show {}",
                show.id, ticket.show_id
            )));
        }
        seats += u64::from(ticket.count);
        found.push(ticket);
    }
    // A damaged index must not pass for a show with fewer tickets.
    if seats != u64::from(show.sold) {
        return Err(StoreError::Corrupt(format!(
            "show {} counts {} seats sold but lists tickets holding {seats}",
            show.id, show.sold
        )));
    }
    Ok(found)
}

pub(super) fn read_show(
    shows: &impl ReadableTable<u128, &'static [u8]>,
    id: ShowId,
) -> Result<Option<Show>, StoreError> {
    match shows.get(id.as_u128())? {
        Some(bytes) => Ok(Some(decode_show(id.as_u128(), bytes.value())?)),
        None => Ok(None),
    }
}

pub(super) fn read_ticket(
    tickets: &impl ReadableTable<u128, &'static [u8]>,
    id: TicketId,
) -> Result<Option<Ticket>, StoreError> {
    match tickets.get(id.as_u128())? {
        Some(bytes) => Ok(Some(decode_ticket(id.as_u128(), bytes.value())?)),
        None => Ok(None),
    }
}

pub(super) fn dangling(ticket: &Ticket) -> StoreError {
    StoreError::Corrupt(format!(
        "ticket {} belongs to missing show {}",
        ticket.id, ticket.show_id
    ))
}

pub(super) fn missing_show(id: ShowId) -> StoreError {
    StoreError::Corrupt(format!("start index points at missing show {id}"))
}
