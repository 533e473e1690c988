//! Test support shared by the ledger's test binaries: a fresh database per test on every
//! backend this machine has (SQLite always; PostgreSQL when `DATABASE_URL` is set), and the
//! standard set of accounts most tests start from.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

use purse_api::Currency;
use purse_ledger::{AccountFlags, AccountId, Ledger, LedgerConfig, Movement, NewAccount, TransferRequest};

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// One fresh database per backend available here.
    pub async fn every_backend() -> Vec<TestDb> {
        let mut databases = vec![TestDb::sqlite()];
        if let Some(base) = postgres_url() {
            databases.push(TestDb::postgres(&base).await);
        }
        databases
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        TestDb { url, backend: "sqlite", cleanup: None, _dir: Some(dir) }
    }

    pub async fn postgres(base: &str) -> TestDb {
        use sqlx::Connection;
        let name = format!(
            "purse_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create db");
        admin.close().await.ok();
        TestDb {
            url: with_database(base, &name),
            backend: "postgres",
            cleanup: Some((base.to_string(), name)),
            _dir: None,
        }
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database (SQLite's folder goes with `_dir`). Runs on its own
    /// thread and runtime, since `Drop` cannot await.
    fn drop(&mut self) {
        let Some((base, name)) = self.cleanup.take() else { return };
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(&sql).execute(&mut admin).await;
                        let _ = admin.close().await;
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|url| url.starts_with("postgres"))
}

/// `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (base, String::new()),
    };
    let authority_start = without_query.find("://").map_or(0, |i| i + 3);
    let prefix = match without_query[authority_start..].find('/') {
        Some(slash) => &without_query[..authority_start + slash],
        None => without_query,
    };
    format!("{prefix}/{name}{query}")
}

pub const USD: Currency = Currency::Usd;
pub const CODE: u16 = 1;

/// The standard accounts: a bank clearing account with no limits, two wallets that cannot go
/// below zero, an account whose credits cannot exceed its debits, and one in EUR.
pub const BANK: AccountId = AccountId(1);
pub const ALICE: AccountId = AccountId(2);
pub const BOB: AccountId = AccountId(3);
pub const CAPPED: AccountId = AccountId(4);
pub const EURO: AccountId = AccountId(5);
pub const MISSING: AccountId = AccountId(99);

pub fn account(id: AccountId, currency: Currency, flags: AccountFlags) -> NewAccount {
    NewAccount { id, currency, code: 10, flags }
}

pub fn standard_accounts() -> Vec<NewAccount> {
    vec![
        account(BANK, USD, AccountFlags::NONE),
        account(ALICE, USD, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        account(BOB, USD, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        account(CAPPED, USD, AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS),
        account(EURO, Currency::Eur, AccountFlags::NONE),
    ]
}

pub fn movement(debit: AccountId, credit: AccountId, amount: u64) -> Movement {
    Movement { debit_account_id: debit, credit_account_id: credit, amount, currency: USD, code: CODE }
}

/// A ledger with the standard accounts, Alice funded with `alice_funds` from the bank
/// (transfer id 1).
pub async fn standard_ledger(db: &TestDb, config: LedgerConfig, alice_funds: u64) -> Ledger {
    let ledger = Ledger::open_with(&db.url, config).await.expect("open ledger");
    for result in ledger.create_accounts(standard_accounts()).await.expect("accounts") {
        result.expect("account created");
    }
    if alice_funds > 0 {
        let funding = TransferRequest::posted(1, movement(BANK, ALICE, alice_funds));
        ledger.create_transfer(funding).await.expect("submit").expect("funded");
    }
    ledger
}
