//! The `/v1` reads: screens, films, shows with filters and pages, a show's
//! bookings, one booking, bookings by phone number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use redb::{ReadTransaction, ReadableTable};

use super::{dangling, held_at, read_show, read_ticket};
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::{HeldNow, Hold};
use crate::domain::Reference;
use crate::domain::{
    FilmId, HoldId, Millis, Phone, Rules, ScreenId, Show, ShowId, Ticket, TicketId,
};
use crate::store::codec::{decode_film, decode_hold, decode_screen, decode_ticket};
use crate::store::error::StoreError;
use crate::store::tables::{
    FILM_ID_TO_FILM, HOLD_ID_TO_HOLD, REFERENCE_TO_TICKET_ID, SCREEN_ID_TO_SCREEN,
    SCREEN_START_TO_SHOW_ID, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW,
    SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, TICKET_ID_TO_TICKET,
};
use crate::store::Store;
use crate::usecases::cinema::ShowFilter;
use crate::usecases::{Cursor, Page, PageRequest};

/// A page of `items`, read one past `limit` to know whether more follow.
pub(super) fn page<T>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next }
}

/// Decoded screens, each kept with the bytes it was decoded from and given
/// out again only while the stored bytes are the same: a seat map's hundreds
/// of seats are decoded once, not on every read that names seats (a show's
/// seat map, its bookings, a staff search that finds many tickets).
#[derive(Default)]
pub struct ScreenCache(Mutex<HashMap<u128, Decoded>>);

/// A screen and the stored bytes it was decoded from.
type Decoded = (Box<[u8]>, Arc<Screen>);

/// A show with the screen it is on and what its live holds keep.
pub type ShowOnScreen = (Show, Arc<Screen>, HeldNow);

/// A page of a show's tickets, with the screen their seats are named on.
pub type ShowTicketsPage = (Arc<Screen>, Page<Ticket>);

/// Screens kept at most; past that the cache starts again.
const CACHED_SCREENS: usize = 256;

impl ScreenCache {
    /// Screen `id` as `table` (of a read or a write transaction) holds it,
    /// or the default one with the configured capacity.
    pub(in crate::store) fn screen(
        &self,
        table: &impl ReadableTable<u128, &'static [u8]>,
        id: ScreenId,
        rules: Rules,
    ) -> Result<Option<Arc<Screen>>, StoreError> {
        if id.is_default() {
            return Ok(Some(Arc::new(Screen::default_screen(rules.capacity))));
        }
        match table.get(id.as_u128())? {
            Some(bytes) => Ok(Some(self.decoded(id, bytes.value())?)),
            None => Ok(None),
        }
    }

    /// The screen `show` is on, as `table` holds it; a missing one is damage.
    pub(in crate::store) fn screen_of(
        &self,
        table: &impl ReadableTable<u128, &'static [u8]>,
        show: &Show,
        rules: Rules,
    ) -> Result<Arc<Screen>, StoreError> {
        self.screen(table, show.screen, rules)?
            .ok_or_else(|| missing_screen(show))
    }

    /// `bytes`, the stored record of screen `id`, decoded, or the screen
    /// decoded from the same bytes before.
    pub(in crate::store) fn decoded(
        &self,
        id: ScreenId,
        bytes: &[u8],
    ) -> Result<Arc<Screen>, StoreError> {
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((stored, screen)) = cache.get(&id.as_u128()) {
            if **stored == *bytes {
                return Ok(Arc::clone(screen));
            }
        }
        let screen = Arc::new(decode_screen(id.as_u128(), bytes)?);
        if cache.len() >= CACHED_SCREENS {
            cache.clear();
        }
        cache.insert(id.as_u128(), (bytes.into(), Arc::clone(&screen)));
        Ok(screen)
    }
}

fn missing_screen(show: &Show) -> StoreError {
    StoreError::Corrupt(format!(
        "show {} is on missing screen {}",
        show.id, show.screen
    ))
}

impl Store {
    /// The screen `show` is on, in `txn`'s snapshot.
    fn screen_of(&self, txn: &ReadTransaction, show: &Show) -> Result<Arc<Screen>, StoreError> {
        let table = txn.open_table(SCREEN_ID_TO_SCREEN)?;
        self.screens.screen_of(&table, show, self.rules)
    }

