//! The `/api` use cases — book by count at a start time on the default
//! screen (creating the show), move a ticket there, delete it — and the purge.

use redb::ReadableMultimapTable;

use super::{outcome, Batch, Failure, IdMinter, Outcome, Tables};
use crate::domain::prices::{Channel, TicketChoice};
use crate::domain::rules::{self, expiry_cutoff, Move};
use crate::domain::Reference;
use crate::domain::{Millis, Rules, ScreenId, Show, ShowId, Ticket, TicketId};
use crate::store::error::StoreError;
use crate::store::reads::missing_show;
use crate::usecases::prices::Sale;
use crate::usecases::{Booked, NewBooking, PurgeReport};

struct BookingPlan {
    show: Show,
    ticket: Ticket,
}

enum MovePlan {
    Stay(Ticket, Show),
    Between {
        ticket: Ticket,
        from: Show,
        to: Show,
    },
}

struct DeletePlan {
    ticket: Ticket,
    show: Show,
}

/// One expired show's share of a purge.
struct PurgeShow {
    /// The show as it will be (its count less the doomed tickets).
    show: Show,
    tickets: Vec<Ticket>,
    /// Every ticket of it goes, and there is budget for the show itself.
    whole: bool,
}

/// The default screen's show at `starts_at`, or a new empty one (not yet written).
fn show_or_new(
    tables: &Tables<'_>,
    rules: Rules,
    ids: &mut IdMinter,
    now: Millis,
    starts_at: Millis,
) -> Result<Show, StoreError> {
    match tables.show_starting_at(ScreenId::DEFAULT, starts_at)? {
        Some(show) => Ok(show),
        None => Ok(Show::empty(
            ShowId::from_u128(ids.next(now)?),
            starts_at,
            rules.capacity,
        )),
    }
}

impl Batch<'_, '_> {
    pub fn book(&mut self, booking: &NewBooking) -> Outcome<Booked> {
        let plan = plan_booking(&self.tables, self.rules, self.now, self.ids, booking);
        outcome(plan, |plan| self.apply_booking(plan))
    }

    fn apply_booking(
        &mut self,
        BookingPlan { show, mut ticket }: BookingPlan,
    ) -> Result<Booked, StoreError> {
        self.tables.put_show(&show)?;
        self.tables.add_ticket(&mut ticket)?;
        Ok(Booked { ticket, show })
    }

    pub fn move_ticket(&mut self, ticket: TicketId, starts_at: Millis) -> Outcome<Booked> {
        let plan = plan_move(
            &self.tables,
            self.rules,
            self.now,
            self.ids,
            ticket,
            starts_at,
        );
        outcome(plan, |plan| self.apply_move(plan))
    }

    fn apply_move(&mut self, plan: MovePlan) -> Result<Booked, StoreError> {
        let (ticket, from, to) = match plan {
            MovePlan::Stay(ticket, show) => return Ok(Booked { ticket, show }),
            MovePlan::Between { ticket, from, to } => (ticket, from, to),
        };
        self.tables.put_show(&from)?;
        self.tables.put_show(&to)?;
        self.tables.put_ticket(&ticket)?;
        self.tables.relist_ticket(ticket.id, from.id, to.id)?;
        Ok(Booked { ticket, show: to })
    }

    pub fn delete_ticket(&mut self, ticket: TicketId) -> Outcome<()> {
        let plan = plan_delete(&self.tables, ticket);
        outcome(plan, |plan| self.apply_delete(plan))
    }

    fn apply_delete(&mut self, DeletePlan { ticket, show }: DeletePlan) -> Result<(), StoreError> {
        self.tables.put_show(&show)?;
        self.tables.remove_ticket(&ticket)
    }

    /// Deletes shows whose tickets have expired, oldest first, with their
    /// tickets and holds; each deleted show or ticket spends one unit of
    /// `budget`, and a show goes only once all its tickets have. Then, with
    /// what is left of the budget, holds that expired and idempotency records
    /// past their time.
    ///
    /// It deletes by `at`, trusted time (never later than the batch's now),
    /// which it stores as the heartbeat a restart starts trusted time from.
    pub fn purge(&mut self, budget: usize, at: Millis) -> Result<PurgeReport, StoreError> {
        let at = at.min(self.now);
        self.heartbeat = Some(at);
        let cutoff = expiry_cutoff(at, self.rules.expire_after_ms);
        let (plan, more) = plan_purge(&self.tables, cutoff, budget)
            .map_err(|error| StoreError::Unplanned(Box::new(error)))?;
        let spent: usize = plan
            .iter()
            .map(|show| show.tickets.len() + usize::from(show.whole))
            .sum();
        let mut report = self.apply_purge(plan, more)?;
        let mut left = budget - spent;
        if !report.more {
            let (holds, more) = self.purge_holds(left, at)?;
            report.holds = holds;
            report.more = more;
            left -= holds;
        }
        if !report.more {
            let (answers, more) = self.purge_answers(left, at)?;
            report.answers = answers;
            report.more = more;
            left -= answers;
        }
        if !report.more {
            // Ended cooldowns are bookkeeping, not reported.
            let (cooldowns, more) = self.purge_cooldowns(left, at)?;
            report.more = more;
            left -= cooldowns;
        }
        if !report.more {
            let (sessions, more) = self.purge_sessions(left, at)?;
            report.sessions = sessions;
            report.more = more;
            left -= sessions;
        }
        if !report.more {
            let (throttles, more) = self.purge_throttles(left, at)?;
            report.throttles = throttles;
            report.more = more;
        }
        Ok(report)
    }

