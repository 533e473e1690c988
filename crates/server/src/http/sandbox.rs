//! The sandbox clock's endpoints (API.md "Sandbox clock"): `POST /sandbox/clock/advance` (not
//! under `/api/v1`) and `GET /sandbox/clock` (also at `/api/v1/sandbox/clock`). A server without
//! `--sandbox-clock` (or `--demo`) answers both `404`, before reading any body.

use axum::Json;
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::flows::sandbox::{self, ClockReading, DAY_SECONDS, MAX_ADVANCE_DAYS, MAX_ADVANCE_SECONDS};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::state::AppState;

/// The routes outside `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/sandbox/clock", get(clock)).route("/sandbox/clock/advance", post(advance))
}

/// `POST /sandbox/clock/advance`'s body: how far to move, in days and seconds (added).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    days: Option<u64>,
    seconds: Option<u64>,
}

/// `GET /sandbox/clock` → `200 {now, offset_seconds}`.
pub async fn clock(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.sandbox_clock.is_none() {
        return Err(ApiError::not_found());
    }
    let reading = sandbox::read(&state).await?;
    Ok(Json(json!({"now": reading.now.rfc3339(), "offset_seconds": reading.offset_seconds})))
}

/// `POST /sandbox/clock/advance` `{days?, seconds?}` → `200 {now}` once every job that came
/// due on the way ran.
pub async fn advance(State(state): State<AppState>, request: Request) -> Result<Json<Value>, ApiError> {
    if state.sandbox_clock.is_none() {
        return Err(ApiError::not_found());
    }
    let ApiJson(body) = ApiJson::<AdvanceBody>::from_request(request, &state).await?;
    let seconds = seconds_of(&body)?;
    let ClockReading { now, .. } = sandbox::advance(&state, seconds).await?;
    Ok(Json(json!({"now": now.rfc3339()})))
}

/// The seconds `body` asks for; `400 invalid_request` naming the field at fault.
fn seconds_of(body: &AdvanceBody) -> Result<u64, ApiError> {
    if body.days.is_none() && body.seconds.is_none() {
        return Err(ApiError::invalid_request("Give days or seconds to advance by.").with_field("days"));
    }
    let days = body.days.unwrap_or(0);
    if days > MAX_ADVANCE_DAYS {
        return Err(ApiError::invalid_request(format!("At most {MAX_ADVANCE_DAYS} days at a time."))
            .with_field("days"));
    }
    let seconds = body.seconds.unwrap_or(0);
    let total = days.saturating_mul(DAY_SECONDS).saturating_add(seconds);
    if seconds > MAX_ADVANCE_SECONDS || total > MAX_ADVANCE_SECONDS {
        return Err(ApiError::invalid_request(format!(
            "At most {MAX_ADVANCE_SECONDS} seconds ({MAX_ADVANCE_DAYS} days) at a time."
        ))
        .with_field("seconds"));
    }
    Ok(total)
}
