//! Back-pressure and a dying writer: a write that finds the queue full is
//! answered at once with "busy" and changes nothing; every write that was
//! answered is durable; a writer thread that dies ends the process.

use boxoffice::domain::staff::Actor;
use std::io;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use boxoffice::clock::ManualClock;
use boxoffice::domain::{Phone, Rules};
use boxoffice::store::{RedbBookings, Store, WriterSettings};
use boxoffice::usecases::{Bookings, Error, NewBooking, Readiness};
use redb::backends::InMemoryBackend;
use redb::StorageBackend;
use serde_json::Value;

use crate::support::*;

/// An in-memory disk whose syncs wait while its gate is shut, so a test can
/// hold the writer inside a commit for as long as it likes.
#[derive(Debug, Clone, Default)]
struct GatedDisk {
    data: Arc<InMemoryBackend>,
    gate: Arc<(Mutex<Gate>, Condvar)>,
}

#[derive(Debug, Default)]
struct Gate {
    shut: bool,
    syncs_waiting: usize,
}

impl GatedDisk {
    fn set_shut(&self, shut: bool) {
        let (gate, changed) = &*self.gate;
        gate.lock().unwrap().shut = shut;
        changed.notify_all();
    }

    fn syncs_waiting(&self) -> usize {
        self.gate.0.lock().unwrap().syncs_waiting
    }
}

impl StorageBackend for GatedDisk {
    fn len(&self) -> io::Result<u64> {
        self.data.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.data.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.data.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        let (gate, changed) = &*self.gate;
        let mut state = gate.lock().unwrap();
        state.syncs_waiting += 1;
        while state.shut {
            state = changed.wait(state).unwrap();
        }
        state.syncs_waiting -= 1;
        drop(state);
        self.data.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.data.write(offset, data)
    }
}

#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn new_booking(name: &str) -> NewBooking {
    NewBooking {
        user_name: name.into(),
        phone: Phone::Number(9876543210),
        count: 1,
        starts_at: NOW + HOUR,
    }
}

