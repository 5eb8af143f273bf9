//! Screens and films, and the rules that tie shows to them: a screen's
//! layout, a film's runtime, and the time a show keeps its screen busy.

use super::ids::{FilmId, ScreenId};
use super::seating::SeatMap;
use super::time::Millis;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_RATING_CHARS: usize = 16;
/// A day: no film runs longer, and overlap checks need a bound.
pub const MAX_RUNTIME_MINUTES: u32 = 24 * 60;
pub const MAX_CAPACITY: u32 = 100_000;

/// How a screen seats its audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Any `capacity` people, no seat numbers.
    General { capacity: u32 },
    /// Named seats in rows.
    Seated(SeatMap),
}

impl Layout {
    /// Seats a show on this layout can sell.
    pub fn capacity(&self) -> u32 {
        match self {
            Self::General { capacity } => *capacity,
            Self::Seated(map) => map.capacity(),
        }
    }

    pub fn seat_map(&self) -> Option<&SeatMap> {
        match self {
            Self::General { .. } => None,
            Self::Seated(map) => Some(map),
        }
    }
}

/// A room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub id: ScreenId,
    pub name: String,
    pub layout: Layout,
}

impl Screen {
    /// The general-admission screen every database has; its capacity is
    /// the configured one.
    pub fn default_screen(capacity: u32) -> Self {
        Self {
            id: ScreenId::DEFAULT,
            name: "Default".into(),
            layout: Layout::General { capacity },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Film {
    pub id: FilmId,
    pub title: String,
    pub runtime_minutes: u32,
    pub rating: Option<String>,
}

pub use super::text::TextError;

/// Names, titles and ratings, as [`super::text::clean`] keeps them.
pub fn text(value: &str, max: usize) -> Result<String, TextError> {
    super::text::clean(value, max)
}

/// When a show of `runtime_minutes` that starts at `start` ends.
pub fn show_end(start: Millis, runtime_minutes: u32) -> Millis {
    start.saturating_add(i64::from(runtime_minutes).saturating_mul(60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  Screen 1 ", 100), Ok("Screen 1".into()));
        assert_eq!(text("   ", 100), Err(TextError::Empty));
        assert_eq!(text(&"x".repeat(101), 100), Err(TextError::TooLong(100)));
        assert_eq!(text("a\u{7}b", 100), Err(TextError::ControlCharacter));
    }

    #[test]
    fn a_show_ends_after_its_runtime() {
        assert_eq!(show_end(0, 90), 90 * 60_000);
        assert_eq!(show_end(i64::MAX - 1, 90), i64::MAX);
    }
}
