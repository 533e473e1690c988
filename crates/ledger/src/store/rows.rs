//! Rows as the database returns them, and their checked conversion into the ledger's types.
//!
//! Every integer column is read as `i64` (SQLite `INTEGER`, PostgreSQL `BIGINT`), so the same
//! row structs serve both backends. A value that does not convert (an unknown currency, a
//! negative balance) is reported as corrupt data, never silently clamped.

use purse_api::Currency;

use crate::error::LedgerError;
use crate::reject::CreateTransferError;
use crate::types::PendingRecord;
use crate::types::{
    Account, AccountFlags, AccountId, Balances, FailedTransfer, Movement, PendingState, Timestamp, Transfer,
    TransferFlags, TransferId, TransferKind, TransferRequest,
};

/// The columns of `transfers`, in the order every insert and select uses.
pub(crate) const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount, \
     pending_id, currency, code, flags, timeout_s, timestamp, \
     dr_debits_pending, dr_debits_posted, dr_credits_pending, dr_credits_posted, \
     cr_debits_pending, cr_debits_posted, cr_credits_pending, cr_credits_posted";

/// The same columns qualified with the alias `t`.
pub(crate) const TRANSFER_COLUMNS_T: &str = "t.id, t.debit_account_id, t.credit_account_id, \
     t.amount, t.pending_id, t.currency, t.code, t.flags, t.timeout_s, t.timestamp, \
     t.dr_debits_pending, t.dr_debits_posted, t.dr_credits_pending, t.dr_credits_posted, \
     t.cr_debits_pending, t.cr_debits_posted, t.cr_credits_pending, t.cr_credits_posted";

pub(crate) const ACCOUNT_COLUMNS: &str = "id, currency, code, flags, debits_pending, \
     debits_posted, credits_pending, credits_posted, timestamp";

pub(crate) const FAILED_COLUMNS: &str = "id, reason, flags, debit_account_id, \
     credit_account_id, amount, pending_id, currency, code, timeout_s, timestamp";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TransferRow {
    pub id: i64,
    pub debit_account_id: i64,
    pub credit_account_id: i64,
    pub amount: i64,
    pub pending_id: Option<i64>,
    pub currency: String,
    pub code: i64,
    pub flags: i64,
    pub timeout_s: i64,
    pub timestamp: i64,
    pub dr_debits_pending: i64,
    pub dr_debits_posted: i64,
    pub dr_credits_pending: i64,
    pub dr_credits_posted: i64,
    pub cr_debits_pending: i64,
    pub cr_debits_posted: i64,
    pub cr_credits_pending: i64,
    pub cr_credits_posted: i64,
}

/// A transfer joined with its pending state row (present only for pending transfers).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TransferWithStateRow {
    #[sqlx(flatten)]
    pub transfer: TransferRow,
    pub state: Option<i64>,
    pub expires_at: Option<i64>,
    pub resolved_by: Option<i64>,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub currency: String,
    pub code: i64,
    pub flags: i64,
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
    pub timestamp: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FailedRow {
    pub id: i64,
    pub reason: i64,
    pub flags: i64,
    pub debit_account_id: i64,
    pub credit_account_id: i64,
    pub amount: i64,
    pub pending_id: i64,
    pub currency: Option<String>,
    pub code: i64,
    pub timeout_s: i64,
    pub timestamp: i64,
}

fn corrupt(what: impl Into<String>) -> LedgerError {
    LedgerError::Corrupt(what.into())
}

fn unsigned(value: i64, column: &str) -> Result<u64, LedgerError> {
    u64::try_from(value).map_err(|_| corrupt(format!("{column} is negative: {value}")))
}

fn small(value: i64, column: &str) -> Result<u16, LedgerError> {
    u16::try_from(value).map_err(|_| corrupt(format!("{column} out of range: {value}")))
}

fn currency(code: &str) -> Result<Currency, LedgerError> {
    Currency::from_code(code).ok_or_else(|| corrupt(format!("unknown currency {code:?}")))
}

