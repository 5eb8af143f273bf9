//! What boxoffice knows about shows and tickets, free of HTTP and storage.

pub mod cinema;
pub mod client;
pub mod currency;
pub mod expiry;
pub mod holds;
pub mod ids;
pub mod limits;
pub mod patterns;
pub mod phone;
pub mod price_book;
pub mod prices;
pub mod reference;
pub mod refusal;
pub mod rules;
pub mod sales;
pub mod seating;
pub mod staff;
pub mod text;
pub mod time;

pub use ids::{FilmId, HoldId, PriceCardId, ScreenId, ShowId, TicketId, TicketTypeId};
pub use phone::Phone;
pub use reference::Reference;
pub use refusal::{InUse, Refusal};
pub use rules::Rules;
pub use time::Millis;

/// A booking as the service stores and shows it (the old API's ticket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub show_id: ShowId,
    pub user_name: String,
    pub phone: Phone,
    pub count: u32,
    /// On a seat-map show, exactly which seats (`count` of them); else empty.
    pub seats: Vec<seating::SeatIndex>,
    pub created_at: Millis,
    /// The short reference a person reads out; unique among live tickets
    /// (the store picks it when the ticket is stored, see [`Reference`]).
    pub reference: Reference,
    /// One per seat or place, priced when it was held or booked.
    pub lines: Vec<prices::Line>,
}

/// One screening: a film on a screen at a start, or an `/api` show (no film,
/// on the default screen). Its capacity is fixed when it is created, so a
/// later change of the configured capacity never puts it over its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Show {
    pub id: ShowId,
    pub screen: ScreenId,
    pub film: Option<FilmId>,
    pub starts_at: Millis,
    /// start + the film's runtime; `None` for `/api` shows.
    pub ends_at: Option<Millis>,
    pub capacity: u32,
    pub sold: u32,
    /// On a seat-map screen, the seats sold.
    pub sold_seats: Option<seating::SeatSet>,
    /// The price card it names; `None`: the card its rules or the default give.
    pub price_card: Option<PriceCardId>,
}

impl Show {
    /// An `/api` show nobody has booked yet, on the default screen.
    pub fn empty(id: ShowId, starts_at: Millis, capacity: u32) -> Self {
        Self {
            id,
            screen: ScreenId::DEFAULT,
            film: None,
            starts_at,
            ends_at: None,
            capacity,
            sold: 0,
            sold_seats: None,
            price_card: None,
        }
    }

    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.sold)
    }
}
