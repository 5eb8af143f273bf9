//! The PostgreSQL schema: numbered migrations, applied in order in ONE
//! transaction at start-up, under an advisory lock so that several processes
//! starting at once upgrade the database once. `schema_version` records each
//! one applied; a database newer than this build is refused.
//!
//! Records are stored as the redb store writes them (version byte, CRC-32C,
//! postcard; see `store::codec`), beside the columns the queries and the
//! constraints need: `shows.sold <= shows.capacity` is checked by the
//! database itself on every write.

use std::collections::BTreeSet;

use tokio_postgres::{Client, Transaction};

use super::error::PgError;
use super::records::{id_at, key, reference_column, REFERENCE_ATTEMPTS};
use crate::domain::currency::Currency;
use crate::domain::price_book::PriceBook;
use crate::domain::prices::free_lines;
use crate::domain::{PriceCardId, Reference, TicketTypeId};
use crate::store::codec::{
    decode_hold, decode_price_book, decode_ticket, decode_v3_ticket, encode_hold,
    encode_price_book, encode_ticket,
};

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i32 = 10;

/// Any fixed number, the same in every process: the key of the advisory lock
/// held while migrating.
const MIGRATION_LOCK: i64 = 0x626f_786f_6666_6963; // "boxoffic"

/// Migration `n` is `MIGRATIONS[n - 1]`: each takes schema `n - 1` to `n`.
/// Never edit one that has shipped; add the next.
const MIGRATIONS: &[&str] = &[
    // 1: the cinema's tables.
    "CREATE SEQUENCE id_sequence;
     CREATE TABLE screens (
         id bytea PRIMARY KEY,
         record bytea NOT NULL
     );
     CREATE TABLE films (
         id bytea PRIMARY KEY,
         record bytea NOT NULL
     );
     CREATE TABLE shows (
         id bytea PRIMARY KEY,
         screen_id bytea NOT NULL,
         film_id bytea REFERENCES films (id),
         starts_at bigint NOT NULL,
         capacity integer NOT NULL,
         sold integer NOT NULL,
         record bytea NOT NULL,
         UNIQUE (screen_id, starts_at),
         CHECK (sold >= 0 AND sold <= capacity)
     );
     CREATE INDEX shows_by_start ON shows (starts_at, id);
     CREATE INDEX shows_by_film ON shows (film_id);
     CREATE TABLE tickets (
         id bytea PRIMARY KEY,
         show_id bytea NOT NULL REFERENCES shows (id),
         phone_digits text NOT NULL,
         record bytea NOT NULL
     );
     CREATE INDEX tickets_by_show ON tickets (show_id, id);
     CREATE INDEX tickets_by_phone ON tickets (phone_digits);
     CREATE TABLE holds (
         id bytea PRIMARY KEY,
         show_id bytea NOT NULL REFERENCES shows (id),
         expires_at bigint NOT NULL,
         record bytea NOT NULL
     );
     CREATE INDEX holds_by_show ON holds (show_id);
     CREATE INDEX holds_by_expiry ON holds (expires_at, id);
     CREATE TABLE answers (
         key bytea PRIMARY KEY,
         fingerprint bytea NOT NULL,
         stored_at bigint NOT NULL,
         status integer,
         body bytea
     );
     CREATE INDEX answers_by_time ON answers (stored_at, key);",
    // 2: facts about the database as a whole (the purge's heartbeat).
    "CREATE TABLE meta (
         key text PRIMARY KEY,
         value bigint NOT NULL
     );",
    // 3: the limits on one client: which client a hold counts against, the
    // seats a client released and may not hold again yet, and whose
    // answers the stored ones are.
    "ALTER TABLE holds ADD COLUMN client bytea;
     CREATE INDEX holds_by_client ON holds (client) WHERE client IS NOT NULL;
     CREATE TABLE cooldowns (
         key bytea PRIMARY KEY,
         client bytea NOT NULL,
         show_id bytea NOT NULL,
         until bigint NOT NULL,
         record bytea NOT NULL
     );
     CREATE INDEX cooldowns_by_client ON cooldowns (client, show_id);
     CREATE INDEX cooldowns_by_end ON cooldowns (until);
     ALTER TABLE answers ADD COLUMN client bytea;
     CREATE INDEX answers_by_client ON answers (client, stored_at) WHERE client IS NOT NULL;",
    // 4: a phone search compares the last 9 digits (`Phone::search_key`).
    "DROP INDEX tickets_by_phone;
     CREATE INDEX tickets_by_phone_tail ON tickets (right(phone_digits, 9));",
    // 5: every ticket has a short reference, unique among live tickets
    // (filled in for the tickets there are by `references_for_every_ticket`).
    "ALTER TABLE tickets ADD COLUMN reference integer;",
    // 6: settings made once per database; the first, the key paging cursors
    // are signed with, the same for every process: 32 bytes holding 244
    // random bits from the server's strong generator (gen_random_uuid).
    "CREATE TABLE settings (
         name text PRIMARY KEY,
         value bytea NOT NULL
     );
     INSERT INTO settings (name, value) VALUES (
         'cursor_secret',
         uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
     );",
    // 7: a show's live holds are one range of (show, expiry), however many
    // expired ones wait for the purge, and the places each keeps are in the
    // index too (filled in for the holds there are by `places_of_every_hold`).
    "ALTER TABLE holds ADD COLUMN places integer;",
    // 8: every seat has a price: the price book (ticket types and cards,
    // written by `prices_for_every_database`) is a setting of its own.
    "ALTER TABLE settings ALTER COLUMN value SET NOT NULL;",
    // 9: staff accounts, API keys (a revoked one keeps its row, not its
    // digest), sessions by the digest of their token, wrong passwords in a
    // row per login, and the audit trail (never purged).
    "CREATE TABLE staff (
         id bytea PRIMARY KEY,
         login text NOT NULL UNIQUE,
         record bytea NOT NULL
     );
     CREATE TABLE api_keys (
         id bytea PRIMARY KEY,
         digest bytea UNIQUE,
         record bytea NOT NULL
     );
     CREATE TABLE sessions (
         digest bytea PRIMARY KEY,
         record bytea NOT NULL
     );
     CREATE TABLE login_throttle (
         login text PRIMARY KEY,
         failures integer NOT NULL,
         until bigint NOT NULL
     );
     CREATE TABLE audit (
         id bytea PRIMARY KEY,
         at bigint NOT NULL,
         actor text NOT NULL,
         action text NOT NULL,
         record bytea NOT NULL
     );",
    // 10: each line of a ticket or hold keeps its tax rate, in the record
    // (ticket version 4, hold version 5): no column changes, the records
    // there are are written again by `tax_rates_on_every_line`.
    "SELECT 1;",
];

