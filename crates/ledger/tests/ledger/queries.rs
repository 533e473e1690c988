//! Reading the ledger: an account's transfers newest first with a cursor, and its balances as
//! of any past moment.

use std::sync::Arc;

use purse_ledger::{
    Balances, LedgerConfig, ManualClock, Timestamp, TransferId, TransferPage, TransferRequest,
};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_transfers_come_newest_first_a_page_at_a_time() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 10_000).await;
        // Alice pays, receives and holds; the bank-to-Bob transfer is not hers.
        let requests = [
            TransferRequest::posted(10, movement(ALICE, BOB, 100)),
            TransferRequest::posted(11, movement(BANK, BOB, 5)),
            TransferRequest::posted(12, movement(BOB, ALICE, 40)),
            TransferRequest::pending(13, movement(ALICE, BOB, 70), 0),
            TransferRequest::post(14, 13, 70),
            TransferRequest::posted(15, movement(ALICE, BANK, 1)),
        ];
        for request in requests {
            ledger.create_transfer(request).await.unwrap().unwrap();
        }
        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let page = ledger.account_transfers(ALICE, TransferPage { before, limit: 2 }).await.unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            before = page.last().map(|t| t.timestamp);
            pages.push(page.iter().map(|t| t.id.0).collect::<Vec<_>>());
        }
        assert_eq!(pages, vec![vec![15, 14], vec![13, 12], vec![10, 1]]);

        let all = ledger.account_transfers(BOB, TransferPage { before: None, limit: 100 }).await.unwrap();
        let ids: Vec<i64> = all.iter().map(|t| t.id.0).collect();
        assert_eq!(ids, vec![14, 13, 12, 11, 10]);
        assert!(all.windows(2).all(|w| w[0].timestamp > w[1].timestamp));
        let none = ledger.account_transfers(MISSING, TransferPage { before: None, limit: 10 }).await.unwrap();
        assert!(none.is_empty());
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_as_of_a_past_moment_replay_history() {
    for db in TestDb::every_backend().await {
        let clock = Arc::new(ManualClock::new(Timestamp::from_nanos(1_800_000_000_000_000_000)));
        let config = LedgerConfig { clock: clock.clone(), ..LedgerConfig::default() };
        let ledger = standard_ledger(&db, config, 1_000).await;
        let funded_at = ledger.lookup_transfers(&[TransferId(1)]).await.unwrap()[0].transfer.timestamp;

        clock.advance_seconds(10);
        let sent = ledger.create_transfer(TransferRequest::posted(10, movement(ALICE, BOB, 300))).await;
        let sent_at = sent.unwrap().unwrap().transfer.timestamp;
        clock.advance_seconds(10);
        let held = ledger.create_transfer(TransferRequest::pending(11, movement(ALICE, BOB, 200), 0)).await;
        let held_at = held.unwrap().unwrap().transfer.timestamp;
        clock.advance_seconds(10);
        let voided = ledger.create_transfer(TransferRequest::void(12, 11)).await;
        let voided_at = voided.unwrap().unwrap().transfer.timestamp;

        let alice = |debits_pending, debits_posted| Balances {
            debits_pending,
            debits_posted,
            credits_pending: 0,
            credits_posted: 1_000,
        };
        let cases = [
            (Timestamp::from_nanos(funded_at.as_nanos() - 1), Balances::default()),
            (funded_at, alice(0, 0)),
            (Timestamp::from_nanos(sent_at.as_nanos() - 1), alice(0, 0)),
            (sent_at, alice(0, 300)),
            (held_at, alice(200, 300)),
            (Timestamp::from_nanos(voided_at.as_nanos() - 1), alice(200, 300)),
            (voided_at, alice(0, 300)),
            (Timestamp::from_nanos(i64::MAX), alice(0, 300)),
        ];
        for (at, expected) in cases {
            assert_eq!(ledger.balance_at(ALICE, at).await.unwrap(), Some(expected), "at {at}");
        }
        let bob_then = ledger.balance_at(BOB, held_at).await.unwrap().unwrap();
        assert_eq!((bob_then.credits_pending, bob_then.credits_posted), (200, 300));
        assert_eq!(ledger.balance_at(MISSING, voided_at).await.unwrap(), None);

        // What moved after a moment: both sides of every later transfer, each once.
        let everyone =
            ledger.accounts_moved_after(Timestamp::from_nanos(funded_at.as_nanos() - 1)).await.unwrap();
        assert!(everyone.contains(&ALICE) && everyone.contains(&BOB), "{everyone:?}");
        assert!(everyone.windows(2).all(|pair| pair[0] < pair[1]), "ascending, once each: {everyone:?}");
        let after_the_send = ledger.accounts_moved_after(sent_at).await.unwrap();
        assert_eq!(after_the_send, vec![ALICE, BOB], "the hold and its void");
        assert!(ledger.accounts_moved_after(voided_at).await.unwrap().is_empty());
        clock.advance_seconds(10);
        ledger.create_transfer(TransferRequest::posted(13, movement(BANK, BOB, 5))).await.unwrap().unwrap();
        let mut latest = ledger.accounts_moved_after(voided_at).await.unwrap();
        latest.sort();
        let mut expected = vec![BANK, BOB];
        expected.sort();
        assert_eq!(latest, expected);
        ledger.shutdown().await;
    }
}
