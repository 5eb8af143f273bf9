//! The premiere rush: one 400-seat show (16 rows of 25, aisles after seats 5
//! and 20), 5,000 customers arriving over 10 s, each on a keep-alive
//! connection of its own and behind its own `X-Forwarded-For` (the server
//! trusts 127.0.0.1 as its proxy, with the default limits on one client).
//! Every customer reads the seat map every 2 s; 40 % of them hold 2–4 seats
//! by name, picked from the map they last read: side by side when they can,
//! else any free seats, and what is left when fewer are (trying again on the
//! next read when refused); of those, 70 % confirm on the next read, the
//! others release or let the hold run out (holds last `HOLD_SECONDS`, the
//! server's `hold_for`). The rush goes on until the show is sold out or a
//! bound is reached. The final count comes once every hold let go has run
//! out: the seat map must show every confirmed seat sold, once, no more
//! seats sold than the show has, and every seat sold.

// Figures for a table: counts and durations far below 2^52, shown rounded.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::cinema::{created_id, row_label};
use crate::load::{percentile_ms, read_answer};
use crate::server;

pub const ROWS: usize = 16;
pub const SEATS_PER_ROW: usize = 25;
pub const CAPACITY: usize = ROWS * SEATS_PER_ROW;
pub const CUSTOMERS: usize = 5_000;
pub const ARRIVALS: Duration = Duration::from_secs(10);
const READ_EVERY: Duration = Duration::from_secs(2);
/// How long a hold keeps its seats (the rush servers' `hold_for`): a hold
/// let go runs out and its seats are sold again inside the run.
pub const HOLD_SECONDS: u64 = 6;
/// How often the bench itself reads the seat map to see whether the show
/// is sold out (on a connection of its own, not counted).
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// Past the latest `expiresAt` before the final count (expiresAt is
/// written to the second).
const EXPIRY_MARGIN: Duration = Duration::from_millis(1_500);
/// Holds a customer asks for before giving up.
const ATTEMPTS: u32 = 8;

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

/// Customer `n`'s roll of a hundred-sided die. A customer's plan must not
/// follow from `n` modulo the arrivals in one reading period: customers
/// read in the order they arrived, so seats let go would go to the
/// customers with the same plan as those who let them go.
fn roll(n: usize) -> usize {
    let mut x = (n as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % 100) as usize
}

