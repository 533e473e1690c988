//! Many submitters at once: nobody can overspend, nothing is counted twice, and the same
//! request sent twice at the same moment creates one transfer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use purse_ledger::{CreateTransferError, LedgerConfig, TransferRequest};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::support::*;

const FUNDS: u64 = 25_000;
const TASKS: i64 = 48;
const PER_TASK: i64 = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_spending_one_wallet_can_never_overdraw_it() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), FUNDS).await;
        let spent = Arc::new(AtomicU64::new(0));
        let held = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));

        // A watcher reads Alice's balance while the spenders run: never below zero.
        let watcher = {
            let (ledger, stop) = (ledger.clone(), stop.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                loop {
                    let alice = ledger.lookup_account(ALICE).await.unwrap().unwrap().balances;
                    assert!(alice.available_credit_balance() >= 0, "overdrawn: {alice:?}");
                    reads += 1;
                    if stop.load(Ordering::SeqCst) {
                        break reads;
                    }
                    tokio::task::yield_now().await;
                }
            })
        };

        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let (ledger, spent, held) = (ledger.clone(), spent.clone(), held.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = SmallRng::seed_from_u64(task as u64);
                let mut refused = 0;
                for k in 0..PER_TASK {
                    let id = 1_000 + task * 1_000 + k * 3;
                    let amount = rng.random_range(1..=40);
                    let (requests, posts) = match rng.random_range(0..4) {
                        // A hold posted in part within the same chain.
                        0 => (
                            vec![
                                TransferRequest::pending(id, movement(ALICE, BOB, amount), 0).linked(),
                                TransferRequest::post(id + 1, id, amount / 2 + 1),
                            ],
                            amount / 2 + 1,
                        ),
                        // A hold left open.
                        1 => (vec![TransferRequest::pending(id, movement(ALICE, BOB, amount), 0)], 0),
                        _ => (vec![TransferRequest::posted(id, movement(ALICE, BOB, amount))], amount),
                    };
                    let pending_only = posts == 0;
                    let results = ledger.create_transfers(requests).await.unwrap();
                    if results.iter().all(Result::is_ok) {
                        if pending_only {
                            held.fetch_add(amount, Ordering::SeqCst);
                        } else {
                            spent.fetch_add(posts, Ordering::SeqCst);
                        }
                    } else {
                        assert!(
                            results.contains(&Err(CreateTransferError::ExceedsCredits)),
                            "only running out of money may refuse these: {results:?}"
                        );
                        refused += 1;
                    }
                }
                refused
            }));
        }
        let mut refused = 0;
        for task in tasks {
            refused += task.await.unwrap();
        }
        stop.store(true, Ordering::SeqCst);
        assert!(watcher.await.unwrap() > 0);

        let (spent, held) = (spent.load(Ordering::SeqCst), held.load(Ordering::SeqCst));
        let alice = ledger.lookup_account(ALICE).await.unwrap().unwrap().balances;
        let bob = ledger.lookup_account(BOB).await.unwrap().unwrap().balances;
        assert_eq!(alice.debits_posted, spent, "exactly what succeeded left Alice");
        assert_eq!(alice.debits_pending, held, "exactly the open holds are reserved");
        assert_eq!(bob.credits_posted, spent);
        assert_eq!(bob.credits_pending, held);
        assert!(spent + held <= FUNDS);
        assert!(refused > 0, "the test must drive Alice to her limit (spent {spent}, held {held})");
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_transfer_sent_twice_at_once_is_made_once() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000_000).await;
        for round in 0..50_i64 {
            let request = TransferRequest::posted(10 + round, movement(ALICE, BOB, 7));
            let (first, second) =
                tokio::join!(ledger.create_transfer(request), ledger.create_transfer(request));
            let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
            assert!(first.created ^ second.created, "round {round}: exactly one creates");
            assert_eq!(first.transfer, second.transfer);
        }
        let bob = ledger.lookup_account(BOB).await.unwrap().unwrap().balances;
        assert_eq!(bob.credits_posted, 50 * 7);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_while_money_moves_sees_one_consistent_moment() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000_000).await;
        let stop = Arc::new(AtomicBool::new(false));
        let moved = Arc::new(AtomicU64::new(0));
        let mover = {
            let (ledger, stop, moved) = (ledger.clone(), stop.clone(), moved.clone());
            tokio::spawn(async move {
                let mut id = 1_000;
                while !stop.load(Ordering::SeqCst) {
                    let requests = vec![
                        TransferRequest::pending(id, movement(ALICE, BOB, 3), 0).linked(),
                        TransferRequest::post(id + 1, id, 2),
                    ];
                    for result in ledger.create_transfers(requests).await.unwrap() {
                        result.unwrap();
                    }
                    moved.fetch_add(1, Ordering::SeqCst);
                    id += 2;
                }
            })
        };
        // Audit until both enough audits ran and enough money moved meanwhile.
        let mut audits = 0;
        while audits < 15 || moved.load(Ordering::SeqCst) < 100 {
            let report = ledger.audit().await.unwrap();
            assert!(report.is_clean(), "{} audit {audits}: {:?}", db.backend, report.violations);
            audits += 1;
            assert!(audits < 100_000, "the mover made no progress");
        }
        stop.store(true, Ordering::SeqCst);
        mover.await.unwrap();
        ledger.shutdown().await;
    }
}
