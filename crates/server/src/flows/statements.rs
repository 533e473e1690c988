//! Monthly statements (`GET /statements`): what posted to a person's wallet in one calendar
//! month (UTC), from the ledger alone. The opening balance is the ledger's posted balance just
//! before the month ([`purse_ledger::Ledger::balance_at`]); each entry is a transfer that
//! changed the posted balance in the month (a posted movement, or a hold's posting; holds still
//! pending, voided or returned changed nothing posted and are not on it), with the balance
//! after it as the ledger recorded it; the closing balance is `balance_at` the month's end (or
//! now, for the month so far), and the statement is refused as an internal error should the
//! entries not add up to it. The files are written from the same [`Statement`] by
//! [`crate::statement_files`].

use std::collections::HashMap;

use purse_api::statements::Statement;
use purse_api::{Activity, ActivityKind, Currency, Direction, Money, StatementEntry};
use purse_ledger::{Timestamp, Transfer, TransferFlags, TransferId};

use crate::codes;
use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows, activity};
use crate::ids::PersonId;
use crate::time::{CalendarMonth, Time};

/// Transfers read per page.
const PAGE: u32 = 500;

/// A statement and what its files say about it beside the entries.
#[derive(Clone, Debug)]
pub struct Built {
    pub statement: Statement,
    /// The wallet's account number, as bank software shows it (`PURSE-1000000007`).
    pub account_id: String,
    /// The person's display name.
    pub owner: String,
    /// The month's first instant.
    pub from: Time,
    /// Its last instant, or now for the month so far.
    pub to: Time,
}

/// `person`'s statement of `month` in `currency`. A month in the future, one before the wallet
/// existed, or a currency the wallet does not hold: not found.
pub async fn statement(
    flows: &Flows,
    person: PersonId,
    month: CalendarMonth,
    currency: Currency,
) -> Result<Built, FlowError> {
    let now = flows.now();
    let wallet = codes::wallet_of(person);
    let account = flows.ledger.lookup_account(wallet).await?.ok_or(FlowError::NotFound(Missing::Thing))?;
    let opened = CalendarMonth::of(Time::from(account.timestamp));
    if account.currency != currency || month < opened || month > CalendarMonth::of(now) {
        return Err(FlowError::NotFound(Missing::Thing));
    }
    let owner =
        flows.db.users_by_ids(&[person]).await?.pop().map(|user| user.display_name).unwrap_or_default();
    let (from, to) = (month.start(), month.end().min(now));
    let before = Timestamp::from_nanos(from.nanos() - 1);
    let opening = flows
        .ledger
        .balance_at(wallet, before)
        .await?
        .ok_or(FlowError::NotFound(Missing::Thing))?
        .posted_credit_balance();

    // The transfers that changed the posted balance, with how much.
    let mut moves: Vec<(Transfer, i128)> = Vec::new();
    let (mut after, mut balance) = (before, opening);
    'pages: loop {
        let page = flows.ledger.account_transfers_after(wallet, Some(after), PAGE).await?;
        let last_page = page.len() < PAGE as usize;
        for transfer in page {
            if transfer.timestamp > Timestamp::from(to) {
                break 'pages;
            }
            after = transfer.timestamp;
            let Some(balances) = transfer.balances_after(wallet) else { continue };
            let posted = balances.posted_credit_balance();
            if posted != balance {
                moves.push((transfer, posted - balance));
                balance = posted;
            }
        }
        if last_page {
            break;
        }
    }
    // An ended month's closing balance is the ledger's at its end, and its entries must make it.
    // The month so far ends at the entries read (a movement committing meanwhile is the next
    // statement's, not a broken one).
    let closing = if to < now {
        flows
            .ledger
            .balance_at(wallet, Timestamp::from(to))
            .await?
            .map_or(balance, |b| b.posted_credit_balance())
    } else {
        balance
    };
    if closing != balance {
        return Err(FlowError::internal(format!(
            "{month}'s statement of wallet {} does not add up: {opening} and its entries make {balance}, the ledger says {closing}",
            wallet.0
        )));
    }

    // The activities the entries belong to (a posting belongs to its hold's).
    let origin = |transfer: &Transfer| match transfer.pending_id {
        Some(pending) if transfer.flags.contains(TransferFlags::POST_PENDING) => pending,
        _ => transfer.id,
    };
    let mut originals: HashMap<TransferId, Transfer> = moves
        .iter()
        .filter(|(transfer, _)| origin(transfer) == transfer.id)
        .map(|(transfer, _)| (transfer.id, *transfer))
        .collect();
    let holds: Vec<TransferId> =
        moves.iter().map(|(transfer, _)| origin(transfer)).filter(|id| !originals.contains_key(id)).collect();
    for record in flows.ledger.lookup_transfers(&holds).await? {
        originals.insert(record.transfer.id, record.transfer);
    }
    let originals: Vec<Transfer> = originals.into_values().collect();
    let activities: HashMap<String, Activity> = activity::build(flows, wallet, &originals)
        .await?
        .into_iter()
        .map(|activity| (activity.id.clone(), activity))
        .collect();

    let money =
        |minor: i128| Money::from_minor(i64::try_from(minor).unwrap_or(i64::MAX), currency).amount_string();
    let (mut total_in, mut total_out, mut interest, mut fees) = (0_i128, 0_i128, 0_i128, 0_i128);
    let mut running = opening;
    let mut entries = Vec::with_capacity(moves.len());
    for (transfer, change) in &moves {
        let activity_id = flows.ids.encode("tr", origin(transfer).0);
        let found = activities.get(&activity_id);
        let kind = found.map_or(codes::kind_of(transfer.code), |activity| activity.kind);
        let direction = if *change > 0 { Direction::In } else { Direction::Out };
        running += change;
        match direction {
            Direction::In => total_in += change,
            Direction::Out => total_out -= change,
        }
        match kind {
            ActivityKind::Interest => interest += change,
            ActivityKind::Fee => fees -= change,
            _ => {}
        }
        entries.push(StatementEntry {
            activity_id,
            booked_at: Time::from(transfer.timestamp).rfc3339(),
            kind,
            description: describe(kind, direction, found),
            note: found.and_then(|activity| activity.note.clone()).filter(|note| !note.is_empty()),
            counterparty: found.and_then(|activity| activity.counterparty.clone()),
            amount: money(change.abs()),
            direction,
            balance_after: money(running),
        });
    }
    Ok(Built {
        statement: Statement {
            month: month.to_string(),
            currency,
            opening_balance: money(opening),
            closing_balance: money(closing),
            total_in: money(total_in),
            total_out: money(total_out),
            interest: money(interest),
            fees: money(fees),
            entries,
        },
        account_id: format!("PURSE-{}", wallet.0),
        owner,
        from,
        to,
    })
}

