//! Every redb table boxoffice uses, in one place.
//!
//! Ids are ULIDs as `u128` (they sort by creation time, so a show's tickets
//! come out in booking order); instants are `i64` Unix milliseconds UTC.

use redb::{MultimapTableDefinition, TableDefinition};

/// `schema_version` → the layout this file was written with.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const SCHEMA_VERSION_KEY: &str = "schema_version";

pub const SHOW_ID_TO_SHOW: TableDefinition<u128, &[u8]> = TableDefinition::new("show_id_to_show");
/// One show per start instant; also the time order the purge walks.
pub const SHOW_START_TO_SHOW_ID: TableDefinition<i64, u128> =
    TableDefinition::new("show_start_to_show_id");
pub const TICKET_ID_TO_TICKET: TableDefinition<u128, &[u8]> =
    TableDefinition::new("ticket_id_to_ticket");
/// A show's tickets in booking order (since schema 2).
pub const SHOW_ID_TO_TICKET_IDS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("show_id_to_ticket_ids");
