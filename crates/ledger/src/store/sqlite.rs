//! SQLite: the embedded default. WAL mode with `synchronous=FULL`, so a committed batch
//! survives power loss. One writer connection (`BEGIN IMMEDIATE`), a small pool of read-only
//! readers that WAL lets run beside it. Bulk writes are multi-row `INSERT … VALUES` and one
//! `UPDATE … FROM (VALUES …)` per table and batch.

use std::str::FromStr;
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};

use super::rows::{
    self, ACCOUNT_COLUMNS, AccountRow, FAILED_COLUMNS, FailedRow, FailedValues, TRANSFER_COLUMNS,
    TRANSFER_COLUMNS_T, TransferRow, TransferWithStateRow,
};
use super::{AuditData, BatchTx};
use crate::error::LedgerError;
use crate::state_machine::WriteSet;
use crate::types::PendingRecord;
use crate::types::{Account, FailedTransfer, Transfer, TransferId};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Rows per multi-row statement: 18 columns × 500 stays under SQLite's 32,766 variables.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Debug)]
pub(crate) struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

pub(crate) struct SqliteBatch {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteStore {
    pub(crate) async fn open(url: &str) -> Result<SqliteStore, LedgerError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| LedgerError::InvalidUrl(format!("invalid SQLite URL {url:?}: {e}")))?;
        let path = options.get_filename().to_path_buf();
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(LedgerError::InvalidUrl(
                "in-memory SQLite is not supported: the ledger needs a file (sqlite:PATH)".into(),
            ));
        }
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|e| {
                LedgerError::Database(format!("cannot create folder {}: {e}", folder.display()))
            })?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let open_error = |e: sqlx::Error| {
            LedgerError::Database(format!("cannot open {}: {}", path.display(), e))
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_error)?;
        Ok(SqliteStore { writer, reader })
    }

    pub(crate) async fn begin(&self) -> Result<SqliteBatch, LedgerError> {
        Ok(SqliteBatch { tx: self.writer.begin_with("BEGIN IMMEDIATE").await? })
    }

    pub(crate) async fn ping(&self) -> Result<(), LedgerError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    pub(crate) async fn lookup_accounts(&self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        let mut accounts = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN "
            ));
            push_id_list(&mut query, chunk);
            let rows: Vec<AccountRow> = query.build_query_as().fetch_all(&self.reader).await?;
            for row in rows {
                accounts.push(Account::try_from(row)?);
            }
        }
        Ok(accounts)
    }

    pub(crate) async fn lookup_transfers(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
        let mut connection = self.reader.acquire().await?;
        select_transfers(&mut connection, ids).await
    }

    pub(crate) async fn account_transfers(
        &self,
        account: i64,
        before: i64,
        limit: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let sql = format!(
            "SELECT * FROM (SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE debit_account_id = ?1 AND timestamp < ?2 ORDER BY timestamp DESC LIMIT ?3) \
             UNION ALL \
             SELECT * FROM (SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE credit_account_id = ?1 AND timestamp < ?2 ORDER BY timestamp DESC LIMIT ?3) \
             ORDER BY timestamp DESC LIMIT ?3"
        );
        let rows: Vec<TransferRow> = sqlx::query_as(&sql)
            .bind(account)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(Transfer::try_from).collect()
    }

    pub(crate) async fn latest_transfer(
        &self,
        account: i64,
        at: i64,
    ) -> Result<Option<Transfer>, LedgerError> {
        let sql = format!(
            "SELECT * FROM (SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE debit_account_id = ?1 AND timestamp <= ?2 ORDER BY timestamp DESC LIMIT 1) \
             UNION ALL \
             SELECT * FROM (SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE credit_account_id = ?1 AND timestamp <= ?2 ORDER BY timestamp DESC LIMIT 1) \
             ORDER BY timestamp DESC LIMIT 1"
        );
        let row: Option<TransferRow> =
            sqlx::query_as(&sql).bind(account).bind(at).fetch_optional(&self.reader).await?;
        row.map(Transfer::try_from).transpose()
    }

    pub(crate) async fn audit_data(&self) -> Result<AuditData, LedgerError> {
        let mut connection = self.reader.acquire().await?;
        // One read transaction, so the pieces agree with each other.
        sqlx::query("BEGIN").execute(&mut *connection).await?;
        let accounts: Vec<AccountRow> =
            sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"))
                .fetch_all(&mut *connection)
                .await?;
        let pendings: Vec<(i64, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT id, state, expires_at, resolved_by FROM pending_transfers")
                .fetch_all(&mut *connection)
                .await?;
        let failed_ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM failed_transfers")
            .fetch_all(&mut *connection)
            .await?;
        let (last_timestamp,): (i64,) =
            sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1")
                .fetch_one(&mut *connection)
                .await?;
        sqlx::query("COMMIT").execute(&mut *connection).await?;
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

    pub(crate) async fn scan_transfers(
        &self,
        visit: &mut (dyn FnMut(Transfer) + Send),
    ) -> Result<(), LedgerError> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers ORDER BY timestamp");
        let mut stream = sqlx::query_as::<_, TransferRow>(&sql).fetch(&self.reader);
        while let Some(row) = stream.try_next().await? {
            visit(Transfer::try_from(row)?);
        }
        Ok(())
    }
}

