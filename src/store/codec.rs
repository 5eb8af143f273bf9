//! Stored records: postcard behind a version byte of our own, converted to and
//! from the domain types here so that the domain never sees redb or postcard.
//! Version 1 is what schema 1 and 2 wrote (read only by the upgrade). Every
//! record since schema 3 is version 2 (a hold since schema 4: version 3, with
//! its client): the version byte, a CRC-32C (little endian) over the
//! record's key and its postcard body, then the body. A
//! record whose checksum does not match is an error naming the record, never
//! data.

use serde::{Deserialize, Serialize};

use crate::domain::cinema::{Film, Layout, Screen};
use crate::domain::holds::{Hold, Kept};
use crate::domain::ids::spell;
use crate::domain::limits::{ClientId, Cooldown};
use crate::domain::price_book::PriceBook;
use crate::domain::prices::{
    rate_giving, CardRules, Channels, DateRange, Line, Price, PriceCard, TicketType, TimeWindow,
    Weekdays,
};
use crate::domain::seating::{Row, Seat, SeatIndex, SeatKind, SeatMap, SeatSet};
use crate::domain::staff::{Account, ApiKey, AuditEntry, Login, Role, Session};
use crate::domain::{
    FilmId, HoldId, Millis, Phone, PriceCardId, Reference, ScreenId, Show, ShowId, Ticket,
    TicketId, TicketTypeId,
};

const LEGACY_VERSION: u8 = 1;
const RECORD_VERSION: u8 = 2;

#[derive(Debug, thiserror::Error)]
#[error("undecodable record: {0}")]
pub struct DecodeError(pub String);

/// Which record a key names, for error messages.
fn named(kind: &str, key: &[u8]) -> String {
    match <[u8; 16]>::try_from(key) {
        Ok(id) => format!("{kind} {}", spell(u128::from_be_bytes(id))),
        Err(_) => format!("{kind} with a key of {} bytes", key.len()),
    }
}

#[derive(Serialize, Deserialize)]
enum PhoneRecord {
    Number(u64),
    Text(String),
    /// Last, so the records written before it read as they were.
    Absent,
}

impl PhoneRecord {
    fn new(phone: &Phone) -> Self {
        match phone {
            Phone::Number(number) => Self::Number(*number),
            Phone::Text(text) => Self::Text(text.clone()),
            Phone::Absent => Self::Absent,
        }
    }

    fn phone(self) -> Phone {
        match self {
            Self::Number(number) => Phone::Number(number),
            Self::Text(text) => Phone::Text(text),
            Self::Absent => Phone::Absent,
        }
    }
}

fn checksum(key: &[u8], body: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(key), body)
}

/// A version-2 record of `key`.
fn encode<T: Serialize>(key: &[u8], record: &T) -> Vec<u8> {
    encode_as(RECORD_VERSION, key, record)
}

/// A checksummed record of `key` behind `version`.
fn encode_as<T: Serialize>(version: u8, key: &[u8], record: &T) -> Vec<u8> {
    // Serializing plain structs into a Vec cannot fail.
    let body = postcard::to_stdvec(record).expect("postcard encodes plain structs");
    let mut bytes = Vec::with_capacity(5 + body.len());
    bytes.push(version);
    bytes.extend_from_slice(&checksum(key, &body).to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// A version-2 record of `key`, checked against its checksum.
fn decode<'a, T: Deserialize<'a>>(
    kind: &str,
    key: &[u8],
    bytes: &'a [u8],
) -> Result<T, DecodeError> {
    let (_, body) = checked(kind, key, bytes, &[RECORD_VERSION])?;
    postcard::from_bytes(body).map_err(|error| failed(kind, key, &error.to_string()))
}

/// A record of an older version, which must fill its body: the version
/// byte is not under the checksum, so a newer record whose version bit
/// flipped is told apart by what follows the older layout.
fn whole<'a, T: Deserialize<'a>>(kind: &str, key: &[u8], body: &'a [u8]) -> Result<T, DecodeError> {
    match postcard::take_from_bytes(body) {
        Ok((record, [])) => Ok(record),
        Ok(_) => Err(failed(kind, key, "bytes after the record")),
        Err(error) => Err(failed(kind, key, &error.to_string())),
    }
}

fn failed(kind: &str, key: &[u8], why: &str) -> DecodeError {
    DecodeError(format!("{}: {why}", named(kind, key)))
}

/// The version and body of a checksummed record of `key`, whose version is
/// one of `versions`.
fn checked<'a>(
    kind: &str,
    key: &[u8],
    bytes: &'a [u8],
    versions: &[u8],
) -> Result<(u8, &'a [u8]), DecodeError> {
    match bytes.split_first() {
        Some((version, rest)) if versions.contains(version) && rest.len() >= 4 => {
            let (stored, body) = rest.split_at(4);
            let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
            if stored != checksum(key, body) {
                return Err(failed(
                    kind,
                    key,
                    "checksum mismatch (the record is damaged)",
                ));
            }
            Ok((*version, body))
        }
        Some((version, _)) if versions.contains(version) => {
            Err(failed(kind, key, "truncated record"))
        }
        Some((found, _)) => Err(failed(
            kind,
            key,
            &format!(
                "record version {found}, expected {}",
                versions.last().copied().unwrap_or(RECORD_VERSION)
            ),
        )),
        None => Err(failed(kind, key, "empty record")),
    }
}

/// A version-1 record, as schema 1 and 2 wrote them (no checksum).
fn decode_legacy<'a, T: Deserialize<'a>>(
    kind: &str,
    id: u128,
    bytes: &'a [u8],
) -> Result<T, DecodeError> {
    let failed = |why: String| DecodeError(format!("{}: {why}", named(kind, &id.to_be_bytes())));
    match bytes.split_first() {
        Some((&LEGACY_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|error| failed(error.to_string()))
        }
        Some((found, _)) => Err(failed(format!(
            "record version {found}, expected {LEGACY_VERSION}"
        ))),
        None => Err(failed("empty record".into())),
    }
}

// ---- shows --------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct ShowRecord {
    screen: u128,
    film: Option<u128>,
    starts_at: Millis,
    ends_at: Option<Millis>,
    capacity: u32,
    sold: u32,
    /// The map's seat count, then the sold seats as a bitset.
    sold_seats: Option<(u16, Vec<u8>)>,
}

