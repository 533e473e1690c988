//! The one path every money-moving request takes (send, pay a request, tip, checkout confirm,
//! refund, deposit, withdrawal, and a merchant's new checkout session): [`run`].
//!
//! Every such request carries an `Idempotency-Key`. Its first arrival, once validated, creates an
//! *operation* row (person, key, hash of the request) and commits it **before** the ledger sees
//! anything, in one write batch with its rate-limit hit and, for a payment, its payment row. The
//! operation's id is the base of every ledger transfer id the request may use
//! ([`crate::ids::ledger_id`]), so:
//!
//! - a ledger transfer can never exist without its key (the key committed first; on SQLite the
//!   ledger's `synchronous=FULL` commit makes every earlier WAL frame durable with it);
//! - a key can exist without its transfer only while the request is processing, and a retry
//!   with that key resumes it with the *same* transfer ids, so the ledger's own idempotency
//!   returns the transfer that did commit instead of moving money again.
//!
//! The first answer is stored with the operation and replayed byte for byte. A replay with a
//! different body is [`FlowError::KeyMismatch`]; one that arrives while the first is still
//! processing is [`FlowError::KeyInUse`]. Refusals before anything began (a bad body, a wrong
//! PIN) are not stored: nothing started, so a corrected retry with the same key is a first
//! arrival. A request needing the PIN looks its key up first: a replay never has its PIN
//! checked.
//!
//! In order, [`run`] does: the key's earlier arrivals (beside the movement's own reads), the
//! movement's checks of a first arrival, the PIN rule ([`PinRule`]: a locked PIN stops every
//! outgoing movement; at or under the step-up threshold, movements without the PIN are
//! allowed while the last day's total of them stays at or under it), the key with its rate
//! limit and the PIN allowance (and what the movement records with it), the run, and the
//! stored answer. The person's standing (frozen: nothing moves; restricted: only withdrawals) is
//! checked after the PIN, and the tier limits (the payer's send or withdraw limit, the
//! recipient's receive limit and standing) are checked and counted in the key's own batch
//! ([`Counts`], `store::usage`), so concurrent movements never pass a limit together; a
//! movement over one is refused in API.md's order (`insufficient_funds` first when the payer
//! cannot afford it anyway, then `limit_exceeded` with its figures, then
//! `recipient_unavailable`). Then the monitoring rules, in the same batch ([`Watched`],
//! `store::monitoring`): a hit does not refuse, it holds the movement (a pending ledger transfer)
//! and opens a case for an officer (`flows::review`).

use std::future::Future;

use purse_api::Amount;
use purse_api::payments::{STEP_UP_THRESHOLD_MINOR, needs_pin};
use serde::Serialize;
use sha2::{Digest, Sha256};

use purse_api::compliance::{AccountStatus, LimitDetails, LimitKind, Meter};

use crate::flows::error::Shortfall;
use crate::flows::{FlowError, Flows, limits, pin};
use crate::ids::{OperationId, PersonId};
use crate::store::Statement;
use crate::store::limits::Pinless;
use crate::store::monitoring::{Held, Watch, Watched};
use crate::store::operations::{
    KeyOutcome, Opened, Opening, Settlement, StoredAnswer, renew_lease, take_over,
};
use crate::store::payments::{Draft, PaymentRow, PaymentState, StateChange};
use crate::store::people::UserRow;
use crate::store::usage::{LimitCheck, Refusal, Side};
use crate::time::Time;

/// How long a processing request holds its key against a concurrent duplicate without renewing
/// it: a request still running renews it every [`RENEW_SECONDS`] (so it is never resumed beside
/// itself, however long it runs), and the key of one that died is free this long after.
pub const LEASE_SECONDS: i64 = 15;
/// How often a running request renews its key's lease (real time).
pub const RENEW_SECONDS: u64 = 5;
/// How old a cut-off request's rows must be before the recovery jobs finish them: well past any
/// request's timeout, so they never meet a request still running.
pub const RECOVER_AFTER_SECONDS: i64 = 60;

