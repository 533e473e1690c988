//! Group commit for the server's own rows on the money path: rate-limit hits, idempotency keys
//! (operations), payments (and tips) and their notes, payment states and stored answers.
//!
//! The ledger's writer taught us that on SQLite a statement costs more than the rows it
//! writes, and that several connections taking turns at the write lock mostly wait. So these
//! writes are not made by the request that needs them: it sends a [`Write`] here and awaits its
//! own reply. One task takes every write queued, makes them all in one transaction with one
//! multi-row statement per kind, and answers each. A `POST /transfers` used to make five
//! commits of its own; now it joins two batches (its key, payment and note; then its state and
//! answer), whatever the load.
//!
//! Within a batch the kinds run in a fixed order (keys, hits, payments, notes, states,
//! answers) and a batch is all or nothing. A batch that fails for a reason one write may have
//! caused is retried write by write, so one bad write never fails the others.

use std::collections::HashMap;

use purse_ledger::WriteGate;
use sqlx::postgres::PgRow;
use tokio::sync::{mpsc, oneshot};

use crate::db::{Arg, Db, DbError, Statement};
use crate::operations::{self, Slot, StoredAnswer};
use crate::payments::{PAID_STATES, PAYMENT_COLUMNS, PaymentRow};
use crate::reader::{FromSqliteRow, positional};

/// Writes in one batch at most (SQLite allows 32,766 bound values per statement; a payment
/// takes eleven).
const MAX_BATCH: usize = 256;

/// One hit of a rate limit: the subject's window is `window` ns long.
#[derive(Clone, Debug)]
pub struct Hit {
    pub key: String,
    pub now: i64,
    pub window: i64,
}

/// A subject's count in its current window, this hit included, and when the window began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HitCount {
    pub count: i64,
    pub window_start: i64,
}

/// A payment to record for an operation.
#[derive(Clone, Debug)]
pub struct Draft {
    pub sender_id: i64,
    pub recipient_id: i64,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub note: Option<String>,
    /// What the activity is called (`transfer`, `request`).
    pub kind: &'static str,
    pub request_id: Option<i64>,
    /// When its grace window would end, if it gets one: only when the sender has no pending or
    /// completed payment to the recipient yet (decided here, in the batch).
    pub hold_until: Option<i64>,
    pub now: i64,
    /// What makes it a tip, if it is one.
    pub tip: Option<TipDraft>,
}

/// A tip's own facts, recorded with its payment.
#[derive(Clone, Debug)]
pub struct TipDraft {
    pub post_id: Option<String>,
    /// The creator must never learn who sent it (their activity, events and lists say
    /// "Anonymous").
    pub anonymous: bool,
    /// The platform's part, in minor units, moved from the creator in the same ledger chain.
    pub fee: i64,
}

/// A first arrival of an idempotency key: the key, the limit it counts against, and the
/// payment it makes (if known before the ledger is asked).
#[derive(Clone, Debug)]
pub struct Opening {
    pub user_id: i64,
    pub key: String,
    pub hash: [u8; 32],
    pub now: i64,
    pub locked_until: i64,
    /// Counted only when the key is new; over `max`, the key is taken back and nothing of this
    /// opening stays.
    pub limit: Option<(Hit, i64)>,
    pub payment: Option<Draft>,
    /// Statements run right after the key is made, in its batch, and only if it is new: each
    /// one's first value (`$1`) is the new operation's id, then its own values. All of them,
    /// or (when one marked `must_change` changes no row) none. How a checkout confirmation
    /// claims its session without a round trip of its own.
    pub then: Vec<Statement>,
}

/// What an [`Opening`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// The key is new: this operation (and its payment) now exist; `then` says whether the
    /// opening's statements were made (`None` when it had none).
    Run { operation: i64, payment: Option<PaymentRow>, then: Option<bool> },
    /// The key was there already (an earlier or concurrent arrival); nothing was written.
    Taken,
    /// Over its limit: the key was taken back and nothing else of it stays (the refused hit
    /// still counts in the window, as any hit does).
    Limited(HitCount),
}

/// A payment's state moves from one of `from` to `to` (never from anything else, so a late
/// writer cannot undo a newer state).
#[derive(Clone, Copy, Debug)]
pub struct StateChange {
    pub from: &'static [&'static str],
    pub to: &'static str,
}

/// What becomes of an operation's key.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Nothing (only the payment's state changes).
    Keep,
    /// Its first answer, replayed from now on (kept if one was stored already).
    Store(StoredAnswer),
    /// No answer: its lease ends, so a retry resumes at once.
    Release,
}

