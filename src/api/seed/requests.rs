//! The seed routes' request bodies: documented by their schema, read field
//! by field into the use cases' typed inputs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::api::body::Validate;
use crate::api::error::Error;
use crate::api::fields::{
    example_show_time, phone_from_json, phone_schema, show_time_field, show_time_schema,
    ticket_count_from_json, ticket_id_field, ulid_schema, user_name_from_json, user_name_schema,
};
use crate::api::state::App;
use crate::domain::{Millis, TicketId};
use crate::usecases::NewBooking;

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
    type Output = NewBooking;

    fn validate(body: &Map<String, Value>, app: &App) -> Result<NewBooking, Error> {
        Ok(NewBooking {
            user_name: user_name_from_json(body.get("userName"))?,
            phone: phone_from_json(body.get("phoneNumber"))?,
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

/// Which ticket goes to which show time.
pub struct TicketMove {
    pub ticket: TicketId,
    pub starts_at: Millis,
}

impl Validate for UpdateTimingRequest {
    type Output = TicketMove;

    fn validate(body: &Map<String, Value>, app: &App) -> Result<TicketMove, Error> {
        Ok(TicketMove {
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
    type Output = TicketId;

    fn validate(body: &Map<String, Value>, _app: &App) -> Result<TicketId, Error> {
        ticket_id_field(body)
    }

    fn example() -> Value {
        json!({ "ticketId": "01JD0000000000000000000000" })
    }
}