/// Runs after the SQL of migration `number`, in the same transaction.
async fn after(number: i32, transaction: &Transaction<'_>) -> Result<(), PgError> {
    if number == 5 {
        references_for_every_ticket(transaction).await?;
    }
    if number == 7 {
        places_of_every_hold(transaction).await?;
    }
    if number == 8 {
        prices_for_every_database(transaction).await?;
    }
    if number == 10 {
        tax_rates_on_every_line(transaction).await?;
    }
    Ok(())
}

/// Writes every ticket and hold again with each line's tax rate: its
/// type's when that gives its tax, else the lowest rate that does (0 for
/// the lines at 0 of migration 8), as the redb upgrade to schema 9 does.
async fn tax_rates_on_every_line(transaction: &Transaction<'_>) -> Result<(), PgError> {
    let book = match transaction
        .query_opt(
            "SELECT value FROM settings WHERE name = $1",
            &[&super::prices::PRICE_BOOK_SETTING],
        )
        .await?
    {
        Some(row) => decode_price_book(row.try_get(0)?)?,
        None => PriceBook::default(),
    };
    let rows = transaction
        .query("SELECT id, record FROM tickets ORDER BY id", &[])
        .await?;
    for row in &rows {
        let id = id_at(row, 0)?;
        let mut ticket = decode_ticket(id, row.try_get(1)?)?;
        book.rate_lines(&mut ticket.lines);
        transaction
            .execute(
                "UPDATE tickets SET record = $2 WHERE id = $1",
                &[&key(id), &encode_ticket(&ticket)],
            )
            .await?;
    }
    let rows = transaction
        .query("SELECT id, record FROM holds ORDER BY id", &[])
        .await?;
    for row in &rows {
        let id = id_at(row, 0)?;
        let mut hold = decode_hold(id, row.try_get(1)?)?;
        book.rate_lines(&mut hold.lines);
        transaction
            .execute(
                "UPDATE holds SET record = $2 WHERE id = $1",
                &[&key(id), &encode_hold(&hold)],
            )
            .await?;
    }
    Ok(())
}

/// Copies each stored hold's places from its record into its column; then
/// the column is required and the show's index carries it.
async fn places_of_every_hold(transaction: &Transaction<'_>) -> Result<(), PgError> {
    let rows = transaction
        .query("SELECT id, record FROM holds", &[])
        .await?;
    for row in &rows {
        let id = id_at(row, 0)?;
        let hold = decode_hold(id, row.try_get(1)?)?;
        let places = i32::try_from(hold.count).unwrap_or(i32::MAX);
        transaction
            .execute(
                "UPDATE holds SET places = $2 WHERE id = $1",
                &[&key(id), &places],
            )
            .await?;
    }
    transaction
        .batch_execute(
            "ALTER TABLE holds ALTER COLUMN places SET NOT NULL;
             DROP INDEX holds_by_show;
             CREATE INDEX holds_by_show_expiry ON holds (show_id, expires_at) INCLUDE (places);",
        )
        .await?;
    Ok(())
}

