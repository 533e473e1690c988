//! `purse-web`: the Purse single-page app (Leptos, client-side rendered, built by Trunk), and
//! the same code embedded in a host page ([`embed`]: Tip buttons and the wallet drawer).
//!
//! `App` holds the routes; one file per page under `pages/`, shared pieces under
//! `components/`, and the state and decisions they draw under [`flows`] (plain Rust, tested
//! natively; the rule is in its header). Pages talk to the server only through [`api_client`]
//! (and the live stream, [`live`]); the DOM is tested in a real browser with
//! `wasm-bindgen-test`. Every string people read comes from [`text`].

pub mod api_client;
pub mod components;
pub mod embed;
pub mod flows;
pub mod format;
pub mod live;
pub mod pages;
pub mod qr;
pub mod session;
pub mod text;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::pages::add_money::AddMoneyPage;
use crate::pages::auth::{SignIn, SignUp};
use crate::pages::checkout::CheckoutPage;
use crate::pages::creator::CreatorPage;
use crate::pages::home::{ActivityHome, Home};
use crate::pages::limits::LimitsPage;
use crate::pages::not_found::NotFound;
use crate::pages::ops_audit::OpsAuditPage;
use crate::pages::ops_case::OpsCasePage;
use crate::pages::ops_person::OpsPersonPage;
use crate::pages::ops_queue::OpsQueuePage;
use crate::pages::payment_methods::PaymentMethodsPage;
use crate::pages::pin::PinSettings;
use crate::pages::profile::Profile;
use crate::pages::receipt::Receipt;
use crate::pages::request::RequestPage;
use crate::pages::send::SendPage;
use crate::pages::statements::StatementsPage;
use crate::pages::status::Status;
use crate::pages::withdraw::WithdrawPage;

/// The id of `index.html`'s static shell: the header skeleton and loading state painted before
/// the wasm arrives, and the message shown if it never starts.
const STATIC_SHELL_ID: &str = "static-shell";

/// Removes `index.html`'s static shell: the app is drawing the page now.
fn remove_static_shell() {
    if let Some(shell) = document().get_element_by_id(STATIC_SHELL_ID) {
        shell.remove();
    }
}

/// The browser's preferred languages, in its order (`navigator.languages`, else
/// `navigator.language`).
fn preferred_languages() -> Vec<String> {
    use wasm_bindgen::JsCast;
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok();
    let Some(navigator) = navigator.filter(|n| !n.is_undefined()) else { return Vec::new() };
    let listed = js_sys::Reflect::get(&navigator, &"languages".into())
        .ok()
        .and_then(|list| list.dyn_into::<js_sys::Array>().ok())
        .map(|list| list.iter().filter_map(|tag| tag.as_string()).collect::<Vec<_>>())
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    js_sys::Reflect::get(&navigator, &"language".into())
        .ok()
        .and_then(|tag| tag.as_string())
        .into_iter()
        .collect()
}

/// Speaks the browser's language (Arabic or English), and lays the document out its way
/// (`<html lang dir>`: right to left in Arabic).
fn apply_language() {
    let language = text::language_for(&preferred_languages());
    text::set_language(language);
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", language.code());
        let _ = root.set_attribute("dir", language.direction());
    }
}

/// The whole app: the session, the layout every page slots into, and the routes.
#[component]
pub fn App() -> impl IntoView {
    apply_language();
    remove_static_shell();
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
                    <Route path=path!("/activity") view=ActivityHome />
                    <Route path=path!("/activity/:id") view=Receipt />
                    <Route path=path!("/settings/pin") view=PinSettings />
                    <Route path=path!("/settings/payment-methods") view=PaymentMethodsPage />
                    <Route path=path!("/settings/limits") view=LimitsPage />
                    <Route path=path!("/statements") view=StatementsPage />
                    <Route path=path!("/add-money") view=AddMoneyPage />
                    <Route path=path!("/withdraw") view=WithdrawPage />
                    <Route path=path!("/send") view=SendPage />
                    <Route path=path!("/pay/:handle") view=SendPage />
                    <Route path=path!("/request") view=RequestPage />
                    <Route path=path!("/u/:handle") view=Profile />
                    <Route path=path!("/status") view=Status />
                    <Route path=path!("/checkout/:id") view=CheckoutPage />
                    <Route path=path!("/ops") view=OpsQueuePage />
                    <Route path=path!("/ops/cases/:id") view=OpsCasePage />
                    <Route path=path!("/ops/people/:handle") view=OpsPersonPage />
                    <Route path=path!("/ops/audit") view=OpsAuditPage />
                </Routes>
            </Layout>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// Names every directory may hold once each: a module's own file, and the crate roots.
    const NAMES_ANY_FOLDER_MAY_REPEAT: [&str; 3] = ["mod.rs", "lib.rs", "main.rs"];

    /// The `.rs` files under `dir`, at any depth.
    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|error| panic!("{}: {error}", dir.display())).path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                found.push(path);
            }
        }
    }

    /// Two files with one name (`checkout.rs` as a flow and as a page) make every "open
    /// checkout.rs" a guess: each file under `src/` has a name of its own.
    #[test]
    fn no_two_files_under_src_share_a_name() {
        let src = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let mut files = Vec::new();
        rust_files(src, &mut files);
        assert!(files.len() > 10, "found only {files:?} under {}", src.display());
        let mut by_name = BTreeMap::<String, Vec<String>>::new();
        for path in files {
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            if NAMES_ANY_FOLDER_MAY_REPEAT.contains(&name.as_str()) {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap_or(&path).display().to_string();
            by_name.entry(name).or_default().push(relative);
        }
        let shared: Vec<String> = by_name
            .into_iter()
            .filter(|(_, paths)| paths.len() > 1)
            .map(|(name, mut paths)| {
                paths.sort();
                format!("{name}: {}", paths.join(", "))
            })
            .collect();
        assert!(shared.is_empty(), "files under src/ sharing a name:\n{}", shared.join("\n"));
    }
}
