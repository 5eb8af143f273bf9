//! Seat maps and the rules that read them: which seats a client named, which
//! of them are taken, the best free block for a party, and when two shows on
//! one screen overlap. Pure functions over plain data, no I/O.
//!
//! A seat is addressed by its `SeatIndex`, its position in row-major order
//! over the whole map; a `SeatSet` of indices is what a show stores as taken.

use std::collections::HashSet;

use super::time::Millis;

/// Most seats one map may ever have (`max_screen_seats` may ask for fewer).
/// Keeps a `SeatIndex` in a `u16` and a show's taken set at most 1,256 bytes.
pub const MAX_SEATS: usize = 10_000;

const MAX_LABEL_LETTERS: usize = 3;
const MAX_NUMBER_DIGITS: usize = 4;
const WORD_BITS: usize = 64;
const WORD_BYTES: usize = 8;
const MINUTE_MS: i64 = 60_000;

/// What a seat is for. Wheelchair spaces and their companion seats are sold
/// only by name, never picked for a party by count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SeatKind {
    #[default]
    Standard,
    Premium,
    Wheelchair,
    Companion,
}

impl SeatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Premium => "premium",
            Self::Wheelchair => "wheelchair",
            Self::Companion => "companion",
        }
    }

    /// The lowercase spelling `as_str` writes, and nothing else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "standard" => Some(Self::Standard),
            "premium" => Some(Self::Premium),
            "wheelchair" => Some(Self::Wheelchair),
            "companion" => Some(Self::Companion),
            _ => None,
        }
    }

    fn picked_by_count(self) -> bool {
        matches!(self, Self::Standard | Self::Premium)
    }
}

/// One seat, in its place along a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub number: String,
    pub kind: SeatKind,
    /// Never sold.
    pub blocked: bool,
    /// A gap follows this seat: the seats on either side are not adjacent.
    pub aisle_after: bool,
}

/// A row, its seats in their order along it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub seats: Vec<Seat>,
}

/// A seat's position in row-major order over the whole map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeatIndex(pub u16);

impl SeatIndex {
    pub fn as_usize(self) -> usize {
        usize::from(self.0)
    }
}

/// What is wrong with a seat map.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeatMapError {
    #[error("the seat map has no rows")]
    NoRows,
    #[error("row {row} has no seats")]
    EmptyRow { row: String },
    #[error("row label \"{label}\" is not one to three capital letters A to Z")]
    BadLabel { label: String },
    #[error("row {label} appears more than once")]
    DuplicateLabel { label: String },
    #[error(
        "seat number \"{number}\" in row {row} is not one to four digits without a leading zero"
    )]
    BadNumber { row: String, number: String },
    #[error("seat {seat} appears more than once")]
    DuplicateSeat { seat: String },
    #[error("the seat map has more than {max} seats")]
    TooManySeats { max: usize },
    #[error("every seat on the map is blocked")]
    NoSellableSeat,
}

/// A screen's seats. [`SeatMap::new`] makes one only of rows that pass
/// [`SeatMap::check`]: it has rows, labels and numbers are canonical and
/// unique, and at least one seat can be sold. [`SeatMap::stored`] rebuilds
/// one that was checked before it was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatMap {
    rows: Vec<Row>,
    /// The index of each row's first seat.
    starts: Vec<usize>,
    len: usize,
    capacity: u32,
}

impl SeatMap {
    pub fn new(rows: Vec<Row>) -> Result<Self, SeatMapError> {
        Self::check(&rows)?;
        Ok(Self::stored(rows))
    }

    /// Whether `rows` make a valid map, and if not, the first reason why.
    pub fn check(rows: &[Row]) -> Result<(), SeatMapError> {
        if rows.is_empty() {
            return Err(SeatMapError::NoRows);
        }
        // Counted first, so a huge map is refused before any other work.
        let len: usize = rows.iter().map(|row| row.seats.len()).sum();
        if len > MAX_SEATS {
            return Err(SeatMapError::TooManySeats { max: MAX_SEATS });
        }
        let mut labels = HashSet::new();
        for row in rows {
            if !is_label(&row.label) {
                return Err(SeatMapError::BadLabel {
                    label: row.label.clone(),
                });
            }
            if !labels.insert(row.label.as_str()) {
                return Err(SeatMapError::DuplicateLabel {
                    label: row.label.clone(),
                });
            }
            if row.seats.is_empty() {
                return Err(SeatMapError::EmptyRow {
                    row: row.label.clone(),
                });
            }
            let mut numbers = HashSet::new();
            for seat in &row.seats {
                if !is_number(&seat.number) {
                    return Err(SeatMapError::BadNumber {
                        row: row.label.clone(),
                        number: seat.number.clone(),
                    });
                }
                if !numbers.insert(seat.number.as_str()) {
                    return Err(SeatMapError::DuplicateSeat {
                        seat: format!("{}{}", row.label, seat.number),
                    });
                }
            }
        }
        let sellable = rows
            .iter()
            .flat_map(|row| &row.seats)
            .any(|seat| !seat.blocked);
        if !sellable {
            return Err(SeatMapError::NoSellableSeat);
        }
        Ok(())
    }

