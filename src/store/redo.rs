//! What a batch wrote, as the journal keeps it: every insert and removal the
//! write path makes, recorded as it is made ([`Logged`]), and applied again
//! to a database on replay ([`apply`]). Each entry carries whole values, so
//! applying entries already applied changes nothing.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::ops::Deref;

use redb::{
    AccessGuard, Key, MultimapTable, MultimapTableDefinition, MultimapValue, StorageError, Table,
    TableDefinition, Value, WriteTransaction,
};

use super::error::StoreError;
use super::tables;

/// The tables the write path writes, by the number the journal names them by.
/// A number is never reused for another table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    Screens = 1,
    Films = 2,
    Shows = 3,
    ScreenStarts = 4,
    Starts = 5,
    FilmShows = 6,
    Tickets = 7,
    ShowTickets = 8,
    Holds = 9,
    ShowHolds = 10,
    HoldExpiries = 11,
    Answers = 12,
    AnswerTimes = 13,
    IdHighWater = 14,
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Self> {
        [
            Tag::Screens,
            Tag::Films,
            Tag::Shows,
            Tag::ScreenStarts,
            Tag::Starts,
            Tag::FilmShows,
            Tag::Tickets,
            Tag::ShowTickets,
            Tag::Holds,
            Tag::ShowHolds,
            Tag::HoldExpiries,
            Tag::Answers,
            Tag::AnswerTimes,
            Tag::IdHighWater,
        ]
        .into_iter()
        .find(|tag| *tag as u8 == byte)
    }
}

const INSERT: u8 = 1;
const REMOVE: u8 = 2;
const REMOVE_ALL: u8 = 3;

/// The entries of one batch, in the order they were made.
#[derive(Default)]
pub struct Redo(RefCell<Vec<u8>>);

impl Redo {
    fn record(&self, op: u8, tag: Tag, key: &[u8], value: Option<&[u8]>) {
        let mut out = self.0.borrow_mut();
        out.push(op);
        out.push(tag as u8);
        push_bytes(&mut out, key);
        if let Some(value) = value {
            push_bytes(&mut out, value);
        }
    }

    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a key or value under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

/// A table of the write path whose every change is recorded in the batch's
/// [`Redo`]; it reads as the table itself.
pub struct Logged<'r, T> {
    table: T,
    tag: Tag,
    redo: &'r Redo,
}

impl<'r, T> Logged<'r, T> {
    pub fn new(table: T, tag: Tag, redo: &'r Redo) -> Self {
        Self { table, tag, redo }
    }
}

impl<T> Logged<'_, T> {
    /// Records one change: `op` of `key` (and `value`, where it has one).
    fn note<K: Value + 'static, V: Value + 'static>(
        &self,
        op: u8,
        key: &K::SelfType<'_>,
        value: Option<&V::SelfType<'_>>,
    ) {
        let value = value.map(|value| V::as_bytes(value));
        self.redo.record(
            op,
            self.tag,
            K::as_bytes(key).as_ref(),
            value.as_ref().map(AsRef::as_ref),
        );
    }
}

impl<T> Deref for Logged<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.table
    }
}

impl<K: Key + 'static, V: Value + 'static> Logged<'_, Table<'_, K, V>> {
    pub fn insert<'k, 'v>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
        value: impl Borrow<V::SelfType<'v>>,
    ) -> Result<Option<AccessGuard<'_, V>>, StorageError> {
        self.note::<K, V>(INSERT, key.borrow(), Some(value.borrow()));
        self.table.insert(key, value)
    }

    pub fn remove<'k>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<AccessGuard<'_, V>>, StorageError> {
        self.note::<K, V>(REMOVE, key.borrow(), None);
        self.table.remove(key)
    }
}

impl<K: Key + 'static, V: Key + 'static> Logged<'_, MultimapTable<'_, K, V>> {
    pub fn insert<'k, 'v>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
        value: impl Borrow<V::SelfType<'v>>,
    ) -> Result<bool, StorageError> {
        self.note::<K, V>(INSERT, key.borrow(), Some(value.borrow()));
        self.table.insert(key, value)
    }

    pub fn remove<'k, 'v>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
        value: impl Borrow<V::SelfType<'v>>,
    ) -> Result<bool, StorageError> {
        self.note::<K, V>(REMOVE, key.borrow(), Some(value.borrow()));
        self.table.remove(key, value)
    }

    pub fn remove_all<'k>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<MultimapValue<'_, V>, StorageError> {
        self.note::<K, V>(REMOVE_ALL, key.borrow(), None);
        self.table.remove_all(key)
    }
}

