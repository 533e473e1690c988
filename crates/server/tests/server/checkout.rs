//! Checkout: merchant keys, sessions and their bad inputs, the buyer's confirmation (once,
//! with the PIN), expiry and cancel, refunds, and webhooks delivered over real HTTP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use hmac::{Hmac, Mac};
use purse_server::flows::Settings;
use purse_server::flows::{checkout, refunds, webhooks};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::*;
use crate::wallet::Events;

/// A merchant (`souq`, named "Souq Books") with a secret key.
pub(crate) async fn merchant(app: &TestApp, handle: &str) -> (String, String) {
    let cookie = app.sign_up(handle).await;
    let made = app
        .call(Method::PUT, "/api/v1/me/merchant", Some(&cookie), Some(json!({"name": "Souq Books"})))
        .await;
    assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
    assert_eq!(made.body, json!({"merchant": {"name": "Souq Books"}}));
    let key =
        app.call(Method::POST, "/api/v1/merchant/keys", Some(&cookie), Some(json!({"name": "Server"}))).await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    (cookie, key.body["secret"].as_str().unwrap().to_string())
}

/// Alice: 100.00 and PIN 1234.
async fn buyer(app: &TestApp, handle: &str, transfer_id: i64) -> String {
    let cookie = app.sign_up(handle).await;
    app.fund(transfer_id, handle, 10_000, "Top-up").await;
    set_pin(app, &cookie).await;
    cookie
}

pub(crate) fn session_body() -> Value {
    json!({
        "amount": "12.50",
        "currency": "USD",
        "description": "The Cairo Trilogy (paperback)",
        "success_url": "https://shop.example/orders/7?step=done",
        "cancel_url": "https://shop.example/orders/7",
        "client_reference_id": "order-7",
        "metadata": {"order": "7"}
    })
}

pub(crate) async fn create_session(app: &TestApp, secret: &str, key: &str, body: Value) -> Answer {
    let bearer = format!("Bearer {secret}");
    let mut headers = vec![("authorization", bearer.as_str())];
    if !key.is_empty() {
        headers.push(("idempotency-key", key));
    }
    app.call_with(Method::POST, "/api/v1/checkout/sessions", None, Some(body), &headers).await
}

