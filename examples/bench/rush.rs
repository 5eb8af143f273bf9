//! The premiere rush: one 400-seat show (16 rows of 25, aisles after seats 5
//! and 20), 5,000 customers arriving over 10 s, each on a keep-alive
//! connection of its own and behind its own `X-Forwarded-For` (the server
//! trusts 127.0.0.1 as its proxy, with the default limits on one client).
//! Every customer reads the seat map every 2 s; 40 % of them hold 2–4 seats
//! by name, picked from the map they last read (trying again on the next
//! read when refused); of those, 70 % confirm on the next read, the others
//! release or let the hold run out. Afterwards the seat map must show every
//! confirmed seat sold, once, and no more seats sold than the show has.

// Figures for a table: counts and durations far below 2^52, shown rounded.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::load::{percentile_ms, read_answer};
use crate::server;

pub const ROWS: usize = 16;
pub const SEATS_PER_ROW: usize = 25;
pub const CAPACITY: usize = ROWS * SEATS_PER_ROW;
pub const CUSTOMERS: usize = 5_000;
pub const ARRIVALS: Duration = Duration::from_secs(10);
const READ_EVERY: Duration = Duration::from_secs(2);
/// How long a hold keeps its seats: a hold let go runs out inside the run.
const HOLD_SECONDS: u64 = 10;
/// Holds a customer asks for before giving up.
const ATTEMPTS: u32 = 8;

fn row_label(row: usize) -> String {
    char::from(b'A' + u8::try_from(row).unwrap_or(0)).to_string()
}

fn seat_map() -> Value {
    let rows: Vec<Value> = (0..ROWS)
        .map(|row| {
            let seats: Vec<Value> = (1..=SEATS_PER_ROW)
                .map(|number| {
                    let mut seat = json!({"number": number.to_string()});
                    if number == 5 || number == 20 {
                        seat["aisleAfter"] = json!(true);
                    }
                    seat
                })
                .collect();
            json!({"label": row_label(row), "seats": seats})
        })
        .collect();
    json!({"name": "Premiere", "rows": rows})
}

fn created_id(status: u16, body: &str, what: &str) -> Result<String, String> {
    if status != 201 {
        return Err(format!("creating the {what}: {status} {body}"));
    }
    let value: Value = serde_json::from_str(body).map_err(|error| error.to_string())?;
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no id in the {what}: {body}"))
}

/// Makes the premiere's screen, film and show; the show's id.
pub fn set_up(address: SocketAddr) -> Result<String, String> {
    let (status, body) = server::call(
        address,
        "POST",
        "/v1/screens",
        Some(&seat_map().to_string()),
    )?;
    let screen = created_id(status, &body, "screen")?;
    let film = json!({"title": "Premiere", "runtimeMinutes": 150, "rating": "PG-13"});
    let (status, body) = server::call(address, "POST", "/v1/films", Some(&film.to_string()))?;
    let film = created_id(status, &body, "film")?;
    let start = chrono::Utc::now() + chrono::Duration::days(7);
    let show = json!({
        "screenId": screen,
        "filmId": film,
        "start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let (status, body) = server::call(address, "POST", "/v1/shows", Some(&show.to_string()))?;
    created_id(status, &body, "show")
}

/// What becomes of a customer's hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Confirm,
    Release,
    RunOut,
}

/// Customer `n`: only browsing (60 %), or holding (40 %), and then 70 % of
/// the holders confirm, 15 % release and 15 % let the hold run out.
fn plan_of(n: usize) -> Option<Fate> {
    match n % 100 {
        0..28 => Some(Fate::Confirm),
        28..34 => Some(Fate::Release),
        34..40 => Some(Fate::RunOut),
        _ => None,
    }
}

#[derive(Default)]
pub struct RushReport {
    pub seat_maps: Vec<u32>,
    pub holds: Vec<u32>,
    pub confirms: Vec<u32>,
    pub releases: Vec<u32>,
    /// Refused holds and confirms, by problem type (or status).
    pub refusals: BTreeMap<String, u64>,
    pub server_errors: u64,
    /// Connections that failed (connect, send or receive), with the first why.
    pub broken: u64,
    pub first_break: Option<String>,
    pub answers: u64,
    /// Seats the confirmed bookings hold, each once.
    pub confirmed_seats: BTreeSet<String>,
    /// Seats two confirmed bookings both hold.
    pub sold_twice: u64,
    /// Seats the seat map reads as sold afterwards.
    pub sold_on_map: usize,
    /// Holders who found no seats to pick in the map they read.
    pub nothing_to_pick: u64,
    pub server_cpu: Duration,
    pub rss_peak_kib: u64,
    pub elapsed: Duration,
}

impl RushReport {
    pub fn finish(&mut self) {
        for latencies in [
            &mut self.seat_maps,
            &mut self.holds,
            &mut self.confirms,
            &mut self.releases,
        ] {
            latencies.sort_unstable();
        }
    }

    /// Seats sold beyond the show's capacity, or sold twice.
    pub fn oversold(&self) -> u64 {
        let confirmed = self.confirmed_seats.len() as u64 + self.sold_twice;
        confirmed.saturating_sub(CAPACITY as u64) + self.sold_twice
    }

    pub fn requests(&self) -> usize {
        self.seat_maps.len() + self.holds.len() + self.confirms.len() + self.releases.len()
    }

    pub fn cpu_us_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.answers.max(1) as f64
    }

    pub fn p(latencies: &[u32], fraction: f64) -> f64 {
        percentile_ms(latencies, fraction)
    }
}

