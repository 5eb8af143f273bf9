//! The service put together: configuration → store → writer → Rocket with
//! the API, its docs, the health routes, the JSON catchers and the purge.
//! `main.rs` and the tests share [`build`].

use std::io::Write;
use std::sync::Arc;
use std::thread::JoinHandle;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Orbit, Rocket};

use crate::api;
use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::expiry::Purge;
use crate::store::{RedbBookings, Store, StoreError, WriterSettings};
use crate::usecases::{Backend, Bookings};

/// What every handler shares.
pub struct App {
    pub config: Config,
    pub bookings: Arc<dyn Backend>,
}

/// A configured service, ready to launch.
pub struct Service {
    pub rocket: Rocket<Build>,
    /// Ends once the Rocket (and so every writer handle) is dropped; join it
    /// so the database closes cleanly before the process exits.
    pub writer_thread: JoinHandle<()>,
}

/// Why the service cannot start: one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The exit status when the writer thread dies (`EX_SOFTWARE`).
pub const WRITER_DIED: i32 = 70;

/// A dead writer leaves a service that can only refuse writes: say why and
/// end the process, so that a supervisor starts a healthy one.
fn exit_on_writer_death(why: &str) {
    eprintln!(
        "boxoffice: the writer thread died ({why}); exiting so that a supervisor can restart the service"
    );
    std::process::exit(WRITER_DIED);
}

/// One line on standard output once the service listens, whatever the log
/// level: where it listens, where the docs are, and which database it uses.
fn announce(rocket: &Rocket<Orbit>) {
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

/// Builds the service from a figment (see [`crate::config::figment`]) and a clock.
pub fn build(figment: Figment, clock: SharedClock) -> Result<Service, StartError> {
    let config = Config::from_figment(&figment)?;
    let store = Store::open(&config.db_path, config.cache_size, config.rules())?;
    // Trusted time never goes back before what is already stored.
    clock.floor(store.newest_instant()?);
    let settings = WriterSettings {
        max_batch: config.max_batch,
        queue_limit: config.queue_limit,
    };
    let (bookings, writer_thread) =
        RedbBookings::start(store, clock, settings, Box::new(exit_on_writer_death));
    let bookings: Arc<dyn Backend> = Arc::new(bookings);
    let api::Routes { seed, v1, spec } = api::routes(&config);
    let spec = serde_json::to_string(&spec).expect("the OpenAPI document serializes");
    let purge = Purge::new(
        Arc::clone(&bookings) as Arc<dyn Bookings>,
        config.purge_interval,
    );
    let rocket = rocket::custom(figment)
        .mount(api::API_BASE, seed)
        .mount(api::V1_BASE, v1)
        .mount("/", api::docs_routes())
        .mount("/", api::health::routes())
        .register("/", api::error::catchers())
        .manage(api::ApiDoc(spec))
        .manage(App { config, bookings })
        .attach(purge)
        .attach(AdHoc::on_liftoff("announce", |rocket| {
            Box::pin(async move { announce(rocket) })
        }));
    Ok(Service {
        rocket,
        writer_thread,
    })
}
