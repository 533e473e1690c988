//! A person's wallet and its activity: balances from the ledger, pages of activity newest
//! first (the cursor is the last item's ledger timestamp, so items arriving meanwhile never
//! shift a page), and one receipt.

use purse_api::{Activity, ActivityPage, Balance, Currency, Money, Wallet};
use purse_ledger::{Balances, Timestamp, TransferId, TransferPage};

use crate::codes;
use crate::flows::activity::{self, is_originating};
use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows, people};
use crate::ids::PersonId;

/// The wallet as the API shows it.
pub async fn wallet(flows: &Flows, person: PersonId) -> Result<Wallet, FlowError> {
    let wallet = codes::wallet_of(person);
    let account = match flows.ledger.lookup_account(wallet).await? {
        Some(account) => account,
        None => {
            // Sign-up creates it; this covers a sign-up cut short between the two writes.
            people::ensure_wallet(flows, person).await?;
            flows.ledger.lookup_account(wallet).await?.ok_or_else(|| FlowError::internal("no wallet"))?
        }
    };
    Ok(Wallet { balances: vec![balance(account.currency, &account.balances)] })
}

fn balance(currency: Currency, b: &Balances) -> Balance {
    let minor = |value: i128| Money::from_minor(i64::try_from(value).unwrap_or(0), currency).amount_string();
    Balance {
        currency,
        available: minor(b.available_credit_balance()),
        pending_in: minor(i128::from(b.credits_pending)),
        pending_out: minor(i128::from(b.debits_pending)),
    }
}

/// A page of `person`'s activity, newest first, before `before` (a cursor's ledger timestamp).
pub async fn activity_page(
    flows: &Flows,
    person: PersonId,
    before: Option<Timestamp>,
    limit: u32,
) -> Result<ActivityPage, FlowError> {
    let wallet = codes::wallet_of(person);
    let wanted = limit as usize + 1;
    let mut before = before;
    let mut found = Vec::with_capacity(wanted);
    loop {
        let batch = flows.ledger.account_transfers(wallet, TransferPage { before, limit: limit + 1 }).await?;
        let exhausted = batch.len() < (limit + 1) as usize;
        for transfer in batch {
            before = Some(transfer.timestamp);
            if is_originating(&transfer) {
                found.push(transfer);
            }
        }
        if found.len() >= wanted || exhausted {
            break;
        }
    }
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next_cursor =
        if more { found.last().map(|t| flows.ids.cursor(t.timestamp.as_nanos())) } else { None };
    Ok(ActivityPage { items: activity::build(flows, wallet, &found).await?, next_cursor })
}

/// One receipt of `person`'s: the activity of ledger transfer `transfer`. Someone else's is not
/// found, like one that never existed.
pub async fn activity_item(
    flows: &Flows,
    person: PersonId,
    transfer: TransferId,
) -> Result<Activity, FlowError> {
    let wallet = codes::wallet_of(person);
    let not_found = || FlowError::NotFound(Missing::Thing);
    let record = flows.ledger.lookup_transfers(&[transfer]).await?.pop();
    let transfer = record
        .map(|r| r.transfer)
        .filter(|t| is_originating(t) && (t.debit_account_id == wallet || t.credit_account_id == wallet))
        .ok_or_else(not_found)?;
    activity::build(flows, wallet, &[transfer]).await?.pop().ok_or_else(not_found)
}
