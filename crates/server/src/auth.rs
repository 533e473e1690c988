//! Who is asking: passwords and PINs (argon2id), sessions (a random 256-bit token in an
//! HttpOnly cookie, only its SHA-256 in the database, so every instance shares them and
//! sign-out ends a session everywhere), the [`CurrentUser`] extractor, and the CSRF rule.

use std::net::SocketAddr;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use purse_api::{ErrorCode, Handle, Role, User};
use sha2::{Digest, Sha256};

use crate::db::UserRow;
use crate::error::AppError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "purse_session";
/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 30 * 24 * 3600;
const NANOS: i64 = 1_000_000_000;

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A new opaque id: `prefix_` and 22 characters of base32.
pub fn new_public_id(prefix: &str) -> String {
    let bytes = random_bytes::<14>();
    format!("{prefix}_{}", data_encoding::BASE32_DNSSEC.encode(&bytes))
}

/// argon2id with the cost in force (OWASP's minimum in production; cheaper in tests).
#[derive(Clone, Debug)]
pub struct Passwords {
    params: Params,
}

impl Passwords {
    /// m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum for argon2id.
    pub fn production() -> Passwords {
        Passwords { params: Params::new(19 * 1024, 2, 1, None).unwrap_or_default() }
    }

    /// Fast, for tests only: the same algorithm at the lowest cost.
    pub fn for_tests() -> Passwords {
        Passwords { params: Params::new(Params::MIN_M_COST.max(8), 1, 1, None).unwrap_or_default() }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes on a blocking thread: argon2 is deliberately slow.
    pub async fn hash(&self, secret: &str) -> Result<String, AppError> {
        let (argon2, secret) = (self.argon2(), secret.to_string());
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2.hash_password(secret.as_bytes(), &salt).map(|hash| hash.to_string())
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// Checks `secret` against a stored hash, on a blocking thread. With no hash (an unknown
    /// handle), still spends the time of a real check, so timing does not tell who exists.
    pub async fn verify(&self, stored: Option<&str>, secret: &str) -> Result<bool, AppError> {
        let argon2 = self.argon2();
        let secret = secret.to_string();
        let stored = match stored {
            Some(stored) => stored.to_string(),
            None => DUMMY_HASH.get_or_init(|| self.dummy()).clone(),
        };
        tokio::task::spawn_blocking(move || {
            let Ok(hash) = PasswordHash::new(&stored) else { return false };
            argon2.verify_password(secret.as_bytes(), &hash).is_ok()
        })
        .await
        .map_err(AppError::internal)
    }

    fn dummy(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2().hash_password(b"no such person", &salt).map(|h| h.to_string()).unwrap_or_default()
    }
}

/// A hash of nothing anyone knows, checked against when the handle does not exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A fresh session token (for the cookie) and its hash (for the database).
pub fn new_session_token() -> (String, [u8; 32]) {
    let token = random_bytes::<32>();
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token);
    (text, Sha256::digest(token).into())
}

/// The hash of a cookie's token, if the cookie holds a well-formed one.
pub fn token_hash(cookie_value: &str) -> Option<[u8; 32]> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cookie_value).ok()?;
    (bytes.len() == 32).then(|| Sha256::digest(&bytes).into())
}

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

/// Opens a session for `user` and returns its `Set-Cookie`.
pub async fn open_session(
    state: &AppState,
    user: &UserRow,
    request_headers: &HeaderMap,
) -> Result<HeaderValue, AppError> {
    let (token, hash) = new_session_token();
    let now = state.now();
    state
        .db
        .insert_session(&hash, user.id, now, now + SESSION_SECONDS * NANOS)
        .await
        .map_err(AppError::unavailable)?;
    Ok(session_cookie_header(&token, request_headers))
}

/// The signed-in person, from the session cookie; `401 unauthenticated` without one.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub row: UserRow,
    /// The session's token hash, so sign-out can end exactly this session.
    pub session: [u8; 32],
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<CurrentUser, AppError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let hash = session_cookie(&parts.headers).and_then(token_hash).ok_or_else(unauthenticated)?;
        let row = state.db.session_user(&hash, state.now()).await.map_err(AppError::unavailable)?;
        let user = CurrentUser { row: row.ok_or_else(unauthenticated)?, session: hash };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The signed-in person's id, and nothing else: what most reads need. For `GET`s the
