//! Staff accounts, API keys, sessions, wrong-password counts and the audit
//! trail on PostgreSQL; each change with its audit entry in one transaction.

use super::error::PgError;
use super::reads::{limit, page};
use super::records::{id_at, key, Db};
use super::writes::Outcome;
use crate::domain::staff::{Account, Actor, ApiKey, Audit, AuditEntry, Login, Session, Throttle};
use crate::domain::{Millis, Refusal};
use crate::store::codec::{
    decode_account, decode_audit, decode_key, decode_session, encode_account, encode_audit,
    encode_key, encode_session,
};
use crate::usecases::staff::{AccountPatch, AuditFilter, NewAccount, NewKey, SignInState};
use crate::usecases::{Cursor, Page, PageRequest};

fn by_id(id: u128) -> Cursor {
    Cursor { at: 0, id }
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl Db<'_> {
    pub async fn audit(&self, audit: Audit) -> Result<(), PgError> {
        let entry = audit.entry(self.mint().await?, self.now);
        self.exec(
            "INSERT INTO audit (id, at, actor, action, record) VALUES ($1, $2, $3, $4, $5)",
            &[
                &key(entry.id),
                &entry.at,
                &entry.actor,
                &entry.action,
                &encode_audit(&entry),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn staff_configured(&self) -> Result<bool, PgError> {
        let row = self
            .row(
                "SELECT EXISTS (SELECT 1 FROM staff) OR EXISTS (SELECT 1 FROM api_keys)",
                &[],
            )
            .await?;
        Ok(row
            .map(|row| row.try_get::<_, bool>(0))
            .transpose()?
            .unwrap_or(false))
    }

    /// The account with this login; `lock`: held until the transaction ends.
    pub async fn account(&self, login: &Login, lock: bool) -> Result<Option<Account>, PgError> {
        let sql = if lock {
            "SELECT id, record FROM staff WHERE login = $1 FOR UPDATE"
        } else {
            "SELECT id, record FROM staff WHERE login = $1"
        };
        match self.row(sql, &[&login.as_str()]).await? {
            Some(row) => Ok(Some(decode_account(id_at(&row, 0)?, row.try_get(1)?)?)),
            None => Ok(None),
        }
    }

    pub async fn accounts(&self, request: PageRequest) -> Result<Page<Account>, PgError> {
        let after = key(request.after.map_or(0, |cursor| cursor.id));
        let rows = self
            .rows(
                "SELECT id, record FROM staff WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit(request)],
            )
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok(decode_account(id_at(row, 0)?, row.try_get(1)?)?))
            .collect::<Result<Vec<_>, PgError>>()?;
        Ok(page(items, request.limit, |account| by_id(account.id)))
    }

    pub async fn create_account(&self, new: &NewAccount, actor: &Actor) -> Outcome<Account> {
        let account = Account {
            id: self.mint().await?,
            login: new.login.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            active: true,
            password_hash: new.password_hash.clone(),
            created_at: self.now,
        };
        let inserted = self
            .exec(
                "INSERT INTO staff (id, login, record) VALUES ($1, $2, $3)
                 ON CONFLICT (login) DO NOTHING",
                &[
                    &key(account.id),
                    &account.login.as_str(),
                    &encode_account(&account),
                ],
            )
            .await?;
        if inserted == 0 {
            return Ok(Err(Refusal::LoginTaken));
        }
        self.audit(Audit::new(actor, "staff.create", account.login.as_str()))
            .await?;
        Ok(Ok(account))
    }

    pub async fn update_account(
        &self,
        login: &Login,
        patch: &AccountPatch,
        actor: &Actor,
    ) -> Outcome<Account> {
        let Some(mut account) = self.account(login, true).await? else {
            return Ok(Err(Refusal::StaffNotFound));
        };
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
        self.exec(
            "UPDATE staff SET record = $2 WHERE id = $1",
            &[&key(account.id), &encode_account(&account)],
        )
        .await?;
        self.audit(Audit::new(actor, "staff.update", login.as_str()))
            .await?;
        Ok(Ok(account))
    }

    pub async fn create_key(&self, new: &NewKey, actor: &Actor) -> Outcome<ApiKey> {
        let api_key = ApiKey {
            id: self.mint().await?,
            name: new.name.clone(),
            role: new.role,
            digest: new.digest,
            created_at: self.now,
            revoked_at: None,
        };
        self.exec(
            "INSERT INTO api_keys (id, digest, record) VALUES ($1, $2, $3)",
            &[
                &key(api_key.id),
                &api_key.digest.as_slice(),
                &encode_key(&api_key),
            ],
        )
        .await?;
        self.audit(Audit::new(
            actor,
            "key.create",
            crate::domain::ids::spell(api_key.id),
        ))
        .await?;
        Ok(Ok(api_key))
    }

    pub async fn keys(&self, request: PageRequest) -> Result<Page<ApiKey>, PgError> {
        let after = key(request.after.map_or(0, |cursor| cursor.id));
        let rows = self
            .rows(
                "SELECT id, record FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit(request)],
            )
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok(decode_key(id_at(row, 0)?, row.try_get(1)?)?))
            .collect::<Result<Vec<_>, PgError>>()?;
        Ok(page(items, request.limit, |api_key| by_id(api_key.id)))
    }

    pub async fn key_by_digest(&self, digest: &[u8; 32]) -> Result<Option<ApiKey>, PgError> {
        let Some(row) = self
            .row(
                "SELECT id, record FROM api_keys WHERE digest = $1",
                &[&digest.as_slice()],
            )
            .await?
        else {
            return Ok(None);
        };
        let api_key = decode_key(id_at(&row, 0)?, row.try_get(1)?)?;
        Ok(api_key.revoked_at.is_none().then_some(api_key))
    }

    pub async fn revoke_key(&self, id: u128, actor: &Actor) -> Outcome<()> {
        let Some(row) = self
            .row(
                "SELECT record FROM api_keys WHERE id = $1 FOR UPDATE",
                &[&key(id)],
            )
            .await?
        else {
            return Ok(Err(Refusal::KeyNotFound));
        };
        let mut api_key = decode_key(id, row.try_get(0)?)?;
        if api_key.revoked_at.is_some() {
            return Ok(Ok(()));
        }
        api_key.revoked_at = Some(self.now);
        self.exec(
            "UPDATE api_keys SET digest = NULL, record = $2 WHERE id = $1",
            &[&key(id), &encode_key(&api_key)],
        )
        .await?;
        self.audit(Audit::new(
            actor,
            "key.revoke",
            crate::domain::ids::spell(id),
        ))
        .await?;
        Ok(Ok(()))
    }

    async fn throttle(&self, login: &Login, lock: bool) -> Result<Throttle, PgError> {
        let sql = if lock {
            "SELECT failures, until FROM login_throttle WHERE login = $1 FOR UPDATE"
        } else {
            "SELECT failures, until FROM login_throttle WHERE login = $1"
        };
        match self.row(sql, &[&login.as_str()]).await? {
            Some(row) => Ok(Throttle {
                failures: u32::try_from(row.try_get::<_, i32>(0)?).unwrap_or(0),
                until: row.try_get(1)?,
            }),
            None => Ok(Throttle::default()),
        }
    }

    pub async fn sign_in_state(&self, login: &Login) -> Result<SignInState, PgError> {
        Ok(SignInState {
            account: self.account(login, false).await?,
            wait_ms: self.throttle(login, false).await?.wait(self.now),
        })
    }

    pub async fn sign_in_failed(&self, login: &Login) -> Outcome<Throttle> {
        // The first wrong try of a login makes its row; later ones lock it.
        self.exec(
            "INSERT INTO login_throttle (login, failures, until) VALUES ($1, 0, 0)
             ON CONFLICT (login) DO NOTHING",
            &[&login.as_str()],
        )
        .await?;
        let after = self.throttle(login, true).await?.failed(self.now);
        self.exec(
            "UPDATE login_throttle SET failures = $2, until = $3 WHERE login = $1",
            &[&login.as_str(), &int(after.failures), &after.until],
        )
        .await?;
        Ok(Ok(after))
    }

    pub async fn open_session(
        &self,
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
        self.exec(
            "DELETE FROM login_throttle WHERE login = $1",
            &[&login.as_str()],
        )
        .await?;
        self.exec(
            "INSERT INTO sessions (digest, record) VALUES ($1, $2)",
            &[&digest.as_slice(), &encode_session(&session)],
        )
        .await?;
        self.audit(Audit {
            actor: login.as_str().to_owned(),
            action: "session.open",
            subject: login.as_str().to_owned(),
            amount: None,
        })
        .await?;
        Ok(Ok(session))
    }

    async fn stored_session(&self, digest: &[u8; 32]) -> Result<Option<Session>, PgError> {
        match self
            .row(
                "SELECT record FROM sessions WHERE digest = $1",
                &[&digest.as_slice()],
            )
            .await?
        {
            Some(row) => Ok(Some(decode_session(digest, row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    pub async fn session(&self, digest: &[u8; 32]) -> Result<Option<(Session, Account)>, PgError> {
        let Some(session) = self.stored_session(digest).await? else {
            return Ok(None);
        };
        if session.expires_at <= self.now {
            return Ok(None);
        }
        let account = self.account(&session.login, false).await?;
        Ok(account
            .filter(|account| account.active)
            .map(|account| (session, account)))
    }

    pub async fn touch_session(&self, digest: [u8; 32], idle_ms: Millis) -> Outcome<()> {
        let Some(mut session) = self.stored_session(&digest).await? else {
            return Ok(Ok(()));
        };
        if session.expires_at > self.now {
            session.expires_at = self.now.saturating_add(idle_ms);
            self.exec(
                "UPDATE sessions SET record = $2 WHERE digest = $1",
                &[&digest.as_slice(), &encode_session(&session)],
            )
            .await?;
        }
        Ok(Ok(()))
    }

    pub async fn end_session(&self, digest: [u8; 32], actor: &Actor) -> Outcome<bool> {
        let Some(row) = self
            .row(
                "DELETE FROM sessions WHERE digest = $1 RETURNING record",
                &[&digest.as_slice()],
            )
            .await?
        else {
            return Ok(Ok(false));
        };
        let session = decode_session(&digest, row.try_get(0)?)?;
        self.audit(Audit::new(actor, "session.close", session.login.as_str()))
            .await?;
        Ok(Ok(true))
    }

    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        request: PageRequest,
    ) -> Result<Page<AuditEntry>, PgError> {
        let after = key(request.after.map_or(0, |cursor| cursor.id));
        let rows = self
            .rows(
                "SELECT id, record FROM audit
                 WHERE id > $1
                   AND ($2::bigint IS NULL OR at >= $2)
                   AND ($3::bigint IS NULL OR at < $3)
                   AND ($4::text IS NULL OR actor = $4)
                   AND ($5::text IS NULL OR action = $5)
                 ORDER BY id LIMIT $6",
                &[
                    &after,
                    &filter.from,
                    &filter.to,
                    &filter.actor,
                    &filter.action,
                    &limit(request),
                ],
            )
            .await?;
        let items = rows
            .iter()
            .map(|row| Ok(decode_audit(id_at(row, 0)?, row.try_get(1)?)?))
            .collect::<Result<Vec<_>, PgError>>()?;
        Ok(page(items, request.limit, |entry| by_id(entry.id)))
    }

    /// Deletes up to `budget` sessions ended by `at`; answers how many.
    /// Sessions are few (one per person signed in within `session_idle`),
    /// so they are read whole.
    pub async fn purge_sessions(&self, budget: usize, at: Millis) -> Result<usize, PgError> {
        let rows = self
            .rows(
                "SELECT digest, record FROM sessions FOR UPDATE SKIP LOCKED",
                &[],
            )
            .await?;
        let mut ended: Vec<Vec<u8>> = Vec::new();
        for row in &rows {
            if ended.len() == budget {
                break;
            }
            let digest: Vec<u8> = row.try_get(0)?;
            if decode_session(&digest, row.try_get(1)?)?.is_expired(at) {
                ended.push(digest);
            }
        }
        self.exec("DELETE FROM sessions WHERE digest = ANY($1)", &[&ended])
            .await?;
        Ok(ended.len())
    }

    /// Deletes up to `budget` wrong-password counts idle at `at` (see
    /// [`crate::domain::staff::Throttle::is_idle`]); answers how many.
    pub async fn purge_throttles(&self, budget: usize, at: Millis) -> Result<usize, PgError> {
        let cutoff = crate::domain::staff::idle_throttle_cutoff(at);
        let deleted = self
            .exec(
                "DELETE FROM login_throttle WHERE login IN (
                     SELECT login FROM login_throttle WHERE until <= $1
                     ORDER BY until, login LIMIT $2 FOR UPDATE SKIP LOCKED)",
                &[&cutoff, &i64::try_from(budget).unwrap_or(i64::MAX)],
            )
            .await?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    /// Ended sessions, then idle wrong-password counts, up to `budget` of
    /// them, counted in `report` (its `more` set when the budget ran out).
    pub async fn purge_staff(
        &self,
        budget: usize,
        at: Millis,
        report: &mut crate::usecases::PurgeReport,
    ) -> Result<(), PgError> {
        report.sessions = self.purge_sessions(budget, at).await?;
        report.more = report.sessions == budget;
        if !report.more {
            let left = budget - report.sessions;
            report.throttles = self.purge_throttles(left, at).await?;
            report.more = report.throttles == left;
        }
        Ok(())
    }
}
