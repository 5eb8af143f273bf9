//! The disk's bad days: a full disk or a read-only file system makes a
//! commit fail. The write is answered "unavailable" (503), readiness says
//! why, reads go on, and once the cause is gone writes work again without a
//! restart; a retry with the same Idempotency-Key never books twice.

use boxoffice::domain::staff::Actor;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use boxoffice::clock::ManualClock;
use boxoffice::domain::{Phone, Refusal, Rules};
use boxoffice::store::{RedbBookings, Store, WriterSettings};
use boxoffice::usecases::{Booked, Bookings, Error, Keyed, NewBooking, Readiness, Replay, Written};
use redb::backends::InMemoryBackend;
use redb::StorageBackend;

use crate::model::runtime;
use crate::support::*;

const ENOSPC: i32 = 28;
const EROFS: i32 = 30;

/// Where the simulated disk fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailAt {
    /// Every write and resize fails: nothing of the commit reaches the disk.
    Writes,
    /// Writes land, the sync fails: the commit may or may not be there.
    Sync,
}

/// An in-memory disk that fails with an errno on demand.
#[derive(Debug, Clone, Default)]
struct FailingDisk {
    data: Arc<InMemoryBackend>,
    failing: Arc<Mutex<Option<(FailAt, i32)>>>,
}

impl FailingDisk {
    fn fail(&self, at: FailAt, errno: i32) {
        *self.failing.lock().unwrap() = Some((at, errno));
    }

    fn heal(&self) {
        *self.failing.lock().unwrap() = None;
    }

    fn is_failing(&self) -> bool {
        self.failing.lock().unwrap().is_some()
    }

    fn check(&self, here: FailAt) -> io::Result<()> {
        match *self.failing.lock().unwrap() {
            Some((at, errno)) if at == here => Err(io::Error::from_raw_os_error(errno)),
            _ => Ok(()),
        }
    }
}

impl StorageBackend for FailingDisk {
    fn len(&self) -> io::Result<u64> {
        self.data.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.data.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check(FailAt::Writes)?;
        self.data.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.check(FailAt::Sync)?;
        self.data.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check(FailAt::Writes)?;
        self.data.write(offset, data)
    }
}

fn booking(name: &str) -> NewBooking {
    NewBooking {
        user_name: name.into(),
        phone: Phone::Number(9876543210),
        count: 1,
        starts_at: NOW + HOUR,
    }
}

/// A key whose stored answer is the ticket id, so a replay can be compared.
fn keyed(key: &str) -> Keyed<Booked> {
    Keyed {
        key: key.as_bytes().to_vec(),
        fingerprint: [7; 32],
        render: Box::new(|outcome: &Result<Booked, Refusal>| {
            outcome.as_ref().ok().map(|booked| Replay {
                status: 200,
                body: booked.ticket.id.to_string().into_bytes(),
            })
        }),
        client: None,
    }
}

#[track_caller]
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "{what} took longer than {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

fn names(bookings: &dyn Bookings) -> Vec<String> {
    let shows = runtime().block_on(bookings.all_shows()).unwrap();
    shows
        .iter()
        .flat_map(|(_, tickets)| tickets.iter().map(|t| t.user_name.clone()))
        .collect()
}

fn survives(at: FailAt, errno: i32, cause: &str) {
    let disk = FailingDisk::default();
    let probed = disk.clone();
    let store = Store::open_on_backend(disk.clone(), 1 << 20, Rules::new(20, 8 * HOUR))
        .unwrap()
        .with_write_probe(move || !probed.is_failing());
    let settings = WriterSettings {
        max_batch: 16,
        queue_limit: 64,
    };
    let on_death = Box::new(|why: &str| panic!("the writer died: {why}"));
    let (bookings, writer) =
        RedbBookings::start(store, Arc::new(ManualClock::new(NOW)), settings, on_death);
    let bookings: Arc<dyn Bookings> = Arc::new(bookings);
    let runtime = runtime();
    let first = runtime
        .block_on(bookings.book(booking("before"), &Actor::open(), None))
        .unwrap()
        .fresh()
        .unwrap();

    disk.fail(at, errno);
    let refused =
        runtime.block_on(bookings.book(booking("during"), &Actor::open(), Some(keyed("retry-me"))));
    match &refused {
        Err(Error::Unavailable { cause: said, .. }) => assert_eq!(*said, cause),
        other => panic!("{at:?} {errno}: {other:?}"),
    }
    let Readiness::NotReady(reason) = bookings.readiness() else {
        panic!("ready while the disk fails");
    };
    assert!(reason.contains(cause), "{reason}");
    // Reads go on, and nothing unacknowledged is read as booked.
    let during = names(bookings.as_ref());
    assert_eq!(during[0], "before");

    disk.heal();
    let recovered = wait_until(
        "readiness after the disk healed",
        Duration::from_secs(5),
        || bookings.readiness() == Readiness::Ready,
    );
    // The retry with the same key books once: afresh if the failed commit
    // did not land, or as a replay of it if it did.
    let retried = runtime
        .block_on(bookings.book(booking("during"), &Actor::open(), Some(keyed("retry-me"))))
        .unwrap();
    let again = runtime
        .block_on(bookings.book(booking("during"), &Actor::open(), Some(keyed("retry-me"))))
        .unwrap();
    assert!(matches!(again, Written::Replayed(_)), "{again:?}");
    runtime
        .block_on(bookings.book(booking("after"), &Actor::open(), None))
        .unwrap()
        .fresh()
        .unwrap();
    let held = names(bookings.as_ref());
    assert_eq!(held, ["before", "during", "after"], "{at:?}: {retried:?}");
    let found = runtime.block_on(bookings.ticket(first.ticket.id)).unwrap();
    assert_eq!(
        found.map(|booked| booked.ticket),
        Some(first.ticket),
        "the acknowledged booking reads back identically"
    );
    eprintln!("{at:?} errno {errno}: ready again {recovered:?} after the disk healed");
    drop(bookings);
    drop(runtime);
    writer.join().unwrap();
}

