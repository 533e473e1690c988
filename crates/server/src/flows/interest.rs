//! Interest on balances (API.md's "Interest and statements"; the arithmetic is
//! [`purse_api::interest`]). A timed job ([`super::jobs`]) does two things, each idempotent:
//!
//! - **accrues** every ended UTC day not yet accrued (once [`SETTLE_SECONDS`] of the next day
//!   have passed), from the first day the job ran: for every wallet, the day's end-of-day posted
//!   balance (the ledger's balances after the day's last transfer) times the daily rate of
//!   `--apy`, kept in `interest_accruals` with 14 places. Only wallets the ledger moved since the
//!   range began are read transfer by transfer; the others' balance is today's all along (one
//!   bulk read). The days and their accruals commit in one transaction, so a day is accrued for
//!   every wallet or for none. Days missed while no server ran are accrued by the next run at the
//!   rate recorded before it (an APY change applies from the day a server starts with it).
//!   Days with the APY at 0 are recorded as accrued at a rate of 0: turning interest on later
//!   never pays for them.
//! - **pays** every month whose days are all accrued, a thousand people at a time: each
//!   wallet's accruals plus the carry of the month before, rounded down to the cent, posted as
//!   one ledger transfer (code `INTEREST`) from the platform's interest-expense account (which
//!   goes negative by what the platform paid), the rest carried on. The payment row is written
//!   first and its id fixes the ledger transfer's id ([`store::interest::payment_transfer`]), so
//!   a second run or a second instance asks the ledger for the same transfer and the money moves
//!   once. A month is marked paid when all of it posted; a failed run waits a minute.
//!
//! Interest moves money without a person's request, so it takes no `Idempotency-Key`, limit or
//! review: like a withdrawal's settlement, it is the platform's own movement, made idempotent
//! by its ids. For the sandbox clock the job is due when a month has ended (its payment);
//! the days between accrue at that stop or at the advance's last step, from the ledger's history.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};

use purse_api::interest::{self, Accrual, AccrualList, InterestSummary};
use purse_api::{Currency, Money};
use purse_ledger::{AccountId, Movement, Timestamp, TransferId, TransferRequest};
use rust_decimal::Decimal;

use crate::codes;
use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::interest::{AccrualRow, NewPayment, payment_transfer};
use crate::time::{CalendarMonth, Time, date_of_day, end_of_day, start_of_day};

/// Transfers read per page while walking a wallet's days.
const PAGE: u32 = 500;
/// People whose accruals, carries and payments are read and written together.
const PEOPLE_PER_CHUNK: usize = 1_000;
/// How long after a UTC midnight the day before is accrued: past a ledger batch stamped just
/// before midnight and committed just after, and past another instance's clock running a little
/// behind this one's.
pub const SETTLE_SECONDS: i64 = 60;
/// How long the job waits after a failed run before trying again.
const RETRY_SECONDS: i64 = 60;

/// What this instance remembers of the job: the last UTC day it caught up through (so the
/// every-second run reads nothing until a day ends; another instance may be ahead, the tables
/// are the truth), the day it started (days before it accrue at the rate recorded before it:
/// an APY change applies from the day the server started with it), and when to try again after
/// a failure.
#[derive(Debug)]
pub struct JobState {
    caught_up_through: AtomicI64,
    started_day: AtomicI64,
    retry_at: AtomicI64,
}

impl Default for JobState {
    fn default() -> JobState {
        JobState {
            caught_up_through: AtomicI64::new(i64::MIN),
            started_day: AtomicI64::new(i64::MIN),
            retry_at: AtomicI64::new(i64::MIN),
        }
    }
}

/// The job's run: accrues the ended days and pays the ended months. Logs its own failures and
/// tries again [`RETRY_SECONDS`] later.
pub async fn tick(flows: &Flows) {
    let now = flows.now();
    if now.nanos() < flows.interest_job.retry_at.load(Ordering::SeqCst) {
        return;
    }
    if let Err(error) = catch_up(flows, now).await {
        tracing::warn!(%error, "the interest job failed; it tries again in a minute");
        flows.interest_job.retry_at.store(now.plus_seconds(RETRY_SECONDS).nanos(), Ordering::SeqCst);
    }
}

/// Runs the job at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}

/// The last day whose accrual is due at `now`: the day before today, once [`SETTLE_SECONDS`]
/// of today have passed.
fn last_ended_day(now: Time) -> i64 {
    now.minus_seconds(SETTLE_SECONDS).utc_day() - 1
}

/// The next instant the job *must* run after `after`, for the sandbox clock's advance: when the
/// month in progress has ended and settled (a month's payment posts then). Days in between
/// accrue together at that stop, or at the advance's last step, from the ledger's history.
pub fn next_due(after: Time) -> Time {
    CalendarMonth::of(after.minus_seconds(SETTLE_SECONDS)).next().start().plus_seconds(SETTLE_SECONDS)
}

async fn catch_up(flows: &Flows, now: Time) -> Result<(), FlowError> {
    let job = &flows.interest_job;
    let yesterday = last_ended_day(now);
    if job.caught_up_through.load(Ordering::SeqCst) >= yesterday {
        return Ok(());
    }
    let _first_run =
        job.started_day.compare_exchange(i64::MIN, now.utc_day(), Ordering::SeqCst, Ordering::SeqCst);
    let first = flows.db.interest_first_day(yesterday + 1).await?;
    let next = flows.db.interest_last_day().await?.map_or(first, |day| day + 1).max(first);
    if next <= yesterday {
        accrue(flows, next, yesterday).await?;
    }
    // Months are paid in order, each marked once all its payments posted: the first unpaid one
    // is the one after the last marked.
    let mut month = match flows.db.last_paid_month().await? {
        Some(paid) => paid.next(),
        None => CalendarMonth::of_day(first),
    };
    while month.last_day() <= yesterday {
        pay(flows, month).await?;
        month = month.next();
    }
    job.caught_up_through.fetch_max(yesterday, Ordering::SeqCst);
    Ok(())
}

