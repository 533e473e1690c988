//! Rate limits: fixed windows counted in the database (through the [`crate::journal`], in
//! batches), so every instance shares them. Over a limit is `429 rate_limited` with
//! `Retry-After`.

use purse_api::ErrorCode;

use crate::error::AppError;
use crate::journal::{Hit, HitCount};
use crate::state::AppState;

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
/// PIN checks for one person (wrong PINs also lock after five in a row; see `api::me`).
pub const PIN_PER_USER: Limit = Limit { name: "pin-user", max: 20, window_s: 15 * 60 };

/// Counts one money movement (send, request, payment of a request) started by `user_id`,
/// against the per-minute maximum of the settings.
pub async fn check_money(state: &AppState, user_id: i64) -> Result<(), AppError> {
    check(state, money(state), &user_id.to_string()).await
}

/// Money movements per person per minute (see [`check_money`]).
pub fn money(state: &AppState) -> Limit {
    Limit { name: "money-user", max: state.settings.money_per_minute, window_s: 60 }
}

const NANOS: i64 = 1_000_000_000;

/// Counts one hit of `limit` for `subject`; refuses it when over.
pub async fn check(state: &AppState, limit: Limit, subject: &str) -> Result<(), AppError> {
    let hit = limit.hit(state, subject);
    let now = hit.now;
    let count = state.journal.hit(hit).await.map_err(AppError::unavailable)?;
    if count.count <= limit.max { Ok(()) } else { Err(limit.refusal(count, now)) }
}

impl Limit {
    /// One hit of this limit for `subject`, now.
    pub fn hit(self, state: &AppState, subject: &str) -> Hit {
        Hit { key: format!("{}:{subject}", self.name), now: state.now(), window: self.window_s * NANOS }
    }

    /// `429 rate_limited`, with how long until the window that `count` is in ends.
    pub fn refusal(self, count: HitCount, now: i64) -> AppError {
        let retry_after_s = (count.window_start + self.window_s * NANOS - now + NANOS - 1) / NANOS;
        AppError::new(ErrorCode::RateLimited, "Too many attempts. Wait a little and try again.")
            .retry_after(retry_after_s.max(1))
    }
}
