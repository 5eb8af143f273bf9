//! The purge: a task started at liftoff that every `purge_interval` deletes
//! expired shows and their tickets through the writer, in bounded batches so
//! that bookings queued meanwhile commit between them. Stopped and awaited at
//! shutdown.

use std::sync::Mutex;
use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Orbit, Rocket};
use tokio::task::JoinHandle;

use crate::store::{Command, Done, PurgeReport};
use crate::writer::Writer;

/// Shows plus tickets deleted per write transaction.
pub const PURGE_BATCH: usize = 1_000;
/// How long shutdown waits for a purge batch in flight.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Purge {
    writer: Writer,
    interval: Duration,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Purge {
    pub fn new(writer: Writer, interval: Duration) -> Self {
        Self {
            writer,
            interval,
            task: Mutex::new(None),
        }
    }
}

/// Purges until nothing expired is left; returns what went.
pub async fn purge_expired(writer: &Writer) -> Result<PurgeReport, crate::error::Error> {
    let mut total = PurgeReport::default();
    loop {
        match writer
            .execute(Command::Purge {
                budget: PURGE_BATCH,
            })
            .await?
        {
            Done::Purged(report) => {
                total.shows += report.shows;
                total.tickets += report.tickets;
                if !report.more {
                    return Ok(total);
                }
            }
            other => {
                return Err(crate::error::Error::internal(format!(
                    "purge got {other:?}"
                )))
            }
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
        let writer = self.writer.clone();
        let interval = self.interval;
        let mut shutdown = rocket.shutdown();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = ticks.tick() => {}
                }
                match purge_expired(&writer).await {
                    Ok(report) if report.shows + report.tickets > 0 => rocket::info!(
                        "purge: deleted {} expired tickets and {} shows",
                        report.tickets,
                        report.shows
                    ),
                    Ok(_) => {}
                    Err(error) => rocket::error!("purge failed: {error:?}"),
                }
            }
        });
        *self
            .task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(task);
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        let task = self
            .task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .take();
        if let Some(task) = task {
            if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
                rocket::warn!("purge did not stop within {STOP_TIMEOUT:?}");
            }
        }
    }
}
