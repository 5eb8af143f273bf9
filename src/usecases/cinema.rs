//! The use cases of `/v1`: screens, films, shows and bookings by seat or by
//! count. Writes answer once durable; a refusal changes nothing.

use super::{Error, Once, Page, PageRequest, Written};
use crate::domain::cinema::{Film, Layout, Screen};
use crate::domain::staff::Actor;
use std::sync::Arc;

use crate::domain::prices::{Channel, Line, TicketChoice};
use crate::domain::seating::{Row, Seat, SeatKind, SeatMap};
use crate::domain::Reference;
use crate::domain::TicketTypeId;
use crate::domain::{FilmId, Millis, Phone, PriceCardId, ScreenId, Show, ShowId, TicketId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewScreen {
    pub name: String,
    pub layout: Layout,
}

/// What a PATCH of a screen changes; `None` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreenPatch {
    pub name: Option<String>,
    pub layout: Option<Layout>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFilm {
    pub title: String,
    pub runtime_minutes: u32,
    pub rating: Option<String>,
}

/// What a PATCH of a film changes; `None` keeps it (`Some(None)` clears the rating).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilmPatch {
    pub title: Option<String>,
    pub runtime_minutes: Option<u32>,
    pub rating: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewShow {
    pub screen: ScreenId,
    pub film: FilmId,
    pub starts_at: Millis,
    /// The card it is priced by; `None`: by the rules, else the default.
    pub price_card: Option<PriceCardId>,
}

/// Which shows a list holds: `from <= start < to`, on a screen, of a film.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShowFilter {
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub screen: Option<ScreenId>,
    pub film: Option<FilmId>,
}

/// A show with its counts at the moment it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowView {
    pub show: Show,
    /// Seats held by live holds.
    pub held: u32,
    pub available: u32,
}

/// Which seats a booking wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatRequest {
    /// These, by name (seat-map shows only).
    Named(Vec<String>),
    /// This many: the best adjacent ones on a seat-map show, any on a
    /// general-admission show.
    Count(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSeatBooking {
    pub show: ShowId,
    pub seats: SeatRequest,
    pub user_name: String,
    pub phone: Phone,
    /// The ticket types asked for.
    pub tickets: TicketChoice,
    /// Where it is sold: which ticket types may be.
    pub channel: Channel,
}

/// One seat or place of a booking or hold as `/v1` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineView {
    /// 1, 2, … in seat order: the line's id within its booking.
    pub number: u32,
    /// The seat's name; `None` on general admission.
    pub seat: Option<String>,
    pub ticket_type: TicketTypeId,
    pub price: u64,
    pub tax: u64,
    /// Basis points.
    pub tax_rate: u16,
}

/// Lines with their seats named on `map`.
pub fn line_views(lines: &[Line], map: Option<&SeatMap>) -> Vec<LineView> {
    lines
        .iter()
        .zip(1..)
        .map(|(line, number)| LineView {
            number,
            seat: line
                .seat
                .and_then(|seat| map.and_then(|map| map.name(seat))),
            ticket_type: line.ticket_type,
            price: line.price,
            tax: line.tax,
            tax_rate: line.tax_rate,
        })
        .collect()
}

/// What a PATCH of a booking changes: the show (`None`: the same one) and
/// the seats (`None`: the same count, re-chosen on another show).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookingMove {
    pub show: Option<ShowId>,
    pub seats: Option<SeatRequest>,
}

/// A booking as `/v1` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    pub id: TicketId,
    pub show: ShowId,
    /// Seat names in booking order; empty on a general-admission show.
    pub seats: Vec<String>,
    pub count: u32,
    pub user_name: String,
    pub phone: Phone,
    pub created_at: Millis,
    /// The short reference a person reads out.
    pub reference: Reference,
    pub lines: Vec<LineView>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatState {
    Free,
    Held,
    Sold,
    Blocked,
}

impl SeatState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Held => "held",
            Self::Sold => "sold",
            Self::Blocked => "blocked",
        }
    }
}

