//! Schema versions: written when a file is created, checked on every open,
//! and upgraded in place through every numbered migration since the file's
//! version, in one write transaction, after a copy of the old file is kept.

use std::path::{Path, PathBuf};

use redb::{
    Database, MultimapTableDefinition, ReadableDatabase, ReadableTable, TableDefinition,
    TableError, TableHandle, WriteTransaction,
};

use super::codec::{
    decode_hold, decode_legacy_show, decode_legacy_ticket, decode_v3_ticket, encode_hold,
    encode_kept, encode_show, encode_ticket, kept_key,
};
use super::codec::{encode_price_book, PRICE_BOOK_KEY};
use super::error::StoreError;
use super::tables::{
    ANSWER_KEY_TO_CLIENT, AUDIT_ID_TO_ENTRY, CLIENT_TIME_KEY_TO_UNIT, CLIENT_TO_HOLD_IDS,
    COOLDOWN_END_TO_KEYS, COOLDOWN_KEY_TO_COOLDOWN, CURSOR_SECRET_KEYS, FILM_ID_TO_FILM,
    FILM_ID_TO_SHOW_IDS, HOLD_EXPIRY_TO_HOLD_IDS, HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER,
    IDEMPOTENCY_TIME_TO_KEYS, ID_HIGH_WATER, KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY,
    LOGIN_TO_STAFF_ID, LOGIN_TO_THROTTLE, META, REFERENCE_TO_TICKET_ID, SCHEMA_VERSION_KEY,
    SCREEN_ID_TO_SCREEN, SCREEN_START_TO_SHOW_ID, SESSION_DIGEST_TO_SESSION,
    SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW, SHOW_ID_TO_TICKET_IDS,
    SHOW_START_TO_SHOW_IDS, STAFF_ID_TO_ACCOUNT, TICKET_ID_TO_TICKET,
};
use super::tables::{CURRENCY_KEY, PRICE_BOOK};
use crate::domain::currency::Currency;
use crate::domain::price_book::PriceBook;
use crate::domain::prices::free_lines;
use crate::domain::{PriceCardId, TicketTypeId};

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u64 = 9;

/// The oldest layout this build can upgrade.
const OLDEST_UPGRADABLE: u64 = 1;

/// One step: takes a file of schema `from` to `from + 1`.
struct Migration {
    from: u64,
    apply: fn(&WriteTransaction) -> Result<(), StoreError>,
}

/// Every upgrade, in order; a file of any earlier version goes through all
/// of those after it.
const MIGRATIONS: &[Migration] = &[
    Migration {
        from: 1,
        apply: tickets_by_show_in_a_multimap,
    },
    Migration {
        from: 2,
        apply: shows_on_the_default_screen,
    },
    Migration {
        from: 3,
        apply: limits_per_client,
    },
    Migration {
        from: 4,
        apply: references_for_every_ticket,
    },
    Migration {
        from: 5,
        apply: holds_by_show_and_expiry,
    },
    Migration {
        from: 6,
        apply: prices_for_every_database,
    },
    Migration {
        from: 7,
        apply: staff_keys_sessions_and_audit,
    },
    Migration {
        from: 8,
        apply: tax_rates_on_every_line,
    },
];

/// Up to schema 5, a show's holds: show → hold ids, live or expired, each
/// read to judge the show. Schema 6 keeps [`SHOW_EXPIRY_HOLD_TO_KEPT`]
/// instead; a journal of an earlier release still names this one.
pub(super) const SHOW_ID_TO_HOLD_IDS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("show_id_to_hold_ids");

/// What opening a file has to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// An empty file: write the current layout.
    Create,
    Current,
    Upgrade {
        from: u64,
    },
}

