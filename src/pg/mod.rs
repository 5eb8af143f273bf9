//! The use cases on PostgreSQL, for a chain whose box offices run several
//! processes on one database (`database_url`).
//!
//! Every write is ONE transaction at READ COMMITTED: it locks the rows its
//! decision rests on (`SELECT … FOR UPDATE`: the show whose seats it sells,
//! the screen it schedules on), reads what it needs, asks the same domain
//! rules as the redb store, and writes only what they decided. A show's row
//! is the lock for its seats: every sale, hold, move, cancellation and purge
//! of a show takes it first, so at READ COMMITTED each of them reads the
//! show's count, seats, tickets and holds as the last commit left them.
//!
//! An `Idempotency-Key`'s answer is a row of `answers`, written in the same
//! transaction as the change. The row is inserted before the use case runs,
//! so the same key arriving on another process waits for the first to
//! commit and then replays its answer.
//!
//! Waiting requests are not grouped into one transaction, as the redb writer
//! groups them: PostgreSQL already shares WAL flushes between concurrent
//! commits, and one transaction for several shows would hold all their locks
//! until the slowest is done. The README gives the figures this choice gives.

mod error;
mod prices;
mod reads;
mod records;
mod schema;
mod service;
mod staff;
mod writes;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

pub use error::PgError;
pub use schema::SCHEMA_VERSION;

use crate::clock::SharedClock;
use crate::domain::{Millis, Rules};
use crate::metrics::Metrics;
use crate::usecases::Readiness;

/// How a backend connects.
#[derive(Clone, Copy, Debug)]
pub struct PgSettings {
    /// Most connections of this process (>= 1).
    pub pool_size: usize,
    /// How long a use case waits for a free connection or a new one.
    pub wait: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            pool_size: 16,
            wait: Duration::from_secs(5),
        }
    }
}

/// How often readiness asks the database whether it answers.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether the database took the last write or probe, and if not, why.
#[derive(Debug, Default)]
struct Health(Mutex<Option<&'static str>>);

impl Health {
    fn failing(&self) -> Option<&'static str> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, cause: Option<&'static str>) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match (*state, cause) {
            (None, Some(cause)) => rocket::error!("the database cannot take writes: {cause}"),
            (Some(_), None) => rocket::warn!("the database takes writes again"),
            _ => {}
        }
        *state = cause;
    }
}

/// Ids: ULIDs whose 48-bit time is the trusted now (never before the last
/// one this process minted), then 40 bits of a database sequence, then 40
/// random bits. The sequence makes them unique across processes and sort in
/// minting order within one; the random bits keep them as hard to guess as
/// the redb store's (a ticket id reads its holder's name on `/api`).
struct Ids {
    last_ms: AtomicI64,
}

const SEQUENCE_BITS: u32 = 40;
const RANDOM_BITS: u32 = 40;

impl Ids {
    fn id(&self, now: Millis, sequence: i64) -> u128 {
        let ms = self.last_ms.fetch_max(now, Ordering::SeqCst).max(now);
        let ms = u128::from(u64::try_from(ms).unwrap_or(0)) & ((1 << 48) - 1);
        let sequence = u128::from(sequence.cast_unsigned()) & ((1 << SEQUENCE_BITS) - 1);
        let random = ulid::Ulid::generate().0 & ((1 << RANDOM_BITS) - 1);
        (ms << (SEQUENCE_BITS + RANDOM_BITS)) | (sequence << RANDOM_BITS) | random
    }
}

/// What the backend's handles and its probe thread share.
struct Shared {
    health: Health,
    closed: AtomicBool,
}

pub struct PgBackend {
    pool: Pool,
    clock: SharedClock,
    rules: Rules,
    ids: Ids,
    /// Where trusted time starts from (none for a new database).
    last_trusted: Option<Millis>,
    /// The wall clock when this process opened the database.
    started_at: Millis,
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    cursor_secret: Vec<u8>,
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.pool.close();
    }
}

/// Connection settings from a `postgres://` URL (or a key=value string).
fn parse_url(url: &str) -> Result<tokio_postgres::Config, PgError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|error: tokio_postgres::Error| PgError::Url(error.to_string()))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    config.application_name("boxoffice");
    Ok(config)
}

/// Runs `work` on a runtime of its own on another thread: start-up may be
/// called from inside the service's runtime or outside any.
fn on_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, PgError>> + Send + 'static,
) -> Result<T, PgError> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| PgError::Url(format!("cannot start a runtime: {error}")))?
            .block_on(work)
    })
    .join()
    .unwrap_or_else(|_| Err(PgError::Schema("start-up panicked".into())))
}

/// One connection outside the pool, its driver on the current runtime.
async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, PgError> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