/// How a refusal is written down for its key's replay (the HTTP status and body a client would
/// have been sent): the HTTP layer's rendering, which the flows are given.
pub type RenderRefusal = fn(&FlowError) -> StoredAnswer;

/// An `Idempotency-Key`: 1–255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl IdempotencyKey {
    /// The key these bytes are, if they are one.
    pub fn parse(bytes: &[u8]) -> Option<IdempotencyKey> {
        is_valid_key(bytes).then(|| IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }
}

fn is_valid_key(bytes: &[u8]) -> bool {
    (1..=255).contains(&bytes.len()) && bytes.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// The hash that tells a replay from a different request under the same key: the endpoint
/// and the body as canonical JSON (object keys sorted), without secrets such as the PIN.
pub fn request_hash(endpoint: &str, body: &impl Serialize) -> [u8; 32] {
    let canonical = serde_json::to_value(body).map(|value| value.to_string()).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update([0]);
    hasher.update(canonical.as_bytes());
    hasher.finalize().into()
}

/// Who asks: a signed-in person (whose PIN rule applies), or a merchant's server by its key.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Person(&'a UserRow),
    Merchant(PersonId),
}

impl Caller<'_> {
    pub fn id(&self) -> PersonId {
        match self {
            Caller::Person(user) => user.id,
            Caller::Merchant(merchant) => *merchant,
        }
    }
}

/// One arrival of a money-moving request: who asks, with which key, what the request hashes
/// to (the PIN left out), and the PIN it carries.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub caller: Caller<'a>,
    pub key: &'a IdempotencyKey,
    pub hash: [u8; 32],
    pub pin: Option<&'a str>,
}

/// When the key's earlier arrivals are looked up, against the movement's own reads (its
/// `load`). The order decides which refusal a request gets when both the key and what it names
/// would refuse it, and what is read for a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The key first, then (unless it was answered) the target: a replay answers as the first
    /// arrival did even if what it names is gone since.
    First,
    /// The target first (what it names must exist and be the caller's), then the key.
    AfterTarget,
    /// Both at once, the target's refusal first: a round trip fewer on a hot path.
    BesideTarget,
    /// Only when the PIN is needed (so a replay never has its PIN checked); otherwise opening
    /// the key finds an earlier arrival itself, a round trip fewer.
    WhenPinNeeded,
    /// Never: opening the key finds an earlier arrival itself.
    Never,
}

/// How a movement takes the path.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub lookup: Lookup,
    /// Counted against the money limit per person per minute.
    pub limited: bool,
    /// Money leaves the caller's wallet: refused while their PIN is locked, PIN or not.
    pub outgoing: bool,
}

/// When a first arrival of a person's movement needs the PIN.
#[derive(Clone, Copy, Debug)]
pub enum PinRule {
    Always,
    Never,
    /// Above the step-up threshold; at or under it, while the person's movements without the
    /// PIN in the last day, this one included, stay at or under the threshold (past that,
    /// `pin_required`). A PIN given anyway is checked, and the movement is not counted.
    StepUp(Amount),
}

/// How long movements without the PIN count against the step-up threshold.
pub const PINLESS_WINDOW_SECONDS: i64 = 24 * 3600;

/// What the PIN rule asks of this arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PinUse {
    Check,
    /// Without the PIN, within the person's allowance of this many minor units.
    Allowance(i64),
    None,
}

impl PinUse {
    fn of(rule: PinRule, pin: Option<&str>) -> PinUse {
        match rule {
            PinRule::Always => PinUse::Check,
            PinRule::Never => PinUse::None,
            PinRule::StepUp(amount) if needs_pin(amount) || pin.is_some() => PinUse::Check,
            PinRule::StepUp(amount) => PinUse::Allowance(amount.to_minor()),
        }
    }
}

