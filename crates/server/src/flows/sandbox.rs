//! The sandbox clock (`--sandbox-clock`, implied by `--demo`): the business clock of a sandbox
//! server is the system time plus an offset that only grows, like Stripe's test clocks. It is
//! the one [`Clock`] the ledger, the flows and every job read, so ledger timestamps, the
//! server's rows and the jobs share one time.
//!
//! [`advance`] moves it forward step by step: wherever a timed job ([`super::jobs`]) falls due
//! on the way, the clock stands at that instant while every job's tick runs, so what the job
//! writes carries that time. The offset is persisted (`sandbox_clock`) before the clock shows
//! it, so ledger timestamps stay monotonic across a restart; see ARCHITECTURE.md for several
//! instances on one PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use purse_ledger::{Clock, Timestamp};

use crate::flows::jobs::TIMED_JOBS;
use crate::flows::{FlowError, Flows};
use crate::store::{Db, StoreError};
use crate::time::{NANOS_PER_SECOND, Time};

/// Seconds in a day.
pub const DAY_SECONDS: u64 = 24 * 60 * 60;
/// The most one advance may move the clock: ten years (each day may hold several steps).
pub const MAX_ADVANCE_DAYS: u64 = 3_660;
pub const MAX_ADVANCE_SECONDS: u64 = MAX_ADVANCE_DAYS * DAY_SECONDS;

/// The system time (or, in tests, a base clock moved by hand) plus an offset that only grows.
#[derive(Debug)]
pub struct SandboxClock {
    base: Arc<dyn Clock>,
    offset_ns: AtomicI64,
    /// Held for a whole advance: two advances never interleave their steps on one instance.
    advancing: tokio::sync::Mutex<()>,
}

impl SandboxClock {
    /// A sandbox clock on `base`, with no offset yet (see [`SandboxClock::load`]).
    pub fn new(base: Arc<dyn Clock>) -> SandboxClock {
        SandboxClock { base, offset_ns: AtomicI64::new(0), advancing: tokio::sync::Mutex::new(()) }
    }

    /// How far the clock stands ahead of its base, in nanoseconds.
    pub fn offset_ns(&self) -> i64 {
        self.offset_ns.load(Ordering::SeqCst)
    }

    /// Takes up the persisted offset (at start, and to pick up another instance's advance);
    /// a smaller one than this clock's changes nothing.
    pub async fn load(&self, db: &Db) -> Result<(), StoreError> {
        self.raise(db.sandbox_offset().await?);
        Ok(())
    }

    fn raise(&self, offset_ns: i64) {
        self.offset_ns.fetch_max(offset_ns, Ordering::SeqCst);
    }

    /// Moves the clock to `at` (if it stands before it): the offset is persisted first, so no
    /// time the clock shows is ever lost to a restart.
    async fn move_to(&self, db: &Db, at: Time) -> Result<(), StoreError> {
        let offset = at.nanos().saturating_sub(self.base.now().as_nanos()).max(self.offset_ns());
        if offset > self.offset_ns() {
            db.raise_sandbox_offset(offset, at).await?;
            self.raise(offset);
        }
        Ok(())
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.base.now().as_nanos().saturating_add(self.offset_ns()))
    }
}

/// Where the sandbox clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockReading {
    pub now: Time,
    /// Seconds the clock stands ahead of the system time, to the nearest.
    pub offset_seconds: i64,
}

/// The sandbox clock, or `NotFound` on a server without one (production).
fn sandbox_clock(flows: &Flows) -> Result<&Arc<SandboxClock>, FlowError> {
    flows.sandbox_clock.as_ref().ok_or(FlowError::NotFound(super::error::Missing::Thing))
}

/// Where the clock stands, after taking up any advance another instance persisted.
pub async fn read(flows: &Flows) -> Result<ClockReading, FlowError> {
    let clock = sandbox_clock(flows)?;
    clock.load(&flows.db).await?;
    Ok(reading(flows, clock))
}

fn reading(flows: &Flows, clock: &SandboxClock) -> ClockReading {
    // Rounded: stepping on the system time takes a few milliseconds off an advance's offset
    // (the clock stands at its target, which was reckoned from the start of the advance).
    let offset_seconds = clock.offset_ns().saturating_add(NANOS_PER_SECOND / 2).div_euclid(NANOS_PER_SECOND);
    ClockReading { now: flows.now(), offset_seconds }
}

/// Moves the clock `seconds` forward, running every timed job that falls due on the way at
/// its due instant, and answers where the clock stands once all of them ran. One advance at a
/// time on this instance; the clock never goes back.
pub async fn advance(flows: &Flows, seconds: u64) -> Result<ClockReading, FlowError> {
    let clock = sandbox_clock(flows)?;
    let _one_at_a_time = clock.advancing.lock().await;
    clock.load(&flows.db).await?;
    let by = i64::try_from(seconds.min(MAX_ADVANCE_SECONDS)).unwrap_or(i64::MAX);
    let target = flows.now().plus_seconds(by);
    // Whatever is overdue already runs at the clock's present time first.
    run_ticks(flows).await;
    loop {
        let now = flows.now();
        if now >= target {
            break;
        }
        let mut step = target;
        for job in TIMED_JOBS {
            if let Some(due) = (job.next_due)(flows, now).await?.filter(|due| *due > now) {
                step = step.min(due);
            }
        }
        clock.move_to(&flows.db, step).await?;
        run_ticks(flows).await;
    }
    Ok(reading(flows, clock))
}

async fn run_ticks(flows: &Flows) {
    for job in TIMED_JOBS {
        tracing::debug!(job = job.name, at = %flows.now(), "sandbox clock: running a timed job");
        (job.tick)(flows).await;
    }
}

/// Takes up the persisted offset every second (another instance's advance) until the server
/// stops. Only on a server with a sandbox clock.
pub fn spawn_refresh(flows: &Flows) -> Option<tokio::task::JoinHandle<()>> {
    flows.sandbox_clock.is_some().then(|| {
        flows.spawn_every_second(|flows| async move {
            if let Some(clock) = &flows.sandbox_clock
                && let Err(error) = clock.load(&flows.db).await
            {
                tracing::warn!(%error, "cannot read the sandbox clock's offset; retrying");
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use purse_ledger::ManualClock;

    #[test]
    fn the_clock_is_its_base_plus_an_offset_that_only_grows() {
        let base = Arc::new(ManualClock::new(Timestamp::from_nanos(1_000)));
        let clock = SandboxClock::new(base.clone());
        assert_eq!(clock.now().as_nanos(), 1_000);
        clock.raise(500);
        assert_eq!(clock.now().as_nanos(), 1_500);
        clock.raise(200);
        assert_eq!(clock.offset_ns(), 500, "a smaller offset changes nothing");
        base.advance_seconds(1);
        assert_eq!(clock.now().as_nanos(), 1_000_001_500);
    }
}
