//! A person's live stream: what `GET /events` sends. `activity` events carry an activity (new,
//! or with a new status), `balance` events the wallet, `request` events a request for money made
//! to or by the person (new, or paid, declined, canceled; a declined or canceled one is followed
//! by its `activity` line, [`requests::activity`]). Each event's id is
//! `<ledger timestamp>:<request change time>`, the two positions it brings the stream up to, so a
//! client reconnecting with `Last-Event-ID` gets exactly what it missed, from the ledger and the
//! requests table themselves. A compliance officer's stream also carries `case` events (a case
//! opened or decided on any instance, polled; they do not take part in the event id: a
//! reconnecting console reloads its queue).
//!
//! The stream wakes on the ledger's change announcements (in process on SQLite; `NOTIFY` on
//! PostgreSQL, so a transfer committed by another instance wakes it too) and ends when the
//! client leaves or the server stops. The HTTP layer frames the events (Server-Sent Events).
//!
//! A stream never moves past what it did not deliver: when it cannot read or build an event
//! (the database failing), it ends, and the client reconnects from the last id it has. One
//! person has at most [`MAX_STREAMS`] streams on an instance (a new one closes the oldest),
//! and a reconnect replays at most [`REPLAY_MAX`] transfers (further behind, it starts again
//! from now, with the balance).

use purse_ledger::{AccountId, Timestamp, Transfer, TransferId, TransferPage};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::codes;
use crate::flows::activity::{self, is_originating};
use crate::flows::{FlowError, Flows, cases, requests, wallet};
use crate::ids::PersonId;
use crate::time::Time;

const REPLAY_PAGE: u32 = 100;
/// How often an officer's stream looks for changed cases.
pub const CASES_POLL_MS: u64 = 400;
/// The most transfers a reconnect replays.
pub const REPLAY_MAX: usize = 500;
/// The most streams one person has open on an instance.
pub const MAX_STREAMS: usize = 10;
/// The last event of a stream closed for a newer one: no data; the client should not come back
/// soon (the HTTP layer sends it as a long `retry:`).
pub const CLOSED: &str = "closed";

/// A stream's number, and the way to close it.
type OpenStream = (u64, oneshot::Sender<()>);

/// The streams open on this instance, per person, oldest first: each with the way to close it.
#[derive(Debug, Default)]
pub struct Streams {
    open: std::sync::Mutex<std::collections::HashMap<PersonId, Vec<OpenStream>>>,
    next: std::sync::atomic::AtomicU64,
}

impl Streams {
    /// Counts a new stream of `person`'s, closing their oldest past [`MAX_STREAMS`]: its number
    /// and what tells it to close.
    fn open(&self, person: PersonId) -> (u64, oneshot::Receiver<()>) {
        let number = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (close, closed) = oneshot::channel();
        if let Ok(mut open) = self.open.lock() {
            let streams = open.entry(person).or_default();
            streams.push((number, close));
            while streams.len() > MAX_STREAMS {
                let (_, oldest) = streams.remove(0);
                // Gone already if it ended meanwhile.
                let _ = oldest.send(());
            }
        }
        (number, closed)
    }

    fn close(&self, person: PersonId, number: u64) {
        if let Ok(mut open) = self.open.lock()
            && let Some(streams) = open.get_mut(&person)
        {
            streams.retain(|(n, _)| *n != number);
            if streams.is_empty() {
                open.remove(&person);
            }
        }
    }

