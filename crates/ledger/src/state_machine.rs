//! The ledger's rules as a pure function: a batch of submissions and the slice of the ledger it
//! touches go in; each request's result and the rows to write come out.
//!
//! Nothing here does IO, so the same code decides on SQLite and PostgreSQL, and everything it
//! decides is checked before a single row is written. Requests are applied one after another,
//! each seeing the effects of those before it in the batch; a linked chain that fails is rolled
//! back through an undo log.

use std::collections::{BTreeMap, HashMap};

use purse_api::Currency;

use crate::reject::CreateTransferError as Reason;
use crate::types::{
    Account, AccountId, Balances, FailedTransfer, MAX_BALANCE, Movement, PendingRecord, PendingState,
    Timestamp, Transfer, TransferFlags, TransferId, TransferKind, TransferRequest,
};

/// A transfer's fate: made (or already made, `created: false`) or refused.
pub type TransferResult = Result<TransferOutcome, Reason>;

/// A transfer the ledger holds, and whether this request is what created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferOutcome {
    pub transfer: Transfer,
    /// `false` when an identical request had already created it: nothing moved this time.
    pub created: bool,
}

/// The part of the ledger a batch reads, loaded inside the batch's database transaction.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// The accounts the batch's requests and the pending transfers they resolve touch.
    pub accounts: HashMap<AccountId, Account>,
    /// Committed transfers with the requested ids, the pending ids referenced, and `expiring`.
    pub transfers: HashMap<TransferId, Transfer>,
    /// State rows of the pending transfers among `transfers`.
    pub pendings: HashMap<TransferId, PendingRecord>,
    /// Recorded rejections under the requested ids.
    pub failures: HashMap<TransferId, FailedTransfer>,
    /// Open pending transfers whose timeout has passed, in `(expires_at, id)` order.
    pub expiring: Vec<TransferId>,
}

/// Rows a batch writes.
#[derive(Debug, Default)]
pub(crate) struct WriteSet {
    /// New transfers in timestamp order (expiry voids first).
    pub transfers: Vec<Transfer>,
    /// New recorded rejections.
    pub failures: Vec<FailedTransfer>,
    /// Pending state rows to insert (`new`) or update.
    pub pendings: Vec<(TransferId, PendingRecord, bool)>,
    /// Final balances of every account whose balances changed.
    pub accounts: Vec<(AccountId, Balances)>,
    /// The largest timestamp used, to carry to the next batch.
    pub last_timestamp: Timestamp,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty() && self.failures.is_empty() && self.pendings.is_empty()
    }
}

/// The outcome of a batch: one result list per submission, the rows to write, and any broken
/// invariant (which must abort the batch).
#[derive(Debug)]
pub(crate) struct Execution {
    pub results: Vec<Vec<TransferResult>>,
    pub writes: WriteSet,
    pub violations: Vec<String>,
}

/// Applies `submissions` in order to `snapshot`. `base` is the first timestamp the batch may
/// use (strictly after the previous batch's last one); every created transfer takes the next.
pub(crate) fn execute(
    snapshot: Snapshot,
    base: Timestamp,
    submissions: &[Vec<TransferRequest>],
) -> Execution {
    let initial: HashMap<AccountId, Balances> =
        snapshot.accounts.iter().map(|(id, account)| (*id, account.balances)).collect();
    let mut machine = Machine {
        accounts: snapshot.accounts,
        transfers: snapshot.transfers,
        initial_pendings: snapshot.pendings.clone(),
        pendings: snapshot.pendings,
        failures: snapshot.failures,
        created: Vec::new(),
        new_failures: Vec::new(),
        batch_timestamp: base,
        next_timestamp: base.as_nanos(),
        undo: Vec::new(),
        violations: Vec::new(),
    };

    for pending_id in &snapshot.expiring {
        machine.expire(*pending_id);
    }
    let results = submissions.iter().map(|requests| machine.submission(requests)).collect();
    machine.finish(results, &initial)
}

/// Why `apply` refused a request, and whether the refusal is recorded under its id.
struct Rejection {
    reason: Reason,
    record: bool,
}

enum Undo {
    Account(AccountId, Balances),
    TransferCreated(TransferId),
    Pending(TransferId, Option<PendingRecord>),
}

