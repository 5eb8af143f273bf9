//! HTTP: the `/api` and `/v1` routes, their `OpenAPI` document and Swagger
//! UI, the kiosk and counter pages, the health routes, and the JSON catchers.

pub mod auth;
pub mod body;
pub mod channel;
pub mod client;
mod docs;
pub mod error;
pub mod health;
pub mod hosts;
pub mod idempotency;
pub mod observe;
pub mod pages;
pub mod seed;
pub mod v1;

use rocket::shield::{Frame, NoSniff, Shield};
use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;

use crate::config::Config;

pub use docs::{docs_routes, ApiDoc};

/// Where the seed-compatible routes live.
pub const API_BASE: &str = "/api";

pub use v1::V1_BASE;

/// The security headers on every answer: `X-Content-Type-Options: nosniff`
/// and `X-Frame-Options: SAMEORIGIN`, as Rocket's default shield sends them.
/// Its third, `Permissions-Policy: interest-cohort=()`, opted out of a
/// browser feature that no browser has any more; Chromium now names it an
/// unrecognized feature on every page, and it cost each answer its bytes.
pub fn shield() -> Shield {
    Shield::new()
        .enable(NoSniff::default())
        .enable(Frame::default())
}

/// The API's routes and the `OpenAPI` document that describes them all.
pub struct Routes {
    /// To mount at [`API_BASE`].
    pub seed: Vec<Route>,
    /// To mount at [`V1_BASE`].
    pub v1: Vec<Route>,
    pub spec: OpenApi,
}

/// The API routes and the `OpenAPI` document that describes them as `config`
/// sets them up.
pub fn routes(config: &Config) -> Routes {
    let (seed, seed_spec) = seed::routes();
    let (v1, v1_spec) = v1::routes();
    Routes {
        seed,
        v1,
        spec: docs::finish(seed_spec, v1_spec, config),
    }
}
