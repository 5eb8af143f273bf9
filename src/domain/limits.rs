//! The limits that keep one client from taking a show: how much of a show
//! one client may hold, how many holds it may keep, and how long seats it
//! released or let expire stay out of its reach. Pure functions over what
//! the backend read inside the hold's own transaction, so the check and the
//! hold are one atomic step on every backend.
//!
//! Only limited clients (anonymous ones, and later `kiosk` keys) are
//! checked; staff are not. A hold remembers its limited client, so its
//! seats count against that client for as long as it is live.

pub use super::client::ClientId;
use super::holds::Hold;
use super::sales::{take_seats, Party};
use super::seating::{SeatIndex, SeatMap, SeatSet};
use super::time::Millis;
use super::{HoldId, Refusal, Show, ShowId};

/// A share of a show never holds fewer seats than this.
pub const MIN_HOLD_SHARE_SEATS: u32 = 10;

/// The limits a venue is configured with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Percent of a show's capacity one client may hold at once.
    pub hold_share_percent: u32,
    /// Live holds one client may keep, over every show.
    pub holds_per_client: u32,
    /// How long seats a client released or let expire stay out of its reach.
    pub hold_cooldown_ms: i64,
    /// Live `Idempotency-Key` answers kept for one client.
    pub idempotency_per_client: u32,
    /// Screens one venue may have, the default one aside.
    pub max_screens: u32,
}

impl Limits {
    pub const DEFAULT: Self = Self {
        hold_share_percent: 25,
        holds_per_client: 2,
        hold_cooldown_ms: 60_000,
        idempotency_per_client: 1_000,
        max_screens: 100,
    };

    /// Seats one client may hold of a show of `capacity`: its share rounded
    /// up, never fewer than [`MIN_HOLD_SHARE_SEATS`].
    pub fn hold_share(&self, capacity: u32) -> u32 {
        let share = (u64::from(capacity) * u64::from(self.hold_share_percent)).div_ceil(100);
        u32::try_from(share)
            .unwrap_or(u32::MAX)
            .max(MIN_HOLD_SHARE_SEATS)
    }
}

/// Seats (or places) of a show a client gave back, out of its reach until
/// `until`: a released hold's, from its release; an expired hold's are read
/// from the hold itself while it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cooldown {
    pub client: ClientId,
    pub show: ShowId,
    pub hold: HoldId,
    pub until: Millis,
    pub seats: Vec<SeatIndex>,
    pub count: u32,
}

/// The cooldown a hold of a limited client leaves when it is released at
/// `now` (or had expired before), if it outlasts `now`.
pub fn cooldown_after_release(hold: &Hold, now: Millis, limits: Limits) -> Option<Cooldown> {
    let client = hold.client?;
    let until = now
        .min(hold.expires_at)
        .saturating_add(limits.hold_cooldown_ms);
    (until > now).then(|| Cooldown {
        client,
        show: hold.show_id,
        hold: hold.id,
        until,
        seats: hold.seats.clone(),
        count: hold.count,
    })
}

/// What a limited client may still hold of one show: checked before the
/// seats are picked, with the seats it may not take again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Seats (on a seat map) the client gave back and may not hold yet.
    pub cooled_seats: Option<SeatSet>,
    /// When each cooled seat becomes the client's to take again.
    cooled_until: Vec<(SeatIndex, Millis)>,
    /// Places at most the new hold may keep.
    pub most: u32,
    /// When the client's share or hold count frees up next.
    retry_at: Millis,
}

/// Which limit refused a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldLimit {
    /// The client keeps `holds_per_client` live holds.
    LiveHolds,
    /// The client holds its share of the show (with, on general admission,
    /// the places it gave back within the cooldown).
    Share,
    /// The client gave these seats back within the cooldown.
    Cooldown,
}

impl std::fmt::Display for HoldLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LiveHolds => "this client keeps as many live holds as it may",
            Self::Share => "this client holds as much of this show as it may",
            Self::Cooldown => "this client gave these seats back too recently to hold them again",
        })
    }
}

fn retry_refusal(limit: HoldLimit, at: Millis, now: Millis) -> Refusal {
    let seconds = u64::try_from(at.saturating_sub(now).max(1))
        .unwrap_or(1)
        .div_ceil(1_000);
    Refusal::TooManyHolds {
        limit,
        retry_after_seconds: seconds.max(1),
    }
}

