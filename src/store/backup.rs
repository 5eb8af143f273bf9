//! `boxoffice backup FILE`: a consistent copy of a database file, also while
//! the service runs on it and sells. The copy is written through redb, table
//! by table from ONE read transaction of the live file into a fresh file,
//! which is synced and then renamed into place: never the raw bytes of a file
//! another process may be writing.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use redb::{
    Builder, Database, Durability, Key, MultimapTableDefinition, MultimapTableHandle,
    ReadTransaction, ReadableMultimapTable, ReadableTable, TableDefinition, TableHandle, Value,
    WriteTransaction,
};

use super::error::StoreError;
use super::files;
use super::snapshot::Snapshot;
use super::tables::{
    ANSWER_KEY_TO_CLIENT, AUDIT_ID_TO_ENTRY, CLIENT_TIME_KEY_TO_UNIT, CLIENT_TO_HOLD_IDS,
    COOLDOWN_END_TO_KEYS, COOLDOWN_KEY_TO_COOLDOWN, FILM_ID_TO_FILM, FILM_ID_TO_SHOW_IDS,
    HOLD_EXPIRY_TO_HOLD_IDS, HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER, IDEMPOTENCY_TIME_TO_KEYS,
    ID_HIGH_WATER, KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY, LOGIN_TO_STAFF_ID, LOGIN_TO_THROTTLE, META,
    PRICE_BOOK, REFERENCE_TO_TICKET_ID, SCREEN_ID_TO_SCREEN, SCREEN_START_TO_SHOW_ID,
    SESSION_DIGEST_TO_SESSION, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW,
    SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, STAFF_ID_TO_ACCOUNT, TICKET_ID_TO_TICKET,
};

/// What a backup copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    pub tables: usize,
    /// Entries of every table (a multimap's values counted one by one).
    pub entries: u64,
    /// The copy's size on disk.
    pub bytes: u64,
    pub took: Duration,
}

/// Why a backup failed: the database could not be read, or the copy not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Source(StoreError),
    #[error(transparent)]
    Copy(StoreError),
}

/// Copies the snapshot of `from` that is current when the copy begins into
/// `to` (replaced whole, or left as it was).
pub fn back_up(from: &Path, to: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if files::is_database_or_beside(from, to) {
        return Err(BackupError::Copy(StoreError::Copy {
            to: to.to_owned(),
            why: "it is the database itself or a file the service keeps beside it".into(),
            source: None,
        }));
    }
    let snapshot = Snapshot::open(from).map_err(BackupError::Source)?;
    let partial = files::partial_beside(to);
    let written = write_copy(snapshot.txn(), &partial);
    drop(snapshot);
    let (tables, entries) = match written {
        Ok(counts) => counts,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(BackupError::Copy(error));
        }
    };
    let io = |why: &str| {
        let why = why.to_owned();
        let to = to.to_owned();
        move |source| StoreError::Copy {
            to,
            why,
            source: Some(source),
        }
    };
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(io("cannot sync the copy"))
        .map_err(BackupError::Copy)?;
    files::move_into_place(&partial, to)
        .map_err(io("cannot move the copy into place"))
        .map_err(BackupError::Copy)?;
    let bytes = std::fs::metadata(to).map_or(0, |meta| meta.len());
    Ok(BackupReport {
        tables,
        entries,
        bytes,
        took: started.elapsed(),
    })
}

/// Writes every table of `source` into a fresh database at `path`, in one
/// durable write transaction; the number of tables and entries copied.
fn write_copy(source: &ReadTransaction, path: &Path) -> Result<(usize, u64), StoreError> {
    let what = format!("database {}", path.display());
    // A new private file, never one found at the name (nor a link's target).
    let file = files::create_new(path).map_err(|source| StoreError::Copy {
        to: path.to_owned(),
        why: "cannot create the copy".into(),
        source: Some(source),
    })?;
    let backend = redb::backends::FileBackend::new(file).map_err(|source| StoreError::Open {
        what: what.clone(),
        source,
    })?;
    let copy = Builder::new()
        .create_with_backend(backend)
        .map_err(|source| StoreError::Open { what, source })?;
    let counts = copy_every_table(source, &copy)?;
    drop(copy);
    Ok(counts)
}