    /// A map as it was stored: checked by [`SeatMap::new`] before it was
    /// written, its bytes covered by a checksum since, so reading it back
    /// (on every read of a show's seats) skips the checks.
    pub fn stored(rows: Vec<Row>) -> Self {
        let len = rows.iter().map(|row| row.seats.len()).sum();
        let sellable = rows
            .iter()
            .flat_map(|row| &row.seats)
            .filter(|seat| !seat.blocked)
            .count();
        let starts = rows
            .iter()
            .scan(0, |next, row| {
                let start = *next;
                *next += row.seats.len();
                Some(start)
            })
            .collect();
        Self {
            rows,
            starts,
            len,
            // At most MAX_SEATS.
            capacity: u32::try_from(sellable).unwrap_or(u32::MAX),
        }
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Every seat, blocked ones included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a map has at least one seat.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The seats that can be sold.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The seat at `position` along row number `row` (both from 0).
    pub fn index_of(&self, row: usize, position: usize) -> Option<SeatIndex> {
        if position >= self.rows.get(row)?.seats.len() {
            return None;
        }
        u16::try_from(self.starts[row] + position)
            .ok()
            .map(SeatIndex)
    }

    /// The row number and position along it of a seat (both from 0).
    pub fn locate(&self, index: SeatIndex) -> Option<(usize, usize)> {
        let i = index.as_usize();
        if i >= self.len {
            return None;
        }
        // The first row starts at 0, so at least one start is <= i.
        let row = self
            .starts
            .partition_point(|&start| start <= i)
            .checked_sub(1)?;
        Some((row, i - self.starts[row]))
    }

    pub fn seat(&self, index: SeatIndex) -> Option<(&Row, &Seat)> {
        let (row, position) = self.locate(index)?;
        let row = &self.rows[row];
        Some((row, &row.seats[position]))
    }

    /// The seat's name: row label then number, `A7`.
    pub fn name(&self, index: SeatIndex) -> Option<String> {
        let (row, seat) = self.seat(index)?;
        Some(format!("{}{}", row.label, seat.number))
    }

    /// The seat with exactly this name. Labels are letters and numbers are
    /// digits, so a name splits at its first digit; only the canonical
    /// spelling matches (`a7` and `A07` are no seat).
    pub fn find(&self, name: &str) -> Option<SeatIndex> {
        let split = name.find(|c: char| c.is_ascii_digit())?;
        let (label, number) = name.split_at(split);
        let row = self.rows.iter().position(|row| row.label == label)?;
        let position = self.rows[row]
            .seats
            .iter()
            .position(|seat| seat.number == number)?;
        self.index_of(row, position)
    }

    /// The seats that are never sold.
    pub fn blocked(&self) -> SeatSet {
        let mut set = SeatSet::new(self.len);
        set.extend(
            self.iter()
                .filter(|(_, _, seat)| seat.blocked)
                .map(|(index, _, _)| index),
        );
        set
    }

    /// Every seat with its row, in row-major order.
    pub fn iter(&self) -> impl Iterator<Item = (SeatIndex, &Row, &Seat)> {
        self.rows
            .iter()
            .flat_map(|row| row.seats.iter().map(move |seat| (row, seat)))
            .zip(0..=u16::MAX)
            .map(|((row, seat), i)| (SeatIndex(i), row, seat))
    }
}

fn is_label(text: &str) -> bool {
    (1..=MAX_LABEL_LETTERS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_number(text: &str) -> bool {
    (1..=MAX_NUMBER_DIGITS).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0')
}

/// A set of seats of one map, as a bitset. It knows the map's size, so it
/// never holds a seat past the map's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatSet {
    words: Vec<u64>,
    map_len: usize,
}

impl SeatSet {
    /// No seats, for a map of `map_len` seats (at most `MAX_SEATS`; more is
    /// cut to it, as no map has more).
    pub fn new(map_len: usize) -> Self {
        let map_len = map_len.min(MAX_SEATS);
        Self {
            words: vec![0; map_len.div_ceil(WORD_BITS)],
            map_len,
        }
    }

    /// Seats of the map this set is for.
    pub fn map_len(&self) -> usize {
        self.map_len
    }

    /// Whether the seat was not in the set before. A seat past the map's end
    /// is never added.
    pub fn insert(&mut self, seat: SeatIndex) -> bool {
        let Some((word, bit)) = self.slot(seat) else {
            return false;
        };
        let was = self.words[word] & bit != 0;
        self.words[word] |= bit;
        !was
    }

    /// Whether the seat was in the set.
    pub fn remove(&mut self, seat: SeatIndex) -> bool {
        let Some((word, bit)) = self.slot(seat) else {
            return false;
        };
        let was = self.words[word] & bit != 0;
        self.words[word] &= !bit;
        was
    }

    pub fn contains(&self, seat: SeatIndex) -> bool {
        self.slot(seat)
            .is_some_and(|(word, bit)| self.words[word] & bit != 0)
    }

    /// Seats in the set.
    pub fn len(&self) -> usize {
        self.words
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&word| word == 0)
    }

    /// The seats in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = SeatIndex> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(w, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    if rest == 0 {
                        return None;
                    }
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    Some(w * WORD_BITS + bit)
                })
            })
            .filter_map(|i| u16::try_from(i).ok().map(SeatIndex))
    }

    /// Adds every seat of `other`; seats past this set's map are left out.
    pub fn union_with(&mut self, other: &SeatSet) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
        self.clear_past_end();
    }

    /// Little-endian 64-bit words, one for every 64 seats of the map or part of them.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect()
    }

    /// The set `to_bytes` wrote for a map of `map_len` seats, or `None` when
    /// the bytes cannot be one: a wrong length, or a seat past the map's end.
    pub fn from_bytes(map_len: usize, bytes: &[u8]) -> Option<Self> {
        if map_len > MAX_SEATS || bytes.len() != map_len.div_ceil(WORD_BITS) * WORD_BYTES {
            return None;
        }
        let words = bytes
            .chunks_exact(WORD_BYTES)
            .map(|chunk| chunk.try_into().ok().map(u64::from_le_bytes))
            .collect::<Option<Vec<_>>>()?;
        let used = map_len % WORD_BITS;
        if used != 0 && words.last().is_some_and(|last| last >> used != 0) {
            return None;
        }
        Some(Self { words, map_len })
    }

    fn slot(&self, seat: SeatIndex) -> Option<(usize, u64)> {
        let i = seat.as_usize();
        (i < self.map_len).then(|| (i / WORD_BITS, 1 << (i % WORD_BITS)))
    }

    fn clear_past_end(&mut self) {
        let used = self.map_len % WORD_BITS;
        if used != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1 << used) - 1;
            }
        }
    }
}

