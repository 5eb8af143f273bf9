//! What a seat costs: ticket types, price cards and the card a show takes,
//! the channels a type is sold on, and the tax a price includes. Amounts
//! are whole minor units of the venue's currency; no floating point.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;

use super::ids::{FilmId, PriceCardId, ScreenId, TicketTypeId};
use super::seating::{SeatIndex, SeatKind, SeatMap};
use super::Millis;

/// Where a sale is made; a ticket type names those it is sold on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Staff at the counter.
    Counter,
    /// A customer at a kiosk.
    Kiosk,
    /// A program (a web shop, a script), and every `/api` client.
    Api,
}

impl Channel {
    pub const ALL: [Self; 3] = [Self::Counter, Self::Kiosk, Self::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Kiosk => "kiosk",
            Self::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == text)
    }

    fn bit(self) -> u8 {
        match self {
            Self::Counter => 1,
            Self::Kiosk => 2,
            Self::Api => 4,
        }
    }
}

/// A set of channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    pub const ALL: Self = Self(0b111);
    pub const NONE: Self = Self(0);

    pub fn contains(self, channel: Channel) -> bool {
        self.0 & channel.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL
            .into_iter()
            .filter(move |channel| self.contains(*channel))
    }

    /// As stored: one bit per channel.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// `None` for bits that name no channel.
    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits & !Self::ALL.0 == 0).then_some(Self(bits))
    }
}

impl FromIterator<Channel> for Channels {
    fn from_iter<I: IntoIterator<Item = Channel>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .fold(0, |bits, channel| bits | channel.bit()),
        )
    }
}

/// The most a tax rate may be: 100 %, in basis points.
pub const MAX_TAX_RATE: u16 = 10_000;
/// The most one seat may cost, in minor units (ten million euros is
/// already beyond any cinema; it keeps every sum far inside `u64`).
pub const MAX_PRICE: u64 = 1_000_000_000;
/// Longest ticket-type and card name, and the proof sentence.
pub const MAX_PRICE_NAME_CHARS: usize = 100;
pub const MAX_PROOF_CHARS: usize = 200;
/// Most prices on one card, films and screens its rules name.
pub const MAX_CARD_PRICES: usize = 500;
pub const MAX_RULE_ITEMS: usize = 500;

/// The tax included in `gross` at `rate` basis points: gross × rate /
/// (10000 + rate), rounded half to even. Exact for every `u64` gross and
/// every rate up to 100 %.
pub fn tax_included(gross: u64, rate: u16) -> u64 {
    let numerator = u128::from(gross) * u128::from(rate);
    let denominator = 10_000 + u128::from(rate);
    let quotient = numerator / denominator;
    let twice_rest = 2 * (numerator % denominator);
    let up = twice_rest > denominator || (twice_rest == denominator && quotient % 2 == 1);
    // tax <= gross, so it fits where gross did.
    u64::try_from(quotient + u128::from(up)).unwrap_or(gross)
}

/// The rate a line stored without one is taken to have been sold at: its
/// ticket type's `preferred` rate when that gives its tax, else the lowest
/// rate that does (0 for a line at 0). When no rate gives its tax, the
/// lowest rate giving at least that much (or `preferred`, or 100 %), so
/// that `check` reports the line.
pub fn rate_giving(price: u64, tax: u64, preferred: Option<u16>) -> u16 {
    if let Some(rate) = preferred.filter(|&rate| rate <= MAX_TAX_RATE) {
        if tax_included(price, rate) == tax {
            return rate;
        }
    }
    // The tax grows with the rate: the lowest rate whose tax reaches `tax`.
    let (mut low, mut high) = (0u16, MAX_TAX_RATE);
    if tax_included(price, high) < tax {
        return preferred.unwrap_or(MAX_TAX_RATE);
    }
    while low < high {
        let middle = low + (high - low) / 2;
        if tax_included(price, middle) < tax {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    if tax_included(price, low) == tax {
        low
    } else {
        preferred.unwrap_or(low)
    }
}

/// A kind of ticket (`Adult`, `Child`, `Student`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketType {
    pub id: TicketTypeId,
    pub name: String,
    /// Basis points: 700 = 7 %.
    pub tax_rate: u16,
    pub channels: Channels,
    /// What the door asks to see ("student card").
    pub proof: Option<String>,
}

impl TicketType {
    /// The one every database starts with, sold everywhere, untaxed.
    pub const ADMISSION: &'static str = "Admission";
}

/// Days of the week, Monday first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekdays {
    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits != 0 && bits < 0x80).then_some(Self(bits))
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    /// From names (`mon` … `sun`); `None` for an unknown name or none at all.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut bits = 0u8;
        for name in names {
            let day = WEEKDAY_NAMES.iter().position(|known| *known == name)?;
            bits |= 1 << day;
        }
        Self::from_bits(bits)
    }

    pub fn names(self) -> Vec<&'static str> {
        (0..7)
            .filter(|day| self.0 & (1 << day) != 0)
            .map(|day| WEEKDAY_NAMES[day])
            .collect()
    }

    fn contains(self, date: NaiveDate) -> bool {
        self.0 & (1 << date.weekday().num_days_from_monday()) != 0
    }
}