/// A balance or amount for a `BIGINT` column. The engine keeps every value at most
/// [`crate::MAX_BALANCE`], so this never fails on data the engine produced.
pub(crate) fn signed(value: u64) -> Result<i64, LedgerError> {
    i64::try_from(value).map_err(|_| LedgerError::InvariantViolated(format!("{value} > i64::MAX")))
}

fn balances(values: [i64; 4], prefix: &str) -> Result<Balances, LedgerError> {
    Ok(Balances {
        debits_pending: unsigned(values[0], prefix)?,
        debits_posted: unsigned(values[1], prefix)?,
        credits_pending: unsigned(values[2], prefix)?,
        credits_posted: unsigned(values[3], prefix)?,
    })
}

pub(crate) fn balance_values(b: &Balances) -> Result<[i64; 4], LedgerError> {
    Ok([
        signed(b.debits_pending)?,
        signed(b.debits_posted)?,
        signed(b.credits_pending)?,
        signed(b.credits_posted)?,
    ])
}

impl TryFrom<TransferRow> for Transfer {
    type Error = LedgerError;

    fn try_from(row: TransferRow) -> Result<Transfer, LedgerError> {
        let flags = TransferFlags::from_bits(small(row.flags, "transfers.flags")?)
            .ok_or_else(|| corrupt(format!("transfer {} has unknown flags", row.id)))?;
        Ok(Transfer {
            id: TransferId(row.id),
            debit_account_id: AccountId(row.debit_account_id),
            credit_account_id: AccountId(row.credit_account_id),
            amount: unsigned(row.amount, "transfers.amount")?,
            pending_id: row.pending_id.map(TransferId),
            currency: currency(&row.currency)?,
            code: small(row.code, "transfers.code")?,
            flags,
            timeout_s: u32::try_from(row.timeout_s)
                .map_err(|_| corrupt(format!("transfer {} timeout out of range", row.id)))?,
            timestamp: Timestamp(row.timestamp),
            debit_balances_after: balances(
                [row.dr_debits_pending, row.dr_debits_posted, row.dr_credits_pending, row.dr_credits_posted],
                "transfers.dr_*",
            )?,
            credit_balances_after: balances(
                [row.cr_debits_pending, row.cr_debits_posted, row.cr_credits_pending, row.cr_credits_posted],
                "transfers.cr_*",
            )?,
        })
    }
}

impl TransferWithStateRow {
    pub(crate) fn into_parts(self) -> Result<(Transfer, Option<PendingRecord>), LedgerError> {
        let transfer = Transfer::try_from(self.transfer)?;
        let record = match self.state {
            None => None,
            Some(code) => Some(pending_record(code, self.expires_at, self.resolved_by)?),
        };
        if transfer.flags.contains(TransferFlags::PENDING) != record.is_some() {
            return Err(corrupt(format!("{} and its pending state row disagree", transfer.id)));
        }
        Ok((transfer, record))
    }
}

pub(crate) fn pending_record(
    state: i64,
    expires_at: Option<i64>,
    resolved_by: Option<i64>,
) -> Result<PendingRecord, LedgerError> {
    let state = i16::try_from(state)
        .ok()
        .and_then(PendingState::from_code)
        .ok_or_else(|| corrupt(format!("unknown pending state {state}")))?;
    Ok(PendingRecord {
        state,
        expires_at: expires_at.map(Timestamp),
        resolved_by: resolved_by.map(TransferId),
    })
}

impl TryFrom<AccountRow> for Account {
    type Error = LedgerError;

    fn try_from(row: AccountRow) -> Result<Account, LedgerError> {
        Ok(Account {
            id: AccountId(row.id),
            currency: currency(&row.currency)?,
            code: small(row.code, "accounts.code")?,
            flags: AccountFlags::from_bits(small(row.flags, "accounts.flags")?)
                .ok_or_else(|| corrupt(format!("account {} has unknown flags", row.id)))?,
            balances: balances(
                [row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted],
                "accounts balances",
            )?,
            timestamp: Timestamp(row.timestamp),
        })
    }
}

