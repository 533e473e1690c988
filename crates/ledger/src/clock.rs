//! Where the ledger's time comes from. Timestamps decide expiry, so tests drive a
//! [`ManualClock`] instead of waiting for the wall clock.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::types::Timestamp;

/// A source of the current time. The ledger never goes backwards: each batch starts after the
/// previous batch's last timestamp whatever the clock says.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Timestamp(i64::try_from(nanos).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicI64,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock { nanos: AtomicI64::new(start.as_nanos()) }
    }

    pub fn advance_seconds(&self, seconds: u32) {
        self.nanos.fetch_add(i64::from(seconds) * 1_000_000_000, Ordering::SeqCst);
    }

    pub fn set(&self, at: Timestamp) {
        self.nanos.store(at.as_nanos(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.nanos.load(Ordering::SeqCst))
    }
}
