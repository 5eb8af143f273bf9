//! Reads: each answer from one REPEATABLE READ snapshot, so a show, its
//! tickets and its holds are read as one commit left them.

use super::error::PgError;
use super::records::{id_at, key, Db};
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::{HeldNow, Hold};
use crate::domain::Reference;
use crate::domain::{FilmId, HoldId, Millis, Phone, ScreenId, Show, ShowId, Ticket, TicketId};
use crate::store::codec::{decode_film, decode_screen, decode_show, decode_ticket};
use crate::usecases::cinema::ShowFilter;
use crate::usecases::{Cursor, Page, PageRequest, ShowKey};

/// A show, its tickets in booking order and what its live holds keep.
pub type Listing = (Show, Vec<Ticket>, HeldNow);

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

pub(super) fn limit(request: PageRequest) -> i64 {
    i64::try_from(request.limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// The trusted time the last purge stored, if any.
pub async fn trusted_time(client: &tokio_postgres::Client) -> Result<Option<Millis>, PgError> {
    let row = client
        .query_opt("SELECT value FROM meta WHERE key = 'trusted_time'", &[])
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// The instant of the newest id stored: nothing stored is newer.
pub async fn newest_instant(client: &tokio_postgres::Client) -> Result<Millis, PgError> {
    let row = client
        .query_one(
            "SELECT greatest(
                 (SELECT id FROM screens ORDER BY id DESC LIMIT 1),
                 (SELECT id FROM films ORDER BY id DESC LIMIT 1),
                 (SELECT id FROM shows ORDER BY id DESC LIMIT 1),
                 (SELECT id FROM tickets ORDER BY id DESC LIMIT 1),
                 (SELECT id FROM holds ORDER BY id DESC LIMIT 1))",
            &[],
        )
        .await?;
    let newest: Option<&[u8]> = row.try_get(0)?;
    let Some(bytes) = newest else {
        return Ok(0);
    };
    let id = <[u8; 16]>::try_from(bytes)
        .map(u128::from_be_bytes)
        .map_err(|_| PgError::Corrupt("an id that is not 16 bytes".into()))?;
    Ok(i64::try_from(ulid::Ulid(id).timestamp_ms()).unwrap_or(i64::MAX))
}

impl Db<'_> {
    /// When `boxoffice clock trust` last said the wall clock is right.
    pub async fn clock_trusted_at(&self) -> Result<Option<Millis>, PgError> {
        let row = self
            .tx
            .query_opt("SELECT value FROM meta WHERE key = 'clock_trusted_at'", &[])
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    /// The show a ticket belongs to; a missing one is damage.
    async fn show_of(&self, ticket: &Ticket) -> Result<Show, PgError> {
        self.show(ticket.show_id, false)
            .await?
            .ok_or_else(|| super::records::dangling(ticket))
    }

    /// A show's tickets, checked against its count.
    async fn all_tickets_of(&self, show: &Show) -> Result<Vec<Ticket>, PgError> {
        let tickets = self.tickets_of(show.id, None, None).await?;
        let seats: u64 = tickets.iter().map(|ticket| u64::from(ticket.count)).sum();
        // A damaged table must not pass for a show with fewer tickets.
        if seats != u64::from(show.sold) {
            return Err(PgError::Corrupt(format!(
                "show {} counts {} seats sold but has tickets holding {seats}",
                show.id, show.sold
            )));
        }
        Ok(tickets)
    }

    pub async fn ticket_and_show(&self, id: TicketId) -> Result<Option<(Ticket, Show)>, PgError> {
        let Some(ticket) = self.ticket(id).await? else {
            return Ok(None);
        };
        let show = self.show_of(&ticket).await?;
        Ok(Some((ticket, show)))
    }

    pub async fn show_with_tickets(&self, key: ShowKey) -> Result<Option<Listing>, PgError> {
        let show = match key {
            ShowKey::Id(id) => self.show(id, false).await?,
            ShowKey::StartsAt(at) => self.show_at(ScreenId::DEFAULT, at, false).await?,
        };
        let Some(show) = show else {
            return Ok(None);
        };
        let tickets = self.all_tickets_of(&show).await?;
        let holds = self.held_now(&show).await?;
        Ok(Some((show, tickets, holds)))
    }

    pub async fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, PgError> {
        let rows = self
            .rows("SELECT id, record FROM shows ORDER BY starts_at, id", &[])
            .await?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            let show = decode_show(id_at(row, 0)?, row.try_get(1)?)?;
            let tickets = self.all_tickets_of(&show).await?;
            all.push((show, tickets));
        }
        Ok(all)
    }

    /// Screens in id order, the default one (id 0) first.
    pub async fn screens(&self, request: PageRequest) -> Result<Page<Screen>, PgError> {
        let mut items = Vec::new();
        if request.after.is_none() {
            items.push(Screen::default_screen(self.rules.capacity));
        }
        let after = key(request.after.map_or(0, |cursor| cursor.id));
        let rows = self
            .rows(
                "SELECT id, record FROM screens WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit(request)],
            )
            .await?;
        for row in &rows {
            items.push(decode_screen(id_at(row, 0)?, row.try_get(1)?)?);
        }
        Ok(page(items, request.limit, |screen| Cursor {
            at: 0,
            id: screen.id.as_u128(),
        }))
    }

    pub async fn films(&self, request: PageRequest) -> Result<Page<Film>, PgError> {
        let rows = match request.after {
            Some(cursor) => {
                self.rows(
                    "SELECT id, record FROM films WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&key(cursor.id), &limit(request)],
                )
                .await?
            }
            None => {
                self.rows(
                    "SELECT id, record FROM films ORDER BY id LIMIT $1",
                    &[&limit(request)],
                )
                .await?
            }
        };
        let items = rows
            .iter()
            .map(|row| Ok(decode_film(id_at(row, 0)?, row.try_get(1)?)?))
            .collect::<Result<Vec<_>, PgError>>()?;
        Ok(page(items, request.limit, |film| Cursor {
            at: 0,
            id: film.id.as_u128(),
        }))
    }

    pub async fn show_and_holds(&self, id: ShowId) -> Result<Option<(Show, HeldNow)>, PgError> {
        let Some(show) = self.show(id, false).await? else {
            return Ok(None);
        };
        let holds = self.held_now(&show).await?;
        Ok(Some((show, holds)))
    }

    pub async fn hold_on_screen(&self, id: HoldId) -> Result<Option<(Hold, Screen)>, PgError> {
        let Some(hold) = self.hold(id).await? else {
            return Ok(None);
        };
        let show = self.show(hold.show_id, false).await?.ok_or_else(|| {
            PgError::Corrupt(format!("hold {id} is of missing show {}", hold.show_id))
        })?;
        let screen = self.screen_of(&show).await?;
        Ok(Some((hold, screen)))
    }

    /// Shows in (start, id) order that pass `filter`, each with what its live
    /// holds keep.
    pub async fn shows(
        &self,
        filter: ShowFilter,
        request: PageRequest,
    ) -> Result<Page<(Show, HeldNow)>, PgError> {
        let after = request.after.unwrap_or(Cursor {
            at: i64::MIN,
            id: 0,
        });
        let after_id = if request.after.is_some() {
            key(after.id)
        } else {
            Vec::new()
        };
        let from = filter.from.map_or(after.at, |from| from.max(after.at));
        let to = filter.to.unwrap_or(i64::MAX);
        let screen = filter.screen.map(|screen| key(screen.as_u128()));
        let film = filter.film.map(|film| key(film.as_u128()));
        let rows = self
            .rows(
                "SELECT id, record FROM shows
                 WHERE starts_at >= $1 AND starts_at < $2 AND (starts_at, id) > ($3, $4)
                   AND ($5::bytea IS NULL OR screen_id = $5)
                   AND ($6::bytea IS NULL OR film_id = $6)
                 ORDER BY starts_at, id LIMIT $7",
                &[
                    &from,
                    &to,
                    &after.at,
                    &after_id,
                    &screen,
                    &film,
                    &limit(request),
                ],
            )
            .await?;
        let shows = rows
            .iter()
            .map(|row| Ok(decode_show(id_at(row, 0)?, row.try_get(1)?)?))
            .collect::<Result<Vec<_>, PgError>>()?;
        let page = page(shows, request.limit, |show| Cursor {
            at: show.starts_at,
            id: show.id.as_u128(),
        });
        let mut items = Vec::with_capacity(page.items.len());
        for show in page.items {
            let holds = self.held_now(&show).await?;
            items.push((show, holds));
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    pub async fn show_on_screen(
        &self,
        id: ShowId,
    ) -> Result<Option<(Show, Screen, HeldNow)>, PgError> {
        let Some(show) = self.show(id, false).await? else {
            return Ok(None);
        };
        let screen = self.screen_of(&show).await?;
        let holds = self.held_now(&show).await?;
        Ok(Some((show, screen, holds)))
    }

    pub async fn show_tickets(
        &self,
        id: ShowId,
        request: PageRequest,
    ) -> Result<Option<(Screen, Page<Ticket>)>, PgError> {
        let Some(show) = self.show(id, false).await? else {
            return Ok(None);
        };
        let screen = self.screen_of(&show).await?;
        let tickets = self
            .tickets_of(
                id,
                request.after.map(|cursor| cursor.id),
                Some(request.limit.saturating_add(1)),
            )
            .await?;
        Ok(Some((
            screen,
            page(tickets, request.limit, |ticket| Cursor {
                at: 0,
                id: ticket.id.as_u128(),
            }),
        )))
    }

    pub async fn ticket_on_screen(
        &self,
        id: TicketId,
    ) -> Result<Option<(Ticket, Screen)>, PgError> {
        let Some(ticket) = self.ticket(id).await? else {
            return Ok(None);
        };
        let show = self.show_of(&ticket).await?;
        let screen = self.screen_of(&show).await?;
        Ok(Some((ticket, screen)))
    }

    /// The live ticket with `reference`, with the screen its seats are named on.
    pub async fn ticket_with_reference_on_screen(
        &self,
        reference: Reference,
    ) -> Result<Option<(Ticket, Screen)>, PgError> {
        let Some(ticket) = self.ticket_with_reference(reference).await? else {
            return Ok(None);
        };
        let show = self.show_of(&ticket).await?;
        let screen = self.screen_of(&show).await?;
        Ok(Some((ticket, screen)))
    }

    /// Every ticket whose phone number ends in the same digits as `phone`
    /// (see [`Phone::search_key`]), in booking order, each with its screen.
    pub async fn tickets_with_phone(
        &self,
        phone: &Phone,
    ) -> Result<Vec<(Ticket, Screen)>, PgError> {
        let rows = self
            .rows(
                // 9: `phone::SEARCH_DIGITS`, as the index is built.
                "SELECT id, record FROM tickets WHERE right(phone_digits, 9) = $1 ORDER BY id",
                &[&phone.search_key()],
            )
            .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let ticket = decode_ticket(id_at(row, 0)?, row.try_get(1)?)?;
            let show = self.show_of(&ticket).await?;
            let screen = self.screen_of(&show).await?;
            found.push((ticket, screen));
        }
        Ok(found)
    }

    pub async fn film_by_id(&self, id: FilmId) -> Result<Option<Film>, PgError> {
        self.film(id, super::records::Lock::None).await
    }
}
