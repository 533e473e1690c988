//! [`Ledger`]: the handle the rest of Purse holds. Writes go through the group-commit writer;
//! reads go straight to the database (read-only connections on SQLite).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::audit::{self, AuditReport};
use crate::clock::{Clock, SystemClock};
use crate::error::LedgerError;
use crate::metrics::LedgerMetrics;
use crate::reject::CreateAccountError;
use crate::state_machine::TransferResult;
use crate::store::{Store, WriteGate};
use crate::types::{
    Account, AccountId, Balances, LedgerChange, NewAccount, PendingRecord, Timestamp, Transfer, TransferId,
    TransferRequest,
};

/// Changes a slow subscriber may fall behind by before it is told it lagged.
const CHANGE_BUFFER: usize = 1_024;
use crate::writer::{Command, Writer, WriterConfig};

/// How a ledger batches and keeps time.
#[derive(Clone, Debug)]
pub struct LedgerConfig {
    /// The most requests one batch (one database transaction) holds.
    pub max_batch_requests: usize,
    /// How long the writer waits for more submissions once it has one and the queue is empty.
    /// Zero: commit what is queued at once; batches still grow under load, because everything
    /// that arrives while a batch commits forms the next one.
    pub batch_window: Duration,
    /// How often an idle writer looks for expired pending transfers to void.
    pub expiry_interval: Duration,
    /// Submissions that may wait for the writer before submitters are slowed down.
    pub queue_capacity: usize,
    pub clock: Arc<dyn Clock>,
    /// Open for reading only (an audit): no writer, no migrations, no expiry sweeps, nothing
    /// created; `create_*` answer [`LedgerError::ReadOnly`].
    pub read_only: bool,
}

impl Default for LedgerConfig {
    fn default() -> LedgerConfig {
        LedgerConfig {
            max_batch_requests: 2_000,
            batch_window: Duration::ZERO,
            expiry_interval: Duration::from_secs(1),
            queue_capacity: 8_192,
            clock: Arc::new(SystemClock),
            read_only: false,
        }
    }
}

/// An account create request's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountOutcome {
    pub account: Account,
    /// `false` when an identical account already existed.
    pub created: bool,
}

/// A committed transfer with, for a pending transfer, where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub transfer: Transfer,
    pub pending: Option<PendingRecord>,
}

/// A page of an account's transfers, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferPage {
    /// Only transfers strictly older than this (the last timestamp of the previous page).
    pub before: Option<Timestamp>,
    pub limit: u32,
}

/// A double-entry ledger on SQLite or PostgreSQL. Cheap to clone; all clones share one writer.
#[derive(Clone, Debug)]
pub struct Ledger {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    changes: broadcast::Sender<LedgerChange>,
    /// PostgreSQL: the task that turns `NOTIFY`s into [`LedgerChange`]s.
    listener: Option<JoinHandle<()>>,
    commands: mpsc::Sender<Command>,
    writer: Mutex<Option<JoinHandle<()>>>,
    metrics: Arc<LedgerMetrics>,
    max_batch_requests: usize,
    read_only: bool,
    /// The clock the writer stamps transfers with.
    clock: Arc<dyn Clock>,
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger at `url` with default settings.
    pub async fn open(url: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_with(url, LedgerConfig::default()).await
    }

    pub async fn open_with(url: &str, config: LedgerConfig) -> Result<Ledger, LedgerError> {
        let store = Arc::new(Store::open(url, config.read_only).await?);
        let metrics = Arc::new(LedgerMetrics::default());
        let (commands, receiver) = mpsc::channel(config.queue_capacity.max(1));
        let read_only = config.read_only;
        let clock = config.clock.clone();
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        let listener = store.spawn_change_listener(changes.clone()).await?;
        let writer = Writer {
            gate: store.write_gate(),
            store: store.clone(),
            config: WriterConfig {
                max_batch_requests: config.max_batch_requests.max(1),
                batch_window: config.batch_window,
                expiry_interval: config.expiry_interval,
            },
            clock: config.clock,
            metrics: metrics.clone(),
            announce: listener.is_none().then(|| changes.clone()),
        };
        let handle = (!read_only).then(|| tokio::spawn(writer.run(receiver)));
        Ok(Ledger {
            inner: Arc::new(Inner {
                store,
                changes,
                listener,
                commands,
                writer: Mutex::new(handle),
                metrics,
                max_batch_requests: config.max_batch_requests.max(1),
                read_only,
                clock,
            }),
        })
    }

    /// The clock this ledger stamps transfers with (the one its config gave).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Opens `url` for reading only: see [`LedgerConfig::read_only`].
    pub async fn open_read_only(url: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_with(url, LedgerConfig { read_only: true, ..LedgerConfig::default() }).await
    }

    /// Committed changes, as they happen: which accounts' balances moved. On PostgreSQL this
    /// includes batches committed by other server instances on the same database. A receiver
    /// that falls behind gets `Lagged` and should treat it as [`LedgerChange::Everything`].
    pub fn subscribe(&self) -> broadcast::Receiver<LedgerChange> {
        self.inner.changes.subscribe()
    }

    /// Announces to every subscriber, on every instance, that something about `accounts`
    /// changed outside the books (a request for money was made, say), so live views of them
    /// refresh. Subscribers treat it like a batch that touched those accounts.
    pub async fn announce(&self, accounts: &[AccountId]) -> Result<(), LedgerError> {
        if accounts.is_empty() {
            return Ok(());
        }
        if !self.inner.store.announce(accounts).await? {
            let _ = self.inner.changes.send(LedgerChange::Accounts(accounts.to_vec().into()));
        }
        Ok(())
    }