/// Reads the file's version and decides; refuses newer, too old or foreign files.
pub fn plan(db: &impl ReadableDatabase, what: &str) -> Result<Plan, StoreError> {
    let refuse = |problem: String| StoreError::Schema {
        what: what.to_owned(),
        problem,
    };
    let txn = db.begin_read()?;
    let version = match txn.open_table(META) {
        Ok(meta) => meta.get(SCHEMA_VERSION_KEY)?.map(|guard| guard.value()),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(error) => return Err(error.into()),
    };
    match version {
        Some(SCHEMA_VERSION) => Ok(Plan::Current),
        Some(found) if found > SCHEMA_VERSION => Err(refuse(format!(
            "written by a newer boxoffice (schema {found}); this build reads schema {SCHEMA_VERSION}"
        ))),
        Some(found) if found < OLDEST_UPGRADABLE => Err(refuse(format!(
            "written by an older boxoffice (schema {found}); this build reads schema {SCHEMA_VERSION} and upgrades from schema {OLDEST_UPGRADABLE} on"
        ))),
        Some(found) => Ok(Plan::Upgrade { from: found }),
        None => {
            let tables = txn.list_tables()?.count() + txn.list_multimap_tables()?.count();
            if tables > 0 {
                Err(refuse(
                    "not a boxoffice database (it holds other tables and no schema version)".into(),
                ))
            } else {
                Ok(Plan::Create)
            }
        }
    }
}

/// Refuses a file that is not of the current schema, without changing it.
pub fn require_current(txn: &redb::ReadTransaction, what: &str) -> Result<(), StoreError> {
    let version = match txn.open_table(META) {
        Ok(meta) => meta.get(SCHEMA_VERSION_KEY)?.map(|guard| guard.value()),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(error) => return Err(error.into()),
    };
    let problem = match version {
        Some(SCHEMA_VERSION) => return Ok(()),
        Some(found) if found < SCHEMA_VERSION => format!(
            "schema {found}, older than this build's {SCHEMA_VERSION}: start the service on it once to upgrade it"
        ),
        Some(found) => format!(
            "written by a newer boxoffice (schema {found}); this build reads schema {SCHEMA_VERSION}"
        ),
        None => "not a boxoffice database (no schema version)".into(),
    };
    Err(StoreError::Schema {
        what: what.to_owned(),
        problem,
    })
}

/// Writes the current layout into an empty file.
pub fn create(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write()?;
    {
        txn.open_table(META)?
            .insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
        open_every_table(&txn)?;
    }
    prices_for_every_database(&txn)?;
    txn.commit()?;
    Ok(())
}

/// Runs every migration after `from` in one write transaction: the file is
/// either upgraded whole or left as it was.
pub fn upgrade(db: &Database, from: u64, what: &str) -> Result<(), StoreError> {
    let failed = |source: StoreError| StoreError::Upgrade {
        what: what.to_owned(),
        from,
        source: Box::new(source),
    };
    let txn = db.begin_write().map_err(|error| failed(error.into()))?;
    for migration in MIGRATIONS.iter().filter(|migration| migration.from >= from) {
        (migration.apply)(&txn).map_err(failed)?;
    }
    {
        let mut meta = txn.open_table(META).map_err(|error| failed(error.into()))?;
        meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)
            .map_err(|error| failed(error.into()))?;
        open_every_table(&txn).map_err(failed)?;
    }
    txn.commit().map_err(|error| failed(error.into()))?;
    Ok(())
}

