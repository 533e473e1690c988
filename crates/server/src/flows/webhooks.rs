//! Webhooks: merchants' endpoints, the outbox of events, and the delivery worker.
//!
//! An event is written to `webhook_events` **in the same group of statements** as the change it
//! describes ([`event_statements`], applied by the write batcher), together with one
//! `webhook_deliveries` row per endpoint of the merchant subscribed to its type. So a change
//! never commits without its event, and an event never exists without its change.
//!
//! The worker ([`spawn_worker`]) takes due deliveries, leases them (so two instances do not
//! send the same attempt at once), POSTs the stored body with `Purse-Signature: t=…,v1=…`
//! (HMAC-SHA256 of `"<t>.<body>"` with the endpoint's secret) and records the outcome. A 2xx
//! answer is delivered; anything else (another status, a timeout, a refused connection) is
//! tried again after 10 s, 20 s, 40 s… (doubling, at most an hour apart) for three days. Every
//! step is a row, so a restart loses nothing: a lease that ran out is simply due again. That
//! makes delivery at-least-once: receivers deduplicate by the event's `id`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use purse_api::{WebhookData, WebhookDelivery, WebhookEndpoint, WebhookEvent};
use serde::Serialize;
use sha2::Sha256;

use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::Statement;
use crate::store::webhooks::{self as table, Attempted, DueDelivery};

/// The first retry comes this long after a failed attempt; each one after doubles it.
pub const FIRST_RETRY_SECONDS: i64 = 10;
/// Retries are never further apart than this.
pub const MAX_RETRY_SECONDS: i64 = 3600;
/// After this long an event's delivery is given up (API.md asks for at least 24 hours).
pub const GIVE_UP_AFTER_SECONDS: i64 = 3 * 24 * 3600;
/// How long a worker holds a delivery it is sending, against other instances.
const LEASE_SECONDS: i64 = 60;
/// How long an endpoint has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once by one worker.
const BATCH: i64 = 32;
/// How many deliveries a merchant's list shows.
const RECENT_DELIVERIES: i64 = 100;

/// What an event says happened (API.md's event types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    CheckoutCompleted,
    CheckoutExpired,
    RefundCreated,
}

impl EventKind {
    pub const ALL: [EventKind; 3] =
        [EventKind::CheckoutCompleted, EventKind::CheckoutExpired, EventKind::RefundCreated];

    /// As the wire (and `webhook_events.type`) has it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CheckoutCompleted => "checkout.session.completed",
            EventKind::CheckoutExpired => "checkout.session.expired",
            EventKind::RefundCreated => "refund.created",
        }
    }
}

/// The `Purse-Signature` header for `body` sent at `t` (unix seconds).
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()))
}

/// A new signing secret: `whsec_` and 52 characters of base32.
pub fn new_secret() -> String {
    format!(
        "whsec_{}",
        data_encoding::BASE32_NOPAD.encode(&super::people::random_bytes::<32>()).to_lowercase()
    )
}

/// Webhook signing secrets as they are kept: sealed with ChaCha20-Poly1305 under a key from the
/// server key, which is kept outside the database ([`ServerKey`](super::people::ServerKey)), as
/// `sealed1:` and the base64url of a random 96-bit nonce and the ciphertext with its tag. A
/// delivery opens the secret to sign; nothing else ever reads it. A secret kept before sealing
/// (`whsec_…` in clear), or sealed under the previous server key, is sealed again when the
/// server starts ([`seal_clear_secrets`]) and still opens until then.
pub struct SecretSeal {
    current: ring::aead::LessSafeKey,
    previous: Option<ring::aead::LessSafeKey>,
}

impl std::fmt::Debug for SecretSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSeal(..)")
    }
}

const SEALED: &str = "sealed1:";
/// What a sealed secret is bound to: only a webhook secret opens as one.
const SEAL_AAD: &[u8] = b"purse webhook signing secret";