/// The end of (a step of) an operation.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub operation: i64,
    pub payment: Option<StateChange>,
    pub answer: Answer,
}

#[derive(Clone, Debug)]
enum Write {
    Hit(Hit),
    Open(Opening),
    Record { operation: i64, draft: Draft },
    Settle(Settlement),
    Statements(Vec<Statement>),
}

#[derive(Debug)]
enum Done {
    Hit(HitCount),
    Opened(Opened),
    Recorded(PaymentRow),
    Settled,
    Applied(bool),
}

type Reply = oneshot::Sender<Result<Done, DbError>>;

/// The sending side; cheap to clone. The writer stops when the last one is dropped.
#[derive(Clone, Debug)]
pub struct Journal {
    writes: mpsc::Sender<(Write, Reply)>,
}

impl Journal {
    /// Starts the writer on `db`. On PostgreSQL it is a task using the pool. On SQLite it is a
    /// thread of its own with its own connection to the file, making each batch's statements
    /// as plain calls (through sqlx every statement is a round trip to a worker thread:
    /// measured, that made a batch cost 2.5 ms, most of the time the file was locked for
    /// writing); `gate` is the ledger's ([`purse_ledger::Ledger::write_gate`]), held by each
    /// batch, so the two writers of the file take turns without polling for SQLite's lock.
    pub fn start(db: &Db, gate: Option<WriteGate>) -> Result<Journal, DbError> {
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        match db {
            Db::Sqlite(pool, _) => {
                let path = pool.connect_options().get_filename().to_path_buf();
                let connection = open_sqlite(&path)?;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .map_err(|e| DbError(format!("cannot start the journal: {e}")))?;
                std::thread::Builder::new()
                    .name("purse-journal".into())
                    .spawn(move || runtime.block_on(run(Conn::Sqlite(connection, path), gate, queue)))
                    .map_err(|e| DbError(format!("cannot start the journal: {e}")))?;
            }
            Db::Postgres(pool) => {
                tokio::spawn(run(Conn::Postgres(pool.clone()), None, queue));
            }
        }
        Ok(Journal { writes })
    }

    /// Queues `write`; its result arrives on the receiver.
    async fn enqueue(&self, write: Write) -> Result<oneshot::Receiver<Result<Done, DbError>>, DbError> {
        let (reply, answer) = oneshot::channel();
        self.writes.send((write, reply)).await.map_err(|_| stopped())?;
        Ok(answer)
    }

    async fn write(&self, write: Write) -> Result<Done, DbError> {
        self.enqueue(write).await?.await.map_err(|_| stopped())?
    }

