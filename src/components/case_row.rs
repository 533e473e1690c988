//! One case in a list (the queue, a person's cases): its reason in words and as the code, the
//! amount held, the two people by @handle, when it was opened and, once closed, how it ended.
//! The whole row links to the case.

use leptos::prelude::*;
use purse_api::ops::{Case, CaseStatus};

use crate::flows::ops_view::{at_handle, case_amount, case_status_label, reason_label};
use crate::format;
use crate::text::{Ops, t};

#[component]
pub fn CaseRow(case: Case, #[prop(optional)] fresh: bool) -> impl IntoView {
    let href = format!("/ops/cases/{}", case.id);
    let status = case.status.as_str();
    let people = match &case.movement {
        Some(movement) => view! {
            <bdi>{at_handle(&movement.from)}</bdi>" → "<bdi>{at_handle(&movement.to)}</bdi>
        }
        .into_any(),
        None => view! { <bdi>{at_handle(&case.person.handle)}</bdi> }.into_any(),
    };
    view! {
        <li class="case-row" class:fresh=fresh data-id=case.id.clone() data-status=status>
            <a class="case-link" href=href>
                <span class="case-main">
                    <span class="case-reason">
                        {reason_label(case.reason_code)}" "
                        <code class="case-code">{case.reason_code.as_str()}</code>
                    </span>
                    <span class="case-people"><span class="visually-hidden">{t(Ops::ColPeople)}": "</span>{people}</span>
                    <span class="case-opened muted">
                        <span class="visually-hidden">{t(Ops::ColOpened)}": "</span>
                        <time datetime=case.opened_at.clone()>{format::when(&case.opened_at)}</time>
                    </span>
                </span>
                <span class="case-side">
                    <span class="money case-amount">{case_amount(&case).unwrap_or_else(|| t(Ops::NoMovement).to_string())}</span>
                    {(case.status != CaseStatus::Open).then(|| view! {
                        <span class="badge" data-case-status=status>{case_status_label(case.status)}</span>
                    })}
                </span>
            </a>
        </li>
    }
}
