//! End to end in a real browser: the built SPA (`dist-test/`, from `make web`) served by the real
//! app on a real socket, driven through ChromeDriver in headless Chromium. Proves that the
//! Content-Security-Policy lets the wasm run, that client-side routes and deep links work, that
//! the status page shows what the server says, and that the page works from the keyboard; then
//! the journeys: signing up, sending and requesting money, tipping from the demo timeline
//! (Purse embedded in a page it did not build), buying from the demo shop with Purse
//! Checkout (the shop told by a signed webhook), and adding money from a card and withdrawing it
//! (instantly for a fee, and to a bank, settling live).
//!
//! Needs `--features browser-tests`, a built `dist-test/`, and `chromedriver` (the Makefile's
//! `make test` provides all three; `CHROMEDRIVER` and `CHROMIUM` override the paths).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// One module per area's journeys; they use this file's helpers (`crate::…`) and `looks`.
mod held_for_review;
mod limits;
mod looks;
mod polish;
mod requests;
mod reviews;
mod shell;
mod statements;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use purse_demo_shop::ShopConfig;
use purse_ledger::Ledger;
use purse_server::codes;
use purse_server::flows::Settings;
use purse_server::flows::people::Passwords;
use purse_server::http::static_site::{EMBED_FILES, StaticSite};
use purse_server::store::Db;
use purse_server::{AppState, app};

/// The built SPA: `PURSE_WEB_TEST_DIST` (the Makefile's `web` target builds into `dist-test/`
/// and says so), else `dist-test/` at the workspace's root.
fn dist() -> PathBuf {
    let dist = std::env::var_os("PURSE_WEB_TEST_DIST")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist-test"), PathBuf::from);
    assert!(
        dist.join("index.html").exists(),
        "{} has no index.html: build the SPA first (`make test` does)",
        dist.display()
    );
    dist
}

/// ChromeDriver on a free port, killed when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} ({e}): `make setup` installs it"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        ChromeDriver { child, port }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &ChromeDriver) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=420,800"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

async fn serve(database_url: &str) -> (SocketAddr, AppState) {
    serve_with(database_url, Settings::default()).await
}

async fn serve_with(database_url: &str, settings: Settings) -> (SocketAddr, AppState) {
    let ledger = Ledger::open(database_url).await.unwrap();
    let db = Db::open(database_url).await.unwrap();
    let clock = std::sync::Arc::new(purse_ledger::SystemClock);
    let state = AppState::new(ledger, db, StaticSite::load(&dist()), clock, Passwords::for_tests())
        .await
        .unwrap()
        .with_settings(settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
    });
    (addr, state)
}

/// The app in demo mode with the demo data, the demo shop (Souq Books, at `/demo/shop`) merged
/// in, and the checkout jobs and webhook worker running: what `purse-server serve --demo` runs.
async fn serve_demo_shop(database_url: &str) -> (SocketAddr, AppState) {
    let ledger = Ledger::open(database_url).await.unwrap();
    let db = Db::open(database_url).await.unwrap();
    let clock = std::sync::Arc::new(purse_ledger::SystemClock);
    // Demo mode: Purse accepts the shop's webhook URL on loopback http.
    let settings = Settings { demo: true, ..Settings::default() };
    let state = AppState::new(ledger, db, StaticSite::load(&dist()), clock, Passwords::for_tests())
        .await
        .unwrap()
        .with_settings(settings);
    purse_server::flows::demo::seed(&state).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The handles are dropped, not awaited: the tasks run until `begin_stopping`.
    drop(purse_server::flows::checkout::spawn_jobs(&state));
    drop(purse_server::flows::webhooks::spawn_worker(&state));
    let shop = purse_demo_shop::router(ShopConfig {
        purse_url: format!("http://{addr}"),
        merchant_handle: "souq_books".to_string(),
        merchant_password: purse_server::flows::demo::PASSWORD.to_string(),
    });
    let served = app(state.clone()).merge(shop);
    tokio::spawn(async move {
        axum::serve(listener, served.into_make_service_with_connect_info::<SocketAddr>()).await
    });
    (addr, state)
}

