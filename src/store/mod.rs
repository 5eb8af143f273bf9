//! The redb backend: one file, opened (and upgraded) here; reads in
//! `reads`, use cases in `writes`, the single writer with group commit in
//! `writer`, and the [`Bookings`](crate::usecases::Bookings) interface over
//! them in `service`.

mod check;
mod codec;
mod error;
mod reads;
mod schema;
mod service;
mod tables;
mod writer;
mod writes;

use std::path::Path;

use redb::{Builder, Database, Durability, StorageBackend};

use crate::domain::{Millis, Rules};

pub use check::check_file;
pub use error::StoreError;
pub use schema::{backup_path, SCHEMA_VERSION};
pub use service::RedbBookings;
pub use writer::{Writer, WriterSettings};
pub use writes::{Batch, Held, IdMinter, Outcome, Sold};

/// An open database file of the current schema.
pub struct Store {
    db: Database,
    rules: Rules,
}

impl Store {
    /// Opens the database at `path`, creating it (and its folder) if needed;
    /// a file of an older schema is copied to `<file>.v<N>.bak` and upgraded.
    pub fn open(path: &Path, cache_size: usize, rules: Rules) -> Result<Self, StoreError> {
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                folder: folder.to_owned(),
                source,
            })?;
        }
        let what = format!("database {}", path.display());
        let open = || {
            Builder::new()
                .set_cache_size(cache_size)
                .set_repair_callback(say_repair(what.clone()))
                .create(path)
                .map_err(|source| StoreError::Open {
                    what: what.clone(),
                    source,
                })
        };
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
        let mut db = open()?;
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
        Ok(Self { db, rules })
    }

    /// Opens the database kept by any redb storage backend, creating it if
    /// the backend is empty (an older schema is upgraded without a copy).
    /// The crash tests use a backend that loses, as a power cut does,
    /// whatever was written after the last sync.
    pub fn open_on_backend(
        backend: impl StorageBackend,
        cache_size: usize,
        rules: Rules,
    ) -> Result<Self, StoreError> {
        let what = "database".to_owned();
        let db = Builder::new()
            .set_cache_size(cache_size)
            .set_repair_callback(say_repair(what.clone()))
            .create_with_backend(backend)
            .map_err(|source| StoreError::Open {
                what: what.clone(),
                source,
            })?;
        match schema::plan(&db, &what)? {
            schema::Plan::Create => schema::create(&db)?,
            schema::Plan::Current => {}
            schema::Plan::Upgrade { from } => {
                schema::upgrade(&db, from, &what)?;
                announce_upgrade(&what, from, None);
            }
        }
        Ok(Self { db, rules })
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
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let first = ids.last();
        let result = {
            let mut batch = Batch::new(writes::Tables::open(&txn)?, self.rules, now, ids);
            work(&mut batch)?
        };
        if ids.last() != first {
            txn.open_table(tables::ID_HIGH_WATER)?
                .insert(tables::LAST_ID_KEY, ids.last())?;
        }
        txn.commit()?;
        Ok(result)
    }
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
