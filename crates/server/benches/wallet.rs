//! `make bench` (server part): `GET /api/v1/wallet` under 64 concurrent signed-in clients, over
//! real HTTP/1.1 keep-alive connections to the real app on a socket. Figures, not assertions:
//! `bench: wallet_get_<backend> requests/s=<n> p50_ms=<x> p99_ms=<y>`.
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
use purse_server::db::Db;
use purse_server::static_site::StaticSite;
use purse_server::{AppState, app};

const CLIENTS: usize = 64;

fn main() {
    let scale: f64 = std::env::var("PURSE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let per_client = ((400.0 * scale) as usize).max(10);
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
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = state.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
    });

    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http();
    // People and sessions made directly (sign-up over HTTP is rate-limited per address).
    let mut cookies = Vec::new();
    for i in 0..CLIENTS {
        let handle = purse_api::Handle::parse(&format!("bench{i}")).unwrap();
        let user = create_person(&state, &handle, "Bench", "correct horse battery", None, 0).await.unwrap();
        let (token, hash) = new_session_token();
        state.db.insert_session(&hash, user.id, state.now(), i64::MAX).await.unwrap();
        cookies.push(format!("purse_session={token}"));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for cookie in cookies {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let request = hyper::Request::get(format!("http://{addr}/api/v1/wallet"))
                    .header("cookie", &cookie)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                let sent = Instant::now();
                let response = client.request(request).await.unwrap();
                assert_eq!(response.status(), 200);
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
        "bench: wallet_get_{backend} requests/s={:.0} p50_ms={:.2} p99_ms={:.2}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99)
    );
    println!(
        "    {} requests from {CLIENTS} signed-in clients in {:.2}s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    server.abort();
    ledger.shutdown().await;
}
