//! The seed routes' answers, field for field as the old service wrote them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::fields::{answer_phone_schema, phone_to_json, user_name_to_json};
use crate::domain::time::format_show_time;
use crate::domain::Ticket;
use crate::usecases::{Booked, ShowTickets};
use chrono_tz::Tz;

use crate::api::state::App;

/// A booked or moved ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TicketResponse {
    pub success: bool,
    pub data: TicketData,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketData {
    #[schemars(schema_with = "answer_phone_schema")]
    pub phone_number: Value,
    pub user_name: String,
    pub ticket_count: u32,
    /// Venue-local `YYYY-MM-DD HH:MM:SS`.
    pub show_time: String,
    pub movie_id: String,
    pub ticket_id: String,
}

impl TicketResponse {
    pub fn new(Booked { ticket, show }: Booked, zone: Tz) -> Self {
        Self {
            success: true,
            data: TicketData {
                phone_number: phone_to_json(&ticket.phone),
                user_name: user_name_to_json(ticket.user_name),
                ticket_count: ticket.count,
                show_time: format_show_time(show.starts_at, zone),
                movie_id: show.id.to_string(),
                ticket_id: ticket.id.to_string(),
            },
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

impl ShowTicketsResponse {
    pub fn new(listing: ShowTickets, app: &App) -> Self {
        let ShowTickets {
            show,
            tickets,
            held,
            expired,
        } = listing;
        Self {
            success: true,
            movie_id: show.id.to_string(),
            show_time: format_show_time(show.starts_at, app.config.timezone),
            ticket_count: show.sold,
            capacity: show.capacity,
            available: show.available().saturating_sub(held),
            all_tickets: tickets
                .into_iter()
                .map(|ticket| TicketSummary::new(ticket, expired))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    pub ticket_id: String,
    pub user_name: String,
    #[schemars(schema_with = "answer_phone_schema")]
    pub phone_number: Value,
    pub ticket_count: u32,
    /// The show started `expire_after` ago or more.
    pub expired: bool,
}

impl TicketSummary {
    fn new(ticket: Ticket, expired: bool) -> Self {
        Self {
            ticket_id: ticket.id.to_string(),
            phone_number: phone_to_json(&ticket.phone),
            user_name: user_name_to_json(ticket.user_name),
            ticket_count: ticket.count,
            expired,
        }
    }
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
    #[schemars(schema_with = "answer_phone_schema")]
    pub phone_number: Value,
}

impl UserDetailsResponse {
    pub fn new(ticket: Ticket) -> Self {
        Self {
            success: true,
            user_details: UserDetails {
                phone_number: phone_to_json(&ticket.phone),
                user_name: user_name_to_json(ticket.user_name),
            },
        }
    }
}
