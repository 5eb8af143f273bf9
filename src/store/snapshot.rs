//! One consistent snapshot of a database file, read by another process
//! while the service may be writing it: `check`, `backup` and `export`.
//!
//! The service opens its file in redb's `SingleWriter` concurrency mode, so a
//! second process may open it read-only in the same mode. Its read
//! transaction sees the last commit made before it began, whatever the
//! service commits meanwhile, and never changes the file.

use std::path::Path;

use redb::{Builder, ConcurrencyMode, ReadOnlyDatabase, ReadTransaction, ReadableDatabase};

use super::error::StoreError;
use super::schema;

/// How the service and every reader beside it share a file.
pub const CONCURRENCY_MODE: ConcurrencyMode = ConcurrencyMode::SingleWriter;

/// Page cache of a reader: it reads each page about once.
const READER_CACHE: usize = 8 << 20;

/// A read transaction of the current schema, with the handle that keeps it open.
pub struct Snapshot {
    // Dropped before the database it reads.
    txn: ReadTransaction,
    _db: ReadOnlyDatabase,
    what: String,
}

impl Snapshot {
    /// Opens `path` read-only (never creating, repairing or upgrading it) and
    /// takes one snapshot of it. A file left by a crash with no service on it
    /// needs a repair, which only the service does: it cannot be opened here.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let what = format!("database {}", path.display());
        let db = Builder::new()
            .set_cache_size(READER_CACHE)
            .set_concurrency_mode(CONCURRENCY_MODE)
            .open_read_only(path)
            .map_err(|source| StoreError::Open {
                what: what.clone(),
                source,
            })?;
        let txn = db.begin_read()?;
        schema::require_current(&txn, &what)?;
        Ok(Self { txn, _db: db, what })
    }

    pub fn txn(&self) -> &ReadTransaction {
        &self.txn
    }

    /// `database <path>`, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }
}
