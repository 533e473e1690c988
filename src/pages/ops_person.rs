//! `/ops/people/:handle`: one person as an officer sees them (officers only): their status and
//! tier, their cases (newest first, each linked), and Freeze / Unfreeze with a required note.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use purse_api::Handle;
use purse_api::compliance::AccountStatus;
use purse_api::ops::OpsPersonPage;

use crate::api_client::{self, ApiError};
use crate::components::case_row::CaseRow;
use crate::components::decision_form::{Action, DecisionForm};
use crate::components::focus::focus_later;
use crate::components::officer_gate::OfficerOnly;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::limits_view::status_word;
use crate::flows::ops_view::at_handle;
use crate::text::{Limits, Ops, t};

#[component]
pub fn OpsPersonPage() -> impl IntoView {
    view! { <OfficerOnly><PersonView /></OfficerOnly> }
}

#[component]
fn PersonView() -> impl IntoView {
    let params = use_params_map();
    let handle = Memo::new(move |_| params.read().get("handle").and_then(|h| Handle::parse(&h).ok()));
    let page: RwSignal<Option<Result<OpsPersonPage, ApiError>>> = RwSignal::new(None);
    let note = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<&'static str>);
    let load = move || {
        let handle = handle.get_untracked();
        page.set(None);
        leptos::task::spawn_local(async move {
            page.set(Some(match handle {
                Some(handle) => api_client::ops_person(&handle).await,
                None => Err(ApiError::from_answer(404, "")),
            }));
        });
    };
    Effect::new(move |_| {
        handle.track();
        load();
    });
    view! {
        <section class="card ops-person" aria-labelledby="ops-person-title">
            <p><a href="/ops">{t(Ops::BackToQueue)}</a></p>
            {move || match page.get() {
                None => view! { <h1 id="ops-person-title">{t(Ops::PersonTitle)}</h1><SkeletonList rows=3 /> }.into_any(),
                Some(Err(error)) if error.status == Some(404) => view! {
                    <h1 id="ops-person-title">{t(Ops::PersonTitle)}</h1>
                    <p>{t(Ops::PersonMissing)}</p>
                }.into_any(),
                Some(Err(error)) => view! {
                    <h1 id="ops-person-title">{t(Ops::PersonTitle)}</h1>
                    <ErrorState permanent=error.is_permanent() message=error.message on_retry=move |()| load() no_money_moved=true />
                }.into_any(),
                Some(Ok(shown)) => view! { <PersonDetails shown page note outcome /> }.into_any(),
            }}
            <p id="freeze-outcome" class="ops-outcome" role="status" tabindex="-1">{move || outcome.get()}</p>
        </section>
    }
}

#[component]
fn PersonDetails(
    shown: OpsPersonPage,
    page: RwSignal<Option<Result<OpsPersonPage, ApiError>>>,
    note: RwSignal<String>,
    outcome: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let person = shown.person.clone();
    let (status_text, status_code) = status_word(person.status);
    let name = person.display_name.clone().unwrap_or_else(|| at_handle(&person.handle));
    let tier = person.tier.map(|tier| t(Limits::TierN).replace("{n}", &tier.to_string()));
    let frozen = person.status == AccountStatus::Frozen;
    let busy = RwSignal::new(None::<bool>);
    let error = RwSignal::new(None::<String>);
    let handle = Handle::parse(&person.handle).ok();
    let on_decide = Callback::new(move |(freeze, text): (bool, String)| {
        let Some(handle) = handle.clone() else { return };
        busy.set(Some(freeze));
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api_client::ops_freeze(&handle, freeze, text).await {
                Ok(updated) => {
                    note.set(String::new());
                    outcome.set(Some(t(if freeze { Ops::DoneFrozen } else { Ops::DoneUnfrozen })));
                    page.update(|current| {
                        if let Some(Ok(shown)) = current {
                            shown.person.status = updated.status;
                        }
                    });
                    focus_later("freeze-outcome");
                }
                Err(refused) => error.set(Some(refused.message)),
            }
            busy.set(None);
        });
    });
    let action = if frozen {
        Action {
            value: false,
            label: t(Ops::Unfreeze),
            busy_label: t(Ops::Unfreezing),
            primary: true,
            danger: false,
            name: "unfreeze",
        }
    } else {
        Action {
            value: true,
            label: t(Ops::Freeze),
            busy_label: t(Ops::Freezing),
            primary: false,
            danger: true,
            name: "freeze",
        }
    };
    view! {
        <h1 id="ops-person-title">{name}" "<bdi class="muted">{at_handle(&person.handle)}</bdi></h1>
        <dl class="facts">
            <div><dt>{t(Ops::PersonStatus)}</dt><dd data-test="person-status" data-status=status_code>{status_text}</dd></div>
            {tier.map(|tier| view! { <div><dt>{t(Ops::PersonTier)}</dt><dd>{tier}</dd></div> })}
        </dl>
        <section class="ops-section" aria-labelledby="person-freeze-title">
            <h2 id="person-freeze-title">{action.label}</h2>
            <DecisionForm id="freeze-note" actions=vec![action] busy error note on_decide />
        </section>
        <section class="ops-section" aria-labelledby="person-cases-title">
            <h2 id="person-cases-title">{t(Ops::PersonCases)}</h2>
            {if shown.cases.is_empty() {
                view! { <p class="muted">{t(Ops::PersonNoCases)}</p> }.into_any()
            } else {
                view! {
                    <ul class="case-list">
                        {shown.cases.into_iter().map(|case| view! { <CaseRow case /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