/// Record version 3 of a show: with the price card it names. Shows written
/// before it name none.
const SHOW_RECORD_VERSION: u8 = 3;

#[derive(Serialize, Deserialize)]
struct PricedShowRecord {
    show: ShowRecord,
    price_card: Option<u128>,
}

pub fn encode_show(show: &Show) -> Vec<u8> {
    encode_as(
        SHOW_RECORD_VERSION,
        &show.id.as_u128().to_be_bytes(),
        &PricedShowRecord {
            price_card: show.price_card.map(PriceCardId::as_u128),
            show: ShowRecord {
                screen: show.screen.as_u128(),
                film: show.film.map(FilmId::as_u128),
                starts_at: show.starts_at,
                ends_at: show.ends_at,
                capacity: show.capacity,
                sold: show.sold,
                sold_seats: show.sold_seats.as_ref().map(|seats| {
                    // A map has at most MAX_SEATS (2000) seats.
                    let len = u16::try_from(seats.map_len()).unwrap_or(u16::MAX);
                    (len, seats.to_bytes())
                }),
            },
        },
    )
}

pub fn decode_show(id: u128, bytes: &[u8]) -> Result<Show, DecodeError> {
    let key = id.to_be_bytes();
    let (version, body) = checked("show", &key, bytes, &[RECORD_VERSION, SHOW_RECORD_VERSION])?;
    let bad = |error: postcard::Error| failed("show", &key, &error.to_string());
    let (record, price_card) = if version == RECORD_VERSION {
        (whole::<ShowRecord>("show", &key, body)?, None)
    } else {
        let priced: PricedShowRecord = postcard::from_bytes(body).map_err(bad)?;
        (priced.show, priced.price_card.map(PriceCardId::from_u128))
    };
    let sold_seats = match record.sold_seats {
        Some((len, bits)) => Some(
            SeatSet::from_bytes(usize::from(len), &bits)
                .ok_or_else(|| DecodeError(format!("show {id}: malformed seat set")))?,
        ),
        None => None,
    };
    Ok(Show {
        id: ShowId::from_u128(id),
        screen: ScreenId::from_u128(record.screen),
        film: record.film.map(FilmId::from_u128),
        starts_at: record.starts_at,
        ends_at: record.ends_at,
        capacity: record.capacity,
        sold: record.sold,
        sold_seats,
        price_card,
    })
}

/// A show as schema 1 and 2 stored it (all of them `/api` shows).
#[derive(Serialize, Deserialize)]
struct LegacyShowRecord {
    starts_at: Millis,
    capacity: u32,
    sold: u32,
}

pub fn decode_legacy_show(id: u128, bytes: &[u8]) -> Result<Show, DecodeError> {
    let record: LegacyShowRecord = decode_legacy("show", id, bytes)?;
    let mut show = Show::empty(ShowId::from_u128(id), record.starts_at, record.capacity);
    show.sold = record.sold;
    Ok(show)
}

// ---- tickets ------------------------------------------------------------------

/// Record version 3 of a ticket: with its priced lines. Tickets written
/// before it (version 2) read with none; the upgrade to schema 6 gives them
/// lines at 0.
const PRICED_TICKET_RECORD_VERSION: u8 = 3;
/// Record version 4: each line with its tax rate. The lines of a version-3
/// ticket read with the lowest rate that gives their tax (0 at 0); the
/// upgrade to schema 9 gives them their type's rate when that gives it.
const TICKET_RECORD_VERSION: u8 = 4;

#[derive(Serialize, Deserialize)]
struct TicketRecord {
    show: u128,
    user_name: String,
    phone: PhoneRecord,
    count: u32,
    seats: Vec<u16>,
    created_at: Millis,
    reference: u32,
}

#[derive(Serialize, Deserialize)]
struct PricedTicketRecord<L> {
    ticket: TicketRecord,
    lines: Vec<L>,
}

/// A line of a ticket of record version 3 or a hold of version 4.
#[derive(Serialize, Deserialize)]
struct UnratedLineRecord {
    seat: Option<u16>,
    ticket_type: u128,
    price: u64,
    tax: u64,
}

#[derive(Serialize, Deserialize)]
struct LineRecord {
    seat: Option<u16>,
    ticket_type: u128,
    price: u64,
    tax: u64,
    tax_rate: u16,
}

fn line_records(lines: &[Line]) -> Vec<LineRecord> {
    lines
        .iter()
        .map(|line| LineRecord {
            seat: line.seat.map(|seat| seat.0),
            ticket_type: line.ticket_type.as_u128(),
            price: line.price,
            tax: line.tax,
            tax_rate: line.tax_rate,
        })
        .collect()
}

fn lines_of(records: Vec<LineRecord>) -> Vec<Line> {
    records
        .into_iter()
        .map(|line| Line {
            seat: line.seat.map(SeatIndex),
            ticket_type: TicketTypeId::from_u128(line.ticket_type),
            price: line.price,
            tax: line.tax,
            tax_rate: line.tax_rate,
        })
        .collect()
}

/// Lines stored without their rate, each with the lowest rate that gives
/// its tax (see [`rate_giving`]).
fn unrated_lines_of(records: Vec<UnratedLineRecord>) -> Vec<Line> {
    records
        .into_iter()
        .map(|line| Line {
            seat: line.seat.map(SeatIndex),
            ticket_type: TicketTypeId::from_u128(line.ticket_type),
            price: line.price,
            tax: line.tax,
            tax_rate: rate_giving(line.price, line.tax, None),
        })
        .collect()
}

/// A ticket as schema 3 stored it: no reference yet.
#[derive(Serialize, Deserialize)]
struct TicketRecordV3 {
    show: u128,
    user_name: String,
    phone: PhoneRecord,
    count: u32,
    seats: Vec<u16>,
    created_at: Millis,
}

