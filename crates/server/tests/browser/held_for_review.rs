//! A payment held for review, as the people in it and a compliance officer meet it (issue 21):
//! Alice sends Bob 2,500.00; her done screen, her activity and Bob's say "Pending review" with
//! the one generic sentence (never why). Cora, an officer, has the console open: the case
//! arrives live and is announced; its page shows the evidence; Approve with no note is refused
//! on the field before anything is sent; with a note it moves the money, and both wallets
//! update live without a reload. The audit log says the chain is verified; Alice's page for
//! officers refuses a freeze without a note. Alice at `/ops`
//! sees the not-found page. In an Arabic browser the wallet, the limits page's hold, its
//! receipt and the console read right to left.
//! axe-core finds nothing serious on the console's pages.

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use purse_api::ops::REVIEW_MESSAGE;
use purse_api::{Currency, Handle};
use purse_ledger::{Movement, TransferId, TransferRequest};
use purse_server::codes;
use purse_server::flows::Settings;

use crate::looks::{LAPTOP, PHONE, assert_accessible, assert_no_sideways_scroll, screenshot, viewport};
use crate::{ChromeDriver, browser, click, serve_with, sign_in, text_of, type_into, wait_until};

/// A ledger transfer id no operation of the server ever takes (theirs start at 2^40).
const FUNDING_ID: i64 = 900_021;

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

/// A browser whose preferred language is Arabic.
pub(crate) async fn arabic_browser(driver: &ChromeDriver) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=420,800",
                     "--lang=ar", "--accept-lang=ar"],
            "prefs": { "intl.accept_languages": "ar" }
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// The first wallet row with Bob (or Alice) in it: `status | badge | text`.
async fn row_with(client: &Client, name: &str) -> String {
    let row = client
        .execute(
            "const row = [...document.querySelectorAll('li.activity-row')].find(r => r.innerText.includes(arguments[0])); \
             return row ? [row.dataset.status, row.querySelector('.badge')?.innerText ?? '', row.innerText.replace(/\\s+/g, ' ')].join(' | ') : '';",
            vec![serde_json::json!(name)],
        )
        .await
        .unwrap();
    row.as_str().unwrap_or_default().to_string()
}

