//! Checkout sessions and refunds: what a merchant sells, how the buyer pays it, how money goes
//! back.
//!
//! A session is created by the merchant's server (idempotent: its `operation_id` is the key's
//! operation, unique) and is `open` for 30 minutes. The buyer confirms with the PIN: the
//! confirmation's own operation *claims* the session (`paying_operation_id`, with a lease),
//! records a payment (kind `checkout`) and asks the ledger for the transfer buyer → merchant
//! with the operation's fixed id, then marks the session `complete` **and** writes
//! `checkout.session.completed` to the webhook outbox in one transaction. So a second confirm
//! (same key: replayed; another key, another buyer: `422 checkout_not_open`) never moves money
//! twice, and a confirmation cut off anywhere is finished by its retry or by [`recover`].
//!
//! The job ([`spawn_jobs`]) expires open, unclaimed sessions whose time is up (with
//! `checkout.session.expired` in the same transaction) and recovers cut-off confirmations.
//!
//! A refund reserves its amount on the session first (`amount_refunded`, checked against the
//! payment in the same statement, so concurrent refunds never exceed it), then moves merchant →
//! buyer with the refund operation's fixed id, then marks itself `succeeded` with
//! `refund.created` in the outbox, in one transaction.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use purse_api::checkout::{SESSION_MINUTES, with_query_param};
use purse_api::{
    CheckoutOutcome, CheckoutPayment, CheckoutSession, CheckoutStatus, Currency, ErrorCode, Merchant, Money,
    PublicCheckoutSession, Refund, RefundStatus,
};
use purse_ledger::{CreateTransferError, Movement, TransferId, TransferRequest};

use crate::activity::rfc3339;
use crate::codes;
use crate::db::{Arg, Statement, with_pool};
use crate::error::AppError;
use crate::journal::Draft;
use crate::operations::{self, Slot, StoredAnswer};
use crate::payments::{self, PaymentRow, stored_currency};
use crate::reader::FromSqliteRow;
use crate::state::AppState;
use crate::webhooks;

const NANOS: i64 = 1_000_000_000;
/// How long a confirmation holds its claim on a session (then [`recover`] looks at it).
const CLAIM_SECONDS: i64 = 5 * operations::LEASE_SECONDS;

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub public_id: String,
    pub merchant_id: i64,
    pub operation_id: i64,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    pub client_reference_id: Option<String>,
    pub metadata: String,
    pub status: String,
    pub expires_at: i64,
    pub paying_operation_id: Option<i64>,
    pub claim_until: Option<i64>,
    pub buyer_id: Option<i64>,
    pub transfer_id: Option<i64>,
    pub amount_refunded: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SESSION_COLUMNS: &str = "id, public_id, merchant_id, operation_id, amount, currency, description, success_url, cancel_url, \
     client_reference_id, metadata, status, expires_at, paying_operation_id, claim_until, buyer_id, transfer_id, \
     amount_refunded, created_at, updated_at";

/// In [`SESSION_COLUMNS`] order.
impl FromSqliteRow for SessionRow {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(SessionRow {
            id: row.get(0)?,
            public_id: row.get(1)?,
            merchant_id: row.get(2)?,
            operation_id: row.get(3)?,
            amount: row.get(4)?,
            currency: row.get(5)?,
            description: row.get(6)?,
            success_url: row.get(7)?,
            cancel_url: row.get(8)?,
            client_reference_id: row.get(9)?,
            metadata: row.get(10)?,
            status: row.get(11)?,
            expires_at: row.get(12)?,
            paying_operation_id: row.get(13)?,
            claim_until: row.get(14)?,
            buyer_id: row.get(15)?,
            transfer_id: row.get(16)?,
            amount_refunded: row.get(17)?,
            created_at: row.get(18)?,
            updated_at: row.get(19)?,
        })
    }
}

impl SessionRow {
    /// Its status as of `now`: an open session whose time is up (and that no confirmation
    /// holds) is expired, even before the job has marked it.
    pub fn status_at(&self, now: i64) -> CheckoutStatus {
        match self.status.as_str() {
            "complete" => CheckoutStatus::Complete,
            "expired" => CheckoutStatus::Expired,
            "canceled" => CheckoutStatus::Canceled,
            _ if now >= self.expires_at && self.paying_operation_id.is_none() => CheckoutStatus::Expired,
            _ => CheckoutStatus::Open,
        }
    }

