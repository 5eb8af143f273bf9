//! The five seed-compatible routes: guard → parse → use case → answer.

use rocket::serde::json::Json;
use rocket::{delete, get, post, put, State};
use rocket_okapi::openapi;
use serde::Serialize;
use serde_json::Value;

use super::requests::{BookTicketRequest, DeleteTicketRequest, TicketMove, UpdateTimingRequest};
use super::responses::{MessageResponse, ShowTicketsResponse, TicketResponse, UserDetailsResponse};
use crate::api::auth::Authorized;
use crate::api::body::Valid;
use crate::api::error::Error;
use crate::api::fields::invalid_ticket_id;
use crate::api::idempotency::{Answer, IdempotencyKey, MalformedKey};
use crate::api::state::App;
use crate::domain::time::parse_show_time;
use crate::domain::{Refusal, ShowId, TicketId};
use crate::usecases::{Booked, Once, Replay, ShowKey, Written};

type Body<T> = Result<Valid<T>, Error>;

/// The answer `/api` gives to an outcome, as stored for its key: every
/// refusal of the use case is stored (capacity, past time, gone, expired).
fn replay<T, R: Serialize>(
    outcome: &Result<T, Refusal>,
    answer: impl FnOnce(&T) -> R,
) -> Option<Replay> {
    let (status, body) = match outcome {
        Ok(done) => (200, serde_json::to_vec(&answer(done)).ok()?),
        Err(refusal) => {
            let error = Error::from(refusal.clone());
            (error.status().code, error.body())
        }
    };
    Some(Replay { status, body })
}

/// The key of an `/api` write, scoped to its `X-Auth-Token`.
fn once<T>(
    key: &IdempotencyKey,
    body: &Value,
    render: impl FnOnce(&Result<T, Refusal>) -> Option<Replay> + Send + 'static,
) -> Result<Once<T>, Error> {
    key.once(Some(body), Box::new(render))
        .map_err(|MalformedKey| Error::bad_request(MalformedKey::MESSAGE))
}

fn answer<T, R>(written: Written<T>, fresh: impl FnOnce(T) -> R) -> Answer<Json<R>> {
    match written {
        Written::Fresh(done) => Answer::Fresh(Json(fresh(done))),
        Written::Replayed(replay) => Answer::Replayed(replay),
    }
}

/// Book tickets.
///
/// Refused with 406 `Ticket limit exceeded.` when the show has fewer seats left
/// than `ticketCount`, and with 400 when the show time is in the past.
#[openapi(tag = "Tickets", operation_id = "bookTicket")]
#[post("/book-ticket", data = "<body>")]
pub async fn book_ticket(
    auth: Authorized,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<BookTicketRequest>,
) -> Result<Answer<Json<TicketResponse>>, Error> {
    let Valid(booking, json) = body?;
    let zone = app.config.timezone;
    let once = once(&key, &json, move |outcome| {
        replay(outcome, |booked: &Booked| {
            TicketResponse::new(booked.clone(), zone)
        })
    })?;
    let written = app.bookings.book(booking, &auth.0, once).await?;
    Ok(answer(written, |booked| TicketResponse::new(booked, zone)))
}

/// Move a ticket to another show time.
///
/// In one transaction: the old show's count goes down, the new show's goes up
/// (capacity checked). On any refusal nothing changes. An expired ticket: 410.
#[openapi(tag = "Tickets", operation_id = "updateTiming")]
#[put("/update-timing", data = "<body>")]
pub async fn update_timing(
    auth: Authorized,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<UpdateTimingRequest>,
) -> Result<Answer<Json<TicketResponse>>, Error> {
    let Valid(TicketMove { ticket, starts_at }, json) = body?;
    let zone = app.config.timezone;
    let once = once(&key, &json, move |outcome| {
        replay(outcome, |moved: &Booked| {
            TicketResponse::new(moved.clone(), zone)
        })
    })?;
    let written = app
        .bookings
        .move_ticket(ticket, starts_at, &auth.0, once)
        .await?;
    Ok(answer(written, |moved| TicketResponse::new(moved, zone)))
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
    let listing = app.bookings.show(key).await?.ok_or(match key {
        ShowKey::Id(_) => Error::ShowNotFound,
        ShowKey::StartsAt(_) => Error::NoShowAtTime,
    })?;
    Ok(Json(ShowTicketsResponse::new(listing, app)))
}

/// Delete a ticket and free its seats.
#[openapi(tag = "Tickets", operation_id = "deleteTicket")]
#[delete("/delete-ticket", data = "<body>")]
pub async fn delete_ticket(
    auth: Authorized,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<DeleteTicketRequest>,
) -> Result<Answer<Json<MessageResponse>>, Error> {
    let Valid(ticket, json) = body?;
    let once = once(&key, &json, |outcome| replay(outcome, |()| deleted()))?;
    let written = app.bookings.delete_ticket(ticket, &auth.0, once).await?;
    Ok(answer(written, |()| deleted()))
}

fn deleted() -> MessageResponse {
    MessageResponse {
        success: true,
        message: "Ticket Successfully deleted".into(),
    }
}

/// Delete a ticket (the `PUT` spelling old clients use).
#[openapi(tag = "Tickets", operation_id = "deleteTicketPut")]
#[put("/delete-ticket", data = "<body>")]
pub async fn delete_ticket_put(
    auth: Authorized,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<DeleteTicketRequest>,
) -> Result<Answer<Json<MessageResponse>>, Error> {
    delete_ticket(auth, app, key, body).await
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
    let ticket = app
        .bookings
        .ticket_alone(id)
        .await?
        .ok_or(Error::TicketNotFound)?;
    Ok(Json(UserDetailsResponse::new(ticket)))
}
