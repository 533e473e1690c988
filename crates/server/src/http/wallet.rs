//! The wallet and its activity: `GET /wallet`, `GET /activity`, `GET /activity/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use purse_api::{ActivityPage, ActivityResponse, Wallet};
use purse_ledger::{Timestamp, TransferId};
use serde::Deserialize;

use crate::flows::{requests, wallet};
use crate::http::error::ApiError;
use crate::http::query::{ApiQuery, page_limit};
use crate::http::session::SignedIn;
use crate::http::state::AppState;

/// `GET /wallet`.
pub async fn wallet(State(state): State<AppState>, user: SignedIn) -> Result<Json<Wallet>, ApiError> {
    Ok(Json(wallet::wallet(&state, user.user_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /activity?limit&cursor`: newest first. The cursor is the last item's time (signed), so
/// items arriving meanwhile never shift a page.
pub async fn activity_page(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    let limit = page_limit(query.limit.as_deref())?;
    let before = match query.cursor.as_deref() {
        None => None,
        Some(cursor) => Some(Timestamp::from_nanos(state.ids.read_cursor(cursor).ok_or_else(|| {
            ApiError::invalid_request("That cursor is not one this server gave out.").with_field("cursor")
        })?)),
    };
    Ok(Json(wallet::activity_page(&state, user.user_id, before, limit).await?))
}

/// `GET /activity/{id}`: one receipt. Someone else's id is `404`, like one that never existed.
pub async fn activity_item(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ActivityResponse>, ApiError> {
    // A request that closed without money moving is a line of its own (`rq_…`).
    if let Some(request) = state.ids.decode("rq", &id) {
        let activity = requests::activity_item(&state, user.user_id, request).await?;
        return Ok(Json(ActivityResponse { activity }));
    }
    let transfer = state.ids.decode("tr", &id).ok_or_else(ApiError::not_found)?;
    let activity = wallet::activity_item(&state, user.user_id, TransferId(transfer)).await?;
    Ok(Json(ActivityResponse { activity }))
}
