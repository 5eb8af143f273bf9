//! A small closed-loop HTTP/1.1 load generator: `connections` keep-alive
//! connections on one thread, each sending its next request as soon as the
//! previous answer is in. One thread, so that it leaves the server as much of
//! the machine as possible, and every request is timed on its own.

// Figures for a table: counts and durations far below 2^52, shown rounded.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Builds request number `n` (numbers are unique across the run's connections).
pub type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;
/// Sees every answer: its status and body.
pub type OnAnswer = Arc<dyn Fn(u16, &[u8]) + Send + Sync>;

pub struct Load {
    pub address: SocketAddr,
    /// More servers of the same database: connection `i` goes to the
    /// `i`-th of `address` and these, round-robin, as a balancer would.
    pub spread: Vec<SocketAddr>,
    pub connections: usize,
    /// Sent but not counted, so that connections and caches are warm.
    pub warm_up: Duration,
    pub measure: Duration,
    pub make: MakeRequest,
    pub on_answer: Option<OnAnswer>,
    /// Stops early (between requests) once this turns true.
    pub stop: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

/// What one run measured: requests that started inside the measured window.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub ok: u64,
    pub not_ok: u64,
    /// Latency of every measured request, sorted, in microseconds.
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
    /// Every answer, warm-up included.
    pub answers: u64,
    /// The server's CPU time over the whole run, warm-up included (when measured).
    pub server_cpu: Duration,
    /// The load generator's own CPU time over the whole run, warm-up included:
    /// on a small machine it shares the cores with the server.
    pub generator_cpu: Duration,
}

impl Report {
    /// Adds another slice of the same load.
    pub fn add(&mut self, slice: Report) {
        self.ok += slice.ok;
        self.not_ok += slice.not_ok;
        self.latencies_us.extend(slice.latencies_us);
        self.elapsed += slice.elapsed;
        self.answers += slice.answers;
        self.server_cpu += slice.server_cpu;
        self.generator_cpu += slice.generator_cpu;
    }

    /// Server CPU time per answer, in microseconds.
    pub fn cpu_us_per_answer(&self) -> Option<f64> {
        (self.answers > 0 && !self.server_cpu.is_zero())
            .then(|| self.server_cpu.as_secs_f64() * 1e6 / self.answers as f64)
    }

    /// Load generator CPU time per answer, in microseconds.
    pub fn generator_us_per_answer(&self) -> Option<f64> {
        (self.answers > 0 && !self.generator_cpu.is_zero())
            .then(|| self.generator_cpu.as_secs_f64() * 1e6 / self.answers as f64)
    }

    /// Sorts the latencies once all slices are in.
    pub fn finish(&mut self) {
        self.latencies_us.sort_unstable();
    }

    pub fn ok_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn all_per_second(&self) -> f64 {
        (self.ok + self.not_ok) as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `fraction` of requests finished, in ms.
    pub fn percentile_ms(&self, fraction: f64) -> f64 {
        percentile_ms(&self.latencies_us, fraction)
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us
            .last()
            .map_or(0.0, |&us| f64::from(us) / 1e3)
    }
}

pub fn percentile_ms(sorted_us: &[u32], fraction: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (fraction * sorted_us.len() as f64).ceil() as usize;
    f64::from(sorted_us[rank.clamp(1, sorted_us.len()) - 1]) / 1e3
}

#[derive(Default)]
struct Tally {
    ok: u64,
    not_ok: u64,
    latencies_us: Vec<u32>,
    last_answer: Option<Instant>,
    answers: u64,
}

impl Tally {
    /// One answer; it is measured when it was sent inside the window.
    fn record(&mut self, sent_at: Instant, status: u16, window_opens: Instant) {
        let answered_at = Instant::now();
        self.answers += 1;
        if sent_at >= window_opens {
            let micros = answered_at.duration_since(sent_at).as_micros();
            self.latencies_us
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
            if (200..300).contains(&status) {
                self.ok += 1;
            } else {
                self.not_ok += 1;
            }
            self.last_answer = Some(answered_at);
        }
    }

    fn add(&mut self, mut other: Tally) {
        self.ok += other.ok;
        self.not_ok += other.not_ok;
        self.answers += other.answers;
        self.latencies_us.append(&mut other.latencies_us);
        self.last_answer = self.last_answer.max(other.last_answer);
    }

