//! Storage: the two backends behind one interface, and the batch flow they share.
//!
//! A batch is one database transaction: read the last timestamp (taking the writer's lock),
//! find pending transfers that have expired, load the rows the batch touches, run the pure
//! [`state_machine`](crate::state_machine), write what it decided with a handful of multi-row
//! statements, commit. The number of statements per batch does not grow with the batch: that,
//! not a weaker `synchronous` setting, is where throughput comes from.

pub(crate) mod rows;
// After `read_audit_snapshot!`, which they use.

use std::collections::{BTreeSet, HashMap};

use crate::error::LedgerError;
use crate::reject::CreateAccountError;
use crate::state_machine::{self, Execution, Snapshot, WriteSet};
use crate::types::{
    Account, AccountFlags, AccountId, Balances, LedgerChange, NewAccount, PendingRecord, Timestamp, Transfer,
    TransferId, TransferKind, TransferRequest,
};

pub(crate) use postgres::PostgresStore;
pub(crate) use sqlite::SqliteStore;

/// At most this many expired pending transfers are voided per batch; the rest wait for the next.
pub(crate) const MAX_EXPIRIES_PER_BATCH: i64 = 1_000;

/// The database behind a ledger.
#[derive(Debug)]
pub(crate) enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// An account's transfers newest first, strictly before `$2`, at most `$3`: the two index
/// scans (as debit, as credit) merged. `$N` placeholders work on both backends.
pub(crate) static ACCOUNT_TRANSFERS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns = rows::TRANSFER_COLUMNS;
    format!(
        "SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE debit_account_id = $1 AND timestamp < $2 ORDER BY timestamp DESC LIMIT $3) AS d \
         UNION ALL \
         SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE credit_account_id = $1 AND timestamp < $2 ORDER BY timestamp DESC LIMIT $3) AS c \
         ORDER BY timestamp DESC LIMIT $3"
    )
});

/// An account's transfers strictly after `$2`, oldest first, at most `$3`.
/// The accounts moved after a timestamp (`$1`), each once.
pub(crate) const ACCOUNTS_MOVED_AFTER: &str = "SELECT debit_account_id FROM transfers WHERE timestamp > $1 \
     UNION SELECT credit_account_id FROM transfers WHERE timestamp > $1 ORDER BY 1";

pub(crate) static ACCOUNT_TRANSFERS_AFTER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns = rows::TRANSFER_COLUMNS;
    format!(
        "SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE debit_account_id = $1 AND timestamp > $2 ORDER BY timestamp LIMIT $3) AS d \
         UNION ALL \
         SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE credit_account_id = $1 AND timestamp > $2 ORDER BY timestamp LIMIT $3) AS c \
         ORDER BY timestamp LIMIT $3"
    )
});

/// The channel on which PostgreSQL batches announce the accounts they changed.
pub(crate) const CHANGE_CHANNEL: &str = "purse_ledger_changes";

/// The latest transfer touching account `$1` at or before `$2`.
pub(crate) static LATEST_TRANSFER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns = rows::TRANSFER_COLUMNS;
    format!(
        "SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE debit_account_id = $1 AND timestamp <= $2 ORDER BY timestamp DESC LIMIT 1) AS d \
         UNION ALL \
         SELECT * FROM (SELECT {columns} FROM transfers \
             WHERE credit_account_id = $1 AND timestamp <= $2 ORDER BY timestamp DESC LIMIT 1) AS c \
         ORDER BY timestamp DESC LIMIT 1"
    )
});

