//! The only module that talks to the server. Every call returns the server's answer or an
//! [`ApiError`] a page can show as is: the server's own message (and the field it blames) when
//! it sent one, a plain sentence otherwise; a `429` (and a locked PIN) says how long to wait,
//! from the answer's `Retry-After`. [`ApiError::is_permanent`] tells a page whether trying the
//! same again can help. Nothing is turned into `None`.

use purse_api::compliance::{Compliance, LimitDetails, VerificationRequest, VerificationResponse};
use purse_api::funding::{BankAccountList, CardList, Speed};
use purse_api::interest::InterestSummary;
use purse_api::ops::{
    AuditPage, Case, CasePage, CaseResponse, DecisionNote, OpsPerson, OpsPersonPage, OpsPersonResponse,
};
use purse_api::{
    Activity, ActivityPage, ActivityResponse, BankAccount, BankAccountResponse, Card, CardDetails,
    CardResponse, CardToken, CheckoutOutcome, ConfirmCheckout, Creator, CreatorDashboard, CreatorResponse,
    CreatorSettings, Deposit, DepositResponse, ErrorBody, ErrorCode, ErrorDetail, Handle, Health,
    LoginRequest, MoneyRequest, NewBankAccount, NewCard, NewDeposit, NewMoneyRequest, NewTip, NewWithdrawal,
    PaidRequest, PayRequestBody, PinRequest, PublicCheckoutSession, PublicProfile, RequestPage,
    RequestResponse, SendRequest, SessionResponse, SignupRequest, Statement, StatementFormat, Tip, TipPage,
    TipResponse, Transfer, TransferResponse, User, UserResponse, Wallet, Withdrawal, WithdrawalQuote,
    WithdrawalResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::flows::withdraw_flow::speed_name;
use crate::format;
use crate::text::{Text, t};

/// A failed call, ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, or `None` when no answer arrived at all.
    pub status: Option<u16>,
    /// The API's error code, when the server sent one.
    pub code: Option<ErrorCode>,
    /// What to tell the person.
    pub message: String,
    /// The request field the server blamed, for forms.
    pub field: Option<String>,
    /// `limit_exceeded`'s facts (what is left, and when room comes back), for the sentence the
    /// forms show before sending too.
    /// Boxed: most errors have none, and an `ApiError` travels in every `Result`.
    pub details: Option<Box<LimitDetails>>,
}

impl ApiError {
    /// No answer: offline, DNS, the server down.
    pub fn network() -> ApiError {
        ApiError {
            status: None,
            code: None,
            message: t(Text::NetworkError).to_string(),
            field: None,
            details: None,
        }
    }

    fn unexpected(status: u16) -> ApiError {
        ApiError {
            status: Some(status),
            code: None,
            message: t(Text::UnexpectedAnswer).to_string(),
            field: None,
            details: None,
        }
    }

    /// Turns a non-2xx answer into an error: the API's error body when there is one.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(body) => ApiError {
                status: Some(status),
                code: Some(body.error.code),
                message: body.error.message,
                field: body.error.field,
                details: body.error.details.map(Box::new),
            },
            Err(_) => ApiError::unexpected(status),
        }
    }

    /// Whether trying the very same again cannot help: the thing is not there (`404`), not the
    /// person's (`403`), or the request itself is refused (`400`, `405`, `413`, `415`, `422`).
    /// Not a lost answer, a server failure, a `409` still being processed, or a `429` (each
    /// worth trying again, after the wait it names), nor a signed-out `401` (signing in is the
    /// way on) or a refused cross-site check (a reload mends it).
    pub fn is_permanent(&self) -> bool {
        let refused = matches!(self.status, Some(400 | 403 | 404 | 405 | 410 | 413 | 415 | 422));
        // A rejected origin or a locked PIN passes: trying again later can work.
        refused && !matches!(self.code, Some(ErrorCode::CsrfRejected | ErrorCode::PinLocked))
    }

    pub fn is_unauthenticated(&self) -> bool {
        self.code == Some(ErrorCode::Unauthenticated)
    }

    /// Whether a failed money-moving attempt may still have moved money: nothing answered, the
    /// server failed, or the same key is still being processed. Its retry must reuse its key
    /// (and its body).
    pub fn is_uncertain(&self) -> bool {
        self.status.is_none_or(|status| status >= 500) || self.code == Some(ErrorCode::IdempotencyKeyInUse)
    }
}

