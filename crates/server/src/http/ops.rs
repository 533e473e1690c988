//! `/ops/…`: the compliance officers' endpoints (see `flows::cases` and `flows::audit`). Every
//! one takes an [`Officer`]: a signed-in person without the compliance role is refused
//! `403 forbidden` before anything is read (signed out: `401`).

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use purse_api::ops::{
    AuditPage, CasePage, CaseReportResponse, CaseResponse, DecisionNote, OpsPersonPage, OpsPersonResponse,
};

use crate::flows::error::Forbidden;
use crate::flows::{FlowError, audit, cases};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::query::{ApiQuery, page_before, page_limit};
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::store::people::UserRow;

/// A signed-in compliance officer, read fresh from the database (their role and standing now).
#[derive(Debug)]
pub struct Officer(pub UserRow);

impl FromRequestParts<AppState> for Officer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Officer, ApiError> {
        let user = <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        if !user.row.is_officer() {
            return Err(FlowError::Forbidden(Forbidden::NotAnOfficer).into());
        }
        Ok(Officer(user.row))
    }
}

/// `?status=open|closed&limit&cursor`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub status: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// `?limit&cursor`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    _officer: Officer,
    ApiQuery(query): ApiQuery<CaseQuery>,
) -> Result<Json<CasePage>, ApiError> {
    let open = match query.status.as_deref() {
        None | Some("open") => true,
        Some("closed") => false,
        Some(_) => return Err(ApiError::invalid_request("status is open or closed.").with_field("status")),
    };
    let limit = page_limit(query.limit.as_deref())?;
    let before =
        query.cursor.as_deref().map(|_| page_before(&state.ids, query.cursor.as_deref())).transpose()?;
    Ok(Json(cases::list(&state, open, limit, before).await?))
}

pub async fn case(
    State(state): State<AppState>,
    _officer: Officer,
    Path(id): Path<String>,
) -> Result<Json<CaseResponse>, ApiError> {
    Ok(Json(CaseResponse { case: cases::get(&state, &id).await? }))
}

pub async fn approve(
    State(state): State<AppState>,
    Officer(officer): Officer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionNote>,
) -> Result<Json<CaseResponse>, ApiError> {
    Ok(Json(CaseResponse { case: cases::approve(&state, &officer, &id, &body.note).await? }))
}

pub async fn reject(
    State(state): State<AppState>,
    Officer(officer): Officer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionNote>,
) -> Result<Json<CaseResponse>, ApiError> {
    Ok(Json(CaseResponse { case: cases::reject(&state, &officer, &id, &body.note).await? }))
}

pub async fn report(
    State(state): State<AppState>,
    _officer: Officer,
    Path(id): Path<String>,
) -> Result<Json<CaseReportResponse>, ApiError> {
    Ok(Json(CaseReportResponse { report: cases::report(&state, &id).await? }))
}

pub async fn person(
    State(state): State<AppState>,
    _officer: Officer,
    Path(handle): Path<String>,
) -> Result<Json<OpsPersonPage>, ApiError> {
    Ok(Json(cases::person(&state, &handle).await?))
}

pub async fn freeze(
    State(state): State<AppState>,
    Officer(officer): Officer,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<DecisionNote>,
) -> Result<Json<OpsPersonResponse>, ApiError> {
    Ok(Json(OpsPersonResponse {
        person: cases::set_frozen(&state, &officer, &handle, true, &body.note).await?,
    }))
}

pub async fn unfreeze(
    State(state): State<AppState>,
    Officer(officer): Officer,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<DecisionNote>,
) -> Result<Json<OpsPersonResponse>, ApiError> {
    Ok(Json(OpsPersonResponse {
        person: cases::set_frozen(&state, &officer, &handle, false, &body.note).await?,
    }))
}

pub async fn audit_log(
    State(state): State<AppState>,
    _officer: Officer,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = page_limit(query.limit.as_deref())?;
    let before = page_before(&state.ids, query.cursor.as_deref())?;
    Ok(Json(audit::page(&state, limit, before).await?))
}
