//! Tips: `GET /creators/{handle}`, `PUT /me/creator`, `POST /tips` (idempotent) and
//! `GET /me/tips`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::payments::clean_note;
use purse_api::tips::{
    GOAL_TITLE_MAX_CHARS, MAX_PRESETS, UTC_OFFSET_MINUTES, fee_minor, is_valid_post_id, period_starts,
};
use purse_api::{
    AnonymousTotal, Creator, CreatorDashboard, CreatorResponse, CreatorSettings, Currency, ErrorCode, NewTip,
    SupporterTotal, TipItem, TipPage, TipResponse, TipTotals,
};

use crate::api::transfers::recipient;
use crate::auth::{CurrentUser, ROLE_CREATOR, SignedIn};
use crate::db::{UserRow, with_pool};
use crate::error::AppError;
use crate::journal::{Draft, TipDraft};
use crate::json::ApiJson;
use crate::operations::{self, Begun, IdempotencyKey, StoredAnswer};
use crate::payments::{self, PaymentRow};
use crate::query::{ApiQuery, DirectedPage, page_before, page_limit};
use crate::state::AppState;
use crate::tips::{self, CreatorRow, TipRow, usd};

fn is_creator(user: &UserRow) -> bool {
    user.roles & ROLE_CREATOR != 0
}

/// `GET /creators/{handle}`: a creator's public page; anyone else is `404`.
pub async fn creator(
    State(state): State<AppState>,
    _viewer: SignedIn,
    Path(handle): Path<String>,
) -> Result<Json<Creator>, AppError> {
    let handle = purse_api::Handle::parse(&handle).map_err(|_| AppError::not_found())?;
    let user = state
        .db
        .user_by_handle(handle.as_str())
        .await
        .map_err(AppError::unavailable)?
        .filter(is_creator)
        .ok_or_else(AppError::not_found)?;
    let row = tips::creator_row(&state, user.id).await?;
    Ok(Json(tips::creator_view(&state, &user, true, row.as_ref()).await?))
}

/// `PUT /me/creator`: turns creator mode on or off; sets presets (1–6 amounts) and a goal.
pub async fn set_creator(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreatorSettings>,
) -> Result<Json<CreatorResponse>, AppError> {
    let existing = tips::creator_row(&state, user.row.id).await?;
    let now = state.now();
    let presets = match &body.tip_presets {
        None => tips::presets(existing.as_ref()),
        Some(list) => {
            if list.is_empty() || list.len() > MAX_PRESETS {
                return Err(AppError::invalid_request(format!("Offer 1 to {MAX_PRESETS} preset amounts."))
                    .with_field("tip_presets"));
            }
            let mut minors = Vec::with_capacity(list.len());
            for preset in list {
                let amount = preset.parse("USD").map_err(|e| AppError::from(e).with_field("tip_presets"))?;
                minors.push(amount.to_minor());
            }
            minors.sort_unstable();
            if minors.windows(2).any(|pair| pair[0] == pair[1]) {
                return Err(AppError::invalid_request("Each preset amount may appear once.")
                    .with_field("tip_presets"));
            }
            minors
        }
    };
    let (goal_title, goal_target, goal_since) = match &body.goal {
        None => existing
            .as_ref()
            .map_or((None, None, None), |r| (r.goal_title.clone(), r.goal_target, r.goal_since)),
        Some(None) => (None, None, None),
        Some(Some(goal)) => {
            let title = goal.title.trim().to_string();
            if title.is_empty() || title.chars().count() > GOAL_TITLE_MAX_CHARS {
                return Err(AppError::invalid_request(format!(
                    "A goal's title is 1 to {GOAL_TITLE_MAX_CHARS} characters."
                ))
                .with_field("goal.title"));
            }
            let target =
                goal.target.parse("USD").map_err(|e| AppError::from(e).with_field("goal.target"))?.to_minor();
            // The same goal keeps its progress; a new one starts from now.
            let same = existing.as_ref().is_some_and(|r| {
                r.goal_title.as_deref() == Some(title.as_str()) && r.goal_target == Some(target)
            });
            let since = if same { existing.as_ref().and_then(|r| r.goal_since) } else { Some(now) };
            (Some(title), Some(target), since)
        }
    };
    let row = CreatorRow {
        user_id: user.row.id,
        tip_presets: serde_json::to_string(&presets).map_err(AppError::internal)?,
        goal_title,
        goal_target,
        goal_since,
        updated_at: now,
    };
    tips::save_creator(&state, &row).await?;
    let roles = if body.enabled { user.row.roles | ROLE_CREATOR } else { user.row.roles & !ROLE_CREATOR };
    with_pool!(&state.db, |pool| {
        sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
            .bind(roles)
            .bind(user.row.id)
            .execute(pool)
            .await
            .map_err(AppError::database)?
            .rows_affected()
    });
    let creator = tips::creator_view(&state, &user.row, body.enabled, Some(&row)).await?;
    Ok(Json(CreatorResponse { creator }))
}

