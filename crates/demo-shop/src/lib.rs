//! `purse-demo-shop`: "Souq Books", a tiny storefront at `/demo/shop` that takes payment with
//! Purse Checkout exactly as a third-party merchant would, over real HTTP and through the public
//! merchant API only. Its own crate, so it cannot reach anything of the server's: `serve --demo`
//! merges its router (its own state, its own HTTP client) and that is all they share, the port.
//!
//! The flow, which README's "Integrating Purse Checkout" walks through with excerpts from here:
//!
//! 1. On its first need, the shop signs in as the merchant (`souq_books` in the demo), creates
//!    an API key and registers a webhook endpoint (`{purse_url}/demo/shop/webhooks`). Both
//!    secrets stay in memory only.
//! 2. "Pay with Purse" (a plain form POST) numbers an order and creates a checkout session
//!    server-side with the secret key (`POST /api/v1/checkout/sessions`, idempotent), then
//!    answers `303` to the session's hosted page.
//! 3. Purse sends the buyer back to the order page with `?session_id=cs_…`, which proves nothing:
//!    the page waits (refreshing every second) until Purse's *signed* webhook
//!    `checkout.session.completed` arrives, and only then says "Paid".
//! 4. Webhooks are verified with nothing but the `whsec_…` secret (HMAC-SHA256 over
//!    `"<t>.<raw body>"`, constant-time compare, five minutes of tolerance), deduplicated by
//!    event id, applied, and answered `200` at once.
//!
//! Orders live in memory and every visitor sees all of them: this is a demo, not a shop.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};
use hmac::{Hmac, Mac};
use purse_api::{AmountText, NewCheckoutSession, NewKey, NewWebhookEndpoint};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use tower_http::set_header::SetResponseHeaderLayer;

type HmacSha256 = Hmac<Sha256>;

/// The shop's own Content-Security-Policy: no scripts at all, its one stylesheet, forms that
/// post only to itself.
pub const CSP: &str =
    "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A webhook whose `t=` is further than this from now (either way) is refused: a captured
/// delivery cannot be replayed later.
pub const SIGNATURE_TOLERANCE_SECONDS: u64 = 5 * 60;

/// The header Purse signs webhook deliveries with.
pub const SIGNATURE_HEADER: &str = "purse-signature";

/// The events the shop subscribes to.
const EVENTS: [&str; 3] = ["checkout.session.completed", "checkout.session.expired", "refund.created"];

/// How many webhook events the page keeps (newest first).
const EVENTS_KEPT: usize = 50;

/// `/demo/shop/shop.css`: the pages carry no inline style (the CSP forbids it).
const STYLESHEET: &str = "\
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --accent: #0b6e4f; \
--paid: #0b6e4f; --warn: #9a6700; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--ink); \
background: #faf8f3; }
.masthead { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding: .75rem 1.25rem; \
background: #2b2118; color: #fdf6e3; }
.brand { color: #fdf6e3; font-weight: 700; font-size: 1.25rem; text-decoration: none; }
.tagline { color: #e6d8b8; font-size: .9rem; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 2rem; }
h1 { margin: .5rem 0; }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.lede, .note, .author, footer { color: var(--muted); }
.products { list-style: none; padding: 0; display: grid; gap: 1rem; \
grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.product { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; \
display: flex; flex-direction: column; }
.product h3 { margin: 0; }
.product .author { margin: .25rem 0; }
.product .blurb { flex: 1; }
.price { font-weight: 600; font-variant-numeric: tabular-nums; }
button.pay, a.pay { display: inline-block; font: inherit; font-weight: 600; color: #fff; background: var(--accent); \
border: 0; border-radius: .375rem; padding: .5rem 1rem; cursor: pointer; text-decoration: none; }
button.pay:hover, a.pay:hover { filter: brightness(1.1); }
button.pay:focus-visible, a.pay:focus-visible, a:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
.orders, .events { padding-inline-start: 1.5rem; }
.orders li, .events li { margin: .35rem 0; }
.status { font-weight: 600; }
#order-status { font-size: 1.25rem; padding: .75rem 1rem; border-radius: .5rem; background: #fff; \
border: 1px solid var(--line); }
.status-paid { color: var(--paid); }
.status-awaiting_payment { color: var(--warn); }
.status-canceled, .status-expired, .status-failed, .status-refunded { color: var(--bad); }
.verified-true { color: var(--paid); }
.verified-false { color: var(--bad); }
code { font-size: .9em; overflow-wrap: anywhere; }
footer { max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem; font-size: .875rem; \
border-top: 1px solid var(--line); }
";

/// Where Purse is, and whom the shop signs in as to set itself up.
#[derive(Clone)]
pub struct ShopConfig {
    /// Purse's origin, e.g. `http://127.0.0.1:8080` (no trailing slash). In the demo the shop
    /// is served by the same process, so this is the shop's own origin too (its return URLs
    /// and its webhook URL are built on it).
    pub purse_url: String,
    pub merchant_handle: String,
    pub merchant_password: String,
}

impl std::fmt::Debug for ShopConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopConfig")
            .field("purse_url", &self.purse_url)
            .field("merchant_handle", &self.merchant_handle)
            .field("merchant_password", &"…")
            .finish()
    }
}

/// The shop's routes, already under `/demo/shop`, with their own state and their own response
/// headers (so the caller can `.merge` them into a router whose layers are already applied).
pub fn router(config: ShopConfig) -> Router {
    router_for(Shop::new(config))
}

fn router_for(shop: Shop) -> Router {
    Router::new()
        .route("/demo/shop", get(home))
        .route("/demo/shop/shop.css", get(stylesheet))
        .route("/demo/shop/orders", post(create_order))
        .route("/demo/shop/orders/{number}", get(order_page))
        .route("/demo/shop/webhooks", post(webhook))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(shop)
}

// ---------------------------------------------------------------------------------------------
// Webhook signatures
// ---------------------------------------------------------------------------------------------

/// Why a `Purse-Signature` header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not `t=<unix seconds>,v1=<64 hex digits>[,v1=…]`.
    #[error("the Purse-Signature header is malformed")]
    Malformed,
    /// `t` is more than five minutes from now.
    #[error("the Purse-Signature timestamp is more than five minutes from now")]
    Stale,
    /// No `v1` value is the HMAC of this body at this time with this secret.
    #[error("no Purse-Signature v1 value matches the body")]
    Mismatch,
}