impl Extend<SeatIndex> for SeatSet {
    fn extend<I: IntoIterator<Item = SeatIndex>>(&mut self, seats: I) {
        for seat in seats {
            self.insert(seat);
        }
    }
}

/// Why the seats a client named cannot be looked up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeatNameError {
    /// Every named seat that is not on the map, in the order given.
    #[error("no seat named {} on this screen", .0.join(", "))]
    Unknown(Vec<String>),
    #[error("seat {0} is named more than once")]
    Duplicate(String),
    #[error("no seats were named")]
    Empty,
}

/// The seats a client named, in the order given. Blocked seats resolve like
/// any other: whether they can be had is the caller's question.
pub fn resolve(map: &SeatMap, names: &[String]) -> Result<Vec<SeatIndex>, SeatNameError> {
    if names.is_empty() {
        return Err(SeatNameError::Empty);
    }
    let mut seats = Vec::with_capacity(names.len());
    let mut seen = HashSet::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut duplicate = None;
    for name in names {
        match map.find(name) {
            Some(seat) => {
                if !seen.insert(seat) && duplicate.is_none() {
                    duplicate = Some(name.clone());
                }
                seats.push(seat);
            }
            None if !unknown.contains(name) => unknown.push(name.clone()),
            None => {}
        }
    }
    // Unknown names first: the client has to fix those whatever else is wrong.
    if !unknown.is_empty() {
        return Err(SeatNameError::Unknown(unknown));
    }
    if let Some(name) = duplicate {
        return Err(SeatNameError::Duplicate(name));
    }
    Ok(seats)
}

