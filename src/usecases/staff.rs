//! Staff accounts, API keys, sessions and the audit trail: the interface
//! every backend implements, and the password work (argon2id on blocking
//! threads, at most one per core but one at once) that signing in needs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use super::{Error, Once, Page, PageRequest, Written};
use crate::domain::staff::{Account, Actor, ApiKey, AuditEntry, Login, Role, Session, Throttle};
use crate::domain::Millis;

/// A new account, its password already hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

/// What a PATCH of an account changes; `None` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// A new key: only its digest is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
    pub digest: [u8; 32],
}

/// Which audit entries a list holds: `from <= at < to`, by one actor, of
/// one action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

impl AuditFilter {
    pub fn admits(&self, entry: &AuditEntry) -> bool {
        self.from.is_none_or(|from| entry.at >= from)
            && self.to.is_none_or(|to| entry.at < to)
            && self
                .actor
                .as_ref()
                .is_none_or(|actor| &entry.actor == actor)
            && self
                .action
                .as_ref()
                .is_none_or(|action| &entry.action == action)
    }
}

/// What a sign-in needs to know about a login: the account (if any) and how
/// long a try must still wait (0: it may go on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInState {
    pub account: Option<Account>,
    pub wait_ms: Millis,
}

#[async_trait::async_trait]
pub trait Staff: Send + Sync + 'static {
    /// Whether any account or key exists (revoked or not): once one does,
    /// the service is closed to whoever has none.
    async fn staff_configured(&self) -> Result<bool, Error>;

    async fn create_account(
        &self,
        account: NewAccount,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error>;
    async fn account(&self, login: Login) -> Result<Option<Account>, Error>;
    /// Accounts in the order they were made.
    async fn accounts(&self, page: PageRequest) -> Result<Page<Account>, Error>;
    async fn update_account(
        &self,
        login: Login,
        patch: AccountPatch,
        actor: &Actor,
        once: Once<Account>,
    ) -> Result<Written<Account>, Error>;

    async fn create_key(
        &self,
        key: NewKey,
        actor: &Actor,
        once: Once<ApiKey>,
    ) -> Result<Written<ApiKey>, Error>;
    /// Keys in the order they were made, revoked ones too.
    async fn keys(&self, page: PageRequest) -> Result<Page<ApiKey>, Error>;
    /// The key whose digest this is, unless revoked.
    async fn key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKey>, Error>;
    async fn revoke_key(
        &self,
        id: u128,
        actor: &Actor,
        once: Once<()>,
    ) -> Result<Written<()>, Error>;

    async fn sign_in_state(&self, login: Login) -> Result<SignInState, Error>;
    /// Counts a wrong password (or an unknown or inactive login) for
    /// `login` at the store's now; answers the new state.
    async fn sign_in_failed(&self, login: Login) -> Result<Throttle, Error>;
    /// Stores a new session (its expiry `idle_ms` from now), clears the
    /// login's wrong tries and audits the sign-in, in one transaction.
    async fn open_session(
        &self,
        login: Login,
        digest: [u8; 32],
        csrf: String,
        idle_ms: Millis,
    ) -> Result<Session, Error>;
    /// The session with this digest and its account, if it has not
    /// expired by now and the account is active; a use moves its expiry to
    /// `idle_ms` from now (see [`Session::needs_touch`]).
    async fn session(
        &self,
        digest: [u8; 32],
        idle_ms: Millis,
    ) -> Result<Option<(Session, Account)>, Error>;
    /// Ends a session; `false`: there was none.
    async fn end_session(&self, digest: [u8; 32], actor: &Actor) -> Result<bool, Error>;

    /// Audit entries in the order they were written.
    async fn audit(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, Error>;
}

/// Hashes and checks passwords off the async workers, at most one per core
/// but one at once (one on one or two cores), so a burst of sign-ins queues
/// here and one core is always left to every other request. A login that does not exist is checked against a hash of
/// no one's password, so it costs the same work as one that does.
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of no one's password (random), made at the first check of a
    /// login that does not exist.
    dummy: Arc<OnceLock<String>>,
    verifications: AtomicU64,
}

impl Passwords {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            permits: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
            dummy: Arc::default(),
            verifications: AtomicU64::new(0),
        }
    }

    /// How many passwords were checked since start (for tests: an unknown
    /// login must count as much as a known one).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// The PHC string of `password` (argon2id, the crate's recommended
    /// parameters, a random salt).
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::storage("the password checker has stopped"))?;
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(Error::storage)?
    }

    /// Whether `password` matches `hash`; `None` checks it against the
    /// dummy hash and answers `false`.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::storage("the password checker has stopped"))?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let dummy = Arc::clone(&self.dummy);
        let checked = tokio::task::spawn_blocking(move || {
            if let Some(hash) = hash {
                return verify_now(&hash, &password);
            }
            let dummy = dummy.get_or_init(|| {
                let mut noise = [0u8; 32];
                let _ = getrandom::fill(&mut noise);
                hash_now(&format!("{noise:x?}")).unwrap_or_default()
            });
            // Checked all the same, so that it costs what a real one does.
            let _ = verify_now(dummy, &password);
            false
        });
        checked.await.map_err(Error::storage)
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes on the calling thread: for the command line and blocking threads.
pub fn hash_now(password: &str) -> Result<String, Error> {
    let hash: Result<PasswordHash, _> = Argon2::default().hash_password(password.as_bytes());
    hash.map(|hash| hash.to_string())
        .map_err(|error| Error::storage(format!("cannot hash a password: {error}")))
}

fn verify_now(hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_an_argon2id_phc_string_that_checks_only_its_password() {
        let hash = hash_now("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_now(&hash, "correct horse"));
        assert!(!verify_now(&hash, "correct hors"));
        assert!(!verify_now("not a hash", "correct horse"));
    }
}
