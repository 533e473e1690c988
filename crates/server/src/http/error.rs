//! `ApiError`: every failure an HTTP handler can answer with, rendered as API.md's error body;
//! and the one mapping from a flow's [`FlowError`] (a code and its facts) to the status, the
//! sentence a person reads and the field at fault.
//!
//! 4xx answers say what was wrong and which field; 5xx answers say only that something went
//! wrong, and the cause is logged once, here, with the request's id in the span.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use purse_api::compliance::{LimitDetails, LimitKind, Window};
use purse_api::funding::Speed;
use purse_api::{ErrorBody, ErrorCode, ErrorDetail, MoneyError, RequestStatus};

use crate::flows::FlowError;
use crate::flows::error::{Forbidden, Missing, NotOpen, Party, Shortfall};
use crate::store::StoredAnswer;

/// An API error: a code from API.md, a sentence for people, and the field at fault if one is.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds until trying again makes sense (`429`, `pin_locked`): sent as `Retry-After`.
    pub retry_after_s: Option<i64>,
    /// `limit_exceeded`'s figures.
    pub details: Option<Box<LimitDetails>>,
    /// For 5xx only: what actually happened, for the log; never sent to the client.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            field: None,
            retry_after_s: None,
            details: None,
            cause: None,
        }
    }

    pub fn retry_after(mut self, seconds: i64) -> ApiError {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, message)
    }

    pub fn not_found() -> ApiError {
        ApiError::new(ErrorCode::NotFound, "There is nothing here.")
    }

    /// A failure that is ours, not the client's: answered as 500 with no details.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: ErrorCode::InternalError,
            message: "Something went wrong on our side. Nothing was changed; please try again.".into(),
            field: None,
            retry_after_s: None,
            details: None,
            cause: Some(cause.to_string()),
        }
    }

    /// The database or another dependency is down: 503, with no details.
    pub fn unavailable(cause: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: ErrorCode::ServiceUnavailable,
            message: "Purse is temporarily unavailable. Please try again shortly.".into(),
            field: None,
            retry_after_s: None,
            details: None,
            cause: Some(cause.to_string()),
        }
    }

    /// The body API.md prescribes for this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
                details: self.details.as_deref().cloned(),
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Some(cause) = &self.cause {
            tracing::error!(code = %self.code, %cause, "request failed");
        }
        let retry_after = self.retry_after_s;
        let body = self.body();
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<FlowError> for ApiError {
    /// What a person is told about each failure of a flow, and which field it was.
    fn from(error: FlowError) -> ApiError {
        match error {
            FlowError::NotFound(missing) => {
                let error = ApiError::not_found();
                match missing {
                    Missing::Thing => error,
                    Missing::DepositCard => error.with_field("card_id"),
                    Missing::WithdrawalDestination => error.with_field("destination_id"),
                    Missing::RefundedCheckout => error.with_field("checkout_session"),
                }
            }
            FlowError::Forbidden(rule) => ApiError::new(
                ErrorCode::Forbidden,
                match rule {
                    Forbidden::OnlySenderCancels => "Only the sender can cancel a payment.",
                    Forbidden::OnlyPayerAnswers => "Only the person asked to pay can pay or decline a request.",
                    Forbidden::OnlyRequesterCancels => "Only the person who made a request can cancel it.",
                    Forbidden::NotAnOfficer => "Only a compliance officer can do this.",
                    Forbidden::NotAMerchant => {
                        "Only a merchant account can do this. Turn on merchant mode first (PUT /me/merchant)."
                    }
                },
            ),
            FlowError::Money(error) => error.into(),
            FlowError::PinNotSet => ApiError::new(ErrorCode::PinNotSet, "Set a payment PIN first."),
            FlowError::PinLocked { retry_after_s } => ApiError::new(
                ErrorCode::PinLocked,
                "Too many wrong PINs. Payments are locked for a while; try again later.",
            )
            .retry_after(retry_after_s),
            FlowError::PinRequired => ApiError::new(ErrorCode::PinRequired, "Enter your payment PIN.").with_field("pin"),
            FlowError::PinIncorrect { tries_left } => ApiError::new(
                ErrorCode::PinIncorrect,
                format!("That PIN is not right. {tries_left} more wrong tries lock payments for 15 minutes."),
            )
            .with_field("pin"),
            FlowError::RateLimited { retry_after_s } => {
                ApiError::new(ErrorCode::RateLimited, "Too many attempts. Wait a little and try again.")
                    .retry_after(retry_after_s)
            }
            FlowError::KeyMismatch => ApiError::new(
                ErrorCode::IdempotencyKeyMismatch,
                "This Idempotency-Key was used for a different request. Use a new key for a new request.",
            ),
            FlowError::KeyInUse => ApiError::new(
                ErrorCode::IdempotencyKeyInUse,
                "A request with this Idempotency-Key is still being processed. Try again in a moment.",
            )
            .retry_after(1),
            FlowError::HandleTaken(handle) => {
                ApiError::new(ErrorCode::HandleTaken, format!("@{handle} is taken. Try another handle.")).with_field("handle")
            }
            FlowError::InvalidCredentials => {
                ApiError::new(ErrorCode::InvalidCredentials, "That handle and password don't match.")
            }
            FlowError::RecipientNotFound { handle, party } => {
                let error = ApiError::new(ErrorCode::RecipientNotFound, format!("Nobody on Purse has the handle @{handle}."));
                match party_field(party) {
                    Some(field) => error.with_field(field),
                    None => error,
                }
            }
            FlowError::SelfPayment(party) => match party {
                Party::Recipient => ApiError::new(ErrorCode::SelfTransfer, "You can't send money to yourself.").with_field("to"),
                Party::Payer => {
                    ApiError::new(ErrorCode::SelfTransfer, "You can't request money from yourself.").with_field("from")
                }
                Party::Creator => ApiError::new(ErrorCode::SelfTransfer, "You can't tip yourself.").with_field("creator"),
                Party::Merchant => ApiError::new(ErrorCode::SelfTransfer, "A merchant cannot pay its own checkout."),
            },
            FlowError::NotACreator(handle) => {
                ApiError::new(ErrorCode::NotACreator, format!("@{handle} does not take tips.")).with_field("creator")
            }
            FlowError::InsufficientFunds(shortfall) => {
                let code = ErrorCode::InsufficientFunds;
                match shortfall {
                    Shortfall::Payment => {
                        ApiError::new(code, "Not enough money in your wallet for this payment. Nothing was sent.")
                            .with_field("amount")
                    }
                    Shortfall::Tip => {
                        ApiError::new(code, "Not enough money in your wallet for this tip. Nothing was sent.").with_field("amount")
                    }
                    Shortfall::Checkout => ApiError::new(code, "Not enough money in your wallet to pay this. Nothing was paid."),
                    Shortfall::Withdrawal => {
                        ApiError::new(code, "Not enough money in your wallet for this withdrawal. Nothing was sent.")
                            .with_field("amount")
                    }
                    Shortfall::Refund => ApiError::new(
                        code,
                        "Your merchant wallet does not hold enough to refund this. Nothing was refunded.",
                    )
                    .with_field("amount"),
                }
            }
            FlowError::LimitExceeded { kind, details } => {
                let what = match kind {
                    LimitKind::Send => "sending",
                    LimitKind::Receive => "receiving",
                    LimitKind::Withdraw => "withdrawals",
                    LimitKind::Deposit => "adding money",
                };
                let window = match details.window {
                    Window::Day => "today",
                    Window::SevenDays => "in the last 7 days",
                    Window::ThirtyDays => "in the last 30 days",
                };
                let raise = if details.next_tier.is_some() { " Verify your identity to raise it." } else { "" };
                let message = format!(
                    "This is over your limit on {what}: {} USD {window}, of which {} USD is left. Nothing was moved.{raise}",
                    details.limit, details.remaining
                );
                let mut error = ApiError::new(ErrorCode::LimitExceeded, message).with_field("amount");
                error.details = Some(details);
                error
            }
            FlowError::OverLimit(refusal) => ApiError::internal(format!("a limit refusal left unworded: {refusal:?}")),
            FlowError::RecipientUnavailable => ApiError::new(
                ErrorCode::RecipientUnavailable,
                "This person can't receive this payment right now. Nothing was sent.",
            ),
            FlowError::RegionUnavailable => ApiError::new(
                ErrorCode::RegionUnavailable,
                "Purse isn't available where you live yet: you can see and withdraw your money, but not move it \
                 otherwise. Nothing was moved.",
            ),
            FlowError::AccountFrozen => ApiError::new(
                ErrorCode::AccountFrozen,
                "Your account is frozen: no money can move. Contact support. Nothing was moved.",
            ),
            FlowError::CancelWindowClosed => ApiError::new(
                ErrorCode::CancelWindowClosed,
                "This payment can no longer be canceled: it has completed.",
            ),
            FlowError::PaymentInProgress => {
                ApiError::new(ErrorCode::ServiceUnavailable, "This payment is still being made. Try again in a moment.")
                    .retry_after(1)
            }
            FlowError::RequestNotOpen(status) => {
                let what = match status {
                    Some(RequestStatus::Paid) => "has been paid",
                    Some(RequestStatus::Declined) => "was declined",
                    Some(RequestStatus::Canceled) => "was canceled",
                    Some(RequestStatus::Open) | None => "is being paid",
                };
                ApiError::new(ErrorCode::RequestNotOpen, format!("This request {what}; nothing was changed."))
            }
            FlowError::CheckoutNotOpen(why) => match why {
                NotOpen::Paid => ApiError::new(ErrorCode::CheckoutNotOpen, "This checkout has already been paid."),
                NotOpen::Canceled => ApiError::new(ErrorCode::CheckoutNotOpen, "This checkout was canceled."),
                NotOpen::BeingPaid => {
                    ApiError::new(ErrorCode::CheckoutNotOpen, "Someone is paying this checkout right now.").retry_after(1)
                }
                NotOpen::NotPaid => ApiError::new(ErrorCode::CheckoutNotOpen, "Only a paid checkout can be refunded.")
                    .with_field("checkout_session"),
            },
            FlowError::CheckoutExpired => ApiError::new(
                ErrorCode::CheckoutExpired,
                "This checkout has expired. Go back to the shop and start again.",
            ),
            FlowError::RefundExceedsPayment { left, currency } => ApiError::new(
                ErrorCode::RefundExceedsPayment,
                format!("At most {} {} of this payment is left to refund.", left.amount_string(), currency),
            )
            .with_field("amount"),
            FlowError::CardTokenUnknown => {
                ApiError::invalid_request("This card token is unknown or was already used. Enter the card again.")
                    .with_field("token")
            }
            FlowError::PayoutDeclined(code) => {
                let message = if code == ErrorCode::CardExpired {
                    "This card has expired. Nothing was sent; add a current card."
                } else {
                    "The card's bank declined this payout. Nothing was sent; try a standard withdrawal to your bank."
                };
                ApiError::new(code, message).with_field("destination_id")
            }
            FlowError::WrongDestination(speed) => ApiError::invalid_request(match speed {
                Speed::Standard => {
                    "A standard withdrawal goes to a bank account. Choose one, or withdraw instantly to this card."
                }
                Speed::Instant => {
                    "An instant withdrawal goes to a debit card. Choose one, or make a standard withdrawal to this bank account."
                }
            })
            .with_field("destination_id"),
            FlowError::InvalidNote => ApiError::new(
                ErrorCode::InvalidRequest,
                "Write a note of 1 to 500 characters: every decision is recorded with its reason.",
            )
            .with_field("note"),
            FlowError::SecondApproverRequired => ApiError::new(
                ErrorCode::SecondApproverRequired,
                "You already approved this case. A second officer must approve it.",
            ),
            FlowError::CaseClosed(status) => ApiError::new(
                ErrorCode::InvalidRequest,
                match status {
                    purse_api::ops::CaseStatus::Approved => "This case is already approved.",
                    purse_api::ops::CaseStatus::Rejected => "This case is already rejected.",
                    purse_api::ops::CaseStatus::Open => "This case is still open.",
                },
            ),
            FlowError::DocumentBeforeIdentity => ApiError::new(
                ErrorCode::VerificationFailed,
                "Verify your name, date of birth and address (tier 1) before an identity document.",
            )
            .with_field("level"),
            FlowError::Unavailable(cause) => ApiError::unavailable(cause),
            FlowError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// The field of a request body that names a person in `party`'s role.
fn party_field(party: Party) -> Option<&'static str> {
    match party {
        Party::Recipient => Some("to"),
        Party::Payer => Some("from"),
        Party::Creator => Some("creator"),
        Party::Merchant => None,
    }
}

/// How a refusal is stored for its key's replay: exactly what the client is sent (the flows'
/// [`crate::flows::RenderRefusal`]).
pub fn stored_refusal(error: &FlowError) -> StoredAnswer {
    let error = ApiError::from(error.clone());
    let body = serde_json::to_string(&error.body()).unwrap_or_default();
    StoredAnswer { status: error.status().as_u16(), body }
}

/// An answer as first given (a key's stored answer), sent again byte for byte.
impl IntoResponse for StoredAnswer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}

impl From<MoneyError> for ApiError {
    fn from(error: MoneyError) -> ApiError {
        let field = match error.code() {
            ErrorCode::InvalidCurrency => "currency",
            _ => "amount",
        };
        ApiError::new(error.code(), error.to_string()).with_field(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_message() {
        let error = ApiError::internal("disk on fire at /var/lib/purse");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message.contains("disk"));
    }

    #[test]
    fn money_errors_name_their_field() {
        let amount: ApiError = MoneyError::Malformed.into();
        assert_eq!((amount.code, amount.field.as_deref()), (ErrorCode::InvalidAmount, Some("amount")));
        let currency: ApiError = MoneyError::UnknownCurrency.into();
        assert_eq!(
            (currency.code, currency.field.as_deref()),
            (ErrorCode::InvalidCurrency, Some("currency"))
        );
    }
}
