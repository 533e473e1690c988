//! Verification tiers, limits and where Purse operates, on the wire, with the arithmetic the
//! server decides with and the browser previews with (one code, so "you can send $212.40 more
//! until Thursday" is what the server will allow).
//!
//! A person's tier is 0 at sign-up, 1 after their name, date of birth, address and the last four
//! digits of their SSN, 2 after an identity document. Each tier has a limit per [`LimitKind`]
//! over its [`Window`] ([`LimitTable`], API.md's defaults, each a server flag): sends, receipts
//! and withdrawals over the last 7 or 30 days up to now (rolling), deposits per UTC day.
//!
//! What is stored of a person's identity is decided here too: the SSN and a document number
//! arrive in full only as far as [`VerificationRequest`]; everything kept is their last four.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::money::Money;

/// The tiers there are.
pub const TIERS: std::ops::RangeInclusive<u8> = 0..=2;
/// The highest tier.
pub const TOP_TIER: u8 = 2;

const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// What a limit limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// Everything that leaves a wallet for another person: sends, paid requests, tips, checkout.
    Send,
    /// What arrives from another person.
    Receive,
    Withdraw,
    Deposit,
}

impl LimitKind {
    pub const ALL: [LimitKind; 4] =
        [LimitKind::Send, LimitKind::Receive, LimitKind::Withdraw, LimitKind::Deposit];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Send => "send",
            LimitKind::Receive => "receive",
            LimitKind::Withdraw => "withdraw",
            LimitKind::Deposit => "deposit",
        }
    }

    pub fn parse(text: &str) -> Option<LimitKind> {
        LimitKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The window each kind is counted over.
    pub fn window(self) -> Window {
        match self {
            LimitKind::Send | LimitKind::Withdraw => Window::SevenDays,
            LimitKind::Receive => Window::ThirtyDays,
            LimitKind::Deposit => Window::Day,
        }
    }
}

/// The time a limit is counted over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Window {
    /// The UTC day.
    #[serde(rename = "day")]
    Day,
    /// The last 7 days up to now.
    #[serde(rename = "7d")]
    SevenDays,
    /// The last 30 days up to now.
    #[serde(rename = "30d")]
    ThirtyDays,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Day => "day",
            Window::SevenDays => "7d",
            Window::ThirtyDays => "30d",
        }
    }

    /// How far back from `now_ns` what is counted goes: amounts at or before this instant no
    /// longer count (for the UTC day, the day's start, exclusive of the instant before it).
    pub fn since_ns(self, now_ns: i64) -> i64 {
        match self {
            Window::Day => now_ns.div_euclid(DAY_NS) * DAY_NS - 1,
            Window::SevenDays => now_ns - 7 * DAY_NS,
            Window::ThirtyDays => now_ns - 30 * DAY_NS,
        }
    }

    /// How long the window is, in nanoseconds (a rolling one; the UTC day is a day).
    pub fn length_ns(self) -> i64 {
        match self {
            Window::Day => DAY_NS,
            Window::SevenDays => 7 * DAY_NS,
            Window::ThirtyDays => 30 * DAY_NS,
        }
    }
}

/// One tier's limits in minor units of USD; `None` is no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierLimits {
    pub send: Option<i64>,
    pub receive: Option<i64>,
    pub withdraw: Option<i64>,
    pub deposit: Option<i64>,
}

impl TierLimits {
    pub fn of(&self, kind: LimitKind) -> Option<i64> {
        match kind {
            LimitKind::Send => self.send,
            LimitKind::Receive => self.receive,
            LimitKind::Withdraw => self.withdraw,
            LimitKind::Deposit => self.deposit,
        }
    }

    pub fn set(&mut self, kind: LimitKind, limit: Option<i64>) {
        match kind {
            LimitKind::Send => self.send = limit,
            LimitKind::Receive => self.receive = limit,
            LimitKind::Withdraw => self.withdraw = limit,
            LimitKind::Deposit => self.deposit = limit,
        }
    }
}

/// Every tier's limits (API.md's table by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitTable {
    pub tiers: [TierLimits; 3],
}

