//! `POST /sandbox/card-network/tokens`: the sandbox card network's one HTTP endpoint, the PCI
//! boundary (see [`purse_rails::sandbox`]). Rate-limited per address, so card testing is slowed
//! down here; the body goes to the network and is dropped there.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use purse_api::CardToken;
use purse_rails::sandbox::TokenizeError;
use serde_json::Value;

use crate::flows::limits;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::session::ClientAddress;
use crate::http::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/sandbox/card-network/tokens", post(tokenize))
}

/// `POST /sandbox/card-network/tokens`: `{number, exp_month, exp_year, cvc}` → a token.
async fn tokenize(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<CardToken>), ApiError> {
    limits::check(&state, limits::CARD_TOKENS_PER_ADDRESS, &limits::address_subject(&address)).await?;
    match state.sandbox_cards().tokenize(body, state.now().nanos()).await {
        Ok(token) => Ok((StatusCode::CREATED, Json(token))),
        Err(TokenizeError::Refused(refusal)) => {
            let error = ApiError::new(refusal.code, refusal.message);
            Err(match refusal.field {
                Some(field) => error.with_field(field),
                None => error,
            })
        }
        Err(TokenizeError::Rail(error)) => Err(ApiError::unavailable(error)),
    }
}
