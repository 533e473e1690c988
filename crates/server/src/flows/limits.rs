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

/// Sign-in attempts for one handle (from anywhere).
pub const LOGIN_PER_HANDLE: Limit = Limit { name: "login-handle", max: 10, window_s: 15 * 60 };
/// Sign-in attempts from one address (for any handle).
pub const LOGIN_PER_ADDRESS: Limit = Limit { name: "login-address", max: 50, window_s: 15 * 60 };
/// New accounts from one address.
pub const SIGNUP_PER_ADDRESS: Limit = Limit { name: "signup-address", max: 20, window_s: 60 * 60 };
/// PIN checks for one person (wrong PINs also lock after five in a row; see [`super::pin`]).
pub const PIN_PER_USER: Limit = Limit { name: "pin-user", max: 20, window_s: 15 * 60 };
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
