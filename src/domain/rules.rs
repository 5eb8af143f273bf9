//! The business rules, as pure functions: no I/O, no clock of their own.
//! Every backend reads the state a use case needs, asks these what to do,
//! and writes only what they decided.

pub use super::expiry::{expiry_cutoff, is_expired};
use super::limits::Limits;
use super::text::TextError;
use super::time::Millis;
use super::{Refusal, Show, Ticket};

pub const MAX_USER_NAME_CHARS: usize = 100;

/// The rules a venue is configured with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Seats of an `/api` show created from now on (the default screen's).
    pub capacity: u32,
    /// A show's tickets expire this long after it starts.
    pub expire_after_ms: i64,
    /// The gap a screen needs between two shows.
    pub turnaround_ms: i64,
    /// How long an `Idempotency-Key`'s answer is kept.
    pub idempotency_ttl_ms: i64,
    /// How long a hold keeps its seats unless asked otherwise, and at most.
    pub hold_for_ms: i64,
    pub hold_max_ms: i64,
    /// What one limited client may take.
    pub limits: Limits,
    /// The venue's zone: price cards' days and times are venue-local.
    pub zone: chrono_tz::Tz,
    /// What every amount is in; a database keeps the one it started with.
    pub currency: super::currency::Currency,
}

impl Rules {
    /// The defaults but for seats and expiry.
    pub const fn new(capacity: u32, expire_after_ms: i64) -> Self {
        Self {
            capacity,
            expire_after_ms,
            turnaround_ms: 15 * 60_000,
            idempotency_ttl_ms: 24 * 3_600_000,
            hold_for_ms: 10 * 60_000,
            hold_max_ms: 30 * 60_000,
            limits: Limits::DEFAULT,
            zone: chrono_tz::Tz::UTC,
            currency: super::currency::Currency::EUR,
        }
    }
}

/// What is wrong with a holder's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name has no visible character")]
    Invisible,
    #[error("the name is longer than {MAX_USER_NAME_CHARS} characters")]
    TooLong,
    #[error("the name contains a control character")]
    ControlCharacter,
    #[error("the name contains a bidirectional override or isolate")]
    Bidirectional,
    #[error("the name contains a byte-order mark")]
    ByteOrderMark,
}

/// A holder's name: free text of 1..=100 characters (see [`super::text`]).
pub fn user_name(text: &str) -> Result<String, NameError> {
    super::text::clean(text, MAX_USER_NAME_CHARS).map_err(|error| match error {
        TextError::Empty => NameError::Empty,
        TextError::Invisible => NameError::Invisible,
        TextError::TooLong(_) => NameError::TooLong,
        TextError::ControlCharacter => NameError::ControlCharacter,
        TextError::Bidirectional => NameError::Bidirectional,
        TextError::ByteOrderMark => NameError::ByteOrderMark,
    })
}

/// Seats a show has sold after `requested` more, or `LimitExceeded` when that
/// would pass `capacity`.
pub fn seats_after_booking(sold: u32, requested: u64, capacity: u32) -> Result<u32, Refusal> {
    let total = u64::from(sold).saturating_add(requested);
    if total > u64::from(capacity) {
        return Err(Refusal::LimitExceeded);
    }
    // Bounded by `capacity`, a u32.
    u32::try_from(total).map_err(|_| Refusal::LimitExceeded)
}

/// Bookings and moves go to shows that have not started yet.
pub fn ensure_not_past(show_start: Millis, now: Millis) -> Result<(), Refusal> {
    if show_start < now {
        return Err(Refusal::ShowTimeInPast);
    }
    Ok(())
}

/// A booking of `count` seats in `show` (the show at that time, or a new
/// empty one) while live holds keep `held` of its places: the show as it
/// will be, and the ticket's seat count.
pub fn book(mut show: Show, count: u64, held: u32, now: Millis) -> Result<(Show, u32), Refusal> {
    ensure_not_past(show.starts_at, now)?;
    let taken = show.sold.saturating_add(held);
    seats_after_booking(taken, count, show.capacity)?;
    // Bounded by the capacity just checked, a u32.
    let seats = u32::try_from(count).map_err(|_| Refusal::LimitExceeded)?;
    show.sold += seats;
    Ok((show, seats))
}

/// What moving a ticket does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// The ticket is already in that show: nothing changes.
    Stay(Show),
    /// Both shows as they will be.
    Between { from: Show, to: Show },
}

/// Moving `ticket` out of `from`, its show, into `to` (the show at the new
/// time, or a new empty one; `from` itself when the time is the same),
/// where live holds keep `held_at_to` places.
pub fn move_ticket(
    ticket: &Ticket,
    mut from: Show,
    mut to: Show,
    held_at_to: u32,
    now: Millis,
    rules: Rules,
) -> Result<Move, Refusal> {
    if is_expired(from.starts_at, rules.expire_after_ms, now) {
        return Err(Refusal::TicketExpired);
    }
    ensure_not_past(to.starts_at, now)?;
    if from.id == to.id {
        return Ok(Move::Stay(from));
    }
    seats_after_booking(
        to.sold.saturating_add(held_at_to),
        u64::from(ticket.count),
        to.capacity,
    )?;
    to.sold += ticket.count;
    super::sales::release(&mut from, ticket);
    Ok(Move::Between { from, to })
}

