//! The engine's rules, one table per area: rejection order, idempotency, two-phase transfers,
//! expiry, linked chains, group commit.

use std::sync::Arc;
use std::time::Duration;

use purse_api::Currency;
use purse_ledger::{
    AccountId, Balances, CreateAccountError, CreateTransferError as Reason, Ledger, LedgerConfig,
    MAX_BALANCE, ManualClock, Movement, PendingState, Timestamp, TransferId, TransferRequest,
};

use crate::support::*;

/// Submits `request` alone and compares the outcome with `expected` (`Ok(())` = created).
async fn check(ledger: &Ledger, request: TransferRequest, expected: Result<(), Reason>) {
    let result = ledger.create_transfer(request).await.expect("ledger answers");
    match (&result, expected) {
        (Ok(outcome), Ok(())) => assert!(outcome.created, "{request:?} should be new"),
        (Err(reason), Err(expected)) => assert_eq!(*reason, expected, "{request:?}"),
        _ => panic!("{request:?}: got {result:?}, expected {expected:?}"),
    }
}

async fn balances(ledger: &Ledger, id: AccountId) -> Balances {
    ledger.lookup_account(id).await.unwrap().expect("account exists").balances
}

fn posted(debit: u64, credit: u64) -> (u64, u64) {
    (debit, credit)
}

async fn posted_of(ledger: &Ledger, id: AccountId) -> (u64, u64) {
    let b = balances(ledger, id).await;
    posted(b.debits_posted, b.credits_posted)
}

fn with_currency(mut m: Movement, currency: Currency) -> Movement {
    m.currency = currency;
    m
}

