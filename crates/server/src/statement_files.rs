//! A monthly [`Statement`] as a file to download (API.md's "Interest and statements"): CSV
//! (RFC 4180), OFX 2.2 (XML) and ISO 20022 `camt.053.001.08`.
//!
//! Every format carries enough to check that the opening balance plus the entries is the closing
//! balance: CSV through each row's `balance_after`, OFX through `LEDGERBAL`, camt.053 through its
//! `OPBD` and `CLBD` balances. Amounts are the statement's own strings, already at the
//! currency's scale (KWD 3 decimals, JPY none); only sums the files state themselves are
//! computed here, at the same scale.
//!
//! The XML is written with quick-xml's writer (never by concatenating strings), so text is
//! escaped; characters XML 1.0 cannot carry are replaced by spaces first. A CSV text cell that
//! a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
//!
//! `crates/server/tests/statements/check_statement.py` checks the three formats without any
//! Purse code; the tests here and the server's statement tests run it.

use std::collections::HashMap;
use std::io::{self, Write};
use std::str::FromStr;

use ::time::format_description::well_known::Rfc3339;
use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use purse_api::wallet::{ActivityKind, Direction};
use purse_api::{Statement, StatementEntry};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesPI, BytesText, Event};
use rust_decimal::Decimal;

use crate::store::notes::kind_name;

/// Who and when a file is about, beside the statement itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The account as the file names it, e.g. `PURSE-1000000007`.
    pub account_id: String,
    /// The owner's display name.
    pub owner: String,
    /// RFC 3339: the month's first instant.
    pub from: String,
    /// RFC 3339: the month's end, or now for the month so far.
    pub to: String,
    /// RFC 3339: when the file was made.
    pub generated_at: String,
}

/// The CSV's header row.
pub const CSV_HEADER: [&str; 8] =
    ["date", "activity_id", "kind", "description", "note", "direction", "amount", "balance_after"];

/// `camt.053.001.08`'s namespace.
pub const CAMT053_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

/// The OFX 2.2 header, as the processing instruction after the XML declaration.
const OFX_HEADER: &str =
    r#"OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE""#;

/// OFX's limit on `NAME`, and on `MEMO`.
const OFX_NAME_MAX: usize = 32;
const OFX_MEMO_MAX: usize = 255;
/// ISO 20022's `Max35Text`, `Max34Text` (an `Othr` account id) and `Max140Text`.
const MAX35: usize = 35;
const MAX34: usize = 34;
const MAX140: usize = 140;

/// The statement as CSV: a header row, then one row per entry (oldest first), CRLF line ends.
///
/// # Errors
/// An amount or balance of the statement that is not a plain decimal (`InvalidData`).
pub fn csv(statement: &Statement) -> io::Result<Vec<u8>> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for entry in &statement.entries {
        amount(&entry.amount)?;
        decimal(&entry.balance_after)?;
        writer.write_record([
            &*neutralised(&entry.booked_at),
            &*neutralised(&entry.activity_id),
            kind_name(entry.kind),
            &*neutralised(&entry.description),
            // Person-written, so the cell most likely to start with `=`.
            &*neutralised(entry.note.as_deref().unwrap_or("")),
            direction_name(entry.direction),
            // Numbers we wrote ourselves: never neutralised (a negative balance stays `-2.08`).
            entry.amount.as_str(),
            entry.balance_after.as_str(),
        ])?;
    }
    writer.into_inner().map_err(|error| error.into_error())
}