/// Seconds to wait from a `Retry-After` header (Purse's server sends seconds; the date form is
/// not read, and then the copy says "a little").
pub fn retry_after_seconds(header: Option<&str>) -> Option<u64> {
    header.and_then(|value| value.trim().parse().ok())
}

/// What a `429` says, waiting `seconds` when the answer said.
pub fn rate_limited_message(seconds: Option<u64>) -> String {
    match seconds {
        Some(seconds) => t(Text::RateLimitedWait).replace("{wait}", &format::wait(seconds)),
        None => t(Text::RateLimitedLater).to_string(),
    }
}

/// A non-2xx answer's body as the rest of this module reads it: for a `429` (any `429`, even a
/// proxy's without Purse's error body) and a locked PIN, the server's message is replaced by one
/// that says how long to wait, from `Retry-After`. Every other answer is left as it came.
pub fn with_wait(status: u16, body: String, retry_after: Option<&str>) -> String {
    let seconds = retry_after_seconds(retry_after);
    let parsed = serde_json::from_str::<ErrorBody>(&body).ok();
    let code = parsed.as_ref().map(|parsed| parsed.error.code);
    let message = match (status, code) {
        (429, _) | (_, Some(ErrorCode::RateLimited)) => rate_limited_message(seconds),
        (_, Some(ErrorCode::PinLocked)) => match seconds {
            Some(seconds) => t(Text::PinLockedWait).replace("{wait}", &format::wait(seconds)),
            None => return body,
        },
        _ => return body,
    };
    let error = match parsed {
        Some(parsed) => ErrorDetail { message, ..parsed.error },
        None => ErrorDetail { code: ErrorCode::RateLimited, message, field: None, details: None },
    };
    serde_json::to_string(&ErrorBody { error }).unwrap_or(body)
}

/// The answer as `T` for 2xx, as an [`ApiError`] otherwise.
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ApiError::unexpected(status))
    } else {
        Err(ApiError::from_answer(status, body))
    }
}

/// `GET /api/v1/healthz`.
pub async fn health() -> Result<Health, ApiError> {
    get("/api/v1/healthz").await
}

/// `GET /api/v1/session`: the signed-in person, or `None` when nobody is signed in. (Not
/// `GET /me`: its `401` for a signed-out visitor is an error in the browser's console on every
/// page.)
pub async fn me() -> Result<Option<User>, ApiError> {
    match get::<SessionResponse>("/api/v1/session").await {
        Ok(response) => Ok(response.user),
        Err(error) if error.is_unauthenticated() => Ok(None),
        Err(error) => Err(error),
    }
}

pub async fn sign_up(request: &SignupRequest) -> Result<User, ApiError> {
    send::<_, UserResponse>("POST", "/api/v1/auth/signup", Some(request)).await.map(|r| r.user)
}

pub async fn sign_in(request: &LoginRequest) -> Result<User, ApiError> {
    send::<_, UserResponse>("POST", "/api/v1/auth/login", Some(request)).await.map(|r| r.user)
}

pub async fn sign_out() -> Result<(), ApiError> {
    send_empty("POST", "/api/v1/auth/logout", None::<&()>).await
}

pub async fn set_pin(request: &PinRequest) -> Result<(), ApiError> {
    send_empty("PUT", "/api/v1/me/pin", Some(request)).await
}

pub async fn wallet() -> Result<Wallet, ApiError> {
    get("/api/v1/wallet").await
}

