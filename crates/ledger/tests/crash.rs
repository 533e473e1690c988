//! The crash test: a child process submits transfers under load and is killed with SIGKILL at
//! a random moment, several times over. After each kill the ledger is reopened and must audit
//! clean, every submission the child saw acknowledged must be there exactly as acknowledged,
//! and resubmitting anything (acknowledged or not) must never move money a second time.
//!
//! Runs on SQLite, and on PostgreSQL when `DATABASE_URL` is set. A custom harness: the same
//! binary is the parent and, with `--child`, the process that gets killed. Set
//! `PURSE_CRASH_DB=/path/file.db` to keep the SQLite database for inspection afterwards (for
//! example with `purse-server audit`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use purse_api::Currency;
use purse_ledger::{
    AccountFlags, AccountId, Ledger, Movement, NewAccount, TransferId, TransferRequest, TransferResult,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const ROUNDS: u64 = 6;
const CHILD_TASKS: u64 = 16;
const WALLETS: i64 = 8;
const BANK: i64 = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let url = args.get(2).expect("url");
        let round: u64 = args.get(3).and_then(|r| r.parse().ok()).expect("round");
        child(url, round);
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut databases = Vec::new();
        match std::env::var("PURSE_CRASH_DB") {
            Ok(path) => databases.push((format!("sqlite://{path}"), "sqlite", None)),
            Err(_) => {
                let db = support::TestDb::sqlite();
                databases.push((db.url.clone(), "sqlite", Some(db)));
            }
        }
        if let Some(base) = support::postgres_url() {
            let db = support::TestDb::postgres(&base).await;
            databases.push((db.url.clone(), "postgres", Some(db)));
        }
        for (url, backend, _keep_alive) in &databases {
            parent(url, backend).await;
        }
    });
    println!("test result: ok. crash test passed");
    ExitCode::SUCCESS
}

/// Submission `s` is deterministic: the parent can rebuild exactly what the child sent.
fn submission(s: u64) -> Vec<TransferRequest> {
    let mut rng = SmallRng::seed_from_u64(s);
    let id = |j: i64| i64::try_from(s).unwrap() * 4 + j;
    let wallet = |rng: &mut SmallRng| 2 + rng.random_range(0..WALLETS);
    let (from, mut to) = (wallet(&mut rng), wallet(&mut rng));
    if to == from {
        to = BANK;
    }
    let amount = rng.random_range(1..=5_000);
    let m = |debit: i64, credit: i64, amount: u64| Movement {
        debit_account_id: AccountId(debit),
        credit_account_id: AccountId(credit),
        amount,
        currency: Currency::Usd,
        code: 1,
    };
    match rng.random_range(0..10) {
        0..=5 => vec![TransferRequest::posted(id(0), m(from, to, amount))],
        // A payment and its fee, all or nothing.
        6 | 7 => vec![
            TransferRequest::posted(id(0), m(from, to, amount)).linked(),
            TransferRequest::posted(id(1), m(from, BANK, amount / 50 + 1)),
        ],
        // A hold, posted in part.
        _ => vec![
            TransferRequest::pending(id(0), m(from, to, amount), 3_600).linked(),
            TransferRequest::post(id(1), id(0), amount / 2 + 1),
        ],
    }
}

/// `ok` results as one letter each: `c` created, `e` existed, `r` refused.
fn summary(results: &[TransferResult]) -> String {
    results
        .iter()
        .map(|r| match r {
            Ok(o) if o.created => 'c',
            Ok(_) => 'e',
            Err(_) => 'r',
        })
        .collect()
}

