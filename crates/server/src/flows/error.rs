//! `FlowError`: why a flow did not do what was asked, as a code and its facts. No HTTP status,
//! no sentence: the HTTP layer (`http::error`) says both, and a job logs the facts.

use purse_api::compliance::{LimitDetails, LimitKind};
use purse_api::funding::Speed;
use purse_api::{Currency, ErrorCode, Handle, Money, MoneyError, RequestStatus};
use purse_ledger::LedgerError;
use purse_rails::RailError;

use crate::store::StoreError;
use crate::store::usage::Refusal;

/// Who a handle was meant to name in a flow: which side of the money a person is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The recipient of a send.
    Recipient,
    /// The person a request asks to pay.
    Payer,
    /// The creator a tip is for.
    Creator,
    /// The merchant of a checkout.
    Merchant,
}

/// What a refusal for lack of money was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// A send, or the payment of a request.
    Payment,
    Tip,
    /// Paying a checkout.
    Checkout,
    Withdrawal,
    /// The merchant's wallet, for a refund.
    Refund,
}

/// Which rule of who may act refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forbidden {
    /// Only a payment's sender cancels it.
    OnlySenderCancels,
    /// Only the person asked to pay pays or declines a request.
    OnlyPayerAnswers,
    /// Only the person who made a request cancels it.
    OnlyRequesterCancels,
    /// Only a merchant account has keys, endpoints and deliveries.
    NotAMerchant,
    /// Only a compliance officer uses `/ops`.
    NotAnOfficer,
}

/// Why a checkout cannot be paid (or canceled, or refunded) now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotOpen {
    /// Paid already.
    Paid,
    Canceled,
    /// Claimed by a confirmation that is paying it right now.
    BeingPaid,
    /// Refunding something not paid.
    NotPaid,
}

/// What was looked for and not found, where the caller named it (the HTTP layer says which
/// field that was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Anything the path names, or anything else.
    Thing,
    /// The card a deposit is from.
    DepositCard,
    /// The card or bank account a withdrawal goes to.
    WithdrawalDestination,
    /// The checkout a refund is for.
    RefundedCheckout,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("not found: {0:?}")]
    NotFound(Missing),
    #[error("forbidden: {0:?}")]
    Forbidden(Forbidden),
    #[error("an amount: {0}")]
    Money(MoneyError),

    #[error("no payment PIN is set")]
    PinNotSet,
    #[error("the PIN is locked for {retry_after_s} s")]
    PinLocked { retry_after_s: i64 },
    #[error("a PIN is needed")]
    PinRequired,
    #[error("a wrong PIN; {tries_left} more lock it")]
    PinIncorrect { tries_left: i64 },
    #[error("rate limited for {retry_after_s} s")]
    RateLimited { retry_after_s: i64 },

    #[error("the idempotency key was used for another request")]
    KeyMismatch,
    #[error("the idempotency key's first request is still running")]
    KeyInUse,

    #[error("the handle @{0} is taken")]
    HandleTaken(Handle),
    #[error("the handle and password do not match")]
    InvalidCredentials,
    #[error("nobody has the handle @{handle} ({party:?})")]
    RecipientNotFound { handle: Handle, party: Party },
    #[error("paying oneself ({0:?})")]
    SelfPayment(Party),
    #[error("@{0} does not take tips")]
    NotACreator(String),

    #[error("not enough money ({0:?})")]
    InsufficientFunds(Shortfall),
    #[error("over the {kind:?} limit ({details:?})")]
    LimitExceeded { kind: LimitKind, details: Box<LimitDetails> },
    /// Found over a limit in the key's batch, before the refusal is worded (see
    /// `movement::over_limit`); never an answer itself.
    #[error("over a limit: {0:?}")]
    OverLimit(Refusal),
    #[error("the recipient cannot receive this")]
    RecipientUnavailable,
    #[error("the person lives where Purse is not licensed")]
    RegionUnavailable,
    #[error("the account is frozen")]
    AccountFrozen,
    #[error("the payment can no longer be canceled")]
    CancelWindowClosed,
    #[error("the payment is still being made")]
    PaymentInProgress,
    #[error("the request is {0:?}, or being paid")]
    RequestNotOpen(Option<RequestStatus>),
    #[error("the checkout is not open: {0:?}")]
    CheckoutNotOpen(NotOpen),
    #[error("the checkout has expired")]
    CheckoutExpired,
    #[error("at most {left} {currency} is left to refund")]
    RefundExceedsPayment { left: Money, currency: Currency },
    #[error("the card token is unknown or used")]
    CardTokenUnknown,
    #[error("the card network refused the payout: {0}")]
    PayoutDeclined(ErrorCode),
    #[error("a {0:?} withdrawal cannot go there")]
    WrongDestination(Speed),
    #[error("a document before the identity it verifies (tier 2 before tier 1)")]
    DocumentBeforeIdentity,
    #[error("an officer's note is empty or too long")]
    InvalidNote,
    #[error("this officer already approved the case; a second officer must")]
    SecondApproverRequired,
    #[error("the case is already {0:?}")]
    CaseClosed(purse_api::ops::CaseStatus),

    /// A dependency (the database, the ledger, a rail) failed or is down: nothing is known to
    /// have happened, and trying again is safe.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Something that must not happen did (a broken row, a refusal the code rules out).
    #[error("internal: {0}")]
    Internal(String),
}

