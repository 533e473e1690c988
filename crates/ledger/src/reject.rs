//! Every reason the ledger refuses an account or a transfer, in the order it checks them.
//!
//! The order is part of the contract: a request that breaks several rules gets the first one
//! listed. All checks run before anything is written. Each reason has a stable integer code
//! (stored with recorded rejections), so the numbers below never change meaning.

use std::fmt;

/// Why an account was not created. Checked in declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateAccountError {
    /// `id <= 0`.
    IdMustBePositive,
    /// `code == 0`.
    CodeMustNotBeZero,
    /// Both `DEBITS_MUST_NOT_EXCEED_CREDITS` and `CREDITS_MUST_NOT_EXCEED_DEBITS`.
    FlagsAreMutuallyExclusive,
    /// An account with this id exists with another currency, code or flags. (One with the same
    /// fields is not an error: the request succeeds with `created: false`.)
    ExistsWithDifferentFields,
}

impl fmt::Display for CreateAccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            CreateAccountError::IdMustBePositive => "account id must be positive",
            CreateAccountError::CodeMustNotBeZero => "account code must not be zero",
            CreateAccountError::FlagsAreMutuallyExclusive => {
                "debits_must_not_exceed_credits and credits_must_not_exceed_debits are exclusive"
            }
            CreateAccountError::ExistsWithDifferentFields => {
                "an account with this id exists with different fields"
            }
        };
        f.write_str(text)
    }
}

impl std::error::Error for CreateAccountError {}

/// Why a transfer was not made.
///
/// The ledger checks, for every request, in this order:
///
/// 1. *Stateless*, from the request alone (never recorded, always re-derived):
///    [`IdMustBePositive`](Self::IdMustBePositive);
///    then for posted and pending transfers
///    [`AmountMustNotBeZero`](Self::AmountMustNotBeZero),
///    [`DebitAccountIdMustBePositive`](Self::DebitAccountIdMustBePositive),
///    [`CreditAccountIdMustBePositive`](Self::CreditAccountIdMustBePositive),
///    [`AccountsMustBeDifferent`](Self::AccountsMustBeDifferent),
///    [`CodeMustNotBeZero`](Self::CodeMustNotBeZero);
///    for posts and voids
///    [`PendingIdMustBePositive`](Self::PendingIdMustBePositive),
///    [`PendingIdMustBeDifferent`](Self::PendingIdMustBeDifferent),
///    [`AmountMustNotBeZero`](Self::AmountMustNotBeZero) (posts).
/// 2. *Idempotency*: if the id was already committed, an identical request succeeds again
///    with the original transfer (`created: false`) and moves nothing; if the id was already
///    rejected at step 3, an identical request gets that same rejection; otherwise
///    [`ExistsWithDifferentFields`](Self::ExistsWithDifferentFields).
/// 3. *Stateful*, against the ledger as it stands (recorded under the id, so a retry can never
///    turn a refusal into a later success nobody asked for):
///    for posted and pending transfers
///    [`DebitAccountNotFound`](Self::DebitAccountNotFound),
///    [`CreditAccountNotFound`](Self::CreditAccountNotFound),
///    [`AccountsMustHaveTheSameCurrency`](Self::AccountsMustHaveTheSameCurrency),
///    [`CurrencyMustMatchAccounts`](Self::CurrencyMustMatchAccounts),
///    [`ExceedsCredits`](Self::ExceedsCredits), [`ExceedsDebits`](Self::ExceedsDebits),
///    then the overflows: pending transfers
///    [`OverflowsDebitsPending`](Self::OverflowsDebitsPending),
///    [`OverflowsCreditsPending`](Self::OverflowsCreditsPending), posted transfers
///    [`OverflowsDebitsPosted`](Self::OverflowsDebitsPosted),
///    [`OverflowsCreditsPosted`](Self::OverflowsCreditsPosted), both
///    [`OverflowsDebits`](Self::OverflowsDebits), [`OverflowsCredits`](Self::OverflowsCredits);
///    for posts and voids
///    [`PendingTransferNotFound`](Self::PendingTransferNotFound),
///    [`PendingTransferNotPending`](Self::PendingTransferNotPending),
///    [`PendingTransferAlreadyPosted`](Self::PendingTransferAlreadyPosted),
///    [`PendingTransferAlreadyVoided`](Self::PendingTransferAlreadyVoided),
///    [`PendingTransferExpired`](Self::PendingTransferExpired),
///    [`ExceedsPendingTransferAmount`](Self::ExceedsPendingTransferAmount) (posts).
///
/// Linked chains add two reasons. When a member of a chain fails, it gets its own reason and
/// every other member [`LinkedEventFailed`](Self::LinkedEventFailed); nothing of the chain is
/// applied. A member's reason may come from an earlier member's effect (a post then a void of
/// the same hold: `PendingTransferAlreadyPosted`); it is recorded all the same, because the
/// first outcome of an id is final, and a new attempt takes new ids. A submission whose last
/// request is still linked is not applied at all: that request gets
/// [`LinkedEventChainOpen`](Self::LinkedEventChainOpen), the rest of its chain
/// `LinkedEventFailed`, and nothing is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateTransferError {
    LinkedEventFailed,
    LinkedEventChainOpen,
    IdMustBePositive,
    AmountMustNotBeZero,
    DebitAccountIdMustBePositive,
    CreditAccountIdMustBePositive,
    AccountsMustBeDifferent,
    CodeMustNotBeZero,
    PendingIdMustBePositive,
    PendingIdMustBeDifferent,
    ExistsWithDifferentFields,
    DebitAccountNotFound,
    CreditAccountNotFound,
    AccountsMustHaveTheSameCurrency,
    CurrencyMustMatchAccounts,
    ExceedsCredits,
    ExceedsDebits,
    OverflowsDebitsPending,
    OverflowsCreditsPending,
    OverflowsDebitsPosted,
    OverflowsCreditsPosted,
    OverflowsDebits,
    OverflowsCredits,
    PendingTransferNotFound,
    PendingTransferNotPending,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    PendingTransferExpired,
    ExceedsPendingTransferAmount,
}

