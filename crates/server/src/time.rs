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

/// Nanoseconds in a day.
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// The first instant of the UTC day `day` (days since the epoch).
pub const fn start_of_day(day: i64) -> Time {
    Time(day.saturating_mul(NANOS_PER_DAY))
}

/// The last instant (nanosecond) of the UTC day `day`.
pub const fn end_of_day(day: i64) -> Time {
    Time(day.saturating_add(1).saturating_mul(NANOS_PER_DAY).saturating_sub(1))
}

/// The UTC date `YYYY-MM-DD` of the day `day` (days since the epoch).
pub fn date_of_day(day: i64) -> String {
    purse_api::compliance::Date::of_unix_ns(start_of_day(day).nanos()).to_string()
}

/// A calendar month (UTC), as statements and interest payments count them: `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarMonth {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl CalendarMonth {
    /// The month `YYYY-MM` stands for.
    pub fn parse(text: &str) -> Option<CalendarMonth> {
        purse_api::statements::parse_month(text).map(|(year, month)| CalendarMonth { year, month })
    }

    /// The month the UTC day `day` falls in.
    pub fn of_day(day: i64) -> CalendarMonth {
        let date = purse_api::compliance::Date::of_unix_ns(start_of_day(day).nanos());
        CalendarMonth { year: date.year, month: date.month }
    }

    /// The month `at` falls in.
    pub fn of(at: Time) -> CalendarMonth {
        CalendarMonth::of_day(at.utc_day())
    }

    pub fn next(self) -> CalendarMonth {
        if self.month == 12 {
            CalendarMonth { year: self.year + 1, month: 1 }
        } else {
            CalendarMonth { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(self) -> CalendarMonth {
        if self.month == 1 {
            CalendarMonth { year: self.year - 1, month: 12 }
        } else {
            CalendarMonth { year: self.year, month: self.month - 1 }
        }
    }

    /// Its first day (days since the epoch), by Howard Hinnant's days-from-civil.
    pub fn first_day(self) -> i64 {
        let (year, month) = (i64::from(self.year) - i64::from(self.month <= 2), i64::from(self.month));
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Its last day.
    pub fn last_day(self) -> i64 {
        self.next().first_day() - 1
    }

    /// Its first instant.
    pub fn start(self) -> Time {
        start_of_day(self.first_day())
    }

    /// Its last instant (nanosecond).
    pub fn end(self) -> Time {
        end_of_day(self.last_day())
    }
}

impl fmt::Display for CalendarMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_know_their_days() {
        let december = CalendarMonth::parse("2026-12").unwrap();
        assert_eq!(date_of_day(december.first_day()), "2026-12-01");
        assert_eq!(date_of_day(december.last_day()), "2026-12-31");
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(december.next().previous(), december);
        let february = CalendarMonth::parse("2028-02").unwrap();
        assert_eq!(february.last_day() - february.first_day() + 1, 29, "2028 is a leap year");
        assert_eq!(CalendarMonth::parse("1970-01").map(CalendarMonth::first_day), None, "before 2000");
        assert_eq!(CalendarMonth::of_day(0).to_string(), "1970-01");
        assert_eq!(CalendarMonth { year: 1970, month: 1 }.first_day(), 0);
        for text in ["2000-01", "2024-02", "2024-03", "2099-12"] {
            let month = CalendarMonth::parse(text).unwrap();
            assert_eq!(CalendarMonth::of_day(month.first_day()), month, "{text}");
            assert_eq!(CalendarMonth::of_day(month.last_day()), month, "{text}");
            assert_eq!(CalendarMonth::of_day(month.last_day() + 1), month.next(), "{text}");
            assert_eq!(CalendarMonth::of(month.end()), month);
            assert_eq!(CalendarMonth::of(Time::from_nanos(month.end().nanos() + 1)), month.next());
        }
    }

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
