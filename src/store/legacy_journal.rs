//! The journal an earlier release kept beside its database
//! (`<database>.journal`): retired on the first start of this one.
//!
//! That release made a batch durable by a record in the journal and
//! committed it to the file without a flush, so after a crash the file alone
//! may lack acknowledged bookings that only its journal holds. After a clean
//! stop the journal holds nothing and is simply removed. After a crash it is
//! replayed once, as that release would have: into a copy of the file, which
//! `boxoffice check` must pass before the copy takes the file's place and the
//! journal is removed. When the check fails, start-up stops with one line and
//! both files are left as they were, for the operator to decide.
//!
//! A record is `magic, length, sequence number, CRC-32C` and its entries;
//! reading stops at the first record that is torn, damaged or out of
//! sequence. An entry is an operation, a table number, a key and (for an
//! insert, or the removal of one value of a multimap) a value.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use redb::{
    Builder, Durability, Key, MultimapTableDefinition, ReadableDatabase, TableDefinition, Value,
    WriteTransaction,
};

use super::error::StoreError;
use super::{files, schema, tables};

const MAGIC: u32 = 0x4a58_4f42; // "BOXJ", little-endian
const HEADER: usize = 20;

const INSERT: u8 = 1;
const REMOVE: u8 = 2;
const REMOVE_ALL: u8 = 3;

/// `<database>.journal`.
pub fn path_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// What was done with a journal found beside the database.
#[derive(Debug, PartialEq, Eq)]
pub enum Retired {
    /// There was none.
    None,
    /// It held nothing (a clean stop) and is gone.
    Empty,
    /// Its records were replayed into the file, which passed the check.
    Replayed { records: usize },
}

/// Retires the journal an earlier release left beside `database`, if any
/// (see the module's header). On an error both files are as they were.
pub fn retire(database: &Path) -> Result<Retired, StoreError> {
    let journal = path_beside(database);
    let failed = |source: io::Error| StoreError::Journal {
        path: journal.clone(),
        source,
    };
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(files::NO_FOLLOW)
        .open(&journal)
    {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Retired::None),
        Err(error) => return Err(failed(error)),
    };
    let records = read_records(&file).map_err(failed)?;
    drop(file);
    if records.is_empty() || !database.exists() {
        // A journal without its database has nothing to add to a new one.
        std::fs::remove_file(&journal).map_err(failed)?;
        files::sync_folder(files::folder_of(&journal)).map_err(failed)?;
        return Ok(Retired::Empty);
    }
    let copy = files::partial_beside(database);
    let upgraded_from = match replay_into_copy(database, &copy, &records) {
        Ok(from) => from,
        Err(error) => {
            let _ = std::fs::remove_file(&copy);
            return Err(error);
        }
    };
    if let Some(from) = upgraded_from {
        // The file as that release left it is kept, as before any upgrade.
        let what = format!("database {}", database.display());
        if let Err(error) = schema::back_up(database, from, &what) {
            let _ = std::fs::remove_file(&copy);
            return Err(error);
        }
    }
    let moved = files::move_into_place(&copy, database).map_err(|source| StoreError::CreateFile {
        path: database.to_owned(),
        source,
    });
    if let Err(error) = moved {
        let _ = std::fs::remove_file(&copy);
        return Err(error);
    }
    std::fs::remove_file(&journal).map_err(failed)?;
    files::sync_folder(files::folder_of(&journal)).map_err(failed)?;
    Ok(Retired::Replayed {
        records: records.len(),
    })
}