/// Applies one batch's entries, as [`Redo`] recorded them, inside `txn`.
pub fn apply(txn: &WriteTransaction, mut entries: &[u8]) -> Result<(), StoreError> {
    let bad = || StoreError::Corrupt("the journal holds an entry that cannot be read".into());
    while let [op, tag, rest @ ..] = entries {
        let tag = Tag::from_byte(*tag).ok_or_else(bad)?;
        let (key, rest) = take_bytes(rest).ok_or_else(bad)?;
        if !matches!(*op, INSERT | REMOVE | REMOVE_ALL) {
            return Err(bad());
        }
        let (value, rest) = if *op == INSERT || (*op == REMOVE && is_multimap(tag)) {
            let (value, rest) = take_bytes(rest).ok_or_else(bad)?;
            (Some(value), rest)
        } else {
            (None, rest)
        };
        entries = rest;
        let change = Change {
            op: *op,
            key,
            value,
        };
        match tag {
            Tag::Screens => change.on_table(txn, tables::SCREEN_ID_TO_SCREEN),
            Tag::Films => change.on_table(txn, tables::FILM_ID_TO_FILM),
            Tag::Shows => change.on_table(txn, tables::SHOW_ID_TO_SHOW),
            Tag::ScreenStarts => change.on_table(txn, tables::SCREEN_START_TO_SHOW_ID),
            Tag::Starts => change.on_multimap(txn, tables::SHOW_START_TO_SHOW_IDS),
            Tag::FilmShows => change.on_multimap(txn, tables::FILM_ID_TO_SHOW_IDS),
            Tag::Tickets => change.on_table(txn, tables::TICKET_ID_TO_TICKET),
            Tag::ShowTickets => change.on_multimap(txn, tables::SHOW_ID_TO_TICKET_IDS),
            Tag::Holds => change.on_table(txn, tables::HOLD_ID_TO_HOLD),
            Tag::ShowHolds => change.on_multimap(txn, tables::SHOW_ID_TO_HOLD_IDS),
            Tag::HoldExpiries => change.on_multimap(txn, tables::HOLD_EXPIRY_TO_HOLD_IDS),
            Tag::Answers => change.on_table(txn, tables::IDEMPOTENCY_KEY_TO_ANSWER),
            Tag::AnswerTimes => change.on_multimap(txn, tables::IDEMPOTENCY_TIME_TO_KEYS),
            Tag::IdHighWater => change.on_table(txn, tables::ID_HIGH_WATER),
        }?;
    }
    if entries.is_empty() {
        Ok(())
    } else {
        Err(bad())
    }
}

fn is_multimap(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Starts
            | Tag::FilmShows
            | Tag::ShowTickets
            | Tag::ShowHolds
            | Tag::HoldExpiries
            | Tag::AnswerTimes
    )
}

fn take_bytes(from: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = from.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

struct Change<'a> {
    op: u8,
    key: &'a [u8],
    value: Option<&'a [u8]>,
}

impl Change<'_> {
    fn on_table<K: Key + 'static, V: Value + 'static>(
        &self,
        txn: &WriteTransaction,
        definition: TableDefinition<K, V>,
    ) -> Result<(), StoreError> {
        let mut table = txn.open_table(definition)?;
        let key = K::from_bytes(self.key);
        match (self.op, self.value) {
            (INSERT, Some(value)) => drop(table.insert(key, V::from_bytes(value))?),
            _ => drop(table.remove(key)?),
        }
        Ok(())
    }

    fn on_multimap<K: Key + 'static, V: Key + 'static>(
        &self,
        txn: &WriteTransaction,
        definition: MultimapTableDefinition<K, V>,
    ) -> Result<(), StoreError> {
        let mut table = txn.open_multimap_table(definition)?;
        let key = K::from_bytes(self.key);
        match (self.op, self.value) {
            (INSERT, Some(value)) => drop(table.insert(key, V::from_bytes(value))?),
            (REMOVE, Some(value)) => drop(table.remove(key, V::from_bytes(value))?),
            _ => drop(table.remove_all(key)?),
        }
        Ok(())
    }
}
