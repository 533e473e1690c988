//! `/ops/cases/:id`: one case and its evidence (officers only): the rule in words, its inputs,
//! every rule the movement hit, the sanctions match if any (name, list entry, score, list
//! version), the held movement, the person (linked to their page) and their recent activity,
//! the decisions so far with their notes, whether a second officer is needed; Approve / Reject
//! with a required note while it is open; the report's download for 2,000.00 or more. Kept
//! current by `case` events (another officer's decision shows without a reload).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use purse_api::Activity;
use purse_api::ops::{Approval, Case, CaseStatus};
use send_wrapper::SendWrapper;

use crate::api_client::{self, ApiError};
use crate::components::activity_row::{kind_label, status_label};
use crate::components::decision_form::{Action, DecisionForm};
use crate::components::focus::focus_later;
use crate::components::money::MoneyDisplay;
use crate::components::officer_gate::OfficerOnly;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::ops_view::{
    approvals_sentence, at_handle, case_amount, case_status_label, decision_error, decision_outcome,
    has_report, reason_label,
};
use crate::format;
use crate::live::{Handlers, Live};
use crate::text::{Ops, t};

#[component]
pub fn OpsCasePage() -> impl IntoView {
    view! { <OfficerOnly><CaseView /></OfficerOnly> }
}

/// Case ids are `cs_` and base32: anything else is not one (and goes into no path).
fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[component]
fn CaseView() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let case: RwSignal<Option<Result<Case, ApiError>>> = RwSignal::new(None);
    // Kept here, not in the form: a live update redraws the case, and neither the note being
    // typed nor what the last decision did may be lost to it.
    let note = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<&'static str>);
    let load = move || {
        let id = id.get_untracked();
        case.set(None);
        leptos::task::spawn_local(async move {
            let answer = if plain_id(&id) {
                api_client::ops_case(&id).await
            } else {
                Err(ApiError::from_answer(404, ""))
            };
            case.set(Some(answer));
        });
    };
    Effect::new(move |_| {
        id.track();
        load();
    });

    // Another officer's decision (or the second approval) arrives live; the recent activity
    // is only in the full read, so it is kept.
    let live = Live::connect(Handlers {
        activity: Box::new(|_| {}),
        balance: Box::new(|_| {}),
        request: Box::new(|_| {}),
        case: Some(Box::new(move |update| {
            case.update(|current| {
                if let Some(Ok(shown)) = current
                    && shown.id == update.id
                {
                    let mut update = update.clone();
                    update.evidence.recent_activity = std::mem::take(&mut shown.evidence.recent_activity);
                    *shown = update;
                }
            });
        })),
        status: Box::new(|_| {}),
        resync: Box::new(load),
    });
    let live = SendWrapper::new(live);
    on_cleanup(move || drop(live));

    view! {
        <section class="card ops-case" aria-labelledby="ops-case-title">
            <p><a href="/ops">{t(Ops::BackToQueue)}</a></p>
            {move || match case.get() {
                None => view! { <h1 id="ops-case-title">{t(Ops::CaseTitle)}</h1><SkeletonList rows=4 /> }.into_any(),
                Some(Err(error)) if error.status == Some(404) => view! {
                    <h1 id="ops-case-title">{t(Ops::CaseTitle)}</h1>
                    <p>{t(Ops::CaseMissing)}</p>
                }.into_any(),
                Some(Err(error)) => view! {
                    <h1 id="ops-case-title">{t(Ops::CaseTitle)}</h1>
                    <ErrorState permanent=error.is_permanent() message=error.message on_retry=move |()| load() no_money_moved=true />
                }.into_any(),
                Some(Ok(shown)) => view! { <CaseDetails shown case note outcome /> }.into_any(),
            }}
            <p id="decision-outcome" class="ops-outcome" role="status" tabindex="-1">{move || outcome.get()}</p>
        </section>
    }
}