pub fn encode_ticket(ticket: &Ticket) -> Vec<u8> {
    encode_as(
        TICKET_RECORD_VERSION,
        &ticket.id.as_u128().to_be_bytes(),
        &PricedTicketRecord {
            ticket: TicketRecord {
                show: ticket.show_id.as_u128(),
                user_name: ticket.user_name.clone(),
                phone: PhoneRecord::new(&ticket.phone),
                count: ticket.count,
                seats: ticket.seats.iter().map(|seat| seat.0).collect(),
                created_at: ticket.created_at,
                reference: ticket.reference.as_u32(),
            },
            lines: line_records(&ticket.lines),
        },
    )
}

pub fn decode_ticket(id: u128, bytes: &[u8]) -> Result<Ticket, DecodeError> {
    let key = id.to_be_bytes();
    let (version, body) = checked(
        "ticket",
        &key,
        bytes,
        &[
            RECORD_VERSION,
            PRICED_TICKET_RECORD_VERSION,
            TICKET_RECORD_VERSION,
        ],
    )?;
    let bad = |error: postcard::Error| failed("ticket", &key, &error.to_string());
    let (record, lines) = if version == RECORD_VERSION {
        (whole::<TicketRecord>("ticket", &key, body)?, Vec::new())
    } else if version == PRICED_TICKET_RECORD_VERSION {
        let priced: PricedTicketRecord<UnratedLineRecord> = whole("ticket", &key, body)?;
        (priced.ticket, unrated_lines_of(priced.lines))
    } else {
        let priced: PricedTicketRecord<LineRecord> = postcard::from_bytes(body).map_err(bad)?;
        (priced.ticket, lines_of(priced.lines))
    };
    let reference = Reference::from_u32(record.reference).ok_or_else(|| {
        DecodeError(format!(
            "{}: reference {} out of range",
            named("ticket", &id.to_be_bytes()),
            record.reference
        ))
    })?;
    Ok(Ticket {
        id: TicketId::from_u128(id),
        show_id: ShowId::from_u128(record.show),
        user_name: record.user_name,
        phone: record.phone.phone(),
        count: record.count,
        seats: record.seats.into_iter().map(SeatIndex).collect(),
        created_at: record.created_at,
        reference,
        lines,
    })
}

/// A line as schemas 6 to 8 stored it: without its rate.
#[cfg(test)]
fn unrated_records(lines: &[Line]) -> Vec<UnratedLineRecord> {
    lines
        .iter()
        .map(|line| UnratedLineRecord {
            seat: line.seat.map(|seat| seat.0),
            ticket_type: line.ticket_type.as_u128(),
            price: line.price,
            tax: line.tax,
        })
        .collect()
}

/// A ticket as schemas 6 to 8 stored it (lines without their rate), for
/// the upgrade's tests.
#[cfg(test)]
pub(crate) fn encode_unrated_ticket(ticket: &Ticket) -> Vec<u8> {
    let PricedTicketRecord::<LineRecord> { ticket: record, .. } = postcard::from_bytes(
        &encode_ticket(&Ticket {
            lines: Vec::new(),
            ..ticket.clone()
        })[5..],
    )
    .expect("a ticket just encoded");
    encode_as(
        PRICED_TICKET_RECORD_VERSION,
        &ticket.id.as_u128().to_be_bytes(),
        &PricedTicketRecord {
            ticket: record,
            lines: unrated_records(&ticket.lines),
        },
    )
}

/// A hold as schemas 6 to 8 stored it (lines without their rate), for the
/// upgrade's tests.
#[cfg(test)]
pub(crate) fn encode_unrated_hold(hold: &Hold) -> Vec<u8> {
    let PricedHoldRecord::<LineRecord> { hold: record, .. } = postcard::from_bytes(
        &encode_hold(&Hold {
            lines: Vec::new(),
            ..hold.clone()
        })[5..],
    )
    .expect("a hold just encoded");
    encode_as(
        PRICED_HOLD_RECORD_VERSION,
        &hold.id.as_u128().to_be_bytes(),
        &PricedHoldRecord {
            hold: record,
            lines: unrated_records(&hold.lines),
        },
    )
}

/// A ticket as schema 3 stored it, for the upgrade's tests.
#[cfg(test)]
pub(crate) fn encode_v3_ticket(ticket: &Ticket) -> Vec<u8> {
    encode(
        &ticket.id.as_u128().to_be_bytes(),
        &TicketRecordV3 {
            show: ticket.show_id.as_u128(),
            user_name: ticket.user_name.clone(),
            phone: PhoneRecord::new(&ticket.phone),
            count: ticket.count,
            seats: ticket.seats.iter().map(|seat| seat.0).collect(),
            created_at: ticket.created_at,
        },
    )
}

/// A ticket of this schema, or as schema 3 stored it (then with its first
/// candidate reference, which the upgrade makes unique).
pub fn decode_v3_ticket(id: u128, bytes: &[u8]) -> Result<Ticket, DecodeError> {
    if let Ok(ticket) = decode_ticket(id, bytes) {
        return Ok(ticket);
    }
    let record: TicketRecordV3 = decode("ticket", &id.to_be_bytes(), bytes)?;
    Ok(Ticket {
        id: TicketId::from_u128(id),
        show_id: ShowId::from_u128(record.show),
        user_name: record.user_name,
        phone: record.phone.phone(),
        count: record.count,
        seats: record.seats.into_iter().map(SeatIndex).collect(),
        created_at: record.created_at,
        reference: Reference::candidate(id, 0),
        lines: Vec::new(),
    })
}

#[derive(Serialize, Deserialize)]
struct LegacyTicketRecord {
    show: u128,
    user_name: String,
    phone: PhoneRecord,
    count: u32,
}

/// A ticket as schema 1 and 2 stored it; it was created at its id's instant.
pub fn decode_legacy_ticket(id: u128, bytes: &[u8]) -> Result<Ticket, DecodeError> {
    let record: LegacyTicketRecord = decode_legacy("ticket", id, bytes)?;
    let created_at = i64::try_from(ulid::Ulid(id).timestamp_ms()).unwrap_or(i64::MAX);
    Ok(Ticket {
        id: TicketId::from_u128(id),
        show_id: ShowId::from_u128(record.show),
        user_name: record.user_name,
        phone: record.phone.phone(),
        count: record.count,
        seats: Vec::new(),
        created_at,
        reference: Reference::candidate(id, 0),
        lines: Vec::new(),
    })
}

