//! Refunds of paid checkouts (`POST /refunds`, on the money path) and the job that finishes
//! refunds cut off before their answer.
//!
//! A refund reserves its amount on the session first (`amount_refunded`, checked against the
//! payment in the same statement, so concurrent refunds never exceed it), then moves merchant →
//! buyer with the refund operation's fixed id, then marks itself `succeeded` with
//! `refund.created` in the outbox, in one group. A merchant short of money gets its reservation
//! back, and the refusal is the key's answer.

use purse_api::{ActivityKind, AmountText, Money, Refund, RefundResponse, RefundStatus};
use purse_ledger::{CreateTransferError, Movement as LedgerMovement, TransferRequest};

use crate::codes;
use crate::flows::checkout::own_session;
use crate::flows::error::{Missing, NotOpen, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Rules,
};
use crate::flows::webhooks::{self, EventKind};
use crate::flows::{FlowError, Flows};
use crate::ids::{OperationId, PersonId, Slot};
use crate::store::StoredAnswer;
use crate::store::checkout::{self as table, RefundRow, RefundState, SessionRow, SessionState};
use crate::store::notes;

/// `POST /refunds`: `merchant` refunds `amount` (as written, in the session's currency; `None`:
/// what is left) of its paid session `session`, once per key.
pub async fn refund(
    flows: &Flows,
    merchant: PersonId,
    key: &IdempotencyKey,
    hash: [u8; 32],
    session: &str,
    amount: Option<AmountText>,
) -> Result<StoredAnswer, FlowError> {
    let call = Call { caller: Caller::Merchant(merchant), key, hash, pin: None };
    let refund = Refunding { merchant, session: session.to_string(), amount };
    movement::run(flows, call, refund).await
}

/// A refund on the money path: the session and the amount are read and checked for every
/// arrival (no money limit, no PIN: the merchant's server asks with its key).
struct Refunding {
    merchant: PersonId,
    session: String,
    amount: Option<AmountText>,
}

impl Movement for Refunding {
    /// The session, and the amount in minor units (`None`: what is left).
    type Target = (SessionRow, Option<i64>);

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::Never, limited: false, outgoing: false }
    }

    async fn load(&self, flows: &Flows) -> Result<(SessionRow, Option<i64>), FlowError> {
        let session = own_session(flows, self.merchant, &self.session, Missing::RefundedCheckout).await?;
        let amount = match &self.amount {
            Some(text) => Some(text.parse(session.currency.code())?.to_minor()),
            None => None,
        };
        Ok((session, amount))
    }

    fn pin_rule(&self, _target: &(SessionRow, Option<i64>)) -> PinRule {
        PinRule::Never
    }

    async fn run(
        self,
        flows: &Flows,
        operation: OperationId,
        target: Self::Target,
        _begun: Begun,
    ) -> Outcome {
        let (session, amount) = target;
        let answer = async {
            let refund = match flows.db.refund_of_operation(operation).await? {
                Some(refund) => refund,
                None => reserve(flows, operation, &session, amount).await?,
            };
            finish(flows, refund, &session).await
        };
        Outcome::answer(answer.await)
    }
}

/// A refund on the wire.
pub fn view(flows: &Flows, refund: &RefundRow, session_public_id: &str) -> Refund {
    Refund {
        id: flows.ids.encode("re", refund.operation_id.0),
        checkout_session: session_public_id.to_string(),
        amount: Money::from_minor(refund.amount, refund.currency).amount_string(),
        currency: refund.currency,
        status: RefundStatus::Succeeded,
        created_at: refund.created_at.rfc3339(),
    }
}

/// Moves a reserved refund and answers it (or answers one already moved or refused).
async fn finish(flows: &Flows, refund: RefundRow, session: &SessionRow) -> Result<StoredAnswer, FlowError> {
    match refund.state {
        // Moved and marked succeeded, or refused for lack of money (the reservation returned).
        RefundState::Processing => move_back(flows, &refund, session).await?,
        RefundState::Succeeded => {}
        // Refused for lack of money, and that answer could not be stored: say it again.
        RefundState::Failed => return Err(FlowError::InsufficientFunds(Shortfall::Refund)),
    }
    let refund = RefundRow { state: RefundState::Succeeded, ..refund };
    movement::created(&RefundResponse { refund: view(flows, &refund, &session.public_id) })
}

