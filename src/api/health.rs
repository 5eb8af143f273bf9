//! `GET /livez` (the process answers) and `GET /readyz` (writes can be taken
//! now), for supervisors and load balancers; no token needed.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::service::App;
use crate::usecases::Readiness;

/// `{"status": "pass" | "fail", "reason"?}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Health {
    fn pass() -> Self {
        Self {
            status: "pass".into(),
            reason: None,
        }
    }
}

#[get("/livez")]
fn livez() -> Json<Health> {
    Json(Health::pass())
}

#[get("/readyz")]
fn readyz(app: &State<App>) -> (Status, Json<Health>) {
    match app.bookings.readiness() {
        Readiness::Ready => (Status::Ok, Json(Health::pass())),
        Readiness::NotReady(reason) => (
            Status::ServiceUnavailable,
            Json(Health {
                status: "fail".into(),
                reason: Some(reason),
            }),
        ),
    }
}

pub fn routes() -> Vec<Route> {
    routes![livez, readyz]
}
