//! Integration tests: one binary, one module per area.

mod support;

mod api;
mod docs;
mod expiry;
mod lifecycle;
mod store;