    /// How many streams `person` has open here.
    pub fn count(&self, person: PersonId) -> usize {
        self.open.lock().map_or(0, |open| open.get(&person).map_or(0, Vec::len))
    }
}

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
    officer: bool,
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
    // An officer's stream also carries `case` events: cases opened or changed from now on.
    let cases_cursor = if officer { Some(flows.db.cases_last_change().await?) } else { None };
    let mut live = Live {
        flows: flows.clone(),
        person,
        wallet,
        cursor: start,
        requests_cursor: requests_start,
        cases_cursor,
        events,
    };
    let (number, bumped) = flows.streams.open(person);
    tokio::spawn(async move {
        let stop = live.run(changes, last_seen.is_some(), bumped).await;
        if let Stop::Failed(error) = stop {
            tracing::warn!(%error, "event stream ended: it could not read what to send; the client resumes from its last id");
        }
        live.flows.streams.close(person, number);
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
    /// An officer's: the newest case change delivered (cases are polled every
    /// [`CASES_POLL_MS`], so a case opened on any instance appears within a second).
    cases_cursor: Option<Time>,
    events: mpsc::Sender<LiveEvent>,
}

/// Why a stream ends.
#[derive(Debug)]
enum Stop {
    /// The client went away, a newer stream took its place, or the server is stopping.
    Closed,
    /// What was to be sent could not be read: nothing after the last delivered event is
    /// skipped; the client reconnects from there.
    Failed(FlowError),
}

impl<E: Into<FlowError>> From<E> for Stop {
    fn from(error: E) -> Stop {
        Stop::Failed(error.into())
    }
}

impl Live {
    async fn run(
        &mut self,
        mut changes: broadcast::Receiver<purse_ledger::LedgerChange>,
        replay: bool,
        mut bumped: oneshot::Receiver<()>,
    ) -> Stop {
        let first = if replay { self.catch_up(true).await } else { self.send_balance().await };
        if let Err(stop) = first {
            return stop;
        }
        let mut stopping = self.flows.stopping.clone();
        let mut cases_poll = tokio::time::interval(std::time::Duration::from_millis(CASES_POLL_MS));
        loop {
            tokio::select! {
                _ = cases_poll.tick(), if self.cases_cursor.is_some() => {
                    if let Err(stop) = self.send_cases().await {
                        return stop;
                    }
                }
                change = changes.recv() => {
                    let relevant = match change {
                        Ok(change) => change.touches(self.wallet),
                        // Fell behind: anything may have happened.
                        Err(broadcast::error::RecvError::Lagged(_)) => true,
                        Err(broadcast::error::RecvError::Closed) => return Stop::Closed,
                    };
                    if relevant && let Err(stop) = self.catch_up(false).await {
                        return stop;
                    }
                }
                _ = stopping.changed() => return Stop::Closed,
                () = self.events.closed() => return Stop::Closed,
                _ = &mut bumped => {
                    // Newer streams of this person's took its place: a client told to wait
                    // does not come back at once to close the next oldest.
                    let closed = LiveEvent { event: CLOSED, id: String::new(), data: String::new() };
                    let _ = self.events.send(closed).await;
                    return Stop::Closed;
                }
            }
        }
    }

    /// Sends everything after the cursor, oldest first, then the balance. A reconnect
    /// (`replay`) further behind than [`REPLAY_MAX`] transfers starts again from now.
    async fn catch_up(&mut self, replay: bool) -> Result<(), Stop> {
        if replay {
            let behind = self
                .flows
                .ledger
                .account_transfers_after(self.wallet, Some(self.cursor), REPLAY_MAX as u32 + 1)
                .await?;
            if behind.len() > REPLAY_MAX {
                self.cursor = latest(&self.flows, self.wallet).await?;
            }
        }
        loop {
            let batch = self
                .flows
                .ledger
                .account_transfers_after(self.wallet, Some(self.cursor), REPLAY_PAGE)
                .await?;
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
    async fn send_requests(&mut self) -> Result<(), Stop> {
        let rows = self.flows.db.requests_changed_since(self.person, self.requests_cursor).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let names = requests::people_of(&self.flows, &rows).await?;
        for row in rows {
            self.requests_cursor = self.requests_cursor.max(row.updated_at);
            match requests::view(&self.flows, &row, &names) {
                Ok(request) => self.send("request", self.event_id(), &request).await?,
                // The database failing: end, and the reconnect brings it.
                Err(error @ FlowError::Unavailable(_)) => return Err(Stop::Failed(error)),
                // This row can never be shown (broken): skipping it is all a reconnect could do.
                Err(error) => tracing::error!(%error, "a request change cannot be shown; skipped"),
            }
            // Closed without money moving: its activity line too (a paid one's is its payment's).
            if requests::is_closed_unpaid(&row) {
                let line = requests::activity(&self.flows, &row, self.person, &names);
                self.send("activity", self.event_id(), &line).await?;
            }
        }
        Ok(())
    }

    /// An officer's stream: every case changed after the cases cursor, as `{"case": …}`.
    async fn send_cases(&mut self) -> Result<(), Stop> {
        let Some(after) = self.cases_cursor else { return Ok(()) };
        let rows = self.flows.db.cases_changed_after(after).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let views = cases::views(&self.flows, &rows).await?;
        for (row, case) in rows.iter().zip(views) {
            self.cases_cursor = Some(row.updated_at.max(after));
            self.send("case", self.event_id(), &purse_api::ops::CaseResponse { case }).await?;
        }
        Ok(())
    }

    fn event_id(&self) -> String {
        format!("{}:{}", self.cursor.as_nanos(), self.requests_cursor.nanos())
    }

    async fn send_activity(&self, transfer: &Transfer) -> Result<(), Stop> {
        // A post, void or expiry changes the activity of the pending transfer it resolves.
        let origin = if is_originating(transfer) {
            Some(*transfer)
        } else {
            let pending = transfer.pending_id.unwrap_or(TransferId(0));
            self.flows.ledger.lookup_transfers(&[pending]).await?.pop().map(|r| r.transfer)
        };
        // Nothing to show (a transfer that is no one's activity).
        let Some(origin) = origin else { return Ok(()) };
        let activity = match activity::build(&self.flows, self.wallet, &[origin]).await {
            Ok(mut built) => built.pop(),
            Err(error @ FlowError::Unavailable(_)) => return Err(Stop::Failed(error)),
            Err(error) => {
                tracing::error!(%error, "an activity cannot be shown; skipped");
                None
            }
        };
        let Some(activity) = activity else { return Ok(()) };
        let id = format!("{}:{}", transfer.timestamp.as_nanos(), self.requests_cursor.nanos());
        self.send("activity", id, &activity).await
    }

    async fn send_balance(&self) -> Result<(), Stop> {
        let wallet = wallet::wallet(&self.flows, self.person).await?;
        self.send("balance", self.event_id(), &wallet).await
    }

    async fn send(&self, event: &'static str, id: String, data: &impl Serialize) -> Result<(), Stop> {
        let data = serde_json::to_string(data).map_err(FlowError::internal)?;
        self.events.send(LiveEvent { event, id, data }).await.map_err(|_| Stop::Closed)
    }
}
