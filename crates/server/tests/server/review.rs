//! Sanctions, monitoring and review (issue 21): each rule at its edge, approving and rejecting
//! moving the money right, the two-person rule, freezing, the sanctions screening of a
//! counterparty (and again under a new list version), what people are told (one generic review,
//! never the rule), the officers' endpoints refusing everyone else, the report, and the audit
//! chain and the ledger's audit clean after each.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use purse_rails::sanctions::SanctionsList;
use serde_json::{Value, json};

use crate::funding::{link_bank, withdraw};
use crate::support::{Answer, TestApp, TestDb, available, count, set_pin};

const GENERIC: &str = purse_api::ops::REVIEW_MESSAGE;

async fn execute(app: &TestApp, sql: &str) {
    match &app.state.db {
        purse_server::store::Db::Sqlite(pool, _) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        purse_server::store::Db::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
    }
}

async fn send(app: &TestApp, cookie: &str, key: &str, to: &str, amount: &str) -> Answer {
    let body = json!({"to": to, "amount": amount, "currency": "USD", "pin": "1234"});
    app.call_with(Method::POST, "/api/v1/transfers", Some(cookie), Some(body), &[("idempotency-key", key)])
        .await
}

/// `handle` signed up with PIN 1234 at `tier`; their cookie.
async fn person(app: &TestApp, handle: &str, tier: u8) -> String {
    let cookie = app.sign_up(handle).await;
    set_pin(app, &cookie).await;
    execute(app, &format!("UPDATE users SET tier = {tier} WHERE handle = '{handle}'")).await;
    cookie
}

/// Alice (tier 2, `funds` minor units) and Bob (tier 1), and the officers cora and kemal.
async fn cast(app: &TestApp, funds: u64) -> (String, String, String, String) {
    let alice = person(app, "alice", 2).await;
    let bob = person(app, "bob", 1).await;
    app.fund(1, "alice", funds, "Top-up").await;
    let cora = officer(app, "cora").await;
    let kemal = officer(app, "kemal").await;
    (alice, bob, cora, kemal)
}

async fn officer(app: &TestApp, handle: &str) -> String {
    let cookie = app.sign_up(handle).await;
    app.state.db.execute(&purse_server::store::people::make_officer(handle)).await.unwrap();
    cookie
}

async fn open_cases(app: &TestApp, officer: &str) -> Vec<Value> {
    let page = app.call(Method::GET, "/api/v1/ops/cases?status=open", Some(officer), None).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    page.body["items"].as_array().unwrap().clone()
}

async fn decide(app: &TestApp, officer: &str, case: &str, decision: &str, note: &str) -> Answer {
    let path = format!("/api/v1/ops/cases/{case}/{decision}");
    app.call(Method::POST, &path, Some(officer), Some(json!({"note": note}))).await
}

/// The ledger's audit is clean and the audit log's chain holds.
async fn audits_clean(app: &TestApp, label: &str) {
    let report = app.ledger.audit().await.unwrap();
    assert!(report.violations.is_empty(), "{label}: {:?}", report.violations);
    let chain = purse_server::flows::audit::verify(&app.state.db).await.unwrap();
    assert!(chain.broken.is_none(), "{label}: {:?}", chain.broken);
}

