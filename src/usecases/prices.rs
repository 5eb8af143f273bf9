//! The use cases of prices: ticket types, price cards, and what a show's
//! seats cost. Writes answer once durable; a refusal changes nothing.

use super::{Error, Once, Page, PageRequest, Written};
use crate::domain::prices::{CardChoice, CardRules, Channels, Price, PriceCard, TicketType};
use crate::domain::staff::Actor;
use crate::domain::{PriceCardId, ShowId, TicketTypeId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicketType {
    pub name: String,
    pub tax_rate: u16,
    pub channels: Channels,
    pub proof: Option<String>,
}

/// What a PATCH of a ticket type changes; `None` keeps it (`Some(None)`
/// clears the proof).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketTypePatch {
    pub name: Option<String>,
    pub tax_rate: Option<u16>,
    pub channels: Option<Channels>,
    pub proof: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPriceCard {
    pub name: String,
    pub priority: i32,
    pub default: bool,
    pub rules: CardRules,
    pub prices: Vec<Price>,
}

/// What a PATCH of a price card changes; `None` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceCardPatch {
    pub name: Option<String>,
    pub priority: Option<i32>,
    pub default: Option<bool>,
    pub rules: Option<CardRules>,
    pub prices: Option<Vec<Price>>,
}

/// What a show's seats cost: its card, why it has it, and the ticket types
/// the card prices (in the card's order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowPrices {
    pub show: ShowId,
    /// `None`: no card takes the show; nothing can be sold.
    pub card: Option<(PriceCard, CardChoice)>,
    pub types: Vec<TicketType>,
}

