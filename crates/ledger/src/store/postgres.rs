//! PostgreSQL: production. Durable commits (the server's `synchronous_commit`), one batch per
//! transaction, writers on any number of instances serialized by `SELECT … FOR UPDATE` on the
//! single `ledger_meta` row. Bulk writes pass one array per column through `UNNEST`, so a batch
//! costs the same handful of statements whatever its size.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};
use tokio::sync::broadcast;

use super::rows::{
    self, ACCOUNT_COLUMNS, AccountRow, FAILED_COLUMNS, FailedRow, FailedValues, TRANSFER_COLUMNS_T,
    TransferRow, TransferWithStateRow,
};
use super::{
    AuditVisitor, BatchKeys, BatchTx, CHANGE_CHANNEL, LATEST_TRANSFER, MAX_EXPIRIES_PER_BATCH, batch_base,
    redact,
};
use crate::error::LedgerError;
use crate::state_machine::{Snapshot, WriteSet};
use crate::types::PendingRecord;
use crate::types::{Account, AccountId, FailedTransfer, LedgerChange, Timestamp, Transfer, TransferId};

/// The ledger's migrations. Versions 1–999 are the ledger's; the server keeps its own tables
/// in the same database with versions from 1000, so each migrator ignores the other's.
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

#[derive(Debug)]
pub(crate) struct PostgresStore {
    pool: PgPool,
}

pub(crate) struct PostgresBatch {
    tx: Transaction<'static, Postgres>,
}

impl PostgresStore {
    pub(crate) async fn open(url: &str, read_only: bool) -> Result<PostgresStore, LedgerError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| LedgerError::InvalidUrl(format!("invalid PostgreSQL URL {:?}: {e}", redact(url))))?;
        if read_only {
            options = options.options([("default_transaction_read_only", "on")]);
        }
        let unreachable =
            |e: sqlx::Error| LedgerError::Database(format!("cannot connect to {}: {e}", redact(url)));
        // One direct connection first: a pool retries a refused connection until its acquire
        // timeout, and an operator with a wrong URL deserves an answer at once.
        PgConnection::connect_with(&options).await.map_err(unreachable)?.close().await.ok();
        // No ping before every use (a round trip per query); a dead connection fails its batch
        // or query once (callers retry with the same ids) and is replaced.
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        if read_only {
            sqlx::query("SELECT last_timestamp FROM ledger_meta")
                .execute(&pool)
                .await
                .map_err(|e| LedgerError::Database(format!("no Purse ledger at {}: {e}", redact(url))))?;
        } else {
            migrator().run(&pool).await?;
        }
        Ok(PostgresStore { pool })
    }

    pub(crate) async fn begin(&self) -> Result<PostgresBatch, LedgerError> {
        // READ COMMITTED explicitly: after waiting on the `ledger_meta` lock, each statement
        // must see what the previous writer committed, whatever the server's default.
        Ok(PostgresBatch { tx: self.pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await? })
    }

    /// `NOTIFY`s `accounts` on [`CHANGE_CHANNEL`], as a committed batch does.
    pub(crate) async fn announce(&self, accounts: &[AccountId]) -> Result<(), LedgerError> {
        let accounts: Vec<(AccountId, crate::types::Balances)> =
            accounts.iter().map(|id| (*id, crate::types::Balances::default())).collect();
        for payload in change_payloads(&accounts) {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGE_CHANNEL)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Listens on [`CHANGE_CHANNEL`] and republishes every batch's changed accounts. After a
    /// lost connection (notifications may have been missed) it publishes `Everything`.
    pub(crate) async fn spawn_change_listener(
        &self,
        changes: broadcast::Sender<LedgerChange>,
    ) -> Result<tokio::task::JoinHandle<()>, LedgerError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANGE_CHANNEL).await?;
        Ok(tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let accounts: Vec<AccountId> = notification
                            .payload()
                            .split(',')
                            .filter_map(|id| id.parse().ok())
                            .map(AccountId)
                            .collect();
                        let _ = changes.send(LedgerChange::Accounts(accounts.into()));
                    }
                    Ok(None) => {
                        tracing::warn!("ledger change listener reconnected; announcing a full refresh");
                        let _ = changes.send(LedgerChange::Everything);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "ledger change listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let _ = changes.send(LedgerChange::Everything);
                    }
                }
            }
        }))
    }

    pub(crate) async fn ping(&self) -> Result<(), LedgerError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn lookup_accounts(&self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        let rows: Vec<AccountRow> =
            sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)"))
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    pub(crate) async fn lookup_transfers(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
        let mut connection = self.pool.acquire().await?;
        select_transfers(&mut connection, ids).await
    }

    /// One of the per-account transfer queries (`ACCOUNT_TRANSFERS`, `ACCOUNT_TRANSFERS_AFTER`):
    /// binds the account, the timestamp bound and the limit.
    pub(crate) async fn account_query(
        &self,
        sql: &str,
        account: i64,
        bound: i64,
        limit: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let rows: Vec<TransferRow> = sqlx::query_as(sql)
            .bind(account)
            .bind(bound)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Transfer::try_from).collect()
    }

    /// The accounts of every transfer with a timestamp after `after` (each once, ascending):
    /// what moved since then, read from the timestamp's own index.
    pub(crate) async fn accounts_moved_after(&self, after: i64) -> Result<Vec<i64>, LedgerError> {
        let rows: Vec<(i64,)> =
            sqlx::query_as(super::ACCOUNTS_MOVED_AFTER).bind(after).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub(crate) async fn latest_transfer(
        &self,
        account: i64,
        at: i64,
    ) -> Result<Option<Transfer>, LedgerError> {
        let row: Option<TransferRow> =
            sqlx::query_as(&LATEST_TRANSFER).bind(account).bind(at).fetch_optional(&self.pool).await?;
        row.map(Transfer::try_from).transpose()
    }

    pub(crate) async fn audit(&self, visitor: &mut (dyn AuditVisitor + Send)) -> Result<(), LedgerError> {
        // One repeatable-read snapshot: every piece, transfers included, agrees with the rest
        // while writers go on.
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        read_audit_snapshot!(tx, visitor);
        tx.rollback().await?;
        Ok(())
    }
}

