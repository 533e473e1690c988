//! What the product does: people and their PIN, payments, requests, tips, checkout and refunds,
//! money in and out, webhooks, the activity people read, and the jobs that finish what was cut
//! off. Functions over typed inputs that return a [`FlowError`] (a code and its facts), callable
//! from an HTTP handler, a job or the command line alike. Nothing here knows HTTP.
//!
//! Every money-moving request goes through one function, [`movement::run`]: the key's replay,
//! the PIN rule, the rate limit, the run and the stored answer, in one place.

pub mod activity;
pub mod audit;
pub mod cases;
pub mod checkout;
pub mod compliance;
pub mod demo;
pub mod error;
pub mod funding;
pub mod interest;
pub mod jobs;
pub mod limits;
pub mod live;
pub mod merchants;
pub mod movement;
pub mod payments;
pub mod people;
pub mod pin;
pub mod refunds;
pub mod requests;
pub mod review;
pub mod sandbox;
pub mod statements;
pub mod tips;
pub mod verification;
pub mod wallet;
pub mod webhooks;

use std::sync::Arc;

use purse_api::Currency;
use purse_api::compliance::{LimitTable, StateSet};
use purse_ledger::{AccountFlags, Clock, Ledger, NewAccount};
use purse_rails::identity::{IdentityProvider, Screening};
use purse_rails::{BankRail, CardRail};
use tokio::sync::watch;

pub use error::FlowError;
pub use movement::{Caller, IdempotencyKey, RenderRefusal};

use crate::codes;
use crate::flows::people::{HandleCache, Passwords};
use crate::public_ids::PublicIds;
use crate::store::{Db, StoreError, WriteBatcher};
use crate::time::Time;

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
    /// How long a standard withdrawal takes to settle at the bank.
    pub bank_settle_s: i64,
    /// Each verification tier's limits (API.md's table by default).
    pub limits: LimitTable,
    /// Where Purse is licensed: a person verified elsewhere is `restricted`.
    pub licensed_states: StateSet,
    /// The monitoring rules' thresholds (`--monitor-…` flags).
    pub monitoring: purse_api::ops::Thresholds,
    /// Behind a reverse proxy whose `X-Forwarded-Proto` is believed (so HSTS is sent when it
    /// says `https`). Off, the header could come from anyone.
    pub trust_proxy: bool,
    /// The annual percentage yield paid on balances, in percent (`--apy`; zero pays none).
    pub apy: rust_decimal::Decimal,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            grace_window_s: 10 * 60,
            money_per_minute: 60,
            tip_fee_bps: 0,
            demo: false,
            bank_settle_s: DEFAULT_BANK_SETTLE_S,
            limits: LimitTable::default(),
            licensed_states: StateSet::default(),
            monitoring: purse_api::ops::Thresholds::default(),
            trust_proxy: false,
            apy: rust_decimal::Decimal::ZERO,
        }
    }
}

/// A page of a list read one row past `limit` (so the read tells whether more follow): the
/// rows of the page, and the cursor of the next page (the last row's `position`) when there is
/// one.
pub fn page<T>(
    flows: &Flows,
    mut rows: Vec<T>,
    limit: u32,
    position: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|row| flows.ids.cursor(position(row))) } else { None };
    (rows, next_cursor)
}

/// A standard withdrawal settles a day after it is made unless the operator says otherwise
/// (demo mode: a minute).
pub const DEFAULT_BANK_SETTLE_S: i64 = 24 * 60 * 60;

/// What every flow can reach. Cheap to clone (one reference count).
#[derive(Clone, Debug)]
pub struct Flows(Arc<Context>);

#[derive(Debug)]
pub struct Context {
    pub ledger: Ledger,
    pub db: Db,
    /// Batched writes of the server's own rows on the money path.
    pub batcher: WriteBatcher,
    /// Time for sessions, limits, locks, windows and expiries; tests move it by hand.
    pub clock: Arc<dyn Clock>,
    /// The sandbox clock (`--sandbox-clock`): the same instance as `clock` and the ledger's.
    /// `None` in production, which never has an offset.
    pub sandbox_clock: Option<Arc<sandbox::SandboxClock>>,
    /// Public ids (`tr_…`, `rq_…`) and page cursors.
    pub ids: Arc<PublicIds>,
    pub passwords: Passwords,
    /// Recipients by handle, for sends and requests.
    pub handles: HandleCache,
    /// Seals and opens webhook signing secrets (kept sealed at rest).
    pub webhook_secrets: webhooks::SecretSeal,
    /// Rung when a webhook event is written, so the delivery worker sends it at once.
    pub webhooks_due: tokio::sync::Notify,
    /// The live streams open on this instance, per person (at most [`live::MAX_STREAMS`]).
    pub streams: live::Streams,
    /// The card network deposits are charged to and instant withdrawals pushed by.
    pub cards: Arc<dyn CardRail>,
    /// The bank standard withdrawals are paid out by.
    pub bank: Arc<dyn BankRail>,
    /// Who checks a person's identity and documents (`POST /me/verification`).
    pub identity: Arc<dyn IdentityProvider>,
    /// Sanctions screening of the names people verify with.
    pub screening: Arc<dyn Screening>,
    pub settings: Settings,
    /// How a refusal is written down for its key's replay: the HTTP layer's rendering, given
    /// to the flows when the server is put together (flows know no HTTP).
    pub render_refusal: RenderRefusal,
    /// Becomes `true` when the server is stopping: live streams and jobs end.
    pub stopping: watch::Receiver<bool>,
    /// The interest job's memory of how far it has caught up (this instance's).
    pub interest_job: interest::JobState,
    stop: watch::Sender<bool>,
}

