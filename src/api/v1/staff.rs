//! Signing in and out, staff accounts and API keys (admin), and the audit
//! trail (manager). A session answers as an `HttpOnly; SameSite=Strict`
//! cookie for the pages and as a bearer token for programs; a key is shown
//! once, at creation. Passwords and tokens are never answered, logged or
//! kept with an `Idempotency-Key`'s answer.

use std::fmt::Write as _;

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::{delete, get, patch, post, State};
use rocket_okapi::openapi;
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Admin, Anyone, Kiosk, Manager};
use super::fields::{Body, Checked, Fields, Object};
use super::params::{page, time_in_query, Query};
use super::schema;
use crate::api::auth::{session_idle_ms, SESSION_COOKIE};
use crate::api::idempotency::IdempotencyKey;
use crate::api::problem::{Kind, Problem};
use crate::api::reply::{changed, created, deleted, ok, rfc3339, List, Read, Sent};
use crate::api::state::App;
use crate::domain::ids::spell;
use crate::domain::staff::{
    digest, password_fits, Account, ActorKind, ApiKey, AuditEntry, Login, Role, Throttle,
    KEY_PREFIX, MAX_LOGIN_LEN, MAX_NAME_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
    SESSION_PREFIX,
};
use crate::domain::Refusal;
use crate::usecases::staff::{AccountPatch, AuditFilter, NewAccount, NewKey};
use crate::usecases::Cursor;

const LOGIN_PATTERN: &str = "^[a-z0-9._-]{1,64}$";
const ROLES: [&str; 5] = ["kiosk", "door", "cashier", "manager", "admin"];

/// 32 random bytes as hex, behind `prefix`.
fn secret(prefix: &str) -> Result<String, Problem> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| {
        Problem::new(
            Kind::StorageUnavailable,
            "The system's random generator cannot be read now.",
        )
    })?;
    let mut text = String::with_capacity(prefix.len() + 64);
    text.push_str(prefix);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    Ok(text)
}

fn role_schema() -> Schema {
    schema::one_of_strings(
        &ROLES,
        "kiosk < door < cashier < manager < admin: each may do all the ones before it can.",
    )
}

fn read_role(body: &Object<'_>, field: &str) -> Result<Option<Role>, Problem> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(text)) => Role::parse(text).map(Some).ok_or_else(|| {
            body.invalid(field, "must be one of kiosk, door, cashier, manager, admin")
        }),
        Some(_) => Err(body.invalid(field, "must be a string")),
    }
}

/// A login's schema: the pattern the service holds logins to.
fn login_schema(description: &str) -> Schema {
    let mut login = schema::text(MAX_LOGIN_LEN, description);
    if let Schema::Object(object) = &mut login {
        object.string().pattern = Some(LOGIN_PATTERN.into());
    }
    login
}

fn read_login(body: &Object<'_>) -> Result<Login, Problem> {
    match body.get("login") {
        Some(Value::String(text)) => Login::parse(text)
            .ok_or_else(|| body.invalid("login", "must be 1 to 64 of a-z, 0-9, '.', '_' and '-'")),
        Some(_) => Err(body.invalid("login", "must be a string")),
        None => Err(body.missing("login")),
    }
}

/// A password as typed: never trimmed or normalised.
fn read_password(body: &Object<'_>, field: &str) -> Result<Option<String>, Problem> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(text)) if text.chars().count() <= MAX_PASSWORD_CHARS => {
            Ok(Some(text.clone()))
        }
        Some(Value::String(_)) => Err(body.invalid(field, "must have at most 1024 characters")),
        Some(_) => Err(body.invalid(field, "must be a string")),
    }
}

fn new_password(body: &Object<'_>, field: &str) -> Result<Option<String>, Problem> {
    let password = read_password(body, field)?;
    if password.as_deref().is_some_and(|text| !password_fits(text)) {
        return Err(body.invalid(field, "must have at least 8 characters"));
    }
    Ok(password)
}

/// A password's schema: any characters at all, as typed.
fn password_schema(min_chars: usize, description: &str) -> Schema {
    schema::string(min_chars, MAX_PASSWORD_CHARS, description)
}