/// session is remembered for [`SESSION_CACHE_SECONDS`], saving a database round trip per
/// request; anything that changes state checks the database every time. So a session ended on
/// another instance can still *read* for at most that long, and can never move money.
#[derive(Clone, Copy, Debug)]
pub struct SignedIn {
    pub user_id: i64,
}

/// How long a read may trust a session it checked before.
pub const SESSION_CACHE_SECONDS: i64 = 1;

/// Sessions checked recently, by token hash: the person and when the entry was made.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (i64, i64)>>,
}

/// Beyond this many entries the cache starts over (sessions are cheap to check again).
const SESSION_CACHE_MAX: usize = 100_000;

impl SessionCache {
    fn get(&self, hash: &[u8; 32], now: i64) -> Option<i64> {
        let entries = self.entries.lock().ok()?;
        let (user_id, cached_at) = *entries.get(hash)?;
        (now - cached_at < SESSION_CACHE_SECONDS * NANOS && now >= cached_at).then_some(user_id)
    }

    fn put(&self, hash: [u8; 32], user_id: i64, now: i64) {
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
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, AppError> {
        let read = matches!(parts.method, Method::GET | Method::HEAD);
        let hash = session_cookie(&parts.headers).and_then(token_hash).ok_or_else(unauthenticated)?;
        let now = state.now();
        if read && let Some(user_id) = state.sessions.get(&hash, now) {
            return Ok(SignedIn { user_id });
        }
        let user = CurrentUser::from_request_parts(parts, state).await?;
        state.sessions.put(hash, user.row.id, now);
        Ok(SignedIn { user_id: user.row.id })
    }
}

fn unauthenticated() -> AppError {
    AppError::new(ErrorCode::Unauthenticated, "Sign in to continue.")
}

impl CurrentUser {
    pub fn handle(&self) -> Result<Handle, AppError> {
        Handle::parse(&self.row.handle).map_err(AppError::internal)
    }
}

/// The API view of a stored person.
pub fn user_view(row: &UserRow) -> Result<User, AppError> {
    Ok(User {
        id: row.public_id.clone(),
        handle: Handle::parse(&row.handle).map_err(AppError::internal)?,
        display_name: row.display_name.clone(),
        pin_set: row.pin_hash.is_some(),
        roles: roles(row.roles),
    })
}

pub const ROLE_CREATOR: i64 = 1;
pub const ROLE_MERCHANT: i64 = 2;

/// Everyone is a member; the stored bits add creator and merchant.
pub fn roles(bits: i64) -> Vec<Role> {
    let mut roles = vec![Role::Member];
    if bits & ROLE_CREATOR != 0 {
        roles.push(Role::Creator);
    }
    if bits & ROLE_MERCHANT != 0 {
        roles.push(Role::Merchant);
    }
    roles
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
        return AppError::new(
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
    fn tokens_round_trip_to_their_hash_and_nothing_else_does() {
        let (token, hash) = new_session_token();
        assert_eq!(token_hash(&token), Some(hash));
        assert_eq!(token_hash("not-base64!"), None);
        assert_eq!(token_hash("c2hvcnQ"), None);
    }

    #[test]
    fn cookies_are_httponly_lax_and_secure_over_https() {
        let plain = session_cookie_header("t", &HeaderMap::new());
        let plain = plain.to_str().unwrap_or_default();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax") && !plain.contains("Secure"));
        let https = session_cookie_header("t", &headers(&[("x-forwarded-proto", "https")]));
        assert!(https.to_str().unwrap_or_default().ends_with("; Secure"));
    }

    #[tokio::test]
    async fn passwords_verify_only_themselves() {
        let passwords = Passwords::for_tests();
        let hash = passwords.hash("correct horse").await.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords.verify(Some(&hash), "correct horse").await.unwrap_or(false));
        assert!(!passwords.verify(Some(&hash), "correct horsE").await.unwrap_or(true));
        assert!(!passwords.verify(None, "anything").await.unwrap_or(true));
    }
}
