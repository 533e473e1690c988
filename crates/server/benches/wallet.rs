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

mod support;

use std::time::Instant;

use http_body_util::Full;
use hyper::body::Bytes;
use purse_server::flows::Settings;

use support::Served;

fn main() {
    let per_client = support::per_client(400.0);
    support::on_every_backend(|backend, url| async move {
        let served = Served::start(&url, Settings::default()).await;
        let people = served.people().await;
        let (client, addr) = (support::client(), served.addr);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (_, cookie) in people {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let request = hyper::Request::get(format!("http://{addr}/api/v1/wallet"))
                        .header("cookie", &cookie)
                        .body(Full::new(Bytes::new()))
                        .unwrap();
                    latencies.push(support::timed(&client, request, 200).await);
                }
                latencies
            }));
        }
        let latencies = support::latencies(tasks).await;
        support::report(&format!("wallet_get_{backend}"), "requests", latencies, started);
        served.stop().await;
    });
}