// ---- sessions ------------------------------------------------------------------------

/// A sign-in: a login and its password.
pub struct SignInRequest;

pub struct SignIn {
    login: Login,
    password: String,
}

impl JsonSchema for SignInRequest {
    fn schema_name() -> String {
        "SignIn".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                ("login", login_schema("The account's login.")),
                ("password", password_schema(1, "Its password.")),
            ],
            &["login", "password"],
        )
        .into()
    }
}

impl Fields for SignInRequest {
    type Output = SignIn;

    fn read(body: &Object<'_>, _app: &App) -> Result<SignIn, Problem> {
        Ok(SignIn {
            login: read_login(body)?,
            password: body.required("password", read_password(body, "password")?)?,
        })
    }

    fn example() -> Value {
        json!({ "login": "asha", "password": "correct horse battery" })
    }
}

/// A session: `token` for `Authorization: Bearer`, `csrfToken` for the
/// `X-CSRF-Token` of writes the cookie signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Session")]
pub struct SessionAnswer {
    pub token: String,
    pub csrf_token: String,
    pub login: String,
    pub role: String,
    pub expires_at: String,
}

fn wrong_login() -> Problem {
    Problem::new(Kind::Unauthorized, "Wrong login or password.")
}

/// Sign in.
///
/// Answers the session as a cookie (`HttpOnly; SameSite=Strict`, for the
/// pages) and in the body (for programs). Wrong passwords for one login are
/// slowed down: after each, the next try waits twice as long (1 s, 2 s, ...
/// at most 15 min; 429 with `Retry-After` until then). The answer never
/// says whether the login exists. Takes no `Idempotency-Key`: a sign-in is
/// never replayed.
#[openapi(tag = "Staff", operation_id = "signIn")]
#[post("/sessions", data = "<body>")]
pub async fn sign_in(
    _anyone: Anyone,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    body: Body<SignInRequest>,
) -> Result<Sent<SessionAnswer, 201>, Problem> {
    let Checked(SignIn { login, password }, _) = body?;
    let state = app.bookings.sign_in_state(login.clone()).await?;
    if state.wait_ms > 0 {
        return Err(Problem {
            retry_after: Some(seconds(state.wait_ms)),
            ..Problem::new(
                Kind::TooManyAttempts,
                "Too many wrong passwords for this login: try again later.",
            )
        });
    }
    let hash = state
        .account
        .as_ref()
        .map(|account| account.password_hash.clone());
    let matched = app.passwords.verify(hash, password).await?;
    let account = state.account.filter(|account| matched && account.active);
    let Some(account) = account else {
        let throttle = app.bookings.sign_in_failed(login).await?;
        return Err(Problem {
            retry_after: Some(seconds(Throttle::delay(throttle.failures))),
            ..wrong_login()
        });
    };
    let token = secret(SESSION_PREFIX)?;
    let csrf = secret("")?;
    let idle = session_idle_ms(&app.config);
    let session = app
        .bookings
        .open_session(login, digest(&token), csrf.clone(), idle)
        .await?;
    app.staff_seen.saw();
    cookies.add(
        Cookie::build((SESSION_COOKIE, token.clone()))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/"),
    );
    let answer = SessionAnswer {
        token,
        csrf_token: csrf,
        login: account.login.as_str().to_owned(),
        role: account.role.as_str().to_owned(),
        expires_at: rfc3339(session.expires_at, app.config.timezone),
    };
    Ok(created(|answer: &SessionAnswer| answer.clone())
        .answer(crate::usecases::Written::Fresh(answer)))
}