/// Minutes after midnight, venue-local.
pub const MINUTES_A_DAY: u16 = 24 * 60;

/// A time of day window `from <= t < to`; when `to` is before `from` it
/// crosses midnight (22:00–02:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    from: u16,
    to: u16,
}

impl TimeWindow {
    /// Both in minutes after midnight; `None` when out of the day or empty.
    pub fn new(from: u16, to: u16) -> Option<Self> {
        (from < MINUTES_A_DAY && to < MINUTES_A_DAY && from != to).then_some(Self { from, to })
    }

    pub fn from(self) -> u16 {
        self.from
    }

    pub fn to(self) -> u16 {
        self.to
    }

    /// `HH:MM` → minutes after midnight.
    pub fn parse_time(text: &str) -> Option<u16> {
        let (hours, minutes) = text.split_once(':')?;
        if hours.len() != 2 || minutes.len() != 2 {
            return None;
        }
        let hours: u16 = hours.parse().ok().filter(|hours| *hours < 24)?;
        let minutes: u16 = minutes.parse().ok().filter(|minutes| *minutes < 60)?;
        Some(hours * 60 + minutes)
    }

    pub fn write_time(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    fn crosses_midnight(self) -> bool {
        self.to < self.from
    }

    fn contains(self, minute: u16) -> bool {
        if self.crosses_midnight() {
            minute >= self.from || minute < self.to
        } else {
            self.from <= minute && minute < self.to
        }
    }
}

/// Venue-local dates, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        (from <= to).then_some(Self { from, to })
    }

    pub fn from(self) -> NaiveDate {
        self.from
    }

    pub fn to(self) -> NaiveDate {
        self.to
    }
}

/// When a card applies; every rule set must match, an unset one matches all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardRules {
    pub weekdays: Option<Weekdays>,
    pub window: Option<TimeWindow>,
    pub films: Vec<FilmId>,
    pub screens: Vec<ScreenId>,
    pub dates: Option<DateRange>,
}

/// A show as the card rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowFacts {
    /// Its start, venue-local.
    pub local_start: NaiveDateTime,
    pub film: Option<FilmId>,
    pub screen: ScreenId,
}

impl ShowFacts {
    pub fn new(starts_at: Millis, zone: Tz, film: Option<FilmId>, screen: ScreenId) -> Self {
        let local_start = DateTime::from_timestamp_millis(starts_at)
            .unwrap_or_default()
            .with_timezone(&zone)
            .naive_local();
        Self {
            local_start,
            film,
            screen,
        }
    }
}

impl CardRules {
    /// Whether a show starting at `show` falls under these rules. A show in
    /// the small hours of a window that crosses midnight belongs to the day
    /// the window began on: a Friday late-night card (fri, 22:00–02:00)
    /// prices the 00:30 show of Saturday.
    pub fn matches(&self, show: &ShowFacts) -> bool {
        let minute = u16::try_from(show.local_start.hour() * 60 + show.local_start.minute())
            .unwrap_or(u16::MAX);
        let mut day = show.local_start.date();
        if let Some(window) = self.window {
            if !window.contains(minute) {
                return false;
            }
            if window.crosses_midnight() && minute < window.to {
                day -= Duration::days(1);
            }
        }
        self.weekdays.is_none_or(|weekdays| weekdays.contains(day))
            && self
                .dates
                .is_none_or(|dates| dates.from <= day && day <= dates.to)
            && (self.films.is_empty() || show.film.is_some_and(|film| self.films.contains(&film)))
            && (self.screens.is_empty() || self.screens.contains(&show.screen))
    }
}

