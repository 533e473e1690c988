//! The monitoring rules, checked in a new key's write batch (like the tier limits, after them):
//! what each rule needs of the payer's past is read in one statement for the whole batch, the
//! batch's movements are decided in batch order (so two in one batch see each other), what the
//! rules must remember is written to `watch_log` (only near-threshold movements, payments to a
//! new counterparty and withdrawals: most movements write nothing), and each held movement's
//! case is opened, with its audit entry (appended by the batch with its others), in the same
//! transaction. On PostgreSQL the batch has
//! already locked its people's limit totals (`usage::read_room`), so two instances' batches for
//! one payer take turns here too.

use std::collections::{BTreeMap, HashMap, HashSet};

use purse_api::Currency;
use purse_api::ops::{Observed, ReasonCode, Thresholds, Withdrawn, rule_hits};

use std::sync::Arc;

use crate::ids::{OperationId, PersonId};
use crate::public_ids::PublicIds;
use crate::store::audit::NewEntry;
use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::cases::{StoredEvidence, StoredMatch};
use crate::time::Time;

/// How long the structuring and pass-through rules look back.
pub const DAY_SECONDS: i64 = 24 * 3600;
/// How long the new-counterparty rule looks back.
pub const HOUR_SECONDS: i64 = 3600;

/// What kind of movement is watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched {
    /// Money to a person (a send, a paid request).
    Payment { recipient: PersonId },
    /// Money out to a bank or card, with what the payer received from others in the 24 hours
    /// before (read from the ledger by the flow).
    Withdrawal { received_minor: i64 },
}

/// A sanctions hit found before the batch (the screening of a party): the movement is held
/// whatever the rules say, and the case is about `subject`.
#[derive(Clone, Debug, PartialEq)]
pub struct Forced {
    pub subject: PersonId,
    pub sanctions: StoredMatch,
}

/// A new key's movement for the rules.
#[derive(Clone, Debug)]
pub struct Watch {
    pub payer: PersonId,
    pub watched: Watched,
    pub amount_minor: i64,
    pub currency: Currency,
    pub forced: Option<Forced>,
    pub thresholds: Thresholds,
    pub now: Time,
    /// How a case's id is shown (`cs_…`), for its audit entry.
    pub ids: Arc<PublicIds>,
}

/// A movement the rules held: its case, filed under `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub case_id: i64,
    pub reason: ReasonCode,
}

/// The payer's past as the rules need it.
#[derive(Clone, Copy, Debug, Default)]
struct Past {
    new_counterparty: bool,
    near: u32,
    new_counterparties: u32,
    withdrawn_minor: i64,
}

