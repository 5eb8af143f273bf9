//! Holds: seats kept for a customer until they confirm or the hold expires.
//! They live in the same transactions as bookings, and every sale counts the
//! live ones, so no seat is ever in two live bookings or holds.

use std::sync::Arc;

use super::sales::{party, Sold};
use super::{outcome, Batch, Failure, Outcome};
use crate::domain::cinema::Screen;
use crate::domain::holds::{expiry, extended_expiry, Hold};
use crate::domain::limits::{allowance, cooldown_after_release, pick_held_seats};
use crate::domain::sales::{ensure_on_sale, sell_held};
use crate::domain::seating::SeatSet;
use crate::domain::Reference;
use crate::domain::{HoldId, Millis, Refusal, Show, Ticket, TicketId};
use crate::store::error::StoreError;
use crate::usecases::cinema::SeatRequest;
use crate::usecases::holds::{Confirmation, NewHold};
use crate::usecases::prices::{confirmed_lines, Sale};

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
            let allowance = match new.client {
                Some(client) => Some(allowance(
                    self.rules.limits,
                    self.now,
                    (
                        show.id,
                        show.capacity,
                        kept_seats.as_ref().map(SeatSet::map_len),
                    ),
                    &self.tables.holds_of_client(client)?,
                    &self.tables.cooldowns_of(client, show.id)?,
                )?),
                None => None,
            };
            let seats = pick_held_seats(
                &show,
                screen.layout.seat_map(),
                party(&new.seats),
                (kept_seats.as_ref(), kept_count),
                allowance.as_ref(),
                self.now,
            )?;
            let count = match &new.seats {
                SeatRequest::Count(count) => *count,
                SeatRequest::Named(_) => u32::try_from(seats.len()).unwrap_or(u32::MAX),
            };
            let lines = self.tables.price(
                &Sale {
                    show: &show,
                    map: screen.layout.seat_map(),
                    seats: &seats,
                    count,
                    channel: new.channel,
                    choice: &new.tickets,
                },
                self.rules,
            )?;
            let hold = Hold {
                id: HoldId::from_u128(self.ids.next(self.now)?),
                show_id: show.id,
                seats,
                count,
                expires_at: expiry(self.now, new.hold_for_ms, self.rules, show.starts_at),
                created_at: self.now,
                client: new.client,
                lines,
            };
            Ok(Held { hold, screen })
        })();
        outcome(plan, |held| {
            self.tables.add_hold(&held.hold)?;
            Ok(held)
        })
    }

    /// Releases a hold; one that expired is released all the same. A
    /// limited client's seats stay out of its own reach for the cooldown.
    pub fn release_hold(&mut self, id: HoldId) -> Outcome<()> {
        let plan = self
            .tables
            .hold(id)
            .map_err(Failure::from)
            .and_then(|hold| hold.ok_or(Failure::Refused(Refusal::HoldNotFound)));
        let (now, limits) = (self.now, self.rules.limits);
        outcome(plan, |hold| {
            self.tables.remove_hold(&hold)?;
            if let Some(cooldown) = cooldown_after_release(&hold, now, limits) {
                self.tables.put_cooldown(&cooldown)?;
            }
            Ok(())
        })
    }

    /// More time for a live hold (see `extended_expiry`).
    pub fn extend_hold(&mut self, id: HoldId, hold_for_ms: i64) -> Outcome<Held> {
        let plan = (|| -> Result<(Hold, Held), Failure> {
            let old = self.tables.hold(id)?.ok_or(Refusal::HoldNotFound)?;
            if !old.is_live(self.now) {
                return Err(Refusal::HoldExpired.into());
            }
            let show = self.tables.show(old.show_id)?;
            let screen = self.tables.screen_of(&show, self.rules)?;
            let hold = Hold {
                expires_at: extended_expiry(
                    &old,
                    self.now,
                    hold_for_ms,
                    self.rules,
                    show.starts_at,
                ),
                ..old.clone()
            };
            Ok((old, Held { hold, screen }))
        })();
        outcome(plan, |(old, held)| {
            self.tables.remove_hold(&old)?;
            self.tables.add_hold(&held.hold)?;
            Ok(held)
        })
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
            let lines = confirmed_lines(&hold.lines, &confirmation.tickets, || {
                self.tables.price(
                    &Sale {
                        show: &show,
                        map: screen.layout.seat_map(),
                        seats: &hold.seats,
                        count: hold.count,
                        channel: confirmation.channel,
                        choice: &confirmation.tickets,
                    },
                    self.rules,
                )
            })?;
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
                lines,
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
    /// A hold is kept `hold_cooldown` past its expiry: until then its seats
    /// are out of its client's reach. Expiry is judged by `at`, the purge's
    /// trusted time.
    pub(super) fn purge_holds(
        &mut self,
        budget: usize,
        at: Millis,
    ) -> Result<(usize, bool), StoreError> {
        use redb::ReadableMultimapTable;
        let cutoff = at.saturating_sub(self.rules.limits.hold_cooldown_ms);
        let mut doomed = Vec::new();
        'expiries: for entry in self.tables.hold_expiries.range(..=cutoff)? {
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

impl Batch<'_, '_> {
    /// Deletes up to `budget` cooldowns that ended, oldest first; whether
    /// more may be waiting.
    pub(super) fn purge_cooldowns(
        &mut self,
        budget: usize,
        at: Millis,
    ) -> Result<(usize, bool), StoreError> {
        use redb::ReadableMultimapTable;
        let mut doomed: Vec<(i64, Vec<u8>)> = Vec::new();
        'ends: for entry in self.tables.cooldown_ends.range(..=at)? {
            let (end, keys) = entry?;
            for key in keys {
                if doomed.len() == budget {
                    break 'ends;
                }
                doomed.push((end.value(), key?.value().to_vec()));
            }
        }
        let more = doomed.len() == budget;
        for (end, key) in &doomed {
            self.tables.cooldown_ends.remove(*end, key.as_slice())?;
            self.tables.cooldowns.remove(key.as_slice())?;
        }
        Ok((doomed.len(), more))
    }
}
