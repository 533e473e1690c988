//! Interest's tables (`interest_start`, `interest_days`, `interest_accruals`,
//! `interest_payments`, `interest_months`): which UTC days the daily job has accrued, each
//! wallet's accrual of a day, and each month's payment with its carry. Days are days since the
//! Unix epoch; months are `YYYY-MM`; interest is decimal text in minor units.
//!
//! Every write is idempotent (`ON CONFLICT DO NOTHING`): two instances running the job at once,
//! or one running it again after a crash, write the same rows once.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::ids::PersonId;
use crate::store::{Column, Db, RowRef, Statement, StoreError, Value, values};
use crate::time::Time;

/// Interest is stored as decimal text.
impl Column for Decimal {
    fn read(row: RowRef<'_>, index: usize) -> Result<Decimal, StoreError> {
        let text = String::read(row, index)?;
        Decimal::from_str(&text).map_err(|_| {
            StoreError::Broken(format!("a stored amount of interest is not a decimal: {text:?}"))
        })
    }
}

/// Rows per multi-row insert (five values each; far under either backend's limit).
const ROWS_PER_INSERT: usize = 500;

/// One wallet's accrual of one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccrualRow {
    pub user_id: PersonId,
    pub day: i64,
    /// The end-of-day posted balance, in minor units.
    pub balance: i64,
    pub daily_rate: Decimal,
    /// Minor units, [`purse_api::interest::ACCRUAL_SCALE`] places.
    pub accrued: Decimal,
}

impl crate::store::Row for AccrualRow {
    fn read(columns: &mut crate::store::Columns<'_>) -> Result<AccrualRow, StoreError> {
        Ok(AccrualRow {
            user_id: columns.take()?,
            day: columns.take()?,
            balance: columns.take()?,
            daily_rate: columns.take()?,
            accrued: columns.take()?,
        })
    }
}

/// One wallet's payment for a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    /// The row's id: its ledger transfer is [`payment_transfer`] of it.
    pub id: i64,
    pub user_id: PersonId,
    pub month: String,
    /// The month's accruals plus the carry in.
    pub accrued: Decimal,
    /// Whole minor units posted.
    pub paid: i64,
    /// What carries into the next month.
    pub carry: Decimal,
}

impl crate::store::Row for PaymentRow {
    fn read(columns: &mut crate::store::Columns<'_>) -> Result<PaymentRow, StoreError> {
        Ok(PaymentRow {
            id: columns.take()?,
            user_id: columns.take()?,
            month: columns.take()?,
            accrued: columns.take()?,
            paid: columns.take()?,
            carry: columns.take()?,
        })
    }
}

/// A month's payment to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub user_id: PersonId,
    pub accrued: Decimal,
    pub paid: i64,
    pub carry: Decimal,
}

/// Interest payments' ledger transfer ids: this base plus the payment row's id. Below the
/// operations' range (2^40, [`crate::ids`]) and far above the fixed ids (platform, demo, tests).
const PAYMENT_TRANSFER_BASE: i64 = 1 << 39;

/// The ledger transfer of the payment row `id`: fixed by the row, so a second run (or a second
/// instance) asks the ledger for the same transfer and the money moves once.
pub fn payment_transfer(id: i64) -> purse_ledger::TransferId {
    purse_ledger::TransferId(PAYMENT_TRANSFER_BASE + id)
}

fn decimal(value: Decimal) -> Value {
    Value::from(value.normalize().to_string())
}

impl Db {
    /// The first day the job accrues: recorded as `today` by the first run (whichever instance
    /// is first), and read back by every run after.
    pub async fn interest_first_day(&self, today: i64) -> Result<i64, StoreError> {
        self.execute(&Statement::new(
            "INSERT INTO interest_start (id, first_day) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            values![today],
        ))
        .await?;
        let (first,): (i64,) =
            self.one(&Statement::new("SELECT first_day FROM interest_start WHERE id = 1", values![])).await?;
        Ok(first)
    }

    /// The last day accrued, if any.
    pub async fn interest_last_day(&self) -> Result<Option<i64>, StoreError> {
        let (last,): (Option<i64>,) =
            self.one(&Statement::new("SELECT MAX(day) FROM interest_days", values![])).await?;
        Ok(last)
    }

    /// The daily rate of the last day accrued, if any.
    pub async fn interest_last_rate(&self) -> Result<Option<Decimal>, StoreError> {
        let row: Option<(Decimal,)> = self
            .optional(&Statement::new(
                "SELECT daily_rate FROM interest_days ORDER BY day DESC LIMIT 1",
                values![],
            ))
            .await?;
        Ok(row.map(|(rate,)| rate))
    }

