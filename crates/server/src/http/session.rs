//! Who is asking: the session cookie (a random 256-bit token, HttpOnly; see
//! [`crate::flows::people`] for what is stored), the [`CurrentUser`] and [`SignedIn`]
//! extractors, the client's address, and the CSRF rule.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use purse_api::ErrorCode;

use crate::flows::people::{self, SESSION_SECONDS, token_hash};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::ids::PersonId;
use crate::store::people::UserRow;
use crate::time::Time;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "purse_session";

/// The session cookie's value in a request, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Whether the request reached us over HTTPS (directly or through a proxy that says so).
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over HTTPS.
pub fn session_cookie_header(token: &str, request_headers: &HeaderMap) -> HeaderValue {
    let secure = if is_https(request_headers) { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie_header(request_headers: &HeaderMap) -> HeaderValue {
    let secure = if is_https(request_headers) { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}");
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in person, from the session cookie; `401 unauthenticated` without one.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub row: UserRow,
    /// The session's token hash, so sign-out can end exactly this session.
    pub session: [u8; 32],
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<CurrentUser, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let hash = session_cookie(&parts.headers).and_then(token_hash).ok_or_else(unauthenticated)?;
        let row = people::session_user(state, &hash).await?;
        let user = CurrentUser { row: row.ok_or_else(unauthenticated)?, session: hash };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The signed-in person if the request has a live session; `None` otherwise (a page anyone
/// may see, which does more for its signed-in viewer).
impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<CurrentUser>, ApiError> {
        if session_cookie(&parts.headers).is_none() {
            return Ok(None);
        }
        match <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(error) if error.status() == axum::http::StatusCode::UNAUTHORIZED => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The signed-in person's id, and nothing else: what most reads need. For `GET`s the
/// session is remembered for [`SESSION_CACHE_SECONDS`], saving a database round trip per
/// request; anything that changes state checks the database every time. So a session ended on
/// another instance can still *read* for at most that long, and can never move money.
#[derive(Clone, Copy, Debug)]
pub struct SignedIn {
    pub user_id: PersonId,
}

/// How long a read may trust a session it checked before.
pub const SESSION_CACHE_SECONDS: i64 = 1;

/// Sessions checked recently, by token hash: the person and when the entry was made.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (PersonId, Time)>>,
}

/// Beyond this many entries the cache starts over (sessions are cheap to check again).
const SESSION_CACHE_MAX: usize = 100_000;

impl SessionCache {
    fn get(&self, hash: &[u8; 32], now: Time) -> Option<PersonId> {
        let entries = self.entries.lock().ok()?;
        let (user_id, cached_at) = *entries.get(hash)?;
        (now < cached_at.plus_seconds(SESSION_CACHE_SECONDS) && now >= cached_at).then_some(user_id)
    }

    fn put(&self, hash: [u8; 32], user_id: PersonId, now: Time) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= SESSION_CACHE_MAX {
                entries.clear();
            }
            entries.insert(hash, (user_id, now));
        }
    }

    /// Forgets a session (sign-out on this instance).
    pub fn forget(&self, hash: &[u8; 32]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(hash);
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, ApiError> {
        let read = matches!(parts.method, Method::GET | Method::HEAD);
        let hash = session_cookie(&parts.headers).and_then(token_hash).ok_or_else(unauthenticated)?;
        let now = state.now();
        if read && let Some(user_id) = state.sessions().get(&hash, now) {
            return Ok(SignedIn { user_id });
        }
        let user = CurrentUser::from_request_parts(parts, state).await?;
        state.sessions().put(hash, user.row.id, now);
        Ok(SignedIn { user_id: user.row.id })
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "Sign in to continue.")
}

/// The client's address: the socket peer (the server trusts no proxy headers for this).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ClientAddress, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_string(), |ConnectInfo(addr)| addr.ip().to_string());
        Ok(ClientAddress(address))
    }
}

/// Middleware: a state-changing request carrying the session cookie is refused with
/// `403 csrf_rejected` when the browser says it comes from another site (`Sec-Fetch-Site:
/// cross-site`) or names an `Origin` other than this server's.
pub async fn csrf(State(_state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && session_cookie(request.headers()).is_some() && is_cross_site(request.headers()) {
        return ApiError::new(
            ErrorCode::CsrfRejected,
            "This request came from another site and was refused.",
        )
        .into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    // The origin's authority must be this server's: `scheme://host[:port]` against `Host`.
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    origin == "null" || !authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let cases = [
            (vec![("host", "purse.test")], false),
            (vec![("host", "purse.test"), ("sec-fetch-site", "same-origin")], false),
            (vec![("host", "purse.test"), ("sec-fetch-site", "cross-site")], true),
            (vec![("host", "purse.test"), ("origin", "https://purse.test")], false),
            (vec![("host", "purse.test:8080"), ("origin", "http://purse.test:8080")], false),
            (vec![("host", "purse.test"), ("origin", "https://evil.test")], true),
            (vec![("host", "purse.test"), ("origin", "https://purse.test.evil.test")], true),
            (vec![("host", "purse.test"), ("origin", "null")], true),
        ];
        for (pairs, expected) in cases {
            assert_eq!(is_cross_site(&headers(&pairs)), expected, "{pairs:?}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let map = headers(&[("cookie", "theme=dark; purse_session=abc; other=1")]);
        assert_eq!(session_cookie(&map), Some("abc"));
        assert_eq!(session_cookie(&headers(&[("cookie", "purse_sessionx=abc")])), None);
    }

    #[test]
    fn cookies_are_httponly_lax_and_secure_over_https() {
        let plain = session_cookie_header("t", &HeaderMap::new());
        let plain = plain.to_str().unwrap_or_default();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax") && !plain.contains("Secure"));
        let https = session_cookie_header("t", &headers(&[("x-forwarded-proto", "https")]));
        assert!(https.to_str().unwrap_or_default().ends_with("; Secure"));
    }
}
