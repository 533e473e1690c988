//! `make bench` (server part): `POST /api/v1/transfers` from 64 concurrent signed-in clients,
//! each request with its own idempotency key, over real HTTP/1.1 keep-alive connections to the
//! real app on a socket, durable commits. Client `i` pays client `i + 1`, so each pair's first
//! payment opens a grace window and the rest complete at once. Figures, not assertions:
//! `bench: transfers_post_<backend> transfers/s=<n> p50_ms=<x> p99_ms=<y>`, then (SQLite) the
//! write-ahead log's peak size during the run, then whether the ledger audit is clean. SQLite
//! always; PostgreSQL when `DATABASE_URL` is set. Each payment is 0.10 without the PIN, so every
//! client's day stays within the 50.00 a person may move without it.

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
use purse_server::codes;
use purse_server::flows::Settings;

use support::{CLIENTS, Served};

fn main() {
    let per_client = support::per_client(150.0);
    support::on_every_backend(|backend, url| async move {
        let settings = Settings { money_per_minute: i64::MAX, ..Settings::default() };
        let served = Served::start(&url, settings).await;
        let people = served.people().await;
        // Everyone is funded from the demo-funding account.
        let funding = purse_ledger::NewAccount {
            id: codes::DEMO_FUNDING,
            currency: purse_api::Currency::Usd,
            code: codes::account::DEMO_FUNDING,
            flags: purse_ledger::AccountFlags::NONE,
        };
        served.ledger.create_accounts(vec![funding]).await.unwrap();
        for (user, _) in &people {
            let movement = purse_ledger::Movement {
                debit_account_id: codes::DEMO_FUNDING,
                credit_account_id: codes::wallet_of(user.id),
                amount: 100_000_000,
                currency: purse_api::Currency::Usd,
                code: codes::transfer::DEPOSIT,
            };
            let request = purse_ledger::TransferRequest::posted(user.id.0, movement);
            served.ledger.create_transfer(request).await.unwrap().unwrap();
        }
        let (client, addr) = (support::client(), served.addr);
        // The write-ahead log's size, sampled through the run (SQLite).
        let wal = url.strip_prefix("sqlite://").map(|path| format!("{path}-wal"));
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            tokio::spawn(async move {
                let mut peak = 0_u64;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(size) =
                        wal.as_ref().and_then(|wal| std::fs::metadata(wal).ok()).map(|m| m.len())
                    {
                        peak = peak.max(size);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                peak
            })
        };
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, (_, cookie)) in people.into_iter().enumerate() {
            let client = client.clone();
            let body = format!(
                r#"{{"to":"bench{}","amount":"0.10","currency":"USD","note":"bench"}}"#,
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
                    latencies.push(support::timed(&client, request, 201).await);
                }
                latencies
            }));
        }
        let latencies = support::latencies(tasks).await;
        support::report(&format!("transfers_post_{backend}"), "transfers", latencies, started);
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let wal_peak = sampler.await.unwrap();
        if url.starts_with("sqlite") {
            println!("    wal_peak_mb={:.1} (the log is emptied past 16 MB)", wal_peak as f64 / 1_048_576.0);
        }
        let metrics = served.ledger.metrics();
        let (batches, commits) = (metrics.batch_size.snapshot(), metrics.commit_seconds.snapshot());
        println!(
            "    ledger: {} batches, {:.1} transfers per batch, {:.2} ms per commit",
            batches.count,
            batches.sum / batches.count.max(1) as f64,
            commits.sum * 1000.0 / commits.count.max(1) as f64,
        );
        println!("    audit clean: {}", served.ledger.audit().await.unwrap().is_clean());
        served.stop().await;
    });
}
