//! Payments between people: a send (`POST /transfers`), its ledger transfer and grace window,
//! cancelation, and the jobs that complete windows when they end and recover payments cut off.
//!
//! A first payment to someone (no earlier pending or completed payment from the sender to
//! them) is a *pending* ledger transfer with no ledger timeout: the money leaves the sender's
//! available balance at once and shows as pending for both. The sender may void it until
//! `hold_until`; after that the job posts it. The job runs every second on every instance and
//! once at start, so a window that ended while the server was down completes on start; posts
//! and voids use fixed ids per payment ([`crate::ids::ledger_id`]), so two instances, or a job
//! racing a cancel, resolve each hold exactly once: the ledger decides who was first.
//!
//! The `payments` row is the server's record of the payment; its state follows the ledger,
//! which is the truth (activity and balances are read from the ledger, never from here).

use purse_api::{ActivityKind, Amount, Handle, Money, Transfer, TransferResponse, TransferStatus};
use purse_ledger::{CreateTransferError, Movement as LedgerMovement, TransferId, TransferRequest};

use crate::codes;
use crate::flows::error::{Forbidden, Missing, Party, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, Counts, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Recipient,
    Recorded, Rules,
};
use crate::flows::{FlowError, Flows, people};
use crate::ids::{OperationId, PersonId, Slot};
use crate::store::StoredAnswer;
use crate::store::monitoring::Watched;
use crate::store::operations::{KeyOutcome, Settlement};
use crate::store::payments::{Draft, PaymentRow, PaymentState, StateChange};
use crate::store::people::UserRow;

/// A payment to make.
#[derive(Clone, Debug)]
pub struct Plan {
    pub sender_id: PersonId,
    pub recipient_id: PersonId,
    pub amount: Amount,
    pub note: Option<String>,
    /// The request this pays, if any.
    pub request_id: Option<i64>,
    /// What the activity is called (`transfer`, or `request` for a paid request).
    pub kind: ActivityKind,
    /// Whether a first payment to this recipient gets a grace window. Paying a request does
    /// not: the recipient asked for it.
    pub grace_window: bool,
    /// Held for review: the reason code (the monitoring rules decided it in the key's batch).
    pub review: Option<String>,
}

impl Plan {
    /// The payment as the write batcher records it; the grace window, if it may have one,
    /// would end `grace_window_s` from now.
    pub fn draft(&self, flows: &Flows) -> Draft {
        let now = flows.now();
        Draft {
            sender_id: self.sender_id,
            recipient_id: self.recipient_id,
            amount: self.amount.to_minor(),
            currency: self.amount.currency(),
            note: self.note.clone(),
            kind: self.kind,
            request_id: self.request_id,
            hold_until: self.grace_window.then(|| now.plus_seconds(i64::from(flows.settings.grace_window_s))),
            now,
            tip: None,
            review: self.review.clone(),
        }
    }
}

/// A send, checked by the HTTP layer (the amount, the note).
#[derive(Clone, Debug)]
pub struct NewSend {
    pub to: Handle,
    pub amount: Amount,
    pub note: Option<String>,
}

/// `POST /transfers`: sends `new` from `user`, once per key. The recipient is found first, then
/// the key goes down the money path.
pub async fn send(
    flows: &Flows,
    user: &UserRow,
    key: &IdempotencyKey,
    hash: [u8; 32],
    pin: Option<&str>,
    new: NewSend,
) -> Result<StoredAnswer, FlowError> {
    let recipient = people::recipient(flows, user, &new.to, Party::Recipient).await?;
    let plan = Plan {
        sender_id: user.id,
        recipient_id: recipient.id,
        amount: new.amount,
        note: new.note,
        request_id: None,
        kind: ActivityKind::Transfer,
        grace_window: true,
        review: None,
    };
    // The payment's times (and its grace window) are taken as it arrives.
    let draft = plan.draft(flows);
    let call = Call { caller: Caller::Person(user), key, hash, pin };
    movement::run(flows, call, Send { plan, draft, recipient: recipient.handle }).await
}

