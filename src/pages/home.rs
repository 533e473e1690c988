//! `/`: the landing page until the wallet arrives.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::text::{Text, t};

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="home-title">
            <h1 id="home-title">{t(Text::HomeTitle)}</h1>
            <p class="lead">{t(Text::HomeLead)}</p>
            <A href="/status" attr:class="button button-secondary">{t(Text::HomeStatusLink)}</A>
        </section>
    }
}
