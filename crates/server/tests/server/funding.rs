//! Money in and out: the sandbox card network and bank, linking cards and bank accounts,
//! deposits, standard and instant withdrawals, quotes, daily caps, and the settlement job
//! (run twice, and stopped halfway then run again). The ledger audit is clean after each test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{Method, StatusCode};
use purse_api::compliance::LimitTable;
use purse_ledger::TransferId;
use purse_rails::sandbox::{SandboxBank, SandboxCards};
use purse_rails::{
    BankOnFile, BankRail, CardOnFile, CardOutcome, CardRail, PayoutStatus, RailError, RailResult,
};
use purse_server::flows::Settings;
use purse_server::flows::funding;
use purse_server::ids::{OperationId, Slot, ledger_id};
use purse_server::store::Db;
use serde_json::{Value, json};

use crate::support::*;

pub(crate) const VISA: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const NO_FUNDS: &str = "4000000000009995";
const MASTERCARD: &str = "5555555555554444";

async fn execute(app: &TestApp, sql: &str) {
    match &app.state.db {
        Db::Sqlite(pool, _) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        Db::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
    }
}

async fn assert_audit_clean(app: &TestApp) {
    let report = app.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

async fn tokenize(app: &TestApp, body: Value) -> Answer {
    app.call(Method::POST, "/sandbox/card-network/tokens", None, Some(body)).await
}

fn card(number: &str) -> Value {
    json!({"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"})
}

/// Links `number` for the person and answers the card's id.
pub(crate) async fn link(app: &TestApp, cookie: &str, number: &str) -> String {
    let token = tokenize(app, card(number)).await;
    assert_eq!(token.status, StatusCode::CREATED, "{:?}", token.body);
    let linked = app
        .call(Method::POST, "/api/v1/cards", Some(cookie), Some(json!({"token": token.body["token"]})))
        .await;
    assert_eq!(linked.status, StatusCode::CREATED, "{:?}", linked.body);
    linked.body["card"]["id"].as_str().unwrap().to_string()
}

pub(crate) async fn link_bank(app: &TestApp, cookie: &str, account: &str) -> String {
    let body = json!({"routing_number": "110000000", "account_number": account, "holder_name": "Alice Doe"});
    let linked = app.call(Method::POST, "/api/v1/bank-accounts", Some(cookie), Some(body)).await;
    assert_eq!(linked.status, StatusCode::CREATED, "{:?}", linked.body);
    linked.body["bank_account"]["id"].as_str().unwrap().to_string()
}

async fn deposit(app: &TestApp, cookie: &str, key: &str, card_id: &str, amount: &str) -> Answer {
    let body = json!({"card_id": card_id, "amount": amount, "currency": "USD"});
    app.call_with(Method::POST, "/api/v1/deposits", Some(cookie), Some(body), &[("idempotency-key", key)])
        .await
}

pub(crate) async fn withdraw(
    app: &TestApp,
    cookie: &str,
    key: &str,
    to: &str,
    amount: &str,
    speed: &str,
) -> Answer {
    let body =
        json!({"destination_id": to, "amount": amount, "currency": "USD", "speed": speed, "pin": "1234"});
    app.call_with(Method::POST, "/api/v1/withdrawals", Some(cookie), Some(body), &[("idempotency-key", key)])
        .await
}

/// A person with a PIN and a linked Visa.
async fn person(app: &TestApp, handle: &str) -> (String, String) {
    let cookie = app.sign_up(handle).await;
    set_pin(app, &cookie).await;
    let visa = link(app, &cookie, VISA).await;
    (cookie, visa)
}

async fn activity(app: &TestApp, cookie: &str) -> Vec<Value> {
    let page = app.call(Method::GET, "/api/v1/activity", Some(cookie), None).await;
    page.body["items"].as_array().cloned().unwrap_or_default()
}

fn settings() -> Settings {
    Settings { bank_settle_s: 60, ..Settings::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_card_network_tokenizes_test_cards_and_refuses_bad_ones() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        for (number, brand, last4) in
            [(VISA, "visa", "4242"), (MASTERCARD, "mastercard", "4444"), (DECLINED, "visa", "0002")]
        {
            let token = tokenize(&app, card(number)).await;
            assert_eq!(token.status, StatusCode::CREATED, "{:?}", token.body);
            assert_eq!(
                (token.body["brand"].as_str(), token.body["last4"].as_str(), token.body["exp_year"].as_u64()),
                (Some(brand), Some(last4), Some(2030))
            );
            assert!(token.body["token"].as_str().is_some_and(|t| t.starts_with("tok_")));
        }
        // 2027-01 is the clock's month: still good; 2026-12 is over.
        let bad = [
            (
                json!({"number": "4242424242424241", "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_card_number",
                "number",
            ),
            (
                json!({"number": "4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_card_number",
                "number",
            ),
            (
                json!({"number": 4_242_424_242_424_242u64, "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_card_number",
                "number",
            ),
            (
                json!({"number": "9999999999999995", "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_card_number",
                "number",
            ),
            (
                json!({"number": VISA, "exp_month": 12, "exp_year": 2026, "cvc": "123"}),
                422,
                "card_expired",
                "exp_month",
            ),
            (
                json!({"number": VISA, "exp_month": 13, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_request",
                "exp_month",
            ),
            (json!({"number": VISA, "exp_year": 2030, "cvc": "123"}), 400, "invalid_request", "exp_month"),
            (
                json!({"number": VISA, "exp_month": 12, "exp_year": 1999, "cvc": "123"}),
                400,
                "invalid_request",
                "exp_year",
            ),
            (
                json!({"number": VISA, "exp_month": 12, "exp_year": 2030, "cvc": "12"}),
                400,
                "invalid_request",
                "cvc",
            ),
            (
                json!({"number": VISA, "exp_month": 12, "exp_year": 2030, "cvc": "12a"}),
                400,
                "invalid_request",
                "cvc",
            ),
            (
                json!({"number": "378282246310005", "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
                400,
                "invalid_request",
                "cvc",
            ),
            (
                json!({"number": VISA, "exp_month": 12, "exp_year": 2030, "cvc": "123", "name": "x"}),
                400,
                "invalid_request",
                "name",
            ),
        ];
        for (body, status, code, field) in bad {
            let answer = tokenize(&app, body.clone()).await;
            assert_eq!(
                (answer.status.as_u16(), answer.code(), answer.field()),
                (status, code, Some(field)),
                "{body}"
            );
            assert!(!String::from_utf8_lossy(&answer.raw).contains("4242424242"), "{:?}", answer.body);
        }
        assert_eq!(tokenize(&app, card("4242424242424242")).await.status, StatusCode::CREATED);
        let good =
            tokenize(&app, json!({"number": VISA, "exp_month": 1, "exp_year": 27, "cvc": "123"})).await;
        assert_eq!(good.body["exp_year"], json!(2027));
        // Three Visa tokens ending 4242; what the network keeps of them is the last four (the
        // number itself is looked for in the database files by the command-line test).
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_card_tokens WHERE last4 = '4242'").await, 3);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_move_money_for_good_cards_and_record_declines() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, visa) = person(&app, "alice").await;
        let listed = app.call(Method::GET, "/api/v1/cards", Some(&alice), None).await;
        assert_eq!(
            listed.body,
            json!({"items": [{"id": visa, "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}]})
        );

        let added = deposit(&app, &alice, "d1", &visa, "50.00").await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
        assert_eq!(added.body["deposit"]["status"], "completed");
        assert_eq!(added.body["deposit"]["amount"], "50.00");
        assert!(added.body["deposit"].get("failure_code").is_none());
        assert_eq!(available(&app, &alice).await, "50.00");
        // The same key again: the same answer, no second charge.
        let again = deposit(&app, &alice, "d1", &visa, "50.00").await;
        assert_eq!((again.status, &again.raw), (StatusCode::CREATED, &added.raw));
        assert_eq!(available(&app, &alice).await, "50.00");
        let other_body = deposit(&app, &alice, "d1", &visa, "51.00").await;
        assert_eq!(other_body.code(), "idempotency_key_mismatch");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_card_movements").await, 1);

        for (number, key) in [(DECLINED, "d2"), (NO_FUNDS, "d3")] {
            let card_id = link(&app, &alice, number).await;
            let refused = deposit(&app, &alice, key, &card_id, "20.00").await;
            assert_eq!(refused.status, StatusCode::CREATED, "{:?}", refused.body);
            assert_eq!(
                (&refused.body["deposit"]["status"], &refused.body["deposit"]["failure_code"]),
                (&json!("failed"), &json!("card_declined"))
            );
            assert_eq!(available(&app, &alice).await, "50.00", "a decline moves nothing");
        }
        let master = link(&app, &alice, MASTERCARD).await;
        assert_eq!(deposit(&app, &alice, "d4", &master, "5.00").await.body["deposit"]["status"], "completed");
        assert_eq!(available(&app, &alice).await, "55.00");

        // A card that expires this month works until the month is over.
        let token =
            tokenize(&app, json!({"number": VISA, "exp_month": 1, "exp_year": 2027, "cvc": "123"})).await;
        let expiring = app
            .call(Method::POST, "/api/v1/cards", Some(&alice), Some(json!({"token": token.body["token"]})))
            .await;
        let expiring = expiring.body["card"]["id"].as_str().unwrap().to_string();
        // 2027-02-01.
        app.advance(17 * 24 * 3600);
        let expired = deposit(&app, &alice, "d5", &expiring, "5.00").await;
        assert_eq!(expired.body["deposit"]["failure_code"], "card_expired");
        // A token links once.
        let reused = app
            .call(Method::POST, "/api/v1/cards", Some(&alice), Some(json!({"token": token.body["token"]})))
            .await;
        assert_eq!((reused.status, reused.field()), (StatusCode::BAD_REQUEST, Some("token")));

        // The activity says where the money came from.
        let items = activity(&app, &alice).await;
        let deposits: Vec<_> = items.iter().filter(|item| item["kind"] == "deposit").collect();
        assert_eq!(deposits.len(), 2, "{items:?}");
        assert_eq!(deposits[1]["note"], "From Visa •••• 4242");

        // Bad inputs.
        let bad_amount = deposit(&app, &alice, "d6", &visa, "0").await;
        assert_eq!((bad_amount.code(), bad_amount.field()), ("invalid_amount", Some("amount")));
        let no_key = app
            .call(
                Method::POST,
                "/api/v1/deposits",
                Some(&alice),
                Some(json!({"card_id": visa, "amount": "1.00", "currency": "USD"})),
            )
            .await;
        assert_eq!(no_key.code(), "idempotency_key_required");
        let unknown = deposit(&app, &alice, "d7", "card_nonsense", "1.00").await;
        assert_eq!((unknown.status, unknown.field()), (StatusCode::NOT_FOUND, Some("card_id")));
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_accounts_are_checked_kept_as_last_four_and_removable() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bad = [
            (
                json!({"routing_number": "110000001", "account_number": "000123456789", "holder_name": "A"}),
                "invalid_routing_number",
                "routing_number",
            ),
            (
                json!({"routing_number": "11000000", "account_number": "000123456789", "holder_name": "A"}),
                "invalid_routing_number",
                "routing_number",
            ),
            (
                json!({"routing_number": "11000000a", "account_number": "000123456789", "holder_name": "A"}),
                "invalid_routing_number",
                "routing_number",
            ),
            (
                json!({"routing_number": "110000000", "account_number": "123", "holder_name": "A"}),
                "invalid_request",
                "account_number",
            ),
            (
                json!({"routing_number": "110000000", "account_number": "1234-5678", "holder_name": "A"}),
                "invalid_request",
                "account_number",
            ),
            (
                json!({"routing_number": "110000000", "account_number": "000123456789", "holder_name": "  "}),
                "invalid_request",
                "holder_name",
            ),
            (
                json!({"routing_number": "110000000", "account_number": "000123456789"}),
                "invalid_request",
                "holder_name",
            ),
        ];
        for (body, code, field) in bad {
            let answer =
                app.call(Method::POST, "/api/v1/bank-accounts", Some(&alice), Some(body.clone())).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, code, Some(field)),
                "{body}"
            );
        }
        let id = link_bank(&app, &alice, "000123456789").await;
        let listed = app.call(Method::GET, "/api/v1/bank-accounts", Some(&alice), None).await;
        assert_eq!(listed.body, json!({"items": [{"id": id, "bank_name": "Sandbox Bank", "last4": "6789"}]}));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_bank_accounts WHERE last4 = '6789'").await, 1);
        let removed =
            app.call(Method::DELETE, &format!("/api/v1/bank-accounts/{id}"), Some(&alice), None).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        let listed = app.call(Method::GET, "/api/v1/bank-accounts", Some(&alice), None).await;
        assert_eq!(listed.body, json!({"items": []}));
        let twice =
            app.call(Method::DELETE, &format!("/api/v1/bank-accounts/{id}"), Some(&alice), None).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_uses_or_removes_another_persons_cards_and_bank_accounts() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let (alice, alice_card) = person(&app, "alice").await;
        let alice_bank = link_bank(&app, &alice, "000123456789").await;
        let (mallory, mallory_card) = person(&app, "mallory").await;
        assert_eq!(deposit(&app, &mallory, "m0", &mallory_card, "30.00").await.status, StatusCode::CREATED);
        assert_eq!(deposit(&app, &alice, "a0", &alice_card, "30.00").await.status, StatusCode::CREATED);

        let used = deposit(&app, &mallory, "m1", &alice_card, "10.00").await;
        assert_eq!((used.status, used.field()), (StatusCode::NOT_FOUND, Some("card_id")));
        for (to, speed) in [(&alice_card, "instant"), (&alice_bank, "standard")] {
            let taken = withdraw(&app, &mallory, &format!("m-{speed}"), to, "10.00", speed).await;
            assert_eq!(
                (taken.status, taken.field()),
                (StatusCode::NOT_FOUND, Some("destination_id")),
                "{speed}"
            );
        }
        for path in [format!("/api/v1/cards/{alice_card}"), format!("/api/v1/bank-accounts/{alice_bank}")] {
            let removed = app.call(Method::DELETE, &path, Some(&mallory), None).await;
            assert_eq!(removed.status, StatusCode::NOT_FOUND, "{path}");
        }
        let listed = app.call(Method::GET, "/api/v1/cards", Some(&mallory), None).await;
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(available(&app, &alice).await, "30.00");
        assert_eq!(available(&app, &mallory).await, "30.00");
        // Alice's card is still hers.
        assert_eq!(deposit(&app, &alice, "a1", &alice_card, "1.00").await.status, StatusCode::CREATED);
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_are_the_fee_the_server_charges() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let alice = app.sign_up("alice").await;
        for (amount, fee, total) in [
            ("20.00", "0.35", "20.35"),
            ("10.00", "0.25", "10.25"),
            ("30.00", "0.53", "30.53"),
            ("2000.00", "25.00", "2025.00"),
        ] {
            let quote = app
                .call(
                    Method::GET,
                    &format!("/api/v1/quotes/withdrawal?amount={amount}&currency=USD&speed=instant"),
                    Some(&alice),
                    None,
                )
                .await;
            assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
            assert_eq!(
                (&quote.body["amount"], &quote.body["fee"], &quote.body["total"]),
                (&json!(amount), &json!(fee), &json!(total))
            );
            assert_eq!(quote.body["arrives_by"], "2027-01-15T08:00:00Z");
        }
        let standard = app
            .call(
                Method::GET,
                "/api/v1/quotes/withdrawal?amount=20.00&currency=USD&speed=standard",
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(
            standard.body,
            json!({"amount": "20.00", "fee": "0.00", "total": "20.00", "arrives_by": "2027-01-15T08:01:00Z"})
        );
        for (query, code, field) in [
            ("amount=abc&currency=USD&speed=instant", "invalid_amount", "amount"),
            ("amount=20.00&currency=XXX&speed=instant", "invalid_currency", "currency"),
            ("amount=20.00&currency=USD&speed=fast", "invalid_request", "speed"),
            ("amount=20.00&currency=USD&speed=instant&extra=1", "invalid_request", "extra"),
        ] {
            let answer = app
                .call(Method::GET, &format!("/api/v1/quotes/withdrawal?{query}"), Some(&alice), None)
                .await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, code, Some(field)),
                "{query}"
            );
        }
        let signed_out = app
            .call(Method::GET, "/api/v1/quotes/withdrawal?amount=1.00&currency=USD&speed=instant", None, None)
            .await;
        assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instant_withdrawal_posts_the_payout_and_its_fee_together() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let (alice, visa) = person(&app, "alice").await;
        deposit(&app, &alice, "d1", &visa, "50.00").await;

        let body = json!({"destination_id": visa, "amount": "20.00", "currency": "USD", "speed": "instant"});
        let no_pin = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(body.clone()),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(no_pin.code(), "pin_required");
        let mut wrong = body.clone();
        wrong["pin"] = json!("9999");
        let wrong = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(wrong),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(wrong.code(), "pin_incorrect");

        let made = withdraw(&app, &alice, "w1", &visa, "20.00", "instant").await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        let withdrawal = &made.body["withdrawal"];
        assert_eq!(
            (&withdrawal["status"], &withdrawal["amount"], &withdrawal["fee"], &withdrawal["arrives_by"]),
            (&json!("completed"), &json!("20.00"), &json!("0.35"), &json!("2027-01-15T08:00:00Z"))
        );
        assert_eq!(available(&app, &alice).await, "29.65");
        // A replay (no PIN asked again) answers the same and moves nothing.
        let replay = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(body.clone()),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(replay.raw, made.raw);
        assert_eq!(available(&app, &alice).await, "29.65");

        let items = activity(&app, &alice).await;
        let out: Vec<(String, String, String)> = items
            .iter()
            .filter(|item| item["kind"] != "deposit")
            .map(|item| {
                (
                    item["kind"].as_str().unwrap().into(),
                    item["amount"].as_str().unwrap().into(),
                    item["status"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            out,
            [
                ("fee".to_string(), "0.35".to_string(), "completed".to_string()),
                ("withdrawal".into(), "20.00".into(), "completed".into())
            ]
        );
        let fees = app.ledger.lookup_account(purse_server::codes::PLATFORM_FEES).await.unwrap().unwrap();
        assert_eq!(fees.balances.credits_posted, 35);

        // Declined by the card's bank: both holds voided, the money back, the activity says failed.
        let declined = link(&app, &alice, DECLINED).await;
        let refused = withdraw(&app, &alice, "w2", &declined, "10.00", "instant").await;
        assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "card_declined"));
        assert_eq!(available(&app, &alice).await, "29.65");
        let failed = activity(&app, &alice).await;
        assert_eq!(failed[0]["status"], "failed", "{:?}", failed[0]);
        assert_eq!(withdraw(&app, &alice, "w2", &declined, "10.00", "instant").await.raw, refused.raw);

        // More than the wallet holds (with the fee): nothing moves.
        let short = withdraw(&app, &alice, "w3", &visa, "29.50", "instant").await;
        assert_eq!(short.code(), "insufficient_funds");
        assert_eq!(available(&app, &alice).await, "29.65");
        // A bank account is no card.
        let bank = link_bank(&app, &alice, "000123456789").await;
        let wrong_kind = withdraw(&app, &alice, "w4", &bank, "1.00", "instant").await;
        assert_eq!((wrong_kind.code(), wrong_kind.field()), ("invalid_request", Some("destination_id")));
        let wrong_kind = withdraw(&app, &alice, "w5", &visa, "1.00", "standard").await;
        assert_eq!((wrong_kind.code(), wrong_kind.field()), ("invalid_request", Some("destination_id")));
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_withdrawal_is_held_then_settles_or_comes_back() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let (alice, visa) = person(&app, "alice").await;
        deposit(&app, &alice, "d1", &visa, "100.00").await;
        let good = link_bank(&app, &alice, "000123456789").await;
        let returns = link_bank(&app, &alice, "000111110002").await;

        let sent = withdraw(&app, &alice, "w1", &good, "20.00", "standard").await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
        assert_eq!(
            (
                &sent.body["withdrawal"]["status"],
                &sent.body["withdrawal"]["fee"],
                &sent.body["withdrawal"]["arrives_by"]
            ),
            (&json!("pending"), &json!("0.00"), &json!("2027-01-15T08:01:00Z"))
        );
        let back = withdraw(&app, &alice, "w2", &returns, "30.00", "standard").await;
        assert_eq!(back.body["withdrawal"]["status"], "pending");
        let wallet = balance(&app, &alice).await;
        assert_eq!(
            (&wallet["available"], &wallet["pending_out"]),
            (&json!("50.00"), &json!("50.00")),
            "{wallet}"
        );
        let pending: Vec<_> =
            activity(&app, &alice).await.into_iter().filter(|i| i["kind"] == "withdrawal").collect();
        assert!(pending.iter().all(|item| item["status"] == "pending"), "{pending:?}");

        // Not due yet: nothing settles.
        assert_eq!(funding::settle_due(&app.state).await.unwrap(), 0);
        app.advance(60);
        assert_eq!(funding::settle_due(&app.state).await.unwrap(), 2);
        assert_eq!(funding::settle_due(&app.state).await.unwrap(), 0);
        let wallet = balance(&app, &alice).await;
        assert_eq!(
            (&wallet["available"], &wallet["pending_out"]),
            (&json!("80.00"), &json!("0.00")),
            "{wallet}"
        );
        let statuses: Vec<_> = activity(&app, &alice)
            .await
            .into_iter()
            .filter(|i| i["kind"] == "withdrawal")
            .map(|i| (i["amount"].as_str().unwrap().to_string(), i["status"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            statuses,
            [("30.00".to_string(), "returned".to_string()), ("20.00".into(), "completed".into())]
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM withdrawals WHERE status = 'returned'").await, 1);
        // What came back no longer counts against the withdraw limit.
        let used =
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM limit_uses WHERE kind = 'withdraw'";
        assert_eq!(count(&app, used).await, 2_000);
        let bank_clearing =
            app.ledger.lookup_account(purse_server::codes::BANK_CLEARING).await.unwrap().unwrap();
        assert_eq!(
            (bank_clearing.balances.credits_posted, bank_clearing.balances.credits_pending),
            (2_000, 0)
        );
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settlement_job_run_twice_or_stopped_halfway_pays_once() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let second = TestApp::with_clock(&db, db.dir.path(), app.clock.clone()).await;
        let second_state = second.state.clone().with_settings(settings());
        let (alice, visa) = person(&app, "alice").await;
        deposit(&app, &alice, "d1", &visa, "100.00").await;
        let bank = link_bank(&app, &alice, "000123456789").await;
        let returns = link_bank(&app, &alice, "000111110002").await;
        for key in ["w1", "w2", "w3"] {
            assert_eq!(
                withdraw(&app, &alice, key, &bank, "10.00", "standard").await.status,
                StatusCode::CREATED
            );
        }
        let back = withdraw(&app, &alice, "w4", &returns, "25.00", "standard").await;
        assert_eq!(back.status, StatusCode::CREATED);
        app.advance(61);
        // Two instances' jobs at once: each withdrawal settles or comes back once, and what came
        // back is given back to the withdraw limit once.
        let (a, b) = tokio::join!(funding::settle_due(&app.state), funding::settle_due(&second_state));
        assert_eq!(a.unwrap() + b.unwrap(), 4);
        let used =
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM limit_uses WHERE kind = 'withdraw'";
        assert_eq!(count(&app, used).await, 3_000);

        // Stopped after the ledger voided the returned one, before its row (and its use of the
        // limit, in the same group) moved on: the next run finishes it and gives it back once.
        execute(&app, "UPDATE withdrawals SET status = 'pending' WHERE status = 'returned'").await;
        execute(
            &app,
            "INSERT INTO limit_uses (operation_id, user_id, kind, amount_minor, at) \
             SELECT operation_id, user_id, 'withdraw', amount, created_at FROM withdrawals WHERE status = 'pending'",
        )
        .await;
        assert_eq!(funding::settle_due(&app.state).await.unwrap(), 1);
        assert_eq!(count(&app, used).await, 3_000);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM withdrawals WHERE status = 'returned'").await, 1);

        // The job stopped after the ledger posted one but before it marked the row: the row is
        // still pending when the next run comes.
        execute(&app, "UPDATE withdrawals SET status = 'pending' WHERE status = 'completed' AND operation_id = (SELECT MIN(operation_id) FROM withdrawals)").await;
        assert_eq!(funding::settle_due(&app.state).await.unwrap(), 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM withdrawals WHERE status = 'completed'").await, 3);
        let first: i64 = count(&app, "SELECT MIN(operation_id) FROM withdrawals").await;
        let posts = app
            .ledger
            .lookup_transfers(&[
                TransferId(ledger_id(OperationId(first), Slot::Post)),
                TransferId(ledger_id(OperationId(first), Slot::Void)),
            ])
            .await
            .unwrap();
        assert_eq!(posts.len(), 1, "one post, no void");
        // Each withdrawal was paid out once, and the wallet paid for each that settled once.
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_bank_payouts").await, 4);
        let wallet = balance(&app, &alice).await;
        assert_eq!((&wallet["available"], &wallet["pending_out"]), (&json!("70.00"), &json!("0.00")));
        let clearing = app.ledger.lookup_account(purse_server::codes::BANK_CLEARING).await.unwrap().unwrap();
        assert_eq!(clearing.balances.credits_posted, 3_000);
        assert_audit_clean(&app).await;
        second.stop().await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deposit_and_withdraw_limits_refuse_the_movement_that_would_cross_them_and_move_nothing() {
    for db in TestDb::every_backend().await {
        let mut limits = LimitTable::default();
        limits.tiers[0].deposit = Some(10_000);
        limits.tiers[0].withdraw = Some(5_000);
        let caps = Settings { limits, ..settings() };
        let app = TestApp::with_settings(&db, db.dir.path(), caps).await;
        let (alice, visa) = person(&app, "alice").await;
        assert_eq!(deposit(&app, &alice, "d1", &visa, "60.00").await.body["deposit"]["status"], "completed");
        let over = deposit(&app, &alice, "d2", &visa, "50.00").await;
        assert_eq!(
            (over.status, over.code(), over.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded", Some("amount"))
        );
        let details = &over.body["error"]["details"];
        assert_eq!(
            (&details["remaining"], &details["window"], &details["tier"]),
            (&json!("40.00"), &json!("day"), &json!(0))
        );
        assert_eq!(available(&app, &alice).await, "60.00");
        assert_eq!(
            deposit(&app, &alice, "d2", &visa, "50.00").await.raw,
            over.raw,
            "the refusal is the key's answer"
        );
        // A declined deposit leaves the cap as it was.
        let declined = link(&app, &alice, DECLINED).await;
        assert_eq!(deposit(&app, &alice, "d3", &declined, "40.00").await.body["deposit"]["status"], "failed");
        // Concurrent deposits never pass the cap together: 40.00 left, four of 15.00.
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let (state, alice, visa) = (app.state.clone(), alice.clone(), visa.clone());
                tokio::spawn(async move {
                    let body = json!({"card_id": visa, "amount": "15.00", "currency": "USD"});
                    let key = format!("c{i}");
                    call_state(
                        &state,
                        Method::POST,
                        "/api/v1/deposits",
                        Some(&alice),
                        Some(body),
                        &[("idempotency-key", &key)],
                    )
                    .await
                })
            })
            .collect();
        let mut made = 0;
        for task in tasks {
            let answer = task.await.unwrap();
            match answer.code() {
                "" => made += 1,
                code => assert_eq!(code, "limit_exceeded"),
            }
        }
        assert_eq!(made, 2);
        assert_eq!(available(&app, &alice).await, "90.00");

        // Withdrawals: 50.00 in 7 days.
        assert_eq!(withdraw(&app, &alice, "w1", &visa, "40.00", "instant").await.status, StatusCode::CREATED);
        let over = withdraw(&app, &alice, "w2", &visa, "20.00", "instant").await;
        assert_eq!(over.code(), "limit_exceeded");
        let details = &over.body["error"]["details"];
        assert_eq!((&details["remaining"], &details["window"]), (&json!("10.00"), &json!("7d")));
        // Tomorrow (UTC) is a new day.
        app.advance(24 * 3600);
        assert_eq!(deposit(&app, &alice, "d9", &visa, "100.00").await.body["deposit"]["status"], "completed");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

/// Rails that fail their next `failures` money calls (as an unreachable processor would), then
/// behave as the sandbox does.
#[derive(Debug)]
struct Flaky<R> {
    inner: R,
    failures: AtomicUsize,
}

impl<R> Flaky<R> {
    fn new(inner: R) -> Arc<Flaky<R>> {
        Arc::new(Flaky { inner, failures: AtomicUsize::new(0) })
    }

    fn fail_next(&self, calls: usize) {
        self.failures.store(calls, Ordering::SeqCst);
    }

    fn fails(&self) -> bool {
        self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }
}

impl CardRail for Flaky<SandboxCards> {
    fn redeem(&self, token: &str) -> RailResult<'_, Option<CardOnFile>> {
        self.inner.redeem(token)
    }

    fn charge(&self, card: &str, amount: i64, reference: &str, now: i64) -> RailResult<'_, CardOutcome> {
        if self.fails() {
            return Box::pin(async { Err(RailError("the card network timed out".into())) });
        }
        self.inner.charge(card, amount, reference, now)
    }

    fn push(&self, card: &str, amount: i64, reference: &str, now: i64) -> RailResult<'_, CardOutcome> {
        if self.fails() {
            return Box::pin(async { Err(RailError("the card network timed out".into())) });
        }
        self.inner.push(card, amount, reference, now)
    }
}

impl BankRail for Flaky<SandboxBank> {
    fn link(&self, routing: &str, account: &str, holder: &str) -> RailResult<'_, BankOnFile> {
        self.inner.link(routing, account, holder)
    }

    fn pay_out(
        &self,
        account: &str,
        amount: i64,
        reference: &str,
        settle_at: i64,
        now: i64,
    ) -> RailResult<'_, ()> {
        if self.fails() {
            return Box::pin(async { Err(RailError("the bank timed out".into())) });
        }
        self.inner.pay_out(account, amount, reference, settle_at, now)
    }

    fn payout_status(&self, reference: &str, now: i64) -> RailResult<'_, PayoutStatus> {
        self.inner.payout_status(reference, now)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_movement_cut_off_by_a_rail_is_finished_once_by_its_retry_or_by_recovery() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), settings()).await;
        let cards = Flaky::new(SandboxCards::new(app.state.db.clone()));
        let bank = Flaky::new(SandboxBank::new(app.state.db.clone()));
        let TestApp { ledger, state, clock } = app;
        let app = TestApp { ledger, state: state.with_rails(cards.clone(), bank.clone()), clock };
        let (alice, visa) = person(&app, "alice").await;

        // The card network does not answer: nothing moves, the key is free for its retry.
        cards.fail_next(1);
        let cut = deposit(&app, &alice, "d1", &visa, "50.00").await;
        assert_eq!((cut.status, cut.code()), (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"));
        assert_eq!(available(&app, &alice).await, "0.00");
        let retried = deposit(&app, &alice, "d1", &visa, "50.00").await;
        assert_eq!(retried.body["deposit"]["status"], "completed", "{:?}", retried.body);
        assert_eq!(available(&app, &alice).await, "50.00");

        // Cut off and never retried: recovery finishes it once the key's lease is over.
        cards.fail_next(1);
        assert_eq!(deposit(&app, &alice, "d2", &visa, "20.00").await.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(funding::recover(&app.state).await.unwrap(), 0, "not while its retry may still come");
        app.advance(61);
        assert_eq!(funding::recover(&app.state).await.unwrap(), 1);
        assert_eq!(funding::recover(&app.state).await.unwrap(), 0);
        assert_eq!(available(&app, &alice).await, "70.00");
        // Its retry now answers what recovery made, and charges nothing more.
        let late = deposit(&app, &alice, "d2", &visa, "20.00").await;
        assert_eq!(
            (late.status, &late.body["deposit"]["status"]),
            (StatusCode::CREATED, &json!("completed"))
        );
        assert_eq!(available(&app, &alice).await, "70.00");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM sandbox_card_movements").await, 2);

        // The bank does not answer after the hold: the retry pays out once, with the same hold.
        let account = link_bank(&app, &alice, "000123456789").await;
        bank.fail_next(1);
        let cut = withdraw(&app, &alice, "w1", &account, "30.00", "standard").await;
        assert_eq!(cut.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(balance(&app, &alice).await["pending_out"], "30.00", "held, not yet paid out");
        let retried = withdraw(&app, &alice, "w1", &account, "30.00", "standard").await;
        assert_eq!(retried.body["withdrawal"]["status"], "pending", "{:?}", retried.body);
        assert_eq!(
            (available(&app, &alice).await, count(&app, "SELECT COUNT(*) FROM sandbox_bank_payouts").await),
            ("40.00".into(), 1)
        );

        // A declined instant push finished by recovery answers its refusal to the late retry.
        let declined = link(&app, &alice, DECLINED).await;
        cards.fail_next(1);
        assert_eq!(
            withdraw(&app, &alice, "w2", &declined, "5.00", "instant").await.status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        app.advance(61);
        assert_eq!(funding::recover(&app.state).await.unwrap(), 1);
        let late = withdraw(&app, &alice, "w2", &declined, "5.00", "instant").await;
        assert_eq!((late.status, late.code()), (StatusCode::UNPROCESSABLE_ENTITY, "card_declined"));
        assert_eq!(available(&app, &alice).await, "40.00");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}
