//! Writes: every use case first plans — reads and decides, and may refuse —
//! with the tables borrowed read-only, then applies the plan, which only
//! writes and cannot refuse. So a refusal writes nothing, by construction.
//! Several use cases share one [`Batch`], and so one commit.

use redb::{MultimapTable, ReadableMultimapTable, ReadableTable, Table, WriteTransaction};

use super::codec::{encode_show, encode_ticket};
use super::error::StoreError;
use super::reads::{dangling, missing_show, read_show, read_ticket};
use super::tables::{
    SHOW_ID_TO_SHOW, SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_ID, TICKET_ID_TO_TICKET,
};
use crate::bookings::{Booked, NewBooking, PurgeReport};
use crate::domain::rules::{self, expiry_cutoff, Move};
use crate::domain::{Millis, Refusal, Rules, Show, ShowId, Ticket, TicketId};

/// Mints ids in increasing order, so a show's tickets sort in booking order
/// even within one millisecond, and even after the system clock stepped back.
#[derive(Default)]
pub struct IdMinter {
    generator: ulid::Generator,
    last: u128,
}

impl IdMinter {
    /// A minter whose ids all sort after `last`.
    pub fn after(last: u128) -> Self {
        Self {
            generator: ulid::Generator::new(),
            last,
        }
    }

    fn next(&mut self) -> Result<u128, StoreError> {
        let fresh = self
            .generator
            .generate()
            .map_err(|error| StoreError::Corrupt(format!("cannot mint an id: {error}")))?
            .0;
        let id = if fresh > self.last {
            fresh
        } else {
            self.last
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt("no ids left to mint".into()))?
        };
        self.last = id;
        Ok(id)
    }
}

/// Why planning stopped: the rules refused (nothing to write), or storage
/// failed (the whole transaction must go).
enum Failure {
    Refused(Refusal),
    Storage(StoreError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl<E: Into<StoreError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::Storage(error.into())
    }
}

/// A use case's answer inside a batch: refused, or done (once committed).
pub type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

fn outcome<T, P>(
    plan: Result<P, Failure>,
    apply: impl FnOnce(P) -> Result<T, StoreError>,
) -> Outcome<T> {
    match plan {
        Ok(plan) => apply(plan).map(Ok),
        Err(Failure::Refused(refusal)) => Ok(Err(refusal)),
        Err(Failure::Storage(error)) => Err(error),
    }
}

/// The tables of one write transaction, opened once for a whole batch.
pub(super) struct Tables<'txn> {
    shows: Table<'txn, u128, &'static [u8]>,
    starts: Table<'txn, i64, u128>,
    tickets: Table<'txn, u128, &'static [u8]>,
    show_tickets: MultimapTable<'txn, u128, u128>,
}

impl<'txn> Tables<'txn> {
    pub(super) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            shows: txn.open_table(SHOW_ID_TO_SHOW)?,
            starts: txn.open_table(SHOW_START_TO_SHOW_ID)?,
            tickets: txn.open_table(TICKET_ID_TO_TICKET)?,
            show_tickets: txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?,
        })
    }

    fn show_starting_at(&self, starts_at: Millis) -> Result<Option<Show>, StoreError> {
        let Some(id) = self.starts.get(starts_at)? else {
            return Ok(None);
        };
        let id = ShowId::from_u128(id.value());
        read_show(&self.shows, id)?
            .map(Some)
            .ok_or_else(|| missing_show(id))
    }

    fn ticket_with_show(&self, id: TicketId) -> Result<(Ticket, Show), Failure> {
        let ticket = read_ticket(&self.tickets, id)?.ok_or(Refusal::TicketNotFound)?;
        let show = read_show(&self.shows, ticket.show_id)?.ok_or_else(|| dangling(&ticket))?;
        Ok((ticket, show))
    }

    /// Writes a show; a new one also goes into the start index.
    fn put_show(&mut self, show: &Show) -> Result<(), StoreError> {
        let is_new = self
            .shows
            .insert(show.id.as_u128(), encode_show(show).as_slice())?
            .is_none();
        if is_new {
            self.starts.insert(show.starts_at, show.id.as_u128())?;
        }
        Ok(())
    }

    fn put_ticket(&mut self, ticket: &Ticket) -> Result<(), StoreError> {
        self.tickets
            .insert(ticket.id.as_u128(), encode_ticket(ticket).as_slice())?;
        Ok(())
    }
}