    /// Counts one hit of a rate limit.
    pub async fn hit(&self, hit: Hit) -> Result<HitCount, DbError> {
        match self.write(Write::Hit(hit)).await? {
            Done::Hit(count) => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    /// Records a first arrival of a key (see [`Opening`]).
    pub async fn open(&self, opening: Opening) -> Result<Opened, DbError> {
        match self.write(Write::Open(opening)).await? {
            Done::Opened(opened) => Ok(opened),
            other => Err(unexpected(&other)),
        }
    }

    /// Records the payment of an existing operation; if it has one already, returns that.
    pub async fn record(&self, operation: i64, draft: Draft) -> Result<PaymentRow, DbError> {
        match self.write(Write::Record { operation, draft }).await? {
            Done::Recorded(payment) => Ok(payment),
            other => Err(unexpected(&other)),
        }
    }

    /// Runs `statements` together, in a batch with other writes: all of them, or (when one
    /// marked `must_change` changes no row) none, which answers `false`. How checkout's state
    /// changes and the webhook events describing them are written at once, without a
    /// transaction (and a turn of the file) of their own per request.
    pub async fn apply(&self, statements: Vec<Statement>) -> Result<bool, DbError> {
        match self.write(Write::Statements(statements)).await? {
            Done::Applied(applied) => Ok(applied),
            other => Err(unexpected(&other)),
        }
    }

    /// Moves a payment's state and/or ends an operation (see [`Settlement`]).
    pub async fn settle(&self, settlement: Settlement) -> Result<(), DbError> {
        self.settle_all(vec![settlement]).await
    }

    /// Several settlements, queued together so that they share a batch.
    pub async fn settle_all(&self, settlements: Vec<Settlement>) -> Result<(), DbError> {
        let mut answers = Vec::with_capacity(settlements.len());
        for settlement in settlements {
            answers.push(self.enqueue(Write::Settle(settlement)).await?);
        }
        for answer in answers {
            match answer.await.map_err(|_| stopped())?? {
                Done::Settled => {}
                other => return Err(unexpected(&other)),
            }
        }
        Ok(())
    }
}

fn stopped() -> DbError {
    DbError("the server's writer has stopped".into())
}

fn unexpected(done: &Done) -> DbError {
    DbError(format!("the server's writer answered with the wrong kind: {done:?}"))
}

/// The journal's connection: its own on SQLite (and the file, to reopen it), the pool on
/// PostgreSQL.
enum Conn {
    Sqlite(rusqlite::Connection, std::path::PathBuf),
    Postgres(sqlx::PgPool),
}

impl Conn {
    /// A SQLite connection left inside a transaction (its `ROLLBACK` failed) would hold the
    /// file's write lock for ever: it is replaced by a fresh one.
    fn mend(&mut self) {
        if let Conn::Sqlite(connection, path) = self
            && !connection.is_autocommit()
        {
            match open_sqlite(path) {
                Ok(fresh) => *connection = fresh,
                Err(error) => tracing::error!(%error, "the journal could not reopen its connection"),
            }
        }
    }
}

/// The server's tables are in the ledger's file, in WAL mode already. `NORMAL`, as for the
/// server's pool (see `Db::open`): the ledger's `FULL` commit that follows an operation's
/// makes it durable.
fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, DbError> {
    let error = |e: rusqlite::Error| DbError(format!("cannot open {} for the journal: {e}", path.display()));
    let connection = rusqlite::Connection::open(path).map_err(error)?;
    connection
        // Checkpoints are the ledger's checkpointer's job, so commits never wait for one.
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(error)?;
    connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(error)?;
    // Batch sizes vary, and each size is a statement text of its own.
    connection.set_prepared_statement_cache_capacity(1024);
    Ok(connection)
}

async fn run(mut conn: Conn, gate: Option<WriteGate>, mut queue: mpsc::Receiver<(Write, Reply)>) {
    while let Some(first) = queue.recv().await {
        // The file's turn first, then gather (as the ledger's writer does): what is written
        // while the ledger commits joins this batch.
        let _turn = match &gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        // Batches form while the turn is awaited (the ledger holds the file while it commits);
        // a yield here would not help: writers run on the server's runtime, not this thread's.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        let (writes, replies): (Vec<Write>, Vec<Reply>) = batch.into_iter().unzip();
        match commit(&mut conn, &writes).await {
            Ok(done) => {
                for (reply, done) in replies.into_iter().zip(done) {
                    let _ = reply.send(Ok(done));
                }
            }
            Err(error) if writes.len() > 1 && error.may_be_one_writes_fault() => {
                tracing::warn!(error = %error.0, writes = writes.len(), "server batch failed; isolating");
                for (write, reply) in writes.into_iter().zip(replies) {
                    let result = commit(&mut conn, std::slice::from_ref(&write)).await;
                    let _ = reply.send(result.map_err(DbError::from).and_then(|mut done| {
                        done.pop().ok_or_else(|| DbError("a write had no result".into()))
                    }));
                }
            }
            Err(error) => {
                let error = DbError::from(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// A failed batch, and whether a single write may have caused it (a refused row) rather than
/// the database (connection, I/O), in which case every write of the batch gets the error.
struct BatchError(String, bool);

impl BatchError {
    fn may_be_one_writes_fault(&self) -> bool {
        self.1
    }
}

impl From<sqlx::Error> for BatchError {
    fn from(error: sqlx::Error) -> BatchError {
        let writes_fault = matches!(&error, sqlx::Error::Database(_));
        BatchError(DbError::from(error).0, writes_fault)
    }
}

impl From<rusqlite::Error> for BatchError {
    fn from(error: rusqlite::Error) -> BatchError {
        let writes_fault = matches!(
            &error,
            rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::ConstraintViolation
        );
        BatchError(format!("database error: {error}"), writes_fault)
    }
}

impl From<BatchError> for DbError {
    fn from(error: BatchError) -> DbError {
        DbError(error.0)
    }
}

async fn commit(conn: &mut Conn, writes: &[Write]) -> Result<Vec<Done>, BatchError> {
    conn.mend();
    let mut tx = match conn {
        // IMMEDIATE: take the write lock at once, not at the first write (a deferred
        // transaction that must upgrade its lock can fail instead of waiting).
        Conn::Sqlite(connection, _) => {
            connection.execute_batch("BEGIN IMMEDIATE")?;
            Tx::Sqlite(connection)
        }
        Conn::Postgres(pool) => Tx::Postgres(pool.begin().await?),
    };
    match apply(&mut tx, writes).await {
        Ok(done) => tx.commit().await.map(|()| done),
        Err(error) => {
            tx.rollback().await;
            Err(error)
        }
    }
}

/// Makes every write of the batch, kind by kind, and returns each one's result in order.
async fn apply(tx: &mut Tx<'_>, writes: &[Write]) -> Result<Vec<Done>, BatchError> {
    let mut done: Vec<Option<Done>> = writes.iter().map(|_| None).collect();

    // Keys first: only a key that is new counts against its limit (a replay moves nothing).
    let openings: Vec<(usize, &Opening)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, write)| match write {
            Write::Open(opening) => Some((i, opening)),
            _ => None,
        })
        .collect();
    let mut operations = open_keys(tx, &openings).await?;

    // Hits: standalone ones, and those of new keys, which over their limit are taken back.
    let mut hits: Vec<(usize, &Hit)> = Vec::new();
    for (i, write) in writes.iter().enumerate() {
        match write {
            Write::Hit(hit) => hits.push((i, hit)),
            Write::Open(Opening { limit: Some((hit, _)), .. }) if operations.contains_key(&i) => {
                hits.push((i, hit));
            }
            _ => {}
        }
    }
    let mut over = Vec::new();
    for (i, count) in count_hits(tx, &hits).await? {
        match &writes[i] {
            Write::Open(Opening { limit: Some((_, max)), .. }) if count.count > *max => {
                over.extend(operations.remove(&i));
                done[i] = Some(Done::Opened(Opened::Limited(count)));
            }
            Write::Open(_) => {}
            _ => done[i] = Some(Done::Hit(count)),
        }
    }
    forget_keys(tx, &over).await?;

    // The statements of new keys, each opening's in a savepoint of its own.
    let mut thens: HashMap<usize, bool> = HashMap::new();
    for (i, opening) in &openings {
        if let (None, Some(&operation), false) = (&done[*i], operations.get(i), opening.then.is_empty()) {
            thens.insert(*i, apply_statements(tx, Some(operation), &opening.then).await?);
        }
    }

    // Payments: those of new keys, and those recorded for existing operations.
    let mut drafts: Vec<(usize, i64, &Draft)> = Vec::new();
    for (i, opening) in &openings {
        if done[*i].is_some() {
            continue;
        }
        match operations.get(i) {
            Some(&operation) => {
                if let Some(draft) = &opening.payment {
                    drafts.push((*i, operation, draft));
                } else {
                    let then = thens.get(i).copied();
                    done[*i] = Some(Done::Opened(Opened::Run { operation, payment: None, then }));
                }
            }
            None => done[*i] = Some(Done::Opened(Opened::Taken)),
        }
    }
    for (i, write) in writes.iter().enumerate() {
        if let Write::Record { operation, draft } = write {
            drafts.push((i, *operation, draft));
        }
    }
    let payments = record_payments(tx, &drafts).await?;
    for (i, operation, _) in &drafts {
        let payment = payments
            .get(operation)
            .cloned()
            .ok_or_else(|| BatchError(format!("operation {operation} has no payment"), true))?;
        done[*i] = Some(match &writes[*i] {
            Write::Open(_) => Done::Opened(Opened::Run {
                operation: *operation,
                payment: Some(payment),
                then: thens.get(i).copied(),
            }),
            _ => Done::Recorded(payment),
        });
    }

    // States, then answers.
    let settlements: Vec<(usize, &Settlement)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, write)| match write {
            Write::Settle(settlement) => Some((i, settlement)),
            _ => None,
        })
        .collect();
    settle(tx, &settlements).await?;
    for (i, _) in &settlements {
        done[*i] = Some(Done::Settled);
    }

    // Statements, each group in a savepoint of its own.
    for (i, write) in writes.iter().enumerate() {
        if let Write::Statements(statements) = write {
            done[i] = Some(Done::Applied(apply_statements(tx, None, statements).await?));
        }
    }

    done.into_iter()
        .map(|done| done.ok_or_else(|| BatchError("a write was left without a result".into(), false)))
        .collect()
}

/// Runs one group of statements in a savepoint (with `first`, if given, as every statement's
/// `$1`); rolls it back (and answers `false`) when a statement that must change a row changes
/// none.
async fn apply_statements(
    tx: &mut Tx<'_>,
    first: Option<i64>,
    statements: &[Statement],
) -> Result<bool, BatchError> {
    let postgres = matches!(tx, Tx::Postgres(_));
    tx.execute("SAVEPOINT statements", &[]).await?;
    for statement in statements {
        let values: Vec<Value> = first
            .map(Value::int)
            .into_iter()
            .chain(statement.args.iter().map(|arg| match arg {
                Arg::Int(v) => Value::Int(Some(*v)),
                Arg::OptInt(v) => Value::Int(*v),
                Arg::Text(v) => Value::Text(Some(v.clone())),
                Arg::OptText(v) => Value::Text(v.clone()),
            }))
            .collect();
        // SQLite reads `$1` as a *named* parameter, numbered by first appearance: `?1` is
        // positional, as on PostgreSQL.
        let sql = if postgres { statement.sql.clone() } else { positional(&statement.sql) };
        let changed = tx.execute(&sql, &values).await?;
        if statement.must_change && changed == 0 {
            tx.execute("ROLLBACK TO SAVEPOINT statements", &[]).await?;
            tx.execute("RELEASE SAVEPOINT statements", &[]).await?;
            return Ok(false);
        }
    }
    tx.execute("RELEASE SAVEPOINT statements", &[]).await?;
    Ok(true)
}

/// Counts hits, one statement for new subjects and one for all, whatever the batch holds.
/// Returns each hit's count as if the hits had come one by one in batch order.
async fn count_hits(tx: &mut Tx<'_>, hits: &[(usize, &Hit)]) -> Result<Vec<(usize, HitCount)>, BatchError> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    // Per subject: how many hits, and the first one's time and window.
    let mut subjects: Vec<(&str, i64, &Hit)> = Vec::new();
    for (_, hit) in hits {
        match subjects.iter_mut().find(|(key, _, _)| *key == hit.key) {
            Some((_, n, _)) => *n += 1,
            None => subjects.push((&hit.key, 1, hit)),
        }
    }
    // Rows are locked in key order, so two instances' batches cannot deadlock on PostgreSQL.
    subjects.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut params = Params::new(tx);
    let rows: Vec<String> = subjects
        .iter()
        .map(|(key, _, hit)| {
            format!("({}, {})", params.cast(Value::text(key)), params.cast(Value::int(hit.now)))
        })
        .collect();
    let sql = format!(
        "INSERT INTO rate_limits (key, window_start, count) \
         SELECT v.column1, v.column2, 0 FROM (VALUES {}) AS v WHERE true ON CONFLICT (key) DO NOTHING",
        rows.join(", ")
    );
    tx.execute(&sql, &params.values).await?;

    let mut params = Params::new(tx);
    let rows: Vec<String> = subjects
        .iter()
        .map(|(key, n, hit)| {
            format!(
                "({}, {}, {}, {})",
                params.cast(Value::text(key)),
                params.cast(Value::int(*n)),
                params.cast(Value::int(hit.now)),
                params.cast(Value::int(hit.now - hit.window)),
            )
        })
        .collect();
    // A window that began at or before `now - window` is over: the count starts again.
    let sql = format!(
        "UPDATE rate_limits SET \
             count = CASE WHEN rate_limits.window_start <= v.column4 THEN v.column2 ELSE rate_limits.count + v.column2 END, \
             window_start = CASE WHEN rate_limits.window_start <= v.column4 THEN v.column3 ELSE rate_limits.window_start END \
         FROM (VALUES {}) AS v WHERE rate_limits.key = v.column1 \
         RETURNING rate_limits.key, rate_limits.count, rate_limits.window_start",
        rows.join(", ")
    );
    let totals: Vec<(String, i64, i64)> = tx.fetch(&sql, &params.values).await?;
    let totals: HashMap<String, (i64, i64)> =
        totals.into_iter().map(|(key, count, start)| (key, (count, start))).collect();

    let mut seen: HashMap<&str, i64> = HashMap::new();
    hits.iter()
        .map(|(i, hit)| {
            let n = subjects.iter().find(|(key, _, _)| *key == hit.key).map_or(1, |(_, n, _)| *n);
            let &(total, window_start) =
                totals.get(&hit.key).ok_or_else(|| BatchError(format!("no count for {}", hit.key), true))?;
            let before = seen.entry(&hit.key).or_insert(0);
            *before += 1;
            Ok((*i, HitCount { count: total - n + *before, window_start }))
        })
        .collect()
}

/// Inserts the keys that are new; returns their operation ids by write index. The first of
/// two equal keys in one batch wins, as if it had come first.
async fn open_keys(
    tx: &mut Tx<'_>,
    openings: &[(usize, &Opening)],
) -> Result<HashMap<usize, i64>, BatchError> {
    if openings.is_empty() {
        return Ok(HashMap::new());
    }
    // Key order, so two instances' batches lock in the same order (no deadlock).
    let mut sorted: Vec<&Opening> = openings.iter().map(|(_, o)| *o).collect();
    sorted.sort_unstable_by(|a, b| (a.user_id, &a.key).cmp(&(b.user_id, &b.key)));
    let mut params = Params::new(tx);
    let rows: Vec<String> = sorted
        .iter()
        .map(|o| {
            format!(
                "({}, {}, {}, {}, {})",
                params.plain(Value::int(o.user_id)),
                params.plain(Value::text(&o.key)),
                params.plain(Value::Blob(o.hash.to_vec())),
                params.plain(Value::int(o.locked_until)),
                params.plain(Value::int(o.now)),
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO operations (user_id, idempotency_key, request_hash, locked_until, created_at) \
         VALUES {} ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id, user_id, idempotency_key",
        rows.join(", ")
    );
    let created: Vec<(i64, i64, String)> = tx.fetch(&sql, &params.values).await?;
    let mut by_key: HashMap<(i64, &str), i64> =
        created.iter().map(|(id, user, key)| ((*user, key.as_str()), *id)).collect();
    Ok(openings
        .iter()
        .filter_map(|(i, o)| by_key.remove(&(o.user_id, o.key.as_str())).map(|id| (*i, id)))
        .collect())
}

/// Deletes keys this batch inserted and then refused (over their limit): as if never sent.
async fn forget_keys(tx: &mut Tx<'_>, operations: &[i64]) -> Result<(), BatchError> {
    if operations.is_empty() {
        return Ok(());
    }
    let mut params = Params::new(tx);
    let ids: Vec<String> = operations.iter().map(|op| params.plain(Value::int(*op))).collect();
    let sql = format!("DELETE FROM operations WHERE id IN ({})", ids.join(", "));
    tx.execute(&sql, &params.values).await?;
    Ok(())
}

/// Inserts the payments (and notes) not recorded yet; returns every draft's payment by
/// operation, new or not.
async fn record_payments(
    tx: &mut Tx<'_>,
    drafts: &[(usize, i64, &Draft)],
) -> Result<HashMap<i64, PaymentRow>, BatchError> {
    if drafts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sorted: Vec<(i64, &Draft)> = drafts.iter().map(|(_, operation, d)| (*operation, *d)).collect();
    sorted.sort_unstable_by_key(|(operation, _)| *operation);
    let mut params = Params::new(tx);
    let rows: Vec<String> = sorted
        .iter()
        .map(|(operation, d)| {
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                params.cast(Value::int(*operation)),
                params.cast(Value::int(operations::ledger_id(*operation, Slot::Main))),
                params.cast(Value::int(d.sender_id)),
                params.cast(Value::int(d.recipient_id)),
                params.cast(Value::int(d.amount)),
                params.cast(Value::text(&d.currency)),
                params.cast(Value::Text(d.note.clone())),
                params.cast(Value::Int(d.hold_until)),
                params.cast(Value::Int(d.request_id)),
                params.cast(Value::int(d.now)),
            )
        })
        .collect();
    // The grace window is decided here, so a payment and the one it depends on never race
    // between a read and this write (this batch's own rows are all still `processing`).
    let sql = format!(
        "INSERT INTO payments ({PAYMENT_COLUMNS}) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
             CASE WHEN v.column8 IS NOT NULL AND NOT EXISTS ( \
                 SELECT 1 FROM payments p WHERE p.sender_id = v.column3 AND p.recipient_id = v.column4 \
                 AND p.state IN {PAID_STATES}) THEN v.column8 END, \
             'processing', v.column9, v.column10 \
         FROM (VALUES {}) AS v WHERE true ON CONFLICT (operation_id) DO NOTHING RETURNING {PAYMENT_COLUMNS}",
        rows.join(", ")
    );
    let inserted: Vec<PaymentRow> = tx.fetch(&sql, &params.values).await?;

    if !inserted.is_empty() {
        let draft_of = |operation: i64| drafts.iter().find(|(_, op, _)| *op == operation).map(|d| d.2);
        let mut params = Params::new(tx);
        let rows: Vec<String> = inserted
            .iter()
            .map(|p| {
                let draft = draft_of(p.operation_id);
                let hide_sender = draft.and_then(|d| d.tip.as_ref()).is_some_and(|tip| tip.anonymous);
                format!(
                    "({}, {}, {}, {})",
                    params.plain(Value::int(p.transfer_id)),
                    params.plain(Value::text(draft.map_or("transfer", |d| d.kind))),
                    params.plain(Value::Text(p.note.clone())),
                    params.plain(Value::int(i64::from(hide_sender))),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO transfer_notes (transfer_id, kind, note, hide_sender) VALUES {} \
             ON CONFLICT (transfer_id) DO NOTHING",
            rows.join(", ")
        );
        tx.execute(&sql, &params.values).await?;

        let tips: Vec<(i64, &TipDraft)> = inserted
            .iter()
            .filter_map(|p| Some((p.operation_id, draft_of(p.operation_id)?.tip.as_ref()?)))
            .collect();
        if !tips.is_empty() {
            let mut params = Params::new(tx);
            let rows: Vec<String> = tips
                .iter()
                .map(|(operation, tip)| {
                    format!(
                        "({}, {}, {}, {})",
                        params.plain(Value::int(*operation)),
                        params.plain(Value::Text(tip.post_id.clone())),
                        params.plain(Value::int(i64::from(tip.anonymous))),
                        params.plain(Value::int(tip.fee)),
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO tips (operation_id, post_id, anonymous, fee) VALUES {} ON CONFLICT (operation_id) DO NOTHING",
                rows.join(", ")
            );
            tx.execute(&sql, &params.values).await?;
        }
    }

    let mut payments: HashMap<i64, PaymentRow> = inserted.into_iter().map(|p| (p.operation_id, p)).collect();
    let missing: Vec<i64> =
        drafts.iter().map(|(_, op, _)| *op).filter(|op| !payments.contains_key(op)).collect();
    if !missing.is_empty() {
        let mut params = Params::new(tx);
        let ids: Vec<String> = missing.iter().map(|op| params.plain(Value::int(*op))).collect();
        let sql =
            format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE operation_id IN ({})", ids.join(", "));
        let existing: Vec<PaymentRow> = tx.fetch(&sql, &params.values).await?;
        payments.extend(existing.into_iter().map(|p| (p.operation_id, p)));
    }
    Ok(payments)
}

/// Payment states, stored answers and released leases. Two state changes of one payment in a
/// batch are made in batch order (one statement each), so the later one sees the earlier.
async fn settle(tx: &mut Tx<'_>, settlements: &[(usize, &Settlement)]) -> Result<(), BatchError> {
    let mut rounds: Vec<Vec<(i64, StateChange)>> = Vec::new();
    for (_, s) in settlements {
        if let Some(change) = s.payment {
            match rounds.iter_mut().find(|round| round.iter().all(|(op, _)| *op != s.operation)) {
                Some(round) => round.push((s.operation, change)),
                None => rounds.push(vec![(s.operation, change)]),
            }
        }
    }
    for mut round in rounds {
        round.sort_unstable_by_key(|(operation, _)| *operation);
        let mut params = Params::new(tx);
        let rows: Vec<String> = round
            .iter()
            .map(|(operation, change)| {
                format!(
                    "({}, {}, {})",
                    params.cast(Value::int(*operation)),
                    params.cast(Value::text(&format!(",{},", change.from.join(",")))),
                    params.cast(Value::text(change.to)),
                )
            })
            .collect();
        let sql = format!(
            "UPDATE payments SET state = v.column3 FROM (VALUES {}) AS v \
             WHERE payments.operation_id = v.column1 AND v.column2 LIKE ('%,' || payments.state || ',%')",
            rows.join(", ")
        );
        tx.execute(&sql, &params.values).await?;
    }

    let mut answers: Vec<(i64, &StoredAnswer)> = settlements
        .iter()
        .filter_map(|(_, s)| match &s.answer {
            Answer::Store(answer) => Some((s.operation, answer)),
            _ => None,
        })
        .collect();
    answers.sort_unstable_by_key(|(operation, _)| *operation);
    if !answers.is_empty() {
        let mut params = Params::new(tx);
        let rows: Vec<String> = answers
            .iter()
            .map(|(operation, answer)| {
                format!(
                    "({}, {}, {})",
                    params.cast(Value::int(*operation)),
                    params.cast(Value::int(i64::from(answer.status))),
                    params.cast(Value::text(&answer.body)),
                )
            })
            .collect();
        // The first answer stands: a key answers one way for ever.
        let sql = format!(
            "UPDATE operations SET response_status = v.column2, response_body = v.column3, locked_until = 0 \
             FROM (VALUES {}) AS v WHERE operations.id = v.column1 AND operations.response_status IS NULL",
            rows.join(", ")
        );
        tx.execute(&sql, &params.values).await?;
    }

    let released: Vec<i64> = settlements
        .iter()
        .filter(|(_, s)| matches!(s.answer, Answer::Release))
        .map(|(_, s)| s.operation)
        .collect();
    if !released.is_empty() {
        let mut params = Params::new(tx);
        let ids: Vec<String> = released.iter().map(|op| params.plain(Value::int(*op))).collect();
        let sql = format!(
            "UPDATE operations SET locked_until = 0 WHERE response_status IS NULL AND id IN ({})",
            ids.join(", ")
        );
        tx.execute(&sql, &params.values).await?;
    }
    Ok(())
}

/// A batch's transaction, on either backend, running statements with bound [`Value`]s.
enum Tx<'c> {
    /// The connection, inside `BEGIN IMMEDIATE` (by hand: a `rusqlite::Transaction` is not
    /// `Send`, and the PostgreSQL side of this code awaits).
    Sqlite(&'c mut rusqlite::Connection),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Binds each of `$values` to the sqlx `$query` in order.
macro_rules! bound {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_deref()),
                Value::Blob(v) => query.bind(v.as_slice()),
            };
        }
        query
    }};
}

impl Tx<'_> {
    async fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, BatchError> {
        Ok(match self {
            Tx::Sqlite(tx) => tx.prepare_cached(sql)?.execute(rusqlite::params_from_iter(values))? as u64,
            Tx::Postgres(tx) => bound!(sqlx::query(sql), values).execute(&mut **tx).await?.rows_affected(),
        })
    }

    async fn fetch<T>(&mut self, sql: &str, values: &[Value]) -> Result<Vec<T>, BatchError>
    where
        T: for<'r> sqlx::FromRow<'r, PgRow> + FromSqliteRow + Send + Unpin,
    {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let mut statement = tx.prepare_cached(sql)?;
                let rows = statement.query_map(rusqlite::params_from_iter(values), T::from_sqlite_row)?;
                rows.collect::<Result<Vec<T>, rusqlite::Error>>()?
            }
            Tx::Postgres(tx) => bound!(sqlx::query_as(sql), values).fetch_all(&mut **tx).await?,
        })
    }

