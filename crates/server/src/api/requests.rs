//! Requests for money: `POST /requests`, `GET /requests`, and pay (idempotent), decline and
//! cancel. Only the payer pays or declines; only the requester cancels; anyone else gets the
//! same `404` as for a request that does not exist.
//!
//! Paying claims the request for the paying operation (`paying_operation_id`, with a lease)
//! before the ledger moves money, so two payments of one request (two devices, two keys) move
//! money once: the second finds the request claimed or paid and is `422 request_not_open`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::payments::{clean_note, needs_pin};
use purse_api::{
    ErrorCode, Handle, Money, MoneyRequest, NewMoneyRequest, PaidRequest, PayRequestBody, PersonRef,
    RequestPage, RequestResponse, RequestStatus,
};
use purse_ledger::TransferId;

use crate::activity::rfc3339;
use crate::api::transfers::recipient;
use crate::auth::{CurrentUser, SignedIn};
use crate::codes;
use crate::db::{UserRow, with_pool};
use crate::error::AppError;
use crate::json::ApiJson;
use crate::operations::{self, Begun, Earlier, IdempotencyKey, Slot, StoredAnswer};
use crate::payments::{self, PaymentRow, Plan};
use crate::query::{ApiQuery, DirectedPage, page_before, page_limit};
use crate::state::AppState;
use crate::{limits, pin};

const NANOS: i64 = 1_000_000_000;

/// A request as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub requester_id: i64,
    pub payer_id: i64,
    pub amount: i64,
    pub currency: String,
    pub note: Option<String>,
    pub status: String,
    pub paying_operation_id: Option<i64>,
    pub claim_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const REQUEST_COLUMNS: &str = "id, requester_id, payer_id, amount, currency, note, status, \
     paying_operation_id, claim_until, created_at, updated_at";

/// `POST /requests`: ask `from` for money.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewMoneyRequest>,
) -> Result<(StatusCode, Json<RequestResponse>), AppError> {
    limits::check_money(&state, user.row.id).await?;
    let amount = body.amount.parse(&body.currency)?;
    let note = clean_note(body.note.as_deref()).map_err(|error| {
        AppError::invalid_request(format!("The note is too long: {error}.")).with_field("note")
    })?;
    let payer = recipient(&state, &user, &body.from, "from").await.map_err(|error| match error.code {
        ErrorCode::SelfTransfer => {
            AppError::new(ErrorCode::SelfTransfer, "You can't request money from yourself.")
                .with_field("from")
        }
        _ => error,
    })?;
    let now = state.now();
    let sql = format!(
        "INSERT INTO money_requests (requester_id, payer_id, amount, currency, note, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING {REQUEST_COLUMNS}"
    );
    let row: RequestRow = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(user.row.id)
            .bind(payer.id)
            .bind(amount.to_minor())
            .bind(amount.currency().code())
            .bind(note.as_deref())
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(AppError::database)?
    });
    announce(&state, &row).await;
    let request = view(&state, &row, &people(&state, std::slice::from_ref(&row)).await?)?;
    Ok((StatusCode::CREATED, Json(RequestResponse { request })))
}

/// `GET /requests?direction=incoming|outgoing`: newest first.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<DirectedPage>,
) -> Result<Json<RequestPage>, AppError> {
    let column = match query.direction.as_deref() {
        Some("incoming") => "payer_id",
        Some("outgoing") => "requester_id",
        _ => {
            return Err(
                AppError::invalid_request("direction must be incoming or outgoing.").with_field("direction")
            );
        }
    };
    let limit = page_limit(query.limit.as_deref())?;
    let before = page_before(&state.ids, query.cursor.as_deref())?;
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE {column} = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    );
    let mut rows: Vec<RequestRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(user.user_id)
            .bind(before)
            .bind(i64::from(limit) + 1)
            .fetch_all(pool)
            .await
            .map_err(AppError::database)?
    });
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| state.ids.cursor(r.id)) } else { None };
    let names = people(&state, &rows).await?;
    let items = rows.iter().map(|row| view(&state, row, &names)).collect::<Result<_, _>>()?;
    Ok(Json(RequestPage { items, next_cursor }))
}

