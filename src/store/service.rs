//! The use cases on redb: writes through the single writer, reads on the
//! store's reader threads, so a commit or a cold page cache never blocks an
//! async worker.

use std::sync::Arc;
use std::thread::JoinHandle;

use super::error::{unavailability, StoreError};
use super::readers::Readers;
use super::writer::{OnDeath, Writer, WriterSettings};
use super::writes::{Batch, Held, Outcome, Sold};
use super::Store;
use crate::clock::SharedClock;
use crate::domain::cinema::{Film, Screen};
use crate::domain::holds::{HeldNow, Hold};
use crate::domain::price_book::PriceBook;
use crate::domain::prices::{PriceCard, TicketType};
use crate::domain::seating::SeatSet;
use crate::domain::staff::{Account, Actor, ApiKey, Audit, AuditEntry, Login, Session, Throttle};
use crate::domain::Reference;
use crate::domain::Refusal;
use crate::domain::{FilmId, HoldId, Millis, Phone, ScreenId, Show, ShowId, Ticket, TicketId};
use crate::domain::{PriceCardId, TicketTypeId};
use crate::metrics::Metrics;
use crate::usecases::audit;
use crate::usecases::cinema::{
    line_views, Booking, BookingMove, Cinema, FilmPatch, NewFilm, NewScreen, NewSeatBooking,
    NewShow, ScreenPatch, SeatState, ShowFilter, ShowSeats, ShowView,
};
use crate::usecases::holds::{Confirmation, HoldView, Holds, NewHold};
use crate::usecases::prices::{
    changes, page_of, NewPriceCard, NewTicketType, PriceCardPatch, Prices, ShowPrices,
    TicketTypePatch,
};
use crate::usecases::staff::{AccountPatch, AuditFilter, NewAccount, NewKey, SignInState, Staff};
use crate::usecases::{
    Booked, Bookings, Error, NewBooking, Once, Page, PageRequest, PurgeReport, Readiness, ShowKey,
    ShowTickets, Written,
};

/// Reader threads: reads of a warm cache take microseconds, so two keep up
/// with the HTTP side on a small machine; the others let reads that wait on
/// the disk overlap.
const READERS: usize = 4;

pub struct RedbBookings {
    store: Arc<Store>,
    readers: Readers,
    writer: Writer,
    clock: SharedClock,
    metrics: Arc<Metrics>,
}

/// Counts a use case's answer in `metrics` when it ran now: a refusal, a
/// failure or a replay of a stored answer counts nothing.
fn count<T>(
    written: Result<Written<T>, Error>,
    counted: impl FnOnce(),
) -> Result<Written<T>, Error> {
    if let Ok(Written::Fresh(_)) = &written {
        counted();
    }
    written
}

/// A use case's outcome, its audit entry written in the same batch when
/// it made its change.
fn audited<T>(
    batch: &mut Batch<'_, '_>,
    done: Outcome<T>,
    audit: impl FnOnce(&T) -> Audit,
) -> Outcome<T> {
    let done = done?;
    if let Ok(value) = &done {
        batch.audit(audit(value))?;
    }
    Ok(done)
}