pub async fn activity_page(cursor: Option<&str>, limit: u32) -> Result<ActivityPage, ApiError> {
    let path = match cursor {
        Some(cursor) => format!("/api/v1/activity?limit={limit}&cursor={cursor}"),
        None => format!("/api/v1/activity?limit={limit}"),
    };
    get(&path).await
}

pub async fn activity(id: &str) -> Result<Activity, ApiError> {
    // Ids are `prefix_base32`: nothing to escape.
    get::<ActivityResponse>(&format!("/api/v1/activity/{id}")).await.map(|r| r.activity)
}

/// `GET /users/{handle}`: who a handle is, and whether the viewer has paid them before.
pub async fn profile(handle: &Handle) -> Result<PublicProfile, ApiError> {
    get(&format!("/api/v1/users/{handle}")).await
}

/// A fresh idempotency key for one attempt at a payment: kept while the person retries that
/// attempt, so a retry after a lost answer cannot pay twice.
pub fn new_idempotency_key() -> String {
    // The bits of a random float: its mantissa is the randomness; no arithmetic needed.
    let random = js_sys::Math::random().to_bits();
    format!("web-{}-{random:x}", js_sys::Date::now() as u64)
}

/// `POST /transfers`.
pub async fn send_money(request: &SendRequest, key: &str) -> Result<Transfer, ApiError> {
    let (status, text) = raw_send_keyed("POST", "/api/v1/transfers", Some(request), Some(key)).await?;
    decode::<TransferResponse>(status, &text).map(|r| r.transfer)
}

/// `POST /transfers/{id}/cancel`.
pub async fn cancel_transfer(id: &str) -> Result<Transfer, ApiError> {
    send::<(), TransferResponse>("POST", &format!("/api/v1/transfers/{id}/cancel"), None)
        .await
        .map(|r| r.transfer)
}

/// `POST /requests`.
pub async fn request_money(request: &NewMoneyRequest) -> Result<MoneyRequest, ApiError> {
    send::<_, RequestResponse>("POST", "/api/v1/requests", Some(request)).await.map(|r| r.request)
}

/// `GET /requests?direction=…` (the newest 50).
pub async fn requests(incoming: bool) -> Result<RequestPage, ApiError> {
    let direction = if incoming { "incoming" } else { "outgoing" };
    get(&format!("/api/v1/requests?direction={direction}&limit=50")).await
}

/// `POST /requests/{id}/pay`.
pub async fn pay_request(id: &str, pin: Option<String>, key: &str) -> Result<PaidRequest, ApiError> {
    let path = format!("/api/v1/requests/{id}/pay");
    let (status, text) = raw_send_keyed("POST", &path, Some(&PayRequestBody { pin }), Some(key)).await?;
    decode(status, &text)
}

/// `POST /requests/{id}/decline` or `/cancel`.
pub async fn close_request(id: &str, decline: bool) -> Result<MoneyRequest, ApiError> {
    let action = if decline { "decline" } else { "cancel" };
    send::<(), RequestResponse>("POST", &format!("/api/v1/requests/{id}/{action}"), None)
        .await
        .map(|r| r.request)
}

/// `GET /creators/{handle}`: a creator's page (presets, goal).
pub async fn creator(handle: &Handle) -> Result<Creator, ApiError> {
    get(&format!("/api/v1/creators/{handle}")).await
}

/// `POST /tips`.
pub async fn tip(request: &NewTip, key: &str) -> Result<Tip, ApiError> {
    let (status, text) = raw_send_keyed("POST", "/api/v1/tips", Some(request), Some(key)).await?;
    decode::<TipResponse>(status, &text).map(|r| r.tip)
}

/// `GET /me/creator`: the signed-in person's dashboard, "today" in their own time zone.
pub async fn creator_dashboard() -> Result<CreatorDashboard, ApiError> {
    // getTimezoneOffset is minutes *behind* UTC; the API takes minutes ahead.
    let behind = js_sys::Date::new_0().get_timezone_offset() as i32;
    get(&format!("/api/v1/me/creator?utc_offset_minutes={}", -behind)).await
}

