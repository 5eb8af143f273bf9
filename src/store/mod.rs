//! The redb store: one method per use case, each write use case inside the
//! write transaction it is given, so that several can share one commit.

mod codec;
mod tables;

use std::path::Path;

use redb::{
    Builder, Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, StorageBackend, Table, TableHandle, WriteTransaction,
};

use crate::domain::rules::{ensure_not_past, expiry_cutoff, is_expired, seats_after_booking};
use crate::domain::{Millis, Phone, Show, ShowId, Ticket, TicketId};
use crate::error::Error;
use codec::{decode_show, decode_ticket, encode_show, encode_ticket};
use tables::*;

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

#[derive(Debug)]
pub enum StoreError {
    /// The file could not be opened or is not a boxoffice database of this schema.
    Open(String),
    Redb(redb::Error),
    /// A stored record or index is not what this build wrote.
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open(message) | Self::Corrupt(message) => f.write_str(message),
            Self::Redb(error) => write!(f, "storage error: {error}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl<E: Into<redb::Error>> From<E> for StoreError {
    fn from(error: E) -> Self {
        Self::Redb(error.into())
    }
}

impl From<codec::DecodeError> for StoreError {
    fn from(error: codec::DecodeError) -> Self {
        Self::Corrupt(error.to_string())
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Error::internal(error)
    }
}

/// The rules a store applies when it creates shows and judges expiry.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Seats of a show created from now on.
    pub capacity: u32,
    pub expire_after_ms: i64,
}

/// A write use case, applied by [`Store::execute`].
#[derive(Clone, Debug)]
pub enum Command {
    Book {
        user_name: String,
        phone: Phone,
        count: u64,
        starts_at: Millis,
    },
    Move {
        ticket: TicketId,
        starts_at: Millis,
    },
    Delete {
        ticket: TicketId,
    },
    /// Deletes expired shows with their tickets, at most `budget` records.
    Purge {
        budget: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// The ticket as booked or moved, with the show it now belongs to.
    Ticket(Ticket, Show),
    Deleted,
    Purged(PurgeReport),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub shows: usize,
    pub tickets: usize,
    /// The budget ran out: more expired records may be waiting.
    pub more: bool,
}

/// Mints ids in increasing order, so a show's tickets sort in booking order
/// even within one millisecond, and even after the system clock stepped back.
#[derive(Default)]
pub struct IdMinter {
    generator: ulid::Generator,
    last: u128,
}

impl IdMinter {
    /// A minter whose ids all sort after `last`.
    pub fn after(last: u128) -> Self {
        Self {
            generator: ulid::Generator::new(),
            last,
        }
    }

    fn next(&mut self) -> Result<u128, StoreError> {
        let fresh = self
            .generator
            .generate()
            .map_err(|error| StoreError::Corrupt(format!("cannot mint an id: {error}")))?
            .0;
        let id = if fresh > self.last {
            fresh
        } else {
            self.last
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt("no ids left to mint".into()))?
        };
        self.last = id;
        Ok(id)
    }
}

/// How to find a show.
#[derive(Clone, Copy, Debug)]
pub enum ShowKey {
    Id(ShowId),
    StartsAt(Millis),
}

pub struct Store {
    db: Database,
    rules: Rules,
}

