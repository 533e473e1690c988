//! Limits and verification, as a person meets them (issue 20): Omar, not verified yet (tier 0,
//! 250.00 a week to send), tries to send more than that and is told how much is left before
//! anything is sent; the note takes him to the limits page (which fits a phone and a laptop and
//! passes axe-core), where the server's own checks refuse a three-digit SSN part on its field;
//! he verifies to tier 1 with the form, the page shows his new limits, and the send goes through.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use purse_api::{Currency, Handle};
use purse_ledger::{Movement, TransferId, TransferRequest};
use purse_server::codes;
use purse_server::flows::Settings;

use crate::looks::{LAPTOP, PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{ChromeDriver, browser, click, serve_with, sign_in, text_of, type_into, wait_until};

/// A ledger transfer id no operation of the server ever takes (theirs start at 2^40).
const FUNDING_ID: i64 = 900_001;

/// Gives `handle` `cents` from the demo funding account, as the demo funds its people.
async fn fund(state: &purse_server::AppState, handle: &str, cents: u64) {
    let person = state.db.user_by_handle(Handle::parse(handle).unwrap().as_str()).await.unwrap().unwrap();
    let request = TransferRequest::posted(
        FUNDING_ID,
        Movement {
            debit_account_id: codes::DEMO_FUNDING,
            credit_account_id: codes::wallet_of(person.id),
            amount: cents,
            currency: Currency::Usd,
            code: codes::transfer::DEPOSIT,
        },
    );
    state.ledger.create_transfer(request).await.unwrap().unwrap();
    assert_eq!(state.ledger.lookup_transfers(&[TransferId(FUNDING_ID)]).await.unwrap().len(), 1);
}

/// `GET /me/compliance` as the signed-in page sees it.
async fn compliance(client: &Client) -> serde_json::Value {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/v1/me/compliance').then(r => r.json()).then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap()
}

/// The limits page at `size`: nothing scrolls sideways, axe-core finds nothing serious, and a
/// screenshot for people to look at.
async fn check_looks(client: &Client, size: (u32, u32), name: &str) {
    viewport(client, size).await;
    wait_until(
        client,
        "return document.querySelector('main [aria-busy=true]') === null;",
        "the page settled",
    )
    .await;
    assert_no_sideways_scroll(client, &format!("/settings/limits, {name}")).await;
    assert_accessible(client, &format!("/settings/limits, {name}")).await;
    screenshot(client, &format!("page-settings-limits-{name}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omar_is_told_what_is_left_verifies_to_tier_1_on_the_limits_page_and_sends() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { demo: true, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    fund(&state, "omar", 40_000).await;
    let driver = ChromeDriver::start();
    let omar = browser(&driver).await;
    viewport(&omar, PHONE).await;
    let base = format!("http://{addr}");
    sign_in(&omar, &base, "omar").await;
    let before = compliance(&omar).await;
    assert_eq!(before["tier"], serde_json::json!(0), "omar starts unverified: {before}");

    // More than the week's 250.00: refused before any review, with what is left and the way on.
    omar.goto(&format!("{base}/send")).await.unwrap();
    type_into(&omar, "#to", "bob").await;
    assert_eq!(text_of(&omar, ".profile-preview strong").await, "Bob Okafor");
    type_into(&omar, "#amount", "260.00").await;
    omar.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    let note = text_of(&omar, "#send-limit[data-refusal=over]").await;
    assert!(note.starts_with("You can send $250.00 more"), "{note}");
    let reviews =
        omar.execute("return document.querySelector('#send-review') === null;", vec![]).await.unwrap();
    assert_eq!(reviews, serde_json::json!(true), "no review: nothing is about to move");
    screenshot(&omar, "send-over-limit-phone").await;

    // The note's link: the limits page, with the meters and what tier 1 unlocks.
    click(&omar, "#send-limit [data-test=limit-note-link]").await;
    assert_eq!(text_of(&omar, "main h1").await, "Limits and verification");
    assert_eq!(text_of(&omar, "[data-test=tier]").await, "Tier 0");
    assert_eq!(text_of(&omar, "[data-test=status]").await, "Active");
    assert_eq!(text_of(&omar, ".meter[data-kind=send] [data-test=meter-left]").await, "$250.00 left");
    assert!(text_of(&omar, ".unlocks").await.contains("Sending: $7,500.00 in any 7 days"));
    check_looks(&omar, PHONE, "phone").await;
    check_looks(&omar, LAPTOP, "laptop").await;
    viewport(&omar, PHONE).await;

    // The form checks by the server's own rules first: three digits of the SSN are refused on
    // their field, and nothing is sent.
    type_into(&omar, "#verify-legal-name", "Omar Farouk").await;
    type_into(&omar, "#verify-date-of-birth", "1990-02-28").await;
    type_into(&omar, "#verify-line1", "1 Main St").await;
    type_into(&omar, "#verify-city", "Austin").await;
    omar.find(Locator::Css("#verify-state")).await.unwrap().select_by_value("TX").await.unwrap();
    type_into(&omar, "#verify-postal-code", "78701").await;
    type_into(&omar, "#verify-ssn-last4", "123").await;
    click(&omar, "[data-test=verify-submit]").await;
    assert_eq!(
        text_of(&omar, "#verify-ssn-last4-error").await,
        "Enter exactly the last 4 digits of your SSN."
    );
    assert_eq!(compliance(&omar).await["tier"], serde_json::json!(0));
    type_into(&omar, "#verify-ssn-last4", "4").await;
    click(&omar, "[data-test=verify-submit]").await;
    assert_eq!(text_of(&omar, "[data-outcome=verified]").await, "You're verified: welcome to tier 1.");
    wait_until(
        &omar,
        "return document.querySelector('[data-test=tier]')?.innerText === 'Tier 1';",
        "the page read again at tier 1",
    )
    .await;
    assert!(text_of(&omar, ".meter[data-kind=send] .meter-limit").await.starts_with("$7,500.00"));
    let focused = omar.execute("return document.activeElement?.id;", vec![]).await.unwrap();
    assert_eq!(focused, serde_json::json!("verify-outcome"), "the outcome takes focus, in view");
    screenshot(&omar, "limits-verified-phone").await;
    let after = compliance(&omar).await;
    assert_eq!(
        (after["tier"].clone(), after["status"].clone()),
        (serde_json::json!(1), serde_json::json!("active"))
    );

    // And the send goes through, with the PIN (above the step-up threshold).
    omar.goto(&format!("{base}/send")).await.unwrap();
    type_into(&omar, "#to", "bob").await;
    assert_eq!(text_of(&omar, ".profile-preview strong").await, "Bob Okafor");
    type_into(&omar, "#amount", "260.00").await;
    omar.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(text_of(&omar, ".review-confirm").await, "Send $260.00");
    type_into(&omar, "#pin", purse_server::flows::demo::PIN).await;
    click(&omar, "form button[type=submit]").await;
    assert_eq!(text_of(&omar, ".done-title").await, "Sent");
    let sent = compliance(&omar).await;
    let send =
        sent["limits"].as_array().unwrap().iter().find(|item| item["kind"] == "send").cloned().unwrap();
    assert_eq!(send["used"], serde_json::json!("260.00"), "{sent}");
    assert!(state.ledger.audit().await.unwrap().is_clean());

    omar.close().await.unwrap();
    state.ledger.shutdown().await;
}