/// `PUT /me/creator`.
pub async fn set_creator(settings: &CreatorSettings) -> Result<Creator, ApiError> {
    send::<_, CreatorResponse>("PUT", "/api/v1/me/creator", Some(settings)).await.map(|r| r.creator)
}

/// `GET /me/tips?direction=received` (the newest `limit`).
pub async fn tips_received(limit: u32) -> Result<TipPage, ApiError> {
    get(&format!("/api/v1/me/tips?direction=received&limit={limit}")).await
}

/// `GET /checkout/sessions/{id}/public`: what the hosted checkout page shows (no sign-in needed).
/// `id` must already be known to be plain (letters, digits, `_`, `-`): it goes into the path as is.
pub async fn checkout_session(id: &str) -> Result<PublicCheckoutSession, ApiError> {
    get(&format!("/api/v1/checkout/sessions/{id}/public")).await
}

/// `POST /checkout/sessions/{id}/confirm`: pay, with the attempt's idempotency key.
pub async fn confirm_checkout(
    id: &str,
    body: &ConfirmCheckout,
    key: &str,
) -> Result<CheckoutOutcome, ApiError> {
    let path = format!("/api/v1/checkout/sessions/{id}/confirm");
    let (status, text) = raw_send_keyed("POST", &path, Some(body), Some(key)).await?;
    decode(status, &text)
}

/// `POST /checkout/sessions/{id}/cancel` (an empty object as the body).
pub async fn cancel_checkout(id: &str) -> Result<CheckoutOutcome, ApiError> {
    let empty = serde_json::Map::new();
    send("POST", &format!("/api/v1/checkout/sessions/{id}/cancel"), Some(&empty)).await
}

/// `POST /sandbox/card-network/tokens`: the card form's details go to the card network's
/// sandbox, never to the wallet API; the answer is a token standing for the card. Nothing here
/// logs or keeps `details` (its `Debug` shows neither the number nor the CVC).
pub async fn tokenize_card(details: &CardDetails) -> Result<CardToken, ApiError> {
    send("POST", "/sandbox/card-network/tokens", Some(details)).await
}

/// `POST /cards`: links the card a token stands for.
pub async fn add_card(token: String) -> Result<Card, ApiError> {
    send::<_, CardResponse>("POST", "/api/v1/cards", Some(&NewCard { token })).await.map(|r| r.card)
}

/// `GET /cards`.
pub async fn cards() -> Result<Vec<Card>, ApiError> {
    get::<CardList>("/api/v1/cards").await.map(|list| list.items)
}

/// `DELETE /cards/{id}` (ids are `card_…`: nothing to escape).
pub async fn remove_card(id: &str) -> Result<(), ApiError> {
    send_empty("DELETE", &format!("/api/v1/cards/{id}"), None::<&()>).await
}

/// `POST /bank-accounts`.
pub async fn add_bank_account(request: &NewBankAccount) -> Result<BankAccount, ApiError> {
    send::<_, BankAccountResponse>("POST", "/api/v1/bank-accounts", Some(request))
        .await
        .map(|r| r.bank_account)
}

/// `GET /bank-accounts`.
pub async fn bank_accounts() -> Result<Vec<BankAccount>, ApiError> {
    get::<BankAccountList>("/api/v1/bank-accounts").await.map(|list| list.items)
}

/// `DELETE /bank-accounts/{id}` (ids are `ba_…`).
pub async fn remove_bank_account(id: &str) -> Result<(), ApiError> {
    send_empty("DELETE", &format!("/api/v1/bank-accounts/{id}"), None::<&()>).await
}

/// `POST /deposits`, with the attempt's idempotency key.
pub async fn deposit(request: &NewDeposit, key: &str) -> Result<Deposit, ApiError> {
    let (status, text) = raw_send_keyed("POST", "/api/v1/deposits", Some(request), Some(key)).await?;
    decode::<DepositResponse>(status, &text).map(|r| r.deposit)
}