/// Several use cases inside one write transaction, at one "now".
pub struct Batch<'txn, 'ids> {
    tables: Tables<'txn>,
    rules: Rules,
    now: Millis,
    ids: &'ids mut IdMinter,
}

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
    tickets: Vec<TicketId>,
    /// Every ticket of it goes, and there is budget for the show itself.
    whole: bool,
}

impl<'txn, 'ids> Batch<'txn, 'ids> {
    pub(super) fn new(
        tables: Tables<'txn>,
        rules: Rules,
        now: Millis,
        ids: &'ids mut IdMinter,
    ) -> Self {
        Self {
            tables,
            rules,
            now,
            ids,
        }
    }

    /// The show at `starts_at`, or a new empty one (not yet written).
    fn show_or_new(
        tables: &Tables<'_>,
        rules: Rules,
        ids: &mut IdMinter,
        starts_at: Millis,
    ) -> Result<Show, StoreError> {
        match tables.show_starting_at(starts_at)? {
            Some(show) => Ok(show),
            None => Ok(Show::empty(
                ShowId::from_u128(ids.next()?),
                starts_at,
                rules.capacity,
            )),
        }
    }

    pub fn book(&mut self, booking: &NewBooking) -> Outcome<Booked> {
        let plan = Self::plan_booking(&self.tables, self.rules, self.now, self.ids, booking);
        outcome(plan, |plan| self.apply_booking(plan))
    }

    fn plan_booking(
        tables: &Tables<'_>,
        rules: Rules,
        now: Millis,
        ids: &mut IdMinter,
        booking: &NewBooking,
    ) -> Result<BookingPlan, Failure> {
        let show = Self::show_or_new(tables, rules, ids, booking.starts_at)?;
        let (show, count) = rules::book(show, booking.count, now)?;
        let ticket = Ticket {
            id: TicketId::from_u128(ids.next()?),
            show_id: show.id,
            user_name: booking.user_name.clone(),
            phone: booking.phone.clone(),
            count,
        };
        Ok(BookingPlan { show, ticket })
    }

    fn apply_booking(
        &mut self,
        BookingPlan { show, ticket }: BookingPlan,
    ) -> Result<Booked, StoreError> {
        self.tables.put_show(&show)?;
        self.tables.put_ticket(&ticket)?;
        self.tables
            .show_tickets
            .insert(show.id.as_u128(), ticket.id.as_u128())?;
        Ok(Booked { ticket, show })
    }

    pub fn move_ticket(&mut self, ticket: TicketId, starts_at: Millis) -> Outcome<Booked> {
        let plan = Self::plan_move(
            &self.tables,
            self.rules,
            self.now,
            self.ids,
            ticket,
            starts_at,
        );
        outcome(plan, |plan| self.apply_move(plan))
    }

    fn plan_move(
        tables: &Tables<'_>,
        rules: Rules,
        now: Millis,
        ids: &mut IdMinter,
        id: TicketId,
        starts_at: Millis,
    ) -> Result<MovePlan, Failure> {
        let (mut ticket, from) = tables.ticket_with_show(id)?;
        let to = if from.starts_at == starts_at {
            from.clone()
        } else {
            Self::show_or_new(tables, rules, ids, starts_at)?
        };
        Ok(match rules::move_ticket(&ticket, from, to, now, rules)? {
            Move::Stay(show) => MovePlan::Stay(ticket, show),
            Move::Between { from, to } => {
                ticket.show_id = to.id;
                MovePlan::Between { ticket, from, to }
            }
        })
    }

