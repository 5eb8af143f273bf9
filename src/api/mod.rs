//! HTTP: the `/api` routes, their `OpenAPI` document and Swagger UI, the
//! health routes, and the JSON catchers.

pub mod auth;
pub mod body;
mod docs;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod observe;
pub mod seed;

use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;

use crate::config::Config;

pub use docs::{docs_routes, ApiDoc};

/// Where the seed-compatible routes live.
pub const API_BASE: &str = "/api";

/// The API routes and the `OpenAPI` document that describes them as `config`
/// sets them up.
pub fn routes(config: &Config) -> (Vec<Route>, OpenApi) {
    let (routes, spec) = seed::routes();
    (routes, docs::finish(spec, config))
}
