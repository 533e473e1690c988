//! Change announcements: what a live stream waits on. Each committed batch announces the
//! accounts whose balances moved; on PostgreSQL every instance on the database hears every
//! other instance's batches.

use std::time::Duration;

use purse_ledger::{AccountId, Ledger, LedgerChange, LedgerConfig, TransferRequest};

use crate::support::*;

/// The next change that touches `account`, within `limit`.
async fn next_change_for(
    changes: &mut tokio::sync::broadcast::Receiver<LedgerChange>,
    account: AccountId,
    limit: Duration,
) -> LedgerChange {
    tokio::time::timeout(limit, async {
        loop {
            match changes.recv().await {
                Ok(change) if change.touches(account) => return change,
                Ok(_) => {}
                Err(error) => panic!("changes stream: {error}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no change for {account} within {limit:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_transfer_announces_the_accounts_it_moved() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
        let mut changes = ledger.subscribe();
        ledger.create_transfer(TransferRequest::posted(10, movement(ALICE, BOB, 5))).await.unwrap().unwrap();
        let change = next_change_for(&mut changes, BOB, Duration::from_secs(1)).await;
        assert!(change.touches(ALICE), "{}: {change:?}", db.backend);
        assert!(!change.touches(CAPPED), "{}: {change:?}", db.backend);
        // A refused request moves nothing and announces nothing.
        let refused = ledger.create_transfer(TransferRequest::posted(11, movement(BOB, CAPPED, 500))).await;
        assert!(refused.unwrap().is_err());
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_every_instance_hears_the_others() {
    // Two instances on one database is a PostgreSQL deployment; with SQLite there is one
    // process, which announces its own batches (the test above). Runs when DATABASE_URL is set.
    let Some(base) = postgres_url() else {
        eprintln!("skipped: on_postgresql_every_instance_hears_the_others needs DATABASE_URL=postgres://…");
        return;
    };
    let db = TestDb::postgres(&base).await;
    let first = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
    let second = Ledger::open(&db.url).await.unwrap();
    let mut heard_by_second = second.subscribe();
    let mut heard_by_first = first.subscribe();

    first.create_transfer(TransferRequest::posted(10, movement(ALICE, BOB, 5))).await.unwrap().unwrap();
    next_change_for(&mut heard_by_second, BOB, Duration::from_secs(1)).await;
    second.create_transfer(TransferRequest::posted(11, movement(BOB, ALICE, 2))).await.unwrap().unwrap();
    next_change_for(&mut heard_by_first, ALICE, Duration::from_secs(1)).await;
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_stream_missed_comes_back_oldest_first() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
        let mut seen = Vec::new();
        for id in 10..15 {
            let outcome = ledger.create_transfer(TransferRequest::posted(id, movement(ALICE, BOB, 1))).await;
            seen.push(outcome.unwrap().unwrap().transfer.timestamp);
        }
        let after_second = ledger.account_transfers_after(BOB, Some(seen[1]), 100).await.unwrap();
        let ids: Vec<i64> = after_second.iter().map(|t| t.id.0).collect();
        assert_eq!(ids, vec![12, 13, 14], "{}", db.backend);
        let everything = ledger.account_transfers_after(ALICE, None, 3).await.unwrap();
        let ids: Vec<i64> = everything.iter().map(|t| t.id.0).collect();
        assert_eq!(ids, vec![1, 10, 11], "{}: the funding first, then a page of three", db.backend);
        ledger.shutdown().await;
    }
}