/// The visible text of the first element matching `css`, once it exists and has some. Read
/// through a script each time: the page re-renders, so element handles go stale.
async fn text_of(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap();
        if let Some(text) = text.as_str().filter(|t| !t.trim().is_empty()) {
            return text.trim().to_string();
        }
        assert!(Instant::now() < deadline, "{css} did not appear with text");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spa_runs_under_its_policy_routes_on_the_client_and_works_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");

    // Home, rendered by the wasm: the CSP let it compile and run.
    client.goto(&format!("{base}/")).await.unwrap();
    let title = text_of(&client, "main h1").await;
    assert_eq!(title, "Money that moves at the speed of your timeline");

    // A client-side route: the link is followed without a page load.
    let marker: serde_json::Value =
        client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    assert_eq!(marker, serde_json::json!(1));
    client.find(Locator::Css("footer a[href='/status']")).await.unwrap().click().await.unwrap();
    let database = text_of(&client, ".status[data-state=healthy] .fact-database").await;
    assert_eq!(database, "SQLite");
    let same_page = client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap();
    assert_eq!(same_page, serde_json::json!("yes"), "navigation stayed in the SPA");
    let current = client
        .execute(
            "return document.querySelector(\"footer a[aria-current='page']\").getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(current, serde_json::json!("/status"));
    // Focus followed the route to the new page's heading (not left on the link, nor on <body>).
    wait_until(
        &client,
        "return document.activeElement === document.querySelector('main h1') \
           && document.activeElement.textContent === 'System status';",
        "focus on the status page's heading",
    )
    .await;

    // A deep link loads the index and the route.
    client.goto(&format!("{base}/status")).await.unwrap();
    let headline = text_of(&client, ".status[data-state=healthy] .status-headline").await;
    assert_eq!(headline, "All systems normal");

    // Keyboard: the first Tab lands on the skip link, Enter moves focus to the content.
    client.goto(&format!("{base}/")).await.unwrap();
    text_of(&client, "main h1").await;
    client.find(Locator::Css("body")).await.unwrap().send_keys(&Key::Tab.to_string()).await.unwrap();
    let focused = client.active_element().await.unwrap();
    assert_eq!(focused.attr("class").await.unwrap().as_deref(), Some("skip-link"));
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let focused_id = client.execute("return document.activeElement.id;", vec![]).await.unwrap();
    assert_eq!(focused_id, serde_json::json!("main"));

    // An unknown route shows the designed not-found page, with a way home.
    client.goto(&format!("{base}/no/such/page")).await.unwrap();
    let lost = text_of(&client, "main h1").await;
    assert_eq!(lost, "This page doesn't exist");

    // The signed-out home on a phone and on a laptop: nothing scrolls sideways, axe-core finds
    // nothing serious; a screenshot of each for people to look at.
    for (size, name) in [(looks::PHONE, "phone"), (looks::LAPTOP, "laptop")] {
        looks::viewport(&client, size).await;
        client.goto(&format!("{base}/")).await.unwrap();
        wait_until(&client, "return document.getElementById('static-shell') === null;", "the app mounted")
            .await;
        text_of(&client, "main h1").await;
        looks::assert_no_sideways_scroll(&client, &format!("home, signed out, {name}")).await;
        looks::assert_accessible(&client, &format!("home, signed out, {name}")).await;
        looks::screenshot(&client, &format!("home-signed-out-{name}")).await;
    }

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn wait_until(client: &Client, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if client.execute(script, vec![]).await.unwrap() == serde_json::json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_person_signs_up_sets_a_pin_and_sees_money_arrive_without_reloading() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");

    // Sign up through the form, from the keyboard.
    client.goto(&format!("{base}/signup")).await.unwrap();
    type_into(&client, "#handle", "Newbie").await;
    type_into(&client, "#display_name", "Nia Newbie").await;
    type_into(&client, "#password", "short").await;
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    // Refused before anything is sent, on the field at fault, announced.
    let complaint = text_of(&client, "#password-error").await;
    assert!(complaint.contains("at least 10 characters"), "{complaint}");
    let invalid = client
        .execute("return document.querySelector('#password').getAttribute('aria-invalid');", vec![])
        .await
        .unwrap();
    assert_eq!(invalid, serde_json::json!("true"));
    client.find(Locator::Css("#password")).await.unwrap().send_keys(" but longer now").await.unwrap();
    client.find(Locator::Css("#password")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();

    // The wallet: nothing yet, live, and a nudge to set a PIN.
    let balance = text_of(&client, ".balance-amount .money").await;
    assert_eq!(balance, "$0.00");
    text_of(&client, ".empty-state").await;
    wait_until(
        &client,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "the live stream",
    )
    .await;
    let account =
        client.execute("return document.querySelector('.account-name').textContent;", vec![]).await.unwrap();
    assert_eq!(
        account,
        serde_json::json!("Signed in as Nia Newbie"),
        "the name, introduced for screen readers"
    );

    // Set the payment PIN.
    client.find(Locator::Css(".notice a")).await.unwrap().click().await.unwrap();
    type_into(&client, "#pin", "2468").await;
    type_into(&client, "#confirm_pin", "2468").await;
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('.form-success')?.textContent === 'Your payment PIN is set.';",
        "the PIN saved",
    )
    .await;
    let user = state.db.user_by_handle("newbie").await.unwrap().unwrap();
    assert!(user.pin_hash.is_some());
    client.find(Locator::Css(".form-card a[href='/wallet']")).await.unwrap().click().await.unwrap();
    text_of(&client, ".balance-amount .money").await;
    wait_until(
        &client,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "the live stream",
    )
    .await;

    // Money arrives from someone else's session: Bob pays Nia (server side, through the ledger,
    // as a payment endpoint does). The page shows it without a reload.
    client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    let bob = purse_server::flows::people::create_person(
        &state,
        &purse_api::Handle::parse("bob").unwrap(),
        "Bob Okafor",
        "correct horse battery",
        None,
        0,
    )
    .await
    .unwrap();
    let funding = purse_ledger::NewAccount {
        id: codes::DEMO_FUNDING,
        currency: purse_api::Currency::Usd,
        code: codes::account::DEMO_FUNDING,
        flags: purse_ledger::AccountFlags::NONE,
    };
    state.ledger.create_accounts(vec![funding]).await.unwrap();
    let usd = |debit, credit, amount| purse_ledger::Movement {
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        currency: purse_api::Currency::Usd,
        code: codes::transfer::P2P,
    };
    state
        .ledger
        .create_transfer(purse_ledger::TransferRequest::posted(
            1,
            usd(codes::DEMO_FUNDING, codes::wallet_of(bob.id), 10_000),
        ))
        .await
        .unwrap()
        .unwrap();
    state.db.put_note(2, "transfer", Some("Welcome to Purse!")).await.unwrap();
    state
        .ledger
        .create_transfer(purse_ledger::TransferRequest::posted(
            2,
            usd(codes::wallet_of(bob.id), codes::wallet_of(user.id), 1_250),
        ))
        .await
        .unwrap()
        .unwrap();

    let row = text_of(&client, ".activity-row.fresh .activity-title").await;
    assert_eq!(row, "Bob Okafor");
    wait_until(
        &client,
        "return document.querySelector('.balance-amount .money')?.textContent === '$12.50';",
        "the new balance",
    )
    .await;
    let amount = text_of(&client, ".activity-row.fresh .activity-amount").await;
    assert!(amount.ends_with("+$12.50"), "{amount}");
    let announced = client
        .execute("return document.querySelector('[aria-live=polite][aria-atomic=true]').textContent;", vec![])
        .await
        .unwrap();
    assert_eq!(
        announced,
        serde_json::json!("Received $12.50 from Bob Okafor (@bob)"),
        "named with the handle"
    );
    let same_page = client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap();
    assert_eq!(same_page, serde_json::json!("yes"), "no reload");

    // The receipt, then sign out.
    client.find(Locator::Css(".activity-row.fresh a")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&client, "#receipt-title").await, "Received from Bob Okafor");
    assert!(text_of(&client, ".facts").await.contains("Welcome to Purse!"));
    client.find(Locator::Css(".account-button")).await.unwrap().click().await.unwrap();
    click(&client, "[data-test=sign-out]").await;
    wait_until(
        &client,
        "return document.querySelector('main h1')?.textContent === 'Money that moves at the speed of your timeline';",
        "the welcome page after signing out",
    )
    .await;
    let me = client.execute("return fetch('/api/v1/me').then(r => r.status);", vec![]).await.unwrap();
    assert_eq!(me, serde_json::json!(401), "the session ended on the server");

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

async fn sign_in(client: &Client, base: &str, handle: &str) {
    client.goto(&format!("{base}/signin")).await.unwrap();
    type_into(client, "#handle", handle).await;
    type_into(client, "#password", purse_server::flows::demo::PASSWORD).await;
    client.find(Locator::Css("#password")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    text_of(client, ".balance-amount .money").await;
    wait_until(
        client,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "the live stream",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_pays_bob_who_sees_it_live_then_pays_his_request_with_her_pin() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let (alice, bob) = (browser(&driver).await, browser(&driver).await);
    let base = format!("http://{addr}");
    sign_in(&bob, &base, "bob").await;
    bob.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    sign_in(&alice, &base, "alice").await;

    // Alice sends Bob 20.00: the preview says she never paid him, the review says what happens.
    alice.find(Locator::Css(".actions a[href='/send']")).await.unwrap().click().await.unwrap();
    type_into(&alice, "#to", "bob").await;
    assert_eq!(text_of(&alice, ".profile-preview strong").await, "Bob Okafor");
    assert_eq!(text_of(&alice, ".profile-preview .badge").await, "You haven't paid them before");
    type_into(&alice, "#amount", "20.001").await;
    type_into(&alice, "#note", "Lunch 🍜").await;
    alice.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    assert!(
        text_of(&alice, "#amount-error").await.contains("at most two decimals"),
        "refused before sending"
    );
    alice.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Backspace.to_string()).await.unwrap();
    alice.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    assert!(text_of(&alice, "#send-review").await.contains("$20.00"));
    let to = text_of(&alice, ".review-line[data-line=to]").await;
    assert!(to.contains("Bob Okafor") && to.contains("@bob"), "{to}");
    assert!(
        text_of(&alice, ".review-line[data-line=cancel]")
            .await
            .contains("for 10 minutes, because it's your first payment to @bob"),
        "the grace window"
    );
    assert_eq!(text_of(&alice, ".review-confirm").await, "Send $20.00");
    alice.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&alice, ".done-title").await, "Sent");
    assert_eq!(text_of(&alice, ".done button").await, "Cancel payment");

    // Bob's open wallet shows it, without a reload.
    assert_eq!(text_of(&bob, ".activity-row.fresh .activity-title").await, "Alice Martin");
    wait_until(
        &bob,
        "return document.querySelector('.balance-pending')?.textContent.includes('$20.00');",
        "Bob's pending balance",
    )
    .await;
    assert_eq!(
        bob.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(),
        serde_json::json!("yes")
    );

    // Bob asks Alice for 60.00; her wallet lists it live, and she pays with her PIN.
    alice.find(Locator::Css(".done a[href='/wallet']")).await.unwrap().click().await.unwrap();
    text_of(&alice, ".balance-amount .money").await;
    wait_until(
        &alice,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "Alice's live stream",
    )
    .await;
    bob.find(Locator::Css(".actions a[href='/request']")).await.unwrap().click().await.unwrap();
    type_into(&bob, "#from", "alice").await;
    type_into(&bob, "#amount", "60.00").await;
    type_into(&bob, "#note", "Concert tickets").await;
    bob.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&bob, ".done-title").await, "Request sent");

    let asked = text_of(&alice, ".request-row").await;
    assert!(
        asked.contains("Bob Okafor @bob asks for $60.00") && asked.contains("Concert tickets"),
        "{asked}"
    );
    assert!(!asked.contains("haven't paid"), "Alice has paid Bob: {asked}");
    // Pay opens the review (no money moves yet); its confirm pays, with her PIN.
    click(&alice, ".request-row [data-action=pay]").await;
    assert_eq!(text_of(&alice, ".request-row .review-confirm").await, "Pay $60.00");
    type_into(&alice, "#request-pin", purse_server::flows::demo::PIN).await;
    click(&alice, ".request-row [data-action=confirm]").await;
    wait_until(
        &alice,
        "return document.querySelector('.balance-amount .money')?.textContent === '$420.00';",
        "Alice's balance after paying",
    )
    .await;
    let bobs = state
        .ledger
        .lookup_account(codes::wallet_of(state.db.user_by_handle("bob").await.unwrap().unwrap().id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((bobs.balances.credits_posted, bobs.balances.credits_pending), (50_000 + 6_000, 2_000));
    assert!(state.ledger.audit().await.unwrap().is_clean());

    alice.close().await.unwrap();
    bob.close().await.unwrap();
    state.ledger.shutdown().await;
}

/// Sends `amount` to `to` from the send form, up to the review (the PIN field, if any, is left
/// empty); presses Send.
async fn send_from_form(client: &Client, base: &str, to: &str, amount: &str) {
    client.goto(&format!("{base}/send")).await.unwrap();
    type_into(client, "#to", to).await;
    text_of(client, ".profile-preview strong").await;
    type_into(client, "#amount", amount).await;
    client.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    text_of(client, "#send-review").await;
    click(client, "form button[type=submit]").await;
}

/// The money path's cumulative step-up (payments without the PIN may not pass 50.00 a day) and
/// finding 4 (impostors) as a person meets them: two small sends to Bob, the second asked for
/// the PIN only by the server, paid once with it under the same key; then two requests from
/// "Bob Okafor", told apart by their handles and the never-paid warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_sends_past_fifty_ask_for_the_pin_and_a_request_from_a_stranger_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let alice = browser(&driver).await;
    let base = format!("http://{addr}");
    sign_in(&alice, &base, "alice").await;

    // 30.00 goes without the PIN: under the day's 50.00.
    send_from_form(&alice, &base, "bob", "30.00").await;
    assert_eq!(text_of(&alice, ".done-title").await, "Sent");

    // 25.00 is under 50.00 too, so the review asks for no PIN; but 55.00 in a day is past it.
    send_from_form(&alice, &base, "bob", "25.00").await;
    assert_eq!(
        text_of(&alice, "#pin-reason").await,
        "For your security, enter your PIN: you've sent more than $50.00 without it today."
    );
    wait_until(&alice, "return document.activeElement?.id === 'pin';", "the PIN field to take focus").await;
    assert_eq!(
        alice.execute("return document.querySelector('.done-title') === null;", vec![]).await.unwrap(),
        serde_json::json!(true),
        "nothing sent yet"
    );
    type_into(&alice, "#pin", purse_server::flows::demo::PIN).await;
    click(&alice, "form button[type=submit]").await;
    assert_eq!(text_of(&alice, ".done-title").await, "Sent");

    // The money moved once: Bob holds 30.00 pending (a first payment) and 25.00 posted.
    let bob = state.db.user_by_handle("bob").await.unwrap().unwrap();
    let bobs = state.ledger.lookup_account(codes::wallet_of(bob.id)).await.unwrap().unwrap();
    assert_eq!((bobs.balances.credits_posted, bobs.balances.credits_pending), (50_000 + 2_500, 3_000));
    let alice_id = state.db.user_by_handle("alice").await.unwrap().unwrap().id;
    let alices = state.ledger.lookup_account(codes::wallet_of(alice_id)).await.unwrap().unwrap();
    assert_eq!((alices.balances.debits_posted, alices.balances.debits_pending), (2_500, 3_000));

    // Someone takes Bob's name and asks Alice for money; so does Bob.
    let stranger = purse_server::flows::people::create_person(
        &state,
        &purse_api::Handle::parse("bob_0kafor").unwrap(),
        "Bob Okafor",
        purse_server::flows::demo::PASSWORD,
        None,
        0,
    )
    .await
    .unwrap();
    for (asker, amount) in [(&bob, "4.00"), (&stranger, "5.00")] {
        let new = purse_server::flows::requests::NewRequest {
            from: purse_api::Handle::parse("alice").unwrap(),
            amount: purse_api::Amount::parse(amount, "USD").unwrap(),
            note: None,
        };
        purse_server::flows::requests::create(&state, asker, new).await.unwrap();
    }
    alice.goto(&format!("{base}/wallet")).await.unwrap();
    wait_until(&alice, "return document.querySelectorAll('.request-row').length === 2;", "both requests")
        .await;
    let rows = alice
        .execute(
            "return [...document.querySelectorAll('.request-row')].map(r => r.innerText.replace(/\\s+/g, ' '));",
            vec![],
        )
        .await
        .unwrap();
    let rows: Vec<String> = serde_json::from_value(rows).unwrap();
    let (strangers, bobs): (Vec<&String>, Vec<&String>) =
        rows.iter().partition(|r| r.contains("@bob_0kafor"));
    assert!(
        strangers.len() == 1
            && strangers[0].starts_with("Bob Okafor @bob_0kafor asks for $5.00")
            && strangers[0].contains("You haven't paid @bob_0kafor before."),
        "{rows:?}"
    );
    assert!(
        bobs.len() == 1
            && bobs[0].starts_with("Bob Okafor @bob asks for $4.00")
            && !bobs[0].contains("haven't paid"),
        "{rows:?}"
    );

    alice.close().await.unwrap();
    state.ledger.shutdown().await;
}

