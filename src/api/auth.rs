//! Who is asking: the one place a request's credentials become an
//! [`Actor`]. A credential is a session token, an API key or one of the
//! configured tokens, sent as `Authorization: Bearer` (`/v1` only) or
//! `X-Auth-Token`, or the session cookie the pages sign in with (its writes
//! also need `X-CSRF-Token`). With no token, key or account configured the
//! service is open and everyone is the anonymous admin. `/api` takes any
//! actor (there is no 403 on `/api`); `/v1` routes each name the least role
//! they need (`v1::auth`).

use rocket::http::{Method, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{SecurityRequirement, SecurityScheme, SecuritySchemeData};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::error::Error;
use crate::api::state::App;
use crate::config::Config;
use crate::domain::staff::{digest, Actor, ActorKind, Role, KEY_PREFIX, SESSION_PREFIX};
use crate::domain::Millis;

pub const TOKEN_HEADER: &str = "X-Auth-Token";
pub const CSRF_HEADER: &str = "X-CSRF-Token";
pub const SESSION_COOKIE: &str = "boxoffice_session";
pub const SECURITY_SCHEME: &str = "ApiKeyAuth";

/// What a request's credentials came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Actor(Actor),
    /// No credential on a closed service, or one the service does not know
    /// (wrong, expired, revoked): 401.
    Unauthorized,
    /// A write signed by the session cookie without its `X-CSRF-Token`: 403.
    NoCsrf,
    /// Storage could not say: 503.
    Unavailable,
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            Millis::try_from(since.as_millis()).unwrap_or(Millis::MAX)
        })
}

/// Whether a token is configured (a key or an account may close the
/// service too: see [`is_open`]).
pub fn tokens_configured(config: &Config) -> bool {
    config.api_token.is_some() || config.admin_token.is_some()
}

/// Whether the service is open to everyone: no token, no key, no account.
pub async fn is_open(app: &App) -> Result<bool, ()> {
    if tokens_configured(&app.config) {
        return Ok(false);
    }
    if app.staff_seen.seen() {
        return Ok(false);
    }
    let now = now_ms();
    if app.staff_seen.go_by_last(now) {
        return Ok(true);
    }
    let configured = app.bookings.staff_configured().await.ok();
    app.staff_seen.asked(now, configured);
    configured.map(|configured| !configured).ok_or(())
}

/// The warning for a service anyone may use (no token, key or account is
/// configured), in one line with the command that closes it.
pub fn open_service_warning(address: std::net::IpAddr) -> String {
    let who = if address.to_canonical().is_loopback() {
        "anyone on this machine".to_owned()
    } else {
        format!("anyone who can reach {address}, beyond this machine,")
    };
    format!(
        "boxoffice is open: no token, API key or staff account is configured, so {who} can read \
         and change everything; close it with `boxoffice staff add LOGIN --role admin` on the \
         stopped service"
    )
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case),
/// if the request sends one. Only `/v1` takes it as a token.
pub(crate) fn bearer_token<'r>(request: &'r Request<'_>) -> Option<&'r str> {
    let (scheme, token) = request
        .headers()
        .get_one("Authorization")?
        .trim()
        .split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares without an early exit, so the time taken does not tell how much
/// of a guess was right.
pub(crate) fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (index, byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(!byte);
        difference |= std::hint::black_box(byte ^ other);
    }
    difference == 0
}

/// The actor a configured token stands for: `admin_token` is an `admin`
/// key; `api_token` a `cashier` key beside it, else an `admin` key (as
/// before accounts and roles existed).
pub fn token_actor(config: &Config, given: &str) -> Option<Actor> {
    let matches = |expected: Option<&String>| {
        expected.is_some_and(|expected| constant_time_eq(given.as_bytes(), expected.as_bytes()))
    };
    let (name, role) = if matches(config.admin_token.as_ref()) {
        ("admin_token", Role::Admin)
    } else if matches(config.api_token.as_ref()) {
        let role = if config.admin_token.is_some() {
            Role::Cashier
        } else {
            Role::Admin
        };
        ("api_token", role)
    } else {
        return None;
    };
    Some(Actor {
        name: name.into(),
        role,
        kind: ActorKind::Token,
    })
}