    /// Records the accruals of the days `days` (each with its daily rate) and the days
    /// themselves, in one transaction: a day is accrued with all its wallets or not at all. Rows
    /// already there stay as they are.
    pub async fn record_accruals(
        &self,
        days: &[(i64, Decimal)],
        accruals: &[AccrualRow],
        at: Time,
    ) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        for chunk in accruals.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO interest_accruals (user_id, day, balance, daily_rate, accrued) VALUES ",
            );
            let mut bound = Vec::with_capacity(chunk.len() * 5);
            for (i, row) in chunk.iter().enumerate() {
                let n = i * 5;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5));
                bound.extend([
                    Value::from(row.user_id),
                    Value::from(row.day),
                    Value::from(row.balance),
                    decimal(row.daily_rate),
                    decimal(row.accrued),
                ]);
            }
            sql.push_str(" ON CONFLICT (user_id, day) DO NOTHING");
            statements.push(Statement::new(sql, bound));
        }
        for (day, rate) in days {
            statements.push(Statement::new(
                "INSERT INTO interest_days (day, daily_rate, accrued_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (day) DO NOTHING",
                vec![Value::from(*day), decimal(*rate), Value::from(at)],
            ));
        }
        self.transaction(&statements).await
    }

    /// The accruals of days `first..=last`, of one person or of everyone.
    pub async fn accruals(
        &self,
        person: Option<PersonId>,
        first: i64,
        last: i64,
    ) -> Result<Vec<AccrualRow>, StoreError> {
        let columns = "SELECT user_id, day, balance, daily_rate, accrued FROM interest_accruals";
        match person {
            Some(person) => {
                self.all(&Statement::new(
                    format!("{columns} WHERE user_id = $1 AND day >= $2 AND day <= $3 ORDER BY day"),
                    values![person, first, last],
                ))
                .await
            }
            None => {
                self.all(&Statement::new(
                    format!("{columns} WHERE day >= $1 AND day <= $2 ORDER BY user_id, day"),
                    values![first, last],
                ))
                .await
            }
        }
    }

    /// The accruals of `people` on days `first..=last` (read by the primary key).
    pub async fn accruals_of(
        &self,
        people: &[PersonId],
        first: i64,
        last: i64,
    ) -> Result<Vec<AccrualRow>, StoreError> {
        let sql = format!(
            "SELECT user_id, day, balance, daily_rate, accrued FROM interest_accruals \
             WHERE {} AND day >= $2 AND day <= $3",
            self.in_list("user_id", 1)
        );
        let ids = people.iter().map(|person| person.0).collect();
        self.all(&Statement::new(sql, vec![Value::Ints(ids), Value::from(first), Value::from(last)])).await
    }

    /// The last month whose payments have all posted.
    pub async fn last_paid_month(&self) -> Result<Option<crate::time::CalendarMonth>, StoreError> {
        let (month,): (Option<String>,) =
            self.one(&Statement::new("SELECT MAX(month) FROM interest_months", values![])).await?;
        month
            .map(|text| {
                crate::time::CalendarMonth::parse(&text)
                    .ok_or_else(|| StoreError::Broken(format!("a paid month is not YYYY-MM: {text:?}")))
            })
            .transpose()
    }

    /// Records the kind (`interest`) of these ledger transfers, with the month they pay for as
    /// their note (`YYYY-MM`: a payment made late, after downtime, still says its month), in one
    /// statement per 500.
    pub async fn interest_notes(
        &self,
        transfers: &[purse_ledger::TransferId],
        month: &str,
    ) -> Result<(), StoreError> {
        let statements: Vec<Statement> = transfers
            .chunks(ROWS_PER_INSERT)
            .map(|chunk| {
                let month_at = chunk.len() + 1;
                let rows: Vec<String> =
                    (1..=chunk.len()).map(|n| format!("(${n}, 'interest', ${month_at})")).collect();
                let mut bound: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
                bound.push(Value::from(month));
                Statement::new(
                    format!(
                        "INSERT INTO transfer_notes (transfer_id, kind, note) VALUES {} \
                         ON CONFLICT (transfer_id) DO NOTHING",
                        rows.join(", ")
                    ),
                    bound,
                )
            })
            .collect();
        self.transaction(&statements).await
    }

    /// Records `month`'s payments (rows already there stay as they are) and answers the
    /// month's payment rows of the people paid.
    pub async fn record_payments(
        &self,
        month: &str,
        payments: &[NewPayment],
        at: Time,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let mut statements = Vec::new();
        for chunk in payments.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO interest_payments (user_id, month, accrued, paid, carry, created_at) VALUES ",
            );
            let mut bound = Vec::with_capacity(chunk.len() * 6);
            for (i, row) in chunk.iter().enumerate() {
                let n = i * 6;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6
                ));
                bound.extend([
                    Value::from(row.user_id),
                    Value::from(month),
                    decimal(row.accrued),
                    Value::from(row.paid),
                    decimal(row.carry),
                    Value::from(at),
                ]);
            }
            sql.push_str(" ON CONFLICT (user_id, month) DO NOTHING");
            statements.push(Statement::new(sql, bound));
        }
        self.transaction(&statements).await?;
        let people: Vec<PersonId> = payments.iter().map(|payment| payment.user_id).collect();
        self.payments_of(&people, month).await
    }

    /// The payment rows of `people` for `month` (read by the unique key), by id.
    pub async fn payments_of(&self, people: &[PersonId], month: &str) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = format!(
            "SELECT id, user_id, month, accrued, paid, carry FROM interest_payments \
             WHERE {} AND month = $2 ORDER BY id",
            self.in_list("user_id", 1)
        );
        let ids = people.iter().map(|person| person.0).collect();
        self.all(&Statement::new(sql, vec![Value::Ints(ids), Value::from(month)])).await
    }

    /// Marks `month` paid: every payment of it posted.
    pub async fn mark_interest_month_paid(&self, month: &str, at: Time) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "INSERT INTO interest_months (month, paid_at) VALUES ($1, $2) ON CONFLICT (month) DO NOTHING",
            values![month, at],
        ))
        .await
        .map(drop)
    }

    /// A person's payments, newest month first (at most `limit`).
    pub async fn interest_payments_of(
        &self,
        person: PersonId,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        self.all(&Statement::new(
            "SELECT id, user_id, month, accrued, paid, carry FROM interest_payments \
             WHERE user_id = $1 ORDER BY month DESC LIMIT $2",
            values![person, limit],
        ))
        .await
    }

    /// Everyone with a wallet to accrue on: every person, by id.
    pub async fn everyone(&self) -> Result<Vec<PersonId>, StoreError> {
        let rows: Vec<(PersonId,)> =
            self.all(&Statement::new("SELECT id FROM users ORDER BY id", values![])).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
