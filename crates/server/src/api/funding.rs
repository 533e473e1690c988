//! Money in and out: cards, bank accounts, deposits, withdrawal quotes and withdrawals.
//!
//! A card is linked from the card network's token (the number never comes here); a bank
//! account's number goes to the bank rail and only its last four digits are kept. Every id in
//! a path or body must be the caller's own: anyone else's is `404`, like one that never was.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::funding::{
    HOLDER_NAME_MAX_CHARS, Speed, is_valid_account_number, is_valid_routing_number, quote_minor,
};
use purse_api::{
    Amount, BankAccountList, BankAccountResponse, CardList, CardResponse, ErrorCode, Money, NewBankAccount,
    NewCard, NewDeposit, NewWithdrawal, WithdrawalQuote,
};
use serde::Deserialize;

use crate::activity::rfc3339;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::funding::{self, Destination, Linked};
use crate::json::ApiJson;
use crate::operations::{self, Begun, Earlier, IdempotencyKey};
use crate::query::ApiQuery;
use crate::state::AppState;

/// `POST /cards`: links the card a network token stands for.
pub async fn link_card(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewCard>,
) -> Result<(StatusCode, Json<CardResponse>), AppError> {
    if body.token.is_empty() || body.token.len() > 100 {
        return Err(
            AppError::invalid_request("Send the token the card network answered.").with_field("token")
        );
    }
    let card = funding::link_card(&state, user.row.id, &body.token).await?;
    Ok((StatusCode::CREATED, Json(CardResponse { card: funding::card_view(&state, &card)? })))
}

/// `GET /cards`.
pub async fn cards(State(state): State<AppState>, user: CurrentUser) -> Result<Json<CardList>, AppError> {
    let items = funding::cards(&state, user.row.id)
        .await?
        .iter()
        .map(|card| funding::card_view(&state, card))
        .collect::<Result<_, _>>()?;
    Ok(Json(CardList { items }))
}

/// `DELETE /cards/{id}`.
pub async fn remove_card(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    remove(&state, &user, Linked::Card, "card", &id).await
}

/// `POST /bank-accounts`.
pub async fn link_bank(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewBankAccount>,
) -> Result<(StatusCode, Json<BankAccountResponse>), AppError> {
    if !is_valid_routing_number(&body.routing_number) {
        return Err(AppError::new(
            ErrorCode::InvalidRoutingNumber,
            "That routing number is not valid: it is 9 digits and passes the ABA checksum.",
        )
        .with_field("routing_number"));
    }
    if !is_valid_account_number(&body.account_number) {
        return Err(
            AppError::invalid_request("The account number is 4 to 17 digits.").with_field("account_number")
        );
    }
    let holder = body.holder_name.trim();
    if holder.is_empty()
        || holder.chars().count() > HOLDER_NAME_MAX_CHARS
        || holder.chars().any(char::is_control)
    {
        return Err(AppError::invalid_request(format!(
            "Enter the account holder's name (at most {HOLDER_NAME_MAX_CHARS} characters)."
        ))
        .with_field("holder_name"));
    }
    let bank =
        funding::link_bank(&state, user.row.id, &body.routing_number, &body.account_number, holder).await?;
    Ok((StatusCode::CREATED, Json(BankAccountResponse { bank_account: funding::bank_view(&state, &bank) })))
}

/// `GET /bank-accounts`.
pub async fn banks(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BankAccountList>, AppError> {
    let items = funding::banks(&state, user.row.id)
        .await?
        .iter()
        .map(|bank| funding::bank_view(&state, bank))
        .collect();
    Ok(Json(BankAccountList { items }))
}

/// `DELETE /bank-accounts/{id}`.
pub async fn remove_bank(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    remove(&state, &user, Linked::Bank, "ba", &id).await
}

async fn remove(
    state: &AppState,
    user: &CurrentUser,
    what: Linked,
    prefix: &str,
    public_id: &str,
) -> Result<StatusCode, AppError> {
    let id = state.ids.decode(prefix, public_id).ok_or_else(AppError::not_found)?;
    if funding::remove(state, what, user.row.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found())
    }
}