    pub fn screen(&self, id: ScreenId) -> Result<Option<Screen>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(SCREEN_ID_TO_SCREEN)?;
        let screen = self.screens.screen(&table, id, self.rules)?;
        Ok(screen.map(Arc::unwrap_or_clone))
    }

    /// Screens in id order, the default one (id 0) first.
    pub fn screens(&self, request: PageRequest) -> Result<Page<Screen>, StoreError> {
        let txn = self.begin_read()?;
        let mut items = Vec::new();
        if request.after.is_none() {
            items.push(Screen::default_screen(self.rules.capacity));
        }
        let from = request.after.map_or(0, |cursor| cursor.id);
        let table = txn.open_table(SCREEN_ID_TO_SCREEN)?;
        for entry in table.range(from.saturating_add(1)..)? {
            if items.len() > request.limit {
                break;
            }
            let (id, bytes) = entry?;
            items.push(decode_screen(id.value(), bytes.value())?);
        }
        Ok(page(items, request.limit, |screen| Cursor {
            at: 0,
            id: screen.id.as_u128(),
        }))
    }

    pub fn film(&self, id: FilmId) -> Result<Option<Film>, StoreError> {
        let txn = self.begin_read()?;
        match txn.open_table(FILM_ID_TO_FILM)?.get(id.as_u128())? {
            Some(bytes) => Ok(Some(decode_film(id.as_u128(), bytes.value())?)),
            None => Ok(None),
        }
    }

    pub fn films(&self, request: PageRequest) -> Result<Page<Film>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(FILM_ID_TO_FILM)?;
        let mut items = Vec::new();
        let range = match request.after {
            Some(cursor) => table.range(cursor.id.saturating_add(1)..)?,
            None => table.range(0..)?,
        };
        for entry in range {
            if items.len() > request.limit {
                break;
            }
            let (id, bytes) = entry?;
            items.push(decode_film(id.value(), bytes.value())?);
        }
        Ok(page(items, request.limit, |film| Cursor {
            at: 0,
            id: film.id.as_u128(),
        }))
    }

    /// A show with what its holds live at `now` keep.
    pub fn show(&self, id: ShowId, now: Millis) -> Result<Option<(Show, HeldNow)>, StoreError> {
        let txn = self.begin_read()?;
        let Some(show) = read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, id)? else {
            return Ok(None);
        };
        let held = held_at(
            &txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?,
            &txn.open_table(SHOW_ID_TO_KEPT_PLACES)?,
            &show,
            now,
        )?;
        Ok(Some((show, held)))
    }

    /// A hold with the screen its seats are named on.
    pub fn hold_on_screen(&self, id: HoldId) -> Result<Option<(Hold, Arc<Screen>)>, StoreError> {
        let txn = self.begin_read()?;
        let Some(bytes) = txn.open_table(HOLD_ID_TO_HOLD)?.get(id.as_u128())? else {
            return Ok(None);
        };
        let hold = decode_hold(id.as_u128(), bytes.value())?;
        let show =
            read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, hold.show_id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("hold {id} is of missing show {}", hold.show_id))
            })?;
        let screen = self.screen_of(&txn, &show)?;
        Ok(Some((hold, screen)))
    }

    /// Shows in (start, id) order that pass `filter`, each with what its
    /// holds live at `now` keep.
    pub fn shows(
        &self,
        filter: ShowFilter,
        request: PageRequest,
        now: Millis,
    ) -> Result<Page<(Show, HeldNow)>, StoreError> {
        let txn = self.begin_read()?;
        let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let mut items: Vec<Show> = Vec::new();
        let after = request.after.unwrap_or(Cursor {
            at: i64::MIN,
            id: 0,
        });
        let from = filter.from.map_or(after.at, |from| from.max(after.at));
        let wanted = |show: &Show| {
            filter.screen.is_none_or(|screen| show.screen == screen)
                && filter.film.is_none_or(|film| show.film == Some(film))
        };
        let keep = |id: u128, at: i64, items: &mut Vec<Show>| -> Result<(), StoreError> {
            if (at, id) <= (after.at, after.id) && request.after.is_some() {
                return Ok(());
            }
            if let Some(show) = read_show(&shows, ShowId::from_u128(id))? {
                if wanted(&show) {
                    items.push(show);
                }
            }
            Ok(())
        };
        let to = filter.to.unwrap_or(i64::MAX);
        if let Some(screen) = filter.screen {
            // One screen: its own index is already in start order.
            let index = txn.open_table(SCREEN_START_TO_SHOW_ID)?;
            let screen = screen.as_u128();
            for entry in index.range((screen, from)..(screen, to))? {
                if items.len() > request.limit {
                    break;
                }
                let (key, id) = entry?;
                keep(id.value(), key.value().1, &mut items)?;
            }
        } else {
            let index = txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?;
            'starts: for entry in index.range(from..to)? {
                let (at, ids) = entry?;
                for id in ids {
                    if items.len() > request.limit {
                        break 'starts;
                    }
                    keep(id?.value(), at.value(), &mut items)?;
                }
            }
        }
        let page = page(items, request.limit, |show| Cursor {
            at: show.starts_at,
            id: show.id.as_u128(),
        });
        let index = txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?;
        let totals = txn.open_table(SHOW_ID_TO_KEPT_PLACES)?;
        let items = page
            .items
            .into_iter()
            .map(|show| held_at(&index, &totals, &show, now).map(|held| (show, held)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// A show with the screen it is on and what its holds live at `now` keep.
    pub fn show_on_screen(
        &self,
        id: ShowId,
        now: Millis,
    ) -> Result<Option<ShowOnScreen>, StoreError> {
        let txn = self.begin_read()?;
        let Some(show) = read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, id)? else {
            return Ok(None);
        };
        let screen = self.screen_of(&txn, &show)?;
        let held = held_at(
            &txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?,
            &txn.open_table(SHOW_ID_TO_KEPT_PLACES)?,
            &show,
            now,
        )?;
        Ok(Some((show, screen, held)))
    }

    /// A page of a show's tickets in booking order, with its screen.
    pub fn show_tickets(
        &self,
        id: ShowId,
        request: PageRequest,
    ) -> Result<Option<ShowTicketsPage>, StoreError> {
        let txn = self.begin_read()?;
        let Some(show) = read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, id)? else {
            return Ok(None);
        };
        let screen = self.screen_of(&txn, &show)?;
        let index = txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
        let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let after = request.after.map_or(0, |cursor| cursor.id);
        let mut items = Vec::new();
        for entry in index.get(id.as_u128())? {
            let ticket_id = entry?.value();
            if request.after.is_some() && ticket_id <= after {
                continue;
            }
            if items.len() > request.limit {
                break;
            }
            let ticket =
                read_ticket(&tickets, TicketId::from_u128(ticket_id))?.ok_or_else(|| {
                    StoreError::Corrupt(format!("show {id} lists missing ticket {ticket_id}"))
                })?;
            items.push(ticket);
        }
        Ok(Some((
            screen,
            page(items, request.limit, |ticket| Cursor {
                at: 0,
                id: ticket.id.as_u128(),
            }),
        )))
    }

    /// A ticket with the screen its seats are named on.
    pub fn ticket_on_screen(
        &self,
        id: TicketId,
    ) -> Result<Option<(Ticket, Arc<Screen>)>, StoreError> {
        let txn = self.begin_read()?;
        let Some(ticket) = read_ticket(&txn.open_table(TICKET_ID_TO_TICKET)?, id)? else {
            return Ok(None);
        };
        let show = read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, ticket.show_id)?
            .ok_or_else(|| dangling(&ticket))?;
        let screen = self.screen_of(&txn, &show)?;
        Ok(Some((ticket, screen)))
    }

    /// The live ticket with `reference`, with the screen its seats are named on.
    pub fn ticket_with_reference(
        &self,
        reference: Reference,
    ) -> Result<Option<(Ticket, Arc<Screen>)>, StoreError> {
        let id = {
            let txn = self.begin_read()?;
            let found = txn
                .open_table(REFERENCE_TO_TICKET_ID)?
                .get(reference.as_u32())?
                .map(|id| id.value());
            match found {
                Some(id) => TicketId::from_u128(id),
                None => return Ok(None),
            }
        };
        self.ticket_on_screen(id)
    }

    /// Every ticket whose phone number ends in the same digits as `phone`
    /// (see [`Phone::search_key`]), in booking order, each with its screen.
    /// Reads every ticket: a staff search.
    pub fn tickets_with_phone(
        &self,
        phone: &Phone,
    ) -> Result<Vec<(Ticket, Arc<Screen>)>, StoreError> {
        let wanted = phone.search_key();
        let txn = self.begin_read()?;
        let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let screens = txn.open_table(SCREEN_ID_TO_SCREEN)?;
        let mut found = Vec::new();
        for entry in txn.open_table(TICKET_ID_TO_TICKET)?.iter()? {
            let (id, bytes) = entry?;
            let ticket = decode_ticket(id.value(), bytes.value())?;
            if ticket.phone.search_key() != wanted {
                continue;
            }
            let show = read_show(&shows, ticket.show_id)?.ok_or_else(|| dangling(&ticket))?;
            let screen = self.screens.screen_of(&screens, &show, self.rules)?;
            found.push((ticket, screen));
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cinema::Layout;
    use crate::store::codec::encode_screen;

    #[test]
    fn a_screen_is_decoded_again_only_when_its_record_changed() {
        let id = ScreenId::from_u128(7);
        let mut screen = Screen {
            id,
            name: "One".into(),
            layout: Layout::General { capacity: 40 },
        };
        let cache = ScreenCache::default();
        let first = cache.decoded(id, &encode_screen(&screen)).unwrap();
        let again = cache.decoded(id, &encode_screen(&screen)).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*first, screen);
        screen.name = "One (renamed)".into();
        let renamed = cache.decoded(id, &encode_screen(&screen)).unwrap();
        assert!(!Arc::ptr_eq(&first, &renamed));
        assert_eq!(*renamed, screen);
        assert!(cache.decoded(id, &[0xff, 1, 2]).is_err());
    }
}
