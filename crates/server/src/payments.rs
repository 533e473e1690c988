//! Payments between people: the ledger transfer, its grace window, cancelation, and the job
//! that completes windows when they end.
//!
//! A first payment to someone (no earlier pending or completed payment from the sender to
//! them) is a *pending* ledger transfer with no ledger timeout: the money leaves the sender's
//! available balance at once and shows as pending for both. The sender may void it until
//! `hold_until`; after that the job posts it. The job runs every second on every instance and
//! once at start, so a window that ended while the server was down completes on start; posts
//! and voids use fixed ids per payment ([`operations::ledger_id`]), so two instances, or a job
//! racing a cancel, resolve each hold exactly once: the ledger decides who was first.
//!
//! The `payments` row is the server's record of the payment; its `state` follows the ledger,
//! which is the truth (activity and balances are read from the ledger, never from here).

use purse_api::{Amount, Currency, ErrorCode, Handle, Money, Transfer, TransferStatus};
use purse_ledger::{CreateTransferError, Movement, TransferId, TransferRequest};

use crate::activity::rfc3339;
use crate::codes;
use crate::db::with_pool;
use crate::error::AppError;
use crate::journal::{Answer, Draft, Settlement, StateChange};
use crate::operations::{self, Slot};
use crate::state::AppState;

const NANOS: i64 = 1_000_000_000;

/// A payment as the server records it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub operation_id: i64,
    pub transfer_id: i64,
    pub sender_id: i64,
    pub recipient_id: i64,
    pub amount: i64,
    pub currency: String,
    pub note: Option<String>,
    pub hold_until: Option<i64>,
    pub state: String,
    pub request_id: Option<i64>,
    pub created_at: i64,
}

pub(crate) const PAYMENT_COLUMNS: &str = "operation_id, transfer_id, sender_id, recipient_id, amount, currency, note, \
     hold_until, state, request_id, created_at";

/// A payment to make.
#[derive(Clone, Debug)]
pub struct Plan {
    pub sender_id: i64,
    pub recipient_id: i64,
    pub amount: Amount,
    pub note: Option<String>,
    /// The request this pays, if any.
    pub request_id: Option<i64>,
    /// What the activity is called (`transfer`, or `request` for a paid request).
    pub kind: &'static str,
    /// Whether a first payment to this recipient gets a grace window. Paying a request does
    /// not: the recipient asked for it.
    pub grace_window: bool,
}

impl Plan {
    /// The payment as the journal records it; the grace window, if it may have one, would
    /// end `grace_window_s` from now.
    pub fn draft(&self, state: &AppState) -> Draft {
        let now = state.now();
        Draft {
            sender_id: self.sender_id,
            recipient_id: self.recipient_id,
            amount: self.amount.to_minor(),
            currency: self.amount.currency().code().to_string(),
            note: self.note.clone(),
            kind: self.kind,
            request_id: self.request_id,
            hold_until: self.grace_window.then(|| now + i64::from(state.settings.grace_window_s) * NANOS),
            now,
            tip: None,
        }
    }
}

/// Makes the payment of `operation` (or finishes making it, after a cut-off attempt),
/// recording it first if it is not yet. Money moves at most once whatever happens around this
/// call: the ledger transfer id is fixed by the operation.
pub async fn execute(state: &AppState, operation: i64, plan: &Plan) -> Result<PaymentRow, AppError> {
    let payment = match payment_of_operation(state, operation).await? {
        Some(payment) => payment,
        None => state.journal.record(operation, plan.draft(state)).await.map_err(AppError::unavailable)?,
    };
    transfer(state, payment).await
}

/// Asks the ledger for a recorded payment's transfer. Returns the payment in the state the
/// ledger's answer gives it (`pending` or `completed`), which the caller stores with the
/// operation's answer ([`settled_state`], [`operations::conclude`]); a payment the ledger
/// refuses for lack of money is `insufficient_funds` (and `failed`).
pub async fn transfer(state: &AppState, payment: PaymentRow) -> Result<PaymentRow, AppError> {
    let movement = Movement {
        debit_account_id: codes::wallet_of(payment.sender_id),
        credit_account_id: codes::wallet_of(payment.recipient_id),
        amount: payment.amount.cast_unsigned(),
        currency: stored_currency(&payment.currency)?,
        code: codes::transfer::P2P,
    };
    let request = match payment.hold_until {
        // No ledger timeout: a hold that times out in the ledger is voided, and an ended grace
        // window must post instead. The job does that.
        Some(_) => TransferRequest::pending(payment.transfer_id, movement, 0),
        None => TransferRequest::posted(payment.transfer_id, movement),
    };
    match state.ledger.create_transfer(request).await? {
        Ok(_) => {
            let settled = if payment.hold_until.is_some() { "pending" } else { "completed" };
            Ok(PaymentRow { state: settled.to_string(), ..payment })
        }
        Err(CreateTransferError::ExceedsCredits) => Err(AppError::new(
            ErrorCode::InsufficientFunds,
            "Not enough money in your wallet for this payment. Nothing was sent.",
        )
        .with_field("amount")),
        Err(reason) => Err(AppError::internal(format!("the ledger refused a payment: {reason:?}"))),
    }
}

