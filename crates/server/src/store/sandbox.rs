//! `sandbox_clock`: the sandbox clock's persisted offset (one row, only ever raised), and the
//! reads the sandbox clock's advance steps by: each timed job's earliest due instant after a
//! given one.

use crate::store::{Db, Statement, StoreError, values};
use crate::time::Time;

impl Db {
    /// The persisted offset of the sandbox clock, in nanoseconds (0 before any advance).
    pub async fn sandbox_offset(&self) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = self
            .optional(&Statement::new("SELECT offset_ns FROM sandbox_clock WHERE id = 1", values![]))
            .await?;
        Ok(row.map_or(0, |(offset,)| offset))
    }

    /// Raises the persisted offset to `offset_ns` (written at `at`); a smaller one (another
    /// instance advanced further meanwhile) changes nothing, so the offset never goes back.
    pub async fn raise_sandbox_offset(&self, offset_ns: i64, at: Time) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE sandbox_clock SET offset_ns = $1, advanced_at = $2 WHERE id = 1 AND offset_ns < $3",
            values![offset_ns, at, offset_ns],
        ))
        .await
        .map(drop)
    }

    /// The earliest end of a grace window still to post, after `after`.
    pub async fn next_grace_window_end(&self, after: Time) -> Result<Option<Time>, StoreError> {
        self.earliest(
            "SELECT MIN(hold_until) FROM payments WHERE state = 'pending' AND hold_until > $1",
            after,
        )
        .await
    }

    /// The earliest expiry of an open, unclaimed checkout session, after `after`.
    pub async fn next_session_expiry(&self, after: Time) -> Result<Option<Time>, StoreError> {
        self.earliest(
            "SELECT MIN(expires_at) FROM checkout_sessions WHERE status = 'open' \
             AND paying_operation_id IS NULL AND expires_at > $1",
            after,
        )
        .await
    }

    /// The earliest settlement of a pending standard withdrawal, after `after`.
    pub async fn next_withdrawal_settlement(&self, after: Time) -> Result<Option<Time>, StoreError> {
        self.earliest(
            "SELECT MIN(arrives_by) FROM withdrawals WHERE status = 'pending' AND arrives_by > $1",
            after,
        )
        .await
    }

    /// The earliest webhook attempt owed to an endpoint still there, after `after`.
    pub async fn next_webhook_attempt(&self, after: Time) -> Result<Option<Time>, StoreError> {
        self.earliest(
            "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.next_attempt_at > $1 AND w.removed_at IS NULL",
            after,
        )
        .await
    }

    async fn earliest(&self, sql: &str, after: Time) -> Result<Option<Time>, StoreError> {
        let row: Option<(Option<Time>,)> = self.optional(&Statement::new(sql, values![after])).await?;
        Ok(row.and_then(|(at,)| at))
    }
}