    fn money(&self, minor: i64) -> Result<String, AppError> {
        Ok(Money::from_minor(minor, stored_currency(&self.currency)?).amount_string())
    }
}

/// A new session, validated.
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

pub async fn load(state: &AppState, id: i64) -> Result<Option<SessionRow>, AppError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// The session `text` names (`cs_…`), if it exists.
pub async fn find(state: &AppState, text: &str) -> Result<Option<SessionRow>, AppError> {
    if !text.starts_with("cs_") || text.len() > 64 {
        return Ok(None);
    }
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE public_id = $1"));
    if let Some(reader) = state.db.reader() {
        return reader.optional(&SQL, &[&text]).map_err(AppError::unavailable);
    }
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&SQL).bind(text).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// The request hash of confirming the session `public_id` (the PIN left out, as always).
pub fn confirm_hash(public_id: &str) -> [u8; 32] {
    let endpoint = format!("POST /checkout/sessions/{public_id}/confirm");
    operations::request_hash(&endpoint, &purse_api::ConfirmCheckout { pin: None })
}

/// Creates the session of `operation` (or finds it, when a cut-off creation is retried).
pub async fn create(
    state: &AppState,
    merchant: i64,
    operation: i64,
    new: &NewSession,
) -> Result<SessionRow, AppError> {
    let now = state.now();
    let metadata = serde_json::to_string(&new.metadata).map_err(AppError::internal)?;
    // 112 random bits: the hosted page's URL cannot be guessed from another id.
    let public_id = crate::auth::new_public_id("cs");
    let insert = Statement::new(
        "INSERT INTO checkout_sessions (merchant_id, operation_id, amount, currency, description, success_url, \
         cancel_url, client_reference_id, metadata, status, expires_at, created_at, updated_at, public_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11, $12) ON CONFLICT (operation_id) DO NOTHING",
        vec![
            Arg::Int(merchant),
            Arg::Int(operation),
            Arg::Int(new.amount),
            Arg::Text(new.currency.code().to_string()),
            Arg::Text(new.description.clone()),
            Arg::Text(new.success_url.clone()),
            Arg::Text(new.cancel_url.clone()),
            Arg::OptText(new.client_reference_id.clone()),
            Arg::Text(metadata),
            Arg::Int(now + SESSION_MINUTES * 60 * NANOS),
            Arg::Int(now),
            Arg::Text(public_id),
        ],
    );
    transaction(state, &[insert]).await?;
    let sql = format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE operation_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(operation).fetch_one(pool).await.map_err(AppError::database)?
    }))
}

/// The session as its merchant sees it.
pub fn view(state: &AppState, row: &SessionRow) -> Result<CheckoutSession, AppError> {
    let id = row.public_id.clone();
    let payment = match (row.status.as_str(), row.transfer_id) {
        ("complete", Some(transfer)) => Some(CheckoutPayment {
            id: state.ids.encode("tr", transfer),
            amount_refunded: row.money(row.amount_refunded)?,
        }),
        _ => None,
    };
    Ok(CheckoutSession {
        url: format!("/checkout/{id}"),
        id,
        status: row.status_at(state.now()),
        amount: row.money(row.amount)?,
        currency: stored_currency(&row.currency)?,
        description: row.description.clone(),
        success_url: row.success_url.clone(),
        cancel_url: row.cancel_url.clone(),
        client_reference_id: row.client_reference_id.clone(),
        metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
        payment,
        created_at: rfc3339(row.created_at),
        expires_at: rfc3339(row.expires_at),
    })
}

/// The session as the buyer's page shows it.
pub fn public_view(
    state: &AppState,
    row: &SessionRow,
    merchant: String,
) -> Result<PublicCheckoutSession, AppError> {
    Ok(PublicCheckoutSession {
        id: row.public_id.clone(),
        merchant: Merchant { name: merchant },
        amount: row.money(row.amount)?,
        currency: stored_currency(&row.currency)?,
        description: row.description.clone(),
        status: row.status_at(state.now()),
        expires_at: rfc3339(row.expires_at),
        cancel_url: row.cancel_url.clone(),
    })
}

