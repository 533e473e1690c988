//! Checkout sessions: what a merchant sells and how the buyer pays it.
//!
//! A session is created by the merchant's server (on the money path, so a retry of its key finds
//! it) and is `open` for 30 minutes. The buyer confirms with the PIN: the confirmation's own
//! operation *claims* the session (`paying_operation_id`, with a lease) in its key's batch,
//! records a payment (kind `checkout`) and asks the ledger for the transfer buyer → merchant with
//! the operation's fixed id, then marks the session `complete` **and** writes
//! `checkout.session.completed` to the webhook outbox in one group. So a second confirm (same
//! key: replayed; another key, another buyer: refused) never moves money twice, and a
//! confirmation cut off anywhere is finished by its retry or by [`recover`].
//!
//! The job ([`spawn_jobs`]) expires open, unclaimed sessions whose time is up (with
//! `checkout.session.expired` in the same group), recovers cut-off confirmations, and finishes
//! refunds cut off before their answer ([`super::refunds`]).

use std::collections::BTreeMap;

use purse_api::checkout::{SESSION_MINUTES, with_query_param};
use purse_api::{
    ActivityKind, CheckoutOutcome, CheckoutPayment, CheckoutSession, CheckoutSessionResponse, CheckoutStatus,
    Currency, Merchant, Money, PublicCheckoutSession,
};
use purse_ledger::{CreateTransferError, Movement as LedgerMovement, TransferRequest};

use crate::codes;
use crate::flows::error::{Missing, NotOpen, Party, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, Counts, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Recipient,
    Recorded, Rules,
};
use crate::flows::webhooks::{self, EventKind};
use crate::flows::{FlowError, Flows, merchants, payments, refunds};
use crate::ids::{OperationId, PersonId};
use crate::store::checkout::{self as table, NewSessionRow, SessionRow, SessionState};
use crate::store::payments::{Draft, PaymentRow, PaymentState};
use crate::store::people::UserRow;
use crate::store::{Statement, StoredAnswer, Value};
use crate::time::Time;

/// How long a confirmation holds its claim on a session (then [`recover`] looks at it).
const CLAIM_SECONDS: i64 = 5 * movement::RECOVER_AFTER_SECONDS;

/// A new session, checked by the HTTP layer.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub amount: i64,
    pub currency: Currency,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// A session's status as of `now`: an open session whose time is up (and that no confirmation
/// holds) is expired, even before the job has marked it.
pub fn status_at(row: &SessionRow, now: Time) -> CheckoutStatus {
    match row.state {
        SessionState::Complete => CheckoutStatus::Complete,
        SessionState::Expired => CheckoutStatus::Expired,
        SessionState::Canceled => CheckoutStatus::Canceled,
        SessionState::Open if now >= row.expires_at && row.paying_operation_id.is_none() => {
            CheckoutStatus::Expired
        }
        SessionState::Open => CheckoutStatus::Open,
    }
}

fn money(row: &SessionRow, minor: i64) -> String {
    Money::from_minor(minor, row.currency).amount_string()
}

/// The session `text` names (`cs_…`), if it exists.
pub async fn find(flows: &Flows, text: &str) -> Result<Option<SessionRow>, FlowError> {
    if !text.starts_with("cs_") || text.len() > 64 {
        return Ok(None);
    }
    Ok(flows.db.session_by_public_id(text).await?)
}

/// `merchant`'s own session `text`; anyone else's is not found (`missing` says how the caller
/// named it).
pub async fn own_session(
    flows: &Flows,
    merchant: PersonId,
    text: &str,
    missing: Missing,
) -> Result<SessionRow, FlowError> {
    find(flows, text).await?.filter(|row| row.merchant_id == merchant).ok_or(FlowError::NotFound(missing))
}

/// The request hash of confirming the session `public_id` (the PIN left out, as always).
pub fn confirm_hash(public_id: &str) -> [u8; 32] {
    let endpoint = format!("POST /checkout/sessions/{public_id}/confirm");
    movement::request_hash(&endpoint, &purse_api::ConfirmCheckout { pin: None })
}

/// `POST /checkout/sessions`: `merchant` creates a session, once per key.
pub async fn create(
    flows: &Flows,
    merchant: PersonId,
    key: &IdempotencyKey,
    hash: [u8; 32],
    new: NewSession,
) -> Result<StoredAnswer, FlowError> {
    let call = Call { caller: Caller::Merchant(merchant), key, hash, pin: None };
    movement::run(flows, call, Create { merchant, new }).await
}

