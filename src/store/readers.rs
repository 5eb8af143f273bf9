//! The readers: a few threads of the store's own that run every read, so
//! that a read waiting on the disk (a cold page cache) never stalls an async
//! worker. A read is handed over through a queue and answered through a
//! oneshot.
//!
//! Waking a sleeping thread costs more than a warm read itself, so wake-ups
//! are spared: a sleeping reader is woken only when the reads waiting are at
//! least as many as the readers awake (so a read never waits behind one that
//! waits on the disk), and only once the worker that queued the read has
//! run its other ready tasks, which under load queue reads too: one wake-up
//! then serves several. Moving a worker's tasks to another thread for each
//! read (`block_in_place`) instead halved read throughput.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::Store;

type Job = Box<dyn FnOnce(&Store) + Send>;

/// The handle the use cases read through; the threads end when it is dropped.
pub struct Readers {
    queue: Arc<Queue>,
    threads: Vec<JoinHandle<()>>,
}

/// The readers are gone (the service is stopping).
#[derive(Debug, thiserror::Error)]
#[error("the store's readers have stopped")]
pub struct Stopped;

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    /// A reader asleep waits here for a read (or the end).
    woken: Condvar,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Readers asleep on `woken`.
    asleep: usize,
    /// Readers started, asleep or not.
    readers: usize,
    closed: bool,
}

impl State {
    /// Whether a sleeping reader should wake: the reads waiting are at least
    /// as many as the readers awake.
    fn needs_waking(&self) -> bool {
        let awake = self.readers - self.asleep;
        self.asleep > 0 && !self.jobs.is_empty() && self.jobs.len() >= awake
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Readers {
    /// Starts `count` (at least one) reader threads over `store`.
    pub fn start(store: &Arc<Store>, count: usize) -> Self {
        let queue = Arc::new(Queue::default());
        let count = count.max(1);
        queue.lock().readers = count;
        let threads = (0..count)
            .map(|n| {
                let (store, queue) = (Arc::clone(store), Arc::clone(&queue));
                std::thread::Builder::new()
                    .name(format!("boxoffice-reader-{n}"))
                    .spawn(move || serve(&store, &queue))
                    .expect("a reader thread starts")
            })
            .collect();
        Self { queue, threads }
    }

    /// Runs `read` on a reader thread and waits for its answer without
    /// blocking the caller's thread.
    pub async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            // The caller may have gone (a closed connection): nothing to do.
            let _ = answer.send(read(store));
        });
        let wake = {
            let mut state = self.queue.lock();
            if state.closed {
                return Err(Stopped);
            }
            state.jobs.push_back(job);
            state.needs_waking()
        };
        if wake {
            // The wake-up waits for this worker's other ready tasks, which
            // often queue reads too: one wake-up then serves them all.
            tokio::task::yield_now().await;
            if self.queue.lock().needs_waking() {
                self.queue.woken.notify_one();
            }
        }
        answered.await.map_err(|_| Stopped)
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        // Each thread ends once it finds the queue empty and closed.
        self.queue.lock().closed = true;
        self.queue.woken.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn serve(store: &Store, queue: &Queue) {
    let mut state = queue.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            // A read that panics answers nothing (its caller is told the
            // read failed) and leaves its reader serving.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store)));
            state = queue.lock();
        } else if state.closed {
            return;
        } else {
            state.asleep += 1;
            state = queue
                .woken
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.asleep -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rules;

    /// `count` readers over a new file (kept while the folder lives).
    fn readers(count: usize) -> (tempfile::TempDir, Readers) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &dir.path().join("r.redb"),
            1 << 20,
            Rules::new(20, 3_600_000),
        )
        .unwrap();
        let readers = Readers::start(&Arc::new(store), count);
        (dir, readers)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn reads_run_on_the_readers_and_answer_in_order_of_asking() {
        let (_dir, readers) = readers(2);
        let names = block_on(async {
            let mut names = Vec::new();
            for n in 0..10 {
                let name = readers
                    .read(move |_| (n, std::thread::current().name().map(str::to_owned)))
                    .await
                    .unwrap();
                names.push(name);
            }
            names
        });
        for (n, (answered, thread)) in names.into_iter().enumerate() {
            assert_eq!(answered, n);
            assert!(thread.unwrap().starts_with("boxoffice-reader-"));
        }
    }

    #[test]
    fn a_read_does_not_wait_behind_a_read_that_is_stuck() {
        let (_dir, readers) = readers(2);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (stuck, other) = block_on(async {
            // The first read waits for the second: it ends only if the
            // second runs on another reader meanwhile.
            futures::join!(
                readers.read(move |_| released
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .is_ok()),
                readers.read(move |_| release.send(()).is_ok()),
            )
        });
        assert!(other.unwrap());
        assert!(stuck.unwrap(), "the second read waited behind the first");
    }

    #[test]
    fn a_read_that_panics_fails_alone_and_its_reader_goes_on() {
        let (_dir, readers) = readers(1);
        block_on(async {
            let failed = readers.read(|_| -> u8 { panic!("a broken read") }).await;
            assert!(failed.is_err());
            assert_eq!(readers.read(|_| 7).await.unwrap(), 7);
        });
    }
}
