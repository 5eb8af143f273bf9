//! What `/v1` reads from a path and a query: ids in paths (one that does
//! not parse names nothing: 404), and query parameters (anything malformed,
//! or given twice, is 400).

use crate::domain::Reference;
use chrono_tz::Tz;

use super::fields::{is_ulid, parse_time};
use crate::api::cursor::ListCursors;
use crate::api::problem::{Kind, Problem};
use crate::domain::{FilmId, Millis, Refusal, ScreenId, ShowId, TicketId};
use crate::usecases::PageRequest;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

pub fn screen_in_path(id: &str) -> Result<ScreenId, Problem> {
    ScreenId::parse(id).ok_or_else(|| Refusal::ScreenNotFound.into())
}

pub fn film_in_path(id: &str) -> Result<FilmId, Problem> {
    FilmId::parse(id).ok_or_else(|| Refusal::FilmNotFound.into())
}

pub fn show_in_path(id: &str) -> Result<ShowId, Problem> {
    ShowId::parse(id).ok_or_else(|| Refusal::ShowNotFound.into())
}

/// `/v1/bookings/search` is a route of its own, POST only: another method
/// there names that route, not a booking.
pub fn booking_in_path(id: &str) -> Result<TicketId, Problem> {
    if id == "search" {
        return Err(Problem {
            allow: Some("POST".into()),
            ..Problem::new(Kind::MethodNotAllowed, "This path serves POST.")
        });
    }
    TicketId::parse(id).ok_or_else(|| Refusal::TicketNotFound.into())
}

/// A query parameter's value; Rocket hands over every one given, so that a
/// parameter given twice is refused rather than dropped.
pub type Query<'r> = Vec<&'r str>;

/// The value of a parameter given at most once.
fn one<'r>(name: &str, values: &[&'r str]) -> Result<Option<&'r str>, Problem> {
    match values {
        [] => Ok(None),
        [value] => Ok(Some(value)),
        _ => Err(Problem::bad_request(format!(
            "{name} is given more than once."
        ))),
    }
}

/// `limit` and `cursor`: how much of a list, from where (a cursor sealed
/// for this very list).
pub fn page(
    limit: &[&str],
    cursor: &[&str],
    cursors: &ListCursors<'_>,
) -> Result<PageRequest, Problem> {
    let cursor = one("cursor", cursor)?;
    let limit = match one("limit", limit)? {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse::<usize>().ok())
            .flatten()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                Problem::bad_request(format!("limit must be an integer from 1 to {MAX_LIMIT}."))
            })?,
    };
    let after = cursor
        .map(|text| {
            cursors.open(text).ok_or_else(|| {
                Problem::bad_request(
                    "cursor is not one this service gave for this list: pass nextCursor of the \
                     previous page, with the same filters, as is.",
                )
            })
        })
        .transpose()?;
    Ok(PageRequest { after, limit })
}

pub fn time_in_query(name: &str, values: &[&str], zone: Tz) -> Result<Option<Millis>, Problem> {
    one(name, values)?
        .map(|text| {
            parse_time(text, zone).map_err(|why| Problem::bad_request(format!("{name} {why}.")))
        })
        .transpose()
}

/// An id in the query; `Ok(None)` inside when it is well formed but names
/// nothing (the all-zero screen id).
/// `reference`: a booking's short reference, in any case; required.
pub fn reference_in_query(values: &[&str]) -> Result<Reference, Problem> {
    let text = one("reference", values)?.ok_or_else(|| {
        Problem::bad_request("Pass reference=, the booking's 6-character reference.")
    })?;
    Reference::parse(text).ok_or_else(|| {
        Problem::bad_request(
            "reference is not a booking reference: 6 characters of 0-9 and A-Z without 0 1 I L O U.",
        )
    })
}

pub fn id_in_query<T>(
    name: &str,
    values: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Result<Option<Option<T>>, Problem> {
    one(name, values)?
        .map(|text| match parse(text) {
            Some(id) => Ok(Some(id)),
            None if is_ulid(text) => Ok(None),
            None => Err(Problem::bad_request(format!("{name} is not a valid id."))),
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::api::cursor::CursorKey;
    use crate::usecases::Cursor;

    #[test]
    fn limits_are_1_to_500() {
        let key = CursorKey::new(&[1; 32]);
        let list = key.list("shows".into());
        let page = |limit: &[&str], cursor: &[&str]| page(limit, cursor, &list);
        assert_eq!(page(&[], &[]).unwrap().limit, 50);
        assert_eq!(page(&["500"], &[]).unwrap().limit, 500);
        for bad in [
            "0",
            "501",
            "-1",
            "+5",
            "five",
            "",
            "1.0",
            "99999999999999999999999",
        ] {
            assert_eq!(page(&[bad], &[]).unwrap_err().kind.status(), 400, "{bad}");
        }
        assert!(page(&["5", "5"], &[]).is_err());
        assert!(page(&[], &["nope"]).is_err());
        let cursor = list.seal(Cursor { at: -5, id: 42 });
        assert!(page(&[], &[&cursor[..48]]).is_err(), "an unsigned cursor");
        assert_eq!(
            page(&[], &[&cursor]).unwrap().after,
            Some(Cursor { at: -5, id: 42 })
        );
    }

    #[test]
    fn the_zero_screen_id_is_well_formed_but_names_nothing() {
        let zero = "00000000000000000000000000";
        assert_eq!(
            id_in_query("screenId", &[zero], ScreenId::parse).unwrap(),
            Some(None)
        );
        assert!(id_in_query("screenId", &["nope"], ScreenId::parse).is_err());
        assert_eq!(screen_in_path(zero).unwrap_err().kind, Kind::NotFound);
    }

    #[test]
    fn search_is_no_booking() {
        assert_eq!(
            booking_in_path("search").unwrap_err().kind,
            Kind::MethodNotAllowed
        );
    }
}