/// Reads an audit's snapshot inside the open read transaction `$tx` and feeds `$visitor`: the
/// same statements on both backends, only the transaction type differs.
macro_rules! read_audit_snapshot {
    ($tx:expr, $visitor:expr) => {{
        use futures_util::TryStreamExt;
        use $crate::store::rows::{ACCOUNT_COLUMNS, AccountRow, TRANSFER_COLUMNS, TransferRow};
        let accounts: Vec<AccountRow> =
            sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"))
                .fetch_all(&mut *$tx)
                .await?;
        let pendings: Vec<(i64, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT id, state, expires_at, resolved_by FROM pending_transfers")
                .fetch_all(&mut *$tx)
                .await?;
        let failed_ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM failed_transfers").fetch_all(&mut *$tx).await?;
        let (last_timestamp,): (i64,) = sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1")
            .fetch_one(&mut *$tx)
            .await?;
        $visitor.start($crate::store::AuditData::from_rows(accounts, pendings, failed_ids, last_timestamp)?);
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers ORDER BY timestamp");
        let mut stream = sqlx::query_as::<_, TransferRow>(&sql).fetch(&mut *$tx);
        while let Some(row) = stream.try_next().await? {
            $visitor.visit($crate::types::Transfer::try_from(row)?);
        }
    }};
}

mod postgres;
mod sqlite;

pub use sqlite::WriteGate;

/// What receives an audit's snapshot.
pub(crate) trait AuditVisitor {
    fn start(&mut self, data: AuditData);
    fn visit(&mut self, transfer: Transfer);
}

/// Everything a full audit reads besides the transfers.
#[derive(Debug, Default)]
pub(crate) struct AuditData {
    pub accounts: Vec<Account>,
    pub pendings: HashMap<TransferId, PendingRecord>,
    pub failed_ids: Vec<TransferId>,
    pub last_timestamp: i64,
}

/// What a batch must read: the ids its requests name.
#[derive(Debug, Default)]
pub(crate) struct BatchKeys {
    /// Positive ids of the requests (committed or refused before?).
    pub request_ids: Vec<i64>,
    /// Positive ids of the pending transfers that posts and voids name.
    pub pending_ids: Vec<i64>,
    /// Positive ids of the accounts that new transfers name.
    pub account_ids: Vec<i64>,
}

impl BatchKeys {
    fn of(submissions: &[Vec<TransferRequest>]) -> BatchKeys {
        let mut request_ids = BTreeSet::new();
        let mut pending_ids = BTreeSet::new();
        let mut account_ids = BTreeSet::new();
        for request in submissions.iter().flatten() {
            request_ids.insert(request.id.0);
            match request.kind {
                TransferKind::Posted(m) | TransferKind::Pending { movement: m, .. } => {
                    account_ids.extend([m.debit_account_id.0, m.credit_account_id.0]);
                }
                TransferKind::PostPending { pending_id, .. } | TransferKind::VoidPending { pending_id } => {
                    pending_ids.insert(pending_id.0);
                }
            }
        }
        let positive = |set: BTreeSet<i64>| set.into_iter().filter(|id| *id > 0).collect();
        BatchKeys {
            request_ids: positive(request_ids),
            pending_ids: positive(pending_ids),
            account_ids: positive(account_ids),
        }
    }
}

/// The first timestamp a batch may give: after the last one, and not before the clock.
pub(crate) fn batch_base(now: Timestamp, last_timestamp: i64) -> Timestamp {
    Timestamp(now.as_nanos().max(last_timestamp.saturating_add(1)))
}

/// One batch's database transaction, as the shared flow needs it.
pub(crate) trait BatchTx {
    /// Takes the writer's lock and reads everything the batch needs: the last timestamp, the
    /// pending transfers due to expire at [`batch_base`] (at most [`MAX_EXPIRIES_PER_BATCH`],
    /// oldest first), the committed and refused transfers with the requested ids, the pending
    /// transfers named and due, and every account those and the new transfers touch.
    async fn load(&mut self, now: Timestamp, keys: &BatchKeys) -> Result<(i64, Snapshot), LedgerError>;
    async fn write(&mut self, writes: &WriteSet) -> Result<(), LedgerError>;
    /// The last timestamp given out; also takes the lock that serializes writers.
    async fn last_timestamp(&mut self) -> Result<i64, LedgerError>;
    async fn accounts(&mut self, ids: &[i64]) -> Result<Vec<Account>, LedgerError>;
    async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), LedgerError>;
    async fn set_last_timestamp(&mut self, last: i64) -> Result<(), LedgerError>;
    async fn commit(self) -> Result<(), LedgerError>;
}