/// What is recorded with a new key, in its batch.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    pub payment: Option<Draft>,
    /// Statements made right after the key, only if it is new (`$1`: the new operation).
    pub then: Vec<Statement>,
    /// What it counts against tier limits (set by [`run`] from the movement's [`Counts`]).
    pub limits: Option<LimitCheck>,
    /// What the monitoring rules see of it (set by [`run`] from the movement's [`Watched`]).
    pub watch: Option<Watch>,
}

/// What a movement counts against the tier limits: the payer's kind (a send, a withdrawal or a
/// deposit; deposits are capped per UTC day by their own rows, see `flows::funding`), the person
/// receiving it (their receive limit, and whether they can receive at all), and how much, with
/// how a refusal for want of money is worded (a limit refusal of a payer who cannot afford the
/// movement anyway is `insufficient_funds`, which API.md orders first).
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub kind: LimitKind,
    pub recipient: Option<Recipient>,
    /// What counts against the limits, in minor units.
    pub amount_minor: i64,
    /// What leaves the payer's wallet, in minor units (a fee included).
    pub cost_minor: i64,
    pub shortfall: Shortfall,
}

/// Who money is sent to: a person (with a receive limit by their tier) or a merchant (none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    Person(PersonId),
    Merchant(PersonId),
}

impl Counts {
    /// Money leaving the payer for `recipient`: a send.
    pub fn payment(amount_minor: i64, recipient: Option<Recipient>, shortfall: Shortfall) -> Counts {
        Counts { kind: LimitKind::Send, recipient, amount_minor, cost_minor: amount_minor, shortfall }
    }
}

/// How this arrival came to run its operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begun {
    /// The key is new: what was recorded with it (the payment; whether `then` was made; the
    /// case when the monitoring rules held it).
    Fresh { payment: Option<PaymentRow>, then: Option<bool>, held: Option<Held> },
    /// A cut-off arrival of the key, taken over: the movement finds what was recorded.
    Resumed,
}

/// What running a movement gave.
#[derive(Debug)]
pub struct Outcome {
    /// The payment's state after `processing` (none when not known, or no payment).
    pub payment: Option<PaymentState>,
    pub answer: Result<StoredAnswer, FlowError>,
    /// Statements written just before the answer is stored, in the same batch as a rule (the
    /// webhook event a completion writes); a recovery job makes them if they are lost.
    pub after: Vec<Statement>,
}

impl Outcome {
    pub fn answer(answer: Result<StoredAnswer, FlowError>) -> Outcome {
        Outcome { payment: None, answer, after: Vec::new() }
    }
}

/// A money-moving request, as [`run`] drives it.
pub trait Movement: Send {
    /// What it reads before it runs (the checkout it pays, the card it charges…).
    type Target: Send;

    fn rules(&self) -> Rules;

    /// Reads the target (for every arrival but a replay answered first; see [`Lookup`]).
    fn load(&self, flows: &Flows) -> impl Future<Output = Result<Self::Target, FlowError>> + Send;

    /// When a first arrival needs the PIN.
    fn pin_rule(&self, target: &Self::Target) -> PinRule;

    /// The checks a first arrival passes before its PIN (the request still open…).
    fn check_first(
        &self,
        _flows: &Flows,
        _caller: &Caller<'_>,
        _target: &Self::Target,
    ) -> Result<(), FlowError> {
        Ok(())
    }

    /// What is recorded with the key of a first arrival.
    fn record(&self, _flows: &Flows, _target: &Self::Target) -> Recorded {
        Recorded::default()
    }

    /// What a person's first arrival counts against the tier limits (and which of a restricted
    /// person's movements it is): nothing by default.
    fn counts(&self, _target: &Self::Target) -> Option<Counts> {
        None
    }

    /// What the monitoring rules watch of a person's first arrival (a payment to a person, a
    /// withdrawal): nothing by default (deposits, tips, checkout, merchants' calls).
    fn watched(&self, _target: &Self::Target) -> Option<Watched> {
        None
    }

