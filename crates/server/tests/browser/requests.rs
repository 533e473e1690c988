//! Requests and pay links, issue 19: a pay link opened signed out says whom and how much, and
//! signing up carries the person back to the send form, filled in (and `next` never leaves the
//! origin); the requester's Sent requests shows a decline live and cancels an open request; the
//! request page and a profile (Copy link, Share where the browser has it, the QR code) at phone
//! size, with nothing serious for axe-core and no sideways scroll.

use fantoccini::{Client, Locator};
use purse_api::{Amount, Handle, RequestStatus};
use purse_server::flows::requests::{self, NewRequest};

use crate::looks::{PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{ChromeDriver, browser, serve, sign_in, text_of, type_into, wait_until};

/// The value of the input `css`.
async fn value_of(client: &Client, css: &str) -> String {
    wait_until(client, &format!("return !!document.querySelector({css:?});"), css).await;
    let value = client
        .execute("return document.querySelector(arguments[0]).value;", vec![serde_json::json!(css)])
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

async fn path_of(client: &Client) -> String {
    let path = client.execute("return location.pathname + location.search;", vec![]).await.unwrap();
    path.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pay_link_opened_signed_out_says_whom_and_how_much_and_signing_up_lands_back_on_it_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");

    // Signed out, a pay link says whom and how much, above the sign-in.
    client.goto(&format!("{base}/pay/alice?amount=7.25&note=Lunch%20%F0%9F%8D%9C")).await.unwrap();
    assert_eq!(text_of(&client, ".pay-intent-who strong").await, "@alice");
    assert_eq!(text_of(&client, ".pay-intent-amount .money").await, "$7.25");
    assert_eq!(text_of(&client, ".pay-intent-note").await, "“Lunch 🍜”");
    assert_eq!(text_of(&client, ".sign-in-gate h1").await, "Sign in to Purse");
    // The SPA asked who is signed in without a 401 (no console error on a signed-out page).
    let asked = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
               .filter(p => p === '/api/v1/me' || p === '/api/v1/session');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(asked, serde_json::json!(["/api/v1/session"]));

    // Creating an account from there carries the link along…
    client.find(Locator::Css(".sign-in-gate .form-switch a")).await.unwrap().click().await.unwrap();
    wait_until(&client, "return location.pathname === '/signup';", "the sign-up page").await;
    assert_eq!(
        path_of(&client).await,
        "/signup?next=/pay/alice%3Famount%3D7.25%26note%3DLunch%2520%25F0%259F%258D%259C"
    );
    type_into(&client, "#handle", "newbie").await;
    type_into(&client, "#display_name", "Nia Newbie").await;
    type_into(&client, "#password", "a long enough password").await;
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    // …and back on the send form, filled in.
    wait_until(&client, "return location.pathname === '/pay/alice';", "back on the pay link").await;
    assert_eq!(value_of(&client, "#to").await, "alice");
    assert_eq!(value_of(&client, "#amount").await, "7.25");
    assert_eq!(value_of(&client, "#note").await, "Lunch 🍜");
    assert_eq!(text_of(&client, ".profile-preview strong").await, "Alice Martin");

    // A `next` to another origin is ignored: signing in lands on the wallet.
    client.delete_all_cookies().await.unwrap();
    for evil in ["//evil.example/x", "https://evil.example/", "/%5Cevil.example"] {
        client.goto(&format!("{base}/signin?next={evil}")).await.unwrap();
        type_into(&client, "#handle", "newbie").await;
        type_into(&client, "#password", "a long enough password").await;
        client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
        wait_until(&client, "return location.pathname === '/wallet';", "the wallet, not another site").await;
        assert!(client.current_url().await.unwrap().as_str().starts_with(&base), "{evil}");
        client.delete_all_cookies().await.unwrap();
    }

    // Signing in on the page itself stays there, filled in.
    client.goto(&format!("{base}/pay/bob?amount=7.25")).await.unwrap();
    assert_eq!(text_of(&client, ".pay-intent-who strong").await, "@bob");
    type_into(&client, ".sign-in-gate #handle", "newbie").await;
    type_into(&client, ".sign-in-gate #password", "a long enough password").await;
    client.find(Locator::Css(".sign-in-gate button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_until(
        &client,
        "return !!document.querySelector('#to') && !document.querySelector('.sign-in-gate');",
        "the send form",
    )
    .await;
    assert_eq!(path_of(&client).await, "/pay/bob?amount=7.25");
    assert_eq!(value_of(&client, "#to").await, "bob");
    assert_eq!(value_of(&client, "#amount").await, "7.25");

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_sees_a_decline_live_cancels_an_open_request_and_shares_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    let alice = state.db.user_by_handle("alice").await.unwrap().unwrap();
    let bob = state.db.user_by_handle("bob").await.unwrap().unwrap();

    sign_in(&client, &base, "alice").await;
    client.find(Locator::Css(".actions a[href='/request']")).await.unwrap().click().await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('.sent-requests .live-status')?.dataset.status === 'open';",
        "the request page's live stream",
    )
    .await;
    client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    // Alice asks Bob for 12.00 from the form: her Sent requests shows it, open.
    type_into(&client, "#from", "bob").await;
    type_into(&client, "#amount", "12.00").await;
    type_into(&client, "#note", "Concert").await;
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&client, ".done-title").await, "Request sent");
    wait_until(
        &client,
        "return document.querySelector('.sent-row .sent-status')?.textContent === 'Open';",
        "the request in Sent requests",
    )
    .await;
    let row = text_of(&client, ".sent-row").await;
    assert!(row.contains("$12.00 from Bob Okafor @bob") && row.contains("Concert"), "{row}");
    let id = client
        .execute("return document.querySelector('.sent-row').dataset.request;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();

    // Bob declines (through the flow the API calls): Alice sees "Declined" without reloading.
    let number = state.ids.decode("rq", &id).unwrap();
    requests::decline(&state, &bob, number).await.unwrap();
    wait_until(
        &client,
        &format!("return document.querySelector('.sent-row[data-request=\"{id}\"] .sent-status')?.textContent === 'Declined';"),
        "the decline, live",
    )
    .await;
    assert_eq!(client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(), "yes");
    assert!(
        client.find(Locator::Css(&format!(".sent-row[data-request=\"{id}\"] .sent-cancel"))).await.is_err(),
        "a declined request has no Cancel"
    );

    // Another request (made elsewhere) arrives live, open; Cancel asks once, then cancels.
    let new = NewRequest {
        from: Handle::parse("bob").unwrap(),
        amount: Amount::parse("3.50", "USD").unwrap(),
        note: None,
    };
    let open = requests::create(&state, &alice, new).await.unwrap();
    let row = format!(".sent-row[data-request=\"{}\"]", open.id);
    wait_until(
        &client,
        &format!("return document.querySelector('{row} .sent-status')?.textContent === 'Open';"),
        "the new request, live",
    )
    .await;
    // Bob's wallet, open in his own browser, lists it under Requests for you.
    let payer = browser(&driver).await;
    sign_in(&payer, &base, "bob").await;
    let asked = format!(".request-row[data-request=\"{}\"]", open.id);
    wait_until(&payer, &format!("return !!document.querySelector('{asked}');"), "Bob's request row").await;
    client.find(Locator::Css(&format!("{row} .sent-cancel"))).await.unwrap().click().await.unwrap();
    assert_eq!(
        text_of(&client, &format!("{row} .sent-confirm p")).await,
        "Cancel this request? They won't be able to pay it."
    );
    let focused = client.execute("return document.activeElement?.id;", vec![]).await.unwrap();
    assert_eq!(focused, "sent-cancel-yes", "the question takes the focus");
    assert_eq!(
        state.db.request(state.ids.decode("rq", &open.id).unwrap()).await.unwrap().unwrap().status,
        RequestStatus::Open,
        "asking sends nothing"
    );
    client.find(Locator::Css("#sent-cancel-yes")).await.unwrap().click().await.unwrap();
    wait_until(
        &client,
        &format!("return document.querySelector('{row} .sent-status')?.textContent === 'Canceled';"),
        "the cancel",
    )
    .await;
    assert_eq!(
        state.db.request(state.ids.decode("rq", &open.id).unwrap()).await.unwrap().unwrap().status,
        RequestStatus::Canceled
    );
    // And it leaves Bob's Requests for you, live.
    wait_until(&payer, &format!("return !document.querySelector('{asked}');"), "the canceled request gone")
        .await;
    payer.close().await.unwrap();

    // The request page at phone size.
    viewport(&client, PHONE).await;
    assert_no_sideways_scroll(&client, "the request page").await;
    assert_accessible(&client, "the request page").await;
    screenshot(&client, "requests-sent").await;

    // A profile: the QR code fits and is labelled; Copy link says "Copied"; Share only where
    // the browser has it.
    client.goto(&format!("{base}/u/bob")).await.unwrap();
    wait_until(&client, "return !!document.querySelector('.qr svg');", "the QR code").await;
    let qr = client
        .execute(
            "const svg = document.querySelector('.qr svg'); const box = svg.getBoundingClientRect(); \
             return [svg.getAttribute('aria-label'), Math.round(box.width), Math.round(box.height), window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(qr[0], "QR code of the pay link for @bob");
    let (width, height, screen) = (qr[1].as_u64().unwrap(), qr[2].as_u64().unwrap(), qr[3].as_u64().unwrap());
    assert!(width >= 200 && width == height && width < screen, "{qr}");
    client
        .execute(
            "navigator.clipboard.writeText = text => { window.__copied = text; return Promise.resolve(); }; return 1;",
            vec![],
        )
        .await
        .unwrap();
    client.find(Locator::XPath("//button[.='Copy link']")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&client, ".share-said[role=status]").await, "Copied");
    let copied = client.execute("return window.__copied;", vec![]).await.unwrap();
    assert_eq!(copied, serde_json::json!(format!("{base}/pay/bob")));
    let shares = client
        .execute(
            "return [typeof navigator.share === 'function', [...document.querySelectorAll('.share-row button')].some(b => b.textContent === 'Share')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shares[0], shares[1], "Share is drawn exactly when the browser has navigator.share");
    assert_no_sideways_scroll(&client, "a profile").await;
    assert_accessible(&client, "a profile").await;
    screenshot(&client, "requests-profile").await;
    // At 320 px the code still fits the screen.
    viewport(&client, (320, 640)).await;
    let fits = client
        .execute(
            "const box = document.querySelector('.qr svg').getBoundingClientRect(); \
             return box.left >= 0 && box.right <= window.innerWidth && box.width >= 200;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, true, "the QR code at 320 px");

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_up_from_a_host_pages_tip_sheet_comes_back_to_that_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let settings = purse_server::flows::Settings { demo: true, ..purse_server::flows::Settings::default() };
    let (addr, state) =
        crate::serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");

    // The demo timeline (a host page), signed out: Tip on Lina's first post opens the sheet's
    // sign-in, whose "Create account" carries the page and the open sheet.
    client.goto(&format!("{base}/?theme=calm")).await.unwrap();
    crate::purse_until(&client, "purse('.tip-button')", "the Tip buttons").await;
    client
        .execute(
            "document.querySelector(\"[data-purse-tip][data-post='1']\").shadowRoot.querySelector('.tip-button').click(); return 1;",
            vec![],
        )
        .await
        .unwrap();
    crate::purse_shows(&client, "dialog.sheet[open] #tip-title", "Sign in to tip @lina").await;
    let href =
        crate::in_purse(&client, "return purse('dialog.sheet .form-switch a').getAttribute('href');").await;
    assert_eq!(
        href,
        serde_json::json!(
            "/signup?next=/%3Ftheme%3Dcalm%26purse-open%3Dtip%26purse-tip%3Dlina%26purse-post%3D1"
        )
    );
    crate::in_purse(&client, "purse('dialog.sheet .form-switch a').click(); return 1;").await;
    wait_until(&client, "return location.pathname === '/signup';", "the sign-up page").await;
    type_into(&client, "#handle", "reader").await;
    type_into(&client, "#display_name", "Rae Reader").await;
    type_into(&client, "#password", "a long enough password").await;
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();

    // Back on the timeline (loaded, not the SPA's own page at `/`), the sheet open for the same
    // post and now signed in; the address keeps the host's own parameters only.
    wait_until(
        &client,
        "return location.pathname === '/' && location.search === '?theme=calm';",
        "back on the timeline, the reopening parameters taken off",
    )
    .await;
    crate::purse_shows(&client, "dialog.sheet[open] #tip-title", "Tip Lina Haddad").await;
    let post = client
        .execute("return document.querySelectorAll('.post[data-post=\"1\"] .byline strong').length;", vec![])
        .await
        .unwrap();
    assert_eq!(post, serde_json::json!(1), "the host's own page, not the SPA's");

    // A reload opens nothing again.
    client.refresh().await.unwrap();
    crate::purse_until(&client, "purse('.tip-button')", "the Tip buttons after a reload").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let open = crate::in_purse(&client, "return !!purse('dialog.sheet[open]');").await;
    assert_eq!(open, serde_json::json!(false), "reloading does not reopen the sheet");
    client.close().await.unwrap();
    state.ledger.shutdown().await;
}