struct Machine {
    accounts: HashMap<AccountId, Account>,
    transfers: HashMap<TransferId, Transfer>,
    pendings: HashMap<TransferId, PendingRecord>,
    initial_pendings: HashMap<TransferId, PendingRecord>,
    failures: HashMap<TransferId, FailedTransfer>,
    created: Vec<Transfer>,
    new_failures: Vec<FailedTransfer>,
    batch_timestamp: Timestamp,
    next_timestamp: i64,
    undo: Vec<Undo>,
    violations: Vec<String>,
}

/// A transfer ready to commit: everything but its timestamp and balance snapshots.
struct Planned {
    id: TransferId,
    debit_account_id: AccountId,
    credit_account_id: AccountId,
    amount: u64,
    pending_id: Option<TransferId>,
    currency: Currency,
    code: u16,
    flags: TransferFlags,
    timeout_s: u32,
    effect: Effect,
}

/// What committing a planned transfer does to balances and pending states.
#[derive(Clone, Copy)]
enum Effect {
    Post,
    Reserve,
    /// Release the pending amount and post `amount` of it, ending the pending transfer in
    /// `state` (posted, voided or expired).
    Resolve {
        pending_amount: u64,
        state: PendingState,
    },
}

impl Machine {
    /// Applies one submission: its requests in order, chains all or nothing.
    fn submission(&mut self, requests: &[TransferRequest]) -> Vec<TransferResult> {
        let mut results: Vec<TransferResult> = Vec::with_capacity(requests.len());
        let mut start = 0;
        while start < requests.len() {
            let mut end = start;
            while requests[end].linked && end + 1 < requests.len() {
                end += 1;
            }
            let chain = &requests[start..=end];
            if requests[end].linked {
                // The submission ended inside a chain: nothing of it is applied or recorded.
                results.extend((0..chain.len()).map(|index| {
                    Err(if index + 1 == chain.len() {
                        Reason::LinkedEventChainOpen
                    } else {
                        Reason::LinkedEventFailed
                    })
                }));
            } else if chain.len() == 1 {
                results.push(self.apply_recording(&chain[0]));
            } else {
                results.extend(self.chain(chain));
            }
            start = end + 1;
        }
        results
    }

    fn apply_recording(&mut self, request: &TransferRequest) -> TransferResult {
        self.apply(request).map_err(|rejection| {
            if rejection.record {
                self.record_failure(request, rejection.reason);
            }
            rejection.reason
        })
    }

    /// A closed chain: every member applies, or none does. The member that failed keeps its
    /// reason (recorded like any refusal, even when an earlier member's effect caused it: the
    /// first outcome of an id is final) and the others get `LinkedEventFailed`.
    fn chain(&mut self, chain: &[TransferRequest]) -> Vec<TransferResult> {
        let mark = (self.undo.len(), self.created.len(), self.next_timestamp);
        let mut outcomes = Vec::with_capacity(chain.len());
        let mut failure = None;
        for (index, request) in chain.iter().enumerate() {
            match self.apply(request) {
                Ok(outcome) => outcomes.push(outcome),
                Err(rejection) => {
                    failure = Some((index, rejection));
                    break;
                }
            }
        }
        let Some((failed_index, rejection)) = failure else {
            return outcomes.into_iter().map(Ok).collect();
        };
        self.rollback(mark);
        if rejection.record {
            self.record_failure(&chain[failed_index], rejection.reason);
        }
        (0..chain.len())
            .map(|index| {
                Err(if index == failed_index { rejection.reason } else { Reason::LinkedEventFailed })
            })
            .collect()
    }

    fn rollback(&mut self, (undo_len, created_len, next_timestamp): (usize, usize, i64)) {
        while self.undo.len() > undo_len {
            match self.undo.pop() {
                Some(Undo::Account(id, balances)) => {
                    if let Some(account) = self.accounts.get_mut(&id) {
                        account.balances = balances;
                    }
                }
                Some(Undo::TransferCreated(id)) => {
                    self.transfers.remove(&id);
                }
                Some(Undo::Pending(id, Some(previous))) => {
                    self.pendings.insert(id, previous);
                }
                Some(Undo::Pending(id, None)) => {
                    self.pendings.remove(&id);
                }
                None => break,
            }
        }
        self.created.truncate(created_len);
        self.next_timestamp = next_timestamp;
    }

