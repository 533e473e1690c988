//! Money: an exact decimal amount at its currency's scale.
//!
//! [`Money`] is any amount Purse can hold in a currency (zero and negative included, as a
//! balance can be). [`Amount`] is what a client may ask to move: parsed from the wire by the
//! rule of API.md, strictly positive and at most the per-transaction maximum. Both live on
//! `rust_decimal::Decimal`, always carry exactly the currency's number of decimals, and fit in
//! an `i64` of minor units, which is what the ledger stores. No float ever touches them.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency::Currency;
use crate::error::ErrorCode;

/// Why a string, a currency or a computation did not give money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the currency is not a known ISO 4217 code")]
    UnknownCurrency,
    #[error("{0} is not supported yet")]
    CurrencyNotEnabled(Currency),
    #[error("the amount must be a decimal string such as \"12.50\"")]
    Malformed,
    #[error("{currency} amounts have at most {} decimals", currency.exponent())]
    TooManyDecimals { currency: Currency },
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("the amount is above the maximum of {max}")]
    AboveMaximum { max: Money },
    #[error("amounts in {left} and {right} cannot be combined")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("the result is too large to represent")]
    Overflow,
}

impl MoneyError {
    /// The API error code this failure answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            MoneyError::UnknownCurrency | MoneyError::CurrencyNotEnabled(_) => ErrorCode::InvalidCurrency,
            MoneyError::Malformed
            | MoneyError::TooManyDecimals { .. }
            | MoneyError::NotPositive
            | MoneyError::AboveMaximum { .. }
            | MoneyError::Overflow => ErrorCode::InvalidAmount,
            MoneyError::CurrencyMismatch { .. } => ErrorCode::InvalidCurrency,
        }
    }
}

