//! Money in and out: linked cards and bank accounts, deposits, standard and instant
//! withdrawals, their daily caps, and the job that settles standard withdrawals.
//!
//! Each movement is an operation (its idempotency key committed first, see
//! [`crate::operations`]) with a row here that follows it: `processing` until the rail and the
//! ledger have answered, then where it ended. Every step is repeatable: the ledger transfers
//! use the operation's fixed ids ([`operations::ledger_id`]) and the rails answer a repeated
//! `reference` as the first time, so a retry of the key, the recovery job, or a settlement job
//! that runs twice or stops halfway finishes a movement exactly once.
//!
//! - **Deposit**: card clearing → wallet, posted once the card network approves the charge; a
//!   decline moves nothing and records `failed` with the reason.
//! - **Standard withdrawal**: wallet → bank clearing as a *pending* transfer (the money leaves
//!   the available balance at once); the bank rail is paid; when the payout settles the job
//!   posts the hold, when it comes back the job voids it (the money is available again).
//! - **Instant withdrawal**: the payout (wallet → card clearing) and its fee (wallet → platform
//!   fees) as one linked chain of holds; the card network's push approved posts both (linked),
//!   declined voids both.
//! - **Daily caps**: a movement reserves its amount in `daily_totals` with the statement that
//!   checks the cap, in the transaction that records the movement, so concurrent movements
//!   never pass the cap together; a movement that fails or comes back gives its amount back.

use axum::http::StatusCode;
use purse_api::funding::{Speed, arrives_by_ns, utc_day, withdrawal_fee_minor};
use purse_api::{
    Amount, BankAccount, Card, Currency, Deposit, DepositResponse, DepositStatus, ErrorCode, Money,
    Withdrawal, WithdrawalResponse, WithdrawalStatus,
};
use purse_ledger::{CreateTransferError, Movement, TransferRequest};

use crate::activity::rfc3339;
use crate::codes;
use crate::db::{Arg, Statement, note_statement, with_pool};
use crate::error::AppError;
use crate::operations::{self, Slot, StoredAnswer};
use crate::payments::stored_currency;
use crate::state::AppState;
use purse_rails::sandbox::{brand_name, parse_brand};
use purse_rails::{CardOutcome, PayoutStatus};

const NANOS: i64 = 1_000_000_000;

fn rail_error(error: purse_rails::RailError) -> AppError {
    AppError::unavailable(error)
}

/// A linked card as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CardRow {
    pub id: i64,
    pub user_id: i64,
    pub rail_token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

const CARD_COLUMNS: &str = "id, user_id, rail_token, brand, last4, exp_month, exp_year";

/// A linked bank account as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BankRow {
    pub id: i64,
    pub user_id: i64,
    pub rail_token: String,
    pub bank_name: String,
    pub last4: String,
}

const BANK_COLUMNS: &str = "id, user_id, rail_token, bank_name, last4";

pub fn card_view(state: &AppState, card: &CardRow) -> Result<Card, AppError> {
    Ok(Card {
        id: state.ids.encode("card", card.id),
        brand: parse_brand(&card.brand)
            .ok_or_else(|| AppError::internal("a stored card brand is unknown"))?,
        last4: card.last4.clone(),
        exp_month: u32::try_from(card.exp_month).map_err(AppError::internal)?,
        exp_year: u32::try_from(card.exp_year).map_err(AppError::internal)?,
    })
}

pub fn bank_view(state: &AppState, bank: &BankRow) -> BankAccount {
    BankAccount {
        id: state.ids.encode("ba", bank.id),
        bank_name: bank.bank_name.clone(),
        last4: bank.last4.clone(),
    }
}

fn card_label(card: &CardRow) -> String {
    let brand = parse_brand(&card.brand).map_or("Card", |brand| brand.label());
    format!("{brand} •••• {}", card.last4)
}

/// Links the card a network token stands for (the token is used up).
pub async fn link_card(state: &AppState, user_id: i64, token: &str) -> Result<CardRow, AppError> {
    let Some(card) = state.cards.redeem(token).await.map_err(rail_error)? else {
        return Err(AppError::invalid_request(
            "This card token is unknown or was already used. Enter the card again.",
        )
        .with_field("token"));
    };
    let sql = format!(
        "INSERT INTO cards (user_id, rail_token, brand, last4, exp_month, exp_year, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CARD_COLUMNS}"
    );
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(user_id)
            .bind(&card.token)
            .bind(brand_name(card.brand))
            .bind(&card.last4)
            .bind(i64::from(card.exp_month))
            .bind(i64::from(card.exp_year))
            .bind(state.now())
            .fetch_one(pool)
            .await
            .map_err(AppError::database)?
    }))
}

