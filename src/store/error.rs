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
    #[error("storage error")]
    Redb(#[from] redb::Error),
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
