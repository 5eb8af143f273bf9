//! What every handler shares: the configuration, the backend and the
//! database's paging secret, as Rocket's managed state. The service builds it
//! (`service::build`); the api only reads it.

use std::net::IpAddr;
use std::sync::Arc;

use crate::api::auth::StaffSeen;
use crate::api::cursor::CursorKey;
use crate::config::Config;
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
