//! Keyed writes: a key's answer is stored in the same transaction as the
//! change it answers, so a retry after a crash, a timeout or a lost answer
//! gets that answer again and never writes twice.

use redb::{ReadableMultimapTable, ReadableTable};

use super::Batch;
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

    /// Stores `answer` for `key`, replacing one past its time.
    pub fn remember(
        &mut self,
        key: &[u8],
        fingerprint: [u8; 32],
        answer: Replay,
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
        }
        self.tables.answer_times.insert(self.now, key)?;
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
        }
        Ok((doomed.len(), more))
    }
}
