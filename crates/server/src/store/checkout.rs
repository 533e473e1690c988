//! `checkout_sessions` and `refunds`: what a merchant sells (open for 30 minutes, claimed by the
//! buyer's confirmation while it pays, then complete, expired or canceled) and the money given
//! back (reserved on the session first, so refunds never exceed the payment).
//!
//! Most writes here are [`Statement`]s for a group of the [`WriteBatcher`](super::WriteBatcher),
//! committed together with the webhook event that describes them.

use std::sync::LazyLock;

use purse_api::Currency;
use purse_ledger::TransferId;

use crate::ids::{OperationId, PersonId};
use crate::store::{Columns, Db, Row, Statement, StoreError, stored_words, values};
use crate::time::Time;

stored_words! {
    /// Where a session is, as stored. (Its status on the wire also says `expired` for an open
    /// session whose time is up.)
    pub enum SessionState ("session state") {
        Open = "open",
        Complete = "complete",
        Expired = "expired",
        Canceled = "canceled",
    }
}

stored_words! {
    /// Where a refund is.
    pub enum RefundState ("refund state") {
        /// Reserved on the session, not yet known to the ledger.
        Processing = "processing",
        Succeeded = "succeeded",
        /// Refused for lack of money (the reservation given back).
        Failed = "failed",
    }
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    /// `cs_…`: random (the hosted page's URL is all a buyer needs to see and pay it).
    pub public_id: String,
    pub merchant_id: PersonId,
    /// The merchant's operation that created it.
    pub operation_id: OperationId,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    pub client_reference_id: Option<String>,
    /// A JSON object of strings.
    pub metadata: String,
    pub state: SessionState,
    pub expires_at: Time,
    /// The buyer's confirmation holding it while it pays (and after: the one that paid).
    pub paying_operation_id: Option<OperationId>,
    pub claim_until: Option<Time>,
    pub buyer_id: Option<PersonId>,
    pub transfer_id: Option<TransferId>,
    /// Reserved by refunds as they start.
    pub amount_refunded: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

const SESSION_COLUMNS: &str = "id, public_id, merchant_id, operation_id, amount, currency, description, success_url, cancel_url, \
     client_reference_id, metadata, status, expires_at, paying_operation_id, claim_until, buyer_id, transfer_id, \
     amount_refunded, created_at, updated_at";

/// In [`SESSION_COLUMNS`] order.
impl Row for SessionRow {
    fn read(columns: &mut Columns<'_>) -> Result<SessionRow, StoreError> {
        Ok(SessionRow {
            id: columns.take()?,
            public_id: columns.take()?,
            merchant_id: columns.take()?,
            operation_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            description: columns.take()?,
            success_url: columns.take()?,
            cancel_url: columns.take()?,
            client_reference_id: columns.take()?,
            metadata: columns.take()?,
            state: columns.take()?,
            expires_at: columns.take()?,
            paying_operation_id: columns.take()?,
            claim_until: columns.take()?,
            buyer_id: columns.take()?,
            transfer_id: columns.take()?,
            amount_refunded: columns.take()?,
            created_at: columns.take()?,
            updated_at: columns.take()?,
        })
    }
}

/// A session to create.
#[derive(Clone, Debug)]
pub struct NewSessionRow<'a> {
    pub public_id: &'a str,
    pub merchant: PersonId,
    pub operation: OperationId,
    pub amount: i64,
    pub currency: Currency,
    pub description: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub client_reference_id: Option<&'a str>,
    pub metadata: &'a str,
    pub expires_at: Time,
    pub now: Time,
}

/// A refund as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRow {
    pub operation_id: OperationId,
    pub session_id: i64,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub state: RefundState,
    pub created_at: Time,
}

const REFUND_COLUMNS: &str = "operation_id, session_id, amount, currency, status, created_at";

impl Row for RefundRow {
    fn read(columns: &mut Columns<'_>) -> Result<RefundRow, StoreError> {
        Ok(RefundRow {
            operation_id: columns.take()?,
            session_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            state: columns.take()?,
            created_at: columns.take()?,
        })
    }
}

/// Creates a session (a retry of the operation that creates it finds it instead).
pub fn insert_session(new: &NewSessionRow<'_>) -> Statement {
    Statement::new(
        "INSERT INTO checkout_sessions (merchant_id, operation_id, amount, currency, description, success_url, \
         cancel_url, client_reference_id, metadata, status, expires_at, created_at, updated_at, public_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11, $12) ON CONFLICT (operation_id) DO NOTHING",
        values![
            new.merchant,
            new.operation,
            new.amount,
            new.currency.code(),
            new.description,
            new.success_url,
            new.cancel_url,
            new.client_reference_id,
            new.metadata,
            new.expires_at,
            new.now,
            new.public_id
        ],
    )
}

/// Takes the session for an operation (its `$1`, bound by the batcher when it is made with the
/// key, or by the caller): open, not expired, not held by another live claim.
pub fn claim(session: i64, claim_until: Time, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = $1, claim_until = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'open' AND (paying_operation_id IS NULL OR paying_operation_id = $1) \
         AND (expires_at > $3 OR paying_operation_id = $1)",
        values![claim_until, now, session],
    )
    .must_change()
}

/// Lets go of `operation`'s claim, which moved no money.
pub fn unclaim(session: i64, operation: OperationId, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = NULL, claim_until = NULL, updated_at = $1 \
         WHERE id = $2 AND paying_operation_id = $3 AND status = 'open'",
        values![now, session, operation],
    )
}