async fn select_transfers(
    connection: &mut sqlx::PgConnection,
    ids: &[i64],
) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
    let rows: Vec<TransferWithStateRow> = sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS_T}, p.state, p.expires_at, p.resolved_by \
         FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id WHERE t.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    rows.into_iter().map(TransferWithStateRow::into_parts).collect()
}

/// The changed accounts as comma-separated ids, in payloads under PostgreSQL's 8,000-byte
/// `NOTIFY` limit.
fn change_payloads(accounts: &[(AccountId, crate::types::Balances)]) -> Vec<String> {
    const MAX_PAYLOAD_BYTES: usize = 7_000;
    let mut payloads = Vec::new();
    let mut current = String::new();
    for (id, _) in accounts {
        let id = id.0.to_string();
        if !current.is_empty() && current.len() + 1 + id.len() > MAX_PAYLOAD_BYTES {
            payloads.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&id);
    }
    if !current.is_empty() {
        payloads.push(current);
    }
    payloads
}

/// One `Vec` per column, for `UNNEST`.
struct Columns<const N: usize> {
    values: [Vec<i64>; N],
}

impl<const N: usize> Columns<N> {
    fn with_capacity(capacity: usize) -> Columns<N> {
        Columns { values: std::array::from_fn(|_| Vec::with_capacity(capacity)) }
    }

    fn push(&mut self, row: [i64; N]) {
        for (column, value) in self.values.iter_mut().zip(row) {
            column.push(value);
        }
    }

    /// `$1::bigint[], …, $N::bigint[]`: these columns are always the first parameters.
    fn bigint_placeholders(&self) -> String {
        (1..=N).map(|i| format!("${i}::bigint[]")).collect::<Vec<_>>().join(", ")
    }

    /// Binds each column, in order, as one array parameter.
    fn bind(
        self,
        mut query: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        for column in self.values {
            query = query.bind(column);
        }
        query
    }
}

impl BatchTx for PostgresBatch {
    async fn last_timestamp(&mut self) -> Result<i64, LedgerError> {
        let (last,): (i64,) =
            sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1 FOR UPDATE")
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(last)
    }