/// One customer's request, with its own forwarded address.
fn request(method: &str, path: &str, forwarded: &str, body: Option<&str>) -> Vec<u8> {
    let mut text =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: {forwarded}\r\n");
    match body {
        Some(body) => {
            let _ = write!(
                text,
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
        None => text.push_str("\r\n"),
    }
    text.into_bytes()
}

/// The free seats of a seat-map answer, row by row: (row, number, name,
/// aisle after), in map order. A scan, not a parse: the answer is the
/// service's own, 400 objects of the same six fields.
fn free_seats(body: &[u8]) -> Vec<(u8, u16, String, bool)> {
    let text = String::from_utf8_lossy(body);
    let mut free = Vec::new();
    for object in text.split("{\"seat\":\"").skip(1) {
        let Some((name, rest)) = object.split_once('"') else {
            continue;
        };
        if !rest.contains("\"state\":\"free\"") {
            continue;
        }
        let row = name.as_bytes().first().copied().unwrap_or(b'?');
        let number = name[1..].parse().unwrap_or(0);
        free.push((
            row,
            number,
            name.to_owned(),
            rest.contains("\"aisleAfter\":true"),
        ));
    }
    free
}

/// A small generator of our own: each customer picks differently.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below.max(1) as u64) as usize
    }
}

/// `party` seats next to each other in one row without an aisle between
/// them, starting from a random free seat; else any `party` free seats of
/// one row; else none.
fn pick(free: &[(u8, u16, String, bool)], party: usize, dice: &mut Dice) -> Option<Vec<String>> {
    if free.len() < party {
        return None;
    }
    let offset = dice.next(free.len());
    for k in 0..free.len() {
        let start = (offset + k) % free.len();
        let Some(run) = free.get(start..start + party) else {
            continue;
        };
        let together = run
            .windows(2)
            .all(|pair| pair[0].0 == pair[1].0 && pair[0].1 + 1 == pair[1].1 && !pair[0].3);
        if together {
            return Some(run.iter().map(|seat| seat.2.clone()).collect());
        }
    }
    let mut by_row: BTreeMap<u8, Vec<&String>> = BTreeMap::new();
    for seat in free {
        by_row.entry(seat.0).or_default().push(&seat.2);
    }
    by_row
        .into_values()
        .find(|seats| seats.len() >= party)
        .map(|seats| seats[..party].iter().map(|name| (*name).clone()).collect())
}

fn problem_type(status: u16, body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|problem| {
            problem["type"]
                .as_str()
                .map(|kind| kind.trim_start_matches("urn:boxoffice:").to_owned())
        })
        .map_or_else(
            || format!("status {status}"),
            |kind| format!("{status} {kind}"),
        )
}

