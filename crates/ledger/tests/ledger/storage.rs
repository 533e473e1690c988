//! The storage layer: constraints that mirror the invariants, the auditor catching tampering,
//! and clear errors for bad database URLs.

use purse_ledger::{Ledger, LedgerConfig, LedgerError, TransferRequest};
use sqlx::Connection;

use crate::support::*;

/// Runs `sql` directly against the test database, bypassing the ledger.
async fn raw(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    if db.backend == "sqlite" {
        let mut connection = sqlx::SqliteConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut connection).await?.rows_affected())
    } else {
        let mut connection = sqlx::PgConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut connection).await?.rows_affected())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_rows_that_break_the_invariants() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
        ledger
            .create_transfer(TransferRequest::pending(10, movement(ALICE, BOB, 100), 0))
            .await
            .unwrap()
            .unwrap();
        ledger.create_transfer(TransferRequest::post(11, 10, 100)).await.unwrap().unwrap();
        let refused = [
            // A wallet below zero.
            "UPDATE accounts SET debits_posted = credits_posted + 1 WHERE id = 2",
            // A negative balance column.
            "UPDATE accounts SET credits_pending = -1 WHERE id = 1",
            // A transfer from an account to itself.
            "UPDATE transfers SET credit_account_id = debit_account_id WHERE id = 1",
            // A zero amount.
            "UPDATE transfers SET amount = 0 WHERE id = 1",
            // Two timestamps alike.
            "UPDATE transfers SET timestamp = (SELECT timestamp FROM transfers WHERE id = 10) WHERE id = 1",
            // A second resolution of the same pending transfer.
            "UPDATE transfers SET pending_id = 10 WHERE id = 1",
            // A caller-style negative id that is not an expiry.
            "UPDATE transfers SET id = -1 WHERE id = 1",
            // A pending transfer open and resolved at once.
            "UPDATE pending_transfers SET state = 0 WHERE id = 10",
            // An account that is both kinds of limited.
            "UPDATE accounts SET flags = 3 WHERE id = 1",
        ];
        for sql in refused {
            assert!(raw(&db, sql).await.is_err(), "{}: {sql}", db.backend);
        }
        let report = ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_finds_what_the_constraints_cannot() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000).await;
        ledger
            .create_transfer(TransferRequest::posted(10, movement(ALICE, BOB, 100)))
            .await
            .unwrap()
            .unwrap();
        ledger
            .create_transfer(TransferRequest::pending(11, movement(ALICE, BOB, 50), 0))
            .await
            .unwrap()
            .unwrap();
        assert!(ledger.audit().await.unwrap().is_clean());

        let tampering = [
            // Money from nowhere: a credit without its debit.
            ("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = 3", "account 3"),
            // A snapshot that does not match history.
            ("UPDATE transfers SET dr_debits_posted = dr_debits_posted + 1 WHERE id = 10", "transfer 10"),
            // A hold that lost its transfer.
            ("UPDATE accounts SET debits_pending = 0 WHERE id = 2", "account 2"),
        ];
        for (sql, mentioned) in tampering {
            assert_eq!(raw(&db, sql).await.unwrap(), 1, "{sql}");
            let report = ledger.audit().await.unwrap();
            assert!(!report.is_clean(), "{}: audit missed {sql}", db.backend);
            assert!(
                report.violations.iter().any(|v| v.contains(mentioned)),
                "{sql}: {:?}",
                report.violations
            );
        }
        ledger.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_database_urls_get_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let under_file = format!("sqlite://{}/purse.db", file.display());
    type Expected = fn(&LedgerError) -> bool;
    let cases: Vec<(String, Expected)> = vec![
        ("mysql://root@localhost/purse".into(), |e| matches!(e, LedgerError::InvalidUrl(_))),
        ("data/purse.db".into(), |e| matches!(e, LedgerError::InvalidUrl(_))),
        ("sqlite::memory:".into(), |e| matches!(e, LedgerError::InvalidUrl(_))),
        (under_file, |e| matches!(e, LedgerError::Database(m) if m.contains("cannot create folder"))),
        (
            "postgres://nobody:secret@127.0.0.1:1/purse".into(),
            |e| matches!(e, LedgerError::Database(m) if m.contains("cannot connect") && !m.contains("secret")),
        ),
        ("postgres://[::1".into(), |e| matches!(e, LedgerError::InvalidUrl(_))),
    ];
    for (url, expected) in cases {
        let error = Ledger::open(&url).await.expect_err(&url);
        assert!(expected(&error), "{url}: {error:?}");
        assert!(!error.to_string().contains('\n'), "{url}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_ledger_moves_nothing_and_creates_nothing() {
    for db in TestDb::every_backend().await {
        use std::sync::Arc;
        let clock = Arc::new(purse_ledger::ManualClock::new(purse_ledger::Timestamp::from_nanos(
            1_600_000_000_000_000_000,
        )));
        let config = LedgerConfig { clock, ..LedgerConfig::default() };
        let ledger = standard_ledger(&db, config, 1_000).await;
        // A hold whose one-second timeout passed long ago by the wall clock.
        ledger
            .create_transfer(TransferRequest::pending(10, movement(ALICE, BOB, 100), 1))
            .await
            .unwrap()
            .unwrap();
        ledger.shutdown().await;

        let reader = Ledger::open_read_only(&db.url).await.unwrap();
        let refused = reader.create_transfer(TransferRequest::posted(11, movement(ALICE, BOB, 1))).await;
        assert_eq!(refused, Err(LedgerError::ReadOnly));
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
        let hold = reader.lookup_transfers(&[purse_ledger::TransferId(10)]).await.unwrap().pop().unwrap();
        assert_eq!(hold.pending.map(|p| p.state), Some(purse_ledger::PendingState::Open), "no sweep ran");
        assert!(reader.audit().await.unwrap().is_clean());
        reader.shutdown().await;
    }
    // Nothing there: an error, and no file left behind.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let error = Ledger::open_read_only(&format!("sqlite://{}", path.display())).await.expect_err("absent");
    assert!(matches!(error, LedgerError::Database(_)), "{error:?}");
    assert!(!path.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_audit_leaves_no_stale_reader_behind() {
    for db in TestDb::every_backend().await {
        let ledger = standard_ledger(&db, LedgerConfig::default(), 1_000_000).await;
        for round in 0..30_i64 {
            let budget = std::time::Duration::from_micros(50 << (round % 8));
            let _ = tokio::time::timeout(budget, ledger.audit()).await;
            let id = 100 + round;
            ledger
                .create_transfer(TransferRequest::posted(id, movement(ALICE, BOB, 1)))
                .await
                .unwrap()
                .unwrap();
            let found = ledger.lookup_transfers(&[purse_ledger::TransferId(id)]).await.unwrap();
            assert_eq!(found.len(), 1, "{} round {round}: a reader missed a committed transfer", db.backend);
        }
        assert!(ledger.audit().await.unwrap().is_clean());
        ledger.shutdown().await;
    }
}

#[tokio::test]
async fn a_refused_row_is_named_a_constraint_violation() {
    let db = TestDb::sqlite();
    let ledger = standard_ledger(&db, LedgerConfig::default(), 0).await;
    ledger.shutdown().await;
    let mut connection = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    let error = sqlx::query("UPDATE accounts SET credits_posted = -5 WHERE id = 1")
        .execute(&mut connection)
        .await
        .expect_err("a CHECK refuses it");
    let error = LedgerError::from(error);
    assert!(matches!(error, LedgerError::Constraint(_)), "{error:?}");
    assert!(error.may_be_one_submissions_fault());
    assert!(!LedgerError::Database("connection reset".into()).may_be_one_submissions_fault());
}
