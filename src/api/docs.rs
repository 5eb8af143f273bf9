//! The `OpenAPI` document as served, and Swagger UI from assets in the binary.

use rocket::http::ContentType;
use rocket::{get, Route, State};
use rocket_okapi::okapi::openapi3::{
    Info, Link, OpenApi, Parameter, ParameterValue, RefOr, SecurityScheme, SecuritySchemeData, Tag,
};
use rocket_okapi::okapi::schemars::schema::Schema;
use rocket_okapi::swagger_ui::{make_swagger_ui, SwaggerUIConfig};
use serde_json::json;

use super::fields::pattern_schema;
use super::paths::{API_BASE, V1_BASE};
use super::v1;
use crate::config::Config;
use crate::domain::patterns;

/// Error statuses each operation can answer, besides 200. 401 is listed
/// even on an open service: a key or staff account made while it runs
/// closes it. The writes take an `Idempotency-Key` (422 when it
/// was sent with another request); every route reads the database, which
/// may be unreachable (503).
const OPERATION_ERRORS: &[(&str, &[u16])] = &[
    (
        "bookTicket",
        &[400, 401, 406, 409, 413, 415, 421, 422, 429, 503],
    ),
    (
        "updateTiming",
        &[400, 401, 404, 406, 410, 413, 415, 421, 422, 429, 503],
    ),
    ("viewAllTickets", &[400, 401, 404, 406, 421, 503]),
    (
        "deleteTicket",
        &[400, 401, 404, 406, 413, 415, 421, 422, 429, 503],
    ),
    (
        "deleteTicketPut",
        &[400, 401, 404, 406, 413, 415, 421, 422, 429, 503],
    ),
    ("userDetails", &[400, 401, 404, 406, 421, 503]),
];

/// Query parameters: description, pattern, required, example.
const PARAMETERS: &[(&str, &str, &str, bool, &str)] = &[
    (
        "movieId",
        "The show's id (a ULID from book-ticket, or an imported ObjectId). Pass this or \
         `showTime`; if both, this wins (and both must be well formed).",
        patterns::ID,
        false,
        "01JD0000000000000000000000",
    ),
    (
        "showTime",
        "The show's start, e.g. `2030-06-01 18:30` (venue-local) or `2030-06-01T13:00:00Z`. \
         Pass this or `movieId`.",
        patterns::SHOW_TIME,
        false,
        "2030-06-01 18:30",
    ),
    (
        "ticketId",
        "The ticket's id (a ULID from book-ticket, or an imported ObjectId).",
        patterns::ID,
        true,
        "01JD0000000000000000000000",
    ),
];

/// The serialized document, built once at start-up.
pub struct ApiDoc(pub String);

/// The document of both surfaces: `/api` as [`finish_seed`] makes it, and
/// `/v1` beside it with its own tags, schemas and bearer scheme.
pub fn finish(seed: OpenApi, v1: OpenApi, config: &Config) -> OpenApi {
    let mut spec = finish_seed(seed, config);
    spec.info.description = Some(
        "Movie-theatre ticket booking.\n\n`/api` (tag Tickets) keeps the old service's five \
         routes: every response is JSON, `{\"success\": true, ...}` or `{\"success\": false, \
         \"message\": ...}`, and the token goes in `X-Auth-Token`.\n\n`/v1` is the cinema: \
         screens, films, shows and bookings as resources; errors are RFC 9457 problem \
         details (`application/problem+json`) whose `type` is `urn:boxoffice:<slug>`; the \
         token goes in `Authorization: Bearer` or `X-Auth-Token`; every write takes an \
         `Idempotency-Key`. To try it in order: POST /v1/screens, POST /v1/films, POST \
         /v1/shows with their ids, then POST /v1/bookings with the show's id.\n\nTimes \
         without an offset are venue-local."
            .into(),
    );
    let v1 = v1::docs::finish(v1);
    for (path, item) in v1.paths {
        spec.paths.insert(format!("{V1_BASE}{path}"), item);
    }
    let components = spec.components.get_or_insert_with(Default::default);
    if let Some(v1) = v1.components {
        for (name, schema) in v1.schemas {
            // The surfaces name their schemas apart; /api's stay as they are.
            components.schemas.entry(name).or_insert(schema);
        }
    }
    components.security_schemes.insert(
        v1::docs::BEARER_SCHEME.into(),
        RefOr::Object(SecurityScheme {
            description: Some(
                "`/v1` only: `Authorization: Bearer <token>`, the same token as `X-Auth-Token`. \
                 Needed once the server sets `api_token` or `admin_token`; catalogue changes \
                 need `admin_token` when it is set."
                    .into(),
            ),
            data: SecuritySchemeData::Http {
                scheme: "bearer".into(),
                bearer_format: None,
            },
            extensions: rocket_okapi::okapi::Map::default(),
        }),
    );
    spec.tags = TAGS
        .iter()
        .map(|(name, description)| Tag {
            name: (*name).into(),
            description: Some((*description).into()),
            ..Tag::default()
        })
        .collect();
    spec
}

