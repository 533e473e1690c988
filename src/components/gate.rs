//! Pages for signed-in people only: nothing while the session is being checked, the sign-in
//! form itself when signed out (signing in keeps the person on this very page, its query and
//! all; the sign-up link carries it as `?next=`), the page itself when signed in. On a pay link
//! (`/pay/{handle}?amount=&note=`) the signed-out view first says whom and how much the person
//! is about to pay. The page is built once per sign-in, so updates to the person's details (a
//! PIN set) do not rebuild a form halfway through.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::profile_preview::PayIntent;
use crate::components::sign_in::SignInForm;
use crate::session::use_session;
use crate::text::{Text, t};

#[component]
pub fn SignedInOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.person().map(|person| person.is_some()));
    move || match signed_in.get() {
        None => ().into_any(),
        Some(true) => children().into_any(),
        Some(false) => view! { <SignInHere /> }.into_any(),
    }
}

/// The way in, on the page the person wanted.
#[component]
fn SignInHere() -> impl IntoView {
    let location = use_location();
    let query = use_query_map();
    let payee = location
        .pathname
        .get_untracked()
        .strip_prefix("/pay/")
        .map(|rest| rest.trim_end_matches('/').to_string());
    let intent = payee.map(|handle| {
        let query = query.get_untracked();
        view! { <PayIntent handle=handle amount=query.get("amount") note=query.get("note") /> }
    });
    view! {
        {intent}
        <section class="card form-card sign-in-gate" aria-labelledby="gate-title">
            <h1 id="gate-title">{t(Text::SignInTitle)}</h1>
            <p class="muted">{t(Text::SignInToContinue)}</p>
            <SignInForm />
        </section>
    }
}
