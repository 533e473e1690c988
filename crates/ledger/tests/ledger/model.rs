//! The model test: thousands of random submissions, valid and invalid, run against the real
//! ledger and against a small in-memory model written independently of the engine. Every
//! result is compared one by one (created or not, timestamp, amount, or the rejection's name),
//! the balances of every account now and then, and the auditor runs at the end.
//!
//! Seeded: set `PURSE_MODEL_SEED` to replay a run; the seed is printed at the start, so a
//! failure's output shows it. `PURSE_MODEL_STEPS` makes a run longer (a soak) or shorter.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use purse_api::Currency;
use purse_ledger::{
    AccountFlags, AccountId, Balances, CreateTransferError as Reason, Ledger, LedgerConfig, MAX_BALANCE,
    ManualClock, Movement, NewAccount, Timestamp, TransferId, TransferKind, TransferPage, TransferRequest,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::support::*;

const START: i64 = 1_750_000_000_000_000_000;
const SECOND: i64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Open,
    Posted,
    Voided,
    Expired,
}

#[derive(Clone, Copy, Debug)]
struct ModelTransfer {
    request: TransferRequest,
    debit: i64,
    credit: i64,
    amount: u64,
    pending_id: Option<i64>,
    timestamp: i64,
    expires_at: Option<i64>,
}

#[derive(Clone, Copy, Debug)]
struct ModelAccount {
    currency: Currency,
    flags: AccountFlags,
    balances: Balances,
}

/// The model outcome of one request: `Ok((timestamp, amount, created))` or the reason.
type Outcome = Result<(i64, u64, bool), Reason>;

#[derive(Clone, Default)]
struct Model {
    accounts: BTreeMap<i64, ModelAccount>,
    transfers: HashMap<i64, ModelTransfer>,
    states: HashMap<i64, State>,
    failures: HashMap<i64, (TransferRequest, Reason)>,
    last_timestamp: i64,
    next_timestamp: i64,
}

impl Model {
    /// The batch for one submission, at wall time `now`.
    fn submit(&mut self, now: i64, requests: &[TransferRequest]) -> Vec<Outcome> {
        let base = now.max(self.last_timestamp + 1);
        let rows_before = (self.transfers.len(), self.failures.len());
        self.next_timestamp = base;
        self.expire(base);
        let mut outcomes = Vec::new();
        let mut start = 0;
        while start < requests.len() {
            let mut end = start;
            while requests[end].linked && end + 1 < requests.len() {
                end += 1;
            }
            let chain = &requests[start..=end];
            if requests[end].linked {
                // An open chain is refused whole, untouched.
                for i in 0..chain.len() {
                    let last = i + 1 == chain.len();
                    outcomes.push(Err(if last {
                        Reason::LinkedEventChainOpen
                    } else {
                        Reason::LinkedEventFailed
                    }));
                }
                start = end + 1;
                continue;
            }
            let saved = self.clone();
            let mut results: Vec<Outcome> = Vec::new();
            let mut failed: Option<(usize, Reason, bool)> = None;
            for (i, request) in chain.iter().enumerate() {
                match self.apply(request) {
                    Ok(ok) => results.push(Ok(ok)),
                    Err((reason, record)) => {
                        failed = Some((i, reason, record));
                        break;
                    }
                }
            }
            match failed {
                None => outcomes.extend(results),
                Some((index, reason, record)) => {
                    *self = saved;
                    if record {
                        self.failures.insert(chain[index].id.0, (chain[index], reason));
                    }
                    for i in 0..chain.len() {
                        outcomes.push(Err(if i == index { reason } else { Reason::LinkedEventFailed }));
                    }
                }
            }
            start = end + 1;
        }
        // The ledger records its last timestamp only when a batch writes something.
        if (self.transfers.len(), self.failures.len()) != rows_before {
            self.last_timestamp = (self.next_timestamp - 1).max(base);
        }
        outcomes
    }

