//! The HTTP layer: [`app`] (the router and the layers every response passes), the extractors,
//! one module per resource, and the one mapping from flow errors to HTTP ([`error`]). Only this
//! layer (and `cli`, which puts the server together) knows axum. A handler parses its request
//! into typed inputs, calls a flow, and renders what the flow gave.

pub mod card_network;
pub mod checkout;
pub mod compliance;
pub mod demo_site;
pub mod error;
pub mod events;
pub mod extract;
pub mod funding;
pub mod headers;
pub mod health;
pub mod json;
pub mod listener;
pub mod metrics;
pub mod ops;
pub mod people;
pub mod query;
pub mod requests;
pub mod sandbox;
pub mod session;
pub mod state;
pub mod statements;
pub mod static_site;
pub mod tips;
pub mod transfers;
pub mod verification;
pub mod wallet;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use purse_api::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::AppState;

/// How long a request may take before it is answered `503 service_unavailable`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, metrics, the SPA, and the layers every response passes.
pub fn app(state: AppState) -> Router {
    let site = state.site().clone();
    let spa = {
        let site = site.clone();
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap| {
            let site = site.clone();
            async move { site.answer(&method, &uri, &headers) }
        }
    };
    let spa = axum::handler::HandlerWithoutStateExt::into_service(spa);
    // Static files only: compressing the event stream would hold events back. The build's own
    // `.gz` files go first (see Trunk.toml); anything else is compressed on the way.
    let spa = tower::ServiceBuilder::new().layer(CompressionLayer::new().gzip(true)).service(spa);
    let pages = if state.settings.demo { demo_site::router() } else { Router::new() };

    Router::new()
        .merge(pages)
        .nest("/api/v1", api())
        .merge(card_network::router())
        .merge(sandbox::router())
        // Any other API path is a JSON 404, never the SPA's index.
        .route("/api/{*rest}", axum::routing::any(not_found))
        // Metrics have their own listener (`metrics_app`); here the path is nothing.
        .route("/metrics", axum::routing::any(not_found))
        .fallback_service(spa)
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), session::csrf))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(middleware::from_fn_with_state(state.clone(), headers::by_request))
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
            ApiError::internal("a handler panicked").into_response()
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

/// `GET /metrics` alone, for its own listener (`serve --metrics-address`), so the app's port
/// does not tell the world its traffic.
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::render)).with_state(state)
}

/// The `/api/v1` routes.
fn api() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/openapi.json", get(openapi))
        .route("/auth/signup", post(people::signup))
        .route("/auth/login", post(people::login))
        .route("/auth/logout", post(people::logout))
        .route("/me", get(people::me))
        .route("/session", get(people::session))
        .route("/me/pin", put(people::set_pin))
        .route("/me/compliance", get(compliance::me))
        .route("/me/verification", post(verification::verify))
        .route("/ops/cases", get(ops::list))
        .route("/ops/cases/{id}", get(ops::case))
        .route("/ops/cases/{id}/approve", post(ops::approve))
        .route("/ops/cases/{id}/reject", post(ops::reject))
        .route("/ops/cases/{id}/report", get(ops::report))
        .route("/ops/people/{handle}", get(ops::person))
        .route("/ops/people/{handle}/freeze", post(ops::freeze))
        .route("/ops/people/{handle}/unfreeze", post(ops::unfreeze))
        .route("/ops/audit-log", get(ops::audit_log))
        .route("/users/{handle}", get(people::profile))
        .route("/wallet", get(wallet::wallet))
        .route("/me/interest", get(statements::summary))
        .route("/me/interest/accruals", get(statements::accruals))
        .route("/statements", get(statements::statement))
        .route("/activity", get(wallet::activity_page))
        .route("/activity/{id}", get(wallet::activity_item))
        .route("/events", get(events::stream))
        .route("/transfers", post(transfers::send))
        .route("/transfers/{id}/cancel", post(transfers::cancel))
        .route("/requests", post(requests::create).get(requests::list))
        .route("/requests/{id}/pay", post(requests::pay))
        .route("/requests/{id}/decline", post(requests::decline))
        .route("/requests/{id}/cancel", post(requests::cancel))
        .route("/creators/{handle}", get(tips::creator))
        .route("/me/creator", put(tips::set_creator).get(tips::dashboard))
        .route("/tips", post(tips::tip))
        .route("/me/tips", get(tips::list))
        .route("/me/merchant", put(checkout::set_merchant))
        .route("/merchant/keys", post(checkout::create_key).get(checkout::list_keys))
        .route("/merchant/keys/{id}", delete(checkout::revoke_key))
        .route("/merchant/webhook-endpoints", post(webhooks::create_endpoint).get(webhooks::list_endpoints))
        .route("/merchant/webhook-endpoints/{id}", delete(webhooks::remove_endpoint))
        .route("/merchant/webhook-deliveries", get(webhooks::deliveries))
        .route("/checkout/sessions", post(checkout::create_session))
        .route("/checkout/sessions/{id}", get(checkout::session))
        .route("/checkout/sessions/{id}/public", get(checkout::public_session))
        .route("/checkout/sessions/{id}/confirm", post(checkout::confirm))
        .route("/checkout/sessions/{id}/cancel", post(checkout::cancel))
        .route("/refunds", post(checkout::refund))
        .route("/cards", post(funding::link_card).get(funding::cards))
        .route("/cards/{id}", delete(funding::remove_card))
        .route("/bank-accounts", post(funding::link_bank).get(funding::banks))
        .route("/bank-accounts/{id}", delete(funding::remove_bank))
        .route("/deposits", post(funding::deposit))
        .route("/quotes/withdrawal", get(funding::quote))
        .route("/withdrawals", post(funding::withdraw))
        .route("/sandbox/clock", get(sandbox::clock))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// `GET /api/v1/openapi.json`: the contract, kept beside the code that serves it.
async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("../../openapi.json"))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "This method is not allowed here.")
}

/// Answers `503` for a request still running after [`REQUEST_TIMEOUT`], so no request can hold
/// a graceful shutdown open forever.
async fn timeout(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::unavailable("the request timed out").into_response(),
    }
}
