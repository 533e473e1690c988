//! Polish (issue 19), on a phone: the card form groups the number as it is typed and names the
//! brand, takes the expiry as "12/29" in one field, fits the screen at 390 and 320 px, and saves
//! the card; the sign-in inside the host's timeline says it is Purse's (the mark, "Sign in with
//! Purse"); a payment canceled on its way in is not shown as money received; the payment-methods
//! page and a receipt pass axe-core.

use std::time::{Duration, Instant};

use fantoccini::Client;
use fantoccini::key::Key;
use purse_server::flows::Settings;

use crate::looks::{PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{
    ChromeDriver, browser, click, in_purse, press, purse_shows, purse_until, serve_with, sign_in, text_of,
    type_into, wait_until,
};

/// Calls the API from the page (same origin, the page's cookies): `(status, body)`.
async fn api(client: &Client, method: &str, path: &str, body: serde_json::Value) -> (u64, serde_json::Value) {
    let answer = client
        .execute_async(
            "const [method, path, body, done] = arguments; \
             const headers = {'Content-Type': 'application/json', 'Accept': 'application/json', \
                              'Idempotency-Key': 'polish-' + Math.random().toString(36).slice(2)}; \
             fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)}) \
               .then(async r => done([r.status, await r.text()])) \
               .catch(e => done([0, String(e)]));",
            vec![serde_json::json!(method), serde_json::json!(path), body],
        )
        .await
        .unwrap();
    let status = answer[0].as_u64().unwrap_or(0);
    let text = answer[1].as_str().unwrap_or_default();
    (status, serde_json::from_str(text).unwrap_or(serde_json::Value::Null))
}

/// The value of the input `css` as the page holds it now.
async fn value_of(client: &Client, css: &str) -> String {
    let value = client
        .execute("return document.querySelector(arguments[0])?.value ?? null;", vec![serde_json::json!(css)])
        .await
        .unwrap();
    value.as_str().unwrap_or_else(|| panic!("no {css}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_card_form_fits_groups_and_saves_the_sign_in_is_purses_and_a_canceled_payment_is_not_money_in()
 {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { demo: true, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    client.goto(&format!("{base}/")).await.unwrap();
    viewport(&client, PHONE).await;

    // Bob pays Alice for the first time (held in its grace window), then cancels it.
    let password = purse_server::flows::demo::PASSWORD;
    let (status, _) = api(
        &client,
        "POST",
        "/api/v1/auth/login",
        serde_json::json!({"handle": "bob", "password": password}),
    )
    .await;
    assert_eq!(status, 200, "bob signs in");
    let (status, sent) = api(
        &client,
        "POST",
        "/api/v1/transfers",
        serde_json::json!({"to": "alice", "amount": "12.50", "currency": "USD", "note": "Lunch"}),
    )
    .await;
    assert_eq!((status, sent["transfer"]["status"].as_str()), (201, Some("pending")), "{sent}");
    let id = sent["transfer"]["id"].as_str().unwrap().to_string();
    let (status, canceled) =
        api(&client, "POST", &format!("/api/v1/transfers/{id}/cancel"), serde_json::Value::Null).await;
    assert_eq!((status, canceled["transfer"]["status"].as_str()), (200, Some("canceled")), "{canceled}");
    let (status, _) = api(&client, "POST", "/api/v1/auth/logout", serde_json::Value::Null).await;
    assert!(status < 300, "bob signs out: {status}");

    // Signed out on the host's timeline: the sign-in in the tip sheet is plainly Purse's.
    client.goto(&format!("{base}/")).await.unwrap();
    purse_until(&client, "purse('.tip-button')", "the Tip buttons").await;
    in_purse(&client, "purse('.tip-button').click(); return 1;").await;
    purse_shows(&client, "dialog.sheet[open] .purse-signin-title", "Sign in with Purse").await;
    let mark = in_purse(
        &client,
        "const m = purse('dialog.sheet[open] .purse-signin-brand svg.purse-mark'); \
         return m ? Math.round(m.getBoundingClientRect().width) : 0;",
    )
    .await;
    assert_eq!(mark, serde_json::json!(32), "the Purse mark, drawn");
    let what =
        in_purse(&client, "return purse('dialog.sheet[open] .purse-signin-what')?.innerText ?? '';").await;
    assert!(what.as_str().unwrap_or_default().starts_with("Purse is"), "{what}");
    let label =
        in_purse(&client, "return purse('dialog.sheet[open] label[for=handle]')?.innerText ?? '';").await;
    assert_eq!(label, serde_json::json!("Purse handle"));
    let button = in_purse(
        &client,
        "return purse('dialog.sheet[open] .sign-in-form button[type=submit]')?.innerText ?? '';",
    )
    .await;
    assert_eq!(button, serde_json::json!("Sign in with Purse"));
    press(&client, &char::from(Key::Escape).to_string()).await;

    // Alice's wallet: Bob's canceled payment is neither green nor "+$12.50", and says Canceled.
    sign_in(&client, &base, "alice").await;
    wait_until(
        &client,
        "return document.querySelector('li.activity-row[data-status=canceled]') !== null;",
        "the canceled payment in the activity",
    )
    .await;
    let row = text_of(&client, "li.activity-row[data-status=canceled]").await.replace('\n', " ");
    assert!(row.contains("Bob Okafor") && row.contains("Canceled") && row.contains("$12.50"), "{row}");
    assert!(!row.contains("+$12.50"), "not shown as money in: {row}");
    let look = client
        .execute(
            "const m = document.querySelector('li.activity-row[data-status=canceled] .activity-amount'); \
             const s = getComputedStyle(m); \
             const ok = document.querySelector('li.activity-row[data-status=completed] .money[data-direction=in]'); \
             return [s.textDecorationLine, s.color, ok ? getComputedStyle(ok).color : null];",
            vec![],
        )
        .await
        .unwrap();
    assert!(look[0].as_str().unwrap_or_default().contains("line-through"), "{look}");
    assert_ne!(look[1], look[2], "not the colour of money received: {look}");
    // Money added at sign-up (the demo funds) has an icon, not a letter.
    let icon = client
        .execute(
            "return document.querySelector('li.activity-row .avatar-icon-add-money svg') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(icon, serde_json::json!(true), "money added has an icon");

    // Its receipt says what happened, in words, and passes axe-core.
    click(&client, "li.activity-row[data-status=canceled] a").await;
    assert_eq!(text_of(&client, "#receipt-title").await, "Payment from Bob Okafor");
    assert_eq!(text_of(&client, ".receipt-status").await, "Canceled");
    assert!(!text_of(&client, ".receipt-amount").await.contains('+'));
    assert_no_sideways_scroll(&client, "a canceled payment's receipt").await;
    assert_accessible(&client, "a canceled payment's receipt").await;

    // The card form on a phone: the number grouped with its brand, "12/29" in one field.
    client.goto(&format!("{base}/settings/payment-methods")).await.unwrap();
    wait_until(&client, "return document.querySelector('#card-number') !== null;", "the card form").await;
    assert_no_sideways_scroll(&client, "the payment methods, empty").await;
    type_into(&client, "#card-number", "4242424242424242").await;
    assert_eq!(value_of(&client, "#card-number").await, "4242 4242 4242 4242");
    assert_eq!(text_of(&client, "#card-brand").await, "Visa");
    type_into(&client, "#card-exp", "12/29").await;
    assert_eq!(value_of(&client, "#card-exp").await, "12 / 29");
    type_into(&client, "#card-cvc", "123").await;
    let autocomplete = client
        .execute(
            "return ['#card-number', '#card-exp', '#card-cvc'].map(s => document.querySelector(s).autocomplete);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(autocomplete, serde_json::json!(["cc-number", "cc-exp", "cc-csc"]));
    assert_no_sideways_scroll(&client, "the card form at 390 px").await;
    client.execute("document.querySelector('#card-form').scrollIntoView(); return 1;", vec![]).await.unwrap();
    let shot = screenshot(&client, "polish-card-form-phone").await;
    assert!(shot.exists());
    // At 320 px, the narrowest phone, nothing of the form sticks out (the page's header is the
    // shell's, checked by its own journeys).
    viewport(&client, (320, 640)).await;
    let wide = client
        .execute(
            "const width = window.innerWidth; \
             return [...document.querySelectorAll('#card-form, #card-form *')] \
               .filter(e => e.getBoundingClientRect().right > width + 0.5 || e.getBoundingClientRect().left < -0.5) \
               .map(e => `${e.tagName.toLowerCase()}#${e.id} ${Math.round(e.getBoundingClientRect().right)}px`);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, serde_json::json!([]), "the card form at 320 px sticks out");
    viewport(&client, PHONE).await;

    click(&client, "#card-submit").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = client
            .execute("return document.querySelector('[data-test=card-list]')?.innerText ?? '';", vec![])
            .await
            .unwrap();
        let list = list.as_str().unwrap_or_default().to_string();
        if list.contains("Visa •• 4242") {
            assert!(list.contains("12/29"), "{list}");
            break;
        }
        assert!(Instant::now() < deadline, "the card was not saved: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = client.execute("return document.documentElement.outerHTML;", vec![]).await.unwrap();
    assert!(
        !page.as_str().unwrap_or_default().contains("4242 4242 4242 4242"),
        "the card number left the page"
    );
    assert_no_sideways_scroll(&client, "the payment methods, with a card").await;
    assert_accessible(&client, "the payment methods").await;

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}
