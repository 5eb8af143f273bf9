//! Reads: each answer comes from one read transaction, so it is one
//! consistent snapshot. `cinema` has the `/v1` ones.

mod cinema;
mod staff;

pub use cinema::ScreenCache;

use redb::{ReadableMultimapTable, ReadableTable, ReadableTableMetadata};

use super::codec::{decode_show, decode_ticket};
use super::error::StoreError;
use super::ids::IdMinter;
use super::tables::{
    FILM_ID_TO_FILM, ID_HIGH_WATER, LAST_ID_KEY, META, SCREEN_ID_TO_SCREEN,
    SCREEN_START_TO_SHOW_ID, SHOW_ID_TO_SHOW, SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS,
    TICKET_ID_TO_TICKET, TRUSTED_TIME_KEY,
};
use super::Store;
use crate::domain::holds::Hold;
use crate::domain::{Millis, ScreenId, Show, ShowId, Ticket, TicketId};
use crate::usecases::ShowKey;

/// A show, its tickets in booking order and its holds.
pub type Listing = (Show, Vec<Ticket>, Vec<Hold>);

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

    /// A show with its tickets in booking order and its holds, from one snapshot.
    pub fn show_with_tickets(&self, key: ShowKey) -> Result<Option<Listing>, StoreError> {
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
        let holds = cinema::holds_of(&txn, id)?;
        Ok(Some((show, found, holds)))
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
