//! Integration tests: one binary, one module per area.

mod support;

mod api;
mod documented_patterns;
mod hostile;
mod hostile_http;
mod lifecycle;
mod privacy;
