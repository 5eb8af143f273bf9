//! The use cases on redb: writes through the single writer, reads on
//! tokio's blocking pool, so a commit or a cold page cache never blocks an
//! async worker.

use std::sync::Arc;
use std::thread::JoinHandle;

use super::error::StoreError;
use super::writer::{OnDeath, Writer, WriterSettings};
use super::Store;
use crate::bookings::{
    Booked, Bookings, Error, NewBooking, PurgeReport, Readiness, ShowKey, ShowTickets,
};
use crate::clock::SharedClock;
use crate::domain::rules::is_expired;
use crate::domain::{Millis, Show, Ticket, TicketId};

pub struct RedbBookings {
    store: Arc<Store>,
    writer: Writer,
    clock: SharedClock,
}

impl RedbBookings {
    /// Starts the writer on `store`. The returned thread ends once this (and
    /// so the writer's last handle) is dropped; join it so that the database
    /// closes cleanly before the process exits.
    pub fn start(
        store: Store,
        clock: SharedClock,
        settings: WriterSettings,
        on_death: OnDeath,
    ) -> (Self, JoinHandle<()>) {
        let store = Arc::new(store);
        let (writer, thread) =
            Writer::start(Arc::clone(&store), Arc::clone(&clock), settings, on_death);
        (
            Self {
                store,
                writer,
                clock,
            },
            thread,
        )
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Error> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || read(&store))
            .await
            .map_err(Error::storage)?
            .map_err(Error::storage)
    }
}

#[async_trait::async_trait]
impl Bookings for RedbBookings {
    async fn book(&self, booking: NewBooking) -> Result<Booked, Error> {
        self.writer.write(move |batch| batch.book(&booking)).await
    }

    async fn move_ticket(&self, ticket: TicketId, starts_at: Millis) -> Result<Booked, Error> {
        self.writer
            .write(move |batch| batch.move_ticket(ticket, starts_at))
            .await
    }

    async fn delete_ticket(&self, ticket: TicketId) -> Result<(), Error> {
        self.writer
            .write(move |batch| batch.delete_ticket(ticket))
            .await
    }

    async fn purge_expired(&self, budget: usize) -> Result<PurgeReport, Error> {
        self.writer
            .write(move |batch| batch.purge(budget).map(Ok))
            .await
    }

    async fn ticket(&self, ticket: TicketId) -> Result<Option<Booked>, Error> {
        let found = self.read(move |store| store.ticket(ticket)).await?;
        Ok(found.map(|(ticket, show)| Booked { ticket, show }))
    }

    async fn ticket_alone(&self, ticket: TicketId) -> Result<Option<Ticket>, Error> {
        self.read(move |store| store.ticket_alone(ticket)).await
    }

    async fn show(&self, key: ShowKey) -> Result<Option<ShowTickets>, Error> {
        let found = self.read(move |store| store.show_with_tickets(key)).await?;
        let expire_after = self.store.rules().expire_after_ms;
        let now = self.clock.now();
        Ok(found.map(|(show, tickets)| ShowTickets {
            expired: is_expired(show.starts_at, expire_after, now),
            show,
            tickets,
        }))
    }

    async fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, Error> {
        self.read(Store::all_shows).await
    }

    fn readiness(&self) -> Readiness {
        let waiting = self.writer.waiting();
        if waiting >= self.writer.queue_limit() {
            Readiness::NotReady(format!(
                "the write queue is full ({waiting} writes waiting)"
            ))
        } else {
            Readiness::Ready
        }
    }
}
