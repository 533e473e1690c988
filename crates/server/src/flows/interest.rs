//! Interest on balances (API.md's "Interest and statements"; the arithmetic is
//! [`purse_api::interest`]). A timed job ([`super::jobs`]) does two things, each idempotent:
//!
//! - **accrues** every ended UTC day not yet accrued, from the first day the job ran: for every
//!   wallet, the day's end-of-day posted balance (the ledger's balances after the day's last
//!   transfer) times the daily rate of `--apy`, kept in `interest_accruals` with 14 places. The
//!   days and their accruals commit in one transaction, so a day is accrued for every wallet or
//!   for none, and days missed while no server ran are accrued by the next run, at its APY.
//!   Days with the APY at 0 are recorded as accrued at a rate of 0: turning interest on later
//!   never pays for them.
//! - **pays** every month whose days are all accrued: each wallet's accruals plus the carry of
//!   the month before, rounded down to the cent, posted as one ledger transfer (code
//!   `INTEREST`) from the platform's interest-expense account (which goes negative by what the
//!   platform paid), the rest carried on. The payment row is written first and its id fixes
//!   the ledger transfer's id ([`store::interest::payment_transfer`]), so a second run or a
//!   second instance asks the ledger for the same transfer and the money moves once.
//!
//! Interest moves money without a person's request, so it takes no `Idempotency-Key`, limit or
//! review: like a withdrawal's settlement, it is the platform's own movement, made idempotent
//! by its ids.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use purse_api::interest::{self, Accrual, AccrualList, InterestSummary};
use purse_api::{ActivityKind, Currency, Money};
use purse_ledger::{AccountId, Movement, Timestamp, TransferRequest};
use rust_decimal::Decimal;

use crate::codes;
use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::interest::{AccrualRow, NewPayment, payment_transfer};
use crate::store::notes;
use crate::time::{CalendarMonth, Time, date_of_day, end_of_day, start_of_day};

/// Transfers read per page while walking a wallet's days.
const PAGE: u32 = 500;
/// Payments posted to the ledger per submission.
const POSTS_PER_SUBMISSION: usize = 500;

/// The last UTC day this instance knows is accrued and paid for (so the job's every-second run
/// reads nothing until a day ends). Another instance may be ahead; the tables are the truth.
#[derive(Debug)]
pub struct JobState {
    caught_up_through: AtomicI64,
}

impl Default for JobState {
    fn default() -> JobState {
        JobState { caught_up_through: AtomicI64::new(i64::MIN) }
    }
}

/// The job's run: accrues the ended days and pays the ended months. Logs its own failures (the
/// next run retries).
pub async fn tick(flows: &Flows) {
    if let Err(error) = catch_up(flows).await {
        tracing::warn!(%error, "the interest job failed; the next run retries");
    }
}

/// Runs the job at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}

/// The next instant the job has something to do after `after`: the next UTC midnight.
pub fn next_due(after: Time) -> Time {
    start_of_day(after.utc_day() + 1)
}

async fn catch_up(flows: &Flows) -> Result<(), FlowError> {
    let yesterday = flows.now().utc_day() - 1;
    if flows.interest_job.caught_up_through.load(Ordering::SeqCst) >= yesterday {
        return Ok(());
    }
    let first = flows.db.interest_first_day(yesterday + 1).await?;
    let next = flows.db.interest_last_day().await?.map_or(first, |day| day + 1).max(first);
    if next <= yesterday {
        accrue(flows, next, yesterday).await?;
    }
    // Every month that ended on or before yesterday and began on or after the first day's month.
    let mut month = CalendarMonth::of_day(first);
    while month.last_day() <= yesterday {
        if !flows.db.interest_month_paid(&month.to_string()).await? {
            pay(flows, month).await?;
        }
        month = month.next();
    }
    flows.interest_job.caught_up_through.fetch_max(yesterday, Ordering::SeqCst);
    Ok(())
}

