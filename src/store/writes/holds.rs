//! Holds: seats kept for a customer until they confirm or the hold expires.
//! They live in the same transactions as bookings, and every sale counts the
//! live ones, so no seat is ever in two live bookings or holds.

use std::sync::Arc;

use super::sales::{party, Sold};
use super::{outcome, Batch, Failure, Outcome};
use crate::domain::cinema::Screen;
use crate::domain::holds::{expiry, Hold};
use crate::domain::sales::{ensure_on_sale, sell_held, take_seats};
use crate::domain::Reference;
use crate::domain::{HoldId, Refusal, Show, Ticket, TicketId};
use crate::store::codec::encode_hold;
use crate::store::error::StoreError;
use crate::usecases::cinema::SeatRequest;
use crate::usecases::holds::{Confirmation, NewHold};

/// A hold as it was written, with the screen its seats are named on.
pub struct Held {
    pub hold: Hold,
    pub screen: Arc<Screen>,
}

impl Batch<'_, '_> {
    pub fn create_hold(&mut self, new: &NewHold) -> Outcome<Held> {
        let plan = (|| -> Result<Held, Failure> {
            let show = self.tables.show(new.show)?;
            ensure_on_sale(&show, self.now, self.rules.expire_after_ms)?;
            let screen = self.tables.screen_of(&show, self.rules)?;
            let (kept_seats, kept_count) = self.tables.held(&show, self.now)?;
            // The seats are worked out on a copy: a hold sells nothing.
            let mut scratch = show.clone();
            let seats = take_seats(
                &mut scratch,
                screen.layout.seat_map(),
                party(&new.seats),
                kept_seats.as_ref(),
                kept_count,
            )?;
            let count = match &new.seats {
                SeatRequest::Count(count) => *count,
                SeatRequest::Named(_) => u32::try_from(seats.len()).unwrap_or(u32::MAX),
            };
            let hold = Hold {
                id: HoldId::from_u128(self.ids.next(self.now)?),
                show_id: show.id,
                seats,
                count,
                expires_at: expiry(self.now, new.hold_for_ms, self.rules, show.starts_at),
                created_at: self.now,
            };
            Ok(Held { hold, screen })
        })();
        outcome(plan, |held| {
            let id = held.hold.id.as_u128();
            self.tables
                .holds
                .insert(id, encode_hold(&held.hold).as_slice())?;
            self.tables
                .show_holds
                .insert(held.hold.show_id.as_u128(), id)?;
            self.tables.hold_expiries.insert(held.hold.expires_at, id)?;
            Ok(held)
        })
    }

    /// Releases a hold; one that expired is released all the same.
    pub fn release_hold(&mut self, id: HoldId) -> Outcome<()> {
        let plan = self
            .tables
            .hold(id)
            .map_err(Failure::from)
            .and_then(|hold| hold.ok_or(Failure::Refused(Refusal::HoldNotFound)));
        outcome(plan, |hold| self.tables.remove_hold(&hold))
    }

    /// Turns a live hold into a booking of exactly its seats.
    pub fn confirm_hold(&mut self, id: HoldId, confirmation: &Confirmation) -> Outcome<Sold> {
        let plan = (|| -> Result<(Hold, Show, Sold), Failure> {
            let hold = self.tables.hold(id)?.ok_or(Refusal::HoldNotFound)?;
            if !hold.is_live(self.now) {
                return Err(Refusal::HoldExpired.into());
            }
            let mut show = self.tables.show(hold.show_id)?;
            let screen = self.tables.screen_of(&show, self.rules)?;
            sell_held(&mut show, &hold);
            let id = TicketId::from_u128(self.ids.next(self.now)?);
            let ticket = Ticket {
                id,
                show_id: show.id,
                user_name: confirmation.user_name.clone(),
                phone: confirmation.phone.clone(),
                count: hold.count,
                seats: hold.seats.clone(),
                created_at: self.now,
                reference: Reference::candidate(id.as_u128(), 0),
            };
            Ok((hold, show, Sold { ticket, screen }))
        })();
        outcome(plan, |(hold, show, mut sold)| {
            self.tables.remove_hold(&hold)?;
            self.tables.put_show(&show)?;
            self.tables.add_ticket(&mut sold.ticket)?;
            Ok(sold)
        })
    }

    /// Deletes up to `budget` holds that expired, oldest first; whether more
    /// may be waiting.
    pub(super) fn purge_holds(&mut self, budget: usize) -> Result<(usize, bool), StoreError> {
        use redb::ReadableMultimapTable;
        let mut doomed = Vec::new();
        'expiries: for entry in self.tables.hold_expiries.range(..=self.now)? {
            for id in entry?.1 {
                if doomed.len() == budget {
                    break 'expiries;
                }
                doomed.push(HoldId::from_u128(id?.value()));
            }
        }
        let more = doomed.len() == budget;
        for id in &doomed {
            if let Some(hold) = self.tables.hold(*id)? {
                self.tables.remove_hold(&hold)?;
            }
        }
        Ok((doomed.len(), more))
    }
}