pub(crate) async fn open_session(app: &TestApp, secret: &str, key: &str) -> String {
    let made = create_session(app, secret, key, session_body()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["session"]["id"].as_str().unwrap().to_string()
}

async fn get_session(app: &TestApp, secret: &str, id: &str) -> Answer {
    let bearer = format!("Bearer {secret}");
    app.call_with(
        Method::GET,
        &format!("/api/v1/checkout/sessions/{id}"),
        None,
        None,
        &[("authorization", &bearer)],
    )
    .await
}

pub(crate) async fn confirm(app: &TestApp, cookie: &str, id: &str, key: &str, pin: Option<&str>) -> Answer {
    let body = match pin {
        Some(pin) => json!({"pin": pin}),
        None => json!({}),
    };
    let path = format!("/api/v1/checkout/sessions/{id}/confirm");
    app.call_with(Method::POST, &path, Some(cookie), Some(body), &[("idempotency-key", key)]).await
}

pub(crate) async fn refund(app: &TestApp, secret: &str, key: &str, body: Value) -> Answer {
    let bearer = format!("Bearer {secret}");
    app.call_with(
        Method::POST,
        "/api/v1/refunds",
        None,
        Some(body),
        &[("authorization", &bearer), ("idempotency-key", key)],
    )
    .await
}

async fn assert_audit_clean(app: &TestApp) {
    let report = app.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchant_keys_are_shown_once_listed_by_prefix_and_revocable() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let bob = app.sign_up("bob").await;
        let not_merchant =
            app.call(Method::POST, "/api/v1/merchant/keys", Some(&bob), Some(json!({"name": "Mine"}))).await;
        assert_eq!((not_merchant.status, not_merchant.code()), (StatusCode::FORBIDDEN, "forbidden"));
        let no_session =
            app.call(Method::POST, "/api/v1/merchant/keys", None, Some(json!({"name": "x"}))).await;
        assert_eq!(no_session.code(), "unauthenticated");
        for bad in [json!({"name": ""}), json!({"name": "n".repeat(61)}), json!({"name": 5}), json!({})] {
            let answer = app.call(Method::PUT, "/api/v1/me/merchant", Some(&bob), Some(bad.clone())).await;
            assert_eq!((answer.status, answer.field()), (StatusCode::BAD_REQUEST, Some("name")), "{bad}");
        }

        let (souq, secret) = merchant(&app, "souq").await;
        assert!(secret.starts_with("sk_"));
        let listed = app.call(Method::GET, "/api/v1/merchant/keys", Some(&souq), None).await;
        assert_eq!(listed.status, StatusCode::OK);
        let item = &listed.body["items"][0];
        assert_eq!(item["name"], "Server");
        assert_eq!(item["revoked"], false);
        assert!(secret.starts_with(item["prefix"].as_str().unwrap()));
        assert!(
            !listed.raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is never listed"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM merchant_keys WHERE prefix = '' OR length(prefix) > 11").await,
            0
        );

        assert!(open_session(&app, &secret, "k1").await.starts_with("cs_"));
        // Someone else's key id is not found; the merchant's own is revoked, once and for all.
        let (other, _) = merchant(&app, "other").await;
        let id = item["id"].as_str().unwrap();
        let theirs =
            app.call(Method::DELETE, &format!("/api/v1/merchant/keys/{id}"), Some(&other), None).await;
        assert_eq!((theirs.status, theirs.code()), (StatusCode::NOT_FOUND, "not_found"));
        let revoked =
            app.call(Method::DELETE, &format!("/api/v1/merchant/keys/{id}"), Some(&souq), None).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        let listed = app.call(Method::GET, "/api/v1/merchant/keys", Some(&souq), None).await;
        assert_eq!(listed.body["items"][0]["revoked"], true);

        for authorization in [
            format!("Bearer {secret}"),
            "Bearer sk_unknown".to_string(),
            format!("Basic {secret}"),
            "Bearer ".to_string(),
        ] {
            let answer = app
                .call_with(
                    Method::POST,
                    "/api/v1/checkout/sessions",
                    None,
                    Some(session_body()),
                    &[("authorization", &authorization), ("idempotency-key", "k2")],
                )
                .await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{authorization}"
            );
        }
        let missing = app
            .call_with(
                Method::POST,
                "/api/v1/checkout/sessions",
                None,
                Some(session_body()),
                &[("idempotency-key", "k3")],
            )
            .await;
        assert_eq!(missing.code(), "unauthenticated");
        // A session cookie is not a key.
        let cookie_only = app
            .call_with(
                Method::POST,
                "/api/v1/checkout/sessions",
                Some(&souq),
                Some(session_body()),
                &[("idempotency-key", "k4")],
            )
            .await;
        assert_eq!(cookie_only.code(), "unauthenticated");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_session_inputs_get_their_exact_code_and_create_nothing() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (_, secret) = merchant(&app, "souq").await;
        let with = |field: &str, value: Value| {
            let mut body = session_body();
            body[field] = value;
            body
        };
        let cases = [
            (with("amount", json!("0")), "invalid_amount", Some("amount")),
            (with("amount", json!("-1.00")), "invalid_amount", Some("amount")),
            (with("amount", json!("1.001")), "invalid_amount", Some("amount")),
            (with("amount", json!("01.00")), "invalid_amount", Some("amount")),
            (with("amount", json!(12.5)), "invalid_amount", Some("amount")),
            (with("amount", json!("10000.01")), "invalid_amount", Some("amount")),
            (with("currency", json!("usd")), "invalid_currency", Some("currency")),
            (with("currency", json!("XXX")), "invalid_currency", Some("currency")),
            (with("description", json!("  ")), "invalid_request", Some("description")),
            (with("description", json!("d".repeat(201))), "invalid_request", Some("description")),
            (with("success_url", json!("/thanks")), "invalid_url", Some("success_url")),
            (with("success_url", json!("javascript:alert(1)")), "invalid_url", Some("success_url")),
            (with("success_url", json!("ftp://shop.example/")), "invalid_url", Some("success_url")),
            (with("cancel_url", json!("shop.example/back")), "invalid_url", Some("cancel_url")),
            (with("cancel_url", json!("https://")), "invalid_url", Some("cancel_url")),
            (
                with("client_reference_id", json!("r".repeat(201))),
                "invalid_request",
                Some("client_reference_id"),
            ),
            (with("metadata", json!({"k": 5})), "invalid_request", Some("metadata.k")),
            (with("metadata", json!({"k": "v".repeat(501)})), "invalid_request", Some("metadata")),
            (
                with("metadata", Value::Object((0..21).map(|i| (format!("k{i}"), json!("v"))).collect())),
                "invalid_request",
                Some("metadata"),
            ),
            (with("colour", json!("red")), "invalid_request", Some("colour")),
        ];
        for (i, (body, code, field)) in cases.into_iter().enumerate() {
            let answer = create_session(&app, &secret, &format!("bad-{i}"), body.clone()).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{} {body}", db.backend);
            assert_eq!((answer.code(), answer.field()), (code, field), "{} {body}", db.backend);
        }
        let no_key = create_session(&app, &secret, "", session_body()).await;
        assert_eq!((no_key.status, no_key.code()), (StatusCode::BAD_REQUEST, "idempotency_key_required"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM checkout_sessions").await, 0, "nothing was created");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_idempotent_and_only_their_merchant_reads_them() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let (_, other) = merchant(&app, "other").await;
        let first = create_session(&app, &secret, "order-7", session_body()).await;
        assert_eq!(first.status, StatusCode::CREATED);
        let session = &first.body["session"];
        let id = session["id"].as_str().unwrap();
        assert!(id.starts_with("cs_"));
        assert_eq!(session["url"], format!("/checkout/{id}"));
        assert_eq!(session["status"], "open");
        assert_eq!((session["amount"].as_str(), session["currency"].as_str()), (Some("12.50"), Some("USD")));
        assert_eq!(session["client_reference_id"], "order-7");
        assert_eq!(session["payment"], Value::Null);
        assert_eq!(session["expires_at"], "2027-01-15T08:30:00Z", "30 minutes after the clock's 08:00");

        let again = create_session(&app, &secret, "order-7", session_body()).await;
        assert_eq!(
            (again.status, &again.raw),
            (StatusCode::CREATED, &first.raw),
            "a replay is the first answer"
        );
        let mut changed = session_body();
        changed["amount"] = json!("13.00");
        let mismatch = create_session(&app, &secret, "order-7", changed).await;
        assert_eq!(
            (mismatch.status, mismatch.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch")
        );
        // Keys are the merchant's own: the same key from another merchant is a new session.
        let theirs = create_session(&app, &other, "order-7", session_body()).await;
        assert_eq!(theirs.status, StatusCode::CREATED);
        assert_ne!(theirs.body["session"]["id"], first.body["session"]["id"]);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM checkout_sessions").await, 2);

        assert_eq!(get_session(&app, &secret, id).await.body["session"], *session);
        for (key, probe) in
            [(&other, id.to_string()), (&secret, "cs_AAAAAAAAAAAAA".to_string()), (&secret, "tr_x".into())]
        {
            let answer = get_session(&app, key, &probe).await;
            assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, "not_found"), "{probe}");
        }
        let public =
            app.call(Method::GET, &format!("/api/v1/checkout/sessions/{id}/public"), None, None).await;
        assert_eq!(public.status, StatusCode::OK);
        assert_eq!(public.body["merchant"], json!({"name": "Souq Books"}));
        assert_eq!(public.body["description"], "The Cairo Trilogy (paperback)");
        assert_eq!(public.body["status"], "open");
        assert!(public.body.get("success_url").is_none(), "the buyer's page does not need the success URL");
        let unknown = app.call(Method::GET, "/api/v1/checkout/sessions/cs_nope/public", None, None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        // A session's id is random, not another id of the same row number in disguise.
        let keys = app.call(Method::GET, "/api/v1/merchant/keys", Some(&souq), None).await;
        let key_id = keys.body["items"][0]["id"].as_str().unwrap();
        let disguised = key_id.replacen("key_", "cs_", 1);
        let probe =
            app.call(Method::GET, &format!("/api/v1/checkout/sessions/{disguised}/public"), None, None).await;
        assert_eq!(probe.status, StatusCode::NOT_FOUND, "{disguised}");
        assert!(id.len() >= 3 + 22, "{id}");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_once_with_the_pin_and_the_merchant_is_paid() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let alice = buyer(&app, "alice", 1).await;
        let bob = buyer(&app, "bob", 2).await;
        let id = open_session(&app, &secret, "s1").await;

        let anonymous = app
            .call_with(
                Method::POST,
                &format!("/api/v1/checkout/sessions/{id}/confirm"),
                None,
                Some(json!({"pin": "1234"})),
                &[("idempotency-key", "c0")],
            )
            .await;
        assert_eq!(anonymous.code(), "unauthenticated");
        let no_key = app
            .call(
                Method::POST,
                &format!("/api/v1/checkout/sessions/{id}/confirm"),
                Some(&alice),
                Some(json!({"pin": "1234"})),
            )
            .await;
        assert_eq!(no_key.code(), "idempotency_key_required");
        assert_eq!(confirm(&app, &alice, &id, "c1", None).await.code(), "pin_required");
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("9999")).await.code(), "pin_incorrect");
        assert_eq!(
            confirm(&app, &alice, "cs_AAAAAAAAAAAAA", "c1", Some("1234")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(available(&app, &alice).await, "100.00", "nothing moved yet");

        let paid = confirm(&app, &alice, &id, "c1", Some("1234")).await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
        assert_eq!(
            paid.body,
            json!({"status": "complete", "redirect_url": format!("https://shop.example/orders/7?step=done&session_id={id}")})
        );
        let replay = confirm(&app, &alice, &id, "c1", Some("0000")).await;
        assert_eq!(
            (replay.status, &replay.raw),
            (StatusCode::OK, &paid.raw),
            "a replay; its PIN is not checked"
        );
        let twice = confirm(&app, &alice, &id, "c2", Some("1234")).await;
        assert_eq!((twice.status, twice.code()), (StatusCode::UNPROCESSABLE_ENTITY, "checkout_not_open"));
        let other = confirm(&app, &bob, &id, "c3", Some("1234")).await;
        assert_eq!(other.code(), "checkout_not_open");
        let cancel = app
            .call(Method::POST, &format!("/api/v1/checkout/sessions/{id}/cancel"), Some(&alice), None)
            .await;
        assert_eq!(cancel.code(), "checkout_not_open", "a paid checkout cannot be canceled");
        let stranger =
            app.call(Method::POST, &format!("/api/v1/checkout/sessions/{id}/cancel"), Some(&bob), None).await;
        assert_eq!(stranger.code(), "not_found", "nor is it anyone else's to cancel");

        assert_eq!(available(&app, &alice).await, "87.50");
        assert_eq!(available(&app, &bob).await, "100.00");
        assert_eq!(available(&app, &souq).await, "12.50");
        let session = get_session(&app, &secret, &id).await.body["session"].clone();
        assert_eq!(session["status"], "complete");
        assert_eq!(session["payment"]["amount_refunded"], "0.00");
        assert!(session["payment"]["id"].as_str().unwrap().starts_with("tr_"));
        let activity = app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await;
        let item = &activity.body["items"][0];
        assert_eq!(
            (item["kind"].as_str(), item["amount"].as_str()),
            (Some("checkout"), Some("12.50")),
            "{item}"
        );
        assert_eq!(item["note"], "The Cairo Trilogy (paperback)");
        assert_eq!(item["counterparty"]["handle"], "souq");
        // The merchant cannot pay its own checkout.
        set_pin(&app, &souq).await;
        let own = open_session(&app, &secret, "s2").await;
        assert_eq!(confirm(&app, &souq, &own, "c4", Some("1234")).await.code(), "self_transfer");
        let reused = confirm(&app, &alice, &own, "c1", Some("1234")).await;
        assert_eq!(
            (reused.status, reused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch"),
            "the key paid another session"
        );
        assert_eq!(get_session(&app, &secret, &own).await.body["session"]["status"], "open");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_short_of_money_pays_nothing_and_the_session_stays_open() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (_, secret) = merchant(&app, "souq").await;
        let poor = app.sign_up("poor").await;
        set_pin(&app, &poor).await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        let refused = confirm(&app, &poor, &id, "c1", Some("1234")).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds")
        );
        let replay = confirm(&app, &poor, &id, "c1", Some("1234")).await;
        assert_eq!(replay.raw, refused.raw, "the refusal is the key's answer");
        assert_eq!(get_session(&app, &secret, &id).await.body["session"]["status"], "open");
        assert_eq!(confirm(&app, &alice, &id, "c2", Some("1234")).await.status, StatusCode::OK);
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_buyers_of_one_session_pay_it_exactly_once() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let mut buyers = Vec::new();
        for i in 0..8 {
            buyers.push(buyer(&app, &format!("buyer{i}"), 100 + i).await);
        }
        let id = open_session(&app, &secret, "s1").await;
        let mut tasks = Vec::new();
        for (i, cookie) in buyers.iter().enumerate() {
            let (state, cookie, id) = (app.state.clone(), cookie.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let key = format!("c{i}");
                let path = format!("/api/v1/checkout/sessions/{id}/confirm");
                call_state(
                    &state,
                    Method::POST,
                    &path,
                    Some(&cookie),
                    Some(json!({"pin": "1234"})),
                    &[("idempotency-key", &key)],
                )
                .await
            }));
        }
        let mut paid = 0;
        for task in tasks {
            let answer = task.await.unwrap();
            match answer.status {
                StatusCode::OK => paid += 1,
                _ => assert_eq!(answer.code(), "checkout_not_open", "{:?}", answer.body),
            }
        }
        assert_eq!(paid, 1);
        assert_eq!(available(&app, &souq).await, "12.50");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_after_thirty_minutes_and_canceled_ones_cannot_be_paid() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (_, secret) = merchant(&app, "souq").await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        app.advance(29 * 60 + 59);
        assert_eq!(checkout::expire_due(&app.state).await.unwrap(), 0, "not yet");
        app.advance(1);
        let late = confirm(&app, &alice, &id, "c1", Some("1234")).await;
        assert_eq!((late.status, late.code()), (StatusCode::UNPROCESSABLE_ENTITY, "checkout_expired"));
        let public =
            app.call(Method::GET, &format!("/api/v1/checkout/sessions/{id}/public"), None, None).await;
        assert_eq!(public.body["status"], "expired", "expired even before the job ran");
        assert_eq!(checkout::expire_due(&app.state).await.unwrap(), 1);
        assert_eq!(checkout::expire_due(&app.state).await.unwrap(), 0, "once");
        assert_eq!(get_session(&app, &secret, &id).await.body["session"]["status"], "expired");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM webhook_events WHERE type = 'checkout.session.expired'").await,
            1
        );
        let cancel = app
            .call(Method::POST, &format!("/api/v1/checkout/sessions/{id}/cancel"), Some(&alice), None)
            .await;
        assert_eq!(cancel.code(), "checkout_expired");

        let id = open_session(&app, &secret, "s2").await;
        let path = format!("/api/v1/checkout/sessions/{id}/cancel");
        let canceled = app.call(Method::POST, &path, Some(&alice), None).await;
        assert_eq!(canceled.status, StatusCode::OK, "{:?}", canceled.body);
        assert_eq!(
            canceled.body,
            json!({"status": "canceled", "redirect_url": "https://shop.example/orders/7"})
        );
        assert_eq!(
            app.call(Method::POST, &path, Some(&alice), None).await.body,
            canceled.body,
            "twice is fine"
        );
        let pay = confirm(&app, &alice, &id, "c2", Some("1234")).await;
        assert_eq!((pay.status, pay.code()), (StatusCode::UNPROCESSABLE_ENTITY, "checkout_not_open"));
        assert_eq!(available(&app, &alice).await, "100.00");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_go_back_in_parts_up_to_what_was_paid_and_the_buyer_sees_them_live() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let (_, other) = merchant(&app, "other").await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        let early = refund(&app, &secret, "r0", json!({"checkout_session": id})).await;
        assert_eq!((early.status, early.code()), (StatusCode::UNPROCESSABLE_ENTITY, "checkout_not_open"));
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("1234")).await.status, StatusCode::OK);
        let mut events = Events::open(&app, &alice, None).await;
        while events.next(Duration::from_millis(300)).await.is_some() {}

        let first = refund(&app, &secret, "r1", json!({"checkout_session": id, "amount": "5.00"})).await;
        assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
        let made = &first.body["refund"];
        assert!(made["id"].as_str().unwrap().starts_with("re_"));
        assert_eq!((made["amount"].as_str(), made["status"].as_str()), (Some("5.00"), Some("succeeded")));
        assert_eq!(made["checkout_session"], id.as_str());
        let live = events.next(Duration::from_secs(5)).await.expect("the refund arrives live");
        assert_eq!(live.event, "activity");
        assert_eq!(
            (live.data["kind"].as_str(), live.data["amount"].as_str()),
            (Some("refund"), Some("5.00")),
            "{:?}",
            live.data
        );

        assert_eq!(
            refund(&app, &secret, "r1", json!({"checkout_session": id, "amount": "5.00"})).await.raw,
            first.raw
        );
        let other_body = refund(&app, &secret, "r1", json!({"checkout_session": id, "amount": "4.00"})).await;
        assert_eq!(
            (other_body.status, other_body.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch")
        );
        let too_much = refund(&app, &secret, "r2", json!({"checkout_session": id, "amount": "7.51"})).await;
        assert_eq!(
            (too_much.status, too_much.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "refund_exceeds_payment")
        );
        for (key, body, code) in [
            ("r3", json!({"checkout_session": id, "amount": "0"}), "invalid_amount"),
            ("r4", json!({"checkout_session": id, "amount": "1.001"}), "invalid_amount"),
            ("r5", json!({"checkout_session": id, "amount": 1}), "invalid_amount"),
            ("r6", json!({"checkout_session": id, "extra": 1}), "invalid_request"),
        ] {
            assert_eq!(refund(&app, &secret, key, body.clone()).await.code(), code, "{body}");
        }
        let theirs = refund(&app, &other, "r7", json!({"checkout_session": id})).await;
        assert_eq!((theirs.status, theirs.code()), (StatusCode::NOT_FOUND, "not_found"));

        let rest = refund(&app, &secret, "r8", json!({"checkout_session": id})).await;
        assert_eq!(rest.body["refund"]["amount"], "7.50", "what is left, by default");
        let nothing_left =
            refund(&app, &secret, "r9", json!({"checkout_session": id, "amount": "0.01"})).await;
        assert_eq!(nothing_left.code(), "refund_exceeds_payment");
        assert_eq!(amount_refunded(&app, &secret, &id).await, "12.50");
        assert_eq!(available(&app, &alice).await, "100.00");
        assert_eq!(available(&app, &souq).await, "0.00");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_events WHERE type = 'refund.created'").await, 2);

        // Five concurrent refunds of 5.00 against a 12.50 payment: two fit.
        let id = open_session(&app, &secret, "s2").await;
        assert_eq!(confirm(&app, &alice, &id, "c2", Some("1234")).await.status, StatusCode::OK);
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (state, secret, id) = (app.state.clone(), secret.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let bearer = format!("Bearer {secret}");
                let key = format!("concurrent-{i}");
                call_state(
                    &state,
                    Method::POST,
                    "/api/v1/refunds",
                    None,
                    Some(json!({"checkout_session": id, "amount": "5.00"})),
                    &[("authorization", &bearer), ("idempotency-key", &key)],
                )
                .await
            }));
        }
        let mut codes = Vec::new();
        for task in tasks {
            let answer = task.await.unwrap();
            codes.push(if answer.status == StatusCode::CREATED {
                "created".to_string()
            } else {
                answer.code().to_string()
            });
        }
        codes.sort();
        assert_eq!(
            codes,
            [
                "created",
                "created",
                "refund_exceeds_payment",
                "refund_exceeds_payment",
                "refund_exceeds_payment"
            ]
        );
        assert_eq!(available(&app, &alice).await, "97.50");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