fn is_generic(review: &Value) -> bool {
    review == &json!({"reason_code": "manual_review", "message": GENERIC})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_transfer_is_held_at_two_thousand_and_approving_it_moves_the_money() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, _) = cast(&app, 1_000_000).await;
        // A cent under: no hold (the first payment's grace window, nothing else).
        let under = send(&app, &alice, "u", "bob", "1999.99").await;
        assert_eq!(under.status, StatusCode::CREATED, "{}: {:?}", db.backend, under.body);
        assert!(under.body["transfer"].get("review").is_none(), "{:?}", under.body);
        assert!(open_cases(&app, &cora).await.is_empty());

        let held = send(&app, &alice, "l", "bob", "2000.00").await;
        assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);
        let transfer = &held.body["transfer"];
        assert_eq!(transfer["status"], "pending");
        assert!(is_generic(&transfer["review"]), "{transfer:?}");
        assert!(transfer.get("cancelable_until").is_none(), "a held payment has no grace window");
        // A replay answers the same, and opens no second case.
        let again = send(&app, &alice, "l", "bob", "2000.00").await;
        assert_eq!(again.raw, held.raw);

        // Both people see it pending with the generic review; the money has left Alice.
        let id = transfer["id"].as_str().unwrap();
        for cookie in [&alice, &bob] {
            let item = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(cookie), None).await;
            assert_eq!(item.body["activity"]["status"], "pending", "{:?}", item.body);
            assert!(is_generic(&item.body["activity"]["review"]), "{:?}", item.body);
            let compliance = app.call(Method::GET, "/api/v1/me/compliance", Some(cookie), None).await;
            let holds = compliance.body["holds"].as_array().unwrap();
            assert_eq!(holds.len(), 1, "{:?}", compliance.body);
            assert_eq!(
                (holds[0]["activity_id"].as_str(), holds[0]["message"].as_str()),
                (Some(id), Some(GENERIC))
            );
        }
        assert_eq!(available(&app, &alice).await, "6000.01");
        assert_eq!(available(&app, &bob).await, "0.00");

        // The officer's case: the rule, its inputs, the people, the movement.
        let cases = open_cases(&app, &cora).await;
        assert_eq!(cases.len(), 1);
        let case = &cases[0];
        assert_eq!(case["reason_code"], "LARGE_TRANSFER");
        assert_eq!(case["status"], "open");
        assert_eq!(case["person"]["handle"], "alice");
        assert_eq!(case["movement"]["amount"], "2000.00");
        assert_eq!(
            (case["movement"]["from"].as_str(), case["movement"]["to"].as_str()),
            (Some("@alice"), Some("@bob"))
        );
        assert_eq!(case["movement"]["activity_id"], id);
        assert_eq!(case["evidence"]["inputs"]["threshold"], "2000.00");
        assert_eq!(case["approvals_needed"], 1);
        let case_id = case["id"].as_str().unwrap();
        let read = app.call(Method::GET, &format!("/api/v1/ops/cases/{case_id}"), Some(&cora), None).await;
        assert!(!read.body["case"]["evidence"]["recent_activity"].as_array().unwrap().is_empty());

        // A note is required.
        let bare = decide(&app, &cora, case_id, "approve", "  ").await;
        assert_eq!(
            (bare.status, bare.code(), bare.field()),
            (StatusCode::BAD_REQUEST, "invalid_request", Some("note"))
        );

        let approved = decide(&app, &cora, case_id, "approve", "Known customer, rent").await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        assert_eq!(approved.body["case"]["status"], "approved");
        assert_eq!(approved.body["case"]["approvals"][0]["operator"], "cora");
        let item = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&bob), None).await;
        assert_eq!(item.body["activity"]["status"], "completed", "{:?}", item.body);
        assert!(item.body["activity"].get("review").is_none());
        assert_eq!(available(&app, &bob).await, "2000.00");
        // Approving again answers the case as it is; rejecting it now is refused.
        let twice = decide(&app, &cora, case_id, "approve", "again").await;
        assert_eq!(twice.body["case"]["status"], "approved");
        let late = decide(&app, &cora, case_id, "reject", "too late").await;
        assert_eq!((late.status, late.code()), (StatusCode::BAD_REQUEST, "invalid_request"));
        assert!(open_cases(&app, &cora).await.is_empty());

        // The audit log: the case opened, then approved, chained.
        let log = app.call(Method::GET, "/api/v1/ops/audit-log", Some(&cora), None).await;
        let actions: Vec<&str> =
            log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["case.approved", "case.opened"], "{:?}", log.body);
        assert_eq!(log.body["chain"]["verified"], true);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_a_held_payment_gives_the_money_and_the_limit_back() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, _) = cast(&app, 500_000).await;
        let held = send(&app, &alice, "l", "bob", "2500.00").await;
        assert_eq!(held.body["transfer"]["status"], "pending", "{:?}", held.body);
        let case = open_cases(&app, &cora).await.remove(0);
        let rejected = decide(&app, &cora, case["id"].as_str().unwrap(), "reject", "Could not verify").await;
        assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
        assert_eq!(rejected.body["case"]["status"], "rejected");
        assert_eq!(rejected.body["case"]["rejection"]["note"], "Could not verify");
        assert_eq!(available(&app, &alice).await, "5000.00");
        assert_eq!(available(&app, &bob).await, "0.00");
        let id = held.body["transfer"]["id"].as_str().unwrap();
        let item = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&alice), None).await;
        assert_eq!(item.body["activity"]["status"], "canceled", "{:?}", item.body);
        // What did not move does not count against Alice's send limit.
        let compliance = app.call(Method::GET, "/api/v1/me/compliance", Some(&alice), None).await;
        let sends = compliance.body["limits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "send")
            .unwrap()
            .clone();
        assert_eq!(sends["used"], "0.00", "{compliance:?}");
        assert!(compliance.body["holds"].as_array().unwrap().is_empty());
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_third_near_threshold_movement_in_a_day_is_held_as_structuring() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob, cora, _) = cast(&app, 1_000_000).await;
        // Under the band does not count; two in the band pass.
        for (key, amount) in [("a", "1799.99"), ("b", "1800.00"), ("c", "1999.99")] {
            let sent = send(&app, &alice, key, "bob", amount).await;
            assert!(sent.body["transfer"].get("review").is_none(), "{key}: {:?}", sent.body);
        }
        let third = send(&app, &alice, "d", "bob", "1850.00").await;
        assert!(is_generic(&third.body["transfer"]["review"]), "{:?}", third.body);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "STRUCTURING");
        assert_eq!(case["evidence"]["inputs"]["near_threshold_last_24h"], "3");
        // A day later the count starts again.
        app.advance(24 * 3600 + 1);
        let later = send(&app, &alice, "e", "bob", "1850.00").await;
        assert!(later.body["transfer"].get("review").is_none(), "{:?}", later.body);
        // Cases under the report's threshold have no report.
        let report = app
            .call(
                Method::GET,
                &format!("/api/v1/ops/cases/{}/report", case["id"].as_str().unwrap()),
                Some(&cora),
                None,
            )
            .await;
        assert_eq!(report.status, StatusCode::NOT_FOUND);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenth_new_counterparty_within_an_hour_is_held() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob, cora, _) = cast(&app, 100_000).await;
        for n in 1..=10 {
            app.sign_up(&format!("friend{n}")).await;
        }
        // Paying bob twice counts him once.
        for key in ["b1", "b2"] {
            assert!(send(&app, &alice, key, "bob", "1.00").await.body["transfer"].get("review").is_none());
        }
        for n in 1..=8 {
            let sent = send(&app, &alice, &format!("f{n}"), &format!("friend{n}"), "5.00").await;
            assert!(sent.body["transfer"].get("review").is_none(), "friend{n}: {:?}", sent.body);
        }
        let tenth = send(&app, &alice, "f9", "friend9", "5.00").await;
        assert!(is_generic(&tenth.body["transfer"]["review"]), "{:?}", tenth.body);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "VELOCITY_NEW_COUNTERPARTIES");
        // An hour later, a new person is just one.
        app.advance(3601);
        let later = send(&app, &alice, "f10", "friend10", "5.00").await;
        assert!(later.body["transfer"].get("review").is_none(), "{:?}", later.body);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_most_of_what_just_came_in_is_held_as_pass_through_and_rejecting_it_gives_it_back() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, _) = cast(&app, 500_000).await;
        // Alice's first payment to Bob arrives when its grace window ends.
        let paid = send(&app, &alice, "in", "bob", "1000.00").await;
        assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
        app.advance(11 * 60);
        purse_server::flows::payments::post_due(&app.state).await.unwrap();
        assert_eq!(available(&app, &bob).await, "1000.00");
        let bank = link_bank(&app, &bob, "000123456789").await;
        // 800.00 of 1,000.00 passes…
        let small = withdraw(&app, &bob, "w1", &bank, "800.00", "standard").await;
        assert_eq!(small.status, StatusCode::CREATED, "{:?}", small.body);
        assert!(small.body["withdrawal"].get("review").is_none(), "{:?}", small.body);
        // …and the withdrawal that takes it to 90 % is held.
        let held = withdraw(&app, &bob, "w2", &bank, "100.00", "standard").await;
        assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);
        assert_eq!(held.body["withdrawal"]["status"], "pending");
        assert!(is_generic(&held.body["withdrawal"]["review"]), "{:?}", held.body);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "PASS_THROUGH");
        assert_eq!(case["evidence"]["inputs"]["received_last_24h"], "1000.00");
        assert_eq!(case["movement"]["to"].as_str().map(|to| to.contains("6789")), Some(true), "{case:?}");
        // Held: nothing is sent to the bank, whatever time passes.
        app.advance(3 * 24 * 3600);
        purse_server::flows::funding::settle_due(&app.state).await.unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM sandbox_bank_payouts").await,
            1,
            "only the first reached the bank"
        );
        let rejected = decide(&app, &cora, case["id"].as_str().unwrap(), "reject", "Mule pattern").await;
        assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
        assert_eq!(available(&app, &bob).await, "200.00");
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_held_withdrawal_goes_to_the_bank() {
    for db in TestDb::every_backend().await {
        let settings = purse_server::flows::Settings {
            monitoring: purse_api::ops::Thresholds { large_minor: 10_000, ..Default::default() },
            ..Default::default()
        };
        let app = TestApp::with_settings(&db, db.dir.path(), settings).await;
        let (alice, _bob, cora, _) = cast(&app, 50_000).await;
        let bank = link_bank(&app, &alice, "000123456789").await;
        let held = withdraw(&app, &alice, "w", &bank, "150.00", "standard").await;
        assert!(is_generic(&held.body["withdrawal"]["review"]), "{:?}", held.body);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_bank_payouts").await, 0);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "LARGE_TRANSFER");
        let approved = decide(&app, &cora, case["id"].as_str().unwrap(), "approve", "Fine").await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_bank_payouts").await, 1);
        app.advance(2 * 24 * 3600);
        purse_server::flows::funding::settle_due(&app.state).await.unwrap();
        assert_eq!(available(&app, &alice).await, "350.00");
        let wallet = app.call(Method::GET, "/api/v1/wallet", Some(&alice), None).await;
        assert_eq!(wallet.body["balances"][0]["pending_out"], "0.00", "{:?}", wallet.body);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_needs_two_different_officers() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, kemal) = cast(&app, 2_000_000).await;
        let held = send(&app, &alice, "big", "bob", "10000.00").await;
        assert_eq!(held.body["transfer"]["status"], "pending", "{:?}", held.body);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["approvals_needed"], 2);
        let id = case["id"].as_str().unwrap();
        let first = decide(&app, &cora, id, "approve", "Looks fine").await;
        assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
        assert_eq!(first.body["case"]["status"], "open");
        assert_eq!(available(&app, &bob).await, "0.00", "one approval moves nothing");
        let same = decide(&app, &cora, id, "approve", "Still fine").await;
        assert_eq!((same.status, same.code()), (StatusCode::CONFLICT, "second_approver_required"));
        let second = decide(&app, &kemal, id, "approve", "Agreed").await;
        assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
        assert_eq!(second.body["case"]["status"], "approved");
        let operators: Vec<&str> = second.body["case"]["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["operator"].as_str().unwrap())
            .collect();
        assert_eq!(operators, ["cora", "kemal"]);
        assert_eq!(available(&app, &bob).await, "10000.00");

        // The report: the subject, the movement, both notes.
        let report =
            app.call(Method::GET, &format!("/api/v1/ops/cases/{id}/report"), Some(&cora), None).await;
        assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
        let report = &report.body["report"];
        assert_eq!(report["subject"]["handle"], "alice");
        assert_eq!(report["total_amount"], "10000.00");
        assert_eq!(report["movements"][0]["amount"], "10000.00");
        assert_eq!(report["notes"].as_array().unwrap().len(), 2);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_person_moves_nothing_and_receives_nothing_until_unfrozen() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, _) = cast(&app, 100_000).await;
        app.fund(2, "bob", 10_000, "Top-up").await;
        let bank = link_bank(&app, &bob, "000123456789").await;
        let frozen = app
            .call(
                Method::POST,
                "/api/v1/ops/people/bob/freeze",
                Some(&cora),
                Some(json!({"note": "Court order"})),
            )
            .await;
        assert_eq!(frozen.body, json!({"person": {"handle": "bob", "status": "frozen"}}));
        let sent = send(&app, &bob, "s", "alice", "1.00").await;
        assert_eq!((sent.status, sent.code()), (StatusCode::FORBIDDEN, "account_frozen"));
        let out = withdraw(&app, &bob, "w", &bank, "10.00", "standard").await;
        assert_eq!((out.status, out.code()), (StatusCode::FORBIDDEN, "account_frozen"));
        let to_bob = send(&app, &alice, "t", "bob", "1.00").await;
        assert_eq!(
            (to_bob.status, to_bob.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "recipient_unavailable")
        );
        let page = app.call(Method::GET, "/api/v1/ops/people/bob", Some(&cora), None).await;
        assert_eq!(page.body["person"]["status"], "frozen");

        let unfrozen = app
            .call(
                Method::POST,
                "/api/v1/ops/people/bob/unfreeze",
                Some(&cora),
                Some(json!({"note": "Order lifted"})),
            )
            .await;
        assert_eq!(unfrozen.body, json!({"person": {"handle": "bob", "status": "active"}}));
        assert_eq!(send(&app, &bob, "s2", "alice", "1.00").await.status, StatusCode::CREATED);
        let log = app.call(Method::GET, "/api/v1/ops/audit-log", Some(&cora), None).await;
        let entries = log.body["items"].as_array().unwrap();
        assert_eq!(entries[0]["action"], "person.unfrozen");
        assert_eq!(entries[1]["action"], "person.frozen");
        assert_eq!(
            (entries[1]["actor"].as_str(), entries[1]["subject"].as_str()),
            (Some("cora"), Some("person:@bob"))
        );
        assert_eq!(entries[1]["note"], "Court order");
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ops_endpoint_refuses_everyone_but_an_officer() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let (alice, _bob, cora, _) = cast(&app, 500_000).await;
    send(&app, &alice, "l", "bob", "2000.00").await;
    let case = open_cases(&app, &cora).await.remove(0);
    let id = case["id"].as_str().unwrap().to_string();
    let note = Some(json!({"note": "x"}));
    let endpoints: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/ops/cases".into(), None),
        (Method::GET, format!("/api/v1/ops/cases/{id}"), None),
        (Method::POST, format!("/api/v1/ops/cases/{id}/approve"), note.clone()),
        (Method::POST, format!("/api/v1/ops/cases/{id}/reject"), note.clone()),
        (Method::GET, format!("/api/v1/ops/cases/{id}/report"), None),
        (Method::GET, "/api/v1/ops/people/bob".into(), None),
        (Method::POST, "/api/v1/ops/people/bob/freeze".into(), note.clone()),
        (Method::POST, "/api/v1/ops/people/bob/unfreeze".into(), note.clone()),
        (Method::GET, "/api/v1/ops/audit-log".into(), None),
    ];
    for (method, path, body) in &endpoints {
        let member = app.call(method.clone(), path, Some(&alice), body.clone()).await;
        assert_eq!((member.status, member.code()), (StatusCode::FORBIDDEN, "forbidden"), "{method} {path}");
        let nobody = app.call(method.clone(), path, None, body.clone()).await;
        assert_eq!(nobody.status, StatusCode::UNAUTHORIZED, "{method} {path}: {:?}", nobody.body);
    }
    // Nothing was decided or frozen by them.
    assert_eq!(open_cases(&app, &cora).await.len(), 1);
    assert_eq!(app.user("bob").await.status, purse_api::compliance::AccountStatus::Active);
    // An officer's session says so.
    let me = app.call(Method::GET, "/api/v1/me", Some(&cora), None).await;
    assert!(me.body["user"]["roles"].as_array().unwrap().contains(&json!("compliance")), "{:?}", me.body);
    let me = app.call(Method::GET, "/api/v1/me", Some(&alice), None).await;
    assert!(!me.body["user"]["roles"].as_array().unwrap().contains(&json!("compliance")));
    app.stop().await;
}

