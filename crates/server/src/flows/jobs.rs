//! The timed jobs, in one registry: what falls due at an instant (a grace window ending, a
//! checkout session expiring, a withdrawal settling at the bank, a webhook retry) and the tick
//! that does what is due. Each job also runs every second on its own (its `spawn_jobs`); the
//! sandbox clock's advance ([`super::sandbox::advance`]) walks the registry instead, stopping
//! the clock at each due instant on the way.
//!
//! Interest (each UTC midnight: the day ended accrues, and a month ended pays) is one too. A new
//! timed job plugs in with a [`TimedJob`] in [`TIMED_JOBS`]: `next_due` is a store query for its earliest due row after
//! an instant, or an instant computed from it (the next midnight); `tick` does what is due by
//! `flows.now()` and is safe to run again or concurrently.

use futures_util::future::BoxFuture;

use crate::flows::{FlowError, Flows, checkout, funding, interest, payments, webhooks};
use crate::time::Time;

/// The earliest instant strictly after the one given at which the job has something to do.
pub type NextDue = for<'a> fn(&'a Flows, Time) -> BoxFuture<'a, Result<Option<Time>, FlowError>>;
/// Does what is due by `flows.now()`; logs its own failures (the next run retries).
pub type Tick = for<'a> fn(&'a Flows) -> BoxFuture<'a, ()>;

/// One timed job.
#[derive(Clone, Copy)]
pub struct TimedJob {
    pub name: &'static str,
    pub next_due: NextDue,
    pub tick: Tick,
}

impl std::fmt::Debug for TimedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedJob").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Every timed job, in the order one step runs them (webhooks last, so events the others
/// wrote in the step are sent at that step's time).
pub const TIMED_JOBS: &[TimedJob] = &[
    TimedJob { name: "grace windows", next_due: payments_next_due, tick: payments_tick },
    TimedJob { name: "checkout expiries", next_due: checkout_next_due, tick: checkout_tick },
    TimedJob { name: "bank settlements", next_due: funding_next_due, tick: funding_tick },
    TimedJob { name: "interest", next_due: interest_next_due, tick: interest_tick },
    TimedJob { name: "webhook deliveries", next_due: webhooks_next_due, tick: webhooks_tick },
];

fn payments_next_due(flows: &Flows, after: Time) -> BoxFuture<'_, Result<Option<Time>, FlowError>> {
    Box::pin(async move { Ok(flows.db.next_grace_window_end(after).await?) })
}

fn payments_tick(flows: &Flows) -> BoxFuture<'_, ()> {
    Box::pin(payments::tick(flows))
}

fn checkout_next_due(flows: &Flows, after: Time) -> BoxFuture<'_, Result<Option<Time>, FlowError>> {
    Box::pin(async move { Ok(flows.db.next_session_expiry(after).await?) })
}

fn checkout_tick(flows: &Flows) -> BoxFuture<'_, ()> {
    Box::pin(checkout::tick(flows))
}

fn funding_next_due(flows: &Flows, after: Time) -> BoxFuture<'_, Result<Option<Time>, FlowError>> {
    Box::pin(async move { Ok(flows.db.next_withdrawal_settlement(after).await?) })
}

fn funding_tick(flows: &Flows) -> BoxFuture<'_, ()> {
    Box::pin(funding::tick(flows))
}

fn interest_next_due(_: &Flows, after: Time) -> BoxFuture<'_, Result<Option<Time>, FlowError>> {
    Box::pin(async move { Ok(Some(interest::next_due(after))) })
}

fn interest_tick(flows: &Flows) -> BoxFuture<'_, ()> {
    Box::pin(interest::tick(flows))
}

fn webhooks_next_due(flows: &Flows, after: Time) -> BoxFuture<'_, Result<Option<Time>, FlowError>> {
    Box::pin(async move { Ok(flows.db.next_webhook_attempt(after).await?) })
}

fn webhooks_tick(flows: &Flows) -> BoxFuture<'_, ()> {
    Box::pin(webhooks::tick(flows))
}
