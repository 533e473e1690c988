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

use crate::auth::ClientAddress;
use crate::error::AppError;
use crate::json::ApiJson;
use crate::limits::{self, Limit};
use crate::state::AppState;

/// Card tokens one address may ask for per minute: card testing is slowed down here.
pub const TOKENS_PER_ADDRESS: Limit = Limit { name: "card-tokens-address", max: 30, window_s: 60 };

pub fn router() -> Router<AppState> {
    Router::new().route("/sandbox/card-network/tokens", post(tokenize))
}

/// `POST /sandbox/card-network/tokens`: `{number, exp_month, exp_year, cvc}` → a token.
async fn tokenize(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<CardToken>), AppError> {
    limits::check(&state, TOKENS_PER_ADDRESS, &address).await?;
    match state.sandbox_cards.tokenize(body, state.now()).await {
        Ok(token) => Ok((StatusCode::CREATED, Json(token))),
        Err(TokenizeError::Refused(refusal)) => {
            let error = AppError::new(refusal.code, refusal.message);
            Err(match refusal.field {
                Some(field) => error.with_field(field),
                None => error,
            })
        }
        Err(TokenizeError::Rail(error)) => Err(AppError::unavailable(error)),
    }
}
