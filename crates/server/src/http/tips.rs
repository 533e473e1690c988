//! Tips: `GET /creators/{handle}`, `PUT /me/creator`, `GET /me/creator` (the creator's
//! dashboard), `POST /tips` (on the money path) and `GET /me/tips`.

use axum::Json;
use axum::extract::{Path, State};
use purse_api::payments::clean_note;
use purse_api::text::{Lines, clean_bounded};
use purse_api::tips::{GOAL_TITLE_MAX_CHARS, MAX_PRESETS, UTC_OFFSET_MINUTES, is_valid_post_id};
use purse_api::{Creator, CreatorDashboard, CreatorResponse, CreatorSettings, NewTip, TipPage};

use crate::flows::movement::{IdempotencyKey, request_hash};
use crate::flows::tips::{self, NewGoal, NewSettings};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::query::{ApiQuery, DirectedPage, page_before, page_limit};
use crate::http::session::{CurrentUser, SignedIn};
use crate::http::state::AppState;
use crate::store::StoredAnswer;
use crate::store::tips::TipSide;

/// `GET /creators/{handle}`: a creator's public page; anyone else is `404`.
pub async fn creator(
    State(state): State<AppState>,
    _viewer: SignedIn,
    Path(handle): Path<String>,
) -> Result<Json<Creator>, ApiError> {
    let handle = purse_api::Handle::parse(&handle).map_err(|_| ApiError::not_found())?;
    Ok(Json(tips::creator(&state, &handle).await?))
}

/// `PUT /me/creator`: turns creator mode on or off; sets presets (1–6 amounts) and a goal.
pub async fn set_creator(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreatorSettings>,
) -> Result<Json<CreatorResponse>, ApiError> {
    let presets = match &body.tip_presets {
        None => None,
        Some(list) => {
            if list.is_empty() || list.len() > MAX_PRESETS {
                return Err(ApiError::invalid_request(format!("Offer 1 to {MAX_PRESETS} preset amounts."))
                    .with_field("tip_presets"));
            }
            let mut minors = Vec::with_capacity(list.len());
            for preset in list {
                let amount = preset.parse("USD").map_err(|e| ApiError::from(e).with_field("tip_presets"))?;
                minors.push(amount.to_minor());
            }
            minors.sort_unstable();
            if minors.windows(2).any(|pair| pair[0] == pair[1]) {
                return Err(ApiError::invalid_request("Each preset amount may appear once.")
                    .with_field("tip_presets"));
            }
            Some(minors)
        }
    };
    let goal = match &body.goal {
        None => None,
        Some(None) => Some(None),
        Some(Some(goal)) => {
            let title = clean_bounded(&goal.title, Lines::One, GOAL_TITLE_MAX_CHARS).map_err(|_| {
                ApiError::invalid_request(format!(
                    "A goal's title is 1 to {GOAL_TITLE_MAX_CHARS} characters."
                ))
                .with_field("goal.title")
            })?;
            let target =
                goal.target.parse("USD").map_err(|e| ApiError::from(e).with_field("goal.target"))?.to_minor();
            Some(Some(NewGoal { title, target }))
        }
    };
    let settings = NewSettings { enabled: body.enabled, presets, goal };
    Ok(Json(CreatorResponse { creator: tips::set_creator(&state, &user.row, settings).await? }))
}

/// The dashboard's query: the reader's time zone, for "today" and "this week".
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    utc_offset_minutes: Option<String>,
}

/// `GET /me/creator`: the signed-in person's own creator dashboard (settings, totals, top
/// supporters). Works before creator mode is on, so the settings form has something to show.
pub async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Json<CreatorDashboard>, ApiError> {
    let offset = match query.utc_offset_minutes.as_deref() {
        None => 0,
        Some(text) => {
            text.parse::<i32>().ok().filter(|m| UTC_OFFSET_MINUTES.contains(m)).ok_or_else(|| {
                ApiError::invalid_request("utc_offset_minutes must be a whole number from -720 to 840.")
                    .with_field("utc_offset_minutes")
            })?
        }
    };
    Ok(Json(tips::dashboard(&state, &user.row, offset).await?))
}

/// `POST /tips` (on the money path, like `POST /transfers`).
pub async fn tip(
    State(state): State<AppState>,
    user: CurrentUser,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<NewTip>,
) -> Result<StoredAnswer, ApiError> {
    let hash = request_hash("POST /tips", &NewTip { pin: None, ..body.clone() });
    let amount = body.amount.parse(&body.currency)?;
    let message = clean_note(body.message.as_deref()).map_err(|error| {
        ApiError::invalid_request(format!("The message is too long: {error}.")).with_field("message")
    })?;
    if let Some(post_id) = &body.post_id
        && !is_valid_post_id(post_id)
    {
        return Err(ApiError::invalid_request("A post id is 1 to 64 printable ASCII characters, no spaces.")
            .with_field("post_id"));
    }
    let new = tips::NewTip {
        creator: body.creator,
        amount,
        message,
        post_id: body.post_id,
        anonymous: body.anonymous == Some(true),
    };
    Ok(tips::tip(&state, &user.row, &key, hash, body.pin.as_deref(), new).await?)
}

/// `GET /me/tips?direction=received|sent`: newest first. Anonymous tips a creator received
/// have `supporter: null`.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<DirectedPage>,
) -> Result<Json<TipPage>, ApiError> {
    let side = match query.direction.as_deref() {
        Some("received") => TipSide::Received,
        Some("sent") => TipSide::Sent,
        _ => {
            return Err(
                ApiError::invalid_request("direction must be received or sent.").with_field("direction")
            );
        }
    };
    let limit = page_limit(query.limit.as_deref())?;
    let before = page_before(&state.ids, query.cursor.as_deref())?;
    Ok(Json(tips::list(&state, user.user_id, side, before, limit).await?))
}
