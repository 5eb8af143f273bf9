//! `GET /livez` (the process answers) and `GET /readyz` (writes can be taken
//! now), for supervisors and load balancers; no token needed. `/readyz`
//! also carries `warnings`, things an operator should know that do not stop
//! the service (it stays 200); the key is left out when there are none.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::api::state::App;
use crate::usecases::Readiness;

/// `{"status": "pass" | "fail", "reason"?, "warnings"?}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What an operator should know that does not stop writes; absent when
    /// there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Health {
    fn pass() -> Self {
        Self {
            status: "pass".into(),
            reason: None,
            warnings: Vec::new(),
        }
    }
}

#[get("/livez")]
fn livez() -> Json<Health> {
    Json(Health::pass())
}

#[get("/readyz")]
async fn readyz(app: &State<App>) -> (Status, Json<Health>) {
    let mut warnings = Vec::new();
    if crate::api::auth::is_open(app).await == Ok(true) {
        warnings.push(crate::api::auth::open_service_warning(app.address));
    }
    warnings.extend(app.bookings.warnings());
    match app.bookings.readiness() {
        Readiness::Ready => (
            Status::Ok,
            Json(Health {
                warnings,
                ..Health::pass()
            }),
        ),
        Readiness::NotReady(reason) => (
            Status::ServiceUnavailable,
            Json(Health {
                status: "fail".into(),
                reason: Some(reason),
                warnings,
            }),
        ),
    }
}

pub fn routes() -> Vec<Route> {
    routes![livez, readyz]
}
