//! Staff: accounts people sign in with, API keys devices and programs use,
//! sessions, the slowing of wrong passwords, and the audit trail of who did
//! what. Pure rules and records; hashing and storage live elsewhere.

use std::fmt;

use sha2::{Digest, Sha256};

use super::prices::Channel;
use super::Millis;

/// What an actor may do; each role may do all the ones before it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A device: read the programme, hold, book and confirm.
    Kiosk,
    /// Check-in at the door.
    Door,
    /// Sell at the counter, find and move bookings.
    Cashier,
    /// Refunds, reports, the audit trail.
    Manager,
    /// The catalogue, prices, staff and keys.
    Admin,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Kiosk,
        Self::Door,
        Self::Cashier,
        Self::Manager,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kiosk => "kiosk",
            Self::Door => "door",
            Self::Cashier => "cashier",
            Self::Manager => "manager",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The role's stored code.
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest login.
pub const MAX_LOGIN_LEN: usize = 64;
/// The longest display name and key name.
pub const MAX_NAME_CHARS: usize = 100;
/// The shortest password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password, in characters (argon2 takes any length; this bounds
/// the work a request can ask for). Any character may be in a password.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A staff account's login: 1 to 64 of `[a-z0-9._-]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Login(String);

impl Login {
    pub fn parse(text: &str) -> Option<Self> {
        let fits = (1..=MAX_LOGIN_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        fits.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a password is long enough and not too long to hash.
pub fn password_fits(password: &str) -> bool {
    (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count())
}

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// A ULID: accounts list in the order they were made.
    pub id: u128,
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// The argon2id PHC string; never shown, never logged.
    pub password_hash: String,
    pub created_at: Millis,
}

/// A device's or a program's key. Only the digest of the key is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: u128,
    pub name: String,
    pub role: Role,
    pub digest: [u8; 32],
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A signed-in person's session, found by the digest of its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub digest: [u8; 32],
    pub login: Login,
    /// Sent back in `X-CSRF-Token` with every write a cookie signs.
    pub csrf: String,
    pub expires_at: Millis,
}

impl Session {
    /// Whether a use at `now` should move the expiry (to `idle_ms` from
    /// now): a session in use is written at most about once a minute, not
    /// on every request.
    pub fn needs_touch(&self, now: Millis, idle_ms: Millis) -> bool {
        let step = (idle_ms / 10).clamp(1, 60_000);
        let left = self.expires_at.saturating_sub(now);
        idle_ms.saturating_sub(left) >= step
    }

    /// Whether the session has ended by `now` (it signs nothing any more).
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expires_at <= now
    }
}

/// The digest a key or a session token is stored and found by.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// How a new key and session token begin, so that a leaked one is known
/// for what it is.
pub const KEY_PREFIX: &str = "bok_";
pub const SESSION_PREFIX: &str = "bos_";

/// Wrong passwords for one login, and until when the next try must wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Throttle {
    pub failures: u32,
    pub until: Millis,
}

/// The longest wait between two tries.
pub const MAX_DELAY_MS: Millis = 15 * 60_000;

impl Throttle {
    /// The wait after the `failures`th wrong password in a row: 1 s,
    /// doubling, at most 15 min.
    pub fn delay(failures: u32) -> Millis {
        if failures == 0 {
            return 0;
        }
        let doublings = (failures - 1).min(20);
        (1000_i64 << doublings).min(MAX_DELAY_MS)
    }

    /// The state after one more wrong password at `now`.
    #[must_use]
    pub fn failed(self, now: Millis) -> Self {
        let failures = self.failures.saturating_add(1);
        Self {
            failures,
            until: now.saturating_add(Self::delay(failures)),
        }
    }

    /// How long a try at `now` must still wait (0: it may go on).
    pub fn wait(self, now: Millis) -> Millis {
        (self.until - now).max(0)
    }

    /// Whether the count may be forgotten at `now`: its wait ended at
    /// least the longest wait ago, so no try is slowed by it and a login
    /// left alone that long starts again at 1 s.
    pub fn is_idle(self, now: Millis) -> bool {
        self.until <= idle_throttle_cutoff(now)
    }
}

/// The latest end of a wait whose count is idle at `now`: the purge
/// forgets counts whose wait ended then or before.
pub fn idle_throttle_cutoff(now: Millis) -> Millis {
    now.saturating_sub(MAX_DELAY_MS)
}

/// Who did something: an account's login, a key's name, a token, or nobody
/// known (an open service).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// What the audit trail names: a login, a key's name, `api_token`,
    /// `admin_token` or `anonymous`.
    pub name: String,
    pub role: Role,
    pub kind: ActorKind,
}

/// How the actor proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// Nothing is configured: the service is open to everyone.
    Open,
    /// `api_token` or `admin_token`.
    Token,
    /// An API key (its id).
    Key(u128),
    /// A signed-in account (its session's digest); `cookie`: signed by the
    /// session cookie, so writes need the CSRF token.
    Session { digest: [u8; 32], cookie: bool },
}

impl Actor {
    pub const ANONYMOUS: &'static str = "anonymous";

    /// Anyone, on a service with nothing configured to close it.
    pub fn open() -> Self {
        Self {
            name: Self::ANONYMOUS.into(),
            role: Role::Admin,
            kind: ActorKind::Open,
        }
    }

