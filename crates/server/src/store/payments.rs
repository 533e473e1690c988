//! `payments`: money between people (sends, paid requests, tips, checkout payments), one row per
//! operation, with its ledger transfer id, its grace window and its state; `tips` (a tip's own
//! facts) and its `transfer_notes` row are recorded with it, in the same batch.
//!
//! A payment's state follows the ledger, which is the truth; it changes only through
//! [`change_states`], from the states a change names, so a late writer never undoes a newer
//! state.

use std::collections::HashMap;

use purse_api::{ActivityKind, Currency};
use purse_ledger::TransferId;

use crate::ids::{OperationId, PersonId, Slot, ledger_id};
use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::{Columns, Db, Row, Statement, StoreError, stored_words, values};
use crate::time::Time;

stored_words! {
    /// Where a payment is.
    pub enum PaymentState ("payment state") {
        /// Recorded, not known to the ledger yet.
        Processing = "processing",
        /// Held in its grace window.
        Pending = "pending",
        Completed = "completed",
        Canceled = "canceled",
        Failed = "failed",
    }
}

/// A state equals the word it is stored as.
impl PartialEq<&str> for PaymentState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The states of a payment that count as having paid someone (canceled and failed ones do
/// not): the rule for "paid before" and so for the grace window.
const PAID_STATES: &str = "('pending', 'completed')";

/// A payment as the server records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub operation_id: OperationId,
    pub transfer_id: TransferId,
    pub sender_id: PersonId,
    pub recipient_id: PersonId,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub note: Option<String>,
    /// When its grace window ends, if it has one.
    pub hold_until: Option<Time>,
    pub state: PaymentState,
    /// The request it pays, if any.
    pub request_id: Option<i64>,
    pub created_at: Time,
    /// Held for review: the reason code (officers only). A held payment is a pending ledger
    /// transfer with no grace window, posted or voided by an officer's decision.
    pub review: Option<String>,
}

pub(crate) const PAYMENT_COLUMNS: &str = "operation_id, transfer_id, sender_id, recipient_id, amount, currency, note, \
     hold_until, state, request_id, created_at, review";

/// In [`PAYMENT_COLUMNS`] order.
impl Row for PaymentRow {
    fn read(columns: &mut Columns<'_>) -> Result<PaymentRow, StoreError> {
        Ok(PaymentRow {
            operation_id: columns.take()?,
            transfer_id: columns.take()?,
            sender_id: columns.take()?,
            recipient_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            note: columns.take()?,
            hold_until: columns.take()?,
            state: columns.take()?,
            request_id: columns.take()?,
            created_at: columns.take()?,
            review: columns.take()?,
        })
    }
}

/// A payment to record for an operation.
#[derive(Clone, Debug)]
pub struct Draft {
    pub sender_id: PersonId,
    pub recipient_id: PersonId,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub note: Option<String>,
    /// What the activity is called (`transfer`, `request`, `tip`, `checkout`).
    pub kind: ActivityKind,
    pub request_id: Option<i64>,
    /// When its grace window would end, if it gets one: only when the sender has no pending or
    /// completed payment to the recipient yet (decided here, in the batch).
    pub hold_until: Option<Time>,
    pub now: Time,
    /// What makes it a tip, if it is one.
    pub tip: Option<TipDraft>,
    /// Held for review (the reason code), when known before it is recorded (a paid request's
    /// payment, recorded after its key's batch held it).
    pub review: Option<String>,
}

/// A tip's own facts, recorded with its payment.
#[derive(Clone, Debug)]
pub struct TipDraft {
    pub post_id: Option<String>,
    /// The creator must never learn who sent it (their activity, events and lists say
    /// "Anonymous").
    pub anonymous: bool,
    /// The platform's part, in minor units, moved from the creator in the same ledger chain.
    pub fee: i64,
}

/// A payment's state moves from one of `from` to `to` (never from anything else, so a late
/// writer cannot undo a newer state).
#[derive(Clone, Copy, Debug)]
pub struct StateChange {
    pub from: &'static [PaymentState],
    pub to: PaymentState,
}

