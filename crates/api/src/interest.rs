//! Interest on balances, as API.md's "Interest and statements" has it (issue 22; the arithmetic
//! only, shared by the server's daily job and the browser's previews): the daily rate
//! `(1 + APY)^(1/365) − 1`, a day's accrual on an end-of-day balance, kept in decimal with
//! [`ACCRUAL_SCALE`] places, and a month's payment rounded down to the cent with the rest
//! carried into the next month. Everything in minor units; nothing here rounds up.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Decimal places an accrual is kept with (API.md asks for at least 10).
pub const ACCRUAL_SCALE: u32 = 14;
/// Days in the year of the daily rate (Reg DD's 1/365).
pub const DAYS_PER_YEAR: u32 = 365;

/// `base` to the power `exponent`, by squaring (28 significant digits at every step).
fn power(base: Decimal, mut exponent: u32) -> Decimal {
    let mut result = Decimal::ONE;
    let mut square = base;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result *= square;
        }
        exponent >>= 1;
        if exponent > 0 {
            square *= square;
        }
    }
    result
}

/// The daily rate for an annual percentage yield given in percent (`4.00` for 4 %): the
/// 365th root of `1 + APY`, less one, found by Newton's method in decimal. Zero for an APY of
/// zero or less.
pub fn daily_rate(apy_percent: Decimal) -> Decimal {
    if apy_percent <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let growth = Decimal::ONE + apy_percent / Decimal::ONE_HUNDRED;
    let days = Decimal::from(DAYS_PER_YEAR);
    // Just above the root (the simple rate's daily share overestimates it), so Newton's steps
    // come down to it without overshooting.
    let mut root = Decimal::ONE + (growth - Decimal::ONE) / days;
    for _ in 0..64 {
        let below = power(root, DAYS_PER_YEAR - 1);
        let step = (below * root - growth) / (days * below);
        root -= step;
        if step.abs() < Decimal::new(1, 27) {
            break;
        }
    }
    (root - Decimal::ONE).round_dp(ACCRUAL_SCALE + 6)
}

/// One day's interest on an end-of-day balance (minor units), in minor units with
/// [`ACCRUAL_SCALE`] places, rounded down. A balance of zero or less earns nothing.
pub fn accrue(balance_minor: i64, rate: Decimal) -> Decimal {
    if balance_minor <= 0 || rate <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (Decimal::from(balance_minor) * rate)
        .round_dp_with_strategy(ACCRUAL_SCALE, rust_decimal::RoundingStrategy::ToZero)
}

/// What a month's accruals pay: whole minor units (rounded down) and the rest, carried into the
/// next month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payment {
    pub paid_minor: i64,
    pub carry: Decimal,
}

/// The payment of a month whose accruals (with the carry from the month before) add up to
/// `accrued` minor units.
pub fn payment(accrued: Decimal) -> Payment {
    let paid = accrued.max(Decimal::ZERO).trunc();
    Payment { paid_minor: paid.to_i64().unwrap_or(i64::MAX), carry: accrued - paid }
}

/// `GET /me/interest`: what the wallet earns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InterestSummary {
    /// Percent a year (`"4.00"`); `"0.00"` when the server pays none.
    pub apy: String,
    /// Accrued since the last payment (this month's days and the carry), rounded down to the
    /// cent: what the next payment is so far.
    pub accrued_this_month: String,
    /// Interest paid into the wallet this calendar year.
    pub paid_this_year: String,
    /// `YYYY-MM-DD`: the first of next month, when this month's interest is paid.
    pub next_payment_on: String,
    /// `YYYY-MM`: the wallet's first month, the earliest with a statement.
    pub first_month: String,
    pub currency: crate::Currency,
}

/// One day's accrual, as `GET /me/interest/accruals` lists them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Accrual {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The day's end-of-day posted balance.
    pub balance: String,
    /// The daily rate it accrued at.
    pub daily_rate: String,
    /// In the currency's units, exactly as kept ([`ACCRUAL_SCALE`] places of the minor unit).
    pub accrued: String,
}

/// `GET /me/interest/accruals?month=YYYY-MM`: a month's accruals, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccrualList {
    pub month: String,
    pub currency: crate::Currency,
    pub items: Vec<Accrual>,
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::float_arithmetic,
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::unwrap_used
    )]

    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn the_daily_rate_compounds_back_to_the_apy_over_a_year() {
        for apy in ["0.01", "3.65", "4.00", "6.00", "25"] {
            let rate = daily_rate(dec(apy));
            let year = power(Decimal::ONE + rate, DAYS_PER_YEAR);
            let want = Decimal::ONE + dec(apy) / Decimal::ONE_HUNDRED;
            assert!((year - want).abs() < dec("0.000000000000001"), "{apy}: {year} against {want}");
            // And an independent computation in floating point agrees to 12 places.
            let float = (1.0 + apy.parse::<f64>().unwrap() / 100.0).powf(1.0 / 365.0) - 1.0;
            let ours = rate.to_f64().unwrap();
            assert!((ours - float).abs() < 1e-12, "{apy}: {ours} against {float}");
        }
        assert_eq!(daily_rate(Decimal::ZERO), Decimal::ZERO);
        assert_eq!(daily_rate(dec("-1")), Decimal::ZERO);
    }

    #[test]
    fn a_day_accrues_on_the_balance_with_fourteen_places_rounded_down() {
        let rate = daily_rate(dec("3.65"));
        let day = accrue(100_000, rate);
        assert_eq!(day.scale(), ACCRUAL_SCALE);
        assert!(day <= Decimal::from(100_000) * rate);
        assert!(Decimal::from(100_000) * rate - day < dec("0.00000000000001"));
        // 1,000.00 at 3.65 %: what floating point makes of the formula, to a millionth of a cent.
        let float = 100_000.0 * (1.0365_f64.powf(1.0 / 365.0) - 1.0);
        assert!((day.to_f64().unwrap() - float).abs() < 1e-6, "{day} against {float}");
        assert_eq!(accrue(0, rate), Decimal::ZERO);
        assert_eq!(accrue(-500, rate), Decimal::ZERO);
        assert_eq!(accrue(100_000, Decimal::ZERO), Decimal::ZERO);
    }

    #[test]
    fn a_month_pays_whole_cents_and_carries_the_rest() {
        let rate = daily_rate(dec("3.65"));
        // 1,000.00 from the 4th to the 31st: 28 end-of-day balances.
        let month: Decimal = (0..28).map(|_| accrue(100_000, rate)).sum();
        let first = payment(month);
        assert_eq!(Decimal::from(first.paid_minor) + first.carry, month);
        assert!(first.carry >= Decimal::ZERO && first.carry < Decimal::ONE);
        // Floating point's own 28 days, rounded down.
        let float = 28.0 * 100_000.0 * (1.0365_f64.powf(1.0 / 365.0) - 1.0);
        assert_eq!(first.paid_minor, float.floor() as i64, "{month} against {float}");
        // The next month starts from the carry, and nothing is lost over both.
        let next: Decimal = (0..30).map(|_| accrue(100_000, rate)).sum::<Decimal>() + first.carry;
        let second = payment(next);
        assert_eq!(
            Decimal::from(first.paid_minor + second.paid_minor) + second.carry,
            month + next - first.carry
        );
        assert_eq!(payment(dec("0.999")), Payment { paid_minor: 0, carry: dec("0.999") });
    }
}
