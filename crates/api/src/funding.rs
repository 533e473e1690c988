//! Money in and out on the wire, and the arithmetic the browser's preview and the server's
//! charge share: the instant-withdrawal fee, when a withdrawal arrives, and the checks a card
//! number (Luhn, brand) and a US routing number (ABA checksum) must pass.
//!
//! A card number appears here only in [`CardDetails`], which the card form posts to the card
//! network's sandbox, never to the wallet API; its `Debug` shows nothing of the number or CVC.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Amount;
use crate::payments::AmountText;

/// Instant withdrawals cost this many basis points of the amount (1.75 %)…
pub const INSTANT_FEE_BPS: i64 = 175;
/// …at least this many minor units (0.25)…
pub const INSTANT_FEE_MIN_MINOR: i64 = 25;
/// …and at most this many (25.00).
pub const INSTANT_FEE_MAX_MINOR: i64 = 2_500;
/// Default daily cap on deposits, in minor units (2,500.00).
pub const DEPOSIT_DAILY_CAP_MINOR: i64 = 250_000;
/// Default daily cap on withdrawals, in minor units (5,000.00).
pub const WITHDRAWAL_DAILY_CAP_MINOR: i64 = 500_000;
/// Bank account numbers: this many digits at least and at most.
pub const ACCOUNT_NUMBER_DIGITS: std::ops::RangeInclusive<usize> = 4..=17;
/// Account holder names: at most this many characters.
pub const HOLDER_NAME_MAX_CHARS: usize = 100;

/// How fast a withdrawal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    /// To a bank account, free, settled by the bank rail later.
    Standard,
    /// To a debit card, at once, for a fee.
    Instant,
}

impl Speed {
    pub fn parse(text: &str) -> Option<Speed> {
        match text {
            "standard" => Some(Speed::Standard),
            "instant" => Some(Speed::Instant),
            _ => None,
        }
    }
}

/// The fee of withdrawing `amount_minor` at `speed`, in minor units: nothing for standard;
/// for instant 1.75 % rounded to the cent, half up, then held between 0.25 and 25.00.
pub fn withdrawal_fee_minor(amount_minor: i64, speed: Speed) -> i64 {
    match speed {
        Speed::Standard => 0,
        Speed::Instant => {
            let amount = i128::from(amount_minor.max(0));
            // Half up: add half of the divisor before dividing (amounts are positive).
            let fee = (amount * i128::from(INSTANT_FEE_BPS) + 5_000) / 10_000;
            i64::try_from(fee).unwrap_or(i64::MAX).clamp(INSTANT_FEE_MIN_MINOR, INSTANT_FEE_MAX_MINOR)
        }
    }
}

/// When a withdrawal made at `now_ns` arrives: at once for instant, after the bank rail's
/// settlement delay for standard.
pub fn arrives_by_ns(now_ns: i64, speed: Speed, settle_seconds: i64) -> i64 {
    match speed {
        Speed::Instant => now_ns,
        Speed::Standard => now_ns.saturating_add(settle_seconds.saturating_mul(1_000_000_000)),
    }
}

/// A withdrawal's figures, in minor units: what arrives, the fee, and what leaves the wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteMinor {
    pub amount: i64,
    pub fee: i64,
    pub total: i64,
}

/// The figures of withdrawing `amount` at `speed`.
pub fn quote_minor(amount: Amount, speed: Speed) -> QuoteMinor {
    let amount = amount.to_minor();
    let fee = withdrawal_fee_minor(amount, speed);
    QuoteMinor { amount, fee, total: amount.saturating_add(fee) }
}

/// The UTC day (days since the epoch) of `now_ns`: daily caps count per such day.
pub fn utc_day(now_ns: i64) -> i64 {
    now_ns.div_euclid(86_400 * 1_000_000_000)
}

/// A card brand, told from the number's first digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
}

impl CardBrand {
    /// How people write it.
    pub fn label(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Amex => "American Express",
            CardBrand::Discover => "Discover",
        }
    }

    /// The number of CVC digits the brand prints.
    pub fn cvc_digits(self) -> usize {
        if self == CardBrand::Amex { 4 } else { 3 }
    }
}

/// The brand of a card number (digits only), if Purse takes it.
pub fn card_brand(digits: &str) -> Option<CardBrand> {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => Some(CardBrand::Visa),
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => Some(CardBrand::Mastercard),
        (_, Some(34 | 37), _) => Some(CardBrand::Amex),
        (_, Some(65), _) | (_, _, Some(6011)) => Some(CardBrand::Discover),
        _ => None,
    }
}