impl Db {
    pub async fn payment_by_operation(
        &self,
        operation: OperationId,
    ) -> Result<Option<PaymentRow>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE operation_id = $1");
        self.optional(&Statement::new(sql, values![operation])).await
    }

    pub async fn payment_by_transfer(&self, transfer: TransferId) -> Result<Option<PaymentRow>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE transfer_id = $1");
        self.optional(&Statement::new(sql, values![transfer])).await
    }

    /// Whether `sender` has a pending or completed payment to `recipient`.
    pub async fn has_paid_before(&self, sender: PersonId, recipient: PersonId) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT operation_id FROM payments WHERE sender_id = $1 AND recipient_id = $2 \
             AND state IN {PAID_STATES} LIMIT 1"
        );
        let found: Option<(OperationId,)> =
            self.optional(&Statement::new(sql, values![sender, recipient])).await?;
        Ok(found.is_some())
    }

    /// Pending payments whose grace window ended by `now`, soonest first, at most `limit`.
    pub async fn payments_due(&self, now: Time, limit: i64) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'pending' AND hold_until <= $1 \
             ORDER BY hold_until LIMIT {limit}"
        );
        self.all(&Statement::new(sql, values![now])).await
    }

    /// Payments still processing that were made before `before`, oldest first.
    pub async fn payments_processing_since_before(
        &self,
        before: Time,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'processing' AND created_at < $1 \
             ORDER BY created_at LIMIT 500"
        );
        self.all(&Statement::new(sql, values![before])).await
    }
}

