//! `GET /metrics`: Prometheus text. Request counts and latencies by route, and what the ledger
//! writer has done (batch sizes, commit latency, transfers made and refused).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use purse_ledger::{Histogram, HistogramSnapshot};

use crate::http::state::AppState;

const LATENCY_BOUNDS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters of answered requests, per route pattern. Recording a request allocates nothing
/// once its route, method and status have been seen.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<HashMap<String, Arc<RouteStats>>>,
}

/// `(method, route, status, count)`.
type RequestCount = (String, String, u16, u64);

#[derive(Debug)]
struct RouteStats {
    latency: Histogram,
    /// `(method, status, count)`: a handful per route, searched in place.
    counts: Mutex<Vec<(String, u16, u64)>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let stats = self.routes.lock().ok().map(|mut routes| match routes.get(route) {
            Some(stats) => stats.clone(),
            None => routes
                .entry(route.to_string())
                .or_insert_with(|| {
                    Arc::new(RouteStats {
                        latency: Histogram::new(LATENCY_BOUNDS),
                        counts: Mutex::new(Vec::new()),
                    })
                })
                .clone(),
        });
        let Some(stats) = stats else { return };
        stats.latency.observe(seconds);
        if let Ok(mut counts) = stats.counts.lock() {
            match counts.iter_mut().find(|(m, s, _)| m == method && *s == status) {
                Some((_, _, count)) => *count += 1,
                None => counts.push((method.to_string(), status, 1)),
            }
        }
    }

    /// `(method, route, status, count)` and `(route, latency)`, sorted, for rendering.
    fn snapshot(&self) -> (Vec<RequestCount>, Vec<(String, HistogramSnapshot)>) {
        let routes: Vec<(String, Arc<RouteStats>)> = self
            .routes
            .lock()
            .map(|routes| routes.iter().map(|(route, stats)| (route.clone(), stats.clone())).collect())
            .unwrap_or_default();
        let mut counts = Vec::new();
        let mut latencies = Vec::new();
        for (route, stats) in routes {
            if let Ok(route_counts) = stats.counts.lock() {
                for (method, status, count) in route_counts.iter() {
                    counts.push((method.clone(), route.clone(), *status, *count));
                }
            }
            latencies.push((route, stats.latency.snapshot()));
        }
        counts.sort();
        latencies.sort_by(|a, b| a.0.cmp(&b.0));
        (counts, latencies)
    }
}

/// Middleware: times every request and counts it under its route pattern (never the raw path,
/// which would let clients create unbounded label values).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let unmatched_api = matched.is_none() && request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let route = match &matched {
        Some(path) => path.as_str(),
        None if unmatched_api => "/api/unmatched",
        None => "/static",
    };
    state.http_metrics().record(
        method.as_str(),
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP purse_http_requests_total Requests answered, by method, route and status.");
    let _ = writeln!(out, "# TYPE purse_http_requests_total counter");
    let (counts, latencies) = state.http_metrics().snapshot();
    for (method, route, status, count) in counts {
        let _ = writeln!(
            out,
            "purse_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
        );
    }
    let _ = writeln!(out, "# HELP purse_http_request_duration_seconds Time to answer, by route.");
    let _ = writeln!(out, "# TYPE purse_http_request_duration_seconds histogram");
    for (route, latency) in latencies {
        write_histogram(
            &mut out,
            "purse_http_request_duration_seconds",
            &format!("route=\"{route}\""),
            &latency,
        );
    }

    let ledger = state.ledger.metrics();
    let _ = writeln!(out, "# HELP purse_ledger_batch_size Requests per committed ledger batch.");
    let _ = writeln!(out, "# TYPE purse_ledger_batch_size histogram");
    write_histogram(&mut out, "purse_ledger_batch_size", "", &ledger.batch_size.snapshot());
    let _ = writeln!(
        out,
        "# HELP purse_ledger_commit_seconds Time from a batch's BEGIN to its COMMIT returning."
    );
    let _ = writeln!(out, "# TYPE purse_ledger_commit_seconds histogram");
    write_histogram(&mut out, "purse_ledger_commit_seconds", "", &ledger.commit_seconds.snapshot());
    for (name, help, counter) in [
        ("purse_ledger_transfers_created_total", "Transfers committed.", &ledger.transfers_created),
        (
            "purse_ledger_transfers_rejected_total",
            "Transfer requests refused with a reason.",
            &ledger.transfers_rejected,
        ),
        (
            "purse_ledger_pending_expired_total",
            "Pending transfers voided by their timeout.",
            &ledger.pending_expired,
        ),
        (
            "purse_ledger_batches_failed_total",
            "Batches rolled back by a storage error.",
            &ledger.batches_failed,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
    }
    let _ = writeln!(out, "# HELP purse_uptime_seconds Seconds since the server started.");
    let _ = writeln!(out, "# TYPE purse_uptime_seconds gauge");
    let _ = writeln!(out, "purse_uptime_seconds {:.0}", state.started().elapsed().as_secs_f64());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out)
}

fn write_histogram(out: &mut String, name: &str, labels: &str, snapshot: &HistogramSnapshot) {
    let join = |extra: &str| match (labels.is_empty(), extra.is_empty()) {
        (true, _) => extra.to_string(),
        (false, true) => labels.to_string(),
        (false, false) => format!("{labels},{extra}"),
    };
    for (bound, count) in &snapshot.buckets {
        let _ = writeln!(out, "{name}_bucket{{{}}} {count}", join(&format!("le=\"{bound}\"")));
    }
    let _ = writeln!(out, "{name}_bucket{{{}}} {}", join("le=\"+Inf\""), snapshot.count);
    let braces = |text: String| if text.is_empty() { text } else { format!("{{{text}}}") };
    let _ = writeln!(out, "{name}_sum{} {}", braces(join("")), snapshot.sum);
    let _ = writeln!(out, "{name}_count{} {}", braces(join("")), snapshot.count);
}
