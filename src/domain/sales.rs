//! Selling seats of a show: whether it still sells, which seats a party
//! gets (by name, or the best block for a count), and what a booking gives
//! back when it leaves. Pure functions over the show as read.

use super::expiry::is_expired;
use super::seating::{
    best_available, resolve, taken_among, SeatIndex, SeatMap, SeatNameError, SeatSet,
};
use super::time::Millis;
use super::{Refusal, Show, Ticket};

/// Which seats a party asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party<'a> {
    Named(&'a [String]),
    Count(u32),
}

/// A show sells until it starts; once its tickets expired it is gone (410).
pub fn ensure_on_sale(show: &Show, now: Millis, expire_after_ms: i64) -> Result<(), Refusal> {
    if is_expired(show.starts_at, expire_after_ms, now) {
        return Err(Refusal::TicketExpired);
    }
    if now >= show.starts_at {
        return Err(Refusal::ShowStarted);
    }
    Ok(())
}

/// Seats of `show` that cannot be had: sold, blocked, or in `held`.
fn unavailable(show: &Show, map: &SeatMap, held: Option<&SeatSet>) -> SeatSet {
    let mut taken = map.blocked();
    if let Some(sold) = &show.sold_seats {
        taken.union_with(sold);
    }
    if let Some(held) = held {
        taken.union_with(held);
    }
    taken
}

/// Gives `party` seats of `show` (whose screen has `map`, or none for general
/// admission), with `held` seats (or `held_count` places) kept for others:
/// the seats taken, in the order named or along the row; `show` counts them.
pub fn take_seats(
    show: &mut Show,
    map: Option<&SeatMap>,
    party: Party<'_>,
    held: Option<&SeatSet>,
    held_count: u32,
) -> Result<Vec<SeatIndex>, Refusal> {
    let Some(map) = map else {
        let Party::Count(count) = party else {
            return Err(Refusal::NoSeatMap);
        };
        let total = u64::from(show.sold) + u64::from(held_count) + u64::from(count);
        if count == 0 || total > u64::from(show.capacity) {
            return Err(Refusal::NotEnoughSeats);
        }
        show.sold += count;
        return Ok(Vec::new());
    };
    let taken = unavailable(show, map, held);
    let seats = match party {
        Party::Named(names) => {
            let seats = resolve(map, names).map_err(|error| match error {
                SeatNameError::Unknown(unknown) => Refusal::UnknownSeats(unknown),
                SeatNameError::Duplicate(name) => Refusal::SeatNamedTwice(name),
                SeatNameError::Empty => Refusal::NoSeatsNamed,
            })?;
            let clash = taken_among(&seats, &taken);
            if !clash.is_empty() {
                return Err(Refusal::SeatsTaken(
                    clash
                        .into_iter()
                        .filter_map(|seat| map.name(seat))
                        .collect(),
                ));
            }
            seats
        }
        Party::Count(count) => {
            best_available(map, &taken, count as usize).ok_or(Refusal::NotEnoughSeats)?
        }
    };
    let sold = show
        .sold_seats
        .get_or_insert_with(|| SeatSet::new(map.len()));
    for seat in &seats {
        sold.insert(*seat);
    }
    // At most the map's 2000 seats.
    show.sold += u32::try_from(seats.len()).unwrap_or(u32::MAX);
    Ok(seats)
}

/// `show` once the seats of `hold` are sold to its customer.
pub fn sell_held(show: &mut Show, hold: &super::holds::Hold) {
    show.sold = show.sold.saturating_add(hold.count);
    if let Some(sold) = &mut show.sold_seats {
        sold.extend(hold.seats.iter().copied());
    }
}

