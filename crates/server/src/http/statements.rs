//! Interest and statements: `GET /me/interest`, `GET /me/interest/accruals?month=` and
//! `GET /statements?month=&format=&currency=`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use purse_api::interest::{AccrualList, InterestSummary};
use purse_api::statements::{StatementFormat, file_name};
use purse_api::{Currency, ErrorCode};
use serde::Deserialize;

use crate::flows::{interest, statements};
use crate::http::error::ApiError;
use crate::http::query::ApiQuery;
use crate::http::session::SignedIn;
use crate::http::state::AppState;
use crate::statement_files;
use crate::time::CalendarMonth;

/// `GET /me/interest`.
pub async fn summary(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Json<InterestSummary>, ApiError> {
    Ok(Json(interest::summary(&state, user.user_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    month: Option<String>,
}

/// `GET /me/interest/accruals?month=YYYY-MM`: the month's accruals (default: this month).
pub async fn accruals(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<MonthQuery>,
) -> Result<Json<AccrualList>, ApiError> {
    let month = match query.month.as_deref() {
        None => CalendarMonth::of(state.now()),
        Some(text) => month(text)?,
    };
    Ok(Json(interest::accruals(&state, user.user_id, month).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    month: Option<String>,
    format: Option<String>,
    currency: Option<String>,
}

/// `GET /statements?month=YYYY-MM&format=json|csv|ofx|camt053&currency=USD`: JSON, or a file to
/// download (`purse-YYYY-MM.csv`, `.ofx`, `.xml`).
pub async fn statement(
    State(state): State<AppState>,
    user: SignedIn,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let month = month(query.month.as_deref().ok_or_else(|| {
        ApiError::invalid_request("Say which month, as YYYY-MM (month=2026-11).").with_field("month")
    })?)?;
    let format = match query.format.as_deref() {
        None => StatementFormat::Json,
        Some(name) => StatementFormat::parse(name).ok_or_else(|| {
            ApiError::invalid_request("The format is one of json, csv, ofx and camt053.").with_field("format")
        })?,
    };
    let currency = match query.currency.as_deref() {
        None => Currency::Usd,
        Some(code) => Currency::parse_enabled(code).map_err(|_| {
            ApiError::new(ErrorCode::InvalidCurrency, "Purse does not hold that currency.")
                .with_field("currency")
        })?,
    };
    let built = statements::statement(&state, user.user_id, month, currency).await?;
    if format == StatementFormat::Json {
        return Ok(Json(built.statement).into_response());
    }
    let header = statement_files::Header {
        account_id: built.account_id.clone(),
        owner: built.owner.clone(),
        from: built.from.rfc3339(),
        to: built.to.rfc3339(),
        generated_at: state.now().rfc3339(),
    };
    let body = match format {
        StatementFormat::Csv => statement_files::csv(&built.statement),
        StatementFormat::Ofx => statement_files::ofx(&built.statement, &header),
        StatementFormat::Camt053 | StatementFormat::Json => {
            statement_files::camt053(&built.statement, &header)
        }
    }
    .map_err(|error| ApiError::internal(format!("cannot write a statement file: {error}")))?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(&built.statement.month, format));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// A `month=` parameter.
fn month(text: &str) -> Result<CalendarMonth, ApiError> {
    CalendarMonth::parse(text)
        .ok_or_else(|| ApiError::invalid_request("A month is written YYYY-MM (2026-11).").with_field("month"))
}