#[async_trait::async_trait]
pub trait Prices: Send + Sync + 'static {
    async fn create_ticket_type(
        &self,
        ticket_type: NewTicketType,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error>;
    async fn ticket_type(&self, id: TicketTypeId) -> Result<Option<TicketType>, Error>;
    /// Every ticket type, oldest first.
    async fn ticket_types(&self, page: PageRequest) -> Result<Page<TicketType>, Error>;
    async fn update_ticket_type(
        &self,
        id: TicketTypeId,
        patch: TicketTypePatch,
        actor: &Actor,
        once: Once<TicketType>,
    ) -> Result<Written<TicketType>, Error>;
    /// Refused while a card prices it (`in-use`).
    async fn delete_ticket_type(
        &self,
        id: TicketTypeId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    /// A card marked `default` takes the mark from any other.
    async fn create_price_card(
        &self,
        card: NewPriceCard,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error>;
    async fn price_card(&self, id: PriceCardId) -> Result<Option<PriceCard>, Error>;
    /// Every price card, oldest first.
    async fn price_cards(&self, page: PageRequest) -> Result<Page<PriceCard>, Error>;
    async fn update_price_card(
        &self,
        id: PriceCardId,
        patch: PriceCardPatch,
        actor: &Actor,
        once: Once<PriceCard>,
    ) -> Result<Written<PriceCard>, Error>;
    async fn delete_price_card(
        &self,
        id: PriceCardId,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    /// What a show's seats cost; `None`: no such show.
    async fn show_prices(&self, show: ShowId) -> Result<Option<ShowPrices>, Error>;
}

/// The changes each use case makes to the book, the same on every backend;
/// `id` is the one the backend minted for a new record.
pub mod changes {
    use super::{NewPriceCard, NewTicketType, PriceCardPatch, TicketTypePatch};
    use crate::domain::price_book::PriceBook;
    use crate::domain::prices::{PriceCard, TicketType};
    use crate::domain::{PriceCardId, Refusal, TicketTypeId};

    pub fn create_type(
        book: &mut PriceBook,
        id: TicketTypeId,
        new: NewTicketType,
    ) -> Result<TicketType, Refusal> {
        book.add_type(TicketType {
            id,
            name: new.name,
            tax_rate: new.tax_rate,
            channels: new.channels,
            proof: new.proof,
        })
    }

    pub fn update_type(
        book: &mut PriceBook,
        id: TicketTypeId,
        patch: TicketTypePatch,
    ) -> Result<TicketType, Refusal> {
        book.change_type(id, |ticket_type| {
            if let Some(name) = patch.name {
                ticket_type.name = name;
            }
            if let Some(rate) = patch.tax_rate {
                ticket_type.tax_rate = rate;
            }
            if let Some(channels) = patch.channels {
                ticket_type.channels = channels;
            }
            if let Some(proof) = patch.proof {
                ticket_type.proof = proof;
            }
        })
    }

    pub fn create_card(
        book: &mut PriceBook,
        id: PriceCardId,
        new: NewPriceCard,
    ) -> Result<PriceCard, Refusal> {
        book.add_card(PriceCard {
            id,
            name: new.name,
            priority: new.priority,
            default: new.default,
            rules: new.rules,
            prices: new.prices,
        })
    }

    pub fn update_card(
        book: &mut PriceBook,
        id: PriceCardId,
        patch: PriceCardPatch,
    ) -> Result<PriceCard, Refusal> {
        book.change_card(id, |card| {
            if let Some(name) = patch.name {
                card.name = name;
            }
            if let Some(priority) = patch.priority {
                card.priority = priority;
            }
            if let Some(default) = patch.default {
                card.default = default;
            }
            if let Some(rules) = patch.rules {
                card.rules = rules;
            }
            if let Some(prices) = patch.prices {
                card.prices = prices;
            }
        })
    }
}

/// One page of a list kept in id order.
pub fn page_of<T: Clone>(items: &[T], id: impl Fn(&T) -> u128, page: PageRequest) -> Page<T> {
    let after = page.after.map(|cursor| cursor.id);
    let mut rest = items
        .iter()
        .filter(|item| after.is_none_or(|after| id(item) > after));
    let taken: Vec<T> = rest.by_ref().take(page.limit).cloned().collect();
    let next = match (rest.next(), taken.last()) {
        (Some(_), Some(last)) => Some(super::Cursor {
            at: 0,
            id: id(last),
        }),
        _ => None,
    };
    Page { items: taken, next }
}

/// What a show's seats cost, from the book as it is: by the card the show
/// names, else the one its rules or the default give.
pub fn show_prices(
    book: &crate::domain::price_book::PriceBook,
    show: &crate::domain::Show,
    zone: chrono_tz::Tz,
) -> ShowPrices {
    let facts = crate::domain::prices::ShowFacts::new(show.starts_at, zone, show.film, show.screen);
    let card = book
        .card_for(show.price_card, &facts)
        .map(|(card, choice)| (card.clone(), choice));
    let types = card
        .as_ref()
        .map(|(card, _)| book.types_of(card))
        .unwrap_or_default();
    ShowPrices {
        show: show.id,
        card,
        types,
    }
}

/// What a sale asks to be priced: where, what and how.
pub struct Sale<'a> {
    pub show: &'a crate::domain::Show,
    pub map: Option<&'a crate::domain::seating::SeatMap>,
    pub seats: &'a [crate::domain::seating::SeatIndex],
    pub count: u32,
    pub channel: crate::domain::prices::Channel,
    pub choice: &'a crate::domain::prices::TicketChoice,
}

/// The lines of a sale, priced by its show's card in `book`.
pub fn price(
    book: &crate::domain::price_book::PriceBook,
    sale: &Sale<'_>,
    zone: chrono_tz::Tz,
) -> Result<Vec<crate::domain::prices::Line>, crate::domain::Refusal> {
    use crate::domain::prices::{price_sale, PricingRefusal, ShowFacts};
    let show = sale.show;
    let facts = ShowFacts::new(show.starts_at, zone, show.film, show.screen);
    let (card, _) = book
        .card_for(show.price_card, &facts)
        .ok_or(PricingRefusal::NoCard)?;
    Ok(price_sale(
        card,
        &book.types,
        sale.channel,
        sale.map,
        sale.seats,
        sale.count,
        sale.choice,
    )?)
}

/// A moved sale's lines: each keeps its price and type, on the seats it
/// now has in order; places it did not have are priced by `fresh` (which
/// prices every place of the moved sale), places it lost are dropped.
pub fn moved_lines<E>(
    old: &[crate::domain::prices::Line],
    seats: &[crate::domain::seating::SeatIndex],
    count: u32,
    fresh: impl FnOnce() -> Result<Vec<crate::domain::prices::Line>, E>,
) -> Result<Vec<crate::domain::prices::Line>, E> {
    use crate::domain::prices::Line;
    let places: Vec<_> = if seats.is_empty() {
        (0..count).map(|_| None).collect()
    } else {
        seats.iter().copied().map(Some).collect()
    };
    let kept = old.len().min(places.len());
    let mut lines: Vec<Line> = old[..kept]
        .iter()
        .zip(&places)
        .map(|(line, seat)| Line {
            seat: *seat,
            ..*line
        })
        .collect();
    if places.len() > kept {
        lines.extend(fresh()?.into_iter().skip(kept));
    }
    Ok(lines)
}

/// A confirmed hold's lines: as held, unless other types are chosen now
/// (`priced`: the hold's places priced as chosen, by the card as it is
/// now); a place whose type stays keeps its held price. A hold made before
/// prices (no lines) is priced now.
pub fn confirmed_lines<E>(
    held: &[crate::domain::prices::Line],
    choice: &crate::domain::prices::TicketChoice,
    priced: impl FnOnce() -> Result<Vec<crate::domain::prices::Line>, E>,
) -> Result<Vec<crate::domain::prices::Line>, E> {
    if *choice == crate::domain::prices::TicketChoice::Any && !held.is_empty() {
        return Ok(held.to_vec());
    }
    Ok(priced()?
        .into_iter()
        .enumerate()
        .map(|(at, line)| match held.get(at) {
            Some(kept) if kept.ticket_type == line.ticket_type => *kept,
            _ => line,
        })
        .collect())
}
