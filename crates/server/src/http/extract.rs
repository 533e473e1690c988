//! The extractors of what a request carries besides its body and query: the `Idempotency-Key`
//! header of a money-moving request, and a merchant's secret key (`Authorization: Bearer sk_…`).
//! (The session is [`super::session`]'s; the JSON body and the query are [`super::json`]'s and
//! [`super::query`]'s.) Every rejection is an API error.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use purse_api::ErrorCode;

use crate::flows::merchants::{self, KEY_PREFIX};
use crate::flows::movement::IdempotencyKey;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::ids::PersonId;

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<IdempotencyKey, ApiError> {
        let value = parts.headers.get("idempotency-key").map(HeaderValue::as_bytes);
        value.and_then(IdempotencyKey::parse).ok_or_else(|| {
            ApiError::new(
                ErrorCode::IdempotencyKeyRequired,
                "Send an Idempotency-Key header of 1 to 255 printable ASCII characters.",
            )
        })
    }
}

/// The merchant a request's secret key belongs to; `401 unauthenticated` for a missing,
/// malformed, unknown or revoked key, exactly alike.
#[derive(Clone, Copy, Debug)]
pub struct MerchantKey {
    pub merchant_id: PersonId,
}

impl FromRequestParts<AppState> for MerchantKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<MerchantKey, ApiError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| s.starts_with(KEY_PREFIX) && s.len() <= 128)
            .ok_or_else(unauthenticated)?;
        let merchant = merchants::merchant_by_key(state, secret).await?;
        merchant.map(|merchant_id| MerchantKey { merchant_id }).ok_or_else(unauthenticated)
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "Send a valid secret key as `Authorization: Bearer sk_…`. Revoked keys no longer work.",
    )
}