/// A person's linked cards, oldest first.
pub async fn cards(state: &AppState, user_id: i64) -> Result<Vec<CardRow>, AppError> {
    let sql =
        format!("SELECT {CARD_COLUMNS} FROM cards WHERE user_id = $1 AND removed_at IS NULL ORDER BY id");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await.map_err(AppError::database)?
    }))
}

/// `user_id`'s linked card `public_id` (`card_…`); `None` for anyone else's, a removed one, or
/// no card.
pub async fn own_card(state: &AppState, user_id: i64, public_id: &str) -> Result<Option<CardRow>, AppError> {
    let Some(id) = state.ids.decode("card", public_id) else { return Ok(None) };
    let sql =
        format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1 AND user_id = $2 AND removed_at IS NULL");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

async fn card_by_id(state: &AppState, id: i64) -> Result<CardRow, AppError> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_one(pool).await.map_err(AppError::database)?
    }))
}

/// Links a bank account (its routing number and account number already checked).
pub async fn link_bank(
    state: &AppState,
    user_id: i64,
    routing: &str,
    account: &str,
    holder: &str,
) -> Result<BankRow, AppError> {
    let linked = state.bank.link(routing, account, holder).await.map_err(rail_error)?;
    let sql = format!(
        "INSERT INTO bank_accounts (user_id, rail_token, bank_name, last4, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {BANK_COLUMNS}"
    );
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(user_id)
            .bind(&linked.token)
            .bind(&linked.bank_name)
            .bind(&linked.last4)
            .bind(state.now())
            .fetch_one(pool)
            .await
            .map_err(AppError::database)?
    }))
}

pub async fn banks(state: &AppState, user_id: i64) -> Result<Vec<BankRow>, AppError> {
    let sql = format!(
        "SELECT {BANK_COLUMNS} FROM bank_accounts WHERE user_id = $1 AND removed_at IS NULL ORDER BY id"
    );
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await.map_err(AppError::database)?
    }))
}

pub async fn own_bank(state: &AppState, user_id: i64, public_id: &str) -> Result<Option<BankRow>, AppError> {
    let Some(id) = state.ids.decode("ba", public_id) else { return Ok(None) };
    let sql = format!(
        "SELECT {BANK_COLUMNS} FROM bank_accounts WHERE id = $1 AND user_id = $2 AND removed_at IS NULL"
    );
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

async fn bank_by_id(state: &AppState, id: i64) -> Result<BankRow, AppError> {
    let sql = format!("SELECT {BANK_COLUMNS} FROM bank_accounts WHERE id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_one(pool).await.map_err(AppError::database)?
    }))
}

/// Removes `user_id`'s card or bank account `id` from what can be used; what is already on its
/// way to it carries on. `false` when there was no such thing of theirs.
pub async fn remove(state: &AppState, table: Linked, user_id: i64, id: i64) -> Result<bool, AppError> {
    let sql = format!(
        "UPDATE {} SET removed_at = $1 WHERE id = $2 AND user_id = $3 AND removed_at IS NULL",
        table.name()
    );
    let changed = with_pool!(&state.db, |pool| {
        sqlx::query(&sql)
            .bind(state.now())
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await
            .map_err(AppError::database)?
            .rows_affected()
    });
    Ok(changed == 1)
}

/// What a person links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linked {
    Card,
    Bank,
}

impl Linked {
    fn name(self) -> &'static str {
        match self {
            Linked::Card => "cards",
            Linked::Bank => "bank_accounts",
        }
    }
}

/// A daily cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Deposit,
    Withdrawal,
}

