//! `operations`: one row per idempotency key's first arrival (person, key, hash of the request),
//! its lease while it runs, and the answer it gave. Opening a key, taking back a key refused by
//! its limit, and storing answers are batched writes of the [`WriteBatcher`](super::WriteBatcher).

use std::collections::HashMap;

use crate::ids::{OperationId, PersonId};
use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::limits::{Hit, HitCount, Pinless};
use crate::store::monitoring::{Held, Watch};
use crate::store::payments::{Draft, PaymentRow, StateChange};
use crate::store::usage::{self, LimitCheck};
use crate::store::{Columns, Db, Row, Statement, StoreError, values};
use crate::time::Time;

/// An answer as first given, replayed for the same key: the HTTP status and body, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// A key's row, as a later arrival of the key reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationRow {
    pub id: OperationId,
    pub request_hash: Vec<u8>,
    /// Its answer, once it has one.
    pub answer: Option<StoredAnswer>,
    pub locked_until: Time,
}

impl Row for OperationRow {
    fn read(columns: &mut Columns<'_>) -> Result<OperationRow, StoreError> {
        let id = columns.take()?;
        let request_hash = columns.take()?;
        let status: Option<i64> = columns.take()?;
        let body: Option<String> = columns.take()?;
        let locked_until = columns.take()?;
        let answer = match (status, body) {
            (Some(status), Some(body)) => {
                Some(StoredAnswer { status: u16::try_from(status).unwrap_or(500), body })
            }
            _ => None,
        };
        Ok(OperationRow { id, request_hash, answer, locked_until })
    }
}

impl Db {
    /// `person`'s key `key`, if it arrived before.
    pub async fn operation(&self, person: PersonId, key: &str) -> Result<Option<OperationRow>, StoreError> {
        const SQL: &str = "SELECT id, request_hash, response_status, response_body, locked_until FROM operations \
             WHERE user_id = $1 AND idempotency_key = $2";
        self.point(&Statement::new(SQL, values![person, key])).await
    }
}

/// The statement that takes over `operation` until `locked_until` (a retry of its key, or a
/// recovery job): only an operation still without its answer whose lease has run out by `now`,
/// so nobody else is running it. It changes no row otherwise, and its group is undone.
pub fn take_over(operation: OperationId, now: Time, locked_until: Time) -> Statement {
    Statement::new(
        "UPDATE operations SET locked_until = $1 \
         WHERE id = $2 AND response_status IS NULL AND locked_until <= $3",
        values![locked_until, operation, now],
    )
    .must_change()
}

/// Extends a running operation's lease to `locked_until` (not one that has its answer or was
/// let go).
pub fn renew_lease(operation: OperationId, locked_until: Time) -> Statement {
    Statement::new(
        "UPDATE operations SET locked_until = $1 WHERE id = $2 AND response_status IS NULL AND locked_until > 0",
        values![locked_until, operation],
    )
}

/// A first arrival of an idempotency key: the key, the limit it counts against, and the
/// payment it makes (if known before the ledger is asked).
#[derive(Clone, Debug)]
pub struct Opening {
    pub person: PersonId,
    pub key: String,
    pub hash: [u8; 32],
    pub now: Time,
    pub locked_until: Time,
    /// Counted only when the key is new; over `max`, the key is taken back and nothing of this
    /// opening stays.
    pub limit: Option<(Hit, i64)>,
    /// A movement without the PIN: counted against the person's allowance when the key is
    /// new; past it, the key is taken back and nothing of this opening stays.
    pub pinless: Option<Pinless>,
    /// What the movement counts against its payer's and recipient's tier limits, checked when
    /// the key is new: over one, the key is taken back and nothing of this opening stays.
    pub limits: Option<LimitCheck>,
    /// What the monitoring rules see of the movement, checked when the key is new and within
    /// its limits: a hit holds it (its payment is recorded held) and opens its case.
    pub watch: Option<Watch>,
    pub payment: Option<Draft>,
    /// Statements run right after the key is made, in its batch, and only if it is new: each
    /// one's first value (`$1`) is the new operation's id, then its own values. All of them,
    /// or (when one marked `must_change` changes no row) none. How a checkout confirmation
    /// claims its session without a round trip of its own.
    pub then: Vec<Statement>,
}

/// What an [`Opening`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// The key is new: this operation (and its payment) now exist; `then` says whether the
    /// opening's statements were made (`None` when it had none).
    /// `held`: the monitoring rules (or a sanctions hit) held the movement, and its case.
    Run { operation: OperationId, payment: Option<PaymentRow>, then: Option<bool>, held: Option<Held> },
    /// The key was there already (an earlier or concurrent arrival); nothing was written.
    Taken,
    /// Past the person's allowance without the PIN: the key was taken back, nothing was written.
    PinNeeded,
    /// Over a tier limit of the payer or the recipient: the key was taken back, nothing was
    /// written.
    OverLimit(usage::Refusal),
    /// Over its limit: the key was taken back and nothing else of it stays (the refused hit
    /// still counts in the window, as any hit does).
    Limited(HitCount),
}

/// What becomes of an operation's key when (a step of) it ends.
#[derive(Clone, Debug)]
pub enum KeyOutcome {
    /// Nothing (only the payment's state changes).
    Keep,
    /// Its first answer, replayed from now on (kept if one was stored already).
    Answer(StoredAnswer),
    /// No answer: its lease ends, so a retry resumes at once.
    Release,
}

