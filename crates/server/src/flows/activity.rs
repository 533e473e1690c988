//! A person's activity, built from the ledger's transfers (amounts, status, time: the truth)
//! plus what the ledger does not hold (the note, the kind a person would call it, who the
//! other side is).
//!
//! One activity per *originating* transfer: a posted transfer, or a pending one. Posts, voids
//! and expiries are not activities of their own; they change the status (and, for a partial
//! post, the amount) of the pending transfer's activity.

use std::collections::HashMap;

use purse_api::{Activity, ActivityStatus, Counterparty, Currency, Direction, Money};
use purse_ledger::{AccountId, PendingState, Transfer, TransferFlags, TransferId};

use crate::codes;
use crate::flows::{FlowError, Flows, people};
use crate::ids::PersonId;
use crate::store::notes::NoteRow;
use crate::time::Time;

/// Whether `transfer` starts an activity (rather than resolving one).
pub fn is_originating(transfer: &Transfer) -> bool {
    !transfer.flags.contains(TransferFlags::POST_PENDING)
        && !transfer.flags.contains(TransferFlags::VOID_PENDING)
}

/// Builds activities for the owner of `wallet` from originating transfers, with every lookup
/// they need done once for the whole list.
pub async fn build(
    flows: &Flows,
    wallet: AccountId,
    transfers: &[Transfer],
) -> Result<Vec<Activity>, FlowError> {
    // Pending states and, for posted holds, the amount actually posted.
    let pending_ids: Vec<TransferId> =
        transfers.iter().filter(|t| t.flags.contains(TransferFlags::PENDING)).map(|t| t.id).collect();
    let records = flows.ledger.lookup_transfers(&pending_ids).await?;
    let states: HashMap<TransferId, (PendingState, Option<TransferId>)> =
        records.iter().filter_map(|r| r.pending.map(|p| (r.transfer.id, (p.state, p.resolved_by)))).collect();
    let post_ids: Vec<TransferId> = states
        .values()
        .filter(|(state, _)| *state == PendingState::Posted)
        .filter_map(|(_, resolved_by)| *resolved_by)
        .collect();
    let posted_amounts: HashMap<TransferId, u64> = flows
        .ledger
        .lookup_transfers(&post_ids)
        .await?
        .into_iter()
        .filter_map(|r| r.transfer.pending_id.map(|pending| (pending, r.transfer.amount)))
        .collect();

    // The people on the other side.
    let other =
        |t: &Transfer| if t.debit_account_id == wallet { t.credit_account_id } else { t.debit_account_id };
    let owners = transfers.iter().filter_map(|t| codes::owner_of(other(t)));
    let people: HashMap<PersonId, Counterparty> = flows
        .db
        .people_by_id(owners)
        .await?
        .into_iter()
        .filter_map(|(id, person)| Some((id, people::counterparty(&person)?)))
        .collect();

    // Open holds among them: held for review (the generic review, whatever the rule).
    let open_ids: Vec<TransferId> =
        states.iter().filter(|(_, (state, _))| *state == PendingState::Open).map(|(id, _)| *id).collect();
    let held = super::review::held_among(flows, &open_ids).await?;

    let ids: Vec<TransferId> = transfers.iter().map(|t| t.id).collect();
    let notes: HashMap<TransferId, NoteRow> =
        flows.db.notes(&ids).await?.into_iter().map(|note| (note.transfer_id, note)).collect();

    Ok(transfers
        .iter()
        .map(|t| {
            let (status, amount) = match states.get(&t.id) {
                None => (ActivityStatus::Completed, t.amount),
                Some((PendingState::Open, _)) => (ActivityStatus::Pending, t.amount),
                Some((PendingState::Posted, _)) => {
                    (ActivityStatus::Completed, posted_amounts.get(&t.id).copied().unwrap_or(t.amount))
                }
                Some((PendingState::Voided | PendingState::Expired, _)) => (voided_status(t), t.amount),
            };
            let (kind, note, hide_sender) = match notes.get(&t.id) {
                Some(note) => {
                    (note.kind.unwrap_or(codes::kind_of(t.code)), note.note.clone(), note.hide_sender)
                }
                None => (codes::kind_of(t.code), None, false),
            };
            let incoming = t.credit_account_id == wallet;
            // An anonymous tip: its creator never learns who sent it (the sender still sees
            // whom they tipped).
            let counterparty = if incoming && hide_sender {
                None
            } else {
                codes::owner_of(other(t)).and_then(|id| people.get(&id).cloned())
            };
            Activity {
                id: flows.ids.encode("tr", t.id.0),
                kind,
                direction: if incoming { Direction::In } else { Direction::Out },
                status,
                amount: money(amount, t.currency),
                currency: t.currency,
                fee: Money::zero(t.currency).amount_string(),
                counterparty,
                note,
                created_at: Time::from(t.timestamp).rfc3339(),
                request_status: None,
                review: held.contains(&t.id).then(super::review::review),
            }
        })
        .collect())
}

/// What a voided hold means to its owner: a bank payout that came back was *returned*, a card
/// payout the network declined (and its fee) *failed*, anything else was *canceled*.
fn voided_status(transfer: &Transfer) -> ActivityStatus {
    match (transfer.code, transfer.credit_account_id) {
        (codes::transfer::WITHDRAWAL, codes::BANK_CLEARING) => ActivityStatus::Returned,
        (codes::transfer::WITHDRAWAL, codes::CARD_CLEARING)
        | (codes::transfer::FEE, codes::PLATFORM_FEES) => ActivityStatus::Failed,
        _ => ActivityStatus::Canceled,
    }
}

fn money(minor: u64, currency: Currency) -> String {
    Money::from_minor(i64::try_from(minor).unwrap_or(i64::MAX), currency).amount_string()
}