/// Why a stored secret did not open (a broken row, or a key that changed).
#[derive(Debug)]
pub struct Unopened;

impl SecretSeal {
    pub fn new(current: [u8; 32], previous: Option<[u8; 32]>) -> SecretSeal {
        let key = |bytes: [u8; 32]| {
            let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &bytes)
                .unwrap_or_else(|_| unreachable!("a 32-byte key"));
            ring::aead::LessSafeKey::new(key)
        };
        SecretSeal { current: key(current), previous: previous.map(key) }
    }

    /// `secret` as it is kept.
    pub fn seal(&self, secret: &str) -> String {
        use base64::Engine;
        let nonce_bytes = super::people::random_bytes::<12>();
        let mut sealed = secret.as_bytes().to_vec();
        let nonce = ring::aead::Nonce::assume_unique_for_key(nonce_bytes);
        self.current
            .seal_in_place_append_tag(nonce, ring::aead::Aad::from(SEAL_AAD), &mut sealed)
            .unwrap_or_else(|_| unreachable!("a secret is far below the cipher's limit"));
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out))
    }

    /// The secret behind what is kept (a clear one, kept before sealing, as it is).
    pub fn open(&self, kept: &str) -> Result<String, Unopened> {
        self.open_saying(kept).map(|(secret, _)| secret)
    }

    /// [`SecretSeal::open`], and whether what is kept should be sealed again (it was clear, or
    /// under the previous key).
    fn open_saying(&self, kept: &str) -> Result<(String, bool), Unopened> {
        if kept.starts_with("whsec_") {
            return Ok((kept.to_string(), true));
        }
        match SecretSeal::open_with(&self.current, kept) {
            Ok(secret) => Ok((secret, false)),
            Err(unopened) => match &self.previous {
                Some(previous) => SecretSeal::open_with(previous, kept).map(|secret| (secret, true)),
                None => Err(unopened),
            },
        }
    }

    fn open_with(key: &ring::aead::LessSafeKey, kept: &str) -> Result<String, Unopened> {
        use base64::Engine;
        let encoded = kept.strip_prefix(SEALED).ok_or(Unopened)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Unopened)?;
        let (nonce, sealed) = bytes.split_at_checked(12).ok_or(Unopened)?;
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unopened)?;
        let mut sealed = sealed.to_vec();
        let opened =
            key.open_in_place(nonce, ring::aead::Aad::from(SEAL_AAD), &mut sealed).map_err(|_| Unopened)?;
        String::from_utf8(opened.to_vec()).map_err(|_| Unopened)
    }
}

/// Seals again every secret still kept in clear (kept before sealing) or under the previous
/// server key; how many. Run at start; safe on any number of instances at once (each row
/// changes only from the value it read).
pub async fn seal_clear_secrets(
    db: &crate::store::Db,
    seal: &SecretSeal,
) -> Result<usize, crate::store::StoreError> {
    let mut sealed = 0;
    for (id, kept) in db.endpoint_secrets().await? {
        if let Ok((secret, true)) = seal.open_saying(&kept) {
            db.replace_endpoint_secret(id, &kept, &seal.seal(&secret)).await?;
            sealed += 1;
        }
    }
    Ok(sealed)
}

/// When the attempt after `attempts` failed ones is due, `seconds` after the last.
pub fn retry_delay_seconds(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    (FIRST_RETRY_SECONDS << doublings).min(MAX_RETRY_SECONDS)
}