/// The dashboard's query: the reader's time zone, for "today" and "this week".
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    utc_offset_minutes: Option<String>,
}

/// How many supporters the dashboard names.
const TOP_SUPPORTERS: i64 = 5;

/// `GET /me/creator`: the signed-in person's own creator dashboard (settings, totals, top
/// supporters). Works before creator mode is on, so the settings form has something to show.
pub async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Json<CreatorDashboard>, AppError> {
    let offset = match query.utc_offset_minutes.as_deref() {
        None => 0,
        Some(text) => {
            text.parse::<i32>().ok().filter(|m| UTC_OFFSET_MINUTES.contains(m)).ok_or_else(|| {
                AppError::invalid_request("utc_offset_minutes must be a whole number from -720 to 840.")
                    .with_field("utc_offset_minutes")
            })?
        }
    };
    let user = user.row;
    let row = tips::creator_row(&state, user.id).await?;
    let creator = tips::creator_view(&state, &user, is_creator(&user), row.as_ref()).await?;
    let (today, week) = period_starts(state.now(), offset);
    let totals = tips::totals(&state, user.id, today, week).await?;
    let top = tips::top_supporters(&state, user.id, TOP_SUPPORTERS).await?;
    let people =
        state.db.people_by_id(top.iter().map(|(id, _, _)| *id)).await.map_err(AppError::unavailable)?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut top_supporters = Vec::with_capacity(top.len());
    for (id, total, tips) in top {
        let supporter = people
            .get(&id)
            .and_then(UserRow::counterparty)
            .ok_or_else(|| AppError::internal("a supporter vanished"))?;
        top_supporters.push(SupporterTotal { supporter, total: usd(total), tips: count(tips) });
    }
    Ok(Json(CreatorDashboard {
        creator,
        totals: TipTotals {
            currency: Currency::Usd,
            today: usd(totals.today),
            this_week: usd(totals.this_week),
            all_time: usd(totals.all_time),
            tips: count(totals.tips),
        },
        top_supporters,
        anonymous: AnonymousTotal { total: usd(totals.anonymous_total), tips: count(totals.anonymous_tips) },
    }))
}

