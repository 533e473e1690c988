//! Tips to creators: creator settings, the tip's linked ledger chain (the tip, then the
//! platform's fee from the creator), and what each side may see.
//!
//! A tip is a payment (its `payments` row, kind `tip`, no grace window) plus a `tips` row (the
//! post, whether it is anonymous, the fee). An anonymous tip's note carries `hide_sender`, so
//! the creator's activity, receipts and live events never name the sender; `GET /me/tips`
//! answers `supporter: null` to the creator; supporter counts count without naming.

use purse_api::tips::DEFAULT_PRESETS;
use purse_api::{Amount, Counterparty, Creator, Currency, ErrorCode, Goal, Handle, Money, Tip};
use purse_ledger::{CreateTransferError, Movement, TransferRequest};

use crate::activity::rfc3339;
use crate::codes;
use crate::db::{UserRow, with_pool};
use crate::error::AppError;
use crate::operations::{self, Slot};
use crate::payments::{PaymentRow, stored_currency};
use crate::state::AppState;

/// A creator's settings as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CreatorRow {
    pub user_id: i64,
    /// JSON array of minor units.
    pub tip_presets: String,
    pub goal_title: Option<String>,
    pub goal_target: Option<i64>,
    pub goal_since: Option<i64>,
    pub updated_at: i64,
}

/// A tip's own row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TipRow {
    pub operation_id: i64,
    pub post_id: Option<String>,
    pub anonymous: i64,
    pub fee: i64,
}

pub async fn creator_row(state: &AppState, user_id: i64) -> Result<Option<CreatorRow>, AppError> {
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT user_id, tip_presets, goal_title, goal_target, goal_since, updated_at \
             FROM creators WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .map_err(AppError::database)?
    }))
}

/// Stores `row` (the creator's settings, whole).
pub async fn save_creator(state: &AppState, row: &CreatorRow) -> Result<(), AppError> {
    with_pool!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO creators (user_id, tip_presets, goal_title, goal_target, goal_since, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
             tip_presets = excluded.tip_presets, goal_title = excluded.goal_title, \
             goal_target = excluded.goal_target, goal_since = excluded.goal_since, updated_at = excluded.updated_at",
        )
        .bind(row.user_id)
        .bind(&row.tip_presets)
        .bind(row.goal_title.as_deref())
        .bind(row.goal_target)
        .bind(row.goal_since)
        .bind(row.updated_at)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    Ok(())
}

/// The presets of `row` (or the defaults), as minor units.
pub fn presets(row: Option<&CreatorRow>) -> Vec<i64> {
    row.and_then(|r| serde_json::from_str(&r.tip_presets).ok()).unwrap_or_else(|| {
        DEFAULT_PRESETS.iter().filter_map(|p| Amount::parse(p, "USD").ok()).map(Amount::to_minor).collect()
    })
}

/// What anyone may see of a creator: settings, the goal's progress, how many supporters.
pub async fn creator_view(
    state: &AppState,
    user: &UserRow,
    enabled: bool,
    row: Option<&CreatorRow>,
) -> Result<Creator, AppError> {
    let goal = match row.and_then(|r| Some((r.goal_title.clone()?, r.goal_target?, r.goal_since))) {
        Some((title, target, since)) => {
            let raised = received_since(state, user.id, since.unwrap_or(0)).await?;
            Some(Goal { title, target: usd(target), raised: usd(raised) })
        }
        None => None,
    };
    // People who tipped openly, plus one for each anonymous tip. Counting anonymous senders
    // as people would tell the creator whether an anonymous tip came from someone who had
    // tipped before (the count would not move), or from the same person as another one.
    let supporters: i64 = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(DISTINCT CASE WHEN t.anonymous = 0 THEN p.sender_id END) \
             + COALESCE(SUM(t.anonymous), 0) AS BIGINT) \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed'",
        )
        .bind(user.id)
        .fetch_one(pool)
        .await
        .map_err(AppError::database)?
    });
    Ok(Creator {
        handle: Handle::parse(&user.handle).map_err(AppError::internal)?,
        display_name: user.display_name.clone(),
        enabled,
        tip_presets: presets(row).into_iter().map(usd).collect(),
        goal,
        supporters: u64::try_from(supporters).unwrap_or(0),
    })
}

/// Tips `creator` received since `since` (ns), in minor units, before fees.
pub async fn received_since(state: &AppState, creator: i64, since: i64) -> Result<i64, AppError> {
    let total: Option<i64> = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT CAST(SUM(p.amount) AS BIGINT) FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed' AND p.created_at >= $2",
        )
        .bind(creator)
        .bind(since)
        .fetch_one(pool)
        .await
        .map_err(AppError::database)?
    });
    Ok(total.unwrap_or(0))
}

/// Totals for a creator's dashboard, in minor units before fees.
#[derive(Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Totals {
    pub today: i64,
    pub this_week: i64,
    pub all_time: i64,
    pub tips: i64,
    pub anonymous_total: i64,
    pub anonymous_tips: i64,
}

