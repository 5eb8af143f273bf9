//! The service put together: configuration → store → writer → Rocket with
//! the API, its docs, the health routes, the JSON catchers and the purge.
//! `main.rs` and the tests share [`build`].

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::thread::JoinHandle;

use rocket::config::LogLevel;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Orbit, Rocket};

use crate::api::{self, App};
use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::expiry::Purge;
use crate::metrics::Metrics;
use crate::pg::{PgBackend, PgError, PgSettings};
use crate::service_log::{LogFormat, ServiceLog};
use crate::store::{RedbBookings, Store, StoreError, WriterSettings};
use crate::usecases::staff::Passwords;
use crate::usecases::{Backend, Bookings};

/// A configured service, ready to launch.
pub struct Service {
    pub rocket: Rocket<Build>,
    /// Ends once the Rocket (and so every writer handle) is dropped; join it
    /// so the database closes cleanly before the process exits. On
    /// PostgreSQL it is the readiness probe, which ends with the backend.
    pub writer_thread: JoinHandle<()>,
    /// The service's own log (access lines and events); flush it last.
    pub log: Arc<ServiceLog>,
}

/// Why the service cannot start: one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use the PostgreSQL database")]
    Postgres(#[from] PgError),
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
/// level: where it listens, where the docs are, and which database it uses
/// (in the log's JSON when `log_format = "json"`).
fn announce(rocket: &Rocket<Orbit>, log: &ServiceLog) {
    let config = rocket.config();
    let database = rocket
        .state::<App>()
        .map(|app| database_name(&app.config))
        .unwrap_or_default();
    let line = format!(
        "boxoffice listening on http://{}:{} (Swagger UI at /, kiosk at /kiosk, counter at /counter), database {database}",
        config.address, config.port
    );
    if log.is_enabled() && log.format() == LogFormat::Json {
        log.info(line);
        log.flush();
    } else {
        // A closed standard output must not stop the service.
        let _ = writeln!(std::io::stdout(), "{line}");
    }
}

/// The database as the start-up line names it: the redb file, or the
/// PostgreSQL database and host (never the URL: it may carry a password).
fn database_name(config: &Config) -> String {
    let Some(url) = &config.database_url else {
        return config.db_path.display().to_string();
    };
    let Ok(parsed) = url.parse::<tokio_postgres::Config>() else {
        return "PostgreSQL".into();
    };
    let host = match parsed.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = parsed.get_ports().first().copied().unwrap_or(5432);
    format!(
        "PostgreSQL {} on {host}:{port}",
        parsed.get_dbname().unwrap_or("(default)")
    )
}

/// Where trusted time starts from: `last_trusted`, unless the wall clock is
/// synchronised or within a purge interval of it (see [`crate::clock`]).
fn begin_clock(clock: &SharedClock, last_trusted: Option<crate::domain::Millis>, config: &Config) {
    // A new database has nothing a wrong clock could purge.
    let Some(last_trusted) = last_trusted else {
        return;
    };
    let tolerance =
        crate::domain::Millis::try_from(config.purge_interval.as_millis()).unwrap_or(i64::MAX);
    clock.begin(last_trusted, config.clock_sync.synchronised(), tolerance);
}

/// The warning said at start-up: for a service that listens beyond this
/// machine with no token configured and (as the database says) no account
/// or key.
fn start_warning(address: IpAddr, config: &Config, staff: bool) -> Option<String> {
    let closed = api::auth::tokens_configured(config) || staff;
    (!closed && !address.to_canonical().is_loopback())
        .then(|| api::auth::open_service_warning(address))
}

/// The service's own log, at Rocket's `log_level` (`off` silences it).
fn service_log(figment: &Figment, config: &Config) -> ServiceLog {
    let level = figment
        .extract_inner::<LogLevel>("log_level")
        .unwrap_or(LogLevel::Normal);
    ServiceLog::stdout(config.log_format, level != LogLevel::Off)
}

/// Whether the database holds an account or a key, asked once at start-up
/// (`None`: it could not say; the first request asks again).
fn staff_configured(bookings: &Arc<dyn Backend>) -> Option<bool> {
    let bookings = Arc::clone(bookings);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(bookings.staff_configured()).ok()
    })
    .join()
    .ok()
    .flatten()
}

