//! Interest and statements, as a person meets them (issue 22). A server on the sandbox clock
//! pays 4.00% APY; Alice, funded by the demo, has her wallet open: it says "Earning 4.00% APY"
//! and what she has earned this month. The clock is moved past the month's end
//! (`POST /sandbox/clock/advance`, from her page): the month's interest is paid and appears in
//! her activity live, without a reload; its receipt says Purse paid it, for which month, at what
//! APY. Her Statements page (linked from the wallet home) starts on the month that ended, with
//! its totals; the month holding the interest payment lists it as an entry, with the interest
//! total; its CSV link is named `purse-YYYY-MM.csv` and fetching it (with her cookie) answers
//! the CSV with its header row. In an Arabic browser the page reads right to left in Arabic.
//! axe-core finds nothing serious on the page, in either language.

use std::net::SocketAddr;
use std::sync::Arc;

use fantoccini::{Client, Locator};
use purse_ledger::{Ledger, LedgerConfig, SystemClock};
use purse_server::flows::Settings;
use purse_server::flows::people::Passwords;
use purse_server::flows::sandbox::SandboxClock;
use purse_server::http::static_site::StaticSite;
use purse_server::store::Db;
use purse_server::{AppState, app};

use crate::held_for_review::arabic_browser;
use crate::looks::{LAPTOP, PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{ChromeDriver, browser, click, dist, sign_in, text_of, wait_until};

/// The app on the sandbox clock (what `serve --demo` runs): one clock, the system time plus the
/// persisted offset, for the ledger, the flows and every job.
async fn serve_on_sandbox_clock(database_url: &str, settings: Settings) -> (SocketAddr, AppState) {
    let clock = Arc::new(SandboxClock::new(Arc::new(SystemClock)));
    let config = LedgerConfig { clock: clock.clone(), ..LedgerConfig::default() };
    let ledger = Ledger::open_with(database_url, config).await.unwrap();
    let db = Db::open(database_url).await.unwrap();
    clock.load(&db).await.unwrap();
    let state = AppState::new(ledger, db, StaticSite::load(&dist()), clock.clone(), Passwords::for_tests())
        .await
        .unwrap()
        .with_settings(settings)
        .with_sandbox_clock(clock);
    assert!(state.sandbox_clock.is_some(), "the sandbox clock is the flows' clock");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
    });
    (addr, state)
}

/// Runs `script` (a function body given `done`) in the page and answers what it passed `done`.
async fn in_page(client: &Client, script: &str) -> serde_json::Value {
    client
        .execute_async(&format!("const done = arguments[arguments.length - 1]; {script}"), vec![])
        .await
        .unwrap()
}

/// The statements page settled: nothing loading in `main`.
async fn settled(client: &Client) {
    wait_until(
        client,
        "return document.querySelector('main [aria-busy=true]') === null \
           && document.querySelector('.statement[data-state]') !== null;",
        "the statement read",
    )
    .await;
}

