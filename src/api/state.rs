//! What every handler shares: the configuration, the backend and the
//! database's paging secret, as Rocket's managed state. The service builds it
//! (`service::build`); the api only reads it.

use std::sync::Arc;

use crate::api::cursor::CursorKey;
use crate::config::Config;
use crate::usecases::Backend;

/// What every handler shares.
pub struct App {
    pub config: Config,
    pub bookings: Arc<dyn Backend>,
    /// Found at start-up, said once on standard error and on every `/readyz`.
    pub warnings: Vec<String>,
    /// Signs and checks paging cursors; the database's own secret.
    pub cursor_key: CursorKey,
}