/// Creating a session, on the money path (no money moves: not limited, no PIN).
struct Create {
    merchant: PersonId,
    new: NewSession,
}

impl Movement for Create {
    type Target = ();

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::Never, limited: false, outgoing: false }
    }

    async fn load(&self, _flows: &Flows) -> Result<(), FlowError> {
        Ok(())
    }

    fn pin_rule(&self, _target: &()) -> PinRule {
        PinRule::Never
    }

    async fn run(self, flows: &Flows, operation: OperationId, _target: (), _begun: Begun) -> Outcome {
        let answer = async {
            let row = create_session(flows, self.merchant, operation, &self.new).await?;
            movement::created(&CheckoutSessionResponse { session: view(flows, &row) })
        };
        Outcome::answer(answer.await)
    }
}

/// Creates the session of `operation` (or finds it, when a cut-off creation is retried).
async fn create_session(
    flows: &Flows,
    merchant: PersonId,
    operation: OperationId,
    new: &NewSession,
) -> Result<SessionRow, FlowError> {
    let now = flows.now();
    let metadata = serde_json::to_string(&new.metadata).map_err(FlowError::internal)?;
    // 112 random bits: the hosted page's URL cannot be guessed from another id.
    let public_id = super::people::new_public_id("cs");
    let insert = table::insert_session(&NewSessionRow {
        public_id: &public_id,
        merchant,
        operation,
        amount: new.amount,
        currency: new.currency,
        description: &new.description,
        success_url: &new.success_url,
        cancel_url: &new.cancel_url,
        client_reference_id: new.client_reference_id.as_deref(),
        metadata: &metadata,
        expires_at: now.plus_seconds(SESSION_MINUTES * 60),
        now,
    });
    flows.batcher.apply(vec![insert]).await?;
    Ok(flows.db.session_of_operation(operation).await?)
}

/// The session as its merchant sees it.
pub fn view(flows: &Flows, row: &SessionRow) -> CheckoutSession {
    let id = row.public_id.clone();
    let payment = match (row.state, row.transfer_id) {
        (SessionState::Complete, Some(transfer)) => Some(CheckoutPayment {
            id: flows.ids.encode("tr", transfer.0),
            amount_refunded: money(row, row.amount_refunded),
        }),
        _ => None,
    };
    CheckoutSession {
        url: format!("/checkout/{id}"),
        id,
        status: status_at(row, flows.now()),
        amount: money(row, row.amount),
        currency: row.currency,
        description: row.description.clone(),
        success_url: row.success_url.clone(),
        cancel_url: row.cancel_url.clone(),
        client_reference_id: row.client_reference_id.clone(),
        metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
        payment,
        created_at: row.created_at.rfc3339(),
        expires_at: row.expires_at.rfc3339(),
    }
}

/// The session as its merchant's server reads it: its own only.
pub async fn session(flows: &Flows, merchant: PersonId, text: &str) -> Result<CheckoutSession, FlowError> {
    Ok(view(flows, &own_session(flows, merchant, text, Missing::Thing).await?))
}

/// The session as the buyer's page shows it (no sign-in needed).
pub async fn public_session(
    flows: &Flows,
    text: &str,
    viewer: Option<PersonId>,
) -> Result<PublicCheckoutSession, FlowError> {
    let row = find(flows, text).await?.ok_or(FlowError::NotFound(Missing::Thing))?;
    if let Some(viewer) = viewer.filter(|viewer| row.buyer_id.is_none() && *viewer != row.merchant_id) {
        // The first signed-in person to open an open session is its buyer: only they (and the
        // merchant) may cancel it.
        if row.state == SessionState::Open {
            flows.batcher.apply(vec![table::bind_buyer(row.id, viewer)]).await?;
        }
    }
    let merchant = merchants::name_of(flows, row.merchant_id).await?;
    Ok(PublicCheckoutSession {
        id: row.public_id.clone(),
        merchant: Merchant { name: merchant },
        amount: money(&row, row.amount),
        currency: row.currency,
        description: row.description.clone(),
        status: status_at(&row, flows.now()),
        expires_at: row.expires_at.rfc3339(),
        cancel_url: row.cancel_url.clone(),
    })
}

