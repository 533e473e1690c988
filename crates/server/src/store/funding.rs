//! Money in and out: `cards` and `bank_accounts` (rail tokens and what a person may see of
//! them; removal keeps history), `deposits` and `withdrawals` (one row per operation, following
//! it from `processing` to where it ended), and `daily_totals` (each person's share of a day's
//! cap, reserved by the statement that checks it).

use purse_api::funding::Speed;
use purse_api::{CardBrand, Currency, ErrorCode};

use crate::ids::{OperationId, PersonId};
use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, stored_words, values, word};
use crate::time::Time;

/// The card brands, as stored (their wire names).
const BRANDS: [CardBrand; 4] = [CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex, CardBrand::Discover];

/// A card brand as stored (its wire name: `visa`, `mastercard`, `amex`, `discover`).
pub fn brand_name(brand: CardBrand) -> &'static str {
    match brand {
        CardBrand::Visa => "visa",
        CardBrand::Mastercard => "mastercard",
        CardBrand::Amex => "amex",
        CardBrand::Discover => "discover",
    }
}

impl Column for CardBrand {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
        word(row, index, "card brand", |text| BRANDS.into_iter().find(|brand| brand_name(*brand) == text))
    }
}

/// A withdrawal's speed as stored.
fn speed_name(speed: Speed) -> &'static str {
    match speed {
        Speed::Standard => "standard",
        Speed::Instant => "instant",
    }
}

impl Column for Speed {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
        word(row, index, "speed", Speed::parse)
    }
}

/// A refusal's code as stored (`card_declined`, `insufficient_funds`…).
impl Column for Option<ErrorCode> {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
        Ok(Option::<String>::read(row, index)?.as_deref().and_then(ErrorCode::parse))
    }
}

stored_words! {
    /// Where a deposit is.
    pub enum DepositState ("deposit state") {
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
    }
}

stored_words! {
    /// Where a withdrawal is.
    pub enum WithdrawalState ("withdrawal state") {
        Processing = "processing",
        /// Held, paid out to the bank, not settled yet.
        Pending = "pending",
        Completed = "completed",
        Failed = "failed",
        /// The bank sent it back.
        Returned = "returned",
    }
}

stored_words! {
    /// A daily cap, as `daily_totals.kind` stores it.
    pub enum Cap ("cap") {
        Deposit = "deposit",
        Withdrawal = "withdrawal",
    }
}

/// What a person links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linked {
    Card,
    Bank,
}

impl Linked {
    fn table(self) -> &'static str {
        match self {
            Linked::Card => "cards",
            Linked::Bank => "bank_accounts",
        }
    }
}

/// A linked card as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRow {
    pub id: i64,
    pub user_id: PersonId,
    pub rail_token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

const CARD_COLUMNS: &str = "id, user_id, rail_token, brand, last4, exp_month, exp_year";

impl Row for CardRow {
    fn read(columns: &mut Columns<'_>) -> Result<CardRow, StoreError> {
        Ok(CardRow {
            id: columns.take()?,
            user_id: columns.take()?,
            rail_token: columns.take()?,
            brand: columns.take()?,
            last4: columns.take()?,
            exp_month: columns.take()?,
            exp_year: columns.take()?,
        })
    }
}

/// A card to link.
#[derive(Clone, Debug)]
pub struct NewCard<'a> {
    pub person: PersonId,
    pub rail_token: &'a str,
    pub brand: CardBrand,
    pub last4: &'a str,
    pub exp_month: u32,
    pub exp_year: u32,
    pub now: Time,
}

/// A linked bank account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankRow {
    pub id: i64,
    pub user_id: PersonId,
    pub rail_token: String,
    pub bank_name: String,
    pub last4: String,
}

const BANK_COLUMNS: &str = "id, user_id, rail_token, bank_name, last4";

impl Row for BankRow {
    fn read(columns: &mut Columns<'_>) -> Result<BankRow, StoreError> {
        Ok(BankRow {
            id: columns.take()?,
            user_id: columns.take()?,
            rail_token: columns.take()?,
            bank_name: columns.take()?,
            last4: columns.take()?,
        })
    }
}