impl Cap {
    fn kind(self) -> &'static str {
        match self {
            Cap::Deposit => "deposit",
            Cap::Withdrawal => "withdrawal",
        }
    }

    fn limit(self, state: &AppState) -> i64 {
        match self {
            Cap::Deposit => state.settings.deposit_daily_cap_minor,
            Cap::Withdrawal => state.settings.withdrawal_daily_cap_minor,
        }
    }

    /// Reserves `amount` of today's cap: changes no row (so undoes its group) when that would
    /// pass the cap.
    fn reserve(self, state: &AppState, user_id: i64, day: i64, amount: i64) -> Statement {
        Statement::new(
            "INSERT INTO daily_totals (user_id, kind, day, used) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, kind, day) DO UPDATE SET used = daily_totals.used + excluded.used \
             WHERE daily_totals.used + excluded.used <= $5",
            vec![
                Arg::Int(user_id),
                Arg::Text(self.kind().into()),
                Arg::Int(day),
                Arg::Int(amount),
                Arg::Int(self.limit(state)),
            ],
        )
        .must_change()
    }

    /// Records a movement of `amount` (`statements`: its row, its notes) together with its share
    /// of `day`'s cap, in one group; refuses it (`422 limit_exceeded`, nothing written) past the cap.
    async fn record(
        self,
        state: &AppState,
        user_id: i64,
        amount: Amount,
        day: i64,
        statements: Vec<Statement>,
    ) -> Result<(), AppError> {
        let minor = amount.to_minor();
        let mut group = vec![self.reserve(state, user_id, day, minor)];
        group.extend(statements);
        let recorded = minor <= self.limit(state) && apply(state, group).await?;
        if recorded { Ok(()) } else { Err(self.refusal(state, user_id, day, amount.currency()).await) }
    }

    /// Gives back what a failed or returned movement reserved.
    fn release(self, user_id: i64, day: i64, amount: i64) -> Statement {
        Statement::new(
            "UPDATE daily_totals SET used = used - $4 WHERE user_id = $1 AND kind = $2 AND day = $3",
            vec![Arg::Int(user_id), Arg::Text(self.kind().into()), Arg::Int(day), Arg::Int(amount)],
        )
    }

    /// What is left of today's cap.
    pub async fn left(self, state: &AppState, user_id: i64, day: i64) -> Result<i64, AppError> {
        let used: Option<i64> = with_pool!(&state.db, |pool| {
            sqlx::query_scalar("SELECT used FROM daily_totals WHERE user_id = $1 AND kind = $2 AND day = $3")
                .bind(user_id)
                .bind(self.kind())
                .bind(day)
                .fetch_optional(pool)
                .await
                .map_err(AppError::database)?
        });
        Ok((self.limit(state) - used.unwrap_or(0)).max(0))
    }

    /// `422 limit_exceeded`, saying how much is left today.
    async fn refusal(self, state: &AppState, user_id: i64, day: i64, currency: Currency) -> AppError {
        let left = self.left(state, user_id, day).await.unwrap_or(0);
        let left = Money::from_minor(left, currency).amount_string();
        let (verb, cap) = match self {
            Cap::Deposit => ("add", "adding"),
            Cap::Withdrawal => ("withdraw", "withdrawals"),
        };
        AppError::new(
            ErrorCode::LimitExceeded,
            format!(
                "This is over the daily limit on {cap}. You can {verb} up to {left} {currency} more today."
            ),
        )
        .with_field("amount")
    }
}

/// Runs `statements` as one journal group; `false` when a must-change statement changed nothing.
async fn apply(state: &AppState, statements: Vec<Statement>) -> Result<bool, AppError> {
    state.journal.apply(statements).await.map_err(AppError::unavailable)
}

/// The reference a rail knows a movement by: stable for the operation.
fn reference(prefix: &str, operation: i64) -> String {
    format!("{prefix}_{operation}")
}

// ---------------------------------------------------------------------------------------------
// Deposits

/// A deposit as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DepositRow {
    pub operation_id: i64,
    pub user_id: i64,
    pub card_id: i64,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub day: i64,
    pub created_at: i64,
}

const DEPOSIT_COLUMNS: &str =
    "operation_id, user_id, card_id, amount, currency, status, failure_code, day, created_at";