impl AuditData {
    fn from_rows(
        accounts: Vec<rows::AccountRow>,
        pendings: Vec<(i64, i64, Option<i64>, Option<i64>)>,
        failed_ids: Vec<(i64,)>,
        last_timestamp: i64,
    ) -> Result<AuditData, LedgerError> {
        let mut data = AuditData { last_timestamp, ..AuditData::default() };
        for row in accounts {
            data.accounts.push(Account::try_from(row)?);
        }
        for (id, state, expires_at, resolved_by) in pendings {
            data.pendings.insert(TransferId(id), rows::pending_record(state, expires_at, resolved_by)?);
        }
        data.failed_ids = failed_ids.into_iter().map(|(id,)| TransferId(id)).collect();
        Ok(data)
    }
}

impl Store {
    /// Connects to `url` (`sqlite:` or `postgres://`), creating and migrating as needed, or,
    /// `read_only`, touching nothing.
    pub(crate) async fn open(url: &str, read_only: bool) -> Result<Store, LedgerError> {
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(SqliteStore::open(url, read_only).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PostgresStore::open(url, read_only).await?))
        } else {
            Err(LedgerError::InvalidUrl(format!(
                "unsupported database URL {:?}: expected sqlite:PATH or postgres://…",
                redact(url)
            )))
        }
    }

    pub(crate) fn write_gate(&self) -> Option<WriteGate> {
        match self {
            Store::Sqlite(store) => Some(store.gate()),
            Store::Postgres(_) => None,
        }
    }

    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Runs one batch of transfer submissions in one transaction.
    pub(crate) async fn transfer_batch(
        &self,
        now: Timestamp,
        submissions: &[Vec<TransferRequest>],
    ) -> Result<Execution, LedgerError> {
        match self {
            Store::Sqlite(store) => {
                let mut tx = store.begin().await?;
                match run_batch(&mut tx, now, submissions).await {
                    Ok(execution) => tx.commit().await.map(|()| execution),
                    Err(error) => {
                        tx.rollback().await;
                        Err(error)
                    }
                }
            }
            Store::Postgres(store) => {
                // A batch that lost its connection before its commit wrote nothing: it is made
                // again on another connection (each dead pooled one is dropped as it fails), so
                // terminated connections cost a retry, not failed requests. A loss at the commit
                // is reported: its fate is unknown, and the caller's retry with the same ids is
                // what is safe.
                let mut tries = 0;
                loop {
                    // `sqlx::Transaction` rolls back when dropped.
                    let attempt = async {
                        let mut tx = store.begin().await?;
                        let execution = run_batch(&mut tx, now, submissions).await?;
                        Ok::<_, LedgerError>((tx, execution))
                    };
                    match attempt.await {
                        Ok((tx, execution)) => {
                            tx.commit().await.map_err(|error| match error {
                                LedgerError::ConnectionLost(text) => LedgerError::Database(text),
                                other => other,
                            })?;
                            return Ok(execution);
                        }
                        Err(LedgerError::ConnectionLost(error)) if tries < CONNECTION_RETRIES => {
                            tries += 1;
                            tracing::info!(%error, tries, "a ledger batch lost its connection before committing; again");
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
    }

    pub(crate) async fn create_accounts(
        &self,
        now: Timestamp,
        accounts: &[NewAccount],
    ) -> Result<Vec<Result<(Account, bool), CreateAccountError>>, LedgerError> {
        match self {
            Store::Sqlite(store) => {
                let mut tx = store.begin().await?;
                match run_create_accounts(&mut tx, now, accounts).await {
                    Ok(results) => tx.commit().await.map(|()| results),
                    Err(error) => {
                        tx.rollback().await;
                        Err(error)
                    }
                }
            }
            Store::Postgres(store) => {
                let mut tx = store.begin().await?;
                let results = run_create_accounts(&mut tx, now, accounts).await?;
                tx.commit().await?;
                Ok(results)
            }
        }
    }

    pub(crate) async fn ping(&self) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(store) => store.ping().await,
            Store::Postgres(store) => store.ping().await,
        }
    }

    pub(crate) async fn lookup_accounts(&self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        match self {
            Store::Sqlite(store) => store.lookup_accounts(ids).await,
            Store::Postgres(store) => on_live_connection(|| store.lookup_accounts(ids)).await,
        }
    }

    pub(crate) async fn lookup_transfers(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
        match self {
            Store::Sqlite(store) => store.lookup_transfers(ids).await,
            Store::Postgres(store) => on_live_connection(|| store.lookup_transfers(ids)).await,
        }
    }

    pub(crate) async fn account_transfers(
        &self,
        account: AccountId,
        before: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let before = before.map_or(i64::MAX, Timestamp::as_nanos);
        match self {
            Store::Sqlite(store) => store.account_query(&ACCOUNT_TRANSFERS, account.0, before, limit).await,
            Store::Postgres(store) => {
                on_live_connection(|| store.account_query(&ACCOUNT_TRANSFERS, account.0, before, limit)).await
            }
        }
    }

    pub(crate) async fn account_transfers_after(
        &self,
        account: AccountId,
        after: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let after = after.map_or(i64::MIN, Timestamp::as_nanos);
        let sql = &ACCOUNT_TRANSFERS_AFTER;
        match self {
            Store::Sqlite(store) => store.account_query(sql, account.0, after, limit).await,
            Store::Postgres(store) => {
                on_live_connection(|| store.account_query(sql, account.0, after, limit)).await
            }
        }
    }

    /// PostgreSQL: a task listening for other writers' (and our own) `NOTIFY`s. SQLite: none,
    /// the writer announces its own batches.
    /// Announces `accounts` through the database when it carries announcements (PostgreSQL's
    /// `NOTIFY`); `false` when the caller must announce in process.
    pub(crate) async fn announce(&self, accounts: &[AccountId]) -> Result<bool, LedgerError> {
        match self {
            Store::Sqlite(_) => Ok(false),
            Store::Postgres(store) => store.announce(accounts).await.map(|()| true),
        }
    }

    pub(crate) async fn spawn_change_listener(
        &self,
        changes: tokio::sync::broadcast::Sender<LedgerChange>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, LedgerError> {
        match self {
            Store::Sqlite(_) => Ok(None),
            Store::Postgres(store) => store.spawn_change_listener(changes).await.map(Some),
        }
    }

    /// The latest transfer touching `account` at or before `at`.
    pub(crate) async fn accounts_moved_after(&self, after: Timestamp) -> Result<Vec<AccountId>, LedgerError> {
        let ids = match self {
            Store::Sqlite(store) => store.accounts_moved_after(after.as_nanos()).await?,
            Store::Postgres(store) => {
                on_live_connection(|| store.accounts_moved_after(after.as_nanos())).await?
            }
        };
        Ok(ids.into_iter().map(AccountId).collect())
    }

    pub(crate) async fn latest_transfer(
        &self,
        account: AccountId,
        at: Timestamp,
    ) -> Result<Option<Transfer>, LedgerError> {
        match self {
            Store::Sqlite(store) => store.latest_transfer(account.0, at.as_nanos()).await,
            Store::Postgres(store) => {
                on_live_connection(|| store.latest_transfer(account.0, at.as_nanos())).await
            }
        }
    }

    /// Reads everything an audit needs from one consistent snapshot: `visitor` gets the
    /// accounts, pending states and refused ids first, then every committed transfer in
    /// timestamp order.
    pub(crate) async fn audit(&self, visitor: &mut (dyn AuditVisitor + Send)) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(store) => store.audit(visitor).await,
            Store::Postgres(store) => store.audit(visitor).await,
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Store::Sqlite(store) => store.close().await,
            Store::Postgres(store) => store.close().await,
        }
    }
}

/// How many times a PostgreSQL batch meets a lost connection before its commit and is made
/// again: the pool's size plus one reaches a live connection.
const CONNECTION_RETRIES: usize = 9;

/// Runs a PostgreSQL read again when it met a lost connection (each dead pooled connection is
/// dropped as it fails), up to [`CONNECTION_RETRIES`] times.
async fn on_live_connection<T, F, Fut>(read: F) -> Result<T, LedgerError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, LedgerError>>,
{
    let mut tries = 0;
    loop {
        match read().await {
            Err(LedgerError::ConnectionLost(error)) if tries < CONNECTION_RETRIES => {
                tries += 1;
                tracing::info!(%error, tries, "a ledger read lost its connection; again");
            }
            result => return result,
        }
    }
}

/// The shared batch flow; see the module docs.
async fn run_batch<T: BatchTx>(
    tx: &mut T,
    now: Timestamp,
    submissions: &[Vec<TransferRequest>],
) -> Result<Execution, LedgerError> {
    let (last, snapshot) = tx.load(now, &BatchKeys::of(submissions)).await?;
    let execution = state_machine::execute(snapshot, batch_base(now, last), submissions);
    if !execution.violations.is_empty() {
        return Err(LedgerError::InvariantViolated(execution.violations.join("; ")));
    }
    if !execution.writes.is_empty() {
        tx.write(&execution.writes).await?;
    }
    Ok(execution)
}

async fn run_create_accounts<T: BatchTx>(
    tx: &mut T,
    now: Timestamp,
    accounts: &[NewAccount],
) -> Result<Vec<Result<(Account, bool), CreateAccountError>>, LedgerError> {
    let timestamp = batch_base(now, tx.last_timestamp().await?);
    let ids: Vec<i64> = accounts.iter().map(|a| a.id.0).filter(|id| *id > 0).collect();
    let mut known: HashMap<AccountId, Account> =
        tx.accounts(&ids).await?.into_iter().map(|a| (a.id, a)).collect();

    let mut created = Vec::new();
    let results = accounts
        .iter()
        .map(|new| {
            validate_account(new)?;
            if let Some(existing) = known.get(&new.id) {
                let same = existing.currency == new.currency
                    && existing.code == new.code
                    && existing.flags == new.flags;
                return if same {
                    Ok((*existing, false))
                } else {
                    Err(CreateAccountError::ExistsWithDifferentFields)
                };
            }
            let account = Account {
                id: new.id,
                currency: new.currency,
                code: new.code,
                flags: new.flags,
                balances: Balances::default(),
                timestamp,
            };
            known.insert(account.id, account);
            created.push(account);
            Ok((account, true))
        })
        .collect();
    if !created.is_empty() {
        tx.insert_accounts(&created).await?;
        tx.set_last_timestamp(timestamp.as_nanos()).await?;
    }
    Ok(results)
}

/// The stateless account checks, in the order of [`CreateAccountError`].
fn validate_account(account: &NewAccount) -> Result<(), CreateAccountError> {
    if account.id.0 <= 0 {
        return Err(CreateAccountError::IdMustBePositive);
    }
    if account.code == 0 {
        return Err(CreateAccountError::CodeMustNotBeZero);
    }
    let both =
        AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.union(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS);
    if account.flags.contains(both) {
        return Err(CreateAccountError::FlagsAreMutuallyExclusive);
    }
    Ok(())
}

/// A URL with any password replaced, for error messages and logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme_end], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        let cases = [
            ("postgres://u:secret@host/db", "postgres://u:***@host/db"),
            ("postgres://u@host/db", "postgres://u@host/db"),
            ("sqlite://data/purse.db", "sqlite://data/purse.db"),
            ("mysql://a:b@c", "mysql://a:***@c"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected);
        }
    }
}