/// `show` as it is once `ticket` no longer holds its seats.
pub fn release(show: &mut Show, ticket: &Ticket) {
    show.sold = show.sold.saturating_sub(ticket.count);
    if let Some(sold) = &mut show.sold_seats {
        for seat in &ticket.seats {
            sold.remove(*seat);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seating::{Row, Seat, SeatKind};
    use crate::domain::{Phone, ScreenId, ShowId, TicketId};

    const HOUR: i64 = 3_600_000;

    fn map() -> SeatMap {
        let seat = |number: u32| Seat {
            number: number.to_string(),
            kind: SeatKind::Standard,
            blocked: number == 4,
            aisle_after: false,
        };
        SeatMap::new(vec![Row {
            label: "A".into(),
            seats: (1..=6).map(seat).collect(),
        }])
        .unwrap()
    }

    fn seated_show() -> Show {
        Show {
            screen: ScreenId::from_u128(5),
            sold_seats: Some(SeatSet::new(6)),
            ..Show::empty(ShowId::from_u128(1), 10 * HOUR, 5)
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_show_sells_until_it_starts_and_is_gone_once_expired() {
        let show = seated_show();
        assert_eq!(ensure_on_sale(&show, 10 * HOUR - 1, 8 * HOUR), Ok(()));
        assert_eq!(
            ensure_on_sale(&show, 10 * HOUR, 8 * HOUR),
            Err(Refusal::ShowStarted)
        );
        assert_eq!(
            ensure_on_sale(&show, 18 * HOUR, 8 * HOUR),
            Err(Refusal::TicketExpired)
        );
    }

    #[test]
    fn named_seats_sell_once_and_never_when_blocked() {
        let map = map();
        let mut show = seated_show();
        let wanted = names(&["A2", "A3"]);
        let seats = take_seats(&mut show, Some(&map), Party::Named(&wanted), None, 0).unwrap();
        assert_eq!(seats, [SeatIndex(1), SeatIndex(2)]);
        assert_eq!(show.sold, 2);
        let again = names(&["A3", "A4", "A5"]);
        assert_eq!(
            take_seats(&mut show, Some(&map), Party::Named(&again), None, 0),
            Err(Refusal::SeatsTaken(names(&["A3", "A4"])))
        );
        assert_eq!(show.sold, 2, "a refusal takes nothing");
        let unknown = names(&["A9", "B1"]);
        assert_eq!(
            take_seats(&mut show, Some(&map), Party::Named(&unknown), None, 0),
            Err(Refusal::UnknownSeats(names(&["A9", "B1"])))
        );
    }

    #[test]
    fn held_seats_are_taken_for_everyone_else() {
        let map = map();
        let mut show = seated_show();
        let mut held = SeatSet::new(6);
        held.insert(SeatIndex(0));
        let wanted = names(&["A1"]);
        assert_eq!(
            take_seats(&mut show, Some(&map), Party::Named(&wanted), Some(&held), 1),
            Err(Refusal::SeatsTaken(names(&["A1"])))
        );
    }

    #[test]
    fn a_count_on_a_seat_map_gets_a_block_or_nothing() {
        let map = map();
        let mut show = seated_show();
        // A4 is blocked: blocks are A1-A3 and A5-A6.
        let seats = take_seats(&mut show, Some(&map), Party::Count(3), None, 0).unwrap();
        assert_eq!(seats, [SeatIndex(0), SeatIndex(1), SeatIndex(2)]);
        assert_eq!(
            take_seats(&mut show, Some(&map), Party::Count(3), None, 0),
            Err(Refusal::NotEnoughSeats),
            "two seats are left together, never a split party"
        );
    }

    #[test]
    fn general_admission_counts_holds_and_refuses_names() {
        let mut show = Show::empty(ShowId::from_u128(1), 10 * HOUR, 5);
        assert_eq!(
            take_seats(&mut show, None, Party::Count(3), None, 1),
            Ok(vec![])
        );
        assert_eq!(show.sold, 3);
        assert_eq!(
            take_seats(&mut show, None, Party::Count(2), None, 1),
            Err(Refusal::NotEnoughSeats)
        );
        let wanted = names(&["A1"]);
        assert_eq!(
            take_seats(&mut show, None, Party::Named(&wanted), None, 0),
            Err(Refusal::NoSeatMap)
        );
    }

    #[test]
    fn a_released_booking_frees_its_seats() {
        let map = map();
        let mut show = seated_show();
        let wanted = names(&["A5", "A6"]);
        let seats = take_seats(&mut show, Some(&map), Party::Named(&wanted), None, 0).unwrap();
        let id = TicketId::from_u128(2);
        let ticket = Ticket {
            id,
            show_id: show.id,
            user_name: "Asha".into(),
            phone: Phone::Number(9876543210),
            count: 2,
            seats,
            created_at: 0,
            reference: crate::domain::Reference::candidate(id.as_u128(), 0),
            lines: Vec::new(),
        };
        release(&mut show, &ticket);
        assert_eq!(show.sold, 0);
        assert!(show.sold_seats.as_ref().unwrap().is_empty());
    }
}
