//! Helpers: a fresh ledger per test (SQLite; PostgreSQL too when `DATABASE_URL` is set), the
//! app around it, and one-call requests.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use purse_ledger::Ledger;
use purse_server::static_site::StaticSite;
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
            use sqlx::Connection;
            let name = format!(
                "purse_server_test_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
            let url = match base.rsplit_once('/') {
                Some((prefix, _)) => format!("{prefix}/{name}"),
                None => base.clone(),
            };
            databases.push(TestDb {
                url,
                backend: "postgres",
                dir: tempfile::tempdir().unwrap(),
                cleanup: Some((base, name)),
            });
        }
        databases
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

/// A test application: the ledger, and a static folder (possibly empty).
pub struct TestApp {
    pub ledger: Ledger,
    pub state: AppState,
}

impl TestApp {
    pub async fn new(db: &TestDb, static_dir: &std::path::Path) -> TestApp {
        let ledger = Ledger::open(&db.url).await.unwrap();
        let state = AppState::new(ledger.clone(), StaticSite::load(static_dir));
        TestApp { ledger, state }
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
}

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
