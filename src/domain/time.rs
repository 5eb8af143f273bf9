//! Show times: what clients may write, how a venue-local time becomes an
//! absolute instant, and how instants are written back.
//!
//! Instants are `i64` Unix milliseconds (UTC). A time without an offset is
//! venue-local: inside a daylight-saving gap it does not exist and is refused;
//! inside a fall-back overlap it is read as the earlier of its two instants.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike,
};
use chrono_tz::Tz;

/// Unix milliseconds, UTC.
pub type Millis = i64;

/// The format responses use, venue-local.
pub const DISPLAY_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowTimeError {
    /// Not one of the accepted spellings.
    Unparsable(String),
    /// A venue-local time that the clocks skip (spring forward).
    Nonexistent { text: String, zone: Tz },
}

impl std::fmt::Display for ShowTimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unparsable(text) => write!(
                f,
                "Show time {:?} is not valid: use YYYY-MM-DD HH:MM[:SS], optionally with an offset such as Z or +05:30.",
                quotable(text)
            ),
            Self::Nonexistent { text, zone } => write!(
                f,
                "Show time {text:?} does not exist in {zone}: the clocks skip it."
            ),
        }
    }
}

/// The longest stretch of a bad value an error message repeats.
const QUOTED_CHARS: usize = 64;

/// A bad value as an error message repeats it: whole when short, else its
/// start and an ellipsis, so a 60 KB query value is not echoed back whole.
fn quotable(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Reads a show time in any accepted spelling: `YYYY-MM-DD HH:MM`,
/// `YYYY-MM-DD HH:MM:SS`, `T` for the space, optional fractional seconds,
/// optional offset (`Z`, `+05:30`, `+0530`, `+05`).
pub fn parse_show_time(text: &str, zone: Tz) -> Result<Millis, ShowTimeError> {
    let unparsable = || ShowTimeError::Unparsable(text.to_owned());
    let trimmed = text.trim();
    let (local, offset) = split_offset(trimmed).ok_or_else(unparsable)?;
    let naive = parse_naive(local).ok_or_else(unparsable)?;
    let instant = match offset {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(unparsable)?
            .timestamp_millis(),
        None => match zone.from_local_datetime(&naive) {
            LocalResult::Single(time) => time.timestamp_millis(),
            LocalResult::Ambiguous(earlier, _) => earlier.timestamp_millis(),
            LocalResult::None => {
                return Err(ShowTimeError::Nonexistent {
                    text: text.to_owned(),
                    zone,
                })
            }
        },
    };
    Ok(instant)
}

/// Writes an instant venue-local as `YYYY-MM-DD HH:MM:SS` ([`DISPLAY_FORMAT`]).
///
/// Every `/api` answer carries one, so the digits are written directly
/// rather than through a format string parsed on each call.
pub fn format_show_time(instant: Millis, zone: Tz) -> String {
    // Stored instants come from parse_show_time, which only yields valid ones.
    let Some(time) = DateTime::from_timestamp_millis(instant) else {
        return instant.to_string();
    };
    let local = time.with_timezone(&zone).naive_local();
    // chrono writes a sign and more digits outside 0–9999: its format does.
    let year = match u32::try_from(local.year()) {
        Ok(year) if year <= 9999 => year,
        _ => return local.format(DISPLAY_FORMAT).to_string(),
    };
    let mut text = String::with_capacity(19);
    push_digits(&mut text, year, 4);
    for (separator, value) in [
        ('-', local.month()),
        ('-', local.day()),
        (' ', local.hour()),
        (':', local.minute()),
        (':', local.second()),
    ] {
        text.push(separator);
        push_digits(&mut text, value, 2);
    }
    text
}

/// `value` as exactly `width` decimal digits, zero-padded (it has no more).
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        text.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// Splits `2026-12-01T18:30:00+05:30` into the local part and its offset.
fn split_offset(text: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, Some(FixedOffset::east_opt(0)?)));
    }
    // The date part holds '-' too, so only a sign after the time counts.
    let time_start = text.find([' ', 'T', 't'])? + 1;
    let Some(sign_at) = text[time_start..].find(['+', '-']).map(|i| i + time_start) else {
        return Some((text, None));
    };
    let sign = if text.as_bytes()[sign_at] == b'+' {
        1
    } else {
        -1
    };
    // Exactly HH, HHMM or HH:MM.
    let (hours, minutes) = match &text.as_bytes()[sign_at + 1..] {
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?;
    Some((&text[..sign_at], Some(offset)))
}

/// The value of a run of ASCII digits; `None` for anything else (chrono
/// alone would also take signs and padding spaces).
fn digits(bytes: &[u8]) -> Option<i32> {
    bytes.iter().try_fold(0i32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + i32::from(byte - b'0'))
    })
}