/// One entry of a card: this type on this seat kind (`None`: any kind the
/// card does not name) costs `amount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub ticket_type: TicketTypeId,
    pub seat_kind: Option<SeatKind>,
    pub amount: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceCard {
    pub id: PriceCardId,
    pub name: String,
    /// Among cards whose rules match a show, the highest wins.
    pub priority: i32,
    /// The card of every show no other card takes.
    pub default: bool,
    pub rules: CardRules,
    /// In the order given; the first type is the one sold when none is named.
    pub prices: Vec<Price>,
}

impl PriceCard {
    /// The card every database starts with.
    pub const DEFAULT_NAME: &'static str = "default";

    /// What `ticket_type` costs on a seat of `kind` (`None`: general
    /// admission, priced by the card's "any" entry, else its standard one).
    pub fn price(&self, ticket_type: TicketTypeId, kind: Option<SeatKind>) -> Option<u64> {
        let entry = |wanted: Option<SeatKind>| {
            self.prices
                .iter()
                .find(|price| price.ticket_type == ticket_type && price.seat_kind == wanted)
                .map(|price| price.amount)
        };
        match kind {
            Some(kind) => entry(Some(kind)).or_else(|| entry(None)),
            None => entry(None).or_else(|| entry(Some(SeatKind::Standard))),
        }
    }

    /// The ticket types the card prices, in the order of their first price.
    pub fn ticket_types(&self) -> Vec<TicketTypeId> {
        let mut types = Vec::new();
        for price in &self.prices {
            if !types.contains(&price.ticket_type) {
                types.push(price.ticket_type);
            }
        }
        types
    }

    /// Whether two entries price one type on one kind.
    pub fn has_duplicate_price(prices: &[Price]) -> bool {
        prices.iter().enumerate().any(|(at, price)| {
            prices[..at].iter().any(|earlier| {
                earlier.ticket_type == price.ticket_type && earlier.seat_kind == price.seat_kind
            })
        })
    }
}

/// Why a show has the card it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardChoice {
    /// The show names it.
    Named,
    /// Its rules match the show, and no matching card has a higher priority.
    Rules,
    /// No other card takes the show.
    Default,
}

impl CardChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Named => "named",
            Self::Rules => "rules",
            Self::Default => "default",
        }
    }
}

/// The card a show is priced by: the one it names, else the highest-priority
/// card (not the default one) whose rules match it, the oldest on a tie,
/// else the default card. `None`: no card takes the show.
pub fn card_for<'a>(
    named: Option<PriceCardId>,
    cards: &'a [PriceCard],
    show: &ShowFacts,
) -> Option<(&'a PriceCard, CardChoice)> {
    if let Some(card) = named.and_then(|named| cards.iter().find(|card| card.id == named)) {
        return Some((card, CardChoice::Named));
    }
    let by_rules = cards
        .iter()
        .filter(|card| !card.default && card.rules.matches(show))
        // max_by keeps the last of equals: reverse the id so the oldest wins.
        .max_by(|a, b| a.priority.cmp(&b.priority).then(b.id.cmp(&a.id)));
    if let Some(card) = by_rules {
        return Some((card, CardChoice::Rules));
    }
    cards
        .iter()
        .filter(|card| card.default)
        .min_by_key(|card| card.id)
        .map(|card| (card, CardChoice::Default))
}

/// One seat or place of a sale, priced: what it cost, the tax in that and
/// the rate it was taxed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinePrice {
    pub ticket_type: TicketTypeId,
    pub price: u64,
    pub tax: u64,
    pub tax_rate: u16,
}

/// One seat or place of a sale: its seat (`None` on general admission),
/// the ticket type it was sold as, and its price, tax and tax rate (basis
/// points) as they were when it was held or booked. A line is never priced
/// again, so its rate stays when its type's changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub seat: Option<SeatIndex>,
    pub ticket_type: TicketTypeId,
    pub price: u64,
    pub tax: u64,
    pub tax_rate: u16,
}

impl Line {
    /// Whether its tax is what its price gives at its rate.
    pub fn tax_is_right(&self) -> bool {
        self.tax_rate <= MAX_TAX_RATE && self.tax == tax_included(self.price, self.tax_rate)
    }
}

/// What a sale's lines cost together.
pub fn total(lines: &[Line]) -> u64 {
    lines.iter().map(|line| line.price).sum()
}

