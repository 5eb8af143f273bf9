//! The `/v1` part of the benchmark: one screen with a 12 × 14 seat map (168
//! seats, two aisles, a wheelchair place), one film, and enough shows on it
//! that no booking row ever meets a full show. Bookings go to shows in
//! order, each show taking a fixed number of parties of two, so every
//! refusal the table counts would be a real failure.
//!
//! The price rows make two more such cinemas on a server of their own, on a
//! map whose last rows are premium seats: one on the default card (every
//! place `Admission` at 0), one whose card prices three taxed ticket types,
//! premium seats apart, and whose bookings name a type for each place.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::load::{gets, request, Load, MakeRequest, OnAnswer};
use crate::server;

pub const ROWS: usize = 12;
pub const SEATS_PER_ROW: usize = 14;
/// Parties of two booked by name per show: every seat of the map.
const NAMED_PER_SHOW: u64 = (ROWS * SEATS_PER_ROW / 2) as u64;
/// Parties of two booked by count per show: best available finds a pair in
/// some row for each of them (the aisles leave 6 pairs a row, 72 a show).
const COUNTED_PER_SHOW: u64 = 60;
/// Shows for each kind of booking; at 10,000 bookings/s for the 6 s a row
/// runs, a third of them would do.
const SHOWS_PER_KIND: usize = 3_000;
const CREATE_CONNECTIONS: usize = 16;
const CREATE_TIMEOUT: Duration = Duration::from_mins(3);

/// Premium rows at the back of the price rows' map.
const PREMIUM_ROWS: usize = 3;
/// The price rows' ticket types: name, tax rate (basis points), price on
/// any seat and on a premium seat, in minor units.
const TICKET_TYPES: [(&str, u32, u32, u32); 3] = [
    ("Adult", 700, 1_250, 1_750),
    ("Child", 700, 800, 1_150),
    ("Senior", 1_900, 950, 1_390),
];

/// How a cinema's shows are priced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    /// The `/v1` rows' map, on the default card.
    Plain,
    /// A map with premium rows, on the default card; bookings name no type.
    AtZero,
    /// The same map, on a card of its own screen that prices three types
    /// (premium seats apart); bookings name a type for each place.
    Priced,
}

/// The screen, film and shows made for the `/v1` rows, and where each kind
/// of booking goes next.
pub struct Cinema {
    named_shows: Vec<String>,
    counted_shows: Vec<String>,
    named: AtomicU64,
    counted: AtomicU64,
    /// The ticket types bookings name, when the shows are priced.
    types: Vec<String>,
}

pub fn row_label(row: usize) -> String {
    char::from(b'A' + u8::try_from(row).unwrap_or(0)).to_string()
}

fn seat_map(name: &str, premium_rows: usize) -> Value {
    let rows: Vec<Value> = (0..ROWS)
        .map(|row| {
            let seats: Vec<Value> = (1..=SEATS_PER_ROW)
                .map(|number| {
                    let mut seat = json!({"number": number.to_string()});
                    if number == 4 || number == 10 {
                        seat["aisleAfter"] = json!(true);
                    }
                    if row == 0 && number == 1 {
                        seat["kind"] = json!("wheelchair");
                    } else if row >= ROWS - premium_rows {
                        seat["kind"] = json!("premium");
                    }
                    seat
                })
                .collect();
            json!({"label": row_label(row), "seats": seats})
        })
        .collect();
    json!({"name": name, "rows": rows})
}

/// The `id` of what a POST created, or why there is none.
pub fn created_id(status: u16, body: &str, what: &str) -> Result<String, String> {
    if status != 201 {
        return Err(format!("creating the {what}: {status} {body}"));
    }
    let value: Value = serde_json::from_str(body).map_err(|error| error.to_string())?;
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no id in the {what}: {body}"))
}

/// What a sample booking answered.
#[derive(Debug)]
pub struct Sample {
    pub total: u64,
    /// Ticket types among its lines.
    pub types: usize,
}

/// POSTs `body` to `path` and answers the id of what it created.
fn create(address: SocketAddr, path: &str, body: &Value, what: &str) -> Result<String, String> {
    let (status, answer) = server::call(address, "POST", path, Some(&body.to_string()))?;
    created_id(status, &answer, what)
}