/// `YYYY-MM-DD` and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f+`, digit for digit.
fn has_documented_shape(date: &[u8], time: &[u8]) -> bool {
    let shaped = |bytes: &[u8], pattern: &[u8]| {
        bytes.len() == pattern.len()
            && bytes
                .iter()
                .zip(pattern)
                .all(|(byte, expected)| match expected {
                    b'9' => byte.is_ascii_digit(),
                    other => byte == other,
                })
    };
    let time_ok = match time.len() {
        5 => shaped(time, b"99:99"),
        8 => shaped(time, b"99:99:99"),
        _ => {
            time.len() > 9
                && shaped(&time[..9], b"99:99:99.")
                && time[9..].iter().all(u8::is_ascii_digit)
        }
    };
    shaped(date, b"9999-99-99") && time_ok
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let separator = text.find([' ', 'T', 't'])?;
    let (date, time) = (&text.as_bytes()[..separator], &text[separator + 1..]);
    let clock = time.as_bytes();
    if !has_documented_shape(date, clock) {
        return None;
    }
    // The shape put digits where the numbers are; the calendar and the
    // clock judge them, as chrono's `%Y-%m-%d` and `%H:%M[:%S]` would.
    // Every /api booking reads one, so no format string is parsed here.
    let number = |bytes: &[u8]| digits(bytes).and_then(|value| u32::try_from(value).ok());
    let date = NaiveDate::from_ymd_opt(
        digits(&date[..4])?,
        number(&date[5..7])?,
        number(&date[8..10])?,
    )?;
    let time = if clock.len() <= "HH:MM:SS".len() {
        let second = clock.get(6..8).map_or(Some(0), number)?;
        NaiveTime::from_hms_opt(number(&clock[..2])?, number(&clock[3..5])?, second)?
    } else {
        NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?
    };
    // chrono reads second 60 as a leap second; no show starts in one.
    if time.nanosecond() >= 1_000_000_000 {
        return None;
    }
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{Asia::Kolkata, Europe::London, UTC};

    fn utc_millis(text: &str) -> Millis {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn every_accepted_spelling_reads_the_same_instant() {
        let expected = utc_millis("2030-06-01T18:30:00Z");
        for text in [
            "2030-06-01 18:30",
            "2030-06-01 18:30:00",
            "2030-06-01T18:30",
            "2030-06-01T18:30:00",
            "2030-06-01 18:30:00.000",
            "2030-06-01T18:30:00.0Z",
            "2030-06-01T18:30:00Z",
            "2030-06-01t18:30:00z",
            "2030-06-01 18:30Z",
            "2030-06-02T00:00:00+05:30",
            "2030-06-02 00:00+0530",
            "2030-06-01T13:30:00-05:00",
            "2030-06-01T20:30:00+02",
            "  2030-06-01 18:30  ",
        ] {
            assert_eq!(parse_show_time(text, UTC), Ok(expected), "{text}");
        }
    }

    #[test]
    fn fractional_seconds_keep_millisecond_precision() {
        assert_eq!(
            parse_show_time("2030-06-01 18:30:00.250", UTC).unwrap(),
            utc_millis("2030-06-01T18:30:00Z") + 250
        );
    }

    #[test]
    fn a_time_without_offset_is_venue_local() {
        assert_eq!(
            parse_show_time("2030-06-01 18:30", Kolkata),
            Ok(utc_millis("2030-06-01T13:00:00Z"))
        );
        // London is on summer time (UTC+1) in June and on GMT in January.
        assert_eq!(
            parse_show_time("2030-06-01 18:30", London),
            Ok(utc_millis("2030-06-01T17:30:00Z"))
        );
        assert_eq!(
            parse_show_time("2030-01-01 18:30", London),
            Ok(utc_millis("2030-01-01T18:30:00Z"))
        );
    }

    #[test]
    fn an_explicit_offset_wins_over_the_venue_zone() {
        assert_eq!(
            parse_show_time("2030-06-01 18:30+00:00", Kolkata),
            Ok(utc_millis("2030-06-01T18:30:00Z"))
        );
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_does_not_exist() {
        // On 2030-03-31 London clocks go from 01:00 GMT straight to 02:00 BST.
        let error = parse_show_time("2030-03-31 01:30", London).unwrap_err();
        assert!(matches!(error, ShowTimeError::Nonexistent { .. }));
        assert!(error
            .to_string()
            .contains("does not exist in Europe/London"));
        // Kolkata has no daylight saving: the same wall time exists.
        assert!(parse_show_time("2030-03-31 01:30", Kolkata).is_ok());
    }

    #[test]
    fn a_time_in_the_fall_back_overlap_is_the_earlier_instant() {
        // On 2030-10-27 London clocks go from 02:00 BST back to 01:00 GMT.
        assert_eq!(
            parse_show_time("2030-10-27 01:30", London),
            Ok(utc_millis("2030-10-27T00:30:00Z"))
        );
        assert_eq!(
            parse_show_time("2030-10-27 01:30", Kolkata),
            Ok(utc_millis("2030-10-26T20:00:00Z"))
        );
    }

    #[test]
    fn a_long_bad_value_is_quoted_by_its_start() {
        let text = "x".repeat(10_000);
        let message = parse_show_time(&text, UTC).unwrap_err().to_string();
        assert!(
            message.contains(&format!("\"{}…\"", "x".repeat(64))),
            "{message}"
        );
        assert!(message.len() < 200);
    }

    #[test]
    fn responses_write_venue_local_seconds() {
        let instant = utc_millis("2030-06-01T13:00:00Z") + 999;
        assert_eq!(format_show_time(instant, Kolkata), "2030-06-01 18:30:00");
        assert_eq!(format_show_time(instant, UTC), "2030-06-01 13:00:00");
        let instant = utc_millis("2030-10-27T00:30:00Z");
        assert_eq!(format_show_time(instant, London), "2030-10-27 01:30:00");
    }

    proptest::proptest! {
        /// The digits written directly are chrono's own `DISPLAY_FORMAT`,
        /// across every year chrono keeps (signs and five-digit years included).
        #[test]
        fn show_times_are_written_as_the_display_format_says(
            instant in DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis()
                ..=DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis(),
            near_now in 0i64..4_102_444_800_000,
            zone in proptest::sample::select(vec![UTC, London, Kolkata, chrono_tz::America::St_Johns]),
        ) {
            for instant in [instant, near_now] {
                let expected = DateTime::from_timestamp_millis(instant)
                    .unwrap()
                    .with_timezone(&zone)
                    .format(DISPLAY_FORMAT)
                    .to_string();
                proptest::prop_assert_eq!(format_show_time(instant, zone), expected);
            }
        }
    }

    proptest::proptest! {
        /// Dates and times read digit by digit are the ones chrono's
        /// `%Y-%m-%d %H:%M[:%S]` reads, and refused where it refuses them:
        /// months past 12, days past a month's end, hour 24, minute 60,
        /// second 60 (a leap second to chrono; no show starts in one).
        #[test]
        fn show_times_are_read_as_chrono_reads_them(
            year in 0u32..=9999,
            month in 0u32..=19,
            day in 0u32..=39,
            hour in 0u32..=29,
            minute in 0u32..=69,
            second in proptest::option::of(0u32..=69),
        ) {
            let date = format!("{year:04}-{month:02}-{day:02}");
            let (time, format) = match second {
                Some(second) => (format!("{hour:02}:{minute:02}:{second:02}"), "%Y-%m-%d %H:%M:%S"),
                None => (format!("{hour:02}:{minute:02}"), "%Y-%m-%d %H:%M"),
            };
            let text = format!("{date} {time}");
            let expected = NaiveDateTime::parse_from_str(&text, format)
                .ok()
                .filter(|naive| naive.nanosecond() < 1_000_000_000);
            proptest::prop_assert_eq!(parse_naive(&text), expected);
        }
    }

    #[test]
    fn malformed_times_are_refused_with_the_text_quoted() {
        for text in [
            "",
            "tomorrow",
            "2030-06-01",
            "18:30",
            "2030-13-01 18:30",
            "2030-02-30 18:30",
            "2030-06-01 24:00",
            "2030-06-01 18:60",
            "2030-06-01 18:30:61",
            "2030-06-01 18:30:00.",
            "2030-06-01 18:30:00+25:00",
            "2030-06-01 18:30:00+05:30:00",
            "2030-06-01 18:30:00+5",
            "2030-6-1 18:30",
            "2030-06-01 18.30",
            "2030-06-01  18:30",
            "+2030-06-01 18:30",
            "2030-06-01 18:30 PM",
            "{\"$gt\": \"\"}",
            // What chrono alone would take, but no documented spelling has.
            "2030-06-01  8:30",
            "2030-06-01 8:30",
            "+203-06-01 18:30",
            "-203-06-01 18:30",
            "2030-06-01 18:30:60",
            "2030-06-01 18:30+05:",
            "2030-06-01 18:30+0:530",
            "2030-06-01 18:30+:0530",
            "2030-06-01 18:30+05:3",
            "2030-06-01 18:30+-0530",
            "2030-06-01 18:30+٠٥:٣٠",
            "٢٠٣٠-٠٦-٠١ ١٨:٣٠",
        ] {
            let error = parse_show_time(text, UTC).unwrap_err();
            assert_eq!(error, ShowTimeError::Unparsable(text.to_owned()), "{text}");
            assert!(error.to_string().contains(&format!("{text:?}")));
        }
    }
}