/// Decides `watches` (each with its operation) in order; writes what the rules remember and
/// opens each held movement's case. Returns the held ones by their place in `watches`, and the
/// audit entries of the cases opened (the batch appends them with its others, last).
pub(crate) async fn watch(
    tx: &mut Tx<'_>,
    watches: &[(OperationId, &Watch)],
) -> Result<(HashMap<usize, Held>, Vec<NewEntry>), BatchError> {
    if watches.is_empty() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let pasts = read_pasts(tx, watches).await?;
    // What earlier movements of this batch add, per payer.
    let mut near_added: HashMap<PersonId, u32> = HashMap::new();
    let mut paid_now: HashMap<PersonId, HashSet<PersonId>> = HashMap::new();
    let mut withdrawn_added: HashMap<PersonId, i64> = HashMap::new();
    let mut remembered = Vec::new();
    let mut cases = Vec::new();
    for (index, ((operation, watch), past)) in watches.iter().zip(&pasts).enumerate() {
        let t = &watch.thresholds;
        let payer = watch.payer;
        let mut observed = Observed {
            amount_minor: watch.amount_minor,
            near_before: past.near + near_added.get(&payer).copied().unwrap_or(0),
            ..Observed::default()
        };
        let mut inputs = BTreeMap::new();
        inputs.insert("amount".to_owned(), money(watch.amount_minor, watch.currency));
        match watch.watched {
            Watched::Payment { recipient } => {
                let paid = paid_now.entry(payer).or_default();
                observed.new_counterparty = past.new_counterparty && !paid.contains(&recipient);
                observed.new_counterparties_before =
                    past.new_counterparties + u32::try_from(paid.len()).unwrap_or(u32::MAX);
                if observed.new_counterparty {
                    paid.insert(recipient);
                    remembered.push((*operation, "new_counterparty", payer, Some(recipient), *watch));
                }
                inputs.insert("new_counterparty".to_owned(), observed.new_counterparty.to_string());
                inputs.insert(
                    "new_counterparties_last_hour".to_owned(),
                    (observed.new_counterparties_before + u32::from(observed.new_counterparty)).to_string(),
                );
            }
            Watched::Withdrawal { received_minor } => {
                let before = past.withdrawn_minor + withdrawn_added.get(&payer).copied().unwrap_or(0);
                observed.withdrawal = Some(Withdrawn { received_minor, withdrawn_before_minor: before });
                *withdrawn_added.entry(payer).or_default() += watch.amount_minor;
                remembered.push((*operation, "withdraw", payer, None, *watch));
                inputs.insert("received_last_24h".to_owned(), money(received_minor, watch.currency));
                inputs.insert(
                    "withdrawn_last_24h".to_owned(),
                    money(before + watch.amount_minor, watch.currency),
                );
            }
        }
        if t.is_near(watch.amount_minor) {
            *near_added.entry(payer).or_default() += 1;
            remembered.push((*operation, "near", payer, None, *watch));
            inputs.insert("near_threshold_last_24h".to_owned(), (observed.near_before + 1).to_string());
        }
        let mut hits = rule_hits(t, &observed);
        if watch.forced.is_some() {
            hits.insert(0, ReasonCode::SanctionsMatch);
        }
        let Some(&reason) = hits.first() else { continue };
        inputs.insert("threshold".to_owned(), money(t.large_minor, watch.currency));
        let sanctions = watch.forced.as_ref().map(|forced| forced.sanctions.clone());
        let evidence = StoredEvidence { inputs, hits, sanctions };
        cases.push((index, *operation, reason, evidence, *watch));
    }
    remember(tx, &remembered).await?;
    open_cases(tx, &cases).await
}

fn money(minor: i64, currency: Currency) -> String {
    purse_api::Money::from_minor(minor, currency).amount_string()
}

/// One statement for the whole batch: for each watched movement, whether its recipient is new
/// to its payer, and the payer's near-threshold movements (24 hours), new counterparties (one
/// hour) and withdrawals (24 hours) so far.
async fn read_pasts(tx: &mut Tx<'_>, watches: &[(OperationId, &Watch)]) -> Result<Vec<Past>, BatchError> {
    let mut params = Params::new(tx);
    let rows: Vec<String> = watches
        .iter()
        .enumerate()
        .map(|(index, (_, watch))| {
            let recipient = match watch.watched {
                Watched::Payment { recipient } => recipient.0,
                Watched::Withdrawal { .. } => 0,
            };
            format!(
                "({}, {}, {}, {}, {})",
                params.cast(i64::try_from(index).unwrap_or(i64::MAX)),
                params.cast(watch.payer),
                params.cast(recipient),
                params.cast(watch.now.minus_seconds(DAY_SECONDS)),
                params.cast(watch.now.minus_seconds(HOUR_SECONDS)),
            )
        })
        .collect();
    let sql = format!(
        "SELECT v.column1, \
             CAST(CASE WHEN v.column3 <> 0 AND NOT EXISTS (SELECT 1 FROM payments p \
                 WHERE p.sender_id = v.column2 AND p.recipient_id = v.column3 \
                 AND p.state IN ('pending', 'completed')) THEN 1 ELSE 0 END AS BIGINT), \
             (SELECT COUNT(*) FROM watch_log w WHERE w.person_id = v.column2 AND w.kind = 'near' AND w.at > v.column4), \
             (SELECT COUNT(DISTINCT w.counterparty_id) FROM watch_log w \
                 WHERE w.person_id = v.column2 AND w.kind = 'new_counterparty' AND w.at > v.column5 \
                 AND w.counterparty_id <> v.column3), \
             CAST(COALESCE((SELECT SUM(w.amount) FROM watch_log w \
                 WHERE w.person_id = v.column2 AND w.kind = 'withdraw' AND w.at > v.column4), 0) AS BIGINT) \
         FROM (VALUES {}) AS v",
        rows.join(", ")
    );
    let found: Vec<(i64, i64, i64, i64, i64)> = tx.fetch(&params.statement(sql)).await?;
    let mut pasts = vec![Past::default(); watches.len()];
    for (index, new, near, counterparties, withdrawn) in found {
        if let Some(past) = usize::try_from(index).ok().and_then(|i| pasts.get_mut(i)) {
            *past = Past {
                new_counterparty: new == 1,
                near: u32::try_from(near).unwrap_or(u32::MAX),
                new_counterparties: u32::try_from(counterparties).unwrap_or(u32::MAX),
                withdrawn_minor: withdrawn,
            };
        }
    }
    Ok(pasts)
}

