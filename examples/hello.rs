//! The HTTP ceiling for the benchmark: the smallest Rocket JSON service, on
//! the same Rocket version, figment and defaults as boxoffice, with no
//! storage behind it. `GET /hello` answers a fixed object; `POST /hello`
//! parses a JSON object and answers it back inside the same envelope.

use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde_json::{json, Map, Value};

#[get("/hello")]
fn hello() -> Json<Value> {
    Json(json!({"success": true, "message": "hello"}))
}

#[post("/hello", data = "<body>")]
fn echo(body: Json<Map<String, Value>>) -> Json<Value> {
    Json(json!({"success": true, "data": body.into_inner()}))
}

#[rocket::launch]
fn rocket() -> _ {
    rocket::custom(boxoffice::config::figment()).mount("/", routes![hello, echo])
}
