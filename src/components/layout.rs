//! The frame every page slots into: a skip link, the header with the brand and navigation,
//! and the `main` landmark.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::text::{Text, t};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">{t(Text::SkipToContent)}</a>
        <header class="app-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                <span>{t(Text::Brand)}</span>
            </A>
            <nav class="app-nav" aria-label=t(Text::MainNavigation)>
                <A href="/" exact=true>{t(Text::NavHome)}</A>
                <A href="/status">{t(Text::NavStatus)}</A>
            </nav>
        </header>
        <main id="main" class="app-main" tabindex="-1">
            {children()}
        </main>
    }
}
