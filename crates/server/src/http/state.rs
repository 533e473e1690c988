//! `AppState`: what every handler can reach: the [`Flows`] (which it dereferences to), and
//! what only the HTTP layer uses (the built site, request metrics, the read-session cache, the
//! sandbox card network whose token endpoint is served here). Cheap to clone.

use std::sync::Arc;
use std::time::Instant;

use purse_ledger::{Clock, Ledger};
use purse_rails::identity::{IdentityProvider, NoScreening, SandboxIdentity, Screening};
use purse_rails::sandbox::{SandboxBank, SandboxCards};
use purse_rails::{BankRail, CardRail};

use crate::flows::people::Passwords;
use crate::flows::sandbox::SandboxClock;
use crate::flows::{Flows, Settings, Wiring};
use crate::http::error::stored_refusal;
use crate::http::health::WriteProbe;
use crate::http::metrics::HttpMetrics;
use crate::http::session::SessionCache;
use crate::http::static_site::StaticSite;
use crate::store::{Db, StoreError};

/// Shared by every request: cloning it is one reference count, which matters because every
/// request clones it several times (router, middleware, extractors).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub flows: Flows,
    pub site: Arc<StaticSite>,
    pub http_metrics: Arc<HttpMetrics>,
    pub started: Instant,
    /// Sessions recently checked, for reads (see [`crate::http::session::SignedIn`]).
    pub sessions: SessionCache,
    /// The sandbox card network, whose token endpoint the server serves.
    pub sandbox_cards: SandboxCards,
    /// Health's last write probe.
    pub write_probe: WriteProbe,
}

impl std::ops::Deref for AppState {
    type Target = Flows;

    fn deref(&self) -> &Flows {
        &self.0.flows
    }
}

impl AppState {
    /// Puts the server together: the flows on `ledger` and `db`, with the sandbox rails (the
    /// embedded default card network and bank, in `db`) and identity provider, no sanctions
    /// screening, and the site.
    pub async fn new(
        ledger: Ledger,
        db: Db,
        site: StaticSite,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
    ) -> Result<AppState, StoreError> {
        let sandbox_cards = SandboxCards::new(db.clone());
        let cards: Arc<dyn CardRail> = Arc::new(sandbox_cards.clone());
        let bank: Arc<dyn BankRail> = Arc::new(SandboxBank::new(db.clone()));
        let identity: Arc<dyn IdentityProvider> = Arc::new(SandboxIdentity);
        let screening: Arc<dyn Screening> = Arc::new(NoScreening);
        let wiring = Wiring { cards, bank, identity, screening, render_refusal: stored_refusal };
        let flows = Flows::new(ledger, db, clock, passwords, wiring).await?;
        Ok(AppState(Arc::new(Shared {
            flows,
            site: Arc::new(site),
            http_metrics: Arc::new(HttpMetrics::default()),
            started: Instant::now(),
            sessions: SessionCache::default(),
            sandbox_cards,
            write_probe: WriteProbe::default(),
        })))
    }

    pub fn site(&self) -> &Arc<StaticSite> {
        &self.0.site
    }

    pub fn http_metrics(&self) -> &HttpMetrics {
        &self.0.http_metrics
    }

    pub fn started(&self) -> Instant {
        self.0.started
    }

    pub fn sessions(&self) -> &SessionCache {
        &self.0.sessions
    }

    pub fn write_probe(&self) -> &WriteProbe {
        &self.0.write_probe
    }

    pub fn sandbox_cards(&self) -> &SandboxCards {
        &self.0.sandbox_cards
    }

    /// The same state with `settings`. Call it before the state is shared (cloned).
    pub fn with_settings(self, settings: Settings) -> AppState {
        self.change(|flows| flows.change(|context| context.settings = settings))
    }

    /// The same state with other rails (a processor's adapters, or tests' failing ones). Call it
    /// before the state is shared (cloned).
    pub fn with_rails(self, cards: Arc<dyn CardRail>, bank: Arc<dyn BankRail>) -> AppState {
        self.change(|flows| {
            flows.change(|context| {
                context.cards = cards;
                context.bank = bank;
            })
        })
    }

    /// The same state with another identity provider. Call it before the state is shared.
    pub fn with_identity(self, identity: Arc<dyn IdentityProvider>) -> AppState {
        self.change(|flows| flows.change(|context| context.identity = identity))
    }

    /// The same state with sanctions screening (a list's, or tests' stub). Call it before the
    /// state is shared.
    pub fn with_screening(self, screening: Arc<dyn Screening>) -> AppState {
        self.change(|flows| flows.change(|context| context.screening = screening))
    }

    /// The same state on the sandbox clock (`--sandbox-clock`): it becomes the flows' clock,
    /// and must be the clock the ledger was opened with (one business clock for the ledger's
    /// timestamps, the server's rows and every job); a ledger on another clock is refused
    /// (logged, the state kept as it was). Call it before the state is shared (cloned).
    pub fn with_sandbox_clock(self, clock: Arc<SandboxClock>) -> AppState {
        let same = std::ptr::addr_eq(Arc::as_ptr(self.ledger.clock()), Arc::as_ptr(&clock));
        if !same {
            tracing::error!("the ledger does not run on the sandbox clock; no sandbox clock");
            return self;
        }
        self.change(|flows| {
            flows.change(|context| {
                context.clock = clock.clone();
                context.sandbox_clock = Some(clock);
            })
        })
    }

    fn change(mut self, change: impl FnOnce(&mut Flows)) -> AppState {
        match Arc::get_mut(&mut self.0) {
            Some(shared) => change(&mut shared.flows),
            None => tracing::error!("the state changed after it was shared; keeping it as it was"),
        }
        self
    }
}
