//! `creators` (a creator's presets and goal) and `tips` (a tip's post, whether it is anonymous,
//! the platform's fee: the rest of a tip is its `payments` row), and the sums a creator's
//! dashboard shows, one query each over the creator's completed tips.

use purse_api::Currency;

use crate::ids::{OperationId, PersonId};
use crate::store::payments::PaymentRow;
use crate::store::{Columns, Db, Row, Statement, StoreError, values};
use crate::time::Time;

/// A creator's settings as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatorRow {
    pub user_id: PersonId,
    /// JSON array of minor units.
    pub tip_presets: String,
    pub goal_title: Option<String>,
    pub goal_target: Option<i64>,
    /// When the goal was set: tips since then count towards it.
    pub goal_since: Option<Time>,
    pub updated_at: Time,
}

impl Row for CreatorRow {
    fn read(columns: &mut Columns<'_>) -> Result<CreatorRow, StoreError> {
        Ok(CreatorRow {
            user_id: columns.take()?,
            tip_presets: columns.take()?,
            goal_title: columns.take()?,
            goal_target: columns.take()?,
            goal_since: columns.take()?,
            updated_at: columns.take()?,
        })
    }
}

/// A tip's own row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipRow {
    pub operation_id: OperationId,
    pub post_id: Option<String>,
    pub anonymous: bool,
    /// Minor units.
    pub fee: i64,
}

impl Row for TipRow {
    fn read(columns: &mut Columns<'_>) -> Result<TipRow, StoreError> {
        Ok(TipRow {
            operation_id: columns.take()?,
            post_id: columns.take()?,
            anonymous: columns.take()?,
            fee: columns.take()?,
        })
    }
}

/// A tip as listed: its payment and its own row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedTip {
    pub payment: PaymentRow,
    pub tip: TipRow,
}

impl Row for ListedTip {
    fn read(columns: &mut Columns<'_>) -> Result<ListedTip, StoreError> {
        let payment = PaymentRow::read(columns)?;
        let tip = TipRow {
            operation_id: payment.operation_id,
            post_id: columns.take()?,
            anonymous: columns.take()?,
            fee: columns.take()?,
        };
        Ok(ListedTip { payment, tip })
    }
}

/// Totals for a creator's dashboard, in minor units before fees.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub today: i64,
    pub this_week: i64,
    pub all_time: i64,
    pub tips: i64,
    pub anonymous_total: i64,
    pub anonymous_tips: i64,
}

impl Row for Totals {
    fn read(columns: &mut Columns<'_>) -> Result<Totals, StoreError> {
        Ok(Totals {
            today: columns.take()?,
            this_week: columns.take()?,
            all_time: columns.take()?,
            tips: columns.take()?,
            anonymous_total: columns.take()?,
            anonymous_tips: columns.take()?,
        })
    }
}

/// Which tips of a person a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TipSide {
    Received,
    Sent,
}

impl Db {
    pub async fn creator(&self, person: PersonId) -> Result<Option<CreatorRow>, StoreError> {
        self.optional(&Statement::new(
            "SELECT user_id, tip_presets, goal_title, goal_target, goal_since, updated_at \
             FROM creators WHERE user_id = $1",
            values![person],
        ))
        .await
    }