/// The session cookie's value, if sent.
fn session_cookie(request: &Request<'_>) -> Option<String> {
    request
        .cookies()
        .get(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

fn is_write(method: Method) -> bool {
    !matches!(method, Method::Get | Method::Head | Method::Options)
}

/// `session_idle` in milliseconds.
pub fn session_idle_ms(config: &Config) -> Millis {
    Millis::try_from(config.session_idle.as_millis()).unwrap_or(Millis::MAX)
}

/// The actor of a session token or an API key, and a session's CSRF token.
async fn stored_actor(
    app: &App,
    secret: &str,
    cookie: bool,
) -> Result<Option<(Actor, Option<String>)>, ()> {
    let digest = digest(secret);
    if secret.starts_with(SESSION_PREFIX) {
        let idle = session_idle_ms(&app.config);
        let Some((session, account)) = app.bookings.session(digest, idle).await.map_err(|_| ())?
        else {
            return Ok(None);
        };
        let actor = Actor {
            name: account.login.as_str().to_owned(),
            role: account.role,
            kind: ActorKind::Session { digest, cookie },
        };
        return Ok(Some((actor, Some(session.csrf))));
    }
    if !secret.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let key = app.bookings.key_by_digest(digest).await.map_err(|_| ())?;
    Ok(key.map(|key| {
        let actor = Actor {
            name: key.name,
            role: key.role,
            kind: ActorKind::Key(key.id),
        };
        (actor, None)
    }))
}

async fn resolve_now(request: &Request<'_>) -> Resolved {
    let Some(app) = request.rocket().state::<App>() else {
        return Resolved::Unavailable;
    };
    let v1 = crate::api::paths::is_v1(request.uri().path().as_str());
    let header = if v1 {
        bearer_token(request).or_else(|| request.headers().get_one(TOKEN_HEADER))
    } else {
        request.headers().get_one(TOKEN_HEADER)
    };
    let found = match header {
        Some(given) => match token_actor(&app.config, given) {
            Some(actor) => Ok(Some((actor, None))),
            None => stored_actor(app, given, false).await,
        },
        None => match session_cookie(request) {
            Some(cookie) => stored_actor(app, &cookie, true).await,
            None => Ok(None),
        },
    };
    let (actor, csrf) = match found {
        Ok(Some(found)) => found,
        Err(()) => return Resolved::Unavailable,
        Ok(None) => {
            // An open service ignores whatever was sent.
            return match is_open(app).await {
                Ok(true) => Resolved::Actor(Actor::open()),
                Ok(false) => Resolved::Unauthorized,
                Err(()) => Resolved::Unavailable,
            };
        }
    };
    if let ActorKind::Session { cookie: true, .. } = &actor.kind {
        if is_write(request.method()) {
            let sent = request.headers().get_one(CSRF_HEADER).unwrap_or("");
            let expected = csrf.unwrap_or_default();
            if expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                return Resolved::NoCsrf;
            }
        }
    }
    Resolved::Actor(actor)
}

/// The request's actor, worked out once per request.
pub async fn resolve<'r>(request: &'r Request<'_>) -> &'r Resolved {
    request
        .local_cache_async(async { resolve_now(request).await })
        .await
}

/// The actor, if the request has one.
pub async fn actor_of(request: &Request<'_>) -> Option<Actor> {
    match resolve(request).await {
        Resolved::Actor(actor) => Some(actor.clone()),
        _ => None,
    }
}

/// Proof that the request may use `/api`: any actor. Handlers take it as a
/// parameter.
pub struct Authorized(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Authorized {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match resolve(request).await {
            Resolved::Actor(actor) => Outcome::Success(Authorized(actor.clone())),
            Resolved::Unavailable => Outcome::Error((
                Status::ServiceUnavailable,
                Error::Unavailable("the database cannot say who is asking"),
            )),
            // `/api` has no 403: a cookie write without its CSRF token is
            // not signed at all.
            Resolved::Unauthorized | Resolved::NoCsrf => {
                Outcome::Error((Status::Unauthorized, Error::Unauthorized))
            }
        }
    }
}

impl OpenApiFromRequest<'_> for Authorized {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        let scheme = SecurityScheme {
            description: Some(
                "An API key, a staff session's token or a configured token; needed once any \
                 token, key or staff account is configured. The documents stay public."
                    .into(),
            ),
            data: SecuritySchemeData::ApiKey {
                name: TOKEN_HEADER.into(),
                location: "header".into(),
            },
            extensions: rocket_okapi::okapi::Map::default(),
        };
        let mut requirement = SecurityRequirement::new();
        requirement.insert(SECURITY_SCHEME.into(), Vec::new());
        Ok(RequestHeaderInput::Security(
            SECURITY_SCHEME.into(),
            scheme,
            requirement,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(api: Option<&str>, admin: Option<&str>) -> Config {
        let figment = crate::config::figment().merge(("db_path", "unused.redb"));
        let mut config = Config::from_figment(&figment).expect("a valid configuration");
        config.api_token = api.map(str::to_owned);
        config.admin_token = admin.map(str::to_owned);
        config
    }

    #[test]
    fn only_the_exact_token_matches() {
        assert!(constant_time_eq(b"12345", b"12345"));
        assert!(!constant_time_eq(b"12346", b"12345"));
        assert!(!constant_time_eq(b"1234", b"12345"));
        assert!(!constant_time_eq(b"123456", b"12345"));
        assert!(!constant_time_eq(b"", b"12345"));
    }

    #[test]
    fn the_api_token_is_an_admin_key_unless_an_admin_token_is_set() {
        let role = |config: &Config, given| token_actor(config, given).map(|actor| actor.role);
        let alone = config(Some("clerk"), None);
        assert_eq!(role(&alone, "clerk"), Some(Role::Admin));
        assert_eq!(role(&alone, "boss"), None);
        let both = config(Some("clerk"), Some("boss"));
        assert_eq!(role(&both, "clerk"), Some(Role::Cashier));
        assert_eq!(role(&both, "boss"), Some(Role::Admin));
        for wrong in ["", "guess", "boss ", "clerk2"] {
            assert_eq!(role(&both, wrong), None);
        }
    }
}