async fn deposit_of(state: &AppState, operation: i64) -> Result<Option<DepositRow>, AppError> {
    let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE operation_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(operation).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// Adds `amount` from `card` under `operation`, or finishes the deposit that operation began
/// (`resumed`: a cut-off arrival of the key, which may have recorded it).
pub async fn deposit(
    state: &AppState,
    operation: i64,
    resumed: bool,
    card: &CardRow,
    amount: Amount,
) -> Result<StoredAnswer, AppError> {
    let recorded = if resumed { deposit_of(state, operation).await? } else { None };
    let row = match recorded {
        Some(row) => row,
        None => record_deposit(state, operation, card, amount).await?,
    };
    let row = finish_deposit(state, row, card).await?;
    StoredAnswer::json(StatusCode::CREATED, &DepositResponse { deposit: deposit_view(state, &row)? })
}

/// Records the deposit, its note and its share of today's cap, together; refuses what passes
/// the cap.
async fn record_deposit(
    state: &AppState,
    operation: i64,
    card: &CardRow,
    amount: Amount,
) -> Result<DepositRow, AppError> {
    let now = state.now();
    let row = DepositRow {
        operation_id: operation,
        user_id: card.user_id,
        card_id: card.id,
        amount: amount.to_minor(),
        currency: amount.currency().code().to_string(),
        status: "processing".into(),
        failure_code: None,
        day: utc_day(now),
        created_at: now,
    };
    let insert = Statement::new(
        "INSERT INTO deposits (operation_id, user_id, card_id, amount, currency, status, day, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'processing', $6, $7)",
        vec![
            Arg::Int(operation),
            Arg::Int(row.user_id),
            Arg::Int(row.card_id),
            Arg::Int(row.amount),
            Arg::Text(row.currency.clone()),
            Arg::Int(row.day),
            Arg::Int(now),
        ],
    );
    let note = note_statement(
        operations::ledger_id(operation, Slot::Main),
        "deposit",
        &format!("From {}", card_label(card)),
    );
    Cap::Deposit.record(state, row.user_id, amount, row.day, vec![insert, note]).await?;
    Ok(row)
}

/// Charges `card` and credits the wallet, or records the decline; a deposit already finished
/// is returned as it is.
async fn finish_deposit(state: &AppState, row: DepositRow, card: &CardRow) -> Result<DepositRow, AppError> {
    if row.status != "processing" {
        return Ok(row);
    }
    let outcome = state
        .cards
        .charge(&card.rail_token, row.amount, &reference("dep", row.operation_id), state.now())
        .await
        .map_err(rail_error)?;
    match outcome {
        CardOutcome::Approved => {
            let request = TransferRequest::posted(
                operations::ledger_id(row.operation_id, Slot::Main),
                Movement {
                    debit_account_id: codes::CARD_CLEARING,
                    credit_account_id: codes::wallet_of(row.user_id),
                    amount: row.amount.cast_unsigned(),
                    currency: stored_currency(&row.currency)?,
                    code: codes::transfer::DEPOSIT,
                },
            );
            if let Err(reason) = state.ledger.create_transfer(request).await? {
                return Err(AppError::internal(format!("the ledger refused a deposit: {reason:?}")));
            }
            apply(
                state,
                vec![Statement::new(
                    "UPDATE deposits SET status = 'completed' WHERE operation_id = $1 AND status = 'processing'",
                    vec![Arg::Int(row.operation_id)],
                )],
            )
            .await?;
            Ok(DepositRow { status: "completed".into(), ..row })
        }
        CardOutcome::Declined(code) => {
            apply(
                state,
                vec![
                    Statement::new(
                        "UPDATE deposits SET status = 'failed', failure_code = $2 \
                         WHERE operation_id = $1 AND status = 'processing'",
                        vec![Arg::Int(row.operation_id), Arg::Text(code.as_str().into())],
                    )
                    .must_change(),
                    Cap::Deposit.release(row.user_id, row.day, row.amount),
                ],
            )
            .await?;
            Ok(DepositRow { status: "failed".into(), failure_code: Some(code.as_str().into()), ..row })
        }
    }
}

pub fn deposit_view(state: &AppState, row: &DepositRow) -> Result<Deposit, AppError> {
    let currency = stored_currency(&row.currency)?;
    Ok(Deposit {
        id: state.ids.encode("dep", row.operation_id),
        status: if row.status == "completed" { DepositStatus::Completed } else { DepositStatus::Failed },
        failure_code: row.failure_code.as_deref().and_then(ErrorCode::parse),
        amount: Money::from_minor(row.amount, currency).amount_string(),
        currency,
    })
}

// ---------------------------------------------------------------------------------------------
// Withdrawals

/// A withdrawal as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WithdrawalRow {
    pub operation_id: i64,
    pub user_id: i64,
    pub speed: String,
    pub card_id: Option<i64>,
    pub bank_account_id: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub arrives_by: i64,
    pub day: i64,
    pub created_at: i64,
}

