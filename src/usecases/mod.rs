//! The use cases: one typed async function each, the interface every front
//! end calls and every backend implements (the redb store is the first).
//! `seed` holds those of the old service's routes, `cinema` those of `/v1`.

pub mod audit;
pub mod cinema;
pub mod holds;
pub mod prices;
pub mod seed;
pub mod staff;

use crate::domain::limits::ClientId;
use crate::domain::Refusal;

pub use cinema::Cinema;
pub use holds::Holds;
pub use prices::Prices;
pub use seed::{Booked, Bookings, NewBooking, PurgeReport, ShowKey, ShowTickets};
pub use staff::Staff;

/// Everything a backend provides.
pub trait Backend: Bookings + Cinema + Holds + Prices + Staff {}

impl<T: Bookings + Cinema + Holds + Prices + Staff> Backend for T {}

/// Whether the backend takes writes now, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotReady(String),
}

/// A storage failure, whatever the backend: the request was not acknowledged.
pub type StorageError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a use case gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The rules said no; nothing changed.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// Too many writes are waiting; this one was not queued, nothing changed.
    #[error("the write queue is full")]
    Busy,
    /// Storage cannot take writes now (`cause`: the disk is full, the file
    /// system is read-only, the clock is unusable...). The write was not
    /// acknowledged: it may or may not have been stored, so a retry should
    /// carry the same `Idempotency-Key`.
    #[error("the database cannot take writes now: {cause}")]
    Unavailable {
        cause: &'static str,
        #[source]
        source: StorageError,
    },
    /// Something underneath failed that a retry will not mend (damaged data,
    /// a bug); the change was not acknowledged.
    #[error("storage failed")]
    Storage(#[source] StorageError),
}

impl Error {
    pub fn storage(error: impl Into<StorageError>) -> Self {
        Self::Storage(error.into())
    }

    /// The refusal, if the rules decided this.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused(refusal) => Some(refusal.clone()),
            _ => None,
        }
    }
}

/// An answer as a client received it (status and body), stored with its
/// `Idempotency-Key` in the same transaction as the change, and sent again
/// for a retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Renders a use case's outcome as the answer to store for its key, or
/// `None` when that outcome is not stored.
pub type Render<T> = Box<dyn FnOnce(&Result<T, Refusal>) -> Option<Replay> + Send>;

/// A write that may come again: its key (scoped to who sent it), a digest of
/// the request, and how its answer is written.
pub struct Keyed<T> {
    pub key: Vec<u8>,
    pub fingerprint: [u8; 32],
    pub render: Render<T>,
    /// The limited client sending it, whose live answers are capped
    /// (`idempotency_per_client`); `None` for staff.
    pub client: Option<ClientId>,
}

/// `None`: the write has no `Idempotency-Key`.
pub type Once<T> = Option<Keyed<T>>;

/// What a keyed write did: the use case ran now, or the key's stored answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written<T> {
    Fresh(T),
    Replayed(Replay),
}

impl<T> Written<T> {
    /// The fresh answer; a replay where none was possible is a bug.
    pub fn fresh(self) -> Result<T, Error> {
        match self {
            Self::Fresh(done) => Ok(done),
            Self::Replayed(_) => Err(Error::storage("a write without a key was replayed")),
        }
    }
}

/// One page of a list, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The same page with each item made into another.
    pub fn map<U>(self, view: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(view).collect(),
            next: self.next,
        }
    }
}

/// Where a list goes on: the key of the last item a page held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// Instant-ordered lists (shows) sort by this first; others leave it 0.
    pub at: i64,
    pub id: u128,
}

impl Cursor {
    /// Opaque to clients: 40 hex digits.
    pub fn encode(self) -> String {
        format!("{:016x}{:032x}", self.at.cast_unsigned(), self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        if text.len() != 48 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let at = u64::from_str_radix(&text[..16], 16).ok()?.cast_signed();
        let id = u128::from_str_radix(&text[16..], 16).ok()?;
        Some(Self { at, id })
    }
}

/// How much of a list to read: at most `limit` items after `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: usize,
}