fn seats_of(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|answer| {
            answer["seats"].as_array().map(|seats| {
                seats
                    .iter()
                    .filter_map(|seat| seat.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

fn id_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|answer| answer["id"].as_str().map(str::to_owned))
}

/// What every customer adds to the report.
#[derive(Default)]
struct Shared {
    report: RushReport,
}

struct Customer {
    n: usize,
    address: SocketAddr,
    show: Arc<str>,
    arrives: Instant,
    leaves: Instant,
    shared: Arc<Mutex<Shared>>,
}

enum Step {
    Browsing { attempts: u32 },
    Holding { id: String, fate: Fate },
    Done,
}

impl Customer {
    async fn run(self) {
        if let Err(why) = self.visit().await {
            let mut shared = self.shared.lock().unwrap();
            shared.report.broken += 1;
            shared.report.first_break.get_or_insert(why);
        }
    }

    async fn visit(&self) -> Result<(), String> {
        tokio::time::sleep_until(self.arrives.into()).await;
        let mut stream = TcpStream::connect(self.address)
            .await
            .map_err(|error| format!("connect: {error}"))?;
        stream
            .set_nodelay(true)
            .map_err(|error| error.to_string())?;
        let n = self.n;
        let forwarded = format!("10.{}.{}.{}", 1 + n / 62_500, (n / 250) % 250, 1 + n % 250);
        let seat_map = request(
            "GET",
            &format!("/v1/shows/{}/seats", self.show),
            &forwarded,
            None,
        );
        let mut dice =
            Dice(0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let party = 2 + n % 3;
        let mut step = match plan_of(n) {
            Some(_) => Step::Browsing { attempts: 0 },
            None => Step::Done,
        };
        let mut buffer = Vec::with_capacity(48 * 1024);
        let mut next = self.arrives;
        while next < self.leaves {
            tokio::time::sleep_until(next.into()).await;
            next += READ_EVERY;
            let (status, body, micros) = exchange(&mut stream, &seat_map, &mut buffer).await?;
            let mut seen = Seen::new(status, micros, Kind::SeatMap);
            match std::mem::replace(&mut step, Step::Done) {
                Step::Browsing { attempts } if attempts < ATTEMPTS && status == 200 => {
                    let free = free_seats(&buffer[body]);
                    let Some(seats) = pick(&free, party, &mut dice) else {
                        seen.nothing_to_pick = true;
                        step = Step::Browsing { attempts };
                        self.note(seen, None);
                        continue;
                    };
                    self.note(seen, None);
                    let wanted = json!({"showId": &*self.show, "seats": seats, "holdForSeconds": HOLD_SECONDS});
                    let hold = request("POST", "/v1/holds", &forwarded, Some(&wanted.to_string()));
                    let (status, body, micros) = exchange(&mut stream, &hold, &mut buffer).await?;
                    let answer = &buffer[body];
                    if status == 201 {
                        let id = id_of(answer).ok_or("a hold without an id")?;
                        let fate = plan_of(n).unwrap_or(Fate::RunOut);
                        step = Step::Holding { id, fate };
                        self.note(Seen::new(status, micros, Kind::Hold), None);
                    } else {
                        step = Step::Browsing {
                            attempts: attempts + 1,
                        };
                        let mut seen = Seen::new(status, micros, Kind::Hold);
                        seen.refusal = Some(problem_type(status, answer));
                        self.note(seen, None);
                    }
                }
                Step::Holding { id, fate } => {
                    self.note(seen, None);
                    self.settle(&mut stream, &mut buffer, &id, fate, &forwarded)
                        .await?;
                }
                other => {
                    step = other;
                    self.note(seen, None);
                }
            }
        }
        Ok(())
    }

    /// Confirms, releases or leaves the hold `id`, as its fate says.
    async fn settle(
        &self,
        stream: &mut TcpStream,
        buffer: &mut Vec<u8>,
        id: &str,
        fate: Fate,
        forwarded: &str,
    ) -> Result<(), String> {
        let n = self.n;
        match fate {
            Fate::Confirm => {
                let who = json!({"userName": format!("guest {n}"), "phoneNumber": "9876543210"});
                let confirm = request(
                    "POST",
                    &format!("/v1/holds/{id}/confirm"),
                    forwarded,
                    Some(&who.to_string()),
                );
                let (status, body, micros) = exchange(stream, &confirm, buffer).await?;
                let mut seen = Seen::new(status, micros, Kind::Confirm);
                let sold = if status == 201 {
                    Some(seats_of(&buffer[body]))
                } else {
                    seen.refusal = Some(problem_type(status, &buffer[body]));
                    None
                };
                self.note(seen, sold);
            }
            Fate::Release => {
                let release = request("DELETE", &format!("/v1/holds/{id}"), forwarded, None);
                let (status, body, micros) = exchange(stream, &release, buffer).await?;
                let mut seen = Seen::new(status, micros, Kind::Release);
                if !(200..300).contains(&status) {
                    seen.refusal = Some(problem_type(status, &buffer[body]));
                }
                self.note(seen, None);
            }
            Fate::RunOut => {}
        }
        Ok(())
    }

    fn note(&self, seen: Seen, sold: Option<Vec<String>>) {
        let mut shared = self.shared.lock().unwrap();
        let report = &mut shared.report;
        report.answers += 1;
        if seen.status >= 500 {
            report.server_errors += 1;
        }
        if seen.nothing_to_pick {
            report.nothing_to_pick += 1;
        }
        let micros = u32::try_from(seen.micros).unwrap_or(u32::MAX);
        match seen.kind {
            Kind::SeatMap => report.seat_maps.push(micros),
            Kind::Hold => report.holds.push(micros),
            Kind::Confirm => report.confirms.push(micros),
            Kind::Release => report.releases.push(micros),
        }
        if let Some(refusal) = seen.refusal {
            let what = match seen.kind {
                Kind::Hold => "hold",
                Kind::Confirm => "confirm",
                Kind::Release => "release",
                Kind::SeatMap => "seat map",
            };
            *report
                .refusals
                .entry(format!("{what}: {refusal}"))
                .or_default() += 1;
        }
        for seat in sold.into_iter().flatten() {
            if !report.confirmed_seats.insert(seat) {
                report.sold_twice += 1;
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    SeatMap,
    Hold,
    Confirm,
    Release,
}

struct Seen {
    status: u16,
    micros: u128,
    kind: Kind,
    refusal: Option<String>,
    nothing_to_pick: bool,
}

impl Seen {
    fn new(status: u16, micros: u128, kind: Kind) -> Self {
        Self {
            status,
            micros,
            kind,
            refusal: None,
            nothing_to_pick: false,
        }
    }
}

/// Sends `request` and reads its answer: status, where the body is, and
/// how long it took in microseconds.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(u16, std::ops::Range<usize>, u128), String> {
    let sent = Instant::now();
    stream
        .write_all(request)
        .await
        .map_err(|error| format!("send: {error}"))?;
    let (status, body) = read_answer(stream, buffer).await?;
    Ok((status, body, sent.elapsed().as_micros()))
}

/// Runs the rush against `addresses` (customers spread round-robin over
/// them) for `ARRIVALS` and then `stay` more; returns what it saw.
pub fn run(addresses: &[SocketAddr], show: &str, stay: Duration) -> Result<RushReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("rush runtime: {error}"))?;
    let shared = Arc::new(Mutex::new(Shared::default()));
    let show: Arc<str> = Arc::from(show);
    let started = Instant::now();
    let leaves = started + ARRIVALS + stay;
    runtime.block_on(async {
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for n in 0..CUSTOMERS {
            let customer = Customer {
                n,
                address: addresses[n % addresses.len()],
                show: Arc::clone(&show),
                arrives: started + ARRIVALS.mul_f64(n as f64 / CUSTOMERS as f64),
                leaves,
                shared: Arc::clone(&shared),
            };
            customers.push(tokio::spawn(customer.run()));
        }
        for customer in customers {
            customer
                .await
                .map_err(|error| format!("a customer failed: {error}"))?;
        }
        Ok::<_, String>(())
    })?;
    let mut report = std::mem::take(&mut shared.lock().unwrap().report);
    report.elapsed = started.elapsed();
    let (status, body) = server::get(addresses[0], &format!("/v1/shows/{show}/seats"))?;
    if status != 200 {
        return Err(format!("the seat map afterwards: {status} {body}"));
    }
    report.sold_on_map = body.matches("\"state\":\"sold\"").count();
    report.finish();
    Ok(report)
}

// ---- a crowd of holds on one show ----------------------------------------------------

/// A general-admission show of `capacity` places with `holds` live holds of
/// one place each, every one from a client of its own; the show's id.
pub fn crowd_show(address: SocketAddr, capacity: u32, holds: usize) -> Result<String, String> {
    let screen = json!({"name": format!("Crowd {holds}"), "capacity": capacity});
    let (status, body) = server::call(address, "POST", "/v1/screens", Some(&screen.to_string()))?;
    let screen = created_id(status, &body, "screen")?;
    let film = json!({"title": format!("Crowd {holds}"), "runtimeMinutes": 90});
    let (status, body) = server::call(address, "POST", "/v1/films", Some(&film.to_string()))?;
    let film = created_id(status, &body, "film")?;
    let start = chrono::Utc::now() + chrono::Duration::days(9);
    let show = json!({
        "screenId": screen,
        "filmId": film,
        "start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let (status, body) = server::call(address, "POST", "/v1/shows", Some(&show.to_string()))?;
    let show = created_id(status, &body, "show")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("crowd runtime: {error}"))?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    runtime.block_on(async {
        let mut workers = Vec::new();
        for _ in 0..32 {
            let (next, show) = (Arc::clone(&next), show.clone());
            workers.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(address)
                    .await
                    .map_err(|error| format!("connect: {error}"))?;
                let mut buffer = Vec::new();
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= holds {
                        return Ok::<_, String>(());
                    }
                    let hold = crowd_hold(&show, &crowd_client(holds, n));
                    let (status, body, _) = exchange(&mut stream, &hold, &mut buffer).await?;
                    if status != 201 {
                        return Err(format!(
                            "a crowd hold: {status} {}",
                            String::from_utf8_lossy(&buffer[body])
                        ));
                    }
                }
            }));
        }
        for worker in workers {
            worker.await.map_err(|error| error.to_string())??;
        }
        Ok::<_, String>(())
    })?;
    Ok(show)
}

/// The forwarded address of the `n`-th client of a crowd of `size`.
fn crowd_client(size: usize, n: usize) -> String {
    let n = n + size * 7;
    format!("172.{}.{}.{}", 16 + (n >> 16) % 16, (n >> 8) & 255, n & 255)
}

fn crowd_hold(show: &str, forwarded: &str) -> Vec<u8> {
    let body = format!(r#"{{"showId":"{show}","count":1,"holdForSeconds":1800}}"#);
    request("POST", "/v1/holds", forwarded, Some(&body))
}

/// What the hold-and-release loop measured.
#[derive(Default)]
pub struct HoldCycles {
    pub holds: Vec<u32>,
    pub releases: Vec<u32>,
    pub failures: u64,
    pub server_cpu: Duration,
}

impl HoldCycles {
    /// Server CPU a hold and its release cost together, in microseconds.
    pub fn cpu_us_per_cycle(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.holds.len().max(1) as f64
    }
}

/// On `connections` connections for `measure`: a hold of one place on
/// `show` (each from a client never seen before), then its release, so the
/// show keeps the live holds it had.
pub fn hold_cycles(
    address: SocketAddr,
    show: &str,
    connections: usize,
    measure: Duration,
    first_client: usize,
) -> Result<HoldCycles, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("hold cycle runtime: {error}"))?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(first_client));
    let until = Instant::now() + measure;
    let cycles = Arc::new(Mutex::new(HoldCycles::default()));
    runtime.block_on(async {
        let mut workers = Vec::new();
        for _ in 0..connections {
            let (next, show, cycles) = (Arc::clone(&next), show.to_owned(), Arc::clone(&cycles));
            workers.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(address)
                    .await
                    .map_err(|error| format!("connect: {error}"))?;
                stream
                    .set_nodelay(true)
                    .map_err(|error| error.to_string())?;
                let mut buffer = Vec::new();
                while Instant::now() < until {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let client = crowd_client(1_000_000, n);
                    let hold = crowd_hold(&show, &client);
                    let (status, body, held_in) = exchange(&mut stream, &hold, &mut buffer).await?;
                    let Some(id) = (status == 201).then(|| id_of(&buffer[body])).flatten() else {
                        cycles.lock().unwrap().failures += 1;
                        continue;
                    };
                    let release = request("DELETE", &format!("/v1/holds/{id}"), &client, None);
                    let (status, _, released_in) =
                        exchange(&mut stream, &release, &mut buffer).await?;
                    let mut cycles = cycles.lock().unwrap();
                    if !(200..300).contains(&status) {
                        cycles.failures += 1;
                    }
                    cycles
                        .holds
                        .push(u32::try_from(held_in).unwrap_or(u32::MAX));
                    cycles
                        .releases
                        .push(u32::try_from(released_in).unwrap_or(u32::MAX));
                }
                Ok::<_, String>(())
            }));
        }
        for worker in workers {
            worker.await.map_err(|error| error.to_string())??;
        }
        Ok::<_, String>(())
    })?;
    let mut cycles = std::mem::take(&mut *cycles.lock().unwrap());
    cycles.holds.sort_unstable();
    cycles.releases.sort_unstable();
    Ok(cycles)
}