/// `GET /quotes/withdrawal`: what a withdrawal of `amount` (written at the currency's scale, so
/// only digits and a dot: nothing to escape) costs and when it arrives.
pub async fn withdrawal_quote(amount: &str, speed: Speed) -> Result<WithdrawalQuote, ApiError> {
    let speed = speed_name(speed);
    get(&format!("/api/v1/quotes/withdrawal?amount={amount}&currency=USD&speed={speed}")).await
}

/// `POST /withdrawals`, with the attempt's idempotency key.
pub async fn withdraw(request: &NewWithdrawal, key: &str) -> Result<Withdrawal, ApiError> {
    let (status, text) = raw_send_keyed("POST", "/api/v1/withdrawals", Some(request), Some(key)).await?;
    decode::<WithdrawalResponse>(status, &text).map(|r| r.withdrawal)
}

/// `GET /me/compliance`: the person's tier, status, limits with what is used and left, what the
/// next tier unlocks, and what is held.
pub async fn compliance() -> Result<Compliance, ApiError> {
    get("/api/v1/me/compliance").await
}

/// `POST /me/verification`, with the attempt's idempotency key. `request` carries the SSN's
/// last four or a document number: nothing here logs or keeps it.
pub async fn verify(request: &VerificationRequest, key: &str) -> Result<VerificationResponse, ApiError> {
    let (status, text) = raw_send_keyed("POST", "/api/v1/me/verification", Some(request), Some(key)).await?;
    decode(status, &text)
}

/// `GET /me/interest`: the APY, what has accrued this month, and when it is paid.
pub async fn interest() -> Result<InterestSummary, ApiError> {
    get("/api/v1/me/interest").await
}

/// Where `GET /statements` answers `month`'s (`YYYY-MM`, already checked) statement in
/// `format`: the JSON the page reads, or a file to download (the cookie goes with a link).
pub fn statement_path(month: &str, format: StatementFormat) -> String {
    format!("/api/v1/statements?month={month}&format={}", format.name())
}

/// `GET /statements?month=YYYY-MM&format=json`: a month's posted movements and totals.
pub async fn statement(month: &str) -> Result<Statement, ApiError> {
    get(&statement_path(month, StatementFormat::Json)).await
}

/// A cursor as it goes into a query (opaque: escaped).
fn cursor_query(cursor: Option<&str>) -> String {
    cursor
        .map(|cursor| format!("&cursor={}", String::from(js_sys::encode_uri_component(cursor))))
        .unwrap_or_default()
}

/// `GET /ops/cases?status=open|closed` (officers only), newest first.
pub async fn ops_cases(status: &str, cursor: Option<&str>, limit: u32) -> Result<CasePage, ApiError> {
    get(&format!("/api/v1/ops/cases?status={status}&limit={limit}{}", cursor_query(cursor))).await
}

/// `GET /ops/cases/{id}`, with the person's recent activity. `id` must already be known to be
/// plain (letters, digits, `_`): it goes into the path as is.
pub async fn ops_case(id: &str) -> Result<Case, ApiError> {
    get::<CaseResponse>(&format!("/api/v1/ops/cases/{id}")).await.map(|r| r.case)
}

/// `POST /ops/cases/{id}/approve` or `/reject`, with the officer's note.
pub async fn ops_decide(id: &str, approve: bool, note: String) -> Result<Case, ApiError> {
    let action = if approve { "approve" } else { "reject" };
    send::<_, CaseResponse>("POST", &format!("/api/v1/ops/cases/{id}/{action}"), Some(&DecisionNote { note }))
        .await
        .map(|r| r.case)
}

/// Where a case's report is downloaded from (`GET /ops/cases/{id}/report`, 2,000.00 or more).
pub fn ops_report_path(id: &str) -> String {
    format!("/api/v1/ops/cases/{id}/report")
}