const TAGS: &[(&str, &str)] = &[
    (
        "Tickets",
        "`/api`: the old service's routes, unchanged for its clients.",
    ),
    (
        "Screens",
        "`/v1`: rooms, general admission or with a seat map.",
    ),
    ("Films", "`/v1`: what is shown."),
    (
        "Shows",
        "`/v1`: a film on a screen at a start, with its seats and bookings.",
    ),
    (
        "Bookings",
        "`/v1`: seats of a show for one person, by name or by count.",
    ),
];

/// Paths become `/api/...`, each operation lists exactly the statuses it can
/// give, query parameters get the patterns their values must match, the
/// ticket count its upper bound, and the token is required in the document
/// only when the server requires it.
fn finish_seed(mut spec: OpenApi, config: &Config) -> OpenApi {
    let token_set = config.api_token.is_some() || config.admin_token.is_some();
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
                        .is_ok_and(|code| allowed.contains(&code))
            });
            if !token_set {
                operation.security = None;
            }
            if matches!(id.as_str(), "bookTicket" | "updateTiming") {
                if let Some(RefOr::Object(ok)) = operation.responses.responses.get_mut("200") {
                    ok.links = ticket_links();
                }
            }
            for parameter in &mut operation.parameters {
                if let RefOr::Object(parameter) = parameter {
                    describe_parameter(parameter);
                }
            }
        }
    }
    limit_ticket_count(&mut spec, config.capacity);
    spec
}

/// What a client can do next with the ticket a 200 answer names.
fn ticket_links() -> rocket_okapi::okapi::Map<String, RefOr<Link>> {
    let ticket_id = "$response.body#/data/ticketId";
    let link = |operation: &str, description: &str| Link {
        operation_id: Some(operation.into()),
        description: Some(description.into()),
        ..Link::default()
    };
    let in_query = |operation, description, name: &str, value: &str| {
        let mut link = link(operation, description);
        link.parameters.insert(name.into(), json!(value));
        (operation.to_owned(), RefOr::Object(link))
    };
    // A body with `ticketId` from the answer; the other fields are the caller's.
    let in_body = |operation, description| {
        let mut link = link(operation, description);
        link.request_body = Some(json!({ "ticketId": ticket_id }));
        (operation.to_owned(), RefOr::Object(link))
    };
    [
        in_query(
            "userDetails",
            "Who holds this ticket.",
            "ticketId",
            ticket_id,
        ),
        in_query(
            "viewAllTickets",
            "The show this ticket is for.",
            "movieId",
            "$response.body#/data/movieId",
        ),
        in_body("updateTiming", "Move this ticket to another show."),
        in_body("deleteTicket", "Delete this ticket."),
        in_body("deleteTicketPut", "Delete this ticket."),
    ]
    .into_iter()
    .collect()
}

fn describe_parameter(parameter: &mut Parameter) {
    let Some((_, description, pattern, required, example)) =
        PARAMETERS.iter().find(|(name, ..)| *name == parameter.name)
    else {
        return;
    };
    parameter.description = Some((*description).into());
    parameter.required = *required;
    if let ParameterValue::Schema {
        schema,
        example: example_value,
        ..
    } = &mut parameter.value
    {
        // Not `nullable`: an absent parameter is absent, not `null`.
        *schema = pattern_schema(pattern, description);
        *example_value = Some(json!(example));
    }
}

/// More seats than `capacity` are always refused, so the document says so.
fn limit_ticket_count(spec: &mut OpenApi, capacity: u32) {
    let count = spec
        .components
        .as_mut()
        .and_then(|components| components.schemas.get_mut("BookTicketRequest"))
        .and_then(|request| request.object.as_mut())
        .and_then(|object| object.properties.get_mut("ticketCount"));
    if let Some(Schema::Object(count)) = count {
        count.format = None;
        count.number().maximum = Some(f64::from(capacity));
        count.metadata().description = Some(format!(
            "Seats to book: at least 1, at most {capacity} (a show's capacity); more than the \
             show has left is refused with `Ticket limit exceeded.`"
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surfaces_name_their_schemas_apart() {
        let schemas = |spec: OpenApi| -> Vec<String> {
            spec.components
                .map(|components| components.schemas.into_keys().collect())
                .unwrap_or_default()
        };
        let seed = schemas(super::super::seed::routes().1);
        let v1 = schemas(v1::routes().1);
        assert!(!seed.is_empty() && !v1.is_empty());
        for name in &v1 {
            assert!(!seed.contains(name), "{name} is named on both surfaces");
        }
    }
}
