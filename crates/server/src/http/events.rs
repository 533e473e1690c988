//! `GET /events`: a person's live stream ([`crate::flows::live`]) as Server-Sent Events, with
//! keep-alive comments every 15 seconds.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use crate::flows::live;
use crate::http::error::ApiError;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a browser waits before reconnecting a stream closed for a newer one.
const CLOSED_RETRY: Duration = Duration::from_secs(3600);

/// `GET /events`.
pub async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last_seen = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let events = live::stream(&state, user.row.id, user.row.is_officer(), last_seen).await?;
    let events = ReceiverStream::new(events).map(|event| {
        Ok(if event.event == live::CLOSED {
            // Closed for a newer stream of the same person's: reconnect in an hour, not at once.
            Event::default().retry(CLOSED_RETRY).comment("closed: this person's newer streams are open")
        } else {
            Event::default().event(event.event).id(event.id).data(event.data)
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}
