//! The service's own configuration keys, read from the same figment as
//! Rocket's (`Rocket.toml`, then `ROCKET_*` environment variables), each
//! validated at start-up with an error that names the key.

use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use rocket::data::ByteUnit;
use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::domain::currency::Currency;
use crate::domain::limits::Limits;
use crate::domain::Rules;
use crate::service_log::LogFormat;

pub const DEFAULT_PORT: u16 = 5000;
pub const DEFAULT_DB_PATH: &str = "data/boxoffice.redb";
pub const DEFAULT_CAPACITY: u32 = 20;
pub const DEFAULT_EXPIRE_AFTER: Duration = Duration::from_hours(8);
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_mins(1);
pub const DEFAULT_TURNAROUND: Duration = Duration::from_mins(15);
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_hours(24);
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_hours(12);
pub const DEFAULT_HOLD_FOR: Duration = Duration::from_mins(10);
pub const DEFAULT_HOLD_MAX: Duration = Duration::from_mins(30);
/// redb's page cache. Bookings touch a few pages each, so a small cache keeps
/// the resident set small without costing throughput.
pub const DEFAULT_CACHE_SIZE: ByteUnit = ByteUnit::Mebibyte(16);
/// Most write commands that share one commit (group commit). 1 turns
/// grouping off: every command gets its own durable commit.
pub const DEFAULT_MAX_BATCH: usize = 256;
/// Most writes waiting for the writer; past it a write is answered 503 at once.
pub const DEFAULT_QUEUE_LIMIT: usize = 4096;
/// PostgreSQL connections per process unless `database_pool` says otherwise.
pub const DEFAULT_DATABASE_POOL: usize = 16;
/// The limits on one client's holds and stored answers.
pub const DEFAULT_LIMITS: Limits = Limits::DEFAULT;
/// The largest answer: a page of a list is cut to fit.
pub const DEFAULT_MAX_ANSWER: ByteUnit = ByteUnit::Mebibyte(4);
/// `max_answer` is at least this, so that the largest single record (a
/// screen of `MAX_SEATS` seats) always fits.
pub const MIN_MAX_ANSWER: ByteUnit = ByteUnit::Mebibyte(1);
/// A booking body is a few hundred bytes; anything near this is hostile.
pub const DEFAULT_JSON_LIMIT: ByteUnit = ByteUnit::Kibibyte(16);

#[derive(Clone, Debug)]
pub struct Config {
    pub db_path: PathBuf,
    pub api_token: Option<String>,
    pub timezone: Tz,
    pub capacity: u32,
    pub expire_after: Duration,
    pub purge_interval: Duration,
    /// The gap a screen needs between two shows.
    pub turnaround: Duration,
    /// How long an `Idempotency-Key`'s answer is kept.
    pub idempotency_ttl: Duration,
    /// A hold's default and longest time.
    pub hold_for: Duration,
    pub hold_max: Duration,
    /// When set, an `admin` key (and `api_token` a `cashier` one).
    pub admin_token: Option<String>,
    /// A staff session ends after this long unused.
    pub session_idle: Duration,
    pub cache_size: usize,
    pub max_batch: usize,
    pub queue_limit: usize,
    /// How the service's own log lines are written: `text` or `json`.
    pub log_format: LogFormat,
    /// `postgres://…`: run on PostgreSQL instead of the redb file.
    pub database_url: Option<String>,
    /// Most PostgreSQL connections of this process.
    pub database_pool: usize,
    /// Whether the kernel's word that the clock is NTP-synchronised is taken.
    pub clock_sync: ClockSync,
    /// Host names answered besides IP addresses and `localhost` (lower case).
    pub allowed_hosts: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client; none: the peer is.
    pub trusted_proxies: Vec<Cidr>,
    /// What one limited client may take, and how many screens a venue has.
    pub limits: Limits,
    /// The largest answer sent; list pages are cut to fit.
    pub max_answer: usize,
    /// How large a seat map may be.
    pub seat_maps: SeatMapLimits,
    /// The ISO 4217 currency of every amount.
    pub currency: Currency,
}