    /// Moves the money (or finishes moving it, when resumed).
    fn run(
        self,
        flows: &Flows,
        operation: OperationId,
        target: Self::Target,
        begun: Begun,
    ) -> impl Future<Output = Outcome> + Send;
}

/// What a key's earlier arrivals mean for this one.
#[derive(Debug)]
pub enum Earlier {
    /// Never seen.
    None,
    /// Answered: send this again.
    Answered(StoredAnswer),
    /// Started and cut off (the server stopped or failed mid-way): carry on as this operation,
    /// whose lease this request now holds.
    Resume(OperationId),
}

/// Takes `call` down the path of `movement`: its stored answer (a success or a refusal, as
/// first given), or a refusal before anything started, or a failure of ours.
pub async fn run<M: Movement>(flows: &Flows, call: Call<'_>, movement: M) -> Result<StoredAnswer, FlowError> {
    let rules = movement.rules();
    let person = call.caller.id();
    let lookup = || earlier(flows, person, call.key, &call.hash);
    let (target, early) = match rules.lookup {
        Lookup::First => {
            let early = lookup().await?;
            if let Earlier::Answered(answer) = early {
                return Ok(answer);
            }
            (movement.load(flows).await?, Some(early))
        }
        Lookup::AfterTarget => {
            let target = movement.load(flows).await?;
            (target, Some(lookup().await?))
        }
        Lookup::BesideTarget => {
            let (target, early) = tokio::join!(movement.load(flows), lookup());
            let target = target?;
            (target, Some(early?))
        }
        Lookup::WhenPinNeeded | Lookup::Never => (movement.load(flows).await?, None),
    };
    let pin_use = match call.caller {
        Caller::Person(_) => PinUse::of(movement.pin_rule(&target), call.pin),
        Caller::Merchant(_) => PinUse::None,
    };
    let needs_pin = pin_use == PinUse::Check;
    // A locked PIN refuses a first arrival, never a replay: look the key up first.
    let unlocked = match call.caller {
        Caller::Person(user) if rules.outgoing => pin::check_unlocked(user, flows.now()),
        _ => Ok(()),
    };
    let earlier = match early {
        Some(earlier) => earlier,
        None if rules.lookup == Lookup::WhenPinNeeded && (needs_pin || unlocked.is_err()) => lookup().await?,
        None => Earlier::None,
    };
    let (operation, begun) = match earlier {
        Earlier::Answered(answer) => return Ok(answer),
        Earlier::Resume(operation) => (operation, Begun::Resumed),
        Earlier::None => {
            movement.check_first(flows, &call.caller, &target)?;
            let passed = match call.caller {
                Caller::Person(user) if needs_pin => Some(pin::verify(flows, user, call.pin).await?),
                _ => {
                    unlocked?;
                    None
                }
            };
            let pinless = match pin_use {
                PinUse::Allowance(amount_minor) => Some(Pinless {
                    amount_minor,
                    max_minor: STEP_UP_THRESHOLD_MINOR,
                    since: flows.now().minus_seconds(PINLESS_WINDOW_SECONDS),
                }),
                PinUse::Check | PinUse::None => None,
            };
            let counts = match call.caller {
                Caller::Person(user) => movement.counts(&target).map(|counts| (user, counts)),
                Caller::Merchant(_) => None,
            };
            if let Some((user, counts)) = counts {
                standing_allows(user, counts.kind)?;
            }
            let mut recorded = movement.record(flows, &target);
            recorded.limits = counts.map(|(_, counts)| limit_check(flows, person, counts));
            if let (Some((user, counts)), Some(watched)) = (counts, movement.watched(&target)) {
                recorded.watch = Some(super::review::watch(flows, user, watched, counts.amount_minor).await?);
            }
            let opened = open(flows, person, call.key, &call.hash, recorded, rules.limited, pinless);
            let started = match passed {
                // The right PIN's count is cleared in the key's batch, as a rule.
                Some(pin::Passed(clear)) => {
                    let (cleared, started) = tokio::join!(flows.batcher.apply(vec![clear]), opened);
                    if let Err(error) = cleared {
                        tracing::warn!(%error, person = person.0, "a right PIN's count was not cleared");
                    }
                    started
                }
                None => opened.await,
            };
            let started = match (started, counts) {
                (Err(FlowError::OverLimit(refusal)), Some((user, counts))) => {
                    return Err(over_limit(flows, user, counts, refusal).await);
                }
                (started, _) => started?,
            };
            match started {
                Started::Run(operation, begun) => (operation, begun),
                Started::Replay(answer) => return Ok(answer),
            }
        }
    };
    let outcome = leased(flows, operation, movement.run(flows, operation, target, begun)).await;
    conclude(flows, operation, outcome).await
}

