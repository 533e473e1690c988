//! The frame every page slots into: a skip link, the header with the brand and navigation,
//! and the `main` landmark.

use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;

use crate::text::{Text, t};

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
    view! {
        <a class="skip-link" href="#main" on:click=skip_to_content>{t(Text::SkipToContent)}</a>
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