/// Lets go of `operation`'s claim only while it is still stale at `now` (recovery).
pub fn release_stale(session: i64, operation: OperationId, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET paying_operation_id = NULL, claim_until = NULL, updated_at = $1 \
         WHERE id = $2 AND paying_operation_id = $3 AND status = 'open' AND claim_until < $1",
        values![now, session, operation],
    )
}

/// Marks the session paid by `buyer` through `transfer`, under `operation`'s claim.
pub fn complete(
    session: i64,
    operation: OperationId,
    buyer: PersonId,
    transfer: TransferId,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET status = 'complete', buyer_id = $1, transfer_id = $2, updated_at = $3 \
         WHERE id = $4 AND paying_operation_id = $5 AND status = 'open'",
        values![buyer, transfer, now, session, operation],
    )
    .must_change()
}

/// Binds the session to `buyer`, if no one is bound to it yet.
pub fn bind_buyer(session: i64, buyer: PersonId) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET buyer_id = $1 WHERE id = $2 AND buyer_id IS NULL",
        values![buyer, session],
    )
    .must_change()
}

/// Cancels an open, unclaimed session whose time is not up.
pub fn cancel(session: i64, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET status = 'canceled', updated_at = $1 \
         WHERE id = $2 AND status = 'open' AND paying_operation_id IS NULL AND expires_at > $1",
        values![now, session],
    )
    .must_change()
}

/// Expires an open, unclaimed session.
pub fn expire(session: i64, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET status = 'expired', updated_at = $1 \
         WHERE id = $2 AND status = 'open' AND paying_operation_id IS NULL",
        values![now, session],
    )
    .must_change()
}

/// Reserves `amount` of a complete session's payment for a refund: changes nothing (so undoes
/// its group) when that would refund more than was paid.
pub fn reserve_refund(session: i64, amount: i64, now: Time) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET amount_refunded = amount_refunded + $1, updated_at = $2 \
         WHERE id = $3 AND status = 'complete' AND amount_refunded + $1 <= amount",
        values![amount, now, session],
    )
    .must_change()
}

/// Records a refund, `processing`.
pub fn insert_refund(
    operation: OperationId,
    session: i64,
    amount: i64,
    currency: Currency,
    now: Time,
) -> Statement {
    Statement::new(
        "INSERT INTO refunds (operation_id, session_id, amount, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, 'processing', $5)",
        values![operation, session, amount, currency.code(), now],
    )
}

/// A processing refund refused for lack of money…
pub fn fail_refund(operation: OperationId) -> Statement {
    Statement::new(
        "UPDATE refunds SET status = 'failed' WHERE operation_id = $1 AND status = 'processing'",
        values![operation],
    )
    .must_change()
}

/// …gives its reservation back.
pub fn give_back_reservation(session: i64, amount: i64) -> Statement {
    Statement::new(
        "UPDATE checkout_sessions SET amount_refunded = amount_refunded - $1 WHERE id = $2",
        values![amount, session],
    )
}

/// A processing refund whose money moved.
pub fn succeed_refund(operation: OperationId) -> Statement {
    Statement::new(
        "UPDATE refunds SET status = 'succeeded' WHERE operation_id = $1 AND status = 'processing'",
        values![operation],
    )
    .must_change()
}

impl Db {
    pub async fn session(&self, id: i64) -> Result<Option<SessionRow>, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE id = $1"));
        self.optional(&Statement::new(SQL.as_str(), values![id])).await
    }

    /// The session `public_id` (`cs_…`) names.
    pub async fn session_by_public_id(&self, public_id: &str) -> Result<Option<SessionRow>, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE public_id = $1"));
        self.point(&Statement::new(SQL.as_str(), values![public_id])).await
    }

    /// The session the merchant's `operation` created.
    pub async fn session_of_operation(&self, operation: OperationId) -> Result<SessionRow, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE operation_id = $1");
        self.one(&Statement::new(sql, values![operation])).await
    }

    /// Open, unclaimed sessions whose time was up by `now`, soonest first.
    pub async fn sessions_to_expire(&self, now: Time) -> Result<Vec<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE status = 'open' AND expires_at <= $1 \
             AND paying_operation_id IS NULL ORDER BY expires_at LIMIT 100"
        );
        self.all(&Statement::new(sql, values![now])).await
    }

    /// Open sessions whose claim ran out before `now`.
    pub async fn sessions_with_stale_claims(&self, now: Time) -> Result<Vec<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE status = 'open' \
             AND paying_operation_id IS NOT NULL AND claim_until < $1 LIMIT 100"
        );
        self.all(&Statement::new(sql, values![now])).await
    }

    pub async fn refund_of_operation(&self, operation: OperationId) -> Result<Option<RefundRow>, StoreError> {
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE operation_id = $1");
        self.optional(&Statement::new(sql, values![operation])).await
    }

    /// Refunds still processing that were made before `before`.
    pub async fn refunds_processing_since_before(&self, before: Time) -> Result<Vec<RefundRow>, StoreError> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE status = 'processing' AND created_at < $1 LIMIT 100"
        );
        self.all(&Statement::new(sql, values![before])).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_stored_as_the_words_the_tables_check() {
        let sessions: Vec<&str> = SessionState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(sessions, ["open", "complete", "expired", "canceled"]);
        let refunds: Vec<&str> = RefundState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(refunds, ["processing", "succeeded", "failed"]);
    }
}
