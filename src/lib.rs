//! `purse-web`: the Purse single-page app (Leptos, client-side rendered, built by Trunk), and
//! the same code embedded in a host page ([`embed`]: Tip buttons and the wallet drawer).
//!
//! `App` holds the routes; one file per page under `pages/`, shared pieces under
//! `components/`. Pages talk to the server only through [`api_client`] (and the live stream,
//! [`live`]). Decisions a page makes from data live in plain types (like [`feed::Feed`],
//! [`pages::status::StatusView`], [`checkout::CheckoutFlow`] and the money-in-and-out flows in
//! [`funding`]) and are tested natively; the DOM is tested in a real browser with
//! `wasm-bindgen-test`. Every string people read comes from [`text`].

pub mod api_client;
pub mod checkout;
pub mod components;
pub mod embed;
pub mod feed;
pub mod format;
pub mod funding;
pub mod live;
pub mod pages;
pub mod qr;
pub mod session;
pub mod text;
pub mod tip;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::pages::add_money::AddMoneyPage;
use crate::pages::auth::{SignIn, SignUp};
use crate::pages::checkout::CheckoutPage;
use crate::pages::creator::CreatorPage;
use crate::pages::home::Home;
use crate::pages::not_found::NotFound;
use crate::pages::payment_methods::PaymentMethodsPage;
use crate::pages::pin::PinSettings;
use crate::pages::profile::Profile;
use crate::pages::receipt::Receipt;
use crate::pages::request::RequestPage;
use crate::pages::send::SendPage;
use crate::pages::status::Status;
use crate::pages::withdraw::WithdrawPage;

/// The whole app: the session, the layout every page slots into, and the routes.
#[component]
pub fn App() -> impl IntoView {
    session::provide_session();
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/wallet") view=Home />
                    <Route path=path!("/creator") view=CreatorPage />
                    <Route path=path!("/signin") view=SignIn />
                    <Route path=path!("/signup") view=SignUp />
                    <Route path=path!("/activity/:id") view=Receipt />
                    <Route path=path!("/settings/pin") view=PinSettings />
                    <Route path=path!("/settings/payment-methods") view=PaymentMethodsPage />
                    <Route path=path!("/add-money") view=AddMoneyPage />
                    <Route path=path!("/withdraw") view=WithdrawPage />
                    <Route path=path!("/send") view=SendPage />
                    <Route path=path!("/pay/:handle") view=SendPage />
                    <Route path=path!("/request") view=RequestPage />
                    <Route path=path!("/u/:handle") view=Profile />
                    <Route path=path!("/status") view=Status />
                    <Route path=path!("/checkout/:id") view=CheckoutPage />
                </Routes>
            </Layout>
        </Router>
    }
}
