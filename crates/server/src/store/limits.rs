//! `rate_limits`: fixed windows, one row per subject (`<limit>:<subject>`), counted in batches
//! of the [`WriteBatcher`](super::WriteBatcher) so that every instance shares them; and
//! the PIN allowance: the rolling day of money each person moved without their PIN, kept as
//! each operation's `pinless_minor` and, per person, `pinless_totals` (see migration 1009).

use std::collections::HashMap;

use crate::ids::{OperationId, PersonId};
use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::{Statement, Value};
use crate::time::Time;

/// One hit of a rate limit: the subject's window is `window_s` seconds long.
#[derive(Clone, Debug)]
pub struct Hit {
    /// `<limit>:<subject>`.
    pub key: String,
    pub now: Time,
    pub window_s: i64,
}

/// A subject's count in its current window, this hit included, and when the window began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HitCount {
    pub count: i64,
    pub window_start: Time,
}

/// Counts hits, one statement for new subjects and one for all, whatever the batch holds.
/// Returns each hit's count as if the hits had come one by one in batch order.
pub(crate) async fn count_hits(
    tx: &mut Tx<'_>,
    hits: &[(usize, &Hit)],
) -> Result<Vec<(usize, HitCount)>, BatchError> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    // Per subject: how many hits, and the first one's time and window.
    let mut subjects: Vec<(&str, i64, &Hit)> = Vec::new();
    for (_, hit) in hits {
        match subjects.iter_mut().find(|(key, _, _)| *key == hit.key) {
            Some((_, n, _)) => *n += 1,
            None => subjects.push((&hit.key, 1, hit)),
        }
    }
    // Rows are locked in key order, so two instances' batches cannot deadlock on PostgreSQL.
    subjects.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut params = Params::new(tx);
    let rows: Vec<String> = subjects
        .iter()
        .map(|(key, _, hit)| format!("({}, {})", params.cast(*key), params.cast(hit.now)))
        .collect();
    let sql = format!(
        "INSERT INTO rate_limits (key, window_start, count) \
         SELECT v.column1, v.column2, 0 FROM (VALUES {}) AS v WHERE true ON CONFLICT (key) DO NOTHING",
        rows.join(", ")
    );
    tx.execute(&params.statement(sql)).await?;

    let mut params = Params::new(tx);
    let rows: Vec<String> = subjects
        .iter()
        .map(|(key, n, hit)| {
            format!(
                "({}, {}, {}, {})",
                params.cast(*key),
                params.cast(*n),
                params.cast(hit.now),
                params.cast(hit.now.minus_seconds(hit.window_s)),
            )
        })
        .collect();
    // A window that began at or before `now - window` is over: the count starts again.
    let sql = format!(
        "UPDATE rate_limits SET \
             count = CASE WHEN rate_limits.window_start <= v.column4 THEN v.column2 ELSE rate_limits.count + v.column2 END, \
             window_start = CASE WHEN rate_limits.window_start <= v.column4 THEN v.column3 ELSE rate_limits.window_start END \
         FROM (VALUES {}) AS v WHERE rate_limits.key = v.column1 \
         RETURNING rate_limits.key, rate_limits.count, rate_limits.window_start",
        rows.join(", ")
    );
    let totals: Vec<(String, i64, Time)> = tx.fetch(&params.statement(sql)).await?;
    let totals: HashMap<String, (i64, Time)> =
        totals.into_iter().map(|(key, count, start)| (key, (count, start))).collect();

    let mut seen: HashMap<&str, i64> = HashMap::new();
    hits.iter()
        .map(|(i, hit)| {
            let n = subjects.iter().find(|(key, _, _)| *key == hit.key).map_or(1, |(_, n, _)| *n);
            let &(total, window_start) = totals
                .get(&hit.key)
                .ok_or_else(|| BatchError::of_write(format!("no count for {}", hit.key)))?;
            let before = seen.entry(&hit.key).or_insert(0);
            *before += 1;
            Ok((*i, HitCount { count: total - n + *before, window_start }))
        })
        .collect()
}

/// A movement without the PIN, counted against the person's allowance: allowed only while
/// their movements without the PIN since `since` (a day ago), this one included, stay at or
/// under `max_minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinless {
    pub amount_minor: i64,
    pub max_minor: i64,
    pub since: Time,
}

/// The allowance's state for one batch: each person's movements without the PIN still counted
/// (their `pinless_totals` row) less those already past the day, read before the batch writes
/// anything; and who has amounts past the day still counted.
#[derive(Debug, Default)]
pub(crate) struct PinlessDay {
    spent: HashMap<PersonId, i64>,
    stale: Vec<PersonId>,
    since: Time,
}

