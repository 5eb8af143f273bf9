//! The purge: a task started at liftoff that every `purge_interval` deletes
//! expired shows and their tickets (and what else has run out: holds,
//! idempotency answers, cooldowns, staff sessions, idle wrong-password
//! counts), in bounded batches so that bookings
//! queued meanwhile commit between them. Stopped and awaited at shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Orbit, Rocket};
use tokio::task::JoinHandle;

use crate::service_log::ServiceLog;
use crate::usecases::{Bookings, Error, PurgeReport};

/// Shows plus tickets deleted per write transaction.
pub const PURGE_BATCH: usize = 1_000;
/// How long shutdown waits for a purge batch in flight.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a standing warning (a distrusted clock) is logged again.
const WARN_EVERY: Duration = Duration::from_hours(1);

pub struct Purge {
    bookings: Arc<dyn Bookings>,
    interval: Duration,
    task: Mutex<Option<JoinHandle<()>>>,
    log: Arc<ServiceLog>,
}

impl Purge {
    pub fn new(bookings: Arc<dyn Bookings>, interval: Duration) -> Self {
        Self {
            bookings,
            interval,
            task: Mutex::new(None),
            log: Arc::new(ServiceLog::off(crate::service_log::LogFormat::Text)),
        }
    }

    /// Says what each purge deleted, and why one failed, in `log`.
    #[must_use]
    pub fn logging_to(mut self, log: Arc<ServiceLog>) -> Self {
        self.log = log;
        self
    }
}

/// Purges until nothing expired is left; returns what went.
pub async fn purge_expired(bookings: &dyn Bookings) -> Result<PurgeReport, Error> {
    let mut total = PurgeReport::default();
    loop {
        let report = bookings.purge_expired(PURGE_BATCH).await?;
        total.shows += report.shows;
        total.tickets += report.tickets;
        total.holds += report.holds;
        total.answers += report.answers;
        total.sessions += report.sessions;
        total.throttles += report.throttles;
        if !report.more {
            return Ok(total);
        }
    }
}

#[rocket::async_trait]
impl Fairing for Purge {
    fn info(&self) -> Info {
        Info {
            name: "expired ticket purge",
            kind: Kind::Liftoff | Kind::Shutdown,
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let bookings = Arc::clone(&self.bookings);
        let log = Arc::clone(&self.log);
        let interval = self.interval;
        let mut shutdown = rocket.shutdown();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut warned: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    () = &mut shutdown => break,
                    _ = ticks.tick() => {}
                }
                // Taken every tick, so that a request left while nothing was
                // distrusted is not left lying beside the database.
                if let Err(error) = bookings.take_clock_trust().await {
                    log.error(format!(
                        "cannot read whether the clock is trusted: {}",
                        crate::error_chain(&error)
                    ));
                }
                let warnings = bookings.warnings();
                if warnings.is_empty() {
                    warned = None;
                } else if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    warned = Some(tokio::time::Instant::now());
                    for warning in warnings {
                        log.warn(warning);
                    }
                }
                match purge_expired(bookings.as_ref()).await {
                    Ok(report)
                        if report.shows
                            + report.tickets
                            + report.holds
                            + report.answers
                            + report.sessions
                            + report.throttles
                            > 0 =>
                    {
                        log.info(format!(
                            "purge: deleted {} expired tickets, {} shows, {} holds, {} idempotency \
                             answers, {} ended sessions and {} idle wrong-password counts",
                            report.tickets,
                            report.shows,
                            report.holds,
                            report.answers,
                            report.sessions,
                            report.throttles
                        ));
                    }
                    Ok(_) => {}
                    Err(error) => {
                        log.error(format!("purge failed: {}", crate::error_chain(&error)));
                    }
                }
            }
        });
        *self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(task);
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
                rocket::warn!("purge did not stop within {STOP_TIMEOUT:?}");
            }
        }
    }
}