    fn record_failure(&mut self, request: &TransferRequest, reason: Reason) {
        let failed = FailedTransfer { request: *request, reason, timestamp: self.batch_timestamp };
        self.failures.insert(request.id, failed);
        self.new_failures.push(failed);
    }

    /// One request: the checks of [`crate::CreateTransferError`] in their order, then the commit.
    fn apply(&mut self, request: &TransferRequest) -> Result<TransferOutcome, Rejection> {
        let unrecorded = |reason| Rejection { reason, record: false };
        let recorded = |reason| Rejection { reason, record: true };

        validate_request(request).map_err(unrecorded)?;

        if let Some(existing) = self.transfers.get(&request.id) {
            return if same_request(request, existing) {
                Ok(TransferOutcome { transfer: *existing, created: false })
            } else {
                Err(unrecorded(Reason::ExistsWithDifferentFields))
            };
        }
        if let Some(failed) = self.failures.get(&request.id) {
            let reason =
                if failed.request == *request { failed.reason } else { Reason::ExistsWithDifferentFields };
            return Err(unrecorded(reason));
        }

        let planned = match request.kind {
            TransferKind::Posted(movement) => self.plan_movement(request, movement, 0),
            TransferKind::Pending { movement, timeout_s } => self.plan_movement(request, movement, timeout_s),
            TransferKind::PostPending { pending_id, amount } => {
                self.plan_resolution(request, pending_id, Some(amount))
            }
            TransferKind::VoidPending { pending_id } => self.plan_resolution(request, pending_id, None),
        }
        .map_err(recorded)?;
        Ok(TransferOutcome { transfer: self.commit(planned), created: true })
    }