/// The key paging cursors are signed with: read from the file, or made
/// (random) and written when the file has none yet — a new file, or one
/// written before cursors were signed. The service opens a file alone, so
/// this write races with nothing.
pub fn cursor_secret(db: &Database) -> Result<[u8; 32], StoreError> {
    let read = |meta: &dyn Fn(&str) -> Result<Option<u64>, StoreError>| {
        let mut secret = [0; 32];
        for (part, key) in secret.chunks_exact_mut(8).zip(CURSOR_SECRET_KEYS) {
            let Some(value) = meta(key)? else {
                return Ok(None);
            };
            part.copy_from_slice(&value.to_le_bytes());
        }
        Ok::<_, StoreError>(Some(secret))
    };
    {
        let txn = db.begin_read()?;
        let meta = txn.open_table(META)?;
        if let Some(secret) = read(&|key| Ok(meta.get(key)?.map(|guard| guard.value())))? {
            return Ok(secret);
        }
    }
    let mut secret = [0; 32];
    getrandom::fill(&mut secret).map_err(|error| StoreError::Schema {
        what: "database".into(),
        problem: format!("cannot make the cursor-signing secret: {error}"),
    })?;
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        for (part, key) in secret.chunks_exact(8).zip(CURSOR_SECRET_KEYS) {
            let value = u64::from_le_bytes(part.try_into().expect("8 bytes"));
            meta.insert(key, value)?;
        }
    }
    txn.commit()?;
    Ok(secret)
}

/// Where the copy of a file of schema `version` goes before it is upgraded.
pub fn backup_path(path: &Path, version: u64) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".v{version}.bak"));
    PathBuf::from(name)
}

/// Copies the (closed) file beside itself, durably, before an upgrade; an
/// older copy of the same version is replaced whole or not at all.
pub fn back_up(path: &Path, version: u64, what: &str) -> Result<PathBuf, StoreError> {
    let to = backup_path(path, version);
    let failed = |source: std::io::Error| StoreError::Backup {
        what: what.to_owned(),
        to: to.clone(),
        source,
    };
    let partial = super::files::partial_beside(&to);
    let copied = super::files::create_new(&partial).and_then(|mut copy| {
        std::io::copy(&mut std::fs::File::open(path)?, &mut copy)?;
        copy.sync_all()
    });
    if let Err(error) = copied.and_then(|()| super::files::move_into_place(&partial, &to)) {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(error));
    }
    Ok(to)
}

fn open_every_table(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(ID_HIGH_WATER)?;
    txn.open_table(SCREEN_ID_TO_SCREEN)?;
    txn.open_table(FILM_ID_TO_FILM)?;
    txn.open_table(SHOW_ID_TO_SHOW)?;
    txn.open_table(SCREEN_START_TO_SHOW_ID)?;
    txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?;
    txn.open_multimap_table(FILM_ID_TO_SHOW_IDS)?;
    txn.open_table(TICKET_ID_TO_TICKET)?;
    txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
    txn.open_table(REFERENCE_TO_TICKET_ID)?;
    txn.open_table(HOLD_ID_TO_HOLD)?;
    txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?;
    txn.open_table(SHOW_ID_TO_KEPT_PLACES)?;
    txn.open_multimap_table(HOLD_EXPIRY_TO_HOLD_IDS)?;
    txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?;
    txn.open_multimap_table(IDEMPOTENCY_TIME_TO_KEYS)?;
    limits_per_client(txn)?;
    staff_keys_sessions_and_audit(txn)
}

/// Schema 8 has staff accounts, API keys, sessions, the slowing of wrong
/// passwords and the audit trail; a file from before has none of them, so
/// the new tables start empty.
fn staff_keys_sessions_and_audit(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(STAFF_ID_TO_ACCOUNT)?;
    txn.open_table(LOGIN_TO_STAFF_ID)?;
    txn.open_table(KEY_ID_TO_KEY)?;
    txn.open_table(KEY_DIGEST_TO_KEY_ID)?;
    txn.open_table(SESSION_DIGEST_TO_SESSION)?;
    txn.open_table(LOGIN_TO_THROTTLE)?;
    txn.open_table(AUDIT_ID_TO_ENTRY)?;
    Ok(())
}

/// Schema 4 knows which limited client each hold counts against (a hold
/// record of version 3), the seats a client released and may not hold
/// again yet, and whose stored answers are whose. Holds and answers stored
/// before are no limited client's, so the new tables start empty.
fn limits_per_client(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_multimap_table(CLIENT_TO_HOLD_IDS)?;
    txn.open_table(COOLDOWN_KEY_TO_COOLDOWN)?;
    txn.open_multimap_table(COOLDOWN_END_TO_KEYS)?;
    txn.open_table(CLIENT_TIME_KEY_TO_UNIT)?;
    txn.open_table(ANSWER_KEY_TO_CLIENT)?;
    Ok(())
}