/// Copies `database` to `copy`, replays `records` into the copy in one
/// durable commit (in the layout that release wrote), upgrades the copy to
/// this build's schema, and checks it; the schema it was upgraded from.
fn replay_into_copy(
    database: &Path,
    copy: &Path,
    records: &[Vec<u8>],
) -> Result<Option<u64>, StoreError> {
    let what = format!("database {}", database.display());
    let io_failed = |source: io::Error| StoreError::CreateFile {
        path: copy.to_owned(),
        source,
    };
    let mut target = files::create_new(copy).map_err(io_failed)?;
    let mut source = File::open(database).map_err(io_failed)?;
    io::copy(&mut source, &mut target).map_err(io_failed)?;
    target.sync_all().map_err(io_failed)?;
    drop(target);
    let db = Builder::new()
        .open(copy)
        .map_err(|source| StoreError::Open {
            what: what.clone(),
            source,
        })?;
    let mut txn = db.begin_write()?;
    for record in records {
        apply(&txn, record)?;
    }
    txn.set_durability(Durability::Immediate)?;
    txn.commit()?;
    let upgraded_from = match schema::plan(&db, &what)? {
        schema::Plan::Upgrade { from } => {
            schema::upgrade(&db, from, &what)?;
            Some(from)
        }
        schema::Plan::Create | schema::Plan::Current => None,
    };
    let problems = super::check::problems(&db.begin_read()?)?;
    if let Some(first) = problems.first() {
        return Err(StoreError::Schema {
            what,
            problem: format!(
                "the journal {} left by an earlier release does not agree with the file \
                 ({} problem(s) after replaying it, the first: {first}); both files are left \
                 as they were: restore a backup, or move the journal away to start from the \
                 file alone",
                path_beside(database).display(),
                problems.len()
            ),
        });
    }
    Ok(upgraded_from)
}

fn checksum(len: u32, sequence: u64, writes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &sequence.to_le_bytes());
    crc32c::crc32c_append(crc, writes)
}

/// The records from the start up to the first one torn, damaged or out of
/// sequence.
fn read_records(file: &File) -> io::Result<Vec<Vec<u8>>> {
    let capacity = file.metadata()?.len();
    let mut records = Vec::new();
    let mut at = 0u64;
    let mut last: Option<u64> = None;
    let mut header = [0u8; HEADER];
    while at + HEADER as u64 <= capacity {
        file.read_exact_at(&mut header, at)?;
        let word = |from: usize| {
            u32::from_le_bytes([
                header[from],
                header[from + 1],
                header[from + 2],
                header[from + 3],
            ])
        };
        let (magic, len, crc) = (word(0), word(4), word(16));
        let sequence = u64::from(word(8)) | (u64::from(word(12)) << 32);
        let size = HEADER as u64 + u64::from(len);
        if magic != MAGIC
            || at + size > capacity
            || last.is_some_and(|last| last.checked_add(1) != Some(sequence))
        {
            break;
        }
        let mut writes = vec![0u8; len as usize];
        file.read_exact_at(&mut writes, at + HEADER as u64)?;
        if checksum(len, sequence, &writes) != crc {
            break;
        }
        records.push(writes);
        last = Some(sequence);
        at += size;
    }
    Ok(records)
}

/// Applies one record's entries inside `txn`.
fn apply(txn: &WriteTransaction, mut entries: &[u8]) -> Result<(), StoreError> {
    while let [op, tag, rest @ ..] = entries {
        let (key, rest) = take_bytes(rest).ok_or_else(unreadable)?;
        let takes_value = *op == INSERT || (*op == REMOVE && is_multimap(*tag));
        let (value, rest) = if takes_value {
            let (value, rest) = take_bytes(rest).ok_or_else(unreadable)?;
            (Some(value), rest)
        } else {
            (None, rest)
        };
        if !matches!(*op, INSERT | REMOVE | REMOVE_ALL) {
            return Err(unreadable());
        }
        entries = rest;
        let change = Change {
            op: *op,
            key,
            value,
        };
        match *tag {
            1 => change.on_table(txn, tables::SCREEN_ID_TO_SCREEN),
            2 => change.on_table(txn, tables::FILM_ID_TO_FILM),
            3 => change.on_table(txn, tables::SHOW_ID_TO_SHOW),
            4 => change.on_table(txn, tables::SCREEN_START_TO_SHOW_ID),
            5 => change.on_multimap(txn, tables::SHOW_START_TO_SHOW_IDS),
            6 => change.on_multimap(txn, tables::FILM_ID_TO_SHOW_IDS),
            7 => change.on_table(txn, tables::TICKET_ID_TO_TICKET),
            8 => change.on_multimap(txn, tables::SHOW_ID_TO_TICKET_IDS),
            9 => change.on_table(txn, tables::HOLD_ID_TO_HOLD),
            10 => change.on_multimap(txn, schema::SHOW_ID_TO_HOLD_IDS),
            11 => change.on_multimap(txn, tables::HOLD_EXPIRY_TO_HOLD_IDS),
            12 => change.on_table(txn, tables::IDEMPOTENCY_KEY_TO_ANSWER),
            13 => change.on_multimap(txn, tables::IDEMPOTENCY_TIME_TO_KEYS),
            // redb reads a `&str` key as UTF-8 without asking.
            14 if std::str::from_utf8(key).is_ok() => change.on_table(txn, tables::ID_HIGH_WATER),
            _ => Err(unreadable()),
        }?;
    }
    if entries.is_empty() {
        Ok(())
    } else {
        Err(unreadable())
    }
}