/// `POST /requests/{id}/pay` (idempotent): the payer pays it, at once (no grace window: the
/// recipient asked for this money).
pub async fn pay(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PayRequestBody>,
) -> Result<Response, AppError> {
    let row = find_for(&state, &user, &id, Role::Payer).await?;
    let endpoint = format!("POST /requests/{}/pay", row.id);
    let hash = operations::request_hash(&endpoint, &PayRequestBody { pin: None });
    let earlier = operations::earlier(&state, user.row.id, &key, &hash).await?;
    if let Earlier::Answered(answer) = earlier {
        return Ok(answer.into_response());
    }
    let amount = purse_api::Amount::from_minor(row.amount, payments::stored_currency(&row.currency)?)?;
    let operation = match earlier {
        Earlier::Resume(operation) => operation,
        _ => {
            if row.status != "open" {
                return Err(not_open(&row));
            }
            if needs_pin(amount) {
                pin::verify(&state, &user, body.pin.as_deref()).await?;
            }
            match operations::start(&state, user.row.id, &key, &hash, None).await? {
                Begun::Run { operation, .. } => operation,
                Begun::Replay(answer) => return Ok(answer.into_response()),
            }
        }
    };
    let (settled, outcome) = match claimed(&state, operation, &row).await {
        Ok(()) => pay_claimed(&state, operation, &row, amount).await,
        Err(error) => (None, Err(error)),
    };
    operations::conclude(&state, operation, settled, outcome).await
}

/// Claims the request for `operation` (or finds that this very operation did, before it was
/// cut off); `422 request_not_open` when it can't be.
async fn claimed(state: &AppState, operation: i64, row: &RequestRow) -> Result<(), AppError> {
    // Resumed after this very operation paid it: carry on to the same answer.
    let paid_by_this = row.status == "paid" && row.paying_operation_id == Some(operation);
    if !paid_by_this && !claim(state, operation, row).await? {
        let current = load(state, row.id).await?.unwrap_or_else(|| row.clone());
        return Err(not_open(&current));
    }
    Ok(())
}

/// Moves the money of a claimed request and marks it paid. Returns the payment's new state
/// (stored with the answer) and the answer.
async fn pay_claimed(
    state: &AppState,
    operation: i64,
    row: &RequestRow,
    amount: purse_api::Amount,
) -> (Option<&'static str>, Result<StoredAnswer, AppError>) {
    let plan = Plan {
        sender_id: row.payer_id,
        recipient_id: row.requester_id,
        amount,
        note: row.note.clone(),
        request_id: Some(row.id),
        kind: "request",
        grace_window: false,
    };
    let made = payments::execute(state, operation, &plan).await;
    let settled = payments::settled_state(&made);
    let outcome = match made {
        Ok(payment) => mark_paid(state, operation, row, &payment).await,
        Err(error) if error.code == ErrorCode::InsufficientFunds => {
            unclaim(state, operation, row.id).await.and(Err(error))
        }
        Err(error) => Err(error),
    };
    (settled, outcome)
}

/// Marks a request paid by `payment` and tells both people; the answer to its payer.
async fn mark_paid(
    state: &AppState,
    operation: i64,
    row: &RequestRow,
    payment: &PaymentRow,
) -> Result<StoredAnswer, AppError> {
    let now = state.now();
    with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE money_requests SET status = 'paid', updated_at = $1 \
             WHERE id = $2 AND paying_operation_id = $3 AND status = 'open'",
        )
        .bind(now)
        .bind(row.id)
        .bind(operation)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    let paid = load(state, row.id).await?.ok_or_else(|| AppError::internal("a request vanished"))?;
    announce(state, &paid).await;
    let names = people(state, std::slice::from_ref(&paid)).await?;
    let requester = names.get(&paid.requester_id).ok_or_else(|| AppError::internal("no requester"))?;
    StoredAnswer::json(
        StatusCode::OK,
        &PaidRequest {
            request: view(state, &paid, &names)?,
            transfer: payments::view(state, payment, &requester.handle)?,
        },
    )
}