impl Store {
    /// Opens the database at `path`, creating it (and its folder) if needed.
    pub fn open(path: &Path, cache_size: usize, rules: Rules) -> Result<Self, StoreError> {
        let shown = path.display();
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| {
                StoreError::Open(format!(
                    "cannot create folder {}: {error}",
                    folder.display()
                ))
            })?;
        }
        let db = Builder::new()
            .set_cache_size(cache_size)
            .create(path)
            .map_err(|error| StoreError::Open(format!("cannot open database {shown}: {error}")))?;
        Self::on_database(db, rules, &format!("database {shown}"))
    }

    /// Opens the database kept by any redb storage backend, creating it if
    /// the backend is empty. The crash tests use a backend that loses, as a
    /// power cut does, whatever was written after the last sync.
    pub fn open_on_backend(
        backend: impl StorageBackend,
        cache_size: usize,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let db = Builder::new()
            .set_cache_size(cache_size)
            .create_with_backend(backend)
            .map_err(|error| StoreError::Open(format!("cannot open database: {error}")))?;
        Self::on_database(db, rules, "database")
    }

    fn on_database(db: Database, rules: Rules, named: &str) -> Result<Self, StoreError> {
        let store = Self { db, rules };
        store
            .check_schema()
            .map_err(|error| StoreError::Open(format!("{named}: {error}")))?;
        Ok(store)
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Writes the schema version into a new file; refuses a file of another
    /// version or another program.
    fn check_schema(&self) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let foreign_tables = txn
                .list_tables()?
                .filter(|table| table.name() != META.name())
                .count();
            let mut meta = txn.open_table(META)?;
            let version = meta.get(SCHEMA_VERSION_KEY)?.map(|guard| guard.value());
            match version {
                Some(SCHEMA_VERSION) => {}
                Some(found) if found > SCHEMA_VERSION => {
                    return Err(StoreError::Open(format!(
                        "written by a newer boxoffice (schema {found}); this build reads schema {SCHEMA_VERSION}"
                    )))
                }
                Some(found) => {
                    return Err(StoreError::Open(format!(
                        "written by an older boxoffice (schema {found}); this build reads schema {SCHEMA_VERSION} and cannot upgrade it"
                    )))
                }
                None if foreign_tables > 0 => {
                    return Err(StoreError::Open(
                        "not a boxoffice database (it holds other tables and no schema version)"
                            .into(),
                    ))
                }
                None => {
                    meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
                }
            }
            Tables::open(&txn)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        Ok(txn)
    }

    /// Applies `commands` in order inside ONE durable write transaction. Each
    /// gets its own answer; a refused command writes nothing and does not
    /// affect the others. A storage failure aborts them all (`Err`).
    pub fn execute(
        &self,
        commands: &[Command],
        now: Millis,
        ids: &mut IdMinter,
    ) -> Result<Vec<Result<Done, Error>>, StoreError> {
        let txn = self.begin_write()?;
        let answers = {
            let mut tables = Tables::open(&txn)?;
            let mut answers = Vec::with_capacity(commands.len());
            for command in commands {
                let answer = match command {
                    Command::Book {
                        user_name,
                        phone,
                        count,
                        starts_at,
                    } => tables.book(self.rules, ids, now, user_name, phone, *count, *starts_at),
                    Command::Move { ticket, starts_at } => {
                        tables.move_ticket(self.rules, ids, now, *ticket, *starts_at)
                    }
                    Command::Delete { ticket } => tables.delete(*ticket),
                    Command::Purge { budget } => tables
                        .purge(expiry_cutoff(now, self.rules.expire_after_ms), *budget)
                        .map(Done::Purged),
                };
                answers.push(match answer {
                    Ok(done) => Ok(done),
                    Err(Failure::Refused(error)) => Err(error),
                    Err(Failure::Storage(error)) => return Err(error),
                });
            }
            answers
        };
        txn.commit()?;
        Ok(answers)
    }

    /// Runs one command in its own transaction.
    pub fn execute_one(
        &self,
        command: Command,
        now: Millis,
        ids: &mut IdMinter,
    ) -> Result<Done, Error> {
        self.execute(&[command], now, ids)?
            .pop()
            .unwrap_or_else(|| Err(Error::internal("a command got no answer")))
    }

    fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.db.begin_read()?)
    }

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

    /// A show with its tickets in booking order, from one snapshot.
    pub fn show_with_tickets(
        &self,
        key: ShowKey,
    ) -> Result<Option<(Show, Vec<Ticket>)>, StoreError> {
        let txn = self.begin_read()?;
        let id = match key {
            ShowKey::Id(id) => id,
            ShowKey::StartsAt(instant) => {
                let starts = txn.open_table(SHOW_START_TO_SHOW_ID)?;
                match starts.get(instant)? {
                    Some(id) => ShowId::from_u128(id.value()),
                    None => return Ok(None),
                }
            }
        };
        read_show_with_tickets(&txn, id)
    }

    /// Every show with its tickets, in start order, from one snapshot: for
    /// audits and tests.
    pub fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, StoreError> {
        let txn = self.begin_read()?;
        let starts = txn.open_table(SHOW_START_TO_SHOW_ID)?;
        let mut all = Vec::new();
        for entry in starts.iter()? {
            let id = ShowId::from_u128(entry?.1.value());
            let show = read_show_with_tickets(&txn, id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("start index points at missing show {id}"))
            })?;
            all.push(show);
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
        let last_show = txn
            .open_table(SHOW_ID_TO_SHOW)?
            .last()?
            .map(|(id, _)| id.value());
        Ok(IdMinter::after(last_ticket.max(last_show).unwrap_or(0)))
    }

    /// How many tickets are stored.
    pub fn ticket_total(&self) -> Result<u64, StoreError> {
        let txn = self.begin_read()?;
        Ok(txn.open_table(TICKET_ID_TO_TICKET)?.len()?)
    }
}

