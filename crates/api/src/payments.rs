//! Sending and requesting money on the wire, and the rules the browser and the server share:
//! when a PIN is needed, how a note is cleaned.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency::Currency;
use crate::handle::Handle;
use crate::money::{Amount, MoneyError};
use crate::text::{Lines, TextError, clean_bounded};

/// Sends and tips above this many minor units need the payment PIN (50.00 USD).
pub const STEP_UP_THRESHOLD_MINOR: i64 = 5_000;
/// Notes and messages: at most this many characters, after cleaning.
pub const NOTE_MAX_CHARS: usize = 280;

/// Whether moving `amount` needs the payment PIN: strictly above the step-up threshold.
pub fn needs_pin(amount: Amount) -> bool {
    amount.to_minor() > STEP_UP_THRESHOLD_MINOR
}

/// An amount as the client wrote it. API.md takes amounts only as JSON strings; a JSON number
/// (or anything else) is kept as [`AmountText::NotText`] so that the answer is
/// `400 invalid_amount` naming the field rather than a generic type error.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AmountText {
    Text(String),
    NotText,
}

impl AmountText {
    /// API.md's amount rule for `currency`.
    pub fn parse(&self, currency: &str) -> Result<Amount, MoneyError> {
        match self {
            AmountText::Text(text) => Amount::parse(text, currency),
            // The currency is still checked first, as for text.
            AmountText::NotText => Currency::parse_enabled(currency).and(Err(MoneyError::Malformed)),
        }
    }
}

impl From<&str> for AmountText {
    fn from(text: &str) -> AmountText {
        AmountText::Text(text.to_string())
    }
}

impl Serialize for AmountText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AmountText::Text(text) => serializer.serialize_str(text),
            AmountText::NotText => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for AmountText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AmountText, D::Error> {
        struct AnyJson;
        impl<'de> Visitor<'de> for AnyJson {
            type Value = AmountText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<AmountText, E> {
                Ok(AmountText::Text(text.to_string()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<AmountText, E> {
                Ok(AmountText::Text(text))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_unit<E: de::Error>(self) -> Result<AmountText, E> {
                Ok(AmountText::NotText)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<AmountText, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(AmountText::NotText)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<AmountText, A::Error> {
                while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(AmountText::NotText)
            }
        }
        deserializer.deserialize_any(AnyJson)
    }
}

/// Why a note was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a note has at most {NOTE_MAX_CHARS} characters")]
    TooLong,
}

/// A note as stored, cleaned by the one rule for person-written text
/// ([`crate::text::clean_text`], keeping line breaks); `None` when nothing is left; at most
/// [`NOTE_MAX_CHARS`] characters after cleaning.
pub fn clean_note(raw: Option<&str>) -> Result<Option<String>, NoteError> {
    let Some(raw) = raw else { return Ok(None) };
    match clean_bounded(raw, Lines::Many, NOTE_MAX_CHARS) {
        Ok(note) => Ok(Some(note)),
        Err(TextError::Empty) => Ok(None),
        Err(TextError::TooLong(_)) => Err(NoteError::TooLong),
    }
}

/// `POST /transfers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub to: Handle,
    pub amount: AmountText,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// In the grace window of a first payment: the sender can still cancel.
    Pending,
    Completed,
    Canceled,
}

/// A payment from the signed-in person to someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: String,
    pub status: TransferStatus,
    pub to: Handle,
    pub amount: String,
    pub currency: Currency,
    pub note: Option<String>,
    /// While pending: when the grace window ends (RFC 3339) and the payment completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelable_until: Option<String>,
    pub created_at: String,
    /// A held movement's review (always the generic one; see `ops::Review`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::ops::Review>,
}

/// `{"transfer": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferResponse {
    pub transfer: Transfer,
}