/// Why a session cannot be paid (or canceled) now.
pub fn not_open(row: &SessionRow, now: i64) -> AppError {
    match row.status_at(now) {
        CheckoutStatus::Expired => AppError::new(
            ErrorCode::CheckoutExpired,
            "This checkout has expired. Go back to the shop and start again.",
        ),
        CheckoutStatus::Complete => {
            AppError::new(ErrorCode::CheckoutNotOpen, "This checkout has already been paid.")
        }
        CheckoutStatus::Canceled => AppError::new(ErrorCode::CheckoutNotOpen, "This checkout was canceled."),
        CheckoutStatus::Open => {
            AppError::new(ErrorCode::CheckoutNotOpen, "Someone is paying this checkout right now.")
                .retry_after(1)
        }
    }
}

/// The outcome of [`pay`]: the payment's new state, the answer, and the statements that complete
/// the session (with its event), to be written just before the answer is stored
/// ([`operations::conclude_after`]; if they are lost, [`recover`] completes the session).
pub type Paid = (Option<&'static str>, Result<StoredAnswer, AppError>, Vec<Statement>);

/// Pays a session for `buyer` under `operation` (after the PIN and the key): claims it, moves
/// the money once, and returns the payment's new state, the answer and the completion.
/// `claimed` is whether the key's own batch claimed it ([`claim_statement`] made with the key);
/// `None` when the operation is resumed, and this claims it (or finds its own claim) now.
pub async fn pay(
    state: &AppState,
    operation: i64,
    row: &SessionRow,
    buyer: i64,
    recorded: Option<PaymentRow>,
    claimed: Option<bool>,
) -> Paid {
    let claimed = match claimed {
        Some(claimed) => Ok(claimed),
        None => claim(state, operation, row).await,
    };
    let current = match claimed {
        Ok(true) => row.clone(),
        Ok(false) => {
            let current = load(state, row.id).await.ok().flatten().unwrap_or_else(|| row.clone());
            // Resumed after this very operation completed it: carry on to the same answer.
            if !(current.status == "complete" && current.paying_operation_id == Some(operation)) {
                // Another confirmation got there first: this one's payment never happens.
                return (Some("failed"), Err(not_open(&current, state.now())), Vec::new());
            }
            current
        }
        Err(error) => return (None, Err(error), Vec::new()),
    };
    let recorded = match recorded {
        Some(payment) => Ok(payment),
        None => payment(state, operation, row, buyer).await,
    };
    let made = match recorded {
        Ok(payment) => transfer(state, payment).await,
        Err(error) => Err(error),
    };
    let settled = payments::settled_state(&made);
    let mut completion = Vec::new();
    let outcome = match made {
        Ok(payment) => completion_statements(state, &current, operation, &payment).and_then(|statements| {
            completion = statements;
            let redirect_url = with_query_param(&row.success_url, "session_id", &row.public_id);
            StoredAnswer::json(
                axum::http::StatusCode::OK,
                &CheckoutOutcome { status: CheckoutStatus::Complete, redirect_url },
            )
        }),
        Err(error) if error.code == ErrorCode::InsufficientFunds => {
            unclaim(state, operation, row.id).await.and(Err(error))
        }
        Err(error) => Err(error),
    };
    (settled, outcome, completion)
}

/// The statement that takes the session for an operation (its `$1`, bound by the journal when
/// it is made with the key, see [`crate::journal::Opening::then`], or by [`claim`]): open, not
/// expired, not held by another live claim.
pub fn claim_statement(state: &AppState, row: &SessionRow) -> Statement {
    let now = state.now();
    Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = $1, claim_until = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'open' AND (paying_operation_id IS NULL OR paying_operation_id = $1) \
         AND (expires_at > $3 OR paying_operation_id = $1)",
        vec![Arg::Int(now + CLAIM_SECONDS * NANOS), Arg::Int(now), Arg::Int(row.id)],
    )
    .must_change()
}

/// Takes the session for `operation` on its own (a resumed confirmation).
async fn claim(state: &AppState, operation: i64, row: &SessionRow) -> Result<bool, AppError> {
    let mut claim = claim_statement(state, row);
    claim.args.insert(0, Arg::Int(operation));
    transaction(state, &[claim]).await
}

/// Lets go of a claim that moved no money (the buyer could not pay), so the session can be
/// paid another way.
async fn unclaim(state: &AppState, operation: i64, session: i64) -> Result<(), AppError> {
    let unclaim = Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = NULL, claim_until = NULL, updated_at = $1 \
         WHERE id = $2 AND paying_operation_id = $3 AND status = 'open'",
        vec![Arg::Int(state.now()), Arg::Int(session), Arg::Int(operation)],
    );
    transaction(state, &[unclaim]).await.map(drop)
}