impl RedbBookings {
    /// A change of the price book (`change` gets a fresh id), audited in its
    /// transaction as `action` on the record `subject` names.
    async fn change_price_book<T: Send + 'static>(
        &self,
        actor: &Actor,
        action: &'static str,
        change: impl FnOnce(&mut PriceBook, u128) -> Result<T, Refusal> + Send + 'static,
        subject: impl FnOnce(&T) -> String + Send + 'static,
        once: Once<T>,
    ) -> Result<Written<T>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.change_prices(change);
                    audited(batch, done, |made| {
                        audit::record(&actor, action, subject(made))
                    })
                },
                once,
            )
            .await
    }
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
        Self::start_measured(store, clock, settings, on_death, Arc::default())
    }

    /// Like [`RedbBookings::start`], counting commits, the queue, bookings,
    /// holds, cancellations and purges in `metrics`.
    pub fn start_measured(
        store: Store,
        clock: SharedClock,
        settings: WriterSettings,
        on_death: OnDeath,
        metrics: Arc<Metrics>,
    ) -> (Self, JoinHandle<()>) {
        let store = Arc::new(store);
        let (writer, thread) = Writer::start_measured(
            Arc::clone(&store),
            Arc::clone(&clock),
            settings,
            on_death,
            Arc::clone(&metrics),
        );
        let readers = Readers::start(&store, READERS);
        (
            Self {
                store,
                readers,
                writer,
                clock,
                metrics,
            },
            thread,
        )
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Runs a read on one of the store's reader threads, so that a cold page
    /// cache never stalls an async worker.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Error> {
        let result = self.readers.read(read).await.map_err(Error::storage)?;
        result.map_err(|error| match unavailability(&error) {
            Some(cause) => Error::Unavailable {
                cause,
                source: Box::new(error),
            },
            None => Error::storage(error),
        })
    }
}