impl PgBackend {
    /// Connects, creates or upgrades the schema, and sets the clock's floor
    /// to the newest record stored. The returned thread probes the database
    /// for readiness; it ends soon after the backend is dropped.
    pub fn open(
        url: &str,
        rules: Rules,
        clock: SharedClock,
        settings: PgSettings,
        metrics: Arc<Metrics>,
    ) -> Result<(Self, JoinHandle<()>), PgError> {
        let config = parse_url(url)?;
        let setup = config.clone();
        let (newest, trusted, cursor_secret) = on_own_runtime(async move {
            let mut client = connect(&setup).await?;
            let found = schema::migrate(&mut client).await?;
            if found < SCHEMA_VERSION {
                rocket::info!("upgraded the database from schema {found} to {SCHEMA_VERSION}");
            }
            let newest = reads::newest_instant(&client).await?;
            let trusted = reads::trusted_time(&client).await?;
            let secret = schema::cursor_secret(&client).await?;
            schema::check_currency(&client, rules.currency).await?;
            Ok::<_, PgError>((newest, trusted, secret))
        })?;
        let started_at = clock.now_or_last();
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.wait))
            .create_timeout(Some(settings.wait))
            .recycle_timeout(Some(settings.wait))
            .build()?;
        let shared = Arc::new(Shared {
            health: Health::default(),
            closed: AtomicBool::new(false),
        });
        let probe = probe_thread(config, Arc::clone(&shared));
        Ok((
            Self {
                pool,
                clock,
                rules,
                ids: Ids {
                    last_ms: AtomicI64::new(newest),
                },
                // The purge's heartbeat, or for a database that has none
                // yet, the newest record.
                last_trusted: trusted.or(Some(newest).filter(|newest| *newest > 0)),
                started_at,
                metrics,
                shared,
                cursor_secret,
            },
            probe,
        ))
    }

    /// The key paging cursors are signed with, the same for every process
    /// on this database.
    pub fn cursor_secret(&self) -> &[u8] {
        &self.cursor_secret
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Where trusted time starts from (see [`crate::clock::Clock::begin`]).
    pub fn last_trusted(&self) -> Option<Millis> {
        self.last_trusted
    }

    /// The wall clock when this process opened the database.
    pub fn started_at(&self) -> Millis {
        self.started_at
    }

    /// `boxoffice clock trust`: the wall clock is right from `now` on, for
    /// every process (each takes it at its next purge) and every later start.
    pub fn trust_clock(url: &str, now: Millis) -> Result<(), PgError> {
        let config = parse_url(url)?;
        on_own_runtime(async move {
            let mut client = connect(&config).await?;
            schema::migrate(&mut client).await?;
            client
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('clock_trusted_at', $1), ('trusted_time', $1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&now],
                )
                .await?;
            Ok(())
        })
    }

    fn readiness(&self) -> Readiness {
        if self.clock.now().is_err() {
            return Readiness::NotReady(format!(
                "the database cannot take writes: {}",
                error::CLOCK_UNUSABLE
            ));
        }
        match self.shared.health.failing() {
            Some(cause) => Readiness::NotReady(format!("the database cannot take writes: {cause}")),
            None => Readiness::Ready,
        }
    }

    /// Notes what a use case found out about the database.
    fn observe(&self, result: Result<(), &PgError>) {
        match result {
            Ok(()) => {
                if self.shared.health.failing().is_some() {
                    self.shared.health.set(None);
                }
            }
            Err(error) => {
                if let Some(cause) = error.unavailability() {
                    if cause != error::CLOCK_UNUSABLE {
                        self.shared.health.set(Some(cause));
                    }
                }
            }
        }
    }
}

/// Asks the database every [`PROBE_EVERY`] whether it answers, so that
/// readiness turns false when it goes away and true when it is back, with
/// or without traffic.
fn probe_thread(config: tokio_postgres::Config, shared: Arc<Shared>) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("boxoffice-pg-probe".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let mut client: Option<tokio_postgres::Client> = None;
                let mut last: Option<Instant> = None;
                while !shared.closed.load(Ordering::SeqCst) {
                    if last.is_some_and(|last| last.elapsed() < PROBE_EVERY) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    last = Some(Instant::now());
                    let answered = async {
                        if client
                            .as_ref()
                            .is_none_or(tokio_postgres::Client::is_closed)
                        {
                            client = Some(connect(&config).await?);
                        }
                        if let Some(client) = &client {
                            client.simple_query("SELECT 1").await?;
                        }
                        Ok::<(), PgError>(())
                    };
                    match tokio::time::timeout(PROBE_EVERY * 3, answered).await {
                        Ok(Ok(())) => {
                            if shared.health.failing().is_some() {
                                shared.health.set(None);
                            }
                        }
                        Ok(Err(error)) => {
                            client = None;
                            shared
                                .health
                                .set(Some(error.unavailability().unwrap_or(error::UNREACHABLE)));
                        }
                        Err(_) => {
                            client = None;
                            shared.health.set(Some(error::UNREACHABLE));
                        }
                    }
                }
            });
        })
        .expect("the probe thread starts")
}
