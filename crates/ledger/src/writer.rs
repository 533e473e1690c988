//! Group commit: the single writer task of a ledger.
//!
//! Submitters send their requests down a channel and wait on their own reply. The writer takes
//! the first waiting submission, then every other one already queued (and, if configured, any
//! that arrive within a short window), up to a maximum number of requests, and commits them all
//! in one database transaction. Each submitter gets back exactly its own results; a rejected
//! request is a result, not a failure of the batch. While one batch commits, the next queues,
//! so batches grow with load on their own.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::error::LedgerError;
use crate::metrics::LedgerMetrics;
use crate::reject::CreateAccountError;
use crate::state_machine::{Execution, TransferResult};
use crate::store::{Store, WriteGate};
use crate::types::{Account, AccountId, LedgerChange, NewAccount, TransferRequest};

pub(crate) type AccountResults = Vec<Result<(Account, bool), CreateAccountError>>;

pub(crate) enum Command {
    Transfers {
        requests: Vec<TransferRequest>,
        reply: oneshot::Sender<Result<Vec<TransferResult>, LedgerError>>,
    },
    Accounts {
        accounts: Vec<NewAccount>,
        reply: oneshot::Sender<Result<AccountResults, LedgerError>>,
    },
    /// Stop accepting; commit what is queued; exit.
    Shutdown,
}

/// How the writer groups submissions.
#[derive(Clone, Debug)]
pub(crate) struct WriterConfig {
    pub max_batch_requests: usize,
    pub batch_window: Duration,
    pub expiry_interval: Duration,
}

pub(crate) struct Writer {
    pub store: Arc<Store>,
    pub config: WriterConfig,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<LedgerMetrics>,
    /// Where committed changes are announced, when the store does not announce them itself
    /// (PostgreSQL does, with `NOTIFY` inside the batch, so every instance hears them).
    pub announce: Option<tokio::sync::broadcast::Sender<LedgerChange>>,
    /// On SQLite, the file's write turn, shared with other writers of the file in this process
    /// (see [`crate::Ledger::write_gate`]).
    pub gate: Option<WriteGate>,
}

type Submission = (Vec<TransferRequest>, oneshot::Sender<Result<Vec<TransferResult>, LedgerError>>);

impl Writer {
    pub(crate) async fn run(self, mut commands: mpsc::Receiver<Command>) {
        let mut carried: Option<Command> = None;
        loop {
            let command = match carried.take() {
                Some(command) => command,
                None => match tokio::time::timeout(self.config.expiry_interval, commands.recv()).await {
                    Ok(Some(command)) => command,
                    Ok(None) => break,
                    Err(_idle) => {
                        self.expire_only().await;
                        continue;
                    }
                },
            };
            // Take the file's turn first, then gather: whatever is submitted while another
            // writer of the file holds it joins this batch instead of waiting for the next.
            let _turn = self.turn().await;
            match command {
                Command::Shutdown => commands.close(),
                Command::Accounts { accounts, reply } => {
                    let result = self.store.create_accounts(self.clock.now(), &accounts).await;
                    let _ = reply.send(result);
                }
                Command::Transfers { requests, reply } => {
                    let mut batch = vec![(requests, reply)];
                    carried = self.gather(&mut commands, &mut batch).await;
                    self.commit(batch).await;
                }
            }
        }
        tracing::debug!("ledger writer stopped");
    }

    /// Adds queued transfer submissions to `batch` up to the size limit; returns a command that
    /// must wait for the next batch (an account command, or a submission that did not fit).
    async fn gather(
        &self,
        commands: &mut mpsc::Receiver<Command>,
        batch: &mut Vec<Submission>,
    ) -> Option<Command> {
        // Submitters just answered by the previous batch are runnable but have not had a
        // chance to submit again; yielding once lets them join this batch instead of forming a
        // half-size one of their own. Costs nothing when nobody else is runnable.
        tokio::task::yield_now().await;
        let deadline = Instant::now() + self.config.batch_window;
        let mut size: usize = batch.iter().map(|(requests, _)| requests.len()).sum();
        while size < self.config.max_batch_requests {
            let next = match commands.try_recv() {
                Ok(command) => command,
                Err(mpsc::error::TryRecvError::Empty) if !self.config.batch_window.is_zero() => {
                    match tokio::time::timeout_at(deadline.into(), commands.recv()).await {
                        Ok(Some(command)) => command,
                        Ok(None) | Err(_) => return None,
                    }
                }
                Err(_) => return None,
            };
            match next {
                Command::Transfers { requests, reply }
                    if size + requests.len() <= self.config.max_batch_requests =>
                {
                    size += requests.len();
                    batch.push((requests, reply));
                }
                other => return Some(other),
            }
        }
        None
    }

    async fn commit(&self, batch: Vec<Submission>) {
        let (submissions, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match self.execute(&submissions).await {
            Ok(results) => {
                for (reply, results) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(results));
                }
            }
            Err(error) if submissions.len() > 1 && error.may_be_one_submissions_fault() => {
                // A refused row or a broken invariant may come from one submission: it must not
                // fail the others, so each runs alone. (Connection and I/O failures are the
                // database's, not a submission's: everyone gets the error and may retry.)
                tracing::warn!(%error, submissions = submissions.len(), "batch failed; isolating");
                for (submission, reply) in submissions.iter().zip(replies) {
                    let result = self.execute(std::slice::from_ref(submission)).await;
                    let _ = reply.send(result.map(|mut all| all.pop().unwrap_or_default()));
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    async fn execute(
        &self,
        submissions: &[Vec<TransferRequest>],
    ) -> Result<Vec<Vec<TransferResult>>, LedgerError> {
        let started = Instant::now();
        match self.store.transfer_batch(self.clock.now(), submissions).await {
            Ok(execution) => {
                self.record(started, &execution);
                if let Some(announce) = &self.announce {
                    let accounts: Vec<AccountId> =
                        execution.writes.accounts.iter().map(|(id, _)| *id).collect();
                    if !accounts.is_empty() {
                        // Nobody listening is fine.
                        let _ = announce.send(LedgerChange::Accounts(accounts.into()));
                    }
                }
                Ok(execution.results)
            }
            Err(error) => {
                self.metrics.batches_failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(%error, "ledger batch failed and was rolled back");
                Err(error)
            }
        }
    }

    async fn turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// A batch with no submissions: only voids pending transfers that have expired.
    async fn expire_only(&self) {
        let _turn = self.turn().await;
        if let Err(error) = self.execute(&[]).await {
            tracing::warn!(%error, "expiring pending transfers failed; will retry");
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn record(&self, started: Instant, execution: &Execution) {
        let results = || execution.results.iter().flatten();
        let requests = results().count();
        let rejected = results().filter(|result| result.is_err()).count();
        let transfers = &execution.writes.transfers;
        let expired = transfers.iter().filter(|t| t.is_expiry()).count();
        let created = transfers.len() - expired;
        let metrics = &self.metrics;
        metrics.transfers_created.fetch_add(created as u64, Ordering::Relaxed);
        metrics.pending_expired.fetch_add(expired as u64, Ordering::Relaxed);
        metrics.transfers_rejected.fetch_add(rejected as u64, Ordering::Relaxed);
        if requests > 0 || expired > 0 {
            metrics.batch_size.observe(requests as f64);
            metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        }
    }
}
