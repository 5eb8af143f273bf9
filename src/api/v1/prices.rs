//! `/v1/ticket-types`, `/v1/price-cards` and `/v1/shows/{id}/prices`: what
//! a seat costs. Reading needs the clerk's token, changing the admin's.
//! Amounts are integers in the minor unit of the venue's `currency`.

use chrono::NaiveDate;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Kiosk};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{page, show_in_path, Query};
use super::schema;
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::Problem;
use crate::api::reply::{changed, created, deleted, ok, List, Read, Sent};
use crate::api::state::App;
use crate::domain::prices::TicketChoice;
use crate::domain::prices::{
    tax_included, CardRules, Channel, Channels, DateRange, Price, PriceCard, TicketType,
    TimeWindow, Weekdays, MAX_CARD_PRICES, MAX_PRICE, MAX_PRICE_NAME_CHARS, MAX_PROOF_CHARS,
    MAX_RULE_ITEMS, MAX_TAX_RATE, WEEKDAY_NAMES,
};
use crate::domain::seating::SeatKind;
use crate::domain::{FilmId, PriceCardId, Refusal, ScreenId, TicketTypeId};
use crate::usecases::cinema::{LineView, SeatRequest};
use crate::usecases::prices::{NewPriceCard, NewTicketType, PriceCardPatch, TicketTypePatch};
use crate::usecases::Cursor;

const ULID_PATTERN: &str = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$";
/// The most and least a card's priority may be.
const MAX_PRIORITY: i64 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "TicketType")]
pub struct TicketTypeAnswer {
    #[schemars(regex(pattern = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))]
    pub id: String,
    pub name: String,
    /// Basis points of tax included in its prices: 700 = 7 %.
    pub tax_rate: u16,
    /// Where it is sold: `counter`, `kiosk`, `api`.
    pub channels: Vec<String>,
    /// What the door asks to see; `null` for nothing.
    pub proof: Option<String>,
}

pub fn type_answer(ticket_type: &TicketType) -> TicketTypeAnswer {
    TicketTypeAnswer {
        id: ticket_type.id.to_string(),
        name: ticket_type.name.clone(),
        tax_rate: ticket_type.tax_rate,
        channels: ticket_type
            .channels
            .iter()
            .map(|channel| channel.as_str().to_owned())
            .collect(),
        proof: ticket_type.proof.clone(),
    }
}

fn channel_names() -> Vec<&'static str> {
    Channel::ALL
        .iter()
        .map(|channel| channel.as_str())
        .collect()
}

fn type_properties() -> Vec<(&'static str, Schema)> {
    vec![
        (
            "name",
            schema::text(
                MAX_PRICE_NAME_CHARS,
                "1 to 100 characters: `Adult`, `Child`.",
            ),
        ),
        (
            "taxRate",
            schema::integer(
                0,
                u32::from(MAX_TAX_RATE),
                "Basis points of tax its prices include, 0 to 10000 (700 = 7 %); default 0.",
            ),
        ),
        (
            "channels",
            schema::array(
                schema::one_of_strings(&channel_names(), "A sales channel."),
                0,
                true,
                "Where it is sold; default every channel.",
            ),
        ),
        (
            "proof",
            schema::nullable(schema::text(
                MAX_PROOF_CHARS,
                "What the door asks to see (`student card`); `null` for nothing.",
            )),
        ),
    ]
}

fn read_channels(body: &Object<'_>) -> Result<Option<Channels>, Problem> {
    let Some(items) = body.unique_array("channels")? else {
        return Ok(None);
    };
    items
        .iter()
        .map(|item| item.as_str().and_then(Channel::parse))
        .collect::<Option<Vec<_>>>()
        .map(|channels| Some(channels.into_iter().collect()))
        .ok_or_else(|| body.invalid("channels", "must list counter, kiosk or api"))
}

fn read_tax_rate(body: &Object<'_>) -> Result<Option<u16>, Problem> {
    Ok(body
        .integer("taxRate", 0, u32::from(MAX_TAX_RATE))?
        .and_then(|rate| u16::try_from(rate).ok()))
}