/// The wanted seats that are already taken, in the order wanted.
pub fn taken_among(wanted: &[SeatIndex], taken: &SeatSet) -> Vec<SeatIndex> {
    wanted
        .iter()
        .copied()
        .filter(|&seat| taken.contains(seat))
        .collect()
}

/// The row a party is best seated in, of `rows` rows: round(2(n−1)/3) from
/// the screen. 2(n−1)/3 is a whole number plus 0, ⅓ or ⅔, never a half, so
/// adding ⅓ before cutting the fraction off is rounding to the nearest.
fn target_row(rows: usize) -> usize {
    (2 * rows.saturating_sub(1) + 1) / 3
}

/// The first position of the best block of `count` adjacent seats that can
/// be picked by count in `row`, or `None` when it has no such block.
fn best_block_in_row(map: &SeatMap, row: usize, taken: &SeatSet, count: usize) -> Option<usize> {
    let seats = &map.rows[row].seats;
    // Middles doubled, to stay in whole numbers: the row's is len − 1, a
    // block's is first + last.
    let row_middle = seats.len().saturating_sub(1);
    let mut best: Option<(usize, usize)> = None;
    let mut run_start = 0;
    for (position, seat) in seats.iter().enumerate() {
        let free = seat.kind.picked_by_count()
            && !seat.blocked
            && map
                .index_of(row, position)
                .is_some_and(|index| !taken.contains(index));
        if !free {
            run_start = position + 1;
            continue;
        }
        if position + 1 - run_start >= count {
            let first = position + 1 - count;
            let distance = (first + position).abs_diff(row_middle);
            // Strictly nearer only: on a tie the lower position, seen first, stays.
            if best.is_none_or(|(_, nearest)| distance < nearest) {
                best = Some((first, distance));
            }
        }
        if seat.aisle_after {
            run_start = position + 1;
        }
    }
    best.map(|(first, _)| first)
}

/// The best `count` adjacent free seats in one row, as the contract says:
/// the row nearest round(2(n−1)/3) that has such a block (a tie: nearer the
/// screen), then the block whose middle is nearest the row's (a tie: the lower
/// position). Blocked, taken, wheelchair and companion seats are never in it.
/// `None` when no row has room: a party is never split.
pub fn best_available(map: &SeatMap, taken: &SeatSet, count: usize) -> Option<Vec<SeatIndex>> {
    if count == 0 {
        return None;
    }
    let target = target_row(map.rows.len());
    let (row, first) = (0..map.rows.len())
        .filter_map(|row| best_block_in_row(map, row, taken, count).map(|first| (row, first)))
        .min_by_key(|&(row, _)| (row.abs_diff(target), row))?;
    (first..first + count)
        .map(|position| map.index_of(row, position))
        .collect()
}

/// The time a show keeps its screen: [start, start + runtime + turnaround)
/// in Unix milliseconds. A negative turnaround counts as none.
pub fn occupies(start: Millis, runtime_minutes: u32, turnaround_ms: i64) -> (Millis, Millis) {
    let end = start
        .saturating_add(i64::from(runtime_minutes).saturating_mul(MINUTE_MS))
        .saturating_add(turnaround_ms.max(0));
    (start, end)
}