/// A deposit as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRow {
    pub operation_id: OperationId,
    pub user_id: PersonId,
    pub card_id: i64,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub state: DepositState,
    /// Why it failed.
    pub failure_code: Option<ErrorCode>,
    /// The UTC day whose cap it counts against.
    pub day: i64,
    pub created_at: Time,
}

const DEPOSIT_COLUMNS: &str =
    "operation_id, user_id, card_id, amount, currency, status, failure_code, day, created_at";

impl Row for DepositRow {
    fn read(columns: &mut Columns<'_>) -> Result<DepositRow, StoreError> {
        Ok(DepositRow {
            operation_id: columns.take()?,
            user_id: columns.take()?,
            card_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            state: columns.take()?,
            failure_code: columns.take()?,
            day: columns.take()?,
            created_at: columns.take()?,
        })
    }
}

/// A withdrawal as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalRow {
    pub operation_id: OperationId,
    pub user_id: PersonId,
    pub speed: Speed,
    pub card_id: Option<i64>,
    pub bank_account_id: Option<i64>,
    /// Minor units.
    pub amount: i64,
    pub fee: i64,
    pub currency: Currency,
    pub state: WithdrawalState,
    pub failure_code: Option<ErrorCode>,
    pub arrives_by: Time,
    pub day: i64,
    pub created_at: Time,
    /// Held for review (the reason code): its money is held and nothing is sent until an
    /// officer approves, which clears this.
    pub review: Option<String>,
}

const WITHDRAWAL_COLUMNS: &str = "operation_id, user_id, speed, card_id, bank_account_id, amount, fee, currency, \
     status, failure_code, arrives_by, day, created_at, review";

impl Row for WithdrawalRow {
    fn read(columns: &mut Columns<'_>) -> Result<WithdrawalRow, StoreError> {
        Ok(WithdrawalRow {
            operation_id: columns.take()?,
            user_id: columns.take()?,
            speed: columns.take()?,
            card_id: columns.take()?,
            bank_account_id: columns.take()?,
            amount: columns.take()?,
            fee: columns.take()?,
            currency: columns.take()?,
            state: columns.take()?,
            failure_code: columns.take()?,
            arrives_by: columns.take()?,
            day: columns.take()?,
            created_at: columns.take()?,
            review: columns.take()?,
        })
    }
}

/// Reserves `amount` of `person`'s `day` under `cap` (`max`, minor units): changes no row (so
/// undoes its group) when that would pass the cap.
pub fn reserve_cap(cap: Cap, person: PersonId, day: i64, amount: i64, max: i64) -> Statement {
    Statement::new(
        "INSERT INTO daily_totals (user_id, kind, day, used) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, kind, day) DO UPDATE SET used = daily_totals.used + excluded.used \
         WHERE daily_totals.used + excluded.used <= $5",
        values![person, cap.as_str(), day, amount, max],
    )
    .must_change()
}

/// Gives back what a failed or returned movement reserved.
pub fn release_cap(cap: Cap, person: PersonId, day: i64, amount: i64) -> Statement {
    Statement::new(
        "UPDATE daily_totals SET used = used - $4 WHERE user_id = $1 AND kind = $2 AND day = $3",
        values![person, cap.as_str(), day, amount],
    )
}

/// Records a deposit, `processing`.
pub fn insert_deposit(row: &DepositRow) -> Statement {
    Statement::new(
        "INSERT INTO deposits (operation_id, user_id, card_id, amount, currency, status, day, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'processing', $6, $7)",
        values![
            row.operation_id,
            row.user_id,
            row.card_id,
            row.amount,
            row.currency.code(),
            row.day,
            row.created_at
        ],
    )
}

/// A processing deposit whose money arrived.
pub fn complete_deposit(operation: OperationId) -> Statement {
    Statement::new(
        "UPDATE deposits SET status = 'completed' WHERE operation_id = $1 AND status = 'processing'",
        values![operation],
    )
}

