//! `boxoffice check`: reads a database file without changing it, also while
//! the service runs on it, and lists every way it breaks the contract's
//! invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable};

use super::codec::{
    decode_account, decode_answer, decode_audit, decode_film, decode_hold, decode_kept, decode_key,
    decode_screen, decode_session, decode_show, decode_ticket,
};
use super::error::StoreError;
use super::snapshot::Snapshot;
use super::tables::{
    AUDIT_ID_TO_ENTRY, FILM_ID_TO_FILM, FILM_ID_TO_SHOW_IDS, HOLD_EXPIRY_TO_HOLD_IDS,
    HOLD_ID_TO_HOLD, IDEMPOTENCY_KEY_TO_ANSWER, KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY,
    LOGIN_TO_STAFF_ID, REFERENCE_TO_TICKET_ID, SCREEN_ID_TO_SCREEN, SCREEN_START_TO_SHOW_ID,
    SESSION_DIGEST_TO_SESSION, SHOW_EXPIRY_HOLD_TO_KEPT, SHOW_ID_TO_KEPT_PLACES, SHOW_ID_TO_SHOW,
    SHOW_ID_TO_TICKET_IDS, SHOW_START_TO_SHOW_IDS, STAFF_ID_TO_ACCOUNT, TICKET_ID_TO_TICKET,
};
use crate::domain::holds::Hold;
use crate::domain::prices::Line;
use crate::domain::seating::SeatMap;
use crate::domain::{FilmId, HoldId, ScreenId, Show, ShowId, Ticket, TicketId};

/// Opens `path` read-only (never creating, repairing or upgrading it) and
/// returns one line per problem found; none means every invariant holds.
/// The service may be running on the file: the check reads one snapshot.
pub fn check_file(path: &Path) -> Result<Vec<String>, StoreError> {
    let snapshot = Snapshot::open(path)?;
    problems(snapshot.txn())
}

