//! Holding money for review, on the money path: what the monitoring rules are given for a
//! movement ([`watch`]), the sanctions screening of its parties (a counterparty not yet screened
//! against the list's current version is screened now; a standing hit holds the movement), how
//! a held movement shows to the people in it (one generic [`Review`], never the rule), and a
//! person's holds. What officers do with a held movement is `flows::cases`.

use std::collections::HashSet;

use purse_api::compliance::Hold;
use purse_api::ops::{Review, Thresholds};
use purse_ledger::{TransferFlags, TransferId};

use crate::codes;
use crate::flows::{FlowError, Flows};
use crate::ids::{OperationId, PersonId, Slot, operation_of};
use crate::store::cases::{self, ScreeningRow};
use crate::store::monitoring::{DAY_SECONDS, Forced, Watch, Watched};
use crate::store::people::UserRow;

/// The rules' thresholds (server flags).
pub fn thresholds(flows: &Flows) -> Thresholds {
    flows.settings.monitoring
}

/// What the rules are given for `user`'s movement: for a payment, the sanctions screening of
/// both parties; for a withdrawal, the payer's screening and what they received from others in
/// the last 24 hours.
pub async fn watch(
    flows: &Flows,
    user: &UserRow,
    watched: Watched,
    amount_minor: i64,
) -> Result<Watch, FlowError> {
    let (watched, forced) = match watched {
        Watched::Payment { recipient } => (watched, screened(flows, &[user.id, recipient], recipient).await?),
        Watched::Withdrawal { .. } => {
            let received_minor = received_from_others(flows, user.id).await?;
            (Watched::Withdrawal { received_minor }, screened(flows, &[user.id], user.id).await?)
        }
    };
    Ok(Watch {
        payer: user.id,
        watched,
        amount_minor,
        currency: purse_api::Currency::Usd,
        forced,
        thresholds: thresholds(flows),
        now: flows.now(),
        ids: flows.ids.clone(),
    })
}

/// The sanctions screening of `people` against the list's current version: `fresh`, if not
/// screened against it yet, is screened now (and recorded, once; a hit sets them under review).
/// A standing hit of any of them (not cleared by an officer) is the movement's [`Forced`] hold.
async fn screened(flows: &Flows, people: &[PersonId], fresh: PersonId) -> Result<Option<Forced>, FlowError> {
    let Some(version) = flows.screening.version() else { return Ok(None) };
    let mut rows = flows.db.screenings(people, &version).await?;
    if !rows.iter().any(|row| row.user_id == fresh)
        && let Some(row) = screen_now(flows, fresh, &version).await?
    {
        rows.push(row);
    }
    Ok(rows
        .iter()
        .find(|row| row.is_standing_hit())
        .map(|row| Forced { subject: row.user_id, sanctions: sanctions_json(row, &version) }))
}

/// Screens `person`'s name (their verified legal name, else their display name) and records it.
async fn screen_now(
    flows: &Flows,
    person: PersonId,
    version: &str,
) -> Result<Option<ScreeningRow>, FlowError> {
    let Some(name) = flows.db.screening_name(person).await? else { return Ok(None) };
    let hit = screen(flows, &name).await?;
    let found = hit.as_ref().map(|hit| (hit.entry.clone(), format!("{:.3}", hit.score)));
    let statements = cases::record_screening(
        person,
        version,
        &name,
        found.as_ref().map(|(entry, score)| (entry.as_str(), score.as_str())),
        flows.now(),
    );
    flows.batcher.apply(statements).await?;
    if hit.is_some() {
        tracing::info!(
            person = person.0,
            list = version,
            "a sanctions screening matched; the person is under review"
        );
    }
    // Another request may have recorded it first: the stored row is the answer.
    Ok(flows.db.screenings(&[person], version).await?.into_iter().next())
}

/// Screens `name` off the async workers: with a list the size of OFAC's, one name costs tens of
/// milliseconds of CPU (every entry and alias scored), which would stall every request sharing
/// the worker.
pub async fn screen(
    flows: &Flows,
    name: &str,
) -> Result<Option<purse_rails::identity::ScreeningHit>, FlowError> {
    let screening = flows.screening.clone();
    let name = name.to_owned();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(screening.screen(&name)))
        .await
        .map_err(FlowError::internal)?
        .map_err(FlowError::from)
}

/// The match as a case's evidence keeps it.
pub fn sanctions_json(row: &ScreeningRow, version: &str) -> serde_json::Value {
    serde_json::json!({
        "name": row.name,
        "list_version": version,
        "entry": row.entry,
        "score": row.score,
    })
}

/// What `person` received from other people in the last 24 hours (posted: a payment still in
/// its grace window or held has not arrived).
pub async fn received_from_others(flows: &Flows, person: PersonId) -> Result<i64, FlowError> {
    let wallet = codes::wallet_of(person);
    let since = flows.now().minus_seconds(DAY_SECONDS);
    let transfers = flows.ledger.account_transfers_after(wallet, Some(since.into()), 10_000).await?;
    let received = transfers
        .iter()
        .filter(|t| t.credit_account_id == wallet && !t.flags.contains(TransferFlags::PENDING))
        .filter(|t| !t.flags.contains(TransferFlags::VOID_PENDING))
        .filter(|t| codes::owner_of(t.debit_account_id).is_some_and(|owner| owner != person))
        .map(|t| i64::try_from(t.amount).unwrap_or(i64::MAX))
        .sum();
    Ok(received)
}

/// Which of `transfers` (a wallet's pending ones) belong to a held movement with an open case.
pub async fn held_among(flows: &Flows, transfers: &[TransferId]) -> Result<HashSet<TransferId>, FlowError> {
    let operations: Vec<OperationId> = transfers.iter().filter_map(|id| operation_of(*id)).collect();
    if operations.is_empty() {
        return Ok(HashSet::new());
    }
    let open: HashSet<OperationId> = flows.db.open_case_operations(&operations).await?.into_iter().collect();
    Ok(transfers
        .iter()
        .copied()
        .filter(|id| operation_of(*id).is_some_and(|op| open.contains(&op)))
        .collect())
}

/// The review a held movement carries, for both people: the same for every rule.
pub fn review() -> Review {
    Review::generic()
}

/// `holds` of `GET /me/compliance`: the person's movements held for review (sent or coming to
/// them), newest first, with the generic review.
pub async fn holds(flows: &Flows, person: PersonId) -> Result<Vec<Hold>, FlowError> {
    let review = review();
    Ok(flows
        .db
        .open_holds_of(person)
        .await?
        .into_iter()
        .filter_map(|case| {
            let operation = case.operation_id?;
            Some(Hold {
                activity_id: flows.ids.encode("tr", operation.transfer(Slot::Main).0),
                reason_code: review.reason_code.clone(),
                message: review.message.clone(),
                since: case.opened_at.rfc3339(),
            })
        })
        .collect())
}
