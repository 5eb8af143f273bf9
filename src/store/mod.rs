//! The redb backend: one file, opened (and upgraded) here; reads in
//! `reads`, use cases in `writes`, the single writer with group commit in
//! `writer`, and the [`Bookings`](crate::usecases::Bookings) interface over
//! them in `service`.

mod backup;
mod check;
pub(crate) mod codec;
mod dump;
mod error;
pub(crate) mod files;
mod ids;
mod import;
mod latest;
mod legacy_journal;
mod readers;
mod reads;
mod schema;
pub(crate) mod service;
mod snapshot;
mod tables;
mod writer;
mod writes;

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redb::{
    Builder, Database, Durability, ReadOnlyDatabase, ReadTransaction, ReadableDatabase,
    StorageBackend,
};

use crate::domain::{Millis, Rules};

pub use backup::{back_up, BackupError, BackupReport};
pub use check::check_file;
pub use dump::{export, read as read_dump, BadLine, Exported};
pub use error::StoreError;
pub use files::{create_new as create_private_file, trust_request_beside};
pub use ids::IdMinter;
pub use import::{import, ImportError, Records};
pub use schema::{backup_path, SCHEMA_VERSION};
pub use service::RedbBookings;
pub use snapshot::{Snapshot, CONCURRENCY_MODE};
pub use writer::{Writer, WriterSettings};
pub use writes::{Batch, Held, Outcome, Sold};

/// Opens the database again: after an I/O error redb refuses every write
/// until it is reopened.
type Opener = Box<dyn Fn() -> Result<Database, StoreError> + Send + Sync>;

/// Whether the storage under the database takes writes again, told without
/// touching the database (which refuses writes after an I/O error).
type WriteProbe = Box<dyn Fn() -> bool + Send + Sync>;

/// Opens the file read-only beside the service's own handle.
type ReaderOpener = Box<dyn Fn() -> Result<ReadOnlyDatabase, StoreError> + Send + Sync>;

/// An open database file of the current schema.
pub struct Store {
    /// `None` only while a reopen that failed waits to be tried again.
    db: RwLock<Option<Arc<Database>>>,
    reopen: Opener,
    can_write: WriteProbe,
    /// For a file (not a test backend): how to read it while the service's
    /// handle refuses to (see [`Store::begin_read`]).
    open_reader: Option<ReaderOpener>,
    reader: Mutex<Option<Arc<ReadOnlyDatabase>>>,
    /// The snapshot the reads between two commits share.
    latest: latest::Latest,
    /// Screens as last decoded, each with the bytes it was decoded from.
    screens: reads::ScreenCache,
    rules: Rules,
    /// The file, when the database is one (not a test backend).
    path: Option<std::path::PathBuf>,
    cursor_secret: [u8; 32],
}