/// A processing deposit the card network declined, with its code.
pub fn fail_deposit(operation: OperationId, code: ErrorCode) -> Statement {
    Statement::new(
        "UPDATE deposits SET status = 'failed', failure_code = $2 \
         WHERE operation_id = $1 AND status = 'processing'",
        values![operation, code.as_str()],
    )
    .must_change()
}

/// Records a withdrawal, `processing`.
pub fn insert_withdrawal(row: &WithdrawalRow) -> Statement {
    Statement::new(
        "INSERT INTO withdrawals (operation_id, user_id, speed, card_id, bank_account_id, amount, fee, \
         currency, status, arrives_by, day, created_at, updated_at, review) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', $9, $10, $11, $11, $12)",
        values![
            row.operation_id,
            row.user_id,
            speed_name(row.speed),
            row.card_id,
            row.bank_account_id,
            row.amount,
            row.fee,
            row.currency.code(),
            row.arrives_by,
            row.day,
            row.created_at,
            row.review.clone()
        ],
    )
}

/// Moves a withdrawal on from `from` to `to` (with the failure's code): once (a second run
/// finds the row moved on and changes nothing, undoing its group).
pub fn move_withdrawal(
    operation: OperationId,
    from: WithdrawalState,
    to: WithdrawalState,
    failure: Option<ErrorCode>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE withdrawals SET status = $2, failure_code = $3, updated_at = $4 \
         WHERE operation_id = $1 AND status = $5",
        values![operation, to, failure.map(ErrorCode::as_str), now, from],
    )
    .must_change()
}

impl Db {
    /// Links a card; its row.
    pub async fn insert_card(&self, card: &NewCard<'_>) -> Result<CardRow, StoreError> {
        let sql = format!(
            "INSERT INTO cards (user_id, rail_token, brand, last4, exp_month, exp_year, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CARD_COLUMNS}"
        );
        let values = values![
            card.person,
            card.rail_token,
            brand_name(card.brand),
            card.last4,
            i64::from(card.exp_month),
            i64::from(card.exp_year),
            card.now
        ];
        self.returning(&Statement::new(sql, values))
            .await?
            .ok_or_else(|| StoreError::Database("no card linked".into()))
    }

    /// A person's linked cards, oldest first.
    pub async fn cards(&self, person: PersonId) -> Result<Vec<CardRow>, StoreError> {
        let sql =
            format!("SELECT {CARD_COLUMNS} FROM cards WHERE user_id = $1 AND removed_at IS NULL ORDER BY id");
        self.all(&Statement::new(sql, values![person])).await
    }

    /// `person`'s linked card `id`; `None` for anyone else's, or a removed one.
    pub async fn own_card(&self, person: PersonId, id: i64) -> Result<Option<CardRow>, StoreError> {
        let sql =
            format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1 AND user_id = $2 AND removed_at IS NULL");
        self.optional(&Statement::new(sql, values![id, person])).await
    }

    /// Card `id`, removed or not.
    pub async fn card(&self, id: i64) -> Result<CardRow, StoreError> {
        let sql = format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1");
        self.one(&Statement::new(sql, values![id])).await
    }

    /// Links a bank account; its row.
    pub async fn insert_bank_account(
        &self,
        person: PersonId,
        rail_token: &str,
        bank_name: &str,
        last4: &str,
        now: Time,
    ) -> Result<BankRow, StoreError> {
        let sql = format!(
            "INSERT INTO bank_accounts (user_id, rail_token, bank_name, last4, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {BANK_COLUMNS}"
        );
        let values = values![person, rail_token, bank_name, last4, now];
        self.returning(&Statement::new(sql, values))
            .await?
            .ok_or_else(|| StoreError::Database("no account linked".into()))
    }

    pub async fn bank_accounts(&self, person: PersonId) -> Result<Vec<BankRow>, StoreError> {
        let sql = format!(
            "SELECT {BANK_COLUMNS} FROM bank_accounts WHERE user_id = $1 AND removed_at IS NULL ORDER BY id"
        );
        self.all(&Statement::new(sql, values![person])).await
    }

