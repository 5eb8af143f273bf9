//! Integration tests: one binary, one module per area.

// Fixtures are small known values (their casts cannot truncate), and a
// scenario reads best as one function from start to end.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

mod support;

mod access_log;
mod api;
mod backpressure;
mod backup;
mod browser;
mod cinema_model;
mod cli;
mod client_limits;
mod clock_start;
mod concurrency;
mod corruption;
mod crash;
mod docs;
mod documented_patterns;
mod dump;
mod expiry;
mod faults;
mod files;
mod find;
mod group_commit;
mod hostile;
mod hostile_http;
mod legacy_journal;
mod lifecycle;
mod limits;
mod metrics;
mod model;
mod module_cycles;
mod mongoexport;
mod pages;
mod pg;
mod prices;
mod privacy;
mod races;
mod security;
mod show_holds;
mod staff;
mod store;
mod time;
mod upgrade;
mod v1;
mod v1_crash;