#[async_trait::async_trait]
impl Bookings for RedbBookings {
    async fn book(
        &self,
        booking: NewBooking,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error> {
        let actor = actor.clone();
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let done = batch.book(&booking);
                    audited(batch, done, |booked| {
                        audit::sale(&actor, audit::BOOKING_CREATE, &booked.ticket)
                    })
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }

    async fn move_ticket(
        &self,
        ticket: TicketId,
        starts_at: Millis,
        actor: &Actor,
        once: Once<Booked>,
    ) -> Result<Written<Booked>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.move_ticket(ticket, starts_at);
                    audited(batch, done, |booked| {
                        audit::sale(&actor, audit::BOOKING_MOVE, &booked.ticket)
                    })
                },
                once,
            )
            .await
    }

    async fn delete_ticket(
        &self,
        ticket: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let done = batch.delete_ticket(ticket);
                    audited(batch, done, |()| audit::cancelled(&actor, ticket))
                },
                once,
            )
            .await;
        count(written, || self.metrics.cancelled())
    }

    async fn purge_expired(&self, budget: usize) -> Result<PurgeReport, Error> {
        // An unusable clock deletes nothing (and the writer refuses the
        // batch anyway).
        let at = self.clock.purge_now().unwrap_or(Millis::MIN);
        let report = self
            .writer
            .write(move |batch| batch.purge(budget, at).map(Ok))
            .await?;
        self.metrics.purged(&report);
        Ok(report)
    }

    async fn ticket(&self, ticket: TicketId) -> Result<Option<Booked>, Error> {
        let found = self.read(move |store| store.ticket(ticket)).await?;
        Ok(found.map(|(ticket, show)| Booked { ticket, show }))
    }

    async fn ticket_alone(&self, ticket: TicketId) -> Result<Option<Ticket>, Error> {
        self.read(move |store| store.ticket_alone(ticket)).await
    }

    async fn show(&self, key: ShowKey) -> Result<Option<ShowTickets>, Error> {
        let now = self.clock.now_or_last();
        let found = self
            .read(move |store| store.show_with_tickets(key, now))
            .await?;
        let expire_after = self.store.rules().expire_after_ms;
        Ok(found.map(|(show, tickets, holds)| {
            ShowTickets::at(show, tickets, holds.count, expire_after, now)
        }))
    }

    async fn all_shows(&self) -> Result<Vec<(Show, Vec<Ticket>)>, Error> {
        self.read(Store::all_shows).await
    }

    fn warnings(&self) -> Vec<String> {
        self.clock.warnings()
    }

    async fn take_clock_trust(&self) -> Result<(), Error> {
        if self.store.take_clock_trust() {
            self.clock.trust();
        }
        Ok(())
    }

    fn readiness(&self) -> Readiness {
        if let Some(cause) = self.writer.failing() {
            return Readiness::NotReady(format!("the database cannot take writes: {cause}"));
        }
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

/// A show's counts at `now`: what live holds keep is neither sold nor
/// available.
pub(crate) fn show_view(show: Show, held: &HeldNow) -> ShowView {
    let held = held.count;
    ShowView {
        available: show.capacity.saturating_sub(show.sold).saturating_sub(held),
        held,
        show,
    }
}

pub(crate) fn hold_view(hold: &Hold, screen: &Screen, now: Millis) -> HoldView {
    let seats = match screen.layout.seat_map() {
        Some(map) => hold
            .seats
            .iter()
            .filter_map(|seat| map.name(*seat))
            .collect(),
        None => Vec::new(),
    };
    HoldView {
        id: hold.id,
        show: hold.show_id,
        seats,
        count: hold.count,
        expires_at: hold.expires_at,
        seconds_left: hold.seconds_left(now),
        expired: !hold.is_live(now),
        lines: line_views(&hold.lines, screen.layout.seat_map()),
    }
}

/// A ticket as `/v1` shows it, its seats named on `screen`.
pub(crate) fn booking_view(ticket: Ticket, screen: &Screen) -> Booking {
    let seats = match screen.layout.seat_map() {
        Some(map) => ticket
            .seats
            .iter()
            .filter_map(|seat| map.name(*seat))
            .collect(),
        None => Vec::new(),
    };
    Booking {
        id: ticket.id,
        show: ticket.show_id,
        seats,
        count: ticket.count,
        lines: line_views(&ticket.lines, screen.layout.seat_map()),
        user_name: ticket.user_name,
        phone: ticket.phone,
        created_at: ticket.created_at,
        reference: ticket.reference,
    }
}

fn sold_view(Sold { ticket, screen }: Sold) -> Booking {
    booking_view(ticket, &screen)
}

/// Every seat of `show` in row order, with its state at `now`.
pub(crate) fn show_seats(show: &Show, screen: Arc<Screen>, held: &HeldNow) -> ShowSeats {
    let Some(map) = screen.layout.seat_map() else {
        return ShowSeats {
            screen,
            states: Vec::new(),
        };
    };
    let none = SeatSet::new(map.len());
    let sold = show.sold_seats.as_ref().unwrap_or(&none);
    let held = held.seats.as_ref().unwrap_or(&none);
    let states = map
        .iter()
        .map(|(index, _, seat)| {
            if seat.blocked {
                SeatState::Blocked
            } else if sold.contains(index) {
                SeatState::Sold
            } else if held.contains(index) {
                SeatState::Held
            } else {
                SeatState::Free
            }
        })
        .collect();
    ShowSeats { screen, states }
}

#[async_trait::async_trait]
impl Cinema for RedbBookings {
    async fn create_screen(
        &self,
        screen: NewScreen,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.create_screen(&screen);
                    audited(batch, done, |screen| {
                        audit::record(&actor, audit::SCREEN_CREATE, screen.id)
                    })
                },
                once,
            )
            .await
    }

    async fn screen(&self, id: ScreenId) -> Result<Option<Screen>, Error> {
        self.read(move |store| store.screen(id)).await
    }

    async fn screens(&self, page: PageRequest) -> Result<Page<Screen>, Error> {
        self.read(move |store| store.screens(page)).await
    }

    async fn update_screen(
        &self,
        id: ScreenId,
        patch: ScreenPatch,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.update_screen(id, &patch);
                    audited(batch, done, |_| {
                        audit::record(&actor, audit::screen_update(&patch), id)
                    })
                },
                once,
            )
            .await
    }

    async fn delete_screen(
        &self,
        id: ScreenId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.delete_screen(id);
                    audited(batch, done, |()| {
                        audit::record(&actor, audit::SCREEN_DELETE, id)
                    })
                },
                once,
            )
            .await
    }

    async fn create_film(
        &self,
        film: NewFilm,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.create_film(&film);
                    audited(batch, done, |film| {
                        audit::record(&actor, audit::FILM_CREATE, film.id)
                    })
                },
                once,
            )
            .await
    }

    async fn film(&self, id: FilmId) -> Result<Option<Film>, Error> {
        self.read(move |store| store.film(id)).await
    }

    async fn films(&self, page: PageRequest) -> Result<Page<Film>, Error> {
        self.read(move |store| store.films(page)).await
    }

    async fn update_film(
        &self,
        id: FilmId,
        patch: FilmPatch,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.update_film(id, &patch);
                    audited(batch, done, |_| {
                        audit::record(&actor, audit::FILM_UPDATE, id)
                    })
                },
                once,
            )
            .await
    }

    async fn delete_film(
        &self,
        id: FilmId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.delete_film(id);
                    audited(batch, done, |()| {
                        audit::record(&actor, audit::FILM_DELETE, id)
                    })
                },
                once,
            )
            .await
    }

    async fn create_show(
        &self,
        show: NewShow,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.create_show(&show);
                    Ok(audited(batch, done, |show| {
                        audit::record(&actor, audit::SHOW_CREATE, show.id)
                    })?
                    .map(|show| show_view(show, &HeldNow::nothing())))
                },
                once,
            )
            .await
    }

    async fn set_show_card(
        &self,
        id: ShowId,
        card: Option<PriceCardId>,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.set_show_card(id, card);
                    audited(batch, done, |_| audit::show_card(&actor, id, card))
                },
                once,
            )
            .await
    }

    async fn show_view(&self, id: ShowId) -> Result<Option<ShowView>, Error> {
        let now = self.clock.now_or_last();
        let found = self.read(move |store| store.show(id, now)).await?;
        Ok(found.map(|(show, held)| show_view(show, &held)))
    }

    async fn shows(&self, filter: ShowFilter, page: PageRequest) -> Result<Page<ShowView>, Error> {
        let now = self.clock.now_or_last();
        let found = self
            .read(move |store| store.shows(filter, page, now))
            .await?;
        Ok(found.map(|(show, held)| show_view(show, &held)))
    }

    async fn delete_show(
        &self,
        id: ShowId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.delete_show(id);
                    audited(batch, done, |()| {
                        audit::record(&actor, audit::SHOW_DELETE, id)
                    })
                },
                once,
            )
            .await
    }

    async fn seats(&self, show: ShowId) -> Result<Option<ShowSeats>, Error> {
        let now = self.clock.now_or_last();
        let found = self
            .read(move |store| store.show_on_screen(show, now))
            .await?;
        Ok(found.map(|(show, screen, held)| show_seats(&show, screen, &held)))
    }

    async fn show_bookings(
        &self,
        show: ShowId,
        page: PageRequest,
    ) -> Result<Option<Page<Booking>>, Error> {
        let found = self
            .read(move |store| store.show_tickets(show, page))
            .await?;
        Ok(found.map(|(screen, page)| page.map(|ticket| booking_view(ticket, &screen))))
    }

    async fn create_booking(
        &self,
        booking: NewSeatBooking,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        let actor = actor.clone();
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let done = batch.create_booking(&booking);
                    Ok(audited(batch, done, |sold| {
                        audit::sale(&actor, audit::BOOKING_CREATE, &sold.ticket)
                    })?
                    .map(sold_view))
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }

    async fn booking(&self, id: TicketId) -> Result<Option<Booking>, Error> {
        let found = self.read(move |store| store.ticket_on_screen(id)).await?;
        Ok(found.map(|(ticket, screen)| booking_view(ticket, &screen)))
    }

    async fn move_booking(
        &self,
        id: TicketId,
        to: BookingMove,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| {
                    let done = batch.move_booking(id, &to);
                    Ok(audited(batch, done, |sold| {
                        audit::sale(&actor, audit::BOOKING_MOVE, &sold.ticket)
                    })?
                    .map(sold_view))
                },
                once,
            )
            .await
    }

    async fn cancel_booking(
        &self,
        id: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let done = batch.cancel_booking(id);
                    audited(batch, done, |()| audit::cancelled(&actor, id))
                },
                once,
            )
            .await;
        count(written, || self.metrics.cancelled())
    }

    async fn search_bookings(&self, phone: Phone) -> Result<Vec<Booking>, Error> {
        let found = self
            .read(move |store| store.tickets_with_phone(&phone))
            .await?;
        Ok(found
            .into_iter()
            .map(|(ticket, screen)| booking_view(ticket, &screen))
            .collect())
    }

    async fn booking_with_reference(&self, reference: Reference) -> Result<Option<Booking>, Error> {
        let found = self
            .read(move |store| store.ticket_with_reference(reference))
            .await?;
        Ok(found.map(|(ticket, screen)| booking_view(ticket, &screen)))
    }
}

