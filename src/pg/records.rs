//! Rows ⇄ domain records: ids as 16 big-endian bytes (so they sort as the
//! numbers do), each record in the redb store's encoding beside the columns
//! that queries and constraints need. Statements are prepared once per
//! connection.

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::error::PgError;
use super::Ids;
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::{held, HeldNow, Hold, Kept};
use crate::domain::limits::{ClientId, Cooldown};
use crate::domain::{
    FilmId, HoldId, Millis, Reference, Rules, ScreenId, Show, ShowId, Ticket, TicketId,
};
use crate::store::codec::{
    cooldown_key, decode_cooldown, decode_film, decode_hold, decode_screen, decode_show,
    decode_ticket, encode_cooldown, encode_film, encode_hold, encode_screen, encode_show,
    encode_ticket,
};

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub fn key(id: u128) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

pub fn id_at(row: &Row, column: usize) -> Result<u128, PgError> {
    let bytes: &[u8] = row.try_get(column)?;
    <[u8; 16]>::try_from(bytes)
        .map(u128::from_be_bytes)
        .map_err(|_| PgError::Corrupt(format!("an id of {} bytes", bytes.len())))
}

/// How many of a ticket's reference candidates are tried: 30^6 of them
/// make even the second a rarity.
pub const REFERENCE_ATTEMPTS: u32 = 64;

/// A reference as its column holds it (`0..30^6` fits an integer).
pub fn reference_column(reference: Reference) -> i32 {
    i32::try_from(reference.as_u32()).unwrap_or(i32::MAX)
}

fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// One transaction's queries, through the connection's statement cache,
/// with the rules and the one "now" its use case judges by.
pub struct Db<'a> {
    pub tx: &'a deadpool_postgres::Transaction<'a>,
    pub rules: Rules,
    pub now: Millis,
    pub ids: &'a Ids,
}