/// `POST /requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMoneyRequest {
    pub from: Handle,
    pub amount: AmountText,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Open,
    Paid,
    Declined,
    Canceled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Paid => "paid",
            RequestStatus::Declined => "declined",
            RequestStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<RequestStatus> {
        [RequestStatus::Open, RequestStatus::Paid, RequestStatus::Declined, RequestStatus::Canceled]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A request for money: `to` asked `from` to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyRequest {
    pub id: String,
    pub status: RequestStatus,
    /// Who is asked to pay.
    pub from: PersonRef,
    /// Who asked, and receives.
    pub to: PersonRef,
    pub amount: String,
    pub currency: Currency,
    pub note: Option<String>,
    pub created_at: String,
    /// On an open request in `GET /requests?direction=incoming` only: whether the payer
    /// (`from`, the reader) has an earlier pending or completed payment to the requester (`to`),
    /// by the rule that decides a send's grace window. `false` warns the payer that the name
    /// may belong to someone new: display names are not unique. Absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_paid_before: Option<bool>,
}

/// A person named in a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub handle: Handle,
    pub display_name: String,
}

/// `{"request": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestResponse {
    pub request: MoneyRequest,
}

/// `GET /requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub items: Vec<MoneyRequest>,
    pub next_cursor: Option<String>,
}

/// `POST /requests/{id}/pay`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRequestBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// `POST /requests/{id}/pay` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidRequest {
    pub request: MoneyRequest,
    pub transfer: Transfer,
}

#[cfg(test)]
mod tests {
    use super::*;

    type NoteCase<'a> = (Option<&'a str>, Result<Option<&'a str>, NoteError>);

    #[test]
    fn notes_lose_hidden_characters_and_keep_the_rest() {
        let cases: [NoteCase<'_>; 9] = [
            (None, Ok(None)),
            (Some(""), Ok(None)),
            (Some("  \u{200B} "), Ok(None)),
            (Some("  lunch 🍕 "), Ok(Some("lunch 🍕"))),
            (Some("pay\u{202E}moc.liame"), Ok(Some("paymoc.liame"))),
            (Some("a\u{2066}b\u{2069}c\u{200D}d\u{FEFF}"), Ok(Some("abcd"))),
            (Some("line one\nline two\u{0007}"), Ok(Some("line one\nline two"))),
            (Some("شكرا على الغداء"), Ok(Some("شكرا على الغداء"))),
            (Some(&"x".repeat(281)), Err(NoteError::TooLong)),
        ];
        for (raw, expected) in cases {
            assert_eq!(clean_note(raw), expected.map(|o| o.map(str::to_string)), "{raw:?}");
        }
        // The limit counts characters, not bytes, and applies after cleaning.
        let long = format!("{}{}", "é".repeat(280), "\u{200B}".repeat(5));
        assert_eq!(clean_note(Some(&long)).map(|n| n.map(|n| n.chars().count())), Ok(Some(280)));
    }

    #[test]
    fn amounts_arrive_as_text_or_are_refused_as_amounts() {
        let body: SendRequest = serde_json::from_str(r#"{"to":"bob","amount":5,"currency":"USD"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body.amount, AmountText::NotText);
        assert_eq!(body.amount.parse("USD").map_err(|e| e.code()), Err(crate::ErrorCode::InvalidAmount));
        assert_eq!(body.amount.parse("XXX").map_err(|e| e.code()), Err(crate::ErrorCode::InvalidCurrency));
        let body: SendRequest = serde_json::from_str(r#"{"to":"@Bob","amount":"5.00","currency":"USD"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body.to.as_str(), "bob");
        assert_eq!(body.amount.parse("USD").map(|a| a.to_minor()), Ok(500));
    }

    #[test]
    fn the_pin_is_needed_strictly_above_the_threshold() {
        let amount = |text: &str| Amount::parse(text, "USD").unwrap_or_else(|e| panic!("{e}"));
        assert!(!needs_pin(amount("50.00")));
        assert!(needs_pin(amount("50.01")));
        assert!(!needs_pin(amount("0.01")));
    }
}