// ---- screens and films ------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct SeatRecord {
    number: String,
    kind: u8,
    blocked: bool,
    aisle_after: bool,
}

#[derive(Serialize, Deserialize)]
struct RowRecord {
    label: String,
    seats: Vec<SeatRecord>,
}

#[derive(Serialize, Deserialize)]
enum LayoutRecord {
    General(u32),
    Seated(Vec<RowRecord>),
}

#[derive(Serialize, Deserialize)]
struct ScreenRecord {
    name: String,
    layout: LayoutRecord,
}

const KINDS: [SeatKind; 4] = [
    SeatKind::Standard,
    SeatKind::Premium,
    SeatKind::Wheelchair,
    SeatKind::Companion,
];

fn kind_code(kind: SeatKind) -> u8 {
    match kind {
        SeatKind::Standard => 0,
        SeatKind::Premium => 1,
        SeatKind::Wheelchair => 2,
        SeatKind::Companion => 3,
    }
}

pub fn encode_screen(screen: &Screen) -> Vec<u8> {
    let layout = match &screen.layout {
        Layout::General { capacity } => LayoutRecord::General(*capacity),
        Layout::Seated(map) => LayoutRecord::Seated(
            map.rows()
                .iter()
                .map(|row| RowRecord {
                    label: row.label.clone(),
                    seats: row
                        .seats
                        .iter()
                        .map(|seat| SeatRecord {
                            number: seat.number.clone(),
                            kind: kind_code(seat.kind),
                            blocked: seat.blocked,
                            aisle_after: seat.aisle_after,
                        })
                        .collect(),
                })
                .collect(),
        ),
    };
    encode(
        &screen.id.as_u128().to_be_bytes(),
        &ScreenRecord {
            name: screen.name.clone(),
            layout,
        },
    )
}

