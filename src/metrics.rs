//! What `GET /metrics` shows, in the Prometheus text format: requests by
//! route template and status with their latency, the writer's commits
//! (batch size, duration, queue depth), and the business counters. Every
//! label value comes from a small fixed set (methods, route templates,
//! statuses, purge kinds): no id, name, phone number or token is ever one.
//!
//! Each service has its own registry (no global one), so services in one
//! process, as in the tests, count apart.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

use crate::usecases::PurgeReport;

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The media type `GET /metrics` answers with.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    batch_size: Histogram,
    commit_seconds: Histogram,
    queue_depth: IntGauge,
    bookings: IntCounter,
    holds: IntCounter,
    cancellations: IntCounter,
    purged: IntCounterVec,
}

/// 0.5 ms to about 8 s, doubling.
fn latency_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(0.000_5, 2.0, 15).expect("valid buckets")
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let counter = IntCounter::new(name, help).expect("a valid counter");
            registry
                .register(Box::new(counter.clone()))
                .expect("one counter per name");
            counter
        };
        let requests = IntCounterVec::new(
            Opts::new(
                "boxoffice_http_requests_total",
                "HTTP requests answered, by method, route template and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid labels");
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "boxoffice_http_request_duration_seconds",
                "Time from a request's head to its answer, by method and route template.",
            )
            .buckets(latency_buckets()),
            &["method", "route"],
        )
        .expect("valid labels");
        let batch_size = Histogram::with_opts(
            HistogramOpts::new(
                "boxoffice_commit_batch_size",
                "Writes that shared one durable commit (group commit).",
            )
            .buckets(prometheus::exponential_buckets(1.0, 2.0, 13).expect("valid buckets")),
        )
        .expect("a valid histogram");
        let commit_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "boxoffice_commit_duration_seconds",
                "Time one write transaction took, its writes and its durable commit.",
            )
            .buckets(latency_buckets()),
        )
        .expect("a valid histogram");
        let queue_depth = IntGauge::new(
            "boxoffice_write_queue_depth",
            "Writes waiting for the writer now.",
        )
        .expect("a valid gauge");
        let purged = IntCounterVec::new(
            Opts::new(
                "boxoffice_purged_total",
                "Records the purge deleted, by kind: shows, tickets, holds, answers (idempotency), \
                 sessions (staff), throttles (wrong-password counts).",
            ),
            &["kind"],
        )
        .expect("valid labels");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_seconds.clone()),
            Box::new(batch_size.clone()),
            Box::new(commit_seconds.clone()),
            Box::new(queue_depth.clone()),
            Box::new(purged.clone()),
        ] {
            registry.register(collector).expect("one metric per name");
        }
        for kind in [
            "shows",
            "tickets",
            "holds",
            "answers",
            "sessions",
            "throttles",
        ] {
            // Every kind is shown from the start, at 0.
            purged.with_label_values(&[kind]);
        }
        let bookings = counter(
            "boxoffice_bookings_total",
            "Bookings made (/api book-ticket, /v1 bookings, confirmed holds); replays not counted.",
        );
        let holds = counter("boxoffice_holds_total", "Holds made; replays not counted.");
        let cancellations = counter(
            "boxoffice_cancellations_total",
            "Bookings cancelled (/api delete-ticket, /v1 DELETE of a booking); replays not counted.",
        );
        Self {
            registry,
            requests,
            request_seconds,
            batch_size,
            commit_seconds,
            queue_depth,
            bookings,
            holds,
            cancellations,
            purged,
        }
    }

    /// One answered request; `route` is its template or [`UNMATCHED`].
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let code = status.to_string();
        self.requests
            .with_label_values(&[method, route, code.as_str()])
            .inc();
        self.request_seconds
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// One write transaction of `writes` writes, committed or not.
    pub fn commit(&self, writes: usize, seconds: f64) {
        // At most `max_batch` writes: exact in an f64.
        self.batch_size
            .observe(f64::from(u32::try_from(writes).unwrap_or(u32::MAX)));
        self.commit_seconds.observe(seconds);
    }

    pub fn queued(&self) {
        self.queue_depth.inc();
    }

    pub fn dequeued(&self, writes: usize) {
        self.queue_depth
            .sub(i64::try_from(writes).unwrap_or(i64::MAX));
    }

    pub fn booked(&self) {
        self.bookings.inc();
    }

    pub fn held(&self) {
        self.holds.inc();
    }

    pub fn cancelled(&self) {
        self.cancellations.inc();
    }

    pub fn purged(&self, report: &PurgeReport) {
        for (kind, count) in [
            ("shows", report.shows),
            ("tickets", report.tickets),
            ("holds", report.holds),
            ("answers", report.answers),
            ("sessions", report.sessions),
            ("throttles", report.throttles),
        ] {
            if count > 0 {
                self.purged
                    .with_label_values(&[kind])
                    .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
            }
        }
    }

    /// Every metric, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        // Encoding plain metrics into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        String::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_named_as_the_spec_says() {
        let metrics = Metrics::new();
        metrics.request("GET", "/api/user-details", 200, 0.002);
        metrics.commit(3, 0.001);
        metrics.queued();
        metrics.booked();
        metrics.held();
        metrics.cancelled();
        metrics.purged(&PurgeReport {
            tickets: 4,
            ..PurgeReport::default()
        });
        let text = metrics.render();
        for expected in [
            r#"boxoffice_http_requests_total{method="GET",route="/api/user-details",status="200"} 1"#,
            r#"boxoffice_http_request_duration_seconds_bucket{method="GET",route="/api/user-details",le="0.002"} 1"#,
            "boxoffice_commit_batch_size_bucket{le=\"4\"} 1",
            "boxoffice_commit_duration_seconds_count 1",
            "boxoffice_write_queue_depth 1",
            "boxoffice_bookings_total 1",
            "boxoffice_holds_total 1",
            "boxoffice_cancellations_total 1",
            r#"boxoffice_purged_total{kind="tickets"} 4"#,
            r#"boxoffice_purged_total{kind="answers"} 0"#,
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }
}