/// `clock_sync`: whom to ask whether the wall clock is synchronised at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSync {
    /// The kernel (`adjtimex`): NTP-synchronised or not.
    Kernel,
    /// Nobody: the clock is taken as unsynchronised (a machine whose kernel
    /// reports a synchronisation it does not have, such as some containers).
    Never,
}

impl ClockSync {
    /// Whether the wall clock counts as NTP-synchronised now.
    pub fn synchronised(self) -> bool {
        match self {
            Self::Kernel => crate::ntp::kernel_reports_synchronised(),
            Self::Never => false,
        }
    }
}

/// How large a seat map may be: rows, seats in a row, seats in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatMapLimits {
    pub rows: usize,
    pub row_seats: usize,
    pub screen_seats: usize,
}

impl SeatMapLimits {
    pub const DEFAULT: Self = Self {
        rows: 100,
        row_seats: 100,
        screen_seats: 5_000,
    };
}

/// An address block (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a
/// block of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: std::net::IpAddr = address.trim().parse().ok()?;
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse::<u8>().ok().filter(|prefix| *prefix <= most)?
            }
            Some(_) => return None,
            None => most,
        };
        Some(Self { network, prefix })
    }

    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let (network, address, bits) = match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => (
                u128::from(network.to_bits()),
                u128::from(address.to_bits()),
                32,
            ),
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                (network.to_bits(), address.to_bits(), 128)
            }
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => return self.contains(IpAddr::V4(v4)),
                None => return false,
            },
            (IpAddr::V6(_), IpAddr::V4(v4)) => {
                return self.contains(IpAddr::V6(v4.to_ipv6_mapped()))
            }
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || (network >> shift) == (address >> shift)
    }
}

/// `clock_sync`: `kernel` (the default) or `never`.
fn clock_sync(figment: &Figment) -> Result<ClockSync, ConfigError> {
    let value: String = key(figment, "clock_sync")?.unwrap_or_else(|| "kernel".into());
    match value.as_str() {
        "kernel" => Ok(ClockSync::Kernel),
        "never" => Ok(ClockSync::Never),
        other => Err(ConfigError {
            key: "clock_sync".into(),
            reason: format!("{other:?} is neither \"kernel\" nor \"never\""),
        }),
    }
}

/// A key whose value cannot be used; start-up stops with this one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid configuration key `{}`: {}",
            self.key, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

/// Rocket's figment with boxoffice's defaults beneath `Rocket.toml` and the
/// environment: port 5000 and a small JSON limit, also when `Rocket.toml` is absent.
pub fn figment() -> Figment {
    let limits = std::collections::BTreeMap::from([("json", DEFAULT_JSON_LIMIT)]);
    Figment::from(rocket::Config::default())
        .merge(Serialized::default("port", DEFAULT_PORT))
        .merge(Serialized::default("limits", limits))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ))
}

