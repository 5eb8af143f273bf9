//! Every request, seen once it is answered: its `X-Request-Id` (the
//! client's when well formed, else minted) echoed on the answer, errors
//! included; its count and latency by route template in the metrics; its
//! access-log line; and for a 5xx, the cause a handler or catcher recorded.
//! Also `GET /metrics`.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header};
use rocket::{get, routes, Data, Orbit, Request, Response, Rocket, Route, State};

use crate::metrics::{Metrics, CONTENT_TYPE, UNMATCHED};
use crate::service_log::{Access, ServiceLog};

pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
const MAX_REQUEST_ID_LEN: usize = 64;

/// A client's id is kept when it is `[A-Za-z0-9._-]{1,64}`.
pub fn is_request_id(text: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

/// When a request arrived and the id it answers under.
struct Seen {
    at: Instant,
    id: String,
}

impl Seen {
    fn now(request: &Request<'_>) -> Self {
        let id = request
            .headers()
            .get_one(REQUEST_ID_HEADER)
            .filter(|id| is_request_id(id))
            .map_or_else(|| ulid::Ulid::generate().to_string(), str::to_owned);
        Self {
            at: Instant::now(),
            id,
        }
    }
}

/// Why a request failed with a 5xx, as the chain of causes.
#[derive(Default)]
struct Cause(OnceLock<String>);

/// Records why `request` is answered with a 5xx, for its log line: the
/// cause chain of the error, never a body. The first recorded cause stays.
pub fn record_cause(request: &Request<'_>, cause: impl Into<String>) {
    let _ = request.local_cache(Cause::default).0.set(cause.into());
}

/// The request id `request` answers under.
pub fn request_id<'r>(request: &'r Request<'_>) -> &'r str {
    &request.local_cache(|| Seen::now(request)).id
}

pub struct Observe {
    metrics: Arc<Metrics>,
    log: Arc<ServiceLog>,
}

impl Observe {
    pub fn new(metrics: Arc<Metrics>, log: Arc<ServiceLog>) -> Self {
        Self { metrics, log }
    }
}

/// The smallest chunk a body is sent in (Rocket's default).
const MIN_CHUNK: usize = 4096;
/// The largest: Rocket reads each chunk into a buffer of this size, so a
/// large body (the `OpenAPI` document, say) goes in pieces.
const MAX_CHUNK: usize = 64 << 10;

#[rocket::async_trait]
impl Fairing for Observe {
    fn info(&self) -> Info {
        Info {
            name: "request ids, metrics and the access log",
            kind: Kind::Request | Kind::Response | Kind::Shutdown,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        request.local_cache(|| Seen::now(request));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let seen = request.local_cache(|| Seen::now(request));
        let took = seen.at.elapsed();
        response.set_header(Header::new(REQUEST_ID_HEADER, seen.id.clone()));
        // A body of known size up to 64 KiB goes to the connection in one
        // piece: Rocket's default hands it over in 4 KiB chunks, a wake-up
        // and a write each.
        if let Some(size) = response.body().preset_size() {
            response.set_max_chunk_size(size.clamp(MIN_CHUNK, MAX_CHUNK));
        }
        let method = request.method().as_str();
        // The template, never the path: ids and query strings stay out.
        let route = request.route().map_or_else(
            || UNMATCHED.to_owned(),
            |route| route.uri.path().to_string(),
        );
        let status = response.status().code;
        self.metrics
            .request(method, &route, status, took.as_secs_f64());
        let cause = (status >= 500).then(|| {
            request
                .local_cache(Cause::default)
                .0
                .get()
                .cloned()
                .unwrap_or_else(|| "no cause was recorded".into())
        });
        self.log.access(Access {
            method,
            route,
            status,
            duration: took,
            request_id: seen.id.clone(),
            cause,
        });
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        self.log
            .info("boxoffice: shutting down: no new connections; finishing the requests in flight");
    }
}

/// `GET /metrics`: the Prometheus text format; no token, no personal data.
#[get("/metrics")]
fn metrics(metrics: &State<Arc<Metrics>>) -> (ContentType, String) {
    let content_type = ContentType::parse_flexible(CONTENT_TYPE).unwrap_or(ContentType::Plain);
    (content_type, metrics.render())
}

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

#[cfg(test)]
mod tests {
    use super::is_request_id;

    #[test]
    fn a_client_request_id_is_kept_only_when_it_is_plain() {
        assert!(is_request_id("a"));
        assert!(is_request_id("01J8ZQ.req_42-x"));
        assert!(is_request_id(&"x".repeat(64)));
        for bad in [
            "",
            &"x".repeat(65),
            "a b",
            "a/b",
            "é",
            "a\nb",
            "id=1",
            "Bearer x",
        ] {
            assert!(!is_request_id(bad), "{bad:?}");
        }
    }
}