impl Default for LimitTable {
    fn default() -> LimitTable {
        LimitTable {
            tiers: [
                TierLimits {
                    send: Some(25_000),
                    receive: Some(100_000),
                    withdraw: Some(25_000),
                    deposit: Some(50_000),
                },
                TierLimits {
                    send: Some(750_000),
                    receive: None,
                    withdraw: Some(750_000),
                    deposit: Some(250_000),
                },
                TierLimits {
                    send: Some(2_000_000),
                    receive: None,
                    withdraw: Some(2_000_000),
                    deposit: Some(1_000_000),
                },
            ],
        }
    }
}

impl LimitTable {
    /// The limit of `kind` at `tier` (a tier past the top is the top), `None` for no limit.
    pub fn limit(&self, tier: u8, kind: LimitKind) -> Option<i64> {
        self.tiers[usize::from(tier.min(TOP_TIER))].of(kind)
    }

    /// The tier above `tier`, if there is one.
    pub fn next_tier(tier: u8) -> Option<u8> {
        (tier < TOP_TIER).then_some(tier + 1)
    }
}

/// What a person has used of one limit: the sum counted in its window, and when the oldest
/// amount still counted was moved (for a rolling window, when room next comes back).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub used_minor: i64,
    pub oldest_ns: Option<i64>,
}

/// One limit as a person's meter shows it, in minor units and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meter {
    pub kind: LimitKind,
    pub window: Window,
    pub limit_minor: i64,
    pub used_minor: i64,
    pub remaining_minor: i64,
    /// When room comes back: the UTC day's end; for a rolling window, when the oldest amount
    /// still counted leaves it (`None` when nothing is counted: the whole limit is there).
    pub resets_at_ns: Option<i64>,
}

impl Meter {
    /// The meter of a limit of `limit_minor` with `usage`, at `now_ns`.
    pub fn new(kind: LimitKind, limit_minor: i64, usage: Usage, now_ns: i64) -> Meter {
        let window = kind.window();
        let resets_at_ns = match window {
            Window::Day => Some(window.since_ns(now_ns) + 1 + DAY_NS),
            Window::SevenDays | Window::ThirtyDays => {
                usage.oldest_ns.map(|oldest| oldest + window.length_ns())
            }
        };
        Meter {
            kind,
            window,
            limit_minor,
            used_minor: usage.used_minor,
            remaining_minor: (limit_minor - usage.used_minor).max(0),
            resets_at_ns,
        }
    }

    /// Whether `amount_minor` more fits.
    pub fn allows(&self, amount_minor: i64) -> bool {
        amount_minor <= self.remaining_minor
    }

    /// The meter on the wire.
    pub fn item(&self, rfc3339: impl Fn(i64) -> String) -> LimitItem {
        let usd = |minor: i64| Money::from_minor(minor, Currency::Usd).amount_string();
        LimitItem {
            kind: self.kind,
            window: self.window,
            limit: usd(self.limit_minor),
            used: usd(self.used_minor),
            remaining: usd(self.remaining_minor),
            currency: Currency::Usd,
            resets_at: self.resets_at_ns.map(rfc3339),
        }
    }
}

/// The meters of `tier` (one per kind that has a limit there), from each kind's usage.
pub fn meters(table: &LimitTable, tier: u8, usage: impl Fn(LimitKind) -> Usage, now_ns: i64) -> Vec<Meter> {
    LimitKind::ALL
        .into_iter()
        .filter_map(|kind| table.limit(tier, kind).map(|limit| Meter::new(kind, limit, usage(kind), now_ns)))
        .collect()
}

/// A limit on the wire: `{kind, window, limit, used, remaining, currency, resets_at}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitItem {
    pub kind: LimitKind,
    pub window: Window,
    pub limit: String,
    pub used: String,
    pub remaining: String,
    pub currency: Currency,
    pub resets_at: Option<String>,
}

/// `limit_exceeded`'s `details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDetails {
    pub limit: String,
    pub used: String,
    pub remaining: String,
    pub window: Window,
    pub resets_at: Option<String>,
    pub tier: u8,
    pub next_tier: Option<u8>,
}

impl LimitDetails {
    pub fn of(meter: &Meter, tier: u8, rfc3339: impl Fn(i64) -> String) -> LimitDetails {
        let item = meter.item(rfc3339);
        LimitDetails {
            limit: item.limit,
            used: item.used,
            remaining: item.remaining,
            window: item.window,
            resets_at: item.resets_at,
            tier,
            next_tier: LimitTable::next_tier(tier),
        }
    }
}