#[async_trait::async_trait]
impl Holds for RedbBookings {
    async fn create_hold(
        &self,
        hold: NewHold,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error> {
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let now = batch.now();
                    Ok(batch
                        .create_hold(&hold)?
                        .map(|Held { hold, screen }| hold_view(&hold, &screen, now)))
                },
                once,
            )
            .await;
        count(written, || self.metrics.held())
    }

    async fn hold(&self, id: HoldId) -> Result<Option<HoldView>, Error> {
        let found = self.read(move |store| store.hold_on_screen(id)).await?;
        let now = self.clock.now_or_last();
        Ok(found.map(|(hold, screen)| hold_view(&hold, &screen, now)))
    }

    async fn release_hold(&self, id: HoldId, once: Once<()>) -> Result<Written<()>, Error> {
        self.writer
            .write_once(move |batch| batch.release_hold(id), once)
            .await
    }

    async fn extend_hold(
        &self,
        id: HoldId,
        hold_for_ms: i64,
        once: Once<HoldView>,
    ) -> Result<Written<HoldView>, Error> {
        self.writer
            .write_once(
                move |batch| {
                    let now = batch.now();
                    Ok(batch
                        .extend_hold(id, hold_for_ms)?
                        .map(|Held { hold, screen }| hold_view(&hold, &screen, now)))
                },
                once,
            )
            .await
    }

    async fn confirm_hold(
        &self,
        id: HoldId,
        confirmation: Confirmation,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error> {
        let actor = actor.clone();
        let written = self
            .writer
            .write_once(
                move |batch| {
                    let done = batch.confirm_hold(id, &confirmation);
                    Ok(audited(batch, done, |sold| {
                        audit::confirmed(&actor, id, &sold.ticket)
                    })?
                    .map(sold_view))
                },
                once,
            )
            .await;
        count(written, || self.metrics.booked())
    }
}

