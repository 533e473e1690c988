//! `make bench`: ledger throughput and latency with durable commits. Figures, not assertions.
//!
//! Each scenario prints one line:
//! `bench: <scenario> transfers/s=<n> p50_ms=<x> p99_ms=<y>`
//! (latency per submission, from the call to its durable answer), then an indented line with
//! the batch sizes the writer formed. SQLite always; PostgreSQL when `DATABASE_URL` is set.
//! `PURSE_BENCH_SCALE` (default 1.0) scales the number of transfers; `PURSE_BENCH_ONLY=text`
//! runs only the scenarios whose name contains `text`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use purse_api::Currency;
use purse_ledger::{AccountFlags, AccountId, Ledger, LedgerConfig, Movement, NewAccount, TransferRequest};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const SUBMITTERS: u64 = 64;
const WALLETS: i64 = 1_000;
const BANK: i64 = 1;
const HOT: i64 = 2;

#[derive(Clone, Copy)]
struct Scenario {
    name: &'static str,
    /// Requests per batch; 1 makes every transfer its own commit.
    max_batch: usize,
    /// Share of transfers that credit the one hot account.
    hot_share: f64,
    transfers_per_submitter: u64,
}

fn scenarios(backend: &str, scale: f64) -> Vec<Scenario> {
    let scaled = |n: u64| ((n as f64 * scale) as u64).max(1);
    let named = |suffix: &str| -> &'static str { format!("{backend}_{suffix}").leak() };
    vec![
        Scenario {
            name: named("group_commit"),
            max_batch: 2_000,
            hot_share: 0.0,
            transfers_per_submitter: scaled(1_500),
        },
        Scenario {
            name: named("one_per_commit"),
            max_batch: 1,
            hot_share: 0.0,
            transfers_per_submitter: scaled(40),
        },
        Scenario {
            name: named("hot_account"),
            max_batch: 2_000,
            hot_share: 0.9,
            transfers_per_submitter: scaled(1_500),
        },
    ]
}

fn main() {
    let scale: f64 = std::env::var("PURSE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let only = std::env::var("PURSE_BENCH_ONLY").unwrap_or_default();
    let chosen = |backend| scenarios(backend, scale).into_iter().filter(|s| s.name.contains(only.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for scenario in chosen("sqlite") {
            let db = support::TestDb::sqlite();
            run(&db.url, scenario).await;
        }
        match support::postgres_url() {
            Some(base) => {
                for scenario in chosen("postgres") {
                    let db = support::TestDb::postgres(&base).await;
                    run(&db.url, scenario).await;
                }
            }
            None => println!("(DATABASE_URL is not set: PostgreSQL scenarios skipped)"),
        }
    });
}

async fn run(url: &str, scenario: Scenario) {
    let setup = Ledger::open(url).await.unwrap();
    prepare(&setup).await;
    setup.shutdown().await;
    let config = LedgerConfig { max_batch_requests: scenario.max_batch, ..LedgerConfig::default() };
    let ledger = Ledger::open_with(url, config).await.unwrap();
    let before = ledger.metrics().batch_size.snapshot();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for submitter in 0..SUBMITTERS {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = SmallRng::seed_from_u64(submitter);
            let mut latencies = Vec::with_capacity(scenario.transfers_per_submitter as usize);
            for k in 0..scenario.transfers_per_submitter {
                let id = 1_000_000 + (submitter * 10_000_000 + k) as i64;
                let debit = rng.random_range(3..3 + WALLETS);
                let credit = if rng.random_bool(scenario.hot_share) {
                    HOT
                } else {
                    let other = rng.random_range(3..3 + WALLETS);
                    if other == debit { HOT } else { other }
                };
                let request = TransferRequest::posted(id, movement(debit, credit, 1));
                let sent = Instant::now();
                let result = ledger.create_transfer(request).await.unwrap();
                latencies.push(sent.elapsed());
                assert!(result.is_ok(), "{result:?}");
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    let after = ledger.metrics().batch_size.snapshot();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index].as_secs_f64() * 1_000.0
    };
    let transfers = latencies.len();
    println!(
        "bench: {} transfers/s={:.0} p50_ms={:.2} p99_ms={:.2}",
        scenario.name,
        transfers as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
    );
    let batches = after.count - before.count;
    println!(
        "    {transfers} transfers from {SUBMITTERS} submitters in {:.2}s: {batches} batches, {:.1} transfers per batch",
        elapsed.as_secs_f64(),
        transfers as f64 / batches.max(1) as f64,
    );
    let report = ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    ledger.shutdown().await;
}

fn movement(debit: i64, credit: i64, amount: u64) -> Movement {
    Movement {
        debit_account_id: AccountId(debit),
        credit_account_id: AccountId(credit),
        amount,
        currency: Currency::Usd,
        code: 1,
    }
}

/// A bank account and `WALLETS` wallets (plus the hot one) that cannot go below zero, each
/// funded well beyond what the scenario spends.
async fn prepare(ledger: &Ledger) {
    let mut accounts =
        vec![NewAccount { id: AccountId(BANK), currency: Currency::Usd, code: 1, flags: AccountFlags::NONE }];
    for id in HOT..3 + WALLETS {
        accounts.push(NewAccount {
            id: AccountId(id),
            currency: Currency::Usd,
            code: 2,
            flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        });
    }
    for result in ledger.create_accounts(accounts).await.unwrap() {
        result.unwrap();
    }
    let funding: Vec<TransferRequest> =
        (3..3 + WALLETS).map(|id| TransferRequest::posted(id, movement(BANK, id, 1_000_000_000))).collect();
    for result in ledger.create_transfers(funding).await.unwrap() {
        result.unwrap();
    }
}
