//! What every handler shares: the configuration, the backend and the
//! database's paging secret, as Rocket's managed state. The service builds it
//! (`service::build`); the api only reads it.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use crate::api::cursor::CursorKey;
use crate::config::Config;
use crate::domain::Millis;
use crate::usecases::staff::Passwords;
use crate::usecases::Backend;

/// What every handler shares.
pub struct App {
    pub config: Config,
    pub bookings: Arc<dyn Backend>,
    /// Signs and checks paging cursors; the database's own secret.
    pub cursor_key: CursorKey,
    /// Hashes and checks staff passwords off the async workers.
    pub passwords: Arc<Passwords>,
    /// Whether an account or key closes the service.
    pub staff_seen: StaffSeen,
    /// The address the service listens on, for the open-service warning.
    pub address: IpAddr,
}

/// Whether any account or key exists, remembered once one does (accounts
/// and keys are never deleted); while none does, asked again at most once a
/// second, so another process's first account closes this one soon.
#[derive(Default)]
pub struct StaffSeen {
    seen: AtomicBool,
    asked_at: AtomicI64,
    /// One request asks the database at a time; the others go by the
    /// last answer meanwhile.
    asking: AtomicBool,
}

/// How long "no account and no key" is believed without asking again.
const OPEN_RECHECK_MS: Millis = 1000;

impl StaffSeen {
    /// An account or a key exists.
    pub fn saw(&self) {
        self.seen.store(true, Ordering::Relaxed);
    }

    pub fn seen(&self) -> bool {
        self.seen.load(Ordering::Relaxed)
    }

    /// Whether to go by the last answer ("none") at `now`: it is less than
    /// a second old, or another request is asking again. `false`: this
    /// request asks, and tells [`StaffSeen::asked`] the answer.
    pub fn go_by_last(&self, now: Millis) -> bool {
        let asked = self.asked_at.load(Ordering::Relaxed);
        if asked != 0 && now.saturating_sub(asked) < OPEN_RECHECK_MS {
            return true;
        }
        self.asking
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
            && asked != 0
    }

    /// What the database said at `now` (`None`: it could not say).
    pub fn asked(&self, now: Millis, configured: Option<bool>) {
        match configured {
            Some(true) => self.saw(),
            Some(false) => self.asked_at.store(now.max(1), Ordering::Relaxed),
            None => {}
        }
        self.asking.store(false, Ordering::Release);
    }
}
