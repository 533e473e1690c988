//! The card form's checks: the number grouped as it is typed (4-4-4-4, American Express 4-6-5)
//! with its brand shown, whether it can be a card (Luhn and brand, `purse_api::funding`'s
//! rules), the expiry in one "MM / YY" field (the slash put in as it is typed, pastes like
//! `12/29`, `1229` or `12/2029` taken; not in the past) and the CVC (as many digits as the brand
//! prints). What passes becomes the [`CardDetails`] the form posts to the card network, never
//! to the wallet: the month and the year the network's API takes, split out of "MM / YY".
//!
//! Nothing here logs, prints or keeps the number: problems name the field, not what was typed.

use purse_api::funding::{card_brand, card_digits, card_unexpired, is_valid_card_number};
use purse_api::{CardBrand, CardDetails, ErrorCode};

use crate::api_client::ApiError;
use crate::text::{Funding, t};

/// The longest card number there is.
const MAX_DIGITS: usize = 19;

/// What the number field holds so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberStatus {
    Empty,
    /// Could still become a card number; the brand once the first digits tell it.
    Incomplete(Option<CardBrand>),
    /// A card number Purse takes.
    Valid(CardBrand),
    /// Cannot become one: a letter, too long, or as long as the brand's numbers and failing the
    /// check.
    Invalid,
}

/// How many digits a brand's numbers usually have: past it, a failing number is a typo.
fn usual_length(brand: Option<CardBrand>) -> usize {
    if brand == Some(CardBrand::Amex) { 15 } else { 16 }
}

/// The number field as typed (spaces and dashes allowed).
pub fn number_status(typed: &str) -> NumberStatus {
    let Some(digits) = card_digits(typed) else { return NumberStatus::Invalid };
    let brand = card_brand(&digits);
    match brand {
        _ if digits.is_empty() => NumberStatus::Empty,
        Some(brand) if is_valid_card_number(&digits) => NumberStatus::Valid(brand),
        _ if digits.len() >= MAX_DIGITS || digits.len() >= usual_length(brand) => NumberStatus::Invalid,
        _ => NumberStatus::Incomplete(brand),
    }
}

/// The brand to show next to the number field as it is typed, once the first digits tell it.
pub fn brand_shown(typed: &str) -> Option<&'static str> {
    match number_status(typed) {
        NumberStatus::Valid(brand) | NumberStatus::Incomplete(Some(brand)) => Some(brand.label()),
        _ => None,
    }
}

/// The problem to show on the number field while typing: only once it cannot become a card
/// number (a half-typed number is not an error yet).
pub fn live_number_problem(typed: &str) -> Option<&'static str> {
    (number_status(typed) == NumberStatus::Invalid).then(|| t(Funding::CardNumberInvalid))
}

/// The number as it is shown while typed: its digits only (at most 19), in groups of four, or
/// 4-6-5 for American Express, whose cards print it so.
pub fn group_number(typed: &str) -> String {
    let digits: String = typed.chars().filter(char::is_ascii_digit).take(MAX_DIGITS).collect();
    let groups: &[usize] =
        if card_brand(&digits) == Some(CardBrand::Amex) { &[4, 6, 5] } else { &[4, 4, 4, 4, 3] };
    let mut grouped = String::with_capacity(digits.len() + groups.len());
    let mut rest = digits.as_str();
    for &size in groups {
        if rest.is_empty() {
            break;
        }
        let (group, after) = rest.split_at(size.min(rest.len()));
        if !grouped.is_empty() {
            grouped.push(' ');
        }
        grouped.push_str(group);
        rest = after;
    }
    grouped
}

/// When a deletion in the grouped number took only a space away (Backspace just after a group's
/// space, Delete just before it), the digit beyond that space goes instead, as people expect:
/// else the space comes straight back and nothing seems to happen. Given the text before
/// (`previous`) and after the deletion (`typed`) with the caret in it, returns the text with
/// that digit gone and where the caret goes; `None` when a digit was deleted.
pub fn delete_past_space(
    previous: &str,
    typed: &str,
    caret: usize,
    forward: bool,
) -> Option<(String, usize)> {
    let spaces_only = typed.len() + 1 == previous.len() && only_digits(typed) == only_digits(previous);
    if !spaces_only {
        return None;
    }
    let at = if forward { caret } else { caret.checked_sub(1)? };
    typed.as_bytes().get(at).filter(|c| c.is_ascii_digit())?;
    let mut text = typed.to_string();
    text.remove(at);
    Some((text, at))
}