/// `POST /deposits` (idempotent): instant, from a linked card.
pub async fn deposit(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewDeposit>,
) -> Result<Response, AppError> {
    let amount = body.amount.parse(&body.currency)?;
    let hash = operations::request_hash("POST /deposits", &body);
    // The key first: a replay answers as the first arrival did, even if the card is gone since.
    let earlier = operations::earlier(&state, user.row.id, &key, &hash).await?;
    if let Earlier::Answered(answer) = earlier {
        return Ok(answer.into_response());
    }
    let card = funding::own_card(&state, user.row.id, &body.card_id)
        .await?
        .ok_or_else(|| AppError::not_found().with_field("card_id"))?;
    let (operation, resumed) = match earlier {
        Earlier::Resume(operation) => (operation, true),
        _ => match operations::start(&state, user.row.id, &key, &hash, None).await? {
            Begun::Run { operation, .. } => (operation, false),
            Begun::Replay(answer) => return Ok(answer.into_response()),
        },
    };
    let outcome = funding::deposit(&state, operation, resumed, &card, amount).await;
    operations::conclude(&state, operation, None, outcome).await
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
) -> Result<Json<WithdrawalQuote>, AppError> {
    let amount =
        Amount::parse(query.amount.as_deref().unwrap_or(""), query.currency.as_deref().unwrap_or("USD"))?;
    let speed = speed(query.speed.as_deref().unwrap_or(""))?;
    let figures = quote_minor(amount, speed);
    let money = |minor| Money::from_minor(minor, amount.currency()).amount_string();
    Ok(Json(WithdrawalQuote {
        amount: money(figures.amount),
        fee: money(figures.fee),
        total: money(figures.total),
        arrives_by: rfc3339(funding::arrives_by(&state, speed)),
    }))
}

fn speed(text: &str) -> Result<Speed, AppError> {
    Speed::parse(text)
        .ok_or_else(|| AppError::invalid_request("The speed is standard or instant.").with_field("speed"))
}

/// `POST /withdrawals` (idempotent, with the PIN): standard to a bank account, instant to a
/// card. A replay never has its PIN checked.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewWithdrawal>,
) -> Result<Response, AppError> {
    let amount = body.amount.parse(&body.currency)?;
    let speed = speed(&body.speed)?;
    let hash = operations::request_hash("POST /withdrawals", &NewWithdrawal { pin: None, ..body.clone() });
    // The key first: a replay answers as the first arrival did (no PIN asked again), even if
    // the destination is gone since.
    let earlier = operations::earlier(&state, user.row.id, &key, &hash).await?;
    if let Earlier::Answered(answer) = earlier {
        return Ok(answer.into_response());
    }
    let destination = destination(&state, &user, speed, &body.destination_id).await?;
    let (operation, resumed) = match earlier {
        Earlier::Resume(operation) => (operation, true),
        Earlier::Answered(_) | Earlier::None => {
            crate::pin::verify(&state, &user, body.pin.as_deref()).await?;
            match operations::start(&state, user.row.id, &key, &hash, None).await? {
                Begun::Run { operation, .. } => (operation, false),
                Begun::Replay(answer) => return Ok(answer.into_response()),
            }
        }
    };
    let outcome = funding::withdraw(&state, operation, resumed, user.row.id, &destination, amount).await;
    operations::conclude(&state, operation, None, outcome).await
}

/// The caller's bank account (standard) or card (instant) `id`.
async fn destination(
    state: &AppState,
    user: &CurrentUser,
    speed: Speed,
    id: &str,
) -> Result<Destination, AppError> {
    let wrong_kind =
        |message: &str| AppError::invalid_request(message.to_string()).with_field("destination_id");
    let not_found = || AppError::not_found().with_field("destination_id");
    match speed {
        Speed::Standard if id.starts_with("card_") => Err(wrong_kind(
            "A standard withdrawal goes to a bank account. Choose one, or withdraw instantly to this card.",
        )),
        Speed::Instant if id.starts_with("ba_") => Err(wrong_kind(
            "An instant withdrawal goes to a debit card. Choose one, or make a standard withdrawal to this bank account.",
        )),
        Speed::Standard => {
            funding::own_bank(state, user.row.id, id).await?.map(Destination::Bank).ok_or_else(not_found)
        }
        Speed::Instant => {
            funding::own_card(state, user.row.id, id).await?.map(Destination::Card).ok_or_else(not_found)
        }
    }
}
