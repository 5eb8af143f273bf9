//! The price book and what a show's seats cost.

use super::read_show;
use crate::domain::price_book::PriceBook;
use crate::domain::ShowId;
use crate::store::codec::{decode_price_book, PRICE_BOOK_KEY};
use crate::store::error::StoreError;
use crate::store::tables::{PRICE_BOOK, SHOW_ID_TO_SHOW};
use crate::store::Store;
use crate::usecases::prices::{show_prices, ShowPrices};

impl Store {
    pub fn price_book(&self) -> Result<PriceBook, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(PRICE_BOOK)?;
        let bytes = table
            .get(PRICE_BOOK_KEY)?
            .ok_or_else(|| StoreError::Corrupt("the price book is missing".into()))?;
        Ok(decode_price_book(bytes.value())?)
    }

    /// What a show's seats cost, book and show read from one snapshot.
    pub fn show_prices(&self, id: ShowId) -> Result<Option<ShowPrices>, StoreError> {
        let txn = self.begin_read()?;
        let Some(show) = read_show(&txn.open_table(SHOW_ID_TO_SHOW)?, id)? else {
            return Ok(None);
        };
        let table = txn.open_table(PRICE_BOOK)?;
        let bytes = table
            .get(PRICE_BOOK_KEY)?
            .ok_or_else(|| StoreError::Corrupt("the price book is missing".into()))?;
        let book = decode_price_book(bytes.value())?;
        Ok(Some(show_prices(&book, &show, self.rules().zone)))
    }
}
