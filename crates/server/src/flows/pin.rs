//! The payment PIN rule: 4–6 digits, stored as HMAC-SHA256 under a pepper kept outside the
//! database ([`crate::flows::people::ServerKey`]). Five wrong PINs in a row lock money movement
//! for 15 minutes ([`FlowError::PinLocked`]): every outgoing movement, with or without a PIN.
//!
//! An attempt is counted as wrong *before* its PIN is checked, in one statement that refuses
//! it when the PIN is locked; the fifth in a row locks the PIN in that same statement
//! ([`Db::reserve_pin_attempt`](crate::store::Db::reserve_pin_attempt)). A right PIN then clears
//! the count and the lock, with what its movement writes. So however many attempts arrive at
//! once, at most five wrong PINs are ever checked before the lock, and an attempt cut off
//! before its end was written costs at most one lock's time.

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
/// `pin_not_set`, `pin_locked` (also while the fifth attempt in a row is being checked),
/// `pin_required`, `pin_incorrect` (or `pin_locked` for the fifth wrong one in a row).
pub async fn verify(flows: &Flows, user: &UserRow, pin: Option<&str>) -> Result<Passed, FlowError> {
    let Some(stored) = user.pin_hash.as_deref() else {
        return Err(FlowError::PinNotSet);
    };
    let now = flows.now();
    check_unlocked(user, now)?;
    let Some(pin) = pin else {
        return Err(FlowError::PinRequired);
    };
    let until = now.plus_seconds(LOCK_SECONDS);
    let reserve = Db::reserve_pin_attempt(user.id, now, LOCK_AFTER_FAILURES, until);
    let Some(place) = flows.batcher.count(reserve).await? else {
        return Err(match flows.db.pin_state(user.id).await? {
            (false, _, _) => FlowError::PinNotSet,
            (true, _, until) => {
                locked(until.filter(|until| *until > now).unwrap_or(now.plus_seconds(1)), now)
            }
        });
    };
    // The check and what it leaves run to the end even if the request is dropped meanwhile.
    let (flows, stored, pin, person) = (flows.clone(), stored.to_string(), pin.to_string(), user.id);
    let checked = tokio::spawn(async move {
        match flows.passwords.verify_pin(&stored, &pin).await {
            Ok(PinCheck::Right { restore }) => Ok(Passed(Db::pin_passed(person, restore))),
            Ok(PinCheck::Wrong) if place >= LOCK_AFTER_FAILURES => Err(locked(until, now)),
            Ok(PinCheck::Wrong) => Err(FlowError::PinIncorrect { tries_left: LOCK_AFTER_FAILURES - place }),
            Err(error) => {
                let give_back = Db::pin_not_checked(person, place, LOCK_AFTER_FAILURES);
                if let Err(store) = flows.batcher.apply(vec![give_back]).await {
                    tracing::warn!(error = %store, "a PIN attempt that was not checked stays counted");
                }
                Err(error)
            }
        }
    });
    checked.await.map_err(FlowError::internal)?
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