/// `GET /ops/people/{handle}`: the person and their cases.
pub async fn ops_person(handle: &Handle) -> Result<OpsPersonPage, ApiError> {
    get(&format!("/api/v1/ops/people/{handle}")).await
}

/// `POST /ops/people/{handle}/freeze` or `/unfreeze`, with the officer's note.
pub async fn ops_freeze(handle: &Handle, freeze: bool, note: String) -> Result<OpsPerson, ApiError> {
    let action = if freeze { "freeze" } else { "unfreeze" };
    send::<_, OpsPersonResponse>(
        "POST",
        &format!("/api/v1/ops/people/{handle}/{action}"),
        Some(&DecisionNote { note }),
    )
    .await
    .map(|r| r.person)
}

/// `GET /ops/audit-log`, newest first, with the server's check of the chain.
pub async fn ops_audit(cursor: Option<&str>, limit: u32) -> Result<AuditPage, ApiError> {
    get(&format!("/api/v1/ops/audit-log?limit={limit}{}", cursor_query(cursor))).await
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = gloo_net::http::Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::network())?;
    let status = response.status();
    let retry_after = response.headers().get("Retry-After");
    let body = response.text().await.map_err(|_| ApiError::network())?;
    decode(status, &with_wait(status, body, retry_after.as_deref()))
}

async fn raw_send<B: Serialize>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<(u16, String), ApiError> {
    raw_send_keyed(method, path, body, None).await
}

async fn raw_send_keyed<B: Serialize>(
    method: &str,
    path: &str,
    body: Option<&B>,
    key: Option<&str>,
) -> Result<(u16, String), ApiError> {
    let mut builder = match method {
        "PUT" => gloo_net::http::Request::put(path),
        "DELETE" => gloo_net::http::Request::delete(path),
        _ => gloo_net::http::Request::post(path),
    }
    .header("Accept", "application/json");
    if let Some(key) = key {
        builder = builder.header("Idempotency-Key", key);
    }
    let request = match body {
        Some(body) => builder.json(body).map_err(|_| ApiError::unexpected(0))?,
        None => builder.build().map_err(|_| ApiError::unexpected(0))?,
    };
    let response = request.send().await.map_err(|_| ApiError::network())?;
    let status = response.status();
    let retry_after = response.headers().get("Retry-After");
    let text = response.text().await.unwrap_or_default();
    Ok((status, with_wait(status, text, retry_after.as_deref())))
}

async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiError> {
    let (status, text) = raw_send(method, path, body).await?;
    decode(status, &text)
}

