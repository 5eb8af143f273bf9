//! Minting record ids: ULIDs as `u128`, in increasing order.

use super::error::StoreError;
use crate::domain::Millis;

/// Mints ids in increasing order, so a show's tickets sort in booking order
/// even within one millisecond, and even after the clock stepped back.
#[derive(Default)]
pub struct IdMinter {
    generator: ulid::Generator,
    last: u128,
}

impl IdMinter {
    /// A minter whose ids all sort after `last`.
    pub fn after(last: u128) -> Self {
        Self {
            generator: ulid::Generator::new(),
            last,
        }
    }

    /// The largest id minted so far (or the one it started after).
    pub fn last(&self) -> u128 {
        self.last
    }

    /// An id whose time is `now` (the trusted one), or just after the last.
    pub(in crate::store) fn next(&mut self, now: Millis) -> Result<u128, StoreError> {
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(now.max(0)).unwrap_or(0));
        let fresh = self
            .generator
            .generate_from_datetime(at)
            .map_err(|error| StoreError::Corrupt(format!("cannot mint an id: {error}")))?
            .0;
        let id = if fresh > self.last {
            fresh
        } else {
            self.last
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt("no ids left to mint".into()))?
        };
        self.last = id;
        Ok(id)
    }
}
