//! SQLite: the embedded default. WAL mode with `synchronous=FULL`, so a committed batch
//! survives power loss. One writer connection (`BEGIN IMMEDIATE`), a small pool of read-only
//! readers that WAL lets run beside it. Each statement binds its rows as one JSON array read
//! through `json_each`: one `INSERT … SELECT` or `UPDATE … FROM` per table and batch, and the
//! same text whatever the batch size, so every statement is prepared once and cached.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::rows::{
    self, ACCOUNT_COLUMNS, AccountRow, FAILED_COLUMNS, FailedRow, FailedValues, TRANSFER_COLUMNS,
    TRANSFER_COLUMNS_T, TransferRow, TransferWithStateRow,
};
use super::{AuditData, BatchKeys, BatchTx, MAX_EXPIRIES_PER_BATCH};
use crate::error::LedgerError;
use crate::state_machine::{Snapshot, WriteSet};
use crate::types::PendingRecord;
use crate::types::{Account, FailedTransfer, Timestamp, Transfer, TransferId};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug)]
pub struct SqliteStore {
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
            .test_before_acquire(false)
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
        let mut connection = self.reader.acquire().await?;
        select_accounts(&mut connection, ids).await
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

/// A list of values as one JSON array, for `json_each(?)`: one bound parameter and the same
/// statement text whatever the length, so SQLite prepares each statement once.
struct JsonRows(String);

impl JsonRows {
    fn new() -> JsonRows {
        JsonRows(String::from("["))
    }

    fn ids(ids: &[i64]) -> String {
        let mut rows = JsonRows::new();
        for id in ids {
            rows.row(&[Json::Int(*id)]);
        }
        rows.finish()
    }

    fn row(&mut self, values: &[Json]) {
        use std::fmt::Write;
        if self.0.len() > 1 {
            self.0.push(',');
        }
        let single = values.len() == 1;
        if !single {
            self.0.push('[');
        }
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            let _ = match value {
                Json::Int(v) => write!(self.0, "{v}"),
                Json::Null => write!(self.0, "null"),
                // Currency codes are three ASCII capitals: nothing to escape.
                Json::Code(code) => write!(self.0, "\"{code}\""),
            };
        }
        if !single {
            self.0.push(']');
        }
    }

    fn finish(mut self) -> String {
        self.0.push(']');
        self.0
    }
}

enum Json {
    Int(i64),
    Null,
    Code(&'static str),
}

fn int_or_null(value: Option<i64>) -> Json {
    value.map_or(Json::Null, Json::Int)
}

async fn select_accounts(
    connection: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<Vec<Account>, LedgerError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN (SELECT value FROM json_each(?1))"
    );
    let rows: Vec<AccountRow> =
        sqlx::query_as(&sql).bind(JsonRows::ids(ids)).fetch_all(&mut *connection).await?;
    rows.into_iter().map(Account::try_from).collect()
}

async fn select_transfers(
    connection: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<Vec<(Transfer, Option<PendingRecord>)>, LedgerError> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS_T}, p.state, p.expires_at, p.resolved_by \
         FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id \
         WHERE t.id IN (SELECT value FROM json_each(?1))"
    );
    let rows: Vec<TransferWithStateRow> =
        sqlx::query_as(&sql).bind(JsonRows::ids(ids)).fetch_all(&mut *connection).await?;
    rows.into_iter().map(TransferWithStateRow::into_parts).collect()
}

/// `value->>0, value->>1, …` for a `json_each` row of `n` columns.
fn json_columns(n: usize) -> String {
    (0..n).map(|i| format!("value->>{i}")).collect::<Vec<_>>().join(", ")
}

