//! The five seed-compatible routes under `/api`: same paths, field names,
//! JSON types and messages as the service they replace.

use rocket::serde::json::Json;
use rocket::{delete, get, post, put, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::Authorized;
use super::body::{Valid, Validate};
use crate::domain::rules::{is_expired, ticket_count_from_json, user_name_from_json};
use crate::domain::time::{format_show_time, parse_show_time, Millis};
use crate::domain::{patterns, Phone, Show, ShowId, Ticket, TicketId};
use crate::error::Error;
use crate::store::{Command, Done, ShowKey};
use crate::App;

// ---- request bodies -------------------------------------------------------

/// Book `ticketCount` seats for the show starting at `showTime` (created if
/// no show starts then).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookTicketRequest {
    #[schemars(schema_with = "user_name_schema")]
    pub user_name: String,
    #[schemars(schema_with = "phone_schema")]
    pub phone_number: Value,
    /// At least 1; at most the show's capacity (see `maximum`).
    #[schemars(range(min = 1))]
    pub ticket_count: u64,
    #[schemars(schema_with = "show_time_schema")]
    pub show_time: String,
}

impl Validate for BookTicketRequest {
    type Output = Command;

    fn validate(body: &Map<String, Value>, app: &App) -> Result<Command, Error> {
        Ok(Command::Book {
            user_name: user_name_from_json(body.get("userName"))?,
            phone: Phone::from_json(body.get("phoneNumber"))
                .map_err(|e| Error::invalid(e.to_string()))?,
            count: ticket_count_from_json(body.get("ticketCount"))?,
            starts_at: show_time_field(body, "showTime", app)?,
        })
    }

    fn example() -> Value {
        json!({
            "userName": "Asha Rao",
            "phoneNumber": "+91 98765 43210",
            "ticketCount": 2,
            "showTime": example_show_time(),
        })
    }
}

/// Move a ticket to the show starting at `newShowTime`; it keeps its id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTimingRequest {
    #[schemars(schema_with = "ulid_schema")]
    pub ticket_id: String,
    #[schemars(schema_with = "show_time_schema")]
    pub new_show_time: String,
}

impl Validate for UpdateTimingRequest {
    type Output = Command;

    fn validate(body: &Map<String, Value>, app: &App) -> Result<Command, Error> {
        Ok(Command::Move {
            ticket: ticket_id_field(body)?,
            starts_at: show_time_field(body, "newShowTime", app)?,
        })
    }

    fn example() -> Value {
        json!({ "ticketId": "01JD0000000000000000000000", "newShowTime": example_show_time() })
    }
}

/// Delete a ticket and free its seats.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteTicketRequest {
    #[schemars(schema_with = "ulid_schema")]
    pub ticket_id: String,
}

impl Validate for DeleteTicketRequest {
    type Output = Command;

    fn validate(body: &Map<String, Value>, _app: &App) -> Result<Command, Error> {
        Ok(Command::Delete {
            ticket: ticket_id_field(body)?,
        })
    }

    fn example() -> Value {
        json!({ "ticketId": "01JD0000000000000000000000" })
    }
}

fn show_time_field(body: &Map<String, Value>, name: &str, app: &App) -> Result<Millis, Error> {
    match body.get(name) {
        None | Some(Value::Null) => Err(Error::invalid(format!("{name} cannot be null."))),
        Some(Value::String(text)) => parse_show_time(text, app.config.timezone)
            .map_err(|error| Error::invalid(error.to_string())),
        Some(other) => Err(Error::invalid(format!(
            "Show time {other} is not valid: send a string such as \"2030-06-01 18:30\"."
        ))),
    }
}

fn ticket_id_field(body: &Map<String, Value>) -> Result<TicketId, Error> {
    body.get("ticketId")
        .and_then(Value::as_str)
        .and_then(TicketId::parse)
        .ok_or_else(invalid_ticket_id)
}

fn invalid_ticket_id() -> Error {
    Error::invalid("Ticket ID is not valid.")
}

/// Two days ahead at 18:30 venue-local: in the future for a long while.
fn example_show_time() -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(2);
    format!("{} 18:30", day.format("%Y-%m-%d"))
}

/// A string schema with `pattern` and a description.
pub(crate) fn pattern_schema(pattern: &str, description: &str) -> SchemaObject {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        ..SchemaObject::default()
    };
    schema.string().pattern = Some(pattern.into());
    schema.metadata().description = Some(description.into());
    schema
}