#[component]
fn CaseDetails(
    shown: Case,
    case: RwSignal<Option<Result<Case, ApiError>>>,
    note: RwSignal<String>,
    outcome: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let status = shown.status;
    let evidence = shown.evidence.clone();
    let inputs: Vec<(String, String)> = evidence.inputs.clone().into_iter().collect();
    let person_href = format!("/ops/people/{}", shown.person.handle.trim_start_matches('@'));
    let report = has_report(&shown).then(|| {
        let href = api_client::ops_report_path(&shown.id);
        let file = format!("{}-report.json", shown.id);
        view! { <p><a class="button button-secondary" href=href download=file data-test="case-report">{t(Ops::DownloadReport)}</a></p> }
    });
    view! {
        <div class="ops-case-head">
            <h1 id="ops-case-title">{reason_label(shown.reason_code)}</h1>
            <span class="badge" data-case-status=status.as_str()>{case_status_label(status)}</span>
        </div>
        <p class="ops-case-amount">
            <span class="money">{case_amount(&shown).unwrap_or_else(|| t(Ops::NoMovement).to_string())}</span>
        </p>
        <dl class="facts">
            <div><dt>{t(Ops::CaseTitle)}</dt><dd class="case-id">{shown.id.clone()}</dd></div>
            <div><dt>{t(Ops::ColReason)}</dt><dd><code>{shown.reason_code.as_str()}</code></dd></div>
            <div><dt>{t(Ops::Subject)}</dt><dd>
                <a href=person_href data-test="case-person">{shown.person.display_name.clone()}" "<bdi>{at_handle(&shown.person.handle)}</bdi></a>
            </dd></div>
            {shown.movement.clone().map(|movement| view! {
                <div><dt>{t(Ops::Movement)}</dt><dd>
                    <bdi>{at_handle(&movement.from)}</bdi>" → "<bdi>{at_handle(&movement.to)}</bdi>" · "{movement.kind}
                </dd></div>
            })}
            <div><dt>{t(Ops::ColOpened)}</dt><dd><time datetime=shown.opened_at.clone()>{format::when(&shown.opened_at)}</time></dd></div>
        </dl>
        {report}

        <section class="ops-section" aria-labelledby="evidence-title">
            <h2 id="evidence-title">{t(Ops::EvidenceHeading)}</h2>
            <dl class="facts">
                <div><dt>{t(Ops::Rule)}</dt><dd data-test="case-rule">{evidence.rule.clone()}</dd></div>
                <div><dt>{t(Ops::Hits)}</dt><dd>
                    <ul class="ops-hits">
                        {evidence.hits.iter().map(|hit| view! {
                            <li>{reason_label(*hit)}" "<code>{hit.as_str()}</code></li>
                        }).collect_view()}
                    </ul>
                </dd></div>
            </dl>
            {(!inputs.is_empty()).then(|| view! {
                <h3>{t(Ops::Inputs)}</h3>
                <dl class="facts ops-inputs">
                    {inputs.into_iter().map(|(name, value)| view! {
                        <div><dt><code>{name}</code></dt><dd>{value}</dd></div>
                    }).collect_view()}
                </dl>
            })}
            {evidence.sanctions.clone().map(|hit| view! {
                <h3>{t(Ops::SanctionsHeading)}</h3>
                <dl class="facts ops-sanctions" data-test="case-sanctions">
                    <div><dt>{t(Ops::SanctionsName)}</dt><dd>{hit.name}" "<bdi>{at_handle(&hit.handle)}</bdi></dd></div>
                    <div><dt>{t(Ops::SanctionsEntry)}</dt><dd>{hit.entry}</dd></div>
                    <div><dt>{t(Ops::SanctionsScore)}</dt><dd>{hit.score}</dd></div>
                    <div><dt>{t(Ops::SanctionsList)}</dt><dd>{hit.list_version}</dd></div>
                </dl>
            })}
        </section>

        <section class="ops-section" aria-labelledby="recent-title">
            <h2 id="recent-title">{t(Ops::RecentActivity)}</h2>
            <RecentActivity items=evidence.recent_activity.clone() />
        </section>

        <section class="ops-section" aria-labelledby="approvals-title">
            <h2 id="approvals-title">{t(Ops::ApprovalsHeading)}</h2>
            <Decisions approvals=shown.approvals.clone() rejection=shown.rejection.clone() />
            {approvals_sentence(&shown).map(|sentence| view! {
                <p class="notice ops-needs-second" data-test="needs-second">{sentence}</p>
            })}
        </section>

        {(status == CaseStatus::Open).then(|| view! { <Decide id=shown.id.clone() case note outcome /> })}
        {(status != CaseStatus::Open).then(|| view! { <p class="muted">{t(Ops::ClosedCase)}</p> })}
    }
}