/// What `creator` received in dollars today, this week (from the given starts, ns) and ever;
/// how much of it came anonymously.
pub async fn totals(state: &AppState, creator: i64, today: i64, week: i64) -> Result<Totals, AppError> {
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN p.created_at >= $2 THEN p.amount ELSE 0 END), 0) AS BIGINT) AS today, \
             CAST(COALESCE(SUM(CASE WHEN p.created_at >= $3 THEN p.amount ELSE 0 END), 0) AS BIGINT) AS this_week, \
             CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS all_time, \
             COUNT(*) AS tips, \
             CAST(COALESCE(SUM(p.amount * t.anonymous), 0) AS BIGINT) AS anonymous_total, \
             CAST(COALESCE(SUM(t.anonymous), 0) AS BIGINT) AS anonymous_tips \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed' AND p.currency = $4",
        )
        .bind(creator)
        .bind(today)
        .bind(week)
        .bind(Currency::Usd.code())
        .fetch_one(pool)
        .await
        .map_err(AppError::database)?
    }))
}

/// The people who gave `creator` the most in open dollar tips: `(sender, total minor, tips)`,
/// at most `limit`, ties in the order they first tipped. Anonymous tips never count towards
/// anyone here.
pub async fn top_supporters(
    state: &AppState,
    creator: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT p.sender_id, CAST(SUM(p.amount) AS BIGINT) AS total, COUNT(*) AS tips \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed' AND t.anonymous = 0 AND p.currency = $3 \
             GROUP BY p.sender_id ORDER BY total DESC, MIN(p.operation_id) LIMIT $2",
        )
        .bind(creator)
        .bind(limit)
        .bind(Currency::Usd.code())
        .fetch_all(pool)
        .await
        .map_err(AppError::database)?
    }))
}

/// Moves a recorded tip: the tip from the supporter to the creator and, if there is a fee, the
/// fee from the creator to the platform, linked (both or neither). Returns the payment as
/// `completed`, or `insufficient_funds` when the supporter's wallet cannot pay it.
pub async fn transfer(state: &AppState, payment: PaymentRow, fee: i64) -> Result<PaymentRow, AppError> {
    let currency = stored_currency(&payment.currency)?;
    let tip = TransferRequest::posted(
        payment.transfer_id,
        Movement {
            debit_account_id: codes::wallet_of(payment.sender_id),
            credit_account_id: codes::wallet_of(payment.recipient_id),
            amount: payment.amount.cast_unsigned(),
            currency,
            code: codes::transfer::TIP,
        },
    );
    let chain = if fee > 0 {
        let fee = TransferRequest::posted(
            operations::ledger_id(payment.operation_id, Slot::Fee),
            Movement {
                debit_account_id: codes::wallet_of(payment.recipient_id),
                credit_account_id: codes::PLATFORM_FEES,
                amount: fee.cast_unsigned(),
                currency,
                code: codes::transfer::FEE,
            },
        );
        vec![tip.linked(), fee]
    } else {
        vec![tip]
    };
    let results = state.ledger.create_transfers(chain).await?;
    match results.first() {
        Some(Ok(_)) => Ok(PaymentRow { state: "completed".into(), ..payment }),
        Some(Err(CreateTransferError::ExceedsCredits)) => Err(AppError::new(
            ErrorCode::InsufficientFunds,
            "Not enough money in your wallet for this tip. Nothing was sent.",
        )
        .with_field("amount")),
        other => Err(AppError::internal(format!("the ledger refused a tip: {other:?} (all: {results:?})"))),
    }
}

pub async fn tip_row(state: &AppState, operation: i64) -> Result<Option<TipRow>, AppError> {
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as("SELECT operation_id, post_id, anonymous, fee FROM tips WHERE operation_id = $1")
            .bind(operation)
            .fetch_optional(pool)
            .await
            .map_err(AppError::database)?
    }))
}

/// A tip on the wire.
pub fn view(
    state: &AppState,
    payment: &PaymentRow,
    tip: &TipRow,
    creator_handle: &str,
) -> Result<Tip, AppError> {
    let currency = stored_currency(&payment.currency)?;
    Ok(Tip {
        id: state.ids.encode("tip", payment.transfer_id),
        creator: Handle::parse(creator_handle).map_err(AppError::internal)?,
        amount: Money::from_minor(payment.amount, currency).amount_string(),
        currency,
        post_id: tip.post_id.clone(),
        message: payment.note.clone(),
        anonymous: tip.anonymous != 0,
        fee: Money::from_minor(tip.fee, currency).amount_string(),
        created_at: rfc3339(payment.created_at),
    })
}

/// Who a list item names as the supporter: nobody, for an anonymous tip seen by its creator.
pub fn supporter(tip: &TipRow, sender: Option<&UserRow>, viewer_is_creator: bool) -> Option<Counterparty> {
    if tip.anonymous != 0 && viewer_is_creator {
        return None;
    }
    sender?.counterparty()
}

/// Dollars in minor units as the API writes them (`"5.00"`).
pub fn usd(minor: i64) -> String {
    Money::from_minor(minor, Currency::Usd).amount_string()
}