#[test]
fn a_full_queue_refuses_at_once_and_changes_nothing() {
    const QUEUE_LIMIT: usize = 3;
    let disk = GatedDisk::default();
    let rules = Rules::new(20, 8 * HOUR);
    let store = Store::open_on_backend(disk.clone(), 1 << 20, rules).unwrap();
    let settings = WriterSettings {
        max_batch: 1,
        queue_limit: QUEUE_LIMIT,
    };
    let on_death = Box::new(|why: &str| panic!("the writer died: {why}"));
    let (bookings, writer) =
        RedbBookings::start(store, Arc::new(ManualClock::new(NOW)), settings, on_death);
    let bookings: Arc<dyn Bookings> = Arc::new(bookings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // The first booking holds the writer inside its commit...
    disk.set_shut(true);
    let mut accepted = Vec::new();
    let first = Arc::clone(&bookings);
    accepted.push(
        runtime.spawn(async move { first.book(new_booking("first"), &Actor::open(), None).await }),
    );
    wait_for("the first commit to reach its sync", || {
        disk.syncs_waiting() == 1
    });
    // ... while as many as the queue holds wait behind it.
    for number in 0..QUEUE_LIMIT {
        let waiting = Arc::clone(&bookings);
        accepted.push(runtime.spawn(async move {
            waiting
                .book(
                    new_booking(&format!("waiting {number}")),
                    &Actor::open(),
                    None,
                )
                .await
        }));
    }
    wait_for("the queue to fill", || {
        bookings.readiness() != Readiness::Ready
    });
    let Readiness::NotReady(reason) = bookings.readiness() else {
        unreachable!()
    };
    assert!(reason.contains("queue is full"), "{reason}");

    // One more is refused at once, without waiting for the writer.
    let started = Instant::now();
    let refused = runtime.block_on(bookings.book(new_booking("refused"), &Actor::open(), None));
    assert!(matches!(refused, Err(Error::Busy)), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Once the disk answers, every accepted booking commits; the refused one
    // left no trace.
    disk.set_shut(false);
    for booked in accepted {
        runtime
            .block_on(booked)
            .unwrap()
            .expect("an accepted booking commits");
    }
    assert_eq!(bookings.readiness(), Readiness::Ready);
    let shows = runtime.block_on(bookings.all_shows()).unwrap();
    // The waiting ones were queued by tasks in any order.
    let mut names: Vec<&str> = shows[0].1.iter().map(|t| t.user_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["first", "waiting 0", "waiting 1", "waiting 2"]);
    assert_eq!(shows[0].0.sold, 4);
    drop(bookings);
    drop(runtime);
    writer.join().unwrap();
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

#[track_caller]
fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Answer {
    let answer = match agent.post(url).send_json(body.clone()) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{url}: {error}"),
    };
    Answer {
        status: answer.status(),
        retry_after: answer.header("Retry-After").map(str::to_owned),
        body: answer.into_json().expect("a JSON body"),
    }
}

/// Many clients at once against a queue of one: some are turned away with
/// 503, every 200 is on disk after a kill -9, and the 503s left nothing.
#[test]
fn a_flood_past_the_queue_limit_gets_503_and_loses_no_acknowledged_booking() {
    const CLIENTS: usize = 48;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let env = [
        ("ROCKET_QUEUE_LIMIT", "1"),
        ("ROCKET_MAX_BATCH", "1"),
        ("ROCKET_CAPACITY", "100000"),
        ("ROCKET_LOG_LEVEL", "critical"),
    ];
    let server = Server::start(&db, &env);
    let url = server.url("/api/book-ticket");
    let mut booked = Vec::new();
    let mut busy = 0;
    for round in 0..20 {
        let start = Arc::new(Barrier::new(CLIENTS));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (start, url) = (Arc::clone(&start), url.clone());
                std::thread::spawn(move || {
                    let agent = agent();
                    let body = booking(&format!("r{round} c{client}"), 1, SHOW);
                    start.wait();
                    post(&agent, &url, &body)
                })
            })
            .collect();
        for client in clients {
            let answer = client.join().unwrap();
            match answer.status {
                200 => booked.push(answer.body["data"]["ticketId"].as_str().unwrap().to_owned()),
                503 => {
                    busy += 1;
                    assert_eq!(answer.retry_after.as_deref(), Some("1"));
                    assert_eq!(answer.body["success"], false);
                    let message = answer.body["message"].as_str().unwrap();
                    assert!(message.contains("busy"), "{message}");
                }
                other => panic!("status {other}: {}", answer.body),
            }
        }
        if busy > 0 && round >= 2 {
            break;
        }
    }
    assert!(
        busy > 0,
        "no write was turned away in {} bookings",
        booked.len()
    );
    assert!(!booked.is_empty());

    server.kill();
    let server = Server::start(&db, &env);
    let (status, show) = call(
        &agent(),
        "GET",
        &server.url(&format!("/api/view-all-tickets?showTime={}", encode(SHOW))),
        None,
    );
    assert_eq!(status, 200);
    let mut stored: Vec<String> = show["allTickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["ticketId"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    booked.sort();
    assert_eq!(
        stored, booked,
        "exactly the acknowledged bookings are stored"
    );
    assert_eq!(show["ticketCount"], booked.len());
    eprintln!("{} booked, {busy} turned away with 503", booked.len());
}

#[test]
fn a_dead_writer_ends_the_process_with_a_line_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        &dir.path().join("db.redb"),
        &[("BOXOFFICE_TEST_WRITER_PANIC", "1")],
    );
    let (status, _) = call(&agent(), "GET", &server.url("/livez"), None);
    assert_eq!(status, 200, "reads are served until the first write");
    // The purge at start is the writer's first job (it lets that one be):
    // the booking below must come after it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = ureq::get(&server.url("/metrics"))
            .call()
            .ok()
            .and_then(|answer| answer.into_string().ok())
            .unwrap_or_default();
        let committed = metrics.lines().any(|line| {
            line.starts_with("boxoffice_commit_duration_seconds_count ") && !line.ends_with(" 0")
        });
        if committed {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the purge at start never ran: {metrics}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let answer = try_call(
        &agent(),
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking("Asha", 1, SHOW)),
    );
    assert!(
        !matches!(answer, Some((200, _))),
        "the write cannot have succeeded: {answer:?}"
    );
    let code = server.wait_for_exit(Duration::from_secs(10));
    assert_eq!(code, Some(boxoffice::service::WRITER_DIED));
    let said = server.output.lock().unwrap().join("\n");
    assert!(
        said.contains("the writer thread died") && said.contains("BOXOFFICE_TEST_WRITER_PANIC"),
        "{said}"
    );
}
