//! boxoffice: movie-theatre ticket booking over one embedded redb file.
//!
//! `main.rs` and the tests share [`build`]: configuration → store → writer →
//! Rocket with the API, its docs, the JSON catchers and the purge.

pub mod api;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod expiry;
pub mod memory;
pub mod os_limits;
pub mod store;
pub mod writer;

use std::io::Write;
use std::sync::Arc;
use std::thread::JoinHandle;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Orbit, Rocket};

use clock::SharedClock;
use config::Config;
use store::{Rules, Store};
use writer::Writer;

/// What every handler shares.
pub struct App {
    pub config: Config,
    pub store: Arc<Store>,
    pub writer: Writer,
    pub clock: SharedClock,
}

/// A configured service, ready to launch.
pub struct Service {
    pub rocket: Rocket<Build>,
    /// Ends once the Rocket (and so every writer handle) is dropped; join it
    /// so the database closes cleanly before the process exits.
    pub writer_thread: JoinHandle<()>,
}

/// Why the service cannot start: one line for the operator.
#[derive(Debug)]
pub enum StartError {
    Config(config::ConfigError),
    Store(store::StoreError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(error) => error.fmt(f),
            Self::Store(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for StartError {}

/// One line on standard output once the service listens, whatever the log
/// level: where it listens, where the docs are, and which database it uses.
async fn announce(rocket: &Rocket<Orbit>) {
    let config = rocket.config();
    let database = rocket
        .state::<App>()
        .map(|app| app.config.db_path.display().to_string())
        .unwrap_or_default();
    // A closed standard output must not stop the service.
    let _ = writeln!(
        std::io::stdout(),
        "boxoffice listening on http://{}:{} (Swagger UI at /), database {database}",
        config.address,
        config.port
    );
}

/// Builds the service from a figment (see [`config::figment`]) and a clock.
pub fn build(figment: Figment, clock: SharedClock) -> Result<Service, StartError> {
    let config = Config::from_figment(&figment).map_err(StartError::Config)?;
    let rules = Rules {
        capacity: config.capacity,
        expire_after_ms: config.expire_after_millis(),
    };
    let store = Arc::new(
        Store::open(&config.db_path, config.cache_size, rules).map_err(StartError::Store)?,
    );
    let (writer, writer_thread) =
        Writer::start(Arc::clone(&store), Arc::clone(&clock), config.max_batch);
    let (api_routes, spec) = api::routes(&config);
    let spec = serde_json::to_string(&spec).expect("the OpenAPI document serializes");
    let purge = expiry::Purge::new(writer.clone(), config.purge_interval);
    let rocket = rocket::custom(figment)
        .mount(api::API_BASE, api_routes)
        .mount("/", api::docs_routes())
        .register("/", error::catchers())
        .manage(api::ApiDoc(spec))
        .manage(App {
            config,
            store,
            writer,
            clock,
        })
        .attach(purge)
        .attach(AdHoc::on_liftoff("announce", |rocket| {
            Box::pin(announce(rocket))
        }));
    Ok(Service {
        rocket,
        writer_thread,
    })
}
