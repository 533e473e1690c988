//! SQLite: the embedded default. WAL mode with `synchronous=FULL`, so a committed batch
//! survives power loss. One writer connection (`BEGIN IMMEDIATE`), a small pool of read-only
//! readers that WAL lets run beside it, and a checkpointer that moves the WAL into the database
//! file off the writer's path.
//!
//! sqlx runs each SQLite connection on its own thread, and every call is a round trip to it
//! (measured here: ~70–100 µs for `SELECT 1`, more than SQLite takes to insert a row). So a
//! batch makes two calls whatever its size: `BEGIN IMMEDIATE` plus one prepared query that
//! returns everything the batch reads as JSON columns; then one script with every write
//! (multi-row `INSERT … VALUES`, `UPDATE … FROM (VALUES …)`) and the `COMMIT`.

use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::rows::{
    self, ACCOUNT_COLUMNS, AccountRow, FAILED_COLUMNS, FailedRow, FailedValues, TRANSFER_COLUMNS,
    TRANSFER_COLUMNS_T, TransferRow, TransferWithStateRow,
};
use super::{AuditVisitor, BatchKeys, BatchTx, LATEST_TRANSFER, MAX_EXPIRIES_PER_BATCH};
use crate::error::LedgerError;
use crate::state_machine::{Snapshot, WriteSet};
use crate::types::PendingRecord;
use crate::types::{Account, FailedTransfer, Timestamp, Transfer, TransferId};

/// The ledger's migrations. Versions 1–999 are the ledger's; the server keeps its own tables
/// in the same database with versions from 1000, so each migrator ignores the other's.
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.set_ignore_missing(true);
    migrator
}

#[derive(Debug)]
pub(crate) struct SqliteStore {
    writer: Arc<Mutex<WriterConnection>>,
    reader: SqlitePool,
    checkpointer: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    stop: Arc<tokio::sync::Notify>,
    /// Held by the ledger's writer for each of its turns (see [`crate::Ledger::write_gate`]).
    gate: WriteGate,
}

/// An in-process lock around SQLite's write lock. Writers of one database file in one process
/// that take it before `BEGIN IMMEDIATE` queue for each other here and are woken the moment
/// the holder commits, instead of polling in SQLite's busy handler, which sleeps 1, 2, 5, 10…
/// milliseconds between tries and so adds milliseconds to every write that meets another.
pub type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// The one writer connection, kept for the store's life rather than in a pool: sqlx hands a
/// pooled connection back through a spawned task that pings it first, and the next batch's
/// acquire, made inside the file's write turn, waited for both (up to 42 ms measured under
/// load).
#[derive(Debug)]
struct WriterConnection {
    /// Opened on first use, and again after a batch left it in doubt.
    connection: Option<SqliteConnection>,
    options: SqliteConnectOptions,
    /// A batch was abandoned mid-transaction, or its `ROLLBACK` failed: the connection is
    /// closed (which rolls back what it holds) and opened again before the next batch.
    in_doubt: bool,
    closed: bool,
}

impl WriterConnection {
    fn new(
        connection: Option<SqliteConnection>,
        options: SqliteConnectOptions,
    ) -> Arc<Mutex<WriterConnection>> {
        Arc::new(Mutex::new(WriterConnection { connection, options, in_doubt: false, closed: false }))
    }

    async fn ready(&mut self) -> Result<(), LedgerError> {
        if self.closed {
            return Err(LedgerError::ShutDown);
        }
        if self.in_doubt {
            if let Some(connection) = self.connection.take() {
                let _ = connection.close().await;
            }
            self.in_doubt = false;
        }
        if self.connection.is_none() {
            self.connection = Some(self.options.connect().await?);
        }
        Ok(())
    }
}

/// The writer connection during one batch. The transaction is managed by hand (not with
/// `sqlx::Transaction`) so that `BEGIN` and `COMMIT` ride along with the batch's read and
/// write instead of costing round trips of their own.
pub(crate) struct SqliteBatch {
    writer: OwnedMutexGuard<WriterConnection>,
    /// Writes waiting to go with the `COMMIT`.
    script: String,
    begun: bool,
    finished: bool,
}

/// How often the checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// Past this size the write-ahead log is emptied (a `TRUNCATE` checkpoint in the writers' turn):
/// under sustained writes a `PASSIVE` checkpoint never catches up, and the log would grow
/// without bound (1–1.5 GB a minute was measured), and with it the time a restart takes.
pub const WAL_TRUNCATE_BYTES: u64 = 16 * 1024 * 1024;
/// How long a `TRUNCATE` checkpoint waits for readers on the old log (the writers wait too).
const CHECKPOINT_WAIT: Duration = Duration::from_millis(200);