    fn report(self, window_opens: Instant) -> Report {
        // Every measured request started in the window and was answered by
        // the last answer, so that is where the measured time ends.
        let window_end = self.last_answer.unwrap_or(window_opens);
        let mut latencies_us = self.latencies_us;
        latencies_us.sort_unstable();
        Report {
            ok: self.ok,
            not_ok: self.not_ok,
            latencies_us,
            elapsed: window_end.saturating_duration_since(window_opens),
            answers: self.answers,
            server_cpu: Duration::ZERO,
            generator_cpu: Duration::ZERO,
        }
    }
}

impl Load {
    pub fn run(self) -> Result<Report, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("load generator runtime: {error}"))?;
        let before = thread_cpu();
        let mut report = runtime.block_on(self.drive())?;
        report.generator_cpu = thread_cpu().saturating_sub(before);
        Ok(report)
    }

    async fn drive(self) -> Result<Report, String> {
        let started = Instant::now();
        let window_opens = started + self.warm_up;
        let window_closes = window_opens + self.measure;
        let sequence = Arc::new(AtomicU64::new(0));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let mut connections = Vec::with_capacity(self.connections);
        let addresses: Vec<SocketAddr> = std::iter::once(self.address)
            .chain(self.spread.iter().copied())
            .collect();
        for number in 0..self.connections {
            let connection = Connection {
                address: addresses[number % addresses.len()],
                make: Arc::clone(&self.make),
                on_answer: self.on_answer.clone(),
                stop: self.stop.clone(),
                sequence: Arc::clone(&sequence),
                tally: Arc::clone(&tally),
                window_opens,
                window_closes,
            };
            connections.push(tokio::spawn(connection.run()));
        }
        for connection in connections {
            connection
                .await
                .map_err(|error| format!("a connection task failed: {error}"))??;
        }
        let tally = std::mem::take(&mut *tally.lock().unwrap());
        Ok(tally.report(window_opens))
    }
}

struct Connection {
    address: SocketAddr,
    make: MakeRequest,
    on_answer: Option<OnAnswer>,
    stop: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
    sequence: Arc<AtomicU64>,
    tally: Arc<Mutex<Tally>>,
    window_opens: Instant,
    window_closes: Instant,
}

impl Connection {
    async fn run(self) -> Result<(), String> {
        let mut stream = TcpStream::connect(self.address)
            .await
            .map_err(|error| format!("connect {}: {error}", self.address))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("nodelay: {error}"))?;
        let mut buffer = Vec::with_capacity(16 * 1024);
        let mut mine = Tally::default();
        loop {
            let sent_at = Instant::now();
            if sent_at >= self.window_closes || self.stop.as_ref().is_some_and(|stop| stop()) {
                break;
            }
            let request = (self.make)(self.sequence.fetch_add(1, Ordering::Relaxed));
            stream
                .write_all(&request)
                .await
                .map_err(|error| format!("send: {error}"))?;
            let (status, body) = read_answer(&mut stream, &mut buffer).await?;
            mine.record(sent_at, status, self.window_opens);
            if let Some(on_answer) = &self.on_answer {
                on_answer(status, &buffer[body]);
            }
        }
        self.tally.lock().unwrap().add(mine);
        Ok(())
    }
}

/// Two servers measured side by side on one connection each, one request at
/// a time in turn: the first, then the second, then the first again. Neither
/// load overlaps the other, and both meet the same disk and the same
/// neighbours within milliseconds, so a latency comparison between them is
/// not swayed by which of them ran in a slow minute. The window and warm-up
/// are the first load's.
pub fn alternate(first: Load, second: Load) -> Result<(Report, Report), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("load generator runtime: {error}"))?;
    runtime.block_on(async move {
        let started = Instant::now();
        let window_opens = started + first.warm_up;
        let window_closes = window_opens + first.measure;
        let mut sides = Vec::with_capacity(2);
        for load in [first, second] {
            let stream = TcpStream::connect(load.address)
                .await
                .map_err(|error| format!("connect {}: {error}", load.address))?;
            stream
                .set_nodelay(true)
                .map_err(|error| format!("nodelay: {error}"))?;
            sides.push((load, stream, Tally::default()));
        }
        let mut buffer = Vec::with_capacity(16 * 1024);
        let mut sequence = 0;
        while Instant::now() < window_closes {
            for (load, stream, tally) in &mut sides {
                let request = (load.make)(sequence);
                sequence += 1;
                let sent_at = Instant::now();
                stream
                    .write_all(&request)
                    .await
                    .map_err(|error| format!("send: {error}"))?;
                let (status, body) = read_answer(stream, &mut buffer).await?;
                tally.record(sent_at, status, window_opens);
                if let Some(on_answer) = &load.on_answer {
                    on_answer(status, &buffer[body]);
                }
            }
        }
        let mut reports = sides
            .into_iter()
            .map(|(_, _, tally)| tally.report(window_opens));
        let first = reports.next().unwrap_or_default();
        Ok((first, reports.next().unwrap_or_default()))
    })
}

/// Connections opened at once during a spike: fewer than the server's listen
/// queue holds (128: the backlog tokio's listener asks for, by way of mio), so
/// that no connection waits a second for its SYN to be sent again.
const SPIKE_OPENING: usize = 100;

/// Many idle connections at once: `connections` keep-alive connections, each
/// sending one request and reading its answer, then all held open together
/// for `hold`, then all closed. The whole spike gives up after `timeout`.
pub struct Spike {
    pub address: SocketAddr,
    pub connections: usize,
    pub make: MakeRequest,
    pub hold: Duration,
    pub timeout: Duration,
}

