//! A person's wallet and its activity: balances from the ledger, pages of activity newest
//! first (the cursor is the last item's time, so items arriving meanwhile never shift a page),
//! and one receipt. Activity is the ledger's transfers plus the requests that closed without
//! money moving.

use purse_api::{Activity, ActivityPage, Balance, Currency, Money, Wallet};
use purse_ledger::{Balances, Timestamp, Transfer, TransferId, TransferPage};

use crate::codes;
use crate::flows::activity::{self, is_originating};
use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows, people, requests};
use crate::ids::PersonId;
use crate::store::requests::RequestRow;
use crate::time::Time;

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

/// What `person`'s wallet can spend now, in minor units (nothing when it has no wallet yet).
pub async fn available_minor(flows: &Flows, person: PersonId) -> Result<i64, FlowError> {
    let account = flows.ledger.lookup_account(codes::wallet_of(person)).await?;
    Ok(account.map_or(0, |a| i64::try_from(a.balances.available_credit_balance()).unwrap_or(0)))
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

/// A page of `person`'s activity, newest first, before `before` (a cursor's position: a ledger
/// timestamp, on the same clock as a request's closing time). The ledger's transfers and the
/// requests that closed without money moving ([`requests::activity`]) are merged by time.
pub async fn activity_page(
    flows: &Flows,
    person: PersonId,
    before: Option<Timestamp>,
    limit: u32,
) -> Result<ActivityPage, FlowError> {
    let wallet = codes::wallet_of(person);
    let wanted = limit as usize + 1;
    let closed_before = before.map_or(Time::from_nanos(i64::MAX), Time::from);
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
    let closed = flows.db.closed_requests_before(person, closed_before, i64::from(limit) + 1).await?;
    // Both lists hold the newest `limit + 1` of their kind (or all of them): merged newest first,
    // the first `limit` are the page.
    let mut lines: Vec<Line> =
        found.into_iter().map(Line::Transfer).chain(closed.into_iter().map(Line::Request)).collect();
    lines.sort_by_key(|line| std::cmp::Reverse(line.at()));
    let more = lines.len() > limit as usize;
    let cut_at = lines.get(limit as usize).map(Line::at);
    lines.truncate(limit as usize);
    // The cursor is a time and the next page starts strictly before it, so a page never ends
    // inside a tie: lines at the first left-out line's time go to the next page (unless the
    // whole page is one tie, which a nanosecond clock does not make).
    if let Some(cut_at) = cut_at
        && let Some(last_before_tie) = lines.iter().rposition(|line| line.at() != cut_at)
    {
        lines.truncate(last_before_tie + 1);
    }
    let next_cursor = if more { lines.last().map(|line| flows.ids.cursor(line.at().nanos())) } else { None };

    let transfers: Vec<_> =
        lines.iter().filter_map(|line| if let Line::Transfer(t) = line { Some(*t) } else { None }).collect();
    let mut built = activity::build(flows, wallet, &transfers).await?.into_iter();
    let rows: Vec<_> = lines
        .iter()
        .filter_map(|line| if let Line::Request(r) = line { Some(r.clone()) } else { None })
        .collect();
    let names = requests::people_of(flows, &rows).await?;
    let mut items = Vec::with_capacity(lines.len());
    for line in &lines {
        match line {
            Line::Transfer(_) => items.extend(built.next()),
            Line::Request(row) => items.push(requests::activity(flows, row, person, &names)),
        }
    }
    Ok(ActivityPage { items, next_cursor })
}

/// One line of activity before it is built: an originating transfer, or a request that closed
/// without money moving.
enum Line {
    Transfer(Transfer),
    Request(RequestRow),
}

impl Line {
    /// When it happened, on the ledger's clock.
    fn at(&self) -> Time {
        match self {
            Line::Transfer(transfer) => Time::from(transfer.timestamp),
            Line::Request(row) => row.updated_at,
        }
    }
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