/// Accrues the days `first..=last` for every wallet.
async fn accrue(flows: &Flows, first: i64, last: i64) -> Result<(), FlowError> {
    let rate = interest::daily_rate(flows.settings.apy);
    let mut rows = Vec::new();
    if rate > Decimal::ZERO {
        for person in flows.db.everyone().await? {
            for (day, balance) in end_of_day_balances(flows, codes::wallet_of(person), first, last).await? {
                let accrued = interest::accrue(balance, rate);
                if accrued > Decimal::ZERO {
                    rows.push(AccrualRow { user_id: person, day, balance, daily_rate: rate, accrued });
                }
            }
        }
    }
    let days: Vec<i64> = (first..=last).collect();
    flows.db.record_accruals(&days, rate, &rows, flows.now()).await?;
    tracing::info!(from = %date_of_day(first), to = %date_of_day(last), wallets = rows.len(), "interest accrued");
    Ok(())
}

/// The posted balance of `wallet` at the end of each day `first..=last` (nothing for a wallet
/// that does not exist): its balance before the first day, then the balances after each of its
/// transfers, read once.
pub async fn end_of_day_balances(
    flows: &Flows,
    wallet: AccountId,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, i64)>, FlowError> {
    let before = Timestamp::from(start_of_day(first)).as_nanos() - 1;
    let Some(opening) = flows.ledger.balance_at(wallet, Timestamp::from_nanos(before)).await? else {
        return Ok(Vec::new());
    };
    let mut balance = opening.posted_credit_balance();
    let mut days = Vec::with_capacity(usize::try_from(last - first + 1).unwrap_or(0));
    let mut after = Timestamp::from_nanos(before);
    let mut pending = std::collections::VecDeque::new();
    let mut exhausted = false;
    for day in first..=last {
        let end = Timestamp::from(end_of_day(day));
        loop {
            if pending.is_empty() && !exhausted {
                let page = flows.ledger.account_transfers_after(wallet, Some(after), PAGE).await?;
                exhausted = page.len() < PAGE as usize;
                if let Some(newest) = page.last() {
                    after = newest.timestamp;
                }
                pending.extend(page);
            }
            match pending.front() {
                Some(transfer) if transfer.timestamp <= end => {
                    if let Some(balances) = transfer.balances_after(wallet) {
                        balance = balances.posted_credit_balance();
                    }
                    pending.pop_front();
                }
                _ => break,
            }
        }
        days.push((day, i64::try_from(balance).unwrap_or(i64::MAX)));
        if exhausted && pending.is_empty() {
            // No more transfers: every later day ends at this balance.
            days.extend((day + 1..=last).map(|later| (later, i64::try_from(balance).unwrap_or(i64::MAX))));
            break;
        }
    }
    Ok(days)
}