/// The show a deleted ticket leaves, as it will be.
pub fn delete(ticket: &Ticket, mut show: Show) -> Show {
    super::sales::release(&mut show, ticket);
    show
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Phone, ShowId, TicketId};

    const HOUR: i64 = 3_600_000;
    const RULES: Rules = Rules::new(20, 8 * HOUR);

    fn show(id: u128, starts_at: Millis, sold: u32) -> Show {
        Show {
            sold,
            ..Show::empty(ShowId::from_u128(id), starts_at, 20)
        }
    }

    fn ticket(count: u32) -> Ticket {
        let id = TicketId::from_u128(9);
        Ticket {
            id,
            show_id: ShowId::from_u128(1),
            user_name: "Asha".into(),
            phone: Phone::Number(9_876_543_210),
            count,
            seats: Vec::new(),
            created_at: 0,
            reference: crate::domain::Reference::candidate(id.as_u128(), 0),
            lines: Vec::new(),
        }
    }

    #[test]
    fn the_last_seat_sells_and_the_next_one_does_not() {
        assert_eq!(seats_after_booking(0, 20, 20), Ok(20));
        assert_eq!(seats_after_booking(19, 1, 20), Ok(20));
        assert_eq!(seats_after_booking(20, 1, 20), Err(Refusal::LimitExceeded));
        assert_eq!(seats_after_booking(0, 21, 20), Err(Refusal::LimitExceeded));
        assert_eq!(
            seats_after_booking(5, u64::MAX, 20),
            Err(Refusal::LimitExceeded)
        );
        assert_eq!(seats_after_booking(0, 1, u32::MAX), Ok(1));
    }

    #[test]
    fn only_past_starts_are_refused() {
        assert_eq!(ensure_not_past(1_000, 1_000), Ok(()));
        assert_eq!(ensure_not_past(1_001, 1_000), Ok(()));
        assert_eq!(ensure_not_past(999, 1_000), Err(Refusal::ShowTimeInPast));
    }

    #[test]
    fn user_names_are_trimmed_and_bounded() {
        assert_eq!(user_name("  Asha "), Ok("Asha".into()));
        assert_eq!(user_name(&"é".repeat(100)), Ok("é".repeat(100)));
        assert_eq!(user_name(""), Err(NameError::Empty));
        assert_eq!(user_name("   "), Err(NameError::Empty));
        assert_eq!(user_name(&"a".repeat(101)), Err(NameError::TooLong));
        assert_eq!(user_name("Asha\u{0}"), Err(NameError::ControlCharacter));
        assert_eq!(user_name("As\nha"), Err(NameError::ControlCharacter));
    }

    #[test]
    fn a_booking_fills_the_show_or_is_refused_whole() {
        let now = 100 * HOUR;
        let (after, seats) = book(show(1, now + HOUR, 18), 2, 0, now).unwrap();
        assert_eq!((after.sold, seats), (20, 2));
        assert_eq!(
            book(show(1, now + HOUR, 19), 2, 0, now),
            Err(Refusal::LimitExceeded)
        );
        assert_eq!(
            book(show(1, now + HOUR, 16), 2, 3, now),
            Err(Refusal::LimitExceeded),
            "held places are not for sale"
        );
        assert_eq!(
            book(show(1, now - 1, 0), 1, 0, now),
            Err(Refusal::ShowTimeInPast)
        );
    }

    #[test]
    fn a_move_checks_expiry_then_time_then_seats() {
        let now = 100 * HOUR;
        let from = show(1, now + HOUR, 5);
        let moved = move_ticket(
            &ticket(3),
            from.clone(),
            show(2, now + 2 * HOUR, 17),
            0,
            now,
            RULES,
        );
        assert_eq!(
            moved,
            Ok(Move::Between {
                from: show(1, now + HOUR, 2),
                to: show(2, now + 2 * HOUR, 20),
            })
        );
        assert_eq!(
            move_ticket(
                &ticket(3),
                from.clone(),
                show(2, now + 2 * HOUR, 18),
                0,
                now,
                RULES
            ),
            Err(Refusal::LimitExceeded)
        );
        assert_eq!(
            move_ticket(
                &ticket(3),
                from.clone(),
                show(2, now + 2 * HOUR, 14),
                4,
                now,
                RULES
            ),
            Err(Refusal::LimitExceeded),
            "held places are not for sale"
        );
        assert_eq!(
            move_ticket(&ticket(3), from.clone(), show(2, now - 1, 0), 0, now, RULES),
            Err(Refusal::ShowTimeInPast)
        );
        assert_eq!(
            move_ticket(&ticket(3), from.clone(), from.clone(), 0, now, RULES),
            Ok(Move::Stay(from))
        );
        let old = show(1, now - 8 * HOUR, 5);
        assert_eq!(
            move_ticket(&ticket(3), old, show(2, now - 1, 0), 0, now, RULES),
            Err(Refusal::TicketExpired),
            "an expired ticket is 410 even when the new time is past too"
        );
    }

    #[test]
    fn a_delete_frees_the_ticket_s_seats() {
        assert_eq!(delete(&ticket(3), show(1, 0, 5)).sold, 2);
        assert_eq!(delete(&ticket(3), show(1, 0, 1)).sold, 0);
    }
}