const WITHDRAWAL_COLUMNS: &str = "operation_id, user_id, speed, card_id, bank_account_id, amount, fee, currency, \
     status, failure_code, arrives_by, day, created_at";

/// Where a withdrawal goes.
#[derive(Clone, Debug)]
pub enum Destination {
    Bank(BankRow),
    Card(CardRow),
}

async fn withdrawal_of(state: &AppState, operation: i64) -> Result<Option<WithdrawalRow>, AppError> {
    let sql = format!("SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE operation_id = $1");
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(operation).fetch_optional(pool).await.map_err(AppError::database)?
    }))
}

/// Where `row` goes (removed or not: a withdrawal on its way carries on).
async fn destination_of(state: &AppState, row: &WithdrawalRow) -> Result<Destination, AppError> {
    match (row.bank_account_id, row.card_id) {
        (Some(bank), _) => Ok(Destination::Bank(bank_by_id(state, bank).await?)),
        (None, Some(card)) => Ok(Destination::Card(card_by_id(state, card).await?)),
        (None, None) => Err(AppError::internal("a withdrawal goes nowhere")),
    }
}

/// When a standard withdrawal made now arrives, by this server's bank settlement delay.
pub fn arrives_by(state: &AppState, speed: Speed) -> i64 {
    arrives_by_ns(state.now(), speed, state.settings.bank_settle_s)
}

/// Withdraws `amount` to `destination` under `operation`, or finishes the withdrawal that
/// operation began (`resumed`: a cut-off arrival of the key, which may have recorded it).
pub async fn withdraw(
    state: &AppState,
    operation: i64,
    resumed: bool,
    user_id: i64,
    destination: &Destination,
    amount: Amount,
) -> Result<StoredAnswer, AppError> {
    let recorded = if resumed { withdrawal_of(state, operation).await? } else { None };
    let row = match recorded {
        Some(row) => row,
        None => record_withdrawal(state, operation, user_id, destination, amount).await?,
    };
    let row = finish_withdrawal(state, row, destination).await?;
    StoredAnswer::json(StatusCode::CREATED, &WithdrawalResponse { withdrawal: withdrawal_view(state, &row)? })
}

/// Records the withdrawal, its notes and its share of today's cap, together; refuses what
/// passes the cap.
async fn record_withdrawal(
    state: &AppState,
    operation: i64,
    user_id: i64,
    destination: &Destination,
    amount: Amount,
) -> Result<WithdrawalRow, AppError> {
    let now = state.now();
    let main = operations::ledger_id(operation, Slot::Main);
    let (speed, card_id, bank_account_id, mut statements) = match destination {
        Destination::Bank(bank) => {
            let note = format!("To {} •••• {}", bank.bank_name, bank.last4);
            (Speed::Standard, None, Some(bank.id), vec![note_statement(main, "withdrawal", &note)])
        }
        Destination::Card(card) => {
            let note = format!("Instant to {}", card_label(card));
            let fee = operations::ledger_id(operation, Slot::Fee);
            let notes = vec![
                note_statement(main, "withdrawal", &note),
                note_statement(fee, "fee", "Instant withdrawal fee"),
            ];
            (Speed::Instant, Some(card.id), None, notes)
        }
    };
    let minor = amount.to_minor();
    let row = WithdrawalRow {
        operation_id: operation,
        user_id,
        speed: if speed == Speed::Standard { "standard".into() } else { "instant".into() },
        card_id,
        bank_account_id,
        amount: minor,
        fee: withdrawal_fee_minor(minor, speed),
        currency: amount.currency().code().to_string(),
        status: "processing".into(),
        failure_code: None,
        arrives_by: arrives_by(state, speed),
        day: utc_day(now),
        created_at: now,
    };
    statements.insert(
        0,
        Statement::new(
            "INSERT INTO withdrawals (operation_id, user_id, speed, card_id, bank_account_id, amount, fee, \
             currency, status, arrives_by, day, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', $9, $10, $11, $11)",
            vec![
                Arg::Int(operation),
                Arg::Int(user_id),
                Arg::Text(row.speed.clone()),
                Arg::OptInt(card_id),
                Arg::OptInt(bank_account_id),
                Arg::Int(minor),
                Arg::Int(row.fee),
                Arg::Text(row.currency.clone()),
                Arg::Int(row.arrives_by),
                Arg::Int(row.day),
                Arg::Int(now),
            ],
        ),
    );
    Cap::Withdrawal.record(state, user_id, amount, row.day, statements).await?;
    Ok(row)
}