/// The batch's one read: everything [`BatchTx::load`] promises, as one row of JSON columns.
/// Binds: `?1` the clock, `?2` the expiry limit, `?3` request ids, `?4` named pending ids,
/// `?5` named account ids (JSON arrays).
static LOAD: LazyLock<String> = LazyLock::new(|| {
    let json = |columns: &str| format!("json_array({columns})");
    format!(
        "WITH meta AS (SELECT last_timestamp FROM ledger_meta WHERE id = 1), \
         due AS (SELECT id, expires_at FROM pending_transfers \
             WHERE state = 0 AND expires_at IS NOT NULL \
               AND expires_at <= max(?1, (SELECT last_timestamp + 1 FROM meta)) \
             ORDER BY expires_at, id LIMIT ?2), \
         resolved AS (SELECT value AS id FROM json_each(?4) UNION SELECT id FROM due), \
         wanted AS (SELECT value AS id FROM json_each(?3) UNION SELECT id FROM resolved) \
         SELECT \
           (SELECT last_timestamp FROM meta), \
           (SELECT json_group_array(json_array(id, expires_at)) FROM due), \
           (SELECT json_group_array({transfers}) \
              FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id \
              WHERE t.id IN (SELECT id FROM wanted)), \
           (SELECT json_group_array({failures}) FROM failed_transfers \
              WHERE id IN (SELECT value FROM json_each(?3))), \
           (SELECT json_group_array({accounts}) FROM accounts WHERE id IN ( \
              SELECT value FROM json_each(?5) \
              UNION SELECT debit_account_id FROM transfers WHERE id IN (SELECT id FROM resolved) \
              UNION SELECT credit_account_id FROM transfers WHERE id IN (SELECT id FROM resolved)))",
        transfers = json(&format!("{TRANSFER_COLUMNS_T}, p.state, p.expires_at, p.resolved_by")),
        failures = json(FAILED_COLUMNS),
        accounts = json(ACCOUNT_COLUMNS),
    )
});

/// One array of a `json_group_array` result, read by column position.
struct JsonRow<'a>(&'a [serde_json::Value]);

impl JsonRow<'_> {
    fn int(&self, column: usize) -> Result<i64, LedgerError> {
        self.0.get(column).and_then(serde_json::Value::as_i64).ok_or_else(|| {
            LedgerError::Corrupt(format!("expected an integer in column {column} of {:?}", self.0))
        })
    }

    fn opt_int(&self, column: usize) -> Result<Option<i64>, LedgerError> {
        match self.0.get(column) {
            Some(serde_json::Value::Null) => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    fn opt_text(&self, column: usize) -> Result<Option<String>, LedgerError> {
        match self.0.get(column) {
            Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text.clone())),
            _ => Err(LedgerError::Corrupt(format!("expected text in column {column} of {:?}", self.0))),
        }
    }

    fn text(&self, column: usize) -> Result<String, LedgerError> {
        self.opt_text(column)?
            .ok_or_else(|| LedgerError::Corrupt(format!("missing text in column {column}")))
    }

    fn transfer(&self) -> Result<TransferRow, LedgerError> {
        Ok(TransferRow {
            id: self.int(0)?,
            debit_account_id: self.int(1)?,
            credit_account_id: self.int(2)?,
            amount: self.int(3)?,
            pending_id: self.opt_int(4)?,
            currency: self.text(5)?,
            code: self.int(6)?,
            flags: self.int(7)?,
            timeout_s: self.int(8)?,
            timestamp: self.int(9)?,
            dr_debits_pending: self.int(10)?,
            dr_debits_posted: self.int(11)?,
            dr_credits_pending: self.int(12)?,
            dr_credits_posted: self.int(13)?,
            cr_debits_pending: self.int(14)?,
            cr_debits_posted: self.int(15)?,
            cr_credits_pending: self.int(16)?,
            cr_credits_posted: self.int(17)?,
        })
    }

    fn account(&self) -> Result<AccountRow, LedgerError> {
        Ok(AccountRow {
            id: self.int(0)?,
            currency: self.text(1)?,
            code: self.int(2)?,
            flags: self.int(3)?,
            debits_pending: self.int(4)?,
            debits_posted: self.int(5)?,
            credits_pending: self.int(6)?,
            credits_posted: self.int(7)?,
            timestamp: self.int(8)?,
        })
    }

    fn failed(&self) -> Result<FailedRow, LedgerError> {
        Ok(FailedRow {
            id: self.int(0)?,
            reason: self.int(1)?,
            flags: self.int(2)?,
            debit_account_id: self.int(3)?,
            credit_account_id: self.int(4)?,
            amount: self.int(5)?,
            pending_id: self.int(6)?,
            currency: self.opt_text(7)?,
            code: self.int(8)?,
            timeout_s: self.int(9)?,
            timestamp: self.int(10)?,
        })
    }
}

