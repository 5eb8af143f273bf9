//! Ticket types and price cards: each change reads the price book, changes
//! it as every backend does (`usecases::prices::changes`), and writes it
//! back. Sales read it to price their lines.

use redb::ReadableTable;

use super::{Batch, Failure, Outcome, Tables};
use crate::domain::price_book::PriceBook;
use crate::domain::prices::Line;
use crate::domain::{Refusal, Rules};
use crate::store::codec::{decode_price_book, encode_price_book, PRICE_BOOK_KEY};
use crate::store::error::StoreError;
use crate::usecases::prices::{price, Sale};

impl Tables<'_> {
    /// The price book as this batch left it so far.
    pub(super) fn price_book(&self) -> Result<PriceBook, StoreError> {
        let bytes = self
            .price_book
            .get(PRICE_BOOK_KEY)?
            .ok_or_else(|| StoreError::Corrupt("the price book is missing".into()))?;
        Ok(decode_price_book(bytes.value())?)
    }

    /// The lines of a sale, priced by its show's card as the book is now.
    pub(super) fn price(&self, sale: &Sale<'_>, rules: Rules) -> Result<Vec<Line>, Failure> {
        let book = self.price_book()?;
        Ok(price(&book, sale, rules.zone)?)
    }
}

impl Batch<'_, '_> {
    /// Runs `change` on the book with a freshly minted id; stores the book
    /// only when it agreed.
    pub fn change_prices<T>(
        &mut self,
        change: impl FnOnce(&mut PriceBook, u128) -> Result<T, Refusal>,
    ) -> Outcome<T> {
        let mut book = self.tables.price_book()?;
        let id = self.ids.next(self.now)?;
        match change(&mut book, id) {
            Ok(done) => {
                self.tables
                    .price_book
                    .insert(PRICE_BOOK_KEY, encode_price_book(&book).as_slice())?;
                Ok(Ok(done))
            }
            Err(refusal) => Ok(Err(refusal)),
        }
    }
}