/// A card number as typed, without the spaces and dashes people put in it; `None` if
/// anything else is not a digit.
pub fn card_digits(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| *c != ' ' && *c != '-').collect();
    digits.chars().all(|c| c.is_ascii_digit()).then_some(digits)
}

/// Whether `digits` is a card number: 12–19 digits passing the Luhn check, of a known brand.
pub fn is_valid_card_number(digits: &str) -> bool {
    (12..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn(digits)
        && card_brand(digits).is_some()
}

/// The Luhn (mod 10) check.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Whether a card expiring at the end of `month`/`year` is still good in `now_month`/`now_year`.
pub fn card_unexpired(month: u32, year: u32, now_month: u32, now_year: u32) -> bool {
    (year, month) >= (now_year, now_month)
}

/// Whether `routing` is a US routing number: nine digits passing the ABA checksum
/// (3·d1 + 7·d2 + d3 + 3·d4 + 7·d5 + d6 + 3·d7 + 7·d8 + d9 ≡ 0 mod 10).
pub fn is_valid_routing_number(routing: &str) -> bool {
    if routing.len() != 9 || !routing.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 =
        routing.bytes().zip([3, 7, 1].iter().cycle()).map(|(b, weight)| u32::from(b - b'0') * weight).sum();
    sum.is_multiple_of(10) && routing != "000000000"
}

/// Whether `number` is a bank account number Purse takes: 4–17 digits.
pub fn is_valid_account_number(number: &str) -> bool {
    ACCOUNT_NUMBER_DIGITS.contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

/// The last four characters of `text` (all of it when shorter).
pub fn last4(text: &str) -> String {
    let start = text.len().saturating_sub(4);
    text.get(start..).unwrap_or_default().to_string()
}

/// `POST /sandbox/card-network/tokens`: what the card form sends to the card network.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardDetails {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the number or the CVC, not even in a panic message.
        f.debug_struct("CardDetails")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .finish_non_exhaustive()
    }
}

/// The card network's answer: an opaque token standing for the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardToken {
    pub token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// `POST /cards`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCard {
    pub token: String,
}

/// A linked debit card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardResponse {
    pub card: Card,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardList {
    pub items: Vec<Card>,
}

/// `POST /bank-accounts`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBankAccount {
    pub routing_number: String,
    pub account_number: String,
    pub holder_name: String,
}

impl fmt::Debug for NewBankAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewBankAccount").field("routing_number", &self.routing_number).finish_non_exhaustive()
    }
}

/// A linked bank account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    pub id: String,
    pub bank_name: String,
    pub last4: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountResponse {
    pub bank_account: BankAccount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountList {
    pub items: Vec<BankAccount>,
}

/// `POST /deposits` (idempotent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeposit {
    pub card_id: String,
    pub amount: AmountText,
    pub currency: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    Completed,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    pub id: String,
    pub status: DepositStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<crate::ErrorCode>,
    pub amount: String,
    pub currency: crate::Currency,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositResponse {
    pub deposit: Deposit,
}

/// `GET /quotes/withdrawal`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalQuote {
    pub amount: String,
    pub fee: String,
    pub total: String,
    pub arrives_by: String,
}

