//! `make bench` (checkout): `POST /api/v1/checkout/sessions/{id}/confirm` from 64 concurrent
//! clients, each confirming its own open sessions as one of its buyers (with the PIN and its
//! own idempotency keys),
//! over real HTTP/1.1 keep-alive connections to the real app on a socket, durable commits, on
//! SQLite. The sessions are made beforehand through the merchant API (not timed). Each confirm
//! checks the PIN, claims the session, records the payment, moves the money in the ledger and
//! completes the session with its webhook event in one transaction.
//!
//! Two runs: with the tests' settings, and with production's (passwords at argon2's production
//! cost, m = 19 MiB, t = 2, and PINs as HMAC-SHA256 under a random pepper, as `serve` does).
//! Before PINs were peppered, the production run made 67–74 confirmations/s: each PIN was an
//! argon2 hash. Figures, not assertions: `bench: checkout_confirm_<run> confirmations/s=…
//! p50_ms=… p99_ms=…`, then whether every session is complete and the ledger audit is clean.

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

// Not every helper of the shared module is used here.
#[allow(dead_code)]
mod support;

use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use purse_server::codes;
use purse_server::flows::Settings;
use purse_server::flows::people::create_person;
use purse_server::flows::people::{Passwords, ServerKey};
use purse_server::store::people::ROLE_MERCHANT;

use support::{CLIENTS, Served};

/// Confirmations per buyer: each client takes turns between several buyers, as a shop's
/// many customers would.
const PINS_PER_BUYER: usize = 20;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        run("sqlite", Passwords::for_tests(), support::per_client(100.0)).await;
        let key = ServerKey::new(purse_server::flows::people::random_bytes(), None);
        run("sqlite_production_settings", Passwords::production(key), support::per_client(100.0)).await;
    });
}

async fn run(name: &str, passwords: Passwords, per_client: usize) {
    let buyers_per_client = per_client.div_ceil(PINS_PER_BUYER);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/purse.db", dir.path().display());
    let settings = Settings { money_per_minute: i64::MAX, ..Settings::default() };
    let served = Served::start_with(&url, settings, passwords).await;
    let state = served.state.clone();
    let shop = create_person(
        &state,
        &purse_api::Handle::parse("shop").unwrap(),
        "Shop",
        "correct horse battery",
        None,
        ROLE_MERCHANT,
    )
    .await
    .unwrap();
    let secret = purse_server::flows::merchants::create_key(&state, shop.id, "bench").await.unwrap().secret;
    let funding = purse_ledger::NewAccount {
        id: codes::DEMO_FUNDING,
        currency: purse_api::Currency::Usd,
        code: codes::account::DEMO_FUNDING,
        flags: purse_ledger::AccountFlags::NONE,
    };
    served.ledger.create_accounts(vec![funding]).await.unwrap();
    let mut buyers = Vec::new();
    for i in 0..CLIENTS * buyers_per_client {
        let handle = purse_api::Handle::parse(&format!("buyer{i}")).unwrap();
        let user =
            create_person(&state, &handle, "Buyer", "correct horse battery", Some("1234"), 0).await.unwrap();
        let movement = purse_ledger::Movement {
            debit_account_id: codes::DEMO_FUNDING,
            credit_account_id: codes::wallet_of(user.id),
            amount: 100_000_000,
            currency: purse_api::Currency::Usd,
            code: codes::transfer::DEPOSIT,
        };
        served
            .ledger
            .create_transfer(purse_ledger::TransferRequest::posted(user.id.0, movement))
            .await
            .unwrap()
            .unwrap();
        let (token, hash) = purse_server::flows::people::new_session_token();
        state
            .db
            .insert_session(&hash, user.id, state.now(), purse_server::time::Time::from_nanos(i64::MAX))
            .await
            .unwrap();
        buyers.push(format!("purse_session={token}"));
    }
    let (client, addr) = (support::client(), served.addr);

    // The sessions, through the merchant API, untimed.
    let mut sessions = Vec::new();
    for n in 0..CLIENTS * per_client {
        let body = r#"{"amount":"3.25","currency":"USD","description":"Bench book","success_url":"https://shop.example/ok","cancel_url":"https://shop.example/back"}"#;
        let request = hyper::Request::post(format!("http://{addr}/api/v1/checkout/sessions"))
            .header("authorization", format!("Bearer {secret}"))
            .header("content-type", "application/json")
            .header("idempotency-key", format!("session-{n}"))
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.status(), 201);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        sessions.push(json["session"]["id"].as_str().unwrap().to_string());
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let client = client.clone();
        let mine: Vec<String> = sessions[i * per_client..(i + 1) * per_client].to_vec();
        let cookies: Vec<String> = buyers[i * buyers_per_client..(i + 1) * buyers_per_client].to_vec();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(mine.len());
            for (n, id) in mine.into_iter().enumerate() {
                let cookie = &cookies[n % cookies.len()];
                let request =
                    hyper::Request::post(format!("http://{addr}/api/v1/checkout/sessions/{id}/confirm"))
                        .header("cookie", cookie)
                        .header("content-type", "application/json")
                        .header("idempotency-key", format!("confirm-{i}-{n}"))
                        .body(Full::new(Bytes::from(r#"{"pin":"1234"}"#)))
                        .unwrap();
                latencies.push(support::timed(&client, request, 200).await);
            }
            latencies
        }));
    }
    let latencies = support::latencies(tasks).await;
    support::report(&format!("checkout_confirm_{name}"), "confirmations", latencies, started);
    let complete: i64 = match &state.db {
        purse_server::store::Db::Sqlite(pool, _) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM checkout_sessions WHERE status = 'complete'")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        purse_server::store::Db::Postgres(_) => unreachable!(),
    };
    println!("    sessions complete: {complete} of {}", sessions.len());
    println!("    audit clean: {}", served.ledger.audit().await.unwrap().is_clean());
    served.stop().await;
}