const SHOW_TIME_DESCRIPTION: &str =
    "YYYY-MM-DD HH:MM[:SS[.fff]], `T` may replace the space; an optional offset (Z, +05:30). \
     Without an offset it is venue-local time (and a time the venue's clocks skip is refused).";

const ULID_DESCRIPTION: &str =
    "A ULID as the service mints it: 26 characters of uppercase Crockford base32.";

fn show_time_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(patterns::SHOW_TIME, SHOW_TIME_DESCRIPTION).into()
}

fn ulid_schema(_: &mut SchemaGenerator) -> Schema {
    pattern_schema(patterns::ULID, ULID_DESCRIPTION).into()
}

fn user_name_schema(_: &mut SchemaGenerator) -> Schema {
    let mut schema = pattern_schema(
        patterns::USER_NAME,
        "1 to 100 characters once surrounding white space is trimmed; no control characters.",
    );
    schema.string().min_length = Some(1);
    schema.into()
}

fn phone_schema(_: &mut SchemaGenerator) -> Schema {
    let mut number = SchemaObject {
        instance_type: Some(InstanceType::Integer.into()),
        ..SchemaObject::default()
    };
    number.number().minimum = Some(1_000_000.0);
    number.number().maximum = Some(999_999_999_999_999.0);
    let text = pattern_schema(
        patterns::PHONE_TEXT,
        "Once trimmed: an optional leading +, then 7 to 15 digits; spaces and - are ignored.",
    );
    let mut schema = SchemaObject {
        subschemas: Some(Box::new(SubschemaValidation {
            one_of: Some(vec![number.into(), text.into()]),
            ..SubschemaValidation::default()
        })),
        ..SchemaObject::default()
    };
    schema.metadata().description = Some(
        "7 to 15 digits, as a JSON number or a string (optional leading +, spaces and - ignored); \
         answered in the type it was sent."
            .into(),
    );
    schema.into()
}

// ---- responses --------------------------------------------------------------

/// A booked or moved ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TicketResponse {
    pub success: bool,
    pub data: TicketData,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketData {
    #[schemars(schema_with = "phone_schema")]
    pub phone_number: Value,
    pub user_name: String,
    pub ticket_count: u32,
    /// Venue-local `YYYY-MM-DD HH:MM:SS`.
    pub show_time: String,
    pub movie_id: String,
    pub ticket_id: String,
}

impl TicketData {
    fn new(ticket: &Ticket, show: &Show, app: &App) -> Self {
        Self {
            phone_number: ticket.phone.to_json(),
            user_name: ticket.user_name.clone(),
            ticket_count: ticket.count,
            show_time: format_show_time(show.starts_at, app.config.timezone),
            movie_id: show.id.to_string(),
            ticket_id: ticket.id.to_string(),
        }
    }
}