/// Takes the request for `operation`: it must be open and not claimed by another payment
/// still within its lease (see [`paid_by_earlier_claim`] for one whose lease ran out).
async fn claim(state: &AppState, operation: i64, row: &RequestRow) -> Result<bool, AppError> {
    if paid_by_earlier_claim(state, row, Some(operation)).await? {
        return Ok(false);
    }
    let now = state.now();
    let claimed = with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE money_requests SET paying_operation_id = $1, claim_until = $2 \
             WHERE id = $3 AND status = 'open' \
             AND (paying_operation_id IS NULL OR paying_operation_id = $1 OR claim_until < $4)",
        )
        .bind(operation)
        .bind(now + 5 * operations::LEASE_SECONDS * NANOS)
        .bind(row.id)
        .bind(now)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    Ok(claimed == 1)
}

/// Whether another operation (not `except`) holding a claim on this open request did move
/// the money (its request was cut off after the ledger committed). If so the request is
/// marked paid, so that neither a second payment nor a decline or cancel can follow it.
async fn paid_by_earlier_claim(
    state: &AppState,
    row: &RequestRow,
    except: Option<i64>,
) -> Result<bool, AppError> {
    let Some(previous) = row.paying_operation_id.filter(|previous| Some(*previous) != except) else {
        return Ok(false);
    };
    if row.status != "open" {
        return Ok(false);
    }
    let transfer = TransferId(operations::ledger_id(previous, Slot::Main));
    if state.ledger.lookup_transfers(&[transfer]).await?.is_empty() {
        return Ok(false);
    }
    with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE money_requests SET status = 'paid', updated_at = $1 WHERE id = $2 AND status = 'open'",
        )
        .bind(state.now())
        .bind(row.id)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    Ok(true)
}

async fn unclaim(state: &AppState, operation: i64, request: i64) -> Result<(), AppError> {
    with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE money_requests SET paying_operation_id = NULL, claim_until = NULL \
             WHERE id = $1 AND paying_operation_id = $2",
        )
        .bind(request)
        .bind(operation)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    Ok(())
}

/// `POST /requests/{id}/decline`: the payer says no.
pub async fn decline(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RequestResponse>, AppError> {
    let row = find_for(&state, &user, &id, Role::Payer).await?;
    close(&state, row, RequestStatus::Declined).await
}

/// `POST /requests/{id}/cancel`: the requester takes it back.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RequestResponse>, AppError> {
    let row = find_for(&state, &user, &id, Role::Requester).await?;
    close(&state, row, RequestStatus::Canceled).await
}

/// Closes an open request nobody is paying. Closing it the same way twice answers the same.
async fn close(
    state: &AppState,
    row: RequestRow,
    to: RequestStatus,
) -> Result<Json<RequestResponse>, AppError> {
    if row.status == to.as_str() {
        return respond(state, row).await;
    }
    if paid_by_earlier_claim(state, &row, None).await? {
        let current = load(state, row.id).await?.ok_or_else(AppError::not_found)?;
        return Err(not_open(&current));
    }
    let now = state.now();
    let closed = with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE money_requests SET status = $1, updated_at = $2 \
             WHERE id = $3 AND status = 'open' AND (paying_operation_id IS NULL OR claim_until < $2)",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(row.id)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    let current = load(state, row.id).await?.ok_or_else(AppError::not_found)?;
    if closed != 1 {
        return Err(not_open(&current));
    }
    announce(state, &current).await;
    respond(state, current).await
}

async fn respond(state: &AppState, row: RequestRow) -> Result<Json<RequestResponse>, AppError> {
    let names = people(state, std::slice::from_ref(&row)).await?;
    Ok(Json(RequestResponse { request: view(state, &row, &names)? }))
}