fn child(url: &str, round: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let ledger = Ledger::open(url).await.unwrap();
        let mut tasks = Vec::new();
        for task in 0..CHILD_TASKS {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                for k in 0.. {
                    let s = round * 10_000_000 + task * 100_000 + k;
                    // `println!` writes whole lines; stdout is line-buffered, so the parent
                    // has every line printed before the kill.
                    println!("sent {s}");
                    let results = ledger.create_transfers(submission(s)).await.unwrap();
                    println!("ack {s} {}", summary(&results));
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
}

async fn parent(url: &str, backend: &str) {
    let seed: u64 = std::env::var("PURSE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("crash test on {backend}: PURSE_CRASH_SEED={seed}");
    let mut rng = SmallRng::seed_from_u64(seed);

    let ledger = Ledger::open(url).await.unwrap();
    let mut accounts =
        vec![NewAccount { id: AccountId(BANK), currency: Currency::Usd, code: 1, flags: AccountFlags::NONE }];
    for wallet in 2..2 + WALLETS {
        accounts.push(NewAccount {
            id: AccountId(wallet),
            currency: Currency::Usd,
            code: 2,
            flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        });
    }
    ledger.create_accounts(accounts).await.unwrap();
    let funding: Vec<TransferRequest> = (2..2 + WALLETS)
        .map(|wallet| {
            TransferRequest::posted(
                wallet,
                Movement {
                    debit_account_id: AccountId(BANK),
                    credit_account_id: AccountId(wallet),
                    amount: 200_000,
                    currency: Currency::Usd,
                    code: 1,
                },
            )
        })
        .collect();
    for result in ledger.create_transfers(funding).await.unwrap() {
        result.unwrap();
    }
    ledger.shutdown().await;

    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut sent: BTreeSet<u64> = BTreeSet::new();
    for round in 1..=ROUNDS {
        let (round_acked, round_sent) = run_child_and_kill(url, round, &mut rng);
        println!(
            "{backend} round {round}: {} sent, {} acknowledged before SIGKILL",
            round_sent.len(),
            round_acked.len()
        );
        assert!(round_acked.len() >= 20, "the child must be under load when killed");
        sent.extend(round_sent);
        acked.extend(round_acked);
        verify_after_restart(url, backend, &acked, &sent).await;
    }
}

fn run_child_and_kill(url: &str, round: u64, rng: &mut SmallRng) -> (BTreeMap<u64, String>, BTreeSet<u64>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--child", url, &round.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(line) => {
                    if lines_tx.send(line).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });

    let mut acked = BTreeMap::new();
    let mut sent = BTreeSet::new();
    let record = |line: &str, acked: &mut BTreeMap<u64, String>, sent: &mut BTreeSet<u64>| {
        let mut words = line.split(' ');
        match (words.next(), words.next().and_then(|s| s.parse::<u64>().ok()), words.next()) {
            (Some("sent"), Some(s), None) => {
                sent.insert(s);
            }
            (Some("ack"), Some(s), Some(summary)) => {
                acked.insert(s, summary.to_string());
            }
            _ => panic!("unexpected line from the child: {line:?}"),
        }
    };
    // Wait until the child is busy, then kill it at a random moment.
    let started = Instant::now();
    while acked.len() < 50 && started.elapsed() < Duration::from_secs(60) {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(1)) {
            record(&line, &mut acked, &mut sent);
        }
    }
    let delay = Duration::from_millis(rng.random_range(20..400));
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(5)) {
            record(&line, &mut acked, &mut sent);
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines already in the pipe were printed before the kill: they count.
    while let Ok(line) = lines_rx.try_recv() {
        // The last line may be cut by the kill.
        if line.starts_with("ack ") && line.split(' ').count() == 3 || line.starts_with("sent ") {
            record(&line, &mut acked, &mut sent);
        }
    }
    (acked, sent)
}

async fn verify_after_restart(url: &str, backend: &str, acked: &BTreeMap<u64, String>, sent: &BTreeSet<u64>) {
    let ledger = Ledger::open(url).await.unwrap();
    let report = ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{backend}: audit after SIGKILL: {:?}", report.violations);

    // Everything acknowledged is there, as acknowledged.
    for (s, summary) in acked {
        let requests = submission(*s);
        let ids: Vec<TransferId> = requests.iter().map(|r| r.id).collect();
        let found: BTreeSet<i64> =
            ledger.lookup_transfers(&ids).await.unwrap().iter().map(|r| r.transfer.id.0).collect();
        for (request, outcome) in requests.iter().zip(summary.chars()) {
            let present = found.contains(&request.id.0);
            assert_eq!(present, outcome != 'r', "{backend}: submission {s} acknowledged {summary}");
        }
    }

    // Retrying every submission, acknowledged or cut off, never makes a transfer twice.
    for s in sent {
        let results = ledger.create_transfers(submission(*s)).await.unwrap();
        if let Some(acknowledged) = acked.get(s) {
            let again = acknowledged.replace('c', "e");
            assert_eq!(summary(&results), again, "{backend}: retry of acknowledged submission {s}");
        }
    }
    // The ledger holds the funding and transfers the client sent, and nothing else.
    let ids: Vec<TransferId> = sent.iter().flat_map(|s| submission(*s)).map(|r| r.id).collect();
    let mut found = 0;
    for chunk in ids.chunks(1_000) {
        found += ledger.lookup_transfers(chunk).await.unwrap().len();
    }
    let report = ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{backend}: audit after retries: {:?}", report.violations);
    assert_eq!(report.transfers, WALLETS as usize + found, "{backend}: transfers nobody sent");
    ledger.shutdown().await;
}
