//! Ticket types and price cards: each change reads the price book, changes
//! it as every backend does (`usecases::prices::changes`), and writes it back.

use super::{Batch, Outcome};
use crate::domain::price_book::PriceBook;
use crate::domain::Refusal;
use crate::store::codec::{decode_price_book, encode_price_book, PRICE_BOOK_KEY};
use crate::store::error::StoreError;

impl Batch<'_, '_> {
    /// The price book as this batch left it so far.
    pub(super) fn price_book(&self) -> Result<PriceBook, StoreError> {
        let bytes = self
            .tables
            .price_book
            .get(PRICE_BOOK_KEY)?
            .ok_or_else(|| StoreError::Corrupt("the price book is missing".into()))?;
        Ok(decode_price_book(bytes.value())?)
    }

    /// Runs `change` on the book with a freshly minted id; stores the book
    /// only when it agreed.
    pub fn change_prices<T>(
        &mut self,
        change: impl FnOnce(&mut PriceBook, u128) -> Result<T, Refusal>,
    ) -> Outcome<T> {
        let mut book = self.price_book()?;
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
