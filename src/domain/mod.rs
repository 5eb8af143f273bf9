//! What boxoffice knows about shows and tickets, free of HTTP and storage.

pub mod ids;
pub mod patterns;
pub mod phone;
pub mod refusal;
pub mod rules;
pub mod time;

pub use ids::{ShowId, TicketId};
pub use phone::Phone;
pub use refusal::Refusal;
pub use rules::Rules;
pub use time::Millis;

/// A booking as the service stores and shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub show_id: ShowId,
    pub user_name: String,
    pub phone: Phone,
    pub count: u32,
}

/// One screening. Its capacity is fixed when it is created, so a later change
/// of the configured capacity never puts an existing show over its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Show {
    pub id: ShowId,
    pub starts_at: Millis,
    pub capacity: u32,
    pub sold: u32,
}

impl Show {
    /// A show nobody has booked yet.
    pub fn empty(id: ShowId, starts_at: Millis, capacity: u32) -> Self {
        Self {
            id,
            starts_at,
            capacity,
            sold: 0,
        }
    }

    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.sold)
    }
}
