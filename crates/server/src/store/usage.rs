//! `limit_uses` and `limit_totals`: what each person has moved against their tier's rolling
//! limits (see migration 1013). A new key's movement is checked and counted in its key's write
//! batch ([`read_room`], [`spend_room`]), so concurrent movements can never take a window past
//! its limit, on SQLite (one writer) and on PostgreSQL (the batch's people's totals locked first,
//! in order). The meters read a person's uses by time ([`Db::usage`]: on PostgreSQL by the
//! person's index; on SQLite, which keeps none (it cost a page of the log per person per batch),
//! through the window's index by time, everyone's uses still counted).

use std::collections::HashMap;

use purse_api::compliance::{AccountStatus, LimitKind, Usage, Window};

use crate::ids::{OperationId, PersonId};
use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::{Db, Statement, StoreError, Value};
use crate::time::Time;

/// One side of a movement a limit counts: who, what kind, how much, and that kind's limit at
/// each tier (`None`: no limit at that tier, and nothing is counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    pub person: PersonId,
    pub kind: LimitKind,
    pub amount_minor: i64,
    pub by_tier: [Option<i64>; 3],
}

/// What a new key's movement counts against limits: the payer's side (a send or a
/// withdrawal) and the recipient's (a receipt), checked in the key's batch at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitCheck {
    pub payer: Option<Side>,
    pub recipient: Option<Side>,
    pub now: Time,
}

/// Why a movement does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The payer's limit of this kind (at their tier) would be passed.
    Payer { kind: LimitKind, tier: u8 },
    /// The recipient cannot receive it (over their receive limit, restricted or frozen).
    Recipient,
    /// The payer's standing changed since their row was read: frozen (nothing moves), or
    /// restricted (only withdrawals).
    Standing(AccountStatus),
}

/// Where one person stands in a batch: tier, status and what each kind has used.
#[derive(Clone, Debug)]
struct Standing {
    tier: u8,
    status: AccountStatus,
    used: HashMap<LimitKind, i64>,
}

/// The batch's people as read (and on PostgreSQL locked) before it writes anything.
#[derive(Debug, Default)]
pub(crate) struct Room {
    people: HashMap<PersonId, Standing>,
}

fn kind_of(word: &str) -> Result<LimitKind, BatchError> {
    LimitKind::parse(word)
        .ok_or_else(|| BatchError::of_write(format!("a stored limit kind is not one: {word}")))
}