/// Moves a withdrawal on from `from` to `to` (with the failure's code), giving its share of the
/// day's cap back if `release`, in one group: it happens once (a second run finds the row moved
/// on and changes nothing).
async fn mark(
    state: &AppState,
    row: &WithdrawalRow,
    from: &str,
    to: &str,
    failure: Option<&str>,
    release: bool,
) -> Result<bool, AppError> {
    let mut statements = vec![
        Statement::new(
            "UPDATE withdrawals SET status = $2, failure_code = $3, updated_at = $4 \
             WHERE operation_id = $1 AND status = $5",
            vec![
                Arg::Int(row.operation_id),
                Arg::Text(to.into()),
                Arg::OptText(failure.map(str::to_string)),
                Arg::Int(state.now()),
                Arg::Text(from.into()),
            ],
        )
        .must_change(),
    ];
    if release {
        statements.push(Cap::Withdrawal.release(row.user_id, row.day, row.amount));
    }
    apply(state, statements).await
}

fn short_of_money() -> AppError {
    AppError::new(
        ErrorCode::InsufficientFunds,
        "Not enough money in your wallet for this withdrawal. Nothing was sent.",
    )
    .with_field("amount")
}

/// Holds the money and sends it to `destination` (the row's): a bank account is paid and the
/// withdrawal is `pending` until it settles; a card is pushed to and the payout posted with its
/// fee. Repeatable at every step; a refused withdrawal answers its refusal again.
async fn finish_withdrawal(
    state: &AppState,
    row: WithdrawalRow,
    destination: &Destination,
) -> Result<WithdrawalRow, AppError> {
    match row.status.as_str() {
        "processing" => match destination {
            Destination::Bank(bank) => hold_and_pay_out(state, row, bank).await,
            Destination::Card(card) => hold_and_push(state, row, card).await,
        },
        // Refused (its answer may not have been stored): the same refusal again.
        "failed" => Err(match row.failure_code.as_deref().and_then(ErrorCode::parse) {
            Some(ErrorCode::InsufficientFunds) => short_of_money(),
            Some(code @ ErrorCode::CardExpired) => declined(code),
            _ => declined(ErrorCode::CardDeclined),
        }),
        _ => Ok(row),
    }
}

/// Standard: the wallet → bank clearing hold, then the bank's payout.
async fn hold_and_pay_out(
    state: &AppState,
    row: WithdrawalRow,
    bank: &BankRow,
) -> Result<WithdrawalRow, AppError> {
    let hold = TransferRequest::pending(
        operations::ledger_id(row.operation_id, Slot::Main),
        Movement {
            debit_account_id: codes::wallet_of(row.user_id),
            credit_account_id: codes::BANK_CLEARING,
            amount: row.amount.cast_unsigned(),
            currency: stored_currency(&row.currency)?,
            code: codes::transfer::WITHDRAWAL,
        },
        0,
    );
    match state.ledger.create_transfer(hold).await? {
        Ok(_) => {}
        Err(CreateTransferError::ExceedsCredits) => {
            mark(state, &row, "processing", "failed", Some(ErrorCode::InsufficientFunds.as_str()), true)
                .await?;
            return Err(short_of_money());
        }
        Err(reason) => {
            return Err(AppError::internal(format!("the ledger refused a withdrawal: {reason:?}")));
        }
    }
    let reference = reference("wd", row.operation_id);
    state
        .bank
        .pay_out(&bank.rail_token, row.amount, &reference, row.arrives_by, state.now())
        .await
        .map_err(rail_error)?;
    mark(state, &row, "processing", "pending", None, false).await?;
    Ok(WithdrawalRow { status: "pending".into(), ..row })
}