/// The decisions so far, oldest first, each with its officer, time and note.
#[component]
fn Decisions(approvals: Vec<Approval>, rejection: Option<Approval>) -> impl IntoView {
    if approvals.is_empty() && rejection.is_none() {
        return view! { <p class="muted">{t(Ops::NoApprovals)}</p> }.into_any();
    }
    let rows = approvals
        .into_iter()
        .map(|approval| (t(Ops::ApprovedBy), "approved", approval))
        .chain(rejection.map(|rejection| (t(Ops::RejectedBy), "rejected", rejection)));
    view! {
        <ul class="ops-decisions">
            {rows.map(|(words, kind, decision)| view! {
                <li class="ops-decision" data-decision=kind>
                    <p>{words}" "<bdi>{at_handle(&decision.operator)}</bdi>" · "<time datetime=decision.at.clone()>{format::when(&decision.at)}</time></p>
                    <blockquote class="ops-note">{decision.note}</blockquote>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The person's recent activity as they see it (not linked: their receipts are theirs).
#[component]
fn RecentActivity(items: Vec<Activity>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">{t(Ops::NoRecentActivity)}</p> }.into_any();
    }
    view! {
        <ul class="ops-recent">
            {items.into_iter().map(|activity| view! {
                <li class="ops-recent-row" data-status=format!("{:?}", activity.status).to_lowercase()>
                    <span>
                        {kind_label(activity.kind)}
                        {activity.counterparty.map(|person| view! { " "<bdi>"@"{person.handle.to_string()}</bdi> })}
                        <span class="muted">" · "{format::when(&activity.created_at)}" · "{status_label(activity.status)}</span>
                    </span>
                    <MoneyDisplay amount=activity.amount currency=activity.currency direction=activity.direction />
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Approve / Reject with a required note. The answer replaces the case (a first approval of
/// two keeps it open, and the form, emptied); a refusal says why, the two-person rule's in
/// its own words.
#[component]
fn Decide(
    id: String,
    case: RwSignal<Option<Result<Case, ApiError>>>,
    note: RwSignal<String>,
    outcome: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let busy = RwSignal::new(None::<bool>);
    let error = RwSignal::new(None::<String>);
    let on_decide = Callback::new(move |(approve, text): (bool, String)| {
        let id = id.clone();
        busy.set(Some(approve));
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api_client::ops_decide(&id, approve, text).await {
                Ok(updated) => {
                    outcome.set(Some(decision_outcome(approve, &updated)));
                    note.set(String::new());
                    case.update(|current| {
                        if let Some(Ok(shown)) = current {
                            let recent = std::mem::take(&mut shown.evidence.recent_activity);
                            *shown = updated;
                            shown.evidence.recent_activity = recent;
                        }
                    });
                    focus_later("decision-outcome");
                }
                Err(refused) => error.set(Some(decision_error(refused.code, &refused.message))),
            }
            busy.set(None);
        });
    });
    let actions = vec![
        Action {
            value: true,
            label: t(Ops::Approve),
            busy_label: t(Ops::Approving),
            primary: true,
            danger: false,
            name: "approve",
        },
        Action {
            value: false,
            label: t(Ops::Reject),
            busy_label: t(Ops::Rejecting),
            primary: false,
            danger: false,
            name: "reject",
        },
    ];
    view! {
        <section class="ops-section ops-decide" aria-labelledby="decide-title">
            <h2 id="decide-title">{t(Ops::DecideHeading)}</h2>
            <DecisionForm id="decision-note" actions busy error note on_decide />
        </section>
    }
}