impl Config {
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        // Rocket's own keys (address, port, limits, ...) are checked here too, so
        // that their errors read like ours instead of failing at launch.
        if let Err(error) = figment.extract::<rocket::Config>() {
            return Err(ConfigError {
                key: error.path.join("."),
                reason: error.kind.to_string(),
            });
        }
        let timezone: String = key(figment, "timezone")?.unwrap_or_else(|| "UTC".into());
        let timezone = timezone.parse::<Tz>().map_err(|_| ConfigError {
            key: "timezone".into(),
            reason: format!("{timezone:?} is not an IANA time zone (e.g. UTC, Asia/Kolkata)"),
        })?;
        let capacity = key(figment, "capacity")?.unwrap_or(DEFAULT_CAPACITY);
        if capacity == 0 {
            return Err(ConfigError {
                key: "capacity".into(),
                reason: "must be at least 1".into(),
            });
        }
        let cache_size: ByteUnit = key(figment, "cache_size")?.unwrap_or(DEFAULT_CACHE_SIZE);
        let max_batch = key(figment, "max_batch")?.unwrap_or(DEFAULT_MAX_BATCH);
        if max_batch == 0 {
            return Err(ConfigError {
                key: "max_batch".into(),
                reason: "must be at least 1 (1 commits every command on its own)".into(),
            });
        }
        let queue_limit = key(figment, "queue_limit")?.unwrap_or(DEFAULT_QUEUE_LIMIT);
        if queue_limit == 0 {
            return Err(ConfigError {
                key: "queue_limit".into(),
                reason: "must be at least 1".into(),
            });
        }
        let hold_for = duration(figment, "hold_for", DEFAULT_HOLD_FOR)?;
        let hold_max = duration(figment, "hold_max", DEFAULT_HOLD_MAX)?;
        if hold_for > hold_max {
            return Err(ConfigError {
                key: "hold_for".into(),
                reason: format!(
                    "must not be longer than hold_max ({} s)",
                    hold_max.as_secs()
                ),
            });
        }
        let database_url = database_url(figment)?;
        let database_pool = key(figment, "database_pool")?.unwrap_or(DEFAULT_DATABASE_POOL);
        if database_pool == 0 {
            return Err(ConfigError {
                key: "database_pool".into(),
                reason: "must be at least 1".into(),
            });
        }
        let limits = limits(figment)?;
        let max_answer: ByteUnit = key(figment, "max_answer")?.unwrap_or(DEFAULT_MAX_ANSWER);
        if max_answer < MIN_MAX_ANSWER {
            return Err(ConfigError {
                key: "max_answer".into(),
                reason: format!(
                    "must be at least {MIN_MAX_ANSWER} (the largest screen fits in it)"
                ),
            });
        }
        let seat_maps = seat_map_limits(figment)?;
        let log_format: String = key(figment, "log_format")?.unwrap_or_else(|| "text".into());
        let log_format = LogFormat::parse(&log_format).ok_or_else(|| ConfigError {
            key: "log_format".into(),
            reason: format!("{log_format:?} is neither \"text\" nor \"json\""),
        })?;
        Ok(Self {
            db_path: key(figment, "db_path")?.unwrap_or_else(|| DEFAULT_DB_PATH.into()),
            api_token: token(figment, "api_token")?,
            timezone,
            capacity,
            expire_after: duration(figment, "expire_after", DEFAULT_EXPIRE_AFTER)?,
            purge_interval: duration(figment, "purge_interval", DEFAULT_PURGE_INTERVAL)?,
            turnaround: duration_or_zero(figment, "turnaround", DEFAULT_TURNAROUND)?,
            idempotency_ttl: duration(figment, "idempotency_ttl", DEFAULT_IDEMPOTENCY_TTL)?,
            hold_for,
            hold_max,
            admin_token: token(figment, "admin_token")?,
            session_idle: duration(figment, "session_idle", DEFAULT_SESSION_IDLE)?,
            cache_size: usize::try_from(cache_size.as_u64()).unwrap_or(usize::MAX),
            max_batch,
            queue_limit,
            log_format,
            database_url,
            database_pool,
            clock_sync: clock_sync(figment)?,
            allowed_hosts: allowed_hosts(figment)?,
            trusted_proxies: trusted_proxies(figment)?,
            limits,
            max_answer: usize::try_from(max_answer.as_u64()).unwrap_or(usize::MAX),
            seat_maps,
            currency: currency(figment)?,
        })
    }

    pub fn expire_after_millis(&self) -> i64 {
        millis(self.expire_after)
    }

    /// The rules the store applies.
    pub fn rules(&self) -> Rules {
        Rules {
            capacity: self.capacity,
            expire_after_ms: self.expire_after_millis(),
            turnaround_ms: millis(self.turnaround),
            idempotency_ttl_ms: millis(self.idempotency_ttl),
            hold_for_ms: millis(self.hold_for),
            hold_max_ms: millis(self.hold_max),
            limits: self.limits,
            zone: self.timezone,
            currency: self.currency,
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Reads one key; `None` when it is not set anywhere.
fn key<T: DeserializeOwned>(
    figment: &Figment,
    name: &'static str,
) -> Result<Option<T>, ConfigError> {
    match figment.extract_inner::<T>(name) {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.missing() => Ok(None),
        Err(error) => Err(ConfigError {
            key: name.into(),
            reason: error.kind.to_string(),
        }),
    }
}

fn duration(
    figment: &Figment,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let value = duration_or_zero(figment, name, default)?;
    if value.is_zero() {
        return Err(ConfigError {
            key: name.into(),
            reason: "must be longer than zero".into(),
        });
    }
    Ok(value)
}

/// A duration that may be zero (`turnaround = "0s"`: shows back to back).
fn duration_or_zero(
    figment: &Figment,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match key::<humantime_serde::Serde<Duration>>(figment, name) {
        Ok(value) => Ok(value.map_or(default, |value| *value)),
        Err(error) => Err(ConfigError {
            key: name.into(),
            reason: format!("{}; write a duration such as 90s, 1m or 8h", error.reason),
        }),
    }
}

/// `trusted_proxies`: a list of addresses and blocks (one alone may be
/// written as a string).
fn trusted_proxies(figment: &Figment) -> Result<Vec<Cidr>, ConfigError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let refused = |reason: String| ConfigError {
        key: "trusted_proxies".into(),
        reason,
    };
    let list = match key::<OneOrMany>(figment, "trusted_proxies").map_err(|_| {
        refused(
            "must be a list of addresses or blocks such as [\"10.0.0.1\", \"10.1.0.0/16\"]".into(),
        )
    })? {
        None => return Ok(Vec::new()),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    };
    list.iter()
        .map(|entry| {
            Cidr::parse(entry).ok_or_else(|| {
                refused(format!(
                    "{entry:?} is not an IP address or block (10.0.0.1, 10.1.0.0/16, ::1)"
                ))
            })
        })
        .collect()
}

/// A whole number of at least 1 (at most `most`), or the default.
fn positive(
    figment: &Figment,
    name: &'static str,
    default: u32,
    most: u32,
) -> Result<u32, ConfigError> {
    let value = key::<u32>(figment, name)?.unwrap_or(default);
    if value == 0 || value > most {
        return Err(ConfigError {
            key: name.into(),
            reason: format!("must be a whole number from 1 to {most}"),
        });
    }
    Ok(value)
}

/// The limits on one limited client.
fn limits(figment: &Figment) -> Result<Limits, ConfigError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Percent {
        Number(u32),
        Text(String),
    }
    let share_refused = || ConfigError {
        key: "hold_share".into(),
        reason: "must be a percentage from 1 to 100, such as 25 or \"25%\"".into(),
    };
    let hold_share_percent =
        match key::<Percent>(figment, "hold_share").map_err(|_| share_refused())? {
            None => DEFAULT_LIMITS.hold_share_percent,
            Some(Percent::Number(number)) => number,
            Some(Percent::Text(text)) => text
                .trim()
                .trim_end_matches('%')
                .trim_end()
                .parse()
                .map_err(|_| share_refused())?,
        };
    if !(1..=100).contains(&hold_share_percent) {
        return Err(share_refused());
    }
    let cooldown = duration_or_zero(
        figment,
        "hold_cooldown",
        Duration::from_millis(DEFAULT_LIMITS.hold_cooldown_ms.unsigned_abs()),
    )?;
    Ok(Limits {
        hold_share_percent,
        holds_per_client: positive(
            figment,
            "holds_per_client",
            DEFAULT_LIMITS.holds_per_client,
            1_000,
        )?,
        hold_cooldown_ms: millis(cooldown),
        // Judging a new key counts the client's live answers: at most this many.
        idempotency_per_client: positive(
            figment,
            "idempotency_per_client",
            DEFAULT_LIMITS.idempotency_per_client,
            10_000,
        )?,
        max_screens: positive(figment, "max_screens", DEFAULT_LIMITS.max_screens, 100_000)?,
    })
}

