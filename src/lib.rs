//! boxoffice: movie-theatre ticket booking over one embedded redb file.
//!
//! Layers, each depending only on those below it:
//! - `api`: HTTP — routes, wire formats, the `OpenAPI` document, catchers;
//! - `usecases`: the use cases, as one interface every backend implements;
//! - `store`: the redb backend (schema, reads, writes, the single writer);
//! - `domain`: ids, shows, tickets and the rules, as pure functions.
//!
//! `service` puts them together; `cli` is the command line.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod expiry;
pub mod memory;
pub mod metrics;
pub mod mongoexport;
pub mod ntp;
pub mod os_limits;
pub mod panics;
pub mod pg;
pub mod service;
pub mod service_log;
pub mod store;
pub mod usecases;

pub use api::App;
pub use service::{build, Service, StartError};

/// An error and every cause under it, on one line: `a: b: c`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let text = next.to_string();
        // Some errors repeat their source in their own message.
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = next.source();
    }
    line
}