    pub async fn own_bank_account(&self, person: PersonId, id: i64) -> Result<Option<BankRow>, StoreError> {
        let sql = format!(
            "SELECT {BANK_COLUMNS} FROM bank_accounts WHERE id = $1 AND user_id = $2 AND removed_at IS NULL"
        );
        self.optional(&Statement::new(sql, values![id, person])).await
    }

    /// Bank account `id`, removed or not.
    pub async fn bank_account(&self, id: i64) -> Result<BankRow, StoreError> {
        let sql = format!("SELECT {BANK_COLUMNS} FROM bank_accounts WHERE id = $1");
        self.one(&Statement::new(sql, values![id])).await
    }

    /// Removes `person`'s card or bank account `id` from what can be used; `false` when there
    /// was no such thing of theirs.
    pub async fn remove_linked(
        &self,
        what: Linked,
        person: PersonId,
        id: i64,
        now: Time,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {} SET removed_at = $1 WHERE id = $2 AND user_id = $3 AND removed_at IS NULL",
            what.table()
        );
        Ok(self.execute(&Statement::new(sql, values![now, id, person])).await? == 1)
    }

    /// How much of `person`'s `day` under `cap` is used (minor units).
    pub async fn cap_used(&self, cap: Cap, person: PersonId, day: i64) -> Result<i64, StoreError> {
        let used: Option<(i64,)> = self
            .optional(&Statement::new(
                "SELECT used FROM daily_totals WHERE user_id = $1 AND kind = $2 AND day = $3",
                values![person, cap.as_str(), day],
            ))
            .await?;
        Ok(used.map_or(0, |(used,)| used))
    }

    pub async fn deposit(&self, operation: OperationId) -> Result<Option<DepositRow>, StoreError> {
        let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE operation_id = $1");
        self.optional(&Statement::new(sql, values![operation])).await
    }

    pub async fn withdrawal(&self, operation: OperationId) -> Result<Option<WithdrawalRow>, StoreError> {
        let sql = format!("SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE operation_id = $1");
        self.optional(&Statement::new(sql, values![operation])).await
    }

    /// Pending withdrawals due to arrive by `now`, soonest first.
    pub async fn withdrawals_due(&self, now: Time) -> Result<Vec<WithdrawalRow>, StoreError> {
        let sql = format!(
            "SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE status = 'pending' AND arrives_by <= $1 AND review IS NULL \
             ORDER BY arrives_by LIMIT 100"
        );
        self.all(&Statement::new(sql, values![now])).await
    }

    /// Deposits still processing that were made before `before`.
    pub async fn deposits_processing_since_before(
        &self,
        before: Time,
    ) -> Result<Vec<DepositRow>, StoreError> {
        let sql = format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE status = 'processing' AND created_at < $1 LIMIT 100"
        );
        self.all(&Statement::new(sql, values![before])).await
    }

    /// Withdrawals still processing that were made before `before`.
    pub async fn withdrawals_processing_since_before(
        &self,
        before: Time,
    ) -> Result<Vec<WithdrawalRow>, StoreError> {
        let sql = format!(
            "SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE status = 'processing' AND created_at < $1 LIMIT 100"
        );
        self.all(&Statement::new(sql, values![before])).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_kinds_are_stored_as_the_words_the_tables_check() {
        let deposits: Vec<&str> = DepositState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(deposits, ["processing", "completed", "failed"]);
        let withdrawals: Vec<&str> = WithdrawalState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(withdrawals, ["processing", "pending", "completed", "failed", "returned"]);
        assert_eq!((Cap::Deposit.as_str(), Cap::Withdrawal.as_str()), ("deposit", "withdrawal"));
        for brand in BRANDS {
            assert_eq!(serde_json::to_value(brand).unwrap(), brand_name(brand));
        }
        assert_eq!((speed_name(Speed::Standard), speed_name(Speed::Instant)), ("standard", "instant"));
    }
}

/// A held withdrawal released by an officer: nothing holds it back any more.
pub fn clear_review(operation: OperationId) -> Statement {
    Statement::new("UPDATE withdrawals SET review = NULL WHERE operation_id = $1", values![operation])
}
