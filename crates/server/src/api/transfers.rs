//! Sending money: `POST /transfers` (idempotent) and `POST /transfers/{id}/cancel`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::payments::clean_note;
use purse_api::{Amount, ErrorCode, Handle, SendRequest, TransferResponse};

use crate::auth::CurrentUser;
use crate::db::Person;
use crate::error::AppError;
use crate::json::ApiJson;
use crate::operations::{self, Begun, IdempotencyKey, StoredAnswer};
use crate::payments::{self, Plan};
use crate::state::AppState;

/// `POST /transfers`.
pub async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<SendRequest>,
) -> Result<Response, AppError> {
    let hash = operations::request_hash("POST /transfers", &SendRequest { pin: None, ..body.clone() });
    let (amount, note, recipient) = check(&state, &user, &body).await?;
    let plan = Plan {
        sender_id: user.row.id,
        recipient_id: recipient.id,
        amount,
        note,
        request_id: None,
        kind: "transfer",
        grace_window: true,
    };
    let draft = plan.draft(&state);
    let begun =
        operations::begin_payment(&state, &user, &key, &hash, amount, body.pin.as_deref(), draft).await?;
    let (operation, recorded) = match begun {
        Begun::Run { operation, payment } => (operation, payment),
        Begun::Replay(answer) => return Ok(answer.into_response()),
    };
    let made = match recorded {
        Some(payment) => payments::transfer(&state, payment).await,
        None => payments::execute(&state, operation, &plan).await,
    };
    let settled = payments::settled_state(&made);
    let outcome = made.and_then(|payment| {
        let transfer = payments::view(&state, &payment, &recipient.handle)?;
        StoredAnswer::json(StatusCode::CREATED, &TransferResponse { transfer })
    });
    operations::conclude(&state, operation, settled, outcome).await
}

/// The checks every send passes before anything is written, in API.md's order: the amount
/// and currency, the note, then who receives it.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    body: &SendRequest,
) -> Result<(Amount, Option<String>, Person), AppError> {
    let amount = body.amount.parse(&body.currency)?;
    let note = clean_note(body.note.as_deref()).map_err(|error| {
        AppError::invalid_request(format!("The note is too long: {error}.")).with_field("note")
    })?;
    let recipient = recipient(state, user, &body.to, "to").await?;
    Ok((amount, note, recipient))
}

/// The person `handle` names, who must not be `user`.
pub async fn recipient(
    state: &AppState,
    user: &CurrentUser,
    handle: &Handle,
    field: &str,
) -> Result<Person, AppError> {
    if handle.as_str() == user.row.handle {
        return Err(
            AppError::new(ErrorCode::SelfTransfer, "You can't send money to yourself.").with_field(field)
        );
    }
    if let Some(person) = state.handles.get(handle.as_str()) {
        return Ok(person);
    }
    let row =
        state.db.user_by_handle(handle.as_str()).await.map_err(AppError::unavailable)?.ok_or_else(|| {
            AppError::new(ErrorCode::RecipientNotFound, format!("Nobody on Purse has the handle @{handle}."))
                .with_field(field)
        })?;
    let person = Person { id: row.id, handle: row.handle };
    state.handles.put(person.clone());
    Ok(person)
}

/// `POST /transfers/{id}/cancel`: only the sender, only in the grace window.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TransferResponse>, AppError> {
    let transfer_id = state.ids.decode("tr", &id).ok_or_else(AppError::not_found)?;
    let payment =
        payments::payment_of_transfer(&state, transfer_id).await?.ok_or_else(AppError::not_found)?;
    if payment.sender_id != user.row.id {
        return Err(if payment.recipient_id == user.row.id {
            AppError::new(ErrorCode::Forbidden, "Only the sender can cancel a payment.")
        } else {
            AppError::not_found()
        });
    }
    let payment = payments::cancel(&state, payment).await?;
    let recipient = state
        .db
        .users_by_ids(&[payment.recipient_id])
        .await
        .map_err(AppError::unavailable)?
        .pop()
        .ok_or_else(|| AppError::internal("the recipient vanished"))?;
    Ok(Json(TransferResponse { transfer: payments::view(&state, &payment, &recipient.handle)? }))
}