/// The MAC Purse computes: HMAC-SHA256 keyed with the whole `whsec_…` secret, over
/// `"<t>.<raw body>"`.
fn signature_mac(secret: &str, t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Purse-Signature` header value for `body` sent at `t` (unix seconds).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let digest = signature_mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", HEXLOWER.encode(&digest))
}

/// Checks a `Purse-Signature` header against the raw body with nothing but the endpoint's
/// secret. Accepts when any `v1=` value matches (Purse may send several while a secret is being
/// rolled); compares in constant time; refuses a timestamp more than five minutes from
/// `now_unix`. Unknown schemes (`v0=`, a future `v2=`) are ignored.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let t = value.parse::<i64>().ok().filter(|_| digits).ok_or(SignatureError::Malformed)?;
                if timestamp.replace(t).is_some() {
                    return Err(SignatureError::Malformed);
                }
            }
            "v1" => {
                let bytes =
                    HEXLOWER_PERMISSIVE.decode(value.as_bytes()).map_err(|_| SignatureError::Malformed)?;
                if bytes.len() != 32 {
                    return Err(SignatureError::Malformed);
                }
                candidates.push(bytes);
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now_unix.abs_diff(t) > SIGNATURE_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = signature_mac(secret, t, body);
    // `verify_slice` compares in constant time.
    if candidates.iter().any(|candidate| expected.clone().verify_slice(candidate).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn unix_now() -> i64 {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// The catalogue and the orders
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Product {
    slug: &'static str,
    title: &'static str,
    author: &'static str,
    blurb: &'static str,
    /// USD, as API.md writes amounts.
    price: &'static str,
}

const CURRENCY: &str = "USD";

const PRODUCTS: [Product; 3] = [
    Product {
        slug: "desert-poems",
        title: "Poems of the Empty Quarter",
        author: "Layla Haddad",
        blurb: "Forty short poems written on the road between two oases.",
        price: "12.50",
    },
    Product {
        slug: "silk-road-cookbook",
        title: "The Silk Road Cookbook",
        author: "Omar Farouk",
        blurb: "Bread, rice and spice from Xi'an to Aleppo, in 120 recipes.",
        price: "24.00",
    },
    Product {
        slug: "coffee-history",
        title: "A Short History of Coffee",
        author: "Ines Marlow",
        blurb: "From the port of Mocha to your cup, in a pocket paperback.",
        price: "7.99",
    },
];

fn product(slug: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.slug == slug)
}

/// `"12.50"` → 1250 (two decimals, USD).
fn cents(amount: &str) -> Option<i64> {
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !all_digits(units) || !all_digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    units.parse::<i64>().ok()?.checked_mul(100)?.checked_add(fraction.parse::<i64>().ok()?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OrderStatus {
    /// The checkout session is being created.
    Creating,
    AwaitingPayment,
    /// Purse's signed `checkout.session.completed` arrived (and nothing else is proof).
    Paid,
    /// The buyer left Purse's page, and Purse (asked server-side) says the session is canceled.
    Canceled,
    Expired,
    Refunded,
    /// Purse refused to create the session, or could not be reached.
    Failed,
}

impl OrderStatus {
    /// The stable, lower-case word tests and stylesheets key on (`data-status`, `status-…`).
    fn code(self) -> &'static str {
        match self {
            OrderStatus::Creating | OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Failed => "failed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            OrderStatus::Creating | OrderStatus::AwaitingPayment => "awaiting payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Failed => "not started",
        }
    }
}

#[derive(Debug)]
struct Order {
    number: u64,
    product: &'static Product,
    status: OrderStatus,
    session_id: Option<String>,
    /// The hosted checkout page, absolute.
    session_url: Option<String>,
    refunded_cents: i64,
    problem: Option<String>,
}

/// A webhook delivery as the page lists it.
#[derive(Debug)]
struct EventRecord {
    id: String,
    kind: String,
    verified: bool,
    /// What the shop did with it (or why it refused it).
    note: String,
    deliveries: u32,
}

#[derive(Debug, Default)]
struct Book {
    orders: Vec<Order>,
    /// Newest first, at most [`EVENTS_KEPT`].
    events: VecDeque<EventRecord>,
    /// Every verified event id applied: Purse delivers at least once.
    seen: HashSet<String>,
}

impl Book {
    fn order_mut(&mut self, number: u64) -> Option<&mut Order> {
        self.orders.iter_mut().find(|o| o.number == number)
    }

    fn record(&mut self, event: EventRecord) {
        self.events.push_front(event);
        self.events.truncate(EVENTS_KEPT);
    }

    /// Applies a verified, new event to the order it names; returns what happened, for the page.
    fn apply(&mut self, kind: &str, object: &Value) -> String {
        let text = |name: &str| object.get(name).and_then(Value::as_str);
        match kind {
            "checkout.session.completed" | "checkout.session.expired" => {
                let reference = text("client_reference_id");
                let Some(order) = reference.and_then(|r| r.parse().ok()).and_then(|n| self.order_mut(n))
                else {
                    return "no order has this client_reference_id".into();
                };
                // The reference is the order number, which a restarted shop hands out again:
                // the session id says whether this is really that order's session.
                if order.session_id.is_none() || order.session_id.as_deref() != text("id") {
                    return format!("not order #{}'s session: ignored", order.number);
                }
                if kind == "checkout.session.completed" {
                    if order.status != OrderStatus::Refunded {
                        order.status = OrderStatus::Paid;
                    }
                    format!("order #{} paid", order.number)
                } else {
                    if matches!(order.status, OrderStatus::Creating | OrderStatus::AwaitingPayment) {
                        order.status = OrderStatus::Expired;
                    }
                    format!("order #{} expired", order.number)
                }
            }
            "refund.created" => {
                let session = text("checkout_session");
                let amount = text("amount").and_then(cents);
                let Some(order) =
                    self.orders.iter_mut().find(|o| session.is_some() && o.session_id.as_deref() == session)
                else {
                    return "no order has this checkout session".into();
                };
                let Some(amount) = amount else {
                    return format!("order #{}: the refund's amount is unreadable", order.number);
                };
                order.refunded_cents = order.refunded_cents.saturating_add(amount);
                if cents(order.product.price).is_some_and(|price| order.refunded_cents >= price) {
                    order.status = OrderStatus::Refunded;
                    format!("order #{} refunded", order.number)
                } else {
                    format!("order #{} partly refunded", order.number)
                }
            }
            _ => "not an event this shop handles".into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Talking to Purse
// ---------------------------------------------------------------------------------------------

/// Why a call to Purse did not give the answer the shop needed.
#[derive(Debug, thiserror::Error)]
enum PurseError {
    #[error("Purse could not be reached ({0})")]
    Unreachable(String),
    #[error("Purse answered {status}: {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("Purse's answer was not understood ({0})")]
    Unexpected(String),
}

impl PurseError {
    /// Worth sending again with the same idempotency key.
    fn is_transient(&self) -> bool {
        match self {
            PurseError::Unreachable(_) => true,
            PurseError::Refused { status, .. } => *status >= 500 || *status == 409,
            PurseError::Unexpected(_) => false,
        }
    }

    fn is_unauthorized(&self) -> bool {
        matches!(self, PurseError::Refused { status: 401, .. })
    }
}

/// The secrets the shop holds, in memory only.
#[derive(Default)]
struct Secrets {
    /// `sk_…`, for the merchant API.
    api_key: Option<String>,
    /// `whsec_…`, for the webhook endpoint this shop registered.
    webhook_secret: Option<String>,
}

/// The fields of a checkout session the shop reads (the rest is ignored).
#[derive(Debug, Deserialize)]
struct SessionView {
    id: String,
    url: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct SessionEnvelope {
    session: SessionView,
}

#[derive(Debug, Deserialize)]
struct SecretView {
    secret: String,
}

#[derive(Clone)]
struct Shop {
    inner: Arc<Inner>,
}

struct Inner {
    config: ShopConfig,
    http: reqwest::Client,
    /// Distinguishes this run's idempotency keys from an earlier run's (orders are numbered
    /// from 1 again after a restart, but Purse remembers keys for a day).
    run: u128,
    /// Held while signing in and creating the key or the endpoint, so that happens once.
    setting_up: tokio::sync::Mutex<()>,
    secrets: Mutex<Secrets>,
    book: Mutex<Book>,
}

impl Shop {
    fn new(mut config: ShopConfig) -> Shop {
        config.purse_url = config.purse_url.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            // The demo's Purse is on loopback: never through a proxy from the environment.
            .no_proxy()
            .user_agent("souq-books-demo-shop/1")
            .build()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the demo shop's HTTP client could not be configured; using defaults");
                reqwest::Client::new()
            });
        let run = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Shop {
            inner: Arc::new(Inner {
                config,
                http,
                run,
                setting_up: tokio::sync::Mutex::new(()),
                secrets: Mutex::new(Secrets::default()),
                book: Mutex::new(Book::default()),
            }),
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn secrets(&self) -> MutexGuard<'_, Secrets> {
        self.inner.secrets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.purse_url)
    }

    /// The secret key, setting the shop up first if needed: sign in as the merchant, create a
    /// key, register the webhook endpoint. A failure leaves nothing half-done that matters:
    /// the next call tries again (and only creates what is still missing).
    async fn api_key(&self) -> Result<String, PurseError> {
        if let Some(key) = self.secrets().api_key.clone() {
            return Ok(key);
        }
        let _turn = self.inner.setting_up.lock().await;
        let (key, has_endpoint) = {
            let secrets = self.secrets();
            (secrets.api_key.clone(), secrets.webhook_secret.is_some())
        };
        if let Some(key) = key {
            return Ok(key);
        }
        let cookie = self.sign_in().await?;
        let outcome = self.create_secrets(&cookie, has_endpoint).await;
        // The session was only needed for the two secrets.
        self.sign_out(&cookie).await;
        outcome
    }

    async fn create_secrets(&self, cookie: &str, has_endpoint: bool) -> Result<String, PurseError> {
        if !has_endpoint {
            // An earlier run's endpoint at this URL has a secret this run does not know: remove
            // it, or Purse would keep sending it events that this run refuses.
            let listed = self.inner.http.get(self.url("/api/v1/merchant/webhook-endpoints"));
            let listed: purse_api::WebhookEndpointList =
                read(listed.header(header::COOKIE, cookie).send().await).await?;
            for old in listed.items.iter().filter(|e| e.url == self.url("/demo/shop/webhooks")) {
                let remove = self
                    .inner
                    .http
                    .delete(self.url(&format!("/api/v1/merchant/webhook-endpoints/{}", old.id)));
                checked(remove.header(header::COOKIE, cookie).send().await).await?;
            }
            let endpoint = NewWebhookEndpoint {
                url: self.url("/demo/shop/webhooks"),
                events: EVENTS.iter().map(|e| (*e).to_string()).collect(),
            };
            let request = self.inner.http.post(self.url("/api/v1/merchant/webhook-endpoints"));
            let created: SecretView =
                read(request.header(header::COOKIE, cookie).json(&endpoint).send().await).await?;
            self.secrets().webhook_secret = Some(created.secret);
        }
        let request = self.inner.http.post(self.url("/api/v1/merchant/keys"));
        let key = NewKey { name: "Demo shop".into() };
        let created: SecretView =
            read(request.header(header::COOKIE, cookie).json(&key).send().await).await?;
        self.secrets().api_key = Some(created.secret.clone());
        // Earlier runs' keys are forgotten with those runs: revoke them.
        let listed = self.inner.http.get(self.url("/api/v1/merchant/keys"));
        let listed: purse_api::KeyList = read(listed.header(header::COOKIE, cookie).send().await).await?;
        for old in listed
            .items
            .iter()
            .filter(|k| k.name == key.name && !k.revoked && !created.secret.starts_with(&k.prefix))
        {
            let revoke = self.inner.http.delete(self.url(&format!("/api/v1/merchant/keys/{}", old.id)));
            checked(revoke.header(header::COOKIE, cookie).send().await).await?;
        }
        tracing::info!("demo shop: signed in to Purse, created an API key and a webhook endpoint");
        Ok(created.secret)
    }

    /// Signs in as the merchant; returns the `Cookie` header value carrying the session.
    async fn sign_in(&self) -> Result<String, PurseError> {
        let config = &self.inner.config;
        let body =
            serde_json::json!({"handle": config.merchant_handle, "password": config.merchant_password});
        let response = self.inner.http.post(self.url("/api/v1/auth/login")).json(&body).send().await;
        let response = checked(response).await?;
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| value.split(';').next())
            .map(str::trim)
            .find(|pair| pair.strip_prefix("purse_session=").is_some_and(|v| !v.is_empty()))
            .map(str::to_string)
            .ok_or_else(|| PurseError::Unexpected("signing in set no purse_session cookie".into()))
    }

    async fn sign_out(&self, cookie: &str) {
        let request = self.inner.http.post(self.url("/api/v1/auth/logout")).header(header::COOKIE, cookie);
        if let Err(error) = checked(request.send().await).await {
            tracing::debug!(%error, "demo shop: signing out of Purse failed");
        }
    }

    /// Forgets a key Purse no longer accepts (revoked in the wallet), so the next call makes a
    /// new one.
    fn forget_key(&self, key: &str) {
        let mut secrets = self.secrets();
        if secrets.api_key.as_deref() == Some(key) {
            secrets.api_key = None;
        }
    }

    /// Creates the checkout session for order `number`. The same idempotency key on every
    /// attempt, so a retry after a lost answer gets the first session back instead of a second.
    async fn create_session(&self, number: u64, product: &Product) -> Result<SessionView, PurseError> {
        let order_url = self.url(&format!("/demo/shop/orders/{number}"));
        let body = NewCheckoutSession {
            amount: AmountText::from(product.price),
            currency: CURRENCY.into(),
            description: format!("{} ({}), Souq Books order #{number}", product.title, product.author),
            success_url: order_url.clone(),
            cancel_url: format!("{order_url}?canceled=1"),
            client_reference_id: Some(number.to_string()),
            metadata: Some([("order".to_string(), number.to_string())].into_iter().collect()),
        };
        let idempotency_key = format!("demo-shop-{}-order-{number}", self.inner.run);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let key = self.api_key().await?;
            let request = self
                .inner
                .http
                .post(self.url("/api/v1/checkout/sessions"))
                .bearer_auth(&key)
                .header("idempotency-key", &idempotency_key)
                .json(&body);
            match read::<SessionEnvelope>(request.send().await).await {
                Ok(envelope) => return Ok(envelope.session),
                Err(error) if attempt < 3 && error.is_unauthorized() => self.forget_key(&key),
                Err(error) if attempt < 3 && error.is_transient() => {
                    tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn get_session(&self, id: &str) -> Result<SessionView, PurseError> {
        let key = self.api_key().await?;
        let request =
            self.inner.http.get(self.url(&format!("/api/v1/checkout/sessions/{id}"))).bearer_auth(&key);
        let outcome = read::<SessionEnvelope>(request.send().await).await;
        if outcome.as_ref().is_err_and(PurseError::is_unauthorized) {
            self.forget_key(&key);
        }
        outcome.map(|envelope| envelope.session)
    }

    /// The hosted page's URL, absolute (Purse gives a path on its own origin).
    fn absolute(&self, url: &str) -> String {
        if url.starts_with("https://") || url.starts_with("http://") {
            url.to_string()
        } else {
            self.url(&format!("/{}", url.trim_start_matches('/')))
        }
    }
}

/// A 2xx answer, or the error Purse named.
async fn checked(response: reqwest::Result<reqwest::Response>) -> Result<reqwest::Response, PurseError> {
    let response = response.map_err(|e| PurseError::Unreachable(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let field = |name: &str| body["error"][name].as_str().unwrap_or("").to_string();
    Err(PurseError::Refused { status: status.as_u16(), code: field("code"), message: field("message") })
}

async fn read<T: serde::de::DeserializeOwned>(
    response: reqwest::Result<reqwest::Response>,
) -> Result<T, PurseError> {
    checked(response).await?.json::<T>().await.map_err(|e| PurseError::Unexpected(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], STYLESHEET)
        .into_response()
}

async fn home(State(shop): State<Shop>) -> Response {
    let mut body = String::from(
        "<h1>Souq Books</h1>\n<p class=\"lede\">Independent books, paid for with Purse.</p>\n\
         <section aria-labelledby=\"books-title\"><h2 id=\"books-title\">Books</h2>\n<ul class=\"products\">\n",
    );
    for p in &PRODUCTS {
        body.push_str(&format!(
            "<li class=\"product\" id=\"product-{slug}\"><h3>{title}</h3><p class=\"author\">{author}</p>\
             <p class=\"blurb\">{blurb}</p><p class=\"price\">{price} {CURRENCY}</p>\
             <form method=\"post\" action=\"/demo/shop/orders\">\
             <input type=\"hidden\" name=\"product\" value=\"{slug}\">\
             <button type=\"submit\" class=\"pay\" id=\"buy-{slug}\">Pay with Purse</button></form></li>\n",
            slug = escape(p.slug),
            title = escape(p.title),
            author = escape(p.author),
            blurb = escape(p.blurb),
            price = escape(p.price),
        ));
    }
    body.push_str("</ul></section>\n");

    let book = shop.book();
    body.push_str("<section aria-labelledby=\"orders-title\"><h2 id=\"orders-title\">Your orders</h2>\n");
    if book.orders.is_empty() {
        body.push_str("<p class=\"empty\" id=\"orders-empty\">No orders yet.</p>\n");
    } else {
        body.push_str("<ol class=\"orders\" id=\"orders\" reversed>\n");
        for order in book.orders.iter().rev() {
            body.push_str(&format!(
                "<li class=\"order\" id=\"order-{n}\" data-order=\"{n}\" data-status=\"{code}\">\
                 <a href=\"/demo/shop/orders/{n}\">Order #{n}</a> <span class=\"title\">{title}</span> \
                 <span class=\"price\">{price} {CURRENCY}</span> \
                 <span class=\"status status-{code}\">{label}</span></li>\n",
                n = order.number,
                code = order.status.code(),
                title = escape(order.product.title),
                price = escape(order.product.price),
                label = order.status.label(),
            ));
        }
        body.push_str("</ol>\n");
    }
    body.push_str("</section>\n");

    body.push_str(
        "<section aria-labelledby=\"events-title\"><h2 id=\"events-title\">Webhook events received</h2>\n\
         <p class=\"note\">Purse tells the shop what happened by signed webhooks; only a verified \
         <code>checkout.session.completed</code> marks an order paid.</p>\n<ul class=\"events\" id=\"webhook-events\">\n",
    );
    if book.events.is_empty() {
        body.push_str("<li class=\"empty\">None yet.</li>\n");
    }
    for event in &book.events {
        let verdict = if event.verified { "signature verified" } else { "signature refused" };
        let repeats = if event.deliveries > 1 {
            format!(" <span class=\"repeats\">(delivered {} times)</span>", event.deliveries)
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<li class=\"event\" data-type=\"{kind}\" data-event-id=\"{id}\" data-verified=\"{verified}\">\
             <code class=\"type\">{kind}</code> <code class=\"id\">{id}</code> \
             <span class=\"verdict verified-{verified}\">{verdict}</span>{repeats} \
             <span class=\"outcome\">{note}</span></li>\n",
            kind = escape(&event.kind),
            id = escape(&event.id),
            verified = event.verified,
            note = escape(&event.note),
        ));
    }
    body.push_str("</ul></section>\n");
    drop(book);
    html(StatusCode::OK, "Souq Books", &body, false)
}

#[derive(Debug, Deserialize)]
struct BuyForm {
    product: String,
}

async fn create_order(State(shop): State<Shop>, Form(form): Form<BuyForm>) -> Response {
    let Some(product) = product(&form.product) else {
        let body = "<h1>No such book</h1>\n<p><a href=\"/demo/shop\">Back to the shop</a></p>";
        return html(StatusCode::NOT_FOUND, "No such book", body, false);
    };
    let number = {
        let mut book = shop.book();
        let number = book.orders.last().map_or(1, |o| o.number + 1);
        book.orders.push(Order {
            number,
            product,
            status: OrderStatus::Creating,
            session_id: None,
            session_url: None,
            refunded_cents: 0,
            problem: None,
        });
        number
    };
    let outcome = shop.create_session(number, product).await;
    let mut book = shop.book();
    let Some(order) = book.order_mut(number) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match outcome {
        Ok(session) => {
            let url = shop.absolute(&session.url);
            order.status = OrderStatus::AwaitingPayment;
            order.session_id = Some(session.id);
            order.session_url = Some(url.clone());
            drop(book);
            see_other(&url)
        }
        Err(error) => {
            tracing::warn!(%error, order = number, "demo shop: the checkout session could not be created");
            order.status = OrderStatus::Failed;
            order.problem = Some(error.to_string());
            drop(book);
            let body = format!(
                "<h1>Purse did not start the checkout</h1>\n<p id=\"order-status\" class=\"status status-failed\" \
                 data-status=\"failed\">{}</p>\n<p><a href=\"/demo/shop\">Back to the shop</a></p>",
                escape(&error.to_string())
            );
            html(StatusCode::BAD_GATEWAY, "Checkout failed", &body, false)
        }
    }
}

async fn order_page(
    State(shop): State<Shop>,
    Path(number): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let not_found = || {
        let body = "<h1>No such order</h1>\n<p><a href=\"/demo/shop\">Back to the shop</a></p>";
        html(StatusCode::NOT_FOUND, "No such order", body, false)
    };
    let Ok(number) = number.parse::<u64>() else { return not_found() };
    let query = query.unwrap_or_default();
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    // Where Purse sent the buyer back to. Anyone can type this URL, so `session_id` is shown,
    // never believed: the order is paid only when Purse's signed webhook says so.
    let returned_session = param("session_id");
    let canceled = param("canceled").is_some();

    let (session_id, status) = {
        let mut book = shop.book();
        let Some(order) = book.order_mut(number) else { return not_found() };
        (order.session_id.clone(), order.status)
    };
    // Back from Purse's Cancel: ask Purse (server-side, with the secret key) rather than
    // believe the URL, which anyone could type.
    if canceled
        && status == OrderStatus::AwaitingPayment
        && let Some(id) = session_id
    {
        match shop.get_session(&id).await {
            Ok(session) => {
                let mut book = shop.book();
                if let Some(order) = book.order_mut(number)
                    && order.status == OrderStatus::AwaitingPayment
                {
                    match session.status.as_str() {
                        "canceled" => order.status = OrderStatus::Canceled,
                        "expired" => order.status = OrderStatus::Expired,
                        _ => {}
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, order = number, "demo shop: could not read the checkout session")
            }
        }
    }

    let book = shop.book();
    let Some(order) = book.orders.iter().find(|o| o.number == number) else { return not_found() };
    let code = order.status.code();
    let waiting = order.status == OrderStatus::AwaitingPayment && returned_session.is_some();
    let message = match order.status {
        OrderStatus::Paid => {
            "Paid. Thank you! Purse confirmed your payment; your book is on its way.".to_string()
        }
        OrderStatus::AwaitingPayment | OrderStatus::Creating if waiting => {
            "Waiting for Purse to confirm your payment…".to_string()
        }
        OrderStatus::AwaitingPayment | OrderStatus::Creating => "Awaiting payment.".to_string(),
        OrderStatus::Canceled => "Canceled: you left Purse's checkout without paying.".to_string(),
        OrderStatus::Expired => "Expired: the checkout closed before it was paid.".to_string(),
        OrderStatus::Refunded => "Refunded: the money went back to your Purse wallet.".to_string(),
        OrderStatus::Failed => format!(
            "Not started: {}",
            order.problem.as_deref().unwrap_or("Purse did not create a checkout session.")
        ),
    };
    let mut body = format!(
        "<h1>Order #{n}</h1>\n<p class=\"item\"><span class=\"title\">{title}</span> by {author}, \
         <span class=\"price\">{price} {CURRENCY}</span></p>\n\
         <p id=\"order-status\" class=\"status status-{code}\" data-status=\"{code}\">{message}</p>\n",
        n = order.number,
        title = escape(order.product.title),
        author = escape(order.product.author),
        price = escape(order.product.price),
        message = escape(&message),
    );
    if order.status == OrderStatus::Paid && order.refunded_cents > 0 {
        body.push_str(&format!(
            "<p class=\"refunded\">Partly refunded: {}.{:02} {CURRENCY}.</p>\n",
            order.refunded_cents / 100,
            order.refunded_cents % 100
        ));
    }
    if let Some(session) = &returned_session {
        body.push_str(&format!(
            "<p class=\"note\">Purse sent you back from checkout session <code>{}</code>. The shop does \
             not take that as proof of payment: it waits for Purse's signed webhook.</p>\n",
            escape(session)
        ));
    }
    if order.status == OrderStatus::AwaitingPayment
        && !waiting
        && let Some(url) = &order.session_url
    {
        body.push_str(&format!(
            "<p><a class=\"pay\" id=\"continue-checkout\" href=\"{}\">Continue to Purse to pay</a></p>\n",
            escape(url)
        ));
    }
    body.push_str("<p><a href=\"/demo/shop\">Back to the shop</a></p>\n");
    let title = format!("Order #{}", order.number);
    drop(book);
    html(StatusCode::OK, &title, &body, waiting)
}

/// `POST /demo/shop/webhooks`: verify with the `whsec_…` secret alone, deduplicate by event id,
/// apply, answer at once. Anything refused is answered `400`, so Purse retries it.
async fn webhook(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> Response {
    // Only for the page's list of refused deliveries; nothing here is trusted.
    let claimed = |verified_note: &str| {
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        EventRecord {
            id: event["id"].as_str().unwrap_or("(unreadable)").chars().take(100).collect(),
            kind: event["type"].as_str().unwrap_or("(unreadable)").chars().take(100).collect(),
            verified: false,
            note: verified_note.to_string(),
            deliveries: 1,
        }
    };
    let Some(signature) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else {
        shop.book().record(claimed("no Purse-Signature header"));
        return (StatusCode::BAD_REQUEST, "missing Purse-Signature header").into_response();
    };
    let Some(secret) = shop.secrets().webhook_secret.clone() else {
        // This run registered no endpoint yet: the delivery is for an earlier run's.
        return (StatusCode::SERVICE_UNAVAILABLE, "the shop has no webhook endpoint yet").into_response();
    };
    if let Err(error) = verify_signature(&secret, signature, &body, unix_now()) {
        shop.book().record(claimed(&error.to_string()));
        return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
    }
    // From here on the body is Purse's own words.
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "the body is not JSON").into_response();
    };
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return (StatusCode::BAD_REQUEST, "the event has no id or type").into_response();
    };
    let mut book = shop.book();
    if !book.seen.insert(id.to_string()) {
        if let Some(record) = book.events.iter_mut().find(|e| e.verified && e.id == id) {
            record.deliveries = record.deliveries.saturating_add(1);
        }
        return (StatusCode::OK, "duplicate").into_response();
    }
    let note = book.apply(kind, &event["data"]["object"]);
    tracing::info!(event = id, kind, outcome = %note, "demo shop: webhook received");
    book.record(EventRecord {
        id: id.to_string(),
        kind: kind.to_string(),
        verified: true,
        note,
        deliveries: 1,
    });
    (StatusCode::OK, "ok").into_response()
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

/// Escapes text for HTML element content and double- or single-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `main` (already escaped HTML). `refresh`: reload every second.
fn html(status: StatusCode, title: &str, main: &str, refresh: bool) -> Response {
    let refresh = if refresh { "<meta http-equiv=\"refresh\" content=\"1\">\n" } else { "" };
    let page = format!(
        "<!doctype html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n{refresh}\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"/demo/shop/shop.css\">\n</head>\n<body>\n\
         <header class=\"masthead\"><a class=\"brand\" href=\"/demo/shop\">Souq Books</a>\
         <span class=\"tagline\">A demo shop that takes payment with Purse Checkout</span></header>\n\
         <main>\n{main}\n</main>\n<footer><p>This shop is a demo. It talks to Purse only through \
         Purse's public merchant API, as any other shop would.</p></footer>\n</body>\n</html>\n",
        title = escape(title),
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    const SECRET: &str = "whsec_test_0123456789abcdef";
    const NOW: i64 = 1_750_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed","created_at":"2025-06-15T15:06:40Z","data":{"object":{"id":"cs_1","client_reference_id":"1"}}}"#;

    #[test]
    fn a_good_signature_is_accepted() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")), "{header}");
        assert_eq!(header.len(), format!("t={NOW},v1=").len() + 64);
        assert_eq!(verify_signature(SECRET, &header, BODY, NOW), Ok(()));
        // Within the tolerance, either way.
        assert_eq!(verify_signature(SECRET, &header, BODY, NOW + 300), Ok(()));
        assert_eq!(verify_signature(SECRET, &header, BODY, NOW - 300), Ok(()));
        // Spaces after commas and upper-case hex are tolerated.
        let spaced = header.replace(",v1=", ", v1=").to_uppercase().replace("T=", "t=").replace("V1=", "v1=");
        assert_eq!(verify_signature(SECRET, &spaced, BODY, NOW), Ok(()));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_t_dot_body_in_hex() {
        // Computed independently: printf '%s' '1750000000.{}' | openssl dgst -sha256 -hmac key
        let expected = "67c133b61816af678ddc50934c116a7545a3bb8ebb1fb3f314dee69b5edbacdb";
        assert_eq!(sign("key", NOW, b"{}"), format!("t=1750000000,v1={expected}"));
        // python: hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()
        let header = "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91";
        assert_eq!(sign("whsec_test", 1_700_000_000, b"{}"), header);
        assert_eq!(verify_signature("whsec_test", header, b"{}", 1_700_000_000), Ok(()));
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = sign(SECRET, NOW, BODY);
        let tampered = String::from_utf8(BODY.to_vec()).unwrap().replace("\"1\"", "\"2\"");
        assert_eq!(
            verify_signature(SECRET, &header, tampered.as_bytes(), NOW),
            Err(SignatureError::Mismatch)
        );
        // A different timestamp with the same v1 is a different message.
        let moved = header.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(verify_signature(SECRET, &moved, BODY, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let header = sign("whsec_someone_else", NOW, BODY);
        assert_eq!(verify_signature(SECRET, &header, BODY, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        let old = sign(SECRET, NOW - 301, BODY);
        assert_eq!(verify_signature(SECRET, &old, BODY, NOW), Err(SignatureError::Stale));
        let future = sign(SECRET, NOW + 301, BODY);
        assert_eq!(verify_signature(SECRET, &future, BODY, NOW), Err(SignatureError::Stale));
        let ancient = sign(SECRET, 0, BODY);
        assert_eq!(verify_signature(SECRET, &ancient, BODY, i64::MAX), Err(SignatureError::Stale));
    }

    #[test]
    fn a_malformed_header_is_refused() {
        let good = sign(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").unwrap().1.to_string();
        for header in [
            String::new(),
            "garbage".into(),
            format!("v1={v1}"),
            format!("t={NOW}"),
            format!("t=,v1={v1}"),
            format!("t=-{NOW},v1={v1}"),
            format!("t=+{NOW},v1={v1}"),
            format!("t=soon,v1={v1}"),
            format!("t={NOW},v1=zz{}", &v1[2..]),
            format!("t={NOW},v1={}", &v1[..62]),
            format!("t={NOW},v1={v1}00"),
            format!("t={NOW},t={NOW},v1={v1}"),
            format!("t={NOW},v1"),
            format!("t={NOW},,v1={v1}"),
        ] {
            assert_eq!(
                verify_signature(SECRET, &header, BODY, NOW),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
        // Unknown schemes are ignored, not refused.
        assert_eq!(verify_signature(SECRET, &format!("{good},v0=abc"), BODY, NOW), Ok(()));
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = sign(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let other = sign("whsec_old_secret", NOW, BODY);
        let old_v1 = other.split_once(",v1=").unwrap().1;
        let zeros = "0".repeat(64);
        assert_eq!(verify_signature(SECRET, &format!("t={NOW},v1={old_v1},v1={v1}"), BODY, NOW), Ok(()));
        assert_eq!(verify_signature(SECRET, &format!("t={NOW},v1={v1},v1={zeros}"), BODY, NOW), Ok(()));
        assert_eq!(verify_signature(SECRET, &format!("v1={zeros},v1={v1},t={NOW}"), BODY, NOW), Ok(()));
        assert_eq!(
            verify_signature(SECRET, &format!("t={NOW},v1={old_v1},v1={zeros}"), BODY, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("plain · text…"), "plain · text…");
    }

    #[test]
    fn amounts_are_read_in_cents() {
        assert_eq!(cents("12.50"), Some(1250));
        assert_eq!(cents("7.99"), Some(799));
        assert_eq!(cents("24"), Some(2400));
        assert_eq!(cents("0.5"), Some(50));
        for bad in ["", ".5", "1.234", "-1.00", "1,00", "abc"] {
            assert_eq!(cents(bad), None, "{bad}");
        }
    }

    /// A shop already set up (as if it had signed in), with order #1 awaiting session `cs_1`.
    fn ready_shop() -> Shop {
        let shop = Shop::new(ShopConfig {
            purse_url: "http://127.0.0.1:9/".into(),
            merchant_handle: "souq_books".into(),
            merchant_password: "unused".into(),
        });
        {
            let mut secrets = shop.secrets();
            secrets.api_key = Some("sk_test".into());
            secrets.webhook_secret = Some(SECRET.into());
        }
        shop.book().orders.push(Order {
            number: 1,
            product: &PRODUCTS[0],
            status: OrderStatus::AwaitingPayment,
            session_id: Some("cs_1".into()),
            session_url: Some("http://127.0.0.1:9/checkout/cs_1".into()),
            refunded_cents: 0,
            problem: None,
        });
        shop
    }

    async fn call(shop: &Shop, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = router_for(shop.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn delivery(body: &str, signature: Option<String>) -> Request<Body> {
        let mut request = Request::post("/demo/shop/webhooks").header("content-type", "application/json");
        if let Some(signature) = signature {
            request = request.header("Purse-Signature", signature);
        }
        request.body(Body::from(body.to_string())).unwrap()
    }

    fn get(path: &str) -> Request<Body> {
        Request::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn the_page_lists_the_books_with_stable_ids_and_its_own_csp() {
        let shop = ready_shop();
        let (status, headers, page) = call(&shop, get("/demo/shop")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], CSP);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
        for p in &PRODUCTS {
            assert!(page.contains(&format!("id=\"buy-{}\"", p.slug)), "{page}");
        }
        assert!(page.contains("id=\"webhook-events\""), "{page}");
        assert!(page.contains("data-status=\"awaiting_payment\""), "{page}");
        assert!(!page.contains("<script") && !page.contains("style="), "{page}");
        let (status, headers, css) = call(&shop, get("/demo/shop/shop.css")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
        assert!(!css.is_empty());
    }

    #[tokio::test]
    async fn a_signed_completed_event_marks_the_order_paid_once() {
        let shop = ready_shop();
        let (_, _, page) = call(&shop, get("/demo/shop/orders/1?session_id=cs_1")).await;
        assert!(page.contains("data-status=\"awaiting_payment\""), "{page}");
        assert!(page.contains("Waiting for Purse to confirm your payment…"), "{page}");
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"1\">"), "{page}");

        let body = std::str::from_utf8(BODY).unwrap();
        let (status, _, _) = call(&shop, delivery(body, Some(sign(SECRET, unix_now(), BODY)))).await;
        assert_eq!(status, StatusCode::OK);
        // Delivered again (at least once): applied once, counted.
        let (status, _, _) = call(&shop, delivery(body, Some(sign(SECRET, unix_now(), BODY)))).await;
        assert_eq!(status, StatusCode::OK);

        let (_, _, page) = call(&shop, get("/demo/shop/orders/1?session_id=cs_1")).await;
        assert!(
            page.contains("id=\"order-status\" class=\"status status-paid\" data-status=\"paid\""),
            "{page}"
        );
        assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
        let (_, _, home) = call(&shop, get("/demo/shop")).await;
        assert!(
            home.contains(
                "data-type=\"checkout.session.completed\" data-event-id=\"evt_1\" data-verified=\"true\""
            ),
            "{home}"
        );
        assert!(home.contains("delivered 2 times"), "{home}");
        assert_eq!(shop.book().events.len(), 1);

        // Then a full refund.
        let refund = r#"{"id":"evt_2","type":"refund.created","created_at":"2025-06-15T15:07:00Z","data":{"object":{"id":"re_1","checkout_session":"cs_1","amount":"12.50","currency":"USD","status":"succeeded"}}}"#;
        let (status, _, _) =
            call(&shop, delivery(refund, Some(sign(SECRET, unix_now(), refund.as_bytes())))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, page) = call(&shop, get("/demo/shop/orders/1")).await;
        assert!(page.contains("data-status=\"refunded\""), "{page}");
    }

    #[tokio::test]
    async fn unsigned_forged_or_foreign_events_change_nothing() {
        let shop = ready_shop();
        let body = std::str::from_utf8(BODY).unwrap();
        let (status, _, _) = call(&shop, delivery(body, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, _) = call(&shop, delivery(body, Some("t=1,v1=nothex".into()))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let forged = sign("whsec_guess", unix_now(), BODY);
        let (status, _, _) = call(&shop, delivery(body, Some(forged))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let stale = sign(SECRET, unix_now() - 600, BODY);
        let (status, _, _) = call(&shop, delivery(body, Some(stale))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Signed, but for another session that happens to carry order #1's reference.
        let other = body.replace("\"cs_1\"", "\"cs_other\"").replace("evt_1", "evt_9");
        let (status, _, _) =
            call(&shop, delivery(&other, Some(sign(SECRET, unix_now(), other.as_bytes())))).await;
        assert_eq!(status, StatusCode::OK);

        let (_, _, page) = call(&shop, get("/demo/shop/orders/1")).await;
        assert!(page.contains("data-status=\"awaiting_payment\""), "{page}");
        assert!(page.contains("id=\"continue-checkout\""), "{page}");
        let (_, _, home) = call(&shop, get("/demo/shop")).await;
        assert_eq!(home.matches("data-verified=\"false\"").count(), 4, "{home}");
        assert_eq!(home.matches("data-verified=\"true\"").count(), 1, "{home}");
        assert!(home.contains("not order #1&#39;s session: ignored"), "{home}");
    }

    #[tokio::test]
    async fn an_unknown_product_or_order_is_not_found() {
        let shop = ready_shop();
        let request = Request::post("/demo/shop/orders")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("product=%3Cscript%3E"))
            .unwrap();
        let (status, _, page) = call(&shop, request).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!page.contains("<script>"), "{page}");
        let (status, _, _) = call(&shop, get("/demo/shop/orders/7")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = call(&shop, get("/demo/shop/orders/x")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn purse_unreachable_fails_the_order_plainly() {
        let shop = ready_shop();
        // A port nothing listens on any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let shop = Shop {
            inner: Arc::new(Inner {
                config: ShopConfig {
                    purse_url: format!("http://127.0.0.1:{port}"),
                    ..shop.inner.config.clone()
                },
                http: shop.inner.http.clone(),
                run: 0,
                setting_up: tokio::sync::Mutex::new(()),
                secrets: Mutex::new(Secrets { api_key: Some("sk_test".into()), webhook_secret: None }),
                book: Mutex::new(Book::default()),
            }),
        };
        let request = Request::post("/demo/shop/orders")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("product=coffee-history"))
            .unwrap();
        let (status, _, page) = call(&shop, request).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{page}");
        assert!(page.contains("data-status=\"failed\""), "{page}");
        assert_eq!(shop.book().orders[0].status, OrderStatus::Failed);
    }
}