/// Reserves the refund's amount on the session and records the refund, together; refuses
/// what the payment does not cover.
pub async fn reserve(
    flows: &Flows,
    operation: OperationId,
    session: &SessionRow,
    amount: Option<i64>,
) -> Result<RefundRow, FlowError> {
    let now = flows.now();
    let current = flows.db.session(session.id).await?.ok_or(FlowError::NotFound(Missing::Thing))?;
    if current.state != SessionState::Complete {
        return Err(FlowError::CheckoutNotOpen(NotOpen::NotPaid));
    }
    let left = current.amount - current.amount_refunded;
    let amount = amount.unwrap_or(left);
    let exceeds = || FlowError::RefundExceedsPayment {
        left: Money::from_minor(left, current.currency),
        currency: current.currency,
    };
    if amount <= 0 || amount > left {
        return Err(exceeds());
    }
    let reserved = flows
        .batcher
        .apply(vec![
            table::reserve_refund(session.id, amount, now),
            table::insert_refund(operation, session.id, amount, current.currency, now),
        ])
        .await?;
    if !reserved {
        // A concurrent refund took what was left.
        return Err(exceeds());
    }
    Ok(RefundRow {
        operation_id: operation,
        session_id: session.id,
        amount,
        currency: current.currency,
        state: RefundState::Processing,
        created_at: now,
    })
}

/// Moves a reserved refund merchant → buyer (fixed id) and marks it succeeded with its
/// `refund.created` event; a merchant short of money gets its reservation back.
async fn move_back(flows: &Flows, refund: &RefundRow, session: &SessionRow) -> Result<(), FlowError> {
    let buyer = session.buyer_id.ok_or_else(|| FlowError::internal("a paid checkout has no buyer"))?;
    let transfer_id = refund.operation_id.transfer(Slot::Main);
    let note = format!("Refund: {}", session.description).chars().take(280).collect::<String>();
    flows.db.execute(&notes::put(transfer_id, ActivityKind::Refund, Some(&note))).await?;
    let request = TransferRequest::posted(
        transfer_id.0,
        LedgerMovement {
            debit_account_id: codes::wallet_of(session.merchant_id),
            credit_account_id: codes::wallet_of(buyer),
            amount: refund.amount.cast_unsigned(),
            currency: refund.currency,
            code: codes::transfer::REFUND,
        },
    );
    match flows.ledger.create_transfer(request).await? {
        Ok(_) => succeed(flows, refund, session).await,
        Err(CreateTransferError::ExceedsCredits) => {
            flows
                .batcher
                .apply(vec![
                    table::fail_refund(refund.operation_id),
                    table::give_back_reservation(refund.session_id, refund.amount),
                ])
                .await?;
            Err(FlowError::InsufficientFunds(Shortfall::Refund))
        }
        Err(reason) => Err(FlowError::internal(format!("the ledger refused a refund: {reason:?}"))),
    }
}

async fn succeed(flows: &Flows, refund: &RefundRow, session: &SessionRow) -> Result<(), FlowError> {
    let done = RefundRow { state: RefundState::Succeeded, ..refund.clone() };
    let mut statements = vec![table::succeed_refund(refund.operation_id)];
    statements.extend(webhooks::event_statements(
        flows,
        session.merchant_id,
        EventKind::RefundCreated,
        &view(flows, &done, &session.public_id),
    )?);
    // Already succeeded (recovery got there first) is fine.
    flows.batcher.apply(statements).await?;
    webhooks::wake(flows);
    Ok(())
}

/// Refunds cut off before their answer (the server stopped mid-request) that nobody retries:
/// once their key's lease has run out, the job takes the key over and finishes each one as its
/// retry would. Money that reached the ledger is marked succeeded; a reservation that moved
/// nothing moves now, or goes back to the payment when the merchant is short of money. The key
/// keeps the answer, so a late retry is answered as if the first arrival had finished.
pub async fn recover(flows: &Flows) -> Result<usize, FlowError> {
    let now = flows.now();
    let stale_before = now.minus_seconds(movement::RECOVER_AFTER_SECONDS);
    let stuck = flows.db.refunds_processing_since_before(stale_before).await?;
    let mut fixed = 0;
    for stuck in stuck {
        let operation = stuck.operation_id;
        // A retry holding the key now finishes the refund itself.
        if !flows.batcher.apply(vec![movement::take_over_from(operation, now)]).await? {
            continue;
        }
        let session = flows
            .db
            .session(stuck.session_id)
            .await?
            .ok_or_else(|| FlowError::internal("a refunded checkout vanished"))?;
        // Every step of it is guarded by the refund's state, so a row read before the key was
        // taken over is as good as a fresh one.
        let answer = movement::leased(flows, operation, finish(flows, stuck, &session)).await;
        match movement::conclude(flows, operation, Outcome::answer(answer)).await {
            Ok(_) => fixed += 1,
            // Ours (the ledger unreachable, say): the key is released and the refund still
            // processing, so the next round tries again; the others go on.
            Err(error) => {
                tracing::warn!(%error, operation = operation.0, "a cut-off refund is not finished yet")
            }
        }
    }
    Ok(fixed)
}