/// Schema 6 prices every seat: a new or upgraded file starts with the
/// ticket type `Admission` (untaxed, every channel) on the card `default` at
/// 0, so that every sale made as before is priced, at 0; the bookings there
/// are get their lines, Admission at 0.
fn prices_for_every_database(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut book = txn.open_table(PRICE_BOOK)?;
    if book.get(PRICE_BOOK_KEY)?.is_some() {
        return Ok(());
    }
    let admission = TicketTypeId::from(ulid::Ulid::generate());
    let starting = PriceBook::starting(admission, PriceCardId::from(ulid::Ulid::generate()));
    book.insert(PRICE_BOOK_KEY, encode_price_book(&starting).as_slice())?;
    let mut tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
    let ids: Vec<u128> = ReadableTable::iter(&tickets)?
        .map(|entry| entry.map(|(id, _)| id.value()))
        .collect::<Result<_, _>>()?;
    for id in ids {
        let mut ticket = {
            let bytes = tickets
                .get(id)?
                .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))?;
            super::codec::decode_ticket(id, bytes.value())?
        };
        if ticket.lines.is_empty() {
            ticket.lines = free_lines(admission, &ticket.seats, ticket.count);
            tickets.insert(id, encode_ticket(&ticket).as_slice())?;
        }
    }
    Ok(())
}

/// Schema 9 keeps each line's tax rate: every ticket and hold is written
/// again, each line with its type's rate when that gives its tax, else the
/// lowest rate that does (0 for the lines at 0 of the upgrade to schema 6).
fn tax_rates_on_every_line(txn: &WriteTransaction) -> Result<(), StoreError> {
    let book = match txn.open_table(PRICE_BOOK)?.get(PRICE_BOOK_KEY)? {
        Some(bytes) => super::codec::decode_price_book(bytes.value())?,
        None => PriceBook::default(),
    };
    let mut tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
    let ids: Vec<u128> = ReadableTable::iter(&tickets)?
        .map(|entry| entry.map(|(id, _)| id.value()))
        .collect::<Result<_, _>>()?;
    for id in ids {
        let mut ticket = {
            let bytes = tickets
                .get(id)?
                .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))?;
            super::codec::decode_ticket(id, bytes.value())?
        };
        book.rate_lines(&mut ticket.lines);
        tickets.insert(id, encode_ticket(&ticket).as_slice())?;
    }
    let mut holds = txn.open_table(HOLD_ID_TO_HOLD)?;
    let ids: Vec<u128> = ReadableTable::iter(&holds)?
        .map(|entry| entry.map(|(id, _)| id.value()))
        .collect::<Result<_, _>>()?;
    for id in ids {
        let mut hold = {
            let bytes = holds
                .get(id)?
                .ok_or_else(|| StoreError::Corrupt(format!("hold {id} vanished")))?;
            decode_hold(id, bytes.value())?
        };
        book.rate_lines(&mut hold.lines);
        holds.insert(id, encode_hold(&hold).as_slice())?;
    }
    Ok(())
}

/// The three letters of a currency code as the meta table keeps them.
fn currency_value(currency: Currency) -> u64 {
    currency
        .code()
        .bytes()
        .fold(0, |value, byte| (value << 8) | u64::from(byte))
}

fn currency_code(value: u64) -> String {
    (0..3)
        .rev()
        .map(|at| char::from(u8::try_from((value >> (8 * at)) & 0xff).unwrap_or(b'?')))
        .collect()
}

