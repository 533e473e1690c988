//! The SPA's components in a real browser (headless Chromium, through
//! `wasm-bindgen-test-runner`): the layout's landmarks, money as people read it, activity rows,
//! the designed states, the status page's loading and error states, and the tip sheet in each of
//! its states (choosing, a refused amount, the PIN, short of funds, sent, signed out, a creator
//! page that would not load), and the hosted checkout page in each of its states (open with its
//! countdown, expiring while open, signed out, refused PINs and answers, paid, canceled,
//! unknown, loading, could not load), and money in and out (adding money with and without a
//! card, the card and bank forms' live checks, the withdrawal's preview as the amount and speed
//! change, its refusals and results, the payment methods with their confirmation to remove).
//! The runner's own server has no API, so API calls answer 404 there: the error path, as a
//! person behind a broken proxy would see it. The signed-in journey runs against the real
//! server in `crates/server/tests/browser.rs`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leptos::prelude::*;
use purse_api::{
    Activity, ActivityKind, ActivityStatus, BankAccount, Card, CardBrand, CheckoutStatus, Counterparty,
    Creator, Currency, Deposit, DepositStatus, Direction, ErrorCode, Goal, Handle, Merchant, MoneyRequest,
    PersonRef, PublicCheckoutSession, RequestStatus, Role, Speed, Tip, User, Withdrawal, WithdrawalStatus,
};
use purse_web::api_client::ApiError;
use purse_web::components::activity_row::ActivityRow;
use purse_web::components::incoming_requests::IncomingRequest;
use purse_web::components::limit_note::LimitNote;
use purse_web::components::money::MoneyDisplay;
use purse_web::components::states::{EmptyState, ErrorState, SkeletonList};
use purse_web::components::tip_sheet::{TipForm, TipSheet};
use purse_web::flows::add_money_flow::{AddMoneyFlow, Step as DepositStep};
use purse_web::flows::checkout_flow::{CheckoutFlow, Step as CheckoutStep};
use purse_web::flows::limit_guard::LimitRefusal;
use purse_web::flows::tip_flow::{Choice, Step, TipFlow};
use purse_web::flows::withdraw_flow::{Step as WithdrawStep, WithdrawFlow};
use purse_web::pages::add_money::{AddMoneyView, DepositForm};
use purse_web::pages::checkout::CheckoutView;
use purse_web::pages::limits::LimitsView;
use purse_web::pages::payment_methods::PaymentMethodsView;
use purse_web::pages::status::Status;
use purse_web::pages::withdraw::WithdrawForm;
use purse_web::session::{Session, SessionState};
use purse_web::text::{Funding, Limits, Text, around_handle, t};
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
        request_status: None,
        review: None,
    }
}

#[wasm_bindgen_test]
async fn the_layout_has_a_skip_link_a_header_a_main_landmark_and_status_in_the_footer() {
    let root = container();
    let _app = leptos::mount::mount_to(root.clone(), purse_web::App);
    let skip = wait_for(&root, "a.skip-link", Duration::from_secs(2)).await;
    assert_eq!(skip.get_attribute("href").as_deref(), Some("#main"));
    assert_eq!(skip.text_content().unwrap_or_default(), t(Text::SkipToContent));
    assert!(find(&root, "header.app-header a.brand").is_some(), "the brand, home");
    // Nobody is signed in here: no tab bar (the signed-in tabs are the browser journeys'), and
    // the operators' status page is a footer link, not consumer navigation.
    assert!(find(&root, "nav").is_none(), "no navigation for someone not signed in");
    let status = find(&root, "footer.app-footer a[href='/status']").expect("status in the footer");
    assert_eq!(status.text_content().unwrap_or_default(), t(Text::NavStatus));
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
    assert_eq!(
        text(&root, "#received .activity-handle"),
        "@alice",
        "the handle beside the name, note or not"
    );
    assert_eq!(text(&root, "#held .activity-handle"), "@bob");
    assert!(find(&root, "#deposit .activity-handle").is_none(), "no person, no handle");
    assert!(text(&root, "#received .activity-sub").starts_with("Dinner · "));
    assert!(text(&root, "#received .activity-amount").ends_with("+$1,234.50"));
    assert_eq!(
        find(&root, "#received a").unwrap().get_attribute("href").as_deref(),
        Some("/activity/tr_abcdefghijklm")
    );
    assert!(find(&root, "#received .badge").is_none(), "a completed item needs no badge");

    assert_eq!(text(&root, "#held .badge"), t(Text::StatusPending));
    assert!(text(&root, "#held .activity-sub").starts_with(&format!("{} · ", t(Text::KindTransfer))));
    assert!(text(&root, "#held .activity-amount").ends_with("\u{2212}$1,234.50"));
    assert!(find(&root, "#held li.fresh").is_some(), "new items slide in");

    assert_eq!(text(&root, "#deposit .activity-title"), t(Text::KindDeposit));
}

#[wasm_bindgen_test]
fn a_row_held_for_review_says_pending_review_with_the_generic_message_and_never_its_code() {
    let root = container();
    let held = Activity {
        review: Some(purse_api::ops::Review::generic()),
        ..activity(Direction::Out, ActivityStatus::Pending, Some(("bob", "Bob Okafor")), None)
    };
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! { <ul id="review"><ActivityRow activity=held.clone() /></ul> }
    });
    assert_eq!(text(&root, "#review .badge"), t(Limits::PendingReview));
    assert_eq!(text(&root, "#review .activity-review"), purse_api::ops::REVIEW_MESSAGE);
    assert!(!text(&root, "#review").contains("manual_review"), "the code is not shown");
}

#[wasm_bindgen_test]
fn a_canceled_payment_is_not_green_anonymous_tips_say_so_and_money_added_has_an_icon() {
    let root = container();
    let canceled = activity(Direction::In, ActivityStatus::Canceled, Some(("bob", "Bob Okafor")), None);
    let received = activity(Direction::In, ActivityStatus::Completed, Some(("alice", "Alice Martin")), None);
    let deposit = activity(Direction::In, ActivityStatus::Completed, None, None);
    let withdrawal = Activity {
        kind: ActivityKind::Withdrawal,
        ..activity(Direction::Out, ActivityStatus::Completed, None, None)
    };
    let anonymous = Activity {
        kind: ActivityKind::Tip,
        ..activity(Direction::In, ActivityStatus::Completed, None, None)
    };
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ul id="canceled"><ActivityRow activity=canceled.clone() /></ul>
            <ul id="received"><ActivityRow activity=received.clone() /></ul>
            <ul id="deposit"><ActivityRow activity=deposit.clone() /></ul>
            <ul id="withdrawal"><ActivityRow activity=withdrawal.clone() /></ul>
            <ul id="anonymous"><ActivityRow activity=anonymous.clone() /></ul>
        }
    });
    // Canceled: the amount without a sign, struck and not green; the status in words.
    let amount = text(&root, "#canceled .activity-amount");
    assert!(amount.ends_with("$1,234.50") && !amount.contains('+'), "{amount}");
    let money = find(&root, "#canceled .activity-amount").unwrap();
    assert!(money.class_list().contains("money-void"));
    assert!(money.get_attribute("data-direction").is_none(), "not drawn as money in");
    assert_eq!(text(&root, "#canceled .badge"), t(Text::StatusCanceled));
    // Received and done: signed, and marked as money in.
    assert!(text(&root, "#received .activity-amount").ends_with("+$1,234.50"));
    assert_eq!(
        find(&root, "#received .activity-amount").unwrap().get_attribute("data-direction").as_deref(),
        Some("in")
    );

    // People get their initial; what is not a person, an icon.
    assert_eq!(text(&root, "#received .avatar"), "A");
    assert!(find(&root, "#received .avatar svg").is_none());
    for (row, icon) in [("deposit", "add-money"), ("withdrawal", "withdraw"), ("anonymous", "anonymous")] {
        assert!(
            find(&root, &format!("#{row} .avatar.avatar-icon-{icon} svg")).is_some(),
            "{row}: {}",
            root.inner_html()
        );
        assert_eq!(text(&root, &format!("#{row} .avatar")), "", "{row}: no letter");
    }
    assert_eq!(text(&root, "#withdrawal .activity-title"), t(Text::KindWithdrawal));
    assert_eq!(text(&root, "#anonymous .activity-title"), t(Text::AnonymousTip));
}

#[wasm_bindgen_test]
fn a_permanent_error_offers_no_try_again() {
    let root = container();
    let missing = ApiError::from_answer(404, r#"{"error":{"code":"not_found","message":"Not found."}}"#);
    let offline = ApiError::network();
    let (missing_permanent, offline_permanent) = (missing.is_permanent(), offline.is_permanent());
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <div id="missing"><ErrorState message=missing.message.clone() on_retry=|()| {} permanent=missing_permanent no_money_moved=true /></div>
            <div id="offline"><ErrorState message=offline.message.clone() on_retry=|()| {} permanent=offline_permanent no_money_moved=true /></div>
        }
    });
    assert_eq!(text(&root, "#missing .error-message"), "Not found.");
    assert!(find(&root, "#missing button").is_none(), "a 404 stays a 404: no Try again");
    assert_eq!(text(&root, "#offline button"), t(Text::Retry));
}

