//! `money_requests`: requests for money, from the requester to the payer, `open` until paid,
//! declined or canceled; the operation paying one holds a claim on it (with a lease) so two
//! payments of one request move money once.

use purse_api::{Currency, RequestStatus};

use crate::ids::{OperationId, PersonId};
use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, Value, values, word};
use crate::time::Time;

impl From<RequestStatus> for Value {
    fn from(status: RequestStatus) -> Value {
        Value::from(status.as_str())
    }
}

impl Column for RequestStatus {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
        word(row, index, "request status", RequestStatus::parse)
    }
}

/// A request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub requester_id: PersonId,
    pub payer_id: PersonId,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    pub note: Option<String>,
    pub status: RequestStatus,
    /// The operation paying it, while it does (and after: the one that did).
    pub paying_operation_id: Option<OperationId>,
    pub claim_until: Option<Time>,
    pub created_at: Time,
    pub updated_at: Time,
}

const REQUEST_COLUMNS: &str = "id, requester_id, payer_id, amount, currency, note, status, \
     paying_operation_id, claim_until, created_at, updated_at";

/// In [`REQUEST_COLUMNS`] order.
impl Row for RequestRow {
    fn read(columns: &mut Columns<'_>) -> Result<RequestRow, StoreError> {
        Ok(RequestRow {
            id: columns.take()?,
            requester_id: columns.take()?,
            payer_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            note: columns.take()?,
            status: columns.take()?,
            paying_operation_id: columns.take()?,
            claim_until: columns.take()?,
            created_at: columns.take()?,
            updated_at: columns.take()?,
        })
    }
}

/// Which side of a request a person is on, for lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Asked to pay.
    Payer,
    /// Asked for the money.
    Requester,
}

impl Db {
    /// A new open request from `requester` to `payer`.
    pub async fn insert_request(
        &self,
        requester: PersonId,
        payer: PersonId,
        amount: i64,
        currency: Currency,
        note: Option<&str>,
        now: Time,
    ) -> Result<RequestRow, StoreError> {
        let sql = format!(
            "INSERT INTO money_requests (requester_id, payer_id, amount, currency, note, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING {REQUEST_COLUMNS}"
        );
        let values = values![requester, payer, amount, currency.code(), note, now];
        self.returning(&Statement::new(sql, values))
            .await?
            .ok_or_else(|| StoreError::Database("no request made".into()))
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>, StoreError> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM money_requests WHERE id = $1");
        self.optional(&Statement::new(sql, values![id])).await
    }

    /// `person`'s requests on `side` with ids below `before`, newest first, at most `limit`.
    pub async fn requests_page(
        &self,
        person: PersonId,
        side: Side,
        before: i64,
        limit: i64,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let column = match side {
            Side::Payer => "payer_id",
            Side::Requester => "requester_id",
        };
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE {column} = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        self.all(&Statement::new(sql, values![person, before, limit])).await
    }

    /// `person`'s requests (on either side) that closed without money moving (declined or
    /// canceled) before `before`, most recently closed first, at most `limit`: the activity
    /// lines they leave ([`crate::flows::requests::activity`]).
    pub async fn closed_requests_before(
        &self,
        person: PersonId,
        before: Time,
        limit: i64,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE (payer_id = $1 OR requester_id = $1) \
             AND status IN ('declined', 'canceled') AND updated_at < $2 \
             ORDER BY updated_at DESC, id DESC LIMIT $3"
        );
        self.all(&Statement::new(sql, values![person, before, limit])).await
    }

    /// Takes the request for `operation` until `claim_until`: it must be open and not claimed
    /// by another operation whose claim is still good at `now`. `true` when taken.
    pub async fn claim_request(
        &self,
        id: i64,
        operation: OperationId,
        claim_until: Time,
        now: Time,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(&Statement::new(
                "UPDATE money_requests SET paying_operation_id = $1, claim_until = $2 \
                 WHERE id = $3 AND status = 'open' \
                 AND (paying_operation_id IS NULL OR paying_operation_id = $1 OR claim_until < $4)",
                values![operation, claim_until, id, now],
            ))
            .await?;
        Ok(changed == 1)
    }

    /// Marks the request paid by `operation`, which holds its claim.
    pub async fn mark_request_paid(
        &self,
        id: i64,
        operation: OperationId,
        now: Time,
    ) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE money_requests SET status = 'paid', updated_at = $1 \
             WHERE id = $2 AND paying_operation_id = $3 AND status = 'open'",
            values![now, id, operation],
        ))
        .await
        .map(drop)
    }

    /// Marks an open request paid (by a claim whose money did move).
    pub async fn mark_request_paid_by_claim(&self, id: i64, now: Time) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE money_requests SET status = 'paid', updated_at = $1 WHERE id = $2 AND status = 'open'",
            values![now, id],
        ))
        .await
        .map(drop)
    }

    /// Lets go of `operation`'s claim (it moved no money).
    pub async fn unclaim_request(&self, id: i64, operation: OperationId) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE money_requests SET paying_operation_id = NULL, claim_until = NULL \
             WHERE id = $1 AND paying_operation_id = $2",
            values![id, operation],
        ))
        .await
        .map(drop)
    }

    /// Closes an open request nobody is paying (no claim, or one that ran out by `now`) as
    /// `to`. `true` when closed.
    pub async fn close_request(&self, id: i64, to: RequestStatus, now: Time) -> Result<bool, StoreError> {
        let changed = self
            .execute(&Statement::new(
                "UPDATE money_requests SET status = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'open' AND (paying_operation_id IS NULL OR claim_until < $2)",
                values![to, now, id],
            ))
            .await?;
        Ok(changed == 1)
    }

    /// Requests involving `person` changed after `since`, oldest change first.
    pub async fn requests_changed_since(
        &self,
        person: PersonId,
        since: Time,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM money_requests WHERE (payer_id = $1 OR requester_id = $1) \
             AND updated_at > $2 ORDER BY updated_at LIMIT 100"
        );
        self.all(&Statement::new(sql, values![person, since])).await
    }

    /// The latest change to a request involving `person` (the epoch when none).
    pub async fn requests_last_change(&self, person: PersonId) -> Result<Time, StoreError> {
        let (latest,): (Option<Time>,) = self
            .one(&Statement::new(
                "SELECT MAX(updated_at) FROM money_requests WHERE payer_id = $1 OR requester_id = $1",
                values![person],
            ))
            .await?;
        Ok(latest.unwrap_or(Time::EPOCH))
    }
}