/// A send on the money path.
struct Send {
    plan: Plan,
    /// What a first arrival records with its key.
    draft: Draft,
    recipient: String,
}

impl Movement for Send {
    type Target = ();

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::WhenPinNeeded, limited: true, outgoing: true }
    }

    async fn load(&self, _flows: &Flows) -> Result<(), FlowError> {
        Ok(())
    }

    fn pin_rule(&self, _target: &()) -> PinRule {
        PinRule::StepUp(self.plan.amount)
    }

    fn counts(&self, _target: &()) -> Option<Counts> {
        Some(Counts::payment(
            self.draft.amount,
            Some(Recipient::Person(self.plan.recipient_id)),
            Shortfall::Payment,
        ))
    }

    fn watched(&self, _target: &()) -> Option<Watched> {
        Some(Watched::Payment { recipient: self.plan.recipient_id })
    }

    fn record(&self, _flows: &Flows, _target: &()) -> Recorded {
        Recorded { payment: Some(self.draft.clone()), ..Recorded::default() }
    }

    async fn run(self, flows: &Flows, operation: OperationId, _target: (), begun: Begun) -> Outcome {
        let made = match begun {
            Begun::Fresh { payment: Some(payment), .. } => transfer(flows, payment).await,
            _ => execute(flows, operation, &self.plan).await,
        };
        let payment = settled_state(&made);
        let answer = made.and_then(|payment| {
            let transfer = view(flows, &payment, &self.recipient)?;
            movement::created(&TransferResponse { transfer })
        });
        Outcome { payment, answer, after: Vec::new() }
    }
}

/// Makes the payment of `operation` (or finishes making it, after a cut-off attempt),
/// recording it first if it is not yet. Money moves at most once whatever happens around this
/// call: the ledger transfer id is fixed by the operation.
pub async fn execute(flows: &Flows, operation: OperationId, plan: &Plan) -> Result<PaymentRow, FlowError> {
    let payment = match flows.db.payment_by_operation(operation).await? {
        Some(payment) => payment,
        None => {
            let mut draft = plan.draft(flows);
            // Resumed after its key's batch held it: the case says so.
            if draft.review.is_none() {
                draft.review = flows.db.case_reason(operation).await?;
            }
            flows.batcher.record(operation, draft).await?
        }
    };
    transfer(flows, payment).await
}

/// Asks the ledger for a recorded payment's transfer. Returns the payment in the state the
/// ledger's answer gives it (`pending` or `completed`), which the caller stores with the
/// operation's answer ([`settled_state`]); a payment the ledger refuses for lack of money is
/// `insufficient_funds` (and `failed`).
pub async fn transfer(flows: &Flows, payment: PaymentRow) -> Result<PaymentRow, FlowError> {
    let movement = LedgerMovement {
        debit_account_id: codes::wallet_of(payment.sender_id),
        credit_account_id: codes::wallet_of(payment.recipient_id),
        amount: payment.amount.cast_unsigned(),
        currency: payment.currency,
        code: codes::transfer::P2P,
    };
    // A grace window or a hold for review: pending, with no ledger timeout (a hold that times
    // out in the ledger is voided, and an ended grace window must post instead: the job does
    // that; an officer posts or voids a held one).
    let pending = payment.hold_until.is_some() || payment.review.is_some();
    let request = if pending {
        TransferRequest::pending(payment.transfer_id.0, movement, 0)
    } else {
        TransferRequest::posted(payment.transfer_id.0, movement)
    };
    match flows.ledger.create_transfer(request).await? {
        Ok(_) => {
            let state = if pending { PaymentState::Pending } else { PaymentState::Completed };
            Ok(PaymentRow { state, ..payment })
        }
        Err(CreateTransferError::ExceedsCredits) => Err(FlowError::InsufficientFunds(Shortfall::Payment)),
        Err(reason) => Err(FlowError::internal(format!("the ledger refused a payment: {reason:?}"))),
    }
}

