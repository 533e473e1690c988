//! A person's live stream: what `GET /events` sends. `activity` events carry an activity (new,
//! or with a new status), `balance` events the wallet, `request` events a request for money made
//! to or by the person (new, or paid, declined, canceled). Each event's id is
//! `<ledger timestamp>:<request change time>`, the two positions it brings the stream up to, so a
//! client reconnecting with `Last-Event-ID` gets exactly what it missed, from the ledger and the
//! requests table themselves.
//!
//! The stream wakes on the ledger's change announcements (in process on SQLite; `NOTIFY` on
//! PostgreSQL, so a transfer committed by another instance wakes it too) and ends when the
//! client leaves or the server stops. The HTTP layer frames the events (Server-Sent Events).

use purse_ledger::{AccountId, Timestamp, Transfer, TransferId, TransferPage};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use crate::codes;
use crate::flows::activity::{self, is_originating};
use crate::flows::{FlowError, Flows, requests, wallet};
use crate::ids::PersonId;
use crate::time::Time;

const REPLAY_PAGE: u32 = 100;

/// One event of the stream: its name, its id, and its data as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub event: &'static str,
    pub id: String,
    pub data: String,
}

/// `person`'s stream, from where `last_seen` (a `Last-Event-ID`) left off, or from now with
/// the balance first. Events arrive on the receiver until the client drops it or the server
/// stops.
pub async fn stream(
    flows: &Flows,
    person: PersonId,
    last_seen: Option<&str>,
) -> Result<mpsc::Receiver<LiveEvent>, FlowError> {
    let last_seen = last_seen.and_then(parse_event_id);
    // Subscribe before reading where the stream starts, so nothing falls in between.
    let changes = flows.ledger.subscribe();
    let wallet = codes::wallet_of(person);
    let (start, requests_start) = match last_seen {
        Some(positions) => positions,
        None => (latest(flows, wallet).await?, flows.db.requests_last_change(person).await?),
    };
    let (events, receiver) = mpsc::channel(64);
    let mut live =
        Live { flows: flows.clone(), person, wallet, cursor: start, requests_cursor: requests_start, events };
    tokio::spawn(async move {
        if let Err(error) = live.run(changes, last_seen.is_some()).await {
            tracing::warn!(%error, "event stream ended with an error");
        }
    });
    Ok(receiver)
}

/// `<ledger ns>:<requests ns>` (or, from older streams, `<ledger ns>` alone).
pub fn parse_event_id(text: &str) -> Option<(Timestamp, Time)> {
    let (ledger, requests) = text.split_once(':').unwrap_or((text, "0"));
    Some((Timestamp::from_nanos(ledger.parse().ok()?), Time::from_nanos(requests.parse().ok()?)))
}

/// The newest transfer of `wallet` (or the beginning of time).
async fn latest(flows: &Flows, wallet: AccountId) -> Result<Timestamp, FlowError> {
    let newest = flows.ledger.account_transfers(wallet, TransferPage { before: None, limit: 1 }).await?;
    Ok(newest.first().map_or(Timestamp::from_nanos(0), |t| t.timestamp))
}

struct Live {
    flows: Flows,
    person: PersonId,
    wallet: AccountId,
    /// The newest ledger timestamp this stream has delivered.
    cursor: Timestamp,
    /// The newest request change this stream has delivered.
    requests_cursor: Time,
    events: mpsc::Sender<LiveEvent>,
}

/// The client went away or the server is stopping.
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closed")
    }
}

impl Live {
    async fn run(
        &mut self,
        mut changes: broadcast::Receiver<purse_ledger::LedgerChange>,
        replay: bool,
    ) -> Result<(), FlowError> {
        if replay {
            if self.catch_up().await.is_err() {
                return Ok(());
            }
        } else if self.send_balance().await.is_err() {
            return Ok(());
        }
        let mut stopping = self.flows.stopping.clone();
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let relevant = match change {
                        Ok(change) => change.touches(self.wallet),
                        // Fell behind: anything may have happened.
                        Err(broadcast::error::RecvError::Lagged(_)) => true,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    };
                    if relevant && self.catch_up().await.is_err() {
                        return Ok(());
                    }
                }
                _ = stopping.changed() => return Ok(()),
                () = self.events.closed() => return Ok(()),
            }
        }
    }

    /// Sends everything after the cursor, oldest first, then the balance.
    async fn catch_up(&mut self) -> Result<(), Closed> {
        loop {
            let batch = match self
                .flows
                .ledger
                .account_transfers_after(self.wallet, Some(self.cursor), REPLAY_PAGE)
                .await
            {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "event stream could not read the ledger");
                    return Ok(());
                }
            };
            let full = batch.len() == REPLAY_PAGE as usize;
            for transfer in batch {
                self.send_activity(&transfer).await?;
                self.cursor = transfer.timestamp;
            }
            if !full {
                break;
            }
        }
        self.send_requests().await?;
        self.send_balance().await
    }

    /// Sends every request change after the requests cursor.
    async fn send_requests(&mut self) -> Result<(), Closed> {
        let rows = match self.flows.db.requests_changed_since(self.person, self.requests_cursor).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read requests");
                return Ok(());
            }
        };
        if rows.is_empty() {
            return Ok(());
        }
        let names = match requests::people_of(&self.flows, &rows).await {
            Ok(names) => names,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read people");
                return Ok(());
            }
        };
        for row in rows {
            self.requests_cursor = self.requests_cursor.max(row.updated_at);
            let Ok(request) = requests::view(&self.flows, &row, &names) else { continue };
            self.send("request", self.event_id(), &request).await?;
        }
        Ok(())
    }

    fn event_id(&self) -> String {
        format!("{}:{}", self.cursor.as_nanos(), self.requests_cursor.nanos())
    }

    async fn send_activity(&self, transfer: &Transfer) -> Result<(), Closed> {
        // A post, void or expiry changes the activity of the pending transfer it resolves.
        let origin = if is_originating(transfer) {
            Some(*transfer)
        } else {
            let pending = transfer.pending_id.unwrap_or(TransferId(0));
            self.flows
                .ledger
                .lookup_transfers(&[pending])
                .await
                .ok()
                .and_then(|mut r| r.pop())
                .map(|r| r.transfer)
        };
        let Some(origin) = origin else { return Ok(()) };
        let activity = match activity::build(&self.flows, self.wallet, &[origin]).await {
            Ok(mut built) => built.pop(),
            Err(error) => {
                tracing::warn!(%error, "event stream could not build an activity");
                None
            }
        };
        let Some(activity) = activity else { return Ok(()) };
        let id = format!("{}:{}", transfer.timestamp.as_nanos(), self.requests_cursor.nanos());
        self.send("activity", id, &activity).await
    }

    async fn send_balance(&self) -> Result<(), Closed> {
        let wallet = match wallet::wallet(&self.flows, self.person).await {
            Ok(wallet) => wallet,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read the wallet");
                return Ok(());
            }
        };
        self.send("balance", self.event_id(), &wallet).await
    }

    async fn send(&self, event: &'static str, id: String, data: &impl Serialize) -> Result<(), Closed> {
        match serde_json::to_string(data) {
            Ok(data) => self.events.send(LiveEvent { event, id, data }).await.map_err(|_| Closed),
            Err(error) => {
                tracing::warn!(%error, "event could not be encoded");
                Ok(())
            }
        }
    }
}
