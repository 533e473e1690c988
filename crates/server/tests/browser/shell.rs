//! The app's shell, as a person meets it: every page of the app fits a phone and a laptop and
//! passes axe-core; a route change puts focus on the new page's heading and announces it; the
//! account menu opens, closes on Escape and gives focus back; and the static shell in
//! `index.html` paints before the wasm has arrived, and says so plainly when the wasm cannot load.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fantoccini::Client;
use fantoccini::key::Key;
use purse_server::flows::people::Passwords;
use purse_server::http::static_site::{StaticSite, inline_script_hashes};
use purse_server::store::Db;
use purse_server::{AppState, app};

use crate::looks::{self, LAPTOP, PHONE};

/// The narrowest phone the shell is laid out for (nothing may scroll sideways at 320 px).
const SMALL_PHONE: (u32, u32) = (320, 640);
use crate::{ChromeDriver, browser, click, serve, sign_in, text_of, wait_until};

/// Waits (at most a few seconds, without failing) until the page has nothing loading: no
/// skeleton and nothing marked busy, so what is measured is the page as it settles.
async fn settle(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let busy = client
            .execute(
                "return document.querySelector('main .skeleton, main [aria-busy=true]') !== null;",
                vec![],
            )
            .await
            .unwrap();
        if busy == serde_json::json!(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens `path`, waits for its main heading, and checks the page at the current size.
async fn check_page(client: &Client, base: &str, path: &str, name: &str) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    wait_until(client, "return document.getElementById('static-shell') === null;", "the app mounted").await;
    text_of(client, "main h1").await;
    settle(client).await;
    // Named by the page, not by the activity's id, so each run's screenshots replace the last.
    let page = if path.starts_with("/activity/") { "/receipt" } else { path };
    let slug: String =
        page.trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    looks::screenshot(client, &format!("page-{slug}-{}", name.replace(' ', "-"))).await;
    looks::assert_no_sideways_scroll(client, &format!("{path}, {name}")).await;
    looks::assert_accessible(client, &format!("{path}, {name}")).await;
}

/// The id of Alice's first activity (her demo funds), for its receipt.
async fn first_activity_id(client: &Client) -> String {
    let id = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/v1/activity?limit=1').then(r => r.json()).then(p => done(p.items[0].id));",
            vec![],
        )
        .await
        .unwrap();
    id.as_str().expect("an activity id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_a_laptop_and_axe_finds_nothing_serious() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    sign_in(&client, &base, "alice").await;
    let receipt = format!("/activity/{}", first_activity_id(&client).await);

    let signed_in = [
        "/wallet",
        "/activity",
        receipt.as_str(),
        "/send",
        "/request",
        "/add-money",
        "/withdraw",
        "/settings/pin",
        "/settings/payment-methods",
        "/u/alice",
        "/creator",
        "/status",
        "/no/such/page",
    ];
    for (size, name) in [(SMALL_PHONE, "small phone"), (PHONE, "phone"), (LAPTOP, "laptop")] {
        looks::viewport(&client, size).await;
        for path in signed_in {
            check_page(&client, &base, path, name).await;
        }
        client.goto(&format!("{base}/wallet")).await.unwrap();
        text_of(&client, ".balance-amount .money").await;
        settle(&client).await;
        looks::screenshot(&client, &format!("home-signed-in-{}", name.replace(' ', "-"))).await;
        // The account menu, open, fits too.
        click(&client, ".account-button").await;
        wait_until(&client, "return !document.querySelector('#account-menu').hidden;", "the menu open").await;
        looks::assert_no_sideways_scroll(&client, &format!("account menu, {name}")).await;
        looks::assert_accessible(&client, &format!("account menu, {name}")).await;
        looks::screenshot(&client, &format!("account-menu-{}", name.replace(' ', "-"))).await;
    }

    // Signed out: the way in.
    client.find(fantoccini::Locator::Css("[data-test=sign-out]")).await.unwrap().click().await.unwrap();
    wait_until(&client, "return document.querySelector('.account-sign-in') !== null;", "signed out").await;
    for (size, name) in [(SMALL_PHONE, "small phone"), (PHONE, "phone"), (LAPTOP, "laptop")] {
        looks::viewport(&client, size).await;
        for path in ["/signin", "/signup", "/wallet"] {
            check_page(&client, &base, path, name).await;
        }
        let tabs = client.execute("return document.querySelectorAll('nav').length;", vec![]).await.unwrap();
        assert_eq!(tabs, serde_json::json!(0), "no tab bar for someone signed out ({name})");
    }

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

/// The element that has focus, described: `tag#id.class: text`.
async fn focused(client: &Client) -> String {
    let found = client
        .execute(
            "const e = document.activeElement; \
             return `${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${(e.innerText || '').trim()}`;",
            vec![],
        )
        .await
        .unwrap();
    found.as_str().unwrap_or_default().to_string()
}

/// Waits until the focused element is the page's main heading with `text`, and checks it was
/// announced and named in the title.
async fn heading_focused(client: &Client, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let on_heading = client
            .execute(
                "const e = document.activeElement; \
                 return e !== null && e.matches('main h1') && e.innerText.trim() === arguments[0];",
                vec![serde_json::json!(text)],
            )
            .await
            .unwrap();
        if on_heading == serde_json::json!(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "focus never reached the heading {text:?}; it is on {}",
            focused(client).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(text_of(client, "#route-announcer").await, text, "the page's name announced");
    let title = client.execute("return document.title;", vec![]).await.unwrap();
    assert_eq!(title, serde_json::json!(format!("{text} · Purse")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_change_focuses_the_new_heading_and_the_account_menu_works_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");
    looks::viewport(&client, PHONE).await;
    sign_in(&client, &base, "alice").await;
    client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();

    // The tab bar: each tab moves focus to the new page's heading, and lights up.
    click(&client, "nav.app-nav a[href='/activity']").await;
    heading_focused(&client, "Activity").await;
    let current = client
        .execute("return document.querySelector('nav a[aria-current=page]').getAttribute('href');", vec![])
        .await;
    assert_eq!(current.unwrap(), serde_json::json!("/activity"));
    click(&client, "nav.app-nav a[href='/send']").await;
    let send_title = text_of(&client, "main h1").await;
    heading_focused(&client, &send_title).await;
    click(&client, "nav.app-nav a[href='/wallet']").await;
    heading_focused(&client, "Available balance").await;
    let same_page = client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap();
    assert_eq!(same_page, serde_json::json!("yes"), "the tabs route on the client");

    // The account menu: a disclosure. It opens from the keyboard, Escape closes it and focus
    // goes back to the avatar.
    let toggle = client.find(fantoccini::Locator::Css(".account-button")).await.unwrap();
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));
    toggle.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_until(&client, "return !document.querySelector('#account-menu').hidden;", "the menu open").await;
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("true"));
    let items = text_of(&client, "#account-menu").await;
    for item in ["Alice Martin", "@alice", "PIN and limits", "Payment methods", "Sign out"] {
        assert!(items.contains(item), "{item} in the menu: {items}");
    }
    // Tab goes into the menu, to its first link; Escape from there closes it.
    client.active_element().await.unwrap().send_keys(&Key::Tab.to_string()).await.unwrap();
    let on = focused(&client).await;
    assert!(on.contains("Your profile"), "Tab from the avatar reaches the menu: {on}");
    client.active_element().await.unwrap().send_keys(&Key::Escape.to_string()).await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('#account-menu').hidden;",
        "the menu closed by Escape",
    )
    .await;
    let on = focused(&client).await;
    assert!(on.starts_with("button#.account-button"), "focus back on the avatar: {on}");
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));

    // A link in the menu: followed on the client, the menu closes, focus on the new heading.
    click(&client, ".account-button").await;
    click(&client, "#account-menu a[href='/settings/payment-methods']").await;
    let methods = text_of(&client, "main h1").await;
    heading_focused(&client, &methods).await;
    wait_until(&client, "return document.querySelector('#account-menu').hidden;", "the menu closed").await;

    // The footer's status page, for operators: out of the tab bar, still a route.
    let in_nav =
        client.execute("return document.querySelector(\"nav a[href='/status']\") === null;", vec![]).await;
    assert_eq!(in_nav.unwrap(), serde_json::json!(true), "Status is not in the consumer navigation");
    click(&client, "footer a[href='/status']").await;
    heading_focused(&client, "System status").await;

    client.close().await.unwrap();
    state.ledger.shutdown().await;
}

