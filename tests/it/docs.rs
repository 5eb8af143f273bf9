//! Swagger UI and the `OpenAPI` document, served from the binary.

use rocket::http::Status;
use serde_json::Value;

use crate::support::*;

#[track_caller]
fn spec(service: &Local) -> Value {
    let response = service.client.get("/openapi.json").dispatch();
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_str(&response.into_string().unwrap()).unwrap()
}

#[test]
fn swagger_ui_is_served_at_the_root_without_the_online_validator() {
    let service = local();
    let root = service.client.get("/").dispatch();
    assert!(root.status().class().is_redirection());
    let page = service.client.get("/index.html").dispatch();
    assert_eq!(page.status(), Status::Ok);
    assert!(page.into_string().unwrap().contains("swagger-ui"));
    let bundle = service.client.get("/swagger-ui-bundle.js").dispatch();
    assert_eq!(bundle.status(), Status::Ok);
    let config: Value = serde_json::from_str(
        &service
            .client
            .get("/swagger-ui-config.json")
            .dispatch()
            .into_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(config["validatorUrl"], "none");
    assert_eq!(config["url"], "openapi.json");
}

#[test]
fn the_document_covers_every_route_with_its_statuses() {
    let service = local();
    let spec = spec(&service);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let expected: [(&str, &str, &[&str]); 6] = [
        (
            "/api/book-ticket",
            "post",
            &[
                "200", "400", "401", "406", "409", "413", "415", "421", "422", "429", "503",
            ],
        ),
        (
            "/api/update-timing",
            "put",
            &[
                "200", "400", "401", "404", "406", "410", "413", "415", "421", "422", "429", "503",
            ],
        ),
        (
            "/api/view-all-tickets",
            "get",
            &["200", "400", "401", "404", "406", "421", "503"],
        ),
        (
            "/api/delete-ticket",
            "delete",
            &[
                "200", "400", "401", "404", "406", "413", "415", "421", "422", "429", "503",
            ],
        ),
        (
            "/api/delete-ticket",
            "put",
            &[
                "200", "400", "401", "404", "406", "413", "415", "421", "422", "429", "503",
            ],
        ),
        (
            "/api/user-details",
            "get",
            &["200", "400", "401", "404", "406", "421", "503"],
        ),
    ];
    for (path, method, statuses) in expected {
        let operation = &spec["paths"][path][method];
        let documented: Vec<&str> = operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(documented, statuses, "{method} {path}");
        assert!(
            operation.get("security").is_none(),
            "no token configured: {method} {path}"
        );
    }
    let parameters = spec["paths"]["/api/view-all-tickets"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = parameters
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["movieId", "showTime"]);
    assert_eq!(
        spec["components"]["securitySchemes"]["ApiKeyAuth"]["name"],
        "X-Auth-Token"
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["ApiKeyAuth"]["in"],
        "header"
    );
}

/// The statuses the guards in front of every handler can answer, read from
/// what the document itself says an operation takes: any route (421 from the
/// Host check, 503 from a database out of reach), a body (400, 413, 415), an
/// `Idempotency-Key` (422: sent before with another request, or malformed on
/// `/v1`; and 429 past the client's cap of kept answers, for every keyed
/// write, the search being no write), a required token (401).
#[track_caller]
fn guard_statuses_are_documented(spec: &Value) {
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            let keyed = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|parameter| parameter["name"] == "Idempotency-Key");
            let writes = keyed && operation["operationId"] != "searchBookings";
            let mut wanted = vec!["421", "503"];
            if operation.get("requestBody").is_some() {
                wanted.extend(["400", "413", "415"]);
            }
            if keyed {
                wanted.push("422");
            }
            if writes {
                wanted.push("429");
            }
            if operation.get("security").is_some() {
                wanted.push("401");
            }
            for status in wanted {
                if !responses.contains_key(status) {
                    missing.push(format!("{method} {path}: {status}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented guard statuses: {missing:?}"
    );
}

#[test]
fn every_route_documents_the_statuses_its_guards_can_answer() {
    guard_statuses_are_documented(&spec(&local()));
    let with_tokens = local_with(|figment| {
        figment
            .merge(("api_token", "s3cret"))
            .merge(("admin_token", "admin"))
    });
    guard_statuses_are_documented(&spec(&with_tokens));
}

#[test]
fn an_idempotency_key_sent_again_with_another_request_is_a_documented_422() {
    let service = local();
    let book = |count: u64| {
        service.request(
            "POST",
            "/api/book-ticket",
            Some(
                &serde_json::json!({
                    "userName": "Asha Rao",
                    "phoneNumber": 9876543210u64,
                    "ticketCount": count,
                    "showTime": "2030-06-01 18:30",
                })
                .to_string(),
            ),
            &[("Idempotency-Key", "once")],
        )
    };
    assert_eq!(book(1).status, Status::Ok);
    let again = book(2);
    assert_eq!(again.status, Status::UnprocessableEntity, "{}", again.text);
    let documented = &spec(&service)["paths"]["/api/book-ticket"]["post"]["responses"];
    assert!(documented.get("422").is_some());
}

#[test]
fn with_a_token_the_document_requires_it_and_lists_401() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    let spec = spec(&service);
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["operationId"] == "signIn" {
                // Signing in is how a credential is had.
                assert!(operation.get("security").is_none(), "{method} {path}");
                continue;
            }
            assert_eq!(
                operation["security"][0]["ApiKeyAuth"],
                serde_json::json!([]),
                "{method} {path}"
            );
            assert!(
                operation["responses"].get("401").is_some(),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn the_booking_example_books_as_is() {
    let service = local();
    // The example is two days ahead of the real date; move the test clock to today.
    service.clock.set(chrono::Utc::now().timestamp_millis());
    let spec = spec(&service);
    let example = &spec["paths"]["/api/book-ticket"]["post"]["requestBody"]["content"]
        ["application/json"]["example"];
    let (status, body) = service.post("/api/book-ticket", example);
    assert_eq!(status, Status::Ok, "{body}");
}

/// Every integration test the documents name (`module::test_name`, in
/// backticks) exists, so a renamed or removed test cannot leave a promise
/// pointing at nothing.
#[test]
fn the_tests_the_documents_name_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tests = root.join("tests/it");
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "md") {
            documents.push(path);
        }
    }
    let mut named = 0;
    let mut missing = Vec::new();
    for document in documents {
        let text = std::fs::read_to_string(&document).unwrap();
        for quoted in text.split('`').skip(1).step_by(2) {
            let parts: Vec<&str> = quoted.split("::").collect();
            let plain = |part: &&str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            };
            if parts.len() < 2 || !parts.iter().all(plain) {
                continue;
            }
            let file = tests.join(format!("{}.rs", parts[..parts.len() - 1].join("/")));
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            named += 1;
            let name = parts[parts.len() - 1];
            if !source.contains(&format!("fn {name}(")) {
                missing.push(format!("{}: {quoted}", document.display()));
            }
        }
    }
    assert!(named >= 8, "only {named} tests named in the documents");
    assert!(missing.is_empty(), "tests named but not found: {missing:?}");
}
