//! One consistent snapshot of a database file no service holds: `check`,
//! `backup` and `export` (while a service runs, they ask it instead: see
//! [`super::control`]).
//!
//! The service opens its file in redb's exclusive mode (its commits leave
//! the flush to the journal, which the shared modes refuse), so another
//! process cannot open the file while it runs: it is told the database is
//! already open, and asks the service.

use std::path::Path;

use redb::{Builder, ConcurrencyMode, ReadOnlyDatabase, ReadTransaction, ReadableDatabase};

use super::error::StoreError;
use super::schema;

/// How the service holds its file: alone.
pub const CONCURRENCY_MODE: ConcurrencyMode = ConcurrencyMode::ExclusiveWriter;

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
