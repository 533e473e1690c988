//! Sending money: `POST /transfers` (on the money path) and `POST /transfers/{id}/cancel`.

use axum::Json;
use axum::extract::{Path, State};
use purse_api::payments::clean_note;
use purse_api::{SendRequest, TransferResponse};
use purse_ledger::TransferId;

use crate::flows::movement::{IdempotencyKey, request_hash};
use crate::flows::payments::{self, NewSend};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::store::StoredAnswer;

/// `POST /transfers`: the checks every send passes before anything is written, in API.md's
/// order (the amount and currency, the note; then, in the flow, who receives it).
pub async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<SendRequest>,
) -> Result<StoredAnswer, ApiError> {
    let hash = request_hash("POST /transfers", &SendRequest { pin: None, ..body.clone() });
    let amount = body.amount.parse(&body.currency)?;
    let note = clean_note(body.note.as_deref()).map_err(|error| {
        ApiError::invalid_request(format!("The note is too long: {error}.")).with_field("note")
    })?;
    let send = NewSend { to: body.to, amount, note };
    Ok(payments::send(&state, &user.row, &key, hash, body.pin.as_deref(), send).await?)
}

/// `POST /transfers/{id}/cancel`: only the sender, only in the grace window.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TransferResponse>, ApiError> {
    let transfer = state.ids.decode("tr", &id).ok_or_else(ApiError::not_found)?;
    Ok(Json(TransferResponse { transfer: payments::cancel(&state, &user.row, TransferId(transfer)).await? }))
}
