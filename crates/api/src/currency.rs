//! Currencies: ISO 4217 codes with their minor-unit exponent.
//!
//! The table below is the single source of truth. A currency in the table is *known*: it can be
//! stored, serialized and read back. Only *enabled* currencies are accepted from clients; today
//! that is USD alone, and turning on another is one flag in the table once the rails support it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::MoneyError;

/// A currency Purse knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Jpy,
    Kwd,
}

/// One row of the currency table.
#[derive(Debug)]
pub struct CurrencyInfo {
    /// ISO 4217 alphabetic code, upper case.
    pub code: &'static str,
    /// ISO 4217 numeric code.
    pub numeric: u16,
    /// Digits after the decimal point in the minor unit (USD 2, JPY 0, KWD 3).
    pub exponent: u32,
    /// Symbol used when formatting for people.
    pub symbol: &'static str,
    /// Default per-transaction maximum, in minor units.
    pub max_per_transaction_minor: i64,
    /// Whether clients may use it today.
    pub enabled: bool,
}

const USD: CurrencyInfo = CurrencyInfo {
    code: "USD",
    numeric: 840,
    exponent: 2,
    symbol: "$",
    max_per_transaction_minor: 1_000_000,
    enabled: true,
};
const EUR: CurrencyInfo = CurrencyInfo {
    code: "EUR",
    numeric: 978,
    exponent: 2,
    symbol: "€",
    max_per_transaction_minor: 1_000_000,
    enabled: false,
};
const GBP: CurrencyInfo = CurrencyInfo {
    code: "GBP",
    numeric: 826,
    exponent: 2,
    symbol: "£",
    max_per_transaction_minor: 1_000_000,
    enabled: false,
};
const JPY: CurrencyInfo = CurrencyInfo {
    code: "JPY",
    numeric: 392,
    exponent: 0,
    symbol: "¥",
    max_per_transaction_minor: 1_500_000,
    enabled: false,
};
const KWD: CurrencyInfo = CurrencyInfo {
    code: "KWD",
    numeric: 414,
    exponent: 3,
    symbol: "KD",
    max_per_transaction_minor: 3_000_000,
    enabled: false,
};

impl Currency {
    /// Every known currency, in table order.
    pub const ALL: [Currency; 5] =
        [Currency::Usd, Currency::Eur, Currency::Gbp, Currency::Jpy, Currency::Kwd];

    pub const fn info(self) -> &'static CurrencyInfo {
        match self {
            Currency::Usd => &USD,
            Currency::Eur => &EUR,
            Currency::Gbp => &GBP,
            Currency::Jpy => &JPY,
            Currency::Kwd => &KWD,
        }
    }

    pub const fn code(self) -> &'static str {
        self.info().code
    }

    pub const fn exponent(self) -> u32 {
        self.info().exponent
    }

    pub const fn is_enabled(self) -> bool {
        self.info().enabled
    }

    /// A known currency by its exact upper-case code.
    pub fn from_code(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|currency| currency.code() == code)
    }

    /// A currency a client may use: known and enabled. This is the wire rule of API.md.
    pub fn parse_enabled(code: &str) -> Result<Currency, MoneyError> {
        match Currency::from_code(code) {
            Some(currency) if currency.is_enabled() => Ok(currency),
            Some(currency) => Err(MoneyError::CurrencyNotEnabled(currency)),
            None => Err(MoneyError::UnknownCurrency),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    /// Any known currency (enabled or not); use [`Currency::parse_enabled`] for client input.
    fn from_str(code: &str) -> Result<Currency, MoneyError> {
        Currency::from_code(code).ok_or(MoneyError::UnknownCurrency)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown currency {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for currency in Currency::ALL {
            let info = currency.info();
            assert_eq!(info.code.len(), 3, "{currency:?}");
            assert!(info.code.bytes().all(|b| b.is_ascii_uppercase()), "{currency:?}");
            assert!(info.exponent <= 4, "{currency:?}");
            assert!(info.max_per_transaction_minor > 0, "{currency:?}");
            assert_eq!(Currency::from_code(info.code), Some(currency));
        }
        let mut numerics: Vec<u16> = Currency::ALL.iter().map(|c| c.info().numeric).collect();
        numerics.sort_unstable();
        numerics.dedup();
        assert_eq!(numerics.len(), Currency::ALL.len(), "numeric codes must be unique");
    }

    #[test]
    fn exponents_follow_iso_4217() {
        let cases = [(Currency::Usd, 2), (Currency::Eur, 2), (Currency::Jpy, 0), (Currency::Kwd, 3)];
        for (currency, exponent) in cases {
            assert_eq!(currency.exponent(), exponent, "{currency}");
        }
    }

    #[test]
    fn client_currency_rule() {
        let cases: [(&str, Result<Currency, MoneyError>); 7] = [
            ("USD", Ok(Currency::Usd)),
            ("usd", Err(MoneyError::UnknownCurrency)),
            ("US", Err(MoneyError::UnknownCurrency)),
            ("", Err(MoneyError::UnknownCurrency)),
            ("XXX", Err(MoneyError::UnknownCurrency)),
            ("JPY", Err(MoneyError::CurrencyNotEnabled(Currency::Jpy))),
            ("KWD", Err(MoneyError::CurrencyNotEnabled(Currency::Kwd))),
        ];
        for (code, expected) in cases {
            assert_eq!(Currency::parse_enabled(code), expected, "{code:?}");
        }
    }

    #[test]
    fn serializes_as_its_code() {
        assert_eq!(serde_json::to_string(&Currency::Kwd).ok().as_deref(), Some("\"KWD\""));
        let back: Result<Currency, _> = serde_json::from_str("\"JPY\"");
        assert_eq!(back.ok(), Some(Currency::Jpy));
        let unknown: Result<Currency, _> = serde_json::from_str("\"ABC\"");
        assert!(unknown.is_err());
    }
}