/// Runs `script` (which may use `purse(css)`: the first match inside any of Purse's shadow roots
/// on the page) and returns its value.
async fn in_purse(client: &Client, script: &str) -> serde_json::Value {
    let helpers = "const purse = (css) => { for (const host of document.querySelectorAll('[data-purse-mounted]')) { \
        const found = host.shadowRoot && host.shadowRoot.querySelector(css); if (found) return found; } return null; };";
    client.execute(&format!("{helpers} {script}"), vec![]).await.unwrap()
}

/// The text of the first element matching `css` inside Purse's shadow roots, once it has some.
async fn purse_text(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text =
            in_purse(client, &format!("const e = purse({css:?}); return e ? e.innerText : null;")).await;
        if let Some(text) = text.as_str().filter(|t| !t.trim().is_empty()) {
            return text.trim().to_string();
        }
        assert!(Instant::now() < deadline, "{css} did not appear inside Purse");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the first element matching `css` inside Purse reads `expected`.
async fn purse_shows(client: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text =
            in_purse(client, &format!("const e = purse({css:?}); return e ? e.innerText.trim() : null;"))
                .await;
        if text.as_str() == Some(expected) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} reads {text}, not {expected:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn purse_until(client: &Client, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while in_purse(client, &format!("return Boolean({condition});")).await != serde_json::json!(true) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Focuses `css` inside Purse, then types `text` as key presses (keys go to whatever has focus,
/// shadow DOM or not, as a person's would).
async fn type_in_purse(client: &Client, css: &str, text: &str) {
    purse_until(client, &format!("purse({css:?})"), css).await;
    in_purse(client, &format!("purse({css:?}).focus(); return 1;")).await;
    press(client, text).await;
}

async fn press(client: &Client, keys: &str) {
    let mut actions = KeyActions::new("keyboard".to_string());
    for key in keys.chars() {
        actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    }
    client.perform_actions(actions).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_tips_a_creator_from_the_demo_timeline_and_the_creator_sees_it_live() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { demo: true, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let (alice, lina) = (browser(&driver).await, browser(&driver).await);
    let base = format!("http://{addr}");

    // Lina watches her dashboard in her own browser session.
    sign_in(&lina, &base, "lina").await;
    lina.find(Locator::Css("nav.app-nav a[href='/creator']")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(&lina, "#creator-title").await, "Creator dashboard");
    assert_eq!(text_of(&lina, ".empty-state .empty-title").await, "No tips yet");
    wait_until(
        &lina,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "lina's live stream",
    )
    .await;
    lina.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();

    // Alice reads the timeline, signed out: a page Purse did not build, with Purse embedded.
    alice.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(text_of(&alice, ".post[data-post='1'] .byline strong").await, "Lina Haddad");
    purse_until(&alice, "purse('.tip-button')", "the Tip buttons").await;
    let first_tip =
        "document.querySelector(\"[data-purse-tip][data-post='1']\").shadowRoot.querySelector('.tip-button')";
    let label = alice.execute(&format!("return {first_tip}.innerText;"), vec![]).await.unwrap();
    assert_eq!(label.as_str().map(|l| l.replace('\n', " ")), Some("$ Tip @lina for this post".into()));
    assert_eq!(
        alice
            .execute(
                "return document.querySelectorAll('.post[data-post=\"3\"] [data-purse-tip]').length;",
                vec![]
            )
            .await
            .unwrap(),
        serde_json::json!(0),
        "bob is not a creator: no Tip button on his post"
    );
    // The host's heavy-handed button styles stop at the shadow root.
    let style = alice
        .execute(
            &format!("const s = getComputedStyle({first_tip}); return [s.textTransform, s.color];"),
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(style[0], "uppercase", "{style}");
    assert_ne!(style[1], "rgb(220, 20, 60)", "crimson is the host's colour: {style}");

    // From the keyboard: focus the Tip button, Enter opens the sheet; sign in right there.
    alice.execute(&format!("{first_tip}.focus(); return 1;"), vec![]).await.unwrap();
    press(&alice, &char::from(Key::Enter).to_string()).await;
    purse_shows(&alice, "dialog.sheet[open] #tip-title", "Sign in to tip @lina").await;
    type_in_purse(&alice, "dialog.sheet #handle", "alice").await;
    type_in_purse(&alice, "dialog.sheet #password", purse_server::flows::demo::PASSWORD).await;
    press(&alice, &char::from(Key::Enter).to_string()).await;

    // The sheet: Lina, her goal, her presets. Choose 5.00, write a message, confirm.
    purse_shows(&alice, "dialog.sheet[open] #tip-title", "Tip Lina Haddad").await;
    assert!(purse_text(&alice, "dialog.sheet .goal").await.contains("A new lens for night photos"));
    let presets = in_purse(
        &alice,
        "return [...purse('dialog.sheet .presets').querySelectorAll('.preset span')].map(e => e.innerText);",
    )
    .await;
    assert_eq!(presets, serde_json::json!(["$2.00", "$5.00", "$10.00", "$25.00", "Other"]));
    alice
        .execute("document.addEventListener('purse:tip-sent', (e) => { window.__tipDetail = e.detail; }); return 1;", vec![])
        .await
        .unwrap();
    in_purse(&alice, "purse('dialog.sheet input[value=\"5.00\"]').click(); return 1;").await;
    type_in_purse(&alice, "dialog.sheet #tip-message", "Beautiful light!").await;
    in_purse(&alice, "purse('dialog.sheet .tip-form button[type=submit]').click(); return 1;").await;
    purse_shows(&alice, "dialog.sheet .review-confirm", "Tip $5.00").await;
    let to = purse_text(&alice, "dialog.sheet .review-line[data-line=to]").await;
    assert!(to.contains("Lina Haddad") && to.contains("They'll see it's from you"), "{to}");
    assert!(purse_text(&alice, "dialog.sheet .review-line[data-line=from]").await.contains("$495.00 after"));
    in_purse(&alice, "purse('dialog.sheet .tip-form button[type=submit]').click(); return 1;").await;
    purse_shows(&alice, "dialog.sheet .done-title", "Tip sent").await;

    // The host page heard `purse:tip-sent` (with the tip) and thanked her its own way.
    assert_eq!(
        text_of(&alice, "#toasts .toast").await,
        "You tipped Lina Haddad $5.00. Thank you for supporting creators!"
    );
    let toast_tip = alice
        .execute("return document.querySelector('#toasts .toast').dataset.tipId;", vec![])
        .await
        .unwrap();
    assert!(toast_tip.as_str().unwrap().starts_with("tip_"), "{toast_tip}");
    // The event says what the host needs to thank her, and not what she wrote to Lina.
    let detail = alice.execute("return window.__tipDetail;", vec![]).await.unwrap();
    assert_eq!(
        (
            &detail["creator"],
            &detail["amount"],
            &detail["currency"],
            &detail["post_id"],
            &detail["anonymous"]
        ),
        (
            &serde_json::json!("lina"),
            &serde_json::json!("5.00"),
            &serde_json::json!("USD"),
            &serde_json::json!("1"),
            &serde_json::json!(false)
        )
    );
    assert_eq!(detail["id"], toast_tip);
    assert!(detail.get("message").is_none(), "{detail}");
    in_purse(&alice, "purse('dialog.sheet .done button').click(); return 1;").await;
    purse_until(&alice, "!purse('dialog.sheet[open]')", "the sheet to close").await;
    assert_eq!(
        alice
            .execute(&format!("return {first_tip}.innerText;"), vec![])
            .await
            .unwrap()
            .as_str()
            .map(|t| t.contains("Tipped")),
        Some(true)
    );

    // Lina's dashboard shows it without a reload: who, the message, today's total.
    assert_eq!(text_of(&lina, ".tip-row.fresh .activity-title").await, "Alice Martin");
    assert!(text_of(&lina, ".tip-row.fresh .activity-subtitle").await.contains("Beautiful light!"));
    wait_until(
        &lina,
        "return document.querySelector('.stat-today .money')?.textContent === '$5.00';",
        "today's total",
    )
    .await;
    assert_eq!(
        lina.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(),
        serde_json::json!("yes")
    );
    let supporters = text_of(&lina, ".supporters").await;
    assert!(supporters.contains("Alice Martin") && supporters.contains("$5.00"), "{supporters}");

    // The timeline loads more posts as she scrolls; Purse mounts their Tip buttons by itself.
    let posts = "return document.querySelectorAll('.post').length;";
    let before = alice.execute(posts, vec![]).await.unwrap().as_u64().unwrap();
    alice.execute("window.scrollTo(0, document.body.scrollHeight); return 1;", vec![]).await.unwrap();
    wait_until(
        &alice,
        &format!(
            "const later = [...document.querySelectorAll('.post')].slice({before}); \
             return later.length > 0 && later.filter(p => p.querySelector('[data-purse-tip]')) \
             .every(p => p.querySelector('[data-purse-tip]').shadowRoot?.querySelector('.tip-button'));"
        ),
        "Tip buttons on posts loaded after scrolling",
    )
    .await;

    // A post the host takes out and puts back gets its button again; a mount point given
    // another creator gets a button for that creator.
    let omars_tip = "document.querySelector(\".post[data-post='2'] [data-purse-tip]\")";
    alice
        .execute("window.__post = document.querySelector(\".post[data-post='2']\"); window.__post.remove(); return 1;", vec![])
        .await
        .unwrap();
    wait_until(
        &alice,
        "return !window.__post.querySelector('[data-purse-tip]').shadowRoot.querySelector('.tip-button');",
        "the removed post's button to be unmounted",
    )
    .await;
    alice.execute("document.getElementById('feed').prepend(window.__post); return 1;", vec![]).await.unwrap();
    wait_until(&alice, &format!("return {omars_tip}.shadowRoot.querySelector('.tip-button')?.innerText.includes('@omar') === true;"), "the button back on the post").await;
    alice.execute(&format!("{omars_tip}.dataset.creator = 'lina'; return 1;"), vec![]).await.unwrap();
    wait_until(&alice, &format!("return {omars_tip}.shadowRoot.querySelector('.tip-button')?.innerText.includes('@lina') === true;"), "a button for the new creator").await;

    // What the page downloaded from Purse to show its Tip buttons is exactly what `make bench`
    // weighs (besides API calls).
    let loaded = alice
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
             .filter(p => !p.startsWith('/api/') && !p.startsWith('/demo/')).map(p => p.slice(1)).sort();",
            vec![],
        )
        .await
        .unwrap();
    let mut expected: Vec<&str> = EMBED_FILES.to_vec();
    expected.sort_unstable();
    assert_eq!(loaded, serde_json::json!(expected));

    // The host asks Purse to open the wallet (`purse:open`): the drawer, with her balance.
    alice.find(Locator::Css("#open-wallet")).await.unwrap().click().await.unwrap();
    purse_shows(&alice, "dialog.drawer[open] #drawer-title", "Your wallet").await;
    purse_shows(&alice, "dialog.drawer .balance-amount .money", "$495.00").await;
    press(&alice, &char::from(Key::Escape).to_string()).await;
    purse_until(&alice, "!purse('dialog.drawer[open]')", "Escape to close the drawer").await;

    let lina_row = state.db.user_by_handle("lina").await.unwrap().unwrap();
    let account = state.ledger.lookup_account(codes::wallet_of(lina_row.id)).await.unwrap().unwrap();
    assert_eq!(account.balances.credits_posted, 500);
    assert!(state.ledger.audit().await.unwrap().is_clean());
    alice.close().await.unwrap();
    lina.close().await.unwrap();
    state.ledger.shutdown().await;
}

/// Waits until `script` returns `true`, across page loads: a script run while the page is
/// navigating (a redirect, the shop's meta refresh) may fail, which counts as "not yet".
async fn wait_across_loads(client: &Client, script: &str, what: &str, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Ok(value) = client.execute(script, vec![]).await
            && value == serde_json::json!(true)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} (at {:?})",
            client.current_url().await.map(|u| u.to_string())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Alice's settled USD balance, in cents, from the ledger.
async fn alice_cents(state: &AppState) -> i128 {
    let alice = state.db.user_by_handle("alice").await.unwrap().unwrap();
    let account = state.ledger.lookup_account(codes::wallet_of(alice.id)).await.unwrap().unwrap();
    account.balances.posted_credit_balance()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_the_demo_shop_with_purse_checkout_and_the_shop_hears_the_signed_webhook() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve_demo_shop(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    let before = alice_cents(&state).await;
    assert_eq!(before, 50_000, "the demo gives alice 500.00");

    // The shop, signed out of Purse: "Pay with Purse" on the first book (a form POST; the shop
    // creates the session server-side and answers 303 to Purse's hosted page).
    client.goto(&format!("{base}/demo/shop")).await.unwrap();
    assert_eq!(text_of(&client, "#product-desert-poems h3").await, "Poems of the Empty Quarter");
    assert_eq!(text_of(&client, "#product-desert-poems .price").await, "12.50 USD");
    client.find(Locator::Css("#buy-desert-poems")).await.unwrap().click().await.unwrap();
    wait_across_loads(
        &client,
        "return location.pathname.startsWith('/checkout/cs_') \
         && document.querySelector('.checkout')?.dataset.state === 'open';",
        "the open checkout page",
        30,
    )
    .await;
    let checkout_url = client.current_url().await.unwrap();
    let session_id = checkout_url.path().strip_prefix("/checkout/").unwrap().to_string();
    assert_eq!(checkout_url.origin().ascii_serialization(), base, "Purse's own origin");

    // Who is paid, for what, how much; nobody is signed in, so the page asks right there.
    assert_eq!(text_of(&client, "h1.checkout-merchant").await, "Souq Books");
    assert_eq!(text_of(&client, ".checkout-amount .money").await, "$12.50");
    assert!(
        text_of(&client, ".checkout-description").await.contains("Poems of the Empty Quarter"),
        "the shop's description"
    );
    let countdown = text_of(&client, ".checkout-timer .countdown").await;
    assert!(countdown.starts_with("29:") || countdown == "30:00", "{countdown}");
    type_into(&client, ".checkout-pay #handle", "alice").await;
    type_into(&client, ".checkout-pay #password", purse_server::flows::demo::PASSWORD).await;
    client
        .find(Locator::Css(".checkout-pay #password"))
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();

    // Signed in without leaving the page: who pays, what happens, the PIN (focused), Pay.
    assert_eq!(text_of(&client, ".checkout-payer strong").await, "Alice Martin");
    assert!(text_of(&client, ".checkout-review .review-line[data-line=to]").await.contains("Souq Books"));
    wait_until(
        &client,
        "return (document.querySelector('.checkout-review [data-line=from]')?.innerText || '').includes('$487.50 after');",
        "the balance after, on the review's lines",
    )
    .await;
    assert_eq!(text_of(&client, ".checkout-pay-button").await, "Pay $12.50");
    assert_eq!(
        client.execute("return location.pathname;", vec![]).await.unwrap(),
        serde_json::json!(format!("/checkout/{session_id}")),
        "still on the checkout page"
    );
    wait_until(
        &client,
        "return document.activeElement?.id === 'checkout-pin';",
        "the PIN field to have the focus",
    )
    .await;
    type_into(&client, "#checkout-pin", purse_server::flows::demo::PIN).await;
    client
        .find(Locator::Css("#checkout-pin"))
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let paid_at = Instant::now();

    // Back at the shop's order page with the session id; it refreshes itself every second until
    // Purse's signed webhook says the order is paid.
    let order_url = format!("{base}/demo/shop/orders/1?session_id={session_id}");
    wait_across_loads(
        &client,
        &format!(
            "return location.href === {order_url:?} \
             && document.querySelector('#order-status')?.dataset.status === 'paid';"
        ),
        "the order page to say paid",
        30,
    )
    .await;
    let confirmed_in = paid_at.elapsed();
    assert_eq!(
        text_of(&client, "#order-status").await,
        "Paid. Thank you! Purse confirmed your payment; your book is on its way."
    );
    assert!(text_of(&client, "main .note").await.contains(&session_id));
    assert_eq!(
        client
            .execute("return document.querySelector('meta[http-equiv=refresh]') === null;", vec![])
            .await
            .unwrap(),
        serde_json::json!(true),
        "paid: the page stops refreshing"
    );

    // The shop's front page: the order is paid, and the webhook that said so was verified.
    client.goto(&format!("{base}/demo/shop")).await.unwrap();
    assert_eq!(
        client.execute("return document.querySelector('#order-1')?.dataset.status;", vec![]).await.unwrap(),
        serde_json::json!("paid")
    );
    let events = client
        .execute(
            "return [...document.querySelectorAll('#webhook-events li.event')] \
             .map(e => [e.dataset.type, e.dataset.verified, e.querySelector('.outcome').innerText]);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        events,
        serde_json::json!([["checkout.session.completed", "true", "order #1 paid"]]),
        "one verified delivery, nothing refused"
    );

    // The money: alice paid exactly the price, and the books balance.
    assert_eq!(alice_cents(&state).await, before - 1_250);
    client.goto(&format!("{base}/wallet")).await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('.balance-amount .money')?.textContent === '$487.50';",
        "alice's wallet to show $487.50",
    )
    .await;
    assert!(state.ledger.audit().await.unwrap().is_clean());

    // A second order, canceled: she is still signed in, so Cancel tells Purse (which cancels the
    // session) and goes back to the shop's cancel_url, where the shop asks Purse and believes it.
    client.goto(&format!("{base}/demo/shop")).await.unwrap();
    client.find(Locator::Css("#buy-coffee-history")).await.unwrap().click().await.unwrap();
    wait_across_loads(
        &client,
        "return location.pathname.startsWith('/checkout/cs_') \
         && document.querySelector('.checkout')?.dataset.state === 'open' \
         && document.querySelector('.checkout-payer strong')?.innerText === 'Alice Martin';",
        "the second checkout, signed in",
        30,
    )
    .await;
    let second = client.current_url().await.unwrap().path().strip_prefix("/checkout/").unwrap().to_string();
    assert_ne!(second, session_id);
    assert_eq!(text_of(&client, ".checkout-amount .money").await, "$7.99");
    client.find(Locator::Css(".checkout-cancel")).await.unwrap().click().await.unwrap();
    let cancel_url = format!("{base}/demo/shop/orders/2?canceled=1");
    wait_across_loads(
        &client,
        &format!(
            "return location.href === {cancel_url:?} \
             && document.querySelector('#order-status')?.dataset.status === 'canceled';"
        ),
        "the order page to say canceled",
        30,
    )
    .await;
    assert_eq!(
        text_of(&client, "#order-status").await,
        "Canceled: you left Purse's checkout without paying."
    );
    // The session is canceled at Purse too: its page says so, and nothing more was paid.
    client.goto(&format!("{base}/checkout/{second}")).await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('.checkout')?.dataset.state === 'canceled';",
        "the canceled checkout page",
    )
    .await;
    assert_eq!(alice_cents(&state).await, before - 1_250);

    // Cancel by someone not signed in: Purse is not asked (it would refuse), the browser goes
    // straight back to the cancel_url, and the shop, asking Purse, finds the session still
    // open: the order keeps waiting, with the way back to pay.
    let stranger = browser(&driver).await;
    stranger.goto(&format!("{base}/demo/shop")).await.unwrap();
    stranger.find(Locator::Css("#buy-silk-road-cookbook")).await.unwrap().click().await.unwrap();
    wait_across_loads(
        &stranger,
        "return location.pathname.startsWith('/checkout/cs_') \
         && document.querySelector('.checkout')?.dataset.state === 'open' \
         && document.querySelector('.checkout-pay #handle') !== null;",
        "the third checkout, signed out",
        30,
    )
    .await;
    let third = stranger.current_url().await.unwrap().path().strip_prefix("/checkout/").unwrap().to_string();
    stranger.find(Locator::Css(".checkout-cancel")).await.unwrap().click().await.unwrap();
    wait_across_loads(
        &stranger,
        &format!(
            "return location.href === {:?} \
             && document.querySelector('#order-status')?.dataset.status === 'awaiting_payment';",
            format!("{base}/demo/shop/orders/3?canceled=1")
        ),
        "the third order page, still awaiting payment",
        30,
    )
    .await;
    assert_eq!(
        stranger
            .execute("return document.querySelector('#continue-checkout')?.getAttribute('href');", vec![])
            .await
            .unwrap(),
        serde_json::json!(format!("{base}/checkout/{third}"))
    );
    stranger.close().await.unwrap();
    assert!(state.ledger.audit().await.unwrap().is_clean());

    eprintln!(
        "demo shop journey: webhook confirmed {:?} after Pay; whole test {:?}",
        confirmed_in,
        started.elapsed()
    );
    client.close().await.unwrap();
    state.begin_stopping();
    state.ledger.shutdown().await;
}

/// Clicks the first element matching `css`, once it is there.
async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
        .click()
        .await
        .unwrap();
}

/// The text of the wallet's activity rows, one line per row: `status | text`.
async fn activity_rows(client: &Client) -> String {
    let rows = client
        .execute(
            "return [...document.querySelectorAll('li.activity-row')]\
             .map(r => r.dataset.status + ' | ' + r.innerText.replace(/\\s+/g, ' ')).join('\\n');",
            vec![],
        )
        .await
        .unwrap();
    rows.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_adds_a_card_and_money_withdraws_instantly_for_a_fee_and_watches_a_bank_withdrawal_settle() {
    let dir = tempfile::tempdir().unwrap();
    // The bank settles standard withdrawals after 4 seconds here (a minute in demo mode).
    let settings = Settings { bank_settle_s: 4, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    drop(purse_server::flows::funding::spawn_jobs(&state));
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    sign_in(&client, &base, "alice").await;

    // Add money: the card form talks to the card network, the wallet links its token.
    click(&client, "[data-test=wallet-add-money]").await;
    wait_until(&client, "return document.querySelector('#card-number') !== null;", "the card form").await;
    type_into(&client, "#card-number", "4242 4242 4242 4242").await;
    assert_eq!(text_of(&client, "#card-brand").await, "Visa");
    type_into(&client, "#card-exp", "1230").await;
    type_into(&client, "#card-cvc", "123").await;
    click(&client, "#card-submit").await;
    type_into(&client, "#deposit-amount", "50.00").await;
    click(&client, "#deposit-submit").await;
    assert!(text_of(&client, ".review-line[data-line=to]").await.contains("$550.00 after"));
    assert_eq!(text_of(&client, ".review-confirm").await, "Add $50.00");
    click(&client, "[data-action=confirm]").await;
    assert!(text_of(&client, "#deposit-balance").await.contains("$550.00"));
    let page = client.execute("return document.documentElement.outerHTML;", vec![]).await.unwrap();
    assert!(!page.as_str().unwrap().contains("4242 4242 4242 4242"), "the card number left the page");

    // Withdraw 20.00 to the card instantly: the fee shows as the amount is typed.
    client.goto(&format!("{base}/withdraw")).await.unwrap();
    click(&client, "#withdraw-speed-instant").await;
    type_into(&client, "#withdraw-amount", "20.00").await;
    wait_until(
        &client,
        "return (document.querySelector('#withdraw-preview')?.innerText || '').includes('Fee $0.35');",
        "the instant fee in the preview",
    )
    .await;
    assert!(text_of(&client, "#withdraw-preview").await.contains("Total $20.35"));
    type_into(&client, "#withdraw-pin", "1234").await;
    click(&client, "#withdraw-submit").await;
    assert!(text_of(&client, ".review-line[data-line=fee]").await.contains("$20.35 leaves your wallet"));
    assert_eq!(text_of(&client, ".review-confirm").await, "Withdraw $20.00");
    click(&client, "[data-action=confirm]").await;
    wait_until(
        &client,
        "return document.querySelector('[data-test=withdraw-done]')?.dataset.status === 'completed';",
        "the instant withdrawal, completed",
    )
    .await;
    click(&client, "[data-test=withdraw-see-activity]").await;
    wait_until(
        &client,
        "return [...document.querySelectorAll('li.activity-row')].some(r => /Fee/.test(r.innerText) && r.innerText.includes('0.35'));",
        "the fee in the activity",
    )
    .await;
    let rows = activity_rows(&client).await;
    assert!(
        rows.lines()
            .any(|row| row.starts_with("completed") && row.contains("Withdrawal") && row.contains("20.00")),
        "{rows}"
    );

    // A bank account, then a standard withdrawal that settles while the wallet is open.
    client.goto(&format!("{base}/settings/payment-methods")).await.unwrap();
    type_into(&client, "#bank-routing", "110000000").await;
    type_into(&client, "#bank-account", "000123456789").await;
    type_into(&client, "#bank-holder", "Alice Martin").await;
    click(&client, "#bank-submit").await;
    assert!(text_of(&client, "[data-test=bank-list]").await.contains("6789"));
    client.goto(&format!("{base}/withdraw")).await.unwrap();
    click(&client, "#withdraw-speed-standard").await;
    type_into(&client, "#withdraw-amount", "10.00").await;
    wait_until(
        &client,
        "return (document.querySelector('#withdraw-preview')?.innerText || '').includes('Free');",
        "a free standard withdrawal in the preview",
    )
    .await;
    type_into(&client, "#withdraw-pin", "1234").await;
    click(&client, "#withdraw-submit").await;
    // By the quoted time, or in 1–3 business days until the quote has come.
    assert!(text_of(&client, ".review-line[data-line=arrival]").await.starts_with("Arrives"));
    click(&client, "[data-action=confirm]").await;
    wait_until(
        &client,
        "return document.querySelector('[data-test=withdraw-done]')?.dataset.status === 'pending';",
        "the standard withdrawal, pending",
    )
    .await;
    click(&client, "[data-test=withdraw-see-activity]").await;
    wait_until(
        &client,
        "return [...document.querySelectorAll('li.activity-row')].some(r => r.innerText.includes('10.00'));",
        "the bank withdrawal in the activity",
    )
    .await;
    // Marks this page: a reload would lose it.
    client.execute("window.__stillTheSamePage = true; return 1;", vec![]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = activity_rows(&client).await;
        let bank = rows
            .lines()
            .find(|row| row.contains("Withdrawal") && row.contains("10.00"))
            .unwrap_or("")
            .to_string();
        if bank.starts_with("completed") {
            break;
        }
        assert!(Instant::now() < deadline, "the bank withdrawal never settled: {rows}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        client.execute("return window.__stillTheSamePage === true;", vec![]).await.unwrap(),
        serde_json::json!(true),
        "it settled live, without a reload"
    );
    assert!(text_of(&client, ".balance-amount .money").await.contains("519.65"));
    assert!(state.ledger.audit().await.unwrap().is_clean());
    client.close().await.unwrap();
    state.begin_stopping();
    state.ledger.shutdown().await;
}