/// For answers without a body (`204`).
async fn send_empty<B: Serialize>(method: &str, path: &str, body: Option<&B>) -> Result<(), ApiError> {
    let (status, text) = raw_send(method, path, body).await?;
    if (200..300).contains(&status) { Ok(()) } else { Err(ApiError::from_answer(status, &text)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decode_into_values_or_errors_worth_showing() {
        let ok: Result<Health, ApiError> =
            decode(200, r#"{"status":"ok","database":"sqlite","version":"0.1.0"}"#);
        assert_eq!(ok.map(|h| h.database), Ok("sqlite".to_string()));

        let api_error: Result<Health, ApiError> = decode(
            400,
            r#"{"error":{"code":"weak_password","message":"Choose a stronger password.","field":"password"}}"#,
        );
        assert_eq!(
            api_error,
            Err(ApiError {
                status: Some(400),
                code: Some(ErrorCode::WeakPassword),
                message: "Choose a stronger password.".into(),
                field: Some("password".into()),
                details: None,
            })
        );

        let html_404: Result<Health, ApiError> = decode(404, "<html>Not Found</html>");
        assert_eq!(html_404.map_err(|e| (e.status, e.code)), Err((Some(404), None)));

        let garbage: Result<Health, ApiError> = decode(200, "{}");
        assert_eq!(garbage.map_err(|e| e.message), Err(t(Text::UnexpectedAnswer).to_string()));

        let signed_out =
            ApiError::from_answer(401, r#"{"error":{"code":"unauthenticated","message":"Sign in."}}"#);
        assert!(signed_out.is_unauthenticated());
    }

    #[test]
    fn a_rate_limit_says_how_long_to_wait_from_retry_after() {
        let limited = r#"{"error":{"code":"rate_limited","message":"Too many attempts. Wait a little and try again."}}"#;
        let read = |status: u16, body: &str, after: Option<&str>| {
            ApiError::from_answer(status, &with_wait(status, body.to_string(), after))
        };
        let error = read(429, limited, Some("30"));
        assert_eq!(error.message, "Too many tries — wait 30 seconds and try again.");
        assert_eq!((error.status, error.code), (Some(429), Some(ErrorCode::RateLimited)));
        assert_eq!(
            read(429, limited, Some("900")).message,
            "Too many tries — wait 15 minutes and try again."
        );
        assert_eq!(read(429, limited, Some("1")).message, "Too many tries — wait 1 second and try again.");
        // No header, or one in the date form: a little.
        assert_eq!(read(429, limited, None).message, "Too many tries — wait a little and try again.");
        assert_eq!(
            read(429, limited, Some("Wed, 21 Oct 2026 07:28:00 GMT")).message,
            "Too many tries — wait a little and try again."
        );
        // A proxy's bare 429 reads the same, as a rate limit.
        let bare = read(429, "<html>Too Many Requests</html>", Some("5"));
        assert_eq!(
            (bare.code, bare.message.as_str()),
            (Some(ErrorCode::RateLimited), "Too many tries — wait 5 seconds and try again.")
        );
        // The field the server blamed stays.
        let on_field =
            read(429, r#"{"error":{"code":"rate_limited","message":"x","field":"pin"}}"#, Some("60"));
        assert_eq!(
            (on_field.field.as_deref(), on_field.message.as_str()),
            (Some("pin"), "Too many tries — wait 1 minute and try again.")
        );

        let locked = r#"{"error":{"code":"pin_locked","message":"Too many wrong PINs. Payments are locked for a while; try again later."}}"#;
        assert_eq!(
            read(403, locked, Some("840")).message,
            "Too many wrong PINs: payments are locked. Wait 14 minutes and try again."
        );
        assert!(
            read(403, locked, None).message.starts_with("Too many wrong PINs. Payments are locked"),
            "no header: as sent"
        );
        // Anything else is left as it came, header or not.
        let declined = r#"{"error":{"code":"card_declined","message":"Declined."}}"#;
        assert_eq!(read(422, declined, Some("30")).message, "Declined.");
        assert_eq!(with_wait(200, "{}".into(), Some("30")), "{}");
    }

    #[test]
    fn only_what_trying_again_cannot_mend_is_permanent() {
        let answer = |code: ErrorCode| {
            ApiError::from_answer(
                code.http_status(),
                &format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#),
            )
        };
        for code in [
            ErrorCode::NotFound,
            ErrorCode::Forbidden,
            ErrorCode::InvalidRequest,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::InsufficientFunds,
            ErrorCode::CheckoutExpired,
            ErrorCode::RequestNotOpen,
        ] {
            assert!(answer(code).is_permanent(), "{code}");
        }
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::InternalError,
            ErrorCode::ServiceUnavailable,
            ErrorCode::IdempotencyKeyInUse,
            ErrorCode::Unauthenticated,
            ErrorCode::CsrfRejected,
            ErrorCode::PinLocked,
        ] {
            assert!(!answer(code).is_permanent(), "{code}");
        }
        assert!(!ApiError::network().is_permanent(), "no answer: try again");
        assert!(ApiError::from_answer(404, "<html>Not Found</html>").is_permanent(), "a 404 is a 404");
        assert!(!ApiError::from_answer(502, "<html>Bad Gateway</html>").is_permanent());
        assert!(!ApiError::from_answer(200, "{}").is_permanent(), "an answer we could not read: try again");
    }
}