/// The write-ahead log beside the database file `path`.
pub fn wal_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::path::PathBuf::from(wal)
}

impl SqliteStore {
    pub(crate) async fn open(url: &str, read_only: bool) -> Result<SqliteStore, LedgerError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| LedgerError::InvalidUrl(format!("invalid SQLite URL {url:?}: {e}")))?;
        let path = options.get_filename().to_path_buf();
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(LedgerError::InvalidUrl(
                "in-memory SQLite is not supported: the ledger needs a file (sqlite:PATH)".into(),
            ));
        }
        let open_error =
            |e: sqlx::Error| LedgerError::Database(format!("cannot open {}: {}", path.display(), e));
        if read_only {
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.clone().read_only(true).busy_timeout(Duration::from_secs(5)))
                .await
                .map_err(open_error)?;
            sqlx::query("SELECT last_timestamp FROM ledger_meta")
                .execute(&reader)
                .await
                .map_err(|e| LedgerError::Database(format!("no Purse ledger in {}: {e}", path.display())))?;
            let checkpointer = std::sync::Mutex::new(None);
            let stop = Arc::new(tokio::sync::Notify::new());
            let gate = WriteGate::default();
            // Nothing writes through a read-only ledger; should anything try, SQLite refuses.
            let writer = WriterConnection::new(None, options.read_only(true));
            return Ok(SqliteStore { writer, reader, checkpointer, stop, gate });
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
            .busy_timeout(Duration::from_secs(5))
            .page_size(1024)
            .pragma("cache_size", "-65536");
        // The checkpointer does this, so commits never wait for a checkpoint.
        let writer_options = options.clone().pragma("wal_autocheckpoint", "0");
        let mut writer = writer_options.connect().await.map_err(open_error)?;
        migrator().run(&mut writer).await?;
        let writer = WriterConnection::new(Some(writer), writer_options);
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            // SQLite connections do not go stale: no ping round trip before every query.
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await
            .map_err(open_error)?;
        // A checkpoint that must wait for readers gives up soon: it holds the writers' turn.
        let checkpoint_options = options.busy_timeout(CHECKPOINT_WAIT);
        let checkpoint_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(checkpoint_options)
            .await
            .map_err(open_error)?;
        let stop = Arc::new(tokio::sync::Notify::new());
        let gate = WriteGate::default();
        let wal = wal_path(&path);
        let checkpointer = tokio::spawn(checkpoint_loop(checkpoint_pool, wal, gate.clone(), stop.clone()));
        let checkpointer = std::sync::Mutex::new(Some(checkpointer));
        Ok(SqliteStore { writer, reader, checkpointer, stop, gate })
    }

    pub(crate) fn gate(&self) -> WriteGate {
        self.gate.clone()
    }

    pub(crate) async fn begin(&self) -> Result<SqliteBatch, LedgerError> {
        let mut writer = self.writer.clone().lock_owned().await;
        writer.ready().await?;
        Ok(SqliteBatch { writer, script: String::new(), begun: false, finished: false })
    }

    pub(crate) async fn ping(&self) -> Result<(), LedgerError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.stop.notify_one();
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut handle| handle.take());
        if let Some(checkpointer) = checkpointer {
            let _ = checkpointer.await;
        }
        self.reader.close().await;
        let mut writer = self.writer.lock().await;
        writer.closed = true;
        if let Some(connection) = writer.connection.take() {
            let _ = connection.close().await;
        }
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
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(Transfer::try_from).collect()
    }

    /// The accounts of every transfer with a timestamp after `after` (each once, ascending):
    /// what moved since then, read from the timestamp's own index.
    pub(crate) async fn accounts_moved_after(&self, after: i64) -> Result<Vec<i64>, LedgerError> {
        let rows: Vec<(i64,)> =
            sqlx::query_as(super::ACCOUNTS_MOVED_AFTER).bind(after).fetch_all(&self.reader).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub(crate) async fn latest_transfer(
        &self,
        account: i64,
        at: i64,
    ) -> Result<Option<Transfer>, LedgerError> {
        let row: Option<TransferRow> =
            sqlx::query_as(&LATEST_TRANSFER).bind(account).bind(at).fetch_optional(&self.reader).await?;
        row.map(Transfer::try_from).transpose()
    }

    pub(crate) async fn audit(&self, visitor: &mut (dyn AuditVisitor + Send)) -> Result<(), LedgerError> {
        // One read transaction (rolled back if anything fails or the call is dropped): every
        // piece, transfers included, comes from the same snapshot while writers go on.
        let mut tx = self.reader.begin().await?;
        read_audit_snapshot!(tx, visitor);
        tx.rollback().await?;
        Ok(())
    }
}

