//! Integration tests: one binary, one module per area.

mod support;

mod api;
mod concurrency;
mod crash;
mod docs;
mod documented_patterns;
mod expiry;
mod group_commit;
mod hostile;
mod hostile_http;
mod lifecycle;
mod limits;
mod model;
mod privacy;
mod store;