/// Why a command did not apply: a rule refused it (nothing written), or
/// storage failed (the whole transaction must go).
enum Failure {
    Refused(Error),
    Storage(StoreError),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Refused(error)
    }
}

impl<E: Into<StoreError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::Storage(error.into())
    }
}

fn dangling(ticket: &Ticket) -> StoreError {
    StoreError::Corrupt(format!(
        "ticket {} belongs to missing show {}",
        ticket.id, ticket.show_id
    ))
}

/// A show and its tickets in booking order, as `txn` sees them.
fn read_show_with_tickets(
    txn: &ReadTransaction,
    id: ShowId,
) -> Result<Option<(Show, Vec<Ticket>)>, StoreError> {
    let shows = txn.open_table(SHOW_ID_TO_SHOW)?;
    let Some(show) = read_show(&shows, id)? else {
        return Ok(None);
    };
    let index = txn.open_table(SHOW_ID_TICKET_ID)?;
    let tickets = txn.open_table(TICKET_ID_TO_TICKET)?;
    let mut found = Vec::with_capacity(show.sold as usize);
    for entry in index.range((id.as_u128(), 0)..=(id.as_u128(), u128::MAX))? {
        let ticket_id = TicketId::from_u128(entry?.0.value().1);
        let ticket = read_ticket(&tickets, ticket_id)?.ok_or_else(|| {
            StoreError::Corrupt(format!("show {id} lists missing ticket {ticket_id}"))
        })?;
        found.push(ticket);
    }
    Ok(Some((show, found)))
}

fn read_show(
    shows: &impl ReadableTable<u128, &'static [u8]>,
    id: ShowId,
) -> Result<Option<Show>, StoreError> {
    match shows.get(id.as_u128())? {
        Some(bytes) => Ok(Some(decode_show(id.as_u128(), bytes.value())?)),
        None => Ok(None),
    }
}

fn read_ticket(
    tickets: &impl ReadableTable<u128, &'static [u8]>,
    id: TicketId,
) -> Result<Option<Ticket>, StoreError> {
    match tickets.get(id.as_u128())? {
        Some(bytes) => Ok(Some(decode_ticket(id.as_u128(), bytes.value())?)),
        None => Ok(None),
    }
}

/// The tables of one write transaction, opened once for a whole batch.
struct Tables<'txn> {
    shows: Table<'txn, u128, &'static [u8]>,
    starts: Table<'txn, i64, u128>,
    tickets: Table<'txn, u128, &'static [u8]>,
    show_tickets: Table<'txn, (u128, u128), ()>,
}