/// Copies committed WAL frames into the database file every [`CHECKPOINT_INTERVAL`] without
/// blocking the writer or readers (`PASSIVE`). When the log has grown past
/// [`WAL_TRUNCATE_BYTES`] anyway, empties it with a `TRUNCATE` checkpoint in the writers' turn
/// (`gate`, which the ledger's writer and the server's batcher hold for each transaction), right
/// after a `PASSIVE` one copied what it could: a pause of the writers bounded by
/// [`CHECKPOINT_WAIT`] plus copying the frames written in between. On stop, a final `TRUNCATE`
/// checkpoint.
async fn checkpoint_loop(
    pool: SqlitePool,
    wal: std::path::PathBuf,
    gate: WriteGate,
    stop: Arc<tokio::sync::Notify>,
) {
    loop {
        tokio::select! {
            () = stop.notified() => break,
            () = tokio::time::sleep(CHECKPOINT_INTERVAL) => {
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                // Copy what can be copied beside the writers first; past the size, empty the
                // log in their turn, which then has only the frames written since to copy.
                let mut result = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await;
                if result.is_ok() && size > WAL_TRUNCATE_BYTES {
                    let _turn = gate.lock().await;
                    result = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await;
                }
                if let Err(error) = result {
                    tracing::warn!(%error, "WAL checkpoint failed; will retry");
                }
            }
        }
    }
    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await {
        tracing::warn!(%error, "final WAL checkpoint failed");
    }
    pool.close().await;
}

/// Ids as one JSON array, for `json_each(?)`: one bound parameter and the same statement
/// text whatever the number of ids, so SQLite prepares each statement once.
fn json_ids(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", list.join(","))
}

async fn select_accounts(
    connection: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<Vec<Account>, LedgerError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN (SELECT value FROM json_each(?1))");
    let rows: Vec<AccountRow> = sqlx::query_as(&sql).bind(json_ids(ids)).fetch_all(&mut *connection).await?;
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
        sqlx::query_as(&sql).bind(json_ids(ids)).fetch_all(&mut *connection).await?;
    rows.into_iter().map(TransferWithStateRow::into_parts).collect()
}