/// The state a payment moves to from `processing` after [`transfer`] gave `made`: its new
/// state, `failed` when refused for lack of money, none when the outcome is not known.
pub fn settled_state(made: &Result<PaymentRow, AppError>) -> Option<&'static str> {
    match made {
        Ok(payment) if payment.state == "pending" => Some("pending"),
        Ok(_) => Some("completed"),
        Err(error) if error.code == ErrorCode::InsufficientFunds => Some("failed"),
        Err(_) => None,
    }
}

/// The states of a payment that count as having paid someone (canceled and failed ones do
/// not): the rule for "paid before" and so for the grace window.
pub(crate) const PAID_STATES: &str = "('pending', 'completed')";

/// Whether `sender` has a pending or completed payment to `recipient`.
pub async fn has_paid_before(state: &AppState, sender: i64, recipient: i64) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT operation_id FROM payments WHERE sender_id = $1 AND recipient_id = $2 \
         AND state IN {PAID_STATES} LIMIT 1"
    );
    let found: Option<i64> = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(&sql)
            .bind(sender)
            .bind(recipient)
            .fetch_optional(pool)
            .await
            .map_err(AppError::database)?
    });
    Ok(found.is_some())
}

pub async fn payment_of_operation(state: &AppState, operation: i64) -> Result<Option<PaymentRow>, AppError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE operation_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(operation).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

pub async fn payment_of_transfer(state: &AppState, transfer_id: i64) -> Result<Option<PaymentRow>, AppError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE transfer_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(transfer_id).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// Moves a payment's state on, only from one of `from` (so a late writer never undoes a
/// newer state).
async fn set_state(
    state: &AppState,
    operation: i64,
    from: &'static [&'static str],
    to: &'static str,
) -> Result<(), AppError> {
    let payment = Some(StateChange { from, to });
    let settlement = Settlement { operation, payment, answer: Answer::Keep };
    state.journal.settle(settlement).await.map_err(AppError::unavailable)
}

/// A currency code as stored by this server: anything else is a broken row, not USD.
pub fn stored_currency(code: &str) -> Result<Currency, AppError> {
    code.parse().map_err(|_| AppError::internal(format!("a stored currency is not one: {code:?}")))
}

/// The payment as its sender sees it on the wire.
pub fn view(state: &AppState, payment: &PaymentRow, recipient_handle: &str) -> Result<Transfer, AppError> {
    let status = match payment.state.as_str() {
        "pending" => TransferStatus::Pending,
        "canceled" => TransferStatus::Canceled,
        _ => TransferStatus::Completed,
    };
    let currency = stored_currency(&payment.currency)?;
    Ok(Transfer {
        id: state.ids.encode("tr", payment.transfer_id),
        status,
        to: Handle::parse(recipient_handle).map_err(AppError::internal)?,
        amount: Money::from_minor(payment.amount, currency).amount_string(),
        currency,
        note: payment.note.clone(),
        cancelable_until: payment.hold_until.filter(|_| status == TransferStatus::Pending).map(rfc3339),
        created_at: rfc3339(payment.created_at),
    })
}