type Remembered<'a> = (OperationId, &'static str, PersonId, Option<PersonId>, &'a Watch);

async fn remember(tx: &mut Tx<'_>, rows: &[Remembered<'_>]) -> Result<(), BatchError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut params = Params::new(tx);
    let values: Vec<String> = rows
        .iter()
        .map(|(operation, kind, person, counterparty, watch)| {
            format!(
                "({}, {}, {}, {}, {}, {})",
                params.plain(*operation),
                params.plain(*kind),
                params.plain(*person),
                params.plain(counterparty.map(|p| p.0)),
                params.plain(watch.amount_minor),
                params.plain(watch.now),
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO watch_log (operation_id, kind, person_id, counterparty_id, amount, at) VALUES {} \
         ON CONFLICT (operation_id, kind) DO NOTHING",
        values.join(", ")
    );
    tx.execute(&params.statement(sql)).await?;
    Ok(())
}

type NewCase<'a> = (usize, OperationId, ReasonCode, StoredEvidence, &'a Watch);

/// Opens the cases (one per held movement; a movement's case exists once, whatever retries
/// do) and appends `case.opened` to the audit log for each new one.
async fn open_cases(
    tx: &mut Tx<'_>,
    cases: &[NewCase<'_>],
) -> Result<(HashMap<usize, Held>, Vec<NewEntry>), BatchError> {
    if cases.is_empty() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let mut params = Params::new(tx);
    let values: Vec<String> = cases
        .iter()
        .map(|(_, operation, reason, evidence, watch)| {
            let (movement, counterparty) = match watch.watched {
                Watched::Payment { recipient } => ("payment", Some(recipient.0)),
                Watched::Withdrawal { .. } => ("withdrawal", None),
            };
            let subject = watch.forced.as_ref().map_or(watch.payer, |forced| forced.subject);
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                params.plain(*operation),
                params.plain(movement),
                params.plain(reason.as_str()),
                params.plain(subject),
                params.plain(watch.payer),
                params.plain(counterparty),
                params.plain(watch.amount_minor),
                params.plain(watch.currency.code()),
                params.plain(evidence.to_json()),
                params.plain(i64::from(watch.thresholds.approvals_needed(watch.amount_minor))),
                params.plain(watch.now),
                params.plain(watch.now),
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO cases (operation_id, movement, reason_code, subject_id, payer_id, counterparty_id, \
             amount, currency, evidence, approvals_needed, opened_at, updated_at) VALUES {} \
         ON CONFLICT (operation_id) DO NOTHING RETURNING id, operation_id",
        values.join(", ")
    );
    let opened: Vec<(i64, OperationId)> = tx.fetch(&params.statement(sql)).await?;
    let mut held = HashMap::new();
    let mut entries = Vec::new();
    for (index, operation, reason, _, watch) in cases {
        let case_id = match opened.iter().find(|(_, op)| op == operation) {
            Some((id, _)) => {
                entries.push(NewEntry {
                    at: watch.now,
                    actor: "system".to_owned(),
                    action: "case.opened".to_owned(),
                    subject: format!("case:{}", watch.ids.encode("cs", *id)),
                    note: reason.as_str().to_owned(),
                });
                *id
            }
            None => existing_case(tx, *operation).await?,
        };
        held.insert(*index, Held { case_id, reason: *reason });
    }
    Ok((held, entries))
}

async fn existing_case(tx: &mut Tx<'_>, operation: OperationId) -> Result<i64, BatchError> {
    let mut params = Params::new(tx);
    let sql = format!("SELECT id FROM cases WHERE operation_id = {}", params.plain(operation));
    let rows: Vec<(i64,)> = tx.fetch(&params.statement(sql)).await?;
    rows.first().map(|(id,)| *id).ok_or_else(|| BatchError::of_write("a held movement lost its case".into()))
}
