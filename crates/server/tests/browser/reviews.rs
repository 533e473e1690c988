//! Reviews before money moves, on a phone: the send form shows the balance and refuses what it
//! cannot cover (with Add money one tap away); the send's review and paying a request's review
//! say who, how much, the balance after, the fee, the arrival and whether it can be canceled,
//! and nothing moves until the confirm; declining asks once; and an empty wallet's tip sheet
//! offers no preset it cannot pay, saying why.

use std::time::Duration;

use fantoccini::{Client, Locator};
use purse_server::AppState;
use purse_server::codes;
use purse_server::flows::Settings;

use crate::looks::{PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{
    ChromeDriver, browser, click, in_purse, press, purse_shows, purse_text, purse_until, serve_with, sign_in,
    text_of, type_into, wait_until,
};

/// Alice's wallet as the ledger has it: (debits posted, debits pending), in cents.
async fn alice_debits(state: &AppState) -> (u64, u64) {
    let alice = state.db.user_by_handle("alice").await.unwrap().unwrap();
    let account = state.ledger.lookup_account(codes::wallet_of(alice.id)).await.unwrap().unwrap();
    (account.balances.debits_posted, account.balances.debits_pending)
}

/// Bob asks Alice for `amount`.
async fn bob_asks_alice(state: &AppState, amount: &str) {
    let bob = state.db.user_by_handle("bob").await.unwrap().unwrap();
    let new = purse_server::flows::requests::NewRequest {
        from: purse_api::Handle::parse("alice").unwrap(),
        amount: purse_api::Amount::parse(amount, "USD").unwrap(),
        note: None,
    };
    purse_server::flows::requests::create(state, &bob, new).await.unwrap();
}

/// The review's lines, `data-line: text` with the text on one line.
async fn review_lines(client: &Client, scope: &str) -> Vec<String> {
    let lines = client
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' .review-line')]\
             .map(l => l.dataset.line + ': ' + l.querySelector('dd').innerText.replace(/\\s+/g, ' ').trim());",
            vec![serde_json::json!(scope)],
        )
        .await
        .unwrap();
    serde_json::from_value(lines).unwrap()
}

