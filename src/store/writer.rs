//! The single writer: one thread owns every write transaction. Callers hand
//! it typed work and await the answer, so a commit's fdatasync never blocks
//! an async worker.
//!
//! Group commit: the writer takes every job that is already waiting (up to
//! `max_batch`), runs them one by one in ONE transaction, commits once and
//! only then answers them all. It never waits for more to arrive, so a lone
//! request commits at once. The queue holds at most `queue_limit` jobs: past
//! that a write is refused at once (`Error::Busy`) and changes nothing.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::error::{unavailability, StoreError, PREVIOUS_FAILURE};
use super::ids::IdMinter;
use super::writes::{Batch, Outcome};
use super::Store;
use crate::clock::SharedClock;
use crate::domain::Refusal;
use crate::metrics::Metrics;
use crate::usecases::{Error, Once, Written};

#[derive(Clone, Copy, Debug)]
pub struct WriterSettings {
    /// Most jobs sharing one commit (>= 1).
    pub max_batch: usize,
    /// Most jobs waiting for the writer (>= 1).
    pub queue_limit: usize,
}

/// What the writer thread does when it dies (a panic): by default the
/// service logs why and ends the process, so that a supervisor restarts it
/// instead of a service that can only refuse writes.
pub type OnDeath = Box<dyn FnOnce(&str) + Send>;

/// Why writes are refused while the clock gives no trusted time.
const CLOCK_UNUSABLE: &str = "the system clock is unusable (it reads before 1970)";

/// While storage refuses writes, how often the idle writer tries again.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Whether storage takes writes, as the last commit found: `None` when it
/// did, else why not. Readiness reads it.
#[derive(Debug, Default)]
pub struct Health(Mutex<Option<&'static str>>);

impl Health {
    pub fn failing(&self) -> Option<&'static str> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, cause: Option<&'static str>) {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (*state, cause) {
            (None, Some(cause)) => rocket::error!("storage cannot take writes: {cause}"),
            (Some(_), None) => rocket::warn!("storage takes writes again"),
            _ => {}
        }
        *state = cause;
    }
}

/// Why a batch's commit failed, shared by every job of it.
struct Failed {
    error: Arc<StoreError>,
    cause: Option<&'static str>,
}

impl Failed {
    fn answer(&self) -> Error {
        let source = Error::storage(Arc::clone(&self.error));
        match (self.cause, source) {
            (Some(cause), Error::Storage(source)) => Error::Unavailable { cause, source },
            (_, error) => error,
        }
    }
}

/// One caller's work, with whoever waits for its answer.
trait Job: Send {
    /// Runs inside the batch's transaction; the answer waits for the commit.
    fn run(&mut self, batch: &mut Batch<'_, '_>) -> Result<(), StoreError>;
    /// After the commit (`failure` is `None`) or its failure.
    fn finish(self: Box<Self>, failure: Option<&Failed>);
}

struct Pending<T, F> {
    work: Option<F>,
    once: Once<T>,
    answer: Option<Result<Written<T>, Refusal>>,
    /// It failed on its own before writing anything; the batch went on.
    failed_alone: Option<StoreError>,
    reply: oneshot::Sender<Result<Written<T>, Error>>,
}