/// The state a payment moves to from `processing` after the ledger gave `made`: its new state,
/// `failed` when refused for lack of money, none when the outcome is not known.
pub fn settled_state(made: &Result<PaymentRow, FlowError>) -> Option<PaymentState> {
    match made {
        Ok(payment) if payment.state == PaymentState::Pending => Some(PaymentState::Pending),
        Ok(_) => Some(PaymentState::Completed),
        Err(FlowError::InsufficientFunds(_)) => Some(PaymentState::Failed),
        Err(_) => None,
    }
}

/// Moves a payment's state on, only from one of `from` (so a late writer never undoes a
/// newer state).
async fn set_state(
    flows: &Flows,
    operation: OperationId,
    from: &'static [PaymentState],
    to: PaymentState,
) -> Result<(), FlowError> {
    let payment = Some(StateChange { from, to });
    Ok(flows.batcher.settle(Settlement { operation, payment, key: KeyOutcome::Keep }).await?)
}

/// The payment as its sender sees it on the wire.
pub fn view(flows: &Flows, payment: &PaymentRow, recipient_handle: &str) -> Result<Transfer, FlowError> {
    let status = match payment.state {
        PaymentState::Pending => TransferStatus::Pending,
        PaymentState::Canceled => TransferStatus::Canceled,
        _ => TransferStatus::Completed,
    };
    Ok(Transfer {
        id: flows.ids.encode("tr", payment.transfer_id.0),
        status,
        to: Handle::parse(recipient_handle).map_err(FlowError::internal)?,
        amount: Money::from_minor(payment.amount, payment.currency).amount_string(),
        currency: payment.currency,
        note: payment.note.clone(),
        cancelable_until: payment
            .hold_until
            .filter(|_| status == TransferStatus::Pending)
            .map(crate::time::Time::rfc3339),
        created_at: payment.created_at.rfc3339(),
        review: (payment.review.is_some() && status == TransferStatus::Pending).then(super::review::review),
    })
}

/// `POST /transfers/{id}/cancel`: only the sender, only in the grace window. Canceling a
/// canceled payment answers the same; after the window (or for a payment that never had one)
/// [`FlowError::CancelWindowClosed`].
pub async fn cancel(flows: &Flows, user: &UserRow, transfer: TransferId) -> Result<Transfer, FlowError> {
    let not_found = FlowError::NotFound(Missing::Thing);
    let payment = flows.db.payment_by_transfer(transfer).await?.ok_or(not_found.clone())?;
    if payment.sender_id != user.id {
        return Err(if payment.recipient_id == user.id {
            FlowError::Forbidden(Forbidden::OnlySenderCancels)
        } else {
            not_found
        });
    }
    let payment = cancel_payment(flows, payment).await?;
    let recipient = flows
        .db
        .users_by_ids(&[payment.recipient_id])
        .await?
        .pop()
        .ok_or_else(|| FlowError::internal("the recipient vanished"))?;
    view(flows, &payment, &recipient.handle)
}

async fn cancel_payment(flows: &Flows, payment: PaymentRow) -> Result<PaymentRow, FlowError> {
    match payment.state {
        PaymentState::Canceled => return Ok(payment),
        PaymentState::Pending | PaymentState::Processing => {}
        _ => return Err(FlowError::CancelWindowClosed),
    }
    let Some(hold_until) = payment.hold_until else { return Err(FlowError::CancelWindowClosed) };
    if flows.now() >= hold_until {
        return Err(FlowError::CancelWindowClosed);
    }
    let open = &[PaymentState::Processing, PaymentState::Pending];
    let void = TransferRequest::void(payment.operation_id.transfer(Slot::Void).0, payment.transfer_id.0);
    match flows.ledger.create_transfer(void).await? {
        Ok(_) | Err(CreateTransferError::PendingTransferAlreadyVoided) => {
            set_state(flows, payment.operation_id, open, PaymentState::Canceled).await?;
            Ok(PaymentRow { state: PaymentState::Canceled, ..payment })
        }
        Err(CreateTransferError::PendingTransferAlreadyPosted) => {
            set_state(flows, payment.operation_id, open, PaymentState::Completed).await?;
            Err(FlowError::CancelWindowClosed)
        }
        Err(CreateTransferError::PendingTransferNotFound) => Err(FlowError::PaymentInProgress),
        Err(reason) => Err(FlowError::internal(format!("the ledger refused a cancel: {reason:?}"))),
    }
}