fn with_code(mut m: Movement, code: u16) -> Movement {
    m.code = code;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_has_a_name_and_the_first_broken_rule_wins() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 10_000).await;
        let cases: Vec<(TransferRequest, Reason)> = vec![
            // Stateless checks, in order.
            (TransferRequest::posted(0, movement(ALICE, ALICE, 0)), Reason::IdMustBePositive),
            (TransferRequest::posted(-5, movement(ALICE, BOB, 1)), Reason::IdMustBePositive),
            (
                TransferRequest::posted(100, movement(AccountId(0), AccountId(0), 0)),
                Reason::AmountMustNotBeZero,
            ),
            (
                TransferRequest::posted(101, movement(AccountId(0), AccountId(-1), 1)),
                Reason::DebitAccountIdMustBePositive,
            ),
            (
                TransferRequest::posted(102, movement(ALICE, AccountId(-1), 1)),
                Reason::CreditAccountIdMustBePositive,
            ),
            (TransferRequest::posted(103, movement(MISSING, MISSING, 1)), Reason::AccountsMustBeDifferent),
            (
                TransferRequest::posted(104, with_code(movement(MISSING, BOB, 1), 0)),
                Reason::CodeMustNotBeZero,
            ),
            (TransferRequest::pending(105, movement(ALICE, ALICE, 5), 10), Reason::AccountsMustBeDifferent),
            // Stateful checks, in order.
            (TransferRequest::posted(110, movement(MISSING, AccountId(98), 1)), Reason::DebitAccountNotFound),
            (TransferRequest::posted(111, movement(ALICE, MISSING, 1)), Reason::CreditAccountNotFound),
            (TransferRequest::posted(112, movement(ALICE, EURO, 1)), Reason::AccountsMustHaveTheSameCurrency),
            (
                TransferRequest::posted(113, with_currency(movement(ALICE, BOB, 1), Currency::Eur)),
                Reason::CurrencyMustMatchAccounts,
            ),
            (TransferRequest::posted(114, movement(BOB, ALICE, 1)), Reason::ExceedsCredits),
            (TransferRequest::posted(115, movement(ALICE, BOB, 10_001)), Reason::ExceedsCredits),
            (TransferRequest::pending(116, movement(ALICE, BOB, 10_001), 0), Reason::ExceedsCredits),
            (TransferRequest::posted(117, movement(BANK, CAPPED, 1)), Reason::ExceedsDebits),
            (TransferRequest::posted(118, movement(BANK, BOB, MAX_BALANCE)), Reason::OverflowsDebitsPosted),
            (TransferRequest::posted(119, movement(BANK, BOB, u64::MAX)), Reason::OverflowsDebitsPosted),
            (
                TransferRequest::pending(120, movement(BANK, BOB, MAX_BALANCE + 1), 0),
                Reason::OverflowsDebitsPending,
            ),
            (TransferRequest::pending(121, movement(BANK, BOB, MAX_BALANCE), 0), Reason::OverflowsDebits),
            // Posts and voids.
            (TransferRequest::post(0, 1, 5), Reason::IdMustBePositive),
            (TransferRequest::post(130, 0, 5), Reason::PendingIdMustBePositive),
            (TransferRequest::void(131, -1), Reason::PendingIdMustBePositive),
            (TransferRequest::post(132, 132, 5), Reason::PendingIdMustBeDifferent),
            (TransferRequest::post(133, 777, 0), Reason::AmountMustNotBeZero),
            (TransferRequest::post(134, 777, 5), Reason::PendingTransferNotFound),
            (TransferRequest::void(135, 1), Reason::PendingTransferNotPending),
        ];
        for (request, reason) in cases {
            check(&ledger, request, Err(reason)).await;
        }
        assert_eq!(balances(&ledger, ALICE).await.credits_posted, 10_000, "nothing moved");
        assert_eq!(balances(&ledger, BOB).await, Balances::default(), "nothing moved");
        assert!(ledger.audit().await.unwrap().is_clean());
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_checks_guard_every_column() {
    for db in TestDb::every_backend().await {
        let ledger = Ledger::open(&db.url).await.unwrap();
        let (x, y, z, w) = (AccountId(11), AccountId(12), AccountId(13), AccountId(14));
        let none = purse_ledger::AccountFlags::NONE;
        let accounts = [x, y, z, w].map(|id| account(id, USD, none)).to_vec();
        ledger.create_accounts(accounts).await.unwrap();
        check(&ledger, TransferRequest::posted(1, movement(x, y, MAX_BALANCE - 5)), Ok(())).await;
        check(&ledger, TransferRequest::posted(2, movement(z, y, 10)), Err(Reason::OverflowsCreditsPosted))
            .await;
        check(&ledger, TransferRequest::pending(3, movement(z, y, 10), 0), Err(Reason::OverflowsCredits))
            .await;
        check(&ledger, TransferRequest::pending(4, movement(z, w, MAX_BALANCE - 5), 0), Ok(())).await;
        check(
            &ledger,
            TransferRequest::pending(5, movement(y, w, 10), 0),
            Err(Reason::OverflowsCreditsPending),
        )
        .await;
        check(&ledger, TransferRequest::posted(6, movement(z, x, 10)), Err(Reason::OverflowsDebits)).await;
        check(&ledger, TransferRequest::posted(7, movement(w, x, 5)), Ok(())).await;
        assert_eq!(balances(&ledger, y).await.credits_posted, MAX_BALANCE - 5);
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_resubmission_returns_the_original_and_moves_nothing() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 10_000).await;
        let send = TransferRequest::posted(10, movement(ALICE, BOB, 2_500));
        let first = ledger.create_transfer(send).await.unwrap().unwrap();
        assert!(first.created);
        for _ in 0..3 {
            let again = ledger.create_transfer(send).await.unwrap().unwrap();
            assert!(!again.created);
            assert_eq!(again.transfer, first.transfer, "the original, timestamp and all");
        }
        assert_eq!(posted_of(&ledger, ALICE).await, (2_500, 10_000));
        assert_eq!(posted_of(&ledger, BOB).await, (0, 2_500));

        let different = [
            TransferRequest::posted(10, movement(ALICE, BOB, 2_501)),
            TransferRequest::posted(10, movement(BANK, BOB, 2_500)),
            TransferRequest::posted(10, movement(ALICE, BANK, 2_500)),
            TransferRequest::posted(10, with_code(movement(ALICE, BOB, 2_500), 2)),
            TransferRequest::posted(10, movement(ALICE, BOB, 2_500)).linked(),
            TransferRequest::pending(10, movement(ALICE, BOB, 2_500), 0),
            TransferRequest::void(10, 1),
        ];
        for request in different {
            // A linked request alone is an open chain; test the rest alone.
            if request.linked {
                let results = ledger
                    .create_transfers(vec![request, TransferRequest::posted(11, movement(BANK, BOB, 1))])
                    .await
                    .unwrap();
                assert_eq!(results[0], Err(Reason::ExistsWithDifferentFields));
            } else {
                check(&ledger, request, Err(Reason::ExistsWithDifferentFields)).await;
            }
        }
        assert_eq!(posted_of(&ledger, BOB).await, (0, 2_500), "still exactly one send");
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_id_keeps_its_refusal_even_after_the_funds_arrive() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 100).await;
        let too_much = TransferRequest::posted(20, movement(ALICE, BOB, 5_000));
        check(&ledger, too_much, Err(Reason::ExceedsCredits)).await;
        check(&ledger, TransferRequest::posted(21, movement(BANK, ALICE, 10_000)), Ok(())).await;
        // The retry of the refused request must not turn into a payment nobody asked for now.
        check(&ledger, too_much, Err(Reason::ExceedsCredits)).await;
        check(
            &ledger,
            TransferRequest::posted(20, movement(ALICE, BOB, 50)),
            Err(Reason::ExistsWithDifferentFields),
        )
        .await;
        // A stateless refusal is not recorded: the id stays free.
        check(
            &ledger,
            TransferRequest::posted(22, movement(ALICE, ALICE, 5)),
            Err(Reason::AccountsMustBeDifferent),
        )
        .await;
        check(&ledger, TransferRequest::posted(22, movement(ALICE, BOB, 5)), Ok(())).await;
        assert_eq!(posted_of(&ledger, BOB).await, (0, 5));
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        assert_eq!(report.recorded_rejections, 1);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_transfers_reserve_then_post_in_part_or_void() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 10_000).await;
        check(&ledger, TransferRequest::pending(10, movement(ALICE, BOB, 500), 0), Ok(())).await;
        let alice = balances(&ledger, ALICE).await;
        assert_eq!((alice.debits_pending, alice.available_credit_balance()), (500, 9_500));
        // The hold counts against what Alice can spend.
        check(&ledger, TransferRequest::posted(11, movement(ALICE, BOB, 9_501)), Err(Reason::ExceedsCredits))
            .await;

        check(&ledger, TransferRequest::post(12, 10, 501), Err(Reason::ExceedsPendingTransferAmount)).await;
        check(&ledger, TransferRequest::post(13, 10, 200), Ok(())).await;
        let alice = balances(&ledger, ALICE).await;
        assert_eq!((alice.debits_pending, alice.debits_posted), (0, 200), "the rest released");
        let bob = balances(&ledger, BOB).await;
        assert_eq!((bob.credits_pending, bob.credits_posted), (0, 200));
        check(&ledger, TransferRequest::post(14, 10, 100), Err(Reason::PendingTransferAlreadyPosted)).await;
        check(&ledger, TransferRequest::void(15, 10), Err(Reason::PendingTransferAlreadyPosted)).await;

        check(&ledger, TransferRequest::pending(20, movement(ALICE, BOB, 300), 0), Ok(())).await;
        check(&ledger, TransferRequest::void(21, 20), Ok(())).await;
        check(&ledger, TransferRequest::post(22, 20, 300), Err(Reason::PendingTransferAlreadyVoided)).await;
        check(&ledger, TransferRequest::void(23, 20), Err(Reason::PendingTransferAlreadyVoided)).await;
        assert_eq!(balances(&ledger, ALICE).await.available_credit_balance(), 9_800);

        // A full post.
        check(&ledger, TransferRequest::pending(30, movement(ALICE, BOB, 800), 60), Ok(())).await;
        check(&ledger, TransferRequest::post(31, 30, 800), Ok(())).await;
        assert_eq!(balances(&ledger, BOB).await.credits_posted, 1_000);

        let records =
            ledger.lookup_transfers(&[TransferId(10), TransferId(20), TransferId(30)]).await.unwrap();
        let states: Vec<_> =
            records.iter().map(|r| (r.transfer.id.0, r.pending.map(|p| (p.state, p.resolved_by)))).collect();
        assert!(states.contains(&(10, Some((PendingState::Posted, Some(TransferId(13)))))), "{states:?}");
        assert!(states.contains(&(20, Some((PendingState::Voided, Some(TransferId(21)))))), "{states:?}");
        assert!(states.contains(&(30, Some((PendingState::Posted, Some(TransferId(31)))))), "{states:?}");
        // Resubmitting a post is idempotent too.
        let again = ledger.create_transfer(TransferRequest::post(13, 10, 200)).await.unwrap().unwrap();
        assert!(!again.created);
        check(&ledger, TransferRequest::post(13, 10, 150), Err(Reason::ExistsWithDifferentFields)).await;
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

