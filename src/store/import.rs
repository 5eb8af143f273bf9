//! Filling an empty database with records from outside (`boxoffice import`,
//! of a dump or of the old service's data), in ONE write transaction: every
//! record is checked first, the indexes are derived from the records, and
//! the result is checked for every invariant before it replaces the empty
//! file. Refused input imports nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use redb::{Builder, Durability, ReadableTable, ReadableTableMetadata};

use super::codec::{
    encode_account, encode_answer, encode_audit, encode_film, encode_hold, encode_kept, encode_key,
    encode_screen, encode_show, encode_ticket, kept_key, AnswerRecord,
};
use super::error::StoreError;
use super::schema;
use super::tables::{
    AUDIT_ID_TO_ENTRY, FILM_ID_TO_FILM, FILM_ID_TO_SHOW_IDS, HOLD_EXPIRY_TO_HOLD_IDS,
    HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER, IDEMPOTENCY_TIME_TO_KEYS, ID_HIGH_WATER,
    KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY, LAST_ID_KEY, LOGIN_TO_STAFF_ID, REFERENCE_TO_TICKET_ID,
    SCREEN_ID_TO_SCREEN, SCREEN_START_TO_SHOW_ID, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES,
    SHOW_ID_TO_SHOW, SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, STAFF_ID_TO_ACCOUNT,
    TICKET_ID_TO_TICKET,
};
use super::Store;
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::Hold;
use crate::domain::price_book::PriceBook;
use crate::domain::staff::{Account, ApiKey, AuditEntry};
use crate::domain::{Rules, Show, Ticket};

/// Every record to import, each with where it came from (`file:line`).
#[derive(Debug, Default)]
pub struct Records {
    pub last_id: Option<u128>,
    /// The purge's heartbeat (see [`crate::clock`]), when the dump has one.
    pub trusted_time: Option<u64>,
    pub screens: Vec<(String, Screen)>,
    pub films: Vec<(String, Film)>,
    pub shows: Vec<(String, Show)>,
    pub tickets: Vec<(String, Ticket)>,
    pub holds: Vec<(String, Hold)>,
    pub answers: Vec<(String, Vec<u8>, AnswerRecord)>,
    /// Absent in dumps before schema 6: the database's starting one.
    pub price_book: Option<crate::domain::price_book::PriceBook>,
    pub accounts: Vec<(String, Account)>,
    pub keys: Vec<(String, ApiKey)>,
    pub audit: Vec<(String, AuditEntry)>,
    /// From a dump before schema 9, whose lines carry no tax rate: each is
    /// given its type's when that gives its tax (`PriceBook::rate_lines`).
    pub unrated_lines: bool,
}

