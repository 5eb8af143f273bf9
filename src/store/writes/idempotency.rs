//! Keyed writes: a key's answer is stored in the same transaction as the
//! change it answers, so a retry after a crash, a timeout or a lost answer
//! gets that answer again and never writes twice.

use redb::{ReadableMultimapTable, ReadableTable};

use super::Batch;
use crate::domain::limits::ClientId;
use crate::domain::{Millis, Refusal};
use crate::store::codec::{decode_answer, encode_answer, AnswerRecord};
use crate::store::error::StoreError;
use crate::usecases::Replay;

impl Batch<'_, '_> {
    /// The answer stored for `key` within its time: `Ok(Some)` to send again,
    /// `Ok(None)` when the key is new (or its answer expired), a refusal when
    /// it was used for a different request.
    pub fn stored_answer(
        &self,
        key: &[u8],
        fingerprint: &[u8; 32],
    ) -> Result<Result<Option<Replay>, Refusal>, StoreError> {
        let Some(bytes) = self.tables.answers.get(key)? else {
            return Ok(Ok(None));
        };
        let stored = decode_answer(key, bytes.value())?;
        if self.is_past_its_time(&stored) {
            return Ok(Ok(None));
        }
        if &stored.fingerprint != fingerprint {
            return Ok(Err(Refusal::IdempotencyMismatch));
        }
        Ok(Ok(Some(Replay {
            status: stored.status,
            body: stored.body,
        })))
    }

    /// Stores `answer` for `key`, replacing one past its time; a limited
    /// `client`'s answers are counted against its cap.
    pub fn remember(
        &mut self,
        key: &[u8],
        fingerprint: [u8; 32],
        answer: Replay,
        client: Option<ClientId>,
    ) -> Result<(), StoreError> {
        let record = AnswerRecord {
            fingerprint,
            status: answer.status,
            body: answer.body,
            stored_at: self.now,
        };
        let replaced = self
            .tables
            .answers
            .insert(key, encode_answer(key, &record).as_slice())?
            .map(|old| decode_answer(key, old.value()))
            .transpose()?;
        if let Some(old) = replaced {
            self.tables.answer_times.remove(old.stored_at, key)?;
            self.forget_client_answer(key, old.stored_at)?;
        }
        self.tables.answer_times.insert(self.now, key)?;
        if let Some(client) = client {
            let entry = client_answer(client, self.now, key);
            self.tables.client_answers.insert(entry.as_slice(), ())?;
            self.tables
                .answer_clients
                .insert(key, client.as_bytes().as_slice())?;
        }
        Ok(())
    }

    /// A refusal when `client` keeps as many live answers as it may: a new
    /// key of it is not run. It may retry once its oldest answer ends.
    pub fn answers_full(&self, client: ClientId) -> Result<Option<Refusal>, StoreError> {
        let cap = usize::try_from(self.rules.limits.idempotency_per_client).unwrap_or(usize::MAX);
        let ttl = self.rules.idempotency_ttl_ms;
        let live_from = client_answer(client, self.now.saturating_sub(ttl).saturating_add(1), b"");
        let mut oldest = None;
        let mut live = 0;
        for entry in self.tables.client_answers.range(live_from.as_slice()..)? {
            let entry = entry?;
            let bytes = entry.0.value();
            if !bytes.starts_with(client.as_bytes()) {
                break;
            }
            oldest = oldest.or_else(|| stored_at(bytes));
            live += 1;
            if live >= cap {
                let ends = oldest.unwrap_or(self.now).saturating_add(ttl);
                let seconds = u64::try_from(ends.saturating_sub(self.now).max(1))
                    .unwrap_or(1)
                    .div_ceil(1_000);
                return Ok(Some(Refusal::TooManyKeys {
                    retry_after_seconds: seconds.max(1),
                }));
            }
        }
        Ok(None)
    }

    /// Drops the count of a key's answer stored at `at`, if a limited client's.
    fn forget_client_answer(&mut self, key: &[u8], at: i64) -> Result<(), StoreError> {
        let client = self
            .tables
            .answer_clients
            .remove(key)?
            .and_then(|client| ClientId::from_bytes(client.value()));
        if let Some(client) = client {
            let entry = client_answer(client, at, key);
            self.tables.client_answers.remove(entry.as_slice())?;
        }
        Ok(())
    }

    fn is_past_its_time(&self, stored: &AnswerRecord) -> bool {
        self.now
            >= stored
                .stored_at
                .saturating_add(self.rules.idempotency_ttl_ms)
    }

    /// Deletes up to `budget` answers past their time, oldest first; whether
    /// more may be waiting.
    pub(super) fn purge_answers(
        &mut self,
        budget: usize,
        at: Millis,
    ) -> Result<(usize, bool), StoreError> {
        let cutoff = at.saturating_sub(self.rules.idempotency_ttl_ms);
        let mut doomed: Vec<(i64, Vec<u8>)> = Vec::new();
        'times: for entry in self.tables.answer_times.range(..=cutoff)? {
            let (at, keys) = entry?;
            for key in keys {
                if doomed.len() == budget {
                    break 'times;
                }
                doomed.push((at.value(), key?.value().to_vec()));
            }
        }
        let more = doomed.len() == budget;
        for (at, key) in &doomed {
            self.tables.answer_times.remove(*at, key.as_slice())?;
            self.tables.answers.remove(key.as_slice())?;
            self.forget_client_answer(key, *at)?;
        }
        Ok((doomed.len(), more))
    }
}

/// A limited client's answer in its count: client, the instant (biased so
/// that it sorts as a signed number), and the scoped key.
fn client_answer(client: ClientId, at: i64, key: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(ClientId::LEN + 8 + key.len());
    entry.extend_from_slice(client.as_bytes());
    entry.extend_from_slice(&(at.cast_unsigned() ^ (1 << 63)).to_be_bytes());
    entry.extend_from_slice(key);
    entry
}

/// The instant of a client's answer entry.
fn stored_at(entry: &[u8]) -> Option<i64> {
    let bytes = entry.get(ClientId::LEN..ClientId::LEN + 8)?;
    let biased = u64::from_be_bytes(bytes.try_into().ok()?);
    Some((biased ^ (1 << 63)).cast_signed())
}
