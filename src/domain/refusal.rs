//! Why a use case refused: reasons as data, with no HTTP in them. Each API
//! surface says them its own way (`/api`: the old service's messages).

/// A request the rules turned down; nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the show starts before now")]
    ShowTimeInPast,
    #[error("no such ticket")]
    TicketNotFound,
    #[error("the show has fewer seats left than asked for")]
    LimitExceeded,
    #[error("the ticket's show has expired")]
    TicketExpired,
}
