//! Checkout: the merchant side (`PUT /me/merchant`, keys, `POST /checkout/sessions`,
//! `GET /checkout/sessions/{id}`, `POST /refunds`, webhook endpoints and deliveries) and the
//! buyer side (`GET …/public`, `POST …/confirm`, `POST …/cancel`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::checkout::{
    CLIENT_REFERENCE_MAX_CHARS, DESCRIPTION_MAX_CHARS, METADATA_MAX_CHARS, METADATA_MAX_KEYS, NAME_MAX_CHARS,
    is_absolute_http_url,
};
use purse_api::{
    CheckoutSessionResponse, ConfirmCheckout, CreatedKey, CreatedWebhookEndpoint, ErrorCode, KeyItem,
    KeyList, Merchant, MerchantResponse, MerchantSettings, NewCheckoutSession, NewKey, NewRefund,
    NewWebhookEndpoint, PublicCheckoutSession, WebhookDelivery, WebhookDeliveryList, WebhookEndpoint,
    WebhookEndpointList,
};

use crate::activity::rfc3339;
use crate::auth::CurrentUser;
use crate::checkout::{self, NewSession, SessionRow};
use crate::error::AppError;
use crate::json::ApiJson;
use crate::merchants::{self, MerchantKey, require_merchant};
use crate::operations::{self, Begun, Earlier, IdempotencyKey, StoredAnswer};
use crate::pin;
use crate::state::AppState;
use crate::webhooks;

/// How many deliveries `GET /merchant/webhook-deliveries` lists.
const RECENT_DELIVERIES: i64 = 100;

/// A name (merchant, key): trimmed, 1 to 60 characters.
fn name(text: &str, field: &str) -> Result<String, AppError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > NAME_MAX_CHARS || trimmed.chars().any(char::is_control)
    {
        return Err(AppError::invalid_request(format!("Give a name of 1 to {NAME_MAX_CHARS} characters."))
            .with_field(field));
    }
    Ok(trimmed.to_string())
}

/// `PUT /me/merchant`: turns the signed-in account into a merchant account called `name`.
pub async fn set_merchant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MerchantSettings>,
) -> Result<Json<MerchantResponse>, AppError> {
    let name = name(&body.name, "name")?;
    merchants::set_merchant(&state, &user.row, &name).await?;
    Ok(Json(MerchantResponse { merchant: Merchant { name } }))
}

/// `POST /merchant/keys`: a new secret key, shown this once.
pub async fn create_key(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), AppError> {
    let merchant = require_merchant(&user)?;
    let name = name(&body.name, "name")?;
    let (row, secret) = merchants::create_key(&state, merchant.id, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: state.ids.encode("key", row.id),
            name: row.name,
            prefix: row.prefix,
            secret,
            created_at: rfc3339(row.created_at),
        }),
    ))
}

/// `GET /merchant/keys`.
pub async fn list_keys(State(state): State<AppState>, user: CurrentUser) -> Result<Json<KeyList>, AppError> {
    let merchant = require_merchant(&user)?;
    let items = merchants::keys(&state, merchant.id)
        .await?
        .into_iter()
        .map(|row| KeyItem {
            id: state.ids.encode("key", row.id),
            name: row.name,
            prefix: row.prefix,
            created_at: rfc3339(row.created_at),
            revoked: row.revoked_at.is_some(),
        })
        .collect();
    Ok(Json(KeyList { items }))
}

