//! The frame every page slots into: a skip link, the header with the brand, navigation and the
//! account (name and sign-out, or sign-in), and the `main` landmark. The hosted checkout
//! (`/checkout/…`) is a focused page: the brand only, no navigation or account links to wander
//! off through (it has its own sign-in and its own way back to the merchant).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

use purse_api::Role;

use crate::api_client;
use crate::session::{SessionState, use_session};
use crate::text::{Funding, Text, t};

/// Moves keyboard focus to the page's content. The router handles every link click itself,
/// so the browser's own fragment navigation (which would focus `#main`) never happens: this
/// does it by hand.
fn skip_to_content(event: leptos::ev::MouseEvent) {
    event.prevent_default();
    let main = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("main"))
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(main) = main {
        let _ = main.focus();
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let focused = Memo::new(move |_| location.pathname.with(|path| path.starts_with("/checkout/")));
    view! {
        <a class="skip-link" href="#main" on:click=skip_to_content>{t(Text::SkipToContent)}</a>
        <header class="app-header" class:app-header-focused=move || focused.get()>
            <A href="/wallet" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                <span>{t(Text::Brand)}</span>
            </A>
            {move || (!focused.get()).then(|| view! {
                <nav class="app-nav" aria-label=t(Text::MainNavigation)>
                    <A href="/wallet" exact=true>{t(Text::NavWallet)}</A>
                    {move || session.user().filter(|user| user.roles.contains(&Role::Creator)).map(|_| view! {
                        <A href="/creator">{t(Text::CreatorNav)}</A>
                    })}
                    <A href="/status">{t(Text::NavStatus)}</A>
                </nav>
                <Account />
            })}
        </header>
        <main id="main" class="app-main" class:app-main-focused=move || focused.get() tabindex="-1">
            {children()}
        </main>
    }
}

/// Who is signed in, with sign-out; or the way to sign in.
#[component]
fn Account() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let sign_out = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Signed out here whatever the answer: the cookie is the server's to end.
            let _ = api_client::sign_out().await;
            session.set_user(None);
            busy.set(false);
            navigate("/wallet", Default::default());
        });
    };
    move || {
        match session.state.get() {
        SessionState::SignedIn(user) => view! {
            <div class="account">
                <span class="account-name" title=format!("@{}", user.handle)>
                    <span class="visually-hidden">{t(Text::SignedInAs)}" "</span>{user.display_name.clone()}
                </span>
                <A href="/settings/pin" attr:class="account-link">{t(Text::PinTitle)}</A>
                <A href="/settings/payment-methods" attr:class="account-link">{t(Funding::PaymentMethodsNav)}</A>
                <button type="button" class="button button-small button-secondary" on:click=sign_out.clone() disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::SigningOut) } else { t(Text::SignOut) }}
                </button>
            </div>
        }
        .into_any(),
        SessionState::SignedOut => view! {
            <div class="account"><A href="/signin" attr:class="button button-small">{t(Text::SignIn)}</A></div>
        }
        .into_any(),
        _ => view! { <div class="account"></div> }.into_any(),
    }
    }
}