/// Whether deliveries may go to `ip`: a public address; in demo mode also loopback (the demo
/// shop and local tests), never a private or link-local one.
pub fn allowed(ip: IpAddr, demo: bool) -> bool {
    is_public(ip) || (demo && ip.is_loopback())
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local,
/// site-local, unspecified, shared, benchmarking, reserved, documentation, discard or
/// multicast. IPv6 forms that carry an IPv4 address are refused outright when the OS would
/// reach the embedded address itself (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`,
/// IPv4-translated `::ffff:0:0:0/96`) or when the translator is local (`64:ff9b:1::/48`,
/// Teredo `2001::/32`); the well-known NAT64 prefix `64:ff9b::/96` and 6to4 `2002::/16` are
/// judged by the IPv4 address they carry.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || o[0] >= 240
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // ::/96 (loopback, unspecified, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped),
            // ::ffff:0:0:0/96 (IPv4-translated).
            let carries_v4_for_the_os =
                s[..5] == [0, 0, 0, 0, 0] && matches!(s[5], 0 | 0xffff) || s[..6] == [0, 0, 0, 0, 0xffff, 0];
            if carries_v4_for_the_os {
                return false;
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(embedded(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return is_public(embedded(s[1], s[2]));
            }
            !(v6.is_multicast()
                || (s[0] == 0x64 && s[1] == 0xff9b)             // 64:ff9b::/32 beyond /96: local-use NAT64
                || (s[0] & 0xfe00) == 0xfc00                    // fc00::/7 unique local
                || (s[0] & 0xffc0) == 0xfe80                    // fe80::/10 link-local
                || (s[0] & 0xffc0) == 0xfec0                    // fec0::/10 site-local
                || s[..4] == [0x100, 0, 0, 0]                   // 100::/64 discard
                || (s[0] == 0x2001 && s[1] == 0)                // 2001::/32 Teredo
                || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0)   // 2001:2::/48 benchmarking
                || (s[0] == 0x2001 && (0x10..0x30).contains(&s[1])) // ORCHID, ORCHIDv2
                || (s[0] == 0x2001 && s[1] == 0x0db8)           // documentation
                || (s[0] & 0xfff0) == 0x3ff0                    // 3fff::/20 documentation
                || s[0] == 0x5f00) // 5f00::/16 segment routing
        }
    }
}

/// Why a host name may not receive webhooks: one of its addresses may not be reached.
#[derive(Debug, PartialEq, Eq)]
pub struct Unreachable;

/// How long a registration waits for a host name to resolve.
const RESOLVE_AT_REGISTRATION: Duration = Duration::from_secs(5);

/// A new endpoint's host, resolved as a delivery will resolve it: refused if any of its
/// addresses may not be reached (see [`allowed`]). A name that does not resolve (yet) is let
/// through: each delivery resolves it again and refuses the same addresses.
pub async fn check_host_resolves(flows: &Flows, url: &str) -> Result<(), Unreachable> {
    let Ok(parsed) = reqwest::Url::parse(url) else { return Err(Unreachable) };
    let Some(url::Host::Domain(name)) = parsed.host() else { return Ok(()) };
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(RESOLVE_AT_REGISTRATION, tokio::net::lookup_host((name, port))).await;
    match lookup {
        Ok(Ok(addresses)) => {
            // No address at all is a name that does not resolve: let through, as above.
            let demo = flows.settings.demo;
            let mut addresses = addresses;
            if addresses.all(|a| allowed(a.ip(), demo)) { Ok(()) } else { Err(Unreachable) }
        }
        Ok(Err(_)) | Err(_) => Ok(()),
    }
}

pub fn listed_events(stored: &str) -> Vec<String> {
    stored.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect()
}

/// A new endpoint of `merchant` (its URL and events checked by the HTTP layer: events stored
/// `",a,b,"`) and its signing secret, shown this once.
pub async fn create_endpoint(
    flows: &Flows,
    merchant: PersonId,
    url: &str,
    events: &str,
) -> Result<purse_api::CreatedWebhookEndpoint, FlowError> {
    let secret = new_secret();
    let sealed = flows.webhook_secrets.seal(&secret);
    let id = flows.db.insert_endpoint(merchant, url, events, &sealed, flows.now()).await?;
    Ok(purse_api::CreatedWebhookEndpoint {
        id: flows.ids.encode("we", id),
        url: url.to_string(),
        events: listed_events(events),
        secret,
    })
}