/// Every amount of a file is in one currency: the one the file was first
/// opened with, written then. Another one configured since stops start-up.
pub fn check_currency(db: &Database, configured: Currency) -> Result<(), StoreError> {
    let stored = {
        let txn = db.begin_read()?;
        let meta = txn.open_table(META)?;
        meta.get(CURRENCY_KEY)?.map(|guard| guard.value())
    };
    match stored {
        Some(value) if value == currency_value(configured) => Ok(()),
        Some(value) => Err(StoreError::Schema {
            what: "database".into(),
            problem: format!(
                "its amounts are in {}, but `currency` is {configured}: set currency = \"{}\" (the amounts would mean something else)",
                currency_code(value),
                currency_code(value)
            ),
        }),
        None => {
            let txn = db.begin_write()?;
            txn.open_table(META)?
                .insert(CURRENCY_KEY, currency_value(configured))?;
            txn.commit()?;
            Ok(())
        }
    }
}

/// Schema 1 kept a show's tickets as `(show, ticket) → ()` keys, read back by
/// range; schema 2 keeps them in a multimap table, show → tickets.
fn tickets_by_show_in_a_multimap(txn: &WriteTransaction) -> Result<(), StoreError> {
    const SHOW_ID_TICKET_ID: TableDefinition<(u128, u128), ()> =
        TableDefinition::new("show_id_ticket_id");
    {
        let old = txn.open_table(SHOW_ID_TICKET_ID)?;
        let mut new = txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
        for entry in ReadableTable::iter(&old)? {
            let (show, ticket) = entry?.0.value();
            new.insert(show, ticket)?;
        }
    }
    if !txn.delete_table(SHOW_ID_TICKET_ID)? {
        return Err(StoreError::Corrupt(format!(
            "schema 1 file without its {} table",
            SHOW_ID_TICKET_ID.name()
        )));
    }
    Ok(())
}

/// Schema 3 is the cinema: screens, films, shows on screens, holds. Every show
/// of schema 2 was an `/api` show: it moves onto the default screen, with no
/// film, and its start index becomes the (screen, start) index beside a
/// time-ordered one. Tickets gain their seats (none) and the instant they
/// were booked (their id's).
fn shows_on_the_default_screen(txn: &WriteTransaction) -> Result<(), StoreError> {
    const SHOW_START_TO_SHOW_ID: TableDefinition<i64, u128> =
        TableDefinition::new("show_start_to_show_id");
    {
        let old_starts = txn.open_table(SHOW_START_TO_SHOW_ID)?;
        let mut shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let mut by_screen = txn.open_table(SCREEN_START_TO_SHOW_ID)?;
        let mut by_start = txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?;
        for entry in ReadableTable::iter(&old_starts)? {
            let (start, id) = entry?;
            let (start, id) = (start.value(), id.value());
            let show = {
                let bytes = shows.get(id)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("start index names missing show {id}"))
                })?;
                decode_legacy_show(id, bytes.value())?
            };
            shows.insert(id, encode_show(&show).as_slice())?;
            by_screen.insert((show.screen.as_u128(), start), id)?;
            by_start.insert(start, id)?;
        }
        let mut tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let ids: Vec<u128> = ReadableTable::iter(&tickets)?
            .map(|entry| entry.map(|(id, _)| id.value()))
            .collect::<Result<_, _>>()?;
        for id in ids {
            let ticket = {
                let bytes = tickets
                    .get(id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))?;
                decode_legacy_ticket(id, bytes.value())?
            };
            tickets.insert(id, encode_ticket(&ticket).as_slice())?;
        }
    }
    if !txn.delete_table(SHOW_START_TO_SHOW_ID)? {
        return Err(StoreError::Corrupt(format!(
            "schema 2 file without its {} table",
            SHOW_START_TO_SHOW_ID.name()
        )));
    }
    Ok(())
}

