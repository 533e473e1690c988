//! `GET /api/v1/healthz`: 200 when the database answers reads and takes writes; 503 with the
//! reason when it does not.
//!
//! Reads are checked on every call (a ping). Writes are checked by rewriting one row, at most
//! once per [`PROBE_EVERY`] whatever the rate of health checks: calls in between get the last
//! probe's outcome, so health never takes the write lock at the rate it is polled.

use std::time::{Duration, Instant};

use axum::extract::State;
use purse_api::{ErrorCode, Health};

use crate::flows::Flows;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::store::Db;
use crate::store::health::WriteFailure;
use crate::time::Time;

/// How long a write probe's outcome stands.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The last write probe: when it ran and what it found.
#[derive(Debug, Default)]
pub struct WriteProbe {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), WriteFailure>)>>,
}

impl WriteProbe {
    /// Whether the database takes writes, probing it if the last probe is older than
    /// [`PROBE_EVERY`]. Callers during a probe wait for its outcome rather than probe again.
    pub async fn check(&self, flows: &Flows, now: Time) -> Result<(), WriteFailure> {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = *last
            && at.elapsed() < PROBE_EVERY
        {
            return outcome;
        }
        // Through the write batcher, as the money path writes: on SQLite it takes the writers'
        // turn instead of waiting in SQLite's busy handler beside them.
        let outcome = flows.batcher.apply(vec![Db::probe(now)]).await.map(drop).map_err(|error| {
            let failure = WriteFailure::of(&error);
            tracing::error!(%error, reason = failure.reason(), "the database takes no writes");
            failure
        });
        *last = Some((Instant::now(), outcome));
        outcome
    }
}

/// `GET /api/v1/healthz`.
pub async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state.ledger.ping().await.map_err(ApiError::unavailable)?;
    if let Err(failure) = state.write_probe().check(&state, state.now()).await {
        let message = format!("Purse cannot write to its database: {}.", failure.reason());
        return Err(ApiError::new(ErrorCode::ServiceUnavailable, message));
    }
    Ok(axum::Json(Health {
        status: "ok".into(),
        database: state.ledger.backend().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