fn manual_config(clock: &Arc<ManualClock>) -> LedgerConfig {
    LedgerConfig {
        clock: clock.clone(),
        expiry_interval: Duration::from_millis(20),
        ..LedgerConfig::default()
    }
}

const START: Timestamp = Timestamp::from_nanos(1_700_000_000_000_000_000);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_pending_transfer_voids_itself_and_cannot_be_posted() {
    for db in TestDb::every_backend().await {
        let clock = Arc::new(ManualClock::new(START));
        let ledger = standard_ledger(&db, manual_config(&clock), 10_000).await;
        check(&ledger, TransferRequest::pending(30, movement(ALICE, BOB, 700), 10), Ok(())).await;
        clock.advance_seconds(9);
        check(&ledger, TransferRequest::posted(31, movement(BANK, ALICE, 1)), Ok(())).await;
        assert_eq!(balances(&ledger, ALICE).await.debits_pending, 700, "not yet expired");

        clock.advance_seconds(2);
        // The idle writer notices on its own, without any new submission.
        let expiry = TransferId::expiry_of(TransferId(30));
        let mut expired = None;
        for _ in 0..250 {
            expired = ledger.lookup_transfers(&[expiry]).await.unwrap().pop();
            if expired.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let expired = expired.expect("the ledger voided the pending transfer");
        assert!(expired.transfer.is_expiry());
        assert_eq!(expired.transfer.amount, 700);
        assert_eq!(expired.transfer.pending_id, Some(TransferId(30)));
        check(&ledger, TransferRequest::post(32, 30, 700), Err(Reason::PendingTransferExpired)).await;
        check(&ledger, TransferRequest::void(33, 30), Err(Reason::PendingTransferExpired)).await;
        let alice = balances(&ledger, ALICE).await;
        assert_eq!((alice.debits_pending, alice.debits_posted), (0, 0));
        let record = ledger.lookup_transfers(&[TransferId(30)]).await.unwrap().pop().unwrap();
        assert_eq!(record.pending.map(|p| p.state), Some(PendingState::Expired));
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_swept_in_bounded_steps_and_a_post_still_sees_it_expired() {
    for db in TestDb::every_backend().await {
        let clock = Arc::new(ManualClock::new(START));
        let config = LedgerConfig { expiry_interval: Duration::from_secs(3600), ..manual_config(&clock) };
        let ledger = standard_ledger(&db, config, 1_000_000).await;
        // More than one batch sweeps (1,000), all expiring at once.
        let holds: Vec<TransferRequest> =
            (0..1_005).map(|i| TransferRequest::pending(1_000 + i, movement(ALICE, BOB, 1), 5)).collect();
        for result in ledger.create_transfers(holds).await.unwrap() {
            result.unwrap();
        }
        clock.advance_seconds(6);
        // This batch sweeps the first 1,000; the last five are expired but still open.
        check(&ledger, TransferRequest::post(5_000, 2_004, 1), Err(Reason::PendingTransferExpired)).await;
        check(&ledger, TransferRequest::posted(5_001, movement(BANK, ALICE, 1)), Ok(())).await;
        let alice = balances(&ledger, ALICE).await;
        assert_eq!(alice.debits_pending, 0, "the second batch swept the rest");
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        assert_eq!(report.open_pendings, 0);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_chains_commit_all_or_nothing() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
        let fee = |id| TransferRequest::posted(id, movement(ALICE, BANK, 10));
        type Case = (Vec<TransferRequest>, Vec<Result<(), Reason>>);
        let cases: Vec<Case> = vec![
            // A payment and its fee: the fee fails, so neither happens.
            (
                vec![TransferRequest::posted(10, movement(ALICE, BOB, 995)).linked(), fee(11)],
                vec![Err(Reason::LinkedEventFailed), Err(Reason::ExceedsCredits)],
            ),
            // A chain whose last request is still linked is refused untouched, even when a
            // member would fail on its own: nothing is applied or recorded.
            (
                vec![fee(12).linked(), fee(13).linked()],
                vec![Err(Reason::LinkedEventFailed), Err(Reason::LinkedEventChainOpen)],
            ),
            (
                vec![TransferRequest::posted(25, movement(BOB, ALICE, 50)).linked(), fee(26).linked()],
                vec![Err(Reason::LinkedEventFailed), Err(Reason::LinkedEventChainOpen)],
            ),
            // A failure in the middle fails the whole chain, before and after.
            (
                vec![fee(14).linked(), fee(-1).linked(), fee(15)],
                vec![
                    Err(Reason::LinkedEventFailed),
                    Err(Reason::IdMustBePositive),
                    Err(Reason::LinkedEventFailed),
                ],
            ),
            // Two chains in one submission are independent.
            (
                vec![fee(16).linked(), TransferRequest::posted(17, movement(BOB, ALICE, 1)), fee(18)],
                vec![Err(Reason::LinkedEventFailed), Err(Reason::ExceedsCredits), Ok(())],
            ),
            // A hold and its post in one chain.
            (
                vec![
                    TransferRequest::pending(19, movement(ALICE, BOB, 100), 0).linked(),
                    TransferRequest::post(20, 19, 60).linked(),
                    fee(21),
                ],
                vec![Ok(()), Ok(()), Ok(())],
            ),
            // A rolled-back void leaves its hold open.
            (vec![TransferRequest::pending(22, movement(ALICE, BOB, 50), 0)], vec![Ok(())]),
            (
                vec![
                    TransferRequest::void(23, 22).linked(),
                    TransferRequest::posted(24, movement(BOB, BANK, 10_000)),
                ],
                vec![Err(Reason::LinkedEventFailed), Err(Reason::ExceedsCredits)],
            ),
        ];
        for (requests, expected) in cases {
            let results = ledger.create_transfers(requests.clone()).await.unwrap();
            let got: Vec<Result<(), Reason>> =
                results.iter().map(|r| r.as_ref().map(|o| assert!(o.created)).map_err(|e| *e)).collect();
            assert_eq!(got, expected, "{requests:?}");
        }
        // Alice: 1,000 − 10 (fee 18) − 60 (post 20) − 10 (fee 21) − 50 held by 22.
        let alice = balances(&ledger, ALICE).await;
        assert_eq!((alice.debits_posted, alice.debits_pending), (80, 50));
        let bob = balances(&ledger, BOB).await;
        assert_eq!(bob.debits_posted, 0, "Bob's payment in the open chain never happened");
        let open = ledger.lookup_transfers(&[TransferId(22)]).await.unwrap().pop().unwrap();
        assert_eq!(open.pending.map(|p| p.state), Some(PendingState::Open));
        // The failed member's refusal was recorded; the rolled-back members' ids are free, and
        // so are the ids of an open chain.
        check(&ledger, fee(11), Err(Reason::ExceedsCredits)).await;
        check(&ledger, TransferRequest::posted(10, movement(ALICE, BOB, 5)), Ok(())).await;
        check(&ledger, TransferRequest::posted(25, movement(ALICE, BOB, 5)), Ok(())).await;
        check(&ledger, fee(13), Ok(())).await;
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_gives_each_submitter_its_own_result() {
    for db in TestDb::every_backend().await {
        // A window long enough that every submission below lands in one batch.
        let config = LedgerConfig { batch_window: Duration::from_millis(200), ..LedgerConfig::default() };
        let ledger = standard_ledger(&db, config, 1_000).await;
        let before = ledger.metrics().batch_size.snapshot().count;
        let mut tasks = Vec::new();
        for i in 0..24_i64 {
            let ledger = ledger.clone();
            // Every third submission asks for more than Alice has.
            let amount = if i % 3 == 0 { 5_000 } else { 10 };
            tasks.push(tokio::spawn(async move {
                let request = TransferRequest::posted(100 + i, movement(ALICE, BOB, amount));
                (i, ledger.create_transfer(request).await.unwrap())
            }));
        }
        for task in tasks {
            let (i, result) = task.await.unwrap();
            if i % 3 == 0 {
                assert_eq!(result.map(|_| ()), Err(Reason::ExceedsCredits), "submission {i}");
            } else {
                assert_eq!(result.map(|o| o.transfer.id), Ok(TransferId(100 + i)), "submission {i}");
            }
        }
        let batches = ledger.metrics().batch_size.snapshot().count - before;
        assert!(batches < 24, "24 submissions took {batches} batches: no grouping happened");
        assert_eq!(balances(&ledger, BOB).await.credits_posted, 16 * 10);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_idempotent_and_named_when_refused() {
    for db in TestDb::every_backend().await {
        let ledger = Ledger::open(&db.url).await.unwrap();
        let wallet = account(AccountId(7), USD, purse_ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS);
        let both = purse_ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS
            .union(purse_ledger::AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS);
        let results = ledger
            .create_accounts(vec![
                wallet,
                wallet,
                account(AccountId(0), USD, purse_ledger::AccountFlags::NONE),
                purse_ledger::NewAccount {
                    code: 0,
                    ..account(AccountId(8), USD, purse_ledger::AccountFlags::NONE)
                },
                account(AccountId(9), USD, both),
                account(
                    AccountId(7),
                    Currency::Eur,
                    purse_ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
                ),
            ])
            .await
            .unwrap();
        let got: Vec<Result<bool, CreateAccountError>> =
            results.into_iter().map(|r| r.map(|o| o.created)).collect();
        assert_eq!(
            got,
            vec![
                Ok(true),
                Ok(false),
                Err(CreateAccountError::IdMustBePositive),
                Err(CreateAccountError::CodeMustNotBeZero),
                Err(CreateAccountError::FlagsAreMutuallyExclusive),
                Err(CreateAccountError::ExistsWithDifferentFields),
            ]
        );
        let again = ledger.create_accounts(vec![wallet]).await.unwrap();
        assert_eq!(again[0].map(|o| o.created), Ok(false));
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_commits_what_was_submitted_and_then_refuses() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000_000).await;
        let mut tasks = Vec::new();
        for i in 0..200_i64 {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                ledger.create_transfer(TransferRequest::posted(10 + i, movement(ALICE, BOB, 1))).await
            }));
        }
        tokio::task::yield_now().await;
        // Two at once: both return only when the writer has flushed.
        tokio::join!(ledger.shutdown(), ledger.shutdown());
        let mut committed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(result) => {
                    result.unwrap();
                    committed += 1;
                }
                Err(error) => assert_eq!(error, purse_ledger::LedgerError::ShutDown),
            }
        }
        let refused = ledger.create_transfer(TransferRequest::posted(9_999, movement(ALICE, BOB, 1))).await;
        assert_eq!(refused, Err(purse_ledger::LedgerError::ShutDown));
        // Reopen: everything acknowledged is there.
        let reopened = Ledger::open(&db.url).await.unwrap();
        let bob = reopened.lookup_account(BOB).await.unwrap().unwrap().balances;
        assert_eq!(bob.credits_posted, committed);
        assert!(reopened.audit().await.unwrap().is_clean());
        reopened.shutdown().await;
    }
}
