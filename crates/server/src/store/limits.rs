//! `rate_limits`: fixed windows, one row per subject (`<limit>:<subject>`), counted in batches
//! of the [`WriteBatcher`](super::WriteBatcher) so that every instance shares them; and
//! `pinless_moves`, the rolling day of money each person moved without their PIN.

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

/// Counts the pinless movements of new keys (`(index, person, operation, at, pinless)`) in
/// batch order: those that fit their person's allowance are recorded; the indices of those
/// that do not are returned (rows older than a day are pruned by [`prune_pinless`]). On
/// PostgreSQL the people's rows are locked first (in id order), so two instances' batches
/// cannot both spend the same allowance.
pub(crate) async fn spend_pinless(
    tx: &mut Tx<'_>,
    moves: &[(usize, PersonId, OperationId, Time, Pinless)],
) -> Result<Vec<usize>, BatchError> {
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let mut people: Vec<PersonId> = moves.iter().map(|m| m.1).collect();
    people.sort_unstable();
    people.dedup();
    let since = moves.iter().map(|m| m.4.since).min().unwrap_or(Time::EPOCH);
    // The same statements whatever the batch holds (the people as one bound list), so SQLite
    // prepares each once.
    let postgres = tx.is_postgres();
    let people_in = |column: &str| {
        if postgres {
            format!("{column} = ANY($1)")
        } else {
            format!("{column} IN (SELECT value FROM json_each(?1))")
        }
    };
    let list = || vec![Value::Ints(people.iter().map(|p| p.0).collect())];
    if postgres {
        let sql = format!("SELECT id FROM users WHERE {} ORDER BY id FOR UPDATE", people_in("id"));
        let _: Vec<(PersonId,)> = tx.fetch(&Statement::new(sql, list())).await?;
    }
    let mark = if postgres { "$2" } else { "?2" };
    let with_since = || {
        let mut values = list();
        values.push(Value::from(since));
        values
    };
    // Each person's day so far, summed by the database (from the batch's earliest window start:
    // at most the batch's few milliseconds more than each move's own day, never less).
    let sql = format!(
        "SELECT user_id, CAST(SUM(amount_minor) AS BIGINT) FROM pinless_moves \
         WHERE {} AND at > {mark} GROUP BY user_id",
        people_in("user_id")
    );
    let mut spent: HashMap<PersonId, i64> =
        tx.fetch::<(PersonId, i64)>(&Statement::new(sql, with_since())).await?.into_iter().collect();

    let mut refused = Vec::new();
    let mut rows = Vec::new();
    let mut params = Params::new(tx);
    for &(i, person, operation, at, pinless) in moves {
        let so_far = spent.entry(person).or_insert(0);
        if *so_far + pinless.amount_minor > pinless.max_minor {
            refused.push(i);
            continue;
        }
        *so_far += pinless.amount_minor;
        rows.push(format!(
            "({}, {}, {}, {})",
            params.plain(operation),
            params.plain(person),
            params.plain(at),
            params.plain(pinless.amount_minor)
        ));
    }
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO pinless_moves (operation_id, user_id, at, amount_minor) VALUES {}",
            rows.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;
    }
    Ok(refused)
}

/// Deletes the movements without the PIN older than `before` (a day ago): the payments job's.
pub fn prune_pinless(before: Time) -> Statement {
    Statement::new("DELETE FROM pinless_moves WHERE at <= $1", vec![Value::from(before)])
}