    fn expire(&mut self, base: i64) {
        let mut due: Vec<(i64, i64)> = self
            .transfers
            .values()
            .filter(|t| self.states.get(&t.request.id.0) == Some(&State::Open))
            .filter_map(|t| t.expires_at.filter(|at| *at <= base).map(|at| (at, t.request.id.0)))
            .collect();
        due.sort_unstable();
        for (_, id) in due.into_iter().take(1_000) {
            let pending = self.transfers[&id];
            self.release(&pending, 0);
            self.states.insert(id, State::Expired);
            let void = ModelTransfer {
                request: TransferRequest::void(-id, id),
                pending_id: Some(id),
                timestamp: self.take_timestamp(),
                expires_at: None,
                ..pending
            };
            self.transfers.insert(-id, void);
        }
    }

    fn take_timestamp(&mut self) -> i64 {
        let timestamp = self.next_timestamp;
        self.next_timestamp += 1;
        timestamp
    }

    fn account(&mut self, id: i64) -> &mut Balances {
        &mut self.accounts.get_mut(&id).expect("checked account").balances
    }

    fn release(&mut self, pending: &ModelTransfer, posted: u64) {
        let (debit, credit, amount) = (pending.debit, pending.credit, pending.amount);
        self.account(debit).debits_pending -= amount;
        self.account(debit).debits_posted += posted;
        self.account(credit).credits_pending -= amount;
        self.account(credit).credits_posted += posted;
    }

    /// `Err((reason, recorded))`.
    fn apply(&mut self, request: &TransferRequest) -> Result<(i64, u64, bool), (Reason, bool)> {
        let id = request.id.0;
        let stateless = |reason| Err((reason, false));
        if id <= 0 {
            return stateless(Reason::IdMustBePositive);
        }
        match request.kind {
            TransferKind::Posted(m) | TransferKind::Pending { movement: m, .. } => {
                if m.amount == 0 {
                    return stateless(Reason::AmountMustNotBeZero);
                }
                if m.debit_account_id.0 <= 0 {
                    return stateless(Reason::DebitAccountIdMustBePositive);
                }
                if m.credit_account_id.0 <= 0 {
                    return stateless(Reason::CreditAccountIdMustBePositive);
                }
                if m.debit_account_id == m.credit_account_id {
                    return stateless(Reason::AccountsMustBeDifferent);
                }
                if m.code == 0 {
                    return stateless(Reason::CodeMustNotBeZero);
                }
            }
            TransferKind::PostPending { pending_id, amount } => {
                if pending_id.0 <= 0 {
                    return stateless(Reason::PendingIdMustBePositive);
                }
                if pending_id == request.id {
                    return stateless(Reason::PendingIdMustBeDifferent);
                }
                if amount == 0 {
                    return stateless(Reason::AmountMustNotBeZero);
                }
            }
            TransferKind::VoidPending { pending_id } => {
                if pending_id.0 <= 0 {
                    return stateless(Reason::PendingIdMustBePositive);
                }
                if pending_id == request.id {
                    return stateless(Reason::PendingIdMustBeDifferent);
                }
            }
        }
        if let Some(existing) = self.transfers.get(&id) {
            let same = match (request.kind, existing.request.kind) {
                (TransferKind::PostPending { pending_id, amount }, TransferKind::PostPending { .. }) => {
                    existing.pending_id == Some(pending_id.0) && existing.amount == amount
                }
                _ => existing.request == *request,
            } && existing.request.linked == request.linked;
            return if same {
                Ok((existing.timestamp, existing.amount, false))
            } else {
                stateless(Reason::ExistsWithDifferentFields)
            };
        }
        if let Some((failed, reason)) = self.failures.get(&id) {
            let reason = if failed == request { *reason } else { Reason::ExistsWithDifferentFields };
            return stateless(reason);
        }
        let recorded = |reason| Err((reason, true));
        match request.kind {
            TransferKind::Posted(m) => self.movement(request, m, None).or_else(&recorded),
            TransferKind::Pending { movement, timeout_s } => {
                self.movement(request, movement, Some(timeout_s)).or_else(&recorded)
            }
            TransferKind::PostPending { pending_id, amount } => {
                self.resolve(request, pending_id.0, Some(amount)).or_else(&recorded)
            }
            TransferKind::VoidPending { pending_id } => {
                self.resolve(request, pending_id.0, None).or_else(recorded)
            }
        }
    }