#[async_trait::async_trait]
impl Prices for RedbBookings {
    async fn create_ticket_type(
        &self,
        ticket_type: NewTicketType,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_CREATE,
            |book, id| changes::create_type(book, TicketTypeId::from_u128(id), ticket_type),
            |made| made.id.to_string(),
            once,
        )
        .await
    }

    async fn ticket_type(&self, id: TicketTypeId) -> Result<Option<TicketType>, Error> {
        self.read(move |store| Ok(store.price_book()?.ticket_type(id).cloned()))
            .await
    }

    async fn ticket_types(&self, page: PageRequest) -> Result<Page<TicketType>, Error> {
        self.read(move |store| {
            let book = store.price_book()?;
            Ok(page_of(&book.types, |t| t.id.as_u128(), page))
        })
        .await
    }

    async fn update_ticket_type(
        &self,
        id: TicketTypeId,
        patch: TicketTypePatch,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_UPDATE,
            move |book, _| changes::update_type(book, id, patch),
            move |_| id.to_string(),
            once,
        )
        .await
    }

    async fn delete_ticket_type(
        &self,
        id: TicketTypeId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.change_price_book(
            actor,
            audit::TICKET_TYPE_DELETE,
            move |book, _| book.remove_type(id),
            move |()| id.to_string(),
            once,
        )
        .await
    }

    async fn create_price_card(
        &self,
        card: NewPriceCard,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_CREATE,
            |book, id| changes::create_card(book, PriceCardId::from_u128(id), card),
            |made| made.id.to_string(),
            once,
        )
        .await
    }

    async fn price_card(&self, id: PriceCardId) -> Result<Option<PriceCard>, Error> {
        self.read(move |store| Ok(store.price_book()?.card(id).cloned()))
            .await
    }

    async fn price_cards(&self, page: PageRequest) -> Result<Page<PriceCard>, Error> {
        self.read(move |store| {
            let book = store.price_book()?;
            Ok(page_of(&book.cards, |c| c.id.as_u128(), page))
        })
        .await
    }

    async fn update_price_card(
        &self,
        id: PriceCardId,
        patch: PriceCardPatch,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_UPDATE,
            move |book, _| changes::update_card(book, id, patch),
            move |_| id.to_string(),
            once,
        )
        .await
    }

    async fn delete_price_card(
        &self,
        id: PriceCardId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        self.change_price_book(
            actor,
            audit::PRICE_CARD_DELETE,
            move |book, _| book.remove_card(id),
            move |()| id.to_string(),
            once,
        )
        .await
    }

    async fn show_prices(&self, show: ShowId) -> Result<Option<ShowPrices>, Error> {
        self.read(move |store| store.show_prices(show)).await
    }
}

