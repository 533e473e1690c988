//! Any path no route knows.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::text::{Text, t};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card empty-state" aria-labelledby="not-found-title">
            <h1 id="not-found-title">{t(Text::NotFoundTitle)}</h1>
            <p>{t(Text::NotFoundLead)}</p>
            <A href="/wallet" attr:class="button">{t(Text::BackHome)}</A>
        </section>
    }
}
