//! The payment PIN: 4–6 digits, stored as an argon2id hash. Five wrong PINs in a row lock
//! money movement for 15 minutes (`403 pin_locked`, with `Retry-After`); PIN checks are also
//! rate-limited per person (`429`).

use purse_api::ErrorCode;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::limits;
use crate::state::AppState;

/// Wrong PINs in a row before the lock.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long the lock lasts.
pub const LOCK_SECONDS: i64 = 15 * 60;
const NANOS: i64 = 1_000_000_000;

/// Checks `pin` for `user`: `Ok` only for the right PIN, with the run of wrong ones reset.
/// Refusals, in order: `pin_not_set`, `pin_locked`, `pin_required`, `rate_limited`,
/// `pin_incorrect` (or `pin_locked` when this was the fifth wrong one).
pub async fn verify(state: &AppState, user: &CurrentUser, pin: Option<&str>) -> Result<(), AppError> {
    let counted = count_attempt(state, user, pin).await;
    verify_counted(state, user, pin, counted).await
}

/// Counts a PIN attempt against the per-person limit when [`verify`] would (a PIN is set, not
/// locked, and one was given); `None` otherwise. A caller may start this beside its own reads
/// and hand the count to [`verify_counted`], a round trip fewer before the hash.
pub async fn count_attempt(
    state: &AppState,
    user: &CurrentUser,
    pin: Option<&str>,
) -> Option<Result<(), AppError>> {
    let locked = user.row.pin_locked_until.is_some_and(|until| until > state.now());
    if user.row.pin_hash.is_none() || locked || pin.is_none() {
        return None;
    }
    Some(limits::check(state, limits::PIN_PER_USER, &user.row.id.to_string()).await)
}

/// [`verify`], with the attempt already counted by [`count_attempt`]: the refusals come in the
/// same order, and the hash is checked only within the limit.
pub async fn verify_counted(
    state: &AppState,
    user: &CurrentUser,
    pin: Option<&str>,
    counted: Option<Result<(), AppError>>,
) -> Result<(), AppError> {
    let Some(stored) = user.row.pin_hash.as_deref() else {
        return Err(AppError::new(ErrorCode::PinNotSet, "Set a payment PIN first."));
    };
    let now = state.now();
    if let Some(until) = user.row.pin_locked_until.filter(|until| *until > now) {
        return Err(locked(until, now));
    }
    let Some(pin) = pin else {
        return Err(AppError::new(ErrorCode::PinRequired, "Enter your payment PIN.").with_field("pin"));
    };
    match counted {
        Some(counted) => counted?,
        // Counted by nobody yet (the lock ran out in between, say): count it now.
        None => limits::check(state, limits::PIN_PER_USER, &user.row.id.to_string()).await?,
    }
    if state.passwords.verify(Some(stored), pin).await? {
        // Most checks follow no wrong PIN: nothing to clear, no write.
        if user.row.pin_failures != 0 || user.row.pin_locked_until.is_some() {
            state.db.clear_pin_failures(user.row.id).await.map_err(AppError::unavailable)?;
        }
        return Ok(());
    }
    let (failures, locked_until) = state
        .db
        .record_pin_failure(user.row.id, LOCK_AFTER_FAILURES, now + LOCK_SECONDS * NANOS)
        .await
        .map_err(AppError::unavailable)?;
    match locked_until.filter(|until| *until > now) {
        Some(until) => Err(locked(until, now)),
        None => {
            let left = LOCK_AFTER_FAILURES - failures;
            Err(AppError::new(
                ErrorCode::PinIncorrect,
                format!("That PIN is not right. {left} more wrong tries lock payments for 15 minutes."),
            )
            .with_field("pin"))
        }
    }
}

fn locked(until: i64, now: i64) -> AppError {
    let seconds = ((until - now) + NANOS - 1) / NANOS;
    AppError::new(
        ErrorCode::PinLocked,
        "Too many wrong PINs. Payments are locked for a while; try again later.",
    )
    .retry_after(seconds.max(1))
}
