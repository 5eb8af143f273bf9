//! Holds: seats of a show kept for one customer while they type, released
//! by themselves at `expiresAt`, or turned into a booking by `confirm`.

use super::cinema::{Booking, LineView, SeatRequest};
use super::{Error, Once, Written};
use crate::domain::limits::ClientId;
use crate::domain::prices::{Channel, TicketChoice};
use crate::domain::staff::Actor;
use crate::domain::{HoldId, Millis, Phone, ShowId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHold {
    pub show: ShowId,
    pub seats: SeatRequest,
    /// How long to keep them (capped by `hold_max`); `None`: `hold_for`.
    pub hold_for_ms: Option<i64>,
    /// The limited client asking, whose share and cooldowns the hold is
    /// judged on and counts against; `None` for staff, who are not limited.
    pub client: Option<ClientId>,
    /// The ticket types asked for.
    pub tickets: TicketChoice,
    pub channel: Channel,
}

/// Who a confirmed hold is booked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub user_name: String,
    pub phone: Phone,
    /// Ticket types chosen now: those held as another type are priced by
    /// the show's card as it is now; `Any` keeps every held price.
    pub tickets: TicketChoice,
    pub channel: Channel,
}

/// A hold as `/v1` shows it, judged at the moment it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldView {
    pub id: HoldId,
    pub show: ShowId,
    /// Seat names; empty on a general-admission show.
    pub seats: Vec<String>,
    pub count: u32,
    pub expires_at: Millis,
    pub seconds_left: u64,
    pub expired: bool,
    pub lines: Vec<LineView>,
}

#[async_trait::async_trait]
pub trait Holds: Send + Sync + 'static {
    async fn create_hold(
        &self,
        hold: NewHold,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error>;
    /// A hold, expired ones included until the purge takes them.
    async fn hold(&self, id: HoldId) -> Result<Option<HoldView>, Error>;
    /// Frees its seats at once; an expired hold is released all the same.
    async fn release_hold(&self, id: HoldId, once: Once<()>) -> Result<Written<()>, Error>;
    /// More time for a live hold: it expires `hold_for_ms` from now, never
    /// past its making + `hold_max` nor the show's start; an expired one is
    /// refused (`HoldExpired`).
    async fn extend_hold(
        &self,
        id: HoldId,
        hold_for_ms: i64,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error>;
    /// A booking of exactly the held seats, in one transaction; an expired
    /// hold is refused (`HoldExpired`).
    async fn confirm_hold(
        &self,
        id: HoldId,
        confirmation: Confirmation,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error>;
}
