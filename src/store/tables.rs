//! Every redb table boxoffice uses, in one place.
//!
//! Ids are ULIDs as `u128` (they sort by creation time, so a show's tickets
//! come out in booking order; the default screen is 0); instants are `i64`
//! Unix milliseconds UTC.

use redb::{MultimapTableDefinition, TableDefinition};

/// `schema_version` → the layout this file was written with;
/// `cursor_secret.0..=3` → the key paging cursors are signed with, in four
/// 64-bit parts (random, made once per database).
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
/// The trusted time the last purge deleted by (Unix ms): where trusted time
/// starts from after a restart.
pub const TRUSTED_TIME_KEY: &str = "trusted_time";
pub const CURSOR_SECRET_KEYS: [&str; 4] = [
    "cursor_secret.0",
    "cursor_secret.1",
    "cursor_secret.2",
    "cursor_secret.3",
];

/// The currency every amount of the file is in: its ISO 4217 code's three
/// letters, big-endian in the low bytes.
pub const CURRENCY_KEY: &str = "currency";

/// `book` → every ticket type and price card (see `PriceBook`).
pub const PRICE_BOOK: TableDefinition<&str, &[u8]> = TableDefinition::new("price_book");

/// `last` → the largest id ever minted, so that an id is never minted
/// again, even after the record that had it was deleted.
pub const ID_HIGH_WATER: TableDefinition<&str, u128> = TableDefinition::new("id_high_water");
pub const LAST_ID_KEY: &str = "last";

/// Screens other than the default one, which comes from the configuration.
pub const SCREEN_ID_TO_SCREEN: TableDefinition<u128, &[u8]> =
    TableDefinition::new("screen_id_to_screen");
pub const FILM_ID_TO_FILM: TableDefinition<u128, &[u8]> = TableDefinition::new("film_id_to_film");

pub const SHOW_ID_TO_SHOW: TableDefinition<u128, &[u8]> = TableDefinition::new("show_id_to_show");
/// (screen, start) → show: a screen's shows in time order, at most one per
/// instant; `/api` finds its shows here on the default screen.
pub const SCREEN_START_TO_SHOW_ID: TableDefinition<(u128, i64), u128> =
    TableDefinition::new("screen_start_to_show_id");
/// Every show in start order: for lists and the purge.
pub const SHOW_START_TO_SHOW_IDS: MultimapTableDefinition<i64, u128> =
    MultimapTableDefinition::new("show_start_to_show_ids");
pub const FILM_ID_TO_SHOW_IDS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("film_id_to_show_ids");

pub const TICKET_ID_TO_TICKET: TableDefinition<u128, &[u8]> =
    TableDefinition::new("ticket_id_to_ticket");
/// A show's tickets in booking order.
pub const SHOW_ID_TO_TICKET_IDS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("show_id_to_ticket_ids");
/// Each live ticket's short reference (`Reference::as_u32`), to its ticket.
pub const REFERENCE_TO_TICKET_ID: TableDefinition<u32, u128> =
    TableDefinition::new("reference_to_ticket_id");

pub const HOLD_ID_TO_HOLD: TableDefinition<u128, &[u8]> = TableDefinition::new("hold_id_to_hold");
/// A show's holds, live or expired until the purge takes them, in expiry
/// order: (show, expires at, hold) → what the hold keeps (its count and
/// seats). Written and deleted with the hold, in the same transaction, so
/// a show's live holds at `now` are the one range after (show, now): read
/// without the holds that expired, however many wait for the purge.
pub const SHOW_EXPIRY_HOLD_TO_KEPT: TableDefinition<(u128, i64, u128), &[u8]> =
    TableDefinition::new("show_expiry_hold_to_kept");
/// The places all stored holds of a show keep, live or expired, written
/// with them: a general-admission show's live places are this less those
/// of the expired range when that range is the shorter one.
pub const SHOW_ID_TO_KEPT_PLACES: TableDefinition<u128, u64> =
    TableDefinition::new("show_id_to_kept_places");
/// When each hold expires, for the purge.
pub const HOLD_EXPIRY_TO_HOLD_IDS: MultimapTableDefinition<i64, u128> =
    MultimapTableDefinition::new("hold_expiry_to_hold_ids");

/// A limited client's holds (its `ClientId` bytes → hold ids), live or
/// expired until the purge takes them: what its next hold is judged on.
pub const CLIENT_TO_HOLD_IDS: MultimapTableDefinition<&[u8], u128> =
    MultimapTableDefinition::new("client_to_hold_ids");
/// Seats a limited client released, out of its reach for a while:
/// (client, show, hold) bytes → cooldown record.
pub const COOLDOWN_KEY_TO_COOLDOWN: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("cooldown_key_to_cooldown");
/// When each cooldown ends, for the purge.
pub const COOLDOWN_END_TO_KEYS: MultimapTableDefinition<i64, &[u8]> =
    MultimapTableDefinition::new("cooldown_end_to_keys");

/// A keyed write's answer: (scope digest, key) bytes → answer record.
pub const IDEMPOTENCY_KEY_TO_ANSWER: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("idempotency_key_to_answer");
/// A limited client's stored answers, oldest first: (client, biased
/// big-endian first use, scoped key) bytes. How many are live is a range.
pub const CLIENT_TIME_KEY_TO_UNIT: TableDefinition<&[u8], ()> =
    TableDefinition::new("client_time_key_to_unit");
/// The limited client whose answer a scoped key holds, for the purge.
pub const ANSWER_KEY_TO_CLIENT: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("answer_key_to_client");
/// When each key was first used, for the purge.
pub const IDEMPOTENCY_TIME_TO_KEYS: MultimapTableDefinition<i64, &[u8]> =
    MultimapTableDefinition::new("idempotency_time_to_keys");

/// Staff accounts by id (a ULID: the order they were made).
pub const STAFF_ID_TO_ACCOUNT: TableDefinition<u128, &[u8]> =
    TableDefinition::new("staff_id_to_account");
pub const LOGIN_TO_STAFF_ID: TableDefinition<&str, u128> =
    TableDefinition::new("login_to_staff_id");
/// API keys by id, revoked ones too; only a key's digest is kept.
pub const KEY_ID_TO_KEY: TableDefinition<u128, &[u8]> = TableDefinition::new("key_id_to_key");
pub const KEY_DIGEST_TO_KEY_ID: TableDefinition<&[u8], u128> =
    TableDefinition::new("key_digest_to_key_id");
/// Sessions by the digest of their token.
pub const SESSION_DIGEST_TO_SESSION: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("session_digest_to_session");
/// Wrong passwords in a row for a login (known or not) → (count, until
/// when the next try waits).
pub const LOGIN_TO_THROTTLE: TableDefinition<&str, (u32, i64)> =
    TableDefinition::new("login_to_throttle");
/// The audit trail, in the order it was written; never purged.
pub const AUDIT_ID_TO_ENTRY: TableDefinition<u128, &[u8]> =
    TableDefinition::new("audit_id_to_entry");