/// One delivery as received: its headers and raw body.
type Delivery = (HeaderMap, Vec<u8>);

/// A webhook receiver over real HTTP: records every delivery, and answers 500 to the first
/// `fail_first` of them.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Delivery>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let log = received.clone();
        let router = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let log = log.clone();
                async move {
                    let mut log = log.lock().unwrap();
                    log.push((headers, body.to_vec()));
                    if log.len() <= fail_first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Receiver { url, received, server }
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }
}

/// Checks `Purse-Signature` exactly as API.md defines it, with nothing but the secret.
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(header) = headers.get("purse-signature").and_then(|v| v.to_str().ok()) else { return false };
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_string()),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == v1
}

fn demo() -> Settings {
    Settings { demo: true, ..Settings::default() }
}

async fn register(app: &TestApp, cookie: &str, url: &str) -> String {
    let events = json!(["checkout.session.completed", "checkout.session.expired", "refund.created"]);
    let made = app
        .call(
            Method::POST,
            "/api/v1/merchant/webhook-endpoints",
            Some(cookie),
            Some(json!({"url": url, "events": events})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert!(made.body["id"].as_str().unwrap().starts_with("we_"));
    made.body["secret"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_urls_must_be_public_https_and_events_known() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, _) = merchant(&app, "souq").await;
        let bob = app.sign_up("bob").await;
        let path = "/api/v1/merchant/webhook-endpoints";
        let events = json!(["checkout.session.completed"]);
        for url in [
            "http://shop.example/hooks",
            "https://127.0.0.1/hooks",
            "https://localhost:8443/hooks",
            "https://10.0.0.5/hooks",
            "https://192.168.0.10/hooks",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hooks",
            "/hooks",
        ] {
            let answer =
                app.call(Method::POST, path, Some(&souq), Some(json!({"url": url, "events": events}))).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, "invalid_url", Some("url")),
                "{url}"
            );
        }
        for bad in [json!([]), json!(["checkout.session.*"]), json!("refund.created")] {
            let answer = app
                .call(
                    Method::POST,
                    path,
                    Some(&souq),
                    Some(json!({"url": "https://shop.example/hooks", "events": bad})),
                )
                .await;
            assert_eq!((answer.status, answer.field()), (StatusCode::BAD_REQUEST, Some("events")), "{bad}");
        }
        let stranger = app
            .call(
                Method::POST,
                path,
                Some(&bob),
                Some(json!({"url": "https://shop.example/hooks", "events": events})),
            )
            .await;
        assert_eq!(stranger.code(), "forbidden");
        let good = app
            .call(
                Method::POST,
                path,
                Some(&souq),
                Some(json!({"url": "https://shop.example/hooks", "events": events})),
            )
            .await;
        assert_eq!(good.status, StatusCode::CREATED);
        assert!(good.body["secret"].as_str().unwrap().starts_with("whsec_"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_endpoints").await, 1);

        // Listed without secrets; removed by its merchant only; a removed endpoint gets nothing.
        let listed = app.call(Method::GET, path, Some(&souq), None).await;
        assert_eq!(listed.body["items"][0]["id"], good.body["id"]);
        assert_eq!(listed.body["items"][0]["events"], events);
        assert!(listed.body["items"][0].get("secret").is_none());
        let (other, _) = merchant(&app, "other").await;
        assert_eq!(app.call(Method::GET, path, Some(&other), None).await.body["items"], json!([]));
        let endpoint = format!("{path}/{}", good.body["id"].as_str().unwrap());
        let theirs = app.call(Method::DELETE, &endpoint, Some(&other), None).await;
        assert_eq!((theirs.status, theirs.code()), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(
            app.call(Method::DELETE, &endpoint, Some(&souq), None).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.call(Method::DELETE, &endpoint, Some(&souq), None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.call(Method::GET, path, Some(&souq), None).await.body["items"], json!([]));
        let alice = buyer(&app, "alice", 1).await;
        let key =
            app.call(Method::POST, "/api/v1/merchant/keys", Some(&souq), Some(json!({"name": "k"}))).await;
        let secret = key.body["secret"].as_str().unwrap().to_string();
        let id = open_session(&app, &secret, "s1").await;
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("1234")).await.status, StatusCode::OK);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM webhook_deliveries").await,
            0,
            "no delivery to a removed endpoint"
        );
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_until_delivered_and_listed_for_their_merchant_only() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), demo()).await;
        let client = webhooks::client();
        let receiver = Receiver::start(2).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let (other, _) = merchant(&app, "other").await;
        let signing = register(&app, &souq, &receiver.url).await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        assert_eq!(
            webhooks::deliver_due(&app.state, &client).await.unwrap(),
            0,
            "creating a session is no event"
        );
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("1234")).await.status, StatusCode::OK);

        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1, "the first try fails");
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 0, "the retry is not due yet");
        app.advance(10);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1, "the second try fails");
        app.advance(19);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 0, "20 s after the second");
        app.advance(1);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1, "the third try succeeds");
        app.advance(3600);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 0, "delivered is done");

        let received = receiver.deliveries();
        assert_eq!(received.len(), 3);
        let bodies: Vec<Value> = received.iter().map(|(_, body)| json(body)).collect();
        assert!(bodies.iter().all(|b| b["id"] == bodies[0]["id"]), "one event, one id, every try");
        assert!(bodies[0]["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(bodies[0]["type"], "checkout.session.completed");
        assert_eq!(bodies[0]["data"]["object"]["id"], id.as_str());
        assert_eq!(bodies[0]["data"]["object"]["status"], "complete");
        assert_eq!(bodies[0]["data"]["object"]["client_reference_id"], "order-7");
        let created_at = bodies[0]["created_at"].as_str().unwrap();
        assert!(created_at.ends_with('Z') && created_at.len() >= 20, "RFC 3339 in UTC: {created_at}");
        for (headers, body) in &received {
            assert!(verify(&signing, headers, body), "signed with the endpoint's secret");
            assert!(!verify("whsec_wrong", headers, body));
            assert_eq!(headers["content-type"], "application/json");
        }
        let mut tampered = received[0].1.clone();
        tampered[2] ^= 1;
        assert!(!verify(&signing, &received[0].0, &tampered), "the signature covers the body");

        let listed = app.call(Method::GET, "/api/v1/merchant/webhook-deliveries", Some(&souq), None).await;
        assert_eq!(listed.status, StatusCode::OK);
        let item = &listed.body["items"][0];
        assert_eq!(item["event_id"], bodies[0]["id"]);
        assert_eq!(item["type"], "checkout.session.completed");
        assert_eq!((item["attempts"].as_u64(), item["last_status"].as_u64()), (Some(3), Some(200)));
        assert!(item["delivered_at"].is_string());
        let theirs = app.call(Method::GET, "/api/v1/merchant/webhook-deliveries", Some(&other), None).await;
        assert_eq!(theirs.body["items"], json!([]), "another merchant sees none of them");

        // A refund is an event too, delivered at once now that the receiver answers.
        assert_eq!(
            refund(&app, &secret, "r1", json!({"checkout_session": id, "amount": "2.00"})).await.status,
            StatusCode::CREATED
        );
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1);
        let last = receiver.deliveries().pop().unwrap();
        assert_eq!(json(&last.1)["type"], "refund.created");
        assert_eq!(json(&last.1)["data"]["object"]["amount"], "2.00");
        assert!(verify(&signing, &last.0, &last.1));

        // A session nobody paid expires after its 30 minutes, and that is announced too.
        let unpaid = open_session(&app, &secret, "s2").await;
        app.advance(30 * 60);
        assert_eq!(checkout::expire_due(&app.state).await.unwrap(), 1);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1);
        let last = receiver.deliveries().pop().unwrap();
        assert!(verify(&signing, &last.0, &last.1));
        let expired = json(&last.1);
        assert_eq!(expired["type"], "checkout.session.expired");
        assert_eq!(expired["data"]["object"]["id"], unpaid.as_str());
        assert_eq!(expired["data"]["object"]["status"], "expired");
        receiver.server.abort();
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_attempts_loses_no_webhook() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), demo()).await;
        let clock = app.clock.clone();
        let client = webhooks::client();
        let receiver = Receiver::start(1).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let signing = register(&app, &souq, &receiver.url).await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("1234")).await.status, StatusCode::OK);
        assert_eq!(webhooks::deliver_due(&app.state, &client).await.unwrap(), 1, "the first try fails");
        assert_audit_clean(&app).await;
        app.stop().await;

        // A new server on the same database, later: the retry is still owed, and sent.
        let restarted = TestApp::with_clock(&db, db.dir.path(), clock).await;
        let restarted = TestApp { state: restarted.state.with_settings(demo()), ..restarted };
        restarted.advance(10);
        let worker = webhooks::spawn_worker(&restarted.state);
        let mut waited = 0;
        while receiver.deliveries().len() < 2 && waited < 100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        let received = receiver.deliveries();
        assert_eq!(received.len(), 2, "delivered by the new server's worker");
        assert_eq!(json(&received[0].1)["id"], json(&received[1].1)["id"]);
        assert!(verify(&signing, &received[1].0, &received[1].1));
        let listed =
            restarted.call(Method::GET, "/api/v1/merchant/webhook-deliveries", Some(&souq), None).await;
        assert_eq!(listed.body["items"][0]["attempts"], 2);
        worker.abort();
        receiver.server.abort();
        assert_audit_clean(&restarted).await;
        restarted.stop().await;
    }
}

