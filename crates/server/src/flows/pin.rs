//! The payment PIN rule: 4–6 digits, stored as an argon2id hash. Five wrong PINs in a row lock
//! money movement for 15 minutes ([`FlowError::PinLocked`]); PIN checks are also rate-limited
//! per person.

use crate::flows::{FlowError, Flows, limits};
use crate::store::people::UserRow;
use crate::time::Time;

/// Wrong PINs in a row before the lock.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long the lock lasts.
pub const LOCK_SECONDS: i64 = 15 * 60;

/// Checks `pin` for `user`: `Ok` only for the right PIN, with the run of wrong ones reset.
/// Refusals, in order: `pin_not_set`, `pin_locked`, `pin_required`, `rate_limited`,
/// `pin_incorrect` (or `pin_locked` when this was the fifth wrong one).
pub async fn verify(flows: &Flows, user: &UserRow, pin: Option<&str>) -> Result<(), FlowError> {
    verify_counted(flows, user, pin, None).await
}

/// Counts a PIN attempt against the per-person limit when [`verify`] would (a PIN is set, not
/// locked, and one was given); `None` otherwise. A caller may start this beside its own reads
/// and hand the count to [`verify_counted`], a round trip fewer before the hash.
pub async fn count_attempt(
    flows: &Flows,
    user: &UserRow,
    pin: Option<&str>,
) -> Option<Result<(), FlowError>> {
    let locked = user.pin_locked_until.is_some_and(|until| until > flows.now());
    if user.pin_hash.is_none() || locked || pin.is_none() {
        return None;
    }
    Some(limits::check(flows, limits::PIN_PER_USER, &user.id.to_string()).await)
}

/// [`verify`], with the attempt already counted by [`count_attempt`] (or `None`: counted here,
/// once the PIN is known to be set, not locked, and given). The refusals come in the same
/// order, and the hash is checked only within the limit.
pub async fn verify_counted(
    flows: &Flows,
    user: &UserRow,
    pin: Option<&str>,
    counted: Option<Result<(), FlowError>>,
) -> Result<(), FlowError> {
    let Some(stored) = user.pin_hash.as_deref() else {
        return Err(FlowError::PinNotSet);
    };
    let now = flows.now();
    if let Some(until) = user.pin_locked_until.filter(|until| *until > now) {
        return Err(locked(until, now));
    }
    let Some(pin) = pin else {
        return Err(FlowError::PinRequired);
    };
    match counted {
        Some(counted) => counted?,
        None => limits::check(flows, limits::PIN_PER_USER, &user.id.to_string()).await?,
    }
    if flows.passwords.verify(Some(stored), pin).await? {
        // Most checks follow no wrong PIN: nothing to clear, no write.
        if user.pin_failures != 0 || user.pin_locked_until.is_some() {
            flows.db.clear_pin_failures(user.id).await?;
        }
        return Ok(());
    }
    let (failures, locked_until) =
        flows.db.record_pin_failure(user.id, LOCK_AFTER_FAILURES, now.plus_seconds(LOCK_SECONDS)).await?;
    match locked_until.filter(|until| *until > now) {
        Some(until) => Err(locked(until, now)),
        None => Err(FlowError::PinIncorrect { tries_left: LOCK_AFTER_FAILURES - failures }),
    }
}

fn locked(until: Time, now: Time) -> FlowError {
    FlowError::PinLocked { retry_after_s: now.seconds_until(until) }
}
