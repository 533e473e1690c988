//! The payment PIN rule: 4–6 digits, stored as HMAC-SHA256 under a pepper kept outside the
//! database ([`crate::flows::people::ServerKey`]). Five wrong PINs in a row lock money movement
//! for 15 minutes ([`FlowError::PinLocked`]): every outgoing movement, with or without a PIN.
//!
//! An attempt is counted as wrong *before* its PIN is checked, in one statement that refuses
//! it when the PIN is locked or five attempts are already counted
//! ([`Db::reserve_pin_attempt`](crate::store::Db::reserve_pin_attempt)); a right PIN then clears
//! the count. So however many attempts arrive at once, at most five wrong PINs are ever checked
//! before the lock.

use crate::flows::people::PinCheck;
use crate::flows::{FlowError, Flows};
use crate::store::people::UserRow;
use crate::store::{Db, Statement};
use crate::time::Time;

/// Wrong PINs in a row before the lock.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long the lock lasts.
pub const LOCK_SECONDS: i64 = 15 * 60;

/// A right PIN, checked: what clears its count (and re-stores it, when its stored form was
/// old), to be written with what the caller writes next.
#[derive(Debug)]
#[must_use = "a right PIN's count must be cleared"]
pub struct Passed(pub Statement);

/// Checks `pin` for `user`: [`Passed`] only for the right PIN. Refusals, in order:
/// `pin_not_set`, `pin_locked`, `pin_required`, `rate_limited` (while as many attempts as may
/// be wrong in a row are being checked), `pin_incorrect` (or `pin_locked` for the fifth wrong
/// one in a row, which locks the PIN).
pub async fn verify(flows: &Flows, user: &UserRow, pin: Option<&str>) -> Result<Passed, FlowError> {
    let Some(stored) = user.pin_hash.as_deref() else {
        return Err(FlowError::PinNotSet);
    };
    let now = flows.now();
    check_unlocked(user, now)?;
    let Some(pin) = pin else {
        return Err(FlowError::PinRequired);
    };
    let reserve = Db::reserve_pin_attempt(user.id, now, LOCK_AFTER_FAILURES);
    let Some(place) = flows.batcher.count(reserve).await? else {
        return Err(match flows.db.pin_state(user.id).await? {
            (false, _, _) => FlowError::PinNotSet,
            (true, _, Some(until)) if until > now => locked(until, now),
            // As many attempts are being checked as may be wrong in a row: one must end first.
            (true, _, _) => FlowError::RateLimited { retry_after_s: 1 },
        });
    };
    match flows.passwords.verify_pin(stored, pin).await? {
        PinCheck::Right { restore } => Ok(Passed(Db::pin_passed(user.id, restore))),
        PinCheck::Wrong if place >= LOCK_AFTER_FAILURES => {
            let until = now.plus_seconds(LOCK_SECONDS);
            flows.batcher.apply(vec![Db::lock_pin(user.id, until)]).await?;
            Err(locked(until, now))
        }
        PinCheck::Wrong => Err(FlowError::PinIncorrect { tries_left: LOCK_AFTER_FAILURES - place }),
    }
}

/// [`verify`], with its count cleared at once (for a caller with nothing else to write).
pub async fn verify_now(flows: &Flows, user: &UserRow, pin: Option<&str>) -> Result<(), FlowError> {
    let Passed(clear) = verify(flows, user, pin).await?;
    flows.batcher.apply(vec![clear]).await?;
    Ok(())
}

/// `pin_locked` while `user`'s PIN is locked at `now` (as the row read for this request says).
pub fn check_unlocked(user: &UserRow, now: Time) -> Result<(), FlowError> {
    match user.pin_locked_until.filter(|until| *until > now) {
        Some(until) => Err(locked(until, now)),
        None => Ok(()),
    }
}

fn locked(until: Time, now: Time) -> FlowError {
    FlowError::PinLocked { retry_after_s: now.seconds_until(until) }
}