/// The end of (a step of) an operation.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub operation: OperationId,
    pub payment: Option<StateChange>,
    pub key: KeyOutcome,
}

/// Inserts the keys that are new; returns their operation ids by write index. The first of
/// two equal keys in one batch wins, as if it had come first.
pub(crate) async fn open_keys(
    tx: &mut Tx<'_>,
    openings: &[(usize, &Opening)],
) -> Result<HashMap<usize, OperationId>, BatchError> {
    if openings.is_empty() {
        return Ok(HashMap::new());
    }
    // Key order, so two instances' batches lock in the same order (no deadlock).
    let mut sorted: Vec<&Opening> = openings.iter().map(|(_, o)| *o).collect();
    // Stable: of two equal keys the first in batch order comes first, and its row is the one
    // the INSERT keeps (its hash, lease and PIN allowance amount), as `by_key` below assumes.
    sorted.sort_by(|a, b| (a.person, &a.key).cmp(&(b.person, &b.key)));
    let mut params = Params::new(tx);
    let rows: Vec<String> = sorted
        .iter()
        .map(|o| {
            format!(
                "({}, {}, {}, {}, {}, {})",
                params.plain(o.person),
                params.plain(o.key.as_str()),
                params.plain(o.hash.as_slice()),
                params.plain(o.locked_until),
                params.plain(o.now),
                params.plain(o.pinless.map(|p| p.amount_minor)),
            )
        })
        .collect();
    // A movement without the PIN carries its amount, which the database adds to the person's
    // `pinless_totals` (migration 1009's triggers); taking the key back takes it off.
    let sql = format!(
        "INSERT INTO operations (user_id, idempotency_key, request_hash, locked_until, created_at, pinless_minor) \
         VALUES {} ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id, user_id, idempotency_key",
        rows.join(", ")
    );
    let created: Vec<(OperationId, PersonId, String)> = tx.fetch(&params.statement(sql)).await?;
    let mut by_key: HashMap<(PersonId, &str), OperationId> =
        created.iter().map(|(id, person, key)| ((*person, key.as_str()), *id)).collect();
    Ok(openings
        .iter()
        .filter_map(|(i, o)| by_key.remove(&(o.person, o.key.as_str())).map(|id| (*i, id)))
        .collect())
}

/// Deletes keys this batch inserted and then refused (over their limit): as if never sent.
pub(crate) async fn forget_keys(tx: &mut Tx<'_>, operations: &[OperationId]) -> Result<(), BatchError> {
    if operations.is_empty() {
        return Ok(());
    }
    let mut params = Params::new(tx);
    let ids: Vec<String> = operations.iter().map(|op| params.plain(*op)).collect();
    let sql = format!("DELETE FROM operations WHERE id IN ({})", ids.join(", "));
    tx.execute(&params.statement(sql)).await?;
    Ok(())
}

/// Stores the answers of `settlements` and releases the leases of those without one.
pub(crate) async fn conclude(
    tx: &mut Tx<'_>,
    settlements: &[(usize, &Settlement)],
) -> Result<(), BatchError> {
    let mut answers: Vec<(OperationId, &StoredAnswer)> = settlements
        .iter()
        .filter_map(|(_, s)| match &s.key {
            KeyOutcome::Answer(answer) => Some((s.operation, answer)),
            _ => None,
        })
        .collect();
    answers.sort_unstable_by_key(|(operation, _)| *operation);
    if !answers.is_empty() {
        let mut params = Params::new(tx);
        let rows: Vec<String> = answers
            .iter()
            .map(|(operation, answer)| {
                format!(
                    "({}, {}, {})",
                    params.cast(*operation),
                    params.cast(i64::from(answer.status)),
                    params.cast(answer.body.as_str()),
                )
            })
            .collect();
        // The first answer stands: a key answers one way for ever.
        let sql = format!(
            "UPDATE operations SET response_status = v.column2, response_body = v.column3, locked_until = 0 \
             FROM (VALUES {}) AS v WHERE operations.id = v.column1 AND operations.response_status IS NULL",
            rows.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;
        // A refused movement moved nothing: it no longer counts against the PIN allowance (the
        // update trigger takes its amount off the person's total). A statement of its own, run
        // only for refusals, so the answers' UPDATE leaves the allowance's index alone.
        let refused: Vec<OperationId> = answers
            .iter()
            .filter(|(_, answer)| answer.status >= 400)
            .map(|(operation, _)| *operation)
            .collect();
        if !refused.is_empty() {
            let mut params = Params::new(tx);
            let ids: Vec<String> = refused.iter().map(|op| params.plain(*op)).collect();
            let sql = format!(
                "UPDATE operations SET pinless_minor = NULL WHERE pinless_minor IS NOT NULL AND id IN ({})",
                ids.join(", ")
            );
            tx.execute(&params.statement(sql)).await?;
        }
    }

    let released: Vec<OperationId> = settlements
        .iter()
        .filter(|(_, s)| matches!(s.key, KeyOutcome::Release))
        .map(|(_, s)| s.operation)
        .collect();
    if !released.is_empty() {
        let mut params = Params::new(tx);
        let ids: Vec<String> = released.iter().map(|op| params.plain(*op)).collect();
        let sql = format!(
            "UPDATE operations SET locked_until = 0 WHERE response_status IS NULL AND id IN ({})",
            ids.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;
    }
    Ok(())
}