    fn movement(
        &mut self,
        request: &TransferRequest,
        m: Movement,
        timeout_s: Option<u32>,
    ) -> Result<(i64, u64, bool), Reason> {
        let debit = *self.accounts.get(&m.debit_account_id.0).ok_or(Reason::DebitAccountNotFound)?;
        let credit = *self.accounts.get(&m.credit_account_id.0).ok_or(Reason::CreditAccountNotFound)?;
        if debit.currency != credit.currency {
            return Err(Reason::AccountsMustHaveTheSameCurrency);
        }
        if m.currency != debit.currency {
            return Err(Reason::CurrencyMustMatchAccounts);
        }
        let a = u128::from(m.amount);
        let (d, c) = (debit.balances, credit.balances);
        let w = u128::from;
        if debit.flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && w(d.debits_pending) + w(d.debits_posted) + a > w(d.credits_posted)
        {
            return Err(Reason::ExceedsCredits);
        }
        if credit.flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            && w(c.credits_pending) + w(c.credits_posted) + a > w(c.debits_posted)
        {
            return Err(Reason::ExceedsDebits);
        }
        let max = w(MAX_BALANCE);
        if timeout_s.is_some() {
            if w(d.debits_pending) + a > max {
                return Err(Reason::OverflowsDebitsPending);
            }
            if w(c.credits_pending) + a > max {
                return Err(Reason::OverflowsCreditsPending);
            }
        } else {
            if w(d.debits_posted) + a > max {
                return Err(Reason::OverflowsDebitsPosted);
            }
            if w(c.credits_posted) + a > max {
                return Err(Reason::OverflowsCreditsPosted);
            }
        }
        if w(d.debits_pending) + w(d.debits_posted) + a > max {
            return Err(Reason::OverflowsDebits);
        }
        if w(c.credits_pending) + w(c.credits_posted) + a > max {
            return Err(Reason::OverflowsCredits);
        }
        let timestamp = self.take_timestamp();
        let (debit_id, credit_id) = (m.debit_account_id.0, m.credit_account_id.0);
        let mut expires_at = None;
        if let Some(timeout_s) = timeout_s {
            self.account(debit_id).debits_pending += m.amount;
            self.account(credit_id).credits_pending += m.amount;
            self.states.insert(request.id.0, State::Open);
            expires_at = (timeout_s > 0).then(|| timestamp + i64::from(timeout_s) * SECOND);
        } else {
            self.account(debit_id).debits_posted += m.amount;
            self.account(credit_id).credits_posted += m.amount;
        }
        self.transfers.insert(
            request.id.0,
            ModelTransfer {
                request: *request,
                debit: debit_id,
                credit: credit_id,
                amount: m.amount,
                pending_id: None,
                timestamp,
                expires_at,
            },
        );
        Ok((timestamp, m.amount, true))
    }

