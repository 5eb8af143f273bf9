//! The service's own log: one line per request (the access log), and the
//! events an operator needs (start-up, shutdown, purge counts, every 5xx
//! with its cause), as text or JSON (`log_format`). Written by the service
//! itself, not through Rocket's logger, which release builds keep almost
//! silent; only `log_level = "off"` silences it.
//!
//! A request thread only hands its entry to a thread of the log's own,
//! which formats it and writes everything waiting in one write to standard
//! output, then rests a moment: no request waits for the output, and under
//! load the thread wakes about 50 times a second, not once per request. When
//! the output cannot keep up and the queue fills, entries are dropped and
//! counted, and the count is said once the output catches up.
//!
//! What goes into a line is fixed here: method, route template (never the
//! path with its values, never a query string), status, duration, request
//! id, and for a failure its cause. No body, header, name, phone number or
//! token ever reaches it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Entries waiting for the output before new ones are dropped.
const QUEUE: usize = 16 * 1024;
/// How long shutdown waits for the output to take the last lines.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// After a write that emptied the queue the log thread rests this long, so
/// that under load it wakes a few dozen times a second, not once per
/// request: a request that finds it resting only queues its entry, with no
/// wake-up to pay for.
const REST: Duration = Duration::from_millis(20);

/// `log_format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2030-01-01T00:00:00.000Z INFO GET /api/user-details 200 0.412ms id=…`
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "text" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    fn upper(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }
}

/// The longest request id kept.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id a request answers under: a client's `[A-Za-z0-9._-]{1,64}`, or a
/// minted ULID. Kept inline, so that passing it to the log allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    len: u8,
    bytes: [u8; MAX_REQUEST_ID_LEN],
}

impl RequestId {
    /// `text` when it is a plain id.
    pub fn parse(text: &str) -> Option<Self> {
        let plain = (1..=MAX_REQUEST_ID_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
        plain.then(|| {
            let mut bytes = [0; MAX_REQUEST_ID_LEN];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self {
                len: u8::try_from(text.len()).unwrap_or(u8::MAX),
                bytes,
            }
        })
    }

    /// A new id: a ULID.
    pub fn mint() -> Self {
        let mut text = [0; ulid::ULID_LEN];
        let text = ulid::Ulid::generate().array_to_str(&mut text);
        Self::parse(text).expect("a ULID is a plain id")
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever kept.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), formatter)
    }
}

/// One answered request.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    pub method: &'static str,
    /// The route template (`/api/user-details`, `/v1/bookings/<id>`), or
    /// `unmatched`.
    pub route: Cow<'static, str>,
    pub status: u16,
    pub duration: Duration,
    pub request_id: RequestId,
    /// A 5xx: why, as the chain of causes (never the body).
    pub cause: Option<String>,
}

enum Entry {
    Access(SystemTime, Access),
    Event(SystemTime, Level, String),
    Flush(mpsc::Sender<()>),
}

/// Where the lines go: standard output, or a test's buffer.
pub type Output = Box<dyn Write + Send>;