/// A new ticket type.
pub struct NewTicketTypeRequest;

impl JsonSchema for NewTicketTypeRequest {
    fn schema_name() -> String {
        "NewTicketType".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(type_properties(), &["name"]).into()
    }
}

impl Fields for NewTicketTypeRequest {
    type Output = NewTicketType;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewTicketType, Problem> {
        Ok(NewTicketType {
            name: body.required("name", body.text("name", MAX_PRICE_NAME_CHARS)?)?,
            tax_rate: read_tax_rate(body)?.unwrap_or(0),
            channels: read_channels(body)?.unwrap_or(Channels::ALL),
            proof: body.nullable_text("proof", MAX_PROOF_CHARS)?.flatten(),
        })
    }

    fn example() -> Value {
        json!({ "name": "Student", "taxRate": 700, "channels": ["counter", "kiosk"], "proof": "student card" })
    }
}

/// A change of a ticket type; `proof: null` clears it.
pub struct TicketTypePatchRequest;

impl JsonSchema for TicketTypePatchRequest {
    fn schema_name() -> String {
        "TicketTypePatch".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(type_properties(), &[]);
        schema::described(
            schema::at_least_one_of(object, &["name", "taxRate", "channels", "proof"]),
            "What changes: any of `name`, `taxRate`, `channels`, `proof`. Sales already made keep their prices and tax.",
        )
    }
}

impl Fields for TicketTypePatchRequest {
    type Output = TicketTypePatch;

    fn read(body: &Object<'_>, _app: &App) -> Result<TicketTypePatch, Problem> {
        let patch = TicketTypePatch {
            name: body.text("name", MAX_PRICE_NAME_CHARS)?,
            tax_rate: read_tax_rate(body)?,
            channels: read_channels(body)?,
            proof: body.nullable_text("proof", MAX_PROOF_CHARS)?,
        };
        if patch == TicketTypePatch::default() {
            return Err(Problem::invalid(
                "Nothing to change: send name, taxRate, channels or proof.",
            ));
        }
        Ok(patch)
    }

    fn example() -> Value {
        json!({ "taxRate": 1900 })
    }
}

