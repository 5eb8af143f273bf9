//! The single writer: one thread owns every write transaction. Handlers send
//! it commands and await the answer, so a commit's fdatasync never blocks an
//! async worker.
//!
//! Group commit: the writer takes every command that is already waiting (up to
//! `max_batch`, a configuration key), applies them one by one in ONE
//! transaction, commits once and only then answers them all. It never waits
//! for more to arrive, so a lone request commits at once.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::clock::SharedClock;
use crate::error::Error;
use crate::store::{Command, Done, IdMinter, Store};

type Reply = oneshot::Sender<Result<Done, Error>>;

struct Job {
    command: Command,
    reply: Reply,
}

/// A handle to the writer thread; cheap to clone. The thread ends when the
/// last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: Sender<Job>,
}

impl Writer {
    /// Starts the thread; at most `max_batch` (>= 1) commands share a commit.
    pub fn start(
        store: Arc<Store>,
        clock: SharedClock,
        max_batch: usize,
    ) -> (Self, JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel();
        let max_batch = max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("boxoffice-writer".into())
            .spawn(move || run(&store, &clock, &queue, max_batch))
            .expect("the writer thread starts");
        (Self { jobs }, thread)
    }

    /// Applies one command; the answer comes once its commit is durable.
    pub async fn execute(&self, command: Command) -> Result<Done, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { command, reply })
            .map_err(|_| Error::internal("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the writer dropped a command"))?
    }
}

fn run(store: &Store, clock: &SharedClock, queue: &Receiver<Job>, max_batch: usize) {
    let mut ids = match store.id_minter() {
        Ok(ids) => ids,
        Err(error) => {
            rocket::error!("cannot read the last ids, minting from the clock alone: {error}");
            IdMinter::default()
        }
    };
    // One batch: the commands, and in the same order who waits for each answer.
    let mut commands: Vec<Command> = Vec::with_capacity(max_batch);
    let mut replies: Vec<Reply> = Vec::with_capacity(max_batch);
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            commands.push(job.command);
            replies.push(job.reply);
            if commands.len() < max_batch {
                next = queue.try_recv().ok();
            }
        }
        match store.execute(&commands, clock.now(), &mut ids) {
            Ok(answers) => {
                rocket::debug!("committed {} commands in one transaction", commands.len());
                for (reply, answer) in replies.drain(..).zip(answers) {
                    // The client may have gone; its booking stands regardless.
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                rocket::error!(
                    "a write transaction of {} commands failed: {error}",
                    commands.len()
                );
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(Error::internal("the write transaction failed")));
                }
            }
        }
        commands.clear();
    }
}