/// Reads the tier, status and totals of `people` (every payer and recipient of the batch's new
/// keys). On SQLite, first deletes what every window has passed, for everyone (one writer; the
/// indexes by time hold only what is still counted, so their ranges are normally empty). On
/// PostgreSQL, first locks the totals of `people` and of the owners of `refused`'s uses (whose
/// deletion the batch's triggers make) in order, then reads each total less what its window has
/// passed in a statement of its own (which sees what a batch it waited for committed), then
/// deletes those passed rows of its own people.
pub(crate) async fn read_room(
    tx: &mut Tx<'_>,
    mut people: Vec<PersonId>,
    refused: &[OperationId],
    now: Time,
) -> Result<Room, BatchError> {
    let postgres = tx.is_postgres();
    if people.is_empty() && (refused.is_empty() || !postgres) {
        return Ok(Room::default());
    }
    people.sort_unstable();
    people.dedup();
    let ids = || Value::Ints(people.iter().map(|p| p.0).collect());
    let week = Value::from(Time::from_nanos(Window::SevenDays.since_ns(now.nanos())));
    let month = Value::from(Time::from_nanos(Window::ThirtyDays.since_ns(now.nanos())));
    // One range per person and kind, so the index by (person, kind, time) seeks to it.
    let passed = "x.at <= CASE WHEN x.kind = 'receive' THEN $3 ELSE $2 END";
    let rows: Vec<(PersonId, i64, AccountStatus, String, i64)> = if postgres {
        let lock = "SELECT t.user_id FROM limit_totals t \
             WHERE t.user_id = ANY($1 || ARRAY(SELECT r.user_id FROM limit_uses r WHERE r.operation_id = ANY($2))) \
             ORDER BY t.user_id, t.kind FOR UPDATE";
        let refused = Value::Ints(refused.iter().map(|op| op.0).collect());
        let _: Vec<(PersonId,)> = tx.fetch(&Statement::new(lock, vec![ids(), refused])).await?;
        if people.is_empty() {
            return Ok(Room::default());
        }
        let read = format!(
            "SELECT u.id, u.tier, u.status, t.kind, t.used_minor - CAST(COALESCE((SELECT SUM(x.amount_minor) \
                 FROM limit_uses x WHERE x.user_id = t.user_id AND x.kind = t.kind AND {passed}), 0) AS BIGINT) \
             FROM users u JOIN limit_totals t ON t.user_id = u.id WHERE u.id = ANY($1)"
        );
        let rows = tx.fetch(&Statement::new(read, vec![ids(), week.clone(), month.clone()])).await?;
        let clear = format!("DELETE FROM limit_uses x WHERE x.user_id = ANY($1) AND {passed}");
        tx.execute(&Statement::new(clear, vec![ids(), week, month])).await?;
        rows
    } else {
        // Each through its partial index by time.
        tx.execute(&Statement::new(
            "DELETE FROM limit_uses WHERE kind <> 'receive' AND at <= ?1",
            vec![week],
        ))
        .await?;
        tx.execute(&Statement::new(
            "DELETE FROM limit_uses WHERE kind = 'receive' AND at <= ?1",
            vec![month],
        ))
        .await?;
        let read = "SELECT u.id, u.tier, u.status, t.kind, t.used_minor \
             FROM users u JOIN limit_totals t ON t.user_id = u.id WHERE u.id IN (SELECT value FROM json_each(?1))";
        tx.fetch(&Statement::new(read, vec![ids()])).await?
    };
    let mut room = Room::default();
    for (person, tier, status, kind, used) in rows {
        let tier = u8::try_from(tier).unwrap_or(0);
        let standing =
            room.people.entry(person).or_insert_with(|| Standing { tier, status, used: HashMap::new() });
        standing.used.insert(kind_of(&kind)?, used);
    }
    Ok(room)
}