    async fn load(&mut self, now: Timestamp, keys: &BatchKeys) -> Result<(i64, Snapshot), LedgerError> {
        let last = self.last_timestamp().await?;
        let base = batch_base(now, last);
        let due: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM pending_transfers \
             WHERE state = 0 AND expires_at IS NOT NULL AND expires_at <= $1 \
             ORDER BY expires_at, id LIMIT $2",
        )
        .bind(base.as_nanos())
        .bind(MAX_EXPIRIES_PER_BATCH)
        .fetch_all(&mut *self.tx)
        .await?;
        let expiring: Vec<TransferId> = due.into_iter().map(|(id,)| TransferId(id)).collect();

        let resolved: BTreeSet<i64> =
            keys.pending_ids.iter().copied().chain(expiring.iter().map(|id| id.0)).collect();
        let wanted: Vec<i64> = keys.request_ids.iter().copied().chain(resolved.iter().copied()).collect();
        let mut snapshot = Snapshot { expiring, ..Snapshot::default() };
        let mut account_ids: BTreeSet<i64> = keys.account_ids.iter().copied().collect();
        let found =
            if wanted.is_empty() { Vec::new() } else { select_transfers(&mut self.tx, &wanted).await? };
        for (transfer, record) in found {
            if resolved.contains(&transfer.id.0) {
                account_ids.extend([transfer.debit_account_id.0, transfer.credit_account_id.0]);
            }
            if let Some(record) = record {
                snapshot.pendings.insert(transfer.id, record);
            }
            snapshot.transfers.insert(transfer.id, transfer);
        }
        if !keys.request_ids.is_empty() {
            let rows: Vec<FailedRow> =
                sqlx::query_as(&format!("SELECT {FAILED_COLUMNS} FROM failed_transfers WHERE id = ANY($1)"))
                    .bind(&keys.request_ids)
                    .fetch_all(&mut *self.tx)
                    .await?;
            for row in rows {
                let failed = FailedTransfer::try_from(row)?;
                snapshot.failures.insert(failed.request.id, failed);
            }
        }
        let account_ids: Vec<i64> = account_ids.into_iter().collect();
        for account in self.accounts(&account_ids).await? {
            snapshot.accounts.insert(account.id, account);
        }
        Ok((last, snapshot))
    }

    async fn accounts(&mut self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AccountRow> =
            sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)"))
                .bind(ids)
                .fetch_all(&mut *self.tx)
                .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    async fn write(&mut self, writes: &WriteSet) -> Result<(), LedgerError> {
        if !writes.transfers.is_empty() {
            let mut columns = Columns::<16>::with_capacity(writes.transfers.len());
            let mut pending_ids = Vec::with_capacity(writes.transfers.len());
            let mut currencies = Vec::with_capacity(writes.transfers.len());
            for t in &writes.transfers {
                let [dr0, dr1, dr2, dr3] = rows::balance_values(&t.debit_balances_after)?;
                let [cr0, cr1, cr2, cr3] = rows::balance_values(&t.credit_balances_after)?;
                #[rustfmt::skip]
                columns.push([
                    t.id.0, t.debit_account_id.0, t.credit_account_id.0, rows::signed(t.amount)?,
                    i64::from(t.code), i64::from(t.flags.bits()), i64::from(t.timeout_s),
                    t.timestamp.as_nanos(), dr0, dr1, dr2, dr3, cr0, cr1, cr2, cr3,
                ]);
                pending_ids.push(t.pending_id.map(|p| p.0));
                currencies.push(t.currency.code());
            }
            let sql = format!(
                "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, code, flags, \
                     timeout_s, timestamp, dr_debits_pending, dr_debits_posted, dr_credits_pending, \
                     dr_credits_posted, cr_debits_pending, cr_debits_posted, cr_credits_pending, \
                     cr_credits_posted, pending_id, currency) \
                 SELECT * FROM UNNEST({}, $17::bigint[], $18::text[])",
                columns.bigint_placeholders()
            );
            columns.bind(sqlx::query(&sql)).bind(pending_ids).bind(currencies).execute(&mut *self.tx).await?;
        }

        let (new, changed): (Vec<_>, Vec<_>) = writes.pendings.iter().partition(|(_, _, new)| *new);
        if !new.is_empty() {
            sqlx::query(
                "INSERT INTO pending_transfers (id, state, expires_at, resolved_by) \
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])",
            )
            .bind(new.iter().map(|(id, _, _)| id.0).collect::<Vec<_>>())
            .bind(new.iter().map(|(_, r, _)| i64::from(r.state.as_code())).collect::<Vec<_>>())
            .bind(new.iter().map(|(_, r, _)| r.expires_at.map(|t| t.as_nanos())).collect::<Vec<_>>())
            .bind(new.iter().map(|(_, r, _)| r.resolved_by.map(|t| t.0)).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }
        if !changed.is_empty() {
            sqlx::query(
                "UPDATE pending_transfers AS p SET state = v.state, resolved_by = v.resolved_by \
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS v(id, state, resolved_by) \
                 WHERE p.id = v.id",
            )
            .bind(changed.iter().map(|(id, _, _)| id.0).collect::<Vec<_>>())
            .bind(changed.iter().map(|(_, r, _)| i64::from(r.state.as_code())).collect::<Vec<_>>())
            .bind(changed.iter().map(|(_, r, _)| r.resolved_by.map(|t| t.0)).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }

        if !writes.failures.is_empty() {
            let values: Vec<FailedValues> = writes.failures.iter().map(FailedValues::from).collect();
            let mut columns = Columns::<10>::with_capacity(values.len());
            for f in &values {
                #[rustfmt::skip]
                columns.push([
                    f.id, f.reason, f.flags, f.debit_account_id, f.credit_account_id, f.amount,
                    f.pending_id, f.code, f.timeout_s, f.timestamp,
                ]);
            }
            let currencies: Vec<Option<&str>> = values.iter().map(|f| f.currency).collect();
            let sql = format!(
                "INSERT INTO failed_transfers (id, reason, flags, debit_account_id, \
                     credit_account_id, amount, pending_id, code, timeout_s, timestamp, currency) \
                 SELECT * FROM UNNEST({}, $11::text[])",
                columns.bigint_placeholders()
            );
            columns.bind(sqlx::query(&sql)).bind(currencies).execute(&mut *self.tx).await?;
        }

        if !writes.accounts.is_empty() {
            let mut columns = Columns::<5>::with_capacity(writes.accounts.len());
            for (id, balances) in &writes.accounts {
                let [dp, dpo, cp, cpo] = rows::balance_values(balances)?;
                columns.push([id.0, dp, dpo, cp, cpo]);
            }
            let sql = format!(
                "UPDATE accounts AS a SET debits_pending = v.dp, debits_posted = v.dpo, \
                     credits_pending = v.cp, credits_posted = v.cpo \
                 FROM UNNEST({}) AS v(id, dp, dpo, cp, cpo) \
                 WHERE a.id = v.id",
                columns.bigint_placeholders()
            );
            columns.bind(sqlx::query(&sql)).execute(&mut *self.tx).await?;
        }

        // Every instance listening hears which accounts moved, when (and only if) this commits.
        for payload in change_payloads(&writes.accounts) {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGE_CHANNEL)
                .bind(payload)
                .execute(&mut *self.tx)
                .await?;
        }
        self.set_last_timestamp(writes.last_timestamp.as_nanos()).await
    }

    async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), LedgerError> {
        sqlx::query(&format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}) \
             SELECT id, currency, code, flags, 0, 0, 0, 0, timestamp \
             FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) \
                 AS v(id, currency, code, flags, timestamp)"
        ))
        .bind(accounts.iter().map(|a| a.id.0).collect::<Vec<_>>())
        .bind(accounts.iter().map(|a| a.currency.code()).collect::<Vec<_>>())
        .bind(accounts.iter().map(|a| i64::from(a.code)).collect::<Vec<_>>())
        .bind(accounts.iter().map(|a| i64::from(a.flags.bits())).collect::<Vec<_>>())
        .bind(accounts.iter().map(|a| a.timestamp.as_nanos()).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn set_last_timestamp(&mut self, last: i64) -> Result<(), LedgerError> {
        sqlx::query("UPDATE ledger_meta SET last_timestamp = $1 WHERE id = 1 AND last_timestamp < $1")
            .bind(last)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn commit(self) -> Result<(), LedgerError> {
        self.tx.commit().await?;
        Ok(())
    }
}
