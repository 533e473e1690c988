//! Merchant checkout on the wire: merchant accounts and keys, checkout sessions (the merchant's
//! view and the buyer's), refunds, webhook endpoints and deliveries, and the rules the browser
//! and the server share (URLs, expiry, the webhook signature's format).

use serde::{Deserialize, Serialize};

use crate::payments::AmountText;

/// A checkout session is open this long after it is created.
pub const SESSION_MINUTES: i64 = 30;
/// A description: 1 to this many characters.
pub const DESCRIPTION_MAX_CHARS: usize = 200;
/// A merchant's name, a key's name: 1 to this many characters.
pub const NAME_MAX_CHARS: usize = 60;
/// `client_reference_id`: at most this many characters.
pub const CLIENT_REFERENCE_MAX_CHARS: usize = 200;
/// A URL: at most this many bytes.
pub const URL_MAX_BYTES: usize = 2048;
/// `metadata`: at most this many keys, each key and value at most [`METADATA_MAX_CHARS`].
pub const METADATA_MAX_KEYS: usize = 20;
pub const METADATA_MAX_CHARS: usize = 500;

/// The webhook events a merchant may subscribe to.
pub const WEBHOOK_EVENTS: [&str; 3] =
    ["checkout.session.completed", "checkout.session.expired", "refund.created"];

/// Whether `url` is an absolute `http://` or `https://` URL with a host, as `success_url` and
/// `cancel_url` must be (no spaces or control characters, at most [`URL_MAX_BYTES`]).
pub fn is_absolute_http_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    url.len() <= URL_MAX_BYTES
        && !host.is_empty()
        && !host.starts_with(':')
        && !host.contains('@')
        && url.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\')
}

/// `url` with `name=value` added to its query (before any `#fragment`); `value` must need no
/// escaping (ids do not).
pub fn with_query_param(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{base}{separator}{name}={value}{fragment}")
}

/// `PUT /me/merchant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantSettings {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    pub name: String,
}

/// `{"merchant": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantResponse {
    pub merchant: Merchant,
}

/// `POST /merchant/keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
}

/// A new key: its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub secret: String,
    pub created_at: String,
}

/// A key as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyItem {
    pub id: String,
    pub name: String,
    /// The secret's first characters, so a person can tell keys apart (`sk_live_ab12…`).
    pub prefix: String,
    pub created_at: String,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    pub items: Vec<KeyItem>,
}

/// `POST /checkout/sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCheckoutSession {
    pub amount: AmountText,
    pub currency: String,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_reference_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
}

/// Where a checkout session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    Open,
    Complete,
    Expired,
    Canceled,
}

/// The payment of a complete session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutPayment {
    pub id: String,
    pub amount_refunded: String,
}

/// A checkout session as its merchant sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    /// The hosted page, `/checkout/{id}` on Purse's own origin.
    pub url: String,
    pub status: CheckoutStatus,
    pub amount: String,
    pub currency: crate::Currency,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    pub client_reference_id: Option<String>,
    pub metadata: std::collections::BTreeMap<String, String>,
    pub payment: Option<CheckoutPayment>,
    pub created_at: String,
    pub expires_at: String,
}

/// `{"session": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSessionResponse {
    pub session: CheckoutSession,
}

/// `GET /checkout/sessions/{id}/public`: what the buyer's page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCheckoutSession {
    pub id: String,
    pub merchant: Merchant,
    pub amount: String,
    pub currency: crate::Currency,
    pub description: String,
    pub status: CheckoutStatus,
    pub expires_at: String,
    /// Where Cancel goes (the merchant's `cancel_url`), so the page can offer a way back
    /// even when the session is no longer open.
    pub cancel_url: String,
}

/// `POST /checkout/sessions/{id}/confirm`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmCheckout {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// The answer to confirm and cancel: where the buyer goes next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutOutcome {
    pub status: CheckoutStatus,
    pub redirect_url: String,
}

/// `POST /refunds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    pub checkout_session: String,
    /// What is left of the payment when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<AmountText>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Succeeded,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub checkout_session: String,
    pub amount: String,
    pub currency: crate::Currency,
    pub status: RefundStatus,
    pub created_at: String,
}

/// `{"refund": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResponse {
    pub refund: Refund,
}

/// `POST /merchant/webhook-endpoints`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub events: Vec<String>,
}

/// A new endpoint: its signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// An endpoint as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointList {
    pub items: Vec<WebhookEndpoint>,
}

/// One event's delivery to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt (`null`: none yet, or no answer: see `last_error`).
    pub last_status: Option<u16>,
    /// Why the last attempt failed without a status (a timeout, a refused connection).
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    /// When the next attempt is due, while it is not delivered.
    pub next_attempt_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDeliveryList {
    pub items: Vec<WebhookDelivery>,
}

/// A webhook event as delivered: `{id, type, created_at, data: {object}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent<T> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub data: WebhookData<T>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookData<T> {
    pub object: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_cancel_urls_must_be_absolute_http_urls() {
        for good in
            ["https://shop.example/thanks", "http://127.0.0.1:8080/demo/shop/orders/1?x=1", "https://a.b"]
        {
            assert!(is_absolute_http_url(good), "{good}");
        }
        for bad in [
            "",
            "/thanks",
            "shop.example/thanks",
            "ftp://shop.example/",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://:443/",
            "https://user@evil.example/",
            "https://shop.example/a b",
            "HTTPS://shop.example/",
            "https://10.0.0.5\\x.evil.example/",
        ] {
            assert!(!is_absolute_http_url(bad), "{bad}");
        }
        assert!(!is_absolute_http_url(&format!("https://a.b/{}", "x".repeat(URL_MAX_BYTES))));
    }

    #[test]
    fn the_session_id_is_added_to_the_query_before_the_fragment() {
        assert_eq!(
            with_query_param("https://s.example/ok", "session_id", "cs_1"),
            "https://s.example/ok?session_id=cs_1"
        );
        assert_eq!(
            with_query_param("https://s.example/ok?o=2", "session_id", "cs_1"),
            "https://s.example/ok?o=2&session_id=cs_1"
        );
        assert_eq!(
            with_query_param("https://s.example/ok?", "session_id", "cs_1"),
            "https://s.example/ok?session_id=cs_1"
        );
        assert_eq!(
            with_query_param("https://s.example/ok?o=2#top", "session_id", "cs_1"),
            "https://s.example/ok?o=2&session_id=cs_1#top"
        );
    }
}
