//! The statements page's decisions (`pages::statements`) and interest's words (the wallet
//! home's APY line, an interest payment's receipt), as plain data tested natively.
//!
//! - The month picker ([`Picker`]): this month (the server's, from `GET /me/interest`'s
//!   `next_payment_on`, since a sandbox clock may stand ahead of the browser's) back to the
//!   wallet's `first_month` (ten years at most). It starts on last month, or on this month for a
//!   wallet opened this month; a `404` for a month takes it and earlier ones away.
//! - A statement as the page shows it: the totals ([`totals`]) and one line per entry
//!   ([`entry_view`]) with its signed amount and the balance after.
//! - Interest: the APY line under the balance, hidden at 0% ([`apy_line`]); the month an
//!   interest payment is for ([`interest_month`]: the one posted on the 1st is for the month
//!   before).

use crate::components::activity_row::kind_label;
use purse_api::compliance::Date;
use purse_api::interest::InterestSummary;
use purse_api::statements::{StatementFormat, file_name, parse_month};
use purse_api::{Currency, Direction, ErrorCode, Statement, StatementEntry};

use crate::api_client::ApiError;
use crate::format;
use crate::text::{Statements, month_name, t};

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl YearMonth {
    /// `YYYY-MM` (API.md's `month=`).
    pub fn parse(text: &str) -> Option<YearMonth> {
        parse_month(text).map(|(year, month)| YearMonth { year, month })
    }

    /// The month of a date or a time as the server writes them (`2026-12-01`, RFC 3339 UTC).
    pub fn of_date(text: &str) -> Option<YearMonth> {
        YearMonth::parse(text.get(0..7)?)
    }

    /// The month (UTC) of an instant in milliseconds since 1970.
    pub fn of_unix_ms(ms: i64) -> YearMonth {
        let date = Date::of_unix_ns(ms.saturating_mul(1_000_000));
        YearMonth { year: date.year, month: date.month }
    }

    pub fn previous(self) -> YearMonth {
        if self.month <= 1 {
            YearMonth { year: self.year - 1, month: 12 }
        } else {
            YearMonth { year: self.year, month: self.month - 1 }
        }
    }

    /// `2026-11`: the `month=` of `GET /statements`, and the picker's option values.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// "November 2026".
    pub fn label(self) -> String {
        format!("{} {}", month_name(self.month), self.year)
    }

    /// Where its statement is downloaded in `format`, and the file's name
    /// (`purse-2026-11.csv`).
    pub fn download(self, format: StatementFormat) -> (String, String) {
        let code = self.code();
        (crate::api_client::statement_path(&code, format), file_name(&code, format))
    }
}

/// The month the server's clock is in: the one before the next interest payment (the 1st of
/// next month). `None` when the server wrote it unreadably.
pub fn current_month(summary: &InterestSummary) -> Option<YearMonth> {
    YearMonth::of_date(&summary.next_payment_on).map(YearMonth::previous)
}

/// The wallet's first month, as the server says it; `None` when it wrote it unreadably.
pub fn first_month(summary: &InterestSummary) -> Option<YearMonth> {
    YearMonth::parse(&summary.first_month)
}

/// The most months the picker lists (ten years).
pub const MAX_MONTHS: usize = 120;

/// What `GET /statements` answered for a month, as the picker reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// There is a statement.
    Yes,
    /// `404`: before the account existed (or after now).
    No,
    /// Any other failure: nothing known.
    Unknown,
}

impl Found {
    pub fn of<T>(answer: &Result<T, ApiError>) -> Found {
        match answer {
            Ok(_) => Found::Yes,
            Err(error) if error.status == Some(404) || error.code == Some(ErrorCode::NotFound) => Found::No,
            Err(_) => Found::Unknown,
        }
    }
}

/// The month picker: its options and what is picked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picker {
    pub this_month: YearMonth,
    /// Newest first: this month back to the wallet's first month.
    pub months: Vec<YearMonth>,
    pub selected: YearMonth,
}

