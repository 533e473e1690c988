//! The SPA's components in a real browser (headless Chromium, through
//! `wasm-bindgen-test-runner`): the layout's landmarks, money as people read it, activity rows,
//! the designed states, and the status page's loading and error states. The runner's own
//! server has no API, so API calls answer 404 there: the error path, as a person behind a
//! broken proxy would see it. The signed-in journey runs against the real server in
//! `crates/server/tests/browser.rs`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use leptos::prelude::*;
use purse_api::{Activity, ActivityKind, ActivityStatus, Counterparty, Currency, Direction, Handle};
use purse_web::components::activity_row::ActivityRow;
use purse_web::components::money::MoneyDisplay;
use purse_web::components::states::{EmptyState, ErrorState, SkeletonList};
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

fn text(root: &HtmlElement, selector: &str) -> String {
    find(root, selector)
        .unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
        .text_content()
        .unwrap_or_default()
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

fn activity(
    direction: Direction,
    status: ActivityStatus,
    counterparty: Option<(&str, &str)>,
    note: Option<&str>,
) -> Activity {
    Activity {
        id: "tr_abcdefghijklm".into(),
        kind: if counterparty.is_some() { ActivityKind::Transfer } else { ActivityKind::Deposit },
        direction,
        status,
        amount: "1234.50".into(),
        currency: Currency::Usd,
        fee: "0.00".into(),
        counterparty: counterparty.map(|(handle, name)| Counterparty {
            handle: Handle::parse(handle).unwrap(),
            display_name: name.into(),
        }),
        note: note.map(str::to_string),
        created_at: "2026-11-22T14:05:00Z".into(),
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
fn money_reads_like_money_and_says_its_direction_in_words() {
    let root = container();
    let _view = leptos::mount::mount_to(root.clone(), || {
        view! {
            <p id="plain"><MoneyDisplay amount="1234567.50" currency=Currency::Usd /></p>
            <p id="in"><MoneyDisplay amount="25.00" currency=Currency::Usd direction=Direction::In /></p>
            <p id="out"><MoneyDisplay amount="12.50" currency=Currency::Usd direction=Direction::Out /></p>
        }
    });
    assert_eq!(text(&root, "#plain .money"), "$1,234,567.50");
    assert_eq!(text(&root, "#in .money"), format!("{} +$25.00", t(Text::Received)));
    assert_eq!(text(&root, "#out .money"), format!("{} \u{2212}$12.50", t(Text::Sent)));
    let visible_sign = find(&root, "#in .visually-hidden").unwrap().text_content().unwrap_or_default();
    assert_eq!(visible_sign.trim(), t(Text::Received), "the words are for screen readers");
    let out = find(&root, "#out .money").unwrap();
    assert_eq!(out.get_attribute("data-direction").as_deref(), Some("out"));
}

#[wasm_bindgen_test]
fn an_activity_row_names_the_other_side_and_links_to_its_receipt() {
    let root = container();
    let received =
        activity(Direction::In, ActivityStatus::Completed, Some(("alice", "Alice Martin")), Some("Dinner"));
    let held = activity(Direction::Out, ActivityStatus::Pending, Some(("bob", "Bob Okafor")), None);
    let deposit = activity(Direction::In, ActivityStatus::Completed, None, None);
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ul id="received"><ActivityRow activity=received.clone() /></ul>
            <ul id="held"><ActivityRow activity=held.clone() fresh=true /></ul>
            <ul id="deposit"><ActivityRow activity=deposit.clone() /></ul>
        }
    });
    assert_eq!(text(&root, "#received .activity-title"), "Alice Martin");
    assert!(text(&root, "#received .activity-sub").starts_with("Dinner · "));
    assert!(text(&root, "#received .activity-amount").ends_with("+$1,234.50"));
    assert_eq!(
        find(&root, "#received a").unwrap().get_attribute("href").as_deref(),
        Some("/activity/tr_abcdefghijklm")
    );
    assert!(find(&root, "#received .badge").is_none(), "a completed item needs no badge");

    assert_eq!(text(&root, "#held .badge"), t(Text::StatusPending));
    assert!(text(&root, "#held .activity-sub").starts_with(&format!("{} · @bob", t(Text::KindTransfer))));
    assert!(text(&root, "#held .activity-amount").ends_with("\u{2212}$1,234.50"));
    assert!(find(&root, "#held li.fresh").is_some(), "new items slide in");

    assert_eq!(text(&root, "#deposit .activity-title"), t(Text::KindDeposit));
}

#[wasm_bindgen_test]
fn empty_and_error_states_say_what_to_do() {
    let root = container();
    let retries = Arc::new(AtomicUsize::new(0));
    let counted = retries.clone();
    let _view = leptos::mount::mount_to(root.clone(), move || {
        let counted = counted.clone();
        view! {
            <div id="empty"><EmptyState title=t(Text::ActivityEmptyTitle) body=t(Text::ActivityEmptyBody) /></div>
            <div id="error">
                <ErrorState message="We couldn't reach Purse." on_retry=move |()| { counted.fetch_add(1, Ordering::SeqCst); } no_money_moved=true />
            </div>
            <div id="loading"><SkeletonList rows=3 /></div>
        }
    });
    assert_eq!(text(&root, "#empty .empty-title"), t(Text::ActivityEmptyTitle));
    assert_eq!(find(&root, "#error [role=alert]").map(|e| e.tag_name()), Some("DIV".into()));
    assert!(text(&root, "#error").contains(t(Text::NoMoneyMoved)));
    let retry: HtmlElement = find(&root, "#error button").unwrap().unchecked_into();
    retry.click();
    retry.click();
    assert_eq!(retries.load(Ordering::SeqCst), 2);
    assert_eq!(
        find(&root, "#loading .skeleton-list").unwrap().get_attribute("aria-busy").as_deref(),
        Some("true")
    );
    assert_eq!(root.query_selector_all("#loading .skeleton-row").unwrap().length(), 3);
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