#[test]
fn a_full_disk_is_survived_without_a_restart() {
    survives(FailAt::Writes, ENOSPC, "the disk is full");
    survives(FailAt::Sync, ENOSPC, "the disk is full");
}

#[test]
fn a_read_only_file_system_is_survived_without_a_restart() {
    survives(FailAt::Writes, EROFS, "the file system is read-only");
    survives(FailAt::Sync, EROFS, "the file system is read-only");
}

// ---- a real small file system ------------------------------------------------------

/// A loop-mounted ext4 of a few MiB, unmounted when dropped.
struct SmallDisk {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (with the reason) where this machine cannot make one.
    fn new(mib: u64) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let image = dir.path().join("disk.img");
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).map_err(|e| e.to_string())?;
        std::fs::File::create(&image)
            .and_then(|file| file.set_len(mib << 20))
            .map_err(|e| e.to_string())?;
        let run = |program: &str, args: &[&Path]| -> Result<(), String> {
            let output = Command::new(program)
                .args(args)
                .output()
                .map_err(|e| format!("{program}: {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{program}: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ))
            }
        };
        run("mkfs.ext4", &[Path::new("-q"), Path::new("-F"), &image])?;
        run(
            "mount",
            &[Path::new("-o"), Path::new("loop"), &image, &mount],
        )?;
        Ok(Self { mount, _dir: dir })
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) -> PathBuf {
        let filler = self.mount.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0xa5u8; 16 << 10];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

#[test]
#[ignore = "needs root, mkfs.ext4 and loop devices"]
fn a_real_disk_filled_up_and_freed_again() {
    let disk = SmallDisk::new(8)
        .unwrap_or_else(|why| panic!("a loop-mounted file system is needed: {why}"));
    let server = Server::start(
        &disk.mount.join("boxoffice.redb"),
        &[
            ("ROCKET_CAPACITY", "100000"),
            ("ROCKET_LOG_LEVEL", "critical"),
        ],
    );
    let agent = agent();
    let book = |name: &str| {
        let body = crate::support::booking(name, 1, SHOW);
        call_with_headers(&agent, &server.url("/api/book-ticket"), &body)
    };
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let (status, _, body) = book(&format!("before {i}"));
        assert_eq!(status, 200, "{body}");
        acknowledged.push(body["data"]["ticketId"].as_str().unwrap().to_owned());
    }
    let filler = disk.fill();
    // Fill again after the service took what little was left.
    let mut refused = 0;
    for i in 0..200 {
        let (status, retry_after, body) = book(&format!("during {i}"));
        match status {
            200 => {
                acknowledged.push(body["data"]["ticketId"].as_str().unwrap().to_owned());
                let _ = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&filler)
                    .and_then(|mut file| file.write_all(&vec![0u8; 1 << 16]));
            }
            503 => {
                refused += 1;
                assert_eq!(retry_after.as_deref(), Some("1"));
                let message = body["message"].as_str().unwrap();
                assert!(message.contains("the disk is full"), "{message}");
                if refused >= 3 {
                    break;
                }
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(refused >= 3, "the full disk never refused a write");
    let (status, ready) = call(&agent, "GET", &server.url("/readyz"), None);
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready["reason"].as_str().unwrap().contains("disk is full"),
        "{ready}"
    );
    let (status, _) = call(
        &agent,
        "GET",
        &server.url(&format!("/api/user-details?ticketId={}", acknowledged[0])),
        None,
    );
    assert_eq!(status, 200, "reads go on while the disk is full");

    // Some space comes back (600 KiB), not much: whatever is answered comes
    // from a state no older than the last acknowledged commit.
    let left = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .and_then(|file| file.set_len(left.saturating_sub(600 << 10)))
        .unwrap();
    for i in 0..20 {
        let (status, _, body) = book(&format!("partly freed {i}"));
        match status {
            200 => acknowledged.push(body["data"]["ticketId"].as_str().unwrap().to_owned()),
            503 => {}
            other => panic!("{other}: {body}"),
        }
        for id in &acknowledged {
            let (status, body) = call(
                &agent,
                "GET",
                &server.url(&format!("/api/user-details?ticketId={id}")),
                None,
            );
            assert!(
                status == 200 || status == 503,
                "acknowledged ticket {id} answered {status} on a partly freed disk: {body}"
            );
        }
    }

    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let took = wait_until(
        "a write after the disk was freed",
        Duration::from_secs(5),
        || {
            let (status, _, body) = book("after");
            if status == 200 {
                acknowledged.push(body["data"]["ticketId"].as_str().unwrap().to_owned());
            }
            status == 200
        },
    );
    let (status, _) = call(&agent, "GET", &server.url("/readyz"), None);
    assert_eq!(status, 200);
    for id in &acknowledged {
        let (status, _) = call(
            &agent,
            "GET",
            &server.url(&format!("/api/user-details?ticketId={id}")),
            None,
        );
        assert_eq!(status, 200, "acknowledged ticket {id} is there");
    }
    eprintln!(
        "{} acknowledged, {refused} refused while full; writes again {took:?} after the space was freed ({:?} in all)",
        acknowledged.len(),
        freed.elapsed()
    );
    drop(server);
}