/// Builds the service from a figment (see [`crate::config::figment`]) and a clock.
pub fn build(figment: Figment, clock: SharedClock) -> Result<Service, StartError> {
    let config = Config::from_figment(&figment)?;
    let metrics = Arc::new(Metrics::new());
    let log = Arc::new(service_log(&figment, &config));
    let (bookings, writer_thread, cursor_key): (Arc<dyn Backend>, _, _) =
        if let Some(url) = &config.database_url {
            let settings = PgSettings {
                pool_size: config.database_pool,
                ..PgSettings::default()
            };
            let (bookings, probe) = PgBackend::open(
                url,
                config.rules(),
                Arc::clone(&clock),
                settings,
                Arc::clone(&metrics),
            )?;
            begin_clock(&clock, bookings.last_trusted(), &config);
            let cursor_key = api::cursor::CursorKey::new(bookings.cursor_secret());
            (Arc::new(bookings), probe, cursor_key)
        } else {
            let store = Store::open(&config.db_path, config.cache_size, config.rules())?;
            let cursor_key = api::cursor::CursorKey::new(&store.cursor_secret());
            begin_clock(&clock, store.last_trusted()?, &config);
            let settings = WriterSettings {
                max_batch: config.max_batch,
                queue_limit: config.queue_limit,
            };
            let (bookings, writer_thread) = RedbBookings::start_measured(
                store,
                clock,
                settings,
                Box::new(exit_on_writer_death),
                Arc::clone(&metrics),
            );
            (Arc::new(bookings), writer_thread, cursor_key)
        };
    let api::Routes { seed, v1, spec } = api::routes(&config);
    let spec = serde_json::to_string(&spec).expect("the OpenAPI document serializes");
    let purge = Purge::new(
        Arc::clone(&bookings) as Arc<dyn Bookings>,
        config.purge_interval,
    )
    .logging_to(Arc::clone(&log));
    let announcing = Arc::clone(&log);
    let host_check = api::hosts::HostCheck::new(&config.allowed_hosts);
    let address = figment
        .extract_inner::<IpAddr>("address")
        .unwrap_or(Ipv4Addr::LOCALHOST.into());
    let staff = staff_configured(&bookings);
    if let Some(warning) = start_warning(address, &config, staff.unwrap_or(false)) {
        eprintln!("boxoffice: warning: {warning}");
    }
    let staff_seen = api::state::StaffSeen::default();
    let started = chrono::Utc::now().timestamp_millis();
    staff_seen.asked(started, staff);
    let rocket = rocket::custom(figment)
        .mount(api::API_BASE, seed)
        .mount(api::V1_BASE, v1)
        .mount("/", api::docs_routes())
        .mount("/", api::pages::routes())
        .mount("/", api::health::routes())
        .mount("/", api::observe::routes())
        .register("/", api::error::catchers())
        .manage(api::ApiDoc(spec))
        .manage(App {
            config,
            bookings,
            cursor_key,
            passwords: Arc::new(Passwords::new()),
            staff_seen,
            address,
        })
        .manage(Arc::clone(&metrics))
        .attach(host_check)
        .attach(api::shield())
        .attach(api::observe::Observe::new(metrics, Arc::clone(&log)))
        .attach(purge)
        .attach(AdHoc::on_liftoff("announce", move |rocket| {
            Box::pin(async move { announce(rocket, &announcing) })
        }));
    Ok(Service {
        rocket,
        writer_thread,
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: Option<&str>) -> Config {
        let figment = crate::config::figment().merge(("db_path", "unused.redb"));
        let mut config = Config::from_figment(&figment).expect("a valid configuration");
        config.admin_token = token.map(str::to_owned);
        config
    }

    #[test]
    fn only_an_open_service_beyond_loopback_is_warned_about_at_start() {
        let open = config(None);
        let everywhere: IpAddr = "0.0.0.0".parse().unwrap();
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        for address in [everywhere, lan, "::".parse().unwrap()] {
            let warning = start_warning(address, &open, false).expect("a warning");
            assert!(warning.contains(&address.to_string()), "{warning}");
            assert!(warning.contains("boxoffice staff add"), "{warning}");
            assert!(!warning.contains('\n'));
        }
        for loopback in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(start_warning(loopback.parse().unwrap(), &open, false), None);
        }
        assert_eq!(start_warning(lan, &config(Some("boss")), false), None);
        assert_eq!(
            start_warning(lan, &open, true),
            None,
            "an account closes it"
        );
    }
}