pub fn decode_screen(id: u128, bytes: &[u8]) -> Result<Screen, DecodeError> {
    let record: ScreenRecord = decode("screen", &id.to_be_bytes(), bytes)?;
    let layout = match record.layout {
        LayoutRecord::General(capacity) => Layout::General { capacity },
        LayoutRecord::Seated(rows) => {
            let rows = rows
                .into_iter()
                .map(|row| {
                    let seats = row
                        .seats
                        .into_iter()
                        .map(|seat| {
                            let kind = *KINDS.get(usize::from(seat.kind)).ok_or_else(|| {
                                DecodeError(format!("screen {id}: seat kind {}", seat.kind))
                            })?;
                            Ok(Seat {
                                number: seat.number,
                                kind,
                                blocked: seat.blocked,
                                aisle_after: seat.aisle_after,
                            })
                        })
                        .collect::<Result<_, DecodeError>>()?;
                    Ok(Row {
                        label: row.label,
                        seats,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            // Checked before it was written; `check` checks it again.
            Layout::Seated(SeatMap::stored(rows))
        }
    };
    Ok(Screen {
        id: ScreenId::from_u128(id),
        name: record.name,
        layout,
    })
}

#[derive(Serialize, Deserialize)]
struct FilmRecord {
    title: String,
    runtime_minutes: u32,
    rating: Option<String>,
}

pub fn encode_film(film: &Film) -> Vec<u8> {
    encode(
        &film.id.as_u128().to_be_bytes(),
        &FilmRecord {
            title: film.title.clone(),
            runtime_minutes: film.runtime_minutes,
            rating: film.rating.clone(),
        },
    )
}

pub fn decode_film(id: u128, bytes: &[u8]) -> Result<Film, DecodeError> {
    let record: FilmRecord = decode("film", &id.to_be_bytes(), bytes)?;
    Ok(Film {
        id: FilmId::from_u128(id),
        title: record.title,
        runtime_minutes: record.runtime_minutes,
        rating: record.rating,
    })
}

// ---- prices -------------------------------------------------------------------------

/// The key the price book is stored under (and checksummed with).
pub const PRICE_BOOK_KEY: &str = "book";

#[derive(Serialize, Deserialize)]
struct TicketTypeRecord {
    id: u128,
    name: String,
    tax_rate: u16,
    channels: u8,
    proof: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PriceRecord {
    ticket_type: u128,
    /// A seat kind's code, or `None` for any kind.
    seat_kind: Option<u8>,
    amount: u64,
}

#[derive(Serialize, Deserialize)]
struct CardRecord {
    id: u128,
    name: String,
    priority: i32,
    default: bool,
    weekdays: Option<u8>,
    window: Option<(u16, u16)>,
    films: Vec<u128>,
    screens: Vec<u128>,
    /// Days since 1970-01-01, both included.
    dates: Option<(i32, i32)>,
    prices: Vec<PriceRecord>,
}

#[derive(Serialize, Deserialize)]
struct PriceBookRecord {
    types: Vec<TicketTypeRecord>,
    cards: Vec<CardRecord>,
}

fn day_number(date: chrono::NaiveDate) -> i32 {
    i32::try_from((date - chrono::NaiveDate::default()).num_days()).unwrap_or(i32::MAX)
}

fn day_of(number: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(number)))
}

pub fn encode_price_book(book: &PriceBook) -> Vec<u8> {
    let types = book
        .types
        .iter()
        .map(|ticket_type| TicketTypeRecord {
            id: ticket_type.id.as_u128(),
            name: ticket_type.name.clone(),
            tax_rate: ticket_type.tax_rate,
            channels: ticket_type.channels.bits(),
            proof: ticket_type.proof.clone(),
        })
        .collect();
    let cards = book
        .cards
        .iter()
        .map(|card| CardRecord {
            id: card.id.as_u128(),
            name: card.name.clone(),
            priority: card.priority,
            default: card.default,
            weekdays: card.rules.weekdays.map(Weekdays::bits),
            window: card.rules.window.map(|window| (window.from(), window.to())),
            films: card.rules.films.iter().map(|film| film.as_u128()).collect(),
            screens: card
                .rules
                .screens
                .iter()
                .map(|screen| screen.as_u128())
                .collect(),
            dates: card
                .rules
                .dates
                .map(|dates| (day_number(dates.from()), day_number(dates.to()))),
            prices: card
                .prices
                .iter()
                .map(|price| PriceRecord {
                    ticket_type: price.ticket_type.as_u128(),
                    seat_kind: price.seat_kind.map(kind_code),
                    amount: price.amount,
                })
                .collect(),
        })
        .collect();
    encode(PRICE_BOOK_KEY.as_bytes(), &PriceBookRecord { types, cards })
}

pub fn decode_price_book(bytes: &[u8]) -> Result<PriceBook, DecodeError> {
    let record: PriceBookRecord = decode("price book", PRICE_BOOK_KEY.as_bytes(), bytes)?;
    let bad = |what: &str| DecodeError(format!("price book: {what}"));
    let types = record
        .types
        .into_iter()
        .map(|ticket_type| {
            Ok(TicketType {
                id: TicketTypeId::from_u128(ticket_type.id),
                name: ticket_type.name,
                tax_rate: ticket_type.tax_rate,
                channels: Channels::from_bits(ticket_type.channels)
                    .ok_or_else(|| bad("unknown channel bits"))?,
                proof: ticket_type.proof,
            })
        })
        .collect::<Result<_, DecodeError>>()?;
    let cards = record
        .cards
        .into_iter()
        .map(|card| {
            let window = match card.window {
                Some((from, to)) => {
                    Some(TimeWindow::new(from, to).ok_or_else(|| bad("a malformed window"))?)
                }
                None => None,
            };
            let dates = match card.dates {
                Some((from, to)) => Some(
                    day_of(from)
                        .zip(day_of(to))
                        .and_then(|(from, to)| DateRange::new(from, to))
                        .ok_or_else(|| bad("a malformed date range"))?,
                ),
                None => None,
            };
            let weekdays = match card.weekdays {
                Some(bits) => Some(Weekdays::from_bits(bits).ok_or_else(|| bad("weekday bits"))?),
                None => None,
            };
            let prices = card
                .prices
                .into_iter()
                .map(|price| {
                    let seat_kind = match price.seat_kind {
                        Some(code) => Some(
                            *KINDS
                                .get(usize::from(code))
                                .ok_or_else(|| bad("a seat kind"))?,
                        ),
                        None => None,
                    };
                    Ok(Price {
                        ticket_type: TicketTypeId::from_u128(price.ticket_type),
                        seat_kind,
                        amount: price.amount,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            Ok(PriceCard {
                id: PriceCardId::from_u128(card.id),
                name: card.name,
                priority: card.priority,
                default: card.default,
                rules: CardRules {
                    weekdays,
                    window,
                    films: card.films.into_iter().map(FilmId::from_u128).collect(),
                    screens: card.screens.into_iter().map(ScreenId::from_u128).collect(),
                    dates,
                },
                prices,
            })
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(PriceBook { types, cards })
}

// ---- holds ------------------------------------------------------------------------

/// A hold as schema 3 wrote it (record version 2): no client.
#[derive(Serialize, Deserialize)]
struct HoldRecordV2 {
    show: u128,
    seats: Vec<u16>,
    count: u32,
    expires_at: Millis,
    created_at: Millis,
}

/// Record version 3 of a hold: with the limited client it counts against.
/// Holds written before it (version 2) count against no client.
const CLIENT_HOLD_RECORD_VERSION: u8 = 3;
/// Record version 4: with its priced lines. Holds written before it read
/// with none, and are priced when they are confirmed.
const PRICED_HOLD_RECORD_VERSION: u8 = 4;
/// Record version 5: each line with its tax rate (version-4 lines read as
/// a version-3 ticket's do).
const HOLD_RECORD_VERSION: u8 = 5;

#[derive(Serialize, Deserialize)]
struct PricedHoldRecord<L> {
    hold: HoldRecord,
    lines: Vec<L>,
}

#[derive(Serialize, Deserialize)]
struct HoldRecord {
    show: u128,
    seats: Vec<u16>,
    count: u32,
    expires_at: Millis,
    created_at: Millis,
    client: Option<[u8; ClientId::LEN]>,
}

pub fn encode_hold(hold: &Hold) -> Vec<u8> {
    encode_as(
        HOLD_RECORD_VERSION,
        &hold.id.as_u128().to_be_bytes(),
        &PricedHoldRecord {
            hold: HoldRecord {
                show: hold.show_id.as_u128(),
                seats: hold.seats.iter().map(|seat| seat.0).collect(),
                count: hold.count,
                expires_at: hold.expires_at,
                created_at: hold.created_at,
                client: hold.client.map(|client| *client.as_bytes()),
            },
            lines: line_records(&hold.lines),
        },
    )
}

pub fn decode_hold(id: u128, bytes: &[u8]) -> Result<Hold, DecodeError> {
    let key = id.to_be_bytes();
    let (version, body) = checked(
        "hold",
        &key,
        bytes,
        &[
            RECORD_VERSION,
            CLIENT_HOLD_RECORD_VERSION,
            PRICED_HOLD_RECORD_VERSION,
            HOLD_RECORD_VERSION,
        ],
    )?;
    let bad = |error: postcard::Error| failed("hold", &key, &error.to_string());
    let mut lines = Vec::new();
    let record = if version == RECORD_VERSION {
        let old: HoldRecordV2 = postcard::from_bytes(body).map_err(bad)?;
        HoldRecord {
            show: old.show,
            seats: old.seats,
            count: old.count,
            expires_at: old.expires_at,
            created_at: old.created_at,
            client: None,
        }
    } else if version == CLIENT_HOLD_RECORD_VERSION {
        whole::<HoldRecord>("hold", &key, body)?
    } else if version == PRICED_HOLD_RECORD_VERSION {
        let priced: PricedHoldRecord<UnratedLineRecord> = whole("hold", &key, body)?;
        lines = unrated_lines_of(priced.lines);
        priced.hold
    } else {
        let priced: PricedHoldRecord<LineRecord> = postcard::from_bytes(body).map_err(bad)?;
        lines = lines_of(priced.lines);
        priced.hold
    };
    let client = match record.client {
        Some(bytes) => Some(
            ClientId::from_bytes(&bytes)
                .ok_or_else(|| failed("hold", &key, "an unknown kind of client"))?,
        ),
        None => None,
    };
    Ok(Hold {
        id: HoldId::from_u128(id),
        show_id: ShowId::from_u128(record.show),
        seats: record.seats.into_iter().map(SeatIndex).collect(),
        count: record.count,
        expires_at: record.expires_at,
        created_at: record.created_at,
        client,
        lines,
    })
}

/// What a hold keeps, as its show's index lists it
/// ([`SHOW_EXPIRY_HOLD_TO_KEPT`](super::tables::SHOW_EXPIRY_HOLD_TO_KEPT)).
#[derive(Serialize, Deserialize)]
struct KeptRecord {
    count: u32,
    seats: Vec<u16>,
}

/// The index key of what `hold` keeps: (show, expires at, hold).
pub fn kept_key(show: ShowId, kept: &Kept) -> (u128, i64, u128) {
    (show.as_u128(), kept.expires_at, kept.hold.as_u128())
}

pub fn encode_kept(kept: &Kept) -> Vec<u8> {
    encode(
        &kept.hold.as_u128().to_be_bytes(),
        &KeptRecord {
            count: kept.count,
            seats: kept.seats.iter().map(|seat| seat.0).collect(),
        },
    )
}

/// The index entry of hold `hold`, expiring at `expires_at`.
pub fn decode_kept(hold: u128, expires_at: Millis, bytes: &[u8]) -> Result<Kept, DecodeError> {
    let record: KeptRecord = decode("held seats of hold", &hold.to_be_bytes(), bytes)?;
    Ok(Kept {
        hold: HoldId::from_u128(hold),
        expires_at,
        count: record.count,
        seats: record.seats.into_iter().map(SeatIndex).collect(),
    })
}

// ---- cooldowns ----------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct CooldownRecord {
    until: Millis,
    seats: Vec<u16>,
    count: u32,
}

/// The key of a cooldown: client, show and hold, so that one client's
/// cooldowns on one show are one range.
pub fn cooldown_key(client: ClientId, show: ShowId, hold: HoldId) -> Vec<u8> {
    let mut key = Vec::with_capacity(ClientId::LEN + 32);
    key.extend_from_slice(client.as_bytes());
    key.extend_from_slice(&show.as_u128().to_be_bytes());
    key.extend_from_slice(&hold.as_u128().to_be_bytes());
    key
}

pub fn encode_cooldown(cooldown: &Cooldown) -> Vec<u8> {
    encode(
        &cooldown_key(cooldown.client, cooldown.show, cooldown.hold),
        &CooldownRecord {
            until: cooldown.until,
            seats: cooldown.seats.iter().map(|seat| seat.0).collect(),
            count: cooldown.count,
        },
    )
}

pub fn decode_cooldown(key: &[u8], bytes: &[u8]) -> Result<Cooldown, DecodeError> {
    let record: CooldownRecord = decode("cooldown", key, bytes)?;
    let (client, rest) = key.split_at_checked(ClientId::LEN).unzip();
    let ids = rest
        .filter(|rest| rest.len() == 32)
        .map(|rest| rest.split_at(16));
    let (Some(client), Some((show, hold))) = (client.and_then(ClientId::from_bytes), ids) else {
        return Err(failed("cooldown", key, "a key of the wrong shape"));
    };
    let id = |bytes: &[u8]| u128::from_be_bytes(bytes.try_into().unwrap_or_default());
    Ok(Cooldown {
        client,
        show: ShowId::from_u128(id(show)),
        hold: HoldId::from_u128(id(hold)),
        until: record.until,
        seats: record.seats.into_iter().map(SeatIndex).collect(),
        count: record.count,
    })
}

// ---- idempotency ------------------------------------------------------------------

/// A keyed write's answer, as stored beside its change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub fingerprint: [u8; 32],
    pub status: u16,
    pub body: Vec<u8>,
    pub stored_at: Millis,
}

pub fn encode_answer(key: &[u8], answer: &AnswerRecord) -> Vec<u8> {
    encode(key, answer)
}

pub fn decode_answer(key: &[u8], bytes: &[u8]) -> Result<AnswerRecord, DecodeError> {
    decode("idempotency answer", key, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat_map() -> SeatMap {
        let seat = |number: &str, kind| Seat {
            number: number.into(),
            kind,
            blocked: false,
            aisle_after: false,
        };
        SeatMap::new(vec![
            Row {
                label: "A".into(),
                seats: vec![
                    seat("1", SeatKind::Wheelchair),
                    seat("2", SeatKind::Companion),
                ],
            },
            Row {
                label: "B".into(),
                seats: vec![
                    Seat {
                        blocked: true,
                        ..seat("1", SeatKind::Premium)
                    },
                    Seat {
                        aisle_after: true,
                        ..seat("2", SeatKind::Standard)
                    },
                    seat("3", SeatKind::Standard),
                ],
            },
        ])
        .unwrap()
    }

    #[test]
    fn the_price_book_round_trips() {
        let mut book = PriceBook::starting(TicketTypeId::from_u128(1), PriceCardId::from_u128(2));
        book.cards.push(PriceCard {
            id: PriceCardId::from_u128(3),
            name: "late".into(),
            priority: -4,
            default: false,
            rules: CardRules {
                weekdays: Weekdays::parse(["fri", "sat"]),
                window: TimeWindow::new(22 * 60, 2 * 60),
                films: vec![FilmId::from_u128(5)],
                screens: vec![ScreenId::DEFAULT, ScreenId::from_u128(6)],
                dates: DateRange::new(
                    chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    chrono::NaiveDate::from_ymd_opt(2027, 1, 6).unwrap(),
                ),
            },
            prices: vec![Price {
                ticket_type: TicketTypeId::from_u128(1),
                seat_kind: Some(SeatKind::Premium),
                amount: 1_450,
            }],
        });
        book.types[0].proof = Some("student card".into());
        assert_eq!(decode_price_book(&encode_price_book(&book)).unwrap(), book);
    }

    #[test]
    fn lines_stored_without_a_rate_read_with_the_lowest_rate_giving_their_tax() {
        let key = 5u128.to_be_bytes();
        let unrated = |price, tax| UnratedLineRecord {
            seat: Some(2),
            ticket_type: 9,
            price,
            tax,
        };
        let lines = vec![unrated(0, 0), unrated(1_250, 82), unrated(1_250, 0)];
        let record = TicketRecord {
            show: 1,
            user_name: "Asha".into(),
            phone: PhoneRecord::Number(9876543210),
            count: 3,
            seats: vec![2, 3, 4],
            created_at: 0,
            reference: Reference::candidate(5, 0).as_u32(),
        };
        let bytes = encode_as(
            PRICED_TICKET_RECORD_VERSION,
            &key,
            &PricedTicketRecord {
                ticket: record,
                lines,
            },
        );
        let ticket = decode_ticket(5, &bytes).unwrap();
        let rates: Vec<u16> = ticket.lines.iter().map(|line| line.tax_rate).collect();
        assert_eq!(rates, [0, 698, 0]);
        // Written again, the record is of this version and keeps the rates.
        assert_eq!(encode_ticket(&ticket)[0], TICKET_RECORD_VERSION);
        assert_eq!(decode_ticket(5, &encode_ticket(&ticket)).unwrap(), ticket);

        let hold = HoldRecord {
            show: 1,
            seats: Vec::new(),
            count: 1,
            expires_at: 10,
            created_at: 0,
            client: None,
        };
        let bytes = encode_as(
            PRICED_HOLD_RECORD_VERSION,
            &key,
            &PricedHoldRecord {
                hold,
                lines: vec![UnratedLineRecord {
                    seat: None,
                    ..unrated(950, 152)
                }],
            },
        );
        let hold = decode_hold(5, &bytes).unwrap();
        assert_eq!(hold.lines[0].tax_rate, rate_giving(950, 152, None));
        assert_eq!(
            crate::domain::prices::tax_included(950, hold.lines[0].tax_rate),
            152
        );
        assert_eq!(decode_hold(5, &encode_hold(&hold)).unwrap(), hold);
    }

    /// Lines at two rates on seats 3 and 4.
    fn rated_lines() -> Vec<Line> {
        [(3, 1_250, 82, 700), (4, 1_250, 200, 1_900)]
            .into_iter()
            .map(|(seat, price, tax, tax_rate)| Line {
                seat: Some(SeatIndex(seat)),
                ticket_type: TicketTypeId::from_u128(6),
                price,
                tax,
                tax_rate,
            })
            .collect()
    }

    #[test]
    fn records_round_trip() {
        let mut sold = SeatSet::new(5);
        sold.insert(SeatIndex(3));
        let shows = [
            Show::empty(ShowId::from_u128(7), -5, 20),
            Show {
                id: ShowId::from_u128(8),
                screen: ScreenId::from_u128(9),
                film: Some(FilmId::from_u128(10)),
                starts_at: 1_000,
                ends_at: Some(2_000),
                capacity: 4,
                sold: 1,
                sold_seats: Some(sold),
                price_card: None,
            },
        ];
        for show in shows {
            let id = show.id.as_u128();
            assert_eq!(decode_show(id, &encode_show(&show)).unwrap(), show);
        }
        for phone in [
            Phone::Number(9876543210),
            Phone::Text("+91 98765 43210".into()),
        ] {
            let ticket = Ticket {
                id: TicketId::from_u128(u128::MAX),
                show_id: ShowId::from_u128(1 << 100),
                user_name: "Asha".into(),
                phone,
                count: 2,
                seats: vec![SeatIndex(3), SeatIndex(4)],
                created_at: 1_893_456_000_000,
                reference: Reference::candidate(7, 3),
                lines: rated_lines(),
            };
            assert_eq!(
                decode_ticket(u128::MAX, &encode_ticket(&ticket)).unwrap(),
                ticket
            );
        }
        for layout in [Layout::General { capacity: 80 }, Layout::Seated(seat_map())] {
            let screen = Screen {
                id: ScreenId::from_u128(3),
                name: "Screen 1".into(),
                layout,
            };
            assert_eq!(decode_screen(3, &encode_screen(&screen)).unwrap(), screen);
        }
        let film = Film {
            id: FilmId::from_u128(4),
            title: "Heat".into(),
            runtime_minutes: 170,
            rating: Some("R".into()),
        };
        assert_eq!(decode_film(4, &encode_film(&film)).unwrap(), film);
        let hold = Hold {
            id: HoldId::from_u128(5),
            show_id: ShowId::from_u128(8),
            seats: vec![SeatIndex(1)],
            count: 1,
            expires_at: 2_000,
            created_at: 1_000,
            client: Some(ClientId::address([192, 0, 2, 7].into())),
            lines: Vec::new(),
        };
        assert_eq!(decode_hold(5, &encode_hold(&hold)).unwrap(), hold);
        // A hold of schema 3 (record version 2) counts against no client.
        let old = encode(
            &5u128.to_be_bytes(),
            &HoldRecordV2 {
                show: 8,
                seats: vec![1],
                count: 1,
                expires_at: 2_000,
                created_at: 1_000,
            },
        );
        assert_eq!(
            decode_hold(5, &old).unwrap(),
            Hold {
                client: None,
                ..hold.clone()
            }
        );
        let cooldown = Cooldown {
            client: hold.client.unwrap(),
            show: hold.show_id,
            hold: hold.id,
            until: 9_000,
            seats: vec![SeatIndex(1)],
            count: 1,
        };
        let key = cooldown_key(cooldown.client, cooldown.show, cooldown.hold);
        assert_eq!(
            decode_cooldown(&key, &encode_cooldown(&cooldown)).unwrap(),
            cooldown
        );
        assert!(decode_cooldown(&key[1..], &encode_cooldown(&cooldown)).is_err());
    }

    #[test]
    fn a_schema_3_ticket_reads_with_its_first_candidate_reference() {
        let old = encode(
            &7u128.to_be_bytes(),
            &TicketRecordV3 {
                show: 1,
                user_name: "Asha".into(),
                phone: PhoneRecord::Number(9876543210),
                count: 1,
                seats: vec![2],
                created_at: 5,
            },
        );
        assert!(
            decode_ticket(7, &old).is_err(),
            "a schema 3 record is not current"
        );
        let ticket = decode_v3_ticket(7, &old).unwrap();
        assert_eq!(ticket.reference, Reference::candidate(7, 0));
        assert_eq!(ticket.seats, vec![SeatIndex(2)]);
        // A current record reads as it is.
        let mut current = ticket.clone();
        current.reference = Reference::candidate(7, 5);
        assert_eq!(
            decode_v3_ticket(7, &encode_ticket(&current)).unwrap(),
            current
        );
    }

    #[test]
    fn any_flipped_bit_in_key_or_value_is_found() {
        let ticket = Ticket {
            id: TicketId::from_u128(0x4d),
            show_id: ShowId::from_u128(5),
            user_name: "Asha Rao".into(),
            phone: Phone::Text("+91 98765 43210".into()),
            count: 2,
            seats: vec![],
            created_at: 1_893_456_000_000,
            reference: Reference::candidate(0x4d, 0),
            lines: Vec::new(),
        };
        let bytes = encode_ticket(&ticket);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode_ticket(77, &damaged).is_err(),
                "bit {bit} of the value"
            );
        }
        for bit in 0..128 {
            let error = decode_ticket(0x4d ^ (1 << bit), &bytes)
                .unwrap_err()
                .to_string();
            assert!(error.contains("ticket"), "{error}");
        }
        let error = decode_ticket(77, &{
            let mut damaged = bytes.clone();
            damaged[10] ^= 4;
            damaged
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("00000000000000000000004d") && error.contains("checksum"),
            "{error}"
        );
    }

    #[test]
    fn foreign_bytes_are_an_error_not_a_panic() {
        assert!(decode_show(1, &[]).is_err());
        assert!(decode_show(1, &[3, 0, 0, 0]).is_err());
        assert!(decode_show(1, &[RECORD_VERSION]).is_err());
        assert!(decode_ticket(1, &[RECORD_VERSION, 0xff, 0xff]).is_err());
        assert!(
            decode_screen(1, &[RECORD_VERSION, 1, 0]).is_err(),
            "a map with no rows"
        );
        assert!(decode_legacy_show(1, &[RECORD_VERSION, 0]).is_err());
    }
}

// ---- staff ------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct AccountRecord {
    login: String,
    display_name: String,
    role: u8,
    active: bool,
    password_hash: String,
    created_at: Millis,
}

fn role(kind: &str, key: &[u8], code: u8) -> Result<Role, DecodeError> {
    Role::from_code(code).ok_or_else(|| failed(kind, key, &format!("unknown role {code}")))
}

pub fn encode_account(account: &Account) -> Vec<u8> {
    encode(
        &account.id.to_be_bytes(),
        &AccountRecord {
            login: account.login.as_str().to_owned(),
            display_name: account.display_name.clone(),
            role: account.role.code(),
            active: account.active,
            password_hash: account.password_hash.clone(),
            created_at: account.created_at,
        },
    )
}

pub fn decode_account(id: u128, bytes: &[u8]) -> Result<Account, DecodeError> {
    let key = id.to_be_bytes();
    let record: AccountRecord = decode("staff account", &key, bytes)?;
    Ok(Account {
        id,
        login: Login::parse(&record.login)
            .ok_or_else(|| failed("staff account", &key, "malformed login"))?,
        display_name: record.display_name,
        role: role("staff account", &key, record.role)?,
        active: record.active,
        password_hash: record.password_hash,
        created_at: record.created_at,
    })
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    name: String,
    role: u8,
    digest: [u8; 32],
    created_at: Millis,
    revoked_at: Option<Millis>,
}

pub fn encode_key(key: &ApiKey) -> Vec<u8> {
    encode(
        &key.id.to_be_bytes(),
        &KeyRecord {
            name: key.name.clone(),
            role: key.role.code(),
            digest: key.digest,
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        },
    )
}

pub fn decode_key(id: u128, bytes: &[u8]) -> Result<ApiKey, DecodeError> {
    let key = id.to_be_bytes();
    let record: KeyRecord = decode("API key", &key, bytes)?;
    Ok(ApiKey {
        id,
        name: record.name,
        role: role("API key", &key, record.role)?,
        digest: record.digest,
        created_at: record.created_at,
        revoked_at: record.revoked_at,
    })
}

#[derive(Serialize, Deserialize)]
struct SessionRecord {
    login: String,
    csrf: String,
    expires_at: Millis,
}

pub fn encode_session(session: &Session) -> Vec<u8> {
    encode(
        &session.digest,
        &SessionRecord {
            login: session.login.as_str().to_owned(),
            csrf: session.csrf.clone(),
            expires_at: session.expires_at,
        },
    )
}

pub fn decode_session(digest: &[u8], bytes: &[u8]) -> Result<Session, DecodeError> {
    let record: SessionRecord = decode("session", digest, bytes)?;
    Ok(Session {
        digest: digest
            .try_into()
            .map_err(|_| failed("session", digest, "a key that is not a digest"))?,
        login: Login::parse(&record.login)
            .ok_or_else(|| failed("session", digest, "malformed login"))?,
        csrf: record.csrf,
        expires_at: record.expires_at,
    })
}

#[derive(Serialize, Deserialize)]
struct AuditRecord {
    at: Millis,
    actor: String,
    action: String,
    subject: String,
    amount: Option<i64>,
}

pub fn encode_audit(entry: &AuditEntry) -> Vec<u8> {
    encode(
        &entry.id.to_be_bytes(),
        &AuditRecord {
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            amount: entry.amount,
        },
    )
}

pub fn decode_audit(id: u128, bytes: &[u8]) -> Result<AuditEntry, DecodeError> {
    let record: AuditRecord = decode("audit entry", &id.to_be_bytes(), bytes)?;
    Ok(AuditEntry {
        id,
        at: record.at,
        actor: record.actor,
        action: record.action,
        subject: record.subject,
        amount: record.amount,
    })
}
