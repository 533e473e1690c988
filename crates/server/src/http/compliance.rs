//! `GET /me/compliance`: where the signed-in person stands (see `flows::compliance`).

use axum::Json;
use axum::extract::State;
use purse_api::compliance::Compliance;

use crate::flows::compliance;
use crate::http::error::ApiError;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;

pub async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Compliance>, ApiError> {
    Ok(Json(compliance::compliance(&state, &user.row).await?))
}
