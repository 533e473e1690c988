//! Monthly statements (API.md's "Interest and statements"): what `GET /statements` answers as
//! JSON, and the formats it can be downloaded in. The server writes the CSV, OFX and camt.053
//! files from a [`Statement`]; the browser shows the JSON one.

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::wallet::{ActivityKind, Direction};

/// `GET /statements?format=json`: one currency's posted movements in a month. Opening balance
/// plus every entry (in: +, out: −) is the closing balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: Currency,
    pub opening_balance: String,
    pub closing_balance: String,
    /// What came in (interest included), as a positive amount.
    pub total_in: String,
    /// What went out (fees included), as a positive amount.
    pub total_out: String,
    /// Interest paid in the month.
    pub interest: String,
    /// Fees paid in the month.
    pub fees: String,
    /// Oldest first.
    pub entries: Vec<StatementEntry>,
}

/// One posted movement on a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementEntry {
    /// The activity it belongs to (`GET /activity/{id}`).
    pub activity_id: String,
    /// RFC 3339, UTC: when it posted.
    pub booked_at: String,
    pub kind: ActivityKind,
    /// What it was, in a line (the other side and the note).
    pub description: String,
    /// The note its people wrote, as written (also inside `description`); for interest, the
    /// month it was earned in (`YYYY-MM`). Absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The other person, when there is one the owner may know (so a client can write the line
    /// in its own language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<crate::wallet::Counterparty>,
    /// Positive; `direction` says which way.
    pub amount: String,
    pub direction: Direction,
    /// The wallet's posted balance just after it.
    pub balance_after: String,
}

/// What `GET /statements` can answer in (`format=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementFormat {
    Json,
    Csv,
    Ofx,
    Camt053,
}

impl StatementFormat {
    pub const ALL: [StatementFormat; 4] =
        [StatementFormat::Json, StatementFormat::Csv, StatementFormat::Ofx, StatementFormat::Camt053];

    /// Its `format=` name.
    pub fn name(self) -> &'static str {
        match self {
            StatementFormat::Json => "json",
            StatementFormat::Csv => "csv",
            StatementFormat::Ofx => "ofx",
            StatementFormat::Camt053 => "camt053",
        }
    }

    /// The format a `format=` name stands for.
    pub fn parse(name: &str) -> Option<StatementFormat> {
        StatementFormat::ALL.into_iter().find(|format| format.name() == name)
    }

    /// The file's extension (`purse-YYYY-MM.<extension>`).
    pub fn extension(self) -> &'static str {
        match self {
            StatementFormat::Json => "json",
            StatementFormat::Csv => "csv",
            StatementFormat::Ofx => "ofx",
            StatementFormat::Camt053 => "xml",
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            StatementFormat::Json => "application/json",
            StatementFormat::Csv => "text/csv; charset=utf-8",
            StatementFormat::Ofx => "application/x-ofx",
            StatementFormat::Camt053 => "application/xml",
        }
    }
}

/// The file name a statement downloads as: `purse-YYYY-MM.csv` (and `.json`, `.ofx`, `.xml`).
pub fn file_name(month: &str, format: StatementFormat) -> String {
    format!("purse-{month}.{}", format.extension())
}

/// A month `YYYY-MM` (years 2000–9999), as `(year, month)`.
pub fn parse_month(text: &str) -> Option<(i32, u32)> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 || !year.bytes().chain(month.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month) = (year.parse::<i32>().ok()?, month.parse::<u32>().ok()?);
    ((2000..=9999).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_only_in_their_one_form() {
        assert_eq!(parse_month("2026-12"), Some((2026, 12)));
        assert_eq!(parse_month("2027-01"), Some((2027, 1)));
        for bad in
            ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-01-01", "", "abcd-ef", "1999-12"]
        {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip_and_name_their_files() {
        for format in StatementFormat::ALL {
            assert_eq!(StatementFormat::parse(format.name()), Some(format));
        }
        assert_eq!(StatementFormat::parse("pdf"), None);
        assert_eq!(file_name("2026-11", StatementFormat::Csv), "purse-2026-11.csv");
        assert_eq!(file_name("2026-11", StatementFormat::Camt053), "purse-2026-11.xml");
    }
}
