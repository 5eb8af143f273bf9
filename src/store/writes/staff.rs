//! Staff accounts, API keys, sessions and wrong-password counts, each
//! change with its audit entry in the same transaction.

use redb::ReadableTable;

use super::{outcome, Batch, Failure, Outcome};
use crate::domain::staff::{
    idle_throttle_cutoff, Account, Actor, ApiKey, Audit, Login, Session, Throttle,
};
use crate::domain::{Millis, Refusal};
use crate::store::codec::{
    decode_account, decode_key, decode_session, encode_account, encode_audit, encode_key,
    encode_session,
};
use crate::store::error::StoreError;
use crate::usecases::staff::{AccountPatch, NewAccount, NewKey};

impl Batch<'_, '_> {
    /// Appends an entry to the audit trail, at this batch's now.
    pub fn audit(&mut self, audit: Audit) -> Result<(), StoreError> {
        let entry = audit.entry(self.ids.next(self.now)?, self.now);
        self.tables
            .audit
            .insert(entry.id, encode_audit(&entry).as_slice())?;
        Ok(())
    }

    fn stored_account(&self, login: &Login) -> Result<Option<Account>, StoreError> {
        let Some(id) = self.tables.logins.get(login.as_str())? else {
            return Ok(None);
        };
        let id = id.value();
        let bytes =
            self.tables.staff.get(id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("login {login} names a missing account"))
            })?;
        Ok(Some(decode_account(id, bytes.value())?))
    }

    fn put_account(&mut self, account: &Account) -> Result<(), StoreError> {
        self.tables
            .staff
            .insert(account.id, encode_account(account).as_slice())?;
        Ok(())
    }

    pub fn create_account(&mut self, new: &NewAccount, actor: &Actor) -> Outcome<Account> {
        if self.stored_account(&new.login)?.is_some() {
            return Ok(Err(Refusal::LoginTaken));
        }
        let account = Account {
            id: self.ids.next(self.now)?,
            login: new.login.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            active: true,
            password_hash: new.password_hash.clone(),
            created_at: self.now,
        };
        self.put_account(&account)?;
        self.tables
            .logins
            .insert(account.login.as_str(), account.id)?;
        self.audit(Audit::new(actor, "staff.create", account.login.as_str()))?;
        Ok(Ok(account))
    }

    pub fn update_account(
        &mut self,
        login: &Login,
        patch: &AccountPatch,
        actor: &Actor,
    ) -> Outcome<Account> {
        let plan = (|| -> Result<Account, Failure> {
            let mut account = self.stored_account(login)?.ok_or(Refusal::StaffNotFound)?;
            if let Some(name) = &patch.display_name {
                account.display_name.clone_from(name);
            }
            if let Some(role) = patch.role {
                account.role = role;
            }
            if let Some(active) = patch.active {
                account.active = active;
            }
            if let Some(hash) = &patch.password_hash {
                account.password_hash.clone_from(hash);
            }
            Ok(account)
        })();
        outcome(plan, |account| {
            self.put_account(&account)?;
            self.audit(Audit::new(actor, "staff.update", login.as_str()))?;
            Ok(account)
        })
    }

    pub fn create_key(&mut self, new: &NewKey, actor: &Actor) -> Outcome<ApiKey> {
        let key = ApiKey {
            id: self.ids.next(self.now)?,
            name: new.name.clone(),
            role: new.role,
            digest: new.digest,
            created_at: self.now,
            revoked_at: None,
        };
        self.tables
            .keys
            .insert(key.id, encode_key(&key).as_slice())?;
        self.tables
            .key_digests
            .insert(key.digest.as_slice(), key.id)?;
        self.audit(Audit::new(
            actor,
            "key.create",
            crate::domain::ids::spell(key.id),
        ))?;
        Ok(Ok(key))
    }

    pub fn revoke_key(&mut self, id: u128, actor: &Actor) -> Outcome<()> {
        let Some(mut key) = self
            .tables
            .keys
            .get(id)?
            .map(|bytes| decode_key(id, bytes.value()))
            .transpose()?
        else {
            return Ok(Err(Refusal::KeyNotFound));
        };
        if key.revoked_at.is_some() {
            return Ok(Ok(()));
        }
        key.revoked_at = Some(self.now);
        self.tables.keys.insert(id, encode_key(&key).as_slice())?;
        self.tables.key_digests.remove(key.digest.as_slice())?;
        self.audit(Audit::new(
            actor,
            "key.revoke",
            crate::domain::ids::spell(id),
        ))?;
        Ok(Ok(()))
    }

    pub fn sign_in_failed(&mut self, login: &Login) -> Outcome<Throttle> {
        let before = self
            .tables
            .throttles
            .get(login.as_str())?
            .map(|value| {
                let (failures, until) = value.value();
                Throttle { failures, until }
            })
            .unwrap_or_default();
        let after = before.failed(self.now);
        self.tables
            .throttles
            .insert(login.as_str(), (after.failures, after.until))?;
        Ok(Ok(after))
    }

    pub fn open_session(
        &mut self,
        login: &Login,
        digest: [u8; 32],
        csrf: &str,
        idle_ms: Millis,
    ) -> Outcome<Session> {
        let session = Session {
            digest,
            login: login.clone(),
            csrf: csrf.to_owned(),
            expires_at: self.now.saturating_add(idle_ms),
        };
        self.tables.throttles.remove(login.as_str())?;
        self.tables
            .sessions
            .insert(digest.as_slice(), encode_session(&session).as_slice())?;
        self.audit(Audit {
            actor: login.as_str().to_owned(),
            action: "session.open",
            subject: login.as_str().to_owned(),
            amount: None,
        })?;
        Ok(Ok(session))
    }

    fn stored_session(&self, digest: &[u8; 32]) -> Result<Option<Session>, StoreError> {
        match self.tables.sessions.get(digest.as_slice())? {
            Some(bytes) => Ok(Some(decode_session(digest, bytes.value())?)),
            None => Ok(None),
        }
    }

    pub fn touch_session(&mut self, digest: [u8; 32], idle_ms: Millis) -> Outcome<()> {
        let Some(mut session) = self.stored_session(&digest)? else {
            return Ok(Ok(()));
        };
        // An expired session stays expired.
        if session.expires_at > self.now {
            session.expires_at = self.now.saturating_add(idle_ms);
            self.tables
                .sessions
                .insert(digest.as_slice(), encode_session(&session).as_slice())?;
        }
        Ok(Ok(()))
    }

    pub fn end_session(&mut self, digest: [u8; 32], actor: &Actor) -> Outcome<bool> {
        let Some(session) = self.stored_session(&digest)? else {
            return Ok(Ok(false));
        };
        self.tables.sessions.remove(digest.as_slice())?;
        self.audit(Audit::new(actor, "session.close", session.login.as_str()))?;
        Ok(Ok(true))
    }

    /// Deletes up to `budget` sessions ended by `at`; answers how many, and
    /// whether more may be waiting. Sessions are few (one per person
    /// signed in within `session_idle`), so they are read whole.
    pub(super) fn purge_sessions(
        &mut self,
        budget: usize,
        at: Millis,
    ) -> Result<(usize, bool), StoreError> {
        let mut ended: Vec<Vec<u8>> = Vec::new();
        for entry in self.tables.sessions.iter()? {
            if ended.len() == budget {
                break;
            }
            let (digest, bytes) = entry?;
            if decode_session(digest.value(), bytes.value())?.is_expired(at) {
                ended.push(digest.value().to_vec());
            }
        }
        let more = ended.len() == budget;
        for digest in &ended {
            self.tables.sessions.remove(digest.as_slice())?;
        }
        Ok((ended.len(), more))
    }

    /// Deletes up to `budget` wrong-password counts idle at `at` (see
    /// [`Throttle::is_idle`]); a count that still slows a login stays, and
    /// so outlives a restart.
    pub(super) fn purge_throttles(
        &mut self,
        budget: usize,
        at: Millis,
    ) -> Result<(usize, bool), StoreError> {
        let cutoff = idle_throttle_cutoff(at);
        let mut idle: Vec<String> = Vec::new();
        for entry in self.tables.throttles.iter()? {
            if idle.len() == budget {
                break;
            }
            let (login, value) = entry?;
            let (_, until) = value.value();
            if until <= cutoff {
                idle.push(login.value().to_owned());
            }
        }
        let more = idle.len() == budget;
        for login in &idle {
            self.tables.throttles.remove(login.as_str())?;
        }
        Ok((idle.len(), more))
    }
}
