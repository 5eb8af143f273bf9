//! `boxoffice import --mongoexport movies.json tickets.json`: the old Flask +
//! `MongoDB` service's data, as `mongoexport` wrote it (one Extended-JSON
//! document per line), turned into shows on the default screen and their
//! tickets, keeping their `ObjectIds` as ids.
//!
//! The old service stored the venue's naive wall time in its BSON dates, so
//! a date's UTC digits are read as venue-local time in `timezone`.
//!
//! A line that is not a document of the expected shape (not JSON, no
//! `_id`, a movie without a date, an id twice) refuses the whole input: its
//! file and line say where. Inconsistent data is imported as well as it can
//! be, and every decision is reported per record:
//! - a ticket whose movie is missing (an orphan): skipped;
//! - a ticket with a count that is not an integer >= 1, or a name or phone
//!   number boxoffice would refuse: skipped;
//! - a movie whose `ticketCount` differs from its tickets' sum: imported with
//!   the sum;
//! - a movie whose tickets hold more than `capacity`: imported with its
//!   tickets, its capacity raised to what they hold;
//! - a movie already expired (now >= start + `expire_after`), or at a local
//!   time the venue's clocks skip: skipped with its tickets;
//! - two movies at one instant: the later one's tickets join the first
//!   (its `movieId` no longer answers);
//! - a ticket whose own `showTime` differs from its movie's: kept with its movie;
//! - fields boxoffice does not keep: dropped, counted in the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::domain::ids::{is_object_id, spell};
use crate::domain::rules::{is_expired, user_name};
use crate::domain::time::format_show_time;
use crate::domain::Reference;
use crate::domain::{Millis, Phone, Show, ShowId, Ticket, TicketId};
use crate::store::Records;

/// A line that refuses the whole input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {why}")]
pub struct Malformed {
    pub file: String,
    pub line: usize,
    pub why: String,
}

/// What the import does with each record that is not imported as it came.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per decision, then a summary.
    pub lines: Vec<String>,
    pub shows: usize,
    pub tickets: usize,
    pub skipped_movies: usize,
    pub skipped_tickets: usize,
}

const MOVIE_FIELDS: &[&str] = &["_id", "showTime", "showTiming", "ticketCount", "__v"];
const TICKET_FIELDS: &[&str] = &[
    "_id",
    "movieId",
    "showTime",
    "showTiming",
    "userName",
    "phoneNumber",
    "ticketCount",
    "__v",
];

struct Document {
    at: String,
    line: usize,
    fields: Map<String, Value>,
}

fn documents(path: &Path) -> Result<Vec<Document>, Malformed> {
    let file = path.display().to_string();
    let bad = |line: usize, why: String| Malformed {
        file: file.clone(),
        line,
        why,
    };
    let input = std::fs::File::open(path).map_err(|error| bad(0, error.to_string()))?;
    let mut found = Vec::new();
    for (index, text) in std::io::BufReader::new(input).lines().enumerate() {
        let line = index + 1;
        let text = text.map_err(|error| bad(line, format!("cannot be read: {error}")))?;
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(fields)) => found.push(Document {
                at: format!("{file}:{line}"),
                line,
                fields,
            }),
            Ok(_) => return Err(bad(line, "not a JSON document (an object)".into())),
            Err(error) => return Err(bad(line, format!("not JSON: {error}"))),
        }
    }
    Ok(found)
}

/// An `ObjectId`: `{"$oid": "…"}` (or the 24 hex digits alone).
fn object_id(value: Option<&Value>) -> Option<u128> {
    let text = match value? {
        Value::Object(object) => object.get("$oid")?.as_str()?,
        Value::String(text) => text,
        _ => return None,
    };
    ShowId::parse(text)
        .map(ShowId::as_u128)
        .filter(|id| text.len() == 24 && is_object_id(*id))
}

