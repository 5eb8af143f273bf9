//! HTTP: the `/api` and `/v1` routes, their `OpenAPI` document and Swagger
//! UI, the kiosk and counter pages, the health routes, and the JSON catchers.
//!
//! Inside, imports point one way (`tests/it/module_cycles.rs` holds it):
//! - the two surfaces, `seed` (`/api`) and `v1`, never import each other;
//! - below them, the shared pieces both use: the handlers' state
//!   ([`state::App`]), tokens and clients (`auth`, `client`, `hosts`), bodies
//!   and fields (`body`, `fields`), the answers (`error` for `/api` and the
//!   catchers, `problem` for RFC 9457, `reply`, `cursor`), the
//!   `Idempotency-Key` guard (`idempotency`), and where each surface lives
//!   (`paths`);
//! - above them, `docs` finishes one document from both, and [`routes`]
//!   hands everything to `service`, which builds the state and mounts it.

pub mod auth;
pub mod body;
pub mod channel;
pub mod client;
pub mod cursor;
mod docs;
pub mod error;
pub mod fields;
pub mod health;
pub mod hosts;
pub mod idempotency;
pub mod observe;
pub mod pages;
pub mod paths;
pub mod problem;
pub mod reply;
pub mod seed;
pub mod state;
pub mod v1;

use rocket::shield::{Frame, NoSniff, Shield};
use rocket::Route;
use rocket_okapi::okapi::openapi3::OpenApi;

use crate::config::Config;

pub use docs::{docs_routes, ApiDoc};
pub use paths::{API_BASE, V1_BASE};
pub use state::App;

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