pub struct ServiceLog {
    format: LogFormat,
    /// `None` when the log is off (`log_level = "off"`).
    entries: Option<SyncSender<Entry>>,
    dropped: std::sync::Arc<AtomicU64>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ServiceLog {
    /// A log to standard output; `enabled` false writes nothing.
    pub fn stdout(format: LogFormat, enabled: bool) -> Self {
        if enabled {
            Self::to(format, Box::new(std::io::stdout()))
        } else {
            Self::off(format)
        }
    }

    /// A log that writes nothing.
    pub fn off(format: LogFormat) -> Self {
        Self {
            format,
            entries: None,
            dropped: std::sync::Arc::default(),
            thread: Mutex::new(None),
        }
    }

    /// A log to `output`.
    pub fn to(format: LogFormat, output: Output) -> Self {
        let (entries, queue) = mpsc::sync_channel(QUEUE);
        let dropped = std::sync::Arc::new(AtomicU64::new(0));
        let counter = std::sync::Arc::clone(&dropped);
        let thread = std::thread::Builder::new()
            .name("boxoffice-log".into())
            .spawn(move || write_lines(format, &queue, output, &counter))
            .expect("the log thread starts");
        Self {
            format,
            entries: Some(entries),
            dropped,
            thread: Mutex::new(Some(thread)),
        }
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    fn send(&self, entry: Entry) {
        let Some(entries) = &self.entries else {
            return;
        };
        match entries.try_send(entry) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The access line of one request (and, for a 5xx, its cause).
    pub fn access(&self, access: Access) {
        self.send(Entry::Access(SystemTime::now(), access));
    }

    pub fn info(&self, message: impl Into<String>) {
        self.event(Level::Info, message);
    }

    pub fn warn(&self, message: impl Into<String>) {
        self.event(Level::Warn, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.event(Level::Error, message);
    }

    pub fn event(&self, level: Level, message: impl Into<String>) {
        self.send(Entry::Event(SystemTime::now(), level, message.into()));
    }

    /// Waits until every line sent so far is written (at most a few seconds).
    pub fn flush(&self) {
        let Some(entries) = &self.entries else {
            return;
        };
        let (done, written) = mpsc::channel();
        // Blocks while the queue is full: a flush must not be dropped.
        if entries.send(Entry::Flush(done)).is_ok() {
            let _ = written.recv_timeout(FLUSH_TIMEOUT);
        }
    }
}

impl Drop for ServiceLog {
    fn drop(&mut self) {
        // The thread ends once the queue is closed and drained.
        drop(self.entries.take());
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The log thread: takes everything waiting, formats it, writes it at once.
fn write_lines(
    format: LogFormat,
    queue: &Receiver<Entry>,
    mut output: Output,
    dropped: &AtomicU64,
) {
    let mut buffer = Vec::with_capacity(64 << 10);
    let mut flushed = Vec::new();
    let mut clock = Timestamps::default();
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        // Whether the queue was found empty, rather than the buffer full.
        let mut drained = false;
        while let Some(entry) = next {
            match entry {
                Entry::Access(at, access) => {
                    write_access(&mut buffer, format, clock.of(at), &access);
                }
                Entry::Event(at, level, message) => {
                    write_event(&mut buffer, format, clock.of(at), level, &message);
                }
                Entry::Flush(done) => flushed.push(done),
            }
            next = if buffer.len() < 60 << 10 {
                let entry = queue.try_recv().ok();
                drained = entry.is_none();
                entry
            } else {
                None
            };
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let message = format!("{lost} log lines were dropped: the log output did not keep up");
            write_event(
                &mut buffer,
                format,
                clock.of(SystemTime::now()),
                Level::Warn,
                &message,
            );
        }
        // A closed or failing output must not stop the service.
        let _ = output.write_all(&buffer).and_then(|()| output.flush());
        buffer.clear();
        let asked = !flushed.is_empty();
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
        // A full buffer leaves lines waiting: they go at once.
        if drained && !asked {
            std::thread::sleep(REST);
        }
    }
}

/// Lines' times, RFC 3339 in UTC to the millisecond: the part up to the
/// second is formatted once per second, not once per line.
#[derive(Default)]
struct Timestamps {
    second: Option<i64>,
    /// `2030-01-01T00:00:00.`
    prefix: String,
    time: String,
}

impl Timestamps {
    fn of(&mut self, at: SystemTime) -> &str {
        let at = DateTime::<Utc>::from(at);
        let second = at.timestamp();
        if self.second != Some(second) {
            let full = at.to_rfc3339_opts(SecondsFormat::Millis, true);
            // `…:SS.mmmZ`: the last four characters are the milliseconds.
            self.prefix.clear();
            self.prefix.push_str(&full[..full.len() - 4]);
            self.second = Some(second);
        }
        self.time.clear();
        self.time.push_str(&self.prefix);
        let _ = write!(self.time, "{:03}Z", at.timestamp_subsec_millis().min(999));
        &self.time
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessJson<'a> {
    time: &'a str,
    level: &'static str,
    kind: &'static str,
    method: &'static str,
    route: &'a str,
    status: u16,
    duration_ms: f64,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
}

#[derive(Serialize)]
struct EventJson<'a> {
    time: &'a str,
    level: &'static str,
    kind: &'static str,
    message: &'a str,
}

fn write_access(buffer: &mut Vec<u8>, format: LogFormat, time: &str, access: &Access) {
    let failed = access.status >= 500;
    match format {
        LogFormat::Text => {
            let level = if failed { Level::Error } else { Level::Info };
            let _ = write!(
                buffer,
                "{} {} {} {} {} {:.3}ms id={}",
                time,
                level.upper(),
                access.method,
                access.route,
                access.status,
                millis(access.duration),
                access.request_id,
            );
            if let Some(cause) = &access.cause {
                let _ = write!(buffer, ": {}", one_line(cause));
            }
            buffer.push(b'\n');
        }
        LogFormat::Json => {
            let line = AccessJson {
                time,
                level: if failed { "error" } else { "info" },
                kind: "request",
                method: access.method,
                route: &access.route,
                status: access.status,
                // Microseconds are plenty.
                duration_ms: (millis(access.duration) * 1e3).round() / 1e3,
                request_id: access.request_id.as_str(),
                cause: access.cause.as_deref(),
            };
            if serde_json::to_writer(&mut *buffer, &line).is_ok() {
                buffer.push(b'\n');
            }
        }
    }
}

fn write_event(buffer: &mut Vec<u8>, format: LogFormat, time: &str, level: Level, text: &str) {
    match format {
        LogFormat::Text => {
            let _ = writeln!(buffer, "{} {} {}", time, level.upper(), one_line(text));
        }
        LogFormat::Json => {
            let line = EventJson {
                time,
                level: level.as_str(),
                kind: "event",
                message: text,
            };
            if serde_json::to_writer(&mut *buffer, &line).is_ok() {
                buffer.push(b'\n');
            }
        }
    }
}

/// A message on one line: a cause may hold a line break.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        text.replace(['\n', '\r'], " ").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A buffer the test reads back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn access(status: u16, cause: Option<&str>) -> Access {
        Access {
            method: "POST",
            route: "/api/book-ticket".into(),
            status,
            duration: Duration::from_micros(1_234),
            request_id: RequestId::parse("req-1").unwrap(),
            cause: cause.map(str::to_owned),
        }
    }

    fn lines(format: LogFormat, write: impl FnOnce(&ServiceLog)) -> Vec<String> {
        let output = Shared::default();
        let log = ServiceLog::to(format, Box::new(output.clone()));
        write(&log);
        log.flush();
        drop(log);
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_text_line_has_time_method_route_status_duration_and_id() {
        let lines = lines(LogFormat::Text, |log| {
            log.access(access(200, None));
            log.access(access(500, Some("storage failed: corrupt data:\nticket X")));
            log.info("purge: deleted 3 expired tickets");
        });
        assert_eq!(lines.len(), 3, "{lines:?}");
        let (time, rest) = lines[0].split_once(' ').unwrap();
        assert!(DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
        assert_eq!(rest, "INFO POST /api/book-ticket 200 1.234ms id=req-1");
        assert!(lines[1].ends_with(
            "ERROR POST /api/book-ticket 500 1.234ms id=req-1: storage failed: corrupt data: ticket X"
        ));
        assert!(lines[2].ends_with(" INFO purge: deleted 3 expired tickets"));
    }

    #[test]
    fn times_are_rfc_3339_to_the_millisecond_within_and_across_seconds() {
        let mut clock = Timestamps::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_900_000_000_998);
        for step in [0, 1, 2, 3, 1_000, 59_999, 60_001, 86_400_000] {
            let at = start + Duration::from_millis(step);
            let expected = DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(clock.of(at), expected, "{step}");
        }
    }

    #[test]
    fn a_request_id_is_kept_only_when_it_is_plain() {
        assert_eq!(RequestId::parse("a").unwrap().as_str(), "a");
        assert_eq!(
            RequestId::parse("01J8ZQ.req_42-x").unwrap().to_string(),
            "01J8ZQ.req_42-x"
        );
        let longest = "x".repeat(64);
        assert_eq!(RequestId::parse(&longest).unwrap().as_str(), longest);
        for bad in [
            "",
            &"x".repeat(65),
            "a b",
            "a/b",
            "é",
            "a\nb",
            "id=1",
            "Bearer x",
        ] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?}");
        }
        let minted = RequestId::mint();
        assert!(ulid::Ulid::from_string(minted.as_str()).is_ok(), "{minted}");
        assert_ne!(RequestId::mint(), minted);
    }

    #[test]
    fn a_json_line_is_one_object() {
        let lines = lines(LogFormat::Json, |log| {
            log.access(access(503, Some("the disk is full")));
            log.warn("storage takes writes again");
        });
        let request: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(request["kind"], "request");
        assert_eq!(request["level"], "error");
        assert_eq!(request["method"], "POST");
        assert_eq!(request["route"], "/api/book-ticket");
        assert_eq!(request["status"], 503);
        assert_eq!(request["durationMs"], 1.234);
        assert_eq!(request["requestId"], "req-1");
        assert_eq!(request["cause"], "the disk is full");
        let event: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(event["kind"], "event");
        assert_eq!(event["level"], "warn");
        assert_eq!(event["message"], "storage takes writes again");
    }

    #[test]
    fn an_output_that_cannot_keep_up_drops_lines_and_says_how_many() {
        /// An output that holds the log thread until the test lets it go.
        struct Gate(Arc<Mutex<()>>, Shared);
        impl Write for Gate {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _open = self.0.lock().unwrap();
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let output = Shared::default();
        let closed = gate.lock().unwrap();
        let log = ServiceLog::to(
            LogFormat::Text,
            Box::new(Gate(Arc::clone(&gate), output.clone())),
        );
        for _ in 0..QUEUE * 2 {
            log.access(access(200, None));
        }
        drop(closed);
        log.flush();
        drop(log);
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        let written = text.lines().filter(|line| line.contains(" 200 ")).count();
        assert!((QUEUE..QUEUE * 2).contains(&written), "{written}");
        assert!(text.contains("log lines were dropped"), "the loss is said");
    }

    #[test]
    fn an_off_log_writes_nothing_and_formats_parse() {
        let log = ServiceLog::off(LogFormat::Text);
        log.access(access(200, None));
        log.flush();
        assert!(!log.is_enabled());
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("JSON"), None);
    }
}
