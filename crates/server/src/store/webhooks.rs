//! `webhook_endpoints`, `webhook_events` and `webhook_deliveries`: where a merchant wants its
//! events, the outbox of events (each written in the group of the change it describes), and one
//! delivery per event and endpoint, leased while it is sent and recorded after.

use crate::ids::PersonId;
use crate::store::{Columns, Db, Row, Statement, StoreError, values};
use crate::time::Time;

/// An endpoint as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    /// The event types, stored `",a,b,"`.
    pub events: String,
    pub created_at: Time,
}

impl Row for EndpointRow {
    fn read(columns: &mut Columns<'_>) -> Result<EndpointRow, StoreError> {
        Ok(EndpointRow {
            id: columns.take()?,
            url: columns.take()?,
            events: columns.take()?,
            created_at: columns.take()?,
        })
    }
}

/// A delivery due to be sent, with what sending it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    pub event_id: i64,
    pub endpoint_id: i64,
    pub next_attempt_at: Time,
    pub attempts: i64,
    pub payload: String,
    pub url: String,
    pub secret: String,
    pub event_created_at: Time,
}

impl Row for DueDelivery {
    fn read(columns: &mut Columns<'_>) -> Result<DueDelivery, StoreError> {
        Ok(DueDelivery {
            event_id: columns.take()?,
            endpoint_id: columns.take()?,
            next_attempt_at: columns.take()?,
            attempts: columns.take()?,
            payload: columns.take()?,
            url: columns.take()?,
            secret: columns.take()?,
            event_created_at: columns.take()?,
        })
    }
}

/// A delivery as the merchant lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub public_id: String,
    pub kind: String,
    pub url: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Time>,
    pub next_attempt_at: Option<Time>,
}

impl Row for DeliveryRow {
    fn read(columns: &mut Columns<'_>) -> Result<DeliveryRow, StoreError> {
        Ok(DeliveryRow {
            public_id: columns.take()?,
            kind: columns.take()?,
            url: columns.take()?,
            attempts: columns.take()?,
            last_status: columns.take()?,
            last_error: columns.take()?,
            delivered_at: columns.take()?,
            next_attempt_at: columns.take()?,
        })
    }
}

/// What one attempt at a delivery ended in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempted {
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Time>,
    /// When to try again; `None` once delivered or given up.
    pub next_attempt_at: Option<Time>,
}

/// The event `public_id` of `kind` about `merchant`'s change, its body as every delivery sends
/// it, and a delivery for each of the merchant's endpoints that wants it: run in the group of
/// the change it describes.
pub fn event(public_id: &str, merchant: PersonId, kind: &str, payload: String, now: Time) -> [Statement; 2] {
    [
        Statement::new(
            "INSERT INTO webhook_events (public_id, merchant_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
            values![public_id, merchant, kind, payload, now],
        ),
        Statement::new(
            "INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at) \
             SELECT e.id, w.id, $2, $2 FROM webhook_events e JOIN webhook_endpoints w \
             ON w.merchant_id = e.merchant_id AND w.events LIKE '%,' || e.type || ',%' \
             AND w.removed_at IS NULL WHERE e.public_id = $1",
            values![public_id, now],
        ),
    ]
}

/// Removes `merchant`'s endpoint `id`: no new deliveries, owed ones dropped.
pub fn remove_endpoint(merchant: PersonId, id: i64, now: Time) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE webhook_endpoints SET removed_at = $1 WHERE id = $2 AND merchant_id = $3 AND removed_at IS NULL",
            values![now, id, merchant],
        )
        .must_change(),
        Statement::new(
            "UPDATE webhook_deliveries SET next_attempt_at = NULL, last_error = 'the endpoint was removed' \
             WHERE endpoint_id = $1 AND delivered_at IS NULL AND next_attempt_at IS NOT NULL",
            values![id],
        ),
    ]
}

/// Takes `delivery` until `until`, if nobody else took it since it was read.
pub fn lease(delivery: &DueDelivery, until: Time) -> Statement {
    Statement::new(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 \
         WHERE event_id = $2 AND endpoint_id = $3 AND next_attempt_at = $4",
        values![until, delivery.event_id, delivery.endpoint_id, delivery.next_attempt_at],
    )
    .must_change()
}

/// Records an attempt at `delivery`.
pub fn record(delivery: &DueDelivery, attempted: Attempted) -> Statement {
    Statement::new(
        "UPDATE webhook_deliveries SET attempts = $1, last_status = $2, last_error = $3, \
         delivered_at = $4, next_attempt_at = $5 WHERE event_id = $6 AND endpoint_id = $7",
        values![
            attempted.attempts,
            attempted.last_status,
            attempted.last_error,
            attempted.delivered_at,
            attempted.next_attempt_at,
            delivery.event_id,
            delivery.endpoint_id
        ],
    )
}

impl Db {
    /// Stores an endpoint; its row id.
    pub async fn insert_endpoint(
        &self,
        merchant: PersonId,
        url: &str,
        events: &str,
        secret: &str,
        now: Time,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = self
            .returning(&Statement::new(
                "INSERT INTO webhook_endpoints (merchant_id, url, events, secret, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                values![merchant, url, events, secret, now],
            ))
            .await?
            .ok_or_else(|| StoreError::Database("no endpoint made".into()))?;
        Ok(id)
    }

    /// Every endpoint's secret as kept (sealed, or in clear from before sealing).
    pub async fn endpoint_secrets(&self) -> Result<Vec<(i64, String)>, StoreError> {
        self.all(&Statement::new("SELECT id, secret FROM webhook_endpoints", values![])).await
    }

    /// Replaces endpoint `id`'s secret `from` (as read) with `to`; nothing if it changed since.
    pub async fn replace_endpoint_secret(&self, id: i64, from: &str, to: &str) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2 AND secret = $3",
            values![to, id, from],
        ))
        .await?;
        Ok(())
    }

    /// `merchant`'s endpoints, oldest first.
    pub async fn endpoints(&self, merchant: PersonId) -> Result<Vec<EndpointRow>, StoreError> {
        self.all(&Statement::new(
            "SELECT id, url, events, created_at FROM webhook_endpoints \
             WHERE merchant_id = $1 AND removed_at IS NULL ORDER BY id",
            values![merchant],
        ))
        .await
    }

    /// Deliveries due by `now`, soonest first, at most `limit`.
    pub async fn deliveries_due(&self, now: Time, limit: i64) -> Result<Vec<DueDelivery>, StoreError> {
        self.all(&Statement::new(
            "SELECT d.event_id, d.endpoint_id, d.next_attempt_at, d.attempts, e.payload, w.url, w.secret, \
             e.created_at AS event_created_at \
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.next_attempt_at <= $1 AND w.removed_at IS NULL ORDER BY d.next_attempt_at LIMIT $2",
            values![now, limit],
        ))
        .await
    }

    /// `merchant`'s most recent deliveries, newest first.
    pub async fn recent_deliveries(
        &self,
        merchant: PersonId,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        self.all(&Statement::new(
            "SELECT e.public_id, e.type AS kind, w.url, d.attempts, d.last_status, d.last_error, d.delivered_at, \
             d.next_attempt_at FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE w.merchant_id = $1 \
             ORDER BY d.created_at DESC, e.id DESC LIMIT $2",
            values![merchant, limit],
        ))
        .await
    }
}
