//! Holding money for review, on the money path: what the monitoring rules are given for a
//! movement ([`watch`]), the sanctions screening of its parties (a counterparty not yet screened
//! against the list's current version is screened now; a standing hit holds the movement), how
//! a held movement shows to the people in it (one generic [`Review`], never the rule), and a
//! person's holds. What officers do with a held movement is `flows::cases`.

use std::collections::HashSet;

use purse_api::compliance::Hold;
use purse_api::ops::Review;
use purse_ledger::{TransferFlags, TransferId};
use purse_rails::identity::ScreeningHit;

use crate::codes;
use crate::flows::{FlowError, Flows};
use crate::ids::{OperationId, PersonId, Slot, operation_of};
use crate::store::cases::{self, ScreeningRow, StoredMatch};
use crate::store::monitoring::{DAY_SECONDS, Forced, Watch, Watched};
use crate::store::people::UserRow;

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
        thresholds: flows.settings.monitoring,
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
        .filter(|row| row.is_standing_hit())
        .find_map(|row| Some(Forced { subject: row.user_id, sanctions: row.matched(&version)? })))
}

/// Screens `person`'s name (their verified legal name, else their display name) and records it.
async fn screen_now(
    flows: &Flows,
    person: PersonId,
    version: &str,
) -> Result<Option<ScreeningRow>, FlowError> {
    let Some(name) = flows.db.screening_name(person).await? else { return Ok(None) };
    let hit = screen(flows, &name).await?;
    record(flows, person, &name, version, hit.as_ref()).await?;
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
pub async fn screen(flows: &Flows, name: &str) -> Result<Option<ScreeningHit>, FlowError> {
    let screening = flows.screening.clone();
    let name = name.to_owned();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(screening.screen(&name)))
        .await
        .map_err(FlowError::internal)?
        .map_err(FlowError::from)
}

/// Records `person`'s screening of `name` against `version` (once per person and version): a
/// hit (`hit`, when the list matched) sets them under review unless an officer already cleared
/// that entry for them. The match, as a case's evidence keeps it.
pub async fn record(
    flows: &Flows,
    person: PersonId,
    name: &str,
    version: &str,
    hit: Option<&ScreeningHit>,
) -> Result<Option<StoredMatch>, FlowError> {
    let matched = hit.map(|hit| StoredMatch::new(name, version, &hit.entry, hit.score));
    flows
        .batcher
        .apply(cases::record_screening(person, version, name, matched.as_ref(), flows.now()))
        .await?;
    Ok(matched)
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