/// Where the caret goes in `formatted` so that `digits_before` digits stand before it (as many
/// as stood before it in what was typed): the caret stays with the digit the person was at.
pub fn caret_after_digits(formatted: &str, digits_before: usize) -> usize {
    if digits_before == 0 {
        return 0;
    }
    let mut seen = 0;
    for (at, c) in formatted.char_indices() {
        if c.is_ascii_digit() {
            seen += 1;
            if seen == digits_before {
                return at + 1;
            }
        }
    }
    formatted.len()
}

/// Digits only.
fn only_digits(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).collect()
}

/// The expiry as typed, cut into its month and year digits: at a slash when there is one
/// (`1/29` is January), else after two digits (`1229`, `122029`); a lone first digit above 1
/// can only be a month (`4` is April, `04`).
fn expiry_parts(typed: &str) -> (String, String) {
    match typed.split_once('/') {
        Some((month, year)) => {
            let month = only_digits(month);
            let month = if month.len() == 1 { format!("0{month}") } else { month };
            (month, only_digits(year))
        }
        None => {
            let digits = only_digits(typed);
            let first = digits.bytes().next();
            match first {
                None => (String::new(), String::new()),
                Some(b'2'..=b'9') => (format!("0{}", &digits[..1]), digits[1..].to_string()),
                Some(_) if digits.len() < 2 => (digits, String::new()),
                Some(_) => (digits[..2].to_string(), digits[2..].to_string()),
            }
        }
    }
}

/// A year's digits as the field shows them: two (a four-digit `2029` becomes `29`).
fn short_year(year: &str) -> &str {
    if year.len() >= 4 && year.starts_with("20") { &year[2..4] } else { &year[..year.len().min(2)] }
}

/// The expiry field as it is shown while typed: `MM / YY`. The slash comes by itself once the
/// month has two digits, except while deleting (so Backspace can take it away again).
pub fn format_expiry(typed: &str, deleting: bool) -> String {
    let (month, year) = expiry_parts(typed);
    let month = &month[..month.len().min(2)];
    let year = short_year(&year);
    if month.len() == 2 && (!year.is_empty() || !deleting) {
        format!("{month} / {year}")
    } else {
        month.to_string()
    }
}

/// The expiry field read as `(month, year)` (the year in four digits) at `now` (`(month,
/// year)`), or what is wrong with it: no month 01–12, no two- or four-digit year, or past.
pub fn parse_expiry(typed: &str, now: (u32, u32)) -> Result<(u32, u32), Funding> {
    let (month, year) = expiry_parts(typed);
    if month.is_empty() || year.is_empty() {
        return Err(Funding::CardExpiryFormat);
    }
    let month: u32 = month
        .parse()
        .ok()
        .filter(|m| month.len() == 2 && (1..=12).contains(m))
        .ok_or(Funding::CardMonthInvalid)?;
    let year: u32 = match year.len() {
        2 => 2000 + year.parse::<u32>().map_err(|_| Funding::CardExpiryFormat)?,
        4 => year.parse().map_err(|_| Funding::CardExpiryFormat)?,
        _ => return Err(Funding::CardExpiryFormat),
    };
    if !card_unexpired(month, year, now.0, now.1) {
        return Err(Funding::CardExpiredText);
    }
    Ok((month, year))
}

/// The problem to show on the expiry field while typing: only a month that cannot be one
/// (`13`, `00`); the rest waits for the form to be sent.
pub fn live_expiry_problem(typed: &str) -> Option<&'static str> {
    let (month, _) = expiry_parts(typed);
    let bad = month.len() >= 2
        && !month.get(..2).and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| (1..=12).contains(&m));
    bad.then(|| t(Funding::CardMonthInvalid))
}

/// What the card form holds, as typed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CardFields {
    pub number: String,
    /// "MM / YY", or however it was pasted.
    pub expiry: String,
    pub cvc: String,
}

impl std::fmt::Debug for CardFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the number or the CVC, not even in a failing test's message.
        f.debug_struct("CardFields").field("expiry", &self.expiry).finish_non_exhaustive()
    }
}

/// Problems, on the field they belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardProblems {
    pub number: Option<String>,
    /// The "MM / YY" field.
    pub expiry: Option<String>,
    pub cvc: Option<String>,
    /// Not about one field: above the button.
    pub form: Option<String>,
}