fn copy_every_table(source: &ReadTransaction, copy: &Database) -> Result<(usize, u64), StoreError> {
    let mut txn = copy.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    let mut copied = BTreeSet::new();
    let mut entries = 0;
    entries += copy_table(source, &txn, META, &mut copied)?;
    entries += copy_table(source, &txn, ID_HIGH_WATER, &mut copied)?;
    entries += copy_table(source, &txn, SCREEN_ID_TO_SCREEN, &mut copied)?;
    entries += copy_table(source, &txn, FILM_ID_TO_FILM, &mut copied)?;
    entries += copy_table(source, &txn, SHOW_ID_TO_SHOW, &mut copied)?;
    entries += copy_table(source, &txn, SCREEN_START_TO_SHOW_ID, &mut copied)?;
    entries += copy_multimap(source, &txn, SHOW_START_TO_SHOW_IDS, &mut copied)?;
    entries += copy_multimap(source, &txn, FILM_ID_TO_SHOW_IDS, &mut copied)?;
    entries += copy_table(source, &txn, TICKET_ID_TO_TICKET, &mut copied)?;
    entries += copy_multimap(source, &txn, SHOW_ID_TO_TICKET_IDS, &mut copied)?;
    entries += copy_table(source, &txn, REFERENCE_TO_TICKET_ID, &mut copied)?;
    entries += copy_table(source, &txn, HOLD_ID_TO_HOLD, &mut copied)?;
    entries += copy_table(source, &txn, SHOW_EXPIRY_HOLD_TO_KEPT, &mut copied)?;
    entries += copy_table(source, &txn, SHOW_ID_TO_KEPT_PLACES, &mut copied)?;
    entries += copy_multimap(source, &txn, HOLD_EXPIRY_TO_HOLD_IDS, &mut copied)?;
    entries += copy_multimap(source, &txn, CLIENT_TO_HOLD_IDS, &mut copied)?;
    entries += copy_table(source, &txn, COOLDOWN_KEY_TO_COOLDOWN, &mut copied)?;
    entries += copy_multimap(source, &txn, COOLDOWN_END_TO_KEYS, &mut copied)?;
    entries += copy_table(source, &txn, CLIENT_TIME_KEY_TO_UNIT, &mut copied)?;
    entries += copy_table(source, &txn, ANSWER_KEY_TO_CLIENT, &mut copied)?;
    entries += copy_table(source, &txn, IDEMPOTENCY_KEY_TO_ANSWER, &mut copied)?;
    entries += copy_multimap(source, &txn, IDEMPOTENCY_TIME_TO_KEYS, &mut copied)?;
    entries += copy_table(source, &txn, PRICE_BOOK, &mut copied)?;
    entries += copy_table(source, &txn, STAFF_ID_TO_ACCOUNT, &mut copied)?;
    entries += copy_table(source, &txn, LOGIN_TO_STAFF_ID, &mut copied)?;
    entries += copy_table(source, &txn, KEY_ID_TO_KEY, &mut copied)?;
    entries += copy_table(source, &txn, KEY_DIGEST_TO_KEY_ID, &mut copied)?;
    entries += copy_table(source, &txn, SESSION_DIGEST_TO_SESSION, &mut copied)?;
    entries += copy_table(source, &txn, LOGIN_TO_THROTTLE, &mut copied)?;
    entries += copy_table(source, &txn, AUDIT_ID_TO_ENTRY, &mut copied)?;
    // A table this build does not know would be lost silently: refuse.
    let stored: Vec<String> = source
        .list_tables()?
        .map(|table| table.name().to_owned())
        .chain(
            source
                .list_multimap_tables()?
                .map(|table| table.name().to_owned()),
        )
        .collect();
    if let Some(unknown) = stored.iter().find(|name| !copied.contains(name.as_str())) {
        return Err(StoreError::Corrupt(format!(
            "the file holds a table this build does not know ({unknown}); nothing was copied"
        )));
    }
    txn.commit()?;
    Ok((copied.len(), entries))
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    source: &ReadTransaction,
    copy: &WriteTransaction,
    table: TableDefinition<K, V>,
    copied: &mut BTreeSet<String>,
) -> Result<u64, StoreError> {
    let from = source.open_table(table)?;
    let mut to = copy.open_table(table)?;
    let mut entries = 0;
    for entry in from.iter()? {
        let (key, value) = entry?;
        to.insert(key.value(), value.value())?;
        entries += 1;
    }
    copied.insert(table.name().to_owned());
    Ok(entries)
}

fn copy_multimap<K: Key + 'static, V: Key + 'static>(
    source: &ReadTransaction,
    copy: &WriteTransaction,
    table: MultimapTableDefinition<K, V>,
    copied: &mut BTreeSet<String>,
) -> Result<u64, StoreError> {
    let from = source.open_multimap_table(table)?;
    let mut to = copy.open_multimap_table(table)?;
    let mut entries = 0;
    for entry in from.iter()? {
        let (key, values) = entry?;
        for value in values {
            to.insert(key.value(), value?.value())?;
            entries += 1;
        }
    }
    copied.insert(table.name().to_owned());
    Ok(entries)
}