/// The batch's one read, which also opens its transaction: everything [`BatchTx::load`]
/// promises, as one row of JSON columns. Binds: `?1` the clock, `?2` the expiry limit, `?3`
/// request ids, `?4` named pending ids, `?5` named account ids (JSON arrays).
static LOAD: LazyLock<String> = LazyLock::new(|| {
    let json = |columns: &str| format!("json_array({columns})");
    format!(
        "BEGIN IMMEDIATE; \
         WITH meta AS (SELECT last_timestamp FROM ledger_meta WHERE id = 1), \
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
        self.opt_text(column)?.ok_or_else(|| LedgerError::Corrupt(format!("missing text in column {column}")))
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

/// Literal rows for a write script: integers, NULL and currency codes only, so nothing a
/// caller controls can reach the SQL text.
enum Sql {
    Int(i64),
    Null,
    Code(&'static str),
}

fn int_or_null_sql(value: Option<i64>) -> Sql {
    value.map_or(Sql::Null, Sql::Int)
}

/// `(…), (…)` for `VALUES`.
fn values<const N: usize>(rows: impl IntoIterator<Item = [Sql; N]>) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    for (i, row) in rows.into_iter().enumerate() {
        text.push_str(if i == 0 { "(" } else { ", (" });
        for (j, value) in row.iter().enumerate() {
            if j > 0 {
                text.push(',');
            }
            let _ = match value {
                Sql::Int(v) => write!(text, "{v}"),
                Sql::Null => write!(text, "NULL"),
                Sql::Code(code) if code.bytes().all(|b| b.is_ascii_uppercase()) => {
                    write!(text, "'{code}'")
                }
                Sql::Code(_) => write!(text, "NULL"),
            };
        }
        text.push(')');
    }
    text
}

impl SqliteBatch {
    /// The writer's connection ([`SqliteStore::begin`] made sure there is one).
    fn connection(&mut self) -> Result<&mut SqliteConnection, LedgerError> {
        self.writer.connection.as_mut().ok_or(LedgerError::ShutDown)
    }

    async fn ensure_begun(&mut self) -> Result<(), LedgerError> {
        if !self.begun {
            self.begun = true;
            sqlx::query("BEGIN IMMEDIATE").execute(self.connection()?).await?;
        }
        Ok(())
    }

    /// Ends a batch that failed. A failed `ROLLBACK` leaves the connection in doubt, so it is
    /// opened again before the next batch.
    pub(crate) async fn rollback(mut self) {
        self.finished = true;
        if self.begun {
            let rolled_back = match self.connection() {
                Ok(connection) => sqlx::query("ROLLBACK").execute(connection).await.is_ok(),
                Err(_) => false,
            };
            self.writer.in_doubt |= !rolled_back;
        }
    }
}

impl Drop for SqliteBatch {
    fn drop(&mut self) {
        if self.begun && !self.finished {
            // Abandoned mid-transaction: the next batch must not start inside this one.
            self.writer.in_doubt = true;
        }
    }
}

impl BatchTx for SqliteBatch {
    async fn last_timestamp(&mut self) -> Result<i64, LedgerError> {
        self.ensure_begun().await?;
        let (last,): (i64,) = sqlx::query_as("SELECT last_timestamp FROM ledger_meta WHERE id = 1")
            .fetch_one(self.connection()?)
            .await?;
        Ok(last)
    }

    async fn load(&mut self, now: Timestamp, keys: &BatchKeys) -> Result<(i64, Snapshot), LedgerError> {
        // `LOAD` opens the transaction itself.
        self.begun = true;
        let (last, due, transfers, failures, accounts): (i64, String, String, String, String) =
            sqlx::query_as(&LOAD)
                .bind(now.as_nanos())
                .bind(MAX_EXPIRIES_PER_BATCH)
                .bind(json_ids(&keys.request_ids))
                .bind(json_ids(&keys.pending_ids))
                .bind(json_ids(&keys.account_ids))
                .fetch_one(self.connection()?)
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
        self.ensure_begun().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        select_accounts(self.connection()?, ids).await
    }

    /// Queues every write of the batch; they go to SQLite with the `COMMIT`.
    async fn write(&mut self, writes: &WriteSet) -> Result<(), LedgerError> {
        use std::fmt::Write;
        let script = &mut self.script;
        if !writes.transfers.is_empty() {
            let rows = writes
                .transfers
                .iter()
                .map(|t| {
                    let [dr0, dr1, dr2, dr3] = rows::balance_values(&t.debit_balances_after)?;
                    let [cr0, cr1, cr2, cr3] = rows::balance_values(&t.credit_balances_after)?;
                    Ok([
                        Sql::Int(t.id.0),
                        Sql::Int(t.debit_account_id.0),
                        Sql::Int(t.credit_account_id.0),
                        Sql::Int(rows::signed(t.amount)?),
                        int_or_null_sql(t.pending_id.map(|p| p.0)),
                        Sql::Code(t.currency.code()),
                        Sql::Int(i64::from(t.code)),
                        Sql::Int(i64::from(t.flags.bits())),
                        Sql::Int(i64::from(t.timeout_s)),
                        Sql::Int(t.timestamp.as_nanos()),
                        Sql::Int(dr0),
                        Sql::Int(dr1),
                        Sql::Int(dr2),
                        Sql::Int(dr3),
                        Sql::Int(cr0),
                        Sql::Int(cr1),
                        Sql::Int(cr2),
                        Sql::Int(cr3),
                    ])
                })
                .collect::<Result<Vec<_>, LedgerError>>()?;
            let _ = writeln!(script, "INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES {};", values(rows));
        }

        let (new, changed): (Vec<_>, Vec<_>) = writes.pendings.iter().partition(|(_, _, new)| *new);
        if !new.is_empty() {
            let rows = new.iter().map(|(id, record, _)| {
                [
                    Sql::Int(id.0),
                    Sql::Int(i64::from(record.state.as_code())),
                    int_or_null_sql(record.expires_at.map(|t| t.as_nanos())),
                    int_or_null_sql(record.resolved_by.map(|t| t.0)),
                ]
            });
            let _ = writeln!(
                script,
                "INSERT INTO pending_transfers (id, state, expires_at, resolved_by) VALUES {};",
                values(rows)
            );
        }
        if !changed.is_empty() {
            let rows = changed.iter().map(|(id, record, _)| {
                [
                    Sql::Int(id.0),
                    Sql::Int(i64::from(record.state.as_code())),
                    int_or_null_sql(record.resolved_by.map(|t| t.0)),
                ]
            });
            let _ = writeln!(
                script,
                "UPDATE pending_transfers SET state = v.column2, resolved_by = v.column3 \
                 FROM (VALUES {}) AS v WHERE pending_transfers.id = v.column1;",
                values(rows)
            );
        }

        if !writes.failures.is_empty() {
            let rows = writes.failures.iter().map(FailedValues::from).map(|f| {
                [
                    Sql::Int(f.id),
                    Sql::Int(f.reason),
                    Sql::Int(f.flags),
                    Sql::Int(f.debit_account_id),
                    Sql::Int(f.credit_account_id),
                    Sql::Int(f.amount),
                    Sql::Int(f.pending_id),
                    f.currency.map_or(Sql::Null, Sql::Code),
                    Sql::Int(f.code),
                    Sql::Int(f.timeout_s),
                    Sql::Int(f.timestamp),
                ]
            });
            let _ =
                writeln!(script, "INSERT INTO failed_transfers ({FAILED_COLUMNS}) VALUES {};", values(rows));
        }

        if !writes.accounts.is_empty() {
            let rows = writes
                .accounts
                .iter()
                .map(|(id, balances)| {
                    let [dp, dpo, cp, cpo] = rows::balance_values(balances)?;
                    Ok([Sql::Int(id.0), Sql::Int(dp), Sql::Int(dpo), Sql::Int(cp), Sql::Int(cpo)])
                })
                .collect::<Result<Vec<_>, LedgerError>>()?;
            let _ = writeln!(
                script,
                "UPDATE accounts SET debits_pending = v.column2, debits_posted = v.column3, \
                     credits_pending = v.column4, credits_posted = v.column5 \
                 FROM (VALUES {}) AS v WHERE accounts.id = v.column1;",
                values(rows)
            );
        }
        self.set_last_timestamp(writes.last_timestamp.as_nanos()).await
    }

    async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), LedgerError> {
        use std::fmt::Write;
        let rows = accounts.iter().map(|a| {
            [
                Sql::Int(a.id.0),
                Sql::Code(a.currency.code()),
                Sql::Int(i64::from(a.code)),
                Sql::Int(i64::from(a.flags.bits())),
                Sql::Int(0),
                Sql::Int(0),
                Sql::Int(0),
                Sql::Int(0),
                Sql::Int(a.timestamp.as_nanos()),
            ]
        });
        let _ = writeln!(self.script, "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES {};", values(rows));
        Ok(())
    }

    async fn set_last_timestamp(&mut self, last: i64) -> Result<(), LedgerError> {
        use std::fmt::Write;
        let _ = writeln!(
            self.script,
            "UPDATE ledger_meta SET last_timestamp = {last} WHERE id = 1 AND last_timestamp < {last};"
        );
        Ok(())
    }

    /// The queued writes and the `COMMIT`, in one round trip.
    async fn commit(mut self) -> Result<(), LedgerError> {
        self.ensure_begun().await?;
        self.script.push_str("COMMIT;");
        let script = std::mem::take(&mut self.script);
        let result = sqlx::query(&script).persistent(false).execute(self.connection()?).await;
        match result {
            Ok(_) => {
                self.finished = true;
                Ok(())
            }
            Err(error) => {
                self.rollback().await;
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn last_timestamp(store: &SqliteStore) -> i64 {
        let mut batch = store.begin().await.unwrap();
        let last = batch.last_timestamp().await.unwrap();
        batch.rollback().await;
        last
    }

    /// A batch dropped mid-transaction (its task cancelled, say) leaves the writer's connection
    /// in doubt: the next batch gets it closed (rolling the abandoned one back) and opened anew,
    /// not still inside the old transaction.
    #[tokio::test]
    async fn a_batch_abandoned_mid_transaction_leaves_the_next_a_clean_connection() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let store = SqliteStore::open(&url, false).await.unwrap();
        let first = last_timestamp(&store).await;

        let mut abandoned = store.begin().await.unwrap();
        abandoned.ensure_begun().await.unwrap();
        sqlx::query("UPDATE ledger_meta SET last_timestamp = last_timestamp + 5 WHERE id = 1")
            .execute(abandoned.connection().unwrap())
            .await
            .unwrap();
        drop(abandoned);
        assert_eq!(last_timestamp(&store).await, first, "the abandoned write was rolled back");

        let mut next = store.begin().await.unwrap();
        next.set_last_timestamp(first + 9).await.unwrap();
        next.commit().await.unwrap();
        assert_eq!(last_timestamp(&store).await, first + 9, "and the next batch commits");
        store.close().await;
        assert!(matches!(store.begin().await, Err(LedgerError::ShutDown)), "closed is closed");
    }
}
