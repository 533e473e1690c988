//! Headers that depend on the request: HSTS for a request that reached us over HTTPS, and
//! `Cache-Control: no-store` on every authenticated API answer (hardening finding 12).
//!
//! Purse itself listens in plain HTTP, so HTTPS means a proxy in front said so with
//! `X-Forwarded-Proto: https`; that header is believed only with `serve --trust-proxy`, since
//! without a proxy anyone can send it. (The client address trusts no proxy header either.)

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::session::session_cookie;
use crate::http::state::AppState;

/// Two years, subdomains included.
pub const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000; includeSubDomains");

/// Middleware: two header lookups before the request, at most two inserts after.
pub async fn by_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let https = state.settings.trust_proxy && forwarded_https(request.headers());
    let authenticated = request.uri().path().starts_with("/api/") && authenticated(request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if authenticated {
        // Nothing answered to a session or a merchant's key may be kept by a browser or a cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The proxy says the request came over HTTPS.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The request carries a session cookie or a merchant's key.
fn authenticated(headers: &HeaderMap) -> bool {
    session_cookie(headers).is_some() || headers.contains_key(header::AUTHORIZATION)
}
