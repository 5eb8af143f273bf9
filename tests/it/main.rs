//! Integration tests: one binary, one module per area.

mod support;

mod api;
mod group_commit;
mod lifecycle;
