//! Pages for signed-in people only: nothing while the session is being checked, the way in
//! when signed out, the page itself when signed in. The page is built once per sign-in, so
//! updates to the person's details (a PIN set) do not rebuild a form halfway through.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::use_session;
use crate::text::{Text, t};

#[component]
pub fn SignedInOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.person().map(|person| person.is_some()));
    move || {
        match signed_in.get() {
        None => ().into_any(),
        Some(true) => children().into_any(),
        Some(false) => view! {
            <section class="card"><p>{t(Text::SignInTitle)}</p><A href="/signin" attr:class="button">{t(Text::SignIn)}</A></section>
        }
        .into_any(),
    }
    }
}