/// Lets go of a claim that ran out and moved nothing (recovery).
async fn release_stale(state: &AppState, operation: i64, session: i64) -> Result<(), AppError> {
    let now = state.now();
    let release = Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = NULL, claim_until = NULL, updated_at = $1 \
         WHERE id = $2 AND paying_operation_id = $3 AND status = 'open' AND claim_until < $1",
        vec![Arg::Int(now), Arg::Int(session), Arg::Int(operation)],
    );
    transaction(state, &[release]).await.map(drop)
}

/// The payment of `operation`: recorded now if a cut-off attempt did not record it.
async fn payment(
    state: &AppState,
    operation: i64,
    row: &SessionRow,
    buyer: i64,
) -> Result<PaymentRow, AppError> {
    if let Some(payment) = payments::payment_of_operation(state, operation).await? {
        return Ok(payment);
    }
    state.journal.record(operation, draft(state, row, buyer)).await.map_err(AppError::unavailable)
}

/// The payment a confirmation of `row` by `buyer` makes (kind `checkout`, the description as
/// its note), for the journal to record with the confirmation's key.
pub fn draft(state: &AppState, row: &SessionRow, buyer: i64) -> Draft {
    Draft {
        sender_id: buyer,
        recipient_id: row.merchant_id,
        amount: row.amount,
        currency: row.currency.clone(),
        note: Some(row.description.chars().take(280).collect()),
        kind: "checkout",
        request_id: None,
        hold_until: None,
        now: state.now(),
        tip: None,
    }
}

/// The ledger transfer buyer → merchant, with the payment's fixed id.
async fn transfer(state: &AppState, payment: PaymentRow) -> Result<PaymentRow, AppError> {
    let request = TransferRequest::posted(
        payment.transfer_id,
        Movement {
            debit_account_id: codes::wallet_of(payment.sender_id),
            credit_account_id: codes::wallet_of(payment.recipient_id),
            amount: payment.amount.cast_unsigned(),
            currency: stored_currency(&payment.currency)?,
            code: codes::transfer::CHECKOUT,
        },
    );
    match state.ledger.create_transfer(request).await? {
        Ok(_) => Ok(PaymentRow { state: "completed".into(), ..payment }),
        Err(CreateTransferError::ExceedsCredits) => Err(AppError::new(
            ErrorCode::InsufficientFunds,
            "Not enough money in your wallet to pay this. Nothing was paid.",
        )),
        Err(reason) => Err(AppError::internal(format!("the ledger refused a checkout: {reason:?}"))),
    }
}

/// Marks the session paid by `payment` and writes `checkout.session.completed`, together.
/// The statements that mark the session paid by `payment` and write
/// `checkout.session.completed` (none if `row` is complete already). `row` is the session as
/// last read.
fn completion_statements(
    state: &AppState,
    row: &SessionRow,
    operation: i64,
    payment: &PaymentRow,
) -> Result<Vec<Statement>, AppError> {
    if row.status == "complete" {
        return Ok(Vec::new());
    }
    let now = state.now();
    let done = SessionRow {
        status: "complete".into(),
        paying_operation_id: Some(operation),
        buyer_id: Some(payment.sender_id),
        transfer_id: Some(payment.transfer_id),
        updated_at: now,
        ..row.clone()
    };
    let mut statements = vec![
        Statement::new(
            "UPDATE checkout_sessions SET status = 'complete', buyer_id = $1, transfer_id = $2, updated_at = $3 \
             WHERE id = $4 AND paying_operation_id = $5 AND status = 'open'",
            vec![
                Arg::Int(payment.sender_id),
                Arg::Int(payment.transfer_id),
                Arg::Int(now),
                Arg::Int(row.id),
                Arg::Int(operation),
            ],
        )
        .must_change(),
    ];
    statements.extend(webhooks::event_statements(
        state,
        row.merchant_id,
        "checkout.session.completed",
        &view(state, &done)?,
    )?);
    Ok(statements)
}

/// Completes the session now (recovery).
async fn complete(
    state: &AppState,
    row: &SessionRow,
    operation: i64,
    payment: &PaymentRow,
) -> Result<(), AppError> {
    let statements = completion_statements(state, row, operation, payment)?;
    if !statements.is_empty() && transaction(state, &statements).await? {
        webhooks::wake(state);
    }
    Ok(())
}