/// `currency`: an active ISO 4217 code (`EUR`, `JPY`), default `EUR`.
fn currency(figment: &Figment) -> Result<Currency, ConfigError> {
    let refused = |reason: String| ConfigError {
        key: "currency".into(),
        reason,
    };
    let Some(code) = key::<String>(figment, "currency")
        .map_err(|_| refused("must be an ISO 4217 code such as \"EUR\"".into()))?
    else {
        return Ok(Currency::EUR);
    };
    Currency::from_code(&code).ok_or_else(|| {
        refused(format!(
            "{code:?} is not an active ISO 4217 currency code (three capitals such as EUR, USD, JPY)"
        ))
    })
}

/// How large a seat map may be; never more than a map can hold at all.
fn seat_map_limits(figment: &Figment) -> Result<SeatMapLimits, ConfigError> {
    let most = u32::try_from(crate::domain::seating::MAX_SEATS).unwrap_or(u32::MAX);
    let read = |name, default: usize| {
        positive(figment, name, u32::try_from(default).unwrap_or(most), most)
            .map(|value| value as usize)
    };
    Ok(SeatMapLimits {
        rows: read("max_rows", SeatMapLimits::DEFAULT.rows)?,
        row_seats: read("max_row_seats", SeatMapLimits::DEFAULT.row_seats)?,
        screen_seats: read("max_screen_seats", SeatMapLimits::DEFAULT.screen_seats)?,
    })
}