/// Why a session cannot be paid (or canceled) now.
pub fn not_open(row: &SessionRow, now: Time) -> FlowError {
    match status_at(row, now) {
        CheckoutStatus::Expired => FlowError::CheckoutExpired,
        CheckoutStatus::Complete => FlowError::CheckoutNotOpen(NotOpen::Paid),
        CheckoutStatus::Canceled => FlowError::CheckoutNotOpen(NotOpen::Canceled),
        CheckoutStatus::Open => FlowError::CheckoutNotOpen(NotOpen::BeingPaid),
    }
}

/// `POST /checkout/sessions/{id}/confirm`: `buyer` pays the session `text` names, with the PIN,
/// once per key.
pub async fn confirm(
    flows: &Flows,
    buyer: &UserRow,
    text: &str,
    key: &IdempotencyKey,
    pin: Option<&str>,
) -> Result<StoredAnswer, FlowError> {
    // The hash names the session by the id it is found by, so the session and an earlier
    // arrival of the key are read side by side (and the PIN attempt counted beside them).
    let call = Call { caller: Caller::Person(buyer), key, hash: confirm_hash(text), pin };
    movement::run(flows, call, Confirm { text: text.to_string(), buyer: buyer.id }).await
}

/// A buyer's confirmation, on the money path.
struct Confirm {
    text: String,
    buyer: PersonId,
}

impl Movement for Confirm {
    type Target = SessionRow;

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::BesideTarget, limited: true, outgoing: true }
    }

    async fn load(&self, flows: &Flows) -> Result<SessionRow, FlowError> {
        find(flows, &self.text).await?.ok_or(FlowError::NotFound(Missing::Thing))
    }

    fn pin_rule(&self, _row: &SessionRow) -> PinRule {
        PinRule::Always
    }

    /// A send for the buyer's limit; a merchant (a business) has no receive limit, but one that
    /// is restricted or frozen cannot be paid.
    fn counts(&self, row: &SessionRow) -> Option<Counts> {
        Some(Counts::payment(row.amount, Some(Recipient::Merchant(row.merchant_id)), Shortfall::Checkout))
    }

    fn check_first(&self, flows: &Flows, _caller: &Caller<'_>, row: &SessionRow) -> Result<(), FlowError> {
        let now = flows.now();
        if status_at(row, now) != CheckoutStatus::Open {
            return Err(not_open(row, now));
        }
        if row.merchant_id == self.buyer {
            return Err(FlowError::SelfPayment(Party::Merchant));
        }
        Ok(())
    }

    /// The payment is recorded and the session claimed with the key, in one batch.
    fn record(&self, flows: &Flows, row: &SessionRow) -> Recorded {
        Recorded {
            payment: Some(draft(flows, row, self.buyer)),
            then: vec![claim_statement(flows, row)],
            ..Recorded::default()
        }
    }

    async fn run(self, flows: &Flows, operation: OperationId, row: SessionRow, begun: Begun) -> Outcome {
        let (recorded, claimed) = match begun {
            Begun::Fresh { payment, then, .. } => (payment, then),
            Begun::Resumed => (None, None),
        };
        pay(flows, operation, &row, self.buyer, recorded, claimed).await
    }
}

/// Pays a session for `buyer` under `operation` (after the PIN and the key): claims it, moves
/// the money once, and returns the payment's new state, the answer and the completion (the
/// statements that complete the session, with its event, written just before the answer is
/// stored; if they are lost, [`recover`] completes the session). `claimed` is whether the key's
/// own batch claimed it ([`claim_statement`] made with the key); `None` when the operation is
/// resumed, and this claims it (or finds its own claim) now.
pub async fn pay(
    flows: &Flows,
    operation: OperationId,
    row: &SessionRow,
    buyer: PersonId,
    recorded: Option<PaymentRow>,
    claimed: Option<bool>,
) -> Outcome {
    let claimed = match claimed {
        Some(claimed) => Ok(claimed),
        None => claim(flows, operation, row).await,
    };
    let current = match claimed {
        Ok(true) => row.clone(),
        Ok(false) => {
            let current = flows.db.session(row.id).await.ok().flatten().unwrap_or_else(|| row.clone());
            // Resumed after this very operation completed it: carry on to the same answer.
            if !(current.state == SessionState::Complete && current.paying_operation_id == Some(operation)) {
                // Another confirmation got there first: this one's payment never happens.
                let refusal = not_open(&current, flows.now());
                return Outcome {
                    payment: Some(PaymentState::Failed),
                    answer: Err(refusal),
                    after: Vec::new(),
                };
            }
            current
        }
        Err(error) => return Outcome::answer(Err(error)),
    };
    let recorded = match recorded {
        Some(payment) => Ok(payment),
        None => payment(flows, operation, row, buyer).await,
    };
    let made = match recorded {
        Ok(payment) => transfer(flows, payment).await,
        Err(error) => Err(error),
    };
    let settled = payments::settled_state(&made);
    let mut after = Vec::new();
    let answer = match made {
        Ok(payment) => completion(flows, &current, operation, &payment).and_then(|statements| {
            after = statements;
            let redirect_url = with_query_param(&row.success_url, "session_id", &row.public_id);
            movement::ok(&CheckoutOutcome { status: CheckoutStatus::Complete, redirect_url })
        }),
        Err(error @ FlowError::InsufficientFunds(_)) => {
            match flows.batcher.apply(vec![table::unclaim(row.id, operation, flows.now())]).await {
                Ok(_) => Err(error),
                Err(store) => Err(store.into()),
            }
        }
        Err(error) => Err(error),
    };
    Outcome { payment: settled, answer, after }
}

