//! Where a person stands (`GET /me/compliance`): their tier, status and region, their
//! verification, one meter per limit with what is used and left and when room comes back, what
//! the next tier would give, and their held movements. The meters are purse-api's arithmetic
//! ([`purse_api::compliance::meters`]) over what the money path counted (`store::usage`; deposits:
//! the UTC day's `daily_totals`), so the page and the browser's preview say what the server will
//! decide.

use purse_api::compliance::{Compliance, LimitKind, LimitTable, NextTier, Usage, meters};

use crate::flows::{FlowError, Flows, verification};
use crate::store::funding::Cap;
use crate::store::people::UserRow;
use crate::time::Time;

/// `user`'s standing and limits now.
pub async fn compliance(flows: &Flows, user: &UserRow) -> Result<Compliance, FlowError> {
    let now = flows.now();
    let (standing, send, receive, withdraw, deposit) = tokio::try_join!(
        verification::standing(flows, user),
        async { Ok(flows.db.usage(user.id, LimitKind::Send, now).await?) },
        async { Ok(flows.db.usage(user.id, LimitKind::Receive, now).await?) },
        async { Ok(flows.db.usage(user.id, LimitKind::Withdraw, now).await?) },
        async { Ok::<_, FlowError>(flows.db.cap_used(Cap::Deposit, user.id, now.utc_day()).await?) },
    )?;
    let usage = |kind| match kind {
        LimitKind::Send => send,
        LimitKind::Receive => receive,
        LimitKind::Withdraw => withdraw,
        LimitKind::Deposit => Usage { used_minor: deposit, oldest_ns: None },
    };
    let table = &flows.settings.limits;
    let items = |tier| -> Vec<_> {
        meters(table, tier, usage, now.nanos())
            .iter()
            .map(|meter| meter.item(|ns| Time::from_nanos(ns).rfc3339()))
            .collect()
    };
    let tier = standing.tier;
    Ok(Compliance {
        tier,
        status: standing.status,
        region: standing.region,
        verification: standing.verification,
        limits: items(tier),
        next_tier: LimitTable::next_tier(tier).map(|next| NextTier { tier: next, unlocks: items(next) }),
        // Movements held for review come with monitoring (issue 21); until then nothing is held.
        holds: super::review::holds(flows, user.id).await?,
    })
}
