//! `WriteBatcher`: group commit for the server's own rows on the money path. Rate-limit hits,
//! idempotency keys (operations), payments (and tips) and their notes, payment states, stored
//! answers, and groups of plain statements (checkout, webhooks, funding) are not written by the
//! request that needs them: it queues a write here and awaits its own reply. One writer takes
//! every write queued, makes them all in one transaction with one multi-row statement per kind,
//! and answers each.
//!
//! The ledger's writer taught us that on SQLite a statement costs more than the rows it
//! writes, and that several connections taking turns at the write lock mostly wait. A
//! `POST /transfers` used to make five commits of its own; now it joins two batches (its key,
//! payment and note; then its state and answer), whatever the load.
//!
//! Within a batch the kinds run in a fixed order (keys, hits, the statements of new keys,
//! payments and notes, states and answers, groups) and a batch is all or nothing. A batch that
//! fails for a reason one write may have caused is retried write by write, so one bad write
//! never fails the others. The SQL of each kind is its table family's ([`super::operations`],
//! [`super::limits`], [`super::payments`]); this module is the machinery.

use std::collections::HashMap;

use purse_ledger::WriteGate;
use tokio::sync::{mpsc, oneshot};

use crate::ids::{OperationId, PersonId};
use crate::store::audit::{self, AuditRow, NewEntry};
use crate::store::limits::{Hit, HitCount};
use crate::store::operations::{KeyOutcome, Opened, Opening, Settlement};
use crate::store::payments::{Draft, PaymentRow, PaymentState};
use crate::store::{
    Columns, Db, Row, Statement, StoreError, Value, bound, limits, operations, payments, positional,
};
use crate::store::{monitoring, usage};
use crate::time::Time;

/// Writes in one batch at most (SQLite allows 32,766 bound values per statement; a payment
/// takes eleven).
const MAX_BATCH: usize = 256;

#[derive(Clone, Debug)]
enum Write {
    Hit(Hit),
    /// One statement that returns at most one number (a PIN attempt's place in its run).
    Count(Statement),
    /// Boxed: an opening (its payment, its limits) is several times any other write.
    Open(Box<Opening>),
    Record {
        operation: OperationId,
        draft: Draft,
    },
    Settle(Settlement),
    Statements(Vec<Statement>),
    /// A group of statements and the audit entries that record it: the entries are appended
    /// only when every statement that must change a row did.
    Audited {
        statements: Vec<Statement>,
        entries: Vec<NewEntry>,
    },
}

#[derive(Debug)]
enum Done {
    Hit(HitCount),
    Counted(Option<i64>),
    Opened(Opened),
    Recorded(PaymentRow),
    Settled,
    Applied(bool),
    Audited(bool, Vec<AuditRow>),
}

type Reply = oneshot::Sender<Result<Done, StoreError>>;

/// The sending side; cheap to clone. The writer stops when the last one is dropped.
#[derive(Clone, Debug)]
pub struct WriteBatcher {
    writes: mpsc::Sender<(Write, Reply)>,
}

impl WriteBatcher {
    /// Starts the writer on `db`. On PostgreSQL it is a task using the pool. On SQLite it is a
    /// thread of its own with its own connection to the file, making each batch's statements
    /// as plain calls (through sqlx every statement is a round trip to a worker thread:
    /// measured, that made a batch cost 2.5 ms, most of the time the file was locked for
    /// writing); `gate` is the ledger's ([`purse_ledger::Ledger::write_gate`]), held by each
    /// batch, so the two writers of the file take turns without polling for SQLite's lock.
    pub fn start(db: &Db, gate: Option<WriteGate>) -> Result<WriteBatcher, StoreError> {
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        match db {
            Db::Sqlite(pool, _) => {
                let path = pool.connect_options().get_filename().to_path_buf();
                let connection = open_sqlite(&path)?;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .map_err(|e| StoreError::Database(format!("cannot start the write batcher: {e}")))?;
                std::thread::Builder::new()
                    .name("purse-batcher".into())
                    .spawn(move || runtime.block_on(run(Conn::Sqlite(connection, path), gate, queue)))
                    .map_err(|e| StoreError::Database(format!("cannot start the write batcher: {e}")))?;
            }
            Db::Postgres(pool) => {
                tokio::spawn(run(Conn::Postgres(pool.clone()), None, queue));
            }
        }
        Ok(WriteBatcher { writes })
    }

