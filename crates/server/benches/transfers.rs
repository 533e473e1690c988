//! `make bench` (server part): `POST /api/v1/transfers` from 64 concurrent signed-in clients,
//! each request with its own idempotency key, over real HTTP/1.1 keep-alive connections to the
//! real app on a socket, durable commits. Client `i` pays client `i + 1`, so each pair's first
//! payment opens a grace window and the rest complete at once. Figures, not assertions:
//! `bench: transfers_post_<backend> transfers/s=<n> p50_ms=<x> p99_ms=<y>`.
//! SQLite always; PostgreSQL when `DATABASE_URL` is set. `PURSE_BENCH_SCALE` scales the run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use purse_ledger::{Ledger, SystemClock};
use purse_server::api::people::create_person;
use purse_server::auth::{Passwords, new_session_token};
use purse_server::codes;
use purse_server::db::Db;
use purse_server::state::Settings;
use purse_server::static_site::StaticSite;
use purse_server::{AppState, app};

const CLIENTS: usize = 64;

fn main() {
    let scale: f64 = std::env::var("PURSE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let per_client = ((150.0 * scale) as usize).max(10);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        run("sqlite", &format!("sqlite://{}/purse.db", dir.path().display()), per_client).await;
        match std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(base) => {
                let name = format!("purse_bench_{}", std::process::id());
                admin(&base, &format!("CREATE DATABASE {name}")).await;
                let url =
                    format!("{}/{name}", base.rsplit_once('/').map_or(base.as_str(), |(prefix, _)| prefix));
                run("postgres", &url, per_client).await;
                admin(&base, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            }
            None => println!("(DATABASE_URL is not set: the PostgreSQL run is skipped)"),
        }
    });
}

async fn admin(base: &str, sql: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(sql).execute(&mut connection).await.unwrap();
}

async fn run(backend: &str, url: &str, per_client: usize) {
    let ledger = Ledger::open(url).await.unwrap();
    let db = Db::open(url).await.unwrap();
    let state = AppState::new(
        ledger.clone(),
        db,
        StaticSite::load(std::path::Path::new("/nonexistent")),
        Arc::new(SystemClock),
        Passwords::for_tests(),
    )
    .await
    .unwrap()
    .with_settings(Settings { money_per_minute: i64::MAX, ..Settings::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = state.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
    });

    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http();
    // People and sessions made directly (sign-up over HTTP is rate-limited per address).
    // Everyone is funded from the demo-funding account.
    let mut cookies = Vec::new();
    let funding = purse_ledger::NewAccount {
        id: codes::DEMO_FUNDING,
        currency: purse_api::Currency::Usd,
        code: codes::account::DEMO_FUNDING,
        flags: purse_ledger::AccountFlags::NONE,
    };
    ledger.create_accounts(vec![funding]).await.unwrap();
    for i in 0..CLIENTS {
        let handle = purse_api::Handle::parse(&format!("bench{i}")).unwrap();
        let user = create_person(&state, &handle, "Bench", "correct horse battery", None, 0).await.unwrap();
        let (token, hash) = new_session_token();
        state.db.insert_session(&hash, user.id, state.now(), i64::MAX).await.unwrap();
        cookies.push(format!("purse_session={token}"));
        let movement = purse_ledger::Movement {
            debit_account_id: codes::DEMO_FUNDING,
            credit_account_id: codes::wallet_of(user.id),
            amount: 100_000_000,
            currency: purse_api::Currency::Usd,
            code: codes::transfer::DEPOSIT,
        };
        ledger
            .create_transfer(purse_ledger::TransferRequest::posted(i64::try_from(i).unwrap() + 1, movement))
            .await
            .unwrap()
            .unwrap();
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, cookie) in cookies.into_iter().enumerate() {
        let client = client.clone();
        let body = format!(
            r#"{{"to":"bench{}","amount":"1.00","currency":"USD","note":"bench"}}"#,
            (i + 1) % CLIENTS
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let request = hyper::Request::post(format!("http://{addr}/api/v1/transfers"))
                    .header("cookie", &cookie)
                    .header("content-type", "application/json")
                    .header("idempotency-key", format!("bench-{i}-{n}"))
                    .body(Full::new(Bytes::from(body.clone())))
                    .unwrap();
                let sent = Instant::now();
                let response = client.request(request).await.unwrap();
                let status = response.status();
                if status != 201 {
                    let bytes = response.into_body().collect().await.unwrap().to_bytes();
                    panic!("{status}: {}", String::from_utf8_lossy(&bytes));
                }
                response.into_body().collect().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1_000.0;
    println!(
        "bench: transfers_post_{backend} transfers/s={:.0} p50_ms={:.2} p99_ms={:.2}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99)
    );
    println!(
        "    {} transfers from {CLIENTS} signed-in clients in {:.2}s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    server.abort();
    let audit = ledger.audit().await.unwrap();
    println!("    audit clean: {}", audit.is_clean());
    ledger.shutdown().await;
}