/// A person's standing lets this movement through: a frozen person moves nothing
/// (`account_frozen`); a restricted one (living where Purse is not licensed) only withdraws
/// (`region_unavailable`).
pub fn standing_allows(user: &UserRow, kind: LimitKind) -> Result<(), FlowError> {
    match user.status {
        AccountStatus::Frozen => Err(FlowError::AccountFrozen),
        AccountStatus::Restricted if kind != LimitKind::Withdraw => Err(FlowError::RegionUnavailable),
        _ => Ok(()),
    }
}

/// The sides `counts` has against the tier limits, checked in the key's batch.
fn limit_check(flows: &Flows, person: PersonId, counts: Counts) -> LimitCheck {
    let table = &flows.settings.limits;
    let side = |person, kind| Side {
        person,
        kind,
        amount_minor: counts.amount_minor,
        by_tier: [0, 1, 2].map(|tier| table.limit(tier, kind)),
    };
    let recipient = counts.recipient.map(|recipient| match recipient {
        Recipient::Person(person) => side(person, LimitKind::Receive),
        // A business: no receive limit, but a restricted or frozen one cannot be paid either.
        Recipient::Merchant(merchant) => Side { by_tier: [None; 3], ..side(merchant, LimitKind::Receive) },
    });
    LimitCheck {
        // Deposits are capped by the UTC day's rows of their own.
        payer: (counts.kind != LimitKind::Deposit).then(|| side(person, counts.kind)),
        recipient,
        now: flows.now(),
    }
}

/// The refusal of a movement over a limit, in API.md's order: `insufficient_funds` when the
/// payer cannot afford it anyway; else the payer's `limit_exceeded` with its figures, or the
/// recipient's `recipient_unavailable` (which does not say why).
async fn over_limit(flows: &Flows, user: &UserRow, counts: Counts, refusal: Refusal) -> FlowError {
    match refusal {
        Refusal::Standing(AccountStatus::Frozen) => return FlowError::AccountFrozen,
        Refusal::Standing(_) => return FlowError::RegionUnavailable,
        Refusal::Payer { .. } | Refusal::Recipient => {}
    }
    match super::wallet::available_minor(flows, user.id).await {
        Ok(available) if available < counts.cost_minor => {
            return FlowError::InsufficientFunds(counts.shortfall);
        }
        Ok(_) => {}
        Err(error) => return error,
    }
    match refusal {
        Refusal::Standing(_) | Refusal::Recipient => FlowError::RecipientUnavailable,
        Refusal::Payer { kind, tier } => match limit_exceeded(flows, user.id, kind, tier).await {
            Ok(error) | Err(error) => error,
        },
    }
}

/// `limit_exceeded` for `person`'s `kind` at `tier`, with the meter's figures as of now.
pub async fn limit_exceeded(
    flows: &Flows,
    person: PersonId,
    kind: LimitKind,
    tier: u8,
) -> Result<FlowError, FlowError> {
    let now = flows.now();
    let usage = flows.db.usage(person, kind, now).await?;
    let limit = flows.settings.limits.limit(tier, kind).unwrap_or(0);
    let meter = Meter::new(kind, limit, usage, now.nanos());
    let details = LimitDetails::of(&meter, tier, |ns| Time::from_nanos(ns).rfc3339());
    Ok(FlowError::LimitExceeded { kind, details: Box::new(details) })
}