impl Picker {
    /// This month back to `first` (the wallet's first month, as the server says), starting on
    /// last month when the wallet is older than this month.
    pub fn new(this_month: YearMonth, first: YearMonth) -> Picker {
        let mut months = vec![this_month];
        while months.len() < MAX_MONTHS {
            let earlier = months[months.len() - 1].previous();
            if earlier < first {
                break;
            }
            months.push(earlier);
        }
        let selected = months.get(1).copied().unwrap_or(this_month);
        Picker { this_month, months, selected }
    }

    /// What the server answered for `month`'s statement: a `404` for a month before this one
    /// takes it and every earlier month off the list.
    pub fn answered(&mut self, month: YearMonth, found: Found) {
        if found == Found::No && month != self.this_month {
            self.months.retain(|listed| *listed > month || *listed == self.this_month);
            if self.selected <= month {
                self.selected = self.this_month;
            }
        }
    }

    /// Picks the month whose code is `code`; `false` when it is not one of the options.
    pub fn select(&mut self, code: &str) -> bool {
        match YearMonth::parse(code).filter(|month| self.months.contains(month)) {
            Some(month) => {
                self.selected = month;
                true
            }
            None => false,
        }
    }

    /// The options as `(value, label)`, newest first: "December 2026 (so far)", "November 2026".
    pub fn options(&self) -> Vec<(String, String)> {
        self.months
            .iter()
            .map(|month| {
                let label = if *month == self.this_month {
                    t(Statements::MonthSoFar).replace("{month}", &month.label())
                } else {
                    month.label()
                };
                (month.code(), label)
            })
            .collect()
    }
}

/// One of a statement's totals, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Total {
    /// Its `data-total`: `opening`, `in`, `out`, `interest`, `fees`, `closing`.
    pub name: &'static str,
    pub label: &'static str,
    /// "$1,000.00"; money in with `+`, money out with `−`.
    pub amount: String,
}

/// The totals: opening, in, out, interest, fees, closing.
pub fn totals(statement: &Statement) -> Vec<Total> {
    let currency = statement.currency;
    let plain = |amount: &str| format::money(amount, currency);
    let total = |name, key, amount: String| Total { name, label: t(key), amount };
    // Nothing moved reads as a plain zero, not "−$0.00".
    let signed = |amount: &str, incoming| {
        if amount.chars().all(|c| c == '0' || c == '.') {
            plain(amount)
        } else {
            format::signed_money(amount, currency, incoming)
        }
    };
    vec![
        total("opening", Statements::Opening, plain(&statement.opening_balance)),
        total("in", Statements::MoneyIn, signed(&statement.total_in, true)),
        total("out", Statements::MoneyOut, signed(&statement.total_out, false)),
        total("interest", Statements::Interest, plain(&statement.interest)),
        total("fees", Statements::Fees, plain(&statement.fees)),
        total("closing", Statements::Closing, plain(&statement.closing_balance)),
    ]
}

/// One entry as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    pub activity_id: String,
    /// "Dec 7" (UTC, as the statement's month is).
    pub date: String,
    /// When, as the server wrote it (for `<time datetime>`).
    pub booked_at: String,
    /// Its `data-kind`.
    pub kind: &'static str,
    pub description: String,
    /// "+$25.00", "−$12.50".
    pub amount: String,
    /// As the server wrote it (`25.00`), for the money display.
    pub raw_amount: String,
    /// `in` or `out`.
    pub direction: &'static str,
    /// "$1,012.50".
    pub balance_after: String,
    /// Its receipt.
    pub href: String,
}

pub fn entry_view(entry: &StatementEntry, currency: Currency) -> EntryView {
    let incoming = entry.direction == Direction::In;
    EntryView {
        activity_id: entry.activity_id.clone(),
        date: format::day_utc(&entry.booked_at),
        booked_at: entry.booked_at.clone(),
        kind: kind_name(entry.kind),
        description: line(entry),
        amount: format::signed_money(&entry.amount, currency, incoming),
        raw_amount: entry.amount.clone(),
        direction: if incoming { "in" } else { "out" },
        balance_after: format::money(&entry.balance_after, currency),
        href: format!("/activity/{}", entry.activity_id),
    }
}