    /// Commits; if that fails, rolls back (a failed SQLite `COMMIT` leaves the transaction
    /// open).
    async fn commit(self) -> Result<(), BatchError> {
        match self {
            Tx::Sqlite(connection) => {
                if let Err(error) = connection.execute_batch("COMMIT") {
                    Tx::Sqlite(connection).rollback().await;
                    return Err(error.into());
                }
            }
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    async fn rollback(self) {
        let result = match self {
            Tx::Sqlite(connection) if connection.is_autocommit() => Ok(()),
            Tx::Sqlite(connection) => connection.execute_batch("ROLLBACK").map_err(BatchError::from),
            Tx::Postgres(tx) => tx.rollback().await.map_err(BatchError::from),
        };
        if let Err(error) = result {
            tracing::error!(error = %error.0, "the journal could not roll a batch back");
        }
    }
}

impl FromSqliteRow for (String, i64, i64) {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    }
}

impl FromSqliteRow for (i64, i64, String) {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    }
}

/// In [`PAYMENT_COLUMNS`] order.
impl FromSqliteRow for PaymentRow {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(PaymentRow {
            operation_id: row.get(0)?,
            transfer_id: row.get(1)?,
            sender_id: row.get(2)?,
            recipient_id: row.get(3)?,
            amount: row.get(4)?,
            currency: row.get(5)?,
            note: row.get(6)?,
            hold_until: row.get(7)?,
            state: row.get(8)?,
            request_id: row.get(9)?,
            created_at: row.get(10)?,
        })
    }
}