/// The statement that takes the session for the operation a key's batch opens (its `$1`, see
/// [`crate::store::operations::Opening::then`]).
pub fn claim_statement(flows: &Flows, row: &SessionRow) -> Statement {
    let now = flows.now();
    table::claim(row.id, now.plus_seconds(CLAIM_SECONDS), now)
}

/// Takes the session for `operation` on its own (a resumed confirmation).
async fn claim(flows: &Flows, operation: OperationId, row: &SessionRow) -> Result<bool, FlowError> {
    let mut claim = claim_statement(flows, row);
    claim.values.insert(0, Value::from(operation));
    Ok(flows.batcher.apply(vec![claim]).await?)
}

/// The payment of `operation`: recorded now if a cut-off attempt did not record it.
async fn payment(
    flows: &Flows,
    operation: OperationId,
    row: &SessionRow,
    buyer: PersonId,
) -> Result<PaymentRow, FlowError> {
    if let Some(payment) = flows.db.payment_by_operation(operation).await? {
        return Ok(payment);
    }
    Ok(flows.batcher.record(operation, draft(flows, row, buyer)).await?)
}

/// The payment a confirmation of `row` by `buyer` makes (kind `checkout`, the description as
/// its note), for the batcher to record with the confirmation's key.
pub fn draft(flows: &Flows, row: &SessionRow, buyer: PersonId) -> Draft {
    Draft {
        review: None,
        sender_id: buyer,
        recipient_id: row.merchant_id,
        amount: row.amount,
        currency: row.currency,
        note: Some(row.description.chars().take(280).collect()),
        kind: ActivityKind::Checkout,
        request_id: None,
        hold_until: None,
        now: flows.now(),
        tip: None,
    }
}

/// The ledger transfer buyer → merchant, with the payment's fixed id.
async fn transfer(flows: &Flows, payment: PaymentRow) -> Result<PaymentRow, FlowError> {
    let request = TransferRequest::posted(
        payment.transfer_id.0,
        LedgerMovement {
            debit_account_id: codes::wallet_of(payment.sender_id),
            credit_account_id: codes::wallet_of(payment.recipient_id),
            amount: payment.amount.cast_unsigned(),
            currency: payment.currency,
            code: codes::transfer::CHECKOUT,
        },
    );
    match flows.ledger.create_transfer(request).await? {
        Ok(_) => Ok(PaymentRow { state: PaymentState::Completed, ..payment }),
        Err(CreateTransferError::ExceedsCredits) => Err(FlowError::InsufficientFunds(Shortfall::Checkout)),
        Err(reason) => Err(FlowError::internal(format!("the ledger refused a checkout: {reason:?}"))),
    }
}

/// The statements that mark the session paid by `payment` and write
/// `checkout.session.completed` (none if `row` is complete already). `row` is the session as
/// last read.
fn completion(
    flows: &Flows,
    row: &SessionRow,
    operation: OperationId,
    payment: &PaymentRow,
) -> Result<Vec<Statement>, FlowError> {
    if row.state == SessionState::Complete {
        return Ok(Vec::new());
    }
    let now = flows.now();
    let done = SessionRow {
        state: SessionState::Complete,
        paying_operation_id: Some(operation),
        buyer_id: Some(payment.sender_id),
        transfer_id: Some(payment.transfer_id),
        updated_at: now,
        ..row.clone()
    };
    let mut statements =
        vec![table::complete(row.id, operation, payment.sender_id, payment.transfer_id, now)];
    statements.extend(webhooks::event_statements(
        flows,
        row.merchant_id,
        EventKind::CheckoutCompleted,
        &view(flows, &done),
    )?);
    Ok(statements)
}