/// An entry's line in the reader's language, from its parts (the server's `description` is the
/// files' English one): the other person, what it was (for interest, the month it was earned
/// in), and the note.
pub fn line(entry: &StatementEntry) -> String {
    let interest = entry.kind == purse_api::ActivityKind::Interest;
    let what = if interest {
        interest_month(entry.note.as_deref(), &entry.booked_at).map_or_else(
            || kind_label(entry.kind).to_string(),
            |month| t(Statements::InterestFor).replace("{month}", &month.label()),
        )
    } else {
        kind_label(entry.kind).to_string()
    };
    let mut parts: Vec<String> =
        entry.counterparty.iter().map(|person| person.display_name.clone()).collect();
    parts.push(what);
    parts.extend(entry.note.clone().filter(|_| !interest));
    parts.join(" · ")
}

/// A kind as the wire names it (`interest`).
fn kind_name(kind: purse_api::ActivityKind) -> &'static str {
    use purse_api::ActivityKind::*;
    match kind {
        Transfer => "transfer",
        Tip => "tip",
        Request => "request",
        Checkout => "checkout",
        Refund => "refund",
        Deposit => "deposit",
        Withdrawal => "withdrawal",
        Fee => "fee",
        Interest => "interest",
    }
}

/// What the page says when a statement cannot be shown, and whether trying again can help:
/// a month with no statement says so in words of its own.
pub fn failure(error: &ApiError) -> (String, bool) {
    if Found::of::<()>(&Err(error.clone())) == Found::No {
        (t(Statements::NoStatement).to_string(), true)
    } else {
        (format!("{} {}", t(Statements::Unavailable), error.message), error.is_permanent())
    }
}

/// Whether an APY (`"4.00"`) pays anything: not when it is zero or unreadable.
pub fn apy_pays(apy: &str) -> bool {
    let digits = apy.trim();
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| matches!(c, '1'..='9'))
}

/// "4.00% APY".
pub fn apy_text(apy: &str) -> String {
    t(Statements::ApyValue).replace("{apy}", apy.trim())
}

/// The wallet home's line under the balance: "Earning 4.00% APY" and "$1.23 earned this month";
/// `None` when the server pays no interest.
pub fn apy_line(summary: &InterestSummary) -> Option<(String, String)> {
    apy_pays(&summary.apy).then(|| {
        (
            t(Statements::EarningApy).replace("{apy}", summary.apy.trim()),
            t(Statements::EarnedThisMonth)
                .replace("{amount}", &format::money(&summary.accrued_this_month, summary.currency)),
        )
    })
}

/// The month an interest payment posted at `created_at` is for: the payment posted on the 1st
/// (UTC) is the month before's; on any other day it cannot be told from the date.
pub fn interest_month(note: Option<&str>, created_at: &str) -> Option<YearMonth> {
    // The server writes the month on the payment (its note); an older payment without it was
    // posted on the 1st of the month after.
    if let Some(month) = note.and_then(YearMonth::parse) {
        return Some(month);
    }
    let day = created_at.get(8..10)?.parse::<u32>().ok()?;
    (day == 1).then(|| YearMonth::of_date(created_at).map(YearMonth::previous)).flatten()
}

#[cfg(test)]
mod tests {
    use purse_api::ActivityKind;

    use super::*;

    fn month(code: &str) -> YearMonth {
        YearMonth::parse(code).unwrap()
    }

    fn summary(apy: &str, accrued: &str, next: &str) -> InterestSummary {
        InterestSummary {
            apy: apy.into(),
            accrued_this_month: accrued.into(),
            paid_this_year: "0.00".into(),
            next_payment_on: next.into(),
            first_month: "2026-10".into(),
            currency: Currency::Usd,
        }
    }