/// Cancels an open session (the buyer went back). Canceling a canceled one is fine.
pub async fn cancel(state: &AppState, row: &SessionRow) -> Result<CheckoutOutcome, AppError> {
    let now = state.now();
    if row.status != "canceled" {
        let cancel = Statement::new(
            "UPDATE checkout_sessions SET status = 'canceled', updated_at = $1 \
             WHERE id = $2 AND status = 'open' AND paying_operation_id IS NULL AND expires_at > $1",
            vec![Arg::Int(now), Arg::Int(row.id)],
        );
        if !transaction(state, &[cancel.must_change()]).await? {
            let current = load(state, row.id).await?.unwrap_or_else(|| row.clone());
            if current.status != "canceled" {
                return Err(not_open(&current, now));
            }
        }
    }
    Ok(CheckoutOutcome { status: CheckoutStatus::Canceled, redirect_url: row.cancel_url.clone() })
}

/// Expires every open, unclaimed session whose time is up, each with its
/// `checkout.session.expired` event. Returns how many.
pub async fn expire_due(state: &AppState) -> Result<usize, AppError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE status = 'open' AND expires_at <= $1 \
         AND paying_operation_id IS NULL ORDER BY expires_at LIMIT 100"
    );
    let mut expired = 0;
    loop {
        let now = state.now();
        let due: Vec<SessionRow> = with_pool!(&state.db, |pool| {
            sqlx::query_as(&sql).bind(now).fetch_all(pool).await.map_err(AppError::database)?
        });
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for row in due {
            let done = SessionRow { status: "expired".into(), updated_at: now, ..row.clone() };
            let mut statements = vec![
                Statement::new(
                    "UPDATE checkout_sessions SET status = 'expired', updated_at = $1 \
                     WHERE id = $2 AND status = 'open' AND paying_operation_id IS NULL",
                    vec![Arg::Int(now), Arg::Int(row.id)],
                )
                .must_change(),
            ];
            statements.extend(webhooks::event_statements(
                state,
                row.merchant_id,
                "checkout.session.expired",
                &view(state, &done)?,
            )?);
            if transaction(state, &statements).await? {
                expired += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    if expired > 0 {
        webhooks::wake(state);
    }
    Ok(expired)
}

/// Finishes confirmations cut off after their claim (the server stopped mid-request), once
/// their claim has run out: money that reached the ledger completes the session; a claim that
/// moved nothing is let go.
pub async fn recover(state: &AppState) -> Result<usize, AppError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE status = 'open' \
         AND paying_operation_id IS NOT NULL AND claim_until < $1 LIMIT 100"
    );
    let stuck: Vec<SessionRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(state.now()).fetch_all(pool).await.map_err(AppError::database)?
    });
    let mut fixed = 0;
    for row in stuck {
        let Some(operation) = row.paying_operation_id else { continue };
        let id = operations::ledger_id(operation, Slot::Main);
        let found = state.ledger.lookup_transfers(&[TransferId(id)]).await?;
        match (found.is_empty(), payments::payment_of_operation(state, operation).await?) {
            (false, Some(payment)) => complete(state, &row, operation, &payment).await?,
            // Only while the claim is still stale: a retry of the same key may have renewed it
            // since the session was read, and be moving the money right now.
            _ => release_stale(state, operation, row.id).await?,
        }
        fixed += 1;
    }
    Ok(fixed)
}

/// Runs `statements` together (all or, when a `must_change` one changes nothing, none) in a
/// journal batch: group commit, no transaction of their own.
async fn transaction(state: &AppState, statements: &[Statement]) -> Result<bool, AppError> {
    state.journal.apply(statements.to_vec()).await.map_err(AppError::unavailable)
}

/// A refund as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RefundRow {
    pub operation_id: i64,
    pub session_id: i64,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub created_at: i64,
}

const REFUND_COLUMNS: &str = "operation_id, session_id, amount, currency, status, created_at";

