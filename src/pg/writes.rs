//! The use cases that write, each inside one READ COMMITTED transaction:
//! lock what the decision rests on, read, ask the domain rules, then write
//! what they decided. A refusal writes nothing.

use super::error::PgError;
use super::records::{key, Db, Lock};
use crate::domain::cinema::{show_end, Film, Layout, Screen, MAX_RUNTIME_MINUTES};
use crate::domain::holds::{expiry, extended_expiry, HeldNow, Hold};
use crate::domain::limits::{allowance, cooldown_after_release, pick_held_seats};
use crate::domain::prices::{Channel, Line, TicketChoice};
use crate::domain::rules::{self, expiry_cutoff, is_expired, Move};
use crate::domain::sales::{ensure_on_sale, release, sell_held, take_seats, Party};
use crate::domain::seating::{occupies, overlaps, SeatSet};
use crate::domain::PriceCardId;
use crate::domain::Reference;
use crate::domain::{
    FilmId, HoldId, InUse, Millis, Refusal, ScreenId, Show, ShowId, Ticket, TicketId,
};
use crate::usecases::cinema::{
    BookingMove, FilmPatch, NewFilm, NewScreen, NewSeatBooking, NewShow, ScreenPatch, SeatRequest,
};
use crate::usecases::holds::{Confirmation, NewHold};
use crate::usecases::prices::{confirmed_lines, moved_lines, price, Sale};
use crate::usecases::{Booked, NewBooking, PurgeReport};

/// The advisory lock that makes screen creations take turns: "screens".
const SCREEN_COUNT_LOCK: i64 = 0x0073_6372_6565_6e73;

/// A use case's answer: refused (nothing written) or done, once committed.
pub type Outcome<T> = Result<Result<T, Refusal>, PgError>;

/// Returns the refusal from the use case.
macro_rules! refuse {
    ($refusal:expr) => {
        return Ok(Err($refusal))
    };
}

/// Unwraps a rule's verdict, or returns its refusal from the use case.
macro_rules! rule {
    ($verdict:expr) => {
        match $verdict {
            Ok(value) => value,
            Err(refusal) => return Ok(Err(refusal.into())),
        }
    };
}

/// A ticket as it was written, with the screen its seats are named on.
pub struct Sold {
    pub ticket: Ticket,
    pub screen: Screen,
}

fn party(request: &SeatRequest) -> Party<'_> {
    match request {
        SeatRequest::Named(names) => Party::Named(names),
        SeatRequest::Count(count) => Party::Count(*count),
    }
}

/// Seats a booking or hold of `request` holds, given the seats it got.
fn count_of(request: &SeatRequest, seats: usize) -> u32 {
    match request {
        SeatRequest::Count(count) => *count,
        SeatRequest::Named(_) => u32::try_from(seats).unwrap_or(u32::MAX),
    }
}