    fn resolve(
        &mut self,
        request: &TransferRequest,
        pending_id: i64,
        post: Option<u64>,
    ) -> Result<(i64, u64, bool), Reason> {
        let pending = *self.transfers.get(&pending_id).ok_or(Reason::PendingTransferNotFound)?;
        let state = self.states.get(&pending_id).copied().ok_or(Reason::PendingTransferNotPending)?;
        match state {
            State::Open => {}
            State::Posted => return Err(Reason::PendingTransferAlreadyPosted),
            State::Voided => return Err(Reason::PendingTransferAlreadyVoided),
            State::Expired => return Err(Reason::PendingTransferExpired),
        }
        if pending.expires_at.is_some_and(|at| at <= self.next_timestamp) {
            return Err(Reason::PendingTransferExpired);
        }
        if post.is_some_and(|amount| amount > pending.amount) {
            return Err(Reason::ExceedsPendingTransferAmount);
        }
        self.release(&pending, post.unwrap_or(0));
        self.states.insert(pending_id, if post.is_some() { State::Posted } else { State::Voided });
        let amount = post.unwrap_or(pending.amount);
        let timestamp = self.take_timestamp();
        self.transfers.insert(
            request.id.0,
            ModelTransfer {
                request: *request,
                amount,
                pending_id: Some(pending_id),
                timestamp,
                expires_at: None,
                ..pending
            },
        );
        Ok((timestamp, amount, true))
    }
}

/// Draws random requests, biased towards the interesting ones.
struct Workload {
    rng: SmallRng,
    next_id: i64,
    submitted: Vec<TransferRequest>,
    pendings: Vec<i64>,
}

const ACCOUNT_IDS: [i64; 7] = [1, 2, 3, 4, 5, 6, 7];

impl Workload {
    fn account(&mut self) -> AccountId {
        match self.rng.random_range(0..100) {
            0 => AccountId(0),
            1 => AccountId(99),
            _ => AccountId(ACCOUNT_IDS[self.rng.random_range(0..ACCOUNT_IDS.len())]),
        }
    }

    fn amount(&mut self) -> u64 {
        match self.rng.random_range(0..100) {
            0..=2 => 0,
            3..=5 => self.rng.random_range(MAX_BALANCE / 4..=MAX_BALANCE),
            6 => u64::MAX,
            _ => self.rng.random_range(1..=300),
        }
    }

    fn fresh_id(&mut self) -> i64 {
        if self.rng.random_range(0..100) == 0 {
            return self.rng.random_range(-2..=0);
        }
        self.next_id += 1;
        self.next_id
    }

    fn movement(&mut self) -> Movement {
        if self.rng.random_range(0..20) == 0 {
            // Press on account 6, whose credits may not exceed its debits. Random movements
            // can debit it by up to the largest balance, after which no small press would
            // exceed them: one press in four asks for that much (so `exceeds_debits` is met in
            // every run, not only in those whose first presses come early).
            let amount = if self.rng.random_range(0..4) == 0 {
                MAX_BALANCE
            } else {
                self.rng.random_range(1_000..=20_000)
            };
            return Movement {
                debit_account_id: AccountId(self.rng.random_range(1..=2)),
                credit_account_id: AccountId(6),
                amount,
                currency: Currency::Usd,
                code: 1,
            };
        }
        Movement {
            debit_account_id: self.account(),
            credit_account_id: self.account(),
            amount: self.amount(),
            currency: if self.rng.random_range(0..40) == 0 { Currency::Eur } else { Currency::Usd },
            code: if self.rng.random_range(0..60) == 0 { 0 } else { 1 },
        }
    }

    fn pending_ref(&mut self) -> i64 {
        match self.rng.random_range(0..10) {
            0 => self.rng.random_range(1..=self.next_id.max(1) + 5),
            1 => self.rng.random_range(-1..=0),
            _ if !self.pendings.is_empty() => self.pendings[self.rng.random_range(0..self.pendings.len())],
            _ => self.rng.random_range(1..=self.next_id.max(1)),
        }
    }