#[async_trait::async_trait]
impl Staff for RedbBookings {
    async fn staff_configured(&self) -> Result<bool, Error> {
        self.read(Store::staff_configured).await
    }

    async fn create_account(
        &self,
        account: NewAccount,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(move |batch| batch.create_account(&account, &actor), once)
            .await
    }

    async fn account(&self, login: Login) -> Result<Option<Account>, Error> {
        self.read(move |store| store.account(&login)).await
    }

    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, Error> {
        self.read(move |store| store.accounts(page)).await
    }

    async fn update_account(
        &self,
        login: Login,
        patch: AccountPatch,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(
                move |batch| batch.update_account(&login, &patch, &actor),
                once,
            )
            .await
    }

    async fn create_key(
        &self,
        key: NewKey,
        actor: &Actor,
        once: Once<ApiKey>,
    ) -> Result<Written<ApiKey>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(move |batch| batch.create_key(&key, &actor), once)
            .await
    }

    async fn keys(&self, page: PageRequest) -> Result<Page<ApiKey>, Error> {
        self.read(move |store| store.keys(page)).await
    }

    async fn key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKey>, Error> {
        self.read(move |store| store.key_by_digest(&digest)).await
    }

    async fn revoke_key(
        &self,
        id: u128,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error> {
        let actor = actor.clone();
        self.writer
            .write_once(move |batch| batch.revoke_key(id, &actor), once)
            .await
    }

    async fn sign_in_state(&self, login: Login) -> Result<SignInState, Error> {
        let now = self.clock.now_or_last();
        self.read(move |store| store.sign_in_state(&login, now))
            .await
    }

    async fn sign_in_failed(&self, login: Login) -> Result<Throttle, Error> {
        self.writer
            .write(move |batch| batch.sign_in_failed(&login))
            .await
    }

    async fn open_session(
        &self,
        login: Login,
        digest: [u8; 32],
        csrf: String,
        idle_ms: Millis,
    ) -> Result<Session, Error> {
        self.writer
            .write(move |batch| batch.open_session(&login, digest, &csrf, idle_ms))
            .await
    }

    async fn session(
        &self,
        digest: [u8; 32],
        idle_ms: Millis,
    ) -> Result<Option<(Session, Account)>, Error> {
        let now = self.clock.now_or_last();
        let found = self.read(move |store| store.session(&digest, now)).await?;
        if let Some((session, _)) = &found {
            if session.needs_touch(now, idle_ms) {
                self.writer
                    .write(move |batch| batch.touch_session(digest, idle_ms))
                    .await?;
            }
        }
        Ok(found)
    }

    async fn end_session(&self, digest: [u8; 32], actor: &Actor) -> Result<bool, Error> {
        let actor = actor.clone();
        self.writer
            .write(move |batch| batch.end_session(digest, &actor))
            .await
    }

    async fn audit(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, Error> {
        self.read(move |store| store.audit(&filter, page)).await
    }
}