/// Whether two half-open intervals share an instant. Touching ends do not,
/// and an empty interval overlaps nothing.
pub fn overlaps(a: (Millis, Millis), b: (Millis, Millis)) -> bool {
    a.0.max(b.0) < a.1.min(b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(number: &str) -> Seat {
        Seat {
            number: number.into(),
            kind: SeatKind::Standard,
            blocked: false,
            aisle_after: false,
        }
    }

    /// A row of `count` standard seats numbered from 1.
    fn row(label: &str, count: usize) -> Row {
        Row {
            label: label.into(),
            seats: (1..=count).map(|n| seat(&n.to_string())).collect(),
        }
    }

    fn rows(count: usize, seats: usize) -> Vec<Row> {
        (0..count)
            .map(|r| {
                let letter = char::from(b'A' + u8::try_from(r).unwrap());
                row(&letter.to_string(), seats)
            })
            .collect()
    }

    #[track_caller]
    fn map(rows: Vec<Row>) -> SeatMap {
        SeatMap::new(rows).unwrap()
    }

    #[track_caller]
    fn names(map: &SeatMap, seats: &[SeatIndex]) -> Vec<String> {
        seats.iter().map(|&s| map.name(s).unwrap()).collect()
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[track_caller]
    fn taken(map: &SeatMap, names: &[&str]) -> SeatSet {
        let mut set = SeatSet::new(map.len());
        set.extend(resolve(map, &strings(names)).unwrap());
        set
    }

    #[track_caller]
    fn best(map: &SeatMap, taken: &SeatSet, count: usize) -> Option<Vec<String>> {
        best_available(map, taken, count).map(|seats| names(map, &seats))
    }

    #[test]
    fn seat_kinds_round_trip_through_their_names() {
        for kind in [
            SeatKind::Standard,
            SeatKind::Premium,
            SeatKind::Wheelchair,
            SeatKind::Companion,
        ] {
            assert_eq!(SeatKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SeatKind::parse("Standard"), None);
        assert_eq!(SeatKind::parse(""), None);
        assert_eq!(SeatKind::default(), SeatKind::Standard);
    }

    #[test]
    fn capacity_counts_unblocked_seats_only() {
        let mut rows = rows(2, 5);
        rows[1].seats[0].blocked = true;
        let map = map(rows);
        assert_eq!((map.len(), map.capacity()), (10, 9));
        assert!(!map.is_empty());
        assert_eq!(map.blocked().iter().collect::<Vec<_>>(), [SeatIndex(5)]);
    }

    #[test]
    fn a_map_needs_rows_and_every_row_needs_seats() {
        assert_eq!(SeatMap::new(vec![]), Err(SeatMapError::NoRows));
        assert_eq!(
            SeatMap::new(vec![row("A", 3), row("B", 0)]),
            Err(SeatMapError::EmptyRow { row: "B".into() })
        );
    }

    #[test]
    fn row_labels_are_one_to_three_capital_letters() {
        for label in ["a", "A1", "ABCD", "", "É", " A"] {
            assert_eq!(
                SeatMap::new(vec![row(label, 2)]),
                Err(SeatMapError::BadLabel {
                    label: label.into()
                }),
                "{label:?}"
            );
        }
        assert!(SeatMap::new(vec![row("A", 1), row("ZZZ", 1)]).is_ok());
    }

    #[test]
    fn row_labels_are_unique() {
        assert_eq!(
            SeatMap::new(vec![row("A", 2), row("B", 2), row("A", 2)]),
            Err(SeatMapError::DuplicateLabel { label: "A".into() })
        );
    }

    #[test]
    fn seat_numbers_are_one_to_four_digits_without_a_leading_zero() {
        for number in ["0", "01", "A", "12345", "", "1a", "٣"] {
            let bad = Row {
                label: "C".into(),
                seats: vec![seat("1"), seat(number)],
            };
            assert_eq!(
                SeatMap::new(vec![bad]),
                Err(SeatMapError::BadNumber {
                    row: "C".into(),
                    number: number.into()
                }),
                "{number:?}"
            );
        }
        let good = Row {
            label: "C".into(),
            seats: vec![seat("1"), seat("10"), seat("9999")],
        };
        assert!(SeatMap::new(vec![good]).is_ok());
    }

    #[test]
    fn seat_numbers_are_unique_within_a_row_not_across_rows() {
        let mut rows = rows(2, 3);
        assert!(
            SeatMap::new(rows.clone()).is_ok(),
            "A1 and B1 are two seats"
        );
        rows[1].seats[2].number = "1".into();
        assert_eq!(
            SeatMap::new(rows),
            Err(SeatMapError::DuplicateSeat { seat: "B1".into() })
        );
    }

    #[test]
    fn a_map_holds_at_most_max_seats() {
        assert_eq!(map(vec![row("A", 5000), row("B", 5000)]).len(), MAX_SEATS);
        assert_eq!(
            SeatMap::new(vec![row("A", 5000), row("B", 5001)]),
            Err(SeatMapError::TooManySeats { max: MAX_SEATS })
        );
    }

    #[test]
    fn a_map_with_every_seat_blocked_is_refused() {
        let mut rows = rows(2, 2);
        for seat in rows.iter_mut().flat_map(|row| &mut row.seats) {
            seat.blocked = true;
        }
        assert_eq!(
            SeatMap::new(rows.clone()),
            Err(SeatMapError::NoSellableSeat)
        );
        rows[1].seats[1].blocked = false;
        assert_eq!(map(rows).capacity(), 1);
    }

    #[test]
    fn errors_name_the_row_or_seat() {
        let error = SeatMapError::BadNumber {
            row: "B".into(),
            number: "07".into(),
        };
        assert_eq!(
            error.to_string(),
            "seat number \"07\" in row B is not one to four digits without a leading zero"
        );
        assert_eq!(
            SeatNameError::Unknown(strings(&["Z1", "A99"])).to_string(),
            "no seat named Z1, A99 on this screen"
        );
    }

    #[test]
    fn every_seat_s_name_finds_it_again() {
        let map = map(vec![
            row("A", 12),
            row("Z", 3),
            row("AA", 12),
            row("ABC", 1),
        ]);
        for (index, row, seat) in map.iter() {
            let name = map.name(index).unwrap();
            assert_eq!(name, format!("{}{}", row.label, seat.number));
            assert_eq!(map.find(&name), Some(index), "{name}");
            assert_eq!(map.seat(index), Some((row, seat)));
        }
        assert_eq!(map.iter().count(), map.len());
        let aa12 = map.find("AA12").unwrap();
        assert_eq!(aa12, SeatIndex(12 + 3 + 11));
        assert_eq!(map.locate(aa12), Some((2, 11)));
        assert_eq!(map.index_of(2, 11), Some(aa12));
        assert_eq!(map.find("A12"), Some(SeatIndex(11)));
    }

    #[test]
    fn only_the_canonical_name_finds_a_seat() {
        let map = map(vec![row("A", 12), row("AA", 12)]);
        for name in [
            "a7", "A07", "A 7", "A7 ", "A", "7", "", "A13", "B1", "AA", "AAA1",
        ] {
            assert_eq!(map.find(name), None, "{name:?}");
        }
    }

    #[test]
    fn indices_past_the_map_are_no_seat() {
        let map = map(rows(2, 3));
        assert_eq!(map.seat(SeatIndex(6)), None);
        assert_eq!(map.name(SeatIndex(u16::MAX)), None);
        assert_eq!(map.locate(SeatIndex(6)), None);
        assert_eq!(map.index_of(0, 3), None);
        assert_eq!(map.index_of(2, 0), None);
    }

    #[test]
    fn named_seats_resolve_in_the_order_given() {
        let mut rows = rows(2, 5);
        rows[0].seats[0].blocked = true;
        let map = map(rows);
        let seats = resolve(&map, &strings(&["B2", "A1", "A3"])).unwrap();
        assert_eq!(seats, [SeatIndex(6), SeatIndex(0), SeatIndex(2)]);
    }

    #[test]
    fn every_unknown_name_is_listed() {
        let map = map(rows(2, 5));
        assert_eq!(
            resolve(&map, &strings(&["A1", "Z1", "a2", "A6", "Z1", "A1"])),
            Err(SeatNameError::Unknown(strings(&["Z1", "a2", "A6"])))
        );
    }

    #[test]
    fn a_seat_named_twice_is_refused() {
        let map = map(rows(2, 5));
        assert_eq!(
            resolve(&map, &strings(&["A1", "B2", "A1"])),
            Err(SeatNameError::Duplicate("A1".into()))
        );
    }

    #[test]
    fn naming_no_seat_is_refused() {
        let map = map(rows(1, 5));
        assert_eq!(resolve(&map, &[]), Err(SeatNameError::Empty));
    }

    #[test]
    fn taken_among_lists_the_wanted_seats_already_taken() {
        let map = map(rows(2, 5));
        let taken = taken(&map, &["A2", "B5"]);
        let wanted = resolve(&map, &strings(&["B5", "A1", "A2"])).unwrap();
        assert_eq!(names(&map, &taken_among(&wanted, &taken)), ["B5", "A2"]);
        let free = resolve(&map, &strings(&["A1", "A3"])).unwrap();
        assert!(taken_among(&free, &taken).is_empty());
    }

    #[test]
    fn the_target_row_rounds_two_thirds_back_to_the_nearest() {
        let targets: Vec<_> = (1..=12).map(target_row).collect();
        assert_eq!(targets, [0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7]);
    }

    #[test]
    fn a_party_sits_in_row_h_of_twelve_centred() {
        let map = map(rows(12, 10));
        let none = SeatSet::new(map.len());
        assert_eq!(best(&map, &none, 2), Some(strings(&["H5", "H6"])));
        assert_eq!(
            best(&map, &none, 1),
            Some(strings(&["H5"])),
            "4.5 − 4 ties 5 − 4.5"
        );
        assert_eq!(best(&map, &none, 10).unwrap().first().unwrap(), "H1");
    }

    #[test]
    fn an_odd_block_in_an_odd_row_sits_exactly_in_the_middle() {
        let map = map(vec![row("A", 9)]);
        let none = SeatSet::new(map.len());
        assert_eq!(best(&map, &none, 3), Some(strings(&["A4", "A5", "A6"])));
    }

    #[test]
    fn equally_centred_blocks_go_to_the_lower_position() {
        let map = map(vec![row("A", 10)]);
        let none = SeatSet::new(map.len());
        assert_eq!(best(&map, &none, 3), Some(strings(&["A4", "A5", "A6"])));
    }

    #[test]
    fn adjacency_never_crosses_an_aisle() {
        let mut rows = vec![row("A", 10)];
        rows[0].seats[4].aisle_after = true;
        let map = map(rows);
        let none = SeatSet::new(map.len());
        // A2–A5 and A6–A9 are equally far from the middle; A4–A7 would cross.
        assert_eq!(
            best(&map, &none, 4),
            Some(strings(&["A2", "A3", "A4", "A5"]))
        );
        assert_eq!(
            best(&map, &none, 5),
            Some(strings(&["A1", "A2", "A3", "A4", "A5"]))
        );
        assert_eq!(best(&map, &none, 6), None);
    }

    #[test]
    fn blocked_and_taken_seats_break_blocks() {
        let mut rows = vec![row("A", 6)];
        rows[0].seats[3].blocked = true;
        let map = map(rows);
        let taken = taken(&map, &["A3"]);
        assert_eq!(best(&map, &taken, 2), Some(strings(&["A1", "A2"])));
        assert_eq!(
            best(&map, &taken, 1),
            Some(strings(&["A2"])),
            "A2 and A5 are equally central; the lower wins"
        );
        assert_eq!(best(&map, &taken, 3), None);
    }

    #[test]
    fn wheelchair_and_companion_seats_are_never_picked_by_count() {
        let mut rows = vec![row("A", 6)];
        rows[0].seats[2].kind = SeatKind::Wheelchair;
        rows[0].seats[3].kind = SeatKind::Companion;
        rows[0].seats[4].kind = SeatKind::Premium;
        let map = map(rows);
        let none = SeatSet::new(map.len());
        assert_eq!(best(&map, &none, 2), Some(strings(&["A1", "A2"])));
        assert_eq!(best(&map, &none, 1), Some(strings(&["A2"])));
        assert_eq!(best(&map, &none, 3), None);
        assert_eq!(
            resolve(&map, &strings(&["A3", "A4"])),
            Ok(vec![SeatIndex(2), SeatIndex(3)]),
            "by name they can be had"
        );
    }

    #[test]
    fn rows_equally_far_from_the_target_go_nearer_the_screen() {
        // Four rows: the target is C (index 2).
        let map = map(rows(4, 2));
        let taken = taken(&map, &["C1", "C2"]);
        assert_eq!(best(&map, &taken, 2), Some(strings(&["B1", "B2"])));
    }

    #[test]
    fn a_full_row_falls_back_to_the_nearest_row_with_room() {
        let map = map(rows(12, 4));
        let mut taken = taken(&map, &["H1", "H2", "H3", "H4"]);
        assert_eq!(best(&map, &taken, 2), Some(strings(&["G2", "G3"])));
        taken.extend(resolve(&map, &strings(&["G2"])).unwrap());
        assert_eq!(best(&map, &taken, 2), Some(strings(&["G3", "G4"])));
        taken.extend(resolve(&map, &strings(&["G3"])).unwrap());
        assert_eq!(best(&map, &taken, 2), Some(strings(&["I2", "I3"])));
    }

    #[test]
    fn a_party_larger_than_any_free_block_is_not_split() {
        let map = map(rows(2, 6));
        let taken = taken(&map, &["A4", "B3"]);
        // Five free seats in each row, but no four together.
        assert_eq!(best(&map, &taken, 4), None);
        assert_eq!(best(&map, &taken, 3), Some(strings(&["B4", "B5", "B6"])));
        assert_eq!(best(&map, &SeatSet::new(map.len()), 7), None);
        assert_eq!(best(&map, &SeatSet::new(map.len()), 0), None);
    }

    #[test]
    fn seat_sets_count_and_list_their_seats_in_order() {
        let mut set = SeatSet::new(130);
        assert!(set.is_empty());
        assert!(set.insert(SeatIndex(129)));
        assert!(set.insert(SeatIndex(0)));
        assert!(set.insert(SeatIndex(64)));
        assert!(!set.insert(SeatIndex(64)), "already in");
        assert!(!set.insert(SeatIndex(130)), "past the map");
        assert_eq!(set.len(), 3);
        assert!(set.contains(SeatIndex(64)) && !set.contains(SeatIndex(63)));
        assert!(!set.contains(SeatIndex(130)));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [SeatIndex(0), SeatIndex(64), SeatIndex(129)]
        );
        assert!(set.remove(SeatIndex(64)));
        assert!(!set.remove(SeatIndex(64)));
        assert_eq!(set.len(), 2);
        let mut other = SeatSet::new(130);
        other.extend([SeatIndex(5), SeatIndex(129)]);
        set.union_with(&other);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [SeatIndex(0), SeatIndex(5), SeatIndex(129)]
        );
    }

    #[test]
    fn a_union_never_reaches_past_the_map() {
        let mut small = SeatSet::new(3);
        let mut big = SeatSet::new(10);
        big.extend([SeatIndex(1), SeatIndex(7)]);
        small.union_with(&big);
        assert_eq!(small.iter().collect::<Vec<_>>(), [SeatIndex(1)]);
    }

    #[test]
    fn seat_sets_round_trip_through_bytes() {
        for len in [1, 63, 64, 65, 130, MAX_SEATS] {
            let mut set = SeatSet::new(len);
            set.extend(
                (0..len)
                    .step_by(7)
                    .map(|i| SeatIndex(u16::try_from(i).unwrap())),
            );
            set.insert(SeatIndex(u16::try_from(len - 1).unwrap()));
            let bytes = set.to_bytes();
            assert_eq!(bytes.len(), len.div_ceil(64) * 8);
            assert_eq!(SeatSet::from_bytes(len, &bytes), Some(set), "{len}");
        }
        let mut set = SeatSet::new(70);
        set.insert(SeatIndex(65));
        assert_eq!(set.to_bytes()[8], 0b10, "little-endian words");
    }

    #[test]
    fn bytes_that_are_no_seat_set_are_refused() {
        let good = SeatSet::new(70).to_bytes();
        assert_eq!(good.len(), 16);
        assert_eq!(SeatSet::from_bytes(70, &good[..15]), None, "short");
        assert_eq!(SeatSet::from_bytes(70, &[0; 24]), None, "long");
        assert_eq!(SeatSet::from_bytes(64, &good), None, "for another map");
        let mut past_end = good.clone();
        past_end[8] = 0b100_0000; // seat 70
        assert_eq!(
            SeatSet::from_bytes(70, &past_end),
            None,
            "a seat past the map"
        );
        past_end[8] = 0b10_0000; // seat 69, the last
        assert!(SeatSet::from_bytes(70, &past_end).is_some());
        assert_eq!(SeatSet::from_bytes(MAX_SEATS + 1, &[0; 256]), None);
        assert_eq!(SeatSet::from_bytes(0, &[]), Some(SeatSet::new(0)));
    }

    #[test]
    fn a_show_keeps_its_screen_for_runtime_plus_turnaround() {
        const MINUTE: i64 = 60_000;
        let start = 1_700_000_000_000;
        let first = occupies(start, 120, 15 * MINUTE);
        assert_eq!(first, (start, start + 135 * MINUTE));
        let next_at_end = occupies(start + 135 * MINUTE, 90, 15 * MINUTE);
        assert!(
            !overlaps(first, next_at_end),
            "touching ends do not overlap"
        );
        assert!(!overlaps(next_at_end, first));
        let next_a_minute_early = occupies(start + 134 * MINUTE, 90, 15 * MINUTE);
        assert!(overlaps(first, next_a_minute_early));
        assert!(overlaps(next_a_minute_early, first));
        let before = occupies(start - 60 * MINUTE, 30, 15 * MINUTE);
        assert!(!overlaps(first, before));
        assert!(
            overlaps(first, occupies(start + 10 * MINUTE, 1, 0)),
            "inside"
        );
    }

    #[test]
    fn occupancy_saturates_and_ignores_a_negative_turnaround() {
        assert_eq!(
            occupies(i64::MAX - 5, u32::MAX, i64::MAX),
            (i64::MAX - 5, i64::MAX)
        );
        assert_eq!(occupies(0, 1, -60_000), (0, 60_000));
        assert!(
            !overlaps((5, 5), (0, 10)),
            "an empty interval overlaps nothing"
        );
    }
}
