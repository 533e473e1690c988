//! Checkout: the merchant side (`PUT /me/merchant`, keys, `POST /checkout/sessions`,
//! `GET /checkout/sessions/{id}`, `POST /refunds`) and the buyer side (`GET …/public`,
//! `POST …/confirm`, `POST …/cancel`). Sessions, confirmations and refunds take the money path.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use purse_api::checkout::{
    CLIENT_REFERENCE_MAX_CHARS, DESCRIPTION_MAX_CHARS, METADATA_MAX_CHARS, METADATA_MAX_KEYS, NAME_MAX_CHARS,
    is_absolute_http_url,
};
use purse_api::text::{Lines, clean_bounded};
use purse_api::{
    CheckoutOutcome, CheckoutSessionResponse, ConfirmCheckout, CreatedKey, ErrorCode, KeyList, Merchant,
    MerchantResponse, MerchantSettings, NewCheckoutSession, NewKey, NewRefund, PublicCheckoutSession,
};

use crate::flows::checkout::{self, NewSession};
use crate::flows::merchants::{self, require_merchant};
use crate::flows::movement::{IdempotencyKey, request_hash};
use crate::flows::refunds;
use crate::http::error::ApiError;
use crate::http::extract::MerchantKey;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::store::StoredAnswer;

/// A name (merchant, key): cleaned (`purse_api::text`), 1 to 60 characters.
fn name(text: &str, field: &str) -> Result<String, ApiError> {
    clean_bounded(text, Lines::One, NAME_MAX_CHARS).map_err(|_| {
        ApiError::invalid_request(format!("Give a name of 1 to {NAME_MAX_CHARS} characters."))
            .with_field(field)
    })
}

/// `PUT /me/merchant`: turns the signed-in account into a merchant account called `name`.
pub async fn set_merchant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MerchantSettings>,
) -> Result<Json<MerchantResponse>, ApiError> {
    let name = name(&body.name, "name")?;
    merchants::set_merchant(&state, &user.row, &name).await?;
    Ok(Json(MerchantResponse { merchant: Merchant { name } }))
}

/// `POST /merchant/keys`: a new secret key, shown this once.
pub async fn create_key(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let merchant = require_merchant(&user.row)?;
    let name = name(&body.name, "name")?;
    Ok((StatusCode::CREATED, Json(merchants::create_key(&state, merchant, &name).await?)))
}

/// `GET /merchant/keys`.
pub async fn list_keys(State(state): State<AppState>, user: CurrentUser) -> Result<Json<KeyList>, ApiError> {
    let merchant = require_merchant(&user.row)?;
    Ok(Json(KeyList { items: merchants::keys(&state, merchant).await? }))
}

/// `DELETE /merchant/keys/{id}`: revokes a key; another merchant's key is `404`.
pub async fn revoke_key(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    // Someone who is no merchant names another party's object: `404`, as API.md asks for ids.
    let merchant = require_merchant(&user.row).map_err(|_| ApiError::not_found())?;
    let id = state.ids.decode("key", &id).ok_or_else(ApiError::not_found)?;
    merchants::revoke_key(&state, merchant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The checks of a new session, in order: amount and currency, description, URLs, reference,
/// metadata.
fn check_session(body: &NewCheckoutSession) -> Result<NewSession, ApiError> {
    let amount = body.amount.parse(&body.currency)?;
    let description = clean_bounded(&body.description, Lines::One, DESCRIPTION_MAX_CHARS).map_err(|_| {
        ApiError::invalid_request(format!(
            "Describe what is being bought in 1 to {DESCRIPTION_MAX_CHARS} characters."
        ))
        .with_field("description")
    })?;
    for (field, url) in [("success_url", &body.success_url), ("cancel_url", &body.cancel_url)] {
        if !is_absolute_http_url(url) {
            return Err(ApiError::new(
                ErrorCode::InvalidUrl,
                format!("{field} must be an absolute http(s) URL."),
            )
            .with_field(field));
        }
    }
    if let Some(reference) = &body.client_reference_id
        && (reference.is_empty()
            || reference.chars().count() > CLIENT_REFERENCE_MAX_CHARS
            || reference.chars().any(char::is_control))
    {
        return Err(ApiError::invalid_request(format!(
            "client_reference_id is 1 to {CLIENT_REFERENCE_MAX_CHARS} characters."
        ))
        .with_field("client_reference_id"));
    }
    let metadata = body.metadata.clone().unwrap_or_default();
    if metadata.len() > METADATA_MAX_KEYS
        || metadata.iter().any(|(k, v)| {
            k.is_empty() || k.chars().count() > METADATA_MAX_CHARS || v.chars().count() > METADATA_MAX_CHARS
        })
    {
        return Err(ApiError::invalid_request(format!(
            "metadata holds at most {METADATA_MAX_KEYS} keys, each key and value at most {METADATA_MAX_CHARS} characters."
        ))
        .with_field("metadata"));
    }
    Ok(NewSession {
        amount: amount.to_minor(),
        currency: amount.currency(),
        description,
        success_url: body.success_url.clone(),
        cancel_url: body.cancel_url.clone(),
        client_reference_id: body.client_reference_id.clone(),
        metadata: metadata.into_iter().collect::<BTreeMap<_, _>>(),
    })
}

/// `POST /checkout/sessions` (on the money path, per merchant).
pub async fn create_session(
    State(state): State<AppState>,
    merchant: MerchantKey,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewCheckoutSession>,
) -> Result<StoredAnswer, ApiError> {
    let hash = request_hash("POST /checkout/sessions", &body);
    let new = check_session(&body)?;
    Ok(checkout::create(&state, merchant.merchant_id, &key, hash, new).await?)
}

/// `GET /checkout/sessions/{id}`: the merchant's own session; anyone else's is `404`.
pub async fn session(
    State(state): State<AppState>,
    merchant: MerchantKey,
    Path(id): Path<String>,
) -> Result<Json<CheckoutSessionResponse>, ApiError> {
    Ok(Json(CheckoutSessionResponse { session: checkout::session(&state, merchant.merchant_id, &id).await? }))
}

/// `GET /checkout/sessions/{id}/public`: what the hosted page shows; no sign-in needed.
pub async fn public_session(
    State(state): State<AppState>,
    viewer: Option<CurrentUser>,
    Path(id): Path<String>,
) -> Result<Json<PublicCheckoutSession>, ApiError> {
    let viewer = viewer.map(|user| user.row.id);
    Ok(Json(checkout::public_session(&state, &id, viewer).await?))
}

/// `POST /checkout/sessions/{id}/confirm` (on the money path, per buyer): the PIN, then the
/// money moves once.
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConfirmCheckout>,
) -> Result<StoredAnswer, ApiError> {
    Ok(checkout::confirm(&state, &user.row, &id, &key, body.pin.as_deref()).await?)
}

/// `POST /checkout/sessions/{id}/cancel`: the buyer goes back to the merchant.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CheckoutOutcome>, ApiError> {
    Ok(Json(checkout::cancel(&state, user.row.id, &id).await?))
}

/// `POST /refunds` (on the money path, per merchant): all that is left, or part of it.
pub async fn refund(
    State(state): State<AppState>,
    merchant: MerchantKey,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewRefund>,
) -> Result<StoredAnswer, ApiError> {
    let hash = request_hash("POST /refunds", &body);
    Ok(refunds::refund(&state, merchant.merchant_id, &key, hash, &body.checkout_session, body.amount).await?)
}