/// `merchant`'s endpoints, oldest first (never their secrets).
pub async fn endpoints(flows: &Flows, merchant: PersonId) -> Result<Vec<WebhookEndpoint>, FlowError> {
    Ok(flows
        .db
        .endpoints(merchant)
        .await?
        .into_iter()
        .map(|row| WebhookEndpoint {
            id: flows.ids.encode("we", row.id),
            url: row.url,
            events: listed_events(&row.events),
            created_at: row.created_at.rfc3339(),
        })
        .collect())
}

/// Removes `merchant`'s endpoint `id`: no new deliveries, owed ones dropped. Anyone else's is
/// not found.
pub async fn remove_endpoint(flows: &Flows, merchant: PersonId, id: i64) -> Result<(), FlowError> {
    let removed = flows.batcher.apply(table::remove_endpoint(merchant, id, flows.now()).to_vec()).await?;
    if removed { Ok(()) } else { Err(FlowError::NotFound(Missing::Thing)) }
}

/// `merchant`'s most recent deliveries, newest first.
pub async fn deliveries(flows: &Flows, merchant: PersonId) -> Result<Vec<WebhookDelivery>, FlowError> {
    let rows = flows.db.recent_deliveries(merchant, RECENT_DELIVERIES).await?;
    Ok(rows
        .into_iter()
        .map(|row| WebhookDelivery {
            event_id: row.public_id,
            kind: row.kind,
            url: row.url,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: row.last_error,
            delivered_at: row.delivered_at.map(crate::time::Time::rfc3339),
            next_attempt_at: row
                .next_attempt_at
                .filter(|_| row.delivered_at.is_none())
                .map(crate::time::Time::rfc3339),
        })
        .collect())
}

/// The statements that put an event of `kind` about `object` in the outbox, with a delivery
/// for each of `merchant`'s endpoints that wants it. Run them in the group of the change.
pub fn event_statements(
    flows: &Flows,
    merchant: PersonId,
    kind: EventKind,
    object: &impl Serialize,
) -> Result<Vec<Statement>, FlowError> {
    let now = flows.now();
    let id = super::people::new_public_id("evt");
    let event = WebhookEvent {
        id: id.clone(),
        kind: kind.as_str().to_string(),
        created_at: now.rfc3339(),
        data: WebhookData { object },
    };
    let payload = serde_json::to_string(&event).map_err(FlowError::internal)?;
    Ok(table::event(&id, merchant, kind.as_str(), payload, now).to_vec())
}

/// Wakes the worker: an event was just written.
pub fn wake(flows: &Flows) {
    flows.webhooks_due.notify_one();
}

/// What a merchant reads of every attempt that got no answer but a timeout: the same words
/// whether the name did not resolve, resolved to an address we refuse, or refused the
/// connection (an answer's status is `last_status`, e.g. 500).
const COULD_NOT_CONNECT: &str = "could not connect";

/// What one attempt gave.
#[derive(Debug)]
enum Outcome {
    Status(u16),
    Failed(String),
}

/// Sends every delivery due now, at most [`BATCH`] at a time, until none is due. Returns how
/// many attempts it made. Safe on any number of instances at once.
pub async fn deliver_due(flows: &Flows, client: &reqwest::Client) -> Result<usize, FlowError> {
    let mut made = 0;
    loop {
        let now = flows.now();
        let due = flows.db.deliveries_due(now, BATCH).await?;
        if due.is_empty() {
            return Ok(made);
        }
        // Leases and records are queued together, so each set shares a batch.
        let leases = futures_util::future::join_all(
            due.iter().map(|d| flows.batcher.apply(vec![table::lease(d, now.plus_seconds(LEASE_SECONDS))])),
        )
        .await;
        let mut mine = Vec::with_capacity(due.len());
        for (delivery, leased) in due.into_iter().zip(leases) {
            if leased? {
                mine.push(delivery);
            }
        }
        let sends = mine.iter().map(|delivery| send(flows, client, delivery));
        let outcomes = futures_util::future::join_all(sends).await;
        let records = mine.iter().zip(outcomes).map(|(delivery, outcome)| record(flows, delivery, outcome));
        for recorded in futures_util::future::join_all(records).await {
            recorded?;
        }
        made += mine.len();
    }
}

