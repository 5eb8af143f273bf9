//! The journal: what makes a batch durable. Each batch's writes are
//! appended to a preallocated file beside the database as one record and
//! flushed by one `fdatasync` of a few sequential pages; redb then commits
//! the batch without a flush of its own. Every so often a checkpoint (a
//! durable redb commit) takes in everything journaled, and the journal
//! starts again from its first byte.
//!
//! A record is `magic, length, sequence number, CRC-32C` and the writes.
//! Reading stops at the first record that is torn, damaged or out of
//! sequence, so records left over from before the last checkpoint are never
//! read after a newer one. A record holds whole values (a key set to a
//! value, a key or pair removed), so replaying records already in the
//! database leaves it as it was: after a crash the whole journal is replayed,
//! whatever the last checkpoint took in.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const MAGIC: u32 = 0x4a58_4f42; // "BOXJ", little-endian
const HEADER: usize = 20;

/// The journal's size on disk: written once with zeros when it is created,
/// so that appends overwrite blocks the file already has and a flush writes
/// data alone.
pub const CAPACITY: u64 = 2 << 20;

/// A record no longer fits: checkpoint, then start again.
#[derive(Debug)]
pub struct Full;

pub struct Journal {
    file: File,
    path: PathBuf,
    capacity: u64,
    /// Where the next record goes.
    end: u64,
    /// The record being written, kept so that an append allocates nothing.
    record: Vec<u8>,
    /// The next record's sequence number; each record's is one more than
    /// the one before it.
    next: u64,
}

/// `<database>.journal`.
pub fn path_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

impl Journal {
    /// Opens (creating and zero-filling if need be) the journal at `path`
    /// and reads every record in it, in order.
    pub fn open(path: &Path, capacity: u64) -> io::Result<(Self, Vec<Vec<u8>>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        if len < capacity {
            let zeros = vec![0u8; 256 << 10];
            let mut at = len;
            while at < capacity {
                let n = usize::try_from((capacity - at).min(zeros.len() as u64)).unwrap_or(0);
                file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            file.sync_all()?;
            if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
                File::open(folder)?.sync_all()?;
            }
        }
        let capacity = capacity.max(len);
        let records = read_records(&file, capacity)?;
        let journal = Self {
            file,
            path: path.to_owned(),
            capacity,
            end: 0,
            record: Vec::new(),
            // A new random start each time it is opened: a record left over
            // from an earlier run then never follows a newer one by chance,
            // even when the first record was torn and no older number is known.
            next: u64::try_from(ulid::Ulid::generate().0 & u128::from(u64::MAX >> 1)).unwrap_or(1),
        };
        Ok((journal, records))
    }

    /// Appends one record and flushes it. `Err(Ok(Full))` when it does not
    /// fit before a checkpoint.
    pub fn append(&mut self, writes: &[u8]) -> Result<(), Result<Full, io::Error>> {
        let len = u32::try_from(writes.len()).map_err(|_| Ok(Full))?;
        let size = (HEADER + writes.len()) as u64;
        if self.end + size > self.capacity {
            return Err(Ok(Full));
        }
        let record = &mut self.record;
        record.clear();
        record.extend_from_slice(&MAGIC.to_le_bytes());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(&self.next.to_le_bytes());
        record.extend_from_slice(&checksum(len, self.next, writes).to_le_bytes());
        record.extend_from_slice(writes);
        self.file.write_all_at(record, self.end).map_err(Err)?;
        self.file.sync_data().map_err(Err)?;
        self.end += size;
        self.next += 1;
        Ok(())
    }

    /// A failure of its file, naming it.
    pub fn failed(&self, source: io::Error) -> super::StoreError {
        super::StoreError::Journal {
            path: self.path.clone(),
            source,
        }
    }

    /// Every record in it now, read from the file.
    pub fn records(&self) -> io::Result<Vec<Vec<u8>>> {
        read_records(&self.file, self.capacity)
    }

    /// After a checkpoint that leaves nothing to replay (at open and at
    /// close): the journal reads as empty from now on, so that a change made
    /// to the file while no service runs is never overwritten by a replay.
    pub fn clear(&mut self) -> io::Result<()> {
        self.file.write_all_at(&[0u8; HEADER], 0)?;
        self.file.sync_data()?;
        self.end = 0;
        Ok(())
    }

    /// After a checkpoint: the next record goes to the start.
    pub fn restart(&mut self) {
        self.end = 0;
    }
}

fn checksum(len: u32, sequence: u64, writes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &sequence.to_le_bytes());
    crc32c::crc32c_append(crc, writes)
}

/// The records from the start up to the first one torn, damaged or out of
/// sequence.
fn read_records(file: &File, capacity: u64) -> io::Result<Vec<Vec<u8>>> {
    let mut records = Vec::new();
    let mut at = 0u64;
    let mut last: Option<u64> = None;
    let mut header = [0u8; HEADER];
    while at + HEADER as u64 <= capacity {
        file.read_exact_at(&mut header, at)?;
        let field = |from: usize, to: usize| -> &[u8] { &header[from..to] };
        let magic = u32::from_le_bytes(field(0, 4).try_into().unwrap_or_default());
        let len = u32::from_le_bytes(field(4, 8).try_into().unwrap_or_default());
        let sequence = u64::from_le_bytes(field(8, 16).try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(field(16, 20).try_into().unwrap_or_default());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reopen(path: &Path) -> (Journal, Vec<Vec<u8>>) {
        Journal::open(path, 4096).unwrap()
    }

    #[test]
    fn records_come_back_in_order_and_a_restart_hides_the_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut journal, records) = reopen(&path);
        assert!(records.is_empty());
        journal.append(b"one").unwrap();
        journal.append(b"two").unwrap();
        drop(journal);
        let (mut journal, records) = reopen(&path);
        assert_eq!(records, vec![b"one".to_vec(), b"two".to_vec()]);
        // Until a record after the restart, the older ones are still read
        // (replaying them again changes nothing).
        journal.restart();
        drop(journal);
        let (mut journal, records) = reopen(&path);
        assert_eq!(records.len(), 2);
        journal.restart();
        journal.append(b"three").unwrap();
        drop(journal);
        let (_, records) = reopen(&path);
        assert_eq!(records, vec![b"three".to_vec()]);
    }

    #[test]
    fn a_torn_or_damaged_record_ends_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut journal, _) = reopen(&path);
        journal.append(b"kept").unwrap();
        journal.append(b"damaged").unwrap();
        journal.append(b"after").unwrap();
        drop(journal);
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        let second = (HEADER + 4) as u64;
        file.write_all_at(b"X", second + HEADER as u64 + 2).unwrap();
        let (_, records) = reopen(&path);
        assert_eq!(records, vec![b"kept".to_vec()]);
    }

    #[test]
    fn a_record_that_does_not_fit_is_refused_until_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = reopen(&dir.path().join("j"));
        let big = vec![7u8; 3000];
        journal.append(&big).unwrap();
        assert!(matches!(journal.append(&big), Err(Ok(Full))));
        journal.restart();
        journal.append(&big).unwrap();
    }

    #[test]
    fn a_cleared_journal_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut journal, _) = reopen(&path);
        journal.append(b"one").unwrap();
        journal.clear().unwrap();
        drop(journal);
        assert!(reopen(&path).1.is_empty());
    }
}
