//! The use cases of the seed-compatible `/api` routes.

use super::{Error, Once, Readiness, Written};
use crate::domain::rules::is_expired;
use crate::domain::staff::Actor;
use crate::domain::{Millis, Phone, Show, ShowId, Ticket, TicketId};

/// A booking to make: `count` seats of the show starting at `starts_at`
/// (created if no show starts then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBooking {
    pub user_name: String,
    pub phone: Phone,
    pub count: u64,
    pub starts_at: Millis,
}

/// A ticket with the show it belongs to, as a booking or a move leaves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booked {
    pub ticket: Ticket,
    pub show: Show,
}

/// How to find a show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowKey {
    Id(ShowId),
    StartsAt(Millis),
}

/// A show with its tickets in booking order, read from one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowTickets {
    pub show: Show,
    pub tickets: Vec<Ticket>,
    /// Places live holds keep now.
    pub held: u32,
    /// The show's tickets have expired (trusted now >= start + `expire_after`).
    pub expired: bool,
}

impl ShowTickets {
    /// A show as read, with its tickets and the places its live holds
    /// keep, judged at `now`.
    pub fn at(
        show: Show,
        tickets: Vec<Ticket>,
        held: u32,
        expire_after: Millis,
        now: Millis,
    ) -> Self {
        Self {
            expired: is_expired(show.starts_at, expire_after, now),
            held,
            show,
            tickets,
        }
    }
}

/// What one purge step deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub shows: usize,
    pub tickets: usize,
    /// Holds that expired.
    pub holds: usize,
    /// Idempotency records past their time.
    pub answers: usize,
    /// Staff sessions that ended unused.
    pub sessions: usize,
    /// Wrong-password counts that slow no try any more.
    pub throttles: usize,
    /// The budget ran out: more expired records may be waiting.
    pub more: bool,
}

/// Every use case of the box office. Writes answer once durable; a refusal
/// or a failure changes nothing.
#[async_trait::async_trait]
pub trait Bookings: Send + Sync + 'static {
    /// Books seats, creating the show if none starts at that instant.
    async fn book(
        &self,
        booking: NewBooking,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error>;

    /// Moves a ticket to the show starting at `starts_at` (created if need
    /// be); it keeps its id.
    async fn move_ticket(
        &self,
        ticket: TicketId,
        starts_at: Millis,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error>;

    /// Deletes a ticket and frees its seats.
    async fn delete_ticket(
        &self,
        ticket: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    /// Deletes expired shows with their tickets, oldest first, then
    /// expired holds, idempotency records past their time, ended cooldowns,
    /// ended staff sessions and idle wrong-password counts, spending one
    /// unit of `budget` per record deleted.
    async fn purge_expired(&self, budget: usize) -> Result<PurgeReport, Error>;

    /// A ticket with its show.
    async fn ticket(&self, ticket: TicketId) -> Result<Option<Booked>, Error>;

    /// A ticket alone, for answers that need only its holder.
    async fn ticket_alone(&self, ticket: TicketId) -> Result<Option<Ticket>, Error>;

    /// A show with its tickets.
    async fn show(&self, key: ShowKey) -> Result<Option<ShowTickets>, Error>;

    /// Every show with its tickets, in start order, from one snapshot: for
    /// audits and tests.
    async fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, Error>;

    /// Whether writes can be taken now (cheap; for `/readyz`).
    fn readiness(&self) -> Readiness;

    /// What an operator should know that does not stop writes (a clock
    /// being distrusted), one sentence each; for `/readyz` and the log.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Takes an operator's word, left by `boxoffice clock trust`, that the
    /// wall clock is right, if there is one: the clock trusts it from now on.
    async fn take_clock_trust(&self) -> Result<(), Error> {
        Ok(())
    }
}