pub(super) fn problems(txn: &ReadTransaction) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    let mut screens: BTreeSet<u128> = BTreeSet::from([ScreenId::DEFAULT.as_u128()]);
    for entry in txn.open_table(SCREEN_ID_TO_SCREEN)?.iter()? {
        let (key, value) = entry?;
        match decode_screen(key.value(), value.value()) {
            Ok(screen) => {
                if let Some(map) = screen.layout.seat_map() {
                    if let Err(error) = SeatMap::check(map.rows()) {
                        found.push(format!("screen {}: {error}", screen.id));
                    }
                }
                screens.insert(key.value());
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    let mut films: BTreeSet<u128> = BTreeSet::new();
    for entry in txn.open_table(FILM_ID_TO_FILM)?.iter()? {
        let (key, value) = entry?;
        match decode_film(key.value(), value.value()) {
            Ok(_) => {
                films.insert(key.value());
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    let mut shows: BTreeMap<ShowId, Show> = BTreeMap::new();
    for entry in txn.open_table(SHOW_ID_TO_SHOW)?.iter()? {
        let (key, value) = entry?;
        let id = ShowId::from_u128(key.value());
        match decode_show(key.value(), value.value()) {
            Ok(show) => {
                if !screens.contains(&show.screen.as_u128()) {
                    found.push(format!("show {id} is on missing screen {}", show.screen));
                }
                if let Some(film) = show.film.filter(|film| !films.contains(&film.as_u128())) {
                    found.push(format!("show {id} is of missing film {film}"));
                }
                shows.insert(id, show);
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    check_show_indexes(txn, &shows, &mut found)?;
    let sold = check_tickets(txn, &shows, &mut found)?;
    check_holds(txn, &shows, &sold, &mut found)?;
    for entry in txn.open_table(IDEMPOTENCY_KEY_TO_ANSWER)?.iter()? {
        let (key, value) = entry?;
        if let Err(error) = decode_answer(key.value(), value.value()) {
            found.push(error.to_string());
        }
    }
    check_staff(txn, &mut found)?;
    Ok(found)
}

/// Every account is found by its login and every unrevoked key by its
/// digest, and the indexes name nothing else; sessions, sessions' accounts
/// and the audit trail decode.
fn check_staff(txn: &ReadTransaction, found: &mut Vec<String>) -> Result<(), StoreError> {
    let mut logins = BTreeMap::new();
    for entry in txn.open_table(STAFF_ID_TO_ACCOUNT)?.iter()? {
        let (key, value) = entry?;
        match decode_account(key.value(), value.value()) {
            Ok(account) => {
                logins.insert(account.login.as_str().to_owned(), account.id);
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    let mut indexed = BTreeMap::new();
    for entry in txn.open_table(LOGIN_TO_STAFF_ID)?.iter()? {
        let (login, id) = entry?;
        indexed.insert(login.value().to_owned(), id.value());
    }
    if indexed != logins {
        found.push("the login index does not list exactly the staff accounts".into());
    }
    let mut digests = BTreeMap::new();
    for entry in txn.open_table(KEY_ID_TO_KEY)?.iter()? {
        let (key, value) = entry?;
        match decode_key(key.value(), value.value()) {
            Ok(api_key) if api_key.revoked_at.is_none() => {
                digests.insert(api_key.digest.to_vec(), api_key.id);
            }
            Ok(_) => {}
            Err(error) => found.push(error.to_string()),
        }
    }
    let mut indexed = BTreeMap::new();
    for entry in txn.open_table(KEY_DIGEST_TO_KEY_ID)?.iter()? {
        let (digest, id) = entry?;
        indexed.insert(digest.value().to_vec(), id.value());
    }
    if indexed != digests {
        found.push("the key digest index does not list exactly the unrevoked API keys".into());
    }
    for entry in txn.open_table(SESSION_DIGEST_TO_SESSION)?.iter()? {
        let (key, value) = entry?;
        match decode_session(key.value(), value.value()) {
            Ok(session) if !logins.contains_key(session.login.as_str()) => found.push(format!(
                "a session of missing staff account {}",
                session.login
            )),
            Ok(_) => {}
            Err(error) => found.push(error.to_string()),
        }
    }
    for entry in txn.open_table(AUDIT_ID_TO_ENTRY)?.iter()? {
        let (key, value) = entry?;
        if let Err(error) = decode_audit(key.value(), value.value()) {
            found.push(error.to_string());
        }
    }
    Ok(())
}

/// Each of the three show indexes lists every show exactly once, under its
/// own screen, start and film.
fn check_show_indexes(
    txn: &ReadTransaction,
    shows: &BTreeMap<ShowId, Show>,
    found: &mut Vec<String>,
) -> Result<(), StoreError> {
    let mut by_screen: BTreeSet<ShowId> = BTreeSet::new();
    for entry in txn.open_table(SCREEN_START_TO_SHOW_ID)?.iter()? {
        let (key, id) = entry?;
        let (screen, start) = key.value();
        let id = ShowId::from_u128(id.value());
        match shows.get(&id) {
            Some(show) if show.screen.as_u128() == screen && show.starts_at == start => {}
            Some(_) => found.push(format!("the screen index has show {id} out of place")),
            None => found.push(format!("the screen index names missing show {id}")),
        }
        if !by_screen.insert(id) {
            found.push(format!("show {id} is in the screen index twice"));
        }
    }
    let mut by_start: BTreeSet<ShowId> = BTreeSet::new();
    for entry in txn.open_multimap_table(SHOW_START_TO_SHOW_IDS)?.iter()? {
        let (start, ids) = entry?;
        for id in ids {
            let id = ShowId::from_u128(id?.value());
            match shows.get(&id) {
                Some(show) if show.starts_at == start.value() => {}
                Some(show) => found.push(format!(
                    "the start index has show {id} at {}, the show says {}",
                    start.value(),
                    show.starts_at
                )),
                None => found.push(format!("the start index names missing show {id}")),
            }
            if !by_start.insert(id) {
                found.push(format!("show {id} is in the start index twice"));
            }
        }
    }
    let mut by_film: BTreeSet<ShowId> = BTreeSet::new();
    for entry in txn.open_multimap_table(FILM_ID_TO_SHOW_IDS)?.iter()? {
        let (film, ids) = entry?;
        for id in ids {
            let id = ShowId::from_u128(id?.value());
            match shows.get(&id) {
                Some(show) if show.film.map(FilmId::as_u128) == Some(film.value()) => {}
                _ => found.push(format!("the film index has show {id} out of place")),
            }
            by_film.insert(id);
        }
    }
    for (id, show) in shows {
        if !by_screen.contains(id) {
            found.push(format!("show {id} is missing from the screen index"));
        }
        if !by_start.contains(id) {
            found.push(format!("show {id} is missing from the start index"));
        }
        if show.film.is_some() && !by_film.contains(id) {
            found.push(format!("show {id} is missing from the film index"));
        }
    }
    Ok(())
}

/// Every ticket is listed under exactly its show, holds at least one seat
/// (on a seat map, exactly `count` seats, none of them in another ticket),
/// and each show's counts are the sum of its tickets, within its capacity.
fn check_tickets(
    txn: &ReadTransaction,
    shows: &BTreeMap<ShowId, Show>,
    found: &mut Vec<String>,
) -> Result<BTreeMap<ShowId, BTreeSet<u16>>, StoreError> {
    let mut tickets: BTreeMap<TicketId, Ticket> = BTreeMap::new();
    for entry in txn.open_table(TICKET_ID_TO_TICKET)?.iter()? {
        let (key, value) = entry?;
        let id = TicketId::from_u128(key.value());
        match decode_ticket(key.value(), value.value()) {
            Ok(ticket) => {
                tickets.insert(id, ticket);
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    let mut listed: BTreeMap<TicketId, ShowId> = BTreeMap::new();
    let mut sums: BTreeMap<ShowId, u64> = BTreeMap::new();
    let mut seats: BTreeMap<ShowId, BTreeSet<u16>> = BTreeMap::new();
    for entry in txn.open_multimap_table(SHOW_ID_TO_TICKET_IDS)?.iter()? {
        let (show, ticket_ids) = entry?;
        let show = ShowId::from_u128(show.value());
        if !shows.contains_key(&show) {
            found.push(format!("missing show {show} lists tickets"));
        }
        for ticket in ticket_ids {
            let id = TicketId::from_u128(ticket?.value());
            if let Some(other) = listed.insert(id, show) {
                found.push(format!(
                    "ticket {id} is listed under shows {other} and {show}"
                ));
            }
            match tickets.get(&id) {
                Some(ticket) if ticket.show_id == show => {
                    *sums.entry(show).or_default() += u64::from(ticket.count);
                    let taken = seats.entry(show).or_default();
                    for seat in &ticket.seats {
                        if !taken.insert(seat.0) {
                            found.push(format!("seat {} of show {show} is sold twice", seat.0));
                        }
                    }
                }
                Some(ticket) => found.push(format!(
                    "ticket {id} is listed under show {show} but belongs to {}",
                    ticket.show_id
                )),
                None => found.push(format!("show {show} lists missing ticket {id}")),
            }
        }
    }
    for (id, ticket) in &tickets {
        let show = shows.get(&ticket.show_id);
        if show.is_none() {
            found.push(format!(
                "ticket {id} belongs to missing show {}",
                ticket.show_id
            ));
        }
        if !listed.contains_key(id) {
            found.push(format!("ticket {id} is not listed under its show"));
        }
        if ticket.count == 0 {
            found.push(format!("ticket {id} holds no seats"));
        }
        let seated = show.is_some_and(|show| show.sold_seats.is_some());
        if seated && ticket.seats.len() != ticket.count as usize {
            found.push(format!(
                "ticket {id} counts {} seats but names {}",
                ticket.count,
                ticket.seats.len()
            ));
        }
        if !seated && !ticket.seats.is_empty() {
            found.push(format!(
                "ticket {id} names seats of a show without a seat map"
            ));
        }
        found.extend(line_problems(ticket));
    }
    check_references(txn, &tickets, found)?;
    for (id, show) in shows {
        let sum = sums.get(id).copied().unwrap_or(0);
        if sum != u64::from(show.sold) {
            found.push(format!(
                "show {id} counts {} seats sold but its tickets hold {sum}",
                show.sold
            ));
        }
        if show.sold > show.capacity {
            found.push(format!(
                "show {id} sold {} seats of {}",
                show.sold, show.capacity
            ));
        }
        if let Some(sold) = &show.sold_seats {
            let marked: BTreeSet<u16> = sold.iter().map(|seat| seat.0).collect();
            if marked != seats.get(id).cloned().unwrap_or_default() {
                found.push(format!(
                    "show {id} marks other seats sold than its tickets hold"
                ));
            }
        }
    }
    Ok(seats)
}

/// Every hold is listed under its show and its expiry; live holds (at the
/// time of the check) keep no seat another live hold or a ticket has, and
/// never more places than the show has left.
fn check_holds(
    txn: &ReadTransaction,
    shows: &BTreeMap<ShowId, Show>,
    sold: &BTreeMap<ShowId, BTreeSet<u16>>,
    found: &mut Vec<String>,
) -> Result<(), StoreError> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut holds: BTreeMap<u128, Hold> = BTreeMap::new();
    for entry in txn.open_table(HOLD_ID_TO_HOLD)?.iter()? {
        let (key, value) = entry?;
        match decode_hold(key.value(), value.value()) {
            Ok(hold) => {
                holds.insert(key.value(), hold);
            }
            Err(error) => found.push(error.to_string()),
        }
    }
    let listed = check_show_hold_index(txn, &holds, found)?;
    let mut expiring = BTreeSet::new();
    for entry in txn.open_multimap_table(HOLD_EXPIRY_TO_HOLD_IDS)?.iter()? {
        let (at, ids) = entry?;
        for id in ids {
            let id = id?.value();
            if holds
                .get(&id)
                .is_none_or(|hold| hold.expires_at != at.value())
            {
                found.push(format!(
                    "the expiry index has hold {} out of place",
                    HoldId::from_u128(id)
                ));
            }
            expiring.insert(id);
        }
    }
    let mut kept: BTreeMap<ShowId, (BTreeSet<u16>, u64)> = BTreeMap::new();
    for (id, hold) in &holds {
        let name = HoldId::from_u128(*id);
        if !listed.contains(id) || !expiring.contains(id) {
            found.push(format!("hold {name} is missing from an index"));
        }
        found.extend(tax_problems(&format!("hold {name}"), &hold.lines));
        let Some(show) = shows.get(&hold.show_id) else {
            found.push(format!("hold {name} is of missing show {}", hold.show_id));
            continue;
        };
        if !hold.is_live(now) {
            continue;
        }
        let (seats, count) = kept.entry(show.id).or_default();
        *count += u64::from(hold.count);
        for seat in &hold.seats {
            let in_ticket = sold
                .get(&show.id)
                .is_some_and(|sold| sold.contains(&seat.0));
            if !seats.insert(seat.0) || in_ticket {
                found.push(format!("seat {} of show {} is kept twice", seat.0, show.id));
            }
        }
    }
    for (id, (_, count)) in kept {
        if let Some(show) = shows.get(&id) {
            if u64::from(show.sold) + count > u64::from(show.capacity) {
                found.push(format!(
                    "show {id} sold {} and holds {count} of {} places",
                    show.sold, show.capacity
                ));
            }
        }
    }
    Ok(())
}

/// The show's index of holds is what the rules read: each entry must say
/// what its hold says, and each show's total of places held must be its
/// holds' sum, or seats would be sold twice or never. The holds listed.
fn check_show_hold_index(
    txn: &ReadTransaction,
    holds: &BTreeMap<u128, Hold>,
    found: &mut Vec<String>,
) -> Result<BTreeSet<u128>, StoreError> {
    let mut listed = BTreeSet::new();
    for entry in txn.open_table(SHOW_EXPIRY_HOLD_TO_KEPT)?.iter()? {
        let (key, value) = entry?;
        let (show, expires_at, id) = key.value();
        let name = HoldId::from_u128(id);
        let kept = match decode_kept(id, expires_at, value.value()) {
            Ok(kept) => kept,
            Err(error) => {
                found.push(error.to_string());
                continue;
            }
        };
        match holds.get(&id) {
            Some(hold) if hold.show_id.as_u128() == show && hold.kept() == kept => {
                listed.insert(id);
            }
            Some(hold) if hold.show_id.as_u128() == show => found.push(format!(
                "the show index says hold {name} keeps other seats or another expiry than the hold: {} place(s) until {} against {} until {}",
                kept.count, kept.expires_at, hold.count, hold.expires_at
            )),
            _ => found.push(format!("the show index has hold {name} out of place")),
        }
    }
    let mut places: BTreeMap<u128, u64> = BTreeMap::new();
    for hold in holds.values() {
        *places.entry(hold.show_id.as_u128()).or_default() += u64::from(hold.count);
    }
    for entry in txn.open_table(SHOW_ID_TO_KEPT_PLACES)?.iter()? {
        let (show, total) = entry?;
        let (show, total) = (show.value(), total.value());
        let kept = places.remove(&show).unwrap_or(0);
        if kept != total {
            found.push(format!(
                "show {} counts {total} places held but its holds keep {kept}",
                ShowId::from_u128(show)
            ));
        }
    }
    for (show, kept) in places {
        found.push(format!(
            "show {} counts no places held but its holds keep {kept}",
            ShowId::from_u128(show)
        ));
    }
    Ok(listed)
}

/// Every ticket's reference is in the index, naming it, and the index names
/// no other ticket (so no two live tickets share a reference).
fn check_references(
    txn: &ReadTransaction,
    tickets: &BTreeMap<TicketId, Ticket>,
    found: &mut Vec<String>,
) -> Result<(), StoreError> {
    let mut indexed = 0usize;
    for entry in txn.open_table(REFERENCE_TO_TICKET_ID)?.iter()? {
        let (reference, ticket) = entry?;
        let (reference, id) = (reference.value(), TicketId::from_u128(ticket.value()));
        indexed += 1;
        match tickets.get(&id) {
            Some(ticket) if ticket.reference.as_u32() == reference => {}
            Some(ticket) => found.push(format!(
                "reference index entry {reference} names ticket {id}, whose reference is {}",
                ticket.reference
            )),
            None => found.push(format!(
                "reference index entry {reference} names missing ticket {id}"
            )),
        }
    }
    if indexed != tickets.len() {
        found.push(format!(
            "{} tickets but {indexed} references in the index",
            tickets.len()
        ));
    }
    Ok(())
}

/// What is wrong with a ticket's lines: one per seat (in seat order) or per
/// place, each with the tax its price gives at its stored rate.
fn line_problems(ticket: &Ticket) -> Vec<String> {
    let id = ticket.id;
    let mut found = Vec::new();
    if ticket.lines.len() != ticket.count as usize {
        found.push(format!(
            "ticket {id} counts {} places but has {} lines",
            ticket.count,
            ticket.lines.len()
        ));
    }
    let seats: Vec<_> = ticket.lines.iter().filter_map(|line| line.seat).collect();
    if !ticket.seats.is_empty() && seats != ticket.seats {
        found.push(format!("ticket {id}'s lines are not on its seats"));
    }
    found.extend(tax_problems(&format!("ticket {id}"), &ticket.lines));
    found
}

/// Each line whose tax is not what its price gives at its rate (round half
/// to even of price × rate / (10000 + rate)), or whose rate is beyond 100 %.
fn tax_problems(whose: &str, lines: &[Line]) -> Vec<String> {
    (1..)
        .zip(lines)
        .filter(|(_, line)| !line.tax_is_right())
        .map(|(number, line)| {
            format!(
                "{whose} line {number}: tax {} is not what its price {} gives at its rate of {} basis points",
                line.tax, line.price, line.tax_rate
            )
        })
        .collect()
}

#[cfg(test)]
mod line_tests {
    use super::*;
    use crate::domain::prices::free_lines;
    use crate::domain::seating::SeatIndex;
    use crate::domain::{Phone, Reference, ShowId, TicketId, TicketTypeId};

    #[test]
    fn a_line_whose_tax_its_rate_does_not_give_is_reported() {
        let seats = vec![SeatIndex(3), SeatIndex(4)];
        let mut ticket = Ticket {
            id: TicketId::from_u128(9),
            show_id: ShowId::from_u128(1),
            user_name: "Asha".into(),
            phone: Phone::Number(9_876_543_210),
            count: 2,
            lines: free_lines(TicketTypeId::from_u128(2), &seats, 2),
            seats,
            created_at: 0,
            reference: Reference::candidate(9, 0),
        };
        assert!(line_problems(&ticket).is_empty());
        ticket.lines[0].price = 1_000;
        ticket.lines[0].tax = 500;
        ticket.lines[0].tax_rate = 10_000;
        assert!(line_problems(&ticket).is_empty(), "100 % is a rate");
        ticket.lines[0].tax = 501;
        assert_eq!(line_problems(&ticket).len(), 1);
        // A tax some rate gives, but not the line's own.
        ticket.lines[0].price = 1_250;
        ticket.lines[0].tax = 82;
        ticket.lines[0].tax_rate = 1_900;
        let problems = line_problems(&ticket);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("rate of 1900"), "{problems:?}");
        ticket.lines[0].tax_rate = 700;
        assert!(line_problems(&ticket).is_empty());
        ticket.lines[0].tax_rate = 10_001;
        assert_eq!(line_problems(&ticket).len(), 1);
        ticket.lines[0].tax_rate = 700;
        ticket.lines.pop();
        assert_eq!(line_problems(&ticket).len(), 2);
    }
}
