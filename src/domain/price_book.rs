//! Every ticket type and price card of a venue, kept as one record: a few
//! dozen entries a cinema changes by hand now and then, read whole to price
//! a sale. Each change is a function of the book as it was, so the backends
//! store the same book and give the same answers.

use super::ids::{PriceCardId, TicketTypeId};
use super::prices::{
    rate_giving, CardChoice, CardRules, Channels, Line, Price, PriceCard, PricingRefusal,
    ShowFacts, TicketType,
};
use super::refusal::{InUse, Refusal};

/// Most ticket types and cards a venue keeps.
pub const MAX_TICKET_TYPES: usize = 100;
pub const MAX_PRICE_CARDS: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceBook {
    /// In id order (creation order).
    pub types: Vec<TicketType>,
    /// In id order (creation order).
    pub cards: Vec<PriceCard>,
}

impl PriceBook {
    /// What every new database starts with: `Admission`, untaxed and sold
    /// everywhere, on the `default` card at 0 for any seat.
    pub fn starting(admission: TicketTypeId, card: PriceCardId) -> Self {
        Self {
            types: vec![TicketType {
                id: admission,
                name: TicketType::ADMISSION.into(),
                tax_rate: 0,
                channels: Channels::ALL,
                proof: None,
            }],
            cards: vec![PriceCard {
                id: card,
                name: PriceCard::DEFAULT_NAME.into(),
                priority: 0,
                default: true,
                rules: CardRules::default(),
                prices: vec![Price {
                    ticket_type: admission,
                    seat_kind: None,
                    amount: 0,
                }],
            }],
        }
    }

    pub fn ticket_type(&self, id: TicketTypeId) -> Option<&TicketType> {
        self.types.iter().find(|ticket_type| ticket_type.id == id)
    }

    pub fn card(&self, id: PriceCardId) -> Option<&PriceCard> {
        self.cards.iter().find(|card| card.id == id)
    }

    /// The card a show is priced by, and why (see [`super::prices::card_for`]).
    pub fn card_for(
        &self,
        named: Option<PriceCardId>,
        show: &ShowFacts,
    ) -> Option<(&PriceCard, CardChoice)> {
        super::prices::card_for(named, &self.cards, show)
    }

    /// Gives lines stored without a tax rate the rate they were sold at:
    /// their type's rate when it gives their tax, else the lowest rate that
    /// does (see [`rate_giving`]).
    pub fn rate_lines(&self, lines: &mut [Line]) {
        for line in lines {
            let preferred = self
                .ticket_type(line.ticket_type)
                .map(|ticket_type| ticket_type.tax_rate);
            line.tax_rate = rate_giving(line.price, line.tax, preferred);
        }
    }

    /// The ticket types a card prices, in its order.
    pub fn types_of(&self, card: &PriceCard) -> Vec<TicketType> {
        card.ticket_types()
            .into_iter()
            .filter_map(|id| self.ticket_type(id).cloned())
            .collect()
    }

    pub fn add_type(&mut self, ticket_type: TicketType) -> Result<TicketType, Refusal> {
        if self.types.len() >= MAX_TICKET_TYPES {
            return Err(Refusal::TooManyPriceRecords {
                what: "ticket types",
                max: MAX_TICKET_TYPES,
            });
        }
        insert_sorted(&mut self.types, ticket_type.clone(), |t| t.id);
        Ok(ticket_type)
    }

    /// Changes a type with `change`; sales already made keep their prices
    /// and tax.
    pub fn change_type(
        &mut self,
        id: TicketTypeId,
        change: impl FnOnce(&mut TicketType),
    ) -> Result<TicketType, Refusal> {
        let ticket_type = self
            .types
            .iter_mut()
            .find(|ticket_type| ticket_type.id == id)
            .ok_or(Refusal::TicketTypeNotFound)?;
        change(ticket_type);
        Ok(ticket_type.clone())
    }

    /// Removes a type no card prices.
    pub fn remove_type(&mut self, id: TicketTypeId) -> Result<(), Refusal> {
        let at = self
            .types
            .iter()
            .position(|ticket_type| ticket_type.id == id)
            .ok_or(Refusal::TicketTypeNotFound)?;
        if self
            .cards
            .iter()
            .any(|card| card.prices.iter().any(|price| price.ticket_type == id))
        {
            return Err(Refusal::InUse(InUse::TicketTypeOnCard));
        }
        self.types.remove(at);
        Ok(())
    }

