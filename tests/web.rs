//! The SPA in a real browser (headless Chromium, through `wasm-bindgen-test-runner`): the
//! layout's landmarks and the status page's loading and error states. The runner's own server
//! has no API, so `/api/v1/healthz` answers 404 there: the error path, as a person offline or
//! behind a broken proxy would see it. The healthy path runs against the real server in
//! `crates/server/tests/browser.rs`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use purse_web::pages::status::Status;
use purse_web::text::{Text, t};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests do not see each other's DOM.
fn container() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn find(root: &HtmlElement, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

/// Polls until `selector` matches, for up to `limit`.
async fn wait_for(root: &HtmlElement, selector: &str, limit: Duration) -> Element {
    let mut waited = Duration::ZERO;
    loop {
        if let Some(element) = find(root, selector) {
            return element;
        }
        assert!(waited < limit, "{selector} did not appear within {limit:?}; DOM: {}", root.inner_html());
        gloo_timers::future::TimeoutFuture::new(20).await;
        waited += Duration::from_millis(20);
    }
}

#[wasm_bindgen_test]
async fn the_layout_has_a_skip_link_navigation_and_a_main_landmark() {
    let root = container();
    let _app = leptos::mount::mount_to(root.clone(), purse_web::App);
    let skip = wait_for(&root, "a.skip-link", Duration::from_secs(2)).await;
    assert_eq!(skip.get_attribute("href").as_deref(), Some("#main"));
    assert_eq!(skip.text_content().unwrap_or_default(), t(Text::SkipToContent));
    let nav = find(&root, "nav.app-nav").expect("navigation");
    assert_eq!(nav.get_attribute("aria-label").as_deref(), Some(t(Text::MainNavigation)));
    assert_eq!(nav.query_selector_all("a").unwrap().length(), 2);
    let main = find(&root, "main#main").expect("main landmark");
    assert_eq!(main.get_attribute("tabindex").as_deref(), Some("-1"), "the skip link can focus it");
}

#[wasm_bindgen_test]
async fn the_status_page_shows_a_skeleton_then_says_what_went_wrong_and_can_retry() {
    let root = container();
    let _page = leptos::mount::mount_to(root.clone(), Status);

    let loading = wait_for(&root, ".status[data-state=loading]", Duration::from_secs(1)).await;
    assert_eq!(loading.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(find(&root, ".skeleton").is_some(), "a skeleton, not a spinner");

    let failed = wait_for(&root, ".status[data-state=unavailable]", Duration::from_secs(5)).await;
    assert_eq!(failed.get_attribute("aria-live").as_deref(), Some("polite"));
    let alert = find(&root, "[role=alert]").expect("the failure is announced");
    assert!(alert.text_content().unwrap_or_default().contains(t(Text::StatusUnavailable)));
    let message = find(&root, ".status-message").expect("what went wrong");
    assert_eq!(message.text_content().unwrap_or_default(), t(Text::UnexpectedAnswer));
    assert!(
        root.text_content().unwrap_or_default().contains(t(Text::StatusUnavailableDetail)),
        "says no money moved"
    );

    let retry: HtmlElement = find(&root, "button").expect("a retry button").unchecked_into();
    assert_eq!(retry.text_content().unwrap_or_default(), t(Text::Retry));
    retry.click();
    // The retry asks again and lands in the same honest state.
    wait_for(&root, ".status[data-state=unavailable]", Duration::from_secs(5)).await;
}
