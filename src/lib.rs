//! `purse-web`: the Purse single-page app (Leptos, client-side rendered, built by Trunk).
//!
//! `App` holds the routes; one file per page under `pages/`, shared pieces under
//! `components/`. Pages talk to the server only through [`api_client`]. Decisions a page makes
//! from data live in plain structs next to it (like [`pages::status::StatusView`]) and are
//! tested natively; the DOM is tested in a real browser with `wasm-bindgen-test`. Every
//! string people read comes from [`text`].

pub mod api_client;
pub mod components;
pub mod pages;
pub mod text;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::pages::{home::Home, not_found::NotFound, status::Status};

/// The whole app: the layout every page slots into, and the routes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/status") view=Status />
                </Routes>
            </Layout>
        </Router>
    }
}
