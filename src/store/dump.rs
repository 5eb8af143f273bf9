//! `boxoffice export` / `boxoffice import`: every record of a database as
//! JSON lines, read from one snapshot (also while the service runs), and
//! back. The first line says what the file is; then, each table in key
//! order: `meta`, `idHighWater`, `screen`, `film`, `show` (with its sold
//! seats), `ticket` (with its seats), `hold`, `answer` (an idempotency key's
//! stored answer), `staff` (with its password's PHC hash), `apiKey` (its
//! digest, never the key), `audit`. Sessions and wrong-password counts are
//! not written: after an import everyone signs in again. Indexes are not
//! written: import derives them. The same
//! database always gives the same bytes, so export → import → export is
//! identical.
//!
//! Instants are RFC 3339 UTC with milliseconds; seats are positions in the
//! screen's seat map (row by row, from 0); ids are spelled as the API spells
//! them; idempotency keys and digests are hex.

use std::io::{BufRead, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use redb::{ReadTransaction, ReadableTable};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::{
    decode_account, decode_answer, decode_audit, decode_film, decode_hold, decode_key,
    decode_screen, decode_show, decode_ticket, AnswerRecord,
};
use super::error::StoreError;
use super::import::Records;
use super::schema::SCHEMA_VERSION;
use super::snapshot::Snapshot;
use super::tables::{
    AUDIT_ID_TO_ENTRY, FILM_ID_TO_FILM, HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER, ID_HIGH_WATER,
    KEY_ID_TO_KEY, META, SCHEMA_VERSION_KEY, SCREEN_ID_TO_SCREEN, SHOW_ID_TO_SHOW,
    STAFF_ID_TO_ACCOUNT, TICKET_ID_TO_TICKET,
};
use crate::domain::cinema::{Film, Layout, Screen};
use crate::domain::holds::Hold;
use crate::domain::ids::spell;
use crate::domain::seating::{Row, Seat, SeatIndex, SeatKind, SeatMap, SeatSet};
use crate::domain::staff::{Account, ApiKey, AuditEntry, Login, Role};
use crate::domain::{
    FilmId, HoldId, Millis, Phone, Reference, ScreenId, Show, ShowId, Ticket, TicketId,
};

/// The dump layout this build writes and reads.
pub const FORMAT: u32 = 1;
/// The schemas whose dumps this build imports: a schema 3 dump's tickets
/// have no reference yet, and get their first candidate.
const DUMP_SCHEMAS: std::ops::RangeInclusive<u64> = 3..=SCHEMA_VERSION;
const MAGIC: &str = "boxoffice-dump";

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
enum Line {
    #[serde(rename = "boxoffice-dump")]
    Header {
        format: u32,
        schema: u64,
    },
    Meta {
        key: String,
        value: u64,
    },
    IdHighWater {
        last: String,
    },
    Screen(ScreenLine),
    Film(FilmLine),
    Show(ShowLine),
    Ticket(TicketLine),
    Hold(HoldLine),
    Answer(AnswerLine),
    /// Every ticket type and price card, as the database stores them
    /// (its record in hex, checksummed).
    PriceBook {
        record: String,
    },
    Staff(StaffLine),
    ApiKey(KeyLine),
    Audit(AuditLine),
}

/// One priced seat or place of a ticket or hold.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PriceLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seat: Option<u16>,
    #[serde(rename = "type")]
    ticket_type: String,
    price: u64,
    tax: u64,
    /// Basis points; absent before schema 9 (then the import takes the rate
    /// that gives the tax, see `PriceBook::rate_lines`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tax_rate: Option<u16>,
}

/// The first schema whose lines carry their tax rate.
const RATED_LINES_SCHEMA: u64 = 9;

fn price_lines(lines: &[crate::domain::prices::Line]) -> Vec<PriceLine> {
    lines
        .iter()
        .map(|line| PriceLine {
            seat: line.seat.map(|seat| seat.0),
            ticket_type: line.ticket_type.to_string(),
            price: line.price,
            tax: line.tax,
            tax_rate: Some(line.tax_rate),
        })
        .collect()
}