/// `POST /tips` (idempotent, like `POST /transfers`): no grace window (a tip is meant), the
/// platform's fee (if set) from the creator in the same linked chain.
pub async fn tip(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewTip>,
) -> Result<Response, AppError> {
    let hash = operations::request_hash("POST /tips", &NewTip { pin: None, ..body.clone() });
    let amount = body.amount.parse(&body.currency)?;
    let message = clean_note(body.message.as_deref()).map_err(|error| {
        AppError::invalid_request(format!("The message is too long: {error}.")).with_field("message")
    })?;
    if let Some(post_id) = &body.post_id
        && !is_valid_post_id(post_id)
    {
        return Err(AppError::invalid_request("A post id is 1 to 64 printable ASCII characters, no spaces.")
            .with_field("post_id"));
    }
    let person =
        recipient(&state, &user, &body.creator, "creator").await.map_err(|error| match error.code {
            ErrorCode::SelfTransfer => {
                AppError::new(ErrorCode::SelfTransfer, "You can't tip yourself.").with_field("creator")
            }
            _ => error,
        })?;
    let creator = state
        .db
        .users_by_ids(&[person.id])
        .await
        .map_err(AppError::unavailable)?
        .pop()
        .ok_or_else(|| AppError::internal("a recipient vanished"))?;
    if !is_creator(&creator) {
        return Err(AppError::new(
            ErrorCode::NotACreator,
            format!("@{} does not take tips.", creator.handle),
        )
        .with_field("creator"));
    }
    let fee = fee_minor(amount, state.settings.tip_fee_bps);
    let anonymous = body.anonymous == Some(true);
    let draft = Draft {
        sender_id: user.row.id,
        recipient_id: creator.id,
        amount: amount.to_minor(),
        currency: amount.currency().code().to_string(),
        note: message,
        kind: "tip",
        request_id: None,
        hold_until: None,
        now: state.now(),
        tip: Some(TipDraft { post_id: body.post_id.clone(), anonymous, fee }),
    };
    let begun =
        operations::begin_payment(&state, &user, &key, &hash, amount, body.pin.as_deref(), draft).await?;
    let (operation, recorded) = match begun {
        Begun::Run { operation, payment } => (operation, payment),
        Begun::Replay(answer) => return Ok(answer.into_response()),
    };
    let (payment, tip) = match recorded {
        Some(payment) => {
            let tip = TipRow {
                operation_id: operation,
                post_id: body.post_id,
                anonymous: i64::from(anonymous),
                fee,
            };
            (payment, tip)
        }
        // A resumed tip: its rows were recorded with its key, in the same batch, and say what
        // it is (the fee as it was then).
        None => (
            payments::payment_of_operation(&state, operation)
                .await?
                .ok_or_else(|| AppError::internal("a resumed tip has no payment"))?,
            tips::tip_row(&state, operation).await?.ok_or_else(|| AppError::internal("a tip has no row"))?,
        ),
    };
    let made = tips::transfer(&state, payment, tip.fee).await;
    let settled = payments::settled_state(&made);
    let outcome = made.and_then(|payment| {
        let tip = tips::view(&state, &payment, &tip, &creator.handle)?;
        StoredAnswer::json(StatusCode::CREATED, &TipResponse { tip })
    });
    operations::conclude(&state, operation, settled, outcome).await
}

/// `GET /me/tips?direction=received|sent`: newest first. Anonymous tips a creator received
/// have `supporter: null`.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<DirectedPage>,
) -> Result<Json<TipPage>, AppError> {
    let received = match query.direction.as_deref() {
        Some("received") => true,
        Some("sent") => false,
        _ => {
            return Err(
                AppError::invalid_request("direction must be received or sent.").with_field("direction")
            );
        }
    };
    let limit = page_limit(query.limit.as_deref())?;
    let before = page_before(&state.ids, query.cursor.as_deref())?;
    let column = if received { "recipient_id" } else { "sender_id" };
    let sql = format!(
        "SELECT p.operation_id, p.transfer_id, p.sender_id, p.recipient_id, p.amount, p.currency, p.note, \
         p.hold_until, p.state, p.request_id, p.created_at, t.post_id, t.anonymous, t.fee \
         FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
         WHERE p.{column} = $1 AND p.state = 'completed' AND p.operation_id < $2 \
         ORDER BY p.operation_id DESC LIMIT $3"
    );
    let mut rows: Vec<ListedTip> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(user.user_id)
            .bind(before)
            .bind(i64::from(limit) + 1)
            .fetch_all(pool)
            .await
            .map_err(AppError::database)?
    });
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| state.ids.cursor(r.payment.operation_id)) } else { None };
    let ids = rows.iter().flat_map(|r| [r.payment.sender_id, r.payment.recipient_id]);
    let people = state.db.people_by_id(ids).await.map_err(AppError::unavailable)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let creator =
            people.get(&row.payment.recipient_id).ok_or_else(|| AppError::internal("no creator"))?;
        items.push(TipItem {
            tip: tips::view(&state, &row.payment, &row.tip, &creator.handle)?,
            supporter: tips::supporter(&row.tip, people.get(&row.payment.sender_id), received),
        });
    }
    let total_received =
        if received { Some(usd(tips::received_since(&state, user.user_id, 0).await?)) } else { None };
    Ok(Json(TipPage { items, next_cursor, total_received }))
}

/// A tip as listed: its payment and its own row.
#[derive(Debug)]
struct ListedTip {
    payment: PaymentRow,
    tip: TipRow,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for ListedTip
where
    PaymentRow: sqlx::FromRow<'r, R>,
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<ListedTip, sqlx::Error> {
        let payment = PaymentRow::from_row(row)?;
        let tip = TipRow {
            operation_id: payment.operation_id,
            post_id: row.try_get("post_id")?,
            anonymous: row.try_get("anonymous")?,
            fee: row.try_get("fee")?,
        };
        Ok(ListedTip { payment, tip })
    }
}
