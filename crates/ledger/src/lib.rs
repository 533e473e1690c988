//! `purse-ledger`: Purse's double-entry ledger, modelled on TigerBeetle.
//!
//! Accounts hold four balance columns (`debits_pending`, `debits_posted`, `credits_pending`,
//! `credits_posted`) in integer minor units. Transfers are immutable and move money from a
//! debit account to a credit account: at once (posted), or in two phases (pending, then posted
//! in whole or in part, voided, or voided by the ledger when their timeout passes). Requests
//! marked `linked` commit all or nothing. A transfer's id is its idempotency key.
//!
//! Every rejection is a named [`CreateTransferError`], checked in a fixed order before anything
//! is written. Concurrent submissions are committed together by one writer (group commit), on
//! SQLite (embedded, WAL, `synchronous=FULL`) or PostgreSQL. Each batch checks its invariants
//! before it commits; [`Ledger::audit`] re-derives everything from the transfers.
//!
//! Only this crate writes the ledger tables.

mod audit;
mod clock;
mod error;
mod ledger;
mod metrics;
mod reject;
mod state_machine;
mod store;
mod types;
mod writer;

pub use audit::{AuditReport, Totals};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::LedgerError;
pub use ledger::{AccountOutcome, Ledger, LedgerConfig, TransferPage, TransferRecord};
pub use metrics::{Histogram, HistogramSnapshot, LedgerMetrics};
pub use reject::{CreateAccountError, CreateTransferError};
pub use state_machine::{TransferOutcome, TransferResult};
pub use store::WriteGate;
pub use types::{
    Account, AccountFlags, AccountId, Balances, FailedTransfer, LedgerChange, MAX_BALANCE, Movement,
    NewAccount, PendingRecord, PendingState, Timestamp, Transfer, TransferFlags, TransferId, TransferKind,
    TransferRequest,
};