/// Runs `work` for `operation`, renewing its key's lease while it runs.
pub async fn leased<F: Future>(flows: &Flows, operation: OperationId, work: F) -> F::Output {
    let renew = async {
        let every = std::time::Duration::from_secs(RENEW_SECONDS);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            ticks.tick().await;
            let until = flows.now().plus_seconds(LEASE_SECONDS);
            if let Err(error) = flows.batcher.apply(vec![renew_lease(operation, until)]).await {
                tracing::warn!(%error, operation = operation.0, "could not renew a running request's lease");
            }
        }
    };
    tokio::select! {
        output = work => output,
        never = renew => never,
    }
}

/// Looks the key up: `Answered` or `Resume`, or `None` for a first arrival. Refuses a
/// different request under the key and one arriving while the first runs.
pub async fn earlier(
    flows: &Flows,
    person: PersonId,
    key: &IdempotencyKey,
    hash: &[u8; 32],
) -> Result<Earlier, FlowError> {
    let Some(row) = flows.db.operation(person, &key.0).await? else {
        return Ok(Earlier::None);
    };
    if row.request_hash.as_slice() != hash {
        return Err(FlowError::KeyMismatch);
    }
    if let Some(answer) = row.answer {
        return Ok(Earlier::Answered(answer));
    }
    let now = flows.now();
    if row.locked_until > now || !flows.batcher.apply(vec![take_over_from(row.id, now)]).await? {
        return Err(FlowError::KeyInUse);
    }
    Ok(Earlier::Resume(row.id))
}

/// The statement that takes `operation` over for a lease from `now`, if its lease has run out
/// and it has no answer (see [`take_over`]).
pub fn take_over_from(operation: OperationId, now: Time) -> Statement {
    take_over(operation, now, now.plus_seconds(LEASE_SECONDS))
}

/// What [`open`] found: a new (or resumed) operation to run, or the answer a concurrent twin
/// already gave.
#[derive(Debug)]
pub enum Started {
    Run(OperationId, Begun),
    Replay(StoredAnswer),
}

/// Records a first arrival with what it records (counted against the money limit when
/// `limited`: over it, nothing is recorded), or takes over a cut-off arrival. A concurrent twin
/// that got there first makes this [`FlowError::KeyInUse`], or a replay if it already answered.
/// One batched write.
pub async fn open(
    flows: &Flows,
    person: PersonId,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    recorded: Recorded,
    limited: bool,
    pinless: Option<Pinless>,
) -> Result<Started, FlowError> {
    let limit = limits::money(flows);
    let hit = limit.hit(flows, &person.to_string());
    let now = hit.now;
    let opening = Opening {
        person,
        key: key.0.clone(),
        hash: *hash,
        now,
        locked_until: now.plus_seconds(LEASE_SECONDS),
        limit: limited.then_some((hit, limit.max)),
        pinless,
        limits: recorded.limits,
        watch: recorded.watch,
        payment: recorded.payment,
        then: recorded.then,
    };
    match flows.batcher.open(opening).await? {
        Opened::Run { operation, payment, then, held } => {
            Ok(Started::Run(operation, Begun::Fresh { payment, then, held }))
        }
        Opened::Limited(count) => Err(limit.refusal(count, now)),
        Opened::PinNeeded => Err(FlowError::PinRequired),
        Opened::OverLimit(refusal) => Err(FlowError::OverLimit(refusal)),
        Opened::Taken => match earlier(flows, person, key, hash).await? {
            Earlier::None => Err(FlowError::KeyInUse),
            Earlier::Answered(answer) => Ok(Started::Replay(answer)),
            Earlier::Resume(operation) => Ok(Started::Run(operation, Begun::Resumed)),
        },
    }
}