    /// The operator at the command line, on the machine itself.
    pub fn operator() -> Self {
        Self {
            name: "operator".into(),
            role: Role::Admin,
            kind: ActorKind::Open,
        }
    }

    /// A `kiosk` key sells on the kiosk; a staff session or a `cashier`+
    /// key at the counter; every other key, the tokens and an open
    /// service on the API channel.
    pub fn channel(&self) -> Channel {
        match self.kind {
            ActorKind::Session { .. } => Channel::Counter,
            ActorKind::Key(_) if self.role == Role::Kiosk => Channel::Kiosk,
            ActorKind::Key(_) if self.role >= Role::Cashier => Channel::Counter,
            ActorKind::Key(_) | ActorKind::Token | ActorKind::Open => Channel::Api,
        }
    }

    /// Whether the limits on one client apply: anonymous and kiosk clients.
    pub fn is_limited(&self) -> bool {
        matches!(self.kind, ActorKind::Open) || self.role == Role::Kiosk
    }

    /// What scopes `Idempotency-Key`s: the account or key, never the
    /// session token (a new session of one person keeps its keys).
    pub fn scope(&self) -> String {
        match &self.kind {
            ActorKind::Open => "open".into(),
            ActorKind::Token => format!("token:{}", self.name),
            ActorKind::Key(id) => format!("key:{id:032x}"),
            ActorKind::Session { .. } => format!("staff:{}", self.name),
        }
    }
}

/// One line of the audit trail. Never a customer's name or phone, a
/// password or a token: ids and amounts only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// A ULID: entries list in the order they were written.
    pub id: u128,
    pub at: Millis,
    pub actor: String,
    /// `staff.create`, `key.revoke`, `film.create`, ...
    pub action: String,
    /// The ids the change touched (`login`, key id, film id, ...).
    pub subject: String,
    /// An amount in minor units or a count of seats, where there is one.
    pub amount: Option<i64>,
}

/// What a new audit entry says; the store gives it its id and instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub amount: Option<i64>,
}

impl Audit {
    pub fn new(actor: &Actor, action: &'static str, subject: impl Into<String>) -> Self {
        Self {
            actor: actor.name.clone(),
            action,
            subject: subject.into(),
            amount: None,
        }
    }

    pub fn entry(self, id: u128, at: Millis) -> AuditEntry {
        AuditEntry {
            id,
            at,
            actor: self.actor,
            action: self.action.to_owned(),
            subject: self.subject,
            amount: self.amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_spelled() {
        assert!(Role::Kiosk < Role::Door && Role::Door < Role::Cashier);
        assert!(Role::Cashier < Role::Manager && Role::Manager < Role::Admin);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::from_code(5), None);
    }

    #[test]
    fn logins_are_short_lowercase_words() {
        assert!(Login::parse("asha.rao-2_b").is_some());
        assert!(Login::parse(&"a".repeat(64)).is_some());
        for bad in ["", "Asha", "asha rao", "asha@x", "é", &"a".repeat(65)] {
            assert!(Login::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn wrong_passwords_wait_doubling_up_to_fifteen_minutes() {
        assert_eq!(Throttle::delay(0), 0);
        assert_eq!(Throttle::delay(1), 1000);
        assert_eq!(Throttle::delay(2), 2000);
        assert_eq!(Throttle::delay(5), 16000);
        assert_eq!(Throttle::delay(11), MAX_DELAY_MS);
        assert_eq!(Throttle::delay(u32::MAX), MAX_DELAY_MS);
        let once = Throttle::default().failed(10_000);
        assert_eq!(
            once,
            Throttle {
                failures: 1,
                until: 11_000
            }
        );
        assert_eq!(once.wait(10_500), 500);
        assert_eq!(once.wait(12_000), 0);
        // Kept while it slows, and the longest wait beyond.
        assert!(!once.is_idle(11_000));
        assert!(!once.is_idle(11_000 + MAX_DELAY_MS - 1));
        assert!(once.is_idle(11_000 + MAX_DELAY_MS));
        assert_eq!(idle_throttle_cutoff(11_000 + MAX_DELAY_MS), 11_000);
    }

    #[test]
    fn each_actor_sells_on_its_channel() {
        let key = |role| Actor {
            name: "k".into(),
            role,
            kind: ActorKind::Key(1),
        };
        assert_eq!(key(Role::Kiosk).channel(), Channel::Kiosk);
        assert_eq!(key(Role::Door).channel(), Channel::Api);
        assert_eq!(key(Role::Cashier).channel(), Channel::Counter);
        assert_eq!(key(Role::Admin).channel(), Channel::Counter);
        let session = Actor {
            name: "asha".into(),
            role: Role::Kiosk,
            kind: ActorKind::Session {
                digest: [0; 32],
                cookie: true,
            },
        };
        assert_eq!(session.channel(), Channel::Counter);
        assert_eq!(Actor::open().channel(), Channel::Api);
        let token = Actor {
            name: "api_token".into(),
            role: Role::Admin,
            kind: ActorKind::Token,
        };
        assert_eq!(token.channel(), Channel::Api);
    }
}
