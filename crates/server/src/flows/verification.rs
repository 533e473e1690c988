//! Identity verification: a person submits who they are (tier 1: legal name, date of birth,
//! address, the SSN's last four) or an identity document (tier 2); the identity provider
//! decides, the sanctions screening looks at the name, and the answer is recorded with what it
//! changes of the person: their tier, their region (the address's state) and, where Purse is
//! not licensed, their status (`restricted`). And [`standing`]: where a person stands.
//!
//! What is kept is [`Kept`]: the full document number goes to the provider and nowhere else
//! (no row, no log line, no error). Submitting the same thing again answers as the first time
//! and writes nothing; a tier already held answers the current state.

use purse_api::compliance::{
    AccountStatus, Date, Region, Verification, VerificationResponse, VerificationState, VerificationStatus,
};
use purse_rails::identity::{IdentityOutcome, ScreeningHit, reason};

use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::people::UserRow;
use crate::store::verification::{Kept, NewVerification, VerificationRow};

/// Today by the business clock (UTC): how old a person is and whether a date of birth exists
/// yet are decided by it.
pub fn today(flows: &Flows) -> Date {
    Date::of_unix_ns(flows.now().nanos())
}

/// The level a verification is for.
pub fn level_of(verification: &Verification) -> u8 {
    match verification {
        Verification::Identity { .. } => 1,
        Verification::Document { .. } => 2,
    }
}

/// Where a person stands: tier, status, region, and their latest verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub tier: u8,
    pub status: AccountStatus,
    /// The verified address's state (`None` until verified) and whether Purse is licensed
    /// there by the settings now (`true` while there is no state).
    pub region: Region,
    /// The latest verification's outcome (`none` before any).
    pub verification: VerificationState,
}

/// Where `user` stands, from their row (as the caller read it) and their latest verification.
pub async fn standing(flows: &Flows, user: &UserRow) -> Result<Standing, FlowError> {
    let latest = flows.db.latest_verification(user.id, None).await?;
    let available =
        user.region_state.as_deref().is_none_or(|state| flows.settings.licensed_states.contains(state));
    Ok(Standing {
        tier: tier_of(user)?,
        status: user.status,
        region: Region { state: user.region_state.clone(), available },
        verification: latest
            .as_ref()
            .map_or(VerificationState { status: VerificationStatus::None, reason_code: None }, state_of),
    })
}

/// Submits `verification` for `person`: the provider's answer (recorded, with what it changes
/// of the person) and the person's tier after it.
///
/// - A document (tier 2) before tier 1: [`FlowError::DocumentBeforeIdentity`].
/// - A tier already held: the latest verification at that level, asking no one.
/// - The same submission again (what is kept of it and the provider's answer as before):
///   the first answer, nothing written.
pub async fn submit(
    flows: &Flows,
    person: PersonId,
    verification: &Verification,
) -> Result<VerificationResponse, FlowError> {
    let level = level_of(verification);
    let kept = Kept::of(verification);
    // Another submission of the same person recorded between looking and writing: look again
    // (the second look answers from what the other recorded, or records this one).
    for _ in 0..3 {
        let user = person_row(flows, person).await?;
        let tier = tier_of(&user)?;
        if level == 2 && tier < 1 {
            return Err(FlowError::DocumentBeforeIdentity);
        }
        let latest = flows.db.latest_verification(person, Some(i64::from(level))).await?;
        if tier >= level {
            let verification = latest.as_ref().map_or(
                VerificationState { status: VerificationStatus::Verified, reason_code: None },
                state_of,
            );
            return Ok(VerificationResponse { verification, tier });
        }
        let (outcome, hit) = decide(flows, verification).await?;
        let (status, reason_code) = match &outcome {
            IdentityOutcome::Verified => (VerificationStatus::Verified, None),
            IdentityOutcome::Rejected { reason_code } => {
                (VerificationStatus::Rejected, Some(reason_code.clone()))
            }
            IdentityOutcome::UnderReview { reason_code } => {
                (VerificationStatus::UnderReview, Some(reason_code.clone()))
            }
        };
        let verified = status == VerificationStatus::Verified;
        let answer = VerificationResponse {
            verification: VerificationState { status, reason_code: reason_code.clone() },
            tier: if verified { level } else { tier },
        };
        if latest
            .as_ref()
            .is_some_and(|row| row.kept == kept && row.status == status && row.reason_code == reason_code)
        {
            return Ok(answer);
        }
        let region_state = match (verified, verification) {
            (true, Verification::Identity { address, .. }) => Some(address.state.clone()),
            _ => None,
        };
        let status_if_active = match status {
            VerificationStatus::UnderReview => Some(AccountStatus::UnderReview),
            _ => region_state
                .as_deref()
                .filter(|state| !flows.settings.licensed_states.contains(state))
                .map(|_| AccountStatus::Restricted),
        };
        let new = NewVerification {
            person,
            level: i64::from(level),
            status,
            reason_code,
            kept: kept.clone(),
            created_at: flows.now(),
            tier: verified.then_some(i64::from(level)),
            region_state,
            status_if_active,
        };
        if flows.db.record_verification(&new, latest.map(|row| row.id)).await? {
            tracing::info!(person = person.0, level, status = status.as_str(), "verification recorded");
            if let (Some(hit), Verification::Identity { legal_name, .. }) = (hit, verification) {
                record_hit(flows, person, legal_name, hit).await?;
            }
            return Ok(answer);
        }
    }
    Err(FlowError::unavailable("the person's verification kept changing; try again"))
}

/// The provider's answer, then (for a verified identity) the sanctions screening of the legal
/// name: a match sends it to review, with the reason code every review has.
async fn decide(
    flows: &Flows,
    verification: &Verification,
) -> Result<(IdentityOutcome, Option<ScreeningHit>), FlowError> {
    let outcome = flows.identity.verify(verification, today(flows)).await?;
    if let (IdentityOutcome::Verified, Verification::Identity { legal_name, .. }) = (&outcome, verification)
        && let Some(hit) = super::review::screen(flows, legal_name).await?
    {
        return Ok((IdentityOutcome::under_review(reason::MANUAL_REVIEW), Some(hit)));
    }
    Ok((outcome, None))
}

/// A sanctions hit at verification: recorded as the person's screening against the list's
/// version (so their payments are held until an officer clears it) and a case for officers.
async fn record_hit(flows: &Flows, person: PersonId, name: &str, hit: ScreeningHit) -> Result<(), FlowError> {
    match super::review::record(flows, person, name, &hit.list_version, Some(&hit)).await? {
        Some(sanctions) => super::cases::open_for_verification(flows, person, sanctions).await,
        None => Ok(()),
    }
}

fn state_of(row: &VerificationRow) -> VerificationState {
    VerificationState { status: row.status, reason_code: row.reason_code.clone() }
}

async fn person_row(flows: &Flows, person: PersonId) -> Result<UserRow, FlowError> {
    flows.db.users_by_ids(&[person]).await?.into_iter().next().ok_or(FlowError::NotFound(Missing::Thing))
}

fn tier_of(user: &UserRow) -> Result<u8, FlowError> {
    u8::try_from(user.tier)
        .map_err(|_| FlowError::internal(format!("person {} has tier {}", user.id, user.tier)))
}