/// Pays `month`: records each wallet's payment (its accruals and the carry in), posts the
/// payments to the ledger, and marks the month paid once all have posted.
async fn pay(flows: &Flows, month: CalendarMonth) -> Result<(), FlowError> {
    let name = month.to_string();
    let mut totals: BTreeMap<PersonId, Decimal> = BTreeMap::new();
    for carried in flows.db.payments_of_month(&month.previous().to_string()).await? {
        *totals.entry(carried.user_id).or_default() += carried.carry;
    }
    for row in flows.db.accruals(None, month.first_day(), month.last_day()).await? {
        *totals.entry(row.user_id).or_default() += row.accrued;
    }
    let payments: Vec<NewPayment> = totals
        .into_iter()
        .filter(|(_, accrued)| *accrued > Decimal::ZERO)
        .map(|(user_id, accrued)| {
            let payment = interest::payment(accrued);
            NewPayment { user_id, accrued, paid: payment.paid_minor, carry: payment.carry }
        })
        .collect();
    let rows = flows.db.record_payments(&name, &payments, flows.now()).await?;
    let owed: Vec<_> = rows.iter().filter(|row| row.paid > 0).collect();
    // The notes first: a transfer never exists without its kind.
    let notes: Vec<_> =
        owed.iter().map(|row| notes::put(payment_transfer(row.id), ActivityKind::Interest, None)).collect();
    flows.db.transaction(&notes).await?;
    for chunk in owed.chunks(POSTS_PER_SUBMISSION) {
        let requests = chunk
            .iter()
            .map(|row| {
                TransferRequest::posted(
                    payment_transfer(row.id).0,
                    Movement {
                        debit_account_id: codes::INTEREST_EXPENSE,
                        credit_account_id: codes::wallet_of(row.user_id),
                        amount: row.paid.cast_unsigned(),
                        currency: Currency::Usd,
                        code: codes::transfer::INTEREST,
                    },
                )
            })
            .collect();
        for (row, result) in chunk.iter().zip(flows.ledger.create_transfers(requests).await?) {
            if let Err(reason) = result {
                return Err(FlowError::internal(format!(
                    "the ledger refused {name}'s interest payment {} to person {}: {reason:?}",
                    row.id, row.user_id
                )));
            }
        }
    }
    flows.db.mark_interest_month_paid(&name, flows.now()).await?;
    let paid: i64 = owed.iter().map(|row| row.paid).sum();
    tracing::info!(month = %name, wallets = owed.len(), paid_minor = paid, "interest paid");
    Ok(())
}

/// `GET /me/interest`.
pub async fn summary(flows: &Flows, person: PersonId) -> Result<InterestSummary, FlowError> {
    let now = flows.now();
    let this_month = CalendarMonth::of(now);
    let payments = flows.db.interest_payments_of(person, 13).await?;
    // Unpaid: the carry of the last payment and every accrual after its month.
    let (carry, since) = payments.first().map_or((Decimal::ZERO, i64::MIN), |last| {
        let after = CalendarMonth::parse(&last.month).map_or(i64::MIN, |month| month.next().first_day());
        (last.carry, after)
    });
    let accrued: Decimal = flows
        .db
        .accruals(Some(person), since, now.utc_day())
        .await?
        .iter()
        .map(|row| row.accrued)
        .sum::<Decimal>()
        + carry;
    // Paid this calendar year: last December's payment (paid in January) to this November's.
    let first = CalendarMonth { year: this_month.year - 1, month: 12 }.to_string();
    let last = CalendarMonth { year: this_month.year, month: 11 }.to_string();
    let paid: i64 = payments
        .iter()
        .filter(|row| row.month.as_str() >= first.as_str() && row.month.as_str() <= last.as_str())
        .map(|row| row.paid)
        .sum();
    let usd = |minor: i64| Money::from_minor(minor, Currency::Usd).amount_string();
    Ok(InterestSummary {
        apy: format!("{:.2}", flows.settings.apy),
        accrued_this_month: usd(interest::payment(accrued).paid_minor),
        paid_this_year: usd(paid),
        next_payment_on: date_of_day(this_month.next().first_day()),
        currency: Currency::Usd,
    })
}

/// `GET /me/interest/accruals?month=`: `person`'s accruals of a month, oldest first.
pub async fn accruals(
    flows: &Flows,
    person: PersonId,
    month: CalendarMonth,
) -> Result<AccrualList, FlowError> {
    let rows = flows.db.accruals(Some(person), month.first_day(), month.last_day()).await?;
    let per_unit = Decimal::from(10_i64.pow(Currency::Usd.exponent()));
    Ok(AccrualList {
        month: month.to_string(),
        currency: Currency::Usd,
        items: rows
            .into_iter()
            .map(|row| Accrual {
                date: date_of_day(row.day),
                balance: Money::from_minor(row.balance, Currency::Usd).amount_string(),
                daily_rate: row.daily_rate.normalize().to_string(),
                accrued: (row.accrued / per_unit).normalize().to_string(),
            })
            .collect(),
    })
}
