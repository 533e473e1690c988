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
        ledger.create_transfer(TransferRequest::pending(10, movement(ALICE, BOB, 100), 0)).await.unwrap().unwrap();
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
        ledger.create_transfer(TransferRequest::posted(10, movement(ALICE, BOB, 100))).await.unwrap().unwrap();
        ledger.create_transfer(TransferRequest::pending(11, movement(ALICE, BOB, 50), 0)).await.unwrap().unwrap();
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
        ("postgres://nobody:secret@127.0.0.1:1/purse".into(), |e| {
            matches!(e, LedgerError::Database(m) if m.contains("cannot connect") && !m.contains("secret"))
        }),
        ("postgres://[::1".into(), |e| matches!(e, LedgerError::InvalidUrl(_))),
    ];
    for (url, expected) in cases {
        let error = Ledger::open(&url).await.expect_err(&url);
        assert!(expected(&error), "{url}: {error:?}");
        assert!(!error.to_string().contains('\n'), "{url}: {error}");
    }
}
