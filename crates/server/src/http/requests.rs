//! Requests for money: `POST /requests`, `GET /requests`, and pay (on the money path), decline
//! and cancel. Only the payer pays or declines; only the requester cancels; anyone else gets the
//! same `404` as for a request that does not exist.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use purse_api::payments::clean_note;
use purse_api::{NewMoneyRequest, PayRequestBody, RequestPage, RequestResponse};

use crate::flows::movement::{IdempotencyKey, request_hash};
use crate::flows::requests::{self, NewRequest};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::query::{ApiQuery, DirectedPage, page_before, page_limit};
use crate::http::session::{CurrentUser, SignedIn};
use crate::http::state::AppState;
use crate::store::StoredAnswer;
use crate::store::requests::Side;

/// `POST /requests`: ask `from` for money (counted as a money movement before it is checked).
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewMoneyRequest>,
) -> Result<(StatusCode, Json<RequestResponse>), ApiError> {
    requests::count(&state, &user.row).await?;
    let amount = body.amount.parse(&body.currency)?;
    let note = clean_note(body.note.as_deref()).map_err(|error| {
        ApiError::invalid_request(format!("The note is too long: {error}.")).with_field("note")
    })?;
    let request = requests::create(&state, &user.row, NewRequest { from: body.from, amount, note }).await?;
    Ok((StatusCode::CREATED, Json(RequestResponse { request })))
}

/// `GET /requests?direction=incoming|outgoing`: newest first.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<DirectedPage>,
) -> Result<Json<RequestPage>, ApiError> {
    let side = match query.direction.as_deref() {
        Some("incoming") => Side::Payer,
        Some("outgoing") => Side::Requester,
        _ => {
            return Err(
                ApiError::invalid_request("direction must be incoming or outgoing.").with_field("direction")
            );
        }
    };
    let limit = page_limit(query.limit.as_deref())?;
    let before = page_before(&state.ids, query.cursor.as_deref())?;
    Ok(Json(requests::list(&state, user.user_id, side, before, limit).await?))
}

/// `POST /requests/{id}/pay` (on the money path): the payer pays it, at once.
pub async fn pay(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PayRequestBody>,
) -> Result<StoredAnswer, ApiError> {
    let id = state.ids.decode("rq", &id).ok_or_else(ApiError::not_found)?;
    let hash = request_hash(&format!("POST /requests/{id}/pay"), &PayRequestBody { pin: None });
    Ok(requests::pay(&state, &user.row, id, &key, hash, body.pin.as_deref()).await?)
}

/// `POST /requests/{id}/decline`: the payer says no.
pub async fn decline(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RequestResponse>, ApiError> {
    let id = state.ids.decode("rq", &id).ok_or_else(ApiError::not_found)?;
    Ok(Json(RequestResponse { request: requests::decline(&state, &user.row, id).await? }))
}

/// `POST /requests/{id}/cancel`: the requester takes it back.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RequestResponse>, ApiError> {
    let id = state.ids.decode("rq", &id).ok_or_else(ApiError::not_found)?;
    Ok(Json(RequestResponse { request: requests::cancel(&state, &user.row, id).await? }))
}