fn push_id_list(query: &mut QueryBuilder<'_, Sqlite>, ids: &[i64]) {
    query.push("(");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(")");
}

async fn select_transfers(
    connection: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
    let mut transfers = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {TRANSFER_COLUMNS_T}, p.state, p.expires_at, p.resolved_by \
             FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id WHERE t.id IN "
        ));
        push_id_list(&mut query, chunk);
        let rows: Vec<TransferWithStateRow> =
            query.build_query_as().fetch_all(&mut *connection).await?;
        for row in rows {
            transfers.push(row.into_parts()?);
        }
    }
    Ok(transfers)
}

impl BatchTx for SqliteBatch {
    async fn last_timestamp(&mut self) -> Result<i64, LedgerError> {
        let (last,): (i64,) = sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(last)
    }

    async fn due_pendings(&mut self, now: i64, limit: i64) -> Result<Vec<TransferId>, LedgerError> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM pending_transfers \
             WHERE state = 0 AND expires_at IS NOT NULL AND expires_at <= ?1 \
             ORDER BY expires_at, id LIMIT ?2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(ids.into_iter().map(|(id,)| TransferId(id)).collect())
    }

    async fn transfers(
        &mut self,
        ids: &[i64],
    ) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        select_transfers(&mut self.tx, ids).await
    }

    async fn failures(&mut self, ids: &[i64]) -> Result<Vec<FailedTransfer>, LedgerError> {
        let mut failures = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {FAILED_COLUMNS} FROM failed_transfers WHERE id IN "
            ));
            push_id_list(&mut query, chunk);
            let rows: Vec<FailedRow> = query.build_query_as().fetch_all(&mut *self.tx).await?;
            for row in rows {
                failures.push(FailedTransfer::try_from(row)?);
            }
        }
        Ok(failures)
    }

    async fn accounts(&mut self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        let mut accounts = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN "
            ));
            push_id_list(&mut query, chunk);
            let rows: Vec<AccountRow> = query.build_query_as().fetch_all(&mut *self.tx).await?;
            for row in rows {
                accounts.push(Account::try_from(row)?);
            }
        }
        Ok(accounts)
    }

    async fn write(&mut self, writes: &WriteSet) -> Result<(), LedgerError> {
        for chunk in writes.transfers.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(|t| {
                    Ok((
                        t,
                        rows::signed(t.amount)?,
                        rows::balance_values(&t.debit_balances_after)?,
                        rows::balance_values(&t.credit_balances_after)?,
                    ))
                })
                .collect::<Result<Vec<_>, LedgerError>>()?;
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO transfers ({TRANSFER_COLUMNS}) "));
            query.push_values(rows, |mut row, (t, amount, dr, cr)| {
                row.push_bind(t.id.0)
                    .push_bind(t.debit_account_id.0)
                    .push_bind(t.credit_account_id.0)
                    .push_bind(amount)
                    .push_bind(t.pending_id.map(|p| p.0))
                    .push_bind(t.currency.code())
                    .push_bind(i64::from(t.code))
                    .push_bind(i64::from(t.flags.bits()))
                    .push_bind(i64::from(t.timeout_s))
                    .push_bind(t.timestamp.as_nanos());
                for value in dr.into_iter().chain(cr) {
                    row.push_bind(value);
                }
            });
            query.build().execute(&mut *self.tx).await?;
        }

        let (new, changed): (Vec<_>, Vec<_>) =
            writes.pendings.iter().partition(|(_, _, new)| *new);
        for chunk in new.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO pending_transfers (id, state, expires_at, resolved_by) ",
            );
            query.push_values(chunk, |mut row, (id, record, _)| {
                row.push_bind(id.0)
                    .push_bind(i64::from(record.state.as_code()))
                    .push_bind(record.expires_at.map(|t| t.as_nanos()))
                    .push_bind(record.resolved_by.map(|t| t.0));
            });
            query.build().execute(&mut *self.tx).await?;
        }
        for chunk in changed.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "UPDATE pending_transfers SET state = v.state, resolved_by = v.resolved_by \
                 FROM (SELECT column1 AS id, column2 AS state, column3 AS resolved_by FROM (",
            );
            query.push_values(chunk, |mut row, (id, record, _)| {
                row.push_bind(id.0)
                    .push_bind(i64::from(record.state.as_code()))
                    .push_bind(record.resolved_by.map(|t| t.0));
            });
            query.push(")) AS v WHERE pending_transfers.id = v.id");
            query.build().execute(&mut *self.tx).await?;
        }

        for chunk in writes.failures.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO failed_transfers ({FAILED_COLUMNS}) "
            ));
            query.push_values(chunk.iter().map(FailedValues::from), |mut row, f| {
                row.push_bind(f.id)
                    .push_bind(f.reason)
                    .push_bind(f.flags)
                    .push_bind(f.debit_account_id)
                    .push_bind(f.credit_account_id)
                    .push_bind(f.amount)
                    .push_bind(f.pending_id)
                    .push_bind(f.currency)
                    .push_bind(f.code)
                    .push_bind(f.timeout_s)
                    .push_bind(f.timestamp);
            });
            query.build().execute(&mut *self.tx).await?;
        }

        for chunk in writes.accounts.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(|(id, balances)| Ok((id.0, rows::balance_values(balances)?)))
                .collect::<Result<Vec<_>, LedgerError>>()?;
            let mut query = QueryBuilder::<Sqlite>::new(
                "UPDATE accounts SET debits_pending = v.dp, debits_posted = v.dpo, \
                     credits_pending = v.cp, credits_posted = v.cpo \
                 FROM (SELECT column1 AS id, column2 AS dp, column3 AS dpo, column4 AS cp, \
                     column5 AS cpo FROM (",
            );
            query.push_values(rows, |mut row, (id, values)| {
                row.push_bind(id);
                for value in values {
                    row.push_bind(value);
                }
            });
            query.push(")) AS v WHERE accounts.id = v.id");
            query.build().execute(&mut *self.tx).await?;
        }

        self.set_last_timestamp(writes.last_timestamp.as_nanos()).await
    }

    async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), LedgerError> {
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) "));
            query.push_values(chunk, |mut row, a| {
                row.push_bind(a.id.0)
                    .push_bind(a.currency.code())
                    .push_bind(i64::from(a.code))
                    .push_bind(i64::from(a.flags.bits()))
                    .push_bind(0_i64)
                    .push_bind(0_i64)
                    .push_bind(0_i64)
                    .push_bind(0_i64)
                    .push_bind(a.timestamp.as_nanos());
            });
            query.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn set_last_timestamp(&mut self, last: i64) -> Result<(), LedgerError> {
        sqlx::query("UPDATE ledger_meta SET last_timestamp = ?1 WHERE id = 1 AND last_timestamp < ?1")
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