/// Customer `n`: only browsing (60 %), or holding (40 %), and then 70 % of
/// the holders confirm, 15 % release and 15 % let the hold run out.
fn plan_of(n: usize) -> Option<Fate> {
    match roll(n) {
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
    /// The latest `expiresAt` of the holds granted.
    pub latest_expiry: Option<chrono::DateTime<chrono::Utc>>,
    /// Reads where a holder found no free seat at all.
    pub nothing_free: u64,
    /// Reads where a holder found free seats but none its party would take.
    pub no_party_fits: u64,
    /// The seat map when the customers left, and once every hold they let
    /// go had run out.
    pub at_stop: SeatCount,
    pub at_end: SeatCount,
    pub server_cpu: Duration,
    pub rss_peak_kib: u64,
    pub elapsed: Duration,
    /// When the bench first read the show sold out, from the first arrival.
    pub sold_out_after: Option<Duration>,
}

/// Seats of the show by state, as one seat-map answer reads them.
#[derive(Default, Clone, Copy)]
pub struct SeatCount {
    pub free: usize,
    pub held: usize,
    pub sold: usize,
}

impl SeatCount {
    fn of(body: &str) -> Self {
        Self {
            free: body.matches("\"state\":\"free\"").count(),
            held: body.matches("\"state\":\"held\"").count(),
            sold: body.matches("\"state\":\"sold\"").count(),
        }
    }
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
/// them, starting from a random free seat; else the `party` free seats that
/// follow a random one in map order, wherever they are; else, when fewer
/// are free, all that are; none when none is.
fn pick(free: &[(u8, u16, String, bool)], party: usize, dice: &mut Dice) -> Option<Vec<String>> {
    if free.is_empty() {
        return None;
    }
    if free.len() <= party {
        return Some(free.iter().map(|seat| seat.2.clone()).collect());
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
    Some(
        (0..party)
            .map(|k| free[(offset + k) % free.len()].2.clone())
            .collect(),
    )
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

fn expiry_of(body: &[u8]) -> Result<chrono::DateTime<chrono::Utc>, String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|answer| {
            answer["expiresAt"]
                .as_str()
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        })
        .map(|at| at.with_timezone(&chrono::Utc))
        .ok_or_else(|| "a hold without an expiresAt".to_owned())
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
    sold_out: Arc<AtomicBool>,
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
        let party = 2 + roll(n) % 3;
        let mut step = match plan_of(n) {
            Some(_) => Step::Browsing { attempts: 0 },
            None => Step::Done,
        };
        let mut buffer = Vec::with_capacity(48 * 1024);
        let mut next = self.arrives;
        while next < self.leaves {
            tokio::time::sleep_until(next.into()).await;
            // Answers slower than the reading period put `next` behind the
            // clock: the bound is the clock's.
            if self.sold_out.load(Ordering::Relaxed) || Instant::now() >= self.leaves {
                break;
            }
            next += READ_EVERY;
            let (status, body, micros) = exchange(&mut stream, &seat_map, &mut buffer).await?;
            let mut seen = Seen::new(status, micros, Kind::SeatMap);
            match std::mem::replace(&mut step, Step::Done) {
                Step::Browsing { attempts } if attempts < ATTEMPTS && status == 200 => {
                    let free = free_seats(&buffer[body]);
                    let Some(seats) = pick(&free, party, &mut dice) else {
                        seen.no_pick = Some(if free.is_empty() {
                            NoPick::NothingFree
                        } else {
                            NoPick::NoPartyFits
                        });
                        step = Step::Browsing { attempts };
                        self.note(seen, None);
                        continue;
                    };
                    self.note(seen, None);
                    let wanted = json!({"showId": &*self.show, "seats": seats});
                    let hold = request("POST", "/v1/holds", &forwarded, Some(&wanted.to_string()));
                    let (status, body, micros) = exchange(&mut stream, &hold, &mut buffer).await?;
                    let answer = &buffer[body];
                    if status == 201 {
                        let id = id_of(answer).ok_or("a hold without an id")?;
                        let fate = plan_of(n).unwrap_or(Fate::RunOut);
                        step = Step::Holding { id, fate };
                        let mut seen = Seen::new(status, micros, Kind::Hold);
                        seen.expires_at = Some(expiry_of(answer)?);
                        self.note(seen, None);
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
        match seen.no_pick {
            Some(NoPick::NothingFree) => report.nothing_free += 1,
            Some(NoPick::NoPartyFits) => report.no_party_fits += 1,
            None => {}
        }
        if let Some(expiry) = seen.expires_at {
            report.latest_expiry = report.latest_expiry.max(Some(expiry));
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
    no_pick: Option<NoPick>,
    /// A granted hold's `expiresAt`.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why a holder picked no seats from the map it read.
#[derive(Clone, Copy)]
enum NoPick {
    NothingFree,
    NoPartyFits,
}

impl Seen {
    fn new(status: u16, micros: u128, kind: Kind) -> Self {
        Self {
            status,
            micros,
            kind,
            refusal: None,
            no_pick: None,
            expires_at: None,
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

/// Reads the seat map every `WATCH_EVERY` until it reads sold out (then
/// raises `sold_out` and says when) or `until`.
async fn watch(
    address: SocketAddr,
    show: &str,
    sold_out: &AtomicBool,
    until: Instant,
) -> Result<Option<Instant>, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    let seat_map = request("GET", &format!("/v1/shows/{show}/seats"), "127.0.0.1", None);
    let mut buffer = Vec::new();
    let mut next = Instant::now();
    while next < until {
        tokio::time::sleep_until(next.into()).await;
        next += WATCH_EVERY;
        let (status, body, _) = exchange(&mut stream, &seat_map, &mut buffer).await?;
        if status == 200 && SeatCount::of(&String::from_utf8_lossy(&buffer[body])).sold == CAPACITY
        {
            sold_out.store(true, Ordering::Relaxed);
            return Ok(Some(Instant::now()));
        }
    }
    Ok(None)
}

/// Runs the rush against `addresses` (customers spread round-robin over
/// them) until the show is sold out, or for `ARRIVALS` and then `bound`
/// more; returns what it saw.
pub fn run(addresses: &[SocketAddr], show: &str, bound: Duration) -> Result<RushReport, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("rush runtime: {error}"))?;
    let shared = Arc::new(Mutex::new(Shared::default()));
    let show: Arc<str> = Arc::from(show);
    let sold_out = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let leaves = started + ARRIVALS + bound;
    let sold_out_at = runtime.block_on(async {
        let watcher = {
            let (show, sold_out) = (Arc::clone(&show), Arc::clone(&sold_out));
            let address = addresses[0];
            tokio::spawn(async move { watch(address, &show, &sold_out, leaves).await })
        };
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for n in 0..CUSTOMERS {
            let customer = Customer {
                n,
                address: addresses[n % addresses.len()],
                show: Arc::clone(&show),
                arrives: started + ARRIVALS.mul_f64(n as f64 / CUSTOMERS as f64),
                leaves,
                sold_out: Arc::clone(&sold_out),
                shared: Arc::clone(&shared),
            };
            customers.push(tokio::spawn(customer.run()));
        }
        for customer in customers {
            customer
                .await
                .map_err(|error| format!("a customer failed: {error}"))?;
        }
        watcher
            .await
            .map_err(|error| format!("the watcher failed: {error}"))?
    })?;
    let mut report = std::mem::take(&mut shared.lock().unwrap().report);
    report.elapsed = started.elapsed();
    report.sold_out_after = sold_out_at.map(|at| at - started);
    let count = || -> Result<SeatCount, String> {
        let (status, body) = server::get(addresses[0], &format!("/v1/shows/{show}/seats"))?;
        if status != 200 {
            return Err(format!("the seat map afterwards: {status} {body}"));
        }
        Ok(SeatCount::of(&body))
    };
    report.at_stop = count()?;
    // The final count comes once every hold let go has run out.
    if let Some(latest) = report.latest_expiry {
        let left = (latest - chrono::Utc::now()).to_std().unwrap_or_default();
        std::thread::sleep(left + EXPIRY_MARGIN);
    }
    report.at_end = count()?;
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
