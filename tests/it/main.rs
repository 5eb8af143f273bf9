//! Integration tests: one binary, one module per area.

mod support;

mod api;
mod concurrency;
mod crash;
mod docs;
mod expiry;
mod lifecycle;
mod model;
mod store;
