//! `AppState`: what every handler can reach. Cheap to clone.

use std::sync::Arc;
use std::time::Instant;

use purse_api::Currency;
use purse_ledger::{AccountFlags, Clock, Ledger, NewAccount};

use crate::codes;
use tokio::sync::watch;

use crate::auth::{Passwords, SessionCache};
use crate::db::{Db, DbError, HandleCache};
use crate::ids::Ids;
use crate::journal::Journal;
use crate::metrics::HttpMetrics;
use crate::static_site::StaticSite;
use purse_rails::sandbox::{SandboxBank, SandboxCards};
use purse_rails::{BankRail, CardRail};

/// Shared by every request: cloning it is one reference count, which matters because every
/// request clones it several times (router, middleware, extractors).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub ledger: Ledger,
    pub db: Db,
    /// Batched writes of the server's own rows on the money path.
    pub journal: Journal,
    pub site: Arc<StaticSite>,
    pub http_metrics: Arc<HttpMetrics>,
    pub started: Instant,
    /// Time for sessions, limits and locks; tests move it by hand.
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub passwords: Passwords,
    /// Sessions recently checked, for reads (see [`crate::auth::SignedIn`]).
    pub sessions: SessionCache,
    /// Recipients by handle, for sends and requests.
    pub handles: HandleCache,
    /// Rung when a webhook event is written, so the delivery worker sends it at once.
    pub webhooks_due: tokio::sync::Notify,
    /// The card network deposits are charged to and instant withdrawals pushed by.
    pub cards: Arc<dyn CardRail>,
    /// The bank standard withdrawals are paid out by.
    pub bank: Arc<dyn BankRail>,
    /// The sandbox card network, whose token endpoint the server serves.
    pub sandbox_cards: SandboxCards,
    pub settings: Settings,
    /// Becomes `true` when the server is stopping: live streams end so the stop can finish.
    pub stopping: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
}

/// What an operator may tune.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long the sender of a first payment to someone can cancel it.
    pub grace_window_s: u32,
    /// Money movements (sends, requests, payments of requests) one person may start per minute.
    pub money_per_minute: i64,
    /// The platform's fee on tips, in basis points of the tip (paid by the creator).
    pub tip_fee_bps: u32,
    /// Demo mode: `/` is the demo timeline (a host page embedding Purse).
    pub demo: bool,
    /// Deposits one person may make per UTC day, in minor units.
    pub deposit_daily_cap_minor: i64,
    /// Withdrawals one person may make per UTC day, in minor units.
    pub withdrawal_daily_cap_minor: i64,
    /// How long a standard withdrawal takes to settle at the bank.
    pub bank_settle_s: i64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            grace_window_s: 10 * 60,
            money_per_minute: 60,
            tip_fee_bps: 0,
            demo: false,
            deposit_daily_cap_minor: purse_api::funding::DEPOSIT_DAILY_CAP_MINOR,
            withdrawal_daily_cap_minor: purse_api::funding::WITHDRAWAL_DAILY_CAP_MINOR,
            bank_settle_s: DEFAULT_BANK_SETTLE_S,
        }
    }
}

/// A standard withdrawal settles a day after it is made unless the operator says otherwise
/// (demo mode: a minute).
pub const DEFAULT_BANK_SETTLE_S: i64 = 24 * 60 * 60;

/// The platform's own ledger accounts (fees, card and bank clearing), created once for every
/// instance.
async fn ensure_platform_accounts(ledger: &Ledger) -> Result<(), DbError> {
    let platform = |id, code| NewAccount { id, currency: Currency::Usd, code, flags: AccountFlags::NONE };
    let accounts = vec![
        platform(codes::PLATFORM_FEES, codes::account::PLATFORM_FEES),
        platform(codes::CARD_CLEARING, codes::account::CARD_CLEARING),
        platform(codes::BANK_CLEARING, codes::account::BANK_CLEARING),
    ];
    let results = ledger.create_accounts(accounts).await.map_err(|e| DbError(e.to_string()))?;
    for result in results {
        result.map_err(|e| DbError(format!("a platform account: {e:?}")))?;
    }
    Ok(())
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
        let journal = Journal::start(&db, ledger.write_gate())?;
        ensure_platform_accounts(&ledger).await?;
        // The sandbox rails are the embedded default.
        let sandbox_cards = SandboxCards::new(db.clone());
        let cards: Arc<dyn CardRail> = Arc::new(sandbox_cards.clone());
        let bank: Arc<dyn BankRail> = Arc::new(SandboxBank::new(db.clone()));
        Ok(AppState(Arc::new(Shared {
            ledger,
            journal,
            db,
            site: Arc::new(site),
            http_metrics: Arc::new(HttpMetrics::default()),
            started: Instant::now(),
            clock,
            ids: Arc::new(ids),
            passwords,
            sessions: SessionCache::default(),
            handles: HandleCache::default(),
            webhooks_due: tokio::sync::Notify::new(),
            cards,
            bank,
            sandbox_cards,
            settings: Settings::default(),
            stopping,
            stop,
        })))
    }

    /// The same state with `settings`. Call it before the state is shared (cloned).
    pub fn with_settings(mut self, settings: Settings) -> AppState {
        match Arc::get_mut(&mut self.0) {
            Some(shared) => shared.settings = settings,
            None => tracing::error!("settings changed after the state was shared; keeping the old ones"),
        }
        self
    }

    /// The same state with other rails (a processor's adapters, or tests' failing ones). Call it
    /// before the state is shared (cloned).
    pub fn with_rails(mut self, cards: Arc<dyn CardRail>, bank: Arc<dyn BankRail>) -> AppState {
        match Arc::get_mut(&mut self.0) {
            Some(shared) => {
                shared.cards = cards;
                shared.bank = bank;
            }
            None => tracing::error!("rails changed after the state was shared; keeping the old ones"),
        }
        self
    }

    /// Nanoseconds since the Unix epoch, by [`AppState::clock`].
    pub fn now(&self) -> i64 {
        self.clock.now().as_nanos()
    }

    /// Runs `tick` at once and then every second until the server stops (the background jobs).
    pub fn spawn_every_second<F, Fut>(&self, mut tick: F) -> tokio::task::JoinHandle<()>
    where
        F: FnMut(AppState) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let state = self.clone();
        tokio::spawn(async move {
            let mut stopping = state.stopping.clone();
            loop {
                tick(state.clone()).await;
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = stopping.changed() => return,
                }
            }
        })
    }

    /// Tells live streams to end (the server is shutting down).
    pub fn begin_stopping(&self) {
        let _ = self.stop.send(true);
    }
}