/// Starts a confirmation of `id` by `handle` under `key` as the handler would, and stops right
/// after the ledger moved the money (before the session is completed or the answer stored), as
/// a server killed at that point would.
async fn confirm_cut_off_after_the_ledger(app: &TestApp, handle: &str, id: &str, key: &str) {
    use purse_server::flows::movement::{self as operations, Begun, IdempotencyKey, Recorded, Started};
    use purse_server::store::payments::PaymentState;
    let buyer = app.user(handle).await;
    let row = checkout::find(&app.state, id).await.unwrap().unwrap();
    let hash = checkout::confirm_hash(&row.public_id);
    let draft = checkout::draft(&app.state, &row, buyer.id);
    let key = IdempotencyKey(key.to_string());
    let claim = vec![checkout::claim_statement(&app.state, &row)];
    let recorded = Recorded { payment: Some(draft), then: claim, limits: None, watch: None };
    let Started::Run(operation, Begun::Fresh { payment, then: claimed, .. }) =
        operations::open(&app.state, buyer.id, &key, &hash, recorded, true, None).await.unwrap()
    else {
        panic!("a new key runs");
    };
    assert_eq!(claimed, Some(true), "claimed with the key");
    let outcome = checkout::pay(&app.state, operation, &row, buyer.id, payment, claimed).await;
    let (settled, outcome, completion) = (outcome.payment, outcome.answer, outcome.after);
    assert_eq!(settled, Some(PaymentState::Completed));
    assert!(outcome.is_ok() && !completion.is_empty(), "the money moved; then the server died");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_cut_off_after_the_money_moved_is_finished_once_by_its_retry_or_by_recovery() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let alice = buyer(&app, "alice", 1).await;

        // Its retry, once the key's lease ran out, finishes it: same transfer, no second payment.
        let id = open_session(&app, &secret, "s1").await;
        confirm_cut_off_after_the_ledger(&app, "alice", &id, "c1").await;
        assert_eq!(available(&app, &alice).await, "87.50");
        assert_eq!(
            get_session(&app, &secret, &id).await.body["session"]["status"],
            "open",
            "not completed yet"
        );
        let busy = confirm(&app, &alice, &id, "c1", Some("1234")).await;
        assert_eq!((busy.status, busy.code()), (StatusCode::CONFLICT, "idempotency_key_in_use"));
        let other = confirm(&app, &alice, &id, "c2", Some("1234")).await;
        assert_eq!(other.code(), "checkout_not_open", "the claim still holds");
        app.advance(61);
        let retried = confirm(&app, &alice, &id, "c1", Some("1234")).await;
        assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
        assert_eq!(retried.body["status"], "complete");
        assert_eq!(get_session(&app, &secret, &id).await.body["session"]["status"], "complete");
        assert_eq!(available(&app, &alice).await, "87.50", "paid once");

        // Nobody retries: the job completes it once the claim has run out, with its event.
        let id = open_session(&app, &secret, "s2").await;
        confirm_cut_off_after_the_ledger(&app, "alice", &id, "c3").await;
        assert_eq!(checkout::recover(&app.state).await.unwrap(), 0, "the claim is still held");
        app.advance(301);
        assert_eq!(checkout::recover(&app.state).await.unwrap(), 1);
        assert_eq!(checkout::expire_due(&app.state).await.unwrap(), 0, "a paid session never expires");
        assert_eq!(get_session(&app, &secret, &id).await.body["session"]["status"], "complete");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM webhook_events WHERE type = 'checkout.session.completed'")
                .await,
            2
        );
        assert_eq!(available(&app, &alice).await, "75.00");
        assert_eq!(available(&app, &souq).await, "25.00");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