impl<T, F> Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Batch<'_, '_>) -> Outcome<T> + Send,
{
    /// A failure before any write is this job's alone; any other aborts the batch.
    fn alone(&mut self, error: StoreError) -> Result<(), StoreError> {
        match error {
            StoreError::Unplanned(error) => {
                self.failed_alone = Some(*error);
                Ok(())
            }
            error => Err(error),
        }
    }
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Batch<'_, '_>) -> Outcome<T> + Send,
{
    fn run(&mut self, batch: &mut Batch<'_, '_>) -> Result<(), StoreError> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        if let Some(keyed) = &self.once {
            // A key seen before answers as it did; one used for another
            // request is refused. Either way nothing else runs.
            let stored = match batch.stored_answer(&keyed.key, &keyed.fingerprint) {
                Ok(stored) => stored,
                Err(error) => return self.alone(StoreError::Unplanned(Box::new(error))),
            };
            match stored {
                Ok(None) => {
                    // A new key of a limited client that keeps as many
                    // answers as it may is not run at all.
                    let full = match keyed.client {
                        Some(client) => match batch.answers_full(client) {
                            Ok(full) => full,
                            Err(error) => {
                                return self.alone(StoreError::Unplanned(Box::new(error)))
                            }
                        },
                        None => None,
                    };
                    if let Some(refusal) = full {
                        self.answer = Some(Err(refusal));
                        return Ok(());
                    }
                }
                Ok(Some(replay)) => {
                    self.answer = Some(Ok(Written::Replayed(replay)));
                    return Ok(());
                }
                Err(refusal) => {
                    self.answer = Some(Err(refusal));
                    return Ok(());
                }
            }
        }
        let answer = match work(batch) {
            Ok(answer) => answer,
            Err(error) => return self.alone(error),
        };
        if let Some(keyed) = self.once.take() {
            if let Some(replay) = (keyed.render)(&answer) {
                batch.remember(&keyed.key, keyed.fingerprint, replay, keyed.client)?;
            }
        }
        self.answer = Some(answer.map(Written::Fresh));
        Ok(())
    }

    fn finish(self: Box<Self>, failure: Option<&Failed>) {
        let answer = match (failure, self.answer, self.failed_alone) {
            (Some(failure), _, _) => Err(failure.answer()),
            (None, _, Some(error)) => Err(Error::storage(error)),
            (None, Some(Ok(done)), None) => Ok(done),
            (None, Some(Err(refusal)), None) => Err(Error::Refused(refusal)),
            (None, None, None) => Err(Error::storage("a write got no answer")),
        };
        // The caller may have gone; a booking stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// A handle to the writer thread; cheap to clone. The thread ends when the
/// last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: SyncSender<Box<dyn Job>>,
    waiting: Arc<AtomicUsize>,
    queue_limit: usize,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

impl Writer {
    /// Starts the thread on `store`; `now` comes from `clock` once per batch.
    pub fn start(
        store: Arc<Store>,
        clock: SharedClock,
        settings: WriterSettings,
        on_death: OnDeath,
    ) -> (Self, JoinHandle<()>) {
        Self::start_measured(store, clock, settings, on_death, Arc::default())
    }

    /// Like [`Writer::start`], counting commits and the queue in `metrics`.
    pub fn start_measured(
        store: Arc<Store>,
        clock: SharedClock,
        settings: WriterSettings,
        on_death: OnDeath,
        metrics: Arc<Metrics>,
    ) -> (Self, JoinHandle<()>) {
        let queue_limit = settings.queue_limit.max(1);
        let (jobs, queue) = mpsc::sync_channel(queue_limit);
        let waiting = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&waiting);
        let health = Arc::new(Health::default());
        let shared_health = Arc::clone(&health);
        let max_batch = settings.max_batch.max(1);
        let thread_metrics = Arc::clone(&metrics);
        let thread = std::thread::Builder::new()
            .name("boxoffice-writer".into())
            .spawn(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    let queue = Queue {
                        jobs: &queue,
                        waiting: &counter,
                        metrics: &thread_metrics,
                    };
                    run(&store, &clock, &queue, max_batch, &shared_health);
                }));
                if let Err(payload) = outcome {
                    let why = payload
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic without a message".into());
                    on_death(&why);
                }
            })
            .expect("the writer thread starts");
        (
            Self {
                jobs,
                waiting,
                queue_limit,
                health,
                metrics,
            },
            thread,
        )
    }

    /// Runs `work` in the writer's next batch; the answer comes once its
    /// commit is durable. A full queue answers `Busy` at once.
    pub async fn write<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Batch<'_, '_>) -> Outcome<T> + Send + 'static,
    {
        self.write_once(work, None).await?.fresh()
    }

    /// Like [`Writer::write`], for a write that may carry an
    /// `Idempotency-Key`: its answer is stored in the same transaction, and a
    /// key seen before gets that answer again instead of running `work`.
    pub async fn write_once<T, F>(&self, work: F, once: Once<T>) -> Result<Written<T>, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Batch<'_, '_>) -> Outcome<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending {
            work: Some(work),
            once,
            answer: None,
            failed_alone: None,
            reply,
        });
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.metrics.queued();
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(refused) => {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                self.metrics.dequeued(1);
                return Err(match refused {
                    TrySendError::Full(_) => Error::Busy,
                    TrySendError::Disconnected(_) => Error::storage("the writer has stopped"),
                });
            }
        }
        answer
            .await
            .map_err(|_| Error::storage("the writer dropped a write"))?
    }

    /// Jobs waiting for the writer now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub fn queue_limit(&self) -> usize {
        self.queue_limit
    }

    /// Why storage refuses writes now, if it does.
    pub fn failing(&self) -> Option<&'static str> {
        self.health.failing()
    }
}

/// The writer's end of the queue, with its counters.
#[derive(Clone, Copy)]
struct Queue<'a> {
    jobs: &'a Receiver<Box<dyn Job>>,
    waiting: &'a AtomicUsize,
    metrics: &'a Metrics,
}