/// Where a person stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Something is being looked at (a verification, a screening): money may be held.
    UnderReview,
    /// Lives where Purse is not licensed: can see and withdraw their money, nothing else.
    Restricted,
    /// Nothing moves, withdrawals included.
    Frozen,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::UnderReview => "under_review",
            AccountStatus::Restricted => "restricted",
            AccountStatus::Frozen => "frozen",
        }
    }

    pub fn parse(text: &str) -> Option<AccountStatus> {
        [AccountStatus::Active, AccountStatus::UnderReview, AccountStatus::Restricted, AccountStatus::Frozen]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// How a verification went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    None,
    Verified,
    Rejected,
    UnderReview,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::None => "none",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Rejected => "rejected",
            VerificationStatus::UnderReview => "under_review",
        }
    }

    pub fn parse(text: &str) -> Option<VerificationStatus> {
        [
            VerificationStatus::None,
            VerificationStatus::Verified,
            VerificationStatus::Rejected,
            VerificationStatus::UnderReview,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// `{status, reason_code?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationState {
    pub status: VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

/// `{state, available}`: the verified address's state (null until verified) and whether Purse
/// is licensed there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub state: Option<String>,
    pub available: bool,
}

/// What the next tier would give: its limits with what is used now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTier {
    pub tier: u8,
    pub unlocks: Vec<LimitItem>,
}

/// A movement held for review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub activity_id: String,
    pub reason_code: String,
    pub message: String,
    pub since: String,
}

/// `GET /me/compliance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    pub tier: u8,
    pub status: AccountStatus,
    pub region: Region,
    pub verification: VerificationState,
    pub limits: Vec<LimitItem>,
    pub next_tier: Option<NextTier>,
    pub holds: Vec<Hold>,
}

/// A verified address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub line1: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

/// An identity document's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    Passport,
    DriverLicense,
}

impl DocumentType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Passport => "passport",
            DocumentType::DriverLicense => "driver_license",
        }
    }
}

/// `POST /me/verification`'s body, as it arrives: every field of both levels optional, so a
/// missing one is named by [`VerificationRequest::check`], not by the JSON reader. Its `Debug`
/// shows no more of the SSN or document number than their last four.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    pub level: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn_last4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<DocumentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
}

impl fmt::Debug for VerificationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationRequest")
            .field("level", &self.level)
            .field("document_type", &self.document_type)
            .field("document_number", &self.document_number.as_deref().map(last_four))
            .finish_non_exhaustive()
    }
}

/// `POST /me/verification`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationResponse {
    pub verification: VerificationState,
    pub tier: u8,
}

/// What a verification body says once checked.
#[derive(Clone, PartialEq, Eq)]
pub enum Verification {
    /// Tier 1: who and where.
    Identity { legal_name: String, date_of_birth: Date, address: Address, ssn_last4: String },
    /// Tier 2: a document; only its last four are ever kept.
    Document { document_type: DocumentType, document_last4: String, document_number: String },
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::Identity { address, .. } => {
                f.debug_struct("Identity").field("state", &address.state).finish_non_exhaustive()
            }
            Verification::Document { document_type, document_last4, .. } => f
                .debug_struct("Document")
                .field("document_type", document_type)
                .field("document_last4", document_last4)
                .finish_non_exhaustive(),
        }
    }
}

/// A calendar date (`YYYY-MM-DD`) that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD`, a day that exists (no 2023-02-29, no 2024-13-01).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape {
            return None;
        }
        let year: i32 = text[..4].parse().ok()?;
        let month: u32 = text[5..7].parse().ok()?;
        let day: u32 = text[8..].parse().ok()?;
        (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Whether a person born on this date is at least `years` old on `today`.
    pub fn at_least_years_before(self, years: i32, today: Date) -> bool {
        (today.year - self.year, today.month, today.day) >= (years, self.month, self.day)
    }

    /// The UTC date of `ns` nanoseconds since the Unix epoch.
    pub fn of_unix_ns(ns: i64) -> Date {
        // Howard Hinnant's days-to-civil.
        let days = ns.div_euclid(DAY_NS) + 719_468;
        let era = days.div_euclid(146_097);
        let doe = days - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The US states and DC by their postal codes.
pub const US_STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
];

/// A set of [`US_STATES`] (where Purse is licensed): one bit per state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateSet(u64);

impl StateSet {
    /// Every state and DC.
    pub fn all() -> StateSet {
        StateSet((1u64 << US_STATES.len()) - 1)
    }

    /// A comma-separated list of postal codes (`AL,AK,CA`; any case, spaces allowed), or the
    /// first entry that is not a state.
    pub fn parse_list(list: &str) -> Result<StateSet, String> {
        let mut set = 0u64;
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let at = US_STATES
                .iter()
                .position(|s| s.eq_ignore_ascii_case(entry))
                .ok_or_else(|| entry.to_string())?;
            set |= 1 << at;
        }
        Ok(StateSet(set))
    }

    pub fn without(self, state: &str) -> StateSet {
        match US_STATES.iter().position(|s| *s == state) {
            Some(at) => StateSet(self.0 & !(1 << at)),
            None => self,
        }
    }

    pub fn contains(self, state: &str) -> bool {
        US_STATES.iter().position(|s| s.eq_ignore_ascii_case(state)).is_some_and(|at| self.0 & (1 << at) != 0)
    }
}

