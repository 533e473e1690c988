//! The server's own ids, as types: a person, an operation (an idempotency key's row), and the
//! ledger transfer ids an operation owns ([`ledger_id`]). Each is the `INTEGER` its table
//! stores; the newtypes keep one kind of id from being passed as another.

use std::fmt;

use purse_ledger::TransferId;

/// A person (`users.id`). Merchants are people too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId(pub i64);

/// An operation: one idempotency key's first arrival (`operations.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperationId(pub i64);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Ledger ids of operations start here, far above fixed ids (demo funding, tests).
const LEDGER_ID_BASE: i64 = 1 << 40;
/// Ledger ids per operation.
const SLOTS: i64 = 16;

/// What each ledger id of an operation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The payment itself (posted, or pending in a grace window).
    Main = 0,
    /// Posting the pending payment when its window ends.
    Post = 1,
    /// Voiding it when the sender cancels.
    Void = 2,
    /// The platform's fee on a tip or an instant withdrawal, linked to it.
    Fee = 3,
    /// Posting an instant withdrawal's fee hold.
    FeePost = 4,
    /// Voiding it when the card network declines the payout.
    FeeVoid = 5,
}

/// The ledger transfer id of `operation`'s `slot`: fixed by the operation, so a retry, a
/// recovery job or a second instance asks the ledger for the same transfer, and the ledger's
/// own idempotency makes sure money moves once.
pub fn ledger_id(operation: OperationId, slot: Slot) -> i64 {
    LEDGER_ID_BASE + operation.0 * SLOTS + slot as i64
}

/// The operation a ledger transfer id belongs to (`None` for ids below the operations' range:
/// accounts' and the platform's own).
pub fn operation_of(transfer: purse_ledger::TransferId) -> Option<OperationId> {
    let offset = transfer.0.checked_sub(LEDGER_ID_BASE)?;
    (offset >= 0).then(|| OperationId(offset / SLOTS))
}

impl OperationId {
    /// The ledger transfer of this operation's `slot` (see [`ledger_id`]).
    pub fn transfer(self, slot: Slot) -> TransferId {
        TransferId(ledger_id(self, slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_ids_of_operations_never_meet() {
        let (one, two) = (OperationId(1), OperationId(2));
        assert_eq!(ledger_id(one, Slot::Main) + 1, ledger_id(one, Slot::Post));
        assert!(ledger_id(one, Slot::Void) < ledger_id(two, Slot::Main));
        assert!(ledger_id(one, Slot::Main) > 1_000_000);
        assert_eq!(one.transfer(Slot::Fee), TransferId(ledger_id(one, Slot::Fee)));
    }
}
