//! The business rules, as pure functions: no I/O, no clock of their own.

use serde_json::Value;

use super::time::Millis;
use crate::error::Error;

pub const MAX_USER_NAME_CHARS: usize = 100;

/// `userName`: trimmed, 1..=100 characters, no control characters.
pub fn user_name_from_json(value: Option<&Value>) -> Result<String, Error> {
    let name = match value {
        None | Some(Value::Null) => return Err(Error::invalid("userName cannot be null.")),
        Some(Value::String(name)) => name.trim(),
        Some(_) => return Err(Error::invalid("userName must be a string.")),
    };
    if name.is_empty() {
        return Err(Error::invalid("userName cannot be null."));
    }
    if name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(Error::invalid(format!(
            "userName must be at most {MAX_USER_NAME_CHARS} characters."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "userName cannot contain control characters.",
        ));
    }
    Ok(name.to_owned())
}

/// `ticketCount`: a JSON integer >= 1. How many of them fit is the capacity
/// rule's business, so any size is returned as is.
pub fn ticket_count_from_json(value: Option<&Value>) -> Result<u64, Error> {
    match value.and_then(Value::as_u64) {
        Some(count) if count >= 1 => Ok(count),
        _ => Err(Error::invalid("Please provide a valid ticket count")),
    }
}

/// Seats a show has sold after `requested` more, or `TicketLimitExceeded` when
/// that would pass `capacity`.
pub fn seats_after_booking(sold: u32, requested: u64, capacity: u32) -> Result<u32, Error> {
    let total = u64::from(sold).saturating_add(requested);
    if total > u64::from(capacity) {
        return Err(Error::TicketLimitExceeded);
    }
    Ok(total as u32)
}

/// A ticket is expired from the instant its show started `expire_after_ms` ago.
pub fn is_expired(show_start: Millis, expire_after_ms: i64, now: Millis) -> bool {
    now >= show_start.saturating_add(expire_after_ms)
}

/// The latest show start whose tickets are expired at `now`.
pub fn expiry_cutoff(now: Millis, expire_after_ms: i64) -> Millis {
    now.saturating_sub(expire_after_ms)
}

/// Bookings and moves go to shows that have not started yet.
pub fn ensure_not_past(show_start: Millis, now: Millis) -> Result<(), Error> {
    if show_start < now {
        return Err(Error::ShowTimeInPast);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn the_last_seat_sells_and_the_next_one_does_not() {
        assert_eq!(seats_after_booking(0, 20, 20), Ok(20));
        assert_eq!(seats_after_booking(19, 1, 20), Ok(20));
        assert_eq!(
            seats_after_booking(20, 1, 20),
            Err(Error::TicketLimitExceeded)
        );
        assert_eq!(
            seats_after_booking(0, 21, 20),
            Err(Error::TicketLimitExceeded)
        );
        assert_eq!(
            seats_after_booking(5, u64::MAX, 20),
            Err(Error::TicketLimitExceeded)
        );
        assert_eq!(seats_after_booking(0, 1, u32::MAX), Ok(1));
    }

    #[test]
    fn expiry_starts_exactly_at_expire_after() {
        let start = 1_000 * HOUR;
        assert!(!is_expired(start, 8 * HOUR, start + 8 * HOUR - 1));
        assert!(is_expired(start, 8 * HOUR, start + 8 * HOUR));
        assert!(is_expired(start, 8 * HOUR, start + 9 * HOUR));
        assert!(!is_expired(start, 8 * HOUR, start - HOUR));
        assert_eq!(expiry_cutoff(start + 8 * HOUR, 8 * HOUR), start);
    }

    #[test]
    fn only_past_starts_are_refused() {
        assert_eq!(ensure_not_past(1_000, 1_000), Ok(()));
        assert_eq!(ensure_not_past(1_001, 1_000), Ok(()));
        assert_eq!(ensure_not_past(999, 1_000), Err(Error::ShowTimeInPast));
    }

    #[test]
    fn user_names_are_trimmed_and_bounded() {
        assert_eq!(
            user_name_from_json(Some(&json!("  Asha "))),
            Ok("Asha".into())
        );
        assert_eq!(
            user_name_from_json(Some(&json!("é".repeat(100)))),
            Ok("é".repeat(100))
        );
        for bad in [json!(null), json!(""), json!("   ")] {
            assert_eq!(
                user_name_from_json(Some(&bad)),
                Err(Error::invalid("userName cannot be null."))
            );
        }
        assert_eq!(
            user_name_from_json(None),
            Err(Error::invalid("userName cannot be null."))
        );
        for bad in [
            json!("a".repeat(101)),
            json!("Asha\u{0}"),
            json!("As\nha"),
            json!(42),
            json!({"$ne": null}),
            json!(["Asha"]),
        ] {
            assert!(user_name_from_json(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ticket_counts_are_positive_integers() {
        assert_eq!(ticket_count_from_json(Some(&json!(1))), Ok(1));
        assert_eq!(ticket_count_from_json(Some(&json!(500))), Ok(500));
        for bad in [
            None,
            Some(json!(0)),
            Some(json!(-1)),
            Some(json!(1.5)),
            Some(json!(2.0)),
            Some(json!("2")),
            Some(json!(null)),
            Some(json!({"$gt": 0})),
        ] {
            assert_eq!(
                ticket_count_from_json(bad.as_ref()),
                Err(Error::invalid("Please provide a valid ticket count")),
                "{bad:?}"
            );
        }
    }
}