/// Ends `operation` with what running it gave: the answer stored (a success, or a final
/// refusal such as `insufficient_funds`, rendered as the client is sent it) and its payment
/// moved from `processing`, in one batched write; `after` queued just before, so both usually
/// share a batch. Any other failure is ours: nothing is stored and the key is released, so its
/// retry resumes at once.
pub async fn conclude(
    flows: &Flows,
    operation: OperationId,
    outcome: Outcome,
) -> Result<StoredAnswer, FlowError> {
    let Outcome { payment, answer, after } = outcome;
    let events = !after.is_empty();
    let applied = async { if after.is_empty() { Ok(true) } else { flows.batcher.apply(after).await } };
    let (applied, concluded) = tokio::join!(applied, settle(flows, operation, payment, answer));
    match applied {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(operation = operation.0, "an answer's side effect changed nothing (made already?)")
        }
        Err(error) => {
            tracing::warn!(%error, operation = operation.0, "an answer's side effect was not written; recovery will")
        }
    }
    if events {
        // The outbox has a new event.
        super::webhooks::wake(flows);
    }
    concluded
}

async fn settle(
    flows: &Flows,
    operation: OperationId,
    payment: Option<PaymentState>,
    answer: Result<StoredAnswer, FlowError>,
) -> Result<StoredAnswer, FlowError> {
    let payment = payment.map(|to| StateChange { from: &[PaymentState::Processing], to });
    let (key, result) = match answer {
        Ok(answer) => (KeyOutcome::Answer(answer.clone()), Ok(answer)),
        Err(error) if error.is_final_refusal() => {
            let answer = (flows.render_refusal)(&error);
            (KeyOutcome::Answer(answer.clone()), Ok(answer))
        }
        Err(error) => (KeyOutcome::Release, Err(error)),
    };
    let settled = flows.batcher.settle(Settlement { operation, payment, key }).await;
    match (settled, result) {
        (Ok(()), result) => result,
        // Ours failed first, and so did letting the key go (the database is failing): keep
        // trying in the background, so a retry can resume as soon as it is back, not only when
        // the lease runs out.
        (Err(error), Err(first)) => {
            tracing::warn!(%error, operation = operation.0, "could not release an operation's lease; retrying");
            let flows = flows.clone();
            tokio::spawn(async move {
                for attempt in 1..=(LEASE_SECONDS * 4) {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    let release = Settlement { operation, payment: None, key: KeyOutcome::Release };
                    if flows.batcher.settle(release).await.is_ok() {
                        tracing::info!(operation = operation.0, attempt, "released an operation's lease");
                        return;
                    }
                }
            });
            Err(first)
        }
        (Err(error), Ok(_)) => Err(error.into()),
    }
}

/// A success answer: `201` and the body, serialized once, here, and stored as sent.
pub fn created(body: &impl Serialize) -> Result<StoredAnswer, FlowError> {
    answer(201, body)
}

/// A success answer: `200` and the body.
pub fn ok(body: &impl Serialize) -> Result<StoredAnswer, FlowError> {
    answer(200, body)
}

fn answer(status: u16, body: &impl Serialize) -> Result<StoredAnswer, FlowError> {
    let body = serde_json::to_string(body).map_err(FlowError::internal)?;
    Ok(StoredAnswer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(is_valid_key(b"a"));
        assert!(is_valid_key(b"order 42: retry #1 ~!"));
        assert!(is_valid_key("k".repeat(255).as_bytes()));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key("k".repeat(256).as_bytes()));
        assert!(!is_valid_key(b"tab\there"));
        assert!(!is_valid_key("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = serde_json::json!({"to": "bob", "amount": "5.00"});
        let b = serde_json::json!({"amount": "5.00", "to": "bob"});
        let c = serde_json::json!({"amount": "5.01", "to": "bob"});
        assert_eq!(request_hash("POST /transfers", &a), request_hash("POST /transfers", &b));
        assert_ne!(request_hash("POST /transfers", &a), request_hash("POST /transfers", &c));
        assert_ne!(request_hash("POST /transfers", &a), request_hash("POST /tips", &a));
    }
}