fn run(store: &Store, clock: &SharedClock, queue: &Queue<'_>, max_batch: usize, health: &Health) {
    let Queue {
        jobs: queue,
        waiting,
        metrics,
    } = *queue;
    let mut ids = match store.id_minter() {
        Ok(ids) => ids,
        Err(error) => {
            rocket::error!("cannot read the last ids, minting from the clock alone: {error}");
            IdMinter::default()
        }
    };
    let mut received: u64 = 0;
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    let mut probed = std::time::Instant::now();
    loop {
        let first = if health.failing().is_some() {
            // Storage refused the last commit: try again now and then, idle
            // or not, so that writes and readiness come back by themselves.
            if probed.elapsed() >= PROBE_EVERY {
                probe(store, clock, &mut ids, health);
                probed = std::time::Instant::now();
            }
            match queue.recv_timeout(PROBE_EVERY) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match queue.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        received += 1;
        fail_on_purpose_when_asked(received);
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        waiting.fetch_sub(batch.len(), Ordering::SeqCst);
        metrics.dequeued(batch.len());
        let now = match clock.now() {
            Ok(now) => now,
            Err(unusable) => {
                // No rule can be judged without a trusted now: nothing runs.
                health.set(Some(CLOCK_UNUSABLE));
                let failure = Failed {
                    error: Arc::new(StoreError::Clock(unusable)),
                    cause: Some(CLOCK_UNUSABLE),
                };
                for job in batch.drain(..) {
                    job.finish(Some(&failure));
                }
                continue;
            }
        };
        let began = std::time::Instant::now();
        // A damaged page can make the storage engine panic inside a
        // transaction: the batch fails (its transaction is dropped, so
        // aborted) and the writer goes on with the next one.
        let committed = panic::catch_unwind(AssertUnwindSafe(|| {
            store.in_one_commit(now, &mut ids, |transaction| {
                batch.iter_mut().try_for_each(|job| job.run(transaction))
            })
        }))
        .unwrap_or_else(|payload| {
            Err(StoreError::Corrupt(format!(
                "a write transaction failed on damaged data: {}",
                crate::panics::message(payload.as_ref())
            )))
        });
        metrics.commit(batch.len(), began.elapsed().as_secs_f64());
        let failure = match committed {
            Ok(()) => {
                rocket::debug!("committed {} commands in one transaction", batch.len());
                health.set(None);
                None
            }
            Err(error) => {
                if health.failing().is_none() {
                    probed = std::time::Instant::now();
                }
                Some(failed(batch.len(), error, health))
            }
        };
        for job in batch.drain(..) {
            job.finish(failure.as_ref());
        }
    }
}

/// A failed commit: logged; when the disk or file system is the cause,
/// readiness says so until `probe` finds the storage taking writes again.
fn failed(jobs: usize, error: StoreError, health: &Health) -> Failed {
    // After an I/O error redb refuses every write with "previous I/O error":
    // the first cause (disk full, read-only) is the one worth telling.
    let cause = match unavailability(&error) {
        Some(PREVIOUS_FAILURE) => Some(health.failing().unwrap_or(PREVIOUS_FAILURE)),
        cause => cause,
    };
    rocket::error!(
        "a write transaction of {jobs} commands failed: {}",
        crate::error_chain(&error)
    );
    if let Some(cause) = cause {
        // The database keeps serving reads; it is reopened once the storage
        // takes writes again (see `probe`).
        health.set(Some(cause));
    }
    Failed {
        error: Arc::new(error),
        cause,
    }
}

/// Once the storage takes writes again, reopens the database (redb refuses
/// every write after an I/O error until then) and tries an empty durable
/// commit: storage is healthy again once one succeeds.
fn probe(store: &Store, clock: &SharedClock, ids: &mut IdMinter, health: &Health) {
    let Ok(now) = clock.now() else {
        health.set(Some(CLOCK_UNUSABLE));
        return;
    };
    if health.failing() == Some(CLOCK_UNUSABLE) {
        // The clock is right again, and storage never failed.
        health.set(None);
        return;
    }
    if !store.storage_takes_writes() {
        return;
    }
    if let Err(error) = store.reopen() {
        rocket::error!("cannot reopen the database: {}", crate::error_chain(&error));
        return;
    }
    match store.in_one_commit(now, ids, |_| Ok(())) {
        Ok(()) => health.set(None),
        Err(error) => {
            let cause = unavailability(&error);
            health.set(Some(cause.unwrap_or("the last write failed")));
        }
    }
}

/// Debug builds only: `BOXOFFICE_TEST_WRITER_PANIC` set makes the writer
/// die at the first write after the purge at start (the `received`th job),
/// so that a test can watch the service end.
fn fail_on_purpose_when_asked(received: u64) {
    #[cfg(debug_assertions)]
    assert!(
        received < 2 || std::env::var_os("BOXOFFICE_TEST_WRITER_PANIC").is_none(),
        "BOXOFFICE_TEST_WRITER_PANIC is set"
    );
    #[cfg(not(debug_assertions))]
    let _ = received;
}