/// Every new and upgraded database starts with the ticket type `Admission`
/// (untaxed, every channel) on the card `default` at 0, so that every sale
/// made as before is priced, at 0; the bookings there are get their
/// lines, Admission at 0.
async fn prices_for_every_database(transaction: &Transaction<'_>) -> Result<(), PgError> {
    let admission = TicketTypeId::from(ulid::Ulid::generate());
    let book = PriceBook::starting(admission, PriceCardId::from(ulid::Ulid::generate()));
    transaction
        .execute(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[
                &super::prices::PRICE_BOOK_SETTING,
                &encode_price_book(&book),
            ],
        )
        .await?;
    let rows = transaction
        .query("SELECT id, record FROM tickets ORDER BY id", &[])
        .await?;
    for row in &rows {
        let id = id_at(row, 0)?;
        let mut ticket = decode_ticket(id, row.try_get(1)?)?;
        if ticket.lines.is_empty() {
            ticket.lines = free_lines(admission, &ticket.seats, ticket.count);
            transaction
                .execute(
                    "UPDATE tickets SET record = $2 WHERE id = $1",
                    &[&key(id), &encode_ticket(&ticket)],
                )
                .await?;
        }
    }
    Ok(())
}

/// Every amount of a database is in one currency: the one it was first
/// opened with, written then. Another one configured since stops start-up.
pub async fn check_currency(client: &Client, configured: Currency) -> Result<(), PgError> {
    client
        .execute(
            "INSERT INTO settings (name, value) VALUES ('currency', $1) ON CONFLICT (name) DO NOTHING",
            &[&configured.code().as_bytes()],
        )
        .await?;
    let row = client
        .query_one("SELECT value FROM settings WHERE name = 'currency'", &[])
        .await?;
    let stored: Vec<u8> = row.try_get(0)?;
    if stored == configured.code().as_bytes() {
        return Ok(());
    }
    let stored = String::from_utf8_lossy(&stored).into_owned();
    Err(PgError::Schema(format!(
        "the database's amounts are in {stored}, but `currency` is {configured}: set currency = \"{stored}\" (the amounts would mean something else)"
    )))
}

/// Gives each stored ticket (in id order) its first reference candidate no
/// earlier ticket took, in its record and its column; then the column is
/// required and unique.
async fn references_for_every_ticket(transaction: &Transaction<'_>) -> Result<(), PgError> {
    let rows = transaction
        .query("SELECT id, record FROM tickets ORDER BY id", &[])
        .await?;
    let mut taken = BTreeSet::new();
    for row in &rows {
        let id = id_at(row, 0)?;
        let mut ticket = decode_v3_ticket(id, row.try_get(1)?)?;
        let attempt = (0..REFERENCE_ATTEMPTS)
            .find(|&attempt| !taken.contains(&Reference::candidate(id, attempt)))
            .ok_or_else(|| PgError::Corrupt(format!("no free reference for ticket {id}")))?;
        ticket.reference = Reference::candidate(id, attempt);
        taken.insert(ticket.reference);
        transaction
            .execute(
                "UPDATE tickets SET record = $2, reference = $3 WHERE id = $1",
                &[
                    &key(id),
                    &encode_ticket(&ticket),
                    &reference_column(ticket.reference),
                ],
            )
            .await?;
    }
    transaction
        .batch_execute(
            "ALTER TABLE tickets ALTER COLUMN reference SET NOT NULL;
             CREATE UNIQUE INDEX tickets_by_reference ON tickets (reference);",
        )
        .await?;
    Ok(())
}

/// The key paging cursors are signed with, as migration 6 made it.
pub async fn cursor_secret(client: &Client) -> Result<Vec<u8>, PgError> {
    let row = client
        .query_one(
            "SELECT value FROM settings WHERE name = 'cursor_secret'",
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Creates or upgrades the schema; returns the version found before.
pub async fn migrate(client: &mut Client) -> Result<i32, PgError> {
    let transaction = client.transaction().await?;
    // Held until the transaction ends: a second process waits here, then
    // finds the schema current.
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let found: i32 = transaction
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    if found > SCHEMA_VERSION {
        return Err(PgError::Schema(format!(
            "the database has schema version {found}, newer than this build's {SCHEMA_VERSION}: run a newer boxoffice"
        )));
    }
    for (number, migration) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        transaction.batch_execute(migration).await?;
        after(number, &transaction).await?;
        transaction
            .execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&number],
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(found)
}