/// `DELETE /merchant/keys/{id}`: revokes a key; another merchant's key is `404`.
pub async fn revoke_key(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let merchant = require_merchant(&user)?;
    let id = state.ids.decode("key", &id).ok_or_else(AppError::not_found)?;
    if !merchants::revoke_key(&state, merchant.id, id).await? {
        return Err(AppError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The checks of a new session, in order: amount and currency, description, URLs, reference,
/// metadata.
fn check_session(body: &NewCheckoutSession) -> Result<NewSession, AppError> {
    let amount = body.amount.parse(&body.currency)?;
    let description = body.description.trim();
    if description.is_empty()
        || description.chars().count() > DESCRIPTION_MAX_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(AppError::invalid_request(format!(
            "Describe what is being bought in 1 to {DESCRIPTION_MAX_CHARS} characters."
        ))
        .with_field("description"));
    }
    for (field, url) in [("success_url", &body.success_url), ("cancel_url", &body.cancel_url)] {
        if !is_absolute_http_url(url) {
            return Err(AppError::new(
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
        return Err(AppError::invalid_request(format!(
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
        return Err(AppError::invalid_request(format!(
            "metadata holds at most {METADATA_MAX_KEYS} keys, each key and value at most {METADATA_MAX_CHARS} characters."
        ))
        .with_field("metadata"));
    }
    Ok(NewSession {
        amount: amount.to_minor(),
        currency: amount.currency(),
        description: description.to_string(),
        success_url: body.success_url.clone(),
        cancel_url: body.cancel_url.clone(),
        client_reference_id: body.client_reference_id.clone(),
        metadata: metadata.into_iter().collect::<BTreeMap<_, _>>(),
    })
}

/// `POST /checkout/sessions` (idempotent per merchant).
pub async fn create_session(
    State(state): State<AppState>,
    merchant: MerchantKey,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewCheckoutSession>,
) -> Result<Response, AppError> {
    let hash = operations::request_hash("POST /checkout/sessions", &body);
    let new = check_session(&body)?;
    // No PIN to check first: `start` itself finds an earlier arrival of the key (a replay, a
    // mismatch, a twin in progress, a cut-off attempt to resume).
    let operation = match operations::start_unlimited(&state, merchant.merchant_id, &key, &hash).await? {
        Begun::Run { operation, .. } => operation,
        Begun::Replay(answer) => return Ok(answer.into_response()),
    };
    let outcome = async {
        let row = checkout::create(&state, merchant.merchant_id, operation, &new).await?;
        StoredAnswer::json(
            StatusCode::CREATED,
            &CheckoutSessionResponse { session: checkout::view(&state, &row)? },
        )
    }
    .await;
    operations::conclude(&state, operation, None, outcome).await
}

/// The merchant's own session `id`; anyone else's is `404`.
async fn own_session(state: &AppState, merchant: i64, id: &str) -> Result<SessionRow, AppError> {
    checkout::find(state, id).await?.filter(|row| row.merchant_id == merchant).ok_or_else(AppError::not_found)
}

/// `GET /checkout/sessions/{id}`.
pub async fn session(
    State(state): State<AppState>,
    merchant: MerchantKey,
    Path(id): Path<String>,
) -> Result<Json<CheckoutSessionResponse>, AppError> {
    let row = own_session(&state, merchant.merchant_id, &id).await?;
    Ok(Json(CheckoutSessionResponse { session: checkout::view(&state, &row)? }))
}

/// `GET /checkout/sessions/{id}/public`: what the hosted page shows; no sign-in needed.
pub async fn public_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicCheckoutSession>, AppError> {
    let row = checkout::find(&state, &id).await?.ok_or_else(AppError::not_found)?;
    let merchant = merchants::name_of(&state, row.merchant_id).await?;
    Ok(Json(checkout::public_view(&state, &row, merchant)?))
}

/// `POST /checkout/sessions/{id}/confirm` (idempotent per buyer): the PIN, then the money
/// moves once.
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConfirmCheckout>,
) -> Result<Response, AppError> {
    // The session and an earlier arrival of the key are read side by side (the hash names the
    // session by the id it is found by), and the PIN attempt is counted beside them (so a
    // replay counts one too; it is never hashed).
    let hash = checkout::confirm_hash(&id);
    let (row, earlier, counted) = tokio::join!(
        checkout::find(&state, &id),
        operations::earlier(&state, user.row.id, &key, &hash),
        pin::count_attempt(&state, &user, body.pin.as_deref())
    );
    let row = row?.ok_or_else(AppError::not_found)?;
    let (operation, recorded, claimed) = match earlier? {
        Earlier::Answered(answer) => return Ok(answer.into_response()),
        Earlier::Resume(operation) => (operation, None, None),
        Earlier::None => {
            if row.status_at(state.now()) != purse_api::CheckoutStatus::Open {
                return Err(checkout::not_open(&row, state.now()));
            }
            if row.merchant_id == user.row.id {
                return Err(AppError::new(
                    ErrorCode::SelfTransfer,
                    "A merchant cannot pay its own checkout.",
                ));
            }
            pin::verify_counted(&state, &user, body.pin.as_deref(), counted).await?;
            // The payment is recorded and the session claimed with the key, in one batch.
            let draft = checkout::draft(&state, &row, user.row.id);
            let claim = vec![checkout::claim_statement(&state, &row)];
            match operations::start_then(&state, user.row.id, &key, &hash, Some(draft), claim).await? {
                (Begun::Run { operation, payment }, claimed) => (operation, payment, claimed),
                (Begun::Replay(answer), _) => return Ok(answer.into_response()),
            }
        }
    };
    let (settled, outcome, completion) =
        checkout::pay(&state, operation, &row, user.row.id, recorded, claimed).await;
    let announce = !completion.is_empty();
    let response = operations::conclude_after(&state, operation, settled, outcome, completion).await;
    if announce {
        // `checkout.session.completed` is in the outbox now.
        webhooks::wake(&state);
    }
    response
}

/// `POST /checkout/sessions/{id}/cancel`: the buyer goes back to the merchant.
pub async fn cancel(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<purse_api::CheckoutOutcome>, AppError> {
    let row = checkout::find(&state, &id).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(checkout::cancel(&state, &row).await?))
}

/// `POST /refunds` (idempotent per merchant): all that is left, or part of it.
pub async fn refund(
    State(state): State<AppState>,
    merchant: MerchantKey,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewRefund>,
) -> Result<Response, AppError> {
    let hash = operations::request_hash("POST /refunds", &body);
    let session = own_session(&state, merchant.merchant_id, &body.checkout_session)
        .await
        .map_err(|error| error.with_field("checkout_session"))?;
    let amount = match &body.amount {
        Some(text) => Some(text.parse(&session.currency)?.to_minor()),
        None => None,
    };
    // No PIN to check first: `start` itself finds an earlier arrival of the key (a replay, a
    // mismatch, a twin in progress, a cut-off attempt to resume).
    let operation = match operations::start_unlimited(&state, merchant.merchant_id, &key, &hash).await? {
        Begun::Run { operation, .. } => operation,
        Begun::Replay(answer) => return Ok(answer.into_response()),
    };
    let outcome = checkout::refund(&state, operation, &session, amount).await;
    operations::conclude(&state, operation, None, outcome).await
}

/// `POST /merchant/webhook-endpoints`: a new endpoint and its signing secret, shown this once.
pub async fn create_endpoint(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> Result<(StatusCode, Json<CreatedWebhookEndpoint>), AppError> {
    let merchant = require_merchant(&user)?;
    webhooks::check_endpoint_url(&body.url, state.settings.demo)
        .map_err(|why| AppError::new(ErrorCode::InvalidUrl, why).with_field("url"))?;
    let events = webhooks::stored_events(&body.events)
        .map_err(|why| AppError::invalid_request(why).with_field("events"))?;
    let secret = webhooks::new_secret();
    let id = webhooks::create_endpoint(&state, merchant.id, &body.url, &events, &secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookEndpoint {
            id: state.ids.encode("we", id),
            url: body.url,
            events: webhooks::listed_events(&events),
            secret,
        }),
    ))
}

/// `GET /merchant/webhook-endpoints`: the merchant's endpoints (Purse's addition to API.md).
pub async fn list_endpoints(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<WebhookEndpointList>, AppError> {
    let merchant = require_merchant(&user)?;
    let items = webhooks::endpoints(&state, merchant.id)
        .await?
        .into_iter()
        .map(|row| WebhookEndpoint {
            id: state.ids.encode("we", row.id),
            url: row.url,
            events: webhooks::listed_events(&row.events),
            created_at: rfc3339(row.created_at),
        })
        .collect();
    Ok(Json(WebhookEndpointList { items }))
}

/// `DELETE /merchant/webhook-endpoints/{id}`: no more deliveries to it (Purse's addition);
/// another merchant's endpoint is `404`.
pub async fn remove_endpoint(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let merchant = require_merchant(&user)?;
    let id = state.ids.decode("we", &id).ok_or_else(AppError::not_found)?;
    if !webhooks::remove_endpoint(&state, merchant.id, id).await? {
        return Err(AppError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /merchant/webhook-deliveries`: the merchant's recent deliveries, newest first.
pub async fn deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<WebhookDeliveryList>, AppError> {
    let merchant = require_merchant(&user)?;
    let rows = webhooks::recent_deliveries(&state, merchant.id, RECENT_DELIVERIES).await?;
    let items = rows
        .into_iter()
        .map(|row| WebhookDelivery {
            event_id: row.public_id,
            kind: row.kind,
            url: row.url,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: row.last_error,
            delivered_at: row.delivered_at.map(rfc3339),
            next_attempt_at: row.next_attempt_at.filter(|_| row.delivered_at.is_none()).map(rfc3339),
        })
        .collect();
    Ok(Json(WebhookDeliveryList { items }))
}