impl<'txn> Tables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            shows: txn.open_table(SHOW_ID_TO_SHOW)?,
            starts: txn.open_table(SHOW_START_TO_SHOW_ID)?,
            tickets: txn.open_table(TICKET_ID_TO_TICKET)?,
            show_tickets: txn.open_table(SHOW_ID_TICKET_ID)?,
        })
    }

    /// The show starting at `starts_at`, or a new empty one (not yet written).
    fn show_at(
        &self,
        rules: Rules,
        ids: &mut IdMinter,
        starts_at: Millis,
    ) -> Result<Show, StoreError> {
        let existing = self
            .starts
            .get(starts_at)?
            .map(|id| ShowId::from_u128(id.value()));
        if let Some(id) = existing {
            return read_show(&self.shows, id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("start index points at missing show {id}"))
            });
        }
        Ok(Show {
            id: ShowId::from_u128(ids.next()?),
            starts_at,
            capacity: rules.capacity,
            sold: 0,
        })
    }

    fn put_show(&mut self, show: &Show) -> Result<(), StoreError> {
        let is_new = self
            .shows
            .insert(show.id.as_u128(), encode_show(show).as_slice())?
            .is_none();
        if is_new {
            self.starts.insert(show.starts_at, show.id.as_u128())?;
        }
        Ok(())
    }

    fn ticket(&self, id: TicketId) -> Result<(Ticket, Show), Failure> {
        let ticket = read_ticket(&self.tickets, id)?.ok_or(Error::TicketNotFound)?;
        let show = read_show(&self.shows, ticket.show_id)?.ok_or_else(|| dangling(&ticket))?;
        Ok((ticket, show))
    }

    #[allow(clippy::too_many_arguments)]
    fn book(
        &mut self,
        rules: Rules,
        ids: &mut IdMinter,
        now: Millis,
        user_name: &str,
        phone: &Phone,
        count: u64,
        starts_at: Millis,
    ) -> Result<Done, Failure> {
        ensure_not_past(starts_at, now)?;
        let mut show = self.show_at(rules, ids, starts_at)?;
        show.sold = seats_after_booking(show.sold, count, show.capacity)?;
        let ticket = Ticket {
            id: TicketId::from_u128(ids.next()?),
            show_id: show.id,
            user_name: user_name.to_owned(),
            phone: phone.clone(),
            // seats_after_booking bounds it by the capacity, a u32
            count: count as u32,
        };
        self.put_show(&show)?;
        self.tickets
            .insert(ticket.id.as_u128(), encode_ticket(&ticket).as_slice())?;
        self.show_tickets
            .insert((show.id.as_u128(), ticket.id.as_u128()), ())?;
        Ok(Done::Ticket(ticket, show))
    }

    fn move_ticket(
        &mut self,
        rules: Rules,
        ids: &mut IdMinter,
        now: Millis,
        id: TicketId,
        starts_at: Millis,
    ) -> Result<Done, Failure> {
        let (mut ticket, mut from) = self.ticket(id)?;
        if is_expired(from.starts_at, rules.expire_after_ms, now) {
            return Err(Error::TicketExpired.into());
        }
        ensure_not_past(starts_at, now)?;
        if from.starts_at == starts_at {
            return Ok(Done::Ticket(ticket, from));
        }
        let mut to = self.show_at(rules, ids, starts_at)?;
        to.sold = seats_after_booking(to.sold, u64::from(ticket.count), to.capacity)?;
        from.sold = from.sold.saturating_sub(ticket.count);
        ticket.show_id = to.id;
        self.put_show(&from)?;
        self.put_show(&to)?;
        self.tickets
            .insert(ticket.id.as_u128(), encode_ticket(&ticket).as_slice())?;
        self.show_tickets
            .remove((from.id.as_u128(), id.as_u128()))?;
        self.show_tickets
            .insert((to.id.as_u128(), id.as_u128()), ())?;
        Ok(Done::Ticket(ticket, to))
    }

    fn delete(&mut self, id: TicketId) -> Result<Done, Failure> {
        let (ticket, mut show) = self.ticket(id)?;
        show.sold = show.sold.saturating_sub(ticket.count);
        self.put_show(&show)?;
        self.tickets.remove(id.as_u128())?;
        self.show_tickets
            .remove((show.id.as_u128(), id.as_u128()))?;
        Ok(Done::Deleted)
    }

    /// Deletes shows that started at or before `cutoff`, oldest first, with
    /// their tickets; each deleted show or ticket spends one unit of `budget`.
    fn purge(&mut self, cutoff: Millis, budget: usize) -> Result<PurgeReport, Failure> {
        let mut report = PurgeReport::default();
        let mut left = budget;
        let expired: Vec<ShowId> = self
            .starts
            .range(..=cutoff)?
            .take(budget)
            .map(|entry| entry.map(|(_, id)| ShowId::from_u128(id.value())))
            .collect::<Result<_, _>>()?;
        for show_id in expired {
            if left == 0 {
                report.more = true;
                break;
            }
            let key = show_id.as_u128();
            let ticket_ids: Vec<u128> = self
                .show_tickets
                .range((key, 0)..=(key, u128::MAX))?
                .take(left)
                .map(|entry| entry.map(|(pair, _)| pair.value().1))
                .collect::<Result<_, _>>()?;
            let mut show = read_show(&self.shows, show_id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("start index points at missing show {show_id}"))
            })?;
            for ticket_id in &ticket_ids {
                let removed = self.tickets.remove(*ticket_id)?;
                let count = match removed {
                    Some(bytes) => decode_ticket(*ticket_id, bytes.value())?.count,
                    None => 0,
                };
                show.sold = show.sold.saturating_sub(count);
                self.show_tickets.remove((key, *ticket_id))?;
            }
            left -= ticket_ids.len();
            report.tickets += ticket_ids.len();
            let emptied = self
                .show_tickets
                .range((key, 0)..=(key, u128::MAX))?
                .next()
                .is_none();
            if emptied && left > 0 {
                self.shows.remove(key)?;
                self.starts.remove(show.starts_at)?;
                left -= 1;
                report.shows += 1;
            } else {
                self.put_show(&show)?;
                report.more = true;
                break;
            }
        }
        if left == 0 {
            report.more = true;
        }
        Ok(report)
    }
}
