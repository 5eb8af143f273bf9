//! `boxoffice check`: reads a database file without changing it and lists
//! every way it breaks the contract's invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use redb::{Builder, ReadTransaction, ReadableDatabase, ReadableMultimapTable, ReadableTable};

use super::codec::{decode_show, decode_ticket};
use super::error::StoreError;
use super::schema;
use super::tables::{
    SHOW_ID_TO_SHOW, SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_ID, TICKET_ID_TO_TICKET,
};
use crate::domain::{Show, ShowId, Ticket, TicketId};

/// Opens `path` read-only (never creating, repairing or upgrading it) and
/// returns one line per problem found; none means every invariant holds.
pub fn check_file(path: &Path) -> Result<Vec<String>, StoreError> {
    let what = format!("database {}", path.display());
    let db = Builder::new()
        .open_read_only(path)
        .map_err(|source| StoreError::Open {
            what: what.clone(),
            source,
        })?;
    let txn = db.begin_read()?;
    schema::require_current(&txn, &what)?;
    problems(&txn)
}

fn problems(txn: &ReadTransaction) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    let mut shows: BTreeMap<ShowId, Show> = BTreeMap::new();
    for entry in txn.open_table(SHOW_ID_TO_SHOW)?.iter()? {
        let (key, value) = entry?;
        let id = ShowId::from_u128(key.value());
        match decode_show(key.value(), value.value()) {
            Ok(show) => {
                shows.insert(id, show);
            }
            Err(error) => found.push(format!("show {id}: {error}")),
        }
    }
    let mut indexed: BTreeSet<ShowId> = BTreeSet::new();
    for entry in txn.open_table(SHOW_START_TO_SHOW_ID)?.iter()? {
        let (start, id) = entry?;
        let id = ShowId::from_u128(id.value());
        match shows.get(&id) {
            Some(show) if show.starts_at == start.value() => {}
            Some(show) => found.push(format!(
                "the start index has show {id} at {}, the show says {}",
                start.value(),
                show.starts_at
            )),
            None => found.push(format!("the start index names missing show {id}")),
        }
        if !indexed.insert(id) {
            found.push(format!("show {id} is in the start index twice"));
        }
    }
    for id in shows.keys().filter(|id| !indexed.contains(id)) {
        found.push(format!("show {id} is missing from the start index"));
    }
    let mut tickets: BTreeMap<TicketId, Ticket> = BTreeMap::new();
    for entry in txn.open_table(TICKET_ID_TO_TICKET)?.iter()? {
        let (key, value) = entry?;
        let id = TicketId::from_u128(key.value());
        match decode_ticket(key.value(), value.value()) {
            Ok(ticket) => {
                tickets.insert(id, ticket);
            }
            Err(error) => found.push(format!("ticket {id}: {error}")),
        }
    }
    let mut listed: BTreeMap<TicketId, ShowId> = BTreeMap::new();
    let mut sums: BTreeMap<ShowId, u64> = BTreeMap::new();
    for entry in txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?.iter()? {
        let (show, ticket_ids) = entry?;
        let show = ShowId::from_u128(show.value());
        if !shows.contains_key(&show) {
            found.push(format!("missing show {show} lists tickets"));
        }
        for ticket in ticket_ids {
            let id = TicketId::from_u128(ticket?.value());
            if let Some(other) = listed.insert(id, show) {
                found.push(format!(
                    "ticket {id} is listed under shows {other} and {show}"
                ));
            }
            match tickets.get(&id) {
                Some(ticket) if ticket.show_id == show => {
                    *sums.entry(show).or_default() += u64::from(ticket.count);
                }
                Some(ticket) => found.push(format!(
                    "ticket {id} is listed under show {show} but belongs to {}",
                    ticket.show_id
                )),
                None => found.push(format!("show {show} lists missing ticket {id}")),
            }
        }
    }
    for (id, ticket) in &tickets {
        if !shows.contains_key(&ticket.show_id) {
            found.push(format!(
                "ticket {id} belongs to missing show {}",
                ticket.show_id
            ));
        }
        if !listed.contains_key(id) {
            found.push(format!("ticket {id} is not listed under its show"));
        }
        if ticket.count == 0 {
            found.push(format!("ticket {id} holds no seats"));
        }
    }
    for (id, show) in &shows {
        let sum = sums.get(id).copied().unwrap_or(0);
        if sum != u64::from(show.sold) {
            found.push(format!(
                "show {id} counts {} seats sold but its tickets hold {sum}",
                show.sold
            ));
        }
        if show.sold > show.capacity {
            found.push(format!(
                "show {id} sold {} seats of {}",
                show.sold, show.capacity
            ));
        }
    }
    Ok(found)
}