impl Db<'_> {
    /// What live holds keep of `show` now: its seats (on a seat map) and count.
    async fn held(&self, show: &Show) -> Result<(Option<SeatSet>, u32), PgError> {
        let held = self.held_now(show).await?;
        Ok((held.seats, held.count))
    }

    // ---- /api ----

    pub async fn book(&self, booking: &NewBooking) -> Outcome<Booked> {
        loop {
            let (show, new) = match self
                .show_at(ScreenId::DEFAULT, booking.starts_at, true)
                .await?
            {
                Some(show) => (show, false),
                None => (
                    Show::empty(
                        ShowId::from_u128(self.mint().await?),
                        booking.starts_at,
                        self.rules.capacity,
                    ),
                    true,
                ),
            };
            let held = if new { 0 } else { self.held(&show).await?.1 };
            let (show, count) = rule!(rules::book(show, booking.count, held, self.now));
            // `/api` sells on the api channel, the card's first type there.
            let lines = rule!(
                self.price(&Sale {
                    show: &show,
                    map: None,
                    seats: &[],
                    count,
                    channel: Channel::Api,
                    choice: &TicketChoice::Any,
                })
                .await?
            );
            let id = TicketId::from_u128(self.mint().await?);
            let mut ticket = Ticket {
                id,
                show_id: show.id,
                user_name: booking.user_name.clone(),
                phone: booking.phone.clone(),
                count,
                seats: Vec::new(),
                created_at: self.now,
                reference: Reference::candidate(id.as_u128(), 0),
                lines,
            };
            if new {
                if !self.insert_show(&show).await? {
                    // Another process created this show meanwhile: its row
                    // is there to lock now.
                    continue;
                }
            } else {
                self.update_show(&show).await?;
            }
            self.insert_ticket(&mut ticket).await?;
            return Ok(Ok(Booked { ticket, show }));
        }
    }

    /// An `/api` move always lands on the default screen: a ticket of a
    /// seat-map show goes there by count and gives its seats back.
    pub async fn move_ticket(&self, id: TicketId, starts_at: Millis) -> Outcome<Booked> {
        let target = self.show_at(ScreenId::DEFAULT, starts_at, false).await?;
        let Some((mut ticket, shows)) = self
            .ticket_with_locked_show(id, target.as_ref().map(|show| show.id))
            .await?
        else {
            refuse!(Refusal::TicketNotFound);
        };
        let from = find(&shows, ticket.show_id)?;
        let (to, new) = if from.screen.is_default() && from.starts_at == starts_at {
            (from.clone(), false)
        } else if let Some(target) = &target {
            // Locked with the ticket's show; gone meanwhile: start over.
            let locked = shows.iter().find(|show| show.id == target.id);
            (locked.cloned().ok_or(PgError::Retry)?, false)
        } else {
            let id = ShowId::from_u128(self.mint().await?);
            (Show::empty(id, starts_at, self.rules.capacity), true)
        };
        let held_at_to = if new { 0 } else { self.held(&to).await?.1 };
        match rule!(rules::move_ticket(
            &ticket, from, to, held_at_to, self.now, self.rules
        )) {
            Move::Stay(show) => Ok(Ok(Booked { ticket, show })),
            Move::Between { from, to } => {
                ticket.show_id = to.id;
                ticket.seats.clear();
                // Its prices go with it, on places instead of seats.
                for line in &mut ticket.lines {
                    line.seat = None;
                }
                self.update_show(&from).await?;
                if new {
                    if !self.insert_show(&to).await? {
                        return Err(PgError::Retry);
                    }
                } else {
                    self.update_show(&to).await?;
                }
                self.update_ticket(&ticket).await?;
                Ok(Ok(Booked { ticket, show: to }))
            }
        }
    }

    pub async fn delete_ticket(&self, id: TicketId) -> Outcome<()> {
        let Some((ticket, shows)) = self.ticket_with_locked_show(id, None).await? else {
            refuse!(Refusal::TicketNotFound);
        };
        let show = rules::delete(&ticket, find(&shows, ticket.show_id)?);
        self.update_show(&show).await?;
        self.delete_tickets(&[ticket.id]).await?;
        Ok(Ok(()))
    }

    /// Deletes shows whose tickets have expired, oldest first, with their
    /// tickets and holds; each deleted show or ticket spends one unit of
    /// `budget`, and a show goes only once all its tickets have. Then, with
    /// what is left, holds that expired and idempotency records past their
    /// time. Rows another process is purging now are skipped, never waited for.
    ///
    /// It deletes by `at`, trusted time (never later than the transaction's
    /// now), which it stores as the heartbeat a restart starts trusted time
    /// from (the latest any process stored).
    pub async fn purge(&self, budget: usize, at: Millis) -> Result<PurgeReport, PgError> {
        let at = at.min(self.now);
        if at >= 0 {
            self.exec(
                "INSERT INTO meta (key, value) VALUES ('trusted_time', $1)
                 ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value, excluded.value)",
                &[&at],
            )
            .await?;
        }
        let cutoff = expiry_cutoff(at, self.rules.expire_after_ms);
        let limit = i64::try_from(budget).unwrap_or(i64::MAX);
        let rows = self
            .rows(
                "SELECT id, record FROM shows WHERE starts_at <= $1
                 ORDER BY starts_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&cutoff, &limit],
            )
            .await?;
        let mut report = PurgeReport::default();
        let mut left = budget;
        let mut stopped = false;
        for row in &rows {
            if left == 0 {
                stopped = true;
                break;
            }
            let id = super::records::id_at(row, 0)?;
            let mut show = crate::store::codec::decode_show(id, row.try_get(1)?)?;
            let mut tickets = self
                .tickets_of(show.id, None, Some(left.saturating_add(1)))
                .await?;
            let every_ticket = tickets.len() <= left;
            tickets.truncate(left);
            left -= tickets.len();
            let whole = every_ticket && left > 0;
            let ids: Vec<TicketId> = tickets.iter().map(|ticket| ticket.id).collect();
            self.delete_tickets(&ids).await?;
            report.tickets += ids.len();
            if whole {
                left -= 1;
                self.delete_show(show.id).await?;
                report.shows += 1;
            } else {
                // The show stays for now: its count loses the doomed tickets.
                for ticket in &tickets {
                    show = rules::delete(ticket, show);
                }
                self.update_show(&show).await?;
                stopped = true;
                break;
            }
        }
        report.more = stopped || left == 0;
        if !report.more {
            // A hold is kept `hold_cooldown` past its expiry: until then its
            // seats are out of its client's reach.
            let holds_cutoff = at.saturating_sub(self.rules.limits.hold_cooldown_ms);
            let holds = self
                .exec(
                    "DELETE FROM holds WHERE id IN (
                         SELECT id FROM holds WHERE expires_at <= $1
                         ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)",
                    &[&holds_cutoff, &i64::try_from(left).unwrap_or(i64::MAX)],
                )
                .await?;
            report.holds = usize::try_from(holds).unwrap_or(usize::MAX);
            report.more = report.holds == left;
            left -= report.holds.min(left);
        }
        if !report.more {
            let answers_cutoff = at.saturating_sub(self.rules.idempotency_ttl_ms);
            let answers = self
                .exec(
                    "DELETE FROM answers WHERE key IN (
                         SELECT key FROM answers WHERE stored_at <= $1
                         ORDER BY stored_at, key LIMIT $2 FOR UPDATE SKIP LOCKED)",
                    &[&answers_cutoff, &i64::try_from(left).unwrap_or(i64::MAX)],
                )
                .await?;
            report.answers = usize::try_from(answers).unwrap_or(usize::MAX);
            report.more = report.answers == left;
            left -= report.answers.min(left);
        }
        if !report.more {
            // Ended cooldowns are bookkeeping, not reported.
            let cooldowns = self
                .exec(
                    "DELETE FROM cooldowns WHERE key IN (
                         SELECT key FROM cooldowns WHERE until <= $1
                         ORDER BY until, key LIMIT $2 FOR UPDATE SKIP LOCKED)",
                    &[&at, &i64::try_from(left).unwrap_or(i64::MAX)],
                )
                .await?;
            let cooldowns = usize::try_from(cooldowns).unwrap_or(usize::MAX);
            report.more = cooldowns == left;
            left -= cooldowns.min(left);
        }
        if !report.more {
            self.purge_staff(left, at, &mut report).await?;
        }
        Ok(report)
    }

    // ---- the catalogue ----

    pub async fn create_screen(&self, new: &NewScreen) -> Outcome<Screen> {
        // One new screen at a time, so that the count holds across processes.
        self.rows("SELECT pg_advisory_xact_lock($1)", &[&SCREEN_COUNT_LOCK])
            .await?;
        let max = self.rules.limits.max_screens;
        let count: i64 = self
            .rows("SELECT count(*) FROM screens", &[])
            .await?
            .first()
            .ok_or_else(|| PgError::Corrupt("count gave no row".into()))?
            .try_get(0)?;
        if count >= i64::from(max) {
            refuse!(Refusal::TooManyScreens { max });
        }
        let screen = Screen {
            id: ScreenId::from_u128(self.mint().await?),
            name: new.name.clone(),
            layout: new.layout.clone(),
        };
        self.put_screen(&screen).await?;
        Ok(Ok(screen))
    }

    pub async fn update_screen(&self, id: ScreenId, patch: &ScreenPatch) -> Outcome<Screen> {
        if id.is_default() {
            refuse!(Refusal::InUse(InUse::DefaultScreen));
        }
        let Some(mut screen) = self.screen(id, true).await? else {
            refuse!(Refusal::ScreenNotFound);
        };
        if let Some(layout) = &patch.layout {
            // Bookings of its shows name seats of the map they were sold on.
            if *layout != screen.layout && self.screen_has_shows(id).await? {
                refuse!(Refusal::InUse(InUse::ScreenHasShows));
            }
            screen.layout = layout.clone();
        }
        if let Some(name) = &patch.name {
            screen.name.clone_from(name);
        }
        self.put_screen(&screen).await?;
        Ok(Ok(screen))
    }

    pub async fn delete_screen(&self, id: ScreenId) -> Outcome<()> {
        if id.is_default() {
            refuse!(Refusal::InUse(InUse::DefaultScreen));
        }
        if self.screen(id, true).await?.is_none() {
            refuse!(Refusal::ScreenNotFound);
        }
        if self.screen_has_shows(id).await? {
            refuse!(Refusal::InUse(InUse::ScreenHasShows));
        }
        self.exec("DELETE FROM screens WHERE id = $1", &[&key(id.as_u128())])
            .await?;
        Ok(Ok(()))
    }

    pub async fn create_film(&self, new: &NewFilm) -> Outcome<Film> {
        let film = Film {
            id: FilmId::from_u128(self.mint().await?),
            title: new.title.clone(),
            runtime_minutes: new.runtime_minutes,
            rating: new.rating.clone(),
        };
        self.put_film(&film).await?;
        Ok(Ok(film))
    }

    /// The first show on `screen` (other than `except`) whose time overlaps
    /// [start, until); each keeps its screen for its runtime plus turnaround.
    async fn clash(
        &self,
        screen: ScreenId,
        (start, until): (Millis, Millis),
        except: Option<ShowId>,
    ) -> Result<Option<Show>, PgError> {
        let turnaround = self.rules.turnaround_ms.max(0);
        let longest = i64::from(MAX_RUNTIME_MINUTES) * 60_000 + turnaround;
        let shows = self
            .shows_on_screen(screen, start.saturating_sub(longest), until)
            .await?;
        Ok(shows.into_iter().find(|show| {
            let end = show.ends_at.unwrap_or(show.starts_at);
            let theirs = (show.starts_at, end.saturating_add(turnaround));
            Some(show.id) != except && overlaps((start, until), theirs)
        }))
    }

    /// Locks the screens in id order, so that schedule changes on a screen
    /// happen one at a time.
    async fn lock_screens(&self, mut screens: Vec<ScreenId>) -> Result<(), PgError> {
        screens.sort_unstable();
        screens.dedup();
        let keys: Vec<Vec<u8>> = screens.iter().map(|id| key(id.as_u128())).collect();
        self.rows(
            "SELECT id FROM screens WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&keys],
        )
        .await?;
        Ok(())
    }

    pub async fn update_film(&self, id: FilmId, patch: &FilmPatch) -> Outcome<Film> {
        let turnaround = self.rules.turnaround_ms;
        let Some(mut film) = self.film(id, Lock::Update).await? else {
            refuse!(Refusal::FilmNotFound);
        };
        let mut moved = Vec::new();
        if let Some(runtime) = patch.runtime_minutes {
            if runtime != film.runtime_minutes {
                let shows = self.film_shows(id, false).await?;
                self.lock_screens(shows.iter().map(|show| show.screen).collect())
                    .await?;
                // Read again under the screens' locks.
                for mut show in self.film_shows(id, true).await? {
                    let time = occupies(show.starts_at, runtime, turnaround);
                    if self
                        .clash(show.screen, time, Some(show.id))
                        .await?
                        .is_some()
                    {
                        refuse!(Refusal::ScreenBusy);
                    }
                    show.ends_at = Some(show_end(show.starts_at, runtime));
                    moved.push(show);
                }
                film.runtime_minutes = runtime;
            }
        }
        if let Some(title) = &patch.title {
            film.title.clone_from(title);
        }
        if let Some(rating) = &patch.rating {
            film.rating.clone_from(rating);
        }
        self.put_film(&film).await?;
        for show in &moved {
            self.update_show(show).await?;
        }
        Ok(Ok(film))
    }

    pub async fn delete_film(&self, id: FilmId) -> Outcome<()> {
        if self.film(id, Lock::Update).await?.is_none() {
            refuse!(Refusal::FilmNotFound);
        }
        if !self.film_shows(id, false).await?.is_empty() {
            refuse!(Refusal::InUse(InUse::FilmHasShows));
        }
        self.exec("DELETE FROM films WHERE id = $1", &[&key(id.as_u128())])
            .await?;
        Ok(Ok(()))
    }

    pub async fn create_show(&self, new: &NewShow) -> Outcome<Show> {
        if new.screen.is_default() {
            refuse!(Refusal::DefaultScreen);
        }
        // The screen's row is the lock for its schedule.
        let Some(screen) = self.screen(new.screen, true).await? else {
            refuse!(Refusal::ScreenNotFound);
        };
        let Some(film) = self.film(new.film, Lock::Share).await? else {
            refuse!(Refusal::FilmNotFound);
        };
        if new.starts_at <= self.now {
            refuse!(Refusal::StartInPast);
        }
        let time = occupies(
            new.starts_at,
            film.runtime_minutes,
            self.rules.turnaround_ms,
        );
        if self.clash(screen.id, time, None).await?.is_some() {
            refuse!(Refusal::ScreenBusy);
        }
        let sold_seats = match &screen.layout {
            Layout::General { .. } => None,
            Layout::Seated(map) => Some(SeatSet::new(map.len())),
        };
        let show = Show {
            id: ShowId::from_u128(self.mint().await?),
            screen: screen.id,
            film: Some(film.id),
            starts_at: new.starts_at,
            ends_at: Some(show_end(new.starts_at, film.runtime_minutes)),
            capacity: screen.layout.capacity(),
            sold: 0,
            sold_seats,
            price_card: new.price_card,
        };
        if let Some(card) = new.price_card {
            if self.price_book(false).await?.card(card).is_none() {
                refuse!(Refusal::PriceCardNotFound);
            }
        }
        if !self.insert_show(&show).await? {
            return Err(PgError::Corrupt(format!(
                "screen {} has two shows at one start",
                screen.id
            )));
        }
        Ok(Ok(show))
    }

    /// Names the card a show is priced by; what was held or sold keeps its prices.
    pub async fn set_show_card(
        &self,
        id: ShowId,
        card: Option<PriceCardId>,
    ) -> Outcome<(Show, HeldNow)> {
        let Some(mut show) = self.show(id, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        if let Some(card) = card {
            if self.price_book(false).await?.card(card).is_none() {
                refuse!(Refusal::PriceCardNotFound);
            }
        }
        show.price_card = card;
        self.update_show(&show).await?;
        let held = self.held_now(&show).await?;
        Ok(Ok((show, held)))
    }

    pub async fn delete_show_if_unsold(&self, id: ShowId) -> Outcome<()> {
        let Some(show) = self.show(id, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        let (_, held) = self.held(&show).await?;
        if held > 0 || self.has_tickets(id).await? {
            refuse!(Refusal::InUse(InUse::ShowHasBookings));
        }
        self.delete_show(id).await?;
        Ok(Ok(()))
    }

    // ---- /v1 bookings ----

    pub async fn create_booking(&self, booking: &NewSeatBooking) -> Outcome<Sold> {
        let Some(mut show) = self.show(booking.show, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        rule!(ensure_on_sale(&show, self.now, self.rules.expire_after_ms));
        let screen = self.screen_of(&show).await?;
        let (held, held_count) = self.held(&show).await?;
        let seats = rule!(take_seats(
            &mut show,
            screen.layout.seat_map(),
            party(&booking.seats),
            held.as_ref(),
            held_count,
        ));
        let count = count_of(&booking.seats, seats.len());
        let lines = rule!(
            self.price(&Sale {
                show: &show,
                map: screen.layout.seat_map(),
                seats: &seats,
                count,
                channel: booking.channel,
                choice: &booking.tickets,
            })
            .await?
        );
        let id = TicketId::from_u128(self.mint().await?);
        let mut ticket = Ticket {
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
        self.update_show(&show).await?;
        self.insert_ticket(&mut ticket).await?;
        Ok(Ok(Sold { ticket, screen }))
    }

    pub async fn move_booking(&self, id: TicketId, to: &BookingMove) -> Outcome<Sold> {
        let Some((mut ticket, shows)) = self.ticket_with_locked_show(id, to.show).await? else {
            refuse!(Refusal::TicketNotFound);
        };
        let mut from = find(&shows, ticket.show_id)?;
        if is_expired(from.starts_at, self.rules.expire_after_ms, self.now) {
            refuse!(Refusal::TicketExpired);
        }
        let wanted = to.seats.clone().unwrap_or(SeatRequest::Count(ticket.count));
        let target = to.show.unwrap_or(from.id);
        if target == from.id {
            rule!(ensure_on_sale(&from, self.now, self.rules.expire_after_ms));
            let screen = self.screen_of(&from).await?;
            let (held, held_count) = self.held(&from).await?;
            // Its own seats are free to it.
            release(&mut from, &ticket);
            ticket.seats = rule!(take_seats(
                &mut from,
                screen.layout.seat_map(),
                party(&wanted),
                held.as_ref(),
                held_count,
            ));
            ticket.count = count_of(&wanted, ticket.seats.len());
            ticket.lines = rule!(self.reprice(&ticket, &from, &screen).await?);
            self.update_show(&from).await?;
            self.update_ticket(&ticket).await?;
            return Ok(Ok(Sold { ticket, screen }));
        }
        let Some(mut to_show) = shows.iter().find(|show| show.id == target).cloned() else {
            refuse!(Refusal::ShowNotFound);
        };
        rule!(ensure_on_sale(
            &to_show,
            self.now,
            self.rules.expire_after_ms
        ));
        let screen = self.screen_of(&to_show).await?;
        let (held, held_count) = self.held(&to_show).await?;
        let seats = rule!(take_seats(
            &mut to_show,
            screen.layout.seat_map(),
            party(&wanted),
            held.as_ref(),
            held_count,
        ));
        release(&mut from, &ticket);
        ticket.seats = seats;
        ticket.count = count_of(&wanted, ticket.seats.len());
        ticket.show_id = to_show.id;
        ticket.lines = rule!(self.reprice(&ticket, &to_show, &screen).await?);
        self.update_show(&from).await?;
        self.update_show(&to_show).await?;
        self.update_ticket(&ticket).await?;
        Ok(Ok(Sold { ticket, screen }))
    }

    pub async fn cancel_booking(&self, id: TicketId) -> Outcome<()> {
        let Some((ticket, shows)) = self.ticket_with_locked_show(id, None).await? else {
            refuse!(Refusal::TicketNotFound);
        };
        let mut show = find(&shows, ticket.show_id)?;
        release(&mut show, &ticket);
        self.update_show(&show).await?;
        self.delete_tickets(&[ticket.id]).await?;
        Ok(Ok(()))
    }

    // ---- holds ----

    pub async fn create_hold(&self, new: &NewHold) -> Outcome<(Hold, Screen)> {
        // The client's turn first, then the show's: its holds on other
        // shows count too. Only holds take client locks, always first.
        if let Some(client) = new.client {
            self.lock_client(client).await?;
        }
        let Some(show) = self.show(new.show, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        rule!(ensure_on_sale(&show, self.now, self.rules.expire_after_ms));
        let screen = self.screen_of(&show).await?;
        let (kept_seats, kept_count) = self.held(&show).await?;
        let allowance = match new.client {
            Some(client) => Some(rule!(allowance(
                self.rules.limits,
                self.now,
                (
                    show.id,
                    show.capacity,
                    kept_seats.as_ref().map(SeatSet::map_len)
                ),
                &self.holds_of_client(client).await?,
                &self.cooldowns_of(client, show.id).await?,
            ))),
            None => None,
        };
        let seats = rule!(pick_held_seats(
            &show,
            screen.layout.seat_map(),
            party(&new.seats),
            (kept_seats.as_ref(), kept_count),
            allowance.as_ref(),
            self.now,
        ));
        let count = count_of(&new.seats, seats.len());
        let lines = rule!(
            self.price(&Sale {
                show: &show,
                map: screen.layout.seat_map(),
                seats: &seats,
                count,
                channel: new.channel,
                choice: &new.tickets,
            })
            .await?
        );
        let hold = Hold {
            id: HoldId::from_u128(self.mint().await?),
            show_id: show.id,
            count,
            seats,
            expires_at: expiry(self.now, new.hold_for_ms, self.rules, show.starts_at),
            created_at: self.now,
            client: new.client,
            lines,
        };
        self.insert_hold(&hold).await?;
        Ok(Ok((hold, screen)))
    }

    /// Releases a hold; one that expired is released all the same. A
    /// limited client's seats stay out of its own reach for the cooldown.
    pub async fn release_hold(&self, id: HoldId) -> Outcome<()> {
        let Some(hold) = self.hold(id).await? else {
            refuse!(Refusal::HoldNotFound);
        };
        if self.delete_hold(id).await? == 0 {
            // Released, confirmed or purged since it was read.
            refuse!(Refusal::HoldNotFound);
        }
        if let Some(cooldown) = cooldown_after_release(&hold, self.now, self.rules.limits) {
            self.put_cooldown(&cooldown).await?;
        }
        Ok(Ok(()))
    }

    /// More time for a live hold (see `extended_expiry`).
    pub async fn extend_hold(&self, id: HoldId, hold_for_ms: i64) -> Outcome<(Hold, Screen)> {
        let Some(old) = self.hold(id).await? else {
            refuse!(Refusal::HoldNotFound);
        };
        if !old.is_live(self.now) {
            refuse!(Refusal::HoldExpired);
        }
        // Locked, as a sale locks it: a hold another process already let
        // go and sold from is never brought back.
        let Some(show) = self.show(old.show_id, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        if still_free(&show, &old).is_none() {
            refuse!(Refusal::HoldExpired);
        }
        let screen = self.screen_of(&show).await?;
        let hold = Hold {
            expires_at: extended_expiry(&old, self.now, hold_for_ms, self.rules, show.starts_at),
            ..old
        };
        if self.update_hold(&hold).await? == 0 {
            // Released, confirmed or purged since it was read.
            refuse!(Refusal::HoldNotFound);
        }
        Ok(Ok((hold, screen)))
    }

    /// Turns a live hold into a booking of exactly its seats.
    pub async fn confirm_hold(&self, id: HoldId, confirmation: &Confirmation) -> Outcome<Sold> {
        let Some(hold) = self.hold(id).await? else {
            refuse!(Refusal::HoldNotFound);
        };
        if !hold.is_live(self.now) {
            refuse!(Refusal::HoldExpired);
        }
        let Some(mut show) = self.show(hold.show_id, true).await? else {
            refuse!(Refusal::ShowNotFound);
        };
        let screen = self.screen_of(&show).await?;
        // A process whose clock runs behind may still see a hold live that
        // another already let go, and sold: never sell its seats twice.
        if still_free(&show, &hold).is_none() {
            refuse!(Refusal::HoldExpired);
        }
        sell_held(&mut show, &hold);
        let priced = if confirmation.tickets == TicketChoice::Any && !hold.lines.is_empty() {
            Ok(Vec::new())
        } else {
            self.price(&Sale {
                show: &show,
                map: screen.layout.seat_map(),
                seats: &hold.seats,
                count: hold.count,
                channel: confirmation.channel,
                choice: &confirmation.tickets,
            })
            .await?
        };
        let lines = rule!(confirmed_lines(&hold.lines, &confirmation.tickets, || {
            priced
        }));
        let ticket_id = TicketId::from_u128(self.mint().await?);
        let mut ticket = Ticket {
            id: ticket_id,
            show_id: show.id,
            user_name: confirmation.user_name.clone(),
            phone: confirmation.phone.clone(),
            count: hold.count,
            seats: hold.seats.clone(),
            created_at: self.now,
            reference: Reference::candidate(ticket_id.as_u128(), 0),
            lines,
        };
        if self.delete_hold(id).await? == 0 {
            // Released, confirmed or purged since it was read: ask again.
            return Err(PgError::Retry);
        }
        self.update_show(&show).await?;
        self.insert_ticket(&mut ticket).await?;
        Ok(Ok(Sold { ticket, screen }))
    }
}

impl Db<'_> {
    /// The lines of a sale, priced by its show's card as the book is now.
    async fn price(&self, sale: &Sale<'_>) -> Result<Result<Vec<Line>, Refusal>, PgError> {
        let book = self.price_book(false).await?;
        Ok(price(&book, sale, self.rules.zone))
    }

    /// A moved booking's lines: its prices on its new seats; places it did
    /// not have before are priced by `show`'s card on the api channel.
    async fn reprice(
        &self,
        ticket: &Ticket,
        show: &Show,
        screen: &Screen,
    ) -> Result<Result<Vec<Line>, Refusal>, PgError> {
        let fresh = if ticket.lines.len() < places(ticket) {
            self.price(&Sale {
                show,
                map: screen.layout.seat_map(),
                seats: &ticket.seats,
                count: ticket.count,
                channel: Channel::Api,
                choice: &TicketChoice::Any,
            })
            .await?
        } else {
            Ok(Vec::new())
        };
        Ok(moved_lines(
            &ticket.lines,
            &ticket.seats,
            ticket.count,
            || fresh,
        ))
    }
}

/// How many lines a ticket has: one per seat, or per place without seats.
fn places(ticket: &Ticket) -> usize {
    if ticket.seats.is_empty() {
        usize::try_from(ticket.count).unwrap_or(usize::MAX)
    } else {
        ticket.seats.len()
    }
}

/// `Some` when none of the hold's places has been sold meanwhile.
fn still_free(show: &Show, hold: &Hold) -> Option<()> {
    if u64::from(show.sold) + u64::from(hold.count) > u64::from(show.capacity) {
        return None;
    }
    match &show.sold_seats {
        Some(sold) if hold.seats.iter().any(|seat| sold.contains(*seat)) => None,
        _ => Some(()),
    }
}

/// The locked show with this id.
fn find(shows: &[Show], id: ShowId) -> Result<Show, PgError> {
    shows
        .iter()
        .find(|show| show.id == id)
        .cloned()
        .ok_or_else(|| PgError::Corrupt(format!("show {id} was not locked")))
}