impl CreateTransferError {
    /// Every reason, with its stable code.
    pub const ALL: [(CreateTransferError, i16); 29] = {
        use CreateTransferError::*;
        [
            (LinkedEventFailed, 1),
            (LinkedEventChainOpen, 2),
            (IdMustBePositive, 3),
            (AmountMustNotBeZero, 4),
            (DebitAccountIdMustBePositive, 5),
            (CreditAccountIdMustBePositive, 6),
            (AccountsMustBeDifferent, 7),
            (CodeMustNotBeZero, 8),
            (PendingIdMustBePositive, 9),
            (PendingIdMustBeDifferent, 10),
            (ExistsWithDifferentFields, 11),
            (DebitAccountNotFound, 12),
            (CreditAccountNotFound, 13),
            (AccountsMustHaveTheSameCurrency, 14),
            (CurrencyMustMatchAccounts, 15),
            (ExceedsCredits, 16),
            (ExceedsDebits, 17),
            (OverflowsDebitsPending, 18),
            (OverflowsCreditsPending, 19),
            (OverflowsDebitsPosted, 20),
            (OverflowsCreditsPosted, 21),
            (OverflowsDebits, 22),
            (OverflowsCredits, 23),
            (PendingTransferNotFound, 24),
            (PendingTransferNotPending, 25),
            (PendingTransferAlreadyPosted, 26),
            (PendingTransferAlreadyVoided, 27),
            (PendingTransferExpired, 28),
            (ExceedsPendingTransferAmount, 29),
        ]
    };

    /// The stable code stored with a recorded rejection.
    pub fn code(self) -> i16 {
        Self::ALL.iter().find(|(reason, _)| *reason == self).map_or(0, |(_, code)| *code)
    }

    pub fn from_code(code: i16) -> Option<CreateTransferError> {
        Self::ALL.iter().find(|(_, c)| *c == code).map(|(reason, _)| *reason)
    }

    /// The reason in `snake_case`, as logs and metrics name it.
    pub fn name(self) -> &'static str {
        use CreateTransferError::*;
        match self {
            LinkedEventFailed => "linked_event_failed",
            LinkedEventChainOpen => "linked_event_chain_open",
            IdMustBePositive => "id_must_be_positive",
            AmountMustNotBeZero => "amount_must_not_be_zero",
            DebitAccountIdMustBePositive => "debit_account_id_must_be_positive",
            CreditAccountIdMustBePositive => "credit_account_id_must_be_positive",
            AccountsMustBeDifferent => "accounts_must_be_different",
            CodeMustNotBeZero => "code_must_not_be_zero",
            PendingIdMustBePositive => "pending_id_must_be_positive",
            PendingIdMustBeDifferent => "pending_id_must_be_different",
            ExistsWithDifferentFields => "exists_with_different_fields",
            DebitAccountNotFound => "debit_account_not_found",
            CreditAccountNotFound => "credit_account_not_found",
            AccountsMustHaveTheSameCurrency => "accounts_must_have_the_same_currency",
            CurrencyMustMatchAccounts => "currency_must_match_accounts",
            ExceedsCredits => "exceeds_credits",
            ExceedsDebits => "exceeds_debits",
            OverflowsDebitsPending => "overflows_debits_pending",
            OverflowsCreditsPending => "overflows_credits_pending",
            OverflowsDebitsPosted => "overflows_debits_posted",
            OverflowsCreditsPosted => "overflows_credits_posted",
            OverflowsDebits => "overflows_debits",
            OverflowsCredits => "overflows_credits",
            PendingTransferNotFound => "pending_transfer_not_found",
            PendingTransferNotPending => "pending_transfer_not_pending",
            PendingTransferAlreadyPosted => "pending_transfer_already_posted",
            PendingTransferAlreadyVoided => "pending_transfer_already_voided",
            PendingTransferExpired => "pending_transfer_expired",
            ExceedsPendingTransferAmount => "exceeds_pending_transfer_amount",
        }
    }
}

impl fmt::Display for CreateTransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for CreateTransferError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<i16> = CreateTransferError::ALL.iter().map(|(_, c)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CreateTransferError::ALL.len());
        for (reason, code) in CreateTransferError::ALL {
            assert_eq!(reason.code(), code);
            assert_eq!(CreateTransferError::from_code(code), Some(reason));
        }
        assert_eq!(CreateTransferError::from_code(0), None);
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut names: Vec<&str> = CreateTransferError::ALL.iter().map(|(r, _)| r.name()).collect();
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CreateTransferError::ALL.len());
    }
}