#[derive(Debug, Default)]
pub struct SpikeReport {
    /// Connections that got an answer and were held.
    pub held: usize,
    /// Of those, answers with a 2xx status.
    pub ok: usize,
    /// From the first connect until every connection was open and answered.
    pub opening: Duration,
}

impl Spike {
    pub fn run(self) -> Result<SpikeReport, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("spike runtime: {error}"))?;
        let timeout = self.timeout;
        runtime.block_on(async move {
            tokio::time::timeout(timeout, self.drive())
                .await
                .map_err(|_| format!("the connection spike took over {timeout:?}"))?
        })
    }

    async fn drive(self) -> Result<SpikeReport, String> {
        let started = Instant::now();
        let mut held = Vec::with_capacity(self.connections);
        let mut report = SpikeReport::default();
        let mut next = 0;
        while next < self.connections {
            let wave = SPIKE_OPENING.min(self.connections - next);
            let mut opening = Vec::with_capacity(wave);
            for n in next..next + wave {
                let request = (self.make)(n as u64);
                let address = self.address;
                opening.push(tokio::spawn(async move {
                    let mut stream = TcpStream::connect(address)
                        .await
                        .map_err(|error| format!("connect {address}: {error}"))?;
                    stream
                        .write_all(&request)
                        .await
                        .map_err(|error| format!("send: {error}"))?;
                    let mut buffer = Vec::new();
                    let (status, _) = read_answer(&mut stream, &mut buffer).await?;
                    Ok::<_, String>((stream, status))
                }));
            }
            for connection in opening {
                let (stream, status) = connection
                    .await
                    .map_err(|error| format!("a spike connection failed: {error}"))??;
                if (200..300).contains(&status) {
                    report.ok += 1;
                }
                held.push(stream);
            }
            next += wave;
        }
        report.opening = started.elapsed();
        report.held = held.len();
        tokio::time::sleep(self.hold).await;
        // Dropping a stream closes it: the server reads the end at once.
        drop(held);
        Ok(report)
    }
}

/// Reads one answer into `buffer`; returns its status and where its body is.
/// The server answers with a Content-Length (Rocket does for sized bodies).
pub async fn read_answer(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<(u16, std::ops::Range<usize>), String> {
    buffer.clear();
    let mut chunk = [0u8; 8192];
    let mut head_end = None;
    loop {
        if let Some(end) = head_end {
            let (status, length) = parse_head(&buffer[..end])?;
            while buffer.len() < end + length {
                read_more(stream, buffer, &mut chunk).await?;
            }
            return Ok((status, end..end + length));
        }
        read_more(stream, buffer, &mut chunk).await?;
        head_end = buffer
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .map(|at| at + 4);
    }
}

async fn read_more(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    chunk: &mut [u8],
) -> Result<(), String> {
    let read = stream
        .read(chunk)
        .await
        .map_err(|error| format!("receive: {error}"))?;
    if read == 0 {
        return Err("the server closed the connection".into());
    }
    buffer.extend_from_slice(&chunk[..read]);
    Ok(())
}

fn parse_head(head: &[u8]) -> Result<(u16, usize), String> {
    let head = std::str::from_utf8(head).map_err(|_| "answer head is not UTF-8".to_owned())?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {head:?}"))?;
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| format!("no Content-Length in {head:?}"))?;
    Ok((status, length))
}

/// A `GET` of each of `paths`, built before the run, so that a request costs
/// the generator only a copy.
pub fn gets(paths: impl IntoIterator<Item = String>) -> Vec<Vec<u8>> {
    paths
        .into_iter()
        .map(|path| request("GET", &path, None))
        .collect()
}

/// `requests` one after another, round and round.
pub fn in_turn(requests: Vec<Vec<u8>>) -> MakeRequest {
    Arc::new(move |n| requests[(n as usize) % requests.len()].clone())
}

/// `make`'s requests with one more header, `line` (without its CRLF),
/// right after the request line.
pub fn with_header(make: MakeRequest, line: &str) -> MakeRequest {
    let header = format!("{line}\r\n").into_bytes();
    Arc::new(move |n| {
        let mut request = make(n);
        let at = request
            .windows(2)
            .position(|pair| pair == b"\r\n")
            .map_or(request.len(), |at| at + 2);
        request.splice(at..at, header.iter().copied());
        request
    })
}

/// The CPU time this thread has used (zero where the kernel does not say).
pub fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// A complete HTTP/1.1 request.
pub fn request(method: &str, path: &str, json_body: Option<&str>) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    match json_body {
        Some(body) => {
            text.push_str("Content-Type: application/json\r\n");
            let _ = write!(text, "Content-Length: {}\r\n\r\n{body}", body.len());
        }
        None => text.push_str("\r\n"),
    }
    text.into_bytes()
}
