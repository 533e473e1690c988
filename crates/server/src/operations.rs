//! Idempotency keys, and the ledger transfer ids that hang off them.
//!
//! Every money-moving request carries an `Idempotency-Key`. Its first arrival, once validated,
//! creates an *operation* row (user, key, hash of the request) and commits it **before** the
//! ledger sees anything, in one [`crate::journal`] batch with its rate-limit hit and, for a
//! send, its payment row. The operation's id is the base of every ledger transfer id the
//! request may use ([`ledger_id`]), so:
//!
//! - a ledger transfer can never exist without its key (the key committed first; on SQLite
//!   the ledger's `synchronous=FULL` commit makes every earlier WAL frame durable with it);
//! - a key can exist without its transfer only while the request is processing, and a retry
//!   with that key resumes it with the *same* transfer ids, so the ledger's own idempotency
//!   returns the transfer that did commit instead of moving money again.
//!
//! The first answer is stored with the operation and replayed byte for byte. A replay with a
//! different body is `422 idempotency_key_mismatch`; one that arrives while the first is still
//! processing is `409 idempotency_key_in_use`. Validation failures (`400`, and refusals
//! before anything began such as a wrong PIN) are not stored: nothing started, so a corrected
//! retry with the same key is a first arrival. Validation comes before the key is looked up
//! (a replay validates as its first arrival did), except that a request needing the PIN looks
//! its key up first: a replay never has its PIN checked.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use purse_api::ErrorCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use purse_api::Amount;
use purse_api::payments::needs_pin;

use crate::auth::CurrentUser;
use crate::db::{Arg, Db, DbError, Statement, with_pool};
use crate::error::AppError;
use crate::journal::{Answer, Draft, Opened, Opening, Settlement, StateChange};
use crate::limits;
use crate::payments::PaymentRow;
use crate::state::AppState;

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

/// The ledger transfer id of `operation`'s `slot`.
pub fn ledger_id(operation: i64, slot: Slot) -> i64 {
    LEDGER_ID_BASE + operation * SLOTS + slot as i64
}

/// How long a processing request holds its key against a concurrent duplicate. Longer than
/// the request timeout, so a request still running is never resumed beside itself.
pub const LEASE_SECONDS: i64 = 60;
const NANOS: i64 = 1_000_000_000;

/// The `Idempotency-Key` header: 1–255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<IdempotencyKey, AppError> {
        let value = parts.headers.get("idempotency-key").map(HeaderValue::as_bytes);
        match value {
            Some(bytes) if is_valid_key(bytes) => {
                Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
            }
            _ => Err(AppError::new(
                ErrorCode::IdempotencyKeyRequired,
                "Send an Idempotency-Key header of 1 to 255 printable ASCII characters.",
            )),
        }
    }
}

fn is_valid_key(bytes: &[u8]) -> bool {
    (1..=255).contains(&bytes.len()) && bytes.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// The hash that tells a replay from a different request under the same key: the endpoint
/// and the body as canonical JSON (object keys sorted), without secrets such as the PIN.
pub fn request_hash(endpoint: &str, body: &impl Serialize) -> [u8; 32] {
    let canonical = serde_json::to_value(body).map(|value| value.to_string()).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update([0]);
    hasher.update(canonical.as_bytes());
    hasher.finalize().into()
}

/// An answer as first given, replayed for the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

impl IntoResponse for StoredAnswer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}

impl StoredAnswer {
    /// A success answer (the body serialized once, here, and stored as sent).
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<StoredAnswer, AppError> {
        let body = serde_json::to_string(body).map_err(AppError::internal)?;
        Ok(StoredAnswer { status: status.as_u16(), body })
    }

    /// A business refusal, stored so that its replay refuses the same way.
    pub fn error(error: &AppError) -> StoredAnswer {
        let body = serde_json::to_string(&error.body()).unwrap_or_default();
        StoredAnswer { status: error.status().as_u16(), body }
    }
}

/// What a key's earlier arrivals mean for this one.
#[derive(Debug)]
pub enum Earlier {
    /// Never seen: validate, then [`start`].
    None,
    /// Answered: send this again.
    Answered(StoredAnswer),
    /// Started and cut off (the server stopped or failed mid-way): carry on as this operation,
    /// whose lease this request now holds.
    Resume(i64),
}

#[derive(Debug, sqlx::FromRow)]
struct OperationRow {
    id: i64,
    request_hash: Vec<u8>,
    response_status: Option<i64>,
    response_body: Option<String>,
    locked_until: i64,
}

impl crate::reader::FromSqliteRow for OperationRow {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(OperationRow {
            id: row.get(0)?,
            request_hash: row.get(1)?,
            response_status: row.get(2)?,
            response_body: row.get(3)?,
            locked_until: row.get(4)?,
        })
    }
}