// ---- price cards ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "DateRange")]
pub struct DatesAnswer {
    /// Venue-local, `YYYY-MM-DD`, included.
    pub from: String,
    /// Venue-local, `YYYY-MM-DD`, included.
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "TimeWindow")]
pub struct TimesAnswer {
    /// `HH:MM`, venue-local, included.
    pub from: String,
    /// `HH:MM`, excluded; before `from`: the window crosses midnight.
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CardRules")]
pub struct RulesAnswer {
    /// `mon` … `sun`; `null`: every day.
    pub weekdays: Option<Vec<String>>,
    /// When the show starts; `null`: any time.
    pub times: Option<TimesAnswer>,
    /// Film ids; `[]`: any film.
    pub films: Vec<String>,
    /// Screen ids; `[]`: any screen.
    pub screens: Vec<String>,
    /// `null`: any date.
    pub dates: Option<DatesAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Price")]
pub struct PriceAnswer {
    /// A ticket type id.
    #[serde(rename = "type")]
    pub ticket_type: String,
    /// `standard`, `premium`, `wheelchair`, `companion`; `null`: any kind
    /// the card does not name (and general admission).
    pub seat_kind: Option<String>,
    /// In minor units of `currency`.
    pub amount: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PriceCard")]
pub struct PriceCardAnswer {
    #[schemars(regex(pattern = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))]
    pub id: String,
    pub name: String,
    pub priority: i32,
    pub default: bool,
    pub rules: RulesAnswer,
    pub prices: Vec<PriceAnswer>,
    /// ISO 4217: what `amount` is in.
    pub currency: String,
}

fn card_answer(card: &PriceCard, currency: &str) -> PriceCardAnswer {
    let rules = &card.rules;
    PriceCardAnswer {
        id: card.id.to_string(),
        name: card.name.clone(),
        priority: card.priority,
        default: card.default,
        rules: RulesAnswer {
            weekdays: rules
                .weekdays
                .map(|days| days.names().into_iter().map(str::to_owned).collect()),
            times: rules.window.map(|window| TimesAnswer {
                from: TimeWindow::write_time(window.from()),
                to: TimeWindow::write_time(window.to()),
            }),
            films: rules.films.iter().map(ToString::to_string).collect(),
            screens: rules.screens.iter().map(ToString::to_string).collect(),
            dates: rules.dates.map(|dates| DatesAnswer {
                from: dates.from().to_string(),
                to: dates.to().to_string(),
            }),
        },
        prices: card
            .prices
            .iter()
            .map(|price| PriceAnswer {
                ticket_type: price.ticket_type.to_string(),
                seat_kind: price.seat_kind.map(|kind| kind.as_str().to_owned()),
                amount: price.amount,
            })
            .collect(),
        currency: currency.to_owned(),
    }
}

fn seat_kind_names() -> Vec<&'static str> {
    [
        SeatKind::Standard,
        SeatKind::Premium,
        SeatKind::Wheelchair,
        SeatKind::Companion,
    ]
    .iter()
    .map(|kind| kind.as_str())
    .collect()
}

fn rules_schema() -> schemars::schema::SchemaObject {
    let date = |description: &str| schema::pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description);
    let time = |description: &str| schema::pattern(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description);
    let ids = |description: &str| {
        schema::array(
            schema::pattern(ULID_PATTERN, "An id.").into(),
            0,
            true,
            description,
        )
    };
    schema::object(
        vec![
            (
                "weekdays",
                schema::nullable(schema::array(
                    schema::one_of_strings(&WEEKDAY_NAMES, "A day."),
                    1,
                    true,
                    "Days the show starts on (a window across midnight: the day it began); `null`: every day.",
                )),
            ),
            (
                "times",
                schema::nullable(
                    schema::object(
                        vec![
                            ("from", time("`HH:MM`, included.").into()),
                            ("to", time("`HH:MM`, excluded; before `from`, the window crosses midnight.").into()),
                        ],
                        &["from", "to"],
                    )
                    .into(),
                ),
            ),
            ("films", ids("Film ids; none: any film.")),
            ("screens", {
                schema::array(
                    schema::pattern(crate::domain::patterns::SCREEN_ID, "A screen id.").into(),
                    0,
                    true,
                    "Screen ids (`default` for the /api shows); none: any screen.",
                )
            }),
            (
                "dates",
                schema::nullable(
                    schema::object(
                        vec![
                            ("from", date("Venue-local, included.").into()),
                            ("to", date("Venue-local, included.").into()),
                        ],
                        &["from", "to"],
                    )
                    .into(),
                ),
            ),
        ],
        &[],
    )
}

fn card_properties() -> Vec<(&'static str, Schema)> {
    let rules = rules_schema();
    let price = schema::object(
        vec![
            (
                "type",
                schema::pattern(ULID_PATTERN, "A ticket type id.").into(),
            ),
            (
                "seatKind",
                schema::nullable(schema::one_of_strings(
                    &seat_kind_names(),
                    "The seat kind; `null` or absent: any kind the card does not name.",
                )),
            ),
            (
                "amount",
                schema::integer(
                    0,
                    u32::try_from(MAX_PRICE).unwrap_or(u32::MAX),
                    "In minor units of `currency`, tax included.",
                ),
            ),
        ],
        &["type", "amount"],
    );
    let mut priority = schema::integer(
        0,
        1,
        "Among cards whose rules match a show, the highest wins; default 0.",
    )
    .into_object();
    priority.number().minimum = Some(-1_000_000.0);
    priority.number().maximum = Some(1_000_000.0);
    vec![
        (
            "name",
            schema::text(MAX_PRICE_NAME_CHARS, "1 to 100 characters: `Weekday matinee`."),
        ),
        ("priority", priority.into()),
        (
            "default",
            schema::boolean("The card of shows no other card takes; marking one takes the mark from the others. Default false."),
        ),
        (
            "rules",
            schema::described(rules, "When the card applies; every rule given must match."),
        ),
        (
            "prices",
            schema::array(
                price.into(),
                0,
                false,
                "What each type costs on each seat kind; the first type is sold when none is named.",
            ),
        ),
    ]
}

fn read_priority(body: &Object<'_>) -> Result<Option<i32>, Problem> {
    let Some(value) = body.get("priority") else {
        return Ok(None);
    };
    value
        .as_i64()
        .filter(|priority| (-MAX_PRIORITY..=MAX_PRIORITY).contains(priority))
        .and_then(|priority| i32::try_from(priority).ok())
        .map(Some)
        .ok_or_else(|| body.invalid("priority", "must be an integer from -1000000 to 1000000"))
}

fn read_ids<T>(
    body: &Object<'_>,
    field: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, Problem> {
    let Some(items) = body.unique_array(field)? else {
        return Ok(Vec::new());
    };
    if items.len() > MAX_RULE_ITEMS {
        return Err(body.invalid(field, &format!("lists at most {MAX_RULE_ITEMS} ids")));
    }
    items
        .iter()
        .map(|item| item.as_str().and_then(parse))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| body.invalid(field, "must be an array of ids"))
}

/// `{from, to}` of two texts each read by `parse`.
fn read_pair<T>(
    body: &Object<'_>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    shape: &str,
) -> Result<Option<(T, T)>, Problem> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let pair = Object::nested(value, &body.name(field))?;
            let end = |name: &str| {
                pair.get(name)
                    .and_then(Value::as_str)
                    .and_then(&parse)
                    .ok_or_else(|| pair.invalid(name, shape))
            };
            Ok(Some((end("from")?, end("to")?)))
        }
    }
}

