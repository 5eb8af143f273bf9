//! Reads of staff accounts, keys, sessions and the audit trail.

use redb::{ReadableTableMetadata, TableDefinition};

use super::cinema::page;
use crate::domain::staff::{Account, ApiKey, AuditEntry, Login, Session, Throttle};
use crate::domain::Millis;
use crate::store::codec::{decode_account, decode_audit, decode_key, decode_session, DecodeError};
use crate::store::error::StoreError;
use crate::store::tables::{
    AUDIT_ID_TO_ENTRY, KEY_DIGEST_TO_KEY_ID, KEY_ID_TO_KEY, LOGIN_TO_STAFF_ID, LOGIN_TO_THROTTLE,
    SESSION_DIGEST_TO_SESSION, STAFF_ID_TO_ACCOUNT,
};
use crate::store::Store;
use crate::usecases::staff::{AuditFilter, SignInState};
use crate::usecases::{Cursor, Page, PageRequest};

/// How many audit entries one list reads at most to fill a filtered page:
/// a filter that matches little answers a shorter page and a cursor on.
const AUDIT_SCAN: usize = 10_000;

fn by_id(id: u128) -> Cursor {
    Cursor { at: 0, id }
}

impl Store {
    pub fn staff_configured(&self) -> Result<bool, StoreError> {
        let txn = self.begin_read()?;
        Ok(!txn.open_table(STAFF_ID_TO_ACCOUNT)?.is_empty()?
            || !txn.open_table(KEY_ID_TO_KEY)?.is_empty()?)
    }

    pub fn account(&self, login: &Login) -> Result<Option<Account>, StoreError> {
        let txn = self.begin_read()?;
        let Some(id) = txn.open_table(LOGIN_TO_STAFF_ID)?.get(login.as_str())? else {
            return Ok(None);
        };
        let id = id.value();
        match txn.open_table(STAFF_ID_TO_ACCOUNT)?.get(id)? {
            Some(bytes) => Ok(Some(decode_account(id, bytes.value())?)),
            None => Err(StoreError::Corrupt(format!(
                "login {login} names a missing account"
            ))),
        }
    }

    pub fn accounts(&self, request: PageRequest) -> Result<Page<Account>, StoreError> {
        self.page_by_id(STAFF_ID_TO_ACCOUNT, request, decode_account, |account| {
            account.id
        })
    }

    pub fn keys(&self, request: PageRequest) -> Result<Page<ApiKey>, StoreError> {
        self.page_by_id(KEY_ID_TO_KEY, request, decode_key, |key| key.id)
    }

    /// A page of the records of a table keyed by id, after the request's
    /// cursor, in id order.
    fn page_by_id<T>(
        &self,
        table: TableDefinition<u128, &[u8]>,
        request: PageRequest,
        decode: fn(u128, &[u8]) -> Result<T, DecodeError>,
        id_of: fn(&T) -> u128,
    ) -> Result<Page<T>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(table)?;
        let from = request
            .after
            .map_or(0, |cursor| cursor.id.saturating_add(1));
        let mut items = Vec::new();
        for entry in table.range(from..)? {
            if items.len() > request.limit {
                break;
            }
            let (id, bytes) = entry?;
            items.push(decode(id.value(), bytes.value())?);
        }
        Ok(page(items, request.limit, |item| by_id(id_of(item))))
    }

    pub fn key_by_digest(&self, digest: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        let txn = self.begin_read()?;
        let Some(id) = txn
            .open_table(KEY_DIGEST_TO_KEY_ID)?
            .get(digest.as_slice())?
        else {
            return Ok(None);
        };
        let id = id.value();
        let key = match txn.open_table(KEY_ID_TO_KEY)?.get(id)? {
            Some(bytes) => decode_key(id, bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(
                    "a key digest names a missing key".into(),
                ))
            }
        };
        Ok(key.revoked_at.is_none().then_some(key))
    }

    pub fn sign_in_state(&self, login: &Login, now: Millis) -> Result<SignInState, StoreError> {
        let throttle = {
            let txn = self.begin_read()?;
            txn.open_table(LOGIN_TO_THROTTLE)?
                .get(login.as_str())?
                .map(|value| {
                    let (failures, until) = value.value();
                    Throttle { failures, until }
                })
                .unwrap_or_default()
        };
        Ok(SignInState {
            account: self.account(login)?,
            wait_ms: throttle.wait(now),
        })
    }

    /// A session unexpired at `now` and its active account.
    pub fn session(
        &self,
        digest: &[u8; 32],
        now: Millis,
    ) -> Result<Option<(Session, Account)>, StoreError> {
        let session = {
            let txn = self.begin_read()?;
            match txn
                .open_table(SESSION_DIGEST_TO_SESSION)?
                .get(digest.as_slice())?
            {
                Some(bytes) => decode_session(digest, bytes.value())?,
                None => return Ok(None),
            }
        };
        if session.expires_at <= now {
            return Ok(None);
        }
        let account = self.account(&session.login)?;
        Ok(account
            .filter(|account| account.active)
            .map(|account| (session, account)))
    }

    pub fn audit(
        &self,
        filter: &AuditFilter,
        request: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(AUDIT_ID_TO_ENTRY)?;
        let from = request
            .after
            .map_or(0, |cursor| cursor.id.saturating_add(1));
        let mut items = Vec::new();
        let mut last_read = None;
        for (scanned, entry) in table.range(from..)?.enumerate() {
            if items.len() > request.limit {
                break;
            }
            if scanned >= AUDIT_SCAN {
                // A page cut short by the scan goes on from what was read.
                return Ok(Page {
                    items,
                    next: last_read.map(by_id),
                });
            }
            let (id, bytes) = entry?;
            let entry = decode_audit(id.value(), bytes.value())?;
            last_read = Some(entry.id);
            if filter.admits(&entry) {
                items.push(entry);
            }
        }
        Ok(page(items, request.limit, |entry| by_id(entry.id)))
    }
}
