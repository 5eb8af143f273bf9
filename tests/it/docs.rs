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
            &["200", "400", "406", "413", "415", "421", "429", "503"],
        ),
        (
            "/api/update-timing",
            "put",
            &[
                "200", "400", "404", "406", "410", "413", "415", "421", "429", "503",
            ],
        ),
        (
            "/api/view-all-tickets",
            "get",
            &["200", "400", "404", "406", "421"],
        ),
        (
            "/api/delete-ticket",
            "delete",
            &[
                "200", "400", "404", "406", "413", "415", "421", "429", "503",
            ],
        ),
        (
            "/api/delete-ticket",
            "put",
            &[
                "200", "400", "404", "406", "413", "415", "421", "429", "503",
            ],
        ),
        (
            "/api/user-details",
            "get",
            &["200", "400", "404", "406", "421"],
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

#[test]
fn with_a_token_the_document_requires_it_and_lists_401() {
    let service = local_with(|figment| figment.merge(("api_token", "s3cret")));
    let spec = spec(&service);
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
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
