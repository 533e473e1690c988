//! `AppState`: what every handler can reach. Cheap to clone.

use std::sync::Arc;
use std::time::Instant;

use purse_ledger::{Clock, Ledger};
use tokio::sync::watch;

use crate::auth::{Passwords, SessionCache};
use crate::db::{Db, DbError};
use crate::ids::Ids;
use crate::metrics::HttpMetrics;
use crate::static_site::StaticSite;

/// Shared by every request: cloning it is one reference count, which matters because every
/// request clones it several times (router, middleware, extractors).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub ledger: Ledger,
    pub db: Db,
    pub site: Arc<StaticSite>,
    pub http_metrics: Arc<HttpMetrics>,
    pub started: Instant,
    /// Time for sessions, limits and locks; tests move it by hand.
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub passwords: Passwords,
    /// Sessions recently checked, for reads (see [`crate::auth::SignedIn`]).
    pub sessions: SessionCache,
    /// Becomes `true` when the server is stopping: live streams end so the stop can finish.
    pub stopping: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Reads (or, on a new database, creates) the shared secrets and assembles the state.
    pub async fn new(
        ledger: Ledger,
        db: Db,
        site: StaticSite,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
    ) -> Result<AppState, DbError> {
        let ids = Ids::new(db.secret("activity-ids").await?, db.secret("cursors").await?);
        let (stop, stopping) = watch::channel(false);
        Ok(AppState(Arc::new(Shared {
            ledger,
            db,
            site: Arc::new(site),
            http_metrics: Arc::new(HttpMetrics::default()),
            started: Instant::now(),
            clock,
            ids: Arc::new(ids),
            passwords,
            sessions: SessionCache::default(),
            stopping,
            stop,
        })))
    }

    /// Nanoseconds since the Unix epoch, by [`AppState::clock`].
    pub fn now(&self) -> i64 {
        self.clock.now().as_nanos()
    }

    /// Tells live streams to end (the server is shutting down).
    pub fn begin_stopping(&self) {
        let _ = self.stop.send(true);
    }
}
