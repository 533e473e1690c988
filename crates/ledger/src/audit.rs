//! The auditor: rebuilds the whole ledger from its transfers, independently of the engine, and
//! lists every way the stored state disagrees.
//!
//! Checked: every transfer's accounts exist and share its currency; timestamps strictly
//! increase; posts and voids resolve an earlier open pending transfer exactly once, within
//! its timeout (and expiry voids only after it); each transfer's balance snapshots equal the
//! fold up to it; no account ever breaks its flags; stored balances equal the fold; debits
//! equal credits per currency, posted and pending; pending columns equal the open pending
//! transfers; the pending state rows agree with the transfers; rejected ids were never
//! committed.

use std::collections::{BTreeMap, HashMap, HashSet};

use purse_api::Currency;

use crate::error::LedgerError;
use crate::store::{AuditData, AuditVisitor, Store};
use crate::types::{
    Account, AccountId, Balances, PendingState, Timestamp, Transfer, TransferFlags, TransferId,
};

/// What an audit found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub accounts: usize,
    pub transfers: usize,
    pub open_pendings: usize,
    pub recorded_rejections: usize,
    /// Per currency: the sums of each balance column over all accounts.
    pub totals: BTreeMap<Currency, Totals>,
    /// Every broken invariant, in words; empty when the ledger is sound.
    pub violations: Vec<String>,
}

/// Sums of the balance columns over many accounts (wider than one column can hold).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub debits_pending: u128,
    pub debits_posted: u128,
    pub credits_pending: u128,
    pub credits_posted: u128,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Stop listing after this many, so a badly broken ledger still gives a readable report.
const MAX_VIOLATIONS: usize = 1_000;

pub(crate) async fn run(store: &Store) -> Result<AuditReport, LedgerError> {
    let mut auditor = Auditor::default();
    store.audit(&mut auditor).await?;
    Ok(auditor.finish())
}

#[derive(Default)]
struct Auditor {
    data: AuditData,
    accounts: HashMap<AccountId, Account>,
    folded: HashMap<AccountId, Balances>,
    /// Every pending transfer seen so far, and the transfer that resolved it.
    pendings: HashMap<TransferId, (Transfer, Option<Transfer>)>,
    previous: Option<Timestamp>,
    transfers: usize,
    transfer_ids: HashSet<TransferId>,
    violations: Vec<String>,
}

impl AuditVisitor for Auditor {
    fn start(&mut self, data: AuditData) {
        self.accounts = data.accounts.iter().map(|a| (a.id, *a)).collect();
        self.data = data;
    }

    fn visit(&mut self, transfer: Transfer) {
        self.check_transfer(&transfer);
    }
}