/// Reads the allowance of `people` (those with a movement without the PIN in the batch): each
/// one's total, by key, less its amounts at or before `since` (on SQLite, cleared first for
/// everyone, in the one writer's batch). On PostgreSQL the rows are
/// locked first, in id order and before the batch writes anything, with those of the people
/// whose operations in `refused` are answered with a refusal (which takes their amounts off):
/// every `pinless_totals` row the batch's triggers will change, so two instances' batches cannot
/// deadlock on them, nor both spend the same allowance. The read is a statement of its own after
/// the lock, so it sees what the batch it waited for committed (a statement that waits for a row
/// sees the row's new version, but its subqueries still see the data as it began). The same
/// statements whatever the batch holds (the lists bound as one value each), so SQLite prepares
/// them once.
pub(crate) async fn read_pinless(
    tx: &mut Tx<'_>,
    mut people: Vec<PersonId>,
    refused: &[OperationId],
    since: Time,
) -> Result<PinlessDay, BatchError> {
    let postgres = tx.is_postgres();
    if people.is_empty() && (refused.is_empty() || !postgres) {
        return Ok(PinlessDay::default());
    }
    people.sort_unstable();
    people.dedup();
    let ids = || Value::Ints(people.iter().map(|p| p.0).collect());
    let statement = if postgres {
        // Amounts past the day that are still counted: normally none (the index's range is
        // empty); the batch clears them for its own people (`spend_pinless`).
        let past = "SELECT COALESCE(SUM(o.pinless_minor), 0) FROM operations o \
                    WHERE o.user_id = t.user_id AND o.pinless_minor IS NOT NULL AND o.created_at <= ";
        // One array, so the rows are found through the key (an `OR` with a subquery would walk
        // every row).
        let lock = "SELECT t.user_id FROM pinless_totals t \
             WHERE t.user_id = ANY($1 || ARRAY(SELECT r.user_id FROM operations r \
                                               WHERE r.id = ANY($2) AND r.pinless_minor IS NOT NULL)) \
             ORDER BY t.user_id FOR UPDATE";
        let refused = Value::Ints(refused.iter().map(|op| op.0).collect());
        let _: Vec<(PersonId,)> = tx.fetch(&Statement::new(lock, vec![ids(), refused])).await?;
        Statement::new(
            format!(
                "SELECT t.user_id, t.spent_minor, CAST(({past}$2) AS BIGINT) FROM pinless_totals t \
                 WHERE t.user_id = ANY($1)"
            ),
            vec![ids(), Value::from(since)],
        )
    } else {
        // One writer: every amount the day has passed is cleared here, for everyone (the index
        // by time holds only amounts still counted, so its range is normally empty), and the
        // totals are then exact.
        let clear =
            "UPDATE operations SET pinless_minor = NULL WHERE pinless_minor IS NOT NULL AND created_at <= $1";
        tx.execute(&Statement::new(clear, vec![Value::from(since)])).await?;
        Statement::new(
            "SELECT user_id, spent_minor, 0 FROM pinless_totals WHERE user_id IN (SELECT value FROM json_each(?1))",
            vec![ids()],
        )
    };
    let rows: Vec<(PersonId, i64, i64)> = tx.fetch(&statement).await?;
    Ok(PinlessDay {
        stale: rows.iter().filter(|(_, _, past)| *past > 0).map(|(person, _, _)| *person).collect(),
        spent: rows.into_iter().map(|(person, spent, past)| (person, spent - past)).collect(),
        since,
    })
}

/// Spends the allowance read in `day` for the movements without the PIN of new keys
/// (`(index, person, pinless)`, their amounts already on their operations' rows) in batch
/// order: the indices of those past their person's allowance are returned (their keys are then
/// taken back, which takes their amounts off). Amounts past the day still counted are cleared.
pub(crate) async fn spend_pinless(
    tx: &mut Tx<'_>,
    day: PinlessDay,
    moves: &[(usize, PersonId, Pinless)],
) -> Result<Vec<usize>, BatchError> {
    let PinlessDay { mut spent, stale, since } = day;
    if !stale.is_empty() {
        let (people, mark) = if tx.is_postgres() {
            ("user_id = ANY($1)", "$2")
        } else {
            ("user_id IN (SELECT value FROM json_each(?1))", "?2")
        };
        let sql = format!(
            "UPDATE operations SET pinless_minor = NULL \
             WHERE {people} AND pinless_minor IS NOT NULL AND created_at <= {mark}"
        );
        let values = vec![Value::Ints(stale.iter().map(|p| p.0).collect()), Value::from(since)];
        tx.execute(&Statement::new(sql, values)).await?;
    }
    let mut refused = Vec::new();
    for &(i, person, pinless) in moves {
        // Every person has a total from their first day (migration 1009's trigger); one without
        // it could not be counted, so their movement needs the PIN.
        let Some(so_far) = spent.get_mut(&person) else {
            tracing::error!(person = person.0, "no pinless_totals row: the movement needs the PIN");
            refused.push(i);
            continue;
        };
        if *so_far + pinless.amount_minor > pinless.max_minor {
            refused.push(i);
        } else {
            *so_far += pinless.amount_minor;
        }
    }
    Ok(refused)
}
