//! What can go wrong on PostgreSQL, with the cause kept as the source, and
//! which failures mean "the database cannot take writes now" (503) rather
//! than damage or a bug.

use crate::store::codec::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("database error")]
    Db(#[from] tokio_postgres::Error),
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("cannot set up the connection pool")]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("the database URL is not usable: {0}")]
    Url(String),
    /// The database's schema is not one this build can use or upgrade.
    #[error("{0}")]
    Schema(String),
    #[error(transparent)]
    Clock(#[from] crate::clock::ClockUnusable),
    /// A stored record is not what this build wrote.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A row this transaction read changed under it before it could lock
    /// it: the whole use case runs again.
    #[error("a row changed while it was being locked")]
    Retry,
}

/// Why the database cannot be reached.
pub const UNREACHABLE: &str = "the database cannot be reached";
/// Why writes stop while the clock gives no trusted time.
pub const CLOCK_UNUSABLE: &str = "the system clock is unusable (it reads before 1970)";

impl PgError {
    /// The SQLSTATE of a server error, if this is one.
    fn code(&self) -> Option<&str> {
        match self {
            Self::Db(error) => error.code().map(tokio_postgres::error::SqlState::code),
            _ => None,
        }
    }

    /// A transaction that lost a deadlock or a serialization conflict, or
    /// saw a row move under it: running it again is the cure.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Retry) || matches!(self.code(), Some("40001" | "40P01"))
    }

    /// Every connection of this process is busy and none came free in
    /// time: nothing was sent, so nothing changed.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Pool(deadpool_postgres::PoolError::Timeout(
                deadpool_postgres::TimeoutType::Wait
            ))
        )
    }

    /// Why the database cannot take writes now, when that is the failure:
    /// a retry later (with the same `Idempotency-Key`) may succeed.
    pub fn unavailability(&self) -> Option<&'static str> {
        match self {
            Self::Pool(_) if self.is_busy() => None,
            Self::Pool(_) => Some(UNREACHABLE),
            Self::Clock(_) => Some(CLOCK_UNUSABLE),
            Self::Db(error) => match error.code().map(tokio_postgres::error::SqlState::code) {
                // No answer from the server at all: the connection broke.
                None => Some(UNREACHABLE),
                Some(code) if code.starts_with("08") => Some(UNREACHABLE),
                Some(code) if code.starts_with("53") => Some(
                    "the database server is out of resources (disk full, too many connections)",
                ),
                Some("57P01" | "57P02" | "57P03") => {
                    Some("the database server is shutting down or starting")
                }
                Some("25006") => Some("the database is read-only"),
                Some(_) => None,
            },
            _ => None,
        }
    }
}

impl From<PgError> for crate::usecases::Error {
    fn from(error: PgError) -> Self {
        if error.is_busy() {
            return Self::Busy;
        }
        match error.unavailability() {
            Some(cause) => Self::Unavailable {
                cause,
                source: Box::new(error),
            },
            None => Self::Storage(Box::new(error)),
        }
    }
}