fn read_rules(body: &Object<'_>) -> Result<Option<CardRules>, Problem> {
    let rules = match body.get("rules") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(CardRules::default())),
        Some(value) => Object::nested(value, "rules")?,
    };
    let weekdays = match rules.get("weekdays") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let names = rules.unique_array("weekdays")?.into_iter().flatten();
            let names: Option<Vec<&str>> = names.map(Value::as_str).collect();
            Some(
                names
                    .and_then(Weekdays::parse)
                    .ok_or_else(|| rules.invalid("weekdays", "must list days from mon to sun"))?,
            )
        }
    };
    let window = read_pair(
        &rules,
        "times",
        TimeWindow::parse_time,
        "must be a time HH:MM",
    )?
    .map(|(from, to)| {
        TimeWindow::new(from, to)
            .ok_or_else(|| rules.invalid("times", "must not start and end at the same minute"))
    })
    .transpose()?;
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let dates = read_pair(&rules, "dates", date, "must be a date YYYY-MM-DD")?
        .map(|(from, to)| {
            DateRange::new(from, to)
                .ok_or_else(|| rules.invalid("dates", "must not end before it starts"))
        })
        .transpose()?;
    Ok(Some(CardRules {
        weekdays,
        window,
        films: read_ids(&rules, "films", FilmId::parse)?,
        screens: read_ids(&rules, "screens", ScreenId::parse)?,
        dates,
    }))
}

fn read_prices(body: &Object<'_>) -> Result<Option<Vec<Price>>, Problem> {
    let Some(items) = body.array("prices")? else {
        return Ok(None);
    };
    if items.len() > MAX_CARD_PRICES {
        return Err(body.invalid("prices", &format!("lists at most {MAX_CARD_PRICES} prices")));
    }
    let mut prices = Vec::with_capacity(items.len());
    for (at, item) in items.iter().enumerate() {
        let entry = Object::nested(item, &format!("prices[{at}]"))?;
        let ticket_type = entry.required("type", entry.id("type", TicketTypeId::parse)?)?;
        let seat_kind = match entry.get("seatKind") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_str().and_then(SeatKind::parse).ok_or_else(|| {
                entry.invalid(
                    "seatKind",
                    "must be standard, premium, wheelchair or companion",
                )
            })?),
        };
        let most = u32::try_from(MAX_PRICE).unwrap_or(u32::MAX);
        let amount = entry.required("amount", entry.integer("amount", 0, most)?)?;
        prices.push(Price {
            ticket_type,
            seat_kind,
            amount: u64::from(amount),
        });
    }
    if PriceCard::has_duplicate_price(&prices) {
        return Err(body.invalid("prices", "must price each type on each seat kind once"));
    }
    Ok(Some(prices))
}