fn unreadable() -> StoreError {
    StoreError::Corrupt(
        "the journal of an earlier release holds an entry that cannot be read".into(),
    )
}

/// The multimap tables, by their number in the journal.
fn is_multimap(tag: u8) -> bool {
    matches!(tag, 5 | 6 | 8 | 10 | 11 | 13)
}

fn take_bytes(from: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = from.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Bytes of the width a fixed-width type needs (redb's decoders assume it).
fn fits<T: Value>(bytes: &[u8]) -> Result<(), StoreError> {
    match T::fixed_width() {
        Some(width) if width != bytes.len() => Err(unreadable()),
        _ => Ok(()),
    }
}

struct Change<'a> {
    op: u8,
    key: &'a [u8],
    value: Option<&'a [u8]>,
}

impl Change<'_> {
    fn on_table<K: Key + 'static, V: Value + 'static>(
        &self,
        txn: &WriteTransaction,
        definition: TableDefinition<K, V>,
    ) -> Result<(), StoreError> {
        fits::<K>(self.key)?;
        let mut table = txn.open_table(definition)?;
        let key = K::from_bytes(self.key);
        match (self.op, self.value) {
            (INSERT, Some(value)) => {
                fits::<V>(value)?;
                drop(table.insert(key, V::from_bytes(value))?);
            }
            _ => drop(table.remove(key)?),
        }
        Ok(())
    }

    fn on_multimap<K: Key + 'static, V: Key + 'static>(
        &self,
        txn: &WriteTransaction,
        definition: MultimapTableDefinition<K, V>,
    ) -> Result<(), StoreError> {
        fits::<K>(self.key)?;
        let mut table = txn.open_multimap_table(definition)?;
        let key = K::from_bytes(self.key);
        match (self.op, self.value) {
            (INSERT, Some(value)) => {
                fits::<V>(value)?;
                table.insert(key, V::from_bytes(value))?;
            }
            (REMOVE, Some(value)) => {
                fits::<V>(value)?;
                table.remove(key, V::from_bytes(value))?;
            }
            _ => drop(table.remove_all(key)?),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the earlier release wrote it.
    fn record(sequence: u64, entries: &[u8]) -> Vec<u8> {
        let len = u32::try_from(entries.len()).unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&sequence.to_le_bytes());
        out.extend_from_slice(&checksum(len, sequence, entries).to_le_bytes());
        out.extend_from_slice(entries);
        out
    }

    #[test]
    fn records_are_read_up_to_the_first_damaged_or_out_of_sequence_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut bytes = [record(7, b"one"), record(8, b"two"), record(10, b"gap")].concat();
        bytes.resize(4096, 0);
        std::fs::write(&path, &bytes).unwrap();
        let read = read_records(&File::open(&path).unwrap()).unwrap();
        assert_eq!(read, vec![b"one".to_vec(), b"two".to_vec()]);
        bytes[HEADER + 1] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_records(&File::open(&path).unwrap())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn an_entry_of_the_wrong_width_is_refused_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("db")).unwrap();
        let txn = db.begin_write().unwrap();
        // An insert into the ticket table (7) whose key is 3 bytes where a
        // u128 takes 16.
        let mut entries = vec![INSERT, 7];
        entries.extend_from_slice(&3u32.to_le_bytes());
        entries.extend_from_slice(b"abc");
        entries.extend_from_slice(&1u32.to_le_bytes());
        entries.push(0);
        assert!(matches!(apply(&txn, &entries), Err(StoreError::Corrupt(_))));
        // A high-water key that is not UTF-8.
        let mut entries = vec![INSERT, 14];
        entries.extend_from_slice(&1u32.to_le_bytes());
        entries.push(0xff);
        entries.extend_from_slice(&16u32.to_le_bytes());
        entries.extend_from_slice(&[0; 16]);
        assert!(matches!(apply(&txn, &entries), Err(StoreError::Corrupt(_))));
    }
}
