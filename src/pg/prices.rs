//! The price book on PostgreSQL: one row of `settings`, locked by a change
//! so that changes of the book follow one another.

use super::error::PgError;
use super::records::Db;
use super::writes::Outcome;
use crate::domain::price_book::PriceBook;
use crate::domain::{Refusal, ShowId};
use crate::store::codec::{decode_price_book, encode_price_book};
use crate::usecases::prices::{show_prices, ShowPrices};

/// The `settings` row the book is kept in.
pub const PRICE_BOOK_SETTING: &str = "price_book";

impl Db<'_> {
    /// The book; locked until the transaction ends when `lock`.
    pub async fn price_book(&self, lock: bool) -> Result<PriceBook, PgError> {
        let sql = if lock {
            "SELECT value FROM settings WHERE name = 'price_book' FOR UPDATE"
        } else {
            "SELECT value FROM settings WHERE name = 'price_book'"
        };
        let row = self
            .row(sql, &[])
            .await?
            .ok_or_else(|| PgError::Corrupt("the price book is missing".into()))?;
        Ok(decode_price_book(row.try_get(0)?)?)
    }

    /// Runs `change` on the book with a freshly minted id; stores the book
    /// only when it agreed.
    pub async fn change_prices<T>(
        &self,
        change: impl FnOnce(&mut PriceBook, u128) -> Result<T, Refusal>,
    ) -> Outcome<T> {
        let mut book = self.price_book(true).await?;
        let id = self.mint().await?;
        match change(&mut book, id) {
            Ok(done) => {
                self.exec(
                    "UPDATE settings SET value = $1 WHERE name = 'price_book'",
                    &[&encode_price_book(&book)],
                )
                .await?;
                Ok(Ok(done))
            }
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    pub async fn show_prices(&self, id: ShowId) -> Result<Option<ShowPrices>, PgError> {
        let Some(show) = self.show(id, false).await? else {
            return Ok(None);
        };
        let book = self.price_book(false).await?;
        Ok(Some(show_prices(&book, &show, self.rules.zone)))
    }
}
