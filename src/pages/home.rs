//! `/` and `/wallet`: the wallet for a signed-in person; a welcome with the way in for everyone
//! else. `/activity`: the same wallet's activity alone (the tab bar's Activity).

use leptos::prelude::*;
use leptos_router::components::A;
use purse_api::User;

use crate::components::incoming_requests::IncomingRequests;
use crate::components::states::{ErrorState, SkeletonList};
use crate::pages::wallet::WalletHome;
use crate::session::{SessionState, use_session};
use crate::text::{Text, t};

#[component]
pub fn Home() -> impl IntoView {
    for_the_session(|user| view! { <WalletHome user=user><IncomingRequests /></WalletHome> }.into_any())
}

#[component]
pub fn ActivityHome() -> impl IntoView {
    for_the_session(|user| view! { <WalletHome user=user activity_only=true /> }.into_any())
}

/// `signed_in` for a signed-in person, the welcome when signed out, a skeleton while the
/// session is checked, and a way to try again when it cannot be.
fn for_the_session(signed_in: fn(User) -> AnyView) -> impl IntoView {
    let session = use_session();
    move || match session.state.get() {
        SessionState::Checking => {
            view! { <section class="card"><SkeletonList rows=3 /></section> }.into_any()
        }
        SessionState::SignedIn(user) => signed_in(user),
        SessionState::SignedOut => view! { <Welcome /> }.into_any(),
        SessionState::Unknown(message) => view! {
            <section class="card">
                <ErrorState message=message on_retry=move |()| session.refresh() no_money_moved=true />
            </section>
        }
        .into_any(),
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card hero" aria-labelledby="welcome-title">
            <h1 id="welcome-title">{t(Text::WelcomeTitle)}</h1>
            <p class="lead">{t(Text::WelcomeLead)}</p>
            <div class="actions">
                <A href="/signup" attr:class="button">{t(Text::CreateAccount)}</A>
                <A href="/signin" attr:class="button button-secondary">{t(Text::SignIn)}</A>
            </div>
        </section>
    }
}