pub async fn refund_of_operation(state: &AppState, operation: i64) -> Result<Option<RefundRow>, AppError> {
    let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE operation_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(operation).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

pub fn refund_view(
    state: &AppState,
    refund: &RefundRow,
    session_public_id: &str,
) -> Result<Refund, AppError> {
    Ok(Refund {
        id: state.ids.encode("re", refund.operation_id),
        checkout_session: session_public_id.to_string(),
        amount: Money::from_minor(refund.amount, stored_currency(&refund.currency)?).amount_string(),
        currency: stored_currency(&refund.currency)?,
        status: RefundStatus::Succeeded,
        created_at: rfc3339(refund.created_at),
    })
}

/// Refunds `amount` (minor units; `None`: what is left) of a complete session under
/// `operation`, or finishes a cut-off refund of that operation.
pub async fn refund(
    state: &AppState,
    operation: i64,
    session: &SessionRow,
    amount: Option<i64>,
) -> Result<StoredAnswer, AppError> {
    let refund = match refund_of_operation(state, operation).await? {
        Some(refund) => refund,
        None => reserve(state, operation, session, amount).await?,
    };
    finish_refund(state, refund, session).await
}

/// Moves a reserved refund and answers it (or answers one already moved or refused).
async fn finish_refund(
    state: &AppState,
    refund: RefundRow,
    session: &SessionRow,
) -> Result<StoredAnswer, AppError> {
    match refund.status.as_str() {
        // Moved and marked succeeded, or refused for lack of money (the reservation returned).
        "processing" => move_back(state, &refund, session).await?,
        "succeeded" => {}
        // Refused for lack of money, and that answer could not be stored: say it again.
        "failed" => return Err(merchant_short_of_money()),
        other => return Err(AppError::internal(format!("a refund is {other}"))),
    }
    let refund = RefundRow { status: "succeeded".into(), ..refund };
    StoredAnswer::json(
        axum::http::StatusCode::CREATED,
        &purse_api::RefundResponse { refund: refund_view(state, &refund, &session.public_id)? },
    )
}

/// Reserves the refund's amount on the session and records the refund, together; refuses
/// what the payment does not cover.
pub async fn reserve(
    state: &AppState,
    operation: i64,
    session: &SessionRow,
    amount: Option<i64>,
) -> Result<RefundRow, AppError> {
    let now = state.now();
    let current = load(state, session.id).await?.ok_or_else(AppError::not_found)?;
    if current.status != "complete" {
        return Err(AppError::new(ErrorCode::CheckoutNotOpen, "Only a paid checkout can be refunded.")
            .with_field("checkout_session"));
    }
    let left = current.amount - current.amount_refunded;
    let amount = amount.unwrap_or(left);
    let exceeds = || {
        let left = Money::from_minor(left, stored_currency(&current.currency).unwrap_or(Currency::Usd));
        AppError::new(
            ErrorCode::RefundExceedsPayment,
            format!(
                "At most {} {} of this payment is left to refund.",
                left.amount_string(),
                current.currency
            ),
        )
        .with_field("amount")
    };
    if amount <= 0 || amount > left {
        return Err(exceeds());
    }
    let reserved = transaction(
        state,
        &[
            Statement::new(
                "UPDATE checkout_sessions SET amount_refunded = amount_refunded + $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'complete' AND amount_refunded + $1 <= amount",
                vec![Arg::Int(amount), Arg::Int(now), Arg::Int(session.id)],
            )
            .must_change(),
            Statement::new(
                "INSERT INTO refunds (operation_id, session_id, amount, currency, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'processing', $5)",
                vec![
                    Arg::Int(operation),
                    Arg::Int(session.id),
                    Arg::Int(amount),
                    Arg::Text(current.currency.clone()),
                    Arg::Int(now),
                ],
            ),
        ],
    )
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
        status: "processing".into(),
        created_at: now,
    })
}

