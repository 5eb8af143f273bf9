//! Names, phone numbers and the API token never reach the log at the
//! binary's default log level, whether a request succeeds or is refused.

use serde_json::{json, Value};

use crate::support::*;

const NAME: &str = "Zenobia Quillfeather";
const OTHER_NAME: &str = "Thaddeus Marchbanks";
const PHONE_TEXT: &str = "+44 7700-900461";
const PHONE_NUMBER: u64 = 447_700_900_462;
const TOKEN: &str = "tok-Hx83PqLw";
const SHOW_TIME: &str = "2099-05-01 18:30";

/// Every spelling of a secret that must not appear in the output.
const SECRETS: &[&str] = &[
    "Zenobia",
    "Quillfeather",
    "Thaddeus",
    "Marchbanks",
    "7700-900461",
    "7700900461",
    "900461",
    "447700900462",
    "900462",
    TOKEN,
];

#[test]
fn names_phones_and_the_token_stay_out_of_the_log_at_the_default_level() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_logging(
        &dir.path().join("db.redb"),
        &[("ROCKET_API_TOKEN", TOKEN), ("ROCKET_CAPACITY", "5")],
        None,
    );
    let url = |path: &str| server.url(path);
    let send = |method: &str, path: &str, body: Option<&Value>, token: Option<&str>| {
        let mut request = agent().request(method, &url(path));
        if let Some(token) = token {
            request = request.set("X-Auth-Token", token);
        }
        let result = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        match result {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(error) => panic!("{method} {path}: {error}"),
        }
    };
    let send_raw = |body: &str| {
        agent()
            .post(&url("/api/book-ticket"))
            .set("X-Auth-Token", TOKEN)
            .set("Content-Type", "application/json")
            .send_string(body)
            .map_or_else(
                |error| match error {
                    ureq::Error::Status(code, _) => code,
                    other @ ureq::Error::Transport(_) => panic!("{other}"),
                },
                |response| response.status(),
            )
    };
    let token = Some(TOKEN);
    let good = |name: &str, phone: Value, count: u64| json!({"userName": name, "phoneNumber": phone, "ticketCount": count, "showTime": SHOW_TIME});

    // Successes: book with a string and a numeric phone, read, move, delete.
    let agent = agent();
    let booked = agent
        .post(&url("/api/book-ticket"))
        .set("X-Auth-Token", TOKEN)
        .send_json(good(NAME, json!(PHONE_TEXT), 2))
        .expect("books")
        .into_json::<Value>()
        .unwrap();
    let ticket = booked["data"]["ticketId"].as_str().unwrap().to_owned();
    let movie = booked["data"]["movieId"].as_str().unwrap().to_owned();
    assert_eq!(
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(OTHER_NAME, json!(PHONE_NUMBER), 1)),
            token
        ),
        200
    );
    let statuses = [
        send(
            "GET",
            &format!("/api/user-details?ticketId={ticket}"),
            None,
            token,
        ),
        send(
            "GET",
            &format!("/api/view-all-tickets?movieId={movie}"),
            None,
            token,
        ),
        send(
            "PUT",
            "/api/update-timing",
            Some(&json!({"ticketId": ticket, "newShowTime": "2099-05-02 18:30"})),
            token,
        ),
        // Refusals that carry the name and phone in their body.
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(NAME, json!(PHONE_TEXT), 50)),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(NAME, json!(format!("{PHONE_TEXT}x")), 1)),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(&format!("{NAME}\u{0}"), json!(PHONE_TEXT), 1)),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(&NAME.repeat(10), json!(PHONE_TEXT), 1)),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(
                &json!({"userName": NAME, "phoneNumber": PHONE_NUMBER, "ticketCount": 1, "showTime": "2001-01-01 10:00"}),
            ),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(
                &json!({"userName": NAME, "phoneNumber": PHONE_TEXT, "ticketCount": 1, "showTime": NAME}),
            ),
            token,
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(NAME, json!(PHONE_TEXT), 1)),
            Some("wrong"),
        ),
        send(
            "POST",
            "/api/book-ticket",
            Some(&good(NAME, json!(PHONE_TEXT), 1)),
            None,
        ),
        send(
            "GET",
            "/api/book-ticket",
            Some(&good(NAME, json!(PHONE_TEXT), 1)),
            token,
        ),
        send_raw(&format!(
            r#"{{"userName": "{NAME}", "phoneNumber": "{PHONE_TEXT}""#
        )),
        send_raw(&format!(r#"["{NAME}", "{PHONE_TEXT}"]"#)),
        send_raw(&format!(
            r#"{{"userName": "{NAME}", "phoneNumber": "{PHONE_TEXT}", "pad": "{}"}}"#,
            "p".repeat(20_000)
        )),
        send(
            "DELETE",
            "/api/delete-ticket",
            Some(&json!({"ticketId": ticket})),
            token,
        ),
    ];
    assert_eq!(
        statuses,
        [200, 200, 200, 406, 406, 406, 406, 400, 406, 401, 401, 405, 400, 400, 413, 200]
    );

    let lines = server.output.lock().unwrap().clone();
    server.terminate();
    let log = lines.join("\n");
    // The log was captured and does describe the requests ...
    assert!(log.contains("launched from http://"), "{log}");
    assert!(log.contains("POST /api/book-ticket"), "{log}");
    // ... without anyone's name or number, or the token.
    for secret in SECRETS {
        assert!(
            !log.contains(secret),
            "{secret:?} is in the log:\n{}",
            lines
                .iter()
                .filter(|line| line.contains(secret))
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