/// What the test server does to the full wallet's wasm.
#[derive(Clone, Copy)]
enum Wasm {
    /// Sent after a pause: the static shell has time to paint first.
    Late,
    /// Never sent (404): the app cannot start.
    Missing,
}

async fn serve_wasm(database_url: &str, wasm: Wasm) -> (SocketAddr, AppState) {
    let ledger = purse_ledger::Ledger::open(database_url).await.unwrap();
    let db = Db::open(database_url).await.unwrap();
    let clock = std::sync::Arc::new(purse_ledger::SystemClock);
    let state = AppState::new(ledger, db, StaticSite::load(&crate::dist()), clock, Passwords::for_tests())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served =
        app(state.clone()).layer(axum::middleware::from_fn(move |request: Request, next: Next| async move {
            if request.uri().path() == "/purse-web_bg.wasm" {
                match wasm {
                    Wasm::Late => tokio::time::sleep(Duration::from_millis(1500)).await,
                    Wasm::Missing => return axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
            let response: Response = next.run(request).await;
            response
        }));
    tokio::spawn(async move {
        axum::serve(listener, served.into_make_service_with_connect_info::<SocketAddr>()).await
    });
    (addr, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_shell_paints_before_the_wasm_and_says_when_purse_could_not_load() {
    // The served page carries the shell, and the policy allows its inline script by hash.
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = serve_wasm(&format!("sqlite://{}/purse.db", dir.path().display()), Wasm::Late).await;
    let base = format!("http://{addr}");
    let response = reqwest::get(format!("{base}/wallet")).await.unwrap();
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = response.text().await.unwrap();
    for part in ["id=\"static-shell\"", "Loading Purse", "<noscript>", "Purse could not load"] {
        assert!(html.contains(part), "{part} in the served page");
    }
    let hashes = inline_script_hashes(html.as_bytes());
    assert!(hashes.len() >= 2, "Trunk's loader and the shell's watcher: {hashes:?}");
    for hash in &hashes {
        assert!(csp.contains(hash.as_str()), "{hash} allowed by {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    // In the browser, with the wasm late: the first contentful paint comes before the wasm has
    // arrived (the static shell), then the app replaces it.
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    looks::viewport(&client, PHONE).await;
    client.goto(&format!("{base}/wallet")).await.unwrap();
    text_of(&client, "main h1").await;
    wait_until(
        &client,
        "return document.getElementById('static-shell') === null;",
        "the app replacing the shell",
    )
    .await;
    let timing = client
        .execute(
            "const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint'); \
             const wasm = performance.getEntriesByType('resource').find(e => e.name.endsWith('/purse-web_bg.wasm')); \
             return [fcp ? fcp.startTime : null, wasm ? wasm.responseEnd : null];",
            vec![],
        )
        .await
        .unwrap();
    let (fcp, wasm) = (timing[0].as_f64(), timing[1].as_f64());
    let (Some(fcp), Some(wasm)) = (fcp, wasm) else { panic!("paint and wasm timings: {timing}") };
    assert!(fcp < wasm, "first contentful paint at {fcp:.0} ms, before the wasm arrived at {wasm:.0} ms");
    // The preload hints help: each preloaded file is fetched once (a hint the loader cannot use,
    // such as one with an integrity hash the loader's fetch lacks, means a second fetch and a
    // console warning), and the wasm is among them.
    let preloads = client
        .execute(
            "return [...document.querySelectorAll('link[rel=preload], link[rel=modulepreload]')].map(l => \
               [l.href, performance.getEntriesByType('resource').filter(e => e.name === l.href).length]);",
            vec![],
        )
        .await
        .unwrap();
    let preloads = preloads.as_array().unwrap();
    assert!(
        preloads.iter().any(|p| p[0].as_str().unwrap().ends_with("_bg.wasm")),
        "the wasm is preloaded: {preloads:?}"
    );
    for preload in preloads {
        assert_eq!(preload[1], serde_json::json!(1), "preloaded once and used: {preload}");
    }
    assert_eq!(text_of(&client, "main h1").await, "Money that moves at the speed of your timeline");
    client.close().await.unwrap();
    state.ledger.shutdown().await;

    // With the wasm missing: the shell says Purse could not load, and how to recover.
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) =
        serve_wasm(&format!("sqlite://{}/purse.db", dir.path().display()), Wasm::Missing).await;
    let client = browser(&driver).await;
    looks::viewport(&client, PHONE).await;
    client.goto(&format!("http://{addr}/wallet")).await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('#static-shell .static-failed') !== null \
           && document.getElementById('static-loading') === null;",
        "the could-not-load message",
    )
    .await;
    assert_eq!(text_of(&client, ".static-failed h1").await, "Purse could not load");
    let role =
        client.execute("return document.querySelector('.static-failed').getAttribute('role');", vec![]).await;
    assert_eq!(role.unwrap(), serde_json::json!("alert"), "announced");
    assert_eq!(text_of(&client, ".static-failed a.button").await, "Reload");
    let placeholder =
        client.execute("return document.querySelector('#static-shell .account');", vec![]).await;
    assert_eq!(placeholder.unwrap(), serde_json::Value::Null, "no avatar placeholder waiting for nothing");
    looks::assert_no_sideways_scroll(&client, "could not load, phone").await;
    looks::assert_accessible(&client, "could not load, phone").await;
    looks::screenshot(&client, "could-not-load-phone").await;
    client.close().await.unwrap();
    state.ledger.shutdown().await;
}