impl FlowError {
    pub fn internal(cause: impl std::fmt::Display) -> FlowError {
        FlowError::Internal(cause.to_string())
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> FlowError {
        FlowError::Unavailable(cause.to_string())
    }

    /// The API's code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            FlowError::NotFound(_) => ErrorCode::NotFound,
            FlowError::Forbidden(_) => ErrorCode::Forbidden,
            FlowError::Money(error) => error.code(),
            FlowError::PinNotSet => ErrorCode::PinNotSet,
            FlowError::PinLocked { .. } => ErrorCode::PinLocked,
            FlowError::PinRequired => ErrorCode::PinRequired,
            FlowError::PinIncorrect { .. } => ErrorCode::PinIncorrect,
            FlowError::RateLimited { .. } => ErrorCode::RateLimited,
            FlowError::KeyMismatch => ErrorCode::IdempotencyKeyMismatch,
            FlowError::KeyInUse => ErrorCode::IdempotencyKeyInUse,
            FlowError::HandleTaken(_) => ErrorCode::HandleTaken,
            FlowError::InvalidCredentials => ErrorCode::InvalidCredentials,
            FlowError::RecipientNotFound { .. } => ErrorCode::RecipientNotFound,
            FlowError::SelfPayment(_) => ErrorCode::SelfTransfer,
            FlowError::NotACreator(_) => ErrorCode::NotACreator,
            FlowError::InsufficientFunds(_) => ErrorCode::InsufficientFunds,
            FlowError::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            FlowError::OverLimit(_) => ErrorCode::InternalError,
            FlowError::RecipientUnavailable => ErrorCode::RecipientUnavailable,
            FlowError::RegionUnavailable => ErrorCode::RegionUnavailable,
            FlowError::AccountFrozen => ErrorCode::AccountFrozen,
            FlowError::CancelWindowClosed => ErrorCode::CancelWindowClosed,
            FlowError::PaymentInProgress | FlowError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            FlowError::RequestNotOpen(_) => ErrorCode::RequestNotOpen,
            FlowError::CheckoutNotOpen(_) => ErrorCode::CheckoutNotOpen,
            FlowError::CheckoutExpired => ErrorCode::CheckoutExpired,
            FlowError::RefundExceedsPayment { .. } => ErrorCode::RefundExceedsPayment,
            FlowError::CardTokenUnknown => ErrorCode::InvalidRequest,
            FlowError::PayoutDeclined(code) => *code,
            FlowError::WrongDestination(_) => ErrorCode::InvalidRequest,
            FlowError::DocumentBeforeIdentity => ErrorCode::VerificationFailed,
            FlowError::InvalidNote | FlowError::CaseClosed(_) => ErrorCode::InvalidRequest,
            FlowError::SecondApproverRequired => ErrorCode::SecondApproverRequired,
            FlowError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// A business refusal of something that started: an answer like a success, stored with the
    /// key and replayed (`insufficient_funds`, `request_not_open`…). Everything else is not
    /// stored: a refusal before anything started (so a corrected retry is a first arrival), or
    /// a failure of ours (so the retry resumes). API.md gives exactly these codes `422`.
    pub fn is_final_refusal(&self) -> bool {
        self.code().http_status() == 422
    }
}

impl From<StoreError> for FlowError {
    /// The database failing is a dependency down; a broken stored row is ours.
    fn from(error: StoreError) -> FlowError {
        match error {
            StoreError::Database(_) => FlowError::Unavailable(error.to_string()),
            StoreError::Broken(_) => FlowError::Internal(error.to_string()),
        }
    }
}

impl From<LedgerError> for FlowError {
    fn from(error: LedgerError) -> FlowError {
        match error {
            LedgerError::Database(_) | LedgerError::ConnectionLost(_) | LedgerError::ShutDown => {
                FlowError::unavailable(error)
            }
            _ => FlowError::internal(error),
        }
    }
}

impl From<RailError> for FlowError {
    fn from(error: RailError) -> FlowError {
        FlowError::unavailable(error)
    }
}

impl From<MoneyError> for FlowError {
    fn from(error: MoneyError) -> FlowError {
        FlowError::Money(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_of_what_started_are_stored() {
        assert!(FlowError::InsufficientFunds(Shortfall::Payment).is_final_refusal());
        assert!(FlowError::RequestNotOpen(None).is_final_refusal());
        assert!(FlowError::PayoutDeclined(ErrorCode::CardDeclined).is_final_refusal());
        assert!(!FlowError::PinRequired.is_final_refusal());
        assert!(!FlowError::Unavailable("down".into()).is_final_refusal());
        assert!(!FlowError::NotFound(Missing::Thing).is_final_refusal());
    }
}
