//! The readers: a few threads of the store's own that run every read, so
//! that a read waiting on the disk (a cold page cache) never stalls an async
//! worker. A read is handed over through a channel and answered through a
//! oneshot; under load a reader takes the next read without sleeping, so
//! the hand-over costs far less than moving a worker's tasks to another
//! thread for each read (`block_in_place`), which halved read throughput.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::Store;

type Job = Box<dyn FnOnce(&Store) + Send>;

/// The handle the use cases read through; the threads end when it is dropped.
pub struct Readers {
    /// `None` only while dropping.
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// The readers are gone (the service is stopping).
#[derive(Debug, thiserror::Error)]
#[error("the store's readers have stopped")]
pub struct Stopped;

impl Readers {
    /// Starts `count` (at least one) reader threads over `store`.
    pub fn start(store: &Arc<Store>, count: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = (0..count.max(1))
            .map(|n| {
                let (store, queue) = (Arc::clone(store), Arc::clone(&queue));
                std::thread::Builder::new()
                    .name(format!("boxoffice-reader-{n}"))
                    .spawn(move || serve(&store, &queue))
                    .expect("a reader thread starts")
            })
            .collect();
        Self {
            jobs: Some(jobs),
            threads,
        }
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
        self.jobs
            .as_ref()
            .ok_or(Stopped)?
            .send(job)
            .map_err(|_| Stopped)?;
        answered.await.map_err(|_| Stopped)
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        // Closing the channel ends each thread once it finds the queue empty.
        self.jobs.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn serve(store: &Store, queue: &Mutex<Receiver<Job>>) {
    loop {
        // One thread waits on the channel at a time; the others wait for the
        // lock, and each takes the next job as soon as it is free.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A read that panics answers nothing (its caller is told the read
        // failed) and leaves its reader serving.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rules;

    fn store(dir: &std::path::Path) -> Arc<Store> {
        Arc::new(Store::open(&dir.join("r.redb"), 1 << 20, Rules::new(20, 3_600_000)).unwrap())
    }

    #[test]
    fn reads_run_on_the_readers_and_answer_in_order_of_asking() {
        let dir = tempfile::tempdir().unwrap();
        let readers = Readers::start(&store(dir.path()), 2);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let names = runtime.block_on(async {
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
    fn a_read_that_panics_fails_alone_and_its_reader_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let readers = Readers::start(&store(dir.path()), 1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let failed = readers.read(|_| -> u8 { panic!("a broken read") }).await;
            assert!(failed.is_err());
            assert_eq!(readers.read(|_| 7).await.unwrap(), 7);
        });
    }
}