impl Cinema {
    /// Makes the screen, the film and the shows on the service at `address`
    /// (and the ticket types and card of a priced one).
    pub fn set_up(address: SocketAddr, pricing: Pricing) -> Result<Self, String> {
        let (name, premium_rows) = match pricing {
            Pricing::Plain => ("Bench screen", 0),
            Pricing::AtZero => ("Bench screen at 0", PREMIUM_ROWS),
            Pricing::Priced => ("Bench screen priced", PREMIUM_ROWS),
        };
        let screen = create(
            address,
            "/v1/screens",
            &seat_map(name, premium_rows),
            "screen",
        )?;
        let film = json!({"title": name, "runtimeMinutes": 100, "rating": "PG"});
        let film = create(address, "/v1/films", &film, "film")?;
        let mut types = Vec::new();
        if pricing == Pricing::Priced {
            let mut prices = Vec::new();
            for (name, tax_rate, any, premium) in TICKET_TYPES {
                let new = json!({"name": name, "taxRate": tax_rate});
                let id = create(address, "/v1/ticket-types", &new, "ticket type")?;
                prices.push(json!({"type": id, "amount": any}));
                prices.push(json!({"type": id, "seatKind": "premium", "amount": premium}));
                types.push(id);
            }
            let card = json!({
                "name": "Bench prices",
                "priority": 10,
                "rules": {"screens": [screen]},
                "prices": prices,
            });
            create(address, "/v1/price-cards", &card, "price card")?;
        }
        let shows = create_shows(address, &screen, &film, 2 * SHOWS_PER_KIND)?;
        let (named_shows, counted_shows) = shows.split_at(SHOWS_PER_KIND);
        Ok(Self {
            named_shows: named_shows.to_vec(),
            counted_shows: counted_shows.to_vec(),
            named: AtomicU64::new(0),
            counted: AtomicU64::new(0),
            types,
        })
    }

    pub fn seat_map_seats() -> usize {
        ROWS * SEATS_PER_ROW
    }

    /// Bookings of two seats named, the next pair of the current show.
    pub fn named_bookings(self: &Arc<Self>) -> MakeRequest {
        let cinema = Arc::clone(self);
        Arc::new(move |_| {
            let n = cinema.named.fetch_add(1, Ordering::Relaxed);
            let show = &cinema.named_shows[(n / NAMED_PER_SHOW) as usize % SHOWS_PER_KIND];
            let pair = (n % NAMED_PER_SHOW) as usize;
            let (row, first) = (
                pair / (SEATS_PER_ROW / 2),
                2 * (pair % (SEATS_PER_ROW / 2)) + 1,
            );
            let label = row_label(row);
            let second = first + 1;
            // Written out, as the /api bookings are (see `booking_body`).
            let body = if cinema.types.is_empty() {
                format!(
                    r#"{{"showId":"{show}","seats":["{label}{first}","{label}{second}"],"userName":"guest {n}","phoneNumber":"+91 98765 43210"}}"#
                )
            } else {
                let (one, other) = cinema.two_types(n);
                format!(
                    r#"{{"showId":"{show}","tickets":[{{"seat":"{label}{first}","type":"{one}"}},{{"seat":"{label}{second}","type":"{other}"}}],"userName":"guest {n}","phoneNumber":"+91 98765 43210"}}"#
                )
            };
            request("POST", "/v1/bookings", Some(&body))
        })
    }

    /// Bookings of two seats by count: best available picks them.
    pub fn counted_bookings(self: &Arc<Self>) -> MakeRequest {
        let cinema = Arc::clone(self);
        Arc::new(move |_| {
            let n = cinema.counted.fetch_add(1, Ordering::Relaxed);
            let show = &cinema.counted_shows[(n / COUNTED_PER_SHOW) as usize % SHOWS_PER_KIND];
            let body = if cinema.types.is_empty() {
                format!(
                    r#"{{"showId":"{show}","count":2,"userName":"guest {n}","phoneNumber":9876543210}}"#
                )
            } else {
                let (one, other) = cinema.two_types(n);
                format!(
                    r#"{{"showId":"{show}","tickets":[{{"type":"{one}","count":1}},{{"type":"{other}","count":1}}],"userName":"guest {n}","phoneNumber":9876543210}}"#
                )
            };
            request("POST", "/v1/bookings", Some(&body))
        })
    }