    /// Stores `row` (the creator's settings, whole).
    pub async fn save_creator(&self, row: &CreatorRow) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "INSERT INTO creators (user_id, tip_presets, goal_title, goal_target, goal_since, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
             tip_presets = excluded.tip_presets, goal_title = excluded.goal_title, \
             goal_target = excluded.goal_target, goal_since = excluded.goal_since, updated_at = excluded.updated_at",
            values![
                row.user_id,
                row.tip_presets.as_str(),
                row.goal_title.as_deref(),
                row.goal_target,
                row.goal_since,
                row.updated_at
            ],
        ))
        .await
        .map(drop)
    }

    pub async fn tip(&self, operation: OperationId) -> Result<Option<TipRow>, StoreError> {
        self.optional(&Statement::new(
            "SELECT operation_id, post_id, anonymous, fee FROM tips WHERE operation_id = $1",
            values![operation],
        ))
        .await
    }

    /// People who tipped `creator` openly, plus one for each anonymous tip.
    pub async fn supporter_count(&self, creator: PersonId) -> Result<i64, StoreError> {
        let (count,): (i64,) = self
            .one(&Statement::new(
                "SELECT CAST(COUNT(DISTINCT CASE WHEN t.anonymous = 0 THEN p.sender_id END) \
                 + COALESCE(SUM(t.anonymous), 0) AS BIGINT) \
                 FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
                 WHERE p.recipient_id = $1 AND p.state = 'completed'",
                values![creator],
            ))
            .await?;
        Ok(count)
    }

    /// Tips `creator` received since `since`, in minor units, before fees.
    pub async fn tips_received_since(&self, creator: PersonId, since: Time) -> Result<i64, StoreError> {
        let (total,): (Option<i64>,) = self
            .one(&Statement::new(
                "SELECT CAST(SUM(p.amount) AS BIGINT) FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
                 WHERE p.recipient_id = $1 AND p.state = 'completed' AND p.created_at >= $2",
                values![creator, since],
            ))
            .await?;
        Ok(total.unwrap_or(0))
    }

    /// What `creator` received in `currency` from `today` and `week` (their starts) and ever,
    /// and how much of it came anonymously.
    pub async fn tip_totals(
        &self,
        creator: PersonId,
        today: Time,
        week: Time,
        currency: Currency,
    ) -> Result<Totals, StoreError> {
        self.one(&Statement::new(
            "SELECT CAST(COALESCE(SUM(CASE WHEN p.created_at >= $2 THEN p.amount ELSE 0 END), 0) AS BIGINT) AS today, \
             CAST(COALESCE(SUM(CASE WHEN p.created_at >= $3 THEN p.amount ELSE 0 END), 0) AS BIGINT) AS this_week, \
             CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS all_time, \
             COUNT(*) AS tips, \
             CAST(COALESCE(SUM(p.amount * t.anonymous), 0) AS BIGINT) AS anonymous_total, \
             CAST(COALESCE(SUM(t.anonymous), 0) AS BIGINT) AS anonymous_tips \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed' AND p.currency = $4",
            values![creator, today, week, currency.code()],
        ))
        .await
    }

    /// The people who gave `creator` the most in open tips in `currency`: `(sender, total minor,
    /// tips)`, at most `limit`, ties in the order they first tipped. Anonymous tips never count
    /// towards anyone here.
    pub async fn top_supporters(
        &self,
        creator: PersonId,
        limit: i64,
        currency: Currency,
    ) -> Result<Vec<(PersonId, i64, i64)>, StoreError> {
        self.all(&Statement::new(
            "SELECT p.sender_id, CAST(SUM(p.amount) AS BIGINT) AS total, COUNT(*) AS tips \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.recipient_id = $1 AND p.state = 'completed' AND t.anonymous = 0 AND p.currency = $3 \
             GROUP BY p.sender_id ORDER BY total DESC, MIN(p.operation_id) LIMIT $2",
            values![creator, limit, currency.code()],
        ))
        .await
    }

    /// `person`'s completed tips on `side` with operations below `before`, newest first.
    pub async fn tips_page(
        &self,
        person: PersonId,
        side: TipSide,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ListedTip>, StoreError> {
        let column = match side {
            TipSide::Received => "recipient_id",
            TipSide::Sent => "sender_id",
        };
        let sql = format!(
            "SELECT p.operation_id, p.transfer_id, p.sender_id, p.recipient_id, p.amount, p.currency, p.note, \
             p.hold_until, p.state, p.request_id, p.created_at, p.review, t.post_id, t.anonymous, t.fee \
             FROM payments p JOIN tips t ON t.operation_id = p.operation_id \
             WHERE p.{column} = $1 AND p.state = 'completed' AND p.operation_id < $2 \
             ORDER BY p.operation_id DESC LIMIT $3"
        );
        self.all(&Statement::new(sql, values![person, before, limit])).await
    }
}