/// Schema 6 lists a show's holds by expiry, each with what it keeps, in
/// place of the plain list of their ids, and the places they keep in all:
/// built from every stored hold record, the one source of truth.
fn holds_by_show_and_expiry(txn: &WriteTransaction) -> Result<(), StoreError> {
    {
        let holds = txn.open_table(HOLD_ID_TO_HOLD)?;
        let mut index = txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?;
        let mut places = std::collections::BTreeMap::<u128, u64>::new();
        for entry in ReadableTable::iter(&holds)? {
            let (id, bytes) = entry?;
            let hold = decode_hold(id.value(), bytes.value())?;
            let kept = hold.kept();
            index.insert(kept_key(hold.show_id, &kept), encode_kept(&kept).as_slice())?;
            *places.entry(hold.show_id.as_u128()).or_default() += u64::from(hold.count);
        }
        let mut totals = txn.open_table(SHOW_ID_TO_KEPT_PLACES)?;
        for (show, places) in places {
            totals.insert(show, places)?;
        }
    }
    // A file older than schema 3 had no holds, nor this table.
    txn.delete_multimap_table(SHOW_ID_TO_HOLD_IDS)?;
    Ok(())
}

/// Schema 4 gives every ticket a short reference, unique among live
/// tickets: in id order, each takes its first candidate no earlier one took,
/// in its record and in the reference index.
fn references_for_every_ticket(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
    let mut references = txn.open_table(REFERENCE_TO_TICKET_ID)?;
    let ids: Vec<u128> = ReadableTable::iter(&tickets)?
        .map(|entry| entry.map(|(id, _)| id.value()))
        .collect::<Result<_, _>>()?;
    for id in ids {
        let mut ticket = {
            let bytes = tickets
                .get(id)?
                .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))?;
            decode_v3_ticket(id, bytes.value())?
        };
        ticket.reference = super::writes::free_reference(&references, id)?;
        references.insert(ticket.reference.as_u32(), id)?;
        tickets.insert(id, encode_ticket(&ticket).as_slice())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use redb::ReadableTableMetadata;

    use super::*;
    use crate::domain::{Phone, Reference, ShowId, Ticket, TicketId};
    use crate::store::codec::{decode_ticket, encode_v3_ticket};

    /// Two ticket ids whose first reference candidates are the same.
    fn colliding_ids() -> (u128, u128) {
        let mut seen = HashMap::new();
        for id in 1u128.. {
            if let Some(first) = seen.insert(Reference::candidate(id, 0), id) {
                return (first, id);
            }
        }
        unreachable!()
    }

    #[test]
    fn the_upgrade_to_schema_4_gives_every_ticket_a_reference_of_its_own() {
        let (first, second) = colliding_ids();
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("old.redb")).unwrap();
        create(&db).unwrap();
        let txn = db.begin_write().unwrap();
        {
            txn.open_table(META)
                .unwrap()
                .insert(SCHEMA_VERSION_KEY, 3)
                .unwrap();
            let mut tickets = txn.open_table(TICKET_ID_TO_TICKET).unwrap();
            for id in [first, second] {
                let ticket = Ticket {
                    id: TicketId::from_u128(id),
                    show_id: ShowId::from_u128(1),
                    user_name: "Asha".into(),
                    phone: Phone::Number(9876543210),
                    count: 1,
                    seats: Vec::new(),
                    created_at: 0,
                    reference: Reference::candidate(id, 0),
                    lines: Vec::new(),
                };
                tickets
                    .insert(id, encode_v3_ticket(&ticket).as_slice())
                    .unwrap();
            }
        }
        txn.commit().unwrap();
        assert_eq!(plan(&db, "old").unwrap(), Plan::Upgrade { from: 3 });
        upgrade(&db, 3, "old").unwrap();
        assert_eq!(plan(&db, "old").unwrap(), Plan::Current);
        let txn = db.begin_read().unwrap();
        let tickets = txn.open_table(TICKET_ID_TO_TICKET).unwrap();
        let references = txn.open_table(REFERENCE_TO_TICKET_ID).unwrap();
        let read = |id: u128| decode_ticket(id, tickets.get(id).unwrap().unwrap().value()).unwrap();
        let (one, two) = (read(first), read(second));
        assert_eq!(one.reference, Reference::candidate(first, 0));
        assert_eq!(two.reference, Reference::candidate(second, 1));
        for ticket in [one, two] {
            let indexed = references.get(ticket.reference.as_u32()).unwrap().unwrap();
            assert_eq!(indexed.value(), ticket.id.as_u128());
        }
        assert_eq!(ReadableTableMetadata::len(&references).unwrap(), 2);
    }

    #[test]
    fn the_upgrade_to_schema_6_lists_every_hold_under_its_show_by_expiry() {
        use crate::domain::holds::Hold;
        use crate::domain::seating::SeatIndex;
        use crate::domain::HoldId;
        use crate::store::codec::{decode_kept, encode_hold};
        use redb::MultimapTableHandle;

        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("old.redb")).unwrap();
        create(&db).unwrap();
        let hold = |id: u128, show: u128, seats: &[u16], expires_at| Hold {
            id: HoldId::from_u128(id),
            show_id: ShowId::from_u128(show),
            seats: seats.iter().copied().map(SeatIndex).collect(),
            count: u32::try_from(seats.len()).unwrap().max(1),
            expires_at,
            created_at: 0,
            client: None,
            lines: Vec::new(),
        };
        let holds = [
            hold(10, 1, &[3, 4], 9_000),
            hold(11, 1, &[], 5_000),
            hold(12, 2, &[0], 7_000),
        ];
        let txn = db.begin_write().unwrap();
        {
            txn.open_table(META)
                .unwrap()
                .insert(SCHEMA_VERSION_KEY, 5)
                .unwrap();
            txn.delete_table(SHOW_EXPIRY_HOLD_TO_KEPT).unwrap();
            let mut records = txn.open_table(HOLD_ID_TO_HOLD).unwrap();
            let mut by_show = txn.open_multimap_table(SHOW_ID_TO_HOLD_IDS).unwrap();
            for hold in &holds {
                let id = hold.id.as_u128();
                records.insert(id, encode_hold(hold).as_slice()).unwrap();
                by_show.insert(hold.show_id.as_u128(), id).unwrap();
            }
        }
        txn.commit().unwrap();
        assert_eq!(plan(&db, "old").unwrap(), Plan::Upgrade { from: 5 });
        upgrade(&db, 5, "old").unwrap();
        assert_eq!(plan(&db, "old").unwrap(), Plan::Current);
        let txn = db.begin_read().unwrap();
        let index = txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT).unwrap();
        let listed: Vec<_> = ReadableTable::iter(&index)
            .unwrap()
            .map(|entry| {
                let (key, value) = entry.unwrap();
                let (show, expires_at, id) = key.value();
                (show, decode_kept(id, expires_at, value.value()).unwrap())
            })
            .collect();
        // By show, then by expiry.
        let expected = vec![
            (1, holds[1].kept()),
            (1, holds[0].kept()),
            (2, holds[2].kept()),
        ];
        assert_eq!(listed, expected);
        let totals = txn.open_table(SHOW_ID_TO_KEPT_PLACES).unwrap();
        assert_eq!(totals.get(1).unwrap().unwrap().value(), 3);
        assert_eq!(totals.get(2).unwrap().unwrap().value(), 1);
        assert!(txn
            .list_multimap_tables()
            .unwrap()
            .all(|table| table.name() != SHOW_ID_TO_HOLD_IDS.name()));
    }

    #[test]
    fn the_upgrade_to_schema_9_gives_every_line_the_rate_that_gives_its_tax() {
        use crate::domain::holds::Hold;
        use crate::domain::prices::{tax_included, Line, TicketType};
        use crate::domain::seating::SeatIndex;
        use crate::domain::{HoldId, Reference, Ticket, TicketId};
        use crate::store::codec::{
            decode_price_book, decode_ticket, encode_unrated_hold, encode_unrated_ticket,
        };

        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("old.redb")).unwrap();
        create(&db).unwrap();
        let adult = TicketTypeId::from_u128(77);
        let line = |seat, ticket_type, price, tax| Line {
            seat,
            ticket_type,
            price,
            tax,
            tax_rate: 0,
        };
        let txn = db.begin_write().unwrap();
        let admission = {
            txn.open_table(META)
                .unwrap()
                .insert(SCHEMA_VERSION_KEY, 8)
                .unwrap();
            let mut books = txn.open_table(PRICE_BOOK).unwrap();
            let mut book =
                decode_price_book(books.get(PRICE_BOOK_KEY).unwrap().unwrap().value()).unwrap();
            book.types.push(TicketType {
                id: adult,
                name: "Adult".into(),
                tax_rate: 700,
                channels: crate::domain::prices::Channels::ALL,
                proof: None,
            });
            books
                .insert(PRICE_BOOK_KEY, encode_price_book(&book).as_slice())
                .unwrap();
            book.types[0].id
        };
        assert_eq!(tax_included(1_250, 700), 82);
        let ticket = Ticket {
            id: TicketId::from_u128(5),
            show_id: ShowId::from_u128(1),
            user_name: "Asha".into(),
            phone: crate::domain::Phone::Number(9876543210),
            count: 3,
            seats: vec![SeatIndex(0), SeatIndex(1), SeatIndex(2)],
            created_at: 0,
            reference: Reference::candidate(5, 0),
            lines: vec![
                line(Some(SeatIndex(0)), admission, 0, 0),
                line(Some(SeatIndex(1)), adult, 1_250, 82),
                // Sold at another rate than the type's now: the lowest giving it.
                line(Some(SeatIndex(2)), adult, 1_250, 200),
            ],
        };
        let hold = Hold {
            id: HoldId::from_u128(6),
            show_id: ShowId::from_u128(1),
            seats: Vec::new(),
            count: 1,
            expires_at: 9_000,
            created_at: 0,
            client: None,
            lines: vec![line(None, adult, 1_250, 82)],
        };
        {
            txn.open_table(TICKET_ID_TO_TICKET)
                .unwrap()
                .insert(5, encode_unrated_ticket(&ticket).as_slice())
                .unwrap();
            txn.open_table(HOLD_ID_TO_HOLD)
                .unwrap()
                .insert(6, encode_unrated_hold(&hold).as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
        // Read before the upgrade, an Adult line's rate is only the lowest
        // that gives its tax.
        {
            let txn = db.begin_read().unwrap();
            let tickets = txn.open_table(TICKET_ID_TO_TICKET).unwrap();
            let read = decode_ticket(5, tickets.get(5).unwrap().unwrap().value()).unwrap();
            assert_eq!(read.lines[1].tax_rate, 698);
        }
        assert_eq!(plan(&db, "old").unwrap(), Plan::Upgrade { from: 8 });
        upgrade(&db, 8, "old").unwrap();
        assert_eq!(plan(&db, "old").unwrap(), Plan::Current);
        let txn = db.begin_read().unwrap();
        let tickets = txn.open_table(TICKET_ID_TO_TICKET).unwrap();
        let upgraded = decode_ticket(5, tickets.get(5).unwrap().unwrap().value()).unwrap();
        let rates: Vec<u16> = upgraded.lines.iter().map(|line| line.tax_rate).collect();
        let lowest = crate::domain::prices::rate_giving(1_250, 200, None);
        assert_eq!(rates, [0, 700, lowest]);
        assert_eq!(tax_included(1_250, lowest), 200);
        assert!(upgraded.lines.iter().all(Line::tax_is_right));
        let holds = txn.open_table(HOLD_ID_TO_HOLD).unwrap();
        let upgraded = decode_hold(6, holds.get(6).unwrap().unwrap().value()).unwrap();
        assert_eq!(upgraded.lines[0].tax_rate, 700);
    }
}
