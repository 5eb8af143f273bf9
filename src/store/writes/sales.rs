//! `/v1` bookings: seats by name or the best block for a count, moves that
//! keep the booking's id, cancellations.

use std::sync::Arc;

use super::{outcome, Batch, Failure, Outcome, Tables};
use crate::domain::cinema::Screen;
use crate::domain::prices::{Channel, Line, TicketChoice};
use crate::domain::rules::is_expired;
use crate::domain::sales::{ensure_on_sale, release, take_seats, Party};
use crate::domain::Reference;
use crate::domain::{Refusal, Rules, Show, Ticket, TicketId};
use crate::store::error::StoreError;
use crate::usecases::cinema::{BookingMove, NewSeatBooking, SeatRequest};
use crate::usecases::prices::{moved_lines, Sale};

/// A booking as it was written, with the screen its seats are named on.
pub struct Sold {
    pub ticket: Ticket,
    pub screen: Arc<Screen>,
}

pub(super) fn party(request: &SeatRequest) -> Party<'_> {
    match request {
        SeatRequest::Named(names) => Party::Named(names),
        SeatRequest::Count(count) => Party::Count(*count),
    }
}

impl Tables<'_> {
    /// The screen a show is on.
    pub(super) fn screen_of(&self, show: &Show, rules: Rules) -> Result<Arc<Screen>, StoreError> {
        self.decoded_screens.screen_of(&self.screens, show, rules)
    }
}

enum MovePlan {
    /// New seats in the same show.
    Within { ticket: Ticket, show: Show },
    Between {
        ticket: Ticket,
        from: Show,
        to: Show,
    },
}

impl Batch<'_, '_> {
    pub fn create_booking(&mut self, booking: &NewSeatBooking) -> Outcome<Sold> {
        let plan = (|| -> Result<(Show, Sold), Failure> {
            let mut show = self.tables.show(booking.show)?;
            ensure_on_sale(&show, self.now, self.rules.expire_after_ms)?;
            let screen = self.tables.screen_of(&show, self.rules)?;
            let (held, held_count) = self.tables.held(&show, self.now)?;
            let seats = take_seats(
                &mut show,
                screen.layout.seat_map(),
                party(&booking.seats),
                held.as_ref(),
                held_count,
            )?;
            let count = match &booking.seats {
                SeatRequest::Count(count) => *count,
                SeatRequest::Named(_) => u32::try_from(seats.len()).unwrap_or(u32::MAX),
            };
            let lines = self.tables.price(
                &Sale {
                    show: &show,
                    map: screen.layout.seat_map(),
                    seats: &seats,
                    count,
                    channel: booking.channel,
                    choice: &booking.tickets,
                },
                self.rules,
            )?;
            let id = TicketId::from_u128(self.ids.next(self.now)?);
            let ticket = Ticket {
                id,
                show_id: show.id,
                user_name: booking.user_name.clone(),
                phone: booking.phone.clone(),
                count,
                seats,
                created_at: self.now,
                reference: Reference::candidate(id.as_u128(), 0),
                lines,
            };
            Ok((show, Sold { ticket, screen }))
        })();
        outcome(plan, |(show, mut sold)| {
            self.tables.put_show(&show)?;
            self.tables.add_ticket(&mut sold.ticket)?;
            Ok(sold)
        })
    }

    pub fn move_booking(&mut self, id: TicketId, to: &BookingMove) -> Outcome<Sold> {
        let plan = (|| -> Result<(MovePlan, Arc<Screen>), Failure> {
            let (mut ticket, mut from) = self.tables.ticket_with_show(id)?;
            if is_expired(from.starts_at, self.rules.expire_after_ms, self.now) {
                return Err(Refusal::TicketExpired.into());
            }
            let wanted = to.seats.clone().unwrap_or(SeatRequest::Count(ticket.count));
            let target = to.show.unwrap_or(from.id);
            if target == from.id {
                ensure_on_sale(&from, self.now, self.rules.expire_after_ms)?;
                let screen = self.tables.screen_of(&from, self.rules)?;
                let (held, held_count) = self.tables.held(&from, self.now)?;
                // Its own seats are free to it.
                release(&mut from, &ticket);
                ticket.seats = take_seats(
                    &mut from,
                    screen.layout.seat_map(),
                    party(&wanted),
                    held.as_ref(),
                    held_count,
                )?;
                ticket.count = new_count(&wanted, &ticket);
                ticket.lines = self.reprice(&ticket, &from, &screen)?;
                return Ok((MovePlan::Within { ticket, show: from }, screen));
            }
            let mut to_show = self.tables.show(target)?;
            ensure_on_sale(&to_show, self.now, self.rules.expire_after_ms)?;
            let screen = self.tables.screen_of(&to_show, self.rules)?;
            let (held, held_count) = self.tables.held(&to_show, self.now)?;
            let seats = take_seats(
                &mut to_show,
                screen.layout.seat_map(),
                party(&wanted),
                held.as_ref(),
                held_count,
            )?;
            release(&mut from, &ticket);
            ticket.seats = seats;
            ticket.count = new_count(&wanted, &ticket);
            ticket.show_id = to_show.id;
            ticket.lines = self.reprice(&ticket, &to_show, &screen)?;
            Ok((
                MovePlan::Between {
                    ticket,
                    from,
                    to: to_show,
                },
                screen,
            ))
        })();
        outcome(plan, |(plan, screen)| {
            let ticket = match plan {
                MovePlan::Within { ticket, show } => {
                    self.tables.put_show(&show)?;
                    self.tables.put_ticket(&ticket)?;
                    ticket
                }
                MovePlan::Between { ticket, from, to } => {
                    self.tables.put_show(&from)?;
                    self.tables.put_show(&to)?;
                    self.tables.put_ticket(&ticket)?;
                    self.tables.relist_ticket(ticket.id, from.id, to.id)?;
                    ticket
                }
            };
            Ok(Sold { ticket, screen })
        })
    }

    pub fn cancel_booking(&mut self, id: TicketId) -> Outcome<()> {
        let plan = (|| -> Result<(Ticket, Show), Failure> {
            let (ticket, mut show) = self.tables.ticket_with_show(id)?;
            release(&mut show, &ticket);
            Ok((ticket, show))
        })();
        outcome(plan, |(ticket, show)| {
            self.tables.put_show(&show)?;
            self.tables.remove_ticket(&ticket)
        })
    }
}

impl Batch<'_, '_> {
    /// A moved booking's lines: its prices on its new seats; places it did
    /// not have before are priced by `show`'s card on the api channel.
    fn reprice(&self, ticket: &Ticket, show: &Show, screen: &Screen) -> Result<Vec<Line>, Failure> {
        moved_lines(&ticket.lines, &ticket.seats, ticket.count, || {
            self.tables.price(
                &Sale {
                    show,
                    map: screen.layout.seat_map(),
                    seats: &ticket.seats,
                    count: ticket.count,
                    channel: Channel::Api,
                    choice: &TicketChoice::Any,
                },
                self.rules,
            )
        })
    }
}

/// Seats a moved booking holds: those named, or the count asked for.
fn new_count(wanted: &SeatRequest, ticket: &Ticket) -> u32 {
    match wanted {
        SeatRequest::Count(count) => *count,
        SeatRequest::Named(_) => u32::try_from(ticket.seats.len()).unwrap_or(u32::MAX),
    }
}
