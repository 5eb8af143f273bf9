//! What can go wrong in the redb store, with the cause kept as the source.

use std::path::PathBuf;

/// A storage failure, or a file this build must not use.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create folder {}", .folder.display())]
    CreateFolder {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {}", .path.display())]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The journal an earlier release kept beside the database could not be
    /// read or removed.
    #[error("journal {}", .path.display())]
    Journal {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another process holds a lock on the file: another service on it, or a
    /// program that locked it.
    #[error(
        "{what} is locked by another process (another boxoffice serving it, or a program \
         holding a lock on the file); stop that process and start again"
    )]
    Locked { what: String },
    #[error("cannot open {what}")]
    Open {
        what: String,
        #[source]
        source: redb::DatabaseError,
    },
    /// The file is not one this build can read or upgrade.
    #[error("{what}: {problem}")]
    Schema { what: String, problem: String },
    #[error("cannot back up {what} to {} before upgrading it", .to.display())]
    Backup {
        what: String,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: upgrading from schema {from} failed")]
    Upgrade {
        what: String,
        from: u64,
        #[source]
        source: Box<StoreError>,
    },
    /// A backup or export could not be written to its file.
    #[error("cannot write the copy {}: {why}", .to.display())]
    Copy {
        to: PathBuf,
        why: String,
        #[source]
        source: Option<std::io::Error>,
    },
    #[error("storage error")]
    Redb(#[from] redb::Error),
    #[error(transparent)]
    Clock(#[from] crate::clock::ClockUnusable),
    /// The database is being reopened after an I/O error.
    #[error("the database is closed until it can be opened again")]
    Closed,
    /// A use case failed while planning, before it wrote anything: only it
    /// fails, the others of its batch go on.
    #[error("{0}")]
    Unplanned(Box<StoreError>),
    /// A stored record or index is not what this build wrote.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Decode(#[from] super::codec::DecodeError),
}

macro_rules! from_redb {
    ($($error:ty),*) => {
        $(impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                Self::Redb(error.into())
            }
        })*
    };
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// What redb says to every write after an I/O error, until it is reopened.
pub const PREVIOUS_FAILURE: &str = "an earlier write failed";

/// Why storage cannot take a write now, when it is the disk or the file
/// system rather than the data: a cause that can go away.
pub fn unavailability(error: &StoreError) -> Option<&'static str> {
    if matches!(error, StoreError::Closed) {
        return Some("it is being reopened after an I/O error");
    }
    let io_cause = |io: &std::io::Error| match io.raw_os_error() {
        Some(28 | 122) => "the disk is full",
        Some(30) => "the file system is read-only",
        _ => "the disk failed to write",
    };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io_cause(io));
        }
        // redb says what it met in its own variants, not always as a source.
        match current.downcast_ref::<redb::Error>() {
            Some(redb::Error::Io(io)) => return Some(io_cause(io)),
            Some(redb::Error::PreviousIo) => return Some(PREVIOUS_FAILURE),
            _ => {}
        }
        match current.downcast_ref::<redb::StorageError>() {
            Some(redb::StorageError::Io(io)) => return Some(io_cause(io)),
            Some(redb::StorageError::PreviousIo) => return Some(PREVIOUS_FAILURE),
            _ => {}
        }
        cause = current.source();
    }
    None
}
