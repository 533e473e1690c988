//! Money in and out: cards, bank accounts, deposits, `GET /quotes/withdrawal`, withdrawals. A
//! standard withdrawal needs a bank account id, an instant one a card id; someone else's is
//! `404`, like one that never was.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use purse_api::funding::{HOLDER_NAME_MAX_CHARS, Speed, is_valid_account_number, is_valid_routing_number};
use purse_api::text::{Lines, clean_bounded};
use purse_api::{
    Amount, BankAccountList, BankAccountResponse, CardList, CardResponse, ErrorCode, NewBankAccount, NewCard,
    NewDeposit, NewWithdrawal, WithdrawalQuote,
};
use serde::Deserialize;

use crate::flows::funding;
use crate::flows::movement::{IdempotencyKey, request_hash};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::store::StoredAnswer;
use crate::store::funding::Linked;

/// `POST /cards`: links the card a network token stands for.
pub async fn link_card(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewCard>,
) -> Result<(StatusCode, Json<CardResponse>), ApiError> {
    if body.token.is_empty() || body.token.len() > 100 {
        return Err(
            ApiError::invalid_request("Send the token the card network answered.").with_field("token")
        );
    }
    let card = funding::link_card(&state, user.row.id, &body.token).await?;
    Ok((StatusCode::CREATED, Json(CardResponse { card })))
}

/// `GET /cards`.
pub async fn cards(State(state): State<AppState>, user: CurrentUser) -> Result<Json<CardList>, ApiError> {
    Ok(Json(CardList { items: funding::cards(&state, user.row.id).await? }))
}

/// `DELETE /cards/{id}`.
pub async fn remove_card(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    funding::remove(&state, Linked::Card, user.row.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /bank-accounts`.
pub async fn link_bank(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewBankAccount>,
) -> Result<(StatusCode, Json<BankAccountResponse>), ApiError> {
    if !is_valid_routing_number(&body.routing_number) {
        return Err(ApiError::new(
            ErrorCode::InvalidRoutingNumber,
            "That routing number is not valid: it is 9 digits and passes the ABA checksum.",
        )
        .with_field("routing_number"));
    }
    if !is_valid_account_number(&body.account_number) {
        return Err(
            ApiError::invalid_request("The account number is 4 to 17 digits.").with_field("account_number")
        );
    }
    let holder = clean_bounded(&body.holder_name, Lines::One, HOLDER_NAME_MAX_CHARS).map_err(|_| {
        ApiError::invalid_request(format!(
            "Enter the account holder's name (at most {HOLDER_NAME_MAX_CHARS} characters)."
        ))
        .with_field("holder_name")
    })?;
    let bank_account =
        funding::link_bank(&state, user.row.id, &body.routing_number, &body.account_number, &holder).await?;
    Ok((StatusCode::CREATED, Json(BankAccountResponse { bank_account })))
}

/// `GET /bank-accounts`.
pub async fn banks(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BankAccountList>, ApiError> {
    Ok(Json(BankAccountList { items: funding::banks(&state, user.row.id).await? }))
}

/// `DELETE /bank-accounts/{id}`.
pub async fn remove_bank(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    funding::remove(&state, Linked::Bank, user.row.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /deposits` (on the money path): instant, from a linked card.
pub async fn deposit(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewDeposit>,
) -> Result<StoredAnswer, ApiError> {
    let amount = body.amount.parse(&body.currency)?;
    let hash = request_hash("POST /deposits", &body);
    Ok(funding::deposit(&state, &user.row, &key, hash, &body.card_id, amount).await?)
}

/// `GET /quotes/withdrawal`'s query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    amount: Option<String>,
    currency: Option<String>,
    speed: Option<String>,
}

/// `GET /quotes/withdrawal?amount&currency&speed`: the fee and arrival a withdrawal would
/// have, by the same code that charges it.
pub async fn quote(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<QuoteQuery>,
) -> Result<Json<WithdrawalQuote>, ApiError> {
    let amount =
        Amount::parse(query.amount.as_deref().unwrap_or(""), query.currency.as_deref().unwrap_or("USD"))?;
    let speed = speed(query.speed.as_deref().unwrap_or(""))?;
    Ok(Json(funding::quote(&state, amount, speed)))
}

fn speed(text: &str) -> Result<Speed, ApiError> {
    Speed::parse(text)
        .ok_or_else(|| ApiError::invalid_request("The speed is standard or instant.").with_field("speed"))
}

/// `POST /withdrawals` (on the money path, with the PIN): standard to a bank account, instant
/// to a card. A replay never has its PIN checked.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewWithdrawal>,
) -> Result<StoredAnswer, ApiError> {
    let amount = body.amount.parse(&body.currency)?;
    let speed = speed(&body.speed)?;
    let hash = request_hash("POST /withdrawals", &NewWithdrawal { pin: None, ..body.clone() });
    let pin = body.pin.as_deref();
    Ok(funding::withdraw(&state, &user.row, &key, hash, pin, &body.destination_id, speed, amount).await?)
}