async fn send(flows: &Flows, client: &reqwest::Client, delivery: &DueDelivery) -> Outcome {
    let t = flows.now().unix_seconds();
    let Ok(secret) = flows.webhook_secrets.open(&delivery.secret) else {
        tracing::error!(endpoint = delivery.endpoint_id, "a webhook secret does not open; not sent");
        return Outcome::Failed("not sent".into());
    };
    let signed = signature(&secret, t, delivery.payload.as_bytes());
    let client = match pinned_client(flows, client, &delivery.url).await {
        Ok(client) => client,
        Err(reason) => {
            // The reason is ours (the log's); the merchant reads only that no connection was
            // made, so an endpoint cannot be used to learn which internal names resolve.
            tracing::info!(
                event = delivery.event_id,
                endpoint = delivery.endpoint_id,
                reason,
                "webhook not sent"
            );
            return Outcome::Failed(COULD_NOT_CONNECT.into());
        }
    };
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("purse-signature", signed)
        .header("user-agent", "Purse-Webhooks/1")
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) => Outcome::Status(response.status().as_u16()),
        Err(error) if error.is_timeout() => Outcome::Failed("timed out".into()),
        Err(_) => Outcome::Failed(COULD_NOT_CONNECT.into()),
    }
}

/// The client to send with: the host is resolved here, refused if any of its addresses may
/// not be reached (see [`allowed`]), and the connection pinned to what was checked (so a DNS
/// answer that changes between the check and the connection cannot reach our network).
async fn pinned_client(
    flows: &Flows,
    client: &reqwest::Client,
    url: &str,
) -> Result<reqwest::Client, &'static str> {
    let demo = flows.settings.demo;
    let parsed = reqwest::Url::parse(url).map_err(|_| "the URL no longer parses")?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => return checked_ip(IpAddr::V4(ip), demo).map(|()| client.clone()),
        Some(url::Host::Ipv6(ip)) => return checked_ip(IpAddr::V6(ip), demo).map(|()| client.clone()),
        Some(url::Host::Domain(name)) => name.to_string(),
        None => return Err("the URL names no host"),
    };
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| "the host name did not resolve")?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|a| !allowed(a.ip(), demo)) {
        return Err("the host resolves to an address that may not be reached");
    }
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&host, &addresses)
        .build()
        .map_err(|_| "could not build a client")
}

fn checked_ip(ip: IpAddr, demo: bool) -> Result<(), &'static str> {
    if allowed(ip, demo) { Ok(()) } else { Err("the address may not be reached") }
}

/// The client the worker shares: a timeout, and no redirects (a redirect could lead anywhere).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

async fn record(flows: &Flows, delivery: &DueDelivery, outcome: Outcome) -> Result<(), FlowError> {
    let now = flows.now();
    let attempts = delivery.attempts + 1;
    let (status, error, delivered) = match outcome {
        Outcome::Status(code) => (Some(i64::from(code)), None, (200..300).contains(&code)),
        Outcome::Failed(reason) => (None, Some(reason), false),
    };
    let next = if delivered || now > delivery.event_created_at.plus_seconds(GIVE_UP_AFTER_SECONDS) {
        None
    } else {
        Some(now.plus_seconds(retry_delay_seconds(attempts)))
    };
    if !delivered {
        tracing::info!(
            event = delivery.event_id,
            endpoint = delivery.endpoint_id,
            attempts,
            ?status,
            ?error,
            "webhook delivery failed"
        );
    }
    let attempted = Attempted {
        attempts,
        last_status: status,
        last_error: error,
        delivered_at: delivered.then_some(now),
        next_attempt_at: next,
    };
    flows.batcher.apply(vec![table::record(delivery, attempted)]).await?;
    Ok(())
}