/// A new price card.
pub struct NewPriceCardRequest;

impl JsonSchema for NewPriceCardRequest {
    fn schema_name() -> String {
        "NewPriceCard".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(card_properties(), &["name"]).into()
    }
}

impl Fields for NewPriceCardRequest {
    type Output = NewPriceCard;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewPriceCard, Problem> {
        Ok(NewPriceCard {
            name: body.required("name", body.text("name", MAX_PRICE_NAME_CHARS)?)?,
            priority: read_priority(body)?.unwrap_or(0),
            default: body.boolean("default")?.unwrap_or(false),
            rules: read_rules(body)?.unwrap_or_default(),
            prices: read_prices(body)?.unwrap_or_default(),
        })
    }

    fn example() -> Value {
        json!({
            "name": "Weekend evenings",
            "priority": 10,
            "rules": { "weekdays": ["fri", "sat"], "times": { "from": "17:00", "to": "02:00" } },
            "prices": []
        })
    }
}

/// A change of a price card.
pub struct PriceCardPatchRequest;

impl JsonSchema for PriceCardPatchRequest {
    fn schema_name() -> String {
        "PriceCardPatch".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(card_properties(), &[]);
        schema::described(
            schema::at_least_one_of(object, &["name", "priority", "default", "rules", "prices"]),
            "What changes: any of `name`, `priority`, `default`, `rules` (whole), `prices` (whole). Sales already made keep their prices.",
        )
    }
}

impl Fields for PriceCardPatchRequest {
    type Output = PriceCardPatch;

    fn read(body: &Object<'_>, _app: &App) -> Result<PriceCardPatch, Problem> {
        let patch = PriceCardPatch {
            name: body.text("name", MAX_PRICE_NAME_CHARS)?,
            priority: read_priority(body)?,
            default: body.boolean("default")?,
            rules: read_rules(body)?,
            prices: read_prices(body)?,
        };
        if patch == PriceCardPatch::default() {
            return Err(Problem::invalid(
                "Nothing to change: send name, priority, default, rules or prices.",
            ));
        }
        Ok(patch)
    }

    fn example() -> Value {
        json!({ "priority": 20 })
    }
}

fn type_in_path(id: &str) -> Result<TicketTypeId, Problem> {
    TicketTypeId::parse(id).ok_or_else(|| Refusal::TicketTypeNotFound.into())
}

fn card_in_path(id: &str) -> Result<PriceCardId, Problem> {
    PriceCardId::parse(id).ok_or_else(|| Refusal::PriceCardNotFound.into())
}

/// List ticket types, oldest first.
#[openapi(tag = "Prices", operation_id = "listTicketTypes")]
#[get("/ticket-types?<limit>&<cursor>")]
pub async fn list_ticket_types(
    _allowed: Kiosk,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<TicketTypeAnswer>> {
    let cursors = app.cursor_key.list("ticket types".into());
    let found = app
        .bookings
        .ticket_types(page(&limit, &cursor, &cursors)?)
        .await?;
    Ok(List::fitted(
        found,
        |ticket_type| type_answer(&ticket_type),
        |ticket_type| Cursor {
            at: 0,
            id: ticket_type.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
}

/// Add a ticket type.
#[openapi(tag = "Prices", operation_id = "createTicketType")]
#[post("/ticket-types", data = "<body>")]
pub async fn create_ticket_type(
    admin: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewTicketTypeRequest>,
) -> Result<Sent<TicketTypeAnswer, 201>, Problem> {
    let Checked(new, json) = body?;
    let write = created(type_answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_ticket_type(new, admin.actor(), once)
            .await?,
    ))
}

#[openapi(tag = "Prices", operation_id = "getTicketType")]
#[get("/ticket-types/<id>")]
pub async fn get_ticket_type(
    _allowed: Kiosk,
    app: &State<App>,
    id: &str,
) -> Read<TicketTypeAnswer> {
    let id = type_in_path(id)?;
    let found = app
        .bookings
        .ticket_type(id)
        .await?
        .ok_or(Refusal::TicketTypeNotFound)?;
    Ok(ok(&type_answer(&found)))
}

/// Change a ticket type; sales already made keep their prices and tax.
#[openapi(tag = "Prices", operation_id = "updateTicketType")]
#[patch("/ticket-types/<id>", data = "<body>")]
pub async fn update_ticket_type(
    admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<TicketTypePatchRequest>,
) -> Result<Sent<TicketTypeAnswer, 200>, Problem> {
    let id = type_in_path(id)?;
    let Checked(patch, json) = body?;
    let write = changed(type_answer);
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .update_ticket_type(id, patch, admin.actor(), once)
            .await?,
    ))
}

/// Delete a ticket type no card prices (else 409 `in-use`).
#[openapi(tag = "Prices", operation_id = "deleteTicketType")]
#[delete("/ticket-types/<id>")]
pub async fn delete_ticket_type(
    admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = type_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(
        app.bookings
            .delete_ticket_type(id, admin.actor(), once)
            .await?,
    ))
}