fn asked_by(handle: &str, name: &str, amount: &str, paid_before: Option<bool>) -> MoneyRequest {
    let person = |handle: &str, name: &str| PersonRef {
        handle: Handle::parse(handle).unwrap(),
        display_name: name.into(),
    };
    MoneyRequest {
        id: format!("rq_{handle}"),
        status: RequestStatus::Open,
        from: person("alice", "Alice Martin"),
        to: person(handle, name),
        amount: amount.into(),
        currency: Currency::Usd,
        note: None,
        created_at: "2026-11-22T14:05:00Z".into(),
        from_paid_before: paid_before,
    }
}

/// Finding 4: two requests from "Bob Okafor", one from the Bob Alice knows, one from an account
/// that took his name. Each says whose it is; the stranger's says Alice never paid them.
#[wasm_bindgen_test]
fn a_request_names_its_requester_by_handle_and_warns_of_one_never_paid() {
    let root = container();
    let known = asked_by("bob", "Bob Okafor", "5.00", Some(true));
    let stranger = asked_by("bob_0kafor", "Bob Okafor", "5.00", Some(false));
    let _view = leptos::mount::mount_to(root.clone(), move || {
        let version = RwSignal::new(0);
        view! {
            <ul id="known"><IncomingRequest request=known.clone() version /></ul>
            <ul id="stranger"><IncomingRequest request=stranger.clone() version /></ul>
        }
    });
    assert_eq!(text(&root, "#known .request-handle"), "@bob");
    assert!(find(&root, "#known .request-warning").is_none(), "paid before: no warning");
    assert_eq!(text(&root, "#stranger .request-handle"), "@bob_0kafor");
    assert!(text(&root, "#stranger .request-row p").starts_with("Bob Okafor @bob_0kafor asks for"));
    let (before, after) = around_handle(t(Text::NotPaidBefore));
    assert_eq!(text(&root, "#stranger .request-warning"), format!("{before}@bob_0kafor{after}"));
    assert_eq!(text(&root, "#stranger .request-warning"), "You haven't paid @bob_0kafor before.");
    assert_eq!(text(&root, "#stranger .request-warning bdi"), "@bob_0kafor", "set apart for right-to-left");
}

/// Paying a request is reviewed first (nothing is paid by the Pay button itself), and declining
/// asks once, naming who and how much.
#[wasm_bindgen_test]
async fn paying_a_request_opens_its_review_and_declining_asks_first() {
    let root = container();
    let request = asked_by("bob", "Bob Okafor", "12.00", Some(true));
    let _view = leptos::mount::mount_to(root.clone(), move || {
        let version = RwSignal::new(0);
        view! { <ul><IncomingRequest request=request.clone() version /></ul> }
    });
    click(&root, "[data-action=decline]");
    settle().await;
    assert_eq!(text(&root, ".decline-question"), "Decline Bob Okafor's request for $12.00?");
    click(&root, "[data-action=decline-no]");
    settle().await;
    assert!(find(&root, ".decline-question").is_none(), "kept: nothing declined");

    // Pay reads the balance (none here: unread, so nothing is refused) and opens the review.
    click(&root, "[data-action=pay]");
    let confirm = wait_for(&root, ".review-confirm", Duration::from_secs(5)).await;
    assert_eq!(confirm.text_content().unwrap_or_default(), "Pay $12.00");
    assert!(text(&root, ".review-line[data-line=to]").contains("@bob"));
    assert!(text(&root, ".review-line[data-line=cancel]").contains("can't be undone"));
    assert_eq!(find(&root, ".request-row").unwrap().get_attribute("data-step").as_deref(), Some("review"));
    click(&root, "[data-action=edit]");
    settle().await;
    assert!(find(&root, "[data-action=pay]").is_some(), "Edit goes back to Pay and Decline");
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

fn lina() -> Creator {
    Creator {
        handle: Handle::parse("lina").unwrap(),
        display_name: "Lina Haddad".into(),
        enabled: true,
        tip_presets: vec!["1.00".into(), "5.00".into(), "10.00".into()],
        goal: Some(Goal { title: "A new lens".into(), target: "500.00".into(), raised: "120.00".into() }),
        supporters: 3,
    }
}

/// Types `value` into the input `selector` as a person would (the `input` event fires and, as a
/// browser's own does, bubbles up to the form).
fn type_into(root: &HtmlElement, selector: &str, value: &str) {
    let input: web_sys::HtmlInputElement =
        find(root, selector).unwrap_or_else(|| panic!("no {selector}")).unchecked_into();
    input.set_value(value);
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::CustomEvent::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
}

fn click(root: &HtmlElement, selector: &str) {
    let element: HtmlElement =
        find(root, selector).unwrap_or_else(|| panic!("no {selector}")).unchecked_into();
    element.click();
}

/// The tip form for Lina, in `flow`'s state; counts how often it asks to close.
fn tip_form(flow: TipFlow) -> (HtmlElement, RwSignal<TipFlow>, Arc<AtomicUsize>) {
    let root = container();
    let closes = Arc::new(AtomicUsize::new(0));
    let counted = closes.clone();
    let flow = RwSignal::new(flow);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let on_close = Callback::new(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        view! { <TipForm flow on_sent=Callback::new(|_| ()) on_close /> }
    });
    handle.forget();
    (root, flow, closes)
}

async fn settle() {
    gloo_timers::future::TimeoutFuture::new(30).await;
}