/// Delivers what is due once, through one client kept for it (the job's tick; see
/// [`super::jobs`]).
pub async fn tick(flows: &Flows) {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Err(error) = deliver_due(flows, CLIENT.get_or_init(client)).await {
        tracing::warn!(%error, "webhook delivery failed; retrying");
    }
}

/// Delivers due webhooks at start and then whenever an event is written or a second passes,
/// until the server stops.
pub fn spawn_worker(flows: &Flows) -> tokio::task::JoinHandle<()> {
    let flows = flows.clone();
    tokio::spawn(async move {
        let client = client();
        let mut stopping = flows.stopping.clone();
        loop {
            if let Err(error) = deliver_due(&flows, &client).await {
                tracing::warn!(%error, "webhook delivery failed; retrying");
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = flows.webhooks_due.notified() => {}
                _ = stopping.changed() => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_timestamp_a_dot_and_the_body() {
        // Computed independently (python: hmac.new(b"whsec_test",
        // b"1700000000.{}", hashlib.sha256).hexdigest()).
        assert_eq!(
            signature("whsec_test", 1_700_000_000, b"{}"),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_hide_the_secret() {
        let seal = SecretSeal::new([3; 32], None);
        let secret = new_secret();
        let kept = seal.seal(&secret);
        assert!(kept.starts_with(SEALED) && !kept.contains(&secret["whsec_".len()..]), "{kept}");
        assert_ne!(seal.seal(&secret), kept, "a fresh nonce each time");
        assert_eq!(seal.open(&kept).ok(), Some(secret.clone()));
        assert!(SecretSeal::new([4; 32], None).open(&kept).is_err(), "another key opens nothing");
        // After a rotation, the old key still opens it, and says it must be sealed again.
        let rotated = SecretSeal::new([4; 32], Some([3; 32]));
        let (secret, again) = rotated.open_saying(&kept).unwrap();
        assert!(again);
        assert_eq!(rotated.open_saying(&rotated.seal(&secret)).unwrap(), (secret, false));
        let mut tampered = kept.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(seal.open(&String::from_utf8(tampered).unwrap_or_default()).is_err());
        assert_eq!(seal.open("whsec_kept_before").ok().as_deref(), Some("whsec_kept_before"));
        assert!(seal.open("garbage").is_err());
    }

    #[test]
    fn retries_double_from_ten_seconds_up_to_an_hour() {
        let delays: Vec<i64> = (1..=11).map(retry_delay_seconds).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
        // Attempts keep coming for the whole give-up period, well past 24 hours.
        let mut at = 0;
        let mut attempts = 1;
        while at + retry_delay_seconds(attempts) <= GIVE_UP_AFTER_SECONDS {
            at += retry_delay_seconds(attempts);
            attempts += 1;
        }
        assert!(at > 24 * 3600 && attempts > 24, "last attempt at {at} s, {attempts} attempts");
    }

    #[test]
    fn addresses_that_carry_a_private_ipv4_address_are_not_public() {
        for private in [
            "::ffff:93.184.216.34",
            "::ffff:7f00:1",
            "::ffff:0:a00:1",
            "::ffff:0:5db8:d822",
            "::5db8:d822",
            "64:ff9b:1::5db8:d822",
            "64:ff9b:1:2::1",
            "fec0::1",
            "feff::1",
            "2001:0:5db8:d822::1",
            "100::1",
            "3fff::1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "198.18.0.1",
            "240.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(allowed("127.0.0.1".parse().unwrap(), true) && !allowed("127.0.0.1".parse().unwrap(), false));
    }

    #[test]
    fn stored_events_are_listed_one_by_one() {
        assert_eq!(listed_events(",a,b,"), ["a", "b"]);
    }

    #[test]
    fn event_kinds_are_the_api_s() {
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(kinds, purse_api::checkout::WEBHOOK_EVENTS);
    }
}