/// A number in any Extended-JSON spelling, if it is a whole one.
fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64().or_else(|| {
            // A whole double such as 2.0, within the exact range of an f64.
            let float = number.as_f64().filter(|float| float.fract() == 0.0)?;
            format!("{float:.0}").parse().ok()
        }),
        Value::Object(object) => {
            let (key, text) = object.iter().next().filter(|_| object.len() == 1)?;
            let text = text.as_str()?;
            match key.as_str() {
                "$numberInt" | "$numberLong" => text.parse().ok(),
                "$numberDouble" => integer(Some(&Value::from(text.parse::<f64>().ok()?))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A BSON date's UTC digits: `{"$date": "…Z"}`, `{"$date": {"$numberLong": "…"}}`
/// or `{"$date": <millis>}`.
fn bson_date(value: Option<&Value>) -> Option<NaiveDateTime> {
    let date = value?.as_object()?.get("$date")?;
    match date {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.naive_utc()),
        other => integer(Some(other))
            .and_then(DateTime::from_timestamp_millis)
            .map(|time| time.naive_utc()),
    }
}

/// `showTime`, or `showTiming` as the old README spelled it.
fn show_time(fields: &Map<String, Value>) -> Option<NaiveDateTime> {
    bson_date(fields.get("showTime").or_else(|| fields.get("showTiming")))
}

fn phone(value: Option<&Value>) -> Option<Phone> {
    match value? {
        Value::String(text) => Phone::from_text(text).ok(),
        other => integer(Some(other))
            .and_then(|number| u64::try_from(number).ok())
            .and_then(|number| Phone::from_number(number).ok()),
    }
}

/// The venue-local reading of a wall time: the earlier instant of a
/// fall-back overlap; none inside a spring-forward gap.
fn venue_instant(wall: NaiveDateTime, config: &Config) -> Option<Millis> {
    match config.timezone.from_local_datetime(&wall) {
        LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => {
            Some(time.timestamp_millis())
        }
        LocalResult::None => None,
    }
}

/// Counts fields a document carries beyond `known`.
fn extras(fields: &Map<String, Value>, known: &[&str], into: &mut BTreeMap<String, usize>) {
    for name in fields.keys().filter(|name| !known.contains(&name.as_str())) {
        *into.entry(name.clone()).or_default() += 1;
    }
}

struct Movie {
    at: String,
    id: u128,
    starts_at: Millis,
    wall: NaiveDateTime,
    stated: Option<i64>,
}

/// The document's `_id`, refused when missing or already in `seen`.
fn new_id(file: &Path, document: &Document, seen: &mut BTreeSet<u128>) -> Result<u128, Malformed> {
    let id = object_id(document.fields.get("_id"))
        .ok_or_else(|| malformed(file, document, "no `_id` ObjectId"))?;
    if !seen.insert(id) {
        return Err(malformed(file, document, "an `_id` already seen"));
    }
    Ok(id)
}

fn malformed(file: &Path, document: &Document, why: &str) -> Malformed {
    Malformed {
        file: file.display().to_string(),
        line: document.line,
        why: why.to_owned(),
    }
}

/// Reads both files; `now` judges expiry.
pub fn read(
    movies_file: &Path,
    tickets_file: &Path,
    config: &Config,
    now: Millis,
) -> Result<(Records, Report), Malformed> {
    let movie_documents = documents(movies_file)?;
    let ticket_documents = documents(tickets_file)?;
    let mut report = Report::default();
    let mut ignored_movie_fields = BTreeMap::new();
    let mut ignored_ticket_fields = BTreeMap::new();
    let movies = read_movies(
        &movie_documents,
        movies_file,
        config,
        &mut report,
        &mut ignored_movie_fields,
    )?;
    let (destination, kept) = place_movies(&movies, config, now, &mut report);
    let (tickets, sums) = read_tickets(
        &ticket_documents,
        (movies_file, tickets_file),
        &movies,
        &destination,
        &mut report,
        &mut ignored_ticket_fields,
    )?;
    let shows = shows(&kept, &sums, config, &mut report);
    for (file, ignored) in [
        (movies_file, &ignored_movie_fields),
        (tickets_file, &ignored_ticket_fields),
    ] {
        if !ignored.is_empty() {
            let list: Vec<String> = ignored
                .iter()
                .map(|(field, count)| format!("{field} ({count})"))
                .collect();
            report.lines.push(format!(
                "{}: fields boxoffice does not keep, dropped: {}",
                file.display(),
                list.join(", ")
            ));
        }
    }
    report.shows = shows.len();
    report.tickets = tickets.len();
    report.lines.push(format!(
        "mongoexport: {} movies read: {} imported as shows, {} not; {} tickets read: {} imported, {} skipped",
        movie_documents.len(),
        report.shows,
        report.skipped_movies,
        ticket_documents.len(),
        report.tickets,
        report.skipped_tickets
    ));
    let records = Records {
        shows,
        tickets,
        ..Records::default()
    };
    Ok((records, report))
}

/// Every movie with its instant, in file order; one at a local time the
/// clocks skip is reported and left out.
fn read_movies(
    documents: &[Document],
    file: &Path,
    config: &Config,
    report: &mut Report,
    ignored: &mut BTreeMap<String, usize>,
) -> Result<Vec<Movie>, Malformed> {
    let mut movies = Vec::new();
    let mut seen = BTreeSet::new();
    for document in documents {
        let id = new_id(file, document, &mut seen)?;
        let wall = show_time(&document.fields)
            .ok_or_else(|| malformed(file, document, "no `showTime` (or `showTiming`) date"))?;
        extras(&document.fields, MOVIE_FIELDS, ignored);
        let Some(starts_at) = venue_instant(wall, config) else {
            report.lines.push(format!(
                "{}: movie {}: {wall} does not exist in {} (the clocks skip it): skipped with its tickets",
                document.at,
                spell(id),
                config.timezone
            ));
            report.skipped_movies += 1;
            continue;
        };
        movies.push(Movie {
            at: document.at.clone(),
            id,
            starts_at,
            wall,
            stated: integer(document.fields.get("ticketCount")),
        });
    }
    Ok(movies)
}

/// Where each movie's tickets go: its own show, the first show at its
/// instant, or nowhere (expired); and the movies that become shows.
fn place_movies<'a>(
    movies: &'a [Movie],
    config: &Config,
    now: Millis,
    report: &mut Report,
) -> (BTreeMap<u128, Option<u128>>, Vec<&'a Movie>) {
    let mut destination = BTreeMap::new();
    let mut first_at: BTreeMap<Millis, u128> = BTreeMap::new();
    let mut kept = Vec::new();
    for movie in movies {
        let name = spell(movie.id);
        if is_expired(movie.starts_at, config.expire_after_millis(), now) {
            report.lines.push(format!(
                "{}: movie {name} at {}: already expired: skipped with its tickets",
                movie.at,
                format_show_time(movie.starts_at, config.timezone)
            ));
            report.skipped_movies += 1;
            destination.insert(movie.id, None);
            continue;
        }
        if let Some(first) = first_at.get(&movie.starts_at) {
            report.lines.push(format!(
                "{}: movie {name} starts at the same time as movie {}: its tickets join that one (movieId {name} will not answer)",
                movie.at,
                spell(*first)
            ));
            report.skipped_movies += 1;
            destination.insert(movie.id, Some(*first));
            continue;
        }
        first_at.insert(movie.starts_at, movie.id);
        destination.insert(movie.id, Some(movie.id));
        kept.push(movie);
    }
    (destination, kept)
}

type Tickets = (Vec<(String, Ticket)>, BTreeMap<u128, u64>);

/// Every ticket that can be imported, and the seats each show's hold.
fn read_tickets(
    documents: &[Document],
    (movies_file, file): (&Path, &Path),
    movies: &[Movie],
    destination: &BTreeMap<u128, Option<u128>>,
    report: &mut Report,
    ignored: &mut BTreeMap<String, usize>,
) -> Result<Tickets, Malformed> {
    let mut tickets = Vec::new();
    let mut sums: BTreeMap<u128, u64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let movies: BTreeMap<u128, &Movie> = movies.iter().map(|movie| (movie.id, movie)).collect();
    for document in documents {
        let id = new_id(file, document, &mut seen)?;
        extras(&document.fields, TICKET_FIELDS, ignored);
        let ticket = match ticket(document, id, movies_file, destination) {
            Ok(ticket) => ticket,
            Err(why) => {
                report.lines.push(format!(
                    "{}: ticket {}: {why}: skipped",
                    document.at,
                    spell(id)
                ));
                report.skipped_tickets += 1;
                continue;
            }
        };
        let movie = object_id(document.fields.get("movieId"));
        if let (Some(own), Some(movie)) = (
            show_time(&document.fields),
            movie.and_then(|movie| movies.get(&movie)),
        ) {
            if own != movie.wall {
                report.lines.push(format!(
                    "{}: ticket {}: its showTime {own} differs from its movie's {}: kept with its movie",
                    document.at,
                    spell(id),
                    movie.wall
                ));
            }
        }
        *sums.entry(ticket.show_id.as_u128()).or_default() += u64::from(ticket.count);
        tickets.push((document.at.clone(), ticket));
    }
    Ok((tickets, sums))
}

/// A ticket document as boxoffice keeps it, or why it is skipped.
fn ticket(
    document: &Document,
    id: u128,
    movies_file: &Path,
    destination: &BTreeMap<u128, Option<u128>>,
) -> Result<Ticket, String> {
    let movie =
        object_id(document.fields.get("movieId")).ok_or("no `movieId` ObjectId (an orphan)")?;
    let show = match destination.get(&movie) {
        None => {
            return Err(format!(
                "its movie {} is not in {} (an orphan)",
                spell(movie),
                movies_file.display()
            ))
        }
        Some(None) => return Err(format!("its movie {} is skipped", spell(movie))),
        Some(Some(show)) => *show,
    };
    let count = match integer(document.fields.get("ticketCount")) {
        Some(count) if count >= 1 => {
            u32::try_from(count).map_err(|_| format!("ticketCount {count} is too large"))?
        }
        Some(count) => return Err(format!("ticketCount {count} is not at least 1")),
        None => return Err("no whole-number ticketCount".into()),
    };
    let holder = document
        .fields
        .get("userName")
        .and_then(Value::as_str)
        .and_then(|text| user_name(text).ok())
        .ok_or("its userName is missing or not one boxoffice accepts")?;
    let phone = phone(document.fields.get("phoneNumber"))
        .ok_or("its phoneNumber is missing or not 7 to 15 digits")?;
    // An ObjectId starts with its creation time, in seconds.
    let created_at = i64::try_from(id >> 64).unwrap_or(0) * 1_000;
    let id = TicketId::from_u128(id);
    Ok(Ticket {
        id,
        show_id: ShowId::from_u128(show),
        user_name: holder,
        phone,
        count,
        seats: Vec::new(),
        created_at,
        reference: Reference::candidate(id.as_u128(), 0),
        lines: Vec::new(),
    })
}

/// The shows, their counts from the tickets imported.
fn shows(
    kept: &[&Movie],
    sums: &BTreeMap<u128, u64>,
    config: &Config,
    report: &mut Report,
) -> Vec<(String, Show)> {
    let mut shows = Vec::new();
    for movie in kept {
        let name = spell(movie.id);
        let sold = u32::try_from(sums.get(&movie.id).copied().unwrap_or(0)).unwrap_or(u32::MAX);
        if let Some(stated) = movie.stated.filter(|stated| *stated != i64::from(sold)) {
            report.lines.push(format!(
                "{}: movie {name}: ticketCount says {stated}, its imported tickets hold {sold}: imported with {sold}",
                movie.at
            ));
        }
        if sold > config.capacity {
            report.lines.push(format!(
                "{}: movie {name}: its tickets hold {sold} seats, over the capacity of {}: imported with capacity {sold}",
                movie.at, config.capacity
            ));
        }
        let mut show = Show::empty(
            ShowId::from_u128(movie.id),
            movie.starts_at,
            config.capacity.max(sold),
        );
        show.sold = sold;
        shows.push((movie.at.clone(), show));
    }
    shows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extended_json_numbers_dates_and_ids_are_read_in_every_spelling() {
        for value in [
            json!(3),
            json!(3.0),
            json!({"$numberInt": "3"}),
            json!({"$numberLong": "3"}),
            json!({"$numberDouble": "3.0"}),
        ] {
            assert_eq!(integer(Some(&value)), Some(3), "{value}");
        }
        for value in [
            json!(2.5),
            json!("3"),
            json!({"$numberInt": "x"}),
            json!(null),
        ] {
            assert_eq!(integer(Some(&value)), None, "{value}");
        }
        let wall = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(18, 30, 0)
            .unwrap();
        let millis = wall.and_utc().timestamp_millis();
        for value in [
            json!({"$date": "2024-03-01T18:30:00.000Z"}),
            json!({"$date": "2024-03-01T18:30:00Z"}),
            json!({"$date": {"$numberLong": millis.to_string()}}),
            json!({"$date": millis}),
        ] {
            assert_eq!(bson_date(Some(&value)), Some(wall), "{value}");
        }
        assert_eq!(
            object_id(Some(&json!({"$oid": "6479a1b2c3d4e5f601234501"}))),
            Some(0x6479_a1b2_c3d4_e5f6_0123_4501)
        );
        assert_eq!(
            object_id(Some(&json!({"$oid": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}))),
            None
        );
        assert_eq!(object_id(Some(&json!({"$oid": "6479a1b2"}))), None);
    }
}