/// A sanctions list in a folder of its own (`sdn.csv` only), the given entries.
fn list_with(dir: &std::path::Path, entries: &[&str]) -> std::path::PathBuf {
    let path = dir.join("sdn.csv");
    let rows: Vec<String> = entries
        .iter()
        .enumerate()
        .map(|(n, name)| {
            format!("{},\"{name}\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ", 9000 + n)
        })
        .collect();
    std::fs::write(&path, rows.join("\n") + "\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_to_a_listed_name_is_held_and_a_new_list_version_screens_again() {
    for db in TestDb::every_backend().await {
        let lists = tempfile::tempdir().unwrap();
        let path = list_with(lists.path(), &["KARIMOV, Darius"]);
        let list = Arc::new(
            SanctionsList::open(&path, 0.90).unwrap().with_recheck_interval(std::time::Duration::ZERO),
        );
        let TestApp { ledger, state, clock } = TestApp::new(&db, db.dir.path()).await;
        let app = TestApp { ledger, state: state.with_screening(list.clone()), clock };
        let (alice, _bob, cora, _) = cast(&app, 100_000).await;
        person(&app, "dkarimov", 1).await;
        execute(&app, "UPDATE users SET display_name = 'Darius Karimov' WHERE handle = 'dkarimov'").await;
        person(&app, "trashid", 1).await;
        execute(&app, "UPDATE users SET display_name = 'Tariq Al-Rashid' WHERE handle = 'trashid'").await;

        let held = send(&app, &alice, "k1", "dkarimov", "5.00").await;
        assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);
        assert!(is_generic(&held.body["transfer"]["review"]), "{:?}", held.body);
        assert!(!String::from_utf8_lossy(&held.raw).to_lowercase().contains("sanction"), "{:?}", held.body);
        assert_eq!(app.user("dkarimov").await.status, purse_api::compliance::AccountStatus::UnderReview);
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "SANCTIONS_MATCH");
        assert_eq!(case["person"]["handle"], "dkarimov");
        assert_eq!(case["evidence"]["sanctions"]["entry"], "KARIMOV, Darius");
        // Not on this version of the list: paid at once, screened once.
        let clear = send(&app, &alice, "r1", "trashid", "5.00").await;
        assert!(clear.body["transfer"].get("review").is_none(), "{:?}", clear.body);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM screenings WHERE name = 'Tariq Al-Rashid'").await, 1);

        // A new version of the list names them: the next payment screens again, and holds.
        list_with(lists.path(), &["KARIMOV, Darius", "AL-RASHID, Tariq"]);
        assert!(list.reload().unwrap());
        let now_held = send(&app, &alice, "r2", "trashid", "5.00").await;
        assert!(is_generic(&now_held.body["transfer"]["review"]), "{:?}", now_held.body);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM screenings WHERE name = 'Tariq Al-Rashid'").await, 2);

        // Approving the first (a false match) clears dk: the next payment passes.
        let approved = decide(&app, &cora, case["id"].as_str().unwrap(), "approve", "Different person").await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        assert_eq!(app.user("dkarimov").await.status, purse_api::compliance::AccountStatus::Active);
        let after = send(&app, &alice, "k2", "dkarimov", "5.00").await;
        assert!(after.body["transfer"].get("review").is_none(), "{:?}", after.body);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_paid_request_is_held_and_rejecting_it_opens_the_request_again() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, cora, _) = cast(&app, 500_000).await;
        let asked = app
            .call_with(
                Method::POST,
                "/api/v1/requests",
                Some(&bob),
                Some(json!({"from": "alice", "amount": "2500.00", "currency": "USD"})),
                &[("idempotency-key", "ask")],
            )
            .await;
        assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
        let request = asked.body["request"]["id"].as_str().unwrap().to_string();
        let paid = app
            .call_with(
                Method::POST,
                &format!("/api/v1/requests/{request}/pay"),
                Some(&alice),
                Some(json!({"pin": "1234"})),
                &[("idempotency-key", "pay")],
            )
            .await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
        assert_eq!(paid.body["transfer"]["status"], "pending");
        assert!(is_generic(&paid.body["transfer"]["review"]), "{:?}", paid.body);
        assert_eq!(available(&app, &bob).await, "0.00");
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "LARGE_TRANSFER");
        let rejected = decide(&app, &cora, case["id"].as_str().unwrap(), "reject", "No").await;
        assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
        assert_eq!(available(&app, &alice).await, "5000.00");
        let incoming = app.call(Method::GET, "/api/v1/requests?direction=incoming", Some(&alice), None).await;
        let listed = incoming.body["items"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "{:?}", incoming.body);
        assert_eq!(listed[0]["status"], "open");
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_tip_is_held_and_approving_it_takes_its_fee_with_it() {
    for db in TestDb::every_backend().await {
        let settings = purse_server::flows::Settings { tip_fee_bps: 500, ..Default::default() };
        let app = TestApp::with_settings(&db, db.dir.path(), settings).await;
        let (alice, _bob, cora, _) = cast(&app, 500_000).await;
        let lina = person(&app, "lina", 1).await;
        let on =
            app.call(Method::PUT, "/api/v1/me/creator", Some(&lina), Some(json!({"enabled": true}))).await;
        assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
        let body = json!({"creator": "lina", "amount": "2000.00", "currency": "USD", "pin": "1234"});
        let tipped = app
            .call_with(Method::POST, "/api/v1/tips", Some(&alice), Some(body), &[("idempotency-key", "t")])
            .await;
        assert_eq!(tipped.status, StatusCode::CREATED, "{:?}", tipped.body);
        assert!(is_generic(&tipped.body["tip"]["review"]), "{:?}", tipped.body);
        assert_eq!(available(&app, &alice).await, "3000.00");
        assert_eq!(available(&app, &lina).await, "0.00");
        let dashboard = app.call(Method::GET, "/api/v1/me/tips?direction=received", Some(&lina), None).await;
        assert_eq!(dashboard.body["total_received"], "0.00", "a held tip is not received yet");
        let case = open_cases(&app, &cora).await.remove(0);
        assert_eq!(case["reason_code"], "LARGE_TRANSFER");
        let approved = decide(&app, &cora, case["id"].as_str().unwrap(), "approve", "A fan").await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        // 5 % of 2,000.00 goes to the platform with the tip.
        assert_eq!(available(&app, &lina).await, "1900.00");
        let fees = app.ledger.lookup_account(purse_server::codes::PLATFORM_FEES).await.unwrap().unwrap();
        assert_eq!(fees.balances.posted_credit_balance(), 10_000);
        audits_clean(&app, &db.backend).await;
        app.stop().await;
    }
}
