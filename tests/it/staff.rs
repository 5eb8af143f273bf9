//! Staff: signing in and out, sessions that end when unused, the CSRF token
//! of cookie writes, wrong passwords slowed alike for every login, API keys
//! shown once and refused once revoked, roles that change nothing they may
//! not, `Idempotency-Key`s of an account, the audit trail, and the open
//! service closed by its first key. Each on redb and on PostgreSQL.

use boxoffice::App;
use rocket::http::Status;
use serde_json::{json, Value};

use crate::support::*;

const BOSS: (&str, &str) = ("X-Auth-Token", "boss");
const PASSWORD: &str = "correct horse battery";

/// A service on redb, or on PostgreSQL when `postgres` names the test;
/// `admin_token` is `boss` unless `open`.
fn service(postgres: Option<&str>, open: bool) -> (Local, Option<crate::pg::TestDatabase>) {
    let database = postgres.map(crate::pg::database);
    let url = database.as_ref().map(|database| database.url.clone());
    let local = local_with(|figment| {
        let mut figment = figment.merge(("session_idle", "1h"));
        if !open {
            figment = figment.merge(("admin_token", "boss"));
        }
        match url {
            Some(url) => figment.merge(("database_url", url)),
            None => figment,
        }
    });
    (local, database)
}

/// A test of the service, once on redb and once on PostgreSQL (ignored
/// unless asked for: it needs a server).
macro_rules! on_both_backends {
    ($redb:ident, $postgres:ident, $open:expr, $test:expr) => {
        #[test]
        fn $redb() {
            let (local, _none) = service(None, $open);
            ($test)(&local);
        }

        #[test]
        #[ignore = "needs PostgreSQL: set BOXOFFICE_TEST_DATABASE_URL (scripts/pg-test-cluster start)"]
        fn $postgres() {
            let (local, _database) = service(Some(stringify!($postgres)), $open);
            ($test)(&local);
        }
    };
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

fn call(
    service: &Local,
    method: &str,
    uri: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Received {
    let body = body.map(Value::to_string);
    service.request(method, uri, body.as_deref(), headers)
}

/// Makes an account with `admin_token`.
#[track_caller]
fn add_staff(service: &Local, login: &str, role: &str) {
    let body = json!({"login": login, "displayName": login, "role": role, "password": PASSWORD});
    let made = call(service, "POST", "/v1/staff", Some(&body), &[BOSS]);
    assert_eq!(made.status, Status::Created, "{}", made.text);
}

/// Makes a key with `admin_token`; returns it.
#[track_caller]
fn add_key(service: &Local, name: &str, role: &str) -> String {
    let made = call(
        service,
        "POST",
        "/v1/keys",
        Some(&json!({"name": name, "role": role})),
        &[BOSS],
    );
    assert_eq!(made.status, Status::Created, "{}", made.text);
    made.body["key"].as_str().expect("the key, once").to_owned()
}

#[track_caller]
fn sign_in(service: &Local, login: &str, password: &str) -> Received {
    call(
        service,
        "POST",
        "/v1/sessions",
        Some(&json!({"login": login, "password": password})),
        &[],
    )
}

fn verifications(service: &Local) -> u64 {
    service
        .client
        .rocket()
        .state::<App>()
        .expect("the app")
        .passwords
        .verifications()
}

fn signing_in_answers_a_session_as_a_cookie_and_a_token_until_signed_out(service: &Local) {
    add_staff(service, "asha", "cashier");
    let session = sign_in(service, "asha", PASSWORD);
    assert_eq!(session.status, Status::Created, "{}", session.text);
    let cookie = session.header("Set-Cookie").expect("a cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(session.body["login"], "asha");
    assert_eq!(session.body["role"], "cashier");
    let token = session.body["token"].as_str().unwrap().to_owned();
    assert!(session.body["csrfToken"].as_str().unwrap().len() >= 32);
    assert!(session.body["expiresAt"].is_string());
    assert!(!session.text.contains(PASSWORD));
    let who = call(
        service,
        "GET",
        "/v1/sessions/current",
        None,
        &[(bearer(&token).0, &bearer(&token).1)],
    );
    assert_eq!(who.status, Status::Ok, "{}", who.text);
    assert_eq!(who.body["login"], "asha");
    assert_eq!(who.body["kind"], "session");
    let out = call(
        service,
        "DELETE",
        "/v1/sessions/current",
        None,
        &[(bearer(&token).0, &bearer(&token).1)],
    );
    assert_eq!(out.status, Status::NoContent, "{}", out.text);
    let after = call(
        service,
        "GET",
        "/v1/shows",
        None,
        &[(bearer(&token).0, &bearer(&token).1)],
    );
    assert_eq!(
        after.status,
        Status::Unauthorized,
        "a session signed out is refused"
    );
}

on_both_backends!(
    signing_in_answers_a_session_as_a_cookie_and_a_token_until_signed_out_on_redb,
    signing_in_answers_a_session_as_a_cookie_and_a_token_until_signed_out_on_postgresql,
    false,
    signing_in_answers_a_session_as_a_cookie_and_a_token_until_signed_out
);

fn a_session_ends_after_session_idle_unused_and_lives_on_while_used(service: &Local) {
    add_staff(service, "asha", "cashier");
    let token = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = bearer(&token);
    let headers = [(auth.0, auth.1.as_str())];
    // Used every 40 minutes of a 1 h idle limit: it lives on.
    for _ in 0..4 {
        service.clock.advance(40 * 60_000);
        let used = call(service, "GET", "/v1/shows", None, &headers);
        assert_eq!(used.status, Status::Ok, "{}", used.text);
    }
    service.clock.advance(HOUR + 1);
    let idle = call(service, "GET", "/v1/shows", None, &headers);
    assert_eq!(idle.status, Status::Unauthorized, "{}", idle.text);
}

on_both_backends!(
    a_session_ends_after_session_idle_unused_and_lives_on_while_used_on_redb,
    a_session_ends_after_session_idle_unused_and_lives_on_while_used_on_postgresql,
    false,
    a_session_ends_after_session_idle_unused_and_lives_on_while_used
);

fn a_write_signed_by_the_cookie_needs_the_csrf_token(service: &Local) {
    add_staff(service, "asha", "admin");
    let session = sign_in(service, "asha", PASSWORD);
    let csrf = session.body["csrfToken"].as_str().unwrap().to_owned();
    // The tracked client sends the cookie from now on.
    let film = json!({"title": "Heat", "runtimeMinutes": 170});
    let read = call(service, "GET", "/v1/films", None, &[]);
    assert_eq!(read.status, Status::Ok, "a cookie read needs no CSRF token");
    let without = call(service, "POST", "/v1/films", Some(&film), &[]);
    assert_eq!(without.status, Status::Forbidden, "{}", without.text);
    let wrong = call(
        service,
        "POST",
        "/v1/films",
        Some(&film),
        &[("X-CSRF-Token", "guess")],
    );
    assert_eq!(wrong.status, Status::Forbidden, "{}", wrong.text);
    let films = call(service, "GET", "/v1/films", None, &[]);
    assert_eq!(
        films.body["items"],
        json!([]),
        "refused writes changed nothing"
    );
    let with = call(
        service,
        "POST",
        "/v1/films",
        Some(&film),
        &[("X-CSRF-Token", &csrf)],
    );
    assert_eq!(with.status, Status::Created, "{}", with.text);
    let who = call(service, "GET", "/v1/sessions/current", None, &[]);
    assert_eq!(
        who.body["csrfToken"],
        csrf.as_str(),
        "the pages find it again"
    );
}

on_both_backends!(
    a_write_signed_by_the_cookie_needs_the_csrf_token_on_redb,
    a_write_signed_by_the_cookie_needs_the_csrf_token_on_postgresql,
    false,
    a_write_signed_by_the_cookie_needs_the_csrf_token
);

fn wrong_passwords_are_slowed_alike_whether_or_not_the_login_exists(service: &Local) {
    add_staff(service, "asha", "cashier");
    for login in ["asha", "nobody"] {
        let first = sign_in(service, login, "wrong password");
        assert_eq!(first.status, Status::Unauthorized, "{}", first.text);
        assert_eq!(first.header("Retry-After"), Some("1"));
        assert_eq!(first.body["type"], "urn:boxoffice:unauthorized");
        let hurried = sign_in(service, login, PASSWORD);
        assert_eq!(hurried.status, Status::TooManyRequests, "{}", hurried.text);
        assert_eq!(hurried.body["type"], "urn:boxoffice:too-many-attempts");
        assert_eq!(hurried.header("Retry-After"), Some("1"));
        service.clock.advance(1000);
        let second = sign_in(service, login, "wrong again");
        assert_eq!(second.header("Retry-After"), Some("2"), "doubling");
        service.clock.advance(2000);
        let third = sign_in(service, login, "and again");
        assert_eq!(third.header("Retry-After"), Some("4"));
        let text = |answer: &Received| {
            let mut body = answer.body.clone();
            body["detail"] = Value::Null;
            (
                answer.status,
                body,
                answer.header("Retry-After").map(str::to_owned),
            )
        };
        assert_eq!(text(&first).0, Status::Unauthorized);
        assert_eq!(text(&third).1["type"], "urn:boxoffice:unauthorized");
        service.clock.advance(4000);
    }
    // Many more: the wait stops at 15 minutes.
    for _ in 0..12 {
        let answer = sign_in(service, "nobody", "wrong");
        let wait: i64 = answer.header("Retry-After").unwrap().parse().unwrap();
        assert!(wait <= 900, "{wait}");
        service.clock.advance(wait * 1000);
    }
    let capped = sign_in(service, "nobody", "wrong");
    assert_eq!(capped.header("Retry-After"), Some("900"));
    // A right password after the wait signs in, and clears the count.
    service.clock.advance(4000);
    assert_eq!(sign_in(service, "asha", PASSWORD).status, Status::Created);
    let fresh = sign_in(service, "asha", "wrong");
    assert_eq!(fresh.header("Retry-After"), Some("1"));
}

on_both_backends!(
    wrong_passwords_are_slowed_alike_whether_or_not_the_login_exists_on_redb,
    wrong_passwords_are_slowed_alike_whether_or_not_the_login_exists_on_postgresql,
    false,
    wrong_passwords_are_slowed_alike_whether_or_not_the_login_exists
);

fn an_unknown_login_costs_as_many_password_checks_as_a_known_one(service: &Local) {
    add_staff(service, "asha", "cashier");
    let before = verifications(service);
    let known = sign_in(service, "asha", "wrong password");
    let after_known = verifications(service);
    let unknown = sign_in(service, "nobody", "wrong password");
    let after_unknown = verifications(service);
    assert_eq!(after_known - before, 1);
    assert_eq!(
        after_unknown - after_known,
        1,
        "the dummy hash is checked too"
    );
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body, "one answer for both");
    assert_eq!(known.header("Retry-After"), unknown.header("Retry-After"));
    // A throttled try checks nothing, known or not.
    let waiting = verifications(service);
    sign_in(service, "asha", PASSWORD);
    sign_in(service, "nobody", PASSWORD);
    assert_eq!(verifications(service), waiting);
}

on_both_backends!(
    an_unknown_login_costs_as_many_password_checks_as_a_known_one_on_redb,
    an_unknown_login_costs_as_many_password_checks_as_a_known_one_on_postgresql,
    false,
    an_unknown_login_costs_as_many_password_checks_as_a_known_one
);

fn a_key_is_shown_once_and_refused_from_the_moment_it_is_revoked(service: &Local) {
    let made = call(
        service,
        "POST",
        "/v1/keys",
        Some(&json!({"name": "scanner-1", "role": "door"})),
        &[BOSS, ("Idempotency-Key", "key-1")],
    );
    assert_eq!(made.status, Status::Created, "{}", made.text);
    let key = made.body["key"].as_str().unwrap().to_owned();
    let id = made.body["id"].as_str().unwrap().to_owned();
    let again = call(
        service,
        "POST",
        "/v1/keys",
        Some(&json!({"name": "scanner-1", "role": "door"})),
        &[BOSS, ("Idempotency-Key", "key-1")],
    );
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(again.body["id"], id.as_str());
    assert!(!again.text.contains(&key), "a replay does not show the key");
    let listed = call(service, "GET", "/v1/keys", None, &[BOSS]);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(!listed.text.contains(&key), "{}", listed.text);
    let auth = bearer(&key);
    let used = call(service, "GET", "/v1/shows", None, &[(auth.0, &auth.1)]);
    assert_eq!(used.status, Status::Ok, "{}", used.text);
    let revoked = call(service, "DELETE", &format!("/v1/keys/{id}"), None, &[BOSS]);
    assert_eq!(revoked.status, Status::NoContent, "{}", revoked.text);
    let refused = call(service, "GET", "/v1/shows", None, &[(auth.0, &auth.1)]);
    assert_eq!(refused.status, Status::Unauthorized, "{}", refused.text);
    let on_api = call(
        service,
        "GET",
        &format!("/api/user-details?ticketId={id}"),
        None,
        &[("X-Auth-Token", &key)],
    );
    assert_eq!(on_api.status, Status::Unauthorized);
    let listed = call(service, "GET", "/v1/keys", None, &[BOSS]);
    assert!(
        listed.body["items"][0]["revokedAt"].is_string(),
        "{}",
        listed.text
    );
    let unknown = call(
        service,
        "DELETE",
        "/v1/keys/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        None,
        &[BOSS],
    );
    assert_eq!(unknown.status, Status::NotFound);
}

on_both_backends!(
    a_key_is_shown_once_and_refused_from_the_moment_it_is_revoked_on_redb,
    a_key_is_shown_once_and_refused_from_the_moment_it_is_revoked_on_postgresql,
    false,
    a_key_is_shown_once_and_refused_from_the_moment_it_is_revoked
);

fn a_role_that_may_not_write_is_refused_and_changes_nothing(service: &Local) {
    let kiosk = add_key(service, "kiosk-lobby", "kiosk");
    let cashier = add_key(service, "till-1", "cashier");
    let manager = add_key(service, "boss-2", "manager");
    let film = json!({"title": "Heat", "runtimeMinutes": 170});
    for key in [&kiosk, &cashier, &manager] {
        let refused = call(
            service,
            "POST",
            "/v1/films",
            Some(&film),
            &[("X-Auth-Token", key)],
        );
        assert_eq!(refused.status, Status::Forbidden, "{}", refused.text);
        assert_eq!(refused.body["type"], "urn:boxoffice:forbidden");
        let staff =
            json!({"login": "x", "displayName": "x", "role": "admin", "password": PASSWORD});
        let refused = call(
            service,
            "POST",
            "/v1/staff",
            Some(&staff),
            &[("X-Auth-Token", key)],
        );
        assert_eq!(refused.status, Status::Forbidden, "{}", refused.text);
    }
    assert_eq!(
        call(service, "GET", "/v1/films", None, &[BOSS]).body["items"],
        json!([])
    );
    assert_eq!(
        call(service, "GET", "/v1/staff", None, &[BOSS]).body["items"],
        json!([])
    );
    // A kiosk reads and books; it may not search bookings or read the audit.
    let search = json!({"phoneNumber": "9876543210"});
    let refused = call(
        service,
        "POST",
        "/v1/bookings/search",
        Some(&search),
        &[("X-Auth-Token", &kiosk)],
    );
    assert_eq!(refused.status, Status::Forbidden);
    let found = call(
        service,
        "POST",
        "/v1/bookings/search",
        Some(&search),
        &[("X-Auth-Token", &cashier)],
    );
    assert_eq!(found.status, Status::Ok, "{}", found.text);
    assert_eq!(
        call(
            service,
            "GET",
            "/v1/audit",
            None,
            &[("X-Auth-Token", &cashier)]
        )
        .status,
        Status::Forbidden
    );
    assert_eq!(
        call(
            service,
            "GET",
            "/v1/audit",
            None,
            &[("X-Auth-Token", &manager)]
        )
        .status,
        Status::Ok
    );
    // `/api` takes any key, and has no 403.
    let booked = call(
        service,
        "POST",
        "/api/book-ticket",
        Some(&booking("Asha Rao", 1, SHOW)),
        &[("X-Auth-Token", &kiosk)],
    );
    assert_eq!(booked.status, Status::Ok, "{}", booked.text);
    let anonymous = call(
        service,
        "POST",
        "/api/book-ticket",
        Some(&booking("Asha Rao", 1, SHOW)),
        &[],
    );
    assert_eq!(anonymous.status, Status::Unauthorized);
}

on_both_backends!(
    a_role_that_may_not_write_is_refused_and_changes_nothing_on_redb,
    a_role_that_may_not_write_is_refused_and_changes_nothing_on_postgresql,
    false,
    a_role_that_may_not_write_is_refused_and_changes_nothing
);

fn an_idempotency_key_belongs_to_the_account_not_to_one_session(service: &Local) {
    add_staff(service, "asha", "admin");
    let first = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    let film = json!({"title": "Heat", "runtimeMinutes": 170});
    let send = |token: &str| {
        let auth = bearer(token);
        call(
            service,
            "POST",
            "/v1/films",
            Some(&film),
            &[(auth.0, &auth.1), ("Idempotency-Key", "film-1")],
        )
    };
    let made = send(&first);
    assert_eq!(made.status, Status::Created, "{}", made.text);
    let again = send(&second);
    assert_eq!(
        again.header("Idempotent-Replayed"),
        Some("true"),
        "{}",
        again.text
    );
    assert_eq!(again.body["id"], made.body["id"]);
    // Another actor's same key is its own.
    let other = call(
        service,
        "POST",
        "/v1/films",
        Some(&film),
        &[BOSS, ("Idempotency-Key", "film-1")],
    );
    assert_eq!(other.header("Idempotent-Replayed"), None);
    assert_eq!(
        call(service, "GET", "/v1/films", None, &[BOSS]).body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

on_both_backends!(
    an_idempotency_key_belongs_to_the_account_not_to_one_session_on_redb,
    an_idempotency_key_belongs_to_the_account_not_to_one_session_on_postgresql,
    false,
    an_idempotency_key_belongs_to_the_account_not_to_one_session
);

fn the_audit_trail_says_who_did_what_and_never_a_secret(service: &Local) {
    add_staff(service, "asha", "manager");
    let key = add_key(service, "kiosk-lobby", "kiosk");
    let token = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let patch = json!({"role": "admin", "password": "another good one"});
    let changed = call(service, "PATCH", "/v1/staff/asha", Some(&patch), &[BOSS]);
    assert_eq!(changed.status, Status::Ok, "{}", changed.text);
    assert_eq!(changed.body["role"], "admin");
    let auth = bearer(&token);
    let trail = call(service, "GET", "/v1/audit", None, &[(auth.0, &auth.1)]);
    assert_eq!(trail.status, Status::Ok, "{}", trail.text);
    let entries: Vec<(String, String, String)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap().to_owned(),
                entry["action"].as_str().unwrap().to_owned(),
                entry["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let names: Vec<(&str, &str)> = entries
        .iter()
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("admin_token", "staff.create"),
            ("admin_token", "key.create"),
            ("asha", "session.open"),
            ("admin_token", "staff.update"),
        ]
    );
    for secret in [PASSWORD, "another good one", &key, &token, "argon2"] {
        assert!(!trail.text.contains(secret), "{secret} in {}", trail.text);
    }
    let staff = call(service, "GET", "/v1/staff", None, &[BOSS]);
    assert!(!staff.text.contains("argon2"), "{}", staff.text);
    let by_actor = call(
        service,
        "GET",
        "/v1/audit?actor=asha",
        None,
        &[(auth.0, &auth.1)],
    );
    assert_eq!(
        by_actor.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        by_actor.text
    );
    let by_action = call(
        service,
        "GET",
        "/v1/audit?action=key.create&limit=1",
        None,
        &[(auth.0, &auth.1)],
    );
    assert_eq!(by_action.body["items"][0]["action"], "key.create");
    assert_eq!(by_action.body["nextCursor"], Value::Null);
    let paged = call(
        service,
        "GET",
        "/v1/audit?limit=3",
        None,
        &[(auth.0, &auth.1)],
    );
    let cursor = paged.body["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = call(
        service,
        "GET",
        &format!("/v1/audit?limit=3&cursor={cursor}"),
        None,
        &[(auth.0, &auth.1)],
    );
    assert_eq!(
        rest.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        rest.text
    );
    let later = call(
        service,
        "GET",
        "/v1/audit?from=2031-01-01T00:00:00Z",
        None,
        &[(auth.0, &auth.1)],
    );
    assert_eq!(later.body["items"], json!([]));
    // The new password signs in; the old one no longer does.
    service.clock.advance(1000);
    assert_eq!(
        sign_in(service, "asha", "another good one").status,
        Status::Created
    );
    assert_eq!(
        sign_in(service, "asha", PASSWORD).status,
        Status::Unauthorized
    );
}

on_both_backends!(
    the_audit_trail_says_who_did_what_and_never_a_secret_on_redb,
    the_audit_trail_says_who_did_what_and_never_a_secret_on_postgresql,
    false,
    the_audit_trail_says_who_did_what_and_never_a_secret
);

fn an_inactive_account_cannot_sign_in_and_its_sessions_end(service: &Local) {
    add_staff(service, "asha", "cashier");
    let token = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let off = call(
        service,
        "PATCH",
        "/v1/staff/asha",
        Some(&json!({"active": false})),
        &[BOSS],
    );
    assert_eq!(off.status, Status::Ok, "{}", off.text);
    let auth = bearer(&token);
    assert_eq!(
        call(service, "GET", "/v1/shows", None, &[(auth.0, &auth.1)]).status,
        Status::Unauthorized
    );
    let refused = sign_in(service, "asha", PASSWORD);
    assert_eq!(refused.status, Status::Unauthorized);
    let twice = call(
        service,
        "POST",
        "/v1/staff",
        Some(&json!({"login": "asha", "displayName": "A", "role": "door", "password": PASSWORD})),
        &[BOSS],
    );
    assert_eq!(twice.status, Status::Conflict, "{}", twice.text);
    for bad in [
        json!({"login": "Asha", "displayName": "A", "role": "door", "password": PASSWORD}),
        json!({"login": "bo", "displayName": "B", "role": "root", "password": PASSWORD}),
        json!({"login": "bo", "displayName": "B", "role": "door", "password": "short"}),
    ] {
        let refused = call(service, "POST", "/v1/staff", Some(&bad), &[BOSS]);
        assert_eq!(
            refused.status,
            Status::UnprocessableEntity,
            "{bad}: {}",
            refused.text
        );
        assert!(!refused.text.contains(PASSWORD));
    }
}

on_both_backends!(
    an_inactive_account_cannot_sign_in_and_its_sessions_end_on_redb,
    an_inactive_account_cannot_sign_in_and_its_sessions_end_on_postgresql,
    false,
    an_inactive_account_cannot_sign_in_and_its_sessions_end
);

fn an_open_service_says_so_until_its_first_key_closes_it(service: &Local) {
    let ready = call(service, "GET", "/readyz", None, &[]);
    let warning = ready.body["warnings"][0]
        .as_str()
        .expect("a warning")
        .to_owned();
    assert!(warning.contains("boxoffice staff add"), "{warning}");
    let who = call(service, "GET", "/v1/sessions/current", None, &[]);
    assert_eq!(who.body["kind"], "open", "{}", who.text);
    let made = call(
        service,
        "POST",
        "/v1/keys",
        Some(&json!({"name": "first", "role": "admin"})),
        &[],
    );
    assert_eq!(made.status, Status::Created, "{}", made.text);
    let key = made.body["key"].as_str().unwrap().to_owned();
    assert_eq!(
        call(service, "GET", "/v1/shows", None, &[]).status,
        Status::Unauthorized
    );
    assert_eq!(
        call(service, "GET", "/v1/shows", None, &[("X-Auth-Token", &key)]).status,
        Status::Ok
    );
    let ready = call(service, "GET", "/readyz", None, &[]);
    assert_eq!(ready.body, json!({"status": "pass"}));
    let trail = call(service, "GET", "/v1/audit", None, &[("X-Auth-Token", &key)]);
    assert_eq!(trail.body["items"][0]["actor"], "anonymous");
}

on_both_backends!(
    an_open_service_says_so_until_its_first_key_closes_it_on_redb,
    an_open_service_says_so_until_its_first_key_closes_it_on_postgresql,
    true,
    an_open_service_says_so_until_its_first_key_closes_it
);

/// Runs `boxoffice ARGS` in `dir` with `input` on standard input.
fn with_input(args: &[&str], dir: &std::path::Path, input: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = boxoffice_command(args, dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_command_line_adds_the_first_admin_and_a_key_to_a_stopped_service() {
    let dir = local().close();
    let database = dir.path().join("boxoffice.redb");
    let database = database.to_str().unwrap();
    let added = with_input(
        &[
            "staff",
            "add",
            "asha",
            "--role",
            "admin",
            "--database",
            database,
        ],
        dir.path(),
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    assert!(!text(&added.stdout).contains(PASSWORD));
    let again = with_input(
        &[
            "staff",
            "add",
            "asha",
            "--role",
            "door",
            "--database",
            database,
        ],
        dir.path(),
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(again.status.code(), Some(1), "the login is taken");
    let short = with_input(
        &[
            "staff",
            "add",
            "bo",
            "--role",
            "door",
            "--database",
            database,
        ],
        dir.path(),
        "short\n",
    );
    assert_eq!(short.status.code(), Some(1), "{}", text(&short.stderr));
    let bad_role = with_input(
        &[
            "staff",
            "add",
            "bo",
            "--role",
            "root",
            "--database",
            database,
        ],
        dir.path(),
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(bad_role.status.code(), Some(1));
    let key = boxoffice(
        &[
            "staff",
            "key",
            "add",
            "kiosk-lobby",
            "--role",
            "kiosk",
            "--database",
            database,
        ],
        dir.path(),
    );
    assert_eq!(key.status.code(), Some(0), "{}", text(&key.stderr));
    let key = text(&key.stdout).trim().to_owned();
    assert!(key.starts_with("bok_"), "{key}");
    let service = local_in(dir, |figment| figment);
    assert_eq!(
        call(&service, "GET", "/v1/shows", None, &[]).status,
        Status::Unauthorized,
        "closed"
    );
    let session = sign_in(&service, "asha", PASSWORD);
    assert_eq!(session.status, Status::Created, "{}", session.text);
    assert_eq!(session.body["role"], "admin");
    let kiosk = call(
        &service,
        "GET",
        "/v1/shows",
        None,
        &[("X-Auth-Token", &key)],
    );
    assert_eq!(kiosk.status, Status::Ok, "{}", kiosk.text);
    let token = session.body["token"].as_str().unwrap().to_owned();
    let auth = bearer(&token);
    let trail = call(
        &service,
        "GET",
        "/v1/audit?action=staff.create",
        None,
        &[(auth.0, &auth.1)],
    );
    assert_eq!(
        trail.body["items"][0]["actor"], "operator",
        "{}",
        trail.text
    );
}

#[test]
fn the_command_line_refuses_a_database_the_service_has_open() {
    let service = local();
    let database = service.dir.path().join("boxoffice.redb");
    let refused = with_input(
        &[
            "staff",
            "add",
            "asha",
            "--role",
            "admin",
            "--database",
            database.to_str().unwrap(),
        ],
        service.dir.path(),
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("POST /v1/staff"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn export_and_import_carry_staff_keys_and_the_audit_trail_never_a_secret_in_clear() {
    let service = local_with(|figment| figment.merge(("admin_token", "boss")));
    add_staff(&service, "asha", "manager");
    let key = add_key(&service, "kiosk-lobby", "kiosk");
    let revoked = add_key(&service, "old", "door");
    let keys = call(&service, "GET", "/v1/keys", None, &[BOSS]);
    let revoked_id = keys.body["items"][1]["id"].as_str().unwrap().to_owned();
    call(
        &service,
        "DELETE",
        &format!("/v1/keys/{revoked_id}"),
        None,
        &[BOSS],
    );
    let session = sign_in(&service, "asha", PASSWORD);
    let token = session.body["token"].as_str().unwrap().to_owned();
    // A change of the catalogue and a sale, audited with their actors.
    let film = json!({"title": "Heat", "runtimeMinutes": 170});
    made(
        call(&service, "POST", "/v1/films", Some(&film), &[BOSS]),
        Status::Created,
    );
    made(
        call(
            &service,
            "POST",
            "/api/book-ticket",
            Some(&booking("Asha Rao", 1, SHOW)),
            &[("X-Auth-Token", &key)],
        ),
        Status::Ok,
    );
    let dir = service.close();
    let database = dir.path().join("boxoffice.redb");
    let exported = boxoffice(
        &["export", "--database", database.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        exported.status.code(),
        Some(0),
        "{}",
        text(&exported.stderr)
    );
    let dump = text(&exported.stdout);
    for kind in ["\"staff\"", "\"apiKey\"", "\"audit\""] {
        assert!(dump.contains(kind), "{kind} in {dump}");
    }
    for action in ["\"film.create\"", "\"booking.create\""] {
        assert!(dump.contains(action), "{action} in {dump}");
    }
    for secret in [PASSWORD, key.as_str(), revoked.as_str(), token.as_str()] {
        assert!(!dump.contains(secret), "a secret in the dump");
    }
    assert!(dump.contains("$argon2id$"), "the hash, not the password");
    let checked = boxoffice(&["check", database.to_str().unwrap()], dir.path());
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stdout));
    let copy = tempfile::tempdir().unwrap();
    let dump_file = copy.path().join("dump.jsonl");
    std::fs::write(&dump_file, &dump).unwrap();
    let imported_db = copy.path().join("boxoffice.redb");
    let imported = boxoffice(
        &[
            "import",
            dump_file.to_str().unwrap(),
            "--database",
            imported_db.to_str().unwrap(),
        ],
        copy.path(),
    );
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    let again = boxoffice(
        &["export", "--database", imported_db.to_str().unwrap()],
        copy.path(),
    );
    assert_eq!(
        text(&again.stdout),
        dump,
        "export → import → export is the same"
    );
    let service = local_in(copy, |figment| figment);
    assert_eq!(sign_in(&service, "asha", PASSWORD).status, Status::Created);
    assert_eq!(
        call(
            &service,
            "GET",
            "/v1/shows",
            None,
            &[("X-Auth-Token", &key)]
        )
        .status,
        Status::Ok
    );
    assert_eq!(
        call(
            &service,
            "GET",
            "/v1/shows",
            None,
            &[("X-Auth-Token", &revoked)]
        )
        .status,
        Status::Unauthorized
    );
    assert_eq!(
        call(
            &service,
            "GET",
            "/v1/shows",
            None,
            &[("X-Auth-Token", &token)]
        )
        .status,
        Status::Unauthorized,
        "sessions are not carried: everyone signs in again"
    );
}

/// A password is taken as typed: spaces, line breaks and any script at all,
/// up to 1024 characters (not bytes); one more is refused and changes nothing.
#[test]
fn any_characters_make_a_password_up_to_1024_of_them() {
    let (service, _none) = service(None, false);
    add_staff(&service, "asha", "cashier");
    let set_password = |password: &str| {
        call(
            &service,
            "PATCH",
            "/v1/staff/asha",
            Some(&json!({ "password": password })),
            &[BOSS],
        )
    };
    let typed = "\n  pass\tword ÄÖ 日本語 \u{200b}*\n";
    let changed = set_password(typed);
    assert_eq!(changed.status, Status::Ok, "{}", changed.text);
    assert_eq!(sign_in(&service, "asha", typed).status, Status::Created);

    let longest = "日".repeat(1024);
    let changed = set_password(&longest);
    assert_eq!(
        changed.status,
        Status::Ok,
        "1024 characters of 3 bytes each: {}",
        changed.text
    );
    let refused = set_password(&format!("{longest}x"));
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.text
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("at most 1024 characters"),
        "{}",
        refused.text
    );
    assert_eq!(sign_in(&service, "asha", &longest).status, Status::Created);
    let changed = set_password(typed);
    assert_eq!(changed.status, Status::Ok, "{}", changed.text);
    assert_eq!(
        sign_in(&service, "asha", typed.trim()).status,
        Status::Unauthorized,
        "never trimmed"
    );
}

/// Makes something with `admin_token`; returns its id.
#[track_caller]
fn made_by_boss(service: &Local, uri: &str, body: &Value) -> String {
    let made = call(service, "POST", uri, Some(body), &[BOSS]);
    assert_eq!(made.status, Status::Created, "{uri}: {}", made.text);
    made.body["id"].as_str().expect("an id").to_owned()
}

fn each_caller_is_told_its_channel_and_holds_only_its_types(service: &Local) {
    let types = call(service, "GET", "/v1/ticket-types", None, &[BOSS]);
    let admission = types.body["items"][0]["id"].as_str().unwrap().to_owned();
    let saver = made_by_boss(
        service,
        "/v1/ticket-types",
        &json!({"name": "Saver", "channels": ["kiosk"]}),
    );
    let crew = made_by_boss(
        service,
        "/v1/ticket-types",
        &json!({"name": "Crew", "channels": ["counter"]}),
    );
    let cards = call(service, "GET", "/v1/price-cards", None, &[BOSS]);
    let card = cards.body["items"][0]["id"].as_str().unwrap().to_owned();
    let prices = json!({"prices": [
        {"type": admission, "amount": 900},
        {"type": saver, "amount": 700},
        {"type": crew, "amount": 0},
    ]});
    let patched = call(
        service,
        "PATCH",
        &format!("/v1/price-cards/{card}"),
        Some(&prices),
        &[BOSS],
    );
    assert_eq!(patched.status, Status::Ok, "{}", patched.text);
    let screen = made_by_boss(
        service,
        "/v1/screens",
        &json!({"name": "Hall", "capacity": 20}),
    );
    let film = made_by_boss(
        service,
        "/v1/films",
        &json!({"title": "Rope", "runtimeMinutes": 80}),
    );
    let show = made_by_boss(
        service,
        "/v1/shows",
        &json!({"screenId": screen, "filmId": film, "start": "2030-06-01 18:30"}),
    );
    let kiosk = add_key(service, "kiosk-lobby", "kiosk");
    add_staff(service, "till", "cashier");
    let session = sign_in(service, "till", PASSWORD);
    let session = session.body["token"].as_str().unwrap().to_owned();
    let cashier_key = add_key(service, "till-2", "cashier");
    let door_key = add_key(service, "door-1", "door");
    for (who, channel) in [
        (kiosk.as_str(), "kiosk"),
        (session.as_str(), "counter"),
        (cashier_key.as_str(), "counter"),
        (door_key.as_str(), "api"),
        ("boss", "api"),
    ] {
        let auth = bearer(who);
        let headers = [(auth.0, auth.1.as_str())];
        let whoami = call(service, "GET", "/v1/sessions/current", None, &headers);
        assert_eq!(whoami.body["channel"], channel, "{}", whoami.text);
        for (ticket_type, sold_here, price) in [
            (&saver, channel == "kiosk", 700),
            (&crew, channel == "counter", 0),
            (&admission, true, 900),
        ] {
            let held = call(
                service,
                "POST",
                "/v1/holds",
                Some(&json!({"showId": show, "tickets": [{"type": ticket_type, "count": 1}]})),
                &headers,
            );
            if sold_here {
                assert_eq!(held.status, Status::Created, "{channel}: {}", held.text);
                assert_eq!(held.body["lines"][0]["price"], price, "{}", held.text);
            } else {
                assert_eq!(held.status, Status::Conflict, "{channel}: {}", held.text);
                assert_eq!(held.body["type"], "urn:boxoffice:not-on-channel");
            }
        }
        // Without types, a sale takes the first type sold on its channel.
        let booked = call(
            service,
            "POST",
            "/v1/bookings",
            Some(&json!({"showId": show, "count": 1})),
            &headers,
        );
        assert_eq!(booked.status, Status::Created, "{}", booked.text);
        assert_eq!(booked.body["lines"][0]["type"], admission.as_str());
    }
}

on_both_backends!(
    each_caller_is_told_its_channel_and_holds_only_its_types_on_redb,
    each_caller_is_told_its_channel_and_holds_only_its_types_on_postgresql,
    false,
    each_caller_is_told_its_channel_and_holds_only_its_types
);

/// What `body` answered, checked: the status first, then the body.
#[track_caller]
fn made(answer: Received, status: Status) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    answer.body
}

/// A show of eight standard seats in one row, on a default card whose first
/// type (900) is sold at the counter only and whose second, `Admission`
/// (500), everywhere. Answers (show id, counter-only type, `Admission`).
fn counter_first_show(service: &Local) -> (Value, Value, Value) {
    let admission =
        call(service, "GET", "/v1/ticket-types", None, &[BOSS]).body["items"][0]["id"].clone();
    let counter = made(
        call(
            service,
            "POST",
            "/v1/ticket-types",
            Some(&json!({"name": "Member", "channels": ["counter"]})),
            &[BOSS],
        ),
        Status::Created,
    )["id"]
        .clone();
    let card = call(service, "GET", "/v1/price-cards", None, &[BOSS]).body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prices = json!({"prices": [
        {"type": counter, "amount": 900},
        {"type": admission, "amount": 500},
    ]});
    let uri = format!("/v1/price-cards/{card}");
    made(
        call(service, "PATCH", &uri, Some(&prices), &[BOSS]),
        Status::Ok,
    );
    let seats: Vec<Value> = (1..=8).map(|n| json!({"number": n.to_string()})).collect();
    let screen = made(
        call(
            service,
            "POST",
            "/v1/screens",
            Some(&json!({"name": "Small", "rows": [{"label": "A", "seats": seats}]})),
            &[BOSS],
        ),
        Status::Created,
    );
    let film = made(
        call(
            service,
            "POST",
            "/v1/films",
            Some(&json!({"title": "Rope", "runtimeMinutes": 80})),
            &[BOSS],
        ),
        Status::Created,
    );
    let show = json!({"screenId": screen["id"], "filmId": film["id"], "start": "2030-06-01 18:30"});
    let show = made(
        call(service, "POST", "/v1/shows", Some(&show), &[BOSS]),
        Status::Created,
    );
    (show["id"].clone(), counter, admission)
}

fn each_actor_sells_on_its_channel(service: &Local) {
    let (show, counter, admission) = counter_first_show(service);
    let kiosk = add_key(service, "kiosk-lobby", "kiosk");
    let door = add_key(service, "scanner-1", "door");
    let webshop = add_key(service, "till-2", "cashier");
    add_staff(service, "asha", "cashier");
    let session = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = bearer(&session);
    let kiosk = ("X-Auth-Token", kiosk.as_str());
    let book = |body: &Value, auth: (&str, &str)| {
        call(service, "POST", "/v1/bookings", Some(body), &[auth])
    };
    let seats = || {
        call(
            service,
            "GET",
            &format!("/v1/shows/{}/seats", show.as_str().unwrap()),
            None,
            &[BOSS],
        )
        .body
    };
    let before = seats();
    // A kiosk may not sell the counter's type: nothing changes.
    let member = json!({"showId": show, "tickets": [{"type": counter, "count": 1}]});
    let refused = book(&member, kiosk);
    assert_eq!(refused.status, Status::Conflict, "{}", refused.text);
    assert_eq!(refused.body["type"], "urn:boxoffice:not-on-channel");
    let hold = call(service, "POST", "/v1/holds", Some(&member), &[kiosk]);
    assert_eq!(hold.status, Status::Conflict, "{}", hold.text);
    assert_eq!(seats(), before);
    // A signed-in cashier sells it at the counter.
    let sold = made(book(&member, (session.0, &session.1)), Status::Created);
    assert_eq!(sold["lines"][0]["type"], counter);
    assert_eq!(sold["lines"][0]["price"], 900);
    // Without `tickets`, the card's first type on the caller's channel.
    let any = json!({"showId": show, "count": 1});
    for (auth, expected, price) in [
        (kiosk, &admission, 500),
        (("X-Auth-Token", door.as_str()), &admission, 500),
        (BOSS, &admission, 500),
        (("X-Auth-Token", webshop.as_str()), &counter, 900),
    ] {
        let sold = made(book(&any, auth), Status::Created);
        assert_eq!(sold["lines"][0]["type"], *expected, "{auth:?}");
        assert_eq!(sold["lines"][0]["price"], price, "{auth:?}");
    }
}

on_both_backends!(
    each_actor_sells_on_its_channel_on_redb,
    each_actor_sells_on_its_channel_on_postgresql,
    false,
    each_actor_sells_on_its_channel
);

/// The trail's (actor, action) pairs of sales and the catalogue, oldest
/// first, and its whole text.
fn sales_and_catalogue_trail(service: &Local) -> (Vec<(String, String)>, String) {
    let trail = made(
        call(service, "GET", "/v1/audit?limit=500", None, &[BOSS]),
        Status::Ok,
    );
    let pairs = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap().to_owned(),
                entry["action"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, action)| {
            !["staff.", "key.", "session."]
                .iter()
                .any(|staff| action.starts_with(staff))
        })
        .collect();
    (pairs, trail.to_string())
}

fn every_sale_and_catalogue_change_is_audited_with_its_actor(service: &Local) {
    let (show, counter, _) = counter_first_show(service);
    let kiosk = add_key(service, "kiosk-lobby", "kiosk");
    let kiosk = ("X-Auth-Token", kiosk.as_str());
    add_staff(service, "asha", "cashier");
    let session = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = bearer(&session);
    let asha = (session.0, session.1.as_str());
    // A kiosk holds (not audited), then confirms (audited).
    let hold = made(
        call(
            service,
            "POST",
            "/v1/holds",
            Some(&json!({"showId": show, "count": 2})),
            &[kiosk],
        ),
        Status::Created,
    );
    let confirm = json!({"userName": "Mira Secretname", "phoneNumber": "9876543210"});
    let uri = format!("/v1/holds/{}/confirm", hold["id"].as_str().unwrap());
    made(
        call(service, "POST", &uri, Some(&confirm), &[kiosk]),
        Status::Created,
    );
    // Refusals are not audited.
    let member = json!({"showId": show, "tickets": [{"type": counter, "count": 1}]});
    let refused = call(service, "POST", "/v1/bookings", Some(&member), &[kiosk]);
    assert_eq!(refused.status, Status::Conflict, "{}", refused.text);
    // A cashier sells, moves and cancels.
    let sold = made(
        call(service, "POST", "/v1/bookings", Some(&member), &[asha]),
        Status::Created,
    );
    let uri = format!("/v1/bookings/{}", sold["id"].as_str().unwrap());
    made(
        call(
            service,
            "PATCH",
            &uri,
            Some(&json!({"seats": ["A8"]})),
            &[asha],
        ),
        Status::Ok,
    );
    let cancelled = call(service, "DELETE", &uri, None, &[asha]);
    assert_eq!(cancelled.status, Status::NoContent, "{}", cancelled.text);
    // `/api` writes name their actor too.
    let api = made(
        call(
            service,
            "POST",
            "/api/book-ticket",
            Some(&booking("Ravi Privatename", 1, SHOW)),
            &[kiosk],
        ),
        Status::Ok,
    );
    let ticket = api["data"]["ticketId"].clone();
    made(
        call(
            service,
            "DELETE",
            "/api/delete-ticket",
            Some(&json!({"ticketId": ticket})),
            &[BOSS],
        ),
        Status::Ok,
    );
    let (trail, text) = sales_and_catalogue_trail(service);
    let expected = [
        ("admin_token", "ticket-type.create"),
        ("admin_token", "price-card.update"),
        ("admin_token", "screen.create"),
        ("admin_token", "film.create"),
        ("admin_token", "show.create"),
        ("kiosk-lobby", "hold.confirm"),
        ("asha", "booking.create"),
        ("asha", "booking.move"),
        ("asha", "booking.cancel"),
        ("kiosk-lobby", "booking.create"),
        ("admin_token", "booking.cancel"),
    ];
    let trail: Vec<(&str, &str)> = trail
        .iter()
        .map(|(actor, action)| (actor.as_str(), action.as_str()))
        .collect();
    assert_eq!(trail, expected);
    for private in ["Mira", "Secretname", "Ravi", "Privatename", "9876543210"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    // The sale names its booking and show, and its amount.
    let sales = made(
        call(
            service,
            "GET",
            "/v1/audit?action=booking.create&actor=asha",
            None,
            &[BOSS],
        ),
        Status::Ok,
    );
    let entry = &sales["items"][0];
    assert_eq!(sales["items"].as_array().unwrap().len(), 1, "{sales}");
    assert_eq!(entry["amount"], 900);
    assert_eq!(
        entry["subject"],
        format!(
            "{} {}",
            sold["id"].as_str().unwrap(),
            show.as_str().unwrap()
        )
    );
}

on_both_backends!(
    every_sale_and_catalogue_change_is_audited_with_its_actor_on_redb,
    every_sale_and_catalogue_change_is_audited_with_its_actor_on_postgresql,
    false,
    every_sale_and_catalogue_change_is_audited_with_its_actor
);

fn purge(service: &Local) -> boxoffice::usecases::PurgeReport {
    let app = service.client.rocket().state::<App>().expect("the app");
    crate::model::runtime()
        .block_on(boxoffice::expiry::purge_expired(app.bookings.as_ref()))
        .expect("a purge")
}

fn the_purge_forgets_ended_sessions_and_idle_wrong_passwords(service: &Local) {
    add_staff(service, "asha", "cashier");
    add_staff(service, "bo", "cashier");
    let ended = sign_in(service, "asha", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = sign_in(service, "ghost", "not the password");
    assert_eq!(wrong.status, Status::Unauthorized);
    assert_eq!(wrong.header("Retry-After"), Some("1"));
    // `session_idle` is 1 h: asha's session ends unused; ghost's count has
    // slowed nothing for longer than the longest wait.
    service.clock.advance(2 * 3_600_000);
    let live = sign_in(service, "bo", PASSWORD).body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let recent = sign_in(service, "recent", "not the password");
    assert_eq!(recent.header("Retry-After"), Some("1"));
    let report = purge(service);
    assert_eq!((report.sessions, report.throttles), (1, 1), "{report:?}");
    assert_eq!(purge(service), boxoffice::usecases::PurgeReport::default());
    // What still applies stays.
    let current = |token: &str| {
        let auth = bearer(token);
        call(
            service,
            "GET",
            "/v1/sessions/current",
            None,
            &[(auth.0, &auth.1)],
        )
        .status
    };
    assert_eq!(current(&live), Status::Ok);
    assert_eq!(current(&ended), Status::Unauthorized);
    let slowed = sign_in(service, "recent", "not the password");
    assert_eq!(slowed.status, Status::TooManyRequests, "{}", slowed.text);
    // A forgotten count starts again at 1 s (it would be 2 s had it stayed).
    let again = sign_in(service, "ghost", "not the password");
    assert_eq!(again.header("Retry-After"), Some("1"));
}

on_both_backends!(
    the_purge_forgets_ended_sessions_and_idle_wrong_passwords_on_redb,
    the_purge_forgets_ended_sessions_and_idle_wrong_passwords_on_postgresql,
    false,
    the_purge_forgets_ended_sessions_and_idle_wrong_passwords
);