async fn value_of(client: &Client, css: &str) -> String {
    let value = client
        .execute("return document.querySelector(arguments[0])?.value ?? null;", vec![serde_json::json!(css)])
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payment_is_reviewed_before_money_moves_and_what_cannot_be_paid_is_refused_first() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { demo: true, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let alice = browser(&driver).await;
    viewport(&alice, PHONE).await;
    let base = format!("http://{addr}");
    sign_in(&alice, &base, "alice").await;

    // The send form shows what she can spend, and refuses more than that before any review.
    alice.goto(&format!("{base}/send")).await.unwrap();
    assert_eq!(text_of(&alice, "[data-test=available]").await, "Available $500.00");
    type_into(&alice, "#to", "bob").await;
    assert_eq!(text_of(&alice, ".profile-preview strong").await, "Bob Okafor");
    type_into(&alice, "#amount", "900.00").await;
    click(&alice, "form button[type=submit]").await;
    assert_eq!(text_of(&alice, "[data-test=shortfall] span").await, "You have $500.00 — add $400.00?");
    let add = alice
        .execute(
            "return document.querySelector('[data-test=shortfall-add-money]').getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(add, serde_json::json!("/add-money?amount=400.00"), "Add money carries the amount");
    assert_eq!(
        alice.execute("return document.querySelector('.review-summary') === null;", vec![]).await.unwrap(),
        serde_json::json!(true),
        "no review for what cannot be paid"
    );

    // 12.50 fits: the review says everything, takes focus, and nothing has moved.
    alice.find(Locator::Css("#amount")).await.unwrap().clear().await.unwrap();
    type_into(&alice, "#amount", "12.50").await;
    click(&alice, "form button[type=submit]").await;
    assert!(text_of(&alice, "#send-review").await.contains("$12.50"));
    assert_eq!(
        review_lines(&alice, "").await,
        [
            "to: B Bob Okafor @bob",
            "from: Purse balance $500.00 now, $487.50 after",
            "fee: Free",
            "arrival: Right away",
            "cancel: Yes for 10 minutes, because it's your first payment to @bob",
        ]
    );
    assert_eq!(text_of(&alice, ".review-confirm").await, "Send $12.50");
    wait_until(&alice, "return document.activeElement?.id === 'send-review';", "the review to take focus")
        .await;
    assert_eq!(alice_debits(&state).await, (0, 0), "nothing moved before the confirm");
    assert_accessible(&alice, "the send review").await;
    assert_no_sideways_scroll(&alice, "the send review").await;
    screenshot(&alice, "review-send-phone").await;

    // Edit goes back with the values kept; then the confirm sends it.
    click(&alice, "[data-action=edit]").await;
    wait_until(&alice, "return document.querySelector('#amount')?.value === '12.50';", "the amount kept")
        .await;
    assert_eq!(value_of(&alice, "#to").await, "bob");
    click(&alice, "form button[type=submit]").await;
    click(&alice, "[data-action=confirm]").await;
    assert_eq!(text_of(&alice, ".done-title").await, "Sent");
    assert_eq!(alice_debits(&state).await, (0, 1_250), "once, held for the grace window");

    // Paying a request opens its review; it is not paid until the confirm.
    bob_asks_alice(&state, "12.00").await;
    alice.goto(&format!("{base}/wallet")).await.unwrap();
    click(&alice, ".request-row [data-action=pay]").await;
    assert_eq!(text_of(&alice, ".request-row .review-confirm").await, "Pay $12.00");
    assert_eq!(
        review_lines(&alice, ".request-row").await,
        [
            "to: B Bob Okafor @bob They asked you for this",
            "from: Purse balance $487.50 now, $475.50 after",
            "fee: Free",
            "arrival: Right away",
            "cancel: No A paid request can't be undone",
        ]
    );
    assert_accessible(&alice, "paying a request's review").await;
    assert_no_sideways_scroll(&alice, "paying a request's review").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(alice_debits(&state).await, (0, 1_250), "the request is not paid before the confirm");
    click(&alice, ".request-row [data-action=confirm]").await;
    wait_until(
        &alice,
        "return [...document.querySelectorAll('.request-row [role=status]')].some(e => e.innerText === 'Paid') \
         || document.querySelectorAll('.request-row').length === 0;",
        "the request paid",
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while alice_debits(&state).await != (1_200, 1_250) {
        assert!(std::time::Instant::now() < deadline, "paid once: {:?}", alice_debits(&state).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Declining asks once, naming who and how much.
    bob_asks_alice(&state, "3.00").await;
    alice.goto(&format!("{base}/wallet")).await.unwrap();
    click(&alice, ".request-row [data-action=decline]").await;
    assert_eq!(text_of(&alice, ".decline-question").await, "Decline Bob Okafor's request for $3.00?");
    click(&alice, "[data-action=decline-yes]").await;
    wait_until(
        &alice,
        "return [...document.querySelectorAll('.request-row [role=status]')].some(e => e.innerText === 'Declined') \
         || document.querySelectorAll('.request-row').length === 0;",
        "the request declined",
    )
    .await;
    assert_eq!(alice_debits(&state).await, (1_200, 1_250), "declining moves nothing");

    // Someone with an empty wallet opens the tip sheet: no preset is offered, and it says why.
    purse_server::flows::people::create_person(
        &state,
        &purse_api::Handle::parse("zed").unwrap(),
        "Zed Empty",
        purse_server::flows::demo::PASSWORD,
        Some(purse_server::flows::demo::PIN),
        0,
    )
    .await
    .unwrap();
    let zed = browser(&driver).await;
    viewport(&zed, PHONE).await;
    sign_in(&zed, &base, "zed").await;
    zed.goto(&format!("{base}/")).await.unwrap();
    purse_until(&zed, "purse('.tip-button')", "the Tip buttons").await;
    let first_tip =
        "document.querySelector(\"[data-purse-tip][data-post='1']\").shadowRoot.querySelector('.tip-button')";
    zed.execute(&format!("{first_tip}.focus(); return 1;"), vec![]).await.unwrap();
    press(&zed, &char::from(fantoccini::key::Key::Enter).to_string()).await;
    purse_shows(&zed, "dialog.sheet[open] #tip-title", "Tip Lina Haddad").await;
    assert_eq!(
        purse_text(&zed, "dialog.sheet #tip-presets-off").await,
        "Amounts you can't choose are more than your balance of $0.00."
    );
    let presets = in_purse(
        &zed,
        "return [...purse('dialog.sheet .presets').querySelectorAll('input[type=radio]')]\
         .map(i => [i.value, i.disabled, i.getAttribute('aria-describedby')]);",
    )
    .await;
    assert_eq!(
        presets,
        serde_json::json!([
            ["2.00", true, "tip-presets-off"],
            ["5.00", true, "tip-presets-off"],
            ["10.00", true, "tip-presets-off"],
            ["25.00", true, "tip-presets-off"],
            ["other", false, null]
        ]),
        "a $0 wallet sees no preset enabled; each says why"
    );
    screenshot(&zed, "review-tip-sheet-empty-wallet-phone").await;

    alice.close().await.unwrap();
    zed.close().await.unwrap();
    state.ledger.shutdown().await;
}
