//! Holds: seats (or places) of a show kept for one customer while they type,
//! until `expires_at`. A hold counts from the instant it is made to the
//! instant it expires, judged by the trusted now inside each transaction, so
//! an expired hold stops counting at once, whenever the purge gets to it.

use super::client::ClientId;
use super::seating::{SeatIndex, SeatSet};
use super::time::Millis;
use super::{HoldId, Rules, ShowId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub id: HoldId,
    pub show_id: ShowId,
    /// On a seat-map show, exactly which seats; else empty.
    pub seats: Vec<SeatIndex>,
    pub count: u32,
    pub expires_at: Millis,
    pub created_at: Millis,
    /// The limited client whose share it counts against; `None` for staff.
    pub client: Option<ClientId>,
    /// One per seat or place, priced when it was held: a confirmation
    /// keeps these prices.
    pub lines: Vec<super::prices::Line>,
}

impl Hold {
    /// What it keeps of its show, as the show's index lists it.
    pub fn kept(&self) -> Kept {
        Kept {
            hold: self.id,
            expires_at: self.expires_at,
            count: self.count,
            seats: self.seats.clone(),
        }
    }

    /// Live from its making until, not including, `expires_at`.
    pub fn is_live(&self, now: Millis) -> bool {
        now < self.expires_at
    }

    /// Whole seconds left, rounded up: 0 once it expired.
    pub fn seconds_left(&self, now: Millis) -> u64 {
        let left = self.expires_at.saturating_sub(now).max(0);
        u64::try_from(left).unwrap_or(0).div_ceil(1_000)
    }
}

/// What one hold keeps of its show, until when: all that judging the show's
/// seats needs, so a show's index can list it without the hold's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub hold: HoldId,
    pub expires_at: Millis,
    pub count: u32,
    /// On a seat-map show, exactly which seats; else empty.
    pub seats: Vec<SeatIndex>,
}

impl Kept {
    /// Live from its hold's making until, not including, `expires_at`.
    pub fn is_live(&self, now: Millis) -> bool {
        now < self.expires_at
    }
}

/// What a show's live holds keep at one instant: on a seat map which seats,
/// and their places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldNow {
    pub seats: Option<SeatSet>,
    pub count: u32,
}

impl HeldNow {
    /// What a show no hold was ever made on keeps.
    pub fn nothing() -> Self {
        Self {
            seats: None,
            count: 0,
        }
    }
}

/// When a hold made at `now` expires: after `requested_ms` (or the
/// configured `hold_for`), never more than `hold_max`, never after the show
/// starts.
pub fn expiry(now: Millis, requested_ms: Option<i64>, rules: Rules, show_start: Millis) -> Millis {
    let length = requested_ms
        .unwrap_or(rules.hold_for_ms)
        .clamp(0, rules.hold_max_ms);
    now.saturating_add(length).min(show_start)
}

/// When `hold`, given more time at `now`, expires: after `requested_ms`
/// from now, never past its making + `hold_max`, never after the show
/// starts. A shorter time than it had is taken as asked.
pub fn extended_expiry(
    hold: &Hold,
    now: Millis,
    requested_ms: i64,
    rules: Rules,
    show_start: Millis,
) -> Millis {
    let longest = hold.created_at.saturating_add(rules.hold_max_ms);
    now.saturating_add(requested_ms.clamp(0, rules.hold_max_ms))
        .min(longest)
        .min(show_start)
}

/// What the live holds among `holds` keep at `now`: their seats (on a map of
/// `map_len` seats) and their count.
pub fn held<'a>(
    holds: impl IntoIterator<Item = &'a Kept>,
    now: Millis,
    map_len: Option<usize>,
) -> (Option<SeatSet>, u32) {
    let mut seats = map_len.map(SeatSet::new);
    let mut count: u32 = 0;
    for hold in holds.into_iter().filter(|hold| hold.is_live(now)) {
        count = count.saturating_add(hold.count);
        if let Some(seats) = &mut seats {
            seats.extend(hold.seats.iter().copied());
        }
    }
    (seats, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn hold(count: u32, seats: &[u16], expires_at: Millis) -> Hold {
        Hold {
            id: HoldId::from_u128(1),
            show_id: ShowId::from_u128(2),
            seats: seats.iter().copied().map(SeatIndex).collect(),
            count,
            expires_at,
            created_at: 0,
            client: None,
            lines: Vec::new(),
        }
    }

    #[test]
    fn a_hold_counts_until_the_millisecond_it_expires() {
        let hold = hold(2, &[], 10_000);
        assert!(hold.is_live(9_999));
        assert!(!hold.is_live(10_000));
        assert_eq!(hold.seconds_left(9_999), 1);
        assert_eq!(hold.seconds_left(8_000), 2);
        assert_eq!(hold.seconds_left(7_999), 3);
        assert_eq!(hold.seconds_left(10_000), 0);
        assert_eq!(hold.seconds_left(99_000), 0);
    }

    #[test]
    fn a_hold_lasts_what_was_asked_capped_by_the_maximum_and_the_show() {
        let rules = Rules::new(20, 8 * 60 * MINUTE);
        let start = 1_000 * MINUTE;
        assert_eq!(expiry(0, None, rules, start), 10 * MINUTE);
        assert_eq!(expiry(0, Some(5 * MINUTE), rules, start), 5 * MINUTE);
        assert_eq!(expiry(0, Some(90 * MINUTE), rules, start), 30 * MINUTE);
        assert_eq!(expiry(start - MINUTE, None, rules, start), start);
    }

    #[test]
    fn more_time_runs_from_now_up_to_the_maximum_from_the_making() {
        let rules = Rules::new(20, 8 * 60 * MINUTE);
        let start = 1_000 * MINUTE;
        let made = hold(1, &[], 10 * MINUTE);
        assert_eq!(
            extended_expiry(&made, 8 * MINUTE, 10 * MINUTE, rules, start),
            18 * MINUTE
        );
        assert_eq!(
            extended_expiry(&made, 25 * MINUTE, 10 * MINUTE, rules, start),
            30 * MINUTE,
            "never past hold_max from its making"
        );
        assert_eq!(
            extended_expiry(&made, 8 * MINUTE, MINUTE, rules, start),
            9 * MINUTE
        );
        assert_eq!(
            extended_expiry(&made, 8 * MINUTE, 10 * MINUTE, rules, 12 * MINUTE),
            12 * MINUTE,
            "never past the show's start"
        );
    }

    #[test]
    fn only_live_holds_keep_seats() {
        let holds = [hold(2, &[0, 1], 5_000).kept(), hold(1, &[4], 9_000).kept()];
        let (seats, count) = held(&holds, 5_000, Some(6));
        assert_eq!(count, 1);
        let seats = seats.unwrap();
        assert!(seats.contains(SeatIndex(4)) && !seats.contains(SeatIndex(0)));
        assert_eq!(held(&holds, 4_999, Some(6)).1, 3);
        assert_eq!(held(&holds, 4_999, None), (None, 3));
    }
}