/// An entry's line: what it was, the other side, and the note (`To Bob (@bob) — Dinner`).
pub fn describe(kind: ActivityKind, direction: Direction, activity: Option<&Activity>) -> String {
    let who = activity
        .and_then(|activity| activity.counterparty.as_ref())
        .map(|other| format!("{} (@{})", other.display_name, other.handle.as_str()));
    let note = activity.and_then(|activity| activity.note.as_deref()).filter(|note| !note.is_empty());
    let what = match (kind, direction, who) {
        // An interest payment's note is the month it was earned in.
        (ActivityKind::Interest, ..) => {
            return note.map_or_else(|| "Interest".to_string(), |month| format!("Interest for {month}"));
        }
        (ActivityKind::Fee, ..) => "Fee".to_string(),
        (ActivityKind::Deposit, ..) => "Money added".to_string(),
        (ActivityKind::Withdrawal, Direction::Out, _) => "Withdrawal".to_string(),
        (ActivityKind::Withdrawal, Direction::In, _) => "Withdrawal returned".to_string(),
        (ActivityKind::Refund, _, Some(who)) => format!("Refund from {who}"),
        (ActivityKind::Refund, _, None) => "Refund".to_string(),
        (ActivityKind::Checkout, Direction::Out, Some(who)) => format!("Payment to {who}"),
        (ActivityKind::Checkout, Direction::In, Some(who)) => format!("Payment from {who}"),
        (ActivityKind::Tip, Direction::In, Some(who)) => format!("Tip from {who}"),
        (ActivityKind::Tip, Direction::In, None) => "Tip from a supporter".to_string(),
        (ActivityKind::Tip, Direction::Out, Some(who)) => format!("Tip to {who}"),
        (_, Direction::In, Some(who)) => format!("From {who}"),
        (_, Direction::Out, Some(who)) => format!("To {who}"),
        (_, Direction::In, None) => "Money in".to_string(),
        (_, Direction::Out, None) => "Money out".to_string(),
    };
    match note {
        Some(note) => format!("{what} — {note}"),
        None => what,
    }
}