fn seconds(ms: i64) -> u64 {
    u64::try_from(ms.saturating_add(999) / 1000).unwrap_or(0)
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Whoami")]
pub struct WhoamiAnswer {
    /// A login, a key's name, `api_token`, `admin_token` or `anonymous`.
    pub login: String,
    pub role: String,
    /// `session`, `key`, `token` or `open` (nothing is configured: anyone
    /// may do everything).
    pub kind: String,
    /// The session's CSRF token, for the pages after a reload.
    pub csrf_token: Option<String>,
    /// The sales channel it sells on (`counter`, `kiosk`, `api`): the ticket
    /// types it may sell are those sold there.
    pub channel: String,
}

/// Who is signed in (or which key or token is used).
#[openapi(tag = "Staff", operation_id = "currentSession")]
#[get("/sessions/current")]
pub async fn current_session(allowed: Kiosk, app: &State<App>) -> Read<WhoamiAnswer> {
    let actor = allowed.0;
    let (kind, csrf_token) = match &actor.kind {
        ActorKind::Session { digest, .. } => {
            let idle = session_idle_ms(&app.config);
            let csrf = app
                .bookings
                .session(*digest, idle)
                .await?
                .map(|(session, _)| session.csrf);
            ("session", csrf)
        }
        ActorKind::Key(_) => ("key", None),
        ActorKind::Token => ("token", None),
        ActorKind::Open => ("open", None),
    };
    Ok(ok(&WhoamiAnswer {
        login: actor.name.clone(),
        role: actor.role.as_str().to_owned(),
        kind: kind.into(),
        csrf_token,
        channel: actor.channel().as_str().to_owned(),
    }))
}

/// Sign out: the session ends now (404 when the request is not signed by a
/// session). Takes no `Idempotency-Key`.
#[openapi(tag = "Staff", operation_id = "signOut")]
#[delete("/sessions/current")]
pub async fn sign_out(
    allowed: Kiosk,
    app: &State<App>,
    cookies: &CookieJar<'_>,
) -> Result<Sent<(), 204>, Problem> {
    let actor = allowed.0;
    let ActorKind::Session { digest, .. } = &actor.kind else {
        return Err(Problem::not_found(
            "This request is not signed by a session: keys and tokens do not sign out.",
        ));
    };
    if !app.bookings.end_session(*digest, &actor).await? {
        return Err(Problem::not_found("The session has ended already."));
    }
    cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(deleted().answer(crate::usecases::Written::Fresh(())))
}

// ---- staff accounts ------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Staff")]
pub struct StaffAnswer {
    #[schemars(regex(pattern = r"^[a-z0-9._-]{1,64}$"))]
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub created_at: String,
}

fn staff_answer(account: &Account, zone: chrono_tz::Tz) -> StaffAnswer {
    StaffAnswer {
        login: account.login.as_str().to_owned(),
        display_name: account.display_name.clone(),
        role: account.role.as_str().to_owned(),
        active: account.active,
        created_at: rfc3339(account.created_at, zone),
    }
}

/// A new staff account.
pub struct NewStaffRequest;

pub struct NewStaff {
    login: Login,
    display_name: String,
    role: Role,
    password: String,
}

impl JsonSchema for NewStaffRequest {
    fn schema_name() -> String {
        "NewStaff".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                (
                    "login",
                    login_schema("1 to 64 of a-z, 0-9, '.', '_' and '-'."),
                ),
                (
                    "displayName",
                    schema::text(MAX_NAME_CHARS, "The name the pages show."),
                ),
                ("role", role_schema()),
                (
                    "password",
                    password_schema(MIN_PASSWORD_CHARS, "At least 8 characters."),
                ),
            ],
            &["login", "displayName", "role", "password"],
        )
        .into()
    }
}

impl Fields for NewStaffRequest {
    type Output = NewStaff;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewStaff, Problem> {
        Ok(NewStaff {
            login: read_login(body)?,
            display_name: body
                .required("displayName", body.text("displayName", MAX_NAME_CHARS)?)?,
            role: body.required("role", read_role(body, "role")?)?,
            password: body.required("password", new_password(body, "password")?)?,
        })
    }

    fn example() -> Value {
        json!({ "login": "asha", "displayName": "Asha Rao", "role": "cashier", "password": "correct horse battery" })
    }
}

/// A change of a staff account; a new `password` replaces the old one.
pub struct StaffPatchRequest;

