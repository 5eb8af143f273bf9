//! Every request, seen once it is answered: its `X-Request-Id` (the
//! client's when well formed, else minted) echoed on the answer, errors
//! included; its count and latency by route template in the metrics; its
//! access-log line; and for a 5xx, the cause a handler or catcher recorded.
//! Also `GET /metrics`.
//!
//! The access log names route templates, never query strings; but a client
//! may still put a token in one (`?token=…`), and Rocket's own log, at its
//! `normal` level, prints the request line as it came. So before anything
//! sees the request, the value of every query parameter whose name looks
//! like a secret becomes `REDACTED` (no route takes a token in its query).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::http::{ContentType, Header, RawStr};
use rocket::{get, routes, Data, Orbit, Request, Response, Rocket, Route, State};

use crate::metrics::{Metrics, CONTENT_TYPE, UNMATCHED};
use crate::service_log::{Access, RequestId, ServiceLog};

pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// When a request arrived and the id it answers under.
struct Seen {
    at: Instant,
    id: RequestId,
}

impl Seen {
    fn now(request: &Request<'_>) -> Self {
        let id = request
            .headers()
            .get_one(REQUEST_ID_HEADER)
            .and_then(RequestId::parse)
            .unwrap_or_else(RequestId::mint);
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
    request.local_cache(|| Seen::now(request)).id.as_str()
}

pub struct Observe {
    metrics: Arc<Metrics>,
    log: Arc<ServiceLog>,
    /// Each mounted route's template, kept for the process's life, so that a
    /// log entry names its route without a copy; filled at liftoff.
    templates: OnceLock<HashSet<&'static str>>,
}

impl Observe {
    pub fn new(metrics: Arc<Metrics>, log: Arc<ServiceLog>) -> Self {
        Self {
            metrics,
            log,
            templates: OnceLock::new(),
        }
    }

    fn template(&self, route: &str) -> Cow<'static, str> {
        match self
            .templates
            .get()
            .and_then(|templates| templates.get(route))
        {
            Some(template) => Cow::Borrowed(*template),
            None => Cow::Owned(route.to_owned()),
        }
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
            kind: Kind::Liftoff | Kind::Request | Kind::Response | Kind::Shutdown,
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let mut templates = HashSet::from([UNMATCHED]);
        for route in rocket.routes() {
            let template = route.uri.path();
            if !templates.contains(template) {
                templates.insert(Box::leak(template.into()));
            }
        }
        let _ = self.templates.set(templates);
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        request.local_cache(|| Seen::now(request));
        let redacted = request
            .uri()
            .query()
            .and_then(|query| redact_query(query.as_str()));
        if let Some(query) = redacted {
            let path = request.uri().path().as_str();
            // A query that no longer parses is dropped whole rather than kept.
            let uri = Origin::parse_owned(format!("{path}?{query}"))
                .or_else(|_| Origin::parse_owned(path.to_owned()));
            if let Ok(uri) = uri {
                request.set_uri(uri);
            }
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let seen = request.local_cache(|| Seen::now(request));
        let took = seen.at.elapsed();
        response.set_header(Header::new(REQUEST_ID_HEADER, seen.id.as_str()));
        // A body of known size up to 64 KiB goes to the connection in one
        // piece: Rocket's default hands it over in 4 KiB chunks, a wake-up
        // and a write each.
        if let Some(size) = response.body().preset_size() {
            response.set_max_chunk_size(size.clamp(MIN_CHUNK, MAX_CHUNK));
        }
        let method = request.method().as_str();
        // The template, never the path: ids and query strings stay out.
        let route = request.route().map_or(UNMATCHED, |route| route.uri.path());
        let status = response.status().code;
        self.metrics
            .request(method, route, status, took.as_secs_f64());
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
            route: self.template(route),
            status,
            duration: took,
            request_id: seen.id,
            cause,
        });
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        self.log
            .info("boxoffice: shutting down: no new connections; finishing the requests in flight");
    }
}

/// What a secret's value is replaced with.
pub const REDACTED: &str = "REDACTED";

/// Whether a query parameter's name looks like it carries a secret:
/// `token`, `api_token`, `access_token`, `key`, `auth`, `password` and the like,
/// in any case.
fn looks_secret(name: &str) -> bool {
    const SECRET: &[&str] = &[
        "token",
        "key",
        "auth",
        "pass",
        "pwd",
        "secret",
        "session",
        "signature",
        "credential",
    ];
    let name = RawStr::new(name).url_decode_lossy().to_ascii_lowercase();
    SECRET.iter().any(|secret| name.contains(secret))
}

/// `query` with every secret-looking parameter's value `REDACTED`; `None`
/// when it has none.
pub fn redact_query(query: &str) -> Option<String> {
    let mut changed = false;
    let parts: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|part| {
            let name = part.split_once('=').map_or(part, |(name, _)| name);
            if looks_secret(name) {
                changed = true;
                Cow::Owned(format!("{name}={REDACTED}"))
            } else {
                Cow::Borrowed(part)
            }
        })
        .collect();
    changed.then(|| parts.join("&"))
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
    use super::*;

    #[test]
    fn token_like_parameters_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_query("movieId=01J&token=s3cret").as_deref(),
            Some("movieId=01J&token=REDACTED")
        );
        assert_eq!(
            redact_query("API_TOKEN=a&access_token=b&key=c&Auth=d&x-api-key=e&limit=5").as_deref(),
            Some(
                "API_TOKEN=REDACTED&access_token=REDACTED&key=REDACTED&Auth=REDACTED\
                 &x-api-key=REDACTED&limit=5"
            )
        );
        assert_eq!(
            redact_query("%74oken=s3cret").as_deref(),
            Some("%74oken=REDACTED")
        );
        assert_eq!(redact_query("token").as_deref(), Some("token=REDACTED"));
        assert_eq!(redact_query("movieId=01J&cursor=abc&limit=5"), None);
        assert_eq!(redact_query(""), None);
    }
}