async fn amount_refunded(app: &TestApp, secret: &str, id: &str) -> Value {
    get_session(app, secret, id).await.body["session"]["payment"]["amount_refunded"].clone()
}

/// Starts a refund of `amount` (minor units) of `id` by `merchant` under `key` as the handler
/// would, and stops after its reservation, before the ledger, as a server killed there would.
async fn refund_cut_off_before_the_ledger(app: &TestApp, merchant: &str, id: &str, key: &str, amount: &str) {
    use purse_server::flows::movement::{self as operations, IdempotencyKey, Recorded, Started};
    let body: purse_api::NewRefund =
        serde_json::from_value(json!({"checkout_session": id, "amount": amount})).unwrap();
    let hash = operations::request_hash("POST /refunds", &body);
    let merchant = app.user(merchant).await;
    let key = IdempotencyKey(key.to_string());
    let Started::Run(operation, _) =
        operations::open(&app.state, merchant.id, &key, &hash, Recorded::default(), false, None)
            .await
            .unwrap()
    else {
        panic!("a new key runs");
    };
    let session = checkout::find(&app.state, id).await.unwrap().unwrap();
    let minor = body.amount.unwrap().parse(session.currency.code()).unwrap().to_minor();
    refunds::reserve(&app.state, operation, &session, Some(minor)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_the_merchant_cannot_cover_moves_nothing_and_one_cut_off_is_finished_by_the_job() {
    use purse_server::codes::{DEMO_FUNDING, wallet_of};
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret) = merchant(&app, "souq").await;
        let alice = buyer(&app, "alice", 1).await;
        let id = open_session(&app, &secret, "s1").await;
        assert_eq!(confirm(&app, &alice, &id, "c1", Some("1234")).await.status, StatusCode::OK);
        let souq_wallet = wallet_of(app.user("souq").await.id);

        // The merchant spent 10.00 of the 12.50 it was paid: a 5.00 refund moves nothing,
        // reserves nothing, and its key keeps the refusal.
        app.move_money(2, souq_wallet, DEMO_FUNDING, 1_000, "p2p", None, false).await;
        let five = json!({"checkout_session": id, "amount": "5.00"});
        let short = refund(&app, &secret, "r1", five.clone()).await;
        assert_eq!((short.status, short.code()), (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds"));
        assert_eq!(short.field(), Some("amount"));
        assert_eq!(refund(&app, &secret, "r1", five.clone()).await.raw, short.raw, "replayed");
        assert_eq!(amount_refunded(&app, &secret, &id).await, "0.00");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds WHERE status = 'failed'").await, 1);
        let fits = refund(&app, &secret, "r2", json!({"checkout_session": id, "amount": "2.50"})).await;
        assert_eq!(fits.status, StatusCode::CREATED, "{:?}", fits.body);
        assert_eq!(
            (available(&app, &alice).await, available(&app, &souq).await),
            ("90.00".into(), "0.00".into())
        );

        // Cut off after its reservation, before the ledger, and nobody retries: once its key's
        // lease has run out the job finishes it, once, and the key keeps the answer.
        app.fund(3, "souq", 1_000, "Top-up").await;
        refund_cut_off_before_the_ledger(&app, "souq", &id, "r3", "5.00").await;
        assert_eq!(amount_refunded(&app, &secret, &id).await, "7.50", "reserved");
        let busy = refund(&app, &secret, "r3", five.clone()).await;
        assert_eq!((busy.status, busy.code()), (StatusCode::CONFLICT, "idempotency_key_in_use"));
        assert_eq!(refunds::recover(&app.state).await.unwrap(), 0, "the key's lease holds");
        assert_eq!(available(&app, &alice).await, "90.00");
        app.advance(61);
        assert_eq!(refunds::recover(&app.state).await.unwrap(), 1);
        assert_eq!(refunds::recover(&app.state).await.unwrap(), 0, "finished once");
        assert_eq!(
            (available(&app, &alice).await, available(&app, &souq).await),
            ("95.00".into(), "5.00".into())
        );
        let late = refund(&app, &secret, "r3", five.clone()).await;
        assert_eq!(late.status, StatusCode::CREATED, "{:?}", late.body);
        assert_eq!(
            (late.body["refund"]["amount"].as_str(), late.body["refund"]["status"].as_str()),
            (Some("5.00"), Some("succeeded"))
        );
        assert_eq!(amount_refunded(&app, &secret, &id).await, "7.50");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_events WHERE type = 'refund.created'").await, 2);

        // Cut off again, and the merchant spends its money meanwhile: the job gives the
        // reservation back and the key answers the refusal.
        refund_cut_off_before_the_ledger(&app, "souq", &id, "r4", "5.00").await;
        assert_eq!(amount_refunded(&app, &secret, &id).await, "12.50", "reserved");
        app.move_money(4, souq_wallet, DEMO_FUNDING, 500, "p2p", None, false).await;
        app.advance(61);
        assert_eq!(refunds::recover(&app.state).await.unwrap(), 1);
        let refused = refund(&app, &secret, "r4", five.clone()).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds")
        );
        assert_eq!(amount_refunded(&app, &secret, &id).await, "7.50");
        assert_eq!(available(&app, &alice).await, "95.00");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_buyer_who_opened_a_session_or_its_merchant_may_cancel_it() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (shop, secret) = merchant(&app, "souq").await;
        let alice = buyer(&app, "alice", 1).await;
        let mallory = app.sign_up("mallory").await;
        let cancel = |cookie: String, id: String| {
            let app = &app;
            async move {
                let path = format!("/api/v1/checkout/sessions/{id}/cancel");
                app.call(Method::POST, &path, Some(&cookie), None).await
            }
        };
        let public = |cookie: String, id: String| {
            let app = &app;
            async move {
                let path = format!("/api/v1/checkout/sessions/{id}/public");
                app.call(Method::GET, &path, Some(&cookie), None).await
            }
        };

        // Alice opens the hosted page signed in: the session is hers to cancel, no one else's.
        let id = open_session(&app, &secret, "s1").await;
        assert_eq!(public(alice.clone(), id.clone()).await.status, StatusCode::OK);
        let stranger = cancel(mallory.clone(), id.clone()).await;
        assert_eq!(
            (stranger.status, stranger.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{}",
            db.backend
        );
        // Seeing the page does not make Mallory its buyer either.
        assert_eq!(public(mallory.clone(), id.clone()).await.status, StatusCode::OK);
        assert_eq!(cancel(mallory.clone(), id.clone()).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get_session(&app, &secret, &id).await.body["session"]["status"], "open");
        let hers = cancel(alice.clone(), id.clone()).await;
        assert_eq!(
            (hers.status, hers.body["status"].as_str()),
            (StatusCode::OK, Some("canceled")),
            "{}",
            db.backend
        );

        // The merchant may cancel its own session, opened by someone or not.
        let id = open_session(&app, &secret, "s2").await;
        assert_eq!(public(alice.clone(), id.clone()).await.status, StatusCode::OK);
        assert_eq!(cancel(shop.clone(), id.clone()).await.status, StatusCode::OK, "{}", db.backend);

        // A session no one has opened signed in is bound to whoever cancels it first.
        let id = open_session(&app, &secret, "s3").await;
        assert_eq!(cancel(alice.clone(), id.clone()).await.status, StatusCode::OK);
        assert_eq!(cancel(mallory.clone(), id.clone()).await.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}