impl Store {
    /// Opens the database at `path`, creating it (and its folder) if needed;
    /// a file of an older schema is copied to `<file>.v<N>.bak` and upgraded.
    pub fn open(path: &Path, cache_size: usize, rules: Rules) -> Result<Self, StoreError> {
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            files::create_folder(folder).map_err(|source| StoreError::CreateFolder {
                folder: folder.to_owned(),
                source,
            })?;
        }
        match legacy_journal::retire(path)? {
            legacy_journal::Retired::Replayed { records } => say(&format!(
                "boxoffice: replayed {records} record(s) of the journal an earlier release left \
                 beside database {} after a crash; the file passed the check, and the journal \
                 is retired",
                path.display()
            )),
            legacy_journal::Retired::Empty | legacy_journal::Retired::None => {}
        }
        // A new database is created private to its user, whatever the umask
        // (redb would create it as the umask leaves it).
        match files::create_new(path) {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(StoreError::CreateFile {
                    path: path.to_owned(),
                    source,
                })
            }
        }
        let what = format!("database {}", path.display());
        let opener: Opener = {
            let (path, what) = (path.to_owned(), what.clone());
            Box::new(move || {
                // Other processes (backup, export, check) may read the file
                // beside the service, each from a snapshot of its own.
                Builder::new()
                    .set_cache_size(cache_size)
                    .set_repair_callback(say_repair(what.clone()))
                    .set_concurrency_mode(CONCURRENCY_MODE)
                    .create(&path)
                    .map_err(|source| StoreError::Open {
                        what: what.clone(),
                        source,
                    })
            })
        };
        let open = || opener();
        // A file to upgrade is copied before this build writes to it, so the
        // copy is the file byte for byte. Reading its version without
        // changing it needs a read-only open; one that fails (the file needs
        // recovery) is copied after the repair below instead.
        let mut copy = None;
        if path.exists() {
            if let Ok(untouched) = Builder::new().open_read_only(path) {
                let plan = schema::plan(&untouched, &what)?;
                drop(untouched);
                if let schema::Plan::Upgrade { from } = plan {
                    copy = Some(schema::back_up(path, from, &what)?);
                }
            }
        }
        let mut db = open().map_err(|error| match error {
            StoreError::Open {
                what,
                source: redb::DatabaseError::DatabaseAlreadyOpen,
            } => StoreError::Locked { what },
            other => other,
        })?;
        match schema::plan(&db, &what)? {
            schema::Plan::Create => schema::create(&db)?,
            schema::Plan::Current => {}
            schema::Plan::Upgrade { from } => {
                if copy.is_none() {
                    // Closed, so the copy holds every commit.
                    drop(db);
                    copy = Some(schema::back_up(path, from, &what)?);
                    db = open()?;
                }
                schema::upgrade(&db, from, &what)?;
                announce_upgrade(&what, from, copy.as_deref());
            }
        }
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder.to_owned(),
            _ => std::path::PathBuf::from("."),
        };
        let name = path.file_name().map(std::ffi::OsStr::to_os_string);
        let probe = move || folder_takes_writes(&folder, name.as_deref());
        let open_reader: ReaderOpener = {
            let path = path.to_owned();
            Box::new(move || {
                Builder::new()
                    .set_cache_size(cache_size)
                    .set_concurrency_mode(CONCURRENCY_MODE)
                    .open_read_only(&path)
                    .map_err(|source| StoreError::Open {
                        what: what.clone(),
                        source,
                    })
            })
        };
        let mut store = Self::over(db, opener, Box::new(probe), rules)?;
        store.path = Some(path.to_owned());
        store.open_reader = Some(open_reader);
        Ok(store)
    }

    fn over(
        db: Database,
        reopen: Opener,
        can_write: WriteProbe,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let cursor_secret = schema::cursor_secret(&db)?;
        schema::check_currency(&db, rules.currency)?;
        Ok(Self {
            db: RwLock::new(Some(Arc::new(db))),
            reopen,
            can_write,
            open_reader: None,
            reader: Mutex::new(None),
            latest: latest::Latest::default(),
            screens: reads::ScreenCache::default(),
            rules,
            path: None,
            cursor_secret,
        })
    }

    /// The key paging cursors are signed with, the same for every process
    /// on this database.
    pub fn cursor_secret(&self) -> [u8; 32] {
        self.cursor_secret
    }

    /// Whether an operator asked, by `boxoffice clock trust`, that the wall
    /// clock be trusted (a request file beside the database, taken once).
    pub fn take_clock_trust(&self) -> bool {
        let Some(request) = self.path.as_deref().map(files::trust_request_beside) else {
            return false;
        };
        std::fs::remove_file(request).is_ok()
    }

    /// Stores `at` as the last trusted time (the heartbeat a start begins
    /// trusted time from), durably.
    pub fn store_trusted_time(&self, at: Millis) -> Result<(), StoreError> {
        let Ok(at) = u64::try_from(at) else {
            return Ok(());
        };
        let txn = self.database()?.begin_write()?;
        txn.open_table(tables::META)?
            .insert(tables::TRUSTED_TIME_KEY, at)?;
        txn.commit()?;
        Ok(())
    }

    /// Tells the store how to see that its backend takes writes again (by
    /// default a backend is simply tried).
    #[must_use]
    pub fn with_write_probe(mut self, probe: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.can_write = Box::new(probe);
        self
    }

    /// Whether the storage takes writes again, asked without the database.
    pub fn storage_takes_writes(&self) -> bool {
        (self.can_write)()
    }

    /// Opens the database kept by any redb storage backend, creating it if
    /// the backend is empty (an older schema is upgraded without a copy).
    /// The crash tests use a backend that loses, as a power cut does,
    /// whatever was written after the last sync.
    pub fn open_on_backend(
        backend: impl StorageBackend + Clone,
        cache_size: usize,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let what = "database".to_owned();
        let opener: Opener = {
            let what = what.clone();
            Box::new(move || {
                Builder::new()
                    .set_cache_size(cache_size)
                    .set_repair_callback(say_repair(what.clone()))
                    .create_with_backend(backend.clone())
                    .map_err(|source| StoreError::Open {
                        what: what.clone(),
                        source,
                    })
            })
        };
        let db = opener()?;
        match schema::plan(&db, &what)? {
            schema::Plan::Create => schema::create(&db)?,
            schema::Plan::Current => {}
            schema::Plan::Upgrade { from } => {
                schema::upgrade(&db, from, &what)?;
                announce_upgrade(&what, from, None);
            }
        }
        Self::over(db, opener, Box::new(|| true), rules)
    }

    /// The open database; none while a failed reopen waits to be retried.
    fn database(&self) -> Result<Arc<Database>, StoreError> {
        self.db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or(StoreError::Closed)
    }

    /// A snapshot to read from: the one the reads since the last commit
    /// share (see [`latest`]), else a new one. After an I/O error the service's handle
    /// refuses every operation until it is reopened (in `SingleWriter` mode a
    /// read takes a file lock through it too), so reads then come from a
    /// read-only handle of the same file, which the failed write left as it
    /// was: reads go on while the disk is full.
    fn begin_read(&self) -> Result<Arc<ReadTransaction>, StoreError> {
        let refused = match self
            .latest
            .read(|| self.database().and_then(|db| Ok(db.begin_read()?)))
        {
            Ok(txn) => return Ok(txn),
            Err(refused) => refused,
        };
        let Some(open_reader) = &self.open_reader else {
            return Err(refused);
        };
        let mut reader = self
            .reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if reader.is_none() {
            match open_reader() {
                Ok(opened) => *reader = Some(Arc::new(opened)),
                Err(_) => return Err(refused),
            }
        }
        if let Some(Ok(txn)) = reader.as_ref().map(|reader| reader.begin_read()) {
            return Ok(Arc::new(txn));
        }
        *reader = None;
        Err(refused)
    }

    /// Closes the database and opens it again, clearing the state redb keeps
    /// after an I/O error. Reads wait meanwhile; read transactions still open
    /// keep the file locked, so the open is tried for up to a second.
    pub fn reopen(&self) -> Result<(), StoreError> {
        let mut slot = self
            .db
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The shared snapshot keeps the file locked too.
        self.latest.committed();
        drop(slot.take());
        // The reader beside a failed handle is not needed once it is reopened.
        drop(
            self.reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match (self.reopen)() {
                Ok(db) => {
                    *slot = Some(Arc::new(db));
                    return Ok(());
                }
                Err(StoreError::Open {
                    source: redb::DatabaseError::DatabaseAlreadyOpen,
                    ..
                }) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(error) => return Err(error),
            }
        }
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Runs `work` inside ONE durable write transaction at `now`: every use
    /// case it calls on the [`Batch`] shares the commit and gets its own
    /// answer. When `work` or the commit fails, nothing of it is stored.
    pub fn in_one_commit<R>(
        &self,
        now: Millis,
        ids: &mut IdMinter,
        work: impl FnOnce(&mut Batch<'_, '_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let written = self.commit_once(now, ids, work);
        // Before anyone is told: a read that begins after the answer sees
        // the commit; after a failure (which may leave the handle refusing
        // every read) it takes its snapshot afresh, from the read-only
        // handle if need be.
        self.latest.committed();
        written
    }

    fn commit_once<R>(
        &self,
        now: Millis,
        ids: &mut IdMinter,
        work: impl FnOnce(&mut Batch<'_, '_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut txn = self.database()?.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let first = ids.last();
        let (result, heartbeat) = {
            let mut batch = Batch::new(
                writes::Tables::open(&txn, &self.screens)?,
                self.rules,
                now,
                ids,
            );
            let result = work(&mut batch)?;
            let heartbeat = batch.heartbeat();
            batch.finish()?;
            (result, heartbeat)
        };
        if let Some(at) = heartbeat.and_then(|at| u64::try_from(at).ok()) {
            txn.open_table(tables::META)?
                .insert(tables::TRUSTED_TIME_KEY, at)?;
        }
        if ids.last() != first {
            txn.open_table(tables::ID_HIGH_WATER)?
                .insert(tables::LAST_ID_KEY, ids.last())?;
        }
        txn.commit()?;
        Ok(result)
    }
}

/// Whether a small file can be written and synced beside the database: the
/// disk has room again and the file system is writable.
fn folder_takes_writes(folder: &Path, name: Option<&std::ffi::OsStr>) -> bool {
    use std::io::Write;
    let name = name.map_or_else(|| "boxoffice".into(), |name| name.to_string_lossy());
    // A new name each time, created exclusively: nothing planted at a known
    // name is ever followed or overwritten.
    let probe = folder.join(format!(".{name}.{}.probe", ulid::Ulid::generate()));
    let written = files::create_new(&probe)
        .and_then(|mut file| {
            file.write_all(&vec![0u8; 64 << 10])?;
            file.sync_all()
        })
        .is_ok();
    let _ = std::fs::remove_file(&probe);
    written
}

/// A repair on open is said once, at any log level: redb rolls a file left by
/// a crash back to its last complete commit, and the operator should know.
fn say_repair(what: String) -> impl Fn(&mut redb::RepairSession) + 'static {
    let said = std::sync::atomic::AtomicBool::new(false);
    move |_session| {
        if !said.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "boxoffice: {what} was not closed cleanly; repairing it (redb keeps its last complete commit)"
            );
        }
    }
}

/// A line said at any log level (a closed standard output must not stop the
/// service).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// An upgrade is said at any log level: the operator should know the file changed.
fn announce_upgrade(what: &str, from: u64, copy: Option<&Path>) {
    use std::io::Write;
    let kept = copy.map_or_else(String::new, |copy| {
        format!("; the file as it was is kept at {}", copy.display())
    });
    // A closed standard output must not stop the service.
    let _ = writeln!(
        std::io::stdout(),
        "boxoffice: upgraded {what} from schema {from} to {SCHEMA_VERSION}{kept}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_probe_never_writes_through_a_link_planted_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, b"keep").unwrap();
        for planted in ["boxoffice.redb.probe", ".boxoffice.redb.probe"] {
            std::os::unix::fs::symlink(&target, dir.path().join(planted)).unwrap();
        }
        let name = std::ffi::OsStr::new("boxoffice.redb");
        assert!(folder_takes_writes(dir.path(), Some(name)));
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 3, "the probe leaves nothing behind");
    }
}