    /// Every price must name a type the book has.
    fn check_prices(&self, prices: &[Price]) -> Result<(), Refusal> {
        match prices
            .iter()
            .find(|price| self.ticket_type(price.ticket_type).is_none())
        {
            Some(price) => Err(PricingRefusal::UnknownType(price.ticket_type).into()),
            None => Ok(()),
        }
    }

    /// Only one card is the default: marking one takes the mark from the others.
    fn mark_default(&mut self, id: PriceCardId) {
        for card in &mut self.cards {
            card.default = card.id == id;
        }
    }

    pub fn add_card(&mut self, card: PriceCard) -> Result<PriceCard, Refusal> {
        if self.cards.len() >= MAX_PRICE_CARDS {
            return Err(Refusal::TooManyPriceRecords {
                what: "price cards",
                max: MAX_PRICE_CARDS,
            });
        }
        self.check_prices(&card.prices)?;
        let (id, default) = (card.id, card.default);
        insert_sorted(&mut self.cards, card.clone(), |c| c.id);
        if default {
            self.mark_default(id);
        }
        Ok(card)
    }

    pub fn change_card(
        &mut self,
        id: PriceCardId,
        change: impl FnOnce(&mut PriceCard),
    ) -> Result<PriceCard, Refusal> {
        let mut card = self.card(id).cloned().ok_or(Refusal::PriceCardNotFound)?;
        change(&mut card);
        self.check_prices(&card.prices)?;
        let default = card.default;
        if let Some(stored) = self.cards.iter_mut().find(|stored| stored.id == id) {
            *stored = card.clone();
        }
        if default {
            self.mark_default(id);
        }
        Ok(card)
    }

    /// Removes a card; shows that named it take a card by the rules again.
    pub fn remove_card(&mut self, id: PriceCardId) -> Result<(), Refusal> {
        let at = self
            .cards
            .iter()
            .position(|card| card.id == id)
            .ok_or(Refusal::PriceCardNotFound)?;
        self.cards.remove(at);
        Ok(())
    }
}

fn insert_sorted<T, K: Ord>(items: &mut Vec<T>, item: T, key: impl Fn(&T) -> K) {
    let at = items.partition_point(|existing| key(existing) < key(&item));
    items.insert(at, item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::prices::Channel;

    fn book() -> PriceBook {
        PriceBook::starting(TicketTypeId::from_u128(10), PriceCardId::from_u128(20))
    }

    #[test]
    fn a_type_on_a_card_stays_until_no_card_prices_it() {
        let mut book = book();
        assert_eq!(
            book.remove_type(TicketTypeId::from_u128(10)),
            Err(Refusal::InUse(InUse::TicketTypeOnCard))
        );
        book.remove_card(PriceCardId::from_u128(20)).unwrap();
        book.remove_type(TicketTypeId::from_u128(10)).unwrap();
        assert_eq!(book, PriceBook::default());
    }

    #[test]
    fn one_card_is_the_default_at_most() {
        let mut book = book();
        let card = PriceCard {
            id: PriceCardId::from_u128(30),
            name: "weekdays".into(),
            priority: 1,
            default: true,
            rules: CardRules::default(),
            prices: Vec::new(),
        };
        book.add_card(card).unwrap();
        let defaults: Vec<_> = book
            .cards
            .iter()
            .filter(|card| card.default)
            .map(|card| card.id)
            .collect();
        assert_eq!(defaults, [PriceCardId::from_u128(30)]);
    }

    #[test]
    fn a_card_prices_only_types_the_book_has() {
        let mut book = book();
        let stranger = TicketTypeId::from_u128(99);
        let refused = book.change_card(PriceCardId::from_u128(20), |card| {
            card.prices.push(Price {
                ticket_type: stranger,
                seat_kind: None,
                amount: 100,
            });
        });
        assert_eq!(refused, Err(PricingRefusal::UnknownType(stranger).into()));
        assert_eq!(book, self::book());
        let changed = book
            .change_type(TicketTypeId::from_u128(10), |ticket_type| {
                ticket_type.channels = [Channel::Counter].into_iter().collect();
            })
            .unwrap();
        assert!(!changed.channels.contains(Channel::Api));
    }
}
