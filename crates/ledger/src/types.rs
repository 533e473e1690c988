//! The ledger's nouns: accounts, transfers, their ids, flags, balances and timestamps.
//!
//! Amounts and balances are integer minor units (`u64`), never above [`MAX_BALANCE`] so that
//! every value fits the `BIGINT` columns that store it. Ids are positive `i64`s chosen by the
//! caller: a transfer's id is its idempotency key.

use std::fmt;

use purse_api::Currency;

/// The largest value any balance column (or the sum of a side's pending and posted columns) may
/// reach: what a signed 64-bit column holds.
pub const MAX_BALANCE: u64 = i64::MAX as u64;

/// Nanoseconds since the Unix epoch, assigned by the ledger. Unique and strictly increasing
/// across committed transfers, so it orders them totally and serves as a cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_nanos(nanos: i64) -> Timestamp {
        Timestamp(nanos)
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// This instant plus whole seconds, saturating at the end of representable time.
    pub const fn plus_seconds(self, seconds: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds as i64 * 1_000_000_000))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ns", self.0)
    }
}

/// An account's id. Positive; chosen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub i64);

/// A transfer's id and idempotency key. Callers use positive ids. The ledger itself writes the
/// automatic void of an expired pending transfer `P` under the id `-P`, so that id is
/// deterministic (a retried expiry cannot void twice) and can never collide with a caller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferId(pub i64);

impl TransferId {
    /// The id of the ledger's automatic void of this pending transfer.
    pub const fn expiry_of(pending: TransferId) -> TransferId {
        TransferId(-pending.0)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account {}", self.0)
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transfer {}", self.0)
    }
}

/// Account flags (a bit set, stored as an integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AccountFlags(u16);

impl AccountFlags {
    pub const NONE: AccountFlags = AccountFlags(0);
    /// `debits_pending + debits_posted <= credits_posted` at all times: a user wallet that can
    /// never go below zero, counting holds.
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: AccountFlags = AccountFlags(1);
    /// `credits_pending + credits_posted <= debits_posted` at all times.
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: AccountFlags = AccountFlags(1 << 1);
    const KNOWN: u16 = 0b11;

    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Flags from stored bits; `None` if a bit is not one this version knows.
    pub const fn from_bits(bits: u16) -> Option<AccountFlags> {
        if bits & !Self::KNOWN == 0 { Some(AccountFlags(bits)) } else { None }
    }

    pub const fn contains(self, other: AccountFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: AccountFlags) -> AccountFlags {
        AccountFlags(self.0 | other.0)
    }
}

/// Transfer flags as stored; requests use [`TransferKind`] instead, so an impossible
/// combination cannot be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TransferFlags(u16);

impl TransferFlags {
    pub const NONE: TransferFlags = TransferFlags(0);
    pub const LINKED: TransferFlags = TransferFlags(1);
    pub const PENDING: TransferFlags = TransferFlags(1 << 1);
    pub const POST_PENDING: TransferFlags = TransferFlags(1 << 2);
    pub const VOID_PENDING: TransferFlags = TransferFlags(1 << 3);
    const KNOWN: u16 = 0b1111;

    pub const fn bits(self) -> u16 {
        self.0
    }

    pub const fn from_bits(bits: u16) -> Option<TransferFlags> {
        if bits & !Self::KNOWN == 0 { Some(TransferFlags(bits)) } else { None }
    }

    pub const fn contains(self, other: TransferFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: TransferFlags) -> TransferFlags {
        TransferFlags(self.0 | other.0)
    }
}

/// The four balance columns of an account, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Balances {
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
}

impl Balances {
    /// Credits posted minus debits posted: the settled balance of a credit-normal account such
    /// as a user wallet. Negative for debit-normal accounts.
    pub fn posted_credit_balance(&self) -> i128 {
        i128::from(self.credits_posted) - i128::from(self.debits_posted)
    }

    /// What a `DEBITS_MUST_NOT_EXCEED_CREDITS` account can still spend:
    /// `credits_posted - debits_posted - debits_pending`.
    pub fn available_credit_balance(&self) -> i128 {
        self.posted_credit_balance() - i128::from(self.debits_pending)
    }