/// Cancels a payment in its grace window: the hold is voided and the money is the sender's
/// again. Canceling a canceled payment answers the same; after the window (or for a payment
/// that never had one) `422 cancel_window_closed`.
pub async fn cancel(state: &AppState, payment: PaymentRow) -> Result<PaymentRow, AppError> {
    let closed = || {
        AppError::new(
            ErrorCode::CancelWindowClosed,
            "This payment can no longer be canceled: it has completed.",
        )
    };
    match payment.state.as_str() {
        "canceled" => return Ok(payment),
        "pending" | "processing" => {}
        _ => return Err(closed()),
    }
    let Some(hold_until) = payment.hold_until else { return Err(closed()) };
    if state.now() >= hold_until {
        return Err(closed());
    }
    let void =
        TransferRequest::void(operations::ledger_id(payment.operation_id, Slot::Void), payment.transfer_id);
    match state.ledger.create_transfer(void).await? {
        Ok(_) | Err(CreateTransferError::PendingTransferAlreadyVoided) => {
            set_state(state, payment.operation_id, &["processing", "pending"], "canceled").await?;
            Ok(PaymentRow { state: "canceled".into(), ..payment })
        }
        Err(CreateTransferError::PendingTransferAlreadyPosted) => {
            set_state(state, payment.operation_id, &["processing", "pending"], "completed").await?;
            Err(closed())
        }
        Err(CreateTransferError::PendingTransferNotFound) => Err(AppError::new(
            ErrorCode::ServiceUnavailable,
            "This payment is still being made. Try again in a moment.",
        )
        .retry_after(1)),
        Err(reason) => Err(AppError::internal(format!("the ledger refused a cancel: {reason:?}"))),
    }
}

/// Posts every payment whose grace window has ended, in one ledger submission per hundred.
/// Returns how many it resolved. Safe to run anywhere, any number of times, concurrently.
pub async fn post_due(state: &AppState) -> Result<usize, AppError> {
    const PAGE: i64 = 100;
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'pending' AND hold_until <= $1 \
         ORDER BY hold_until LIMIT {PAGE}"
    );
    let mut resolved = 0;
    loop {
        let due: Vec<PaymentRow> = with_pool!(&state.db, |pool| {
            sqlx::query_as(&sql).bind(state.now()).fetch_all(pool).await.map_err(AppError::database)?
        });
        if due.is_empty() {
            return Ok(resolved);
        }
        let requests = due
            .iter()
            .map(|p| {
                TransferRequest::post(
                    operations::ledger_id(p.operation_id, Slot::Post),
                    p.transfer_id,
                    p.amount.cast_unsigned(),
                )
            })
            .collect();
        let results = state.ledger.create_transfers(requests).await?;
        let mut settlements = Vec::new();
        for (payment, result) in due.iter().zip(results) {
            let to = match result {
                Ok(_) | Err(CreateTransferError::PendingTransferAlreadyPosted) => "completed",
                Err(CreateTransferError::PendingTransferAlreadyVoided) => "canceled",
                Err(reason) => {
                    tracing::error!(?reason, transfer = payment.transfer_id, "could not complete a payment");
                    continue;
                }
            };
            let change = Some(StateChange { from: &["pending"], to });
            settlements.push(Settlement {
                operation: payment.operation_id,
                payment: change,
                answer: Answer::Keep,
            });
        }
        let progressed = !settlements.is_empty();
        resolved += settlements.len();
        state.journal.settle_all(settlements).await.map_err(AppError::unavailable)?;
        if !progressed {
            return Ok(resolved);
        }
    }
}

/// Brings payments cut off between their operation and the ledger's answer (the server
/// stopped mid-request) in line with the ledger, once their lease has run out: a transfer
/// that committed makes the payment pending or completed. One that never committed stays as
/// it is until its key is retried (which finishes it either way).
pub async fn recover(state: &AppState) -> Result<usize, AppError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'processing' AND created_at < $1 \
         ORDER BY created_at LIMIT 500"
    );
    let stale_before = state.now() - operations::LEASE_SECONDS * NANOS;
    let stuck: Vec<PaymentRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(stale_before).fetch_all(pool).await.map_err(AppError::database)?
    });
    if stuck.is_empty() {
        return Ok(0);
    }
    let ids: Vec<TransferId> = stuck.iter().map(|p| TransferId(p.transfer_id)).collect();
    let found = state.ledger.lookup_transfers(&ids).await?;
    let mut fixed = 0;
    for payment in &stuck {
        if let Some(record) = found.iter().find(|r| r.transfer.id.0 == payment.transfer_id) {
            let to = if record.pending.is_some() { "pending" } else { "completed" };
            set_state(state, payment.operation_id, &["processing"], to).await?;
            fixed += 1;
        }
    }
    Ok(fixed)
}

/// Runs [`recover`] and [`post_due`] at once and then every second until the server stops.
pub fn spawn_jobs(state: &AppState) -> tokio::task::JoinHandle<()> {
    state.spawn_every_second(|state| async move {
        if let Err(error) = recover(&state).await {
            tracing::warn!(%error, "payment recovery failed; retrying");
        }
        if let Err(error) = post_due(&state).await {
            tracing::warn!(%error, "completing ended grace windows failed; retrying");
        }
    })
}