impl Default for StateSet {
    /// Where Purse is licensed by default: every state and DC but New York.
    fn default() -> StateSet {
        StateSet::all().without("NY")
    }
}

/// A state's postal code as typed (`ca`, ` CA `), if it is one.
pub fn parse_state(text: &str) -> Option<&'static str> {
    let upper = text.trim().to_ascii_uppercase();
    US_STATES.iter().copied().find(|s| *s == upper)
}

/// The last four characters of `text` (all of it when shorter).
pub fn last_four(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Longest legal name, address line and city, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// A field at fault in a verification body, with what is wrong, for `400 invalid_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// `legal_name`, `address.state`, `ssn_last4`…
    pub field: &'static str,
    pub problem: Problem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// Empty, too long, or carrying control characters.
    BadText,
    /// Not a date that exists, or in the future.
    BadDate,
    NotAState,
    /// Not five digits (or five, a dash and four).
    BadPostalCode,
    /// Not exactly four digits.
    BadSsnLast4,
    /// Not 4–20 letters and digits.
    BadDocumentNumber,
    /// A level other than 1 or 2.
    BadLevel,
    /// A field of the other level.
    NotForLevel,
}

fn text_field(field: &'static str, text: Option<&str>) -> Result<String, FieldProblem> {
    let text = text.ok_or(FieldProblem { field, problem: Problem::Missing })?;
    let cleaned = crate::text::clean_text(text, crate::text::Lines::One);
    let fine = !cleaned.is_empty() && cleaned.chars().count() <= NAME_MAX_CHARS;
    fine.then_some(cleaned).ok_or(FieldProblem { field, problem: Problem::BadText })
}

impl VerificationRequest {
    /// The body checked field by field, in the order the form shows them; `today` is the
    /// business clock's date (a date of birth after it does not exist yet).
    pub fn check(&self, today: Date) -> Result<Verification, FieldProblem> {
        let bad = |field: &'static str, problem: Problem| Err(FieldProblem { field, problem });
        match self.level {
            1 => {
                if self.document_type.is_some() {
                    return bad("document_type", Problem::NotForLevel);
                }
                if self.document_number.is_some() {
                    return bad("document_number", Problem::NotForLevel);
                }
                let legal_name = text_field("legal_name", self.legal_name.as_deref())?;
                let Some(born) = self.date_of_birth.as_deref() else {
                    return bad("date_of_birth", Problem::Missing);
                };
                let date_of_birth = match Date::parse(born.trim()) {
                    Some(date) if date <= today && date.year >= 1900 => date,
                    _ => return bad("date_of_birth", Problem::BadDate),
                };
                let Some(address) = &self.address else { return bad("address", Problem::Missing) };
                let line1 = text_field("address.line1", Some(&address.line1))?;
                let city = text_field("address.city", Some(&address.city))?;
                let Some(state) = parse_state(&address.state) else {
                    return bad("address.state", Problem::NotAState);
                };
                let postal_code = address.postal_code.trim().to_string();
                if !is_postal_code(&postal_code) {
                    return bad("address.postal_code", Problem::BadPostalCode);
                }
                let Some(ssn) = self.ssn_last4.as_deref() else { return bad("ssn_last4", Problem::Missing) };
                if ssn.len() != 4 || !ssn.bytes().all(|b| b.is_ascii_digit()) {
                    return bad("ssn_last4", Problem::BadSsnLast4);
                }
                Ok(Verification::Identity {
                    legal_name,
                    date_of_birth,
                    address: Address { line1, city, state: state.to_string(), postal_code },
                    ssn_last4: ssn.to_string(),
                })
            }
            2 => {
                for (field, present) in [
                    ("legal_name", self.legal_name.is_some()),
                    ("date_of_birth", self.date_of_birth.is_some()),
                    ("address", self.address.is_some()),
                    ("ssn_last4", self.ssn_last4.is_some()),
                ] {
                    if present {
                        return bad(field, Problem::NotForLevel);
                    }
                }
                let Some(document_type) = self.document_type else {
                    return bad("document_type", Problem::Missing);
                };
                let Some(number) = self.document_number.as_deref() else {
                    return bad("document_number", Problem::Missing);
                };
                let number = number.trim().to_ascii_uppercase();
                let fine =
                    (4..=20).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
                if !fine {
                    return bad("document_number", Problem::BadDocumentNumber);
                }
                Ok(Verification::Document {
                    document_type,
                    document_last4: last_four(&number),
                    document_number: number,
                })
            }
            _ => bad("level", Problem::BadLevel),
        }
    }
}