/// The seats of a show: its screen's map and the state of each of its
/// seats, in map order (none on a general-admission screen).
#[derive(Clone, Debug)]
pub struct ShowSeats {
    pub screen: Arc<Screen>,
    pub states: Vec<SeatState>,
}

impl ShowSeats {
    /// Each seat with its name and state, in row order.
    pub fn iter(&self) -> impl Iterator<Item = (&Row, &Seat, SeatState)> {
        self.screen
            .layout
            .seat_map()
            .into_iter()
            .flat_map(SeatMap::iter)
            .zip(&self.states)
            .map(|((_, row, seat), state)| (row, seat, *state))
    }

    /// The seats one by one, as owned views.
    pub fn views(&self) -> Vec<SeatView> {
        self.iter()
            .map(|(row, seat, state)| SeatView {
                seat: format!("{}{}", row.label, seat.number),
                row: row.label.clone(),
                number: seat.number.clone(),
                kind: seat.kind,
                state,
                aisle_after: seat.aisle_after,
            })
            .collect()
    }
}

/// One seat of a show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatView {
    pub seat: String,
    pub row: String,
    pub number: String,
    pub kind: SeatKind,
    pub state: SeatState,
    pub aisle_after: bool,
}

#[async_trait::async_trait]
pub trait Cinema: Send + Sync + 'static {
    async fn create_screen(
        &self,
        screen: NewScreen,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error>;
    async fn screen(&self, id: ScreenId) -> Result<Option<Screen>, Error>;
    /// Every screen, the default one first.
    async fn screens(&self, page: PageRequest) -> Result<Page<Screen>, Error>;
    async fn update_screen(
        &self,
        id: ScreenId,
        patch: ScreenPatch,
        actor: &Actor,
        once: Once<Screen>,
    ) -> Result<Written<Screen>, Error>;
    async fn delete_screen(
        &self,
        id: ScreenId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    async fn create_film(
        &self,
        film: NewFilm,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error>;
    async fn film(&self, id: FilmId) -> Result<Option<Film>, Error>;
    async fn films(&self, page: PageRequest) -> Result<Page<Film>, Error>;
    async fn update_film(
        &self,
        id: FilmId,
        patch: FilmPatch,
        actor: &Actor,
        once: Once<Film>,
    ) -> Result<Written<Film>, Error>;
    async fn delete_film(
        &self,
        id: FilmId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    async fn create_show(
        &self,
        show: NewShow,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error>;
    async fn show_view(&self, id: ShowId) -> Result<Option<ShowView>, Error>;
    /// Shows in start order.
    async fn shows(&self, filter: ShowFilter, page: PageRequest) -> Result<Page<ShowView>, Error>;
    async fn delete_show(
        &self,
        id: ShowId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;
    /// Names the card a show is priced by (`None`: by the rules again);
    /// seats already held or sold keep their prices.
    async fn set_show_card(
        &self,
        id: ShowId,
        card: Option<PriceCardId>,
        actor: &Actor,
        once: Once<ShowView>,
    ) -> Result<Written<ShowView>, Error>;
    /// Every seat of a show in row order (`[]` for general admission);
    /// `None`: no such show.
    async fn seats(&self, show: ShowId) -> Result<Option<ShowSeats>, Error>;
    /// A show's bookings in booking order; `None`: no such show.
    async fn show_bookings(
        &self,
        show: ShowId,
        page: PageRequest,
    ) -> Result<Option<Page<Booking>>, Error>;

    async fn create_booking(
        &self,
        booking: NewSeatBooking,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error>;
    async fn booking(&self, id: TicketId) -> Result<Option<Booking>, Error>;
    async fn move_booking(
        &self,
        id: TicketId,
        to: BookingMove,
        actor: &Actor,
        once: Once<Booking>,
    ) -> Result<Written<Booking>, Error>;
    async fn cancel_booking(
        &self,
        id: TicketId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;
    /// Every booking whose phone number ends in the same 9 digits (all of
    /// them when fewer; see `Phone::search_key`).
    async fn search_bookings(&self, phone: Phone) -> Result<Vec<Booking>, Error>;
    /// The live booking with this short reference.
    async fn booking_with_reference(&self, reference: Reference) -> Result<Option<Booking>, Error>;
}
