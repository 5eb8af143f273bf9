//! Seat maps in `/v1` bodies and answers: rows of seats, read from JSON into
//! a `SeatMap` (whose own checks say what is wrong with one) and written
//! back, and the schemas that describe them.

use rocket::data::ByteUnit;
use rocket::request::Request;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::Object;
use super::schema;
use crate::api::body::json_limit;
use crate::api::problem::{sentence, Problem};
use crate::config::SeatMapLimits;
use crate::domain::patterns;
use crate::domain::seating::{Row, Seat, SeatKind, SeatMap};

/// A seat map of the default largest size (`max_screen_seats`, 5000 seats)
/// written out in full (about 360 KB) is far more than a booking's 16 KiB;
/// `limits.seat-map` sets this limit.
pub const DEFAULT_SEAT_MAP_LIMIT: ByteUnit = ByteUnit::Kibibyte(512);

const KINDS: &[&str] = &["standard", "premium", "wheelchair", "companion"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Row")]
pub struct RowAnswer {
    pub label: String,
    /// In their order along the row.
    pub seats: Vec<SeatAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Seat")]
pub struct SeatAnswer {
    pub number: String,
    #[schemars(schema_with = "kind_schema")]
    pub kind: String,
    /// Never sold.
    pub blocked: bool,
    /// A gap follows this seat.
    pub aisle_after: bool,
}

fn kind_schema(_: &mut SchemaGenerator) -> Schema {
    schema::one_of_strings(
        KINDS,
        "Wheelchair and companion seats are sold by name only.",
    )
}

/// The rows of `map` as answers show them.
pub fn rows(map: &SeatMap) -> Vec<RowAnswer> {
    map.rows()
        .iter()
        .map(|row| RowAnswer {
            label: row.label.clone(),
            seats: row
                .seats
                .iter()
                .map(|seat| SeatAnswer {
                    number: seat.number.clone(),
                    kind: seat.kind.as_str().into(),
                    blocked: seat.blocked,
                    aisle_after: seat.aisle_after,
                })
                .collect(),
        })
        .collect()
}

/// The seat map in `rows`, no larger than `most` allows. The sizes are
/// counted before any seat is read, so a huge map costs little to refuse.
pub fn read(body: &Object<'_>, most: SeatMapLimits) -> Result<SeatMap, Problem> {
    let rows = body.required("rows", body.array("rows")?)?;
    if rows.len() > most.rows {
        return Err(Problem::invalid(format!(
            "A seat map has at most {} rows (max_rows).",
            most.rows
        )));
    }
    let mut seats_in_all = 0;
    for row in rows {
        let seats = row
            .get("seats")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if seats > most.row_seats {
            return Err(Problem::invalid(format!(
                "A row has at most {} seats (max_row_seats).",
                most.row_seats
            )));
        }
        seats_in_all += seats;
    }
    if seats_in_all > most.screen_seats {
        return Err(Problem::invalid(format!(
            "A seat map has at most {} seats (max_screen_seats).",
            most.screen_seats
        )));
    }
    let rows = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let row = Object::nested(row, &format!("rows[{index}]"))?;
            let seats = row.required("seats", row.array("seats")?)?;
            Ok(Row {
                label: verbatim(&row, "label")?,
                seats: seats
                    .iter()
                    .enumerate()
                    .map(|(index, seat)| {
                        read_seat(&Object::nested(
                            seat,
                            &row.name(&format!("seats[{index}]")),
                        )?)
                    })
                    .collect::<Result<_, Problem>>()?,
            })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    SeatMap::new(rows).map_err(|error| Problem::invalid(sentence(&error.to_string())))
}

fn read_seat(seat: &Object<'_>) -> Result<Seat, Problem> {
    let kind = match seat.get("kind") {
        None => SeatKind::default(),
        Some(value) => value.as_str().and_then(SeatKind::parse).ok_or_else(|| {
            seat.invalid(
                "kind",
                "must be one of standard, premium, wheelchair or companion",
            )
        })?,
    };
    Ok(Seat {
        number: verbatim(seat, "number")?,
        kind,
        blocked: seat.boolean("blocked")?.unwrap_or(false),
        aisle_after: seat.boolean("aisleAfter")?.unwrap_or(false),
    })
}

/// A label or number, exactly as sent (the seat map checks its spelling).
fn verbatim(object: &Object<'_>, field: &str) -> Result<String, Problem> {
    match object.get(field) {
        None => Err(object.missing(field)),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(object.invalid(field, "must be a string")),
    }
}

/// The most bytes a body with a seat map may have: the larger of the JSON
/// limit and `limits.seat-map`.
pub fn limit(request: &Request<'_>) -> ByteUnit {
    request
        .limits()
        .get("seat-map")
        .unwrap_or(DEFAULT_SEAT_MAP_LIMIT)
        .max(json_limit(request))
}

/// A row of a new seat map.
pub struct RowSpec;

impl JsonSchema for RowSpec {
    fn schema_name() -> String {
        "RowSpec".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                (
                    "label",
                    schema::pattern(patterns::ROW_LABEL, "One to three capital letters.").into(),
                ),
                (
                    "seats",
                    schema::array(
                        gen.subschema_for::<SeatSpec>(),
                        1,
                        false,
                        "In their order along the row.",
                    ),
                ),
            ],
            &["label", "seats"],
        )
        .into()
    }
}

/// A seat of a new seat map.
pub struct SeatSpec;

impl JsonSchema for SeatSpec {
    fn schema_name() -> String {
        "SeatSpec".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                (
                    "number",
                    schema::pattern(
                        patterns::SEAT_NUMBER,
                        "One to four digits, no leading zero; the seat is named row label + number (A7).",
                    )
                    .into(),
                ),
                (
                    "kind",
                    schema::one_of_strings(KINDS, "Default `standard`. Wheelchair and companion seats are sold by name only."),
                ),
                ("blocked", schema::boolean("Never sold; default false.")),
                (
                    "aisleAfter",
                    schema::boolean("A gap follows this seat (adjacency never crosses it); default false."),
                ),
            ],
            &["number"],
        )
        .into()
    }
}