fn is_postal_code(text: &str) -> bool {
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    match text.split_once('-') {
        Some((zip, plus4)) => digits(zip, 5) && digits(plus4, 4),
        None => digits(text, 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_765_000_000 * 1_000_000_000; // 2025-12-06T05:46:40Z

    fn identity() -> VerificationRequest {
        VerificationRequest {
            level: 1,
            legal_name: Some("Omar Haddad".into()),
            date_of_birth: Some("1990-02-28".into()),
            address: Some(Address {
                line1: "1 Main St".into(),
                city: "Austin".into(),
                state: "tx".into(),
                postal_code: "78701".into(),
            }),
            ssn_last4: Some("1234".into()),
            ..VerificationRequest::default()
        }
    }

    #[test]
    fn the_default_table_is_api_md_s() {
        let table = LimitTable::default();
        assert_eq!(table.limit(0, LimitKind::Send), Some(25_000));
        assert_eq!(table.limit(0, LimitKind::Receive), Some(100_000));
        assert_eq!(table.limit(0, LimitKind::Deposit), Some(50_000));
        assert_eq!(table.limit(1, LimitKind::Receive), None);
        assert_eq!(table.limit(1, LimitKind::Withdraw), Some(750_000));
        assert_eq!(table.limit(2, LimitKind::Send), Some(2_000_000));
        assert_eq!(LimitTable::next_tier(0), Some(1));
        assert_eq!(LimitTable::next_tier(2), None);
    }

    #[test]
    fn a_rolling_meter_resets_when_its_oldest_amount_leaves() {
        let usage = Usage { used_minor: 3_760, oldest_ns: Some(NOW - DAY_NS) };
        let meter = Meter::new(LimitKind::Send, 25_000, usage, NOW);
        assert_eq!(meter.remaining_minor, 21_240);
        assert_eq!(meter.resets_at_ns, Some(NOW + 6 * DAY_NS));
        assert!(meter.allows(21_240));
        assert!(!meter.allows(21_241));
        let over =
            Meter::new(LimitKind::Send, 25_000, Usage { used_minor: 30_000, oldest_ns: Some(NOW) }, NOW);
        assert_eq!(over.remaining_minor, 0, "never negative");
        let fresh = Meter::new(LimitKind::Receive, 100_000, Usage::default(), NOW);
        assert_eq!((fresh.remaining_minor, fresh.resets_at_ns), (100_000, None));
    }

    #[test]
    fn the_day_window_is_the_utc_day() {
        let meter =
            Meter::new(LimitKind::Deposit, 50_000, Usage { used_minor: 1, oldest_ns: Some(NOW) }, NOW);
        let midnight = (NOW / DAY_NS + 1) * DAY_NS;
        assert_eq!(meter.resets_at_ns, Some(midnight));
        assert_eq!(Window::Day.since_ns(NOW), midnight - DAY_NS - 1);
        assert_eq!(Window::SevenDays.since_ns(NOW), NOW - 7 * DAY_NS);
    }

    #[test]
    fn meters_leave_out_what_has_no_limit_and_write_amounts_in_full() {
        let table = LimitTable::default();
        let items: Vec<LimitItem> = meters(&table, 1, |_| Usage::default(), NOW)
            .iter()
            .map(|m| m.item(|ns| ns.to_string()))
            .collect();
        let kinds: Vec<LimitKind> = items.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [LimitKind::Send, LimitKind::Withdraw, LimitKind::Deposit]);
        assert_eq!(items[0].limit, "7500.00");
        assert_eq!(serde_json::to_value(items[0].window).unwrap(), "7d");
        assert_eq!(serde_json::to_value(Window::ThirtyDays).unwrap(), "30d");
    }

    #[test]
    fn licensed_states_default_to_all_but_new_york() {
        let set = StateSet::default();
        assert!(set.contains("CA") && set.contains("dc") && !set.contains("NY") && !set.contains("ZZ"));
        let listed = StateSet::parse_list("ca, tx,NY").unwrap();
        assert!(listed.contains("NY") && listed.contains("TX") && !listed.contains("FL"));
        assert_eq!(StateSet::parse_list("CA,XX"), Err("XX".to_string()));
        assert_eq!(parse_state(" ny "), Some("NY"));
    }

    #[test]
    fn dates_must_exist() {
        assert_eq!(Date::parse("2024-02-29"), Some(Date { year: 2024, month: 2, day: 29 }));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-04-31",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "",
            "2024-00-10",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::of_unix_ns(NOW), Date { year: 2025, month: 12, day: 6 });
        assert_eq!(Date::of_unix_ns(0), Date { year: 1970, month: 1, day: 1 });
        let born = Date { year: 2007, month: 12, day: 6 };
        assert!(born.at_least_years_before(18, Date { year: 2025, month: 12, day: 6 }));
        assert!(!born.at_least_years_before(18, Date { year: 2025, month: 12, day: 5 }));
    }

    #[test]
    fn a_tier_1_body_is_checked_field_by_field() {
        let today = Date::of_unix_ns(NOW);
        let Ok(Verification::Identity { address, ssn_last4, .. }) = identity().check(today) else {
            panic!("a good body")
        };
        assert_eq!((address.state.as_str(), ssn_last4.as_str()), ("TX", "1234"));
        type Case = (fn(&mut VerificationRequest), &'static str, Problem);
        let cases: [Case; 7] = [
            (|b| b.date_of_birth = Some("1990-02-30".into()), "date_of_birth", Problem::BadDate),
            (|b| b.date_of_birth = Some("2999-01-01".into()), "date_of_birth", Problem::BadDate),
            (|b| b.address.as_mut().unwrap().state = "ZZ".into(), "address.state", Problem::NotAState),
            (|b| b.ssn_last4 = Some("123".into()), "ssn_last4", Problem::BadSsnLast4),
            (|b| b.ssn_last4 = Some("123456789".into()), "ssn_last4", Problem::BadSsnLast4),
            (|b| b.legal_name = Some("  ".into()), "legal_name", Problem::BadText),
            (|b| b.document_number = Some("X1234".into()), "document_number", Problem::NotForLevel),
        ];
        for (spoil, field, problem) in cases {
            let mut body = identity();
            spoil(&mut body);
            assert_eq!(body.check(today).err(), Some(FieldProblem { field, problem }), "{field}");
        }
    }

    #[test]
    fn a_document_keeps_its_last_four_and_debug_shows_no_more() {
        let body = VerificationRequest {
            level: 2,
            document_type: Some(DocumentType::Passport),
            document_number: Some("x12345678".into()),
            ..VerificationRequest::default()
        };
        let checked = body.check(Date::of_unix_ns(NOW)).unwrap();
        let Verification::Document { document_last4, .. } = &checked else { panic!("a document") };
        assert_eq!(document_last4, "5678");
        for shown in [format!("{body:?}"), format!("{checked:?}"), format!("{:?}", identity())] {
            assert!(!shown.contains("1234") || shown.contains("5678"), "{shown}");
            assert!(!shown.contains("X1234") && !shown.contains("x1234"), "{shown}");
        }
        assert!(!format!("{:?}", identity()).contains("1234"), "no SSN part in Debug");
        let short = VerificationRequest { document_number: Some("AB1".into()), ..body };
        assert_eq!(
            short.check(Date::of_unix_ns(NOW)).err().map(|p| p.problem),
            Some(Problem::BadDocumentNumber)
        );
    }
}