    /// Whether these balances honour the account's flags and the column limits.
    pub fn respects(&self, flags: AccountFlags) -> bool {
        let debits = u128::from(self.debits_pending) + u128::from(self.debits_posted);
        let credits = u128::from(self.credits_pending) + u128::from(self.credits_posted);
        let max = u128::from(MAX_BALANCE);
        debits <= max
            && credits <= max
            && (!flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
                || debits <= u128::from(self.credits_posted))
            && (!flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
                || credits <= u128::from(self.debits_posted))
    }
}

/// An account to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub id: AccountId,
    pub currency: Currency,
    /// What the account is for (user wallet, merchant, platform fees, card clearing, …); the
    /// server defines the codes. Must not be zero.
    pub code: u16,
    pub flags: AccountFlags,
}

/// An account as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub currency: Currency,
    pub code: u16,
    pub flags: AccountFlags,
    pub balances: Balances,
    pub timestamp: Timestamp,
}

/// Who pays whom, how much, in what, and why: the money part of a new transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Movement {
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    /// Minor units. Must not be zero.
    pub amount: u64,
    pub currency: Currency,
    /// What the transfer is for (p2p, tip, checkout, …); the server defines the codes.
    /// Must not be zero.
    pub code: u16,
}

/// What a transfer request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// A single-phase transfer: posted at once.
    Posted(Movement),
    /// Reserves the amount (pending columns) until posted, voided, or `timeout_s` passes
    /// (`0`: no timeout), when the ledger voids it itself.
    Pending { movement: Movement, timeout_s: u32 },
    /// Posts `amount` (at most the pending amount; the rest is released) of a pending transfer.
    PostPending { pending_id: TransferId, amount: u64 },
    /// Releases a pending transfer entirely.
    VoidPending { pending_id: TransferId },
}

/// A transfer a caller asks the ledger to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    pub id: TransferId,
    pub kind: TransferKind,
    /// Linked to the next request of the same submission: the chain commits all or nothing.
    pub linked: bool,
}

impl TransferRequest {
    pub fn posted(id: i64, movement: Movement) -> TransferRequest {
        TransferRequest { id: TransferId(id), kind: TransferKind::Posted(movement), linked: false }
    }

    pub fn pending(id: i64, movement: Movement, timeout_s: u32) -> TransferRequest {
        TransferRequest {
            id: TransferId(id),
            kind: TransferKind::Pending { movement, timeout_s },
            linked: false,
        }
    }

    pub fn post(id: i64, pending_id: i64, amount: u64) -> TransferRequest {
        TransferRequest {
            id: TransferId(id),
            kind: TransferKind::PostPending { pending_id: TransferId(pending_id), amount },
            linked: false,
        }
    }

    pub fn void(id: i64, pending_id: i64) -> TransferRequest {
        TransferRequest {
            id: TransferId(id),
            kind: TransferKind::VoidPending { pending_id: TransferId(pending_id) },
            linked: false,
        }
    }

    /// This request, linked to the one after it.
    pub fn linked(self) -> TransferRequest {
        TransferRequest { linked: true, ..self }
    }

    /// The stored flags this request would carry.
    pub fn flags(&self) -> TransferFlags {
        let kind = match self.kind {
            TransferKind::Posted(_) => TransferFlags::NONE,
            TransferKind::Pending { .. } => TransferFlags::PENDING,
            TransferKind::PostPending { .. } => TransferFlags::POST_PENDING,
            TransferKind::VoidPending { .. } => TransferFlags::VOID_PENDING,
        };
        if self.linked { kind.union(TransferFlags::LINKED) } else { kind }
    }
}

/// A committed transfer, immutable. Post and void transfers carry the accounts, currency and
/// code of the pending transfer they resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    pub amount: u64,
    /// The pending transfer a post or void resolves.
    pub pending_id: Option<TransferId>,
    pub currency: Currency,
    pub code: u16,
    pub flags: TransferFlags,
    pub timeout_s: u32,
    pub timestamp: Timestamp,
    /// The debit account's balances right after this transfer (for balance-as-of queries).
    pub debit_balances_after: Balances,
    /// The credit account's balances right after this transfer.
    pub credit_balances_after: Balances,
}