/// Completes the session now (recovery).
async fn complete(
    flows: &Flows,
    row: &SessionRow,
    operation: OperationId,
    payment: &PaymentRow,
) -> Result<(), FlowError> {
    let statements = completion(flows, row, operation, payment)?;
    if !statements.is_empty() && flows.batcher.apply(statements).await? {
        webhooks::wake(flows);
    }
    Ok(())
}

/// `POST /checkout/sessions/{id}/cancel`: the buyer goes back to the merchant. Canceling a
/// canceled session is fine. Only the session's buyer (the first signed-in person to open it,
/// or to cancel it) and its merchant may; to anyone else it is not found.
pub async fn cancel(flows: &Flows, caller: PersonId, text: &str) -> Result<CheckoutOutcome, FlowError> {
    let row = find(flows, text).await?.ok_or(FlowError::NotFound(Missing::Thing))?;
    if caller != row.merchant_id && row.buyer_id != Some(caller) {
        let bound =
            row.buyer_id.is_none() && flows.batcher.apply(vec![table::bind_buyer(row.id, caller)]).await?;
        if !bound {
            return Err(FlowError::NotFound(Missing::Thing));
        }
    }
    let now = flows.now();
    if row.state != SessionState::Canceled && !flows.batcher.apply(vec![table::cancel(row.id, now)]).await? {
        let current = flows.db.session(row.id).await?.unwrap_or_else(|| row.clone());
        if current.state != SessionState::Canceled {
            return Err(not_open(&current, now));
        }
    }
    Ok(CheckoutOutcome { status: CheckoutStatus::Canceled, redirect_url: row.cancel_url.clone() })
}

/// Expires every open, unclaimed session whose time is up, each with its
/// `checkout.session.expired` event. Returns how many.
pub async fn expire_due(flows: &Flows) -> Result<usize, FlowError> {
    let mut expired = 0;
    loop {
        let now = flows.now();
        let due = flows.db.sessions_to_expire(now).await?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for row in due {
            let done = SessionRow { state: SessionState::Expired, updated_at: now, ..row.clone() };
            let mut statements = vec![table::expire(row.id, now)];
            statements.extend(webhooks::event_statements(
                flows,
                row.merchant_id,
                EventKind::CheckoutExpired,
                &view(flows, &done),
            )?);
            if flows.batcher.apply(statements).await? {
                expired += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    if expired > 0 {
        webhooks::wake(flows);
    }
    Ok(expired)
}

/// Finishes confirmations cut off after their claim (the server stopped mid-request), once
/// their claim has run out: money that reached the ledger completes the session; a claim that
/// moved nothing is let go.
pub async fn recover(flows: &Flows) -> Result<usize, FlowError> {
    let stuck = flows.db.sessions_with_stale_claims(flows.now()).await?;
    let mut fixed = 0;
    for row in stuck {
        let Some(operation) = row.paying_operation_id else { continue };
        let found = flows.ledger.lookup_transfers(&[operation.transfer(crate::ids::Slot::Main)]).await?;
        match (found.is_empty(), flows.db.payment_by_operation(operation).await?) {
            (false, Some(payment)) => complete(flows, &row, operation, &payment).await?,
            // Only while the claim is still stale: a retry of the same key may have renewed it
            // since the session was read, and be moving the money right now.
            _ => drop(flows.batcher.apply(vec![table::release_stale(row.id, operation, flows.now())]).await?),
        }
        fixed += 1;
    }
    Ok(fixed)
}

/// Runs [`recover`], [`refunds::recover`] and [`expire_due`] once (the job's tick; see
/// [`super::jobs`]).
pub async fn tick(flows: &Flows) {
    if let Err(error) = recover(flows).await {
        tracing::warn!(%error, "checkout recovery failed; retrying");
    }
    if let Err(error) = refunds::recover(flows).await {
        tracing::warn!(%error, "refund recovery failed; retrying");
    }
    if let Err(error) = expire_due(flows).await {
        tracing::warn!(%error, "expiring checkouts failed; retrying");
    }
}

/// Runs [`tick`] at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}
