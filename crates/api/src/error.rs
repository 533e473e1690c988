//! The API's error codes and error body, shared by the server (which answers with them) and the
//! browser (which shows them). API.md fixes the codes and their HTTP status.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every error code the API answers with. Serialized in `snake_case`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400
    InvalidRequest,
    InvalidAmount,
    InvalidCurrency,
    IdempotencyKeyRequired,
    WeakPassword,
    InvalidCardNumber,
    InvalidRoutingNumber,
    InvalidUrl,
    // 401
    Unauthenticated,
    InvalidCredentials,
    // 403
    Forbidden,
    CsrfRejected,
    PinRequired,
    PinIncorrect,
    PinLocked,
    PinNotSet,
    // 404
    NotFound,
    // 405
    MethodNotAllowed,
    // 409
    IdempotencyKeyInUse,
    HandleTaken,
    // 413
    PayloadTooLarge,
    // 415
    UnsupportedMediaType,
    // 422
    IdempotencyKeyMismatch,
    InsufficientFunds,
    SelfTransfer,
    RecipientNotFound,
    LimitExceeded,
    CardDeclined,
    CardExpired,
    CheckoutNotOpen,
    CheckoutExpired,
    RefundExceedsPayment,
    RequestNotOpen,
    CancelWindowClosed,
    NotACreator,
    // 429
    RateLimited,
    // 5xx
    InternalError,
    ServiceUnavailable,
}

impl ErrorCode {
    /// The HTTP status API.md pairs with this code.
    pub const fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidRequest
            | InvalidAmount
            | InvalidCurrency
            | IdempotencyKeyRequired
            | WeakPassword
            | InvalidCardNumber
            | InvalidRoutingNumber
            | InvalidUrl => 400,
            Unauthenticated | InvalidCredentials => 401,
            Forbidden | CsrfRejected | PinRequired | PinIncorrect | PinLocked | PinNotSet => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            IdempotencyKeyInUse | HandleTaken => 409,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            IdempotencyKeyMismatch
            | InsufficientFunds
            | SelfTransfer
            | RecipientNotFound
            | LimitExceeded
            | CardDeclined
            | CardExpired
            | CheckoutNotOpen
            | CheckoutExpired
            | RefundExceedsPayment
            | RequestNotOpen
            | CancelWindowClosed
            | NotACreator => 422,
            RateLimited => 429,
            InternalError => 500,
            ServiceUnavailable => 503,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidAmount => "invalid_amount",
            InvalidCurrency => "invalid_currency",
            IdempotencyKeyRequired => "idempotency_key_required",
            WeakPassword => "weak_password",
            InvalidCardNumber => "invalid_card_number",
            InvalidRoutingNumber => "invalid_routing_number",
            InvalidUrl => "invalid_url",
            Unauthenticated => "unauthenticated",
            InvalidCredentials => "invalid_credentials",
            Forbidden => "forbidden",
            CsrfRejected => "csrf_rejected",
            PinRequired => "pin_required",
            PinIncorrect => "pin_incorrect",
            PinLocked => "pin_locked",
            PinNotSet => "pin_not_set",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            IdempotencyKeyInUse => "idempotency_key_in_use",
            HandleTaken => "handle_taken",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            IdempotencyKeyMismatch => "idempotency_key_mismatch",
            InsufficientFunds => "insufficient_funds",
            SelfTransfer => "self_transfer",
            RecipientNotFound => "recipient_not_found",
            LimitExceeded => "limit_exceeded",
            CardDeclined => "card_declined",
            CardExpired => "card_expired",
            CheckoutNotOpen => "checkout_not_open",
            CheckoutExpired => "checkout_expired",
            RefundExceedsPayment => "refund_exceeds_payment",
            RequestNotOpen => "request_not_open",
            CancelWindowClosed => "cancel_window_closed",
            NotACreator => "not_a_creator",
            RateLimited => "rate_limited",
            InternalError => "internal_error",
            ServiceUnavailable => "service_unavailable",
        }
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorCode; 38] = {
        use ErrorCode::*;
        [
            InvalidRequest,
            InvalidAmount,
            InvalidCurrency,
            IdempotencyKeyRequired,
            WeakPassword,
            InvalidCardNumber,
            InvalidRoutingNumber,
            InvalidUrl,
            Unauthenticated,
            InvalidCredentials,
            Forbidden,
            CsrfRejected,
            PinRequired,
            PinIncorrect,
            PinLocked,
            PinNotSet,
            NotFound,
            MethodNotAllowed,
            IdempotencyKeyInUse,
            HandleTaken,
            PayloadTooLarge,
            UnsupportedMediaType,
            IdempotencyKeyMismatch,
            InsufficientFunds,
            SelfTransfer,
            RecipientNotFound,
            LimitExceeded,
            CardDeclined,
            CardExpired,
            CheckoutNotOpen,
            CheckoutExpired,
            RefundExceedsPayment,
            RequestNotOpen,
            CancelWindowClosed,
            NotACreator,
            RateLimited,
            InternalError,
            ServiceUnavailable,
        ]
    };

    #[test]
    fn wire_name_matches_serde_name() {
        for code in ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: Result<ErrorCode, _> = serde_json::from_str(&json);
            assert_eq!(back.ok(), Some(code));
        }
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
            (ErrorCode::InternalError, 500),
        ];
        for (code, status) in cases {
            assert_eq!(code.http_status(), status, "{code}");
        }
    }

    #[test]
    fn body_omits_absent_field() {
        let body = ErrorBody {
            error: ErrorDetail { code: ErrorCode::NotFound, message: "No such thing.".into(), field: None },
        };
        let json = serde_json::to_string(&body).unwrap_or_default();
        assert_eq!(json, r#"{"error":{"code":"not_found","message":"No such thing."}}"#);
    }
}