    fn apply_move(&mut self, plan: MovePlan) -> Result<Booked, StoreError> {
        let (ticket, from, to) = match plan {
            MovePlan::Stay(ticket, show) => return Ok(Booked { ticket, show }),
            MovePlan::Between { ticket, from, to } => (ticket, from, to),
        };
        self.tables.put_show(&from)?;
        self.tables.put_show(&to)?;
        self.tables.put_ticket(&ticket)?;
        let id = ticket.id.as_u128();
        self.tables.show_tickets.remove(from.id.as_u128(), id)?;
        self.tables.show_tickets.insert(to.id.as_u128(), id)?;
        Ok(Booked { ticket, show: to })
    }

    pub fn delete_ticket(&mut self, ticket: TicketId) -> Outcome<()> {
        let plan = Self::plan_delete(&self.tables, ticket);
        outcome(plan, |plan| self.apply_delete(plan))
    }

    fn plan_delete(tables: &Tables<'_>, id: TicketId) -> Result<DeletePlan, Failure> {
        let (ticket, show) = tables.ticket_with_show(id)?;
        let show = rules::delete(&ticket, show);
        Ok(DeletePlan { ticket, show })
    }

    fn apply_delete(&mut self, DeletePlan { ticket, show }: DeletePlan) -> Result<(), StoreError> {
        self.tables.put_show(&show)?;
        self.tables.tickets.remove(ticket.id.as_u128())?;
        self.tables
            .show_tickets
            .remove(show.id.as_u128(), ticket.id.as_u128())?;
        Ok(())
    }

    /// Deletes shows whose tickets have expired, oldest first, with their
    /// tickets; each deleted show or ticket spends one unit of `budget`, and a
    /// show goes only once all its tickets have.
    pub fn purge(&mut self, budget: usize) -> Result<PurgeReport, StoreError> {
        let cutoff = expiry_cutoff(self.now, self.rules.expire_after_ms);
        let (plan, more) = Self::plan_purge(&self.tables, cutoff, budget)?;
        self.apply_purge(plan, more)
    }

    fn plan_purge(
        tables: &Tables<'_>,
        cutoff: Millis,
        budget: usize,
    ) -> Result<(Vec<PurgeShow>, bool), StoreError> {
        let mut plan = Vec::new();
        let mut left = budget;
        for entry in tables.starts.range(..=cutoff)? {
            if left == 0 {
                return Ok((plan, true));
            }
            let id = ShowId::from_u128(entry?.1.value());
            let mut show = read_show(&tables.shows, id)?.ok_or_else(|| missing_show(id))?;
            let mut all = tables.show_tickets.get(id.as_u128())?;
            let mut doomed = Vec::new();
            for entry in all.by_ref().take(left) {
                doomed.push(TicketId::from_u128(entry?.value()));
            }
            let every_ticket = all.next().is_none();
            left -= doomed.len();
            let whole = every_ticket && left > 0;
            if whole {
                left -= 1;
            } else {
                // The show stays for now: its count must lose the doomed tickets.
                for ticket in &doomed {
                    let count = read_ticket(&tables.tickets, *ticket)?.map_or(0, |t| t.count);
                    show.sold = show.sold.saturating_sub(count);
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
        Ok((plan, left == 0))
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
            let key = show.id.as_u128();
            for ticket in &tickets {
                self.tables.tickets.remove(ticket.as_u128())?;
            }
            report.tickets += tickets.len();
            if whole {
                self.tables.show_tickets.remove_all(key)?;
                self.tables.shows.remove(key)?;
                self.tables.starts.remove(show.starts_at)?;
                report.shows += 1;
            } else {
                for ticket in &tickets {
                    self.tables.show_tickets.remove(key, ticket.as_u128())?;
                }
                self.tables.put_show(&show)?;
            }
        }
        Ok(report)
    }
}