/// A show with its tickets in booking order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowTicketsResponse {
    pub success: bool,
    pub movie_id: String,
    pub show_time: String,
    /// Seats sold.
    pub ticket_count: u32,
    pub capacity: u32,
    pub available: u32,
    pub all_tickets: Vec<TicketSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    pub ticket_id: String,
    pub user_name: String,
    #[schemars(schema_with = "phone_schema")]
    pub phone_number: Value,
    pub ticket_count: u32,
    /// The show started `expire_after` ago or more.
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageResponse {
    pub success: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetailsResponse {
    pub success: bool,
    pub user_details: UserDetails,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetails {
    pub user_name: String,
    #[schemars(schema_with = "phone_schema")]
    pub phone_number: Value,
}

// ---- handlers ---------------------------------------------------------------

type Body<T> = Result<Valid<T>, Error>;

/// Book tickets.
///
/// Refused with 406 `Ticket limit exceeded.` when the show has fewer seats left
/// than `ticketCount`, and with 400 when the show time is in the past.
#[openapi(tag = "Tickets", operation_id = "bookTicket")]
#[post("/book-ticket", data = "<body>")]
pub async fn book_ticket(
    _auth: Authorized,
    app: &State<App>,
    body: Body<BookTicketRequest>,
) -> Result<Json<TicketResponse>, Error> {
    let Valid(command) = body?;
    ticket_response(app, command).await
}

/// Move a ticket to another show time.
///
/// In one transaction: the old show's count goes down, the new show's goes up
/// (capacity checked). On any refusal nothing changes. An expired ticket: 410.
#[openapi(tag = "Tickets", operation_id = "updateTiming")]
#[put("/update-timing", data = "<body>")]
pub async fn update_timing(
    _auth: Authorized,
    app: &State<App>,
    body: Body<UpdateTimingRequest>,
) -> Result<Json<TicketResponse>, Error> {
    let Valid(command) = body?;
    ticket_response(app, command).await
}

async fn ticket_response(app: &App, command: Command) -> Result<Json<TicketResponse>, Error> {
    match app.writer.execute(command).await? {
        Done::Ticket(ticket, show) => Ok(Json(TicketResponse {
            success: true,
            data: TicketData::new(&ticket, &show, app),
        })),
        other => Err(Error::internal(format!("unexpected answer {other:?}"))),
    }
}

/// List a show's tickets.
///
/// Pass `movieId` or `showTime` (if both, `movieId` is used, and both must be
/// well formed). Tickets come in booking order, each with its `expired` flag.
#[openapi(tag = "Tickets", operation_id = "viewAllTickets")]
#[get("/view-all-tickets?<movieId>&<showTime>")]
#[allow(non_snake_case)]
pub async fn view_all_tickets(
    _auth: Authorized,
    app: &State<App>,
    movieId: Option<String>,
    showTime: Option<String>,
) -> Result<Json<ShowTicketsResponse>, Error> {
    // Both are checked when both are given, though `movieId` wins: a
    // malformed value is refused wherever it appears.
    let id = movieId
        .map(|id| ShowId::parse(&id).ok_or_else(|| Error::invalid("Movie ID is not valid.")))
        .transpose()?;
    let starts_at = showTime
        .map(|time| {
            parse_show_time(&time, app.config.timezone).map_err(|e| Error::invalid(e.to_string()))
        })
        .transpose()?;
    let key = match (id, starts_at) {
        (Some(id), _) => ShowKey::Id(id),
        (None, Some(starts_at)) => ShowKey::StartsAt(starts_at),
        (None, None) => {
            return Err(Error::bad_request(
                "Please pass one of the params (movieId or showTime)",
            ))
        }
    };
    let (show, tickets) = app.store.show_with_tickets(key)?.ok_or(match key {
        ShowKey::Id(_) => Error::ShowNotFound,
        ShowKey::StartsAt(_) => Error::NoShowAtTime,
    })?;
    let expired = is_expired(
        show.starts_at,
        app.config.expire_after_millis(),
        app.clock.now(),
    );
    Ok(Json(ShowTicketsResponse {
        success: true,
        movie_id: show.id.to_string(),
        show_time: format_show_time(show.starts_at, app.config.timezone),
        ticket_count: show.sold,
        capacity: show.capacity,
        available: show.available(),
        all_tickets: tickets
            .into_iter()
            .map(|ticket| TicketSummary {
                ticket_id: ticket.id.to_string(),
                user_name: ticket.user_name,
                phone_number: ticket.phone.to_json(),
                ticket_count: ticket.count,
                expired,
            })
            .collect(),
    }))
}

/// Delete a ticket and free its seats.
#[openapi(tag = "Tickets", operation_id = "deleteTicket")]
#[delete("/delete-ticket", data = "<body>")]
pub async fn delete_ticket(
    _auth: Authorized,
    app: &State<App>,
    body: Body<DeleteTicketRequest>,
) -> Result<Json<MessageResponse>, Error> {
    let Valid(command) = body?;
    app.writer.execute(command).await?;
    Ok(Json(MessageResponse {
        success: true,
        message: "Ticket Successfully deleted".into(),
    }))
}

/// Delete a ticket (the `PUT` spelling old clients use).
#[openapi(tag = "Tickets", operation_id = "deleteTicketPut")]
#[put("/delete-ticket", data = "<body>")]
pub async fn delete_ticket_put(
    auth: Authorized,
    app: &State<App>,
    body: Body<DeleteTicketRequest>,
) -> Result<Json<MessageResponse>, Error> {
    delete_ticket(auth, app, body).await
}

/// Look up who holds a ticket.
#[openapi(tag = "Tickets", operation_id = "userDetails")]
#[get("/user-details?<ticketId>")]
#[allow(non_snake_case)]
pub async fn user_details(
    _auth: Authorized,
    app: &State<App>,
    ticketId: Option<String>,
) -> Result<Json<UserDetailsResponse>, Error> {
    let id = ticketId.ok_or_else(|| Error::bad_request("Please pass the ticketId param"))?;
    let id = TicketId::parse(&id).ok_or_else(invalid_ticket_id)?;
    let ticket = app.store.ticket_alone(id)?.ok_or(Error::TicketNotFound)?;
    Ok(Json(UserDetailsResponse {
        success: true,
        user_details: UserDetails {
            user_name: ticket.user_name,
            phone_number: ticket.phone.to_json(),
        },
    }))
}