impl Records {
    pub fn count(&self) -> usize {
        self.screens.len()
            + self.films.len()
            + self.shows.len()
            + self.tickets.len()
            + self.holds.len()
            + self.answers.len()
            + self.accounts.len()
            + self.keys.len()
            + self.audit.len()
    }
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The database cannot be opened (it is held by the service, damaged...).
    #[error(transparent)]
    CannotOpen(StoreError),
    #[error("{} already holds {records} records; import only fills an empty database", .path.display())]
    NotEmpty { path: PathBuf, records: u64 },
    /// A record does not fit with the others: where it came from, and why.
    #[error("{at}: {why}; nothing was imported")]
    Refused { at: String, why: String },
    /// The records together break the contract's invariants.
    #[error("the records break {} invariants (first: {}); nothing was imported", .0.len(), .0.first().map_or("", String::as_str))]
    Problems(Vec<String>),
    #[error("cannot write the imported database")]
    Write(#[source] StoreError),
}

fn refused(at: &str, why: impl Into<String>) -> ImportError {
    ImportError::Refused {
        at: at.to_owned(),
        why: why.into(),
    }
}

/// Fills the empty database at `path` (created if missing) with `records`.
pub fn import(
    path: &Path,
    cache_size: usize,
    rules: Rules,
    records: &Records,
) -> Result<(), ImportError> {
    {
        // Creates the file if need be, and holds it while it is looked at.
        let store = Store::open(path, cache_size, rules).map_err(ImportError::CannotOpen)?;
        let held = store.records().map_err(ImportError::CannotOpen)?;
        if held > 0 {
            return Err(ImportError::NotEmpty {
                path: path.to_owned(),
                records: held,
            });
        }
    }
    validate(records, rules)?;
    let mut name = path.as_os_str().to_owned();
    name.push(".importing");
    let partial = PathBuf::from(name);
    let written = write(&partial, records).map_err(ImportError::Write);
    let checked = written.and_then(|()| {
        let problems = super::check::check_file(&partial).map_err(ImportError::Write)?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Problems(problems))
        }
    });
    if let Err(error) = checked {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let io = |source: std::io::Error| {
        ImportError::Write(StoreError::Copy {
            to: path.to_owned(),
            why: "cannot move the imported database into place".into(),
            source: Some(source),
        })
    };
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)?;
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::File::open(folder)
            .and_then(|folder| folder.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// Each record against the others: unique ids, existing screens, films and
/// shows, counts that add up, seats within the map, one show per instant.
fn validate(records: &Records, rules: Rules) -> Result<(), ImportError> {
    let mut screens = BTreeMap::new();
    for (at, screen) in &records.screens {
        if screen.id.is_default() {
            return Err(refused(
                at,
                "the default screen comes from the configuration, not a record",
            ));
        }
        if screens.insert(screen.id, screen).is_some() {
            return Err(refused(at, format!("screen {} twice", screen.id)));
        }
    }
    let mut films = BTreeSet::new();
    for (at, film) in &records.films {
        if !films.insert(film.id) {
            return Err(refused(at, format!("film {} twice", film.id)));
        }
    }
    let default_screen = Screen::default_screen(rules.capacity);
    let mut shows = BTreeMap::new();
    let mut instants = BTreeSet::new();
    for (at, show) in &records.shows {
        let screen = if show.screen.is_default() {
            &default_screen
        } else {
            *screens.get(&show.screen).ok_or_else(|| {
                refused(
                    at,
                    format!(
                        "show {} is on screen {}, which is not among the records",
                        show.id, show.screen
                    ),
                )
            })?
        };
        if let Some(film) = show.film.filter(|film| !films.contains(film)) {
            return Err(refused(
                at,
                format!(
                    "show {} is of film {film}, which is not among the records",
                    show.id
                ),
            ));
        }
        let map_len = screen
            .layout
            .seat_map()
            .map(crate::domain::seating::SeatMap::len);
        if show
            .sold_seats
            .as_ref()
            .map(crate::domain::seating::SeatSet::map_len)
            != map_len
        {
            return Err(refused(
                at,
                format!(
                    "show {}: its seats do not fit the seat map of screen {}",
                    show.id, show.screen
                ),
            ));
        }
        if !instants.insert((show.screen, show.starts_at)) {
            return Err(refused(
                at,
                format!(
                    "show {}: another show starts at the same instant on screen {}",
                    show.id, show.screen
                ),
            ));
        }
        if shows.insert(show.id, (show, 0u64)).is_some() {
            return Err(refused(at, format!("show {} twice", show.id)));
        }
    }
    validate_sales(records, shows)
}

/// Tickets and holds against their shows; the show counts against the tickets.
fn validate_sales(
    records: &Records,
    mut shows: BTreeMap<crate::domain::ShowId, (&Show, u64)>,
) -> Result<(), ImportError> {
    let mut tickets = BTreeSet::new();
    let mut references = BTreeSet::new();
    for (at, ticket) in &records.tickets {
        if !tickets.insert(ticket.id) {
            return Err(refused(at, format!("ticket {} twice", ticket.id)));
        }
        if !references.insert(ticket.reference) {
            return Err(refused(
                at,
                format!(
                    "ticket {} has reference {}, which another ticket has",
                    ticket.id, ticket.reference
                ),
            ));
        }
        let (show, sum) = shows.get_mut(&ticket.show_id).ok_or_else(|| {
            refused(
                at,
                format!(
                    "ticket {} belongs to show {}, which is not among the records",
                    ticket.id, ticket.show_id
                ),
            )
        })?;
        if let Some(seat) = ticket.seats.iter().find(|seat| {
            show.sold_seats
                .as_ref()
                .is_none_or(|sold| !sold.contains(**seat))
        }) {
            return Err(refused(
                at,
                format!(
                    "ticket {} names seat {} which its show does not mark sold",
                    ticket.id, seat.0
                ),
            ));
        }
        *sum += u64::from(ticket.count);
    }
    if let Some((at, show)) = records.shows.iter().find(|(_, show)| {
        shows
            .get(&show.id)
            .is_some_and(|(_, sum)| *sum != u64::from(show.sold))
    }) {
        let sum = shows.get(&show.id).map_or(0, |(_, sum)| *sum);
        return Err(refused(
            at,
            format!(
                "show {} counts {} seats sold but its tickets hold {sum}",
                show.id, show.sold
            ),
        ));
    }
    let mut holds = BTreeSet::new();
    for (at, hold) in &records.holds {
        if !holds.insert(hold.id) {
            return Err(refused(at, format!("hold {} twice", hold.id)));
        }
        if !shows.contains_key(&hold.show_id) {
            return Err(refused(
                at,
                format!(
                    "hold {} is of show {}, which is not among the records",
                    hold.id, hold.show_id
                ),
            ));
        }
    }
    let mut keys = BTreeSet::new();
    for (at, key, _) in &records.answers {
        if !keys.insert(key) {
            return Err(refused(at, "an idempotency key twice"));
        }
    }
    let mut logins = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (at, account) in &records.accounts {
        if !logins.insert(&account.login) || !ids.insert(account.id) {
            return Err(refused(at, format!("staff {} twice", account.login)));
        }
    }
    let mut digests = BTreeSet::new();
    for (at, key) in &records.keys {
        if !digests.insert(key.digest) || !ids.insert(key.id) {
            return Err(refused(at, "an API key twice"));
        }
    }
    for (at, entry) in &records.audit {
        if !ids.insert(entry.id) {
            return Err(refused(at, "an audit entry twice"));
        }
    }
    Ok(())
}

/// A fresh database at `path` holding `records` and their indexes.
/// A ticket as the import writes it: sold before prices, with lines at 0
/// of the first type; from a dump before lines kept their tax rate
/// (`unrated`), each line with the rate that gives its tax.
fn imported_ticket(ticket: &Ticket, book: &PriceBook, unrated: bool) -> Ticket {
    let mut ticket = ticket.clone();
    if let (true, Some(admission)) = (ticket.lines.is_empty(), book.types.first()) {
        ticket.lines = crate::domain::prices::free_lines(admission.id, &ticket.seats, ticket.count);
    }
    if unrated {
        book.rate_lines(&mut ticket.lines);
    }
    ticket
}

fn write(path: &Path, records: &Records) -> Result<(), StoreError> {
    let _ = std::fs::remove_file(path);
    let what = format!("database {}", path.display());
    // Private to its user, whatever the umask.
    let file = super::files::create_new(path).map_err(|source| StoreError::CreateFile {
        path: path.to_owned(),
        source,
    })?;
    let backend = redb::backends::FileBackend::new(file).map_err(|source| StoreError::Open {
        what: what.clone(),
        source,
    })?;
    let db = Builder::new()
        .create_with_backend(backend)
        .map_err(|source| StoreError::Open { what, source })?;
    schema::create(&db)?;
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    {
        if let Some(last) = records.last_id {
            txn.open_table(ID_HIGH_WATER)?.insert(LAST_ID_KEY, last)?;
        }
        if let Some(at) = records.trusted_time {
            txn.open_table(super::tables::META)?
                .insert(super::tables::TRUSTED_TIME_KEY, at)?;
        }
        let mut screens = txn.open_table(SCREEN_ID_TO_SCREEN)?;
        for (_, screen) in &records.screens {
            screens.insert(screen.id.as_u128(), encode_screen(screen).as_slice())?;
        }
        let mut films = txn.open_table(FILM_ID_TO_FILM)?;
        for (_, film) in &records.films {
            films.insert(film.id.as_u128(), encode_film(film).as_slice())?;
        }
        let mut shows = txn.open_table(SHOW_ID_TO_SHOW)?;
        let mut by_screen = txn.open_table(SCREEN_START_TO_SHOW_ID)?;
        let mut by_start = txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?;
        let mut by_film = txn.open_multimap_table(FILM_ID_TO_SHOW_IDS)?;
        for (_, show) in &records.shows {
            let id = show.id.as_u128();
            shows.insert(id, encode_show(show).as_slice())?;
            by_screen.insert((show.screen.as_u128(), show.starts_at), id)?;
            by_start.insert(show.starts_at, id)?;
            if let Some(film) = show.film {
                by_film.insert(film.as_u128(), id)?;
            }
        }
        let mut book_table = txn.open_table(super::tables::PRICE_BOOK)?;
        if let Some(book) = &records.price_book {
            book_table.insert(
                super::codec::PRICE_BOOK_KEY,
                super::codec::encode_price_book(book).as_slice(),
            )?;
        }
        let book = match book_table.get(super::codec::PRICE_BOOK_KEY)? {
            Some(bytes) => super::codec::decode_price_book(bytes.value())?,
            None => return Err(StoreError::Corrupt("the price book is missing".into())),
        };
        drop(book_table);
        let mut tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
        let mut show_tickets = txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?;
        let mut references = txn.open_table(REFERENCE_TO_TICKET_ID)?;
        for (_, ticket) in &records.tickets {
            let ticket = &imported_ticket(ticket, &book, records.unrated_lines);
            tickets.insert(ticket.id.as_u128(), encode_ticket(ticket).as_slice())?;
            show_tickets.insert(ticket.show_id.as_u128(), ticket.id.as_u128())?;
            references.insert(ticket.reference.as_u32(), ticket.id.as_u128())?;
        }
        let mut holds = txn.open_table(HOLD_ID_TO_HOLD)?;
        let mut show_kept = txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?;
        let mut places = BTreeMap::<u128, u64>::new();
        let mut expiries = txn.open_multimap_table(HOLD_EXPIRY_TO_HOLD_IDS)?;
        for (_, hold) in &records.holds {
            let mut hold = hold.clone();
            if records.unrated_lines {
                book.rate_lines(&mut hold.lines);
            }
            let hold = &hold;
            let id = hold.id.as_u128();
            holds.insert(id, encode_hold(hold).as_slice())?;
            let kept = hold.kept();
            show_kept.insert(kept_key(hold.show_id, &kept), encode_kept(&kept).as_slice())?;
            *places.entry(hold.show_id.as_u128()).or_default() += u64::from(hold.count);
            expiries.insert(hold.expires_at, id)?;
        }
        let mut totals = txn.open_table(SHOW_ID_TO_KEPT_PLACES)?;
        for (show, places) in places {
            totals.insert(show, places)?;
        }
        let mut answers = txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?;
        let mut times = txn.open_multimap_table(IDEMPOTENCY_TIME_TO_KEYS)?;
        for (_, key, answer) in &records.answers {
            answers.insert(key.as_slice(), encode_answer(key, answer).as_slice())?;
            times.insert(answer.stored_at, key.as_slice())?;
        }
    }
    write_staff(&txn, records)?;
    txn.commit()?;
    Ok(())
}

/// Staff accounts with their login index, keys with the digest index of
/// those not revoked, and the audit trail.
fn write_staff(txn: &redb::WriteTransaction, records: &Records) -> Result<(), StoreError> {
    let mut staff = txn.open_table(STAFF_ID_TO_ACCOUNT)?;
    let mut logins = txn.open_table(LOGIN_TO_STAFF_ID)?;
    for (_, account) in &records.accounts {
        staff.insert(account.id, encode_account(account).as_slice())?;
        logins.insert(account.login.as_str(), account.id)?;
    }
    let mut keys = txn.open_table(KEY_ID_TO_KEY)?;
    let mut digests = txn.open_table(KEY_DIGEST_TO_KEY_ID)?;
    for (_, key) in &records.keys {
        keys.insert(key.id, encode_key(key).as_slice())?;
        if key.revoked_at.is_none() {
            digests.insert(key.digest.as_slice(), key.id)?;
        }
    }
    let mut audit = txn.open_table(AUDIT_ID_TO_ENTRY)?;
    for (_, entry) in &records.audit {
        audit.insert(entry.id, encode_audit(entry).as_slice())?;
    }
    Ok(())
}

impl Store {
    /// How many records the file holds (its layout aside).
    pub fn records(&self) -> Result<u64, StoreError> {
        let txn = self.begin_read()?;
        let mut count = 0;
        for table in [
            SCREEN_ID_TO_SCREEN,
            FILM_ID_TO_FILM,
            SHOW_ID_TO_SHOW,
            TICKET_ID_TO_TICKET,
            HOLD_ID_TO_HOLD,
        ] {
            count += txn.open_table(table)?.len()?;
        }
        count += txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?.len()?;
        for table in [STAFF_ID_TO_ACCOUNT, KEY_ID_TO_KEY, AUDIT_ID_TO_ENTRY] {
            count += txn.open_table(table)?.len()?;
        }
        count += txn.open_table(ID_HIGH_WATER)?.iter()?.count() as u64;
        Ok(count)
    }
}