impl Transfer {
    /// For a pending transfer with a timeout: when the ledger voids it if still open.
    pub fn expires_at(&self) -> Option<Timestamp> {
        (self.flags.contains(TransferFlags::PENDING) && self.timeout_s > 0)
            .then(|| self.timestamp.plus_seconds(self.timeout_s))
    }

    /// Whether the ledger wrote this transfer itself, voiding an expired pending transfer.
    pub fn is_expiry(&self) -> bool {
        self.id.0 < 0
    }

    /// The balances of `account` right after this transfer, if it touched that account.
    pub fn balances_after(&self, account: AccountId) -> Option<Balances> {
        if account == self.debit_account_id {
            Some(self.debit_balances_after)
        } else if account == self.credit_account_id {
            Some(self.credit_balances_after)
        } else {
            None
        }
    }
}

/// Where a pending transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PendingState {
    Open,
    Posted,
    Voided,
    Expired,
}

impl PendingState {
    pub const fn as_code(self) -> i16 {
        match self {
            PendingState::Open => 0,
            PendingState::Posted => 1,
            PendingState::Voided => 2,
            PendingState::Expired => 3,
        }
    }

    pub const fn from_code(code: i16) -> Option<PendingState> {
        match code {
            0 => Some(PendingState::Open),
            1 => Some(PendingState::Posted),
            2 => Some(PendingState::Voided),
            3 => Some(PendingState::Expired),
            _ => None,
        }
    }
}

/// A pending transfer's state: where it stands, when it expires, what resolved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingRecord {
    pub state: PendingState,
    pub expires_at: Option<Timestamp>,
    pub resolved_by: Option<TransferId>,
}

/// What a committed batch changed, for whoever waits on [`crate::Ledger::subscribe`]: the
/// accounts whose balances moved, or (after a lost notification connection) a hint that any
/// account may have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerChange {
    Accounts(std::sync::Arc<[AccountId]>),
    Everything,
}

impl LedgerChange {
    pub fn touches(&self, account: AccountId) -> bool {
        match self {
            LedgerChange::Accounts(accounts) => accounts.contains(&account),
            LedgerChange::Everything => true,
        }
    }
}

/// A request the ledger rejected after its idempotency check, recorded under the request's
/// id so that resubmitting it returns the same rejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailedTransfer {
    pub request: TransferRequest,
    pub reason: crate::CreateTransferError,
    pub timestamp: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_reject_unknown_bits() {
        assert_eq!(AccountFlags::from_bits(0b11), Some(AccountFlags(0b11)));
        assert_eq!(AccountFlags::from_bits(0b100), None);
        assert_eq!(TransferFlags::from_bits(0b1111), Some(TransferFlags(0b1111)));
        assert_eq!(TransferFlags::from_bits(0b10000), None);
    }

    #[test]
    fn balances_respect_flags() {
        let dmnec = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
        let cmned = AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS;
        let b = |dp, dpo, cp, cpo| Balances {
            debits_pending: dp,
            debits_posted: dpo,
            credits_pending: cp,
            credits_posted: cpo,
        };
        let cases = [
            (b(0, 0, 0, 0), dmnec, true),
            (b(5, 5, 0, 10), dmnec, true),
            (b(6, 5, 0, 10), dmnec, false),
            (b(0, 1, 100, 0), dmnec, false),
            (b(0, 10, 5, 5), cmned, true),
            (b(0, 10, 6, 5), cmned, false),
            (b(MAX_BALANCE, 1, 0, 0), AccountFlags::NONE, false),
            (b(0, 0, MAX_BALANCE, 0), AccountFlags::NONE, true),
        ];
        for (balances, flags, expected) in cases {
            assert_eq!(balances.respects(flags), expected, "{balances:?} {flags:?}");
        }
    }

    #[test]
    fn expiry_ids_never_collide_with_callers() {
        assert_eq!(TransferId::expiry_of(TransferId(7)), TransferId(-7));
        assert_eq!(TransferId::expiry_of(TransferId(i64::MAX)).0, -i64::MAX);
    }
}