/// What `client` may hold of `show` (of `capacity`, on a map of `map_len`
/// seats or none) at `now`, given every stored hold of the client (any
/// show, live or not) and its cooldowns on this show; refused when it keeps
/// as many live holds as it may, or its share of the show is used up.
pub fn allowance(
    limits: Limits,
    now: Millis,
    (show, capacity, map_len): (ShowId, u32, Option<usize>),
    client_holds: &[Hold],
    cooldowns: &[Cooldown],
) -> Result<Allowance, Refusal> {
    let live: Vec<&Hold> = client_holds.iter().filter(|h| h.is_live(now)).collect();
    if u32::try_from(live.len()).unwrap_or(u32::MAX) >= limits.holds_per_client {
        let next = live.iter().map(|hold| hold.expires_at).min().unwrap_or(now);
        return Err(retry_refusal(HoldLimit::LiveHolds, next, now));
    }
    // What this client gave back of this show and may not take again yet:
    // released holds, and expired ones not yet purged.
    let expired = client_holds
        .iter()
        .filter(|hold| hold.show_id == show && !hold.is_live(now))
        .filter_map(|hold| {
            let until = hold.expires_at.saturating_add(limits.hold_cooldown_ms);
            (until > now).then_some((until, hold.seats.as_slice(), hold.count))
        });
    let released = cooldowns
        .iter()
        .filter(|cooldown| cooldown.show == show && cooldown.until > now)
        .map(|cooldown| (cooldown.until, cooldown.seats.as_slice(), cooldown.count));
    let mut cooled_seats = map_len.map(SeatSet::new);
    let mut cooled_until = Vec::new();
    let mut cooled_places: u32 = 0;
    let mut retry_at = Millis::MAX;
    for (until, seats, count) in expired.chain(released) {
        if let Some(set) = &mut cooled_seats {
            for seat in seats {
                set.insert(*seat);
                cooled_until.push((*seat, until));
            }
        } else {
            // On general admission the places are alike: those given back
            // count against the client's share until their cooldown ends.
            cooled_places = cooled_places.saturating_add(count);
            retry_at = retry_at.min(until);
        }
    }
    let mine: Vec<&&Hold> = live.iter().filter(|hold| hold.show_id == show).collect();
    let held: u32 = mine.iter().map(|hold| hold.count).sum();
    for hold in &mine {
        retry_at = retry_at.min(hold.expires_at);
    }
    let most = limits
        .hold_share(capacity)
        .saturating_sub(held)
        .saturating_sub(cooled_places);
    if retry_at == Millis::MAX {
        retry_at = now;
    }
    if most == 0 {
        return Err(retry_refusal(HoldLimit::Share, retry_at, now));
    }
    Ok(Allowance {
        cooled_seats,
        cooled_until,
        most,
        retry_at,
    })
}

impl Allowance {
    /// Refuses a hold of `count` places past the share.
    pub fn check_count(&self, count: u32, now: Millis) -> Result<(), Refusal> {
        if count > self.most {
            return Err(retry_refusal(HoldLimit::Share, self.retry_at, now));
        }
        Ok(())
    }

    /// Refuses named seats the client gave back and may not take yet.
    pub fn check_seats(&self, seats: &[SeatIndex], now: Millis) -> Result<(), Refusal> {
        let until = self
            .cooled_until
            .iter()
            .filter(|(seat, _)| seats.contains(seat))
            .map(|(_, until)| *until)
            .max();
        match until {
            Some(until) => Err(retry_refusal(HoldLimit::Cooldown, until, now)),
            None => Ok(()),
        }
    }

    /// A refusal for when the only seats left are the client's cooled ones.
    pub fn cooling(&self, now: Millis) -> Refusal {
        let until = self
            .cooled_until
            .iter()
            .map(|(_, until)| *until)
            .min()
            .unwrap_or(now);
        retry_refusal(HoldLimit::Cooldown, until, now)
    }
}