    fn request(&mut self) -> TransferRequest {
        let roll = self.rng.random_range(0..100);
        if roll < 8 && !self.submitted.is_empty() {
            let earlier = self.submitted[self.rng.random_range(0..self.submitted.len())];
            // An exact retry, or the same id with a field changed.
            if roll < 6 {
                return earlier;
            }
            let mut changed = earlier;
            changed.kind = match earlier.kind {
                TransferKind::Posted(mut m) => {
                    m.amount = m.amount.wrapping_add(1);
                    TransferKind::Posted(m)
                }
                TransferKind::Pending { movement, timeout_s } => {
                    TransferKind::Pending { movement, timeout_s: timeout_s + 1 }
                }
                TransferKind::PostPending { pending_id, amount } => {
                    TransferKind::PostPending { pending_id, amount: amount + 1 }
                }
                TransferKind::VoidPending { .. } => TransferKind::Posted(self.movement()),
            };
            return changed;
        }
        let id = self.fresh_id();
        let request = match roll {
            8..=47 => TransferRequest::posted(id, self.movement()),
            48..=67 => {
                let timeout_s = if self.rng.random_bool(0.5) { 0 } else { self.rng.random_range(1..=6) };
                self.pendings.push(id);
                TransferRequest::pending(id, self.movement(), timeout_s)
            }
            68..=84 => {
                let amount = match self.rng.random_range(0..10) {
                    0 => 0,
                    1 => 10_000,
                    _ => self.rng.random_range(1..=300),
                };
                let pending = self.pending_ref();
                TransferRequest::post(id, pending, amount)
            }
            _ => {
                let pending = self.pending_ref();
                TransferRequest::void(id, pending)
            }
        };
        self.submitted.push(request);
        request
    }

    fn submission(&mut self) -> Vec<TransferRequest> {
        let length = match self.rng.random_range(0..100) {
            0..=64 => 1,
            65..=84 => 2,
            85..=94 => 3,
            _ => 5,
        };
        let mut requests: Vec<TransferRequest> = (0..length).map(|_| self.request()).collect();
        // Most multi-request submissions are chains; a few leave the chain open.
        for (i, request) in requests.iter_mut().enumerate() {
            let chain = length > 1 && self.rng.random_range(0..10) < 7;
            request.linked = chain && (i + 1 < length || self.rng.random_range(0..10) == 0);
        }
        requests
    }
}

fn accounts() -> Vec<NewAccount> {
    let dmnec = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
    let cmned = AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS;
    let specs = [
        (1, Currency::Usd, AccountFlags::NONE),
        (2, Currency::Usd, AccountFlags::NONE),
        (3, Currency::Usd, dmnec),
        (4, Currency::Usd, dmnec),
        (5, Currency::Usd, dmnec),
        (6, Currency::Usd, cmned),
        (7, Currency::Eur, AccountFlags::NONE),
    ];
    specs
        .iter()
        .map(|&(id, currency, flags)| NewAccount { id: AccountId(id), currency, code: 3, flags })
        .collect()
}

