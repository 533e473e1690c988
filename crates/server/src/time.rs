//! `Time`: the server's one time type, an instant in nanoseconds since the Unix epoch (UTC), as
//! the clock gives it and as every table stores it (an `INTEGER` of nanoseconds).

use std::fmt;

use purse_ledger::{Clock, Timestamp};

/// Nanoseconds in a second.
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// An instant, in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    /// The Unix epoch (also "before anything happened" for a cursor).
    pub const EPOCH: Time = Time(0);

    /// Now, by `clock`.
    pub fn now(clock: &dyn Clock) -> Time {
        Time::from(clock.now())
    }

    pub const fn from_nanos(nanos: i64) -> Time {
        Time(nanos)
    }

    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// This instant plus `seconds` (which may be negative), saturating at either end.
    pub const fn plus_seconds(self, seconds: i64) -> Time {
        Time(self.0.saturating_add(seconds.saturating_mul(NANOS_PER_SECOND)))
    }

    /// This instant minus `seconds`, saturating.
    pub const fn minus_seconds(self, seconds: i64) -> Time {
        self.plus_seconds(seconds.saturating_neg())
    }

    /// Whole seconds from `self` to `later`, rounded up (what a `Retry-After` says); at least 1.
    pub fn seconds_until(self, later: Time) -> i64 {
        let nanos = later.0.saturating_sub(self.0);
        (nanos.saturating_add(NANOS_PER_SECOND - 1) / NANOS_PER_SECOND).max(1)
    }

    /// Whole seconds since the epoch, rounded down.
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SECOND)
    }

    /// RFC 3339, UTC (`2023-11-14T22:13:20.123456789Z`), as the API writes every time.
    pub fn rfc3339(self) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .ok()
            .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    }

    /// The UTC day this instant falls in, as daily caps count it (days since the epoch).
    pub fn utc_day(self) -> i64 {
        purse_api::funding::utc_day(self.0)
    }
}

impl From<Timestamp> for Time {
    fn from(timestamp: Timestamp) -> Time {
        Time(timestamp.as_nanos())
    }
}

impl From<Time> for Timestamp {
    fn from(time: Time) -> Timestamp {
        Timestamp::from_nanos(time.0)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(Time::EPOCH.rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Time::from_nanos(1_700_000_000_123_456_789).rfc3339(), "2023-11-14T22:13:20.123456789Z");
    }

    #[test]
    fn seconds_until_round_up_and_are_at_least_one() {
        let now = Time::from_nanos(10 * NANOS_PER_SECOND);
        assert_eq!(now.seconds_until(now.plus_seconds(15 * 60)), 900);
        assert_eq!(now.seconds_until(Time::from_nanos(now.nanos() + 1)), 1);
        assert_eq!(now.seconds_until(Time::from_nanos(now.nanos() + NANOS_PER_SECOND + 1)), 2);
        assert_eq!(now.seconds_until(now), 1);
        assert_eq!(now.seconds_until(Time::EPOCH), 1);
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Time::from_nanos(i64::MAX).plus_seconds(1).nanos(), i64::MAX);
        assert_eq!(Time::EPOCH.minus_seconds(1).nanos(), -NANOS_PER_SECOND);
    }
}
