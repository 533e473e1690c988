//! The card form's checks: the brand shown as the number is typed, whether the number can be a
//! card (Luhn and brand, `purse_api::funding`'s rules), the expiry (a month and a two- or
//! four-digit year, not in the past) and the CVC (as many digits as the brand prints). What
//! passes becomes the [`CardDetails`] the form posts to the card network, never to the wallet.
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

/// What the card form holds, as typed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CardFields {
    pub number: String,
    pub month: String,
    pub year: String,
    pub cvc: String,
}

impl std::fmt::Debug for CardFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the number or the CVC, not even in a failing test's message.
        f.debug_struct("CardFields")
            .field("month", &self.month)
            .field("year", &self.year)
            .finish_non_exhaustive()
    }
}

/// Problems, on the field they belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardProblems {
    pub number: Option<String>,
    /// The month or the year (one message under both).
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

/// A month as typed: `3`, `03`, `12`.
fn month(typed: &str) -> Option<u32> {
    let typed = typed.trim();
    let ok = (1..=2).contains(&typed.len()) && typed.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| typed.parse().ok()).flatten().filter(|m| (1..=12).contains(m))
}

/// A year as typed: `30` (this century) or `2030`.
fn year(typed: &str) -> Option<u32> {
    let typed = typed.trim();
    if !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = typed.parse().ok()?;
    match typed.len() {
        2 => Some(2000 + number),
        4 => Some(number),
        _ => None,
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
    let expiry = match (month(&fields.month), year(&fields.year)) {
        (None, _) => Err(Funding::CardMonthInvalid),
        (_, None) => Err(Funding::CardYearInvalid),
        (Some(m), Some(y)) if !card_unexpired(m, y, now.0, now.1) => Err(Funding::CardExpiredText),
        (Some(m), Some(y)) => Ok((m, y)),
    };
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

    fn fields(number: &str, month: &str, year: &str, cvc: &str) -> CardFields {
        CardFields { number: number.into(), month: month.into(), year: year.into(), cvc: cvc.into() }
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
        let details = check(&fields("4242 4242 4242 4242", "12", "30", "123"), NOW);
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
        let details = check(&fields("5555555555554444", "1", "2027", "999"), NOW);
        assert_eq!(details.map(|d| (d.exp_month, d.exp_year)), Ok((1, 2027)));
        assert!(
            check(&fields("4242424242424242", "11", "26", "123"), NOW).is_ok(),
            "good to the month's end"
        );
        // American Express prints four digits.
        assert!(check(&fields("378282246310005", "12", "30", "1234"), NOW).is_ok());
    }

    #[test]
    fn the_form_refuses_what_the_card_network_would_each_on_its_field() {
        let problems = |f: CardFields| check(&f, NOW).err().unwrap_or_default();
        let bad_number = problems(fields("4242424242424241", "12", "30", "123"));
        assert_eq!(bad_number.number.as_deref(), Some(t(Funding::CardNumberInvalid)));
        assert_eq!((bad_number.expiry, bad_number.cvc), (None, None));
        assert_eq!(
            problems(fields("4242", "12", "30", "123")).number.as_deref(),
            Some(t(Funding::CardNumberInvalid))
        );

        for (month, year, text) in [
            ("13", "30", Funding::CardMonthInvalid),
            ("0", "30", Funding::CardMonthInvalid),
            ("", "30", Funding::CardMonthInvalid),
            ("12", "3", Funding::CardYearInvalid),
            ("12", "203", Funding::CardYearInvalid),
            ("12", "", Funding::CardYearInvalid),
            ("10", "26", Funding::CardExpiredText),
            ("12", "2025", Funding::CardExpiredText),
        ] {
            let found = problems(fields("4242424242424242", month, year, "123"));
            assert_eq!(found.expiry.as_deref(), Some(t(text)), "{month}/{year}");
        }

        for cvc in ["12", "1234", "12a", ""] {
            let found = problems(fields("4242424242424242", "12", "30", cvc));
            assert_eq!(found.cvc.as_deref(), Some(t(Funding::CardCvcInvalid)), "{cvc:?}");
        }
        assert!(problems(fields("378282246310005", "12", "30", "123")).cvc.is_some(), "Amex wants 4");

        let everything = problems(fields("", "", "", ""));
        assert!(everything.number.is_some() && everything.expiry.is_some() && everything.cvc.is_some());
    }

    #[test]
    fn problems_never_repeat_the_number() {
        let problems = check(&fields("4242424242424241", "12", "30", "123"), NOW).err().unwrap_or_default();
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