/// Inserts the payments (and notes, and tips) not recorded yet; returns every draft's payment by
/// operation, new or not.
pub(crate) async fn record(
    tx: &mut Tx<'_>,
    drafts: &[(usize, OperationId, &Draft)],
    reviews: &HashMap<OperationId, &'static str>,
) -> Result<HashMap<OperationId, PaymentRow>, BatchError> {
    if drafts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sorted: Vec<(OperationId, &Draft)> =
        drafts.iter().map(|(_, operation, d)| (*operation, *d)).collect();
    sorted.sort_unstable_by_key(|(operation, _)| *operation);
    let mut params = Params::new(tx);
    let rows: Vec<String> = sorted
        .iter()
        .map(|(operation, d)| {
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                params.cast(*operation),
                params.cast(ledger_id(*operation, Slot::Main)),
                params.cast(d.sender_id),
                params.cast(d.recipient_id),
                params.cast(d.amount),
                params.cast(d.currency.code()),
                params.cast(d.note.clone()),
                params.cast(d.hold_until),
                params.cast(d.request_id),
                params.cast(d.now),
                params
                    .cast(reviews.get(operation).map(|code| (*code).to_owned()).or_else(|| d.review.clone())),
            )
        })
        .collect();
    // The grace window is decided here, so a payment and the one it depends on never race
    // between a read and this write (this batch's own rows are all still `processing`).
    let sql = format!(
        "INSERT INTO payments ({PAYMENT_COLUMNS}) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
             CASE WHEN v.column8 IS NOT NULL AND v.column11 IS NULL AND NOT EXISTS ( \
                 SELECT 1 FROM payments p WHERE p.sender_id = v.column3 AND p.recipient_id = v.column4 \
                 AND p.state IN {PAID_STATES}) THEN v.column8 END, \
             'processing', v.column9, v.column10, v.column11 \
         FROM (VALUES {}) AS v WHERE true ON CONFLICT (operation_id) DO NOTHING RETURNING {PAYMENT_COLUMNS}",
        rows.join(", ")
    );
    let inserted: Vec<PaymentRow> = tx.fetch(&params.statement(sql)).await?;

    if !inserted.is_empty() {
        let draft_of =
            |operation: OperationId| drafts.iter().find(|(_, op, _)| *op == operation).map(|d| d.2);
        let mut params = Params::new(tx);
        let rows: Vec<String> = inserted
            .iter()
            .map(|p| {
                let draft = draft_of(p.operation_id);
                let hide_sender = draft.and_then(|d| d.tip.as_ref()).is_some_and(|tip| tip.anonymous);
                format!(
                    "({}, {}, {}, {})",
                    params.plain(p.transfer_id),
                    params.plain(draft.map_or(ActivityKind::Transfer, |d| d.kind)),
                    params.plain(p.note.clone()),
                    params.plain(hide_sender),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO transfer_notes (transfer_id, kind, note, hide_sender) VALUES {} \
             ON CONFLICT (transfer_id) DO NOTHING",
            rows.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;

        let tips: Vec<(OperationId, &TipDraft)> = inserted
            .iter()
            .filter_map(|p| Some((p.operation_id, draft_of(p.operation_id)?.tip.as_ref()?)))
            .collect();
        if !tips.is_empty() {
            let mut params = Params::new(tx);
            let rows: Vec<String> = tips
                .iter()
                .map(|(operation, tip)| {
                    format!(
                        "({}, {}, {}, {})",
                        params.plain(*operation),
                        params.plain(tip.post_id.clone()),
                        params.plain(tip.anonymous),
                        params.plain(tip.fee),
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO tips (operation_id, post_id, anonymous, fee) VALUES {} ON CONFLICT (operation_id) DO NOTHING",
                rows.join(", ")
            );
            tx.execute(&params.statement(sql)).await?;
        }
    }

    let mut payments: HashMap<OperationId, PaymentRow> =
        inserted.into_iter().map(|p| (p.operation_id, p)).collect();
    let missing: Vec<OperationId> =
        drafts.iter().map(|(_, op, _)| *op).filter(|op| !payments.contains_key(op)).collect();
    if !missing.is_empty() {
        let mut params = Params::new(tx);
        let ids: Vec<String> = missing.iter().map(|op| params.plain(*op)).collect();
        let sql =
            format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE operation_id IN ({})", ids.join(", "));
        let existing: Vec<PaymentRow> = tx.fetch(&params.statement(sql)).await?;
        payments.extend(existing.into_iter().map(|p| (p.operation_id, p)));
    }
    Ok(payments)
}

/// Payment states. Two state changes of one payment in a batch are made in batch order (one
/// statement each), so the later one sees the earlier.
pub(crate) async fn change_states(
    tx: &mut Tx<'_>,
    changes: &[(OperationId, StateChange)],
) -> Result<(), BatchError> {
    let mut rounds: Vec<Vec<(OperationId, StateChange)>> = Vec::new();
    for (operation, change) in changes {
        match rounds.iter_mut().find(|round| round.iter().all(|(op, _)| op != operation)) {
            Some(round) => round.push((*operation, *change)),
            None => rounds.push(vec![(*operation, *change)]),
        }
    }
    for mut round in rounds {
        round.sort_unstable_by_key(|(operation, _)| *operation);
        let mut params = Params::new(tx);
        let rows: Vec<String> = round
            .iter()
            .map(|(operation, change)| {
                let from: Vec<&str> = change.from.iter().map(|state| state.as_str()).collect();
                format!(
                    "({}, {}, {})",
                    params.cast(*operation),
                    params.cast(format!(",{},", from.join(","))),
                    params.cast(change.to),
                )
            })
            .collect();
        let sql = format!(
            "UPDATE payments SET state = v.column3 FROM (VALUES {}) AS v \
             WHERE payments.operation_id = v.column1 AND v.column2 LIKE ('%,' || payments.state || ',%')",
            rows.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_stored_as_the_words_the_table_checks() {
        let words: Vec<&str> = PaymentState::ALL.iter().map(|state| state.as_str()).collect();
        assert_eq!(words, ["processing", "pending", "completed", "canceled", "failed"]);
        for state in PaymentState::ALL {
            assert_eq!(PaymentState::parse(state.as_str()), Some(*state));
        }
        assert_eq!(PaymentState::parse("done"), None);
    }
}