/// Instant: the payout and its fee as one linked chain of holds, the card network's push, then
/// both posted (approved) or both voided (declined).
async fn hold_and_push(
    state: &AppState,
    row: WithdrawalRow,
    card: &CardRow,
) -> Result<WithdrawalRow, AppError> {
    let currency = stored_currency(&row.currency)?;
    let wallet = codes::wallet_of(row.user_id);
    let id = |slot| operations::ledger_id(row.operation_id, slot);
    let hold = |slot, credit_account_id, amount: i64, code| {
        TransferRequest::pending(
            id(slot),
            Movement {
                debit_account_id: wallet,
                credit_account_id,
                amount: amount.cast_unsigned(),
                currency,
                code,
            },
            0,
        )
    };
    let payout = hold(Slot::Main, codes::CARD_CLEARING, row.amount, codes::transfer::WITHDRAWAL);
    let fee = hold(Slot::Fee, codes::PLATFORM_FEES, row.fee, codes::transfer::FEE);
    let held = state.ledger.create_transfers(vec![payout.linked(), fee]).await?;
    if held.iter().any(|result| matches!(result, Err(CreateTransferError::ExceedsCredits))) {
        // The payout or its fee (the chain fails together).
        mark(state, &row, "processing", "failed", Some(ErrorCode::InsufficientFunds.as_str()), true).await?;
        return Err(short_of_money());
    }
    if let Some(Err(reason)) = held.iter().find(|result| result.is_err()) {
        return Err(AppError::internal(format!("the ledger refused a withdrawal: {reason:?}")));
    }
    let pushed = state
        .cards
        .push(&card.rail_token, row.amount, &reference("wd", row.operation_id), state.now())
        .await
        .map_err(rail_error)?;
    let resolve = match pushed {
        CardOutcome::Approved => vec![
            TransferRequest::post(id(Slot::Post), id(Slot::Main), row.amount.cast_unsigned()).linked(),
            TransferRequest::post(id(Slot::FeePost), id(Slot::Fee), row.fee.cast_unsigned()),
        ],
        CardOutcome::Declined(_) => vec![
            TransferRequest::void(id(Slot::Void), id(Slot::Main)).linked(),
            TransferRequest::void(id(Slot::FeeVoid), id(Slot::Fee)),
        ],
    };
    if let Some(Err(reason)) = state.ledger.create_transfers(resolve).await?.first() {
        return Err(AppError::internal(format!("the ledger refused to resolve a withdrawal: {reason:?}")));
    }
    match pushed {
        CardOutcome::Approved => {
            mark(state, &row, "processing", "completed", None, false).await?;
            Ok(WithdrawalRow { status: "completed".into(), ..row })
        }
        CardOutcome::Declined(code) => {
            mark(state, &row, "processing", "failed", Some(code.as_str()), true).await?;
            Err(declined(code))
        }
    }
}

fn declined(code: ErrorCode) -> AppError {
    let message = if code == ErrorCode::CardExpired {
        "This card has expired. Nothing was sent; add a current card."
    } else {
        "The card's bank declined this payout. Nothing was sent; try a standard withdrawal to your bank."
    };
    AppError::new(code, message).with_field("destination_id")
}

pub fn withdrawal_view(state: &AppState, row: &WithdrawalRow) -> Result<Withdrawal, AppError> {
    let currency = stored_currency(&row.currency)?;
    let status = match row.status.as_str() {
        "completed" => WithdrawalStatus::Completed,
        "failed" => WithdrawalStatus::Failed,
        "returned" => WithdrawalStatus::Returned,
        _ => WithdrawalStatus::Pending,
    };
    Ok(Withdrawal {
        id: state.ids.encode("wd", row.operation_id),
        status,
        amount: Money::from_minor(row.amount, currency).amount_string(),
        fee: Money::from_minor(row.fee, currency).amount_string(),
        arrives_by: rfc3339(row.arrives_by),
    })
}

/// Settles standard withdrawals whose payouts the bank has settled or returned: the hold is
/// posted (settled) or voided (returned, the money available again and the cap given back).
/// Safe to run twice at once, or again after stopping at any point: the ledger's fixed ids
/// resolve each hold once, and each row moves on from `pending` once.
pub async fn settle_due(state: &AppState) -> Result<usize, AppError> {
    let sql = format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE status = 'pending' AND arrives_by <= $1 \
         ORDER BY arrives_by LIMIT 100"
    );
    let now = state.now();
    let due: Vec<WithdrawalRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(now).fetch_all(pool).await.map_err(AppError::database)?
    });
    let mut settled = 0;
    for row in due {
        // One withdrawal the bank or the database cannot answer for holds up no other.
        match settle(state, &row, now).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, operation = row.operation_id, "a withdrawal did not settle; retrying")
            }
        }
    }
    Ok(settled)
}