pub struct StaffPatch {
    display_name: Option<String>,
    role: Option<Role>,
    active: Option<bool>,
    password: Option<String>,
}

impl JsonSchema for StaffPatchRequest {
    fn schema_name() -> String {
        "StaffPatch".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        let object = schema::object(
            vec![
                (
                    "displayName",
                    schema::text(MAX_NAME_CHARS, "The name the pages show."),
                ),
                ("role", role_schema()),
                (
                    "active",
                    schema::boolean("`false`: the account can no longer sign in."),
                ),
                (
                    "password",
                    password_schema(MIN_PASSWORD_CHARS, "A new password, at least 8 characters."),
                ),
            ],
            &[],
        );
        schema::described(
            schema::at_least_one_of(object, &["displayName", "role", "active", "password"]),
            "What changes: any of `displayName`, `role`, `active`, `password`.",
        )
    }
}

impl Fields for StaffPatchRequest {
    type Output = StaffPatch;

    fn read(body: &Object<'_>, _app: &App) -> Result<StaffPatch, Problem> {
        let patch = StaffPatch {
            display_name: body.text("displayName", MAX_NAME_CHARS)?,
            role: read_role(body, "role")?,
            active: body.boolean("active")?,
            password: new_password(body, "password")?,
        };
        if patch.display_name.is_none()
            && patch.role.is_none()
            && patch.active.is_none()
            && patch.password.is_none()
        {
            return Err(Problem::invalid(
                "Nothing to change: send displayName, role, active or password.",
            ));
        }
        Ok(patch)
    }

    fn example() -> Value {
        json!({ "role": "manager" })
    }
}

fn login_in_path(login: &str) -> Result<Login, Problem> {
    Login::parse(login).ok_or_else(|| Refusal::StaffNotFound.into())
}