    fn not_found() -> ApiError {
        ApiError::from_answer(404, r#"{"error":{"code":"not_found","message":"No statement."}}"#)
    }

    #[test]
    fn months_step_back_across_years_and_read_as_people_say_them() {
        assert_eq!(month("2027-01").previous(), month("2026-12"));
        assert_eq!(month("2026-12").previous().code(), "2026-11");
        assert_eq!(month("2026-11").label(), "November 2026");
        assert_eq!(YearMonth::of_date("2026-12-01"), Some(month("2026-12")));
        assert_eq!(YearMonth::of_date("2027-01-01T00:00:00Z"), Some(month("2027-01")));
        assert_eq!(YearMonth::of_date("soon"), None);
        // Monday 2026-12-07, 14:00 UTC.
        assert_eq!(YearMonth::of_unix_ms(1_796_652_000_000), month("2026-12"));
        assert_eq!(
            month("2026-11").download(StatementFormat::Camt053),
            ("/api/v1/statements?month=2026-11&format=camt053".to_string(), "purse-2026-11.xml".to_string())
        );
    }

    #[test]
    fn this_month_is_the_servers_the_one_before_the_next_payment() {
        assert_eq!(current_month(&summary("4.00", "0.00", "2027-01-01")), Some(month("2026-12")));
        assert_eq!(current_month(&summary("4.00", "0.00", "2027-02-01")), Some(month("2027-01")));
        assert_eq!(current_month(&summary("4.00", "0.00", "")), None);
    }

    #[test]
    fn the_picker_lists_this_month_back_to_the_wallets_first_and_starts_on_last_month() {
        let mut picker = Picker::new(month("2027-01"), month("2026-11"));
        assert_eq!(picker.months, [month("2027-01"), month("2026-12"), month("2026-11")]);
        assert_eq!(picker.selected, month("2026-12"), "last month");
        assert_eq!(
            picker.options(),
            [
                ("2027-01".to_string(), "January 2027 (so far)".to_string()),
                ("2026-12".to_string(), "December 2026".to_string()),
                ("2026-11".to_string(), "November 2026".to_string()),
            ]
        );
        assert!(picker.select("2026-11"));
        assert_eq!(picker.selected, month("2026-11"));
        assert!(!picker.select("2026-10"), "not an option");
        assert!(!picker.select("garbage"));
        assert_eq!(picker.selected, month("2026-11"));
        // The server says a month has no statement after all: it and earlier ones go.
        picker.answered(month("2026-11"), Found::No);
        assert_eq!(picker.months, [month("2027-01"), month("2026-12")]);
        assert_eq!(picker.selected, month("2027-01"));
        picker.answered(month("2026-12"), Found::Unknown);
        assert_eq!(picker.months.len(), 2, "a failure takes nothing away");
    }

    #[test]
    fn a_new_wallet_starts_on_this_month_and_an_old_one_lists_ten_years_at_most() {
        let picker = Picker::new(month("2026-12"), month("2026-12"));
        assert_eq!(
            (picker.months.as_slice(), picker.selected),
            ([month("2026-12")].as_slice(), month("2026-12"))
        );
        assert_eq!(picker.options()[0].1, "December 2026 (so far)");
        let old = Picker::new(month("2026-12"), month("2001-01"));
        assert_eq!(old.months.len(), MAX_MONTHS);
        assert_eq!(old.months.last(), Some(&month("2017-01")));
        assert_eq!(first_month(&summary("4.00", "0.00", "2027-01-01")), Some(month("2026-10")));
    }

    #[test]
    fn a_404_is_no_statement_and_anything_else_can_be_tried_again() {
        assert_eq!(Found::of::<()>(&Err(not_found())), Found::No);
        assert_eq!(Found::of::<()>(&Err(ApiError::network())), Found::Unknown);
        assert_eq!(Found::of(&Ok(())), Found::Yes);
        assert_eq!(failure(&not_found()), ("There's no statement for this month.".to_string(), true));
        let (message, permanent) = failure(&ApiError::network());
        assert!(message.starts_with("This statement can't be loaded right now. "), "{message}");
        assert!(!permanent);
    }

    fn statement() -> Statement {
        Statement {
            month: "2026-12".into(),
            currency: Currency::Usd,
            opening_balance: "0.00".into(),
            closing_balance: "1002.68".into(),
            total_in: "1002.68".into(),
            total_out: "0.00".into(),
            interest: "2.68".into(),
            fees: "0.00".into(),
            entries: vec![StatementEntry {
                activity_id: "tr_interest".into(),
                booked_at: "2027-01-01T00:00:00Z".into(),
                kind: ActivityKind::Interest,
                description: "Interest for December 2026".into(),
                amount: "2.68".into(),
                direction: Direction::In,
                balance_after: "1002.68".into(),
                note: None,
                counterparty: None,
            }],
        }
    }

    #[test]
    fn an_entry_reads_in_the_readers_words_not_the_files_english() {
        let interest = &statement().entries[0];
        assert_eq!(
            line(&StatementEntry { note: Some("2026-11".into()), ..interest.clone() }),
            "For November 2026"
        );
        assert_eq!(line(interest), "For December 2026", "paid on the 1st: the month before");
        let to_bob = StatementEntry {
            kind: ActivityKind::Transfer,
            description: "To Bob (@bob) — Dinner".into(),
            note: Some("Dinner".into()),
            counterparty: Some(purse_api::Counterparty {
                handle: purse_api::Handle::parse("bob").unwrap(),
                display_name: "Bob".into(),
            }),
            ..interest.clone()
        };
        assert_eq!(line(&to_bob), format!("Bob · {} · Dinner", kind_label(ActivityKind::Transfer)));
    }

    #[test]
    fn a_statement_reads_as_totals_and_signed_entries_with_the_balance_after() {
        let statement = statement();
        let totals = totals(&statement);
        let pairs: Vec<(&str, &str, &str)> =
            totals.iter().map(|t| (t.name, t.label, t.amount.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("opening", "Opening balance", "$0.00"),
                ("in", "Money in", "+$1,002.68"),
                ("out", "Money out", "$0.00"),
                ("interest", "Interest", "$2.68"),
                ("fees", "Fees", "$0.00"),
                ("closing", "Closing balance", "$1,002.68"),
            ]
        );
        let entry = entry_view(&statement.entries[0], statement.currency);
        assert_eq!(
            (entry.date.as_str(), entry.kind, entry.amount.as_str(), entry.balance_after.as_str()),
            ("Jan 1", "interest", "+$2.68", "$1,002.68")
        );
        assert_eq!((entry.direction, entry.href.as_str()), ("in", "/activity/tr_interest"));
        let out = StatementEntry {
            direction: Direction::Out,
            kind: ActivityKind::Fee,
            ..statement.entries[0].clone()
        };
        assert_eq!(entry_view(&out, Currency::Usd).amount, "\u{2212}$2.68");
    }

    #[test]
    fn the_apy_line_shows_what_is_earned_and_hides_at_zero() {
        assert_eq!(
            apy_line(&summary("4.00", "1.23", "2027-01-01")),
            Some(("Earning 4.00% APY".to_string(), "$1.23 earned this month".to_string()))
        );
        assert_eq!(apy_line(&summary("0.00", "0.00", "2027-01-01")), None);
        assert_eq!(apy_line(&summary("0", "0.00", "2027-01-01")), None);
        assert_eq!(apy_line(&summary("", "0.00", "2027-01-01")), None);
        assert_eq!(apy_line(&summary("nope", "0.00", "2027-01-01")), None);
        assert!(apy_pays("0.05"));
        assert_eq!(apy_text("3.65"), "3.65% APY");
    }

    #[test]
    fn interest_posted_on_the_first_is_for_the_month_before() {
        // The month the server wrote on it, even when it was paid late (a catch-up).
        assert_eq!(interest_month(Some("2026-10"), "2026-12-01T00:00:00Z"), Some(month("2026-10")));
        assert_eq!(interest_month(None, "2027-01-01T00:00:00Z"), Some(month("2026-12")));
        assert_eq!(interest_month(None, "2026-12-01T00:00:00.123Z"), Some(month("2026-11")));
        assert_eq!(interest_month(None, "2026-12-03T10:00:00Z"), None, "late: cannot be told");
        assert_eq!(interest_month(Some("not a month"), "garbage"), None);
    }
}