/// The statement as an OFX 2.2 bank statement (`STMTRS` with `BANKTRANLIST` and `LEDGERBAL`).
///
/// # Errors
/// An amount that is not a plain decimal, or a time of the statement or header that is not
/// RFC 3339 (`InvalidData`).
pub fn ofx(statement: &Statement, header: &Header) -> io::Result<Vec<u8>> {
    let currency = statement.currency.code();
    let from = ofx_date(instant(&header.from)?);
    let to = ofx_date(instant(&header.to)?);
    let generated = ofx_date(instant(&header.generated_at)?);
    let closing = decimal(&statement.closing_balance)?;
    let fitids = fitids(&statement.entries);
    let mut transactions = Vec::with_capacity(statement.entries.len());
    for (entry, fitid) in statement.entries.iter().zip(fitids) {
        transactions.push(OfxTransaction {
            kind: ofx_transaction_type(entry),
            posted: ofx_date(instant(&entry.booked_at)?),
            amount: signed(entry)?.to_string(),
            fitid,
            name: ofx_name(entry),
            memo: truncated(xml_text(&entry.description).trim(), OFX_MEMO_MAX),
        });
    }

    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("no"))))?;
    writer.write_event(Event::PI(BytesPI::new(OFX_HEADER)))?;
    writer.create_element("OFX").write_inner_content(|w| {
        w.create_element("SIGNONMSGSRSV1").write_inner_content(|w| {
            w.create_element("SONRS").write_inner_content(|w| {
                ofx_status(w)?;
                leaf(w, "DTSERVER", &generated)?;
                leaf(w, "LANGUAGE", "ENG")
            })?;
            Ok(())
        })?;
        w.create_element("BANKMSGSRSV1").write_inner_content(|w| {
            w.create_element("STMTTRNRS").write_inner_content(|w| {
                leaf(w, "TRNUID", "0")?;
                ofx_status(w)?;
                w.create_element("STMTRS").write_inner_content(|w| {
                    leaf(w, "CURDEF", currency)?;
                    w.create_element("BANKACCTFROM").write_inner_content(|w| {
                        leaf(w, "BANKID", "PURSE")?;
                        leaf(w, "ACCTID", &truncated(&xml_text(&header.account_id), 22))?;
                        leaf(w, "ACCTTYPE", "CHECKING")
                    })?;
                    w.create_element("BANKTRANLIST").write_inner_content(|w| {
                        leaf(w, "DTSTART", &from)?;
                        leaf(w, "DTEND", &to)?;
                        for transaction in &transactions {
                            w.create_element("STMTTRN").write_inner_content(|w| {
                                leaf(w, "TRNTYPE", transaction.kind)?;
                                leaf(w, "DTPOSTED", &transaction.posted)?;
                                leaf(w, "TRNAMT", &transaction.amount)?;
                                leaf(w, "FITID", &transaction.fitid)?;
                                leaf(w, "NAME", &transaction.name)?;
                                if !transaction.memo.is_empty() {
                                    leaf(w, "MEMO", &transaction.memo)?;
                                }
                                Ok(())
                            })?;
                        }
                        Ok(())
                    })?;
                    w.create_element("LEDGERBAL").write_inner_content(|w| {
                        leaf(w, "BALAMT", &closing.to_string())?;
                        leaf(w, "DTASOF", &to)
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// The statement as an ISO 20022 `camt.053.001.08` document: one `Stmt` with its `OPBD` and
/// `CLBD` balances, `TxsSummry`, and one `Ntry` per entry, in the XSD's element order.
///
/// # Errors
/// An amount that is not a plain decimal, or a time of the statement or header that is not
/// RFC 3339 (`InvalidData`).
pub fn camt053(statement: &Statement, header: &Header) -> io::Result<Vec<u8>> {
    let currency = statement.currency.code();
    let scale = statement.currency.exponent();
    let from = instant(&header.from)?;
    let to = instant(&header.to)?;
    let generated = instant(&header.generated_at)?;
    let opening = decimal(&statement.opening_balance)?;
    let closing = decimal(&statement.closing_balance)?;
    // The closing balance is the one at the period's last day: an end at midnight exactly (the
    // next month's first instant) belongs to the day before.
    let day_before = if to.time() == Time::MIDNIGHT && to > from { to.date().previous_day() } else { None };
    let closing_day = day_before.unwrap_or_else(|| to.date());

    let mut entries = Vec::with_capacity(statement.entries.len());
    let (mut credits, mut debits) = ((0_usize, Decimal::ZERO), (0_usize, Decimal::ZERO));
    for entry in &statement.entries {
        let value = amount(&entry.amount)?;
        let side = match entry.direction {
            Direction::In => &mut credits,
            Direction::Out => &mut debits,
        };
        side.0 += 1;
        side.1 += value;
        let booked = instant(&entry.booked_at)?;
        entries.push(CamtEntry {
            reference: truncated(&xml_text(&entry.activity_id), MAX35),
            amount: entry.amount.trim().to_owned(),
            indicator: match entry.direction {
                Direction::In => "CRDT",
                Direction::Out => "DBIT",
            },
            booked: iso_date_time(booked)?,
            value_date: iso_date(booked.date()),
            code: kind_name(entry.kind).to_ascii_uppercase(),
            remittance: truncated(xml_text(&entry.description).trim(), MAX140),
        });
    }
    let credits = (credits.0.to_string(), at_scale(credits.1, scale));
    let debits = (debits.0.to_string(), at_scale(debits.1, scale));
    let generated_text = iso_date_time(generated)?;
    let month = statement.month.replace('-', "");
    let account = xml_text(&header.account_id);
    let message_id = format!("{}-{}", last_chars(&account, MAX35 - 15), compact(generated));
    let statement_id = format!("{}-{month}", last_chars(&account, MAX35 - 7));

    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let document = writer.create_element("Document").with_attribute(("xmlns", CAMT053_NAMESPACE));
    document.write_inner_content(|w| {
        w.create_element("BkToCstmrStmt").write_inner_content(|w| {
            w.create_element("GrpHdr").write_inner_content(|w| {
                leaf(w, "MsgId", &message_id)?;
                leaf(w, "CreDtTm", &generated_text)
            })?;
            w.create_element("Stmt").write_inner_content(|w| {
                leaf(w, "Id", &statement_id)?;
                leaf(w, "CreDtTm", &generated_text)?;
                w.create_element("FrToDt").write_inner_content(|w| {
                    leaf(w, "FrDtTm", &iso_date_time(from)?)?;
                    leaf(w, "ToDtTm", &iso_date_time(to)?)
                })?;
                w.create_element("Acct").write_inner_content(|w| {
                    w.create_element("Id").write_inner_content(|w| {
                        w.create_element("Othr")
                            .write_inner_content(|w| leaf(w, "Id", &truncated(&account, MAX34)))?;
                        Ok(())
                    })?;
                    leaf(w, "Ccy", currency)?;
                    let owner = truncated(xml_text(&header.owner).trim(), MAX140);
                    if !owner.is_empty() {
                        w.create_element("Ownr").write_inner_content(|w| leaf(w, "Nm", &owner))?;
                    }
                    Ok(())
                })?;
                camt_balance(w, "OPBD", opening, currency, &iso_date(from.date()))?;
                camt_balance(w, "CLBD", closing, currency, &iso_date(closing_day))?;
                w.create_element("TxsSummry").write_inner_content(|w| {
                    for (name, (count, sum)) in [("TtlCdtNtries", &credits), ("TtlDbtNtries", &debits)] {
                        w.create_element(name).write_inner_content(|w| {
                            leaf(w, "NbOfNtries", count)?;
                            leaf(w, "Sum", sum)
                        })?;
                    }
                    Ok(())
                })?;
                for entry in &entries {
                    camt_entry(w, entry, currency)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// One `STMTTRN`, ready to write.
struct OfxTransaction {
    kind: &'static str,
    posted: String,
    amount: String,
    fitid: String,
    name: String,
    memo: String,
}

/// One `Ntry`, ready to write.
struct CamtEntry {
    reference: String,
    amount: String,
    indicator: &'static str,
    booked: String,
    value_date: String,
    code: String,
    remittance: String,
}

/// `<name>text</name>`, escaped.
fn leaf<W: Write>(writer: &mut Writer<W>, name: &str, text: &str) -> io::Result<()> {
    writer.create_element(name).write_text_content(BytesText::new(text))?;
    Ok(())
}

/// OFX's `STATUS` for success.
fn ofx_status<W: Write>(writer: &mut Writer<W>) -> io::Result<()> {
    writer.create_element("STATUS").write_inner_content(|w| {
        leaf(w, "CODE", "0")?;
        leaf(w, "SEVERITY", "INFO")
    })?;
    Ok(())
}

/// A camt `Bal` (CashBalance8: Tp, Amt, CdtDbtInd, Dt); a negative balance is `DBIT` with the
/// absolute amount.
fn camt_balance<W: Write>(
    writer: &mut Writer<W>,
    code: &str,
    balance: Decimal,
    currency: &str,
    date: &str,
) -> io::Result<()> {
    let indicator = if balance.is_sign_negative() && !balance.is_zero() { "DBIT" } else { "CRDT" };
    writer.create_element("Bal").write_inner_content(|w| {
        w.create_element("Tp").write_inner_content(|w| {
            w.create_element("CdOrPrtry").write_inner_content(|w| leaf(w, "Cd", code))?;
            Ok(())
        })?;
        w.create_element("Amt")
            .with_attribute(("Ccy", currency))
            .write_text_content(BytesText::new(&balance.abs().to_string()))?;
        leaf(w, "CdtDbtInd", indicator)?;
        w.create_element("Dt").write_inner_content(|w| leaf(w, "Dt", date))?;
        Ok(())
    })?;
    Ok(())
}

/// A camt `Ntry` (ReportEntry10), in the XSD's order: NtryRef, Amt, CdtDbtInd, Sts, BookgDt,
/// ValDt, AcctSvcrRef, BkTxCd, NtryDtls.
fn camt_entry<W: Write>(writer: &mut Writer<W>, entry: &CamtEntry, currency: &str) -> io::Result<()> {
    writer.create_element("Ntry").write_inner_content(|w| {
        leaf(w, "NtryRef", &entry.reference)?;
        w.create_element("Amt")
            .with_attribute(("Ccy", currency))
            .write_text_content(BytesText::new(&entry.amount))?;
        leaf(w, "CdtDbtInd", entry.indicator)?;
        w.create_element("Sts").write_inner_content(|w| leaf(w, "Cd", "BOOK"))?;
        w.create_element("BookgDt").write_inner_content(|w| leaf(w, "DtTm", &entry.booked))?;
        w.create_element("ValDt").write_inner_content(|w| leaf(w, "Dt", &entry.value_date))?;
        leaf(w, "AcctSvcrRef", &entry.reference)?;
        w.create_element("BkTxCd").write_inner_content(|w| {
            w.create_element("Prtry").write_inner_content(|w| {
                leaf(w, "Cd", &entry.code)?;
                leaf(w, "Issr", "PURSE")
            })?;
            Ok(())
        })?;
        if !entry.remittance.is_empty() {
            w.create_element("NtryDtls").write_inner_content(|w| {
                w.create_element("TxDtls").write_inner_content(|w| {
                    w.create_element("RmtInf")
                        .write_inner_content(|w| leaf(w, "Ustrd", &entry.remittance))?;
                    Ok(())
                })?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// A text cell as a spreadsheet may show it: one a spreadsheet would take for a formula
/// (first character `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP's CSV injection).
fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The kind in a few English words: an OFX `NAME` when the entry has no description.
fn kind_label(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Transfer => "Transfer",
        ActivityKind::Tip => "Tip",
        ActivityKind::Request => "Request",
        ActivityKind::Checkout => "Checkout",
        ActivityKind::Refund => "Refund",
        ActivityKind::Deposit => "Deposit",
        ActivityKind::Withdrawal => "Withdrawal",
        ActivityKind::Fee => "Fee",
        ActivityKind::Interest => "Interest",
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::In => "in",
        Direction::Out => "out",
    }
}

/// OFX's `TRNTYPE`: `INT` for interest, `FEE` for fees, else `CREDIT` or `DEBIT`.
fn ofx_transaction_type(entry: &StatementEntry) -> &'static str {
    match (entry.kind, entry.direction) {
        (ActivityKind::Interest, _) => "INT",
        (ActivityKind::Fee, _) => "FEE",
        (_, Direction::In) => "CREDIT",
        (_, Direction::Out) => "DEBIT",
    }
}

/// OFX's `NAME`: the description on one line, at most 32 characters (the kind if empty).
fn ofx_name(entry: &StatementEntry) -> String {
    let line = xml_text(&entry.description).split_whitespace().collect::<Vec<_>>().join(" ");
    let name = truncated(&line, OFX_NAME_MAX);
    if name.is_empty() { kind_label(entry.kind).to_owned() } else { name }
}

/// Each entry's `FITID`: its activity id; an activity's second and later entries in the
/// statement get `-2`, `-3`, … (so the first keeps its id when a later one appears).
fn fitids(entries: &[StatementEntry]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    entries
        .iter()
        .map(|entry| {
            let count = seen.entry(entry.activity_id.as_str()).or_insert(0);
            *count += 1;
            let id = xml_text(&entry.activity_id);
            if *count == 1 { id } else { format!("{id}-{count}") }
        })
        .collect()
}

/// The entry's amount, signed: in positive, out negative.
fn signed(entry: &StatementEntry) -> io::Result<Decimal> {
    let value = amount(&entry.amount)?;
    Ok(match entry.direction {
        Direction::In => value,
        Direction::Out if value.is_zero() => value,
        Direction::Out => -value,
    })
}

/// A plain decimal (`-12.50`, `3`), as the statement writes amounts.
fn decimal(text: &str) -> io::Result<Decimal> {
    let text = text.trim();
    let plain = !text.is_empty()
        && text
            .strip_prefix('-')
            .unwrap_or(text)
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && text.matches('.').count() <= 1;
    if !plain {
        return Err(invalid(format!("not a plain decimal amount: {text:?}")));
    }
    Decimal::from_str(text).map_err(|error| invalid(format!("amount {text:?}: {error}")))
}

/// A positive (or zero) decimal: an entry's amount.
fn amount(text: &str) -> io::Result<Decimal> {
    let value = decimal(text)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(invalid(format!("an entry's amount is negative: {text:?}")));
    }
    Ok(value)
}

/// `value` written with exactly `scale` decimals (a sum the file states itself).
fn at_scale(mut value: Decimal, scale: u32) -> String {
    value.rescale(scale);
    value.to_string()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Text XML 1.0 can carry: CRLF and CR become LF, other control characters (and U+FFFE,
/// U+FFFF) a space. quick-xml escapes the rest (`&`, `<`, quotes).
fn xml_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' => '\n',
            '\u{FFFE}' | '\u{FFFF}' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// At most `max` characters (not bytes) of `text`, without trailing white space.
fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect::<String>().trim_end().to_owned()
}

/// The last `max` characters of `text` (an account id's distinctive end).
fn last_chars(text: &str, max: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(max)).collect()
}

/// An RFC 3339 instant (`2026-11-01T00:00:00Z`, `2026-11-14T22:13:20.123456789+03:00`), in UTC.
fn instant(text: &str) -> io::Result<OffsetDateTime> {
    parse_rfc3339(text.trim()).ok_or_else(|| invalid(format!("not an RFC 3339 time: {text:?}")))
}

fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    fn number<T: FromStr>(text: &str, range: std::ops::Range<usize>) -> Option<T> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    }
    let separators_ok = text.get(4..5) == Some("-")
        && text.get(7..8) == Some("-")
        && matches!(text.get(10..11), Some("T" | "t" | " "))
        && text.get(13..14) == Some(":")
        && text.get(16..17) == Some(":");
    if !separators_ok {
        return None;
    }
    let date = Date::from_calendar_date(
        number(text, 0..4)?,
        Month::try_from(number::<u8>(text, 5..7)?).ok()?,
        number(text, 8..10)?,
    )
    .ok()?;
    let mut rest = text.get(19..)?;
    let mut nanos = 0_u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = fraction.get(..digits.min(9))?;
        nanos = format!("{kept:0<9}").parse().ok()?;
        rest = fraction.get(digits..)?;
    }
    let time =
        Time::from_hms_nano(number(text, 11..13)?, number(text, 14..16)?, number(text, 17..19)?, nanos)
            .ok()?;
    let offset = match rest {
        "Z" | "z" => UtcOffset::UTC,
        _ => {
            let sign: i8 = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.get(3..4) != Some(":") {
                return None;
            }
            let hours: i8 = number(rest, 1..3)?;
            let minutes: i8 = number(rest, 4..6)?;
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset).to_offset(UtcOffset::UTC))
}

/// OFX's date-time: `YYYYMMDDHHMMSS.XXX[+0:UTC]`.
fn ofx_date(at: OffsetDateTime) -> String {
    format!("{}.{:03}[+0:UTC]", compact(at), at.millisecond())
}

/// `YYYYMMDDHHMMSS` (UTC).
fn compact(at: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// ISO 8601 date-time in UTC (`2026-11-14T22:13:20.123Z`), as `xs:dateTime` reads it.
fn iso_date_time(at: OffsetDateTime) -> io::Result<String> {
    at.format(&Rfc3339).map_err(|error| invalid(format!("time {at}: {error}")))
}

/// ISO 8601 date (`2026-11-14`).
fn iso_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use purse_api::Currency;
    use quick_xml::Reader;
    use quick_xml::events::Event as ReadEvent;
    use serde_json::Value;

    use super::*;

    fn entry(
        id: &str,
        day: u32,
        kind: ActivityKind,
        direction: Direction,
        amount: &str,
        balance_after: &str,
        description: &str,
    ) -> StatementEntry {
        StatementEntry {
            activity_id: id.to_owned(),
            booked_at: format!("2026-11-{day:02}T10:30:00.250Z"),
            kind,
            description: description.to_owned(),
            note: None,
            counterparty: None,
            amount: amount.to_owned(),
            direction,
            balance_after: balance_after.to_owned(),
        }
    }

    const TRICKY: &str = "Lunch, \"tacos\" & <more>\nthanks";
    const ARABIC: &str = "شكراً على الغداء";

    /// Opening 10.00; goes negative after the fee, back up, and closes negative.
    fn statement() -> Statement {
        use ActivityKind::*;
        use Direction::*;
        Statement {
            month: "2026-11".to_owned(),
            currency: Currency::Usd,
            opening_balance: "10.00".to_owned(),
            closing_balance: "-5.58".to_owned(),
            total_in: "26.42".to_owned(),
            total_out: "42.00".to_owned(),
            interest: "0.42".to_owned(),
            fees: "13.00".to_owned(),
            entries: vec![
                entry("act_int1", 1, Interest, In, "0.42", "10.42", "Interest for October"),
                entry("act_fee1", 2, Fee, Out, "12.50", "-2.08", "Card fee"),
                entry("act_ref1", 3, Refund, In, "20.00", "17.92", "Refund from Corner Shop"),
                StatementEntry {
                    note: Some("=HYPERLINK(\"http://x\")".to_owned()),
                    counterparty: None,
                    ..entry("act_tr1", 4, Transfer, Out, "1.00", "16.92", "=SUM(A1)")
                },
                entry("act_tip1", 5, Tip, In, "2.00", "18.92", "@x"),
                entry("act_tr2", 6, Transfer, Out, "3.00", "15.92", "-5"),
                entry("act_tr3", 7, Transfer, In, "4.00", "19.92", TRICKY),
                entry("act_chk1", 8, Checkout, Out, "25.00", "-5.08", ARABIC),
                entry("act_chk1", 8, Fee, Out, "0.50", "-5.58", ""),
            ],
        }
    }

    fn header() -> Header {
        Header {
            account_id: "PURSE-1000000007".to_owned(),
            owner: "Layla & Sons <test>".to_owned(),
            from: "2026-11-01T00:00:00Z".to_owned(),
            to: "2026-12-01T00:00:00Z".to_owned(),
            generated_at: "2026-12-01T06:00:00.5Z".to_owned(),
        }
    }

    /// Runs the independent checker on `bytes` written to a file; its JSON, or its complaint.
    fn check(format: &str, bytes: &[u8]) -> Result<Value, String> {
        let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/statements/check_statement.py");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join(format!("statement.{format}"));
        std::fs::write(&file, bytes).expect("the file written");
        let output =
            Command::new("python3").arg(&checker).arg(format).arg(&file).output().unwrap_or_else(|error| {
                panic!("python3 is needed to check statement files (CI has it): {error}")
            });
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
        assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
        Ok(serde_json::from_str(&stdout).expect("JSON from the checker"))
    }

    fn checked(format: &str, bytes: &[u8]) -> Value {
        check(format, bytes).unwrap_or_else(|complaint| {
            panic!("{format} rejected: {complaint}\n{}", String::from_utf8_lossy(bytes))
        })
    }

    fn descriptions(value: &Value) -> Vec<String> {
        value["descriptions"]
            .as_array()
            .expect("descriptions")
            .iter()
            .map(|d| d.as_str().expect("a string").to_owned())
            .collect()
    }

    /// The names of the children of every `parent` element, in document order.
    fn children_of(xml: &[u8], parent: &str) -> Vec<Vec<String>> {
        let mut reader = Reader::from_reader(xml);
        let mut buffer = Vec::new();
        let mut stack: Vec<String> = Vec::new();
        let mut found: Vec<Vec<String>> = Vec::new();
        loop {
            match reader.read_event_into(&mut buffer).expect("well-formed XML") {
                ReadEvent::Start(start) => {
                    let name = start.local_name().as_ref().to_owned();
                    if stack.last().map(String::as_str) == Some(parent) {
                        found.last_mut().expect("a parent").push(name.clone());
                    }
                    if name == parent {
                        found.push(Vec::new());
                    }
                    stack.push(name);
                }
                ReadEvent::Empty(start) => {
                    let name = start.local_name().as_ref().to_owned();
                    if stack.last().map(String::as_str) == Some(parent) {
                        found.last_mut().expect("a parent").push(name);
                    }
                }
                ReadEvent::End(_) => {
                    stack.pop();
                }
                ReadEvent::Eof => break,
                _ => {}
            }
            buffer.clear();
        }
        found
    }

    #[test]
    fn csv_rows_check_out_and_formulas_are_neutralised() {
        let bytes = csv(&statement()).expect("a CSV");
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert!(
            text.starts_with("date,activity_id,kind,description,note,direction,amount,balance_after\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\r\n"));
        assert!(
            text.contains(
                "2026-11-01T10:30:00.250Z,act_int1,interest,Interest for October,,in,0.42,10.42\r\n"
            ),
            "{text}"
        );
        // A negative balance is a number: not neutralised.
        assert!(text.contains(",out,12.50,-2.08\r\n"), "{text}");
        // The comma, quote and newline are quoted as RFC 4180 says.
        assert!(text.contains("\"Lunch, \"\"tacos\"\" & <more>\nthanks\""), "{text}");

        let result = checked("csv", &bytes);
        assert_eq!(result["opening"], "10.00");
        assert_eq!(result["closing"], "-5.58");
        assert_eq!(result["sum"], "-15.58");
        assert_eq!(result["entries"], 9);
        assert!(result.get("currency").is_none());
        assert_eq!(
            descriptions(&result),
            [
                "Interest for October",
                "Card fee",
                "Refund from Corner Shop",
                "'=SUM(A1)",
                "'@x",
                "'-5",
                TRICKY,
                ARABIC,
                ""
            ]
        );
        // The person-written note is a cell of its own, neutralised the same way.
        let notes: Vec<&str> =
            result["notes"].as_array().unwrap().iter().map(|note| note.as_str().unwrap()).collect();
        assert_eq!(notes[3], "'=HYPERLINK(\"http://x\")");
        assert!(notes.iter().enumerate().all(|(i, note)| i == 3 || note.is_empty()), "{notes:?}");
    }

    #[test]
    fn csv_neutralises_every_formula_start_but_not_numbers() {
        for (text, expected) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain", "plain"),
            (" =spaced", " =spaced"),
            ("", ""),
        ] {
            assert_eq!(neutralised(text), expected, "{text:?}");
        }
    }

    #[test]
    fn ofx_checks_out_and_escapes_its_text() {
        let bytes = ofx(&statement(), &header()).expect("an OFX file");
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<?OFX OFXHEADER=\"200\" VERSION=\"220\" SECURITY=\"NONE\" OLDFILEUID=\"NONE\" NEWFILEUID=\"NONE\"?>"
        ), "{text}");
        assert!(text.contains("<TRNTYPE>INT</TRNTYPE>"));
        assert!(text.contains("<TRNTYPE>FEE</TRNTYPE>"));
        assert!(text.contains("<TRNAMT>-12.50</TRNAMT>"));
        assert!(text.contains("<DTPOSTED>20261101103000.250[+0:UTC]</DTPOSTED>"), "{text}");
        assert!(text.contains("<DTSTART>20261101000000.000[+0:UTC]</DTSTART>"));
        assert!(text.contains("<BALAMT>-5.58</BALAMT>"));
        assert!(text.contains("<ACCTID>PURSE-1000000007</ACCTID>"));
        assert!(text.contains("&lt;more&gt;"), "{text}");
        // One activity with two entries: the second's FITID is made unique.
        assert!(
            text.contains("<FITID>act_chk1</FITID>") && text.contains("<FITID>act_chk1-2</FITID>"),
            "{text}"
        );
        // NAME: one line, at most 32 characters; the kind when there is no description.
        assert!(text.contains("<NAME>Lunch, &quot;tacos&quot; &amp; &lt;more&gt; thanks</NAME>"), "{text}");
        let long = entry(
            "act_long",
            9,
            ActivityKind::Transfer,
            Direction::Out,
            "1.00",
            "0.00",
            "  A very long\tnote that goes on and on  ",
        );
        assert_eq!(ofx_name(&long), "A very long note that goes on an");
        assert!(text.contains("<NAME>Fee</NAME>"), "{text}");

        let result = checked("ofx", &bytes);
        assert_eq!(result["opening"], "10.00");
        assert_eq!(result["closing"], "-5.58");
        assert_eq!(result["sum"], "-15.58");
        assert_eq!(result["entries"], 9);
        assert_eq!(result["currency"], "USD");
        let descriptions = descriptions(&result);
        assert_eq!(descriptions[3], "=SUM(A1)");
        assert_eq!(descriptions[4], "@x");
        assert_eq!(descriptions[6], TRICKY);
        assert_eq!(descriptions[7], ARABIC);
        assert_eq!(descriptions[8], "Fee");
    }

    #[test]
    fn camt053_checks_out_in_the_xsds_order() {
        let bytes = camt053(&statement(), &header()).expect("a camt.053 document");
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert!(
            text.contains("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"),
            "{text}"
        );
        // Without the indentation, for the structural checks below.
        let flat = text.lines().map(str::trim).collect::<String>();
        // The negative closing balance: DBIT with the absolute amount, on the month's last day.
        assert!(flat.contains(
            "<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">5.58</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt>"
        ), "{text}");
        assert!(flat.contains(
            "<Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt>"
        ), "{text}");
        assert!(flat.contains("<Nm>Layla &amp; Sons &lt;test&gt;</Nm>"), "{text}");
        assert!(flat.contains("<Cd>INTEREST</Cd><Issr>PURSE</Issr>"), "{text}");
        assert!(
            flat.contains("<TtlCdtNtries><NbOfNtries>4</NbOfNtries><Sum>26.42</Sum></TtlCdtNtries>"),
            "{text}"
        );
        assert!(
            flat.contains("<TtlDbtNtries><NbOfNtries>5</NbOfNtries><Sum>42.00</Sum></TtlDbtNtries>"),
            "{text}"
        );
        assert!(
            flat.contains(
                "<FrToDt><FrDtTm>2026-11-01T00:00:00Z</FrDtTm><ToDtTm>2026-12-01T00:00:00Z</ToDtTm></FrToDt>"
            ),
            "{text}"
        );
        assert!(flat.contains("<GrpHdr><MsgId>PURSE-1000000007-20261201060000</MsgId><CreDtTm>2026-12-01T06:00:00.5Z</CreDtTm></GrpHdr>"), "{text}");
        assert!(flat.contains("<Stmt><Id>PURSE-1000000007-202611</Id>"), "{text}");

        let result = checked("camt053", &bytes);
        assert_eq!(result["opening"], "10.00");
        assert_eq!(result["closing"], "-5.58");
        assert_eq!(result["sum"], "-15.58");
        assert_eq!(result["entries"], 9);
        assert_eq!(result["currency"], "USD");
        let descriptions = descriptions(&result);
        assert_eq!(descriptions[3], "=SUM(A1)");
        assert_eq!(descriptions[6], TRICKY);
        assert_eq!(descriptions[7], ARABIC);
        assert_eq!(descriptions[8], "");

        // The XSD's sequences (AccountStatement9, CashBalance8, ReportEntry10).
        assert_eq!(
            children_of(&bytes, "Stmt"),
            [["Id", "CreDtTm", "FrToDt", "Acct", "Bal", "Bal", "TxsSummry"]
                .into_iter()
                .chain(["Ntry"; 9])
                .collect::<Vec<_>>()]
        );
        let full =
            ["NtryRef", "Amt", "CdtDbtInd", "Sts", "BookgDt", "ValDt", "AcctSvcrRef", "BkTxCd", "NtryDtls"];
        let entries = children_of(&bytes, "Ntry");
        assert_eq!(entries.len(), 9);
        for entry in &entries[..8] {
            assert_eq!(entry, &full);
        }
        assert_eq!(entries[8], full[..8]);
        for balance in children_of(&bytes, "Bal") {
            assert_eq!(balance, ["Tp", "Amt", "CdtDbtInd", "Dt"]);
        }
        assert_eq!(children_of(&bytes, "Acct"), [["Id", "Ccy", "Ownr"]]);
    }

    #[test]
    fn three_decimals_and_an_empty_month_keep_their_scale() {
        let mut kwd = Statement {
            month: "2026-11".to_owned(),
            currency: Currency::Kwd,
            opening_balance: "1.250".to_owned(),
            closing_balance: "1.250".to_owned(),
            total_in: "0.000".to_owned(),
            total_out: "0.000".to_owned(),
            interest: "0.000".to_owned(),
            fees: "0.000".to_owned(),
            entries: Vec::new(),
        };
        let mut now = header();
        now.to = "2026-11-15T12:00:00+03:00".to_owned();
        let empty = checked("camt053", &camt053(&kwd, &now).expect("camt"));
        assert_eq!(
            (empty["opening"].as_str(), empty["closing"].as_str(), empty["entries"].as_u64()),
            (Some("1.250"), Some("1.250"), Some(0))
        );
        let text = String::from_utf8(camt053(&kwd, &now).expect("camt")).expect("UTF-8");
        assert!(text.contains("<Sum>0.000</Sum>"), "{text}");
        assert!(text.contains("<ToDtTm>2026-11-15T09:00:00Z</ToDtTm>"), "{text}");
        assert!(text.contains("<Dt>2026-11-15</Dt>"), "{text}");
        let empty = checked("ofx", &ofx(&kwd, &now).expect("ofx"));
        assert_eq!(
            (empty["opening"].as_str(), empty["entries"].as_u64(), empty["currency"].as_str()),
            (Some("1.250"), Some(0), Some("KWD"))
        );
        let empty = checked("csv", &csv(&kwd).expect("csv"));
        assert_eq!((empty["opening"].as_str(), empty["entries"].as_u64()), (None, Some(0)));

        kwd.closing_balance = "0.125".to_owned();
        kwd.entries =
            vec![entry("act_k", 3, ActivityKind::Transfer, Direction::Out, "1.125", "0.125", "Rent")];
        for (format, bytes) in [
            ("csv", csv(&kwd).expect("csv")),
            ("ofx", ofx(&kwd, &now).expect("ofx")),
            ("camt053", camt053(&kwd, &now).expect("camt")),
        ] {
            let result = checked(format, &bytes);
            assert_eq!(
                (result["opening"].as_str(), result["closing"].as_str(), result["sum"].as_str()),
                (Some("1.250"), Some("0.125"), Some("-1.125")),
                "{format}"
            );
        }
    }

    #[test]
    fn the_checker_catches_a_statement_that_does_not_add_up() {
        let mut wrong = statement();
        wrong.closing_balance = "-5.57".to_owned();
        let complaint = check("camt053", &camt053(&wrong, &header()).expect("camt")).expect_err("rejected");
        assert!(complaint.contains("OPBD"), "{complaint}");
        let mut wrong = statement();
        wrong.entries[4].balance_after = "18.93".to_owned();
        let complaint = check("csv", &csv(&wrong).expect("csv")).expect_err("rejected");
        assert!(complaint.contains("balance_after"), "{complaint}");
    }

    #[test]
    fn bad_amounts_and_times_are_errors_not_panics() {
        let mut bad = statement();
        bad.entries[0].amount = "1e3".to_owned();
        assert!(csv(&bad).is_err());
        assert!(ofx(&bad, &header()).is_err());
        assert!(camt053(&bad, &header()).is_err());
        let mut bad = statement();
        bad.entries[0].amount = "-1.00".to_owned();
        assert!(camt053(&bad, &header()).is_err());
        let mut bad = header();
        bad.to = "yesterday".to_owned();
        assert!(ofx(&statement(), &bad).is_err());
        assert!(camt053(&statement(), &bad).is_err());
    }

    #[test]
    fn rfc3339_times_parse_to_utc() {
        let at = instant("2026-11-14T22:13:20.123456789+03:00").expect("a time");
        assert_eq!(ofx_date(at), "20261114191320.123[+0:UTC]");
        assert_eq!(
            iso_date_time(instant("2026-11-01T00:00:00Z").expect("a time")).expect("formatted"),
            "2026-11-01T00:00:00Z"
        );
        for bad in [
            "",
            "2026-11-01",
            "2026-13-01T00:00:00Z",
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00.Z",
            "2026-11-01T25:00:00Z",
            "2026-11-01T00:00:00+3:00",
        ] {
            assert!(instant(bad).is_err(), "{bad}");
        }
    }
}