/// List staff accounts, oldest first.
#[openapi(tag = "Staff", operation_id = "listStaff")]
#[get("/staff?<limit>&<cursor>")]
pub async fn list_staff(
    _allowed: Admin,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<StaffAnswer>> {
    let cursors = app.cursor_key.list("staff".into());
    let accounts = app
        .bookings
        .accounts(page(&limit, &cursor, &cursors)?)
        .await?;
    let zone = app.config.timezone;
    Ok(List::fitted(
        accounts,
        |account| staff_answer(&account, zone),
        |account| Cursor {
            at: 0,
            id: account.id,
        },
        &cursors,
        app.config.max_answer,
    ))
}

/// Add a staff account (409 `in-use` when the login is taken).
#[openapi(tag = "Staff", operation_id = "createStaff")]
#[post("/staff", data = "<body>")]
pub async fn create_staff(
    allowed: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewStaffRequest>,
) -> Result<Sent<StaffAnswer, 201>, Problem> {
    let Checked(new, json) = body?;
    let zone = app.config.timezone;
    let write = created(move |account: &Account| staff_answer(account, zone));
    // The password never reaches the key's stored request digest in clear.
    let once = write.once(&key, Some(&redacted(json)))?;
    let password_hash = app.passwords.hash(new.password).await?;
    let account = NewAccount {
        login: new.login,
        display_name: new.display_name,
        role: new.role,
        password_hash,
    };
    let written = app
        .bookings
        .create_account(account, &allowed.0, once)
        .await?;
    app.staff_seen.saw();
    Ok(write.answer(written))
}

/// A body with its password replaced by a digest of it, so that a retry
/// with the same password matches and the stored digest of the request
/// holds no password.
fn redacted(mut json: Value) -> Value {
    if let Some(Value::String(password)) = json.get_mut("password") {
        *password = spell(u128::from_be_bytes(
            digest(password)[..16].try_into().unwrap_or([0; 16]),
        ));
    }
    json
}

#[openapi(tag = "Staff", operation_id = "getStaff")]
#[get("/staff/<login>")]
pub async fn get_staff(_allowed: Admin, app: &State<App>, login: &str) -> Read<StaffAnswer> {
    let login = login_in_path(login)?;
    let account = app
        .bookings
        .account(login)
        .await?
        .ok_or(Refusal::StaffNotFound)?;
    Ok(ok(&staff_answer(&account, app.config.timezone)))
}

/// Change a staff account: its name, role, password, or whether it may
/// sign in (`active`).
#[openapi(tag = "Staff", operation_id = "updateStaff")]
#[patch("/staff/<login>", data = "<body>")]
pub async fn update_staff(
    allowed: Admin,
    app: &State<App>,
    login: &str,
    key: IdempotencyKey,
    body: Body<StaffPatchRequest>,
) -> Result<Sent<StaffAnswer, 200>, Problem> {
    let login = login_in_path(login)?;
    let Checked(patch, json) = body?;
    let zone = app.config.timezone;
    let write = changed(move |account: &Account| staff_answer(account, zone));
    let once = write.once(&key, Some(&redacted(json)))?;
    let password_hash = match patch.password {
        Some(password) => Some(app.passwords.hash(password).await?),
        None => None,
    };
    let patch = AccountPatch {
        display_name: patch.display_name,
        role: patch.role,
        active: patch.active,
        password_hash,
    };
    let written = app
        .bookings
        .update_account(login, patch, &allowed.0, once)
        .await?;
    Ok(write.answer(written))
}

// ---- API keys -------------------------------------------------------------------------

/// An API key; `key` only in the answer that created it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ApiKey")]
pub struct KeyAnswer {
    #[schemars(regex(pattern = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"))]
    pub id: String,
    pub name: String,
    pub role: String,
    /// The key itself, shown once: in the answer that created it (never in
    /// a list, nor in the answer an `Idempotency-Key` replays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn key_answer(key: &ApiKey, zone: chrono_tz::Tz, secret: Option<String>) -> KeyAnswer {
    KeyAnswer {
        id: spell(key.id),
        name: key.name.clone(),
        role: key.role.as_str().to_owned(),
        key: secret,
        created_at: rfc3339(key.created_at, zone),
        revoked_at: key.revoked_at.map(|at| rfc3339(at, zone)),
    }
}

/// A new API key: its name (`kiosk-lobby`, `scanner-1`, `webshop`) and role.
pub struct NewKeyRequest;

pub struct NewKeyFields {
    name: String,
    role: Role,
}

impl JsonSchema for NewKeyRequest {
    fn schema_name() -> String {
        "NewApiKey".into()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        schema::object(
            vec![
                (
                    "name",
                    schema::text(
                        MAX_NAME_CHARS,
                        "What the key is for; the audit trail names it.",
                    ),
                ),
                ("role", role_schema()),
            ],
            &["name", "role"],
        )
        .into()
    }
}

impl Fields for NewKeyRequest {
    type Output = NewKeyFields;

    fn read(body: &Object<'_>, _app: &App) -> Result<NewKeyFields, Problem> {
        Ok(NewKeyFields {
            name: body.required("name", body.text("name", MAX_NAME_CHARS)?)?,
            role: body.required("role", read_role(body, "role")?)?,
        })
    }

    fn example() -> Value {
        json!({ "name": "kiosk-lobby", "role": "kiosk" })
    }
}

/// List API keys, revoked ones too, oldest first (never the keys themselves).
#[openapi(tag = "Staff", operation_id = "listKeys")]
#[get("/keys?<limit>&<cursor>")]
pub async fn list_keys(
    _allowed: Admin,
    app: &State<App>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<KeyAnswer>> {
    let cursors = app.cursor_key.list("keys".into());
    let keys = app.bookings.keys(page(&limit, &cursor, &cursors)?).await?;
    let zone = app.config.timezone;
    Ok(List::fitted(
        keys,
        |key| key_answer(&key, zone, None),
        |key| Cursor { at: 0, id: key.id },
        &cursors,
        app.config.max_answer,
    ))
}

/// Make an API key. The answer shows the key once; only its digest is kept.
#[openapi(tag = "Staff", operation_id = "createKey")]
#[post("/keys", data = "<body>")]
pub async fn create_key(
    allowed: Admin,
    app: &State<App>,
    key: IdempotencyKey,
    body: Body<NewKeyRequest>,
) -> Result<Sent<KeyAnswer, 201>, Problem> {
    let Checked(fields, json) = body?;
    let zone = app.config.timezone;
    let secret = secret(KEY_PREFIX)?;
    // The answer a retry gets again lacks the key: it is kept nowhere.
    let once =
        created(move |api_key: &ApiKey| key_answer(api_key, zone, None)).once(&key, Some(&json))?;
    let new = NewKey {
        name: fields.name,
        role: fields.role,
        digest: digest(&secret),
    };
    let written = app.bookings.create_key(new, &allowed.0, once).await?;
    app.staff_seen.saw();
    Ok(
        created(move |api_key: &ApiKey| key_answer(api_key, zone, Some(secret.clone())))
            .answer(written),
    )
}

/// Revoke an API key: it is refused from now on.
#[openapi(tag = "Staff", operation_id = "revokeKey")]
#[delete("/keys/<id>")]
pub async fn revoke_key(
    allowed: Admin,
    app: &State<App>,
    id: &str,
    key: IdempotencyKey,
) -> Result<Sent<(), 204>, Problem> {
    let id = crate::domain::ids::parse_ulid(id).ok_or(Refusal::KeyNotFound)?;
    let write = deleted();
    let once = write.once(&key, None)?;
    Ok(write.answer(app.bookings.revoke_key(id, &allowed.0, once).await?))
}

// ---- audit ----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AuditEntry")]
pub struct AuditAnswer {
    pub id: String,
    pub at: String,
    /// A login, a key's name, `api_token`, `admin_token`, `operator` (the
    /// command line) or `anonymous`.
    pub actor: String,
    /// What was done: `staff.create`, `key.revoke`, `session.open`, ...
    pub action: String,
    /// The ids it touched.
    pub subject: String,
    pub amount: Option<i64>,
}

fn audit_answer(entry: &AuditEntry, zone: chrono_tz::Tz) -> AuditAnswer {
    AuditAnswer {
        id: spell(entry.id),
        at: rfc3339(entry.at, zone),
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        subject: entry.subject.clone(),
        amount: entry.amount,
    }
}

fn text_in_query(name: &str, values: &[&str]) -> Result<Option<String>, Problem> {
    match values {
        [] => Ok(None),
        [value] if !value.is_empty() && value.chars().count() <= 100 => {
            Ok(Some((*value).to_owned()))
        }
        [_] => Err(Problem::bad_request(format!(
            "{name} must be 1 to 100 characters."
        ))),
        _ => Err(Problem::bad_request(format!(
            "{name} is given more than once."
        ))),
    }
}

/// The audit trail, oldest first: `from <= at < to`, by `actor`, of
/// `action`.
#[openapi(tag = "Staff", operation_id = "listAudit")]
#[get("/audit?<from>&<to>&<actor>&<action>&<limit>&<cursor>")]
#[allow(clippy::too_many_arguments)]
pub async fn list_audit(
    _allowed: Manager,
    app: &State<App>,
    from: Query<'_>,
    to: Query<'_>,
    actor: Query<'_>,
    action: Query<'_>,
    limit: Query<'_>,
    cursor: Query<'_>,
) -> Read<List<AuditAnswer>> {
    let zone = app.config.timezone;
    let filter = AuditFilter {
        from: time_in_query("from", &from, zone)?,
        to: time_in_query("to", &to, zone)?,
        actor: text_in_query("actor", &actor)?,
        action: text_in_query("action", &action)?,
    };
    let list = format!(
        "audit\n{:?}\n{:?}\n{:?}\n{:?}",
        filter.from, filter.to, filter.actor, filter.action
    );
    let cursors = app.cursor_key.list(list);
    let request = page(&limit, &cursor, &cursors)?;
    let entries = app.bookings.audit(filter, request).await?;
    Ok(List::fitted(
        entries,
        |entry| audit_answer(&entry, zone),
        |entry| Cursor {
            at: 0,
            id: entry.id,
        },
        &cursors,
        app.config.max_answer,
    ))
}