    /// Queues `write`; its result arrives on the receiver.
    async fn enqueue(&self, write: Write) -> Result<oneshot::Receiver<Result<Done, StoreError>>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writes.send((write, reply)).await.map_err(|_| stopped())?;
        Ok(answer)
    }

    async fn write(&self, write: Write) -> Result<Done, StoreError> {
        self.enqueue(write).await?.await.map_err(|_| stopped())?
    }

    /// Counts one hit of a rate limit.
    pub async fn hit(&self, hit: Hit) -> Result<HitCount, StoreError> {
        match self.write(Write::Hit(hit)).await? {
            Done::Hit(count) => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    /// Runs `statement`, which returns at most one row of one number, in a batch with other
    /// writes (statements of this kind run one by one, in order): the number, if a row came
    /// back. How a PIN attempt is counted before its PIN is checked.
    pub async fn count(&self, statement: Statement) -> Result<Option<i64>, StoreError> {
        match self.write(Write::Count(statement)).await? {
            Done::Counted(count) => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    /// Records a first arrival of a key (see [`Opening`]).
    pub async fn open(&self, opening: Opening) -> Result<Opened, StoreError> {
        match self.write(Write::Open(Box::new(opening))).await? {
            Done::Opened(opened) => Ok(opened),
            other => Err(unexpected(&other)),
        }
    }

    /// Records the payment of an existing operation; if it has one already, returns that.
    pub async fn record(&self, operation: OperationId, draft: Draft) -> Result<PaymentRow, StoreError> {
        match self.write(Write::Record { operation, draft }).await? {
            Done::Recorded(payment) => Ok(payment),
            other => Err(unexpected(&other)),
        }
    }

    /// Runs `statements` together, in a batch with other writes: all of them, or (when one
    /// marked `must_change` changes no row) none, which answers `false`. How checkout's state
    /// changes and the webhook events describing them are written at once, without a
    /// transaction (and a turn of the file) of their own per request.
    pub async fn apply(&self, statements: Vec<Statement>) -> Result<bool, StoreError> {
        match self.write(Write::Statements(statements)).await? {
            Done::Applied(applied) => Ok(applied),
            other => Err(unexpected(&other)),
        }
    }

    /// Runs `statements` as [`WriteBatcher::apply`] does and, when they all were made, appends
    /// `entries` to the audit log in the same transaction: whether the statements were made,
    /// and the entries as written (none when they were not: a decision already taken, whose
    /// guarded statement changed nothing, records nothing).
    pub async fn audited(
        &self,
        statements: Vec<Statement>,
        entries: Vec<NewEntry>,
    ) -> Result<(bool, Vec<AuditRow>), StoreError> {
        match self.write(Write::Audited { statements, entries }).await? {
            Done::Audited(applied, rows) => Ok((applied, rows)),
            other => Err(unexpected(&other)),
        }
    }

    /// Moves a payment's state and/or ends an operation (see [`Settlement`]).
    pub async fn settle(&self, settlement: Settlement) -> Result<(), StoreError> {
        self.settle_all(vec![settlement]).await
    }

    /// Several settlements, queued together so that they share a batch.
    pub async fn settle_all(&self, settlements: Vec<Settlement>) -> Result<(), StoreError> {
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

fn stopped() -> StoreError {
    StoreError::Database("the server's writer has stopped".into())
}

fn unexpected(done: &Done) -> StoreError {
    StoreError::Database(format!("the server's writer answered with the wrong kind: {done:?}"))
}

/// The batcher's connection: its own on SQLite (and the file, to reopen it), the pool on
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
                Err(error) => tracing::error!(%error, "the write batcher could not reopen its connection"),
            }
        }
    }
}

/// The server's tables are in the ledger's file, in WAL mode already. `NORMAL`, as for the
/// server's pool (see `Db::open`): the ledger's `FULL` commit that follows an operation's
/// makes it durable.
fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let error = |e: rusqlite::Error| {
        StoreError::Database(format!("cannot open {} for the write batcher: {e}", path.display()))
    };
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
                    let _ = reply.send(result.map_err(StoreError::from).and_then(|mut done| {
                        done.pop().ok_or_else(|| StoreError::Database("a write had no result".into()))
                    }));
                }
            }
            Err(error) => {
                let error = StoreError::from(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// A failed batch, and whether a single write may have caused it (a refused row) rather than
/// the database (connection, I/O), in which case every write of the batch gets the error.
#[derive(Debug)]
pub struct BatchError(String, bool, bool);

impl BatchError {
    fn may_be_one_writes_fault(&self) -> bool {
        self.1
    }

    /// A row that could not be read (a broken stored value): that write's fault.
    fn of_row(error: StoreError) -> BatchError {
        BatchError(error.message().to_string(), true, false)
    }

    /// Something the batch itself found wrong with a write (a missing result, say).
    pub fn of_write(reason: String) -> BatchError {
        BatchError(reason, true, false)
    }
}

impl From<sqlx::Error> for BatchError {
    fn from(error: sqlx::Error) -> BatchError {
        let writes_fault = matches!(&error, sqlx::Error::Database(_)) && !super::is_connection_error(&error);
        let lost = super::is_connection_error(&error);
        BatchError(StoreError::from(error).message().to_string(), writes_fault, lost)
    }
}

impl From<rusqlite::Error> for BatchError {
    fn from(error: rusqlite::Error) -> BatchError {
        let writes_fault = matches!(
            &error,
            rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::ConstraintViolation
        );
        BatchError(format!("database error: {error}"), writes_fault, false)
    }
}

impl From<BatchError> for StoreError {
    fn from(error: BatchError) -> StoreError {
        StoreError::Database(error.0)
    }
}

/// Makes `writes` in one transaction. On PostgreSQL a batch that met a lost connection before
/// its `COMMIT` (so wrote nothing) is made again on another connection, up to the pool's size
/// plus one times, each dead pooled connection being dropped as it fails.
async fn commit(conn: &mut Conn, writes: &[Write]) -> Result<Vec<Done>, BatchError> {
    let mut tries = 0;
    loop {
        match commit_once(conn, writes).await {
            Err(Attempt::BeforeCommit(error, lost))
                if lost && tries < 9 && matches!(conn, Conn::Postgres(_)) =>
            {
                tries += 1;
                tracing::info!(error = %error.0, tries, "a batch lost its database connection before committing; again");
            }
            Err(Attempt::BeforeCommit(error, _) | Attempt::AtCommit(error)) => return Err(error),
            Ok(done) => return Ok(done),
        }
    }
}

/// How a batch failed: before its `COMMIT` (nothing written; `true` when the connection was
/// lost), or at it (it may have been written).
enum Attempt {
    BeforeCommit(BatchError, bool),
    AtCommit(BatchError),
}

async fn commit_once(conn: &mut Conn, writes: &[Write]) -> Result<Vec<Done>, Attempt> {
    let lost = |error: sqlx::Error| {
        let lost = super::is_connection_error(&error);
        Attempt::BeforeCommit(error.into(), lost)
    };
    if let Conn::Postgres(pool) = conn {
        let mut tx = Tx::Postgres(pool.begin().await.map_err(lost)?);
        return match apply(&mut tx, writes).await {
            Ok(done) => tx.commit().await.map(|()| done).map_err(Attempt::AtCommit),
            Err(error) => {
                tx.rollback().await;
                let connection_lost = error.2;
                Err(Attempt::BeforeCommit(error, connection_lost))
            }
        };
    }
    commit_sqlite(conn, writes).await.map_err(Attempt::AtCommit)
}

async fn commit_sqlite(conn: &mut Conn, writes: &[Write]) -> Result<Vec<Done>, BatchError> {
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
            Write::Open(opening) => Some((i, &**opening)),
            _ => None,
        })
        .collect();
    // The PIN allowance of the batch's people, read (and on PostgreSQL locked) before anything
    // is written: see `limits::read_pinless`.
    let pinless_people: Vec<PersonId> =
        openings.iter().filter(|(_, o)| o.pinless.is_some()).map(|(_, o)| o.person).collect();
    let since = openings.iter().filter_map(|(_, o)| Some(o.pinless?.since)).min().unwrap_or(Time::EPOCH);
    let refusals: Vec<OperationId> = writes
        .iter()
        .filter_map(|write| match write {
            Write::Settle(Settlement { operation, key: KeyOutcome::Answer(answer), .. })
                if answer.status >= 400 =>
            {
                Some(*operation)
            }
            _ => None,
        })
        .collect();
    let pinless_day = limits::read_pinless(tx, pinless_people, &refusals, since).await?;
    // The tier limits' room of the batch's payers and recipients, likewise: see
    // `usage::read_room`.
    let limit_people: Vec<PersonId> = openings
        .iter()
        .filter_map(|(_, o)| o.limits)
        .flat_map(|check| [check.payer, check.recipient])
        .flatten()
        .map(|side| side.person)
        .collect();
    let limit_now = openings.iter().filter_map(|(_, o)| Some(o.limits?.now)).max().unwrap_or(Time::EPOCH);
    // Movements that no longer count against a limit: refused at their end, or their payment
    // canceled or failed (a grace-window send canceled, a hold voided).
    let mut released = refusals.clone();
    released.extend(writes.iter().filter_map(|write| match write {
        Write::Settle(Settlement { operation, payment: Some(change), .. })
            if matches!(change.to, PaymentState::Canceled | PaymentState::Failed) =>
        {
            Some(*operation)
        }
        _ => None,
    }));
    let room = usage::read_room(tx, limit_people, &released, limit_now).await?;
    let mut operations = operations::open_keys(tx, &openings).await?;

    // Counts, one by one.
    for (i, write) in writes.iter().enumerate() {
        if let Write::Count(statement) = write {
            let rows: Vec<(i64,)> = tx.fetch(statement).await?;
            done[i] = Some(Done::Counted(rows.first().map(|(n,)| *n)));
        }
    }

    // Hits: standalone ones, and those of new keys, which over their limit are taken back.
    let mut hits: Vec<(usize, &Hit)> = Vec::new();
    for (i, write) in writes.iter().enumerate() {
        match write {
            Write::Hit(hit) => hits.push((i, hit)),
            Write::Open(opening) if operations.contains_key(&i) => {
                if let Some((hit, _)) = &opening.limit {
                    hits.push((i, hit));
                }
            }
            _ => {}
        }
    }
    let mut over = Vec::new();
    for (i, count) in limits::count_hits(tx, &hits).await? {
        match &writes[i] {
            Write::Open(opening) if opening.limit.as_ref().is_some_and(|(_, max)| count.count > *max) => {
                over.extend(operations.remove(&i));
                done[i] = Some(Done::Opened(Opened::Limited(count)));
            }
            Write::Open(_) => {}
            _ => done[i] = Some(Done::Hit(count)),
        }
    }
    // Movements without the PIN, of new keys within their limit: past the person's allowance
    // the key is taken back, as over a limit.
    let pinless: Vec<_> = openings
        .iter()
        .filter(|(i, _)| done[*i].is_none() && operations.contains_key(i))
        .filter_map(|(i, o)| Some((*i, o.person, o.pinless?)))
        .collect();
    for i in limits::spend_pinless(tx, pinless_day, &pinless).await? {
        over.extend(operations.remove(&i));
        done[i] = Some(Done::Opened(Opened::PinNeeded));
    }
    // Movements within their limits so far: past a tier limit, the key is taken back too.
    let limited: Vec<_> = openings
        .iter()
        .filter(|(i, _)| done[*i].is_none())
        .filter_map(|(i, o)| Some((*i, *operations.get(i)?, o.limits?)))
        .collect();
    for (i, refusal) in usage::spend_room(tx, room, &limited).await? {
        over.extend(operations.remove(&i));
        done[i] = Some(Done::Opened(Opened::OverLimit(refusal)));
    }
    operations::forget_keys(tx, &over).await?;

    // The monitoring rules, for new keys within their limits: a hit holds the movement.
    let watched: Vec<(usize, OperationId, &monitoring::Watch)> = openings
        .iter()
        .filter(|(i, _)| done[*i].is_none())
        .filter_map(|(i, o)| Some((*i, *operations.get(i)?, o.watch.as_ref()?)))
        .collect();
    let watches: Vec<(OperationId, &monitoring::Watch)> =
        watched.iter().map(|(_, op, w)| (*op, *w)).collect();
    let (held, opened_entries) = monitoring::watch(tx, &watches).await?;
    let held: HashMap<usize, monitoring::Held> =
        held.into_iter().map(|(place, held)| (watched[place].0, held)).collect();
    let reviews: HashMap<OperationId, &'static str> =
        held.iter().filter_map(|(i, h)| Some((*operations.get(i)?, h.reason.as_str()))).collect();

    // The statements of new keys, each opening's in a savepoint of its own.
    let mut thens: HashMap<usize, bool> = HashMap::new();
    for (i, opening) in &openings {
        if let (None, Some(&operation), false) = (&done[*i], operations.get(i), opening.then.is_empty()) {
            thens.insert(*i, apply_statements(tx, Some(operation), &opening.then).await?);
        }
    }

    // Payments: those of new keys, and those recorded for existing operations.
    let mut drafts: Vec<(usize, OperationId, &Draft)> = Vec::new();
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
                    let held = held.get(i).copied();
                    done[*i] = Some(Done::Opened(Opened::Run { operation, payment: None, then, held }));
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
    let payments = payments::record(tx, &drafts, &reviews).await?;
    for (i, operation, _) in &drafts {
        let payment = payments
            .get(operation)
            .cloned()
            .ok_or_else(|| BatchError(format!("operation {} has no payment", operation.0), true, false))?;
        done[*i] = Some(match &writes[*i] {
            Write::Open(_) => Done::Opened(Opened::Run {
                operation: *operation,
                payment: Some(payment),
                then: thens.get(i).copied(),
                held: held.get(i).copied(),
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
    let changes: Vec<_> = settlements.iter().filter_map(|(_, s)| Some((s.operation, s.payment?))).collect();
    payments::change_states(tx, &changes).await?;
    operations::conclude(tx, &settlements).await?;
    usage::forget_uses(tx, &released).await?;
    for (i, _) in &settlements {
        done[*i] = Some(Done::Settled);
    }

    // Statements, each group in a savepoint of its own.
    for (i, write) in writes.iter().enumerate() {
        if let Write::Statements(statements) = write {
            done[i] = Some(Done::Applied(apply_statements(tx, None, statements).await?));
        }
    }

    // Audited groups last, each in a savepoint of its own; then the entries of those made, in
    // one append (on PostgreSQL it locks the log: the batch's last lock, so never a deadlock).
    let mut audited: Vec<(usize, usize)> = Vec::new();
    // The cases the monitoring rules opened come first.
    let opened = opened_entries.len();
    let mut entries: Vec<NewEntry> = opened_entries;
    for (i, write) in writes.iter().enumerate() {
        if let Write::Audited { statements, entries: these } = write {
            let applied = apply_statements(tx, None, statements).await?;
            let count = if applied { these.len() } else { 0 };
            entries.extend(these.iter().take(count).cloned());
            audited.push((i, count));
            done[i] = Some(Done::Audited(applied, Vec::new()));
        }
    }
    let mut rows = audit::append(tx, &entries).await?.into_iter().skip(opened);
    for (i, count) in audited {
        if let Some(Done::Audited(_, these)) = &mut done[i] {
            these.extend(rows.by_ref().take(count));
        }
    }

    done.into_iter()
        .map(|done| done.ok_or_else(|| BatchError("a write was left without a result".into(), false, false)))
        .collect()
}

/// Runs one group of statements in a savepoint (with `first`, if given, as every statement's
/// `$1`); rolls it back (and answers `false`) when a statement that must change a row changes
/// none.
async fn apply_statements(
    tx: &mut Tx<'_>,
    first: Option<OperationId>,
    statements: &[Statement],
) -> Result<bool, BatchError> {
    tx.execute(&Statement::new("SAVEPOINT statements", vec![])).await?;
    for statement in statements {
        let values: Vec<Value> =
            first.map(Value::from).into_iter().chain(statement.values.iter().cloned()).collect();
        let changed = tx.execute(&Statement { values, ..statement.clone() }).await?;
        if statement.must_change && changed == 0 {
            tx.execute(&Statement::new("ROLLBACK TO SAVEPOINT statements", vec![])).await?;
            tx.execute(&Statement::new("RELEASE SAVEPOINT statements", vec![])).await?;
            return Ok(false);
        }
    }
    tx.execute(&Statement::new("RELEASE SAVEPOINT statements", vec![])).await?;
    Ok(true)
}

/// A batch's transaction, on either backend: what the table families' batched writes run
/// their statements in.
pub enum Tx<'c> {
    /// The connection, inside `BEGIN IMMEDIATE` (by hand: a `rusqlite::Transaction` is not
    /// `Send`, and the PostgreSQL side of this code awaits).
    Sqlite(&'c mut rusqlite::Connection),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_postgres() { "Tx::Postgres" } else { "Tx::Sqlite" })
    }
}

impl Tx<'_> {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// Runs `statement`; how many rows it changed.
    pub async fn execute(&mut self, statement: &Statement) -> Result<u64, BatchError> {
        Ok(match self {
            // SQLite reads `$1` as a *named* parameter, numbered by first appearance: `?1` is
            // positional, as on PostgreSQL.
            Tx::Sqlite(tx) => tx
                .prepare_cached(&positional(&statement.sql))?
                .execute(rusqlite::params_from_iter(&statement.values))? as u64,
            Tx::Postgres(tx) => bound!(postgres, sqlx::query(&statement.sql), &statement.values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// Runs `statement`; the rows it returned.
    pub async fn fetch<T: Row>(&mut self, statement: &Statement) -> Result<Vec<T>, BatchError> {
        match self {
            Tx::Sqlite(tx) => {
                let mut prepared = tx.prepare_cached(&positional(&statement.sql))?;
                let rows = prepared
                    .query_map(rusqlite::params_from_iter(&statement.values), |row| {
                        Ok(Columns::read::<T>(row))
                    })?
                    .collect::<Result<Vec<_>, rusqlite::Error>>()?;
                Ok(rows.into_iter().collect::<Result<Vec<T>, StoreError>>().map_err(BatchError::of_row)?)
            }
            Tx::Postgres(tx) => {
                let rows = bound!(postgres, sqlx::query(&statement.sql), &statement.values)
                    .fetch_all(&mut **tx)
                    .await?;
                Ok(rows
                    .iter()
                    .map(Columns::read)
                    .collect::<Result<Vec<T>, StoreError>>()
                    .map_err(BatchError::of_row)?)
            }
        }
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
            tracing::error!(error = %error.0, "the write batcher could not roll a batch back");
        }
    }
}

/// The placeholders of one multi-row statement, numbered as they are written, and their
/// values: how a batch writes many rows with one statement.
#[derive(Debug)]
pub struct Params {
    postgres: bool,
    pub values: Vec<Value>,
}

impl Params {
    pub fn new(tx: &Tx<'_>) -> Params {
        Params { postgres: tx.is_postgres(), values: Vec::new() }
    }

    /// `$n` (`?n` on SQLite), where the column's type says what it is (an `INSERT`'s
    /// `VALUES`, an `IN` list).
    pub fn plain(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        let mark = if self.postgres { '$' } else { '?' };
        format!("{mark}{}", self.values.len())
    }

    /// `CAST($n AS type)`, where nothing else would (a `VALUES` list read as a table: on
    /// PostgreSQL its parameters would otherwise be text).
    pub fn cast(&mut self, value: impl Into<Value>) -> String {
        let value = value.into();
        let sql_type = match (&value, self.postgres) {
            (Value::Int(_), _) => "BIGINT",
            (Value::Text(_), _) => "TEXT",
            (Value::Blob(_), true) => "BYTEA",
            (Value::Blob(_), false) => "BLOB",
            (Value::Ints(_), true) => "BIGINT[]",
            (Value::Ints(_), false) => "TEXT",
        };
        format!("CAST({} AS {sql_type})", self.plain(value))
    }

    /// The statement `sql` (written with these placeholders) with these values.
    pub fn statement(self, sql: String) -> Statement {
        Statement::new(sql, self.values)
    }
}