/// The page at a phone's and a laptop's size: nothing scrolls sideways, axe-core finds
/// nothing serious, and a screenshot.
async fn check_looks(client: &Client, name: &str) {
    for (size, label) in [(PHONE, "phone"), (LAPTOP, "laptop")] {
        viewport(client, size).await;
        settled(client).await;
        assert_no_sideways_scroll(client, &format!("{name}, {label}")).await;
        assert_accessible(client, &format!("{name}, {label}")).await;
        screenshot(client, &format!("{name}-{label}")).await;
    }
    viewport(client, PHONE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_sees_her_interest_arrive_live_at_the_months_end_and_downloads_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { apy: rust_decimal::Decimal::new(400, 2), ..Settings::default() };
    let (addr, state) =
        serve_on_sandbox_clock(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    let driver = ChromeDriver::start();
    let client = browser(&driver).await;
    viewport(&client, PHONE).await;
    let base = format!("http://{addr}");

    // Her wallet: the APY and what she has earned so far this month, under the balance.
    sign_in(&client, &base, "alice").await;
    assert_eq!(text_of(&client, "[data-test=wallet-apy] .balance-apy").await, "Earning 4.00% APY");
    let earned = text_of(&client, "[data-test=wallet-earned]").await;
    assert!(earned.starts_with('$') && earned.ends_with(" earned this month"), "{earned}");
    client.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();

    // The sandbox clock moves past the month's end (to 01:00 on the 1st), from her page.
    let moved = in_page(
        &client,
        "fetch('/sandbox/clock').then(r => r.json()).then(clock => { \
           const now = new Date(clock.now); \
           const ended = clock.now.slice(0, 7); \
           const target = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 1); \
           const seconds = Math.ceil((target - now.getTime()) / 1000); \
           return fetch('/sandbox/clock/advance', { method: 'POST', headers: { 'Content-Type': 'application/json' }, \
               body: JSON.stringify({ seconds }) }) \
             .then(r => r.json().then(body => done([ended, r.status, body.now || JSON.stringify(body)]))); \
         }).catch(e => done(String(e)));",
    )
    .await;
    let ended = moved[0].as_str().unwrap_or_else(|| panic!("the advance: {moved}")).to_string();
    assert_eq!(moved[1], serde_json::json!(200), "the advance: {moved}");
    assert!(moved[2].as_str().is_some_and(|now| now.get(8..10) == Some("01")), "now the 1st: {moved}");
    let (year, month) = purse_api::statements::parse_month(&ended).unwrap();
    let month_name = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][month as usize - 1];
    let ended_label = format!("{month_name} {year}");

    // The interest payment arrives in her activity live: "Interest", for the month that ended.
    wait_until(
        &client,
        "return [...document.querySelectorAll('li.activity-row')].some(r => r.querySelector('.activity-title')?.innerText === 'Interest');",
        "the interest payment in the activity, live",
    )
    .await;
    let row = client
        .execute(
            "const row = [...document.querySelectorAll('li.activity-row')].find(r => r.querySelector('.activity-title')?.innerText === 'Interest'); \
             return [row.dataset.status, row.querySelector('.activity-sub').innerText, row.querySelector('.activity-amount').innerText];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(row[0], serde_json::json!("completed"), "{row}");
    assert!(
        row[1].as_str().unwrap().starts_with(&format!("For {ended_label}")),
        "the month it is for: {row}"
    );
    let paid = row[2].as_str().unwrap().to_string();
    assert!(paid.contains("+$") && !paid.ends_with("+$0.00"), "a positive payment: {row}");
    let amount = paid.rsplit("+$").next().unwrap().to_string();
    assert_eq!(
        client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(),
        serde_json::json!("yes"),
        "it arrived without a reload"
    );
    assert_eq!(text_of(&client, "[data-test=wallet-apy] .balance-apy").await, "Earning 4.00% APY");
    screenshot(&client, "wallet-interest-paid-phone").await;

    // Its receipt: paid by Purse, for the month that ended, at the APY.
    click(&client, "li.activity-row:has(.avatar-icon-interest) a").await;
    assert_eq!(text_of(&client, "#receipt-title").await, "Interest paid by Purse");
    assert_eq!(text_of(&client, "[data-test=interest-period] dd").await, ended_label);
    assert_eq!(text_of(&client, "[data-test=interest-rate] dd").await, "4.00% APY");
    let activity_id = text_of(&client, ".receipt-id").await;

    // Statements, from the wallet home: the month that ended to begin with.
    client.goto(&format!("{base}/wallet")).await.unwrap();
    click(&client, "[data-test=wallet-statements]").await;
    assert_eq!(text_of(&client, "main h1").await, "Statements");
    settled(&client).await;
    assert_eq!(text_of(&client, "#statement-title").await, ended_label);
    let chosen = client.execute("return document.querySelector('#statement-month').value;", vec![]).await;
    assert_eq!(chosen.unwrap(), serde_json::json!(ended));
    let closing = text_of(&client, "[data-total=closing] dd").await;
    assert!(closing.starts_with('$'), "{closing}");
    for total in ["opening", "in", "out", "interest", "fees"] {
        text_of(&client, &format!("[data-total={total}] dd")).await;
    }

    // The month holding the payment (it posted on the 1st, so the month after the one it is
    // for, unless the server books it at the month's end) lists it, with the interest total.
    let booked = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/v1/activity/' + arguments[0]).then(r => r.json()).then(b => done(b.activity.created_at.slice(0, 7)), e => done(String(e)));",
            vec![serde_json::json!(activity_id)],
        )
        .await
        .unwrap();
    let booked = booked.as_str().unwrap().to_string();
    if booked != ended {
        client.find(Locator::Css("#statement-month")).await.unwrap().select_by_value(&booked).await.unwrap();
        wait_until(
            &client,
            &format!(
                "return document.querySelector('.statement[data-state=read]')?.dataset.month === '{booked}';"
            ),
            "the month holding the payment",
        )
        .await;
    }
    let entry = text_of(&client, &format!(".statement-entry[data-activity='{activity_id}']")).await;
    assert!(entry.contains(&format!("+${amount}")), "{entry}");
    assert!(entry.contains("Balance after $"), "{entry}");
    assert_eq!(
        client
            .execute(
                &format!("return document.querySelector(\".statement-entry[data-activity='{activity_id}']\").dataset.kind;"),
                vec![]
            )
            .await
            .unwrap(),
        serde_json::json!("interest")
    );
    assert_eq!(text_of(&client, "[data-total=interest] dd").await, format!("${amount}"));
    check_looks(&client, "statements").await;

    // The CSV: named for the month, and fetching its link (her cookie goes) answers the file.
    let link = client
        .execute(
            "const a = document.querySelector('.statement-downloads a[data-format=csv]'); return [a.getAttribute('href'), a.getAttribute('download')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(link[1], serde_json::json!(format!("purse-{booked}.csv")), "{link}");
    let csv = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0]).then(r => r.text().then(t => done([r.status, r.headers.get('content-disposition') || '', t])), e => done(String(e)));",
            vec![link[0].clone()],
        )
        .await
        .unwrap();
    assert_eq!(csv[0], serde_json::json!(200), "{csv}");
    assert!(csv[1].as_str().unwrap().contains(&format!("purse-{booked}.csv")), "{csv}");
    let body = csv[2].as_str().unwrap();
    assert_eq!(
        body.lines().next(),
        Some(purse_server::statement_files::CSV_HEADER.join(",").as_str()),
        "{body}"
    );
    assert!(body.contains(&activity_id), "the interest row: {body}");
    for (format, extension) in [("ofx", "ofx"), ("camt053", "xml")] {
        let named = client
            .execute(
                &format!("return document.querySelector('.statement-downloads a[data-format={format}]').getAttribute('download');"),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(named, serde_json::json!(format!("purse-{booked}.{extension}")));
    }

    // In Arabic: right to left, in Arabic.
    let arabic = arabic_browser(&driver).await;
    viewport(&arabic, PHONE).await;
    sign_in(&arabic, &base, "alice").await;
    arabic.goto(&format!("{base}/statements")).await.unwrap();
    assert_eq!(text_of(&arabic, "main h1").await, "كشوف الحساب");
    settled(&arabic).await;
    let layout = arabic
        .execute(
            "return [document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.querySelector('main')).direction];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout, serde_json::json!(["ar", "rtl", "rtl"]));
    assert_eq!(text_of(&arabic, "label[for=statement-month]").await, "الشهر");
    assert_eq!(text_of(&arabic, "[data-total=closing] dt").await, "الرصيد الختامي");
    assert_eq!(text_of(&arabic, ".statement-downloads a[data-format=csv]").await, "تنزيل CSV");
    let options = text_of(&arabic, "#statement-month").await;
    assert!(options.contains("(حتى الآن)"), "{options}");
    check_looks(&arabic, "statements-arabic").await;
    arabic.close().await.unwrap();

    assert!(state.ledger.audit().await.unwrap().is_clean());
    client.close().await.unwrap();
    state.begin_stopping();
    state.ledger.shutdown().await;
}