impl std::ops::Deref for Flows {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.0
    }
}

/// The platform's own ledger accounts (fees, card and bank clearing), created once for every
/// instance.
async fn ensure_platform_accounts(ledger: &Ledger) -> Result<(), StoreError> {
    let platform = |id, code| NewAccount { id, currency: Currency::Usd, code, flags: AccountFlags::NONE };
    let accounts = vec![
        platform(codes::PLATFORM_FEES, codes::account::PLATFORM_FEES),
        platform(codes::CARD_CLEARING, codes::account::CARD_CLEARING),
        platform(codes::BANK_CLEARING, codes::account::BANK_CLEARING),
        platform(codes::INTEREST_EXPENSE, codes::account::INTEREST_EXPENSE),
    ];
    let results = ledger.create_accounts(accounts).await.map_err(|e| StoreError::Database(e.to_string()))?;
    for result in results {
        result.map_err(|e| StoreError::Database(format!("a platform account: {e:?}")))?;
    }
    Ok(())
}

/// The rails and how refusals are rendered: what the server puts together for the flows.
#[derive(Clone, Debug)]
pub struct Wiring {
    pub cards: Arc<dyn CardRail>,
    pub bank: Arc<dyn BankRail>,
    pub identity: Arc<dyn IdentityProvider>,
    pub screening: Arc<dyn Screening>,
    pub render_refusal: RenderRefusal,
}

impl Flows {
    /// Reads (or, on a new database, creates) the shared secrets, starts the write batcher and
    /// makes sure the platform's accounts exist.
    pub async fn new(
        ledger: Ledger,
        db: Db,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
        wiring: Wiring,
    ) -> Result<Flows, StoreError> {
        let ids = PublicIds::new(
            db.secret("activity-ids", people::random_bytes()).await?,
            db.secret("cursors", people::random_bytes()).await?,
        );
        check_server_key(&db, passwords.server_key()).await?;
        let (seal, previous_seal) = passwords.server_key().derive("webhook signing secrets");
        let webhook_secrets = webhooks::SecretSeal::new(seal, previous_seal);
        webhooks::seal_clear_secrets(&db, &webhook_secrets).await?;
        let (stop, stopping) = watch::channel(false);
        let batcher = WriteBatcher::start(&db, ledger.write_gate())?;
        ensure_platform_accounts(&ledger).await?;
        Ok(Flows(Arc::new(Context {
            ledger,
            db,
            batcher,
            clock,
            sandbox_clock: None,
            ids: Arc::new(ids),
            passwords,
            handles: HandleCache::default(),
            webhook_secrets,
            webhooks_due: tokio::sync::Notify::new(),
            streams: live::Streams::default(),
            cards: wiring.cards,
            bank: wiring.bank,
            identity: wiring.identity,
            screening: wiring.screening,
            settings: Settings::default(),
            render_refusal: wiring.render_refusal,
            stopping,
            stop,
            interest_job: interest::JobState::default(),
        })))
    }

    /// Changes what only this holder of the flows holds (the settings, the rails), before they
    /// are shared; see `AppState::with_settings` and `AppState::with_rails`.
    pub(crate) fn change(&mut self, change: impl FnOnce(&mut Context)) {
        match Arc::get_mut(&mut self.0) {
            Some(context) => change(context),
            None => tracing::error!("the flows changed after they were shared; keeping them as they were"),
        }
    }

    /// Now, by the clock.
    pub fn now(&self) -> Time {
        Time::now(self.clock.as_ref())
    }

    /// Runs `tick` at once and then every second until the server stops (the background jobs).
    pub fn spawn_every_second<F, Fut>(&self, mut tick: F) -> tokio::task::JoinHandle<()>
    where
        F: FnMut(Flows) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let flows = self.clone();
        tokio::spawn(async move {
            let mut stopping = flows.stopping.clone();
            loop {
                tick(flows.clone()).await;
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = stopping.changed() => return,
                }
            }
        })
    }

    /// Tells live streams and jobs to end (the server is shutting down).
    pub fn begin_stopping(&self) {
        let _ = self.stop.send(true);
    }
}

/// Refuses a server key that is not the one this database was used with (a fingerprint of it,
/// which tells nothing of the key, is kept in `server_secrets`): an instance with another key
/// would find every PIN and webhook secret unreadable. After a rotation the previous key's
/// fingerprint is accepted and replaced.
async fn check_server_key(db: &Db, key: &people::ServerKey) -> Result<(), StoreError> {
    const NAME: &str = "server-key-fingerprint";
    let (fingerprint, previous) = key.derive("fingerprint");
    let stored = db.secret(NAME, fingerprint).await?;
    if stored == fingerprint {
        return Ok(());
    }
    if previous == Some(stored) {
        return db.replace_secret(NAME, fingerprint).await;
    }
    Err(StoreError::Broken(
        "the server key is not the one this database was used with (see --server-key-file; after a \
         rotation, give the old one as --server-key-previous)"
            .into(),
    ))
}