/// The seats a hold for `party` gets on `show`, with `kept` seats (or
/// places) held by others, and for a limited client its `allowance`: its
/// share, and no seat it gave back too recently. Count holds on a seat map
/// pick around those seats; when only they are left, the refusal says when
/// they are the client's again.
pub fn pick_held_seats(
    show: &Show,
    map: Option<&SeatMap>,
    party: Party<'_>,
    (kept_seats, kept_count): (Option<&SeatSet>, u32),
    allowance: Option<&Allowance>,
    now: Millis,
) -> Result<Vec<SeatIndex>, Refusal> {
    // The seats are worked out on a copy: a hold sells nothing.
    let pick = |kept_seats: Option<&SeatSet>| {
        take_seats(&mut show.clone(), map, party, kept_seats, kept_count)
    };
    let Some(allowance) = allowance else {
        return pick(kept_seats);
    };
    if let Party::Count(count) = party {
        allowance.check_count(count, now)?;
    }
    let seats = match (&allowance.cooled_seats, party, kept_seats) {
        (Some(cooled), Party::Count(_), Some(kept)) if !cooled.is_empty() => {
            let mut avoided = kept.clone();
            avoided.union_with(cooled);
            match pick(Some(&avoided)) {
                Err(Refusal::NotEnoughSeats) if pick(Some(kept)).is_ok() => {
                    return Err(allowance.cooling(now))
                }
                other => other?,
            }
        }
        _ => pick(kept_seats)?,
    };
    allowance.check_seats(&seats, now)?;
    allowance.check_count(u32::try_from(seats.len()).unwrap_or(u32::MAX), now)?;
    Ok(seats)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    const NOW: Millis = 1_000_000;

    fn client(last: u8) -> ClientId {
        ClientId::address(IpAddr::from([10, 0, 0, last]))
    }

    fn hold(id: u128, show: u128, seats: &[u16], count: u32, expires_at: Millis) -> Hold {
        Hold {
            id: HoldId::from_u128(id),
            show_id: ShowId::from_u128(show),
            seats: seats.iter().copied().map(SeatIndex).collect(),
            count,
            expires_at,
            created_at: 0,
            client: Some(client(1)),
            lines: Vec::new(),
        }
    }

    fn show(id: u128, capacity: u32, map_len: Option<usize>) -> (ShowId, u32, Option<usize>) {
        (ShowId::from_u128(id), capacity, map_len)
    }

    #[test]
    fn a_share_is_rounded_up_and_never_below_ten_seats() {
        let limits = Limits::DEFAULT;
        assert_eq!(limits.hold_share(20), 10);
        assert_eq!(limits.hold_share(40), 10);
        assert_eq!(limits.hold_share(41), 11);
        assert_eq!(limits.hold_share(100), 25);
        assert_eq!(limits.hold_share(5_000), 1_250);
        let all = Limits {
            hold_share_percent: 100,
            ..limits
        };
        assert_eq!(all.hold_share(u32::MAX), u32::MAX);
    }

    #[test]
    fn addresses_are_one_id_however_they_are_written() {
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ClientId::address(v4), ClientId::address(mapped));
        let id = ClientId::address("2001:db8::1".parse().unwrap());
        assert_eq!(ClientId::from_bytes(id.as_bytes()), Some(id));
        assert_eq!(ClientId::from_bytes(&[0; 17]), None);
        assert_eq!(ClientId::from_bytes(&[b'a'; 3]), None);
    }

    #[test]
    fn a_third_live_hold_waits_for_the_first_to_end() {
        let holds = [
            hold(1, 1, &[], 1, NOW + 5_000),
            hold(2, 2, &[], 1, NOW + 9_000),
        ];
        let refused = allowance(Limits::DEFAULT, NOW, show(3, 100, None), &holds, &[]);
        assert_eq!(
            refused,
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::LiveHolds,
                retry_after_seconds: 5
            })
        );
        let one_expired = [holds[0].clone(), hold(2, 2, &[], 1, NOW)];
        assert!(allowance(Limits::DEFAULT, NOW, show(3, 100, None), &one_expired, &[]).is_ok());
    }

    #[test]
    fn a_client_holds_at_most_its_share_of_one_show() {
        let holds = [hold(1, 1, &[], 20, NOW + 60_000)];
        let left = allowance(Limits::DEFAULT, NOW, show(1, 100, None), &holds, &[]).unwrap();
        assert_eq!(left.most, 5);
        assert!(left.check_count(5, NOW).is_ok());
        assert_eq!(
            left.check_count(6, NOW),
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::Share,
                retry_after_seconds: 60
            })
        );
        let other_show = allowance(Limits::DEFAULT, NOW, show(2, 100, None), &holds, &[]).unwrap();
        assert_eq!(other_show.most, 25);
    }

    #[test]
    fn seats_given_back_stay_out_of_reach_until_the_cooldown_ends() {
        let expired = [hold(1, 1, &[3, 4], 2, NOW - 1_000)];
        let released = [Cooldown {
            client: client(1),
            show: ShowId::from_u128(1),
            hold: HoldId::from_u128(2),
            until: NOW + 30_000,
            seats: vec![SeatIndex(7)],
            count: 1,
        }];
        let left = allowance(
            Limits::DEFAULT,
            NOW,
            show(1, 100, Some(100)),
            &expired,
            &released,
        )
        .unwrap();
        assert_eq!(
            left.check_seats(&[SeatIndex(4)], NOW),
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::Cooldown,
                retry_after_seconds: 59
            })
        );
        assert_eq!(
            left.check_seats(&[SeatIndex(7), SeatIndex(8)], NOW),
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::Cooldown,
                retry_after_seconds: 30
            })
        );
        assert!(left.check_seats(&[SeatIndex(5)], NOW).is_ok());
        let later = NOW + 60_000;
        let free = allowance(
            Limits::DEFAULT,
            later,
            show(1, 100, Some(100)),
            &expired,
            &released,
        )
        .unwrap();
        assert!(free
            .check_seats(&[SeatIndex(4), SeatIndex(7)], later)
            .is_ok());
    }

    #[test]
    fn places_given_back_count_against_the_share_on_general_admission() {
        let released = [Cooldown {
            client: client(1),
            show: ShowId::from_u128(1),
            hold: HoldId::from_u128(2),
            until: NOW + 10_000,
            seats: Vec::new(),
            count: 8,
        }];
        let left = allowance(Limits::DEFAULT, NOW, show(1, 20, None), &[], &released).unwrap();
        assert_eq!(left.most, 2);
        assert_eq!(
            left.check_count(3, NOW),
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::Share,
                retry_after_seconds: 10
            })
        );
    }

    #[test]
    fn a_count_hold_picks_around_cooled_seats_and_is_told_when_only_they_are_left() {
        use crate::domain::seating::{Row, Seat, SeatKind};
        let seat = |number: usize| Seat {
            number: number.to_string(),
            kind: SeatKind::Standard,
            blocked: false,
            aisle_after: false,
        };
        let map = SeatMap::new(vec![Row {
            label: "A".into(),
            seats: (1..=3).map(seat).collect(),
        }])
        .unwrap();
        let mut show = Show::empty(ShowId::from_u128(1), NOW + 3_600_000, 3);
        show.sold_seats = Some(SeatSet::new(3));
        let released = [Cooldown {
            client: client(1),
            show: show.id,
            hold: HoldId::from_u128(2),
            until: NOW + 20_000,
            seats: vec![SeatIndex(1)],
            count: 1,
        }];
        let left = allowance(Limits::DEFAULT, NOW, (show.id, 3, Some(3)), &[], &released).unwrap();
        let none = SeatSet::new(3);
        let picked = pick_held_seats(
            &show,
            Some(&map),
            Party::Count(1),
            (Some(&none), 0),
            Some(&left),
            NOW,
        );
        assert_ne!(
            picked,
            Ok(vec![SeatIndex(1)]),
            "A2 is the best seat, but cooled"
        );
        assert!(picked.is_ok());
        let mut others = SeatSet::new(3);
        others.insert(SeatIndex(0));
        others.insert(SeatIndex(2));
        assert_eq!(
            pick_held_seats(
                &show,
                Some(&map),
                Party::Count(1),
                (Some(&others), 0),
                Some(&left),
                NOW
            ),
            Err(Refusal::TooManyHolds {
                limit: HoldLimit::Cooldown,
                retry_after_seconds: 20
            })
        );
        let mut all = others.clone();
        all.insert(SeatIndex(1));
        assert_eq!(
            pick_held_seats(
                &show,
                Some(&map),
                Party::Count(1),
                (Some(&all), 0),
                Some(&left),
                NOW
            ),
            Err(Refusal::NotEnoughSeats),
            "taken by others: not the cooldown's doing"
        );
        // Staff are not limited.
        assert_eq!(
            pick_held_seats(
                &show,
                Some(&map),
                Party::Count(1),
                (Some(&others), 0),
                None,
                NOW
            ),
            Ok(vec![SeatIndex(1)])
        );
    }

    #[test]
    fn a_release_cools_from_the_release_or_the_expiry_whichever_came_first() {
        let live = hold(1, 1, &[2], 1, NOW + 5_000);
        assert_eq!(
            cooldown_after_release(&live, NOW, Limits::DEFAULT).map(|c| c.until),
            Some(NOW + 60_000)
        );
        let expired = hold(1, 1, &[2], 1, NOW - 5_000);
        assert_eq!(
            cooldown_after_release(&expired, NOW, Limits::DEFAULT).map(|c| c.until),
            Some(NOW + 55_000)
        );
        let long_gone = hold(1, 1, &[2], 1, NOW - 60_000);
        assert_eq!(
            cooldown_after_release(&long_gone, NOW, Limits::DEFAULT),
            None
        );
        let staff = Hold {
            client: None,
            ..live
        };
        assert_eq!(cooldown_after_release(&staff, NOW, Limits::DEFAULT), None);
    }
}