/// Accrues the days `first..=last` for every wallet. Days before this instance started accrue
/// at the rate of the last day accrued before it (the APY the server had then); from its start,
/// at its own.
async fn accrue(flows: &Flows, first: i64, last: i64) -> Result<(), FlowError> {
    let current = interest::daily_rate(flows.settings.apy);
    let before = flows.db.interest_last_rate().await?.unwrap_or(current);
    let started = flows.interest_job.started_day.load(Ordering::SeqCst);
    let days: Vec<(i64, Decimal)> =
        (first..=last).map(|day| (day, if day < started { before } else { current })).collect();
    let mut rows = Vec::new();
    if days.iter().any(|(_, rate)| *rate > Decimal::ZERO) {
        // Only wallets that moved since the first day are read transfer by transfer; every
        // other wallet's balance is today's, all along.
        let since = Timestamp::from_nanos(start_of_day(first).nanos() - 1);
        let moved: HashSet<AccountId> = flows.ledger.accounts_moved_after(since).await?.into_iter().collect();
        for chunk in flows.db.everyone().await?.chunks(PEOPLE_PER_CHUNK) {
            let wallets: Vec<AccountId> = chunk.iter().map(|person| codes::wallet_of(*person)).collect();
            let accounts: HashMap<AccountId, i128> = flows
                .ledger
                .lookup_accounts(&wallets)
                .await?
                .into_iter()
                .map(|account| (account.id, account.balances.posted_credit_balance()))
                .collect();
            for (person, wallet) in chunk.iter().zip(&wallets) {
                let Some(balance) = accounts.get(wallet) else { continue };
                let balances = if moved.contains(wallet) {
                    end_of_day_balances(flows, *wallet, first, last).await?
                } else if *balance > 0 {
                    days.iter().map(|(day, _)| (*day, i64::try_from(*balance).unwrap_or(i64::MAX))).collect()
                } else {
                    Vec::new()
                };
                for ((day, balance), (_, rate)) in balances.into_iter().zip(&days) {
                    let accrued = interest::accrue(balance, *rate);
                    if accrued > Decimal::ZERO {
                        rows.push(AccrualRow { user_id: *person, day, balance, daily_rate: *rate, accrued });
                    }
                }
            }
        }
    }
    flows.db.record_accruals(&days, &rows, flows.now()).await?;
    tracing::info!(from = %date_of_day(first), to = %date_of_day(last), accruals = rows.len(), "interest accrued");
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
    let before = Timestamp::from_nanos(start_of_day(first).nanos() - 1);
    let Some(opening) = flows.ledger.balance_at(wallet, before).await? else {
        return Ok(Vec::new());
    };
    let mut balance = opening.posted_credit_balance();
    let mut days = Vec::with_capacity(usize::try_from(last - first + 1).unwrap_or(0));
    let mut after = before;
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

/// Pays `month`, a thousand people at a time: records each wallet's payment (its accruals and
/// the carry in), posts the payments to the ledger, and marks the month paid once all have
/// posted.
async fn pay(flows: &Flows, month: CalendarMonth) -> Result<(), FlowError> {
    let name = month.to_string();
    let previous = month.previous().to_string();
    let (mut wallets, mut paid) = (0_usize, 0_i64);
    for chunk in flows.db.everyone().await?.chunks(PEOPLE_PER_CHUNK) {
        let mut totals: BTreeMap<PersonId, Decimal> = BTreeMap::new();
        for carried in flows.db.payments_of(chunk, &previous).await? {
            *totals.entry(carried.user_id).or_default() += carried.carry;
        }
        for row in flows.db.accruals_of(chunk, month.first_day(), month.last_day()).await? {
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
        if payments.is_empty() {
            continue;
        }
        let rows = flows.db.record_payments(&name, &payments, flows.now()).await?;
        let owed: Vec<_> = rows.iter().filter(|row| row.paid > 0).collect();
        // The notes first: a transfer never exists without its kind.
        let transfers: Vec<TransferId> = owed.iter().map(|row| payment_transfer(row.id)).collect();
        flows.db.interest_notes(&transfers, &name).await?;
        let requests = owed
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
        for (row, result) in owed.iter().zip(flows.ledger.create_transfers(requests).await?) {
            if let Err(reason) = result {
                return Err(FlowError::internal(format!(
                    "the ledger refused {name}'s interest payment {} to person {}: {reason:?}",
                    row.id, row.user_id
                )));
            }
        }
        wallets += owed.len();
        paid += owed.iter().map(|row| row.paid).sum::<i64>();
    }
    flows.db.mark_interest_month_paid(&name, flows.now()).await?;
    tracing::info!(month = %name, wallets, paid_minor = paid, "interest paid");
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
    let opened = flows.ledger.lookup_account(codes::wallet_of(person)).await?;
    let first_month = opened.map_or(this_month, |account| CalendarMonth::of(Time::from(account.timestamp)));
    Ok(InterestSummary {
        apy: format!("{:.2}", flows.settings.apy),
        accrued_this_month: usd(interest::payment(accrued).paid_minor),
        paid_this_year: usd(paid),
        next_payment_on: date_of_day(this_month.next().first_day()),
        first_month: first_month.to_string(),
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
