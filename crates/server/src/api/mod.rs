//! The `/api/v1` router. One module per area; this one holds the operational endpoints.

pub mod checkout;
pub mod events;
pub mod funding;
pub mod people;
pub mod requests;
pub mod tips;
pub mod transfers;
pub mod wallet;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use purse_api::{ErrorCode, Health};

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/auth/signup", post(people::signup))
        .route("/auth/login", post(people::login))
        .route("/auth/logout", post(people::logout))
        .route("/me", get(people::me))
        .route("/me/pin", put(people::set_pin))
        .route("/users/{handle}", get(people::profile))
        .route("/wallet", get(wallet::wallet))
        .route("/activity", get(wallet::activity_page))
        .route("/activity/{id}", get(wallet::activity_item))
        .route("/events", get(events::stream))
        .route("/transfers", post(transfers::send))
        .route("/transfers/{id}/cancel", post(transfers::cancel))
        .route("/requests", post(requests::create).get(requests::list))
        .route("/requests/{id}/pay", post(requests::pay))
        .route("/requests/{id}/decline", post(requests::decline))
        .route("/requests/{id}/cancel", post(requests::cancel))
        .route("/creators/{handle}", get(tips::creator))
        .route("/me/creator", put(tips::set_creator).get(tips::dashboard))
        .route("/tips", post(tips::tip))
        .route("/me/tips", get(tips::list))
        .route("/me/merchant", put(checkout::set_merchant))
        .route("/merchant/keys", post(checkout::create_key).get(checkout::list_keys))
        .route("/merchant/keys/{id}", axum::routing::delete(checkout::revoke_key))
        .route("/merchant/webhook-endpoints", post(checkout::create_endpoint).get(checkout::list_endpoints))
        .route("/merchant/webhook-endpoints/{id}", axum::routing::delete(checkout::remove_endpoint))
        .route("/merchant/webhook-deliveries", get(checkout::deliveries))
        .route("/checkout/sessions", post(checkout::create_session))
        .route("/checkout/sessions/{id}", get(checkout::session))
        .route("/checkout/sessions/{id}/public", get(checkout::public_session))
        .route("/checkout/sessions/{id}/confirm", post(checkout::confirm))
        .route("/checkout/sessions/{id}/cancel", post(checkout::cancel))
        .route("/refunds", post(checkout::refund))
        .route("/cards", post(funding::link_card).get(funding::cards))
        .route("/cards/{id}", axum::routing::delete(funding::remove_card))
        .route("/bank-accounts", post(funding::link_bank).get(funding::banks))
        .route("/bank-accounts/{id}", axum::routing::delete(funding::remove_bank))
        .route("/deposits", post(funding::deposit))
        .route("/quotes/withdrawal", get(funding::quote))
        .route("/withdrawals", post(funding::withdraw))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// `GET /api/v1/healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, AppError> {
    state.ledger.ping().await.map_err(AppError::unavailable)?;
    Ok(axum::Json(Health {
        status: "ok".into(),
        database: state.ledger.backend().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// `GET /api/v1/openapi.json`: the contract, kept beside the code that serves it.
async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("../../openapi.json"))
}

pub async fn not_found() -> AppError {
    AppError::not_found()
}

async fn method_not_allowed() -> AppError {
    AppError::new(ErrorCode::MethodNotAllowed, "This method is not allowed here.")
}