/// Parses a `json_group_array` of arrays and hands each to `row`.
fn json_rows<T>(
    json: &str,
    mut row: impl FnMut(JsonRow<'_>) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(json)
        .map_err(|e| LedgerError::Corrupt(format!("unreadable batch read: {e}")))?;
    rows.iter().map(|values| row(JsonRow(values))).collect()
}

impl BatchTx for SqliteBatch {
    async fn last_timestamp(&mut self) -> Result<i64, LedgerError> {
        let (last,): (i64,) = sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(last)
    }

    async fn load(
        &mut self,
        now: Timestamp,
        keys: &BatchKeys,
    ) -> Result<(i64, Snapshot), LedgerError> {
        let (last, due, transfers, failures, accounts): (i64, String, String, String, String) =
            sqlx::query_as(&LOAD)
                .bind(now.as_nanos())
                .bind(MAX_EXPIRIES_PER_BATCH)
                .bind(JsonRows::ids(&keys.request_ids))
                .bind(JsonRows::ids(&keys.pending_ids))
                .bind(JsonRows::ids(&keys.account_ids))
                .fetch_one(&mut *self.tx)
                .await?;
        let mut snapshot = Snapshot::default();
        let mut due = json_rows(&due, |row| Ok((row.int(1)?, row.int(0)?)))?;
        due.sort_unstable();
        snapshot.expiring = due.into_iter().map(|(_, id)| TransferId(id)).collect();
        for (transfer, record) in json_rows(&transfers, |row| {
            let with_state = TransferWithStateRow {
                transfer: row.transfer()?,
                state: row.opt_int(18)?,
                expires_at: row.opt_int(19)?,
                resolved_by: row.opt_int(20)?,
            };
            with_state.into_parts()
        })? {
            if let Some(record) = record {
                snapshot.pendings.insert(transfer.id, record);
            }
            snapshot.transfers.insert(transfer.id, transfer);
        }
        for failed in json_rows(&failures, |row| FailedTransfer::try_from(row.failed()?))? {
            snapshot.failures.insert(failed.request.id, failed);
        }
        for account in json_rows(&accounts, |row| Account::try_from(row.account()?))? {
            snapshot.accounts.insert(account.id, account);
        }
        Ok((last, snapshot))
    }

    async fn accounts(&mut self, ids: &[i64]) -> Result<Vec<Account>, LedgerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        select_accounts(&mut self.tx, ids).await
    }

    /// Every write of the batch in one script, one round trip to SQLite's thread. The rows
    /// travel as JSON literals: integers and currency codes only, nothing to escape.
    async fn write(&mut self, writes: &WriteSet) -> Result<(), LedgerError> {
        let mut script = String::new();
        if !writes.transfers.is_empty() {
            let mut rows = JsonRows::new();
            for t in &writes.transfers {
                let [dr0, dr1, dr2, dr3] = rows::balance_values(&t.debit_balances_after)?;
                let [cr0, cr1, cr2, cr3] = rows::balance_values(&t.credit_balances_after)?;
                rows.row(&[
                    Json::Int(t.id.0),
                    Json::Int(t.debit_account_id.0),
                    Json::Int(t.credit_account_id.0),
                    Json::Int(rows::signed(t.amount)?),
                    int_or_null(t.pending_id.map(|p| p.0)),
                    Json::Code(t.currency.code()),
                    Json::Int(i64::from(t.code)),
                    Json::Int(i64::from(t.flags.bits())),
                    Json::Int(i64::from(t.timeout_s)),
                    Json::Int(t.timestamp.as_nanos()),
                    Json::Int(dr0), Json::Int(dr1), Json::Int(dr2), Json::Int(dr3),
                    Json::Int(cr0), Json::Int(cr1), Json::Int(cr2), Json::Int(cr3),
                ]);
            }
            script.push_str(&format!(
                "INSERT INTO transfers ({TRANSFER_COLUMNS}) SELECT {} FROM json_each('{}');\n",
                json_columns(18),
                rows.finish()
            ));
        }

        let (new, changed): (Vec<_>, Vec<_>) =
            writes.pendings.iter().partition(|(_, _, new)| *new);
        if !new.is_empty() {
            let mut rows = JsonRows::new();
            for (id, record, _) in &new {
                rows.row(&[
                    Json::Int(id.0),
                    Json::Int(i64::from(record.state.as_code())),
                    int_or_null(record.expires_at.map(|t| t.as_nanos())),
                    int_or_null(record.resolved_by.map(|t| t.0)),
                ]);
            }
            script.push_str(&format!(
                "INSERT INTO pending_transfers (id, state, expires_at, resolved_by) \
                 SELECT {} FROM json_each('{}');\n",
                json_columns(4),
                rows.finish()
            ));
        }
        if !changed.is_empty() {
            let mut rows = JsonRows::new();
            for (id, record, _) in &changed {
                rows.row(&[
                    Json::Int(id.0),
                    Json::Int(i64::from(record.state.as_code())),
                    int_or_null(record.resolved_by.map(|t| t.0)),
                ]);
            }
            script.push_str(&format!(
                "UPDATE pending_transfers SET state = v.state, resolved_by = v.resolved_by \
                 FROM (SELECT value->>0 AS id, value->>1 AS state, value->>2 AS resolved_by \
                       FROM json_each('{}')) AS v \
                 WHERE pending_transfers.id = v.id;\n",
                rows.finish()
            ));
        }

        if !writes.failures.is_empty() {
            let mut rows = JsonRows::new();
            for f in writes.failures.iter().map(FailedValues::from) {
                rows.row(&[
                    Json::Int(f.id),
                    Json::Int(f.reason),
                    Json::Int(f.flags),
                    Json::Int(f.debit_account_id),
                    Json::Int(f.credit_account_id),
                    Json::Int(f.amount),
                    Json::Int(f.pending_id),
                    f.currency.map_or(Json::Null, Json::Code),
                    Json::Int(f.code),
                    Json::Int(f.timeout_s),
                    Json::Int(f.timestamp),
                ]);
            }
            script.push_str(&format!(
                "INSERT INTO failed_transfers ({FAILED_COLUMNS}) SELECT {} FROM json_each('{}');\n",
                json_columns(11),
                rows.finish()
            ));
        }

        if !writes.accounts.is_empty() {
            let mut rows = JsonRows::new();
            for (id, balances) in &writes.accounts {
                let [dp, dpo, cp, cpo] = rows::balance_values(balances)?;
                rows.row(&[Json::Int(id.0), Json::Int(dp), Json::Int(dpo), Json::Int(cp), Json::Int(cpo)]);
            }
            script.push_str(&format!(
                "UPDATE accounts SET debits_pending = v.dp, debits_posted = v.dpo, \
                     credits_pending = v.cp, credits_posted = v.cpo \
                 FROM (SELECT value->>0 AS id, value->>1 AS dp, value->>2 AS dpo, \
                       value->>3 AS cp, value->>4 AS cpo FROM json_each('{}')) AS v \
                 WHERE accounts.id = v.id;\n",
                rows.finish()
            ));
        }
        let last = writes.last_timestamp.as_nanos();
        script.push_str(&format!(
            "UPDATE ledger_meta SET last_timestamp = {last} WHERE id = 1 AND last_timestamp < {last};"
        ));
        sqlx::query(&script).persistent(false).execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), LedgerError> {
        let mut rows = JsonRows::new();
        for a in accounts {
            rows.row(&[
                Json::Int(a.id.0),
                Json::Code(a.currency.code()),
                Json::Int(i64::from(a.code)),
                Json::Int(i64::from(a.flags.bits())),
                Json::Int(0),
                Json::Int(0),
                Json::Int(0),
                Json::Int(0),
                Json::Int(a.timestamp.as_nanos()),
            ]);
        }
        let sql = format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}) SELECT {} FROM json_each(?1)",
            json_columns(9)
        );
        sqlx::query(&sql).bind(rows.finish()).execute(&mut *self.tx).await?;
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