/// Posts every payment whose grace window has ended, in one ledger submission per hundred.
/// Returns how many it resolved. Safe to run anywhere, any number of times, concurrently.
pub async fn post_due(flows: &Flows) -> Result<usize, FlowError> {
    const PAGE: i64 = 100;
    let mut resolved = 0;
    loop {
        let due = flows.db.payments_due(flows.now(), PAGE).await?;
        if due.is_empty() {
            return Ok(resolved);
        }
        let requests = due
            .iter()
            .map(|p| {
                TransferRequest::post(
                    p.operation_id.transfer(Slot::Post).0,
                    p.transfer_id.0,
                    p.amount.cast_unsigned(),
                )
            })
            .collect();
        let results = flows.ledger.create_transfers(requests).await?;
        let mut settlements = Vec::new();
        for (payment, result) in due.iter().zip(results) {
            let to = match result {
                Ok(_) | Err(CreateTransferError::PendingTransferAlreadyPosted) => PaymentState::Completed,
                Err(CreateTransferError::PendingTransferAlreadyVoided) => PaymentState::Canceled,
                Err(reason) => {
                    tracing::error!(
                        ?reason,
                        transfer = payment.transfer_id.0,
                        "could not complete a payment"
                    );
                    continue;
                }
            };
            let change = Some(StateChange { from: &[PaymentState::Pending], to });
            settlements.push(Settlement {
                operation: payment.operation_id,
                payment: change,
                key: KeyOutcome::Keep,
            });
        }
        let progressed = !settlements.is_empty();
        resolved += settlements.len();
        flows.batcher.settle_all(settlements).await?;
        if !progressed {
            return Ok(resolved);
        }
    }
}

/// Brings payments cut off between their operation and the ledger's answer (the server
/// stopped mid-request) in line with the ledger, once their lease has run out: a transfer
/// that committed makes the payment pending or completed. One that never committed stays as
/// it is until its key is retried (which finishes it either way).
pub async fn recover(flows: &Flows) -> Result<usize, FlowError> {
    let stale_before = flows.now().minus_seconds(movement::RECOVER_AFTER_SECONDS);
    let stuck = flows.db.payments_processing_since_before(stale_before).await?;
    if stuck.is_empty() {
        return Ok(0);
    }
    let ids: Vec<TransferId> = stuck.iter().map(|p| p.transfer_id).collect();
    let found = flows.ledger.lookup_transfers(&ids).await?;
    let mut fixed = 0;
    for payment in &stuck {
        if let Some(record) = found.iter().find(|r| r.transfer.id == payment.transfer_id) {
            let to = if record.pending.is_some() { PaymentState::Pending } else { PaymentState::Completed };
            set_state(flows, payment.operation_id, &[PaymentState::Processing], to).await?;
            fixed += 1;
        }
    }
    Ok(fixed)
}

/// Runs [`recover`] and [`post_due`] once (the job's tick; see [`super::jobs`]).
pub async fn tick(flows: &Flows) {
    if let Err(error) = recover(flows).await {
        tracing::warn!(%error, "payment recovery failed; retrying");
    }
    if let Err(error) = post_due(flows).await {
        tracing::warn!(%error, "completing ended grace windows failed; retrying");
    }
}

/// Runs [`tick`] at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}