/// List price cards, oldest first.
#[openapi(tag = "Prices", operation_id = "listPriceCards")]
#[get("/price-cards?<limit>&<cursor>")]
pub async fn list_price_cards(
    _allowed: Kiosk,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<PriceCardAnswer>> {
    let cursors = app.cursor_key.list("price cards".into());
    let found = app
        .bookings
        .price_cards(page(&limit, &cursor, &cursors)?)
        .await?;
    let currency = app.config.currency.code();
    Ok(List::fitted(
        found,
        |card| card_answer(&card, currency),
        |card| Cursor {
            at: 0,
            id: card.id.as_u128(),
        },
        &cursors,
        app.config.max_answer,
    ))
}

/// Add a price card. Its prices name existing ticket types (else 422
/// `unknown-ticket-type`).
#[openapi(tag = "Prices", operation_id = "createPriceCard")]
#[post("/price-cards", data = "<body>")]
pub async fn create_price_card(
    admin: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewPriceCardRequest>,
) -> Result<Sent<PriceCardAnswer, 201>, Problem> {
    let Checked(new, json) = body?;
    let currency = app.config.currency.code();
    let write = created(move |card: &PriceCard| card_answer(card, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .create_price_card(new, admin.actor(), once)
            .await?,
    ))
}

#[openapi(tag = "Prices", operation_id = "getPriceCard")]
#[get("/price-cards/<id>")]
pub async fn get_price_card(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<PriceCardAnswer> {
    let id = card_in_path(id)?;
    let found = app
        .bookings
        .price_card(id)
        .await?
        .ok_or(Refusal::PriceCardNotFound)?;
    Ok(ok(&card_answer(&found, app.config.currency.code())))
}

/// Change a price card; sales already made keep their prices.
#[openapi(tag = "Prices", operation_id = "updatePriceCard")]
#[patch("/price-cards/<id>", data = "<body>")]
pub async fn update_price_card(
    admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
    body: Body<PriceCardPatchRequest>,
) -> Result<Sent<PriceCardAnswer, 200>, Problem> {
    let id = card_in_path(id)?;
    let Checked(patch, json) = body?;
    let currency = app.config.currency.code();
    let write = changed(move |card: &PriceCard| card_answer(card, currency));
    let once = write.once(&key, Some(&json))?;
    Ok(write.answer(
        app.bookings
            .update_price_card(id, patch, admin.actor(), once)
            .await?,
    ))
}

/// Delete a price card; shows that named it take a card by the rules again.
#[openapi(tag = "Prices", operation_id = "deletePriceCard")]
#[delete("/price-cards/<id>")]
pub async fn delete_price_card(
    admin: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = card_in_path(id)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(
        app.bookings
            .delete_price_card(id, admin.actor(), once)
            .await?,
    ))
}

// ---- a show's prices ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SeatPrice")]
pub struct SeatPriceAnswer {
    /// A seat kind of the show's screen; `null` on general admission.
    pub seat_kind: Option<String>,
    /// Tax included, in minor units of `currency`.
    pub price: u64,
    /// The tax in `price`.
    pub tax: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ShowTicketType")]
pub struct ShowTypeAnswer {
    #[serde(flatten)]
    pub ticket_type: TicketTypeAnswer,
    /// What it costs on each seat kind of the show the card prices.
    pub prices: Vec<SeatPriceAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CardChoice")]
pub struct CardChoiceAnswer {
    #[schemars(regex(pattern = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))]
    pub id: String,
    pub name: String,
    /// Why the show has it: `named` (the show names it), `rules` (its rules
    /// match, at the highest priority), `default`.
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ShowPrices")]
pub struct ShowPricesAnswer {
    pub show_id: String,
    /// `null`: no card takes the show (nothing can be sold until one does).
    pub card: Option<CardChoiceAnswer>,
    /// The card's ticket types, in its order: the first sold on a channel
    /// is the one a sale without types takes there.
    pub types: Vec<ShowTypeAnswer>,
    pub currency: String,
}

/// What every ticket type costs on each seat kind of a show, and on which
/// channels it is sold.
#[openapi(tag = "Prices", operation_id = "showPrices")]
#[get("/shows/<id>/prices")]
pub async fn show_prices(_allowed: Kiosk, app: &State<App>, id: &str) -> Read<ShowPricesAnswer> {
    let id = show_in_path(id)?;
    let prices = app
        .bookings
        .show_prices(id)
        .await?
        .ok_or(Refusal::ShowNotFound)?;
    let seats = app.bookings.seats(id).await?.ok_or(Refusal::ShowNotFound)?;
    let mut kinds: Vec<Option<SeatKind>> = Vec::new();
    for (_, seat, _) in seats.iter() {
        if !kinds.contains(&Some(seat.kind)) {
            kinds.push(Some(seat.kind));
        }
    }
    if kinds.is_empty() {
        kinds.push(None);
    }
    let types = match &prices.card {
        Some((card, _)) => prices
            .types
            .iter()
            .map(|ticket_type| ShowTypeAnswer {
                ticket_type: type_answer(ticket_type),
                prices: kinds
                    .iter()
                    .filter_map(|kind| {
                        let price = card.price(ticket_type.id, *kind)?;
                        Some(SeatPriceAnswer {
                            seat_kind: kind.map(|kind| kind.as_str().to_owned()),
                            price,
                            tax: tax_included(price, ticket_type.tax_rate),
                        })
                    })
                    .collect(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(ok(&ShowPricesAnswer {
        show_id: id.to_string(),
        card: prices.card.as_ref().map(|(card, why)| CardChoiceAnswer {
            id: card.id.to_string(),
            name: card.name.clone(),
            why: why.as_str().into(),
        }),
        types,
        currency: app.config.currency.code().into(),
    }))
}

// ---- lines and tickets of a sale ----

/// One seat or place of a booking or hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Line")]
pub struct LineAnswer {
    /// 1, 2, … in seat order, within its booking or hold.
    pub id: u32,
    /// The seat's name; `null` on general admission.
    pub seat: Option<String>,
    /// The ticket type id it was sold as.
    #[serde(rename = "type")]
    pub ticket_type: String,
    /// Tax included, in minor units of `currency`; fixed when it was held or booked.
    pub price: u64,
    /// The tax in `price`.
    pub tax: u64,
    /// The rate `tax` was taken at, in basis points (700 = 7 %): the ticket
    /// type's when the line was held or booked, kept when the type's changes.
    pub tax_rate: u16,
    /// `sold` on a booking, `held` on a hold.
    pub state: String,
}

pub fn line_answers(lines: &[LineView], state: &str) -> Vec<LineAnswer> {
    lines
        .iter()
        .map(|line| LineAnswer {
            id: line.number,
            seat: line.seat.clone(),
            ticket_type: line.ticket_type.to_string(),
            price: line.price,
            tax: line.tax,
            tax_rate: line.tax_rate,
            state: state.into(),
        })
        .collect()
}

/// What lines cost together.
pub fn total(lines: &[LineView]) -> u64 {
    lines.iter().map(|line| line.price).sum()
}

/// Most entries of `tickets`.
const MAX_TICKETS: usize = 500;

/// The `tickets` of a sale: by seat or by count per type.
pub fn tickets_schema() -> Schema {
    let by_seat = schema::object(
        vec![
            (
                "seat",
                schema::pattern(crate::domain::patterns::SEAT_NAME, "A seat of the sale.").into(),
            ),
            (
                "type",
                schema::pattern(ULID_PATTERN, "A ticket type id.").into(),
            ),
        ],
        &["seat", "type"],
    );
    let by_count = schema::object(
        vec![
            (
                "type",
                schema::pattern(ULID_PATTERN, "A ticket type id.").into(),
            ),
            (
                "count",
                schema::integer(
                    1,
                    crate::domain::cinema::MAX_CAPACITY,
                    "How many of this type.",
                ),
            ),
        ],
        &["type", "count"],
    );
    let mut item = schemars::schema::SchemaObject::default();
    item.subschemas().one_of = Some(vec![by_seat.into(), by_count.into()]);
    schema::array(
        item.into(),
        1,
        false,
        "Ticket types: `[{seat, type}]` by seat (seats not named take the first type the card \
         sells on this channel), or `[{type, count}]` by count, given along the seats in order; \
         all entries of one shape. Without `seats` or `count` they say which seats (by seat) or \
         how many (by count). Absent: every place takes the card's first type sold on this channel.",
    )
}

/// `tickets`, if the body has them.
pub fn read_tickets(body: &Object<'_>) -> Result<Option<TicketChoice>, Problem> {
    let Some(items) = body.array("tickets")? else {
        return Ok(None);
    };
    if items.is_empty() || items.len() > MAX_TICKETS {
        return Err(body.invalid("tickets", &format!("must list 1 to {MAX_TICKETS} entries")));
    }
    let mut by_seat = Vec::new();
    let mut by_count = Vec::new();
    for (at, item) in items.iter().enumerate() {
        let entry = Object::nested(item, &format!("tickets[{at}]"))?;
        let ticket_type = entry.required("type", entry.id("type", TicketTypeId::parse)?)?;
        match (entry.get("seat"), entry.has("count")) {
            (Some(Value::String(seat)), false) => by_seat.push((seat.clone(), ticket_type)),
            (None, true) => {
                let most = crate::domain::cinema::MAX_CAPACITY;
                by_count.push((
                    ticket_type,
                    entry.required("count", entry.integer("count", 1, most)?)?,
                ));
            }
            _ => return Err(entry.invalid("seat", "must be a seat name, or give a count instead")),
        }
    }
    match (by_seat.is_empty(), by_count.is_empty()) {
        (false, true) => Ok(Some(TicketChoice::BySeat(by_seat))),
        (true, false) => Ok(Some(TicketChoice::ByType(by_count))),
        _ => Err(body.invalid("tickets", "must be all by seat or all by count")),
    }
}

/// The seats a sale asks for, from `seats`, `count` or its `tickets`.
pub fn seats_asked(
    body: &Object<'_>,
    tickets: Option<&TicketChoice>,
) -> Result<Option<SeatRequest>, Problem> {
    let asked = match (body.has("seats"), body.has("count")) {
        (true, true) => {
            return Err(Problem::invalid(
                "Send seats (names such as A7) or count, not both.",
            ))
        }
        (true, false) => body.seat_names("seats")?.map(SeatRequest::Named),
        (false, true) => body
            .integer("count", 1, crate::domain::cinema::MAX_CAPACITY)?
            .map(SeatRequest::Count),
        (false, false) => None,
    };
    Ok(asked.or_else(|| match tickets? {
        TicketChoice::BySeat(seats) => Some(SeatRequest::Named(
            seats.iter().map(|(seat, _)| seat.clone()).collect(),
        )),
        choice @ TicketChoice::ByType(_) => choice.count().map(SeatRequest::Count),
        TicketChoice::Any => None,
    }))
}
