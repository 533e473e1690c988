//! End to end in a real browser: the built SPA (`dist/`, from `trunk build`) served by the real
//! app on a real socket, driven through ChromeDriver in headless Chromium. Proves that the
//! Content-Security-Policy lets the wasm run, that client-side routes and deep links work, that
//! the status page shows what the server says, and that the page works from the keyboard.
//!
//! Needs `--features browser-tests`, a built `dist/`, and `chromedriver` (the Makefile's
//! `make test` provides all three; `CHROMEDRIVER` and `CHROMIUM` override the paths).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use purse_ledger::Ledger;
use purse_server::static_site::StaticSite;
use purse_server::{AppState, app};

fn dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
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

async fn serve(database_url: &str) -> (SocketAddr, Ledger) {
    let ledger = Ledger::open(database_url).await.unwrap();
    let state = AppState::new(ledger.clone(), StaticSite::load(&dist()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    (addr, ledger)
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spa_runs_under_its_policy_routes_on_the_client_and_works_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, ledger) = serve(&format!("sqlite://{}/purse.db", dir.path().display())).await;
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    let base = format!("http://{addr}");

    // Home, rendered by the wasm: the CSP let it compile and run.
    client.goto(&format!("{base}/")).await.unwrap();
    let title = text_of(&client, "main h1").await;
    assert_eq!(title, purse_web_title());

    // A client-side route: the link is followed without a page load.
    let marker: serde_json::Value =
        client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    assert_eq!(marker, serde_json::json!(1));
    client.find(Locator::Css("nav.app-nav a[href='/status']")).await.unwrap().click().await.unwrap();
    let database = text_of(&client, ".status[data-state=healthy] .fact-database").await;
    assert_eq!(database, "SQLite");
    let same_page = client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap();
    assert_eq!(same_page, serde_json::json!("yes"), "navigation stayed in the SPA");
    let current = client
        .execute(
            "return document.querySelector(\"nav a[aria-current='page']\").getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(current, serde_json::json!("/status"));

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

    client.close().await.unwrap();
    ledger.shutdown().await;
}

/// The home page's title, from the SPA's own text table (one place for every string).
fn purse_web_title() -> &'static str {
    "Your wallet is almost here"
}