/// Settles one due withdrawal if its payout settled or came back; `true` when this call moved
/// its row on.
async fn settle(state: &AppState, row: &WithdrawalRow, now: i64) -> Result<bool, AppError> {
    let status =
        state.bank.payout_status(&reference("wd", row.operation_id), now).await.map_err(rail_error)?;
    let main = operations::ledger_id(row.operation_id, Slot::Main);
    let (request, to, release) = match status {
        PayoutStatus::InFlight => return Ok(false),
        PayoutStatus::Settled => (
            TransferRequest::post(
                operations::ledger_id(row.operation_id, Slot::Post),
                main,
                row.amount.cast_unsigned(),
            ),
            "completed",
            false,
        ),
        PayoutStatus::Returned => (
            TransferRequest::void(operations::ledger_id(row.operation_id, Slot::Void), main),
            "returned",
            true,
        ),
    };
    // The hold resolved the other way already (a payout returned after it had settled,
    // say): the row follows the ledger, which is the truth.
    let (to, release) = match state.ledger.create_transfer(request).await? {
        Ok(_) => (to, release),
        Err(CreateTransferError::PendingTransferAlreadyPosted) => ("completed", false),
        Err(CreateTransferError::PendingTransferAlreadyVoided) => ("returned", true),
        Err(reason) => {
            return Err(AppError::internal(format!("the ledger refused to settle a withdrawal: {reason:?}")));
        }
    };
    mark(state, row, "pending", to, None, release).await
}

/// Deposits and withdrawals cut off while `processing` (the server stopped, a rail did not
/// answer) and not retried within the lease: finished as their retry would.
pub async fn recover(state: &AppState) -> Result<usize, AppError> {
    let stale_before = state.now() - operations::LEASE_SECONDS * NANOS;
    let deposits: Vec<DepositRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE status = 'processing' AND created_at < $1 LIMIT 100"
        ))
        .bind(stale_before)
        .fetch_all(pool)
        .await
        .map_err(AppError::database)?
    });
    let withdrawals: Vec<WithdrawalRow> = with_pool!(&state.db, |pool| {
        sqlx::query_as(&format!(
            "SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE status = 'processing' AND created_at < $1 LIMIT 100"
        ))
        .bind(stale_before)
        .fetch_all(pool)
        .await
        .map_err(AppError::database)?
    });
    let mut finished = 0;
    // Each on its own: one that cannot finish yet holds up no other.
    for row in deposits {
        let operation = row.operation_id;
        match finish_cut_off_deposit(state, row).await {
            Ok(_) => finished += 1,
            Err(error) => tracing::warn!(%error, operation, "a cut-off deposit did not finish; retrying"),
        }
    }
    for row in withdrawals {
        let operation = row.operation_id;
        match finish_cut_off_withdrawal(state, row).await {
            Ok(_) => finished += 1,
            // Refusals (short of money, declined) are final states too.
            Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => finished += 1,
            Err(error) => tracing::warn!(%error, operation, "a cut-off withdrawal did not finish; retrying"),
        }
    }
    Ok(finished)
}

async fn finish_cut_off_deposit(state: &AppState, row: DepositRow) -> Result<DepositRow, AppError> {
    // Removed or not: a deposit under way carries on.
    let card = card_by_id(state, row.card_id).await?;
    finish_deposit(state, row, &card).await
}

async fn finish_cut_off_withdrawal(state: &AppState, row: WithdrawalRow) -> Result<WithdrawalRow, AppError> {
    let destination = destination_of(state, &row).await?;
    finish_withdrawal(state, row, &destination).await
}

/// Runs [`recover`] and [`settle_due`] at once and then every second until the server stops.
pub fn spawn_jobs(state: &AppState) -> tokio::task::JoinHandle<()> {
    state.spawn_every_second(|state| async move {
        if let Err(error) = recover(&state).await {
            tracing::warn!(%error, "recovering deposits and withdrawals failed; retrying");
        }
        if let Err(error) = settle_due(&state).await {
            tracing::warn!(%error, "settling withdrawals failed; retrying");
        }
    })
}
