//! `purse-server`: the thin HTTP server that owns the ledger and serves the SPA.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it with
//! `app(state).oneshot(request)` and no socket. [`cli`] is the command line: `serve` and
//! `audit`.

pub mod activity;
pub mod api;
pub mod auth;
pub mod card_network;
pub mod checkout;
pub mod cli;
pub mod codes;
pub mod db;
pub mod demo;
pub mod demo_site;
pub mod error;
pub mod funding;
pub mod ids;
pub mod journal;
pub mod json;
pub mod limits;
pub mod merchants;
pub mod metrics;
pub mod operations;
pub mod payments;
pub mod pin;
pub mod query;
pub mod reader;
pub mod state;
pub mod static_site;
pub mod tips;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use state::AppState;

/// How long a request may take before it is answered `503 service_unavailable`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, metrics, the SPA, and the layers every response passes.
pub fn app(state: AppState) -> Router {
    let site = state.site.clone();
    let spa_fallback = {
        let site = site.clone();
        move |method: axum::http::Method, uri: axum::http::Uri| {
            let site = site.clone();
            async move { site.fallback(&method, &uri) }
        }
    };
    let spa = ServeDir::new(&site.dir)
        .append_index_html_on_directories(false)
        .precompressed_gzip()
        .fallback(axum::handler::HandlerWithoutStateExt::into_service(spa_fallback));
    // Static files only: compressing the event stream would hold events back. The build's own
    // `.gz` files go first (see Trunk.toml); anything else is compressed on the way.
    let spa = tower::ServiceBuilder::new().layer(CompressionLayer::new().gzip(true)).service(spa);
    let pages = if state.settings.demo { demo_site::router() } else { Router::new() };

    Router::new()
        .merge(pages)
        .nest("/api/v1", api::router())
        .merge(card_network::router())
        // Any other API path is a JSON 404, never the SPA's index.
        .route("/api/{*rest}", axum::routing::any(api::not_found))
        .route("/metrics", get(metrics::render))
        .fallback_service(spa)
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), auth::csrf))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(middleware::from_fn(timeout))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, site.csp.clone()))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| {
            AppError::internal("a handler panicked").into_response()
        }))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            // The path only: query strings may carry things that do not belong in logs.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(state)
}

/// Answers `503` for a request still running after [`REQUEST_TIMEOUT`], so no request can hold
/// a graceful shutdown open forever.
async fn timeout(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::unavailable("the request timed out").into_response(),
    }
}