/// A console page at a phone's and a laptop's size: nothing scrolls sideways, axe-core finds
/// nothing serious, and a screenshot.
async fn check_looks(client: &Client, name: &str) {
    for (size, label) in [(PHONE, "phone"), (LAPTOP, "laptop")] {
        viewport(client, size).await;
        wait_until(
            client,
            "return document.querySelector('main [aria-busy=true]') === null;",
            "the page settled",
        )
        .await;
        assert_no_sideways_scroll(client, &format!("{name}, {label}")).await;
        assert_accessible(client, &format!("{name}, {label}")).await;
        screenshot(client, &format!("{name}-{label}")).await;
    }
    viewport(client, PHONE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_sends_bob_2500_it_waits_for_review_and_cora_approves_it_live_in_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings { demo: true, ..Settings::default() };
    let (addr, state) = serve_with(&format!("sqlite://{}/purse.db", dir.path().display()), settings).await;
    purse_server::flows::demo::seed(&state).await.unwrap();
    fund(&state, "alice", 300_000).await;
    let driver = ChromeDriver::start();
    let (alice, bob, cora) = (browser(&driver).await, browser(&driver).await, browser(&driver).await);
    let base = format!("http://{addr}");
    for client in [&alice, &bob, &cora] {
        viewport(client, PHONE).await;
    }

    // Cora opens the console: the menu links it for her (and only for officers).
    sign_in(&cora, &base, "cora").await;
    click(&cora, ".account-button").await;
    click(&cora, "[data-test=menu-ops]").await;
    assert_eq!(text_of(&cora, "main h1").await, "Review queue");
    wait_until(
        &cora,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "Cora's stream",
    )
    .await;
    wait_until(&cora, "return document.querySelector('main [aria-busy=true]') === null;", "the queue read")
        .await;
    cora.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();

    sign_in(&bob, &base, "bob").await;
    bob.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    sign_in(&alice, &base, "alice").await;
    let menu = alice.execute("return document.querySelector('[data-test=menu-ops]') === null;", vec![]).await;
    assert_eq!(menu.unwrap(), serde_json::json!(true), "no console link for a member");

    // Alice sends Bob 2,500.00 with her PIN: it is held, and her done screen says so in the
    // generic words.
    alice.goto(&format!("{base}/send")).await.unwrap();
    type_into(&alice, "#to", "bob").await;
    assert_eq!(text_of(&alice, ".profile-preview strong").await, "Bob Okafor");
    type_into(&alice, "#amount", "2500.00").await;
    alice.find(Locator::Css("#amount")).await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(text_of(&alice, ".review-confirm").await, "Send $2,500.00");
    type_into(&alice, "#pin", purse_server::flows::demo::PIN).await;
    click(&alice, "form button[type=submit]").await;
    assert_eq!(text_of(&alice, ".done-title").await, "Pending review");
    assert_eq!(text_of(&alice, ".done [data-test=review-message]").await, REVIEW_MESSAGE);
    let done = text_of(&alice, ".done").await;
    assert!(!done.contains("LARGE_TRANSFER") && !done.contains("manual_review"), "no reason shown: {done}");
    screenshot(&alice, "send-held-for-review-phone").await;

    // Cora's queue lists it within a second or so, without a reload, and announces it.
    wait_until(
        &cora,
        "return [...document.querySelectorAll('.case-row')].some(r => r.innerText.includes('$2,500.00'));",
        "the case in Cora's open queue",
    )
    .await;
    let row = text_of(&cora, ".case-row").await;
    assert!(row.contains("Large transfer") && row.contains("LARGE_TRANSFER"), "{row}");
    assert!(row.contains("@alice") && row.contains("@bob"), "{row}");
    assert_eq!(text_of(&cora, "[data-test=case-announcer]").await, "New case: Large transfer, $2,500.00.");
    assert_eq!(
        cora.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(),
        serde_json::json!("yes")
    );
    check_looks(&cora, "ops-queue").await;

    // Alice's activity and Bob's wallet (live) say "Pending review" with the generic sentence.
    alice.goto(&format!("{base}/wallet")).await.unwrap();
    text_of(&alice, ".balance-amount .money").await;
    wait_until(
        &alice,
        "return document.querySelector('.live-status')?.dataset.status === 'open';",
        "Alice's stream",
    )
    .await;
    alice.execute("window.__samePage = 'yes'; return 1;", vec![]).await.unwrap();
    let alices = row_with(&alice, "Bob Okafor").await;
    assert!(alices.starts_with("pending | Pending review |"), "{alices}");
    assert!(alices.contains(REVIEW_MESSAGE), "{alices}");
    wait_until(
        &bob,
        "return [...document.querySelectorAll('li.activity-row')].some(r => r.innerText.includes('Pending review'));",
        "the held payment in Bob's wallet",
    )
    .await;
    let bobs = row_with(&bob, "Alice Martin").await;
    assert!(bobs.contains(REVIEW_MESSAGE) && !bobs.contains("LARGE_TRANSFER"), "{bobs}");

    // In Arabic, Alice's wallet reads right to left, the hold in Arabic.
    let alice_ar = arabic_browser(&driver).await;
    viewport(&alice_ar, PHONE).await;
    sign_in(&alice_ar, &base, "alice").await;
    let layout = alice_ar
        .execute("return [document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.querySelector('main')).direction];", vec![])
        .await
        .unwrap();
    assert_eq!(layout, serde_json::json!(["ar", "rtl", "rtl"]));
    let badge = row_with(&alice_ar, "Bob Okafor").await;
    assert!(badge.starts_with("pending | قيد المراجعة |"), "{badge}");
    assert!(badge.contains("هذه الدفعة قيد المراجعة"), "{badge}");
    assert_no_sideways_scroll(&alice_ar, "/wallet in Arabic").await;
    screenshot(&alice_ar, "wallet-held-for-review-arabic-phone").await;
    // Her limits page lists the hold: the generic sentence (never the code) and the receipt.
    alice_ar.goto(&format!("{base}/settings/limits")).await.unwrap();
    let hold = text_of(&alice_ar, ".hold").await;
    assert!(hold.contains("هذه الدفعة قيد المراجعة") && !hold.contains("LARGE_TRANSFER"), "{hold}");
    assert!(!hold.contains("manual_review"), "{hold}");
    let receipt = alice_ar
        .execute("return document.querySelector('.hold a')?.getAttribute('href');", vec![])
        .await
        .unwrap();
    assert!(receipt.as_str().is_some_and(|href| href.starts_with("/activity/")), "{receipt}");
    click(&alice_ar, ".hold a").await;
    assert!(text_of(&alice_ar, "[data-test=review-message]").await.starts_with("هذه الدفعة قيد المراجعة"));
    assert_eq!(text_of(&alice_ar, ".receipt-status").await, "قيد المراجعة");
    screenshot(&alice_ar, "receipt-held-for-review-arabic-phone").await;
    alice_ar.close().await.unwrap();

    // The case: the evidence, and the report for 2,000.00 or more.
    click(&cora, ".case-row a").await;
    assert_eq!(text_of(&cora, ".ops-case-head h1").await, "Large transfer");
    assert!(!text_of(&cora, "[data-test=case-rule]").await.is_empty());
    assert_eq!(text_of(&cora, "[data-test=case-report]").await, "Download report (JSON)");
    let case_id = cora
        .execute("return location.pathname.split('/').pop();", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    check_looks(&cora, "ops-case").await;

    // Approve with no note: refused on the field, nothing sent (the case is still open).
    click(&cora, "[data-action=approve]").await;
    assert_eq!(text_of(&cora, "#decision-note-error").await, "Write a note: every decision needs one.");
    let focused = cora.execute("return document.activeElement?.id;", vec![]).await.unwrap();
    assert_eq!(focused, serde_json::json!("decision-note"), "the note takes focus");
    let status = cora
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/v1/ops/cases/' + arguments[0]).then(r => r.json()).then(b => done(b.case.status), e => done(String(e)));",
            vec![serde_json::json!(case_id)],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!("open"), "no request left without a note");

    // With a note: approved, the money moves, and both wallets follow live.
    type_into(&cora, "#decision-note", "Known counterparty; matches her stated rent payment.").await;
    click(&cora, "[data-action=approve]").await;
    assert_eq!(text_of(&cora, "#decision-outcome").await, "Approved: the held money moved.");
    let decided = text_of(&cora, ".ops-decision[data-decision=approved]").await;
    assert!(decided.contains("@cora") && decided.contains("rent payment"), "{decided}");
    wait_until(
        &bob,
        "return document.querySelector('.balance-amount .money')?.textContent === '$3,000.00';",
        "Bob's balance after the approval",
    )
    .await;
    wait_until(
        &alice,
        "return [...document.querySelectorAll('li.activity-row')].every(r => !r.innerText.includes('Pending review'));",
        "Alice's row no longer pending review",
    )
    .await;
    for (client, who) in [(&alice, "Alice"), (&bob, "Bob")] {
        assert_eq!(
            client.execute("return window.__samePage || 'reloaded';", vec![]).await.unwrap(),
            serde_json::json!("yes"),
            "{who}'s wallet updated without a reload"
        );
    }

    // The audit log: the chain verified by the server, the approval in it.
    cora.goto(&format!("{base}/ops/audit")).await.unwrap();
    assert!(text_of(&cora, ".ops-chain[data-verified=true]").await.contains("Chain verified — "));
    assert!(text_of(&cora, ".ops-table").await.contains("case.approved"));
    check_looks(&cora, "ops-audit").await;

    // Alice's page for officers: her status and her case; Freeze without a note is refused on
    // the field, and she stays active.
    cora.goto(&format!("{base}/ops/people/alice")).await.unwrap();
    assert_eq!(text_of(&cora, "[data-test=person-status]").await, "Active");
    assert!(text_of(&cora, ".ops-person .case-row").await.contains("$2,500.00"));
    click(&cora, "[data-action=freeze]").await;
    assert_eq!(text_of(&cora, "#freeze-note-error").await, "Write a note: every decision needs one.");
    assert_eq!(text_of(&cora, "[data-test=person-status]").await, "Active");
    check_looks(&cora, "ops-person").await;

    // Anyone else at /ops: the not-found page.
    alice.goto(&format!("{base}/ops")).await.unwrap();
    text_of(&alice, "main h1").await;
    let found =
        alice.execute("return document.querySelector('#not-found-title') !== null;", vec![]).await.unwrap();
    assert_eq!(found, serde_json::json!(true), "a member does not see the console");

    // The console in Arabic: right to left.
    let cora_ar = arabic_browser(&driver).await;
    viewport(&cora_ar, PHONE).await;
    sign_in(&cora_ar, &base, "cora").await;
    cora_ar.goto(&format!("{base}/ops")).await.unwrap();
    assert_eq!(text_of(&cora_ar, "main h1").await, "قائمة المراجعة");
    let dir =
        cora_ar.execute("return getComputedStyle(document.querySelector('main')).direction;", vec![]).await;
    assert_eq!(dir.unwrap(), serde_json::json!("rtl"));
    click(&cora_ar, "[data-view=closed]").await;
    assert!(text_of(&cora_ar, ".case-row").await.contains("$2,500.00"), "the decided case, closed");
    check_looks(&cora_ar, "ops-queue-arabic").await;
    cora_ar.goto(&format!("{base}/ops/cases/{case_id}")).await.unwrap();
    assert_eq!(text_of(&cora_ar, ".ops-case-head h1").await, "تحويل كبير");
    check_looks(&cora_ar, "ops-case-arabic").await;
    cora_ar.close().await.unwrap();

    assert!(state.ledger.audit().await.unwrap().is_clean());
    for client in [alice, bob, cora] {
        client.close().await.unwrap();
    }
    state.ledger.shutdown().await;
}
