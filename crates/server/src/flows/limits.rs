//! Rate limits: fixed windows counted in the database (through the write batcher, in batches),
//! so every instance shares them. Over a limit is [`FlowError::RateLimited`], with how long
//! until trying again makes sense.

use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::limits::{Hit, HitCount};
use crate::time::Time;

/// At most `max` hits per `window_s` seconds for one subject.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub name: &'static str,
    pub max: i64,
    pub window_s: i64,
}

/// Sign-in attempts for one handle from one address.
pub const LOGIN_PER_HANDLE_AND_ADDRESS: Limit =
    Limit { name: "login-handle-address", max: 10, window_s: 15 * 60 };
/// Sign-in attempts for one handle from anywhere: past `max` they are slowed down
/// ([`login_backoff`]), never refused, so no one can lock the owner out.
pub const LOGIN_PER_HANDLE: Limit = Limit { name: "login-handle", max: 10, window_s: 15 * 60 };
/// Sign-in attempts from one address (for any handle).
pub const LOGIN_PER_ADDRESS: Limit = Limit { name: "login-address", max: 50, window_s: 15 * 60 };
/// The longest a sign-in is slowed down.
pub const LOGIN_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(3);
/// New accounts from one address.
pub const SIGNUP_PER_ADDRESS: Limit = Limit { name: "signup-address", max: 20, window_s: 60 * 60 };
/// Card tokens one address may ask the sandbox card network for per minute: card testing is
/// slowed down here.
pub const CARD_TOKENS_PER_ADDRESS: Limit = Limit { name: "card-tokens-address", max: 30, window_s: 60 };

/// Money movements per person per minute (sends, requests, payments of requests, tips,
/// confirmations, deposits and withdrawals), by the settings.
pub fn money(flows: &Flows) -> Limit {
    Limit { name: "money-user", max: flows.settings.money_per_minute, window_s: 60 }
}

/// Counts one money movement started by `person` (one that is not an idempotent operation:
/// a request for money).
pub async fn check_money(flows: &Flows, person: PersonId) -> Result<(), FlowError> {
    check(flows, money(flows), &person.to_string()).await
}

/// How long a sign-in waits when its handle's count from everywhere is `count`: nothing up to
/// [`LOGIN_PER_HANDLE`]'s `max`, then a quarter second more per try, up to
/// [`LOGIN_BACKOFF_MAX`].
pub fn login_backoff(count: HitCount) -> std::time::Duration {
    let over = u32::try_from((count.count - LOGIN_PER_HANDLE.max).max(0)).unwrap_or(u32::MAX);
    (std::time::Duration::from_millis(250).saturating_mul(over)).min(LOGIN_BACKOFF_MAX)
}

/// Who a client address counts as for a rate limit: an IPv4 address (also one written as
/// IPv6, `::ffff:a.b.c.d`) itself, an IPv6 address by its /64 (one subscriber's network: a
/// host can pick any address in it).
pub fn address_subject(address: &str) -> String {
    match address.parse::<std::net::IpAddr>().map(subject_ip) {
        Ok(ip @ std::net::IpAddr::V6(_)) => format!("{ip}/64"),
        Ok(ip) => ip.to_string(),
        Err(_) => address.to_string(),
    }
}

/// The address a client counts as ([`address_subject`]): an IPv4-mapped one as its IPv4, an
/// IPv6 one as the first address of its /64. Also what the connection caps count by.
pub fn subject_ip(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => std::net::IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

/// Counts one hit of `limit` for `subject`, refusing nothing: the count in its window.
pub async fn count(flows: &Flows, limit: Limit, subject: &str) -> Result<HitCount, FlowError> {
    Ok(flows.batcher.hit(limit.hit(flows, subject)).await?)
}

/// Counts one hit of `limit` for `subject`; refuses it when over.
pub async fn check(flows: &Flows, limit: Limit, subject: &str) -> Result<(), FlowError> {
    let hit = limit.hit(flows, subject);
    let now = hit.now;
    let count = flows.batcher.hit(hit).await?;
    if count.count <= limit.max { Ok(()) } else { Err(limit.refusal(count, now)) }
}

impl Limit {
    /// One hit of this limit for `subject`, now.
    pub fn hit(self, flows: &Flows, subject: &str) -> Hit {
        Hit { key: format!("{}:{subject}", self.name), now: flows.now(), window_s: self.window_s }
    }

    /// [`FlowError::RateLimited`], with how long until the window that `count` is in ends.
    pub fn refusal(self, count: HitCount, now: Time) -> FlowError {
        let retry_after_s = now.seconds_until(count.window_start.plus_seconds(self.window_s));
        FlowError::RateLimited { retry_after_s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_and_ipv4_as_themselves() {
        assert_eq!(address_subject("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_subject("2001:db8:1:2:ffff:1:2:3"), address_subject("2001:db8:1:2::9"));
        assert_ne!(address_subject("2001:db8:1:3::1"), address_subject("2001:db8:1:2::1"));
        assert_eq!(address_subject("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_subject("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_subject("unknown"), "unknown");
    }

    #[test]
    fn sign_ins_for_one_handle_are_slowed_past_the_limit_never_refused() {
        let at = |count| login_backoff(HitCount { count, window_start: Time::EPOCH });
        assert!(at(1).is_zero() && at(10).is_zero());
        assert_eq!(at(11), std::time::Duration::from_millis(250));
        assert_eq!(at(14), std::time::Duration::from_secs(1));
        assert_eq!(at(1_000), LOGIN_BACKOFF_MAX);
    }
}