/// Moves a reserved refund merchant → buyer (fixed id) and marks it succeeded with its
/// `refund.created` event; a merchant short of money gets its reservation back.
async fn move_back(state: &AppState, refund: &RefundRow, session: &SessionRow) -> Result<(), AppError> {
    let buyer = session.buyer_id.ok_or_else(|| AppError::internal("a paid checkout has no buyer"))?;
    let transfer_id = operations::ledger_id(refund.operation_id, Slot::Main);
    let note = format!("Refund: {}", session.description).chars().take(280).collect::<String>();
    state.db.put_note(transfer_id, "refund", Some(&note)).await.map_err(AppError::unavailable)?;
    let request = TransferRequest::posted(
        transfer_id,
        Movement {
            debit_account_id: codes::wallet_of(session.merchant_id),
            credit_account_id: codes::wallet_of(buyer),
            amount: refund.amount.cast_unsigned(),
            currency: stored_currency(&refund.currency)?,
            code: codes::transfer::REFUND,
        },
    );
    match state.ledger.create_transfer(request).await? {
        Ok(_) => succeed(state, refund, session).await,
        Err(CreateTransferError::ExceedsCredits) => {
            transaction(
                state,
                &[
                    Statement::new(
                        "UPDATE refunds SET status = 'failed' WHERE operation_id = $1 AND status = 'processing'",
                        vec![Arg::Int(refund.operation_id)],
                    )
                    .must_change(),
                    Statement::new(
                        "UPDATE checkout_sessions SET amount_refunded = amount_refunded - $1 WHERE id = $2",
                        vec![Arg::Int(refund.amount), Arg::Int(refund.session_id)],
                    ),
                ],
            )
            .await?;
            Err(merchant_short_of_money())
        }
        Err(reason) => Err(AppError::internal(format!("the ledger refused a refund: {reason:?}"))),
    }
}

fn merchant_short_of_money() -> AppError {
    AppError::new(
        ErrorCode::InsufficientFunds,
        "Your merchant wallet does not hold enough to refund this. Nothing was refunded.",
    )
    .with_field("amount")
}

async fn succeed(state: &AppState, refund: &RefundRow, session: &SessionRow) -> Result<(), AppError> {
    let done = RefundRow { status: "succeeded".into(), ..refund.clone() };
    let mut statements = vec![
        Statement::new(
            "UPDATE refunds SET status = 'succeeded' WHERE operation_id = $1 AND status = 'processing'",
            vec![Arg::Int(refund.operation_id)],
        )
        .must_change(),
    ];
    statements.extend(webhooks::event_statements(
        state,
        session.merchant_id,
        "refund.created",
        &refund_view(state, &done, &session.public_id)?,
    )?);
    // Already succeeded (recovery got there first) is fine.
    transaction(state, &statements).await?;
    webhooks::wake(state);
    Ok(())
}

/// Refunds cut off before their answer (the server stopped mid-request) that nobody retries:
/// once their key's lease has run out, the job takes the key over and finishes each one as its
/// retry would. Money that reached the ledger is marked succeeded; a reservation that moved
/// nothing moves now, or goes back to the payment when the merchant is short of money. The key
/// keeps the answer, so a late retry is answered as if the first arrival had finished.
pub async fn recover_refunds(state: &AppState) -> Result<usize, AppError> {
    let sql = format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE status = 'processing' AND created_at < $1 LIMIT 100"
    );
    let now = state.now();
    let stale_before = now - operations::LEASE_SECONDS * NANOS;
    let stuck: Vec<RefundRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(stale_before).fetch_all(pool).await.map_err(AppError::database)?
    });
    let mut fixed = 0;
    for stuck in stuck {
        let operation = stuck.operation_id;
        // A retry holding the key now finishes the refund itself.
        if !transaction(state, &[operations::take_over(operation, now)]).await? {
            continue;
        }
        let session = load(state, stuck.session_id)
            .await?
            .ok_or_else(|| AppError::internal("a refunded checkout vanished"))?;
        // Every step of it is guarded by the refund's state, so a row read before the key was
        // taken over is as good as a fresh one.
        let outcome = finish_refund(state, stuck, &session).await;
        match operations::conclude(state, operation, None, outcome).await {
            Ok(_) => fixed += 1,
            // Ours (the ledger unreachable, say): the key is released and the refund still
            // processing, so the next round tries again; the others go on.
            Err(error) => tracing::warn!(%error, operation, "a cut-off refund is not finished yet"),
        }
    }
    Ok(fixed)
}

/// Runs [`recover`], [`recover_refunds`] and [`expire_due`] at once and then every second
/// until the server stops.
pub fn spawn_jobs(state: &AppState) -> tokio::task::JoinHandle<()> {
    state.spawn_every_second(|state| async move {
        if let Err(error) = recover(&state).await {
            tracing::warn!(%error, "checkout recovery failed; retrying");
        }
        if let Err(error) = recover_refunds(&state).await {
            tracing::warn!(%error, "refund recovery failed; retrying");
        }
        if let Err(error) = expire_due(&state).await {
            tracing::warn!(%error, "expiring checkouts failed; retrying");
        }
    })
}
