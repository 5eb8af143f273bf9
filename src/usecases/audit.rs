//! What each audited write tells the audit trail, the same on every
//! backend: who (the actor's login, key name, token name or `anonymous`),
//! the action, the ids it touched and, for a sale, its amount. Never a
//! customer's name or phone number. The backends write the entry in the
//! transaction of the change, and only when the change was made.
//!
//! Sales (bookings made, moved and cancelled, holds confirmed) and the
//! catalogue (screens and their seat maps, films, shows and the card a show
//! is priced by, ticket types, price cards) are audited. Holds made,
//! extended or released are not: they sell nothing, and a kiosk makes
//! them by the hundred.

use std::fmt::Display;

use crate::domain::staff::{Actor, Audit};
use crate::domain::{HoldId, Ticket, TicketId};

/// Every action name a write of a sale or of the catalogue is audited as.
pub const ACTIONS: &[&str] = &[
    BOOKING_CREATE,
    BOOKING_MOVE,
    BOOKING_CANCEL,
    HOLD_CONFIRM,
    SCREEN_CREATE,
    SCREEN_UPDATE,
    SEAT_MAP_UPDATE,
    SCREEN_DELETE,
    FILM_CREATE,
    FILM_UPDATE,
    FILM_DELETE,
    SHOW_CREATE,
    SHOW_PRICE_CARD,
    SHOW_DELETE,
    TICKET_TYPE_CREATE,
    TICKET_TYPE_UPDATE,
    TICKET_TYPE_DELETE,
    PRICE_CARD_CREATE,
    PRICE_CARD_UPDATE,
    PRICE_CARD_DELETE,
];

pub const BOOKING_CREATE: &str = "booking.create";
pub const BOOKING_MOVE: &str = "booking.move";
pub const BOOKING_CANCEL: &str = "booking.cancel";
pub const HOLD_CONFIRM: &str = "hold.confirm";
pub const SCREEN_CREATE: &str = "screen.create";
pub const SCREEN_UPDATE: &str = "screen.update";
/// A screen's change that gives it another seat map (and maybe a name).
pub const SEAT_MAP_UPDATE: &str = "seat-map.update";
pub const SCREEN_DELETE: &str = "screen.delete";
pub const FILM_CREATE: &str = "film.create";
pub const FILM_UPDATE: &str = "film.update";
pub const FILM_DELETE: &str = "film.delete";
pub const SHOW_CREATE: &str = "show.create";
pub const SHOW_PRICE_CARD: &str = "show.price-card";
pub const SHOW_DELETE: &str = "show.delete";
pub const TICKET_TYPE_CREATE: &str = "ticket-type.create";
pub const TICKET_TYPE_UPDATE: &str = "ticket-type.update";
pub const TICKET_TYPE_DELETE: &str = "ticket-type.delete";
pub const PRICE_CARD_CREATE: &str = "price-card.create";
pub const PRICE_CARD_UPDATE: &str = "price-card.update";
pub const PRICE_CARD_DELETE: &str = "price-card.delete";

/// A sale made or moved: the booking and its show; the amount is the
/// booking's total in minor units.
pub fn sale(actor: &Actor, action: &'static str, ticket: &Ticket) -> Audit {
    let total: u64 = ticket.lines.iter().map(|line| line.price).sum();
    Audit {
        amount: Some(i64::try_from(total).unwrap_or(i64::MAX)),
        ..Audit::new(actor, action, format!("{} {}", ticket.id, ticket.show_id))
    }
}

/// A hold confirmed as a booking: the booking, its show and the hold.
pub fn confirmed(actor: &Actor, hold: HoldId, ticket: &Ticket) -> Audit {
    let mut audit = sale(actor, HOLD_CONFIRM, ticket);
    audit.subject = format!("{} {hold}", audit.subject);
    audit
}

/// A booking cancelled: its seats are free again.
pub fn cancelled(actor: &Actor, ticket: TicketId) -> Audit {
    Audit::new(actor, BOOKING_CANCEL, ticket.to_string())
}

/// A record of the catalogue made, changed or deleted.
pub fn record(actor: &Actor, action: &'static str, id: impl Display) -> Audit {
    Audit::new(actor, action, id.to_string())
}

/// What a screen's change is audited as: a new seat map, or only a name.
pub fn screen_update(patch: &crate::usecases::cinema::ScreenPatch) -> &'static str {
    if patch.layout.is_some() {
        SEAT_MAP_UPDATE
    } else {
        SCREEN_UPDATE
    }
}

/// A show given a card by name (`None`: priced by the rules again).
pub fn show_card(actor: &Actor, show: impl Display, card: Option<impl Display>) -> Audit {
    let subject = match card {
        Some(card) => format!("{show} {card}"),
        None => show.to_string(),
    };
    Audit::new(actor, SHOW_PRICE_CARD, subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_named_once() {
        let mut names = ACTIONS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len());
        assert!(ACTIONS.iter().all(|name| name.contains('.')));
    }
}