    /// Books two places by count on the last show of the counted ones (the
    /// rows reach it last, if at all: it has room left then) and answers
    /// what the booking cost and how many ticket types its lines have.
    pub fn sample_booking(&self, address: SocketAddr) -> Result<Sample, String> {
        let show = &self.counted_shows[SHOWS_PER_KIND - 1];
        let mut body = json!({"showId": show, "userName": "sample", "phoneNumber": 9876543210_u64});
        if self.types.is_empty() {
            body["count"] = json!(2);
        } else {
            let (one, other) = self.two_types(0);
            body["tickets"] = json!([{"type": one, "count": 1}, {"type": other, "count": 1}]);
        }
        let (status, answer) =
            server::call(address, "POST", "/v1/bookings", Some(&body.to_string()))?;
        if status != 201 {
            return Err(format!("a sample booking: {status} {answer}"));
        }
        let value: Value = serde_json::from_str(&answer).map_err(|error| error.to_string())?;
        let mut types: Vec<&str> = value["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|line| line["type"].as_str())
            .collect();
        types.sort_unstable();
        types.dedup();
        Ok(Sample {
            total: value["total"]
                .as_u64()
                .ok_or_else(|| format!("no total in {answer}"))?,
            types: types.len(),
        })
    }

    /// The types of booking `n`'s two places: each pair of the three in turn.
    fn two_types(&self, n: u64) -> (&str, &str) {
        let at = n as usize % self.types.len();
        (&self.types[at], &self.types[(at + 1) % self.types.len()])
    }

    /// The seat map of a show being booked by name: sold and free seats.
    pub fn seat_maps(self: &Arc<Self>) -> MakeRequest {
        let cinema = Arc::clone(self);
        let requests = gets(
            cinema
                .named_shows
                .iter()
                .map(|show| format!("/v1/shows/{show}/seats")),
        );
        Arc::new(move |n| {
            let booked = cinema.named.load(Ordering::Relaxed) / NAMED_PER_SHOW;
            let shows = (booked as usize).clamp(1, SHOWS_PER_KIND);
            requests[n as usize % shows].clone()
        })
    }

    /// The first page (50) of the shows.
    pub fn show_pages() -> MakeRequest {
        let page = request("GET", "/v1/shows?limit=50", None);
        Arc::new(move |_| page.clone())
    }
}

/// Creates `count` shows of `film` on `screen`, two hours apart from a month
/// ahead, on several connections; answers their ids in order of start.
fn create_shows(
    address: SocketAddr,
    screen: &str,
    film: &str,
    count: usize,
) -> Result<Vec<String>, String> {
    let first = chrono::Utc::now() + chrono::Duration::days(30);
    let (screen, film) = (screen.to_owned(), film.to_owned());
    let created = Arc::new(Mutex::new(Vec::<(u64, String)>::with_capacity(count)));
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::clone(&next);
    let next_show: MakeRequest = Arc::new(move |_| {
        let n = sent.fetch_add(1, Ordering::Relaxed);
        let start = first + chrono::Duration::hours(2 * i64::try_from(n).unwrap_or(0));
        let body = json!({
            "screenId": screen,
            "filmId": film,
            "start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        request("POST", "/v1/shows", Some(&body.to_string()))
    });
    let on_answer: OnAnswer = {
        let (made, failures) = (Arc::clone(&created), Arc::clone(&failures));
        Arc::new(move |status: u16, body: &[u8]| {
            let text = String::from_utf8_lossy(body);
            match created_id(status, &text, "show") {
                Ok(id) => {
                    let start = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|show| {
                            let start = show["start"].as_str()?.to_owned();
                            chrono::DateTime::parse_from_rfc3339(&start).ok()
                        })
                        .map_or(0, |start| start.timestamp().unsigned_abs());
                    made.lock().unwrap().push((start, id));
                }
                Err(why) => failures.lock().unwrap().push(why),
            }
        })
    };
    let done = Arc::clone(&created);
    let started = Instant::now();
    Load {
        address,
        connections: CREATE_CONNECTIONS,
        warm_up: Duration::ZERO,
        measure: CREATE_TIMEOUT,
        make: next_show,
        on_answer: Some(on_answer),
        stop: Some(Arc::new(move || done.lock().unwrap().len() >= count)),
        spread: Vec::new(),
    }
    .run()?;
    if let Some(why) = failures.lock().unwrap().first() {
        return Err(why.clone());
    }
    let mut made = std::mem::take(&mut *created.lock().unwrap());
    if made.len() < count {
        return Err(format!(
            "only {} of {count} shows made in {:.0} s",
            made.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    made.sort();
    Ok(made.into_iter().map(|(_, id)| id).collect())
}