/// The environment is parsed as TOML, so `ROCKET_API_TOKEN=12345` arrives as
/// an integer: any scalar is taken as its text.
/// A `postgres://` (or `postgresql://`) URL the driver can use. The value is
/// never repeated in the error: it may carry a password.
fn database_url(figment: &Figment) -> Result<Option<String>, ConfigError> {
    let url = key::<String>(figment, "database_url").map_err(|_| ConfigError {
        key: "database_url".into(),
        reason: "must be a string such as postgres://user:password@host/database".into(),
    })?;
    let Some(url) = url else {
        return Ok(None);
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ConfigError {
            key: "database_url".into(),
            reason: "must start with postgres:// or postgresql://".into(),
        });
    }
    if url.parse::<tokio_postgres::Config>().is_err() {
        return Err(ConfigError {
            key: "database_url".into(),
            reason:
                "is not a PostgreSQL connection URL (postgres://user:password@host:port/database)"
                    .into(),
        });
    }
    Ok(Some(url))
}

/// `allowed_hosts`: a list of host names, or one string of them separated
/// by commas or spaces (handier in `ROCKET_ALLOWED_HOSTS`). Names only: any
/// port is answered, and IP addresses and `localhost` always are.
fn allowed_hosts(figment: &Figment) -> Result<Vec<String>, ConfigError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hosts {
        List(Vec<String>),
        Text(String),
    }
    let refused = |reason: String| ConfigError {
        key: "allowed_hosts".into(),
        reason,
    };
    let hosts = key::<Hosts>(figment, "allowed_hosts").map_err(|_| {
        refused("must be a list of host names, such as [\"boxoffice.example\"]".into())
    })?;
    let names: Vec<String> = match hosts {
        None => Vec::new(),
        Some(Hosts::List(names)) => names,
        Some(Hosts::Text(text)) => text
            .split([',', ' '])
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    names
        .into_iter()
        .map(|name| {
            let bare = name.strip_suffix('.').unwrap_or(&name);
            let well_formed = !bare.is_empty()
                && bare.len() <= 253
                && bare.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if well_formed {
                Ok(bare.to_ascii_lowercase())
            } else {
                Err(refused(format!(
                    "{name:?} is not a host name (write a name such as boxoffice.example, \
                     without a scheme or a port)"
                )))
            }
        })
        .collect()
}