/// A value to bind.
#[derive(Clone, Debug)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Vec<u8>),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Int(v) => v.to_sql(),
            Value::Text(v) => v.to_sql(),
            Value::Blob(v) => v.to_sql(),
        }
    }
}

impl Value {
    fn int(value: i64) -> Value {
        Value::Int(Some(value))
    }

    fn text(value: &str) -> Value {
        Value::Text(Some(value.to_string()))
    }
}

/// The placeholders of one statement, numbered as they are written, and their values.
struct Params {
    postgres: bool,
    values: Vec<Value>,
}

impl Params {
    fn new(tx: &Tx<'_>) -> Params {
        Params { postgres: matches!(tx, Tx::Postgres(_)), values: Vec::new() }
    }

    /// `$n` (`?n` on SQLite), where the column's type says what it is (an `INSERT`'s
    /// `VALUES`, an `IN` list).
    fn plain(&mut self, value: Value) -> String {
        self.values.push(value);
        let mark = if self.postgres { '$' } else { '?' };
        format!("{mark}{}", self.values.len())
    }

    /// `CAST($n AS type)`, where nothing else would (a `VALUES` list read as a table: on
    /// PostgreSQL its parameters would otherwise be text).
    fn cast(&mut self, value: Value) -> String {
        let sql_type = match (&value, self.postgres) {
            (Value::Int(_), _) => "BIGINT",
            (Value::Text(_), _) => "TEXT",
            (Value::Blob(_), true) => "BYTEA",
            (Value::Blob(_), false) => "BLOB",
        };
        format!("CAST({} AS {sql_type})", self.plain(value))
    }
}