    /// On SQLite, the lock the ledger's writer holds for each write transaction: another
    /// writer of the same database file in this process that holds it around its own
    /// transactions never meets the ledger's in SQLite's busy loop (see [`WriteGate`]). `None`
    /// on PostgreSQL, where writers do not exclude each other.
    pub fn write_gate(&self) -> Option<WriteGate> {
        self.inner.store.write_gate()
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.inner.store.backend()
    }

    pub fn metrics(&self) -> &LedgerMetrics {
        &self.inner.metrics
    }

    /// Creates accounts; one result per account, in order. An identical existing account is
    /// `Ok` with `created: false`.
    pub async fn create_accounts(
        &self,
        accounts: Vec<NewAccount>,
    ) -> Result<Vec<Result<AccountOutcome, CreateAccountError>>, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Accounts { accounts, reply }).await?;
        let results = answer.await.map_err(|_| LedgerError::ShutDown)??;
        Ok(results
            .into_iter()
            .map(|result| result.map(|(account, created)| AccountOutcome { account, created }))
            .collect())
    }

    /// Submits transfers, which commit together with other submitters' in the next batch. One
    /// result per request, in order. Requests marked `linked` form chains with the requests
    /// after them in this submission. Durable when this returns `Ok`.
    pub async fn create_transfers(
        &self,
        requests: Vec<TransferRequest>,
    ) -> Result<Vec<TransferResult>, LedgerError> {
        if requests.len() > self.inner.max_batch_requests {
            return Err(LedgerError::SubmissionTooLarge { max: self.inner.max_batch_requests });
        }
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.send(Command::Transfers { requests, reply }).await?;
        answer.await.map_err(|_| LedgerError::ShutDown)?
    }

    /// One transfer; a shorthand for a submission of one.
    pub async fn create_transfer(&self, request: TransferRequest) -> Result<TransferResult, LedgerError> {
        let mut results = self.create_transfers(vec![request]).await?;
        results.pop().ok_or(LedgerError::ShutDown)
    }

    pub async fn lookup_accounts(&self, ids: &[AccountId]) -> Result<Vec<Account>, LedgerError> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.inner.store.lookup_accounts(&ids).await
    }

    pub async fn lookup_account(&self, id: AccountId) -> Result<Option<Account>, LedgerError> {
        Ok(self.lookup_accounts(&[id]).await?.pop())
    }

    pub async fn lookup_transfers(&self, ids: &[TransferId]) -> Result<Vec<TransferRecord>, LedgerError> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.inner.store.lookup_transfers(&ids).await?;
        Ok(found.into_iter().map(|(transfer, pending)| TransferRecord { transfer, pending }).collect())
    }

    /// An account's transfers, newest first. The next page starts `before` the last one's
    /// timestamp; an empty page is the end.
    pub async fn account_transfers(
        &self,
        account: AccountId,
        page: TransferPage,
    ) -> Result<Vec<Transfer>, LedgerError> {
        self.inner.store.account_transfers(account, page.before, page.limit).await
    }

    /// An account's transfers after `after` (all of them when `None`), oldest first: what a
    /// live stream that last saw `after` has missed.
    pub async fn account_transfers_after(
        &self,
        account: AccountId,
        after: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<Transfer>, LedgerError> {
        self.inner.store.account_transfers_after(account, after, limit).await
    }

    /// Every account a transfer with a timestamp after `after` touched, each once, ascending:
    /// the others' balances have not changed since. (A range read of the transfers' timestamp
    /// key, so a recent `after` reads little.)
    pub async fn accounts_moved_after(&self, after: Timestamp) -> Result<Vec<AccountId>, LedgerError> {
        self.inner.store.accounts_moved_after(after).await
    }

    /// The account's balances as they stood at `at` (after every transfer with a timestamp at
    /// or before it). `None` if the account does not exist.
    pub async fn balance_at(
        &self,
        account: AccountId,
        at: Timestamp,
    ) -> Result<Option<Balances>, LedgerError> {
        if self.lookup_account(account).await?.is_none() {
            return Ok(None);
        }
        let latest = self.inner.store.latest_transfer(account, at).await?;
        Ok(Some(latest.and_then(|t| t.balances_after(account)).unwrap_or_default()))
    }

    /// Recomputes every balance from the transfers and checks every invariant.
    ///
    /// Runs as its own task: a caller that gives up (a timeout, a closed request) detaches from
    /// it rather than cancelling it halfway through its read transaction, which would hand a
    /// connection still inside that transaction back to the pool.
    pub async fn audit(&self) -> Result<AuditReport, LedgerError> {
        let store = self.inner.store.clone();
        tokio::spawn(async move { audit::run(&store).await })
            .await
            .map_err(|error| LedgerError::InvariantViolated(format!("the audit task failed: {error}")))?
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        self.inner.store.ping().await
    }

    /// Stops accepting submissions, commits everything already submitted, and closes the
    /// database. Calls after this answer [`LedgerError::ShutDown`].
    pub async fn shutdown(&self) {
        // Held to the end, so a second caller returns only once the first has finished.
        let mut writer = self.inner.writer.lock().await;
        if let Some(handle) = writer.take() {
            let _ = self.inner.commands.send(Command::Shutdown).await;
            if let Err(error) = handle.await {
                tracing::error!(%error, "ledger writer ended abnormally");
            }
        }
        if let Some(listener) = &self.inner.listener {
            listener.abort();
        }
        self.inner.store.close().await;
    }

    async fn send(&self, command: Command) -> Result<(), LedgerError> {
        if self.inner.read_only {
            return Err(LedgerError::ReadOnly);
        }
        self.inner.commands.send(command).await.map_err(|_| LedgerError::ShutDown)
    }
}