impl Db<'_> {
    /// A new id (see [`Ids`]).
    pub async fn mint(&self) -> Result<u128, PgError> {
        let sequence = self.sequence().await?;
        Ok(self.ids.id(self.now, sequence))
    }

    pub async fn rows(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query(&statement, params).await?)
    }

    pub async fn row(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query_opt(&statement, params).await?)
    }

    pub async fn exec(&self, sql: &str, params: Params<'_>) -> Result<u64, PgError> {
        let statement = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.execute(&statement, params).await?)
    }

    /// A fresh number of the database's sequence, for an id.
    pub async fn sequence(&self) -> Result<i64, PgError> {
        let row = self.rows("SELECT nextval('id_sequence')", &[]).await?;
        let row = row
            .first()
            .ok_or_else(|| PgError::Corrupt("nextval gave no row".into()))?;
        Ok(row.try_get(0)?)
    }

    // ---- shows ----

    /// A show, locked for this transaction when `lock`.
    pub async fn show(&self, id: ShowId, lock: bool) -> Result<Option<Show>, PgError> {
        let sql = if lock {
            "SELECT record FROM shows WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT record FROM shows WHERE id = $1"
        };
        match self.row(sql, &[&key(id.as_u128())]).await? {
            Some(row) => Ok(Some(decode_show(id.as_u128(), row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    /// Locks these shows, in id order so that two transactions locking the
    /// same ones never wait for each other in a circle.
    pub async fn lock_shows(&self, ids: &[ShowId]) -> Result<Vec<Show>, PgError> {
        let keys: Vec<Vec<u8>> = ids.iter().map(|id| key(id.as_u128())).collect();
        let rows = self
            .rows(
                "SELECT id, record FROM shows WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &[&keys],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_show(id_at(row, 0)?, row.try_get(1)?)?))
            .collect()
    }

    /// The show on `screen` starting at `starts_at`, locked when `lock`.
    pub async fn show_at(
        &self,
        screen: ScreenId,
        starts_at: Millis,
        lock: bool,
    ) -> Result<Option<Show>, PgError> {
        let sql = if lock {
            "SELECT id, record FROM shows WHERE screen_id = $1 AND starts_at = $2 FOR UPDATE"
        } else {
            "SELECT id, record FROM shows WHERE screen_id = $1 AND starts_at = $2"
        };
        match self.row(sql, &[&key(screen.as_u128()), &starts_at]).await? {
            Some(row) => Ok(Some(decode_show(id_at(&row, 0)?, row.try_get(1)?)?)),
            None => Ok(None),
        }
    }

    /// Writes a new show; `false` when another transaction created one on
    /// its screen at its start first.
    pub async fn insert_show(&self, show: &Show) -> Result<bool, PgError> {
        let film = show.film.map(|film| key(film.as_u128()));
        let inserted = self
            .exec(
                "INSERT INTO shows (id, screen_id, film_id, starts_at, capacity, sold, record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (screen_id, starts_at) DO NOTHING",
                &[
                    &key(show.id.as_u128()),
                    &key(show.screen.as_u128()),
                    &film,
                    &show.starts_at,
                    &count(show.capacity),
                    &count(show.sold),
                    &encode_show(show),
                ],
            )
            .await?;
        Ok(inserted == 1)
    }

    pub async fn update_show(&self, show: &Show) -> Result<(), PgError> {
        let updated = self
            .exec(
                "UPDATE shows SET sold = $2, record = $3 WHERE id = $1",
                &[
                    &key(show.id.as_u128()),
                    &count(show.sold),
                    &encode_show(show),
                ],
            )
            .await?;
        expect_one(updated, "show", show.id.as_u128())
    }

    /// Deletes a show with its holds (its tickets are the caller's).
    pub async fn delete_show(&self, id: ShowId) -> Result<(), PgError> {
        let id = key(id.as_u128());
        self.exec("DELETE FROM holds WHERE show_id = $1", &[&id])
            .await?;
        self.exec("DELETE FROM shows WHERE id = $1", &[&id]).await?;
        Ok(())
    }

    /// Shows on `screen` starting in [from, until), in start order.
    pub async fn shows_on_screen(
        &self,
        screen: ScreenId,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<Show>, PgError> {
        let rows = self
            .rows(
                "SELECT id, record FROM shows
                 WHERE screen_id = $1 AND starts_at >= $2 AND starts_at < $3
                 ORDER BY starts_at, id",
                &[&key(screen.as_u128()), &from, &until],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_show(id_at(row, 0)?, row.try_get(1)?)?))
            .collect()
    }

    pub async fn screen_has_shows(&self, screen: ScreenId) -> Result<bool, PgError> {
        Ok(self
            .row(
                "SELECT 1 FROM shows WHERE screen_id = $1 LIMIT 1",
                &[&key(screen.as_u128())],
            )
            .await?
            .is_some())
    }

    pub async fn film_shows(&self, film: FilmId, lock: bool) -> Result<Vec<Show>, PgError> {
        let sql = if lock {
            "SELECT id, record FROM shows WHERE film_id = $1 ORDER BY id FOR UPDATE"
        } else {
            "SELECT id, record FROM shows WHERE film_id = $1 ORDER BY id"
        };
        let rows = self.rows(sql, &[&key(film.as_u128())]).await?;
        rows.iter()
            .map(|row| Ok(decode_show(id_at(row, 0)?, row.try_get(1)?)?))
            .collect()
    }

    // ---- tickets ----

    pub async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, PgError> {
        match self
            .row(
                "SELECT record FROM tickets WHERE id = $1",
                &[&key(id.as_u128())],
            )
            .await?
        {
            Some(row) => Ok(Some(decode_ticket(id.as_u128(), row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    /// A show's tickets in booking order, at most `limit` of them after `after`.
    pub async fn tickets_of(
        &self,
        show: ShowId,
        after: Option<u128>,
        limit: Option<usize>,
    ) -> Result<Vec<Ticket>, PgError> {
        let after = key(after.unwrap_or(0));
        let limit = limit.map_or(i64::MAX, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self
            .rows(
                "SELECT id, record FROM tickets WHERE show_id = $1 AND id > $2
                 ORDER BY id LIMIT $3",
                &[&key(show.as_u128()), &after, &limit],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_ticket(id_at(row, 0)?, row.try_get(1)?)?))
            .collect()
    }

    pub async fn has_tickets(&self, show: ShowId) -> Result<bool, PgError> {
        Ok(self
            .row(
                "SELECT 1 FROM tickets WHERE show_id = $1 LIMIT 1",
                &[&key(show.as_u128())],
            )
            .await?
            .is_some())
    }

    /// Stores a new ticket with the first of its reference candidates no
    /// live ticket has (another process's uncommitted one included: the
    /// unique index makes this insert wait for it, then try the next).
    pub async fn insert_ticket(&self, ticket: &mut Ticket) -> Result<(), PgError> {
        for attempt in 0..REFERENCE_ATTEMPTS {
            ticket.reference = Reference::candidate(ticket.id.as_u128(), attempt);
            let inserted = self
                .exec(
                    "INSERT INTO tickets (id, show_id, phone_digits, record, reference)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO NOTHING",
                    &[
                        &key(ticket.id.as_u128()),
                        &key(ticket.show_id.as_u128()),
                        &ticket.phone.digits(),
                        &encode_ticket(ticket),
                        &reference_column(ticket.reference),
                    ],
                )
                .await?;
            if inserted == 1 {
                return Ok(());
            }
        }
        Err(PgError::Corrupt(format!(
            "no free reference for ticket {} in {REFERENCE_ATTEMPTS} tries",
            ticket.id
        )))
    }

    /// The live ticket with `reference`.
    pub async fn ticket_with_reference(
        &self,
        reference: Reference,
    ) -> Result<Option<Ticket>, PgError> {
        match self
            .row(
                "SELECT id, record FROM tickets WHERE reference = $1",
                &[&reference_column(reference)],
            )
            .await?
        {
            Some(row) => Ok(Some(decode_ticket(id_at(&row, 0)?, row.try_get(1)?)?)),
            None => Ok(None),
        }
    }

    pub async fn update_ticket(&self, ticket: &Ticket) -> Result<(), PgError> {
        let updated = self
            .exec(
                "UPDATE tickets SET show_id = $2, record = $3 WHERE id = $1",
                &[
                    &key(ticket.id.as_u128()),
                    &key(ticket.show_id.as_u128()),
                    &encode_ticket(ticket),
                ],
            )
            .await?;
        expect_one(updated, "ticket", ticket.id.as_u128())
    }

    pub async fn delete_tickets(&self, ids: &[TicketId]) -> Result<(), PgError> {
        let keys: Vec<Vec<u8>> = ids.iter().map(|id| key(id.as_u128())).collect();
        self.exec("DELETE FROM tickets WHERE id = ANY($1)", &[&keys])
            .await?;
        Ok(())
    }

    /// A ticket with its show locked: the ticket is read again once the
    /// show is locked, and if it moved meanwhile the use case starts over.
    pub async fn ticket_with_locked_show(
        &self,
        id: TicketId,
        also: Option<ShowId>,
    ) -> Result<Option<(Ticket, Vec<Show>)>, PgError> {
        let Some(ticket) = self.ticket(id).await? else {
            return Ok(None);
        };
        let mut wanted = vec![ticket.show_id];
        wanted.extend(also.filter(|other| *other != ticket.show_id));
        let shows = self.lock_shows(&wanted).await?;
        let Some(again) = self.ticket(id).await? else {
            return Ok(None);
        };
        if again.show_id != ticket.show_id {
            return Err(PgError::Retry);
        }
        if !shows.iter().any(|show| show.id == ticket.show_id) {
            return Err(dangling(&ticket));
        }
        Ok(Some((again, shows)))
    }

    // ---- holds ----

    /// What the holds of `show` live at this transaction's "now" keep: on
    /// a seat map the live holds' seats (at most one hold a seat), else only
    /// their places, summed from the show's index.
    pub async fn held_now(&self, show: &Show) -> Result<HeldNow, PgError> {
        if let Some(sold) = &show.sold_seats {
            let kept = self.live_kept(show.id).await?;
            let (seats, count) = held(&kept, self.now, Some(sold.map_len()));
            return Ok(HeldNow { seats, count });
        }
        let row = self
            .rows(
                "SELECT coalesce(sum(places), 0)::bigint FROM holds
                 WHERE show_id = $1 AND expires_at > $2",
                &[&key(show.id.as_u128()), &self.now],
            )
            .await?;
        let places: i64 = row
            .first()
            .ok_or_else(|| PgError::Corrupt("a sum gave no row".into()))?
            .try_get(0)?;
        Ok(HeldNow {
            seats: None,
            count: u32::try_from(places).unwrap_or(u32::MAX),
        })
    }

    /// What the holds of a show live at this transaction's "now" keep:
    /// read through the (show, expiry) index, never the expired ones.
    async fn live_kept(&self, show: ShowId) -> Result<Vec<Kept>, PgError> {
        let rows = self
            .rows(
                "SELECT id, record FROM holds WHERE show_id = $1 AND expires_at > $2
                 ORDER BY expires_at, id",
                &[&key(show.as_u128()), &self.now],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_hold(id_at(row, 0)?, row.try_get(1)?)?.kept()))
            .collect()
    }

    pub async fn hold(&self, id: HoldId) -> Result<Option<Hold>, PgError> {
        match self
            .row(
                "SELECT record FROM holds WHERE id = $1",
                &[&key(id.as_u128())],
            )
            .await?
        {
            Some(row) => Ok(Some(decode_hold(id.as_u128(), row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    pub async fn insert_hold(&self, hold: &Hold) -> Result<(), PgError> {
        let client = hold.client.map(|client| client.as_bytes().to_vec());
        self.exec(
            "INSERT INTO holds (id, show_id, expires_at, record, client, places)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key(hold.id.as_u128()),
                &key(hold.show_id.as_u128()),
                &hold.expires_at,
                &encode_hold(hold),
                &client,
                &count(hold.count),
            ],
        )
        .await?;
        Ok(())
    }

    /// Every stored hold of a limited client, live or not, on any show.
    pub async fn holds_of_client(&self, client: ClientId) -> Result<Vec<Hold>, PgError> {
        let rows = self
            .rows(
                "SELECT id, record FROM holds WHERE client = $1 ORDER BY id",
                &[&client.as_bytes().as_slice()],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_hold(id_at(row, 0)?, row.try_get(1)?)?))
            .collect()
    }

    /// Takes a client's turn: until this transaction ends, no other may
    /// judge a hold or key of the same client, so its limits hold across
    /// processes.
    pub async fn lock_client(&self, client: ClientId) -> Result<(), PgError> {
        // Any 64 bits of the id do: two clients sharing them only wait
        // for each other.
        let digest = crc32c::crc32c(client.as_bytes());
        let lock = (i64::from(digest) << 8) | 0x4c; // 'L'imits
        self.rows("SELECT pg_advisory_xact_lock($1)", &[&lock])
            .await?;
        Ok(())
    }

    /// The cooldowns of a client on one show, ended or not.
    pub async fn cooldowns_of(
        &self,
        client: ClientId,
        show: ShowId,
    ) -> Result<Vec<Cooldown>, PgError> {
        let rows = self
            .rows(
                "SELECT key, record FROM cooldowns WHERE client = $1 AND show_id = $2",
                &[&client.as_bytes().as_slice(), &key(show.as_u128())],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(decode_cooldown(row.try_get(0)?, row.try_get(1)?)?))
            .collect()
    }

    pub async fn put_cooldown(&self, cooldown: &Cooldown) -> Result<(), PgError> {
        self.exec(
            "INSERT INTO cooldowns (key, client, show_id, until, record)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (key) DO UPDATE SET until = excluded.until, record = excluded.record",
            &[
                &cooldown_key(cooldown.client, cooldown.show, cooldown.hold),
                &cooldown.client.as_bytes().as_slice(),
                &key(cooldown.show.as_u128()),
                &cooldown.until,
                &encode_cooldown(cooldown),
            ],
        )
        .await?;
        Ok(())
    }

    /// Writes a hold's new expiry; how many rows it changed (0: gone).
    pub async fn update_hold(&self, hold: &Hold) -> Result<u64, PgError> {
        self.exec(
            "UPDATE holds SET expires_at = $2, record = $3 WHERE id = $1",
            &[
                &key(hold.id.as_u128()),
                &hold.expires_at,
                &encode_hold(hold),
            ],
        )
        .await
    }

    pub async fn delete_hold(&self, id: HoldId) -> Result<u64, PgError> {
        self.exec("DELETE FROM holds WHERE id = $1", &[&key(id.as_u128())])
            .await
    }

    // ---- screens and films ----

    /// A stored screen, or the default one; locked when `lock`.
    pub async fn screen(&self, id: ScreenId, lock: bool) -> Result<Option<Screen>, PgError> {
        if id.is_default() {
            return Ok(Some(Screen::default_screen(self.rules.capacity)));
        }
        let sql = if lock {
            "SELECT record FROM screens WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT record FROM screens WHERE id = $1"
        };
        match self.row(sql, &[&key(id.as_u128())]).await? {
            Some(row) => Ok(Some(decode_screen(id.as_u128(), row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    /// The screen a show is on; a missing one is damage.
    pub async fn screen_of(&self, show: &Show) -> Result<Screen, PgError> {
        self.screen(show.screen, false).await?.ok_or_else(|| {
            PgError::Corrupt(format!(
                "show {} is on missing screen {}",
                show.id, show.screen
            ))
        })
    }

    pub async fn put_screen(&self, screen: &Screen) -> Result<(), PgError> {
        self.exec(
            "INSERT INTO screens (id, record) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            &[&key(screen.id.as_u128()), &encode_screen(screen)],
        )
        .await?;
        Ok(())
    }

    pub async fn film(&self, id: FilmId, lock: Lock) -> Result<Option<Film>, PgError> {
        let sql = match lock {
            Lock::None => "SELECT record FROM films WHERE id = $1",
            Lock::Share => "SELECT record FROM films WHERE id = $1 FOR SHARE",
            Lock::Update => "SELECT record FROM films WHERE id = $1 FOR UPDATE",
        };
        match self.row(sql, &[&key(id.as_u128())]).await? {
            Some(row) => Ok(Some(decode_film(id.as_u128(), row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    pub async fn put_film(&self, film: &Film) -> Result<(), PgError> {
        self.exec(
            "INSERT INTO films (id, record) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            &[&key(film.id.as_u128()), &encode_film(film)],
        )
        .await?;
        Ok(())
    }
}

/// How a read locks a row it may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    None,
    Share,
    Update,
}

fn expect_one(changed: u64, what: &str, id: u128) -> Result<(), PgError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(PgError::Corrupt(format!(
            "{what} {} was not there to update",
            crate::domain::ids::spell(id)
        )))
    }
}

pub fn dangling(ticket: &Ticket) -> PgError {
    PgError::Corrupt(format!(
        "ticket {} belongs to missing show {}",
        ticket.id, ticket.show_id
    ))
}