impl CardProblems {
    pub fn is_empty(&self) -> bool {
        *self == CardProblems::default()
    }
}

/// The form's fields checked at `now` (`(month, year)`, the browser's clock): the details to
/// post to the card network, or every problem at once.
pub fn check(fields: &CardFields, now: (u32, u32)) -> Result<CardDetails, CardProblems> {
    let mut problems = CardProblems::default();
    let status = number_status(&fields.number);
    let brand = match status {
        NumberStatus::Valid(brand) => Some(brand),
        _ => {
            problems.number = Some(t(Funding::CardNumberInvalid).to_string());
            None
        }
    };
    let expiry = parse_expiry(&fields.expiry, now);
    if let Err(text) = expiry {
        problems.expiry = Some(t(text).to_string());
    }
    let cvc = fields.cvc.trim();
    let cvc_fits = match brand {
        Some(brand) => cvc.len() == brand.cvc_digits(),
        None => (3..=4).contains(&cvc.len()),
    };
    if !cvc_fits || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        problems.cvc = Some(t(Funding::CardCvcInvalid).to_string());
    }
    match (problems.is_empty(), card_digits(&fields.number), expiry) {
        (true, Some(number), Ok((exp_month, exp_year))) => {
            Ok(CardDetails { number, exp_month, exp_year, cvc: cvc.to_string() })
        }
        _ => Err(problems),
    }
}

