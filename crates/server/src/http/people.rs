//! People and sessions: `POST /auth/signup`, `/auth/login`, `/auth/logout`, `GET /me`,
//! `GET /session`, `PUT /me/pin`, `GET /users/{handle}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use purse_api::people::{check_password, clean_display_name, is_valid_pin};
use purse_api::{
    ErrorCode, Handle, LoginRequest, PinRequest, PublicProfile, SessionResponse, SignupRequest, UserResponse,
};

use crate::flows::people::{self, user_view};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::session::{ClientAddress, CurrentUser, clear_cookie_header, session_cookie_header};
use crate::http::state::AppState;

/// `POST /auth/signup`: a new person, their wallet, and a session.
pub async fn signup(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<Response, ApiError> {
    people::count_sign_up(&state, &address).await?;
    let display_name = clean_display_name(&body.display_name).ok_or_else(|| {
        ApiError::invalid_request("A display name has 1 to 50 characters.").with_field("display_name")
    })?;
    check_password(&body.password, &body.handle).map_err(|reason| {
        ApiError::new(ErrorCode::WeakPassword, format!("Choose a stronger password: {reason}."))
            .with_field("password")
    })?;
    let (user, token) = people::sign_up(&state, &body.handle, &display_name, &body.password).await?;
    let cookie = session_cookie_header(&token, &headers);
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(UserResponse { user: user_view(&user)? }))
        .into_response())
}

/// `POST /auth/login`. The same answer for an unknown handle and a wrong password.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let (user, token) = people::sign_in(&state, &address, &body.handle, &body.password).await?;
    let cookie = session_cookie_header(&token, &headers);
    Ok(([(header::SET_COOKIE, cookie)], Json(UserResponse { user: user_view(&user)? })).into_response())
}

/// `POST /auth/logout`: ends this session in the database, so every instance forgets it.
pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    people::sign_out(&state, &user.session).await?;
    state.sessions().forget(&user.session);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie_header(&headers))]).into_response())
}

/// `GET /me`.
pub async fn me(user: CurrentUser) -> Result<Json<UserResponse>, ApiError> {
    Ok(Json(UserResponse { user: user_view(&user.row)? }))
}

/// `GET /session`: the signed-in person or `null`, always `200` (the SPA's first question, asked
/// on every page: a `401` there would be an error in the console of every signed-out visit).
pub async fn session(user: Option<CurrentUser>) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(SessionResponse { user: user.map(|user| user_view(&user.row)).transpose()? }))
}

/// `PUT /me/pin`: sets the payment PIN; changing one needs the current PIN.
pub async fn set_pin(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PinRequest>,
) -> Result<StatusCode, ApiError> {
    if !is_valid_pin(&body.pin) {
        return Err(ApiError::invalid_request("A PIN is 4 to 6 digits.").with_field("pin"));
    }
    people::set_pin(&state, &user.row, &body.pin, body.current_pin.as_deref()).await.map_err(|error| {
        // The PIN being checked here is the current one.
        let error = ApiError::from(error);
        if error.field.as_deref() == Some("pin") { error.with_field("current_pin") } else { error }
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{handle}`: what any signed-in person may see of another.
pub async fn profile(
    State(state): State<AppState>,
    viewer: CurrentUser,
    Path(handle): Path<String>,
) -> Result<Json<PublicProfile>, ApiError> {
    let handle = Handle::parse(&handle).map_err(|reason| {
        ApiError::invalid_request(format!("Not a handle: {reason}.")).with_field("handle")
    })?;
    Ok(Json(people::profile(&state, &viewer.row, handle).await?))
}