#[wasm_bindgen_test]
async fn the_tip_sheet_offers_the_presets_and_refuses_a_bad_amount_on_its_field() {
    let (root, flow, _) = tip_form(TipFlow::new(lina(), Some("42".into())));
    assert_eq!(text(&root, "#tip-title"), "Tip Lina Haddad");
    assert!(text(&root, ".goal").contains("$120.00 raised of $500.00"));
    let progress = find(&root, "progress.goal-bar").unwrap();
    assert_eq!(
        (progress.get_attribute("value"), progress.get_attribute("max")),
        (Some("12000".into()), Some("50000".into()))
    );
    let labels: Vec<String> = (0..4)
        .map(|i| {
            root.query_selector_all(".preset span")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(labels, ["$1.00", "$5.00", "$10.00", t(Text::TipOther)]);
    assert_eq!(text(&root, ".presets legend"), t(Text::TipAmount));

    // Nothing chosen: the form says so, on the amount.
    click(&root, ".tip-form button[type=submit]");
    settle().await;
    assert_eq!(text(&root, "#tip-amount-error"), t(Text::TipChooseAmount));
    // "Other", then an amount the API would refuse.
    click(&root, "input[value=other]");
    settle().await;
    type_into(&root, "#tip-custom", "1.001");
    click(&root, ".tip-form button[type=submit]");
    settle().await;
    assert_eq!(text(&root, "#tip-custom-error"), t(Text::AmountFormat));
    assert_eq!(find(&root, "#tip-custom").unwrap().get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(flow.get_untracked().step, Step::Choose, "nothing was sent");
    // A good amount, a message, anonymously: the review says exactly that.
    type_into(&root, "#tip-custom", "3");
    type_into(&root, "#tip-message", "Thank you");
    click(&root, "#tip-anonymous");
    click(&root, ".tip-form button[type=submit]");
    settle().await;
    assert_eq!(flow.get_untracked().step, Step::Review);
    assert_eq!(text(&root, ".review-confirm"), "Tip $3.00");
    assert!(text(&root, ".review-line[data-line=to]").contains("They won't see who sent it"));
    assert!(text(&root, ".review-line[data-line=cancel]").contains("Tips can't be undone"));
    assert!(text(&root, ".tip-quote").contains("Thank you"));
    assert!(find(&root, "#tip-pin").is_none(), "no PIN for $3.00");
    // Edit keeps what was typed.
    click(&root, ".button-row .button-secondary");
    settle().await;
    let custom: web_sys::HtmlInputElement = find(&root, "#tip-custom").unwrap().unchecked_into();
    assert_eq!(custom.value(), "3");
}

#[wasm_bindgen_test]
async fn above_the_step_up_threshold_the_confirmation_asks_for_the_pin() {
    let mut start = TipFlow::new(lina(), None);
    start.choice = Some(Choice::Custom);
    start.custom = "60.00".into();
    start.step = Step::Review;
    let (root, _, _) = tip_form(start);
    let pin = find(&root, "#tip-pin").expect("a PIN field");
    assert_eq!(pin.get_attribute("type").as_deref(), Some("password"));
    assert_eq!(pin.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert_eq!(text(&root, "label[for=tip-pin]"), t(Text::PaymentPin));
    assert_eq!(text(&root, ".tip-form button[type=submit]"), "Tip $60.00");
}

#[wasm_bindgen_test]
async fn a_small_tip_the_server_asks_the_pin_for_shows_the_field_says_why_and_focuses_it() {
    let mut start = TipFlow::new(lina(), None);
    start.choice = Some(Choice::Preset(1));
    start.step = Step::Review;
    start.attempt.begin(|| "k1".into());
    let (root, flow, _) = tip_form(start);
    assert!(find(&root, "#tip-pin").is_none(), "no PIN for $5.00 at first");
    let request = flow.try_update(|f| f.send()).flatten().expect("sent");
    assert_eq!(request.pin, None);
    let refused = ApiError {
        status: Some(403),
        code: Some(ErrorCode::PinRequired),
        message: "Enter your payment PIN.".into(),
        field: Some("pin".into()),
        details: None,
    };
    flow.update(|f| f.answer("k1", Err(refused), None));
    let pin = wait_for(&root, "#tip-pin", Duration::from_secs(1)).await;
    assert_eq!(text(&root, "#tip-pin-reason"), t(Text::PinNeededToday));
    assert_eq!(find(&root, "#tip-pin-reason").unwrap().get_attribute("role").as_deref(), Some("status"));
    assert_eq!(text(&root, "#tip-pin-error"), "", "a reason, not an error");
    // Focus lands on the PIN once the step is drawn.
    let mut waited = 0;
    while web_sys::window().unwrap().document().unwrap().active_element().as_ref() != Some(&pin) {
        assert!(waited < 50, "the PIN field was not focused");
        settle().await;
        waited += 1;
    }
    type_into(&root, "#tip-pin", "1234");
    // Submitting is synchronous up to the call (whose answer, from no server, is not awaited).
    click(&root, ".tip-form button[type=submit]");
    let sent = flow.get_untracked();
    assert_eq!(
        (sent.step, sent.pin.as_str(), sent.attempt.key()),
        (Step::Sending, "1234", "k1"),
        "again, with the PIN, under the same key"
    );
}

#[wasm_bindgen_test]
async fn short_of_funds_the_sheet_says_what_the_wallet_has_and_offers_only_what_fits() {
    let mut start = TipFlow::new(lina(), None);
    start.choice = Some(Choice::Preset(2));
    start.step = Step::Review;
    start.attempt.begin(|| "k1".into());
    let (root, flow, _) = tip_form(start);
    let refused = ApiError {
        status: Some(422),
        code: Some(ErrorCode::InsufficientFunds),
        message: "Not enough money".into(),
        field: Some("amount".into()),
        details: None,
    };
    flow.update(|f| f.answer("k1", Err(refused), Some("6.20".into())));
    settle().await;
    assert_eq!(
        text(&root, "#tip-amount-error"),
        "Your wallet has $6.20. Choose a smaller amount, or add money to your wallet."
    );
    let disabled =
        |value: &str| find(&root, &format!("input[value='{value}']")).unwrap().has_attribute("disabled");
    assert_eq!((disabled("1.00"), disabled("5.00"), disabled("10.00")), (false, false, true));
    assert!(find(&root, ".preset.unavailable").is_some(), "marked, not only greyed");
    assert_eq!(find(&root, ".tip-form a").unwrap().get_attribute("href").as_deref(), Some("/add-money"));
}

#[wasm_bindgen_test]
async fn a_sent_tip_says_so_and_done_closes_the_sheet() {
    let mut start = TipFlow::new(lina(), Some("42".into()));
    start.step = Step::Sent(Box::new(Tip {
        id: "tip_abc".into(),
        creator: Handle::parse("lina").unwrap(),
        amount: "5.00".into(),
        currency: Currency::Usd,
        post_id: Some("42".into()),
        message: None,
        anonymous: false,
        fee: "0.00".into(),
        created_at: "2026-11-23T10:00:00Z".into(),
        review: None,
    }));
    let (root, _, closes) = tip_form(start);
    assert_eq!(text(&root, ".done-title"), t(Text::TipSentTitle));
    assert_eq!(find(&root, ".done").unwrap().get_attribute("role").as_deref(), Some("status"));
    assert!(text(&root, ".done").contains("You tipped Lina Haddad $5.00."));
    click(&root, ".done button");
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}

fn sheet_as(state: SessionState) -> HtmlElement {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(Session { state: RwSignal::new(state) });
        view! {
            <TipSheet creator=Handle::parse("lina").unwrap() post_id=None on_sent=Callback::new(|_| ()) on_close=Callback::new(|()| ()) />
        }
    });
    handle.forget();
    root
}

#[wasm_bindgen_test]
async fn signed_out_the_tip_sheet_asks_to_sign_in_first() {
    let root = sheet_as(SessionState::SignedOut);
    assert_eq!(text(&root, "#tip-title"), "Sign in to tip @lina");
    assert!(find(&root, "form.sign-in-form #handle").is_some());
    assert!(find(&root, "form.sign-in-form #password").is_some());
    assert_eq!(
        // To sign-up, carrying the page it is on (`?next=`) to come back to.
        find(&root, "a[href^='/signup']").map(|a| a.text_content().unwrap_or_default()),
        Some(t(Text::CreateAccount).into())
    );
}

#[wasm_bindgen_test]
async fn a_creator_page_that_cannot_be_read_is_an_error_with_a_retry_and_no_money_moved() {
    let alice = User {
        id: "u_1".into(),
        handle: Handle::parse("alice").unwrap(),
        display_name: "Alice Martin".into(),
        pin_set: true,
        roles: Vec::<Role>::new(),
    };
    let root = sheet_as(SessionState::SignedIn(alice));
    assert!(find(&root, ".skeleton-list").is_some(), "loading first");
    let error = wait_for(&root, ".error-state", Duration::from_secs(5)).await;
    assert!(error.text_content().unwrap_or_default().contains(t(Text::NoMoneyMoved)));
    assert_eq!(text(&root, ".error-state button"), t(Text::Retry));
}

#[wasm_bindgen_test]
async fn tipping_yourself_is_explained_not_attempted() {
    let lina_user = User {
        id: "u_2".into(),
        handle: Handle::parse("lina").unwrap(),
        display_name: "Lina Haddad".into(),
        pin_set: true,
        roles: vec![Role::Creator],
    };
    let root = sheet_as(SessionState::SignedIn(lina_user));
    assert!(root.text_content().unwrap_or_default().contains(t(Text::TipYourself)));
}

/// 2026-11-23T10:00:00Z, half an hour before the test session expires.
const CHECKOUT_NOW_MS: i64 = 1_795_428_000_000;
const CHECKOUT_EXPIRES_MS: i64 = CHECKOUT_NOW_MS + 30 * 60_000;

fn checkout_session(status: CheckoutStatus) -> PublicCheckoutSession {
    PublicCheckoutSession {
        id: "cs_abc123".into(),
        merchant: Merchant { name: "Souq Books".into() },
        amount: "12.50".into(),
        currency: Currency::Usd,
        description: "Two paperbacks".into(),
        status,
        expires_at: "2026-11-23T10:30:00Z".into(),
        cancel_url: "https://souq.example/cart".into(),
    }
}

fn alice(pin_set: bool) -> User {
    User {
        id: "u_1".into(),
        handle: Handle::parse("alice").unwrap(),
        display_name: "Alice Martin".into(),
        pin_set,
        roles: Vec::<Role>::new(),
    }
}

/// The checkout page's view for `flow`, as `state` sees it, at the clock `now`. Returns what it
/// asked to reload and where it asked to go.
struct CheckoutPage {
    root: HtmlElement,
    flow: RwSignal<CheckoutFlow>,
    now: RwSignal<i64>,
    reloads: Arc<AtomicUsize>,
    left_for: Arc<Mutex<Vec<String>>>,
}

fn checkout_page(flow: CheckoutFlow, state: SessionState) -> CheckoutPage {
    let root = container();
    let flow = RwSignal::new(flow);
    let now = RwSignal::new(CHECKOUT_NOW_MS);
    let reloads = Arc::new(AtomicUsize::new(0));
    let left_for = Arc::new(Mutex::new(Vec::new()));
    let (counted, recorded) = (reloads.clone(), left_for.clone());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(Session { state: RwSignal::new(state) });
        let on_reload = Callback::new(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let recorded = recorded.clone();
        let on_leave = Callback::new(move |url: String| recorded.lock().unwrap().push(url));
        view! { <CheckoutView flow now on_reload on_leave /> }
    });
    handle.forget();
    CheckoutPage { root, flow, now, reloads, left_for }
}

fn checkout_state(root: &HtmlElement) -> String {
    find(root, "section.checkout").unwrap().get_attribute("data-state").unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_open_checkout_shows_what_is_bought_counts_down_and_asks_the_signed_in_buyer_for_the_pin() {
    let page = checkout_page(
        CheckoutFlow::loaded_with(checkout_session(CheckoutStatus::Open)),
        SessionState::SignedIn(alice(true)),
    );
    let root = &page.root;
    assert_eq!(checkout_state(root), "open");
    assert_eq!(text(root, "h1#checkout-title"), "Souq Books");
    assert_eq!(text(root, ".checkout-description"), "Two paperbacks");
    assert_eq!(text(root, ".checkout-amount .money"), "$12.50");
    assert_eq!(text(root, ".countdown[role=timer]"), "30:00");
    assert!(text(root, ".checkout-payer").contains("Paying as Alice Martin @alice"));
    assert_eq!(text(root, ".checkout-pay-button"), "Pay $12.50");
    assert_eq!(text(root, ".checkout-cancel"), t(Text::CheckoutCancel));
    let pin = find(root, "#checkout-pin").expect("a PIN field");
    assert_eq!(pin.get_attribute("type").as_deref(), Some("password"));
    assert_eq!(pin.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert_eq!(pin.get_attribute("autocomplete").as_deref(), Some("off"));
    assert_eq!(text(root, "label[for=checkout-pin]"), t(Text::PaymentPin));
    assert!(find(root, "form.sign-in-form").is_none());

    // The clock ticks: the countdown follows; screen readers hear only thresholds.
    let live = find(root, "#checkout-announcement").unwrap();
    assert_eq!(live.get_attribute("aria-live").as_deref(), Some("polite"));
    assert_eq!(live.text_content().unwrap_or_default(), "");
    page.now.set(CHECKOUT_EXPIRES_MS - 65_000);
    settle().await;
    assert_eq!(text(root, ".countdown"), "01:05");
    assert_eq!(live.text_content().unwrap_or_default(), t(Text::CheckoutFiveMinutesLeft));
    page.now.set(CHECKOUT_EXPIRES_MS - 1);
    settle().await;
    assert_eq!(text(root, ".countdown"), "00:01");

    // Zero: the page is the expired page, without a reload, and says so.
    page.now.set(CHECKOUT_EXPIRES_MS);
    settle().await;
    assert_eq!(checkout_state(root), "expired");
    assert_eq!(text(root, "h1#checkout-title"), t(Text::CheckoutExpiredTitle));
    assert!(root.text_content().unwrap_or_default().contains(t(Text::CheckoutExpiredBody)));
    assert_eq!(live.text_content().unwrap_or_default(), t(Text::CheckoutExpiredNow));
    assert!(find(root, "#checkout-pin").is_none() && find(root, ".countdown").is_none());
    let back = find(root, "a.checkout-back").expect("a way back");
    assert_eq!(back.get_attribute("href").as_deref(), Some("https://souq.example/cart"));
    assert_eq!(back.text_content().unwrap_or_default(), "Back to Souq Books");
    assert_eq!(page.reloads.load(Ordering::SeqCst), 0);
}

#[wasm_bindgen_test]
async fn signed_out_the_checkout_signs_in_on_the_page_and_cancel_still_goes_back() {
    let page = checkout_page(
        CheckoutFlow::loaded_with(checkout_session(CheckoutStatus::Open)),
        SessionState::SignedOut,
    );
    let root = &page.root;
    assert_eq!(text(root, "h1#checkout-title"), "Souq Books");
    assert_eq!(text(root, ".checkout-step-title"), t(Text::CheckoutSignInTitle));
    assert!(find(root, "form.sign-in-form #handle").is_some());
    assert!(find(root, "form.sign-in-form #password").is_some());
    assert!(find(root, "#checkout-pin").is_none(), "no PIN before signing in");
    click(root, ".checkout-cancel");
    settle().await;
    assert_eq!(*page.left_for.lock().unwrap(), ["https://souq.example/cart"], "straight to cancel_url");
    assert_eq!(checkout_state(root), "leaving");
    assert_eq!(text(root, "h1#checkout-title"), "Taking you back to Souq Books…");
}

#[wasm_bindgen_test]
async fn refused_pins_and_answers_are_shown_where_they_belong() {
    let page = checkout_page(
        CheckoutFlow::loaded_with(checkout_session(CheckoutStatus::Open)),
        SessionState::SignedIn(alice(true)),
    );
    let root = &page.root;
    // Not 4 to 6 digits: refused on the field, nothing sent.
    type_into(root, "#checkout-pin", "12");
    click(root, ".checkout-pay-button");
    settle().await;
    assert_eq!(text(root, "#checkout-pin-error"), t(Text::PinFormat));
    assert_eq!(find(root, "#checkout-pin").unwrap().get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(page.flow.get_untracked().step, CheckoutStep::Ready);

    // The server's answers, as the page would get them.
    let answer = |code: ErrorCode, message: &str| {
        page.flow.update(|f| {
            f.step = CheckoutStep::Paying;
            f.attempt.begin(|| "k1".into());
            let refused = ApiError {
                status: Some(code.http_status()),
                code: Some(code),
                message: message.into(),
                field: None,
                details: None,
            };
            f.answer("k1", Err(refused));
        });
    };
    answer(ErrorCode::PinIncorrect, "That PIN isn't right.");
    settle().await;
    assert_eq!(text(root, "#checkout-pin-error"), "That PIN isn't right.");
    answer(ErrorCode::InsufficientFunds, "Your wallet doesn't have enough.");
    settle().await;
    assert_eq!(text(root, "#checkout-pin-error"), "");
    let alert = find(root, "#checkout-error").unwrap();
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        alert.text_content().unwrap_or_default(),
        format!("Your wallet doesn't have enough. {}", t(Text::CheckoutAddMoney))
    );
    // While paying, neither button starts anything else.
    page.flow.update(|f| f.step = CheckoutStep::Paying);
    settle().await;
    assert_eq!(text(root, ".checkout-pay-button"), t(Text::Paying));
    assert!(find(root, ".checkout-pay-button").unwrap().has_attribute("disabled"));
    assert!(find(root, ".checkout-cancel").unwrap().has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn without_a_payment_pin_the_checkout_says_to_set_one() {
    let page = checkout_page(
        CheckoutFlow::loaded_with(checkout_session(CheckoutStatus::Open)),
        SessionState::SignedIn(alice(false)),
    );
    assert!(text(&page.root, ".checkout-notice").contains(t(Text::CheckoutPinNotSet)));
    assert_eq!(
        find(&page.root, ".checkout-notice a").unwrap().get_attribute("href").as_deref(),
        Some("/settings/pin")
    );
    assert!(find(&page.root, ".checkout-pay-button").is_none());
}

#[wasm_bindgen_test]
async fn finished_unknown_and_unreadable_sessions_each_have_their_page() {
    let signed_in = || SessionState::SignedIn(alice(true));
    let cases = [
        (CheckoutStatus::Complete, "complete", Text::CheckoutCompleteTitle),
        (CheckoutStatus::Canceled, "canceled", Text::CheckoutCanceledTitle),
        (CheckoutStatus::Expired, "expired", Text::CheckoutExpiredTitle),
    ];
    for (status, state, title) in cases {
        let page = checkout_page(CheckoutFlow::loaded_with(checkout_session(status)), signed_in());
        assert_eq!(checkout_state(&page.root), state);
        assert_eq!(text(&page.root, "h1#checkout-title"), t(title));
        assert_eq!(text(&page.root, ".checkout-amount .money"), "$12.50", "{state}: what it was for");
        assert!(find(&page.root, "#checkout-pin").is_none(), "{state}: nothing to pay");
        assert!(find(&page.root, "a.checkout-back").is_some(), "{state}: a way back");
    }

    let mut unknown = CheckoutFlow::new("cs_nope");
    unknown.loaded(Err(ApiError {
        status: Some(404),
        code: Some(ErrorCode::NotFound),
        message: "No such checkout session.".into(),
        field: None,
        details: None,
    }));
    let page = checkout_page(unknown, signed_in());
    assert_eq!(checkout_state(&page.root), "unknown");
    assert_eq!(text(&page.root, "h1#checkout-title"), t(Text::CheckoutUnknownTitle));

    let loading = checkout_page(CheckoutFlow::new("cs_abc123"), signed_in());
    let section = find(&loading.root, "section.checkout").unwrap();
    assert_eq!(section.get_attribute("data-state").as_deref(), Some("loading"));
    assert_eq!(section.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(find(&loading.root, ".skeleton").is_some(), "a skeleton, not a spinner");

    let mut offline = CheckoutFlow::new("cs_abc123");
    offline.loaded(Err(ApiError::network()));
    let page = checkout_page(offline, signed_in());
    assert_eq!(checkout_state(&page.root), "unavailable");
    assert!(text(&page.root, ".error-state").contains(t(Text::NetworkError)));
    assert!(text(&page.root, ".error-state").contains(t(Text::NoMoneyMoved)));
    click(&page.root, ".error-state button");
    assert_eq!(page.reloads.load(Ordering::SeqCst), 1, "Try again reads the session again");
}

// ---- Money in and out ------------------------------------------------------------------------

fn visa() -> Card {
    Card { id: "card_1".into(), brand: CardBrand::Visa, last4: "4242".into(), exp_month: 12, exp_year: 2030 }
}

fn sandbox_bank() -> BankAccount {
    BankAccount { id: "ba_1".into(), bank_name: "Sandbox Bank".into(), last4: "6789".into() }
}

fn input_value(root: &HtmlElement, selector: &str) -> String {
    let input: web_sys::HtmlInputElement =
        find(root, selector).unwrap_or_else(|| panic!("no {selector}")).unchecked_into();
    input.value()
}

fn is_checked(root: &HtmlElement, selector: &str) -> bool {
    let input: web_sys::HtmlInputElement =
        find(root, selector).unwrap_or_else(|| panic!("no {selector}")).unchecked_into();
    input.checked()
}

/// The add-money page for `cards` as read; counts how often it asks to read them again.
fn add_money_page(cards: Option<Result<Vec<Card>, ApiError>>) -> (HtmlElement, Cards, Arc<AtomicUsize>) {
    let root = container();
    let reloads = Arc::new(AtomicUsize::new(0));
    let counted = reloads.clone();
    let cards = RwSignal::new(cards);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let counted = counted.clone();
        let on_reload = Callback::new(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        view! { <AddMoneyView cards on_reload /> }
    });
    handle.forget();
    (root, cards, reloads)
}

#[wasm_bindgen_test]
async fn the_add_money_page_shows_a_skeleton_then_what_went_wrong_with_a_retry() {
    let (root, cards, reloads) = add_money_page(None);
    let page = find(&root, "[data-test=add-money-page]").unwrap();
    assert_eq!(page.get_attribute("data-state").as_deref(), Some("loading"));
    assert_eq!(page.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(find(&root, ".skeleton").is_some(), "a skeleton, not a spinner");
    assert_eq!(text(&root, "h1#add-money-title"), t(Funding::AddMoneyTitle));

    cards.set(Some(Err(ApiError::network())));
    settle().await;
    assert_eq!(page.get_attribute("data-state").as_deref(), Some("unavailable"));
    assert!(text(&root, ".error-state").contains(t(Text::NetworkError)));
    assert!(text(&root, ".error-state").contains(t(Text::NoMoneyMoved)));
    click(&root, ".error-state button");
    assert_eq!(reloads.load(Ordering::SeqCst), 1, "Try again reads the cards again");
}

#[wasm_bindgen_test]
async fn without_a_card_the_add_money_page_says_so_and_checks_the_card_form_as_it_is_typed() {
    let (root, _, _) = add_money_page(Some(Ok(Vec::new())));
    assert_eq!(text(&root, ".empty-state .empty-title"), t(Funding::NoCardsTitle));
    // Every field is labelled, and asks for what the browser can fill in.
    for (id, label, autocomplete) in [
        ("card-number", Funding::CardNumber, "cc-number"),
        ("card-exp", Funding::CardExpiry, "cc-exp"),
        ("card-cvc", Funding::CardCvc, "cc-csc"),
    ] {
        assert_eq!(text(&root, &format!("label[for={id}]")), t(label), "{id}");
        let input = find(&root, &format!("#{id}")).unwrap();
        assert_eq!(input.get_attribute("autocomplete").as_deref(), Some(autocomplete), "{id}");
        assert_eq!(input.get_attribute("inputmode").as_deref(), Some("numeric"), "{id}");
    }
    assert!(find(&root, "[data-test=card-cancel]").is_none(), "no other card to go back to");

    // The brand shows as the number is typed, grouped in fours; half a number is not an error yet.
    type_into(&root, "#card-number", "424242");
    settle().await;
    assert_eq!(input_value(&root, "#card-number"), "4242 42");
    assert_eq!(text(&root, "#card-brand"), "Visa");
    assert_eq!(text(&root, "#card-number-error"), "");
    // American Express prints 4-6-5.
    type_into(&root, "#card-number", "378282246310005");
    settle().await;
    assert_eq!(input_value(&root, "#card-number"), "3782 822463 10005");
    assert_eq!(text(&root, "#card-brand"), "American Express");
    // The expiry is one field: the slash comes by itself, a paste is taken as it comes.
    type_into(&root, "#card-exp", "12");
    settle().await;
    assert_eq!(input_value(&root, "#card-exp"), "12 / ");
    type_into(&root, "#card-exp", "1229");
    settle().await;
    assert_eq!(input_value(&root, "#card-exp"), "12 / 29");
    type_into(&root, "#card-exp", "12/2029");
    settle().await;
    assert_eq!(input_value(&root, "#card-exp"), "12 / 29");
    // A month that cannot be one is wrong at once, tied to its field.
    type_into(&root, "#card-exp", "13");
    settle().await;
    assert_eq!(text(&root, "#card-exp-error"), t(Funding::CardMonthInvalid));
    let described = find(&root, "#card-exp").unwrap().get_attribute("aria-describedby").unwrap_or_default();
    assert!(described.split(' ').any(|id| id == "card-exp-error"), "{described}");
    // A whole number failing the check is.
    type_into(&root, "#card-number", "4242 4242 4242 4241");
    settle().await;
    assert_eq!(text(&root, "#card-number-error"), t(Funding::CardNumberInvalid));
    assert_eq!(find(&root, "#card-number").unwrap().get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(text(&root, "#card-brand"), "");

    // Submitting what cannot be a card says so on each field, and sends nothing.
    type_into(&root, "#card-number", "4242 4242 4242 4242");
    type_into(&root, "#card-exp", "00/30");
    type_into(&root, "#card-cvc", "12");
    click(&root, "[data-test=card-submit]");
    settle().await;
    assert_eq!(text(&root, "#card-number-error"), "");
    assert_eq!(text(&root, "#card-exp-error"), t(Funding::CardMonthInvalid));
    assert_eq!(text(&root, "#card-cvc-error"), t(Funding::CardCvcInvalid));
    assert!(!find(&root, "[data-test=card-submit]").unwrap().has_attribute("disabled"), "nothing on its way");
}

#[wasm_bindgen_test]
async fn a_card_the_network_cannot_take_keeps_the_form_and_says_why() {
    let (root, _, _) = add_money_page(Some(Ok(Vec::new())));
    type_into(&root, "#card-number", "4242 4242 4242 4242");
    type_into(&root, "#card-exp", "12 / 99");
    type_into(&root, "#card-cvc", "123");
    click(&root, "[data-test=card-submit]");
    // The runner has no card network: the answer is an error, shown above the button, and the
    // form keeps what was typed so the person can try again.
    let deadline = Duration::from_secs(5);
    let mut waited = Duration::ZERO;
    while text(&root, "#card-form-error").is_empty() {
        assert!(waited < deadline, "no error shown: {}", root.inner_html());
        settle().await;
        waited += Duration::from_millis(30);
    }
    assert_eq!(input_value(&root, "#card-number"), "4242 4242 4242 4242");
    assert!(!find(&root, "[data-test=card-submit]").unwrap().has_attribute("disabled"));
}

fn deposit_form(flow: AddMoneyFlow) -> (HtmlElement, RwSignal<AddMoneyFlow>) {
    let root = container();
    let flow = RwSignal::new(flow);
    let handle = leptos::mount::mount_to(root.clone(), move || view! { <DepositForm flow /> });
    handle.forget();
    (root, flow)
}

#[wasm_bindgen_test]
async fn with_a_card_the_button_says_how_much_it_adds_and_a_decline_says_so_plainly() {
    let (root, flow) = deposit_form(AddMoneyFlow::new(vec![visa()]));
    assert_eq!(text(&root, "[data-test=deposit-cards] legend"), t(Funding::AddFrom));
    assert!(is_checked(&root, "#deposit-card-card_1"), "the only card is chosen");
    assert!(text(&root, "[data-test=deposit-cards] label").contains("Visa •• 4242"));
    assert_eq!(text(&root, "label[for=deposit-amount]"), t(Text::Amount));
    assert_eq!(text(&root, "#deposit-submit"), t(Text::Review));
    type_into(&root, "#deposit-amount", "50");
    click(&root, "#deposit-submit");
    settle().await;
    // The review: the button says how much it adds; Edit goes back with the amount kept.
    assert_eq!(flow.get_untracked().step, DepositStep::Review);
    assert_eq!(text(&root, ".review-confirm"), "Add $50.00");
    assert!(text(&root, ".review-line[data-line=from]").contains("Visa •• 4242"));
    click(&root, "[data-action=edit]");
    settle().await;
    assert_eq!(input_value(&root, "#deposit-amount"), "50");

    // A refused amount, on its field.
    type_into(&root, "#deposit-amount", "50.001");
    click(&root, "#deposit-submit");
    settle().await;
    assert_eq!(text(&root, "#deposit-amount-error"), t(Text::AmountFormat));
    assert_eq!(flow.get_untracked().step, DepositStep::Form);

    // The card network declines: in plain words, and nothing moved.
    flow.update(|f| {
        f.amount = "50".into();
        f.review();
        f.submit(|| "k1".into());
    });
    settle().await;
    assert_eq!(text(&root, ".review-confirm"), t(Funding::Adding));
    assert!(find(&root, ".review-confirm").unwrap().has_attribute("disabled"));
    flow.update(|f| {
        let declined = Deposit {
            id: "dep_1".into(),
            status: DepositStatus::Failed,
            failure_code: Some(ErrorCode::CardDeclined),
            amount: "50.00".into(),
            currency: Currency::Usd,
        };
        f.answer("k1", Ok(declined));
    });
    settle().await;
    assert_eq!(text(&root, "#deposit-error"), t(Funding::DepositDeclined));
    assert_eq!(find(&root, "#deposit-error").unwrap().get_attribute("role").as_deref(), Some("alert"));

    // "Use another card" opens the card form, with a way back.
    click(&root, "[data-test=use-another-card]");
    settle().await;
    assert!(find(&root, "#card-number").is_some());
    click(&root, "[data-test=card-cancel]");
    settle().await;
    assert!(find(&root, "#deposit-amount").is_some());
}

#[wasm_bindgen_test]
async fn money_added_says_how_much_from_which_card_and_the_balance_now() {
    let (root, flow) = deposit_form(AddMoneyFlow::new(vec![visa()]));
    flow.update(|f| {
        f.amount = "50".into();
        f.submit(|| "k1".into());
        let added = Deposit {
            id: "dep_1".into(),
            status: DepositStatus::Completed,
            failure_code: None,
            amount: "50.00".into(),
            currency: Currency::Usd,
        };
        f.answer("k1", Ok(added));
    });
    settle().await;
    let done = find(&root, "[data-test=deposit-done]").expect("the done screen");
    assert_eq!(done.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(text(&root, "#deposit-done-title"), t(Funding::AddedTitle));
    assert_eq!(text(&root, "#deposit-done-text"), "$50.00 from Visa •• 4242 is in your wallet.");
    assert_eq!(text(&root, "#deposit-balance"), "");
    flow.update(|f| f.balance_read("150.00".into()));
    settle().await;
    assert_eq!(text(&root, "#deposit-balance"), "Your balance is $150.00.");
    click(&root, "[data-test=deposit-again]");
    settle().await;
    assert_eq!(input_value(&root, "#deposit-amount"), "");
}

/// The withdraw form for `flow`, for Alice (with a payment PIN or not).
fn withdraw_form(flow: WithdrawFlow, pin_set: bool) -> (HtmlElement, RwSignal<WithdrawFlow>) {
    let root = container();
    let flow = RwSignal::new(flow);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(Session { state: RwSignal::new(SessionState::SignedIn(alice(pin_set))) });
        view! { <WithdrawForm flow /> }
    });
    handle.forget();
    (root, flow)
}

#[wasm_bindgen_test]
async fn the_withdraw_preview_follows_the_amount_and_the_speed() {
    let (root, flow) =
        withdraw_form(WithdrawFlow::new(vec![visa()], vec![sandbox_bank()], Some("100.00".into())), true);
    assert!(text(&root, "[data-test=withdraw-available]").ends_with("$100.00"));
    // The speeds: one group of native radio buttons (arrow keys move between them), labelled.
    assert_eq!(text(&root, "[data-test=withdraw-speed] legend"), t(Funding::SpeedLegend));
    for speed in ["standard", "instant"] {
        let radio = find(&root, &format!("#withdraw-speed-{speed}")).unwrap();
        assert_eq!(radio.get_attribute("type").as_deref(), Some("radio"));
        assert_eq!(radio.get_attribute("name").as_deref(), Some("withdraw-speed"));
        assert!(find(&root, &format!("label[for=withdraw-speed-{speed}]")).is_some());
    }
    assert!(is_checked(&root, "#withdraw-speed-standard"), "a bank account: standard first");
    assert_eq!(text(&root, "label[for=withdraw-destination]"), t(Funding::WithdrawTo));
    assert_eq!(text(&root, "#withdraw-destination"), "Sandbox Bank •• 6789");
    assert_eq!(text(&root, "#withdraw-preview"), "");
    assert_eq!(
        find(&root, "#withdraw-preview").unwrap().get_attribute("aria-live").as_deref(),
        Some("polite")
    );

    type_into(&root, "#withdraw-amount", "20.00");
    settle().await;
    assert_eq!(text(&root, "#withdraw-preview"), t(Funding::PreviewFree));
    assert_eq!(text(&root, "#withdraw-submit"), t(Text::Review));
    // The quote's arrival time, once it is read.
    flow.update(|f| f.arrives_by = Some("2026-11-22T14:05:00Z".into()));
    settle().await;
    assert!(text(&root, "#withdraw-preview").starts_with("Free · Arrives by "));

    click(&root, "#withdraw-speed-instant");
    settle().await;
    assert_eq!(flow.get_untracked().speed, Speed::Instant);
    assert_eq!(text(&root, "#withdraw-destination"), "Visa •• 4242");
    assert_eq!(text(&root, "#withdraw-preview"), "Fee $0.35 · Total $20.35 · Arrives instantly");
    // At the fee's edges.
    type_into(&root, "#withdraw-amount", "14.28");
    settle().await;
    assert_eq!(text(&root, "#withdraw-preview"), "Fee $0.25 · Total $14.53 · Arrives instantly");
    type_into(&root, "#withdraw-amount", "99");
    settle().await;
    assert_eq!(text(&root, "#withdraw-short span"), "You have $100.00 — add $0.73?");
    assert_eq!(
        find(&root, "#withdraw-short a").unwrap().get_attribute("href").as_deref(),
        Some("/add-money?amount=0.73")
    );

    // The PIN is asked for, and refused on its field when it is not one.
    type_into(&root, "#withdraw-amount", "20");
    let pin = find(&root, "#withdraw-pin").expect("a PIN field");
    assert_eq!(pin.get_attribute("type").as_deref(), Some("password"));
    assert_eq!(text(&root, "label[for=withdraw-pin]"), t(Text::PaymentPin));
    click(&root, "#withdraw-submit");
    settle().await;
    assert_eq!(text(&root, "#withdraw-pin-error"), t(Text::PinFormat));
    assert_eq!(flow.get_untracked().step, WithdrawStep::Form, "nothing sent");
}

#[wasm_bindgen_test]
async fn without_a_place_to_send_it_or_a_pin_the_withdraw_form_says_what_to_do_first() {
    let (root, _) = withdraw_form(WithdrawFlow::new(vec![visa()], Vec::new(), None), true);
    assert!(is_checked(&root, "#withdraw-speed-instant"), "only a card: instant first");
    click(&root, "#withdraw-speed-standard");
    settle().await;
    assert!(text(&root, "[data-test=withdraw-no-destination]").contains(t(Funding::WithdrawNoBank)));
    assert_eq!(
        find(&root, "[data-test=withdraw-add-destination]").unwrap().get_attribute("href").as_deref(),
        Some("/settings/payment-methods")
    );
    assert!(find(&root, "#withdraw-destination").is_none());

    let (root, _) = withdraw_form(WithdrawFlow::new(vec![visa()], vec![sandbox_bank()], None), false);
    assert!(text(&root, "[data-test=withdraw-pin-not-set]").contains(t(Funding::WithdrawPinNotSet)));
    assert!(find(&root, "#withdraw-pin").is_none() && find(&root, "#withdraw-submit").is_none());
}

#[wasm_bindgen_test]
async fn a_withdrawal_refused_or_done_says_what_happened() {
    let (root, flow) =
        withdraw_form(WithdrawFlow::new(vec![visa()], vec![sandbox_bank()], Some("100.00".into())), true);
    flow.update(|f| {
        f.set_speed(Speed::Instant);
        f.amount = "20.00".into();
        f.submit("1234", || "k1".into());
    });
    settle().await;
    assert_eq!(text(&root, ".review-confirm"), t(Funding::Withdrawing));
    assert!(find(&root, ".review-confirm").unwrap().has_attribute("disabled"), "on its way");
    assert!(find(&root, "#withdraw-amount").is_none(), "the review, not the form, while on its way");
    flow.update(|f| {
        let declined = ApiError {
            status: Some(422),
            code: Some(ErrorCode::CardDeclined),
            message: "Declined.".into(),
            field: None,
            details: None,
        };
        f.answer("k1", Err(declined));
    });
    settle().await;
    assert_eq!(text(&root, "#withdraw-error"), t(Funding::WithdrawDeclined));
    assert!(!find(&root, "#withdraw-amount").unwrap().matches(":disabled").unwrap());

    // A standard withdrawal: pending, with when it arrives and the way to the activity.
    flow.update(|f| {
        f.set_speed(Speed::Standard);
        f.submit("1234", || "k2".into());
        let pending = Withdrawal {
            id: "wd_1".into(),
            status: WithdrawalStatus::Pending,
            amount: "20.00".into(),
            fee: "0.00".into(),
            arrives_by: "2026-11-22T14:05:00Z".into(),
            review: None,
        };
        f.answer("k2", Ok(pending));
    });
    settle().await;
    let done = find(&root, "[data-test=withdraw-done]").expect("the done screen");
    assert_eq!(done.get_attribute("data-status").as_deref(), Some("pending"));
    assert_eq!(done.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(text(&root, "#withdraw-done-title"), t(Funding::WithdrawPendingTitle));
    assert!(
        text(&root, "#withdraw-done-text")
            .starts_with("$20.00 is on its way to Sandbox Bank •• 6789. Arrives by ")
    );
    assert_eq!(text(&root, "#withdraw-status"), t(Text::StatusPending));
    assert_eq!(
        find(&root, "[data-test=withdraw-see-activity]").unwrap().get_attribute("href").as_deref(),
        Some("/wallet")
    );
    click(&root, "[data-test=withdraw-again]");
    settle().await;
    assert_eq!(input_value(&root, "#withdraw-amount"), "");
}

type Cards = RwSignal<Option<Result<Vec<Card>, ApiError>>>;
type Banks = RwSignal<Option<Result<Vec<BankAccount>, ApiError>>>;

fn methods_page(
    cards: Option<Result<Vec<Card>, ApiError>>,
    banks: Option<Result<Vec<BankAccount>, ApiError>>,
) -> (HtmlElement, Cards, Banks) {
    let root = container();
    let (cards, banks) = (RwSignal::new(cards), RwSignal::new(banks));
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let nothing = Callback::new(|()| ());
        view! { <PaymentMethodsView cards banks on_reload_cards=nothing on_reload_banks=nothing /> }
    });
    handle.forget();
    (root, cards, banks)
}

#[wasm_bindgen_test]
async fn payment_methods_are_listed_and_removing_one_asks_first() {
    let (root, _, _) = methods_page(Some(Ok(vec![visa()])), Some(Ok(vec![sandbox_bank()])));
    assert_eq!(text(&root, "h1#methods-title"), t(Funding::PaymentMethodsTitle));
    assert!(text(&root, "[data-test=card-list] .method-row").contains("Visa •• 4242"));
    assert!(text(&root, "[data-test=card-list] .method-row").contains("Expires 12/30"));
    assert!(text(&root, "[data-test=bank-list] .method-row").contains("Sandbox Bank •• 6789"));
    let remove = find(&root, "[data-test=remove-card]").unwrap();
    assert_eq!(remove.get_attribute("aria-label").as_deref(), Some("Remove Visa •• 4242"));
    // With a card already, the card form waits behind a button.
    assert!(find(&root, "#card-number").is_none());
    assert!(find(&root, "[data-test=show-card-form]").is_some());

    let dialog: web_sys::HtmlDialogElement = find(&root, "dialog").unwrap().unchecked_into();
    assert!(!dialog.open());
    click(&root, "[data-test=remove-bank]");
    settle().await;
    assert!(dialog.open(), "a confirmation first");
    assert_eq!(text(&root, "#remove-title"), t(Funding::RemoveBankTitle));
    assert!(text(&root, "[data-test=remove-dialog]").contains("Sandbox Bank •• 6789"));
    click(&root, "[data-test=cancel-remove]");
    settle().await;
    assert!(!dialog.open());
    assert!(find(&root, "[data-test=bank-list] .method-row").is_some(), "kept");

    click(&root, "[data-test=show-bank-form]");
    settle().await;
    // The routing number is checked as it is typed.
    type_into(&root, "#bank-routing", "110000000");
    settle().await;
    assert_eq!(text(&root, "#bank-routing-check"), t(Funding::RoutingValid));
    assert_eq!(text(&root, "#bank-routing-error"), "");
    type_into(&root, "#bank-routing", "110000001");
    settle().await;
    assert_eq!(text(&root, "#bank-routing-error"), t(Funding::RoutingInvalid));
    assert_eq!(text(&root, "#bank-routing-check"), "");
    for (id, label) in [
        ("bank-routing", Funding::RoutingNumber),
        ("bank-account", Funding::AccountNumber),
        ("bank-holder", Funding::HolderName),
    ] {
        assert_eq!(text(&root, &format!("label[for={id}]")), t(label));
    }
    click(&root, "[data-test=bank-submit]");
    settle().await;
    assert_eq!(text(&root, "#bank-account-error"), t(Funding::AccountInvalid));
    assert_eq!(text(&root, "#bank-holder-error"), t(Funding::HolderInvalid));
}

#[wasm_bindgen_test]
async fn each_payment_method_list_has_its_loading_empty_and_error_state() {
    let (root, cards, banks) = methods_page(None, None);
    assert_eq!(root.query_selector_all(".skeleton-list").unwrap().length(), 2);
    cards.set(Some(Ok(Vec::new())));
    banks.set(Some(Err(ApiError::network())));
    settle().await;
    assert_eq!(text(&root, "[data-test=cards-section] .empty-title"), t(Funding::NoCardsTitle));
    assert!(find(&root, "[data-test=cards-section] #card-number").is_some(), "the way to add the first");
    assert!(text(&root, "[data-test=banks-section] .error-state").contains(t(Text::NetworkError)));
    banks.set(Some(Ok(Vec::new())));
    settle().await;
    assert_eq!(text(&root, "[data-test=banks-section] .empty-title"), t(Funding::NoBanksTitle));
    assert!(find(&root, "[data-test=banks-section] #bank-routing").is_some());
}

/// Omar at tier 0, restricted to show the sentence: $37.60 of $250.00 sent, nothing held.
fn compliance(status: purse_api::compliance::AccountStatus) -> purse_api::compliance::Compliance {
    use purse_api::compliance::{
        Compliance, LimitItem, LimitKind, NextTier, Region, VerificationState, VerificationStatus,
    };
    let item = |kind: LimitKind, limit: &str, used: &str, remaining: &str| LimitItem {
        kind,
        window: kind.window(),
        limit: limit.into(),
        used: used.into(),
        remaining: remaining.into(),
        currency: Currency::Usd,
        resets_at: Some("2099-12-10T10:00:00Z".into()),
    };
    Compliance {
        tier: 0,
        status,
        region: Region { state: Some("NY".into()), available: false },
        verification: VerificationState { status: VerificationStatus::None, reason_code: None },
        limits: vec![
            item(LimitKind::Send, "250.00", "37.60", "212.40"),
            item(LimitKind::Deposit, "500.00", "0.00", "500.00"),
        ],
        next_tier: Some(NextTier {
            tier: 1,
            unlocks: vec![item(LimitKind::Send, "7500.00", "37.60", "7462.40")],
        }),
        holds: vec![],
    }
}

#[wasm_bindgen_test]
async fn the_limits_page_shows_the_tier_a_plain_status_the_meters_and_the_verify_form() {
    use purse_api::compliance::AccountStatus;
    use purse_web::text::Limits;
    let root = container();
    let loaded = RwSignal::new(None);
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! { <LimitsView loaded on_retry=Callback::new(|()| {}) on_changed=Callback::new(|()| {}) /> }
    });
    assert_eq!(text(&root, "h1"), t(Limits::Title));
    assert!(find(&root, ".skeleton-list[aria-busy=true]").is_some(), "a skeleton while reading");

    loaded.set(Some(Ok(compliance(AccountStatus::Restricted))));
    settle().await;
    assert_eq!(text(&root, "[data-test=tier]"), "Tier 0");
    assert_eq!(text(&root, "[data-test=status]"), "Restricted");
    assert_eq!(
        text(&root, "[data-test=status-sentence]"),
        "Purse isn't licensed in New York yet. You can see and withdraw your money; nothing else can move."
    );
    assert_eq!(text(&root, ".meter[data-kind=send] .meter-used"), "$37.60 of $250.00 used");
    assert_eq!(text(&root, ".meter[data-kind=send] [data-test=meter-left]"), "$212.40 left");
    let bar = find(&root, ".meter[data-kind=send] progress").unwrap();
    assert_eq!(
        (bar.get_attribute("value").as_deref(), bar.get_attribute("max").as_deref()),
        (Some("3760"), Some("25000"))
    );
    assert!(text(&root, ".unlocks").contains("Sending: $7,500.00 in any 7 days"));
    let ssn = find(&root, "#verify-ssn-last4").unwrap();
    assert_eq!(ssn.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert_eq!(find(&root, "#verify-state").unwrap().query_selector_all("option").unwrap().length(), 52);
    assert_eq!(text(&root, ".empty-state .empty-title"), t(Limits::NoHoldsTitle));

    // An empty form is refused on its first field, and nothing is sent.
    find(&root, "[data-test=verify-submit]").unwrap().unchecked_into::<HtmlElement>().click();
    settle().await;
    assert_eq!(text(&root, "#verify-legal-name-error"), t(Limits::ErrLegalName));

    loaded.set(Some(Err(ApiError::network())));
    settle().await;
    assert!(find(&root, ".error-state button").is_some(), "what went wrong, and a retry");
}

#[wasm_bindgen_test]
fn the_limit_note_says_what_is_left_and_links_to_the_limits_page_and_to_withdrawing_when_restricted() {
    use purse_api::compliance::LimitKind;
    let root = container();
    let over = LimitRefusal::Over { kind: LimitKind::Send, remaining_minor: 21_240, resets_at: None };
    let restricted = LimitRefusal::Restricted { state: Some("NY".into()) };
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! { <LimitNote refusal=over.clone() id="over" /><LimitNote refusal=restricted.clone() id="restricted" /> }
    });
    assert_eq!(text(&root, "#over p"), "You can send $212.40 more.");
    assert_eq!(find(&root, "#over a").unwrap().get_attribute("href").as_deref(), Some("/settings/limits"));
    assert!(find(&root, "#over [data-test=limit-note-withdraw]").is_none());
    assert!(text(&root, "#restricted p").contains("Withdrawing still works."));
    assert_eq!(
        find(&root, "#restricted [data-test=limit-note-withdraw]").unwrap().get_attribute("href").as_deref(),
        Some("/withdraw")
    );
}

#[wasm_bindgen_test]
async fn the_statements_page_picks_a_month_shows_its_totals_and_entries_and_links_its_downloads() {
    use std::collections::HashMap;

    use purse_api::{Statement, StatementEntry};
    use purse_web::flows::statements_view::{Found, Picker, YearMonth};
    use purse_web::pages::statements::StatementsView;
    use purse_web::text::Statements;

    let month = |code: &str| YearMonth::parse(code).unwrap();
    let root = container();
    let picker = RwSignal::new(None::<Picker>);
    let read = RwSignal::new(HashMap::new());
    let retried = RwSignal::new(None::<YearMonth>);
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! { <StatementsView picker read on_retry=Callback::new(move |m| retried.set(Some(m))) /> }
    });
    assert_eq!(text(&root, "h1"), t(Statements::Title));
    assert!(find(&root, ".skeleton-list[aria-busy=true]").is_some(), "a skeleton while this month is read");
    let select = find(&root, "#statement-month").unwrap();
    assert_eq!(
        find(&root, "label[for=statement-month]").unwrap().text_content().as_deref(),
        Some("Month"),
        "the picker is labelled"
    );

    // Last month to begin with, its statement being read.
    picker.set(Some(Picker::new(month("2027-01"), month("2026-12"))));
    read.update(|r| {
        r.insert(month("2026-12"), None);
    });
    settle().await;
    let value =
        |select: &Element| js_sys::Reflect::get(select, &"value".into()).unwrap().as_string().unwrap();
    assert_eq!(value(&select), "2026-12");
    let list = select.query_selector_all("option").unwrap();
    let options: Vec<String> =
        (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap()).collect();
    assert_eq!(options, ["January 2027 (so far)", "December 2026"]);
    assert!(find(&root, ".statement[data-month='2026-12'] .skeleton-list").is_some());

    let statement = Statement {
        month: "2026-12".into(),
        currency: Currency::Usd,
        opening_balance: "0.00".into(),
        closing_balance: "1002.68".into(),
        total_in: "1002.68".into(),
        total_out: "0.00".into(),
        interest: "2.68".into(),
        fees: "0.00".into(),
        entries: vec![
            StatementEntry {
                activity_id: "tr_funding".into(),
                booked_at: "2026-12-07T14:00:00Z".into(),
                kind: ActivityKind::Deposit,
                description: "Money added".into(),
                amount: "1000.00".into(),
                direction: Direction::In,
                balance_after: "1000.00".into(),
                note: None,
                counterparty: None,
            },
            StatementEntry {
                activity_id: "tr_interest".into(),
                booked_at: "2026-12-31T23:59:59Z".into(),
                kind: ActivityKind::Interest,
                description: "Interest".into(),
                amount: "2.68".into(),
                direction: Direction::In,
                balance_after: "1002.68".into(),
                note: None,
                counterparty: None,
            },
        ],
    };
    read.update(|r| {
        r.insert(month("2026-12"), Some(Ok(statement.clone())));
    });
    picker.update(|p| p.as_mut().unwrap().answered(month("2026-12"), Found::Yes));
    settle().await;
    assert_eq!(text(&root, "#statement-title"), "December 2026");
    assert_eq!(text(&root, "[data-total=opening] dd"), "$0.00");
    assert_eq!(text(&root, "[data-total=in] dd"), "+$1,002.68");
    assert_eq!(text(&root, "[data-total=interest] dd"), "$2.68");
    assert_eq!(text(&root, "[data-total=closing] dd"), "$1,002.68");
    let interest = text(&root, ".statement-entry[data-kind=interest]");
    assert!(interest.contains("Interest") && interest.contains("Dec 31"), "{interest}");
    assert!(interest.contains("+$2.68") && interest.contains("Balance after $1,002.68"), "{interest}");
    assert_eq!(
        find(&root, ".statement-entry[data-kind=interest] a").unwrap().get_attribute("href").as_deref(),
        Some("/activity/tr_interest")
    );
    let links: Vec<(Option<String>, Option<String>)> = ["csv", "ofx", "camt053"]
        .iter()
        .map(|format| {
            let link = find(&root, &format!(".statement-downloads a[data-format={format}]")).unwrap();
            (link.get_attribute("href"), link.get_attribute("download"))
        })
        .collect();
    assert_eq!(
        links,
        [
            (Some("/api/v1/statements?month=2026-12&format=csv".into()), Some("purse-2026-12.csv".into())),
            (Some("/api/v1/statements?month=2026-12&format=ofx".into()), Some("purse-2026-12.ofx".into())),
            (
                Some("/api/v1/statements?month=2026-12&format=camt053".into()),
                Some("purse-2026-12.xml".into())
            ),
        ]
    );
    assert!(text(&root, ".statement-downloads").contains("accounting software"));

    // The month before it: a 404 is "before the account", not listed; picking this month, empty.
    picker.update(|p| p.as_mut().unwrap().answered(month("2026-11"), Found::No));
    read.update(|r| {
        r.insert(
            month("2027-01"),
            Some(Ok(Statement { month: "2027-01".into(), entries: vec![], ..statement.clone() })),
        );
    });
    js_sys::Reflect::set(&select, &"value".into(), &"2027-01".into()).unwrap();
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    settle().await;
    assert_eq!(text(&root, "#statement-title"), "January 2027");
    assert_eq!(text(&root, ".empty-state .empty-title"), "No posted activity in this month");

    // Could not load: what went wrong and a retry for that month; no statement: no retry.
    read.update(|r| {
        r.insert(month("2027-01"), Some(Err(ApiError::network())));
    });
    settle().await;
    assert!(text(&root, ".error-state").starts_with("This statement can't be loaded right now."));
    find(&root, ".error-state button").unwrap().unchecked_into::<HtmlElement>().click();
    assert_eq!(retried.get_untracked(), Some(month("2027-01")));
    read.update(|r| {
        r.insert(
            month("2027-01"),
            Some(Err(ApiError::from_answer(404, r#"{"error":{"code":"not_found","message":"No."}}"#))),
        );
    });
    settle().await;
    assert_eq!(text(&root, ".error-state .error-message"), "There's no statement for this month.");
    assert!(find(&root, ".error-state button").is_none());
}

#[wasm_bindgen_test]
fn an_interest_payment_reads_interest_and_the_month_it_is_for() {
    let root = container();
    let interest = Activity {
        kind: ActivityKind::Interest,
        amount: "2.68".into(),
        created_at: "2027-01-01T00:00:00Z".into(),
        ..activity(Direction::In, ActivityStatus::Completed, None, None)
    };
    let _view = leptos::mount::mount_to(root.clone(), move || {
        view! { <ul id="interest"><ActivityRow activity=interest.clone() /></ul> }
    });
    assert_eq!(text(&root, "#interest .activity-title"), "Interest");
    assert!(text(&root, "#interest .activity-sub").starts_with("For December 2026 · "));
    assert!(text(&root, "#interest .activity-amount").ends_with("+$2.68"));
}