    fn apply_purge(&mut self, plan: Vec<PurgeShow>, more: bool) -> Result<PurgeReport, StoreError> {
        let mut report = PurgeReport {
            more,
            ..PurgeReport::default()
        };
        for PurgeShow {
            show,
            tickets,
            whole,
        } in plan
        {
            for ticket in &tickets {
                self.tables.remove_ticket(ticket)?;
            }
            report.tickets += tickets.len();
            if whole {
                self.tables.remove_show(&show)?;
                report.shows += 1;
            } else {
                self.tables.put_show(&show)?;
            }
        }
        Ok(report)
    }
}

fn plan_booking(
    tables: &Tables<'_>,
    rules: Rules,
    now: Millis,
    ids: &mut IdMinter,
    booking: &NewBooking,
) -> Result<BookingPlan, Failure> {
    let show = show_or_new(tables, rules, ids, now, booking.starts_at)?;
    let (_, held) = tables.held(&show, now)?;
    let (show, count) = rules::book(show, booking.count, held, now)?;
    // `/api` sells on the api channel, the card's first type there.
    let lines = tables.price(
        &Sale {
            show: &show,
            map: None,
            seats: &[],
            count,
            channel: Channel::Api,
            choice: &TicketChoice::Any,
        },
        rules,
    )?;
    let id = TicketId::from_u128(ids.next(now)?);
    let ticket = Ticket {
        id,
        show_id: show.id,
        user_name: booking.user_name.clone(),
        phone: booking.phone.clone(),
        count,
        seats: Vec::new(),
        created_at: now,
        reference: Reference::candidate(id.as_u128(), 0),
        lines,
    };
    Ok(BookingPlan { show, ticket })
}

/// An `/api` move always lands on the default screen: a ticket of a
/// seat-map show goes there by count and gives its seats back.
fn plan_move(
    tables: &Tables<'_>,
    rules: Rules,
    now: Millis,
    ids: &mut IdMinter,
    id: TicketId,
    starts_at: Millis,
) -> Result<MovePlan, Failure> {
    let (mut ticket, from) = tables.ticket_with_show(id)?;
    let to = if from.screen.is_default() && from.starts_at == starts_at {
        from.clone()
    } else {
        show_or_new(tables, rules, ids, now, starts_at)?
    };
    let (_, held_at_to) = tables.held(&to, now)?;
    Ok(
        match rules::move_ticket(&ticket, from, to, held_at_to, now, rules)? {
            Move::Stay(show) => MovePlan::Stay(ticket, show),
            Move::Between { from, to } => {
                ticket.show_id = to.id;
                ticket.seats.clear();
                // Its prices go with it, on places instead of seats.
                for line in &mut ticket.lines {
                    line.seat = None;
                }
                MovePlan::Between { ticket, from, to }
            }
        },
    )
}

fn plan_delete(tables: &Tables<'_>, id: TicketId) -> Result<DeletePlan, Failure> {
    let (ticket, show) = tables.ticket_with_show(id)?;
    let show = rules::delete(&ticket, show);
    Ok(DeletePlan { ticket, show })
}

fn plan_purge(
    tables: &Tables<'_>,
    cutoff: Millis,
    budget: usize,
) -> Result<(Vec<PurgeShow>, bool), StoreError> {
    let mut plan = Vec::new();
    let mut left = budget;
    for entry in tables.starts.range(..=cutoff)? {
        let (_, ids) = entry?;
        for id in ids {
            if left == 0 {
                return Ok((plan, true));
            }
            let id = ShowId::from_u128(id?.value());
            let mut show = tables.stored_show(id)?.ok_or_else(|| missing_show(id))?;
            let mut all = tables.show_tickets.get(id.as_u128())?;
            let mut doomed = Vec::new();
            for entry in all.by_ref().take(left) {
                let ticket = TicketId::from_u128(entry?.value());
                let ticket = crate::store::reads::read_ticket(&tables.tickets, ticket)?
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("show {id} lists missing ticket {ticket}"))
                    })?;
                doomed.push(ticket);
            }
            let every_ticket = all.next().is_none();
            left -= doomed.len();
            let whole = every_ticket && left > 0;
            if whole {
                left -= 1;
            } else {
                // The show stays for now: its count must lose the doomed tickets.
                for ticket in &doomed {
                    show = rules::delete(ticket, show);
                }
            }
            plan.push(PurgeShow {
                show,
                tickets: doomed,
                whole,
            });
            if !whole {
                return Ok((plan, true));
            }
        }
    }
    Ok((plan, left == 0))
}