/// Checks the batch's new keys' movements (`(index, operation, check)`, in batch order) against
/// the room read, counting each one that fits (so the next one in the batch sees it), and
/// writes the counted sides as `limit_uses` rows in one statement. Returns those that do not
/// fit, with why: their keys are then taken back.
pub(crate) async fn spend_room(
    tx: &mut Tx<'_>,
    mut room: Room,
    moves: &[(usize, OperationId, LimitCheck)],
) -> Result<Vec<(usize, Refusal)>, BatchError> {
    let mut refused = Vec::new();
    let mut uses: Vec<(OperationId, Side, Time)> = Vec::new();
    for &(i, operation, check) in moves {
        let fits = |room: &Room, side: &Side| -> Result<Option<i64>, BatchError> {
            let standing = room.people.get(&side.person).ok_or_else(|| {
                BatchError::of_write(format!("no limit totals for person {}", side.person.0))
            })?;
            let Some(limit) = side.by_tier[usize::from(standing.tier.min(2))] else { return Ok(Some(0)) };
            let used = standing.used.get(&side.kind).copied().unwrap_or(0);
            Ok((used + side.amount_minor <= limit).then_some(side.amount_minor))
        };
        // The payer's standing as the batch reads it (their row was read before, outside it).
        let standing = check.payer.and_then(|side| room.people.get(&side.person)).map(|s| s.status);
        let barred = match (standing, check.payer.map(|side| side.kind)) {
            (Some(AccountStatus::Frozen), _) => Some(AccountStatus::Frozen),
            (Some(AccountStatus::Restricted), Some(kind)) if kind != LimitKind::Withdraw => {
                Some(AccountStatus::Restricted)
            }
            _ => None,
        };
        if let Some(status) = barred {
            refused.push((i, Refusal::Standing(status)));
            continue;
        }
        let payer = match &check.payer {
            Some(side) => match fits(&room, side)? {
                Some(counted) => Some((side, counted)),
                None => {
                    let tier = room.people.get(&side.person).map_or(0, |s| s.tier);
                    refused.push((i, Refusal::Payer { kind: side.kind, tier }));
                    continue;
                }
            },
            None => None,
        };
        let recipient = match &check.recipient {
            Some(side) => {
                let open = room
                    .people
                    .get(&side.person)
                    .is_some_and(|s| !matches!(s.status, AccountStatus::Restricted | AccountStatus::Frozen));
                match fits(&room, side)? {
                    Some(counted) if open => Some((side, counted)),
                    _ => {
                        refused.push((i, Refusal::Recipient));
                        continue;
                    }
                }
            }
            None => None,
        };
        for (side, counted) in [payer, recipient].into_iter().flatten() {
            if counted > 0 {
                if let Some(standing) = room.people.get_mut(&side.person) {
                    *standing.used.entry(side.kind).or_insert(0) += counted;
                }
                uses.push((operation, *side, check.now));
            }
        }
    }
    if !uses.is_empty() {
        let mut params = Params::new(tx);
        let rows: Vec<String> = uses
            .iter()
            .map(|(operation, side, at)| {
                format!(
                    "({}, {}, {}, {}, {})",
                    params.cast(operation.0),
                    params.cast(side.person.0),
                    params.cast(side.kind.as_str()),
                    params.cast(side.amount_minor),
                    params.cast(*at),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at) VALUES {}",
            rows.join(", ")
        );
        tx.execute(&params.statement(sql)).await?;
    }
    Ok(refused)
}

/// Deletes the uses of `operations` (refused at their end): they no longer count.
pub(crate) async fn forget_uses(tx: &mut Tx<'_>, operations: &[OperationId]) -> Result<(), BatchError> {
    if operations.is_empty() {
        return Ok(());
    }
    let sql = if tx.is_postgres() {
        "DELETE FROM limit_uses WHERE operation_id = ANY($1)"
    } else {
        "DELETE FROM limit_uses WHERE operation_id IN (SELECT value FROM json_each(?1))"
    };
    tx.execute(&Statement::new(sql, vec![Value::Ints(operations.iter().map(|op| op.0).collect())])).await?;
    Ok(())
}

/// The statement that takes a canceled or voided movement's uses off (`$1`: its operation).
pub fn release_uses(operation: OperationId) -> Statement {
    Statement::new("DELETE FROM limit_uses WHERE operation_id = $1", vec![Value::from(operation)])
}

impl Db {
    /// What `person` has used of `kind` in its window up to `now`: the sum, and when the oldest
    /// amount still counted was moved.
    pub async fn usage(&self, person: PersonId, kind: LimitKind, now: Time) -> Result<Usage, StoreError> {
        let since = Time::from_nanos(kind.window().since_ns(now.nanos()));
        // The partial index's own term, so SQLite (which has no index by person: see migration
        // 1013) reads the window through its index by time; PostgreSQL seeks by person.
        let window = if kind == LimitKind::Receive { "kind = 'receive'" } else { "kind <> 'receive'" };
        let (used_minor, oldest): (i64, Option<Time>) = self
            .one(&Statement::new(
                format!(
                    "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), MIN(at) FROM limit_uses \
                     WHERE user_id = $1 AND kind = $2 AND {window} AND at > $3"
                ),
                vec![Value::from(person), Value::from(kind.as_str()), Value::from(since)],
            ))
            .await?;
        Ok(Usage { used_minor, oldest_ns: oldest.map(Time::nanos) })
    }
}
