//! The API's error codes and error body, shared by the server (which answers with them) and the
//! browser (which shows them). API.md fixes the codes and their HTTP status.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] from one table: variant, wire name, HTTP status.
macro_rules! error_codes {
    ($($variant:ident = $wire:literal => $status:literal,)*) => {
        /// Every error code the API answers with. Serialized as its wire name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The HTTP status API.md pairs with this code.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                }
            }

            /// The code with this wire name (as stored, say), if there is one.
            pub fn parse(wire: &str) -> Option<ErrorCode> {
                match wire {
                    $($wire => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    InvalidRequest = "invalid_request" => 400,
    InvalidAmount = "invalid_amount" => 400,
    InvalidCurrency = "invalid_currency" => 400,
    IdempotencyKeyRequired = "idempotency_key_required" => 400,
    WeakPassword = "weak_password" => 400,
    InvalidCardNumber = "invalid_card_number" => 400,
    InvalidRoutingNumber = "invalid_routing_number" => 400,
    InvalidUrl = "invalid_url" => 400,
    Unauthenticated = "unauthenticated" => 401,
    InvalidCredentials = "invalid_credentials" => 401,
    Forbidden = "forbidden" => 403,
    RegionUnavailable = "region_unavailable" => 403,
    AccountFrozen = "account_frozen" => 403,
    CsrfRejected = "csrf_rejected" => 403,
    PinRequired = "pin_required" => 403,
    PinIncorrect = "pin_incorrect" => 403,
    PinLocked = "pin_locked" => 403,
    PinNotSet = "pin_not_set" => 403,
    NotFound = "not_found" => 404,
    MethodNotAllowed = "method_not_allowed" => 405,
    IdempotencyKeyInUse = "idempotency_key_in_use" => 409,
    HandleTaken = "handle_taken" => 409,
    SecondApproverRequired = "second_approver_required" => 409,
    PayloadTooLarge = "payload_too_large" => 413,
    UnsupportedMediaType = "unsupported_media_type" => 415,
    IdempotencyKeyMismatch = "idempotency_key_mismatch" => 422,
    InsufficientFunds = "insufficient_funds" => 422,
    SelfTransfer = "self_transfer" => 422,
    RecipientNotFound = "recipient_not_found" => 422,
    LimitExceeded = "limit_exceeded" => 422,
    CardDeclined = "card_declined" => 422,
    CardExpired = "card_expired" => 422,
    CheckoutNotOpen = "checkout_not_open" => 422,
    CheckoutExpired = "checkout_expired" => 422,
    RefundExceedsPayment = "refund_exceeds_payment" => 422,
    RequestNotOpen = "request_not_open" => 422,
    CancelWindowClosed = "cancel_window_closed" => 422,
    NotACreator = "not_a_creator" => 422,
    RecipientUnavailable = "recipient_unavailable" => 422,
    QuoteExpired = "quote_expired" => 422,
    VerificationFailed = "verification_failed" => 422,
    RateLimited = "rate_limited" => 429,
    InternalError = "internal_error" => 500,
    ServiceUnavailable = "service_unavailable" => 503,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every non-2xx answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `limit_exceeded`'s figures: which limit, what is used and left, when room comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<crate::compliance::LimitDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_name_matches_serde_name() {
        assert_eq!(ErrorCode::parse("nonsense"), None);
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: Result<ErrorCode, _> = serde_json::from_str(&json);
            assert_eq!(back.ok(), Some(code));
        }
    }

    #[test]
    fn wire_names_are_unique_snake_case() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn statuses_follow_api_md() {
        let cases = [
            (ErrorCode::InvalidRequest, 400),
            (ErrorCode::InvalidAmount, 400),
            (ErrorCode::IdempotencyKeyRequired, 400),
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::CsrfRejected, 403),
            (ErrorCode::PinLocked, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::IdempotencyKeyInUse, 409),
            (ErrorCode::HandleTaken, 409),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::IdempotencyKeyMismatch, 422),
            (ErrorCode::InsufficientFunds, 422),
            (ErrorCode::CancelWindowClosed, 422),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::RegionUnavailable, 403),
            (ErrorCode::AccountFrozen, 403),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::SecondApproverRequired, 409),
            (ErrorCode::RecipientUnavailable, 422),
            (ErrorCode::QuoteExpired, 422),
            (ErrorCode::VerificationFailed, 422),
            (ErrorCode::InternalError, 500),
        ];
        for (code, status) in cases {
            assert_eq!(code.http_status(), status, "{code}");
        }
    }

    #[test]
    fn body_omits_absent_field() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::NotFound,
                message: "No such thing.".into(),
                field: None,
                details: None,
            },
        };
        let json = serde_json::to_string(&body).unwrap_or_default();
        assert_eq!(json, r#"{"error":{"code":"not_found","message":"No such thing."}}"#);
    }
}