/// An amount of one currency. Invariant: `amount.scale() == currency.exponent()` and the
/// amount in minor units fits in an `i64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    /// From integer minor units (cents for USD). Every `i64` is representable.
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { amount: Decimal::new(minor, currency.exponent()), currency }
    }

    /// Integer minor units: what the ledger stores.
    pub fn to_minor(self) -> i64 {
        // The invariant (scale == exponent, fits in i64) makes the mantissa the minor units.
        i64::try_from(self.amount.mantissa()).unwrap_or(if self.amount.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    pub fn amount(self) -> Decimal {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.amount.is_sign_positive() && !self.amount.is_zero()
    }

    /// The amount as the API writes it: full scale, no grouping, no symbol (`"5.00"`).
    pub fn amount_string(self) -> String {
        self.amount.to_string()
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self.to_minor().checked_add(other.to_minor()).ok_or(MoneyError::Overflow)?;
        Ok(Money::from_minor(minor, currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self.to_minor().checked_sub(other.to_minor()).ok_or(MoneyError::Overflow)?;
        Ok(Money::from_minor(minor, currency))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.to_minor().checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money::from_minor(minor, self.currency))
    }

    /// From a decimal, which must not have more decimals than the currency allows. Trailing
    /// zeros beyond the scale are not accepted either: `1.500` is not a USD amount.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.scale() > currency.exponent() {
            return Err(MoneyError::TooManyDecimals { currency });
        }
        let mut rescaled = amount;
        rescaled.rescale(currency.exponent());
        if rescaled != amount {
            return Err(MoneyError::Overflow);
        }
        let minor = i64::try_from(rescaled.mantissa()).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::from_minor(minor, currency))
    }

    /// Reads an amount as the API writes it in responses: an optional `-`, digits, and at most
    /// the currency's decimals. Zero and negative values are allowed (balances); the stricter
    /// client rule is [`Amount::parse`].
    pub fn parse_written(raw: &str, currency: Currency) -> Result<Money, MoneyError> {
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let minor = parse_minor(unsigned, currency)?;
        let minor = if negative { minor.checked_neg().ok_or(MoneyError::Overflow)? } else { minor };
        Ok(Money::from_minor(minor, currency))
    }

    fn same_currency(self, other: Money) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Money on the wire: `{"amount": "12.50", "currency": "USD"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire { amount: self.amount_string(), currency: self.currency }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse_written(&wire.amount, wire.currency).map_err(serde::de::Error::custom)
    }
}

/// An amount a client asked to move: strictly positive, within the per-transaction maximum,
/// and parsed by the exact rule of API.md. An invalid `Amount` cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(Money);

impl Amount {
    /// API.md's rule with the currency's default maximum: `amount` matches
    /// `^(0|[1-9][0-9]*)(\.[0-9]+)?$`, has no more decimals than the currency allows, is
    /// greater than zero and at most the maximum; `currency` is known and enabled.
    /// Failures are checked in that order, the currency first.
    pub fn parse(amount: &str, currency: &str) -> Result<Amount, MoneyError> {
        let currency = Currency::parse_enabled(currency)?;
        Amount::parse_in(amount, currency, currency.info().max_per_transaction_minor)
    }

    /// The same rule for an already-parsed currency and an explicit maximum in minor units.
    pub fn parse_in(amount: &str, currency: Currency, max_minor: i64) -> Result<Amount, MoneyError> {
        if !matches_amount_grammar(amount) {
            return Err(MoneyError::Malformed);
        }
        let max = Money::from_minor(max_minor, currency);
        let minor = match parse_minor(amount, currency) {
            Ok(minor) => minor,
            // Grammatical but wider than an i64 of minor units: certainly above the maximum.
            Err(MoneyError::Overflow) => return Err(MoneyError::AboveMaximum { max }),
            Err(error) => return Err(error),
        };
        if minor == 0 {
            return Err(MoneyError::NotPositive);
        }
        if minor > max_minor {
            return Err(MoneyError::AboveMaximum { max });
        }
        Ok(Amount(Money::from_minor(minor, currency)))
    }

    /// From minor units already known to be valid (for example read back from the ledger).
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Amount, MoneyError> {
        if minor <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(Amount(Money::from_minor(minor, currency)))
    }

    pub fn money(self) -> Money {
        self.0
    }

    pub fn to_minor(self) -> i64 {
        self.0.to_minor()
    }

    pub fn currency(self) -> Currency {
        self.0.currency()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `^(0|[1-9][0-9]*)(\.[0-9]+)?$`, written out so `purse-api` needs no regex engine.
fn matches_amount_grammar(raw: &str) -> bool {
    let (whole, fraction) = match raw.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (raw, None),
    };
    let whole_ok = whole == "0"
        || (whole.starts_with(|c: char| matches!(c, '1'..='9')) && whole.bytes().all(|b| b.is_ascii_digit()));
    let fraction_ok =
        fraction.is_none_or(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    whole_ok && fraction_ok
}

/// Unsigned digits with an optional fraction of at most `exponent` digits, as minor units.
fn parse_minor(raw: &str, currency: Currency) -> Result<i64, MoneyError> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(MoneyError::Malformed);
    }
    if raw.contains('.') && fraction.is_empty() {
        return Err(MoneyError::Malformed);
    }
    let exponent = currency.exponent();
    if fraction.len() > exponent as usize {
        return Err(MoneyError::TooManyDecimals { currency });
    }
    let mut minor: i64 = 0;
    let padding = exponent as usize - fraction.len();
    for byte in whole.bytes().chain(fraction.bytes()).chain(std::iter::repeat_n(b'0', padding)) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(byte - b'0')))
            .ok_or(MoneyError::Overflow)?;
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD_MAX: i64 = 1_000_000;

    fn check_parse(raw: &str, currency: &str, expected: Result<i64, MoneyError>) {
        let got = Amount::parse(raw, currency).map(Amount::to_minor);
        assert_eq!(got, expected, "Amount::parse({raw:?}, {currency:?})");
    }

    fn above_usd_max() -> MoneyError {
        MoneyError::AboveMaximum { max: Money::from_minor(USD_MAX, Currency::Usd) }
    }

    #[test]
    fn client_amount_rule_table() {
        let too_many = MoneyError::TooManyDecimals { currency: Currency::Usd };
        let cases: Vec<(&str, Result<i64, MoneyError>)> = vec![
            // valid
            ("12.50", Ok(1250)),
            ("12.5", Ok(1250)),
            ("12", Ok(1200)),
            ("0.01", Ok(1)),
            ("0.1", Ok(10)),
            ("10000.00", Ok(USD_MAX)),
            ("10000", Ok(USD_MAX)),
            ("9999.99", Ok(999_999)),
            // the grammar
            ("", Err(MoneyError::Malformed)),
            (" 1.00", Err(MoneyError::Malformed)),
            ("1.00 ", Err(MoneyError::Malformed)),
            ("+1.00", Err(MoneyError::Malformed)),
            ("-1.00", Err(MoneyError::Malformed)),
            ("01.00", Err(MoneyError::Malformed)),
            ("00", Err(MoneyError::Malformed)),
            ("1.", Err(MoneyError::Malformed)),
            (".5", Err(MoneyError::Malformed)),
            ("1,000.00", Err(MoneyError::Malformed)),
            ("1_000", Err(MoneyError::Malformed)),
            ("1e3", Err(MoneyError::Malformed)),
            ("1.2.3", Err(MoneyError::Malformed)),
            ("١٢", Err(MoneyError::Malformed)),
            ("NaN", Err(MoneyError::Malformed)),
            // decimals
            ("1.001", Err(too_many.clone())),
            ("1.500", Err(too_many.clone())),
            ("0.001", Err(too_many)),
            // positive
            ("0", Err(MoneyError::NotPositive)),
            ("0.0", Err(MoneyError::NotPositive)),
            ("0.00", Err(MoneyError::NotPositive)),
            // maximum
            ("10000.01", Err(above_usd_max())),
            ("99999999999999999999999999999999999999", Err(above_usd_max())),
            ("92233720368547758.08", Err(above_usd_max())),
        ];
        for (raw, expected) in cases {
            check_parse(raw, "USD", expected);
        }
    }

    #[test]
    fn currency_is_checked_before_the_amount() {
        check_parse("abc", "usd", Err(MoneyError::UnknownCurrency));
        check_parse("1.00", "EURO", Err(MoneyError::UnknownCurrency));
        check_parse("1", "JPY", Err(MoneyError::CurrencyNotEnabled(Currency::Jpy)));
    }

    #[test]
    fn decimals_follow_the_currency_exponent() {
        let cases: [(&str, Currency, Result<i64, MoneyError>); 8] = [
            ("500", Currency::Jpy, Ok(500)),
            ("500.0", Currency::Jpy, Err(MoneyError::TooManyDecimals { currency: Currency::Jpy })),
            ("1.234", Currency::Kwd, Ok(1234)),
            ("1.2", Currency::Kwd, Ok(1200)),
            ("1.2345", Currency::Kwd, Err(MoneyError::TooManyDecimals { currency: Currency::Kwd })),
            ("0.001", Currency::Kwd, Ok(1)),
            ("0.01", Currency::Eur, Ok(1)),
            (
                "3000.001",
                Currency::Kwd,
                Err(MoneyError::AboveMaximum { max: Money::from_minor(3_000_000, Currency::Kwd) }),
            ),
        ];
        for (raw, currency, expected) in cases {
            let max = currency.info().max_per_transaction_minor;
            let got = Amount::parse_in(raw, currency, max).map(Amount::to_minor);
            assert_eq!(got, expected, "{raw:?} {currency}");
        }
    }

    #[test]
    fn explicit_maximum_is_inclusive() {
        assert_eq!(Amount::parse_in("50.00", Currency::Usd, 5000).map(Amount::to_minor), Ok(5000));
        assert_eq!(
            Amount::parse_in("50.01", Currency::Usd, 5000),
            Err(MoneyError::AboveMaximum { max: Money::from_minor(5000, Currency::Usd) })
        );
    }

    #[test]
    fn written_with_full_scale() {
        let cases: [(i64, Currency, &str); 8] = [
            (500, Currency::Usd, "5.00"),
            (5, Currency::Usd, "0.05"),
            (0, Currency::Usd, "0.00"),
            (-1250, Currency::Usd, "-12.50"),
            (500, Currency::Jpy, "500"),
            (0, Currency::Jpy, "0"),
            (1, Currency::Kwd, "0.001"),
            (i64::MAX, Currency::Usd, "92233720368547758.07"),
        ];
        for (minor, currency, written) in cases {
            let money = Money::from_minor(minor, currency);
            assert_eq!(money.amount_string(), written, "{minor} {currency}");
            assert_eq!(money.to_minor(), minor, "{minor} {currency} round trip");
            assert_eq!(Money::parse_written(written, currency), Ok(money), "{written} read back");
        }
    }

    #[test]
    fn serializes_as_two_string_fields() {
        let money = Money::from_minor(500, Currency::Usd);
        let json = serde_json::to_string(&money).unwrap_or_default();
        assert_eq!(json, r#"{"amount":"5.00","currency":"USD"}"#);
        let back: Result<Money, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(money));

        let amount = Amount::parse("5", "USD").map(|a| serde_json::to_string(&a).unwrap_or_default());
        assert_eq!(amount.as_deref(), Ok(r#"{"amount":"5.00","currency":"USD"}"#));
    }

    #[test]
    fn json_numbers_and_bad_strings_are_not_money() {
        let rejected = [
            r#"{"amount":5,"currency":"USD"}"#,
            r#"{"amount":"5.001","currency":"USD"}"#,
            r#"{"amount":"5.00","currency":"usd"}"#,
            r#"{"amount":"5.00"}"#,
            r#"{"amount":"5.00","currency":"USD","extra":1}"#,
        ];
        for json in rejected {
            assert!(serde_json::from_str::<Money>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let usd = |minor| Money::from_minor(minor, Currency::Usd);
        assert_eq!(usd(150).checked_add(usd(250)), Ok(usd(400)));
        assert_eq!(usd(150).checked_sub(usd(250)), Ok(usd(-100)));
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MIN).checked_sub(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(usd(7).checked_neg(), Ok(usd(-7)));
        assert_eq!(
            usd(1).checked_add(Money::from_minor(1, Currency::Eur)),
            Err(MoneyError::CurrencyMismatch { left: Currency::Usd, right: Currency::Eur })
        );
    }

    #[test]
    fn from_decimal_keeps_exact_scale() {
        let cases: [(&str, Currency, Result<i64, MoneyError>); 5] = [
            ("12.5", Currency::Usd, Ok(1250)),
            ("12.50", Currency::Usd, Ok(1250)),
            ("12.505", Currency::Usd, Err(MoneyError::TooManyDecimals { currency: Currency::Usd })),
            ("7", Currency::Jpy, Ok(7)),
            ("79228162514264337593543950335", Currency::Usd, Err(MoneyError::Overflow)),
        ];
        for (raw, currency, expected) in cases {
            let decimal: Decimal = raw.parse().unwrap_or_default();
            let got = Money::from_decimal(decimal, currency).map(Money::to_minor);
            assert_eq!(got, expected, "{raw} {currency}");
        }
    }

    #[test]
    fn errors_map_to_api_codes() {
        assert_eq!(MoneyError::UnknownCurrency.code(), ErrorCode::InvalidCurrency);
        assert_eq!(MoneyError::CurrencyNotEnabled(Currency::Jpy).code(), ErrorCode::InvalidCurrency);
        assert_eq!(MoneyError::Malformed.code(), ErrorCode::InvalidAmount);
        assert_eq!(MoneyError::NotPositive.code(), ErrorCode::InvalidAmount);
        assert_eq!(above_usd_max().code(), ErrorCode::InvalidAmount);
    }
}