    fn plan_movement(
        &self,
        request: &TransferRequest,
        movement: Movement,
        timeout_s: u32,
    ) -> Result<Planned, Reason> {
        let pending = matches!(request.kind, TransferKind::Pending { .. });
        let debit = self.accounts.get(&movement.debit_account_id).ok_or(Reason::DebitAccountNotFound)?;
        let credit = self.accounts.get(&movement.credit_account_id).ok_or(Reason::CreditAccountNotFound)?;
        if debit.currency != credit.currency {
            return Err(Reason::AccountsMustHaveTheSameCurrency);
        }
        if movement.currency != debit.currency {
            return Err(Reason::CurrencyMustMatchAccounts);
        }

        let amount = u128::from(movement.amount);
        let max = u128::from(MAX_BALANCE);
        let (dr, cr) = (wide(&debit.balances), wide(&credit.balances));
        if debit.flags.contains(crate::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && dr.debits_pending + dr.debits_posted + amount > dr.credits_posted
        {
            return Err(Reason::ExceedsCredits);
        }
        if credit.flags.contains(crate::AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            && cr.credits_pending + cr.credits_posted + amount > cr.debits_posted
        {
            return Err(Reason::ExceedsDebits);
        }
        if pending {
            if dr.debits_pending + amount > max {
                return Err(Reason::OverflowsDebitsPending);
            }
            if cr.credits_pending + amount > max {
                return Err(Reason::OverflowsCreditsPending);
            }
        } else {
            if dr.debits_posted + amount > max {
                return Err(Reason::OverflowsDebitsPosted);
            }
            if cr.credits_posted + amount > max {
                return Err(Reason::OverflowsCreditsPosted);
            }
        }
        if dr.debits_pending + dr.debits_posted + amount > max {
            return Err(Reason::OverflowsDebits);
        }
        if cr.credits_pending + cr.credits_posted + amount > max {
            return Err(Reason::OverflowsCredits);
        }

        Ok(Planned {
            id: request.id,
            debit_account_id: movement.debit_account_id,
            credit_account_id: movement.credit_account_id,
            amount: movement.amount,
            pending_id: None,
            currency: movement.currency,
            code: movement.code,
            flags: request.flags(),
            timeout_s,
            effect: if pending { Effect::Reserve } else { Effect::Post },
        })
    }

    /// A post (`post_amount: Some`) or void of `pending_id`.
    fn plan_resolution(
        &self,
        request: &TransferRequest,
        pending_id: TransferId,
        post_amount: Option<u64>,
    ) -> Result<Planned, Reason> {
        let pending = self.transfers.get(&pending_id).ok_or(Reason::PendingTransferNotFound)?;
        if !pending.flags.contains(TransferFlags::PENDING) {
            return Err(Reason::PendingTransferNotPending);
        }
        match self.pendings.get(&pending_id).map(|record| record.state) {
            Some(PendingState::Open) => {}
            Some(PendingState::Posted) => return Err(Reason::PendingTransferAlreadyPosted),
            Some(PendingState::Voided) => return Err(Reason::PendingTransferAlreadyVoided),
            Some(PendingState::Expired) => return Err(Reason::PendingTransferExpired),
            // A pending transfer without its state row: the loader broke its contract.
            None => return Err(Reason::PendingTransferNotFound),
        }
        if pending.expires_at().is_some_and(|at| at.as_nanos() <= self.next_timestamp) {
            return Err(Reason::PendingTransferExpired);
        }
        if post_amount.is_some_and(|amount| amount > pending.amount) {
            return Err(Reason::ExceedsPendingTransferAmount);
        }
        let state = if post_amount.is_some() { PendingState::Posted } else { PendingState::Voided };
        Ok(Planned {
            id: request.id,
            debit_account_id: pending.debit_account_id,
            credit_account_id: pending.credit_account_id,
            amount: post_amount.unwrap_or(pending.amount),
            pending_id: Some(pending_id),
            currency: pending.currency,
            code: pending.code,
            flags: request.flags(),
            timeout_s: 0,
            effect: Effect::Resolve { pending_amount: pending.amount, state },
        })
    }

    /// The ledger's own void of an expired pending transfer, id `-pending_id`.
    fn expire(&mut self, pending_id: TransferId) {
        let Some(pending) = self.transfers.get(&pending_id).copied() else {
            self.violations.push(format!("expiring {pending_id} was not loaded"));
            return;
        };
        let open = self.pendings.get(&pending_id).map(|r| r.state) == Some(PendingState::Open);
        if !open {
            self.violations.push(format!("expiring {pending_id} is not open"));
            return;
        }
        self.commit(Planned {
            id: TransferId::expiry_of(pending_id),
            debit_account_id: pending.debit_account_id,
            credit_account_id: pending.credit_account_id,
            amount: pending.amount,
            pending_id: Some(pending_id),
            currency: pending.currency,
            code: pending.code,
            flags: TransferFlags::VOID_PENDING,
            timeout_s: 0,
            effect: Effect::Resolve { pending_amount: pending.amount, state: PendingState::Expired },
        });
    }

    /// Writes a planned transfer into the working state. Every check has passed; a failed
    /// subtraction here means the stored state was already broken, which aborts the batch.
    fn commit(&mut self, planned: Planned) -> Transfer {
        let timestamp = Timestamp(self.next_timestamp);
        self.next_timestamp += 1;
        let amount = planned.amount;
        let id = planned.id;
        match planned.effect {
            Effect::Post => {
                self.update(planned.debit_account_id, |b| {
                    b.debits_posted = b.debits_posted.checked_add(amount)?;
                    Some(())
                });
                self.update(planned.credit_account_id, |b| {
                    b.credits_posted = b.credits_posted.checked_add(amount)?;
                    Some(())
                });
            }
            Effect::Reserve => {
                self.update(planned.debit_account_id, |b| {
                    b.debits_pending = b.debits_pending.checked_add(amount)?;
                    Some(())
                });
                self.update(planned.credit_account_id, |b| {
                    b.credits_pending = b.credits_pending.checked_add(amount)?;
                    Some(())
                });
                let expires_at = (planned.timeout_s > 0).then(|| timestamp.plus_seconds(planned.timeout_s));
                let record = PendingRecord { state: PendingState::Open, expires_at, resolved_by: None };
                self.set_pending(id, record);
            }
            Effect::Resolve { pending_amount, state } => {
                self.update(planned.debit_account_id, |b| {
                    b.debits_pending = b.debits_pending.checked_sub(pending_amount)?;
                    b.debits_posted = b.debits_posted.checked_add(post_part(state, amount))?;
                    Some(())
                });
                self.update(planned.credit_account_id, |b| {
                    b.credits_pending = b.credits_pending.checked_sub(pending_amount)?;
                    b.credits_posted = b.credits_posted.checked_add(post_part(state, amount))?;
                    Some(())
                });
                let record = planned.pending_id.and_then(|p| Some((p, *self.pendings.get(&p)?)));
                match record {
                    Some((pending_id, record)) => {
                        let resolved = PendingRecord { state, resolved_by: Some(id), ..record };
                        self.set_pending(pending_id, resolved);
                    }
                    None => self.violations.push(format!("{id} resolves an unknown pending")),
                }
            }
        }
        let balances_of =
            |account: AccountId| self.accounts.get(&account).map(|a| a.balances).unwrap_or_default();
        let transfer = Transfer {
            id,
            debit_account_id: planned.debit_account_id,
            credit_account_id: planned.credit_account_id,
            amount,
            pending_id: planned.pending_id,
            currency: planned.currency,
            code: planned.code,
            flags: planned.flags,
            timeout_s: planned.timeout_s,
            timestamp,
            debit_balances_after: balances_of(planned.debit_account_id),
            credit_balances_after: balances_of(planned.credit_account_id),
        };
        self.transfers.insert(id, transfer);
        self.undo.push(Undo::TransferCreated(id));
        self.created.push(transfer);
        transfer
    }

    fn update(&mut self, id: AccountId, change: impl FnOnce(&mut Balances) -> Option<()>) {
        let Some(account) = self.accounts.get_mut(&id) else {
            self.violations.push(format!("{id} changed but was not loaded"));
            return;
        };
        let before = account.balances;
        let mut after = before;
        if change(&mut after).is_none() {
            self.violations.push(format!("{id}: balance arithmetic out of range from {before:?}"));
            return;
        }
        account.balances = after;
        self.undo.push(Undo::Account(id, before));
    }

    fn set_pending(&mut self, id: TransferId, record: PendingRecord) {
        let previous = self.pendings.insert(id, record);
        self.undo.push(Undo::Pending(id, previous));
    }

    /// Collects the write set and checks the batch's invariants, each on two paths.
    fn finish(self, results: Vec<Vec<TransferResult>>, initial: &HashMap<AccountId, Balances>) -> Execution {
        let mut violations = self.violations;
        let mut accounts = Vec::new();
        // Per currency: (Δ debits_posted, Δ credits_posted, Δ debits_pending, Δ credits_pending)
        let mut by_accounts: BTreeMap<Currency, [i128; 4]> = BTreeMap::new();
        for (id, account) in &self.accounts {
            let before = initial.get(id).copied().unwrap_or_default();
            let after = account.balances;
            if before == after {
                continue;
            }
            if !after.respects(account.flags) {
                violations.push(format!("{id} breaks its flags: {after:?}"));
            }
            let delta = by_accounts.entry(account.currency).or_default();
            delta[0] += i128::from(after.debits_posted) - i128::from(before.debits_posted);
            delta[1] += i128::from(after.credits_posted) - i128::from(before.credits_posted);
            delta[2] += i128::from(after.debits_pending) - i128::from(before.debits_pending);
            delta[3] += i128::from(after.credits_pending) - i128::from(before.credits_pending);
            accounts.push((*id, after));
        }
        accounts.sort_by_key(|(id, _)| *id);

        // Per currency, from the transfers alone: (Δ posted, Δ pending).
        let mut by_transfers: BTreeMap<Currency, [i128; 2]> = BTreeMap::new();
        let mut previous = None;
        for transfer in &self.created {
            let amount = i128::from(transfer.amount);
            let released = transfer
                .pending_id
                .and_then(|p| self.transfers.get(&p))
                .map_or(0, |pending| i128::from(pending.amount));
            let delta = by_transfers.entry(transfer.currency).or_default();
            if transfer.flags.contains(TransferFlags::PENDING) {
                delta[1] += amount;
            } else if transfer.flags.contains(TransferFlags::POST_PENDING) {
                delta[0] += amount;
                delta[1] -= released;
            } else if transfer.flags.contains(TransferFlags::VOID_PENDING) {
                delta[1] -= released;
            } else {
                delta[0] += amount;
            }
            if previous.is_some_and(|p| p >= transfer.timestamp) {
                violations.push(format!("{} has a timestamp out of order", transfer.id));
            }
            previous = Some(transfer.timestamp);
        }
        for (currency, [debits_posted, credits_posted, debits_pending, credits_pending]) in &by_accounts {
            if debits_posted != credits_posted || debits_pending != credits_pending {
                violations.push(format!("{currency}: debits and credits moved unequally"));
            }
        }
        for currency in by_accounts.keys().chain(by_transfers.keys()) {
            let accounts_path = by_accounts.get(currency).map_or([0, 0], |d| [d[0], d[2]]);
            let transfers_path = by_transfers.get(currency).copied().unwrap_or([0, 0]);
            if accounts_path != transfers_path {
                violations.push(format!(
                    "{currency}: accounts moved (posted, pending) {accounts_path:?}, \
                     transfers {transfers_path:?}"
                ));
            }
        }

        let mut pendings: Vec<(TransferId, PendingRecord, bool)> = self
            .pendings
            .iter()
            .filter_map(|(id, record)| match self.initial_pendings.get(id) {
                None => Some((*id, *record, true)),
                Some(initial) if initial != record => Some((*id, *record, false)),
                Some(_) => None,
            })
            .collect();
        pendings.sort_by_key(|(id, _, _)| *id);

        let last_timestamp = Timestamp(self.next_timestamp - 1).max(self.batch_timestamp);
        Execution {
            results,
            writes: WriteSet {
                transfers: self.created,
                failures: self.new_failures,
                pendings,
                accounts,
                last_timestamp,
            },
            violations,
        }
    }
}

/// The posted part of a resolution: the post's amount, nothing for a void or an expiry.
fn post_part(state: PendingState, amount: u64) -> u64 {
    if state == PendingState::Posted { amount } else { 0 }
}

fn wide(balances: &Balances) -> WideBalances {
    WideBalances {
        debits_pending: u128::from(balances.debits_pending),
        debits_posted: u128::from(balances.debits_posted),
        credits_pending: u128::from(balances.credits_pending),
        credits_posted: u128::from(balances.credits_posted),
    }
}

/// Balances widened so that sums of columns cannot overflow while they are compared.
struct WideBalances {
    debits_pending: u128,
    debits_posted: u128,
    credits_pending: u128,
    credits_posted: u128,
}

/// The stateless checks, in order.
fn validate_request(request: &TransferRequest) -> Result<(), Reason> {
    if request.id.0 <= 0 {
        return Err(Reason::IdMustBePositive);
    }
    match request.kind {
        TransferKind::Posted(movement) | TransferKind::Pending { movement, .. } => {
            if movement.amount == 0 {
                return Err(Reason::AmountMustNotBeZero);
            }
            if movement.debit_account_id.0 <= 0 {
                return Err(Reason::DebitAccountIdMustBePositive);
            }
            if movement.credit_account_id.0 <= 0 {
                return Err(Reason::CreditAccountIdMustBePositive);
            }
            if movement.debit_account_id == movement.credit_account_id {
                return Err(Reason::AccountsMustBeDifferent);
            }
            if movement.code == 0 {
                return Err(Reason::CodeMustNotBeZero);
            }
        }
        TransferKind::PostPending { pending_id, .. } | TransferKind::VoidPending { pending_id } => {
            if pending_id.0 <= 0 {
                return Err(Reason::PendingIdMustBePositive);
            }
            if pending_id == request.id {
                return Err(Reason::PendingIdMustBeDifferent);
            }
            if matches!(request.kind, TransferKind::PostPending { amount: 0, .. }) {
                return Err(Reason::AmountMustNotBeZero);
            }
        }
    }
    Ok(())
}

/// Whether `request` asks for exactly the committed `existing` transfer.
fn same_request(request: &TransferRequest, existing: &Transfer) -> bool {
    if request.flags() != existing.flags {
        return false;
    }
    match request.kind {
        TransferKind::Posted(movement) => same_movement(&movement, existing),
        TransferKind::Pending { movement, timeout_s } => {
            same_movement(&movement, existing) && timeout_s == existing.timeout_s
        }
        TransferKind::PostPending { pending_id, amount } => {
            existing.pending_id == Some(pending_id) && existing.amount == amount
        }
        TransferKind::VoidPending { pending_id } => existing.pending_id == Some(pending_id),
    }
}

fn same_movement(movement: &Movement, existing: &Transfer) -> bool {
    movement.debit_account_id == existing.debit_account_id
        && movement.credit_account_id == existing.credit_account_id
        && movement.amount == existing.amount
        && movement.currency == existing.currency
        && movement.code == existing.code
}