impl Auditor {
    fn violation(&mut self, text: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(text);
        }
    }

    fn check_transfer(&mut self, t: &Transfer) {
        self.transfers += 1;
        self.transfer_ids.insert(t.id);
        let id = t.id;
        if self.previous.is_some_and(|p| p >= t.timestamp) {
            self.violation(format!("{id}: timestamp {} not after the previous one", t.timestamp));
        }
        self.previous = Some(t.timestamp);
        if t.amount == 0 {
            self.violation(format!("{id}: zero amount"));
        }
        if t.debit_account_id == t.credit_account_id {
            self.violation(format!("{id}: debits and credits the same account"));
        }
        for account_id in [t.debit_account_id, t.credit_account_id] {
            match self.accounts.get(&account_id) {
                None => self.violation(format!("{id}: {account_id} does not exist")),
                Some(account) if account.currency != t.currency => {
                    self.violation(format!("{id}: {account_id} is not in {}", t.currency));
                }
                Some(account) if account.timestamp > t.timestamp => {
                    self.violation(format!("{id}: {account_id} was created after it"));
                }
                Some(_) => {}
            }
        }

        let amount = t.amount;
        // (debit side, credit side) changes: (pending delta, posted delta), signed.
        let (pending_delta, posted_delta): (i128, i128) = if t.flags.contains(TransferFlags::PENDING) {
            self.pendings.insert(id, (*t, None));
            (i128::from(amount), 0)
        } else if t.flags.contains(TransferFlags::POST_PENDING)
            || t.flags.contains(TransferFlags::VOID_PENDING)
        {
            let released = self.resolve(t);
            let posted = if t.flags.contains(TransferFlags::POST_PENDING) { i128::from(amount) } else { 0 };
            (-i128::from(released), posted)
        } else {
            if t.timeout_s != 0 {
                self.violation(format!("{id}: a timeout on a transfer that is not pending"));
            }
            (0, i128::from(amount))
        };

        for (account_id, debit_side, snapshot) in [
            (t.debit_account_id, true, t.debit_balances_after),
            (t.credit_account_id, false, t.credit_balances_after),
        ] {
            let balances = self.folded.entry(account_id).or_default();
            let (pending, posted) = if debit_side {
                (&mut balances.debits_pending, &mut balances.debits_posted)
            } else {
                (&mut balances.credits_pending, &mut balances.credits_posted)
            };
            let new_pending = i128::from(*pending) + pending_delta;
            let new_posted = i128::from(*posted) + posted_delta;
            let in_range = |v: i128| u64::try_from(v).ok().filter(|v| *v <= crate::MAX_BALANCE);
            let ok = match (in_range(new_pending), in_range(new_posted)) {
                (Some(p), Some(q)) => {
                    *pending = p;
                    *posted = q;
                    true
                }
                _ => false,
            };
            let balances = *balances;
            if !ok {
                self.violation(format!("{id}: {account_id} balance leaves its range"));
            }
            if balances != snapshot {
                self.violation(format!(
                    "{id}: snapshot of {account_id} is {snapshot:?}, the fold says {balances:?}"
                ));
            }
            let flags = self.accounts.get(&account_id).map(|account| account.flags);
            if flags.is_some_and(|flags| !balances.respects(flags)) {
                self.violation(format!("{id}: {account_id} breaks its flags: {balances:?}"));
            }
        }
    }

    /// Checks a post or void against its pending transfer and marks it resolved; returns the
    /// pending amount it releases.
    fn resolve(&mut self, t: &Transfer) -> u64 {
        let id = t.id;
        let Some(pending_id) = t.pending_id else {
            self.violation(format!("{id}: a post or void without a pending id"));
            return 0;
        };
        let Some((pending, resolution)) = self.pendings.get(&pending_id).copied() else {
            self.violation(format!("{id}: resolves {pending_id}, not an earlier pending transfer"));
            return 0;
        };
        if let Some(earlier) = resolution {
            self.violation(format!("{id}: {pending_id} was already resolved by {}", earlier.id));
            return 0;
        }
        let same_terms = pending.debit_account_id == t.debit_account_id
            && pending.credit_account_id == t.credit_account_id
            && pending.currency == t.currency
            && pending.code == t.code;
        if !same_terms {
            self.violation(format!("{id}: differs from {pending_id} in accounts, currency or code"));
        }
        let is_void = t.flags.contains(TransferFlags::VOID_PENDING);
        if t.flags.contains(TransferFlags::POST_PENDING) && t.amount > pending.amount {
            self.violation(format!("{id}: posts more than {pending_id} reserved"));
        }
        if is_void && t.amount != pending.amount {
            self.violation(format!("{id}: voids an amount other than {pending_id}'s"));
        }
        match (t.is_expiry(), pending.expires_at()) {
            (true, Some(expires_at)) if t.timestamp < expires_at => {
                self.violation(format!("{id}: expired {pending_id} before its timeout"));
            }
            (true, None) => self.violation(format!("{id}: expired {pending_id}, which has no timeout")),
            (true, _) if t.id != TransferId::expiry_of(pending_id) || !is_void => {
                self.violation(format!("{id}: an expiry with the wrong id or kind"));
            }
            (false, Some(expires_at)) if t.timestamp >= expires_at => {
                self.violation(format!("{id}: resolved {pending_id} after it expired"));
            }
            _ => {}
        }
        self.pendings.insert(pending_id, (pending, Some(*t)));
        pending.amount
    }

    fn finish(mut self) -> AuditReport {
        let data = std::mem::take(&mut self.data);
        let (accounts, stored_pendings, failed_ids) = (&data.accounts, &data.pendings, &data.failed_ids);
        let mut totals: BTreeMap<Currency, Totals> = BTreeMap::new();
        let mut open: HashMap<AccountId, (u128, u128)> = HashMap::new();
        let mut open_pendings = 0;

        let mut pendings: Vec<(Transfer, Option<Transfer>)> = self.pendings.values().copied().collect();
        pendings.sort_by_key(|(pending, _)| pending.timestamp);
        for (pending, resolution) in &pendings {
            let expected = match resolution {
                None => PendingState::Open,
                Some(r) if r.flags.contains(TransferFlags::POST_PENDING) => PendingState::Posted,
                Some(r) if r.is_expiry() => PendingState::Expired,
                Some(_) => PendingState::Voided,
            };
            if resolution.is_none() {
                open_pendings += 1;
                let debit = open.entry(pending.debit_account_id).or_default();
                debit.0 += u128::from(pending.amount);
                let credit = open.entry(pending.credit_account_id).or_default();
                credit.1 += u128::from(pending.amount);
            }
            match stored_pendings.get(&pending.id) {
                None => self.violation(format!("{}: no pending state row", pending.id)),
                Some(record) => {
                    if record.state != expected || record.resolved_by != resolution.map(|r| r.id) {
                        self.violation(format!(
                            "{}: state row says {:?} by {:?}, the transfers say {expected:?}",
                            pending.id, record.state, record.resolved_by
                        ));
                    }
                    if record.expires_at != pending.expires_at() {
                        self.violation(format!("{}: state row has the wrong expiry", pending.id));
                    }
                }
            }
        }
        if stored_pendings.len() != pendings.len() {
            self.violation(format!(
                "{} pending state rows for {} pending transfers",
                stored_pendings.len(),
                pendings.len()
            ));
        }

        for account in accounts {
            let folded = self.folded.get(&account.id).copied().unwrap_or_default();
            if account.balances != folded {
                self.violation(format!(
                    "{}: stored {:?}, the transfers add up to {folded:?}",
                    account.id, account.balances
                ));
            }
            if !account.balances.respects(account.flags) {
                self.violation(format!("{}: breaks its flags", account.id));
            }
            let (debits_open, credits_open) = open.get(&account.id).copied().unwrap_or_default();
            if u128::from(account.balances.debits_pending) != debits_open
                || u128::from(account.balances.credits_pending) != credits_open
            {
                self.violation(format!(
                    "{}: pending columns {}/{} but open pending transfers {debits_open}/{credits_open}",
                    account.id, account.balances.debits_pending, account.balances.credits_pending
                ));
            }
            let total = totals.entry(account.currency).or_default();
            total.debits_pending += u128::from(account.balances.debits_pending);
            total.debits_posted += u128::from(account.balances.debits_posted);
            total.credits_pending += u128::from(account.balances.credits_pending);
            total.credits_posted += u128::from(account.balances.credits_posted);
        }
        let sums = totals.clone();
        for (currency, total) in &sums {
            if total.debits_posted != total.credits_posted {
                self.violation(format!(
                    "{currency}: debits posted {} but credits posted {}",
                    total.debits_posted, total.credits_posted
                ));
            }
            if total.debits_pending != total.credits_pending {
                self.violation(format!(
                    "{currency}: debits pending {} but credits pending {}",
                    total.debits_pending, total.credits_pending
                ));
            }
        }

        let committed_and_rejected = failed_ids.iter().filter(|id| self.transfer_ids.contains(id)).count();
        if committed_and_rejected > 0 {
            self.violation(format!("{committed_and_rejected} ids are both committed and rejected"));
        }
        if self.previous.is_some_and(|last| last.as_nanos() > data.last_timestamp) {
            self.violation("a transfer is newer than the ledger's last timestamp".to_string());
        }

        AuditReport {
            accounts: accounts.len(),
            transfers: self.transfers,
            open_pendings,
            recorded_rejections: failed_ids.len(),
            totals,
            violations: self.violations,
        }
    }
}