/// Looks the key up: `Answered` or `Resume`, or `None` for a first arrival. Refuses a
/// different request under the key (`422`) and one arriving while the first runs (`409`).
pub async fn earlier(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    hash: &[u8; 32],
) -> Result<Earlier, AppError> {
    let Some(row) = find(&state.db, user_id, key).await.map_err(AppError::unavailable)? else {
        return Ok(Earlier::None);
    };
    if row.request_hash.as_slice() != hash {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyMismatch,
            "This Idempotency-Key was used for a different request. Use a new key for a new request.",
        ));
    }
    if let (Some(status), Some(body)) = (row.response_status, row.response_body) {
        return Ok(Earlier::Answered(StoredAnswer { status: u16::try_from(status).unwrap_or(500), body }));
    }
    let now = state.now();
    if row.locked_until > now
        || !state.journal.apply(vec![take_over(row.id, now)]).await.map_err(AppError::unavailable)?
    {
        return Err(in_use());
    }
    Ok(Earlier::Resume(row.id))
}

fn in_use() -> AppError {
    AppError::new(
        ErrorCode::IdempotencyKeyInUse,
        "A request with this Idempotency-Key is still being processed. Try again in a moment.",
    )
    .retry_after(1)
}

/// What [`start`] found: a new operation to run (with its payment, if it makes one), or the
/// answer a concurrent twin already gave.
#[derive(Debug)]
pub enum Begun {
    Run { operation: i64, payment: Option<PaymentRow> },
    Replay(StoredAnswer),
}

/// Records a first arrival, counted against the money limit (`429 rate_limited` over it,
/// with nothing recorded), together with the payment it makes if that is known now; or takes
/// over a cut-off arrival. A concurrent twin that got there first makes this `409`, or a
/// replay if it already answered. One batched write (see [`crate::journal`]).
pub async fn start(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    payment: Option<Draft>,
) -> Result<Begun, AppError> {
    Ok(open(state, user_id, key, hash, payment, true, Vec::new()).await?.0)
}

/// [`start`], with `then` made in the same journal batch right after the key, if the key is
/// new (see [`Opening::then`]: `$1` is the operation). Also answers whether they were made:
/// `None` when they were not run (a replay, or a cut-off operation resumed, which must make
/// them itself).
pub async fn start_then(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    payment: Option<Draft>,
    then: Vec<crate::db::Statement>,
) -> Result<(Begun, Option<bool>), AppError> {
    open(state, user_id, key, hash, payment, true, then).await
}

/// [`start`] for a request that moves no money of its own (a merchant creating a checkout
/// session): not counted against the money limit.
pub async fn start_unlimited(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    hash: &[u8; 32],
) -> Result<Begun, AppError> {
    Ok(open(state, user_id, key, hash, None, false, Vec::new()).await?.0)
}

async fn open(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    payment: Option<Draft>,
    limited: bool,
    then: Vec<crate::db::Statement>,
) -> Result<(Begun, Option<bool>), AppError> {
    let limit = limits::money(state);
    let hit = limit.hit(state, &user_id.to_string());
    let now = hit.now;
    let opening = Opening {
        user_id,
        key: key.0.clone(),
        hash: *hash,
        now,
        locked_until: now + LEASE_SECONDS * NANOS,
        limit: limited.then_some((hit, limit.max)),
        payment,
        then,
    };
    match state.journal.open(opening).await.map_err(AppError::unavailable)? {
        Opened::Run { operation, payment, then } => Ok((Begun::Run { operation, payment }, then)),
        Opened::Limited(count) => Err(limit.refusal(count, now)),
        Opened::Taken => match earlier(state, user_id, key, hash).await? {
            Earlier::None => Err(in_use()),
            Earlier::Answered(answer) => Ok((Begun::Replay(answer), None)),
            Earlier::Resume(operation) => Ok((Begun::Run { operation, payment: None }, None)),
        },
    }
}

/// How a payment-making request (a send, a tip) begins, PIN rule included: a replay gets its
/// stored answer; a cut-off arrival resumes its operation (its PIN was checked then); a first
/// arrival has its PIN checked when `amount` needs one and is [`start`]ed with `draft`. Where
/// the PIN is needed the key is looked up first, so a replay never has its PIN checked;
/// elsewhere `start` finds an earlier arrival itself, a round trip fewer.
pub async fn begin_payment(
    state: &AppState,
    user: &CurrentUser,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    amount: Amount,
    pin: Option<&str>,
    draft: Draft,
) -> Result<Begun, AppError> {
    let earlier =
        if needs_pin(amount) { earlier(state, user.row.id, key, hash).await? } else { Earlier::None };
    match earlier {
        Earlier::Answered(answer) => Ok(Begun::Replay(answer)),
        Earlier::Resume(operation) => Ok(Begun::Run { operation, payment: None }),
        Earlier::None => {
            if needs_pin(amount) {
                crate::pin::verify(state, user, pin).await?;
            }
            start(state, user.row.id, key, hash, Some(draft)).await
        }
    }
}