/// Where a refusal from the card network or from `POST /cards` belongs on the form.
pub fn problems_from(error: ApiError) -> CardProblems {
    let mut problems = CardProblems::default();
    match (error.code, error.field.as_deref()) {
        (Some(ErrorCode::InvalidCardNumber), _) | (_, Some("number")) => {
            problems.number = Some(error.message)
        }
        (Some(ErrorCode::CardExpired), _) | (_, Some("exp_month" | "exp_year")) => {
            problems.expiry = Some(error.message)
        }
        (_, Some("cvc")) => problems.cvc = Some(error.message),
        _ => problems.form = Some(error.message),
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: (u32, u32) = (11, 2026);

    fn fields(number: &str, expiry: &str, cvc: &str) -> CardFields {
        CardFields { number: number.into(), expiry: expiry.into(), cvc: cvc.into() }
    }

    #[test]
    fn the_number_tells_its_brand_as_it_is_typed_and_is_wrong_only_once_it_cannot_be_right() {
        let cases = [
            ("", NumberStatus::Empty),
            ("4", NumberStatus::Incomplete(Some(CardBrand::Visa))),
            ("4242 4242", NumberStatus::Incomplete(Some(CardBrand::Visa))),
            ("5555-5555-5555-444", NumberStatus::Incomplete(Some(CardBrand::Mastercard))),
            ("9", NumberStatus::Incomplete(None)),
            ("4242 4242 4242 4242", NumberStatus::Valid(CardBrand::Visa)),
            ("5555555555554444", NumberStatus::Valid(CardBrand::Mastercard)),
            ("378282246310005", NumberStatus::Valid(CardBrand::Amex)),
            ("4242 4242 4242 4241", NumberStatus::Invalid),
            ("37828224631000", NumberStatus::Incomplete(Some(CardBrand::Amex))),
            ("378282246310006", NumberStatus::Invalid),
            ("9999 9999 9999 9995", NumberStatus::Invalid),
            ("4242 42a2", NumberStatus::Invalid),
        ];
        for (typed, expected) in cases {
            assert_eq!(number_status(typed), expected, "{typed:?}");
        }
        assert_eq!(brand_shown("4242"), Some("Visa"));
        assert_eq!(brand_shown("34"), Some("American Express"));
        assert_eq!(brand_shown("4242 4242 4242 4241"), None);
        assert_eq!(live_number_problem("4242 4242"), None, "half-typed is not wrong yet");
        assert_eq!(live_number_problem("4242 4242 4242 4241"), Some(t(Funding::CardNumberInvalid)));
    }

    #[test]
    fn a_good_card_becomes_the_details_for_the_card_network() {
        let details = check(&fields("4242 4242 4242 4242", "12 / 30", "123"), NOW);
        assert_eq!(
            details,
            Ok(CardDetails {
                number: "4242424242424242".into(),
                exp_month: 12,
                exp_year: 2030,
                cvc: "123".into()
            })
        );
        // A four-digit year, a one-digit month, the month this is.
        let details = check(&fields("5555555555554444", "1/2027", "999"), NOW);
        assert_eq!(details.map(|d| (d.exp_month, d.exp_year)), Ok((1, 2027)));
        assert!(check(&fields("4242424242424242", "11 / 26", "123"), NOW).is_ok(), "good to the month's end");
        // American Express prints four digits.
        assert!(check(&fields("378282246310005", "12 / 30", "1234"), NOW).is_ok());
    }

    #[test]
    fn the_form_refuses_what_the_card_network_would_each_on_its_field() {
        let problems = |f: CardFields| check(&f, NOW).err().unwrap_or_default();
        let bad_number = problems(fields("4242424242424241", "12 / 30", "123"));
        assert_eq!(bad_number.number.as_deref(), Some(t(Funding::CardNumberInvalid)));
        assert_eq!((bad_number.expiry, bad_number.cvc), (None, None));
        assert_eq!(
            problems(fields("4242", "12 / 30", "123")).number.as_deref(),
            Some(t(Funding::CardNumberInvalid))
        );

        for (expiry, text) in [
            ("13 / 30", Funding::CardMonthInvalid),
            ("00 / 30", Funding::CardMonthInvalid),
            ("0/30", Funding::CardMonthInvalid),
            ("", Funding::CardExpiryFormat),
            ("12 / 3", Funding::CardExpiryFormat),
            ("12 / 203", Funding::CardExpiryFormat),
            ("12 / ", Funding::CardExpiryFormat),
            ("10 / 26", Funding::CardExpiredText),
            ("12/2025", Funding::CardExpiredText),
        ] {
            let found = problems(fields("4242424242424242", expiry, "123"));
            assert_eq!(found.expiry.as_deref(), Some(t(text)), "{expiry:?}");
        }

        for cvc in ["12", "1234", "12a", ""] {
            let found = problems(fields("4242424242424242", "12 / 30", cvc));
            assert_eq!(found.cvc.as_deref(), Some(t(Funding::CardCvcInvalid)), "{cvc:?}");
        }
        assert!(problems(fields("378282246310005", "12 / 30", "123")).cvc.is_some(), "Amex wants 4");

        let everything = problems(fields("", "", ""));
        assert!(everything.number.is_some() && everything.expiry.is_some() && everything.cvc.is_some());
    }

    #[test]
    fn the_number_is_grouped_as_its_brand_prints_it_and_the_caret_keeps_its_digit() {
        let cases = [
            ("", ""),
            ("4", "4"),
            ("4242", "4242"),
            ("42424", "4242 4"),
            ("4242424242424242", "4242 4242 4242 4242"),
            ("4242-4242 42424242", "4242 4242 4242 4242"),
            ("5555 5555 5555 4444", "5555 5555 5555 4444"),
            // American Express: 4-6-5.
            ("3782", "3782"),
            ("378282", "3782 82"),
            ("378282246310005", "3782 822463 10005"),
            ("3782 8224 6310 005", "3782 822463 10005"),
            // Nineteen digits at most, the last three together; letters never land.
            ("6011000990139424123", "6011 0009 9013 9424 123"),
            ("60110009901394241234", "6011 0009 9013 9424 123"),
            ("4242a", "4242"),
        ];
        for (typed, shown) in cases {
            assert_eq!(group_number(typed), shown, "{typed:?}");
        }
        // Grouping never changes what the number is.
        for typed in ["4242424242424242", "378282246310005", "5555555555554444"] {
            assert_eq!(number_status(&group_number(typed)), number_status(typed));
        }
        assert_eq!(brand_shown(&group_number("5555555555554444")), Some("Mastercard"));
        // Backspace just after a group's space takes the digit before it; Delete just before a
        // space takes the digit after it; deleting a digit is left alone.
        assert_eq!(delete_past_space("4242 4242", "42424242", 4, false), Some(("4244242".into(), 3)));
        assert_eq!(group_number("4244242"), "4244 242");
        assert_eq!(delete_past_space("4242 4242", "42424242", 4, true), Some(("4242242".into(), 4)));
        assert_eq!(delete_past_space("4242 4242", "4242 424", 8, false), None);
        assert_eq!(delete_past_space("4242 4242", "4242 242", 5, false), None);
        assert_eq!(delete_past_space("4242 ", "4242", 4, false), None, "a trailing space has no digit after");
        assert_eq!(brand_shown(&group_number("378282246310005")), Some("American Express"));

        // Typing the fifth digit at the end puts the caret after it, past the new space.
        assert_eq!(caret_after_digits("4242 4", 5), 6);
        assert_eq!(caret_after_digits("4242 4242", 4), 4);
        assert_eq!(caret_after_digits("3782 822463 1", 7), 8);
        assert_eq!(caret_after_digits("4242", 0), 0);
        assert_eq!(caret_after_digits("42", 9), 2, "past the end: the end");
    }

    #[test]
    fn the_expiry_is_one_field_the_slash_comes_by_itself_and_pastes_are_taken() {
        let typing = [
            ("", ""),
            ("1", "1"),
            ("0", "0"),
            ("12", "12 / "),
            ("4", "04 / "),
            ("12 / 2", "12 / 2"),
            ("12 / 29", "12 / 29"),
            ("12 / 299", "12 / 29"),
            ("1/", "01 / "),
            // Pasted.
            ("12/29", "12 / 29"),
            ("1229", "12 / 29"),
            ("12/2029", "12 / 29"),
            ("122029", "12 / 29"),
            ("12 / 2029", "12 / 29"),
            (" 3/31 ", "03 / 31"),
        ];
        for (typed, shown) in typing {
            assert_eq!(format_expiry(typed, false), shown, "{typed:?}");
        }
        // Backspace takes the slash away rather than fighting it.
        assert_eq!(format_expiry("12 /", true), "12");
        assert_eq!(format_expiry("12 / ", true), "12");
        assert_eq!(format_expiry("12 / 2", true), "12 / 2");
        assert_eq!(format_expiry("1", true), "1");

        let read = |typed: &str| parse_expiry(typed, NOW);
        for (typed, expected) in [
            ("12 / 29", Ok((12, 2029))),
            ("12/29", Ok((12, 2029))),
            ("1229", Ok((12, 2029))),
            ("12/2029", Ok((12, 2029))),
            ("1/30", Ok((1, 2030))),
            ("11 / 26", Ok((11, 2026))),
            ("13/29", Err(Funding::CardMonthInvalid)),
            ("00/29", Err(Funding::CardMonthInvalid)),
            ("10 / 26", Err(Funding::CardExpiredText)),
            ("01 / 20", Err(Funding::CardExpiredText)),
            ("12 / 2", Err(Funding::CardExpiryFormat)),
            ("12", Err(Funding::CardExpiryFormat)),
            ("", Err(Funding::CardExpiryFormat)),
            ("ab/cd", Err(Funding::CardExpiryFormat)),
        ] {
            assert_eq!(read(typed), expected, "{typed:?}");
        }
        // Whatever the field shows, read back, is what was pasted.
        for pasted in ["12/29", "1229", "12/2029", "3/31"] {
            assert_eq!(read(&format_expiry(pasted, false)), read(pasted), "{pasted:?}");
        }

        assert_eq!(live_expiry_problem("13"), Some(t(Funding::CardMonthInvalid)));
        assert_eq!(live_expiry_problem("00 / "), Some(t(Funding::CardMonthInvalid)));
        assert_eq!(live_expiry_problem("1"), None, "half-typed is not wrong yet");
        assert_eq!(live_expiry_problem("12 / 2"), None);
    }

    #[test]
    fn problems_never_repeat_the_number() {
        let problems = check(&fields("4242424242424241", "12 / 30", "123"), NOW).err().unwrap_or_default();
        let shown = format!("{problems:?}");
        assert!(!shown.contains("4242") && !shown.contains("123"), "{shown}");
    }

    #[test]
    fn refusals_land_on_their_field() {
        let refused = |code: ErrorCode, field: Option<&str>| ApiError {
            status: Some(code.http_status()),
            code: Some(code),
            message: "no".into(),
            field: field.map(Into::into),
        };
        assert!(problems_from(refused(ErrorCode::InvalidCardNumber, Some("number"))).number.is_some());
        assert!(problems_from(refused(ErrorCode::CardExpired, None)).expiry.is_some());
        assert!(problems_from(refused(ErrorCode::InvalidRequest, Some("exp_month"))).expiry.is_some());
        assert!(problems_from(refused(ErrorCode::InvalidRequest, Some("cvc"))).cvc.is_some());
        assert!(problems_from(refused(ErrorCode::CardDeclined, None)).form.is_some());
        assert!(problems_from(ApiError::network()).form.is_some());
    }
}
