//! The wallet and its activity: `GET /wallet`, `GET /activity`, `GET /activity/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use purse_api::{ActivityPage, ActivityResponse, Balance, Currency, Money, Wallet};
use purse_ledger::{Balances, TransferId, TransferPage};
use serde::Deserialize;

use crate::activity::{self, is_originating};
use crate::api::people::ensure_wallet;
use crate::auth::SignedIn;
use crate::codes;
use crate::error::AppError;
use crate::query::{ApiQuery, page_limit};
use crate::state::AppState;

/// The wallet as the API shows it.
pub async fn wallet_view(state: &AppState, user_id: i64) -> Result<Wallet, AppError> {
    let account = match state.ledger.lookup_account(codes::wallet_of(user_id)).await? {
        Some(account) => account,
        None => {
            // Sign-up creates it; this covers a sign-up cut short between the two writes.
            ensure_wallet(state, user_id).await?;
            state
                .ledger
                .lookup_account(codes::wallet_of(user_id))
                .await?
                .ok_or_else(|| AppError::internal("no wallet"))?
        }
    };
    Ok(Wallet { balances: vec![balance(account.currency, &account.balances)] })
}

fn balance(currency: Currency, b: &Balances) -> Balance {
    let minor = |value: i128| Money::from_minor(i64::try_from(value).unwrap_or(0), currency).amount_string();
    Balance {
        currency,
        available: minor(b.available_credit_balance()),
        pending_in: minor(i128::from(b.credits_pending)),
        pending_out: minor(i128::from(b.debits_pending)),
    }
}

/// `GET /wallet`.
pub async fn wallet(State(state): State<AppState>, user: SignedIn) -> Result<Json<Wallet>, AppError> {
    Ok(Json(wallet_view(&state, user.user_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /activity?limit&cursor`: newest first. The cursor is the last item's ledger
/// timestamp (signed), so items arriving meanwhile never shift a page.
pub async fn activity_page(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<ActivityPage>, AppError> {
    let limit = page_limit(query.limit.as_deref())?;
    let mut before = match query.cursor.as_deref() {
        None => None,
        Some(cursor) => {
            Some(purse_ledger::Timestamp::from_nanos(state.ids.read_cursor(cursor).ok_or_else(|| {
                AppError::invalid_request("That cursor is not one this server gave out.").with_field("cursor")
            })?))
        }
    };
    let wallet = codes::wallet_of(user.user_id);
    let wanted = limit as usize + 1;
    let mut found = Vec::with_capacity(wanted);
    loop {
        let batch = state.ledger.account_transfers(wallet, TransferPage { before, limit: limit + 1 }).await?;
        let exhausted = batch.len() < (limit + 1) as usize;
        for transfer in batch {
            before = Some(transfer.timestamp);
            if is_originating(&transfer) {
                found.push(transfer);
            }
        }
        if found.len() >= wanted || exhausted {
            break;
        }
    }
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next_cursor =
        if more { found.last().map(|t| state.ids.cursor(t.timestamp.as_nanos())) } else { None };
    Ok(Json(ActivityPage { items: activity::build(&state, wallet, &found).await?, next_cursor }))
}

/// `GET /activity/{id}`: one receipt. Someone else's id is `404`, like one that never existed.
pub async fn activity_item(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ActivityResponse>, AppError> {
    let transfer_id = state.ids.decode("tr", &id).ok_or_else(AppError::not_found)?;
    let wallet = codes::wallet_of(user.user_id);
    let record = state.ledger.lookup_transfers(&[TransferId(transfer_id)]).await?.pop();
    let transfer = record
        .map(|r| r.transfer)
        .filter(|t| is_originating(t) && (t.debit_account_id == wallet || t.credit_account_id == wallet))
        .ok_or_else(AppError::not_found)?;
    let activity =
        activity::build(&state, wallet, &[transfer]).await?.pop().ok_or_else(AppError::not_found)?;
    Ok(Json(ActivityResponse { activity }))
}