fn seed() -> u64 {
    std::env::var("PURSE_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random())
}

async fn compare_balances(ledger: &Ledger, model: &Model, step: usize, seed: u64) {
    let ids: Vec<AccountId> = model.accounts.keys().map(|id| AccountId(*id)).collect();
    let stored = ledger.lookup_accounts(&ids).await.unwrap();
    assert_eq!(stored.len(), model.accounts.len());
    for account in stored {
        let expected = model.accounts[&account.id.0].balances;
        assert_eq!(account.balances, expected, "seed {seed}, step {step}: {}", account.id);
    }
}

async fn run_model(db: &TestDb, steps: usize, seed: u64) {
    println!("model test on {}: PURSE_MODEL_SEED={seed}", db.backend);
    let clock = Arc::new(ManualClock::new(Timestamp::from_nanos(START)));
    let config = LedgerConfig {
        clock: clock.clone(),
        expiry_interval: std::time::Duration::from_secs(3600),
        ..LedgerConfig::default()
    };
    let ledger = Ledger::open_with(&db.url, config).await.unwrap();
    let mut model = Model::default();
    for account in accounts() {
        model.accounts.insert(
            account.id.0,
            ModelAccount { currency: account.currency, flags: account.flags, balances: Balances::default() },
        );
    }
    ledger.create_accounts(accounts()).await.unwrap();
    let mut workload = Workload {
        rng: SmallRng::seed_from_u64(seed),
        next_id: 0,
        submitted: Vec::new(),
        pendings: Vec::new(),
    };

    // Start the limited wallets with money, so spending succeeds as well as fails.
    let mut now = START + SECOND;
    clock.set(Timestamp::from_nanos(now));
    let funding: Vec<TransferRequest> = [3, 4, 5]
        .iter()
        .map(|&wallet| {
            workload.next_id += 1;
            TransferRequest::posted(
                workload.next_id,
                Movement {
                    debit_account_id: AccountId(1),
                    credit_account_id: AccountId(wallet),
                    amount: 5_000,
                    currency: Currency::Usd,
                    code: 1,
                },
            )
        })
        .collect();
    // 6 may only take credits up to its debits: give it some debits.
    workload.next_id += 1;
    let mut funding = funding;
    funding.push(TransferRequest::posted(
        workload.next_id,
        Movement {
            debit_account_id: AccountId(6),
            credit_account_id: AccountId(2),
            amount: 3_000,
            currency: Currency::Usd,
            code: 1,
        },
    ));

    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for step in 0..=steps {
        let requests = if step == 0 { funding.clone() } else { workload.submission() };
        let expected = model.submit(now, &requests);
        let got = ledger.create_transfers(requests.clone()).await.unwrap();
        assert_eq!(got.len(), expected.len());
        for ((request, got), expected) in requests.iter().zip(&got).zip(&expected) {
            let got_view = got
                .as_ref()
                .map(|o| (o.transfer.timestamp.as_nanos(), o.transfer.amount, o.created))
                .map_err(|e| *e);
            assert_eq!(got_view, *expected, "seed {seed}, step {step}: {request:?} in {requests:?}");
            let key = match got {
                Ok(o) if o.created => "created".to_string(),
                Ok(_) => "already existed".to_string(),
                Err(reason) => reason.name().to_string(),
            };
            *tally.entry(key).or_default() += 1;
        }
        if step % 250 == 0 {
            compare_balances(&ledger, &model, step, seed).await;
        }
        // Time passes, sometimes enough for holds to expire.
        now += workload.rng.random_range(0..=2 * SECOND);
        clock.set(Timestamp::from_nanos(now));
    }
    compare_balances(&ledger, &model, steps, seed).await;

    // The expiry voids the model made are the ledger's too.
    let expiries: Vec<TransferId> =
        model.transfers.keys().filter(|id| **id < 0).map(|id| TransferId(*id)).collect();
    let found = ledger.lookup_transfers(&expiries).await.unwrap();
    assert_eq!(found.len(), expiries.len(), "seed {seed}: expiry voids");
    let history =
        ledger.account_transfers(AccountId(3), TransferPage { before: None, limit: 100 }).await.unwrap();
    let model_history = model.transfers.values().filter(|t| t.debit == 3 || t.credit == 3).count();
    assert_eq!(history.len(), model_history.min(100), "seed {seed}: account 3's history");

    let report = ledger.audit().await.unwrap();
    assert!(report.is_clean(), "seed {seed}: {:?}", report.violations);
    println!("{}: {tally:?}", db.backend);
    // The workload must have reached the interesting corners, or the test proves little.
    for reason in [
        "created",
        "already existed",
        "exceeds_credits",
        "exceeds_debits",
        "linked_event_failed",
        "exists_with_different_fields",
        "pending_transfer_already_posted",
        "pending_transfer_expired",
        "overflows_debits_posted",
        "debit_account_not_found",
        "accounts_must_be_different",
    ] {
        assert!(tally.get(reason).copied().unwrap_or(0) > 0, "seed {seed}: never saw {reason}: {tally:?}");
    }
    assert!(!expiries.is_empty(), "seed {seed}: nothing expired");
    ledger.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_match_the_model_one_by_one() {
    let seed = seed();
    for db in TestDb::every_backend().await {
        let default_steps = if db.backend == "sqlite" { 4_000 } else { 2_500 };
        let steps =
            std::env::var("PURSE_MODEL_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(default_steps);
        run_model(&db, steps, seed).await;
    }
}
