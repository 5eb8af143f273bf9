//! Names, phone numbers and the API token never reach the log at the
//! default log level of a release build (`critical`) or at `normal`, whether
//! a request succeeds or is refused; the access log has its line for every
//! request, without a query string.

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
    // `critical` is a release build's default level.
    names_phones_and_the_token_stay_out_of_the_log_at("critical", "text");
}

#[test]
fn names_phones_and_the_token_stay_out_of_the_log_at_the_normal_level() {
    names_phones_and_the_token_stay_out_of_the_log_at("normal", "text");
}

#[test]
fn names_phones_and_the_token_stay_out_of_the_json_log() {
    names_phones_and_the_token_stay_out_of_the_log_at("critical", "json");
}

fn names_phones_and_the_token_stay_out_of_the_log_at(level: &str, format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_logging(
        &dir.path().join("db.redb"),
        &[
            ("ROCKET_API_TOKEN", TOKEN),
            ("ROCKET_CAPACITY", "5"),
            ("ROCKET_LOG_FORMAT", format),
        ],
        Some(level),
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

    // The access log is written a moment after each answer: read it all
    // once the server has stopped (it writes its last lines on the way out).
    let output = std::sync::Arc::clone(&server.output);
    server.terminate();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let lines = output.lock().unwrap().clone();
    let log = lines.join("\n");
    // The log was captured and does describe the requests: one access line
    // each, by route template, without a query string ...
    assert!(log.contains("launched from http://"), "{log}");
    let access: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("/api/"))
        .filter(|line| !line.contains("launched") && !line.contains("Matched:"))
        .filter(|line| line.contains(" id=") || line.contains("\"requestId\""))
        .collect();
    assert_eq!(access.len(), statuses.len() + 1, "{log}");
    if format == "json" {
        for line in &access {
            let line: Value = serde_json::from_str(line).expect("a JSON access line");
            assert_eq!(line["kind"], "request");
            assert!(line["route"].as_str().unwrap().starts_with("/api/"));
        }
    } else {
        assert!(log.contains(" INFO POST /api/book-ticket 200 "), "{log}");
        assert!(log.contains(" INFO GET /api/user-details 200 "), "{log}");
        assert!(log.contains(" INFO POST /api/book-ticket 413 "), "{log}");
    }
    for line in &access {
        assert!(!line.contains('?') && !line.contains("ticketId="), "{line}");
        assert!(!line.contains(&ticket) && !line.contains(&movie), "{line}");
    }
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