fn token(figment: &Figment, name: &'static str) -> Result<Option<String>, ConfigError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Bool(bool),
    }
    let Ok(token) = key::<Scalar>(figment, name) else {
        return Err(ConfigError {
            key: name.into(),
            reason: "must be a string".into(),
        });
    };
    let token = token.map(|token| match token {
        Scalar::Text(text) => text,
        Scalar::Unsigned(number) => number.to_string(),
        Scalar::Signed(number) => number.to_string(),
        Scalar::Bool(flag) => flag.to_string(),
    });
    match token {
        Some(token) if token.is_empty() => Err(ConfigError {
            key: name.into(),
            reason: "must not be empty (leave it unset to turn authentication off)".into(),
        }),
        token => Ok(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(rocket::Config::default());
        for (name, toml) in pairs {
            let value: rocket::figment::value::Value = toml.parse().unwrap();
            figment = figment.merge(Serialized::default(name, value));
        }
        Config::from_figment(&figment)
    }

    #[test]
    fn defaults_match_the_spec() {
        let config = with(&[]).unwrap();
        assert_eq!(config.db_path, PathBuf::from("data/boxoffice.redb"));
        assert_eq!(config.api_token, None);
        assert_eq!(config.timezone, Tz::UTC);
        assert_eq!(config.capacity, 20);
        assert_eq!(config.expire_after, Duration::from_hours(8));
        assert_eq!(config.purge_interval, Duration::from_mins(1));
        assert_eq!(config.max_batch, 256);
        assert_eq!(config.queue_limit, 4096);
        assert_eq!(config.turnaround, Duration::from_mins(15));
        assert_eq!(config.idempotency_ttl, Duration::from_hours(24));
        assert_eq!(config.admin_token, None);
        assert_eq!(config.hold_for, Duration::from_mins(10));
        assert_eq!(config.hold_max, Duration::from_mins(30));
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.allowed_hosts.is_empty());
        assert_eq!(config.trusted_proxies, Vec::new());
        assert_eq!(config.limits.hold_share_percent, 25);
        assert_eq!(config.limits.holds_per_client, 2);
        assert_eq!(config.limits.hold_cooldown_ms, 60_000);
        assert_eq!(config.limits.idempotency_per_client, 1_000);
        assert_eq!(config.limits.max_screens, 100);
        assert_eq!(config.max_answer, 4 << 20);
        assert_eq!(config.seat_maps, SeatMapLimits::DEFAULT);
        assert_eq!(config.currency, Currency::EUR);
        assert_eq!(
            (
                config.seat_maps.rows,
                config.seat_maps.row_seats,
                config.seat_maps.screen_seats
            ),
            (100, 100, 5_000)
        );
    }

    #[test]
    fn allowed_hosts_are_a_list_or_one_string_of_names() {
        let listed = with(&[("allowed_hosts", r#"["Boxoffice.Example", "till.local."]"#)]).unwrap();
        assert_eq!(listed.allowed_hosts, ["boxoffice.example", "till.local"]);
        let text = with(&[("allowed_hosts", r#""a.example, b.example""#)]).unwrap();
        assert_eq!(text.allowed_hosts, ["a.example", "b.example"]);
    }

    #[test]
    fn every_key_is_read() {
        let config = with(&[
            ("db_path", "/tmp/x.redb"),
            ("api_token", "s3cret"),
            ("timezone", "Asia/Kolkata"),
            ("capacity", "50"),
            ("expire_after", "90s"),
            ("purge_interval", "2s"),
            ("cache_size", "4 MiB"),
            ("max_batch", "1"),
            ("queue_limit", "8"),
            ("turnaround", "0s"),
            ("idempotency_ttl", "1h"),
            ("admin_token", "boss"),
            ("hold_for", "2m"),
            ("hold_max", "5m"),
            ("log_format", "json"),
            ("trusted_proxies", r#"["10.0.0.1", "10.1.0.0/16", "::1"]"#),
            ("hold_share", r#""40%""#),
            ("holds_per_client", "3"),
            ("hold_cooldown", "0s"),
            ("idempotency_per_client", "50"),
            ("max_screens", "7"),
            ("max_answer", r#""2 MiB""#),
            ("max_rows", "20"),
            ("max_row_seats", "30"),
            ("max_screen_seats", "10000"),
            ("currency", r#""JPY""#),
        ])
        .unwrap();
        assert_eq!(config.currency.code(), "JPY");
        assert_eq!(config.currency.exponent(), 0);
        assert_eq!(config.db_path, PathBuf::from("/tmp/x.redb"));
        assert_eq!(config.api_token.as_deref(), Some("s3cret"));
        assert_eq!(config.timezone, chrono_tz::Asia::Kolkata);
        assert_eq!(config.capacity, 50);
        assert_eq!(config.expire_after, Duration::from_secs(90));
        assert_eq!(config.purge_interval, Duration::from_secs(2));
        assert_eq!(config.cache_size, 4 << 20);
        assert_eq!(config.max_batch, 1);
        assert_eq!(config.queue_limit, 8);
        assert_eq!(config.turnaround, Duration::ZERO);
        assert_eq!(config.idempotency_ttl, Duration::from_hours(1));
        assert_eq!(config.admin_token.as_deref(), Some("boss"));
        assert_eq!(config.hold_for, Duration::from_mins(2));
        assert_eq!(config.hold_max, Duration::from_mins(5));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.trusted_proxies.len(), 3);
        assert_eq!(config.limits.hold_share_percent, 40);
        assert_eq!(config.limits.holds_per_client, 3);
        assert_eq!(config.limits.hold_cooldown_ms, 0);
        assert_eq!(config.limits.idempotency_per_client, 50);
        assert_eq!(config.limits.max_screens, 7);
        assert_eq!(config.max_answer, 2 << 20);
        assert_eq!(
            config.seat_maps,
            SeatMapLimits {
                rows: 20,
                row_seats: 30,
                screen_seats: 10_000
            }
        );
        assert_eq!(
            with(&[("hold_share", "10")])
                .unwrap()
                .limits
                .hold_share_percent,
            10
        );
    }

    #[test]
    fn address_blocks_hold_what_they_should() {
        let block = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(block.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        let one = Cidr::parse("::1").unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("127.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "host",
            "::1/129",
            "1.2.3.4/+8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_database_url_selects_postgres_and_never_echoes_its_password() {
        let config = with(&[
            (
                "database_url",
                "postgres://boxoffice:secret@127.0.0.1:5432/chain",
            ),
            ("database_pool", "4"),
        ])
        .unwrap();
        assert_eq!(
            config.database_url.as_deref(),
            Some("postgres://boxoffice:secret@127.0.0.1:5432/chain")
        );
        assert_eq!(config.database_pool, 4);
        assert_eq!(with(&[]).unwrap().database_url, None);
        let error = with(&[("database_url", "postgres://u:secret@host:notaport/db")]).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn a_numeric_token_is_taken_as_its_digits() {
        let config = with(&[("api_token", "12345")]).unwrap();
        assert_eq!(config.api_token.as_deref(), Some("12345"));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (name, value) in [
            ("timezone", "Mars/Olympus"),
            ("currency", r#""eur""#),
            ("currency", r#""XAU""#),
            ("currency", "978"),
            ("capacity", "0"),
            ("capacity", "-3"),
            ("capacity", "lots"),
            ("expire_after", "soon"),
            ("expire_after", "0s"),
            ("purge_interval", "0s"),
            ("purge_interval", "60"),
            ("api_token", ""),
            ("api_token", "[1, 2]"),
            ("cache_size", "big"),
            ("port", "\"not a port\""),
            ("address", "\"nowhere\""),
            ("max_batch", "0"),
            ("max_batch", "-1"),
            ("max_batch", "many"),
            ("queue_limit", "0"),
            ("turnaround", "soon"),
            ("idempotency_ttl", "0s"),
            ("admin_token", ""),
            ("hold_for", "1h"),
            ("hold_max", "0s"),
            ("queue_limit", "lots"),
            ("log_format", "xml"),
            ("log_format", "JSON"),
            ("log_format", "1"),
            ("database_url", "mysql://db/boxoffice"),
            ("database_url", "postgres://u:secret@host:notaport/db"),
            ("database_url", "42"),
            ("database_pool", "0"),
            ("database_pool", "many"),
            ("allowed_hosts", r#"["http://boxoffice.example"]"#),
            ("allowed_hosts", r#"["boxoffice.example:8000"]"#),
            ("allowed_hosts", r#"["*"]"#),
            ("allowed_hosts", r#"[""]"#),
            ("allowed_hosts", "42"),
            ("clock_sync", r#""sometimes""#),
            ("trusted_proxies", r#"["10.0.0.1", "proxy.local"]"#),
            ("trusted_proxies", "42"),
            ("trusted_proxies", r#""10.0.0.0/40""#),
            ("hold_share", "0"),
            ("hold_share", "101"),
            ("hold_share", r#""lots""#),
            ("holds_per_client", "0"),
            ("holds_per_client", "-1"),
            ("hold_cooldown", "soon"),
            ("idempotency_per_client", "0"),
            ("idempotency_per_client", "many"),
            ("idempotency_per_client", "10001"),
            ("max_screens", "0"),
            ("max_answer", r#""64 KiB""#),
            ("max_answer", r#""huge""#),
            ("max_rows", "0"),
            ("max_row_seats", "-5"),
            ("max_screen_seats", "10001"),
        ] {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!(error.key, name, "{name} = {value}: {error}");
            assert!(error.to_string().contains(name));
            assert!(!error.to_string().contains('\n'));
        }
    }
}