fn not_open(row: &RequestRow) -> AppError {
    let what = match row.status.as_str() {
        "paid" => "has been paid",
        "declined" => "was declined",
        "canceled" => "was canceled",
        _ => "is being paid",
    };
    AppError::new(ErrorCode::RequestNotOpen, format!("This request {what}; nothing was changed."))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Payer,
    Requester,
}

/// The request `id` for `user` acting as `role`. Not theirs at all: `404`; theirs in the other
/// role: `403`.
async fn find_for(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    role: Role,
) -> Result<RequestRow, AppError> {
    let id = state.ids.decode("rq", id).ok_or_else(AppError::not_found)?;
    let row = load(state, id).await?.ok_or_else(AppError::not_found)?;
    let me = user.row.id;
    let (allowed, other) = match role {
        Role::Payer => (row.payer_id == me, row.requester_id == me),
        Role::Requester => (row.requester_id == me, row.payer_id == me),
    };
    if allowed {
        Ok(row)
    } else if other {
        Err(AppError::new(
            ErrorCode::Forbidden,
            match role {
                Role::Payer => "Only the person asked to pay can pay or decline a request.",
                Role::Requester => "Only the person who made a request can cancel it.",
            },
        ))
    } else {
        Err(AppError::not_found())
    }
}

pub async fn load(state: &AppState, id: i64) -> Result<Option<RequestRow>, AppError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM money_requests WHERE id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// Requests involving `user_id` changed after `since` (ns), oldest change first.
pub async fn changed_since(state: &AppState, user_id: i64, since: i64) -> Result<Vec<RequestRow>, AppError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE (payer_id = $1 OR requester_id = $1) \
         AND updated_at > $2 ORDER BY updated_at LIMIT 100"
    );
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(user_id).bind(since).fetch_all(pool).await.map_err(AppError::database)?
    }))
}

/// The latest change to a request involving `user_id` (0 when none).
pub async fn last_change(state: &AppState, user_id: i64) -> Result<i64, AppError> {
    let latest: Option<i64> = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT MAX(updated_at) FROM money_requests WHERE payer_id = $1 OR requester_id = $1",
        )
        .bind(user_id)
        .fetch_one(pool)
        .await
        .map_err(AppError::database)?
    });
    Ok(latest.unwrap_or(0))
}

/// Wakes both people's live streams.
async fn announce(state: &AppState, row: &RequestRow) {
    let accounts = [codes::wallet_of(row.payer_id), codes::wallet_of(row.requester_id)];
    if let Err(error) = state.ledger.announce(&accounts).await {
        tracing::warn!(%error, "could not announce a request change");
    }
}

/// The people named in `rows`, by id.
pub async fn people(state: &AppState, rows: &[RequestRow]) -> Result<HashMap<i64, UserRow>, AppError> {
    let ids = rows.iter().flat_map(|r| [r.payer_id, r.requester_id]);
    state.db.people_by_id(ids).await.map_err(AppError::unavailable)
}

/// A request on the wire.
pub fn view(
    state: &AppState,
    row: &RequestRow,
    people: &HashMap<i64, UserRow>,
) -> Result<MoneyRequest, AppError> {
    let person = |id: i64| -> Result<PersonRef, AppError> {
        let user = people.get(&id).ok_or_else(|| AppError::internal("a person in a request vanished"))?;
        Ok(PersonRef {
            handle: Handle::parse(&user.handle).map_err(AppError::internal)?,
            display_name: user.display_name.clone(),
        })
    };
    let currency = payments::stored_currency(&row.currency)?;
    Ok(MoneyRequest {
        id: state.ids.encode("rq", row.id),
        status: RequestStatus::parse(&row.status).unwrap_or(RequestStatus::Open),
        from: person(row.payer_id)?,
        to: person(row.requester_id)?,
        amount: Money::from_minor(row.amount, currency).amount_string(),
        currency,
        note: row.note.clone(),
        created_at: rfc3339(row.created_at),
    })
}
