//! The OpenAPI document as served, and Swagger UI from assets in the binary.

use rocket::http::ContentType;
use rocket::{get, Route, State};
use rocket_okapi::okapi::openapi3::{Info, OpenApi, RefOr};
use rocket_okapi::swagger_ui::{make_swagger_ui, SwaggerUIConfig};

use super::API_BASE;

/// Error statuses each operation can answer, besides 200 (401 only when a
/// token is configured).
const OPERATION_ERRORS: &[(&str, &[u16])] = &[
    ("bookTicket", &[400, 401, 406, 413]),
    ("updateTiming", &[400, 401, 404, 406, 410, 413]),
    ("viewAllTickets", &[400, 401, 404, 406]),
    ("deleteTicket", &[400, 401, 404, 406, 413]),
    ("deleteTicketPut", &[400, 401, 404, 406, 413]),
    ("userDetails", &[400, 401, 404, 406]),
];

const PARAMETER_DESCRIPTIONS: &[(&str, &str)] = &[
    ("movieId", "The show's id (a ULID from book-ticket)."),
    (
        "showTime",
        "The show's start, e.g. `2030-06-01 18:30` (venue-local) or `2030-06-01T13:00:00Z`.",
    ),
    ("ticketId", "The ticket's id (a ULID from book-ticket)."),
];

/// The serialized document, built once at start-up.
pub struct ApiDoc(pub String);

/// Paths become `/api/...`, each operation lists exactly the statuses it can
/// give, and the token is required in the document only when the server
/// requires it.
pub fn finish(mut spec: OpenApi, api_token_set: bool) -> OpenApi {
    spec.info = Info {
        title: "boxoffice".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: Some(
            "Movie-theatre ticket booking. Every response is JSON: `{\"success\": true, ...}` \
             or `{\"success\": false, \"message\": ...}`. Show times without an offset are \
             venue-local."
                .into(),
        ),
        ..Info::default()
    };
    spec.paths = std::mem::take(&mut spec.paths)
        .into_iter()
        .map(|(path, item)| (format!("{API_BASE}{path}"), item))
        .collect();
    for item in spec.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let id = operation.operation_id.clone().unwrap_or_default();
            let allowed = OPERATION_ERRORS
                .iter()
                .find(|(name, _)| id == *name)
                .map_or(&[][..], |(_, codes)| *codes);
            operation.responses.responses.retain(|code, _| {
                code == "200"
                    || code
                        .parse::<u16>()
                        .is_ok_and(|code| allowed.contains(&code) && (code != 401 || api_token_set))
            });
            if !api_token_set {
                operation.security = None;
            }
            for parameter in &mut operation.parameters {
                if let RefOr::Object(parameter) = parameter {
                    if let Some((_, text)) = PARAMETER_DESCRIPTIONS
                        .iter()
                        .find(|(name, _)| *name == parameter.name)
                    {
                        parameter.description = Some((*text).into());
                    }
                }
            }
        }
    }
    spec
}

#[get("/openapi.json")]
fn openapi_json(doc: &State<ApiDoc>) -> (ContentType, String) {
    (ContentType::JSON, doc.0.clone())
}

/// Swagger UI's settings; `validatorUrl: none` keeps it from calling
/// validator.swagger.io, so it works offline and on any host.
#[get("/swagger-ui-config.json")]
fn swagger_config() -> (ContentType, String) {
    let config = SwaggerUIConfig {
        url: "openapi.json".into(),
        ..SwaggerUIConfig::default()
    };
    let mut value = serde_json::to_value(config).unwrap_or_default();
    value["validatorUrl"] = "none".into();
    value["persistAuthorization"] = true.into();
    (ContentType::JSON, value.to_string())
}

/// `/` (Swagger UI), its assets, and `/openapi.json`.
pub fn docs_routes() -> Vec<Route> {
    let mut routes: Vec<Route> = make_swagger_ui(&SwaggerUIConfig::default()).into();
    routes.retain(|route| route.uri.path() != "/swagger-ui-config.json");
    routes.extend(rocket::routes![openapi_json, swagger_config]);
    routes
}