/// Lines at 0 of `ticket_type` for seats (or a count) sold before prices.
pub fn free_lines(ticket_type: TicketTypeId, seats: &[SeatIndex], count: u32) -> Vec<Line> {
    let line = |seat| Line {
        seat,
        ticket_type,
        price: 0,
        tax: 0,
        tax_rate: 0,
    };
    if seats.is_empty() {
        (0..count).map(|_| line(None)).collect()
    } else {
        seats.iter().map(|seat| line(Some(*seat))).collect()
    }
}

/// The ticket types a customer asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TicketChoice {
    /// None: each place takes the card's first type sold on the channel.
    #[default]
    Any,
    /// A type per seat, by seat name; seats not named take the first type.
    BySeat(Vec<(String, TicketTypeId)>),
    /// So many of each type, in this order along the seats sold.
    ByType(Vec<(TicketTypeId, u32)>),
}

impl TicketChoice {
    /// How many places a choice by type asks for.
    pub fn count(&self) -> Option<u32> {
        match self {
            Self::ByType(counts) => Some(counts.iter().map(|(_, count)| *count).sum()),
            _ => None,
        }
    }
}

/// The lines of a sale of `seats` (on a seat map) or of `count` places (on
/// general admission), priced by `card` on `channel` as the customer chose.
pub fn price_sale(
    card: &PriceCard,
    types: &[TicketType],
    channel: Channel,
    map: Option<&SeatMap>,
    seats: &[SeatIndex],
    count: u32,
    choice: &TicketChoice,
) -> Result<Vec<Line>, PricingRefusal> {
    let places: Vec<Option<SeatIndex>> = match map {
        Some(_) if !seats.is_empty() => seats.iter().copied().map(Some).collect(),
        _ => (0..count).map(|_| None).collect(),
    };
    let kind =
        |seat: Option<SeatIndex>| seat.and_then(|seat| map?.seat(seat).map(|(_, seat)| seat.kind));
    let wanted: Vec<Option<TicketTypeId>> = match choice {
        TicketChoice::Any => places.iter().map(|_| None).collect(),
        TicketChoice::ByType(counts) => {
            let asked = choice.count().unwrap_or(0);
            if usize::try_from(asked).ok() != Some(places.len()) {
                return Err(PricingRefusal::TicketsDoNotMatch {
                    asked,
                    places: u32::try_from(places.len()).unwrap_or(u32::MAX),
                });
            }
            counts
                .iter()
                .flat_map(|(ticket_type, count)| (0..*count).map(|_| Some(*ticket_type)))
                .collect()
        }
        TicketChoice::BySeat(named) => {
            let Some(map) = map else {
                return Err(PricingRefusal::SeatNotSold(
                    named
                        .first()
                        .map(|(seat, _)| seat.clone())
                        .unwrap_or_default(),
                ));
            };
            let mut wanted: Vec<Option<TicketTypeId>> = places.iter().map(|_| None).collect();
            for (name, ticket_type) in named {
                let at = map
                    .find(name)
                    .and_then(|seat| places.iter().position(|place| *place == Some(seat)))
                    .ok_or_else(|| PricingRefusal::SeatNotSold(name.clone()))?;
                wanted[at] = Some(*ticket_type);
            }
            wanted
        }
    };
    let asked: Vec<(Option<SeatKind>, Option<TicketTypeId>)> = places
        .iter()
        .zip(&wanted)
        .map(|(seat, wanted)| (kind(*seat), *wanted))
        .collect();
    let priced = price_places(card, types, channel, &asked)?;
    Ok(places
        .into_iter()
        .zip(priced)
        .map(|(seat, line)| Line {
            seat,
            ticket_type: line.ticket_type,
            price: line.price,
            tax: line.tax,
            tax_rate: line.tax_rate,
        })
        .collect())
}

/// Why a sale cannot be priced; the sale is refused whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingRefusal {
    #[error("no price card applies to this show and there is no default card")]
    NoCard,
    #[error("no such ticket type: {0}")]
    UnknownType(TicketTypeId),
    #[error("ticket type {name} is not sold on the {} channel", channel.as_str())]
    NotOnChannel { name: String, channel: Channel },
    #[error("the show's price card {card} has no price for {name} on {}", kind.map_or("general admission", SeatKind::as_str))]
    NotPriced {
        card: String,
        name: String,
        kind: Option<SeatKind>,
    },
    /// `tickets` by type count more or fewer places than are sold.
    #[error("tickets count {asked} places, the sale has {places}")]
    TicketsDoNotMatch { asked: u32, places: u32 },
    /// `tickets` by seat name a seat the sale does not have.
    #[error("tickets name seat {0}, which this sale does not have")]
    SeatNotSold(String),
}