fn lines_of(lines: Option<Vec<PriceLine>>) -> Result<Vec<crate::domain::prices::Line>, String> {
    lines
        .unwrap_or_default()
        .into_iter()
        .map(|line| {
            let tax_rate = match line.tax_rate {
                Some(rate) if rate > crate::domain::prices::MAX_TAX_RATE => {
                    return Err(format!("taxRate {rate} is more than 10000"))
                }
                Some(rate) => rate,
                None => crate::domain::prices::rate_giving(line.price, line.tax, None),
            };
            Ok(crate::domain::prices::Line {
                seat: line.seat.map(SeatIndex),
                ticket_type: id(
                    &line.ticket_type,
                    "ticket type",
                    crate::domain::TicketTypeId::from_u128,
                )?,
                price: line.price,
                tax: line.tax,
                tax_rate,
            })
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StaffLine {
    id: String,
    login: String,
    display_name: String,
    role: String,
    active: bool,
    /// The argon2id PHC string (never the password).
    password_hash: String,
    created_at: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyLine {
    id: String,
    name: String,
    role: String,
    /// SHA-256 of the key, hex (never the key).
    digest: String,
    created_at: String,
    revoked_at: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditLine {
    id: String,
    at: String,
    actor: String,
    action: String,
    subject: String,
    amount: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScreenLine {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<RowLine>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RowLine {
    label: String,
    seats: Vec<SeatLine>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeatLine {
    number: String,
    kind: String,
    blocked: bool,
    aisle_after: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilmLine {
    id: String,
    title: String,
    runtime_minutes: u32,
    rating: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShowLine {
    id: String,
    screen_id: String,
    film_id: Option<String>,
    start: String,
    end: Option<String>,
    capacity: u32,
    sold: u32,
    /// On a seat-map screen: how many seats the map has, and those sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sold_seats: Option<SoldSeats>,
    /// The price card it names (absent before schema 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_card_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SoldSeats {
    of: u16,
    seats: Vec<u16>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TicketLine {
    id: String,
    show_id: String,
    user_name: String,
    /// A number or a string, as the customer gave it.
    phone_number: Value,
    count: u32,
    seats: Vec<u16>,
    created_at: String,
    /// Absent in exports of schema 3: the import picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    /// Absent before schema 6: the import gives it lines at 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<PriceLine>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldLine {
    id: String,
    show_id: String,
    seats: Vec<u16>,
    count: u32,
    expires_at: String,
    created_at: String,
    /// Absent before schema 6: it is priced when confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<PriceLine>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AnswerLine {
    key: String,
    fingerprint: String,
    status: u16,
    /// The answer's body as sent (JSON text).
    body: String,
    stored_at: String,
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    pub lines: u64,
}

/// Writes every record of the database at `path` to `out`, from one
/// snapshot taken when the export begins.
pub fn export(path: &std::path::Path, out: &mut dyn Write) -> Result<Exported, StoreError> {
    // The snapshot is read into a private spill file and let go before a
    // byte goes out: a reader of the output that stalls (`export | less`)
    // must not pin the snapshot, or the service's file grows with every
    // commit meanwhile.
    let spill_failed = |source: std::io::Error| StoreError::Copy {
        to: std::env::temp_dir(),
        why: "cannot write the export's spill file".into(),
        source: Some(source),
    };
    let spill_path =
        std::env::temp_dir().join(format!(".boxoffice-export-{}", ulid::Ulid::generate()));
    let mut spill = super::files::create_new(&spill_path).map_err(spill_failed)?;
    // Unnamed from here on: nothing is left behind, whatever happens.
    std::fs::remove_file(&spill_path).map_err(spill_failed)?;
    let lines = {
        let snapshot = Snapshot::open(path)?;
        let mut buffered = std::io::BufWriter::with_capacity(256 << 10, &mut spill);
        let mut writer = Writer {
            out: &mut buffered,
            lines: 0,
            to: std::env::temp_dir(),
        };
        write_all(snapshot.txn(), &mut writer)?;
        writer.out.flush().map_err(spill_failed)?;
        writer.lines
    };
    let writer = Writer {
        out,
        lines,
        to: path.to_owned(),
    };
    std::io::Seek::rewind(&mut spill).map_err(spill_failed)?;
    std::io::copy(&mut spill, writer.out).map_err(|error| writer.failed(error))?;
    writer.out.flush().map_err(|error| writer.failed(error))?;
    Ok(Exported { lines })
}

struct Writer<'a> {
    out: &'a mut dyn Write,
    lines: u64,
    to: std::path::PathBuf,
}

impl Writer<'_> {
    fn failed(&self, source: std::io::Error) -> StoreError {
        StoreError::Copy {
            to: self.to.clone(),
            why: "cannot write the export".into(),
            source: Some(source),
        }
    }

    fn line(&mut self, line: &Line) -> Result<(), StoreError> {
        let mut text = serde_json::to_vec(line).map_err(|error| {
            StoreError::Corrupt(format!("a record cannot be written as JSON: {error}"))
        })?;
        text.push(b'\n');
        self.out
            .write_all(&text)
            .map_err(|error| self.failed(error))?;
        self.lines += 1;
        Ok(())
    }
}

fn instant(at: Millis) -> Result<String, StoreError> {
    DateTime::<Utc>::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .ok_or_else(|| StoreError::Corrupt(format!("instant {at} is out of range")))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn seats(seats: &[SeatIndex]) -> Vec<u16> {
    seats.iter().map(|seat| seat.0).collect()
}

fn write_price_book(txn: &ReadTransaction, out: &mut Writer<'_>) -> Result<(), StoreError> {
    if let Some(book) = txn
        .open_table(super::tables::PRICE_BOOK)?
        .get(super::codec::PRICE_BOOK_KEY)?
    {
        out.line(&Line::PriceBook {
            record: hex(book.value()),
        })?;
    }
    Ok(())
}

fn write_all(txn: &ReadTransaction, out: &mut Writer<'_>) -> Result<(), StoreError> {
    out.line(&Line::Header {
        format: FORMAT,
        schema: SCHEMA_VERSION,
    })?;
    for entry in txn.open_table(META)?.iter()? {
        let (key, value) = entry?;
        // The cursor-signing secret stays with its database: an imported
        // copy makes its own. The purge's heartbeat travels.
        if key.value() != SCHEMA_VERSION_KEY && key.value() != super::tables::TRUSTED_TIME_KEY {
            continue;
        }
        out.line(&Line::Meta {
            key: key.value().to_owned(),
            value: value.value(),
        })?;
    }
    for entry in txn.open_table(ID_HIGH_WATER)?.iter()? {
        let (_, last) = entry?;
        out.line(&Line::IdHighWater {
            last: spell(last.value()),
        })?;
    }
    write_price_book(txn, out)?;
    for entry in txn.open_table(SCREEN_ID_TO_SCREEN)?.iter()? {
        let (key, value) = entry?;
        let screen = decode_screen(key.value(), value.value())?;
        out.line(&Line::Screen(screen_line(&screen)))?;
    }
    for entry in txn.open_table(FILM_ID_TO_FILM)?.iter()? {
        let (key, value) = entry?;
        let film = decode_film(key.value(), value.value())?;
        out.line(&Line::Film(FilmLine {
            id: film.id.to_string(),
            title: film.title,
            runtime_minutes: film.runtime_minutes,
            rating: film.rating,
        }))?;
    }
    for entry in txn.open_table(SHOW_ID_TO_SHOW)?.iter()? {
        let (key, value) = entry?;
        let show = decode_show(key.value(), value.value())?;
        out.line(&Line::Show(ShowLine {
            id: show.id.to_string(),
            screen_id: show.screen.to_string(),
            film_id: show.film.map(|film| film.to_string()),
            start: instant(show.starts_at)?,
            end: show.ends_at.map(instant).transpose()?,
            capacity: show.capacity,
            sold: show.sold,
            sold_seats: show.sold_seats.as_ref().map(|sold| SoldSeats {
                of: u16::try_from(sold.map_len()).unwrap_or(u16::MAX),
                seats: sold.iter().map(|seat| seat.0).collect(),
            }),
            price_card_id: show.price_card.map(|card| card.to_string()),
        }))?;
    }
    for entry in txn.open_table(TICKET_ID_TO_TICKET)?.iter()? {
        let (key, value) = entry?;
        let ticket = decode_ticket(key.value(), value.value())?;
        out.line(&Line::Ticket(TicketLine {
            id: ticket.id.to_string(),
            show_id: ticket.show_id.to_string(),
            user_name: ticket.user_name,
            phone_number: match ticket.phone {
                Phone::Number(number) => Value::from(number),
                Phone::Text(text) => Value::from(text),
                Phone::Absent => Value::Null,
            },
            count: ticket.count,
            seats: seats(&ticket.seats),
            created_at: instant(ticket.created_at)?,
            reference: Some(ticket.reference.to_string()),
            lines: Some(price_lines(&ticket.lines)),
        }))?;
    }
    for entry in txn.open_table(HOLD_ID_TO_HOLD)?.iter()? {
        let (key, value) = entry?;
        let hold = decode_hold(key.value(), value.value())?;
        out.line(&Line::Hold(HoldLine {
            id: hold.id.to_string(),
            show_id: hold.show_id.to_string(),
            seats: seats(&hold.seats),
            count: hold.count,
            expires_at: instant(hold.expires_at)?,
            created_at: instant(hold.created_at)?,
            lines: Some(price_lines(&hold.lines)),
        }))?;
    }
    for entry in txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?.iter()? {
        let (key, value) = entry?;
        let answer = decode_answer(key.value(), value.value())?;
        let body = String::from_utf8(answer.body)
            .map_err(|_| StoreError::Corrupt("an idempotency answer's body is not UTF-8".into()))?;
        out.line(&Line::Answer(AnswerLine {
            key: hex(key.value()),
            fingerprint: hex(&answer.fingerprint),
            status: answer.status,
            body,
            stored_at: instant(answer.stored_at)?,
        }))?;
    }
    write_staff(txn, out)
}

/// Staff accounts, API keys and the audit trail.
fn write_staff(txn: &ReadTransaction, out: &mut Writer<'_>) -> Result<(), StoreError> {
    for entry in txn.open_table(STAFF_ID_TO_ACCOUNT)?.iter()? {
        let (id, value) = entry?;
        let account = decode_account(id.value(), value.value())?;
        out.line(&Line::Staff(StaffLine {
            id: spell(account.id),
            login: account.login.as_str().to_owned(),
            display_name: account.display_name,
            role: account.role.as_str().to_owned(),
            active: account.active,
            password_hash: account.password_hash,
            created_at: instant(account.created_at)?,
        }))?;
    }
    for entry in txn.open_table(KEY_ID_TO_KEY)?.iter()? {
        let (id, value) = entry?;
        let key = decode_key(id.value(), value.value())?;
        out.line(&Line::ApiKey(KeyLine {
            id: spell(key.id),
            name: key.name,
            role: key.role.as_str().to_owned(),
            digest: hex(&key.digest),
            created_at: instant(key.created_at)?,
            revoked_at: key.revoked_at.map(instant).transpose()?,
        }))?;
    }
    for entry in txn.open_table(AUDIT_ID_TO_ENTRY)?.iter()? {
        let (id, value) = entry?;
        let audit = decode_audit(id.value(), value.value())?;
        out.line(&Line::Audit(AuditLine {
            id: spell(audit.id),
            at: instant(audit.at)?,
            actor: audit.actor,
            action: audit.action,
            subject: audit.subject,
            amount: audit.amount,
        }))?;
    }
    Ok(())
}

fn screen_line(screen: &Screen) -> ScreenLine {
    let (capacity, rows) = match &screen.layout {
        Layout::General { capacity } => (Some(*capacity), None),
        Layout::Seated(map) => (
            None,
            Some(
                map.rows()
                    .iter()
                    .map(|row| RowLine {
                        label: row.label.clone(),
                        seats: row
                            .seats
                            .iter()
                            .map(|seat| SeatLine {
                                number: seat.number.clone(),
                                kind: seat.kind.as_str().to_owned(),
                                blocked: seat.blocked,
                                aisle_after: seat.aisle_after,
                            })
                            .collect(),
                    })
                    .collect(),
            ),
        ),
    };
    ScreenLine {
        id: screen.id.to_string(),
        name: screen.name.clone(),
        capacity,
        rows,
    }
}

/// A line that cannot be read: its number (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct BadLine {
    pub line: usize,
    pub why: String,
}

/// Reads a whole dump; the first bad line refuses it all.
pub fn read(input: impl BufRead) -> Result<Records, BadLine> {
    let mut records = Records::default();
    let mut header = false;
    for (index, text) in input.lines().enumerate() {
        let number = index + 1;
        let bad = |why: String| BadLine { line: number, why };
        let text = text.map_err(|error| bad(format!("cannot be read: {error}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(&text)
            .map_err(|error| bad(format!("not a dump record: {error}")))?;
        let at = format!("line {number}");
        match line {
            Line::Header { format, schema } => {
                if header {
                    return Err(bad("a second header".into()));
                }
                if format != FORMAT || !DUMP_SCHEMAS.contains(&schema) {
                    return Err(bad(format!(
                        "a dump of format {format}, schema {schema}; this build reads format {FORMAT}, schema {} to {SCHEMA_VERSION}",
                        DUMP_SCHEMAS.start()
                    )));
                }
                records.unrated_lines = schema < RATED_LINES_SCHEMA;
                header = true;
            }
            _ if !header => {
                return Err(bad(format!(
                    "the first line must be the dump's header ({{\"kind\":\"{MAGIC}\",...}})"
                )))
            }
            Line::Meta { key, value } if key == super::tables::TRUSTED_TIME_KEY => {
                if records.trusted_time.replace(value).is_some() {
                    return Err(bad(format!("a second meta {key}")));
                }
            }
            Line::Meta { key, value } => {
                if key != "schema_version" || !DUMP_SCHEMAS.contains(&value) {
                    return Err(bad(format!("meta {key} = {value} is not this build's")));
                }
            }
            Line::IdHighWater { last } => {
                if records.last_id.is_some() {
                    return Err(bad("a second id high-water mark".into()));
                }
                records.last_id =
                    Some(any_id(&last).ok_or_else(|| bad(format!("{last:?} is not an id")))?);
            }
            Line::Screen(line) => records.screens.push((at, screen(line).map_err(bad)?)),
            Line::Film(line) => records.films.push((at, film(line).map_err(bad)?)),
            Line::Show(line) => records.shows.push((at, show(line).map_err(bad)?)),
            Line::Ticket(line) => records.tickets.push((at, ticket(line).map_err(bad)?)),
            Line::Hold(line) => records.holds.push((at, hold(line).map_err(bad)?)),
            Line::Answer(line) => {
                let (key, answer) = answer(line).map_err(bad)?;
                records.answers.push((at, key, answer));
            }
            Line::PriceBook { record } => {
                let bytes = unhex(&record).map_err(bad)?;
                let book = super::codec::decode_price_book(&bytes)
                    .map_err(|error| bad(error.to_string()))?;
                if records.price_book.replace(book).is_some() {
                    return Err(bad("a second price book".into()));
                }
            }
            Line::Staff(line) => records.accounts.push((at, account(line).map_err(bad)?)),
            Line::ApiKey(line) => records.keys.push((at, api_key(line).map_err(bad)?)),
            Line::Audit(line) => records.audit.push((at, audit(line).map_err(bad)?)),
        }
    }
    if !header {
        return Err(BadLine {
            line: 1,
            why: "empty: not a boxoffice dump".into(),
        });
    }
    Ok(records)
}

fn any_id(text: &str) -> Option<u128> {
    ShowId::parse(text).map(ShowId::as_u128)
}

fn id<T>(text: &str, what: &str, from: fn(u128) -> T) -> Result<T, String> {
    any_id(text)
        .map(from)
        .ok_or_else(|| format!("{text:?} is not a {what} id"))
}

fn parse_instant(text: &str) -> Result<Millis, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.timestamp_millis())
        .map_err(|_| format!("{text:?} is not an RFC 3339 instant"))
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not hex"));
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).map_err(|error| error.to_string()))
        .collect()
}

fn screen(line: ScreenLine) -> Result<Screen, String> {
    let id = ScreenId::parse(&line.id)
        .filter(|id| !id.is_default())
        .ok_or_else(|| format!("{:?} is not a screen id", line.id))?;
    let layout = match (line.capacity, line.rows) {
        (Some(capacity), None) if capacity > 0 => Layout::General { capacity },
        (None, Some(rows)) => {
            let rows = rows
                .into_iter()
                .map(|row| {
                    let seats = row
                        .seats
                        .into_iter()
                        .map(|seat| {
                            Ok(Seat {
                                kind: SeatKind::parse(&seat.kind)
                                    .ok_or_else(|| format!("seat kind {:?}", seat.kind))?,
                                number: seat.number,
                                blocked: seat.blocked,
                                aisle_after: seat.aisle_after,
                            })
                        })
                        .collect::<Result<_, String>>()?;
                    Ok(Row {
                        label: row.label,
                        seats,
                    })
                })
                .collect::<Result<_, String>>()?;
            Layout::Seated(SeatMap::new(rows).map_err(|error| format!("screen {id}: {error}"))?)
        }
        _ => return Err(format!("screen {id}: either a capacity (>= 1) or rows")),
    };
    Ok(Screen {
        id,
        name: line.name,
        layout,
    })
}

fn minted_id(text: &str, what: &str) -> Result<u128, String> {
    crate::domain::ids::parse_ulid(text).ok_or_else(|| format!("{text:?} is not a {what} id"))
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role"))
}

fn account(line: StaffLine) -> Result<Account, String> {
    let id = minted_id(&line.id, "staff")?;
    if !line.password_hash.starts_with("$argon2") {
        return Err(format!(
            "staff {}: the password hash is not a PHC string",
            line.login
        ));
    }
    Ok(Account {
        id,
        login: Login::parse(&line.login)
            .ok_or_else(|| format!("{:?} is not a login", line.login))?,
        display_name: line.display_name,
        role: role(&line.role)?,
        active: line.active,
        password_hash: line.password_hash,
        created_at: parse_instant(&line.created_at)?,
    })
}

fn api_key(line: KeyLine) -> Result<ApiKey, String> {
    let digest = unhex(&line.digest)?
        .try_into()
        .map_err(|_| format!("key {}: a digest of 32 bytes", line.id))?;
    Ok(ApiKey {
        id: minted_id(&line.id, "key")?,
        name: line.name,
        role: role(&line.role)?,
        digest,
        created_at: parse_instant(&line.created_at)?,
        revoked_at: line.revoked_at.as_deref().map(parse_instant).transpose()?,
    })
}

fn audit(line: AuditLine) -> Result<AuditEntry, String> {
    Ok(AuditEntry {
        id: minted_id(&line.id, "audit")?,
        at: parse_instant(&line.at)?,
        actor: line.actor,
        action: line.action,
        subject: line.subject,
        amount: line.amount,
    })
}

fn film(line: FilmLine) -> Result<Film, String> {
    Ok(Film {
        id: id(&line.id, "film", FilmId::from_u128)?,
        title: line.title,
        runtime_minutes: line.runtime_minutes,
        rating: line.rating,
    })
}

fn show(line: ShowLine) -> Result<Show, String> {
    let id = id(&line.id, "show", ShowId::from_u128)?;
    let sold_seats = match line.sold_seats {
        None => None,
        Some(SoldSeats { of, seats }) => {
            let mut set = SeatSet::new(usize::from(of));
            for seat in seats {
                if seat >= of || !set.insert(SeatIndex(seat)) {
                    return Err(format!("show {id}: seat {seat} of {of}"));
                }
            }
            Some(set)
        }
    };
    Ok(Show {
        id,
        screen: ScreenId::parse(&line.screen_id)
            .ok_or_else(|| format!("{:?} is not a screen id", line.screen_id))?,
        film: line.film_id.map(|film| id_of_film(&film)).transpose()?,
        starts_at: parse_instant(&line.start)?,
        ends_at: line.end.as_deref().map(parse_instant).transpose()?,
        capacity: line.capacity,
        sold: line.sold,
        sold_seats,
        price_card: line
            .price_card_id
            .map(|card| self::id(&card, "price card", crate::domain::PriceCardId::from_u128))
            .transpose()?,
    })
}

fn id_of_film(text: &str) -> Result<FilmId, String> {
    id(text, "film", FilmId::from_u128)
}

fn phone(value: &Value) -> Result<Phone, String> {
    match value {
        Value::Number(number) => number
            .as_u64()
            .map(Phone::Number)
            .ok_or_else(|| format!("phone number {number}")),
        Value::String(text) => Ok(Phone::Text(text.clone())),
        Value::Null => Ok(Phone::Absent),
        other => Err(format!("phone number {other}")),
    }
}

fn ticket(line: TicketLine) -> Result<Ticket, String> {
    let ticket_id = id(&line.id, "ticket", TicketId::from_u128)?;
    let reference = match &line.reference {
        Some(text) => Reference::parse(text).ok_or_else(|| {
            format!("its reference {text:?} is not 6 characters of 0-9 A-Z without 0 1 I L O U")
        })?,
        None => Reference::candidate(ticket_id.as_u128(), 0),
    };
    Ok(Ticket {
        id: ticket_id,
        show_id: id(&line.show_id, "show", ShowId::from_u128)?,
        user_name: line.user_name,
        phone: phone(&line.phone_number)?,
        count: line.count,
        seats: line.seats.into_iter().map(SeatIndex).collect(),
        created_at: parse_instant(&line.created_at)?,
        reference,
        lines: lines_of(line.lines)?,
    })
}

fn hold(line: HoldLine) -> Result<Hold, String> {
    Ok(Hold {
        id: id(&line.id, "hold", HoldId::from_u128)?,
        show_id: id(&line.show_id, "show", ShowId::from_u128)?,
        seats: line.seats.into_iter().map(SeatIndex).collect(),
        count: line.count,
        expires_at: parse_instant(&line.expires_at)?,
        created_at: parse_instant(&line.created_at)?,
        // Who held it is the limits' bookkeeping, not exported: an imported
        // hold counts against no client.
        client: None,
        lines: lines_of(line.lines)?,
    })
}

fn answer(line: AnswerLine) -> Result<(Vec<u8>, AnswerRecord), String> {
    let fingerprint: [u8; 32] = unhex(&line.fingerprint)?
        .try_into()
        .map_err(|_| "a fingerprint of 32 bytes".to_owned())?;
    Ok((
        unhex(&line.key)?,
        AnswerRecord {
            fingerprint,
            status: line.status,
            body: line.body.into_bytes(),
            stored_at: parse_instant(&line.stored_at)?,
        },
    ))
}
