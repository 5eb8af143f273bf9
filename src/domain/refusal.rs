//! Why a use case refused: reasons as data, with no HTTP in them. Each API
//! surface says them its own way (`/api`: the old service's messages;
//! `/v1`: problem details).

/// A request the rules turned down; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `/api`: the show time is before now.
    #[error("the show starts before now")]
    ShowTimeInPast,
    #[error("no such booking")]
    TicketNotFound,
    /// `/api`: more seats than the show has left.
    #[error("the show has fewer seats left than asked for")]
    LimitExceeded,
    #[error("the show's tickets have expired")]
    TicketExpired,
    #[error("no such screen")]
    ScreenNotFound,
    #[error("no such film")]
    FilmNotFound,
    #[error("no such show")]
    ShowNotFound,
    #[error("no such hold")]
    HoldNotFound,
    #[error("no such ticket type")]
    TicketTypeNotFound,
    #[error("no such price card")]
    PriceCardNotFound,
    /// The venue keeps as many ticket types (or cards) as it may.
    #[error("the venue has {max} {what}, as many as it may")]
    TooManyPriceRecords { what: &'static str, max: usize },
    /// The hold ran out: its seats may already be someone else's.
    #[error("the hold has expired")]
    HoldExpired,
    /// These seats are sold, held or blocked.
    #[error("seats already taken: {}", .0.join(", "))]
    SeatsTaken(Vec<String>),
    /// Fewer seats left than asked for, or no block of that many side by side.
    #[error("not enough seats left together")]
    NotEnoughSeats,
    /// Bookings and holds stop at the show's start.
    #[error("the show has started")]
    ShowStarted,
    /// The new show would overlap another on its screen.
    #[error("the screen is busy then")]
    ScreenBusy,
    #[error("{0}")]
    InUse(InUse),
    /// Seat names that are not on the screen.
    #[error("no such seats on this screen: {}", .0.join(", "))]
    UnknownSeats(Vec<String>),
    #[error("seat {0} is named more than once")]
    SeatNamedTwice(String),
    #[error("no seats were named")]
    NoSeatsNamed,
    /// Seats by name on a general-admission show.
    #[error("this show has no seat map: book by count")]
    NoSeatMap,
    /// `/v1` shows go on screens other than the default one.
    #[error("the default screen hosts only /api shows")]
    DefaultScreen,
    /// A new show must start after now.
    #[error("the show would start in the past")]
    StartInPast,
    /// The client keeps as many live holds as it may, holds its whole share
    /// of the show, or asked again for seats it gave back too recently.
    #[error("{limit}; retry in {retry_after_seconds} s")]
    TooManyHolds {
        limit: super::limits::HoldLimit,
        retry_after_seconds: u64,
    },
    /// The client keeps as many `Idempotency-Key` answers as it may; the
    /// request was not run.
    #[error("this client keeps as many Idempotency-Key answers as it may; retry in {retry_after_seconds} s")]
    TooManyKeys { retry_after_seconds: u64 },
    /// The venue has as many screens as it may (`max_screens`).
    #[error("the venue has {max} screens, as many as it may")]
    TooManyScreens { max: u32 },
    /// The sale cannot be priced: no card, a type unknown, not sold on the
    /// channel, or not priced on a seat's kind.
    #[error("{0}")]
    Pricing(#[from] super::prices::PricingRefusal),
    #[error("no staff account has this login")]
    StaffNotFound,
    #[error("no such API key")]
    KeyNotFound,
    /// Logins are unique.
    #[error("a staff account with this login exists already")]
    LoginTaken,
    /// An `Idempotency-Key` reused for another request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyMismatch,
}

/// What keeps a record from being changed or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InUse {
    #[error("the screen still has shows")]
    ScreenHasShows,
    #[error("the film still has shows")]
    FilmHasShows,
    #[error("the show still has bookings or holds")]
    ShowHasBookings,
    #[error("a price card still prices this ticket type")]
    TicketTypeOnCard,
    #[error("the default screen comes from the configuration and cannot be changed or deleted")]
    DefaultScreen,
}