/// What each place of a sale costs on `card`, sold on `channel`: `places`
/// gives each place's seat kind (`None` on general admission) and the type
/// asked for it (`None`: the card's first type sold on the channel).
pub fn price_places(
    card: &PriceCard,
    types: &[TicketType],
    channel: Channel,
    places: &[(Option<SeatKind>, Option<TicketTypeId>)],
) -> Result<Vec<LinePrice>, PricingRefusal> {
    let find = |id: TicketTypeId| types.iter().find(|ticket_type| ticket_type.id == id);
    let fallback = || {
        card.ticket_types()
            .into_iter()
            .filter_map(find)
            .find(|ticket_type| ticket_type.channels.contains(channel))
    };
    let mut lines = Vec::with_capacity(places.len());
    for (kind, wanted) in places {
        let ticket_type = match wanted {
            Some(id) => {
                let ticket_type = find(*id).ok_or(PricingRefusal::UnknownType(*id))?;
                if !ticket_type.channels.contains(channel) {
                    return Err(PricingRefusal::NotOnChannel {
                        name: ticket_type.name.clone(),
                        channel,
                    });
                }
                ticket_type
            }
            None => fallback().ok_or_else(|| PricingRefusal::NotOnChannel {
                name: format!("none of card {}'s types", card.name),
                channel,
            })?,
        };
        let price = card
            .price(ticket_type.id, *kind)
            .ok_or_else(|| PricingRefusal::NotPriced {
                card: card.name.clone(),
                name: ticket_type.name.clone(),
                kind: *kind,
            })?;
        lines.push(LinePrice {
            ticket_type: ticket_type.id,
            price,
            tax: tax_included(price, ticket_type.tax_rate),
            tax_rate: ticket_type.tax_rate,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact rule, said another way: `tax` is right when it is nearest
    /// to gross × rate / (10000 + rate), an even one on a tie.
    fn is_nearest_even(gross: u64, rate: u16, tax: u64) -> bool {
        let numerator = i128::from(gross) * i128::from(rate);
        let denominator = 10_000 + i128::from(rate);
        // Twice the distance from tax to the exact quotient, in units of 1/denominator.
        let distance = (2 * (numerator - i128::from(tax) * denominator)).abs();
        distance < denominator || (distance == denominator && tax.is_multiple_of(2))
    }

    /// A fixed sequence of pseudo-random amounts up to 10^9 (splitmix64).
    fn amounts(seed: u64, how_many: usize) -> impl Iterator<Item = u64> {
        let mut state = seed;
        (0..how_many).map(move |_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % 1_000_000_001
        })
    }

    #[test]
    fn tax_is_rounded_half_to_even_for_every_rate_and_amounts_up_to_a_billion() {
        let fixed = [
            0,
            1,
            2,
            3,
            99,
            100,
            107,
            1_000,
            1_250,
            999_999_999,
            1_000_000_000,
        ];
        for rate in 0..=MAX_TAX_RATE {
            let random = amounts(u64::from(rate), 64);
            // The amounts around a tie: gross where gross × rate / (10000 + rate)
            // is exactly half way, when there is one below a billion.
            let denominator = 10_000 + u64::from(rate);
            let near_ties =
                (1..4u64).map(|k| (2 * k - 1) * denominator / 2 / u64::from(rate.max(1)));
            for gross in fixed.into_iter().chain(random).chain(near_ties) {
                let tax = tax_included(gross, rate);
                assert!(
                    is_nearest_even(gross, rate, tax),
                    "gross {gross} at {rate} bp gave tax {tax}"
                );
                assert!(tax <= gross);
            }
        }
    }

    #[test]
    fn ties_go_to_the_even_cent() {
        // At 100 %, tax is half the gross.
        assert_eq!(tax_included(1, 10_000), 0);
        assert_eq!(tax_included(3, 10_000), 2);
        assert_eq!(tax_included(5, 10_000), 2);
        assert_eq!(tax_included(7, 10_000), 4);
        // 25 % of 125 gross: 25 exactly; of 1 gross: 0.2 → 0.
        assert_eq!(tax_included(125, 2_500), 25);
        assert_eq!(tax_included(1, 2_500), 0);
        // 7 % of 1250: 81.775... → 82; 19 % of 1000: 159.66 → 160.
        assert_eq!(tax_included(1_250, 700), 82);
        assert_eq!(tax_included(1_000, 1_900), 160);
        assert_eq!(tax_included(1_000, 0), 0);
        assert_eq!(tax_included(u64::MAX, 10_000), u64::MAX / 2 + 1);
    }

    fn id(n: u128) -> PriceCardId {
        PriceCardId::from_u128(n)
    }

    fn card(n: u128, priority: i32, default: bool, rules: CardRules) -> PriceCard {
        PriceCard {
            id: id(n),
            name: format!("card {n}"),
            priority,
            default,
            rules,
            prices: Vec::new(),
        }
    }

    fn at(text: &str) -> ShowFacts {
        ShowFacts {
            local_start: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
            film: Some(FilmId::from_u128(7)),
            screen: ScreenId::from_u128(9),
        }
    }

    #[test]
    fn a_window_across_midnight_belongs_to_the_day_it_began() {
        let late_friday = CardRules {
            weekdays: Weekdays::parse(["fri"]),
            window: TimeWindow::new(22 * 60, 2 * 60),
            ..CardRules::default()
        };
        // 2026-12-04 is a Friday.
        assert!(late_friday.matches(&at("2026-12-04 22:30")));
        assert!(late_friday.matches(&at("2026-12-05 00:30")));
        assert!(!late_friday.matches(&at("2026-12-05 02:00")));
        assert!(!late_friday.matches(&at("2026-12-04 00:30")));
        assert!(!late_friday.matches(&at("2026-12-04 21:59")));
        assert!(!late_friday.matches(&at("2026-12-05 22:30")));
    }

    #[test]
    fn every_rule_set_must_match() {
        let rules = CardRules {
            films: vec![FilmId::from_u128(7)],
            screens: vec![ScreenId::from_u128(9)],
            dates: DateRange::new(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            ),
            ..CardRules::default()
        };
        assert!(rules.matches(&at("2026-12-04 23:59")));
        assert!(!rules.matches(&at("2026-12-05 00:00")));
        let mut elsewhere = at("2026-12-02 12:00");
        elsewhere.screen = ScreenId::DEFAULT;
        assert!(!rules.matches(&elsewhere));
        elsewhere = at("2026-12-02 12:00");
        elsewhere.film = None;
        assert!(!rules.matches(&elsewhere));
        assert!(CardRules::default().matches(&elsewhere));
    }

    #[test]
    fn a_show_takes_its_named_card_else_the_best_match_else_the_default() {
        let weekend = CardRules {
            weekdays: Weekdays::parse(["sat", "sun"]),
            ..CardRules::default()
        };
        let cards = vec![
            card(1, 0, true, CardRules::default()),
            card(2, 5, false, weekend.clone()),
            card(3, 9, false, weekend.clone()),
            card(4, 9, false, weekend),
        ];
        let saturday = at("2026-12-05 15:00");
        let monday = at("2026-12-07 15:00");
        let choose = |named, show| card_for(named, &cards, show).map(|(card, why)| (card.id, why));
        assert_eq!(choose(None, &saturday), Some((id(3), CardChoice::Rules)));
        assert_eq!(choose(None, &monday), Some((id(1), CardChoice::Default)));
        assert_eq!(
            choose(Some(id(2)), &monday),
            Some((id(2), CardChoice::Named))
        );
        assert_eq!(card_for(None, &cards[1..], &monday), None);
    }

    #[test]
    fn a_line_stored_without_a_rate_takes_its_types_rate_else_the_lowest_that_gives_its_tax() {
        // At 0, only the rate 0 is taken: any rate gives no tax.
        assert_eq!(rate_giving(0, 0, None), 0);
        assert_eq!(rate_giving(0, 0, Some(700)), 700);
        // 1250 at 7 % is 81.78 → 82; 698 is the lowest rate giving 82.
        assert_eq!(tax_included(1_250, 700), 82);
        assert_eq!(rate_giving(1_250, 82, Some(700)), 700);
        assert_eq!(rate_giving(1_250, 82, None), 698);
        assert_eq!(tax_included(1_250, 697), 81);
        assert_eq!(rate_giving(1_250, 82, Some(1_900)), 698);
        // Untaxed lines at a price.
        assert_eq!(rate_giving(1_250, 0, Some(700)), 0);
        // No rate gives it: the type's rate, else the lowest reaching it.
        assert_eq!(rate_giving(1_250, 626, Some(700)), 700);
        assert_eq!(rate_giving(1_250, 626, None), MAX_TAX_RATE);
        for amount in amounts(9, 200) {
            for rate in [0, 1, 500, 700, 1_900, 2_500, 9_999, 10_000] {
                let tax = tax_included(amount, rate);
                let found = rate_giving(amount, tax, None);
                assert_eq!(tax_included(amount, found), tax, "{amount} at {rate}");
                assert!(found <= rate);
            }
        }
        let line = |price, tax, tax_rate| Line {
            seat: None,
            ticket_type: TicketTypeId::from_u128(1),
            price,
            tax,
            tax_rate,
        };
        assert!(line(1_250, 82, 700).tax_is_right());
        assert!(!line(1_250, 82, 1_900).tax_is_right());
        assert!(!line(1_250, 81, 700).tax_is_right());
        assert!(!line(0, 0, MAX_TAX_RATE + 1).tax_is_right());
    }

    fn ticket_type(n: u128, name: &str, rate: u16, channels: &[Channel]) -> TicketType {
        TicketType {
            id: TicketTypeId::from_u128(n),
            name: name.into(),
            tax_rate: rate,
            channels: channels.iter().copied().collect(),
            proof: None,
        }
    }

    #[test]
    fn places_are_priced_by_type_and_seat_kind_on_the_channel() {
        let adult = TicketTypeId::from_u128(1);
        let child = TicketTypeId::from_u128(2);
        let types = [
            ticket_type(1, "Adult", 700, &Channel::ALL),
            ticket_type(2, "Child", 700, &[Channel::Counter]),
        ];
        let mut card = card(1, 0, true, CardRules::default());
        card.prices = vec![
            Price {
                ticket_type: adult,
                seat_kind: None,
                amount: 1_250,
            },
            Price {
                ticket_type: adult,
                seat_kind: Some(SeatKind::Premium),
                amount: 1_500,
            },
            Price {
                ticket_type: child,
                seat_kind: Some(SeatKind::Standard),
                amount: 800,
            },
        ];
        let lines = price_places(
            &card,
            &types,
            Channel::Counter,
            &[
                (Some(SeatKind::Premium), None),
                (Some(SeatKind::Standard), Some(child)),
                (None, Some(child)),
            ],
        )
        .unwrap();
        assert_eq!(
            lines.iter().map(|line| line.price).collect::<Vec<_>>(),
            [1_500, 800, 800]
        );
        assert_eq!(lines[0].tax, tax_included(1_500, 700));
        assert_eq!(lines[0].tax_rate, 700);
        assert_eq!(
            price_places(&card, &types, Channel::Kiosk, &[(None, Some(child))]),
            Err(PricingRefusal::NotOnChannel {
                name: "Child".into(),
                channel: Channel::Kiosk
            })
        );
        assert!(matches!(
            price_places(
                &card,
                &types,
                Channel::Counter,
                &[(Some(SeatKind::Wheelchair), Some(child))]
            ),
            Err(PricingRefusal::NotPriced { .. })
        ));
        let stranger = TicketTypeId::from_u128(99);
        assert_eq!(
            price_places(&card, &types, Channel::Api, &[(None, Some(stranger))]),
            Err(PricingRefusal::UnknownType(stranger))
        );
    }

    #[test]
    fn channels_and_weekdays_round_trip_through_their_bits() {
        let set: Channels = [Channel::Kiosk, Channel::Api].into_iter().collect();
        assert_eq!(Channels::from_bits(set.bits()), Some(set));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Channel::Kiosk, Channel::Api]
        );
        assert_eq!(Channels::from_bits(8), None);
        let days = Weekdays::parse(["sat", "mon"]).unwrap();
        assert_eq!(days.names(), ["mon", "sat"]);
        assert_eq!(Weekdays::parse(["someday"]), None);
        assert_eq!(Weekdays::parse([]), None);
        assert_eq!(TimeWindow::parse_time("22:05"), Some(22 * 60 + 5));
        assert_eq!(TimeWindow::parse_time("24:00"), None);
        assert_eq!(TimeWindow::parse_time("9:00"), None);
        assert_eq!(TimeWindow::new(60, 60), None);
    }
}
