//! Helpers: a fresh ledger per test (SQLite; PostgreSQL too when `DATABASE_URL` is set), the
//! app around it, and one-call requests.

use std::sync::atomic::{AtomicU32, Ordering};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use purse_api::Currency;
use purse_ledger::{
    AccountFlags, AccountId, Ledger, LedgerConfig, ManualClock, Movement, NewAccount, Timestamp,
    TransferRequest,
};
use purse_server::codes;
use purse_server::flows::Settings;
use purse_server::flows::people::Passwords;
use purse_server::http::static_site::StaticSite;
use purse_server::store::Db;
use purse_server::{AppState, app};
use tower::ServiceExt;

pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    pub dir: tempfile::TempDir,
    cleanup: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("data/purse.db").display());
        TestDb { url, backend: "sqlite", dir, cleanup: None }
    }

    pub async fn every_backend() -> Vec<TestDb> {
        let mut databases = vec![TestDb::sqlite()];
        if let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            databases.push(TestDb::postgres(&base).await);
        }
        databases
    }

    /// A fresh PostgreSQL database beside `base`'s.
    pub async fn postgres(base: &str) -> TestDb {
        use sqlx::Connection;
        let name =
            format!("purse_server_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let url = match base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{name}"),
            None => base.to_string(),
        };
        TestDb {
            url,
            backend: "postgres",
            dir: tempfile::tempdir().unwrap(),
            cleanup: Some((base.to_string(), name)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.cleanup.take() else { return };
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A test application on a fresh database, with a clock the test moves by hand.
pub struct TestApp {
    pub ledger: Ledger,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
}

/// An answer: status, headers, body (parsed as JSON when it is JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
    pub raw: Vec<u8>,
}

impl Answer {
    /// The API error code, for error answers.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }

    /// The session cookie this answer sets, as `name=value`.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("purse_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    }
}

pub const START: i64 = 1_800_000_000_000_000_000;

impl TestApp {
    pub async fn new(db: &TestDb, static_dir: &std::path::Path) -> TestApp {
        let clock = Arc::new(ManualClock::new(Timestamp::from_nanos(START)));
        TestApp::with_clock(db, static_dir, clock).await
    }

    /// An app with these settings.
    pub async fn with_settings(db: &TestDb, static_dir: &std::path::Path, settings: Settings) -> TestApp {
        let app = TestApp::new(db, static_dir).await;
        let TestApp { ledger, state, clock } = app;
        TestApp { ledger, state: state.with_settings(settings), clock }
    }

    /// Another instance on the same database (sharing `clock`).
    pub async fn with_clock(db: &TestDb, static_dir: &std::path::Path, clock: Arc<ManualClock>) -> TestApp {
        let config = LedgerConfig { clock: clock.clone(), ..LedgerConfig::default() };
        let ledger = Ledger::open_with(&db.url, config).await.unwrap();
        let server_db = Db::open(&db.url).await.unwrap();
        let state = AppState::new(
            ledger.clone(),
            server_db,
            StaticSite::load(static_dir),
            clock.clone(),
            Passwords::for_tests(),
        )
        .await
        .unwrap();
        TestApp { ledger, state, clock }
    }

    pub async fn send(&self, request: Request<Body>) -> (Response<()>, Vec<u8>) {
        let response = app(self.state.clone()).oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (Response::from_parts(parts, ()), bytes)
    }

    pub async fn get(&self, path: &str) -> (Response<()>, Vec<u8>) {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A request as a browser on this origin would send it, from `address`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        self.call_with(method, path, cookie, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<serde_json::Value>,
        extra_headers: &[(&str, &str)],
    ) -> Answer {
        call_state(&self.state, method, path, cookie, body, extra_headers).await
    }

    /// Signs `handle` up (password `correct horse battery`) and returns the session cookie.
    pub async fn sign_up(&self, handle: &str) -> String {
        let answer = self
            .call(
                Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(serde_json::json!({"handle": handle, "display_name": handle.to_uppercase(), "password": PASSWORD})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.session_cookie().unwrap()
    }

    /// The person signed up as `handle`.
    pub async fn user(&self, handle: &str) -> purse_server::store::people::UserRow {
        self.state.db.user_by_handle(handle).await.unwrap().unwrap()
    }

    /// Moves `amount` (minor units) into `handle`'s wallet from the demo-funding account, as a
    /// deposit with `note`, the way server code moves money: a ledger transfer plus its note.
    pub async fn fund(
        &self,
        transfer_id: i64,
        handle: &str,
        amount: u64,
        note: &str,
    ) -> purse_ledger::Transfer {
        let user = self.user(handle).await;
        self.move_money(
            transfer_id,
            codes::DEMO_FUNDING,
            codes::wallet_of(user.id),
            amount,
            "deposit",
            Some(note),
            false,
        )
        .await
    }

    /// A transfer between people (or any accounts), posted or pending.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_money(
        &self,
        transfer_id: i64,
        from: AccountId,
        to: AccountId,
        amount: u64,
        kind: &str,
        note: Option<&str>,
        pending: bool,
    ) -> purse_ledger::Transfer {
        self.ledger
            .create_accounts(vec![NewAccount {
                id: codes::DEMO_FUNDING,
                currency: Currency::Usd,
                code: codes::account::DEMO_FUNDING,
                flags: AccountFlags::NONE,
            }])
            .await
            .unwrap();
        self.state.db.put_note(transfer_id, kind, note).await.unwrap();
        let movement = Movement {
            debit_account_id: from,
            credit_account_id: to,
            amount,
            currency: Currency::Usd,
            code: codes::transfer::P2P,
        };
        let request = if pending {
            TransferRequest::pending(transfer_id, movement, 0)
        } else {
            TransferRequest::posted(transfer_id, movement)
        };
        self.ledger.create_transfer(request).await.unwrap().unwrap().transfer
    }

    pub fn advance(&self, seconds: u32) {
        self.clock.advance_seconds(seconds);
    }

    pub async fn stop(self) {
        self.ledger.shutdown().await;
        self.state.db.close().await;
    }
}

/// One number read straight from the database (`sql` returns one BIGINT).
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    match &app.state.db {
        purse_server::store::Db::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        purse_server::store::Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// The person's first balance, as `GET /wallet` gives it.
pub async fn balance(app: &TestApp, cookie: &str) -> serde_json::Value {
    app.call(Method::GET, "/api/v1/wallet", Some(cookie), None).await.body["balances"][0].clone()
}

/// The person's available amount, as text (`""` if the wallet could not be read).
pub async fn available(app: &TestApp, cookie: &str) -> String {
    balance(app, cookie).await["available"].as_str().unwrap_or_default().to_string()
}

/// Sets the person's PIN to `1234`.
pub async fn set_pin(app: &TestApp, cookie: &str) {
    let answer =
        app.call(Method::PUT, "/api/v1/me/pin", Some(cookie), Some(serde_json::json!({"pin": "1234"}))).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
}

/// A request as a browser on this origin would send it, from `address`, to the app around
/// `state` (usable from spawned tasks, which cannot borrow a `TestApp`).
pub async fn call_state(
    state: &AppState,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<serde_json::Value>,
    extra_headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder().method(method).uri(path).header(header::HOST, "purse.test");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let mut request = request.body(body).unwrap();
    let address: SocketAddr = "203.0.113.7:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let raw = body.collect().await.unwrap().to_bytes().to_vec();
    let body = serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null);
    Answer { status: parts.status, headers: parts.headers, body, raw }
}

pub const PASSWORD: &str = "correct horse battery";

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// A fake built SPA: an `index.html` with an inline loader script, and one asset.
pub fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><script type=\"module\">import init from '/app.js';init();</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.js"), "export default function init() {}").unwrap();
    dir
}