/// A failed request flattened into `failed_transfers` columns.
pub(crate) struct FailedValues {
    pub id: i64,
    pub reason: i64,
    pub flags: i64,
    pub debit_account_id: i64,
    pub credit_account_id: i64,
    /// The request's `u64` amount, bit for bit.
    pub amount: i64,
    pub pending_id: i64,
    pub currency: Option<&'static str>,
    pub code: i64,
    pub timeout_s: i64,
    pub timestamp: i64,
}

impl From<&FailedTransfer> for FailedValues {
    fn from(failed: &FailedTransfer) -> FailedValues {
        let request = &failed.request;
        let mut values = FailedValues {
            id: request.id.0,
            reason: i64::from(failed.reason.code()),
            flags: i64::from(request.flags().bits()),
            debit_account_id: 0,
            credit_account_id: 0,
            amount: 0,
            pending_id: 0,
            currency: None,
            code: 0,
            timeout_s: 0,
            timestamp: failed.timestamp.as_nanos(),
        };
        let movement = match request.kind {
            TransferKind::Posted(movement) => Some(movement),
            TransferKind::Pending { movement, timeout_s } => {
                values.timeout_s = i64::from(timeout_s);
                Some(movement)
            }
            TransferKind::PostPending { pending_id, amount } => {
                values.pending_id = pending_id.0;
                values.amount = amount.cast_signed(); // bit for bit; read back with cast_unsigned
                None
            }
            TransferKind::VoidPending { pending_id } => {
                values.pending_id = pending_id.0;
                None
            }
        };
        if let Some(movement) = movement {
            values.debit_account_id = movement.debit_account_id.0;
            values.credit_account_id = movement.credit_account_id.0;
            values.amount = movement.amount.cast_signed(); // bit for bit
            values.currency = Some(movement.currency.code());
            values.code = i64::from(movement.code);
        }
        values
    }
}

impl TryFrom<FailedRow> for FailedTransfer {
    type Error = LedgerError;

    fn try_from(row: FailedRow) -> Result<FailedTransfer, LedgerError> {
        let flags = TransferFlags::from_bits(small(row.flags, "failed_transfers.flags")?)
            .ok_or_else(|| corrupt(format!("failed transfer {} has unknown flags", row.id)))?;
        let reason = i16::try_from(row.reason)
            .ok()
            .and_then(CreateTransferError::from_code)
            .ok_or_else(|| corrupt(format!("failed transfer {} has reason {}", row.id, row.reason)))?;
        let movement = || -> Result<Movement, LedgerError> {
            let code = row.currency.as_deref().ok_or_else(|| corrupt("missing currency"))?;
            Ok(Movement {
                debit_account_id: AccountId(row.debit_account_id),
                credit_account_id: AccountId(row.credit_account_id),
                amount: row.amount.cast_unsigned(),
                currency: currency(code)?,
                code: small(row.code, "failed_transfers.code")?,
            })
        };
        let kind = if flags.contains(TransferFlags::PENDING) {
            let timeout_s = u32::try_from(row.timeout_s)
                .map_err(|_| corrupt("failed_transfers.timeout_s out of range"))?;
            TransferKind::Pending { movement: movement()?, timeout_s }
        } else if flags.contains(TransferFlags::POST_PENDING) {
            TransferKind::PostPending {
                pending_id: TransferId(row.pending_id),
                amount: row.amount.cast_unsigned(),
            }
        } else if flags.contains(TransferFlags::VOID_PENDING) {
            TransferKind::VoidPending { pending_id: TransferId(row.pending_id) }
        } else {
            TransferKind::Posted(movement()?)
        };
        Ok(FailedTransfer {
            request: TransferRequest {
                id: TransferId(row.id),
                kind,
                linked: flags.contains(TransferFlags::LINKED),
            },
            reason,
            timestamp: Timestamp(row.timestamp),
        })
    }
}
