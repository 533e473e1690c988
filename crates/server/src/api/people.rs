//! People and sessions: `POST /auth/signup`, `/auth/login`, `/auth/logout`, `GET /me`,
//! `PUT /me/pin`, `GET /users/{handle}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use purse_api::people::{check_password, clean_display_name, is_valid_pin};
use purse_api::{ErrorCode, Handle, LoginRequest, PinRequest, PublicProfile, SignupRequest, UserResponse};
use purse_ledger::{AccountFlags, NewAccount};

use crate::auth::{self, ClientAddress, CurrentUser, ROLE_CREATOR, user_view};
use crate::codes;
use crate::db::{InsertUserError, NewUser, UserRow};
use crate::error::AppError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::{limits, pin};

/// `POST /auth/signup`: a new person, their wallet, and a session.
pub async fn signup(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<Response, AppError> {
    limits::check(&state, limits::SIGNUP_PER_ADDRESS, &address).await?;
    let display_name = clean_display_name(&body.display_name).ok_or_else(|| {
        AppError::invalid_request("A display name has 1 to 50 characters.").with_field("display_name")
    })?;
    check_password(&body.password, &body.handle).map_err(|reason| {
        AppError::new(ErrorCode::WeakPassword, format!("Choose a stronger password: {reason}."))
            .with_field("password")
    })?;
    let user = create_person(&state, &body.handle, &display_name, &body.password, None, 0).await?;
    let cookie = auth::open_session(&state, &user, &headers).await?;
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(UserResponse { user: user_view(&user)? }))
        .into_response())
}

/// Creates a person and their wallet (a USD account that can never go below zero).
pub async fn create_person(
    state: &AppState,
    handle: &Handle,
    display_name: &str,
    password: &str,
    pin: Option<&str>,
    roles: i64,
) -> Result<UserRow, AppError> {
    let password_hash = state.passwords.hash(password).await?;
    let pin_hash = match pin {
        Some(pin) => Some(state.passwords.hash(pin).await?),
        None => None,
    };
    let public_id = auth::new_public_id("usr");
    let user = state
        .db
        .insert_user(NewUser {
            public_id: &public_id,
            handle: handle.as_str(),
            display_name,
            password_hash: &password_hash,
            pin_hash: pin_hash.as_deref(),
            roles,
            created_at: state.now(),
        })
        .await
        .map_err(|error| match error {
            InsertUserError::HandleTaken => {
                AppError::new(ErrorCode::HandleTaken, format!("@{handle} is taken. Try another handle."))
                    .with_field("handle")
            }
            InsertUserError::Db(error) => AppError::unavailable(error),
        })?;
    ensure_wallet(state, user.id).await?;
    Ok(user)
}

/// Creates the person's wallet if it does not exist yet (idempotent: the account id is fixed).
pub async fn ensure_wallet(state: &AppState, user_id: i64) -> Result<(), AppError> {
    let wallet = NewAccount {
        id: codes::wallet_of(user_id),
        currency: purse_api::Currency::Usd,
        code: codes::account::USER_WALLET,
        flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    };
    for result in state.ledger.create_accounts(vec![wallet]).await? {
        result.map_err(AppError::internal)?;
    }
    Ok(())
}

/// `POST /auth/login`. The same answer for an unknown handle and a wrong password.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    limits::check(&state, limits::LOGIN_PER_ADDRESS, &address).await?;
    limits::check(&state, limits::LOGIN_PER_HANDLE, body.handle.as_str()).await?;
    let user = state.db.user_by_handle(body.handle.as_str()).await.map_err(AppError::unavailable)?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let matches = state.passwords.verify(stored, &body.password).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(AppError::new(ErrorCode::InvalidCredentials, "That handle and password don't match."));
    };
    let cookie = auth::open_session(&state, &user, &headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(UserResponse { user: user_view(&user)? })).into_response())
}

/// `POST /auth/logout`: ends this session in the database, so every instance forgets it.
pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state.db.delete_session(&user.session).await.map_err(AppError::unavailable)?;
    state.sessions.forget(&user.session);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, auth::clear_cookie_header(&headers))]).into_response())
}

/// `GET /me`.
pub async fn me(user: CurrentUser) -> Result<Json<UserResponse>, AppError> {
    Ok(Json(UserResponse { user: user_view(&user.row)? }))
}

/// `PUT /me/pin`: sets the payment PIN; changing one needs the current PIN.
pub async fn set_pin(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PinRequest>,
) -> Result<StatusCode, AppError> {
    if !is_valid_pin(&body.pin) {
        return Err(AppError::invalid_request("A PIN is 4 to 6 digits.").with_field("pin"));
    }
    if user.row.pin_hash.is_some() {
        pin::verify(&state, &user, body.current_pin.as_deref()).await.map_err(|error| {
            // The PIN being checked here is the current one.
            if error.field.as_deref() == Some("pin") { error.with_field("current_pin") } else { error }
        })?;
    }
    let hash = state.passwords.hash(&body.pin).await?;
    state.db.set_pin(user.row.id, &hash).await.map_err(AppError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{handle}`: what any signed-in person may see of another.
pub async fn profile(
    State(state): State<AppState>,
    viewer: CurrentUser,
    Path(handle): Path<String>,
) -> Result<Json<PublicProfile>, AppError> {
    let handle = Handle::parse(&handle).map_err(|reason| {
        AppError::invalid_request(format!("Not a handle: {reason}.")).with_field("handle")
    })?;
    let user = state.db.user_by_handle(handle.as_str()).await.map_err(AppError::unavailable)?;
    let user = user.ok_or_else(AppError::not_found)?;
    let paid_before = if user.id == viewer.row.id {
        None
    } else {
        Some(crate::payments::has_paid_before(&state, viewer.row.id, user.id).await?)
    };
    Ok(Json(PublicProfile {
        handle,
        display_name: user.display_name,
        is_creator: user.roles & ROLE_CREATOR != 0,
        paid_before,
        cancel_window_seconds: (paid_before == Some(false)).then_some(state.settings.grace_window_s),
    }))
}
