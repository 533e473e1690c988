//! The compliance console's frame: only an officer (`roles` holding `compliance`) sees what it
//! wraps; anyone else, signed in or not, sees the app's not-found page (the console does not
//! say it exists). A skeleton while the session is checked. Above the page, the console's own
//! navigation (cases, audit log).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::states::SkeletonList;
use crate::flows::ops_view::is_officer;
use crate::pages::not_found::NotFound;
use crate::session::use_session;
use crate::text::{Ops, t};

#[component]
pub fn OfficerOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || match session.person() {
        None => view! { <section class="card"><SkeletonList rows=3 /></section> }.into_any(),
        Some(Some(user)) if is_officer(&user) => view! { <OpsNav />{children()} }.into_any(),
        Some(_) => view! { <NotFound /> }.into_any(),
    }
}

/// The console's sections, the current one marked.
#[component]
fn OpsNav() -> impl IntoView {
    let location = use_location();
    let current = move |audit: bool| {
        move || {
            let on_audit = location.pathname.with(|path| path.starts_with("/ops/audit"));
            (on_audit == audit).then_some("page")
        }
    };
    view! {
        <nav class="ops-nav" aria-label=t(Ops::ConsoleNav)>
            <a href="/ops" aria-current=current(false)>{t(Ops::QueueNav)}</a>
            <a href="/ops/audit" aria-current=current(true)>{t(Ops::AuditNav)}</a>
        </nav>
    }
}