/// Ends `operation` with what running it gave, and moves its payment (if it made one) from
/// `processing` to `payment_state`, in one batched write. A business refusal (`422`, such as
/// `insufficient_funds`) is an answer like a success: stored and replayed. Any other failure
/// is ours: nothing is stored and the key is released, so its retry resumes at once.
pub async fn conclude(
    state: &AppState,
    operation: i64,
    payment_state: Option<&'static str>,
    outcome: Result<StoredAnswer, AppError>,
) -> Result<Response, AppError> {
    conclude_after(state, operation, payment_state, outcome, Vec::new()).await
}

/// [`conclude`], with `first` (a group of statements, see [`crate::journal::Journal::apply`])
/// queued just before the settlement, so that both usually share one journal batch and the
/// group never commits after the answer. Used where an answer's side effect may also be made
/// by a recovery job if it is lost: a group that changes nothing is not an error.
pub async fn conclude_after(
    state: &AppState,
    operation: i64,
    payment_state: Option<&'static str>,
    outcome: Result<StoredAnswer, AppError>,
    first: Vec<crate::db::Statement>,
) -> Result<Response, AppError> {
    let applied = async { if first.is_empty() { Ok(true) } else { state.journal.apply(first).await } };
    let (applied, concluded) = tokio::join!(applied, conclude_only(state, operation, payment_state, outcome));
    match applied {
        Ok(true) => {}
        Ok(false) => tracing::warn!(operation, "an answer's side effect changed nothing (made already?)"),
        Err(error) => {
            tracing::warn!(%error, operation, "an answer's side effect was not written; recovery will")
        }
    }
    concluded
}

async fn conclude_only(
    state: &AppState,
    operation: i64,
    payment_state: Option<&'static str>,
    outcome: Result<StoredAnswer, AppError>,
) -> Result<Response, AppError> {
    let payment = payment_state.map(|to| StateChange { from: &["processing"], to });
    let (answer, result) = match outcome {
        Ok(answer) => (Answer::Store(answer.clone()), Ok(answer.into_response())),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let answer = StoredAnswer::error(&error);
            (Answer::Store(answer.clone()), Ok(answer.into_response()))
        }
        Err(error) => (Answer::Release, Err(error)),
    };
    let settled = state.journal.settle(Settlement { operation, payment, answer }).await;
    match (settled, result) {
        (Ok(()), result) => result,
        // Ours failed first; the lease runs out by itself.
        (Err(error), Err(first)) => {
            tracing::warn!(%error, operation, "could not release an operation's lease");
            Err(first)
        }
        (Err(error), Ok(_)) => Err(AppError::unavailable(error)),
    }
}

async fn find(db: &Db, user_id: i64, key: &IdempotencyKey) -> Result<Option<OperationRow>, DbError> {
    const SQL: &str = "SELECT id, request_hash, response_status, response_body, locked_until FROM operations \
         WHERE user_id = $1 AND idempotency_key = $2";
    if let Some(reader) = db.reader() {
        return reader.optional(SQL, &[&user_id, &key.0]);
    }
    Ok(with_pool!(db, |pool| { sqlx::query_as(SQL).bind(user_id).bind(&key.0).fetch_optional(pool).await? }))
}

/// The statement that takes over `operation` (a retry of its key, or a recovery job): only
/// an operation still without its answer whose lease has run out, so nobody else is running
/// it. It changes no row otherwise, and its group is undone.
pub fn take_over(operation: i64, now: i64) -> Statement {
    Statement::new(
        "UPDATE operations SET locked_until = $1 \
         WHERE id = $2 AND response_status IS NULL AND locked_until <= $3",
        vec![Arg::Int(now + LEASE_SECONDS * NANOS), Arg::Int(operation), Arg::Int(now)],
    )
    .must_change()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(is_valid_key(b"a"));
        assert!(is_valid_key(b"order 42: retry #1 ~!"));
        assert!(is_valid_key("k".repeat(255).as_bytes()));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key("k".repeat(256).as_bytes()));
        assert!(!is_valid_key(b"tab\there"));
        assert!(!is_valid_key("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn ledger_ids_of_operations_never_meet() {
        assert_eq!(ledger_id(1, Slot::Main) + 1, ledger_id(1, Slot::Post));
        assert!(ledger_id(1, Slot::Void) < ledger_id(2, Slot::Main));
        assert!(ledger_id(1, Slot::Main) > 1_000_000);
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = serde_json::json!({"to": "bob", "amount": "5.00"});
        let b = serde_json::json!({"amount": "5.00", "to": "bob"});
        let c = serde_json::json!({"amount": "5.01", "to": "bob"});
        assert_eq!(request_hash("POST /transfers", &a), request_hash("POST /transfers", &b));
        assert_ne!(request_hash("POST /transfers", &a), request_hash("POST /transfers", &c));
        assert_ne!(request_hash("POST /transfers", &a), request_hash("POST /tips", &a));
    }
}
