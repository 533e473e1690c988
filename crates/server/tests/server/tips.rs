//! Tips: creator settings, bad inputs, anonymity everywhere the creator can look, idempotency
//! and the fee chain.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use purse_server::codes;
use purse_server::flows::Settings;
use serde_json::{Value, json};

use crate::support::*;
use crate::wallet::Events;

async fn tip(app: &TestApp, cookie: &str, key: Option<&str>, body: Value) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    app.call_with(Method::POST, "/api/v1/tips", Some(cookie), Some(body), &headers).await
}

async fn fees_collected(app: &TestApp) -> i128 {
    app.ledger.lookup_account(codes::PLATFORM_FEES).await.unwrap().unwrap().balances.posted_credit_balance()
}

async fn set_creator(app: &TestApp, cookie: &str, body: Value) -> Answer {
    app.call(Method::PUT, "/api/v1/me/creator", Some(cookie), Some(body)).await
}

/// Alice (100.00, PIN 1234) and Lina (a creator), signed in; Bob, signed in, not a creator.
async fn people(app: &TestApp) -> (String, String, String) {
    let alice = app.sign_up("alice").await;
    let lina = app.sign_up("lina").await;
    let bob = app.sign_up("bob").await;
    app.fund(1, "alice", 10_000, "Top-up").await;
    set_pin(app, &alice).await;
    let on = set_creator(app, &lina, json!({"enabled": true})).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    (alice, lina, bob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creators_set_presets_and_a_goal_and_bad_settings_get_their_exact_code() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (_, lina, bob) = people(&app).await;
        let page = app.call(Method::GET, "/api/v1/creators/lina", Some(&bob), None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body["tip_presets"], json!(["1.00", "5.00", "10.00"]), "the defaults");
        assert_eq!(page.body["goal"], Value::Null);

        let cases = [
            (json!({"enabled": true, "tip_presets": []}), "invalid_request", "tip_presets"),
            (
                json!({"enabled": true, "tip_presets": ["1", "2", "3", "4", "5", "6", "7"]}),
                "invalid_request",
                "tip_presets",
            ),
            (json!({"enabled": true, "tip_presets": ["1.001"]}), "invalid_amount", "tip_presets"),
            (json!({"enabled": true, "tip_presets": ["0"]}), "invalid_amount", "tip_presets"),
            (json!({"enabled": true, "tip_presets": [5]}), "invalid_amount", "tip_presets"),
            (json!({"enabled": true, "tip_presets": ["2.00", "2"]}), "invalid_request", "tip_presets"),
            (
                json!({"enabled": true, "goal": {"title": "  ", "target": "100.00"}}),
                "invalid_request",
                "goal.title",
            ),
            (
                json!({"enabled": true, "goal": {"title": "t".repeat(81), "target": "100.00"}}),
                "invalid_request",
                "goal.title",
            ),
            (
                json!({"enabled": true, "goal": {"title": "Camera", "target": "-1"}}),
                "invalid_amount",
                "goal.target",
            ),
            (json!({"enabled": "yes"}), "invalid_request", "enabled"),
            (json!({"enabled": true, "colour": "red"}), "invalid_request", "colour"),
        ];
        for (body, code, field) in cases {
            let answer = set_creator(&app, &lina, body.clone()).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!((answer.code(), answer.field()), (code, Some(field)), "{} {body}", db.backend);
        }
        let unchanged = app.call(Method::GET, "/api/v1/creators/lina", Some(&bob), None).await;
        assert_eq!(unchanged.body, page.body, "a refused change changes nothing");

        let set = set_creator(
            &app,
            &lina,
            json!({"enabled": true, "tip_presets": ["10", "2.5", "1"], "goal": {"title": " New camera ", "target": "300"}}),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        assert_eq!(set.body["creator"]["tip_presets"], json!(["1.00", "2.50", "10.00"]));
        assert_eq!(
            set.body["creator"]["goal"],
            json!({"title": "New camera", "target": "300.00", "raised": "0.00"})
        );
        let me = app.call(Method::GET, "/api/v1/me", Some(&lina), None).await;
        assert!(me.body["user"]["roles"].as_array().unwrap().contains(&json!("creator")));

        // Absent fields are kept; a null goal removes it; off means no page.
        let kept = set_creator(&app, &lina, json!({"enabled": true})).await;
        assert_eq!(kept.body["creator"]["tip_presets"], json!(["1.00", "2.50", "10.00"]));
        assert_eq!(kept.body["creator"]["goal"]["title"], "New camera");
        let removed = set_creator(&app, &lina, json!({"enabled": true, "goal": null})).await;
        assert_eq!(removed.body["creator"]["goal"], Value::Null);
        let off = set_creator(&app, &lina, json!({"enabled": false})).await;
        assert_eq!(off.body["creator"]["enabled"], false);
        let gone = app.call(Method::GET, "/api/v1/creators/lina", Some(&bob), None).await;
        assert_eq!((gone.status, gone.code()), (StatusCode::NOT_FOUND, "not_found"));
        let never = app.call(Method::GET, "/api/v1/creators/bob", Some(&lina), None).await;
        assert_eq!((never.status, never.code()), (StatusCode::NOT_FOUND, "not_found"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tips_get_their_exact_code_and_move_nothing() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, lina, _) = people(&app).await;
        let ok = |over: Value| {
            let mut body = json!({"creator": "lina", "amount": "5.00", "currency": "USD"});
            for (k, v) in over.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let cases: Vec<(Value, StatusCode, &str, Option<&str>)> = vec![
            (ok(json!({"amount": "0"})), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            (ok(json!({"amount": "-1"})), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            (ok(json!({"amount": "1.001"})), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            (ok(json!({"amount": 5})), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            (ok(json!({"amount": "10000.01"})), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            (ok(json!({"currency": "XXX"})), StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
            (
                ok(json!({"creator": "alice"})),
                StatusCode::UNPROCESSABLE_ENTITY,
                "self_transfer",
                Some("creator"),
            ),
            (
                ok(json!({"creator": "nobody"})),
                StatusCode::UNPROCESSABLE_ENTITY,
                "recipient_not_found",
                Some("creator"),
            ),
            (
                ok(json!({"creator": "bob"})),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_creator",
                Some("creator"),
            ),
            (
                ok(json!({"message": "m".repeat(281)})),
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some("message"),
            ),
            (
                ok(json!({"post_id": "has space"})),
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some("post_id"),
            ),
            (ok(json!({"post_id": ""})), StatusCode::BAD_REQUEST, "invalid_request", Some("post_id")),
            (ok(json!({"anonymous": "yes"})), StatusCode::BAD_REQUEST, "invalid_request", Some("anonymous")),
            (
                ok(json!({"amount": "200.00", "pin": "1234"})),
                StatusCode::UNPROCESSABLE_ENTITY,
                "insufficient_funds",
                Some("amount"),
            ),
            (ok(json!({"amount": "60.00"})), StatusCode::FORBIDDEN, "pin_required", Some("pin")),
            (
                ok(json!({"amount": "60.00", "pin": "9999"})),
                StatusCode::FORBIDDEN,
                "pin_incorrect",
                Some("pin"),
            ),
        ];
        for (i, (body, status, code, field)) in cases.into_iter().enumerate() {
            let answer = tip(&app, &alice, Some(&format!("bad-{i}")), body.clone()).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (status, code, field),
                "{} {body}",
                db.backend
            );
        }
        let no_key = tip(&app, &alice, None, ok(json!({}))).await;
        assert_eq!((no_key.status, no_key.code()), (StatusCode::BAD_REQUEST, "idempotency_key_required"));
        let long_key = tip(&app, &alice, Some(&"k".repeat(256)), ok(json!({}))).await;
        assert_eq!(long_key.code(), "idempotency_key_required");
        assert_eq!(available(&app, &alice).await, "100.00");
        assert_eq!(available(&app, &lina).await, "0.00");
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_tip_never_names_its_sender_to_the_creator() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, lina, bob) = people(&app).await;
        app.fund(2, "bob", 1_000, "Top-up").await;
        let body = json!({"creator": "lina", "amount": "5.00", "currency": "USD", "post_id": "42",
                          "message": "Love\u{200b} this", "anonymous": true});
        let sent = tip(&app, &alice, Some("anon"), body).await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
        let tip_body = &sent.body["tip"];
        assert_eq!(
            (tip_body["amount"].as_str(), tip_body["post_id"].as_str(), tip_body["message"].as_str()),
            (Some("5.00"), Some("42"), Some("Love this"))
        );
        assert_eq!(tip_body["anonymous"], true);
        assert!(tip_body["id"].as_str().unwrap().starts_with("tip_"));
        // Bob tips openly, so the creator's views do name people where they may.
        let open =
            tip(&app, &bob, Some("open"), json!({"creator": "lina", "amount": "1.00", "currency": "USD"}))
                .await;
        assert_eq!(open.status, StatusCode::CREATED);
        assert_eq!(available(&app, &lina).await, "6.00");

        // Everything the creator can read: none of it names alice.
        let activity = app.call(Method::GET, "/api/v1/activity", Some(&lina), None).await;
        let items = activity.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let anonymous = items.iter().find(|i| i["amount"] == "5.00").unwrap();
        assert_eq!(anonymous["counterparty"], Value::Null);
        assert_eq!(anonymous["kind"], "tip");
        assert_eq!(anonymous["note"], "Love this", "the message still shows");
        let receipt_id = anonymous["id"].as_str().unwrap();
        let receipt =
            app.call(Method::GET, &format!("/api/v1/activity/{receipt_id}"), Some(&lina), None).await;
        let named = items.iter().find(|i| i["amount"] == "1.00").unwrap();
        assert_eq!(named["counterparty"]["handle"], "bob", "an open tip names its sender");
        let received = app.call(Method::GET, "/api/v1/me/tips?direction=received", Some(&lina), None).await;
        assert_eq!(received.body["total_received"], "6.00");
        let listed = received.body["items"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed.iter().find(|t| t["amount"] == "5.00").unwrap()["supporter"], Value::Null);
        assert_eq!(listed.iter().find(|t| t["amount"] == "1.00").unwrap()["supporter"]["handle"], "bob");
        let page = app.call(Method::GET, "/api/v1/creators/lina", Some(&lina), None).await;
        assert_eq!(page.body["supporters"], 2, "counted, not named");
        let dashboard = app.call(Method::GET, "/api/v1/me/creator", Some(&lina), None).await;
        assert_eq!(dashboard.status, StatusCode::OK, "{:?}", dashboard.body);
        assert_eq!(dashboard.body["anonymous"], json!({"total": "5.00", "tips": 1}));
        assert_eq!(dashboard.body["top_supporters"].as_array().unwrap().len(), 1, "bob only");
        let mut events = Events::open(&app, &lina, Some("0:0")).await;
        let mut streamed = String::new();
        while let Some(event) = events.next(Duration::from_millis(500)).await {
            streamed.push_str(&event.data.to_string());
        }
        assert!(streamed.contains("Love this"), "the stream did replay the tip: {streamed}");
        for (what, text) in [
            ("activity", String::from_utf8_lossy(&activity.raw).to_string()),
            ("receipt", String::from_utf8_lossy(&receipt.raw).to_string()),
            ("tips", String::from_utf8_lossy(&received.raw).to_string()),
            ("creator page", String::from_utf8_lossy(&page.raw).to_string()),
            ("dashboard", String::from_utf8_lossy(&dashboard.raw).to_string()),
            ("events", streamed),
        ] {
            assert!(
                !text.contains("alice") && !text.contains("ALICE"),
                "{} {what} names alice: {text}",
                db.backend
            );
        }

        // The sender's own records say whom she tipped, and that she did so anonymously.
        let mine = app.call(Method::GET, "/api/v1/me/tips?direction=sent", Some(&alice), None).await;
        let item = &mine.body["items"][0];
        assert_eq!((item["creator"].as_str(), item["anonymous"].as_bool()), (Some("lina"), Some(true)));
        assert_eq!(item["supporter"]["handle"], "alice");
        let own = app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await;
        assert_eq!(own.body["items"][0]["counterparty"]["handle"], "lina");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tip_and_its_fee_move_together_once_whatever_is_retried() {
    for db in TestDb::every_backend().await {
        let settings = Settings { tip_fee_bps: 500, ..Settings::default() };
        let app = TestApp::with_settings(&db, db.dir.path(), settings).await;
        let (alice, lina, _) = people(&app).await;
        let body = json!({"creator": "lina", "amount": "5.00", "currency": "USD", "post_id": "7"});
        let first = tip(&app, &alice, Some("t1"), body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
        assert_eq!(first.body["tip"]["fee"], "0.25");
        let replay = tip(&app, &alice, Some("t1"), body.clone()).await;
        assert_eq!((replay.status, &replay.raw), (StatusCode::CREATED, &first.raw), "byte for byte");
        let other =
            tip(&app, &alice, Some("t1"), json!({"creator": "lina", "amount": "6.00", "currency": "USD"}))
                .await;
        assert_eq!(other.code(), "idempotency_key_mismatch");
        assert_eq!(available(&app, &alice).await, "95.00");
        assert_eq!(available(&app, &lina).await, "4.75", "the fee came out of the creator's side");
        assert_eq!(fees_collected(&app).await, 25);

        // Concurrent twins: one tip.
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (state, cookie, body) = (app.state.clone(), alice.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let headers = [("idempotency-key", "twins")];
                call_state(&state, Method::POST, "/api/v1/tips", Some(&cookie), Some(body), &headers)
                    .await
                    .status
            }));
        }
        for task in tasks {
            let status = task.await.unwrap();
            assert!(status == StatusCode::CREATED || status == StatusCode::CONFLICT, "{status}");
        }
        assert_eq!(available(&app, &alice).await, "90.00", "the twins moved money once");
        assert_eq!(fees_collected(&app).await, 50);

        // Too much: neither the tip nor its fee moves.
        let poor = tip(
            &app,
            &alice,
            Some("t2"),
            json!({"creator": "lina", "amount": "95.00", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!((poor.status, poor.code()), (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds"));
        assert_eq!(
            tip(
                &app,
                &alice,
                Some("t2"),
                json!({"creator": "lina", "amount": "95.00", "currency": "USD", "pin": "1234"})
            )
            .await
            .raw,
            poor.raw
        );
        assert_eq!(available(&app, &lina).await, "9.50");
        assert_eq!(fees_collected(&app).await, 50);
        let creator_activity = app.call(Method::GET, "/api/v1/activity", Some(&lina), None).await;
        let kinds: Vec<&str> = creator_activity.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["fee", "tip", "fee", "tip"], "each fee shows on the creator's activity");
        let report = app.ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_adds_up_today_this_week_and_ever_and_names_only_open_supporters() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, lina, bob) = people(&app).await;
        app.fund(2, "bob", 1_000, "Top-up").await;
        let send = |cookie: String, key: &'static str, amount: &'static str, anonymous: bool| {
            let app = &app;
            async move {
                let body =
                    json!({"creator": "lina", "amount": amount, "currency": "USD", "anonymous": anonymous});
                let answer = tip(app, &cookie, Some(key), body).await;
                assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
            }
        };
        let dashboard = |query: &'static str| {
            let (app, lina) = (&app, lina.clone());
            async move { app.call(Method::GET, &format!("/api/v1/me/creator{query}"), Some(&lina), None).await }
        };
        let empty = dashboard("").await;
        assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
        assert_eq!(
            empty.body["totals"],
            json!({"currency": "USD", "today": "0.00", "this_week": "0.00", "all_time": "0.00", "tips": 0})
        );
        assert_eq!(empty.body["top_supporters"], json!([]));

        // The clock starts on Friday 2027-01-15 08:00 UTC.
        send(bob.clone(), "b1", "1.00", false).await;
        app.advance(20 * 3600); // Saturday 04:00 UTC; still Friday 23:00 in New York.
        send(alice.clone(), "a1", "5.00", true).await;
        send(bob.clone(), "b2", "2.00", false).await;
        let utc = dashboard("").await;
        assert_eq!(
            (utc.body["totals"]["today"].as_str(), utc.body["totals"]["this_week"].as_str()),
            (Some("7.00"), Some("8.00"))
        );
        let new_york = dashboard("?utc_offset_minutes=-300").await;
        assert_eq!(new_york.body["totals"]["today"], "8.00", "Friday is not over in New York");
        let page = app.call(Method::GET, "/api/v1/creators/lina", Some(&bob), None).await;
        assert_eq!(page.body["supporters"], 2, "bob, and one anonymous tip");

        app.advance(3 * 24 * 3600); // Tuesday 04:00 UTC: a new week.
        send(alice.clone(), "a2", "4.00", false).await;
        let now = dashboard("?utc_offset_minutes=0").await;
        assert_eq!(
            now.body["totals"],
            json!({"currency": "USD", "today": "4.00", "this_week": "4.00", "all_time": "12.00", "tips": 4})
        );
        assert_eq!(
            now.body["top_supporters"],
            json!([
                {"supporter": {"handle": "alice", "display_name": "ALICE"}, "total": "4.00", "tips": 1},
                {"supporter": {"handle": "bob", "display_name": "BOB"}, "total": "3.00", "tips": 2},
            ]),
            "alice's anonymous 5.00 is not added to her name"
        );
        assert_eq!(now.body["anonymous"], json!({"total": "5.00", "tips": 1}));
        assert_eq!(now.body["creator"]["handle"], "lina");
        // Had anonymous senders been counted as people, alice's open tip would leave the count
        // at 2 and tell lina who sent the anonymous one.
        let page = app.call(Method::GET, "/api/v1/creators/lina", Some(&bob), None).await;
        assert_eq!(page.body["supporters"], 3);

        // Not a creator yet: the same answer, empty, so the settings form can start.
        let bobs = app.call(Method::GET, "/api/v1/me/creator", Some(&bob), None).await;
        assert_eq!((bobs.status, &bobs.body["creator"]["enabled"]), (StatusCode::OK, &json!(false)));
        assert_eq!(bobs.body["totals"]["all_time"], "0.00");

        for query in [
            "?utc_offset_minutes=abc",
            "?utc_offset_minutes=841",
            "?utc_offset_minutes=-721",
            "?utc_offset_minutes=1.5",
        ] {
            let bad = dashboard(query).await;
            assert_eq!(
                (bad.status, bad.code(), bad.field()),
                (StatusCode::BAD_REQUEST, "invalid_request", Some("utc_offset_minutes")),
                "{query}"
            );
        }
        let unknown = dashboard("?tz=1").await;
        assert_eq!((unknown.code(), unknown.field()), ("invalid_request", Some("tz")));
        let nobody = app.call(Method::GET, "/api/v1/me/creator", None, None).await;
        assert_eq!((nobody.status, nobody.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
        app.stop().await;
    }
}