/// `POST /withdrawals` (idempotent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWithdrawal {
    pub destination_id: String,
    pub amount: AmountText,
    pub currency: String,
    pub speed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    Pending,
    Completed,
    Failed,
    Returned,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub id: String,
    pub status: WithdrawalStatus,
    pub amount: String,
    pub fee: String,
    pub arrives_by: String,
    /// Held for review: the generic review (see `ops::Review`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::ops::Review>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalResponse {
    pub withdrawal: Withdrawal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn minor(text: &str) -> i64 {
        Amount::parse(text, "USD").map(Amount::to_minor).unwrap_or(-1)
    }

    #[test]
    fn the_instant_fee_at_its_edges() {
        let fee = |amount: &str| withdrawal_fee_minor(minor(amount), Speed::Instant);
        // The minimum holds up to 14.28 (1.75 % of 14.28 is 0.2499).
        assert_eq!(fee("0.01"), 25);
        assert_eq!(fee("14.28"), 25);
        // 14.29 → 0.250075 → 0.25; 14.58 → 0.25515 → 0.26.
        assert_eq!(fee("14.29"), 25);
        assert_eq!(fee("14.58"), 26);
        // Half a cent rounds up: 1.75 % of 10.00 is 0.175 → 0.18; of 30.00 is 0.525 → 0.53.
        assert_eq!(fee("10.00"), 25);
        assert_eq!(fee("30.00"), 53);
        assert_eq!(fee("20.00"), 35);
        // Just under half a cent rounds down (30.57: 0.534975 → 0.53), just over up (30.86:
        // 0.54005 → 0.54).
        assert_eq!(fee("30.57"), 53);
        assert_eq!(fee("30.86"), 54);
        // The maximum: 1,428.00 pays 24.99; from 1,428.29 (24.995075) the fee is 25.00.
        assert_eq!(fee("1428.00"), 2_499);
        assert_eq!(fee("1428.28"), 2_499);
        assert_eq!(fee("1428.29"), 2_500);
        assert_eq!(fee("10000.00"), 2_500);
        assert_eq!(withdrawal_fee_minor(minor("10000.00"), Speed::Standard), 0);
    }

    #[test]
    fn quotes_add_the_fee_to_what_leaves() {
        let amount = Amount::parse("20.00", "USD").ok();
        let quote = amount.map(|a| quote_minor(a, Speed::Instant));
        assert_eq!(quote, Some(QuoteMinor { amount: 2_000, fee: 35, total: 2_035 }));
        let standard = amount.map(|a| quote_minor(a, Speed::Standard));
        assert_eq!(standard, Some(QuoteMinor { amount: 2_000, fee: 0, total: 2_000 }));
        assert_eq!(Amount::parse("20.00", "USD").map(|a| a.currency()), Ok(Currency::Usd));
    }

    #[test]
    fn arrival_is_now_or_after_the_settlement_delay() {
        assert_eq!(arrives_by_ns(1_000, Speed::Instant, 60), 1_000);
        assert_eq!(arrives_by_ns(1_000, Speed::Standard, 60), 60_000_001_000);
        assert_eq!(arrives_by_ns(i64::MAX - 5, Speed::Standard, 60), i64::MAX);
    }

    #[test]
    fn sandbox_cards_pass_luhn_and_have_brands() {
        for (number, brand) in [
            ("4242424242424242", CardBrand::Visa),
            ("4000000000000002", CardBrand::Visa),
            ("4000000000009995", CardBrand::Visa),
            ("5555555555554444", CardBrand::Mastercard),
            ("2223003122003222", CardBrand::Mastercard),
            ("378282246310005", CardBrand::Amex),
            ("6011111111111117", CardBrand::Discover),
        ] {
            assert!(is_valid_card_number(number), "{number}");
            assert_eq!(card_brand(number), Some(brand), "{number}");
        }
        assert!(!is_valid_card_number("4242424242424241"), "Luhn");
        assert!(!is_valid_card_number("42424242"), "too short");
        assert!(!is_valid_card_number("9999999999999995"), "no brand");
        assert!(!is_valid_card_number(""));
        assert!(!luhn(""));
        assert!(!luhn("42a2"));
        assert_eq!(card_digits("4242 4242-4242 4242").as_deref(), Some("4242424242424242"));
        assert_eq!(card_digits("4242x4242"), None);
        assert_eq!(CardBrand::Amex.cvc_digits(), 4);
    }

    #[test]
    fn routing_numbers_pass_the_aba_checksum() {
        for good in ["110000000", "021000021", "011401533", "091000019"] {
            assert!(is_valid_routing_number(good), "{good}");
        }
        for bad in ["110000001", "12345678", "1100000000", "11000000a", "000000000", ""] {
            assert!(!is_valid_routing_number(bad), "{bad}");
        }
        assert!(is_valid_account_number("000123456789"));
        assert!(!is_valid_account_number("123"));
        assert!(!is_valid_account_number("12345678901234567890"));
        assert!(!is_valid_account_number("1234-5678"));
        assert_eq!(last4("000123456789"), "6789");
        assert_eq!(last4("12"), "12");
    }

    #[test]
    fn expiry_counts_the_whole_month() {
        assert!(card_unexpired(1, 2027, 1, 2027));
        assert!(card_unexpired(12, 2026, 11, 2026));
        assert!(!card_unexpired(12, 2026, 1, 2027));
        assert!(!card_unexpired(10, 2026, 11, 2026));
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(86_400 * 1_000_000_000 - 1), 0);
        assert_eq!(utc_day(86_400 * 1_000_000_000), 1);
        assert_eq!(utc_day(-1), -1);
    }

    #[test]
    fn card_details_never_print_the_number() {
        let details = CardDetails {
            number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
        };
        let printed = format!("{details:?}");
        assert!(!printed.contains("4242") && !printed.contains("123"), "{printed}");
        let bank = NewBankAccount {
            routing_number: "110000000".into(),
            account_number: "000123456789".into(),
            holder_name: "Alice".into(),
        };
        assert!(!format!("{bank:?}").contains("6789"));
    }
}
