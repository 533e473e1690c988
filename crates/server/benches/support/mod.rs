//! What the server's HTTP benches share: the backends to run on (SQLite always, PostgreSQL in
//! a fresh database when `DATABASE_URL` is set), the real app on a socket, signed-in people,
//! 64 keep-alive clients, and the `bench:` line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use purse_ledger::{Ledger, SystemClock};
use purse_server::flows::Settings;
use purse_server::flows::people::create_person;
use purse_server::flows::people::{Passwords, new_session_token};
use purse_server::http::static_site::StaticSite;
use purse_server::store::Db;
use purse_server::store::people::UserRow;
use purse_server::{AppState, app};

pub const CLIENTS: usize = 64;

/// The server binary's allocator (see `src/main.rs`), so these figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests per client: `base` times `PURSE_BENCH_SCALE` (default 1).
pub fn per_client(base: f64) -> usize {
    let scale: f64 = std::env::var("PURSE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    ((base * scale) as usize).max(10)
}

/// Runs `bench` on SQLite, then on a fresh PostgreSQL database when `DATABASE_URL` is set.
pub fn on_every_backend<F, Fut>(bench: F)
where
    F: Fn(&'static str, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        bench("sqlite", format!("sqlite://{}/purse.db", dir.path().display())).await;
        match std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(base) => {
                let name = format!("purse_bench_{}", std::process::id());
                admin(&base, &format!("CREATE DATABASE {name}")).await;
                let url =
                    format!("{}/{name}", base.rsplit_once('/').map_or(base.as_str(), |(prefix, _)| prefix));
                bench("postgres", url).await;
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

/// The real app on a socket.
pub struct Served {
    pub ledger: Ledger,
    pub state: AppState,
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    pub async fn start(url: &str, settings: Settings) -> Served {
        Served::start_with(url, settings, Passwords::for_tests()).await
    }

    /// With these password and PIN hashing costs.
    pub async fn start_with(url: &str, settings: Settings, passwords: Passwords) -> Served {
        let ledger = Ledger::open(url).await.unwrap();
        let db = Db::open(url).await.unwrap();
        let state = AppState::new(
            ledger.clone(),
            db,
            StaticSite::load(std::path::Path::new("/nonexistent")),
            Arc::new(SystemClock),
            passwords,
        )
        .await
        .unwrap()
        .with_settings(settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = state.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
        });
        Served { ledger, state, addr, server }
    }

    /// `CLIENTS` people named `bench0…`, each with a session cookie (made directly: sign-up
    /// over HTTP is rate-limited per address).
    pub async fn people(&self) -> Vec<(UserRow, String)> {
        let mut people = Vec::new();
        for i in 0..CLIENTS {
            let handle = purse_api::Handle::parse(&format!("bench{i}")).unwrap();
            let user =
                create_person(&self.state, &handle, "Bench", "correct horse battery", None, 0).await.unwrap();
            let (token, hash) = new_session_token();
            self.state
                .db
                .insert_session(
                    &hash,
                    user.id,
                    self.state.now(),
                    purse_server::time::Time::from_nanos(i64::MAX),
                )
                .await
                .unwrap();
            people.push((user, format!("purse_session={token}")));
        }
        people
    }

    pub async fn stop(self) {
        self.server.abort();
        self.ledger.shutdown().await;
    }
}

/// One keep-alive connection per client.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http()
}

/// Sends `request`, checks that the answer has `status` (showing its body if not), reads the
/// body, and returns how long all of that took.
pub async fn timed(
    client: &Client<HttpConnector, Full<Bytes>>,
    request: hyper::Request<Full<Bytes>>,
    status: u16,
) -> Duration {
    use http_body_util::BodyExt;
    let sent = Instant::now();
    let response = client.request(request).await.unwrap();
    let got = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&bytes));
    sent.elapsed()
}

/// Every client task's latencies, together.
pub async fn latencies(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Prints `bench: <name> <unit>/s=… p50_ms=… p99_ms=…` and a line of context.
pub fn report(name: &str, unit: &str, mut latencies: Vec<Duration>, started: Instant) {
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1_000.0;
    println!(
        "bench: {name} {unit}/s={:.0} p50_ms={:.2} p99_ms={:.2}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99)
    );
    println!(
        "    {} {unit} from {CLIENTS} signed-in clients in {:.2}s",
        latencies.len(),
        elapsed.as_secs_f64()
    );
}
