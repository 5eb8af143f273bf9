//! The latest read snapshot, shared by every read that begins before the
//! next commit. Beginning a read transaction in `SingleWriter` mode takes
//! and releases byte-range file locks (four `fcntl` calls, so that a
//! backup beside the service sees which pages are in use); between two
//! commits every read would see the same data, so one transaction serves
//! them all.
//!
//! A read never sees less than was committed before it began: the writer
//! counts each commit and drops the shared snapshot before it answers the
//! commit's callers, and a snapshot is shared only while no commit has been
//! counted since before it was taken. Nor does a snapshot outlive the next
//! commit for long, so it never keeps redb from reusing the pages that
//! commit freed: the last read using it drops it. A failed commit is
//! counted too: the handle may refuse reads after an I/O error, and the
//! next read then finds out when it takes a snapshot of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use redb::ReadTransaction;

#[derive(Default)]
pub struct Latest {
    /// Commits counted so far.
    commits: AtomicU64,
    /// The snapshot taken when `commits` was the number beside it.
    shared: Mutex<Option<(u64, Arc<ReadTransaction>)>>,
}

impl Latest {
    /// The shared snapshot, or a new one from `begin` (then shared) when a
    /// commit was counted since it was taken.
    pub fn read<E>(
        &self,
        begin: impl FnOnce() -> Result<ReadTransaction, E>,
    ) -> Result<Arc<ReadTransaction>, E> {
        // Counted before the snapshot is taken: it holds at least those commits.
        let commits = self.commits.load(Ordering::Acquire);
        if let Some((taken, txn)) = &*self.lock() {
            if *taken == commits {
                return Ok(Arc::clone(txn));
            }
        }
        let txn = Arc::new(begin()?);
        let stale = {
            let mut shared = self.lock();
            // A commit counted meanwhile makes this one stale already: it
            // serves this read only.
            if self.commits.load(Ordering::Acquire) == commits {
                shared.replace((commits, Arc::clone(&txn)))
            } else {
                None
            }
        };
        // Ended outside the lock: ending a transaction unlocks file ranges.
        drop(stale);
        Ok(txn)
    }

    /// Counts a commit (or a reopen) and stops sharing the snapshot before it.
    pub fn committed(&self) {
        self.commits.fetch_add(1, Ordering::AcqRel);
        let stale = self.lock().take();
        drop(stale);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, Arc<ReadTransaction>)>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase, TableDefinition};

    use super::*;

    const T: TableDefinition<u64, u64> = TableDefinition::new("t");

    fn put(db: &Database, value: u64) {
        let txn = db.begin_write().unwrap();
        txn.open_table(T).unwrap().insert(0, value).unwrap();
        txn.commit().unwrap();
    }

    /// A file whose one value is 1.
    fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("l.redb")).unwrap();
        put(&db, 1);
        (dir, db)
    }

    fn value(txn: &ReadTransaction) -> u64 {
        txn.open_table(T).unwrap().get(0).unwrap().unwrap().value()
    }

    #[test]
    fn reads_share_a_snapshot_until_a_commit_is_counted() {
        let (_dir, db) = database();
        let latest = Latest::default();
        let first = latest.read(|| db.begin_read()).unwrap();
        let second = latest.read(|| db.begin_read()).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(value(&second), 1);

        put(&db, 2);
        latest.committed();
        let third = latest.read(|| db.begin_read()).unwrap();
        assert!(!Arc::ptr_eq(&first, &third));
        assert_eq!(value(&third), 2);
        // The old one still reads what it saw.
        assert_eq!(value(&first), 1);
    }

    #[test]
    fn a_snapshot_taken_across_a_commit_is_not_shared() {
        let (_dir, db) = database();
        let latest = Latest::default();
        // The commit is counted while the snapshot is being taken.
        let early = latest
            .read(|| {
                let txn = db.begin_read();
                put(&db, 2);
                latest.committed();
                txn
            })
            .unwrap();
        assert_eq!(value(&early), 1);
        let next = latest.read(|| db.begin_read()).unwrap();
        assert!(!Arc::ptr_eq(&early, &next));
        assert_eq!(value(&next), 2);
    }

    #[test]
    fn a_failed_begin_shares_nothing() {
        let latest = Latest::default();
        let failed = latest.read(|| Err::<ReadTransaction, _>("no snapshot"));
        assert_eq!(failed.err(), Some("no snapshot"));
        assert!(latest.lock().is_none());
    }

    #[test]
    fn a_read_transaction_may_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<ReadTransaction>();
    }
}
