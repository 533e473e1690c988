//! `GET /events`: a person's live stream (Server-Sent Events). `activity` events carry an
//! activity (new, or with a new status), `balance` events the wallet, `request` events a
//! request for money made to or by the person (new, or paid, declined, canceled). Each event's
//! id is `<ledger timestamp>:<request change time>`, the two positions it brings the stream up
//! to, so a client reconnecting with `Last-Event-ID` gets exactly what it missed, from the
//! ledger and the requests table themselves. Keep-alive comments every 15 seconds.
//!
//! The stream wakes on the ledger's change announcements (in process on SQLite; `NOTIFY` on
//! PostgreSQL, so a transfer committed by another instance wakes it too) and ends when the
//! client leaves or the server stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use purse_ledger::{AccountId, Timestamp, Transfer, TransferId, TransferPage};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::activity::{self, is_originating};
use crate::api::requests;
use crate::api::wallet::wallet_view;
use crate::auth::CurrentUser;
use crate::codes;
use crate::error::AppError;
use crate::state::AppState;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
const REPLAY_PAGE: u32 = 100;

/// `GET /events`.
pub async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let last_seen = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(parse_event_id);
    // Subscribe before reading where the stream starts, so nothing falls in between.
    let changes = state.ledger.subscribe();
    let wallet = codes::wallet_of(user.row.id);
    let (start, requests_start) = match last_seen {
        Some(positions) => positions,
        None => (latest(&state, wallet).await?, requests::last_change(&state, user.row.id).await?),
    };
    let (events, receiver) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut live = Live {
            state,
            user_id: user.row.id,
            wallet,
            cursor: start,
            requests_cursor: requests_start,
            events,
        };
        if let Err(error) = live.run(changes, last_seen.is_some()).await {
            tracing::warn!(%error, "event stream ended with an error");
        }
    });
    Ok(Sse::new(ReceiverStream::new(receiver))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}

/// `<ledger ns>:<requests ns>` (or, from older streams, `<ledger ns>` alone).
fn parse_event_id(text: &str) -> Option<(Timestamp, i64)> {
    let (ledger, requests) = text.split_once(':').unwrap_or((text, "0"));
    Some((Timestamp::from_nanos(ledger.parse().ok()?), requests.parse().ok()?))
}

/// The newest transfer of `wallet` (or the beginning of time).
async fn latest(state: &AppState, wallet: AccountId) -> Result<Timestamp, AppError> {
    let newest = state.ledger.account_transfers(wallet, TransferPage { before: None, limit: 1 }).await?;
    Ok(newest.first().map_or(Timestamp::from_nanos(0), |t| t.timestamp))
}

struct Live {
    state: AppState,
    user_id: i64,
    wallet: AccountId,
    /// The newest ledger timestamp this stream has delivered.
    cursor: Timestamp,
    /// The newest request change this stream has delivered.
    requests_cursor: i64,
    events: mpsc::Sender<Result<Event, Infallible>>,
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
    ) -> Result<(), AppError> {
        if replay {
            if self.catch_up().await.is_err() {
                return Ok(());
            }
        } else if self.send_balance().await.is_err() {
            return Ok(());
        }
        let mut stopping = self.state.stopping.clone();
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
                .state
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
        let rows = match requests::changed_since(&self.state, self.user_id, self.requests_cursor).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read requests");
                return Ok(());
            }
        };
        if rows.is_empty() {
            return Ok(());
        }
        let names = match requests::people(&self.state, &rows).await {
            Ok(names) => names,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read people");
                return Ok(());
            }
        };
        for row in rows {
            self.requests_cursor = self.requests_cursor.max(row.updated_at);
            let Ok(request) = requests::view(&self.state, &row, &names) else { continue };
            let event = Event::default().event("request").id(self.event_id()).json_data(&request);
            self.send(event).await?;
        }
        Ok(())
    }

    fn event_id(&self) -> String {
        format!("{}:{}", self.cursor.as_nanos(), self.requests_cursor)
    }

    async fn send_activity(&self, transfer: &Transfer) -> Result<(), Closed> {
        // A post, void or expiry changes the activity of the pending transfer it resolves.
        let origin = if is_originating(transfer) {
            Some(*transfer)
        } else {
            let pending = transfer.pending_id.unwrap_or(TransferId(0));
            self.state
                .ledger
                .lookup_transfers(&[pending])
                .await
                .ok()
                .and_then(|mut r| r.pop())
                .map(|r| r.transfer)
        };
        let Some(origin) = origin else { return Ok(()) };
        let activity = match activity::build(&self.state, self.wallet, &[origin]).await {
            Ok(mut built) => built.pop(),
            Err(error) => {
                tracing::warn!(%error, "event stream could not build an activity");
                None
            }
        };
        let Some(activity) = activity else { return Ok(()) };
        let event = Event::default()
            .event("activity")
            .id(format!("{}:{}", transfer.timestamp.as_nanos(), self.requests_cursor))
            .json_data(&activity);
        self.send(event).await
    }

    async fn send_balance(&self) -> Result<(), Closed> {
        let wallet = match wallet_view(&self.state, self.user_id).await {
            Ok(wallet) => wallet,
            Err(error) => {
                tracing::warn!(%error, "event stream could not read the wallet");
                return Ok(());
            }
        };
        let event = Event::default().event("balance").id(self.event_id()).json_data(&wallet);
        self.send(event).await
    }

    async fn send(&self, event: Result<Event, axum::Error>) -> Result<(), Closed> {
        match event {
            Ok(event) => self.events.send(Ok(event)).await.map_err(|_| Closed),
            Err(error) => {
                tracing::warn!(%error, "event could not be encoded");
                Ok(())
            }
        }
    }
}
